/*
 * Fuzz the exchange URL rule (common/url.h) both ways it is read: the
 * input, up to its first NUL, is read by vaultd's strict reading and by
 * libcurl's (vaultctl and netd).  What the strict reading admits, the
 * other must admit with the same scheme, host and port; a URL either
 * admits is plain http only to 127.0.0.1 or localhost, and a refusal
 * says why.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/url.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct url_parts	 p;
	const char		*h, *port;
	char			*url, why[256], host[URL_HOST_MAX + 1];
	size_t			 n;
	int			 strict, curl;

	if ((url = malloc(size + 1)) == NULL)
		abort();
	memcpy(url, data, size);
	url[size] = '\0';

	why[0] = '\0';
	if ((strict = url_check_strict(url, why, sizeof(why))) != 0 &&
	    why[0] == '\0')
		abort();
	why[0] = '\0';
	memset(&p, 0, sizeof(p));
	if ((curl = url_parse(url, &p, why, sizeof(why))) != 0 &&
	    curl != CV_ERR_NOMEM && why[0] == '\0')
		abort();
	if (curl == 0) {
		if (strcmp(p.scheme, "https") != 0 &&
		    (strcmp(p.scheme, "http") != 0 || !p.loopback))
			abort();
		if (p.loopback != (strcmp(p.host, "127.0.0.1") == 0 ||
		    strcmp(p.host, "localhost") == 0))
			abort();
	}
	if (strict == 0) {
		if (curl != 0)
			abort();
		h = strstr(url, "://") + 3;
		n = strcspn(h, ":/");
		memcpy(host, h, n);
		host[n] = '\0';
		if (strcasecmp(p.host, host) != 0)
			abort();
		if (strncmp(url, p.scheme, strlen(p.scheme)) != 0 ||
		    url[strlen(p.scheme)] != ':')
			abort();
		port = h[n] == ':' ? h + n + 1 : strcmp(p.scheme, "https") ==
		    0 ? "443" : "80";
		if (strncmp(port, p.port, strlen(p.port)) != 0 ||
		    (port[strlen(p.port)] != '\0' &&
		    port[strlen(p.port)] != '/'))
			abort();
	}
	free(url);
	return 0;
}
