/*
 * The cost of one policy verdict (doc/exchanges.md, "Performance
 * targets"): policy_eval on generated policies of 10, 100 and 1,000
 * rules, with budgets charged in a state as vaultd charges them.  One
 * thread.  Each call is timed on its own with CLOCK_MONOTONIC, so the
 * figures include one clock read (printed as "timer").  The goal: p50
 * <= 2 us at 1,000 rules.
 *
 * The policies mix what operators write: exact paths (60 %, half with
 * a body predicate, a third with a per-account budget), '*' paths (20 %,
 * some with a rate), denies on a query parameter (10 %), operator rules
 * by account with no path (2 %), the rest on other levels.
 *
 * usage: bench_policy [--quick | samples]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "policy/policy.h"

#define SAMPLES		200000
#define QUICK_SAMPLES	50000
#define GOAL_NS		2000.0

static const char *const methods[] = { "GET", "POST", "DELETE", "PUT" };

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* n rules, one a line; rule 0 is what the matching request meets. */
static char *
gen_policy(size_t n)
{
	char	*t, *p;
	size_t	 i, cap = n * 160 + 256;
	int	 k;

	if ((t = malloc(cap)) == NULL)
		return NULL;
	p = t;
	for (i = 0; i < n; i++) {
		const char *m = methods[i % 4];

		k = (int)(i % 50);
		if (i == 0)
			p += sprintf(p, "allow client bot0 method POST path "
			    "/api/v1/order level l2 body /side in {BUY SELL} "
			    "order price <= 0.99 limit 1000000000/day per "
			    "account label r0\n");
		else if (k < 30)
			p += sprintf(p, "allow client bot%zu method %s path "
			    "/api/v%zu/res%zu level l2%s%s label r%zu\n",
			    i % 7, m, i % 3, i, i % 2 ? " body /side = BUY" :
			    "", i % 3 == 0 ? " limit 1000000000/day per "
			    "account" : "", i);
		else if (k < 40)
			p += sprintf(p, "allow client bot%zu method %s path "
			    "/api/grp%zu/*/items level l2%s label r%zu\n",
			    i % 7, m, i, i % 4 == 0 ? " rate 1000000/s per "
			    "client" : "", i);
		else if (k < 45)
			p += sprintf(p, "deny any method %s path /api/v%zu/"
			    "res%zu query debug = 1 label r%zu\n", m, i % 3,
			    i - 2, i);
		else if (k == 45)
			p += sprintf(p, "allow operator uid 1000 account "
			    "acct%zu level {l1 l2} label r%zu\n", i, i);
		else
			p += sprintf(p, "allow client bot%zu method %s path "
			    "/builder/res%zu level builder label r%zu\n",
			    i % 7, m, i, i);
	}
	*p = '\0';
	return t;
}

struct row {
	double	p50, p99;
};

/* Time req SAMPLES times; now advances 1 ms a call. */
static int
run(const struct policy *pol, struct policy_state *st,
    const struct policy_req *req, enum policy_effect want, int64_t *t,
    size_t ns, int64_t timer, struct row *out)
{
	struct policy_verdict	v;
	int64_t			t0, now = 1700000000000LL;
	size_t			i;

	for (i = 0; i < ns; i++, now++) {
		t0 = now_ns();
		if (policy_eval(pol, st, req, now, &v) != 0)
			return -1;
		t[i] = now_ns() - t0;
		if (v.effect != want) {
			fprintf(stderr, "bench_policy: verdict %d (%s)\n",
			    v.effect, v.why);
			return -1;
		}
	}
	qsort(t, ns, sizeof(*t), cmp_i64);
	out->p50 = (double)(t[ns / 2] - timer);
	out->p99 = (double)(t[ns * 99 / 100] - timer);
	return 0;
}

