/*
 * The gateway, bot side: libmicrohttpd on each listening socket vaultd
 * passed (-G), run from netd's one poll (no thread of its own), and the
 * conversation with vaultd about each request.
 *
 * Event loop: each daemon runs with MHD_USE_EPOLL, so all its sockets
 * (listening, every connection, its resume eventfd) sit behind one
 * epoll descriptor.  That descriptor joins the loop's poll set beside
 * the channel and the gateway's libcurl sockets.  After a poll a daemon
 * gets MHD_run when its descriptor has an event, a connection of the
 * gateway's was resumed, or the time-out MHD_get_timeout gave before
 * the poll is due (gw_events).  libmicrohttpd asks for a run after
 * every poll once it gave a time-out, but what a run serves is one of
 * those three; the others were an epoll_wait that found nothing, at
 * each turn on a socket no bot used.  The
 * alternative, MHD_get_fdset2 and select, would copy every connection
 * into fd_sets on each turn and stop at FD_SETSIZE.
 *
 * A request is read whole (the target exactly as sent, from the URI
 * callback: what the client signed and what goes upstream), checked
 * (netd_gw_req.c), then its connection is suspended while vaultd and the exchange answer
 * (MHD_ALLOW_SUSPEND_RESUME) and resumed with the answer made.  netd
 * itself answers GET /healthz; /readyz and /metrics ask vaultd
 * (MSG_GW_INFO_REQ); everything else is one MSG_GW_REQ.
 *
 * Limits: a body of at most NETD_GW_BODY_MAX bytes (413), a target of
 * at most NETD_GW_TARGET_MAX (414), NETD_GW_WAIT_MAX requests waiting
 * on vaultd (503 beyond), NETD_GW_WAIT_CLIENT of them of one client's
 * credentials (gw_who), NETD_GW_WAIT_UNSIGNED of those without
 * credentials, NETD_GW_WAIT_NEW of those whose credentials vaultd has
 * not said passed (MSG_GW_PASSED), NETD_GW_CONNS connections shared by the
 * sockets (one beyond a socket's share takes the place of one that does
 * no work: gw_conn_evict), NETD_GW_IDLE seconds of silence on a
 * connection (a suspended one is exempt and starts anew when resumed),
 * deadlines for a request's line, headers and body (gw_deadlines),
 * NETD_GW_VAULTD_MS for vaultd's answer (504; -V in tests).  A request
 * netd gives up on while vaultd has it (504, or its bot gone:
 * gw_conn_gone) is given up at vaultd too (MSG_GW_GONE, gw_wait_drop).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>

#include <jansson.h>
#include <sodium.h>

#include "common/log.h"
#include "netd/netd_gw.h"

/* A growing text: /metrics. */
struct gw_buf {
	uint8_t	*p;
	size_t	 len, cap;
};

/* The histogram's upper bounds, seconds. */
static const double gw_le[GW_HIST_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5
};

unsigned int
gw_status_of(int code)
{
	switch (code) {
	case CV_ERR_AUTH:
		return 401;
	case CV_ERR_DENIED:
		return 403;
	case CV_ERR_INVALID:
		return 400;
	case CV_ERR_NOTFOUND:
		return 404;
	case CV_ERR_LOCKED:
	case CV_ERR_AGAIN:
	case CV_ERR_NOTRUNNING:
		return 503;
	case CV_ERR_TOOLONG:
	case CV_ERR_MSG_TOOBIG:
		return 413;
	case CV_ERR_TIMEOUT:
		return 504;
	default:
		return 500;
	}
}

int
gw_hop_header(const char *name, size_t len)
{
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "Transfer-Encoding",
		"Content-Length", "Upgrade", "TE", "Trailer"
	};
	size_t	i;

	if (len == 0 || name[0] == ':')
		return 1;
	if (len >= 6 && strncasecmp(name, "Proxy-", 6) == 0)
		return 1;
	for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (strlen(hop[i]) == len && strncasecmp(name, hop[i],
		    len) == 0)
			return 1;
	return 0;
}

int
gw_conn_option(const char *list, const char *name)
{
	size_t	n, len = strlen(name);

	while (*list != '\0') {
		list += strspn(list, " \t,");
		n = strcspn(list, ",");
		while (n > 0 && (list[n - 1] == ' ' || list[n - 1] == '\t'))
			n--;
		if (n == len && len > 0 && strncasecmp(list, name, n) == 0)
			return 1;
		list += n;
		list += strcspn(list, ",");
	}
	return 0;
}

int
gw_token(const char *s, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr("!#$%&'*+-.^_`|~", s[i]) != NULL)))
			return 0;
	return 1;
}

