/*
 * The exchange calls of doc/exchanges.md (common/netcall.c names), as
 * a state machine driven by netd's event loop.  A call is one or more
 * steps (create-or-derive: create, then derive; a refused signature:
 * the step, then GET /time to explain it); a step is one request,
 * retried where that is safe:
 *
 *	issue:	build method, path?query and body; unsigned steps go out,
 *		signed ones ask vaultd for headers (MSG_NET_SIGN_REQ,
 *		answered by MSG_NET_SIGN_ANS or MSG_ERROR_ANS)
 *	http:	libcurl runs the request
 *	done:	retry (GET on a transport error, 5xx or 429; any L2 401
 *		shortly after this netd stored a key), go on to the next
 *		step, or answer vaultd: MSG_NET_CALL_ANS, MSG_ERROR_ANS
 *
 * Each retry of a signed step asks for fresh headers.  A request that
 * changes something (POST, DELETE) is never repeated after it may have
 * reached the exchange.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/log.h"
#include "common/url.h"
#include "netd/netd_call.h"

const struct step_def netd_steps[] = {
	[ST_CREATE] = { EP_CREATE_API_KEY, 0 },
	[ST_DERIVE] = { EP_DERIVE_API_KEY, 0 },
	[ST_KEYS] = { EP_GET_API_KEYS, 0 },
	[ST_DELETE] = { EP_DELETE_API_KEY, 1 },
	[ST_CLOSED] = { EP_CLOSED_ONLY, 0 },
	[ST_BCREATE] = { EP_CREATE_BUILDER_KEY, 0 },
	[ST_BLIST] = { EP_GET_BUILDER_KEYS, 0 },
	[ST_BREVOKE] = { EP_REVOKE_BUILDER_KEY, 1 },
	[ST_BALANCE] = { EP_BALANCE, 0 },
	[ST_BALUPD] = { EP_BALANCE_UPDATE, 0 },
	[ST_NLIST] = { EP_NOTIFICATIONS, 0 },
	[ST_NDROP] = { EP_DROP_NOTIFICATIONS, 1 },
	[ST_WAITLIST] = { EP_WAITLIST, 1 },
	[ST_TIME] = { EP_TIME, 0 },
	[ST_OTOKEN] = { EP_OMNIA_TOKEN, 0 },
	[ST_OKEYS] = { EP_OMNIA_KEYS, 0 },
	[ST_OCREATE] = { EP_OMNIA_CREATE, 0 },
	[ST_OROTATE] = { EP_OMNIA_ROTATE, 0 },
	[ST_CLOCK] = { EP_TIME, 0 },	/* explains a 401: not a call's step */
};

const struct catalog_entry *
step_ep(enum step st)
{
	const struct catalog_entry	*e = catalog_get(netd_steps[st].ep);

	if (e == NULL)
		fatalx("step %d has no catalog row", (int)st);
	return e;
}

/* The step that requests ep first (ST_CLOCK is never a call's step). */
static int
step_of(enum catalog_id ep, enum step *st)
{
	size_t	i;

	for (i = 0; i < ST_CLOCK; i++)
		if (netd_steps[i].ep == ep) {
			*st = (enum step)i;
			return 0;
		}
	return CV_ERR_INVALID;
}

static void	call_issue(struct netd *);

const char *
call_param(const struct netd_call *cl, const char *name)
{
	return netcall_param(&cl->params, name);
}

static void
call_hdrs_free(struct netd_call *cl)
{
	size_t	i;

	for (i = 0; i < NETD_HDR_MAX && cl->hdrs[i] != NULL; i++) {
		sodium_memzero(cl->hdrs[i], strlen(cl->hdrs[i]));
		free(cl->hdrs[i]);
		cl->hdrs[i] = NULL;
	}
}

