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
#include "common/order.h"
#include "common/secp.h"
#include "signerd/signerd_pool.h"
#include "signerd/signerd_sign.h"
#include "signerd/signerd_vault.h"

extern struct secp256k1_context_struct	*signerd_secp;

#define NONE_ACTIVE(kind, cmd)	"the account holds several " kind " keys " \
			"and none is active: choose one with vaultctl " cmd \
			" use --account A --key-id ID"
#define NOT_ORDERS	"POST /order and /orders are signed only as orders, " \
			"each signed by clobvault itself (SIGN_F_ORDERS)"

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

/*
 * What signerd reads of an account record (vaultd checked the rest when
 * it was added): the profile, and for orders the optional funder (the
 * address holding the funds, a proxy or safe wallet, which may be an
 * order's maker) and order version ("orders": 1 or 2; by default 1 for
 * openfish, 2 for polymarket).  A malformed funder or orders member
 * refuses the whole account (CV_ERR_CORRUPT, *why says which).
 */
struct acct_rec {
	const struct profile	*p;
	int			 has_funder;
	uint8_t			 funder[ETH_ADDR_LEN];
	enum order_version	 orders;
};

static int
account_record(struct signerd_vault *sv, const char *account,
    struct acct_rec *ar, const char **why)
{
	struct secret	 pt;
	json_t		*j, *funder = NULL, *orders = NULL;
	const char	*name = NULL;
	json_int_t	 v;
	int		 r = CV_ERR_CORRUPT;

	memset(ar, 0, sizeof(*ar));
	*why = NULL;
	if ((r = open_rec(sv, VAULT_REC_ACCOUNT, account, &pt, NULL)) != 0)
		return r;
	j = json_loadb((const char *)pt.p, pt.len, JSON_REJECT_DUPLICATES,
	    NULL);
	secret_free(&pt);
	r = CV_ERR_CORRUPT;
	if (j == NULL || json_unpack(j, "{s:s, s?o, s?o}", "profile", &name,
	    "funder", &funder, "orders", &orders) != 0 ||
	    (ar->p = profile_find(name)) == NULL)
		goto out;
	if (ar->p->auth != PROFILE_AUTH_CLOB) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if (funder != NULL) {
		if (!json_is_string(funder) ||
		    eth_address_parse(json_string_value(funder),
		    ar->funder) != 0) {
			*why = "the account record's funder is not an address "
			    "(0x and 40 hex digits, mixed case only as "
			    "EIP-55): set it again with vaultctl";
			goto out;
		}
		ar->has_funder = 1;
	}
	ar->orders = strcmp(ar->p->name, "polymarket") == 0 ? ORDER_V2 :
	    ORDER_V1;
	if (orders != NULL) {
		v = json_is_integer(orders) ? json_integer_value(orders) : 0;
		if (v != ORDER_V1 && v != ORDER_V2) {
			*why = "the account record's orders is not 1 or 2 "
			    "(the order version): set it again with vaultctl";
			goto out;
		}
		if (v == ORDER_V2 && strcmp(ar->p->name, "openfish") == 0) {
			*why = "the account record asks for orders of "
			    "version 2, which openfish does not sign: set "
			    "orders to 1 with vaultctl";
			goto out;
		}
		ar->orders = (enum order_version)v;
	}
	r = 0;
 out:
	json_decref(j);
	return r;
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

	/*
	 * pt is NUL-terminated (terminated()): a separator before that
	 * final NUL, and the passphrase after it not empty
	 */
	if (nul == NULL || (size_t)(nul - pt->p) >= sizeof(text) ||
	    (size_t)(nul - pt->p) + 1 >= pt->len || nul[1] == '\0')
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
	struct acct_rec		 rec;
	const char		*pwhy;		/* a static text, or NULL */
	int			 perr, werr, cerr, berr;
	int			 cseveral, bseveral;	/* none active */
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
	signerd_client_forget(sv);
}

/*
 * The credential of type that signs for account: the one named by key_id
 * when it is not empty, else the one flagged VAULT_RECF_ACTIVE, else the
 * account's only one (a vault written before the flag).  CV_ERR_NOTFOUND
 * when there is none; *several set when there are keys but none active.
 */
