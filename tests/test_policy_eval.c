/*
 * policy/: the engine (policy_eval.c, policy_json.c, policy_budget.c,
 * policy_crypto.c) driven the way vaultd drives it: policies parsed from
 * text with policy_parse, verdicts asserted to the exact rule, line and
 * sentence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "policy/policy_int.h"
#include "policy/policy_json.h"

#define DAY_MS	(86400LL * 1000)
#define T0	(19000LL * DAY_MS + 3600 * 1000)	/* 2022-01-08 01:00 UTC */

static struct policy *
pol_new(const char *text)
{
	struct policy_errors	 errs;
	struct policy		*pol = NULL;
	size_t			 i;
	int			 r;

	r = policy_parse(text, strlen(text), &pol, &errs);
	for (i = 0; r != 0 && i < errs.n; i++)
		print_error("%d:%d: %s\n", errs.e[i].line, errs.e[i].col,
		    errs.e[i].msg);
	assert_int_equal(r, 0);
	assert_non_null(pol);
	return pol;
}

/* A gateway client's L2 GET of /data on account main. */
static void
req_init(struct policy_req *q)
{
	memset(q, 0, sizeof(*q));
	q->actor = POLICY_ACTOR_CLIENT;
	q->client = "bot1";
	q->account = "main";
	q->profile = "polymarket";
	q->level = POLICY_L_L2;
	q->method = "GET";
	q->path = "/data";
	q->pathlen = strlen(q->path);
}

static void
req_path(struct policy_req *q, const char *path)
{
	q->path = path;
	q->pathlen = strlen(path);
}

static void
req_body(struct policy_req *q, const char *body)
{
	q->body = (const uint8_t *)body;
	q->bodylen = strlen(body);
}

static struct policy_verdict
eval(const struct policy *pol, struct policy_state *st,
    const struct policy_req *q, int64_t now_ms)
{
	struct policy_verdict	v;

	assert_int_equal(policy_eval(pol, st, q, now_ms, &v), 0);
	return v;
}

static void
assert_verdict(const struct policy_verdict *v, enum policy_effect e,
    const char *id, const char *why)
{
	assert_int_equal(v->effect, e);
	assert_string_equal(v->id, id);
	if (why != NULL)
		assert_string_equal(v->why, why);
}

/* Deny overrides allow, in either order; two denies: the lower line. */
static void
test_deny_overrides_allow(void **state)
{
	struct policy		*a, *b;
	struct policy_req	 q;
	struct policy_verdict	 v;

	a = pol_new("allow any path /data label al\n"
	    "deny any path /data label dn\n");
	b = pol_new("# comment\n"
	    "deny any path /data label dn\n"
	    "deny client bot1 label dn2\n"
	    "allow any path /data label al\n");
	req_init(&q);
	v = eval(a, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "dn", "denied by rule dn (line 2)");
	assert_int_equal(v.rule, 1);
	assert_int_equal(v.line, 2);
	v = eval(b, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "dn", "denied by rule dn (line 2)");
	assert_int_equal(v.rule, 0);
	req_path(&q, "/other");
	v = eval(b, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "dn2", "denied by rule dn2 (line 3)");
	q.client = "bot2";
	v = eval(b, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "none", "no rule allows it");
	assert_int_equal(v.rule, -1);
	assert_int_equal(v.line, 0);
	req_path(&q, "/data");
	v = eval(b, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "dn", NULL);
	policy_free(a);
	policy_free(b);
}

static char *
approver_line(char *buf, size_t len, const char *name, int seed,
    uint8_t pk[32])
{
	uint8_t	sk[64], sd[32];
	char	hex[65];

	memset(sd, seed, sizeof(sd));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, sd), 0);
	sodium_bin2hex(hex, sizeof(hex), pk, 32);
	snprintf(buf, len, "approver %s \"%s\"\n", name, hex);
	return buf;
}

static char *
approvers_text(char *buf, size_t len, uint8_t pks[4][32])
{
	static const char *const names[4] = { "alice", "bob", "carol",
	    "dave" };
	char	line[160];
	int	i;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		strncat(buf, approver_line(line, sizeof(line), names[i], i + 1,
		    pks[i]), len - strlen(buf) - 1);
	return buf;
}

/* Approve beats allow; deny beats approve. */
static void
test_effect_order(void **state)
{
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	uint8_t			 pks[4][32];
	char			 text[2048];

	approvers_text(text, sizeof(text), pks);
	strcat(text, "allow any label al\n"
	    "approve 2 of {alice bob} any path /keys label del-keys\n"
	    "deny any path /keys method DELETE label nodel\n");
	pol = pol_new(text);
	req_init(&q);
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "al", "allowed by rule al (line 5)");
	req_path(&q, "/keys");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_APPROVE, "del-keys",
	    "held for approval by rule del-keys (line 6): 2 of {alice bob}");
	assert_int_equal(v.napprove, 1);
	assert_int_equal(v.approve[0], 1);
	assert_int_equal(v.line, 6);
	q.method = "DELETE";
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "nodel",
	    "denied by rule nodel (line 7)");
	assert_int_equal(v.napprove, 0);
	policy_free(pol);
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Nothing allows anything: 10,000 random requests, every one denied. */
static void
test_empty_denies(void **state)
{
	static const char *const methods[] = { "GET", "POST", "DELETE", "PUT",
	    "X" };
	static const char *const paths[] = { "/", "/data", "/order?x=1",
	    "/auth/api-key", "/a/b/c", "" };
	static const char *const bodies[] = { "", "{}", "{\"a\":1,\"a\":2}",
	    "\xff", "[" };
	struct policy		*pol[2];
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;
	uint64_t		 seed = 0x9e3779b97f4a7c15ULL, x;
	int			 i, k;

	pol[0] = pol_new("");
	pol[1] = pol_new("# nothing\n\n   # at all\n");
	assert_int_equal(policy_nrules(pol[0]), 0);
	assert_non_null(st = policy_state_new(pol[0]));
	for (i = 0; i < 10000; i++) {
		x = xorshift(&seed);
		req_init(&q);
		q.actor = (x & 1) ? POLICY_ACTOR_OPERATOR : POLICY_ACTOR_CLIENT;
		q.uid = (uint32_t)(x >> 8) % 2000;
		q.level = (enum policy_level)((x >> 20) % POLICY_L_COUNT);
		q.method = methods[(x >> 24) % 5];
		req_path(&q, paths[(x >> 28) % 6]);
		req_body(&q, bodies[(x >> 32) % 5]);
		q.nonce = x >> 40;
		q.in_catalog = (int)((x >> 50) & 1);
		q.signed_ts = (x >> 51) & 1 ? T0 / 1000 : 0;
		for (k = 0; k < 2; k++) {
			v = eval(pol[k], k == 0 ? st : NULL, &q, T0);
			/* "" is not a canonical path: refused before rules */
			assert_verdict(&v, POLICY_DENY, q.pathlen == 0 ?
			    "path" : "none", q.pathlen == 0 ? NULL :
			    "no rule allows it");
			assert_int_equal(v.rule, -1);
			assert_int_equal(v.resv.n, 0);
		}
	}
	policy_state_free(st);
	policy_free(pol[0]);
	policy_free(pol[1]);
}

/* A malformed request is an error, and its verdict still a denial. */
static void
test_malformed_request(void **state)
{
	struct policy		*pol = pol_new("allow any\n");
	struct policy_req	 q;
	struct policy_verdict	 v;

	req_init(&q);
	q.account = NULL;
	assert_int_equal(policy_eval(pol, NULL, &q, T0, &v),
	    CV_ERR_INVALID);
	assert_int_equal(v.effect, POLICY_DENY);
	req_init(&q);
	q.level = POLICY_L_COUNT;
	assert_int_equal(policy_eval(pol, NULL, &q, T0, &v),
	    CV_ERR_INVALID);
	req_init(&q);
	q.nfields = 1;
	assert_int_equal(policy_eval(pol, NULL, &q, T0, &v),
	    CV_ERR_INVALID);
	assert_int_equal(v.effect, POLICY_DENY);
	policy_free(pol);
}

static enum policy_effect
effect_of(const struct policy *pol, const struct policy_req *q)
{
	struct policy_verdict	v = eval(pol, NULL, q, T0);

	return v.effect;
}

