/*
 * The budgets file's counters and its lines: the copy of a policy's
 * counters a checkpoint takes on vaultd's loop, and the file written
 * from it (on the loop, or by a thread while signing goes on).  Apart
 * from vaultd_budget.c so that bench_budget times this very code.
 *
 * The file: BUDGET_MAGIC, "key AUDITKEY", "policy DIGEST", "seq S" (the
 * head, made by the caller), then one line a counter,
 *
 *	DEF w|r WINDOW VALUE LAST_MS KEYHEX
 *
 * (KEYHEX "-" for an empty key; WINDOW 0 for a bucket), then one a
 * budget held (policy_state_hold: its charges could not all be read
 * back), until the ms UNTIL,
 *
 *	DEF h UNTIL 0 0 -
 *
 * then "end".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/encode.h"
#include "vaultd/vaultd_budget_copy.h"

void
vaultd_budget_copy_reset(struct vd_budget_copy *c)
{
	c->n = c->klen = 0;
	c->nomem = 0;
}

void
vaultd_budget_copy_free(struct vd_budget_copy *c)
{
	if (c == NULL)
		return;
	free(c->c);
	free(c->keys);
	c->c = NULL;
	c->keys = NULL;
	c->n = c->cap = c->klen = c->kcap = 0;
}

void
vaultd_budget_copy_one(void *arg, uint32_t def, uint32_t slot, int rate,
    const char *key, size_t keylen, int64_t window, uint64_t val,
    uint64_t max, int64_t last_ms)
{
	struct vd_budget_copy	*c = arg;
	struct vd_budget_ctr	*nc;
	char			*nk;
	size_t			 cap;

	if (keylen > BUDGET_KEY_MAX || c->nomem)
		return;
	if (c->held != NULL && rate >= 0)
		val = c->held(c->held_arg, def, slot, rate, window, val, max);
	/*
	 * A charge given back before a crash counts again after it: a
	 * count may stand past its limit, and a value past the budget
	 * makes the next start refuse the whole file.  At the limit, it
	 * admits nothing all the same.
	 */
	if (val > max)
		val = max;
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 256;
		if ((nc = reallocarray(c->c, cap, sizeof(*nc))) == NULL) {
			c->nomem = 1;
			return;
		}
		c->c = nc;
		c->cap = cap;
	}
	if (c->kcap - c->klen < keylen) {
		cap = c->kcap ? c->kcap : 4096;
		while (cap - c->klen < keylen)
			cap *= 2;
		if ((nk = realloc(c->keys, cap)) == NULL) {
			c->nomem = 1;
			return;
		}
		c->keys = nk;
		c->kcap = cap;
	}
	memcpy(c->keys + c->klen, key, keylen);
	nc = &c->c[c->n++];
	nc->def = def;
	nc->rate = rate;
	nc->window = rate > 0 ? 0 : window;
	nc->val = val;
	nc->last_ms = last_ms;
	nc->keyoff = c->klen;
	nc->keylen = keylen;
	c->klen += keylen;
}

void
vaultd_budget_copy_hold(void *arg, uint32_t def, int64_t until_ms)
{
	vaultd_budget_copy_one(arg, def, UINT32_MAX, -1, "", 0, until_ms, 0,
	    0, 0);
}

/* A line of the file, hashed as it is written. */
static int
copy_line(FILE *f, crypto_generichash_state *h, const char *line, int n)
{
	if (n < 0 || (size_t)n >= BUDGET_LINE + 2)
		return -1;
	crypto_generichash_update(h, (const uint8_t *)line, (size_t)n);
	return fwrite(line, 1, (size_t)n, f) == (size_t)n ? 0 : -1;
}

int
vaultd_budget_copy_write(const struct vd_budget_copy *c, const char *head,
    FILE *f, uint8_t hash[AUDIT_HASH_LEN])
{
	crypto_generichash_state	 h;
	const struct vd_budget_ctr	*k;
	char				 line[BUDGET_LINE + 2];
	char				 hex[2 * BUDGET_KEY_MAX + 1];
	size_t				 i;
	int				 bad = 0;

	crypto_generichash_init(&h, NULL, 0, AUDIT_HASH_LEN);
	bad |= copy_line(f, &h, head, (int)strlen(head));
	for (i = 0; i < c->n && !bad; i++) {
		k = &c->c[i];
		hex_encode((const uint8_t *)c->keys + k->keyoff, k->keylen,
		    hex);
		bad |= copy_line(f, &h, line, snprintf(line, sizeof(line),
		    "%u %c %lld %llu %lld %s\n", k->def, k->rate < 0 ? 'h' :
		    k->rate ? 'r' : 'w',
		    (long long)k->window, (unsigned long long)k->val,
		    (long long)k->last_ms, k->keylen > 0 ? hex : "-"));
	}
	bad |= copy_line(f, &h, "end\n", 4);
	crypto_generichash_final(&h, hash, AUDIT_HASH_LEN);
	return bad ? -1 : 0;
}
