/*
 * The gateway, exchange side: once vaultd has answered MSG_GW_ANS, the
 * bot's request goes to the account's exchange on a libcurl multi
 * handle of the gateway's own -- netd_http.c's serves the exchange
 * calls one transfer at a time and stays as it is -- with many
 * transfers in flight, connections kept alive and HTTP/2 multiplexed
 * where the exchange offers it.
 *
 * libcurl tells which sockets it wants watched (CURLMOPT_SOCKETFUNCTION)
 * and when it wants to be called by the clock (CURLMOPT_TIMERFUNCTION);
 * those sockets join the loop's one poll and are handed back with
 * curl_multi_socket_action.
 *
 * A finished transfer's easy handle is reset and kept for the next one
 * (up to NETD_GW_UP_CONNS of them), as netd_http.c keeps its one:
 * making and freeing a handle was a twentieth of netd's work for a
 * small GET.  libcurl frees the answer's buffer at the end of each
 * transfer and the request's when it is sent (both wiped, netd_mem.c),
 * and a reset forgets every option, the header list and URL included.
 *
 * The answers' bodies, whole, at most NETD_GW_ANSWER_MAX each and
 * NETD_GW_ANSWERS_MAX together until the bots have read them
 * (netd_gw.h): beyond a small answer's bytes, a transfer that finds no
 * room is cut off.
 *
 * The request: the account's base URL and the target exactly as the
 * bot sent it (what vaultd signed), the method, vaultd's headers, and
 * from the bot only Content-Type, Accept and User-Agent; the body is
 * vaultd's when it replaced it (signed orders), else the bot's, and
 * goes as JSON (gw_up_ctype).  TLS as
 * for the exchange calls: verification on, the account's CA or the
 * system bundle (http_tls: parsed once for this multi handle), records
 * wiped once read, an optional pin, http only to
 * 127.0.0.1 or localhost (common/url.h), no redirects, no proxy.
 *
 * libcurl sends a request again by itself when a reused connection
 * closes before any byte of the answer (the exchange closing an idle
 * connection as we write).  The exchange calls avoid it for POST with a
 * connection of their own, which every order of a bot would pay for
 * with a TLS handshake; here connections idle at most
 * NETD_GW_UP_MAXAGE seconds, shorter than the exchanges' own keep-alive,
 * which leaves the race to a server that closes sooner.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/log.h"
#include "common/url.h"
#include "netd/netd_gw.h"

static int
gw_sock_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct netd_gw	*gw = arg;
	struct gw_sock	*ns;
	size_t		 i, cap;

	for (i = 0; i < gw->nsocks; i++)
		if (gw->socks[i].fd == fd)
			break;
	if (what == CURL_POLL_REMOVE) {
		if (i < gw->nsocks)
			gw->socks[i] = gw->socks[--gw->nsocks];
		return 0;
	}
	if (i == gw->nsocks) {
		if (gw->nsocks == gw->capsocks) {
			cap = gw->capsocks == 0 ? 16 : gw->capsocks * 2;
			if ((ns = reallocarray(gw->socks, cap,
			    sizeof(*ns))) == NULL)
				return -1;
			gw->socks = ns;
			gw->capsocks = cap;
		}
		gw->socks[gw->nsocks++].fd = fd;
	}
	gw->socks[i].events = (what & CURL_POLL_IN ? POLLIN : 0) |
	    (what & CURL_POLL_OUT ? POLLOUT : 0);
	return 0;
}

static int
gw_timer_cb(CURLM *multi, long ms, void *arg)
{
	struct netd_gw	*gw = arg;

	gw->curl_due_ms = ms < 0 ? -1 : netd_now_ms() + ms;
	return 0;
}

int
gw_up_init(struct netd_gw *gw)
{
	if ((gw->multi = curl_multi_init()) == NULL)
		return CV_ERR_NOMEM;
	if (curl_multi_setopt(gw->multi, CURLMOPT_SOCKETFUNCTION,
	    gw_sock_cb) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_SOCKETDATA, gw) !=
	    CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_TIMERFUNCTION,
	    gw_timer_cb) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_TIMERDATA, gw) !=
	    CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)NETD_GW_UP_CONNS) != CURLM_OK ||
	    curl_multi_setopt(gw->multi, CURLMOPT_MAXCONNECTS,
	    (long)NETD_GW_UP_CONNS) != CURLM_OK)
		return CV_ERR_INTERNAL;
	return 0;
}

size_t
gw_up_npollfd(const struct netd_gw *gw)
{
	return gw->nsocks;
}

void
gw_up_pollfd(const struct netd_gw *gw, struct pollfd *pfd)
{
	size_t	i;

	for (i = 0; i < gw->nsocks; i++) {
		pfd[i].fd = gw->socks[i].fd;
		pfd[i].events = gw->socks[i].events;
		pfd[i].revents = 0;
	}
}

int64_t
gw_up_timeout(const struct netd_gw *gw)
{
	int64_t	d;

	if (gw->curl_due_ms < 0)
		return -1;
	d = gw->curl_due_ms - netd_now_ms();
	return d < 0 ? 0 : d;
}

static size_t
gw_up_body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct gw_req	*r = arg;
	size_t		 len = size * n, cap;
	uint8_t		*nb;

	if (n != 0 && len / n != size)
		return 0;
	if (len == 0)
		return 0;
	if (len > NETD_GW_ANSWER_MAX - r->alen) {
		r->a_over = 1;
		return 0;		/* ends the transfer */
	}
	if (r->alen + len > r->acap) {
		cap = r->acap == 0 ? 4096 : r->acap;
		while (cap < r->alen + len)
			cap *= 2;
		if (cap > NETD_GW_ANSWER_SMALL && cap - r->acap >
		    NETD_GW_ANSWERS_MAX - (r->gw->held < NETD_GW_ANSWERS_MAX ?
		    r->gw->held : NETD_GW_ANSWERS_MAX)) {
			r->a_full = 1;
			return 0;	/* ends the transfer */
		}
		if ((nb = netd_mem_realloc(r->abody, cap)) == NULL)
			return 0;
		r->gw->held += cap - r->acap;
		r->abody = nb;
		r->acap = cap;
	}
	memcpy(r->abody + r->alen, p, len);
	r->alen += len;
	return len;
}

