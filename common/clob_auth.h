/*
 * The exchanges' authentication formulas, shared by signerd (which signs)
 * and the local test exchange (which verifies):
 *  - L1: EIP-712 typed data "ClobAuth" signed by the wallet key;
 *  - L2 / builder: HMAC-SHA256 over timestamp + METHOD + path + body.
 * Facts from doc/exchanges.md and the SDK test vectors.
 */
#ifndef CV_CLOB_AUTH_H
#define CV_CLOB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"
#include "common/eth.h"

#define CLOB_AUTH_MESSAGE \
	"This message attests that I control the given wallet"
#define CLOB_TIMESTAMP_MAX	20	/* decimal digits of a timestamp */
#define CLOB_HMAC_SIG_LEN	45	/* 44 base64url chars + NUL */
#define CLOB_SIG_HEX_LEN	133	/* "0x" + 130 hex + NUL */
#define CLOB_HMAC_KEY_MAX	128	/* decoded secret bytes */

/*
 * keccak256 of the EIP-712 domain {name "ClobAuthDomain", version "1",
 * chainId}, remembered for the last few chain ids (per thread).
 */
void	clob_auth_domain_separator(uint64_t chain_id, uint8_t out[32]);

/*
 * hashStruct(ClobAuth{address, timestamp, nonce, message}).  timestamp is
 * the decimal string exactly as sent in the header.
 */
void	clob_auth_struct_hash(const uint8_t addr[ETH_ADDR_LEN],
	    const char *timestamp, uint64_t nonce, uint8_t out[32]);

/* keccak256(0x19 0x01 || domainSeparator || structHash). */
void	clob_auth_digest(uint64_t chain_id, const uint8_t addr[ETH_ADDR_LEN],
	    const char *timestamp, uint64_t nonce, uint8_t out[32]);

/*
 * Decode an API or builder secret (base64, either alphabet, padding
 * optional) into key.  CV_ERR_DECODE if it is not base64, CV_ERR_TOOLONG
 * past CLOB_HMAC_KEY_MAX bytes or outmax.
 */
int	clob_hmac_key_decode(const char *secret, uint8_t *key, size_t outmax,
	    size_t *keylen) CV_WUR;

/*
 * 1 to CLOB_TIMESTAMP_MAX decimal digits, as the L2 header carries it
 * (leading zeros and all); whether it is fresh is for the caller.
 */
int	clob_timestamp_valid(const char *ts);

/*
 * sig = base64url(HMAC-SHA256(key, timestamp + method + path + body)),
 * '=' padding kept; body is included only when bodylen > 0.  path is the
 * request path exactly as signed (with "?query" where the profile signs it).
 */
int	clob_hmac_sign(const uint8_t *key, size_t keylen,
	    const char *timestamp, const char *method, const char *path,
	    const uint8_t *body, size_t bodylen, char out[CLOB_HMAC_SIG_LEN])
	    CV_WUR;

#endif