/* Every predicate kind, matching and not. */
static void
test_predicates(void **state)
{
	static const struct policy_field f_buy[] = {
		{ "side", "BUY" }, { "price", "0.5" }, { "token", "123" },
	};
	static const struct policy_field f_sell[] = {
		{ "side", "SELL" }, { "price", "0.50" },
	};
	struct policy		*pol;
	struct policy_req	 q;

	/* who */
	pol = pol_new("allow operator uid {0 1000}\n");
	req_init(&q);
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.actor = POLICY_ACTOR_OPERATOR;
	q.uid = 1000;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.uid = 100;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);
	pol = pol_new("allow operator\n");
	q.uid = 4242;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_init(&q);
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);
	pol = pol_new("allow client {bot1 bot3}\n");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.client = "bot2";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.client = "bot";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.actor = POLICY_ACTOR_OPERATOR;
	q.client = "bot1";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);

	/* account, profile, level, method */
	pol = pol_new("allow any account {main alt} profile polymarket "
	    "level {l2 builder} method {GET DELETE}\n");
	req_init(&q);
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.account = "mai";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.account = "alt";
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.profile = "omnia";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.profile = "";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.profile = "polymarket";
	q.level = POLICY_L_L1;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.level = POLICY_L_BUILDER;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.method = "POST";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.method = "get";
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.method = "DELETE";
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	policy_free(pol);

	/* path, exact and with a query */
	pol = pol_new("allow any path {/data /auth/api-keys}\n");
	req_init(&q);
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_path(&q, "/data?x=1");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_path(&q, "/data/");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_path(&q, "/dat");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_path(&q, "/auth/api-keys");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	/* pathlen bounds the path: what follows is not read */
	q.path = "/dataXYZ";
	q.pathlen = 5;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.pathlen = 6;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);

	/* query */
	pol = pol_new("allow any query side in {BUY SELL} query tag prefix "
	    "ab\n");
	req_init(&q);
	req_path(&q, "/data?side=BUY&tag=abc");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_path(&q, "/data?tag=ab&side=SELL&other=1&other=2");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_path(&q, "/data?side=%42UY&t%61g=%61b");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_path(&q, "/data?side=HOLD&tag=abc");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_path(&q, "/data?side=BUY&tag=a");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_path(&q, "/data?side=BUY");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_path(&q, "/data");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);

	/* body */
	pol = pol_new("allow any body /order/side = BUY body \"/a~1b\" = 1 "
	    "body /list/1 != x\n");
	req_init(&q);
	req_body(&q, "{\"order\":{\"side\":\"BUY\"},\"a/b\":1.0,"
	    "\"list\":[\"x\",\"y\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"order\":{\"side\":\"B\\u0055Y\"},\"a/b\":\"1\","
	    "\"list\":[\"x\",\"y\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"order\":{\"side\":\"SELL\"},\"a/b\":1,"
	    "\"list\":[\"x\",\"y\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_body(&q, "{\"order\":{\"side\":\"BUY\"},\"a/b\":1,"
	    "\"list\":[\"x\",\"x\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_body(&q, "{\"order\":{\"side\":\"BUY\"},\"a/b\":1,"
	    "\"list\":[\"x\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_body(&q, "{\"order\":{},\"a/b\":1,\"list\":[\"x\",\"y\"]}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.body = NULL;
	q.bodylen = 0;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);

	/* nonce: only at l1 */
	pol = pol_new("allow any nonce < 10\n");
	req_init(&q);
	q.level = POLICY_L_L1;
	q.nonce = 9;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.nonce = 10;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.nonce = 0;
	q.level = POLICY_L_L2;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);

	/* catalog */
	pol = pol_new("allow any catalog\n");
	req_init(&q);
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.in_catalog = 1;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	policy_free(pol);

	/* kind fields: decimals compare as decimals, else as bytes */
	pol = pol_new("allow any order side = BUY order price <= 0.5\n"
	    "allow any order price = 0.5 order side prefix SE\n");
	req_init(&q);
	q.kind = "order";
	q.fields = f_buy;
	q.nfields = 3;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.fields = f_sell;
	q.nfields = 2;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.nfields = 1;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.kind = "key";
	q.nfields = 2;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.kind = NULL;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);
}

/* A multi-valued field: an allow needs every value, a deny any one. */
static void
test_multi_valued(void **state)
{
	static const struct policy_field ok[] = {
		{ "permissions", "read" }, { "permissions", "trade" },
	};
	static const struct policy_field bad[] = {
		{ "permissions", "read" }, { "permissions", "withdraw" },
	};
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	uint8_t			 pks[4][32];
	char			 text[2048];

	pol = pol_new("allow any key permissions in {read trade}\n");
	req_init(&q);
	q.kind = "key";
	q.fields = ok;
	q.nfields = 2;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.fields = bad;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.nfields = 1;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.nfields = 0;
	q.fields = NULL;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);
	/*
	 * A deny over a multi-valued field takes any one value: asking for
	 * one more permission does not get a key past it.
	 */
	pol = pol_new("allow any\ndeny any key permissions != read label dr\n");
	q.fields = bad;
	q.nfields = 2;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.fields = bad + 1;
	q.nfields = 1;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.fields = ok;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);	/* read */
	policy_free(pol);
	pol = pol_new("allow any\ndeny any key permissions = trade label nt\n");
	q.fields = ok;				/* read, trade */
	q.nfields = 2;
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	q.nfields = 1;				/* read */
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	policy_free(pol);

	/*
	 * An approve rule holds a request any one value takes it to, and
	 * grants only one it covers whole: withdraw asked for beside trade
	 * neither slips past the approval nor is granted by it.
	 */
	approvers_text(text, sizeof(text), pks);
	strcat(text, "approve 1 of {alice} any key permissions in "
	    "{ read trade } label ap\n");
	pol = pol_new(text);
	q.fields = ok;				/* read, trade */
	q.nfields = 2;
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_APPROVE);
	q.fields = bad;				/* read, withdraw */
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ap", "denied by rule ap (line 5): "
	    "it covers only some of the values asked for, and no allow rule "
	    "covers them all");
	policy_free(pol);
	/* ... and with an allow rule beside it, held */
	strcat(text, "allow any label al\n");
	pol = pol_new(text);
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_APPROVE);
	q.fields = bad + 1;			/* withdraw */
	q.nfields = 1;
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_ALLOW);
	policy_free(pol);
}

/* '*' takes exactly one non-empty segment. */
static void
test_path_star(void **state)
{
	static const struct {
		const char	*path;
		int		 ok;
	} cases[] = {
		{ "/a/b/c", 1 }, { "/a/xyz/c", 1 }, { "/a/b/c?q=1", 1 },
		{ "/a//c", 0 }, { "/a/b/d/c", 0 }, { "/a/c", 0 },
		{ "/a/b/c/", 0 }, { "/x/b/c", 0 }, { "/a/b", 0 },
		{ "/t/1", 1 }, { "/t/", 0 }, { "/t", 0 }, { "/t/1/2", 0 },
		{ "/s/x", 1 }, { "/s/x/", 0 }, { "/s/x//", 0 }, { "/s/", 0 },
		{ "/", 0 }, { "", 0 },
	};
	struct policy		*pol;
	struct policy_req	 q;
	size_t			 i;

	pol = pol_new("allow any path {/a/*/c /t/* /s/*}\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req_init(&q);
		req_path(&q, cases[i].path);
		if (effect_of(pol, &q) != (cases[i].ok ? POLICY_ALLOW :
		    POLICY_DENY))
			fail_msg("path %s", cases[i].path);
	}
	policy_free(pol);
	pol = pol_new("allow any path /* label one\nallow any path / label "
	    "root\n");
	req_init(&q);
	req_path(&q, "/x?a=/b");
	assert_string_equal(eval(pol, NULL, &q, T0).id, "one");
	req_path(&q, "/");
	assert_string_equal(eval(pol, NULL, &q, T0).id, "root");
	req_path(&q, "/?x");
	assert_string_equal(eval(pol, NULL, &q, T0).id, "root");
	req_path(&q, "//");
	assert_string_equal(eval(pol, NULL, &q, T0).id, "path");
	req_path(&q, "/x/");
	assert_string_equal(eval(pol, NULL, &q, T0).id, "path");
	policy_free(pol);
}

/* A query the candidate rules inspect must be strict. */
static void
test_query_strict(void **state)
{
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;

	pol = pol_new("allow any path /other\n"
	    "allow any path /q query side = BUY label qs\n");
	req_init(&q);
	req_path(&q, "/q?side=BUY&side=BUY");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", "denied by rule qs (line 2): "
	    "query parameter \"side\" appears 2 times");
	req_path(&q, "/q?side=B%ZZ");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", "denied by rule qs (line 2): "
	    "query has bad %-encoding at byte 6");
	req_path(&q, "/q?side=BUY&x=%4");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", NULL);
	req_path(&q, "/q?side=BUY%00");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", NULL);
	/* '+': a space to some servers, a plus to others */
	req_path(&q, "/q?side=BUY&x=a+b");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", "denied by rule qs (line 2): "
	    "query has a '+' at byte 12 (a space or a plus: send %20 or "
	    "%2B)");
	/*
	 * ';': a separator to some servers (side SELL, then BUY, of which
	 * they read the first), a byte of x's value to others
	 */
	req_path(&q, "/q?x=1;side=SELL&side=BUY");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "qs", "denied by rule qs (line 2): "
	    "query has a ';' at byte 3 (a separator or a byte: send & or "
	    "%3B)");
	req_path(&q, "/q?side=BUY&x=a%2Bb%20c%3Bd");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "qs", NULL);
	/* a parameter no rule names may repeat */
	req_path(&q, "/q?side=BUY&x=1&x=2&");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "qs", NULL);
	/* no candidate inspects the query of /other */
	req_path(&q, "/other?side=1&side=2&bad=%G");
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_ALLOW);
	assert_int_equal(v.rule, 0);
	policy_free(pol);
}