static void
gw_up_hdrs_free(struct gw_req *r)
{
	size_t	i;

	for (i = 0; i < r->nahdr; i++)
		free(r->ahdr[i]);
	free(r->ahdr);
	r->ahdr = NULL;
	r->nahdr = 0;
	r->ahdrbytes = 0;
	r->ahdr_over = 0;
	r->connopts[0] = '\0';
	r->connoptslen = 0;
}

/* Each header line of the exchange's answer: kept for the bot. */
static size_t
gw_up_hdr_cb(char *p, size_t size, size_t n, void *arg)
{
	struct gw_req	*r = arg;
	size_t		 len = size * n, nl, vl, i;
	char		*colon, *v, **na;

	if (n != 0 && len / n != size)
		return 0;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A status line: what came before was interim. */
		gw_up_hdrs_free(r);
		return len;
	}
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	/* Empty, folded (obsolete) or without a colon: not passed on. */
	if (len == 0 || p[0] == ' ' || p[0] == '\t' ||
	    (colon = memchr(p, ':', len)) == NULL)
		return size * n;
	nl = (size_t)(colon - p);
	v = colon + 1;
	vl = len - nl - 1;
	while (vl > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	/*
	 * The headers the Connection header names are hop-by-hop too (RFC
	 * 9110, 7.6.1), before it or after: gw_up_finish leaves them out.
	 * Too many of its bytes to keep: refused, as too many headers.
	 */
	if (nl == 10 && strncasecmp(p, "Connection", 10) == 0) {
		if (vl + 1 > NETD_GW_CONN_OPTS - r->connoptslen) {
			r->ahdr_over = 1;
			return size * n;
		}
		memcpy(r->connopts + r->connoptslen, v, vl);
		r->connoptslen += vl;
		r->connopts[r->connoptslen++] = ',';
		r->connopts[r->connoptslen] = '\0';
	}
	if (!gw_token(p, nl) || gw_hop_header(p, nl))
		return size * n;
	for (i = 0; i < vl; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    v[i] == 0x7f)
			return size * n;
	if (r->nahdr == NETD_GW_ANSWER_HDRS ||
	    nl + vl + 2 > NETD_GW_ANSWER_HDRBYTES - r->ahdrbytes) {
		r->ahdr_over = 1;
		return size * n;
	}
	if ((na = reallocarray(r->ahdr, r->nahdr + 1, sizeof(*na))) == NULL)
		return 0;
	r->ahdr = na;
	if ((r->ahdr[r->nahdr] = malloc(nl + vl + 2)) == NULL)
		return 0;
	memcpy(r->ahdr[r->nahdr], p, nl);
	r->ahdr[r->nahdr][nl] = '\0';
	memcpy(r->ahdr[r->nahdr] + nl + 1, v, vl);
	r->ahdr[r->nahdr][nl + 1 + vl] = '\0';
	r->nahdr++;
	r->ahdrbytes += nl + vl + 2;
	return size * n;
}

