/*
 * common/clob_auth.c and common/secp.c: the exchanges' L1 (EIP-712
 * ClobAuth, secp256k1) and L2 / builder (HMAC-SHA256) formulas, byte for
 * byte against the SDKs' published vectors in tests/vectors/clob_auth.json,
 * and every refusal with its exact CV_ERR_* code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/eth.h"
#include "common/keccak.h"
#include "common/secp.h"
#include "tests/vectors.h"


struct fixture {
	json_t					*root;
	struct secp256k1_context_struct		*ctx;
};

/* secp256k1's group order n, big-endian. */
static const uint8_t group_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->root = vectors_load()) == NULL) {
		free(f);
		return -1;
	}
	if ((f->ctx = secp_ctx_new()) == NULL) {
		json_decref(f->root);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	secp_ctx_free(f->ctx);
	json_decref(f->root);
	free(f);
	return 0;
}

/* Decode "0x..." hex of exactly len bytes. */
static void
unhex(const char *s, uint8_t *out, size_t len)
{
	size_t	n;

	assert_int_equal(hex_decode(s, strlen(s), out, len, &n), 0);
	assert_int_equal(n, len);
}

/* Assert bytes equal the "0x..." lowercase hex text want. */
static void
assert_hex(const uint8_t *p, size_t len, const char *want)
{
	char	got[2 + 2 * 65 + 1] = "0x";

	assert_true(len <= 65);
	hex_encode(p, len, got + 2);
	assert_string_equal(got, want);
}

static json_t *
clobauth_vectors(struct fixture *f)
{
	json_t	*v;

	v = json_object_get(json_object_get(f->root, "eip712_clobauth"),
	    "vectors");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 3);
	return v;
}

/* The vector's wallet key (its own, or the shared one) and address. */
static void
vector_wallet(struct fixture *f, json_t *v, uint8_t sk[32],
    uint8_t addr[ETH_ADDR_LEN])
{
	json_t	*w = json_object_get(f->root, "wallet");
	char	 txt[ETH_ADDR_STRLEN];

	if (json_object_get(v, "private_key") != NULL)
		w = v;
	unhex(vec_str(w, "private_key"), sk, 32);
	assert_int_equal(secp_seckey_check(f->ctx, sk), 0);
	assert_int_equal(secp_address(f->ctx, sk, addr), 0);
	eth_address_eip55(addr, txt);
	assert_string_equal(txt, vec_str(w, "address_eip55"));
}

/* The keccak256 of both EIP-712 type strings. */
static void
test_typehashes(void **state)
{
	struct fixture	*f = *state;
	json_t		*e = json_object_get(f->root, "eip712_clobauth");
	static const char domain[] =
	    "EIP712Domain(string name,string version,uint256 chainId)";
	static const char clobauth[] =
	    "ClobAuth(address address,string timestamp,uint256 nonce,"
	    "string message)";
	uint8_t		 d[32];

	assert_string_equal(vec_str(e, "type"), clobauth);
	assert_string_equal(vec_str(e, "message"), CLOB_AUTH_MESSAGE);
	keccak256((const uint8_t *)domain, sizeof(domain) - 1, d);
	assert_hex(d, 32, vec_str(e, "typehash_EIP712Domain"));
	keccak256((const uint8_t *)clobauth, sizeof(clobauth) - 1, d);
	assert_hex(d, 32, vec_str(e, "typehash_ClobAuth"));
}

/* The first vector publishes the intermediate hashes too. */
static void
test_eip712_hashes(void **state)
{
	struct fixture	*f = *state;
	json_t		*v = json_array_get(clobauth_vectors(f), 0);
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], h[32];
	const char	*ts = vec_str(v, "timestamp");
	uint64_t	 chain = vec_u64(v, "chain_id"), nonce = vec_u64(v, "nonce");

	vector_wallet(f, v, sk, addr);
	clob_auth_domain_separator(chain, h);
	assert_hex(h, 32, vec_str(v, "domain_separator"));
	clob_auth_struct_hash(addr, ts, nonce, h);
	assert_hex(h, 32, vec_str(v, "struct_hash"));
	clob_auth_digest(chain, addr, ts, nonce, h);
	assert_hex(h, 32, vec_str(v, "digest"));
}

