/*
 * The Openfish / Polymarket endpoints (doc/exchanges.md), one code
 * path, the differences from the profile: header prefix, EIP-712 chain
 * id, whether the HMAC covers "?query", whether a first key needs an
 * invitation code.  Each route names its authentication; the dispatcher
 * checks it before the handler runs, so no handler sees an
 * unauthenticated request.  The trading endpoints' handlers are in
 * tx_orders.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/eth.h"
#include "tests/testexchange/tx.h"

#define L1_REFUSED	"Invalid L1 Request headers"
#define L2_REFUSED	"Unauthorized/Invalid api key"
#define IDS_MAX		100

enum clob_auth {
	AUTH_NONE,
	AUTH_L1,
	AUTH_L2,
	AUTH_OWN,	/* the handler authenticates (builder revoke) */
};

/* A path ending in '*' matches any non-empty rest: /data/order/{id}. */
struct route {
	const char	*method, *path;
	enum clob_auth	 auth;
	void		(*fn)(struct tx_call *);
};

static const char *const l1_tags[] = { "l1:missing-header",
	"l1:bad-address", "l1:bad-timestamp", "l1:stale", "l1:bad-nonce",
	"l1:bad-signature", "l1:signer-mismatch", NULL };
static const char *const l2_tags[] = { "l2:missing-header",
	"l2:bad-timestamp", "l2:stale", "l2:unknown-key", "l2:address-mismatch",
	"l2:bad-passphrase", "l2:bad-signature", "l2:propagating",
	"l2:hmac-failed", NULL };
static const char *const builder_tags[] = { "builder:missing-header",
	"builder:bad-timestamp", "builder:stale", "builder:unknown-key",
	"builder:bad-passphrase", "builder:bad-signature",
	"builder:propagating", "builder:hmac-failed", NULL };

/* The exchange contracts whose allowances balance-allowance reports. */
static const char *const spenders[] = {
	"0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E",
	"0xC5d563A36AE78145C45a50134d48A1215220f80a",
	"0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296",
};

static int		 route_match(const char *, const char *);
static const char	*tag(const char *const *, const char *);
static const char	*sig_path(const struct tx_call *);
static int		 auth_l1(struct tx_call *);
static int		 hmac_verify(struct tx_call *, const char *const *,
			    const char *, enum tx_cred_kind, struct tx_cred **);
static int		 auth_l2(struct tx_call *);
static int		 builder_headers(const struct tx_call *);
static json_t		*creds_json(const struct tx_cred *, const char *);
static char		*iso_time(int64_t, char *, size_t);
static int		 uuid_valid(const char *);
static int		 sigtype_ok(struct tx_call *);
static int		 balance_params(struct tx_call *, enum tx_asset *,
			    char *, size_t);
static void		 ep_ok(struct tx_call *);
static void		 ep_time(struct tx_call *);
static void		 ep_waitlist(struct tx_call *);
static void		 ep_create(struct tx_call *);
static void		 ep_derive(struct tx_call *);
static void		 ep_keys(struct tx_call *);
static void		 ep_delete(struct tx_call *);
static void		 ep_closed_only(struct tx_call *);
static void		 ep_builder_create(struct tx_call *);
static void		 ep_builder_list(struct tx_call *);
static void		 ep_builder_revoke(struct tx_call *);
static void		 ep_balance(struct tx_call *);
static void		 ep_balance_update(struct tx_call *);
static void		 ep_notifs(struct tx_call *);
static void		 ep_notifs_drop(struct tx_call *);

