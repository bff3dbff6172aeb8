/*
 * MSG_SIGN_REQ: the one way a signature leaves signerd.  vaultd has
 * already given its verdict and audited it; signerd still checks the
 * canonical request's shape itself (sign_req_check) and signs only with
 * the keys of the named account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "common/clob_auth.h"
#include "common/log.h"
#include "common/secp.h"
#include "signerd/signerd_sign.h"
#include "signerd/signerd_vault.h"

extern struct secp256k1_context_struct	*signerd_secp;

/* Open the record (type, account, key id ""-or-any) into pt. */
static int
open_rec(struct signerd_vault *sv, uint8_t type, const char *account,
    struct secret *pt, const struct vault_rec **found)
{
	size_t	i;

	for (i = 0; i < sv->v.nrecs; i++) {
		const struct vault_rec *rec = &sv->v.recs[i];

		if (rec->type != type || strcmp(rec->account, account) != 0)
			continue;
		if (found != NULL)
			*found = rec;
		return vault_crypto_open(&sv->keys, &sv->v.hdr, rec, pt);
	}
	return CV_ERR_NOTFOUND;
}

static int
account_profile(struct signerd_vault *sv, const char *account,
    const struct profile **p)
{
	struct secret	 pt;
	json_t		*j;
	json_error_t	 err;
	const char	*name = NULL;
	int		 r;

	if ((r = open_rec(sv, VAULT_REC_ACCOUNT, account, &pt, NULL)) != 0)
		return r;
	j = json_loadb((const char *)pt.p, pt.len, 0, &err);
	secret_free(&pt);
	if (j == NULL || json_unpack(j, "{s:s}", "profile", &name) != 0 ||
	    (*p = profile_find(name)) == NULL) {
		json_decref(j);
		return CV_ERR_CORRUPT;
	}
	json_decref(j);
	return (*p)->auth == PROFILE_AUTH_CLOB ? 0 : CV_ERR_INVALID;
}

/*
 * A credential body is "secret NUL passphrase": decode the secret into
 * key, point pass at the passphrase inside pt (a header value by
 * protocol).
 */
static int
split_cred(const struct secret *pt, struct secret *key, size_t *keylen,
    const char **pass)
{
	const uint8_t	*nul = memchr(pt->p, 0, pt->len);
	char		 text[256];
	int		 r;

	/* pt is NUL-terminated (terminated()): the passphrase must not be empty */
	if (nul == NULL || (size_t)(nul - pt->p) >= sizeof(text) ||
	    nul[1] == '\0')
		return CV_ERR_CORRUPT;
	if ((r = secret_alloc(key, CLOB_HMAC_KEY_MAX)) != 0)
		return r;
	/* the decoder wants a C string: a stack copy, wiped below */
	memcpy(text, pt->p, (size_t)(nul - pt->p));
	text[nul - pt->p] = '\0';
	r = clob_hmac_key_decode(text, key->p, key->len, keylen);
	sodium_memzero(text, sizeof(text));
	*pass = (const char *)nul + 1;
	return r;
}

/* NUL-terminate a credential body in a guarded copy one byte longer. */
static int
terminated(struct secret *pt)
{
	struct secret	t;
	int		r;

	if ((r = secret_alloc(&t, pt->len + 1)) != 0)
		return r;
	memcpy(t.p, pt->p, pt->len);
	t.p[pt->len] = '\0';
	t.len = pt->len + 1;
	secret_free(pt);
	*pt = t;
	return 0;
}

