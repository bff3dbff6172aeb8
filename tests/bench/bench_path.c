/*
 * Signatures through the privilege-separated path, beside the limits
 * of the machine measured in the same run (bench_limits.h), and the
 * speed goals of issue 15 computed from those figures.
 *
 * A real vaultd (with its signerd and netd) from $CLOBVAULT_BUILD in a
 * temporary CLOBVAULT_HOME, a vault with one openfish account, a
 * generated wallet and an imported API credential; then this program
 * speaks the control protocol as vaultctl does, MSG_CTL_HEADERS_REQ for
 * L1 (GET /auth/derive-api-key) and L2 (GET /auth/api-keys, and POST
 * /orders-scoring with a 64 KiB body):
 *  - one at a time: p50 and p99 latency, from the first send to the
 *    answer (retries of a busy vaultd included), in the durable audit
 *    mode and, when vaultd has it, the relaxed one;
 *  - pipelined: 1, 8, 64 and 240 requests kept in flight on one
 *    connection, each over repeated windows; a long L2 run across
 *    audit checkpoints; 64 KiB bodies; L1 with one signing worker
 *    (vaultd -W 1) and with the default;
 *  - the three daemons' memory, idle and after HTTPS exchange calls to
 *    a local test exchange;
 *  - L2 under the default policy and under a policy of 100 rules.
 * A CV_ERR_AGAIN answer (vaultd busy) is counted and the request sent
 * again: at once when one at a time, after the next answer (or 1 ms)
 * when pipelined.  A figure vaultd cannot give (an option it refuses)
 * is printed as "not available" with its reason.
 *
 * --cpu-latency starts every vaultd with --cpu-latency 0 (root only): it
 * keeps idle cores polling instead of halting while it runs, and the
 * figures (the limits too, measured while it runs) show what the
 * daemons cost without the machine's slow wake-ups.
 *
 * --one-core runs this program, and so every daemon it starts (they
 * inherit it), on one CPU alone (sched_setaffinity; no root needed):
 * each hop of a lone request then wakes a process on the core that is
 * running, not one that halted, at the price of a single core for the
 * rest.  The limits are measured on that core too.
 *
 * --bodies runs only the 64 KiB bodies (64 and 240 in flight), with the
 * CPU each process spent per request: for profiling that path, and for
 * alternating runs of two builds.
 *
 * usage: bench_path [--quick] [--cpu-latency] [--one-core] [--bodies]
 */
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "common/profile.h"
#include "common/secmem.h"
#include "common/secp.h"
#include "signerd/signerd_sign.h"
#include "tests/bench/bench_lib.h"
#include "tests/bench/bench_limits.h"
#include "tests/bench/bench_daemons.h"
#include "tests/bench/bench_path.h"

struct inproc {
	struct secp256k1_context_struct	*ctx;
	struct secret			 wallet;
	struct secret			 hkey;
	struct sign_wallet		 w;
	const struct profile		*p;
	struct sign_req			 req;
	volatile uint8_t		 sink;
};

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

/* Operations per second of lv in process, over windows of secs. */
static int
inproc_rate(struct inproc *ip, const struct level *lv, double secs,
    struct bstat *st)
{
	double		t0, t;
	uint64_t	n;
	int		w, k;

	ip->req.level = lv->level;
	ip->req.path = lv->path;
	ip->req.pathlen = strlen(lv->path);
	for (w = 0; w < WINDOWS; w++) {
		n = 0;
		t0 = bench_now();
		do {
			for (k = 0; k < INPROC_BATCH; k++, n++) {
				ip->req.nonce = n;
				if (inproc_op(ip, lv->level) != 0)
					return -1;
			}
			t = bench_now() - t0;
		} while (t < secs);
		bstat_add(st, (double)n / t);
	}
	return 0;
}

/*
 * Start vaultd (with a1, a2) and give it what a trader's vault holds: a
 * vault, an openfish account, a generated wallet, an API credential
 * whose secret is base64url of 32 random bytes; then connect.  0, or
 * -1 with the reason in err.
 */
static int
vault_setup(struct bench *b, const char *a1, const char *a2, char *err,
    size_t errlen)
{
	snprintf(b->passfile, sizeof(b->passfile), "%s.pass", b->t.home);
	it_write(b->passfile, "bench path passphrase\n", 0600);
	if (dmn_start(&b->t, a1, a2, err, errlen) != 0 ||
	    dmn_vault(&b->t, b->passfile, ACCOUNT, API_KEY, PASSPHRASE, err,
	    errlen) != 0)
		return -1;
	if (it_connect(&b->t, &b->c) != 0) {
		snprintf(err, errlen, "cannot reach %s", b->t.sock);
		return -1;
	}
	b->connected = 1;
	return 0;
}

