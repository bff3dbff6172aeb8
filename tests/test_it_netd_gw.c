/*
 * netd's gateway: a real netd serving the Unix and TCP sockets vaultd
 * would pass (-G), the test playing vaultd (tests/it_netd_gw.h) and a
 * bot, with the test exchange and an echo exchange as the upstream.
 * netd's own routes, requests forwarded byte for byte (targets with
 * %2F and queries, the client's credentials to vaultd and never
 * upstream, vaultd's headers and replaced bodies upstream, the
 * exchange's status, headers and body back), vaultd's refusals, the
 * refusals netd makes alone, neg-risk learnt from the exchange's
 * answers, many requests in flight at once on kept-alive connections,
 * the exchange failing or slow, HTTPS with the account's CA and pin,
 * vaultd going away, the bound on requests waiting for vaultd, a bot
 * going away and vaultd not answering in time while vaultd has the
 * request, and the sandbox.  Every test's teardown ends what it started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "tests/it_netd_gw.h"

#define CLIENT_KEY	"POLY_API_KEY: 11111111-2222-3333-4444-555555555555"
#define CLIENT_PASS	"POLY_PASSPHRASE: client-passphrase"
#define CLIENT_SIG	"POLY_SIGNATURE: c2lnbmF0dXJlLW9mLXRoZS1ib3Q="
#define CLIENT_TS	"POLY_TIMESTAMP: 1700000000"
#define CLIENT_ADDR	"POLY_ADDRESS: 0x00000000000000000000000000000000" \
			"00000001"

/*
 * What a test started, so that its teardown ends it even when an
 * assertion jumped out of the test: no process outlives the program.
 */
static struct {
	struct txt	*t;
	struct gws	*s;
	struct nd	*n;
	struct fv	*f;
	struct echo	*e;
} cur;

/* A gateway socket, netd serving it (a1, a2) and a fake vaultd, in cur. */
static void
gw_up(struct gws *s, struct nd *n, struct fv *f, const char *a1,
    const char *a2)
{
	cur.s = s;
	assert_int_equal(gws_open(s), 0);
	cur.n = n;
	assert_int_equal(nd_start_gw(n, s, a1, a2), 0);
	cur.f = f;
	fv_start(f, n);
}

static int
teardown(void **state)
{
	if (cur.f != NULL && cur.f->started)
		fv_stop(cur.f);
	if (cur.n != NULL)
		nd_cleanup(cur.n);
	if (cur.s != NULL)
		gws_close(cur.s);
	if (cur.t != NULL)
		txt_cleanup(cur.t);
	if (cur.e != NULL && cur.e->d != NULL)
		echo_stop(cur.e);
	memset(&cur, 0, sizeof(cur));
	return 0;
}

static int
fv_ngw(struct fv *f)
{
	int	n;

	fv_lock(f);
	n = f->ngw;
	fv_unlock(f);
	return n;
}

/* netd's own routes, on both sockets. */
static void
test_local(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	int		 tcp;

	gw_up(&s, &n, &f, NULL, NULL);
	for (tcp = 0; tcp < 2; tcp++) {
		assert_int_equal(gw_req(&s, tcp, "GET", "/healthz", NULL, NULL,
		    0, &r), 0);
		gw_expect(&r, 200, "ok\n");
		assert_true(gwres_has(&r,
		    "Content-Type: text/plain; charset=utf-8"));
		gwres_free(&r);
	}
	/* Another method: 405, and vaultd is never asked. */
	assert_int_equal(gw_req(&s, 0, "POST", "/healthz", NULL, "x", 1, &r),
	    0);
	gw_expect(&r, 405, "{\"error\":\"gateway: only GET here\"}");
	assert_true(gwres_has(&r, "Allow: GET"));
	gwres_free(&r);

	/* /readyz: vaultd's word. */
	assert_int_equal(gw_req(&s, 1, "GET", "/readyz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, "ready\n");
	gwres_free(&r);
	fv_lock(&f);
	assert_int_equal(f.ninfo, 1);
	assert_string_equal(f.last.kind, "ready");
	f.ready = 0;
	snprintf(f.readytext, sizeof(f.readytext), "the vault is locked");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/readyz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 503, "the vault is locked\n");
	gwres_free(&r);

	/* /metrics: vaultd's text, then netd's. */
	fv_lock(&f);
	snprintf(f.metrics, sizeof(f.metrics), "# TYPE clobvault_up gauge\n"
	    "clobvault_up 1");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/metrics", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, NULL);
	assert_true(gwres_has(&r, "Content-Type: text/plain; version=0.0.4"));
	assert_true(strncmp(r.body, "# TYPE clobvault_up gauge\n"
	    "clobvault_up 1\n# HELP clobvault_gateway_requests_total ", 80) ==
	    0);
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_requests_total{code=\"200\"} 3\n"));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_requests_total{code=\"405\"} 1\n"));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_requests_total{code=\"503\"} 1\n"));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_request_seconds_bucket{le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_request_seconds_count 5\n"));
	assert_non_null(strstr(r.body,
	    "\n# TYPE clobvault_gateway_request_seconds histogram\n"));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_request_seconds_bucket{le=\"0.0005\"} "));
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_request_seconds_bucket{le=\"5\"} 5\n"));
	assert_non_null(strstr(r.body,
	    "\n# TYPE clobvault_gateway_upstream_responses_total counter\n"));
	assert_non_null(strstr(r.body, "\nclobvault_gateway_inflight 1\n"));
	gwres_free(&r);

	/*
	 * vaultd's "retry" (a netd whose sandbox it has not seen yet):
	 * /readyz is not ready, /metrics unavailable, each with its text.
	 */
	fv_lock(&f);
	f.info_code = CV_ERR_AGAIN;
	snprintf(f.info_text, sizeof(f.info_text), "netd's sandbox is not "
	    "seen yet; retry");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/readyz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 503, "netd's sandbox is not seen yet; retry\n");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "GET", "/metrics", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 503, "netd's sandbox is not seen yet; retry\n");
	gwres_free(&r);
	fv_ok(&f);
	assert_int_equal(fv_ngw(&f), 0);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
}


/* netd's read(2)s so far (syscr of /proc/PID/io), or -1: unreadable. */
static long long
nd_reads(const struct nd *n)
{
	char		 path[64], line[128];
	long long	 v = -1;
	FILE		*fp;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long)n->pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "syscr: %lld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

#define NIDLE	20

/*
 * Bots' requests netd answers alone, on both sockets: vaultd writes
 * nothing, so netd reads its channel not once.  A netd that read it
 * after every poll made a read(2) that found nothing at each loop turn.
 * (libmicrohttpd and libcurl receive with recv(2), which syscr does
 * not count.)
 */
static void
test_idle_channel(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	long long	 before, after;
	int		 i;

	gw_up(&s, &n, &f, NULL, NULL);
	/* the first request: whatever netd reads as it starts is done */
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	if ((before = nd_reads(&n)) == -1) {
		print_message("netd's /proc/PID/io is not readable here "
		    "(not root): skipped\n");
		skip();
	}
	for (i = 0; i < NIDLE; i++) {
		assert_int_equal(gw_req(&s, i & 1, "GET", "/healthz", NULL,
		    NULL, 0, &r), 0);
		gw_expect(&r, 200, "ok\n");
		gwres_free(&r);
	}
	after = nd_reads(&n);
	assert_int_equal(after - before, 0);
	fv_ok(&f);
	assert_int_equal(fv_ngw(&f), 0);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
}

