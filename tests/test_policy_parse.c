/*
 * policy/: the parser half (parse.y, policy_parse.c, policy_dec.c).
 * Every statement parses to the exact canonical form and id; every error
 * is reported at its exact line and column with its exact sentence;
 * several at once; the decimals compare and scale exactly.
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

/* Ed25519 public keys of the seeds 0x01.., 0x02.., 0x03.. (32 bytes). */
#define KEY_A	"8a88e3dd7409f195fd52db2d3cba5d72" \
		"ca6709bf1d94121bf3748801b40f6f5c"
#define KEY_B	"8139770ea87d175f56a35466c34c7ecc" \
		"cb8d8a91b4ee37a25df60f5b8fc9b394"
#define KEY_C	"ed4928c628d1c2c6eae9033890599561" \
		"2959273a5c63f93636c14614ac8737d1"
#define APPROVERS \
	"approver alice \"" KEY_A "\"\n" \
	"approver bob " KEY_B "\n" \
	"approver carol \"" KEY_C "\"\n"

static struct policy *
parse_ok(const char *text)
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
	assert_int_equal(errs.n, 0);
	return pol;
}

/* Rule i of pol is canon, with id (NULL: "r" and its hash's 8 hex). */
static void
rule_is(const struct policy *pol, size_t i, const char *canon,
    const char *id)
{
	struct policy_rule_info	ri;

	assert_int_equal(policy_rule(pol, i, &ri), 0);
	assert_string_equal(ri.canon, canon);
	assert_string_equal(ri.id, id);
}

/* The one rule of text has the form canon and the id id. */
static void
one_rule(const char *text, const char *canon, const char *id)
{
	struct policy	*pol;

	pol = parse_ok(text);
	assert_int_equal(policy_nrules(pol), 1);
	rule_is(pol, 0, canon, id);
	policy_free(pol);
}

/*
 * text is refused with code, and its errors, each "LINE:COL: MESSAGE",
 * are exactly the NULL-terminated list that follows.
 */
static void
errors_are(const char *text, size_t len, int code, ...)
{
	struct policy_errors	 errs;
	struct policy		*pol = (struct policy *)&errs;
	const char		*want;
	char			 got[256];
	va_list			 ap;
	size_t			 i = 0;
	int			 r;

	r = policy_parse(text, len, &pol, &errs);
	assert_null(pol);
	va_start(ap, code);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= errs.n)
			fail_msg("missing error \"%s\"", want);
		snprintf(got, sizeof(got), "%d:%d: %s", errs.e[i].line,
		    errs.e[i].col, errs.e[i].msg);
		assert_string_equal(got, want);
		i++;
	}
	va_end(ap);
	for (; i < errs.n; i++)
		fail_msg("unexpected error %d:%d: %s", errs.e[i].line,
		    errs.e[i].col, errs.e[i].msg);
	assert_int_equal(r, code);
}

/* The one error of a text (a C string). */
static void
error_is(const char *text, const char *want)
{
	errors_are(text, strlen(text), CV_ERR_INVALID, want, NULL);
}

static void
test_empty(void **state)
{
	static const char *const empties[] = {
		"", "\n", "\n\n  \t\n", "# nothing\n", "# no newline",
		"   \\\n\n", "\r\n"
	};
	struct policy	*pol;
	uint8_t		 d[POLICY_DIGEST_LEN];
	char		 hex[2 * POLICY_DIGEST_LEN + 1];
	size_t		 i;

	for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		pol = parse_ok(empties[i]);
		assert_int_equal(policy_nrules(pol), 0);
		assert_int_equal(pol->nsettings, 0);
		assert_int_equal(pol->skew_s, POLICY_SKEW_DEFAULT);
		assert_int_equal(pol->approval_timeout_s,
		    POLICY_APPROVAL_TIMEOUT);
		assert_int_equal(policy_skew(pol), 30);
		assert_int_equal(policy_approval_timeout(pol), 300);
		policy_free(pol);
	}
	/* the digest is what sha256sum prints */
	pol = parse_ok("");
	sodium_bin2hex(hex, sizeof(hex), pol->digest, sizeof(pol->digest));
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	policy_free(pol);
	policy_digest("abc", 3, d);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(policy_nrules(NULL), 0);
	policy_free(NULL);
}

static void
test_default(void **state)
{
	struct policy_rule_info	 ri;
	struct policy		*pol;
	const char		*t = policy_default_text();

	assert_string_equal(t, "# clobvault default policy: what the "
	    "endpoint catalog admits, for the\n# operator; nothing for "
	    "anyone else.\nallow operator catalog label default\n");
	pol = parse_ok(t);
	assert_int_equal(policy_nrules(pol), 1);
	assert_int_equal(policy_rule(pol, 0, &ri), 0);
	assert_string_equal(ri.canon, "allow operator catalog label default");
	assert_string_equal(ri.id, "default");
	assert_int_equal(ri.line, 3);
	assert_int_equal(ri.effect, POLICY_ALLOW);
	assert_int_equal(policy_rule(pol, 1, &ri), CV_ERR_NOTFOUND);
	assert_int_equal(pol->rules[0].who, PW_OPERATOR);
	assert_int_equal(pol->rules[0].names.n, 0);
	assert_int_equal(pol->rules[0].npreds, 1);
	assert_int_equal(pol->rules[0].preds[0].kind, PP_CATALOG);
	assert_int_equal(pol->rules[0].col, 1);
	policy_free(pol);
}

/* The lines other than rules, with their ids and forms. */
static void
test_settings(void **state)
{
	struct policy	*pol;
	size_t		 i;
	static const char *const want[][3] = {
		{ "approver:alice", "approver alice " KEY_A, "1" },
		{ "approver:bob", "approver bob " KEY_B, "2" },
		{ "approver:carol", "approver carol " KEY_C, "3" },
		{ "ceiling:skew", "skew 10", "4" },
		{ "approval-timeout", "approval-timeout 600", "5" },
		{ "ceiling:l1-nonce", "l1-nonce in { 1 2 30 }", "6" },
		{ "ceiling:key-permissions", "key-permissions { read trade }",
		    "7" },
		{ "policy-change", "policy-change approve 2 of { alice bob "
		    "carol }", "8" },
	};

	pol = parse_ok(APPROVERS
	    "skew 010\n"
	    "approval-timeout 600\n"
	    "l1-nonce in { 30, 2 1 2 }\n"
	    "key-permissions { trade read trade }\n"
	    "policy-change approve 2 of { carol, alice bob }\n");
	assert_int_equal(policy_nrules(pol), 0);
	assert_int_equal(pol->nsettings, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(pol->settings[i].id, want[i][0]);
		assert_string_equal(pol->settings[i].canon, want[i][1]);
		assert_int_equal(pol->settings[i].line, atoi(want[i][2]));
	}
	assert_int_equal(pol->napprovers, 3);
	assert_string_equal(pol->approvers[0].name, "alice");
	assert_string_equal(pol->approvers[0].canon, want[0][1]);
	assert_int_equal(pol->approvers[1].line, 2);
	assert_int_equal(pol->approvers[1].col, 10);
	/* upper-case hex is the same key */
	assert_int_equal(pol->approvers[2].pk[0], 0xed);
	assert_int_equal(pol->approvers[2].pk[31], 0xd1);
	assert_int_equal(pol->skew_s, 10);
	assert_int_equal(pol->approval_timeout_s, 600);
	assert_int_equal(pol->have_nonce_ceiling, 1);
	assert_int_equal(pol->nonce_op, PO_IN);
	assert_int_equal(pol->nonce_vals.n, 3);
	assert_int_equal(pol->have_perm_ceiling, 1);
	assert_int_equal(pol->perm_ceiling.n, 2);
	assert_int_equal(pol->change_k, 2);
	assert_int_equal(pol->change_approvers.n, 3);
	assert_string_equal(pol->change_approvers.v[0], "alice");
	policy_free(pol);

	/* one ceiling op of each kind; upper-case key as a word */
	pol = parse_ok("l1-nonce <= 18446744073709551615\n"
	    "approver x ED4928C628D1C2C6EAE90338905995612959273A5C63F93636C1"
	    "4614AC8737D1\n");
	assert_string_equal(pol->settings[0].canon,
	    "l1-nonce <= 18446744073709551615");
	assert_string_equal(pol->settings[1].canon, "approver x " KEY_C);
	policy_free(pol);
}

