/*
 * The test exchange's trading endpoints over real HTTP
 * (doc/exchanges.md, "Trading"): the public market lookups, orders
 * signed with common/order.c and common/secp.c and checked as the
 * exchanges check them, every refusal with its exact status and body,
 * cancels, queries, heartbeats, the state file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/testexchange/tx_test.h"

#define OF	"OPENFISH_"
#define PM	"POLY_"
#define T1234	"0x387a8233c96e1fc0ad5e284353276177" \
		"af2186e7afa85296f106336e376669f7"	/* 1234's market */
#define PAYLOAD	"{\"error\":\"Invalid order payload\"}"
#define BADSIG	"{\"error\":\"invalid signature\"}"
#define EXPIRED	"{\"error\":\"invalid expiration\"}"
#define NOMARKET "{\"error\":\"market not found\"}"
#define SIGNER	"{\"error\":\"the order signer address has to be the " \
		"address of the API KEY\"}"
#define OWNER	"{\"error\":\"the order owner has to be the owner of the " \
		"API KEY\"}"

/* A fixture: an exchange, its profile's prefix, a key of w1. */
struct fx {
	struct txt	 t;
	const char	*p;
	const char	*profile;
	struct txcreds	 c;
};

static struct txwallet	w1, w2;

static int
group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	txt_wallet(&w1, TXT_SK1);
	txt_wallet(&w2, TXT_SK2);
	return 0;
}

static int
group_teardown(void **state)
{
	secp_ctx_free(txt_secp);
	curl_global_cleanup();
	return 0;
}

/* POST /auth/api-key for w (nonce 0); 0 and c on success. */
static int
new_key(struct fx *f, const struct txwallet *w, uint64_t chain,
    struct txcreds *c)
{
	struct curl_slist	*h = txt_l1(f->p, w, chain, txt_now(), 0);
	struct txr		 r;
	int			 ok;

	if (strcmp(f->p, OF) == 0)
		h = txt_hdr(h, f->p, "INVITATION_CODE", w == &w1 ? "CODE-1" :
		    "CODE-2");
	txt_req(&f->t, "POST", "/auth/api-key", h, NULL, &r);
	curl_slist_free_all(h);
	ok = r.status == 200 && txt_creds(r.json, c) == 0;
	txr_free(&r);
	return ok ? 0 : -1;
}

static int
start_with(void **state, const char *profile, const char *const *extra,
    uint64_t chain)
{
	static struct fx	f;
	const char		*args[16];
	size_t			 n = 0, i;

	memset(&f, 0, sizeof(f));
	f.profile = profile;
	f.p = strcmp(profile, "openfish") == 0 ? OF : PM;
	if (strcmp(profile, "openfish") == 0) {
		args[n++] = "--invite";
		args[n++] = "CODE-1";
		args[n++] = "--invite";
		args[n++] = "CODE-2";
	}
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	if (txt_start_argv(&f.t, profile, args) != 0 ||
	    new_key(&f, &w1, chain, &f.c) != 0)
		return -1;
	*state = &f;
	return 0;
}

static int
start_openfish(void **state)
{
	return start_with(state, "openfish", NULL, 56);
}

static int
start_polymarket(void **state)
{
	static const char *const extra[] = { "--market", "1234",
	    "--market", "5678:0.001:negrisk:fee=100", NULL };

	return start_with(state, "polymarket", extra, 137);
}

static int
stop(void **state)
{
	struct fx	*f = *state;

	txt_cleanup(&f->t);
	return 0;
}

static void
expect_verdict(struct fx *f, const char *target, const char *v)
{
	char	got[64];

	assert_string_equal(txt_verdict(&f->t, target, got, sizeof(got)), v);
}

/* An L2 request of c (w's), signed as the profile signs. */
static void
l2(struct fx *f, const struct txcreds *c, const struct txwallet *w,
    const char *method, const char *target, const char *body, struct txr *r)
{
	char			 path[512];
	struct curl_slist	*h;

	snprintf(path, sizeof(path), "%s", target);
	if (strcmp(f->p, PM) == 0)
		path[strcspn(path, "?")] = '\0';
	h = txt_l2(f->p, c, w->eip55, txt_now(), method, path, body);
	txt_req(&f->t, method, target, h, body, r);
	curl_slist_free_all(h);
}

/*
 * Post o signed by w (chain 0: the profile's) with owner and type;
 * expect status and body (NULL: any body).  id gets the order hash.
 */
static void
post(struct fx *f, const struct txwallet *w, uint64_t chain, int neg,
    const struct txorder *o, const char *owner, const char *type,
    long status, const char *want, char id[67])
{
	struct txr	 r;
	char		*body, idbuf[67];

	body = txt_order_body(f->profile, chain, neg, w, o, owner, type,
	    id != NULL ? id : idbuf);
	l2(f, &f->c, &w1, "POST", "/order", body, &r);
	txt_expect(&r, status, want);
	txr_free(&r);
	free(body);
}

