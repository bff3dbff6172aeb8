/*
 * netd's HTTPS client: one libcurl multi handle and one easy handle,
 * reused for every request so that connections (and TLS sessions) to an
 * exchange are kept between calls.  libcurl is driven from netd's event
 * loop with curl_multi_poll, which also watches the channel to vaultd
 * and the gateway's descriptors (plain poll when no call is in flight):
 * nothing here blocks.
 *
 * Every request: TLS verification on (the account's CA as a blob, else
 * the system bundle, see http_tls), each record's plaintext wiped once
 * read, an optional public key pin, http and https only, no redirect,
 * no proxy, a connect and a total time-out, and an answer of at most
 * NETD_HDRS_MAX bytes of headers and NETD_BODY_MAX of body, the body
 * kept in guarded memory and wiped after use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "common/log.h"
#include "netd/netd.h"

struct netd_http {
	CURLM			*multi;
	CURL			*easy;
	int			 busy;		/* easy is in multi */
	int			 done;
	struct curl_slist	*hdrs;
	uint8_t			*buf;		/* guarded, cap bytes */
	size_t			 cap;		/* > len: room for a NUL */
	size_t			 len;
	size_t			 hdrbytes;	/* of every answer so far */
	char			 errbuf[CURL_ERROR_SIZE];
	struct http_res		 res;
};

/*
 * The answer buffer starts at NETD_BODY_START bytes, enough for nearly
 * every answer, and grows to NETD_BODY_MAX + 1 only for a large one:
 * guarded memory is filled and locked when allocated, so a buffer of
 * the largest size would stay resident for good.  A new buffer, a copy,
 * and the old one wiped and freed; 0 or CV_ERR_NOMEM.
 */
static int
http_grow(struct netd_http *h, size_t need)
{
	uint8_t	*nb;
	size_t	 cap = h->cap;

	while (cap < need)
		cap = cap > (NETD_BODY_MAX + 1) / 2 ? NETD_BODY_MAX + 1 :
		    cap * 2;
	if ((nb = sodium_malloc(cap)) == NULL)
		return CV_ERR_NOMEM;
	memcpy(nb, h->buf, h->len);
	sodium_free(h->buf);
	h->buf = nb;
	h->cap = cap;
	return 0;
}

static size_t
http_write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct netd_http	*h = arg;
	size_t			 len = size * n;

	if (n != 0 && len / n != size)
		return 0;
	if (len > NETD_BODY_MAX - h->len) {
		h->res.too_big = 1;
		return 0;		/* aborts the transfer */
	}
	if (h->len + len >= h->cap && http_grow(h, h->len + len + 1) != 0)
		return 0;
	memcpy(h->buf + h->len, p, len);
	h->len += len;
	return len;
}

/* The bytes of p[0..len) before the first CR or LF. */
static size_t
line_len(const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len && p[i] != '\r' && p[i] != '\n'; i++)
		;
	return i;
}

/*
 * A header line, as libcurl hands it: len bytes, not NUL-terminated.
 * libcurl's own bound on the headers is 300 KiB, past which it fails
 * the transfer as a receive error: one we would retry, taken for a
 * dropped connection.  Ours is lower and ends the transfer as an answer
 * too large.
 */
static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct netd_http	*h = arg;
	size_t			 len = size * n;
	const char		*sp;

	if ((n != 0 && len / n != size) || len > NETD_HDRS_MAX - h->hdrbytes) {
		h->res.hdrs_too_big = 1;
		return 0;		/* aborts the transfer */
	}
	h->hdrbytes += len;
	if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new status line: what came before was interim. */
		h->res.retry_after = -1;
		if ((sp = memchr(p, ' ', len)) != NULL) {
			sp++;
			parse_clean(sp, line_len(sp, len - (size_t)(sp - p)),
			    h->res.statusline, sizeof(h->res.statusline),
			    sizeof(h->res.statusline) - 1);
		}
	} else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		p += 12;
		len -= 12;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		h->res.retry_after = parse_retry_after(p, line_len(p, len));
	}
	return size * n;
}

