/*
 * Signatures per second through the privilege-separated path
 * (doc/exchanges.md, "Performance targets"), beside the same header
 * sets made in process.
 *
 * A real vaultd (with its signerd and netd) from $CLOBVAULT_BUILD in a
 * temporary CLOBVAULT_HOME, a vault with one openfish account, a
 * generated wallet and an imported API credential; then this program
 * speaks the control protocol as vaultctl does, MSG_CTL_HEADERS_REQ for
 * L1 (GET /auth/derive-api-key) and L2 (GET /auth/api-keys):
 *  - one at a time: p50 and p99 latency, from the first send to the
 *    answer (retries of a busy vaultd included);
 *  - pipelined: WINDOW requests kept in flight on one connection.
 * A CV_ERR_AGAIN answer (vaultd busy) is counted and the request sent
 * again: at once when one at a time, after the next answer (or 1 ms)
 * when pipelined.  Then the three daemons' resident memory.
 *
 * usage: bench_path [seconds-per-run]
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/profile.h"
#include "common/secmem.h"
#include "common/secp.h"
#include "signerd/signerd_sign.h"
#include "tests/it.h"

#define RUN_SECONDS	3.0		/* per path run, and per level */
#define SINGLE_MAX	20000		/* requests one at a time */
#define WARMUP		50
#define WINDOW		240		/* pipelined requests in flight */
#define INPROC_RUNS	3
#define INPROC_SECONDS	0.5
#define BATCH		64

#define ACCOUNT		"bench"
#define L1_PATH		"/auth/derive-api-key"
#define L2_PATH		"/auth/api-keys"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define PASSPHRASE \
	"1816e5ed89518467ffa78c65a2d6a62d240f6fd6d159cba7b2c4dc510800f75a"

/* In process: the vectors' public test wallet, never a real key. */
#define WALLET_HEX \
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define TS		"1712345678"
#define TS_NOW		1712345678

/* doc/exchanges.md, "Performance targets": the 2-core machine's figures. */
#define TARGET_L1	30000.0		/* pipelined signatures per second */
#define TARGET_L2	100000.0
#define TARGET_ADDED_US	40.0		/* path p50 minus in process */
#define TARGET_RSS_KIB	(16 * 1024)
#define POLICY_RULES	100		/* the policy beside the default */
#define POLICY_LOSS	5.0		/* % of L2 pipelined, issue goal */
#define POLICY_ROUNDS	3		/* alternating runs of each */

struct inproc {
	struct secp256k1_context_struct	*ctx;
	struct secret			 wallet;
	struct secret			 hkey;
	struct sign_wallet		 w;
	const struct profile		*p;
	struct sign_req			 req;
	volatile uint8_t		 sink;
};

struct level {
	const char		*name;
	enum catalog_auth	 level;
	const char		*path;
	size_t			 nheaders;	/* in the answer */
	double			 inproc;	/* ops/s */
	double			 p50, p99;	/* us, one at a time */
	size_t			 nsingle;
	uint64_t		 again_single;
	double			 piped;		/* ops/s */
	uint64_t		 again_piped;
};

static double	now_s(void);
static int	cmp_double(const void *, const void *);
static int	inproc_init(struct inproc *);
static void	inproc_free(struct inproc *);
static int	inproc_op(struct inproc *, enum catalog_auth);
static double	inproc_rate(struct inproc *, enum catalog_auth, double);
static int	vault_setup(struct it *, const char *);
static int	req_queue(struct chan *, uint32_t, const struct level *);
static int	answer(struct msg *, const struct level *);
static int	path_single(struct chan *, uint32_t *, struct level *,
		    double);
static int	path_piped(struct chan *, uint32_t *, struct level *,
		    double);
static long	rss_kib(uint64_t);
static void	target_row(const char *, double, const char *, int);
static void	report(struct level *, size_t, const char *, double,
		    const struct it_proc *);

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
inproc_init(struct inproc *ip)
{
	size_t	n;

	memset(ip, 0, sizeof(*ip));
	if ((ip->ctx = secp_ctx_new()) == NULL ||
	    secret_alloc(&ip->wallet, 32) != 0 ||
	    hex_decode(WALLET_HEX, strlen(WALLET_HEX), ip->wallet.p, 32,
	    &n) != 0 || n != 32 ||
	    sign_wallet_init(ip->ctx, ip->wallet.p, &ip->w) != 0 ||
	    secret_alloc(&ip->hkey, 32) != 0 ||
	    (ip->p = profile_find("openfish")) == NULL)
		return -1;
	randombytes_buf(ip->hkey.p, ip->hkey.len);
	ip->req.account = ACCOUNT;
	ip->req.method = "GET";
	ip->req.timestamp = TS;
	return 0;
}

