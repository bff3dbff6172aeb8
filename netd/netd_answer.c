/*
 * What the exchange's answers mean (doc/exchanges.md): a 2xx is read
 * tolerantly into the result vaultd gets (a new credential sealed to
 * signerd's box key, never in the result); a refusal becomes
 * {"error", "hint"} -- after GET /time when a signature was refused, to
 * tell a wrong clock; a transport failure becomes CV_ERR_TRANSPORT with
 * what to do when a request that changes something may have arrived.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "common/log.h"
#include "netd/netd_call.h"

#define INVITE_HINT	"the invitation code is missing, invalid or expired: " \
			"get a new one from the exchange, then `vaultctl " \
			"invite set --account %s`"

/*
 * What may have happened when a request that changes something was lost
 * after it went out; "" when nothing can have.
 */
static void
maybe_text(const struct netd_call *cl, char *buf, size_t len)
{
	buf[0] = '\0';
	switch (cl->step) {
	case ST_CREATE:
		snprintf(buf, len, "the API key may have been created: run "
		    "`vaultctl apikey derive --account %s --nonce %llu`",
		    cl->account, (unsigned long long)cl->nonce);
		break;
	case ST_DELETE:
		snprintf(buf, len, "the API key may have been deleted: run "
		    "`vaultctl apikey list --account %s`", cl->account);
		break;
	case ST_BCREATE:
		snprintf(buf, len, "the builder key may have been created: run "
		    "`vaultctl builder list --account %s`", cl->account);
		break;
	case ST_BREVOKE:
		snprintf(buf, len, "the builder key may have been revoked: run "
		    "`vaultctl builder list --account %s`", cl->account);
		break;
	case ST_NDROP:
		snprintf(buf, len, "the notifications may have been dropped: "
		    "run `vaultctl notifications list --account %s`",
		    cl->account);
		break;
	case ST_WAITLIST:
		snprintf(buf, len, "the exchange may have taken the address "
		    "on its waitlist");
		break;
	case ST_OCREATE:
		snprintf(buf, len, "the API key may have been created, its "
		    "secret unknown to the vault: run `vaultctl apikey list "
		    "--account %s`", cl->account);
		break;
	case ST_OROTATE:
		/* a key is rotated with its own secret: only a new key helps */
		snprintf(buf, len, "the key may have been rotated, its new "
		    "secret unknown to the vault: if its calls are refused, "
		    "make a replacement with another key (apikey use, apikey "
		    "create) or import one");
		break;
	default:
		break;
	}
}

/*
 * A 2xx answer that cannot be read: why says what is wrong, never what
 * it holds.  A request that changes something did arrive: say so.
 */
void
answer_malformed(struct netd *nd, const char *why)
{
	struct netd_call	*cl = nd->call;
	const struct catalog_entry *sd = step_ep(cl->step);
	char			 maybe[NETD_TEXT_MAX];

	maybe_text(cl, maybe, sizeof(maybe));
	if (maybe[0] != '\0')
		call_fail(nd, CV_ERR_RESPONSE, "the answer of %s to %s %s %s: "
		    "%s", cl->hostport, sd->method, sd->path, why, maybe);
	else
		call_fail(nd, CV_ERR_RESPONSE, "the answer of %s to %s %s %s",
		    cl->hostport, sd->method, sd->path, why);
}

