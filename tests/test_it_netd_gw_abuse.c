/*
 * netd's gateway against a bot that means harm or is broken, and an
 * exchange that does: a real netd serving the sockets vaultd would
 * pass, the test playing vaultd (tests/it_netd_gw.h), the bots and the
 * exchange (a hostile one of its own, hx_*).  The bot's side: what
 * libmicrohttpd and netd refuse alone (a huge header, a huge body),
 * pipelining without reading, connections opened and closed at once,
 * connections held silent that take no working bot's place, and
 * answers no bot reads held within a bound, netd's own (/metrics)
 * too.  The exchange's side: a body without end, a trickle, too many
 * or too large headers, a redirect, interim answers, compression,
 * Connection options, and an echo of the account's passphrase.  Every
 * test's teardown ends what it started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>

#include <cmocka.h>

#include "tests/it_netd_gw.h"

/* A socket's share of NETD_GW_CONNS (512) when netd serves two. */
#define SHARE		256

struct hx;

static struct {
	struct gws	*s;
	struct nd	*n;
	struct fv	*f;
	struct hx	*h;
	int		*fds;
	size_t		 nfds;
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

static void
fds_close(void)
{
	size_t	i;

	for (i = 0; i < cur.nfds; i++)
		if (cur.fds[i] != -1)
			close(cur.fds[i]);
	free(cur.fds);
	cur.fds = NULL;
	cur.nfds = 0;
}

static void hx_stop(struct hx *);

static int
teardown(void **state)
{
	fds_close();
	if (cur.f != NULL && cur.f->started)
		fv_stop(cur.f);
	if (cur.n != NULL)
		nd_cleanup(cur.n);
	if (cur.s != NULL)
		gws_close(cur.s);
	if (cur.h != NULL)
		hx_stop(cur.h);
	memset(&cur, 0, sizeof(cur));
	return 0;
}

/* A raw connection to the Unix socket, with what it sends first. */
static int
raw_unix(const struct gws *s, const char *send)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) !=
	    -1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	if (send != NULL)
		assert_int_equal(write(fd, send, strlen(send)),
		    (ssize_t)strlen(send));
	return fd;
}

/* How many of the raw connections netd has closed (read: the end). */
static size_t
fds_ended(void)
{
	struct pollfd	pfd;
	char		b[64];
	size_t		i, n = 0;

	for (i = 0; i < cur.nfds; i++) {
		pfd.fd = cur.fds[i];
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1) {
			/* nothing was answered on them: only the end */
			assert_int_equal(read(cur.fds[i], b, sizeof(b)), 0);
			n++;
		}
	}
	return n;
}

/*
 * A bot fills a socket's share of connections with ones that send
 * nothing or part of a request (as one sending a byte at a time, which
 * keeps libmicrohttpd's idle time-out away, looks): another bot is
 * served all the same, in the place of one of them, and requests
 * waiting on vaultd are never the ones closed.  When every connection
 * is at work, a new one is closed at once rather than left waiting, and
 * the other socket serves on.
 */
static void
test_conn_flood(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct curl_slist *l[SHARE];
	struct gwres		*r, one;
	CURL			*c[SHARE];
	CURLM			*m;
	size_t			 i, nheld = 2;
	int			 cc;

	assert_non_null(r = calloc(SHARE, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	gw_prime(&s, &f, SHARE / 32);
	fv_set_silent(&f);
	/* Two requests at vaultd, on their own connections. */
	assert_non_null(m = curl_multi_init());
	for (i = 0; i < nheld; i++) {
		l[i] = gw_creds_of(i);
		assert_non_null(c[i] = gw_easy(&s, 0, "GET", "/time", l[i],
		    NULL, 0, &r[i]));
		assert_int_equal(curl_multi_add_handle(m, c[i]), 0);
	}
	drive_until(m, &f, nheld);
	/* The rest of the share: silent, or a request never finished. */
	assert_non_null(cur.fds = calloc(SHARE, sizeof(int)));
	for (i = 0; i < SHARE - nheld; i++)
		cur.fds[cur.nfds++] = raw_unix(&s, i % 3 == 0 ? NULL :
		    i % 3 == 1 ? "GET /hea" :
		    "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a");
	/* Another bot: served, in the place of one of them. */
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0,
	    &one), 0);
	gw_expect(&one, 200, "ok\n");
	gwres_free(&one);
	assert_int_equal(fds_ended(), 1);

	/* Every connection at work: a new one is closed, unanswered. */
	fds_close();
	for (; nheld < SHARE; nheld++) {
		l[nheld] = gw_creds_of(nheld);
		assert_non_null(c[nheld] = gw_easy(&s, 0, "GET", "/time",
		    l[nheld], NULL, 0, &r[nheld]));
		assert_int_equal(curl_multi_add_handle(m, c[nheld]), 0);
	}
	drive_until(m, &f, SHARE);
	/* closed as it connects, as it sends or as it waits: no answer */
	cc = gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0, &one);
	if (cc != CURLE_COULDNT_CONNECT && cc != CURLE_GOT_NOTHING &&
	    cc != CURLE_SEND_ERROR && cc != CURLE_RECV_ERROR)
		fail_msg("a connection past the busy share: curl %d, "
		    "status %ld", cc, one.status);
	assert_int_equal(one.status, 0);
	gwres_free(&one);
	assert_int_equal(gw_req(&s, 1, "GET", "/healthz", NULL, NULL, 0,
	    &one), 0);
	gw_expect(&one, 200, "ok\n");
	gwres_free(&one);
	assert_true(nd_log_has(&n, "at work on one socket; a new one closed"));

	/* Those at vaultd were never closed: each gets its answer. */
	fv_ok(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, SHARE);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

/*
 * A connection netd closes to make room passes nothing on, even when
 * its request was already in the socket when netd shut it down (read
 * in the same turn as the connection that took its place): the bot
 * sees its connection closed, and a request sent on anyway would be
 * executed with its answer lost.  netd is stopped while the oldest
 * silent connection sends a whole request and another bot connects,
 * so that netd finds both at once.
 */
