/*
 * What the benchmarks share: the clock, and a figure measured over
 * repeated windows, kept as its minimum, median and maximum.  The
 * machine the benchmarks run on is shared, so one window says little;
 * the spread says how much the others took.  Header-only so each
 * benchmark stays one file.
 */
#ifndef CV_BENCH_LIB_H
#define CV_BENCH_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BSTAT_MAX	64		/* windows of one figure */
#define BENCH_QOS_DEV	"/dev/cpu_dma_latency"	/* PM QoS, idle cores */

/*
 * User and system CPU time of pid so far, in clock ticks, all its
 * threads (/proc/PID/stat); 0, or -1 if it cannot be read.
 */
static inline int
bench_proc_cpu(uint64_t pid, unsigned long long *ut, unsigned long long *st)
{
	FILE	*f;
	char	 path[64], buf[1024], *p;
	size_t	 n;

	snprintf(path, sizeof(path), "/proc/%llu/stat",
	    (unsigned long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the name may hold spaces and parentheses: after the last ')' */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", ut, st) != 2)
		return -1;
	return 0;
}

/* One figure over up to BSTAT_MAX windows; ok is 0 until one is kept. */
struct bstat {
	double	v[BSTAT_MAX];
	size_t	n;
	double	min, med, max;
	int	ok;
};

static inline double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of n values; sorts them. */
static inline double
bench_pct(double *v, size_t n, int p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), bench_cmp_double);
	return v[n * (size_t)p / 100 < n ? n * (size_t)p / 100 : n - 1];
}

static inline void
bstat_reset(struct bstat *s)
{
	memset(s, 0, sizeof(*s));
}

/* Keep one window's value; min, med and max follow it. */
static inline void
bstat_add(struct bstat *s, double x)
{
	double	sorted[BSTAT_MAX];

	if (s->n == BSTAT_MAX)
		return;
	s->v[s->n++] = x;
	memcpy(sorted, s->v, s->n * sizeof(sorted[0]));
	qsort(sorted, s->n, sizeof(sorted[0]), bench_cmp_double);
	s->min = sorted[0];
	s->med = sorted[s->n / 2];
	s->max = sorted[s->n - 1];
	s->ok = 1;
}

/* "min median max" in width w with prec decimals, or dashes. */
static inline void
bstat_print(const struct bstat *s, int w, int prec)
{
	if (!s->ok) {
		printf(" %*s %*s %*s", w, "-", w, "-", w, "-");
		return;
	}
	printf(" %*.*f %*.*f %*.*f", w, prec, s->min, w, prec, s->med, w,
	    prec, s->max);
}

/* The cores online and the load average now, on one line. */
static inline void
bench_machine(const char *when)
{
	FILE	*f;
	char	 load[128] = "?";

	if ((f = fopen("/proc/loadavg", "r")) != NULL) {
		if (fgets(load, sizeof(load), f) != NULL)
			load[strcspn(load, "\n")] = '\0';
		fclose(f);
	}
	printf("machine: %ld cores online; load average %s: %s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), when, load);
}

/*
 * How idle cores wait, which sets what a wake-up across cores costs:
 * the cpuidle driver, and the wake-up latency limit the kernel keeps
 * for them (PM QoS, read from /dev/cpu_dma_latency: root only).  A
 * limit of 0 keeps idle cores polling instead of halting.
 */
static inline void
bench_idle(void)
{
	FILE	*f;
	char	 drv[64] = "?", lim[48] = "unknown (not readable)";
	int32_t	 v;
	int	 fd;

	if ((f = fopen("/sys/devices/system/cpu/cpuidle/current_driver",
	    "r")) != NULL) {
		if (fgets(drv, sizeof(drv), f) != NULL)
			drv[strcspn(drv, "\n")] = '\0';
		fclose(f);
	}
	if ((fd = open(BENCH_QOS_DEV, O_RDONLY | O_CLOEXEC)) != -1) {
		if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			snprintf(lim, sizeof(lim), v >= 2000000000 ? "none" :
			    "%d us", (int)v);
		close(fd);
	}
	printf("idle cores: cpuidle driver %s; wake-up latency limit "
	    "(PM QoS): %s\n", drv, lim);
}

/*
 * Whether prog's --cpu-latency can be had: vaultd must be able to write
 * the device (root).  0, or -1 with why on standard error.
 */
static inline int
bench_cpu_latency_ok(const char *prog)
{
	if (access(BENCH_QOS_DEV, W_OK) == 0)
		return 0;
	fprintf(stderr, "%s: --cpu-latency: %s: %s (root only)\n", prog,
	    BENCH_QOS_DEV, strerror(errno));
	return -1;
}

#endif