static void
inproc_free(struct inproc *ip)
{
	secret_free(&ip->hkey);
	secret_free(&ip->wallet);
	secp_ctx_free(ip->ctx);
}

/* What signerd does for one request: check its shape, sign. */
static int
inproc_op(struct inproc *ip, enum catalog_auth level)
{
	struct sign_headers	h;
	int			r;

	h.n = 0;
	if ((r = sign_req_check(&ip->req, TS_NOW, SIGN_SKEW_DEFAULT)) != 0)
		return r;
	if (level == CATALOG_L1)
		r = sign_l1_wallet(ip->ctx, &ip->w, ip->p, &ip->req, NULL, &h);
	else
		r = sign_l2(ip->p, ip->w.addr_text, API_KEY, ip->hkey.p,
		    ip->hkey.len, PASSPHRASE, &ip->req, &h);
	if (r == 0)
		ip->sink ^= (uint8_t)h.h[1].value[2];
	sign_headers_clear(&h);
	return r;
}

/* Operations per second: the median of INPROC_RUNS runs of secs. */
static double
inproc_rate(struct inproc *ip, enum catalog_auth level, double secs)
{
	double		ops[INPROC_RUNS], t0, t;
	uint64_t	n;
	int		i, k;

	ip->req.level = level;
	ip->req.path = level == CATALOG_L1 ? L1_PATH : L2_PATH;
	ip->req.pathlen = strlen(ip->req.path);
	for (i = 0; i < INPROC_RUNS; i++) {
		n = 0;
		t0 = now_s();
		do {
			for (k = 0; k < BATCH; k++, n++) {
				ip->req.nonce = n;
				if (inproc_op(ip, level) != 0)
					return -1;
			}
			t = now_s() - t0;
		} while (t < secs);
		ops[i] = (double)n / t;
	}
	qsort(ops, INPROC_RUNS, sizeof(ops[0]), cmp_double);
	return ops[INPROC_RUNS / 2];
}

/*
 * Start vaultd and give it what a trader's vault holds: a vault, an
 * openfish account, a generated wallet, an API credential whose secret
 * is base64url of 32 random bytes.  passfile holds the passphrase.
 */
static int
vault_setup(struct it *t, const char *passfile)
{
	uint8_t	 raw[32];
	char	 secret[B64_ENCODED_SIZE(32)], json[256], out[4096];
	int	 r = -1;

	it_write(passfile, "bench path passphrase\n", 0600);
	if (it_start(t, NULL, NULL) != 0) {
		fprintf(stderr, "bench_path: vaultd did not start (log %s)\n",
		    t->log);
		goto out;
	}
	randombytes_buf(raw, sizeof(raw));
	if (b64url_encode(raw, sizeof(raw), secret, sizeof(secret)) != 0)
		goto out;
	snprintf(json, sizeof(json), "{\"apiKey\":\"%s\",\"secret\":\"%s\","
	    "\"passphrase\":\"%s\"}", API_KEY, secret, PASSPHRASE);
	if (it_ctl(t, NULL, out, sizeof(out), "init --passphrase-file %s "
	    "--kdf interactive", passfile) != 0 ||
	    it_ctl(t, NULL, out, sizeof(out), "account add %s "
	    "--profile openfish", ACCOUNT) != 0 ||
	    it_ctl(t, NULL, out, sizeof(out), "wallet generate --account %s",
	    ACCOUNT) != 0 ||
	    it_ctl(t, json, out, sizeof(out), "apikey import --account %s",
	    ACCOUNT) != 0) {
		fprintf(stderr, "bench_path: vault set-up failed: %s", out);
		goto out;
	}
	r = 0;
 out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(json, sizeof(json));
	return r;
}

/* Queue MSG_CTL_HEADERS_REQ [account, level, method, path, body, nonce]. */
static int
req_queue(struct chan *c, uint32_t id, const struct level *lv)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_HEADERS_REQ, id);
	msg_put_str(&w, ACCOUNT);
	msg_put_u64(&w, (uint64_t)lv->level);
	msg_put_str(&w, "GET");
	msg_put_str(&w, lv->path);
	msg_put_bin(&w, "", 0);
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);		/* flags */
	return chan_queue(c, &w);
}

/*
 * 0 for a header set of the expected size, CV_ERR_AGAIN when vaultd is
 * busy, anything else a failure (said on standard error).
 */
