/*
 * The gateway's cost (ARCHITECTURE.md, "The gateway"), measured against
 * the local test exchange.
 *
 * A real vaultd (with its signerd and netd) from $CLOBVAULT_BUILD in a
 * temporary CLOBVAULT_HOME, started as tests/it.h does (vaultd -f -T
 * --gateway 127.0.0.1:0), a polymarket account on a test exchange of
 * its own, the test wallet, an API key the vault created, and a client
 * "bench" whose credentials this program signs with, as a bot does.
 * The policy allows the catalog to the client, to unsigned requests at
 * level none and to the operator, with no budget.  Three parts:
 *
 *  1. Overhead: GET /data/orders (L2, read-only; no order is live yet,
 *     so the answers are small) straight to the exchange with the
 *     account's L2 headers made here, and through the gateway with the
 *     client's; 1 and 32 in flight, medians of alternating runs.  One
 *     at a time: p50 and p99 latency of both.  From the CPU time the
 *     processes spent per request at 32 in flight, the most the
 *     machine's cores allow through the gateway at that cost.
 *  2. Orders signed through the gateway: POST /order, BUY 10 @ 0.5 of
 *     token 1234, every one with its own salt, so its own body and its
 *     own client signature (the gateway refuses a POST signature seen
 *     in its window).  Beside it the same orders signed here and sent
 *     straight to the exchange.
 *  3. The soak (after the orders of part 2 are cancelled): 32 in
 *     flight for SECONDS, each slot placing an order, reading the live
 *     orders and cancelling the order it placed; the resident memory
 *     of the four processes every 5 s.  Every answer but the right one
 *     is an error, a 503 "retry" included: nothing is sent again.
 *
 * libcurl's multi interface, HTTP/1.1 with keep-alive on both sides: N
 * in flight is N connections from here (and up to N from netd to the
 * exchange).  Each request is signed anew, here, with a timestamp of
 * now; both paths pay that alike.  This program shares the machine's
 * cores with the processes it measures: the CPU each used is printed.
 *
 * --relaxed runs everything with the audit log in relaxed mode
 * (vaultctl audit mode relaxed): records written before each signature
 * leaves vaultd, synced in groups every 5 ms at most.
 *
 * --latency MS has the test exchange wait MS milliseconds before it
 * answers each request (its fault "latency_ms"), as an exchange across
 * a network would: the gateway's cost beside a round trip a bot pays
 * anyway.
 *
 * --cpu-latency starts vaultd with --cpu-latency 0 (root only): idle
 * cores poll instead of halting while it runs, for both paths alike.
 *
 * --hold SECONDS does none of the three parts: after the set-up and a
 * warm-up it prints the daemons' pids (for perf record -p) and keeps
 * N_MANY GETs of part 1 in flight through the gateway for SECONDS, then
 * prints the rate and each process's CPU time per request: a figure
 * that other work on the machine disturbs far less than the rate.
 *
 * usage: bench_gateway [--quick] [--relaxed] [--latency MS]
 *     [--soak SECONDS] [--cpu-latency] [--hold SECONDS]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/profile.h"
#include "policy/policy.h"
#include "tests/it.h"
#include "tests/testexchange/tx_test.h"
#include "tests/bench/bench_gw.h"
#include "tests/bench/bench_lib.h"
#include "vaultd/vaultd.h"		/* GW_REPLAY_CLIENT */

#define PASS		"bench gateway passphrase 5c1d"
#define ADDR		"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define PROFILE		"polymarket"
#define PREFIX		"POLY_"
#define POLICY_TEXT \
	"allow client bench catalog label bench\n" \
	"allow any level none catalog label public\n" \
	"allow operator catalog label default\n"
#define READ_PATH	"/data/orders"

#define RUN_SECONDS	2.0		/* each overhead run */
#define ROUNDS		3		/* alternating, per N */
#define ORDER_SECONDS	2.0		/* each order run */
#define SOAK_SECONDS	60		/* the default soak */
#define SOAK_TICK	5.0		/* seconds between samples */
#define SOAK_N		32
#define WARM_SECONDS	0.3		/* unmeasured, first of each side */
#define N_MANY		32
#define GOAL_LOSS	10.0		/* %, the goal */
#define FLAT_PCT	5.0		/* the last this near the settled */
/*
 * When memory should be flat from: vaultd's replay table keeps every
 * signed POST and DELETE for the policy's skew window (30 s, plus 1),
 * growing in steps until the window is full; some seconds on from
 * there, the value the last sample is compared with.
 */
#define SOAK_SETTLE	(POLICY_SKEW_DEFAULT + 6)	/* seconds */
#define SAMPLES_MAX	(3600 / 5 + 2)
#define FLOOR_LINE	212		/* bytes: a gateway read's record */


enum kind { K_READ, K_ORDER, K_CANCEL };
enum mode { M_READ, M_ORDER, M_SOAK };

static const char *const kind_name[] = { "read", "order", "cancel" };

/* Where requests go, signed how. */
struct side {
	const char		*name;
	char			 url[64];
	const struct txcreds	*creds;
	int			 gateway;	/* orders left unsigned */
};

struct sample {
	double		t;
	long		rss[4];		/* vaultd, signerd, netd, tx */
	uint64_t	ok, errs;
};

