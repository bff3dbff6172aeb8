#include <endian.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "common/encode.h"

/*
 * Base64 text is decoded through a small stack buffer, one run of whole
 * 4-character groups at a time, so a secret never needs a heap copy.
 * Must be a multiple of 4.
 */
#define B64_CHUNK	256

static int	hex_digit(char);
static int	b64_value(char, int *);
static int	b64_encode_variant(const uint8_t *, size_t, char *, size_t,
		    int) CV_WUR;

static int
hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

#define LANES(b)	(0x0101010101010101ULL * (b))

/*
 * Each of the 8 bytes of v a nibble (0-15), its hex digit: '0' + n,
 * plus 'a' - '0' - 10 where n >= 10.  No branch and no table, so it
 * takes the same time for every value, as sodium_bin2hex does: keys
 * are printed with it too.
 */
static uint64_t
hex_lanes(uint64_t v)
{
	uint64_t	ten = ((v + LANES(6)) >> 4) & LANES(1);

	return v + LANES('0') + ten * ('a' - '0' - 10);
}

/*
 * 4 bytes a step: each byte's two nibbles spread to two bytes of a
 * word, made digits together.  sodium_bin2hex, a byte at a time, was
 * 2 % of vaultd's CPU per L2 signature (each record's digest and prev).
 */
void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	uint64_t	hi, lo, d;
	uint32_t	w;
	size_t		i = 0;

	for (; len - i >= 4; i += 4) {
		memcpy(&w, in + i, sizeof(w));
		hi = lo = le32toh(w);		/* in[i] the lowest byte */
		hi = (hi >> 4) & 0x0f0f0f0fULL;
		lo &= 0x0f0f0f0fULL;
		/* byte j to byte 2j */
		hi = (hi | hi << 16) & 0x0000ffff0000ffffULL;
		hi = (hi | hi << 8) & 0x00ff00ff00ff00ffULL;
		lo = (lo | lo << 16) & 0x0000ffff0000ffffULL;
		lo = (lo | lo << 8) & 0x00ff00ff00ff00ffULL;
		d = htole64(hex_lanes(hi | lo << 8));
		memcpy(out + 2 * i, &d, sizeof(d));
	}
	for (; i < len; i++) {
		d = hex_lanes((uint64_t)(in[i] >> 4) | (uint64_t)(in[i] & 15)
		    << 8);
		out[2 * i] = (char)d;
		out[2 * i + 1] = (char)(d >> 8);
	}
	out[2 * len] = '\0';
}

int
hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	size_t	i, n;
	int	r = CV_ERR_INTERNAL;

	*outlen = 0;
	if (inlen >= 2 && in[0] == '0' && in[1] == 'x') {
		in += 2;
		inlen -= 2;
	}
	if (inlen % 2 != 0) {
		r = CV_ERR_DECODE;
		goto out;
	}
	for (i = 0; i < inlen; i++) {
		if (!hex_digit(in[i])) {
			r = CV_ERR_DECODE;
			goto out;
		}
	}
	if (inlen / 2 > outmax) {
		r = CV_ERR_TOOLONG;
		goto out;
	}
	/* Validated above: libsodium failing here is a broken invariant. */
	if (sodium_hex2bin(out, outmax, in, inlen, NULL, &n, NULL) != 0 ||
	    n != inlen / 2)
		goto out;
	*outlen = n;
	r = 0;
 out:
	return r;
}

static int
b64_encode_variant(const uint8_t *in, size_t len, char *out, size_t outmax,
    int variant)
{
	/* Past this, B64_ENCODED_SIZE(len) would overflow size_t. */
	if (len > (SIZE_MAX / 4 - 1) * 3)
		return CV_ERR_TOOLONG;
	if (outmax < B64_ENCODED_SIZE(len))
		return CV_ERR_TOOLONG;
	sodium_bin2base64(out, outmax, in, len, variant);
	return 0;
}

int
b64_encode(const uint8_t *in, size_t len, char *out, size_t outmax)
{
	return b64_encode_variant(in, len, out, outmax,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
b64url_encode(const uint8_t *in, size_t len, char *out, size_t outmax)
{
	return b64_encode_variant(in, len, out, outmax,
	    sodium_base64_VARIANT_URLSAFE);
}

/*
 * The 6-bit value of c, or -1.  *alpha records which alphabet the
 * string has used so far: 0 none yet, 1 standard ("+/"), 2 URL-safe ("-_");
 * a character of the other alphabet is refused.
 */
static int
b64_value(char c, int *alpha)
{
	int	want = 0, v;

	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+':
		want = 1; v = 62;
		break;
	case '/':
		want = 1; v = 63;
		break;
	case '-':
		want = 2; v = 62;
		break;
	case '_':
		want = 2; v = 63;
		break;
	default:
		return -1;
	}
	if (*alpha != 0 && *alpha != want)
		return -1;
	*alpha = want;
	return v;
}

int
b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	char		 buf[B64_CHUNK];
	const char	*end;
	size_t		 ndata, npad, need = 0, i, done, n, m, got = 0;
	int		 alpha = 0, v = 0, r = CV_ERR_INTERNAL;

	*outlen = 0;

	/* Split off the padding, then check it has exactly the right length. */
	for (npad = 0; npad < inlen && in[inlen - 1 - npad] == '='; npad++)
		;
	ndata = inlen - npad;
	if (ndata % 4 == 1) {
		r = CV_ERR_DECODE;
		goto out;
	}
	if (npad != 0 && (npad > 2 || (ndata + npad) % 4 != 0)) {
		r = CV_ERR_DECODE;
		goto out;
	}
	for (i = 0; i < ndata; i++) {
		if ((v = b64_value(in[i], &alpha)) < 0) {
			r = CV_ERR_DECODE;
			goto out;
		}
	}
	/*
	 * The last character's unused low bits must be zero, so each byte
	 * string has exactly one text (libsodium checks this too; doing it
	 * here keeps CV_ERR_DECODE ahead of CV_ERR_TOOLONG).
	 */
	if ((ndata % 4 == 2 && (v & 0x0f) != 0) ||
	    (ndata % 4 == 3 && (v & 0x03) != 0)) {
		r = CV_ERR_DECODE;
		goto out;
	}
	need = ndata / 4 * 3 + (ndata % 4 == 0 ? 0 : ndata % 4 - 1);
	if (need > outmax) {
		r = CV_ERR_TOOLONG;
		need = 0;	/* nothing written: nothing to wipe */
		goto out;
	}

	/* Normalize into the URL-safe alphabet without padding and decode. */
	for (done = 0; done < ndata; done += n) {
		n = ndata - done < sizeof(buf) ? ndata - done : sizeof(buf);
		for (i = 0; i < n; i++) {
			char c = in[done + i];

			buf[i] = c == '+' ? '-' : c == '/' ? '_' : c;
		}
		if (sodium_base642bin(out + got, outmax - got, buf, n, NULL,
		    &m, &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		    end != buf + n)
			goto out;
		got += m;
	}
	if (got != need)
		goto out;
	*outlen = got;
	r = 0;
 out:
	sodium_memzero(buf, sizeof(buf));
	if (r != 0 && need > 0)
		sodium_memzero(out, need);
	return r;
}

size_t
dec_encode_u64(uint64_t v, char out[DEC_U64_MAX + 1])
{
	char	num[DEC_U64_MAX];
	size_t	n = sizeof(num), len;

	do {
		num[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	len = sizeof(num) - n;
	memcpy(out, num + n, len);
	out[len] = '\0';
	return len;
}

int
dec_decode_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return CV_ERR_DECODE;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CV_ERR_DECODE;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return CV_ERR_DECODE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}
