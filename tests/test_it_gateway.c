/*
 * The gateway through the real daemons and the test exchange: a bot
 * with client credentials (and nothing else) reads, places, finds and
 * cancels an order; unsigned public lookups pass when the policy allows
 * them; and every refusal -- a wrong secret, a replay, an order over the
 * notional rule, a token not on the list, a signer that is not the
 * account, a removed client -- is answered with its exact status and
 * reason, sends nothing upstream, and is audited.  Also: /healthz,
 * /readyz, /metrics, and vaultctl sign order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <secp256k1.h>

#include "common/audit.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/eth.h"
#include "common/order.h"
#include "common/secp.h"
#include "common/vault_fmt.h"
#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define PASS		"gateway test passphrase 77e1"
#define ADDR		"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define OTHER		"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define POLICY_TEXT \
	"allow operator catalog label default\n" \
	"allow any level none catalog label public\n" \
	"allow client bot catalog limit 1000/day per client label bot\n" \
	"deny client bot method POST path /order order notional > 50 " \
	"label too-big\n" \
	"deny client bot method POST path /order order token != 1234 " \
	"label token-list\n" \
	"deny client bot method POST path /order order fee_rate > 100 " \
	"label fee-cap\n" \
	"deny operator method POST path /order order notional > 500 " \
	"label operator-cap\n" \
	"deny client bot level builder path /data/orders label l2-reads\n"

struct gt {
	struct it	 it;
	struct txt	 tx;		/* the exchange */
	struct txt	 gw;		/* the gateway, as a bot sees it */
	struct txcreds	 bot;		/* the client's credentials */
	char		 pass[128], pol[128], addrfile[300];
	char		 out[65536];
};

static struct gt	gt;

#define CTL(g, in, ...)	it_ctl(&(g)->it, in, (g)->out, sizeof((g)->out), \
			    __VA_ARGS__)