/* The hash of o signed by w1 for the profile: Polymarket's order id. */
static void
order_id(struct fx *f, const struct txorder *o, char id[67])
{
	free(txt_order_body(f->profile, 0, 0, &w1, o, f->c.key, "GTC", id));
}

/* The accepted answer of order id. */
static const char *
accepted(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "{\"success\":true,\"errorMsg\":\"\",\"orderID\":"
	    "\"%s\",\"transactionsHashes\":[],\"status\":\"live\","
	    "\"takingAmount\":\"\",\"makingAmount\":\"\"}", id);
	return buf;
}

static void
public_get(struct fx *f, const char *target, long status, const char *want)
{
	struct txr	r;

	txt_req(&f->t, "GET", target, NULL, NULL, &r);
	txt_expect(&r, status, want);
	txr_free(&r);
}

static void
test_public(void **state)
{
	struct fx	*f = *state;

	public_get(f, "/tick-size?token_id=1234", 200,
	    "{\"minimum_tick_size\":0.01}");
	public_get(f, "/tick-size?token_id=5678", 200,
	    "{\"minimum_tick_size\":0.001}");
	public_get(f, "/neg-risk?token_id=1234", 200, "{\"neg_risk\":false}");
	public_get(f, "/neg-risk?token_id=5678", 200, "{\"neg_risk\":true}");
	public_get(f, "/fee-rate?token_id=1234", 200, "{\"base_fee\":0}");
	public_get(f, "/fee-rate?token_id=5678", 200, "{\"base_fee\":100}");
	public_get(f, "/book?token_id=1234", 200, "{\"market\":\"" T1234 "\","
	    "\"asset_id\":\"1234\",\"bids\":[],\"asks\":[],\"min_order_size\":"
	    "\"5\",\"tick_size\":\"0.01\",\"neg_risk\":false}");
	public_get(f, "/tick-size?token_id=999", 404, NOMARKET);
	public_get(f, "/neg-risk?token_id=999", 404, NOMARKET);
	public_get(f, "/fee-rate?token_id=999", 404, NOMARKET);
	public_get(f, "/book?token_id=999", 404, "{\"error\":\"No orderbook "
	    "exists for the requested token id\"}");
	public_get(f, "/tick-size", 400, "{\"error\":\"Invalid token id\"}");
	public_get(f, "/book?token_id=0x12", 400,
	    "{\"error\":\"Invalid token id\"}");
	public_get(f, "/neg-risk?token_id=01", 400,
	    "{\"error\":\"Invalid token id\"}");
}

/* The defaults without --market: 1234 and 5678, tick 0.01, no fee. */
static void
test_default_markets(void **state)
{
	struct fx	*f = *state;
	struct txr	 r;

	public_get(f, "/tick-size?token_id=5678", 200,
	    "{\"minimum_tick_size\":0.01}");
	public_get(f, "/fee-rate?token_id=5678", 200, "{\"base_fee\":0}");
	public_get(f, "/tick-size?token_id=77", 404, NOMARKET);
	/* The admin endpoint adds one. */
	assert_int_equal(txt_admin(&f->t, "POST", "markets", "{\"token_id\":"
	    "\"77\",\"tick_size\":\"0.1\",\"neg_risk\":true,\"fee_rate_bps\":"
	    "20}", &r), 200);
	txr_free(&r);
	public_get(f, "/tick-size?token_id=77", 200,
	    "{\"minimum_tick_size\":0.1}");
	public_get(f, "/neg-risk?token_id=77", 200, "{\"neg_risk\":true}");
	public_get(f, "/fee-rate?token_id=77", 200, "{\"base_fee\":20}");
	assert_int_equal(txt_admin(&f->t, "POST", "markets", "{\"token_id\":"
	    "\"77\",\"tick_size\":\"0.05\"}", &r), 400);
	txr_free(&r);
}

/* Openfish: a V1 order on chain 56 under "Openfish CTF Exchange". */
static void
test_openfish_order(void **state)
{
	struct fx	*f = *state;
	struct txorder	 o;
	struct txr	 r;
	char		*body, id[67], want[512];
	const char	*oid;

	txt_order_init(&o, &w1);
	body = txt_order_body("openfish", 0, 0, &w1, &o, f->c.key, "GTC", id);
	l2(f, &f->c, &w1, "POST", "/order", body, &r);
	assert_int_equal(r.status, 200);
	/* Openfish names orders by UUID. */
	oid = json_string_value(json_object_get(r.json, "orderID"));
	assert_non_null(oid);
	assert_int_equal(strlen(oid), 36);
	txt_expect(&r, 200, accepted(oid, want, sizeof(want)));
	txr_free(&r);
	expect_verdict(f, "/order", "ok");
	/* The same order again is a duplicate. */
	l2(f, &f->c, &w1, "POST", "/order", body, &r);
	snprintf(want, sizeof(want), "{\"error\":\"order %s is invalid. "
	    "Duplicated.\"}", id);
	txt_expect(&r, 400, want);
	txr_free(&r);
	expect_verdict(f, "/order", "order:duplicate");
	free(body);

	/* Polymarket's domain name on chain 56 is another digest. */
	o.salt = "777";
	body = txt_order_body("polymarket", 56, 0, &w1, &o, f->c.key, "GTC",
	    id);
	l2(f, &f->c, &w1, "POST", "/order", body, &r);
	txt_expect(&r, 400, BADSIG);
	txr_free(&r);
	free(body);
	expect_verdict(f, "/order", "order:bad-signature");
	post(f, &w1, 56, 0, &o, f->c.key, "GTC", 200, NULL, NULL);
	/* Openfish takes V1 only. */
	o.timestamp = "1710000000000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, PAYLOAD, NULL);
	expect_verdict(f, "/order", "order:version");
	/* Its tick refusal is its own. */
	txt_order_init(&o, &w1);
	o.salt = "778";
	o.making = "5550000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400,
	    "{\"error\":\"price 0.555 violates tick size 0.01\"}", NULL);
}

