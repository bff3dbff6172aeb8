#include <string.h>

#include "common/catalog.h"

/*
 * DESIGN.md section 3, in its order.  create_or_derive_api_key is not a
 * row: it is the create call followed, on an HTTP 4xx, by the derive call.
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
};

#define CATALOG_ROWS	(sizeof(catalog) / sizeof(catalog[0]))

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
	for (i = 0; i < CATALOG_ROWS; i++) {
		/* Exact bytes: "/time/", "//time" and "/TIME" are unknown. */
		if (strcmp(catalog[i].method, method) == 0 &&
		    strlen(catalog[i].path) == n &&
		    memcmp(catalog[i].path, path, n) == 0)
			return &catalog[i];
	}
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
	}
	return "?";
}
