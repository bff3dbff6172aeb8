/*
 * The Omnia endpoints (doc/exchanges.md): an API key id and secret
 * buy a bearer token; the token manages the account's keys.  Errors are
 * {"code", "description"}.  Request bodies are checked against their
 * schema exactly: a missing, extra or mistyped field is INVALID_SCHEMA.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "tests/testexchange/tx.h"

#define KEYS_PATH	"/v3/api-keys"
#define ROTATE_SUFFIX	"/rotate"
#define TOKEN_MAX	2048

static int		 perm_valid(const char *);
static int		 label_valid(const char *);
static struct tx_okey	*bearer(struct tx *, const struct tx_req *,
			    struct tx_resp *);
static json_t		*perms_json(const struct tx_okey *);
static void		 ep_token(struct tx *, const struct tx_req *,
			    struct tx_resp *);
static void		 ep_list(struct tx *, struct tx_okey *,
			    struct tx_resp *);
static void		 ep_create(struct tx *, const struct tx_req *,
			    struct tx_okey *, struct tx_resp *);
static void		 ep_rotate(struct tx *, const struct tx_req *,
			    struct tx_okey *, const char *, struct tx_resp *);

static int
perm_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == ':' ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i > 0 && i < TX_PERM_LEN;
}

/* 1..TX_LABEL_MAX printable ASCII bytes. */
static int
label_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return i > 0 && i <= TX_LABEL_MAX;
}

int
tx_omnia_perms(json_t *a, char perms[][TX_PERM_LEN], size_t *n)
{
	json_t		*v;
	const char	*s;
	size_t		 i, j;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) > TX_PERM_MAX)
		return CV_ERR_INVALID;
	json_array_foreach(a, i, v) {
		if ((s = json_string_value(v)) == NULL ||
		    strlen(s) != json_string_length(v) || !perm_valid(s))
			return CV_ERR_INVALID;
		for (j = 0; j < i; j++)
			if (strcmp(perms[j], s) == 0)
				return CV_ERR_INVALID;
		memcpy(perms[i], s, strlen(s) + 1);
	}
	*n = json_array_size(a);
	return 0;
}

