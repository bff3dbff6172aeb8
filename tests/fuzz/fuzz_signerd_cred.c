/*
 * Fuzz signerd's reading of a credential body, as netd seals one from an
 * exchange's answer and as the vault keeps it: "secret NUL passphrase"
 * or, for Omnia, "secret NUL permissions", either with an optional
 * "NUL created=T" (vault_fmt_cred_len, signerd_omnia_check).  The body
 * is handed over in a block of exactly its size.  What is admitted must
 * be as promised: the stamp cut at a NUL, a fingerprint of 16 hex
 * digits, permissions that split again.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/netcall.h"
#include "common/vault_fmt.h"
#include "signerd/signerd_vault.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 fp[17], perms[NETCALL_PERMS_MAX *
			    (NETCALL_PERM_MAX + 1) + 1];
	char		 one[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	uint8_t		*p;
	size_t		 len, i, n;
	int64_t		 created;

	if (sodium_init() < 0 || (p = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(p, data, size);
	len = vault_fmt_cred_len(p, size, &created);
	if (len > size || (len < size && (p[len] != 0 || created < 0)) ||
	    (len == size && created != 0))
		abort();
	memset(fp, 'x', sizeof(fp));
	if (signerd_omnia_check(p, size, fp, perms, sizeof(perms)) == 0) {
		if (strlen(fp) != 16)
			abort();
		for (i = 0; i < 16; i++)
			if (!((fp[i] >= '0' && fp[i] <= '9') ||
			    (fp[i] >= 'a' && fp[i] <= 'f')))
				abort();
		if (netcall_perms_split(perms, one, &n) != 0)
			abort();
	}
	free(p);
	return 0;
}
