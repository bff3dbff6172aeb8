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

/*
 * One account's signing material, decoded once and kept in guarded
 * memory (sv->cache, noaccess between messages) until the vault changes
 * or locks: each signature then costs the signature alone.  The *err
 * fields keep why a piece is missing, to answer exactly as a fresh
 * lookup would.
 */
#define SIGN_CACHE_MAX	16
#define PASS_MAX	160
#define CODE_MAX	128

struct acct_keys {
	char			 account[VAULT_MAX_NAME + 1];
	const struct profile	*p;
	int			 perr, werr, cerr, berr;
	uint8_t			 seckey[32];
	struct sign_wallet	 w;
	char			 key_id[VAULT_MAX_NAME + 1];
	uint8_t			 key[CLOB_HMAC_KEY_MAX];
	size_t			 klen;
	char			 pass[PASS_MAX + 1];
	char			 bkey_id[VAULT_MAX_NAME + 1];
	uint8_t			 bkey[CLOB_HMAC_KEY_MAX];
	size_t			 bklen;
	char			 bpass[PASS_MAX + 1];
	int			 have_invite;
	char			 invite[CODE_MAX + 1];
};

void
signerd_sign_forget(struct signerd_vault *sv)
{
	secret_free(&sv->cache);	/* wipes */
	sv->ncache = 0;
}

/* An API or builder credential: key id, decoded secret, passphrase. */
static int
load_cred(struct signerd_vault *sv, uint8_t type, const char *account,
    char *key_id, uint8_t *key, size_t *klen, char *pass)
{
	const struct vault_rec	*rec = NULL;
	struct secret		 pt, k;
	const char		*pp;
	int			 r;

	memset(&pt, 0, sizeof(pt));
	memset(&k, 0, sizeof(k));
	if ((r = open_rec(sv, type, account, &pt, &rec)) != 0 ||
	    (r = terminated(&pt)) != 0 ||
	    (r = split_cred(&pt, &k, klen, &pp)) != 0)
		goto out;
	if (strlen(pp) > PASS_MAX || *klen > CLOB_HMAC_KEY_MAX) {
		r = CV_ERR_CORRUPT;
		goto out;
	}
	memcpy(key, k.p, *klen);
	memcpy(pass, pp, strlen(pp) + 1);
	snprintf(key_id, VAULT_MAX_NAME + 1, "%s", rec->key_id);
 out:
	secret_free(&pt);
	secret_free(&k);
	return r;
}

static void
load_keys(struct signerd_vault *sv, const char *account,
    struct acct_keys *ak)
{
	const struct vault_rec	*irec = NULL;
	struct secret		 pt;

	memset(ak, 0, sizeof(*ak));
	snprintf(ak->account, sizeof(ak->account), "%s", account);
	ak->perr = account_profile(sv, account, &ak->p);
	if ((ak->werr = open_rec(sv, VAULT_REC_WALLET_KEY, account, &pt,
	    NULL)) == 0) {
		if (pt.len == sizeof(ak->seckey)) {
			memcpy(ak->seckey, pt.p, sizeof(ak->seckey));
			ak->werr = sign_wallet_init(signerd_secp, ak->seckey,
			    &ak->w);
		} else
			ak->werr = CV_ERR_CORRUPT;
		secret_free(&pt);
	}
	ak->cerr = load_cred(sv, VAULT_REC_API_CRED, account, ak->key_id,
	    ak->key, &ak->klen, ak->pass);
	ak->berr = load_cred(sv, VAULT_REC_BUILDER_CRED, account, ak->bkey_id,
	    ak->bkey, &ak->bklen, ak->bpass);
	/* an invitation code is single-use: a spent one stays home */
	if (open_rec(sv, VAULT_REC_INVITE, account, &pt, &irec) == 0) {
		if (!(irec->flags & VAULT_RECF_USED) && pt.len > 0 &&
		    pt.len <= CODE_MAX &&
		    memchr(pt.p, '\0', pt.len) == NULL) {
			memcpy(ak->invite, pt.p, pt.len);
			ak->invite[pt.len] = '\0';
			ak->have_invite = 1;
		}
		secret_free(&pt);
	}
}

/* The account's material: from the cache, or loaded into it. */
static int
account_keys(struct signerd_vault *sv, const char *account,
    struct acct_keys **out)
{
	struct acct_keys	*ak;
	size_t			 i;
	int			 r;

	if (sv->cache.p == NULL && (r = secret_alloc(&sv->cache,
	    SIGN_CACHE_MAX * sizeof(struct acct_keys))) != 0)
		return r;
	ak = (struct acct_keys *)sv->cache.p;
	for (i = 0; i < sv->ncache; i++)
		if (strcmp(ak[i].account, account) == 0) {
			*out = &ak[i];
			return 0;
		}
	if (sv->ncache == SIGN_CACHE_MAX) {	/* start over */
		sodium_memzero(sv->cache.p, sv->cache.len);
		sv->ncache = 0;
	}
	load_keys(sv, account, &ak[sv->ncache]);
	*out = &ak[sv->ncache++];
	return 0;
}

static int
sign_with(const struct acct_keys *ak, const struct sign_req *req,
    uint64_t level, struct sign_headers *out, const char **why)
{
	int	r;

	if ((r = ak->perr) != 0) {
		*why = r == CV_ERR_NOTFOUND ? "no such account in the vault" :
		    r == CV_ERR_INVALID ? "not an Openfish or Polymarket "
		    "account" : NULL;
		return r;
	}
	if ((r = ak->werr) != 0) {
		*why = r == CV_ERR_NOTFOUND ? "the account has no wallet key: "
		    "vaultctl wallet generate or wallet import" : NULL;
		return r;
	}
	if (level == CATALOG_L1)
		return sign_l1_wallet(signerd_secp, &ak->w, ak->p, req,
		    ak->have_invite ? ak->invite : NULL, out);
	if ((r = ak->cerr) != 0) {
		*why = r == CV_ERR_NOTFOUND ? "the account has no API key in "
		    "the vault: vaultctl apikey create-or-derive" : NULL;
		return r;
	}
	if ((r = sign_l2(ak->p, ak->w.addr_text, ak->key_id, ak->key,
	    ak->klen, ak->pass, req, out)) != 0 || level != CATALOG_BUILDER)
		return r;
	if ((r = ak->berr) != 0) {
		*why = r == CV_ERR_NOTFOUND ? "the account has no builder key "
		    "in the vault: vaultctl builder create" : NULL;
		return r;
	}
	return sign_builder(ak->p, ak->bkey_id, ak->bkey, ak->bklen,
	    ak->bpass, req, out);
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
	struct acct_keys	*ak;
	const char		*why = NULL;
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
	if ((r = account_keys(sv, account, &ak)) != 0)
		return r;
	if ((r = sign_with(ak, &req, level, &h, &why)) != 0) {
		sign_headers_clear(&h);
		if (why == NULL)
			return r;
		if (msg_error_ans(c, m->id, r, why) != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		return 0;
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
