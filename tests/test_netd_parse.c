/*
 * netd/netd_parse.c: reading the exchange's answers tolerantly and
 * strictly at once, with exact outputs and refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/netcall.h"
#include "netd/netd.h"

#define B64	"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="

static json_t *
load(const char *s)
{
	json_t	*j = json_loads(s, JSON_DECODE_ANY, NULL);

	assert_non_null(j);
	return j;
}

/* The compact text of j, then j released. */
static void
expect_json(json_t *j, const char *want)
{
	char	*s;

	assert_non_null(j);
	assert_non_null(s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY));
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void
test_clean(void **state)
{
	char	out[16];

	parse_clean("ab\ncd\x80", 6, out, sizeof(out), 100);
	assert_string_equal(out, "ab?cd?");
	parse_clean("0123456789abcdefghij", 20, out, sizeof(out), 100);
	assert_string_equal(out, "0123456789ab...");
	parse_clean("0123456789", 10, out, sizeof(out), 6);
	assert_string_equal(out, "012...");
	parse_clean("", 0, out, sizeof(out), 6);
	assert_string_equal(out, "");
}

static void
test_json(void **state)
{
	char	 why[128];
	json_t	*j;

	assert_null(parse_json((const uint8_t *)" \r\n", 3, 0, why,
	    sizeof(why)));
	assert_string_equal(why, "is empty");
	assert_true(json_is_null(j = parse_json((const uint8_t *)"", 0, 1,
	    why, sizeof(why))));
	json_decref(j);
	assert_null(parse_json((const uint8_t *)"{\"secret\":\"abc", 14, 0,
	    why, sizeof(why)));
	/* Where, never what: the body may hold a credential. */
	assert_string_equal(why, "is not JSON (fault at line 1, column 14)");
	assert_null(parse_json((const uint8_t *)"{\"a\":1,\"a\":2}", 13, 0,
	    why, sizeof(why)));
	expect_json(parse_json((const uint8_t *)"17", 2, 0, why, sizeof(why)),
	    "17");
}

static void
test_error_text(void **state)
{
	char	out[256];

#define ET(body, line, st)						\
	parse_error_text((const uint8_t *)(body), strlen(body), (line), (st), \
	    out, sizeof(out))
	ET("{\"error\":\"invalid email\"}", "400 Bad Request", 400);
	assert_string_equal(out, "invalid email");
	ET("{\"error\":{\"message\":\"deep\"}}", "", 400);
	assert_string_equal(out, "deep");
	ET("{\"code\":\"X\",\"description\":\"d\"}", "", 403);
	assert_string_equal(out, "d");
	ET("{\"error_message\":\"m\"}", "", 403);
	assert_string_equal(out, "m");
	ET("\"plain\"", "", 418);
	assert_string_equal(out, "plain");
	ET("<html>", "502 Bad Gateway", 502);
	assert_string_equal(out, "502 Bad Gateway");
	ET("{\"error\":\"\"}", "", 500);
	assert_string_equal(out, "HTTP 500");
	ET("{\"error\":\"line\\nbreak\"}", "", 400);
	assert_string_equal(out, "line?break");
	/* shown only, decides nothing: a key twice is read (the last) */
	ET("{\"error\":\"a\",\"error\":\"b\"}", "", 400);
	assert_string_equal(out, "b");
#undef ET
}

/* The code decides a retry (INVALID_JWT_TOKEN): two codes are none. */
static void
test_error_code(void **state)
{
	char	out[80];

#define EC(body)							\
	parse_error_code((const uint8_t *)(body), strlen(body), out,	\
	    sizeof(out))
	EC("{\"code\":\"INVALID_JWT_TOKEN\"}");
	assert_string_equal(out, "INVALID_JWT_TOKEN");
	EC("{\"error_code\":\"INVALID_PERMISSIONS\"}");
	assert_string_equal(out, "INVALID_PERMISSIONS");
	EC("{\"code\":\"OTHER\",\"code\":\"INVALID_JWT_TOKEN\"}");
	assert_string_equal(out, "");
	EC("{\"error_code\":\"X\",\"error_code\":\"INVALID_JWT_TOKEN\"}");
	assert_string_equal(out, "");
	EC("{\"code\":\"bad code\"}");
	assert_string_equal(out, "");
#undef EC
}

