/*
 * signerd's signing workers (signerd_pool.h).  Threads rather than more
 * signerd processes: the decoded keys stay in one guarded region that
 * only this process maps, one vault state answers every request, and a
 * worker costs a thread's stack, not another copy of every key.
 */
#include <signal.h>
#include <string.h>

#include "common/log.h"
#include "common/secp.h"
#include "signerd/signerd_pool.h"

#define WORKER_STACK	(1024 * 1024)

struct worker_arg {
	struct signerd_pool	*pool;
	int			 i;
};
static struct worker_arg	worker_args[POOL_MAX];

static void *
worker(void *arg)
{
	struct worker_arg	*wa = arg;
	struct signerd_pool	*pool = wa->pool;
	struct pool_job		*job;
	struct msg_w		 w;
	int			 r;

	/* running: the thread's own set-up (rseq) is done before the filter */
	pthread_mutex_lock(&pool->mu);
	pool->started++;
	pthread_cond_signal(&pool->idle);
	pthread_mutex_unlock(&pool->mu);
	for (;;) {
		pthread_mutex_lock(&pool->mu);
		while (pool->head == NULL)
			pthread_cond_wait(&pool->work, &pool->mu);
		job = pool->head;
		if ((pool->head = job->next) == NULL)
			pool->tail = NULL;
		pool->busy++;
		pthread_mutex_unlock(&pool->mu);

		memset(&w, 0, sizeof(w));
		job->run(job, pool->ctx[wa->i], &w);
		job->free(job);

		pthread_mutex_lock(&pool->mu);
		if ((r = chan_queue(pool->c, &w)) != 0)
			fatalx("cannot queue an answer: %s", cv_strerror(r));
		pool->busy--;
		pool->jobs++;
		/* the last one out sends what is queued */
		if (pool->head == NULL) {
			if ((r = chan_flush(pool->c)) != 0)
				fatalx("write to vaultd: %s", cv_strerror(r));
			if (pool->busy == 0)
				pthread_cond_signal(&pool->idle);
		}
		pthread_mutex_unlock(&pool->mu);
	}
	return NULL;
}

void
signerd_pool_start(struct signerd_pool *pool, int n, struct chan *c)
{
	pthread_attr_t	attr;
	sigset_t	all, old;
	int		i, r;

	memset(pool, 0, sizeof(*pool));
	pool->c = c;
	if (pthread_mutex_init(&pool->mu, NULL) != 0 ||
	    pthread_cond_init(&pool->work, NULL) != 0 ||
	    pthread_cond_init(&pool->idle, NULL) != 0)
		fatalx("cannot set up the signing workers");
	if (n <= 1)
		return;
	if (n > POOL_MAX)
		n = POOL_MAX;
	/* signals are the main thread's */
	sigfillset(&all);
	if (pthread_sigmask(SIG_BLOCK, &all, &old) != 0 ||
	    pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, WORKER_STACK) != 0)
		fatalx("cannot set up the signing workers");
	for (i = 0; i < n; i++) {
		/* a context each: its blinding is its own */
		if ((pool->ctx[i] = secp_ctx_new()) == NULL)
			fatalx("cannot create a secp256k1 context");
		worker_args[i].pool = pool;
		worker_args[i].i = i;
		if ((r = pthread_create(&pool->t[i], &attr, worker,
		    &worker_args[i])) != 0)
			fatalx("cannot start signing worker %d: %s", i,
			    strerror(r));
		pool->n++;
	}
	pthread_attr_destroy(&attr);
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		fatalx("cannot restore the signal mask");
	pthread_mutex_lock(&pool->mu);
	while (pool->started < pool->n)
		pthread_cond_wait(&pool->idle, &pool->mu);
	pthread_mutex_unlock(&pool->mu);
}

void
signerd_pool_lock(struct signerd_pool *pool)
{
	pthread_mutex_lock(&pool->mu);
}

void
signerd_pool_unlock(struct signerd_pool *pool)
{
	pthread_mutex_unlock(&pool->mu);
}

int
signerd_pool_on(const struct signerd_pool *pool)
{
	return pool->n > 0;
}

void
signerd_pool_submit(struct signerd_pool *pool, struct pool_job *job)
{
	job->next = NULL;
	if (pool->tail != NULL)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pthread_cond_signal(&pool->work);
}

void
signerd_pool_drain(struct signerd_pool *pool)
{
	while (pool->head != NULL || pool->busy > 0)
		pthread_cond_wait(&pool->idle, &pool->mu);
}
