/*
 * The endpoint catalog of doc/exchanges.md (Openfish / Polymarket): every
 * call clobvault makes, with the authentication it needs.  Until the policy
 * language exists this table is the verdict: vaultd's gate and signerd both
 * admit exactly these endpoints at exactly their level, and nothing else.
 */
#ifndef CV_CATALOG_H
#define CV_CATALOG_H

#include <stddef.h>

#include "common/cv_err.h"

/*
 * Authentication levels.  The catalog's rows use NONE, L1 and L2; BUILDER
 * (the builder HMAC set) is a level a signing request may ask for, and no
 * row admits it yet.
 */
enum catalog_auth {
	CATALOG_NONE = 0,	/* unauthenticated: never signed */
	CATALOG_L1,		/* wallet key, EIP-712 ClobAuth */
	CATALOG_L2,		/* API key HMAC */
	CATALOG_BUILDER,	/* builder key HMAC */
	CATALOG_BEARER,		/* Omnia: a bearer token netd mints and
				   holds; the token request's body is
				   signerd's, sealed to netd */
};

/* Every endpoint by id: the one list that netd's steps, the exchange
 * calls (common/netcall.c) and vaultd's step check refer to. */
enum catalog_id {
	EP_CREATE_API_KEY,
	EP_DERIVE_API_KEY,
	EP_GET_API_KEYS,
	EP_DELETE_API_KEY,
	EP_CLOSED_ONLY,
	EP_CREATE_BUILDER_KEY,
	EP_GET_BUILDER_KEYS,
	EP_REVOKE_BUILDER_KEY,
	EP_BALANCE,
	EP_BALANCE_UPDATE,
	EP_NOTIFICATIONS,
	EP_DROP_NOTIFICATIONS,
	EP_WAITLIST,
	EP_TIME,
	/* trading: what bots call through the gateway (orders, cancels,
	 * queries, heartbeats) and the public lookups that build an order */
	EP_POST_ORDER,
	EP_POST_ORDERS,
	EP_CANCEL_ORDER,
	EP_CANCEL_ORDERS,
	EP_CANCEL_ALL,
	EP_CANCEL_MARKET,
	EP_GET_ORDER,
	EP_GET_ORDERS,
	EP_GET_TRADES,
	EP_ORDER_SCORING,
	EP_ORDERS_SCORING,
	EP_HEARTBEAT,
	EP_TICK_SIZE,
	EP_NEG_RISK,
	EP_FEE_RATE,
	EP_BOOK,
	EP_VERSION,
	/* Omnia (bearer): the token, then the key calls it authorizes */
	EP_OMNIA_TOKEN,
	EP_OMNIA_KEYS,
	EP_OMNIA_CREATE,
	EP_OMNIA_ROTATE,
	EP_COUNT
};

/*
 * One endpoint.  invite: the call carries the invitation code header
 * where the profile needs one.  call: the SDKs' name for it.
 */
struct catalog_entry {
	const char		*method;	/* "GET", "POST", "DELETE" */
	/* without "?query"; a segment that is a lone star stands for
	 * exactly one non-empty segment (get_order's "/data/order/0xab",
	 * Omnia's "/v3/api-keys/ID/rotate") */
	const char		*path;
	enum catalog_auth	 auth;
	int			 invite;
	const char		*call;
	enum catalog_id		 id;
};

/* The row of id; NULL for an id out of the enum. */
const struct catalog_entry	*catalog_get(enum catalog_id id);

/*
 * The row for method and the path exactly as sent: the path is compared
 * byte for byte up to its first '?' (or its end), the method exactly
 * (upper case).  NULL when there is none.  catalog_findn takes a path of
 * pathlen bytes that need not be NUL-terminated; a NUL inside it matches
 * nothing.
 */
const struct catalog_entry	*catalog_find(const char *method,
				    const char *path);
const struct catalog_entry	*catalog_findn(const char *method,
				    const char *path, size_t pathlen);

/*
 * Does the path pattern pat match path[0..n)?  Its bytes compare
 * exactly, or with ASCII letters folded when fold is set, but for a
 * segment "*", which takes exactly one non-empty segment.  The one
 * matcher of the catalog's rows and of the policy's path patterns.
 */
int	catalog_path_match(const char *pat, const char *path, size_t n,
	    int fold);

/*
 * The verdict of the catalog: 0 when method and path (as sent) name a row
 * whose level is exactly auth, CV_ERR_DENIED otherwise (unknown endpoint,
 * or a known one at another level).  A NONE row is admitted only at NONE:
 * such a call goes out unsigned.
 */
int	catalog_admit(const char *method, const char *path, size_t pathlen,
	    enum catalog_auth auth) CV_WUR;

/* Row i of the table in its order, NULL past the last one. */
const struct catalog_entry	*catalog_at(size_t i);

/* "none", "L1", "L2", "builder", "bearer"; "?" out of the enum. */
const char	*catalog_auth_name(enum catalog_auth);

#endif