/* The exchange's log line of the last request to target (or NULL). */
static char *
log_last(struct gt *g, const char *method, const char *target, char *out,
    size_t len)
{
	char	 line[8192], want[600];
	FILE	*f;
	int	 found = 0;

	snprintf(want, sizeof(want), "\"method\":\"%s\",\"target\":\"%s\"",
	    method, target);
	if ((f = fopen(g->tx.log, "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, want) != NULL) {
			snprintf(out, len, "%s", line);
			found = 1;
		}
	fclose(f);
	return found ? out : NULL;
}

/* Lines in the exchange's request log now. */
static int
log_lines(struct gt *g)
{
	char	 line[8192];
	FILE	*f;
	int	 n = 0;

	if ((f = fopen(g->tx.log, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/* The gateway's TCP address from run/gateway.addr. */
static int
gw_url(struct gt *g)
{
	char	*s, *p;
	size_t	 len;
	int	 r = -1;

	snprintf(g->addrfile, sizeof(g->addrfile), "%s/run/gateway.addr",
	    g->it.home);
	if ((s = it_slurp(g->addrfile, &len)) == NULL)
		return -1;
	if ((p = strstr(s, "tcp 127.0.0.1:")) != NULL) {
		p += 4;
		p[strcspn(p, "\n")] = '\0';
		snprintf(g->gw.url, sizeof(g->gw.url), "http://%s", p);
		r = 0;
	}
	free(s);
	return r;
}

static int
setup(void **state)
{
	json_t	*j;
	int	 r;

	memset(&gt, 0, sizeof(gt));
	curl_global_init(CURL_GLOBAL_ALL);
	it_init(&gt.it);
	snprintf(gt.pass, sizeof(gt.pass), "%s.pass", gt.it.home);
	snprintf(gt.pol, sizeof(gt.pol), "%s.policy", gt.it.home);
	it_write(gt.pass, PASS "\n", 0600);
	it_write(gt.pol, POLICY_TEXT, 0644);
	*state = &gt;
	if (txt_start(&gt.tx, "polymarket", NULL, NULL, NULL, NULL) != 0 ||
	    it_start_args(&gt.it, "-T", "--gateway", "127.0.0.1:0") != 0 ||
	    gw_url(&gt) != 0)
		return -1;
	if (CTL(&gt, NULL, "init --passphrase-file %s --kdf min",
	    gt.pass) != 0 ||
	    CTL(&gt, NULL, "account add pm --profile polymarket --url %s "
	    "--order-version 1", gt.tx.url) != 0 ||
	    CTL(&gt, TXT_SK1 + 2, "wallet import --account pm") != 0 ||
	    CTL(&gt, NULL, "apikey create --account pm") != 0 ||
	    CTL(&gt, NULL, "builder create --account pm --builder-id gw") != 0 ||
	    CTL(&gt, NULL, "policy apply %s --passphrase-file %s", gt.pol,
	    gt.pass) != 0)
		return -1;
	if (CTL(&gt, NULL, "--json client add bot --account pm "
	    "--passphrase-file %s", gt.pass) != 0 ||
	    (j = json_loads(gt.out, 0, NULL)) == NULL)
		return -1;
	r = txt_creds(j, &gt.bot);
	json_decref(j);
	return r;
}

static int
teardown(void **state)
{
	struct gt	*g = *state;

	it_cleanup(&g->it);
	txt_stop(&g->tx);
	txt_cleanup(&g->tx);
	unlink(g->pass);
	unlink(g->pol);
	return 0;
}

/* A bot's request to the gateway, signed with creds (NULL: unsigned). */
static void
bot(struct gt *g, const struct txcreds *c, int64_t ts, const char *method,
    const char *target, const char *body, struct txr *r)
{
	struct curl_slist	*h = NULL;
	const char		*full = target;
	char			 path[4096];

	/* Polymarket signs the path without its query; the bot signs
	 * what follows a /@ACCOUNT prefix, which is the gateway's */
	if (strncmp(target, "/@", 2) == 0)
		target += strcspn(target + 1, "/") + 1;
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(target, "?"),
	    target);
	target = full;
	if (c != NULL)
		h = txt_l2("POLY_", c, ADDR, ts, method, path, body);
	h = curl_slist_append(h, "Content-Type: application/json");
	txt_req(&g->gw, method, target, h, body, r);
	curl_slist_free_all(h);
}

/* An unsigned V1 order of the account: BUY size at price (6 decimals). */
static void
order_body(char *out, size_t len, const char *signer, const char *token,
    uint64_t maker, uint64_t taker, uint64_t salt)
{
	snprintf(out, len, "{\"deferExec\":false,\"order\":{\"salt\":%llu,"
	    "\"maker\":\"%s\",\"signer\":\"%s\",\"taker\":"
	    "\"0x0000000000000000000000000000000000000000\",\"tokenId\":"
	    "\"%s\",\"makerAmount\":\"%llu\",\"takerAmount\":\"%llu\","
	    "\"side\":\"BUY\",\"expiration\":\"0\",\"nonce\":\"0\","
	    "\"feeRateBps\":\"0\",\"signatureType\":0,\"signature\":\"\"},"
	    "\"owner\":\"%s\",\"orderType\":\"GTC\",\"postOnly\":false}",
	    (unsigned long long)salt, signer, signer, token,
	    (unsigned long long)maker, (unsigned long long)taker,
	    gt.bot.key);
}

static const char *
jget(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	if (s == NULL)
		fail_msg("no string %s", k);
	return s;
}

/* A refusal: status, the error text, and nothing sent upstream. */
static void
refused(struct gt *g, const struct txr *r, long status, const char *has,
    int mark)
{
	const char	*e;

	if (r->status != status)
		fail_msg("status %ld, not %ld: %s", r->status, status,
		    r->body ? r->body : "");
	assert_non_null(r->json);
	e = jget(r->json, "error");
	if (strstr(e, has) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e, has);
	assert_int_equal(log_lines(g), mark);
}

static void
test_health(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;

	txt_req(&g->gw, "GET", "/healthz", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	txr_free(&r);
	txt_req(&g->gw, "GET", "/readyz", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ready\n");
	txr_free(&r);
	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "clobvault_vault_unlocked 1\n"));
	assert_non_null(strstr(r.body,
	    "clobvault_child_up{child=\"signerd\"} 1\n"));
	assert_non_null(strstr(r.body, "clobvault_gateway_request_seconds"));
	txr_free(&r);
}

/* Unsigned: the public lookups pass; anything signed-only does not. */
static void
test_public(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	int		 mark;

	bot(g, NULL, 0, "GET", "/tick-size?token_id=1234", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(json_object_get(r.json, "minimum_tick_size"));
	txr_free(&r);
	mark = log_lines(g);
	bot(g, NULL, 0, "GET", "/data/orders", NULL, &r);
	refused(g, &r, 403, "no rule", mark);
	txr_free(&r);
	/* the account named in the path: the bot signs what follows it */
	bot(g, NULL, 0, "GET", "/@pm/tick-size?token_id=1234", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	mark = log_lines(g);
	bot(g, NULL, 0, "GET", "/@nope/tick-size?token_id=1234", NULL, &r);
	refused(g, &r, 404, "no account of that name", mark);
	txr_free(&r);
	bot(g, NULL, 0, "GET", "/@b%20d/tick-size", NULL, &r);
	refused(g, &r, 400, "/@ACCOUNT names an account", mark);
	txr_free(&r);
}

static void
test_read(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		*log, line[8192];
	size_t		 len;

	bot(g, &g->bot, txt_now(), "GET", "/data/orders?market=", NULL, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	assert_non_null(json_object_get(r.json, "data"));
	txr_free(&r);
	bot(g, &g->bot, txt_now(), "GET", "/@pm/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	/* the policy keeps builder headers off these reads: L2 alone */
	assert_non_null(log_last(g, "GET", "/data/orders?market=", line,
	    sizeof(line)));
	assert_null(strstr(line, "builder"));
	/* the exchange saw the account's key, never the client's */
	log = it_slurp(g->tx.log, &len);
	assert_non_null(log);
	assert_null(strstr(log, g->bot.key));
	free(log);
}

/* Place, find, cancel: the order signed in the vault. */
static void
test_order_life(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 body[4096], target[256], id[200], line[8192];

	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000,
	    12345);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	assert_true(json_is_true(json_object_get(r.json, "success")));
	snprintf(id, sizeof(id), "%s", jget(r.json, "orderID"));
	txr_free(&r);
	/* the account holds a builder key and the policy allows that
	 * level: the order went with builder headers, and they verified */
	assert_non_null(log_last(g, "POST", "/order", line, sizeof(line)));
	assert_non_null(strstr(line, "\"verdict\":\"ok\""));
	assert_non_null(strstr(line, "\"builder\":true"));

	snprintf(target, sizeof(target), "/data/order/%s", id);
	bot(g, &g->bot, txt_now(), "GET", target, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, id));
	txr_free(&r);

	snprintf(body, sizeof(body), "{\"orderID\":\"%s\"}", id);
	bot(g, &g->bot, txt_now(), "DELETE", "/order", body, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, id));
	txr_free(&r);

	/* metrics: the order signature counted, the budget spent */
	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body,
	    "clobvault_signatures_total{kind=\"order\"} 1\n"));
	assert_non_null(strstr(r.body, "clobvault_budget_remaining{rule="
	    "\"bot\",budget=\"limit 1000/day per client\",account=\"\","
	    "who=\"client:bot\"} "));
	assert_non_null(strstr(r.body, "clobvault_verdicts_total{rule="
	    "\"bot\",effect=\"allow\"} "));
	txr_free(&r);
}

/*
 * The exchange takes an order and closes the connection, kept alive
 * from the bot's read before it, without answering (the test exchange's
 * lose_next).  libcurl would send the order again by itself on a new
 * connection; the gateway sends it once and tells the bot it may have
 * gone.
 */
static void
test_order_lost_answer(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 body[4096], line[8192];
	FILE		*f;
	int		 mark, n = 0;

	/* the connection to the exchange, warm */
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	assert_int_equal(txt_admin(&g->tx, "POST", "faults",
	    "{\"lose_next\":1}", &r), 200);
	txr_free(&r);
	mark = log_lines(g);

	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000,
	    12346);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	if (r.status != 502)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	assert_string_equal(jget(r.json, "error"), "gateway: the exchange "
	    "closed the connection before answering; the request may have "
	    "reached the exchange: check before sending it again");
	txr_free(&r);

	/* the exchange saw the order once, and lost its answer */
	assert_non_null(f = fopen(g->tx.log, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (--mark < 0 && strstr(line, "\"target\":\"/order\"") !=
		    NULL) {
			assert_non_null(strstr(line,
			    "\"verdict\":\"fault:lost-answer\""));
			n++;
		}
	fclose(f);
	assert_int_equal(n, 1);
}

static void
test_refusals(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 bad = g->bot;
	struct curl_slist *h;
	struct txr	 r;
	char		 body[4096];
	int64_t		 ts = txt_now();
	int		 mark = log_lines(g);
	char		*p;

	/* a wrong secret */
	bad.secret[0] = bad.secret[0] == 'A' ? 'B' : 'A';
	bot(g, &bad, ts, "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "client credentials refused", mark);
	txr_free(&r);
	/* a stale timestamp: the policy's skew ceiling */
	bot(g, &g->bot, ts - 3600, "GET", "/data/orders", NULL, &r);
	refused(g, &r, 403, "skew", mark);
	txr_free(&r);
	/* signed, but no time: 0 (which the skew ceiling took for none)
	 * and the largest (whose replay window overflowed) */
	bot(g, &g->bot, 0, "GET", "/data/orders", NULL, &r);
	refused(g, &r, 403, "the signed timestamp is not a time in seconds",
	    mark);
	txr_free(&r);
	bot(g, &g->bot, INT64_MAX, "GET", "/data/orders", NULL, &r);
	refused(g, &r, 403, "the signed timestamp is not a time in seconds",
	    mark);
	txr_free(&r);
	/* over the notional rule: 100 > 50 */
	order_body(body, sizeof(body), ADDR, "1234", 100000000, 200000000,
	    2);
	bot(g, &g->bot, ts, "POST", "/order", body, &r);
	refused(g, &r, 403, "too-big", mark);
	txr_free(&r);
	/* a token not on the list */
	order_body(body, sizeof(body), ADDR, "5678", 5000000, 10000000, 3);
	bot(g, &g->bot, ts, "POST", "/order", body, &r);
	refused(g, &r, 403, "token-list", mark);
	txr_free(&r);
	/* a fee rate over the cap */
	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000, 6);
	assert_non_null(p = strstr(body, "\"feeRateBps\":\"0\""));
	memmove(p + 17, p + 15, strlen(p + 15) + 1);
	memcpy(p + 14, "101", 3);
	bot(g, &g->bot, ts, "POST", "/order", body, &r);
	refused(g, &r, 403, "fee-cap", mark);
	txr_free(&r);
	/* a signer that is not the account */
	order_body(body, sizeof(body), OTHER, "1234", 5000000, 10000000, 4);
	bot(g, &g->bot, ts, "POST", "/order", body, &r);
	refused(g, &r, 403, "signer", mark);
	txr_free(&r);
	/* a replay: the same signed request twice */
	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000, 5);
	h = txt_l2("POLY_", &g->bot, ADDR, ts, "POST", "/order", body);
	txt_req(&g->gw, "POST", "/order", h, body, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	mark = log_lines(g);
	txt_req(&g->gw, "POST", "/order", h, body, &r);
	curl_slist_free_all(h);
	refused(g, &r, 403, "replayed request", mark);
	txr_free(&r);
	/* incomplete client headers: netd refuses without asking */
	h = txt_hdr(NULL, "POLY_", "API_KEY", g->bot.key);
	txt_req(&g->gw, "GET", "/data/orders", h, NULL, &r);
	curl_slist_free_all(h);
	refused(g, &r, 401, "incomplete client credentials", mark);
	txr_free(&r);
	/* every refusal is in the audit log, the client named */
	assert_int_equal(CTL(g, NULL, "audit show --tail 200"), 0);
	assert_non_null(strstr(g->out, "client:bot"));
	assert_non_null(strstr(g->out, "too-big@"));
	assert_non_null(strstr(g->out, "token-list@"));
}

/* vaultctl sign order: the operator's order, signed byte for byte. */
static void
test_sign_order(void **state)
{
	struct gt		*g = *state;
	struct order_domain	 dom;
	struct order		 o;
	json_t			*j;
	struct secp256k1_context_struct *ctx;
	uint8_t			 sk[32], digest[32], sig[65];
	char			 want[135];
	size_t			 n;

	assert_int_equal(CTL(g, "{\"salt\":479249096354,\"maker\":\"" ADDR
	    "\",\"signer\":\"" ADDR "\",\"taker\":\"0x000000000000000000000"
	    "0000000000000000000\",\"tokenId\":\"1234\",\"makerAmount\":"
	    "\"100000000\",\"takerAmount\":\"50000000\",\"expiration\":\"0\","
	    "\"nonce\":\"0\",\"feeRateBps\":\"100\",\"side\":\"BUY\","
	    "\"signatureType\":0}", "sign order --account pm"), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(order_from_json(j, ORDER_V1, &o, g->out, 64), 0);
	assert_int_equal(order_domain_for("polymarket", ORDER_V1, 0, &dom),
	    0);
	order_digest(&dom, &o, digest);
	assert_int_equal(hex_decode(TXT_SK1 + 2, 64, sk, sizeof(sk), &n), 0);
	assert_non_null(ctx = secp_ctx_new());
	assert_int_equal(secp_sign(ctx, sk, digest, sig), 0);
	secp_ctx_free(ctx);
	memcpy(want, "0x", 2);
	hex_encode(sig, sizeof(sig), want + 2);
	assert_string_equal(jget(j, "signature"), want);
	json_decref(j);
	/* over the policy: an operator's order is the catalog's too */
	assert_int_equal(CTL(g, "[]", "sign order --account pm"), 1);
	/* and the policy reads it: 1000 over the operator's 500 */
	assert_int_equal(CTL(g, "{\"salt\":479249096355,\"maker\":\"" ADDR
	    "\",\"signer\":\"" ADDR "\",\"taker\":\"0x000000000000000000000"
	    "0000000000000000000\",\"tokenId\":\"1234\",\"makerAmount\":"
	    "\"1000000000\",\"takerAmount\":\"2000000000\",\"expiration\":"
	    "\"0\",\"nonce\":\"0\",\"feeRateBps\":\"100\",\"side\":\"BUY\","
	    "\"signatureType\":0}", "sign order --account pm"), 4);
	assert_non_null(strstr(g->out, "vaultctl: sign order: denied by rule "
	    "operator-cap"));
}

#define CRED_CLIENT	"adding or removing a gateway client takes the " \
			"vault's passphrase or keyfile (vaultctl asks for " \
			"it, or give --passphrase-file F or --keyfile F); " \
			"nothing changed"
#define BOT2		"{\"apiKey\":" \
			"\"3f2c1b0a-9e8d-4c7b-8a69-5d4e3f2a1b0c\",\"secret\":" \
			"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"," \
			"\"passphrase\":\"00000000000000000000000000000000" \
			"00000000000000000000000000000000\"}"

/* The policy text put in force, with the vault's passphrase. */
static void
policy_put(struct gt *g, const char *text)
{
	it_write(g->pol, text, 0644);
	if (CTL(g, NULL, "policy apply %s --passphrase-file %s", g->pol,
	    g->pass) != 0)
		fail_msg("policy apply: %s", g->out);
}

/* vaultctl with no terminal to ask a secret on: its exit status. */
static int
ctl_notty(struct gt *g, const char *args)
{
	char	cmd[1024];

	snprintf(cmd, sizeof(cmd), "setsid -w %s/vaultctl %s </dev/null 2>&1",
	    g->it.build, args);
	return it_run(g->out, sizeof(g->out), cmd);
}

/*
 * A client's record put (json) or removed straight to vaultd, with no
 * credential, as a program on the control socket may: its code and
 * vaultd's text.
 */
static int
raw_client(struct gt *g, const char *name, const char *json, char *text,
    size_t len)
{
	struct msg_w	w;
	int		code;

	msg_begin(&w, json != NULL ? MSG_CTL_PUT_REQ : MSG_CTL_DEL_REQ, 7);
	msg_put_u64(&w, VAULT_REC_CLIENT);
	msg_put_str(&w, "pm");
	msg_put_str(&w, name);
	if (json != NULL) {
		msg_put_u64(&w, 0);
		msg_put_bin(&w, json, strlen(json));
	}
	msg_put_bin(&w, "", 0);		/* no credential */
	msg_put_bool(&w, 0);
	code = it_ctl_frame(&g->it, &w, json != NULL ? MSG_CTL_PUT_ANS :
	    MSG_CTL_DEL_ANS, text, len);
	assert_int_not_equal(code, CV_ERR_IO);
	assert_int_not_equal(code, CV_ERR_MSG_TYPE);
	return code;
}

/*
 * Clients: listed without their secret; removed, refused.  Rules name
 * clients, so a client is added or removed only with the vault's
 * credential: without it (no terminal to ask on, or straight to
 * vaultd) or with a wrong one nothing changes, no credentials are
 * made, and the client there goes on working.
 */
static void
test_clients(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 bad[160], text[1100];
	int		 mark;

	snprintf(bad, sizeof(bad), "%s.bad", g->it.home);
	it_write(bad, "not the passphrase\n", 0600);
	assert_int_equal(CTL(g, NULL, "client list"), 0);
	assert_non_null(strstr(g->out, "bot\taccount pm\tapiKey "));
	assert_non_null(strstr(g->out, g->bot.key));
	assert_null(strstr(g->out, g->bot.secret));
	assert_null(strstr(g->out, g->bot.passphrase));
	assert_int_equal(CTL(g, NULL, "client add bot --account pm "
	    "--passphrase-file %s", g->pass), 1);
	assert_int_equal(CTL(g, NULL, "client add 'b d' --account pm"), 2);

	/* no credential: vaultctl has no terminal to ask on */
	assert_int_equal(ctl_notty(g, "client remove bot"), 2);
	assert_string_equal(g->out, "vaultctl: client remove: no terminal to "
	    "ask on: use --passphrase-file or --keyfile\n");
	assert_int_equal(ctl_notty(g, "client add bot2 --account pm"), 2);
	assert_string_equal(g->out, "vaultctl: client add: no terminal to "
	    "ask on: use --passphrase-file or --keyfile\n");
	/* none, straight to vaultd: signerd refuses */
	assert_int_equal(raw_client(g, "bot", NULL, text, sizeof(text)),
	    CV_ERR_DENIED);
	assert_string_equal(text, CRED_CLIENT);
	assert_int_equal(raw_client(g, "bot2", BOT2, text, sizeof(text)),
	    CV_ERR_DENIED);
	assert_string_equal(text, CRED_CLIENT);
	/* a wrong one: exit 6, and the wait doubles */
	assert_int_equal(CTL(g, NULL, "client remove bot --passphrase-file %s",
	    bad), 6);
	assert_string_equal(g->out, "vaultctl: client remove: wrong "
	    "passphrase or keyfile; nothing changed\n");
	it_sleep_ms(1100);
	assert_int_equal(CTL(g, NULL, "client add bot2 --account pm "
	    "--passphrase-file %s", bad), 6);
	assert_string_equal(g->out, "vaultctl: client add: wrong passphrase "
	    "or keyfile; nothing changed\n");
	unlink(bad);
	/* nothing changed: the one client, which still trades */
	assert_int_equal(CTL(g, NULL, "--json client list"), 0);
	assert_non_null(strstr(g->out, g->bot.key));
	assert_null(strstr(g->out, "bot2"));
	assert_null(strstr(g->out, "3f2c1b0a-"));
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --op client_add --verdict "
	    "deny"), 0);
	assert_non_null(strstr(g->out, "\tclient_add\t-\t-\tdeny\tbot2\t"));
	assert_int_equal(CTL(g, NULL, "audit show --op client_remove "
	    "--verdict deny"), 0);
	assert_non_null(strstr(g->out, "\tclient_remove\t-\t-\tdeny\tbot\t"));

	it_sleep_ms(2100);
	assert_int_equal(CTL(g, NULL, "client remove bot --passphrase-file %s",
	    g->pass), 0);
	assert_int_equal(CTL(g, NULL, "client remove bot --passphrase-file %s",
	    g->pass), 8);
	/* both ends of the client's life are in the audit log */
	assert_int_equal(CTL(g, NULL, "audit show --op client_add"), 0);
	assert_non_null(strstr(g->out, "\tclient_add\t"));
	assert_non_null(strstr(g->out, "\tbot\t"));
	assert_int_equal(CTL(g, NULL, "audit show --op client_remove"), 0);
	assert_non_null(strstr(g->out, "\tclient_remove\t-\t-\tok\tbot\t"));
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "client credentials refused", mark);
	txr_free(&r);
}

/*
 * A bot reads through the gateway all through a rotation of the
 * account's API key: every answer is the exchange's 200, signed with the
 * old key or the new one.
 */
static void
test_rotation(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	json_t		*j;
	char		 cmd[1024], out[300], *log;
	pid_t		 pid;
	size_t		 len;
	int		 n = 0, status = -1;

	/* test_clients removed the bot: it comes back */
	assert_int_equal(CTL(g, NULL, "--json client add bot --account pm "
	    "--passphrase-file %s", g->pass), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(txt_creds(j, &g->bot), 0);
	json_decref(j);

	snprintf(out, sizeof(out), "%s.rotate", g->it.home);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl rotate apikey --account pm "
	    "--drain 1 >%s 2>&1", g->it.build, out);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		if (r.status != 200)
			fail_msg("request %d during the rotation: %ld %s", n,
			    r.status, r.body ? r.body : "");
		txr_free(&r);
		n++;
		it_sleep_ms(20);	/* within the bot's budget */
	}
	log = it_slurp(out, &len);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("rotate: %s", log ? log : "");
	assert_non_null(strstr(log, "done: pm now signs with API key"));
	free(log);
	unlink(out);
	assert_true(n >= 3);
	/* and after it, with the new key */
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
}

/*
 * A gateway request the policy holds for approval waits for it: the
 * bot's connection stays open past the loop's check for callers gone
 * (once a second), and an approver's grant sends it on with the
 * exchange's answer.  It used to be cancelled at that check, its slot
 * in vaultd never freed: the gateway's cookie was taken for a control
 * client's serial.  The policy is put back after.
 */
static void
test_approval(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 key[160], pol[8192], id[17], *nl, *log;
	json_t		*j, *p;
	size_t		 len;
	pid_t		 pid;
	int		 st;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	unlink(key);
	assert_int_equal(CTL(g, NULL, "approver keygen %s", key), 0);
	assert_non_null(nl = strchr(g->out, '\n'));
	assert_int_equal(nl - g->out, 64);
	snprintf(pol, sizeof(pol), "approver alice \"%.64s\"\napprove 1 of "
	    "{ alice } client bot method GET path /data/orders label held\n"
	    "approve 1 of { alice } client bot method POST path /order label "
	    "held-order\n%s", g->out, POLICY_TEXT);
	policy_put(g, pol);

	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		_exit(r.status == 200 && json_object_get(r.json, "data") !=
		    NULL ? 0 : 1);
	}
	it_sleep_ms(1500);
	if (CTL(g, NULL, "--json approve list") != 0)
		fail_msg("approve list: %s", g->out);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_non_null(p = json_array_get(json_object_get(j, "pending"), 0));
	assert_string_equal(json_string_value(json_object_get(p, "actor")),
	    "client:bot");
	assert_string_equal(json_string_value(json_object_get(p, "key_id")),
	    "");
	assert_true(json_is_false(json_object_get(p, "orders_signed")));
	snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(p, "id")));
	json_decref(j);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) != 0)
		fail_msg("approve grant: %s", g->out);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(log = it_slurp(g->it.log, &len));
	assert_null(strstr(log, "the caller went away"));
	free(log);

	/* an order held: the approvers see that the wallet signs it too */
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		char	body[4096];

		order_body(body, sizeof(body), ADDR, "1234", 5000000,
		    10000000, 77);
		bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
		_exit(r.status == 403 ? 0 : 1);
	}
	it_sleep_ms(1500);
	if (CTL(g, NULL, "--json approve list") != 0)
		fail_msg("approve list: %s", g->out);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_non_null(p = json_array_get(json_object_get(j, "pending"), 0));
	assert_true(json_is_true(json_object_get(p, "orders_signed")));
	assert_true(json_is_false(json_object_get(p, "neg_risk")));
	/*
	 * and what the order is: the body they see is cut at 200 bytes,
	 * before its amounts, so the list shows the fields the policy
	 * judged, whole
	 */
	assert_non_null(json_string_value(json_object_get(p, "decoded")));
	assert_string_equal(json_string_value(json_object_get(p, "decoded")),
	    "order side BUY token 1234 price 0.5 size 10 notional 5 "
	    "expiration 0 fee_rate 0 taker "
	    "0x0000000000000000000000000000000000000000 signature_type 0 "
	    "type GTC post_only false defer_exec false");
	assert_null(strstr(json_string_value(json_object_get(p, "body")),
	    "makerAmount"));
	snprintf(id, sizeof(id), "%s",
	    json_string_value(json_object_get(p, "id")));
	json_decref(j);
	assert_int_equal(CTL(g, NULL, "approve list"), 0);
	assert_non_null(strstr(g->out, " POST /order, orders signed\n"));
	assert_non_null(strstr(g->out, "\n    decoded: order side BUY token "
	    "1234 price 0.5 size 10 notional 5 "));
	assert_int_equal(CTL(g, NULL, "approve deny %s --key-file %s", id,
	    key), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * One client's requests held for approval take at most 8 of vaultd's
 * 32 places: its ninth is refused at once, and the places stay
 * for other clients and the operators.  A bot that sent 32 such
 * requests used to hold every place until the approval-timeout.  The
 * policy is put back after, which ends the held ones.
 */
static void
test_approval_share(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 key[160], pol[8192];
	json_t		*j;
	pid_t		 pid[8];
	int64_t		 start;
	size_t		 i, n = 0;
	int		 st;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	unlink(key);
	assert_int_equal(CTL(g, NULL, "approver keygen %s", key), 0);
	snprintf(pol, sizeof(pol), "approver alice \"%.64s\"\n"
	    "approval-timeout 5\napprove 1 of { alice } client bot method "
	    "GET path /data/orders label held\n%s", g->out, POLICY_TEXT);
	policy_put(g, pol);
	for (i = 0; i < 8; i++) {
		if ((pid[i] = fork()) == -1)
			fail_msg("fork");
		if (pid[i] == 0) {
			bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL,
			    &r);
			_exit(0);
		}
	}
	for (start = txt_ms(); n < 8; it_sleep_ms(50)) {
		assert_true(txt_ms() - start < 10000);
		if (CTL(g, NULL, "--json approve list") != 0)
			fail_msg("approve list: %s", g->out);
		assert_non_null(j = json_loads(g->out, 0, NULL));
		n = json_array_size(json_object_get(j, "pending"));
		json_decref(j);
	}
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(jget(r.json, "error"), "client bot has 8 "
	    "requests waiting for approval; send this one once one of them "
	    "is decided");
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "--json approve list"), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(json_array_size(json_object_get(j, "pending")), 8);
	json_decref(j);

	policy_put(g, POLICY_TEXT);
	for (i = 0; i < 8; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
	}
	unlink(key);
}

