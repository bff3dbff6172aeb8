/*
 * common/catalog.c: the endpoint catalog of doc/exchanges.md, row for
 * row, matched on the path before '?', and everything else not found.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/catalog.h"
#include "common/netcall.h"

/* doc/exchanges.md's endpoints, written out again: the table says this. */
static const struct catalog_entry want[] = {
	{ "POST", "/auth/api-key", CATALOG_L1, 1, "create_api_key", EP_CREATE_API_KEY },
	{ "GET", "/auth/derive-api-key", CATALOG_L1, 0, "derive_api_key", EP_DERIVE_API_KEY },
	{ "GET", "/auth/api-keys", CATALOG_L2, 0, "get_api_keys", EP_GET_API_KEYS },
	{ "DELETE", "/auth/api-key", CATALOG_L2, 0, "delete_api_key", EP_DELETE_API_KEY },
	{ "GET", "/auth/ban-status/closed-only", CATALOG_L2, 0,
	    "get_closed_only_mode", EP_CLOSED_ONLY },
	{ "POST", "/auth/builder-api-key", CATALOG_L2, 0,
	    "create_builder_api_key", EP_CREATE_BUILDER_KEY },
	{ "GET", "/auth/builder-api-key", CATALOG_L2, 0,
	    "get_builder_api_keys", EP_GET_BUILDER_KEYS },
	{ "DELETE", "/auth/builder-api-key", CATALOG_L2, 0,
	    "revoke_builder_api_key", EP_REVOKE_BUILDER_KEY },
	{ "GET", "/balance-allowance", CATALOG_L2, 0,
	    "get_balance_allowance", EP_BALANCE },
	{ "GET", "/balance-allowance/update", CATALOG_L2, 0,
	    "update_balance_allowance", EP_BALANCE_UPDATE },
	{ "GET", "/notifications", CATALOG_L2, 0, "get_notifications", EP_NOTIFICATIONS },
	{ "DELETE", "/notifications", CATALOG_L2, 0, "drop_notifications", EP_DROP_NOTIFICATIONS },
	{ "POST", "/waitlist", CATALOG_NONE, 0, "join_waitlist", EP_WAITLIST },
	{ "GET", "/time", CATALOG_NONE, 0, "get_server_time", EP_TIME },
	{ "POST", "/order", CATALOG_L2, 0, "post_order", EP_POST_ORDER },
	{ "POST", "/orders", CATALOG_L2, 0, "post_orders", EP_POST_ORDERS },
	{ "DELETE", "/order", CATALOG_L2, 0, "cancel_order", EP_CANCEL_ORDER },
	{ "DELETE", "/orders", CATALOG_L2, 0, "cancel_orders", EP_CANCEL_ORDERS },
	{ "DELETE", "/cancel-all", CATALOG_L2, 0, "cancel_all", EP_CANCEL_ALL },
	{ "DELETE", "/cancel-market-orders", CATALOG_L2, 0,
	    "cancel_market_orders", EP_CANCEL_MARKET },
	{ "GET", "/data/order/*", CATALOG_L2, 0, "get_order", EP_GET_ORDER },
	{ "GET", "/data/orders", CATALOG_L2, 0, "get_open_orders", EP_GET_ORDERS },
	{ "GET", "/data/trades", CATALOG_L2, 0, "get_trades", EP_GET_TRADES },
	{ "GET", "/order-scoring", CATALOG_L2, 0, "is_order_scoring",
	    EP_ORDER_SCORING },
	{ "POST", "/orders-scoring", CATALOG_L2, 0, "are_orders_scoring",
	    EP_ORDERS_SCORING },
	{ "POST", "/v1/heartbeats", CATALOG_L2, 0, "post_heartbeat", EP_HEARTBEAT },
	{ "GET", "/tick-size", CATALOG_NONE, 0, "get_tick_size", EP_TICK_SIZE },
	{ "GET", "/neg-risk", CATALOG_NONE, 0, "get_neg_risk", EP_NEG_RISK },
	{ "GET", "/fee-rate", CATALOG_NONE, 0, "get_fee_rate", EP_FEE_RATE },
	{ "GET", "/book", CATALOG_NONE, 0, "get_order_book", EP_BOOK },
	{ "GET", "/version", CATALOG_NONE, 0, "get_version", EP_VERSION },
	{ "POST", "/v3/auth/token", CATALOG_BEARER, 0, "omnia_token",
	    EP_OMNIA_TOKEN },
	{ "GET", "/v3/api-keys", CATALOG_BEARER, 0, "omnia_list_api_keys",
	    EP_OMNIA_KEYS },
	{ "POST", "/v3/api-keys", CATALOG_BEARER, 0, "omnia_create_api_key",
	    EP_OMNIA_CREATE },
	{ "POST", "/v3/api-keys/*/rotate", CATALOG_BEARER, 0,
	    "omnia_rotate_api_key", EP_OMNIA_ROTATE },
};

