/*
 * The test exchange's Openfish and Polymarket endpoints over real HTTP:
 * every endpoint of doc/exchanges.md, every refusal with its exact
 * status and body, the state file and HTTPS.  Requests are signed with
 * common/ (the code signerd uses); the server verifies them as a real
 * exchange does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/testexchange/tx_test.h"

#define OF	"OPENFISH_"
#define PM	"POLY_"
#define L1_REFUSED	"{\"error\":\"Invalid L1 Request headers\"}"
#define L2_REFUSED	"{\"error\":\"Unauthorized/Invalid api key\"}"

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

static int
start_openfish(void **state)
{
	static struct txt	t;

	if (txt_start(&t, "openfish", "--invite", "CODE-ONE-1", "--invite",
	    "CODE-TWO-2") != 0)
		return -1;
	*state = &t;
	return 0;
}

static int
start_polymarket(void **state)
{
	static struct txt	t;

	if (txt_start(&t, "polymarket", NULL, NULL, NULL, NULL) != 0)
		return -1;
	*state = &t;
	return 0;
}

static void
expect_verdict(struct txt *t, const char *target, const char *v)
{
	char	got[64];

	assert_string_equal(txt_verdict(t, target, got, sizeof(got)), v);
}

/* POST /auth/api-key; code NULL: no invitation header. */
static long
create(struct txt *t, const char *p, const struct txwallet *w,
    uint64_t chain, uint64_t nonce, const char *code, struct txcreds *c)
{
	struct curl_slist	*h = txt_l1(p, w, chain, txt_now(), nonce);
	struct txr		 r;
	long			 st;

	if (code != NULL)
		h = txt_hdr(h, p, "INVITATION_CODE", code);
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	curl_slist_free_all(h);
	if (c != NULL && r.status == 200)
		assert_int_equal(txt_creds(r.json, c), 0);
	st = r.status;
	txr_free(&r);
	return st;
}

/* An L2 request signed over signpath (NULL: the target as sent). */
static void
l2(struct txt *t, const char *p, const struct txcreds *c,
    const struct txwallet *w, const char *method, const char *target,
    const char *signpath, const char *body, struct txr *r)
{
	struct curl_slist	*h = txt_l2(p, c, w->eip55, txt_now(), method,
	    signpath != NULL ? signpath : target, body);

	txt_req(t, method, target, h, body, r);
	curl_slist_free_all(h);
}

