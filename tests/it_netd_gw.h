/*
 * Helpers for the gateway's integration tests (tests/test_it_netd_gw.c):
 * the listening sockets vaultd makes (a Unix socket and a loopback TCP
 * one), passed to a real netd at exec with -G; a fake vaultd on a
 * thread of its own that answers MSG_GW_REQ and MSG_GW_INFO_REQ as the
 * test sets it to and keeps what it saw; a bot (libcurl, over either
 * socket); and an echo exchange that answers with what reached it.
 * Header-only so each test program stays one file.
 */
#ifndef CV_TESTS_IT_NETD_GW_H
#define CV_TESTS_IT_NETD_GW_H

#include <pthread.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <microhttpd.h>

#include "tests/it_netd.h"

#define GW_HELD_MAX	256

/* The sockets vaultd would make and pass. */
struct gws {
	char	dir[64];
	char	path[108];	/* the Unix socket */
	int	ufd, tfd;
	int	port;		/* of the TCP one, on 127.0.0.1 */
};

static inline int
gws_open(struct gws *s)
{
	struct sockaddr_un	sun;
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->ufd = s->tfd = -1;
	snprintf(s->dir, sizeof(s->dir), "/tmp/cvgw.XXXXXX");
	if (mkdtemp(s->dir) == NULL || chmod(s->dir, 0755) == -1)
		return -1;
	snprintf(s->path, sizeof(s->path), "%s/gateway.sock", s->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	if ((s->ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s->ufd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(s->path, 0666) == -1 || listen(s->ufd, 512) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s->tfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s->tfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s->tfd, 512) == -1 ||
	    getsockname(s->tfd, (struct sockaddr *)&sin, &sl) == -1)
		return -1;
	s->port = ntohs(sin.sin_port);
	return 0;
}

static inline void
gws_close(struct gws *s)
{
	char	cmd[128];

	if (s->ufd != -1)
		close(s->ufd);
	if (s->tfd != -1)
		close(s->tfd);
	s->ufd = s->tfd = -1;
	if (s->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		(void)!system(cmd);
	}
}

/* netd serving both sockets, with up to two more arguments. */
static inline int
nd_start_gw(struct nd *n, const struct gws *s, const char *a1,
    const char *a2)
{
	const char	*extra[] = { "-G", "5", "-G", "6", a1,
	    a1 != NULL ? a2 : NULL, NULL };
	int		 fds[2];

	fds[0] = s->ufd;
	fds[1] = s->tfd;
	return nd_start_fds(n, extra, fds, 2);
}

/* One MSG_GW_REQ or MSG_GW_INFO_REQ as the fake vaultd read it. */
struct fvreq {
	uint32_t	 id;
	int		 info;
	char		 kind[16];
	char		 method[8];
	char		 path[4097];
	uint8_t		*body;
	size_t		 bodylen;
	char		 key[65], pass[257], ts[24], sig[129];
	uint64_t	 neg;
	char		 prefix[65];	/* the account a /@NAME prefix named */
};

enum fv_mode {
	FV_FORWARD,	/* MSG_GW_ANS at once */
	FV_ERROR,	/* MSG_ERROR_ANS [code, text] */
	FV_HOLD,	/* keep them; all answered (forward) at hold_n */
	FV_SILENT,	/* keep them, never answer */
};

/* The fake vaultd: its settings, and what it saw. */
struct fv {
	struct nd		*n;
	pthread_t		 th;
	pthread_mutex_t		 lock;
	int			 started;	/* the thread runs, or ended
						   and is not joined yet */
	int			 stop;
	int			 broken;	/* something unexpected came */
	char			 broken_why[128];
	/* MSG_GW_REQ */
	enum fv_mode		 mode;
	int			 code;
	char			 text[1024];
	char			 url[256];
	size_t			 nhdrs;
	char			 hname[8][64], hval[8][512];
	struct ndvault		*sign;		/* add L2 headers, or NULL */
	const char		*ca;		/* the account's CA, or NULL */
	size_t			 calen;
	char			 pin[128];
	int			 replace;
	char			 rbody[1024];
	int			 hold_n;
	int			 refused;	/* no MSG_GW_PASSED: every
						   credential refused */
	/* MSG_GW_INFO_REQ */
	int			 ready;
	char			 readytext[256];
	int			 info_code;	/* !0: MSG_ERROR_ANS with it */
	char			 info_text[128];	/* and this text */
	char			 metrics[1024];
	/* seen */
	int			 ngw, ninfo;
	struct fvreq		 last;
	struct fvreq		 held[GW_HELD_MAX];
	size_t			 nheld;
	/* MSG_GW_GONE: the ids netd gave up on (the first GW_HELD_MAX),
	 * and how many */
	uint32_t		 gone[GW_HELD_MAX];
	size_t			 ngone;
};

static inline void
fvreq_clear(struct fvreq *q)
{
	free(q->body);
	memset(q, 0, sizeof(*q));
}

static inline void
fv_broken(struct fv *f, const char *why)
{
	f->broken = 1;
	snprintf(f->broken_why, sizeof(f->broken_why), "%s", why);
}

/* Read MSG_GW_REQ's fields into q (0, or -1 if malformed). */
static inline int
fv_read_req(struct msg *m, struct fvreq *q)
{
	const char	*s;
	const uint8_t	*b;
	size_t		 len;

	memset(q, 0, sizeof(*q));
	q->id = m->id;
	if (msg_get_strbuf(&m->rd, q->method, sizeof(q->method)) != 0 ||
	    msg_get_str(&m->rd, &s, &len, 4096) != 0)
		return -1;
	if (len > 0)
		memcpy(q->path, s, len);
	q->path[len] = '\0';
	if (msg_get_bin(&m->rd, &b, &len, 65536) != 0 ||
	    (q->body = malloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(q->body, b, len);
	q->body[len] = '\0';
	q->bodylen = len;
	if (msg_get_strbuf(&m->rd, q->key, sizeof(q->key)) != 0 ||
	    msg_get_strbuf(&m->rd, q->pass, sizeof(q->pass)) != 0 ||
	    msg_get_strbuf(&m->rd, q->ts, sizeof(q->ts)) != 0 ||
	    msg_get_strbuf(&m->rd, q->sig, sizeof(q->sig)) != 0 ||
	    msg_get_u64(&m->rd, &q->neg) != 0 ||
	    msg_get_strbuf(&m->rd, q->prefix, sizeof(q->prefix)) != 0 ||
	    msg_rd_done(&m->rd) != 0)
		return -1;
	return 0;
}

/* MSG_GW_ANS for q, as the settings say (lock held). */
static inline int
fv_forward(struct fv *f, const struct fvreq *q)
{
	struct sign_headers	 h;
	struct sign_req		 req;
	struct msg_w		 w;
	uint8_t			 key[CLOB_HMAC_KEY_MAX];
	size_t			 klen, i;
	char			 ts[24];

	memset(&h, 0, sizeof(h));
	if (f->sign != NULL) {
		snprintf(ts, sizeof(ts), "%lld", (long long)txt_now());
		memset(&req, 0, sizeof(req));
		req.account = "acct";
		req.level = CATALOG_L2;
		req.method = q->method;
		req.path = q->path;
		req.pathlen = strlen(q->path);
		req.body = q->bodylen > 0 ? q->body : NULL;
		req.bodylen = q->bodylen;
		req.timestamp = ts;
		if (f->replace) {
			req.body = (const uint8_t *)f->rbody;
			req.bodylen = strlen(f->rbody);
		}
		if (clob_hmac_key_decode(f->sign->secret, key, sizeof(key),
		    &klen) != 0 || sign_l2(f->sign->prof, f->sign->w.addr_text,
		    f->sign->key, key, klen, f->sign->pass, &req, &h) != 0)
			return -1;
		sodium_memzero(key, sizeof(key));
	}
	msg_begin(&w, MSG_GW_ANS, q->id);
	msg_put_str(&w, "acct");
	msg_put_str(&w, f->url);
	msg_put_bin(&w, f->ca != NULL ? f->ca : "", f->ca != NULL ?
	    f->calen : 0);
	msg_put_str(&w, f->pin);
	msg_put_array(&w, (uint32_t)(f->nhdrs + h.n));
	for (i = 0; i < f->nhdrs; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, f->hname[i]);
		msg_put_str(&w, f->hval[i]);
	}
	for (i = 0; i < h.n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, h.h[i].name);
		msg_put_str(&w, h.h[i].value);
	}
	sign_headers_clear(&h);
	msg_put_bool(&w, f->replace);
	msg_put_bin(&w, f->replace ? f->rbody : "", f->replace ?
	    strlen(f->rbody) : 0);
	return chan_queue(&f->n->c, &w);
}

static inline void
fv_handle(struct fv *f, struct msg *m)
{
	struct msg_w	 w;
	struct fvreq	 q;
	char		 kind[16];
	size_t		 i;

	if (m->type == MSG_GW_INFO_REQ) {
		if (msg_get_strbuf(&m->rd, kind, sizeof(kind)) != 0) {
			fv_broken(f, "MSG_GW_INFO_REQ malformed");
			return;
		}
		f->ninfo++;
		fvreq_clear(&f->last);
		f->last.id = m->id;
		f->last.info = 1;
		snprintf(f->last.kind, sizeof(f->last.kind), "%s", kind);
		if (f->info_code != 0) {
			if (msg_error_ans(&f->n->c, m->id, f->info_code,
			    f->info_text) != 0)
				fv_broken(f, "cannot queue");
			return;
		}
		msg_begin(&w, MSG_GW_INFO_ANS, m->id);
		if (strcmp(kind, "ready") == 0) {
			msg_put_bool(&w, f->ready);
			msg_put_str(&w, f->readytext);
		} else {
			msg_put_bool(&w, 1);
			msg_put_str(&w, f->metrics);
		}
		if (chan_queue(&f->n->c, &w) != 0)
			fv_broken(f, "cannot queue");
		return;
	}
	if (m->type == MSG_GW_GONE) {
		/* a notice: nothing answers it (the decoder checked it
		 * has no field) */
		if (f->ngone < GW_HELD_MAX)
			f->gone[f->ngone] = m->id;
		f->ngone++;
		return;
	}
	if (m->type != MSG_GW_REQ) {
		fv_broken(f, msg_name(m->type));
		return;
	}
	if (fv_read_req(m, &q) != 0) {
		free(q.body);
		fv_broken(f, "MSG_GW_REQ malformed");
		return;
	}
	f->ngw++;
	/*
	 * As vaultd once signerd let the credentials pass: every
	 * passphrase is a client's here but a made-up "guess...".
	 */
	if (q.key[0] != '\0' && strncmp(q.pass, "guess", 5) != 0 &&
	    !f->refused) {
		msg_begin(&w, MSG_GW_PASSED, q.id);
		if (chan_queue(&f->n->c, &w) != 0)
			fv_broken(f, "cannot queue");
	}
	fvreq_clear(&f->last);
	f->last = q;
	if ((f->last.body = malloc(q.bodylen + 1)) == NULL)
		abort();
	memcpy(f->last.body, q.body, q.bodylen + 1);
	switch (f->mode) {
	case FV_FORWARD:
		if (fv_forward(f, &q) != 0)
			fv_broken(f, "cannot forward");
		fvreq_clear(&q);
		break;
	case FV_ERROR:
		if (msg_error_ans(&f->n->c, q.id, f->code, f->text) != 0)
			fv_broken(f, "cannot answer");
		fvreq_clear(&q);
		break;
	case FV_HOLD:
	case FV_SILENT:
		if (f->nheld == GW_HELD_MAX) {
			fv_broken(f, "too many held");
			fvreq_clear(&q);
			break;
		}
		f->held[f->nheld++] = q;
		if (f->mode == FV_HOLD && f->nheld == (size_t)f->hold_n) {
			for (i = 0; i < f->nheld; i++) {
				if (fv_forward(f, &f->held[i]) != 0)
					fv_broken(f, "cannot forward");
				fvreq_clear(&f->held[i]);
			}
			f->nheld = 0;
			f->mode = FV_FORWARD;
		}
		break;
	}
}

static inline void *
fv_main(void *arg)
{
	struct fv	*f = arg;
	struct pollfd	 pfd;
	struct msg	 m;
	int		 r;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		if (f->stop) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		while ((r = chan_next(&f->n->c, &m)) == 0) {
			fv_handle(f, &m);
			msg_clear(&m);
		}
		if (r != CV_ERR_AGAIN)
			fv_broken(f, "bad frame");
		if (chan_pending(&f->n->c) && chan_flush(&f->n->c) != 0)
			fv_broken(f, "cannot write");
		pthread_mutex_unlock(&f->lock);
		pfd.fd = f->n->c.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 20) > 0) {
			pthread_mutex_lock(&f->lock);
			if (chan_fill(&f->n->c) != 0 && !f->stop)
				f->stop = 1;	/* netd is gone */
			pthread_mutex_unlock(&f->lock);
		}
	}
}