static json_t *
perms_json(const struct tx_okey *k)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < k->nperms; i++)
		if (json_array_append_new(a, json_string(k->perms[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* The key behind "Authorization: Bearer <token>", or NULL and a 401. */
static struct tx_okey *
bearer(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	struct tx_okey	*k;
	const char	*h = tx_hdr(req, "Authorization"), *tok;
	size_t		 i;
	int		 r;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		tx_resp_oerr(resp, 401, "UNAUTHORIZED", "missing bearer token",
		    "omnia:missing-token");
		return NULL;
	}
	tok = h + 7;
	for (i = 0; tok[i] != '\0'; i++)
		if (i >= TOKEN_MAX || !((tok[i] >= 'a' && tok[i] <= 'z') ||
		    (tok[i] >= 'A' && tok[i] <= 'Z') ||
		    (tok[i] >= '0' && tok[i] <= '9') || tok[i] == '-' ||
		    tok[i] == '_' || tok[i] == '.'))
			break;
	if (i == 0 || tok[i] != '\0') {
		tx_resp_oerr(resp, 401, "UNAUTHORIZED", "invalid token",
		    "omnia:bad-token");
		return NULL;
	}
	/* a fault: the token refused as the real server refuses a bad one */
	if (tx->fault.jwt_reject_next > 0) {
		tx->fault.jwt_reject_next--;
		tx_resp_oerr(resp, 401, "INVALID_JWT_TOKEN", "invalid token",
		    "omnia:jwt-rejected");
		return NULL;
	}
	r = tx_token_check(&tx->st, tok, req->now, &k);
	if (r == CV_ERR_STALE) {
		tx_resp_oerr(resp, 401, "UNAUTHORIZED", "token expired",
		    "omnia:token-expired");
		return NULL;
	}
	if (r != 0) {
		tx_resp_oerr(resp, 401, "UNAUTHORIZED", "invalid token",
		    "omnia:bad-token");
		return NULL;
	}
	return k;
}

static void
ep_token(struct tx *tx, const struct tx_req *req, struct tx_resp *resp)
{
	struct tx_okey	*k;
	json_t		*b = tx_body_json(req);
	const char	*id, *secret;
	char		*tok = NULL;
	int64_t		 exp;

	id = json_string_value(json_object_get(b, "keyId"));
	secret = json_string_value(json_object_get(b, tx->secret_field));
	if (!json_is_object(b) || json_object_size(b) != 2 || id == NULL ||
	    secret == NULL) {
		tx_resp_oerr(resp, 400, "INVALID_SCHEMA",
		    "expected {keyId, secret}", "omnia:schema");
		goto out;
	}
	if ((k = tx_okey_by_id(&tx->st, id)) == NULL) {
		tx_resp_oerr(resp, 401, "INVALID_CREDENTIALS",
		    "invalid key id or secret", "omnia:unknown-key");
		goto out;
	}
	if (!tx_streq_ct(k->secret, secret)) {
		tx_resp_oerr(resp, 401, "INVALID_CREDENTIALS",
		    "invalid key id or secret", "omnia:bad-secret");
		goto out;
	}
	if (req->now_ms < k->valid_from_ms) {
		tx_resp_oerr(resp, 401, "INVALID_CREDENTIALS",
		    "invalid key id or secret", "omnia:propagating");
		goto out;
	}
	if (tx_token_new(&tx->st, k, req->now, tx->token_lifetime, &tok,
	    &exp) != 0) {
		tx_resp_oerr(resp, 500, "INTERNAL_ERROR", "internal error",
		    "internal");
		goto out;
	}
	tx_resp_json(resp, 200, json_pack("{s:s, s:s, s:I}", "token", tok,
	    "tokenType", "Bearer", "expiresAt", (json_int_t)exp), "ok");
 out:
	if (tok != NULL) {
		sodium_memzero(tok, strlen(tok));
		free(tok);
	}
	json_decref(b);
}

static void
ep_list(struct tx *tx, struct tx_okey *caller, struct tx_resp *resp)
{
	struct tx_okey	*k;
	json_t		*a;
	size_t		 i;

	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < tx->st.okeys.n; i++) {
		k = tx->st.okeys.v[i];
		if (strcmp(k->account, caller->account) != 0)
			continue;
		if (json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:I}",
		    "apiKeyId", k->id, "label", k->label, "permissions",
		    perms_json(k), "createdAt", (json_int_t)k->created)) != 0)
			goto fail;
	}
	tx_resp_json(resp, 200, json_pack("{s:o}", "apiKeys", a), "ok");
	return;
 fail:
	json_decref(a);
	tx_resp_oerr(resp, 500, "INTERNAL_ERROR", "internal error", "internal");
}

static void
ep_create(struct tx *tx, const struct tx_req *req, struct tx_okey *caller,
    struct tx_resp *resp)
{
	char		 perms[TX_PERM_MAX][TX_PERM_LEN];
	struct tx_okey	*k;
	json_t		*b = tx_body_json(req);
	const char	*label;
	size_t		 n, i, j;

