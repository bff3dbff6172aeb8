/*
 * The admin endpoint, under /__tx/: what the tests set and read that no
 * exchange API offers (faults, invitation codes, closed-only flags,
 * balances, notifications, markets, a first Omnia key, the request
 * log).  It is
 * never subject to faults.  Its bodies are checked as strictly as any
 * other: an unknown field or a wrong type is a 400 naming the field.
 */
#include <stdlib.h>
#include <string.h>

#include "common/eth.h"
#include "tests/testexchange/tx.h"

#define TEN_YEARS	(10LL * 366 * 86400)

static json_t	*settings(const struct tx *);
static int	 only_fields(json_t *, const char *const *, struct tx_resp *);
static int	 amount_valid(const char *, size_t);
static void	 ad_faults(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static void	 ad_invite(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static void	 ad_closed_only(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static void	 ad_balance(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static void	 ad_notify(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static void	 ad_omnia_key(struct tx *, const struct tx_req *,
		    struct tx_resp *);
static json_t	*market_json(const struct tx_market *);
static void	 ad_markets(struct tx *, const struct tx_req *,
		    struct tx_resp *);

static json_t *
settings(const struct tx *tx)
{
	json_t	*o = tx_fault_json(&tx->fault);

	if (o == NULL ||
	    json_object_set_new(o, "token_lifetime",
	    json_integer(tx->token_lifetime)) != 0 ||
	    json_object_set_new(o, "window", json_integer(tx->window)) != 0 ||
	    json_object_set_new(o, "profile",
	    json_string(tx->prof->name)) != 0 ||
	    json_object_set_new(o, "chain_id",
	    json_integer((json_int_t)tx->chain_id)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 1 if obj is an object with no field outside known; else a 400. */
static int
only_fields(json_t *obj, const char *const *known, struct tx_resp *resp)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (!json_is_object(obj)) {
		tx_resp_err(resp, 400, "body must be a JSON object",
		    "admin:bad");
		return 0;
	}
	json_object_foreach(obj, key, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL) {
			tx_resp_err(resp, 400, "unknown field", "admin:bad");
			return 0;
		}
	}
	return 1;
}

/* Canonical decimal, as the exchanges report amounts. */
static int
amount_valid(const char *s, size_t size)
{
	size_t	i;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (i >= size - 1 || s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void
ad_faults(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	json_t		*b = NULL, *rest = NULL, *v;
	const char	*err;
	json_int_t	 life = -1, win = -1;

	if (strcmp(req->method, "GET") == 0) {
		tx_resp_json(resp, 200, settings(tx), "admin");
		return;
	}
	/* json_is_object() evaluates its argument twice. */
	b = tx_body_json(req);
	if (!json_is_object(b) || (rest = json_copy(b)) == NULL) {
		tx_resp_err(resp, 400, "body must be a JSON object",
		    "admin:bad");
		goto out;
	}
	if ((v = json_object_get(b, "token_lifetime")) != NULL) {
		if (!json_is_integer(v) || (life = json_integer_value(v)) < 1 ||
		    life > TEN_YEARS) {
			tx_resp_err(resp, 400, "bad token_lifetime",
			    "admin:bad");
			goto out;
		}
		json_object_del(rest, "token_lifetime");
	}
	if ((v = json_object_get(b, "window")) != NULL) {
		if (!json_is_integer(v) || (win = json_integer_value(v)) < 0 ||
		    win > 86400) {
			tx_resp_err(resp, 400, "bad window", "admin:bad");
			goto out;
		}
		json_object_del(rest, "window");
	}
	if (tx_fault_set(&tx->fault, rest, &err) != 0) {
		tx_resp_json(resp, 400, json_pack("{s:s, s:s}", "error",
		    "bad fault setting", "field", err != NULL ? err : ""),
		    "admin:bad");
		goto out;
	}
	if (life > 0)
		tx->token_lifetime = life;
	if (win >= 0)
		tx->window = win;
	tx_resp_json(resp, 200, settings(tx), "admin");
 out:
	json_decref(rest);
	json_decref(b);
}

static void
ad_invite(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "code", "ttl", NULL };
	json_t		*b = tx_body_json(req), *ttl;
	const char	*code;
	int64_t		 exp = 0;
	int		 r;

	if (!only_fields(b, known, resp))
		goto out;
	code = json_string_value(json_object_get(b, "code"));
	ttl = json_object_get(b, "ttl");
	if (code == NULL || (ttl != NULL && (!json_is_integer(ttl) ||
	    json_integer_value(ttl) < 0 ||
	    json_integer_value(ttl) > TEN_YEARS))) {
		tx_resp_err(resp, 400, "expected {code, ttl?}", "admin:bad");
		goto out;
	}
	/* ttl 0 is an already expired code (tests of expiry need one). */
	if (ttl != NULL)
		exp = req->now + json_integer_value(ttl);
	if (ttl != NULL && exp == 0)
		exp = -1;
	r = tx_invite_add(&tx->st, code, exp);
	if (r == CV_ERR_EXISTS) {
		tx_resp_err(resp, 409, "code exists", "admin:bad");
		goto out;
	}
	if (r != 0) {
		tx_resp_err(resp, 400, "bad code", "admin:bad");
		goto out;
	}
	tx_persist(tx);
	tx_resp_json(resp, 200, json_object(), "admin");
 out:
	json_decref(b);
}

static void
ad_closed_only(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "address", "closed_only", NULL };
	struct tx_account	*acc;
	uint8_t			 addr[ETH_ADDR_LEN];
	json_t			*b = tx_body_json(req);

	if (!only_fields(b, known, resp))
		goto out;
	if (tx_addr_parse(json_string_value(json_object_get(b, "address")),
	    addr) != 0 || !json_is_boolean(json_object_get(b, "closed_only"))) {
		tx_resp_err(resp, 400, "expected {address, closed_only}",
		    "admin:bad");
		goto out;
	}
	if ((acc = tx_account_get(&tx->st, addr, 1)) == NULL) {
		tx_resp_err(resp, 500, "internal error", "internal");
		goto out;
	}
	acc->closed_only = json_is_true(json_object_get(b, "closed_only"));
	tx_persist(tx);
	tx_resp_json(resp, 200, json_object(), "admin");
 out:
	json_decref(b);
}

static void
ad_balance(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "address", "asset_type",
	    "token_id", "balance", "allowance", NULL };
	struct tx_balance	*bal;
	uint8_t			 addr[ETH_ADDR_LEN];
	json_t			*b = tx_body_json(req);
	const char		*at, *tok, *amt, *al;
	enum tx_asset		 asset;

	if (!only_fields(b, known, resp))
		goto out;
	at = json_string_value(json_object_get(b, "asset_type"));
	tok = json_string_value(json_object_get(b, "token_id"));
	amt = json_string_value(json_object_get(b, "balance"));
	al = json_string_value(json_object_get(b, "allowance"));
	if (tx_addr_parse(json_string_value(json_object_get(b, "address")),
	    addr) != 0 || at == NULL || (strcmp(at, "COLLATERAL") != 0 &&
	    strcmp(at, "CONDITIONAL") != 0))
		goto bad;
	asset = strcmp(at, "COLLATERAL") == 0 ? TX_ASSET_COLLATERAL :
	    TX_ASSET_CONDITIONAL;
	if ((asset == TX_ASSET_COLLATERAL && tok != NULL) ||
	    (asset == TX_ASSET_CONDITIONAL && (tok == NULL ||
	    !amount_valid(tok, TX_TOKENID_LEN))) ||
	    (json_object_get(b, "balance") != NULL &&
	    (amt == NULL || !amount_valid(amt, TX_AMOUNT_LEN))) ||
	    (json_object_get(b, "allowance") != NULL &&
	    (al == NULL || !amount_valid(al, TX_AMOUNT_LEN))))
		goto bad;
	if ((bal = tx_balance_get(&tx->st, addr, asset, tok ? tok : "", 1)) ==
	    NULL) {
		tx_resp_err(resp, 500, "internal error", "internal");
		goto out;
	}
	if (amt != NULL)
		memcpy(bal->chain, amt, strlen(amt) + 1);
	if (al != NULL)
		memcpy(bal->allowance, al, strlen(al) + 1);
	tx_persist(tx);
	tx_resp_json(resp, 200, json_object(), "admin");
	goto out;
 bad:
	tx_resp_err(resp, 400, "expected {address, asset_type, token_id?, "
	    "balance?, allowance?}", "admin:bad");
 out:
	json_decref(b);
}

static void
ad_notify(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "address", "type", "payload",
	    NULL };
	uint8_t		 addr[ETH_ADDR_LEN];
	json_t		*b = tx_body_json(req), *type;
	char		*payload = NULL;
	uint64_t	 id;

	if (!only_fields(b, known, resp))
		goto out;
	type = json_object_get(b, "type");
	if (tx_addr_parse(json_string_value(json_object_get(b, "address")),
	    addr) != 0 || !json_is_integer(type) ||
	    json_integer_value(type) < 0 || json_integer_value(type) > 1000 ||
	    json_object_get(b, "payload") == NULL) {
		tx_resp_err(resp, 400, "expected {address, type, payload}",
		    "admin:bad");
		goto out;
	}
	if ((payload = json_dumps(json_object_get(b, "payload"),
	    JSON_COMPACT | JSON_ENCODE_ANY)) == NULL ||
	    tx_notif_add(&tx->st, addr, (int)json_integer_value(type), payload,
	    req->now, &id) != 0) {
		tx_resp_err(resp, 500, "internal error", "internal");
		goto out;
	}
	tx_persist(tx);
	tx_resp_json(resp, 200, json_pack("{s:I}", "id", (json_int_t)id),
	    "admin");
 out:
	free(payload);
	json_decref(b);
}

static void
ad_omnia_key(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "label", "permissions", "with",
	    "id", NULL };
	char		 perms[TX_PERM_MAX][TX_PERM_LEN];
	struct tx_okey	*k, *with = NULL;
	json_t		*b = tx_body_json(req), *pa, *id, *w;
	const char	*label;
	size_t		 n, i;

	if (tx->kind != TX_OMNIA) {
		tx_resp_err(resp, 404, "not an omnia exchange", "admin:bad");
		goto out;
	}
	if (!only_fields(b, known, resp))
		goto out;
	label = json_string_value(json_object_get(b, "label"));
	if (label == NULL || strlen(label) > TX_LABEL_MAX ||
	    tx_omnia_perms(json_object_get(b, "permissions"), perms, &n) != 0) {
		tx_resp_err(resp, 400, "expected {label, permissions[]}",
		    "admin:bad");
		goto out;
	}
	/* with: the account of that key; id: the key's id, any bytes */
	w = json_object_get(b, "with");
	id = json_object_get(b, "id");
	if ((w != NULL && (!json_is_string(w) || (with = tx_okey_by_id(
	    &tx->st, json_string_value(w))) == NULL)) || (id != NULL &&
	    (!json_is_string(id) || json_string_length(id) == 0 ||
	    json_string_length(id) >= TX_UUID_LEN ||
	    strlen(json_string_value(id)) != json_string_length(id) ||
	    tx_okey_by_id(&tx->st, json_string_value(id)) != NULL))) {
		tx_resp_err(resp, 400, "expected with: a key, id: 1-36 bytes "
		    "no key has", "admin:bad");
		goto out;
	}
	if (tx_okey_new(&tx->st, with != NULL ? with->account : NULL, label,
	    perms, n, req->now, req->now_ms + tx->fault.propagation_ms,
	    &k) != 0 || (pa = json_array()) == NULL) {
		tx_resp_err(resp, 500, "internal error", "internal");
		goto out;
	}
	if (id != NULL)
		memcpy(k->id, json_string_value(id), json_string_length(id) +
		    1);
	for (i = 0; i < k->nperms; i++)
		json_array_append_new(pa, json_string(k->perms[i]));
	tx_persist(tx);
	tx_resp_json(resp, 201, json_pack("{s:s, s:s, s:s, s:o}", "apiKeyId",
	    k->id, "apiKeySecret", k->secret, "label", k->label,
	    "permissions", pa), "admin");
 out:
	json_decref(b);
}

static json_t *
market_json(const struct tx_market *m)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:i}", "token_id", m->token,
	    "market", m->market, "tick_size", tx_tick_str(m), "neg_risk",
	    m->neg_risk, "fee_rate_bps", (int)m->fee_bps);
}

