/*
 * The test exchange's Omnia endpoints over real HTTP: bearer tokens from
 * key id + secret, key listing, creation within the caller's
 * permissions, rotation that kills the old secret and its tokens at
 * once; every refusal with its exact {"code","description"}.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/testexchange/tx_test.h"

#define BAD_CREDS	"{\"code\":\"INVALID_CREDENTIALS\"," \
			"\"description\":\"invalid key id or secret\"}"
#define BAD_TOKEN \
    "{\"code\":\"UNAUTHORIZED\",\"description\":\"invalid token\"}"
#define BAD_TOKEN_SCHEMA \
    "{\"code\":\"INVALID_SCHEMA\",\"description\":\"expected {keyId, secret}\"}"
#define BAD_KEY_SCHEMA	"{\"code\":\"INVALID_SCHEMA\"," \
			"\"description\":\"expected {label, permissions[]}\"}"

struct okey {
	char	id[64], secret[64];
};

static int
group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_ALL);
	return 0;
}

static int
group_teardown(void **state)
{
	curl_global_cleanup();
	return 0;
}

static int
start(void **state)
{
	static struct txt	t;

	if (txt_start(&t, "omnia", NULL, NULL, NULL, NULL) != 0)
		return -1;
	*state = &t;
	return 0;
}

static void
key_from(json_t *o, struct okey *k)
{
	const char	*id = json_string_value(json_object_get(o, "apiKeyId"));
	const char	*s = json_string_value(json_object_get(o,
	    "apiKeySecret"));

	assert_non_null(id);
	assert_non_null(s);
	snprintf(k->id, sizeof(k->id), "%s", id);
	snprintf(k->secret, sizeof(k->secret), "%s", s);
}

/* The first key of a new account, as the web interface would make it. */
static void
seed(struct txt *t, const char *perms, struct okey *k)
{
	struct txr	r;
	char		body[256];

	snprintf(body, sizeof(body), "{\"label\":\"seed\",\"permissions\":%s}",
	    perms);
	assert_int_equal(txt_admin(t, "POST", "omnia/keys", body, &r), 201);
	key_from(r.json, k);
	txr_free(&r);
}

/* POST /v3/auth/token; the token into tok (if 200); the status. */
static long
token(struct txt *t, const char *id, const char *secret, char *tok,
    size_t len, struct txr *keep)
{
	struct txr	 r;
	char		 body[256];
	long		 st;

	snprintf(body, sizeof(body), "{\"keyId\":\"%s\",\"secret\":\"%s\"}",
	    id, secret);
	txt_req(t, "POST", "/v3/auth/token", NULL, body, &r);
	if (r.status == 200)
		snprintf(tok, len, "%s", json_string_value(json_object_get(
		    r.json, "token")));
	st = r.status;
	if (keep != NULL)
		*keep = r;
	else
		txr_free(&r);
	return st;
}

static void
bearer(struct txt *t, const char *tok, const char *method, const char *target,
    const char *body, struct txr *r)
{
	struct curl_slist	*h = NULL;
	char			 line[4096];

	if (tok != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", tok);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	txt_req(t, method, target, h, body, r);
	curl_slist_free_all(h);
}

static void
test_token(void **state)
{
	struct txt	*t = *state;
	struct okey	 k;
	struct txr	 r;
	char		 tok[2048], body[256];
	int64_t		 now = txt_now(), exp;

	seed(t, "[\"read\",\"trade\"]", &k);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), &r), 200);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "tokenType")), "Bearer");
	exp = json_integer_value(json_object_get(r.json, "expiresAt"));
	assert_true(exp >= now + 86400 && exp <= now + 86402);
	txr_free(&r);
	/* header.claims.signature, as the real server's JWT. */
	assert_non_null(strchr(tok, '.'));
	assert_non_null(strchr(strchr(tok, '.') + 1, '.'));

	assert_int_equal(token(t, k.id, "AAAA", tok, sizeof(tok), &r), 401);
	txt_expect(&r, 401, BAD_CREDS);
	txr_free(&r);
	assert_int_equal(token(t, "00000000-0000-4000-8000-000000000000",
	    k.secret, tok, sizeof(tok), &r), 401);
	txt_expect(&r, 401, BAD_CREDS);
	txr_free(&r);
	txt_req(t, "POST", "/v3/auth/token", NULL, "{\"keyId\":\"x\"}", &r);
	txt_expect(&r, 400, BAD_TOKEN_SCHEMA);
	txr_free(&r);
	snprintf(body, sizeof(body), "{\"keyId\":\"%s\",\"secret\":\"%s\","
	    "\"extra\":1}", k.id, k.secret);
	txt_req(t, "POST", "/v3/auth/token", NULL, body, &r);
	txt_expect(&r, 400, BAD_TOKEN_SCHEMA);
	txr_free(&r);
	snprintf(body, sizeof(body), "{\"keyId\":\"%s\",\"secret\":\"%s\","
	    "\"secret\":\"%s\"}", k.id, k.secret, k.secret);
	txt_req(t, "POST", "/v3/auth/token", NULL, body, &r);
	txt_expect(&r, 400, BAD_TOKEN_SCHEMA);
	txr_free(&r);
	txt_req(t, "POST", "/v3/auth/token", NULL, "[1]", &r);
	txt_expect(&r, 400, BAD_TOKEN_SCHEMA);
	txr_free(&r);
	txt_req(t, "GET", "/v3/auth/token", NULL, NULL, &r);
	txt_expect(&r, 405, "{\"code\":\"METHOD_NOT_ALLOWED\","
	    "\"description\":\"method not allowed\"}");
	txr_free(&r);
	txt_req(t, "GET", "/v3/nothing", NULL, NULL, &r);
	txt_expect(&r, 404, "{\"code\":\"NOT_FOUND\","
	    "\"description\":\"no such endpoint\"}");
	txr_free(&r);
	/* No secret in the request log. */
	assert_false(txt_log_has(t, k.secret));
}

