/*
 * The budgets of a policy: token buckets (rate), counts per window
 * (limit N/UNIT) and sums of a field per window (limit FIELD N/UNIT),
 * each kept per key (an account, a client, both, or one for the rule).
 *
 * A state is made for one policy and is not thread-safe: vaultd decides
 * verdicts on its one thread, and nothing here takes a lock.
 *
 * Counters live in one array of slots found through an open-addressing
 * table keyed by (budget, key).  Windows are UTC-aligned (window number
 * = now_s / window_s).  A token bucket counts exact fractions of a
 * token: one token is window_s * 1000 units and every millisecond adds
 * `amount` units, so "1/day" refills exactly and never rounds to zero.
 * A slot that holds nothing (a full bucket, a count or sum of a window
 * gone by) can be forgotten when the table is full; a refund that names
 * it finds a newer window or generation there and gives nothing back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_int.h"
#include "policy/policy_budget.h"

#define PB_TABLE_MIN	64
#define FNV64_INIT	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

struct pb_def {
	const struct pol_budget	*b;
	uint32_t		 rule;
	uint64_t		 unit;	/* RATE: units of one token */
	uint64_t		 cap;	/* RATE: units of a full bucket */
	int64_t			 held_ms; /* admits nothing before (ms) */
};

struct pb_slot {
	int		 used;
	uint32_t	 def;
	uint64_t	 h;
	char		*key;
	size_t		 keylen;
	int64_t		 window;	/* COUNT SUM: window; RATE: generation */
	uint64_t	 val;		/* COUNT SUM: taken; RATE: units left */
	int64_t		 last_ms;	/* RATE: last refill */
};

struct policy_state {
	const struct policy	*pol;
	struct pb_def		*defs;
	size_t			 ndefs;
	uint32_t		*base;		/* first def of each rule */
	struct pb_slot		*slots;
	size_t			 nslots, slotcap;
	uint32_t		*freel;		/* unused slots below nslots */
	size_t			 nfree;
	uint32_t		*table;		/* slot + 1; 0 is empty */
	size_t			 tcap;		/* a power of two */
	size_t			 nkeys;
	int64_t			 gen;
};

static int64_t	 pb_floordiv(int64_t, int64_t);
static int64_t	 pb_window(const struct pol_budget *, int64_t);
static int	 pb_key(const struct policy_req *, unsigned, char *, size_t,
		    size_t *);
static uint64_t	 pb_hash(uint32_t, const char *, size_t);
static int64_t	 pb_find(const struct policy_state *, uint32_t, uint64_t,
		    const char *, size_t);
static uint64_t	 pb_tokens(const struct pb_def *, const struct pb_slot *,
		    int64_t);
static void	 pb_table_fill(struct policy_state *);
static int	 pb_table_build(struct policy_state *, size_t);
static int	 pb_reclaimable(const struct policy_state *,
		    const struct pb_slot *, int64_t);

struct policy_state *
policy_state_new(const struct policy *pol)
{
	struct policy_state	*st = NULL, *ret = NULL;
	struct pb_def		*d;
	size_t			 i, j, n = 0;
	uint64_t		 burst;

	if (pol == NULL)
		goto out;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		goto out;
	st->pol = pol;
	for (i = 0; i < pol->nrules; i++)
		n += pol->rules[i].nbudgets;
	if ((st->base = calloc(pol->nrules + 1, sizeof(*st->base))) == NULL ||
	    (n > 0 && (st->defs = calloc(n, sizeof(*st->defs))) == NULL))
		goto out;
	st->ndefs = n;
	for (i = 0, n = 0; i < pol->nrules; i++) {
		st->base[i] = (uint32_t)n;
		for (j = 0; j < pol->rules[i].nbudgets; j++, n++) {
			d = &st->defs[n];
			d->b = &pol->rules[i].budgets[j];
			d->rule = (uint32_t)i;
			d->unit = (d->b->window_s > 0 &&
			    d->b->window_s < UINT64_MAX / 1000 ?
			    d->b->window_s : 1) * 1000;
			burst = d->b->burst > 0 ? d->b->burst : d->b->amount;
			if (burst > UINT64_MAX / d->unit)
				burst = UINT64_MAX / d->unit;
			d->cap = burst * d->unit;
		}
	}
	st->base[pol->nrules] = (uint32_t)n;
	if (pb_table_build(st, PB_TABLE_MIN) != 0)
		goto out;
	ret = st;
	st = NULL;
 out:
	policy_state_free(st);
	return ret;
}

