/*
 * tests/testexchange: request parsing (headers, query), the fault gate
 * and its settings, and the request log's sanitizing, without a socket.
 * The program's files are included whole (it is not a library); the
 * endpoint sets are stubbed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/testexchange/tx_auth.c"
#include "tests/testexchange/tx_fault.c"
#include "tests/testexchange/tx_http.c"
#include "tests/testexchange/tx_log.c"
#include "tests/testexchange/tx_state.c"
#include "tests/testexchange/tx_store.c"

/* The endpoint sets are not under test here. */
void
tx_clob_handle(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	tx_resp_err(resp, 404, "not found", "not-found");
}

void
tx_omnia_handle(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	tx_resp_err(resp, 404, "not found", "not-found");
}

void
tx_admin_handle(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	tx_resp_err(resp, 404, "not found", "not-found");
}

static void
test_headers(void **state)
{
	struct tx_req	req;

	memset(&req, 0, sizeof(req));
	req.hdrs[0] = (struct tx_hdr){ "poly_address", "0xabc" };
	req.hdrs[1] = (struct tx_hdr){ "POLY_NONCE", "1" };
	req.hdrs[2] = (struct tx_hdr){ "Poly_Nonce", "2" };
	req.nhdrs = 3;
	/* Names are case-insensitive; a header given twice is no header. */
	assert_string_equal(tx_hdr(&req, "POLY_ADDRESS"), "0xabc");
	assert_string_equal(tx_phdr(&req, "POLY_", "ADDRESS"), "0xabc");
	assert_null(tx_hdr(&req, "POLY_NONCE"));
	assert_null(tx_hdr(&req, "POLY_SIGNATURE"));
}

