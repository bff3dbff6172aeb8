/*
 * The test exchange's fault switches, each by flag and by the admin
 * endpoint: added latency, the next N requests failing with a 5xx, a
 * dropped connection, a clock offset, a propagation delay during which
 * a new key gets 401, 429 rate limiting; and the admin endpoint's own
 * refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/testexchange/tx_test.h"

#define PM	"POLY_"
#define L2_REFUSED	"{\"error\":\"Unauthorized/Invalid api key\"}"
#define INJECTED	"{\"error\":\"injected failure\"}"
#define LIMITED		"{\"error\":\"Too Many Requests\"}"

static struct txwallet	w1;

static int
group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	txt_wallet(&w1, TXT_SK1);
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
start(void **state)
{
	static struct txt	t;

	if (txt_start(&t, "polymarket", NULL, NULL, NULL, NULL) != 0)
		return -1;
	*state = &t;
	return 0;
}

static void
admin_ok(struct txt *t, const char *body)
{
	struct txr	r;

	assert_int_equal(txt_admin(t, "POST", "faults", body, &r), 200);
	txr_free(&r);
}

static long
get_time(struct txt *t, struct txr *keep)
{
	struct txr	r;
	long		st;

	txt_req(t, "GET", "/time", NULL, NULL, &r);
	st = r.status;
	if (keep != NULL)
		*keep = r;
	else
		txr_free(&r);
	return st;
}

static void
test_latency(void **state)
{
	struct txt	 t;
	int64_t		 t0;

	assert_int_equal(txt_start(&t, "polymarket", "--latency", "300", NULL,
	    NULL), 0);
	t0 = txt_ms();
	assert_int_equal(get_time(&t, NULL), 200);
	assert_true(txt_ms() - t0 >= 300);
	admin_ok(&t, "{\"latency_ms\":0}");
	t0 = txt_ms();
	assert_int_equal(get_time(&t, NULL), 200);
	assert_true(txt_ms() - t0 < 250);
	admin_ok(&t, "{\"latency_ms\":400}");
	t0 = txt_ms();
	assert_int_equal(get_time(&t, NULL), 200);
	assert_true(txt_ms() - t0 >= 400);
	/* The admin endpoint itself is never slowed. */
	t0 = txt_ms();
	admin_ok(&t, "{\"latency_ms\":0}");
	assert_true(txt_ms() - t0 < 250);
	txt_cleanup(&t);
}

static void
test_fail_next(void **state)
{
	struct txt	 t;
	struct txr	 r;

	assert_int_equal(txt_start(&t, "polymarket", "--fail-next", "1", NULL,
	    NULL), 0);
	get_time(&t, &r);
	txt_expect(&r, 503, INJECTED);
	txr_free(&r);
	assert_int_equal(get_time(&t, NULL), 200);
	admin_ok(&t, "{\"fail_next\":2,\"fail_status\":502}");
	get_time(&t, &r);
	txt_expect(&r, 502, INJECTED);
	txr_free(&r);
	get_time(&t, &r);
	txt_expect(&r, 502, INJECTED);
	txr_free(&r);
	assert_int_equal(get_time(&t, NULL), 200);
	assert_true(txt_log_has(&t,
	    "\"status\":502,\"verdict\":\"fault:5xx\""));
	txt_cleanup(&t);
}

static void
test_drop(void **state)
{
	struct txt	*t = *state;
	struct txr	 r;

	admin_ok(t, "{\"drop_next\":1}");
	get_time(t, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.curlcode, CURLE_GOT_NOTHING);
	txr_free(&r);
	assert_int_equal(get_time(t, NULL), 200);
	assert_true(txt_log_has(t, "\"verdict\":\"fault:drop\""));
}

static void
test_drop_flag(void **state)
{
	struct txt	 t;
	struct txr	 r;

	assert_int_equal(txt_start(&t, "polymarket", "--drop-next", "2", NULL,
	    NULL), 0);
	get_time(&t, &r);
	assert_int_equal(r.curlcode, CURLE_GOT_NOTHING);
	txr_free(&r);
	get_time(&t, &r);
	assert_int_equal(r.curlcode, CURLE_GOT_NOTHING);
	txr_free(&r);
	assert_int_equal(get_time(&t, NULL), 200);
	txt_cleanup(&t);
}

