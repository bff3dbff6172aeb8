/*
 * common/url.c: the one rule for exchange URLs.  Hostile forms that a
 * prefix check let through are refused; the forms clobvault uses pass,
 * with the host and port netd connects to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/url.h"

static void
admit(const char *url, const char *scheme, const char *host,
    const char *port, int loopback)
{
	struct url_parts	p;
	char			why[160] = "";
	int			r;

	if ((r = url_parse(url, &p, why, sizeof(why))) != 0)
		fail_msg("%s refused (%d): %s", url, r, why);
	assert_string_equal(p.scheme, scheme);
	assert_string_equal(p.host, host);
	assert_string_equal(p.port, port);
	assert_int_equal(p.loopback, loopback);
}

static void
refuse(const char *url, int code, const char *why_has)
{
	struct url_parts	p;
	char			why[160] = "";
	int			r;

	memset(&p, 0x55, sizeof(p));
	if ((r = url_parse(url, &p, why, sizeof(why))) != code)
		fail_msg("%s: %d, not %d (%s)", url, r, code, why);
	if (strstr(why, why_has) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", url, why, why_has);
	/* nothing half-filled on refusal */
	assert_int_equal(p.loopback, 0x55555555);
}

static void
test_admitted(void **state)
{
	admit("http://127.0.0.1:8443/", "http", "127.0.0.1", "8443", 1);
	admit("http://127.0.0.1", "http", "127.0.0.1", "80", 1);
	admit("https://api.openfish.me", "https", "api.openfish.me", "443",
	    0);
	admit("https://clob.polymarket.com/", "https", "clob.polymarket.com",
	    "443", 0);
	admit("http://localhost:9000", "http", "localhost", "9000", 1);
	admit("https://127.0.0.1:9443/api/", "https", "127.0.0.1", "9443", 1);
	/* https to any host: TLS verification decides */
	admit("https://127.0.0.1.evil.com/", "https", "127.0.0.1.evil.com",
	    "443", 0);
	/* NULL parts and why are allowed */
	assert_int_equal(url_parse("https://h", NULL, NULL, 0), 0);
	assert_int_equal(url_parse("http://x.example", NULL, NULL, 0),
	    CV_ERR_INVALID);
}

/* Found by an attack on the prefix check: plain http to a remote host. */
static void
test_remote_http(void **state)
{
	const char	*https = "the URL must be https:// (plain http only "
			    "to 127.0.0.1 or localhost)";

	refuse("http://127.0.0.1.evil.com/", CV_ERR_INVALID, https);
	refuse("http://localhost.evil.com", CV_ERR_INVALID, https);
	refuse("http://localhost./", CV_ERR_INVALID, https);
	refuse("http://127.0.0.10/", CV_ERR_INVALID, https);
	refuse("http://127.0.0.1evil.com/", CV_ERR_INVALID, https);
	refuse("http://LOCALHOST/", CV_ERR_INVALID, https);
	refuse("http://example.com", CV_ERR_INVALID, https);
	/* decided: [::1] and the rest of 127/8 are not plain-http hosts */
	refuse("http://[::1]/", CV_ERR_INVALID, https);
	refuse("http://127.0.0.2/", CV_ERR_INVALID, https);
	refuse("ftp://x", CV_ERR_INVALID, https);
	refuse("ftp://127.0.0.1/", CV_ERR_INVALID, https);
	refuse("file:///etc/passwd", CV_ERR_INVALID, "");
}

static void
test_parts_refused(void **state)
{
	char	longurl[URL_MAX + 2];

	refuse("http://user@127.0.0.1/", CV_ERR_INVALID, "no user");
	refuse("https://user:pw@h/", CV_ERR_INVALID, "no user");
	refuse("https://h/?q", CV_ERR_INVALID, "query");
	refuse("https://h/?", CV_ERR_INVALID, "query");
	refuse("https://h/#frag", CV_ERR_INVALID, "fragment");
	refuse("https://h\\@evil/", CV_ERR_INVALID, "printable ASCII");
	refuse("https:///path", CV_ERR_INVALID, "a scheme and a host");
	refuse("https://", CV_ERR_INVALID, "a scheme and a host");
	refuse("http://:80/", CV_ERR_INVALID, "");
	refuse("127.0.0.1:8080", CV_ERR_INVALID, "");
	refuse("//127.0.0.1/", CV_ERR_INVALID, "a scheme and a host");
	refuse("https://h /", CV_ERR_INVALID, "printable ASCII");
	refuse("https://h\t/", CV_ERR_INVALID, "printable ASCII");
	refuse("https://h\xc3\xa9/", CV_ERR_INVALID, "printable ASCII");
	refuse("", CV_ERR_INVALID, "1 to 200 bytes");
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "https://", 8);
	longurl[URL_MAX + 1] = '\0';
	refuse(longurl, CV_ERR_TOOLONG, "1 to 200 bytes");
	longurl[URL_MAX] = '\0';
	assert_int_equal(url_parse(longurl, NULL, NULL, 0), 0);
}

