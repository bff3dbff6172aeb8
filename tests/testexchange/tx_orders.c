/*
 * The trading endpoints of the Openfish and Polymarket profiles
 * (doc/exchanges.md, "Trading"): the public market lookups, orders
 * checked as the exchange checks them, cancels, queries and heartbeats.
 *
 * An order is decoded with common/order.c, its EIP-712 digest computed
 * for the exchange's domain (the profile's, the token's neg-risk flag,
 * the chain id of --chain-id) and its signer recovered; then the
 * exchange's rules: the key's address signs, the token is a market,
 * price and amounts follow the tick, fee, nonce, expiration, no
 * duplicate.  Refusals use the real servers' texts.
 *
 * There is no matching engine: a GTC or GTD order rests until it is
 * canceled, its GTD expiry passes or its key's heartbeat lapses; a FOK
 * or FAK order finds nothing to match and is killed, as on an empty
 * book.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encode.h"
#include "common/eth.h"
#include "common/order.h"
#include "common/secp.h"
#include "tests/testexchange/tx.h"

#define CANCEL_MAX	3000		/* ids in one DELETE /orders */
#define PAGE_LIMIT	500		/* orders in one page of a list */
#define MIN_SIZE	5000000		/* 5 shares, in units of 10^-6 */
#define GTD_MARGIN	60		/* seconds: a GTD order goes early */
#define AMOUNT_MAX	100000000000000ULL	/* 10^8 in units of 10^-6 */
#define CURSOR_FIRST	"MA=="		/* base64 of "0" */
#define CURSOR_END	"LTE="		/* base64 of "-1" */
#define ERR_MAX		256

#define E_PAYLOAD	"Invalid order payload"
#define E_OWNER		"the order owner has to be the owner of the API KEY"
#define E_SIGNER	"the order signer address has to be the address " \
			"of the API KEY"
#define E_SIG		"invalid signature"
#define E_NONCE		"invalid nonce"
#define E_EXPIRATION	"invalid expiration"
#define E_MARKET	"market not found"
#define E_FOK		"order couldn't be fully filled. FOK orders are " \
			"fully filled or killed."
#define E_FAK		"no orders found to match with FAK order. FAK " \
			"orders are partially filled or killed if no match " \
			"is found."
#define E_ORDER_ID	"Invalid orderID"
#define E_TOKEN		"Invalid token id"
#define E_BOOK		"No orderbook exists for the requested token id"
#define E_PARAMS	"invalid order params payload"
#define E_TRADE_PARAMS	"Invalid trade params payload"
#define E_HEARTBEAT	"Invalid heartbeat id"
#define E_NOT_FOUND	"order not found"
#define E_DONE		"already canceled or matched"

/*
 * Why an order is refused.  A refusal of intake() fails the request as
 * a whole, a batch too; one of process() takes the order's place in a
 * batch's answer.
 */
struct refusal {
	unsigned int	 status;
	const char	*verdict;
	char		 msg[ERR_MAX];
};

/* One order of a body, read and checked against the key. */
struct intake {
	struct order	 o;
	char		 type[4];	/* GTC GTD FOK FAK */
	const char	*token;		/* order.tokenId, borrowed */
	uint8_t		 sig[65];
	int		 sig_ok;
};

