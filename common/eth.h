/*
 * Ethereum addresses: derivation from a public key, EIP-55 checksum text,
 * and strict parsing.
 */
#ifndef CV_ETH_H
#define CV_ETH_H

#include <stdint.h>

#include "common/cv_err.h"

#define ETH_ADDR_LEN		20
#define ETH_ADDR_STRLEN		43	/* "0x" + 40 hex + NUL */

/* Address = last 20 bytes of keccak256(X || Y) of an uncompressed key. */
void	eth_address_from_pubkey(const uint8_t pub65[65],
	    uint8_t addr[ETH_ADDR_LEN]);

/* EIP-55 mixed-case checksummed "0x..." text of addr. */
void	eth_address_eip55(const uint8_t addr[ETH_ADDR_LEN],
	    char out[ETH_ADDR_STRLEN]);

/* Lowercase "0x..." text of addr. */
void	eth_address_lower(const uint8_t addr[ETH_ADDR_LEN],
	    char out[ETH_ADDR_STRLEN]);

/*
 * Parse "0x" followed by exactly 40 hex digits.  All-lower or all-upper
 * digits are accepted as is; mixed case must carry a valid EIP-55 checksum
 * (CV_ERR_CHECKSUM otherwise).  CV_ERR_DECODE for anything else.
 */
int	eth_address_parse(const char *s, uint8_t addr[ETH_ADDR_LEN]) CV_WUR;

#endif
