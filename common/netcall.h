/*
 * The exchange calls vaultctl can ask for (DESIGN.md section 3), by name,
 * with the parameters each takes.  vaultd refuses a call or parameter not
 * in this table before netd sees it; netd builds the request from it.
 *
 * Parameter values are strings of 1 to NETCALL_VALUE_MAX printable ASCII
 * bytes; what each means is in netd.
 */
#ifndef CV_NETCALL_H
#define CV_NETCALL_H

#include <stddef.h>

#define NETCALL_NAME_MAX	32
#define NETCALL_VALUE_MAX	256
#define NETCALL_PARAMS_MAX	8

/* MSG_NET_CALL_ANS effect bits: what vaultd must do with the answer. */
#define NETCALL_STORE		0x01	/* seal the box's credential in */
#define NETCALL_REMOVE		0x02	/* the key id is gone at the exchange */
#define NETCALL_INVITE_USED	0x04	/* the invitation code was spent */

struct netcall {
	const char	*name;		/* "apikey.create" */
	const char	*params[NETCALL_PARAMS_MAX];	/* NULL-terminated */
	int		 changes;	/* may store or remove a credential */
};

/* The row called name, NULL when there is none. */
const struct netcall	*netcall_find(const char *name);
/* 1 if param is one call takes. */
int			 netcall_takes(const struct netcall *, const char *param);
/* 1 if value is an acceptable parameter value (see above). */
int			 netcall_value_ok(const char *value, size_t len);
/* Row i in table order, NULL past the last. */
const struct netcall	*netcall_at(size_t i);

#endif
