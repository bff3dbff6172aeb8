#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/secp.h"
#include "signerd/signerd_sign.h"

#define NONCE_DIGITS	20	/* UINT64_MAX */

static int	req_shape(const struct sign_req *, size_t) CV_WUR;
static int	clock_check(const struct sign_req *, int64_t, int64_t) CV_WUR;
static int	method_valid(const char *);
static int	path_valid(const char *, size_t) CV_WUR;
static int	account_valid(const char *) CV_WUR;
static int	timestamp_parse(const char *, int64_t *) CV_WUR;
static int	value_valid(const char *) CV_WUR;
static int	address_valid(const char *) CV_WUR;
static int	clob_profile(const struct profile *);
static size_t	signed_path(const struct profile *, const char *, size_t,
		    char[SIGN_PATH_MAX + 1]);
static int	headers_room(const struct sign_headers *, size_t) CV_WUR;
static int	header_add(struct sign_headers *, const char *,
		    const char *, const char *) CV_WUR;
static void	headers_truncate(struct sign_headers *, size_t);
static int	l1_prepare(const struct profile *, const struct sign_req *,
		    const char *, int *) CV_WUR;
static int	l1_sign(struct secp256k1_context_struct *,
		    const struct sign_wallet *, const struct profile *,
		    const struct sign_req *, const char *,
		    struct sign_headers *) CV_WUR;
static int	hmac_set(const struct profile *, const char *, const char *,
		    const char *, const uint8_t *, size_t, const char *,
		    const struct sign_req *, struct sign_headers *) CV_WUR;

/* The four methods the exchanges' SDKs use, spelled as sent. */
static int
method_valid(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 ||
	    strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0;
}

/*
 * An origin-form request target: '/' first, then visible ASCII only, so
 * nothing can end the request line or smuggle a second one.  A fragment
 * is never sent, so a '#' means the bytes are not what goes out.
 */
static int
path_valid(const char *path, size_t len)
{
	size_t	i;

	if (len == 0 || path[0] != '/')
		return CV_ERR_INVALID;
	if (len > SIGN_PATH_MAX)
		return CV_ERR_TOOLONG;
	for (i = 0; i < len; i++)
		if (path[i] < 0x21 || path[i] > 0x7e || path[i] == '#')
			return CV_ERR_INVALID;
	return 0;
}

/* The vault's account names: 1 to 64 of [A-Za-z0-9._:@-]. */
static int
account_valid(const char *a)
{
	size_t	i;

	for (i = 0; a[i] != '\0'; i++) {
		if (i >= SIGN_ACCOUNT_MAX)
			return CV_ERR_TOOLONG;
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		    (a[i] >= 'A' && a[i] <= 'Z') ||
		    (a[i] >= '0' && a[i] <= '9') ||
		    strchr("._:@-", a[i]) != NULL))
			return CV_ERR_INVALID;
	}
	return i > 0 ? 0 : CV_ERR_INVALID;
}

/*
 * Canonical decimal Unix seconds: digits only, no sign, no leading zero,
 * at most CLOB_TIMESTAMP_MAX digits and INT64_MAX.  The text is what is
 * signed and sent, so there is exactly one spelling of each instant.
 */
static int
timestamp_parse(const char *ts, int64_t *v)
{
	uint64_t	acc = 0;
	size_t		i;

	*v = 0;
	if (ts[0] == '\0' || (ts[0] == '0' && ts[1] != '\0'))
		return CV_ERR_INVALID;
	for (i = 0; ts[i] != '\0'; i++) {
		if (i >= CLOB_TIMESTAMP_MAX || ts[i] < '0' || ts[i] > '9')
			return CV_ERR_INVALID;
		if (acc > ((uint64_t)INT64_MAX - (uint64_t)(ts[i] - '0')) / 10)
			return CV_ERR_INVALID;
		acc = acc * 10 + (uint64_t)(ts[i] - '0');
	}
	*v = (int64_t)acc;
	return 0;
}

/*
 * An L2 (or builder) signature is an HMAC over timestamp, method, path
 * and body run together, so it is as good for any other split of the
 * same bytes between path and body: "GET /balance-allowance" with the
 * body "/update" is signed as "GET /balance-allowance/update", "DELETE
 * /order" with "s[...]" as "DELETE /orders" with "[...]".  A request
 * whose body could be a path's tail is not signed: a GET has none, and
 * a body is JSON text, an object or an array, so that the bytes moved
 * would have to end the other path with '{' or '['.  A query (which
 * Openfish signs) is where such an end would be read as the same
 * endpoint: "DELETE /cancel-market-orders?x=" with '{"market":"B"}' is
 * signed as the same path with the query 'x={"market":"B"}' and no
 * body, and "?x={" with '"market":"B"}' then the body.  So a query
 * holds no '{' or '[' (its tail could be a body), and a request with
 * a query has no body (the body's head could be the query's tail).
 */