int
main(int argc, char **argv)
{
	static const size_t	 sizes[] = { 10, 100, 1000 };
	static const struct policy_field fields[] = {
		{ "side", "BUY" }, { "price", "0.52" }, { "size", "100" },
	};
	static const char	 body[] =
	    "{\"side\":\"BUY\",\"price\":\"0.52\",\"size\":\"100\","
	    "\"tokenID\":\"7131\",\"feeRateBps\":\"0\",\"nonce\":\"0\"}";
	struct policy_errors	 errs;
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 hit, miss;
	struct row		 rh, rm;
	int64_t			*t, timer, t0;
	size_t			 i, ns = SAMPLES;
	char			*text;

	if (argc == 2 && strcmp(argv[1], "--quick") == 0)
		ns = QUICK_SAMPLES;
	else if (argc > 2 || (argc == 2 &&
	    (ns = strtoul(argv[1], NULL, 10)) < 100)) {
		fprintf(stderr, "usage: bench_policy [--quick | "
		    "samples >= 100]\n");
		return 2;
	}
	if (sodium_init() < 0 || (t = calloc(ns, sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < ns; i++) {
		t0 = now_ns();
		t[i] = now_ns() - t0;
	}
	qsort(t, ns, sizeof(*t), cmp_i64);
	timer = t[ns / 2];

	memset(&hit, 0, sizeof(hit));
	hit.actor = POLICY_ACTOR_CLIENT;
	hit.client = "bot0";
	hit.account = "main";
	hit.profile = "polymarket";
	hit.level = POLICY_L_L2;
	hit.method = "POST";
	hit.path = "/api/v1/order";
	hit.pathlen = strlen(hit.path);
	hit.body = (const uint8_t *)body;
	hit.bodylen = sizeof(body) - 1;
	hit.kind = "order";
	hit.fields = fields;
	hit.nfields = 3;
	miss = hit;
	miss.method = "GET";
	miss.path = "/api/v2/positions?market=0x1234&limit=50";
	miss.pathlen = strlen(miss.path);
	miss.body = NULL;
	miss.bodylen = 0;
	miss.kind = NULL;
	miss.fields = NULL;
	miss.nfields = 0;

	printf("policy verdicts, in process, one thread; %zu calls each, "
	    "timer %lld ns taken off\n\n", ns, (long long)timer);
	printf("%-8s %-28s %10s %10s %12s\n", "rules", "request", "p50 ns",
	    "p99 ns", "goal p50");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if ((text = gen_policy(sizes[i])) == NULL ||
		    policy_parse(text, strlen(text), &pol, &errs) != 0) {
			fprintf(stderr, "bench_policy: policy of %zu rules: "
			    "%s\n", sizes[i], errs.n ? errs.e[0].msg : "?");
			return 1;
		}
		free(text);
		if ((st = policy_state_new(pol)) == NULL)
			return 1;
		if (run(pol, st, &hit, POLICY_ALLOW, t, ns, timer, &rh) != 0 ||
		    run(pol, st, &miss, POLICY_DENY, t, ns, timer, &rm) != 0)
			return 1;
		printf("%-8zu %-28s %10.0f %10.0f %12s\n", sizes[i],
		    "match (body, fields, budget)", rh.p50, rh.p99,
		    sizes[i] == 1000 ? (rh.p50 <= GOAL_NS ? "<= 2000 met" :
		    "<= 2000 MISSED") : "");
		printf("%-8zu %-28s %10.0f %10.0f %12s\n", sizes[i],
		    "no rule matches", rm.p50, rm.p99,
		    sizes[i] == 1000 ? (rm.p50 <= GOAL_NS ? "<= 2000 met" :
		    "<= 2000 MISSED") : "");
		policy_state_free(st);
		policy_free(pol);
	}
	printf("\nreproduce: %s/tests/bench/bench_policy%s%s\n",
	    getenv("CLOBVAULT_BUILD") != NULL ? getenv("CLOBVAULT_BUILD") :
	    "build", argc == 2 ? " " : "", argc == 2 ? argv[1] : "");
	free(t);
	return 0;
}