static void
test_keys(void **state)
{
	struct txt	*t = *state;
	struct okey	 k, k2;
	struct txr	 r;
	char		 tok[2048], tok2[2048];
	json_t		*e;

	seed(t, "[\"read\",\"trade\"]", &k);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), NULL),
	    200);
	bearer(t, NULL, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, "{\"code\":\"UNAUTHORIZED\","
	    "\"description\":\"missing bearer token\"}");
	txr_free(&r);
	bearer(t, "not-a-token", "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, BAD_TOKEN);
	txr_free(&r);
	bearer(t, "a b", "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, BAD_TOKEN);
	txr_free(&r);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	e = json_array_get(json_object_get(r.json, "apiKeys"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "apiKeyId")),
	    k.id);
	assert_string_equal(json_string_value(json_array_get(json_object_get(
	    e, "permissions"), 1)), "trade");
	txr_free(&r);

	/* Create within the caller's permissions; beyond them, 403. */
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"bot\",\"permissions\":[\"read\",\"withdraw\"]}", &r);
	txt_expect(&r, 403, "{\"code\":\"INVALID_PERMISSIONS\","
	    "\"description\":\"permissions exceed the calling key's\"}");
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys", "{\"label\":\"bot\"}", &r);
	txt_expect(&r, 400, BAD_KEY_SCHEMA);
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"bot\",\"permissions\":\"read\"}", &r);
	txt_expect(&r, 400, BAD_KEY_SCHEMA);
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"bot\",\"permissions\":[\"read\",\"read\"]}", &r);
	txt_expect(&r, 400, BAD_KEY_SCHEMA);
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"\",\"permissions\":[\"read\"]}", &r);
	txt_expect(&r, 400, BAD_KEY_SCHEMA);
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"bot\",\"permissions\":[\"read\"],\"x\":true}", &r);
	txt_expect(&r, 400, BAD_KEY_SCHEMA);
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"bot\",\"permissions\":[\"read\"]}", &r);
	txt_expect(&r, 201, NULL);
	key_from(r.json, &k2);
	assert_string_equal(json_string_value(json_object_get(r.json,
	    "label")), "bot");
	txr_free(&r);
	/* The new key is in the same account and lists both. */
	assert_int_equal(token(t, k2.id, k2.secret, tok2, sizeof(tok2), NULL),
	    200);
	bearer(t, tok2, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	assert_int_equal(json_array_size(json_object_get(r.json, "apiKeys")),
	    2);
	txr_free(&r);
	/* It cannot grant "trade", which it lacks. */
	bearer(t, tok2, "POST", "/v3/api-keys",
	    "{\"label\":\"x\",\"permissions\":[\"trade\"]}", &r);
	txt_expect(&r, 403, NULL);
	txr_free(&r);
	bearer(t, tok, "DELETE", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 405, NULL);
	txr_free(&r);
}

