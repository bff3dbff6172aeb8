/*
 * Exchange URLs read by libcurl's URL parser (see url.h): for vaultctl
 * and netd, which link libcurl anyway.  vaultd uses url_check_strict
 * (url.c) and never loads libcurl.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "common/url.h"


/* 1 if libcurl finds part in u (a user, a query...), even an empty one. */
static int
url_has(CURLU *u, CURLUPart part)
{
	char	*x = NULL;
	int	 has;

	has = curl_url_get(u, part, &x, 0) == CURLUE_OK;
	curl_free(x);
	return has;
}

int
url_parse(const char *url, struct url_parts *parts, char *why,
    size_t whylen)
{
	struct url_parts	 p;
	CURLU			*u = NULL;
	char			*scheme = NULL, *host = NULL, *port = NULL;
	const char		*auth;
	size_t			 len;
	int			 r = CV_ERR_INVALID;

	memset(&p, 0, sizeof(p));
	len = strlen(url);
	if (len == 0 || len > URL_MAX) {
		url_why(why, whylen, "the URL must be 1 to 200 bytes");
		r = len == 0 ? CV_ERR_INVALID : CV_ERR_TOOLONG;
		goto out;
	}
	if (!url_bytes_ok(url, len)) {
		url_why(why, whylen, "the URL may hold only printable ASCII, "
		    "and no user, password, query or fragment ('@', '?', "
		    "'#', '\\')");
		goto out;
	}
	/* libcurl reads "https:///h" as host h: insist on an authority */
	if ((auth = strstr(url, "://")) == NULL || auth[3] == '/' ||
	    auth[3] == ':' || auth[3] == '\0') {
		url_why(why, whylen, "not a URL with a scheme and a host "
		    "(https://HOST[:PORT][/PATH])");
		goto out;
	}
	if ((u = curl_url()) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		url_why(why, whylen, "not a URL with a scheme and a host "
		    "(https://HOST[:PORT][/PATH])");
		goto out;
	}
	if (url_has(u, CURLUPART_USER) || url_has(u, CURLUPART_PASSWORD) ||
	    url_has(u, CURLUPART_OPTIONS) || url_has(u, CURLUPART_QUERY) ||
	    url_has(u, CURLUPART_FRAGMENT)) {
		url_why(why, whylen, "the URL may not hold a user, password, "
		    "query or fragment");
		goto out;
	}
	if (host[0] == '\0' || strlen(host) > URL_HOST_MAX ||
	    strlen(port) >= sizeof(p.port)) {
		url_why(why, whylen, "the URL names no host, or one too long");
		goto out;
	}
	p.loopback = strcmp(host, "127.0.0.1") == 0 ||
	    strcmp(host, "localhost") == 0;
	if (strcmp(scheme, "https") != 0 &&
	    (strcmp(scheme, "http") != 0 || !p.loopback)) {
		url_why(why, whylen, URL_WHY_HTTPS);
		goto out;
	}
	snprintf(p.scheme, sizeof(p.scheme), "%s", scheme);
	snprintf(p.host, sizeof(p.host), "%s", host);
	snprintf(p.port, sizeof(p.port), "%s", port);
	if (parts != NULL)
		*parts = p;
	r = 0;
 out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}
