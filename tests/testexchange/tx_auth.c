/*
 * Verification as an exchange server does it: L1 by recovering the
 * EIP-712 signer, L2 and builder by recomputing the HMAC over the bytes
 * actually received.  The formulas are common/clob_auth.c's, the same
 * code signerd signs with; what is here is the server's side of them:
 * strict header parsing, the timestamp window and constant-time
 * comparison.
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/eth.h"
#include "common/secp.h"
#include "tests/testexchange/tx.h"

#define NONCE_DIGITS_MAX	20	/* UINT64_MAX has 20 digits */

static int	parse_u64(const char *, size_t maxdigits, uint64_t *) CV_WUR;

/*
 * Canonical decimal: digits only, no sign, no leading zero (except "0"),
 * at most maxdigits, no overflow.
 */
static int
parse_u64(const char *s, size_t maxdigits, uint64_t *v)
{
	uint64_t	acc = 0;
	size_t		i;

	*v = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return CV_ERR_DECODE;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= maxdigits || s[i] < '0' || s[i] > '9')
			return CV_ERR_DECODE;
		if (acc > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return CV_ERR_DECODE;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	*v = acc;
	return 0;
}

int
tx_ts_check(const char *ts, int64_t now, int64_t window, const char **why)
{
	uint64_t	v;
	int64_t		d;

	if (ts == NULL || parse_u64(ts, CLOB_TIMESTAMP_MAX, &v) != 0 ||
	    v > (uint64_t)INT64_MAX / 2) {
		*why = "bad-timestamp";
		return CV_ERR_INVALID;
	}
	d = (int64_t)v - now;
	if (d > window || d < -window) {
		*why = "stale";
		return CV_ERR_STALE;
	}
	return 0;
}

int
tx_addr_parse(const char *s, uint8_t addr[ETH_ADDR_LEN])
{
	char	low[ETH_ADDR_STRLEN];
	size_t	i;

	if (s == NULL || strlen(s) != ETH_ADDR_STRLEN - 1 || s[0] != '0' ||
	    s[1] != 'x')
		return CV_ERR_DECODE;
	/*
	 * Lowercase first: the exchanges compare addresses without regard
	 * to case, so a wrong EIP-55 checksum is not a refusal here.
	 */
	for (i = 0; i < ETH_ADDR_STRLEN; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	return eth_address_parse(low, addr) == 0 ? 0 : CV_ERR_DECODE;
}

int
tx_l1_verify(struct secp256k1_context_struct *ctx, uint64_t chain_id,
    const struct tx_l1_hdrs *h, int64_t now, int64_t window,
    uint8_t addr[ETH_ADDR_LEN], uint64_t *nonce, const char **why)
{
	uint8_t	claimed[ETH_ADDR_LEN], signer[ETH_ADDR_LEN];
	uint8_t	digest[32], sig[65];
	size_t	siglen;
	int	r = CV_ERR_INTERNAL;

	*nonce = 0;
	memset(addr, 0, ETH_ADDR_LEN);
	if (h->address == NULL || h->signature == NULL ||
	    h->timestamp == NULL || h->nonce == NULL) {
		*why = "missing-header";
		r = CV_ERR_INVALID;
		goto out;
	}
	if (tx_addr_parse(h->address, claimed) != 0) {
		*why = "bad-address";
		r = CV_ERR_DECODE;
		goto out;
	}
	if ((r = tx_ts_check(h->timestamp, now, window, why)) != 0)
		goto out;
	if (parse_u64(h->nonce, NONCE_DIGITS_MAX, nonce) != 0) {
		*why = "bad-nonce";
		r = CV_ERR_INVALID;
		goto out;
	}
	if (strlen(h->signature) != CLOB_SIG_HEX_LEN - 1 ||
	    strncmp(h->signature, "0x", 2) != 0 ||
	    hex_decode(h->signature, strlen(h->signature), sig, sizeof(sig),
	    &siglen) != 0 || siglen != sizeof(sig)) {
		*why = "bad-signature";
		r = CV_ERR_INVALID;
		goto out;
	}
	/* The timestamp is hashed as the string sent, not as a number. */
	clob_auth_digest(chain_id, claimed, h->timestamp, *nonce, digest);
	if (secp_recover(ctx, sig, digest, signer) != 0 ||
	    sodium_memcmp(signer, claimed, ETH_ADDR_LEN) != 0) {
		*why = "signer-mismatch";
		r = CV_ERR_BADSIG;
		goto out;
	}
	memcpy(addr, claimed, ETH_ADDR_LEN);
	*why = "ok";
	r = 0;
 out:
	if (r != 0)
		*nonce = 0;
	return r;
}

int
tx_streq_ct(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return la == 0 || sodium_memcmp(a, b, la) == 0;
}

int
tx_hmac_check(const char *secret, const char *ts, const char *method,
    const char *path, const uint8_t *body, size_t bodylen, const char *sig,
    const char **why)
{
	uint8_t	key[CLOB_HMAC_KEY_MAX];
	char	want[CLOB_HMAC_SIG_LEN];
	size_t	keylen = 0;
	int	r = CV_ERR_INTERNAL;

	memset(want, 0, sizeof(want));
	if (sig == NULL || strlen(sig) != CLOB_HMAC_SIG_LEN - 1) {
		*why = "bad-signature";
		r = CV_ERR_BADSIG;
		goto out;
	}
	if ((r = clob_hmac_key_decode(secret, key, sizeof(key),
	    &keylen)) != 0 || (r = clob_hmac_sign(key, keylen, ts, method,
	    path, body, bodylen, want)) != 0) {
		*why = "hmac-failed";
		goto out;
	}
	if (sodium_memcmp(want, sig, CLOB_HMAC_SIG_LEN - 1) != 0) {
		*why = "bad-signature";
		r = CV_ERR_BADSIG;
		goto out;
	}
	*why = "ok";
	r = 0;
 out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(want, sizeof(want));
	return r;
}
