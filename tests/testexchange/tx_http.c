/*
 * HTTP(S) with libmicrohttpd: one thread per connection, every request
 * collected whole (target exactly as received, headers, body up to
 * TX_BODY_MAX), passed through the fault gate, handled under tx->lock,
 * logged, answered.  The request target comes from MHD's URI log
 * callback, before MHD splits or unescapes anything, because an HMAC
 * must be checked over the bytes the client actually sent.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>
#include <sodium.h>

#include "common/log.h"
#include "tests/testexchange/tx.h"

#define ADMIN_PREFIX	"/__tx/"

struct tx_server {
	struct MHD_Daemon	*d;
};

/* Per request, from the URI log callback to the completion callback. */
struct conn {
	char		*target;
	uint8_t		*body;
	size_t		 len, cap;
	int		 started;
	int		 too_big;
	int		 too_long;
};

struct hdr_walk {
	struct tx_req	*req;
	int		 overflow;
};

static void		*uri_cb(void *, const char *, struct MHD_Connection *);
static void		 done_cb(void *, struct MHD_Connection *, void **,
			    enum MHD_RequestTerminationCode);
static enum MHD_Result	 hdr_cb(void *, enum MHD_ValueKind, const char *,
			    const char *);
static enum MHD_Result	 handler(void *, struct MHD_Connection *,
			    const char *, const char *, const char *,
			    const char *, size_t *, void **);
static int		 body_append(struct conn *, const char *, size_t);
static void		 process(struct tx *, struct conn *, struct tx_req *,
			    struct tx_resp *);
static int		 query_next(const char **, const char **, size_t *,
			    const char **, size_t *);
static int		 hexval(char);
static int		 pct_decode(const char *, size_t, char *, size_t)
			    CV_WUR;
static void		 sleep_ms(int64_t);
static void		 body_free(void *);

/* Response bodies carry issued secrets: wiped when MHD is done. */
static void
body_free(void *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, strlen(p));
	free(p);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec	ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1)
		;
}

const char *
tx_hdr(const struct tx_req *req, const char *name)
{
	const char	*v = NULL;
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < req->nhdrs; i++) {
		if (strcasecmp(req->hdrs[i].name, name) == 0) {
			v = req->hdrs[i].value;
			n++;
		}
	}
	return n == 1 ? v : NULL;
}

const char *
tx_phdr(const struct tx_req *req, const char *prefix, const char *name)
{
	char	buf[128];

	if ((size_t)snprintf(buf, sizeof(buf), "%s%s", prefix, name) >=
	    sizeof(buf))
		return NULL;
	return tx_hdr(req, buf);
}

/*
 * The next "name=value" piece of a query; 0 at the end.  A piece
 * without '=' has an empty value.
 */
static int
query_next(const char **q, const char **name, size_t *namelen,
    const char **val, size_t *vallen)
{
	const char	*p = *q, *amp, *eq;

	if (p == NULL || *p == '\0')
		return 0;
	amp = strchr(p, '&');
	if (amp == NULL)
		amp = p + strlen(p);
	eq = memchr(p, '=', (size_t)(amp - p));
	*name = p;
	if (eq != NULL) {
		*namelen = (size_t)(eq - p);
		*val = eq + 1;
		*vallen = (size_t)(amp - eq - 1);
	} else {
		*namelen = (size_t)(amp - p);
		*val = amp;
		*vallen = 0;
	}
	*q = *amp == '&' ? amp + 1 : amp;
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form decoding: %XX and '+' for a space; a NUL is refused. */
static int
pct_decode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;
	char	c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (c == '%') {
			if (len - i < 3)
				return CV_ERR_DECODE;
			hi = hexval(in[i + 1]);
			lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return CV_ERR_DECODE;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+')
			c = ' ';
		if (o + 1 >= outlen)
			return CV_ERR_TOOLONG;
		out[o++] = c;
	}
	if (outlen == 0)
		return CV_ERR_TOOLONG;
	out[o] = '\0';
	return 0;
}

int
tx_query_get(const struct tx_req *req, const char *name, char *out,
    size_t outlen)
{
	const char	*q = req->query, *n, *v;
	char		 key[64];
	size_t		 nl, vl;
	int		 found = 0, r;

	if (outlen > 0)
		out[0] = '\0';
	while (query_next(&q, &n, &nl, &v, &vl)) {
		if (pct_decode(n, nl, key, sizeof(key)) != 0 ||
		    strcmp(key, name) != 0)
			continue;
		if (found++)
			return CV_ERR_EXISTS;
		if ((r = pct_decode(v, vl, out, outlen)) != 0)
			return r;
	}
	return found ? 0 : CV_ERR_NOTFOUND;
}