static int
hmac_body_valid(const struct sign_req *req)
{
	const char	*q;
	size_t		 qlen;

	if ((q = memchr(req->path, '?', req->pathlen)) != NULL) {
		qlen = req->pathlen - (size_t)(q - req->path);
		if (memchr(q, '{', qlen) != NULL ||
		    memchr(q, '[', qlen) != NULL || req->bodylen > 0)
			return 0;
	}
	if (req->bodylen == 0)
		return 1;
	if (strcmp(req->method, "GET") == 0)
		return 0;
	return req->body[0] == '{' || req->body[0] == '[';
}

/*
 * Everything about req that needs neither the clock nor the catalog.
 * bodymax: SIGN_BODY_MAX for what vaultd asks, SIGN_ORDER_BODY_MAX for
 * what signerd signs (a body of orders it signed may have grown).
 */
static int
req_shape(const struct sign_req *req, size_t bodymax)
{
	int64_t	ts;
	int	r;

	if (req == NULL || req->account == NULL || req->method == NULL ||
	    req->path == NULL || req->timestamp == NULL ||
	    (req->body == NULL && req->bodylen > 0))
		return CV_ERR_INVALID;
	if (req->level != CATALOG_L1 && req->level != CATALOG_L2 &&
	    req->level != CATALOG_BUILDER && req->level != CATALOG_BEARER)
		return CV_ERR_INVALID;
	if ((r = account_valid(req->account)) != 0)
		return r;
	if (!method_valid(req->method))
		return CV_ERR_INVALID;
	if ((r = path_valid(req->path, req->pathlen)) != 0)
		return r;
	if (req->bodylen > bodymax)
		return CV_ERR_TOOLONG;
	if ((req->level == CATALOG_L2 || req->level == CATALOG_BUILDER) &&
	    !hmac_body_valid(req))
		return CV_ERR_INVALID;
	return timestamp_parse(req->timestamp, &ts);
}

int
sign_order_endpoint(const struct sign_req *req)
{
	const struct catalog_entry	*e;

	return req != NULL && req->method != NULL && req->path != NULL &&
	    (e = catalog_findn(req->method, req->path, req->pathlen)) !=
	    NULL && (e->id == EP_POST_ORDER || e->id == EP_POST_ORDERS);
}

/* CV_ERR_STALE when req's timestamp is more than max_skew from now. */
static int
clock_check(const struct sign_req *req, int64_t now, int64_t max_skew)
{
	int64_t	ts;
	int	r;

	if ((r = timestamp_parse(req->timestamp, &ts)) != 0)
		return r;
	/* In unsigned arithmetic: now may be anything an int64_t holds. */
	if ((ts >= now && (uint64_t)ts - (uint64_t)now > (uint64_t)max_skew) ||
	    (ts < now && (uint64_t)now - (uint64_t)ts > (uint64_t)max_skew))
		return CV_ERR_STALE;
	return 0;
}

int
sign_req_check(const struct sign_req *req, int64_t now, int64_t max_skew)
{
	int	r = CV_ERR_INTERNAL;

	if (max_skew < 0) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = req_shape(req, SIGN_BODY_MAX)) != 0)
		goto out;
	/* Denied before stale: a retry cannot make it right. */
	if ((r = catalog_admit(req->method, req->path, req->pathlen,
	    req->level)) != 0)
		goto out;
	r = clock_check(req, now, max_skew);
 out:
	return r;
}

int
sign_order_req_check(const struct sign_req *req, int64_t now,
    int64_t max_skew)
{
	int	r = CV_ERR_INTERNAL;

	if (max_skew < 0) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = req_shape(req, SIGN_BODY_MAX)) != 0)
		goto out;
	if (req->level != CATALOG_L2 || !sign_order_endpoint(req) ||
	    memchr(req->path, '?', req->pathlen) != NULL) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = catalog_admit(req->method, req->path, req->pathlen,
	    req->level)) != 0)
		goto out;
	r = clock_check(req, now, max_skew);
 out:
	return r;
}