/* A body the candidate rules inspect must be strict JSON. */
static void
test_body_strict(void **state)
{
	static const char *const bad[] = {
		"{\"side\":\"BUY\",\"o\":{\"a\":1,\"a\":2}}",
		"{\"side\":\"BUY\",\"s\\u0069de\":\"BUY\"}",
		"{\"side\":\"BUY\"} x",
		"{\"side\":\"BUY\"}{}",
		"{\"side\":\"BUY\",\"n\":\"\xff\"}",
		"{\"side\":\"BUY\",\"n\":\"\xc0\xaf\"}",
		"{\"side\":\"BUY\",\"n\":\"\xed\xa0\x80\"}",
		"{\"side\":\"BUY\",\"n\":\"\\ud800\"}",
		"{\"side\":\"BUY\",\"n\":\"\\udc00\\ud800\"}",
		"{\"side\":\"BUY\",\"n\":\"a\\u0000\"}",
		"{\"side\":\"BUY\",\"n\":01}",
		"{\"side\":\"BUY\",\"n\":1.}",
		"{\"side\":\"BUY\",\"n\":\"\t\"}",
		"{\"side\":\"BUY\",}",
		"\xef\xbb\xbf{\"side\":\"BUY\"}",
		"{\"side\":\"BUY\" \"n\":1}",
		"{\"side\":\"BUY\",\"n\":tru}",
		"{\"side\":\"BUY\",\"n\":\"\\x\"}",
	};
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	const char		*pre = "denied by rule bs (line 2): body is "
				    "not strict JSON: ";
	char			 deep[200], why[POLICY_WHY_MAX];
	size_t			 i;
	int			 d;

	pol = pol_new("allow any path /nb\n"
	    "allow any path /b body /side = BUY label bs\n");
	req_init(&q);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_path(&q, "/b");
		req_body(&q, bad[i]);
		v = eval(pol, NULL, &q, T0);
		if (v.effect != POLICY_DENY || strcmp(v.id, "bs") != 0 ||
		    strncmp(v.why, pre, strlen(pre)) != 0)
			fail_msg("body %zu: %s", i, v.why);
		/* nobody looks at the body of /nb */
		req_path(&q, "/nb");
		v = eval(pol, NULL, &q, T0);
		assert_int_equal(v.effect, POLICY_ALLOW);
	}
	req_path(&q, "/b");
	req_body(&q, bad[0]);
	v = eval(pol, NULL, &q, T0);
	assert_string_equal(v.why, "denied by rule bs (line 2): body is not "
	    "strict JSON: duplicate key at byte 25");
	req_body(&q, bad[2]);
	v = eval(pol, NULL, &q, T0);
	assert_string_equal(v.why, "denied by rule bs (line 2): body is not "
	    "strict JSON: trailing bytes at byte 15");

	/* 32 levels deep is fine, 33 is not */
	for (d = 32; d <= 33; d++) {
		snprintf(deep, sizeof(deep), "{\"side\":\"BUY\",\"n\":");
		for (i = 1; i < (size_t)d; i++)
			strcat(deep, "[");
		for (i = 1; i < (size_t)d; i++)
			strcat(deep, "]");
		strcat(deep, "}");
		req_body(&q, deep);
		v = eval(pol, NULL, &q, T0);
		snprintf(why, sizeof(why), "denied by rule bs (line 2): body is "
		    "not strict JSON: nested deeper than 32 at byte %d", 18 +
		    31);
		if (d == 32)
			assert_int_equal(v.effect, POLICY_ALLOW);
		else
			assert_string_equal(v.why, why);
	}
	/* valid: escapes, a surrogate pair, UTF-8, whitespace */
	req_body(&q, " {\"side\" : \"B\\u0055Y\", \"e\":\"\\ud83d\\ude00\xc3\xa9"
	    "\\n\\\"\", \"n\": -0.5e+3, \"z\": [true, false, null, {}]}\r\n");
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_ALLOW);
	/* an object where a value should be: the rule cannot compare it */
	req_body(&q, "{\"side\":{\"v\":\"BUY\"}}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "bs", "denied by rule bs (line 2): "
	    "body /side is an object, not a value");
	policy_free(pol);
}

/*
 * A body's member names are read without regard to case, as an exchange
 * that folds names (Go's encoding/json) reads them: a rule on /orderID
 * sees "orderId" and "ORDERID", and a body with two names that fold
 * alike is not strict JSON.  Both used to pass a deny rule on /orderID
 * that the exchange would have acted on.
 */
static void
test_body_case(void **state)
{
	static const char *const denied[] = {
		"{\"orderID\":\"0xvip\"}",
		"{\"orderId\":\"0xvip\"}",
		"{\"ORDERID\":\"0xvip\"}",
		"{\"ord\\u0045rid\":\"0xvip\"}",
	};
	static const char	 one[] = "{\"\xc5\xbf\\u212a\":2}";
	static const char	 two[] = "{\"sk\":1,\"\xc5\xbf\\u212a\":2}";
	static const char	 acute[] = "{\"\xc3\xa9\":1,\"\xc3\x89\":2}";
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	struct pj_val		 jv;
	size_t			 i;

	(void)state;
	pol = pol_new("allow any method DELETE path /order\n"
	    "deny any method DELETE path /order body /orderID = 0xvip "
	    "label keep-vip\n");
	req_init(&q);
	q.method = "DELETE";
	req_path(&q, "/order");
	for (i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
		req_body(&q, denied[i]);
		v = eval(pol, NULL, &q, T0);
		if (v.effect != POLICY_DENY || strcmp(v.id, "keep-vip") != 0)
			fail_msg("body %zu: %s", i, v.why);
	}
	req_body(&q, "{\"orderID\":\"0xa\",\"orderId\":\"0xvip\"}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "keep-vip", "denied by rule keep-vip "
	    "(line 2): body is not strict JSON: duplicate key but for case "
	    "at byte 17");
	req_body(&q, "{\"orderID\":\"0xa\"}");
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_ALLOW);
	policy_free(pol);

	/* the long s and the Kelvin sign fold to s and k, as in Go */
	assert_int_equal(pj_validate((const uint8_t *)two, strlen(two), NULL,
	    NULL), CV_ERR_INVALID);
	assert_int_equal(pj_validate((const uint8_t *)one, strlen(one), NULL,
	    NULL), 0);
	assert_int_equal(pj_lookup((const uint8_t *)one, strlen(one), "/SK", 3,
	    &jv), 0);
	assert_memory_equal(jv.p, "2", 1);
	/* other letters outside ASCII are compared as they are */
	assert_int_equal(pj_validate((const uint8_t *)acute, strlen(acute),
	    NULL, NULL), 0);
}