/* Each refusal, with the real server's status and text. */
static void
test_refusals(void **state)
{
	struct fx	*f = *state;
	struct txorder	 o;
	struct txcreds	 c2;
	struct txr	 r;
	char		 id[67], want[512], exp[24];
	char		*body;

	txt_order_init(&o, &w1);
	/* Signed by another key than the signer's. */
	o.salt = "1";
	post(f, &w2, 0, 0, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	expect_verdict(f, "/order", "order:bad-signature");
	/* Signed for the other chain, or the other exchange. */
	post(f, &w1, 80002, 0, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	post(f, &w1, 0, 1, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	/* A signer other than the key's address, however well signed. */
	o.signer = w2.eip55;
	o.maker = w2.eip55;
	post(f, &w2, 0, 0, &o, f->c.key, "GTC", 400, SIGNER, NULL);
	expect_verdict(f, "/order", "order:signer-mismatch");
	/* An EOA order whose maker is not its signer. */
	txt_order_init(&o, &w1);
	o.salt = "2";
	o.maker = w2.eip55;
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	expect_verdict(f, "/order", "order:maker-mismatch");
	/* Another key's owner, even the same address's. */
	txt_order_init(&o, &w1);
	o.salt = "3";
	post(f, &w1, 0, 0, &o, "00000000-0000-4000-8000-000000000000", "GTC",
	    400, OWNER, NULL);
	expect_verdict(f, "/order", "order:owner-mismatch");
	/* No owner at all is the key's. */
	post(f, &w1, 0, 0, &o, NULL, "GTC", 200, NULL, NULL);
	/* An unknown token. */
	o.salt = "4";
	o.token = "999";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 404, NOMARKET, NULL);
	expect_verdict(f, "/order", "order:unknown-token");
	/* Off the tick: 5.55 for 10 shares is 0.555. */
	txt_order_init(&o, &w1);
	o.salt = "5";
	o.making = "5550000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, NULL, id);
	snprintf(want, sizeof(want), "{\"error\":\"order %s is invalid. Price "
	    "(0.555) breaks minimum tick size rule: 0.01\"}", id);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, want, NULL);
	expect_verdict(f, "/order", "order:tick");
	/* The same on a 0.001 tick market (fee 100) is on its tick. */
	o.token = "5678";
	o.fee = "100";
	post(f, &w1, 0, 1, &o, f->c.key, "GTC", 200, NULL, NULL);
	/* Sizes in cents of a share, collateral in the tick's + 2. */
	txt_order_init(&o, &w1);
	o.salt = "6";
	o.taking = "10001000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid "
	    "amounts, the buy orders maker amount supports a max accuracy of "
	    "4 decimals, taker amount a max of 2 decimals\"}", NULL);
	expect_verdict(f, "/order", "order:bad-amounts");
	txt_order_init(&o, &w1);
	o.salt = "6";
	o.side = "SELL";
	o.making = "10000000";
	o.taking = "5000010";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid "
	    "amounts, the sell orders maker amount supports a max accuracy of "
	    "2 decimals, taker amount a max of 4 decimals\"}", NULL);
	/* Price out of [tick, 1 - tick]. */
	txt_order_init(&o, &w1);
	o.salt = "7";
	o.making = "10000000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid "
	    "price (1), min: 0.01 - max: 0.99\"}", NULL);
	expect_verdict(f, "/order", "order:bad-price");
	o.making = "50000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid "
	    "price (0.005), min: 0.01 - max: 0.99\"}", NULL);
	/* Under five shares. */
	o.making = "2000000";
	o.taking = "4000000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, NULL, id);
	snprintf(want, sizeof(want), "{\"error\":\"order %s is invalid. Size "
	    "(4) lower than the minimum: 5\"}", id);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, want, NULL);
	/* Fees: over the contract's 1000, or not the market's. */
	txt_order_init(&o, &w1);
	o.salt = "8";
	o.fee = "1001";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, PAYLOAD, NULL);
	expect_verdict(f, "/order", "order:bad-fee");
	o.fee = "1000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200, NULL, NULL);
	o.token = "5678";
	o.fee = "0";
	post(f, &w1, 0, 1, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid fee "
	    "rate (0), fee rate for the market must be 100\"}", NULL);
	expect_verdict(f, "/order", "order:bad-fee");
	/* A salt the exchange cannot hold in a double. */
	txt_order_init(&o, &w1);
	o.salt = "9007199254740992";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, PAYLOAD, NULL);
	expect_verdict(f, "/order", "order:bad-salt");
	o.salt = "9007199254740991";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200, NULL, NULL);
	/* Expiration: GTD only, past now plus the one-minute margin. */
	txt_order_init(&o, &w1);
	o.salt = "10";
	snprintf(exp, sizeof(exp), "%lld", (long long)txt_now() - 1);
	o.expiration = exp;
	post(f, &w1, 0, 0, &o, f->c.key, "GTD", 400, EXPIRED, NULL);
	expect_verdict(f, "/order", "order:bad-expiration");
	snprintf(exp, sizeof(exp), "%lld", (long long)txt_now() + 30);
	post(f, &w1, 0, 0, &o, f->c.key, "GTD", 400, EXPIRED, NULL);
	o.expiration = "0";
	post(f, &w1, 0, 0, &o, f->c.key, "GTD", 400, EXPIRED, NULL);
	snprintf(exp, sizeof(exp), "%lld", (long long)txt_now() + 3600);
	o.expiration = exp;
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, EXPIRED, NULL);
	post(f, &w1, 0, 0, &o, f->c.key, "GTD", 200, NULL, NULL);
	/* The on-chain nonce is 0. */
	txt_order_init(&o, &w1);
	o.salt = "11";
	o.nonce = "1";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400,
	    "{\"error\":\"invalid nonce\"}", NULL);
	/* Order types, and post-only. */
	o.nonce = "0";
	post(f, &w1, 0, 0, &o, f->c.key, "GTX", 400, PAYLOAD, NULL);
	expect_verdict(f, "/order", "order:bad-type");
	post(f, &w1, 0, 0, &o, f->c.key, "FOK", 400, "{\"error\":\"order "
	    "couldn't be fully filled. FOK orders are fully filled or "
	    "killed.\"}", NULL);
	expect_verdict(f, "/order", "order:killed");
	post(f, &w1, 0, 0, &o, f->c.key, "FAK", 400, "{\"error\":\"no orders "
	    "found to match with FAK order. FAK orders are partially filled "
	    "or killed if no match is found.\"}", NULL);
	/* A market buy: $100 at 0.56 is 178.5714 shares. */
	o.making = "100000000";
	o.taking = "178571400";
	post(f, &w1, 0, 0, &o, f->c.key, "FOK", 400, NULL, NULL);
	expect_verdict(f, "/order", "order:killed");
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, "{\"error\":\"invalid "
	    "amounts, the buy orders maker amount supports a max accuracy of "
	    "4 decimals, taker amount a max of 2 decimals\"}", NULL);
	/* Malformed bodies. */
	l2(f, &f->c, &w1, "POST", "/order", "{\"order\":{}}", &r);
	txt_expect(&r, 400, PAYLOAD);
	txr_free(&r);
	l2(f, &f->c, &w1, "POST", "/order", "not json", &r);
	txt_expect(&r, 400, PAYLOAD);
	txr_free(&r);
	txt_order_init(&o, &w1);
	o.salt = "12";
	body = txt_order_body(f->profile, 0, 0, &w1, &o, f->c.key, "GTC", id);
	body[strlen(body) - 1] = '\0';
	{
		char	extra[2048];

		snprintf(extra, sizeof(extra), "%s,\"x\":1}", body);
		l2(f, &f->c, &w1, "POST", "/order", extra, &r);
		txt_expect(&r, 400, PAYLOAD);
		txr_free(&r);
	}
	free(body);
	/* A closed-only address may sell, not buy. */
	snprintf(want, sizeof(want), "{\"address\":\"%s\",\"closed_only\":"
	    "true}", w1.eip55);
	assert_int_equal(txt_admin(&f->t, "POST", "closed-only", want, &r),
	    200);
	txr_free(&r);
	snprintf(want, sizeof(want), "{\"error\":\"'%s' address in closed "
	    "only mode\"}", w1.lower);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, want, NULL);
	o.side = "SELL";
	o.making = "10000000";
	o.taking = "5000000";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200, NULL, NULL);
	/* Orders need L2, as every trading endpoint. */
	txt_req(&f->t, "POST", "/order", NULL, "{}", &r);
	txt_expect(&r, 401, "{\"error\":\"Unauthorized/Invalid api key\"}");
	txr_free(&r);
	/* A key of another address cannot place w1's orders. */
	assert_int_equal(new_key(f, &w2, 137, &c2), 0);
	o.salt = "13";
	body = txt_order_body(f->profile, 0, 0, &w1, &o, c2.key, "GTC", id);
	l2(f, &c2, &w2, "POST", "/order", body, &r);
	txt_expect(&r, 400, SIGNER);
	txr_free(&r);
	free(body);
}