/*
 * A rule that denies level l2 denies the request a builder key would
 * have signed at level builder: the builder set rides on the L2 set.
 * The gateway used to ask only whether builder was allowed, and sent
 * the request with both sets past the rule.
 */
static void
test_builder_l2(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 pol[8192], line[8192];
	int		 mark;

	snprintf(pol, sizeof(pol), "%sdeny client bot level l2 method DELETE "
	    "path /cancel-all label no-l2\n", POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-all", NULL, &r);
	refused(g, &r, 403, "no-l2", mark);
	txr_free(&r);
	/* what l2 allows still goes with the builder set */
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x01\"}", &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	assert_non_null(log_last(g, "DELETE", "/cancel-market-orders", line,
	    sizeof(line)));
	assert_non_null(strstr(line, "\"builder\":true"));

	policy_put(g, POLICY_TEXT);
}

/*
 * A rule on a body member reads it without regard to case, as an
 * exchange that folds member names (Go's encoding/json) does: the bot's
 * "Market" used to pass a deny rule on /market, and be signed and sent
 * for the exchange to cancel the market the rule keeps.  403 naming the
 * rule, nothing upstream, audited; two names that differ only in case
 * are refused alike.
 */
static void
test_body_case(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 pol[8192];
	int		 mark;

	snprintf(pol, sizeof(pol), "%sdeny client bot method DELETE path "
	    "/cancel-market-orders body /market = 0x0b label keep-market\n",
	    POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"Market\":\"0x0b\"}", &r);
	refused(g, &r, 403, "", mark);
	assert_string_equal(r.body, "{\"error\":\"denied by rule keep-market "
	    "(line 9)\"}");
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tDELETE\t"
	    "/cancel-market-orders\tdeny\tkeep-market@"));
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x01\",\"MARKET\":\"0x0b\"}", &r);
	refused(g, &r, 403, "denied by rule keep-market (line 9): body is "
	    "not strict JSON: duplicate key but for case at byte 17", mark);
	txr_free(&r);
	/* another market goes */
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x01\"}", &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	assert_int_equal(log_lines(g), mark + 1);

	policy_put(g, POLICY_TEXT);
}

/*
 * A signed time far ahead is refused (skew) and takes a slot of the
 * replay window; that slot used to stay until the time itself (here
 * some thirty years), so that a bot could fill the window and every
 * client's next signed request was refused.  It goes once no request
 * of that time could be taken, and the same request is then refused
 * for its time again, not as a replay.
 */
static void
test_replay_ahead(void **state)
{
	struct gt		*g = *state;
	struct curl_slist	*h;
	struct txr		 r;
	char			 pol[8192];
	const char		*body = "{\"market\":\"0x01\"}";
	int			 mark;

	snprintf(pol, sizeof(pol), "skew 1\n%s", POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	h = txt_l2("POLY_", &g->bot, ADDR, txt_now() + 1000000000, "DELETE",
	    "/cancel-market-orders", body);
	h = curl_slist_append(h, "Content-Type: application/json");
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	refused(g, &r, 403, "skew", mark);
	txr_free(&r);
	it_sleep_ms(8000);	/* (2 skew + 2) s and GW_PARK_MS */
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	curl_slist_free_all(h);
	refused(g, &r, 403, "skew", mark);
	txr_free(&r);

	policy_put(g, POLICY_TEXT);
}

/*
 * A request seen under skew 1 and let go from the replay table after
 * 2 s used to be taken again once the skew was made 60, the policy
 * finding its time fresh.  What the table may have let go is refused by
 * its time now; a request signed now goes.
 */
static void
test_replay_wider(void **state)
{
	struct gt		*g = *state;
	struct curl_slist	*h;
	struct txr		 r;
	char			 pol[8192];
	const char		*body = "{\"market\":\"0x31\"}";
	int			 mark;

	snprintf(pol, sizeof(pol), "skew 1\n%s", POLICY_TEXT);
	policy_put(g, pol);
	h = txt_l2("POLY_", &g->bot, ADDR, txt_now(), "DELETE",
	    "/cancel-market-orders", body);
	h = curl_slist_append(h, "Content-Type: application/json");
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	it_sleep_ms(3000);	/* past skew 1 */
	snprintf(pol, sizeof(pol), "skew 60\n%s", POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	curl_slist_free_all(h);
	refused(g, &r, 403, "", mark);
	assert_string_equal(r.body, "{\"error\":\"signed too close to a "
	    "restart of vaultd, a larger skew or a step back of the system "
	    "clock for vaultd to rule out a replay; sign it anew\"}");
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tDELETE\t"
	    "/cancel-market-orders\tdeny\t-\t-\t"));
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders", body,
	    &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);

	policy_put(g, POLICY_TEXT);
}

/*
 * The replay table is in vaultd's memory: a request seen before a
 * restart used to be taken again right after it.  Its time is at or
 * before the log's last record, so it is refused; a request signed
 * after that record goes.
 */
static void
test_replay_restart(void **state)
{
	struct gt		*g = *state;
	struct curl_slist	*h;
	struct txr		 r;
	const char		*body = "{\"market\":\"0x41\"}";
	int64_t			 stopped;
	int			 mark;

	h = txt_l2("POLY_", &g->bot, ADDR, txt_now(), "DELETE",
	    "/cancel-market-orders", body);
	h = curl_slist_append(h, "Content-Type: application/json");
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	assert_int_equal(it_stop(&g->it, 3000), 0);
	stopped = txt_now();
	assert_int_equal(it_start_args(&g->it, "-T", "--gateway",
	    "127.0.0.1:0"), 0);
	assert_int_equal(gw_url(g), 0);
	assert_int_equal(CTL(g, NULL, "unlock --passphrase-file %s", g->pass),
	    0);
	mark = log_lines(g);
	txt_req(&g->gw, "DELETE", "/cancel-market-orders", h, body, &r);
	curl_slist_free_all(h);
	refused(g, &r, 403, "", mark);
	assert_string_equal(r.body, "{\"error\":\"signed too close to a "
	    "restart of vaultd, a larger skew or a step back of the system "
	    "clock for vaultd to rule out a replay; sign it anew\"}");
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tDELETE\t"
	    "/cancel-market-orders\tdeny\t-\t-\t"));
	/* signed after the last record before the restart: it goes */
	while (txt_now() <= stopped)
		it_sleep_ms(100);
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders", body,
	    &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
}

/* vaultd restarted with a (one more argument), and unlocked. */
static void
gw_restart_t(struct gt *g, const char *t, const char *a)
{
	int64_t	stopped;

	assert_int_equal(it_stop(&g->it, 3000), 0);
	stopped = txt_now();
	assert_int_equal(it_start_args(&g->it, t,
	    "--gateway=127.0.0.1:0", a), 0);
	assert_int_equal(gw_url(g), 0);
	assert_int_equal(CTL(g, NULL, "unlock --passphrase-file %s", g->pass),
	    0);
	/* past the replay floor: the log's last record */
	while (txt_now() <= stopped)
		it_sleep_ms(100);
}

static void
gw_restart(struct gt *g, const char *a)
{
	gw_restart_t(g, "-T", a);
}

/* A client's change signed at ts: its HTTP status; its body in out. */
static long
replay_at(struct gt *g, struct txcreds *c, int64_t ts, int i, char *out,
    size_t len)
{
	struct txr	 r;
	char		 body[64];
	long		 status;

	snprintf(body, sizeof(body), "{\"market\":\"0x%02x\"}", i);
	bot(g, c, ts, "DELETE", "/cancel-market-orders", body, &r);
	status = r.status;
	snprintf(out, len, "%s", r.body != NULL ? r.body : "");
	txr_free(&r);
	return status;
}

/* A client's signed change: its HTTP status; its body in out. */
static long
replay_one(struct gt *g, struct txcreds *c, int i, char *out, size_t len)
{
	return replay_at(g, c, txt_now(), i, out, len);
}