static void
gw_buf_add(struct gw_buf *b, const void *p, size_t len)
{
	size_t	 cap;
	uint8_t	*np;

	if (len == 0)
		return;		/* p may be NULL: an empty msgpack string */
	if (len > SIZE_MAX / 2 - b->len)
		fatalx("out of memory");
	if (b->len + len > b->cap) {
		cap = b->cap == 0 ? 4096 : b->cap;
		while (cap < b->len + len)
			cap *= 2;
		if ((np = netd_mem_realloc(b->p, cap)) == NULL)
			fatalx("out of memory");
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static void	gw_buf_printf(struct gw_buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
gw_buf_printf(struct gw_buf *b, const char *fmt, ...)
{
	char	line[256];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		fatalx("metrics line too long");
	gw_buf_add(b, line, (size_t)n);
}

/* libmicrohttpd's own complaints, into our log. */
static void	gw_logger(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
gw_logger(void *cls, const char *fmt, va_list ap)
{
	char	text[256];
	size_t	n;

	vsnprintf(text, sizeof(text), fmt, ap);
	n = strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	log_info("gateway: %s", text);
}

/* The path as sent is what the client signed: never unescaped. */
static size_t
gw_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	return strlen(s);
}

static void
gw_count(struct netd_gw *gw, struct gw_req *r, unsigned int status)
{
	double	s = (double)(netd_now_us() - r->t0_us) / 1e6;
	size_t	i;

	if (status < sizeof(gw->m.codes) / sizeof(gw->m.codes[0]))
		gw->m.codes[status]++;
	for (i = 0; i < GW_HIST_BUCKETS && s > gw_le[i]; i++)
		;
	gw->m.hist[i]++;
	gw->m.count++;
	gw->m.sum += s;
}

/*
 * netd's one gateway, for gw_held_free: libmicrohttpd's free callback
 * is given the buffer alone.  Set by gw_answer_held, before any answer
 * it counts can be freed (the gateway is made by gw_init, or by hand
 * in the fuzzing harness).
 */
static struct netd_gw	*gw_held_gw;

/* libmicrohttpd is done with an answer (counted in held). */
static void
gw_held_free(void *cls)
{
	struct netd_gw	*gw = gw_held_gw;

	gw->held -= netd_mem_size(cls);
	netd_mem_free(cls);
}

/* r's answer is resp, with status: resume the connection. */
static struct MHD_Response *
gw_answer_resp(struct gw_req *r, unsigned int status,
    struct MHD_Response *resp, const char *ctype)
{
	if (resp == NULL)
		fatalx("out of memory");
	if (ctype != NULL && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_CONTENT_TYPE, ctype) != MHD_YES)
		fatalx("gateway: cannot set the content type");
	r->resp = resp;
	r->status = status;
	r->state = GS_DONE;
	r->gw->ninflight--;
	if (r->gc != NULL)
		r->gc->at_ms = netd_now_ms();	/* the bot's to read */
	gw_count(r->gw, r, status);
	if (r->suspended) {
		r->suspended = 0;
		MHD_resume_connection(r->conn);
		r->gw->resumed = 1;
	}
	return resp;
}

/* gw_answer with a body already counted in held. */
static struct MHD_Response *
gw_answer_held(struct gw_req *r, unsigned int status, uint8_t *body,
    size_t len, const char *ctype)
{
	gw_held_gw = r->gw;
	if (r->state == GS_DONE)
		fatalx("gateway: a request answered twice");
	if (body == NULL || len == 0) {
		if (body != NULL)
			gw_held_free(body);
		return gw_answer_resp(r, status,
		    MHD_create_response_from_buffer(0, (void *)(uintptr_t)"",
		    MHD_RESPMEM_PERSISTENT), ctype);
	}
	return gw_answer_resp(r, status,
	    MHD_create_response_from_buffer_with_free_callback(len, body,
	    gw_held_free), ctype);
}

/*
 * netd's own answers count in held too, whatever their size: /metrics
 * is up to about 1 MiB, and 512 connections asking for it and reading
 * nothing held 512 MiB.  Only /metrics is refused for room (gw_info_ans);
 * the others are at most a few KiB (an error text, /healthz, /readyz),
 * one a connection, as an exchange's small answer.
 */
struct MHD_Response *
gw_answer(struct gw_req *r, unsigned int status, uint8_t *body, size_t len,
    const char *ctype)
{
	if (body != NULL)
		r->gw->held += netd_mem_size(body);
	return gw_answer_held(r, status, body, len, ctype);
}

struct MHD_Response *
gw_answer_up(struct gw_req *r, unsigned int status, uint8_t *body,
    size_t len)
{
	return gw_answer_held(r, status, body, len, NULL);
}

void
gw_answer_error(struct gw_req *r, unsigned int status, const char *fmt, ...)
{
	json_t	*j;
	char	 text[MSG_ERROR_TEXT_MAX + 200], *s;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if ((j = json_pack("{s:s}", "error", text)) == NULL &&
	    (j = json_pack("{s:s}", "error", "gateway: an error text that "
	    "is not UTF-8")) == NULL)
		fatalx("out of memory");
	if ((s = json_dumps(j, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	json_decref(j);
	log_debug("gateway: %s %.*s: %u %s", r->method,
	    r->target != NULL ? (int)strcspn(r->target, "?") : 0,
	    r->target != NULL ? r->target : "", status, s);
	(void)gw_answer(r, status, (uint8_t *)s, strlen(s),
	    "application/json");
}

/* A plain text answer: text (len bytes) and a newline if it lacks one. */
static void
gw_answer_text(struct gw_req *r, unsigned int status, const char *ctype,
    const char *text, size_t len)
{
	struct gw_buf	b = { NULL, 0, 0 };

	gw_buf_add(&b, text, len);
	if (len == 0 || text[len - 1] != '\n')
		gw_buf_add(&b, "\n", 1);
	(void)gw_answer(r, status, b.p, b.len, ctype);
}

/* libmicrohttpd sends r's answer. */
static enum MHD_Result
gw_send(struct gw_req *r)
{
	enum MHD_Result	ret;

	if (r->resp == NULL)
		return MHD_NO;
	ret = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	return ret;
}

/*
 * netd gives up on wait slot i, its request still at vaultd (the bot
 * gone, or told 504): vaultd's answer will be dropped, and vaultd is
 * told (MSG_GW_GONE), so that it ends the request too -- a request
 * held for approval is cancelled, a signature still being made is
 * withheld -- and answers it, which frees the slot.
 */
static void
gw_wait_drop(struct netd_gw *gw, size_t i)
{
	struct msg_w	w;
	int		rc;

	if (gw->wait[i].r->kind == GK_PROXY) {
		msg_begin(&w, MSG_GW_GONE, gw->wait[i].id);
		if ((rc = chan_queue(&gw->nd->chan, &w)) != 0)
			fatalx("MSG_GW_GONE: %s", cv_strerror(rc));
	}
	gw->wait[i].r = NULL;
}

static void
gw_req_free(struct gw_req *r)
{
	struct netd_gw	*gw = r->gw;
	size_t		 i;

	if (r->gc != NULL) {
		/* The connection is idle anew. */
		r->gc->r = NULL;
		r->gc->since = ++r->gc->d->tick;
		r->gc->at_ms = netd_now_ms();
	}
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].r == r)
			gw_wait_drop(gw, i);	/* vaultd's answer dropped */
	gw_up_clear(r);
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	if (r->state != GS_DONE)
		gw->ninflight--;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		gw->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	gw->nreqs--;
	gw_creds_wipe(r);
	free(r->target);
	if (r->body != NULL)
		netd_mem_free(r->body);
	free(r->ctype);
	free(r->accept);
	free(r->agent);
	free(r);
}

static void *
gw_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct netd_gw	*gw = cls;
	struct gw_req	*r;
	const union MHD_ConnectionInfo *ci;
	size_t		 len = strlen(uri);

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->gw = gw;
	r->conn = c;
	r->state = GS_HEAD;
	if ((ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT)) != NULL &&
	    (r->gc = ci->socket_context) != NULL) {
		r->gc->r = r;
		r->gc->since = ++r->gc->d->tick;
		r->gc->at_ms = netd_now_ms();
	}
	r->t0_us = netd_now_us();
	r->targetlen = len;
	/* Over the bound: answered 414 once the headers are in. */
	if (len <= NETD_GW_TARGET_MAX && (r->target = strdup(uri)) == NULL) {
		if (r->gc != NULL)
			r->gc->r = NULL;
		free(r);
		return NULL;
	}
	r->next = gw->reqs;
	if (gw->reqs != NULL)
		gw->reqs->prev = r;
	gw->reqs = r;
	gw->nreqs++;
	gw->ninflight++;
	return r;
}

static void
gw_completed_cb(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct gw_req	*r = *ctx;

	if (r == NULL)
		return;
	*ctx = NULL;
	gw_req_free(r);
}

/* Shut gc down: libmicrohttpd reads the end and closes it. */
static void
gw_conn_close(struct gw_conn *gc)
{
	(void)shutdown(gc->fd, SHUT_RDWR);
	gc->closing = 1;
	gc->d->nclosing++;
}

/*
 * A connection past d's share of NETD_GW_CONNS (libmicrohttpd admits
 * one more): the one that has done no work for longest -- no request,
 * one still arriving, or an answer the bot has left unread for
 * NETD_GW_SLOW, since its start or its last request's -- makes room,
 * else the new one, nc.  A bot that opens connections and sends
 * nothing, or a byte at a time, so takes no other bot's place for
 * long: whoever connects next takes its oldest; nor does one that
 * pipelines requests and reads their answers just fast enough for the
 * silence time-out.  A request at vaultd or the exchange, or an answer
 * sent whole within NETD_GW_SLOW of being made, is never cut off (the
 * bytes sent in between are libmicrohttpd's: one of NETD_GW_ANSWER_MAX
 * that a bot takes longer to read counts as unread).
 */
static void
gw_conn_evict(struct gw_daemon *d, struct gw_conn *nc)
{
	struct gw_conn	*gc, *old = NULL;
	int64_t		 slow = netd_now_ms() - d->gw->slow_ms;

	for (gc = d->conns; gc != NULL; gc = gc->next)
		if (gc != nc && !gc->closing && (gc->r == NULL ||
		    gc->r->state == GS_HEAD || gc->r->state == GS_BODY ||
		    (gc->r->state == GS_DONE && gc->at_ms <= slow)) &&
		    (old == NULL || gc->since < old->since))
			old = gc;
	if (old == NULL) {
		log_info("gateway: %zu connections at work on one socket; "
		    "a new one closed", d->share);
		old = nc;
	} else
		log_debug("gateway: %zu connections on one socket; the one "
		    "idle longest closed for a new one", d->share);
	gw_conn_close(old);
}

static void
gw_conn_cb(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct gw_daemon		*d = cls;
	struct gw_conn			*gc;
	const union MHD_ConnectionInfo	*ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if ((gc = calloc(1, sizeof(*gc))) == NULL)
			fatalx("out of memory");
		if ((ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD)) == NULL)
			fatalx("gateway: a connection without a socket");
		gc->d = d;
		gc->fd = ci->connect_fd;
		gc->since = ++d->tick;
		gc->at_ms = netd_now_ms();
		gc->next = d->conns;
		if (d->conns != NULL)
			d->conns->prev = gc;
		d->conns = gc;
		d->nconns++;
		*ctx = gc;
		if (d->nconns - d->nclosing > d->share)
			gw_conn_evict(d, gc);
		return;
	}
	if ((gc = *ctx) == NULL)
		return;
	*ctx = NULL;
	if (gc->r != NULL)
		gc->r->gc = NULL;
	if (gc->closing)
		d->nclosing--;
	if (gc->prev != NULL)
		gc->prev->next = gc->next;
	else
		d->conns = gc->next;
	if (gc->next != NULL)
		gc->next->prev = gc->prev;
	d->nconns--;
	free(gc);
}

