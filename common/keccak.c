#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "common/keccak.h"

/*
 * Keccak-f[1600] with lanes indexed x + 5 * y, and the sponge at the
 * parameters Ethereum uses: rate 136 bytes (capacity 512 bits), original
 * Keccak padding byte 0x01, 32 bytes of output.
 */
#define KECCAK_ROUNDS	24
#define KECCAK_RATE	136

static const uint64_t round_const[KECCAK_ROUNDS] = {
	0x0000000000000001ULL, 0x0000000000008082ULL,
	0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL,
	0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL,
	0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL,
	0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* Rotation of lane x + 5 * y in the rho step. */
static const unsigned int rho_offset[25] = {
	 0,  1, 62, 28, 27,
	36, 44,  6, 55, 20,
	 3, 10, 43, 25, 39,
	41, 45, 15, 21,  8,
	18,  2, 61, 56, 14,
};

static uint64_t	rotl64(uint64_t, unsigned int);
static void	keccak_f1600(uint64_t[25]);
static void	keccak_absorb_block(uint64_t[25], const uint8_t *);

static uint64_t
rotl64(uint64_t v, unsigned int n)
{
	return (v << n) | (v >> ((64 - n) & 63));
}

static void
keccak_f1600(uint64_t a[25])
{
	uint64_t	b[25], c[5], d;
	unsigned int	round, x, y;

	for (round = 0; round < KECCAK_ROUNDS; round++) {
		/* theta: mix each column's parity into its neighbours */
		for (x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^
			    a[x + 20];
		for (x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
			for (y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}
		/* rho and pi: rotate each lane, move (x,y) to (y,2x+3y) */
		for (y = 0; y < 5; y++)
			for (x = 0; x < 5; x++)
				b[y + 5 * ((2 * x + 3 * y) % 5)] =
				    rotl64(a[x + 5 * y], rho_offset[x + 5 * y]);
		/* chi: the only non-linear step, row by row */
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				a[y + x] = b[y + x] ^
				    (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
		/* iota */
		a[0] ^= round_const[round];
	}
	sodium_memzero(b, sizeof(b));
	sodium_memzero(c, sizeof(c));
}

/* XOR one rate-sized block into the state, lanes little-endian. */
static void
keccak_absorb_block(uint64_t a[25], const uint8_t *p)
{
	unsigned int	i, k;
	uint64_t	lane;

	for (i = 0; i < KECCAK_RATE / 8; i++) {
		lane = 0;
		for (k = 0; k < 8; k++)
			lane |= (uint64_t)p[8 * i + k] << (8 * k);
		a[i] ^= lane;
	}
	keccak_f1600(a);
}

void
keccak256(const uint8_t *in, size_t len, uint8_t out[KECCAK256_LEN])
{
	uint64_t	a[25];
	uint8_t		last[KECCAK_RATE];
	size_t		i;

	memset(a, 0, sizeof(a));
	for (; len >= KECCAK_RATE; in += KECCAK_RATE, len -= KECCAK_RATE)
		keccak_absorb_block(a, in);

	/* Final block: the tail, then pad 0x01 ... 0x80 (one byte 0x81). */
	memset(last, 0, sizeof(last));
	if (len > 0)
		memcpy(last, in, len);
	last[len] |= 0x01;
	last[KECCAK_RATE - 1] |= 0x80;
	keccak_absorb_block(a, last);

	for (i = 0; i < KECCAK256_LEN; i++)
		out[i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));

	/* The input may be a secret (a key being hashed): leave no trace. */
	sodium_memzero(a, sizeof(a));
	sodium_memzero(last, sizeof(last));
}