/* Polymarket: V1 and V2, order ids are hashes, neg-risk exchanges. */
static void
test_polymarket_order(void **state)
{
	struct fx	*f = *state;
	struct txorder	 o;
	char		 id[67], want[512];

	txt_order_init(&o, &w1);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200, NULL, id);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, NULL, NULL);
	o.salt = "\"54321\"";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200, NULL, id);
	o.salt = "54322";
	order_id(f, &o, id);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200,
	    accepted(id, want, sizeof(want)), NULL);
	/* V2: timestamp, metadata, builder; no fee or nonce. */
	o.timestamp = "1710000000000";
	order_id(f, &o, id);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 200,
	    accepted(id, want, sizeof(want)), NULL);
	/* Signed for the neg-risk exchange, on a market that is not. */
	o.salt = "54323";
	post(f, &w1, 0, 1, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	/* Neg-risk tokens are signed for the neg-risk exchange. */
	txt_order_init(&o, &w1);
	o.salt = "54324";
	o.token = "5678";
	o.fee = "100";
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	post(f, &w1, 0, 1, &o, f->c.key, "GTC", 200, NULL, NULL);
}

/*
 * Amounts as the official clients round them (the public SDKs' own
 * test expectations): every limit order rests, every market buy passes
 * the checks and is killed (nothing to match).
 */
