/*
 * bench_path's figures: what it measures (struct bench), the goals of
 * issue 15 it holds them against, and how it prints them.  Included by
 * bench_path.c only.
 */
#ifndef CV_BENCH_PATH_H
#define CV_BENCH_PATH_H

#include <inttypes.h>
#include <stdio.h>

#include "common/catalog.h"
#include "common/msg.h"
#include "tests/bench/bench_lib.h"
#include "tests/bench/bench_limits.h"
#include "tests/bench/bench_daemons.h"

#define WINDOWS		5		/* of each pipelined figure */
#define SINGLE_MAX	20000		/* requests one at a time */
#define WARMUP		50
#define NSCAN		4
#define WIDE		240		/* the scan's widest */
#define BODY_LEN	(64 * 1024)
#define NBODY		2		/* in flight: 64, WIDE */
#define INPROC_BATCH	64

#define ACCOUNT		"bench"
#define TX_ACCOUNT	"tx"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define PASSPHRASE \
	"1816e5ed89518467ffa78c65a2d6a62d240f6fd6d159cba7b2c4dc510800f75a"

/* In process: the vectors' public test wallet, never a real key. */
#define WALLET_HEX \
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define TS		"1712345678"
#define TS_NOW		1712345678

/* Issue 15's goals. */
#define GOAL_L1_RATIO	0.9		/* of raw signing on 2 threads */
#define GOAL_L2		200000.0	/* /s */
#define GOAL_ADDED_US	60.0		/* over the floor (b); relaxed: alone */
#define GOAL_BODY	20000.0		/* /s, 64 KiB bodies */
#define GOAL_MEM_KIB	(16 * 1024)

#define POLICY_RULES	100		/* the policy beside the default */

static const int scan[NSCAN] = { 1, 8, 64, WIDE };
static const int body_scan[NBODY] = { 64, WIDE };

struct level {
	const char		*name;
	enum catalog_auth	 level;
	const char		*method;
	const char		*path;
	const uint8_t		*body;
	size_t			 bodylen;
	size_t			 nheaders;	/* in the answer */
};

/* One at a time. */
struct single {
	double		p50, p99;
	size_t		n;
	uint64_t	again;
	int		ok;
};

/* Pipelined, over windows; the AGAIN answers of all of them. */
struct piped {
	struct bstat	rate;
	uint64_t	again;
	double		secs;		/* of a window */
	uint64_t	ops;		/* answers over the windows */
	double		cpu[4];		/* seconds over the windows: vaultd,
					   signerd, netd, this program */
	int		cpu_ok;
};

struct bench {
	int		 quick;
	int		 awake;		/* --cpu-latency */
	int		 one_core;	/* --one-core: the CPU, else -1 */
	int		 bodies_only;	/* --bodies */
	int		 ncpu;		/* the daemons may use */
	double		 secs;		/* a pipelined window */
	double		 single_secs;
	double		 long_secs;
	struct it	 t;
	struct chan	 c;
	int		 connected;
	uint32_t	 id;
	char		 passfile[128];
	struct level	 lv[2], body;

	struct limits	 lim;
	struct bstat	 inproc[2];	/* ops/s */
	struct single	 single[2], relaxed[2];
	char		 relaxed_err[DMN_ERR], relaxed_mode[DMN_ERR];
	struct piped	 scan[2][NSCAN];
	struct piped	 longrun;
	long		 ckpts;		/* in the long run, -1: unknown */
	struct piped	 bodies[NBODY];
	char		 body_err[NBODY][DMN_ERR];
	struct dmn_mem	 mem_idle, mem_call1, mem_call2, mem_runs;
	char		 call_err[DMN_ERR];
	double		 pol_base, pol_with;
	char		 pol_err[DMN_ERR];
	struct piped	 w1;
	char		 w1_err[DMN_ERR];
};

static void
print_single(const char *what, const struct single *s, double inproc)
{
	if (!s->ok) {
		printf("  %-12s -\n", what);
		return;
	}
	printf("  %-12s %9.1f %9.1f %9.1f %8" PRIu64 " %8zu\n", what, s->p50,
	    s->p99, s->p50 - 1e6 / inproc, s->again, s->n);
}

static void
print_piped(const char *what, const struct piped *p)
{
	printf("  %-26s", what);
	bstat_print(&p->rate, 9, 0);
	printf(" %8" PRIu64 "\n", p->again);
}

/* A goal's row: what, the measured value, the goal, met. */
static void
goal_row(const char *what, const char *got, const char *goal, int met)
{
	printf("  %-40s %16s %16s  %s\n", what, got, goal, met ? "yes" : "no");
}

static void
goal_na(const char *what, const char *why)
{
	printf("  %-40s not available: %s\n", what, why);
}

/*
 * The CPU time per answer of a pipelined figure, by process, in a
 * row; its sum in *per (us).  0 if it was not measured.
 */