	label = json_string_value(json_object_get(b, "label"));
	if (!json_is_object(b) || json_object_size(b) != 2 || label == NULL ||
	    strlen(label) != json_string_length(json_object_get(b, "label")) ||
	    !label_valid(label) ||
	    tx_omnia_perms(json_object_get(b, "permissions"), perms, &n) != 0) {
		tx_resp_oerr(resp, 400, "INVALID_SCHEMA",
		    "expected {label, permissions[]}", "omnia:schema");
		goto out;
	}
	/* A key can grant only what it holds itself. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < caller->nperms; j++)
			if (strcmp(perms[i], caller->perms[j]) == 0)
				break;
		if (j == caller->nperms) {
			tx_resp_oerr(resp, 403, "INVALID_PERMISSIONS",
			    "permissions exceed the calling key's",
			    "omnia:permissions");
			goto out;
		}
	}
	if (tx->fault.grant_all_next > 0) {
		tx->fault.grant_all_next--;
		for (n = 0; n < caller->nperms; n++)
			memcpy(perms[n], caller->perms[n], TX_PERM_LEN);
	}
	if (tx_okey_new(&tx->st, caller->account, label, perms, n, req->now,
	    req->now_ms + tx->fault.propagation_ms, &k) != 0) {
		tx_resp_oerr(resp, 500, "INTERNAL_ERROR", "internal error",
		    "internal");
		goto out;
	}
	tx_persist(tx);
	tx_resp_json(resp, 201, json_pack("{s:s, s:s, s:s, s:o}", "apiKeyId",
	    k->id, "apiKeySecret", k->secret, "label", k->label,
	    "permissions", perms_json(k)), "ok");
 out:
	json_decref(b);
}

static void
ep_rotate(struct tx *tx, const struct tx_req *req, struct tx_okey *caller,
    const char *id, struct tx_resp *resp)
{
	struct tx_okey	*k;
	json_t		*b = NULL;

	if (req->bodylen > 0)
		b = tx_body_json(req);
	if (req->bodylen > 0 && (!json_is_object(b) ||
	    json_object_size(b) != 0)) {
		tx_resp_oerr(resp, 400, "INVALID_SCHEMA", "expected no body",
		    "omnia:schema");
		goto out;
	}
	if ((k = tx_okey_by_id(&tx->st, id)) == NULL ||
	    strcmp(k->account, caller->account) != 0) {
		tx_resp_oerr(resp, 404, "NOT_FOUND", "api key not found",
		    "not-found");
		goto out;
	}
	tx_okey_rotate(&tx->st, k, req->now_ms + tx->fault.propagation_ms);
	tx_persist(tx);
	/* rotated, and the answer lost on the way: the old secret is dead */
	if (tx->fault.lose_rotate_next > 0) {
		tx->fault.lose_rotate_next--;
		resp->drop = 1;
		resp->status = 0;
		resp->verdict = "fault:lost-answer";
		goto out;
	}
	tx_resp_json(resp, 200, json_pack("{s:s, s:s}", "apiKeyId", k->id,
	    "apiKeySecret", k->secret), "ok");
 out:
	json_decref(b);
}

void
tx_omnia_handle(struct tx *tx, const struct tx_req *req,
    struct tx_resp *resp)
{
	struct tx_okey	*caller;
	const char	*p = req->path;
	char		 id[TX_UUID_LEN];
	size_t		 idlen, plen = strlen(p);
	int		 rotate = 0;

	/* /v3/api-keys/{id}/rotate */
	if (strncmp(p, KEYS_PATH "/", strlen(KEYS_PATH) + 1) == 0 &&
	    plen > strlen(KEYS_PATH) + 1 + strlen(ROTATE_SUFFIX) &&
	    strcmp(p + plen - strlen(ROTATE_SUFFIX), ROTATE_SUFFIX) == 0) {
		idlen = plen - strlen(KEYS_PATH) - 1 - strlen(ROTATE_SUFFIX);
		if (idlen >= sizeof(id)) {
			tx_resp_oerr(resp, 404, "NOT_FOUND",
			    "api key not found", "not-found");
			return;
		}
		memcpy(id, p + strlen(KEYS_PATH) + 1, idlen);
		id[idlen] = '\0';
		rotate = 1;
	}
	if (strcmp(p, "/v3/auth/token") == 0) {
		if (strcmp(req->method, "POST") != 0)
			goto method;
		ep_token(tx, req, resp);
		return;
	}
	if (strcmp(p, KEYS_PATH) != 0 && !rotate) {
		tx_resp_oerr(resp, 404, "NOT_FOUND", "no such endpoint",
		    "not-found");
		return;
	}
	if (rotate ? strcmp(req->method, "POST") != 0 :
	    strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
		goto method;
	if ((caller = bearer(tx, req, resp)) == NULL)
		return;
	if (rotate)
		ep_rotate(tx, req, caller, id, resp);
	else if (strcmp(req->method, "GET") == 0)
		ep_list(tx, caller, resp);
	else
		ep_create(tx, req, caller, resp);
	return;
 method:
	tx_resp_oerr(resp, 405, "METHOD_NOT_ALLOWED", "method not allowed",
	    "bad-method");
}