/*
 * Whose a signed request is, for its share of the places waiting on
 * vaultd: a keyed hash of its key id and passphrase, never 0; 0 for an
 * unsigned one.  Not the key id alone: anyone may name another
 * client's key id with a wrong passphrase, and so would use up that
 * client's share with requests vaultd refuses.  The passphrase is the
 * client's, a secret: whoever does not hold it has a share of their
 * own, which holds that client's places no more than any other bot's.
 * Made-up credentials are new ones each, so those vaultd has not said
 * passed (gw_vaultd_passed) share NETD_GW_WAIT_NEW places besides.
 */
static uint64_t
gw_who(const struct netd_gw *gw, const struct gw_req *r)
{
	uint8_t		in[GW_KEY_MAX + 1 + GW_PASS_MAX + 1], out[8];
	uint64_t	who = 0;
	size_t		klen = strlen(r->key), plen = strlen(r->pass), i;

	if (klen == 0)
		return 0;
	memcpy(in, r->key, klen + 1);
	memcpy(in + klen + 1, r->pass, plen + 1);
	crypto_shorthash(out, in, klen + plen + 2, gw->who_key);
	sodium_memzero(in, sizeof(in));
	for (i = 0; i < sizeof(out); i++)
		who = who << 8 | out[i];
	return who != 0 ? who : 1;
}