/* Decimals compare exactly, past what a double holds. */
static void
test_decimals(void **state)
{
	static const struct policy_field f[] = { { "price", "0.30000000000000000001" } };
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;

	pol = pol_new("allow any path /d body /price = 0.1 label eq\n"
	    "allow any path /p\n"
	    "deny any path /p body /price > 0.3 label gt\n"
	    "deny any path /p order price > 0.3 label fgt\n"
	    "allow any path /s body /id = \"0.10\" label s\n");
	req_init(&q);
	req_path(&q, "/d");
	req_body(&q, "{\"price\":\"0.10\"}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"price\":0.10}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"price\":0.1000000000000000000001}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_body(&q, "{\"price\":1e-1}");	/* an exponent: bytes */
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	/* a decimal at any length: 0.1 and seventy zeros is 0.1 */
	req_body(&q, "{\"price\":\"0.100000000000000000000000000000000000"
	    "0000000000000000000000000000000000\"}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	{
		/* longer than the stack's copy: the heap's */
		char	b[400];

		memcpy(b, "{\"price\":\"0.1", 13);
		memset(b + 13, '0', 300);
		memcpy(b + 313, "\"}", 3);
		req_body(&q, b);
		assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	}
	req_path(&q, "/p");
	/* ... and a deny on it is not passed by writing it long */
	req_body(&q, "{\"price\":\"0.400000000000000000000000000000000000"
	    "0000000000000000000000000000000000\"}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "gt", "denied by rule gt (line 3)");
	req_body(&q, "{\"price\":0.30000000000000000001}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "gt", "denied by rule gt (line 3)");
	req_body(&q, "{\"price\":0.3}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"price\":\"0.300000000000000000000\"}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"price\":123456789012345678901234567890.5}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	req_body(&q, "{\"price\":-123456789012345678901234567890.5}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	/* a value a comparison needs as a decimal and is not one */
	req_body(&q, "{\"price\":3e-1}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "gt", "denied by rule gt (line 3): "
	    "body /price is not a decimal");
	req_body(&q, "{\"price\":\"cheap\"}");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "gt", NULL);
	req_body(&q, "{}");
	q.kind = "order";
	q.fields = f;
	q.nfields = 1;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "fgt", "denied by rule fgt (line 4)");
	/* a quoted value that looks decimal is still compared as one */
	req_path(&q, "/s");
	req_body(&q, "{\"id\":\"0.1\"}");
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	req_body(&q, "{\"id\":\"0.1x\"}");
	assert_int_equal(effect_of(pol, &q), POLICY_DENY);
	policy_free(pol);
}

/* rate 5/s burst 5: five of a hundred at one instant, then refills. */
static void
test_budget_rate(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v, last;
	int			 i, n;

	pol = pol_new("allow any path /r rate 5/s burst 5 label rt\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/r");
	for (i = 0, n = 0; i < 100; i++) {
		v = eval(pol, st, &q, T0);
		if (v.effect == POLICY_ALLOW) {
			n++;
			assert_int_equal(v.resv.n, 1);
			last = v;
		} else {
			assert_verdict(&v, POLICY_DENY, "rt", "denied by rule "
			    "rt (line 1): budget rate 5/s burst 5 exhausted");
			assert_int_equal(v.resv.n, 0);
		}
	}
	assert_int_equal(n, 5);
	/* 199 ms give 0.995 of a token: nothing; 200 ms: one */
	v = eval(pol, st, &q, T0 + 199);
	assert_int_equal(v.effect, POLICY_DENY);
	v = eval(pol, st, &q, T0 + 200);
	assert_int_equal(v.effect, POLICY_ALLOW);
	v = eval(pol, st, &q, T0 + 200);
	assert_int_equal(v.effect, POLICY_DENY);
	/* a refund gives back the one token taken */
	policy_refund(st, &last.resv);
	v = eval(pol, st, &q, T0 + 200);
	assert_int_equal(v.effect, POLICY_ALLOW);
	v = eval(pol, st, &q, T0 + 200);
	assert_int_equal(v.effect, POLICY_DENY);
	/* an hour later: full, and never past the burst */
	for (i = 0, n = 0; i < 20; i++)
		n += eval(pol, st, &q, T0 + 3600 * 1000).effect ==
		    POLICY_ALLOW;
	assert_int_equal(n, 5);
	/* a dry run spends nothing */
	for (i = 0; i < 20; i++)
		assert_int_equal(eval(pol, NULL, &q, T0 + 7200 * 1000).effect,
		    POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

/* What policy_counter_each heard, for policy_counter_load. */
struct heard {
	size_t	n;
	struct {
		uint32_t def;
		int	 rate;
		char	 key[64];
		size_t	 keylen;
		int64_t	 window, last_ms;
		uint64_t val;
	}	c[8];
};

static void
hear(void *arg, uint32_t def, uint32_t slot, int rate, const char *key,
    size_t keylen, int64_t window, uint64_t val, uint64_t max,
    int64_t last_ms)
{
	struct heard	*h = arg;

	assert_true(h->n < 8 && keylen <= sizeof(h->c[0].key));
	h->c[h->n].def = def;
	h->c[h->n].rate = rate;
	memcpy(h->c[h->n].key, key, keylen);
	h->c[h->n].keylen = keylen;
	h->c[h->n].window = window;
	h->c[h->n].val = val;
	h->c[h->n].last_ms = last_ms;
	h->n++;
}

/*
 * Counters put back in a new state (a restart of vaultd): a count keeps
 * what it spent in its window and starts full in the next; a bucket
 * keeps its tokens; a charge from a record counts in its window only,
 * a bucket's never below empty; what is not a counter of that budget
 * is refused.
 */
/* How far back a restart reads charges: the longest window or fill. */
static void
test_budget_horizon(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;

	(void)state;
	pol = pol_new("allow any path /n label none-here\n");
	assert_non_null(st = policy_state_new(pol));
	assert_int_equal(policy_state_horizon_ms(st), 0);
	policy_state_free(st);
	policy_free(pol);
	pol = pol_new("allow any path /c limit 3/hour label cnt\n"
	    "allow any path /r rate 10/s burst 30 label rt\n");
	assert_non_null(st = policy_state_new(pol));
	assert_int_equal(policy_state_horizon_ms(st), 3600000);
	policy_state_free(st);
	policy_free(pol);
	/* a bucket of 2 a day holding 5 fills in two and a half days */
	pol = pol_new("allow any path /c limit 3/hour label cnt\n"
	    "allow any path /r rate 2/day burst 5 label rt\n");
	assert_non_null(st = policy_state_new(pol));
	assert_int_equal(policy_state_horizon_ms(st), 5 * DAY_MS / 2 + 1);
	policy_state_free(st);
	policy_free(pol);
}

static void
test_budget_restore(void **state)
{
	struct policy		*pol;
	struct policy_state	*st, *st2;
	struct policy_req	 q, r;
	struct heard		 h;
	int64_t			 day = T0 / DAY_MS;
	size_t			 i;

	pol = pol_new("allow any path /c limit 3/day per account label cnt\n"
	    "allow any path /r rate 2/day per client label rt\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/c");
	req_init(&r);
	req_path(&r, "/r");
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &r, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &r, T0).effect, POLICY_ALLOW);
	memset(&h, 0, sizeof(h));
	policy_counter_each(st, T0, hear, &h);
	assert_int_equal(h.n, 2);
	policy_state_free(st);

	/* the same day: one left of the count, no token */
	assert_non_null(st = policy_state_new(pol));
	for (i = 0; i < h.n; i++)
		assert_int_equal(policy_counter_load(st, h.c[i].def, h.c[i].key,
		    h.c[i].keylen, h.c[i].window, h.c[i].val, h.c[i].last_ms,
		    T0 + 1000), 0);
	assert_int_equal(eval(pol, st, &q, T0 + 1000).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0 + 1000).effect, POLICY_DENY);
	assert_int_equal(eval(pol, st, &r, T0 + 1000).effect, POLICY_DENY);
	policy_state_free(st);

	/* the next day: the count's window closed, so it starts full */
	assert_non_null(st = policy_state_new(pol));
	for (i = 0; i < h.n; i++)
		if (!h.c[i].rate)
			assert_int_equal(policy_counter_load(st, h.c[i].def,
			    h.c[i].key, h.c[i].keylen, h.c[i].window,
			    h.c[i].val, 0, T0 + DAY_MS), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect,
		    POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_DENY);
	policy_state_free(st);

	/* charges from records: in their window, a bucket down to empty */
	assert_non_null(st2 = policy_state_new(pol));
	assert_int_equal(policy_counter_charge(st2, 0, &q, day, 2, T0), 0);
	assert_int_equal(policy_counter_charge(st2, 0, &q, day - 1, 3, T0), 0);
	assert_int_equal(policy_counter_charge(st2, 1, &r, 0, DAY_MS / 1000 *
	    1000, T0), 0);
	assert_int_equal(policy_counter_charge(st2, 1, &r, 0, DAY_MS / 1000 *
	    1000 * 5, T0), 0);
	assert_int_equal(eval(pol, st2, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st2, &q, T0).effect, POLICY_DENY);
	assert_int_equal(eval(pol, st2, &r, T0).effect, POLICY_DENY);
	/* half a day later: one token back, not less */
	assert_int_equal(eval(pol, st2, &r, T0 + DAY_MS / 2).effect,
	    POLICY_ALLOW);

	/* not a counter of that budget */
	assert_int_equal(policy_counter_load(st2, 2, h.c[0].key,
	    h.c[0].keylen, day, 1, 0, T0), CV_ERR_INVALID);
	assert_int_equal(policy_counter_load(st2, 0, "cbot1", 6, day, 1, 0,
	    T0), CV_ERR_INVALID);
	assert_int_equal(policy_counter_load(st2, 0, "amain", 6, day, 4, 0,
	    T0), CV_ERR_INVALID);
	assert_int_equal(policy_counter_charge(st2, 2, &q, day, 1, T0),
	    CV_ERR_INVALID);
	policy_state_free(st2);
	policy_free(pol);
}

/* limit 3/day per account: exact per account, reset at UTC midnight. */
static void
test_budget_count(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v, first;
	int64_t			 end = (T0 / DAY_MS + 1) * DAY_MS - 1;
	int			 i;

	pol = pol_new("allow any path /c limit 3/day per account label cnt\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/c");
	for (i = 0; i < 3; i++) {
		v = eval(pol, st, &q, T0 + i);
		assert_int_equal(v.effect, POLICY_ALLOW);
		if (i == 0)
			first = v;
	}
	v = eval(pol, st, &q, end);
	assert_verdict(&v, POLICY_DENY, "cnt", "denied by rule cnt (line 1): "
	    "budget limit 3/day per account exhausted");
	q.account = "alt";
	for (i = 0; i < 3; i++)
		assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	/* a refund of this window gives one back, once */
	q.account = "main";
	policy_refund(st, &first.resv);
	assert_int_equal(eval(pol, st, &q, end).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, end).effect, POLICY_DENY);
	/* the next UTC day */
	for (i = 0; i < 3; i++)
		assert_int_equal(eval(pol, st, &q, end + 1).effect,
		    POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, end + 1).effect, POLICY_DENY);
	/* a refund from yesterday gives nothing back today */
	policy_refund(st, &first.resv);
	assert_int_equal(eval(pol, st, &q, end + 1).effect, POLICY_DENY);
	policy_state_free(st);
	policy_free(pol);
}

/* limit notional 100/day: sums exactly, in micro-units. */
static void
test_budget_sum(void **state)
{
	struct policy_field	 f[2] = { { "side", "BUY" }, { "notional", "" } };
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v, held;

	pol = pol_new("allow any path /o order side in {BUY SELL} "
	    "limit notional 100/day label ord-cap\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/o");
	q.kind = "order";
	q.fields = f;
	q.nfields = 2;
	f[1].value = "60";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	f[1].value = "40.000001";
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ord-cap", "denied by rule ord-cap "
	    "(line 1): budget limit notional 100/day exhausted");
	f[1].value = "39.9999999";		/* rounds up to 40 */
	held = eval(pol, st, &q, T0);
	assert_int_equal(held.effect, POLICY_ALLOW);
	assert_int_equal(held.resv.r[0].amount, 40000000);
	f[1].value = "0.000001";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	f[1].value = "0";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	policy_refund(st, &held.resv);
	f[1].value = "40";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	/* the field missing, or not a decimal: denied naming the rule */
	q.nfields = 1;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ord-cap", "denied by rule ord-cap "
	    "(line 1): budget limit notional 100/day needs the request's "
	    "notional, and it has none");
	q.nfields = 2;
	f[1].value = "-1";
	v = eval(pol, st, &q, T0 + DAY_MS);
	assert_verdict(&v, POLICY_DENY, "ord-cap", "denied by rule ord-cap "
	    "(line 1): budget limit notional 100/day needs notional as a "
	    "non-negative decimal");
	f[1].value = "1e3";
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_DENY);
	f[1].value = "100";
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

/* Two rules' budgets: all of them or none is taken. */
static void
test_budget_all_or_nothing(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;

	pol = pol_new("allow any path /x limit 2/day label a\n"
	    "allow any path /x limit 1/day per account label b\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/x");
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "a", "allowed by rule a (line 1)");
	assert_int_equal(v.resv.n, 2);
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "b", "denied by rule b (line 2): "
	    "budget limit 1/day per account exhausted");
	/* a was not charged for that: one left for another account */
	q.account = "alt";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	q.account = "third";
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "a", "denied by rule a (line 1): "
	    "budget limit 2/day exhausted");
	policy_state_free(st);
	policy_free(pol);
}