/* Golden forms: one rule per construct, its canonical form and id. */
static void
test_rules(void **state)
{
	one_rule("allow any\n", "allow any", "r36aa3f37");
	one_rule("deny any", "deny any", "r10087570");
	one_rule("allow operator\n", "allow operator", "ref7d4a65");
	one_rule("allow operator uid { 1000 0 007 1000 }\n",
	    "allow operator uid { 0 1000 7 }", "r6682ca35");
	one_rule("allow operator uid 4294967295\n",
	    "allow operator uid 4294967295", "r0c622b7b");
	one_rule("allow client bot-1\n", "allow client bot-1", "rf567dafc");
	one_rule("allow client { b a, c }\n", "allow client { a b c }",
	    "r50543d19");
	one_rule(APPROVERS "approve 2 of { carol alice } any\n",
	    "approve 2 of { alice carol } any", "rdd40835d");
	one_rule(APPROVERS "approve 1 of bob operator\n",
	    "approve 1 of bob operator", "r12b3335e");
	/* predicates come in the order of enum pol_pred_kind */
	one_rule("allow client c catalog order side = BUY nonce > 5 "
	    "body /a = 1 query q = x path /p method GET level l2 "
	    "profile omnia account main\n",
	    "allow client c account main profile omnia level l2 method GET "
	    "path /p query q = x body /a = 1 nonce > 5 catalog "
	    "order side = BUY", "r2c2e1a86");
	one_rule("allow any level { bearer l1 none builder l2 l1 }\n",
	    "allow any level { none l1 l2 builder bearer }", "r81f9618d");
	one_rule("allow any method { POST GET DELETE GET }\n",
	    "allow any method { DELETE GET POST }", "r21d54c39");
	one_rule("allow any profile { polymarket openfish }\n",
	    "allow any profile { openfish polymarket }", "r5983d371");
	one_rule("allow any path { /b/*/c / /a /order }\n",
	    "allow any path { / /a /b/*/c /order }", "r9d991707");
	/* then by name, then by text; a repeated predicate once */
	one_rule("allow any query z = 1 query a != 2 query a = 1 "
	    "query a = 1\n",
	    "allow any query a != 2 query a = 1 query z = 1", "ra0adea7f");
	one_rule("allow any order size >= 1 order price < 0.5 "
	    "key permissions in { trade read }\n",
	    "allow any key permissions in { read trade } "
	    "order price < 0.5 order size >= 1", "re39b4c3e");
	/* every comparison */
	one_rule("allow any order side = BUY order side != SELL "
	    "order side in BUY order token prefix 12 order price < -1 "
	    "order price <= 2.50 order price > 0 order price >= 0.0\n",
	    "allow any order price < -1 order price <= 2.50 order price > 0 "
	    "order price >= 0.0 order side != SELL order side = BUY "
	    "order side in BUY order token prefix 12", "rc6f14bb5");
	one_rule("allow any nonce in { 9 10 } nonce != 3\n",
	    "allow any nonce != 3 nonce in { 10 9 }", "r6e60a665");
	one_rule("allow any body /order/side = buy body \"/a~0b~1\" = \"\"\n",
	    "allow any body \"/a~0b~1\" = \"\" body /order/side = buy",
	    "r555d69a4");
	/* budgets: after the predicates, sorted; numbers normalised */
	one_rule("allow any order side = BUY rate 010/s burst 20 per client "
	    "limit 5/min per account client limit notional 100.50/day "
	    "limit size 0.0000001/hour per client account rate 3/day "
	    "burst 3\n",
	    "allow any order side = BUY limit 5/min per account client "
	    "limit notional 100.5/day limit size 0.000001/hour per account "
	    "client rate 10/s burst 20 per client rate 3/day", "r9149d8d1");
	one_rule("allow any limit 1/hour per account limit 1/hour per "
	    "account\n", "allow any limit 1/hour per account", "r81427f9a");
	/* labels */
	one_rule("allow any label bot.orders-1_x\n",
	    "allow any label bot.orders-1_x", "bot.orders-1_x");
	one_rule("allow any label \"any\"\n", "allow any label \"any\"",
	    "any");
	one_rule("allow any label abcdefghijklmnopqrstuvwxyz012345\n",
	    "allow any label abcdefghijklmnopqrstuvwxyz012345",
	    "abcdefghijklmnopqrstuvwxyz012345");
}

/* What the tree holds for the engine. */
static void
test_tree(void **state)
{
	struct policy	*pol;
	struct pol_rule	*r;

	pol = parse_ok(APPROVERS
	    "\n"
	    "approve 2 of { bob alice } client { b a } account main \\\n"
	    "    level { l1 l2 } order notional <= 500 \\\n"
	    "    rate 10/min burst 15 per account \\\n"
	    "    limit notional 1000.000001/day per client label big\n");
	assert_int_equal(policy_nrules(pol), 1);
	r = &pol->rules[0];
	assert_int_equal(r->line, 5);
	assert_int_equal(r->col, 1);
	assert_int_equal(r->effect, POLICY_APPROVE);
	assert_int_equal(r->k, 2);
	assert_int_equal(r->approvers.n, 2);
	assert_string_equal(r->approvers.v[0], "alice");
	assert_int_equal(r->who, PW_CLIENT);
	assert_string_equal(r->names.v[0], "a");
	assert_int_equal(r->npreds, 3);
	assert_int_equal(r->preds[0].kind, PP_ACCOUNT);
	assert_int_equal(r->preds[0].line, 5);
	assert_int_equal(r->preds[0].col, 43);
	assert_int_equal(r->preds[1].kind, PP_LEVEL);
	assert_int_equal(r->preds[1].levels,
	    (1U << POLICY_L_L1) | (1U << POLICY_L_L2));
	assert_int_equal(r->preds[2].kind, PP_FIELD);
	assert_string_equal(r->preds[2].kind_name, "order");
	assert_string_equal(r->preds[2].name, "notional");
	assert_int_equal(r->preds[2].op, PO_LE);
	assert_string_equal(r->preds[2].vals.v[0], "500");
	assert_int_equal(r->preds[2].line, 6);
	assert_int_equal(r->preds[2].col, 21);
	assert_int_equal(r->nbudgets, 2);
	assert_int_equal(r->budgets[0].kind, PB_SUM);
	assert_string_equal(r->budgets[0].field, "notional");
	assert_int_equal(r->budgets[0].amount, 1000000001ULL);
	assert_int_equal(r->budgets[0].window_s, 86400);
	assert_int_equal(r->budgets[0].per, PB_PER_CLIENT);
	assert_int_equal(r->budgets[0].line, 8);
	assert_int_equal(r->budgets[1].kind, PB_RATE);
	assert_int_equal(r->budgets[1].amount, 10);
	assert_int_equal(r->budgets[1].burst, 15);
	assert_int_equal(r->budgets[1].window_s, 60);
	assert_int_equal(r->budgets[1].per, PB_PER_ACCOUNT);
	assert_string_equal(r->label, "big");
	assert_string_equal(r->canon, "approve 2 of { alice bob } client "
	    "{ a b } account main level { l1 l2 } order notional <= 500 "
	    "limit notional 1000.000001/day per client rate 10/min burst 15 "
	    "per account label big");
	policy_free(pol);

	/* a burst not said is the amount; a count is PB_COUNT */
	pol = parse_ok("allow any rate 7/hour limit 3/s\n");
	r = &pol->rules[0];
	assert_int_equal(r->budgets[0].kind, PB_COUNT);
	assert_int_equal(r->budgets[0].amount, 3);
	assert_int_equal(r->budgets[0].window_s, 1);
	assert_int_equal(r->budgets[0].per, 0);
	assert_int_equal(r->budgets[1].kind, PB_RATE);
	assert_int_equal(r->budgets[1].burst, 7);
	assert_int_equal(r->budgets[1].window_s, 3600);
	assert_null(r->budgets[1].field);
	policy_free(pol);
}