/*
 * A header value we are handed (API key, passphrase, invitation code):
 * 1 to SIGN_HDR_VALUE_MAX visible ASCII characters, so it can neither end
 * the header nor be mangled by whitespace trimming on the way.
 */
static int
value_valid(const char *s)
{
	size_t	i;

	if (s == NULL)
		return CV_ERR_INVALID;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= SIGN_HDR_VALUE_MAX)
			return CV_ERR_TOOLONG;
		if (s[i] < 0x21 || s[i] > 0x7e)
			return CV_ERR_INVALID;
	}
	return i > 0 ? 0 : CV_ERR_INVALID;
}

/* "0x" and 40 hex digits in any case: the address text as it goes out. */
static int
address_valid(const char *s)
{
	size_t	i;

	if (s[0] != '0' || s[1] != 'x')
		return CV_ERR_DECODE;
	for (i = 2; i < ETH_ADDR_STRLEN - 1; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return CV_ERR_DECODE;
	return s[i] == '\0' ? 0 : CV_ERR_DECODE;
}

static int
clob_profile(const struct profile *p)
{
	return p != NULL && p->auth == PROFILE_AUTH_CLOB &&
	    p->hdr_prefix != NULL;
}

/* Checked before any signing: a set goes in whole or not at all. */
static int
headers_room(const struct sign_headers *h, size_t need)
{
	if (h == NULL || h->n > SIGN_HDR_MAX)
		return CV_ERR_INVALID;
	return SIGN_HDR_MAX - h->n >= need ? 0 : CV_ERR_TOOLONG;
}

/* Append prefix + suffix = value; every name appears once in h. */
static int
header_add(struct sign_headers *h, const char *prefix, const char *suffix,
    const char *value)
{
	struct sign_header	*e;
	size_t			 i, pl, sl, vl;

	pl = strlen(prefix);
	sl = strlen(suffix);
	vl = strlen(value);
	if (h->n >= SIGN_HDR_MAX || pl + sl > SIGN_HDR_NAME_MAX ||
	    vl > SIGN_HDR_VALUE_MAX)
		return CV_ERR_TOOLONG;
	e = &h->h[h->n];
	memcpy(e->name, prefix, pl);
	memcpy(e->name + pl, suffix, sl + 1);
	for (i = 0; i < h->n; i++) {
		if (strcmp(h->h[i].name, e->name) == 0) {
			sodium_memzero(e, sizeof(*e));
			return CV_ERR_EXISTS;
		}
	}
	memcpy(e->value, value, vl + 1);
	h->n++;
	return 0;
}

/* Undo appends: wipe the entries from n on. */
static void
headers_truncate(struct sign_headers *h, size_t n)
{
	if (h == NULL || n > SIGN_HDR_MAX)
		return;
	sodium_memzero(&h->h[n], (SIGN_HDR_MAX - n) * sizeof(h->h[0]));
	h->n = n;
}

const char *
sign_headers_get(const struct sign_headers *h, const char *name)
{
	size_t	i;

	if (h == NULL || name == NULL)
		return NULL;
	for (i = 0; i < h->n && i < SIGN_HDR_MAX; i++)
		if (strcmp(h->h[i].name, name) == 0)
			return h->h[i].value;
	return NULL;
}

void
sign_headers_clear(struct sign_headers *h)
{
	if (h != NULL)
		sodium_memzero(h, sizeof(*h));
}

int
sign_wallet_init(struct secp256k1_context_struct *ctx,
    const uint8_t seckey[32], struct sign_wallet *w)
{
	int	r = CV_ERR_INTERNAL;

	memset(w, 0, sizeof(*w));
	if (ctx == NULL || seckey == NULL) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = secp_address(ctx, seckey, w->addr)) != 0)
		goto out;
	eth_address_eip55(w->addr, w->addr_text);
	w->seckey = seckey;
	r = 0;
 out:
	if (r != 0)
		memset(w, 0, sizeof(*w));
	return r;
}

/*
 * Everything sign_l1 refuses before the key is touched.  *with_invite is
 * set when the set gets the invitation code header.
 */
