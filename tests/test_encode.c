/*
 * common/encode.c: hex and base64.  Exact bytes out, exact CV_ERR_* codes
 * for every refusal; base64 vectors from RFC 4648 section 10.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/encode.h"

/* b64_decode of a NUL-terminated string. */
static int
dec(const char *s, uint8_t *out, size_t outmax, size_t *outlen)
{
	return b64_decode(s, strlen(s), out, outmax, outlen);
}

/* Assert s decodes to exactly want[0..wantlen). */
static void
assert_b64(const char *s, const void *want, size_t wantlen)
{
	uint8_t	out[64];
	size_t	n = 999;

	assert_int_equal(dec(s, out, sizeof(out), &n), 0);
	assert_int_equal(n, wantlen);
	assert_memory_equal(out, want, wantlen);
}

/* Assert s is refused with err, out untouched and *outlen zero. */
static void
assert_b64_err(const char *s, size_t outmax, int err)
{
	uint8_t	out[64];
	size_t	n = 999;
	uint8_t	canary[sizeof(out)];

	memset(out, 0xa5, sizeof(out));
	memset(canary, 0xa5, sizeof(canary));
	assert_true(outmax <= sizeof(out));
	assert_int_equal(dec(s, out, outmax, &n), err);
	assert_int_equal(n, 0);
	assert_memory_equal(out, canary, sizeof(out));
}

static void
test_hex_encode(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff, 0x7e };
	char	out[2 * sizeof(in) + 1];

	uint8_t	all[256 + 7];
	char	mine[2 * sizeof(all) + 1], theirs[2 * sizeof(all) + 1];
	size_t	i, from, len;

	hex_encode(in, sizeof(in), out);
	assert_string_equal(out, "0001abff7e");
	hex_encode(in, 0, out);
	assert_string_equal(out, "");

	/* every byte value, at every place of a 4-byte step, every length */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)(i * 181 + 7);
	for (from = 0; from < 4; from++)
		for (len = 0; from + len <= sizeof(all); len++) {
			memset(mine, 'x', sizeof(mine));
			hex_encode(all + from, len, mine);
			sodium_bin2hex(theirs, sizeof(theirs), all + from,
			    len);
			assert_string_equal(mine, theirs);
		}
}

