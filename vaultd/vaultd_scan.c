/*
 * vaultd's audit scanner: one thread that reads the whole audit log for
 * the control socket's audit verify and filtered audit show, so that the
 * loop goes on signing while it reads.  Read in the loop, a verify of a
 * log of 135 MB held every signing request for over a second.  The loop
 * gives it one scan at a time, with a snapshot of the log taken after
 * the loop wrote every record out (vaultd_audit.c); when the scan is done
 * the thread writes a byte on a pipe the loop polls, and the loop
 * answers the client.  The thread is made at the first scan, and touches
 * nothing of vaultd but the job it was given.
 */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vaultd/vaultd.h"

static void *
scanner(void *arg)
{
	struct vd_scanner	*s = arg;
	struct vd_scan_job	*job;
	int			 r;

	for (;;) {
		pthread_mutex_lock(&s->mu);
		while (s->job == NULL)
			pthread_cond_wait(&s->cv, &s->mu);
		job = s->job;
		s->job = NULL;
		pthread_mutex_unlock(&s->mu);

		r = job->run(job);

		/* the loop takes the lock before it reads the results */
		pthread_mutex_lock(&s->mu);
		job->r = r;
		pthread_mutex_unlock(&s->mu);
		vaultd_thread_wake(s->pipe[1]);
	}
	return NULL;
}

static int
scan_start(struct vd_scanner *s)
{
	int	r;

	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("audit scanner: pipe");
		return CV_ERR_IO;
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->cv, NULL) != 0)
		fatalx("audit scanner: cannot set up");
	if ((r = vaultd_thread_start(&s->t, scanner, s,
	    "audit scanner")) != 0) {
		log_warnx("audit scanner: %s", strerror(r));
		close(s->pipe[0]);
		close(s->pipe[1]);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		return CV_ERR_NOMEM;
	}
	s->on = 1;
	return 0;
}

int
vaultd_scan_begin(struct vaultd *vd, struct vd_scan_job *job)
{
	struct vd_scanner	*s = &vd->scanner;
	int			 r;

	if (s->running != NULL)
		return CV_ERR_AGAIN;
	if (!s->on && (r = scan_start(s)) != 0)
		return r;
	s->running = job;
	pthread_mutex_lock(&s->mu);
	s->job = job;
	pthread_mutex_unlock(&s->mu);
	pthread_cond_signal(&s->cv);
	return 0;
}

/* The pipe to poll while a scan runs, else -1. */
int
vaultd_scan_pollfd(const struct vaultd *vd)
{
	return vd->scanner.running != NULL ? vd->scanner.pipe[0] : -1;
}

/* The pipe was readable: the scan is done; answer its client. */
void
vaultd_scan_end(struct vaultd *vd)
{
	struct vd_scanner	*s = &vd->scanner;
	struct vd_scan_job	*job = s->running;

	if (job == NULL || !vaultd_thread_woken(s->pipe[0], "audit scanner"))
		return;
	pthread_mutex_lock(&s->mu);
	pthread_mutex_unlock(&s->mu);
	s->running = NULL;
	job->done(vd, job);
}