/* Another client of account pm, its credentials in c. */
static void
replay_client_add(struct gt *g, const char *name, struct txcreds *c)
{
	json_t	*j;

	assert_int_equal(CTL(g, NULL, "--json client add %s --account pm "
	    "--passphrase-file %s", name, g->pass), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(txt_creds(j, c), 0);
	json_decref(j);
}

static void
replay_client_remove(struct gt *g, const char *name)
{
	assert_int_equal(CTL(g, NULL, "client remove %s --passphrase-file %s",
	    name, g->pass), 0);
}

/*
 * One client signing changing requests as fast as it can filled the
 * replay table, and then every client's were refused ("retry").  A
 * client now holds at most its share of the table (-R 20 here): its
 * next request is refused (503, retry), another client's goes on to
 * the policy.
 */
static void
test_replay_share(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other;
	char		 body[4096];	/* a 403 whole */
	int		 i;

	gw_restart(g, "-R20");
	replay_client_add(g, "other", &other);
	for (i = 0; i < 20; i++)
		if (replay_one(g, &g->bot, i, body, sizeof(body)) != 200)
			fail_msg("%d: %s", i, body);
	assert_int_equal(replay_one(g, &g->bot, 0x99, body, sizeof(body)),
	    503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	/* no rule of the policy names it: past the replay check, denied */
	assert_int_equal(replay_one(g, &other, 0x99, body, sizeof(body)), 403);
	assert_null(strstr(body, "replay"));
	replay_client_remove(g, "other");
	gw_restart(g, NULL);
}

/*
 * Two clients whose key ids' hashes collide (-Q 2: every hash at the
 * first place) each have their own count: one at its share (-R 20)
 * holds back no other.  The counts were kept by a hash, and two
 * clients of one shared it.
 */
static void
test_replay_own(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other;
	char		 body[256];
	int		 i;

	gw_restart_t(g, "-TQ2", "-R20");
	replay_client_add(g, "other", &other);
	for (i = 0; i < 20; i++)
		if (replay_one(g, &g->bot, i, body, sizeof(body)) != 200)
			fail_msg("%d: %s", i, body);
	assert_int_equal(replay_one(g, &g->bot, 0x99, body, sizeof(body)),
	    503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	/* no rule of the policy names it: past the replay check, denied */
	for (i = 0; i < 20; i++)
		if (replay_one(g, &other, i, body, sizeof(body)) != 403 ||
		    strstr(body, "replay") != NULL)
			fail_msg("%d: %s", i, body);
	assert_int_equal(replay_one(g, &other, 0x99, body, sizeof(body)),
	    503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	replay_client_remove(g, "other");
	gw_restart(g, NULL);
}

/*
 * More clients with signatures in the window than it counts (-Q 2):
 * the next one is refused (503, retry) while those counted go on.
 */
static void
test_replay_clients(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other, third;
	char		 body[256];

	gw_restart_t(g, "-TQ2", "-R20");
	replay_client_add(g, "other", &other);
	replay_client_add(g, "third", &third);
	assert_int_equal(replay_one(g, &g->bot, 1, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &other, 1, body, sizeof(body)), 403);
	assert_null(strstr(body, "replay"));
	assert_int_equal(replay_one(g, &third, 1, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"too many clients have "
	    "signed requests in the replay window; retry\"}");
	assert_int_equal(replay_one(g, &g->bot, 2, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &other, 2, body, sizeof(body)), 403);
	assert_null(strstr(body, "replay"));
	replay_client_remove(g, "other");
	replay_client_remove(g, "third");
	gw_restart(g, NULL);
}

/*
 * A client's count goes down as its entries expire, and a place whose
 * client holds none goes to another client (-Q 1: one place; -R 2;
 * skew 1: an entry lives 2 s).
 */
static void
test_replay_expire(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other;
	char		 body[256], pol[8192];

	gw_restart_t(g, "-TQ1", "-R2");
	replay_client_add(g, "other", &other);
	snprintf(pol, sizeof(pol), "skew 1\n%s", POLICY_TEXT);
	policy_put(g, pol);
	assert_int_equal(replay_one(g, &g->bot, 1, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &g->bot, 2, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &g->bot, 3, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	assert_int_equal(replay_one(g, &other, 1, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"too many clients have "
	    "signed requests in the replay window; retry\"}");
	it_sleep_ms(3000);
	assert_int_equal(replay_one(g, &g->bot, 4, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &g->bot, 5, body, sizeof(body)), 200);
	it_sleep_ms(3000);
	assert_int_equal(replay_one(g, &other, 2, body, sizeof(body)), 403);
	assert_null(strstr(body, "replay"));
	assert_int_equal(replay_one(g, &g->bot, 6, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"too many clients have "
	    "signed requests in the replay window; retry\"}");

	policy_put(g, POLICY_TEXT);
	replay_client_remove(g, "other");
	gw_restart(g, NULL);
}

/* The value of the /metrics line that starts with series (and a space). */
static long
metric(struct gt *g, const char *series)
{
	struct txr	 r;
	char		*p;
	long		 n;

	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(p = strstr(r.body, series));
	n = strtol(p + strlen(series), NULL, 10);
	txr_free(&r);
	return n;
}

/* What is left of the bot rule's budget, as /metrics says. */
static long
budget_left(struct gt *g)
{
	return metric(g, "clobvault_budget_remaining{rule=\"bot\","
	    "budget=\"limit 1000/day per client\",account=\"\","
	    "who=\"client:bot\"} ");
}

/*
 * A batch of neg-risk and other orders cannot be signed for one
 * exchange: it used to be signed for the one that is not neg-risk,
 * which refused it after the policy charged the budget.  Refused before
 * the policy now: 400, nothing upstream, the budget as it was, audited.
 */
static void
test_batch_negrisk_mixed(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 a[4096], b[4096], body[8300];
	long		 left;
	int		 mark;

	assert_int_equal(txt_admin(&g->tx, "POST", "markets",
	    "{\"token_id\":\"9012\",\"neg_risk\":true}", &r), 200);
	txr_free(&r);
	/* netd learns each token's neg-risk from the exchange's answers */
	bot(g, NULL, 0, "GET", "/neg-risk?token_id=1234", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"neg_risk\":false}");
	txr_free(&r);
	bot(g, NULL, 0, "GET", "/neg-risk?token_id=9012", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"neg_risk\":true}");
	txr_free(&r);

	/* the budget's counter in use: one request charged */
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	left = budget_left(g);
	order_body(a, sizeof(a), ADDR, "1234", 5000000, 10000000, 71);
	order_body(b, sizeof(b), ADDR, "9012", 5000000, 10000000, 72);
	snprintf(body, sizeof(body), "[%s,%s]", a, b);
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "POST", "/orders", body, &r);
	refused(g, &r, 400, "", mark);
	assert_string_equal(r.body, "{\"error\":\"this batch mixes neg-risk "
	    "and other tokens, whose orders are signed for different "
	    "exchanges: post them in separate batches\"}");
	txr_free(&r);
	assert_int_equal(budget_left(g), left);
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tPOST\t"
	    "/orders\tdeny\t-\t-\t"));
}

/*
 * The signing records in the audit log past byte from: each one's actor
 * to gen, tab-separated, into out[] (at most max); how many.
 */
static size_t
sign_records(struct gt *g, size_t from, char out[][256], size_t max)
{
	char	 path[300], *log, *p, *nl, *f;
	size_t	 len = 0, n = 0, i;

	snprintf(path, sizeof(path), "%s/audit.log", g->it.home);
	assert_non_null(log = it_slurp(path, &len));
	assert_true(from <= len);
	for (p = log + from; n < max && (nl = strchr(p, '\n')) != NULL;
	    p = nl + 1) {
		*nl = '\0';
		/* seq, time, then actor ... gen: fields 3 to 9 */
		for (f = p, i = 0; i < 2 && f != NULL; i++)
			if ((f = strchr(f, '\t')) != NULL)
				f++;
		if (f == NULL || strstr(f, "\tsign\t") == NULL)
			continue;
		for (p = f, i = 0; i < 8 && p != NULL; i++)
			if ((p = strchr(p, '\t')) != NULL)
				p++;
		assert_non_null(p);
		snprintf(out[n++], 256, "%.*s", (int)(p - f - 1), f);
	}
	free(log);
	return n;
}

/* The gateway's count of credential refusals, as /metrics says. */
static long
refused_credentials(struct gt *g)
{
	return metric(g, "clobvault_gateway_refused_total{reason="
	    "\"credentials\"} ");
}

/* A child's restarts for one reason, as /metrics says. */
static long
restarts(struct gt *g, const char *child, const char *reason)
{
	char	series[128];

	snprintf(series, sizeof(series), "\nclobvault_child_restarts_total{"
	    "child=\"%s\",reason=\"%s\"} ", child, reason);
	return metric(g, series);
}

/* Requests refused as their client's account cannot sign (/metrics). */
static long
refused_account(struct gt *g)
{
	return metric(g, "clobvault_gateway_refused_total{reason="
	    "\"account\"} ");
}

static size_t
audit_size(struct gt *g)
{
	char	 path[300];
	char	*log;
	size_t	 len = 0;

	snprintf(path, sizeof(path), "%s/audit.log", g->it.home);
	assert_non_null(log = it_slurp(path, &len));
	free(log);
	return len;
}

/*
 * The sign records of actor with verdict in the audit log past byte
 * from: how many, the last of them into *rec.
 */
static int
sign_record(struct gt *g, size_t from, const char *actor,
    const char *verdict, struct audit_rec *rec)
{
	char	 path[300], *log, *p, *nl;
	size_t	 len = 0;
	int	 n = 0;
	struct audit_rec one;

	snprintf(path, sizeof(path), "%s/audit.log", g->it.home);
	assert_non_null(log = it_slurp(path, &len));
	assert_true(from <= len);
	for (p = log + from; (nl = memchr(p, '\n', len - (size_t)(p - log)))
	    != NULL; p = nl + 1) {
		assert_int_equal(audit_record_parse(p, (size_t)(nl - p + 1),
		    &one), 0);
		if (strcmp(one.op, "sign") == 0 &&
		    strcmp(one.actor, actor) == 0 &&
		    strcmp(one.verdict, verdict) == 0) {
			*rec = one;
			n++;
		}
	}
	free(log);
	return n;
}

/* The /metrics text now, into out. */
static void
metrics_text(struct gt *g, char *out, size_t len)
{
	struct txr	r;

	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	snprintf(out, len, "%s", r.body);
	txr_free(&r);
}

/* How many passes vaultd made over the whole replay table. */
static long
replay_scans(struct gt *g)
{
	return metric(g, "\nclobvault_gateway_replay_scans_total ");
}

/*
 * Clients at their share filled the replay table (four at -R 32 fill
 * one of -M 256 slots, 128 signatures live), and then every client's
 * changing requests were refused, a light client's too.  Now a client
 * holding 1/64 of the live most (2 here) takes no more once the table
 * holds half of it: past that the heavy clients are refused on their
 * own count (503, audited) and a client holding less goes on.
 */
static void
test_replay_reserve(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 heavy[4];
	struct audit_rec rec;
	char		 body[4096], name[16];
	size_t		 from;
	int		 i, k;
	const int	 got[4] = { 32, 32, 2, 2 };

	gw_restart_t(g, "-TM256", "-R32");
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "heavy%d", k);
		replay_client_add(g, name, &heavy[k]);
	}
	from = audit_size(g);
	/* no rule of the policy names them: past the replay check, 403 */
	for (k = 0; k < 4; k++) {
		for (i = 0; i < got[k]; i++)
			if (replay_one(g, &heavy[k], i, body, sizeof(body)) !=
			    403 || strcmp(body, "{\"error\":\"no rule allows "
			    "it\"}") != 0)
				fail_msg("heavy%d %d: %s", k, i, body);
		assert_int_equal(replay_one(g, &heavy[k], 0x99, body,
		    sizeof(body)), 503);
		assert_string_equal(body, "{\"error\":\"this client has too "
		    "many signed requests in the replay window; retry\"}");
	}
	/* 68 held: the light client takes its 2, then it is heavy too */
	assert_int_equal(replay_one(g, &g->bot, 1, body, sizeof(body)), 200);
	assert_string_equal(body, "{\"canceled\":[],\"not_canceled\":{}}");
	assert_int_equal(replay_one(g, &g->bot, 2, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &g->bot, 3, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	assert_int_equal(replay_one(g, &heavy[0], 0x98, body, sizeof(body)),
	    503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	/* each refusal audited: the policy's denials and vaultd's */
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "client:heavy%d", k);
		assert_int_equal(sign_record(g, from, name, "deny", &rec),
		    got[k] + 1 + (k == 0));
		assert_string_equal(rec.path, "/cancel-market-orders");
	}
	assert_int_equal(sign_record(g, from, "client:bot", "allow", &rec),
	    2);
	assert_int_equal(sign_record(g, from, "client:bot", "deny", &rec), 1);
	assert_string_equal(rec.key_id, "-");
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "heavy%d", k);
		replay_client_remove(g, name);
	}
	gw_restart(g, NULL);
}

/*
 * With the replay table full, each changing request had vaultd count
 * the live signatures in every slot before it refused the request.  It
 * keeps the count as they come and go now: a full table refuses with
 * no pass over it.  -M 4: 2 live at most; a client holding 1 (1/64 of
 * that, at least 1) takes no more once 1 is held.
 */
static void
test_replay_full(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other, third;
	struct audit_rec rec;
	char		 body[4096];
	size_t		 from;
	long		 scans;
	int		 i;

	gw_restart_t(g, "-TM4", NULL);
	replay_client_add(g, "other", &other);
	replay_client_add(g, "third", &third);
	from = audit_size(g);
	assert_int_equal(replay_one(g, &g->bot, 1, body, sizeof(body)), 200);
	assert_int_equal(replay_one(g, &other, 1, body, sizeof(body)), 403);
	assert_null(strstr(body, "replay"));
	assert_int_equal(replay_one(g, &third, 1, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"too many signed requests "
	    "in the replay window; retry\"}");
	scans = replay_scans(g);
	for (i = 2; i < 10; i++) {
		assert_int_equal(replay_one(g, &third, i, body, sizeof(body)),
		    503);
		assert_string_equal(body, "{\"error\":\"too many signed "
		    "requests in the replay window; retry\"}");
	}
	assert_int_equal(replay_scans(g), scans);
	assert_int_equal(replay_one(g, &g->bot, 2, body, sizeof(body)), 503);
	assert_string_equal(body, "{\"error\":\"this client has too many "
	    "signed requests in the replay window; retry\"}");
	assert_int_equal(replay_scans(g), scans);
	assert_int_equal(sign_record(g, from, "client:third", "deny", &rec),
	    9);
	assert_string_equal(rec.key_id, "-");
	replay_client_remove(g, "other");
	replay_client_remove(g, "third");
	gw_restart(g, NULL);
}

/* How many of c's changes in a row (from i) get in: until a 503. */
static int
replay_fill(struct gt *g, struct txcreds *c, int64_t ts, int i, int most)
{
	char	body[4096];
	long	st;
	int	n;

	for (n = 0; n < most; n++)
		if ((st = replay_at(g, c, ts, i + n, body,
		    sizeof(body))) == 503)
			break;
		else if (st != 200 && st != 403)
			fail_msg("change %d: %ld %s", i + n, st, body);
		else if (strstr(body, "replay") != NULL)
			fail_msg("change %d: %s", i + n, body);
	if (n < most)
		assert_string_equal(body, "{\"error\":\"this client has too "
		    "many signed requests in the replay window; retry\"}");
	return n;
}

/*
 * Clients that filled the replay table kept every other client out: once
 * it held half its live most, each client holding 1/64 of that took no
 * more, but enough of them (32 at the largest size) took the other half
 * and then every client's changes got 503.  Each client now has a
 * reserve no one else's entries take (-M 64, 4 clients: 32 live, a
 * reserve of 4 each, 15 shared), and past it clients share the rest:
 * two clients that take all they can leave a third its reserve.  No
 * entry is let go for room: the first change, sent again, is a replay.
 */
static void
test_replay_reserved(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 other, third;
	char		 body[4096];
	int64_t		 ts;

	gw_restart_t(g, "-TM64", "-Q4");
	ts = txt_now();
	replay_client_add(g, "other", &other);
	replay_client_add(g, "third", &third);
	/* 4 of its own, and the shared part to half (7) */
	assert_int_equal(replay_fill(g, &g->bot, ts, 1, 40), 11);
	/* 4 of its own and 1 shared: it held none shared */
	assert_int_equal(replay_fill(g, &other, ts, 1, 40), 5);
	/* the third client still trades: its reserve, then 1 shared */
	assert_int_equal(replay_fill(g, &third, ts, 1, 40), 5);
	/* the first two are refused still, on their own count */
	assert_int_equal(replay_fill(g, &g->bot, ts, 60, 1), 0);
	assert_int_equal(replay_fill(g, &other, ts, 60, 1), 0);
	/* nothing was let go: the first change is a replay */
	assert_int_equal(replay_at(g, &g->bot, ts, 1, body, sizeof(body)),
	    403);
	assert_string_equal(body, "{\"error\":\"replayed request: this "
	    "signature was used already; sign each request anew\"}");
	replay_client_remove(g, "other");
	replay_client_remove(g, "third");
	gw_restart(g, NULL);
}

/*
 * A table at its largest size, half of it live, was rebuilt (a pass
 * over every slot) for nearly each signature it took: after a rebuild
 * it was half full again.  At its largest size it is rebuilt at three
 * quarters now, after a quarter of its slots filled anew.  -M 16: 8
 * live at most, 7 held here; each stale request's entry (signed 100 s
 * ago: the policy refuses it) expires a millisecond later, and fills a
 * slot until a rebuild.
 */
static void
test_replay_rebuilds(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 c[4];
	char		 body[4096], name[16];
	long		 scans;
	int		 i, k;

	gw_restart_t(g, "-TM16", NULL);
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "more%d", k);
		replay_client_add(g, name, &c[k]);
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(replay_one(g, &g->bot, i, body, sizeof(body)),
		    200);
	for (k = 0; k < 3; k++)
		assert_int_equal(replay_one(g, &c[k], 1, body, sizeof(body)),
		    403);
	scans = replay_scans(g);
	for (i = 0; i < 10; i++) {
		it_sleep_ms(2);		/* the last one expired */
		assert_int_equal(replay_at(g, &c[3], txt_now() - 100, i, body,
		    sizeof(body)), 403);
		/* 100 s old, or 101 if a second began in between */
		assert_int_equal(strncmp(body, "{\"error\":\"denied by "
		    "ceiling skew: signed timestamp is 10", 56), 0);
	}
	/* 5 slots filled, then a rebuild (7 live), then 5 more */
	assert_int_equal(replay_scans(g), scans + 1);
	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "more%d", k);
		replay_client_remove(g, name);
	}
	gw_restart(g, NULL);
}

/*
 * A bot's request held for approval, granted, and netd restarted while
 * signerd signs (held still): the signature has no request to go to.
 * It is on the audit log as withheld, actor vaultd, with the method,
 * path, digest and rule of the approved record that admitted it, and
 * /metrics counts it apart, not among the signatures handed over.  It
 * used to be counted as signed by its kind, as if the bot had it.
 */
static void
test_withheld(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3], now[3];
	struct audit_rec approved, withheld;
	struct txr	 r;
	char		 key[160], pol[8192], id[17], want[256];
	static char	 before[1 << 20], after[1 << 20];
	json_t		*j;
	size_t		 from, i;
	int64_t		 start;
	pid_t		 pid;
	long		 signed_before[4];
	static const char *const kinds[4] = { "l1", "l2", "builder", "order" };

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	unlink(key);
	assert_int_equal(CTL(g, NULL, "approver keygen %s", key), 0);
	snprintf(pol, sizeof(pol), "approver alice \"%.64s\"\napprove 1 of "
	    "{ alice } client bot method GET path /data/orders label held\n"
	    "%s", g->out, POLICY_TEXT);
	policy_put(g, pol);
	metrics_text(g, before, sizeof(before));
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "clobvault_signatures_total{kind="
		    "\"%s\"} ", kinds[i]);
		signed_before[i] = metric(g, want);
	}
	from = audit_size(g);

	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		_exit(0);
	}
	for (start = txt_ms();; it_sleep_ms(50)) {
		assert_true(txt_ms() - start < 10000);
		if (CTL(g, NULL, "--json approve list") != 0)
			fail_msg("approve list: %s", g->out);
		assert_non_null(j = json_loads(g->out, 0, NULL));
		if (json_array_size(json_object_get(j, "pending")) == 1)
			break;
		json_decref(j);
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "pending"), 0), "id")));
	json_decref(j);

	/* signerd held still: the grant's request waits in it */
	assert_int_equal(it_status(&g->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGSTOP), 0);
	if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) != 0) {
		kill((pid_t)procs[1].pid, SIGCONT);
		fail_msg("approve grant: %s", g->out);
	}
	/* netd, and with it the request, gone; a new netd up */
	assert_int_equal(kill((pid_t)procs[2].pid, SIGKILL), 0);
	if (it_wait_up(&g->it, now, 0, procs[2].pid, 10000) < 0) {
		kill((pid_t)procs[1].pid, SIGCONT);
		fail_msg("netd did not come back");
	}
	assert_int_equal(kill((pid_t)procs[1].pid, SIGCONT), 0);
	for (start = txt_ms(); sign_record(g, from, "vaultd", "withheld",
	    &withheld) == 0; it_sleep_ms(50))
		assert_true(txt_ms() - start < 10000);
	assert_int_equal(sign_record(g, from, "vaultd", "withheld",
	    &withheld), 1);
	/*
	 * the grant's record, which a checkpoint signerd had to sign
	 * while stopped may have kept back until now
	 */
	assert_int_equal(sign_record(g, from, "client:bot", "approved",
	    &approved), 1);
	assert_string_equal(withheld.account, "pm");
	assert_string_equal(withheld.method, "GET");
	assert_string_equal(withheld.method, approved.method);
	assert_string_equal(withheld.path, approved.path);
	assert_string_equal(withheld.digest, approved.digest);
	assert_string_equal(withheld.key_id, approved.key_id);
	assert_int_equal(strncmp(withheld.key_id, "held@", 5), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);

	/* counted as withheld, not as a signature of its kind */
	assert_int_equal(gw_url(g), 0);
	metrics_text(g, after, sizeof(after));
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "\nclobvault_signatures_total{"
		    "kind=\"%s\"} %ld\n", kinds[i], signed_before[i]);
		if (strstr(after, want) == NULL)
			fail_msg("/metrics lacks \"%s\":\n%s", want, after);
	}
	assert_non_null(strstr(before, "\n# HELP clobvault_signatures_"
	    "withheld_total Signatures signerd made that went no further: by "
	    "vaultd, their asker gone before it handed them over; by netd, "
	    "handed over (and counted in clobvault_signatures_total) and "
	    "dropped unread, on netd's word.\n# TYPE clobvault_signatures_"
	    "withheld_total counter\nclobvault_signatures_withheld_total{by="
	    "\"vaultd\"} 0\nclobvault_signatures_withheld_total{by=\"netd\"} "
	    "0\n"));
	assert_non_null(strstr(after, "\nclobvault_signatures_withheld_total{"
	    "by=\"vaultd\"} 1\nclobvault_signatures_withheld_total{by="
	    "\"netd\"} 0\n"));

	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/* The policy of test_withheld: the bot's GET /data/orders held. */