/* The transport failure in words, with what to do when it may matter. */
void
answer_transport(struct netd *nd, const struct http_res *res)
{
	struct netd_call	*cl = nd->call;
	char			 what[NETD_TEXT_MAX], maybe[NETD_TEXT_MAX];
	const char		*hp = cl->hostport;

	switch (res->curlcode) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(what, sizeof(what), "cannot resolve the host of %s: "
		    "%s", hp, res->errbuf);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(what, sizeof(what), "cannot connect to %s: %s", hp,
		    res->os_errno != 0 ? strerror((int)res->os_errno) :
		    res->errbuf);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (cl->cut)
			snprintf(what, sizeof(what), "no answer from %s before "
			    "the call ran out of time", hp);
		else if (res->connected)
			snprintf(what, sizeof(what), "no answer from %s within "
			    "%d s", hp, nd->timeout);
		else
			snprintf(what, sizeof(what), "cannot connect to %s "
			    "within %d s", hp, nd->connect_timeout);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_USE_SSL_FAILED:
		snprintf(what, sizeof(what), "TLS with %s: %s", hp,
		    res->errbuf);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		snprintf(what, sizeof(what), "connection to %s dropped before "
		    "an answer (%s)", hp, res->errbuf);
		break;
	default:
		snprintf(what, sizeof(what), "request to %s failed: %s", hp,
		    res->errbuf);
		break;
	}
	maybe_text(cl, maybe, sizeof(maybe));
	if (res->sent && maybe[0] != '\0') {
		/* Cut curl's words, never what to do. */
		if (strlen(what) + 2 + strlen(maybe) > NETD_ERR_MAX)
			what[NETD_ERR_MAX - 2 - strlen(maybe)] = '\0';
		call_fail(nd, CV_ERR_TRANSPORT, "%s: %s", what, maybe);
	} else
		call_fail(nd, CV_ERR_TRANSPORT, "%s", what);
}

/* A transport error worth another try (for a GET only). */
int
answer_transient(int cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	}
	return 0;
}

/*
 * A final HTTP refusal.  A 401 on a signed request is first explained:
 * GET /time, and if the clocks disagree, the hint says so.
 */
static void
call_refused(struct netd *nd, long status, const char *err, const char *hint)
{
	struct netd_call	*cl = nd->call;

	if (status == 401 && step_ep(cl->step)->auth != CATALOG_NONE &&
	    !cl->bearer && !cl->clock_checked) {
		cl->clock_checked = 1;
		cl->held_status = status;
		snprintf(cl->held_err, sizeof(cl->held_err), "%s", err);
		snprintf(cl->held_hint, sizeof(cl->held_hint), "%s",
		    hint != NULL ? hint : "");
		http_clear(nd->http);
		call_next(nd, ST_CLOCK);
		return;
	}
	call_answer_error(nd, status, err, hint);
}

/* GET /time answered (t > 0) or not (t 0): answer the held 401. */
void
answer_clock(struct netd *nd, int64_t t)
{
	struct netd_call	*cl = nd->call;
	char			 hint[NETD_TEXT_MAX];
	int64_t			 skew;

	if (t > 0) {
		skew = t - netd_time();
		if (skew > NETD_SKEW_MAX || skew < -NETD_SKEW_MAX) {
			snprintf(hint, sizeof(hint), "this host's clock is "
			    "%lld s %s the exchange's: fix this host's clock "
			    "(NTP)", (long long)(skew > 0 ? skew : -skew),
			    skew > 0 ? "behind" : "ahead of");
			call_answer_error(nd, cl->held_status, cl->held_err,
			    hint);
			return;
		}
	}
	call_answer_error(nd, cl->held_status, cl->held_err, cl->held_hint);
}

/* The hint for an HTTP refusal of the current step. */
static void
refusal_hint(const struct netd_call *cl, long status, const char *err,
    char *hint, size_t len)
{
	hint[0] = '\0';
	if (status == 429)
		snprintf(hint, len, "the exchange is limiting the request "
		    "rate: wait a little and try again");
	else if (status >= 500)
		snprintf(hint, len, "the exchange failed: try again later");
	else if (status == 401 && cl->bearer)
		snprintf(hint, len, "the exchange refused the API key or its "
		    "token (rotated, deleted or not yet valid): check the keys "
		    "with `vaultctl apikey list --local --account %s`",
		    cl->account);
	else if (status == 401 && step_ep(cl->step)->auth == CATALOG_L1)
		snprintf(hint, len, "the exchange refused the wallet "
		    "signature: check the account's profile and wallet");
	else if (status == 401)
		snprintf(hint, len, "the exchange does not accept this API "
		    "key (deleted, revoked or not yet valid): get one with "
		    "`vaultctl apikey create-or-derive --account %s`",
		    cl->account);
	else if (cl->step == ST_CREATE && (status == 409 ||
	    strcasestr(err, "exist") != NULL ||
	    strcasestr(err, "could not create") != NULL))
		snprintf(hint, len, "an API key may exist for nonce %llu "
		    "already: `vaultctl apikey derive --account %s --nonce "
		    "%llu`", (unsigned long long)cl->nonce, cl->account,
		    (unsigned long long)cl->nonce);
	else if (cl->step == ST_DERIVE && status == 404)
		snprintf(hint, len, "the exchange has no API key for nonce "
		    "%llu: `vaultctl apikey create --account %s --nonce %llu`",
		    (unsigned long long)cl->nonce, cl->account,
		    (unsigned long long)cl->nonce);
}