static void
vault_cleanup(struct bench *b)
{
	if (b->connected)
		chan_free(&b->c);
	b->connected = 0;
	it_cleanup(&b->t);
	unlink(b->passfile);
}

/*
 * A new connection after a run that broke off: the answers still owed
 * on the old one are not the next run's.
 */
static int
reconnect(struct bench *b)
{
	if (b->connected)
		chan_free(&b->c);
	b->connected = it_connect(&b->t, &b->c) == 0;
	return b->connected ? 0 : -1;
}

static int
req_queue(struct bench *b, const struct level *lv)
{
	return dmn_headers_req(&b->c, ++b->id, ACCOUNT, (uint64_t)lv->level,
	    lv->method, lv->path, lv->body, lv->bodylen);
}

static int
answer(struct msg *m, const struct level *lv)
{
	return dmn_headers_ans(m, lv->nheaders, "bench_path:", lv->path);
}

/*
 * One request at a time for secs or SINGLE_MAX requests, after WARMUP
 * unmeasured ones: the latency percentiles into s.
 */
static int
path_single(struct bench *b, const struct level *lv, double secs,
    struct single *s)
{
	struct msg	 m;
	double		*lat, t0, t;
	size_t		 i, n = 0;
	int		 r = CV_ERR_INTERNAL;

	memset(s, 0, sizeof(*s));
	if ((lat = calloc(SINGLE_MAX, sizeof(*lat))) == NULL)
		return CV_ERR_NOMEM;
	t0 = bench_now();
	for (i = 0; i < WARMUP + SINGLE_MAX; i++) {
		if (i == WARMUP)
			t0 = bench_now();
		else if (i > WARMUP && bench_now() - t0 >= secs)
			break;
		t = bench_now();
		for (;;) {
			if ((r = req_queue(b, lv)) != 0 ||
			    (r = chan_flush(&b->c)) != 0 ||
			    (r = chan_recv(&b->c, &m)) != 0)
				goto out;
			r = answer(&m, lv);
			msg_clear(&m);
			if (r != CV_ERR_AGAIN)
				break;
			s->again++;
		}
		if (r != 0)
			goto out;
		if (i >= WARMUP)
			lat[n++] = (bench_now() - t) * 1e6;
	}
	s->n = n;
	s->p99 = bench_pct(lat, n, 99);
	s->p50 = bench_pct(lat, n, 50);
	s->ok = 1;
	r = 0;
 out:
	free(lat);
	return r;
}

/* What a pipelined run of one level queues and checks. */
struct path_arg {
	struct bench		*b;
	const struct level	*lv;
};

static int
path_queue(void *arg)
{
	struct path_arg	*a = arg;

	return req_queue(a->b, a->lv);
}

static int
path_answer(struct msg *m, void *arg)
{
	struct path_arg	*a = arg;

	return answer(m, a->lv);
}

/*
 * window requests in flight for secs, then the stragglers (dmn_pipe):
 * answers per second into rate, AGAIN answers added to again.
 */
static int
path_piped(struct bench *b, const struct level *lv, int window, double secs,
    double *rate, uint64_t *again, uint64_t *ops)
{
	struct path_arg	 a = { b, lv };
	struct dmn_pipe	 p = { &b->c, window, path_queue, path_answer, &a,
			    0, 0, 0, 0, 0 };
	double		 t0;
	int		 r;

	t0 = bench_now();
	while ((r = dmn_pipe_turn(&p, bench_now() - t0 < secs)) == 0)
		;
	*again += p.again;
	if (r != 1)
		return r;
	*rate = (double)p.ok / (bench_now() - t0);
	if (ops != NULL)
		*ops += p.ok;
	return 0;
}

/* The CPU time so far of the three daemons and this program, seconds. */
static int
cpu_now(const struct it_proc *procs, double cpu[4])
{
	struct dmn_cpu	c;
	int		i;

	for (i = 0; i < 3; i++) {
		if (dmn_cpu_pid(procs[i].pid, &c) != 0)
			return -1;
		cpu[i] = c.user + c.sys;
	}
	dmn_cpu_self(&c);
	cpu[3] = c.user + c.sys;
	return 0;
}