static void	refuse(struct refusal *, unsigned int, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	u256_u64(const uint8_t[32], uint64_t *);
static uint64_t	pow10u(int);
static void	digest_id(const uint8_t[32], char[TX_ORDER_ID_LEN]);
static int	token_param(struct tx_call *, struct tx_market **,
		    const char *);
static const char *why_verdict(const char *);
static int	intake(struct tx_call *, json_t *, struct intake *,
		    struct refusal *);
static int	check_amounts(struct tx_call *, const struct intake *,
		    const struct tx_market *, const char *, struct refusal *);
static int	process(struct tx_call *, const struct intake *,
		    struct tx_order **, struct refusal *);
static json_t	*post_answer(const char *, const char *);
static void	answer_refusal(struct tx_call *, const struct refusal *);
static int	id_norm(const struct tx *, const char *,
		    char[TX_ORDER_ID_LEN]);
static struct tx_order *own_order(struct tx_call *, const char *);
static int	cancel_one(struct tx_call *, const char *, json_t *,
		    json_t *);
static json_t	*cancel_answer(void);
static void	cancel_where(struct tx_call *, const char *, const char *);
static json_t	*open_order_json(const struct tx_order *);
static int	cursor_offset(const char *, size_t *);
static json_t	*page_json(json_t *, size_t, int);

static void
refuse(struct refusal *rf, unsigned int status, const char *verdict,
    const char *fmt, ...)
{
	va_list	ap;

	rf->status = status;
	rf->verdict = verdict;
	va_start(ap, fmt);
	vsnprintf(rf->msg, sizeof(rf->msg), fmt, ap);
	va_end(ap);
}

/* A uint256 that fits 64 bits; -1 otherwise. */
static int
u256_u64(const uint8_t v[32], uint64_t *out)
{
	int	i;

	*out = 0;
	for (i = 0; i < 24; i++)
		if (v[i] != 0)
			return -1;
	for (i = 24; i < 32; i++)
		*out = *out << 8 | v[i];
	return 0;
}

static uint64_t
pow10u(int n)
{
	uint64_t	v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

/* Polymarket's order id: the order's EIP-712 digest, 0x and hex. */
static void
digest_id(const uint8_t d[32], char out[TX_ORDER_ID_LEN])
{
	memcpy(out, "0x", 2);
	hex_encode(d, 32, out + 2);
}

/*
 * The market of the token_id parameter, or an answer: 400 for a
 * missing or malformed id, 404 with notfound for an unknown one.
 */
static int
token_param(struct tx_call *c, struct tx_market **m, const char *notfound)
{
	char	tok[TX_TOKENID_LEN];
	size_t	i;

	*m = NULL;
	if (tx_query_get(c->req, "token_id", tok, sizeof(tok)) != 0 ||
	    tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0'))
		goto bad;
	for (i = 0; tok[i] != '\0'; i++)
		if (tok[i] < '0' || tok[i] > '9')
			goto bad;
	if ((*m = tx_market_get(&c->tx->st, tok)) == NULL) {
		tx_resp_err(c->resp, 404, notfound, "not-found");
		return -1;
	}
	return 0;
 bad:
	tx_resp_err(c->resp, 400, E_TOKEN, "bad-params");
	return -1;
}

void
tx_orders_tick_size(struct tx_call *c)
{
	struct tx_market	*m;

	if (token_param(c, &m, E_MARKET) != 0)
		return;
	tx_resp_json(c->resp, 200, json_pack("{s:f}", "minimum_tick_size",
	    1.0 / (double)pow10u(m->tick_dec)), "ok");
}

void
tx_orders_neg_risk(struct tx_call *c)
{
	struct tx_market	*m;

	if (token_param(c, &m, E_MARKET) != 0)
		return;
	tx_resp_json(c->resp, 200, json_pack("{s:b}", "neg_risk",
	    m->neg_risk), "ok");
}

void
tx_orders_fee_rate(struct tx_call *c)
{
	struct tx_market	*m;

	if (token_param(c, &m, E_MARKET) != 0)
		return;
	tx_resp_json(c->resp, 200, json_pack("{s:i}", "base_fee",
	    (int)m->fee_bps), "ok");
}

/* Nothing ever matches here, so the book shows no levels. */
void
tx_orders_book(struct tx_call *c)
{
	struct tx_market	*m;

	if (token_param(c, &m, E_BOOK) != 0)
		return;
	tx_resp_json(c->resp, 200, json_pack("{s:s, s:s, s:[], s:[], s:s, "
	    "s:s, s:b}", "market", m->market, "asset_id", m->token, "bids",
	    "asks", "min_order_size", "5", "tick_size", tx_tick_str(m),
	    "neg_risk", m->neg_risk), "ok");
}

/* The log verdict of an order_from_json refusal, by the field named. */
static const char *
why_verdict(const char *why)
{
	if (strncmp(why, "order.salt:", 11) == 0)
		return "order:bad-salt";
	if (strncmp(why, "order.feeRateBps:", 17) == 0)
		return "order:bad-fee";
	return "order:payload";
}

/*
 * Read one element of a POST /order(s) body and check what the exchange
 * checks before it looks at the order itself: the shape, the owner, the
 * signer, the closed-only flag.  Every refusal here is whole.
 */
static int
intake(struct tx_call *c, json_t *el, struct intake *in, struct refusal *rf)
{
	static const char *const types[] = { "GTC", "GTD", "FOK", "FAK" };
	struct tx_account	*acc;
	enum order_version	 v = ORDER_V1;
	json_t			*ord, *val;
	const char		*key, *s;
	char			 why[ERR_MAX], addr[ETH_ADDR_STRLEN];
	size_t			 i, n;

	memset(in, 0, sizeof(*in));
	memcpy(in->type, "GTC", 4);
	/* json_is_object() evaluates its argument twice. */
	ord = json_object_get(el, "order");
	if (!json_is_object(el) || !json_is_object(ord))
		goto payload;
	json_object_foreach(el, key, val) {
		if (strcmp(key, "order") == 0)
			continue;
		if ((strcmp(key, "postOnly") == 0 ||
		    strcmp(key, "deferExec") == 0) && json_is_boolean(val))
			continue;
		if (strcmp(key, "owner") == 0 && json_is_string(val))
			continue;
		if (strcmp(key, "orderType") != 0 || !json_is_string(val))
			goto payload;
		s = json_string_value(val);
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcmp(s, types[i]) == 0)
				break;
		if (i == sizeof(types) / sizeof(types[0])) {
			refuse(rf, 400, "order:bad-type", E_PAYLOAD);
			return -1;
		}
		memcpy(in->type, types[i], 4);
	}
	/* Post-only orders rest on the book: never FOK or FAK. */
	if (json_is_true(json_object_get(el, "postOnly")) &&
	    (strcmp(in->type, "FOK") == 0 || strcmp(in->type, "FAK") == 0)) {
		refuse(rf, 400, "order:post-only", E_PAYLOAD);
		return -1;
	}
	/* The version by its shape: V2 has timestamp, metadata, builder. */
	if (json_object_get(ord, "timestamp") != NULL ||
	    json_object_get(ord, "metadata") != NULL ||
	    json_object_get(ord, "builder") != NULL) {
		if (c->tx->kind != TX_POLYMARKET) {
			refuse(rf, 400, "order:version", E_PAYLOAD);
			return -1;
		}
		v = ORDER_V2;
	}
	if (order_from_json(ord, v, &in->o, why, sizeof(why)) != 0) {
		refuse(rf, 400, why_verdict(why), E_PAYLOAD);
		return -1;
	}
	in->token = json_string_value(json_object_get(ord, "tokenId"));
	if ((s = json_string_value(json_object_get(ord, "signature"))) ==
	    NULL)
		goto payload;
	in->sig_ok = strlen(s) == 132 && strncmp(s, "0x", 2) == 0 &&
	    hex_decode(s, 132, in->sig, sizeof(in->sig), &n) == 0 &&
	    n == sizeof(in->sig);
	/* The owner may be left out; given, it is the key. */
	if ((val = json_object_get(el, "owner")) != NULL &&
	    strcmp(json_string_value(val), c->cred->key) != 0) {
		refuse(rf, 400, "order:owner-mismatch", E_OWNER);
		return -1;
	}
	if (memcmp(in->o.signer, c->cred->addr, ETH_ADDR_LEN) != 0) {
		refuse(rf, 400, "order:signer-mismatch", E_SIGNER);
		return -1;
	}
	/* Closed-only: positions may be reduced, not opened. */
	acc = tx_account_get(&c->tx->st, c->cred->addr, 0);
	if (acc != NULL && acc->closed_only && in->o.side == ORDER_BUY) {
		eth_address_lower(c->cred->addr, addr);
		refuse(rf, 400, "order:closed-only",
		    "'%s' address in closed only mode", addr);
		return -1;
	}
	return 0;
 payload:
	refuse(rf, 400, "order:payload", E_PAYLOAD);
	return -1;
}

/*
 * Price and amounts, as the official clients round them: shares in
 * units of 0.01, the collateral in units of the tick's decimals plus
 * two, the price (collateral / shares) on the tick within [tick,
 * 1 - tick].  A market BUY (FOK, FAK) is the exception the clients
 * make: collateral in cents, shares that amount over a tick price, cut
 * to the tick's decimals plus two (one unit more when the client's
 * rounding went up).
 */
static int
check_amounts(struct tx_call *c, const struct intake *in,
    const struct tx_market *m, const char *id, struct refusal *rf)
{
	struct order_view	 view;
	uint64_t		 maker, taker, usdc, shares, ticks, unit;
	uint64_t		 p, p0, q;
	int			 d = m->tick_dec, buy = in->o.side == ORDER_BUY;
	int			 market_buy, ok = 0, range_bad;
	const char		*tick = tx_tick_str(m);

	market_buy = buy && (strcmp(in->type, "FOK") == 0 ||
	    strcmp(in->type, "FAK") == 0);
	/* Zero, or past any market (and past 64-bit arithmetic below). */
	if (u256_u64(in->o.maker_amount, &maker) != 0 ||
	    u256_u64(in->o.taker_amount, &taker) != 0 || maker == 0 ||
	    taker == 0 || maker > AMOUNT_MAX || taker > AMOUNT_MAX ||
	    order_view(&in->o, &view) != 0) {
		refuse(rf, 400, "order:bad-amounts", "invalid amounts");
		return -1;
	}
	usdc = buy ? maker : taker;
	shares = buy ? taker : maker;
	unit = pow10u(4 - d);		/* 10^-(d + 2) in units of 10^-6 */
	ticks = pow10u(d);
	if (market_buy) {
		if (usdc % 10000 != 0 || shares % unit != 0) {
			refuse(rf, 400, "order:bad-amounts", "invalid "
			    "amounts, the market buy orders maker amount "
			    "supports a max accuracy of 2 decimals, taker "
			    "amount a max of %d decimals", d + 2);
			return -1;
		}
	} else if (shares % 10000 != 0 || usdc % unit != 0) {
		refuse(rf, 400, "order:bad-amounts", "invalid amounts, the "
		    "%s orders maker amount supports a max accuracy of %d "
		    "decimals, taker amount a max of %d decimals",
		    buy ? "buy" : "sell", buy ? d + 2 : 2, buy ? 2 : d + 2);
		return -1;
	}
	/* Prices in ticks: [1, ticks - 1] is [tick, 1 - tick]. */
	p0 = usdc * ticks / shares;
	if (!market_buy) {
		range_bad = usdc * ticks < shares ||
		    usdc * ticks > shares * (ticks - 1);
		ok = usdc * ticks % shares == 0;
	} else {
		for (p = p0; p <= p0 + 1 && !ok; p++) {
			if (p < 1 || p >= ticks)
				continue;
			q = usdc * ticks / p / unit * unit;
			ok = shares == q || shares == q + unit;
		}
		range_bad = !ok && (p0 < 1 || p0 >= ticks);
	}
	if (range_bad) {
		refuse(rf, 400, "order:bad-price", "invalid price (%s), "
		    "min: %s - max: 0.%0*llu", view.price, tick, d,
		    (unsigned long long)(ticks - 1));
		return -1;
	}
	if (!ok) {
		if (c->tx->kind == TX_OPENFISH)
			refuse(rf, 400, "order:tick", "price %s violates "
			    "tick size %s", view.price, tick);
		else
			refuse(rf, 400, "order:tick", "order %s is invalid. "
			    "Price (%s) breaks minimum tick size rule: %s", id,
			    view.price, tick);
		return -1;
	}
	if (!market_buy && shares < MIN_SIZE) {
		refuse(rf, 400, "order:min-size", "order %s is invalid. "
		    "Size (%s) lower than the minimum: 5", id, view.size);
		return -1;
	}
	return 0;
}

/*
 * The exchange's checks of one order taken in: the market, the
 * signature, the terms.  The accepted order in *out (the caller adds
 * it to the state).
 */
static int
process(struct tx_call *c, const struct intake *in, struct tx_order **out,
    struct refusal *rf)
{
	struct order_domain	 dom;
	struct order_view	 view;
	struct tx_market	*m;
	struct tx_order		*ord;
	uint8_t			 digest[32], who[ETH_ADDR_LEN];
	uint64_t		 v, exp;
	char			 id[TX_ORDER_ID_LEN];
	int			 gtd = strcmp(in->type, "GTD") == 0;

	*out = NULL;
	if ((m = tx_market_get(&c->tx->st, in->token)) == NULL) {
		refuse(rf, 404, "order:unknown-token", E_MARKET);
		return -1;
	}
	if (order_domain_for(c->tx->prof->name, in->o.version, m->neg_risk,
	    &dom) != 0) {
		refuse(rf, 500, "internal", "internal error");
		return -1;
	}
	/* --chain-id moves the domain as it moves L1. */
	dom.chain_id = c->tx->chain_id;
	order_digest(&dom, &in->o, digest);
	digest_id(digest, id);
	if (!in->sig_ok || secp_recover(c->tx->secp, in->sig, digest,
	    who) != 0 || memcmp(who, in->o.signer, ETH_ADDR_LEN) != 0) {
		refuse(rf, 400, "order:bad-signature", E_SIG);
		return -1;
	}
	/* An EOA order is its signer's own (the contract's check). */
	if (in->o.signature_type == 0 &&
	    memcmp(in->o.maker, in->o.signer, ETH_ADDR_LEN) != 0) {
		refuse(rf, 400, "order:maker-mismatch", E_SIG);
		return -1;
	}
	if (in->o.version == ORDER_V1) {
		if (u256_u64(in->o.nonce, &v) != 0 || v != 0) {
			refuse(rf, 400, "order:bad-nonce", E_NONCE);
			return -1;
		}
		/* At most ORDER_FEE_MAX: order_from_json saw to it. */
		if (u256_u64(in->o.fee_rate_bps, &v) != 0 ||
		    (m->fee_bps > 0 && v != m->fee_bps)) {
			refuse(rf, 400, "order:bad-fee", "invalid fee rate "
			    "(%llu), fee rate for the market must be %u",
			    (unsigned long long)v, m->fee_bps);
			return -1;
		}
	}
	/* GTD orders expire (a minute early); the others never do. */
	if (u256_u64(in->o.expiration, &exp) != 0 ||
	    (gtd && exp <= (uint64_t)c->req->now + GTD_MARGIN) ||
	    (!gtd && exp != 0)) {
		refuse(rf, 400, "order:bad-expiration", E_EXPIRATION);
		return -1;
	}
	if (check_amounts(c, in, m, id, rf) != 0)
		return -1;
	if (tx_order_by_hash(&c->tx->st, digest) != NULL) {
		refuse(rf, 400, "order:duplicate", "order %s is invalid. "
		    "Duplicated.", id);
		return -1;
	}
	if (strcmp(in->type, "FOK") == 0) {
		refuse(rf, 400, "order:killed", E_FOK);
		return -1;
	}
	if (strcmp(in->type, "FAK") == 0) {
		refuse(rf, 400, "order:killed", E_FAK);
		return -1;
	}
	if (order_view(&in->o, &view) != 0 ||
	    strlen(view.price) >= sizeof(ord->price) ||
	    strlen(view.size) >= sizeof(ord->size) ||
	    (ord = calloc(1, sizeof(*ord))) == NULL) {
		refuse(rf, 500, "internal", "internal error");
		return -1;
	}
	/* Polymarket names an order by its hash, Openfish by a UUID. */
	if (c->tx->kind == TX_POLYMARKET)
		memcpy(ord->id, id, sizeof(ord->id));
	else
		tx_uuid(ord->id);
	memcpy(ord->hash, digest, sizeof(ord->hash));
	memcpy(ord->owner, c->cred->key, sizeof(ord->owner));
	memcpy(ord->addr, in->o.signer, ETH_ADDR_LEN);
	memcpy(ord->maker, in->o.maker, ETH_ADDR_LEN);
	memcpy(ord->token, m->token, sizeof(ord->token));
	memcpy(ord->market, m->market, sizeof(ord->market));
	ord->side = in->o.side == ORDER_BUY ? 0 : 1;
	memcpy(ord->price, view.price, strlen(view.price) + 1);
	memcpy(ord->size, view.size, strlen(view.size) + 1);
	memcpy(ord->type, in->type, sizeof(ord->type));
	ord->expiration = (int64_t)exp;
	ord->created = c->req->now;
	ord->status = TX_ORDER_LIVE;
	*out = ord;
	return 0;
}

static json_t *
post_answer(const char *id, const char *err)
{
	return json_pack("{s:b, s:s, s:s, s:[], s:s, s:s, s:s}", "success",
	    err == NULL, "errorMsg", err != NULL ? err : "", "orderID",
	    id != NULL ? id : "", "transactionsHashes", "status",
	    err == NULL ? "live" : "", "takingAmount", "", "makingAmount", "");
}

static void
answer_refusal(struct tx_call *c, const struct refusal *rf)
{
	tx_resp_err(c->resp, rf->status, rf->msg, rf->verdict);
}

void
tx_orders_post(struct tx_call *c)
{
	struct intake	 in;
	struct refusal	 rf;
	struct tx_order	*ord = NULL;
	json_t		*b = tx_body_json(c->req);

	if (intake(c, b, &in, &rf) != 0 || process(c, &in, &ord, &rf) != 0) {
		answer_refusal(c, &rf);
		goto out;
	}
	if (tx_order_add(&c->tx->st, ord) != 0) {
		free(ord);
		tx_resp_err(c->resp, 500, "internal error", "internal");
		goto out;
	}
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, post_answer(ord->id, NULL), "ok");
 out:
	json_decref(b);
}

/*
 * Up to ORDER_BATCH_MAX orders: a malformed element or a foreign owner
 * or signer refuses the batch; otherwise each order gets its own answer
 * in the array, accepted or not.
 */
void
tx_orders_post_batch(struct tx_call *c)
{
	struct intake	 in[ORDER_BATCH_MAX];
	struct refusal	 rf;
	struct tx_order	*ord;
	json_t		*b = tx_body_json(c->req), *a = NULL, *e;
	size_t		 i, n, added = 0;

	if (!json_is_array(b) || (n = json_array_size(b)) == 0) {
		tx_resp_err(c->resp, 400, E_PAYLOAD, "order:payload");
		goto out;
	}
	if (n > ORDER_BATCH_MAX) {
		snprintf(rf.msg, sizeof(rf.msg), "Too many orders in payload: "
		    "%zu, max allowed: %d", n, ORDER_BATCH_MAX);
		tx_resp_err(c->resp, 400, rf.msg, "order:too-many");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (intake(c, json_array_get(b, i), &in[i], &rf) != 0) {
			answer_refusal(c, &rf);
			goto out;
		}
	}
	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		if (process(c, &in[i], &ord, &rf) != 0)
			e = post_answer(NULL, rf.msg);
		else if (tx_order_add(&c->tx->st, ord) != 0) {
			free(ord);
			goto fail;
		} else {
			added++;
			e = post_answer(ord->id, NULL);
		}
		if (json_array_append_new(a, e) != 0)
			goto fail;
	}
	if (added > 0)
		tx_persist(c->tx);
	tx_resp_json(c->resp, 200, a, "ok");
	a = NULL;
	goto out;
 fail:
	if (added > 0)
		tx_persist(c->tx);
	tx_resp_err(c->resp, 500, "internal error", "internal");
 out:
	json_decref(a);
	json_decref(b);
}