/*
 * Whether text quotes the secret, or any 8 bytes of it in a row: an
 * exchange's error text may quote part of what was sent, or be cut.
 */
static int
quotes_secret(const void *text, size_t tlen, const char *secret)
{
	size_t	n = strlen(secret), w = n < 8 ? n : 8, i;

	if (n < 4)
		return 0;
	for (i = 0; i + w <= n; i++)
		if (memmem(text, tlen, secret + i, w) != NULL)
			return 1;
	return 0;
}

/* The bearer token an Omnia request carried, or NULL. */
static const char *
bearer_token(const struct netd_call *cl)
{
	size_t	i, n = strlen("Authorization: Bearer ");

	for (i = 0; i < NETD_HDR_MAX && cl->hdrs[i] != NULL; i++)
		if (strncmp(cl->hdrs[i], "Authorization: Bearer ", n) == 0)
			return cl->hdrs[i] + n;
	return NULL;
}

/*
 * An Omnia refusal: {"code", "description"} (or error_code and
 * error_message): the text, and the code beside it in the result.  A
 * 401 wipes the token it carried; INVALID_JWT_TOKEN buys one new token
 * and the step goes again, once.  The token request's refusal is never
 * quoted: it may echo the secret (its code is passed on unless it quotes
 * the request's body); no text or code that quotes the token sent is
 * passed on either.
 */
static void
bearer_refusal(struct netd *nd, const struct http_res *res, char *err,
    size_t errlen)
{
	struct netd_call	*cl = nd->call;
	char			 code[80], hint[NETD_TEXT_MAX];
	const char		*tok;

	parse_error_code(res->body, res->len, code, sizeof(code));
	if (cl->step == ST_OTOKEN) {
		snprintf(err, errlen, "the exchange refused the key's token "
		    "request");
		/* a code that quotes the body refused (the secret): dropped */
		if (cl->tokbody != NULL && quotes_secret(code, strlen(code),
		    (const char *)cl->tokbody))
			code[0] = '\0';
	}
	/*
	 * The text and the code only, not the whole body: a token has up
	 * to NETD_TOKEN_MAX windows of 8 bytes to look for.
	 */
	if ((tok = bearer_token(cl)) != NULL) {
		if (quotes_secret(err, strlen(err), tok))
			snprintf(err, errlen, "HTTP %ld (the exchange's text "
			    "is withheld: it quotes a secret)", res->status);
		if (quotes_secret(code, strlen(code), tok))
			code[0] = '\0';
	}
	if (res->status == 401 && cl->step != ST_OTOKEN) {
		token_forget(nd, cl->account, cl->tok_key);
		if (strcmp(code, "INVALID_JWT_TOKEN") == 0 && !cl->reminted) {
			log_info("%s %s: 401 INVALID_JWT_TOKEN: a new token, "
			    "then once more", step_ep(cl->step)->method,
			    cl->path);
			cl->reminted = 1;
			cl->after_token = cl->step;
			http_clear(nd->http);
			call_next(nd, ST_OTOKEN);
			return;
		}
	}
	refusal_hint(cl, res->status, err, hint, sizeof(hint));
	call_answer_error_code(nd, res->status, err, code, hint);
}

