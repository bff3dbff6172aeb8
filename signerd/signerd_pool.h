/*
 * signerd's signing workers: threads, started before the seccomp filter
 * (which covers them too), that make wallet signatures while the main
 * thread goes on reading vaultd's requests.
 *
 * One mutex guards the job queue and the channel's output buffer.  The
 * main thread holds it while it handles a message (so its answers and the
 * workers' never interleave inside a frame) and releases it only to block
 * for input and while it makes a wallet signature itself (its answer is
 * queued after it takes the lock again).  A worker takes a job, signs
 * without the lock, then queues its answer under the lock; the last
 * worker to go idle flushes.  Before anything but a signing request, the
 * main thread drains the pool: no job then reads the vault, the key
 * cache or the keys while they change.
 */
#ifndef SIGNERD_POOL_H
#define SIGNERD_POOL_H

#include <pthread.h>

#include "common/msg.h"

#define POOL_MAX	8	/* workers at most */

struct secp256k1_context_struct;

struct pool_job {
	struct pool_job	 *next;
	/* run by a worker: the job's answer into w (msg_begin done by it) */
	void		(*run)(struct pool_job *, struct secp256k1_context_struct *,
			    struct msg_w *w);
	void		(*free)(struct pool_job *);
};

struct signerd_pool {
	int			 n;		/* workers; 0: none */
	pthread_t		 t[POOL_MAX];
	struct secp256k1_context_struct *ctx[POOL_MAX];	/* one each */
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* a job is queued */
	pthread_cond_t		 idle;		/* queue empty, none busy */
	struct pool_job		*head, *tail;
	int			 busy;
	int			 started;	/* workers past their set-up */
	struct chan		*c;
	uint64_t		 jobs;		/* done by workers, for status */
};

/*
 * Start n worker threads (0 or 1: none, everything in the main thread)
 * answering on c.  Call after the privilege drop and namespaces, before
 * the seccomp filter.  Fatal on failure.
 */
void	signerd_pool_start(struct signerd_pool *, int n, struct chan *c);

/* The main thread's hold on the queue and the output. */
void	signerd_pool_lock(struct signerd_pool *);
void	signerd_pool_unlock(struct signerd_pool *);

/* With the lock held: 1 if workers run, so a job may be submitted. */
int	signerd_pool_on(const struct signerd_pool *);
/* With the lock held: queue job for a worker. */
void	signerd_pool_submit(struct signerd_pool *, struct pool_job *);
/* With the lock held: wait until no job is queued or running. */
void	signerd_pool_drain(struct signerd_pool *);

#endif