static void
held_policy(struct gt *g, const char *key)
{
	char	pol[8192];

	unlink(key);
	assert_int_equal(CTL(g, NULL, "approver keygen %s", key), 0);
	snprintf(pol, sizeof(pol), "approver alice \"%.64s\"\napprove 1 of "
	    "{ alice } client bot method GET path /data/orders label held\n"
	    "%s", g->out, POLICY_TEXT);
	policy_put(g, pol);
}

/* A bot's GET /data/orders in a child, held: its id, the child's pid. */
static pid_t
held_bot(struct gt *g, char *id, size_t idlen)
{
	struct txr	 r;
	json_t		*j;
	int64_t		 start;
	pid_t		 pid;

	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		_exit(0);
	}
	for (start = txt_ms();; it_sleep_ms(50)) {
		assert_true(txt_ms() - start < 10000);
		if (CTL(g, NULL, "--json approve list") != 0)
			fail_msg("approve list: %s", g->out);
		assert_non_null(j = json_loads(g->out, 0, NULL));
		if (json_array_size(json_object_get(j, "pending")) == 1)
			break;
		json_decref(j);
	}
	snprintf(id, idlen, "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "pending"), 0), "id")));
	json_decref(j);
	return pid;
}

/* How many requests `approve list` shows. */
static size_t
held_count(struct gt *g)
{
	json_t	*j;
	size_t	 n;

	if (CTL(g, NULL, "--json approve list") != 0)
		fail_msg("approve list: %s", g->out);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	n = json_array_size(json_object_get(j, "pending"));
	json_decref(j);
	return n;
}

/*
 * A bot that goes away while its request is held for approval: netd
 * tells vaultd, which cancels the request at once -- on the audit log
 * as `cancelled`, gone from `approve list` -- so that a grant finds
 * nothing to sign.  It used to stay held until its approval-timeout,
 * for an approver to grant and signerd to sign for no one.
 */
static void
test_gone_held(void **state)
{
	struct gt	*g = *state;
	struct audit_rec rec;
	char		 key[160], id[17], want[256];
	size_t		 from;
	int64_t		 start;
	pid_t		 pid;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	held_policy(g, key);
	from = audit_size(g);
	pid = held_bot(g, id, sizeof(id));
	assert_int_equal(sign_record(g, from, "client:bot", "held", &rec), 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	for (start = txt_ms(); held_count(g) != 0; it_sleep_ms(50))
		if (txt_ms() - start >= 10000)
			fail_msg("still held 10 s after its bot went away");
	assert_int_equal(sign_record(g, from, "client:bot", "cancelled",
	    &rec), 1);
	assert_string_equal(rec.account, "pm");
	assert_string_equal(rec.method, "GET");
	assert_string_equal(rec.path, "/data/orders");
	assert_int_equal(CTL(g, NULL, "approve grant %s --key-file %s", id,
	    key), 8);
	snprintf(want, sizeof(want), "vaultctl: approve: no request %s waits "
	    "for approval (vaultctl approve list)\n", id);
	assert_string_equal(g->out, want);
	assert_int_equal(sign_record(g, from, "client:bot", "approved", &rec),
	    0);
	assert_int_equal(sign_record(g, from, "vaultd", "withheld", &rec), 0);

	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * Test probe kind on vaultd itself (busy, busy-all, busy-off,
 * account-raw).
 */
static void
vaultd_probe(struct gt *g, const char *kind)
{
	struct chan	c;
	struct msg_w	w;
	struct msg	m;

	assert_int_equal(it_connect(&g->it, &c), 0);
	msg_begin(&w, MSG_CTL_PROBE_REQ, 7);
	msg_put_str(&w, "vaultd");
	msg_put_str(&w, kind);
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_CTL_PROBE_ANS);
	msg_clear(&m);
	chan_free(&c);
}

/*
 * A bot's GET /data/orders in a child, held: its id, the child's pid,
 * and in *rfd a pipe on which the child writes "STATUS BODY" (the body
 * left out of a 200) when its answer comes.
 */
static pid_t
held_bot_told(struct gt *g, char *id, size_t idlen, int *rfd)
{
	struct txr	 r;
	char		 got[512];
	json_t		*j;
	int64_t		 start;
	int		 p[2];
	pid_t		 pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		close(p[0]);
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		snprintf(got, sizeof(got), "%ld %s", r.status, r.status == 200 ?
		    "" : r.body != NULL ? r.body : "");
		(void)!write(p[1], got, strlen(got));
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	for (start = txt_ms(); held_count(g) != 1; it_sleep_ms(50))
		if (txt_ms() - start >= 10000)
			fail_msg("the request was not held");
	if (CTL(g, NULL, "--json approve list") != 0)
		fail_msg("approve list: %s", g->out);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	snprintf(id, idlen, "%s", json_string_value(json_object_get(
	    json_array_get(json_object_get(j, "pending"), 0), "id")));
	json_decref(j);
	return pid;
}

/* What the child of held_bot_told wrote, once it has ended. */
static void
held_bot_said(pid_t pid, int fd, char *got, size_t len)
{
	ssize_t	n;

	assert_int_equal(waitpid(pid, NULL, 0), pid);
	n = read(fd, got, len - 1);
	close(fd);
	assert_true(n > 0);
	got[n] = '\0';
}

/*
 * A bot's held GET /data/orders granted while the vault is busy.  As
 * too many records wait for a checkpoint (probe busy), the granted
 * request passes that bound and is signed: the bot gets its answer.  It
 * used to be refused "retry", parked, and once the vault could sign,
 * put before the policy again and held for the approvers anew.  As the
 * vault being locked (busy-all), which no request passes, the bot is
 * told at once, and the request is not held again.
 */
static void
test_granted_busy(void **state)
{
	struct gt	*g = *state;
	struct audit_rec rec;
	char		 key[160], id[17], got[512];
	const char	*kind[] = { "busy", "busy-all" };
	size_t		 from, i;
	int		 fd;
	pid_t		 pid;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	held_policy(g, key);
	for (i = 0; i < 2; i++) {
		from = audit_size(g);
		pid = held_bot_told(g, id, sizeof(id), &fd);
		vaultd_probe(g, kind[i]);
		if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) !=
		    0) {
			vaultd_probe(g, "busy-off");
			fail_msg("approve grant: %s", g->out);
		}
		held_bot_said(pid, fd, got, sizeof(got));
		vaultd_probe(g, "busy-off");
		if (i == 0)
			assert_string_equal(got, "200 ");
		else
			assert_string_equal(got, "503 {\"error\":\"the vault "
			    "is busy for a moment; retry\"}");
		assert_int_equal(held_count(g), 0);
		assert_int_equal(sign_record(g, from, "client:bot", "held",
		    &rec), 1);
		assert_int_equal(sign_record(g, from, "client:bot", "approved",
		    &rec), 1);
	}
	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * A bot's held request granted while operators' requests take every
 * signing slot (256, signerd stopped): the granted request has slots of
 * its own and is signed once signerd goes on.  It used to be refused
 * "too many signing requests in flight; retry", its grant spent.
 */
static void
test_granted_full(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3];
	struct audit_rec rec;
	struct chan	 c;
	struct msg_w	 w;
	struct msg	 m;
	char		 key[160], id[17], got[512], actor[64], text[256];
	size_t		 from;
	int64_t		 start;
	uint32_t	 i;
	int		 fd, code, answers = 0;
	pid_t		 pid, signerd;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	held_policy(g, key);
	from = audit_size(g);
	pid = held_bot_told(g, id, sizeof(id), &fd);

	/* every slot taken: signerd stopped, 256 signatures asked */
	assert_int_equal(it_status(&g->it, procs), 0);
	signerd = (pid_t)procs[1].pid;
	assert_int_equal(kill(signerd, SIGSTOP), 0);
	assert_int_equal(it_connect(&g->it, &c), 0);
	for (i = 1; i <= 257; i++) {
		it_headers_req(&w, i, "pm", 2, "GET", "/auth/api-keys");
		assert_int_equal(chan_queue(&c, &w), 0);
	}
	while (chan_flush(&c) == CV_ERR_AGAIN)
		it_sleep_ms(10);
	/* the 257th is refused at once */
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(m.id, 257);
	assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)), 0);
	msg_clear(&m);
	assert_int_equal(code, CV_ERR_AGAIN);
	assert_string_equal(text, "too many signing requests in flight; "
	    "retry");
	snprintf(actor, sizeof(actor), "vaultctl:%u:%d", (unsigned)getuid(),
	    (int)getpid());
	/* their records are written in groups, each before its group goes */
	for (start = txt_ms(); sign_record(g, from, actor, "allow", &rec) !=
	    256; it_sleep_ms(50))
		if (txt_ms() - start >= 10000) {
			kill(signerd, SIGCONT);
			fail_msg("not 256 allow records");
		}

	if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) != 0) {
		kill(signerd, SIGCONT);
		fail_msg("approve grant: %s", g->out);
	}
	assert_int_equal(kill(signerd, SIGCONT), 0);
	held_bot_said(pid, fd, got, sizeof(got));
	assert_string_equal(got, "200 ");
	while (answers < 256 && chan_recv(&c, &m) == 0) {
		if (m.type == MSG_CTL_HEADERS_ANS)
			answers++;
		msg_clear(&m);
	}
	assert_int_equal(answers, 256);
	chan_free(&c);
	assert_int_equal(held_count(g), 0);
	assert_int_equal(sign_record(g, from, "client:bot", "approved", &rec),
	    1);
	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * A request held for approval past netd's wait for vaultd's answer
 * (NETD_GW_VAULTD_MS, 3900 s; -V 2 here): the bot is told 504, and netd
 * tells vaultd, which cancels the request as for a bot gone -- on the
 * audit log as `cancelled`, gone from `approve list`, the budget its
 * rule reserved given back.
 */
static void
test_wait_ends_held(void **state)
{
	struct gt	*g = *state;
	struct audit_rec rec;
	struct txr	 r;
	char		 key[160], pol[8192];
	size_t		 from;
	int64_t		 start;

	gw_restart(g, "-V2");
	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	unlink(key);
	assert_int_equal(CTL(g, NULL, "approver keygen %s", key), 0);
	snprintf(pol, sizeof(pol), "approver alice \"%.64s\"\napprove 1 of "
	    "{ alice } client bot method GET path /data/orders limit 5/day "
	    "per client label held\n%s", g->out, POLICY_TEXT);
	policy_put(g, pol);
	from = audit_size(g);
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	if (r.status != 504)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	assert_string_equal(r.body, "{\"error\":\"gateway: vaultd did not "
	    "answer in time\"}");
	txr_free(&r);
	assert_int_equal(sign_record(g, from, "client:bot", "held", &rec), 1);
	for (start = txt_ms(); held_count(g) != 0; it_sleep_ms(50))
		if (txt_ms() - start >= 10000)
			fail_msg("still held 10 s after netd's wait ended");
	assert_int_equal(sign_record(g, from, "client:bot", "cancelled",
	    &rec), 1);
	assert_string_equal(rec.account, "pm");
	assert_string_equal(rec.method, "GET");
	assert_string_equal(rec.path, "/data/orders");
	assert_int_equal(sign_record(g, from, "client:bot", "approved", &rec),
	    0);
	assert_int_equal(sign_record(g, from, "vaultd", "withheld", &rec), 0);
	/* the held rule's budget given back */
	assert_int_equal(metric(g, "clobvault_budget_remaining{rule=\"held\","
	    "budget=\"limit 5/day per client\",account=\"\","
	    "who=\"client:bot\"} "), 5);

	policy_put(g, POLICY_TEXT);
	unlink(key);
	gw_restart(g, NULL);
}

