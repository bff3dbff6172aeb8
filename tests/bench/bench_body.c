/*
 * L2 request bodies through the privilege-separated path: signatures
 * per second by body size, beside what hashing those bodies costs in
 * process (issue 15, "Bodies").
 *
 * A real vaultd (with its signerd and netd) from $CLOBVAULT_BUILD in a
 * temporary CLOBVAULT_HOME, a vault with one openfish account, a
 * generated wallet and an imported API credential; then this program
 * speaks the control protocol as vaultctl does: MSG_CTL_HEADERS_REQ for
 * POST /orders-scoring, an L2 path the catalog signs with its body,
 * WINDOW requests kept in flight on one connection.  For each body size
 * the run is cut into windows after a warm-up; each window's answers per
 * second, and min/median/max over the windows, with the CPU time vaultd
 * and signerd spent (user and system) over all of them.
 *
 * In process, the floors: HMAC-SHA256 (signerd signs the body) and
 * BLAKE2b-256 (vaultd's audit request digest) over a body of each size,
 * with the functions the daemons use (clob_hmac_sign: nettle; libsodium).
 *
 * usage: bench_body [--quick] [-w seconds-per-window] [-n windows] [-s size]...
 *	  [-H seconds] [-v] [-F]
 * -s may be given several times (default 0, 1 KiB, 10 KiB, 64 KiB);
 * -H holds the first size for that long before the scan and prints the
 * daemons' pids first, to attach a profiler; -v prints every window;
 * -F leaves out the in-process floors.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "tests/bench/bench_daemons.h"
#include "tests/bench/bench_lib.h"
#include "tests/it.h"

#define WINDOW		240		/* pipelined requests in flight */
#define WIN_SECONDS	1.0
#define WINDOWS		5
#define WARMUP_SECONDS	0.5
#define SIZES_MAX	8
#define BODY_MAX	65536		/* MSG_CTL_HEADERS_REQ's bound */
#define FLOOR_RUNS	5
#define FLOOR_SECONDS	0.3

#define ACCOUNT		"bench"
#define L2_PATH		"/orders-scoring"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define PASSPHRASE \
	"1816e5ed89518467ffa78c65a2d6a62d240f6fd6d159cba7b2c4dc510800f75a"

struct scan {
	size_t		size;
	double		rate[WINDOWS * 4];
	int		nrate;
	uint64_t	again;
	struct dmn_cpu	vd, sd, me;	/* over the windows */
	double		secs;
	uint64_t	ops;		/* answers over the windows */
	double		hmac, b2b;	/* in process, ops/s */
};

static double	median(double *, int);
static void	body_fill(uint8_t *, size_t);
static double	floor_hmac(const uint8_t *, size_t);
static double	floor_b2b(const uint8_t *, size_t);
static int	vault_setup(struct it *, const char *);
static int	piped(struct chan *, uint32_t *, struct scan *,
		    const uint8_t *, double, int, double, uint64_t,
		    uint64_t);

/* Sorts v. */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A JSON array of order ids, as /orders-scoring takes, cut at len. */
static void
body_fill(uint8_t *b, size_t len)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i == 0 ? '[' : i % 70 == 1 ? '"' :
		    i % 70 == 68 ? '"' : i % 70 == 69 ? ',' :
		    hex[(i * 7 + i / 70) & 15]);
}

/* clob_hmac_sign over the body with a 32-byte key, as signerd: ops/s. */
static double
floor_hmac(const uint8_t *body, size_t len)
{
	uint8_t		key[32];
	char		sig[CLOB_HMAC_SIG_LEN];
	double		ops[FLOOR_RUNS], t0, t;
	uint64_t	n;
	int		i, k;

	randombytes_buf(key, sizeof(key));
	for (i = 0; i < FLOOR_RUNS; i++) {
		n = 0;
		t0 = bench_now();
		do {
			for (k = 0; k < 16; k++, n++)
				if (clob_hmac_sign(key, sizeof(key),
				    "1712345678", "POST", L2_PATH, body, len,
				    sig) != 0)
					return 0;
			t = bench_now() - t0;
		} while (t < FLOOR_SECONDS);
		ops[i] = (double)n / t;
	}
	sodium_memzero(key, sizeof(key));
	return median(ops, FLOOR_RUNS);
}

