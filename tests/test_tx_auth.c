/*
 * tests/testexchange/tx_auth.c: the test exchange's verifiers against
 * every vector of tests/vectors/clob_auth.json, and every refusal with
 * its exact code and reason.  The file is included whole because the
 * test exchange is a program, not a library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/secp.h"
#include "tests/vectors.h"
#include "tests/testexchange/tx_auth.c"


static json_t				*vec;
static struct secp256k1_context_struct	*ctx;

static int
setup(void **state)
{
	if (sodium_init() < 0 || (ctx = secp_ctx_new()) == NULL)
		return -1;
	vec = vectors_load();
	return vec == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	json_decref(vec);
	secp_ctx_free(ctx);
	return 0;
}

static void
seckey(const char *hex, uint8_t out[32])
{
	size_t	n;

	assert_int_equal(hex_decode(hex, strlen(hex), out, 32, &n), 0);
	assert_int_equal(n, 32);
}

/* The EIP-55 address of vector v (its own key, or the file's wallet). */
static void
vector_address(json_t *v, char out[ETH_ADDR_STRLEN])
{
	json_t	*pk = json_object_get(v, "private_key");
	uint8_t	 sk[32], a[ETH_ADDR_LEN];

	seckey(pk != NULL ? json_string_value(pk) :
	    vec_str(json_object_get(vec, "wallet"), "private_key"), sk);
	assert_int_equal(secp_address(ctx, sk, a), 0);
	eth_address_eip55(a, out);
}

static json_t *
l1_vectors(void)
{
	json_t	*a = json_object_get(json_object_get(vec, "eip712_clobauth"),
	    "vectors");

	assert_true(json_is_array(a));
	assert_true(json_array_size(a) >= 3);
	return a;
}

static int64_t
ts_of(json_t *v)
{
	return strtoll(vec_str(v, "timestamp"), NULL, 10);
}

/* Every published L1 signature verifies, for both address spellings. */
static void
test_l1_vectors(void **state)
{
	struct tx_l1_hdrs	 h;
	char			 eip55[ETH_ADDR_STRLEN], nonce[24];
	char			 lower[ETH_ADDR_STRLEN];
	uint8_t			 addr[ETH_ADDR_LEN], want[ETH_ADDR_LEN];
	uint64_t		 n;
	const char		*why;
	json_t			*v;
	size_t			 i, j;

	json_array_foreach(l1_vectors(), i, v) {
		vector_address(v, eip55);
		assert_int_equal(eth_address_parse(eip55, want), 0);
		eth_address_lower(want, lower);
		snprintf(nonce, sizeof(nonce), "%lld", (long long)
		    json_integer_value(json_object_get(v, "nonce")));
		for (j = 0; j < 2; j++) {
			h.address = j == 0 ? eip55 : lower;
			h.signature = vec_str(v, "signature");
			h.timestamp = vec_str(v, "timestamp");
			h.nonce = nonce;
			assert_int_equal(tx_l1_verify(ctx, (uint64_t)
			    json_integer_value(json_object_get(v, "chain_id")),
			    &h, ts_of(v), 30, addr, &n, &why), 0);
			assert_string_equal(why, "ok");
			assert_memory_equal(addr, want, ETH_ADDR_LEN);
			assert_int_equal(n, (uint64_t)json_integer_value(
			    json_object_get(v, "nonce")));
		}
	}
}