/* keccak256 of a string's bytes, as EIP-712 encodes a "string". */
static void
keccak_str(const char *str, uint8_t out[32])
{
	keccak256((const uint8_t *)str, strlen(str), out);
}

/*
 * clob_auth.c keeps the constant hashes precomputed and the domain
 * separators cached per chain id: both must equal the EIP-712 encoding
 * made from the strings, for more chain ids than the cache holds, each
 * asked twice and out of order.
 */
static void
test_eip712_from_strings(void **state)
{
	static const uint64_t	chains[] = { 137, 80002, 1, 56, 0,
				    UINT64_MAX, 137, 31337, 80002, 137 };
	static const uint8_t	addr[ETH_ADDR_LEN] = { 0xf3, 0x9f, 0xd6 };
	uint8_t			enc[5 * 32], want[32], got[32];
	size_t			i;
	int			k;

	(void)state;
	for (i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		memset(enc, 0, sizeof(enc));
		keccak_str("EIP712Domain(string name,string version,"
		    "uint256 chainId)", enc);
		keccak_str("ClobAuthDomain", enc + 32);
		keccak_str("1", enc + 64);
		for (k = 0; k < 8; k++)
			enc[127 - k] = (uint8_t)(chains[i] >> (8 * k));
		keccak256(enc, 4 * 32, want);
		for (k = 0; k < 2; k++) {
			memset(got, 0, sizeof(got));
			clob_auth_domain_separator(chains[i], got);
			assert_memory_equal(got, want, 32);
		}
	}

	memset(enc, 0, sizeof(enc));
	keccak_str("ClobAuth(address address,string timestamp,"
	    "uint256 nonce,string message)", enc);
	memcpy(enc + 64 - ETH_ADDR_LEN, addr, ETH_ADDR_LEN);
	keccak_str("1712345678", enc + 64);
	enc[127] = 7;
	keccak_str(CLOB_AUTH_MESSAGE, enc + 128);
	keccak256(enc, sizeof(enc), want);
	clob_auth_struct_hash(addr, "1712345678", 7, got);
	assert_memory_equal(got, want, 32);
}

/* Every L1 signature, byte for byte, and recovery back to the signer. */
static void
test_l1_signatures(void **state)
{
	struct fixture	*f = *state;
	json_t		*list = clobauth_vectors(f), *v;
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], got[ETH_ADDR_LEN];
	uint8_t		 digest[32], sig[65];
	size_t		 i;

	json_array_foreach(list, i, v) {
		vector_wallet(f, v, sk, addr);
		clob_auth_digest(vec_u64(v, "chain_id"), addr, vec_str(v, "timestamp"),
		    vec_u64(v, "nonce"), digest);
		assert_int_equal(secp_sign(f->ctx, sk, digest, sig), 0);
		assert_hex(sig, sizeof(sig), vec_str(v, "signature"));

		memset(got, 0, sizeof(got));
		assert_int_equal(secp_recover(f->ctx, sig, digest, got), 0);
		assert_memory_equal(got, addr, ETH_ADDR_LEN);

		/* v as 0/1 recovers the same signer */
		sig[64] -= 27;
		memset(got, 0, sizeof(got));
		assert_int_equal(secp_recover(f->ctx, sig, digest, got), 0);
		assert_memory_equal(got, addr, ETH_ADDR_LEN);
	}
}