int
http_init(struct netd_http **out)
{
	struct netd_http	*h;

	*out = NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return CV_ERR_NOMEM;
	h->cap = NETD_BODY_START;
	if ((h->buf = sodium_malloc(h->cap)) == NULL ||
	    (h->multi = curl_multi_init()) == NULL ||
	    (h->easy = curl_easy_init()) == NULL) {
		if (h->buf != NULL)
			sodium_free(h->buf);
		if (h->multi != NULL)
			curl_multi_cleanup(h->multi);
		free(h);
		return CV_ERR_NOMEM;
	}
	*out = h;
	return 0;
}

int
http_busy(const struct netd_http *h)
{
	return h->busy;
}

#define SETOPT(opt, val) do {						\
	if (curl_easy_setopt(h->easy, (opt), (val)) != CURLE_OK) {	\
		log_warnx("libcurl refuses option %s", #opt);		\
		goto fail;						\
	}								\
} while (0)

/*
 * Each new connection's SSL_CTX, before its handshake.  OpenSSL
 * decrypts a record in place in its read buffer and leaves the
 * plaintext there until another record overwrites it.  libcurl sets
 * SSL_MODE_RELEASE_BUFFERS, so the buffer is freed (and wiped,
 * netd_mem.c) once it is empty, but not while more bytes wait behind
 * the record: CLEANSE_PLAINTEXT wipes each record as soon as libcurl
 * has read it.  The callback leaves the CA cache below as it is:
 * libcurl calls it before it sets up the certificate store, which it
 * then takes from the cache or puts there as it would without it.
 */
static CURLcode
http_ssl_ctx(CURL *easy, void *ctx, void *arg)
{
	SSL_CTX_set_options(ctx, SSL_OP_CLEANSE_PLAINTEXT);
	return CURLE_OK;
}

/*
 * The TLS of a connection: each record wiped once read (http_ssl_ctx);
 * verified with an account's own CA, as a blob libcurl parses for the
 * connection, else with the system bundle, which libcurl reads from the
 * file at the first connection that needs it and keeps parsed for every
 * later one on the same multi handle for NETD_CA_CACHE seconds
 * (CURLOPT_CA_CACHE_TIMEOUT; a blob is never cached).  So a netd whose
 * accounts all bring their own CA never holds the system bundle (0.2 MiB
 * of PEM, 0.7 MiB more heap once parsed), and one that uses it holds it
 * once, not once per connection.  Reading it in the sandbox needs
 * nothing more: Landlock leaves /etc readable, seccomp allows a
 * read-only openat.  The gateway's client (netd_gw_up.c) does the same
 * on its own multi handle.
 */
int
http_tls(CURL *easy, const uint8_t *ca, size_t calen)
{
	struct curl_blob	 blob;

	if (curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, http_ssl_ctx) !=
	    CURLE_OK || curl_easy_setopt(easy, CURLOPT_CAPATH, NULL) !=
	    CURLE_OK)
		return CV_ERR_INTERNAL;
	if (ca == NULL || calen == 0)
		return curl_easy_setopt(easy, CURLOPT_CAINFO,
		    NETD_SYSTEM_CA) != CURLE_OK ||
		    curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT,
		    (long)NETD_CA_CACHE) != CURLE_OK ? CV_ERR_INTERNAL : 0;
	blob.data = (void *)(uintptr_t)ca;
	blob.len = calen;
	blob.flags = CURL_BLOB_NOCOPY;	/* the caller's outlives the transfer */
	if (curl_easy_setopt(easy, CURLOPT_CAINFO, NULL) != CURLE_OK ||
	    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
		return CV_ERR_INTERNAL;
	return 0;
}

