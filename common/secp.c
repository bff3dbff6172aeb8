#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include "common/secp.h"

static int	secp_pubkey_address(secp256k1_context *,
		    const secp256k1_pubkey *, uint8_t[ETH_ADDR_LEN]) CV_WUR;

secp256k1_context *
secp_ctx_new(void)
{
	secp256k1_context	*ctx = NULL;
	uint8_t			 seed[32];

	if (sodium_init() < 0)
		goto out;
	/* Since libsecp256k1 0.2.0 one context type serves sign and verify. */
	if ((ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) == NULL)
		goto out;
	/* Blinds the signing computations against timing side channels. */
	randombytes_buf(seed, sizeof(seed));
	if (secp256k1_context_randomize(ctx, seed) != 1) {
		secp256k1_context_destroy(ctx);
		ctx = NULL;
	}
 out:
	sodium_memzero(seed, sizeof(seed));
	return ctx;
}

void
secp_ctx_free(secp256k1_context *ctx)
{
	if (ctx != NULL)
		secp256k1_context_destroy(ctx);
}

int
secp_seckey_check(secp256k1_context *ctx, const uint8_t seckey[32])
{
	return secp256k1_ec_seckey_verify(ctx, seckey) == 1 ?
	    0 : CV_ERR_INVALID;
}

static int
secp_pubkey_address(secp256k1_context *ctx, const secp256k1_pubkey *pk,
    uint8_t addr[ETH_ADDR_LEN])
{
	uint8_t	pub65[65];
	size_t	len = sizeof(pub65);

	if (secp256k1_ec_pubkey_serialize(ctx, pub65, &len, pk,
	    SECP256K1_EC_UNCOMPRESSED) != 1 || len != sizeof(pub65))
		return CV_ERR_INTERNAL;
	eth_address_from_pubkey(pub65, addr);
	return 0;
}

int
secp_address(secp256k1_context *ctx, const uint8_t seckey[32],
    uint8_t addr[ETH_ADDR_LEN])
{
	secp256k1_pubkey	pk;

	if (secp256k1_ec_pubkey_create(ctx, &pk, seckey) != 1)
		return CV_ERR_INVALID;
	return secp_pubkey_address(ctx, &pk, addr);
}

int
secp_sign(secp256k1_context *ctx, const uint8_t seckey[32],
    const uint8_t digest[32], uint8_t sig[65])
{
	secp256k1_ecdsa_recoverable_signature	rsig;
	int					recid, r = CV_ERR_INTERNAL;

	/* NULL nonce function: RFC 6979; the result is already low-s. */
	if (secp256k1_ecdsa_sign_recoverable(ctx, &rsig, digest, seckey,
	    NULL, NULL) != 1) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if (secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig,
	    &recid, &rsig) != 1)
		goto out;
	/*
	 * recid 2 and 3 (R.x beyond the group order, odds about 2^-127)
	 * have no Ethereum v: refuse rather than emit an unverifiable one.
	 */
	if (recid != 0 && recid != 1)
		goto out;
	sig[64] = (uint8_t)(27 + recid);
	r = 0;
 out:
	if (r != 0)
		sodium_memzero(sig, 65);
	return r;
}

int
secp_recover(secp256k1_context *ctx, const uint8_t sig[65],
    const uint8_t digest[32], uint8_t addr[ETH_ADDR_LEN])
{
	secp256k1_ecdsa_signature		plain;
	secp256k1_ecdsa_recoverable_signature	rsig;
	secp256k1_pubkey			pk;
	int					recid;

	switch (sig[64]) {
	case 27:
	case 28:
		recid = sig[64] - 27;
		break;
	case 0:
	case 1:
		recid = sig[64];
		break;
	default:
		return CV_ERR_BADSIG;
	}
	/*
	 * Parse as a plain signature only to ask whether s is high:
	 * normalize returns 1 when it had to flip s.  A high-s signature
	 * is malleable and no honest signer of ours makes one.
	 */
	if (secp256k1_ecdsa_signature_parse_compact(ctx, &plain, sig) != 1 ||
	    secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain) == 1)
		return CV_ERR_BADSIG;
	if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig,
	    sig, recid) != 1 ||
	    secp256k1_ecdsa_recover(ctx, &pk, &rsig, digest) != 1)
		return CV_ERR_BADSIG;
	return secp_pubkey_address(ctx, &pk, addr);
}