/* s' = n - s, in place on a big-endian 32-byte number. */
static void
negate_s(uint8_t s[32])
{
	int	i, borrow = 0, d;

	for (i = 31; i >= 0; i--) {
		d = group_order[i] - s[i] - borrow;
		borrow = d < 0;
		s[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

/*
 * (r, n - s) with the other v is the same signature's malleated twin:
 * mathematically valid for the same key, and refused.
 */
static void
test_high_s_refused(void **state)
{
	struct fixture	*f = *state;
	json_t		*v = json_array_get(clobauth_vectors(f), 0);
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], got[ETH_ADDR_LEN];
	uint8_t		 digest[32], sig[65], twin[65];

	vector_wallet(f, v, sk, addr);
	clob_auth_digest(vec_u64(v, "chain_id"), addr, vec_str(v, "timestamp"),
	    vec_u64(v, "nonce"), digest);
	unhex(vec_str(v, "signature"), sig, sizeof(sig));

	memcpy(twin, sig, sizeof(sig));
	negate_s(twin + 32);
	twin[64] = sig[64] == 27 ? 28 : 27;
	assert_int_equal(secp_recover(f->ctx, twin, digest, got),
	    CV_ERR_BADSIG);
	twin[64] -= 27;
	assert_int_equal(secp_recover(f->ctx, twin, digest, got),
	    CV_ERR_BADSIG);

	/* Twice negated is the original again. */
	negate_s(twin + 32);
	twin[64] = sig[64];
	assert_memory_equal(twin, sig, sizeof(sig));
	assert_int_equal(secp_recover(f->ctx, twin, digest, got), 0);
	assert_memory_equal(got, addr, ETH_ADDR_LEN);
}

static void
test_bad_sig_refused(void **state)
{
	struct fixture	*f = *state;
	json_t		*v = json_array_get(clobauth_vectors(f), 0);
	static const uint8_t bad_v[] = { 2, 3, 26, 29, 30, 35, 36, 255 };
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], got[ETH_ADDR_LEN];
	uint8_t		 digest[32], sig[65], bad[65];
	size_t		 i;

	vector_wallet(f, v, sk, addr);
	clob_auth_digest(vec_u64(v, "chain_id"), addr, vec_str(v, "timestamp"),
	    vec_u64(v, "nonce"), digest);
	unhex(vec_str(v, "signature"), sig, sizeof(sig));

	for (i = 0; i < sizeof(bad_v); i++) {
		memcpy(bad, sig, sizeof(sig));
		bad[64] = bad_v[i];
		assert_int_equal(secp_recover(f->ctx, bad, digest, got),
		    CV_ERR_BADSIG);
	}

	/* r = 0, s = 0, r = n: not signatures at all */
	memcpy(bad, sig, sizeof(sig));
	memset(bad, 0, 32);
	assert_int_equal(secp_recover(f->ctx, bad, digest, got),
	    CV_ERR_BADSIG);
	memcpy(bad, sig, sizeof(sig));
	memset(bad + 32, 0, 32);
	assert_int_equal(secp_recover(f->ctx, bad, digest, got),
	    CV_ERR_BADSIG);
	memcpy(bad, sig, sizeof(sig));
	memcpy(bad, group_order, 32);
	assert_int_equal(secp_recover(f->ctx, bad, digest, got),
	    CV_ERR_BADSIG);

	/* The wrong v, or another digest, recovers someone else. */
	memcpy(bad, sig, sizeof(sig));
	bad[64] = sig[64] == 27 ? 28 : 27;
	if (secp_recover(f->ctx, bad, digest, got) == 0)
		assert_memory_not_equal(got, addr, ETH_ADDR_LEN);
	digest[0] ^= 1;
	if (secp_recover(f->ctx, sig, digest, got) == 0)
		assert_memory_not_equal(got, addr, ETH_ADDR_LEN);
}

static void
test_bad_seckey(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], digest[32], sig[65];

	memset(digest, 0x11, sizeof(digest));
	memset(sk, 0, sizeof(sk));
	assert_int_equal(secp_seckey_check(f->ctx, sk), CV_ERR_INVALID);
	assert_int_equal(secp_address(f->ctx, sk, addr), CV_ERR_INVALID);
	assert_int_equal(secp_sign(f->ctx, sk, digest, sig), CV_ERR_INVALID);
	memcpy(sk, group_order, sizeof(sk));
	assert_int_equal(secp_seckey_check(f->ctx, sk), CV_ERR_INVALID);
	assert_int_equal(secp_sign(f->ctx, sk, digest, sig), CV_ERR_INVALID);
	sk[31] -= 1;	/* n - 1: the largest valid key */
	assert_int_equal(secp_seckey_check(f->ctx, sk), 0);
	assert_int_equal(secp_sign(f->ctx, sk, digest, sig), 0);
}

