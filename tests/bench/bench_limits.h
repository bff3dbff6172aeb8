/*
 * The limits of the machine that the path through the daemons is
 * measured against, each over repeated windows:
 *  - raw signing: libsecp256k1's recoverable sign on 1 thread and on 2
 *    (each thread its own context and its own copy of the key; the
 *    two rates added), and HMAC-SHA256 of an L2 message;
 *  - the hashing of a 64 KiB body, one thread: signerd's HMAC-SHA256
 *    and the BLAKE2b-256 of it that vaultd puts in the audit record;
 *  - the durable-write floor, in a directory given (the daemons' home,
 *    so the same file system): (a) a 212-byte record appended and
 *    fdatasync'ed, as the audit log is today; (b) 212 bytes written
 *    with pwrite to a file opened O_DSYNC, pre-allocated and written
 *    once before, so no write changes its size or extents;
 *  - the round trip of a 64-byte message between two processes over a
 *    socketpair, SOCK_STREAM and SOCK_SEQPACKET, where the scheduler
 *    puts them, and SOCK_SEQPACKET with both on one core: the
 *    difference is what waking a process on an idle core costs, which
 *    every hop between the daemons pays when they wait one at a time.
 * Latencies are per operation, in microseconds: each window gives its
 * p50 and p99.  Header-only so each benchmark stays one file.
 */
#ifndef CV_BENCH_LIMITS_H
#define CV_BENCH_LIMITS_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <sodium.h>

#include "common/clob_auth.h"
#include "common/secp.h"
#include "tests/bench/bench_lib.h"

#define LIM_RECORD	212		/* bytes: one signing record */
#define LIM_MSG		64		/* bytes: one socketpair message */
#define LIM_THREADS	2
#define LIM_BATCH	64
#define LIM_BODY	(64 * 1024)	/* the body goal's */

/* The vectors' public test wallet: no real key is ever benchmarked. */
#define LIM_KEY \
	"\xac\x09\x74\xbe\xc3\x9a\x17\xe3\x6b\xa4\xa6\xb4\xd2\x38\xff\x94" \
	"\x4b\xac\xb4\x78\xcb\xed\x5e\xfc\xae\x78\x4d\x7b\xf4\xf2\xff\x80"

struct limits {
	struct bstat	sign1, sign2, hmac;		/* ops/s */
	struct bstat	hmac_body, b2b_body;		/* of LIM_BODY */
	struct bstat	append50, append99;		/* us */
	struct bstat	dsync50, dsync99;
	struct bstat	stream50, seqpacket50, onecore50;
	int		windows, ops, rtts;	/* per figure, per window */
	double		secs;			/* a rate's window */
	char		err[160];	/* "": every figure was measured */
};

struct lim_signer {
	pthread_t		 th;
	pthread_barrier_t	*start;
	struct secp256k1_context_struct *ctx;
	uint8_t			 key[32];	/* the test key's own copy */
	double			 secs, rate;
	int			 err;
};

static void *
lim_signer_run(void *arg)
{
	struct lim_signer	*s = arg;
	uint8_t			 digest[32], sig[65];
	uint64_t		 n = 0;
	double			 t0, t;
	int			 k;

	memset(digest, 0x5a, sizeof(digest));
	pthread_barrier_wait(s->start);
	t0 = bench_now();
	do {
		/* a new digest every time: RFC 6979 has nothing to reuse */
		for (k = 0; k < LIM_BATCH; k++, n++) {
			memcpy(digest, &n, sizeof(n));
			if (secp_sign(s->ctx, s->key, digest, sig) != 0) {
				s->err = 1;
				return NULL;
			}
		}
		t = bench_now() - t0;
	} while (t < s->secs);
	s->rate = (double)n / t;
	return NULL;
}

/* nthreads signing at once for secs, windows times: the summed rates. */
static int
lim_sign(struct bstat *st, int nthreads, int windows, double secs)
{
	struct lim_signer	s[LIM_THREADS];
	pthread_barrier_t	start;
	double			sum;
	int			i, w, r = -1;

	memset(s, 0, sizeof(s));
	for (i = 0; i < nthreads; i++) {
		if ((s[i].ctx = secp_ctx_new()) == NULL)
			goto out;
		memcpy(s[i].key, LIM_KEY, sizeof(s[i].key));
		s[i].secs = secs;
		s[i].start = &start;
	}
	for (w = 0; w < windows; w++) {
		if (pthread_barrier_init(&start, NULL, (unsigned)nthreads) != 0)
			goto out;
		for (i = 0; i < nthreads; i++)
			if (pthread_create(&s[i].th, NULL, lim_signer_run,
			    &s[i]) != 0)
				abort();
		sum = 0;
		for (i = 0; i < nthreads; i++) {
			pthread_join(s[i].th, NULL);
			sum += s[i].rate;
		}
		pthread_barrier_destroy(&start);
		for (i = 0; i < nthreads; i++)
			if (s[i].err)
				goto out;
		bstat_add(st, sum);
	}
	r = 0;
 out:
	for (i = 0; i < nthreads; i++)
		secp_ctx_free(s[i].ctx);
	return r;
}