/* Budgets per client: gateway clients by name, operators by uid. */
static void
test_budget_per_client(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;

	pol = pol_new("allow any limit 1/min per client\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	q.client = "bot2";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	q.actor = POLICY_ACTOR_OPERATOR;
	q.uid = 1000;
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	q.uid = 1001;
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0 + 60000).effect, POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

/* What is left of each counter, for metrics: per key, exact. */
struct lefts {
	size_t	n;
	char	l[8][256];
};

static void
left_collect(void *arg, const struct policy_budget_left *l)
{
	struct lefts	*ls = arg;

	assert_true(ls->n < 8);
	snprintf(ls->l[ls->n++], sizeof(ls->l[0]), "%s|%s|%s|%s|%s",
	    l->rule, l->budget, l->account, l->who, l->left);
}

static int
left_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
test_budget_each(void **state)
{
	static const struct policy_field f[] = {
		{ "side", "BUY" }, { "notional", "12.5" },
	};
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct lefts		 ls;

	pol = pol_new("allow any order side = BUY limit 3/day per account "
	    "client rate 10/s burst 4 limit notional 100/day label b\n");
	assert_non_null(st = policy_state_new(pol));
	memset(&ls, 0, sizeof(ls));
	policy_budget_each(st, T0, left_collect, &ls);
	assert_int_equal(ls.n, 0);
	req_init(&q);
	q.kind = "order";
	q.fields = f;
	q.nfields = 2;
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	q.actor = POLICY_ACTOR_ANON;
	q.client = NULL;
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	policy_budget_each(st, T0, left_collect, &ls);
	qsort(ls.l, ls.n, sizeof(ls.l[0]), left_cmp);
	assert_int_equal(ls.n, 4);
	assert_string_equal(ls.l[0], "b|limit 3/day per account client|main|"
	    "client:bot1|1");
	assert_string_equal(ls.l[1], "b|limit 3/day per account client|main|"
	    "unsigned|2");
	assert_string_equal(ls.l[2], "b|limit notional 100/day|||62.5");
	assert_string_equal(ls.l[3], "b|rate 10/s burst 4|||1");
	/* the next day: the limits are whole again, the bucket refilled */
	memset(&ls, 0, sizeof(ls));
	policy_budget_each(st, T0 + DAY_MS, left_collect, &ls);
	qsort(ls.l, ls.n, sizeof(ls.l[0]), left_cmp);
	assert_string_equal(ls.l[0], "b|limit 3/day per account client|main|"
	    "client:bot1|3");
	assert_string_equal(ls.l[2], "b|limit notional 100/day|||100");
	assert_string_equal(ls.l[3], "b|rate 10/s burst 4|||4");
	policy_state_free(st);
	policy_free(pol);
}

struct lines {
	size_t	n;
	char	l[16][POLICY_WHY_MAX + 128];
};

static void
collect(void *arg, const char *line)
{
	struct lines	*ls = arg;

	assert_true(ls->n < 16);
	snprintf(ls->l[ls->n++], sizeof(ls->l[0]), "%s", line);
}

/* explain names the predicate a near miss failed, and what it saw. */
static void
test_explain(void **state)
{
	struct policy		*pol;
	struct policy_req	 q;
	struct lines		 ls;

	pol = pol_new("allow client bot1 path /e body /side = BUY label near\n"
	    "allow client bot9 path /e label who\n"
	    "allow any path /elsewhere label far\n"
	    "deny any path /e query x = 1 label qx\n");
	req_init(&q);
	req_path(&q, "/e");
	req_body(&q, "{\"side\":\"SELL\"}");
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(policy_explain(pol, NULL, &q, T0, collect, &ls), 0);
	assert_int_equal(ls.n, 4);
	assert_string_equal(ls.l[0], "rule near (line 1, allow): no match: "
	    "body /side is \"SELL\", not = BUY");
	assert_string_equal(ls.l[1], "rule who (line 2, allow): no match: "
	    "who: client \"bot1\" is not in {bot9}");
	assert_string_equal(ls.l[2], "rule qx (line 4, deny): no match: "
	    "query x is missing");
	assert_string_equal(ls.l[3], "verdict: deny: no rule allows it");
	req_body(&q, "{\"side\":\"BUY\"}");
	req_path(&q, "/e?x=1");
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(policy_explain(pol, NULL, &q, T0, collect, &ls), 0);
	assert_string_equal(ls.l[0], "rule near (line 1, allow): match");
	assert_string_equal(ls.l[2], "rule qx (line 4, deny): match");
	assert_string_equal(ls.l[3], "verdict: deny: denied by rule qx "
	    "(line 4)");
	assert_int_equal(policy_explain(pol, NULL, &q, T0, NULL, NULL),
	    CV_ERR_INVALID);
	policy_free(pol);
}

/*
 * An unsigned gateway request: only "any" rules address it, its budgets
 * are its own, and explain says who it is.
 */
static void
test_anonymous(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;

	pol = pol_new("allow client bot1 level none label bot\n"
	    "allow operator level none label op\n"
	    "allow any level none path /time limit 1/min per client "
	    "label pub\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	q.actor = POLICY_ACTOR_ANON;
	q.client = NULL;
	q.level = POLICY_L_NONE;
	req_path(&q, "/book");
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "none", "no rule allows it");
	req_path(&q, "/time");
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	/* a client's budget is not the unsigned requests' */
	q.actor = POLICY_ACTOR_CLIENT;
	q.client = "bot7";
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

static void
test_anonymous_explain(void **state)
{
	struct policy		*pol;
	struct policy_req	 q;
	struct lines		*ls = calloc(1, sizeof(*ls));

	pol = pol_new("allow client bot1 path /e label c\n"
	    "allow operator path /e label o\n");
	req_init(&q);
	q.actor = POLICY_ACTOR_ANON;
	q.client = NULL;
	req_path(&q, "/e");
	assert_non_null(ls);
	assert_int_equal(policy_explain(pol, NULL, &q, T0, collect, ls), 0);
	assert_int_equal(ls->n, 3);
	assert_string_equal(ls->l[0], "rule c (line 1, allow): no match: "
	    "who: an unsigned request, not a client");
	assert_string_equal(ls->l[1], "rule o (line 2, allow): no match: "
	    "who: an unsigned request, not an operator");
	free(ls);
	policy_free(pol);
}

/*
 * A path is matched byte for byte, so one that is not in its canonical
 * form could name what a deny rule names and slip past it under an
 * allow: it is refused before any rule, even under "allow any".
 */
static void
test_path_canonical(void **state)
{
	static const char *const bad[] = {
		"/auth/api-ke%79", "/auth/%2e/api-key", "/auth/./api-key",
		"/auth/x/../api-key", "/auth//api-key", "//auth/api-key",
		"/auth/api-key/.", "/auth/api-key/..", "/.", "/..", "//",
		"auth/api-key", "", "?x=1", "/auth/api-key#", "/auth/api key",
		"/auth/api-key\t", "/auth/api-key\x7f",
		"/auth/api-k\xc3\xa9y", "/auth/./api-key?x=1",
		"/auth/api-key/", "/auth/api-key;x", "/auth/api-key/?x=1",
		/* a '/' to some servers and proxies */
		"/auth\\api-key", "/auth/api-key\\", "/auth\\..\\auth/api-key",
	};
	static const char *const good[] = {
		"/", "/auth/.well-known", "/auth/..x/...",
		"/data?x=%41%2F&y=a%20b", "/data?p=/../&q=#",
	};
	static const char why[] = "the path is not canonical "
	    "(percent-encoding, an empty, . or .. segment, a trailing /, a ; or "
	    "\\, or a byte outside printable ASCII): refused before any rule";
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;
	struct lines		 ls;
	size_t			 i;

	pol = pol_new("allow any label all\n"
	    "deny any path /auth/api-key label key\n"
	    "skew 5\n");
	assert_non_null(st = policy_state_new(pol));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_init(&q);
		req_path(&q, bad[i]);
		q.signed_ts = T0 / 1000 - 3600;		/* a ceiling too */
		v = eval(pol, st, &q, T0);
		if (v.effect != POLICY_DENY || strcmp(v.id, "path") != 0)
			fail_msg("path \"%s\": %s", bad[i], v.why);
		assert_string_equal(v.why, why);
		assert_int_equal(v.rule, -1);
		assert_int_equal(v.line, 0);
		assert_int_equal(v.resv.n, 0);
		assert_int_equal(v.napprove, 0);
		memset(&ls, 0, sizeof(ls));
		assert_int_equal(policy_explain(pol, st, &q, T0, collect,
		    &ls), 0);
		assert_int_equal(ls.n, 1);
		assert_string_equal(ls.l[0], "verdict: deny: the path is not "
		    "canonical (percent-encoding, an empty, . or .. segment, "
		    "a trailing /, a ; or \\, or a byte outside printable "
		    "ASCII): refused before any rule");
	}
	/* a NUL inside the path's length is a byte outside 0x21..0x7e */
	req_init(&q);
	q.path = "/data\0/x";
	q.pathlen = 8;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "path", why);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		req_init(&q);
		req_path(&q, good[i]);
		v = eval(pol, st, &q, T0);
		if (v.effect != POLICY_ALLOW || strcmp(v.id, "all") != 0)
			fail_msg("path \"%s\": %s", good[i], v.why);
	}
	req_init(&q);
	req_path(&q, "/auth/api-key?x=%41");
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "key", NULL);
	policy_state_free(st);
	policy_free(pol);
}

/*
 * An order's price is notional / size, compared exactly: its text is
 * rounded up in the 18th decimal, and a floor or a ceiling must not be
 * passed by less than 1e-18.  1.000001 / 3 is 0.333333666..., shown as
 * 0.333333666666666667.
 */