static inline void
fv_start(struct fv *f, struct nd *n)
{
	memset(f, 0, sizeof(*f));
	f->n = n;
	f->ready = 1;
	pthread_mutex_init(&f->lock, NULL);
	if (pthread_create(&f->th, NULL, fv_main, f) != 0)
		abort();
	f->started = 1;
}

static inline void
fv_stop(struct fv *f)
{
	size_t	i;

	if (!f->started)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->th, NULL);
	f->started = 0;
	fvreq_clear(&f->last);
	for (i = 0; i < f->nheld; i++)
		fvreq_clear(&f->held[i]);
	f->nheld = 0;
	pthread_mutex_destroy(&f->lock);
}

static inline void
fv_lock(struct fv *f)
{
	pthread_mutex_lock(&f->lock);
}

static inline void
fv_unlock(struct fv *f)
{
	pthread_mutex_unlock(&f->lock);
}

/* The fake vaultd saw nothing unexpected. */
static inline void
fv_ok(struct fv *f)
{
	fv_lock(f);
	if (f->broken)
		fprintf(stderr, "fake vaultd: %s\n", f->broken_why);
	assert_false(f->broken);
	fv_unlock(f);
}

/* Forward to url with headers name, value, ..., NULL (lock taken). */
static inline void
fv_set_forward(struct fv *f, const char *url, const char *const *hdrs)
{
	fv_lock(f);
	f->mode = FV_FORWARD;
	snprintf(f->url, sizeof(f->url), "%s", url);
	for (f->nhdrs = 0; hdrs != NULL && hdrs[2 * f->nhdrs] != NULL;
	    f->nhdrs++) {
		snprintf(f->hname[f->nhdrs], sizeof(f->hname[0]), "%s",
		    hdrs[2 * f->nhdrs]);
		snprintf(f->hval[f->nhdrs], sizeof(f->hval[0]), "%s",
		    hdrs[2 * f->nhdrs + 1]);
	}
	f->replace = 0;
	fv_unlock(f);
}