/*
 * GET lists the markets; POST {token_id, tick_size?, neg_risk?,
 * fee_rate_bps?} adds one or replaces it (tick 0.01, not neg-risk, fee
 * 0 unless given).  Markets are configuration: not in the state file.
 */
static void
ad_markets(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	static const char *const known[] = { "token_id", "tick_size",
	    "neg_risk", "fee_rate_bps", NULL };
	json_t		*b = NULL, *a, *tick, *neg, *fee;
	const char	*tok;
	int		 d = 2;
	size_t		 i;

	if (strcmp(req->method, "GET") == 0) {
		if ((a = json_array()) == NULL)
			goto fail;
		for (i = 0; i < tx->st.markets.n; i++)
			if (json_array_append_new(a,
			    market_json(tx->st.markets.v[i])) != 0) {
				json_decref(a);
				goto fail;
			}
		tx_resp_json(resp, 200, a, "admin");
		return;
	}
	b = tx_body_json(req);
	if (!only_fields(b, known, resp))
		goto out;
	tok = json_string_value(json_object_get(b, "token_id"));
	tick = json_object_get(b, "tick_size");
	neg = json_object_get(b, "neg_risk");
	fee = json_object_get(b, "fee_rate_bps");
	if (tok == NULL || (tick != NULL && (!json_is_string(tick) ||
	    (d = tx_tick_parse(json_string_value(tick))) == -1)) ||
	    (neg != NULL && !json_is_boolean(neg)) || (fee != NULL &&
	    (!json_is_integer(fee) || json_integer_value(fee) < 0 ||
	    json_integer_value(fee) > 1000)) ||
	    tx_market_set(&tx->st, tok, d, json_is_true(neg),
	    fee != NULL ? (unsigned int)json_integer_value(fee) : 0) != 0) {
		tx_resp_err(resp, 400, "expected {token_id, tick_size?, "
		    "neg_risk?, fee_rate_bps?}", "admin:bad");
		goto out;
	}
	tx_resp_json(resp, 200, market_json(tx_market_get(&tx->st, tok)),
	    "admin");
	goto out;
 fail:
	tx_resp_err(resp, 500, "internal error", "internal");
 out:
	json_decref(b);
}