static void
test_conn_evicted_quiet(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char	 req[] = "GET /time HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pollfd		 pfd;
	char			 b[64];
	size_t			 i;
	int			 nc, ngw;

	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_silent(&f);
	assert_non_null(cur.fds = calloc(SHARE + 2, sizeof(int)));
	for (i = 0; i < SHARE; i++)
		cur.fds[cur.nfds++] = raw_unix(&s, NULL);
	txt_sleep_ms(300);		/* every one accepted */

	/* The oldest sends a request as another bot takes its place. */
	assert_int_equal(kill(n.pid, SIGSTOP), 0);
	assert_int_equal(write(cur.fds[0], req, strlen(req)),
	    (ssize_t)strlen(req));
	cur.fds[cur.nfds++] = nc = raw_unix(&s, NULL);
	assert_int_equal(kill(n.pid, SIGCONT), 0);
	pfd.fd = cur.fds[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_true(read(cur.fds[0], b, sizeof(b)) <= 0);
	/* the new one is served */
	assert_int_equal(write(nc, req, strlen(req)), (ssize_t)strlen(req));
	for (i = 0; i < 100; i++) {
		fv_lock(&f);
		ngw = f.ngw;
		fv_unlock(&f);
		if (ngw >= 1)
			break;
		txt_sleep_ms(10);
	}
	txt_sleep_ms(200);
	fv_lock(&f);
	ngw = f.ngw;
	fv_unlock(&f);
	/* nc's alone: the closed one's request never reached vaultd */
	assert_int_equal(ngw, 1);
}

/*
 * A hostile exchange: plain HTTP on 127.0.0.1, a thread per connection,
 * one request each; what it answers depends on the path (hx_answer).
 */
struct hx {
	int		 lfd;
	int		 port;
	char		 url[64];
	pthread_t	 th;
	int		 started;
	volatile int	 stop;
	pthread_mutex_t	 lock;
	int		 nreq;		/* requests read */
	char		 last[8192];	/* the last request's head */
};

struct hx_conn {
	struct hx	*h;
	int		 fd;
};

/* Write all of p; -1 once the peer is gone. */
static int
hx_write(int fd, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 k;

	while (len > 0) {
		if ((k = send(fd, c, len, MSG_NOSIGNAL)) <= 0)
			return -1;
		c += k;
		len -= (size_t)k;
	}
	return 0;
}

static int
hx_writes(int fd, const char *s)
{
	return hx_write(fd, s, strlen(s));
}

/* What the path asks for. */
static void
hx_answer(struct hx *h, int fd, const char *head)
{
	static char	 chunk[65536 + 32];
	char		 line[600], *big;
	const char	*path = strchr(head, ' ') + 1, *p;
	size_t		 i;

	if (strncmp(path, "/big ", 5) == 0) {
		/* 4 MB in one answer: the most netd passes on is 4 MiB */
		assert_non_null(big = malloc(4000000));
		memset(big, 'x', 4000000);
		if (hx_writes(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4000000"
		    "\r\nContent-Type: text/plain\r\n\r\n") == 0)
			(void)hx_write(fd, big, 4000000);
		free(big);
	} else if (strncmp(path, "/endless ", 9) == 0) {
		if (hx_writes(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n") != 0)
			return;
		snprintf(chunk, sizeof(chunk), "10000\r\n");
		memset(chunk + 7, 'e', 65536);
		memcpy(chunk + 7 + 65536, "\r\n", 2);
		while (!h->stop && hx_write(fd, chunk, 7 + 65536 + 2) == 0)
			;
	} else if (strncmp(path, "/trickle ", 9) == 0) {
		if (hx_writes(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
		    "chunked\r\n\r\n") != 0)
			return;
		while (!h->stop && hx_writes(fd, "1\r\nt\r\n") == 0)
			txt_sleep_ms(100);
	} else if (strncmp(path, "/headers ", 9) == 0) {
		if (hx_writes(fd, "HTTP/1.1 200 OK\r\n") != 0)
			return;
		for (i = 0; i < 100; i++) {
			snprintf(line, sizeof(line), "X-H%03zu: v\r\n", i);
			if (hx_writes(fd, line) != 0)
				return;
		}
		(void)hx_writes(fd, "Content-Length: 2\r\n\r\nok");
	} else if (strncmp(path, "/hugeline ", 10) == 0) {
		if (hx_writes(fd, "HTTP/1.1 200 OK\r\nX-Huge: ") != 0)
			return;
		memset(chunk, 'h', 65536);
		for (i = 0; i < 16 && !h->stop; i++)
			if (hx_write(fd, chunk, 65536) != 0)
				return;
		(void)hx_writes(fd, "\r\nContent-Length: 2\r\n\r\nok");
	} else if (strncmp(path, "/redirect ", 10) == 0) {
		(void)hx_writes(fd, "HTTP/1.1 302 Found\r\nLocation: "
		    "http://127.0.0.1:1/elsewhere\r\nContent-Length: 5\r\n\r\n"
		    "moved");
	} else if (strncmp(path, "/interim ", 9) == 0) {
		(void)hx_writes(fd, "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n"
		    "\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
		    "HTTP/1.1 200 OK\r\nX-Final: 1\r\nContent-Length: 2\r\n\r\n"
		    "ok");
	} else if (strncmp(path, "/gzip ", 6) == 0) {
		/* not a real gzip stream: netd must not try to read it */
		(void)hx_writes(fd, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip"
		    "\r\nContent-Length: 5\r\n\r\n\x1f\x8b\x08zz");
	} else if (strncmp(path, "/hop ", 5) == 0) {
		(void)hx_writes(fd, "HTTP/1.1 200 OK\r\nX-Early: 1\r\n"
		    "Connection: close, X-Hop\r\nX-Hop: 1\r\nX-End: 1\r\n"
		    "Connection: x-early\r\nKeep-Alive: timeout=5\r\n"
		    "Proxy-Authenticate: Basic\r\nSet-Cookie: s=1\r\n"
		    "Content-Length: 2\r\n\r\nok");
	} else if (strncmp(path, "/reflect", 8) == 0) {
		/*
		 * The request's headers back: "/reflect" all of vaultd's in
		 * the answer's, "/reflect-key" the API key alone,
		 * "/reflect-body" the second half of the passphrase in the body.
		 */
		if (hx_writes(fd, "HTTP/1.1 401 Unauthorized\r\n") != 0)
			return;
		for (p = head; strncmp(path, "/reflect-body", 13) != 0 &&
		    (p = strstr(p, "\r\nPOLY_")) != NULL; p += 2) {
			if (strncmp(path, "/reflect-key", 12) == 0 &&
			    strncmp(p + 2, "POLY_API_KEY:", 13) != 0)
				continue;
			snprintf(line, sizeof(line), "X-Seen-%.*s\r\n",
			    (int)strcspn(p + 2, "\r"), p + 2);
			if (hx_writes(fd, line) != 0)
				return;
		}
		if (strncmp(path, "/reflect-body", 13) == 0 &&
		    (p = strstr(head, "\r\nPOLY_PASSPHRASE: ")) != NULL) {
			p += strlen("\r\nPOLY_PASSPHRASE: ");
			i = strcspn(p, "\r");
			snprintf(line, sizeof(line), "Content-Length: %zu\r\n"
			    "\r\n{\"error\":\"passphrase ...%.*s wrong\"}",
			    strlen("{\"error\":\"passphrase ... wrong\"}") +
			    i - i / 2, (int)(i - i / 2), p + i / 2);
			(void)hx_writes(fd, line);
			return;
		}
		(void)hx_writes(fd, "Content-Length: 2\r\n\r\nno");
	} else
		(void)hx_writes(fd, "HTTP/1.1 404 Not Found\r\n"
		    "Content-Length: 0\r\n\r\n");
}

static void *
hx_conn_main(void *arg)
{
	struct hx_conn	*c = arg;
	char		 head[8192];
	size_t		 len = 0;
	ssize_t		 k;

	while (len < sizeof(head) - 1 &&
	    (k = recv(c->fd, head + len, sizeof(head) - 1 - len, 0)) > 0) {
		len += (size_t)k;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
	}
	head[len] = '\0';
	if (strstr(head, "\r\n\r\n") != NULL && strchr(head, ' ') != NULL) {
		pthread_mutex_lock(&c->h->lock);
		c->h->nreq++;
		snprintf(c->h->last, sizeof(c->h->last), "%s", head);
		pthread_mutex_unlock(&c->h->lock);
		hx_answer(c->h, c->fd, head);
	}
	close(c->fd);
	free(c);
	return NULL;
}

static void *
hx_main(void *arg)
{
	struct hx	*h = arg;
	struct hx_conn	*c;
	struct pollfd	 pfd;
	pthread_t	 th;
	int		 fd;

	while (!h->stop) {
		pfd.fd = h->lfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 50) != 1)
			continue;
		if ((fd = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		if ((c = calloc(1, sizeof(*c))) == NULL)
			abort();
		c->h = h;
		c->fd = fd;
		if (pthread_create(&th, NULL, hx_conn_main, c) != 0)
			abort();
		pthread_detach(th);
	}
	return NULL;
}

static int
hx_start(struct hx *h)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	int			one = 1;

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    bind(h->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(h->lfd, 128) == -1 ||
	    getsockname(h->lfd, (struct sockaddr *)&sin, &sl) == -1)
		return -1;
	h->port = ntohs(sin.sin_port);
	snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%d", h->port);
	if (pthread_create(&h->th, NULL, hx_main, h) != 0)
		return -1;
	h->started = 1;
	return 0;
}

/* Stop accepting; connection threads end as their peers go. */
static void
hx_stop(struct hx *h)
{
	if (h->started) {
		h->stop = 1;
		pthread_join(h->th, NULL);
		h->started = 0;
	}
	if (h->lfd > 0)
		close(h->lfd);
	h->lfd = -1;
}

static int
hx_nreq(struct hx *h)
{
	int	n;

	pthread_mutex_lock(&h->lock);
	n = h->nreq;
	pthread_mutex_unlock(&h->lock);
	return n;
}


/* Read fd until its answer's status line is in; that line. */
static void
raw_status(int fd, char *line, size_t linelen)
{
	struct pollfd	pfd;
	size_t		len = 0;
	ssize_t		k;
	int64_t		start = txt_ms();

	while (len < linelen - 1) {
		assert_true(txt_ms() - start < 10000);
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) != 1)
			continue;
		assert_true((k = read(fd, line + len, 1)) == 1);
		if (line[len] == '\n')
			break;
		len++;
	}
	line[len] = '\0';
}