/*
 * WINDOWS pipelined windows of secs with window in flight, and the CPU
 * time each process spent over them (when vaultd's status names them).
 */
static int
piped_windows(struct bench *b, const struct level *lv, int window,
    double secs, struct piped *p)
{
	struct it_proc	procs[3];
	double		rate, cpu0[4];
	int		w, r, i;

	memset(p, 0, sizeof(*p));
	p->secs = secs;
	p->cpu_ok = it_status(&b->t, procs) == 0 && cpu_now(procs, cpu0) == 0;
	for (w = 0; w < WINDOWS; w++) {
		if ((r = path_piped(b, lv, window, secs, &rate,
		    &p->again, &p->ops)) != 0)
			return r;
		bstat_add(&p->rate, rate);
	}
	if (p->cpu_ok && (p->cpu_ok = cpu_now(procs, p->cpu) == 0))
		for (i = 0; i < 4; i++)
			p->cpu[i] -= cpu0[i];
	return 0;
}

/* The audit log's name: the current file (seg 0) or segment seg. */
static void
audit_path(struct bench *b, int seg, char *path, size_t len)
{
	if (seg == 0)
		snprintf(path, len, "%s/audit.log", b->t.home);
	else
		snprintf(path, len, "%s/audit.log.%06d", b->t.home, seg);
}

/* Where the audit log is now: its segments, the current file's size. */
static void
audit_mark(struct bench *b, int *nseg, off_t *size)
{
	struct stat	st;
	char		path[128];

	for (*nseg = 0; *nseg < 100000; (*nseg)++) {
		audit_path(b, *nseg + 1, path, sizeof(path));
		if (stat(path, &st) == -1)
			break;
	}
	audit_path(b, 0, path, sizeof(path));
	*size = stat(path, &st) == 0 ? st.st_size : 0;
}

/* Checkpoint records in the file seg from offset on; -1 if unreadable. */
static long
audit_count(struct bench *b, int seg, off_t from)
{
	FILE	*f;
	char	 path[128], line[4096];
	long	 n = 0;

	audit_path(b, seg, path, sizeof(path));
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fseeko(f, from, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "\tcheckpoint\t") != NULL)
			n++;
	fclose(f);
	return n;
}

/*
 * Checkpoint records written since audit_mark gave nseg0 and size0: the
 * file then current rotates into segment nseg0 + 1 (its first size0
 * bytes were there before), later ones are new.  -1 if unknown.
 */
static long
audit_checkpoints(struct bench *b, int nseg0, off_t size0)
{
	off_t	size;
	long	n, k;
	int	nseg, seg;

	audit_mark(b, &nseg, &size);
	if (nseg == nseg0)
		return audit_count(b, 0, size0);
	if ((n = audit_count(b, nseg0 + 1, size0)) < 0)
		return -1;
	for (seg = nseg0 + 2; seg <= nseg; seg++) {
		if ((k = audit_count(b, seg, 0)) < 0)
			return -1;
		n += k;
	}
	if ((k = audit_count(b, 0, 0)) > 0)
		n += k;
	return n;
}

/* vaultctl args; the first line of its output in out.  Its exit status. */
static int
ctl(struct bench *b, char *out, size_t outlen, const char *args)
{
	char	buf[4096];
	int	r;

	buf[0] = '\0';
	r = it_ctl(&b->t, NULL, buf, sizeof(buf), "%s", args);
	dmn_reason(buf, out, outlen);
	return r;
}

/*
 * The HTTPS exchange calls: a second account on the local test
 * exchange, then `apikey create` and `apikey list` through netd; the
 * daemons' memory after each.
 */