/*
 * An order id of the profile's shape (Polymarket 0x and 64 hex digits,
 * Openfish a UUID), lowercased into out; -1 if malformed.
 */
static int
id_norm(const struct tx *tx, const char *id, char out[TX_ORDER_ID_LEN])
{
	size_t	i, len = strlen(id), from = 0;
	int	pm = tx->kind == TX_POLYMARKET, dash;
	char	ch;

	if (pm) {
		if (len != TX_ORDER_ID_LEN - 1 || strncmp(id, "0x", 2) != 0)
			return -1;
		memcpy(out, "0x", 2);
		from = 2;
	} else if (len != TX_UUID_LEN - 1)
		return -1;
	for (i = from; i < len; i++) {
		ch = id[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		dash = !pm && (i == 8 || i == 13 || i == 18 || i == 23);
		if (dash ? ch != '-' : !((ch >= '0' && ch <= '9') ||
		    (ch >= 'a' && ch <= 'f')))
			return -1;
		out[i] = ch;
	}
	out[len] = '\0';
	return 0;
}

/* The caller's order called id (normalized), or NULL. */
static struct tx_order *
own_order(struct tx_call *c, const char *id)
{
	struct tx_order	*o = tx_order_by_id(&c->tx->st, id);

	if (o == NULL || memcmp(o->addr, c->addr, ETH_ADDR_LEN) != 0)
		return NULL;
	return o;
}

static json_t *
cancel_answer(void)
{
	return json_pack("{s:[], s:{}}", "canceled", "not_canceled");
}

/* Cancel one order by id into the answer's two members. */
static int
cancel_one(struct tx_call *c, const char *id, json_t *done, json_t *not)
{
	struct tx_order	*o = own_order(c, id);

	if (o == NULL)
		return json_object_set_new(not, id, json_string(E_NOT_FOUND));
	if (o->status != TX_ORDER_LIVE)
		return json_object_set_new(not, id, json_string(E_DONE));
	o->status = TX_ORDER_CANCELED;
	return json_array_append_new(done, json_string(o->id));
}

/* Accepts {"orderID"} (TypeScript, Python) and {"orderId"} (Rust). */
void
tx_orders_cancel(struct tx_call *c)
{
	json_t		*b = tx_body_json(c->req), *a = NULL, *v;
	char		 id[TX_ORDER_ID_LEN];

	if ((v = json_object_get(b, "orderID")) == NULL)
		v = json_object_get(b, "orderId");
	if (!json_is_object(b) || json_object_size(b) != 1 ||
	    !json_is_string(v)) {
		tx_resp_err(c->resp, 400, E_PAYLOAD, "order:payload");
		goto out;
	}
	if (id_norm(c->tx, json_string_value(v), id) != 0) {
		tx_resp_err(c->resp, 400, E_ORDER_ID, "order:bad-id");
		goto out;
	}
	if ((a = cancel_answer()) == NULL || cancel_one(c, id,
	    json_object_get(a, "canceled"), json_object_get(a,
	    "not_canceled")) != 0) {
		tx_resp_err(c->resp, 500, "internal error", "internal");
		goto out;
	}
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, a, "ok");
	a = NULL;
 out:
	json_decref(a);
	json_decref(b);
}