/*
 * vaultd's strict reading (no libcurl): a subset of url_parse, with the
 * same host, and the attacks refused with the same words.
 */
static void
test_strict_subset(void **state)
{
	static const char *const urls[] = {
		"http://127.0.0.1:8443/", "http://127.0.0.1",
		"https://api.openfish.me", "https://clob.polymarket.com/",
		"http://localhost:9000", "https://127.0.0.1:9443/api/",
		"https://127.0.0.1.evil.com/", "https://a-b.c-d.example:1/x_y~z",
		"http://127.0.0.1.evil.com/", "http://localhost.evil.com",
		"http://localhost./", "http://127.0.0.10/", "http://LOCALHOST/",
		"https://h:0/", "https://h:65536/", "https://h:08/",
		"https://h./", "https://-h/", "https://h-/", "https://a..b/",
		"https://h/%2e", "https://h/a;b", "https:///h", "https://:1/",
		"ftp://x", "x", "https://h:443:1/", "https://[::1]/",
		"https://user@h/", "https://h/?q", "https://h/#f",
		"https://535", "https://0x7f.1/", "https://2130706433/",
		"https://127.0.0.01/", "https://1.2.3.4/", "https://1.example/",
		"https://example.1/", "https://1-2.3/", "https://256.1.1.1/",
		"https://3com/", "https://1password/", "https://8.8.8.8a/",
		"https://0x1f.1/", "https://0x/", "https://1.0xg/",
	};
	struct url_parts	p;
	char			why[160], host[300];
	size_t			i, n;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		if (url_check_strict(urls[i], why, sizeof(why)) != 0)
			continue;
		if (url_parse(urls[i], &p, why, sizeof(why)) != 0)
			fail_msg("strict admits %s, libcurl's reading does not",
			    urls[i]);
		n = strcspn(strstr(urls[i], "://") + 3, ":/");
		snprintf(host, sizeof(host), "%.*s", (int)n,
		    strstr(urls[i], "://") + 3);
		assert_string_equal(p.host, host);
	}
	assert_int_equal(url_check_strict("https://a-b.c-d.example:1/x_y~z",
	    why, sizeof(why)), 0);
	/* names whose labels start with digits, as libcurl reads them */
	assert_int_equal(url_check_strict("https://3com/", why, sizeof(why)),
	    0);
	assert_int_equal(url_check_strict("https://1password.1x/", why,
	    sizeof(why)), 0);
	assert_int_equal(url_check_strict("https://0x1f.1/", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_int_equal(url_check_strict("http://127.0.0.1:8443/", why,
	    sizeof(why)), 0);
	assert_int_equal(url_check_strict("http://localhost./", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_string_equal(why, URL_WHY_HTTPS);
	assert_int_equal(url_check_strict("http://127.0.0.1.evil.com/", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_string_equal(why, URL_WHY_HTTPS);
	assert_int_equal(url_check_strict("http://localhost.evil.com", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_string_equal(why, URL_WHY_HTTPS);
	assert_int_equal(url_check_strict("https://h:65536/", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_string_equal(why, "the URL's port must be 1 to 65535");
	assert_int_equal(url_check_strict("https://h/%2e", why, sizeof(why)),
	    CV_ERR_INVALID);
	/* numbers only: an IPv4 address as libcurl writes it, or refused */
	assert_int_equal(url_check_strict("https://1.2.3.4/", why,
	    sizeof(why)), 0);
	assert_int_equal(url_check_strict("https://1.example/", why,
	    sizeof(why)), 0);
	assert_int_equal(url_check_strict("https://535", why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_int_equal(url_check_strict("https://127.0.0.01/", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_int_equal(url_check_strict("https://0x7f.1/", why,
	    sizeof(why)), CV_ERR_INVALID);
	assert_int_equal(url_check_strict("https://1.2.3.4.5/", why,
	    sizeof(why)), CV_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admitted),
		cmocka_unit_test(test_strict_subset),
		cmocka_unit_test(test_remote_http),
		cmocka_unit_test(test_parts_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
