#include <string.h>

#include "common/profile.h"

static const struct profile profiles[] = {
	{ "openfish", PROFILE_AUTH_CLOB, "OPENFISH_", 56, 1, 1,
	    "https://api.openfish.me", NULL },
	{ "polymarket", PROFILE_AUTH_CLOB, "POLY_", 137, 0, 0,
	    "https://clob.polymarket.com", NULL },
	{ "omnia", PROFILE_AUTH_BEARER, NULL, 0, 0, 0,
	    "https://api.production.omniaexchange.com/api", "secret" },
};

const struct profile *
profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
}