static void
test_hex_decode(void **state)
{
	static const uint8_t want[] = { 0x00, 0x01, 0xab, 0xff };
	uint8_t	out[8];
	size_t	n;

	assert_int_equal(hex_decode("0001abff", 8, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, want, 4);

	assert_int_equal(hex_decode("0x0001ABfF", 10, out, sizeof(out), &n),
	    0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, want, 4);

	/* Exact fit. */
	assert_int_equal(hex_decode("0001abff", 8, out, 4, &n), 0);
	assert_int_equal(n, 4);

	/* Empty, with or without the prefix. */
	assert_int_equal(hex_decode("", 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hex_decode("0x", 2, out, sizeof(out), &n), 0);
	assert_int_equal(n, 0);

	/* Only inlen bytes are read. */
	assert_int_equal(hex_decode("abzz", 2, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0xab);
}

static void
test_hex_refused(void **state)
{
	uint8_t	out[8];
	size_t	n = 999;

	assert_int_equal(hex_decode("abc", 3, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(n, 0);
	assert_int_equal(hex_decode("0xabc", 5, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode("zz", 2, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode("0X00", 4, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode(" 00 ", 4, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode("0x0x00", 6, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode("00\0" "0", 4, out, sizeof(out), &n),
	    CV_ERR_DECODE);
	assert_int_equal(hex_decode("000102", 6, out, 2, &n),
	    CV_ERR_TOOLONG);
	assert_int_equal(n, 0);
	/* A bad digit is reported as such even when it would not fit. */
	assert_int_equal(hex_decode("zz0102", 6, out, 2, &n), CV_ERR_DECODE);
}

static void
test_b64_encode_rfc4648(void **state)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	char	out[16];
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(b64_encode((const uint8_t *)v[i].in,
		    strlen(v[i].in), out, sizeof(out)), 0);
		assert_string_equal(out, v[i].out);
		assert_int_equal(b64url_encode((const uint8_t *)v[i].in,
		    strlen(v[i].in), out, sizeof(out)), 0);
		assert_string_equal(out, v[i].out);
		assert_b64(v[i].out, v[i].in, strlen(v[i].in));
	}
}

static void
test_b64_encode_alphabets(void **state)
{
	static const uint8_t in[] = { 0xfb, 0xff, 0xbf, 0xfe };
	char	out[B64_ENCODED_SIZE(sizeof(in))];

	assert_int_equal(sizeof(out), 9);
	assert_int_equal(b64_encode(in, sizeof(in), out, sizeof(out)), 0);
	assert_string_equal(out, "+/+//g==");
	assert_int_equal(b64url_encode(in, sizeof(in), out, sizeof(out)), 0);
	assert_string_equal(out, "-_-__g==");

	/* One byte short of room for the NUL. */
	assert_int_equal(b64_encode(in, sizeof(in), out, sizeof(out) - 1),
	    CV_ERR_TOOLONG);
	assert_int_equal(b64url_encode(in, sizeof(in), out, 0),
	    CV_ERR_TOOLONG);
}

static void
test_b64_decode_alphabets(void **state)
{
	static const uint8_t want[] = { 0xfb, 0xff, 0xbf, 0xfe };

	assert_b64("+/+//g==", want, sizeof(want));
	assert_b64("-_-__g==", want, sizeof(want));
	/* padding is optional */
	assert_b64("+/+//g", want, sizeof(want));
	assert_b64("-_-__g", want, sizeof(want));
	assert_b64("Zm8", "fo", 2);
	assert_b64("Zg", "f", 1);
	/* empty text, empty result */
	assert_b64("", "", 0);
}

/* The exchanges' all-zero test secret, in every accepted spelling. */
static void
test_b64_decode_secret(void **state)
{
	uint8_t	zero[32];

	memset(zero, 0, sizeof(zero));
	assert_b64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", zero, 32);
	assert_b64("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", zero, 32);
	assert_b64("c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY=",
	    "secret-key-32-bytes-123456", 26);
	assert_b64("c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY",
	    "secret-key-32-bytes-123456", 26);
}

static void
test_b64_decode_mixed(void **state)
{
	assert_b64_err("+/-_", 64, CV_ERR_DECODE);
	assert_b64_err("-_+/", 64, CV_ERR_DECODE);
	assert_b64_err("AAA+AAA_", 64, CV_ERR_DECODE);
	assert_b64_err("AAA-AAA/", 64, CV_ERR_DECODE);
	assert_b64_err("+/+/-g==", 64, CV_ERR_DECODE);
}

static void
test_b64_decode_padding(void **state)
{
	/* wrong amount of padding for the data */
	assert_b64_err("AA=", 64, CV_ERR_DECODE);
	assert_b64_err("Zg=", 64, CV_ERR_DECODE);
	assert_b64_err("AAA==", 64, CV_ERR_DECODE);
	assert_b64_err("AAAA=", 64, CV_ERR_DECODE);
	assert_b64_err("AAAA==", 64, CV_ERR_DECODE);
	assert_b64_err("AAAA====", 64, CV_ERR_DECODE);
	assert_b64_err("AA===", 64, CV_ERR_DECODE);
	assert_b64_err("A===", 64, CV_ERR_DECODE);
	assert_b64_err("=", 64, CV_ERR_DECODE);
	assert_b64_err("==", 64, CV_ERR_DECODE);
	assert_b64_err("====", 64, CV_ERR_DECODE);
	/* padding anywhere but at the end */
	assert_b64_err("AA==AAAA", 64, CV_ERR_DECODE);
	assert_b64_err("AA=A", 64, CV_ERR_DECODE);
	assert_b64_err("=AAA", 64, CV_ERR_DECODE);
	/* a lone sixth of a byte can never be whole */
	assert_b64_err("A", 64, CV_ERR_DECODE);
	assert_b64_err("AAAAA", 64, CV_ERR_DECODE);
	assert_b64_err("AAAAA===", 64, CV_ERR_DECODE);
}

static void
test_b64_decode_refused(void **state)
{
	static const char nul[] = "Zm9v\0Zm9v";
	uint8_t	out[16];
	size_t	n = 999;

	/* Unused low bits must be zero: one text per byte string. */
	assert_b64_err("Zh==", 64, CV_ERR_DECODE);
	assert_b64_err("Zh", 64, CV_ERR_DECODE);
	assert_b64_err("Zm9=", 64, CV_ERR_DECODE);
	/* No whitespace, line breaks or other characters. */
	assert_b64_err("Zm9v\n", 64, CV_ERR_DECODE);
	assert_b64_err("Zm 9v", 64, CV_ERR_DECODE);
	assert_b64_err(" Zm9v", 64, CV_ERR_DECODE);
	assert_b64_err("Zm9v.", 64, CV_ERR_DECODE);
	assert_b64_err("Zm9\x80", 64, CV_ERR_DECODE);
	assert_int_equal(b64_decode(nul, sizeof(nul) - 1, out, sizeof(out),
	    &n), CV_ERR_DECODE);
	assert_int_equal(n, 0);

	/* Too long for the buffer; a bad text says so first. */
	assert_b64_err("Zm9vYmFy", 5, CV_ERR_TOOLONG);
	assert_b64_err("Zm9vYg", 3, CV_ERR_TOOLONG);
	assert_b64_err("Zm9vYg", 0, CV_ERR_TOOLONG);
	assert_b64_err("Zm9vYh", 0, CV_ERR_DECODE);
	assert_b64("Zm9vYmFy", "foobar", 6);
	assert_int_equal(dec("Zm9vYmFy", out, 6, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
}

/* Round trips across the decoder's internal chunk boundaries. */
static void
test_b64_roundtrip_long(void **state)
{
	static const size_t lens[] = { 1, 2, 3, 190, 191, 192, 193, 194,
	    383, 384, 385, 1000 };
	uint8_t	in[1000], out[1000];
	char	txt[B64_ENCODED_SIZE(1000)];
	size_t	i, k, n, len;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 151 + 7);
	for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		len = lens[k];
		assert_int_equal(b64_encode(in, len, txt, sizeof(txt)), 0);
		assert_int_equal(strlen(txt), B64_ENCODED_SIZE(len) - 1);
		assert_int_equal(dec(txt, out, len, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
		if (len > 0)
			assert_int_equal(dec(txt, out, len - 1, &n),
			    CV_ERR_TOOLONG);

		assert_int_equal(b64url_encode(in, len, txt, sizeof(txt)), 0);
		/* and without its padding */
		while (txt[strlen(txt) - 1] == '=')
			txt[strlen(txt) - 1] = '\0';
		assert_int_equal(dec(txt, out, sizeof(out), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
	}
}

/* dec_encode_u64: canonical decimal, and back through dec_decode_u64. */
static void
test_dec_encode(void **state)
{
	static const struct {
		uint64_t	 v;
		const char	*text;
	} cases[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ 10, "10" },
		{ 1712345678, "1712345678" },
		{ 4294967296ULL, "4294967296" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	char		out[DEC_U64_MAX + 1];
	uint64_t	back;
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		n = dec_encode_u64(cases[i].v, out);
		assert_int_equal(n, strlen(cases[i].text));
		assert_memory_equal(out, cases[i].text, n + 1);
		assert_int_equal(dec_decode_u64(out, n, &back), 0);
		assert_true(back == cases[i].v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_hex_decode),
		cmocka_unit_test(test_hex_refused),
		cmocka_unit_test(test_b64_encode_rfc4648),
		cmocka_unit_test(test_b64_encode_alphabets),
		cmocka_unit_test(test_b64_decode_alphabets),
		cmocka_unit_test(test_b64_decode_secret),
		cmocka_unit_test(test_b64_decode_mixed),
		cmocka_unit_test(test_b64_decode_padding),
		cmocka_unit_test(test_b64_decode_refused),
		cmocka_unit_test(test_b64_roundtrip_long),
		cmocka_unit_test(test_dec_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