/* The L2 headers of v for a request, as lines for libcurl. */
static struct curl_slist *
l2_lines(struct ndvault *v, const char *method, const char *path,
    const char *body)
{
	struct sign_headers	 h;
	struct sign_req		 req;
	struct curl_slist	*l = NULL;
	uint8_t			 key[CLOB_HMAC_KEY_MAX];
	size_t			 klen, i;
	char			 ts[24], line[700];

	memset(&h, 0, sizeof(h));
	memset(&req, 0, sizeof(req));
	snprintf(ts, sizeof(ts), "%lld", (long long)txt_now());
	req.account = "acct";
	req.level = CATALOG_L2;
	req.method = method;
	req.path = path;
	req.pathlen = strlen(path);
	req.body = body != NULL ? (const uint8_t *)body : NULL;
	req.bodylen = body != NULL ? strlen(body) : 0;
	req.timestamp = ts;
	assert_int_equal(clob_hmac_key_decode(v->secret, key, sizeof(key),
	    &klen), 0);
	assert_int_equal(sign_l2(v->prof, v->w.addr_text, v->key, key, klen,
	    v->pass, &req, &h), 0);
	for (i = 0; i < h.n; i++) {
		snprintf(line, sizeof(line), "%s: %s", h.h[i].name,
		    h.h[i].value);
		l = curl_slist_append(l, line);
	}
	sign_headers_clear(&h);
	return l;
}

/*
 * Through the test exchange: vaultd signs, the exchange verifies what
 * arrived; the bot's own credentials reach vaultd and never the exchange.
 */
static void
test_forward(void **state)
{
	static const char *const p0[] = { "nonce", "0", NULL };
	static const char *const client[] = { CLIENT_KEY, CLIENT_PASS,
	    CLIENT_SIG, CLIENT_TS, CLIENT_ADDR, "X-Bot-Other: 1", NULL };
	static const char *const plain[] = { NULL };
	const char	*target = "/balance-allowance?asset_type=COLLATERAL";
	const char	*enc = "/balance-allowance%2Fupdate?asset_type="
	    "COLLATERAL&x=%41";
	static struct txt	 t;
	static struct gws	 s;
	static struct nd	 n;
	struct ndvault	 v;
	struct ndans	 a;
	static struct fv	 f;
	struct gwres	 r;
	struct txr	 d;
	struct curl_slist *l;
	char		 want[512];

	ndvault_init(&v, "polymarket", TXT_SK1);
	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", NULL, NULL, NULL, NULL),
	    0);
	cur.s = &s;
	assert_int_equal(gws_open(&s), 0);
	cur.n = &n;
	assert_int_equal(nd_start_gw(&n, &s, NULL, NULL), 0);
	/* An API key, made by an exchange call as vaultd would ask. */
	nd_call(&n, &v, t.url, "apikey.create", p0, &a);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.status, 200);
	ndans_free(&a);
	cur.f = &f;
	fv_start(&f, &n);
	fv_set_forward(&f, t.url, NULL);
	fv_lock(&f);
	f.sign = &v;
	fv_unlock(&f);

	/* What the exchange answers the account directly ... */
	l = l2_lines(&v, "GET", target, NULL);
	assert_int_equal(txt_req(&t, "GET", target, l, NULL, &d), 0);
	curl_slist_free_all(l);
	assert_int_equal(d.status, 200);
	/* ... the bot gets byte for byte through the gateway. */
	assert_int_equal(gw_req(&s, 0, "GET", target, client, NULL, 0, &r), 0);
	gw_expect(&r, 200, d.body);
	assert_true(gwres_has(&r, "Content-Type: application/json"));
	gwres_free(&r);
	txr_free(&d);
	fv_lock(&f);
	assert_int_equal(f.ngw, 1);
	assert_string_equal(f.last.method, "GET");
	assert_string_equal(f.last.path, target);
	assert_int_equal(f.last.bodylen, 0);
	assert_string_equal(f.last.key, "11111111-2222-3333-4444-555555555555");
	assert_string_equal(f.last.pass, "client-passphrase");
	assert_string_equal(f.last.sig, "c2lnbmF0dXJlLW9mLXRoZS1ib3Q=");
	assert_string_equal(f.last.ts, "1700000000");
	assert_int_equal(f.last.neg, 2);
	assert_string_equal(f.last.prefix, "");
	fv_unlock(&f);
	/*
	 * Verified by the exchange, twice (direct, then the gateway's): had
	 * the bot's POLY_ headers gone along, each would be there twice.
	 */
	snprintf(want, sizeof(want), "\"target\":\"%s\",\"status\":200,"
	    "\"verdict\":\"ok\"", target);
	assert_int_equal(nd_txlog_count(&t, want), 2);
	/* a /@ACCOUNT prefix: named to vaultd, gone from the target */
	snprintf(want, sizeof(want), "/@main.1%s", target);
	assert_int_equal(gw_req(&s, 0, "GET", want, client, NULL, 0, &r), 0);
	gw_expect(&r, 200, NULL);
	gwres_free(&r);
	fv_lock(&f);
	assert_string_equal(f.last.path, target);
	assert_string_equal(f.last.prefix, "main.1");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/@main?x=1", client, NULL, 0,
	    &r), 0);
	gwres_free(&r);
	fv_lock(&f);
	assert_string_equal(f.last.path, "/?x=1");
	assert_string_equal(f.last.prefix, "main");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/@/x", client, NULL, 0, &r), 0);
	gw_expect(&r, 400, "{\"error\":\"gateway: /@ACCOUNT names an "
	    "account: 1 to 64 of A-Z a-z 0-9 . _ -\"}");
	gwres_free(&r);

	/* An encoded slash and a query: as sent, to vaultd and upstream. */
	assert_int_equal(gw_req(&s, 1, "GET", enc, client, NULL, 0, &r), 0);
	gw_expect(&r, 404, "{\"error\":\"not found\"}");
	gwres_free(&r);
	fv_lock(&f);
	assert_string_equal(f.last.path, enc);
	fv_unlock(&f);
	snprintf(want, sizeof(want), "\"target\":\"%s\",\"status\":404", enc);
	assert_int_equal(nd_txlog_count(&t, want), 1);

	/* An anonymous request: empty credentials; POLY_ADDRESS ignored. */
	fv_lock(&f);
	f.sign = NULL;
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/time", plain, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, NULL);
	gwres_free(&r);
	fv_lock(&f);
	assert_string_equal(f.last.key, "");
	assert_string_equal(f.last.pass, "");
	assert_string_equal(f.last.sig, "");
	assert_string_equal(f.last.ts, "");
	fv_unlock(&f);

	/* vaultd's body replaces the bot's: the exchange reads vaultd's. */
	assert_int_equal(gw_req(&s, 0, "POST", "/waitlist", NULL,
	    "{\"email\":\"bad\"}", 15, &r), 0);
	gw_expect(&r, 400, "{\"error\":\"invalid email\"}");
	gwres_free(&r);
	fv_lock(&f);
	f.replace = 1;
	snprintf(f.rbody, sizeof(f.rbody), "{\"email\":\"a@b.example\"}");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "POST", "/waitlist", NULL,
	    "{\"email\":\"bad\"}", 15, &r), 0);
	gw_expect(&r, 200, "{}");
	gwres_free(&r);
	fv_lock(&f);
	assert_string_equal((char *)f.last.body, "{\"email\":\"bad\"}");
	fv_unlock(&f);

	/* The exchange's 5xx is the bot's, and never retried. */
	nd_admin(&t, "faults", "{\"fail_next\":1,\"fail_status\":503}");
	assert_int_equal(gw_req(&s, 0, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 503, "{\"error\":\"injected failure\"}");
	gwres_free(&r);
	assert_int_equal(nd_txlog_count(&t, "fault:5xx"), 1);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
}