/* Same vectors, one thing wrong at a time. */
static void
test_l1_refusals(void **state)
{
	struct tx_l1_hdrs	 h, bad;
	char			 eip55[ETH_ADDR_STRLEN], other[ETH_ADDR_STRLEN];
	char			 sig[CLOB_SIG_HEX_LEN], upper[ETH_ADDR_STRLEN];
	uint8_t			 addr[ETH_ADDR_LEN];
	uint64_t		 n, chain;
	const char		*why;
	json_t			*v = json_array_get(l1_vectors(), 0);
	int64_t			 ts = ts_of(v);
	size_t			 i;

	vector_address(v, eip55);
	vector_address(json_array_get(l1_vectors(), 2), other);
	chain = (uint64_t)json_integer_value(json_object_get(v, "chain_id"));
	h.address = eip55;
	h.signature = vec_str(v, "signature");
	h.timestamp = vec_str(v, "timestamp");
	h.nonce = "23";

	/* Wrong chain: the digest differs, the signer is someone else. */
	assert_int_equal(tx_l1_verify(ctx, 137, &h, ts, 30, addr, &n, &why),
	    CV_ERR_BADSIG);
	assert_string_equal(why, "signer-mismatch");
	assert_int_equal(tx_l1_verify(ctx, chain + 1, &h, ts, 30, addr, &n,
	    &why), CV_ERR_BADSIG);
	/* Wrong address. */
	bad = h;
	bad.address = other;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_BADSIG);
	assert_string_equal(why, "signer-mismatch");
	/* Wrong nonce or timestamp: a different message. */
	bad = h;
	bad.nonce = "24";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_BADSIG);
	bad = h;
	bad.timestamp = "10000001";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_BADSIG);
	/* The window: 30 s either way is in, 31 s is out. */
	assert_int_equal(tx_l1_verify(ctx, chain, &h, ts + 30, 30, addr, &n,
	    &why), 0);
	assert_int_equal(tx_l1_verify(ctx, chain, &h, ts - 30, 30, addr, &n,
	    &why), 0);
	assert_int_equal(tx_l1_verify(ctx, chain, &h, ts + 31, 30, addr, &n,
	    &why), CV_ERR_STALE);
	assert_string_equal(why, "stale");
	assert_int_equal(tx_l1_verify(ctx, chain, &h, ts - 31, 30, addr, &n,
	    &why), CV_ERR_STALE);
	/* Case is ignored, so a broken checksum is no refusal. */
	for (i = 0; i < ETH_ADDR_STRLEN; i++)
		upper[i] = i < 2 ? eip55[i] : (char)toupper(
		    (unsigned char)eip55[i]);
	upper[ETH_ADDR_STRLEN - 1] = '\0';
	bad = h;
	bad.address = upper;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), 0);
	upper[5] = (char)tolower((unsigned char)upper[5]);
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), 0);

	/* Missing headers. */
	bad = h;
	bad.signature = NULL;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	assert_string_equal(why, "missing-header");
	bad = h;
	bad.nonce = NULL;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	/* Malformed address. */
	bad = h;
	bad.address = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_DECODE);
	assert_string_equal(why, "bad-address");
	bad.address = "f39fd6e51aad88f6f4ce6ab8827279cfffb9226600";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_DECODE);
	bad.address = "0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_DECODE);
	/* Malformed timestamp and nonce. */
	bad = h;
	bad.timestamp = "1e7";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	assert_string_equal(why, "bad-timestamp");
	bad.timestamp = "";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	bad.timestamp = "010000000";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	bad = h;
	bad.nonce = "023";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	assert_string_equal(why, "bad-nonce");
	bad.nonce = "-1";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	bad.nonce = "18446744073709551616";
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	/* Malformed signatures. */
	bad = h;
	snprintf(sig, sizeof(sig), "%s", h.signature + 2);
	bad.signature = sig;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	assert_string_equal(why, "bad-signature");
	snprintf(sig, sizeof(sig), "%s", h.signature);
	sig[40] = 'z';
	bad.signature = sig;
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_INVALID);
	/* v other than 27/28/0/1. */
	snprintf(sig, sizeof(sig), "%s", h.signature);
	memcpy(sig + 130, "1d", 2);
	assert_int_equal(tx_l1_verify(ctx, chain, &bad, ts, 30, addr, &n,
	    &why), CV_ERR_BADSIG);
	assert_int_equal(n, 0);
}