#define NWANT	(sizeof(want) / sizeof(want[0]))

static const enum catalog_auth levels[] = {
	CATALOG_NONE, CATALOG_L1, CATALOG_L2, CATALOG_BUILDER, CATALOG_BEARER,
};

static void
test_table(void **state)
{
	const struct catalog_entry	*e;
	size_t				 i;

	for (i = 0; i < NWANT; i++) {
		assert_non_null(e = catalog_at(i));
		assert_string_equal(e->method, want[i].method);
		assert_string_equal(e->path, want[i].path);
		assert_int_equal(e->auth, want[i].auth);
		assert_int_equal(e->invite, want[i].invite);
		assert_string_equal(e->call, want[i].call);
		assert_int_equal(e->id, want[i].id);
		assert_ptr_equal(catalog_get(want[i].id), e);
	}
	assert_null(catalog_get(EP_COUNT));
	assert_null(catalog_get((enum catalog_id)-1));
	assert_null(catalog_at(NWANT));
	assert_null(catalog_at((size_t)-1));
}

/* Each row by its own path, with a query, and at exactly its level. */
static void
test_every_row_found(void **state)
{
	const struct catalog_entry	*e;
	char				 p[256];
	size_t				 i, j;

	for (i = 0; (e = catalog_at(i)) != NULL; i++) {
		assert_ptr_equal(catalog_find(e->method, e->path), e);
		snprintf(p, sizeof(p), "%s?a=1&b=%%3F", e->path);
		assert_ptr_equal(catalog_find(e->method, p), e);
		snprintf(p, sizeof(p), "%s?", e->path);
		assert_ptr_equal(catalog_find(e->method, p), e);
		assert_ptr_equal(catalog_findn(e->method, e->path,
		    strlen(e->path)), e);

		for (j = 0; j < sizeof(levels) / sizeof(levels[0]); j++)
			assert_int_equal(catalog_admit(e->method, e->path,
			    strlen(e->path), levels[j]),
			    levels[j] == e->auth ? 0 : CV_ERR_DENIED);
		snprintf(p, sizeof(p), "%s?x=y", e->path);
		assert_int_equal(catalog_admit(e->method, p, strlen(p),
		    e->auth), 0);
	}
}

/* The queries the SDKs really send land on their rows. */
static void
test_queries_as_sent(void **state)
{
	const struct catalog_entry	*e;

	e = catalog_find("DELETE", "/auth/builder-api-key?apiKey="
	    "019894b9-cb40-79c4-b2bd-6aecb6f8c6c5");
	assert_non_null(e);
	assert_string_equal(e->call, "revoke_builder_api_key");
	e = catalog_find("GET",
	    "/balance-allowance?asset_type=CONDITIONAL&token_id=1&"
	    "signature_type=0");
	assert_non_null(e);
	assert_string_equal(e->call, "get_balance_allowance");
	e = catalog_find("DELETE", "/notifications?ids=a,b");
	assert_non_null(e);
	assert_string_equal(e->call, "drop_notifications");
	e = catalog_find("GET", "/notifications?signature_type=1");
	assert_non_null(e);
	assert_string_equal(e->call, "get_notifications");
	/* a star in the middle: one non-empty segment */
	e = catalog_find("POST", "/v3/api-keys/"
	    "019894b9-cb40-79c4-b2bd-6aecb6f8c6c5/rotate");
	assert_non_null(e);
	assert_int_equal(e->id, EP_OMNIA_ROTATE);
	assert_null(catalog_find("POST", "/v3/api-keys//rotate"));
	assert_null(catalog_find("POST", "/v3/api-keys/a/b/rotate"));
	assert_null(catalog_find("POST", "/v3/api-keys/a/rotate/"));
	assert_null(catalog_find("POST", "/v3/api-keys/a/rotat"));
	assert_null(catalog_find("GET", "/v3/api-keys/a/rotate"));
	assert_string_equal(catalog_auth_name(CATALOG_BEARER), "bearer");
}

