/*
 * vaultd's audit syncer: one thread whose only work is fdatasync(2) of
 * the audit journal, and now and then of audit.log (vaultd_wal.c), so
 * that the loop goes on reading requests, writing their records and
 * passing signerd's answers while the disk works.  The loop asks for a
 * sync of everything written so far; when it is done the thread writes
 * a byte on a pipe the loop polls, and the loop releases what waited for
 * it (vaultd_sign.c).  One sync at a time: records written meanwhile
 * wait for the next one, which covers them all (a group commit).  The
 * thread touches no other state of vaultd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vaultd/vaultd.h"

static void *
syncer(void *arg)
{
	struct vd_syncer	*s = arg;
	struct timespec		 ts;
	int			 fd, logfd, err, errlog, slow;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (!s->job)
			pthread_cond_wait(&s->cv, &s->mu);
		s->job = 0;
		fd = s->fd;
		logfd = s->logfd;
		slow = s->slow;
		s->slow = 0;
		pthread_mutex_unlock(&s->mu);

		if (slow) {		/* test mode: a slow disk */
			ts.tv_sec = VAULTD_SYNC_SLOW_MS / 1000;
			ts.tv_nsec = (VAULTD_SYNC_SLOW_MS % 1000) * 1000000L;
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		err = logfd != -1 && fdatasync(logfd) == -1 ? errno : 0;
		errlog = err != 0;
		if (err == 0 && fdatasync(fd) == -1)
			err = errno;

		pthread_mutex_lock(&s->mu);
		s->err = err;
		s->errlog = errlog;
		pthread_mutex_unlock(&s->mu);
		vaultd_thread_wake(s->pipe[1]);
	}
	return NULL;
}

void
vaultd_sync_start(struct vaultd *vd)
{
	struct vd_syncer	*s = &vd->syncer;
	int			 r;

	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("audit syncer: pipe");
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->cv, NULL) != 0)
		fatalx("audit syncer: cannot set up");
	if ((r = vaultd_thread_start(&s->t, syncer, s, "audit syncer")) != 0)
		fatalx("audit syncer: %s", strerror(r));
	s->on = 1;
}

/* A sync is under way, or ended and not yet taken. */
int
vaultd_sync_busy(const struct vaultd *vd)
{
	return vd->syncer.busy || vd->syncer.ended;
}

void
vaultd_sync_slow(struct vaultd *vd)
{
	if (!vd->syncer.on)
		return;
	pthread_mutex_lock(&vd->syncer.mu);
	vd->syncer.slow = 1;
	pthread_mutex_unlock(&vd->syncer.mu);
}

int
vaultd_sync_pollfd(const struct vaultd *vd)
{
	return vd->syncer.on ? vd->syncer.pipe[0] : -1;
}

void
vaultd_sync_begin(struct vaultd *vd, int fd, int logfd)
{
	struct vd_syncer	*s = &vd->syncer;

	pthread_mutex_lock(&s->mu);
	s->fd = fd;
	s->logfd = logfd;
	s->job = 1;
	pthread_mutex_unlock(&s->mu);
	/* after the unlock: woken, the thread need not wait for the lock */
	pthread_cond_signal(&s->cv);
	s->busy = 1;
}

/*
 * Collect the end of the sync under way, if it has ended (block 0: its
 * pipe was readable) or once it ends (block 1); vaultd_sync_take then
 * says so, once.  A failed sync stops vaultd, as a failed write does.
 */
void
vaultd_sync_end(struct vaultd *vd, int block)
{
	struct vd_syncer	*s = &vd->syncer;
	struct pollfd		 pfd = { s->pipe[0], POLLIN, 0 };
	int			 err, errlog;

	if (!s->busy)
		return;
	while (block && poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			fatal("audit syncer: poll");
	if (!vaultd_thread_woken(s->pipe[0], "audit syncer"))
		return;
	pthread_mutex_lock(&s->mu);
	err = s->err;
	errlog = s->errlog;
	pthread_mutex_unlock(&s->mu);
	if (err != 0) {
		errno = err;
		fatal("audit: cannot sync %s", errlog ? vd->auditpath :
		    vd->wal.path);
	}
	s->busy = 0;
	s->ended = 1;
}

int
vaultd_sync_take(struct vaultd *vd)
{
	if (!vd->syncer.ended)
		return 0;
	vd->syncer.ended = 0;
	return 1;
}

/* A sync ended and is not yet taken: the loop must not sleep. */
int
vaultd_sync_ended(const struct vaultd *vd)
{
	return vd->syncer.ended;
}