static void
test_numbers(void **state)
{
	uint64_t	u;

	assert_int_equal(parse_retry_after("1", 1), 1);
	assert_int_equal(parse_retry_after("120", 3), 120);
	assert_int_equal(parse_retry_after("", 0), -1);
	assert_int_equal(parse_retry_after("1.5", 3), -1);
	assert_int_equal(parse_retry_after("Wed, 21 Oct 2015", 16), -1);
	assert_int_equal(parse_u64("0", &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(parse_u64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", &u),
	    CV_ERR_DECODE);
	assert_int_equal(parse_u64("01", &u), CV_ERR_DECODE);
	assert_int_equal(parse_u64("-1", &u), CV_ERR_DECODE);
	assert_int_equal(parse_u64("", &u), CV_ERR_DECODE);
	assert_int_equal(parse_u64("1 ", &u), CV_ERR_DECODE);
}

static void
test_urlencode(void **state)
{
	char	out[32] = "/p?a=";

	assert_int_equal(netcall_urlencode("x y&z=1,2~", out, sizeof(out)), 0);
	assert_string_equal(out, "/p?a=x%20y%26z%3D1,2~");
	out[0] = '\0';
	assert_int_equal(netcall_urlencode("0123456789012345678901234567890",
	    out, sizeof(out)), 0);
	out[0] = '\0';
	assert_int_equal(netcall_urlencode("01234567890123456789012345678901",
	    out, sizeof(out)), CV_ERR_TOOLONG);
}

static void
test_cred(void **state)
{
	const char	*k, *s, *p;
	char		 why[128];
	json_t		*j;

#define CRED(text)	(j = load(text), parse_cred(j, &k, &s, &p, why, \
			    sizeof(why)))
	assert_int_equal(CRED("{\"apiKey\":\"k-1\",\"secret\":\"" B64 "\","
	    "\"passphrase\":\"pp\"}"), 0);
	assert_string_equal(k, "k-1");
	assert_string_equal(s, B64);
	assert_string_equal(p, "pp");
	json_decref(j);
	assert_int_equal(CRED("{\"key\":\"k-2\",\"secret\":\"_-_-\","
	    "\"passphrase\":\"pp\"}"), 0);
	assert_string_equal(k, "k-2");
	json_decref(j);
	assert_int_equal(CRED("[]"), CV_ERR_RESPONSE);
	assert_string_equal(why, "is not a JSON object");
	json_decref(j);
	assert_int_equal(CRED("{\"secret\":\"" B64 "\"}"), CV_ERR_RESPONSE);
	assert_string_equal(why, "has no apiKey");
	json_decref(j);
	assert_int_equal(CRED("{\"apiKey\":\"a/b\",\"secret\":\"" B64 "\"}"),
	    CV_ERR_RESPONSE);
	assert_string_equal(why, "has an apiKey that is not a key id (1-64 "
	    "of A-Z a-z 0-9 . _ : @ -)");
	json_decref(j);
	/* A NUL inside (netd's parser refuses it before, anyway). */
	j = json_loads("{\"apiKey\":\"k\\u0000x\",\"secret\":\"x\"}",
	    JSON_ALLOW_NUL, NULL);
	assert_non_null(j);
	assert_int_equal(parse_cred(j, &k, &s, &p, why, sizeof(why)),
	    CV_ERR_RESPONSE);
	json_decref(j);
	assert_int_equal(CRED("{\"apiKey\":\"k\"}"), CV_ERR_RESPONSE);
	assert_string_equal(why, "has no secret");
	json_decref(j);
	assert_int_equal(CRED("{\"apiKey\":\"k\",\"secret\":\"!!\"}"),
	    CV_ERR_RESPONSE);
	assert_string_equal(why, "has a secret that is not base64");
	json_decref(j);
	assert_int_equal(CRED("{\"apiKey\":\"k\",\"secret\":\"" B64 "\","
	    "\"passphrase\":7}"), CV_ERR_RESPONSE);
	assert_string_equal(why, "has no passphrase");
	json_decref(j);
	assert_int_equal(CRED("{\"apiKey\":\"k\",\"secret\":\"" B64 "\","
	    "\"passphrase\":\"\"}"), CV_ERR_RESPONSE);
	assert_string_equal(why, "has a passphrase that is not 1-160 "
	    "printable characters");
	json_decref(j);
#undef CRED
}