/* Ask vaultd (MSG_GW_REQ, or MSG_GW_INFO_REQ with kind); suspend r. */
static void
gw_ask(struct gw_req *r, const char *kind)
{
	struct netd_gw	*gw = r->gw;
	struct netd	*nd = gw->nd;
	struct msg_w	 w;
	size_t		 pathlen, i, n = 0, nnew = 0;
	int		 neg = GW_NEGRISK_UNKNOWN, passed, rc;

	if (gw->nwait == NETD_GW_WAIT_MAX) {
		gw_answer_error(r, 503, "gateway: %d requests are waiting on "
		    "vaultd; retry", NETD_GW_WAIT_MAX);
		return;
	}
	/* a walk no longer than vaultd's answer's (gw_vaultd_ans) */
	r->who = kind == NULL ? gw_who(gw, r) : 0;
	passed = r->who != 0 &&
	    gw->passed[r->who % NETD_GW_PASSED_SLOTS] == r->who;
	for (i = 0; i < gw->nwait; i++) {
		n += gw->wait[i].who == r->who;
		nnew += gw->wait[i].who != 0 && !gw->wait[i].passed;
	}
	if (r->who != 0 && n >= NETD_GW_WAIT_CLIENT) {
		gw_creds_wipe(r);
		gw_answer_error(r, 503, "gateway: %d requests of these client "
		    "credentials are waiting on vaultd; retry",
		    NETD_GW_WAIT_CLIENT);
		return;
	}
	/* made-up credentials: each its own share, so all in one */
	if (r->who != 0 && !passed && nnew >= NETD_GW_WAIT_NEW) {
		gw_creds_wipe(r);
		gw_answer_error(r, 503, "gateway: %d requests of client "
		    "credentials not yet accepted since netd started are "
		    "waiting on vaultd; retry", NETD_GW_WAIT_NEW);
		return;
	}
	/* /readyz and /metrics, too: anyone's to send */
	if (r->who == 0 && n >= NETD_GW_WAIT_UNSIGNED) {
		gw_answer_error(r, 503, "gateway: %d requests without client "
		    "credentials are waiting on vaultd; retry",
		    NETD_GW_WAIT_UNSIGNED);
		return;
	}
	if (++nd->next_id == 0)
		nd->next_id = 1;
	r->id = nd->next_id;
	if (kind != NULL) {
		msg_begin(&w, MSG_GW_INFO_REQ, r->id);
		msg_put_str(&w, kind);
	} else {
		/*
		 * What signerd's order signature is made for.  A wrong
		 * report only yields a signature the exchange refuses: the
		 * order's content is vaultd's and signerd's to check.
		 */
		pathlen = strcspn(r->target, "?");
		if (strcmp(r->method, "POST") == 0 && ((pathlen == 6 &&
		    memcmp(r->target, "/order", 6) == 0) || (pathlen == 7 &&
		    memcmp(r->target, "/orders", 7) == 0)))
			neg = negrisk_orders(&gw->neg, r->body, r->len);
		msg_begin(&w, MSG_GW_REQ, r->id);
		msg_put_str(&w, r->method);
		msg_put_strn(&w, r->target, r->targetlen);
		msg_put_bin(&w, r->body, r->len);
		msg_put_str(&w, r->key);
		msg_put_str(&w, r->pass);
		msg_put_str(&w, r->ts);
		msg_put_str(&w, r->sig);
		msg_put_u64(&w, (uint64_t)neg);
		msg_put_str(&w, r->prefix);
	}
	if ((rc = chan_queue(&nd->chan, &w)) != 0)
		fatalx("%s: %s", kind != NULL ? "MSG_GW_INFO_REQ" :
		    "MSG_GW_REQ", cv_strerror(rc));
	gw_creds_wipe(r);
	gw->wait[gw->nwait].id = r->id;
	gw->wait[gw->nwait].who = r->who;
	gw->wait[gw->nwait].passed = passed;
	gw->wait[gw->nwait].r = r;
	gw->nwait++;
	r->state = GS_VAULTD;
	r->due_ms = netd_now_ms() + gw->vaultd_ms;
	r->suspended = 1;
	MHD_suspend_connection(r->conn);
}

/*
 * A target that starts with /@NAME names the account (a vault of several
 * accounts, for the requests without client credentials): NAME goes to
 * vaultd, and the rest ("/" at least) is the target the bot signed and
 * the exchange gets.  1 if r was answered (a malformed name).
 */