struct bench {
	struct it		 it;
	struct txt		 tx;
	struct txcreds		 acct, client;
	struct txwallet		 w;
	struct side		 direct, gw;
	CURLM			*multi;
	struct gw_slot		 slot[GW_SLOTS_MAX];
	struct it_proc		 procs[3];
	struct gw_cpu		 cpu;
	char			 pass[128], pol[128];
	char			 cmd[600];
	char			 out[65536];
	uint64_t		 salt;
	struct sample		 s[SAMPLES_MAX];
	size_t			 ns;
};

/* What a run sends: the gw_run's arg. */
struct job {
	struct bench		*b;
	const struct side	*side;
	enum mode		 mode;
};

static int	gw_url(struct bench *);
static int	setup(struct bench *, int, int, int);
static void	teardown(struct bench *);
static char	*order_unsigned(struct bench *);
static char	*order_signed(struct bench *);
static int	req_start(struct gw_run *, struct gw_slot *);
static void	req_done(struct gw_run *, struct gw_slot *, CURLcode);
static int	run(struct bench *, struct gw_run *, const struct side *,
		    enum mode, int, double);
static int	part_overhead(struct bench *, double, int);
static int	part_orders(struct bench *, double);
static void	soak_sample(struct bench *, const struct gw_run *, double);
static void	soak_tick(struct gw_run *, double);
static int	part_soak(struct bench *, int);
static int	cancel_all(struct bench *);
static int	part_hold(struct bench *, int);
static int	check_children(struct bench *, const struct it_proc *);

/* The gateway's TCP address from run/gateway.addr. */
static int
gw_url(struct bench *b)
{
	char	 path[300], *s, *p;
	size_t	 len;
	int	 r = -1;

	snprintf(path, sizeof(path), "%s/run/gateway.addr", b->it.home);
	if ((s = it_slurp(path, &len)) == NULL)
		return -1;
	if ((p = strstr(s, "tcp 127.0.0.1:")) != NULL) {
		p += 4;
		p[strcspn(p, "\n")] = '\0';
		snprintf(b->gw.url, sizeof(b->gw.url), "http://%s", p);
		r = 0;
	}
	free(s);
	return r;
}

#define CTL(b, in, ...)	it_ctl(&(b)->it, in, (b)->out, sizeof((b)->out), \
			    __VA_ARGS__)

/*
 * The exchange, the daemons, the vault: account pm with the test
 * wallet and an API key the vault created; the policy; client bench.
 * The account's credentials come back from the exchange (L1 derive,
 * nonce 0) for the direct runs.
 */
static int
setup(struct bench *b, int relaxed, int latency, int awake)
{
	struct curl_slist	*h;
	struct txr		 r;
	json_t			*j;
	int			 rc;

	txt_wallet(&b->w, TXT_SK1);
	snprintf(b->pass, sizeof(b->pass), "%s.pass", b->it.home);
	snprintf(b->pol, sizeof(b->pol), "%s.policy", b->it.home);
	it_write(b->pass, PASS "\n", 0600);
	it_write(b->pol, POLICY_TEXT, 0644);
	if (txt_start(&b->tx, PROFILE, NULL, NULL, NULL, NULL) != 0) {
		fprintf(stderr, "bench_gateway: the test exchange did not "
		    "start (%s)\n", b->tx.dir);
		return -1;
	}
	if (it_start_args(&b->it, "-T", "--gateway=127.0.0.1:0",
	    awake ? "--cpu-latency=0" : NULL) != 0 ||
	    gw_url(b) != 0) {
		fprintf(stderr, "bench_gateway: vaultd did not start (log "
		    "%s)\n", b->it.log);
		return -1;
	}
	if (CTL(b, NULL, "init --passphrase-file %s --kdf min", b->pass) != 0 ||
	    CTL(b, NULL, "account add pm --profile " PROFILE " --url %s "
	    "--order-version 1", b->tx.url) != 0 ||
	    CTL(b, &TXT_SK1[2], "wallet import --account pm") != 0 ||
	    CTL(b, NULL, "apikey create --account pm") != 0 ||
	    CTL(b, NULL, "policy apply %s --passphrase-file %s", b->pol,
	    b->pass) != 0 ||
	    CTL(b, NULL, "--json client add bench --account pm "
	    "--passphrase-file %s", b->pass) != 0) {
		fprintf(stderr, "bench_gateway: vault set-up failed: %s",
		    b->out);
		return -1;
	}
	if ((j = json_loads(b->out, 0, NULL)) == NULL)
		return -1;
	rc = txt_creds(j, &b->client);
	json_decref(j);
	if (rc != 0)
		return -1;
	if (relaxed && CTL(b, NULL, "audit mode relaxed") != 0) {
		fprintf(stderr, "bench_gateway: audit mode relaxed refused: "
		    "%s", b->out);
		return -1;
	}
	if (latency > 0) {
		snprintf(b->out, sizeof(b->out), "{\"latency_ms\": %d}",
		    latency);
		rc = txt_admin(&b->tx, "POST", "faults", b->out, &r) == 200 ?
		    0 : -1;
		txr_free(&r);
		if (rc != 0) {
			fprintf(stderr, "bench_gateway: the test exchange "
			    "refused latency_ms %d\n", latency);
			return -1;
		}
	}
	h = txt_l1(PREFIX, &b->w, profile_find(PROFILE)->chain_id, txt_now(),
	    0);
	txt_req(&b->tx, "GET", "/auth/derive-api-key", h, NULL, &r);
	curl_slist_free_all(h);
	rc = r.status == 200 ? txt_creds(r.json, &b->acct) : -1;
	txr_free(&r);
	if (rc != 0) {
		fprintf(stderr, "bench_gateway: the account's key cannot be "
		    "derived\n");
		return -1;
	}
	if (it_status(&b->it, b->procs) != 0)
		return -1;
	b->direct.name = "direct";
	snprintf(b->direct.url, sizeof(b->direct.url), "%s", b->tx.url);
	b->direct.creds = &b->acct;
	b->gw.name = "gateway";
	b->gw.creds = &b->client;
	b->gw.gateway = 1;
	b->cpu.name[0] = "bench";
	b->cpu.pid[0] = getpid();
	b->cpu.name[1] = "vaultd";
	b->cpu.pid[1] = b->it.vaultd;
	b->cpu.name[2] = "signerd";
	b->cpu.pid[2] = (pid_t)b->procs[1].pid;
	b->cpu.name[3] = "netd";
	b->cpu.pid[3] = (pid_t)b->procs[2].pid;
	b->cpu.name[4] = "testexchange";
	b->cpu.pid[4] = b->tx.pid;
	return 0;
}