static int
cpu_row(const struct piped *p, double *per)
{
	int	i;

	*per = 0;
	if (!p->cpu_ok || p->ops == 0)
		return 0;
	for (i = 0; i < 4; i++)
		*per += p->cpu[i] * 1e6 / (double)p->ops;
	printf("    (CPU per request: vaultd %.1f, signerd %.1f, netd %.1f, "
	    "this program %.1f us)\n", p->cpu[0] * 1e6 / (double)p->ops,
	    p->cpu[1] * 1e6 / (double)p->ops, p->cpu[2] * 1e6 /
	    (double)p->ops, p->cpu[3] * 1e6 / (double)p->ops);
	return 1;
}

static void
goals(struct bench *b)
{
	const struct bstat	*l1 = &b->scan[0][NSCAN - 1].rate;
	const struct bstat	*l2 = &b->scan[1][NSCAN - 1].rate;
	const struct single	*s;
	char			 got[64], goal[64], what[64];
	double			 ratio, added, floor, per, hash;
	int			 i, best;

	printf("\ngoals (issue 15), computed from the medians above:\n");
	printf("  %-40s %16s %16s  %s\n", "", "measured", "goal", "met");
	ratio = l1->med / b->lim.sign2.med;
	snprintf(got, sizeof(got), "%.2f", ratio);
	snprintf(goal, sizeof(goal), ">= %.2f", GOAL_L1_RATIO);
	goal_row("L1 pipelined (240) / raw sign, 2 threads", got, goal,
	    ratio >= GOAL_L1_RATIO);
	printf("  %-40s %16.0f %16.0f\n", "  (L1 /s, raw 2-thread /s)", l1->med,
	    b->lim.sign2.med);
	if (cpu_row(&b->scan[0][NSCAN - 1], &per))
		printf("    (2 cores at that CPU per request, raw signing's "
		    "%.1f us in it, allow at most\n     %.0f /s: %.2f of raw "
		    "2-thread signing)\n", 1e6 / b->lim.sign1.med,
		    b->ncpu * 1e6 / per, b->ncpu * 1e6 / per /
		    b->lim.sign2.med);
	snprintf(got, sizeof(got), "%.0f /s", l2->med);
	snprintf(goal, sizeof(goal), ">= %.0f /s", GOAL_L2);
	goal_row("L2 pipelined (240)", got, goal, l2->med >= GOAL_L2);

	floor = b->lim.dsync50.med;
	for (i = 0; i < 2; i++) {
		s = &b->single[i];
		added = s->p50 - 1e6 / b->inproc[i].med;
		snprintf(what, sizeof(what), "%s one request: added p50 "
		    "(p99 %.0f us)", b->lv[i].name, s->p99);
		snprintf(got, sizeof(got), "%.1f us", added);
		snprintf(goal, sizeof(goal), "<= %.1f us", floor +
		    GOAL_ADDED_US);
		goal_row(what, got, goal, added <= floor + GOAL_ADDED_US);
	}
	for (i = 0; i < 2; i++) {
		s = &b->relaxed[i];
		if (b->relaxed_err[0] != '\0' || !s->ok) {
			snprintf(what, sizeof(what), "%s relaxed audit: added "
			    "p50", b->lv[i].name);
			goal_na(what, b->relaxed_err);
			continue;
		}
		snprintf(what, sizeof(what), "%s relaxed audit: added p50 "
		    "(p99 %.0f us)", b->lv[i].name, s->p99);
		added = s->p50 - 1e6 / b->inproc[i].med;
		snprintf(got, sizeof(got), "%.1f us", added);
		snprintf(goal, sizeof(goal), "<= %.1f us", GOAL_ADDED_US);
		goal_row(what, got, goal, added <= GOAL_ADDED_US);
	}
	/*
	 * A lone request makes four hops (bench -> vaultd -> signerd ->
	 * vaultd -> bench), each waking a process that slept.
	 */
	printf("    (a lone request wakes a sleeping process 4 times; a "
	    "round trip took %.1f us\n     across cores, %.1f us on one "
	    "core)\n", b->lim.seqpacket50.med, b->lim.onecore50.med);

	snprintf(what, sizeof(what), "AGAIN, L2 pipelined %.0f s (%ld ckpt)",
	    b->longrun.secs, b->ckpts);
	snprintf(got, sizeof(got), "%" PRIu64, b->longrun.again);
	goal_row(what, got, "0", b->longrun.again == 0);

	/* the better of the in-flight counts measured */
	for (best = -1, i = 0; i < NBODY; i++)
		if (b->body_err[i][0] == '\0' && (best == -1 ||
		    b->bodies[i].rate.med > b->bodies[best].rate.med))
			best = i;
	if (best == -1)
		goal_na("L2 64 KiB bodies pipelined", b->body_err[NBODY - 1]);
	else {
		snprintf(what, sizeof(what), "L2 64 KiB bodies pipelined (%d)",
		    body_scan[best]);
		snprintf(got, sizeof(got), "%.0f /s",
		    b->bodies[best].rate.med);
		snprintf(goal, sizeof(goal), ">= %.0f /s", GOAL_BODY);
		goal_row(what, got, goal,
		    b->bodies[best].rate.med >= GOAL_BODY);
		(void)cpu_row(&b->bodies[best], &per);
		hash = 1e6 / b->lim.hmac_body.med + 1e6 / b->lim.b2b_body.med;
		printf("    (hashing alone, HMAC-SHA256 in signerd and "
		    "BLAKE2b-256 in vaultd, %.1f us a body:\n     at most "
		    "%.0f /s on %d cores with nothing else to do)\n", hash,
		    b->ncpu * 1e6 / hash, b->ncpu);
	}

	if (!b->mem_call2.ok)
		goal_na("RSS of the daemons after HTTPS calls",
		    b->mem_call2.err);
	else {
		snprintf(got, sizeof(got), "%.1f MiB",
		    dmn_mem_total(&b->mem_call2, 0) / 1024.0);
		snprintf(goal, sizeof(goal), "<= %.1f MiB",
		    GOAL_MEM_KIB / 1024.0);
		goal_row("RSS of the daemons after HTTPS calls", got, goal,
		    dmn_mem_total(&b->mem_call2, 0) <= GOAL_MEM_KIB);
		printf("  %-40s %12.1f MiB\n", "  (PSS)",
		    dmn_mem_total(&b->mem_call2, 1) / 1024.0);
	}

	printf("  %-40s %16.0f %16s\n", "L1 pipelined (240), default workers",
	    l1->med, "reported");
	if (b->w1_err[0] != '\0')
		goal_na("L1 pipelined (240), 1 worker (-W 1)", b->w1_err);
	else
		printf("  %-40s %16.0f %16s\n",
		    "L1 pipelined (240), 1 worker (-W 1)", b->w1.rate.med,
		    "reported");
}