void
policy_state_free(struct policy_state *st)
{
	size_t	i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nslots; i++)
		free(st->slots[i].key);
	if (st->slots != NULL)
		sodium_memzero(st->slots, st->slotcap * sizeof(*st->slots));
	free(st->slots);
	free(st->freel);
	free(st->table);
	free(st->defs);
	free(st->base);
	free(st);
}

const struct policy *
policy_state_pol(const struct policy_state *st)
{
	return st->pol;
}

static int64_t
pb_floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
pb_window(const struct pol_budget *b, int64_t now_ms)
{
	int64_t	w = b->window_s > 0 && b->window_s < INT64_MAX / 1000 ?
	    (int64_t)b->window_s : 1;

	return pb_floordiv(pb_floordiv(now_ms, 1000), w);
}

/*
 * The counter's key: "a" account, then "o" uid or "c" client, each
 * ending in a NUL (names have none, so no two keys collide).
 */
static int
pb_key(const struct policy_req *req, unsigned per, char *buf, size_t bufsz,
    size_t *outlen)
{
	size_t	n = 0, l;
	char	uid[16];
	const char *s;

	if (per & PB_PER_ACCOUNT) {
		s = req->account != NULL ? req->account : "";
		if ((l = strlen(s)) + 2 > bufsz - n)
			return -1;
		buf[n++] = 'a';
		memcpy(buf + n, s, l + 1);
		n += l + 1;
	}
	if (per & PB_PER_CLIENT) {
		char	tag;

		if (req->actor == POLICY_ACTOR_OPERATOR) {
			snprintf(uid, sizeof(uid), "%u", req->uid);
			s = uid;
			tag = 'o';
		} else if (req->actor == POLICY_ACTOR_ANON) {
			s = "";
			tag = 'n';
		} else {
			s = req->client != NULL ? req->client : "";
			tag = 'c';
		}
		/* measured before the first byte is written */
		if ((l = strlen(s)) + 2 > bufsz - n)
			return -1;
		buf[n++] = tag;
		memcpy(buf + n, s, l + 1);
		n += l + 1;
	}
	*outlen = n;
	return 0;
}

static uint64_t
pb_hash(uint32_t def, const char *key, size_t len)
{
	uint64_t	h = FNV64_INIT;
	size_t		i;

	for (i = 0; i < 4; i++)
		h = (h ^ ((def >> (8 * i)) & 0xff)) * FNV64_PRIME;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)key[i]) * FNV64_PRIME;
	h ^= h >> 31;
	return h;
}

static int64_t
pb_find(const struct policy_state *st, uint32_t def, uint64_t h,
    const char *key, size_t len)
{
	const struct pb_slot	*s;
	size_t			 mask = st->tcap - 1, i;

	for (i = h & mask; st->table[i] != 0; i = (i + 1) & mask) {
		s = &st->slots[st->table[i] - 1];
		if (s->h == h && s->def == def && s->keylen == len &&
		    memcmp(s->key, key, len) == 0)
			return (int64_t)st->table[i] - 1;
	}
	return -1;
}

