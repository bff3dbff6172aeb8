/*
 * The gateway's pure parts (netd/netd_gw.c, netd/netd_negrisk.c): the
 * status a bot gets for each of vaultd's refusal codes, the headers of
 * the exchange's answer that stop at netd, and the neg-risk table --
 * which requests teach it, what an order body reads as, and the table
 * starting anew when full -- and the public key pin rule.
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

#include "netd/netd_gw.h"

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_status(void **state)
{
	assert_int_equal(gw_status_of(CV_ERR_AUTH), 401);
	assert_int_equal(gw_status_of(CV_ERR_DENIED), 403);
	assert_int_equal(gw_status_of(CV_ERR_INVALID), 400);
	assert_int_equal(gw_status_of(CV_ERR_NOTFOUND), 404);
	assert_int_equal(gw_status_of(CV_ERR_LOCKED), 503);
	assert_int_equal(gw_status_of(CV_ERR_AGAIN), 503);
	assert_int_equal(gw_status_of(CV_ERR_NOTRUNNING), 503);
	assert_int_equal(gw_status_of(CV_ERR_TOOLONG), 413);
	assert_int_equal(gw_status_of(CV_ERR_MSG_TOOBIG), 413);
	assert_int_equal(gw_status_of(CV_ERR_TIMEOUT), 504);
	assert_int_equal(gw_status_of(CV_ERR_INTERNAL), 500);
	assert_int_equal(gw_status_of(CV_ERR_STALE), 500);
	assert_int_equal(gw_status_of(-1000), 500);
}

static int
hop(const char *name)
{
	return gw_hop_header(name, strlen(name));
}

static void
test_hop(void **state)
{
	assert_true(hop("Connection"));
	assert_true(hop("connection"));
	assert_true(hop("Keep-Alive"));
	assert_true(hop("Transfer-Encoding"));
	assert_true(hop("CONTENT-LENGTH"));
	assert_true(hop("Upgrade"));
	assert_true(hop("TE"));
	assert_true(hop("Trailer"));
	assert_true(hop("Proxy-Authenticate"));
	assert_true(hop("proxy-connection"));
	assert_true(hop(":status"));
	assert_true(hop(""));
	assert_false(hop("Content-Type"));
	assert_false(hop("Set-Cookie"));
	assert_false(hop("Tea"));
	assert_false(hop("Trailers"));
	assert_false(hop("Proxy"));
	assert_false(hop("X-Connection"));
	assert_false(gw_hop_header("Connection", 4));	/* "Conn" */
}

/* The headers an answer's Connection header names: hop-by-hop too. */
static void
test_conn_option(void **state)
{
	assert_true(gw_conn_option("close, X-Hop,", "X-Hop"));
	assert_true(gw_conn_option("close, X-Hop,", "x-hop"));
	assert_true(gw_conn_option("close, X-Hop,", "close"));
	assert_true(gw_conn_option(" \tX-A \t ,, X-B,keep-alive,", "X-B"));
	assert_true(gw_conn_option("X-A,X-B,", "X-A"));
	assert_false(gw_conn_option("close, X-Hop,", "X-Ho"));
	assert_false(gw_conn_option("close, X-Hop,", "X-Hop2"));
	assert_false(gw_conn_option("close, X-Hop,", "Set-Cookie"));
	assert_false(gw_conn_option("X-A X-B,", "X-B"));
	assert_false(gw_conn_option("", "X-A"));
	assert_false(gw_conn_option(",,", ""));
}

/*
 * The names of the exchange's headers the gateway passes on: a NUL is
 * no token byte, else "Content-Length\0x" would pass as the name
 * "Content-Length", which stops at netd.
 */
static void
test_token(void **state)
{
	assert_true(gw_token("Content-Type", 12));
	assert_true(gw_token("X-A!#$%&'*+-.^_`|~9", 19));
	assert_false(gw_token("", 0));
	assert_false(gw_token("X A", 3));
	assert_false(gw_token("X:A", 3));
	assert_false(gw_token("X\x7f", 2));
	assert_false(gw_token("\xc3\xa9", 2));
	assert_false(gw_token("Content-Length\0x", 16));
	assert_false(gw_token("\0", 1));
}

static int
orders(const struct negrisk *n, const char *body)
{
	return negrisk_orders(n, (const uint8_t *)body, strlen(body));
}

/* A batch of n orders of token 1. */
static const char *
batch(char *b, size_t n)
{
	size_t	i, at = 0;

	b[at++] = '[';
	for (i = 0; i < n; i++)
		at += (size_t)sprintf(b + at, "%s{\"order\":{\"tokenId\":"
		    "\"1\"}}", i > 0 ? "," : "");
	b[at++] = ']';
	b[at] = '\0';
	return b;
}

