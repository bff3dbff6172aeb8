/*
 * The measuring side of tests/bench/bench_gateway.c, header-only for
 * that one program:
 *  - a run: n requests kept in flight for some seconds with libcurl's
 *    multi interface, each slot an easy handle whose connection stays
 *    in the multi handle's pool (HTTP/1.1 keep-alive: n in flight is n
 *    connections), the caller making each request and judging each
 *    answer; what it counts (right answers by kind, errors by text,
 *    latencies when one at a time, new connections);
 *  - what the processes around it did: CPU time, resident memory, the
 *    machine's load; and the durable-write floor of a file system.
 */
#ifndef BENCH_GW_H
#define BENCH_GW_H

#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "tests/bench/bench_lib.h"

#define GW_SLOTS_MAX	64		/* requests in flight */
#define GW_KINDS	3		/* kinds of request a run counts */
#define GW_ERRS		8		/* distinct errors kept */
#define GW_ERR_LEN	200
#define GW_ANSWER_MAX	(1024 * 1024)	/* an answer kept whole up to */
#define GW_LAT_MAX	400000		/* latencies kept per run */
#define GW_PROCS	5		/* the processes watched */
#define GW_FLOOR_WRITES	1000		/* durable appends timed */

struct gw_err {
	char		what[GW_ERR_LEN];
	uint64_t	n;
};

/* Errors by their text; past GW_ERRS distinct ones, counted as other. */
struct gw_errs {
	struct gw_err	e[GW_ERRS];
	size_t		n;
	uint64_t	other, total;
};

/* An answer as it comes. */
struct gw_buf {
	char		*p;
	size_t		 len, cap;
	int		 over;
};

/* One request in flight: what the caller made, what came back. */
struct gw_slot {
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			*body;
	struct gw_buf		 ans;
	int			 kind;
	char			 id[80];	/* the caller's, kept */
	int64_t			 t0;
};

struct gw_run;

/*
 * A run.  start makes the slot's next request (gw_send); done judges
 * its answer and counts it (ok[kind]++ or gw_err_add); tick, if set,
 * is called at 0 and every tick_s seconds with the time since the
 * start.  n slots from slots[] are used; lat is filled when n is 1.
 */
struct gw_run {
	void		*arg;
	int		 n;
	double		 secs;
	int		(*start)(struct gw_run *, struct gw_slot *);
	void		(*done)(struct gw_run *, struct gw_slot *, CURLcode);
	void		(*tick)(struct gw_run *, double);
	double		 tick_s;
	/* what it counted */
	double		*lat;		/* us */
	size_t		 nlat;
	uint64_t	 ok[GW_KINDS];
	uint64_t	 connects;
	struct gw_errs	 errs;
	double		 elapsed;
};

/* The CPU time of the processes that share the machine. */
struct gw_cpu {
	const char	*name[GW_PROCS];
	pid_t		 pid[GW_PROCS];
	uint64_t	 mark[GW_PROCS];
	uint64_t	 mark_busy;	/* the whole machine's */
	double		 mark_t;
};

/*
 * What they used over some stretches of time, and what every other
 * process did meanwhile (the machine's busy time less theirs).
 */
struct gw_cpu_use {
	uint64_t	 ticks[GW_PROCS];
	uint64_t	 busy;
	double		 secs;
};

static inline int64_t
gw_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int
gw_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th quantile (0..1) of v, which is sorted here; 0 if empty. */
static inline double
gw_pct(double *v, size_t n, double p)
{
	size_t	i;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), gw_cmp_double);
	i = (size_t)(p * (double)n);
	return v[i < n ? i : n - 1];
}

