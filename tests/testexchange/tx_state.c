/*
 * The exchange's state: credentials per (address, nonce), builder keys,
 * invitation codes, per-address flags, balances, notifications, Omnia
 * keys and bearer tokens, markets and orders.  Elements are individually
 * allocated, so a pointer to one stays valid until that element is
 * removed.  Secrets are wiped when they are freed.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/keccak.h"
#include "tests/testexchange/tx.h"

#define TOKEN_DIGITS	78	/* decimal digits of 2^256-1 */
#define FEE_MAX		1000	/* bps: the exchange contract's cap */

static const char *const ticks[] = { NULL, "0.1", "0.01", "0.001",
	"0.0001" };

static void	cred_free(struct tx_cred *);
static void	okey_free(struct tx_okey *);
static void	notif_free(struct tx_notif *);
static void	vec_free(struct tx_vec *, void (*)(void *));
static void	free_wipe_invite(void *);
static void	free_plain(void *);
static void	free_cred(void *);
static void	free_okey(void *);
static void	free_notif(void *);
static void	free_token(void *);
static void	token_hash(const char *, uint8_t[32]);

int
tx_vec_push(struct tx_vec *v, void *p)
{
	void	**nv;
	size_t	  ncap;

	if (v->n == v->cap) {
		ncap = v->cap == 0 ? 16 : v->cap * 2;
		if ((nv = reallocarray(v->v, ncap, sizeof(*nv))) == NULL)
			return CV_ERR_NOMEM;
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = p;
	return 0;
}

void
tx_vec_remove(struct tx_vec *v, size_t i)
{
	if (i >= v->n)
		return;
	memmove(&v->v[i], &v->v[i + 1], (v->n - i - 1) * sizeof(v->v[0]));
	v->n--;
}

static void
vec_free(struct tx_vec *v, void (*fn)(void *))
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		fn(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static void
cred_free(struct tx_cred *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void
okey_free(struct tx_okey *k)
{
	if (k == NULL)
		return;
	sodium_memzero(k, sizeof(*k));
	free(k);
}

static void
notif_free(struct tx_notif *n)
{
	if (n == NULL)
		return;
	free(n->payload);
	free(n);
}

static void
free_wipe_invite(void *p)
{
	if (p != NULL)
		sodium_memzero(p, sizeof(struct tx_invite));
	free(p);
}

static void
free_plain(void *p)
{
	free(p);
}

static void
free_cred(void *p)
{
	cred_free(p);
}

static void
free_okey(void *p)
{
	okey_free(p);
}

static void
free_notif(void *p)
{
	notif_free(p);
}

static void
free_token(void *p)
{
	if (p != NULL)
		sodium_memzero(p, sizeof(struct tx_token));
	free(p);
}

void
tx_state_init(struct tx_state *st)
{
	memset(st, 0, sizeof(*st));
	st->next_notif = 1;
}

void
tx_state_free(struct tx_state *st)
{
	vec_free(&st->invites, free_wipe_invite);
	vec_free(&st->accounts, free_plain);
	vec_free(&st->creds, free_cred);
	vec_free(&st->balances, free_plain);
	vec_free(&st->notifs, free_notif);
	vec_free(&st->okeys, free_okey);
	vec_free(&st->tokens, free_token);
	vec_free(&st->markets, free_plain);
	vec_free(&st->orders, free_plain);
}

void
tx_uuid(char out[TX_UUID_LEN])
{
	uint8_t	b[16];
	char	hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	hex_encode(b, sizeof(b), hex);
	snprintf(out, TX_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
}

void
tx_new_secret(char out[TX_SECRET_LEN])
{
	uint8_t	b[32];

	randombytes_buf(b, sizeof(b));
	/* 32 bytes always fit TX_SECRET_LEN; a failure would be a bug. */
	if (b64url_encode(b, sizeof(b), out, TX_SECRET_LEN) != 0)
		abort();
	sodium_memzero(b, sizeof(b));
}

void
tx_new_passphrase(char out[TX_PASS_LEN])
{
	uint8_t	b[32];

	randombytes_buf(b, sizeof(b));
	hex_encode(b, sizeof(b), out);
	sodium_memzero(b, sizeof(b));
}

struct tx_account *
tx_account_get(struct tx_state *st, const uint8_t addr[ETH_ADDR_LEN],
    int create)
{
	struct tx_account	*a;
	size_t			 i;

	for (i = 0; i < st->accounts.n; i++) {
		a = st->accounts.v[i];
		if (memcmp(a->addr, addr, ETH_ADDR_LEN) == 0)
			return a;
	}
	if (!create || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	memcpy(a->addr, addr, ETH_ADDR_LEN);
	tx_uuid(a->builder_id);
	if (tx_vec_push(&st->accounts, a) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

int
tx_invite_add(struct tx_state *st, const char *code, int64_t expires)
{
	struct tx_invite	*inv;
	size_t			 i, len = strlen(code);

	if (len == 0 || len > TX_CODE_MAX)
		return CV_ERR_INVALID;
	for (i = 0; i < len; i++)
		if (code[i] < 0x21 || code[i] > 0x7e)
			return CV_ERR_INVALID;
	for (i = 0; i < st->invites.n; i++) {
		inv = st->invites.v[i];
		if (strcmp(inv->code, code) == 0)
			return CV_ERR_EXISTS;
	}
	if ((inv = calloc(1, sizeof(*inv))) == NULL)
		return CV_ERR_NOMEM;
	memcpy(inv->code, code, len + 1);
	inv->expires = expires;
	if (tx_vec_push(&st->invites, inv) != 0) {
		free_wipe_invite(inv);
		return CV_ERR_NOMEM;
	}
	return 0;
}

int
tx_invite_use(struct tx_state *st, const char *code, int64_t now)
{
	struct tx_invite	*inv, *hit = NULL;
	size_t			 i;

	/* Every code is compared, in constant time, whatever matches. */
	for (i = 0; i < st->invites.n; i++) {
		inv = st->invites.v[i];
		if (tx_streq_ct(inv->code, code))
			hit = inv;
	}
	if (hit == NULL || hit->used)
		return CV_ERR_NOTFOUND;
	if (hit->expires != 0 && now >= hit->expires)
		return CV_ERR_STALE;
	hit->used = 1;
	return 0;
}

struct tx_cred *
tx_cred_by_nonce(struct tx_state *st, const uint8_t addr[ETH_ADDR_LEN],
    uint64_t nonce)
{
	struct tx_cred	*c;
	size_t		 i;

	for (i = 0; i < st->creds.n; i++) {
		c = st->creds.v[i];
		if (c->kind == TX_CRED_API && c->nonce == nonce &&
		    memcmp(c->addr, addr, ETH_ADDR_LEN) == 0)
			return c;
	}
	return NULL;
}

struct tx_cred *
tx_cred_by_key(struct tx_state *st, enum tx_cred_kind kind, const char *key)
{
	struct tx_cred	*c;
	size_t		 i;

	for (i = 0; i < st->creds.n; i++) {
		c = st->creds.v[i];
		if (c->kind == kind && strcmp(c->key, key) == 0)
			return c;
	}
	return NULL;
}

int
tx_cred_new(struct tx_state *st, enum tx_cred_kind kind,
    const uint8_t addr[ETH_ADDR_LEN], uint64_t nonce, const char *builder_id,
    int64_t now, int64_t valid_from_ms, struct tx_cred **out)
{
	struct tx_cred	*c = NULL;
	int		 r = CV_ERR_INTERNAL;

	*out = NULL;
	if (builder_id != NULL && strlen(builder_id) > TX_ID_MAX) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	c->kind = kind;
	memcpy(c->addr, addr, ETH_ADDR_LEN);
	c->nonce = kind == TX_CRED_API ? nonce : 0;
	tx_uuid(c->key);
	tx_new_secret(c->secret);
	tx_new_passphrase(c->passphrase);
	if (builder_id != NULL)
		memcpy(c->builder_id, builder_id, strlen(builder_id) + 1);
	c->created = now;
	c->valid_from_ms = valid_from_ms;
	if ((r = tx_vec_push(&st->creds, c)) != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
 out:
	cred_free(c);
	return r;
}

void
tx_cred_delete(struct tx_state *st, struct tx_cred *c)
{
	size_t	i;

	for (i = 0; i < st->creds.n; i++) {
		if (st->creds.v[i] == c) {
			tx_vec_remove(&st->creds, i);
			cred_free(c);
			return;
		}
	}
}

struct tx_balance *
tx_balance_get(struct tx_state *st, const uint8_t addr[ETH_ADDR_LEN],
    enum tx_asset asset, const char *token_id, int create)
{
	struct tx_balance	*b;
	size_t			 i;

	if (strlen(token_id) >= TX_TOKENID_LEN)
		return NULL;
	for (i = 0; i < st->balances.n; i++) {
		b = st->balances.v[i];
		if (b->asset == asset && strcmp(b->token_id, token_id) == 0 &&
		    memcmp(b->addr, addr, ETH_ADDR_LEN) == 0)
			return b;
	}
	if (!create || (b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	memcpy(b->addr, addr, ETH_ADDR_LEN);
	b->asset = asset;
	memcpy(b->token_id, token_id, strlen(token_id) + 1);
	memcpy(b->chain, "0", 2);
	memcpy(b->cached, "0", 2);
	memcpy(b->allowance, "0", 2);
	if (tx_vec_push(&st->balances, b) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

int
tx_notif_add(struct tx_state *st, const uint8_t addr[ETH_ADDR_LEN], int type,
    const char *payload, int64_t ts, uint64_t *id)
{
	struct tx_notif	*n = NULL;
	int		 r = CV_ERR_NOMEM;

	*id = 0;
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->payload = strdup(payload)) == NULL)
		goto out;
	n->id = st->next_notif;
	memcpy(n->addr, addr, ETH_ADDR_LEN);
	n->type = type;
	n->ts = ts;
	if ((r = tx_vec_push(&st->notifs, n)) != 0)
		goto out;
	st->next_notif++;
	*id = n->id;
	n = NULL;
	r = 0;
 out:
	notif_free(n);
	return r;
}

size_t
tx_notif_drop(struct tx_state *st, const uint8_t addr[ETH_ADDR_LEN],
    const uint64_t *ids, size_t nids)
{
	struct tx_notif	*n;
	size_t		 i, j, dropped = 0;
	int		 hit;

	for (i = 0; i < st->notifs.n; ) {
		n = st->notifs.v[i];
		hit = 0;
		if (memcmp(n->addr, addr, ETH_ADDR_LEN) == 0) {
			hit = nids == 0;
			for (j = 0; j < nids && !hit; j++)
				hit = ids[j] == n->id;
		}
		if (hit) {
			tx_vec_remove(&st->notifs, i);
			notif_free(n);
			dropped++;
		} else
			i++;
	}
	return dropped;
}

struct tx_okey *
tx_okey_by_id(struct tx_state *st, const char *id)
{
	struct tx_okey	*k;
	size_t		 i;

	for (i = 0; i < st->okeys.n; i++) {
		k = st->okeys.v[i];
		if (strcmp(k->id, id) == 0)
			return k;
	}
	return NULL;
}

int
tx_okey_new(struct tx_state *st, const char *account, const char *label,
    char perms[][TX_PERM_LEN], size_t nperms, int64_t now,
    int64_t valid_from_ms, struct tx_okey **out)
{
	struct tx_okey	*k = NULL;
	size_t		 i;
	int		 r = CV_ERR_INTERNAL;

	*out = NULL;
	if (strlen(label) > TX_LABEL_MAX || nperms > TX_PERM_MAX ||
	    (account != NULL && strlen(account) >= TX_UUID_LEN)) {
		r = CV_ERR_INVALID;
		goto out;
	}
	for (i = 0; i < nperms; i++) {
		if (strlen(perms[i]) >= TX_PERM_LEN) {
			r = CV_ERR_INVALID;
			goto out;
		}
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	tx_uuid(k->id);
	tx_new_secret(k->secret);
	if (account != NULL)
		memcpy(k->account, account, strlen(account) + 1);
	else
		tx_uuid(k->account);
	memcpy(k->label, label, strlen(label) + 1);
	for (i = 0; i < nperms; i++)
		memcpy(k->perms[i], perms[i], strlen(perms[i]) + 1);
	k->nperms = nperms;
	k->created = now;
	k->valid_from_ms = valid_from_ms;
	if ((r = tx_vec_push(&st->okeys, k)) != 0)
		goto out;
	*out = k;
	k = NULL;
	r = 0;
 out:
	okey_free(k);
	return r;
}

void
tx_okey_rotate(struct tx_state *st, struct tx_okey *k, int64_t valid_from_ms)
{
	struct tx_token	*t;
	size_t		 i;

	sodium_memzero(k->secret, sizeof(k->secret));
	tx_new_secret(k->secret);
	k->valid_from_ms = valid_from_ms;
	for (i = 0; i < st->tokens.n; ) {
		t = st->tokens.v[i];
		if (strcmp(t->key_id, k->id) == 0) {
			tx_vec_remove(&st->tokens, i);
			free_token(t);
		} else
			i++;
	}
}

static void
token_hash(const char *token, uint8_t out[32])
{
	crypto_generichash(out, 32, (const uint8_t *)token, strlen(token),
	    NULL, 0);
}

int
tx_token_new(struct tx_state *st, const struct tx_okey *k, int64_t now,
    int64_t lifetime, char **token, int64_t *exp)
{
	json_t		*hdr = NULL, *claims = NULL;
	char		*h = NULL, *c = NULL, *tok = NULL;
	char		 jti[TX_UUID_LEN];
	char		 hb[128], cb[512], sb[B64_ENCODED_SIZE(256)];
	uint8_t		 sig[256];
	struct tx_token	*t = NULL;
	size_t		 len, i;
	int		 r = CV_ERR_NOMEM;

	*token = NULL;
	*exp = now + lifetime;
	/*
	 * Shaped like the RS256 JWT the real server issues, so a client
	 * that reads "exp" from it can; its signature part is random
	 * bytes, since the server recognizes its tokens by their hash.
	 */
	tx_uuid(jti);
	if ((hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT")) ==
	    NULL || (claims = json_pack("{s:s, s:s, s:I, s:I, s:s}", "sub",
	    k->id, "acc", k->account, "iat", (json_int_t)now, "exp",
	    (json_int_t)*exp, "jti", jti)) == NULL ||
	    (h = json_dumps(hdr, JSON_COMPACT)) == NULL ||
	    (c = json_dumps(claims, JSON_COMPACT)) == NULL)
		goto out;
	randombytes_buf(sig, sizeof(sig));
	if ((r = b64url_encode((const uint8_t *)h, strlen(h), hb,
	    sizeof(hb))) != 0 ||
	    (r = b64url_encode((const uint8_t *)c, strlen(c), cb,
	    sizeof(cb))) != 0 ||
	    (r = b64url_encode(sig, sizeof(sig), sb, sizeof(sb))) != 0)
		goto out;
	/* JWTs use base64url without padding. */
	hb[strcspn(hb, "=")] = '\0';
	cb[strcspn(cb, "=")] = '\0';
	sb[strcspn(sb, "=")] = '\0';
	len = strlen(hb) + strlen(cb) + strlen(sb) + 3;
	r = CV_ERR_NOMEM;
	if ((tok = malloc(len)) == NULL ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		goto out;
	snprintf(tok, len, "%s.%s.%s", hb, cb, sb);
	token_hash(tok, t->hash);
	memcpy(t->key_id, k->id, sizeof(t->key_id));
	t->exp = *exp;
	/* Expired tokens are forgotten as new ones are minted. */
	for (i = 0; i < st->tokens.n; ) {
		struct tx_token *o = st->tokens.v[i];

		if (o->exp <= now) {
			tx_vec_remove(&st->tokens, i);
			free_token(o);
		} else
			i++;
	}
	if ((r = tx_vec_push(&st->tokens, t)) != 0)
		goto out;
	t = NULL;
	*token = tok;
	tok = NULL;
	r = 0;
 out:
	json_decref(hdr);
	json_decref(claims);
	free(h);
	free(c);
	free(tok);
	free_token(t);
	return r;
}

int
tx_token_check(struct tx_state *st, const char *token, int64_t now,
    struct tx_okey **out)
{
	struct tx_token	*t, *hit = NULL;
	uint8_t		 h[32];
	size_t		 i;

	*out = NULL;
	token_hash(token, h);
	for (i = 0; i < st->tokens.n; i++) {
		t = st->tokens.v[i];
		if (sodium_memcmp(t->hash, h, sizeof(h)) == 0)
			hit = t;
	}
	if (hit == NULL || (*out = tx_okey_by_id(st, hit->key_id)) == NULL)
		return CV_ERR_NOTFOUND;
	if (now >= hit->exp) {
		*out = NULL;
		return CV_ERR_STALE;
	}
	return 0;
}

int
tx_tick_parse(const char *s)
{
	int	i;

	for (i = 1; i < (int)(sizeof(ticks) / sizeof(ticks[0])); i++)
		if (strcmp(s, ticks[i]) == 0)
			return i;
	return -1;
}

const char *
tx_tick_str(const struct tx_market *m)
{
	return ticks[m->tick_dec];
}

struct tx_market *
tx_market_get(struct tx_state *st, const char *token)
{
	struct tx_market	*m;
	size_t			 i;

	for (i = 0; i < st->markets.n; i++) {
		m = st->markets.v[i];
		if (strcmp(m->token, token) == 0)
			return m;
	}
	return NULL;
}

int
tx_market_set(struct tx_state *st, const char *token, int tick_dec,
    int neg_risk, unsigned int fee_bps)
{
	struct tx_market	*m;
	uint8_t			 h[KECCAK256_LEN];
	size_t			 i, len = strlen(token);

	if (len == 0 || len > TOKEN_DIGITS || (token[0] == '0' && len > 1) ||
	    tick_dec < 1 || tick_dec > 4 || fee_bps > FEE_MAX)
		return CV_ERR_INVALID;
	for (i = 0; i < len; i++)
		if (token[i] < '0' || token[i] > '9')
			return CV_ERR_INVALID;
	if ((m = tx_market_get(st, token)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return CV_ERR_NOMEM;
		if (tx_vec_push(&st->markets, m) != 0) {
			free(m);
			return CV_ERR_NOMEM;
		}
		memcpy(m->token, token, len + 1);
		/* A stable condition id of the test exchange's own making. */
		keccak256((const uint8_t *)token, len, h);
		memcpy(m->market, "0x", 2);
		hex_encode(h, sizeof(h), m->market + 2);
	}
	m->tick_dec = tick_dec;
	m->neg_risk = neg_risk != 0;
	m->fee_bps = fee_bps;
	return 0;
}

int
tx_market_spec(struct tx_state *st, const char *spec)
{
	char		 buf[TX_TOKENID_LEN + 64], *tok, *p, *end;
	int		 tick = 2, neg = 0, have_fee = 0;
	unsigned long	 fee = 0;

	if (strlen(spec) >= sizeof(buf))
		return CV_ERR_INVALID;
	memcpy(buf, spec, strlen(spec) + 1);
	tok = buf;
	if ((p = strchr(buf, ':')) != NULL) {
		*p++ = '\0';
		end = strchr(p, ':');
		if (end != NULL)
			*end = '\0';
		if ((tick = tx_tick_parse(p)) == -1)
			return CV_ERR_INVALID;
		/* Then "negrisk" and "fee=BPS", each at most once. */
		for (p = end; p != NULL; p = end) {
			p++;
			if ((end = strchr(p, ':')) != NULL)
				*end = '\0';
			if (strcmp(p, "negrisk") == 0 && !neg)
				neg = 1;
			else if (strncmp(p, "fee=", 4) == 0 && !have_fee &&
			    p[4] >= '0' && p[4] <= '9' && strlen(p + 4) <= 4) {
				fee = strtoul(p + 4, &p, 10);
				if (*p != '\0')
					return CV_ERR_INVALID;
				have_fee = 1;
			} else
				return CV_ERR_INVALID;
		}
	}
	return tx_market_set(st, tok, tick, neg, (unsigned int)(fee > FEE_MAX ?
	    FEE_MAX + 1 : fee));
}

struct tx_order *
tx_order_by_id(struct tx_state *st, const char *id)
{
	struct tx_order	*o;
	size_t		 i;

	for (i = 0; i < st->orders.n; i++) {
		o = st->orders.v[i];
		if (strcmp(o->id, id) == 0)
			return o;
	}
	return NULL;
}

struct tx_order *
tx_order_by_hash(struct tx_state *st, const uint8_t hash[32])
{
	struct tx_order	*o;
	size_t		 i;

	for (i = 0; i < st->orders.n; i++) {
		o = st->orders.v[i];
		if (memcmp(o->hash, hash, 32) == 0)
			return o;
	}
	return NULL;
}

int
tx_order_add(struct tx_state *st, struct tx_order *o)
{
	return tx_vec_push(&st->orders, o);
}