/* Exactly what goes upstream and what comes back (the echo exchange). */
static void
test_echo(void **state)
{
	static const char *const vhdrs[] = { "POLY_API_KEY", "vault-key",
	    "POLY_SIGNATURE", "vault-signature", "X-Made-Up", "by vaultd",
	    NULL };
	static const char *const client[] = { CLIENT_KEY, CLIENT_PASS,
	    CLIENT_SIG, CLIENT_TS, "Content-Type: application/json",
	    "Accept: application/json", "User-Agent: bot/1.0",
	    "X-Bot-Other: secret", "Cookie: c=1", NULL };
	static const char *const bare[] = { "Accept:", "Expect:",
	    "Content-Type:", NULL };
	const char	*body = "{\"order\":{\"tokenId\":\"1\"}}";
	static struct echo	 e;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	char		 want[2048];

	cur.e = &e;
	assert_int_equal(echo_start(&e), 0);
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_forward(&f, e.url, vhdrs);

	assert_int_equal(gw_req(&s, 1, "POST", "/order?status=201", client,
	    body, strlen(body), &r), 0);
	snprintf(want, sizeof(want), "POST /order?status=201\n%s", body);
	gw_expect(&r, 201, want);
	/* The exchange's headers, but not its hop-by-hop ones. */
	assert_true(gwres_has(&r, "X-Echo: yes"));
	assert_true(gwres_has(&r, "Set-Cookie: a=1"));
	assert_true(gwres_has(&r, "Set-Cookie: b=2"));
	assert_true(gwres_has(&r, "Content-Type: text/x-echo"));
	assert_null(strcasestr(r.hdrs, "keep-alive"));
	gwres_free(&r);
	pthread_mutex_lock(&e.lock);
	snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\n"
	    "POLY_API_KEY: vault-key\n"
	    "POLY_SIGNATURE: vault-signature\n"
	    "X-Made-Up: by vaultd\n"
	    "Content-Type: application/json\n"
	    "Accept: application/json\n"
	    "User-Agent: bot/1.0\n"
	    "Content-Length: %zu\n", e.port, strlen(body));
	assert_string_equal(e.hdrs, want);
	assert_string_equal(e.target, "/order?status=201");
	assert_string_equal((char *)e.body, body);
	pthread_mutex_unlock(&e.lock);

	/* vaultd's body goes instead of the bot's; a JSON type by default. */
	fv_lock(&f);
	f.replace = 1;
	snprintf(f.rbody, sizeof(f.rbody), "{\"order\":{\"signed\":true}}");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "POST", "/order", bare, body,
	    strlen(body), &r), 0);
	gw_expect(&r, 200, "POST /order\n{\"order\":{\"signed\":true}}");
	gwres_free(&r);
	pthread_mutex_lock(&e.lock);
	snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\n"
	    "POLY_API_KEY: vault-key\n"
	    "POLY_SIGNATURE: vault-signature\n"
	    "X-Made-Up: by vaultd\n"
	    "Content-Type: application/json\n"
	    "Content-Length: 25\n", e.port);
	assert_string_equal(e.hdrs, want);
	assert_string_equal((char *)e.body, "{\"order\":{\"signed\":true}}");
	pthread_mutex_unlock(&e.lock);

	/* A DELETE with a body (a cancel); a GET with none. */
	fv_set_forward(&f, e.url, NULL);
	assert_int_equal(gw_req(&s, 0, "DELETE", "/order", bare,
	    "{\"orderID\":\"0xab\"}", 18, &r), 0);
	gw_expect(&r, 200, "DELETE /order\n{\"orderID\":\"0xab\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 0, "GET", "/book?token_id=5&status=299",
	    bare, NULL, 0, &r), 0);
	gw_expect(&r, 299, "GET /book?token_id=5&status=299\n");
	gwres_free(&r);
	pthread_mutex_lock(&e.lock);
	snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\n", e.port);
	assert_string_equal(e.hdrs, want);
	pthread_mutex_unlock(&e.lock);

	/*
	 * A body goes as JSON, as the policy read it: a form's type, or
	 * none, is sent as application/json; a JSON type as the bot gave it.
	 */
	{
		static const char *const form[] = {
		    "Content-Type: application/x-www-form-urlencoded", "Accept:",
		    NULL };
		static const char *const utf8[] = {
		    "Content-Type: Application/JSON; charset=utf-8", "Accept:",
		    NULL };
		static const char *const jsonx[] = {
		    "Content-Type: application/jsonx", "Accept:",
		    NULL };
		const char *const *types[] = { form, utf8, jsonx };
		static const char *const sent[] = { "application/json",
		    "Application/JSON; charset=utf-8", "application/json" };
		const char	*cancel = "{\"a\":\"x&orderID=V\"}";
		int		 i;

		for (i = 0; i < 3; i++) {
			assert_int_equal(gw_req(&s, 0, "DELETE", "/order",
			    types[i], cancel, strlen(cancel), &r), 0);
			snprintf(want, sizeof(want), "DELETE /order\n%s",
			    cancel);
			gw_expect(&r, 200, want);
			gwres_free(&r);
			pthread_mutex_lock(&e.lock);
			snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\n"
			    "Content-Type: %s\n"
			    "Content-Length: %zu\n", e.port, sent[i],
			    strlen(cancel));
			assert_string_equal(e.hdrs, want);
			pthread_mutex_unlock(&e.lock);
		}
		/* no body: the bot's type, as it was */
		assert_int_equal(gw_req(&s, 0, "GET", "/book?token_id=5",
		    form, NULL, 0, &r), 0);
		gw_expect(&r, 200, "GET /book?token_id=5\n");
		gwres_free(&r);
		pthread_mutex_lock(&e.lock);
		snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\n"
		    "Content-Type: application/x-www-form-urlencoded\n",
		    e.port);
		assert_string_equal(e.hdrs, want);
		pthread_mutex_unlock(&e.lock);
	}

	/* The largest body (65536 bytes) goes whole. */
	{
		char	*big = malloc(65537);

		assert_non_null(big);
		memset(big, 'a', 65536);
		big[65536] = '\0';
		assert_int_equal(gw_req(&s, 0, "PUT", "/big", bare, big, 65536,
		    &r), 0);
		gw_expect(&r, 200, NULL);
		assert_int_equal(r.len, strlen("PUT /big\n") + 65536);
		gwres_free(&r);
		pthread_mutex_lock(&e.lock);
		assert_int_equal(e.bodylen, 65536);
		pthread_mutex_unlock(&e.lock);
		free(big);
	}
	/* The exchange's statuses, counted (200: 3 above, 4 of types). */
	assert_int_equal(gw_req(&s, 0, "GET", "/metrics", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, NULL);
	assert_non_null(strstr(r.body, "\nclobvault_gateway_upstream_responses"
	    "_total{code=\"200\"} 7\n"
	    "clobvault_gateway_upstream_responses_total{code=\"201\"} 1\n"
	    "clobvault_gateway_upstream_responses_total{code=\"299\"} 1\n"));
	assert_non_null(strstr(r.body, "\nclobvault_gateway_requests_total"
	    "{code=\"200\"} 7\n"
	    "clobvault_gateway_requests_total{code=\"201\"} 1\n"
	    "clobvault_gateway_requests_total{code=\"299\"} 1\n"));
	gwres_free(&r);
	/*
	 * A request at its bounds (a 4096-byte target, the three headers
	 * that go upstream at 1024 bytes) and an answer with nearly the
	 * most headers netd passes on: libmicrohttpd's memory for the
	 * connection (NETD_GW_CONN_MEM) holds both.
	 */
	{
		static char	 target[4097], hv[3][1100], wantb[4200];
		const char	*big[] = { CLIENT_KEY, CLIENT_PASS, CLIENT_SIG,
		    CLIENT_TS, hv[0], hv[1], hv[2], NULL };
		char		 line[ECHO_FILL_LEN + 20];
		int		 i;

		memcpy(target, "/fill?fill=1&", 13);
		memset(target + 13, 'q', sizeof(target) - 14);
		target[sizeof(target) - 1] = '\0';
		snprintf(hv[0], sizeof(hv[0]), "Content-Type: %01024d", 1);
		snprintf(hv[1], sizeof(hv[1]), "Accept: %01024d", 2);
		snprintf(hv[2], sizeof(hv[2]), "User-Agent: %01024d", 3);
		assert_int_equal(gw_req(&s, 1, "GET", target, big, NULL, 0,
		    &r), 0);
		snprintf(wantb, sizeof(wantb), "GET %s\n", target);
		gw_expect(&r, 200, wantb);
		for (i = 0; i < ECHO_FILL; i++) {
			snprintf(line, sizeof(line), "X-Fill-%02d: ", i);
			echo_fill_value(line + strlen(line), i);
			assert_true(gwres_has(&r, line));
		}
		assert_true(gwres_has(&r, "X-Echo: yes"));
		gwres_free(&r);
	}
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	echo_stop(&e);
}