/*
 * "name: value" onto r's list ("name:" for an empty value: libcurl then
 * sends none of its own).  libcurl copies the line; ours is wiped.
 */
static void
gw_up_line(struct gw_req *r, const char *name, size_t nl, const char *v,
    size_t vl)
{
	struct curl_slist	*l;
	char			 line[NETD_HDR_NAME_MAX + 2 +
				    NETD_GW_CLIENT_HDR_MAX + 1];
	size_t			 n = nl;

	/* vaultd's values are shorter than a client's (512, 1024) */
	if (nl > NETD_HDR_NAME_MAX || vl > NETD_GW_CLIENT_HDR_MAX)
		fatalx("gateway: header line too long");
	memcpy(line, name, nl);
	line[n++] = ':';
	if (vl > 0) {
		line[n++] = ' ';
		memcpy(line + n, v, vl);
		n += vl;
	}
	line[n] = '\0';
	if ((l = curl_slist_append(r->hdrs, line)) == NULL)
		fatalx("out of memory");
	r->hdrs = l;
	sodium_memzero(line, n);
}

/* The same with NUL-terminated name and value. */
static void
gw_up_line_str(struct gw_req *r, const char *name, const char *v)
{
	gw_up_line(r, name, strlen(name), v, strlen(v));
}

/*
 * The Content-Type sent.  A body goes as JSON, what the policy and
 * vaultd read it as: the bot's type when it names JSON (parameters
 * kept), else application/json.  An exchange that picks its parser by
 * the type would otherwise read a body labelled as a form, say, as
 * other fields than the policy judged ({"a":"x&orderID=V"}).  Without
 * a body, the bot's type or none.
 */
static const char *
gw_up_ctype(const struct gw_req *r, size_t bodylen)
{
	const char	*t = r->ctype;

	if (bodylen == 0)
		return t != NULL ? t : "";
	if (t != NULL && strncasecmp(t, "application/json", 16) == 0 &&
	    (t[16] == '\0' || t[16] == ';' || t[16] == ' ' || t[16] == '\t'))
		return t;
	return "application/json";
}

/* vaultd's headers: names of letters, digits, '_' and '-'. */
static void
gw_up_vaultd_hdrs(struct gw_req *r, struct msg *m)
{
	struct msg_rd	 list, pair;
	const char	*n, *v;
	size_t		 nl, vl, i, j;
	int		 rc;

	if ((rc = msg_get_array(&m->rd, &list, NETD_HDR_MAX)) != 0)
		fatalx("MSG_GW_ANS: %s", cv_strerror(rc));
	for (i = 0; i < list.n; i++) {
		if ((rc = msg_get_array(&list, &pair, 2)) != 0 ||
		    pair.n != 2 ||
		    (rc = msg_get_str(&pair, &n, &nl,
		    NETD_HDR_NAME_MAX)) != 0 ||
		    (rc = msg_get_str(&pair, &v, &vl,
		    NETD_HDR_VALUE_MAX)) != 0)
			fatalx("MSG_GW_ANS: headers: %s",
			    cv_strerror(rc != 0 ? rc : CV_ERR_MSG_COUNT));
		for (j = 0; j < nl; j++)
			if (!((n[j] >= 'A' && n[j] <= 'Z') || (n[j] >= 'a' &&
			    n[j] <= 'z') || (n[j] >= '0' && n[j] <= '9') ||
			    n[j] == '_' || n[j] == '-'))
				break;
		if (nl == 0 || j != nl || vl == 0 || v[0] == ' ' ||
		    v[vl - 1] == ' ')
			fatalx("MSG_GW_ANS: header %zu is malformed", i);
		for (j = 0; j < vl; j++)
			if (v[j] < 0x20 || v[j] > 0x7e)
				fatalx("MSG_GW_ANS: header %zu is malformed",
				    i);
		gw_up_line(r, n, nl, v, vl);
	}
}