/* The exchange's clock runs ahead: /time shows it, L1 is judged by it. */
static void
test_clock_offset(void **state)
{
	struct txt		 t;
	struct txr		 r;
	struct curl_slist	*h;
	int64_t			 now = txt_now(), srv;

	assert_int_equal(txt_start(&t, "polymarket", "--clock-offset", "3600",
	    NULL, NULL), 0);
	get_time(&t, &r);
	srv = json_integer_value(r.json);
	assert_true(srv >= now + 3600 && srv <= now + 3602);
	txr_free(&r);
	h = txt_l1(PM, &w1, 137, txt_now(), 0);
	txt_req(&t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 401, "{\"error\":\"Invalid L1 Request headers\"}");
	txr_free(&r);
	curl_slist_free_all(h);
	/* Signed with the server's time, as useServerTime clients do. */
	h = txt_l1(PM, &w1, 137, srv, 0);
	txt_req(&t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	curl_slist_free_all(h);
	admin_ok(&t, "{\"clock_offset\":-7200}");
	get_time(&t, &r);
	srv = json_integer_value(r.json);
	assert_true(srv >= now - 7200 && srv <= now - 7198);
	txr_free(&r);
	txt_cleanup(&t);
}

static void
test_propagation(void **state)
{
	struct txt		*t = *state;
	struct txcreds		 c;
	struct curl_slist	*h;
	struct txr		 r;

	admin_ok(t, "{\"propagation_ms\":1500}");
	h = txt_l1(PM, &w1, 137, txt_now(), 0);
	txt_req(t, "POST", "/auth/api-key", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(txt_creds(r.json, &c), 0);
	txr_free(&r);
	curl_slist_free_all(h);
	h = txt_l2(PM, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	assert_true(txt_log_has(t, "\"verdict\":\"l2:propagating\""));
	txt_sleep_ms(1700);
	h = txt_l2(PM, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	txt_req(t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	curl_slist_free_all(h);
}

static void
test_propagation_flag(void **state)
{
	struct txt		 t;
	struct txcreds		 c;
	struct curl_slist	*h;
	struct txr		 r;

	assert_int_equal(txt_start(&t, "polymarket", "--propagation-delay",
	    "60000", NULL, NULL), 0);
	h = txt_l1(PM, &w1, 137, txt_now(), 0);
	txt_req(&t, "POST", "/auth/api-key", h, NULL, &r);
	assert_int_equal(txt_creds(r.json, &c), 0);
	txr_free(&r);
	curl_slist_free_all(h);
	h = txt_l2(PM, &c, w1.eip55, txt_now(), "GET", "/auth/api-keys", NULL);
	txt_req(&t, "GET", "/auth/api-keys", h, NULL, &r);
	txt_expect(&r, 401, L2_REFUSED);
	txr_free(&r);
	curl_slist_free_all(h);
	txt_cleanup(&t);
}

static void
test_rate_limit(void **state)
{
	struct txt	 t;
	struct txr	 r;
	int		 i;

	assert_int_equal(txt_start(&t, "polymarket", "--rate-limit", "3", NULL,
	    NULL), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(get_time(&t, NULL), 200);
	get_time(&t, &r);
	txt_expect(&r, 429, LIMITED);
	assert_string_equal(r.retry_after, "1");
	txr_free(&r);
	/* Admin calls are not counted or limited. */
	assert_int_equal(txt_admin(&t, "GET", "ping", NULL, &r), 200);
	txr_free(&r);
	txt_sleep_ms(1100);
	assert_int_equal(get_time(&t, NULL), 200);
	/* Off, then a new limit at run time. */
	admin_ok(&t, "{\"rate_limit\":0}");
	for (i = 0; i < 10; i++)
		assert_int_equal(get_time(&t, NULL), 200);
	admin_ok(&t, "{\"rate_limit\":1}");
	assert_int_equal(get_time(&t, NULL), 200);
	assert_int_equal(get_time(&t, NULL), 429);
	txt_cleanup(&t);
}

/* Omnia's injected errors speak Omnia's error format. */
static void
test_omnia_format(void **state)
{
	struct txt	 t;
	struct txr	 r;

	assert_int_equal(txt_start(&t, "omnia", "--fail-next", "1",
	    "--rate-limit", "1"), 0);
	txt_req(&t, "GET", "/v3/api-keys", NULL, NULL, &r);
	txt_expect(&r, 503, "{\"code\":\"INTERNAL_ERROR\","
	    "\"description\":\"injected failure\"}");
	txr_free(&r);
	txt_req(&t, "GET", "/v3/api-keys", NULL, NULL, &r);
	txt_expect(&r, 401, NULL);
	txr_free(&r);
	txt_req(&t, "GET", "/v3/api-keys", NULL, NULL, &r);
	txt_expect(&r, 429, "{\"code\":\"TOO_MANY_REQUESTS\","
	    "\"description\":\"rate limit exceeded\"}");
	txr_free(&r);
	txt_cleanup(&t);
}

static void
test_admin(void **state)
{
	struct txt	*t = *state;
	struct txr	 r;

	assert_int_equal(txt_admin(t, "GET", "faults", NULL, &r), 200);
	assert_string_equal(r.body, "{\"latency_ms\":0,\"fail_next\":0,"
	    "\"fail_status\":503,\"drop_next\":0,\"clock_offset\":0,"
	    "\"propagation_ms\":0,\"rate_limit\":0,\"jwt_reject_next\":0,"
	    "\"lose_rotate_next\":0,\"lose_next\":0,\"grant_all_next\":0,"
	    "\"token_lifetime\":86400,"
	    "\"window\":30,\"profile\":\"polymarket\",\"chain_id\":137}");
	txr_free(&r);
	txt_admin(t, "POST", "faults", "{\"bogus\":1}", &r);
	txt_expect(&r, 400,
	    "{\"error\":\"bad fault setting\",\"field\":\"bogus\"}");
	txr_free(&r);
	txt_admin(t, "POST", "faults", "{\"fail_status\":600}", &r);
	txt_expect(&r, 400, "{\"error\":\"bad fault setting\","
	    "\"field\":\"fail_status\"}");
	txr_free(&r);
	/* Nothing changes when one field is bad. */
	txt_admin(t, "POST", "faults", "{\"fail_next\":5,\"latency_ms\":\"1\"}",
	    &r);
	txt_expect(&r, 400, "{\"error\":\"bad fault setting\","
	    "\"field\":\"latency_ms\"}");
	txr_free(&r);
	assert_int_equal(get_time(t, NULL), 200);
	txt_admin(t, "POST", "faults", "[]", &r);
	txt_expect(&r, 400, "{\"error\":\"body must be a JSON object\"}");
	txr_free(&r);
	txt_admin(t, "POST", "faults", "{\"window\":-1}", &r);
	txt_expect(&r, 400, "{\"error\":\"bad window\"}");
	txr_free(&r);
	txt_admin(t, "POST", "invites", "{\"code\":\"a b\"}", &r);
	txt_expect(&r, 400, "{\"error\":\"bad code\"}");
	txr_free(&r);
	txt_admin(t, "POST", "invites", "{\"code\":\"ok\",\"x\":1}", &r);
	txt_expect(&r, 400, "{\"error\":\"unknown field\"}");
	txr_free(&r);
	txt_admin(t, "POST", "closed-only", "{\"address\":\"0x12\","
	    "\"closed_only\":true}", &r);
	txt_expect(&r, 400, "{\"error\":\"expected {address, closed_only}\"}");
	txr_free(&r);
	txt_admin(t, "POST", "omnia/keys", "{\"label\":\"x\","
	    "\"permissions\":[]}", &r);
	txt_expect(&r, 404, "{\"error\":\"not an omnia exchange\"}");
	txr_free(&r);
	assert_int_equal(txt_admin(t, "GET", "log", NULL, &r), 200);
	assert_true(json_is_array(r.json));
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    r.json, 0), "verdict")), "admin");
	txr_free(&r);
}

static void
test_no_admin(void **state)
{
	struct txt	 t;
	struct txr	 r;

	assert_int_equal(txt_start(&t, "polymarket", "--no-admin", NULL, NULL,
	    NULL), 0);
	txt_admin(&t, "POST", "faults", "{\"fail_next\":1}", &r);
	txt_expect(&r, 404, "{\"error\":\"not found\"}");
	txr_free(&r);
	assert_int_equal(get_time(&t, NULL), 200);
	txt_cleanup(&t);
}

/* Requests past the caps are refused before any handler runs. */
static void
test_bounds(void **state)
{
	struct txt	*t = *state;
	struct txr	 r;
	char		*big, *target;

	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'a', 69999);
	big[69999] = '\0';
	txt_req(t, "POST", "/waitlist", NULL, big, &r);
	txt_expect(&r, 413, "{\"error\":\"request body too large\"}");
	txr_free(&r);
	free(big);
	target = malloc(5000);
	assert_non_null(target);
	target[0] = '/';
	memset(target + 1, 'b', 4998);
	target[4999] = '\0';
	txt_req(t, "GET", target, NULL, NULL, &r);
	assert_true(r.status == 414 || r.curlcode != CURLE_OK);
	txr_free(&r);
	free(target);
	assert_int_equal(get_time(t, NULL), 200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_fail_next),
		cmocka_unit_test_setup_teardown(test_drop, start, txt_fixture_stop),
		cmocka_unit_test(test_drop_flag),
		cmocka_unit_test(test_clock_offset),
		cmocka_unit_test_setup_teardown(test_propagation, start, txt_fixture_stop),
		cmocka_unit_test(test_propagation_flag),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_omnia_format),
		cmocka_unit_test_setup_teardown(test_admin, start, txt_fixture_stop),
		cmocka_unit_test(test_no_admin),
		cmocka_unit_test_setup_teardown(test_bounds, start, txt_fixture_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
