/*
 * The exchange calls of DESIGN.md section 3 (common/netcall.c names), as
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
#include "netd/netd_call.h"

const struct step_def netd_steps[] = {
	[ST_CREATE] = { "POST", "/auth/api-key", CATALOG_L1, 0 },
	[ST_DERIVE] = { "GET", "/auth/derive-api-key", CATALOG_L1, 0 },
	[ST_KEYS] = { "GET", "/auth/api-keys", CATALOG_L2, 0 },
	[ST_DELETE] = { "DELETE", "/auth/api-key", CATALOG_L2, 1 },
	[ST_CLOSED] = { "GET", "/auth/ban-status/closed-only", CATALOG_L2,
	    0 },
	[ST_BCREATE] = { "POST", "/auth/builder-api-key", CATALOG_L2, 0 },
	[ST_BLIST] = { "GET", "/auth/builder-api-key", CATALOG_L2, 0 },
	[ST_BREVOKE] = { "DELETE", "/auth/builder-api-key", CATALOG_L2, 1 },
	[ST_BALANCE] = { "GET", "/balance-allowance", CATALOG_L2, 0 },
	[ST_BALUPD] = { "GET", "/balance-allowance/update", CATALOG_L2, 0 },
	[ST_NLIST] = { "GET", "/notifications", CATALOG_L2, 0 },
	[ST_NDROP] = { "DELETE", "/notifications", CATALOG_L2, 1 },
	[ST_WAITLIST] = { "POST", "/waitlist", CATALOG_NONE, 1 },
	[ST_TIME] = { "GET", "/time", CATALOG_NONE, 0 },
	[ST_CLOCK] = { "GET", "/time", CATALOG_NONE, 0 },
};

/* The first step of each call (common/netcall.c names). */
static const struct {
	const char	*call;
	enum step	 step;
	int		 or_derive;
} call_steps[] = {
	{ "apikey.create", ST_CREATE, 0 },
	{ "apikey.derive", ST_DERIVE, 0 },
	{ "apikey.create-or-derive", ST_CREATE, 1 },
	{ "apikey.list", ST_KEYS, 0 },
	{ "apikey.delete", ST_DELETE, 0 },
	{ "closed-only", ST_CLOSED, 0 },
	{ "builder.create", ST_BCREATE, 0 },
	{ "builder.list", ST_BLIST, 0 },
	{ "builder.revoke", ST_BREVOKE, 0 },
	{ "balance", ST_BALANCE, 0 },
	{ "balance.update", ST_BALUPD, 0 },
	{ "notifications.list", ST_NLIST, 0 },
	{ "notifications.drop", ST_NDROP, 0 },
	{ "waitlist.join", ST_WAITLIST, 0 },
	{ "time", ST_TIME, 0 },
};

static void	call_issue(struct netd *);

const char *
call_param(const struct netd_call *cl, const char *name)
{
	size_t	i;

	for (i = 0; i < cl->nparams; i++)
		if (strcmp(cl->pname[i], name) == 0)
			return cl->pvalue[i];
	return NULL;
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
	struct answer	a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	if ((a.result = json_pack("{s:s}", "error", err)) == NULL ||
	    (hint != NULL && hint[0] != '\0' &&
	    json_object_set_new(a.result, "hint", json_string(hint)) != 0))
		fatalx("out of memory");
	call_answer(nd, &a);
}

/* Values vaultd checked already; checked again, with their meaning. */
static int
param_check(struct netd *nd, const char *name, const char *v)
{
	uint64_t	u;
	size_t		i, n = strlen(v);

	if (strcmp(name, "nonce") == 0) {
		if (parse_u64(v, &u) != 0)
			return CV_ERR_INVALID;
		nd->call->nonce = u;
	} else if (strcmp(name, "builder_id") == 0) {
		for (i = 0; i < n; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
			    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
			    v[i] == '-' || v[i] == '_' || v[i] == '.'))
				return CV_ERR_INVALID;
		if (n > VAULT_MAX_NAME)
			return CV_ERR_INVALID;
	} else if (strcmp(name, "key") == 0) {
		if (!vault_fmt_name_valid(v, n))
			return CV_ERR_INVALID;
	} else if (strcmp(name, "asset_type") == 0) {
		if (strcmp(v, "COLLATERAL") != 0 &&
		    strcmp(v, "CONDITIONAL") != 0)
			return CV_ERR_INVALID;
	} else if (strcmp(name, "token_id") == 0) {
		if (n > 78)
			return CV_ERR_INVALID;
		for (i = 0; i < n; i++)
			if (v[i] < '0' || v[i] > '9')
				return CV_ERR_INVALID;
	} else if (strcmp(name, "signature_type") == 0) {
		if (n != 1 || v[0] < '0' || v[0] > '2')
			return CV_ERR_INVALID;
	} else if (strcmp(name, "ids") == 0) {
		/* 1,2,3: decimal ids, comma-separated */
		for (i = 0; i < n; i++)
			if (!((v[i] >= '0' && v[i] <= '9') || (v[i] == ',' &&
			    i > 0 && i + 1 < n && v[i + 1] != ',')))
				return CV_ERR_INVALID;
	} else if (strcmp(name, "email") == 0) {
		if (strchr(v, '@') == NULL)
			return CV_ERR_INVALID;
	} else
		return CV_ERR_INVALID;
	return 0;
}