static const struct route routes[] = {
	{ "GET", "/", AUTH_NONE, ep_ok },
	{ "GET", "/time", AUTH_NONE, ep_time },
	{ "POST", "/waitlist", AUTH_NONE, ep_waitlist },
	{ "POST", "/auth/api-key", AUTH_L1, ep_create },
	{ "GET", "/auth/derive-api-key", AUTH_L1, ep_derive },
	{ "GET", "/auth/api-keys", AUTH_L2, ep_keys },
	{ "DELETE", "/auth/api-key", AUTH_L2, ep_delete },
	{ "GET", "/auth/ban-status/closed-only", AUTH_L2, ep_closed_only },
	{ "POST", "/auth/builder-api-key", AUTH_L2, ep_builder_create },
	{ "GET", "/auth/builder-api-key", AUTH_L2, ep_builder_list },
	{ "DELETE", "/auth/builder-api-key", AUTH_OWN, ep_builder_revoke },
	{ "GET", "/balance-allowance", AUTH_L2, ep_balance },
	{ "GET", "/balance-allowance/update", AUTH_L2, ep_balance_update },
	{ "GET", "/notifications", AUTH_L2, ep_notifs },
	{ "DELETE", "/notifications", AUTH_L2, ep_notifs_drop },
	{ "GET", "/tick-size", AUTH_NONE, tx_orders_tick_size },
	{ "GET", "/neg-risk", AUTH_NONE, tx_orders_neg_risk },
	{ "GET", "/fee-rate", AUTH_NONE, tx_orders_fee_rate },
	{ "GET", "/book", AUTH_NONE, tx_orders_book },
	{ "POST", "/order", AUTH_L2, tx_orders_post },
	{ "DELETE", "/order", AUTH_L2, tx_orders_cancel },
	{ "POST", "/orders", AUTH_L2, tx_orders_post_batch },
	{ "DELETE", "/orders", AUTH_L2, tx_orders_cancel_batch },
	{ "DELETE", "/cancel-all", AUTH_L2, tx_orders_cancel_all },
	{ "DELETE", "/cancel-market-orders", AUTH_L2,
	    tx_orders_cancel_market },
	{ "GET", "/data/order/*", AUTH_L2, tx_orders_get },
	{ "GET", "/data/orders", AUTH_L2, tx_orders_list },
	{ "GET", "/data/trades", AUTH_L2, tx_orders_trades },
	{ "POST", "/v1/heartbeats", AUTH_L2, tx_orders_heartbeat },
};

static int
route_match(const char *pattern, const char *path)
{
	size_t	n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0 &&
		    path[n - 1] != '\0';
	return strcmp(pattern, path) == 0;
}

/* The static log tag for reason why in table t (first entry if none). */
static const char *
tag(const char *const *t, const char *why)
{
	size_t	i;

	for (i = 0; t[i] != NULL; i++)
		if (strcmp(strchr(t[i], ':') + 1, why) == 0)
			return t[i];
	return t[0];
}

/* What the HMAC covers: "path?query" as sent (Openfish), or the path. */
static const char *
sig_path(const struct tx_call *c)
{
	return c->tx->prof->signs_query ? c->req->target : c->req->path;
}

static int
auth_l1(struct tx_call *c)
{
	struct tx_l1_hdrs	 h;
	const char		*why = "missing-header";
	int			 r;

	h.address = tx_phdr(c->req, c->p, "ADDRESS");
	h.signature = tx_phdr(c->req, c->p, "SIGNATURE");
	h.timestamp = tx_phdr(c->req, c->p, "TIMESTAMP");
	h.nonce = tx_phdr(c->req, c->p, "NONCE");
	r = tx_l1_verify(c->tx->secp, c->tx->chain_id, &h, c->req->now,
	    c->tx->window, c->addr, &c->nonce, &why);
	if (r == CV_ERR_DECODE) {
		tx_resp_err(c->resp, 400, "Invalid address", tag(l1_tags, why));
		return -1;
	}
	if (r != 0) {
		tx_resp_err(c->resp, 401, L1_REFUSED, tag(l1_tags, why));
		return -1;
	}
	return 0;
}

/*
 * Check one HMAC header set ("" for L2, "BUILDER_" for builder) against
 * the key of kind it names.  0 and *out, or -1 and why in *why_out.
 */
