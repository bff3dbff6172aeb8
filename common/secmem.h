/*
 * Guarded memory for secrets (libsodium): guard pages, mlock'd, excluded
 * from core dumps, inaccessible while idle, wiped when freed.
 *
 * sodium_malloc's mlock is best effort: past the memory lock limit
 * (RLIMIT_MEMLOCK) it leaves the pages swappable and says nothing.
 * secret_alloc checks, and the first time memory meant to be locked
 * could not be, the process logs one warning (secmem_lock).
 */
#ifndef CV_SECMEM_H
#define CV_SECMEM_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"

struct secret {
	uint8_t	*p;
	size_t	 len;
};

/* Allocate len bytes, readable and writable until secret_lock. */
int	secret_alloc(struct secret *, size_t len) CV_WUR;
/* Make the bytes inaccessible (idle) / readable and writable again. */
void	secret_lock(struct secret *);
void	secret_unlock(struct secret *);
/* Wipe and free; accepts an empty secret. */
void	secret_free(struct secret *);

/*
 * mlock the pages of p[0..len): 0, or -1 when they could not be locked,
 * logged once per process (the message names no content).  Pages are
 * locked whole: p's pages must hold nothing another owner may unlock.
 */
int	secmem_lock(const void *p, size_t len);
/* How many times secmem_lock failed (tests). */
unsigned long	secmem_lock_failures(void);

#endif