static void
test_macros(void **state)
{
	struct policy	*pol;

	pol = parse_ok("bots = { bot-2, bot-1 }\n"
	    "acct = main\n"
	    "more = { $bots bot-3 $acct }\n"
	    "q = \"two words\"\n"
	    "one = { solo }\n"
	    "copy = $bots\n"
	    "allow client $bots account $acct\n"
	    "allow client { $bots, bot-0 } account { $acct }\n"
	    "allow client $more query $q = $q\n"
	    "allow client $copy account \"$acct\" label lit\n"
	    "allow client $one\n");
	assert_int_equal(policy_nrules(pol), 5);
	rule_is(pol, 0, "allow client { bot-1 bot-2 } account main",
	    "rb29b7021");
	rule_is(pol, 1, "allow client { bot-0 bot-1 bot-2 } account main",
	    "r0fd81512");
	rule_is(pol, 2, "allow client { bot-1 bot-2 bot-3 main } "
	    "query \"two words\" = \"two words\"", "r9cfdbe4a");
	/* no expansion inside quotes */
	rule_is(pol, 3, "allow client { bot-1 bot-2 } account \"$acct\" "
	    "label lit", "lit");
	rule_is(pol, 4, "allow client solo", "rccdd5233");
	/* macros are settings of nothing: no lines of their own */
	assert_int_equal(pol->nsettings, 0);
	policy_free(pol);

	/* a value macro where one value goes: K, a field's value, budget */
	pol = parse_ok(APPROVERS "k = 2\nn = 5/s\nside = BUY\n"
	    "approve $k of { alice bob } any order side = $side rate $n\n");
	rule_is(pol, 0, "approve 2 of { alice bob } any order side = BUY "
	    "rate 5/s", "re72f3227");
	policy_free(pol);
}

/* Comments, continuations, quoting, line ends. */
static void
test_lexical(void **state)
{
	struct policy	*pol;

	pol = parse_ok("# a comment\n"
	    "allow any \\\n"
	    "   account a # trailing comment \\\n"
	    "allow\tany\taccount\tb\r\n"
	    "   \t\n"
	    "allow any account \"x \\\"y\\\" \\\\z\" account \"\"\n"
	    "allow any account \"allow\" account \"deny\" account \"in\" "
	    "account \"{\" account \"a b\" account \"\xc3\xa9\"\n"
	    "allow any path /auth/api-key account 0.5 account a@b:c%d+e*f\n"
	    "allow any account last");
	assert_int_equal(policy_nrules(pol), 6);
	/* a comment ends its line, a backslash in it or not */
	rule_is(pol, 0, "allow any account a", "r87d8c8ad");
	assert_int_equal(pol->rules[0].line, 2);
	assert_int_equal(pol->rules[1].line, 4);
	rule_is(pol, 1, "allow any account b", "r4bd53c6d");
	/* only values that need quotes have them, escaped again */
	rule_is(pol, 2, "allow any account \"\" account \"x \\\"y\\\" \\\\z\"",
	    "r48260465");
	rule_is(pol, 3, "allow any account \"a b\" account \"allow\" "
	    "account \"deny\" account \"in\" account \"{\" "
	    "account \"\xc3\xa9\"", "reae0abdb");
	rule_is(pol, 4, "allow any account 0.5 account a@b:c%d+e*f "
	    "path /auth/api-key", "r8ebeff99");
	/* the last line needs no newline */
	rule_is(pol, 5, "allow any account last", "rd70dd9e7");
	assert_int_equal(pol->rules[5].line, 9);
	policy_free(pol);
}