static int
hmac_verify(struct tx_call *c, const char *const *tags, const char *infix,
    enum tx_cred_kind kind, struct tx_cred **out)
{
	char		 n[5][48];
	const char	*key, *pass, *sig, *ts, *why = "missing-header";
	struct tx_cred	*k;

	*out = NULL;
	snprintf(n[0], sizeof(n[0]), "%sAPI_KEY", infix);
	snprintf(n[1], sizeof(n[1]), "%sPASSPHRASE", infix);
	snprintf(n[2], sizeof(n[2]), "%sSIGNATURE", infix);
	snprintf(n[3], sizeof(n[3]), "%sTIMESTAMP", infix);
	key = tx_phdr(c->req, c->p, n[0]);
	pass = tx_phdr(c->req, c->p, n[1]);
	sig = tx_phdr(c->req, c->p, n[2]);
	ts = tx_phdr(c->req, c->p, n[3]);
	if (key == NULL || pass == NULL || sig == NULL || ts == NULL)
		goto refuse;
	if (tx_ts_check(ts, c->req->now, c->tx->window, &why) != 0)
		goto refuse;
	if ((k = tx_cred_by_key(&c->tx->st, kind, key)) == NULL) {
		why = "unknown-key";
		goto refuse;
	}
	if (!tx_streq_ct(k->passphrase, pass)) {
		why = "bad-passphrase";
		goto refuse;
	}
	if (tx_hmac_check(k->secret, ts, c->req->method, sig_path(c),
	    c->req->body, c->req->bodylen, sig, &why) != 0)
		goto refuse;
	/* A key the exchange has not propagated yet is not known yet. */
	if (c->req->now_ms < k->valid_from_ms) {
		why = "propagating";
		goto refuse;
	}
	*out = k;
	return 0;
 refuse:
	tx_resp_err(c->resp, 401, L2_REFUSED, tag(tags, why));
	return -1;
}

static int
builder_headers(const struct tx_call *c)
{
	return tx_phdr(c->req, c->p, "BUILDER_API_KEY") != NULL ||
	    tx_phdr(c->req, c->p, "BUILDER_PASSPHRASE") != NULL ||
	    tx_phdr(c->req, c->p, "BUILDER_SIGNATURE") != NULL ||
	    tx_phdr(c->req, c->p, "BUILDER_TIMESTAMP") != NULL;
}

/*
 * L2: the API key's HMAC, its address, and builder headers too when
 * any is present (attribution on top of L2 must verify as well).
 */
static int
auth_l2(struct tx_call *c)
{
	struct tx_cred	*b;
	const char	*addr;

	if (hmac_verify(c, l2_tags, "", TX_CRED_API, &c->cred) != 0)
		return -1;
	addr = tx_phdr(c->req, c->p, "ADDRESS");
	if (addr == NULL || tx_addr_parse(addr, c->addr) != 0 ||
	    memcmp(c->addr, c->cred->addr, ETH_ADDR_LEN) != 0) {
		c->cred = NULL;
		tx_resp_err(c->resp, 401, L2_REFUSED, "l2:address-mismatch");
		return -1;
	}
	if (builder_headers(c)) {
		if (hmac_verify(c, builder_tags, "BUILDER_", TX_CRED_BUILDER,
		    &b) != 0) {
			c->cred = NULL;
			return -1;
		}
		c->resp->builder = 1;	/* logged: attribution came along */
	}
	return 0;
}

static json_t *
creds_json(const struct tx_cred *k, const char *keyname)
{
	return json_pack("{s:s, s:s, s:s}", keyname, k->key, "secret",
	    k->secret, "passphrase", k->passphrase);
}

static char *
iso_time(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "1970-01-01T00:00:00Z");
	return buf;
}

/* 8-4-4-4-12 hex digits. */
static int
uuid_valid(const char *s)
{
	size_t	i;

	if (strlen(s) != TX_UUID_LEN - 1)
		return 0;
	for (i = 0; i < TX_UUID_LEN - 1; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' &&
		    s[i] <= 'F')))
			return 0;
	}
	return 1;
}