static inline size_t
gw_buf_cb(char *p, size_t size, size_t n, void *arg)
{
	struct gw_buf	*b = arg;
	size_t		 len = size * n, cap;
	char		*nb;

	if (b->len + len + 1 > GW_ANSWER_MAX) {
		b->over = 1;
		return len;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((nb = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = nb;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/* Count n errors of one kind; what is cut to fit and made printable. */
static inline void
gw_err_addn(struct gw_errs *es, const char *what, uint64_t n)
{
	char	s[GW_ERR_LEN];
	size_t	i;

	snprintf(s, sizeof(s), "%.*s", (int)sizeof(s) - 1, what);
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = ' ';
	es->total += n;
	for (i = 0; i < es->n; i++)
		if (strcmp(es->e[i].what, s) == 0) {
			es->e[i].n += n;
			return;
		}
	if (es->n == GW_ERRS) {
		es->other += n;
		return;
	}
	memcpy(es->e[es->n].what, s, sizeof(s));
	es->e[es->n++].n = n;
}

static inline void
gw_err_add(struct gw_errs *es, const char *what)
{
	gw_err_addn(es, what, 1);
}

static inline void
gw_errs_merge(struct gw_errs *to, const struct gw_errs *from)
{
	size_t	i;

	for (i = 0; i < from->n; i++)
		gw_err_addn(to, from->e[i].what, from->e[i].n);
	to->other += from->other;
	to->total += from->other;
}

static inline void
gw_errs_print(const struct gw_errs *es, const char *indent)
{
	size_t	i;

	for (i = 0; i < es->n; i++)
		printf("%s%8" PRIu64 "  %s\n", indent, es->e[i].n,
		    es->e[i].what);
	if (es->other > 0)
		printf("%s%8" PRIu64 "  (other errors)\n", indent, es->other);
}

/*
 * Send method url with the slot's headers and body (NULL: none) on the
 * slot's easy handle, made once and reset for each request (the
 * connection stays in the multi handle's pool).  0 once added.
 */
static inline int
gw_send(CURLM *multi, struct gw_slot *s, const char *method,
    const char *url)
{
	if (s->easy == NULL && (s->easy = curl_easy_init()) == NULL)
		return -1;
	curl_easy_reset(s->easy);
	s->ans.len = 0;
	s->ans.over = 0;
	curl_easy_setopt(s->easy, CURLOPT_URL, url);
	curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, gw_buf_cb);
	curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->ans);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
	if (s->body != NULL) {
		curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body);
		curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(s->body));
	}
	s->t0 = gw_us();
	return curl_multi_add_handle(multi, s->easy) == CURLM_OK ? 0 : -1;
}

/*
 * rn->n requests in flight for rn->secs, then the stragglers: each
 * slot starts its next request as soon as its answer is judged.
 */
static inline int
gw_run_go(CURLM *multi, struct gw_slot *slots, struct gw_run *rn)
{
	struct gw_slot	*s;
	CURLMsg		*m;
	int64_t		 t0, end, next_tick = 0;
	long		 nc;
	int		 i, inflight = 0, still, q, numfds;

	if (rn->n < 1 || rn->n > GW_SLOTS_MAX)
		return -1;
	if (rn->n == 1 && (rn->lat = calloc(GW_LAT_MAX,
	    sizeof(*rn->lat))) == NULL)
		return -1;
	t0 = gw_us();
	end = t0 + (int64_t)(rn->secs * 1e6);
	if (rn->tick != NULL) {
		rn->tick(rn, 0);
		next_tick = t0 + (int64_t)(rn->tick_s * 1e6);
	}
	for (i = 0; i < rn->n; i++, inflight++)
		if (rn->start(rn, &slots[i]) != 0)
			return -1;
	while (inflight > 0) {
		if (curl_multi_perform(multi, &still) != CURLM_OK)
			return -1;
		while ((m = curl_multi_info_read(multi, &q)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&s);
			curl_multi_remove_handle(multi, s->easy);
			if (rn->lat != NULL && rn->nlat < GW_LAT_MAX)
				rn->lat[rn->nlat++] = (double)(gw_us() - s->t0);
			nc = 0;
			curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &nc);
			rn->connects += (uint64_t)nc;
			rn->done(rn, s, m->data.result);
			inflight--;
			if (gw_us() < end) {
				if (rn->start(rn, s) != 0)
					return -1;
				inflight++;
			}
		}
		if (rn->tick != NULL && next_tick <= end &&
		    gw_us() >= next_tick) {
			rn->tick(rn, (double)(next_tick - t0) / 1e6);
			next_tick += (int64_t)(rn->tick_s * 1e6);
		}
		if (inflight > 0 && curl_multi_poll(multi, NULL, 0, 100,
		    &numfds) != CURLM_OK)
			return -1;
	}
	rn->elapsed = (double)(gw_us() - t0) / 1e6;
	return 0;
}

static inline void
gw_run_free(struct gw_run *rn)
{
	free(rn->lat);
	rn->lat = NULL;
}

