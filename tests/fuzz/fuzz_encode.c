/*
 * Fuzz the text codecs (common/encode.h) on text as it comes from a
 * peer or a file: what hex, base64 (either alphabet) and decimal decode
 * must encode back to the same text, up to the case of hex digits, a
 * "0x", the alphabet and the padding, and a decode that fails must leave
 * nothing behind.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/encode.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
hex(const char *in, size_t len)
{
	uint8_t	out[2048];
	char	back[2 * sizeof(out) + 1];
	size_t	n;

	if (hex_decode(in, len, out, sizeof(out), &n) != 0) {
		if (n != 0)
			abort();
		return;
	}
	if (len >= 2 && in[0] == '0' && in[1] == 'x') {
		in += 2;
		len -= 2;
	}
	if (2 * n != len)
		abort();
	hex_encode(out, n, back);
	if (strncasecmp(back, in, len) != 0)
		abort();
}

static void
b64(const char *in, size_t len)
{
	uint8_t	out[2048];
	char	back[B64_ENCODED_SIZE(sizeof(out))];
	size_t	n, i, blen;
	int	url = 0;

	memset(out, 0xa5, sizeof(out));
	if (b64_decode(in, len, out, sizeof(out), &n) != 0) {
		if (n != 0)
			abort();
		/* a refusal wipes what it wrote */
		for (i = 0; i < sizeof(out); i++)
			if (out[i] != 0xa5 && out[i] != 0)
				abort();
		return;
	}
	for (i = 0; i < len; i++)
		if (in[i] == '-' || in[i] == '_')
			url = 1;
	if ((url ? b64url_encode(out, n, back, sizeof(back)) :
	    b64_encode(out, n, back, sizeof(back))) != 0)
		abort();
	/* the same characters, then padding where the text had it */
	blen = strcspn(back, "=");
	for (i = 0; i < len && in[i] != '='; i++)
		;
	if (i != blen || strncmp(back, in, blen) != 0)
		abort();
	if (len != blen && (strlen(back) != len ||
	    strncmp(back, in, len) != 0))
		abort();
}

static void
dec(const char *in, size_t len)
{
	char		back[DEC_U64_MAX + 1];
	uint64_t	v;

	if (dec_decode_u64(in, len, &v) != 0)
		return;
	if (dec_encode_u64(v, back) != len || memcmp(back, in, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in = (const char *)data;

	if (size > 4096)
		return 0;
	hex(in, size);
	b64(in, size);
	dec(in, size);
	return 0;
}
