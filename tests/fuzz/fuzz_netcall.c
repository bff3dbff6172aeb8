/*
 * Fuzz the exchange calls by name (common/netcall.h) as vaultd reads a
 * request for one: the first line is the call's name, each further line
 * a parameter "name=value".  Parameters the check admits must make every
 * step's request: a path of printable bytes without space or '#' and a
 * body that is empty or one JSON object.  The input is also read as a
 * permissions list.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/netcall.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_request(const struct netcall *c, const struct netcall_params *p)
{
	char	path[NETCALL_PATH_MAX + 1], body[NETCALL_BODY_MAX + 1];
	size_t	k, i, blen;
	json_t	*j;

	for (k = 0; k < c->nsteps; k++) {
		if (netcall_is_mint(c->steps[k]))
			continue;
		if (netcall_request(c->steps[k], p, path, sizeof(path), body,
		    sizeof(body), &blen) != 0)
			abort();
		if (path[0] != '/')
			abort();
		for (i = 0; path[i] != '\0'; i++)
			if (path[i] <= 0x20 || path[i] > 0x7e || path[i] == '#')
				abort();
		if (blen != strlen(body))
			abort();
		if (blen == 0)
			continue;
		if ((j = json_loadb(body, blen, JSON_REJECT_DUPLICATES,
		    NULL)) == NULL || !json_is_object(j))
			abort();
		json_decref(j);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netcall_params	 p;
	const struct netcall	*c;
	char			 name[NETCALL_NAME_MAX + 1], why[256];
	char			 perms[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	char			*text, *line, *eq, *save = NULL;
	size_t			 np, i;
	int			 bearer;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (netcall_perms_split(text, perms, &np) == 0) {
		if (np > NETCALL_PERMS_MAX)
			abort();
		for (i = 0; i < np; i++)
			if (perms[i][0] == '\0' ||
			    strlen(perms[i]) > NETCALL_PERM_MAX)
				abort();
	}

	memset(&p, 0, sizeof(p));
	if ((line = strtok_r(text, "\n", &save)) == NULL ||
	    strlen(line) > NETCALL_NAME_MAX) {
		free(text);
		return 0;
	}
	memcpy(name, line, strlen(line) + 1);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL &&
	    p.n < NETCALL_PARAMS_MAX) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq++ = '\0';
		if (strlen(line) > NETCALL_NAME_MAX ||
		    strlen(eq) > NETCALL_VALUE_MAX)
			continue;
		memcpy(p.name[p.n], line, strlen(line) + 1);
		memcpy(p.value[p.n], eq, strlen(eq) + 1);
		p.n++;
	}
	for (bearer = 0; bearer < 2; bearer++) {
		if ((c = netcall_find_for(name, bearer)) == NULL)
			continue;
		why[0] = '\0';
		if (netcall_check(c, &p, why, sizeof(why)) == 0)
			check_request(c, &p);
		else if (why[0] == '\0')
			abort();
	}
	free(text);
	return 0;
}