static void
https_calls(struct bench *b)
{
	struct dmn_tx	x;
	char		args[512], out[DMN_ERR - 32], buf[1024];

	buf[0] = '\0';
	if (dmn_tx_start(&x, b->call_err, sizeof(b->call_err)) != 0)
		goto out;
	snprintf(args, sizeof(args), "account add %s --profile openfish "
	    "--url %s --ca-file %s", TX_ACCOUNT, x.tx.url, x.ca);
	if (ctl(b, out, sizeof(out), args) != 0 ||
	    ctl(b, out, sizeof(out), "wallet generate --account "
	    TX_ACCOUNT) != 0 ||
	    it_ctl(&b->t, DMN_INVITE, buf, sizeof(buf), "invite set "
	    "--account %s", TX_ACCOUNT) != 0) {
		if (buf[0] != '\0')
			dmn_reason(buf, out, sizeof(out));
		snprintf(b->call_err, sizeof(b->call_err), "set-up: %s", out);
		goto out;
	}
	if (ctl(b, out, sizeof(out), "apikey create --account "
	    TX_ACCOUNT) != 0) {
		snprintf(b->call_err, sizeof(b->call_err), "apikey create: %s",
		    out);
		goto out;
	}
	dmn_mem(&b->t, &b->mem_call1);
	if (ctl(b, out, sizeof(out), "apikey list --account "
	    TX_ACCOUNT) != 0) {
		snprintf(b->call_err, sizeof(b->call_err), "apikey list: %s",
		    out);
		goto out;
	}
	dmn_mem(&b->t, &b->mem_call2);
 out:
	if (b->call_err[0] != '\0') {
		snprintf(b->mem_call1.err, sizeof(b->mem_call1.err), "%s",
		    b->call_err);
		snprintf(b->mem_call2.err, sizeof(b->mem_call2.err), "%s",
		    b->call_err);
	}
	dmn_tx_cleanup(&x);
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
 * L2 at WIDE in flight under the default policy (the catalog for the
 * operator) and under POLICY_RULES rules, alternately, rounds times;
 * the medians.  The default policy is left applied.
 */
/* vaultctl policy apply file; its reason in out when it fails. */
static int
policy_apply(struct bench *b, const char *file, char *out, size_t len)
{
	char	args[400];

	snprintf(args, sizeof(args), "policy apply %s --passphrase-file %s",
	    file, b->passfile);
	return ctl(b, out, len, args);
}

static int
policy_compare(struct bench *b, int rounds)
{
	struct bstat	base, with;
	char		polfile[160], defile[160], out[DMN_ERR - 32];
	double		rate;
	uint64_t	again = 0;
	int		i, r = -1;

	bstat_reset(&base);
	bstat_reset(&with);
	snprintf(polfile, sizeof(polfile), "%s.policy", b->t.home);
	snprintf(defile, sizeof(defile), "%s.default", b->t.home);
	it_write(defile, "allow operator catalog label default\n", 0600);
	if (policy_write(polfile) != 0)
		goto out;
	snprintf(out, sizeof(out), "a run through the path broke off");
	for (i = 0; i < rounds; i++) {
		if (policy_apply(b, polfile, out, sizeof(out)) != 0 ||
		    path_piped(b, &b->lv[1], WIDE, b->secs, &rate,
		    &again, NULL) != 0)
			goto out;
		bstat_add(&with, rate);
		if (policy_apply(b, defile, out, sizeof(out)) != 0 ||
		    path_piped(b, &b->lv[1], WIDE, b->secs, &rate,
		    &again, NULL) != 0)
			goto out;
		bstat_add(&base, rate);
	}
	b->pol_base = base.med;
	b->pol_with = with.med;
	r = 0;
 out:
	if (r != 0) {
		snprintf(b->pol_err, sizeof(b->pol_err), "policy runs: %s",
		    out);
		dmn_log_show(&b->t);
	}
	unlink(polfile);
	unlink(defile);
	return r;
}

/* The relaxed audit mode's one-at-a-time figures, if vaultd has it. */
static void
relaxed_single(struct bench *b)
{
	char	out[DMN_ERR - 32];
	int	i;

	if (ctl(b, out, sizeof(out), "audit mode relaxed") != 0) {
		snprintf(b->relaxed_err, sizeof(b->relaxed_err),
		    "vaultctl audit mode relaxed: %s", out);
		return;
	}
	if (ctl(b, b->relaxed_mode, sizeof(b->relaxed_mode), "audit mode") !=
	    0)
		b->relaxed_mode[0] = '\0';
	for (i = 0; i < 2; i++)
		if (path_single(b, &b->lv[i], b->single_secs,
		    &b->relaxed[i]) != 0) {
			snprintf(b->relaxed_err, sizeof(b->relaxed_err),
			    "%s one at a time failed", b->lv[i].name);
			dmn_log_show(&b->t);
		}
	if (ctl(b, out, sizeof(out), "audit mode durable") != 0)
		fprintf(stderr, "bench_path: back to the durable mode: %s\n",
		    out);
}

/*
 * A body of BODY_LEN bytes that reads as JSON: order ids, padded to the
 * length with spaces before the closing brace.
 */
static void
body_make(uint8_t *p, size_t len)
{
	size_t	o, i;

	o = (size_t)snprintf((char *)p, len, "{\"orderIds\":[");
	for (i = 0; o + 80 < len; i++)
		o += (size_t)snprintf((char *)p + o, len - o, "%s\"0x%064zx\"",
		    i > 0 ? "," : "", i);
	p[o++] = ']';
	while (o < len - 1)
		p[o++] = ' ';
	p[o] = '}';
}

/* Everything measured with the default vaultd; 0, or -1 (said). */
static int
run_main(struct bench *b)
{
	char	err[DMN_ERR];
	off_t	size;
	double	rate;
	int	i, j, nseg;

	if (vault_setup(b, b->awake ? "--cpu-latency=0" : NULL, NULL, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_path: %s\n", err);
		return -1;
	}
	dmn_mem(&b->t, &b->mem_idle);
	https_calls(b);

	limits_measure(&b->lim, b->t.home, b->quick);
	limits_print(&b->lim);
	fflush(stdout);

	for (i = 0; i < 2; i++)
		if (path_single(b, &b->lv[i], b->single_secs,
		    &b->single[i]) != 0)
			goto fail;
	for (i = 0; i < 2; i++)
		for (j = 0; j < NSCAN; j++)
			if (piped_windows(b, &b->lv[i], scan[j], b->secs,
			    &b->scan[i][j]) != 0)
				goto fail;

	audit_mark(b, &nseg, &size);
	memset(&b->longrun, 0, sizeof(b->longrun));
	b->longrun.secs = b->long_secs;
	if (path_piped(b, &b->lv[1], WIDE, b->long_secs, &rate,
	    &b->longrun.again, NULL) != 0)
		goto fail;
	bstat_add(&b->longrun.rate, rate);
	b->ckpts = audit_checkpoints(b, nseg, size);

	if (policy_compare(b, b->quick ? 1 : 3) != 0 && reconnect(b) != 0)
		goto fail;
	relaxed_single(b);
	/* last: a run that breaks vaultd off here spoils nothing else */
	for (i = 0; i < NBODY; i++)
		if (piped_windows(b, &b->body, body_scan[i], b->secs,
		    &b->bodies[i]) != 0) {
			snprintf(b->body_err[i], sizeof(b->body_err[i]),
			    "refused (said on standard error)");
			dmn_log_show(&b->t);
			if (reconnect(b) != 0)
				goto fail;
		}
	/* vaultd gives a burst's memory back once signing is idle 250 ms */
	usleep(1000 * 1000);
	dmn_mem(&b->t, &b->mem_runs);
	vault_cleanup(b);
	return 0;
 fail:
	fprintf(stderr, "bench_path: a run through the path failed\n");
	dmn_log_show(&b->t);
	return -1;
}

/* --bodies: only the 64 KiB bodies; 0, or -1 (said). */
static int
run_bodies(struct bench *b)
{
	char	err[DMN_ERR], what[64];
	double	per;
	int	i, r = 0;

	if (vault_setup(b, b->awake ? "--cpu-latency=0" : NULL, NULL, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "bench_path: %s\n", err);
		return -1;
	}
	printf("pipelined on one connection, ops/s over %d windows of "
	    "%.1f s:\n", WINDOWS, b->secs);
	printf("  %-26s %9s %9s %9s %8s\n", "level, in flight", "min",
	    "median", "max", "AGAIN");
	for (i = 0; i < NBODY; i++) {
		snprintf(what, sizeof(what), "L2 64 KiB bodies %d",
		    body_scan[i]);
		if (piped_windows(b, &b->body, body_scan[i], b->secs,
		    &b->bodies[i]) != 0) {
			printf("  %-26s failed\n", what);
			dmn_log_show(&b->t);
			r = -1;
			break;
		}
		print_piped(what, &b->bodies[i]);
		(void)cpu_row(&b->bodies[i], &per);
	}
	vault_cleanup(b);
	return r;
}

/* L1 at WIDE in flight with one signing worker (vaultd -W 1). */
static void
run_one_worker(struct bench *b)
{
	it_init(&b->t);
	b->id = 1;
	if (vault_setup(b, "-W1", b->awake ? "--cpu-latency=0" : NULL,
	    b->w1_err, sizeof(b->w1_err)) == 0 &&
	    piped_windows(b, &b->lv[0], WIDE, b->secs, &b->w1) != 0) {
		snprintf(b->w1_err, sizeof(b->w1_err), "L1 through the path "
		    "failed");
		dmn_log_show(&b->t);
	}
	vault_cleanup(b);
}

/*
 * --one-core: this thread, and every thread and process made after,
 * on the lowest CPU it may use.  That CPU, or -1.
 */
static int
one_core(void)
{
	cpu_set_t	set;
	int		cpu;

	if (sched_getaffinity(0, sizeof(set), &set) == -1) {
		perror("bench_path: sched_getaffinity");
		return -1;
	}
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (cpu == CPU_SETSIZE || sched_setaffinity(0, sizeof(set),
	    &set) == -1) {
		perror("bench_path: sched_setaffinity");
		return -1;
	}
	return cpu;
}

/* The CPUs this program, and so the daemons it starts, may use. */
static int
ncpu(void)
{
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) == -1)
		return (int)sysconf(_SC_NPROCESSORS_ONLN);
	return CPU_COUNT(&set);
}

