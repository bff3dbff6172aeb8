/*
 * Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not the
 * SHA3-256 0x06).  No packaged library on Debian offers it, so it is
 * written here and tested against published vectors.
 */
#ifndef CV_KECCAK_H
#define CV_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK256_LEN	32

void	keccak256(const uint8_t *in, size_t len, uint8_t out[KECCAK256_LEN]);

#endif