static void
test_price_exact(void **state)
{
	static const struct policy_field third[] = {
		{ "side", "BUY" }, { "price", "0.333333666666666667" },
		{ "size", "3" }, { "notional", "1.000001" },
	};
	static const struct policy_field half[] = {
		{ "side", "BUY" }, { "price", "0.5" }, { "size", "2" },
		{ "notional", "1" },
	};
	static const struct policy_field twice[] = {
		{ "side", "BUY" }, { "price", "0.5" }, { "size", "2" },
		{ "size", "2" }, { "notional", "0.9" },
	};
	struct policy		*pol, *le, *ge;
	struct policy_req	 q;
	struct policy_verdict	 v;
	struct lines		 ls;

	pol = pol_new("allow any order price >= 0.1 label buy\n"
	    "deny any order price < 0.333333666666666667 label floor\n"
	    "deny any order price > 0.3333336666666666666 label ceil\n");
	req_init(&q);
	q.kind = "order";
	q.fields = third;
	q.nfields = 4;
	/* below the floor by 3.3e-19: denied by the floor */
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "floor", "denied by rule floor "
	    "(line 2)");
	/* exactly at a bound: < and > do not take it, <= and >= do */
	q.fields = half;
	le = pol_new("allow any order price >= 0.5 label at\n"
	    "deny any order price < 0.5 label below\n"
	    "deny any order price > 0.5 label above\n");
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "at", "allowed by rule at (line 1)");
	ge = pol_new("allow any order price > 0.1 label ok\n"
	    "deny any order price <= 0.5 label le\n");
	v = eval(ge, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "le", "denied by rule le (line 2)");
	/* an allow at the rounded text is not the price: no rule allows it */
	q.fields = third;
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "below", "denied by rule below "
	    "(line 2)");
	policy_free(le);
	le = pol_new("allow any order price >= 0.333333666666666667 label "
	    "min\n");
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "none", "no rule allows it");
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(policy_explain(le, NULL, &q, T0, collect, &ls), 0);
	assert_int_equal(ls.n, 2);
	assert_string_equal(ls.l[0], "rule min (line 1, allow): no match: "
	    "order price is 1.000001 / 3, not >= 0.333333666666666667");
	/* = compares the ratio too */
	policy_free(le);
	le = pol_new("deny any order price = 0.333333666666666667 label eq\n"
	    "allow any order price in { 0.5 0.50 } label set\n");
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "none", "no rule allows it");
	q.fields = half;
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "set", "allowed by rule set (line 2)");
	/* a size given twice: the price's text is compared, as before */
	q.fields = twice;
	q.nfields = 5;
	v = eval(le, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "set", "allowed by rule set (line 2)");
	policy_free(le);
	policy_free(ge);
	policy_free(pol);
}

/*
 * A path that differs only in case from one a rule or the catalog names
 * is refused before any rule, with the spelling to send: an exchange
 * that routes without regard to case would take "/AUTH/API-KEY" for
 * what the deny rule names.  A '*' segment takes an id as it is.
 */
static void
test_path_case(void **state)
{
	static const char *const bad[][2] = {
		{ "/AUTH/API-KEY", "/auth/api-key" },
		{ "/auth/Api-key", "/auth/api-key" },
		{ "/WITHDRAW", "/withdraw" },
		{ "/Orders", "/orders" },
		{ "/DATA/order/0xAbC", "/data/order/0xAbC" },
		{ "/markets/0xAbC/Book", "/markets/0xAbC/book" },
		{ "/mixed", "/MiXeD" },
		{ "/V3/api-keys/Key-1/Rotate", "/v3/api-keys/Key-1/rotate" },
	};
	static const char *const good[] = {
		"/data/order/0xAbCdEf0123", "/markets/0xAbC/book", "/MiXeD",
		"/Unknown/Path", "/data/Other", "/v3/api-keys/Key-1/rotate",
		"/auth/api-keys?X=Y",
	};
	static const char head[] = "the path differs only in case from a "
	    "path the policy or the catalog names: refused before any rule; "
	    "send ";
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	struct lines		 ls;
	char			 why[POLICY_WHY_MAX];
	size_t			 i;

	pol = pol_new("allow any label all\n"
	    "deny any path { /auth/api-key /withdraw } label key\n"
	    "deny any method POST path /markets/*/book label book\n"
	    "deny any path /MiXeD label mixed\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req_init(&q);
		q.method = "DELETE";
		req_path(&q, bad[i][0]);
		v = eval(pol, NULL, &q, T0);
		snprintf(why, sizeof(why), "%s%s", head, bad[i][1]);
		if (v.effect != POLICY_DENY || strcmp(v.id, "path") != 0)
			fail_msg("path \"%s\": %s", bad[i][0], v.why);
		assert_string_equal(v.why, why);
		/* the spelling is the operator's: a bot is told less */
		assert_int_equal(v.case_clash, 1);
		assert_int_equal(v.rule, -1);
		assert_int_equal(v.line, 0);
		assert_int_equal(v.resv.n, 0);
	}
	memset(&ls, 0, sizeof(ls));
	req_path(&q, "/AUTH/API-KEY?a=1");
	assert_int_equal(policy_explain(pol, NULL, &q, T0, collect, &ls), 0);
	assert_int_equal(ls.n, 1);
	assert_string_equal(ls.l[0], "verdict: deny: the path differs only "
	    "in case from a path the policy or the catalog names: refused "
	    "before any rule; send /auth/api-key");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		req_init(&q);
		req_path(&q, good[i]);
		v = eval(pol, NULL, &q, T0);
		if (strcmp(v.id, "path") == 0 || v.case_clash)
			fail_msg("path \"%s\": %s", good[i], v.why);
	}
	/* a path not in canonical form is refused, but not for its case */
	req_path(&q, "/auth//api-key");
	v = eval(pol, NULL, &q, T0);
	assert_string_equal(v.id, "path");
	assert_int_equal(v.case_clash, 0);
	req_init(&q);
	req_path(&q, "/data/order/0xAbCdEf0123");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_ALLOW, "all", NULL);
	req_path(&q, "/MiXeD");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "mixed", NULL);
	req_path(&q, "/auth/api-key");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "key", NULL);
	policy_free(pol);
}

/* The budget table is bounded; what holds nothing is forgotten first. */
static void
test_budget_keys_bound(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;
	char			 acct[32];
	int			 i;

	pol = pol_new("allow any limit 1/day per account label pa\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	q.account = acct;
	for (i = 0; i < 65536; i++) {
		snprintf(acct, sizeof(acct), "acct%d", i);
		if (eval(pol, st, &q, T0).effect != POLICY_ALLOW)
			fail_msg("account %d", i);
	}
	snprintf(acct, sizeof(acct), "one-more");
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "pa", "denied by rule pa (line 1): "
	    "budget limit 1/day per account: the budget table is full "
	    "(65536 keys)");
	/* the counters still count */
	snprintf(acct, sizeof(acct), "acct7");
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_DENY);
	/* a day later every counter holds nothing, and room is made */
	snprintf(acct, sizeof(acct), "one-more");
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_ALLOW);
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_DENY);
	snprintf(acct, sizeof(acct), "acct7");
	assert_int_equal(eval(pol, st, &q, T0 + DAY_MS).effect, POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

/*
 * A budget key as long as it may be: an account name of 510 bytes and
 * the client's tag fill the key's 512 bytes to the last, and the tag
 * used to be written one byte past them before the length was checked
 * (make san's ASan saw it).  Such a request is denied, naming why.
 */
static void
test_budget_key_long(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;
	char			 acct[511];

	pol = pol_new("allow client bot limit 5/day per account client label "
	    "pc\n");
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	q.actor = POLICY_ACTOR_CLIENT;
	q.client = "bot";
	memset(acct, 'A', sizeof(acct) - 1);
	acct[sizeof(acct) - 1] = '\0';
	q.account = acct;
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "pc", "denied by rule pc (line 1): "
	    "budget limit 5/day per account client: the account or client "
	    "name is too long for a budget key");
	v = eval(pol, NULL, &q, T0);		/* the dry run too */
	assert_int_equal(v.effect, POLICY_DENY);
	acct[500] = '\0';
	assert_int_equal(eval(pol, st, &q, T0).effect, POLICY_ALLOW);
	policy_state_free(st);
	policy_free(pol);
}

/* An approve rule's budgets are held with the verdict, and refunded. */
static void
test_budget_approve(void **state)
{
	struct policy		*pol;
	struct policy_state	*st;
	struct policy_req	 q;
	struct policy_verdict	 v;
	struct lines		 ls;
	uint8_t			 pks[4][32];
	char			 text[2048];

	approvers_text(text, sizeof(text), pks);
	strcat(text, "approve 1 of alice any path /w limit 1/hour label w\n"
	    "allow any path /w limit 5/hour label w5\n");
	pol = pol_new(text);
	assert_non_null(st = policy_state_new(pol));
	req_init(&q);
	req_path(&q, "/w");
	v = eval(pol, st, &q, T0);
	assert_int_equal(v.effect, POLICY_APPROVE);
	assert_int_equal(v.resv.n, 2);
	/* explain spends nothing and sees the exhausted budget */
	memset(&ls, 0, sizeof(ls));
	assert_int_equal(policy_explain(pol, st, &q, T0, collect, &ls), 0);
	assert_string_equal(ls.l[ls.n - 1], "verdict: deny: denied by rule w "
	    "(line 5): budget limit 1/hour exhausted");
	/* the approvers said no: give it back */
	policy_refund(st, &v.resv);
	v = eval(pol, st, &q, T0);
	assert_int_equal(v.effect, POLICY_APPROVE);
	v = eval(pol, st, &q, T0);
	assert_verdict(&v, POLICY_DENY, "w", NULL);
	policy_state_free(st);
	policy_free(pol);
}

static const char *
pick(uint64_t *seed, const char *const *v, size_t n)
{
	return v[xorshift(seed) % n];
}