/*
 * One thread hashing an L2 request of len bytes of body (timestamp,
 * method, path, body): clob_hmac_sign, signerd's HMAC-SHA256, or with
 * b2b the BLAKE2b-256 vaultd's audit record takes of the body.
 */
static int
lim_hash(struct bstat *st, const uint8_t *body, size_t len, int b2b,
    int windows, double secs)
{
	uint8_t			key[32], digest[32];
	char			sig[CLOB_HMAC_SIG_LEN];
	volatile char		sink = 0;
	uint64_t		n;
	double			t0, t;
	int			w, k;

	memset(key, 0x41, sizeof(key));
	for (w = 0; w < windows; w++) {
		n = 0;
		t0 = bench_now();
		do {
			for (k = 0; k < LIM_BATCH; k++, n++) {
				if (b2b) {
					crypto_generichash(digest,
					    sizeof(digest), body, len, NULL, 0);
					sink ^= (char)digest[0];
					continue;
				}
				if (clob_hmac_sign(key, sizeof(key),
				    "1712345678", len ? "POST" : "GET",
				    "/auth/api-keys", body, len, sig) != 0)
					return -1;
				sink ^= sig[0];
			}
			t = bench_now() - t0;
		} while (t < secs);
		bstat_add(st, (double)n / t);
	}
	(void)sink;
	return 0;
}

/*
 * The durable-write floor in dir: windows of ops writes each, (a) and
 * (b) above.  A failure is said in err.
 */
static int
lim_floor(struct limits *l, const char *dir, int windows, int ops)
{
	char	 path[256], rec[LIM_RECORD];
	double	*lat, t;
	off_t	 size = (off_t)windows * ops * LIM_RECORD, off;
	int	 fd = -1, w, i, r = -1;
	const char *what = "";

	if ((lat = calloc((size_t)ops, sizeof(*lat))) == NULL)
		return -1;
	memset(rec, 'r', sizeof(rec));
	rec[sizeof(rec) - 1] = '\n';

	/* (a) append + fdatasync */
	snprintf(path, sizeof(path), "%s/floor.append", dir);
	what = "open (append)";
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) == -1)
		goto out;
	what = "append + fdatasync";
	for (w = 0; w < windows; w++) {
		for (i = 0; i < ops; i++) {
			t = bench_now();
			if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec) ||
			    fdatasync(fd) == -1)
				goto out;
			lat[i] = (bench_now() - t) * 1e6;
		}
		bstat_add(&l->append99, bench_pct(lat, (size_t)ops, 99));
		bstat_add(&l->append50, bench_pct(lat, (size_t)ops, 50));
	}
	close(fd);
	fd = -1;
	unlink(path);

	/* (b) pre-allocated, written once, then O_DSYNC pwrite */
	snprintf(path, sizeof(path), "%s/floor.dsync", dir);
	what = "fallocate + write once";
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    posix_fallocate(fd, 0, size) != 0)
		goto out;
	for (off = 0; off < size; off += (off_t)sizeof(rec))
		if (write(fd, rec, sizeof(rec)) != (ssize_t)sizeof(rec))
			goto out;
	if (fsync(fd) == -1 || close(fd) == -1)
		goto out;
	what = "open (O_DSYNC)";
	if ((fd = open(path, O_WRONLY | O_DSYNC)) == -1)
		goto out;
	what = "O_DSYNC pwrite";
	for (off = 0, w = 0; w < windows; w++) {
		for (i = 0; i < ops; i++, off += (off_t)sizeof(rec)) {
			t = bench_now();
			if (pwrite(fd, rec, sizeof(rec), off) !=
			    (ssize_t)sizeof(rec))
				goto out;
			lat[i] = (bench_now() - t) * 1e6;
		}
		bstat_add(&l->dsync99, bench_pct(lat, (size_t)ops, 99));
		bstat_add(&l->dsync50, bench_pct(lat, (size_t)ops, 50));
	}
	r = 0;
 out:
	if (r != 0)
		snprintf(l->err, sizeof(l->err), "durable floor: %s: %s", what,
		    strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(path);
	free(lat);
	return r;
}