/* A signature made by common/ for this server's digest verifies. */
static void
test_l1_roundtrip(void **state)
{
	struct tx_l1_hdrs	 h;
	uint8_t			 sk[32], a[ETH_ADDR_LEN], digest[32], sig[65];
	uint8_t			 got[ETH_ADDR_LEN];
	char			 addr[ETH_ADDR_STRLEN], hex[CLOB_SIG_HEX_LEN];
	uint64_t		 n;
	const char		*why;

	seckey(vec_str(json_object_get(vec, "wallet"), "private_key"), sk);
	assert_int_equal(secp_address(ctx, sk, a), 0);
	eth_address_eip55(a, addr);
	clob_auth_digest(56, a, "1700000000", 12345678901234ULL, digest);
	assert_int_equal(secp_sign(ctx, sk, digest, sig), 0);
	memcpy(hex, "0x", 2);
	hex_encode(sig, sizeof(sig), hex + 2);
	h.address = addr;
	h.signature = hex;
	h.timestamp = "1700000000";
	h.nonce = "12345678901234";
	assert_int_equal(tx_l1_verify(ctx, 56, &h, 1700000000, 30, got, &n,
	    &why), 0);
	assert_memory_equal(got, a, ETH_ADDR_LEN);
	assert_int_equal(n, 12345678901234ULL);
	/* The same signature with high s (n - s, v flipped) is malleated. */
	{
		static const uint8_t order[32] = {
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
		    0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41 };
		uint8_t	hs[65];
		int	i, borrow = 0, d;

		memcpy(hs, sig, sizeof(hs));
		for (i = 31; i >= 0; i--) {
			d = order[i] - sig[32 + i] - borrow;
			borrow = d < 0;
			hs[32 + i] = (uint8_t)(d + (borrow ? 256 : 0));
		}
		hs[64] = sig[64] == 27 ? 28 : 27;
		hex_encode(hs, sizeof(hs), hex + 2);
		assert_int_equal(tx_l1_verify(ctx, 56, &h, 1700000000, 30,
		    got, &n, &why), CV_ERR_BADSIG);
		assert_string_equal(why, "signer-mismatch");
		hex_encode(sig, sizeof(sig), hex + 2);
	}
	/* Openfish's key does not open Polymarket's door. */
	assert_int_equal(tx_l1_verify(ctx, 137, &h, 1700000000, 30, got, &n,
	    &why), CV_ERR_BADSIG);
}

static void
hmac_vector(json_t *v)
{
	const char	*why;

	assert_int_equal(tx_hmac_check(vec_str(v, "secret"), vec_str(v, "timestamp"),
	    vec_str(v, "method"), vec_str(v, "request_path"),
	    (const uint8_t *)vec_str(v, "body"), strlen(vec_str(v, "body")),
	    vec_str(v, "signature"), &why), 0);
	assert_string_equal(why, "ok");
}

static void
test_hmac_vectors(void **state)
{
	json_t	*a = json_object_get(json_object_get(vec, "hmac_sha256"),
	    "vectors"), *v;
	size_t	 i;

	assert_true(json_array_size(a) >= 5);
	json_array_foreach(a, i, v)
		hmac_vector(v);
	hmac_vector(json_object_get(vec, "builder_hmac"));
}

/* The standard-alphabet spelling of a base64url signature. */
static void
to_std(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '-')
			*s = '+';
		else if (*s == '_')
			*s = '/';
	}
}