static void
test_worked_amounts(void **state)
{
	static const struct {
		const char	*token, *side, *making, *taking, *type;
	} rows[] = {
		{ "11", "BUY", "10520000", "21040000", "GTC" },
		{ "1234", "BUY", "11782400", "21040000", "GTC" },
		{ "13", "BUY", "1178240", "21040000", "GTC" },
		{ "14", "BUY", "117824", "21040000", "GTC" },
		{ "1234", "BUY", "10575331400", "18233330000", "GTC" },
		{ "13", "BUY", "51200000", "100000000", "GTC" },
		{ "1234", "SELL", "101000000", "82820000", "GTC" },
		{ "1234", "SELL", "2435890000", "949997100", "GTC" },
		{ "1234", "SELL", "19100000", "8213000", "GTC" },
		{ "1234", "BUY", "100000000", "178571400", "FOK" },
		{ "13", "BUY", "100000000", "1785714280", "FAK" },
		{ "14", "BUY", "100000000", "17857142857", "FOK" },
	};
	struct fx	*f = *state;
	struct txorder	 o;
	struct txr	 r;
	char		 salt[16];
	size_t		 i;

	assert_int_equal(txt_admin(&f->t, "POST", "markets", "{\"token_id\":"
	    "\"11\",\"tick_size\":\"0.1\"}", &r), 200);
	txr_free(&r);
	assert_int_equal(txt_admin(&f->t, "POST", "markets", "{\"token_id\":"
	    "\"13\",\"tick_size\":\"0.001\"}", &r), 200);
	txr_free(&r);
	assert_int_equal(txt_admin(&f->t, "POST", "markets", "{\"token_id\":"
	    "\"14\",\"tick_size\":\"0.0001\"}", &r), 200);
	txr_free(&r);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		txt_order_init(&o, &w1);
		snprintf(salt, sizeof(salt), "%zu", 500 + i);
		o.salt = salt;
		o.token = rows[i].token;
		o.side = rows[i].side;
		o.making = rows[i].making;
		o.taking = rows[i].taking;
		post(f, &w1, 0, 0, &o, f->c.key, rows[i].type,
		    rows[i].type[0] == 'G' ? 200 : 400, NULL, NULL);
		expect_verdict(f, "/order", rows[i].type[0] == 'G' ? "ok" :
		    "order:killed");
	}
}

/* --chain-id moves the order domain as it moves L1. */
static void
test_chain_id(void **state)
{
	static const char *const extra[] = { "--chain-id", "97", NULL };
	struct fx	*f;
	struct txorder	 o;

	assert_int_equal(start_with(state, "openfish", extra, 97), 0);
	f = *state;
	txt_order_init(&o, &w1);
	post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, BADSIG, NULL);
	post(f, &w1, 97, 0, &o, f->c.key, "GTC", 200, NULL, NULL);
	stop(state);
}

/* Post a BUY of 10 at making/10 (token 1234 unless tok); its id. */
static void
place(struct fx *f, const char *salt, const char *tok, char oid[67])
{
	struct txorder	 o;
	struct txr	 r;
	char		*body, id[67];

	txt_order_init(&o, &w1);
	o.salt = salt;
	if (tok != NULL) {
		o.token = tok;
		o.fee = strcmp(tok, "5678") == 0 ? "100" : "0";
	}
	body = txt_order_body(f->profile, 0, strcmp(o.token, "5678") == 0, &w1,
	    &o, f->c.key, "GTC", id);
	l2(f, &f->c, &w1, "POST", "/order", body, &r);
	txt_expect(&r, 200, NULL);
	snprintf(oid, 67, "%s", json_string_value(json_object_get(r.json,
	    "orderID")));
	txr_free(&r);
	free(body);
}