static void
test_unknown_paths(void **state)
{
	static const char *const paths[] = {
		"", "/", "?", "?/time", "/time/", "//time", "/TIME", "time",
		"/time#x", " /time", "/time ", "/auth", "/auth/", "/auth/api",
		"/auth/api-key/", "/auth/api-keys/", "/auth/api-key%3F",
		"/auth/./api-key", "/auth/../auth/api-key", "/order/",
		"/orders/", "/ORDER", "/data/order", "/balance-allowance/", "/balance-allowance/updat",
		"/notification", "/agent/account/state?signature_type=0",
	};
	size_t	i, j;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_null(catalog_find("GET", paths[i]));
		assert_null(catalog_find("POST", paths[i]));
		assert_null(catalog_find("DELETE", paths[i]));
		for (j = 0; j < sizeof(levels) / sizeof(levels[0]); j++)
			assert_int_equal(catalog_admit("GET", paths[i],
			    strlen(paths[i]), levels[j]), CV_ERR_DENIED);
	}
	assert_null(catalog_find("GET", NULL));
	assert_null(catalog_findn("GET", NULL, 0));
}

/* Methods are matched exactly, upper case, on every row. */
static void
test_unknown_methods(void **state)
{
	static const char *const methods[] = {
		"", "get", "Get", "post", "delete", "PUT", "PATCH", "HEAD",
		"OPTIONS", "GET ", " GET", "GETX", "POSTS",
	};
	const struct catalog_entry	*e;
	size_t				 i, j;

	for (i = 0; (e = catalog_at(i)) != NULL; i++) {
		for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++)
			assert_null(catalog_find(methods[j], e->path));
		assert_null(catalog_find(NULL, e->path));
	}
	/* Right path, the other row's method. */
	assert_null(catalog_find("POST", "/time"));
	assert_null(catalog_find("GET", "/waitlist"));
	assert_null(catalog_find("POST", "/auth/derive-api-key"));
	assert_null(catalog_find("DELETE", "/auth/api-keys"));
	assert_null(catalog_find("GET", "/auth/api-key"));
	assert_null(catalog_find("POST", "/notifications"));
}

/* A length-bounded path: what follows it is not read, a NUL in it fails. */
static void
test_findn_bounds(void **state)
{
	static const char	buf[] = "/timeXYZ";
	static const char	nul[] = "/time\0?x";
	const struct catalog_entry *e;

	assert_non_null(e = catalog_findn("GET", buf, 5));
	assert_string_equal(e->path, "/time");
	assert_null(catalog_findn("GET", buf, 6));
	assert_null(catalog_findn("GET", buf, 4));
	assert_null(catalog_findn("GET", buf, 0));
	assert_null(catalog_findn("GET", nul, sizeof(nul) - 1));
	assert_null(catalog_findn("GET", nul, 6));
	assert_int_equal(catalog_admit("GET", nul, sizeof(nul) - 1,
	    CATALOG_NONE), CV_ERR_DENIED);
	assert_int_equal(catalog_admit("GET", buf, 5, CATALOG_NONE), 0);
}