/* Each error alone: its line, its column, its sentence. */
static void
test_errors(void **state)
{
	/* syntax */
	error_is("allow\n", "1:6: syntax error: unexpected end of line, "
	    "expecting any, operator or client");
	error_is("alow any\n", "1:6: syntax error: unexpected any, "
	    "expecting '='");
	error_is("allow any account\n", "1:18: syntax error: unexpected end "
	    "of line, expecting a value or '{'");
	error_is("allow any account { a\n", "1:22: syntax error: unexpected "
	    "end of line, expecting a value, '}' or ','");
	error_is("allow any account {}\n", "1:20: syntax error: unexpected "
	    "'}', expecting a value");
	error_is("allow any label x catalog\n", "1:19: syntax error: "
	    "unexpected catalog, expecting end of line");
	error_is("allow any rate 1/s account a\n", "1:20: syntax error: "
	    "unexpected account, expecting end of line, rate, burst, per, "
	    "limit or label");
	error_is("allow any account allow\n", "1:19: syntax error: "
	    "unexpected allow, expecting a value or '{'");
	/* not shown: it may be a piece of a secret given for the policy */
	error_is("allow any ! x\n", "1:11: unexpected character (a word holds "
	    "letters, digits and _./*:@%+-; quote other text)");
	error_is("allow any \x01\n", "1:11: unexpected byte (a control "
	    "character, or text that is not ASCII outside a string)");
	error_is("allow any account a\\b\n", "1:20: unexpected character (a "
	    "word holds letters, digits and _./*:@%+-; quote other text)");
	errors_are("pass(word\nsecr\xe9t\n", 17, CV_ERR_INVALID,
	    "1:5: unexpected character (a word holds letters, digits and "
	    "_./*:@%+-; quote other text)", "2:5: unexpected byte (a control "
	    "character, or text that is not ASCII outside a string)", NULL);
	/*
	 * A value is never quoted in a syntax error: the file may be a
	 * secret given in the policy's place (policy sign KEYFILE
	 * --key-file POLICY, the two swapped), whose words would be.
	 */
	error_is("clobvault-approver-v1 "
	    "5f3a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a\n",
	    "1:23: syntax error: unexpected value, expecting '='");
	error_is("correct horse battery\n", "1:9: syntax error: unexpected "
	    "value, expecting '='");
	error_is("Hunter2 \"S3CR3T word\"\n", "1:9: syntax error: "
	    "unexpected value, expecting '='");
	error_is("allow any label x S3CR3T\n", "1:19: syntax error: "
	    "unexpected value, expecting end of line");
	error_is("pa$sword horse\n", "1:3: unknown macro");
	error_is("allow any account $S3CR3T\n", "1:19: unknown macro");
	/* macros */
	error_is("allow any account $foo\n", "1:19: unknown macro");
	error_is("allow any account $\n", "1:19: a macro name must follow $");
	error_is("x = a\nx = b\n", "2:1: this macro is already defined "
	    "(line 1)");
	error_is("1x = a\n", "1:1: bad macro name (a letter or _, then "
	    "letters, digits and _, at most 64)");
	error_is("a.b = a\n", "1:1: bad macro name (a letter or _, then "
	    "letters, digits and _, at most 64)");
	error_is("l = { a b }\nallow any order side = $l\n", "2:24: this "
	    "macro is a list; one value is needed here");
	/*
	 * Nor in the errors after the syntax: a secret file that starts
	 * with NAME = or a keyword reaches them, and no byte of it is shown.
	 */
	error_is("S3CR3T-word = x\n", "1:1: bad macro name (a letter or _, "
	    "then letters, digits and _, at most 64)");
	error_is("approve S3CR3T of alice any\n", "1:9: k must be a whole "
	    "number");
	error_is("allow any label S3CR3T/word\n", "1:17: bad label (letters, "
	    "digits and ._-, at most 32)");
	error_is("approver S3CR3T/word x\n", "1:10: bad approver name "
	    "(letters, digits and ._-, at most 32)");
	error_is("approver a S3CR3T\n", "1:12: bad public key: 64 hex digits "
	    "needed");
	error_is("allow any method S3CR3T\n", "1:18: bad method (1 to 7 "
	    "capital letters)");
	error_is("allow any rate S3CR3T/s\n", "1:16: bad budget: a whole "
	    "number needed before the /");
	/* approvers */
	error_is(APPROVERS "approve 1 of { alice dave } any\n",
	    "4:22: this approver is not declared");
	error_is(APPROVERS "policy-change approve 1 of erin\n",
	    "4:28: this approver is not declared");
	error_is(APPROVERS "approve 3 of { alice bob } any\n",
	    "4:9: k is more than the number of approvers listed (2)");
	error_is(APPROVERS "approve 99999999999999999999999 of alice any\n",
	    "4:9: k is more than the number of approvers listed (1)");
	error_is(APPROVERS "approve 0 of { alice bob } any\n",
	    "4:9: k must be at least 1");
	error_is(APPROVERS "approve two of alice any\n",
	    "4:9: k must be a whole number");
	error_is(APPROVERS "policy-change approve 0 of alice\n",
	    "4:23: k must be at least 1");
	error_is(APPROVERS "approve 1 of { alice bob alice } any\n",
	    "4:26: this approver is listed already (column 16)");
	error_is(APPROVERS "approver alice " KEY_B "\n",
	    "4:10: this approver is already declared (line 1)");
	error_is(APPROVERS "approver dave " KEY_A "\n",
	    "4:15: the public key is also the key of the approver on line "
	    "1");
	error_is("approver x 8a88e3dd\n", "1:12: bad public key: 64 hex "
	    "digits needed");
	error_is("approver x \"" "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d9"
	    "4121bf3748801b40f6f5g\"\n", "1:12: bad public key: 64 hex "
	    "digits needed");
	error_is("approver x 0000000000000000000000000000000000000000000000000"
	    "000000000000000\n", "1:12: the public key is not a valid "
	    "Ed25519 key");
	error_is("approver x/y " KEY_A "\n", "1:10: bad approver name "
	    "(letters, digits and ._-, at most 32)");
	/* settings */
	error_is("skew 0\n", "1:6: skew must be from 1 to 3600 seconds");
	error_is("skew 3601\n", "1:6: skew must be from 1 to 3600 seconds");
	error_is("approval-timeout 1.5\n", "1:18: approval-timeout must be "
	    "from 1 to 3600 seconds");
	error_is("skew 5\nskew 5\n", "2:1: skew is already set (line 1)");
	error_is("approval-timeout 5\napproval-timeout 6\n",
	    "2:1: approval-timeout is already set (line 1)");
	error_is("l1-nonce < 5\nl1-nonce < 6\n",
	    "2:1: l1-nonce is already set (line 1)");
	error_is("key-permissions a\nkey-permissions b\n",
	    "2:1: key-permissions is already set (line 1)");
	error_is(APPROVERS "policy-change approve 1 of alice\n"
	    "policy-change approve 1 of bob\n",
	    "5:1: policy-change is already set (line 4)");
	error_is("l1-nonce != 5\n", "1:10: l1-nonce cannot use !=");
	error_is("l1-nonce prefix 5\n", "1:10: l1-nonce cannot use prefix");
	error_is("l1-nonce in { 1 -2 }\n", "1:17: l1-nonce needs an unsigned "
	    "integer");
	error_is("l1-nonce = 18446744073709551616\n", "1:12: l1-nonce needs "
	    "an unsigned integer");
	/* who */
	error_is("allow operator uid { 0 -1 }\n", "1:24: bad uid (a whole "
	    "number from 0 to 4294967295)");
	error_is("allow operator uid 4294967296\n", "1:20: bad uid (a whole "
	    "number from 0 to 4294967295)");
	/* predicates */
	error_is("allow any level l3\n", "1:17: unknown level (none, l1, "
	    "l2, builder or bearer)");
	error_is("allow any profile { omnia binance }\n", "1:27: unknown "
	    "profile (openfish, polymarket or omnia)");
	error_is("allow any method get\n", "1:18: bad method (1 to 7 "
	    "capital letters)");
	error_is("allow any method PROPFIND\n", "1:18: bad method "
	    "(1 to 7 capital letters)");
	error_is("allow any path order\n", "1:16: bad path pattern: it "
	    "must start with /");
	error_is("allow any path /a//b\n", "1:16: bad path pattern: "
	    "empty segment (or a trailing /)");
	error_is("allow any path /a/b/\n", "1:16: bad path pattern: "
	    "empty segment (or a trailing /)");
	error_is("allow any path /a/../b\n", "1:16: bad path pattern: "
	    "no . or .. segment");
	error_is("allow any path /a/%41\n", "1:16: bad path pattern: "
	    "no %, ; or \\ in a path (requests with them are refused)");
	error_is("allow any path \"/a\\\\b\"\n", "1:16: bad path pattern: "
	    "no %, ; or \\ in a path (requests with them are refused)");
	error_is("allow any path /a*/b\n", "1:16: bad path pattern: * "
	    "must be a whole segment");
	error_is("allow any path \"/a?b=1\"\n", "1:16: bad path pattern: "
	    "no ? or # in a path");
	error_is("allow any path \"/a b\"\n", "1:16: bad path pattern: "
	    "only printable ASCII in a path");
	error_is("allow any body order/side = x\n", "1:16: bad JSON pointer "
	    "(it starts with /; ~ is ~0 or ~1)");
	error_is("allow any body \"/a~2\" = x\n", "1:16: bad JSON pointer "
	    "(it starts with /; ~ is ~0 or ~1)");
	error_is("allow any query \"\" = x\n", "1:17: empty query parameter "
	    "name");
	error_is("allow any query q < abc\n", "1:21: expected a decimal after "
	    "<");
	error_is("allow any order price <= 1e5\n", "1:26: expected a decimal "
	    "after <=");
	error_is("allow any order price > .5\n", "1:25: expected a decimal "
	    "after >");
	error_is("allow any body /p >= \"\"\n", "1:22: expected a decimal "
	    "after >=");
	error_is("allow any nonce prefix 1\n", "1:17: nonce cannot use prefix");
	error_is("allow any nonce = x\n", "1:19: nonce needs an unsigned "
	    "integer");
	error_is("allow any trade side = buy\n", "1:11: unknown request kind "
	    "(order or key)");
	error_is("allow any order colour = red\n", "1:17: order has no such "
	    "field");
	error_is("allow any key side = buy\n", "1:15: key has no such field");
	/* a taker rules see in lowercase: mixed case would never match */
	error_is("deny any order taker = 0x70997970C51812dc3A010C7d01b50e0d"
	    "17dc79C8\n", "1:24: order taker is compared in lowercase hex: "
	    "this value has a capital letter");
	error_is("deny any order taker in { 0x00 0xAB }\n", "1:32: order "
	    "taker is compared in lowercase hex: this value has a capital "
	    "letter");
	error_is("deny any order taker prefix 0X\n", "1:29: order taker is "
	    "compared in lowercase hex: this value has a capital letter");
	/* so is a version 2 order's builder code */
	error_is("deny any order builder = 0xABCD\n", "1:26: order builder "
	    "is compared in lowercase hex: this value has a capital letter");
	/* and an order's type and flags, as their few words */
	error_is("deny any order type = gtc\n", "1:23: order type is GTC, "
	    "GTD, FOK or FAK");
	error_is("deny any order type in { FOK IOC }\n", "1:30: order type is "
	    "GTC, GTD, FOK or FAK");
	error_is("deny any order post_only = 1\n", "1:28: order post_only is "
	    "true or false");
	error_is("deny any order defer_exec != TRUE\n", "1:30: order "
	    "defer_exec is true or false");
	error_is("deny any order type prefix G\n", "1:21: order type takes "
	    "=, != or in");
	/*
	 * and its side and decimals, as order_view writes them: "buy" or
	 * ".5" would never match a BUY at 0.5, and a deny on it never deny
	 */
	error_is("deny any order side = buy\n", "1:23: order side is BUY or "
	    "SELL");
	error_is("deny any order side in { BUY sell }\n", "1:30: order side "
	    "is BUY or SELL");
	error_is("deny any order side prefix b\n", "1:28: order side is BUY "
	    "or SELL (or a start of one)");
	error_is("deny any order side < 1\n", "1:21: order side takes =, !=, "
	    "in or prefix");
	error_is("deny any order price = .5\n", "1:24: order price is a "
	    "decimal");
	error_is("deny any order notional in { 10 1e3 }\n", "1:33: order "
	    "notional is a decimal");
	error_is("deny any order token != 0x1f\n", "1:25: order token is a "
	    "decimal");
	error_is("deny any order token prefix 0x\n", "1:29: order token is a "
	    "decimal (a prefix: digits and points, not first a point)");
	error_is("deny any order signature_type = +2\n", "1:33: order "
	    "signature_type is a decimal");
	/* and a key's permissions, as the request names them */
	error_is("deny operator key permissions = Withdraw\n", "1:33: key "
	    "permissions are lower-case letters, digits and :._-");
	error_is("deny operator key permissions in { read \"\" }\n", "1:41: "
	    "key permissions are lower-case letters, digits and :._-");
	/* budgets */
	error_is("allow any order side = BUY limit side 5/s\n",
	    "1:34: this field cannot be summed (notional or size can)");
	error_is("allow any order side = BUY limit colour 5/s\n",
	    "1:34: unknown field (notional or size can be summed)");
	error_is("allow any limit notional 5/s\n", "1:11: limit notional "
	    "needs a predicate on order in the rule");
	error_is("allow any key permissions = x limit size 5/s\n",
	    "1:31: limit size needs a predicate on order in the rule");
	error_is("allow any rate 5/fortnight\n", "1:16: bad budget unit "
	    "(s, min, hour or day)");
	error_is("allow any rate 5/S\n", "1:16: bad budget unit (s, min, "
	    "hour or day)");
	error_is("allow any rate 5\n", "1:16: bad budget: N/UNIT needed");
	error_is("allow any limit /s\n", "1:17: bad budget: N/UNIT needed");
	error_is("allow any rate 0/s\n", "1:16: this budget is zero");
	error_is("allow any limit 000/day\n", "1:17: this budget is zero");
	error_is("allow any order size < 1 limit size 0.0/day\n",
	    "1:37: this budget is zero");
	error_is("allow any rate 1.5/s\n", "1:16: bad budget: a whole "
	    "number needed before the /");
	error_is("allow any rate 4294967296/s\n", "1:16: this budget is too "
	    "large");
	error_is("allow any order size < 1 limit size -1/s\n",
	    "1:37: bad budget: a decimal needed before the /");
	error_is("allow any order size < 1 limit size "
	    "18446744073709551616/s\n", "1:37: this budget is too large");
	error_is("allow any rate 1/s burst 0\n", "1:26: burst must be a whole "
	    "number from 1");
	error_is("deny any rate 1/s\n", "1:10: a deny rule has no budgets");
	/* labels */
	error_is("allow any label a\nallow operator label a\n",
	    "2:22: this label is already used (line 1)");
	error_is("allow any label none\n", "1:17: this label is reserved "
	    "(none and path are)");
	/* the id of a path refused before any rule: counted apart */
	error_is("deny any path /withdraw label \"path\"\n", "1:31: this label "
	    "is reserved (none and path are)");
	error_is("allow any label a/b\n", "1:17: bad label (letters, "
	    "digits and ._-, at most 32)");
	error_is("allow any label abcdefghijklmnopqrstuvwxyz0123456\n",
	    "1:17: bad label (letters, digits and ._-, at most 32)");
	/* rules alike, ids alike */
	error_is("allow any\nallow  any # again\n",
	    "2:1: this rule repeats the rule on line 1");
	error_is("allow client { a b }\nallow client { b a a }\n",
	    "2:1: this rule repeats the rule on line 1");
	error_is("allow any label r36aa3f37\nallow any\n",
	    "2:1: this rule's id is also the id of the rule on line 1; "
	    "give one a label of its own");
	/* strings */
	error_is("allow any account \"abc\n", "1:19: unterminated string");
	error_is("allow any account \"abc", "1:19: unterminated string");
	error_is("allow any account \"a\\nb\"\n", "1:19: bad escape in string "
	    "(only \\\" and \\\\)");
	error_is("allow any account \"a\tb\"\n", "1:19: control character in "
	    "string");
	error_is("allow any account \"\xc3\x28\"\n", "1:19: string is not "
	    "valid UTF-8");
	/*
	 * printable text: no C1 control (U+009B, a CSI), line separator
	 * or bidi control (U+202E) to show a value as another, in these
	 * errors or in the text an approver reads
	 */
	error_is("allow any method \"X\xc2\x9b" "31mY\"\n", "1:18: control "
	    "character in string");
	error_is("allow client \"bot\xe2\x80\xae" "1-tob\"\n", "1:14: control "
	    "character in string");
	error_is("allow any account \"a\xe2\x80\xa8" "b\"\n", "1:19: control "
	    "character in string");
	policy_free(parse_ok("allow any account "
	    "\"caf\xc3\xa9 \xe2\x82\xac\"\n"));
}