/* The open order of id as the lists show it (token 1234, GTC). */
static const char *
open_json(const struct fx *f, const char *id, const char *status,
    json_int_t created, char *buf, size_t len)
{
	snprintf(buf, len, "{\"id\":\"%s\",\"status\":\"%s\",\"owner\":\"%s\","
	    "\"maker_address\":\"%s\",\"market\":\"" T1234 "\",\"asset_id\":"
	    "\"1234\",\"side\":\"BUY\",\"original_size\":\"10\","
	    "\"size_matched\":\"0\",\"price\":\"0.5\",\"outcome\":\"YES\","
	    "\"expiration\":\"0\",\"order_type\":\"GTC\",\"associate_trades\":"
	    "[],\"created_at\":%lld}", id, status, f->c.key, w1.eip55,
	    (long long)created);
	return buf;
}

static void
test_queries_and_cancels(void **state)
{
	struct fx	*f = *state;
	struct txr	 r;
	char		 a[67], b[67], c[67], d[67], target[160], want[2048];
	char		 one[700], body[256];
	json_int_t	 created;
	int64_t		 before = txt_now();

	place(f, "101", NULL, a);
	place(f, "102", NULL, b);
	place(f, "103", "5678", c);
	/* One order by id, exactly. */
	snprintf(target, sizeof(target), "/data/order/%s", a);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	assert_int_equal(r.status, 200);
	created = json_integer_value(json_object_get(r.json, "created_at"));
	assert_true(created >= before && created <= txt_now());
	txt_expect(&r, 200, open_json(f, a, "LIVE", created, one,
	    sizeof(one)));
	txr_free(&r);
	l2(f, &f->c, &w1, "GET", "/data/order/0x12", NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"Invalid orderID\"}");
	txr_free(&r);
	snprintf(target, sizeof(target), "/data/order/0x%064d", 0);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"order not found\"}");
	txr_free(&r);
	/* The list, filtered by market and asset, in one page. */
	l2(f, &f->c, &w1, "GET", "/data/orders?market=" T1234, NULL, &r);
	snprintf(want, sizeof(want), "{\"data\":[%s,", open_json(f, a, "LIVE",
	    created, one, sizeof(one)));
	created = json_integer_value(json_object_get(json_array_get(
	    json_object_get(r.json, "data"), 1), "created_at"));
	snprintf(want + strlen(want), sizeof(want) - strlen(want),
	    "%s],\"next_cursor\":\"LTE=\",\"limit\":500,\"count\":2}",
	    open_json(f, b, "LIVE", created, one, sizeof(one)));
	txt_expect(&r, 200, want);
	txr_free(&r);
	l2(f, &f->c, &w1, "GET", "/data/orders?asset_id=5678&next_cursor=MA==",
	    NULL, &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(json_integer_value(json_object_get(r.json, "count")),
	    1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(r.json, "data"), 0), "price")), "0.5");
	txr_free(&r);
	l2(f, &f->c, &w1, "GET", "/data/orders?next_cursor=LTE=", NULL, &r);
	txt_expect(&r, 200, "{\"data\":[],\"next_cursor\":\"LTE=\","
	    "\"limit\":500,\"count\":0}");
	txr_free(&r);
	l2(f, &f->c, &w1, "GET", "/data/orders?next_cursor=zz", NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid order params payload\"}");
	txr_free(&r);
	l2(f, &f->c, &w1, "GET", "/data/trades", NULL, &r);
	txt_expect(&r, 200, "{\"data\":[],\"next_cursor\":\"LTE=\","
	    "\"limit\":500,\"count\":0}");
	txr_free(&r);

	/* Cancel one: {"orderID"} (TypeScript) and {"orderId"} (Rust). */
	snprintf(body, sizeof(body), "{\"orderID\":\"%s\"}", a);
	l2(f, &f->c, &w1, "DELETE", "/order", body, &r);
	snprintf(want, sizeof(want), "{\"canceled\":[\"%s\"],"
	    "\"not_canceled\":{}}", a);
	txt_expect(&r, 200, want);
	txr_free(&r);
	snprintf(body, sizeof(body), "{\"orderId\":\"%s\"}", a);
	l2(f, &f->c, &w1, "DELETE", "/order", body, &r);
	snprintf(want, sizeof(want), "{\"canceled\":[],\"not_canceled\":"
	    "{\"%s\":\"already canceled or matched\"}}", a);
	txt_expect(&r, 200, want);
	txr_free(&r);
	snprintf(target, sizeof(target), "/data/order/%s", a);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "status")), "CANCELED");
	txr_free(&r);
	l2(f, &f->c, &w1, "DELETE", "/order", "{\"id\":\"x\"}", &r);
	txt_expect(&r, 400, PAYLOAD);
	txr_free(&r);
	l2(f, &f->c, &w1, "DELETE", "/order", "{\"orderID\":\"nope\"}", &r);
	txt_expect(&r, 400, "{\"error\":\"Invalid orderID\"}");
	txr_free(&r);
	/* Several, one unknown. */
	snprintf(d, sizeof(d), "0x%064d", 1);
	snprintf(body, sizeof(body), "[\"%s\",\"%s\"]", b, d);
	l2(f, &f->c, &w1, "DELETE", "/orders", body, &r);
	snprintf(want, sizeof(want), "{\"canceled\":[\"%s\"],\"not_canceled\":"
	    "{\"%s\":\"order not found\"}}", b, d);
	txt_expect(&r, 200, want);
	txr_free(&r);
	/* By market: none left in 1234's; 5678's by asset id. */
	l2(f, &f->c, &w1, "DELETE", "/cancel-market-orders",
	    "{\"market\":\"" T1234 "\",\"asset_id\":\"\"}", &r);
	txt_expect(&r, 200, "{\"canceled\":[],\"not_canceled\":{}}");
	txr_free(&r);
	l2(f, &f->c, &w1, "DELETE", "/cancel-market-orders",
	    "{\"market\":null,\"asset_id\":null}", &r);
	txt_expect(&r, 400, PAYLOAD);
	txr_free(&r);
	l2(f, &f->c, &w1, "DELETE", "/cancel-market-orders",
	    "{\"market\":null,\"asset_id\":\"5678\"}", &r);
	snprintf(want, sizeof(want), "{\"canceled\":[\"%s\"],"
	    "\"not_canceled\":{}}", c);
	txt_expect(&r, 200, want);
	txr_free(&r);
	/* All. */
	place(f, "104", NULL, a);
	place(f, "105", NULL, b);
	l2(f, &f->c, &w1, "DELETE", "/cancel-all", NULL, &r);
	snprintf(want, sizeof(want), "{\"canceled\":[\"%s\",\"%s\"],"
	    "\"not_canceled\":{}}", a, b);
	txt_expect(&r, 200, want);
	txr_free(&r);
	expect_verdict(f, "/cancel-all", "ok");
	l2(f, &f->c, &w1, "GET", "/data/orders", NULL, &r);
	txt_expect(&r, 200, "{\"data\":[],\"next_cursor\":\"LTE=\","
	    "\"limit\":500,\"count\":0}");
	txr_free(&r);
}