static int
answer(struct msg *m, const struct level *lv)
{
	struct msg_rd	 list;
	const char	*text;
	size_t		 len;
	int64_t		 code;
	int		 r;

	if (m->type == MSG_CTL_HEADERS_ANS) {
		if ((r = msg_get_array(&m->rd, &list, 16)) != 0)
			return r;
		return list.n == lv->nheaders ? 0 : CV_ERR_MSG_COUNT;
	}
	if (m->type != MSG_ERROR_ANS)
		return CV_ERR_MSG_STATE;
	if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
	    (r = msg_get_str(&m->rd, &text, &len, MSG_MAX_STR)) != 0)
		return r;
	if (code == CV_ERR_AGAIN)
		return CV_ERR_AGAIN;
	fprintf(stderr, "bench_path: %s refused: %.*s\n", lv->name, (int)len,
	    text);
	return code < 0 && code > -1000 ? (int)code : CV_ERR_INTERNAL;
}

/*
 * One request at a time for secs or SINGLE_MAX requests, after WARMUP
 * unmeasured ones: the latency percentiles into lv.
 */
static int
path_single(struct chan *c, uint32_t *id, struct level *lv, double secs)
{
	struct msg	 m;
	double		*lat, t0, t;
	size_t		 i, n = 0;
	int		 r = CV_ERR_INTERNAL;

	if ((lat = calloc(SINGLE_MAX, sizeof(*lat))) == NULL)
		return CV_ERR_NOMEM;
	t0 = now_s();
	for (i = 0; i < WARMUP + SINGLE_MAX; i++) {
		if (i == WARMUP)
			t0 = now_s();
		else if (i > WARMUP && now_s() - t0 >= secs)
			break;
		t = now_s();
		for (;;) {
			if ((r = req_queue(c, ++*id, lv)) != 0 ||
			    (r = chan_flush(c)) != 0 ||
			    (r = chan_recv(c, &m)) != 0)
				goto out;
			r = answer(&m, lv);
			msg_clear(&m);
			if (r != CV_ERR_AGAIN)
				break;
			lv->again_single++;
		}
		if (r != 0)
			goto out;
		if (i >= WARMUP)
			lat[n++] = (now_s() - t) * 1e6;
	}
	qsort(lat, n, sizeof(lat[0]), cmp_double);
	lv->nsingle = n;
	lv->p50 = lat[n / 2];
	lv->p99 = lat[n * 99 / 100];
	r = 0;
 out:
	free(lat);
	return r;
}

/*
 * WINDOW requests in flight for secs, then the stragglers: answers per
 * second into lv.  A request vaultd was too busy for waits for the next
 * answer, or 1 ms, before it goes again.
 */
static int
path_piped(struct chan *c, uint32_t *id, struct level *lv, double secs)
{
	struct pollfd	 pfd;
	struct msg	 m;
	double		 t0;
	uint64_t	 ok = 0;
	int		 inflight = 0, held = 0, release = 0, running, r;

	t0 = now_s();
	for (;;) {
		running = now_s() - t0 < secs;
		for (; running && inflight + held < WINDOW; inflight++)
			if ((r = req_queue(c, ++*id, lv)) != 0)
				return r;
		for (; running && release && held > 0; held--, inflight++)
			if ((r = req_queue(c, ++*id, lv)) != 0)
				return r;
		release = 0;
		if ((r = chan_flush(c)) != 0)
			return r;
		if (!running && inflight == 0)
			break;

		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, 1)) == -1) {
			if (errno == EINTR)
				continue;
			return CV_ERR_IO;
		}
		if (r == 0) {
			release = 1;
			continue;
		}
		if ((r = chan_fill(c)) != 0)
			return r;
		while ((r = chan_next(c, &m)) == 0) {
			r = answer(&m, lv);
			msg_clear(&m);
			inflight--;
			if (r == 0) {
				ok++;
				release = 1;
			} else if (r == CV_ERR_AGAIN) {
				lv->again_piped++;
				held++;
			} else
				return r;
		}
		if (r != CV_ERR_AGAIN)
			return r;
	}
	lv->piped = (double)ok / (now_s() - t0);
	return 0;
}

/*
 * A policy of POLICY_RULES rules that a trader might keep: clients with
 * order predicates and budgets, denials, approvals, wildcard paths; the
 * L2 request of the bench is admitted by one catalog rule among them.
 */