/* Several errors in one file, in the order of the text. */
static void
test_errors_many(void **state)
{
	static const char text[] =
	    "approve 1 of nobody any\n"		/* 1, found at the end */
	    "x = a\n"
	    "x = b\n"					/* 3 */
	    "allow any account $nope\n"			/* 4 */
	    "allow any frob\n"				/* 5 */
	    "allow any method get level l9\n"		/* 6: first only */
	    "allow any\n"
	    "allow any account \"abc\n"			/* 8 */
	    "allow any account \"x\" \"y\\q\" \"z\\w\"\n"	/* 9, 9 */
	    "allow any rate 0/s\n";			/* 10 */
	struct policy_errors	 errs;
	struct policy		*pol;
	char			*big, *p;
	size_t			 i;

	errors_are(text, sizeof(text) - 1, CV_ERR_INVALID,
	    "1:14: this approver is not declared",
	    "3:1: this macro is already defined (line 2)",
	    "4:19: unknown macro",
	    "5:15: syntax error: unexpected end of line, expecting a value",
	    "6:18: bad method (1 to 7 capital letters)",
	    "8:19: unterminated string",
	    "9:23: bad escape in string (only \\\" and \\\\)",
	    "9:29: bad escape in string (only \\\" and \\\\)",
	    "10:16: this budget is zero",
	    NULL);

	/* past POLICY_MAX_ERRORS: the first ones, and "more" */
	assert_non_null(big = malloc(64 * 40 + 1));
	for (p = big, i = 0; i < 40; i++)
		p += sprintf(p, "allow any method m%zu\n", i);
	assert_int_equal(policy_parse(big, strlen(big), &pol, &errs),
	    CV_ERR_INVALID);
	assert_null(pol);
	assert_int_equal(errs.n, POLICY_MAX_ERRORS);
	assert_int_equal(errs.more, 1);
	assert_int_equal(errs.e[31].line, 32);
	assert_string_equal(errs.e[31].msg, "bad method (1 to 7 capital "
	    "letters)");
	free(big);
}