/* get_order's last segment: exactly one non-empty one, query aside. */
static void
test_one_segment(void **state)
{
	const struct catalog_entry	*e = catalog_get(EP_GET_ORDER);
	static const char *const	 no[] = {
		"/data/order", "/data/order/", "/data/order/a/b",
		"/data/order//", "/data/orderx/1", "/data/order/a/",
	};
	size_t				 i;

	(void)state;
	assert_ptr_equal(catalog_find("GET", "/data/order/0xab12"), e);
	assert_ptr_equal(catalog_find("GET", "/data/order/x?y=/z"), e);
	assert_int_equal(catalog_admit("GET", "/data/order/1", 13,
	    CATALOG_L2), 0);
	assert_int_equal(catalog_admit("GET", "/data/order/1", 13,
	    CATALOG_NONE), CV_ERR_DENIED);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_null(catalog_find("GET", no[i]));
	assert_null(catalog_find("DELETE", "/data/order/1"));
}

static void
test_auth_names(void **state)
{
	assert_string_equal(catalog_auth_name(CATALOG_NONE), "none");
	assert_string_equal(catalog_auth_name(CATALOG_L1), "L1");
	assert_string_equal(catalog_auth_name(CATALOG_L2), "L2");
	assert_string_equal(catalog_auth_name(CATALOG_BUILDER), "builder");
	assert_string_equal(catalog_auth_name((enum catalog_auth)99), "?");
}

/* Row i of doc/exchanges.md's endpoint table, as the code says it. */
static void
doc_row(size_t i, const struct catalog_entry *e, char *out, size_t len)
{
	const struct netcall	*c;
	size_t			 k, n = 0, o;
	int			 seen;

	o = (size_t)snprintf(out, len, "| %zu | `%s %s` | %s%s | %s | ", i,
	    e->method, e->path, catalog_auth_name(e->auth),
	    e->invite ? " + invitation code" : "", e->call);
	for (k = 0; (c = netcall_at(k)) != NULL; k++) {
		size_t	s, j;

		for (s = 0, seen = 0; s < c->nsteps; s++)
			seen |= c->steps[s] == e->id;
		/* a name the row already lists (one call, two profiles) */
		for (j = 0; seen && j < k; j++) {
			const struct netcall *b = netcall_at(j);

			for (s = 0; s < b->nsteps; s++)
				if (b->steps[s] == e->id &&
				    strcmp(b->name, c->name) == 0)
					seen = 0;
		}
		if (seen)
			o += (size_t)snprintf(out + o, len - o, "%s`%s`",
			    n++ ? ", " : "", c->name);
	}
	snprintf(out + o, len - o, "%s |", n ? "" : "-");
}

/*
 * doc/exchanges.md's endpoint table is the code's: every row, in order,
 * with its calls (read from the source tree: tests run from its top).
 */
static void
test_doc_table(void **state)
{
	const struct catalog_entry	*e;
	FILE				*f;
	char				 line[512], code[512];
	size_t				 i = 0, n;
	int				 in = 0;

	assert_non_null(f = fopen("doc/exchanges.md", "r"));
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strncmp(line, "<!-- endpoint table begin", 25) == 0) {
			in = 1;
			continue;
		}
		if (strncmp(line, "<!-- endpoint table end", 23) == 0)
			break;
		if (!in || strncmp(line, "| ", 2) != 0 ||
		    strncmp(line, "| # |", 5) == 0)
			continue;
		if ((e = catalog_at(i)) == NULL)
			fail_msg("a row the code lacks: %s", line);
		doc_row(i, e, code, sizeof(code));
		if (strcmp(line, code) != 0)
			fail_msg("doc/exchanges.md row %zu:\n%s\nthe code:\n%s",
			    i, line, code);
		i++;
	}
	fclose(f);
	if ((e = catalog_at(i)) != NULL) {
		doc_row(i, e, code, sizeof(code));
		fail_msg("doc/exchanges.md lacks row %zu:\n%s", i, code);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_doc_table),
		cmocka_unit_test(test_every_row_found),
		cmocka_unit_test(test_queries_as_sent),
		cmocka_unit_test(test_unknown_paths),
		cmocka_unit_test(test_unknown_methods),
		cmocka_unit_test(test_findn_bounds),
		cmocka_unit_test(test_one_segment),
		cmocka_unit_test(test_auth_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
