/*
 * The L2 request signature: HMAC-SHA256 over timestamp, method, path and
 * body.  Apart from clob_auth.c so that only the programs that sign or
 * check one (signerd, the test exchange) link nettle.
 */
#include <string.h>

#include <nettle/hmac.h>
#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"

int
clob_timestamp_valid(const char *ts)
{
	size_t	i;

	for (i = 0; ts[i] != '\0'; i++)
		if (i >= CLOB_TIMESTAMP_MAX || ts[i] < '0' || ts[i] > '9')
			return 0;
	return i > 0;
}

/*
 * HMAC-SHA256 with nettle rather than libsodium: nettle uses the CPU's
 * SHA instructions where it has them (about five times libsodium's rate
 * over a 64 KiB body on the development machine), and signerd hashes
 * every byte of every L2 body it signs or checks.
 */
int
clob_hmac_sign(const uint8_t *key, size_t keylen,
    const char *timestamp, const char *method, const char *path,
    const uint8_t *body, size_t bodylen, char out[CLOB_HMAC_SIG_LEN])
{
	struct hmac_sha256_ctx	st;
	uint8_t			mac[SHA256_DIGEST_SIZE];
	int			r;

	if (keylen == 0 || !clob_timestamp_valid(timestamp) ||
	    *method == '\0' || *path == '\0')
		return CV_ERR_INVALID;
	/* The message is streamed into the MAC; it is never assembled. */
	hmac_sha256_set_key(&st, keylen, key);
	hmac_sha256_update(&st, strlen(timestamp), (const uint8_t *)timestamp);
	hmac_sha256_update(&st, strlen(method), (const uint8_t *)method);
	hmac_sha256_update(&st, strlen(path), (const uint8_t *)path);
	if (bodylen > 0)
		hmac_sha256_update(&st, bodylen, body);
	hmac_sha256_digest(&st, sizeof(mac), mac);
	r = b64url_encode(mac, sizeof(mac), out, CLOB_HMAC_SIG_LEN);
	/* The state holds the key's inner and outer pads. */
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	return r;
}