/* The units in a bucket at now_ms: refilled by the time gone by. */
static uint64_t
pb_tokens(const struct pb_def *d, const struct pb_slot *s, int64_t now_ms)
{
	uint64_t	need, el;

	if (s == NULL)
		return d->cap;
	if (now_ms <= s->last_ms || s->val >= d->cap || d->b->amount == 0)
		return s->val;
	need = d->cap - s->val;
	el = (uint64_t)now_ms - (uint64_t)s->last_ms;
	if (el > need / d->b->amount)
		return d->cap;
	return s->val + el * d->b->amount;	/* el * amount <= need */
}

/* Put every slot in use into the (cleared) table. */
static void
pb_table_fill(struct policy_state *st)
{
	size_t	i, k, mask = st->tcap - 1;

	memset(st->table, 0, st->tcap * sizeof(*st->table));
	for (i = 0; i < st->nslots; i++) {
		if (!st->slots[i].used)
			continue;
		for (k = st->slots[i].h & mask; st->table[k] != 0;
		    k = (k + 1) & mask)
			;
		st->table[k] = (uint32_t)i + 1;
	}
}

/* A table of cap buckets (a power of two) for the slots in use. */
static int
pb_table_build(struct policy_state *st, size_t cap)
{
	uint32_t	*t;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return CV_ERR_NOMEM;
	free(st->table);
	st->table = t;
	st->tcap = cap;
	pb_table_fill(st);
	return 0;
}

size_t
policy_resv_find(const struct policy_resv *resv, uint32_t budget,
    uint32_t slot, int64_t window)
{
	size_t	i, n = resv->n < POLICY_RESV_MAX ? resv->n : POLICY_RESV_MAX;

	for (i = 0; i < n; i++)
		if (resv->r[i].budget == budget && resv->r[i].slot == slot &&
		    resv->r[i].window == window)
			return i;
	return resv->n;
}

/* Whether held holds counter slot of budget def, in the window taken. */
static int
pb_held(const struct policy_resv *held, uint32_t def, int64_t slot,
    int64_t window)
{
	return held != NULL && slot >= 0 && policy_resv_find(held, def,
	    (uint32_t)slot, window) != held->n;
}

enum pb_result
pb_plan_rule(const struct policy_state *st, const struct policy *pol,
    const struct policy_req *req, uint32_t ri, int64_t now_ms,
    const struct policy_resv *held, struct pb_plan *plan, size_t *fb)
{
	const struct pol_rule	*r = &pol->rules[ri];
	const struct pol_budget	*b;
	const struct pb_def	*d;
	const struct pb_slot	*s;
	struct pb_step		*step;
	const char		*val = NULL;
	char			 key[PB_KEY_MAX];
	size_t			 j, k, keylen, nval;
	uint64_t		 used;
	uint32_t		 def;

	for (j = 0; j < r->nbudgets; j++) {
		*fb = j;
		b = &r->budgets[j];
		if (plan->n >= POLICY_RESV_MAX)
			return PB_OVER;
		step = &plan->s[plan->n];
		memset(step, 0, sizeof(*step));
		step->rule = ri;
		step->b = (uint32_t)j;
		step->slot = -1;
		step->amount = 1;
		step->window = pb_window(b, now_ms);
		if (b->kind == PB_SUM) {
			for (k = 0, nval = 0; k < req->nfields; k++) {
				if (req->fields[k].name != NULL &&
				    req->fields[k].value != NULL &&
				    strcmp(req->fields[k].name, b->field) == 0) {
					val = req->fields[k].value;
					nval++;
				}
			}
			if (req->kind == NULL || nval == 0)
				return PB_NOFIELD;
			if (nval > 1)
				return PB_TWICE;
			if (pol_dec_units(val, strlen(val), &step->amount) != 0)
				return PB_NOTDEC;
		}
		if (pb_key(req, b->per, key, sizeof(key), &keylen) != 0)
			return PB_KEYLONG;
		plan->n++;
		if (st == NULL)
			continue;
		def = st->base[ri] + (uint32_t)j;
		d = &st->defs[def];
		step->h = pb_hash(def, key, keylen);
		step->slot = pb_find(st, def, step->h, key, keylen);
		s = step->slot >= 0 ? &st->slots[step->slot] : NULL;
		if (now_ms < d->held_ms)
			return PB_UNCHECKED;
		/* taken for this request already (a rate's window: its own) */
		if (s != NULL && pb_held(held, def, step->slot,
		    b->kind == PB_RATE ? s->window : step->window)) {
			plan->n--;
			continue;
		}
		if (s == NULL)
			plan->nnew++;
		if (b->kind == PB_RATE) {
			step->amount = d->unit;
			if (pb_tokens(d, s, now_ms) < d->unit)
				return PB_EXHAUSTED;
			continue;
		}
		used = s != NULL && s->window == step->window ? s->val : 0;
		if (used > b->amount || step->amount > b->amount - used)
			return PB_EXHAUSTED;
	}
	if (st != NULL && st->nkeys + plan->nnew > PB_MAX_KEYS)
		return PB_FULL;
	return PB_OK;
}