static void
teardown(struct bench *b)
{
	gw_slots_free(b->slot, GW_SLOTS_MAX);
	if (b->multi != NULL)
		curl_multi_cleanup(b->multi);
	it_cleanup(&b->it);
	txt_cleanup(&b->tx);
	unlink(b->pass);
	unlink(b->pol);
}

/* A V1 order as a bot sends it to the gateway: no signature. */
static char *
order_unsigned(struct bench *b)
{
	char	*s;

	if (asprintf(&s, "{\"deferExec\":false,\"order\":{\"salt\":%" PRIu64
	    ",\"maker\":\"" ADDR "\",\"signer\":\"" ADDR "\",\"taker\":"
	    "\"0x0000000000000000000000000000000000000000\",\"tokenId\":"
	    "\"1234\",\"makerAmount\":\"5000000\",\"takerAmount\":"
	    "\"10000000\",\"side\":\"BUY\",\"expiration\":\"0\",\"nonce\":"
	    "\"0\",\"feeRateBps\":\"0\",\"signatureType\":0,\"signature\":"
	    "\"\"},\"owner\":\"%s\",\"orderType\":\"GTC\",\"postOnly\":false}",
	    ++b->salt, b->client.key) == -1)
		return NULL;
	return s;
}

/* The same order signed here with the wallet key, for the exchange. */
static char *
order_signed(struct bench *b)
{
	struct txorder	o;
	char		salt[24], id[67];

	snprintf(salt, sizeof(salt), "%" PRIu64, ++b->salt);
	txt_order_init(&o, &b->w);
	o.salt = salt;
	return txt_order_body(PROFILE, 0, 0, &b->w, &o, b->acct.key, "GTC",
	    id);
}

/*
 * The slot's next request, signed now.  The soak's slots go round:
 * an order, a read, the cancel of the order if it was placed.
 */
static int
req_start(struct gw_run *rn, struct gw_slot *s)
{
	struct job		*jb = rn->arg;
	const struct side	*sd = jb->side;
	const char		*method, *path;
	char			 url[256];

	if (jb->mode == M_READ)
		s->kind = K_READ;
	else if (jb->mode == M_ORDER)
		s->kind = K_ORDER;
	else if (s->kind == K_ORDER)
		s->kind = K_READ;
	else if (s->kind == K_READ && s->id[0] != '\0')
		s->kind = K_CANCEL;
	else
		s->kind = K_ORDER;
	free(s->body);
	s->body = NULL;
	switch (s->kind) {
	case K_READ:
		method = "GET";
		path = READ_PATH;
		break;
	case K_ORDER:
		method = "POST";
		path = "/order";
		s->body = sd->gateway ? order_unsigned(jb->b) :
		    order_signed(jb->b);
		if (s->body == NULL)
			return -1;
		break;
	default:
		method = "DELETE";
		path = "/order";
		if (asprintf(&s->body, "{\"orderID\":\"%s\"}", s->id) == -1) {
			s->body = NULL;
			return -1;
		}
		break;
	}
	curl_slist_free_all(s->hdrs);
	s->hdrs = txt_l2(PREFIX, sd->creds, ADDR, txt_now(), method, path,
	    s->body);
	if (s->body != NULL)
		s->hdrs = curl_slist_append(s->hdrs,
		    "Content-Type: application/json");
	s->hdrs = curl_slist_append(s->hdrs, "Expect:");
	snprintf(url, sizeof(url), "%s%s", sd->url, path);
	return gw_send(jb->b->multi, s, method, url);
}

/*
 * Right: a read's {"data":...}; an order's 200 with success true and
 * an orderID (kept for its cancel); a cancel's 200 naming that order
 * as canceled.  Anything else is an error, counted by its text.
 */