/* BLAKE2b-256 over the body, as audit_request_digest: ops/s, median. */
static double
floor_b2b(const uint8_t *body, size_t len)
{
	crypto_generichash_state	h;
	uint8_t				out[32];
	double				ops[FLOOR_RUNS], t0, t;
	uint64_t			n;
	int				i, k;

	for (i = 0; i < FLOOR_RUNS; i++) {
		n = 0;
		t0 = bench_now();
		do {
			for (k = 0; k < 16; k++, n++) {
				crypto_generichash_init(&h, NULL, 0,
				    sizeof(out));
				crypto_generichash_update(&h, body, len);
				crypto_generichash_final(&h, out,
				    sizeof(out));
			}
			t = bench_now() - t0;
		} while (t < FLOOR_SECONDS);
		ops[i] = (double)n / t;
	}
	return median(ops, FLOOR_RUNS);
}

/*
 * Start vaultd and give it a vault, an openfish account, a generated
 * wallet, an API credential whose secret is base64url of 32 random
 * bytes.  passfile holds the passphrase.
 */
static int
vault_setup(struct it *t, const char *passfile)
{
	char	err[DMN_ERR];

	it_write(passfile, "bench body passphrase\n", 0600);
	if (it_start(t, NULL, NULL) != 0) {
		fprintf(stderr, "bench_body: vaultd did not start (log %s)\n",
		    t->log);
		return -1;
	}
	if (dmn_vault(t, passfile, ACCOUNT, API_KEY, PASSPHRASE, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_body: %s", err);
		return -1;
	}
	return 0;
}

/* What a pipelined run of one body size queues. */
struct body_arg {
	struct chan	*c;
	uint32_t	*id;
	const uint8_t	*body;
	size_t		 size;
};

static int
body_queue(void *arg)
{
	struct body_arg	*a = arg;

	return dmn_headers_req(a->c, ++*a->id, ACCOUNT, CATALOG_L2, "POST",
	    L2_PATH, a->body, a->size);
}

/* L2 makes five headers. */
static int
body_answer(struct msg *m, void *arg)
{
	(void)arg;
	return dmn_headers_ans(m, 5, "bench_body:", "POST " L2_PATH);
}

/*
 * WINDOW requests in flight (dmn_pipe) for warm-up plus nwin windows of
 * win seconds, then the stragglers: each window's answers per second
 * into sc, and the daemons' CPU time over the windows.
 */
static int
piped(struct chan *c, uint32_t *id, struct scan *sc, const uint8_t *body,
    double warm, int nwin, double win, uint64_t vdpid, uint64_t sdpid)
{
	struct body_arg	 a = { c, id, body, sc->size };
	struct dmn_pipe	 p = { c, WINDOW, body_queue, body_answer, &a,
			    0, 0, 0, 0, 0 };
	struct dmn_cpu	 vd0 = { 0, 0 }, sd0 = { 0, 0 }, vd1 = { 0, 0 },
			 sd1 = { 0, 0 }, me0 = { 0, 0 }, me1 = { 0, 0 };
	double		 t0, tw = 0, t;
	uint64_t	 okw = 0, ok0 = 0;
	int		 w = -1, r;

	sc->nrate = 0;
	t0 = bench_now();
	do {
		t = bench_now() - t0;
		if (w < 0 && t >= warm) {
			if (dmn_cpu_pid(vdpid, &vd0) != 0 ||
			    dmn_cpu_pid(sdpid, &sd0) != 0)
				return CV_ERR_IO;
			dmn_cpu_self(&me0);
			w = 0;
			tw = t;
			okw = ok0 = p.ok;
		}
		if (w >= 0 && w < nwin && t >= warm + (w + 1) * win) {
			sc->rate[sc->nrate++] = (double)(p.ok - okw) /
			    (t - tw);
			if (++w == nwin) {
				if (dmn_cpu_pid(vdpid, &vd1) != 0 ||
				    dmn_cpu_pid(sdpid, &sd1) != 0)
					return CV_ERR_IO;
				dmn_cpu_self(&me1);
				sc->secs = t - warm;
				sc->ops = p.ok - ok0;
			}
			tw = t;
			okw = p.ok;
		}
	} while ((r = dmn_pipe_turn(&p, w < nwin)) == 0);
	sc->again += p.again;
	if (r != 1) {
		fprintf(stderr, "bench_body: %zu-byte bodies: %" PRIu64
		    " answers in %.2f s before the failure\n", sc->size, p.ok,
		    bench_now() - t0);
		return r;
	}
	if (w >= 0 && nwin > 0) {
		sc->vd.user = vd1.user - vd0.user;
		sc->vd.sys = vd1.sys - vd0.sys;
		sc->sd.user = sd1.user - sd0.user;
		sc->sd.sys = sd1.sys - sd0.sys;
		sc->me.user = me1.user - me0.user;
		sc->me.sys = me1.sys - me0.sys;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_body [--quick] [-w seconds-per-window] "
	    "[-n windows] [-s size]... [-H seconds] [-v] [-F]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct scan	 sc[SIZES_MAX], hold;
	struct it	 t;
	struct it_proc	 procs[3];
	struct chan	 c;
	uint8_t		*body;
	char		 passfile[128];
	double		 win = WIN_SECONDS, holds = 0, v[WINDOWS * 4];
	uint32_t	 id = 1;
	size_t		 nsc = 0, i;
	int		 nwin = WINDOWS, connected = 0, verbose = 0, ch, k;
	long		 hwm, rss;
	int		 floors = 1;
	int		 r = 1;

	memset(sc, 0, sizeof(sc));
	/* make bench QUICK=1: three short windows */
	if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
		win = 0.2;
		nwin = 3;
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	while ((ch = getopt(argc, argv, "w:n:s:H:vF")) != -1)
		switch (ch) {
		case 'w':
			if ((win = atof(optarg)) <= 0)
				usage();
			break;
		case 'n':
			nwin = atoi(optarg);
			if (nwin < 1 || nwin > WINDOWS * 4)
				usage();
			break;
		case 's':
			if (nsc == SIZES_MAX ||
			    (sc[nsc].size = strtoul(optarg, NULL, 0)) >
			    BODY_MAX)
				usage();
			nsc++;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'F':
			floors = 0;
			break;
		case 'H':
			if ((holds = atof(optarg)) <= 0)
				usage();
			break;
		default:
			usage();
		}
	if (optind != argc)
		usage();
	if (nsc == 0) {
		sc[0].size = 0;
		sc[1].size = 1024;
		sc[2].size = 10240;
		sc[3].size = BODY_MAX;
		nsc = 4;
	}
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || (body = malloc(BODY_MAX)) == NULL) {
		fprintf(stderr, "bench_body: set-up failed\n");
		return 1;
	}
	body_fill(body, BODY_MAX);
	for (i = 0; floors && i < nsc; i++) {
		sc[i].hmac = floor_hmac(body, sc[i].size);
		sc[i].b2b = floor_b2b(body, sc[i].size);
	}

	it_init(&t);
	snprintf(passfile, sizeof(passfile), "%s.pass", t.home);
	printf("bench_body: POST %s bodies through vaultd -> signerd from "
	    "%s, %d in flight\n", L2_PATH, t.build, WINDOW);
	fflush(stdout);
	if (vault_setup(&t, passfile) != 0)
		goto out;
	if (it_status(&t, procs) != 0) {
		fprintf(stderr, "bench_body: no status from vaultd\n");
		goto out;
	}
	if (it_connect(&t, &c) != 0) {
		fprintf(stderr, "bench_body: cannot reach %s\n", t.sock);
		goto out;
	}
	connected = 1;
	if (holds > 0) {
		printf("holding %zu-byte bodies for %.1f s: vaultd %" PRIu64
		    ", signerd %" PRIu64 "\n", sc[0].size, holds,
		    procs[0].pid, procs[1].pid);
		fflush(stdout);
		hold = sc[0];
		if (piped(&c, &id, &hold, body, holds, 0, win, procs[0].pid,
		    procs[1].pid) != 0) {
			fprintf(stderr, "bench_body: the hold failed (log "
			    "%s)\n", t.log);
			goto out;
		}
	}
	for (i = 0; i < nsc; i++)
		if (piped(&c, &id, &sc[i], body, WARMUP_SECONDS, nwin, win,
		    procs[0].pid, procs[1].pid) != 0) {
			fprintf(stderr, "bench_body: %zu-byte bodies failed "
			    "(log %s)\n", sc[i].size, t.log);
			goto out;
		}

	printf("\n%7s | %-30s | %-21s | %-21s | %-14s | %s\n", "",
	    "path ops/s", "vaultd CPU", "signerd CPU", "bench CPU",
	    "in process ops/s");
	printf("%7s | %7s %7s %7s %6s | %6s %6s %7s | %6s %6s %7s | "
	    "%6s %7s | %8s %8s\n", "body", "min", "median", "max", "AGAIN",
	    "core", "sys", "us/op", "core", "sys", "us/op", "core", "sys",
	    "HMAC256", "BLAKE2b");
	for (i = 0; i < nsc; i++) {
		struct scan	*s = &sc[i];
		double		 vt = s->vd.user + s->vd.sys;
		double		 st = s->sd.user + s->sd.sys;
		double		 mt = s->me.user + s->me.sys, med;

		for (k = 0; k < s->nrate; k++)
			v[k] = s->rate[k];
		if (verbose) {
			printf("%7zu | windows:", s->size);
			for (k = 0; k < s->nrate; k++)
				printf(" %.0f", s->rate[k]);
			printf("\n");
		}
		med = median(v, s->nrate);	/* sorts v */
		printf("%7zu | %7.0f %7.0f %7.0f %6" PRIu64 " | %5.0f%% "
		    "%5.0f%% %7.1f | %5.0f%% %5.0f%% %7.1f | %5.0f%% %6.0f%% "
		    "| %8.0f %8.0f\n",
		    s->size, v[0], med, v[s->nrate - 1], s->again,
		    100 * vt / s->secs, vt > 0 ? 100 * s->vd.sys / vt : 0,
		    s->ops > 0 ? 1e6 * vt / (double)s->ops : 0,
		    100 * st / s->secs, st > 0 ? 100 * s->sd.sys / st : 0,
		    s->ops > 0 ? 1e6 * st / (double)s->ops : 0,
		    100 * mt / s->secs, mt > 0 ? 100 * s->me.sys / mt : 0,
		    s->hmac, s->b2b);
	}
	/* what the run grew in vaultd goes back once signing is idle */
	hwm = it_proc_field(procs[0].pid, "VmHWM");
	usleep(1000 * 1000);
	rss = it_proc_field(procs[0].pid, "VmRSS");
	if (hwm >= 0 && rss >= 0)
		printf("\nvaultd resident: %.1f MiB at most during the run, "
		    "%.1f MiB 1 s after it\n", hwm / 1024.0, rss / 1024.0);
	printf("\npath: %d windows of %.1f s after %.1f s warm-up, one "
	    "connection; AGAIN: vaultd busy, sent again\n", nwin, win,
	    WARMUP_SECONDS);
	printf("CPU: core, the share of one core used over the windows; "
	    "sys, the system time's share of it;\n  us/op, CPU time per "
	    "signature over the windows\n");
	printf("in process: HMAC256 as signerd (clob_hmac_sign, nettle), "
	    "BLAKE2b as vaultd (libsodium),\n  median of %d runs of %.1f s\n",
	    FLOOR_RUNS, FLOOR_SECONDS);
	printf("reproduce: CLOBVAULT_BUILD=%s %s/tests/bench/bench_body\n",
	    t.build, t.build);
	r = 0;
 out:
	if (connected)
		chan_free(&c);
	it_cleanup(&t);
	unlink(passfile);
	free(body);
	return r;
}