static int
find_cred(const struct vault *v, uint8_t type, const char *account,
    const char *key_id, const struct vault_rec **found, int *several)
{
	const struct vault_rec	*only = NULL;
	size_t			 i, n = 0;

	*several = 0;
	for (i = 0; i < v->nrecs; i++) {
		const struct vault_rec *rec = &v->recs[i];

		if (rec->type != type || strcmp(rec->account, account) != 0)
			continue;
		if (*key_id != '\0' ? strcmp(rec->key_id, key_id) == 0 :
		    (rec->flags & VAULT_RECF_ACTIVE) != 0) {
			*found = rec;
			return 0;
		}
		only = rec;
		n++;
	}
	if (*key_id == '\0' && n == 1) {
		*found = only;
		return 0;
	}
	*several = *key_id == '\0' && n > 1;
	return CV_ERR_NOTFOUND;
}

/* An API or builder credential: key id, decoded secret, passphrase. */
static int
load_cred(struct signerd_vault *sv, uint8_t type, const char *account,
    const char *want, char *key_id, uint8_t *key, size_t *klen, char *pass,
    int *several)
{
	const struct vault_rec	*rec = NULL;
	struct secret		 pt, k;
	const char		*pp;
	int			 r;

	memset(&pt, 0, sizeof(pt));
	memset(&k, 0, sizeof(k));
	if ((r = find_cred(&sv->v, type, account, want, &rec,
	    several)) != 0 ||
	    (r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0 ||
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
	ak->perr = account_record(sv, account, &ak->rec, &ak->pwhy);
	ak->p = ak->rec.p;
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
	ak->cerr = load_cred(sv, VAULT_REC_API_CRED, account, "", ak->key_id,
	    ak->key, &ak->klen, ak->pass, &ak->cseveral);
	ak->berr = load_cred(sv, VAULT_REC_BUILDER_CRED, account, "",
	    ak->bkey_id, ak->bkey, &ak->bklen, ak->bpass, &ak->bseveral);
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
		signerd_pool_drain(sv->pool);	/* no worker reads it */
		sodium_memzero(sv->cache.p, sv->cache.len);
		sv->ncache = 0;
	}
	load_keys(sv, account, &ak[sv->ncache]);
	*out = &ak[sv->ncache++];
	return 0;
}

/* Why the account itself cannot sign: its record, or NULL. */
static int
account_usable(const struct acct_keys *ak, const char **why)
{
	int	r;

	if ((r = ak->perr) != 0)
		*why = r == CV_ERR_NOTFOUND ? "no such account in the vault" :
		    r == CV_ERR_INVALID ? "not an Openfish or Polymarket "
		    "account" : ak->pwhy;
	return r;
}

/* The account's record, wallet key and (api) API key, or why not. */
static int
account_ready(const struct acct_keys *ak, int api, const char **why)
{
	int	r;

	if ((r = account_usable(ak, why)) != 0)
		return r;
	if ((r = ak->werr) != 0) {
		*why = r == CV_ERR_NOTFOUND ? "the account has no wallet key: "
		    "vaultctl wallet generate or wallet import" : NULL;
		return r;
	}
	if (api && (r = ak->cerr) != 0) {
		*why = ak->cseveral ? NONE_ACTIVE("API", "apikey") :
		    r == CV_ERR_NOTFOUND ? "the account has no API key in "
		    "the vault: vaultctl apikey create-or-derive" : NULL;
		return r;
	}
	return 0;
}

static int
sign_with(struct secp256k1_context_struct *ctx, const struct acct_keys *ak,
    const struct sign_req *req, uint64_t level, struct sign_headers *out,
    const char **why)
{
	int	r;

	if ((r = account_ready(ak, level != CATALOG_L1, why)) != 0)
		return r;
	if (level == CATALOG_L1)
		return sign_l1_wallet(ctx, &ak->w, ak->p, req,
		    ak->have_invite ? ak->invite : NULL, out);
	if ((r = sign_l2(ak->p, ak->w.addr_text, ak->key_id, ak->key,
	    ak->klen, ak->pass, req, out)) != 0 || level != CATALOG_BUILDER)
		return r;
	if ((r = ak->berr) != 0) {
		*why = ak->bseveral ? NONE_ACTIVE("builder", "builder") :
		    r == CV_ERR_NOTFOUND ? "the account has no builder key "
		    "in the vault: vaultctl builder create" : NULL;
		return r;
	}
	return sign_builder(ak->p, ak->bkey_id, ak->bkey, ak->bklen,
	    ak->bpass, req, out);
}

int
signerd_account_profile(struct signerd_vault *sv, const char *account,
    const struct profile **p, const char **why)
{
	struct acct_keys	*ak;
	int			 r;

	*p = NULL;
	*why = NULL;
	if ((r = account_keys(sv, account, &ak)) != 0 ||
	    (r = account_usable(ak, why)) != 0)
		return r;
	*p = ak->p;
	return 0;
}

/*
 * The account record held (*old) and the one offered (*j), each NULL
 * if it does not read as strict JSON; 0, or open_rec's error.
 */
static int
account_pair(struct signerd_vault *sv, const char *account,
    const uint8_t *payload, size_t len, json_t **old, json_t **j)
{
	struct secret	pt;
	int		r;

	if ((r = open_rec(sv, VAULT_REC_ACCOUNT, account, &pt, NULL)) != 0)
		return r;
	*old = json_loadb((const char *)pt.p, pt.len, JSON_REJECT_DUPLICATES,
	    NULL);
	secret_free(&pt);
	*j = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES,
	    NULL);
	return 0;
}

