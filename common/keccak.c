#include <endian.h>
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

static uint64_t	rotl64(uint64_t, unsigned int);
static void	keccak_f1600(uint64_t[25]);
static void	keccak_absorb_block(uint64_t[25], const uint8_t *);

static uint64_t
rotl64(uint64_t v, unsigned int n)
{
	return (v << n) | (v >> ((64 - n) & 63));
}

/*
 * Each round is written out lane by lane, so the hot loop has no index
 * arithmetic: theta's column parities c and their effect d; theta's xor,
 * rho and pi in one pass into b; chi row by row back into a; iota.  The
 * rotations and destinations are the published rho offsets and pi
 * positions.
 */
static void
keccak_f1600(uint64_t a[25])
{
	uint64_t	b[25], c[5], d[5];
	unsigned int	round;

	for (round = 0; round < KECCAK_ROUNDS; round++) {
		/* theta: each column's parity, mixed into its neighbours */
		c[0] = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
		c[1] = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
		c[2] = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
		c[3] = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
		c[4] = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
		d[0] = c[4] ^ rotl64(c[1], 1);
		d[1] = c[0] ^ rotl64(c[2], 1);
		d[2] = c[1] ^ rotl64(c[3], 1);
		d[3] = c[2] ^ rotl64(c[4], 1);
		d[4] = c[3] ^ rotl64(c[0], 1);

		/*
		 * theta's xor (d of the lane's column x), then rho (the
		 * lane's rotation) and pi: lane (x, y), a[x + 5 * y], moves
		 * to (y, 2x + 3y mod 5).
		 */
		b[ 0] = a[ 0] ^ d[0];
		b[10] = rotl64(a[ 1] ^ d[1],  1);
		b[20] = rotl64(a[ 2] ^ d[2], 62);
		b[ 5] = rotl64(a[ 3] ^ d[3], 28);
		b[15] = rotl64(a[ 4] ^ d[4], 27);
		b[16] = rotl64(a[ 5] ^ d[0], 36);
		b[ 1] = rotl64(a[ 6] ^ d[1], 44);
		b[11] = rotl64(a[ 7] ^ d[2],  6);
		b[21] = rotl64(a[ 8] ^ d[3], 55);
		b[ 6] = rotl64(a[ 9] ^ d[4], 20);
		b[ 7] = rotl64(a[10] ^ d[0],  3);
		b[17] = rotl64(a[11] ^ d[1], 10);
		b[ 2] = rotl64(a[12] ^ d[2], 43);
		b[12] = rotl64(a[13] ^ d[3], 25);
		b[22] = rotl64(a[14] ^ d[4], 39);
		b[23] = rotl64(a[15] ^ d[0], 41);
		b[ 8] = rotl64(a[16] ^ d[1], 45);
		b[18] = rotl64(a[17] ^ d[2], 15);
		b[ 3] = rotl64(a[18] ^ d[3], 21);
		b[13] = rotl64(a[19] ^ d[4],  8);
		b[14] = rotl64(a[20] ^ d[0], 18);
		b[24] = rotl64(a[21] ^ d[1],  2);
		b[ 9] = rotl64(a[22] ^ d[2], 61);
		b[19] = rotl64(a[23] ^ d[3], 56);
		b[ 4] = rotl64(a[24] ^ d[4], 14);

		/* chi: the only non-linear step, within each row */
		a[ 0] = b[ 0] ^ (~b[ 1] & b[ 2]);
		a[ 1] = b[ 1] ^ (~b[ 2] & b[ 3]);
		a[ 2] = b[ 2] ^ (~b[ 3] & b[ 4]);
		a[ 3] = b[ 3] ^ (~b[ 4] & b[ 0]);
		a[ 4] = b[ 4] ^ (~b[ 0] & b[ 1]);

		a[ 5] = b[ 5] ^ (~b[ 6] & b[ 7]);
		a[ 6] = b[ 6] ^ (~b[ 7] & b[ 8]);
		a[ 7] = b[ 7] ^ (~b[ 8] & b[ 9]);
		a[ 8] = b[ 8] ^ (~b[ 9] & b[ 5]);
		a[ 9] = b[ 9] ^ (~b[ 5] & b[ 6]);

		a[10] = b[10] ^ (~b[11] & b[12]);
		a[11] = b[11] ^ (~b[12] & b[13]);
		a[12] = b[12] ^ (~b[13] & b[14]);
		a[13] = b[13] ^ (~b[14] & b[10]);
		a[14] = b[14] ^ (~b[10] & b[11]);

		a[15] = b[15] ^ (~b[16] & b[17]);
		a[16] = b[16] ^ (~b[17] & b[18]);
		a[17] = b[17] ^ (~b[18] & b[19]);
		a[18] = b[18] ^ (~b[19] & b[15]);
		a[19] = b[19] ^ (~b[15] & b[16]);

		a[20] = b[20] ^ (~b[21] & b[22]);
		a[21] = b[21] ^ (~b[22] & b[23]);
		a[22] = b[22] ^ (~b[23] & b[24]);
		a[23] = b[23] ^ (~b[24] & b[20]);
		a[24] = b[24] ^ (~b[20] & b[21]);

		/* iota */
		a[0] ^= round_const[round];
	}
	sodium_memzero(b, sizeof(b));
	sodium_memzero(c, sizeof(c));
	sodium_memzero(d, sizeof(d));
}

/* XOR one rate-sized block into the state, lanes little-endian. */
static void
keccak_absorb_block(uint64_t a[25], const uint8_t *p)
{
	unsigned int	i;
	uint64_t	lane;

	for (i = 0; i < KECCAK_RATE / 8; i++) {
		memcpy(&lane, p + 8 * i, sizeof(lane));
		a[i] ^= le64toh(lane);
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