/*
 * netd's gateway on s, the fake vaultd f forwarding to the hostile
 * exchange h with hdrs, netd started with a1 and a2 (NULL: none); each
 * noted in cur for teardown.
 */
static void
hx_gw_start(struct hx *h, struct gws *s, struct nd *n, struct fv *f,
    const char *a1, const char *a2, const char *const *hdrs)
{
	cur.h = h;
	assert_int_equal(hx_start(h), 0);
	cur.s = s;
	assert_int_equal(gws_open(s), 0);
	cur.n = n;
	assert_int_equal(nd_start_gw(n, s, a1, a2), 0);
	cur.f = f;
	fv_start(f, n);
	fv_set_forward(f, h->url, hdrs);
}

/* All of hx_gw_start's stopped: the fake vaultd saw nothing wrong, and
 * netd ends cleanly. */
static void
hx_gw_stop(struct hx *h, struct gws *s, struct nd *n, struct fv *f)
{
	fv_ok(f);
	fv_stop(f);
	assert_int_equal(nd_stop(n), 0);
	nd_cleanup(n);
	gws_close(s);
	hx_stop(h);
}

/*
 * A bot asks for large answers on many connections and reads none:
 * netd holds at most NETD_GW_ANSWERS_MAX (64 MiB) of them, then tells
 * the next to retry, while small answers always pass, and a bot that
 * reads its answers frees the room.
 */