static int
gw_prefix(struct gw_req *r)
{
	size_t	n;

	if (r->targetlen < 2 || r->target[1] != '@')
		return 0;
	n = strcspn(r->target + 2, "/?");
	if (n == 0 || n >= sizeof(r->prefix) || strspn(r->target + 2,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") != n) {
		gw_answer_error(r, 400, "gateway: /@ACCOUNT names an account: "
		    "1 to 64 of A-Z a-z 0-9 . _ -");
		return 1;
	}
	memcpy(r->prefix, r->target + 2, n);
	r->prefix[n] = '\0';
	memmove(r->target, r->target + 2 + n, r->targetlen - 2 - n + 1);
	r->targetlen -= 2 + n;
	if (r->targetlen == 0 || r->target[0] != '/') {
		/* "/@main" or "/@main?x": the root of the exchange */
		memmove(r->target + 1, r->target, r->targetlen + 1);
		r->target[0] = '/';
		r->targetlen++;
	}
	return 0;
}

/* The whole request is in: answer it or ask vaultd. */
static void
gw_route(struct gw_req *r)
{
	static const char *const methods[] = {
		"GET", "POST", "PUT", "DELETE", "PATCH"
	};
	static const struct {
		const char	*path;
		enum gw_kind	 kind;
	} own[] = {
		{ "/healthz", GK_LOCAL },
		{ "/readyz", GK_READY },
		{ "/metrics", GK_METRICS },
	};
	size_t			 pathlen, i;

	if (gw_prefix(r) != 0)
		return;
	pathlen = strcspn(r->target, "?");
	if (r->gw->stopping) {
		gw_answer_error(r, 503, "gateway: netd is stopping; retry");
		return;
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strlen(own[i].path) == pathlen &&
		    memcmp(r->target, own[i].path, pathlen) == 0)
			break;
	if (i < sizeof(own) / sizeof(own[0])) {
		r->kind = own[i].kind;
		if (strcmp(r->method, "GET") != 0) {
			gw_answer_error(r, 405, "gateway: only GET here");
			(void)MHD_add_response_header(r->resp,
			    MHD_HTTP_HEADER_ALLOW, "GET");
		} else if (r->kind == GK_LOCAL)
			gw_answer_text(r, 200, "text/plain; charset=utf-8",
			    "ok", 2);
		else
			gw_ask(r, r->kind == GK_READY ? "ready" : "metrics");
		return;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(r->method, methods[i]) == 0)
			break;
	if (i == sizeof(methods) / sizeof(methods[0])) {
		gw_answer_error(r, 405, "gateway: method %s is not passed on",
		    r->method);
		return;
	}
	r->kind = GK_PROXY;
	gw_ask(r, NULL);
}

static enum MHD_Result
gw_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upsize, void **ctx)
{
	struct gw_req	*r = *ctx;

	if (r == NULL)
		return MHD_NO;		/* out of memory: close */
	/*
	 * netd shut its connection down (gw_conn_evict), but what was in
	 * the socket is still read: passed on, it would be done with its
	 * answer lost.
	 */
	if (r->gc != NULL && r->gc->closing &&
	    (r->state == GS_HEAD || r->state == GS_BODY))
		return MHD_NO;
	switch (r->state) {
	case GS_HEAD:
		r->state = GS_BODY;
		if (r->gc != NULL)
			r->gc->at_ms = netd_now_ms();	/* the body's turn */
		if (gw_head(r, method))
			return gw_send(r);
		return MHD_YES;
	case GS_BODY:
		if (*upsize > 0) {
			/* A chunked body past the bound: close. */
			if (gw_body_add(r, upload, *upsize) != 0)
				return MHD_NO;
			*upsize = 0;
			return MHD_YES;
		}
		gw_route(r);
		return r->state == GS_DONE ? gw_send(r) : MHD_YES;
	case GS_DONE:
		return gw_send(r);
	default:
		/* Suspended: resumed only once answered. */
		return MHD_NO;
	}
}

/* netd's own metrics, Prometheus text format. */
static void
gw_metrics(struct netd_gw *gw, struct gw_buf *b)
{
	uint64_t	cum = 0;
	size_t		i;

	gw_buf_printf(b, "# HELP clobvault_gateway_requests_total "
	    "Bot requests answered by netd, by the status returned.\n");
	gw_buf_printf(b, "# TYPE clobvault_gateway_requests_total "
	    "counter\n");
	for (i = 0; i < sizeof(gw->m.codes) / sizeof(gw->m.codes[0]); i++)
		if (gw->m.codes[i] != 0)
			gw_buf_printf(b, "clobvault_gateway_requests_total"
			    "{code=\"%zu\"} %llu\n", i,
			    (unsigned long long)gw->m.codes[i]);
	gw_buf_printf(b, "# HELP clobvault_gateway_request_seconds "
	    "Time from a bot request's arrival to its answer.\n");
	gw_buf_printf(b, "# TYPE clobvault_gateway_request_seconds "
	    "histogram\n");
	for (i = 0; i < GW_HIST_BUCKETS; i++) {
		cum += gw->m.hist[i];
		gw_buf_printf(b, "clobvault_gateway_request_seconds_bucket"
		    "{le=\"%g\"} %llu\n", gw_le[i], (unsigned long long)cum);
	}
	gw_buf_printf(b, "clobvault_gateway_request_seconds_bucket"
	    "{le=\"+Inf\"} %llu\n", (unsigned long long)gw->m.count);
	gw_buf_printf(b, "clobvault_gateway_request_seconds_sum %.6f\n",
	    gw->m.sum);
	gw_buf_printf(b, "clobvault_gateway_request_seconds_count %llu\n",
	    (unsigned long long)gw->m.count);
	gw_buf_printf(b, "# HELP clobvault_gateway_upstream_responses_total "
	    "Answers of the exchange, by status.\n");
	gw_buf_printf(b, "# TYPE clobvault_gateway_upstream_responses_total "
	    "counter\n");
	for (i = 0; i < sizeof(gw->m.up) / sizeof(gw->m.up[0]); i++)
		if (gw->m.up[i] != 0)
			gw_buf_printf(b, "clobvault_gateway_upstream_responses"
			    "_total{code=\"%zu\"} %llu\n", i,
			    (unsigned long long)gw->m.up[i]);
	gw_buf_printf(b, "# HELP clobvault_gateway_inflight "
	    "Bot requests arrived and not yet answered.\n");
	gw_buf_printf(b, "# TYPE clobvault_gateway_inflight gauge\n");
	gw_buf_printf(b, "clobvault_gateway_inflight %zu\n", gw->ninflight);
}