static void
report_path(struct bench *b)
{
	int	i, j;
	char	what[64];

	printf("\nin process: sign_req_check + sign_l1_wallet or sign_l2, "
	    "ops/s over %d windows\n", WINDOWS);
	printf("  %-26s %9s %9s %9s\n", "level", "min", "median", "max");
	for (i = 0; i < 2; i++) {
		printf("  %-26s", b->lv[i].name);
		bstat_print(&b->inproc[i], 9, 0);
		printf("   (%.2f us/op)\n", 1e6 / b->inproc[i].med);
	}

	printf("\none at a time, us:  p50       p99  added p50    AGAIN "
	    "requests\n");
	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s durable", b->lv[i].name);
		print_single(what, &b->single[i], b->inproc[i].med);
	}
	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s relaxed", b->lv[i].name);
		if (b->relaxed_err[0] != '\0')
			printf("  %-12s not available: %s\n", what,
			    b->relaxed_err);
		else
			print_single(what, &b->relaxed[i], b->inproc[i].med);
	}
	if (b->relaxed_mode[0] != '\0')
		printf("  (vaultctl audit mode, while relaxed: %s)\n",
		    b->relaxed_mode);

	printf("\npipelined on one connection, ops/s over %d windows of "
	    "%.1f s:\n", WINDOWS, b->secs);
	printf("  %-26s %9s %9s %9s %8s\n", "level, in flight", "min",
	    "median", "max", "AGAIN");
	for (i = 0; i < 2; i++)
		for (j = 0; j < NSCAN; j++) {
			snprintf(what, sizeof(what), "%s %d", b->lv[i].name,
			    scan[j]);
			print_piped(what, &b->scan[i][j]);
		}
	for (i = 0; i < NBODY; i++) {
		snprintf(what, sizeof(what), "L2 64 KiB bodies %d",
		    body_scan[i]);
		if (b->body_err[i][0] != '\0')
			printf("  %-26s not available: %s\n", what,
			    b->body_err[i]);
		else
			print_piped(what, &b->bodies[i]);
	}
	if (b->w1_err[0] != '\0')
		printf("  %-26s not available: %s\n", "L1 240, 1 worker",
		    b->w1_err);
	else
		print_piped("L1 240, 1 worker", &b->w1);
	printf("  %-26s %9s %9.0f %9s %8" PRIu64 "   (%ld checkpoints)\n",
	    "L2 240, one long run", "", b->longrun.rate.med, "",
	    b->longrun.again, b->ckpts);
	printf("  (L1 %s, L2 %s; bodies: POST /orders-scoring; the long "
	    "run: %.0f s, checkpoints\n   counted in the audit log)\n",
	    b->lv[0].path, b->lv[1].path, b->longrun.secs);

	printf("\nmemory of the daemons, MiB, RSS/PSS: vaultd      signerd"
	    "     netd     RSS    PSS\n");
	dmn_mem_print("idle after unlock", &b->mem_idle);
	dmn_mem_print("after one HTTPS call (create)", &b->mem_call1);
	dmn_mem_print("after a second (apikey list)", &b->mem_call2);
	dmn_mem_print("1 s after the signing runs", &b->mem_runs);

	if (b->pol_err[0] != '\0')
		printf("\npolicy: not available: %s\n", b->pol_err);
	else
		printf("\nL2 pipelined (240), default policy (the catalog) "
		    "%9.0f /s\nL2 pipelined (240), %d-rule policy %15.0f /s"
		    "   (loss %.1f %%, medians of alternating runs)\n",
		    b->pol_base, POLICY_RULES, b->pol_with,
		    100.0 * (b->pol_base - b->pol_with) / b->pol_base);
}

#endif