static void
call_free(struct netd_call *cl)
{
	if (cl == NULL)
		return;
	call_hdrs_free(cl);
	token_keypair_free(cl);
	free(cl->ca);
	sodium_memzero(cl, sizeof(*cl));
	free(cl);
}

/* The call is over: forget it. */
static void
call_end(struct netd *nd)
{
	http_clear(nd->http);
	call_free(nd->call);
	nd->call = NULL;
}

void
call_fail(struct netd *nd, int code, const char *fmt, ...)
{
	struct netd_call	*cl = nd->call;
	char			 text[NETD_ERR_MAX + 1];
	va_list			 ap;
	int			 r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_info("call %s for %s: %s (%s)", cl->nc->name, cl->account,
	    text, cv_strerror(code));
	if ((r = msg_error_ans(&nd->chan, cl->id, code, text)) != 0)
		fatalx("MSG_ERROR_ANS: %s", cv_strerror(r));
	call_end(nd);
}

/* A key was stored for account: its first 401s may be propagation. */
static void
fresh_mark(struct netd *nd, const char *account, int on)
{
	struct netd_fresh	*f, *old = &nd->fresh[0];
	size_t			 i;

	for (i = 0; i < sizeof(nd->fresh) / sizeof(nd->fresh[0]); i++) {
		f = &nd->fresh[i];
		if (strcmp(f->account, account) == 0) {
			f->ms = on ? netd_now_ms() : 0;
			return;
		}
		if (f->ms < old->ms)
			old = f;
	}
	if (on) {
		snprintf(old->account, sizeof(old->account), "%s", account);
		old->ms = netd_now_ms();
	}
}

static int
fresh_is(const struct netd *nd, const char *account)
{
	size_t	i;

	for (i = 0; i < sizeof(nd->fresh) / sizeof(nd->fresh[0]); i++)
		if (nd->fresh[i].ms != 0 &&
		    strcmp(nd->fresh[i].account, account) == 0)
			return netd_now_ms() - nd->fresh[i].ms <
			    NETD_FRESH_MS;
	return 0;
}