/* Right answers per second. */
static inline double
gw_run_rate(const struct gw_run *rn)
{
	uint64_t	n = 0;
	int		k;

	for (k = 0; k < GW_KINDS; k++)
		n += rn->ok[k];
	return rn->elapsed > 0 ? (double)n / rn->elapsed : 0;
}

static inline void
gw_slots_free(struct gw_slot *slots, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (slots[i].easy != NULL)
			curl_easy_cleanup(slots[i].easy);
		curl_slist_free_all(slots[i].hdrs);
		free(slots[i].body);
		free(slots[i].ans.p);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
}

/* utime + stime of pid in clock ticks, all its threads; 0 if gone. */
static inline uint64_t
gw_ticks(pid_t pid)
{
	unsigned long long	ut, st;

	if (pid <= 0 || bench_proc_cpu((uint64_t)pid, &ut, &st) != 0)
		return 0;
	return (uint64_t)(ut + st);
}

/* The machine's busy clock ticks (all but idle and iowait); 0 unread. */
static inline uint64_t
gw_busy(void)
{
	unsigned long long	 v[8];
	FILE			*f;
	int			 n;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return 0;
	return (uint64_t)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

static inline void
gw_cpu_mark(struct gw_cpu *c)
{
	int	i;

	for (i = 0; i < GW_PROCS; i++)
		c->mark[i] = gw_ticks(c->pid[i]);
	c->mark_busy = gw_busy();
	c->mark_t = (double)gw_us() / 1e6;
}

/* Add what each process, and the machine, used since the mark to u. */
static inline void
gw_cpu_add(const struct gw_cpu *c, struct gw_cpu_use *u)
{
	int	i;

	for (i = 0; i < GW_PROCS; i++)
		u->ticks[i] += gw_ticks(c->pid[i]) - c->mark[i];
	u->busy += gw_busy() - c->mark_busy;
	u->secs += (double)gw_us() / 1e6 - c->mark_t;
}

/* The CPU each process used, and all others, in % of one core. */
static inline void
gw_cpu_print(const struct gw_cpu *c, const struct gw_cpu_use *u,
    const char *what)
{
	double		hz = (double)sysconf(_SC_CLK_TCK), k;
	uint64_t	ours = 0;
	int		i;

	k = u->secs <= 0 ? 0.0 : 100.0 / hz / u->secs;
	printf("%s", what);
	for (i = 0; i < GW_PROCS; i++) {
		printf(" %s %.0f", c->name[i], (double)u->ticks[i] * k);
		ours += u->ticks[i];
	}
	printf(" others %.0f\n", u->busy > ours ?
	    (double)(u->busy - ours) * k : 0.0);
}

/* VmRSS of pid in KiB, -1 if it cannot be read. */
static inline long
gw_rss_kib(pid_t pid)
{
	FILE	*f;
	char	 path[64], line[256];
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* The first line of /proc/loadavg, or "?". */
static inline void
gw_loadavg(char *out, size_t len)
{
	FILE	*f;

	snprintf(out, len, "?");
	if ((f = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(out, (int)len, f) == NULL)
		snprintf(out, len, "?");
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/*
 * What one durable append costs at path's file system: the median of
 * GW_FLOOR_WRITES appends of linelen bytes, each followed by
 * fdatasync, as an audit log makes them.  The file is removed.  -1 if
 * it cannot be written.
 */
static inline double
gw_write_floor(const char *path, size_t linelen)
{
	char	 line[1024];
	double	*lat, r = -1;
	int64_t	 t;
	int	 fd, i;

	if (linelen < 1 || linelen > sizeof(line) ||
	    (lat = calloc(GW_FLOOR_WRITES, sizeof(*lat))) == NULL)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
	    0600)) == -1) {
		free(lat);
		return -1;
	}
	memset(line, 'x', linelen - 1);
	line[linelen - 1] = '\n';
	for (i = 0; i < GW_FLOOR_WRITES; i++) {
		t = gw_us();
		if (write(fd, line, linelen) != (ssize_t)linelen ||
		    fdatasync(fd) == -1)
			break;
		lat[i] = (double)(gw_us() - t);
	}
	close(fd);
	unlink(path);
	if (i == GW_FLOOR_WRITES)
		r = gw_pct(lat, GW_FLOOR_WRITES, 0.50);
	free(lat);
	return r;
}

#endif
