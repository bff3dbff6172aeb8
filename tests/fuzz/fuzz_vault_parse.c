/*
 * Fuzz the vault file parser as vaultd runs it on whatever is on disk,
 * then the checks signerd runs with a fixed key.  A file that parses must
 * encode back to the same bytes.  The input is tried as it is and with its
 * header checksum made right, so that mutations of the header fields get
 * past the checksum and reach the field checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/vault_crypto.h"
#include "common/vault_fmt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Fixed key material: master, record and MAC keys (vault_crypto.h). */
static struct vault_keys	keys;

static void
keys_init(void)
{
	if (keys.s.p != NULL)
		return;
	if (sodium_init() < 0 || secret_alloc(&keys.s, 3 * VAULT_KEY_LEN) != 0)
		abort();
	memset(keys.s.p, 0x5a, keys.s.len);
}

static void
one(const uint8_t *data, size_t size)
{
	struct vault	 v;
	struct secret	 pt;
	uint8_t		 ad[VAULT_REC_AD_MAX], *out;
	size_t		 i, outlen;

	if (vault_fmt_parse(data, size, &v) != 0)
		return;
	if (vault_fmt_encode(&v, &out, &outlen) != 0 || outlen != size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
	for (i = 0; i < v.nrecs; i++) {
		if (vault_fmt_rec_ad(&v.hdr, &v.recs[i], ad) == 0)
			abort();
		if (vault_crypto_open(&keys, &v.hdr, &v.recs[i], &pt) == 0)
			secret_free(&pt);
	}
	memcpy(keys.vault_id, v.hdr.vault_id, VAULT_ID_LEN);
	(void)!vault_crypto_verify(&keys, data, size, 0);
	vault_free(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*copy;

	keys_init();
	one(data, size);
	if (size < VAULT_HEADER_LEN || (copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data, size);
	crypto_generichash(copy + VAULT_HEADER_LEN - VAULT_CKSUM_LEN,
	    VAULT_CKSUM_LEN, copy, VAULT_HEADER_LEN - VAULT_CKSUM_LEN, NULL, 0);
	one(copy, size);
	free(copy);
	return 0;
}