/* POST /orders: the batch answers each order in its place. */
static void
test_batch(void **state)
{
	struct fx	*f = *state;
	struct txorder	 o;
	struct txr	 r;
	json_t		*a = json_array();
	char		 id1[67], id2[67], want[1024], *body;
	int		 i;

	txt_order_init(&o, &w1);
	o.salt = "201";
	json_array_append_new(a, txt_order_json(f->profile, 0, 0, &w1, &o,
	    f->c.key, "GTC", id1));
	o.salt = "202";
	o.making = "5550000";
	json_array_append_new(a, txt_order_json(f->profile, 0, 0, &w1, &o,
	    f->c.key, "GTC", id2));
	body = json_dumps(a, JSON_COMPACT);
	l2(f, &f->c, &w1, "POST", "/orders", body, &r);
	snprintf(want, sizeof(want), "[{\"success\":true,\"errorMsg\":\"\","
	    "\"orderID\":\"%s\",\"transactionsHashes\":[],\"status\":\"live\","
	    "\"takingAmount\":\"\",\"makingAmount\":\"\"},{\"success\":false,"
	    "\"errorMsg\":\"order %s is invalid. Price (0.555) breaks minimum "
	    "tick size rule: 0.01\",\"orderID\":\"\",\"transactionsHashes\":[],"
	    "\"status\":\"\",\"takingAmount\":\"\",\"makingAmount\":\"\"}]",
	    id1, id2);
	txt_expect(&r, 200, want);
	txr_free(&r);
	free(body);
	/* A foreign owner refuses the whole batch. */
	o.salt = "203";
	json_array_append_new(a, txt_order_json(f->profile, 0, 0, &w1, &o,
	    "00000000-0000-4000-8000-000000000000", "GTC", id1));
	body = json_dumps(a, JSON_COMPACT);
	l2(f, &f->c, &w1, "POST", "/orders", body, &r);
	txt_expect(&r, 400, OWNER);
	txr_free(&r);
	free(body);
	/* At most 15. */
	for (i = 0; i < 13; i++)
		json_array_append(a, json_array_get(a, 0));
	body = json_dumps(a, JSON_COMPACT);
	l2(f, &f->c, &w1, "POST", "/orders", body, &r);
	txt_expect(&r, 400, "{\"error\":\"Too many orders in payload: 16, max "
	    "allowed: 15\"}");
	txr_free(&r);
	free(body);
	json_decref(a);
	l2(f, &f->c, &w1, "POST", "/orders", "[]", &r);
	txt_expect(&r, 400, PAYLOAD);
	txr_free(&r);
}

