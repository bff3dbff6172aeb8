/*
 * The two costs of keeping budgets across a restart of vaultd
 * (vaultd/vaultd_budget.c), measured on their own, one thread:
 *
 *	read: the replay with no budgets file, which reads the audit log
 *	    from the file that holds the policy's horizon (a day of a busy
 *	    log).  A log of MB megabytes is made of what signing writes,
 *	    a budget charge and its signature's record by turns, then read
 *	    twice as the replay reads it (audit_iter, 64 KiB reads): every
 *	    line parsed, and only the budget records parsed, the others
 *	    told by their op (audit_line_op_is).  The file was just written,
 *	    so the page cache holds it: the figures are the CPU's, a cold
 *	    disk adds its own read time.
 *	inline: a budgets file of 1, 64, 1024 and 4096 counters (up to
 *	    BUDGET_INLINE, what vaultd's loop writes itself, holding
 *	    signing): the copy, the writing and the fsync, timed together,
 *	    31 times each (5 with --quick).
 *	write: the budgets file a checkpoint writes, at the most counters
 *	    a policy's state holds (PB_MAX_KEYS), with account names of 16
 *	    and of 64 bytes: formatted, hashed and written as vaultd does,
 *	    then fsync'd, in a directory under TMPDIR (default /tmp); and
 *	    what vaultd's loop does of it, the copy of the counters its
 *	    thread writes from.  Both run vaultd's own code for it
 *	    (vaultd/vaultd_budget_copy.c, no request held).
 *
 * usage: bench_budget [--quick | MB]
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "policy/policy.h"
#include "policy/policy_budget.h"
#include "vaultd/vaultd_budget_copy.h"

#define READ_MB		512
#define QUICK_MB	64

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mb megabytes of signing records into dir/audit.log; its size. */
static long long
make_log(const char *dir, int mb)
{
	struct audit_chain	c;
	struct audit_rec	r;
	char			path[300], line[AUDIT_LINE_MAX + 1];
	char			buf[1 << 16];
	size_t			len, at = 0;
	long long		total = 0;
	uint64_t		i;
	FILE			*f;

	snprintf(path, sizeof(path), "%s/audit.log", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	audit_chain_init(&c);
	for (i = 0; total < (long long)mb << 20; i++) {
		audit_rec_init(&r);
		if (audit_time_format(1790000000 + (time_t)(i / 1000),
		    r.time) != 0)
			return -1;
		snprintf(r.actor, sizeof(r.actor), "client-%llu",
		    (unsigned long long)(i / 2 % 64));
		snprintf(r.account, sizeof(r.account), "trading-%llu",
		    (unsigned long long)(i / 2 % 16));
		memset(r.digest, 'a', AUDIT_HEX_HASH);
		r.digest[AUDIT_HEX_HASH] = '\0';
		if (i % 2 == 0) {
			snprintf(r.op, sizeof(r.op), "budget");
			snprintf(r.verdict, sizeof(r.verdict), "charge");
			snprintf(r.path, sizeof(r.path), "/%s/c%s/0:20789:1,"
			    "1:20789:250000", r.account, r.actor);
		} else {
			snprintf(r.op, sizeof(r.op), "sign");
			snprintf(r.verdict, sizeof(r.verdict), "allow");
			snprintf(r.method, sizeof(r.method), "POST");
			snprintf(r.path, sizeof(r.path), "/order");
			snprintf(r.key_id, sizeof(r.key_id), "orders@12");
		}
		if (audit_chain_append(&c, &r, line, sizeof(line), &len) != 0)
			return -1;
		if (at + len > sizeof(buf)) {
			if (fwrite(buf, 1, at, f) != at)
				return -1;
			at = 0;
		}
		memcpy(buf + at, line, len);
		at += len;
		total += (long long)len;
	}
	if (fwrite(buf, 1, at, f) != at || fclose(f) != 0)
		return -1;
	return total;
}

/* Read the log as the replay does; the budget records it parsed. */
static long long
read_log(const char *dir, int skip, double *secs)
{
	struct audit_log	 log;
	struct audit_iter	*it;
	struct audit_rec	 rec;
	const char		*line;
	char			 path[300];
	size_t			 len;
	long long		 n = 0;
	double			 t0;
	int			 r;

	snprintf(path, sizeof(path), "%s/audit.log", dir);
	t0 = now_s();
	if (audit_log_scan(path, &log) != 0 ||
	    (it = malloc(sizeof(*it))) == NULL ||
	    audit_iter_open(it, &log, 1) != 0)
		return -1;
	while ((r = audit_iter_next(it, &line, &len)) == 1) {
		if (skip && !audit_line_op_is(line, len, "budget") &&
		    !audit_line_op_is(line, len, "policy.applied"))
			continue;
		if (audit_record_parse(line, len, &rec) != 0)
			return -1;
		n += strcmp(rec.op, "budget") == 0;
	}
	audit_iter_close(it);
	free(it);
	*secs = now_s() - t0;
	return r == 0 ? n : -1;
}

/*
 * n counters (PB_MAX_KEYS at most) with names of namelen bytes, copied
 * as vaultd's loop copies them, then written and synced as vaultd writes
 * the budgets file (vaultd_budget_copy.c).  With quiet, the times in
 * *copy, *write and *sync (seconds), nothing printed.
 */
static int
write_file(const char *dir, size_t n, size_t namelen, int quiet,
    double *copy, double *write, double *sync)
{
	static const char	 text[] = "allow operator level l1 limit "
	    "1000000/day per account\n";
	struct policy_errors	 errs;
	struct policy		*pol;
	struct policy_state	*st;
	struct vd_budget_copy	 cc;
	FILE			*f;
	char			 path[300], key[PB_KEY_MAX];
	uint8_t			 hash[AUDIT_HASH_LEN];
	int64_t			 now = (int64_t)time(NULL) * 1000;
	double			 t0, t1, t2, tc;
	long			 bytes;
	size_t			 i;
	int			 fd;

	if (policy_parse(text, sizeof(text) - 1, &pol, &errs) != 0 ||
	    (st = policy_state_new(pol)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		key[0] = 'a';
		memset(key + 1, 'x', namelen);
		snprintf(key + 1, namelen + 1, "%0*zu", (int)namelen, i);
		key[namelen + 1] = '\0';
		if (policy_counter_load(st, 0, key, namelen + 2,
		    now / 86400000, 1 + i % 1000, 0, now) != 0)
			return -1;
	}
	/* the second copy: vaultd keeps the arrays from one to the next */
	memset(&cc, 0, sizeof(cc));
	policy_counter_each(st, now, vaultd_budget_copy_one, &cc);
	vaultd_budget_copy_reset(&cc);
	t0 = now_s();
	policy_counter_each(st, now, vaultd_budget_copy_one, &cc);
	tc = now_s() - t0;
	if (cc.nomem || cc.n != n)
		return -1;
	snprintf(path, sizeof(path), "%s/budgets.new", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		return -1;
	t0 = now_s();
	if (vaultd_budget_copy_write(&cc, BUDGET_MAGIC "\nkey 00\npolicy "
	    "00\nseq 1\n", f, hash) != 0 || fflush(f) != 0)
		return -1;
	t1 = now_s();
	if (fsync(fd) != 0 || (bytes = ftell(f)) < 0 || fclose(f) != 0)
		return -1;
	t2 = now_s();
	if (quiet) {
		*copy = tc;
		*write = t1 - t0;
		*sync = t2 - t1;
	} else
		printf("write: %zu counters, names of %zu bytes: %.1f MB; "
		    "formatted and written %.1f ms, fsync %.1f ms, in all "
		    "%.1f ms; the loop's copy of them %.1f ms\n", n, namelen,
		    (double)bytes / (1 << 20), (t1 - t0) * 1e3,
		    (t2 - t1) * 1e3, (t2 - t0) * 1e3, tc * 1e3);
	unlink(path);
	vaultd_budget_copy_free(&cc);
	policy_state_free(st);
	policy_free(pol);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * What the loop holds signing for at a checkpoint with a file of up to
 * BUDGET_INLINE counters (vaultd -B): the copy, the writing and the
 * fsync, runs times each; the medians, and the most of the three
 * together.
 */
static int
write_inline(const char *dir, size_t n, int runs)
{
	double	 c[64], w[64], y[64], t[64];
	int	 i;

	for (i = 0; i < runs; i++) {
		if (write_file(dir, n, 16, 1, &c[i], &w[i], &y[i]) != 0)
			return -1;
		t[i] = c[i] + w[i] + y[i];
	}
	qsort(c, (size_t)runs, sizeof(c[0]), cmp_double);
	qsort(w, (size_t)runs, sizeof(w[0]), cmp_double);
	qsort(y, (size_t)runs, sizeof(y[0]), cmp_double);
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	printf("inline: %zu counters, names of 16 bytes, medians of %d: "
	    "copy %.3f ms, formatted and written %.3f ms, fsync %.2f ms; "
	    "in all %.2f ms, %.2f ms at most\n", n, runs, c[runs / 2] * 1e3,
	    w[runs / 2] * 1e3, y[runs / 2] * 1e3, t[runs / 2] * 1e3,
	    t[runs - 1] * 1e3);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*tmp = getenv("TMPDIR");
	char		 dir[256], path[300];
	long long	 size, nfull, nskip;
	double		 full, skip;
	int		 mb = READ_MB, runs = 31;

	if (argc > 1)
		mb = strcmp(argv[1], "--quick") == 0 ? QUICK_MB :
		    atoi(argv[1]);
	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		runs = 5;
	if (mb < 1 || mb > 65536 || sodium_init() < 0) {
		fprintf(stderr, "usage: bench_budget [--quick | MB]\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/cvbudget.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	if ((size = make_log(dir, mb)) < 0 ||
	    (nfull = read_log(dir, 0, &full)) < 0 ||
	    (nskip = read_log(dir, 1, &skip)) < 0 || nfull != nskip) {
		fprintf(stderr, "bench_budget: the log could not be made or "
		    "read\n");
		unlink(path);
		rmdir(dir);
		return 1;
	}
	printf("read: %.0f MB of signing records (%lld budget records), "
	    "page cache: every line parsed %.2f s (%.0f MB/s), only the "
	    "budget records %.2f s (%.0f MB/s)\n", (double)size / (1 << 20),
	    nfull, full, (double)size / (1 << 20) / full, skip,
	    (double)size / (1 << 20) / skip);
	unlink(path);
	if (write_inline(dir, 1, runs) != 0 ||
	    write_inline(dir, 64, runs) != 0 ||
	    write_inline(dir, 1024, runs) != 0 ||
	    write_inline(dir, 4096, runs) != 0 ||
	    write_file(dir, PB_MAX_KEYS, 16, 0, NULL, NULL, NULL) != 0 ||
	    write_file(dir, PB_MAX_KEYS, 64, 0, NULL, NULL, NULL) != 0) {
		fprintf(stderr, "bench_budget: the budgets file could not be "
		    "written\n");
		rmdir(dir);
		return 1;
	}
	rmdir(dir);
	return 0;
}