/* signature_type, when given, is 0 (EOA), 1 (proxy) or 2 (safe). */
static int
sigtype_ok(struct tx_call *c)
{
	char	v[8];
	int	r = tx_query_get(c->req, "signature_type", v, sizeof(v));

	if (r == CV_ERR_NOTFOUND ||
	    (r == 0 && v[1] == '\0' && v[0] >= '0' && v[0] <= '2'))
		return 1;
	tx_resp_err(c->resp, 400, "invalid signature_type", "bad-params");
	return 0;
}

static int
balance_params(struct tx_call *c, enum tx_asset *asset, char *tok, size_t len)
{
	char	at[16];
	size_t	i;
	int	r;

	tok[0] = '\0';
	if (tx_query_get(c->req, "asset_type", at, sizeof(at)) != 0 ||
	    (strcmp(at, "COLLATERAL") != 0 && strcmp(at, "CONDITIONAL") != 0)) {
		tx_resp_err(c->resp, 400, "invalid asset_type", "bad-params");
		return -1;
	}
	*asset = strcmp(at, "COLLATERAL") == 0 ? TX_ASSET_COLLATERAL :
	    TX_ASSET_CONDITIONAL;
	r = tx_query_get(c->req, "token_id", tok, len);
	if (*asset == TX_ASSET_COLLATERAL) {
		/* Collateral has no token; a token_id given is ignored. */
		if (r != 0 && r != CV_ERR_NOTFOUND)
			goto bad;
		tok[0] = '\0';
	} else {
		if (r != 0 || tok[0] == '\0' || (tok[0] == '0' && tok[1]))
			goto bad;
		for (i = 0; tok[i] != '\0'; i++)
			if (tok[i] < '0' || tok[i] > '9')
				goto bad;
	}
	return sigtype_ok(c) ? 0 : -1;
 bad:
	tx_resp_err(c->resp, 400, "invalid token_id", "bad-params");
	return -1;
}

static void
ep_ok(struct tx_call *c)
{
	tx_resp_json(c->resp, 200, json_string("OK"), "ok");
}

static void
ep_time(struct tx_call *c)
{
	/* A bare integer: what the official clients parse. */
	tx_resp_json(c->resp, 200, json_integer(c->req->now), "ok");
}

static void
ep_waitlist(struct tx_call *c)
{
	json_t		*b = tx_body_json(c->req);
	const char	*email, *at;
	size_t		 i, len;

	email = json_string_value(json_object_get(b, "email"));
	if (!json_is_object(b) || json_object_size(b) != 1 || email == NULL)
		goto bad;
	len = strlen(email);
	at = strchr(email, '@');
	if (len < 3 || len > 254 || at == NULL || at == email ||
	    at[1] == '\0' || strchr(at + 1, '@') != NULL)
		goto bad;
	for (i = 0; i < len; i++)
		if (email[i] <= 0x20 || email[i] >= 0x7f)
			goto bad;
	c->tx->st.waitlist++;
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, json_object(), "ok");
	json_decref(b);
	return;
 bad:
	json_decref(b);
	tx_resp_err(c->resp, 400, "invalid email", "bad-params");
}