static void
req_done(struct gw_run *rn, struct gw_slot *s, CURLcode cc)
{
	struct job	*jb = rn->arg;
	char		 what[GW_ERR_LEN], want[128];
	const char	*id, *a = s->ans.p != NULL ? s->ans.p : "";
	json_t		*j;
	long		 status = 0;
	int		 good = 0;

	if (cc != CURLE_OK) {
		snprintf(what, sizeof(what), "%s %s: %s", jb->side->name,
		    kind_name[s->kind], curl_easy_strerror(cc));
		gw_err_add(&rn->errs, what);
		if (s->kind != K_READ)
			s->id[0] = '\0';
		return;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	switch (s->kind) {
	case K_READ:
		good = status == 200 && strncmp(a, "{\"data\":", 8) == 0;
		break;
	case K_ORDER:
		s->id[0] = '\0';
		if (status != 200 || (j = json_loads(a, 0, NULL)) == NULL)
			break;
		id = json_string_value(json_object_get(j, "orderID"));
		if (json_is_true(json_object_get(j, "success")) && id != NULL &&
		    strlen(id) < sizeof(s->id)) {
			snprintf(s->id, sizeof(s->id), "%s", id);
			good = 1;
		}
		json_decref(j);
		break;
	default:
		snprintf(want, sizeof(want), "\"canceled\":[\"%s\"]", s->id);
		good = status == 200 && strstr(a, want) != NULL;
		s->id[0] = '\0';
		break;
	}
	if (good && !s->ans.over) {
		rn->ok[s->kind]++;
		return;
	}
	snprintf(what, sizeof(what), "%s %s: HTTP %ld %.120s", jb->side->name,
	    kind_name[s->kind], status, a);
	gw_err_add(&rn->errs, what);
}

/* One run of n in flight for secs; the slots start afresh. */
static int
run(struct bench *b, struct gw_run *rn, const struct side *sd,
    enum mode mode, int n, double secs)
{
	struct job	jb = { b, sd, mode };
	int		i;

	for (i = 0; i < n && i < GW_SLOTS_MAX; i++) {
		b->slot[i].kind = K_CANCEL;	/* the soak's next: an order */
		b->slot[i].id[0] = '\0';
	}
	rn->arg = &jb;
	rn->n = n;
	rn->secs = secs;
	rn->start = req_start;
	rn->done = req_done;
	return gw_run_go(b->multi, b->slot, rn);
}

/*
 * Part 1: GET /data/orders direct and through the gateway, 1 and
 * N_MANY in flight, rounds alternating runs of secs each; the medians.
 */
/*
 * The CPU time the processes measured (this program, the daemons, the
 * exchange) spent per request at N_MANY in flight, each side, and what
 * that allows: the gateway's path cannot pass the machine's cores
 * divided by its own cost, whatever the direct path reached.
 */
static void
overhead_bound(const struct gw_cpu_use *d, uint64_t nd,
    const struct gw_cpu_use *g, uint64_t ng, double direct_rate)
{
	double	hz = (double)sysconf(_SC_CLK_TCK), per[2], most;
	long	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int	i;

	if (nd == 0 || ng == 0 || direct_rate <= 0 || ncpu < 1)
		return;
	per[0] = per[1] = 0;
	for (i = 0; i < GW_PROCS; i++) {
		per[0] += (double)d->ticks[i] / hz * 1e6 / (double)nd;
		per[1] += (double)g->ticks[i] / hz * 1e6 / (double)ng;
	}
	if (per[1] <= 0)
		return;
	most = (double)ncpu * 1e6 / per[1];
	printf("   cpu per request at N=%d, these processes together: "
	    "direct %.1f us, gateway %.1f us;\n   %ld cores at the "
	    "gateway's cost allow at most %.0f /s: ", N_MANY, per[0],
	    per[1], ncpu, most);
	if (most < direct_rate)
		printf("a loss of at least %.1f %% against direct's %.0f /s\n",
		    100.0 * (direct_rate - most) / direct_rate, direct_rate);
	else
		printf("no bound below direct's %.0f /s\n", direct_rate);
}

static int
part_overhead(struct bench *b, double secs, int rounds)
{
	static const int	 ns[] = { 1, N_MANY };
	const struct side	*sides[2] = { &b->direct, &b->gw };
	struct gw_run		 rn;
	struct gw_errs		 errs;
	struct gw_cpu_use	 use[2][2];
	double			 rate[2][2][ROUNDS], med[2][2], loss;
	double			*lat[2], p50[2], p99[2], floor;
	uint64_t		 conns[2][2], nreq[2][2];
	size_t			 nlat[2] = { 0, 0 };
	char			 path[128], what[64];
	int			 ni, si, k, r = -1;

	memset(&errs, 0, sizeof(errs));
	memset(conns, 0, sizeof(conns));
	memset(nreq, 0, sizeof(nreq));
	memset(use, 0, sizeof(use));
	lat[0] = calloc((size_t)rounds * GW_LAT_MAX, sizeof(double));
	lat[1] = calloc((size_t)rounds * GW_LAT_MAX, sizeof(double));
	if (lat[0] == NULL || lat[1] == NULL)
		goto out;
	printf("\n1. Gateway overhead: GET " READ_PATH " (L2, read-only), "
	    "HTTP/1.1 keep-alive both sides\n");
	printf("   direct:  to the test exchange, the account's L2 headers "
	    "made in process\n");
	printf("   gateway: the client's L2 headers; netd -> vaultd -> "
	    "signerd -> netd -> the exchange\n");
	printf("   N in flight = N connections from the bench (and up to N "
	    "from netd to the exchange)\n");
	fflush(stdout);
	snprintf(path, sizeof(path), "%s.floor", b->it.home);
	floor = gw_write_floor(path, FLOOR_LINE);
	/* unmeasured: connections opened, caches warm */
	for (si = 0; si < 2; si++) {
		memset(&rn, 0, sizeof(rn));
		if (run(b, &rn, sides[si], M_READ, N_MANY, WARM_SECONDS) != 0)
			goto out;
		gw_errs_merge(&errs, &rn.errs);
	}
	for (ni = 0; ni < 2; ni++) {
		for (k = 0; k < rounds; k++)
			for (si = 0; si < 2; si++) {
				memset(&rn, 0, sizeof(rn));
				gw_cpu_mark(&b->cpu);
				if (run(b, &rn, sides[si], M_READ, ns[ni],
				    secs) != 0) {
					gw_run_free(&rn);
					goto out;
				}
				gw_cpu_add(&b->cpu, &use[ni][si]);
				rate[ni][si][k] = gw_run_rate(&rn);
				conns[ni][si] += rn.connects;
				nreq[ni][si] += rn.ok[K_READ] + rn.errs.total;
				gw_errs_merge(&errs, &rn.errs);
				if (rn.lat != NULL) {
					memcpy(lat[si] + nlat[si], rn.lat,
					    rn.nlat * sizeof(double));
					nlat[si] += rn.nlat;
				}
				gw_run_free(&rn);
			}
		for (si = 0; si < 2; si++) {
			qsort(rate[ni][si], (size_t)rounds, sizeof(double),
			    gw_cmp_double);
			med[ni][si] = rate[ni][si][rounds / 2];
		}
	}
	for (si = 0; si < 2; si++) {
		p50[si] = gw_pct(lat[si], nlat[si], 0.50);
		p99[si] = gw_pct(lat[si], nlat[si], 0.99);
	}

	printf("\n   %9s %12s %12s %8s %12s %6s %11s\n", "in flight",
	    "direct /s", "gateway /s", "loss %", "goal", "met",
	    "new conns");
	for (ni = 0; ni < 2; ni++) {
		loss = 100.0 * (med[ni][0] - med[ni][1]) / med[ni][0];
		printf("   %9d %12.0f %12.0f %8.1f %12s %6s %5" PRIu64
		    "/%" PRIu64 "\n", ns[ni], med[ni][0], med[ni][1], loss,
		    "<= 10 %", loss <= GOAL_LOSS ? "yes" : "NO", conns[ni][0],
		    conns[ni][1]);
	}
	printf("\n   one at a time %10s %10s\n", "p50 us", "p99 us");
	printf("   direct        %10.1f %10.1f\n", p50[0], p99[0]);
	printf("   gateway       %10.1f %10.1f\n", p50[1], p99[1]);
	printf("   added p50     %10.1f\n", p50[1] - p50[0]);
	printf("   durable-write floor p50 %.1f us: a %d-byte append and "
	    "fdatasync beside the home\n   (before the runs), as vaultd's "
	    "audit log makes for each request one at a time\n", floor,
	    FLOOR_LINE);
	printf("\n   requests/s: medians of %d alternating %.1f s runs per "
	    "N; latency over %zu direct, %zu gateway requests\n", rounds,
	    secs, nlat[0], nlat[1]);
	printf("   new conns: connections the bench opened during the "
	    "measured runs (direct/gateway),\n   after %.1f s of unmeasured "
	    "warm-up per side: 0 is keep-alive held\n", WARM_SECONDS);
	printf("   requests sent: N=1 %" PRIu64 "/%" PRIu64 ", N=%d %" PRIu64
	    "/%" PRIu64 "; errors %" PRIu64 "\n", nreq[0][0], nreq[0][1],
	    N_MANY, nreq[1][0], nreq[1][1], errs.total);
	gw_errs_print(&errs, "     ");
	printf("   cpu, %% of one core (of %ld), during the runs:\n",
	    sysconf(_SC_NPROCESSORS_ONLN));
	for (ni = 0; ni < 2; ni++)
		for (si = 0; si < 2; si++) {
			snprintf(what, sizeof(what), "     N=%-2d %-7s:",
			    ns[ni], sides[si]->name);
			gw_cpu_print(&b->cpu, &use[ni][si], what);
		}
	overhead_bound(&use[1][0], nreq[1][0], &use[1][1], nreq[1][1],
	    med[1][0]);
	printf("   reproduce: %s\n", b->cmd);
	r = 0;
 out:
	free(lat[0]);
	free(lat[1]);
	return r;
}

/*
 * Part 2: POST /order through the gateway, 1 and N_MANY in flight,
 * and the same orders signed here, straight to the exchange.
 */
static int
part_orders(struct bench *b, double secs)
{
	static const int	 ns[] = { 1, N_MANY };
	const struct side	*sides[2] = { &b->gw, &b->direct };
	struct gw_run		 rn;
	struct gw_cpu_use	 use;
	uint64_t		 signed_posts = 0;
	int			 ni, si;

	printf("\n2. Orders: POST /order, BUY 10 @ 0.5, token 1234, signer = "
	    "maker = " ADDR ",\n   a fresh salt each; 200 with success true "
	    "required\n");
	printf("   gateway: unsigned, the vault signs (EIP-712 + L2); "
	    "direct: signed here, the account's L2\n\n");
	printf("   %-8s %9s %10s %9s %8s %10s %10s\n", "", "in flight",
	    "orders/s", "ok", "errors", "p50 us", "p99 us");
	fflush(stdout);
	for (si = 0; si < 2; si++)
		for (ni = 0; ni < 2; ni++) {
			memset(&rn, 0, sizeof(rn));
			memset(&use, 0, sizeof(use));
			gw_cpu_mark(&b->cpu);
			if (run(b, &rn, sides[si], M_ORDER, ns[ni],
			    secs) != 0) {
				gw_run_free(&rn);
				return -1;
			}
			gw_cpu_add(&b->cpu, &use);
			if (sides[si]->gateway)
				signed_posts += rn.ok[K_ORDER] +
				    rn.errs.total;
			printf("   %-8s %9d %10.0f %9" PRIu64 " %8" PRIu64,
			    sides[si]->name, ns[ni], gw_run_rate(&rn),
			    rn.ok[K_ORDER], rn.errs.total);
			if (rn.lat != NULL)
				printf(" %10.1f %10.1f\n",
				    gw_pct(rn.lat, rn.nlat, 0.50),
				    gw_pct(rn.lat, rn.nlat, 0.99));
			else
				printf("\n");
			gw_errs_print(&rn.errs, "     ");
			gw_cpu_print(&b->cpu, &use, "       cpu %:");
			gw_run_free(&rn);
			fflush(stdout);
		}
	printf("   %.1f s each; errors: any answer but 200 with success "
	    "true and an orderID\n", secs);
	printf("   note: vaultd remembers every signed POST/DELETE for the "
	    "policy's skew + 1 s (%d s),\n   at most %d of one client's "
	    "(vaultd/vaultd.h GW_REPLAY_CLIENT): past %.0f a second,\n   "
	    "sustained, it answers this client 503 \"this client has too "
	    "many signed\n   requests in the replay window\"; these runs "
	    "sent %" PRIu64 " through the gateway\n",
	    POLICY_SKEW_DEFAULT + 1, GW_REPLAY_CLIENT,
	    (double)GW_REPLAY_CLIENT / (POLICY_SKEW_DEFAULT + 1),
	    signed_posts);
	printf("   reproduce: %s\n", b->cmd);
	return 0;
}

/* The resident memory of the four processes, and the counts, at t. */
static void
soak_sample(struct bench *b, const struct gw_run *rn, double t)
{
	struct sample	*s;

	if (b->ns == SAMPLES_MAX)
		return;
	s = &b->s[b->ns++];
	s->t = t;
	s->rss[0] = gw_rss_kib(b->it.vaultd);
	s->rss[1] = gw_rss_kib((pid_t)b->procs[1].pid);
	s->rss[2] = gw_rss_kib((pid_t)b->procs[2].pid);
	s->rss[3] = gw_rss_kib(b->tx.pid);
	s->ok = rn->ok[K_READ] + rn->ok[K_ORDER] + rn->ok[K_CANCEL];
	s->errs = rn->errs.total;
}

/* Every SOAK_TICK seconds of the soak. */
static void
soak_tick(struct gw_run *rn, double t)
{
	soak_sample(((struct job *)rn->arg)->b, rn, t);
}

/*
 * Part 3: SOAK_N slots for secs at saturation, each placing an order,
 * reading the live orders, cancelling its order; memory every 5 s.
 */
static int
part_soak(struct bench *b, int secs)
{
	static const char *const	 names[] = { "vaultd", "signerd",
	    "netd", "testexchange" };
	struct gw_run			 rn;
	struct gw_cpu_use		 use;
	const struct sample		*s, *prev, *settled = NULL, *last;
	long				 max;
	double				 dt, flat;
	size_t				 i;
	int				 p, allflat = 1;

	memset(&rn, 0, sizeof(rn));
	memset(&use, 0, sizeof(use));
	rn.tick = soak_tick;
	rn.tick_s = SOAK_TICK;
	b->ns = 0;
	printf("\n3. Soak: %d s through the gateway, %d in flight, each "
	    "slot in turn: POST /order,\n   GET " READ_PATH ", DELETE "
	    "/order of the order it placed\n", secs, SOAK_N);
	fflush(stdout);
	gw_cpu_mark(&b->cpu);
	if (run(b, &rn, &b->gw, M_SOAK, SOAK_N, secs) != 0)
		return -1;
	gw_cpu_add(&b->cpu, &use);
	if (b->ns > 0 && b->s[b->ns - 1].t < rn.elapsed - 0.5)
		soak_sample(b, &rn, rn.elapsed);
	if (b->ns == 0)
		return -1;
	printf("\n   %6s %8s %7s | VmRSS KiB %8s %8s %8s %12s\n", "t s",
	    "req/s", "errors", names[0], names[1], names[2], names[3]);
	for (i = 0; i < b->ns; i++) {
		s = &b->s[i];
		prev = i > 0 ? &b->s[i - 1] : NULL;
		dt = prev != NULL ? s->t - prev->t : 0;
		printf("   %6.1f %8.0f %7" PRIu64 " |           %8ld %8ld "
		    "%8ld %12ld\n", s->t, dt > 0 ?
		    (double)(s->ok - prev->ok) / dt : 0.0,
		    prev != NULL ? s->errs - prev->errs : 0, s->rss[0],
		    s->rss[1], s->rss[2], s->rss[3]);
		if (settled == NULL && s->t >= SOAK_SETTLE - 0.5)
			settled = s;
	}
	last = &b->s[b->ns - 1];
	if (settled == NULL || settled == last) {
		printf("\n   memory flat: too short to tell (the last sample "
		    "is compared with the one at %d s,\n   once vaultd's "
		    "replay window is full: --soak %d or more)\n",
		    SOAK_SETTLE, SOAK_SETTLE + 10);
		allflat = -1;
		settled = last;
	}
	printf("\n   %-12s %8s %6.0f s %8s %9s %8s %9s %s\n", "", "first",
	    settled->t, "last", "max", "growth", "last/set", "flat");
	for (p = 0; p < 4; p++) {
		max = 0;
		for (i = 0; i < b->ns; i++)
			if (b->s[i].rss[p] > max)
				max = b->s[i].rss[p];
		flat = 100.0 * ((double)last->rss[p] /
		    (double)settled->rss[p] - 1.0);
		if (p < 3 && allflat == 1 && (flat > FLAT_PCT ||
		    flat < -FLAT_PCT))
			allflat = 0;
		printf("   %-12s %8ld %8ld %8ld %9ld %+8ld %+8.1f%% %s\n",
		    names[p], b->s[0].rss[p], settled->rss[p], last->rss[p],
		    max, last->rss[p] - b->s[0].rss[p], flat,
		    allflat == -1 ? "-" : flat <= FLAT_PCT &&
		    flat >= -FLAT_PCT ? "yes" : "NO");
	}
	printf("   (KiB; flat: the last within %.0f %% of the value at "
	    "%.0f s, when the replay window is full)\n", FLAT_PCT,
	    settled->t);
	printf("\n   %" PRIu64 " orders placed, %" PRIu64 " reads, %" PRIu64
	    " cancels in %.1f s: %.0f right answers/s\n", rn.ok[K_ORDER],
	    rn.ok[K_READ], rn.ok[K_CANCEL], rn.elapsed, gw_run_rate(&rn));
	printf("   signed POST/DELETE answered 200: %.0f a second (the "
	    "replay window's sustained\n   limit for one client: %.0f a "
	    "second)\n",
	    (double)(rn.ok[K_ORDER] + rn.ok[K_CANCEL]) / rn.elapsed,
	    (double)GW_REPLAY_CLIENT / (POLICY_SKEW_DEFAULT + 1));
	printf("   errors: %" PRIu64 " (0 required: %s)\n", rn.errs.total,
	    rn.errs.total == 0 ? "met" : "NOT met");
	gw_errs_print(&rn.errs, "     ");
	printf("   the daemons' memory flat: %s; the test exchange keeps "
	    "every order it accepted\n   (cancelled ones too): %.0f bytes "
	    "per order placed\n", allflat == -1 ? "too short to tell" :
	    allflat ? "yes" : "NO", rn.ok[K_ORDER] ?
	    1024.0 * (double)(last->rss[3] - b->s[0].rss[3]) /
	    (double)rn.ok[K_ORDER] : 0.0);
	gw_cpu_print(&b->cpu, &use, "   cpu over the soak, % of one core:");
	printf("   reproduce: %s\n", b->cmd);
	return 0;
}

/* The orders part 2 left live, cancelled straight at the exchange. */
static int
cancel_all(struct bench *b)
{
	struct curl_slist	*h;
	struct txr		 r;
	long			 status;

	h = txt_l2(PREFIX, &b->acct, ADDR, txt_now(), "DELETE",
	    "/cancel-all", NULL);
	txt_req(&b->tx, "DELETE", "/cancel-all", h, NULL, &r);
	curl_slist_free_all(h);
	status = r.status;
	txr_free(&r);
	return status == 200 ? 0 : -1;
}

/*
 * --hold: N_MANY GETs through the gateway for secs, after a warm-up;
 * the rate and the CPU time each process used per request.
 */
static int
part_hold(struct bench *b, int secs)
{
	struct gw_run		 rn;
	struct gw_cpu_use	 use;
	double			 hz = (double)sysconf(_SC_CLK_TCK), n;
	int			 i;

	memset(&rn, 0, sizeof(rn));
	if (run(b, &rn, &b->gw, M_READ, N_MANY, 1.0) != 0)
		return -1;
	gw_run_free(&rn);
	printf("\nhold: pids");
	for (i = 1; i < GW_PROCS; i++)
		printf(" %s %ld", b->cpu.name[i], (long)b->cpu.pid[i]);
	printf("; %d in flight through the gateway for %d s\n", N_MANY,
	    secs);
	fflush(stdout);
	memset(&rn, 0, sizeof(rn));
	memset(&use, 0, sizeof(use));
	gw_cpu_mark(&b->cpu);
	if (run(b, &rn, &b->gw, M_READ, N_MANY, (double)secs) != 0) {
		gw_run_free(&rn);
		return -1;
	}
	gw_cpu_add(&b->cpu, &use);
	n = (double)rn.ok[K_READ];
	printf("hold: %.0f requests/s, %" PRIu64 " errors\n",
	    gw_run_rate(&rn), rn.errs.total);
	gw_errs_print(&rn.errs, "     ");
	printf("hold: cpu us per request:");
	for (i = 0; i < GW_PROCS; i++)
		printf(" %s %.1f", b->cpu.name[i], n > 0 ?
		    (double)use.ticks[i] / hz * 1e6 / n : 0.0);
	printf("\n");
	gw_run_free(&rn);
	return rn.errs.total == 0 ? 0 : -1;
}

/* -1 (and why) if a child restarted since before. */
static int
check_children(struct bench *b, const struct it_proc *before)
{
	struct it_proc	now[3];
	int		i, r = 0;

	if (it_status(&b->it, now) != 0) {
		printf("   vaultd does not answer status\n");
		return -1;
	}
	for (i = 1; i < 3; i++)
		if (now[i].pid != before[i].pid ||
		    now[i].restarts != before[i].restarts) {
			printf("   %s restarted: pid %" PRIu64 " -> %" PRIu64
			    ", last exit: %s\n", now[i].name, before[i].pid,
			    now[i].pid, now[i].last_exit);
			r = -1;
		}
	return r;
}

int
main(int argc, char **argv)
{
	struct bench	*b;
	double		 secs = RUN_SECONDS, osecs = ORDER_SECONDS;
	char		 model[128] = "", line[256], *p;
	FILE		*f;
	size_t		 off;
	int		 soak = SOAK_SECONDS, rounds = ROUNDS, quick = 0;
	int		 relaxed = 0, latency = 0, soak_set = 0, i, r = 1;
	int		 awake = 0, hold = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = 1;
		else if (strcmp(argv[i], "--relaxed") == 0)
			relaxed = 1;
		else if (strcmp(argv[i], "--cpu-latency") == 0)
			awake = 1;
		else if (strcmp(argv[i], "--latency") == 0 && i + 1 < argc &&
		    (latency = atoi(argv[i + 1])) > 0 && latency <= 1000)
			i++;
		else if (strcmp(argv[i], "--soak") == 0 && i + 1 < argc &&
		    (soak = atoi(argv[i + 1])) > 0 && soak <= 3600) {
			soak_set = 1;
			i++;
		} else if (strcmp(argv[i], "--hold") == 0 && i + 1 < argc &&
		    (hold = atoi(argv[i + 1])) > 0 && hold <= 3600)
			i++;
		else {
			fprintf(stderr, "usage: bench_gateway [--quick] "
			    "[--relaxed] [--latency MS] [--soak SECONDS] "
			    "[--cpu-latency] [--hold SECONDS]\n");
			return 2;
		}
	}
	if (awake && bench_cpu_latency_ok("bench_gateway") != 0)
		return 2;
	if (quick) {
		secs = osecs = 0.5;
		rounds = 1;
		if (!soak_set)
			soak = 5;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    curl_global_init(CURL_GLOBAL_ALL) != 0 ||
	    (b->multi = curl_multi_init()) == NULL)
		return 1;
	/* every connection of both sides stays in the pool */
	curl_multi_setopt(b->multi, CURLMOPT_MAXCONNECTS,
	    (long)(2 * GW_SLOTS_MAX + 8));
	curl_multi_setopt(b->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_NOTHING);
	it_init(&b->it);
	off = (size_t)snprintf(b->cmd, sizeof(b->cmd), "CLOBVAULT_BUILD=%s",
	    b->it.build);
	for (i = 0; i < argc && off < sizeof(b->cmd); i++)
		off += (size_t)snprintf(b->cmd + off, sizeof(b->cmd) - off,
		    " %s", argv[i]);
	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if (strncmp(line, "model name", 10) == 0 &&
			    (p = strchr(line, ':')) != NULL) {
				snprintf(model, sizeof(model), "%s", p + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		fclose(f);
	}
	printf("bench_gateway: the gateway's cost, daemons from %s\n",
	    b->it.build);
	printf("machine: %ld cores online (%s)\n",
	    sysconf(_SC_NPROCESSORS_ONLN), model);
	printf("command: %s%s\n", b->cmd, quick ? "   (quick: a smoke run, "
	    "not figures)" : "");
	gw_loadavg(line, sizeof(line));
	printf("load average at the start: %s\n", line);
	fflush(stdout);
	printf("audit mode: %s\n", relaxed ? "relaxed (vaultctl audit mode "
	    "relaxed: synced every 5 ms at most)" : "durable (the default)");
	if (latency > 0)
		printf("the test exchange waits %d ms before each answer "
		    "(--latency)\n", latency);
	if (awake)
		printf("--cpu-latency: vaultd runs with --cpu-latency 0\n");
	if (setup(b, relaxed, latency, awake) != 0)
		goto out;
	if (hold > 0) {
		if (part_hold(b, hold) != 0 ||
		    check_children(b, b->procs) != 0) {
			fprintf(stderr, "bench_gateway: --hold failed (log "
			    "%s)\n", b->it.log);
			goto out;
		}
		r = 0;
		goto out;
	}
	if (part_overhead(b, secs, rounds) != 0 ||
	    check_children(b, b->procs) != 0) {
		fprintf(stderr, "bench_gateway: part 1 failed (log %s)\n",
		    b->it.log);
		goto out;
	}
	if (part_orders(b, osecs) != 0 || check_children(b, b->procs) != 0) {
		fprintf(stderr, "bench_gateway: part 2 failed (log %s)\n",
		    b->it.log);
		goto out;
	}
	if (cancel_all(b) != 0) {
		fprintf(stderr, "bench_gateway: cancel-all refused\n");
		goto out;
	}
	if (part_soak(b, soak) != 0 || check_children(b, b->procs) != 0) {
		fprintf(stderr, "bench_gateway: the soak failed (log %s)\n",
		    b->it.log);
		goto out;
	}
	gw_loadavg(line, sizeof(line));
	printf("\nload average at the end: %s; \"others\" in the cpu lines: "
	    "every other process\non the machine (figures taken beside "
	    "other work are not this code's alone)\n", line);
	printf("reproduce: %s\n", b->cmd);
	r = 0;
 out:
	teardown(b);
	free(b);
	curl_global_cleanup();
	return r;
}
