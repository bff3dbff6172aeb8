/*
 * What vaultd's threads beside its loop, the audit syncer (vaultd_sync.c)
 * and the audit scanner (vaultd_scan.c), share: each is made with every
 * signal blocked, for signals are the loop's (signalfd), and tells the
 * loop it has ended a piece of work with a byte on a non-blocking pipe
 * the loop polls.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "common/log.h"
#include "vaultd/vaultd.h"

int
vaultd_thread_start(pthread_t *t, void *(*fn)(void *), void *arg,
    const char *what)
{
	sigset_t	all, old;
	int		r;

	sigfillset(&all);
	if (pthread_sigmask(SIG_BLOCK, &all, &old) != 0)
		fatalx("%s: cannot block signals", what);
	r = pthread_create(t, NULL, fn, arg);
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		fatalx("%s: cannot restore the signal mask", what);
	return r;
}

void
vaultd_thread_wake(int fd)
{
	char	b = 'w';

	while (write(fd, &b, 1) == -1 && errno == EINTR)
		;
}

int
vaultd_thread_woken(int fd, const char *what)
{
	char	b;
	ssize_t	n;

	do {
		n = read(fd, &b, 1);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && errno == EAGAIN)
		return 0;
	if (n != 1)
		fatal("%s: read", what);
	return 1;
}