/* Hold every request, answering none (lock taken). */
static inline void
fv_set_silent(struct fv *f)
{
	fv_lock(f);
	f->mode = FV_SILENT;
	fv_unlock(f);
}

static inline void
fv_set_error(struct fv *f, int code, const char *text)
{
	fv_lock(f);
	f->mode = FV_ERROR;
	f->code = code;
	snprintf(f->text, sizeof(f->text), "%s", text);
	fv_unlock(f);
}

/*
 * Refuse every request's credentials as vaultd does once signerd has
 * refused them (a client removed, say): 401, and no MSG_GW_PASSED.
 */
static inline void
fv_set_refused(struct fv *f)
{
	fv_set_error(f, CV_ERR_AUTH, "client credentials refused");
	fv_lock(f);
	f->refused = 1;
	fv_unlock(f);
}

/* A bot's answer. */
struct gwres {
	int	 cc;		/* CURLcode */
	long	 status;
	char	*body;
	size_t	 len;
	char	 hdrs[20000];	/* the header lines, as received */
	size_t	 hlen;
	long	 newconns;	/* connections this request opened */
};

static inline void
gwres_free(struct gwres *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static inline size_t
gwres_body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct gwres	*r = arg;
	char		*nb;

	if ((nb = realloc(r->body, r->len + size * n + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static inline size_t
gwres_hdr_cb(char *p, size_t size, size_t n, void *arg)
{
	struct gwres	*r = arg;
	size_t		 len = size * n;

	if (len > 5 && memcmp(p, "HTTP/", 5) == 0)
		r->hlen = 0;
	if (r->hlen + len < sizeof(r->hdrs)) {
		memcpy(r->hdrs + r->hlen, p, len);
		r->hlen += len;
		r->hdrs[r->hlen] = '\0';
	}
	return len;
}

/* An easy handle for method target over the Unix socket (tcp 0) or TCP. */
static inline CURL *
gw_easy(const struct gws *s, int tcp, const char *method, const char *target,
    struct curl_slist *hdrs, const char *body, size_t bodylen,
    struct gwres *r)
{
	CURL	*c;
	char	 url[8300];

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	if (tcp)
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port,
		    target);
	else {
		snprintf(url, sizeof(url), "http://localhost%s", target);
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, s->path);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, gwres_body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, gwres_hdr_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (hdrs != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)bodylen);
	}
	return c;
}

static inline void
gw_easy_done(CURL *c, struct gwres *r, int cc)
{
	r->cc = cc;
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->newconns);
	}
	if (r->body == NULL && (r->body = strdup("")) == NULL)
		abort();
}