/* MSG_GW_INFO_ANS for /readyz or /metrics. */
static void
gw_info_ans(struct gw_req *r, struct msg *m)
{
	struct gw_buf	 b = { NULL, 0, 0 };
	const char	*s;
	size_t		 len;
	int		 ready, rc;

	if ((rc = msg_get_bool(&m->rd, &ready)) != 0 ||
	    (rc = msg_get_str(&m->rd, &s, &len, MSG_MAX_FRAME)) != 0)
		fatalx("MSG_GW_INFO_ANS: %s", cv_strerror(rc));
	if (r->kind == GK_READY) {
		if (ready)
			gw_answer_text(r, 200, "text/plain; charset=utf-8",
			    "ready", 5);
		else
			gw_answer_text(r, 503, "text/plain; charset=utf-8", s,
			    len);
		return;
	}
	gw_buf_add(&b, s, len);
	if (len > 0 && s[len - 1] != '\n')
		gw_buf_add(&b, "\n", 1);
	gw_metrics(r->gw, &b);
	/*
	 * Past NETD_GW_ANSWERS_MAX held, refused whatever its size: a
	 * scraper retries, and none of its answers is lost.
	 */
	if (b.cap > NETD_GW_ANSWERS_MAX - (r->gw->held < NETD_GW_ANSWERS_MAX ?
	    r->gw->held : NETD_GW_ANSWERS_MAX)) {
		netd_mem_free(b.p);
		gw_answer_error(r, 503, "gateway: %d MiB of answers wait for "
		    "bots to read them; retry",
		    NETD_GW_ANSWERS_MAX / (1024 * 1024));
		return;
	}
	/* counted as it goes: the answer holds this request in flight */
	(void)gw_answer(r, 200, b.p, b.len, "text/plain; version=0.0.4");
}

int
gw_owns(const struct netd *nd, uint32_t id)
{
	size_t	i;

	if (nd->gw == NULL)
		return 0;
	for (i = 0; i < nd->gw->nwait; i++)
		if (nd->gw->wait[i].id == id)
			return 1;
	return 0;
}

/*
 * vaultd refused the credentials of who (CV_ERR_AUTH: signerd's check
 * failed): credentials that passed once and are refused since -- a
 * client removed from the vault, whose leaked credentials are still
 * sent -- are new again, so that they take no share of
 * NETD_GW_WAIT_CLIENT beside the NETD_GW_WAIT_NEW that made-up ones
 * share.  A client whose bot signed one request wrongly is new until
 * its next one passes.
 */
static void
gw_unpass(struct netd_gw *gw, uint64_t who)
{
	size_t	i;

	if (gw->passed[who % NETD_GW_PASSED_SLOTS] == who)
		gw->passed[who % NETD_GW_PASSED_SLOTS] = 0;
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].who == who)
			gw->wait[i].passed = 0;
}

void
gw_vaultd_ans(struct netd *nd, struct msg *m)
{
	struct netd_gw	*gw = nd->gw;
	struct gw_req	*r;
	char		 text[MSG_ERROR_TEXT_MAX + 1];
	uint64_t	 who;
	size_t		 i;
	int		 code, rc;

	if (gw == NULL)
		fatalx("unexpected %s from vaultd", msg_name(m->type));
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].id == m->id)
			break;
	if (i == gw->nwait)
		fatalx("%s %u out of turn", msg_name(m->type), m->id);
	r = gw->wait[i].r;
	who = gw->wait[i].who;
	gw->wait[i] = gw->wait[--gw->nwait];
	if (m->type == MSG_ERROR_ANS) {
		if ((rc = msg_get_error(m, &code, text, sizeof(text))) != 0)
			fatalx("MSG_ERROR_ANS: %s", cv_strerror(rc));
		if (code == CV_ERR_AUTH && who != 0)
			gw_unpass(gw, who);
		if (r == NULL)
			return;
		if (r->kind == GK_PROXY)
			gw_answer_error(r, gw_status_of(code), "%s", text);
		else
			gw_answer_text(r, 503, "text/plain; charset=utf-8",
			    text, strlen(text));
		return;
	}
	if (m->type == MSG_GW_INFO_ANS && (r == NULL || r->kind != GK_PROXY)) {
		if (r != NULL)
			gw_info_ans(r, m);
		return;
	}
	if (m->type == MSG_GW_ANS && (r == NULL || r->kind == GK_PROXY)) {
		if (r != NULL)
			gw_up_start(r, m);
		return;
	}
	fatalx("%s %u answers another kind of request", msg_name(m->type),
	    m->id);
}

/*
 * MSG_GW_PASSED: the credentials of a request waiting on vaultd passed
 * signerd's check.  Its gw_who, netd's own hash of what the bot sent,
 * holds a share of NETD_GW_WAIT_CLIENT places from now on, outside the
 * NETD_GW_WAIT_NEW that credentials not known to pass share.  vaultd
 * sends it before its answer, and only for a request with credentials.
 */
void
gw_vaultd_passed(struct netd *nd, struct msg *m)
{
	struct netd_gw	*gw = nd->gw;
	uint64_t	 who;
	size_t		 i;

	if (gw == NULL)
		fatalx("unexpected %s from vaultd", msg_name(m->type));
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].id == m->id)
			break;
	if (i == gw->nwait || gw->wait[i].who == 0)
		fatalx("%s %u out of turn", msg_name(m->type), m->id);
	who = gw->wait[i].who;
	gw->passed[who % NETD_GW_PASSED_SLOTS] = who;
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].who == who)
			gw->wait[i].passed = 1;
}

