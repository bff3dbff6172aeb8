/*
 * netd against answers the test exchange never gives: a small HTTP
 * server in this process answers each connection with the next canned
 * response.  Malformed bodies, oversized ones, credentials that are not
 * what they claim, the older shapes the official SDKs still read, error
 * bodies that are not JSON or that quote a secret.  The test plays
 * vaultd as in test_it_netd.c (tests/it_netd.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "tests/it_netd.h"

#define CANNED_MAX	8
#define SECRET_B64	"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw=="
#define SECRET_URL	"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw"

/* The server: answers[i] to the i-th connection, then closes it. */
static struct {
	pthread_t	 th;
	int		 fd;
	int		 port;
	char		 url[64];
	char		*answers[CANNED_MAX];
	size_t		 n, next;
	int		 conns;
	char		 lines[CANNED_MAX][256];	/* request lines */
	pthread_mutex_t	 lock;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
srv_serve(int c)
{
	char	 buf[8192], *e, *cl;
	size_t	 len = 0, want = 0;
	ssize_t	 n;
	char	*ans = NULL;

	/* The head, then the body the Content-Length announces. */
	for (;;) {
		if ((n = read(c, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		if ((e = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	if ((cl = strcasestr(buf, "\r\nContent-Length: ")) != NULL && cl < e)
		want = strtoul(cl + 18, NULL, 10);
	while (len - (size_t)(e + 4 - buf) < want &&
	    (n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	pthread_mutex_lock(&srv.lock);
	if (srv.conns < CANNED_MAX)
		snprintf(srv.lines[srv.conns], sizeof(srv.lines[0]), "%.*s",
		    (int)strcspn(buf, "\r\n"), buf);
	srv.conns++;
	if (srv.next < srv.n)
		ans = srv.answers[srv.next++];
	pthread_mutex_unlock(&srv.lock);
	if (ans != NULL)
		(void)!send(c, ans, strlen(ans), MSG_NOSIGNAL);
}

static void *
srv_main(void *arg)
{
	int	c;

	for (;;) {
		if ((c = accept(srv.fd, NULL, NULL)) == -1)
			return NULL;
		srv_serve(c);
		close(c);
	}
}

static int
srv_start(void)
{
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);

	if ((srv.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(srv.fd, 16) == -1 ||
	    getsockname(srv.fd, (struct sockaddr *)&sin, &slen) == -1)
		return -1;
	srv.port = ntohs(sin.sin_port);
	snprintf(srv.url, sizeof(srv.url), "http://127.0.0.1:%d", srv.port);
	return pthread_create(&srv.th, NULL, srv_main, NULL) == 0 ? 0 : -1;
}

/* Forget the last answers; queue these (NULL-terminated). */
static void
canned(const char *first, ...)
{
	const char	*s;
	va_list		 ap;
	size_t		 i;

	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.n; i++)
		free(srv.answers[i]);
	srv.n = srv.next = 0;
	srv.conns = 0;
	va_start(ap, first);
	for (s = first; s != NULL && srv.n < CANNED_MAX;
	    s = va_arg(ap, const char *))
		assert_non_null(srv.answers[srv.n++] = strdup(s));
	va_end(ap);
	pthread_mutex_unlock(&srv.lock);
}

/* A whole HTTP answer with a JSON body. */
static char *
http(const char *status, const char *body)
{
	static char	buf[4][4096];
	static int	k;
	char		*b = buf[k++ % 4];

	snprintf(b, sizeof(buf[0]), "HTTP/1.1 %s\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "\r\n%s", status, strlen(body), body);
	return b;
}

/*
 * An answer of len bytes: body, then blanks (JSON allows them), with or
 * without a Content-Length.
 */
static char *
padded_answer(int announce, const char *body, size_t len)
{
	size_t	 h, bl = strlen(body);
	char	*b;

	assert_true(bl <= len);
	assert_non_null(b = malloc(len + 256));
	if (announce)
		h = (size_t)snprintf(b, 256, "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
	else
		h = (size_t)snprintf(b, 256, "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n\r\n");
	memcpy(b + h, body, bl);
	memset(b + h + bl, ' ', len - bl);
	b[h + len] = '\0';
	return b;
}

/* 300 KiB of blanks, with or without a Content-Length. */
static void
big_answer(int announce, char **out)
{
	*out = padded_answer(announce, "", 300 * 1024);
}

static struct nd	 n;
static struct ndvault	 v;

static int
group_setup(void **state)
{
	if (sodium_init() < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	ndvault_init(&v, "polymarket", TXT_SK1);
	/* A key the server never checks: netd signs, we do not verify. */
	snprintf(v.key, sizeof(v.key), "k-fake");
	snprintf(v.secret, sizeof(v.secret), "%s", SECRET_B64);
	snprintf(v.pass, sizeof(v.pass), "pass-phrase-of-the-vault-0123");
	ndvault_secret(&v, SECRET_B64);
	ndvault_secret(&v, SECRET_URL);
	ndvault_secret(&v, v.pass);
	if (srv_start() != 0 || nd_start(&n, NULL, NULL) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	nd_cleanup(&n);
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	secp_ctx_free(txt_secp);
	return 0;
}

static void
call(const char *name, const char *const *params, struct ndans *a)
{
	nd_call(&n, &v, srv.url, name, params, a);
	nd_no_secret(&v, a);
}

static void
expect_raw(const struct ndans *a, uint64_t status, const char *raw)
{
	if (a->err != 0 || a->status != status ||
	    strcmp(a->raw != NULL ? a->raw : "", raw) != 0)
		fprintf(stderr, "got err %d (%s), status %llu %s\n", a->err,
		    a->text, (unsigned long long)a->status,
		    a->raw ? a->raw : "");
	assert_int_equal(a->err, 0);
	assert_int_equal(a->status, status);
	assert_string_equal(a->raw, raw);
}

static void
test_malformed(void **state)
{
	static const char *const p0[] = { "nonce", "0", NULL };
	struct ndans	 a;
	char		 want[512], *big;

	canned(http("200 OK", "{\"time\": 17"), NULL);
	call("time", NULL, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to GET "
	    "/time is not JSON (fault at line 1, column 11)", srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	assert_string_equal(a.text, want);
	ndans_free(&a);
	canned(http("200 OK", ""), NULL);
	call("time", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "to GET /time is empty");
	ndans_free(&a);
	canned(http("200 OK", "{\"time\":\"soon\"}"), NULL);
	call("time", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "to GET /time is not a time");
	ndans_free(&a);
	canned(http("200 OK", "{\"closed_only\":\"no\"}"), NULL);
	call("closed-only", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "has no closed_only");
	ndans_free(&a);
	canned(http("200 OK", "{\"a\":1,\"a\":2}"), NULL);
	call("apikey.list", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "is not JSON");
	ndans_free(&a);

	/* Over the cap: announced, or only streamed until the close. */
	big_answer(1, &big);
	canned(big, NULL);
	call("time", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "is over 262144 bytes");
	ndans_free(&a);
	free(big);
	big_answer(0, &big);
	canned(big, NULL);
	call("time", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "is over 262144 bytes");
	ndans_free(&a);
	free(big);

	/* A create answer that is not a credential: never its bytes. */
	canned(http("200 OK", "{\"apiKey\":\"k-1\",\"secret\":\"" SECRET_B64
	    "\"}"), NULL);
	call("apikey.create", p0, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to POST "
	    "/auth/api-key has no passphrase: the API key may have been "
	    "created: run `vaultctl apikey derive --account acct --nonce 0`",
	    srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	assert_string_equal(a.text, want);
	ndans_free(&a);
	canned(http("200 OK", "{\"apiKey\":\"k 1\",\"secret\":\"" SECRET_B64
	    "\",\"passphrase\":\"p\"}"), NULL);
	call("apikey.derive", p0, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE,
	    "has an apiKey that is not a key id");
	ndans_free(&a);
	canned(http("200 OK", "{\"apiKey\":\"k-1\",\"secret\":\"!!not-base64"
	    "!!\",\"passphrase\":\"p\"}"), NULL);
	call("apikey.derive", p0, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "has a secret that is not base64");
	assert_null(strstr(a.text, "not-base64!!"));
	ndans_free(&a);
	canned(http("200 OK", "{\"apiKey\":\"k-1\",\"secret\":\"" SECRET_B64
	    "\",\"passphrase\":\"two words\"}"), NULL);
	call("apikey.derive", p0, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE,
	    "has a passphrase that is not 1-160 printable characters");
	assert_null(strstr(a.text, "two words"));
	ndans_free(&a);
	canned("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\nConnection: "
	    "close\r\n\r\n", NULL);
	call("time", NULL, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "with HTTP status 999");
	ndans_free(&a);
}

/*
 * netd's answer buffer starts small and grows: an answer of exactly the
 * cap, announced or streamed in pieces, arrives whole; one byte more is
 * refused; a small answer after a large one still arrives.
 */
static void
test_large(void **state)
{
	struct ndans	 a;
	char		*big;
	int		 announce;

	for (announce = 0; announce < 2; announce++) {
		big = padded_answer(announce, "\"1700000000\"", 256 * 1024);
		canned(big, NULL);
		call("time", NULL, &a);
		expect_raw(&a, 200, "{\"time\":1700000000}");
		ndans_free(&a);
		free(big);
		big = padded_answer(announce, "\"1700000001\"",
		    256 * 1024 + 1);
		canned(big, NULL);
		call("time", NULL, &a);
		nd_expect_error(&a, CV_ERR_RESPONSE, "is over 262144 bytes");
		ndans_free(&a);
		free(big);
		canned(http("200 OK", "\"1700000002\""), NULL);
		call("time", NULL, &a);
		expect_raw(&a, 200, "{\"time\":1700000002}");
		ndans_free(&a);
	}
}

/*
 * An answer's headers are bounded as its body is: 64 KiB of them, the
 * interim answers' included, and no more.  One past that is refused
 * as too large, once: not taken for a dropped connection and asked
 * again (libcurl's own bound, 300 KiB, fails as a receive error).
 */
static void
test_large_headers(void **state)
{
	static const char *const email[] = { "email", "a@b.example", NULL };
	struct ndans	 a;
	char		*b, want[512];
	size_t		 o, i;

	assert_non_null(b = malloc(256 * 1024));
	/* 63 KiB of headers in all: taken */
	o = (size_t)snprintf(b, 64, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 630; i++)
		o += (size_t)snprintf(b + o, 128, "X-Pad-%03zu: %090d\r\n", i,
		    0);
	o += (size_t)snprintf(b + o, 128, "Content-Length: 12\r\n"
	    "Connection: close\r\n\r\n\"1700000003\"");
	canned(b, NULL);
	call("time", NULL, &a);
	expect_raw(&a, 200, "{\"time\":1700000003}");
	ndans_free(&a);
	/* 100 KiB of them: refused once, not asked again */
	o = (size_t)snprintf(b, 64, "HTTP/1.1 200 OK\r\n");
	for (i = 0; i < 1000; i++)
		o += (size_t)snprintf(b + o, 128, "X-Pad-%03zu: %090d\r\n", i,
		    0);
	o += (size_t)snprintf(b + o, 128, "Content-Length: 12\r\n"
	    "Connection: close\r\n\r\n\"1700000004\"");
	canned(b, b, b, b, NULL);
	call("time", NULL, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to GET "
	    "/time has over 65536 bytes of headers", srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	assert_string_equal(a.text, want);
	ndans_free(&a);
	assert_int_equal(srv.conns, 1);
	/* as many in 1xx interim answers; a POST says what may be done */
	o = 0;
	for (i = 0; i < 4000; i++)
		o += (size_t)snprintf(b + o, 64, "HTTP/1.1 100 Continue\r\n"
		    "\r\n");
	o += (size_t)snprintf(b + o, 128, "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
	canned(b, NULL);
	call("waitlist.join", email, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to POST "
	    "/waitlist has over 65536 bytes of headers: the exchange may "
	    "have taken the address on its waitlist", srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	assert_string_equal(a.text, want);
	ndans_free(&a);
	assert_int_equal(srv.conns, 1);
	free(b);
}

static void
test_tolerant(void **state)
{
	static const char *const p4[] = { "nonce", "4", NULL };
	static const char *const coll[] = { "asset_type", "COLLATERAL", NULL };
	struct ndans	a;
	struct ndvault	saved = v;

	/* "key" for "apiKey", base64url without padding. */
	canned(http("200 OK", "{\"key\":\"k-2\",\"secret\":\"" SECRET_URL
	    "\",\"passphrase\":\"pp-2\",\"extra\":[1]}"), NULL);
	call("apikey.derive", p4, &a);
	expect_raw(&a, 200, "{\"apiKey\":\"k-2\",\"nonce\":4,\"created\":"
	    "false}");
	assert_int_equal(a.effect, NETCALL_STORE);
	assert_int_equal(a.nonce, 4);
	assert_string_equal(v.secret, SECRET_URL);
	assert_string_equal(v.pass, "pp-2");
	ndans_free(&a);
	v = saved;		/* back to the key the tests sign with */
	ndvault_secret(&v, "pp-2");
	/* Older builder lists: a bare array of {key, createdAt, revokedAt}. */
	canned(http("200 OK", "[{\"key\":\"b-1\",\"createdAt\":\"2024-01-02T"
	    "03:04:05Z\",\"revokedAt\":null},{\"key\":\"b-2\",\"createdAt\":"
	    "1700000000,\"revokedAt\":\"2024-02-01T00:00:00Z\"}]"), NULL);
	call("builder.list", NULL, &a);
	expect_raw(&a, 200, "{\"apiKeys\":[{\"apiKey\":\"b-1\",\"createdAt\":"
	    "\"2024-01-02T03:04:05Z\"},{\"apiKey\":\"b-2\",\"createdAt\":"
	    "1700000000,\"revokedAt\":\"2024-02-01T00:00:00Z\"}]}");
	ndans_free(&a);
	/* Balances as numbers. */
	canned(http("200 OK", "{\"balance\":1500000,\"allowances\":{\"0xab\":"
	    "2.5,\"0xcd\":\"7\"}}"), NULL);
	call("balance", coll, &a);
	expect_raw(&a, 200, "{\"balance\":\"1500000\",\"allowances\":{"
	    "\"0xab\":\"2.5\",\"0xcd\":\"7\"}}");
	ndans_free(&a);
	canned(http("200 OK", "{\"balance\":\"12\",\"net_usdc_taker\":3,"
	    "\"net_usdc_maker\":\"4\"}"), NULL);
	call("balance.update", coll, &a);
	expect_raw(&a, 200, "{\"balance\":\"12\",\"net_usdc_taker\":\"3\","
	    "\"net_usdc_maker\":\"4\"}");
	ndans_free(&a);
	/* Empty, null and "" bodies on deletes. */
	canned(http("200 OK", ""), NULL);
	call("apikey.delete", NULL, &a);
	expect_raw(&a, 200, "{\"deleted\":\"k-fake\"}");
	assert_int_equal(a.effect, NETCALL_REMOVE);
	assert_string_equal(a.keyid, "k-fake");
	ndans_free(&a);
	canned(http("200 OK", "null"), NULL);
	call("notifications.drop", NULL, &a);
	expect_raw(&a, 200, "{\"dropped\":\"all\"}");
	ndans_free(&a);
	canned(http("200 OK", "\"\""), NULL);
	call("apikey.delete", NULL, &a);
	expect_raw(&a, 200, "{\"deleted\":\"k-fake\"}");
	ndans_free(&a);
	/* The time as text; a list of keys as objects. */
	canned(http("200 OK", "\"1700000000\""), NULL);
	call("time", NULL, &a);
	expect_raw(&a, 200, "{\"time\":1700000000}");
	ndans_free(&a);
	canned(http("200 OK", "{\"apiKeys\":[{\"apiKey\":\"a-1\"},\"a-2\"]}"),
	    NULL);
	call("apikey.list", NULL, &a);
	expect_raw(&a, 200, "{\"apiKeys\":[\"a-1\",\"a-2\"]}");
	ndans_free(&a);
	/*
	 * Key ids that would rewrite a terminal (a rotation prints the
	 * ones the vault does not hold): printable, each other byte a '?'.
	 */
	canned(http("200 OK", "{\"apiKeys\":[\"a-1\",\"\\u001b[2J\\r"
	    "a-3\\u00e9\"]}"), NULL);
	call("apikey.list", NULL, &a);
	expect_raw(&a, 200, "{\"apiKeys\":[\"a-1\",\"?[2J?a-3??\"]}");
	ndans_free(&a);
	canned(http("200 OK", "[{\"apiKey\":\"b-1\\u001b]0;x\\u0007\","
	    "\"builderId\":\"bid\\n\",\"createdAt\":1700000000}]"), NULL);
	call("builder.list", NULL, &a);
	expect_raw(&a, 200, "{\"apiKeys\":[{\"apiKey\":\"b-1?]0;x?\","
	    "\"builderId\":\"bid?\",\"createdAt\":1700000000}]}");
	ndans_free(&a);
}

static void
test_refusals(void **state)
{
	static const char *const p0[] = { "nonce", "0", NULL };
	static const char *const email[] = { "email", "a@b.example", NULL };
	struct ndans	a;
	char		body[256];

	/* Not JSON: the status line says it; a POST is not retried. */
	canned("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
	    "Content-Length: 19\r\nConnection: close\r\n\r\n<html>oops</html>\r\n",
	    http("200 OK", "{}"), NULL);
	call("waitlist.join", email, &a);
	nd_expect_refusal(&a, 502, "502 Bad Gateway",
	    "the exchange failed: try again later");
	ndans_free(&a);
	assert_int_equal(srv.conns, 1);
	assert_string_equal(srv.lines[0], "POST /waitlist HTTP/1.1");
	/* A GET is: Retry-After honoured (1 s). */
	canned("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n",
	    http("200 OK", "1700000001"), NULL);
	call("time", NULL, &a);
	expect_raw(&a, 200, "{\"time\":1700000001}");
	assert_true(a.ms >= 950);
	ndans_free(&a);
	assert_int_equal(srv.conns, 2);
	/* An error text that quotes the passphrase sent is withheld. */
	snprintf(body, sizeof(body), "{\"error\":\"bad passphrase %s\"}",
	    v.pass);
	canned(http("400 Bad Request", body), NULL);
	call("apikey.list", NULL, &a);
	nd_expect_refusal(&a, 400, "HTTP 400 (the exchange's text is "
	    "withheld: it quotes a secret)", NULL);
	ndans_free(&a);
	/* ... and so is one that quotes a part of it */
	snprintf(body, sizeof(body), "{\"error\":\"passphrase %.10s...\"}",
	    v.pass + 3);
	canned(http("400 Bad Request", body), NULL);
	call("apikey.list", NULL, &a);
	nd_expect_refusal(&a, 400, "HTTP 400 (the exchange's text is "
	    "withheld: it quotes a secret)", NULL);
	ndans_free(&a);
	/* Other error shapes. */
	canned(http("403 Forbidden", "{\"code\":\"X\",\"description\":"
	    "\"no\\u0001way\"}"), NULL);
	call("closed-only", NULL, &a);
	nd_expect_refusal(&a, 403, "no?way", NULL);
	ndans_free(&a);
	/* create-or-derive: both refused, both said. */
	canned(http("400 Bad Request", "{\"error\":\"Could not create api "
	    "key\"}"), http("404 Not Found", "{\"error\":\"API key not "
	    "found\"}"), NULL);
	call("apikey.create-or-derive", p0, &a);
	nd_expect_refusal(&a, 404, "create: Could not create api key; derive: "
	    "API key not found", "the exchange neither created nor has an "
	    "API key for nonce 0");
	ndans_free(&a);
	assert_int_equal(srv.conns, 2);
	assert_string_equal(srv.lines[0], "POST /auth/api-key HTTP/1.1");
	assert_string_equal(srv.lines[1], "GET /auth/derive-api-key HTTP/1.1");
	/* A 401, then GET /time an hour ahead: the clock is named. */
	snprintf(body, sizeof(body), "%lld", (long long)txt_now() + 3600);
	canned(http("401 Unauthorized", "{\"error\":\"Unauthorized/Invalid "
	    "api key\"}"), http("200 OK", body), NULL);
	call("apikey.list", NULL, &a);
	nd_expect_refusal(&a, 401, "Unauthorized/Invalid api key",
	    "fix this host's clock (NTP)");
	assert_true(strstr(nd_str(&a, "hint"), "is 3600 s behind") != NULL ||
	    strstr(nd_str(&a, "hint"), "is 3599 s behind") != NULL ||
	    strstr(nd_str(&a, "hint"), "is 3601 s behind") != NULL);
	ndans_free(&a);
	assert_string_equal(srv.lines[1], "GET /time HTTP/1.1");
	/* ... and when /time fails, the 401 with its own hint. */
	canned(http("401 Unauthorized", "{\"error\":\"nope\"}"),
	    http("500 Oops", "{}"), NULL);
	call("apikey.list", NULL, &a);
	nd_expect_refusal(&a, 401, "nope", "does not accept this API key");
	ndans_free(&a);
}

/*
 * Omnia: a create's or a rotation's answer is a key id, a secret and
 * (create) permissions, which signerd stores only if each is what it
 * should be.  One that is not is a malformed answer (vaultctl exit 11)
 * that says what may have happened, never sealed for the vault.
 */
static void
test_omnia(void **state)
{
	static const char *const rot[] = { "key", "okey-1", NULL };
	static const char *const mk[] = { "label", "bot", "permissions",
	    "trade,read", NULL };
	struct ndvault	 o;
	struct ndans	 a;
	char		 tok[256], pl[64], b64[128], want[512], body[512];

	ndvault_init(&o, "omnia", TXT_SK1);
	snprintf(o.key, sizeof(o.key), "okey-1");
	snprintf(o.secret, sizeof(o.secret), "omnia-old-secret-0123456789");
	ndvault_secret(&o, o.secret);
	snprintf(pl, sizeof(pl), "{\"exp\":%lld}",
	    (long long)txt_now() + 3600);
	sodium_bin2base64(b64, sizeof(b64), (const uint8_t *)pl, strlen(pl),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(tok, sizeof(tok), "{\"token\":\"eyJhbGciOiJSUzI1NiJ9.%s."
	    "c2ln\"}", b64);

	/* the token first (then kept); a secret with a space */
	canned(http("200 OK", tok), http("200 OK", "{\"apiKeyId\":\"okey-1\","
	    "\"apiKeySecret\":\"omnia new secret\"}"), NULL);
	nd_call(&n, &o, srv.url, "apikey.rotate", rot, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to POST "
	    "/v3/api-keys/*/rotate has an apiKeySecret that is not 1-256 "
	    "printable characters without spaces: the key may have been "
	    "rotated, its new secret unknown to the vault: if its calls are "
	    "refused, make a replacement with another key (apikey use, "
	    "apikey create) or import one", srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	assert_string_equal(a.text, want);
	assert_null(strstr(a.text, "omnia new secret"));
	ndans_free(&a);
	assert_int_equal(srv.conns, 2);
	assert_string_equal(srv.lines[0], "POST /v3/auth/token HTTP/1.1");
	assert_string_equal(srv.lines[1],
	    "POST /v3/api-keys/okey-1/rotate HTTP/1.1");
	/* longer than a secret the vault takes */
	snprintf(body, sizeof(body), "{\"apiKeyId\":\"okey-1\","
	    "\"apiKeySecret\":\"%0257d\"}", 7);
	canned(http("200 OK", body), NULL);
	nd_call(&n, &o, srv.url, "apikey.rotate", rot, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "has an apiKeySecret that is "
	    "not 1-256 printable characters without spaces");
	ndans_free(&a);
	/* a key id that is not one */
	canned(http("200 OK", "{\"apiKeyId\":\"okey 1\",\"apiKeySecret\":"
	    "\"omnia-new-secret\"}"), NULL);
	nd_call(&n, &o, srv.url, "apikey.rotate", rot, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "has an apiKeyId that is not a "
	    "key id");
	ndans_free(&a);
	/* a create's permissions (its token is the active key's) */
	canned(http("200 OK", tok), http("201 Created", "{\"apiKeyId\":"
	    "\"okey-2\",\"apiKeySecret\":\"omnia-secret-two\",\"label\":"
	    "\"bot\",\"permissions\":[\"Trade\"]}"), NULL);
	nd_call(&n, &o, srv.url, "apikey.create", mk, &a);
	snprintf(want, sizeof(want), "the answer of 127.0.0.1:%d to POST "
	    "/v3/api-keys has permissions that are not distinct names of a-z "
	    "0-9 : . _ -: the API key may have been created, its secret "
	    "unknown to the vault", srv.port);
	nd_expect_error(&a, CV_ERR_RESPONSE, want);
	ndans_free(&a);
	canned(http("201 Created", "{\"apiKeyId\":\"okey-2\","
	    "\"apiKeySecret\":\"omnia-secret-two\",\"label\":\"bot\","
	    "\"permissions\":[\"trade,read\"]}"), NULL);
	nd_call(&n, &o, srv.url, "apikey.create", mk, &a);
	nd_expect_error(&a, CV_ERR_RESPONSE, "has permissions that are not "
	    "distinct names");
	ndans_free(&a);
	/* as they should be: sealed whole */
	canned(http("201 Created", "{\"apiKeyId\":\"okey-2\","
	    "\"apiKeySecret\":\"omnia-secret-two\",\"label\":\"bot\","
	    "\"permissions\":[\"trade\",\"read\"]}"), NULL);
	nd_call(&n, &o, srv.url, "apikey.create", mk, &a);
	expect_raw(&a, 201, "{\"apiKeyId\":\"okey-2\",\"label\":\"bot\","
	    "\"permissions\":[\"trade\",\"read\"]}");
	assert_int_equal(a.effect, NETCALL_STORE);
	assert_string_equal(o.secret, "omnia-secret-two");
	assert_string_equal(o.pass, "trade,read");
	ndans_free(&a);
	snprintf(o.key, sizeof(o.key), "okey-1");
	canned(http("200 OK", "{\"apiKeyId\":\"okey-1\",\"apiKeySecret\":"
	    "\"omnia-new-secret-9876543210\",\"permissions\":[\"all\"]}"),
	    NULL);
	nd_call(&n, &o, srv.url, "apikey.rotate", rot, &a);
	expect_raw(&a, 200, "{\"apiKeyId\":\"okey-1\",\"rotated\":true}");
	assert_int_equal(a.effect, NETCALL_STORE | NETCALL_REPLACE);
	assert_string_equal(a.keyid, "okey-1");
	assert_string_equal(o.secret, "omnia-new-secret-9876543210");
	assert_string_equal(o.pass, "");
	ndans_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_large_headers),
		cmocka_unit_test(test_tolerant),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_omnia),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