/* Drive m to the end, each answer into r[i] of its c[i]. */
static inline void
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

/* Drive m until its one transfer ends; r filled. */
static inline void
drive(CURLM *m, CURL *c, struct gwres *r)
{
	drive_all(m, &c, r, 1);
}

/* Drive m until the fake vaultd holds held requests (within 10 s). */
static inline void
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

/*
 * Client credentials' headers for the i-th of many requests held at
 * vaultd, client i / 32: one client's credentials hold at most 32
 * places waiting on vaultd, requests without any 64 together.
 */
static inline struct curl_slist *
gw_creds_of(size_t i)
{
	struct curl_slist	*l = NULL;
	char			 h[64];

	snprintf(h, sizeof(h), "POLY_API_KEY: bot-%zu", i / 32);
	l = curl_slist_append(l, h);
	l = curl_slist_append(l, "POLY_PASSPHRASE: pass");
	l = curl_slist_append(l, "POLY_TIMESTAMP: 1700000000");
	l = curl_slist_append(l, "POLY_SIGNATURE: c2ln");
	assert_non_null(l);
	return l;
}

/* One request; headers are "Name: value" strings, NULL-terminated. */
static inline int
gw_req(const struct gws *s, int tcp, const char *method, const char *target,
    const char *const *hdrs, const char *body, size_t bodylen,
    struct gwres *r)
{
	struct curl_slist	*l = NULL;
	CURL			*c;
	size_t			 i;
	int			 cc;