/* An easy handle for a new transfer: a spare one, or a new one. */
static CURL *
gw_up_easy_get(struct netd_gw *gw)
{
	if (gw->nspare > 0)
		return gw->spare[--gw->nspare];
	return curl_easy_init();
}

/* A handle no longer in the multi handle: reset and kept, or freed. */
static void
gw_up_easy_put(struct netd_gw *gw, CURL *easy)
{
	if (gw->nspare == NETD_GW_UP_CONNS) {
		curl_easy_cleanup(easy);
		return;
	}
	curl_easy_reset(easy);
	gw->spare[gw->nspare++] = easy;
}

/*
 * libcurl is about to send r.  When a reused connection dies before any
 * answer, libcurl sends the request again on a new one by itself; the
 * exchange may have acted on the first (an order placed, then refused
 * as a duplicate), so a request that changes anything goes once.
 */
static int
gw_up_prereq(void *arg, char *ip, char *lip, int port, int lport)
{
	struct gw_req	*r = arg;

	(void)ip;
	(void)lip;
	(void)port;
	(void)lport;
	if (r->sends++ > 0 && strcmp(r->method, "GET") != 0)
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

#define SETOPT(opt, val) do {						\
	if (curl_easy_setopt(r->easy, (opt), (val)) != CURLE_OK) {	\
		log_warnx("libcurl refuses option %s", #opt);		\
		goto fail;						\
	}								\
} while (0)

/* Hand r to libcurl, or answer why not. */
static void
gw_up_go(struct gw_req *r)
{
	struct netd		*nd = r->gw->nd;
	const struct url_parts	*up = &r->gw->url_parts;
	const uint8_t		*body;
	size_t			 bodylen;
	int			 nobody;

	if ((r->easy = gw_up_easy_get(r->gw)) == NULL)
		goto fail;
	body = r->upbody != NULL ? r->upbody : r->body;
	bodylen = r->upbody != NULL ? r->upbodylen : r->len;
	nobody = bodylen == 0 && (strcmp(r->method, "GET") == 0 ||
	    strcmp(r->method, "DELETE") == 0);
	gw_up_line_str(r, "Content-Type", gw_up_ctype(r, bodylen));
	gw_up_line_str(r, "Accept", r->accept != NULL ? r->accept : "");
	if (r->agent != NULL)
		gw_up_line_str(r, "User-Agent", r->agent);
	gw_up_line_str(r, "Expect", "");

	SETOPT(CURLOPT_PRIVATE, r);
	SETOPT(CURLOPT_URL, r->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");		/* never from the environment */
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PATH_AS_IS, 1L);		/* the path signed is sent */
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SETOPT(CURLOPT_PIPEWAIT, 1L);		/* multiplex rather than
						   open more connections */
	SETOPT(CURLOPT_MAXAGE_CONN, (long)NETD_GW_UP_MAXAGE);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	/* r->ca outlives the transfer */
	if (http_tls(r->easy, r->ca, r->calen) != 0) {
		log_warnx("libcurl refuses the TLS options");
		goto fail;
	}
	if (r->pin[0] != '\0')
		SETOPT(CURLOPT_PINNEDPUBLICKEY, r->pin);
	SETOPT(CURLOPT_CONNECTTIMEOUT, (long)nd->connect_timeout);
	SETOPT(CURLOPT_TIMEOUT, (long)nd->timeout);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)NETD_GW_ANSWER_MAX);
	SETOPT(CURLOPT_WRITEFUNCTION, gw_up_body_cb);
	SETOPT(CURLOPT_WRITEDATA, r);
	SETOPT(CURLOPT_HEADERFUNCTION, gw_up_hdr_cb);
	SETOPT(CURLOPT_HEADERDATA, r);
	SETOPT(CURLOPT_ERRORBUFFER, r->errbuf);
	SETOPT(CURLOPT_HTTPHEADER, r->hdrs);
	r->sends = 0;
	SETOPT(CURLOPT_PREREQFUNCTION, gw_up_prereq);
	SETOPT(CURLOPT_PREREQDATA, r);
	if (nobody) {
		if (strcmp(r->method, "GET") == 0)
			SETOPT(CURLOPT_HTTPGET, 1L);
		else
			SETOPT(CURLOPT_CUSTOMREQUEST, r->method);
	} else {
		SETOPT(CURLOPT_POST, 1L);
		if (strcmp(r->method, "POST") != 0)
			SETOPT(CURLOPT_CUSTOMREQUEST, r->method);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
		SETOPT(CURLOPT_POSTFIELDS, bodylen > 0 ? (const char *)body :
		    "");
	}
	if (curl_multi_add_handle(r->gw->multi, r->easy) != CURLM_OK)
		goto fail;
	r->state = GS_UP;
	log_debug("gateway: %s %.*s for %s at %s:%s", r->method,
	    (int)strcspn(r->target, "?"), r->target, r->account, up->host,
	    up->port);
	return;
 fail:
	if (r->easy != NULL) {
		gw_up_easy_put(r->gw, r->easy);
		r->easy = NULL;
	}
	gw_answer_error(r, 500, "gateway: cannot make the request to the "
	    "exchange");
}