void
tx_orders_cancel_batch(struct tx_call *c)
{
	json_t		*b = tx_body_json(c->req), *a = NULL, *v;
	char		 id[TX_ORDER_ID_LEN], msg[ERR_MAX];
	size_t		 i;

	if (!json_is_array(b)) {
		tx_resp_err(c->resp, 400, E_PAYLOAD, "order:payload");
		goto out;
	}
	if (json_array_size(b) > CANCEL_MAX) {
		snprintf(msg, sizeof(msg), "Too many orders in payload, max "
		    "allowed: %d", CANCEL_MAX);
		tx_resp_err(c->resp, 400, msg, "order:too-many");
		goto out;
	}
	json_array_foreach(b, i, v) {
		if (!json_is_string(v)) {
			tx_resp_err(c->resp, 400, E_PAYLOAD, "order:payload");
			goto out;
		}
		if (id_norm(c->tx, json_string_value(v), id) != 0) {
			tx_resp_err(c->resp, 400, E_ORDER_ID, "order:bad-id");
			goto out;
		}
	}
	if ((a = cancel_answer()) == NULL)
		goto fail;
	json_array_foreach(b, i, v) {
		if (id_norm(c->tx, json_string_value(v), id) != 0 ||
		    cancel_one(c, id, json_object_get(a, "canceled"),
		    json_object_get(a, "not_canceled")) != 0)
			goto fail;
	}
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, a, "ok");
	a = NULL;
	goto out;
 fail:
	tx_persist(c->tx);
	tx_resp_err(c->resp, 500, "internal error", "internal");
 out:
	json_decref(a);
	json_decref(b);
}