	for (i = 0; hdrs != NULL && hdrs[i] != NULL; i++)
		l = curl_slist_append(l, hdrs[i]);
	/*
	 * A large body waits for the go-ahead, as HTTP clients do: an
	 * answer before it (413) then never races the upload into a reset.
	 */
	if (bodylen > 1024)
		l = curl_slist_append(l, "Expect: 100-continue");
	if ((c = gw_easy(s, tcp, method, target, l, body, bodylen, r)) ==
	    NULL)
		return -1;
	cc = curl_easy_perform(c);
	gw_easy_done(c, r, cc);
	curl_easy_cleanup(c);
	curl_slist_free_all(l);
	return cc;
}

/* 1 if the header block of r holds the line "name: value" exactly. */
static inline int
gwres_has(const struct gwres *r, const char *line)
{
	char	want[1100];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return strcasestr(r->hdrs, want) != NULL;
}

/* Assert status and exact body. */
static inline void
gw_expect(const struct gwres *r, long status, const char *body)
{
	if (r->cc != CURLE_OK || r->status != status ||
	    (body != NULL && strcmp(r->body, body) != 0))
		fprintf(stderr, "got cc %d status %ld body [%s]\n", r->cc,
		    r->status, r->body != NULL ? r->body : "");
	assert_int_equal(r->cc, CURLE_OK);
	assert_int_equal(r->status, status);
	if (body != NULL)
		assert_string_equal(r->body, body);
}