void
tx_admin_handle(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	const char	*p = req->path + strlen("/__tx");
	int		 get = strcmp(req->method, "GET") == 0;
	int		 post = strcmp(req->method, "POST") == 0;

	if (strcmp(p, "/ping") == 0 && get)
		tx_resp_json(resp, 200, settings(tx), "admin");
	else if (strcmp(p, "/faults") == 0 && (get || post))
		ad_faults(tx, req, resp);
	else if (strcmp(p, "/invites") == 0 && post)
		ad_invite(tx, req, resp);
	else if (strcmp(p, "/closed-only") == 0 && post)
		ad_closed_only(tx, req, resp);
	else if (strcmp(p, "/balance") == 0 && post)
		ad_balance(tx, req, resp);
	else if (strcmp(p, "/notifications") == 0 && post)
		ad_notify(tx, req, resp);
	else if (strcmp(p, "/markets") == 0 && (get || post))
		ad_markets(tx, req, resp);
	else if (strcmp(p, "/omnia/keys") == 0 && post)
		ad_omnia_key(tx, req, resp);
	else if (strcmp(p, "/log") == 0 && get)
		tx_resp_json(resp, 200, tx_log_json(&tx->log), "admin");
	else
		tx_resp_err(resp, 404, "not found", "not-found");
}