static int
sign_with(struct signerd_vault *sv, const struct sign_req *req,
    const struct profile *p, uint64_t level, struct sign_headers *out)
{
	struct secret		 wallet, cred, bcred, key, bkey, invite;
	const struct vault_rec	*crec = NULL, *brec = NULL, *irec = NULL;
	struct sign_wallet	 w;
	const char		*pass, *bpass, *code = NULL;
	size_t			 klen, bklen;
	int			 r;

	memset(&wallet, 0, sizeof(wallet));
	memset(&cred, 0, sizeof(cred));
	memset(&bcred, 0, sizeof(bcred));
	memset(&key, 0, sizeof(key));
	memset(&bkey, 0, sizeof(bkey));
	memset(&invite, 0, sizeof(invite));
	if ((r = open_rec(sv, VAULT_REC_WALLET_KEY, req->account, &wallet,
	    NULL)) != 0 || wallet.len != 32)
		goto out;
	if ((r = sign_wallet_init(signerd_secp, wallet.p, &w)) != 0)
		goto out;
	if (level == CATALOG_L1) {
		/* an invitation code is single-use: a spent one stays home */
		if (open_rec(sv, VAULT_REC_INVITE, req->account, &invite,
		    &irec) == 0 && !(irec->flags & VAULT_RECF_USED) &&
		    (r = terminated(&invite)) == 0)
			code = (const char *)invite.p;
		r = sign_l1_wallet(signerd_secp, &w, p, req, code, out);
		goto out;
	}
	if ((r = open_rec(sv, VAULT_REC_API_CRED, req->account, &cred,
	    &crec)) != 0 || (r = terminated(&cred)) != 0 ||
	    (r = split_cred(&cred, &key, &klen, &pass)) != 0)
		goto out;
	if ((r = sign_l2(p, w.addr_text, crec->key_id, key.p, klen, pass, req,
	    out)) != 0 || level != CATALOG_BUILDER)
		goto out;
	if ((r = open_rec(sv, VAULT_REC_BUILDER_CRED, req->account, &bcred,
	    &brec)) != 0 || (r = terminated(&bcred)) != 0 ||
	    (r = split_cred(&bcred, &bkey, &bklen, &bpass)) != 0)
		goto out;
	r = sign_builder(p, brec->key_id, bkey.p, bklen, bpass, req, out);
 out:
	sodium_memzero(&w, sizeof(w));
	secret_free(&wallet);
	secret_free(&cred);
	secret_free(&bcred);
	secret_free(&key);
	secret_free(&bkey);
	secret_free(&invite);
	return r;
}

int
signerd_account(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct secret	 pt;
	struct msg_w	 w;
	char		 account[VAULT_MAX_NAME + 1];
	int		 r;

	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if ((r = open_rec(sv, VAULT_REC_ACCOUNT, account, &pt, NULL)) != 0)
		return r;
	msg_begin(&w, MSG_VAULT_ACCOUNT_ANS, m->id);
	msg_put_strn(&w, (const char *)pt.p, pt.len);
	secret_free(&pt);
	return chan_queue(c, &w);
}

int
signerd_sign(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	const struct profile	*p;
	struct sign_req		 req;
	struct sign_headers	 h;
	struct msg_w		 w;
	const char		*path;
	const uint8_t		*body;
	char			 account[SIGN_ACCOUNT_MAX + 1];
	char			 method[8], ts[CLOB_TIMESTAMP_MAX + 1];
	uint64_t		 level;
	size_t			 i;
	int			 r;

	memset(&h, 0, sizeof(h));
	memset(&req, 0, sizeof(req));
	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_u64(&m->rd, &level)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, method, sizeof(method))) != 0 ||
	    (r = msg_get_str(&m->rd, &path, &req.pathlen, SIGN_PATH_MAX)) ||
	    (r = msg_get_bin(&m->rd, &body, &req.bodylen, SIGN_BODY_MAX)) ||
	    (r = msg_get_strbuf(&m->rd, ts, sizeof(ts))) != 0 ||
	    (r = msg_get_u64(&m->rd, &req.nonce)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (level != CATALOG_L1 && level != CATALOG_L2 &&
	    level != CATALOG_BUILDER)
		return CV_ERR_INVALID;
	req.account = account;
	/* builder headers ride on an L2 request */
	req.level = level == CATALOG_BUILDER ? CATALOG_L2 : level;
	req.method = method;
	req.path = path;
	req.body = req.bodylen ? body : NULL;
	req.timestamp = ts;
	if ((r = sign_req_check(&req, (int64_t)time(NULL),
	    SIGN_SKEW_DEFAULT)) != 0)
		return r;
	if ((r = account_profile(sv, account, &p)) != 0)
		return r;
	if ((r = sign_with(sv, &req, p, level, &h)) != 0) {
		sign_headers_clear(&h);
		return r;
	}
	msg_begin(&w, MSG_SIGN_ANS, m->id);
	msg_put_array(&w, (uint32_t)h.n);
	for (i = 0; i < h.n; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, h.h[i].name);
		msg_put_str(&w, h.h[i].value);
	}
	sign_headers_clear(&h);
	return chan_queue(c, &w);
}
