/*
 * netd's gateway against a bot that means harm or is broken, and an
 * exchange that does: a real netd serving the sockets vaultd would
 * pass, the test playing vaultd (tests/it_netd_gw.h), the bots and the
 * exchange.  Connections that send nothing, or a request that never
 * ends, take no working bot's place; requests at vaultd are never cut
 * off for them.  Every test's teardown ends what it started.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>

#include <cmocka.h>

#include "tests/it_netd_gw.h"

/* A socket's share of NETD_GW_CONNS (512) when netd serves two. */
#define SHARE		256

static struct {
	struct gws	*s;
	struct nd	*n;
	struct fv	*f;
	struct echo	*e;
	int		*fds;
	size_t		 nfds;
} cur;

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
	if (cur.e != NULL && cur.e->d != NULL)
		echo_stop(cur.e);
	memset(&cur, 0, sizeof(cur));
	return 0;
}

/* The fake vaultd saw nothing unexpected. */
static void
fv_ok(struct fv *f)
{
	fv_lock(f);
	if (f->broken)
		fprintf(stderr, "fake vaultd: %s\n", f->broken_why);
	assert_false(f->broken);
	fv_unlock(f);
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

/* Drive m until the fake vaultd holds held requests (within 10 s). */
static void
drive_until(CURLM *m, struct fv *f, size_t held)
{
	int64_t	start = txt_ms();
	int	running, done;

	for (;;) {
		assert_int_equal(curl_multi_perform(m, &running), 0);
		fv_lock(f);
		done = f->nheld >= held;
		fv_unlock(f);
		if (done)
			return;
		assert_true(txt_ms() - start < 10000);
		assert_int_equal(curl_multi_poll(m, NULL, 0, 20, NULL), 0);
	}
}

/* Drive m to the end, each answer into r[i] of its c[i]. */
static void
drive_all(CURLM *m, CURL **c, struct gwres *r, size_t n)
{
	CURLMsg	*msg;
	size_t	 i;
	int	 running, left;

	do {
		assert_int_equal(curl_multi_perform(m, &running), 0);
		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			if (msg->msg == CURLMSG_DONE)
				for (i = 0; i < n; i++)
					if (c[i] == msg->easy_handle)
						gw_easy_done(c[i], &r[i],
						    msg->data.result);
		if (running)
			assert_int_equal(curl_multi_poll(m, NULL, 0, 100,
			    NULL), 0);
	} while (running);
}

/*
 * A bot fills a socket's share of connections with ones that send
 * nothing or part of a request (as one sending a byte at a time, which
 * keeps libmicrohttpd's idle time-out away, looks): another bot is
 * served all the same, in the place of one of them, and requests
 * waiting on vaultd are never the ones closed.  When every connection is at work, a new one is closed
 * at once rather than left waiting, and the other socket serves on.
 */
static void
test_conn_flood(void **state)
{
	static struct gws	 s;
	static struct nd	 n;
	static struct fv	 f;
	struct gwres		*r, one;
	CURL			*c[SHARE];
	CURLM			*m;
	size_t			 i, nheld = 2;
	int			 cc;

	assert_non_null(r = calloc(SHARE, sizeof(*r)));
	cur.s = &s;
	assert_int_equal(gws_open(&s), 0);
	cur.n = &n;
	assert_int_equal(nd_start_gw(&n, &s, NULL, NULL), 0);
	cur.f = &f;
	fv_start(&f, &n);
	fv_lock(&f);
	f.mode = FV_SILENT;
	fv_unlock(&f);
	/* Two requests at vaultd, on their own connections. */
	assert_non_null(m = curl_multi_init());
	for (i = 0; i < nheld; i++) {
		assert_non_null(c[i] = gw_easy(&s, 0, "GET", "/time", NULL,
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
		assert_non_null(c[nheld] = gw_easy(&s, 0, "GET", "/time",
		    NULL, NULL, 0, &r[nheld]));
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
	drive_all(m, c, r, SHARE);
	for (i = 0; i < SHARE; i++) {
		gw_expect(&r[i], 503, "{\"error\":\"gateway: vaultd closed "
		    "the channel; the request was not sent to the "
		    "exchange\"}");
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
		gwres_free(&r[i]);
	}
	curl_multi_cleanup(m);
	nd_cleanup(&n);
	gws_close(&s);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_conn_flood, teardown),
	};

	/* GW_TEST=name: that test alone */
	if (getenv("GW_TEST") != NULL)
		cmocka_set_test_filter(getenv("GW_TEST"));
	return cmocka_run_group_tests(tests, nd_group_setup,
	    nd_group_teardown);
}