static void
ep_create(struct tx_call *c)
{
	struct tx_account	*acc;
	struct tx_cred		*k;
	const char		*code;
	int			 r;

	if (tx_cred_by_nonce(&c->tx->st, c->addr, c->nonce) != NULL) {
		if (c->tx->kind == TX_OPENFISH)
			tx_resp_err(c->resp, 409,
			    "API key already exists for this nonce", "exists");
		else
			tx_resp_err(c->resp, 400, "Could not create api key",
			    "exists");
		return;
	}
	acc = tx_account_get(&c->tx->st, c->addr, 0);
	if (c->tx->prof->needs_invite && (acc == NULL || !acc->registered)) {
		code = tx_phdr(c->req, c->p, "INVITATION_CODE");
		if (code == NULL) {
			tx_resp_err(c->resp, 400, "invitation code required",
			    "invite:missing");
			return;
		}
		r = tx_invite_use(&c->tx->st, code, c->req->now);
		if (r == CV_ERR_STALE) {
			tx_resp_err(c->resp, 400, "invitation code expired",
			    "invite:expired");
			return;
		}
		if (r != 0) {
			tx_resp_err(c->resp, 400, "invalid invitation code",
			    "invite:invalid");
			return;
		}
	}
	if ((acc = tx_account_get(&c->tx->st, c->addr, 1)) == NULL ||
	    tx_cred_new(&c->tx->st, TX_CRED_API, c->addr, c->nonce, NULL,
	    c->req->now, c->req->now_ms + c->tx->fault.propagation_ms,
	    &k) != 0) {
		tx_resp_err(c->resp, 500, "internal error", "internal");
		return;
	}
	acc->registered = 1;
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, creds_json(k, "apiKey"), "ok");
}

static void
ep_derive(struct tx_call *c)
{
	struct tx_cred	*k;

	if ((k = tx_cred_by_nonce(&c->tx->st, c->addr, c->nonce)) == NULL) {
		tx_resp_err(c->resp, 404, "API key not found", "not-found");
		return;
	}
	tx_resp_json(c->resp, 200, creds_json(k, "apiKey"), "ok");
}

static void
ep_keys(struct tx_call *c)
{
	struct tx_cred	*k;
	json_t		*a;
	size_t		 i;

	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < c->tx->st.creds.n; i++) {
		k = c->tx->st.creds.v[i];
		if (k->kind == TX_CRED_API &&
		    memcmp(k->addr, c->addr, ETH_ADDR_LEN) == 0 &&
		    json_array_append_new(a, json_string(k->key)) != 0)
			goto fail;
	}
	tx_resp_json(c->resp, 200, json_pack("{s:o}", "apiKeys", a), "ok");
	return;
 fail:
	json_decref(a);
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

static void
ep_delete(struct tx_call *c)
{
	tx_cred_delete(&c->tx->st, c->cred);
	c->cred = NULL;
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, json_object(), "ok");
}

static void
ep_closed_only(struct tx_call *c)
{
	struct tx_account	*acc = tx_account_get(&c->tx->st, c->addr, 0);

	tx_resp_json(c->resp, 200, json_pack("{s:b}", "closed_only",
	    acc != NULL && acc->closed_only), "ok");
}

static void
ep_builder_create(struct tx_call *c)
{
	struct tx_account	*acc;
	struct tx_cred		*k;
	json_t			*b = NULL, *o = NULL;
	const char		*id = NULL;
	size_t			 i;

	if (c->req->bodylen > 0) {
		b = tx_body_json(c->req);
		if (!json_is_object(b) || json_object_size(b) > 1 ||
		    (json_object_size(b) == 1 &&
		    !json_is_string(json_object_get(b, "builderId")))) {
			tx_resp_err(c->resp, 400, "invalid body", "bad-params");
			goto out;
		}
		id = json_string_value(json_object_get(b, "builderId"));
	}
	if (id == NULL && c->tx->kind == TX_OPENFISH) {
		tx_resp_err(c->resp, 400, "builderId required", "bad-params");
		goto out;
	}
	if (id != NULL) {
		for (i = 0; id[i] != '\0'; i++)
			if (!((id[i] >= '0' && id[i] <= '9') ||
			    (id[i] >= 'a' && id[i] <= 'z') ||
			    (id[i] >= 'A' && id[i] <= 'Z') || id[i] == '-' ||
			    id[i] == '_' || id[i] == '.'))
				break;
		if (i == 0 || id[i] != '\0' || i > TX_ID_MAX) {
			tx_resp_err(c->resp, 400, "invalid builderId",
			    "bad-params");
			goto out;
		}
	}
	/*
	 * Polymarket answers {key, secret, passphrase} (the official
	 * TypeScript client reads .key); Openfish {apiKey, secret,
	 * passphrase, builderId}.
	 */
	if ((acc = tx_account_get(&c->tx->st, c->addr, 1)) == NULL ||
	    tx_cred_new(&c->tx->st, TX_CRED_BUILDER, c->addr, 0,
	    id != NULL ? id : acc->builder_id, c->req->now,
	    c->req->now_ms + c->tx->fault.propagation_ms, &k) != 0 ||
	    (o = creds_json(k, c->tx->kind == TX_POLYMARKET ? "key" :
	    "apiKey")) == NULL ||
	    (c->tx->kind != TX_POLYMARKET && json_object_set_new(o,
	    "builderId", json_string(k->builder_id)) != 0)) {
		tx_resp_err(c->resp, 500, "internal error", "internal");
		goto out;
	}
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, o, "ok");
	o = NULL;
 out:
	json_decref(o);
	json_decref(b);
}