int
http_start(struct netd_http *h, const struct http_req *rq)
{
	struct curl_slist	*l;
	size_t			 i;

	if (h->busy)
		return CV_ERR_INTERNAL;
	http_clear(h);
	curl_easy_reset(h->easy);
	memset(&h->res, 0, sizeof(h->res));
	h->res.retry_after = -1;
	h->errbuf[0] = '\0';
	h->len = 0;
	h->hdrbytes = 0;
	h->done = 0;

	for (i = 0; rq->hdrs != NULL && rq->hdrs[i] != NULL; i++) {
		if ((l = curl_slist_append(h->hdrs, rq->hdrs[i])) == NULL)
			goto fail;
		h->hdrs = l;
	}
	/* What the SDKs send; no "Expect: 100-continue" round trip. */
	if ((l = curl_slist_append(h->hdrs, "Accept: application/json")) ==
	    NULL)
		goto fail;
	h->hdrs = l;
	if ((l = curl_slist_append(h->hdrs, "Expect:")) == NULL)
		goto fail;
	h->hdrs = l;
	if (rq->bodylen > 0) {
		if ((l = curl_slist_append(h->hdrs,
		    "Content-Type: application/json")) == NULL)
			goto fail;
		h->hdrs = l;
	}

	SETOPT(CURLOPT_URL, rq->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_PROXY, "");		/* never from the environment */
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PATH_AS_IS, 1L);		/* the path signed is sent */
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (http_tls(h->easy, rq->ca, rq->calen) != 0) {
		log_warnx("libcurl refuses the TLS options");
		goto fail;
	}
	if (rq->pin != NULL && rq->pin[0] != '\0')
		SETOPT(CURLOPT_PINNEDPUBLICKEY, rq->pin);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)rq->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, (long)rq->timeout_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)NETD_BODY_MAX);
	SETOPT(CURLOPT_WRITEFUNCTION, http_write_cb);
	SETOPT(CURLOPT_WRITEDATA, h);
	SETOPT(CURLOPT_HEADERFUNCTION, http_header_cb);
	SETOPT(CURLOPT_HEADERDATA, h);
	SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
	SETOPT(CURLOPT_USERAGENT, "clobvault-netd");
	SETOPT(CURLOPT_HTTPHEADER, h->hdrs);
	/*
	 * libcurl sends a request again by itself when a reused connection
	 * dies before any answer, whatever the method: a POST or DELETE
	 * gets a connection of its own, so that it goes out once.
	 */
	if (strcmp(rq->method, "GET") != 0)
		SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(rq->method, "GET") == 0)
		SETOPT(CURLOPT_HTTPGET, 1L);
	else if (strcmp(rq->method, "POST") == 0) {
		SETOPT(CURLOPT_POST, 1L);
		SETOPT(CURLOPT_POSTFIELDSIZE, (long)rq->bodylen);
		SETOPT(CURLOPT_POSTFIELDS, rq->bodylen > 0 ?
		    (const char *)rq->body : "");
	} else if (strcmp(rq->method, "DELETE") == 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, "DELETE");
	else
		goto fail;
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK)
		goto fail;
	h->busy = 1;
	return 0;
 fail:
	http_clear(h);
	return CV_ERR_INTERNAL;
}

/*
 * curl_multi_poll is the loop's one poll(2): libcurl's own sockets for
 * the call and, as extra descriptors, the channel and the gateway's.
 * With no call in flight libcurl watches nothing, and the set goes to
 * poll(2) as it is, without the copy and the wake-up pipe libcurl adds
 * on each turn; revents as libcurl reports them: IN and OUT.
 */