/* Cancel the caller's live orders of market and token ("" for any). */
static void
cancel_where(struct tx_call *c, const char *market, const char *token)
{
	struct tx_order	*o;
	json_t		*a;
	size_t		 i;

	if ((a = cancel_answer()) == NULL)
		goto fail;
	for (i = 0; i < c->tx->st.orders.n; i++) {
		o = c->tx->st.orders.v[i];
		if (o->status != TX_ORDER_LIVE ||
		    memcmp(o->addr, c->addr, ETH_ADDR_LEN) != 0 ||
		    (market[0] != '\0' && strcmp(o->market, market) != 0) ||
		    (token[0] != '\0' && strcmp(o->token, token) != 0))
			continue;
		o->status = TX_ORDER_CANCELED;
		if (json_array_append_new(json_object_get(a, "canceled"),
		    json_string(o->id)) != 0) {
			json_decref(a);
			goto fail;
		}
	}
	tx_persist(c->tx);
	tx_resp_json(c->resp, 200, a, "ok");
	return;
 fail:
	tx_persist(c->tx);
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

void
tx_orders_cancel_all(struct tx_call *c)
{
	cancel_where(c, "", "");
}

/*
 * {"market", "asset_id"}: either may be "" or null (the Python and the
 * Rust clients' ways of leaving one out), not both.
 */
void
tx_orders_cancel_market(struct tx_call *c)
{
	json_t		*b = tx_body_json(c->req), *v;
	const char	*key, *f[2] = { "", "" };

	if (!json_is_object(b))
		goto bad;
	json_object_foreach(b, key, v) {
		if (strcmp(key, "market") != 0 && strcmp(key, "asset_id") != 0)
			goto bad;
		if (json_is_null(v))
			continue;
		if (!json_is_string(v) ||
		    json_string_length(v) >= TX_TOKENID_LEN ||
		    strlen(json_string_value(v)) != json_string_length(v))
			goto bad;
		f[strcmp(key, "market") == 0 ? 0 : 1] = json_string_value(v);
	}
	if (f[0][0] == '\0' && f[1][0] == '\0')
		goto bad;
	cancel_where(c, f[0], f[1]);
	json_decref(b);
	return;
 bad:
	json_decref(b);
	tx_resp_err(c->resp, 400, E_PAYLOAD, "order:payload");
}

/* An order as GET /data/order/{id} and /data/orders show it. */
static json_t *
open_order_json(const struct tx_order *o)
{
	char	maker[ETH_ADDR_STRLEN], exp[24];

	eth_address_eip55(o->maker, maker);
	snprintf(exp, sizeof(exp), "%lld", (long long)o->expiration);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:[], s:I}", "id", o->id, "status",
	    o->status == TX_ORDER_LIVE ? "LIVE" : "CANCELED", "owner",
	    o->owner, "maker_address", maker, "market", o->market, "asset_id",
	    o->token, "side", o->side == 0 ? "BUY" : "SELL", "original_size",
	    o->size, "size_matched", "0", "price", o->price, "outcome", "YES",
	    "expiration", exp, "order_type", o->type, "associate_trades",
	    "created_at", (json_int_t)o->created);
}