static void
ep_builder_list(struct tx_call *c)
{
	struct tx_cred	*k;
	json_t		*a;
	char		 t[32];
	size_t		 i;

	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < c->tx->st.creds.n; i++) {
		k = c->tx->st.creds.v[i];
		if (k->kind != TX_CRED_BUILDER ||
		    memcmp(k->addr, c->addr, ETH_ADDR_LEN) != 0)
			continue;
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}",
		    "apiKey", k->key, "builderId", k->builder_id, "createdAt",
		    iso_time(k->created, t, sizeof(t)))) != 0)
			goto fail;
	}
	tx_resp_json(c->resp, 200, json_pack("{s:o}", "apiKeys", a), "ok");
	return;
 fail:
	json_decref(a);
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

/*
 * Two forms: L2 with ?apiKey=<uuid> revokes one of the caller's builder
 * keys; builder headers alone (the official TypeScript client) revoke
 * the builder key that signed the request.
 */
static void
ep_builder_revoke(struct tx_call *c)
{
	struct tx_cred	*k;
	char		 id[TX_UUID_LEN + 8];
	int		 r;

	r = tx_query_get(c->req, "apiKey", id, sizeof(id));
	if (r == CV_ERR_NOTFOUND && builder_headers(c) &&
	    tx_phdr(c->req, c->p, "API_KEY") == NULL) {
		if (hmac_verify(c, builder_tags, "BUILDER_", TX_CRED_BUILDER,
		    &k) != 0)
			return;
		tx_cred_delete(&c->tx->st, k);
		tx_persist(c->tx);
		tx_resp_json(c->resp, 200, json_object(), "ok");
		return;
	}
	if (auth_l2(c) != 0)
		return;
	if (r == CV_ERR_NOTFOUND) {
		tx_resp_err(c->resp, 400, "apiKey required", "bad-params");
		return;
	}
	if (r != 0 || !uuid_valid(id)) {
		tx_resp_err(c->resp, 400, "invalid apiKey", "bad-params");
		return;
	}
	if ((k = tx_cred_by_key(&c->tx->st, TX_CRED_BUILDER, id)) == NULL ||
	    memcmp(k->addr, c->addr, ETH_ADDR_LEN) != 0) {
		tx_resp_err(c->resp, 404, "builder api key not found",
		    "not-found");
		return;
	}
	tx_cred_delete(&c->tx->st, k);
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, json_object(), "ok");
}