static int
policy_write(const char *path)
{
	FILE	*f;
	int	 i;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "allow operator account %s catalog label catalog-calls\n"
	    "deny operator level l1 nonce > 10 label l1-nonces\n", ACCOUNT);
	for (i = 0; i < POLICY_RULES - 2; i++)
		switch (i % 4) {
		case 0:
			fprintf(f, "allow client bot%d account %s level l2 "
			    "method POST path /order order side in { BUY SELL } "
			    "order notional <= %d rate 10/s burst 20 per client\n",
			    i, ACCOUNT, 100 + i);
			break;
		case 1:
			fprintf(f, "deny any method DELETE path /x%d/* "
			    "body \"/id\" prefix \"z%d\"\n", i, i);
			break;
		case 2:
			fprintf(f, "allow client bot%d level l2 method GET "
			    "path { /book /tick-size /data/trades%d } limit "
			    "1000/day per account\n", i, i);
			break;
		default:
			fprintf(f, "allow operator uid %d method PUT path "
			    "/v%d/*/orders query market = m%d\n", 1000 + i, i,
			    i);
			break;
		}
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * L2 pipelined under the default policy (the catalog for the operator)
 * and under POLICY_RULES rules, alternately; the medians.
 */
static int
policy_compare(struct it *t, struct chan *c, uint32_t *id, struct level *l2,
    const char *passfile, double secs, double *base, double *with)
{
	struct level	lv;
	double		b[POLICY_ROUNDS], w[POLICY_ROUNDS];
	char		polfile[160], defile[160], out[8192];
	int		i, r;

	snprintf(polfile, sizeof(polfile), "%s.policy", t->home);
	snprintf(defile, sizeof(defile), "%s.default", t->home);
	it_write(defile, "allow operator catalog label default\n", 0600);
	if (policy_write(polfile) != 0)
		return -1;
	for (i = 0; i < POLICY_ROUNDS; i++) {
		if (it_ctl(t, NULL, out, sizeof(out), "policy apply %s "
		    "--passphrase-file %s", defile, passfile) != 0)
			goto fail;
		lv = *l2;
		if ((r = path_piped(c, id, &lv, secs)) != 0)
			return r;
		b[i] = lv.piped;
		if (it_ctl(t, NULL, out, sizeof(out), "policy apply %s "
		    "--passphrase-file %s", polfile, passfile) != 0)
			goto fail;
		lv = *l2;
		if ((r = path_piped(c, id, &lv, secs)) != 0)
			return r;
		w[i] = lv.piped;
	}
	qsort(b, POLICY_ROUNDS, sizeof(b[0]), cmp_double);
	qsort(w, POLICY_ROUNDS, sizeof(w[0]), cmp_double);
	*base = b[POLICY_ROUNDS / 2];
	*with = w[POLICY_ROUNDS / 2];
	unlink(polfile);
	unlink(defile);
	return 0;
 fail:
	fprintf(stderr, "bench_path: policy apply failed: %s", out);
	return -1;
}