void
tx_orders_get(struct tx_call *c)
{
	struct tx_order	*o;
	char		 id[TX_ORDER_ID_LEN];

	if (id_norm(c->tx, c->req->path + strlen("/data/order/"), id) != 0) {
		tx_resp_err(c->resp, 400, E_ORDER_ID, "order:bad-id");
		return;
	}
	if ((o = own_order(c, id)) == NULL) {
		tx_resp_err(c->resp, 404, E_NOT_FOUND, "not-found");
		return;
	}
	tx_resp_json(c->resp, 200, open_order_json(o), "ok");
}

/*
 * A page cursor: base64 of the decimal offset, "MA==" the first page,
 * "LTE=" past the last.  -1 if malformed.
 */
static int
cursor_offset(const char *cur, size_t *off)
{
	uint8_t		 dec[24];
	uint64_t	 v;
	size_t		 n;

	*off = 0;
	if (strcmp(cur, CURSOR_END) == 0) {
		*off = SIZE_MAX;
		return 0;
	}
	if (b64_decode(cur, strlen(cur), dec, sizeof(dec), &n) != 0 ||
	    dec_decode_u64((const char *)dec, n, &v) != 0 || v > SIZE_MAX / 2)
		return -1;
	*off = (size_t)v;
	return 0;
}