static void
ep_balance(struct tx_call *c)
{
	struct tx_balance	*b;
	enum tx_asset		 asset;
	char			 tok[TX_TOKENID_LEN];
	json_t			*al;
	size_t			 i;

	if (balance_params(c, &asset, tok, sizeof(tok)) != 0)
		return;
	b = tx_balance_get(&c->tx->st, c->addr, asset, tok, 0);
	if ((al = json_object()) == NULL)
		goto fail;
	for (i = 0; i < sizeof(spenders) / sizeof(spenders[0]); i++)
		if (json_object_set_new(al, spenders[i],
		    json_string(b != NULL ? b->allowance : "0")) != 0) {
			json_decref(al);
			goto fail;
		}
	tx_resp_json(c->resp, 200, json_pack("{s:s, s:o}", "balance",
	    b != NULL ? b->cached : "0", "allowances", al), "ok");
	return;
 fail:
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

/* The exchange re-reads the chain: the reported balance catches up. */
static void
ep_balance_update(struct tx_call *c)
{
	struct tx_balance	*b;
	enum tx_asset		 asset;
	char			 tok[TX_TOKENID_LEN];

	if (balance_params(c, &asset, tok, sizeof(tok)) != 0)
		return;
	if ((b = tx_balance_get(&c->tx->st, c->addr, asset, tok, 1)) == NULL) {
		tx_resp_err(c->resp, 500, "internal error", "internal");
		return;
	}
	memcpy(b->cached, b->chain, sizeof(b->cached));
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, json_pack("{s:s, s:s, s:s}", "balance",
	    b->cached, "net_usdc_taker", "0", "net_usdc_maker", "0"), "ok");
}

static void
ep_notifs(struct tx_call *c)
{
	struct tx_notif	*n;
	json_t		*a, *p;
	char		 owner[ETH_ADDR_STRLEN];
	size_t		 i;

	if (!sigtype_ok(c))
		return;
	eth_address_lower(c->addr, owner);
	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < c->tx->st.notifs.n; i++) {
		n = c->tx->st.notifs.v[i];
		if (memcmp(n->addr, c->addr, ETH_ADDR_LEN) != 0)
			continue;
		if ((p = json_loads(n->payload, JSON_DECODE_ANY, NULL)) ==
		    NULL || json_array_append_new(a, json_pack("{s:I, s:i, "
		    "s:s, s:o, s:I}", "id", (json_int_t)n->id, "type", n->type,
		    "owner", owner, "payload", p, "timestamp",
		    (json_int_t)n->ts)) != 0)
			goto fail;
	}
	tx_resp_json(c->resp, 200, a, "ok");
	return;
 fail:
	json_decref(a);
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

static void
ep_notifs_drop(struct tx_call *c)
{
	uint64_t	 ids[IDS_MAX];
	char		 v[IDS_MAX * 21], *p, *end;
	size_t		 n = 0;
	int		 r;

	r = tx_query_get(c->req, "ids", v, sizeof(v));
	if (r != 0 && r != CV_ERR_NOTFOUND)
		goto bad;
	if (r == 0) {
		/* Comma-separated canonical decimal ids. */
		for (p = v; ; p = end + 1) {
			if (n == IDS_MAX || *p < '1' || *p > '9')
				goto bad;
			ids[n] = strtoull(p, &end, 10);
			if (end - p > 19 || (*end != ',' && *end != '\0'))
				goto bad;
			n++;
			if (*end == '\0')
				break;
		}
	}
	tx_notif_drop(&c->tx->st, c->addr, ids, n);
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, json_object(), "ok");
	return;
 bad:
	tx_resp_err(c->resp, 400, "invalid ids", "bad-params");
}

void
tx_clob_handle(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	const struct route	*rt = NULL;
	struct tx_call		 c;
	size_t			 i;
	int			 path_known = 0;

	tx_orders_sweep(tx, req->now_ms);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_match(routes[i].path, req->path))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, req->method) == 0) {
			rt = &routes[i];
			break;
		}
	}
	if (rt == NULL) {
		if (path_known)
			tx_resp_err(resp, 405, "method not allowed",
			    "bad-method");
		else
			tx_resp_err(resp, 404, "not found", "not-found");
		return;
	}
	memset(&c, 0, sizeof(c));
	c.tx = tx;
	c.req = req;
	c.resp = resp;
	c.p = tx->prof->hdr_prefix;
	if ((rt->auth == AUTH_L1 && auth_l1(&c) != 0) ||
	    (rt->auth == AUTH_L2 && auth_l2(&c) != 0))
		return;
	rt->fn(&c);
}