void
gw_up_start(struct gw_req *r, struct msg *m)
{
	const uint8_t		*b;
	char			 url[NETD_URL_MAX + 1], why[160];
	size_t			 len, n;
	int			 replaced, rc;

	if ((rc = msg_get_strbuf(&m->rd, r->account,
	    sizeof(r->account))) != 0 ||
	    (rc = msg_get_strbuf(&m->rd, url, sizeof(url))) != 0 ||
	    (rc = msg_get_bin(&m->rd, &b, &len, NETD_CA_MAX)) != 0)
		fatalx("MSG_GW_ANS: %s", cv_strerror(rc));
	if (len > 0) {
		if ((r->ca = malloc(len)) == NULL)
			fatalx("out of memory");
		memcpy(r->ca, b, len);
		r->calen = len;
	}
	if ((rc = msg_get_strbuf(&m->rd, r->pin, sizeof(r->pin))) != 0)
		fatalx("MSG_GW_ANS: %s", cv_strerror(rc));
	gw_up_vaultd_hdrs(r, m);
	if ((rc = msg_get_bool(&m->rd, &replaced)) != 0 ||
	    (rc = msg_get_bin(&m->rd, &b, &len, MSG_MAX_FRAME)) != 0)
		fatalx("MSG_GW_ANS: %s", cv_strerror(rc));
	if (replaced) {
		if ((r->upbody = netd_mem_malloc(len + 1)) == NULL)
			fatalx("out of memory");
		if (len > 0)
			memcpy(r->upbody, b, len);
		r->upbodylen = len;
	}
	/* The rule of common/url.h, checked again here (once a URL). */
	if (r->gw->url_ok[0] == '\0' || strcmp(url, r->gw->url_ok) != 0) {
		r->gw->url_ok[0] = '\0';
		if (url_parse(url, &r->gw->url_parts, why, sizeof(why)) != 0) {
			gw_answer_error(r, 500, "gateway: the exchange URL of "
			    "%s is refused: %s", r->account, why);
			return;
		}
		memcpy(r->gw->url_ok, url, strlen(url) + 1);
	}
	if (parse_pin(r->pin) != 0) {
		gw_answer_error(r, 500, "gateway: the public key pin of %s is "
		    "malformed", r->account);
		return;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if ((r->url = malloc(n + r->targetlen + 1)) == NULL)
		fatalx("out of memory");
	memcpy(r->url, url, n);
	memcpy(r->url + n, r->target, r->targetlen + 1);
	if (strcmp(r->method, "GET") == 0 &&
	    (r->learn = malloc(NEGRISK_TOKEN_MAX + 1)) != NULL &&
	    !negrisk_target(r->target, r->targetlen, r->learn,
	    NEGRISK_TOKEN_MAX + 1, &r->learn_book)) {
		free(r->learn);
		r->learn = NULL;
	}
	gw_up_go(r);
}

/*
 * 1 if the answer quotes a passphrase vaultd's headers carried (the
 * account's, or its builder key's): the exchange echoing what it was
 * sent, in a header or the body, must not hand the bot the account's
 * credentials.  Any 16 characters of it in a row that start at a
 * multiple of 16 (a quote of 31 or more, or the whole of a shorter
 * one): few searches of a large body, and no hex string of an answer
 * matches one by chance.
 */
static int
gw_up_quotes(const struct gw_req *r)
{
	const struct curl_slist	*l;
	const char		*v, *colon;
	size_t			 vl, w, off, i, nl;

	for (l = r->hdrs; l != NULL; l = l->next) {
		if ((colon = strchr(l->data, ':')) == NULL)
			continue;
		nl = (size_t)(colon - l->data);
		if (nl < 10 || memcmp(colon - 10, "PASSPHRASE", 10) != 0 ||
		    colon[1] != ' ')
			continue;
		v = colon + 2;
		vl = strlen(v);
		w = vl < 16 ? vl : 16;
		for (off = 0; w >= 4 && off + w <= vl; off += 16) {
			if (r->alen > 0 && memmem(r->abody, r->alen, v + off,
			    w) != NULL)
				return 1;
			for (i = 0; i < r->nahdr; i++)
				if (memmem(r->ahdr[i], strlen(r->ahdr[i]) + 1 +
				    strlen(r->ahdr[i] + strlen(r->ahdr[i]) + 1),
				    v + off, w) != NULL)
					return 1;
		}
	}
	return 0;
}

/* r's transfer is over: make the bot's answer. */
static void
gw_up_finish(struct gw_req *r, CURLcode cc)
{
	struct netd_gw		*gw = r->gw;
	struct MHD_Response	*resp;
	char			 err[CURL_ERROR_SIZE];
	long			 status = 0;
	size_t			 i;
	uint8_t			*body;

	(void)curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status >= 100 && status < 600)
		gw->m.up[status]++;
	if (r->a_full) {
		if (strcmp(r->method, "GET") == 0)
			gw_answer_error(r, 503, "gateway: %d MiB of answers "
			    "wait for bots to read them; retry",
			    NETD_GW_ANSWERS_MAX / (1024 * 1024));
		else
			gw_answer_error(r, 502, "gateway: %d MiB of answers "
			    "wait for bots to read them; the request went to "
			    "the exchange and its answer is lost: check before "
			    "sending it again",
			    NETD_GW_ANSWERS_MAX / (1024 * 1024));
		return;
	}
	if (r->a_over || cc == CURLE_FILESIZE_EXCEEDED) {
		gw_answer_error(r, 502, "gateway: the exchange's answer is "
		    "over %d bytes", NETD_GW_ANSWER_MAX);
		return;
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK && r->sends > 1) {
		gw_answer_error(r, 502, "gateway: the exchange closed the "
		    "connection before answering; the request may have "
		    "reached the exchange: check before sending it again");
		return;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		gw_answer_error(r, 504, "gateway: the exchange did not answer "
		    "within %d s", gw->nd->timeout);
		return;
	}
	if (cc != CURLE_OK) {
		parse_clean(r->errbuf[0] != '\0' ? r->errbuf :
		    curl_easy_strerror(cc), strnlen(r->errbuf[0] != '\0' ?
		    r->errbuf : curl_easy_strerror(cc), sizeof(r->errbuf)),
		    err, sizeof(err), sizeof(err) - 1);
		gw_answer_error(r, 502, "gateway: the exchange did not answer: "
		    "%s", err);
		return;
	}
	if (status < 200 || status > 599) {
		gw_answer_error(r, 502, "gateway: the exchange answered with "
		    "HTTP status %ld", status);
		return;
	}
	if (r->ahdr_over) {
		gw_answer_error(r, 502, "gateway: the exchange's answer has "
		    "over %d headers or %d bytes of them", NETD_GW_ANSWER_HDRS,
		    NETD_GW_ANSWER_HDRBYTES);
		return;
	}
	if (gw_up_quotes(r)) {
		gw_answer_error(r, 502, "gateway: the exchange's answer (HTTP "
		    "%ld) quotes the account's passphrase and is withheld%s",
		    status, strcmp(r->method, "GET") == 0 ? "" : "; the "
		    "request went to the exchange: check before sending it "
		    "again");
		return;
	}
	if (r->learn != NULL && status == 200)
		negrisk_learn(&gw->neg, r->learn, r->abody, r->alen);
	body = r->abody;
	r->abody = NULL;
	resp = gw_answer_up(r, (unsigned int)status, body, r->alen);
	for (i = 0; i < r->nahdr; i++)
		if (!gw_conn_option(r->connopts, r->ahdr[i]) &&
		    MHD_add_response_header(resp, r->ahdr[i],
		    r->ahdr[i] + strlen(r->ahdr[i]) + 1) != MHD_YES)
			log_debug("gateway: header %s of the answer dropped",
			    r->ahdr[i]);
	log_debug("gateway: %s %.*s for %s: HTTP %ld, %zu bytes", r->method,
	    (int)strcspn(r->target, "?"), r->target, r->account, status,
	    r->alen);
}

