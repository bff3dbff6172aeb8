#include <string.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/keccak.h"

/*
 * The constant parts of the EIP-712 encoding, hashed once here rather than
 * on every signature: keccak256 of the strings below (the type hashes
 * match the published vectors; test_clob_auth recomputes all five).
 */
#define DOMAIN_TYPE \
	"EIP712Domain(string name,string version,uint256 chainId)"
#define DOMAIN_NAME	"ClobAuthDomain"
#define DOMAIN_VERSION	"1"
#define CLOBAUTH_TYPE \
	"ClobAuth(address address,string timestamp,uint256 nonce," \
	"string message)"

static const uint8_t domain_type_hash[32] = {	/* DOMAIN_TYPE */
	0xc2, 0xf8, 0x78, 0x71, 0x76, 0xb8, 0xac, 0x6b,
	0xf7, 0x21, 0x5b, 0x4a, 0xdc, 0xc1, 0xe0, 0x69,
	0xbf, 0x4a, 0xb8, 0x2d, 0x9a, 0xb1, 0xdf, 0x05,
	0xa5, 0x7a, 0x91, 0xd4, 0x25, 0x93, 0x5b, 0x6e,
};
static const uint8_t domain_name_hash[32] = {	/* DOMAIN_NAME */
	0x64, 0xfe, 0xab, 0xfd, 0x0e, 0x91, 0xbe, 0xd1,
	0x7f, 0x42, 0x70, 0x58, 0x55, 0x53, 0xca, 0x84,
	0x56, 0x29, 0x8e, 0x8f, 0x50, 0x73, 0x63, 0xa4,
	0xb7, 0x25, 0xbe, 0x4e, 0x4d, 0xa2, 0x98, 0x10,
};
static const uint8_t domain_version_hash[32] = {	/* DOMAIN_VERSION */
	0xc8, 0x9e, 0xfd, 0xaa, 0x54, 0xc0, 0xf2, 0x0c,
	0x7a, 0xdf, 0x61, 0x28, 0x82, 0xdf, 0x09, 0x50,
	0xf5, 0xa9, 0x51, 0x63, 0x7e, 0x03, 0x07, 0xcd,
	0xcb, 0x4c, 0x67, 0x2f, 0x29, 0x8b, 0x8b, 0xc6,
};
static const uint8_t clobauth_type_hash[32] = {	/* CLOBAUTH_TYPE */
	0x52, 0x57, 0x8c, 0x5c, 0x72, 0x5a, 0x28, 0xa8,
	0x4f, 0xed, 0xc8, 0xc2, 0x2a, 0xa4, 0x79, 0x47,
	0x82, 0x29, 0x42, 0xf3, 0x5b, 0x4d, 0xc3, 0x50,
	0xdb, 0x02, 0x8e, 0x45, 0x32, 0x0e, 0x03, 0x5c,
};
static const uint8_t message_hash[32] = {	/* CLOB_AUTH_MESSAGE */
	0x47, 0x49, 0x24, 0xbb, 0x27, 0x02, 0x25, 0x42,
	0x02, 0x00, 0x23, 0xb4, 0xa5, 0x2f, 0xb8, 0x34,
	0xca, 0x5e, 0x3d, 0xd7, 0x0b, 0x9a, 0x4d, 0x7e,
	0x7f, 0xe9, 0xca, 0x13, 0x22, 0x8c, 0xbd, 0xa3,
};

/*
 * The domain separators of the last few chain ids seen: a profile has one
 * chain id, so a daemon hashes each once.  Per thread, so it needs no
 * lock whoever calls (the test exchange verifies on several threads).
 */
#define SEPARATOR_CACHE	4

struct separator {
	uint64_t	chain_id;
	int		set;
	uint8_t		hash[32];
};

static _Thread_local struct separator	separators[SEPARATOR_CACHE];
static _Thread_local unsigned int	separator_next;

static void	put_uint256(uint64_t, uint8_t[32]);

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
	struct separator	*e;
	uint8_t			 enc[4 * 32];
	unsigned int		 i;

	for (i = 0; i < SEPARATOR_CACHE; i++) {
		e = &separators[i];
		if (e->set && e->chain_id == chain_id) {
			memcpy(out, e->hash, 32);
			return;
		}
	}
	memcpy(enc, domain_type_hash, 32);
	memcpy(enc + 32, domain_name_hash, 32);
	memcpy(enc + 64, domain_version_hash, 32);
	put_uint256(chain_id, enc + 96);
	keccak256(enc, sizeof(enc), out);

	e = &separators[separator_next];
	separator_next = (separator_next + 1) % SEPARATOR_CACHE;
	e->chain_id = chain_id;
	e->set = 1;
	memcpy(e->hash, out, 32);
}

void
clob_auth_struct_hash(const uint8_t addr[ETH_ADDR_LEN],
    const char *timestamp, uint64_t nonce, uint8_t out[32])
{
	uint8_t	enc[5 * 32];

	memcpy(enc, clobauth_type_hash, 32);
	/* An address is a uint160: right-aligned in its word. */
	memset(enc + 32, 0, 32 - ETH_ADDR_LEN);
	memcpy(enc + 64 - ETH_ADDR_LEN, addr, ETH_ADDR_LEN);
	/* A "string" field is encoded as the keccak256 of its bytes. */
	keccak256((const uint8_t *)timestamp, strlen(timestamp), enc + 64);
	put_uint256(nonce, enc + 96);
	memcpy(enc + 128, message_hash, 32);
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