/* Decode secret and sign one request; assert the published signature. */
static void
assert_hmac(json_t *v, const char *secret_key)
{
	uint8_t		 key[CLOB_HMAC_KEY_MAX];
	char		 sig[CLOB_HMAC_SIG_LEN];
	const char	*body = vec_str(v, "body");
	size_t		 keylen;

	assert_int_equal(clob_hmac_key_decode(vec_str(v, secret_key), key,
	    sizeof(key), &keylen), 0);
	memset(sig, 0, sizeof(sig));
	assert_int_equal(clob_hmac_sign(key, keylen, vec_str(v, "timestamp"),
	    vec_str(v, "method"), vec_str(v, "request_path"),
	    (const uint8_t *)body, strlen(body), sig), 0);
	assert_string_equal(sig, vec_str(v, "signature"));
}

static void
test_hmac_vectors(void **state)
{
	struct fixture	*f = *state;
	json_t		*list, *v;
	size_t		 i;

	list = json_object_get(json_object_get(f->root, "hmac_sha256"),
	    "vectors");
	assert_true(json_is_array(list));
	assert_int_equal(json_array_size(list), 5);
	json_array_foreach(list, i, v)
		assert_hmac(v, "secret");
}

static void
test_builder_vector(void **state)
{
	struct fixture	*f = *state;

	assert_hmac(json_object_get(f->root, "builder_hmac"), "secret");
}

/* The body takes part only when non-empty; no body is an empty body. */
static void
test_hmac_empty_body(void **state)
{
	struct fixture	*f = *state;
	json_t		*v;
	uint8_t		 key[32];
	char		 a[CLOB_HMAC_SIG_LEN], b[CLOB_HMAC_SIG_LEN];
	size_t		 keylen;

	v = json_array_get(json_object_get(json_object_get(f->root,
	    "hmac_sha256"), "vectors"), 2);
	assert_string_equal(vec_str(v, "body"), "");
	assert_int_equal(clob_hmac_key_decode(vec_str(v, "secret"), key,
	    sizeof(key), &keylen), 0);
	assert_int_equal(clob_hmac_sign(key, keylen, "1", "GET", "/", NULL, 0,
	    a), 0);
	assert_int_equal(clob_hmac_sign(key, keylen, "1", "GET", "/",
	    (const uint8_t *)"ignored", 0, b), 0);
	assert_string_equal(a, vec_str(v, "signature"));
	assert_string_equal(b, vec_str(v, "signature"));
}

/* A secret in either alphabet, padded or not, is the same key. */
static void
test_hmac_key_spellings(void **state)
{
	static const char *const same[] = {
		"+/+//g==", "+/+//g", "-_-__g==", "-_-__g",
	};
	static const uint8_t want[] = { 0xfb, 0xff, 0xbf, 0xfe };
	uint8_t		 key[CLOB_HMAC_KEY_MAX];
	char		 sig[CLOB_HMAC_SIG_LEN], first[CLOB_HMAC_SIG_LEN];
	size_t		 i, keylen;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_int_equal(clob_hmac_key_decode(same[i], key,
		    sizeof(key), &keylen), 0);
		assert_int_equal(keylen, sizeof(want));
		assert_memory_equal(key, want, sizeof(want));
		assert_int_equal(clob_hmac_sign(key, keylen, "1000000", "GET",
		    "/auth/api-keys", NULL, 0, sig), 0);
		if (i == 0)
			memcpy(first, sig, sizeof(sig));
		assert_string_equal(sig, first);
	}
}