static void
test_rotate(void **state)
{
	struct txt	*t = *state;
	struct okey	 k, k2, other, rot;
	struct txr	 r;
	char		 tok[2048], tok2[2048], toko[2048], target[128];

	seed(t, "[\"read\"]", &k);
	seed(t, "[\"read\"]", &other);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), NULL),
	    200);
	assert_int_equal(token(t, other.id, other.secret, toko, sizeof(toko),
	    NULL), 200);
	bearer(t, tok, "POST", "/v3/api-keys",
	    "{\"label\":\"two\",\"permissions\":[]}", &r);
	txt_expect(&r, 201, NULL);
	key_from(r.json, &k2);
	txr_free(&r);
	assert_int_equal(token(t, k2.id, k2.secret, tok2, sizeof(tok2), NULL),
	    200);

	/* Another account's key is not found. */
	snprintf(target, sizeof(target), "/v3/api-keys/%s/rotate", other.id);
	bearer(t, tok, "POST", target, NULL, &r);
	txt_expect(&r, 404, "{\"code\":\"NOT_FOUND\","
	    "\"description\":\"api key not found\"}");
	txr_free(&r);
	bearer(t, tok, "POST", "/v3/api-keys/nope/rotate", NULL, &r);
	txt_expect(&r, 404, NULL);
	txr_free(&r);
	snprintf(target, sizeof(target), "/v3/api-keys/%s/rotate", k.id);
	bearer(t, tok, "POST", target, "{\"x\":1}", &r);
	txt_expect(&r, 400, "{\"code\":\"INVALID_SCHEMA\","
	    "\"description\":\"expected no body\"}");
	txr_free(&r);
	bearer(t, tok, "GET", target, NULL, &r);
	txt_expect(&r, 405, NULL);
	txr_free(&r);

	/* k2 rotates k: k's secret and tokens die at once; k2's live. */
	bearer(t, tok2, "POST", target, NULL, &r);
	txt_expect(&r, 200, NULL);
	key_from(r.json, &rot);
	assert_string_equal(rot.id, k.id);
	assert_string_not_equal(rot.secret, k.secret);
	txr_free(&r);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, BAD_TOKEN);
	txr_free(&r);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), &r), 401);
	txt_expect(&r, 401, BAD_CREDS);
	txr_free(&r);
	bearer(t, tok2, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	bearer(t, toko, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	assert_int_equal(token(t, k.id, rot.secret, tok, sizeof(tok), NULL),
	    200);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	/* A key may rotate itself; its own token dies with it. */
	snprintf(target, sizeof(target), "/v3/api-keys/%s/rotate", k2.id);
	bearer(t, tok2, "POST", target, "{}", &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	bearer(t, tok2, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, BAD_TOKEN);
	txr_free(&r);
}

/* Token expiry, by lifetime and by the exchange's clock moving on. */
static void
test_expiry(void **state)
{
	struct txt	*t = *state;
	struct okey	 k;
	struct txr	 r;
	char		 tok[2048];

	seed(t, "[\"read\"]", &k);
	assert_int_equal(txt_admin(t, "POST", "faults",
	    "{\"token_lifetime\":1}", &r), 200);
	txr_free(&r);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), NULL),
	    200);
	txt_sleep_ms(2100);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, "{\"code\":\"UNAUTHORIZED\","
	    "\"description\":\"token expired\"}");
	txr_free(&r);
	assert_int_equal(txt_admin(t, "POST", "faults",
	    "{\"token_lifetime\":86400}", &r), 200);
	txr_free(&r);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), NULL),
	    200);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 200, NULL);
	txr_free(&r);
	assert_int_equal(txt_admin(t, "POST", "faults",
	    "{\"clock_offset\":86401}", &r), 200);
	txr_free(&r);
	bearer(t, tok, "GET", "/v3/api-keys", NULL, &r);
	txt_expect(&r, 401, "{\"code\":\"UNAUTHORIZED\","
	    "\"description\":\"token expired\"}");
	txr_free(&r);
}

/* A new key (or a rotated secret) cannot mint tokens until propagated. */
static void
test_propagation(void **state)
{
	struct txt	*t = *state;
	struct okey	 k;
	struct txr	 r;
	char		 tok[2048];

	assert_int_equal(txt_admin(t, "POST", "faults",
	    "{\"propagation_ms\":1500}", &r), 200);
	txr_free(&r);
	seed(t, "[\"read\"]", &k);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), &r), 401);
	txt_expect(&r, 401, BAD_CREDS);
	txr_free(&r);
	txt_sleep_ms(1700);
	assert_int_equal(token(t, k.id, k.secret, tok, sizeof(tok), NULL),
	    200);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token, start, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_keys, start, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_rotate, start, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_expiry, start, txt_fixture_stop),
		cmocka_unit_test_setup_teardown(test_propagation, start, txt_fixture_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