static void
test_nul(void **state)
{
	errors_are("allow any\0 catalog\n", 19, CV_ERR_INVALID,
	    "1:10: NUL byte in text", NULL);
	errors_are("allow any\n# a\0b\nallow operator\n", 31, CV_ERR_INVALID,
	    "2:4: NUL byte in text", NULL);
	errors_are("allow any account \"a\0b\"\n", 24, CV_ERR_INVALID,
	    "1:21: NUL byte in text", NULL);
	errors_are("\0", 1, CV_ERR_INVALID, "1:1: NUL byte in text", NULL);
}

static void
test_toolong(void **state)
{
	struct policy_errors	 errs;
	struct policy		*pol = NULL;
	char			*t;

	assert_non_null(t = malloc(POLICY_MAX_TEXT + 1));
	memset(t, '\n', POLICY_MAX_TEXT + 1);
	memcpy(t, "allow any", 9);
	/* exactly the bound: fine */
	assert_int_equal(policy_parse(t, POLICY_MAX_TEXT, &pol, &errs), 0);
	assert_int_equal(policy_nrules(pol), 1);
	policy_free(pol);
	errors_are(t, POLICY_MAX_TEXT + 1, CV_ERR_TOOLONG,
	    "1:1: policy text is longer than 262144 bytes", NULL);
	free(t);
	/* misuse */
	assert_int_equal(policy_parse(NULL, 1, &pol, &errs), CV_ERR_INVALID);
	assert_int_equal(policy_parse("", 0, NULL, &errs), CV_ERR_INVALID);
	assert_int_equal(policy_parse(NULL, 0, &pol, NULL), 0);
	policy_free(pol);
}

/* head, then pre i post for i from 0 to n - 1, then tail. */
static char *
repeat(const char *head, const char *pre, const char *post, size_t n,
    const char *tail)
{
	char	*t, *p;
	size_t	 i;

	assert_non_null(t = malloc(strlen(head) + n * 300 + strlen(tail) +
	    1));
	p = stpcpy(t, head);
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s%zu%s", pre, i, post);
	strcpy(p, tail);
	return t;
}