static int
l1_prepare(const struct profile *p, const struct sign_req *req,
    const char *invite, int *with_invite)
{
	const struct catalog_entry	*e;
	int				 r;

	*with_invite = 0;
	if ((r = req_shape(req, SIGN_ORDER_BODY_MAX)) != 0)
		return r;
	if (req->level != CATALOG_L1 || !clob_profile(p) || p->chain_id == 0)
		return CV_ERR_INVALID;
	/*
	 * The wallet key signs for the two L1 endpoints and nothing else,
	 * whatever the caller's gate said.
	 */
	if ((e = catalog_findn(req->method, req->path, req->pathlen)) == NULL ||
	    e->auth != CATALOG_L1)
		return CV_ERR_DENIED;
	if (invite != NULL && p->needs_invite && e->invite) {
		if ((r = value_valid(invite)) != 0)
			return r;
		*with_invite = 1;
	}
	return 0;
}

static int
l1_sign(struct secp256k1_context_struct *ctx, const struct sign_wallet *w,
    const struct profile *p, const struct sign_req *req, const char *invite,
    struct sign_headers *h)
{
	uint8_t	digest[32], sig[65];
	char	sighex[CLOB_SIG_HEX_LEN], nonce[NONCE_DIGITS + 1];
	size_t	n0 = h->n;
	int	r = CV_ERR_INTERNAL;

	clob_auth_digest(p->chain_id, w->addr, req->timestamp, req->nonce,
	    digest);
	if ((r = secp_sign(ctx, w->seckey, digest, sig)) != 0)
		goto out;
	sighex[0] = '0';
	sighex[1] = 'x';
	hex_encode(sig, sizeof(sig), sighex + 2);
	snprintf(nonce, sizeof(nonce), "%" PRIu64, req->nonce);

	if ((r = header_add(h, p->hdr_prefix, "ADDRESS",
	    w->addr_text)) != 0 ||
	    (r = header_add(h, p->hdr_prefix, "SIGNATURE", sighex)) != 0 ||
	    (r = header_add(h, p->hdr_prefix, "TIMESTAMP",
	    req->timestamp)) != 0 ||
	    (r = header_add(h, p->hdr_prefix, "NONCE", nonce)) != 0)
		goto out;
	/* The invitation code is a header value by protocol: copied. */
	if (invite != NULL &&
	    (r = header_add(h, p->hdr_prefix, "INVITATION_CODE", invite)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		headers_truncate(h, n0);
	sodium_memzero(digest, sizeof(digest));
	sodium_memzero(sig, sizeof(sig));
	return r;
}

int
sign_l1_wallet(struct secp256k1_context_struct *ctx,
    const struct sign_wallet *w, const struct profile *p,
    const struct sign_req *req, const char *invite, struct sign_headers *h)
{
	int	with_invite, r = CV_ERR_INTERNAL;

	if ((r = l1_prepare(p, req, invite, &with_invite)) != 0)
		goto out;
	if (ctx == NULL || w == NULL || w->seckey == NULL) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = headers_room(h, with_invite ? 5 : 4)) != 0)
		goto out;
	r = l1_sign(ctx, w, p, req, with_invite ? invite : NULL, h);
 out:
	return r;
}

int
sign_l1(struct secp256k1_context_struct *ctx, const uint8_t seckey[32],
    const struct profile *p, const struct sign_req *req, const char *invite,
    struct sign_headers *h)
{
	struct sign_wallet	w;
	int			with_invite, r = CV_ERR_INTERNAL;

	memset(&w, 0, sizeof(w));
	if ((r = l1_prepare(p, req, invite, &with_invite)) != 0)
		goto out;
	if ((r = headers_room(h, with_invite ? 5 : 4)) != 0)
		goto out;
	if ((r = sign_wallet_init(ctx, seckey, &w)) != 0)
		goto out;
	r = l1_sign(ctx, &w, p, req, with_invite ? invite : NULL, h);
 out:
	sodium_memzero(&w, sizeof(w));
	return r;
}

/*
 * Sign exactly what is sent: the whole target where the profile signs
 * the query, the path before '?' where it does not.  path (pathlen at
 * most SIGN_PATH_MAX) is copied NUL-terminated into out; its length.
 */
static size_t
signed_path(const struct profile *p, const char *path, size_t pathlen,
    char out[SIGN_PATH_MAX + 1])
{
	const char	*q;
	size_t		 plen = pathlen;

	if (!p->signs_query && (q = memchr(path, '?', pathlen)) != NULL)
		plen = (size_t)(q - path);
	memcpy(out, path, plen);
	out[plen] = '\0';
	return plen;
}

/*
 * One HMAC set: infix "" for L2, "BUILDER_" for builder; address only for
 * L2 (NULL for builder).  The decoded key is only read, by the MAC.
 */