int
pb_take(struct policy_state *st, const struct policy_req *req,
    int64_t now_ms, const struct pb_plan *plan, struct policy_resv *resv)
{
	const struct pb_step	*step;
	const struct pb_def	*d;
	struct pb_slot		*s, *ns;
	char			 key[PB_KEY_MAX], *kc[POLICY_RESV_MAX];
	size_t			 i, need, kl[POLICY_RESV_MAX], cap, k, mask, si;
	uint32_t		*nf;
	uint32_t		 def;
	int			 r = CV_ERR_NOMEM;

	memset(kc, 0, sizeof(kc));
	/* room first, so that nothing below can fail */
	need = st->nkeys + plan->nnew;
	if (st->nslots + plan->nnew > st->slotcap) {
		cap = st->slotcap ? st->slotcap : 16;
		while (cap < st->nslots + plan->nnew)
			cap *= 2;
		if ((ns = reallocarray(st->slots, cap, sizeof(*ns))) == NULL)
			goto out;
		st->slots = ns;
		if ((nf = reallocarray(st->freel, cap, sizeof(*nf))) == NULL)
			goto out;
		st->freel = nf;
		st->slotcap = cap;	/* both arrays hold cap now */
	}
	if (need * 2 > st->tcap) {
		for (cap = st->tcap; need * 2 > cap; cap *= 2)
			;
		if (pb_table_build(st, cap) != 0)
			goto out;
	}
	for (i = 0; i < plan->n; i++) {
		step = &plan->s[i];
		if (step->slot >= 0)
			continue;
		if (pb_key(req, st->pol->rules[step->rule].budgets[step->b].per,
		    key, sizeof(key), &kl[i]) != 0)
			goto out;
		if ((kc[i] = malloc(kl[i] > 0 ? kl[i] : 1)) == NULL)
			goto out;
		memcpy(kc[i], key, kl[i]);
	}

	resv->n = 0;
	for (i = 0; i < plan->n; i++) {
		step = &plan->s[i];
		def = st->base[step->rule] + step->b;
		d = &st->defs[def];
		if (step->slot >= 0)
			s = &st->slots[step->slot];
		else {
			si = st->nfree > 0 ? st->freel[--st->nfree] :
			    st->nslots++;
			s = &st->slots[si];
			memset(s, 0, sizeof(*s));
			s->used = 1;
			s->def = def;
			s->h = step->h;
			s->key = kc[i];
			s->keylen = kl[i];
			kc[i] = NULL;
			s->window = step->window;
			if (d->b->kind == PB_RATE) {
				s->val = d->cap;
				s->last_ms = now_ms;
				s->window = ++st->gen;
			}
			mask = st->tcap - 1;
			for (k = s->h & mask; st->table[k] != 0;
			    k = (k + 1) & mask)
				;
			st->table[k] = (uint32_t)si + 1;
			st->nkeys++;
		}
		resv->r[resv->n].budget = def;
		resv->r[resv->n].slot = (uint32_t)(s - st->slots);
		resv->r[resv->n].amount = step->amount;
		if (d->b->kind == PB_RATE) {
			s->val = pb_tokens(d, s, now_ms) - step->amount;
			if (now_ms > s->last_ms)
				s->last_ms = now_ms;
			resv->r[resv->n].window = s->window;
		} else {
			if (s->window != step->window) {
				s->window = step->window;
				s->val = 0;
			}
			s->val += step->amount;
			resv->r[resv->n].window = step->window;
		}
		resv->n++;
	}
	r = 0;
 out:
	for (i = 0; i < plan->n; i++)
		free(kc[i]);
	return r;
}

