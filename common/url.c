/*
 * Exchange URLs: the rule every process applies (see url.h), and the
 * strict reading vaultd uses without libcurl.
 */
#include <stdio.h>
#include <string.h>

#include "common/url.h"

void
url_why(char *why, size_t whylen, const char *text)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", text);
}

int
url_bytes_ok(const char *url, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (url[i] < 0x21 || url[i] > 0x7e || url[i] == '@' ||
		    url[i] == '?' || url[i] == '#' || url[i] == '\\')
			return 0;
	return 1;
}

/*
 * Whether h (n bytes, host_ok's labels) is an IPv4 address written as
 * libcurl writes it back: four decimal numbers of 0-255 without leading
 * zeros.  libcurl reads a host of numbers only ("535", "0x7f.1",
 * "127.0.0.01") as the address it means and names it in that form.
 */
static int
host_ipv4_canonical(const char *h, size_t n)
{
	size_t	i, parts = 0, digits = 0;
	int	v = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (digits == 0 || v > 255)
				return 0;
			parts++;
			digits = 0;
			v = 0;
			continue;
		}
		if (h[i] < '0' || h[i] > '9' || (digits > 0 && v == 0) ||
		    ++digits > 3)
			return 0;
		v = v * 10 + (h[i] - '0');
	}
	return parts == 4;
}

/*
 * Whether a label (n bytes) is one libcurl may read as a number of an
 * IPv4 address: decimal digits (octal too, with a leading 0), or 0x and
 * hex digits.  Anything else makes the host a name to libcurl.
 */
static int
label_numeric(const char *l, size_t n)
{
	size_t	i = 0;

	if (n > 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!((l[i] >= '0' && l[i] <= '9') ||
			    (l[i] >= 'a' && l[i] <= 'f') ||
			    (l[i] >= 'A' && l[i] <= 'F')))
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (l[i] < '0' || l[i] > '9')
			return 0;
	return 1;
}

/*
 * Labels of letters, digits and inner '-', 1-63 bytes, joined by '.';
 * if every label is a number to libcurl (label_numeric), an IPv4
 * address as libcurl writes it (so that both readings name the same
 * host).  A name such as "3com" or "1password.1x" stays a name.
 */
static int
host_ok(const char *h, size_t n)
{
	size_t	i, start = 0, label = 0;
	int	names = 0;

	if (n == 0 || n > URL_HOST_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return 0;
			if (!label_numeric(h + start, label))
				names = 1;
			start = i + 1;
			label = 0;
			continue;
		}
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' &&
		    h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    (h[i] == '-' && label > 0)))
			return 0;
		if (++label > 63)
			return 0;
	}
	if (label == 0 || h[n - 1] == '-')
		return 0;
	if (!label_numeric(h + start, label))
		names = 1;
	return names || host_ipv4_canonical(h, n);
}

int
url_check_strict(const char *url, char *why, size_t whylen)
{
	const char	*h, *e, *p;
	size_t		 len = strlen(url), hlen;
	unsigned long	 port = 0;
	int		 https;

	if (len == 0 || len > URL_MAX) {
		url_why(why, whylen, "the URL must be 1 to 200 bytes");
		return len == 0 ? CV_ERR_INVALID : CV_ERR_TOOLONG;
	}
	if (!url_bytes_ok(url, len)) {
		url_why(why, whylen, "the URL may hold only printable ASCII, "
		    "and no user, password, query or fragment ('@', '?', "
		    "'#', '\\')");
		return CV_ERR_INVALID;
	}
	if (strncmp(url, "https://", 8) == 0) {
		https = 1;
		h = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		https = 0;
		h = url + 7;
	} else {
		url_why(why, whylen, strstr(url, "://") != NULL ?
		    URL_WHY_HTTPS : "not a URL with a scheme and a host "
		    "(https://HOST[:PORT][/PATH])");
		return CV_ERR_INVALID;
	}
	e = h + strcspn(h, ":/");
	hlen = (size_t)(e - h);
	if (!https && !((hlen == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	    (hlen == 9 && memcmp(h, "localhost", 9) == 0))) {
		url_why(why, whylen, URL_WHY_HTTPS);
		return CV_ERR_INVALID;
	}
	if (!host_ok(h, hlen)) {
		url_why(why, whylen, "the URL names no host, or not one of "
		    "letters, digits, '-' and '.'");
		return CV_ERR_INVALID;
	}
	p = e;
	if (*p == ':') {
		for (p++; *p >= '0' && *p <= '9' && p - e <= 5; p++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (p == e + 1 || e[1] == '0' || port > 65535) {
			url_why(why, whylen, "the URL's port must be 1 to "
			    "65535");
			return CV_ERR_INVALID;
		}
	}
	if (*p != '\0' && *p != '/') {
		url_why(why, whylen, "not a URL with a scheme and a host "
		    "(https://HOST[:PORT][/PATH])");
		return CV_ERR_INVALID;
	}
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '-' ||
		    *p == '.' || *p == '_' || *p == '~')) {
			url_why(why, whylen, "the URL's path may hold only "
			    "letters, digits and / - . _ ~");
			return CV_ERR_INVALID;
		}
	return 0;
}