/* A non-2xx answer, after any retry. */
void
answer_refusal(struct netd *nd, const struct http_res *res)
{
	struct netd_call	*cl = nd->call;
	char			 err[NETD_TEXT_MAX], hint[NETD_TEXT_MAX];
	char			 both[2 * NETD_TEXT_MAX + 32];
	size_t			 i;

	parse_error_text(res->body, res->len, res->statusline, res->status,
	    err, sizeof(err));
	if (cl->bearer) {
		bearer_refusal(nd, res, err, sizeof(err));
		return;
	}
	/*
	 * Never echo what we sent in a header that carries a secret, whole
	 * or in part, in the body or in the text made of it.
	 */
	for (i = 0; i < NETD_HDR_MAX && cl->hdrs[i] != NULL; i++)
		if ((call_hdr_is(cl, cl->hdrs[i], "PASSPHRASE") ||
		    call_hdr_is(cl, cl->hdrs[i], "BUILDER_PASSPHRASE") ||
		    call_hdr_is(cl, cl->hdrs[i], "INVITATION_CODE")) &&
		    (quotes_secret(err, strlen(err),
		    strchr(cl->hdrs[i], ' ') + 1) ||
		    quotes_secret(res->body, res->len,
		    strchr(cl->hdrs[i], ' ') + 1)))
			snprintf(err, sizeof(err), "HTTP %ld (the exchange's "
			    "text is withheld: it quotes a secret)",
			    res->status);
	refusal_hint(cl, res->status, err, hint, sizeof(hint));

	if (cl->step == ST_CREATE && res->status >= 400 &&
	    res->status < 500) {
		if (strcasestr(err, "invit") != NULL) {
			snprintf(hint, sizeof(hint), INVITE_HINT, cl->account);
			call_answer_error(nd, res->status, err, hint);
			return;
		}
		if (cl->or_derive && res->status != 401) {
			cl->create_status = res->status;
			snprintf(cl->create_err, sizeof(cl->create_err), "%s",
			    err);
			log_info("create refused (%ld %s): deriving",
			    res->status, err);
			http_clear(nd->http);
			call_next(nd, ST_DERIVE);
			return;
		}
	}
	if (cl->step == ST_DERIVE && cl->create_status != 0) {
		snprintf(both, sizeof(both), "create: %s; derive: %s",
		    cl->create_err, err);
		parse_clean(both, strlen(both), err, sizeof(err),
		    sizeof(err) - 1);
		if (res->status == 404)
			snprintf(hint, sizeof(hint), "the exchange neither "
			    "created nor has an API key for nonce %llu: check "
			    "the account's wallet and nonce",
			    (unsigned long long)cl->nonce);
	}
	call_refused(nd, res->status, err, hint);
}

/* Seal "key NUL secret NUL passphrase" to signerd's box key. */
static int
seal_cred(const struct netd_call *cl, const char *key, const char *secret,
    const char *pass, struct answer *a)
{
	uint8_t	*pt;
	size_t	 kl = strlen(key), sl = strlen(secret), pl = strlen(pass);
	size_t	 len = kl + 1 + sl + 1 + pl;
	int	 r = CV_ERR_NOMEM;

	/* Guarded: the one plain copy of the credential netd makes. */
	if ((pt = sodium_malloc(len)) == NULL)
		return CV_ERR_NOMEM;
	memcpy(pt, key, kl);
	pt[kl] = '\0';
	memcpy(pt + kl + 1, secret, sl);
	pt[kl + 1 + sl] = '\0';
	memcpy(pt + kl + 2 + sl, pass, pl);
	if ((a->box = malloc(len + crypto_box_SEALBYTES)) == NULL)
		goto out;
	if (crypto_box_seal(a->box, pt, len, cl->boxpk) != 0) {
		free(a->box);
		a->box = NULL;
		r = CV_ERR_INTERNAL;
		goto out;
	}
	a->boxlen = len + crypto_box_SEALBYTES;
	r = 0;
 out:
	sodium_free(pt);	/* wipes */
	return r;
}

/*
 * An Omnia answer's key, as signerd will take it: an id, a secret of
 * 1-VAULT_MAX_OMNIA_SECRET printable bytes without a space, and
 * permissions (if any) distinct names of a-z 0-9 : . _ - (the list
 * "a,b" into list).  Else why, which never quotes the secret.
 */