/* VmRSS of pid in KiB, -1 if it cannot be read. */
static long
rss_kib(uint64_t pid)
{
	FILE	*f;
	char	 path[64], line[256];
	long	 kib = -1;

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* One row of the targets table. */
static void
target_row(const char *what, double got, const char *unit, int met)
{
	printf("%-40s %10.1f %-4s %s\n", what, got, unit, met ? "yes" : "no");
}

static void
report(struct level *lv, size_t nlv, const char *build, double secs,
    const struct it_proc *procs)
{
	static const double	target[] = { TARGET_L1, TARGET_L2 };
	char			what[64];
	long			rss[3], total = 0;
	double			added;
	size_t			i;

	printf("\n%-5s %-19s | %-37s | %s\n", "", "in process",
	    "path, one at a time", "path, pipelined");
	printf("%-5s %10s %8s | %8s %8s %9s %8s | %10s %8s\n", "level",
	    "ops/s", "us/op", "p50 us", "p99 us", "added us", "AGAIN",
	    "ops/s", "AGAIN");
	for (i = 0; i < nlv; i++)
		printf("%-5s %10.0f %8.2f | %8.1f %8.1f %9.1f %8" PRIu64
		    " | %10.0f %8" PRIu64 "\n", lv[i].name, lv[i].inproc,
		    1e6 / lv[i].inproc, lv[i].p50, lv[i].p99,
		    lv[i].p50 - 1e6 / lv[i].inproc, lv[i].again_single,
		    lv[i].piped, lv[i].again_piped);

	printf("\n%-40s %15s %s\n", "target (doc/exchanges.md)",
	    "measured", "met");
	for (i = 0; i < nlv; i++) {
		snprintf(what, sizeof(what), "%s pipelined >= %.0f/s",
		    lv[i].name, target[i]);
		target_row(what, lv[i].piped, "/s", lv[i].piped >= target[i]);
	}
	for (i = 0; i < nlv; i++) {
		added = lv[i].p50 - 1e6 / lv[i].inproc;
		snprintf(what, sizeof(what), "%s added p50 latency <= %.0f us",
		    lv[i].name, TARGET_ADDED_US);
		target_row(what, added, "us", added <= TARGET_ADDED_US);
	}
	for (i = 0; i < 3; i++) {
		rss[i] = rss_kib(procs[i].pid);
		total += rss[i] < 0 ? 0 : rss[i];
	}
	target_row("resident memory of the daemons <= 16 MiB", total / 1024.0,
	    "MiB", rss[0] >= 0 && rss[1] >= 0 && rss[2] >= 0 &&
	    total <= TARGET_RSS_KIB);
	printf("  VmRSS after the runs: vaultd %ld, signerd %ld, netd %ld "
	    "KiB\n", rss[0], rss[1], rss[2]);

	printf("\none at a time: %zu L1, %zu L2 requests after %d "
	    "unmeasured (at most %.1f s each)\n", lv[0].nsingle,
	    lv[1].nsingle, WARMUP, secs);
	printf("pipelined: %d in flight on one connection, %.1f s each; "
	    "AGAIN: vaultd busy, sent again\n", WINDOW, secs);
	printf("in process: sign_req_check + sign_l1_wallet or sign_l2, "
	    "median of %d runs of %.2f s\n", INPROC_RUNS, INPROC_SECONDS);
	printf("added: path p50 minus in-process us/op\n");
	printf("reproduce: make bench   (or: CLOBVAULT_BUILD=%s "
	    "%s/tests/bench/bench_path [seconds])\n", build, build);
}

int
main(int argc, char **argv)
{
	struct level	lv[2] = {
		{ .name = "L1", .level = CATALOG_L1, .path = L1_PATH,
		    .nheaders = 4 },
		{ .name = "L2", .level = CATALOG_L2, .path = L2_PATH,
		    .nheaders = 5 },
	};
	struct inproc	ip;
	struct it	t;
	struct it_proc	procs[3];
	struct chan	c;
	char		passfile[128];
	double		secs = RUN_SECONDS, base, with, loss;
	uint32_t	id = 1;
	size_t		i;
	int		connected = 0, r = 1;

	if (argc > 2 || (argc == 2 && (secs = atof(argv[1])) <= 0)) {
		fprintf(stderr, "usage: bench_path [seconds-per-run]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0 || inproc_init(&ip) != 0) {
		fprintf(stderr, "bench_path: set-up failed\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		if ((lv[i].inproc = inproc_rate(&ip, lv[i].level,
		    INPROC_SECONDS)) <= 0) {
			fprintf(stderr, "bench_path: in-process %s failed\n",
			    lv[i].name);
			inproc_free(&ip);
			return 1;
		}
	inproc_free(&ip);

	it_init(&t);
	snprintf(passfile, sizeof(passfile), "%s.pass", t.home);
	printf("bench_path: headers through vaultd -> signerd from %s, one "
	    "openfish account\n", t.build);
	fflush(stdout);
	if (vault_setup(&t, passfile) != 0)
		goto out;
	if (it_connect(&t, &c) != 0) {
		fprintf(stderr, "bench_path: cannot reach %s\n", t.sock);
		goto out;
	}
	connected = 1;
	for (i = 0; i < 2; i++) {
		if (path_single(&c, &id, &lv[i], secs) != 0 ||
		    path_piped(&c, &id, &lv[i], secs) != 0) {
			fprintf(stderr, "bench_path: %s through the path "
			    "failed (log %s)\n", lv[i].name, t.log);
			goto out;
		}
	}
	if (it_status(&t, procs) != 0) {
		fprintf(stderr, "bench_path: no status from vaultd\n");
		goto out;
	}
	report(lv, 2, t.build, secs, procs);
	if (policy_compare(&t, &c, &id, &lv[1], passfile, secs, &base,
	    &with) != 0) {
		fprintf(stderr, "bench_path: the policy runs failed (log %s)\n",
		    t.log);
		goto out;
	}
	loss = 100.0 * (base - with) / base;
	printf("\nL2 pipelined, default policy (the catalog)  %10.0f /s\n"
	    "L2 pipelined, %d-rule policy              %10.0f /s\n"
	    "throughput loss %.1f %% (goal <= %.0f %%: %s); medians of %d "
	    "alternating %.1f s runs\n", base, POLICY_RULES, with, loss,
	    POLICY_LOSS, loss <= POLICY_LOSS ? "yes" : "no", POLICY_ROUNDS,
	    secs);
	r = 0;
 out:
	if (connected)
		chan_free(&c);
	it_cleanup(&t);
	unlink(passfile);
	return r;
}