void
gw_init(struct netd *nd)
{
	struct netd_gw		*gw;
	const union MHD_DaemonInfo *di;
	socklen_t		 sl;
	unsigned int		 conns;
	int			 i, fd, v, fl;

	if (nd->opts.ngw == 0)
		return;
	if ((gw = calloc(1, sizeof(*gw))) == NULL)
		fatalx("out of memory");
	gw->nd = nd;
	gw->curl_due_ms = -1;
	negrisk_init(&gw->neg);
	crypto_shorthash_keygen(gw->who_key);
	gw->line_ms = (int64_t)NETD_GW_IDLE * 1000;
	gw->head_ms = (int64_t)NETD_GW_HEAD * 1000;
	gw->body_ms = (int64_t)NETD_GW_BODY * 1000;
	gw->slow_ms = (int64_t)NETD_GW_SLOW * 1000;
	if (nd->opts.gw_deadline != 0)
		gw->line_ms = gw->head_ms = gw->body_ms = gw->slow_ms =
		    (int64_t)nd->opts.gw_deadline * 1000;
	gw->vaultd_ms = NETD_GW_VAULTD_MS;
	if (nd->opts.gw_wait != 0)
		gw->vaultd_ms = (int64_t)nd->opts.gw_wait * 1000;
	/* A bot gone before its answer must not end netd. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("SIGPIPE");
	conns = NETD_GW_CONNS / (unsigned int)nd->opts.ngw;
	for (i = 0; i < nd->opts.ngw; i++) {
		fd = nd->opts.gw_fds[i];
		sl = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &sl) == -1 ||
		    v != 1)
			fatalx("-G %d: not a listening socket", fd);
		sl = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &sl) == -1 ||
		    v != SOCK_STREAM)
			fatalx("-G %d: not a stream socket", fd);
		sl = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &sl) == -1 ||
		    (v != AF_UNIX && v != AF_INET && v != AF_INET6))
			fatalx("-G %d: not a Unix or IP socket", fd);
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
			fatal("-G %d: non-blocking", fd);
		gw->d[i].gw = gw;
		gw->d[i].lfd = fd;
		gw->d[i].share = conns;
		gw->d[i].d = MHD_start_daemon(MHD_USE_EPOLL |
		    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
		    NULL, gw_handler, gw,
		    MHD_OPTION_EXTERNAL_LOGGER, gw_logger, gw,
		    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		    MHD_OPTION_URI_LOG_CALLBACK, gw_uri_cb, gw,
		    MHD_OPTION_UNESCAPE_CALLBACK, gw_unescape, gw,
		    MHD_OPTION_NOTIFY_COMPLETED, gw_completed_cb, gw,
		    MHD_OPTION_NOTIFY_CONNECTION, gw_conn_cb, &gw->d[i],
		    /* one over the share: see gw_conn_evict */
		    MHD_OPTION_CONNECTION_LIMIT, conns + 1,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)NETD_GW_IDLE,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		    (size_t)NETD_GW_CONN_MEM,
		    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		    MHD_OPTION_END);
		if (gw->d[i].d == NULL)
			fatalx("-G %d: cannot serve HTTP on it", fd);
		if ((di = MHD_get_daemon_info(gw->d[i].d,
		    MHD_DAEMON_INFO_EPOLL_FD)) == NULL)
			fatalx("-G %d: no epoll descriptor", fd);
		gw->d[i].epfd = di->epoll_fd;
		gw->nd_++;
	}
	if (gw_up_init(gw) != 0)
		fatalx("cannot set up the gateway's HTTP client");
	nd->gw = gw;
	log_debug("gateway on %d socket(s)", nd->opts.ngw);
}

size_t
gw_npollfd(const struct netd *nd)
{
	if (nd->gw == NULL)
		return 0;
	return nd->gw->nd_ + gw_up_npollfd(nd->gw);
}

void
gw_pollfd(const struct netd *nd, struct pollfd *pfd)
{
	size_t	i;

	if (nd->gw == NULL)
		return;
	for (i = 0; i < nd->gw->nd_; i++) {
		pfd[i].fd = nd->gw->d[i].epfd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	gw_up_pollfd(nd->gw, pfd + nd->gw->nd_);
}

/* Requests vaultd has not answered in time: 504, its answer dropped. */
static void
gw_expire(struct netd_gw *gw)
{
	int64_t	now = netd_now_ms();
	size_t	i;

	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].r != NULL && now >= gw->wait[i].r->due_ms) {
			gw_answer_error(gw->wait[i].r, 504, "gateway: vaultd "
			    "did not answer in time");
			gw_wait_drop(gw, i);
		}
}

/*
 * A bot that went away while its request was at vaultd: a suspended
 * connection is not read, so libmicrohttpd would see its end only once
 * vaultd answered (after the approvers, perhaps), and vaultd would go
 * on with a request no one waits for.  Seen to by gw_deadlines' walk.
 */
static void
gw_conn_gone(struct gw_conn *gc)
{
	struct gw_req	*r = gc->r;
	struct netd_gw	*gw = r->gw;
	struct pollfd	 p;
	size_t		 i;

	/*
	 * The end of the bot's bytes: closed, or reset; a bot that only
	 * shut its sending half down while it waits is taken as gone
	 * too (HTTP/1.1 clients keep it open until their answer).  The
	 * end is seen behind bytes the bot sent since, as a peek at the
	 * first of them would not: its next request, pipelined, which
	 * libmicrohttpd reads only once this one is answered.
	 */
	p.fd = gc->fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	if (poll(&p, 1, 0) <= 0 ||
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) == 0)
		return;
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].r == r)
			gw_wait_drop(gw, i);
	log_debug("gateway: %s %.*s: the bot went away while vaultd had it",
	    r->method, (int)strcspn(r->target, "?"), r->target);
	/* resumed unanswered: gw_handler closes it */
	r->suspended = 0;
	MHD_resume_connection(r->conn);
	gw->resumed = 1;
}

/*
 * A request that arrives too slowly: its line not in NETD_GW_IDLE after
 * the connection's start or its last request's end, its headers not in
 * NETD_GW_HEAD after its line, its body not in NETD_GW_BODY after its
 * headers.  A bot that sends a byte now and then keeps libmicrohttpd's
 * silence time-out away, and took a connection for as long as it
 * liked: now it is closed, unanswered (its answer, a 408, would go to
 * a client that may not read, and RFC 9110 lets a server close a
 * connection whose request it no longer waits for).  A walk over the
 * connections every NETD_GW_SWEEP_MS, not one a request.
 */
