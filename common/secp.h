/*
 * ECDSA over secp256k1 with public-key recovery (libsecp256k1), in the
 * Ethereum form: 65 bytes r || s || v, v = 27 or 28, low-s, RFC 6979.
 */
#ifndef CV_SECP_H
#define CV_SECP_H

#include <stdint.h>

#include "common/cv_err.h"
#include "common/eth.h"

struct secp256k1_context_struct;

/*
 * A signing+verification context, randomized against side channels.
 * NULL on failure.  secp_ctx_free accepts NULL.
 */
struct secp256k1_context_struct	*secp_ctx_new(void);
void	secp_ctx_free(struct secp256k1_context_struct *);

/* CV_ERR_INVALID when seckey is not a valid scalar. */
int	secp_seckey_check(struct secp256k1_context_struct *,
	    const uint8_t seckey[32]) CV_WUR;

/* Ethereum address of a secret key. */
int	secp_address(struct secp256k1_context_struct *,
	    const uint8_t seckey[32], uint8_t addr[ETH_ADDR_LEN]) CV_WUR;

/* Sign a 32-byte digest; sig = r || s || v (v 27/28). */
int	secp_sign(struct secp256k1_context_struct *, const uint8_t seckey[32],
	    const uint8_t digest[32], uint8_t sig[65]) CV_WUR;

/*
 * Recover the signer's address from sig over digest.  Accepts v = 27/28
 * (and 0/1); refuses high-s.  CV_ERR_BADSIG when nothing can be recovered.
 */
int	secp_recover(struct secp256k1_context_struct *, const uint8_t sig[65],
	    const uint8_t digest[32], uint8_t addr[ETH_ADDR_LEN]) CV_WUR;

#endif