/* Every bound, at the bound and one past it. */
static void
test_limits(void **state)
{
	struct policy	*pol;
	uint8_t		 seed[32], pk[32], sk[64];
	char		 hex[65], v[300], *t, *p;
	size_t		 i;

	/* a value: 256 bytes */
	memset(v, 'a', 257);
	v[256] = '\0';
	snprintf(hex, 1, "%s", "");
	assert_non_null(t = malloc(600));
	snprintf(t, 600, "allow any account %s\n", v);
	pol = parse_ok(t);
	policy_free(pol);
	snprintf(t, 600, "allow any account \"%s\"\n", v);
	pol = parse_ok(t);
	policy_free(pol);
	v[256] = 'a';
	v[257] = '\0';
	snprintf(t, 600, "allow any account %s\n", v);
	error_is(t, "1:19: value too long (more than 256 bytes)");
	snprintf(t, 600, "allow any account \"%s\"\n", v);
	error_is(t, "1:19: value too long (more than 256 bytes)");
	free(t);

	/* a list: 1024 values */
	t = repeat("allow any account {", " a", "", 1024, " }\n");
	pol = parse_ok(t);
	assert_int_equal(pol->rules[0].preds[0].list.n, 1024);
	policy_free(pol);
	free(t);
	t = repeat("l = {", " a", "", 1025, " }\n");
	p = strstr(t, " a1024 ");
	snprintf(v, sizeof(v), "1:%d: list too long (more than 1024 values)",
	    (int)(p - t) + 2);
	error_is(t, v);
	free(t);
	/* macros expand to a few MiB at most */
	memset(v, 'b', 200);
	v[200] = '\0';
	assert_non_null(t = malloc(260 * 1000 + 40 * 30));
	p = stpcpy(t, "l = {");
	for (i = 0; i < 1000; i++)
		p += sprintf(p, " %03zu%s", i, v);
	p = stpcpy(p, " }\n");
	for (i = 0; i < 30; i++)
		p += sprintf(p, "allow client c%02zu account $l\n", i);
	errors_are(t, strlen(t), CV_ERR_INVALID,
	    "18:26: macros expand to more than 4194304 bytes", NULL);
	free(t);

	/* approvers: 64 */
	assert_non_null(t = malloc(65 * 100 + 1));
	for (p = t, i = 0; i < 65; i++) {
		memset(seed, (int)i + 1, sizeof(seed));
		crypto_sign_seed_keypair(pk, sk, seed);
		sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
		p += sprintf(p, "approver a%zu %s\n", i, hex);
	}
	p = strstr(t, "approver a64");
	error_is(t, "65:10: too many approvers (more than 64)");
	*p = '\0';
	pol = parse_ok(t);
	assert_int_equal(policy_napprovers(pol), 64);
	policy_free(pol);
	free(t);

	/* rules: 4096 */
	t = repeat("", "allow any account a", "\n", POLICY_MAX_RULES + 1,
	    "");
	error_is(t, "4097:1: too many rules (more than 4096)");
	*strstr(t, "allow any account a4096") = '\0';
	pol = parse_ok(t);
	assert_int_equal(policy_nrules(pol), POLICY_MAX_RULES);
	policy_free(pol);
	free(t);

	/*
	 * index entries: each rule's levels times methods times paths, a
	 * few lines of macros cannot make the engine's index unbounded
	 * (nor fail as if memory had run out)
	 */
	assert_non_null(t = malloc(20 * 1024 + 100));
	p = stpcpy(t, "m = {");
	for (i = 0; i < 1024; i++)
		p += sprintf(p, " %c%c%c", 'A' + (int)(i / 676),
		    'A' + (int)(i / 26 % 26), 'A' + (int)(i % 26));
	p = stpcpy(p, " }\np = {");
	for (i = 0; i < 1024; i++)
		p += sprintf(p, " /p%zu", i);
	p = stpcpy(p, " }\nallow any level l2 method $m path $p\n");
	pol = parse_ok(t);
	policy_free(pol);
	strcpy(p, "allow client c level l2\n");
	error_is(t, "4:1: the rules up to here make more than 1048576 index "
	    "entries (a rule: its levels times its methods times its paths)");
	strcpy(strstr(t, "level l2 method"), "method $m path $p\n");
	error_is(t, "3:1: the rules up to here make more than 1048576 index "
	    "entries (a rule: its levels times its methods times its paths)");
	free(t);

	/* predicates: 64; budgets: 16 */
	t = repeat("allow any", " account a", "", 65, "\n");
	error_is(t, "1:769: too many predicates (more than 64)");
	*strstr(t, " account a64") = '\0';
	pol = parse_ok(t);
	assert_int_equal(pol->rules[0].npreds, 64);
	policy_free(pol);
	free(t);
	t = repeat("allow any", " limit ", "1/s", 17, "\n");
	error_is(t, "1:193: too many budgets (more than 16)");
	*strstr(t, " limit 161/s") = '\0';
	pol = parse_ok(t);
	assert_int_equal(pol->rules[0].nbudgets, 16);
	policy_free(pol);
	free(t);
}

struct diffrec {
	char	buf[1024];
};

static void
diff_cb(void *arg, char sign, const struct policy_rule_info *o,
    const struct policy_rule_info *n)
{
	struct diffrec	*d = arg;
	size_t		 len = strlen(d->buf);

	switch (sign) {
	case '+':
		assert_null(o);
		assert_non_null(n);
		snprintf(d->buf + len, sizeof(d->buf) - len, "+%s@%d[%s]\n",
		    n->id, n->line, n->canon);
		break;
	case '-':
		assert_non_null(o);
		assert_null(n);
		snprintf(d->buf + len, sizeof(d->buf) - len, "-%s@%d[%s]\n",
		    o->id, o->line, o->canon);
		break;
	case '~':
		assert_non_null(o);
		assert_non_null(n);
		assert_string_equal(o->id, n->id);
		snprintf(d->buf + len, sizeof(d->buf) - len,
		    "~%s@%d>%d[%s]>[%s]\n", n->id, o->line, n->line, o->canon,
		    n->canon);
		break;
	default:
		fail_msg("sign %c", sign);
	}
}

static void
test_diff(void **state)
{
	struct policy	*a, *b;
	struct diffrec	 d;

	a = parse_ok("approver alice " KEY_A "\n"
	    "approver bob " KEY_B "\n"
	    "skew 30\n"
	    "allow any label a\n"
	    "allow client x\n"
	    "allow operator\n"
	    "deny any path /x label gone\n"
	    "key-permissions read\n");
	b = parse_ok("approver alice " KEY_A "\n"
	    "approver bob " KEY_B "\n"
	    "approver carol " KEY_C "\n"
	    "skew 60\n"
	    "allow operator # the same, elsewhere\n"
	    "allow any account b label a\n"
	    "allow client y\n"
	    "key-permissions \"read\"\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_diff(a, b, diff_cb, &d), 6);
	assert_string_equal(d.buf,
	    "+approver:carol@3[approver carol " KEY_C "]\n"
	    "~ceiling:skew@3>4[skew 30]>[skew 60]\n"
	    "~a@4>6[allow any label a]>[allow any account b label a]\n"
	    "+rd715eaf4@7[allow client y]\n"
	    "-r40b009c0@5[allow client x]\n"
	    "-gone@7[deny any path /x label gone]\n");
	/* the other way round */
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_diff(b, a, diff_cb, &d), 6);
	assert_string_equal(d.buf,
	    "~ceiling:skew@4>3[skew 60]>[skew 30]\n"
	    "~a@6>4[allow any account b label a]>[allow any label a]\n"
	    "+r40b009c0@5[allow client x]\n"
	    "+gone@7[deny any path /x label gone]\n"
	    "-approver:carol@3[approver carol " KEY_C "]\n"
	    "-rd715eaf4@7[allow client y]\n");
	/* no change: the same, and a policy against itself */
	assert_int_equal(policy_diff(a, a, diff_cb, NULL), 0);
	assert_int_equal(policy_diff(a, b, NULL, NULL), 6);
	policy_free(a);
	policy_free(b);

	/* a rule that loses its label is another rule */
	a = parse_ok("allow any label x\n");
	b = parse_ok("allow any\n");
	memset(&d, 0, sizeof(d));
	assert_int_equal(policy_diff(a, b, diff_cb, &d), 2);
	assert_string_equal(d.buf, "+r36aa3f37@1[allow any]\n"
	    "-x@1[allow any label x]\n");
	policy_free(a);
	policy_free(b);
}

static void
dec_cmp_is(const char *a, const char *b, int want)
{
	int	c = 99;

	if (pol_dec_cmp(a, strlen(a), b, strlen(b), &c) != 0)
		fail_msg("%s <> %s refused", a, b);
	if ((c > 0) - (c < 0) != want)
		fail_msg("%s <> %s: %d, not %d", a, b, c, want);
	if (pol_dec_cmp(b, strlen(b), a, strlen(a), &c) != 0 ||
	    (c > 0) - (c < 0) != -want)
		fail_msg("%s <> %s: not symmetric", b, a);
}

static void
dec_ratio_is(const char *num, const char *den, const char *v, int want)
{
	int	c = 99;

	if (pol_dec_ratio_cmp(num, strlen(num), den, strlen(den), v,
	    strlen(v), &c) != 0)
		fail_msg("%s / %s <> %s refused", num, den, v);
	if ((c > 0) - (c < 0) != want)
		fail_msg("%s / %s <> %s: %d, not %d", num, den, v, c, want);
}