int
signerd_account_same_profile(struct signerd_vault *sv, const char *account,
    const uint8_t *payload, size_t len)
{
	json_t		*old, *j;
	const char	*a = NULL, *b = NULL;
	int		 r;

	if ((r = account_pair(sv, account, payload, len, &old, &j)) != 0)
		return r;
	if (old == NULL || json_unpack(old, "{s:s}", "profile", &a) != 0)
		r = CV_ERR_CORRUPT;
	else
		r = j != NULL &&
		    json_unpack(j, "{s:s}", "profile", &b) == 0 &&
		    strcmp(a, b) == 0 ? 0 : CV_ERR_INVALID;
	json_decref(old);
	json_decref(j);
	return r;
}

/* One member of two account records: 1 if both lack it or agree. */
static int
member_same(json_t *a, json_t *b, const char *key)
{
	json_t	*x = json_object_get(a, key), *y = json_object_get(b, key);

	if (x == NULL || y == NULL)
		return x == y;
	return json_equal(x, y);
}

int
signerd_account_route_same(struct signerd_vault *sv, const char *account,
    const uint8_t *payload, size_t len)
{
	json_t		*old, *j;
	int		 r;

	if ((r = account_pair(sv, account, payload, len, &old, &j)) != 0)
		return r;
	/* what does not read as an object is a change */
	r = json_is_object(old) && json_is_object(j) &&
	    member_same(old, j, "url") && member_same(old, j, "ca_file") &&
	    member_same(old, j, "pin");
	json_decref(old);
	json_decref(j);
	return r;
}