/* {"data", "next_cursor", "limit", "count"} around the items of a page. */
static json_t *
page_json(json_t *data, size_t next, int more)
{
	char	dec[24], cur[B64_ENCODED_SIZE(24)];

	snprintf(dec, sizeof(dec), "%zu", next);
	if (!more)
		snprintf(cur, sizeof(cur), "%s", CURSOR_END);
	else if (b64_encode((const uint8_t *)dec, strlen(dec), cur,
	    sizeof(cur)) != 0) {
		json_decref(data);
		return NULL;
	}
	return json_pack("{s:o, s:s, s:i, s:I}", "data", data, "next_cursor",
	    cur, "limit", PAGE_LIMIT, "count",
	    (json_int_t)json_array_size(data));
}

/* ?id=&market=&asset_id=&next_cursor=: the caller's live orders. */
void
tx_orders_list(struct tx_call *c)
{
	static const char *const names[] = { "id", "market", "asset_id",
	    "next_cursor" };
	struct tx_order	*o;
	char		 v[4][TX_TOKENID_LEN + 8], id[TX_ORDER_ID_LEN];
	json_t		*data;
	size_t		 i, off, seen = 0;
	int		 r, more = 0;

	for (i = 0; i < 4; i++) {
		r = tx_query_get(c->req, names[i], v[i], sizeof(v[i]));
		if (r == CV_ERR_NOTFOUND)
			v[i][0] = '\0';
		else if (r != 0)
			goto bad;
	}
	if ((v[0][0] != '\0' && id_norm(c->tx, v[0], id) != 0) ||
	    cursor_offset(v[3][0] != '\0' ? v[3] : CURSOR_FIRST, &off) != 0)
		goto bad;
	if ((data = json_array()) == NULL)
		goto fail;
	for (i = 0; i < c->tx->st.orders.n; i++) {
		o = c->tx->st.orders.v[i];
		if (o->status != TX_ORDER_LIVE ||
		    memcmp(o->addr, c->addr, ETH_ADDR_LEN) != 0 ||
		    (v[0][0] != '\0' && strcmp(o->id, id) != 0) ||
		    (v[1][0] != '\0' && strcmp(o->market, v[1]) != 0) ||
		    (v[2][0] != '\0' && strcmp(o->token, v[2]) != 0))
			continue;
		if (seen++ < off)
			continue;
		if (json_array_size(data) == PAGE_LIMIT) {
			more = 1;
			break;
		}
		if (json_array_append_new(data, open_order_json(o)) != 0) {
			json_decref(data);
			goto fail;
		}
	}
	tx_resp_json(c->resp, 200, page_json(data, off + PAGE_LIMIT, more),
	    "ok");
	return;
 bad:
	tx_resp_err(c->resp, 400, E_PARAMS, "bad-params");
	return;
 fail:
	tx_resp_err(c->resp, 500, "internal error", "internal");
}