static void
test_negrisk_orders(void **state)
{
	static char	b[8192];
	struct negrisk	n;

	negrisk_init(&n);
	assert_int_equal(negrisk_get(&n, "1", 1), -1);
	negrisk_set(&n, "1", 1, 1);
	negrisk_set(&n, "2", 1, 0);
	assert_int_equal(negrisk_get(&n, "1", 1), 1);
	assert_int_equal(negrisk_get(&n, "2", 1), 0);
	assert_int_equal(negrisk_get(&n, "3", 1), -1);
	negrisk_set(&n, "1", 1, 0);
	assert_int_equal(negrisk_get(&n, "1", 1), 0);
	negrisk_set(&n, "1", 1, 1);

	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"1\"}}"),
	    GW_NEGRISK_YES);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"2\"},"
	    "\"owner\":\"k\",\"orderType\":\"GTC\"}"), GW_NEGRISK_NO);
	assert_int_equal(orders(&n, "[{\"order\":{\"tokenId\":\"1\"}},"
	    "{\"order\":{\"tokenId\":\"1\"}}]"), GW_NEGRISK_YES);
	assert_int_equal(orders(&n, "[{\"order\":{\"tokenId\":\"2\"}},"
	    "{\"order\":{\"tokenId\":\"2\"}}]"), GW_NEGRISK_NO);
	/* both kinds, each known: mixed (vaultd refuses it) */
	assert_int_equal(orders(&n, "[{\"order\":{\"tokenId\":\"1\"}},"
	    "{\"order\":{\"tokenId\":\"2\"}}]"), GW_NEGRISK_MIXED);
	/* a token not known among known ones, malformed, empty: unknown */
	assert_int_equal(orders(&n, "[{\"order\":{\"tokenId\":\"1\"}},"
	    "{\"order\":{\"tokenId\":\"2\"}},{\"order\":{\"tokenId\":"
	    "\"3\"}}]"), GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"3\"}}"),
	    GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "[]"), GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{}"), GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":1}}"),
	    GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"1 \"}}"),
	    GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"1\","
	    "\"tokenId\":\"2\"}}"), GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "{\"order\":{\"tokenId\":\"1\"}} x"),
	    GW_NEGRISK_UNKNOWN);
	assert_int_equal(orders(&n, "\"1\""), GW_NEGRISK_UNKNOWN);
	assert_int_equal(negrisk_orders(&n, NULL, 0), GW_NEGRISK_UNKNOWN);
	/* NEGRISK_ORDERS_MAX orders are read, one more is not */
	assert_int_equal(orders(&n, batch(b, NEGRISK_ORDERS_MAX)),
	    GW_NEGRISK_YES);
	assert_int_equal(orders(&n, batch(b, NEGRISK_ORDERS_MAX + 1)),
	    GW_NEGRISK_UNKNOWN);
}

static void
test_negrisk_full(void **state)
{
	struct negrisk	n;
	char		tok[32];
	int		i;

	negrisk_init(&n);
	for (i = 0; i < NEGRISK_MAX; i++) {
		snprintf(tok, sizeof(tok), "%d", i);
		negrisk_set(&n, tok, strlen(tok), i & 1);
	}
	assert_int_equal(n.n, NEGRISK_MAX);
	for (i = 0; i < NEGRISK_MAX; i++) {
		snprintf(tok, sizeof(tok), "%d", i);
		assert_int_equal(negrisk_get(&n, tok, strlen(tok)), i & 1);
	}
	/* One known again: no room taken. */
	negrisk_set(&n, "7", 1, 0);
	assert_int_equal(n.n, NEGRISK_MAX);
	/* One more: the table starts anew with it. */
	negrisk_set(&n, "new", 3, 1);
	assert_int_equal(n.n, 1);
	assert_int_equal(negrisk_get(&n, "new", 3), 1);
	assert_int_equal(negrisk_get(&n, "0", 1), -1);
}

static int
target(const char *t, char *out, size_t outlen, int *book)
{
	return negrisk_target(t, strlen(t), out, outlen, book);
}

