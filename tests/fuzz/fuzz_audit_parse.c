/*
 * Fuzz the audit log: the input as one record line (which, once parsed,
 * must format back to the same bytes) and as a whole log to verify, with
 * and without an anchor.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/audit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t	pk[AUDIT_PK_LEN];
static int	ready;

static void
key_init(void)
{
	uint8_t	seed[crypto_sign_SEEDBYTES], sk[AUDIT_SK_LEN];

	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x11, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_rec	r;
	struct audit_report	rep;
	struct audit_anchor	a;
	char			buf[AUDIT_LINE_MAX + 1];
	const char		*text = (const char *)data;
	size_t			n;

	key_init();
	if (audit_record_parse(text, size, &r) == 0) {
		if (audit_record_format(&r, buf, sizeof(buf), &n) != 0 ||
		    n != size || memcmp(buf, data, size) != 0)
			abort();
	}
	(void)!audit_verify(text, size, pk, NULL, &rep);
	if (rep.head.seq > rep.records)
		abort();
	a.seq = 3;
	memset(a.hash, 0, sizeof(a.hash));
	(void)!audit_verify(text, size, pk, &a, &rep);
	return 0;
}