static void
test_hmac_key_refused(void **state)
{
	uint8_t	key[CLOB_HMAC_KEY_MAX + 8];
	char	long_secret[B64_ENCODED_SIZE(CLOB_HMAC_KEY_MAX + 3)];
	size_t	keylen = 999;

	/* mixed alphabets, bad padding, not base64, empty */
	assert_int_equal(clob_hmac_key_decode("+/-_", key, sizeof(key),
	    &keylen), CV_ERR_DECODE);
	assert_int_equal(keylen, 0);
	assert_int_equal(clob_hmac_key_decode("AA=", key, sizeof(key),
	    &keylen), CV_ERR_DECODE);
	assert_int_equal(clob_hmac_key_decode("AAAA=", key, sizeof(key),
	    &keylen), CV_ERR_DECODE);
	assert_int_equal(clob_hmac_key_decode("not base64!", key, sizeof(key),
	    &keylen), CV_ERR_DECODE);
	assert_int_equal(clob_hmac_key_decode("", key, sizeof(key), &keylen),
	    CV_ERR_DECODE);

	/* past outmax */
	assert_int_equal(clob_hmac_key_decode("AAAAAAAA", key, 5, &keylen),
	    CV_ERR_TOOLONG);
	assert_int_equal(clob_hmac_key_decode("AAAAAAAA", key, 6, &keylen),
	    0);
	assert_int_equal(keylen, 6);

	/* CLOB_HMAC_KEY_MAX bytes pass, three more do not */
	memset(key, 0x42, sizeof(key));
	assert_int_equal(b64_encode(key, CLOB_HMAC_KEY_MAX, long_secret,
	    sizeof(long_secret)), 0);
	assert_int_equal(clob_hmac_key_decode(long_secret, key, sizeof(key),
	    &keylen), 0);
	assert_int_equal(keylen, CLOB_HMAC_KEY_MAX);
	assert_int_equal(b64_encode(key, CLOB_HMAC_KEY_MAX + 3, long_secret,
	    sizeof(long_secret)), 0);
	assert_int_equal(clob_hmac_key_decode(long_secret, key, sizeof(key),
	    &keylen), CV_ERR_TOOLONG);
}

static void
test_hmac_sign_refused(void **state)
{
	static const uint8_t key[32];
	char	sig[CLOB_HMAC_SIG_LEN];

	assert_int_equal(clob_hmac_sign(key, 0, "1", "GET", "/", NULL, 0,
	    sig), CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key), "", "GET", "/",
	    NULL, 0, sig), CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key), "-1", "GET", "/",
	    NULL, 0, sig), CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key), "1.5", "GET", "/",
	    NULL, 0, sig), CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key),
	    "123456789012345678901", "GET", "/", NULL, 0, sig),
	    CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key),
	    "12345678901234567890", "GET", "/", NULL, 0, sig), 0);
	assert_int_equal(clob_hmac_sign(key, sizeof(key), "1", "", "/",
	    NULL, 0, sig), CV_ERR_INVALID);
	assert_int_equal(clob_hmac_sign(key, sizeof(key), "1", "GET", "",
	    NULL, 0, sig), CV_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typehashes),
		cmocka_unit_test(test_eip712_hashes),
		cmocka_unit_test(test_eip712_from_strings),
		cmocka_unit_test(test_l1_signatures),
		cmocka_unit_test(test_high_s_refused),
		cmocka_unit_test(test_bad_sig_refused),
		cmocka_unit_test(test_bad_seckey),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_builder_vector),
		cmocka_unit_test(test_hmac_empty_body),
		cmocka_unit_test(test_hmac_key_spellings),
		cmocka_unit_test(test_hmac_key_refused),
		cmocka_unit_test(test_hmac_sign_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