/*
 * The credentials of gw_creds_of's first n clients made known to netd
 * as passed (MSG_GW_PASSED, as vaultd once signerd let them pass), so
 * that each holds its own share of the places waiting on vaultd, not
 * the one that credentials not yet passed share.  One request each,
 * refused by the fake vaultd: its answer comes after the MSG_GW_PASSED.
 * The mode is left at FV_ERROR.
 */
static inline void
gw_prime(const struct gws *s, struct fv *f, size_t n)
{
	struct curl_slist	*l;
	struct gwres		 r;
	CURL			*c;
	size_t			 i;

	fv_set_error(f, CV_ERR_DENIED, "primed");
	for (i = 0; i < n; i++) {
		l = gw_creds_of(32 * i);
		assert_non_null(c = gw_easy(s, 0, "GET", "/time", l, NULL, 0,
		    &r));
		gw_easy_done(c, &r, curl_easy_perform(c));
		curl_easy_cleanup(c);
		curl_slist_free_all(l);
		gw_expect(&r, 403, "{\"error\":\"primed\"}");
		gwres_free(&r);
	}
}

/*
 * The n requests held at a fake vaultd that stopped (fv_stop, then
 * nd_stop): each answered 503, not sent to the exchange, and freed with
 * its handle, its headers l[i] (l may be NULL) and the multi handle m.
 */
static inline void
held_closed(CURLM *m, CURL **c, struct gwres *r, struct curl_slist **l,
    size_t n)
{
	size_t	i;

	drive_all(m, c, r, n);
	for (i = 0; i < n; i++) {
		gw_expect(&r[i], 503, "{\"error\":\"gateway: vaultd closed "
		    "the channel; the request was not sent to the "
		    "exchange\"}");
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
		if (l != NULL)
			curl_slist_free_all(l[i]);
		gwres_free(&r[i]);
	}
	curl_multi_cleanup(m);
}

/*
 * The echo exchange: answers each request with status 200 (or the
 * number after "status=" in the query), the headers X-Echo: yes, two
 * Set-Cookie and a Keep-Alive (hop-by-hop), with "fill=1" in the query
 * also ECHO_FILL headers X-Fill-NN of ECHO_FILL_LEN bytes (with the
 * others and the Date, nearly the most netd passes on: 63 headers,
 * 15,819 of NETD_GW_ANSWER_HDRBYTES' 16,384 bytes), and a body "METHOD
 * target\n" followed by the request's body.  It keeps the last
 * request's header lines ("name: value\n", as libmicrohttpd read them).
 */
#define ECHO_FILL	58
#define ECHO_FILL_LEN	260

struct echo {
	struct MHD_Daemon	*d;
	int			 port;
	char			 url[64];
	pthread_mutex_t		 lock;
	int			 n;
	char			 hdrs[8192];
	char			 target[4200];
	uint8_t			*body;
	size_t			 bodylen;
};

struct echo_conn {
	char		*target;
	uint8_t		*body;
	size_t		 len;
	int		 started;
};

static inline void *
echo_uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct echo_conn	*ec;

	if ((ec = calloc(1, sizeof(*ec))) == NULL ||
	    (ec->target = strdup(uri)) == NULL)
		abort();
	return ec;
}

static inline void
echo_done_cb(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct echo_conn	*ec = *ctx;

	if (ec != NULL) {
		free(ec->target);
		free(ec->body);
		free(ec);
	}
	*ctx = NULL;
}