void
policy_refund(struct policy_state *st, const struct policy_resv *resv)
{
	const struct pb_def	*d;
	struct pb_slot		*s;
	size_t			 i;

	if (st == NULL || resv == NULL || resv->n > POLICY_RESV_MAX)
		return;
	for (i = 0; i < resv->n; i++) {
		if (resv->r[i].budget >= st->ndefs ||
		    resv->r[i].slot >= st->nslots)
			continue;
		s = &st->slots[resv->r[i].slot];
		d = &st->defs[resv->r[i].budget];
		if (!s->used || s->def != resv->r[i].budget ||
		    s->window != resv->r[i].window)
			continue;
		if (d->b->kind == PB_RATE)
			s->val = resv->r[i].amount > d->cap - s->val ?
			    d->cap : s->val + resv->r[i].amount;
		else
			s->val -= resv->r[i].amount < s->val ?
			    resv->r[i].amount : s->val;
	}
}

/*
 * A counter for (def, key) found, or made as a verdict makes one (a
 * bucket full, a count or sum empty in window): restoring only, so its
 * arrays grow one at a time.  NULL when out of memory or past
 * PB_MAX_KEYS.
 */
static struct pb_slot *
pb_slot_get(struct policy_state *st, uint32_t def, const char *key,
    size_t keylen, int64_t window, int64_t now_ms)
{
	const struct pb_def	*d = &st->defs[def];
	struct pb_slot		*s, *ns;
	uint32_t		*nf;
	uint64_t		 h = pb_hash(def, key, keylen);
	int64_t			 at;
	size_t			 cap, k, si, mask;

	if ((at = pb_find(st, def, h, key, keylen)) >= 0)
		return &st->slots[at];
	if (st->nkeys >= PB_MAX_KEYS)
		return NULL;
	if (st->nfree == 0 && st->nslots == st->slotcap) {
		cap = st->slotcap ? st->slotcap * 2 : 16;
		if ((ns = reallocarray(st->slots, cap, sizeof(*ns))) == NULL)
			return NULL;
		st->slots = ns;
		if ((nf = reallocarray(st->freel, cap, sizeof(*nf))) == NULL)
			return NULL;
		st->freel = nf;
		st->slotcap = cap;
	}
	if ((st->nkeys + 1) * 2 > st->tcap &&
	    pb_table_build(st, st->tcap * 2) != 0)
		return NULL;
	si = st->nfree > 0 ? st->freel[st->nfree - 1] : st->nslots;
	s = &st->slots[si];
	memset(s, 0, sizeof(*s));
	if ((s->key = malloc(keylen > 0 ? keylen : 1)) == NULL)
		return NULL;
	if (st->nfree > 0)
		st->nfree--;
	else
		st->nslots++;
	memcpy(s->key, key, keylen);
	s->keylen = keylen;
	s->used = 1;
	s->def = def;
	s->h = h;
	s->window = window;
	if (d->b->kind == PB_RATE) {
		s->val = d->cap;
		s->last_ms = now_ms;
		s->window = ++st->gen;
	}
	mask = st->tcap - 1;
	for (k = h & mask; st->table[k] != 0; k = (k + 1) & mask)
		;
	st->table[k] = (uint32_t)si + 1;
	st->nkeys++;
	return s;
}