/* vaultd's refusals, and those netd makes without asking vaultd. */
/* Milliseconds on the monotonic clock. */
static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_refusals(void **state)
{
	static const struct {
		int		 code;
		const char	*text;
		long		 status;
		const char	*body;
	} refusals[] = {
		{ CV_ERR_AUTH, "client credentials refused", 401,
		    "{\"error\":\"client credentials refused\"}" },
		{ CV_ERR_DENIED, "denied by rule no-big-orders", 403,
		    "{\"error\":\"denied by rule no-big-orders\"}" },
		{ CV_ERR_INVALID, "not an order: \"size\" missing\n", 400,
		    "{\"error\":\"not an order: \\\"size\\\" missing\\n\"}" },
		{ CV_ERR_LOCKED, "the vault is locked", 503,
		    "{\"error\":\"the vault is locked\"}" },
		{ CV_ERR_AGAIN, "signerd is restarting; retry", 503,
		    "{\"error\":\"signerd is restarting; retry\"}" },
		{ CV_ERR_NOTRUNNING, "signerd is not running", 503,
		    "{\"error\":\"signerd is not running\"}" },
		{ CV_ERR_TOOLONG, "the signed body is too large", 413,
		    "{\"error\":\"the signed body is too large\"}" },
		{ CV_ERR_TIMEOUT, "no approval in time", 504,
		    "{\"error\":\"no approval in time\"}" },
		{ CV_ERR_NOTFOUND, "no account for this client", 404,
		    "{\"error\":\"no account for this client\"}" },
	};
	static const struct {
		const char	*hdrs[6];
		long		 status;
		const char	*body;
	} local[] = {
		{ { CLIENT_KEY, NULL }, 401, "{\"error\":\"incomplete client "
		    "credentials: missing POLY_PASSPHRASE, POLY_SIGNATURE, "
		    "POLY_TIMESTAMP\"}" },
		{ { CLIENT_KEY, CLIENT_PASS, CLIENT_SIG, CLIENT_ADDR, NULL },
		    401, "{\"error\":\"incomplete client credentials: "
		    "missing POLY_TIMESTAMP\"}" },
		{ { CLIENT_KEY, CLIENT_PASS, CLIENT_SIG, CLIENT_TS,
		    "OPENFISH_API_KEY: k", NULL }, 401, "{\"error\":"
		    "\"incomplete client credentials: both POLY_ and OPENFISH_ "
		    "headers\"}" },
		{ { "openfish_signature: s", NULL }, 401, "{\"error\":"
		    "\"incomplete client credentials: missing "
		    "OPENFISH_API_KEY, OPENFISH_PASSPHRASE, "
		    "OPENFISH_TIMESTAMP\"}" },
		{ { CLIENT_KEY, CLIENT_KEY, CLIENT_PASS, CLIENT_SIG, CLIENT_TS,
		    NULL }, 400, "{\"error\":\"header POLY_API_KEY given "
		    "twice\"}" },
		{ { "POLY_API_KEY: 11111111-2222-3333-4444-5555555555551234567"
		    "890123456789012345678901234567890", CLIENT_PASS,
		    CLIENT_SIG, CLIENT_TS, NULL }, 400, "{\"error\":\"header "
		    "POLY_API_KEY must be 1 to 64 printable characters\"}" },
	};
	static const char *const lower[] = {
	    "poly_api_key: k", "Poly_Passphrase: p", "poly_signature: s",
	    "POLY_timestamp: 1", NULL };
	static struct txt	 t;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	char		*big, target[4200];
	int64_t		 t0;
	size_t		 i;
	int		 seen;

	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", NULL, NULL, NULL, NULL),
	    0);
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_forward(&f, t.url, NULL);
	t0 = mono_ms();
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		fv_set_error(&f, refusals[i].code, refusals[i].text);
		assert_int_equal(gw_req(&s, (int)(i & 1), "POST", "/order",
		    NULL, "{}", 2, &r), 0);
		gw_expect(&r, refusals[i].status, refusals[i].body);
		assert_true(gwres_has(&r, "Content-Type: application/json"));
		gwres_free(&r);
	}
	/*
	 * Each at once: a refusal resumed its connection outside
	 * libmicrohttpd's run, and waited for netd's next poll time-out
	 * (a second) to be sent.
	 */
	if (mono_ms() - t0 > 3000)
		fail_msg("%zu refusals took %lld ms", i,
		    (long long)(mono_ms() - t0));
	assert_int_equal(fv_ngw(&f), (int)i);
	/* None of them went to the exchange. */
	assert_int_equal(nd_txlog_count(&t, "\"target\""), 0);

	/* Refused by netd: vaultd never hears of them. */
	seen = fv_ngw(&f);
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		assert_int_equal(gw_req(&s, 0, "GET", "/time", local[i].hdrs,
		    NULL, 0, &r), 0);
		gw_expect(&r, local[i].status, local[i].body);
		gwres_free(&r);
	}
	assert_int_equal((big = malloc(65538)) != NULL, 1);
	memset(big, 'b', 65537);
	big[65537] = '\0';
	assert_int_equal(gw_req(&s, 0, "POST", "/order", NULL, big, 65537,
	    &r), 0);
	gw_expect(&r, 413, "{\"error\":\"gateway: the body is over 65536 "
	    "bytes\"}");
	gwres_free(&r);
	free(big);
	/* Past the bound in chunks, with no length said: dropped. */
	{
		static const char *const chunked[] = {
		    "Transfer-Encoding: chunked", NULL };

		assert_non_null(big = malloc(70001));
		memset(big, 'c', 70000);
		big[70000] = '\0';
		assert_int_not_equal(gw_req(&s, 1, "POST", "/order", chunked,
		    big, 70000, &r), CURLE_OK);
		gwres_free(&r);
		free(big);
		assert_int_equal(gw_req(&s, 1, "GET", "/healthz", NULL, NULL,
		    0, &r), 0);
		gw_expect(&r, 200, "ok\n");
		gwres_free(&r);
	}
	target[0] = '/';
	memset(target + 1, 'p', 4096);
	target[4097] = '\0';
	assert_int_equal(gw_req(&s, 0, "GET", target, NULL, NULL, 0, &r), 0);
	gw_expect(&r, 414, "{\"error\":\"gateway: the request target is over "
	    "4096 bytes\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 0, "OPTIONS", "/time", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 405, "{\"error\":\"gateway: method OPTIONS is not "
	    "passed on\"}");
	gwres_free(&r);
	assert_int_equal(fv_ngw(&f), seen);
	/* At the bounds: a 4096-byte target; names in any case. */
	fv_set_error(&f, CV_ERR_DENIED, "no");
	target[4096] = '\0';
	assert_int_equal(gw_req(&s, 0, "GET", target, lower, NULL, 0, &r), 0);
	gw_expect(&r, 403, "{\"error\":\"no\"}");
	gwres_free(&r);
	fv_lock(&f);
	assert_int_equal(strlen(f.last.path), 4096);
	assert_string_equal(f.last.key, "k");
	assert_string_equal(f.last.pass, "p");
	assert_string_equal(f.last.sig, "s");
	assert_string_equal(f.last.ts, "1");
	fv_unlock(&f);
	assert_int_equal(nd_txlog_count(&t, "\"target\""), 0);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
}

