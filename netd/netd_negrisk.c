/*
 * Which tokens are of neg-risk markets, as the exchange's answers that
 * passed through the gateway said (GET /neg-risk?token_id=X: {"neg_risk":
 * bool}; GET /book?token_id=X: a "neg_risk" member), so that an order's
 * MSG_GW_REQ can tell vaultd which exchange contract its signature is
 * for.  Only what the exchange answered is believed; a token never
 * asked about is unknown.
 *
 * The table holds a keyed SipHash of each token id (the key random per
 * start, so no bot can make two ids collide), NEGRISK_MAX of them in
 * NEGRISK_SLOTS slots; when full it starts anew rather than keep an
 * order of use: bots ask again about the tokens they trade.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "netd/netd_gw.h"

void
negrisk_init(struct negrisk *n)
{
	memset(n, 0, sizeof(*n));
	randombytes_buf(n->key, sizeof(n->key));
}

static uint64_t
negrisk_hash(const struct negrisk *n, const char *token, size_t len)
{
	uint8_t		out[crypto_shorthash_BYTES];
	uint64_t	h;

	crypto_shorthash(out, (const unsigned char *)token, len, n->key);
	memcpy(&h, out, sizeof(h));
	return h != 0 ? h : 1;
}

/* The slot of h: its own, or the empty one it would take. */
static size_t
negrisk_slot(const struct negrisk *n, uint64_t h)
{
	size_t	i = (size_t)h & (NEGRISK_SLOTS - 1);

	while (n->v[i] != 0 && n->h[i] != h)
		i = (i + 1) & (NEGRISK_SLOTS - 1);
	return i;
}

void
negrisk_set(struct negrisk *n, const char *token, size_t len, int yes)
{
	uint64_t	h = negrisk_hash(n, token, len);
	size_t		i = negrisk_slot(n, h);

	if (n->v[i] == 0) {
		if (n->n == NEGRISK_MAX) {
			memset(n->h, 0, sizeof(n->h));
			memset(n->v, 0, sizeof(n->v));
			n->n = 0;
			i = negrisk_slot(n, h);
		}
		n->h[i] = h;
		n->n++;
	}
	n->v[i] = yes ? 2 : 1;
}

int
negrisk_get(const struct negrisk *n, const char *token, size_t len)
{
	size_t	i = negrisk_slot(n, negrisk_hash(n, token, len));

	return n->v[i] == 0 ? -1 : n->v[i] == 2;
}

/* A token id as the exchange writes it: letters and digits, bounded. */
static int
negrisk_token_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > NEGRISK_TOKEN_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

int
negrisk_orders(const struct negrisk *n, const uint8_t *body, size_t len)
{
	json_t		*j, *one, *t;
	const char	*s;
	size_t		 i, count;
	int		 yes = 0, no = 0, v;

	if (body == NULL || len == 0 || (j = json_loadb((const char *)body,
	    len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return GW_NEGRISK_UNKNOWN;
	count = json_is_array(j) ? json_array_size(j) : 1;
	if (count > NEGRISK_ORDERS_MAX) {
		json_decref(j);
		return GW_NEGRISK_UNKNOWN;
	}
	for (i = 0; i < count; i++) {
		one = json_is_array(j) ? json_array_get(j, i) : j;
		t = json_object_get(json_object_get(one, "order"), "tokenId");
		if ((s = json_string_value(t)) == NULL ||
		    !negrisk_token_ok(s, json_string_length(t)) ||
		    (v = negrisk_get(n, s, json_string_length(t))) < 0) {
			json_decref(j);
			return GW_NEGRISK_UNKNOWN;
		}
		if (v)
			yes++;
		else
			no++;
	}
	json_decref(j);
	if (yes > 0 && no == 0)
		return GW_NEGRISK_YES;
	if (no > 0 && yes == 0)
		return GW_NEGRISK_NO;
	return yes > 0 ? GW_NEGRISK_MIXED : GW_NEGRISK_UNKNOWN;
}

int
negrisk_target(const char *target, size_t len, char *out, size_t outlen,
    int *book)
{
	const char	*val;
	size_t		 pathlen, vlen;

	pathlen = strcspn(target, "?");
	if (pathlen >= len)
		return 0;
	if (pathlen == 9 && memcmp(target, "/neg-risk", 9) == 0)
		*book = 0;
	else if (pathlen == 5 && memcmp(target, "/book", 5) == 0)
		*book = 1;
	else
		return 0;
	/*
	 * The query must be token_id=TOKEN and nothing else: with another
	 * parameter beside it (token%5Fid=B, say) the exchange might read
	 * another token than we do, and its answer would be kept for the
	 * wrong one.
	 */
	if (len - pathlen - 1 < 9 || memcmp(target + pathlen + 1,
	    "token_id=", 9) != 0)
		return 0;
	val = target + pathlen + 10;
	vlen = len - pathlen - 10;
	if (!negrisk_token_ok(val, vlen) || vlen >= outlen)
		return 0;
	memcpy(out, val, vlen);
	out[vlen] = '\0';
	return 1;
}

void
negrisk_learn(struct negrisk *n, const char *token, const uint8_t *body,
    size_t len)
{
	json_t	*j, *v;

	if (body == NULL || len == 0 || (j = json_loadb((const char *)body,
	    len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return;
	if (json_is_boolean(v = json_object_get(j, "neg_risk")))
		negrisk_set(n, token, strlen(token), json_is_true(v));
	json_decref(j);
}