static const char *
param_meaning(const char *name)
{
	if (strcmp(name, "nonce") == 0)
		return "a decimal number below 2^64";
	if (strcmp(name, "builder_id") == 0)
		return "1-64 of A-Z a-z 0-9 - _ .";
	if (strcmp(name, "key") == 0)
		return "a key id";
	if (strcmp(name, "asset_type") == 0)
		return "COLLATERAL or CONDITIONAL";
	if (strcmp(name, "token_id") == 0)
		return "a decimal token id";
	if (strcmp(name, "signature_type") == 0)
		return "0, 1 or 2";
	if (strcmp(name, "ids") == 0)
		return "decimal ids separated by commas";
	if (strcmp(name, "email") == 0)
		return "an email address";
	return "?";
}

/*
 * The base URL: http or https, a host, no user, query or fragment.
 * Fills cl->base (no trailing '/') and cl->hostport for messages.
 */
static int
url_check(struct netd_call *cl, const char *url)
{
	CURLU		*u;
	char		*scheme = NULL, *host = NULL, *port = NULL, *x = NULL;
	size_t		 n;
	int		 r = CV_ERR_INVALID;

	if ((u = curl_url()) == NULL)
		return CV_ERR_NOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0' || strlen(host) > 255 ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &x, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_QUERY, &x, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &x, 0) == CURLUE_OK)
		goto out;
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	memcpy(cl->base, url, n);
	cl->base[n] = '\0';
	snprintf(cl->hostport, sizeof(cl->hostport), "%s:%s", host, port);
	r = 0;
 out:
	curl_free(x);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return r;
}