static void
test_public(void **state)
{
	struct txt	*t = *state;
	struct txr	 r;
	int64_t		 now = txt_now();

	txt_req(t, "GET", "/time", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_true(json_is_integer(r.json));
	assert_true(json_integer_value(r.json) >= now &&
	    json_integer_value(r.json) <= now + 2);
	txr_free(&r);
	txt_req(t, "GET", "/", NULL, NULL, &r);
	txt_expect(&r, 200, "\"OK\"");
	txr_free(&r);
	txt_req(t, "POST", "/waitlist", NULL, "{\"email\":\"a@b.example\"}",
	    &r);
	txt_expect(&r, 200, "{}");
	txr_free(&r);
	txt_req(t, "POST", "/waitlist", NULL, "{\"email\":\"no-at-sign\"}",
	    &r);
	txt_expect(&r, 400, "{\"error\":\"invalid email\"}");
	txr_free(&r);
	txt_req(t, "POST", "/waitlist", NULL, "{\"email\":\"a@b\",\"x\":1}",
	    &r);
	txt_expect(&r, 400, "{\"error\":\"invalid email\"}");
	txr_free(&r);
	txt_req(t, "POST", "/waitlist", NULL, "not json", &r);
	txt_expect(&r, 400, "{\"error\":\"invalid email\"}");
	txr_free(&r);
	txt_req(t, "GET", "/nope", NULL, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"not found\"}");
	txr_free(&r);
	txt_req(t, "PUT", "/auth/api-key", NULL, NULL, &r);
	txt_expect(&r, 405, "{\"error\":\"method not allowed\"}");
	txr_free(&r);
	txt_req(t, "GET", "/__tx/nope", NULL, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"not found\"}");
	txr_free(&r);
}

/* First key: an invitation code, single use, may expire; 400 else. */
static void
test_openfish_invitations(void **state)
{
	struct txt	*t = *state;
	struct txcreds	 c0, c1, d;
	struct txr	 r;
	struct curl_slist *h;

	assert_int_equal(txt_admin(t, "POST", "invites",
	    "{\"code\":\"OLD-CODE\",\"ttl\":0}", &r), 200);
	txr_free(&r);
	assert_int_equal(txt_admin(t, "POST", "invites",
	    "{\"code\":\"CODE-ONE-1\"}", &r), 409);
	txr_free(&r);

	h = txt_l1(OF, &w1, 56, txt_now(), 0);
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invitation code required\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	expect_verdict(t, "/auth/api-key", "invite:missing");
	h = txt_hdr(txt_l1(OF, &w1, 56, txt_now(), 0), OF, "INVITATION_CODE",
	    "CODE-ONE");
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid invitation code\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	h = txt_hdr(txt_l1(OF, &w1, 56, txt_now(), 0), OF, "INVITATION_CODE",
	    "OLD-CODE");
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invitation code expired\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	/* A bad L1 signature is refused before the code is looked at. */
	h = txt_hdr(txt_l1(OF, &w1, 137, txt_now(), 0), OF, "INVITATION_CODE",
	    "CODE-ONE-1");
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 401, L1_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);

	assert_int_equal(create(t, OF, &w1, 56, 0, "CODE-ONE-1", &c0), 200);
	assert_int_equal(strlen(c0.key), 36);
	assert_int_equal(strlen(c0.secret), 44);
	assert_int_equal(strlen(c0.passphrase), 64);
	/* Single use: the code does not open a second address. */
	assert_int_equal(create(t, OF, &w2, 56, 0, "CODE-ONE-1", NULL), 400);
	expect_verdict(t, "/auth/api-key", "invite:invalid");
	/* Same nonce again: 409. */
	h = txt_l1(OF, &w1, 56, txt_now(), 0);
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 409,
	    "{\"error\":\"API key already exists for this nonce\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	/* Later nonces need no code. */
	assert_int_equal(create(t, OF, &w1, 56, 1, NULL, &c1), 200);
	assert_string_not_equal(c0.key, c1.key);
	/* Derive returns exactly what create returned. */
	h = txt_l1(OF, &w1, 56, txt_now(), 0);
	txt_req(t, "GET", "/auth/derive-api-key", h, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(txt_creds(r.json, &d), 0);
	assert_string_equal(d.key, c0.key);
	assert_string_equal(d.secret, c0.secret);
	assert_string_equal(d.passphrase, c0.passphrase);
	txr_free(&r);
	curl_slist_free_all(h);
	h = txt_l1(OF, &w1, 56, txt_now(), 9);
	txt_req(t, "GET", "/auth/derive-api-key", h, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"API key not found\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	/* The second code opens the second address. */
	assert_int_equal(create(t, OF, &w2, 56, 0, "CODE-TWO-2", NULL), 200);
	/* No code and no secret reaches the request log. */
	assert_false(txt_log_has(t, "CODE-ONE"));
	assert_false(txt_log_has(t, c0.secret));
	assert_false(txt_log_has(t, c0.passphrase));
}

static void
l1_refused(struct txt *t, struct curl_slist *h, long status,
    const char *body, const char *verdict)
{
	struct txr	r;

	txt_req(t, "GET", "/auth/derive-api-key", h, NULL, &r);
	txt_expect(&r, status, body);
	txr_free(&r);
	curl_slist_free_all(h);
	expect_verdict(t, "/auth/derive-api-key", verdict);
}

static void
test_l1_refusals(void **state)
{
	struct txt		*t = *state;
	struct curl_slist	*h;
	struct txr		 r;
	int64_t			 now = txt_now();

	assert_int_equal(create(t, OF, &w1, 56, 0, "CODE-ONE-1", NULL), 200);
	/* Wrong chain: Polymarket's, and Amoy's. */
	l1_refused(t, txt_l1(OF, &w1, 137, now, 0), 401, L1_REFUSED,
	    "l1:signer-mismatch");
	l1_refused(t, txt_l1(OF, &w1, 80002, now, 0), 401, L1_REFUSED,
	    "l1:signer-mismatch");
	/* Wrong address: w2's signature under w1's address. */
	{
		struct curl_slist *s2 = txt_l1(OF, &w2, 56, now, 0), *p;
		struct curl_slist *out = txt_hdr(NULL, OF, "ADDRESS", w1.lower);

		for (p = s2; p != NULL; p = p->next)
			if (strncmp(p->data, OF "ADDRESS", 16) != 0)
				out = curl_slist_append(out, p->data);
		curl_slist_free_all(s2);
		l1_refused(t, out, 401, L1_REFUSED, "l1:signer-mismatch");
	}
	/* Stale and future timestamps. */
	l1_refused(t, txt_l1(OF, &w1, 56, now - 40, 0), 401, L1_REFUSED,
	    "l1:stale");
	l1_refused(t, txt_l1(OF, &w1, 56, now + 40, 0), 401, L1_REFUSED,
	    "l1:stale");
	/* The right signature with a nonce the signature does not cover. */
	{
		struct curl_slist *s2 = txt_l1(OF, &w1, 56, now, 0), *p;
		struct curl_slist *out = txt_hdr(NULL, OF, "NONCE", "1");

		for (p = s2; p != NULL; p = p->next)
			if (strncmp(p->data, OF "NONCE", 14) != 0)
				out = curl_slist_append(out, p->data);
		curl_slist_free_all(s2);
		l1_refused(t, out, 401, L1_REFUSED, "l1:signer-mismatch");
	}
	/* Malformed address, missing header, a header given twice. */
	l1_refused(t, txt_hdr(txt_hdr(txt_hdr(txt_hdr(NULL, OF, "ADDRESS",
	    "0x1234"), OF, "SIGNATURE", "0x00"), OF, "TIMESTAMP", "1"), OF,
	    "NONCE", "0"), 400, "{\"error\":\"Invalid address\"}",
	    "l1:bad-address");
	l1_refused(t, txt_hdr(txt_hdr(NULL, OF, "ADDRESS", w1.eip55), OF,
	    "NONCE", "0"), 401, L1_REFUSED, "l1:missing-header");
	l1_refused(t, txt_hdr(txt_l1(OF, &w1, 56, now, 0), OF, "NONCE", "0"),
	    401, L1_REFUSED, "l1:missing-header");
	/* The other profile's header prefix is not this exchange's. */
	l1_refused(t, txt_l1(PM, &w1, 56, now, 0), 401, L1_REFUSED,
	    "l1:missing-header");
	/* A good one, for contrast. */
	h = txt_l1(OF, &w1, 56, now, 0);
	txt_req(t, "GET", "/auth/derive-api-key", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	curl_slist_free_all(h);
}

static void
test_openfish_l2(void **state)
{
	struct txt		*t = *state;
	struct txcreds		 c, bad;
	struct curl_slist	*h;
	struct txr		 r;
	char			 want[128];
	const char		*q = "/balance-allowance?asset_type=COLLATERAL";

	assert_int_equal(create(t, OF, &w1, 56, 0, "CODE-ONE-1", &c), 200);
	l2(t, OF, &c, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	snprintf(want, sizeof(want), "{\"apiKeys\":[\"%s\"]}", c.key);
	txt_expect(&r, 200, want);
	txr_free(&r);
	/* Openfish signs path?query: with the query, 200; without, 401. */
	l2(t, OF, &c, &w1, "GET", q, NULL, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", q, "/balance-allowance", NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, q, "l2:bad-signature");
	/* A changed body. */
	h = txt_l2(OF, &c, w1.eip55, txt_now(), "POST",
	    "/auth/builder-api-key", "{\"builderId\":\"b1\"}");
	txt_req(t, "POST", "/auth/builder-api-key", h, "{\"builderId\":\"b2\"}",
	    &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	/* Another method than signed. */
	h = txt_l2(OF, &c, w1.eip55, txt_now(), "GET", "/auth/api-key", NULL);
	txt_req(t, "DELETE", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	/* Stale timestamp. */
	h = txt_l2(OF, &c, w1.eip55, txt_now() - 60, "GET", "/auth/api-keys",
	    NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	expect_verdict(t, "/auth/api-keys", "l2:stale");
	/* Wrong address, passphrase, secret, unknown key. */
	l2(t, OF, &c, &w2, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:address-mismatch");
	bad = c;
	bad.passphrase[0] = bad.passphrase[0] == 'a' ? 'b' : 'a';
	l2(t, OF, &bad, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:bad-passphrase");
	bad = c;
	snprintf(bad.secret, sizeof(bad.secret), "%s",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	l2(t, OF, &bad, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:bad-signature");
	bad = c;
	snprintf(bad.key, sizeof(bad.key), "%s",
	    "00000000-0000-4000-8000-000000000000");
	l2(t, OF, &bad, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:unknown-key");
	/* No headers at all. */
	txt_req(t, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:missing-header");
	/* Delete: {} once; the key is unknown afterwards. */
	l2(t, OF, &c, &w1, "DELETE", "/auth/api-key", NULL, NULL, &r);
	txt_expect(&r, 200, "{}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	expect_verdict(t, "/auth/api-keys", "l2:unknown-key");
	l2(t, OF, &c, &w1, "DELETE", "/auth/api-key", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	h = txt_l1(OF, &w1, 56, txt_now(), 0);
	txt_req(t, "GET", "/auth/derive-api-key", h, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"API key not found\"}");
	txr_free(&r);
	curl_slist_free_all(h);
}

static void
test_openfish_endpoints(void **state)
{
	struct txt		*t = *state;
	struct txcreds		 c, b, bad;
	struct curl_slist	*h;
	struct txr		 r;
	char			 target[160], want[256];
	json_t			*e;

	assert_int_equal(create(t, OF, &w1, 56, 0, "CODE-ONE-1", &c), 200);
	/* Closed-only, set per address by the exchange. */
	l2(t, OF, &c, &w1, "GET", "/auth/ban-status/closed-only", NULL, NULL,
	    &r);
	txt_expect(&r, 200, "{\"closed_only\":false}");
	txr_free(&r);
	snprintf(want, sizeof(want),
	    "{\"address\":\"%s\",\"closed_only\":true}", w1.eip55);
	assert_int_equal(txt_admin(t, "POST", "closed-only", want, &r), 200);
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/auth/ban-status/closed-only", NULL, NULL,
	    &r);
	txt_expect(&r, 200, "{\"closed_only\":true}");
	txr_free(&r);

	/* Builder keys. */
	l2(t, OF, &c, &w1, "POST", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"builderId required\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "POST", "/auth/builder-api-key", NULL,
	    "{\"builderId\":\"a b\"}", &r);
	txt_expect(&r, 400, "{\"error\":\"invalid builderId\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "POST", "/auth/builder-api-key", NULL,
	    "{\"builderId\":\"x\",\"y\":1}", &r);
	txt_expect(&r, 400, "{\"error\":\"invalid body\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "POST", "/auth/builder-api-key", NULL,
	    "{\"builderId\":\"builder-7\"}", &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(txt_creds(r.json, &b), 0);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "builderId")), "builder-7");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 200, NULL);
	e = json_array_get(json_object_get(r.json, "apiKeys"), 0);
	assert_int_equal(json_array_size(json_object_get(r.json, "apiKeys")),
	    1);
	assert_string_equal(json_string_value(json_object_get(e, "apiKey")),
	    b.key);
	assert_string_equal(json_string_value(json_object_get(e, "builderId")),
	    "builder-7");
	assert_int_equal(strlen(json_string_value(json_object_get(e,
	    "createdAt"))), 20);
	txr_free(&r);
	/* Builder headers on top of L2 must verify too. */
	h = txt_l2(OF, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	h = txt_hmac_hdrs(h, OF, "BUILDER_", &b, NULL, txt_now(), "GET",
	    "/auth/api-keys", NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	curl_slist_free_all(h);
	bad = b;
	bad.passphrase[0] = bad.passphrase[0] == 'a' ? 'b' : 'a';
	h = txt_l2(OF, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	h = txt_hmac_hdrs(h, OF, "BUILDER_", &bad, NULL, txt_now(), "GET",
	    "/auth/api-keys", NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	expect_verdict(t, "/auth/api-keys", "builder:bad-passphrase");
	/* Revoke: 400 without or with a malformed apiKey, 404, then {}. */
	l2(t, OF, &c, &w1, "DELETE", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"apiKey required\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/auth/builder-api-key?apiKey=nope", NULL,
	    NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid apiKey\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/auth/builder-api-key?apiKey="
	    "00000000-0000-4000-8000-000000000000", NULL, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"builder api key not found\"}");
	txr_free(&r);
	snprintf(target, sizeof(target), "/auth/builder-api-key?apiKey=%s",
	    b.key);
	l2(t, OF, &c, &w1, "DELETE", target, NULL, NULL, &r);
	txt_expect(&r, 200, "{}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", target, NULL, NULL, &r);
	txt_expect(&r, 404, "{\"error\":\"builder api key not found\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 200, "{\"apiKeys\":[]}");
	txr_free(&r);

	/* Balance and allowance. */
	l2(t, OF, &c, &w1, "GET", "/balance-allowance", NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid asset_type\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/balance-allowance?asset_type=USDC", NULL,
	    NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid asset_type\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/balance-allowance?asset_type=CONDITIONAL",
	    NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid token_id\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET",
	    "/balance-allowance?asset_type=CONDITIONAL&token_id=12x", NULL,
	    NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid token_id\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET",
	    "/balance-allowance?asset_type=COLLATERAL&signature_type=3", NULL,
	    NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid signature_type\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET",
	    "/balance-allowance?asset_type=COLLATERAL&asset_type=COLLATERAL",
	    NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid asset_type\"}");
	txr_free(&r);
	snprintf(want, sizeof(want), "{\"address\":\"%s\",\"asset_type\":"
	    "\"CONDITIONAL\",\"token_id\":\"123\",\"balance\":\"900\","
	    "\"allowance\":\"5\"}", w1.lower);
	assert_int_equal(txt_admin(t, "POST", "balance", want, &r), 200);
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/balance-allowance?asset_type=CONDITIONAL"
	    "&token_id=123&signature_type=0", NULL, NULL, &r);
	txt_expect(&r, 200, "{\"balance\":\"0\",\"allowances\":{"
	    "\"0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E\":\"5\","
	    "\"0xC5d563A36AE78145C45a50134d48A1215220f80a\":\"5\","
	    "\"0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296\":\"5\"}}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/balance-allowance/update?asset_type="
	    "CONDITIONAL&token_id=123", NULL, NULL, &r);
	txt_expect(&r, 200, "{\"balance\":\"900\",\"net_usdc_taker\":\"0\","
	    "\"net_usdc_maker\":\"0\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/balance-allowance?asset_type=CONDITIONAL"
	    "&token_id=123", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "balance")), "900");
	txr_free(&r);

	/* Notifications. */
	snprintf(want, sizeof(want), "{\"address\":\"%s\",\"type\":4,"
	    "\"payload\":{\"k\":\"v\"}}", w1.eip55);
	assert_int_equal(txt_admin(t, "POST", "notifications", want, &r), 200);
	assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 1);
	txr_free(&r);
	assert_int_equal(txt_admin(t, "POST", "notifications", want, &r), 200);
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/notifications?signature_type=0", NULL, NULL,
	    &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(json_array_size(r.json), 2);
	e = json_array_get(r.json, 0);
	assert_int_equal(json_integer_value(json_object_get(e, "type")), 4);
	assert_string_equal(json_string_value(json_object_get(e, "owner")),
	    w1.lower);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    e, "payload"), "k")), "v");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/notifications?ids=1,x", NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid ids\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/notifications?ids=", NULL, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"invalid ids\"}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/notifications?ids=1", NULL, NULL, &r);
	txt_expect(&r, 200, "{}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/notifications", NULL, NULL, &r);
	assert_int_equal(json_array_size(r.json), 1);
	txr_free(&r);
	l2(t, OF, &c, &w1, "DELETE", "/notifications", NULL, NULL, &r);
	txt_expect(&r, 200, "{}");
	txr_free(&r);
	l2(t, OF, &c, &w1, "GET", "/notifications", NULL, NULL, &r);
	txt_expect(&r, 200, "[]");
	txr_free(&r);
}

/* Polymarket signs the path only; an existing nonce is a 400. */
static void
test_polymarket(void **state)
{
	struct txt		*t = *state;
	struct txcreds		 c, b;
	struct curl_slist	*h;
	struct txr		 r;
	json_t			*e;
	const char		*q = "/notifications?signature_type=0";

	assert_int_equal(create(t, PM, &w1, 56, 0, NULL, NULL), 401);
	assert_int_equal(create(t, PM, &w1, 137, 0, NULL, &c), 200);
	h = txt_l1(PM, &w1, 137, txt_now(), 0);
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 400, "{\"error\":\"Could not create api key\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	l2(t, PM, &c, &w1, "GET", q, "/notifications", NULL, &r);
	txt_expect(&r, 200, "[]");
	txr_free(&r);
	/* A signature over path?query is not what Polymarket verifies. */
	l2(t, PM, &c, &w1, "GET", q, q, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	/* Openfish's prefix means nothing here. */
	l2(t, OF, &c, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	/*
	 * Builder key: {key, secret, passphrase}, what the official
	 * TypeScript client reads; without builderId in the body, the
	 * account's builder id.
	 */
	l2(t, PM, &c, &w1, "POST", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(json_object_size(r.json), 3);
	assert_int_equal(txt_creds(r.json, &b), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(r.json,
	    "key"))), 36);
	assert_null(json_object_get(r.json, "apiKey"));
	txr_free(&r);
	l2(t, PM, &c, &w1, "GET", "/auth/builder-api-key", NULL, NULL, &r);
	txt_expect(&r, 200, NULL);
	e = json_array_get(json_object_get(r.json, "apiKeys"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "apiKey")),
	    b.key);
	assert_int_equal(strlen(json_string_value(json_object_get(e,
	    "builderId"))), 36);
	txr_free(&r);
	/* The key works as builder headers. */
	h = txt_l2(PM, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	h = txt_hmac_hdrs(h, PM, "BUILDER_", &b, NULL, txt_now(), "GET",
	    "/auth/api-keys", NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	curl_slist_free_all(h);
}

static void
test_state_file(void **state)
{
	struct txt		 t;
	struct txcreds		 c, d;
	struct curl_slist	*h;
	struct txr		 r;
	char			 path[128], dir[64];
	struct stat		 sb;

	snprintf(dir, sizeof(dir), "/tmp/cvtxs.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(txt_start(&t, "openfish", "--state", path,
	    "--invite", "STATE-CODE"), 0);
	assert_int_equal(create(&t, OF, &w1, 56, 3, "STATE-CODE", &c), 200);
	assert_int_equal(txt_stop(&t), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	txt_cleanup(&t);

	assert_int_equal(txt_start(&t, "openfish", "--state", path,
	    "--invite", "STATE-CODE"), 0);
	h = txt_l1(OF, &w1, 56, txt_now(), 3);
	txt_req(&t, "GET", "/auth/derive-api-key", h, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(txt_creds(r.json, &d), 0);
	assert_string_equal(d.secret, c.secret);
	txr_free(&r);
	curl_slist_free_all(h);
	l2(&t, OF, &c, &w1, "GET", "/auth/api-keys", NULL, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	/* The used code stays used across the restart. */
	assert_int_equal(create(&t, OF, &w2, 56, 0, "STATE-CODE", NULL), 400);
	txt_cleanup(&t);

	/* Another profile refuses the file. */
	assert_int_not_equal(txt_start(&t, "polymarket", "--state", path, NULL,
	    NULL), 0);
	txt_cleanup(&t);
	unlink(path);
	rmdir(dir);
}

static void
test_tls(void **state)
{
	struct txt	t;
	struct txr	r;
	char		dir[64], cmd[512], cert[128], key[128];

	snprintf(dir, sizeof(dir), "/tmp/cvtxc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
	    "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
	    ">/dev/null 2>&1", key, cert);
	if (system(cmd) != 0) {
		fprintf(stderr, "openssl unavailable: TLS test skipped\n");
		skip();
	}
	assert_int_equal(txt_start(&t, "polymarket", "--tls-cert", cert,
	    "--tls-key", key), 0);
	snprintf(t.cacert, sizeof(t.cacert), "%s", cert);
	txt_req(&t, "GET", "/time", NULL, NULL, &r);
	assert_int_equal(r.curlcode, CURLE_OK);
	assert_int_equal(r.status, 200);
	txr_free(&r);
	/* Plain HTTP to the HTTPS port gets no answer. */
	t.tls = 0;
	snprintf(t.url, sizeof(t.url), "http://127.0.0.1:%d", t.port);
	txt_req(&t, "GET", "/time", NULL, NULL, &r);
	assert_int_not_equal(r.status, 200);
	txr_free(&r);
	txt_cleanup(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_public, start_openfish,
		    txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_openfish_invitations,
		    start_openfish, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_l1_refusals,
		    start_openfish, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_openfish_l2,
		    start_openfish, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_openfish_endpoints,
		    start_openfish, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_polymarket,
		    start_polymarket, txt_fixture_stop),
		cmocka_unit_test(test_state_file),
		cmocka_unit_test(test_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
