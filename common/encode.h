/*
 * Text encodings used on the wire and in files: hex and base64.
 * Every decoder is strict about its alphabet and writes at most outmax
 * bytes; temporaries that may hold secrets are wiped.
 */
#ifndef CV_ENCODE_H
#define CV_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"

/* Bytes needed for the NUL-terminated padded base64 of len bytes. */
#define B64_ENCODED_SIZE(len)	((((len) + 2) / 3) * 4 + 1)

/* Lowercase hex of in[0..len) into out, which holds 2*len+1 bytes. */
void	hex_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decode inlen hex digits (either case, optional "0x" prefix) into out.
 * Returns 0 and sets *outlen, CV_ERR_DECODE on a bad digit or odd length,
 * CV_ERR_TOOLONG when the result would exceed outmax.
 */
int	hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax,
	    size_t *outlen) CV_WUR;

/*
 * A canonical decimal below 2^64 of exactly n bytes: digits only, no
 * sign, no leading zero ("0" itself is canonical).  CV_ERR_DECODE.
 */
int	dec_decode_u64(const char *in, size_t n, uint64_t *out) CV_WUR;

/* v in canonical decimal, NUL-terminated, into out; its length (1-20). */
#define DEC_U64_MAX	20		/* UINT64_MAX's digits */
size_t	dec_encode_u64(uint64_t v, char out[DEC_U64_MAX + 1]);

/*
 * Padded base64 of in into out (outmax >= B64_ENCODED_SIZE(len)).
 * b64url_encode uses the URL-safe alphabet ("-_") and keeps the '='
 * padding, as the exchanges' HMAC signatures and secrets do.
 */
int	b64_encode(const uint8_t *in, size_t len, char *out, size_t outmax)
	    CV_WUR;
int	b64url_encode(const uint8_t *in, size_t len, char *out, size_t outmax)
	    CV_WUR;

/*
 * Decode base64 in either alphabet ("+/" or "-_", not mixed within one
 * string), padding optional.  Returns 0 and sets *outlen, CV_ERR_DECODE on
 * anything else, CV_ERR_TOOLONG when the result would exceed outmax.
 */
int	b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax,
	    size_t *outlen) CV_WUR;

#endif