/* Read exactly len bytes (a stream may split a message). */
static int
lim_read(int fd, uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Round trips of LIM_MSG bytes to a child that echoes them, over a
 * socketpair of type: the p50 of each window of ops.  onecore: this
 * process and the child both run on the core this process is on.
 */
static int
lim_rtt(struct bstat *st, int type, int onecore, int windows, int ops)
{
	uint8_t	 msg[LIM_MSG];
	cpu_set_t mask, one;
	double	*lat, t;
	pid_t	 pid = -1;
	int	 sv[2], w, i, cpu, pinned = 0, r = -1;

	if ((lat = calloc((size_t)ops, sizeof(*lat))) == NULL)
		return -1;
	if (socketpair(AF_UNIX, type, 0, sv) == -1) {
		free(lat);
		return -1;
	}
	if (onecore) {
		if (sched_getaffinity(0, sizeof(mask), &mask) == -1 ||
		    (cpu = sched_getcpu()) == -1)
			goto out;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == -1)
			goto out;
		pinned = 1;
	}
	if ((pid = fork()) == -1)
		goto out;
	if (pid == 0) {
		close(sv[0]);
		while (lim_read(sv[1], msg, sizeof(msg)) == 0)
			if (write(sv[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg))
				break;
		_exit(0);
	}
	memset(msg, 'm', sizeof(msg));
	for (w = 0; w < windows; w++) {
		for (i = 0; i < ops; i++) {
			t = bench_now();
			if (write(sv[0], msg, sizeof(msg)) !=
			    (ssize_t)sizeof(msg) ||
			    lim_read(sv[0], msg, sizeof(msg)) != 0)
				goto out;
			lat[i] = (bench_now() - t) * 1e6;
		}
		bstat_add(st, bench_pct(lat, (size_t)ops, 50));
	}
	r = 0;
 out:
	close(sv[0]);
	close(sv[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (pinned && sched_setaffinity(0, sizeof(mask), &mask) == -1)
		r = -1;
	free(lat);
	return r;
}

/*
 * Measure every limit, the durable floor in dir.  quick: short windows.
 * 0, or -1 with what failed in l->err (the figures measured are kept).
 */
static int
limits_measure(struct limits *l, const char *dir, int quick)
{
	static uint8_t	lim_body[LIM_BODY];

	memset(lim_body, 'b', sizeof(lim_body));
	memset(l, 0, sizeof(*l));
	l->windows = 5;
	l->ops = quick ? 100 : 400;
	l->rtts = quick ? 2000 : 10000;
	l->secs = quick ? 0.1 : 0.5;
	if (lim_sign(&l->sign1, 1, l->windows, l->secs) != 0 ||
	    lim_sign(&l->sign2, 2, l->windows, l->secs) != 0) {
		snprintf(l->err, sizeof(l->err), "raw signing failed");
		return -1;
	}
	if (lim_hash(&l->hmac, NULL, 0, 0, l->windows, l->secs) != 0 ||
	    lim_hash(&l->hmac_body, lim_body, sizeof(lim_body), 0,
	    l->windows, l->secs) != 0 ||
	    lim_hash(&l->b2b_body, lim_body, sizeof(lim_body), 1,
	    l->windows, l->secs) != 0) {
		snprintf(l->err, sizeof(l->err), "HMAC-SHA256 failed");
		return -1;
	}
	if (lim_floor(l, dir, l->windows, l->ops) != 0)
		return -1;
	if (lim_rtt(&l->stream50, SOCK_STREAM, 0, l->windows,
	    l->rtts) != 0 ||
	    lim_rtt(&l->seqpacket50, SOCK_SEQPACKET, 0, l->windows,
	    l->rtts) != 0 ||
	    lim_rtt(&l->onecore50, SOCK_SEQPACKET, 1, l->windows,
	    l->rtts) != 0) {
		snprintf(l->err, sizeof(l->err), "socketpair round trip: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The limits table. */
static void
limits_print(const struct limits *l)
{
	const struct {
		const char		*what;
		const struct bstat	*st;
		int			 prec;	/* rates 0, latencies 1 */
	} rows[] = {
		{ "raw secp256k1 recoverable sign, 1 thread /s", &l->sign1, 0 },
		{ "raw secp256k1 recoverable sign, 2 threads /s", &l->sign2,
		    0 },
		{ "HMAC-SHA256 (27 B message) /s", &l->hmac, 0 },
		{ "HMAC-SHA256 (64 KiB body) /s", &l->hmac_body, 0 },
		{ "BLAKE2b-256 (64 KiB body, the audit's) /s", &l->b2b_body,
		    0 },
		{ "(a) append 212 B + fdatasync, p50 us", &l->append50, 1 },
		{ "(a) append 212 B + fdatasync, p99 us", &l->append99, 1 },
		{ "(b) pre-allocated, O_DSYNC pwrite, p50 us", &l->dsync50,
		    1 },
		{ "(b) pre-allocated, O_DSYNC pwrite, p99 us", &l->dsync99,
		    1 },
		{ "socketpair round trip, SOCK_STREAM, p50 us", &l->stream50,
		    1 },
		{ "socketpair round trip, SOCK_SEQPACKET, p50 us",
		    &l->seqpacket50, 1 },
		{ "  the same, both ends on one core, p50 us", &l->onecore50,
		    1 },
	};
	size_t	i;

	printf("limits of this machine, measured now: min median max over "
	    "%d windows\n", l->windows);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		printf("  %-44s", rows[i].what);
		bstat_print(rows[i].st, 10, rows[i].prec);
		printf("\n");
	}
	printf("  (a window: %.1f s for a rate, %d writes of the floor "
	    "in the daemons' home,\n   %d round trips of %d B to a child "
	    "process)\n", l->secs, l->ops, l->rtts, LIM_MSG);
	if (l->err[0] != '\0')
		printf("  not available: %s\n", l->err);
}

#endif