/* Whether key is one pb_key makes for a budget kept per `per'. */
static int
pb_key_valid(unsigned per, const char *key, size_t keylen)
{
	size_t	at = 0, n;

	if (keylen > PB_KEY_MAX)
		return 0;
	if (per & PB_PER_ACCOUNT) {
		if (keylen - at < 2 || key[at] != 'a' ||
		    (n = strnlen(key + at, keylen - at)) == keylen - at)
			return 0;
		at += n + 1;
	}
	if (per & PB_PER_CLIENT) {
		if (keylen - at < 2 || (key[at] != 'o' && key[at] != 'c' &&
		    key[at] != 'n') ||
		    (n = strnlen(key + at, keylen - at)) == keylen - at)
			return 0;
		at += n + 1;
	}
	return at == keylen;
}

void
policy_counter_each(const struct policy_state *st, int64_t now_ms,
    policy_counter_fn *fn, void *arg)
{
	const struct pb_slot	*s;
	const struct pb_def	*d;
	size_t			 i;
	int			 rate;

	for (i = 0; st != NULL && i < st->nslots; i++) {
		s = &st->slots[i];
		if (!s->used || pb_reclaimable(st, s, now_ms))
			continue;
		d = &st->defs[s->def];
		rate = d->b->kind == PB_RATE;
		fn(arg, s->def, (uint32_t)i, rate, s->key, s->keylen,
		    s->window, s->val, rate ? d->cap : d->b->amount,
		    rate ? s->last_ms : 0);
	}
}

int
policy_counter_load(struct policy_state *st, uint32_t def, const char *key,
    size_t keylen, int64_t window, uint64_t val, int64_t last_ms,
    int64_t now_ms)
{
	const struct pb_def	*d;
	struct pb_slot		*s;

	if (def >= st->ndefs)
		return CV_ERR_INVALID;
	d = &st->defs[def];
	if (!pb_key_valid(d->b->per, key, keylen) ||
	    (d->b->kind == PB_RATE ? val > d->cap : val > d->b->amount))
		return CV_ERR_INVALID;
	if (d->b->kind != PB_RATE && window != pb_window(d->b, now_ms))
		return 0;			/* closed: it starts full */
	if ((s = pb_slot_get(st, def, key, keylen, window, now_ms)) == NULL)
		return CV_ERR_NOMEM;
	if (d->b->kind == PB_RATE) {
		/* a refill from a clock ahead of now waits for it */
		s->val = val;
		s->last_ms = last_ms;
	} else
		s->val = val > s->val ? val : s->val;
	return 0;
}

int
policy_counter_charge(struct policy_state *st, uint32_t def,
    const struct policy_req *req, int64_t window, uint64_t amount,
    int64_t now_ms)
{
	const struct pb_def	*d;
	struct pb_slot		*s;
	char			 key[PB_KEY_MAX];
	size_t			 keylen;
	uint64_t		 t;

	if (def >= st->ndefs)
		return CV_ERR_INVALID;
	d = &st->defs[def];
	if (pb_key(req, d->b->per, key, sizeof(key), &keylen) != 0)
		return CV_ERR_INVALID;
	if (d->b->kind != PB_RATE && window != pb_window(d->b, now_ms))
		return 0;
	if ((s = pb_slot_get(st, def, key, keylen, window, now_ms)) == NULL)
		return CV_ERR_NOMEM;
	if (d->b->kind == PB_RATE) {
		t = pb_tokens(d, s, now_ms);
		s->val = amount < t ? t - amount : 0;
		if (now_ms > s->last_ms)
			s->last_ms = now_ms;
		return 0;
	}
	if (s->window != window) {
		s->window = window;
		s->val = 0;
	}
	s->val = amount > UINT64_MAX - s->val ? UINT64_MAX : s->val + amount;
	return 0;
}

