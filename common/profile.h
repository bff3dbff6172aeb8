/*
 * Exchange profiles as data (doc/exchanges.md, "Profiles"): one code
 * path, the differences in this table.
 */
#ifndef CV_PROFILE_H
#define CV_PROFILE_H

#include <stdint.h>

enum profile_auth {
	PROFILE_AUTH_CLOB,	/* L1 EIP-712 + L2 HMAC (+ builder) */
	PROFILE_AUTH_BEARER,	/* server-issued bearer token */
};

struct profile {
	const char		*name;
	enum profile_auth	 auth;
	const char		*hdr_prefix;	/* "OPENFISH_", "POLY_" */
	uint64_t		 chain_id;	/* EIP-712 chainId, 0 if none */
	int			 signs_query;	/* HMAC covers "?query" */
	int			 needs_invite;	/* first key needs a code */
	const char		*base_url;
	/* bearer: the token request's field for the key's secret (the
	 * real name is not public: doc/exchanges.md, "Omnia") */
	const char		*token_secret_field;
};

/* The profile called name, or NULL. */
const struct profile	*profile_find(const char *name);

#endif