static int
omnia_key_ok(json_t *id, json_t *secret, json_t *perms, char *list,
    size_t listlen, char *why, size_t whylen)
{
	char		 one[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	json_t		*v;
	size_t		 i, n, o = 0;

	if (!json_is_string(id) || !json_is_string(secret)) {
		snprintf(why, whylen, "has no apiKeyId and apiKeySecret");
		return CV_ERR_RESPONSE;
	}
	if (!vault_fmt_name_valid(json_string_value(id),
	    json_string_length(id))) {
		snprintf(why, whylen, "has an apiKeyId that is not a key id "
		    "(1-%d of A-Z a-z 0-9 . _ : @ -)", VAULT_MAX_NAME);
		return CV_ERR_RESPONSE;
	}
	if (!vault_fmt_omnia_secret_valid(json_string_value(secret),
	    json_string_length(secret))) {
		snprintf(why, whylen, "has an apiKeySecret that is not 1-%d "
		    "printable characters without spaces",
		    VAULT_MAX_OMNIA_SECRET);
		return CV_ERR_RESPONSE;
	}
	list[0] = '\0';
	if (perms != NULL && !json_is_array(perms))
		goto badperms;
	json_array_foreach(perms, i, v) {
		if (!json_is_string(v) || i >= NETCALL_PERMS_MAX ||
		    json_string_length(v) > NETCALL_PERM_MAX)
			goto badperms;
		o += (size_t)snprintf(list + o, listlen - o, "%s%s",
		    i > 0 ? "," : "", json_string_value(v));
	}
	/* one name an element: a comma would make two */
	if (netcall_perms_split(list, one, &n) != 0 ||
	    n != json_array_size(perms))
		goto badperms;
	return 0;
 badperms:
	snprintf(why, whylen, "has permissions that are not distinct names "
	    "of a-z 0-9 : . _ -");
	return CV_ERR_RESPONSE;
}

/*
 * What an Omnia key list or a create's answer shows of a key besides
 * its secret, as vaultctl, the audit log and vaultd's log may take it:
 * the id, the label (cut to OMNIA_LABEL_MAX bytes) and each permission
 * (cut to NETCALL_PERM_MAX) with every byte outside printable ASCII a
 * '?', as the other key lists' ids are; a permission that is not a
 * string is left out, permissions that are not a list are null.
 */
#define OMNIA_LABEL_MAX	64

static json_t *
omnia_perms_clean(json_t *perms)
{
	json_t	*out, *v;
	size_t	 i;

	if (!json_is_array(perms))
		return json_null();
	if ((out = json_array()) == NULL)
		return NULL;
	json_array_foreach(perms, i, v)
		if (json_is_string(v) && json_array_append_new(out,
		    parse_clean_string(json_string_value(v),
		    NETCALL_PERM_MAX)) != 0) {
			json_decref(out);
			return NULL;
		}
	return out;
}

static json_t *
omnia_label_clean(json_t *label)
{
	return parse_clean_string(json_is_string(label) ?
	    json_string_value(label) : "", OMNIA_LABEL_MAX);
}

/* An Omnia 2xx: the token kept, a list, or a key sealed for the vault. */
static void
bearer_success(struct netd *nd, long status, json_t *j)
{
	struct netd_call	*cl = nd->call;
	struct answer		 a;
	json_t			*perms, *keys, *e, *out;
	const char		*tok, *id, *secret;
	char			 why[NETD_TEXT_MAX];
	char			 list[NETCALL_PERMS_MAX * (NETCALL_PERM_MAX +
				     1) + 1];
	size_t			 i;
	int			 r;

	memset(&a, 0, sizeof(a));
	a.status = status;
	why[0] = '\0';
	switch (cl->step) {
	case ST_OTOKEN:
		token_keypair_free(cl);		/* the secret went out */
		tok = json_string_value(json_object_get(j, "token"));
		if (tok == NULL) {
			json_decref(j);
			answer_malformed(nd, "has no token");
			return;
		}
		/*
		 * A key of the account was removed or made active, the
		 * account changed, or the vault locked since the call
		 * began: the token may be of the key that was active, or
		 * for a URL no longer the account's.  Not kept, not used.
		 */
		if (cl->forgotten) {
			json_decref(j);
			call_fail(nd, CV_ERR_LOCKED, "the vault changed during "
			    "the call (vault locked, key or account changed): "
			    "try again");
			return;
		}
		r = token_keep(nd, cl->account, cl->tok_key,
		    call_param(cl, "key") == NULL, tok, why, sizeof(why));
		json_decref(j);
		if (r != 0) {
			answer_malformed(nd, why);
			return;
		}
		http_clear(nd->http);
		call_next(nd, cl->after_token);
		return;
	case ST_OKEYS:
		keys = json_object_get(j, "apiKeys");
		if (!json_is_array(keys) || (out = json_array()) == NULL) {
			snprintf(why, sizeof(why), "has no apiKeys list");
			break;
		}
		/* what a listing may show: never a secret */
		json_array_foreach(keys, i, e) {
			id = json_string_value(json_object_get(e, "apiKeyId"));
			if (id == NULL)
				continue;
			json_array_append_new(out, json_pack("{s:o, s:o, s:o}",
			    "apiKeyId", parse_clean_string(id, SIZE_MAX),
			    "label", omnia_label_clean(json_object_get(e,
			    "label")), "permissions", omnia_perms_clean(
			    json_object_get(e, "permissions"))));
		}
		a.result = json_pack("{s:o}", "apiKeys", out);
		break;
	case ST_OCREATE:
	case ST_OROTATE:
		perms = json_object_get(j, "permissions");
		if (omnia_key_ok(json_object_get(j, "apiKeyId"),
		    json_object_get(j, "apiKeySecret"),
		    cl->step == ST_OCREATE ? perms : NULL, list, sizeof(list),
		    why, sizeof(why)) != 0)
			break;
		id = json_string_value(json_object_get(j, "apiKeyId"));
		secret = json_string_value(json_object_get(j, "apiKeySecret"));
		if (cl->step == ST_OROTATE &&
		    strcmp(id, call_param(cl, "key")) != 0) {
			snprintf(why, sizeof(why), "names another key than "
			    "the one rotated");
			break;
		}
		/* a rotation's key keeps its own permissions in the vault */
		if ((r = seal_cred(cl, id, secret, list, &a)) != 0) {
			json_decref(j);
			call_fail(nd, r, "cannot seal the new secret");
			return;
		}
		a.effect = NETCALL_STORE;
		a.rectype = VAULT_REC_API_CRED;
		a.keyid = id;
		if (cl->step == ST_OROTATE) {
			a.effect |= NETCALL_REPLACE;
			/* the old secret and its tokens are dead */
			token_forget(nd, cl->account, id);
			a.result = json_pack("{s:s, s:b}", "apiKeyId", id,
			    "rotated", 1);
		} else {
			/* the id and permissions are checked above */
			a.result = json_pack("{s:s, s:o, s:O}", "apiKeyId", id,
			    "label", omnia_label_clean(json_object_get(j,
			    "label")), "permissions", perms != NULL ? perms :
			    json_null());
		}
		break;
	default:
		snprintf(why, sizeof(why), "is not an Omnia answer");
		break;
	}
	if (a.result == NULL) {
		free(a.box);
		json_decref(j);
		answer_malformed(nd, why[0] != '\0' ? why : "cannot be read");
		return;
	}
	call_answer(nd, &a);	/* a.keyid points into j */
	json_decref(j);
}

/* A 2xx answer of the current step: answer vaultd, or go on. */
void
answer_success(struct netd *nd, const struct http_res *res)
{
	struct netd_call	*cl = nd->call;
	struct answer		 a;
	json_t			*j, *v;
	const char		*key, *secret, *pass, *bid;
	char			 why[NETD_TEXT_MAX];
	int64_t			 t;
	int			 r;

	memset(&a, 0, sizeof(a));
	a.status = res->status;
	if ((j = parse_json(res->body, res->len, netd_steps[cl->step].empty_ok, why,
	    sizeof(why))) == NULL) {
		if (cl->step == ST_CLOCK)
			answer_clock(nd, 0);
		else
			answer_malformed(nd, why);
		return;
	}
	why[0] = '\0';
	if (cl->bearer) {
		bearer_success(nd, res->status, j);
		return;
	}
	switch (cl->step) {
	case ST_CREATE:
	case ST_DERIVE:
	case ST_BCREATE:
		if (parse_cred(j, &key, &secret, &pass, why,
		    sizeof(why)) != 0)
			break;
		bid = NULL;
		if (cl->step == ST_BCREATE) {
			v = json_object_get(j, "builderId");
			bid = call_param(cl, "builder_id");
			if (json_is_string(v) && vault_fmt_name_valid(
			    json_string_value(v), strlen(json_string_value(v))))
				bid = json_string_value(v);
		}
		if ((r = seal_cred(cl, key, secret, pass, &a)) != 0) {
			json_decref(j);
			call_fail(nd, r, "cannot seal the new credential");
			return;
		}
		a.effect = NETCALL_STORE;
		a.keyid = key;
		if (cl->step == ST_BCREATE) {
			a.rectype = VAULT_REC_BUILDER_CRED;
			a.result = json_pack("{s:s, s:s}", "apiKey", key,
			    "builderId", bid);
		} else {
			a.rectype = VAULT_REC_API_CRED;
			a.nonce = cl->nonce;
			if (cl->step == ST_CREATE && cl->invite_sent)
				a.effect |= NETCALL_INVITE_USED;
			a.result = json_pack("{s:s, s:I, s:b}", "apiKey", key,
			    "nonce", (json_int_t)cl->nonce, "created",
			    cl->step == ST_CREATE);
		}
		break;
	case ST_KEYS:
		a.result = parse_key_list(j, why, sizeof(why));
		break;
	case ST_DELETE:
		if (cl->api_key_sent[0] == '\0') {
			snprintf(why, sizeof(why), "cannot be matched: vaultd "
			    "sent no API key header");
			break;
		}
		a.effect = NETCALL_REMOVE;
		a.rectype = VAULT_REC_API_CRED;
		a.keyid = cl->api_key_sent;
		a.result = json_pack("{s:s}", "deleted", cl->api_key_sent);
		break;
	case ST_CLOSED:
		v = json_object_get(j, "closed_only");
		if (json_is_boolean(v))
			a.result = json_pack("{s:b}", "closed_only",
			    json_is_true(v));
		else
			snprintf(why, sizeof(why), "has no closed_only");
		break;
	case ST_BLIST:
		a.result = parse_builder_list(j, why, sizeof(why));
		break;
	case ST_BREVOKE:
		a.effect = NETCALL_REMOVE;
		a.rectype = VAULT_REC_BUILDER_CRED;
		a.keyid = call_param(cl, "key");
		a.result = json_pack("{s:s}", "revoked", call_param(cl, "key"));
		break;
	case ST_BALANCE:
	case ST_BALUPD:
		a.result = parse_balance(j, why, sizeof(why));
		break;
	case ST_NLIST:
		v = json_is_array(j) ? j : json_object_get(j, "notifications");
		if (json_is_array(v))
			a.result = json_pack("{s:O}", "notifications", v);
		else
			snprintf(why, sizeof(why), "is not a list");
		break;
	case ST_NDROP:
		if (call_param(cl, "ids") != NULL)
			a.result = json_pack("{s:s}", "dropped",
			    call_param(cl, "ids"));
		else
			a.result = json_pack("{s:s}", "dropped", "all");
		break;
	case ST_WAITLIST:
		a.result = json_pack("{s:b}", "joined", 1);
		break;
	case ST_TIME:
		if (parse_time(j, &t) == 0)
			a.result = json_pack("{s:I}", "time", (json_int_t)t);
		else
			snprintf(why, sizeof(why), "is not a time");
		break;
	default:
		break;
	case ST_CLOCK:
		if (parse_time(j, &t) != 0)
			t = 0;
		json_decref(j);
		answer_clock(nd, t);
		return;
	}
	if (a.result == NULL) {
		free(a.box);
		json_decref(j);
		answer_malformed(nd, why[0] != '\0' ? why : "cannot be read");
		return;
	}
	/* a.keyid may point into j: answer first. */
	call_answer(nd, &a);
	json_decref(j);		/* wiped by the allocator */
}