static void
test_query(void **state)
{
	static const char *const known[] = { "a", "ids", NULL };
	struct tx_req	req;
	char		v[16];

	memset(&req, 0, sizeof(req));
	assert_int_equal(tx_query_get(&req, "a", v, sizeof(v)),
	    CV_ERR_NOTFOUND);
	req.query = "a=1&ids=1%2C2&b=x+y&e=&f&dup=1&dup=2&bad=%4&nul=%00"
	    "&hi=%7e";
	assert_int_equal(tx_query_get(&req, "a", v, sizeof(v)), 0);
	assert_string_equal(v, "1");
	assert_int_equal(tx_query_get(&req, "ids", v, sizeof(v)), 0);
	assert_string_equal(v, "1,2");
	assert_int_equal(tx_query_get(&req, "b", v, sizeof(v)), 0);
	assert_string_equal(v, "x y");
	assert_int_equal(tx_query_get(&req, "e", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(tx_query_get(&req, "f", v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(tx_query_get(&req, "hi", v, sizeof(v)), 0);
	assert_string_equal(v, "~");
	assert_int_equal(tx_query_get(&req, "dup", v, sizeof(v)),
	    CV_ERR_EXISTS);
	assert_int_equal(tx_query_get(&req, "bad", v, sizeof(v)),
	    CV_ERR_DECODE);
	assert_int_equal(tx_query_get(&req, "nul", v, sizeof(v)),
	    CV_ERR_DECODE);
	assert_int_equal(tx_query_get(&req, "ids", v, 3), CV_ERR_TOOLONG);
	assert_int_equal(tx_query_get(&req, "zzz", v, sizeof(v)),
	    CV_ERR_NOTFOUND);
	assert_true(tx_query_unknown(&req, known));
	req.query = "a=1&ids=";
	assert_false(tx_query_unknown(&req, known));
	req.query = "";
	assert_int_equal(tx_query_get(&req, "a", v, sizeof(v)),
	    CV_ERR_NOTFOUND);
}

static void
test_fault_set(void **state)
{
	struct tx_fault	 f;
	const char	*err;
	json_t		*o;

	assert_int_equal(tx_fault_init(&f), 0);
	o = json_pack("{s:i, s:i}", "fail_next", 3, "latency_ms", -1);
	assert_int_equal(tx_fault_set(&f, o, &err), CV_ERR_INVALID);
	assert_string_equal(err, "latency_ms");
	/* All or nothing. */
	assert_int_equal(f.fail_next, 0);
	json_decref(o);
	o = json_pack("{s:i, s:i, s:i, s:i}", "fail_next", 3, "fail_status",
	    500, "rate_limit", 2, "clock_offset", -60);
	assert_int_equal(tx_fault_set(&f, o, &err), 0);
	assert_int_equal(f.fail_next, 3);
	assert_int_equal(f.fail_status, 500);
	assert_int_equal(f.rl_cap, 2);
	assert_int_equal(f.clock_offset, -60);
	json_decref(o);
	o = json_pack("{s:s}", "drop_next", "1");
	assert_int_equal(tx_fault_set(&f, o, &err), CV_ERR_INVALID);
	assert_string_equal(err, "drop_next");
	json_decref(o);
	o = json_pack("{s:i}", "unknown", 1);
	assert_int_equal(tx_fault_set(&f, o, &err), CV_ERR_INVALID);
	json_decref(o);
	assert_int_equal(tx_fault_set(&f, NULL, &err), CV_ERR_INVALID);
	tx_fault_free(&f);
}

/* Drop, then failure, then the sliding one-second rate window. */
static void
test_fault_gate(void **state)
{
	struct tx	tx;
	struct tx_resp	resp;
	int64_t		lat;

	memset(&tx, 0, sizeof(tx));
	memset(&resp, 0, sizeof(resp));
	tx.kind = TX_POLYMARKET;
	assert_int_equal(tx_fault_init(&tx.fault), 0);
	tx.fault.drop_next = 1;
	tx.fault.fail_next = 1;
	tx.fault.latency_ms = 7;
	assert_int_equal(tx_fault_rate(&tx.fault, 2), 0);
	assert_int_equal(tx_fault_gate(&tx, 1000, &resp, &lat), 1);
	assert_true(resp.drop);
	assert_int_equal(lat, 7);
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(tx_fault_gate(&tx, 1000, &resp, &lat), 1);
	assert_int_equal(resp.status, 503);
	assert_string_equal(resp.body, "{\"error\":\"injected failure\"}");
	tx_resp_free(&resp);
	assert_int_equal(tx_fault_gate(&tx, 1000, &resp, &lat), 0);
	assert_int_equal(tx_fault_gate(&tx, 1500, &resp, &lat), 0);
	assert_int_equal(tx_fault_gate(&tx, 1999, &resp, &lat), 1);
	assert_int_equal(resp.status, 429);
	assert_int_equal(resp.retry_after, 1);
	tx_resp_free(&resp);
	memset(&resp, 0, sizeof(resp));
	/* At 2000 the first request left the window; at 2001 not yet 1500. */
	assert_int_equal(tx_fault_gate(&tx, 2000, &resp, &lat), 0);
	assert_int_equal(tx_fault_gate(&tx, 2001, &resp, &lat), 1);
	tx_resp_free(&resp);
	memset(&resp, 0, sizeof(resp));
	assert_int_equal(tx_fault_gate(&tx, 2500, &resp, &lat), 0);
	tx_fault_free(&tx.fault);
}

static void
test_log(void **state)
{
	struct tx_log	 l;
	json_t		*a;
	size_t		 i;
	char		 target[700];

	assert_int_equal(tx_log_open(&l, NULL, 0), 0);
	tx_log_add(&l, 1, "GET", "/a b\x01\xff?x=%41", 200, "ok", 0);
	tx_log_add(&l, 2, "g\"et", "/", 401, "l2:stale", 1);
	memset(target, 'x', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	tx_log_add(&l, 3, "GET", target, 200, "ok", 0);
	a = tx_log_json(&l);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a,
	    0), "target")), "/a%20b%01%FF?x=%41");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a,
	    1), "method")), "????");
	/* builder headers that verified are said; otherwise nothing */
	assert_true(json_is_true(json_object_get(json_array_get(a, 1),
	    "builder")));
	assert_null(json_object_get(json_array_get(a, 0), "builder"));
	assert_int_equal(strlen(json_string_value(json_object_get(
	    json_array_get(a, 2), "target"))), TARGET_LOG_MAX + 3);
	json_decref(a);
	/* The ring keeps the last TX_LOG_RING entries. */
	for (i = 0; i < TX_LOG_RING + 5; i++)
		tx_log_add(&l, (int64_t)i, "GET", "/", 200, "ok", 0);
	a = tx_log_json(&l);
	assert_int_equal(json_array_size(a), TX_LOG_RING);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(a,
	    0), "ts")), 5);
	json_decref(a);
	tx_log_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_fault_set),
		cmocka_unit_test(test_fault_gate),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