static void
test_hmac_refusals(void **state)
{
	json_t		*a = json_object_get(json_object_get(vec,
	    "hmac_sha256"), "vectors");
	json_t		*v = json_array_get(a, 1), *of = json_array_get(a, 3);
	const char	*why;
	char		 sig[64], body[64];

	/* A changed body. */
	snprintf(body, sizeof(body), "%s", vec_str(v, "body"));
	body[3] ^= 1;
	assert_int_equal(tx_hmac_check(vec_str(v, "secret"), vec_str(v, "timestamp"),
	    vec_str(v, "method"), vec_str(v, "request_path"), (const uint8_t *)body,
	    strlen(body), vec_str(v, "signature"), &why), CV_ERR_BADSIG);
	assert_string_equal(why, "bad-signature");
	/* A body left out. */
	assert_int_equal(tx_hmac_check(vec_str(v, "secret"), vec_str(v, "timestamp"),
	    vec_str(v, "method"), vec_str(v, "request_path"), NULL, 0,
	    vec_str(v, "signature"), &why), CV_ERR_BADSIG);
	/* Another method, path, timestamp or secret. */
	assert_int_equal(tx_hmac_check(vec_str(v, "secret"), vec_str(v, "timestamp"),
	    "POST", vec_str(v, "request_path"), (const uint8_t *)vec_str(v, "body"),
	    strlen(vec_str(v, "body")), vec_str(v, "signature"), &why), CV_ERR_BADSIG);
	assert_int_equal(tx_hmac_check(vec_str(v, "secret"), "1000001",
	    vec_str(v, "method"), vec_str(v, "request_path"),
	    (const uint8_t *)vec_str(v, "body"), strlen(vec_str(v, "body")),
	    vec_str(v, "signature"), &why), CV_ERR_BADSIG);
	assert_int_equal(tx_hmac_check(
	    "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", vec_str(v, "timestamp"),
	    vec_str(v, "method"), vec_str(v, "request_path"),
	    (const uint8_t *)vec_str(v, "body"), strlen(vec_str(v, "body")),
	    vec_str(v, "signature"), &why), CV_ERR_BADSIG);
	/* Openfish signs the query: a signature over the bare path fails. */
	assert_int_equal(tx_hmac_check(vec_str(of, "secret"), vec_str(of, "timestamp"),
	    vec_str(of, "method"), "/agent/account/state", NULL, 0,
	    vec_str(of, "signature"), &why), CV_ERR_BADSIG);
	/* The standard alphabet and a dropped '=' are other strings. */
	snprintf(sig, sizeof(sig), "%s", vec_str(of, "signature"));
	assert_non_null(strpbrk(sig, "-_"));
	to_std(sig);
	assert_int_equal(tx_hmac_check(vec_str(of, "secret"), vec_str(of, "timestamp"),
	    vec_str(of, "method"), vec_str(of, "request_path"), NULL, 0, sig, &why),
	    CV_ERR_BADSIG);
	snprintf(sig, sizeof(sig), "%s", vec_str(of, "signature"));
	sig[strlen(sig) - 1] = '\0';
	assert_int_equal(tx_hmac_check(vec_str(of, "secret"), vec_str(of, "timestamp"),
	    vec_str(of, "method"), vec_str(of, "request_path"), NULL, 0, sig, &why),
	    CV_ERR_BADSIG);
	assert_int_equal(tx_hmac_check(vec_str(of, "secret"), vec_str(of, "timestamp"),
	    vec_str(of, "method"), vec_str(of, "request_path"), NULL, 0, NULL, &why),
	    CV_ERR_BADSIG);
	/* A secret that is not base64 verifies nothing. */
	assert_int_equal(tx_hmac_check("not base64!", vec_str(of, "timestamp"),
	    vec_str(of, "method"), vec_str(of, "request_path"), NULL, 0,
	    vec_str(of, "signature"), &why), CV_ERR_DECODE);
	assert_string_equal(why, "hmac-failed");
}

/* Secrets in the standard alphabet and without padding decode alike. */
static void
test_hmac_secret_forms(void **state)
{
	const char	*why;
	json_t		*v = json_array_get(json_object_get(json_object_get(
	    vec, "hmac_sha256"), "vectors"), 4);

	assert_int_equal(tx_hmac_check("c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY",
	    vec_str(v, "timestamp"), vec_str(v, "method"), vec_str(v, "request_path"),
	    (const uint8_t *)vec_str(v, "body"), strlen(vec_str(v, "body")),
	    vec_str(v, "signature"), &why), 0);
}

static void
test_ts_check(void **state)
{
	const char	*why;

	assert_int_equal(tx_ts_check("100", 100, 0, &why), 0);
	assert_int_equal(tx_ts_check("101", 100, 0, &why), CV_ERR_STALE);
	assert_int_equal(tx_ts_check("0", 0, 0, &why), 0);
	assert_int_equal(tx_ts_check(NULL, 0, 0, &why), CV_ERR_INVALID);
	assert_int_equal(tx_ts_check(" 100", 100, 5, &why), CV_ERR_INVALID);
	assert_int_equal(tx_ts_check("+100", 100, 5, &why), CV_ERR_INVALID);
	assert_int_equal(tx_ts_check("100.5", 100, 5, &why), CV_ERR_INVALID);
	assert_int_equal(tx_ts_check("99999999999999999999", 100, 5, &why),
	    CV_ERR_INVALID);
	assert_int_equal(tx_ts_check("9999999999999999999", 100, 5, &why),
	    CV_ERR_INVALID);
	assert_int_equal(tx_ts_check("1700000000000", 1700000000, 30, &why),
	    CV_ERR_STALE);
	assert_string_equal(why, "stale");
}

static void
test_streq_ct(void **state)
{
	assert_true(tx_streq_ct("", ""));
	assert_true(tx_streq_ct("abc", "abc"));
	assert_false(tx_streq_ct("abc", "abd"));
	assert_false(tx_streq_ct("abc", "abcd"));
	assert_false(tx_streq_ct("", "a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l1_vectors),
		cmocka_unit_test(test_l1_refusals),
		cmocka_unit_test(test_l1_roundtrip),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_hmac_refusals),
		cmocka_unit_test(test_hmac_secret_forms),
		cmocka_unit_test(test_ts_check),
		cmocka_unit_test(test_streq_ct),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