static void
test_negrisk_target(void **state)
{
	char	tok[NEGRISK_TOKEN_MAX + 1], longq[200];
	int	book = -1;

	assert_int_equal(target("/neg-risk?token_id=123", tok, sizeof(tok),
	    &book), 1);
	assert_string_equal(tok, "123");
	assert_int_equal(book, 0);
	assert_int_equal(target("/book?token_id=77", tok, sizeof(tok),
	    &book), 1);
	assert_string_equal(tok, "77");
	assert_int_equal(book, 1);
	/* another parameter beside it: the exchange might read another */
	assert_int_equal(target("/book?x=1&token_id=77&y=2", tok, sizeof(tok),
	    &book), 0);
	assert_int_equal(target("/neg-risk?token_id=1&token%5Fid=2", tok,
	    sizeof(tok), &book), 0);
	assert_int_equal(target("/neg-risk?token%5Fid=2&token_id=1", tok,
	    sizeof(tok), &book), 0);
	assert_int_equal(target("/neg-risk?token_id=1&token_id=2", tok,
	    sizeof(tok), &book), 0);
	assert_int_equal(target("/neg-risk?token_id=", tok, sizeof(tok),
	    &book), 0);
	assert_int_equal(target("/neg-risk?token_id=1%32", tok, sizeof(tok),
	    &book), 0);
	assert_int_equal(target("/neg-risk?xtoken_id=1", tok, sizeof(tok),
	    &book), 0);
	assert_int_equal(target("/neg-risk", tok, sizeof(tok), &book), 0);
	assert_int_equal(target("/neg-risk?", tok, sizeof(tok), &book), 0);
	assert_int_equal(target("/books?token_id=1", tok, sizeof(tok), &book),
	    0);
	assert_int_equal(target("/v2/book?token_id=1", tok, sizeof(tok),
	    &book), 0);
	assert_int_equal(target("/book?token_id=12", tok, 2, &book), 0);
	snprintf(longq, sizeof(longq), "/book?token_id=%0101d", 1);
	assert_int_equal(target(longq, tok, sizeof(tok), &book), 0);
	snprintf(longq, sizeof(longq), "/book?token_id=%0100d", 1);
	assert_int_equal(target(longq, tok, sizeof(tok), &book), 1);
	assert_int_equal(strlen(tok), 100);
}

static void
learn(struct negrisk *n, const char *tok, const char *body)
{
	negrisk_learn(n, tok, (const uint8_t *)body, strlen(body));
}

static void
test_negrisk_learn(void **state)
{
	struct negrisk	n;

	negrisk_init(&n);
	learn(&n, "1", "{\"neg_risk\":true}");
	assert_int_equal(negrisk_get(&n, "1", 1), 1);
	learn(&n, "2", "{\"market\":\"0x1\",\"asset_id\":\"2\",\"bids\":[],"
	    "\"neg_risk\":false}");
	assert_int_equal(negrisk_get(&n, "2", 1), 0);
	/* Nothing is learnt from what does not say it plainly. */
	learn(&n, "3", "{\"neg_risk\":\"true\"}");
	learn(&n, "3", "{\"neg_risk\":1}");
	learn(&n, "3", "{}");
	learn(&n, "3", "[true]");
	learn(&n, "3", "not json");
	learn(&n, "3", "{\"neg_risk\":true,\"neg_risk\":true}");
	learn(&n, "3", "");
	assert_int_equal(negrisk_get(&n, "3", 1), -1);
	learn(&n, "1", "{\"neg_risk\":false}");
	assert_int_equal(negrisk_get(&n, "1", 1), 0);
}

/*
 * An answer whose tree would outgrow what netd lets jansson hold: 4 MiB
 * of empty objects (370 MB as a tree) teaches nothing, though it says
 * neg_risk, and what jansson held is counted back: a plain answer after
 * it is read.
 */
static void
test_negrisk_learn_big(void **state)
{
	struct negrisk	n;
	size_t		i, len = 4 * 1024 * 1024;
	char		*b;

	assert_int_equal(netd_mem_init(), 0);
	negrisk_init(&n);
	assert_non_null(b = malloc(len + 1));
	i = (size_t)sprintf(b, "{\"neg_risk\":true,\"x\":[");
	for (; i + 3 < len; i += 3)
		memcpy(b + i, "{},", 3);
	memcpy(b + i - 1, "]}", 3);
	for (i = 0; i < 3; i++) {
		learn(&n, "4", b);
		assert_int_equal(negrisk_get(&n, "4", 1), -1);
	}
	free(b);
	learn(&n, "4", "{\"neg_risk\":true}");
	assert_int_equal(negrisk_get(&n, "4", 1), 1);
}

/* netd_parse.c's pin rule, now shared by the calls and the gateway. */
static void
test_pin(void **state)
{
	assert_int_equal(parse_pin(""), 0);
	assert_int_equal(parse_pin("sha256//AAAA+/=="), 0);
	assert_int_equal(parse_pin("sha256//AAAA;sha256//BBBB"), 0);
	assert_int_equal(parse_pin("md5//AAAA"), CV_ERR_INVALID);
	assert_int_equal(parse_pin("sha256//AA AA"), CV_ERR_INVALID);
	assert_int_equal(parse_pin("sha256//AA\nAA"), CV_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_hop),
		cmocka_unit_test(test_conn_option),
		cmocka_unit_test(test_token),
		cmocka_unit_test(test_negrisk_orders),
		cmocka_unit_test(test_negrisk_full),
		cmocka_unit_test(test_negrisk_target),
		cmocka_unit_test(test_negrisk_learn),
		cmocka_unit_test(test_negrisk_learn_big),
		cmocka_unit_test(test_pin),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