static uint64_t
order_neg(struct gws *s, struct fv *f, const char *path, const char *body)
{
	struct gwres	r;
	uint64_t	neg;

	assert_int_equal(gw_req(s, 0, "POST", path, NULL, body, strlen(body),
	    &r), 0);
	gw_expect(&r, 403, "{\"error\":\"held here\"}");
	gwres_free(&r);
	fv_lock(f);
	assert_string_equal(f->last.path, path);
	neg = f->last.neg;
	fv_unlock(f);
	return neg;
}

/* neg-risk, as the exchange's answers that passed through said. */
static void
test_negrisk(void **state)
{
	static struct txt	 t;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	const char	*o111 = "{\"order\":{\"tokenId\":\"111\"},"
	    "\"orderType\":\"GTC\"}";
	const char	*o222 = "{\"order\":{\"tokenId\":\"222\"}}";

	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", NULL, NULL, NULL, NULL),
	    0);
	nd_admin(&t, "markets", "{\"token_id\":\"111\",\"neg_risk\":true}");
	nd_admin(&t, "markets", "{\"token_id\":\"222\",\"neg_risk\":false}");
	gw_up(&s, &n, &f, NULL, NULL);

	/* Nothing known yet. */
	fv_set_error(&f, CV_ERR_DENIED, "held here");
	assert_int_equal(order_neg(&s, &f, "/order", o111), 2);
	fv_set_forward(&f, t.url, NULL);
	assert_int_equal(gw_req(&s, 0, "GET", "/neg-risk?token_id=111", NULL,
	    NULL, 0, &r), 0);
	gw_expect(&r, 200, "{\"neg_risk\":true}");
	gwres_free(&r);
	fv_lock(&f);
	assert_int_equal(f.last.neg, 2);	/* not an order */
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/book?token_id=222", NULL,
	    NULL, 0, &r), 0);
	gw_expect(&r, 200, NULL);
	assert_non_null(strstr(r.body, "\"neg_risk\":false"));
	gwres_free(&r);

	fv_set_error(&f, CV_ERR_DENIED, "held here");
	assert_int_equal(order_neg(&s, &f, "/order", o111), 1);
	assert_int_equal(order_neg(&s, &f, "/order", o222), 0);
	assert_int_equal(order_neg(&s, &f, "/orders", "[{\"order\":{\"tokenId\""
	    ":\"111\"}},{\"order\":{\"tokenId\":\"111\"}}]"), 1);
	assert_int_equal(order_neg(&s, &f, "/orders", "[{\"order\":{\"tokenId\""
	    ":\"111\"}},{\"order\":{\"tokenId\":\"222\"}}]"), 3);
	assert_int_equal(order_neg(&s, &f, "/orders", "[{\"order\":{\"tokenId\""
	    ":\"222\"}},{\"order\":{\"tokenId\":\"333\"}}]"), 2);
	assert_int_equal(order_neg(&s, &f, "/order", "not json"), 2);
	assert_int_equal(order_neg(&s, &f, "/order?x=1", o222), 0);
	assert_int_equal(order_neg(&s, &f, "/orderz", o222), 2);

	/* The exchange's word changes: so does netd's. */
	nd_admin(&t, "markets", "{\"token_id\":\"111\",\"neg_risk\":false}");
	fv_set_forward(&f, t.url, NULL);
	assert_int_equal(gw_req(&s, 1, "GET", "/neg-risk?token_id=111", NULL,
	    NULL, 0, &r), 0);
	gw_expect(&r, 200, "{\"neg_risk\":false}");
	gwres_free(&r);
	/* A refusal teaches nothing. */
	assert_int_equal(gw_req(&s, 1, "GET", "/neg-risk?token_id=444", NULL,
	    NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	gwres_free(&r);
	fv_set_error(&f, CV_ERR_DENIED, "held here");
	assert_int_equal(order_neg(&s, &f, "/order", o111), 0);
	assert_int_equal(order_neg(&s, &f, "/order",
	    "{\"order\":{\"tokenId\":\"444\"}}"), 2);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
}

#define NCONC	100

/*
 * 100 requests in flight together (of 4 clients: one holds at most 32
 * places waiting on vaultd), then again on the same connections.
 */
static void
test_concurrent(void **state)
{
	static struct echo	 e;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct curl_slist *l[NCONC];
	struct gwres	*r;
	CURL		*c[NCONC];
	CURLM		*m;
	char		 target[64], want[96];
	int		 i, round;

	assert_non_null(r = calloc(NCONC, sizeof(*r)));
	cur.e = &e;
	assert_int_equal(echo_start(&e), 0);
	gw_up(&s, &n, &f, NULL, NULL);
	gw_prime(&s, &f, (NCONC + 31) / 32);
	fv_set_forward(&f, e.url, NULL);
	assert_non_null(m = curl_multi_init());
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)(2 * NCONC));
	for (round = 0; round < 2; round++) {
		/* First round: vaultd answers once it holds all of them. */
		fv_lock(&f);
		f.mode = round == 0 ? FV_HOLD : FV_FORWARD;
		f.hold_n = NCONC;
		f.ngw = 0;
		fv_unlock(&f);
		for (i = 0; i < NCONC; i++) {
			snprintf(target, sizeof(target), "/item?i=%d&r=%d", i,
			    round);
			l[i] = gw_creds_of((size_t)i);
			assert_non_null(c[i] = gw_easy(&s, i & 1, "GET",
			    target, l[i], NULL, 0, &r[i]));
			curl_easy_setopt(c[i], CURLOPT_PRIVATE, &r[i]);
			assert_int_equal(curl_multi_add_handle(m, c[i]), 0);
		}
		drive_all(m, c, r, NCONC);
		for (i = 0; i < NCONC; i++) {
			snprintf(want, sizeof(want), "GET /item?i=%d&r=%d\n",
			    i, round);
			gw_expect(&r[i], 200, want);
			/* the second round on kept-alive connections */
			if (round == 1)
				assert_int_equal(r[i].newconns, 0);
			curl_multi_remove_handle(m, c[i]);
			curl_easy_cleanup(c[i]);
			curl_slist_free_all(l[i]);
			gwres_free(&r[i]);
		}
		assert_int_equal(fv_ngw(&f), NCONC);
	}
	curl_multi_cleanup(m);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	echo_stop(&e);
	free(r);
}