static void
gw_deadlines(struct netd_gw *gw, int64_t now)
{
	struct gw_conn	*gc;
	int64_t		 limit;
	size_t		 i;

	if (now < gw->sweep_ms)
		return;
	gw->sweep_ms = now + NETD_GW_SWEEP_MS;
	for (i = 0; i < gw->nd_; i++)
		for (gc = gw->d[i].conns; gc != NULL; gc = gc->next) {
			if (gc->closing)
				continue;
			if (gc->r != NULL && gc->r->state == GS_VAULTD &&
			    gc->r->suspended) {
				gw_conn_gone(gc);
				continue;
			}
			if (gc->r == NULL)
				limit = gw->line_ms;
			else if (gc->r->state == GS_HEAD)
				limit = gw->head_ms;
			else if (gc->r->state == GS_BODY)
				limit = gw->body_ms;
			else
				continue;
			if (now - gc->at_ms < limit)
				continue;
			log_debug("gateway: a request's %s not in after %lld "
			    "s; its connection closed", gc->r == NULL ?
			    "line" : gc->r->state == GS_HEAD ? "headers" :
			    "body", (long long)(limit / 1000));
			gw_conn_close(gc);
		}
}

void
gw_events(struct netd *nd, const struct pollfd *pfd, size_t n)
{
	struct netd_gw	*gw = nd->gw;
	int64_t		 now;
	size_t		 i;
	int		 resumed;

	if (gw == NULL)
		return;
	if (n < gw->nd_)
		fatalx("gateway: poll set too short");
	gw_up_events(gw, pfd + gw->nd_, n - gw->nd_);
	gw_expire(gw);
	now = netd_now_ms();
	gw_deadlines(gw, now);
	resumed = gw->resumed;
	gw->resumed = 0;
	/*
	 * A daemon runs when its epoll descriptor has an event, when a
	 * connection was resumed (libmicrohttpd's timeout does not count
	 * those), or when the timeout it gave gw_timeout is due, which
	 * is 0 while it has work left from its last run.  Otherwise its
	 * run would be an epoll_wait that finds nothing: with a bot on
	 * one socket, one a loop turn on the other.
	 */
	for (i = 0; i < gw->nd_; i++) {
		if (!resumed && pfd[i].revents == 0 && (gw->d[i].run_ms < 0 ||
		    now < gw->d[i].run_ms))
			continue;
		if (MHD_run(gw->d[i].d) != MHD_YES)
			fatalx("gateway: MHD_run failed");
	}
}

int
gw_timeout(struct netd *nd)
{
	struct netd_gw		*gw = nd->gw;
	MHD_UNSIGNED_LONG_LONG	 t;
	int64_t			 best = 1000, d, now;
	size_t			 i;

	if (gw == NULL)
		return 1000;
	/*
	 * An answer made outside gw_events (vaultd's refusal, /readyz,
	 * /metrics) resumed its connection: libmicrohttpd sends it on its
	 * next run, and the poll on its epoll descriptor does not wake for
	 * that (the bot waited for the time-out, a second).
	 */
	if (gw->resumed)
		return 0;
	now = netd_now_ms();
	for (i = 0; i < gw->nd_; i++) {
		gw->d[i].run_ms = -1;
		if (MHD_get_timeout(gw->d[i].d, &t) != MHD_YES)
			continue;
		d = t < 1000 ? (int64_t)t : 1000;
		/* gw_events runs it once the poll has waited that long */
		gw->d[i].run_ms = now + d;
		if (d < best)
			best = d;
	}
	if ((d = gw_up_timeout(gw)) >= 0 && d < best)
		best = d;
	for (i = 0; i < gw->nd_; i++)
		if (gw->d[i].nconns > 0)
			break;
	/* the deadlines of connections, if there are any */
	if (i < gw->nd_ && (d = gw->sweep_ms - now) < best)
		best = d < 0 ? 0 : d;
	for (i = 0; i < gw->nwait; i++)
		if (gw->wait[i].r != NULL &&
		    (d = gw->wait[i].r->due_ms - now) < best)
			best = d < 0 ? 0 : d;
	return best < 0 ? 0 : (int)best;
}

void
gw_stop(struct netd *nd)
{
	struct netd_gw	*gw = nd->gw;
	struct gw_req	*r;
	struct pollfd	 pfd[CHILD_GW_MAX];
	int64_t		 end;
	size_t		 i;

	if (gw == NULL)
		return;
	gw->stopping = 1;
	for (i = 0; i < gw->nwait; i++)
		if ((r = gw->wait[i].r) != NULL)
			gw_answer_error(r, 503, "gateway: vaultd closed the "
			    "channel; the request was not sent to the "
			    "exchange");
	gw->nwait = 0;
	for (r = gw->reqs; r != NULL; r = r->next)
		if (r->state == GS_UP) {
			gw_up_clear(r);
			gw_answer_error(r, 503, "gateway: netd is stopping; "
			    "the request went to the exchange and its answer "
			    "is lost: check before sending it again");
		}
	for (i = 0; i < gw->nd_; i++)
		(void)MHD_quiesce_daemon(gw->d[i].d);
	/* Send what is answered: a short while, on libmicrohttpd alone. */
	end = netd_now_ms() + NETD_GW_STOP_MS;
	while (gw->nreqs > 0 && netd_now_ms() < end) {
		for (i = 0; i < gw->nd_; i++) {
			pfd[i].fd = gw->d[i].epfd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		(void)poll(pfd, gw->nd_, 20);
		for (i = 0; i < gw->nd_; i++)
			(void)MHD_run(gw->d[i].d);
	}
	log_debug("gateway stopped, %zu request(s) unanswered", gw->nreqs);
}