int64_t
policy_state_horizon_ms(const struct policy_state *st)
{
	const struct pb_def	*d;
	uint64_t		 h, most = 0;
	size_t			 i;

	for (i = 0; i < st->ndefs; i++) {
		d = &st->defs[i];
		if (d->b->kind != PB_RATE)
			h = d->unit;
		else if (d->b->amount == 0)
			h = INT64_MAX;
		else	/* cap is in amount-units a ms: filled at amount a ms */
			h = d->cap / d->b->amount + 1;
		if (h > most)
			most = h;
	}
	return most > INT64_MAX ? INT64_MAX : (int64_t)most;
}

/* The first ms at which a charge made at at_ms no longer counts. */
static int64_t
pb_counts_until(const struct pb_def *d, int64_t at_ms)
{
	int64_t	w;

	if (at_ms == INT64_MAX)
		return INT64_MAX;
	if (d->b->kind == PB_RATE) {
		if (d->b->amount == 0 ||
		    d->cap / d->b->amount >= (uint64_t)(INT64_MAX - at_ms))
			return INT64_MAX;
		return at_ms + (int64_t)(d->cap / d->b->amount) + 1;
	}
	w = d->b->window_s > 0 && d->b->window_s < INT64_MAX / 1000 ?
	    (int64_t)d->b->window_s : 1;
	if (pb_window(d->b, at_ms) >= INT64_MAX / 1000 / w)
		return INT64_MAX;
	return (pb_window(d->b, at_ms) + 1) * w * 1000;
}

void
policy_state_hold(struct policy_state *st, int64_t at_ms)
{
	int64_t	until;
	size_t	i;

	for (i = 0; i < st->ndefs; i++)
		if ((until = pb_counts_until(&st->defs[i], at_ms)) >
		    st->defs[i].held_ms)
			st->defs[i].held_ms = until;
}

void
policy_hold_each(const struct policy_state *st, int64_t now_ms,
    policy_hold_fn *fn, void *arg)
{
	size_t	i;

	for (i = 0; st != NULL && i < st->ndefs; i++)
		if (now_ms < st->defs[i].held_ms)
			fn(arg, (uint32_t)i, st->defs[i].held_ms);
}

int
policy_hold_load(struct policy_state *st, uint32_t def, int64_t until_ms)
{
	if (def >= st->ndefs)
		return CV_ERR_INVALID;
	if (until_ms > st->defs[def].held_ms)
		st->defs[def].held_ms = until_ms;
	return 0;
}

static int
pb_reclaimable(const struct policy_state *st, const struct pb_slot *s,
    int64_t now_ms)
{
	const struct pb_def	*d = &st->defs[s->def];

	if (d->b->kind == PB_RATE)
		return pb_tokens(d, s, now_ms) >= d->cap;
	return s->window != pb_window(d->b, now_ms) || s->val == 0;
}

size_t
pb_gc(struct policy_state *st, int64_t now_ms)
{
	struct pb_slot	*s;
	size_t		 i, n = 0;

	for (i = 0; i < st->nslots; i++) {
		s = &st->slots[i];
		if (!s->used || !pb_reclaimable(st, s, now_ms))
			continue;
		free(s->key);
		memset(s, 0, sizeof(*s));
		st->freel[st->nfree++] = (uint32_t)i;
		st->nkeys--;
		n++;
	}
	if (n > 0)
		pb_table_fill(st);	/* in place: forgets the freed slots */
	return n;
}

static const char *
pb_unit(uint64_t window_s, char *buf, size_t len)
{
	switch (window_s) {
	case 1:
		return "s";
	case 60:
		return "min";
	case 3600:
		return "hour";
	case 86400:
		return "day";
	}
	snprintf(buf, len, "%llus", (unsigned long long)window_s);
	return buf;
}