int
main(int argc, char **argv)
{
	static uint8_t	 body[BODY_LEN];
	static struct bench b;
	struct inproc	 ip;
	double		 t0 = bench_now();
	int		 i, r = 1;

	b.one_core = -1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick") == 0)
			b.quick = 1;
		else if (strcmp(argv[i], "--cpu-latency") == 0)
			b.awake = 1;
		else if (strcmp(argv[i], "--one-core") == 0)
			b.one_core = 0;
		else if (strcmp(argv[i], "--bodies") == 0)
			b.bodies_only = 1;
		else {
			fprintf(stderr, "usage: bench_path [--quick] "
			    "[--cpu-latency] [--one-core] [--bodies]\n");
			return 2;
		}
	if (b.awake && bench_cpu_latency_ok("bench_path") != 0)
		return 2;
	if (b.one_core == 0 && (b.one_core = one_core()) < 0)
		return 2;
	b.ncpu = ncpu();
	b.secs = b.quick ? 0.2 : 1.0;
	b.single_secs = b.quick ? 0.5 : 3.0;
	b.long_secs = b.quick ? 3.0 : 10.0;
	b.id = 1;
	b.lv[0] = (struct level){ "L1", CATALOG_L1, "GET",
	    "/auth/derive-api-key", NULL, 0, 4 };
	b.lv[1] = (struct level){ "L2", CATALOG_L2, "GET", "/auth/api-keys",
	    NULL, 0, 5 };
	body_make(body, sizeof(body));
	b.body = (struct level){ "L2", CATALOG_L2, "POST", "/orders-scoring",
	    body, sizeof(body), 5 };
	signal(SIGPIPE, SIG_IGN);

	if (sodium_init() < 0 || inproc_init(&ip) != 0) {
		fprintf(stderr, "bench_path: set-up failed\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		if (inproc_rate(&ip, &b.lv[i], b.quick ? 0.1 : 0.5,
		    &b.inproc[i]) != 0) {
			fprintf(stderr, "bench_path: in-process %s failed\n",
			    b.lv[i].name);
			inproc_free(&ip);
			return 1;
		}
	inproc_free(&ip);

	it_init(&b.t);
	printf("bench_path: headers through vaultd -> signerd from %s%s, "
	    "home %s\n", b.t.build, b.quick ? " (--quick)" : "", b.t.home);
	bench_machine("at the start");
	bench_idle();
	if (b.awake)
		printf("--cpu-latency: every vaultd runs with --cpu-latency 0\n");
	if (b.one_core >= 0)
		printf("--one-core: this program and every daemon it starts "
		    "run on CPU %d alone,\n  the limits below included\n",
		    b.one_core);
	printf("\n");
	fflush(stdout);
	if (b.bodies_only) {
		if (run_bodies(&b) == 0)
			r = 0;
		goto reproduce;
	}
	if (run_main(&b) != 0) {
		vault_cleanup(&b);
		goto out;
	}
	run_one_worker(&b);
	report_path(&b);
	goals(&b);
	r = 0;
 reproduce:
	printf("\n");
	bench_machine("at the end");
	printf("%.0f s.  reproduce: CLOBVAULT_BUILD=%s %s/tests/bench/"
	    "bench_path%s%s%s%s\n", bench_now() - t0, b.t.build, b.t.build,
	    b.quick ? " --quick" : "", b.awake ? " --cpu-latency" : "",
	    b.one_core >= 0 ? " --one-core" : "",
	    b.bodies_only ? " --bodies" : "");
 out:
	return r;
}