/*
 * Heartbeats: started with null, renewed with the id answered; one
 * missed for more than 10 s cancels the key's live orders.  The
 * server's clock is moved forward instead of waiting.
 */
static void
test_heartbeat(void **state)
{
	struct fx	*f = *state;
	struct txr	 r;
	char		 a[67], b[67], body[128], target[160], hb[64];

	place(f, "301", NULL, a);
	l2(f, &f->c, &w1, "POST", "/v1/heartbeats", "{\"heartbeat_id\":null}",
	    &r);
	txt_expect(&r, 200, NULL);
	snprintf(hb, sizeof(hb), "%s", json_string_value(json_object_get(r.json,
	    "heartbeat_id")));
	assert_int_equal(strlen(hb), 36);
	txr_free(&r);
	snprintf(body, sizeof(body), "{\"heartbeat_id\":\"%s\"}", hb);
	l2(f, &f->c, &w1, "POST", "/v1/heartbeats", body, &r);
	snprintf(target, sizeof(target), "{\"heartbeat_id\":\"%s\"}", hb);
	txt_expect(&r, 200, target);
	txr_free(&r);
	l2(f, &f->c, &w1, "POST", "/v1/heartbeats",
	    "{\"heartbeat_id\":\"00000000-0000-4000-8000-000000000000\"}", &r);
	txt_expect(&r, 400, "{\"error\":\"Invalid heartbeat id\"}");
	txr_free(&r);
	l2(f, &f->c, &w1, "POST", "/v1/heartbeats", "{\"x\":1}", &r);
	txt_expect(&r, 400, "{\"error\":\"Invalid heartbeat payload\"}");
	txr_free(&r);
	/* Eleven seconds later, the order is gone and so is the id. */
	assert_int_equal(txt_admin(&f->t, "POST", "faults",
	    "{\"clock_offset\":11}", &r), 200);
	txr_free(&r);
	snprintf(target, sizeof(target), "/data/order/%s", a);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "status")), "CANCELED");
	txr_free(&r);
	l2(f, &f->c, &w1, "POST", "/v1/heartbeats", body, &r);
	txt_expect(&r, 400, "{\"error\":\"Invalid heartbeat id\"}");
	txr_free(&r);
	/* Without a heartbeat, orders stay. */
	place(f, "302", NULL, b);
	assert_int_equal(txt_admin(&f->t, "POST", "faults",
	    "{\"clock_offset\":25}", &r), 200);
	txr_free(&r);
	snprintf(target, sizeof(target), "/data/order/%s", b);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "status")), "LIVE");
	txr_free(&r);
	expect_verdict(f, "/v1/heartbeats", "heartbeat:bad-id");
}

/* Orders survive a restart with --state. */
static void
test_state_file(void **state)
{
	struct fx	*f;
	struct txr	 r;
	char		 dir[64], path[128], target[160], a[67];
	const char	*extra[] = { "--state", path, NULL };

	snprintf(dir, sizeof(dir), "/tmp/cvtxo.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(start_with(state, "polymarket", extra, 137), 0);
	f = *state;
	place(f, "401", NULL, a);
	assert_int_equal(txt_stop(&f->t), 0);
	txt_cleanup(&f->t);
	assert_int_equal(txt_start_argv(&f->t, "polymarket", extra), 0);
	snprintf(target, sizeof(target), "/data/order/%s", a);
	l2(f, &f->c, &w1, "GET", target, NULL, &r);
	txt_expect(&r, 200, NULL);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "status")), "LIVE");
	txr_free(&r);
	/* Still a duplicate after the restart. */
	{
		struct txorder	o;

		txt_order_init(&o, &w1);
		o.salt = "401";
		post(f, &w1, 0, 0, &o, f->c.key, "GTC", 400, NULL, NULL);
		expect_verdict(f, "/order", "order:duplicate");
	}
	stop(state);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_public, start_polymarket,
		    stop),
		cmocka_unit_test_setup_teardown(test_default_markets,
		    start_openfish, stop),
		cmocka_unit_test_setup_teardown(test_openfish_order,
		    start_openfish, stop),
		cmocka_unit_test_setup_teardown(test_refusals,
		    start_polymarket, stop),
		cmocka_unit_test_setup_teardown(test_polymarket_order,
		    start_polymarket, stop),
		cmocka_unit_test_setup_teardown(test_worked_amounts,
		    start_polymarket, stop),
		cmocka_unit_test(test_chain_id),
		cmocka_unit_test_setup_teardown(test_queries_and_cancels,
		    start_polymarket, stop),
		cmocka_unit_test_setup_teardown(test_batch, start_polymarket,
		    stop),
		cmocka_unit_test_setup_teardown(test_heartbeat,
		    start_openfish, stop),
		cmocka_unit_test(test_state_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