/* An exchange that does not answer, or too late; a URL refused. */
static void
test_upstream_fail(void **state)
{
	static struct txt		 t;
	static struct gws		 s;
	static struct nd		 n;
	static struct fv		 f;
	struct gwres		 r;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			 url[64], want[256];
	int64_t			 start;
	int			 fd;

	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", NULL, NULL, NULL, NULL),
	    0);
	gw_up(&s, &n, &f, "-t", "2");

	/* Nobody listening. */
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(sin.sin_port));
	fv_set_forward(&f, url, NULL);
	assert_int_equal(gw_req(&s, 0, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 502, NULL);
	snprintf(want, sizeof(want), "{\"error\":\"gateway: the exchange did "
	    "not answer: Failed to connect to 127.0.0.1 port %d after ",
	    ntohs(sin.sin_port));
	assert_true(strncmp(r.body, want, strlen(want)) == 0);
	assert_non_null(strstr(r.body, " ms: Couldn't connect to server\"}"));
	gwres_free(&r);

	/* Slower than -t 2. */
	nd_admin(&t, "faults", "{\"latency_ms\":3000}");
	fv_set_forward(&f, t.url, NULL);
	start = txt_ms();
	assert_int_equal(gw_req(&s, 1, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 504, "{\"error\":\"gateway: the exchange did not answer "
	    "within 2 s\"}");
	assert_true(txt_ms() - start >= 1900 && txt_ms() - start < 3500);
	gwres_free(&r);
	nd_admin(&t, "faults", "{\"latency_ms\":0}");

	/* The one URL rule: plain http only to 127.0.0.1 or localhost. */
	fv_set_forward(&f, "http://127.0.0.2:1", NULL);
	assert_int_equal(gw_req(&s, 0, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 500, NULL);
	assert_true(strncmp(r.body, "{\"error\":\"gateway: the exchange URL "
	    "of acct is refused: ", 56) == 0);
	gwres_free(&r);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
}

/* vaultd goes: bots waiting get 503; a new netd serves the sockets. */
static void
test_vaultd_gone(void **state)
{
	static struct txt	 t;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r, r2;
	CURLM		*m;
	CURL		*c, *c2;
	int		 running;

	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", NULL, NULL, NULL, NULL),
	    0);
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_forward(&f, t.url, NULL);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	assert_non_null(c = gw_easy(&s, 0, "GET", "/time", NULL, NULL, 0,
	    &r));
	assert_int_equal(curl_multi_add_handle(m, c), 0);
	drive_until(m, &f, 1);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	drive(m, c, &r);
	gw_expect(&r, 503, "{\"error\":\"gateway: vaultd closed the channel; "
	    "the request was not sent to the exchange\"}");
	curl_multi_remove_handle(m, c);
	curl_easy_cleanup(c);
	gwres_free(&r);
	nd_cleanup(&n);

	/* One at the exchange when vaultd goes: its answer is lost. */
	assert_int_equal(nd_start_gw(&n, &s, NULL, NULL), 0);
	cur.f = &f;
	fv_start(&f, &n);
	fv_set_forward(&f, t.url, NULL);
	nd_admin(&t, "faults", "{\"latency_ms\":2000}");
	assert_non_null(c = gw_easy(&s, 1, "GET", "/time", NULL, NULL, 0,
	    &r));
	assert_int_equal(curl_multi_add_handle(m, c), 0);
	while (fv_ngw(&f) == 0) {
		assert_int_equal(curl_multi_perform(m, &running), 0);
		assert_int_equal(curl_multi_poll(m, NULL, 0, 20, NULL), 0);
	}
	txt_sleep_ms(300);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	drive(m, c, &r);
	gw_expect(&r, 503, "{\"error\":\"gateway: netd is stopping; the "
	    "request went to the exchange and its answer is lost: check "
	    "before sending it again\"}");
	curl_multi_remove_handle(m, c);
	curl_easy_cleanup(c);
	gwres_free(&r);
	nd_cleanup(&n);
	nd_admin(&t, "faults", "{\"latency_ms\":0}");

	/* Connections queue while no netd runs; the next one serves them. */
	assert_non_null(c2 = gw_easy(&s, 0, "GET", "/healthz", NULL, NULL, 0,
	    &r2));
	assert_int_equal(curl_multi_add_handle(m, c2), 0);
	assert_int_equal(curl_multi_perform(m, &running), 0);
	txt_sleep_ms(100);
	assert_int_equal(nd_start_gw(&n, &s, NULL, NULL), 0);
	drive(m, c2, &r2);
	gw_expect(&r2, 200, "ok\n");
	curl_multi_remove_handle(m, c2);
	curl_easy_cleanup(c2);
	gwres_free(&r2);
	curl_multi_cleanup(m);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
}

static int
openssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
openssl(const char *fmt, ...)
{
	char	cmd[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* HTTPS upstream: the account's CA from vaultd, else the system's; a pin. */
static void
test_tls(void **state)
{
	static struct txt	 t;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres		 r;
	char			 dir[64], fl[6][128], cmd[512], pin[128];
	char			*ca, want[256];
	size_t			 calen = 0;
	FILE			*p;

	snprintf(dir, sizeof(dir), "/tmp/cvgwtls.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(fl[0], sizeof(fl[0]), "%s/ca.key", dir);
	snprintf(fl[1], sizeof(fl[1]), "%s/ca.pem", dir);
	snprintf(fl[2], sizeof(fl[2]), "%s/srv.key", dir);
	snprintf(fl[3], sizeof(fl[3]), "%s/srv.csr", dir);
	snprintf(fl[4], sizeof(fl[4]), "%s/srv.pem", dir);
	snprintf(fl[5], sizeof(fl[5]), "%s/ext", dir);
	it_write(fl[5], "subjectAltName=IP:127.0.0.1\n", 0600);
	if (openssl("openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s -days 1 "
	    "-subj /CN=clobvault-test-ca >/dev/null 2>&1", fl[0], fl[1]) !=
	    0) {
		fprintf(stderr, "openssl unavailable: TLS test skipped\n");
		skip();
	}
	assert_int_equal(openssl("openssl req -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s "
	    "-subj /CN=127.0.0.1 >/dev/null 2>&1", fl[2], fl[3]), 0);
	assert_int_equal(openssl("openssl x509 -req -in %s -CA %s -CAkey %s "
	    "-CAcreateserial -out %s -days 1 -extfile %s >/dev/null 2>&1",
	    fl[3], fl[1], fl[0], fl[4], fl[5]), 0);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -pubkey -noout | "
	    "openssl pkey -pubin -outform der | openssl dgst -sha256 -binary "
	    "| openssl base64", fl[4]);
	assert_non_null(p = popen(cmd, "r"));
	memcpy(pin, "sha256//", 8);
	assert_non_null(fgets(pin + 8, sizeof(pin) - 8, p));
	pin[strcspn(pin, "\n")] = '\0';
	pclose(p);
	assert_non_null(ca = it_slurp(fl[1], &calen));

	cur.t = &t;
	assert_int_equal(txt_start(&t, "polymarket", "--tls-cert", fl[4],
	    "--tls-key", fl[2]), 0);
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_forward(&f, t.url, NULL);
	/* The system's CAs do not know ours. */
	assert_int_equal(gw_req(&s, 0, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange did not "
	    "answer: SSL certificate problem: unable to get local issuer "
	    "certificate\"}");
	gwres_free(&r);
	fv_lock(&f);
	f.ca = ca;
	f.calen = calen;
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 200, "\"OK\"");
	gwres_free(&r);
	fv_lock(&f);
	snprintf(f.pin, sizeof(f.pin), "%s", pin);
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 1, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 200, "\"OK\"");
	gwres_free(&r);
	fv_lock(&f);
	snprintf(f.pin, sizeof(f.pin), "sha256//%s",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 1, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange did not "
	    "answer: SSL: public key does not match pinned public key\"}");
	gwres_free(&r);
	fv_lock(&f);
	snprintf(f.pin, sizeof(f.pin), "md5//x");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 1, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 500, "{\"error\":\"gateway: the public key pin of "
	    "acct is malformed\"}");
	gwres_free(&r);
	/* Another name than the certificate's. */
	fv_lock(&f);
	f.pin[0] = '\0';
	snprintf(f.url, sizeof(f.url), "https://localhost:%d", t.port);
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 502, NULL);
	snprintf(want, sizeof(want), "{\"error\":\"gateway: the exchange did "
	    "not answer: ");
	assert_true(strncmp(r.body, want, strlen(want)) == 0);
	gwres_free(&r);
	fv_ok(&f);
	fv_stop(&f);
	f.ca = NULL;
	free(ca);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
	txt_cleanup(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

#define NWAIT	256

/* At most 256 wait on vaultd (8 clients' 32); one more is told to retry. */
static void
test_wait_limit(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct curl_slist *l[NWAIT];
	struct gwres		*r, one;
	CURL			*c[NWAIT];
	CURLM			*m;
	int			 i;

	assert_non_null(r = calloc(NWAIT, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	gw_prime(&s, &f, NWAIT / 32);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	for (i = 0; i < NWAIT; i++) {
		l[i] = gw_creds_of((size_t)i);
		assert_non_null(c[i] = gw_easy(&s, i & 1, "GET", "/time", l[i],
		    NULL, 0, &r[i]));
		assert_int_equal(curl_multi_add_handle(m, c[i]), 0);
	}
	drive_until(m, &f, NWAIT);
	assert_int_equal(gw_req(&s, 0, "GET", "/time", NULL, NULL, 0, &one),
	    0);
	gw_expect(&one, 503, "{\"error\":\"gateway: 256 requests are "
	    "waiting on vaultd; retry\"}");
	gwres_free(&one);
	/* netd's own answers need no vaultd. */
	assert_int_equal(gw_req(&s, 1, "GET", "/healthz", NULL, NULL, 0, &one),
	    0);
	gw_expect(&one, 200, "ok\n");
	gwres_free(&one);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, NWAIT);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

/* A bot's connection to the gateway's socket, req written on it. */
static int
bot_sent(const struct gws *s, const char *req)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) !=
	    -1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	return fd;
}

/* The id of the one request the fake vaultd holds, once it has it. */
static uint32_t
held_one(struct fv *f)
{
	int64_t		start;
	uint32_t	id;

	for (start = txt_ms();; it_sleep_ms(20)) {
		assert_true(txt_ms() - start < 10000);
		fv_lock(f);
		id = f->nheld == 1 ? f->held[0].id : 0;
		fv_unlock(f);
		if (id != 0)
			return id;
	}
}

/* How many requests netd told the fake vaultd gone, once it told one. */
static size_t
gone_told(struct fv *f)
{
	int64_t	start;
	size_t	gone;

	for (start = txt_ms();; it_sleep_ms(20)) {
		assert_true(txt_ms() - start < 10000);
		fv_lock(f);
		gone = f->ngone;
		fv_unlock(f);
		if (gone > 0)
			return gone;
	}
}

/*
 * A bot that goes away while vaultd has its request: netd tells vaultd
 * (MSG_GW_GONE with the request's id), once, so that vaultd ends it too
 * (a held approval cancelled, a signature withheld).  It used to clear
 * its own wait alone -- and, the connection being suspended, not even
 * that until vaultd answered -- and vaultd never knew.  vaultd's answer
 * to it (an error, as vaultd sends) is dropped, and netd serves on.
 */
static void
test_bot_gone(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char	 req[] = "POST /order HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	struct gwres		 r;
	uint32_t		 id;
	int			 fd;

	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_silent(&f);
	fd = bot_sent(&s, req);
	id = held_one(&f);
	fv_lock(&f);
	assert_int_equal(f.ngone, 0);
	fv_unlock(&f);
	close(fd);
	assert_int_equal(gone_told(&f), 1);
	fv_lock(&f);
	assert_int_equal(f.gone[0], id);
	/* vaultd's answer, as it makes one: dropped */
	assert_int_equal(msg_error_ans(&n.c, id, CV_ERR_EOF,
	    "the bot went away"), 0);
	fv_unlock(&f);
	/* served after it, in order: the answer was taken and dropped */
	fv_set_error(&f, CV_ERR_DENIED, "no");
	assert_int_equal(gw_req(&s, 1, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 403, "{\"error\":\"no\"}");
	gwres_free(&r);
	fv_lock(&f);
	assert_int_equal(f.ngone, 1);
	assert_int_equal(f.ngw, 2);
	fv_unlock(&f);
	fv_ok(&f);
}

/*
 * vaultd that does not answer within netd's wait (NETD_GW_VAULTD_MS,
 * -V 1 here): the bot is told 504, and vaultd is told (MSG_GW_GONE
 * with the request's id), once, so that it ends the request too.
 * vaultd's late answer is dropped, and netd serves on.
 */
static void
test_vaultd_late(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres		 r;
	uint32_t		 id;
	int64_t			 start;

	gw_up(&s, &n, &f, "-V", "1");
	fv_set_silent(&f);
	start = mono_ms();
	assert_int_equal(gw_req(&s, 0, "POST", "/order", NULL, "{}", 2, &r),
	    0);
	gw_expect(&r, 504, "{\"error\":\"gateway: vaultd did not answer in "
	    "time\"}");
	gwres_free(&r);
	/* not before netd's wait ended */
	assert_true(mono_ms() - start >= 1000);
	fv_lock(&f);
	assert_int_equal(f.nheld, 1);
	id = f.held[0].id;
	assert_string_equal(f.held[0].method, "POST");
	assert_string_equal(f.held[0].path, "/order");
	fv_unlock(&f);
	/* the notice follows the answer on netd's next turn */
	assert_int_equal(gone_told(&f), 1);
	fv_lock(&f);
	assert_int_equal(f.gone[0], id);
	/* vaultd's answer, late: dropped */
	assert_int_equal(msg_error_ans(&n.c, id, CV_ERR_EOF,
	    "the bot went away"), 0);
	fv_unlock(&f);
	fv_set_error(&f, CV_ERR_DENIED, "no");
	assert_int_equal(gw_req(&s, 1, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 403, "{\"error\":\"no\"}");
	gwres_free(&r);
	fv_lock(&f);
	assert_int_equal(f.ngone, 1);
	assert_int_equal(f.ngw, 2);
	fv_unlock(&f);
	fv_ok(&f);
}

/*
 * The same bot, sending its next request while vaultd has the first
 * (pipelined, as HTTP/1.1 lets it) and then going away: libmicrohttpd
 * does not read a suspended connection, so the next request's bytes
 * wait in the socket before the end of the connection.  netd used to
 * see those bytes, never the end behind them, and took the bot as
 * there until vaultd answered; now the end is seen (POLLRDHUP) and
 * vaultd is told.
 */
static void
test_bot_gone_pipelined(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char	 req[] = "POST /order HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
	static const char	 next[] = "GET /time HTTP/1.1\r\nHost: x\r\n\r\n";
	uint32_t		 id;
	int			 fd;

	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_silent(&f);
	fd = bot_sent(&s, req);
	id = held_one(&f);
	assert_int_equal(write(fd, next, sizeof(next) - 1),
	    (ssize_t)sizeof(next) - 1);
	close(fd);
	assert_int_equal(gone_told(&f), 1);
	fv_lock(&f);
	assert_int_equal(f.gone[0], id);
	assert_int_equal(msg_error_ans(&n.c, id, CV_ERR_EOF,
	    "the bot went away"), 0);
	assert_int_equal(f.ngw, 1);
	fv_unlock(&f);
	fv_ok(&f);
}

/* Run prog (in the build) with args, fds 5.. as given; its log. */
static int
run_child(const char *prog, const char *const *args, int fd5, char *log,
    size_t loglen)
{
	const char	*b = getenv("CLOBVAULT_BUILD");
	char		 path[300], *argv[8], *envp[] = { NULL };
	char		 out[] = "/tmp/cvgwlog.XXXXXX";
	size_t		 i, len;
	pid_t		 pid;
	int		 status, fd, hi;
	char		*text;

	snprintf(path, sizeof(path), "%s/%s", b != NULL ? b : "build", prog);
	argv[0] = (char *)(uintptr_t)prog;
	for (i = 0; args[i] != NULL && i < 6; i++)
		argv[i + 1] = (char *)(uintptr_t)args[i];
	argv[i + 1] = NULL;
	assert_true((fd = mkstemp(out)) != -1);
	if ((pid = fork()) == 0) {
		hi = fd5 != -1 ? fcntl(fd5, F_DUPFD, 100) : -1;
		if (dup2(fd, STDERR_FILENO) == -1 || (hi != -1 &&
		    dup2(hi, 5) == -1))
			_exit(126);
		close(CHILD_FD);
		close(CHILD_LOG_FD);
		close_range(6, ~0U, 0);
		execve(path, argv, envp);
		_exit(127);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	text = it_slurp(out, &len);
	snprintf(log, loglen, "%s", text != NULL ? text : "");
	free(text);
	unlink(out);
	return status;
}

/* Sandboxed while it serves; still killed for what it may not do. */
static void
test_sandbox(void **state)
{
	static const char *const kinds[] = { "execve", "openw", "fork",
	    "ptrace", "bind", "listen", "stderr" };
	static const char *const sgw[] = { "-G", "5", NULL };
	static const char *const bad[] = { "-G", "4", NULL };
	static const char *const dl[] = { "-D", "1", NULL };
	static const char *const vw[] = { "-V", "1", NULL };
	static struct echo	 e;
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres	 r;
	char		 text[512];
	const char	*extra[] = { "-G", "5", NULL };
	size_t		 i;
	int		 st, sv[2];

	cur.e = &e;
	assert_int_equal(echo_start(&e), 0);
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_forward(&f, e.url, NULL);
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "POST", "/x", NULL, "{}", 2, &r), 0);
	gw_expect(&r, 200, "POST /x\n{}");
	gwres_free(&r);
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(it_proc_field((uint64_t)n.pid, "Seccomp"), 2);
	assert_int_equal(it_proc_field((uint64_t)n.pid, "NoNewPrivs"), 1);
	if (geteuid() == 0)
		assert_int_equal(it_proc_field((uint64_t)n.pid, "Uid"), 65534);
	/* A client socket is allowed; a server of its own is not. */
	assert_int_equal(nd_probe(&n, "socket", text, sizeof(text)), 0);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (i > 0)
			assert_int_equal(nd_start_gw(&n, &s, NULL, NULL), 0);
		st = nd_probe_kill(&n, kinds[i]);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fprintf(stderr, "probe %s: status %d\n", kinds[i], st);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGSYS);
		nd_cleanup(&n);
	}

	/* What -G may name: a listening stream socket, from 5 up. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(nd_start_fds(&n, extra, &sv[0], 1), 0);
	st = nd_stop(&n);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	assert_true(nd_log_has(&n, "-G 5: not a listening socket"));
	nd_cleanup(&n);
	close(sv[0]);
	close(sv[1]);
	st = run_child("netd", bad, -1, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-G 4: not a descriptor 5-1023"));
	/* signerd serves nothing. */
	st = run_child("signerd", sgw, s.ufd, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-G: signerd serves no socket"));
	/* The gateway's deadlines, shortened: for tests alone. */
	st = run_child("netd", dl, -1, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-D is for tests: it needs -T"));
	st = run_child("signerd", dl, -1, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-D: signerd serves no gateway"));
	/* The wait for vaultd's answer, shortened: for tests alone. */
	st = run_child("netd", vw, -1, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-V is for tests: it needs -T"));
	st = run_child("signerd", vw, -1, text, sizeof(text));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	assert_non_null(strstr(text, "-V: signerd serves no gateway"));
	gws_close(&s);
	echo_stop(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_local, teardown),
		cmocka_unit_test_teardown(test_idle_channel, teardown),
		cmocka_unit_test_teardown(test_forward, teardown),
		cmocka_unit_test_teardown(test_echo, teardown),
		cmocka_unit_test_teardown(test_refusals, teardown),
		cmocka_unit_test_teardown(test_negrisk, teardown),
		cmocka_unit_test_teardown(test_concurrent, teardown),
		cmocka_unit_test_teardown(test_upstream_fail, teardown),
		cmocka_unit_test_teardown(test_tls, teardown),
		cmocka_unit_test_teardown(test_vaultd_gone, teardown),
		cmocka_unit_test_teardown(test_wait_limit, teardown),
		cmocka_unit_test_teardown(test_bot_gone, teardown),
		cmocka_unit_test_teardown(test_vaultd_late, teardown),
		cmocka_unit_test_teardown(test_bot_gone_pipelined, teardown),
		cmocka_unit_test_teardown(test_sandbox, teardown),
	};

	/* GW_TEST=name: that test alone */
	if (getenv("GW_TEST") != NULL)
		cmocka_set_test_filter(getenv("GW_TEST"));

	return cmocka_run_group_tests(tests, nd_group_setup,
	    nd_group_teardown);
}