/*
 * A bot that sends made-up credentials and leaves at once keeps netd's
 * place for its request until signerd's work of it is done: vaultd
 * answers a request given up while signerd checks it only once the
 * check is back.  So signerd's work under way stays within the 64
 * places netd lets credentials not yet seen to pass wait in.  vaultd
 * used to answer at the notice, netd freed the place, and a bot could
 * pile up made-up checks at a slow signerd until every signing request
 * of every client was refused.
 */
static void
test_gone_keeps_place(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3];
	struct txcreds	 k = g->bot;
	struct txr	 r;
	pid_t		 pids[64], pid;
	char		 got[512];
	ssize_t		 n;
	int64_t		 start;
	int		 i, p[2], status;

	assert_int_equal(it_status(&g->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGSTOP), 0);
	for (i = 0; i < 64; i++) {
		if ((pids[i] = fork()) == -1)
			fail_msg("fork");
		if (pids[i] == 0) {
			snprintf(k.key, sizeof(k.key), "00000000-0000-4000-"
			    "8000-0000000002%02d", i);
			bot(g, &k, txt_now(), "GET", "/data/orders", NULL, &r);
			_exit(0);
		}
	}
	/* all 64 at vaultd, at the stopped signerd; then every bot gone */
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("the 64 requests did not reach vaultd");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 65)
			break;
	}
	for (i = 0; i < 64; i++) {
		assert_int_equal(kill(pids[i], SIGKILL), 0);
		assert_int_equal(waitpid(pids[i], NULL, 0), pids[i]);
	}
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("netd still has the requests of the bots gone");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 1)
			break;
	}
	/* the next made-up credentials find the 64 places still taken */
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		close(p[0]);
		snprintf(k.key, sizeof(k.key), "00000000-0000-4000-8000-"
		    "000000000300");
		bot(g, &k, txt_now(), "GET", "/data/orders", NULL, &r);
		snprintf(got, sizeof(got), "%ld %s", r.status,
		    r.body != NULL ? r.body : "");
		(void)!write(p[1], got, strlen(got));
		_exit(0);
	}
	close(p[1]);
	for (start = txt_ms(); waitpid(pid, &status, WNOHANG) == 0;
	    it_sleep_ms(50))
		if (txt_ms() - start >= 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("a 65th made-up request reached vaultd");
		}
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGCONT), 0);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "503 {\"error\":\"gateway: 64 requests of "
	    "client credentials not yet accepted since netd started are "
	    "waiting on vaultd; retry\"}");
	/* signerd back: the places go, and a bot is served again */
	for (start = txt_ms();; it_sleep_ms(100)) {
		if (txt_ms() - start >= 10000)
			fail_msg("the bot is not served once signerd is back");
		bot(g, &g->bot, txt_now(), "GET", "/data/orders?market=",
		    NULL, &r);
		status = (int)r.status;
		txr_free(&r);
		if (status == 200)
			break;
	}
}

/*
 * signerd stopping while it checks a bot's credentials says nothing of
 * them: the bot is told to retry (503), and vaultd neither counts nor
 * records a credential failure.  It used to do both, a "deny" record
 * under gateway:key: for the client's key id, as for a wrong signature.
 */
static void
test_check_lost(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3];
	struct txr	 r;
	const char	*refused = "clobvault_gateway_refused_total"
			    "{reason=\"credentials\"} ";
	char		 got[512];
	long		 before, crashed, stalled;
	uint64_t	 old;
	ssize_t		 n;
	int64_t		 start;
	int		 p[2], status;
	pid_t		 pid;

	before = metric(g, refused);
	crashed = restarts(g, "signerd", "crash");
	stalled = restarts(g, "signerd", "stalled");
	assert_int_equal(it_status(&g->it, procs), 0);
	old = procs[1].pid;
	assert_int_equal(kill((pid_t)old, SIGSTOP), 0);
	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		close(p[0]);
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		snprintf(got, sizeof(got), "%ld %s", r.status,
		    r.body != NULL ? r.body : "");
		(void)!write(p[1], got, strlen(got));
		_exit(0);
	}
	close(p[1]);
	/* the request at vaultd, its check at the stopped signerd */
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)old, SIGCONT);
			fail_msg("the request did not reach vaultd");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 2)
			break;
	}
	assert_int_equal(kill((pid_t)old, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, "503 {\"error\":\"signerd stopped; "
	    "retry\"}");
	assert_int_equal(metric(g, refused), before);
	/* signerd back, the vault unlocked: the bot is served */
	for (start = txt_ms();; it_sleep_ms(100)) {
		if (txt_ms() - start >= 10000)
			fail_msg("signerd did not come back");
		if (it_status(&g->it, procs) == 0 && procs[1].pid != old &&
		    procs[1].pid != 0 &&
		    CTL(g, NULL, "unlock --passphrase-file %s", g->pass) == 0)
			break;
	}
	bot(g, &g->bot, txt_now(), "GET", "/data/orders?market=", NULL, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	assert_int_equal(metric(g, refused), before);
	/*
	 * killed by another than vaultd: a crash to vaultd; unless vaultd's
	 * watchdog, its check owed 10 s on a loaded machine, came first
	 */
	if (strncmp(procs[1].last_exit, "killed by vaultd: no answer",
	    27) == 0) {
		crashed--;
		stalled++;
	}
	assert_int_equal(restarts(g, "signerd", "crash"), crashed + 1);
	assert_int_equal(restarts(g, "signerd", "stalled"), stalled);
}

/*
 * A bot gone while its credentials wait at a signerd that does not
 * answer (stopped): the request keeps its place at vaultd, and netd's
 * wait slot, only until vaultd's watchdog (-X 1 here) kills signerd;
 * then it ends, netd's slot is free, and once signerd is back and the
 * vault unlocked the bot is served.  It used to keep them until the
 * status query's deadline noticed the stopped signerd, 15 to 20 s later.
 */
static void
test_gone_stalled(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3], q[3];
	struct txr	 r;
	int64_t		 start;
	pid_t		 pid;
	uint64_t	 old;

	gw_restart_t(g, "-TX1", NULL);
	assert_int_equal(it_status(&g->it, procs), 0);
	old = procs[1].pid;
	assert_int_equal(kill((pid_t)old, SIGSTOP), 0);
	if ((pid = fork()) == -1)
		fail_msg("fork");
	if (pid == 0) {
		bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
		_exit(0);
	}
	/* the request at vaultd, its check at the stopped signerd */
	for (start = txt_ms();; it_sleep_ms(20)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)old, SIGCONT);
			fail_msg("the request did not reach vaultd");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 2)
			break;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	if (it_wait_up(&g->it, q, old, 0, 10000) < 0) {
		kill((pid_t)old, SIGCONT);
		fail_msg("signerd not restarted");
	}
	assert_string_equal(q[1].last_exit, "killed by vaultd: no answer to "
	    "signing requests in 1 s");
	/* a vaultd of its own: these are its only restarts */
	assert_int_equal(restarts(g, "signerd", "stalled"), 1);
	assert_int_equal(restarts(g, "signerd", "crash"), 0);
	assert_int_equal(restarts(g, "netd", "stalled"), 0);
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000)
			fail_msg("netd still has the request of the bot gone");
		if (metric(g, "\nclobvault_gateway_inflight ") == 1)
			break;
	}
	assert_int_equal(CTL(g, NULL, "unlock --passphrase-file %s", g->pass),
	    0);
	bot(g, &g->bot, txt_now(), "GET", "/data/orders?market=", NULL, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	gw_restart(g, NULL);	/* the other tests' bound */
}

/*
 * A bot that goes away while signerd makes its signature (held still
 * with SIGSTOP once the grant sent the request to it): the signature,
 * when it comes, is withheld -- on the audit log as such, counted apart
 * in /metrics, never among those handed over.  It used to go to netd,
 * which dropped it, and was counted as handed over.
 */
static void
test_gone_signing(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3], now[3];
	struct audit_rec approved, withheld;
	struct txr	 r;
	char		 key[160], id[17], want[256];
	static char	 after[1 << 20];
	size_t		 from, i;
	int64_t		 start;
	pid_t		 pid;
	long		 signed_before[4], withheld_before;
	static const char *const kinds[4] = { "l1", "l2", "builder", "order" };

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	held_policy(g, key);
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "clobvault_signatures_total{kind="
		    "\"%s\"} ", kinds[i]);
		signed_before[i] = metric(g, want);
	}
	withheld_before = metric(g, "\nclobvault_signatures_withheld_total{"
	    "by=\"vaultd\"} ");
	from = audit_size(g);
	pid = held_bot(g, id, sizeof(id));

	/* signerd held still: the grant's request waits in it */
	assert_int_equal(it_status(&g->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGSTOP), 0);
	if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) != 0) {
		kill((pid_t)procs[1].pid, SIGCONT);
		fail_msg("approve grant: %s", g->out);
	}
	/* the bot gone; netd, the same one, serves on */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	/*
	 * netd has let the request go once it counts only the /metrics
	 * request in flight; what it sends vaultd after that (the next
	 * /metrics) vaultd reads after its notice.
	 */
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("netd still has the request of the bot gone");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 1)
			break;
	}
	(void)metric(g, "\nclobvault_gateway_inflight ");
	assert_int_equal(kill((pid_t)procs[1].pid, SIGCONT), 0);
	for (start = txt_ms(); sign_record(g, from, "vaultd", "withheld",
	    &withheld) == 0; it_sleep_ms(50))
		if (txt_ms() - start >= 10000)
			fail_msg("no withheld record: the signature was "
			    "handed over");
	assert_int_equal(sign_record(g, from, "vaultd", "withheld",
	    &withheld), 1);
	/*
	 * the grant's record, which a checkpoint signerd had to sign
	 * while stopped may have kept back until now
	 */
	assert_int_equal(sign_record(g, from, "client:bot", "approved",
	    &approved), 1);
	assert_string_equal(withheld.account, "pm");
	assert_string_equal(withheld.method, "GET");
	assert_string_equal(withheld.path, approved.path);
	assert_string_equal(withheld.digest, approved.digest);
	assert_string_equal(withheld.key_id, approved.key_id);
	assert_int_equal(strncmp(withheld.key_id, "held@", 5), 0);
	/* netd is the one that was up: never restarted for the notice */
	assert_int_equal(it_status(&g->it, now), 0);
	assert_int_equal(now[2].pid, procs[2].pid);
	assert_string_equal(now[2].state, "up");

	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	snprintf(after, sizeof(after), "%s", r.body);
	txr_free(&r);
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "\nclobvault_signatures_total{"
		    "kind=\"%s\"} %ld\n", kinds[i], signed_before[i]);
		if (strstr(after, want) == NULL)
			fail_msg("/metrics lacks \"%s\":\n%s", want, after);
	}
	snprintf(want, sizeof(want), "\nclobvault_signatures_withheld_total{"
	    "by=\"vaultd\"} %ld\n", withheld_before + 1);
	if (strstr(after, want) == NULL)
		fail_msg("/metrics lacks \"%s\":\n%s", want, after);

	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * A bot that goes away as its signature comes: netd gives the request
 * up (MSG_GW_GONE) before it reads vaultd's answer, which it drops, and
 * vaultd reads the notice after it sent the answer (-T probe gone-late
 * holds the notice so).  The signature never reached the exchange: it
 * is on the log as withheld, naming the request as its grant did.  It
 * used to be taken for handed over, with no record.
 */
static void
test_gone_crossing(void **state)
{
	struct gt	*g = *state;
	struct it_proc	 procs[3];
	struct audit_rec approved, withheld;
	char		 key[160], id[17];
	size_t		 from;
	int64_t		 start;
	long		 netd_before, vaultd_before;
	pid_t		 pid;

	snprintf(key, sizeof(key), "%s.alice", g->it.home);
	held_policy(g, key);
	from = audit_size(g);
	netd_before = metric(g, "\nclobvault_signatures_withheld_total{"
	    "by=\"netd\"} ");
	vaultd_before = metric(g, "\nclobvault_signatures_withheld_total{"
	    "by=\"vaultd\"} ");
	pid = held_bot(g, id, sizeof(id));
	vaultd_probe(g, "gone-late");

	/* signerd held still: the grant's request waits in it */
	assert_int_equal(it_status(&g->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGSTOP), 0);
	if (CTL(g, NULL, "approve grant %s --key-file %s", id, key) != 0) {
		kill((pid_t)procs[1].pid, SIGCONT);
		fail_msg("approve grant: %s", g->out);
	}
	/* the bot gone: netd gives the request up, vaultd holds the notice */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	for (start = txt_ms();; it_sleep_ms(50)) {
		if (txt_ms() - start >= 10000) {
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("netd still has the request of the bot gone");
		}
		if (metric(g, "\nclobvault_gateway_inflight ") == 1)
			break;
	}
	/* the signature comes, goes to netd, which drops it unread */
	assert_int_equal(kill((pid_t)procs[1].pid, SIGCONT), 0);
	for (start = txt_ms(); sign_record(g, from, "netd", "withheld",
	    &withheld) == 0; it_sleep_ms(50))
		if (txt_ms() - start >= 10000)
			fail_msg("no withheld record of netd's: the signature "
			    "netd dropped was taken for handed over, or "
			    "vaultd claims to have withheld it");
	assert_int_equal(sign_record(g, from, "netd", "withheld",
	    &withheld), 1);
	/*
	 * vaultd handed the signature over: only netd says it went no
	 * further, and a netd that sent it on could say the same.
	 */
	assert_int_equal(sign_record(g, from, "vaultd", "withheld",
	    &withheld), 0);
	assert_int_equal(sign_record(g, from, "netd", "withheld",
	    &withheld), 1);
	assert_int_equal(sign_record(g, from, "client:bot", "approved",
	    &approved), 1);
	assert_string_equal(withheld.account, "pm");
	assert_string_equal(withheld.method, "GET");
	assert_string_equal(withheld.path, "/data/orders");
	assert_string_equal(withheld.path, approved.path);
	assert_string_equal(withheld.digest, approved.digest);
	assert_string_equal(withheld.key_id, approved.key_id);
	assert_int_equal(strncmp(withheld.key_id, "held@", 5), 0);
	/* no request of it is left at vaultd or netd */
	assert_int_equal(metric(g, "\nclobvault_gateway_inflight "), 1);
	/* counted as netd's, apart from those vaultd kept back */
	assert_int_equal(metric(g, "\nclobvault_signatures_withheld_total{"
	    "by=\"netd\"} "), netd_before + 1);
	assert_int_equal(metric(g, "\nclobvault_signatures_withheld_total{"
	    "by=\"vaultd\"} "), vaultd_before);

	policy_put(g, POLICY_TEXT);
	unlink(key);
}

/*
 * Anyone who can reach the gateway could make vaultd write a record for
 * each request with bad credentials.  One record per client key id in a
 * second now, the failures in between counted ("+N") into the next
 * record, or into one of their own once the key id is quiet.
 */
