/*
 * Omnia (PROFILE_AUTH_BEARER) accounts: their API key records, and the
 * one thing signerd does for their calls.
 *
 * A key record's body is "secret NUL permissions" (the permissions
 * comma-separated, "" when unknown; not secret, but kept with the key so
 * a listing shows them).  An Omnia request is "signed" by no header:
 * netd holds a bearer token.  What signerd makes is the body of the
 * token request, {"keyId": ID, "<field>": SECRET} (the field is profile
 * data), sealed with crypto_box_seal to the one-time X25519 key netd
 * sent as the signing request's body.  vaultd passes the box unread;
 * only netd can open it, for that one request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "common/log.h"
#include "common/netcall.h"
#include "common/profile.h"
#include "signerd/signerd_sign.h"
#include "signerd/signerd_vault.h"


int
signerd_account_bearer(struct signerd_vault *sv, const char *account)
{
	struct secret	 pt;
	json_t		*j;
	const char	*name = NULL;
	const struct profile *p;
	long		 k;
	int		 r;

	if ((k = vault_find_record(&sv->v, VAULT_REC_ACCOUNT, account,
	    "")) < 0)
		return CV_ERR_NOTFOUND;
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, &sv->v.recs[k],
	    &pt)) != 0)
		return r;
	/* vaultd stores none, but a key given twice is not trusted */
	j = json_loadb((const char *)pt.p, pt.len, JSON_REJECT_DUPLICATES,
	    NULL);
	secret_free(&pt);
	r = j != NULL && json_unpack(j, "{s:s}", "profile", &name) == 0 &&
	    (p = profile_find(name)) != NULL ?
	    p->auth == PROFILE_AUTH_BEARER : CV_ERR_CORRUPT;
	json_decref(j);
	return r;
}