void
http_wait(struct netd_http *h, struct pollfd *fds, size_t nfds,
    int timeout_ms)
{
	struct curl_waitfd	 one, *w = &one;
	CURLMcode		 mc;
	size_t			 i;
	int			 n;

	if (!h->busy) {
		if ((n = poll(fds, (nfds_t)nfds, timeout_ms)) == -1 &&
		    errno != EINTR)
			fatal("poll");
		for (i = 0; i < nfds; i++)
			fds[i].revents = n > 0 ? fds[i].revents &
			    (POLLIN | POLLOUT) : 0;
		return;
	}
	if (nfds > 1 && (w = calloc(nfds, sizeof(*w))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < nfds; i++) {
		w[i].fd = fds[i].fd;
		w[i].events = (fds[i].events & POLLIN ? CURL_WAIT_POLLIN : 0) |
		    (fds[i].events & POLLOUT ? CURL_WAIT_POLLOUT : 0);
		w[i].revents = 0;
	}
	if ((mc = curl_multi_poll(h->multi, w, (unsigned int)nfds,
	    timeout_ms, NULL)) != CURLM_OK)
		fatalx("curl_multi_poll: %s", curl_multi_strerror(mc));
	/* libcurl reports IN, OUT and PRI: HUP and ERR come with IN. */
	for (i = 0; i < nfds; i++)
		fds[i].revents = (w[i].revents & CURL_WAIT_POLLIN ?
		    POLLIN : 0) | (w[i].revents & CURL_WAIT_POLLOUT ?
		    POLLOUT : 0);
	if (w != &one)
		free(w);
}

/* What the finished transfer tells, into h->res. */
static void
http_finish(struct netd_http *h, CURLcode cc)
{
	curl_off_t	ct = 0, pt = 0;
	long		status = 0, oserr = 0;

	h->res.curlcode = (int)cc;
	(void)curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	(void)curl_easy_getinfo(h->easy, CURLINFO_CONNECT_TIME_T, &ct);
	(void)curl_easy_getinfo(h->easy, CURLINFO_PRETRANSFER_TIME_T, &pt);
	(void)curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &oserr);
	h->res.status = cc == CURLE_OK ? status : 0;
	h->res.os_errno = oserr;
	h->res.connected = ct > 0 || pt > 0;
	switch (cc) {
	case CURLE_OK:
		h->res.sent = 1;
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		h->res.sent = 0;	/* nothing went out */
		break;
	default:
		/* Dropped, timed out, refused in the middle: maybe. */
		h->res.sent = pt > 0 || h->res.status != 0;
		break;
	}
	if (cc == CURLE_FILESIZE_EXCEEDED)
		h->res.too_big = 1;
	parse_clean(h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(cc),
	    strnlen(h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(cc),
	    sizeof(h->errbuf)), h->res.errbuf, sizeof(h->res.errbuf),
	    sizeof(h->res.errbuf) - 1);
	h->buf[h->len] = '\0';
	h->res.body = h->buf;
	h->res.len = h->len;
}

const struct http_res *
http_run(struct netd_http *h)
{
	CURLMsg		*cm;
	CURLMcode	 mc;
	int		 running, left;

	if (h->done)
		return &h->res;
	if (!h->busy)
		return NULL;
	if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK)
		fatalx("curl_multi_perform: %s", curl_multi_strerror(mc));
	while ((cm = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (cm->msg != CURLMSG_DONE || cm->easy_handle != h->easy)
			continue;
		http_finish(h, cm->data.result);
		/* The connection stays in the multi handle's cache. */
		(void)curl_multi_remove_handle(h->multi, h->easy);
		h->busy = 0;
		h->done = 1;
		return &h->res;
	}
	return NULL;
}

void
http_clear(struct netd_http *h)
{
	struct curl_slist	*l;
	uint8_t			*nb;

	if (h->busy) {
		(void)curl_multi_remove_handle(h->multi, h->easy);
		h->busy = 0;
	}
	/* The header lines hold a passphrase: wipe before freeing. */
	for (l = h->hdrs; l != NULL; l = l->next)
		sodium_memzero(l->data, strlen(l->data));
	curl_slist_free_all(h->hdrs);
	h->hdrs = NULL;
	sodium_memzero(h->buf, h->len + 1 <= h->cap ? h->len + 1 : h->cap);
	h->len = 0;
	/* back to the small buffer after a large answer */
	if (h->cap > NETD_BODY_START && (nb = sodium_malloc(NETD_BODY_START)) !=
	    NULL) {
		sodium_free(h->buf);
		h->buf = nb;
		h->cap = NETD_BODY_START;
	}
	h->done = 0;
	memset(&h->res, 0, sizeof(h->res));
}