void
call_answer(struct netd *nd, struct answer *a)
{
	struct netd_call	*cl = nd->call;
	struct msg_w		 w;
	char			*text;
	int			 r;

	if ((text = json_dumps(a->result, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL)
		fatalx("cannot write the result of %s", cl->nc->name);
	if (strlen(text) > NETD_RESULT_MAX) {
		netd_mem_free(text);
		json_decref(a->result);
		free(a->box);
		call_fail(nd, CV_ERR_RESPONSE, "the answer of %s is too large "
		    "to pass on", cl->hostport);
		return;
	}
	msg_begin(&w, MSG_NET_CALL_ANS, cl->id);
	msg_put_u64(&w, (uint64_t)a->status);
	msg_put_str(&w, text);
	msg_put_u64(&w, a->effect);
	msg_put_u64(&w, a->rectype);
	msg_put_str(&w, a->keyid != NULL ? a->keyid : "");
	msg_put_u64(&w, a->nonce);
	msg_put_bin(&w, a->box, a->boxlen);
	if ((r = chan_queue(&nd->chan, &w)) != 0)
		fatalx("MSG_NET_CALL_ANS: %s", cv_strerror(r));
	log_info("call %s for %s: HTTP %ld%s%s", cl->nc->name, cl->account,
	    a->status, a->effect & NETCALL_STORE ? ", new key " : "",
	    a->effect & NETCALL_STORE ? a->keyid : "");
	if (a->effect & NETCALL_STORE)
		fresh_mark(nd, cl->account, 1);
	if ((a->effect & NETCALL_REMOVE) && a->rectype == VAULT_REC_API_CRED)
		fresh_mark(nd, cl->account, 0);
	netd_mem_free(text);
	json_decref(a->result);
	free(a->box);
	call_end(nd);
}

void
call_answer_error(struct netd *nd, long status, const char *err,
    const char *hint)
{
	call_answer_error_code(nd, status, err, NULL, hint);
}

void
call_answer_error_code(struct netd *nd, long status, const char *err,
    const char *code, const char *hint)
{
	struct answer	a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	if ((a.result = json_pack("{s:s}", "error", err)) == NULL ||
	    (code != NULL && code[0] != '\0' &&
	    json_object_set_new(a.result, "code", json_string(code)) != 0) ||
	    (hint != NULL && hint[0] != '\0' &&
	    json_object_set_new(a.result, "hint", json_string(hint)) != 0))
		fatalx("out of memory");
	call_answer(nd, &a);
}

/*
 * The base URL, by the one rule of common/url.h (vaultd checked it too:
 * we do not rely on that).  Fills cl->base (no trailing '/') and
 * cl->hostport for messages.
 */
static int
url_check(struct netd_call *cl, const char *url)
{
	struct url_parts	p;
	char			why[160];
	size_t			n;
	int			r;

	if ((r = url_parse(url, &p, why, sizeof(why))) != 0) {
		log_warnx("exchange URL refused: %s", why);
		return r;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= sizeof(cl->base))
		return CV_ERR_TOOLONG;
	memcpy(cl->base, url, n);
	cl->base[n] = '\0';
	snprintf(cl->hostport, sizeof(cl->hostport), "%s:%s", p.host, p.port);
	return 0;
}

/*
 * Read MSG_NET_CALL_REQ into a new call.  A field of the wrong type is a
 * broken vaultd (fatal); a value we refuse is answered CV_ERR_INVALID.
 */
static int
call_read(struct netd *nd, struct msg *m, char *why, size_t whylen)
{
	struct netd_call	*cl = nd->call;
	struct msg_rd		 list, pair;
	const char		*s;
	const uint8_t		*b;
	char			 profile[32], call[NETCALL_NAME_MAX + 1];
	char			 url[NETD_URL_MAX + 1];
	uint64_t		 ms;
	size_t			 len, i;
	int			 r;

	if ((r = msg_get_strbuf(&m->rd, cl->account,
	    sizeof(cl->account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, profile, sizeof(profile))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, url, sizeof(url))) != 0 ||
	    (r = msg_get_bin(&m->rd, &b, &len, NETD_CA_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (len > 0) {
		if ((cl->ca = malloc(len)) == NULL)
			fatalx("out of memory");
		memcpy(cl->ca, b, len);
		cl->calen = len;
	}
	if ((r = msg_get_strbuf(&m->rd, cl->pin, sizeof(cl->pin))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, call, sizeof(call))) != 0 ||
	    (r = msg_get_array(&m->rd, &list, PARAM_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &pair, 2)) != 0 ||
		    pair.n != 2 ||
		    (r = msg_get_strbuf(&pair, cl->params.name[i],
		    sizeof(cl->params.name[i]))) != 0 ||
		    (r = msg_get_str(&pair, &s, &len,
		    NETCALL_VALUE_MAX)) != 0)
			fatalx("%s: parameters: %s", msg_name(m->type),
			    cv_strerror(r != 0 ? r : CV_ERR_MSG_COUNT));
		memcpy(cl->params.value[i], s, len);
		cl->params.value[i][len] = '\0';
		cl->params.n = i + 1;
	}
	if ((r = msg_get_bin(&m->rd, &b, &len, BOX_PK_LEN)) != 0 ||
	    (r = msg_get_u64(&m->rd, &ms)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* vaultd gives up on the call at its deadline: end it first */
	if (ms == 0 || ms > NETD_CALL_MAX_MS) {
		snprintf(why, whylen, "the call's time is %llu ms",
		    (unsigned long long)ms);
		return CV_ERR_INVALID;
	}
	cl->deadline_ms = netd_now_ms() + (int64_t)ms -
	    ((int64_t)ms / 10 < NETD_CALL_MARGIN_MS ? (int64_t)ms / 10 :
	    NETD_CALL_MARGIN_MS);
	if (len == BOX_PK_LEN) {
		memcpy(cl->boxpk, b, BOX_PK_LEN);
		cl->has_box = 1;
	} else if (len != 0) {
		snprintf(why, whylen, "the box key is %zu bytes, not %d", len,
		    BOX_PK_LEN);
		return CV_ERR_INVALID;
	}

	if ((cl->nc = netcall_find(call)) == NULL) {
		snprintf(why, whylen, "unknown call %s", call);
		return CV_ERR_INVALID;
	}
	if (!vault_fmt_name_valid(cl->account, strlen(cl->account))) {
		snprintf(why, whylen, "bad account name");
		return CV_ERR_INVALID;
	}
	if ((cl->prof = profile_find(profile)) == NULL) {
		snprintf(why, whylen, "unknown profile %s", profile);
		return CV_ERR_INVALID;
	}
	cl->bearer = cl->prof->auth == PROFILE_AUTH_BEARER;
	if (cl->nc->bearer != cl->bearer &&
	    (cl->nc = netcall_find_for(call, cl->bearer)) == NULL) {
		snprintf(why, whylen, "%s is not a call for %s accounts", call,
		    cl->prof->name);
		return CV_ERR_INVALID;
	}
	if (url_check(cl, url) != 0) {
		snprintf(why, whylen, "bad exchange URL (http or https, a "
		    "host, no user, query or fragment)");
		return CV_ERR_INVALID;
	}
	if (parse_pin(cl->pin) != 0) {
		snprintf(why, whylen, "bad public key pin (sha256//base64)");
		return CV_ERR_INVALID;
	}
	/* vaultd checked them already; checked again, with their meaning */
	if ((r = netcall_check(cl->nc, &cl->params, why, whylen)) != 0)
		return r;
	cl->nonce = netcall_nonce(&cl->params);
	return 0;
}

void
call_req(struct netd *nd, struct msg *m)
{
	struct netd_call	*cl;
	char			 why[NETD_ERR_MAX + 1];
	int			 r;

	if (nd->call != NULL) {
		if ((r = msg_error_ans(&nd->chan, m->id, CV_ERR_AGAIN,
		    "netd is busy with another call: try again")) != 0)
			fatalx("MSG_ERROR_ANS: %s", cv_strerror(r));
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		fatalx("out of memory");
	nd->call = cl;
	cl->id = m->id;
	cl->nc = NULL;
	if ((r = call_read(nd, m, why, sizeof(why))) != 0) {
		if ((r = msg_error_ans(&nd->chan, m->id, r, why)) != 0)
			fatalx("MSG_ERROR_ANS: %s", cv_strerror(r));
		log_info("call refused: %s", why);
		call_end(nd);
		return;
	}
	if (step_of(cl->nc->steps[0], &cl->step) != 0) {
		call_fail(nd, CV_ERR_INVALID, "netd cannot make call %s",
		    cl->nc->name);
		return;
	}
	/* create-or-derive: the second step is the derive */
	cl->or_derive = cl->nc->nsteps > 1 && !cl->bearer;
	/* Omnia: the token first, unless this key's is at hand */
	if (cl->bearer) {
		if (step_of(cl->nc->steps[1], &cl->after_token) != 0) {
			call_fail(nd, CV_ERR_INVALID, "netd cannot make call "
			    "%s", cl->nc->name);
			return;
		}
		if (token_find(nd, cl->account, call_param(cl, "key")) != NULL)
			cl->step = cl->after_token;
	}
	if ((cl->nc->effects & NETCALL_STORE) && !cl->has_box) {
		call_fail(nd, CV_ERR_INVALID, "%s needs signerd's box key",
		    cl->nc->name);
		return;
	}
	log_debug("call %s for %s at %s", cl->nc->name, cl->account,
	    cl->hostport);
	call_issue(nd);
}

/* Method, path?query and body of the current step (common/netcall.c). */
static int
call_build(struct netd_call *cl)
{
	int	r;

	if ((r = netcall_request(netd_steps[cl->step].ep, &cl->params,
	    cl->path, sizeof(cl->path), cl->body, sizeof(cl->body),
	    &cl->bodylen)) != 0)
		return r;
	if ((size_t)snprintf(cl->url, sizeof(cl->url), "%s%s", cl->base,
	    cl->path) >= sizeof(cl->url))
		return CV_ERR_TOOLONG;
	return 0;
}

static void
call_http(struct netd *nd)
{
	struct netd_call	*cl = nd->call;
	struct http_req		 rq;
	int64_t			 left = cl->deadline_ms - netd_now_ms();
	int			 r;

	if (left <= 0) {
		/* a 401 waits for the clock: it is the answer, unexplained */
		if (cl->step == ST_CLOCK)
			answer_clock(nd, 0);
		else
			call_fail(nd, CV_ERR_TIMEOUT, "the call ran out of "
			    "time before %s %s", step_ep(cl->step)->method,
			    cl->path);
		return;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = step_ep(cl->step)->method;
	rq.url = cl->url;
	/* the token request's body is signerd's, opened just now */
	rq.body = cl->step == ST_OTOKEN ? cl->tokbody :
	    (const uint8_t *)cl->body;
	rq.bodylen = cl->step == ST_OTOKEN ? cl->tokbodylen : cl->bodylen;
	rq.hdrs = (const char *const *)cl->hdrs;
	rq.ca = cl->calen > 0 ? cl->ca : NULL;
	rq.calen = cl->calen;
	rq.pin = cl->pin;
	rq.timeout_ms = (int64_t)nd->timeout * 1000;
	rq.connect_timeout_ms = (int64_t)nd->connect_timeout * 1000;
	cl->cut = left < rq.timeout_ms;
	if (cl->cut)
		rq.timeout_ms = left;
	if (left < rq.connect_timeout_ms)
		rq.connect_timeout_ms = left;
	if ((r = http_start(nd->http, &rq)) != 0) {
		call_fail(nd, CV_ERR_INTERNAL, "cannot start the request to "
		    "%s", cl->hostport);
		return;
	}
	log_debug("%s %s", rq.method, cl->path);
	cl->wait = W_HTTP;
}

/* Ask vaultd for the headers of the current step. */
static void
call_sign(struct netd *nd)
{
	struct netd_call	*cl = nd->call;
	struct msg_w		 w;
	int			 r;

	if (++nd->next_id == 0)
		nd->next_id = 1;
	cl->sign_id = nd->next_id;
	msg_begin(&w, MSG_NET_SIGN_REQ, cl->sign_id);
	msg_put_u64(&w, cl->id);
	msg_put_u64(&w, (uint64_t)step_ep(cl->step)->auth);
	msg_put_str(&w, step_ep(cl->step)->method);
	msg_put_str(&w, cl->path);
	msg_put_bin(&w, cl->body, cl->bodylen);
	msg_put_u64(&w, step_ep(cl->step)->auth == CATALOG_L1 ?
	    cl->nonce : 0);
	if ((r = chan_queue(&nd->chan, &w)) != 0)
		fatalx("MSG_NET_SIGN_REQ: %s", cv_strerror(r));
	cl->wait = W_SIGN;
}

static void
call_issue(struct netd *nd)
{
	struct netd_call	*cl = nd->call;
	int			 r;

	call_hdrs_free(cl);
	cl->invite_sent = 0;
	cl->api_key_sent[0] = '\0';
	if ((r = call_build(cl)) != 0) {
		call_fail(nd, CV_ERR_INVALID, "the request is too long");
		return;
	}
	/* a token request's signing body is our one-time box key */
	if (cl->step == ST_OTOKEN) {
		if ((r = token_keypair(cl)) != 0) {
			call_fail(nd, r, "cannot make a box key");
			return;
		}
		memcpy(cl->body, cl->eph_pk, sizeof(cl->eph_pk));
		cl->bodylen = sizeof(cl->eph_pk);
	}
	if (step_ep(cl->step)->auth == CATALOG_NONE)
		call_http(nd);
	else
		call_sign(nd);
}

void
call_next(struct netd *nd, enum step st)
{
	struct netd_call	*cl = nd->call;

	cl->step = st;
	cl->retries = 0;
	cl->backoff_ms = 0;
	cl->first401_ms = 0;
	call_issue(nd);
}

/* A header name of the profile's set: prefix and [A-Z0-9_-]. */
static int
hdr_name_ok(const struct netd_call *cl, const char *n, size_t len)
{
	size_t	i, plen;

	if (cl->prof->hdr_prefix == NULL)
		return 0;	/* a bearer request has no signed header */
	plen = strlen(cl->prof->hdr_prefix);
	if (len <= plen || len > NETD_HDR_NAME_MAX ||
	    memcmp(n, cl->prof->hdr_prefix, plen) != 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' &&
		    n[i] <= '9') || n[i] == '_' || n[i] == '-'))
			return 0;
	return 1;
}

static int
hdr_value_ok(const char *v, size_t len)
{
	size_t	i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return 0;
	return v[0] != ' ' && v[len - 1] != ' ';
}

int
call_hdr_is(const struct netd_call *cl, const char *line, const char *name)
{
	size_t	plen, nlen = strlen(name);

	if (cl->prof->hdr_prefix == NULL)
		return 0;
	plen = strlen(cl->prof->hdr_prefix);
	return strncmp(line, cl->prof->hdr_prefix, plen) == 0 &&
	    strncmp(line + plen, name, nlen) == 0 &&
	    strncmp(line + plen + nlen, ": ", 2) == 0;
}

/*
 * A bearer step was admitted: the token request gets its body (signerd's
 * box, opened); any other step its token.  -1 when the call ended or
 * went to buy a token first.
 */
static int
bearer_ready(struct netd *nd, const uint8_t *box, size_t boxlen)
{
	struct netd_call	*cl = nd->call;
	const struct netd_token	*t;
	char			 why[128];
	size_t			 len;
	int			 r;

	if (cl->step == ST_OTOKEN) {
		if ((r = token_open(cl, box, boxlen, why, sizeof(why))) != 0) {
			call_fail(nd, r, "%s", why);
			return -1;
		}
		return 0;
	}
	if (boxlen != 0)
		fatalx("a sealed body for a bearer request");
	if ((t = token_find(nd, cl->account, call_param(cl, "key"))) == NULL) {
		if (cl->forgotten || cl->reminted) {
			call_fail(nd, CV_ERR_LOCKED, "the bearer token was "
			    "wiped during the call (vault locked or key "
			    "changed): try again");
			return -1;
		}
		/* it expired while the step waited: a new one, once */
		log_info("%s %s: the token expired meanwhile: a new token",
		    step_ep(cl->step)->method, cl->path);
		cl->reminted = 1;
		cl->after_token = cl->step;
		call_next(nd, ST_OTOKEN);
		return -1;
	}
	snprintf(cl->tok_key, sizeof(cl->tok_key), "%s", t->key_id);
	len = strlen("Authorization: Bearer ") + strlen(t->tok) + 1;
	/* wiped when freed (call_hdrs_free), as signed headers are */
	if ((cl->hdrs[0] = malloc(len)) == NULL)
		fatalx("out of memory");
	snprintf(cl->hdrs[0], len, "Authorization: Bearer %s", t->tok);
	return 0;
}

void
call_sign_ans(struct netd *nd, struct msg *m)
{
	struct netd_call	*cl = nd->call;
	struct msg_rd		 list, pair;
	const char		*n, *v;
	const uint8_t		*box;
	size_t			 nl, vl, i, boxlen;
	int64_t			 code;
	char			 text[NETD_TEXT_MAX];
	int			 r;

	if (cl == NULL || cl->wait != W_SIGN || m->id != cl->sign_id)
		fatalx("%s %u out of turn", msg_name(m->type), m->id);
	if (m->type == MSG_ERROR_ANS) {
		if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
		    (r = msg_get_str(&m->rd, &v, &vl, MSG_MAX_STR)) != 0)
			fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
		if (code >= 0 || code < -1000)
			fatalx("%s: bad code %lld", msg_name(m->type),
			    (long long)code);
		/* vaultd's own words: denied, locked, no key... */
		parse_clean(v, vl, text, sizeof(text), sizeof(text) - 1);
		call_fail(nd, (int)code, "%s", text);
		return;
	}
	if ((r = msg_get_array(&m->rd, &list, NETD_HDR_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	call_hdrs_free(cl);
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &pair, 2)) != 0 ||
		    pair.n != 2 ||
		    (r = msg_get_str(&pair, &n, &nl,
		    NETD_HDR_NAME_MAX)) != 0 ||
		    (r = msg_get_str(&pair, &v, &vl,
		    NETD_HDR_VALUE_MAX)) != 0)
			fatalx("%s: %s", msg_name(m->type),
			    cv_strerror(r != 0 ? r : CV_ERR_MSG_COUNT));
		/* Only the profile's own headers: never Host and the like. */
		if (!hdr_name_ok(cl, n, nl) || !hdr_value_ok(v, vl))
			fatalx("%s: header %zu is not one of %s*",
			    msg_name(m->type), i, cl->prof->hdr_prefix);
		if ((cl->hdrs[i] = malloc(nl + 2 + vl + 1)) == NULL)
			fatalx("out of memory");
		memcpy(cl->hdrs[i], n, nl);
		memcpy(cl->hdrs[i] + nl, ": ", 2);
		memcpy(cl->hdrs[i] + nl + 2, v, vl);
		cl->hdrs[i][nl + 2 + vl] = '\0';
		if (call_hdr_is(cl, cl->hdrs[i], "INVITATION_CODE"))
			cl->invite_sent = 1;
		if (call_hdr_is(cl, cl->hdrs[i], "API_KEY") &&
		    vl <= VAULT_MAX_NAME) {
			memcpy(cl->api_key_sent, v, vl);
			cl->api_key_sent[vl] = '\0';
		}
	}
	if ((r = msg_get_bin(&m->rd, &box, &boxlen, 4096)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (cl->bearer) {
		if (bearer_ready(nd, box, boxlen) != 0)
			return;
	} else if (boxlen != 0)
		fatalx("%s: a sealed body for a signed request",
		    msg_name(m->type));
	call_http(nd);
}

/* Wait, then issue the step again (signed steps get new headers). */
static void
call_retry(struct netd *nd, int delay_ms, const char *why)
{
	struct netd_call	*cl = nd->call;

	log_info("%s %s: %s; again in %d ms", step_ep(cl->step)->method,
	    cl->path, why, delay_ms);
	http_clear(nd->http);
	call_hdrs_free(cl);
	cl->timer_ms = netd_now_ms() + delay_ms;
	cl->wait = W_TIMER;
}

/* The next backoff: 250 ms, doubled, at most NETD_BACKOFF_MAX_MS. */
static int
backoff(struct netd_call *cl)
{
	cl->backoff_ms = cl->backoff_ms == 0 ? NETD_BACKOFF_MS :
	    cl->backoff_ms * 2;
	if (cl->backoff_ms > NETD_BACKOFF_MAX_MS)
		cl->backoff_ms = NETD_BACKOFF_MAX_MS;
	return cl->backoff_ms;
}

/* A retry after delay_ms starts before the call's deadline. */
static int
retry_fits(const struct netd_call *cl, int delay_ms)
{
	return netd_now_ms() + delay_ms < cl->deadline_ms;
}

/* The request of the current step is over. */
static void
call_done(struct netd *nd, const struct http_res *res)
{
	struct netd_call	*cl = nd->call;
	const struct catalog_entry *sd = step_ep(cl->step);
	int			 get = strcmp(sd->method, "GET") == 0;
	int			 delay;
	char			 why[64];

	cl->wait = W_NONE;
	if (res->too_big || res->hdrs_too_big) {
		if (cl->step == ST_CLOCK) {
			answer_clock(nd, 0);
			return;
		}
		if (res->hdrs_too_big)
			snprintf(why, sizeof(why), "has over %d bytes of "
			    "headers", NETD_HDRS_MAX);
		else
			snprintf(why, sizeof(why), "is over %d bytes",
			    NETD_BODY_MAX);
		answer_malformed(nd, why);
		return;
	}
	if (res->curlcode != CURLE_OK) {
		if (cl->step == ST_CLOCK) {
			answer_clock(nd, 0);
			return;
		}
		if (get && cl->retries < NETD_RETRIES &&
		    answer_transient(res->curlcode) &&
		    retry_fits(cl, delay = backoff(cl))) {
			cl->retries++;
			call_retry(nd, delay, res->errbuf);
			return;
		}
		answer_transport(nd, res);
		return;
	}
	if (res->status >= 200 && res->status < 300) {
		answer_success(nd, res);
		return;
	}
	if (res->status < 100 || res->status > 599) {
		if (cl->step == ST_CLOCK) {
			answer_clock(nd, 0);
			return;
		}
		call_fail(nd, CV_ERR_RESPONSE, "%s answered %s %s with HTTP "
		    "status %ld", cl->hostport, sd->method, sd->path,
		    res->status);
		return;
	}
	if (cl->step == ST_CLOCK) {
		answer_clock(nd, 0);
		return;
	}
	if (get && cl->retries < NETD_RETRIES &&
	    (res->status == 429 || res->status >= 500)) {
		delay = backoff(cl);
		if (res->retry_after >= 0)
			delay = res->retry_after > NETD_RETRY_AFTER_MAX ?
			    NETD_RETRY_AFTER_MAX * 1000 :
			    (res->retry_after * 1000 > delay ?
			    res->retry_after * 1000 : delay);
		if (retry_fits(cl, delay)) {
			cl->retries++;
			snprintf(why, sizeof(why), "HTTP %ld", res->status);
			call_retry(nd, delay, why);
			return;
		}
	}
	/* A key this netd just stored may not have reached every server. */
	if (res->status == 401 && sd->auth == CATALOG_L2 &&
	    fresh_is(nd, cl->account)) {
		if (cl->first401_ms == 0)
			cl->first401_ms = netd_now_ms();
		if (netd_now_ms() - cl->first401_ms < NETD_PROPAGATION_MS &&
		    retry_fits(cl, delay = backoff(cl))) {
			call_retry(nd, delay, "HTTP 401 on a new key");
			return;
		}
	}
	answer_refusal(nd, res);
}

void
call_run(struct netd *nd)
{
	const struct http_res	*res;
	struct netd_call	*cl = nd->call;

	if (cl == NULL)
		return;
	if (cl->wait == W_HTTP) {
		if ((res = http_run(nd->http)) != NULL)
			call_done(nd, res);
	} else if (cl->wait == W_TIMER && netd_now_ms() >= cl->timer_ms)
		call_issue(nd);
}

int
call_timeout(const struct netd *nd)
{
	int64_t	d;

	if (nd->call == NULL || nd->call->wait != W_TIMER)
		return 1000;
	d = nd->call->timer_ms - netd_now_ms();
	return d < 0 ? 0 : d > 1000 ? 1000 : (int)d;
}
