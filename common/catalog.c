#include <string.h>

#include "common/catalog.h"

/*
 * The exchanges' endpoints (doc/exchanges.md), in id order.
 * create_or_derive_api_key is not a row: it is the create call followed,
 * on an HTTP 4xx, by the derive call.
 * revoke_builder_api_key and drop_notifications carry their arguments in
 * the query, which the match ignores.
 */
static const struct catalog_entry catalog[] = {
	{ "POST", "/auth/api-key", CATALOG_L1, 1, "create_api_key",
	    EP_CREATE_API_KEY },
	{ "GET", "/auth/derive-api-key", CATALOG_L1, 0, "derive_api_key",
	    EP_DERIVE_API_KEY },
	{ "GET", "/auth/api-keys", CATALOG_L2, 0, "get_api_keys",
	    EP_GET_API_KEYS },
	{ "DELETE", "/auth/api-key", CATALOG_L2, 0, "delete_api_key",
	    EP_DELETE_API_KEY },
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
	{ "GET", "/notifications", CATALOG_L2, 0, "get_notifications",
	    EP_NOTIFICATIONS },
	{ "DELETE", "/notifications", CATALOG_L2, 0, "drop_notifications",
	    EP_DROP_NOTIFICATIONS },
	{ "POST", "/waitlist", CATALOG_NONE, 0, "join_waitlist",
	    EP_WAITLIST },
	{ "GET", "/time", CATALOG_NONE, 0, "get_server_time", EP_TIME },
	/* trading (doc/exchanges.md "Trading") */
	{ "POST", "/order", CATALOG_L2, 0, "post_order", EP_POST_ORDER },
	{ "POST", "/orders", CATALOG_L2, 0, "post_orders", EP_POST_ORDERS },
	{ "DELETE", "/order", CATALOG_L2, 0, "cancel_order",
	    EP_CANCEL_ORDER },
	{ "DELETE", "/orders", CATALOG_L2, 0, "cancel_orders",
	    EP_CANCEL_ORDERS },
	{ "DELETE", "/cancel-all", CATALOG_L2, 0, "cancel_all",
	    EP_CANCEL_ALL },
	{ "DELETE", "/cancel-market-orders", CATALOG_L2, 0,
	    "cancel_market_orders", EP_CANCEL_MARKET },
	{ "GET", "/data/order/*", CATALOG_L2, 0, "get_order", EP_GET_ORDER },
	{ "GET", "/data/orders", CATALOG_L2, 0, "get_open_orders",
	    EP_GET_ORDERS },
	{ "GET", "/data/trades", CATALOG_L2, 0, "get_trades",
	    EP_GET_TRADES },
	{ "GET", "/order-scoring", CATALOG_L2, 0, "is_order_scoring",
	    EP_ORDER_SCORING },
	{ "POST", "/orders-scoring", CATALOG_L2, 0, "are_orders_scoring",
	    EP_ORDERS_SCORING },
	{ "POST", "/v1/heartbeats", CATALOG_L2, 0, "post_heartbeat",
	    EP_HEARTBEAT },
	{ "GET", "/tick-size", CATALOG_NONE, 0, "get_tick_size",
	    EP_TICK_SIZE },
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

#define CATALOG_ROWS	(sizeof(catalog) / sizeof(catalog[0]))

static unsigned char
fold_low(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Without fold, "/time/", "//time" and "/TIME" are not the row /time. */
int
catalog_path_match(const char *pat, const char *path, size_t n, int fold)
{
	size_t	r = 0, p = 0;

	while (pat[r] != '\0') {
		if (pat[r] == '*' && r > 0 && pat[r - 1] == '/' &&
		    (pat[r + 1] == '/' || pat[r + 1] == '\0')) {
			if (p >= n || path[p] == '/')
				return 0;
			while (p < n && path[p] != '/')
				p++;
			r++;
			continue;
		}
		if (p >= n || (path[p] != pat[r] && (!fold ||
		    fold_low((unsigned char)path[p]) !=
		    fold_low((unsigned char)pat[r]))))
			return 0;
		p++;
		r++;
	}
	return p == n;
}

const struct catalog_entry *
catalog_findn(const char *method, const char *path, size_t pathlen)
{
	const char	*q;
	size_t		 i, n;

	if (method == NULL || path == NULL)
		return NULL;
	/* The query is the request's argument, not its endpoint. */
	n = (q = memchr(path, '?', pathlen)) != NULL ?
	    (size_t)(q - path) : pathlen;
	/* the first letter before strcmp: once or more for every request */
	for (i = 0; i < CATALOG_ROWS; i++)
		if (catalog[i].method[0] == method[0] &&
		    strcmp(catalog[i].method, method) == 0 &&
		    catalog_path_match(catalog[i].path, path, n, 0))
			return &catalog[i];
	return NULL;
}

const struct catalog_entry *
catalog_find(const char *method, const char *path)
{
	if (path == NULL)
		return NULL;
	return catalog_findn(method, path, strlen(path));
}

int
catalog_admit(const char *method, const char *path, size_t pathlen,
    enum catalog_auth auth)
{
	const struct catalog_entry	*e;

	if ((e = catalog_findn(method, path, pathlen)) == NULL ||
	    e->auth != auth)
		return CV_ERR_DENIED;
	return 0;
}

const struct catalog_entry *
catalog_get(enum catalog_id id)
{
	/* the table is in id order: tests/test_catalog.c checks it */
	if ((unsigned)id >= CATALOG_ROWS || catalog[id].id != id)
		return NULL;
	return &catalog[id];
}

const struct catalog_entry *
catalog_at(size_t i)
{
	return i < CATALOG_ROWS ? &catalog[i] : NULL;
}

const char *
catalog_auth_name(enum catalog_auth auth)
{
	switch (auth) {
	case CATALOG_NONE:
		return "none";
	case CATALOG_L1:
		return "L1";
	case CATALOG_L2:
		return "L2";
	case CATALOG_BUILDER:
		return "builder";
	case CATALOG_BEARER:
		return "bearer";
	}
	return "?";
}
