#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secmem.h"

static unsigned long	lock_failures;	/* atomic: signing workers too */

/*
 * Fatal would stop a daemon on a host whose limit is small and which has
 * no swap at all (many containers); silence would leave the operator
 * believing key memory cannot reach swap.  So: one warning, at the first
 * failure, in the daemon's log.
 */
int
secmem_lock(const void *p, size_t len)
{
	uintptr_t	page = (uintptr_t)sysconf(_SC_PAGESIZE), lo, hi;
	int		e;

	if (len == 0)
		return 0;
	lo = (uintptr_t)p & ~(page - 1);
	hi = ((uintptr_t)p + len + page - 1) & ~(page - 1);
	if (mlock((const void *)lo, hi - lo) == 0)
		return 0;
	e = errno;
	if (__atomic_fetch_add(&lock_failures, 1, __ATOMIC_RELAXED) == 0)
		log_warnx("cannot lock memory that holds secrets (mlock: %s): "
		    "it may be written to swap; raise the memory lock limit "
		    "(LimitMEMLOCK=, ulimit -l) or run without swap",
		    strerror(e));
	errno = e;
	return -1;
}

unsigned long
secmem_lock_failures(void)
{
	return __atomic_load_n(&lock_failures, __ATOMIC_RELAXED);
}

int
secret_alloc(struct secret *s, size_t len)
{
	memset(s, 0, sizeof(*s));
	if (len == 0)
		return CV_ERR_INVALID;
	if ((s->p = sodium_malloc(len)) == NULL)
		return CV_ERR_NOMEM;
	s->len = len;
	/*
	 * Pages sodium_malloc locked lock again at no cost; pages it could
	 * not lock fail again, and that is told.  Its region is its own
	 * pages, and sodium_free unlocks them.
	 */
	(void)secmem_lock(s->p, len);
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