static void
dec_units_is(const char *s, int code, uint64_t want)
{
	uint64_t	u = 12345;

	assert_int_equal(pol_dec_units(s, strlen(s), &u), code);
	assert_int_equal(u, code == 0 ? want : 12345);
}

static void
test_dec(void **state)
{
	static const char *const good[] = {
		"0", "-0", "007", "1.5", "-1.50", "0.000001", "123456789",
		"00000000000000000000000000000000"
		"00000000000000000000000000000001",
		/* no bound on the length */
		"00000000000000000000000000000000"
		"000000000000000000000000000000001"
	};
	static const char *const bad[] = {
		"", "-", "+1", "1.", ".5", "-.5", "1e5", "1.2.3", " 1", "1 ",
		"0x10", "1,5", "--1", "1-"
	};
	size_t	i;
	int	c;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(pol_dec_valid(good[i], strlen(good[i])));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pol_dec_valid(bad[i], strlen(bad[i])))
			fail_msg("\"%s\" taken for a decimal", bad[i]);
	/* the length is what counts, not a NUL */
	assert_true(pol_dec_valid("12x", 2));
	assert_false(pol_dec_valid(NULL, 0));

	dec_cmp_is("1.0", "1", 0);
	dec_cmp_is("0.5000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000", "0.5", 0);
	dec_cmp_is("-0", "0", 0);
	dec_cmp_is("-0.000", "0.0", 0);
	dec_cmp_is("007", "7", 0);
	dec_cmp_is("10", "9", 1);
	dec_cmp_is("-10", "-9", -1);
	dec_cmp_is("0.1", "0.09", 1);
	dec_cmp_is("-1", "1", -1);
	dec_cmp_is("-0.5", "0", -1);
	dec_cmp_is("1.000000000000000000001", "1", 1);
	dec_cmp_is("99999999999999999999999999", "99999999999999999999999998",
	    1);
	dec_cmp_is("0.30", "0.3", 0);
	dec_cmp_is("0.5", "0.49999999999999999999", 1);
	assert_int_equal(pol_dec_cmp("1", 1, "x", 1, &c), CV_ERR_INVALID);
	assert_int_equal(pol_dec_cmp("1.", 2, "1", 1, &c), CV_ERR_INVALID);

	/* a ratio against a decimal, exactly: 1.000001 / 3 is 0.333333666... */
	dec_ratio_is("1.000001", "3", "0.333333666666666667", -1);
	dec_ratio_is("1.000001", "3", "0.333333666666666666", 1);
	dec_ratio_is("1.000001", "3", "0.3333336666666666666666666666667", -1);
	dec_ratio_is("1.000001", "3", "0.3333336666666666666666666666666", 1);
	dec_ratio_is("1", "2", "0.5", 0);
	dec_ratio_is("1", "2", "0.50000000000000000000000000000001", -1);
	dec_ratio_is("1", "2", "0.49999999999999999999999999999999", 1);
	dec_ratio_is("0.5", "0.000001", "500000", 0);
	dec_ratio_is("0", "7", "0", 0);
	dec_ratio_is("0", "7", "-0.000001", 1);
	dec_ratio_is("12.5", "25", "-1", 1);
	dec_ratio_is("115792089237316195423570985008687907853269984665640564039"
	    "457584007913.129639", "0.000001", "1157920892373161954235709850086"
	    "87907853269984665640564039457584007913129639", 0);
	dec_ratio_is("115792089237316195423570985008687907853269984665640564039"
	    "457584007913.129639", "0.000001", "1157920892373161954235709850086"
	    "87907853269984665640564039457584007913129638.999999999999", 1);
	assert_int_equal(pol_dec_ratio_cmp("1", 1, "0", 1, "1", 1, &c),
	    CV_ERR_INVALID);
	assert_int_equal(pol_dec_ratio_cmp("1", 1, "-2", 2, "1", 1, &c),
	    CV_ERR_INVALID);
	assert_int_equal(pol_dec_ratio_cmp("1", 1, "2", 1, "1e3", 3, &c),
	    CV_ERR_INVALID);

	dec_units_is("1", 0, 1000000);
	dec_units_is("0", 0, 0);
	dec_units_is("-0", 0, 0);
	dec_units_is("0.000001", 0, 1);
	dec_units_is("0.0000001", 0, 1);		/* rounded up */
	dec_units_is("0.0000010", 0, 1);
	dec_units_is("1.0000001", 0, 1000001);
	dec_units_is("1.00000000000000000000", 0, 1000000);
	dec_units_is("1000.5", 0, 1000500000);
	dec_units_is("18446744073709.551615", 0, UINT64_MAX);
	dec_units_is("18446744073709.551616", CV_ERR_TOOLONG, 0);
	dec_units_is("18446744073709.5516151", CV_ERR_TOOLONG, 0);
	dec_units_is("18446744073710", CV_ERR_TOOLONG, 0);
	dec_units_is("99999999999999999999999", CV_ERR_TOOLONG, 0);
	dec_units_is("-1", CV_ERR_INVALID, 0);
	dec_units_is("-0.000001", CV_ERR_INVALID, 0);
	dec_units_is("x", CV_ERR_INVALID, 0);
	dec_units_is("", CV_ERR_INVALID, 0);
}

static void
test_kinds(void **state)
{
	const struct pol_kind	*k;

	assert_non_null(k = pol_kind_find("order"));
	assert_string_equal(k->name, "order");
	assert_string_equal(k->fields[0], "side");
	assert_string_equal(k->fields[1], "token");
	assert_string_equal(k->fields[2], "price");
	assert_string_equal(k->fields[3], "size");
	assert_string_equal(k->fields[4], "notional");
	assert_string_equal(k->fields[5], "expiration");
	assert_string_equal(k->fields[6], "fee_rate");
	assert_string_equal(k->fields[7], "taker");
	assert_string_equal(k->fields[8], "signature_type");
	assert_string_equal(k->fields[9], "builder");
	assert_string_equal(k->fields[10], "type");
	assert_string_equal(k->fields[11], "post_only");
	assert_string_equal(k->fields[12], "defer_exec");
	assert_null(k->fields[13]);
	assert_string_equal(k->sums[0], "notional");
	assert_string_equal(k->sums[1], "size");
	assert_null(k->sums[2]);
	assert_null(k->multi[0]);
	assert_non_null(k = pol_kind_find("key"));
	assert_string_equal(k->fields[0], "permissions");
	assert_null(k->fields[1]);
	assert_null(k->sums[0]);
	assert_string_equal(k->multi[0], "permissions");
	assert_null(k->multi[1]);
	assert_null(pol_kind_find("orders"));
	assert_null(pol_kind_find(""));
	assert_null(pol_kind_find(NULL));

	/* what needs quotes */
	assert_true(pol_plain_word("bot-1"));
	assert_true(pol_plain_word("/a/*/b"));
	assert_true(pol_plain_word("a@b:c%d+e_f.g"));
	assert_false(pol_plain_word(""));
	assert_false(pol_plain_word("allow"));
	assert_false(pol_plain_word("key-permissions"));
	assert_false(pol_plain_word("a b"));
	assert_false(pol_plain_word("$x"));
	assert_false(pol_plain_word("a~0"));
	assert_true(pol_plain_word("order"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_lexical),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_many),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_toolong),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_dec),
		cmocka_unit_test(test_kinds),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
