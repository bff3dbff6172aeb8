#include <string.h>

#include <sodium.h>

#include "common/secmem.h"

int
secret_alloc(struct secret *s, size_t len)
{
	memset(s, 0, sizeof(*s));
	if (len == 0)
		return CV_ERR_INVALID;
	if ((s->p = sodium_malloc(len)) == NULL)
		return CV_ERR_NOMEM;
	s->len = len;
	return 0;
}

void
secret_lock(struct secret *s)
{
	if (s->p != NULL)
		sodium_mprotect_noaccess(s->p);
}

void
secret_unlock(struct secret *s)
{
	if (s->p != NULL)
		sodium_mprotect_readwrite(s->p);
}

void
secret_free(struct secret *s)
{
	if (s->p != NULL)
		sodium_free(s->p);	/* wipes, unlocks, unmaps */
	memset(s, 0, sizeof(*s));
}