static void
test_answers_held(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct hx	 h;
	struct gwres		 r;
	char			 line[128];
	size_t			 i;
	int64_t			 start;

	hx_gw_start(&h, &s, &n, &f, NULL, NULL, NULL);
	/* 16 answers of 4 MB (4 MiB held each) fill the 64 MiB. */
	assert_non_null(cur.fds = calloc(16, sizeof(int)));
	for (i = 0; i < 16; i++) {
		cur.fds[cur.nfds++] = raw_unix(&s, "GET /big HTTP/1.1\r\n"
		    "Host: x\r\n\r\n");
		raw_status(cur.fds[i], line, sizeof(line));
		assert_string_equal(line, "HTTP/1.1 200 OK\r");
	}
	assert_int_equal(gw_req(&s, 0, "GET", "/big", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 503, "{\"error\":\"gateway: 64 MiB of answers wait "
	    "for bots to read them; retry\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "POST", "/big", NULL, "{}", 2, &r), 0);
	gw_expect(&r, 502, "{\"error\":\"gateway: 64 MiB of answers wait "
	    "for bots to read them; the request went to the exchange and its "
	    "answer is lost: check before sending it again\"}");
	gwres_free(&r);
	assert_int_equal(hx_nreq(&h), 18);
	/* A small answer always fits. */
	assert_int_equal(gw_req(&s, 1, "GET", "/hop", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 200, "ok");
	gwres_free(&r);
	/* Those bots go: their room is free again. */
	fds_close();
	start = txt_ms();
	for (;;) {
		assert_int_equal(gw_req(&s, 0, "GET", "/big", NULL, NULL, 0,
		    &r), 0);
		if (r.status == 200)
			break;
		gw_expect(&r, 503, NULL);
		gwres_free(&r);
		assert_true(txt_ms() - start < 10000);
		txt_sleep_ms(50);
	}
	assert_int_equal(r.len, 4000000);
	gwres_free(&r);
	hx_gw_stop(&h, &s, &n, &f);
}

/*
 * netd's own answers count in the same bound: /metrics (up to about
 * 1 MiB) on many connections no bot reads held it all as the
 * exchange's did.  The fake vaultd's metrics are small, so the
 * exchange's unread answers fill the room: /metrics is then told to
 * retry, /healthz (a few bytes, one a connection) still passes, and
 * once those bots read, /metrics is served again.
 */
static void
test_metrics_held(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct hx	 h;
	struct gwres		 r;
	char			 line[128];
	size_t			 i;
	int64_t			 start;

	hx_gw_start(&h, &s, &n, &f, NULL, NULL, NULL);
	fv_lock(&f);
	snprintf(f.metrics, sizeof(f.metrics), "clobvault_up 1");
	fv_unlock(&f);
	assert_int_equal(gw_req(&s, 0, "GET", "/metrics", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, NULL);
	gwres_free(&r);
	assert_non_null(cur.fds = calloc(16, sizeof(int)));
	for (i = 0; i < 16; i++) {
		cur.fds[cur.nfds++] = raw_unix(&s, "GET /big HTTP/1.1\r\n"
		    "Host: x\r\n\r\n");
		raw_status(cur.fds[i], line, sizeof(line));
		assert_string_equal(line, "HTTP/1.1 200 OK\r");
	}
	assert_int_equal(gw_req(&s, 0, "GET", "/metrics", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 503, "{\"error\":\"gateway: 64 MiB of answers wait "
	    "for bots to read them; retry\"}");
	assert_true(gwres_has(&r, "Content-Type: application/json"));
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "GET", "/healthz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	fds_close();
	start = txt_ms();
	for (;;) {
		assert_int_equal(gw_req(&s, 1, "GET", "/metrics", NULL, NULL,
		    0, &r), 0);
		if (r.status == 200)
			break;
		gw_expect(&r, 503, NULL);
		gwres_free(&r);
		assert_true(txt_ms() - start < 10000);
		txt_sleep_ms(50);
	}
	assert_true(strncmp(r.body, "clobvault_up 1\n# HELP ", 22) == 0);
	assert_non_null(strstr(r.body,
	    "\nclobvault_gateway_requests_total{code=\"503\"} "));
	gwres_free(&r);
	hx_gw_stop(&h, &s, &n, &f);
}

/*
 * The exchange's hop-by-hop headers stay at netd, those its Connection
 * header names (before it or after) among them; the rest, cookies too,
 * go on.
 */
static void
test_hop_headers(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct hx	 h;
	struct gwres		 r;
	int			 tcp;

	hx_gw_start(&h, &s, &n, &f, NULL, NULL, NULL);
	for (tcp = 0; tcp < 2; tcp++) {
		assert_int_equal(gw_req(&s, tcp, "GET", "/hop", NULL, NULL, 0,
		    &r), 0);
		gw_expect(&r, 200, "ok");
		assert_true(gwres_has(&r, "X-End: 1"));
		assert_true(gwres_has(&r, "Set-Cookie: s=1"));
		assert_null(strcasestr(r.hdrs, "X-Hop"));
		assert_null(strcasestr(r.hdrs, "X-Early"));
		assert_null(strcasestr(r.hdrs, "Keep-Alive"));
		assert_null(strcasestr(r.hdrs, "Proxy-"));
		assert_null(strcasestr(r.hdrs, "close"));
		gwres_free(&r);
	}
	hx_gw_stop(&h, &s, &n, &f);
}

/*
 * An exchange that echoes what it was sent: the account's passphrase
 * never reaches the bot, in the answer's headers or its body; its API
 * key, which orders carry, does.
 */
static void
test_reflect(void **state)
{
	static const char *const hdrs[] = {
	    "POLY_ADDRESS", "0x0000000000000000000000000000000000000001",
	    "POLY_API_KEY", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
	    "POLY_PASSPHRASE", "00112233445566778899aabbccddeeff"
	    "0123456789abcdef0123456789abcdef",
	    "POLY_SIGNATURE", "c2lnbmF0dXJlLW9mLXZhdWx0ZA==",
	    "POLY_TIMESTAMP", "1700000000", NULL };
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct hx	 h;
	struct gwres		 r;

	hx_gw_start(&h, &s, &n, &f, NULL, NULL, hdrs);
	assert_int_equal(gw_req(&s, 0, "GET", "/reflect", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange's answer "
	    "(HTTP 401) quotes the account's passphrase and is withheld\"}");
	assert_null(strstr(r.hdrs, "X-Seen"));
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "POST", "/reflect-body", NULL, "{}", 2,
	    &r), 0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange's answer "
	    "(HTTP 401) quotes the account's passphrase and is withheld; "
	    "the request went to the exchange: check before sending it "
	    "again\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 0, "GET", "/reflect-key", NULL, NULL, 0,
	    &r), 0);
	gw_expect(&r, 401, "no");
	assert_true(gwres_has(&r, "X-Seen-POLY_API_KEY: "
	    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
	gwres_free(&r);
	assert_int_equal(hx_nreq(&h), 3);
	hx_gw_stop(&h, &s, &n, &f);
}

/* Write all of p to fd (blocking). */
static void
raw_write_all(int fd, const char *p, size_t len)
{
	ssize_t	k;

	while (len > 0) {
		assert_true((k = write(fd, p, len)) > 0);
		p += k;
		len -= (size_t)k;
	}
}

/* Everything netd sends on fd until it closes it, NUL-ended. */
static char *
raw_read_all(int fd, size_t *lenp)
{
	struct pollfd	 pfd;
	char		*buf = NULL, *nb;
	size_t		 len = 0;
	ssize_t		 k;
	int64_t		 start = txt_ms();

	for (;;) {
		assert_true(txt_ms() - start < 10000);
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) != 1)
			continue;
		assert_non_null(nb = realloc(buf, len + 65536 + 1));
		buf = nb;
		if ((k = read(fd, buf + len, 65536)) <= 0)
			break;
		len += (size_t)k;
	}
	if (buf == NULL)
		assert_non_null(buf = malloc(1));
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Send req whole on a new connection; what netd answers before closing. */
static char *
raw_exchange(const struct gws *s, const char *req, size_t reqlen)
{
	char	*ans;
	size_t	 len;
	int	 fd = raw_unix(s, NULL);

	raw_write_all(fd, req, reqlen);
	ans = raw_read_all(fd, &len);
	close(fd);
	return ans;
}

/*
 * What a broken or hostile bot can send, each bounded by netd alone
 * (vaultd never hears of it), netd serving on after each: a header line
 * of a megabyte, 5000 headers, a body announced at 10 GB, 20000
 * requests pipelined on one connection that reads no answer while
 * another bot is served (then every answer, in order), and 2000
 * connections opened and closed at once.
 */
static void
test_bot_limits(void **state)
{
	static const char one[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres		 r;
	struct pollfd		 pfd;
	char			*big, *ans, rb[65536];
	size_t			 len, i, off, oks, total;
	uint32_t		 last;
	ssize_t			 k;
	int64_t			 start;
	int			 fd, flags;

	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_error(&f, CV_ERR_DENIED, "no");
	assert_non_null(big = malloc(1100000));

	/* A header line of 1 MB; 5000 headers: 431, closed. */
	len = (size_t)snprintf(big, 64, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "X-Big: ");
	memset(big + len, 'a', 1000000);
	memcpy(big + len + 1000000, "\r\n\r\n", 5);
	/* netd answers and closes before reading it all */
	fd = raw_unix(&s, NULL);
	flags = fcntl(fd, F_GETFL);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	(void)!write(fd, big, len + 1000004);
	assert_int_equal(fcntl(fd, F_SETFL, flags), 0);
	ans = raw_read_all(fd, &len);
	close(fd);
	assert_true(strncmp(ans, "HTTP/1.1 431 Request Header Fields Too "
	    "Large\r\n", 46) == 0);
	assert_non_null(strstr(ans, "\r\nConnection: close\r\n"));
	free(ans);
	len = (size_t)snprintf(big, 64, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < 5000; i++)
		len += (size_t)snprintf(big + len, 32, "X-H%zu: v\r\n", i);
	len += (size_t)snprintf(big + len, 4, "\r\n");
	fd = raw_unix(&s, NULL);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	(void)!write(fd, big, len);
	assert_int_equal(fcntl(fd, F_SETFL, flags), 0);
	ans = raw_read_all(fd, &len);
	close(fd);
	assert_true(strncmp(ans, "HTTP/1.1 431 Request Header Fields Too "
	    "Large\r\n", 46) == 0);
	free(ans);

	/* A body of 10 GB, announced: 413 before any of it. */
	ans = raw_exchange(&s, "POST /order HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 10000000000\r\n\r\n{}", 65);
	assert_true(strncmp(ans, "HTTP/1.1 413 ", 13) == 0);
	assert_non_null(strstr(ans, "\r\n\r\n{\"error\":\"gateway: the body is "
	    "over 65536 bytes\"}"));
	free(ans);
	fv_lock(&f);
	assert_int_equal(f.ngw, 0);
	fv_unlock(&f);

	/* 20000 requests pipelined, no answer read. */
	total = 20000 * (sizeof(one) - 1);
	for (i = 0; i < 20000; i++)
		memcpy(big + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	fd = raw_unix(&s, NULL);
	assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
	off = 0;
	start = txt_ms();
	/* until netd stops reading: its answers fill the socket */
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, 500) != 1)
			break;
		if ((k = write(fd, big + off, total - off)) > 0)
			off += (size_t)k;
		if (off == total)
			break;
		assert_true(txt_ms() - start < 10000);
	}
	assert_true(off < total);
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", NULL, NULL, 0, &r), 0);
	gw_expect(&r, 403, "{\"error\":\"no\"}");
	gwres_free(&r);
	/* Now read: every answer, in order, once each. */
	oks = 0;
	last = 0;
	start = txt_ms();
	while (oks < 20000) {
		assert_true(txt_ms() - start < 30000);
		pfd.fd = fd;
		pfd.events = POLLIN | (off < total ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if ((pfd.revents & POLLOUT) &&
		    (k = write(fd, big + off, total - off)) > 0)
			off += (size_t)k;
		if (!(pfd.revents & POLLIN))
			continue;
		assert_true((k = read(fd, rb, sizeof(rb))) > 0);
		/* "ok\n" ends each answer's body, across reads too */
		for (i = 0; i < (size_t)k; i++) {
			last = (last << 8 | (uint8_t)rb[i]) & 0xffffff;
			oks += last == ((uint32_t)'o' << 16 |
			    (uint32_t)'k' << 8 | '\n');
		}
	}
	assert_int_equal(off, total);
	assert_int_equal(oks, 20000);
	close(fd);

	/*
	 * 2000 connections opened and closed at once.  Until netd has
	 * taken the last of them off the socket's backlog (512), a
	 * connect that does not wait is refused (curl: 7).
	 */
	for (i = 0; i < 2000; i++)
		close(raw_unix(&s, i % 2 ? "GET /heal" : NULL));
	start = txt_ms();
	while (gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0, &r) ==
	    CURLE_COULDNT_CONNECT) {
		gwres_free(&r);
		assert_true(txt_ms() - start < 10000);
		txt_sleep_ms(10);
	}
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	fv_ok(&f);
	fv_lock(&f);
	assert_int_equal(f.ngw, 1);
	fv_unlock(&f);
	free(big);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	nd_cleanup(&n);
	gws_close(&s);
}

/*
 * A hostile or broken exchange: a body without end (cut at 4 MiB), a
 * trickle (cut at netd's time-out, -t 2 here), 100 headers, a header
 * line of a megabyte, a redirect (passed on, never followed, to another
 * host or to plain http), interim answers (left out), a gzip body
 * (passed on as it came: netd asks for no compression and decodes
 * none).  No error text quotes anything of the request.
 */
static void
test_upstream_hostile(void **state)
{
	static const char *const hdrs[] = {
	    "POLY_API_KEY", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
	    "POLY_PASSPHRASE", "00112233445566778899aabbccddeeff", NULL };
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static struct hx	 h;
	struct gwres		 r;
	const char		*pre = "{\"error\":\"gateway: the exchange did "
	    "not answer: ";

	hx_gw_start(&h, &s, &n, &f, "-t", "2", hdrs);

	assert_int_equal(gw_req(&s, 0, "GET", "/endless", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange's answer is "
	    "over 4194304 bytes\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 1, "GET", "/trickle", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 504, "{\"error\":\"gateway: the exchange did not answer "
	    "within 2 s\"}");
	gwres_free(&r);
	assert_int_equal(gw_req(&s, 0, "GET", "/headers", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 502, "{\"error\":\"gateway: the exchange's answer has "
	    "over 64 headers or 16384 bytes of them\"}");
	gwres_free(&r);
	/* libcurl's own refusal; its words are its version's */
	assert_int_equal(gw_req(&s, 0, "GET", "/hugeline", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 502, NULL);
	assert_true(strncmp(r.body, pre, strlen(pre)) == 0);
	assert_null(strstr(r.body, "hhhh"));
	assert_null(strstr(r.body, "0011223344"));
	gwres_free(&r);

	/* A redirect is the exchange's answer, not followed. */
	assert_int_equal(gw_req(&s, 0, "GET", "/redirect", NULL, NULL, 0, &r),
	    0);
	gw_expect(&r, 302, "moved");
	assert_true(gwres_has(&r, "Location: http://127.0.0.1:1/elsewhere"));
	gwres_free(&r);
	assert_int_equal(hx_nreq(&h), 5);
	/* 100 Continue and 103: only the final answer's headers. */
	assert_int_equal(gw_req(&s, 1, "POST", "/interim", NULL, "{}", 2, &r),
	    0);
	gw_expect(&r, 200, "ok");
	assert_true(gwres_has(&r, "X-Final: 1"));
	assert_null(strstr(r.hdrs, "X-Interim"));
	assert_null(strstr(r.hdrs, "Link"));
	gwres_free(&r);
	/* Compressed: the bytes as they came, and the encoding named. */
	assert_int_equal(gw_req(&s, 0, "GET", "/gzip", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.cc, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 5);
	assert_memory_equal(r.body, "\x1f\x8b\x08zz", 5);
	assert_true(gwres_has(&r, "Content-Encoding: gzip"));
	gwres_free(&r);
	pthread_mutex_lock(&h.lock);
	assert_null(strcasestr(h.last, "Accept-Encoding"));
	pthread_mutex_unlock(&h.lock);
	assert_int_equal(hx_nreq(&h), 7);
	hx_gw_stop(&h, &s, &n, &f);
}

/*
 * A bot that pipelines requests on each connection of a socket's share
 * and reads their answers just often enough for the silence time-out
 * keeps every connection "sending": an answer unread for -D's second
 * counts as no work, so another bot is served in the place of one.
 */
static void
test_conn_slow_reader(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char	 one[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	struct gwres		 r;
	char			*req;
	size_t			 i, k = 2000, len = strlen(one);

	assert_non_null(req = malloc(k * len));
	for (i = 0; i < k; i++)
		memcpy(req + i * len, one, len);
	gw_up(&s, &n, &f, "-D", "1");
	assert_non_null(cur.fds = calloc(SHARE, sizeof(int)));
	for (i = 0; i < SHARE; i++) {
		cur.fds[cur.nfds++] = raw_unix(&s, NULL);
		raw_write_all(cur.fds[i], req, k * len);
	}
	free(req);
	/* each answer past its socket's room, unread for a second */
	txt_sleep_ms(2500);
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0,
	    &r), 0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
	assert_true(nd_log_has(&n, "the one idle longest closed for a new "
	    "one"));
	assert_false(nd_log_has(&n, "at work on one socket"));
}

/* Send what is left of p to fd, a byte; 0 once fd is closed. */
static int
trickle(int fd, const char **p)
{
	struct pollfd	pfd;
	char		b[256];
	ssize_t		k;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) == 1) {
		/* nothing is answered: the end alone */
		if ((k = read(fd, b, sizeof(b))) <= 0)
			return 0;
		fail_msg("an answer to a trickled request: %.*s", (int)k, b);
	}
	if (**p != '\0' && send(fd, *p, 1, MSG_NOSIGNAL) == 1)
		(*p)++;
	return 1;
}

/*
 * A request sent a byte at a time, which keeps the silence time-out
 * away, is closed once its line, its headers or its body are not in by
 * their deadline (-D 1: a second each), unanswered; a request sent
 * whole is served.
 */
static void
test_deadlines(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char	 line[] = "lthz?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char	 more[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	const char		*p[3] = { line, more, more };
	struct gwres		 r;
	int			 open[3] = { 1, 1, 1 };
	size_t			 i, t;

	gw_up(&s, &n, &f, "-D", "1");
	assert_non_null(cur.fds = calloc(3, sizeof(int)));
	cur.fds[cur.nfds++] = raw_unix(&s, "GET /hea");
	cur.fds[cur.nfds++] = raw_unix(&s, "GET /healthz HTTP/1.1\r\n"
	    "Host: x\r\nX-Slow: ");
	cur.fds[cur.nfds++] = raw_unix(&s, "POST /order HTTP/1.1\r\n"
	    "Host: x\r\nContent-Length: 90\r\n\r\n");
	/* a byte each 100 ms: closed within 10 s, the deadline's tenfold */
	for (t = 0; t < 100 && (open[0] || open[1] || open[2]); t++) {
		for (i = 0; i < 3; i++)
			if (open[i])
				open[i] = trickle(cur.fds[i], &p[i]);
		txt_sleep_ms(100);
	}
	assert_false(open[0]);
	assert_false(open[1]);
	assert_false(open[2]);
	assert_true(nd_log_has(&n, "a request's line not in after 1 s"));
	assert_true(nd_log_has(&n, "a request's headers not in after 1 s"));
	assert_true(nd_log_has(&n, "a request's body not in after 1 s"));
	assert_int_equal(gw_req(&s, 0, "GET", "/healthz", NULL, NULL, 0,
	    &r), 0);
	gw_expect(&r, 200, "ok\n");
	gwres_free(&r);
}

/*
 * One client's credentials hold at most 32 of the places waiting on
 * vaultd; the next of theirs is refused at once (503, retry), while
 * another client's, an unsigned request and one naming the same key id
 * with another passphrase (as anyone may) still wait.
 */
static void
test_wait_share(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char *const	 mine[] = { "POLY_API_KEY: bot-a",
	    "POLY_PASSPHRASE: pass-a", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static const char *const	 spoof[] = { "POLY_API_KEY: bot-a",
	    "POLY_PASSPHRASE: guessed", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static const char *const	 other[] = { "POLY_API_KEY: bot-b",
	    "POLY_PASSPHRASE: pass-b", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	const char *const		*who[] = { spoof, other, NULL };
	struct curl_slist		*l[35];
	struct gwres			*r, one;
	CURL				*c[35];
	CURLM				*m;
	size_t				 i, j, nc = 0;

	assert_non_null(r = calloc(35, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	for (; nc < 32; nc++) {
		l[nc] = NULL;
		for (j = 0; mine[j] != NULL; j++)
			l[nc] = curl_slist_append(l[nc], mine[j]);
		assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc],
		    NULL, 0, &r[nc]));
		assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	}
	drive_until(m, &f, 32);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", mine, NULL, 0, &one),
	    0);
	gw_expect(&one, 503, "{\"error\":\"gateway: 32 requests of these "
	    "client credentials are waiting on vaultd; retry\"}");
	gwres_free(&one);
	for (i = 0; i < 3; i++, nc++) {
		l[nc] = NULL;
		for (j = 0; who[i] != NULL && who[i][j] != NULL; j++)
			l[nc] = curl_slist_append(l[nc], who[i][j]);
		assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc],
		    NULL, 0, &r[nc]));
		assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
		drive_until(m, &f, nc + 1);
	}
	fv_lock(&f);
	assert_string_equal(f.held[32].key, "bot-a");
	assert_string_equal(f.held[33].key, "bot-b");
	assert_string_equal(f.held[34].key, "");
	fv_unlock(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, nc);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

/*
 * Requests without credentials hold at most 64 places waiting on
 * vaultd: anyone who reaches the gateway can send them, and 256 would
 * leave a client none.  The 65th gets 503; a client still gets in.
 */
static void
test_wait_unsigned(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char *const	 mine[] = { "POLY_API_KEY: bot-a",
	    "POLY_PASSPHRASE: pass-a", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static struct curl_slist	*l[65];
	struct gwres			*r, one;
	CURL				*c[65];
	CURLM				*m;
	size_t				 i, nc = 0;

	assert_non_null(r = calloc(65, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	for (; nc < 64; nc++) {
		assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", NULL,
		    NULL, 0, &r[nc]));
		assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	}
	drive_until(m, &f, 64);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", NULL, NULL, 0, &one),
	    0);
	gw_expect(&one, 503, "{\"error\":\"gateway: 64 requests without "
	    "client credentials are waiting on vaultd; retry\"}");
	gwres_free(&one);
	for (i = 0; mine[i] != NULL; i++)
		l[nc] = curl_slist_append(l[nc], mine[i]);
	assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc], NULL,
	    0, &r[nc]));
	assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	nc++;
	drive_until(m, &f, nc);
	fv_lock(&f);
	assert_string_equal(f.held[63].key, "");
	assert_string_equal(f.held[64].key, "bot-a");
	fv_unlock(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, nc);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

/*
 * Made-up credentials are a share of their own each, so together they
 * hold at most 64 places waiting on vaultd: a flood of them, each with
 * a fresh passphrase and the client's key id, has the 65th told to
 * retry (and so a client netd has not yet seen pass), while the
 * client's own credentials, which passed, still get their place.
 */
static void
test_wait_new(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char *const	 mine[] = { "POLY_API_KEY: bot-0",
	    "POLY_PASSPHRASE: pass", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static const char *const	 spoof[] = { "POLY_API_KEY: bot-0",
	    "POLY_PASSPHRASE: guess-more", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static const char *const	 fresh[] = { "POLY_API_KEY: bot-1",
	    "POLY_PASSPHRASE: pass", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static struct curl_slist	*l[65];
	struct gwres			*r, one;
	CURL				*c[65];
	CURLM				*m;
	char				 h[64];
	size_t				 i, nc = 0;

	assert_non_null(r = calloc(65, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	gw_prime(&s, &f, 1);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	for (; nc < 64; nc++) {
		l[nc] = curl_slist_append(NULL, "POLY_API_KEY: bot-0");
		snprintf(h, sizeof(h), "POLY_PASSPHRASE: guess-%zu", nc);
		l[nc] = curl_slist_append(l[nc], h);
		l[nc] = curl_slist_append(l[nc], "POLY_TIMESTAMP: 1700000000");
		l[nc] = curl_slist_append(l[nc], "POLY_SIGNATURE: c2ln");
		assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc],
		    NULL, 0, &r[nc]));
		assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	}
	drive_until(m, &f, 64);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", spoof, NULL, 0, &one),
	    0);
	gw_expect(&one, 503, "{\"error\":\"gateway: 64 requests of client "
	    "credentials not yet accepted since netd started are waiting on "
	    "vaultd; retry\"}");
	gwres_free(&one);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", fresh, NULL, 0, &one),
	    0);
	gw_expect(&one, 503, "{\"error\":\"gateway: 64 requests of client "
	    "credentials not yet accepted since netd started are waiting on "
	    "vaultd; retry\"}");
	gwres_free(&one);
	for (i = 0; mine[i] != NULL; i++)
		l[nc] = curl_slist_append(l[nc], mine[i]);
	assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc], NULL,
	    0, &r[nc]));
	assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	nc++;
	drive_until(m, &f, nc);
	fv_lock(&f);
	assert_int_equal(f.nheld, 65);
	assert_string_equal(f.held[63].pass, "guess-63");
	assert_string_equal(f.held[64].pass, "pass");
	fv_unlock(&f);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, nc);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