void
gw_up_events(struct netd_gw *gw, const struct pollfd *pfd, size_t n)
{
	struct gw_req	*r;
	CURLMsg		*cm;
	CURLMcode	 mc;
	size_t		 i;
	int		 running, left, ev;
	void		*priv;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		ev = (pfd[i].revents & POLLIN ? CURL_CSELECT_IN : 0) |
		    (pfd[i].revents & POLLOUT ? CURL_CSELECT_OUT : 0);
		mc = curl_multi_socket_action(gw->multi, pfd[i].fd, ev,
		    &running);
		if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET)
			fatalx("curl_multi_socket_action: %s",
			    curl_multi_strerror(mc));
	}
	if (gw->curl_due_ms >= 0 && netd_now_ms() >= gw->curl_due_ms) {
		gw->curl_due_ms = -1;
		if ((mc = curl_multi_socket_action(gw->multi,
		    CURL_SOCKET_TIMEOUT, 0, &running)) != CURLM_OK)
			fatalx("curl_multi_socket_action: %s",
			    curl_multi_strerror(mc));
	}
	while ((cm = curl_multi_info_read(gw->multi, &left)) != NULL) {
		if (cm->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		(void)curl_easy_getinfo(cm->easy_handle, CURLINFO_PRIVATE,
		    &priv);
		if ((r = priv) == NULL || r->easy != cm->easy_handle)
			fatalx("gateway: a transfer of no request");
		gw_up_finish(r, cm->data.result);
		gw_up_clear(r);
	}
}

void
gw_up_clear(struct gw_req *r)
{
	struct curl_slist	*l;

	if (r->easy != NULL) {
		(void)curl_multi_remove_handle(r->gw->multi, r->easy);
		gw_up_easy_put(r->gw, r->easy);
		r->easy = NULL;
	}
	/* vaultd's header lines hold the client's signature: wiped. */
	for (l = r->hdrs; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
	free(r->url);
	r->url = NULL;
	if (r->upbody != NULL)
		netd_mem_free(r->upbody);
	r->upbody = NULL;
	r->upbodylen = 0;
	free(r->ca);
	r->ca = NULL;
	r->calen = 0;
	if (r->abody != NULL) {
		r->gw->held -= r->acap;
		netd_mem_free(r->abody);
	}
	r->abody = NULL;
	r->alen = r->acap = 0;
	r->a_full = 0;
	gw_up_hdrs_free(r);
	free(r->learn);
	r->learn = NULL;
}
