#include <string.h>

#include "common/encode.h"
#include "common/eth.h"
#include "common/keccak.h"

void
eth_address_from_pubkey(const uint8_t pub65[65], uint8_t addr[ETH_ADDR_LEN])
{
	uint8_t	h[KECCAK256_LEN];

	/* Skip the 0x04 prefix: the hash covers X || Y only. */
	keccak256(pub65 + 1, 64, h);
	memcpy(addr, h + KECCAK256_LEN - ETH_ADDR_LEN, ETH_ADDR_LEN);
}

void
eth_address_lower(const uint8_t addr[ETH_ADDR_LEN], char out[ETH_ADDR_STRLEN])
{
	out[0] = '0';
	out[1] = 'x';
	hex_encode(addr, ETH_ADDR_LEN, out + 2);
}

void
eth_address_eip55(const uint8_t addr[ETH_ADDR_LEN], char out[ETH_ADDR_STRLEN])
{
	uint8_t	h[KECCAK256_LEN];
	char	*digits = out + 2;
	int	 i, nibble;

	/*
	 * EIP-55: hash the 40 lowercase digits as ASCII; a letter is upper
	 * case where the matching nibble of the hash is 8 or more.
	 */
	eth_address_lower(addr, out);
	keccak256((const uint8_t *)digits, 2 * ETH_ADDR_LEN, h);
	for (i = 0; i < 2 * ETH_ADDR_LEN; i++) {
		nibble = i % 2 == 0 ? h[i / 2] >> 4 : h[i / 2] & 0x0f;
		if (digits[i] >= 'a' && digits[i] <= 'f' && nibble >= 8)
			digits[i] -= 'a' - 'A';
	}
}

int
eth_address_parse(const char *s, uint8_t addr[ETH_ADDR_LEN])
{
	char	 want[ETH_ADDR_STRLEN];
	uint8_t	 tmp[ETH_ADDR_LEN];
	size_t	 i, n;
	int	 lower = 0, upper = 0, r = CV_ERR_INTERNAL;

	if (strnlen(s, ETH_ADDR_STRLEN) != ETH_ADDR_STRLEN - 1 ||
	    s[0] != '0' || s[1] != 'x') {
		r = CV_ERR_DECODE;
		goto out;
	}
	for (i = 2; i < ETH_ADDR_STRLEN - 1; i++) {
		if (s[i] >= 'a' && s[i] <= 'f')
			lower = 1;
		else if (s[i] >= 'A' && s[i] <= 'F')
			upper = 1;
		else if (s[i] < '0' || s[i] > '9') {
			/* also keeps hex_decode from seeing a second "0x" */
			r = CV_ERR_DECODE;
			goto out;
		}
	}
	if ((r = hex_decode(s + 2, 2 * ETH_ADDR_LEN, tmp, sizeof(tmp),
	    &n)) != 0)
		goto out;
	if (n != ETH_ADDR_LEN) {
		r = CV_ERR_INTERNAL;
		goto out;
	}
	if (lower && upper) {
		eth_address_eip55(tmp, want);
		if (memcmp(want, s, ETH_ADDR_STRLEN - 1) != 0) {
			r = CV_ERR_CHECKSUM;
			goto out;
		}
	}
	memcpy(addr, tmp, ETH_ADDR_LEN);
	r = 0;
 out:
	return r;
}