void
pb_units_str(uint64_t units, char *buf, size_t len)
{
	char	frac[8];
	int	i;

	snprintf(frac, sizeof(frac), "%06llu",
	    (unsigned long long)(units % PB_SCALE));
	for (i = 5; i >= 0 && frac[i] == '0'; i--)
		frac[i] = '\0';
	snprintf(buf, len, "%llu%s%s", (unsigned long long)(units / PB_SCALE),
	    frac[0] != '\0' ? "." : "", frac);
}

void
policy_budget_each(const struct policy_state *st, int64_t now_ms,
    policy_budget_fn *fn, void *arg)
{
	struct policy_budget_left	 l;
	const struct pb_slot		*s;
	const struct pb_def		*d;
	char				 desc[96], left[32], acct[70], who[80];
	const char			*k, *end;
	uint64_t			 v;
	size_t				 i, n;

	for (i = 0; st != NULL && i < st->nslots; i++) {
		if (!(s = &st->slots[i])->used)
			continue;
		d = &st->defs[s->def];
		pb_describe(d->b, desc, sizeof(desc));
		switch (d->b->kind) {
		case PB_RATE:
			v = d->unit ? pb_tokens(d, s, now_ms) / d->unit : 0;
			snprintf(left, sizeof(left), "%llu",
			    (unsigned long long)v);
			break;
		case PB_COUNT:
		case PB_SUM:
		default:
			v = s->window == pb_window(d->b, now_ms) ? s->val : 0;
			v = v < d->b->amount ? d->b->amount - v : 0;
			if (d->b->kind == PB_SUM)
				pb_units_str(v, left, sizeof(left));
			else
				snprintf(left, sizeof(left), "%llu",
				    (unsigned long long)v);
			break;
		}
		/* the key: "a" account NUL, then "o" uid, "c" name or "n" */
		acct[0] = who[0] = '\0';
		for (k = s->key, end = s->key + s->keylen; k < end; k += n + 1) {
			n = strnlen(k, (size_t)(end - k));
			if (*k == 'a')
				snprintf(acct, sizeof(acct), "%.*s",
				    (int)(n - 1), k + 1);
			else
				snprintf(who, sizeof(who), "%s%.*s", *k == 'o' ?
				    "operator:" : *k == 'c' ? "client:" :
				    "unsigned", *k == 'n' ? 0 : (int)(n - 1),
				    k + 1);
		}
		l.rule = st->pol->rules[d->rule].id;
		l.budget = desc;
		l.account = acct;
		l.who = who;
		l.left = left;
		fn(arg, &l);
	}
}

void
pb_describe(const struct pol_budget *b, char *buf, size_t len)
{
	char		 ub[24], amt[32];
	const char	*per;

	switch (b->per & (PB_PER_ACCOUNT | PB_PER_CLIENT)) {
	case PB_PER_ACCOUNT:
		per = " per account";
		break;
	case PB_PER_CLIENT:
		per = " per client";
		break;
	case PB_PER_ACCOUNT | PB_PER_CLIENT:
		per = " per account client";
		break;
	default:
		per = "";
		break;
	}
	switch (b->kind) {
	case PB_RATE:
		snprintf(buf, len, "rate %llu/%s burst %llu%s",
		    (unsigned long long)b->amount,
		    pb_unit(b->window_s, ub, sizeof(ub)),
		    (unsigned long long)(b->burst ? b->burst : b->amount), per);
		break;
	case PB_COUNT:
		snprintf(buf, len, "limit %llu/%s%s",
		    (unsigned long long)b->amount,
		    pb_unit(b->window_s, ub, sizeof(ub)), per);
		break;
	case PB_SUM:
		pb_units_str(b->amount, amt, sizeof(amt));
		snprintf(buf, len, "limit %s %s/%s%s", b->field, amt,
		    pb_unit(b->window_s, ub, sizeof(ub)), per);
		break;
	}
}