static void
test_amounts(void **state)
{
	char	 why[128];
	json_t	*j;

	expect_json(parse_amount(j = load("12")), "\"12\"");
	json_decref(j);
	expect_json(parse_amount(j = load("2.5")), "\"2.5\"");
	json_decref(j);
	expect_json(parse_amount(j = load("\"7\"")), "\"7\"");
	json_decref(j);
	assert_null(parse_amount(j = load("true")));
	json_decref(j);
	assert_null(parse_amount(j = load("\"1 2\"")));
	json_decref(j);

	expect_json(parse_balance(j = load("{\"balance\":5,\"allowances\":"
	    "{\"0xa\":1,\"0xb\":\"2\"},\"note\":\"x\"}"), why, sizeof(why)),
	    "{\"balance\":\"5\",\"allowances\":{\"0xa\":\"1\",\"0xb\":\"2\"},"
	    "\"note\":\"x\"}");
	json_decref(j);
	assert_null(parse_balance(j = load("{\"allowances\":{}}"), why,
	    sizeof(why)));
	assert_string_equal(why, "has no balance");
	json_decref(j);
	assert_null(parse_balance(j = load("{\"balance\":null}"), why,
	    sizeof(why)));
	assert_string_equal(why, "has a balance that is not an amount");
	json_decref(j);
	assert_null(parse_balance(j = load("{\"balance\":\"1\",\"allowances\":"
	    "{\"0xa\":[]}}"), why, sizeof(why)));
	assert_string_equal(why, "has an allowance that is not an amount");
	json_decref(j);
}

static void
test_lists(void **state)
{
	char	 why[128];
	json_t	*j;
	int64_t	 t;

	expect_json(parse_key_list(j = load("{\"apiKeys\":[\"a\",{\"key\":"
	    "\"b\"}]}"), why, sizeof(why)), "{\"apiKeys\":[\"a\",\"b\"]}");
	json_decref(j);
	expect_json(parse_key_list(j = load("[]"), why, sizeof(why)),
	    "{\"apiKeys\":[]}");
	json_decref(j);
	assert_null(parse_key_list(j = load("{\"apiKeys\":[1]}"), why,
	    sizeof(why)));
	assert_string_equal(why, "has a key without an id");
	json_decref(j);
	assert_null(parse_key_list(j = load("{}"), why, sizeof(why)));
	assert_string_equal(why, "has no apiKeys list");
	json_decref(j);

	expect_json(parse_builder_list(j = load("{\"apiKeys\":[{\"apiKey\":"
	    "\"a\",\"builderId\":\"b\",\"createdAt\":\"c\",\"x\":1}]}"), why,
	    sizeof(why)), "{\"apiKeys\":[{\"apiKey\":\"a\",\"builderId\":"
	    "\"b\",\"createdAt\":\"c\"}]}");
	json_decref(j);
	expect_json(parse_builder_list(j = load("[{\"key\":\"k\",\"createdAt\":"
	    "1,\"revokedAt\":null}]"), why, sizeof(why)),
	    "{\"apiKeys\":[{\"apiKey\":\"k\",\"createdAt\":1}]}");
	json_decref(j);
	assert_null(parse_builder_list(j = load("[\"k\"]"), why, sizeof(why)));
	assert_string_equal(why, "has a builder key without an id");
	json_decref(j);

	assert_int_equal(parse_time(j = load("1700000000"), &t), 0);
	assert_true(t == 1700000000);
	json_decref(j);
	assert_int_equal(parse_time(j = load("{\"time\":\"5\"}"), &t), 0);
	assert_true(t == 5);
	json_decref(j);
	assert_int_equal(parse_time(j = load("1.7e9"), &t), 0);
	assert_true(t == 1700000000);
	json_decref(j);
	assert_int_equal(parse_time(j = load("-1"), &t), CV_ERR_RESPONSE);
	json_decref(j);
	/* a fraction of a second is no clock: never a time of 0 */
	assert_int_equal(parse_time(j = load("0.5"), &t), CV_ERR_RESPONSE);
	json_decref(j);
	assert_int_equal(parse_time(j = load("{\"time\":1e-300}"), &t),
	    CV_ERR_RESPONSE);
	json_decref(j);
	assert_int_equal(parse_time(j = load("\"x\""), &t), CV_ERR_RESPONSE);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_error_code),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_urlencode),
		cmocka_unit_test(test_cred),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