/* A random path pattern, or path, of segments a b c (and '*'). */
static void
rand_path(uint64_t *seed, char *buf, size_t len, int pattern)
{
	static const char *const segs[] = { "a", "b", "c", "ab", "*" };
	size_t	n = 1 + xorshift(seed) % 4, i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		strncat(buf, "/", len - strlen(buf) - 1);
		strncat(buf, pick(seed, segs, pattern ? 5 : 4),
		    len - strlen(buf) - 1);
	}
	/* a trailing '/' makes a pattern an error and a path refused */
	if (!pattern && xorshift(seed) % 8 == 0)
		strncat(buf, "/", len - strlen(buf) - 1);
	if (!pattern && xorshift(seed) % 4 == 0)
		strncat(buf, "?x=1", len - strlen(buf) - 1);
}

/*
 * The index only narrows: on random policies and requests, the verdict
 * with it is the verdict of trying every rule in order.
 */
static void
test_index_vs_scan(void **state)
{
	static const char *const who[] = { "any", "client bot1",
	    "client {bot1 bot2}", "operator", "operator uid 7", "client bot3" };
	static const char *const meth[] = { "", " method GET",
	    " method {GET POST}", " method DELETE", " method PUT" };
	static const char *const lev[] = { "", " level l2", " level {l1 l2}",
	    " level builder" };
	static const char *const eff[] = { "allow", "allow", "deny",
	    "approve 1 of alice" };
	static const char *const rmeth[] = { "GET", "POST", "DELETE", "PATCH",
	    "PUT" };
	struct policy		*pol;
	struct pol_index	*ix;
	struct policy_req	 q;
	struct policy_verdict	 a, b;
	uint64_t		 seed = 12345;
	uint8_t			 pks[4][32];
	char			*text, p1[64], p2[64], rp[80], line[512];
	char			 pc[160];
	uint64_t		 k;
	int			 round, i, n, seen[3] = { 0, 0, 0 };

	assert_non_null(text = malloc(256 * 1024));
	for (round = 0; round < 20; round++) {
		approvers_text(text, 256 * 1024, pks);
		n = 20 + (int)(xorshift(&seed) % 200);
		for (i = 0; i < n; i++) {
			rand_path(&seed, p1, sizeof(p1), 1);
			rand_path(&seed, p2, sizeof(p2), 1);
			k = xorshift(&seed) % 5;
			if (k == 0)
				pc[0] = '\0';
			else if (k % 2)
				snprintf(pc, sizeof(pc), " path {%s %s}", p1,
				    p2);
			else
				snprintf(pc, sizeof(pc), " path %s", p1);
			snprintf(line, sizeof(line), "%s %s%s%s%s account "
			    "{main u%d}\n", pick(&seed, eff, 4),
			    pick(&seed, who, 6), pick(&seed, meth, 5),
			    pick(&seed, lev, 4), pc, i);
			strcat(text, line);
		}
		pol = pol_new(text);
		for (i = 0; i < 500; i++) {
			req_init(&q);
			rand_path(&seed, rp, sizeof(rp), 0);
			req_path(&q, rp);
			q.method = pick(&seed, rmeth, 5);
			q.level = (enum policy_level)(xorshift(&seed) %
			    POLICY_L_COUNT);
			switch (xorshift(&seed) % 4) {
			case 0: q.client = "bot2"; break;
			case 1: q.client = "bot3"; break;
			case 2:
				q.actor = POLICY_ACTOR_OPERATOR;
				q.uid = xorshift(&seed) % 2 ? 7 : 8;
				break;
			}
			a = eval(pol, NULL, &q, T0);
			ix = pol->index;
			pol->index = NULL;
			b = eval(pol, NULL, &q, T0);
			pol->index = ix;
			if (a.effect != b.effect || a.rule != b.rule ||
			    strcmp(a.why, b.why) != 0 ||
			    a.napprove != b.napprove ||
			    memcmp(a.approve, b.approve,
			    a.napprove * sizeof(a.approve[0])) != 0)
				fail_msg("round %d: %s %s: %s / %s", round,
				    q.method, rp, a.why, b.why);
			seen[a.effect]++;
		}
		policy_free(pol);
	}
	free(text);
	assert_true(seen[0] > 500 && seen[1] > 500 && seen[2] > 500);
}

/* Ceilings come first, and no rule lifts them. */
static void
test_ceilings(void **state)
{
	static const struct policy_field perms[] = {
		{ "permissions", "read" }, { "permissions", "admin" },
	};
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;

	pol = pol_new("skew 30\n"
	    "l1-nonce <= 5\n"
	    "key-permissions {read trade}\n"
	    "allow any\n");
	assert_int_equal(policy_skew(pol), 30);
	assert_int_equal(policy_approval_timeout(pol),
	    POLICY_APPROVAL_TIMEOUT);
	req_init(&q);
	q.level = POLICY_L_L1;
	q.nonce = 9;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ceiling:l1-nonce", "denied by "
	    "ceiling l1-nonce (line 2): nonce 9 is not <= 5");
	assert_int_equal(v.rule, -1);
	q.nonce = 5;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.level = POLICY_L_L2;
	q.nonce = 9;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);

	q.kind = "key";
	q.fields = perms;
	q.nfields = 2;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ceiling:key-permissions", "denied "
	    "by ceiling key-permissions (line 3): permission \"admin\" is not "
	    "in {read trade}");
	q.nfields = 1;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.kind = NULL;
	q.nfields = 0;

	q.signed_ts = T0 / 1000 - 31;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ceiling:skew", "denied by ceiling "
	    "skew (line 1): signed timestamp is 31 s old, more than 30");
	q.signed_ts = T0 / 1000 + 31;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ceiling:skew", "denied by ceiling "
	    "skew (line 1): signed timestamp is 31 s ahead, more than 30");
	q.signed_ts = T0 / 1000 - 30;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	q.signed_ts = T0 / 1000 + 30;
	assert_int_equal(effect_of(pol, &q), POLICY_ALLOW);
	policy_free(pol);

	/* the default skew, from no line */
	pol = pol_new("approval-timeout 60\nallow any\n");
	assert_int_equal(policy_skew(pol), POLICY_SKEW_DEFAULT);
	assert_int_equal(policy_approval_timeout(pol), 60);
	req_init(&q);
	q.signed_ts = T0 / 1000 - 31;
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ceiling:skew", "denied by ceiling "
	    "skew: signed timestamp is 31 s old, more than 30");
	policy_free(pol);
}

/* The request digest binds the pending id and every field. */
static void
test_req_digest(void **state)
{
	struct policy_req	 q;
	uint8_t			 d0[32], d[32];
	crypto_generichash_state h;
	static const uint8_t	 want_pre[] = "clobvault approval v1";
	uint8_t			 b[8];
	int			 i;

	req_init(&q);
	req_path(&q, "/data?x=1");
	req_body(&q, "{}");
	q.nonce = 7;
	policy_req_digest(&q, 42, "k1", 0x2, d0);

	/* the layout, written out */
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, want_pre, sizeof(want_pre));
	memcpy(b, "\0\0\0\0\0\0\0\x2a", 8);
	crypto_generichash_update(&h, b, 8);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x0b"
	    "client:bot1", 15);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x04main", 8);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x08"
	    "\0\0\0\0\0\0\0\x02", 12);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x03GET", 7);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x09"
	    "/data?x=1", 13);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x02{}", 6);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x08"
	    "\0\0\0\0\0\0\0\x07", 12);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x02k1", 6);
	crypto_generichash_update(&h, (const uint8_t *)"\0\0\0\x08"
	    "\0\0\0\0\0\0\0\x02", 12);
	crypto_generichash_final(&h, d, 32);
	assert_memory_equal(d, d0, 32);

	for (i = 0; i < 12; i++) {
		struct policy_req	r = q;
		uint64_t		id = 42, flags = 0x2;
		const char		*key = "k1";

		switch (i) {
		case 0: id = 43; break;
		case 1: r.client = "bot2"; break;
		case 2: r.actor = POLICY_ACTOR_OPERATOR; break;
		case 3: r.account = "alt"; break;
		case 4: r.level = POLICY_L_L1; break;
		case 5: r.method = "POST"; break;
		case 6: r.pathlen--; break;
		case 7: r.bodylen--; break;
		case 8: r.nonce = 8; break;
		case 9: key = "k2"; break;
		case 10: key = ""; break;
		case 11: flags = 0x3; break;
		}
		policy_req_digest(&r, id, key, flags, d);
		assert_memory_not_equal(d, d0, 32);
	}
}