int
signerd_omnia_check(const uint8_t *p, size_t len, char fp[17],
    char *perms, size_t permslen)
{
	char		 list[NETCALL_PERMS_MAX * (NETCALL_PERM_MAX + 1) + 1];
	char		 one[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	const uint8_t	*nul;
	size_t		 slen, plen, n;
	uint8_t		 h[8];

	len = vault_fmt_cred_len(p, len, NULL);	/* its age is not checked */
	if ((nul = memchr(p, 0, len)) == NULL)
		return CV_ERR_INVALID;
	slen = (size_t)(nul - p);
	plen = len - slen - 1;
	if (!vault_fmt_omnia_secret_valid(p, slen) || plen >= sizeof(list))
		return CV_ERR_INVALID;
	memcpy(list, nul + 1, plen);
	list[plen] = '\0';
	if (strlen(list) != plen || netcall_perms_split(list, one, &n) != 0)
		return CV_ERR_INVALID;
	if (fp != NULL) {
		crypto_generichash(h, sizeof(h), p, slen,
		    (const uint8_t *)"clobvault-fp", 12);
		hex_encode(h, sizeof(h), fp);
	}
	if (perms != NULL && (size_t)snprintf(perms, permslen, "%s", list) >=
	    permslen)
		return CV_ERR_TOOLONG;
	return 0;
}

/* The Omnia key that mints: key_id, else the active one, else the only. */
static const struct vault_rec *
bearer_key(struct signerd_vault *sv, const char *account, const char *key_id,
    const char **why)
{
	const struct vault_rec	*only = NULL;
	size_t			 i, n = 0;

	for (i = 0; i < sv->v.nrecs; i++) {
		const struct vault_rec *rec = &sv->v.recs[i];

		if (rec->type != VAULT_REC_API_CRED ||
		    strcmp(rec->account, account) != 0)
			continue;
		if (*key_id != '\0' ? strcmp(rec->key_id, key_id) == 0 :
		    (rec->flags & VAULT_RECF_ACTIVE) != 0)
			return rec;
		only = rec;
		n++;
	}
	if (*key_id == '\0' && n == 1)
		return only;
	*why = *key_id != '\0' ? "the account has no API key with that key "
	    "id in the vault: vaultctl apikey list --local" : n > 1 ? "the "
	    "account holds several API keys and none is active: choose one "
	    "with vaultctl apikey use --account A --key-id ID" : "the account "
	    "holds no API key: import one with vaultctl apikey import";
	return NULL;
}

/* The token request's body for rec, sealed to pk into *box. */
static int
token_box(struct signerd_vault *sv, const struct profile *p,
    const struct vault_rec *rec, const uint8_t *pk, uint8_t **box,
    size_t *boxlen)
{
	struct secret	 pt;
	json_t		*j = NULL;
	char		*body = NULL;
	size_t		 blen;
	int		 r;

	*box = NULL;
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0)
		return r;
	if ((r = signerd_omnia_check(pt.p, pt.len, NULL, NULL, 0)) != 0) {
		r = CV_ERR_CORRUPT;
		goto out;
	}
	r = CV_ERR_NOMEM;
	/* jansson's blocks are wiped when freed (signerd.c sets it so) */
	if ((j = json_object()) == NULL ||
	    json_object_set_new(j, "keyId", json_string(rec->key_id)) != 0 ||
	    json_object_set_new(j, p->token_secret_field,
	    json_string((const char *)pt.p)) != 0 ||
	    (body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	blen = strlen(body);
	if ((*box = malloc(blen + crypto_box_SEALBYTES)) == NULL)
		goto out;
	if (crypto_box_seal(*box, (const uint8_t *)body, blen, pk) != 0) {
		free(*box);
		*box = NULL;
		r = CV_ERR_INTERNAL;
		goto out;
	}
	*boxlen = blen + crypto_box_SEALBYTES;
	r = 0;
 out:
	if (body != NULL) {
		json_free_t	 jfree;

		json_get_alloc_funcs(NULL, &jfree);	/* wiping */
		jfree(body);
	}
	json_decref(j);
	secret_free(&pt);
	return r;
}

int
signerd_bearer(struct signerd_vault *sv, struct chan *c, uint32_t id,
    const struct sign_req *req, const char *key_id)
{
	const struct catalog_entry	*e;
	const struct vault_rec		*rec;
	const struct profile		*p;
	const char			*why = NULL;
	struct msg_w			 w;
	uint8_t				*box = NULL;
	size_t				 boxlen = 0;
	int				 r;

	if ((r = sign_req_check(req, (int64_t)time(NULL),
	    SIGN_SKEW_DEFAULT)) != 0)
		return r;
	if ((r = signerd_account_bearer(sv, req->account)) < 0)
		return r;
	if (r == 0) {
		why = "bearer requests are for Omnia accounts";
		r = CV_ERR_INVALID;
		goto refuse;
	}
	p = profile_find("omnia");
	e = catalog_findn(req->method, req->path, req->pathlen);
	if (p == NULL || e == NULL)
		return CV_ERR_INTERNAL;
	/* every bearer request names its key: the token is that key's */
	if ((rec = bearer_key(sv, req->account, key_id, &why)) == NULL) {
		r = CV_ERR_NOTFOUND;
		goto refuse;
	}
	if (netcall_is_mint(e->id)) {
		if (req->bodylen != crypto_box_PUBLICKEYBYTES)
			return CV_ERR_INVALID;
		if ((r = token_box(sv, p, rec, req->body, &box,
		    &boxlen)) != 0)
			return r;
	} else if (req->bodylen > NETCALL_BODY_MAX)
		return CV_ERR_TOOLONG;
	msg_begin(&w, MSG_SIGN_ANS, id);
	msg_put_array(&w, 0);
	msg_put_bin(&w, box, boxlen);
	free(box);		/* sealed: nothing to wipe */
	return chan_queue(c, &w);
 refuse:
	if (msg_error_ans(c, id, r, why) != 0)
		fatalx("cannot answer MSG_SIGN_REQ");
	return 0;
}

int
signerd_bearer_perms(struct signerd_vault *sv, const char *account,
    struct json_t **out)
{
	const struct vault_rec	*rec;
	const char		*why;
	struct secret		 pt;
	char			 list[NETCALL_PERMS_MAX *
				    (NETCALL_PERM_MAX + 1) + 1];
	char			 one[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	size_t			 n, i;
	int			 r;

	*out = NULL;
	if ((rec = bearer_key(sv, account, "", &why)) == NULL)
		return 0;
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0)
		return r;
	r = signerd_omnia_check(pt.p, pt.len, NULL, list, sizeof(list));
	secret_free(&pt);
	if (r != 0 || list[0] == '\0' ||
	    netcall_perms_split(list, one, &n) != 0)
		return 0;	/* unknown: the exchange checks */
	if ((*out = json_array()) == NULL)
		return CV_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (json_array_append_new(*out, json_string(one[i])) != 0)
			return CV_ERR_NOMEM;
	return 0;
}