/*
 * Credentials that passed once and are refused since (their client
 * removed from the vault, its leaked credentials still sent) are new
 * again: their requests share the 64 places of credentials not yet
 * accepted, and hold no share of 32 of their own beside them.
 */
static void
test_wait_refused(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	static const char *const	 mine[] = { "POLY_API_KEY: bot-0",
	    "POLY_PASSPHRASE: pass", "POLY_TIMESTAMP: 1700000000",
	    "POLY_SIGNATURE: c2ln", NULL };
	static struct curl_slist	*l[65];
	struct gwres			*r, one;
	CURL				*c[65];
	CURLM				*m;
	CURLMsg				*msg;
	char				 h[64];
	size_t				 i, nc = 0, held;
	int64_t				 start;
	int				 running, left, done = 0;

	assert_non_null(r = calloc(65, sizeof(*r)));
	gw_up(&s, &n, &f, NULL, NULL);
	gw_prime(&s, &f, 1);		/* bot-0's credentials passed */
	fv_set_refused(&f);
	assert_int_equal(gw_req(&s, 1, "GET", "/time", mine, NULL, 0, &one),
	    0);
	gw_expect(&one, 401, "{\"error\":\"client credentials refused\"}");
	gwres_free(&one);
	fv_set_silent(&f);
	assert_non_null(m = curl_multi_init());
	for (; nc < 64; nc++) {
		l[nc] = curl_slist_append(NULL, "POLY_API_KEY: bot-9");
		snprintf(h, sizeof(h), "POLY_PASSPHRASE: guess-%zu", nc);
		l[nc] = curl_slist_append(l[nc], h);
		l[nc] = curl_slist_append(l[nc], "POLY_TIMESTAMP: 1700000000");
		l[nc] = curl_slist_append(l[nc], "POLY_SIGNATURE: c2ln");
		assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc],
		    NULL, 0, &r[nc]));
		assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	}
	drive_until(m, &f, 64);
	/* bot-0's refused credentials: one more of those 64, not held */
	for (i = 0; mine[i] != NULL; i++)
		l[nc] = curl_slist_append(l[nc], mine[i]);
	assert_non_null(c[nc] = gw_easy(&s, 0, "GET", "/time", l[nc], NULL,
	    0, &r[nc]));
	assert_int_equal(curl_multi_add_handle(m, c[nc]), 0);
	start = txt_ms();
	for (;;) {
		assert_int_equal(curl_multi_perform(m, &running), 0);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE &&
			    msg->easy_handle == c[nc]) {
				gw_easy_done(c[nc], &r[nc], msg->data.result);
				done = 1;
			}
		fv_lock(&f);
		held = f.nheld;
		fv_unlock(&f);
		if (done || held > 64)
			break;
		assert_true(txt_ms() - start < 10000);
		assert_int_equal(curl_multi_poll(m, NULL, 0, 20, NULL), 0);
	}
	assert_int_equal(held, 64);
	gw_expect(&r[nc], 503, "{\"error\":\"gateway: 64 requests of client "
	    "credentials not yet accepted since netd started are waiting on "
	    "vaultd; retry\"}");
	curl_multi_remove_handle(m, c[nc]);
	curl_easy_cleanup(c[nc]);
	curl_slist_free_all(l[nc]);
	gwres_free(&r[nc]);
	fv_stop(&f);
	assert_int_equal(nd_stop(&n), 0);
	held_closed(m, c, r, l, nc);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bot_limits, teardown),
		cmocka_unit_test_teardown(test_conn_flood, teardown),
		cmocka_unit_test_teardown(test_conn_evicted_quiet, teardown),
		cmocka_unit_test_teardown(test_conn_slow_reader, teardown),
		cmocka_unit_test_teardown(test_deadlines, teardown),
		cmocka_unit_test_teardown(test_wait_share, teardown),
		cmocka_unit_test_teardown(test_wait_unsigned, teardown),
		cmocka_unit_test_teardown(test_wait_new, teardown),
		cmocka_unit_test_teardown(test_wait_refused, teardown),
		cmocka_unit_test_teardown(test_answers_held, teardown),
		cmocka_unit_test_teardown(test_metrics_held, teardown),
		cmocka_unit_test_teardown(test_hop_headers, teardown),
		cmocka_unit_test_teardown(test_reflect, teardown),
		cmocka_unit_test_teardown(test_upstream_hostile, teardown),
	};

	/* GW_TEST=name: that test alone */
	if (getenv("GW_TEST") != NULL)
		cmocka_set_test_filter(getenv("GW_TEST"));
	return cmocka_run_group_tests(tests, nd_group_setup,
	    nd_group_teardown);
}