static void
test_authfail_coalesced(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 bad = g->bot, other = g->bot;
	struct txr	 r;
	char		 recs[8][256], want[256];
	size_t		 from, n;
	int64_t		 t0;
	long		 refusals = refused_credentials(g);
	int		 i, mark = log_lines(g);

	bad.secret[0] = bad.secret[0] == 'A' ? 'B' : 'A';
	snprintf(other.key, sizeof(other.key),
	    "00000000-0000-4000-8000-000000000001");
	it_sleep_ms(1100);	/* the bot's key id quiet since its last */
	from = audit_size(g);
	t0 = it_ms();
	for (i = 0; i < 5; i++) {
		bot(g, &bad, txt_now(), "GET", "/data/orders", NULL, &r);
		refused(g, &r, 401, "", mark);
		assert_string_equal(r.body,
		    "{\"error\":\"client credentials refused\"}");
		txr_free(&r);
	}
	/* another key id: a record of its own */
	bot(g, &other, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	txr_free(&r);
	if (it_ms() - t0 >= 900)
		fail_msg("six requests took %lld ms; the test needs them in "
		    "one second", (long long)(it_ms() - t0));
	it_sleep_ms(1300);	/* the count's own record, at 1 s */
	it_sleep_ms(1100);	/* quiet again */
	bot(g, &bad, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	txr_free(&r);
	it_sleep_ms(200);	/* written at the end of vaultd's turn */
	n = sign_records(g, from, recs, 8);
	assert_int_equal(n, 4);
	/* each names the key id the request named */
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-", bad.key);
	assert_string_equal(recs[0], want);
	assert_string_equal(recs[1], "gateway:key:00000000-0000-4000-8000-"
	    "000000000001\t-\tsign\tGET\t/data/orders\tdeny\t-\t-");
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\t-\t-\t"
	    "deny\t+4\t-", bad.key);
	assert_string_equal(recs[2], want);
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-", bad.key);
	assert_string_equal(recs[3], want);
	/* every one counted */
	assert_int_equal(refused_credentials(g), refusals + 7);
}

/*
 * A flood of credential failures takes the allowances whoever's key ids
 * they name: past 16 key ids in a second the failures of a client's
 * key id, whether it has passed since vaultd started or not, are
 * counted in the shared allowance as a made-up key id's are (the bot
 * gets the same 401).  Allowances used to be kept for key ids signerd
 * had found a client of, which /metrics' record count gave away (see
 * test_authfail_no_oracle).  A key id is the sender's choice: its
 * record names it mapped to a few harmless bytes and cut.
 */
static void
test_authfail_flood(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 bad = g->bot, k = g->bot, fresh;
	struct txr	 r;
	json_t		*j;
	char		 recs[24][256], want[256];
	size_t		 from, n;
	int64_t		 t0;
	int		 i, mark;

	/* a client whose key id has never passed */
	assert_int_equal(CTL(g, NULL, "--json client add fresh --account pm "
	    "--passphrase-file %s", g->pass), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(txt_creds(j, &fresh), 0);
	json_decref(j);
	fresh.secret[0] = fresh.secret[0] == 'A' ? 'B' : 'A';

	/* the bot's key id passes once */
	bot(g, &g->bot, txt_now(), "GET", "/data/orders?market=", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	mark = log_lines(g);
	bad.secret[0] = bad.secret[0] == 'A' ? 'B' : 'A';
	it_sleep_ms(1100);	/* every allowance quiet */
	from = audit_size(g);
	t0 = it_ms();
	for (i = 0; i < 17; i++) {
		snprintf(k.key, sizeof(k.key), "00000000-0000-4000-8000-"
		    "0000000001%02d", i);
		bot(g, &k, txt_now(), "GET", "/data/orders", NULL, &r);
		refused(g, &r, 401, "", mark);
		txr_free(&r);
	}
	bot(g, &bad, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	txr_free(&r);
	bot(g, &fresh, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	assert_string_equal(r.body,
	    "{\"error\":\"client credentials refused\"}");
	txr_free(&r);
	if (it_ms() - t0 >= 900)
		fail_msg("19 requests took %lld ms; the test needs them in "
		    "one second", (long long)(it_ms() - t0));
	it_sleep_ms(1300);	/* the shared allowance's count, at 1 s */
	n = sign_records(g, from, recs, 24);
	/* 16 key ids of their own, one in the shared allowance, then the
	 * count of the shared one's: the two clients' failures */
	assert_int_equal(n, 18);
	for (i = 0; i < 17; i++) {
		snprintf(want, sizeof(want), "gateway:key:00000000-0000-4000-"
		    "8000-0000000001%02d\t-\tsign\tGET\t/data/orders\t"
		    "deny\t-\t-", i);
		assert_string_equal(recs[i], want);
	}
	assert_string_equal(recs[17], "gateway:key:*\t-\tsign\t-\t-\t"
	    "deny\t+2\t-");
	assert_int_equal(CTL(g, NULL, "client remove fresh "
	    "--passphrase-file %s", g->pass), 0);

	/* a key id of the sender's making */
	it_sleep_ms(1100);
	from = audit_size(g);
	snprintf(k.key, sizeof(k.key), "a\"b c%%d/e\\f:g<h>%s",
	    "0123456789012345678901234567890123456789012345");
	bot(g, &k, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	txr_free(&r);
	it_sleep_ms(200);	/* written at the end of vaultd's turn */
	n = sign_records(g, from, recs, 24);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0], "gateway:key:a_b_c_d_e_f_g_h_"
	    "01234567890123456789012~\t-\tsign\tGET\t/data/orders\t"
	    "deny\t-\t-");
}

/*
 * What moved in /metrics from before to after: each series of after
 * (its comments left out) as "SERIES DELTA", after's value less
 * before's (a series new in after: its value).  The latency
 * histogram's buckets and sum are left out: they tell how long each
 * request took, not what it was.
 */
static void
metrics_delta(const char *before, const char *after, char *out, size_t len)
{
	const char	*p, *nl, *sp, *q;
	char		 series[600], at[610];
	double		 a, b;
	size_t		 n = 0;

	out[0] = '\0';
	for (p = after; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if (*p == '#' || nl == p)
			continue;
		assert_non_null(sp = memrchr(p, ' ', (size_t)(nl - p)));
		snprintf(series, sizeof(series), "%.*s", (int)(sp - p), p);
		if (strncmp(series, "clobvault_gateway_request_seconds_bucket",
		    40) == 0 || strcmp(series,
		    "clobvault_gateway_request_seconds_sum") == 0)
			continue;
		a = strtod(sp + 1, NULL);
		b = 0;
		snprintf(at, sizeof(at), "\n%s ", series);
		if ((q = strstr(before, at)) != NULL)
			b = strtod(q + strlen(at), NULL);
		else if (strncmp(before, at + 1, strlen(at + 1)) == 0)
			b = strtod(before + strlen(at + 1), NULL);
		n += (size_t)snprintf(out + n, len - n, "%s %.17g\n", series,
		    a - b);
		assert_true(n < len);
	}
}

/* Wait until the audit log's last record is a checkpoint: none due. */
static void
audit_checkpointed(struct gt *g)
{
	char	 path[300], *log, *last;
	size_t	 len = 0;
	int	 i, done = 0;

	snprintf(path, sizeof(path), "%s/audit.log", g->it.home);
	for (i = 0; i < 150 && !done; i++) {
		assert_non_null(log = it_slurp(path, &len));
		if (len > 0 && log[len - 1] == '\n') {
			log[len - 1] = '\0';
			last = (last = strrchr(log, '\n')) != NULL ? last + 1 :
			    log;
			done = strstr(last, "\tcheckpoint\t") != NULL;
		}
		free(log);
		if (!done)
			it_sleep_ms(100);
	}
	if (!done)
		fail_msg("no checkpoint closed the audit log in 15 s");
}

/*
 * Nine made-up key ids' credential failures within a second, then one
 * of creds': how /metrics moved (metrics_delta).
 */
static void
authfail_round(struct gt *g, const struct txcreds *creds, char *delta,
    size_t len)
{
	static char	 before[65536], after[65536];
	struct txcreds	 k = g->bot;
	struct txr	 r;
	int64_t		 t0;
	int		 i, mark = log_lines(g);

	it_sleep_ms(1300);	/* every allowance quiet, its count recorded */
	metrics_text(g, before, sizeof(before));
	t0 = it_ms();
	for (i = 0; i < 9; i++) {
		snprintf(k.key, sizeof(k.key), "00000000-0000-4000-8000-"
		    "0000000003%02d", i);
		bot(g, &k, txt_now(), "GET", "/data/orders", NULL, &r);
		refused(g, &r, 401, "", mark);
		txr_free(&r);
	}
	bot(g, creds, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	assert_string_equal(r.body,
	    "{\"error\":\"client credentials refused\"}");
	txr_free(&r);
	it_sleep_ms(200);	/* written at the end of vaultd's turn */
	metrics_text(g, after, sizeof(after));
	if (it_ms() - t0 >= 900)
		fail_msg("ten requests and /metrics took %lld ms; the test "
		    "needs them in one second", (long long)(it_ms() - t0));
	metrics_delta(before, after, delta, len);
}

/*
 * Whether a key id is a client's cannot be read from /metrics: after
 * made-up key ids' failures, one more under a client's key id (a wrong
 * secret) moves every series a bot can read exactly as one under a key
 * id no client has.  Allowances used to be kept for clients' key ids:
 * once made-up key ids had taken the others, a client's failure made a
 * record (clobvault_audit_records_total one more) where an unknown key
 * id's was only counted.  The latency histogram's buckets and sum are
 * not compared (metrics_delta).
 */
static void
test_authfail_no_oracle(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 known = g->bot, none = g->bot;
	static char	 dk[65536], dn[65536];

	known.secret[0] = known.secret[0] == 'A' ? 'B' : 'A';
	none.secret[0] = known.secret[0];
	snprintf(none.key, sizeof(none.key), "00000000-0000-4000-8000-"
	    "000000000399");
	/* no checkpoint comes due during the rounds (10 s of records) */
	audit_checkpointed(g);
	authfail_round(g, &known, dk, sizeof(dk));
	authfail_round(g, &none, dn, sizeof(dn));
	/* ten records each, and every one counted */
	assert_non_null(strstr(dk, "\nclobvault_audit_records_total 10\n"));
	assert_non_null(strstr(dk, "\nclobvault_gateway_refused_total{"
	    "reason=\"credentials\"} 10\n"));
	if (strcmp(dk, dn) != 0) {
		fprintf(stderr, "after a client's key id:\n%s"
		    "after a key id no client has:\n%s", dk, dn);
		fail_msg("/metrics moved apart");
	}
}

/*
 * A client whose account cannot sign (its record as another version of
 * vaultd could have let it in: probe account-raw): a wrong secret under
 * its key id is answered, recorded and counted as one under a key id
 * no client has; only its own credentials are told what the account
 * lacks.  Whoever named the key id used to be told, 500 and the
 * account's reason, before the secret was checked.
 */
static void
test_authfail_broken_account(void **state)
{
	struct gt	*g = *state;
	struct txcreds	 cx, bad, none;
	struct txr	 r;
	struct msg_w	 w;
	json_t		*j;
	char		 json[600], text[1100], recs[4][256], want[256];
	size_t		 from;
	long		 refusals, accounts;
	int		 mark;

	assert_int_equal(CTL(g, NULL, "account add cx --profile polymarket "
	    "--url %s --order-version 1", g->tx.url), 0);
	assert_int_equal(CTL(g, NULL, "--json client add bx --account cx "
	    "--passphrase-file %s", g->pass), 0);
	assert_non_null(j = json_loads(g->out, 0, NULL));
	assert_int_equal(txt_creds(j, &cx), 0);
	json_decref(j);
	/* an order version out of range: the account cannot sign */
	vaultd_probe(g, "account-raw");
	snprintf(json, sizeof(json), "{\"orders\":3,\"profile\":"
	    "\"polymarket\",\"url\":\"%s\"}", g->tx.url);
	msg_begin(&w, MSG_CTL_PUT_REQ, 7);
	msg_put_u64(&w, VAULT_REC_ACCOUNT);
	msg_put_str(&w, "cx");
	msg_put_str(&w, "");
	msg_put_u64(&w, 1);
	msg_put_bin(&w, json, strlen(json));
	msg_put_bin(&w, "", 0);		/* no credential */
	msg_put_bool(&w, 0);
	if (it_ctl_frame(&g->it, &w, MSG_CTL_PUT_ANS, text,
	    sizeof(text)) != 0)
		fail_msg("account put: %s", text);

	bad = cx;
	bad.secret[0] = bad.secret[0] == 'A' ? 'B' : 'A';
	none = bad;
	snprintf(none.key, sizeof(none.key), "00000000-0000-4000-8000-"
	    "000000000201");
	mark = log_lines(g);
	refusals = refused_credentials(g);
	it_sleep_ms(1100);	/* every allowance quiet */
	from = audit_size(g);
	bot(g, &bad, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	assert_string_equal(r.body,
	    "{\"error\":\"client credentials refused\"}");
	txr_free(&r);
	bot(g, &none, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	assert_string_equal(r.body,
	    "{\"error\":\"client credentials refused\"}");
	txr_free(&r);
	it_sleep_ms(200);	/* written at the end of vaultd's turn */
	assert_int_equal(sign_records(g, from, recs, 4), 2);
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-", bad.key);
	assert_string_equal(recs[0], want);
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-", none.key);
	assert_string_equal(recs[1], want);
	assert_int_equal(refused_credentials(g), refusals + 2);

	/*
	 * the client's own credentials: what its account lacks, recorded
	 * as the client's request for its account, refused; no credential
	 * failure (it used to be one, recorded under the key id and taking
	 * its allowance, as a malformed request's answer is)
	 */
	it_sleep_ms(1100);	/* every allowance quiet */
	from = audit_size(g);
	refusals = refused_credentials(g);
	accounts = refused_account(g);
	bot(g, &cx, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 500, "", mark);
	assert_string_equal(r.body, "{\"error\":\"the account record's "
	    "orders is not 1 or 2 (the order version): set it again with "
	    "vaultctl\"}");
	txr_free(&r);
	/* the key id's allowance unspent: a wrong secret has its record */
	bot(g, &bad, txt_now(), "GET", "/data/orders", NULL, &r);
	refused(g, &r, 401, "", mark);
	txr_free(&r);
	it_sleep_ms(200);	/* written at the end of vaultd's turn */
	assert_int_equal(sign_records(g, from, recs, 4), 2);
	assert_string_equal(recs[0], "client:bx\tcx\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-");
	snprintf(want, sizeof(want), "gateway:key:%s\t-\tsign\tGET\t"
	    "/data/orders\tdeny\t-\t-", bad.key);
	assert_string_equal(recs[1], want);
	assert_int_equal(refused_credentials(g), refusals + 1);
	/* counted as the account's, and the wrong secret not with it */
	assert_int_equal(refused_account(g), accounts + 1);
	assert_int_equal(CTL(g, NULL, "account remove cx --force "
	    "--passphrase-file %s", g->pass), 0);
}

/*
 * A budget on level l2 binds a request that goes out at level builder:
 * its L2 set is signed all the same.  Its record names the rule that
 * allowed each level (it used to name the builder rule alone).
 */
static void
test_builder_l2_budget(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	int		 mark;

	policy_put(g, "allow operator catalog label default\n"
	    "allow any level none catalog label public\n"
	    "allow client bot level l2 catalog limit 1/day per client "
	    "label l2-once\n"
	    "allow client bot level builder catalog label bld\n");
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x11\"}", &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	/* the record names the rule of each level, l2's first */
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tDELETE\t"
	    "/cancel-market-orders\tallow\tl2-once@3+bld@4\t-\t"));
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x12\"}", &r);
	refused(g, &r, 403, "l2-once", mark);
	txr_free(&r);

	policy_put(g, POLICY_TEXT);
}

/*
 * A rule of no level matches a builder request at level l2 and at level
 * builder: it is one request all the same, and takes one of its budget,
 * so a budget of 2 admits two requests, each with its builder set.
 */
static void
test_builder_budget_once(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 line[8192], body[64];
	int		 i, mark;

	policy_put(g, "allow operator catalog label default\n"
	    "allow any level none catalog label public\n"
	    "allow client bot catalog limit 2/day per client label two\n");
	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof(body), "{\"market\":\"0x2%d\"}", i);
		bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
		    body, &r);
		if (r.status != 200)
			fail_msg("request %d: %ld %s", i + 1, r.status,
			    r.body ? r.body : "");
		txr_free(&r);
		assert_non_null(log_last(g, "DELETE", "/cancel-market-orders",
		    line, sizeof(line)));
		assert_non_null(strstr(line, "\"builder\":true"));
		/* one rule decided both levels: named once */
		assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
		assert_non_null(strstr(g->out, "\tsign\tDELETE\t"
		    "/cancel-market-orders\tallow\ttwo@3\t-\t"));
	}
	mark = log_lines(g);
	bot(g, &g->bot, txt_now(), "DELETE", "/cancel-market-orders",
	    "{\"market\":\"0x29\"}", &r);
	refused(g, &r, 403, "two", mark);
	txr_free(&r);

	policy_put(g, POLICY_TEXT);
}


/*
 * The account's keys are the vault's: a bot whose policy admits the
 * whole catalog still cannot have a builder key made (its secret would
 * come back to the bot in the exchange's answer), nor delete the API
 * key the vault signs with, nor revoke a builder key.  Refused before
 * the policy, nothing sent upstream, audited.
 */
static void
test_key_endpoints(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	int		 mark = log_lines(g);

	bot(g, &g->bot, txt_now(), "POST", "/auth/builder-api-key",
	    "{\"builderId\":\"bot\"}", &r);
	refused(g, &r, 403, "key management", mark);
	assert_null(strstr(r.body, "secret"));
	txr_free(&r);
	bot(g, &g->bot, txt_now(), "DELETE", "/auth/api-key", NULL, &r);
	refused(g, &r, 403, "key management", mark);
	txr_free(&r);
	bot(g, &g->bot, txt_now(), "DELETE",
	    "/auth/builder-api-key?apiKey=00000000-0000-0000-0000-000000000000",
	    NULL, &r);
	refused(g, &r, 403, "key management", mark);
	txr_free(&r);
	/* the account still signs with its keys */
	bot(g, &g->bot, txt_now(), "GET", "/data/orders", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --tail 20"), 0);
	assert_non_null(strstr(g->out, "/auth/builder-api-key"));
}

/* Denials /metrics counts under the rule id "path". */
static long
path_denied(struct gt *g)
{
	struct txr	 r;
	const char	*series = "\nclobvault_verdicts_total{rule=\"path\","
			    "effect=\"deny\"} ", *p;
	long		 n = 0;

	txt_req(&g->gw, "GET", "/metrics", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	if ((p = strstr(r.body, series)) != NULL)
		n = strtol(p + strlen(series), NULL, 10);
	txr_free(&r);
	return n;
}

/*
 * The same endpoints as a lenient server routes them (case, %XX, empty,
 * "." and ".." segments, a trailing '/', ";" parameters), under a rule
 * that admits every path: nothing reaches the exchange.  The policy
 * refuses a path not in canonical form, or one that differs only in case
 * from a path the catalog holds, before any rule (and signerd signs no
 * path the catalog does not hold).
 */
static void
test_key_endpoints_loose(void **state)
{
	static const char *const reqs[][2] = {
		{ "POST", "/AUTH/BUILDER-API-KEY" },
		{ "DELETE", "/auth//api-key" },
		{ "DELETE", "/auth/./api-key/" },
		{ "GET", "/data/../auth/derive-api-key" },
		{ "POST", "/auth/api%2Dkey" },
		{ "POST", "/auth/api%2dKey?nonce=1" },
		{ "DELETE", "/auth/builder-api-key;v=1" },
		{ "POST", "/%61uth/builder-api-key/." },
	};
	struct gt	*g = *state;
	struct txr	 r;
	char		 pol[8192];
	size_t		 i;
	long		 denied;
	int		 mark;

	snprintf(pol, sizeof(pol), "%sallow client bot label anything\n",
	    POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	denied = path_denied(g);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		bot(g, &g->bot, txt_now(), reqs[i][0], reqs[i][1], NULL, &r);
		if (r.status != 403)
			fail_msg("%s %s: %ld %s", reqs[i][0], reqs[i][1],
			    r.status, r.body ? r.body : "");
		refused(g, &r, 403, i == 0 ? "no rule allows it" :
		    "the path is not canonical", mark);
		/*
		 * the bot is told what a path no rule names gets: the
		 * spelling to send would tell it that its guess is one
		 * letter case from a path the catalog names
		 */
		if (i == 0)
			assert_string_equal(r.body,
			    "{\"error\":\"no rule allows it\"}");
		txr_free(&r);
	}
	/* the operator has it, in vaultd's log */
	assert_true(it_log_has(&g->it, "client:bot: the path differs only in "
	    "case from a path the policy or the catalog names: refused "
	    "before any rule; send /auth/builder-api-key"));
	/* /metrics, which anyone may read, counts it as no rule's */
	assert_int_equal(path_denied(g), denied + 7);
	/* a path like them that is none: the rule lets it by */
	bot(g, &g->bot, txt_now(), "GET", "/auth/api-keys", NULL, &r);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	assert_int_equal(log_lines(g), mark + 1);

	policy_put(g, POLICY_TEXT);
}


/*
 * A version 2 order credits the builder code its "builder" names, and
 * the account pays that builder's fee: a bot could name its own on every
 * order.  The policy sees it (order builder) and denies what it must.
 */
static void
test_builder_code(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 pol[8192], body[4096];
	int		 mark;
	const char	*zero = "0x0000000000000000000000000000000000000000"
			    "000000000000000000000000";

	snprintf(pol, sizeof(pol), "%sdeny client bot order builder != %s "
	    "label builder-code\n", POLICY_TEXT, zero);
	policy_put(g, pol);
	assert_int_equal(CTL(g, NULL, "account update pm --order-version 2"),
	    0);
	mark = log_lines(g);
	snprintf(body, sizeof(body), "{\"deferExec\":false,\"postOnly\":false,"
	    "\"order\":{\"salt\":4242,\"maker\":\"%s\",\"signer\":\"%s\","
	    "\"taker\":\"0x0000000000000000000000000000000000000000\","
	    "\"tokenId\":\"1234\",\"makerAmount\":\"5000000\","
	    "\"takerAmount\":\"10000000\",\"side\":\"BUY\","
	    "\"signatureType\":0,\"timestamp\":\"1710000000000\","
	    "\"expiration\":\"0\",\"metadata\":\"%s\",\"builder\":"
	    "\"0x00000000000000000000000000000000000000000000000000000000"
	    "0000abcd\",\"signature\":\"\"},\"owner\":\"%s\","
	    "\"orderType\":\"GTC\"}", ADDR, ADDR, zero, g->bot.key);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	refused(g, &r, 403, "builder-code", mark);
	txr_free(&r);
	/* no builder code: the rule lets it by */
	assert_non_null(strstr(body, "0000abcd"));
	memcpy(strstr(body, "0000abcd"), "00000000", 8);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);

	assert_int_equal(CTL(g, NULL, "account update pm --order-version 1"),
	    0);
	policy_put(g, POLICY_TEXT);
}

/*
 * The order's handling beside it in the body: a rule on "type" holds a
 * bot to resting orders, an orderType not of the four (or a member of
 * another name, "ordertype") is refused before the policy, and an absent
 * one reads as GTC, the exchange's default.
 */
static void
test_order_flags(void **state)
{
	struct gt	*g = *state;
	struct txr	 r;
	char		 pol[8192], body[4096], *p;
	int		 mark;

	snprintf(pol, sizeof(pol), "%sdeny client bot order type in { FOK "
	    "FAK } label resting-only\n", POLICY_TEXT);
	policy_put(g, pol);
	mark = log_lines(g);
	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000, 71);
	assert_non_null(p = strstr(body, "\"GTC\""));
	memcpy(p, "\"FOK\"", 5);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	refused(g, &r, 403, "resting-only", mark);
	txr_free(&r);

	memcpy(p, "\"fok\"", 5);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	refused(g, &r, 400, "orderType: not \"GTC\", \"GTD\", \"FOK\" or "
	    "\"FAK\"", mark);
	txr_free(&r);

	/*
	 * A second spelling of orderType, which an exchange that reads
	 * names without regard to case takes as the order type: it used to
	 * be signed and sent as the GTC the rule saw.  Refused before the
	 * policy: 400, nothing upstream, audited.
	 */
	memcpy(p, "\"GTC\"", 5);
	assert_non_null(p = strrchr(body, '}'));
	snprintf(p, sizeof(body) - (size_t)(p - body),
	    ",\"ordertype\":\"FOK\"}");
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	refused(g, &r, 400, "", mark);
	assert_string_equal(r.body, "{\"error\":\"ordertype: unknown member "
	    "beside the order (owner, orderType, postOnly, deferExec)\"}");
	txr_free(&r);
	assert_int_equal(CTL(g, NULL, "audit show --tail 1"), 0);
	assert_non_null(strstr(g->out, "Z\tclient:bot\tpm\tsign\tPOST\t"
	    "/order\tdeny\t-\t-\t"));

	/* no orderType: the exchange's GTC, which the rule lets by */
	order_body(body, sizeof(body), ADDR, "1234", 5000000, 10000000, 72);
	assert_non_null(p = strstr(body, ",\"orderType\":\"GTC\""));
	memmove(p, p + 18, strlen(p + 18) + 1);
	bot(g, &g->bot, txt_now(), "POST", "/order", body, &r);
	if (r.status != 200)
		fail_msg("%ld %s", r.status, r.body ? r.body : "");
	txr_free(&r);
	assert_int_equal(log_lines(g), mark + 1);

	policy_put(g, POLICY_TEXT);
}

/*
 * The system clock stepping back re-opens the window of what was signed
 * in the time it steps over.  A signature the table had let go of at a
 * rebuild, its window over, is fresh again then: it was taken a second
 * time.  A rebuild now raises the replay floor to the signed time of
 * each signature it lets go of, so that one is refused as long as the
 * clock leaves it in the window, and a request signed after it goes on
 * (-M 16: a rebuild every 13 slots filled; the probes step the clock
 * vaultd reads 120 s forward, then back).
 */
static void
test_replay_clock_back(void **state)
{
	struct gt	*g = *state;
	char		 body[4096];
	int64_t		 ts;
	long		 scans;
	int		 i;

	gw_restart_t(g, "-TM16", NULL);
	ts = txt_now();
	assert_int_equal(replay_at(g, &g->bot, ts, 1, body, sizeof(body)),
	    200);
	/* its window over: the next rebuild lets it go */
	vaultd_probe(g, "clock-ahead");
	scans = replay_scans(g);
	for (i = 0; i < 20 && replay_scans(g) == scans; i++) {
		it_sleep_ms(2);		/* the last one expired */
		assert_int_equal(replay_at(g, &g->bot, txt_now() - 100, 2 + i,
		    body, sizeof(body)), 403);
	}
	assert_int_equal(replay_scans(g), scans + 1);
	/* back 120 s: its window open again, it is refused */
	vaultd_probe(g, "clock-back");
	assert_int_equal(replay_at(g, &g->bot, ts, 1, body, sizeof(body)),
	    403);
	assert_string_equal(body, "{\"error\":\"signed too close to a "
	    "restart of vaultd, a larger skew or a step back of the system "
	    "clock for vaultd to rule out a replay; sign it anew\"}");
	/* what is signed after it is no one's replay */
	while (txt_now() <= ts)
		it_sleep_ms(100);
	assert_int_equal(replay_one(g, &g->bot, 40, body, sizeof(body)),
	    200);
	gw_restart(g, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_order_life),
		cmocka_unit_test(test_order_lost_answer),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_sign_order),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_approval),
		cmocka_unit_test(test_approval_share),
		cmocka_unit_test(test_withheld),
		cmocka_unit_test(test_gone_held),
		cmocka_unit_test(test_granted_busy),
		cmocka_unit_test(test_granted_full),
		cmocka_unit_test(test_wait_ends_held),
		cmocka_unit_test(test_gone_signing),
		cmocka_unit_test(test_gone_crossing),
		cmocka_unit_test(test_gone_keeps_place),
		cmocka_unit_test(test_check_lost),
		cmocka_unit_test(test_gone_stalled),
		cmocka_unit_test(test_builder_l2),
		cmocka_unit_test(test_builder_l2_budget),
		cmocka_unit_test(test_builder_budget_once),
		cmocka_unit_test(test_replay_ahead),
		cmocka_unit_test(test_replay_wider),
		cmocka_unit_test(test_batch_negrisk_mixed),
		cmocka_unit_test(test_authfail_coalesced),
		cmocka_unit_test(test_authfail_flood),
		cmocka_unit_test(test_authfail_no_oracle),
		cmocka_unit_test(test_authfail_broken_account),
		cmocka_unit_test(test_key_endpoints),
		cmocka_unit_test(test_key_endpoints_loose),
		cmocka_unit_test(test_builder_code),
		cmocka_unit_test(test_order_flags),
		cmocka_unit_test(test_body_case),
		cmocka_unit_test(test_replay_restart),
		cmocka_unit_test(test_replay_share),
		cmocka_unit_test(test_replay_own),
		cmocka_unit_test(test_replay_clients),
		cmocka_unit_test(test_replay_expire),
		cmocka_unit_test(test_replay_reserve),
		cmocka_unit_test(test_replay_full),
		cmocka_unit_test(test_replay_reserved),
		cmocka_unit_test(test_replay_rebuilds),
		cmocka_unit_test(test_replay_clock_back),
	};

	/* GW_TEST=name: that test alone */
	if (getenv("GW_TEST") != NULL)
		cmocka_set_test_filter(getenv("GW_TEST"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
