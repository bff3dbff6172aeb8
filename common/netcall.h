/*
 * The exchange calls vaultctl can ask for (doc/exchanges.md), by name:
 * the parameters each takes, the endpoints (common/catalog.h) it may
 * request in order, and the vault effects its answer may carry.  One
 * table, read by three processes: vaultctl names a call, vaultd refuses
 * a call or parameter not in it and admits a signing request from netd
 * only if it is the exact request of one of the call's steps, and netd
 * builds its requests from it.  The request bytes come from one function,
 * netcall_request, so what netd sends and what vaultd expects agree.
 *
 * Parameter values are strings of 1 to NETCALL_VALUE_MAX printable ASCII
 * bytes, each with a meaning of its own (netcall_check).
 */
#ifndef CV_NETCALL_H
#define CV_NETCALL_H

#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/cv_err.h"

#define NETCALL_NAME_MAX	32
#define NETCALL_VALUE_MAX	256
#define NETCALL_PARAMS_MAX	8
#define NETCALL_STEPS_MAX	2
#define NETCALL_PATH_MAX	1024	/* path and query of one request */
#define NETCALL_BODY_MAX	1024	/* body of one request */
/*
 * Signatures one call may ask for: each step once, plus netd's retries
 * (three for a GET after a transport error, 5xx or 429; a 401 on a key
 * stored moments ago, retried with backoff for 15 s).
 */
#define NETCALL_SIGN_MAX	16

/* MSG_NET_CALL_ANS effect bits: what vaultd must do with the answer. */
#define NETCALL_STORE		0x01	/* seal the box's credential in */
#define NETCALL_REMOVE		0x02	/* the key id is gone at the exchange */
#define NETCALL_INVITE_USED	0x04	/* the invitation code was spent */
#define NETCALL_REPLACE		0x08	/* with STORE: the new secret of the
					   key the call names (rotate) */
/* Omnia: bearer tokens one call may mint (one, and one after a 401
 * INVALID_JWT_TOKEN) */
#define NETCALL_MINT_MAX	2
#define NETCALL_PERMS_MAX	32	/* Omnia permissions of one key */
#define NETCALL_PERM_MAX	64	/* bytes of one */

struct netcall {
	const char	*name;		/* "apikey.create" */
	const char	*params[NETCALL_PARAMS_MAX];	/* NULL-terminated */
	const char	*needs;		/* a parameter it cannot go without */
	enum catalog_id	 steps[NETCALL_STEPS_MAX];	/* in order */
	size_t		 nsteps;
	uint64_t	 effects;	/* NETCALL_ bits its answer may carry */
	uint8_t		 rtype;		/* the vault record type they concern */
	int		 bearer;	/* for PROFILE_AUTH_BEARER accounts
					   (Omnia); else CLOB ones */
};

/* A call's parameters as given: names and values, NUL-terminated. */
struct netcall_params {
	size_t	n;
	char	name[NETCALL_PARAMS_MAX][NETCALL_NAME_MAX + 1];
	char	value[NETCALL_PARAMS_MAX][NETCALL_VALUE_MAX + 1];
};

/* The row called name, NULL when there is none; netcall_find_for the
 * one for an account of that kind (bearer: Omnia; else CLOB). */
const struct netcall	*netcall_find(const char *name);
const struct netcall	*netcall_find_for(const char *name, int bearer);
/* 1 if ep is the bearer token request (EP_OMNIA_TOKEN). */
int			 netcall_is_mint(enum catalog_id ep);
/*
 * 1 if c can change nothing: no vault effect, and every request a GET
 * (or a bearer token's).
 */
int			 netcall_read_only(const struct netcall *c);
/*
 * 1 if ep is a step of a call that stores or removes one of the vault's
 * credentials (the keys' create, derive, delete; a builder key's; an
 * Omnia key's, and the token that authorizes it).
 */
int			 netcall_keys_endpoint(enum catalog_id ep);
/* The steps of c (bit k: step k) that mint a bearer token. */
uint32_t		 netcall_mint_steps(const struct netcall *c);
/*
 * Omnia permissions as "a,b,c" (netcall_check's "permissions"): each one
 * into perms, *n of them.  CV_ERR_INVALID for an empty one, a duplicate,
 * a byte not in [a-z0-9:._-], more than NETCALL_PERMS_MAX.  "" is none.
 */
int	netcall_perms_split(const char *list,
	    char perms[][NETCALL_PERM_MAX + 1], size_t *n) CV_WUR;
/* Row i in table order, NULL past the last. */
const struct netcall	*netcall_at(size_t i);
/* 1 if param is one call takes. */
int			 netcall_takes(const struct netcall *, const char *param);
/* 1 if value is an acceptable parameter value (see above). */
int			 netcall_value_ok(const char *value, size_t len);

/* The value of parameter name, or NULL. */
const char	*netcall_param(const struct netcall_params *, const char *name);
/* The L1 nonce the call's parameters imply: "nonce", or 0. */
uint64_t	 netcall_nonce(const struct netcall_params *);

/*
 * Check every parameter: one the call takes, given once, a value of its
 * kind, and the one it needs present.  0, or CV_ERR_INVALID with why
 * filled in for a person.
 */
int	netcall_check(const struct netcall *, const struct netcall_params *,
	    char *why, size_t whylen) CV_WUR;

/*
 * The request of endpoint ep for these parameters, exactly as it is sent
 * and signed (the bearer token request: its path; its body is signerd's,
 * sealed to netd, so none here): path with its query into path (NUL-terminated), body bytes
 * into body (NUL-terminated; *bodylen without the NUL, 0 for none).
 * CV_ERR_TOOLONG if it does not fit, CV_ERR_INVALID for an unknown ep.
 */
int	netcall_request(enum catalog_id ep, const struct netcall_params *,
	    char *path, size_t pathsz, char *body, size_t bodysz,
	    size_t *bodylen) CV_WUR;

/*
 * Append value, percent-encoded for a query (unreserved bytes and ','
 * as they are), to the string in out of size outlen.  CV_ERR_TOOLONG.
 */
int	netcall_urlencode(const char *value, char *out, size_t outlen) CV_WUR;

#endif
