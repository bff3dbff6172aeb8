/*
 * common/keccak.c: Keccak-256 against the published vectors in
 * tests/vectors/clob_auth.json, plus lengths around the 136-byte rate
 * where padding and block handling can go wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/encode.h"
#include "common/keccak.h"
#include "tests/vectors.h"


static void
assert_hex_digest(const uint8_t d[KECCAK256_LEN], const char *want)
{
	char	got[2 + 2 * KECCAK256_LEN + 1] = "0x";

	assert_non_null(want);
	hex_encode(d, KECCAK256_LEN, got + 2);
	if (strncmp(want, "0x", 2) != 0)
		assert_string_equal(got + 2, want);
	else
		assert_string_equal(got, want);
}

static void
test_published(void **state)
{
	json_t		*list, *v;
	const char	*in_hex, *in_ascii;
	uint8_t		 in[256], d[KECCAK256_LEN];
	size_t		 i, n;

	list = json_object_get(*state, "keccak256");
	assert_true(json_is_array(list));
	assert_true(json_array_size(list) >= 2);
	json_array_foreach(list, i, v) {
		in_hex = json_string_value(json_object_get(v, "input_hex"));
		in_ascii = json_string_value(json_object_get(v, "input_ascii"));
		if (in_hex != NULL) {
			assert_int_equal(hex_decode(in_hex, strlen(in_hex),
			    in, sizeof(in), &n), 0);
		} else {
			assert_non_null(in_ascii);
			n = strlen(in_ascii);
			assert_true(n <= sizeof(in));
			memcpy(in, in_ascii, n);
		}
		keccak256(in, n, d);
		assert_hex_digest(d,
		    json_string_value(json_object_get(v, "digest")));
	}
}

/* Widely quoted: Keccak-256 of the pangram (not SHA3-256's value). */
static void
test_fox(void **state)
{
	static const char s[] = "The quick brown fox jumps over the lazy dog";
	uint8_t	d[KECCAK256_LEN];

	keccak256((const uint8_t *)s, sizeof(s) - 1, d);
	assert_hex_digest(d,
	    "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

/*
 * n bytes of 'a' around one and two rate blocks: 135 puts both padding
 * bits in one byte (0x81), 136 needs a whole padding block.  Expected
 * values cross-checked with PyCryptodome's Keccak (digest_bits=256).
 */
static void
test_rate_boundaries(void **state)
{
	static const struct {
		size_t		 n;
		const char	*digest;
	} v[] = {
		{ 1, "3ac225168df54212a25c1c01fd35bebf"
		    "ea408fdac2e31ddd6f80a4bbf9a5f1cb" },
		{ 135, "34367dc248bbd832f4e3e69dfaac2f92"
		    "638bd0bbd18f2912ba4ef454919cf446" },
		{ 136, "a6c4d403279fe3e0af03729caada8374"
		    "b5ca54d8065329a3ebcaeb4b60aa386e" },
		{ 137, "d869f639c7046b4929fc92a4d988a8b2"
		    "2c55fbadb802c0c66ebcd484f1915f39" },
		{ 271, "132f47effd6c8b1b299efa53fe68aece"
		    "77ec8ae4eb2e294f668eec94f76001e1" },
		{ 272, "cf7fcd4f705ee749930d19ca84561a9b"
		    "f62516bd90a471545fa2f49fdc7e63c8" },
		{ 273, "5a7b8187d2778e614097fac3097573de"
		    "1fee4d972304d3360796a857029bb176" },
		{ 1000, "b6a4ac1f51884d71f30fa397a5e155de"
		    "3099e11fc0edef5d08b646e621e19de9" },
	};
	uint8_t	in[1000], d[KECCAK256_LEN];
	size_t	i;

	memset(in, 'a', sizeof(in));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		keccak256(in, v[i].n, d);
		assert_hex_digest(d, v[i].digest);
	}
}

/* The type strings' hashes that EIP-712 encoding starts from. */
static void
test_typehashes(void **state)
{
	json_t		*e;
	const char	*type;
	uint8_t		 d[KECCAK256_LEN];
	static const char domain[] =
	    "EIP712Domain(string name,string version,uint256 chainId)";

	e = json_object_get(*state, "eip712_clobauth");
	assert_non_null(e);
	keccak256((const uint8_t *)domain, sizeof(domain) - 1, d);
	assert_hex_digest(d, json_string_value(json_object_get(e,
	    "typehash_EIP712Domain")));
	type = json_string_value(json_object_get(e, "type"));
	assert_non_null(type);
	keccak256((const uint8_t *)type, strlen(type), d);
	assert_hex_digest(d, json_string_value(json_object_get(e,
	    "typehash_ClobAuth")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published),
		cmocka_unit_test(test_fox),
		cmocka_unit_test(test_rate_boundaries),
		cmocka_unit_test(test_typehashes),
	};

	return cmocka_run_group_tests(tests, vectors_setup, vectors_teardown);
}