/* A curl public key pin: "sha256//" base64, ';'-separated. */
static int
pin_check(const char *pin)
{
	size_t	i;

	if (pin[0] == '\0')
		return 0;
	if (strncmp(pin, "sha256//", 8) != 0)
		return CV_ERR_INVALID;
	for (i = 8; pin[i] != '\0'; i++)
		if (!((pin[i] >= 'a' && pin[i] <= 'z') ||
		    (pin[i] >= 'A' && pin[i] <= 'Z') ||
		    (pin[i] >= '0' && pin[i] <= '9') || pin[i] == '+' ||
		    pin[i] == '/' || pin[i] == '=' || pin[i] == ';'))
			return CV_ERR_INVALID;
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
	size_t			 len, i, j;
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
		    (r = msg_get_strbuf(&pair, cl->pname[i],
		    sizeof(cl->pname[i]))) != 0 ||
		    (r = msg_get_str(&pair, &s, &len,
		    NETCALL_VALUE_MAX)) != 0)
			fatalx("%s: parameters: %s", msg_name(m->type),
			    cv_strerror(r != 0 ? r : CV_ERR_MSG_COUNT));
		memcpy(cl->pvalue[i], s, len);
		cl->pvalue[i][len] = '\0';
		cl->nparams = i + 1;
	}
	if ((r = msg_get_bin(&m->rd, &b, &len, BOX_PK_LEN)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
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
	if (cl->prof->auth != PROFILE_AUTH_CLOB) {
		snprintf(why, whylen, "%s is not an Openfish or Polymarket "
		    "account", cl->account);
		return CV_ERR_INVALID;
	}
	if (url_check(cl, url) != 0) {
		snprintf(why, whylen, "bad exchange URL (http or https, a "
		    "host, no user, query or fragment)");
		return CV_ERR_INVALID;
	}
	if (pin_check(cl->pin) != 0) {
		snprintf(why, whylen, "bad public key pin (sha256//base64)");
		return CV_ERR_INVALID;
	}
	for (i = 0; i < cl->nparams; i++) {
		if (!netcall_takes(cl->nc, cl->pname[i])) {
			snprintf(why, whylen, "%s takes no parameter %s",
			    cl->nc->name, cl->pname[i]);
			return CV_ERR_INVALID;
		}
		for (j = 0; j < i; j++)
			if (strcmp(cl->pname[i], cl->pname[j]) == 0) {
				snprintf(why, whylen, "parameter %s given "
				    "twice", cl->pname[i]);
				return CV_ERR_INVALID;
			}
		if (!netcall_value_ok(cl->pvalue[i], strlen(cl->pvalue[i])) ||
		    param_check(nd, cl->pname[i], cl->pvalue[i]) != 0) {
			snprintf(why, whylen, "%s must be %s", cl->pname[i],
			    param_meaning(cl->pname[i]));
			return CV_ERR_INVALID;
		}
	}
	return 0;
}

void
call_req(struct netd *nd, struct msg *m)
{
	struct netd_call	*cl;
	char			 why[NETD_ERR_MAX + 1];
	size_t			 i;
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
	for (i = 0; i < sizeof(call_steps) / sizeof(call_steps[0]); i++)
		if (strcmp(call_steps[i].call, cl->nc->name) == 0)
			break;
	if (i == sizeof(call_steps) / sizeof(call_steps[0])) {
		call_fail(nd, CV_ERR_INVALID, "netd cannot make call %s",
		    cl->nc->name);
		return;
	}
	cl->step = call_steps[i].step;
	cl->or_derive = call_steps[i].or_derive;
	if (cl->step == ST_BCREATE && call_param(cl, "builder_id") == NULL) {
		call_fail(nd, CV_ERR_INVALID, "builder.create needs "
		    "builder_id");
		return;
	}
	if (cl->step == ST_BREVOKE && call_param(cl, "key") == NULL) {
		call_fail(nd, CV_ERR_INVALID, "builder.revoke needs key");
		return;
	}
	if (cl->step == ST_WAITLIST && call_param(cl, "email") == NULL) {
		call_fail(nd, CV_ERR_INVALID, "waitlist.join needs email");
		return;
	}
	if (cl->nc->changes && !cl->has_box && (cl->step == ST_CREATE ||
	    cl->step == ST_DERIVE || cl->step == ST_BCREATE)) {
		call_fail(nd, CV_ERR_INVALID, "%s needs signerd's box key",
		    cl->nc->name);
		return;
	}
	log_debug("call %s for %s at %s", cl->nc->name, cl->account,
	    cl->hostport);
	call_issue(nd);
}

/* Append s to the string in dst of size len; CV_ERR_TOOLONG if no room. */
static int
append(char *dst, size_t len, const char *s)
{
	size_t	d = strlen(dst), n = strlen(s);

	if (n >= len - d)
		return CV_ERR_TOOLONG;
	memcpy(dst + d, s, n + 1);
	return 0;
}

/* Append "?name=value&..." for the parameters named, in that order. */
static int
query_add(const struct netd_call *cl, char *path, size_t len,
    const char *const *names)
{
	const char	*v;
	size_t		 i;
	int		 first = 1, r;

	for (i = 0; names[i] != NULL; i++) {
		if ((v = call_param(cl, names[i])) == NULL)
			continue;
		if (append(path, len, first ? "?" : "&") != 0 ||
		    append(path, len, names[i]) != 0 ||
		    append(path, len, "=") != 0)
			return CV_ERR_TOOLONG;
		if ((r = parse_urlencode(v, path, len)) != 0)
			return r;
		first = 0;
	}
	return 0;
}

/* Method, path?query and body of the current step. */
static int
call_build(struct netd_call *cl)
{
	static const char *const balance_q[] = { "asset_type", "token_id",
	    "signature_type", NULL };
	static const char *const sigtype_q[] = { "signature_type", NULL };
	static const char *const ids_q[] = { "ids", NULL };
	json_t		*b = NULL;
	char		*text;
	int		 r = 0;

	snprintf(cl->path, sizeof(cl->path), "%s", netd_steps[cl->step].path);
	cl->bodylen = 0;
	switch (cl->step) {
	case ST_BALANCE:
	case ST_BALUPD:
		r = query_add(cl, cl->path, sizeof(cl->path), balance_q);
		break;
	case ST_NLIST:
		r = query_add(cl, cl->path, sizeof(cl->path), sigtype_q);
		break;
	case ST_NDROP:
		r = query_add(cl, cl->path, sizeof(cl->path), ids_q);
		break;
	case ST_BREVOKE:
		/* The exchange's name for our "key" parameter. */
		if ((r = append(cl->path, sizeof(cl->path), "?apiKey=")) == 0)
			r = parse_urlencode(call_param(cl, "key"), cl->path,
			    sizeof(cl->path));
		break;
	case ST_BCREATE:
		b = json_pack("{s:s}", "builderId",
		    call_param(cl, "builder_id"));
		break;
	case ST_WAITLIST:
		b = json_pack("{s:s}", "email", call_param(cl, "email"));
		break;
	default:
		break;
	}
	if (r != 0)
		return r;
	if (b != NULL) {
		/* The exact bytes signed are the bytes sent. */
		text = json_dumps(b, JSON_COMPACT);
		json_decref(b);
		if (text == NULL)
			return CV_ERR_NOMEM;
		if (strlen(text) > NETD_REQBODY_MAX) {
			netd_mem_free(text);
			return CV_ERR_TOOLONG;
		}
		cl->bodylen = strlen(text);
		memcpy(cl->body, text, cl->bodylen + 1);
		netd_mem_free(text);
	}
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
	int			 r;

	memset(&rq, 0, sizeof(rq));
	rq.method = netd_steps[cl->step].method;
	rq.url = cl->url;
	rq.body = (const uint8_t *)cl->body;
	rq.bodylen = cl->bodylen;
	rq.hdrs = (const char *const *)cl->hdrs;
	rq.ca = cl->calen > 0 ? cl->ca : nd->sysca;
	rq.calen = cl->calen > 0 ? cl->calen : nd->syscalen;
	rq.pin = cl->pin;
	rq.timeout = nd->timeout;
	rq.connect_timeout = nd->connect_timeout;
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
	msg_put_u64(&w, (uint64_t)netd_steps[cl->step].level);
	msg_put_str(&w, netd_steps[cl->step].method);
	msg_put_str(&w, cl->path);
	msg_put_bin(&w, cl->body, cl->bodylen);
	msg_put_u64(&w, netd_steps[cl->step].level == CATALOG_L1 ?
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
	if (netd_steps[cl->step].level == CATALOG_NONE)
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
	size_t	i, plen = strlen(cl->prof->hdr_prefix);

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
	size_t	plen = strlen(cl->prof->hdr_prefix), nlen = strlen(name);

	return strncmp(line, cl->prof->hdr_prefix, plen) == 0 &&
	    strncmp(line + plen, name, nlen) == 0 &&
	    strncmp(line + plen + nlen, ": ", 2) == 0;
}

void
call_sign_ans(struct netd *nd, struct msg *m)
{
	struct netd_call	*cl = nd->call;
	struct msg_rd		 list, pair;
	const char		*n, *v;
	size_t			 nl, vl, i;
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
	call_http(nd);
}

/* Wait, then issue the step again (signed steps get new headers). */
static void
call_retry(struct netd *nd, int delay_ms, const char *why)
{
	struct netd_call	*cl = nd->call;

	log_info("%s %s: %s; again in %d ms", netd_steps[cl->step].method,
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

/* The request of the current step is over. */
static void
call_done(struct netd *nd, const struct http_res *res)
{
	struct netd_call	*cl = nd->call;
	const struct step_def	*sd = &netd_steps[cl->step];
	int			 get = strcmp(sd->method, "GET") == 0;
	int			 delay;
	char			 why[64];

	cl->wait = W_NONE;
	if (res->too_big) {
		if (cl->step == ST_CLOCK) {
			answer_clock(nd, 0);
			return;
		}
		snprintf(why, sizeof(why), "is over %d bytes", NETD_BODY_MAX);
		answer_malformed(nd, why);
		return;
	}
	if (res->curlcode != CURLE_OK) {
		if (cl->step == ST_CLOCK) {
			answer_clock(nd, 0);
			return;
		}
		if (get && cl->retries < NETD_RETRIES &&
		    answer_transient(res->curlcode)) {
			cl->retries++;
			call_retry(nd, backoff(cl), res->errbuf);
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
		cl->retries++;
		delay = backoff(cl);
		if (res->retry_after >= 0)
			delay = res->retry_after > NETD_RETRY_AFTER_MAX ?
			    NETD_RETRY_AFTER_MAX * 1000 :
			    (res->retry_after * 1000 > delay ?
			    res->retry_after * 1000 : delay);
		snprintf(why, sizeof(why), "HTTP %ld", res->status);
		call_retry(nd, delay, why);
		return;
	}
	/* A key this netd just stored may not have reached every server. */
	if (res->status == 401 && sd->level == CATALOG_L2 &&
	    fresh_is(nd, cl->account)) {
		if (cl->first401_ms == 0)
			cl->first401_ms = netd_now_ms();
		if (netd_now_ms() - cl->first401_ms < NETD_PROPAGATION_MS) {
			call_retry(nd, backoff(cl), "HTTP 401 on a new key");
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
