/*
 * Guarded memory for secrets (libsodium): guard pages, mlock'd, excluded
 * from core dumps, inaccessible while idle, wiped when freed.
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

#endif
