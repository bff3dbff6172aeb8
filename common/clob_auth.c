#include <string.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/keccak.h"

#define DOMAIN_TYPE \
	"EIP712Domain(string name,string version,uint256 chainId)"
#define DOMAIN_NAME	"ClobAuthDomain"
#define DOMAIN_VERSION	"1"
#define CLOBAUTH_TYPE \
	"ClobAuth(address address,string timestamp,uint256 nonce," \
	"string message)"

static void	keccak_str(const char *, uint8_t[32]);
static void	put_uint256(uint64_t, uint8_t[32]);
static int	timestamp_valid(const char *);

/* keccak256 of a string's bytes: how EIP-712 encodes a "string" field. */
static void
keccak_str(const char *s, uint8_t out[32])
{
	keccak256((const uint8_t *)s, strlen(s), out);
}

/* A uint256 word: big-endian, left-padded with zeros. */
static void
put_uint256(uint64_t v, uint8_t out[32])
{
	int	i;

	memset(out, 0, 32);
	for (i = 31; i >= 24; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

void
clob_auth_domain_separator(uint64_t chain_id, uint8_t out[32])
{
	uint8_t	enc[4 * 32];

	keccak_str(DOMAIN_TYPE, enc);
	keccak_str(DOMAIN_NAME, enc + 32);
	keccak_str(DOMAIN_VERSION, enc + 64);
	put_uint256(chain_id, enc + 96);
	keccak256(enc, sizeof(enc), out);
}

void
clob_auth_struct_hash(const uint8_t addr[ETH_ADDR_LEN],
    const char *timestamp, uint64_t nonce, uint8_t out[32])
{
	uint8_t	enc[5 * 32];

	keccak_str(CLOBAUTH_TYPE, enc);
	/* An address is a uint160: right-aligned in its word. */
	memset(enc + 32, 0, 32 - ETH_ADDR_LEN);
	memcpy(enc + 64 - ETH_ADDR_LEN, addr, ETH_ADDR_LEN);
	keccak_str(timestamp, enc + 64);
	put_uint256(nonce, enc + 96);
	keccak_str(CLOB_AUTH_MESSAGE, enc + 128);
	keccak256(enc, sizeof(enc), out);
}

void
clob_auth_digest(uint64_t chain_id, const uint8_t addr[ETH_ADDR_LEN],
    const char *timestamp, uint64_t nonce, uint8_t out[32])
{
	uint8_t	enc[2 + 32 + 32];

	enc[0] = 0x19;
	enc[1] = 0x01;
	clob_auth_domain_separator(chain_id, enc + 2);
	clob_auth_struct_hash(addr, timestamp, nonce, enc + 34);
	keccak256(enc, sizeof(enc), out);
}

int
clob_hmac_key_decode(const char *secret, uint8_t *key, size_t outmax,
    size_t *keylen)
{
	size_t	max = outmax < CLOB_HMAC_KEY_MAX ? outmax : CLOB_HMAC_KEY_MAX;
	int	r = CV_ERR_INTERNAL;

	*keylen = 0;
	if ((r = b64_decode(secret, strlen(secret), key, max, keylen)) != 0)
		goto out;
	/* An empty key would authenticate nothing: not a secret. */
	if (*keylen == 0) {
		r = CV_ERR_DECODE;
		goto out;
	}
	r = 0;
 out:
	return r;
}

/* 1 to CLOB_TIMESTAMP_MAX decimal digits, as the header carries it. */
static int
timestamp_valid(const char *ts)
{
	size_t	i;

	for (i = 0; ts[i] != '\0'; i++)
		if (i >= CLOB_TIMESTAMP_MAX || ts[i] < '0' || ts[i] > '9')
			return 0;
	return i > 0;
}

int
clob_hmac_sign(const uint8_t *key, size_t keylen,
    const char *timestamp, const char *method, const char *path,
    const uint8_t *body, size_t bodylen, char out[CLOB_HMAC_SIG_LEN])
{
	crypto_auth_hmacsha256_state	st;
	uint8_t				mac[crypto_auth_hmacsha256_BYTES];
	int				r = CV_ERR_INTERNAL;

	if (keylen == 0 || !timestamp_valid(timestamp) || *method == '\0' ||
	    *path == '\0') {
		r = CV_ERR_INVALID;
		goto out;
	}
	/* The message is streamed into the MAC; it is never assembled. */
	if (crypto_auth_hmacsha256_init(&st, key, keylen) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)timestamp,
	    strlen(timestamp)) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)method,
	    strlen(method)) != 0 ||
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)path,
	    strlen(path)) != 0)
		goto out;
	if (bodylen > 0 &&
	    crypto_auth_hmacsha256_update(&st, body, bodylen) != 0)
		goto out;
	if (crypto_auth_hmacsha256_final(&st, mac) != 0)
		goto out;
	if ((r = b64url_encode(mac, sizeof(mac), out, CLOB_HMAC_SIG_LEN)) != 0)
		goto out;
	r = 0;
 out:
	/* The state holds the key's inner and outer pads. */
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(mac, sizeof(mac));
	return r;
}