/* Nothing ever trades here: every page is empty. */
void
tx_orders_trades(struct tx_call *c)
{
	char	v[64];
	size_t	off;
	int	r;

	r = tx_query_get(c->req, "next_cursor", v, sizeof(v));
	if ((r != 0 && r != CV_ERR_NOTFOUND) ||
	    (r == 0 && cursor_offset(v, &off) != 0)) {
		tx_resp_err(c->resp, 400, E_TRADE_PARAMS, "bad-params");
		return;
	}
	tx_resp_json(c->resp, 200, page_json(json_array(), 0, 0), "ok");
}

/*
 * {"heartbeat_id": null} starts a heartbeat for the calling key, the id
 * it answered keeps it going: each must come within TX_HEARTBEAT_MS of
 * the last, or the key's live orders are canceled (tx_orders_sweep).
 */
void
tx_orders_heartbeat(struct tx_call *c)
{
	struct tx_cred	*k = c->cred;
	json_t		*b = NULL, *v = NULL;
	const char	*id = NULL;

	if (c->req->bodylen > 0) {
		b = tx_body_json(c->req);
		if (!json_is_object(b) || json_object_size(b) > 1 ||
		    (json_object_size(b) == 1 && ((v = json_object_get(b,
		    "heartbeat_id")) == NULL || (!json_is_null(v) &&
		    !json_is_string(v))))) {
			tx_resp_err(c->resp, 400, "Invalid heartbeat payload",
			    "bad-params");
			goto out;
		}
		id = json_string_value(v);
	}
	if (id != NULL && id[0] != '\0' && (k->hb_deadline_ms == 0 ||
	    strcmp(id, k->hb_id) != 0)) {
		tx_resp_err(c->resp, 400, E_HEARTBEAT, "heartbeat:bad-id");
		goto out;
	}
	if (id == NULL || id[0] == '\0')
		tx_uuid(k->hb_id);
	k->hb_deadline_ms = c->req->now_ms + TX_HEARTBEAT_MS;
	tx_resp_json(c->resp, 200, json_pack("{s:s}", "heartbeat_id",
	    k->hb_id), "ok");
 out:
	json_decref(b);
}

void
tx_orders_sweep(struct tx *tx, int64_t now_ms)
{
	struct tx_cred	*k;
	struct tx_order	*o;
	size_t		 i, j;
	int		 changed = 0;

	for (i = 0; i < tx->st.creds.n; i++) {
		k = tx->st.creds.v[i];
		if (k->hb_deadline_ms == 0 || now_ms <= k->hb_deadline_ms)
			continue;
		for (j = 0; j < tx->st.orders.n; j++) {
			o = tx->st.orders.v[j];
			if (o->status == TX_ORDER_LIVE &&
			    strcmp(o->owner, k->key) == 0) {
				o->status = TX_ORDER_CANCELED;
				changed = 1;
			}
		}
		k->hb_deadline_ms = 0;
		memset(k->hb_id, 0, sizeof(k->hb_id));
	}
	for (j = 0; j < tx->st.orders.n; j++) {
		o = tx->st.orders.v[j];
		if (o->status == TX_ORDER_LIVE && o->expiration != 0 &&
		    now_ms / 1000 >= o->expiration - GTD_MARGIN) {
			o->status = TX_ORDER_CANCELED;
			changed = 1;
		}
	}
	if (changed)
		tx_persist(tx);
}
