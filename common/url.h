/*
 * The one rule for an exchange URL, used wherever one is taken in or
 * used: vaultctl (account add), vaultd (before an account record goes
 * into the vault) and netd (before it connects).
 *
 * A URL is admitted when libcurl's URL parser (curl_url) reads it and:
 *   - it is 1 to URL_MAX bytes of printable ASCII, with no '@', '?',
 *     '#' or '\' anywhere (no user, password, query or fragment, and no
 *     byte two URL parsers might read differently);
 *   - its scheme is https, or http when the host is exactly the
 *     loopback literal 127.0.0.1 or exactly the name localhost
 *     (the host as libcurl reads it, compared whole and in lower
 *     case: "localhost.", "127.0.0.1.x" and "LOCALHOST" are refused;
 *     libcurl reads "127.1" as 127.0.0.1, the same address).  Other addresses of
 *     127.0.0.0/8 and [::1] are refused for plain http: one loopback
 *     literal is enough for local test exchanges, and fewer forms are
 *     fewer to reason about;
 *   - it names a host of at most URL_HOST_MAX bytes.
 * A path (a base such as https://host/api) is allowed.
 */
#ifndef CV_URL_H
#define CV_URL_H

#include <stddef.h>

#include "common/cv_err.h"

#define URL_MAX		200
#define URL_HOST_MAX	255

/* What url_parse found, for callers that connect or report. */
struct url_parts {
	char	scheme[8];			/* "https" or "http" */
	char	host[URL_HOST_MAX + 1];		/* as libcurl reads it */
	char	port[8];			/* explicit, or the default */
	int	loopback;			/* 127.0.0.1 or localhost */
};

#define URL_WHY_HTTPS	"the URL must be https:// (plain http only to " \
			"127.0.0.1 or localhost)"

/*
 * Check url against the rule above.  0 with parts filled (parts may be
 * NULL); CV_ERR_INVALID or CV_ERR_TOOLONG with a sentence for a person
 * in why (which may be NULL), or CV_ERR_NOMEM.
 */
int	url_parse(const char *url, struct url_parts *parts, char *why,
	    size_t whylen) CV_WUR;

/*
 * The same rule read strictly, without libcurl (vaultd does not load
 * it): https:// or http://, a host of letters, digits, '-' and '.'
 * labels (of numbers only: an IPv4 address as four decimal numbers of
 * 0-255, which libcurl reads as written), an optional port 1-65535, an
 * optional path of letters, digits and / - . _ ~.  What it admits, url_parse admits with the same host
 * (tests/test_url.c checks it); it may refuse a URL url_parse would
 * take, and netd checks again with url_parse before it connects.
 * 0, or CV_ERR_INVALID / CV_ERR_TOOLONG with a sentence in why.
 */
int	url_check_strict(const char *url, char *why, size_t whylen) CV_WUR;

/* Shared by url.c and url_curl.c. */
void	url_why(char *why, size_t whylen, const char *text);
/* 1 if every byte is printable ASCII and none of '@', '?', '#', ''. */
int	url_bytes_ok(const char *url, size_t len);

#endif
