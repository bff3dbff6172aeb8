/*
 * The exchange calls by name (see netcall.h).
 */
#include <string.h>

#include "common/netcall.h"

static const struct netcall netcalls[] = {
	{ "apikey.create",		{ "nonce" }, 1 },
	{ "apikey.derive",		{ "nonce" }, 1 },
	{ "apikey.create-or-derive",	{ "nonce" }, 1 },
	{ "apikey.list",		{ NULL }, 0 },
	{ "apikey.delete",		{ NULL }, 1 },
	{ "closed-only",		{ NULL }, 0 },
	{ "builder.create",		{ "builder_id" }, 1 },
	{ "builder.list",		{ NULL }, 0 },
	{ "builder.revoke",		{ "key" }, 1 },
	{ "balance",			{ "asset_type", "token_id",
					  "signature_type" }, 0 },
	{ "balance.update",		{ "asset_type", "token_id",
					  "signature_type" }, 0 },
	{ "notifications.list",		{ "signature_type" }, 0 },
	{ "notifications.drop",		{ "ids" }, 0 },
	{ "waitlist.join",		{ "email" }, 0 },
	{ "time",			{ NULL }, 0 },
};

const struct netcall *
netcall_find(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(netcalls) / sizeof(netcalls[0]); i++)
		if (strcmp(netcalls[i].name, name) == 0)
			return &netcalls[i];
	return NULL;
}

int
netcall_takes(const struct netcall *c, const char *param)
{
	size_t	i;

	for (i = 0; i < NETCALL_PARAMS_MAX && c->params[i] != NULL; i++)
		if (strcmp(c->params[i], param) == 0)
			return 1;
	return 0;
}

int
netcall_value_ok(const char *v, size_t len)
{
	size_t	i;

	if (len == 0 || len > NETCALL_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] < 0x21 || v[i] > 0x7e)
			return 0;
	return 1;
}

const struct netcall *
netcall_at(size_t i)
{
	return i < sizeof(netcalls) / sizeof(netcalls[0]) ? &netcalls[i] :
	    NULL;
}