/* K of each approve rule's own set; other approvers do not count. */
static void
test_approvals(void **state)
{
	struct policy		*pol, *pol2;
	struct policy_req	 q;
	struct policy_verdict	 v;
	uint8_t			 pks[4][32], g[8], other[32];
	const char		*name = NULL;
	char			 text[2048];

	approvers_text(text, sizeof(text), pks);
	strcat(text, "approve 2 of {alice bob} any path /k label two\n"
	    "approve 1 of {carol} any path /k label one\n"
	    "policy-change approve 2 of {alice bob dave}\n");
	pol = pol_new(text);
	assert_int_equal(policy_napprovers(pol), 4);
	assert_int_equal(policy_approver_find(pol, pks[2], &name), 2);
	assert_string_equal(name, "carol");
	memset(other, 7, sizeof(other));
	assert_int_equal(policy_approver_find(pol, other, NULL), -1);
	assert_string_equal(policy_approver_name(pol, 0), "alice");
	assert_string_equal(policy_approver_name(pol, 3), "dave");
	assert_null(policy_approver_name(pol, 4));

	req_init(&q);
	req_path(&q, "/k");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_APPROVE, "two", "held for approval by rule "
	    "two (line 5): 2 of {alice bob}; rule one (line 6): 1 of {carol}");
	assert_int_equal(v.napprove, 2);

	memset(g, 0, sizeof(g));
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 0);
	assert_int_equal(policy_approval_missing(pol, &v, g), 2);
	/*
	 * Whose grant counts: carol's does though it leaves the largest
	 * shortfall (rule two's) as it was; dave is in no approve rule; a
	 * grant given already, or for a rule that has its K, does not.
	 */
	assert_int_equal(policy_approval_counts(pol, &v, g, 0), 1);
	assert_int_equal(policy_approval_counts(pol, &v, g, 2), 1);
	assert_int_equal(policy_approval_counts(pol, &v, g, 3), 0);
	assert_int_equal(policy_approval_counts(pol, &v, g, 4), 0);
	g[0] = 0x4;				/* carol */
	assert_int_equal(policy_approval_missing(pol, &v, g), 2);
	assert_int_equal(policy_approval_counts(pol, &v, g, 2), 0);
	assert_int_equal(policy_approval_counts(pol, &v, g, 1), 1);
	g[0] = 0x1;				/* alice */
	assert_int_equal(policy_approval_missing(pol, &v, g), 1);
	g[0] = 0x1 | 0x8;			/* alice, dave */
	assert_int_equal(policy_approval_missing(pol, &v, g), 1);
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 0);
	g[0] = 0x1 | 0x2;			/* alice, bob */
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 0);
	assert_int_equal(policy_approval_missing(pol, &v, g), 1);
	g[0] = 0x1 | 0x2 | 0x4;			/* and carol */
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 1);
	assert_int_equal(policy_approval_missing(pol, &v, g), 0);
	g[0] = 0x4 | 0x8 | 0xf0;		/* bits past the approvers */
	memset(g + 1, 0xff, 7);
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 0);
	/* not a held verdict: nothing satisfies it */
	req_path(&q, "/none");
	v = eval(pol, NULL, &q, T0);
	memset(g, 0xff, sizeof(g));
	assert_int_equal(policy_approval_satisfied(pol, &v, g), 0);

	/* governance */
	assert_int_equal(policy_change_k(pol), 2);
	memset(g, 0, sizeof(g));
	g[0] = 0x1 | 0x4;			/* alice, carol */
	assert_int_equal(policy_change_satisfied(pol, g), 0);
	g[0] = 0x1 | 0x8;			/* alice, dave */
	assert_int_equal(policy_change_satisfied(pol, g), 1);
	pol2 = pol_new("allow any\n");
	assert_int_equal(policy_change_k(pol2), 0);
	memset(g, 0, sizeof(g));
	assert_int_equal(policy_change_satisfied(pol2, g), 1);
	policy_free(pol2);
	policy_free(pol);
}

/* More approve rules than one request can wait for: denied. */
static void
test_approve_max(void **state)
{
	struct policy		*pol;
	struct policy_req	 q;
	struct policy_verdict	 v;
	uint8_t			 pks[4][32];
	char			 text[4096], line[192];
	int			 i;

	approvers_text(text, sizeof(text), pks);
	for (i = 0; i < POLICY_APPROVE_MAX + 1; i++) {
		snprintf(line, sizeof(line), "approve 1 of alice any path /m "
		    "label ap%d\n", i);
		strcat(text, line);
	}
	pol = pol_new(text);
	req_init(&q);
	req_path(&q, "/m");
	v = eval(pol, NULL, &q, T0);
	assert_verdict(&v, POLICY_DENY, "ap0", "denied by rule ap0 (line 5): "
	    "9 approve rules match, more than the 8 one request can wait for");
	policy_free(pol);

	/* a long set of approvers is cut, and still closed */
	text[0] = '\0';
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "approver-number-%02d", i);
		strcat(text, approver_line(line + 64, 64 + 64, line, i + 1,
		    pks[0]));
	}
	strcat(text, "approve 2 of {approver-number-00 approver-number-01 "
	    "approver-number-02 approver-number-03 approver-number-04 "
	    "approver-number-05 approver-number-06 approver-number-07} any "
	    "label long\n");
	pol = pol_new(text);
	v = eval(pol, NULL, &q, T0);
	assert_int_equal(v.effect, POLICY_APPROVE);
	assert_string_equal(v.why, "held for approval by rule long (line 13): "
	    "2 of {approver-number-00 approver-number-01 approver-number-02 "
	    "approver-number-03 ...}");
	policy_free(pol);
}

/* Known answers: the digest of nothing, the bytes approvers sign. */
static void
test_known_answers(void **state)
{
	static const uint8_t	empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
		0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	uint8_t	d[32], msg[POLICY_APPROVAL_MSG_LEN], want[65];
	uint8_t	cmsg[POLICY_CHANGE_MSG_LEN], cwant[64];
	int	i;

	policy_digest("", 0, d);
	assert_memory_equal(d, empty, 32);
	policy_digest(NULL, 0, d);
	assert_memory_equal(d, empty, 32);

	for (i = 0; i < 32; i++)
		d[i] = (uint8_t)i;
	memset(want, 0, sizeof(want));
	memcpy(want, "clobvault approval v1", 21);
	memcpy(want + 24, d, 32);
	memcpy(want + 56, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	want[64] = 1;
	policy_approval_msg(d, 0x0102030405060708ULL, 1, msg);
	assert_memory_equal(msg, want, sizeof(want));
	want[64] = 0;
	policy_approval_msg(d, 0x0102030405060708ULL, 0, msg);
	assert_memory_equal(msg, want, sizeof(want));

	memset(cwant, 0, sizeof(cwant));
	memcpy(cwant, "clobvault policy v1", 19);
	memcpy(cwant + 24, d, 32);
	memcpy(cwant + 56, "\0\0\0\0\0\0\0\x09", 8);
	policy_change_msg(d, 9, cmsg);
	assert_memory_equal(cmsg, cwant, sizeof(cwant));
}

/* The JSON reader on its own: lookups and exact strings. */
static void
test_json_lookup(void **state)
{
	static const char	doc[] = " {\"a\": {\"b~c\": [10, \"x\\\"y\", "
	    "{\"\": null}], \"d/e\": -1.5e3}, \"s\": \"\\u00e9t\\u00e9\"} ";
	const uint8_t		*p = (const uint8_t *)doc;
	size_t			 len = sizeof(doc) - 1, n;
	struct pj_val		 v;
	char			 buf[4];

	assert_int_equal(pj_validate(p, len, NULL, NULL), 0);
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/0", 9, &v), 0);
	assert_int_equal(v.kind, PJ_NUMBER);
	assert_int_equal(v.len, 2);
	assert_memory_equal(v.p, "10", 2);
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/1", 9, &v), 0);
	assert_int_equal(v.kind, PJ_STRING);
	assert_true(pj_str_eq(&v, "x\"y", 3));
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/2/", 10, &v), 0);
	assert_int_equal(v.kind, PJ_NULL);
	assert_int_equal(pj_lookup(p, len, "/a/d~1e", 7, &v), 0);
	assert_memory_equal(v.p, "-1.5e3", 6);
	assert_int_equal(pj_lookup(p, len, "/s", 2, &v), 0);
	assert_true(pj_str_eq(&v, "\xc3\xa9t\xc3\xa9", 5));
	assert_true(pj_str_prefix(&v, "\xc3\xa9", 2));
	assert_false(pj_str_eq(&v, "\xc3\xa9t", 3));
	assert_int_equal(pj_str(&v, buf, sizeof(buf), &n), CV_ERR_TOOLONG);
	assert_int_equal(n, 5);
	assert_int_equal(pj_lookup(p, len, "", 0, &v), 0);
	assert_int_equal(v.kind, PJ_OBJECT);
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/3", 9, &v),
	    CV_ERR_NOTFOUND);
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/01", 10, &v),
	    CV_ERR_NOTFOUND);
	assert_int_equal(pj_lookup(p, len, "/a/b~0c/-", 9, &v),
	    CV_ERR_NOTFOUND);
	assert_int_equal(pj_lookup(p, len, "/s/x", 4, &v), CV_ERR_NOTFOUND);
	assert_int_equal(pj_lookup(p, len, "/x", 2, &v), CV_ERR_NOTFOUND);
	assert_int_equal(pj_lookup(p, len, "a", 1, &v), CV_ERR_INVALID);
	assert_int_equal(pj_lookup(p, len, "/a~2", 4, &v), CV_ERR_INVALID);
	assert_int_equal(pj_validate((const uint8_t *)"", 0, NULL, NULL),
	    CV_ERR_INVALID);
	assert_int_equal(pj_validate((const uint8_t *)"1", 1, NULL, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deny_overrides_allow),
		cmocka_unit_test(test_effect_order),
		cmocka_unit_test(test_empty_denies),
		cmocka_unit_test(test_malformed_request),
		cmocka_unit_test(test_predicates),
		cmocka_unit_test(test_multi_valued),
		cmocka_unit_test(test_path_star),
		cmocka_unit_test(test_query_strict),
		cmocka_unit_test(test_body_strict),
		cmocka_unit_test(test_decimals),
		cmocka_unit_test(test_budget_rate),
		cmocka_unit_test(test_budget_count),
		cmocka_unit_test(test_budget_sum),
		cmocka_unit_test(test_budget_all_or_nothing),
		cmocka_unit_test(test_budget_per_client),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_anonymous),
		cmocka_unit_test(test_budget_each),
		cmocka_unit_test(test_anonymous_explain),
		cmocka_unit_test(test_path_canonical),
		cmocka_unit_test(test_path_case),
		cmocka_unit_test(test_price_exact),
		cmocka_unit_test(test_budget_keys_bound),
		cmocka_unit_test(test_budget_key_long),
		cmocka_unit_test(test_budget_approve),
		cmocka_unit_test(test_index_vs_scan),
		cmocka_unit_test(test_ceilings),
		cmocka_unit_test(test_req_digest),
		cmocka_unit_test(test_approvals),
		cmocka_unit_test(test_approve_max),
		cmocka_unit_test(test_budget_horizon),
		cmocka_unit_test(test_budget_restore),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_json_lookup),
		cmocka_unit_test(test_body_case),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