static inline enum MHD_Result
echo_hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	char	*buf = cls;
	size_t	 n = strlen(buf);

	snprintf(buf + n, 8192 - n, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

/* Header X-Fill-NN's value: ECHO_FILL_LEN letters of NN. */
static inline void
echo_fill_value(char *v, int i)
{
	memset(v, 'a' + i % 26, ECHO_FILL_LEN);
	v[ECHO_FILL_LEN] = '\0';
}

static inline void
echo_fill(struct MHD_Response *resp)
{
	char	name[16], v[ECHO_FILL_LEN + 1];
	int	i;

	for (i = 0; i < ECHO_FILL; i++) {
		snprintf(name, sizeof(name), "X-Fill-%02d", i);
		echo_fill_value(v, i);
		MHD_add_response_header(resp, name, v);
	}
}

static inline enum MHD_Result
echo_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upsize, void **ctx)
{
	struct echo		*e = cls;
	struct echo_conn	*ec = *ctx;
	struct MHD_Response	*resp;
	const char		*st;
	char			*out, hdrs[8192] = "";
	size_t			 hl, outlen;
	unsigned int		 status = 200;
	enum MHD_Result		 ret;

	if (!ec->started) {
		ec->started = 1;
		return MHD_YES;
	}
	if (*upsize > 0) {
		if ((ec->body = realloc(ec->body, ec->len + *upsize + 1)) ==
		    NULL)
			abort();
		memcpy(ec->body + ec->len, upload, *upsize);
		ec->len += *upsize;
		*upsize = 0;
		return MHD_YES;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, echo_hdr_cb, hdrs);
	pthread_mutex_lock(&e->lock);
	e->n++;
	snprintf(e->hdrs, sizeof(e->hdrs), "%s", hdrs);
	snprintf(e->target, sizeof(e->target), "%s", ec->target);
	free(e->body);
	if ((e->body = malloc(ec->len + 1)) == NULL)
		abort();
	if (ec->len > 0)
		memcpy(e->body, ec->body, ec->len);
	e->body[ec->len] = '\0';
	e->bodylen = ec->len;
	pthread_mutex_unlock(&e->lock);
	if ((st = strstr(ec->target, "status=")) != NULL)
		status = (unsigned int)atoi(st + 7);
	hl = strlen(method) + 1 + strlen(ec->target) + 1;
	outlen = hl + ec->len;
	if ((out = malloc(outlen + 1)) == NULL)
		abort();
	snprintf(out, outlen + 1, "%s %s\n", method, ec->target);
	if (ec->len > 0)
		memcpy(out + hl, ec->body, ec->len);
	resp = MHD_create_response_from_buffer(outlen, out,
	    MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, "X-Echo", "yes");
	MHD_add_response_header(resp, "Set-Cookie", "a=1");
	MHD_add_response_header(resp, "Set-Cookie", "b=2");
	MHD_add_response_header(resp, "Keep-Alive", "timeout=30");
	MHD_add_response_header(resp, "Content-Type", "text/x-echo");
	if (strstr(ec->target, "fill=1") != NULL)
		echo_fill(resp);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static inline int
echo_start(struct echo *e)
{
	const union MHD_DaemonInfo	*di;
	struct sockaddr_in		 sin;

	memset(e, 0, sizeof(*e));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_mutex_init(&e->lock, NULL);
	e->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, echo_handler, e,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_URI_LOG_CALLBACK, echo_uri_cb, e,
	    MHD_OPTION_NOTIFY_COMPLETED, echo_done_cb, e,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)400,
	    MHD_OPTION_END);
	if (e->d == NULL ||
	    (di = MHD_get_daemon_info(e->d, MHD_DAEMON_INFO_BIND_PORT)) ==
	    NULL)
		return -1;
	e->port = di->port;
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->port);
	return 0;
}

static inline void
echo_stop(struct echo *e)
{
	if (e->d != NULL)
		MHD_stop_daemon(e->d);
	free(e->body);
	pthread_mutex_destroy(&e->lock);
	memset(e, 0, sizeof(*e));
}

#endif