int
tx_query_unknown(const struct tx_req *req, const char *const *known)
{
	const char	*q = req->query, *n, *v;
	char		 key[64];
	size_t		 nl, vl, i;

	while (query_next(&q, &n, &nl, &v, &vl)) {
		if (pct_decode(n, nl, key, sizeof(key)) != 0)
			return 1;
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(key, known[i]) == 0)
				break;
		if (known[i] == NULL)
			return 1;
	}
	return 0;
}

json_t *
tx_body_json(const struct tx_req *req)
{
	if (req->bodylen == 0)
		return NULL;
	return json_loadb((const char *)req->body, req->bodylen,
	    JSON_REJECT_DUPLICATES, NULL);
}

void
tx_resp_free(struct tx_resp *resp)
{
	body_free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

void
tx_resp_json(struct tx_resp *resp, unsigned int status, json_t *steal,
    const char *verdict)
{
	char	*s = NULL;

	tx_resp_free(resp);
	if (steal != NULL)
		/* 15 digits: 0.1 is written "0.1" (tick sizes). */
		s = json_dumps(steal, JSON_COMPACT | JSON_ENCODE_ANY |
		    JSON_REAL_PRECISION(15));
	json_decref(steal);
	if (s == NULL) {
		/* Out of memory: a fixed answer needs no allocation. */
		status = 500;
		verdict = "internal";
		s = strdup("{\"error\":\"internal error\"}");
	}
	resp->status = status;
	resp->body = s;
	resp->len = s != NULL ? strlen(s) : 0;
	resp->ctype = "application/json";
	resp->verdict = verdict;
}

void
tx_resp_err(struct tx_resp *resp, unsigned int status, const char *msg,
    const char *verdict)
{
	tx_resp_json(resp, status, json_pack("{s:s}", "error", msg), verdict);
}

void
tx_resp_oerr(struct tx_resp *resp, unsigned int status, const char *code,
    const char *desc, const char *verdict)
{
	tx_resp_json(resp, status, json_pack("{s:s, s:s}", "code", code,
	    "description", desc), verdict);
}

void
tx_persist(struct tx *tx)
{
	int	r;

	if (tx->state_path == NULL)
		return;
	if ((r = tx_store_save(&tx->st, tx->state_path, tx->prof->name)) != 0)
		log_warnx("cannot save state to %s: %s", tx->state_path,
		    cv_strerror(r));
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (strlen(uri) > TX_TARGET_MAX) {
		c->too_long = 1;
		c->target = strdup("");
	} else
		c->target = strdup(uri);
	if (c->target == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void
done_cb(void *cls, struct MHD_Connection *con, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct conn	*c = *ctx;

	if (c == NULL)
		return;
	free(c->target);
	if (c->body != NULL) {
		/* Bodies carry Omnia secrets on their way to /v3/auth/token. */
		sodium_memzero(c->body, c->cap);
		free(c->body);
	}
	free(c);
	*ctx = NULL;
}

static enum MHD_Result
hdr_cb(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct hdr_walk	*w = cls;

	if (w->req->nhdrs == TX_HDR_MAX) {
		w->overflow = 1;
		return MHD_NO;
	}
	w->req->hdrs[w->req->nhdrs].name = key;
	w->req->hdrs[w->req->nhdrs].value = value != NULL ? value : "";
	w->req->nhdrs++;
	return MHD_YES;
}

static int
body_append(struct conn *c, const char *data, size_t len)
{
	uint8_t	*nb;
	size_t	 ncap;

	if (c->too_big || len > TX_BODY_MAX - c->len) {
		c->too_big = 1;
		return 0;
	}
	if (c->len + len > c->cap) {
		ncap = c->cap == 0 ? 1024 : c->cap;
		while (ncap < c->len + len)
			ncap *= 2;
		/* Grown by hand so the old copy can be wiped. */
		if ((nb = malloc(ncap)) == NULL)
			return CV_ERR_NOMEM;
		if (c->body != NULL) {
			memcpy(nb, c->body, c->len);
			sodium_memzero(c->body, c->cap);
			free(c->body);
		}
		c->body = nb;
		c->cap = ncap;
	}
	memcpy(c->body + c->len, data, len);
	c->len += len;
	return 0;
}

/* Requests that reach the handlers are whole and within bounds. */
static void
process(struct tx *tx, struct conn *c, struct tx_req *req,
    struct tx_resp *resp)
{
	if (c->too_long) {
		tx_resp_err(resp, 414, "request target too long",
		    "bad-request");
		return;
	}
	if (c->too_big) {
		tx_resp_err(resp, 413, "request body too large", "bad-request");
		return;
	}
	if (req->target[0] != '/') {
		tx_resp_err(resp, 400, "bad request target", "bad-request");
		return;
	}
	if (strncmp(req->path, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0) {
		if (tx->admin)
			tx_admin_handle(tx, req, resp);
		else
			tx_resp_err(resp, 404, "not found", "not-found");
		return;
	}
	if (tx->kind == TX_OMNIA)
		tx_omnia_handle(tx, req, resp);
	else
		tx_clob_handle(tx, req, resp);
	/* Every path answers; one that did not is a bug, not a hang-up. */
	if (resp->status == 0)
		tx_resp_err(resp, 500, "internal error", "internal");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upsize, void **ctx)
{
	struct tx		*tx = cls;
	struct conn		*c = *ctx;
	struct tx_req		 req;
	struct tx_resp		 resp;
	struct hdr_walk		 w;
	struct MHD_Response	*mr;
	enum MHD_Result		 ret = MHD_NO;
	int64_t			 latency = 0;
	char			 ra[16];
	int			 admin;

	if (c == NULL)
		return MHD_NO;
	if (!c->started) {
		c->started = 1;
		return MHD_YES;
	}
	if (*upsize > 0) {
		if (body_append(c, upload, *upsize) != 0)
			return MHD_NO;
		*upsize = 0;
		return MHD_YES;
	}

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = method;
	req.target = c->target;
	req.body = c->body;
	req.bodylen = c->len;
	if ((req.path = strndup(c->target, strcspn(c->target, "?"))) == NULL)
		return MHD_NO;
	if (c->target[strlen(req.path)] == '?')
		req.query = c->target + strlen(req.path) + 1;
	w.req = &req;
	w.overflow = 0;
	MHD_get_connection_values(con, MHD_HEADER_KIND, hdr_cb, &w);
	admin = strncmp(req.path, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) == 0;

	pthread_mutex_lock(&tx->lock);
	if (!admin && tx_fault_gate(tx, tx_now_ms(tx), &resp, &latency)) {
		tx_log_add(&tx->log, tx_now_ms(tx), method, c->target,
		    resp.status, resp.verdict, 0);
		pthread_mutex_unlock(&tx->lock);
		if (resp.drop)
			goto out;
		goto send;
	}
	pthread_mutex_unlock(&tx->lock);

	/* Latency comes before the handler, as on a slow network. */
	sleep_ms(latency);

	pthread_mutex_lock(&tx->lock);
	req.now_ms = tx_now_ms(tx);
	req.now = req.now_ms / 1000;
	if (w.overflow)
		tx_resp_err(&resp, 431, "too many headers", "bad-request");
	else
		process(tx, c, &req, &resp);
	if (!admin && tx->fault.lose_next > 0) {
		tx->fault.lose_next--;
		resp.drop = 1;
		resp.verdict = "fault:lost-answer";
	}
	tx_log_add(&tx->log, req.now_ms, method, c->target, resp.status,
	    resp.verdict, resp.builder);
	pthread_mutex_unlock(&tx->lock);
	if (resp.drop)		/* done, and the answer lost */
		goto out;

 send:
	if (resp.body == NULL && (resp.body = strdup("")) == NULL)
		goto out;
	if ((mr = MHD_create_response_from_buffer_with_free_callback(resp.len,
	    resp.body, body_free)) == NULL)
		goto out;
	resp.body = NULL;
	if (resp.ctype != NULL &&
	    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp.ctype) != MHD_YES) {
		MHD_destroy_response(mr);
		goto out;
	}
	if (resp.retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", resp.retry_after);
		if (MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER,
		    ra) != MHD_YES) {
			MHD_destroy_response(mr);
			goto out;
		}
	}
	ret = MHD_queue_response(con, resp.status, mr);
	MHD_destroy_response(mr);
 out:
	tx_resp_free(&resp);
	free(req.path);
	return ret;
}

int
tx_http_start(struct tx *tx, int listen_fd, const char *cert_pem,
    const char *key_pem, struct tx_server **out)
{
	struct tx_server	*s = NULL;
	struct MHD_OptionItem	 tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)(uintptr_t)cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)(uintptr_t)key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned int		 flags;
	int			 r = CV_ERR_INTERNAL;

	*out = NULL;
	flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (cert_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			r = CV_ERR_INVALID;
			goto out;
		}
		flags |= MHD_USE_TLS;
	} else
		tls[0].option = MHD_OPTION_END;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, tx,
	    MHD_OPTION_LISTEN_SOCKET, listen_fd,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, tx,
	    MHD_OPTION_NOTIFY_COMPLETED, done_cb, tx,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_ARRAY, tls,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		r = CV_ERR_IO;
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
 out:
	free(s);
	return r;
}

void
tx_http_stop(struct tx_server *s)
{
	if (s == NULL)
		return;
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	free(s);
}