int
signerd_account(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct secret	 pt;
	struct msg_w	 w;
	json_t		*j = NULL, *perms = NULL;
	char		 account[VAULT_MAX_NAME + 1], *s = NULL;
	size_t		 i;
	int		 r;

	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if ((r = open_rec(sv, VAULT_REC_ACCOUNT, account, &pt, NULL)) != 0)
		return r;
	/*
	 * vaultd routes the account's calls by it (URL, CA, pin): one that
	 * is not a JSON object with each key once is not passed on, as
	 * vaultd would not store it (and a reader taking the first of two
	 * "url" and another the last would disagree).
	 */
	if ((j = json_loadb((const char *)pt.p, pt.len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(j)) {
		json_decref(j);
		secret_free(&pt);
		return CV_ERR_CORRUPT;
	}
	json_decref(j);
	j = NULL;
	/* and whether it holds a builder key: the gateway may add its
	 * headers (the record's JSON, one member more) */
	for (i = 0; i < sv->v.nrecs; i++)
		if (sv->v.recs[i].type == VAULT_REC_BUILDER_CRED &&
		    strcmp(sv->v.recs[i].account, account) == 0)
			break;
	if (i == sv->v.nrecs || (j = json_loadb((const char *)pt.p, pt.len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    json_object_set_new(j, "builder", json_true()) != 0 ||
	    (s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(j);
		j = NULL;
	}
	/* Omnia: the active key's permissions, for vaultd's create check */
	if (s == NULL && signerd_account_bearer(sv, account) == 1 &&
	    signerd_bearer_perms(sv, account, &perms) == 0 && perms != NULL &&
	    (j = json_loadb((const char *)pt.p, pt.len,
	    JSON_REJECT_DUPLICATES, NULL)) != NULL &&
	    json_object_set(j, "key_permissions", perms) == 0)
		s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(perms);
	msg_begin(&w, MSG_VAULT_ACCOUNT_ANS, m->id);
	if (s != NULL)
		msg_put_str(&w, s);
	else
		msg_put_strn(&w, (const char *)pt.p, pt.len);
	secret_free(&pt);
	json_decref(j);
	if (s != NULL) {
		json_free_t	 jfree;

		json_get_alloc_funcs(NULL, &jfree);	/* signerd's, wiping */
		jfree(s);
	}
	return chan_queue(c, &w);
}

/* The wallet key signs one order's digest (order_batch_sign's callback). */
struct order_signer {
	struct secp256k1_context_struct	*ctx;
	const struct acct_keys		*ak;
};

static int
order_sign(void *arg, const uint8_t digest[32], uint8_t sig[65])
{
	const struct order_signer	*os = arg;

	return secp_sign(os->ctx, os->ak->w.seckey, digest, sig);
}

/*
 * SIGN_F_ORDERS: check each order of req's body against the account
 * (order_batch_sign: signer its address, maker that or its funder), sign
 * it with the wallet key under the domain of the account's profile and
 * order version, set owner to the account's API key, then make the L2
 * set (level L2) or the L2 and builder sets (level builder) over the
 * body that results: that body, *out (caller frees), is what goes out,
 * byte for byte.  A refusal's text is in why, or why is
 * empty.
 */
static int
sign_orders(struct secp256k1_context_struct *ctx, const struct acct_keys *ak,
    const struct sign_req *req, uint64_t level, uint64_t flags,
    struct sign_headers *h, char **out, size_t *outlen, char *why,
    size_t whylen)
{
	struct order_signer	 os = { ctx, ak };
	struct order_batch	 b;
	struct order_domain	 dom;
	struct sign_req		 made;
	const char		*text = NULL;
	int			 negrisk = (flags & SIGN_F_NEGRISK) != 0;
	int			 r;

	memset(&b, 0, sizeof(b));
	*out = NULL;
	*outlen = 0;
	why[0] = '\0';
	if ((r = account_ready(ak, 1, &text)) != 0) {
		snprintf(why, whylen, "%s", text != NULL ? text : "");
		goto out;
	}
	if (order_domain_for(ak->p->name, ak->rec.orders, negrisk,
	    &dom) != 0) {
		snprintf(why, whylen, "%s has no %sexchange for orders of "
		    "version %d", ak->p->name, negrisk ? "neg-risk " : "",
		    (int)ak->rec.orders);
		r = CV_ERR_INVALID;
		goto out;
	}
	/* sign_order_req_check admitted "/order" or "/orders" */
	if ((r = order_batch_parse(req->body, req->bodylen,
	    req->pathlen == sizeof("/orders") - 1, ak->rec.orders, &b, why,
	    whylen)) != 0)
		goto out;
	if ((r = order_batch_sign(&b, &dom, ak->w.addr,
	    ak->rec.has_funder ? ak->rec.funder : NULL, ak->key_id,
	    order_sign, &os, out, outlen, why, whylen)) != 0)
		goto out;
	if (*outlen > SIGN_ORDER_BODY_MAX) {
		snprintf(why, whylen, "the signed orders make a body of %zu "
		    "bytes, over %d", *outlen, SIGN_ORDER_BODY_MAX);
		r = CV_ERR_TOOLONG;
		goto out;
	}
	made = *req;
	made.body = (const uint8_t *)*out;
	made.bodylen = *outlen;
	text = NULL;
	if ((r = sign_with(ctx, ak, &made, level, h, &text)) != 0 &&
	    text != NULL)
		snprintf(why, whylen, "%s", text);
 out:
	order_batch_free(&b);
	if (r != 0) {
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	return r;
}

/*
 * The account's material with the API key key_id in place of the active
 * one, in a guarded region of its own (*out, freed by the caller) so that
 * the cache keeps the active key; cerr says whether the key was found.
 */
static int
named_keys(struct signerd_vault *sv, const struct acct_keys *ak,
    const char *key_id, struct secret *out)
{
	struct acct_keys	*nk;
	int			 r;

	if ((r = secret_alloc(out, sizeof(*nk))) != 0)
		return r;
	nk = (struct acct_keys *)out->p;
	*nk = *ak;		/* guarded to guarded */
	sodium_memzero(nk->key, sizeof(nk->key));
	sodium_memzero(nk->pass, sizeof(nk->pass));
	nk->cerr = load_cred(sv, VAULT_REC_API_CRED, ak->account, key_id,
	    nk->key_id, nk->key, &nk->klen, nk->pass, &nk->cseveral);
	return 0;
}

/*
 * One admitted request's signature, or its refusal, as the answer to
 * vaultd in w: the same bytes whichever thread makes them.
 */
static void
sign_answer(struct secp256k1_context_struct *ctx, const struct acct_keys *ak,
    uint32_t id, const struct sign_req *req, uint64_t level, uint64_t flags,
    struct msg_w *w)
{
	struct sign_headers	 h;
	const char		*why = NULL;
	char			*made = NULL;
	char			 owhy[512];
	size_t			 i, madelen = 0;
	int			 r;

	memset(&h, 0, sizeof(h));
	if (flags & SIGN_F_ORDERS) {
		r = sign_orders(ctx, ak, req, level, flags, &h, &made,
		    &madelen, owhy, sizeof(owhy));
		why = owhy[0] != '\0' ? owhy : NULL;
	} else
		r = sign_with(ctx, ak, req, level, &h, &why);
	if (r != 0) {
		sign_headers_clear(&h);
		msg_error_begin(w, id, r, why != NULL ? why : cv_strerror(r));
		return;
	}
	msg_begin(w, MSG_SIGN_ANS, id);
	msg_put_array(w, (uint32_t)h.n);
	for (i = 0; i < h.n; i++) {
		msg_put_array(w, 2);
		msg_put_str(w, h.h[i].name);
		msg_put_str(w, h.h[i].value);
	}
	msg_put_bin(w, made, madelen);
	sign_headers_clear(&h);
	free(made);
}

/*
 * A request for a worker: a wallet signature (L1, or orders).  It keeps
 * its own copy of the request; the account's material it points to
 * stays in the cache, which changes only after the pool is drained.
 */
struct sign_job {
	struct pool_job		 pj;
	uint32_t		 id;
	uint64_t		 level, flags;
	const struct acct_keys	*ak;
	struct sign_req		 req;
	char			 account[SIGN_ACCOUNT_MAX + 1];
	char			 method[8];
	char			 ts[CLOB_TIMESTAMP_MAX + 1];
	uint8_t			 data[];	/* path, then body */
};

static void
sign_job_run(struct pool_job *pj, struct secp256k1_context_struct *ctx,
    struct msg_w *w)
{
	struct sign_job	*j = (struct sign_job *)pj;

	sign_answer(ctx, j->ak, j->id, &j->req, j->level, j->flags, w);
}

static void
sign_job_free(struct pool_job *pj)
{
	free(pj);
}

static int
sign_submit(struct signerd_vault *sv, uint32_t id, const struct sign_req *req,
    uint64_t level, uint64_t flags, const struct acct_keys *ak)
{
	struct sign_job	*j;

	if ((j = calloc(1, sizeof(*j) + req->pathlen + req->bodylen)) == NULL)
		return CV_ERR_NOMEM;
	j->pj.run = sign_job_run;
	j->pj.free = sign_job_free;
	j->id = id;
	j->level = level;
	j->flags = flags;
	j->ak = ak;
	j->req = *req;
	snprintf(j->account, sizeof(j->account), "%s", req->account);
	snprintf(j->method, sizeof(j->method), "%s", req->method);
	snprintf(j->ts, sizeof(j->ts), "%s", req->timestamp);
	memcpy(j->data, req->path, req->pathlen);
	if (req->bodylen > 0)
		memcpy(j->data + req->pathlen, req->body, req->bodylen);
	j->req.account = j->account;
	j->req.method = j->method;
	j->req.timestamp = j->ts;
	j->req.path = (const char *)j->data;
	j->req.body = req->bodylen > 0 ? j->data + req->pathlen : NULL;
	signerd_pool_submit(sv->pool, &j->pj);
	return 0;
}

int
signerd_sign(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct acct_keys	*ak;
	struct sign_req		 req;
	struct msg_w		 w;
	const char		*path;
	const uint8_t		*body;
	struct secret		 named;
	char			 account[SIGN_ACCOUNT_MAX + 1];
	char			 key_id[VAULT_MAX_NAME + 1];
	char			 method[8], ts[CLOB_TIMESTAMP_MAX + 1];
	uint64_t		 level, flags;
	int64_t			 now;
	int			 orders, r;

	memset(&req, 0, sizeof(req));
	memset(&named, 0, sizeof(named));
	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_u64(&m->rd, &level)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, method, sizeof(method))) != 0 ||
	    (r = msg_get_str(&m->rd, &path, &req.pathlen, SIGN_PATH_MAX)) ||
	    (r = msg_get_bin(&m->rd, &body, &req.bodylen, SIGN_BODY_MAX)) ||
	    (r = msg_get_strbuf(&m->rd, ts, sizeof(ts))) != 0 ||
	    (r = msg_get_u64(&m->rd, &req.nonce)) != 0 ||
	    (r = msg_get_u64(&m->rd, &flags)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	orders = (flags & SIGN_F_ORDERS) != 0;
	if (level == CATALOG_BEARER) {
		if (flags != 0)
			return CV_ERR_INVALID;
		req.account = account;
		req.level = CATALOG_BEARER;
		req.method = method;
		req.path = path;
		req.body = req.bodylen ? body : NULL;
		req.timestamp = ts;
		return signerd_bearer(sv, c, m->id, &req, key_id);
	}
	/* a named key signs an L2 request of its own, never orders */
	if (key_id[0] != '\0' && (level != CATALOG_L2 || orders))
		return CV_ERR_INVALID;
	/* neg-risk says which exchange signs orders: nothing without them */
	if ((flags & ~(uint64_t)SIGN_F_ALL) != 0 ||
	    ((flags & SIGN_F_NEGRISK) && !orders))
		return CV_ERR_INVALID;
	if (level != CATALOG_L1 && level != CATALOG_L2 &&
	    level != CATALOG_BUILDER)
		return CV_ERR_INVALID;
	if (orders && level != CATALOG_L2 && level != CATALOG_BUILDER)
		return CV_ERR_INVALID;
	req.account = account;
	/* builder headers ride on an L2 request */
	req.level = level == CATALOG_BUILDER ? CATALOG_L2 : level;
	req.method = method;
	req.path = path;
	req.body = req.bodylen ? body : NULL;
	req.timestamp = ts;
	/* a body of orders is signed only with its orders signed here */
	if (!orders && sign_order_endpoint(&req)) {
		if (msg_error_ans(c, m->id, CV_ERR_DENIED, NOT_ORDERS) != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		return 0;
	}
	now = (int64_t)time(NULL);
	if ((r = orders ? sign_order_req_check(&req, now, SIGN_SKEW_DEFAULT) :
	    sign_req_check(&req, now, SIGN_SKEW_DEFAULT)) != 0)
		return r;
	if ((r = account_keys(sv, account, &ak)) != 0)
		return r;
	if (key_id[0] != '\0') {
		if ((r = named_keys(sv, ak, key_id, &named)) != 0)
			return r;
		ak = (struct acct_keys *)named.p;
		if (ak->cerr == CV_ERR_NOTFOUND) {
			secret_free(&named);
			if (msg_error_ans(c, m->id, CV_ERR_NOTFOUND, "the "
			    "account has no API key with that key id in the "
			    "vault: vaultctl apikey list --local") != 0)
				fatalx("cannot answer %s", msg_name(m->type));
			return 0;
		}
	}
	/*
	 * A wallet signature goes to a worker when more requests wait
	 * behind it; the last of a burst, or a lone one, is signed here,
	 * without the hand-over's wake-up.
	 */
	if (key_id[0] == '\0' && (level == CATALOG_L1 || orders) &&
	    signerd_pool_on(sv->pool) && chan_has_frame(c))
		return sign_submit(sv, m->id, &req, level, flags, ak);
	memset(&w, 0, sizeof(w));
	if (key_id[0] == '\0' && (level == CATALOG_L1 || orders) &&
	    signerd_pool_on(sv->pool)) {
		/*
		 * Without the pool's lock while the wallet signs (some
		 * 40 us): the workers go on queueing their answers and
		 * taking jobs.  What this reads (the request in the input
		 * buffer, the cached keys) only this thread changes.
		 */
		signerd_pool_unlock(sv->pool);
		sign_answer(signerd_secp, ak, m->id, &req, level, flags, &w);
		signerd_pool_lock(sv->pool);
	} else
		sign_answer(signerd_secp, ak, m->id, &req, level, flags, &w);
	secret_free(&named);
	return chan_queue(c, &w);
}