static int
hmac_set(const struct profile *p, const char *infix, const char *address,
    const char *api_key, const uint8_t *key, size_t keylen,
    const char *passphrase, const struct sign_req *req,
    struct sign_headers *h)
{
	char		 prefix[SIGN_HDR_NAME_MAX + 1];
	char		 sig[CLOB_HMAC_SIG_LEN];
	char		 path[SIGN_PATH_MAX + 1];
	size_t		 n0 = SIZE_MAX;
	int		 n, r = CV_ERR_INTERNAL;

	if ((r = req_shape(req, SIGN_ORDER_BODY_MAX)) != 0)
		goto out;
	if (!clob_profile(p) || key == NULL || keylen == 0) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = value_valid(api_key)) != 0 ||
	    (r = value_valid(passphrase)) != 0)
		goto out;
	if (address != NULL && (r = address_valid(address)) != 0)
		goto out;
	if ((r = headers_room(h, address != NULL ? 5 : 4)) != 0)
		goto out;
	n0 = h->n;
	n = snprintf(prefix, sizeof(prefix), "%s%s", p->hdr_prefix, infix);
	if (n < 0 || (size_t)n >= sizeof(prefix)) {
		r = CV_ERR_TOOLONG;
		goto out;
	}

	signed_path(p, req->path, req->pathlen, path);
	if ((r = clob_hmac_sign(key, keylen, req->timestamp, req->method,
	    path, req->body, req->bodylen, sig)) != 0)
		goto out;

	if (address != NULL &&
	    (r = header_add(h, prefix, "ADDRESS", address)) != 0)
		goto out;
	/* The passphrase is a header value by protocol: copied. */
	if ((r = header_add(h, prefix, "API_KEY", api_key)) != 0 ||
	    (r = header_add(h, prefix, "PASSPHRASE", passphrase)) != 0 ||
	    (r = header_add(h, prefix, "SIGNATURE", sig)) != 0 ||
	    (r = header_add(h, prefix, "TIMESTAMP", req->timestamp)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0 && n0 != SIZE_MAX)
		headers_truncate(h, n0);
	sodium_memzero(sig, sizeof(sig));
	return r;
}

int
sign_l2(const struct profile *p, const char *address, const char *api_key,
    const uint8_t *key, size_t keylen, const char *passphrase,
    const struct sign_req *req, struct sign_headers *h)
{
	if (req == NULL || req->level != CATALOG_L2 || address == NULL)
		return CV_ERR_INVALID;
	return hmac_set(p, "", address, api_key, key, keylen, passphrase,
	    req, h);
}

int
sign_builder(const struct profile *p, const char *api_key,
    const uint8_t *key, size_t keylen, const char *passphrase,
    const struct sign_req *req, struct sign_headers *h)
{
	if (req == NULL ||
	    (req->level != CATALOG_BUILDER && req->level != CATALOG_L2))
		return CV_ERR_INVALID;
	return hmac_set(p, "BUILDER_", NULL, api_key, key, keylen,
	    passphrase, req, h);
}

int
sign_client_verify(const struct profile *p, const uint8_t *key,
    size_t keylen, const char *timestamp, const char *method,
    const char *path, size_t pathlen, const uint8_t *body, size_t bodylen,
    const char *sig)
{
	char	want[CLOB_HMAC_SIG_LEN];
	char	spath[SIGN_PATH_MAX + 1];
	int	r = CV_ERR_INTERNAL;

	memset(want, 0, sizeof(want));
	if (!clob_profile(p) || key == NULL || keylen == 0 ||
	    timestamp == NULL || method == NULL || path == NULL ||
	    sig == NULL || (body == NULL && bodylen > 0) ||
	    !clob_timestamp_valid(timestamp) || !method_valid(method)) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = path_valid(path, pathlen)) != 0)
		goto out;
	if (bodylen > SIGN_BODY_MAX) {
		r = CV_ERR_TOOLONG;
		goto out;
	}
	signed_path(p, path, pathlen, spath);
	if ((r = clob_hmac_sign(key, keylen, timestamp, method, spath, body,
	    bodylen, want)) != 0)
		goto out;
	/* its length is no secret; its bytes are compared in constant time */
	r = strlen(sig) == CLOB_HMAC_SIG_LEN - 1 &&
	    sodium_memcmp(sig, want, CLOB_HMAC_SIG_LEN - 1) == 0 ? 0 :
	    CV_ERR_AUTH;
 out:
	sodium_memzero(want, sizeof(want));
	return r;
}
