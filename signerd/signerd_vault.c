/*
 * signerd's side of the vault (see signerd_vault.h).  vaultd hands in
 * ciphertext and credentials; out come sealed files and public facts
 * (addresses, fingerprints, masked codes), never a secret.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/clob_auth.h"
#include "common/log.h"
#include "common/netcall.h"
#include "common/utf8.h"
#include "common/secp.h"
#include "signerd/signerd_vault.h"

#define AUDIT_ACCOUNT	"clobvault"
#define INFO_MAX	(VAULT_MAX_INFO + 1)
#define PASSPHRASE_MAX	160	/* an API passphrase travels as a header */
#define INVITE_MAX	128
#define INVITE_SHOWN_MIN 8	/* the shortest code whose first shows */

extern struct secp256k1_context_struct	*signerd_secp;

int
sv_vault_copy(const struct vault *src, struct vault *dst)
{
	uint8_t	*buf;
	size_t	 len;
	int	 r;

	if ((r = vault_fmt_encode(src, &buf, &len)) != 0)
		return r;
	r = vault_fmt_parse(buf, len, dst);
	free(buf);
	return r;
}

void
signerd_vault_lock(struct signerd_vault *sv)
{
	vault_free(&sv->v);
	vault_keys_free(&sv->keys);
	vault_free(&sv->pv);
	vault_keys_free(&sv->pkeys);
	secret_free(&sv->audit_sk);
	sodium_memzero(sv->audit_pk, sizeof(sv->audit_pk));
	secret_free(&sv->box_sk);
	sodium_memzero(sv->box_pk, sizeof(sv->box_pk));
	signerd_sign_forget(sv);
	sv->unlocked = sv->pending = sv->pending_create = 0;
}

int
sv_put_record(struct vault *pv, const struct vault_keys *keys, uint8_t type,
    uint8_t flags, const char *account, const char *key_id, uint64_t nonce,
    const uint8_t *pt, size_t ptlen)
{
	struct vault_rec	rec;
	struct secret		stamped;
	char			tag[40];
	long			i;
	int			r;

	memset(&rec, 0, sizeof(rec));
	memset(&stamped, 0, sizeof(stamped));
	rec.type = type;
	rec.flags = flags;	/* authenticated with the body */
	snprintf(rec.account, sizeof(rec.account), "%s", account);
	snprintf(rec.key_id, sizeof(rec.key_id), "%s", key_id);
	rec.nonce = nonce;
	/* a key stored now: when, for its age (vault_fmt_cred_len) */
	if ((type == VAULT_REC_API_CRED || type == VAULT_REC_BUILDER_CRED) &&
	    vault_fmt_cred_len(pt, ptlen, NULL) == ptlen) {
		snprintf(tag, sizeof(tag), "%s%lld", VAULT_CREATED_TAG,
		    (long long)time(NULL));
		if ((r = secret_alloc(&stamped, ptlen + 1 + strlen(tag))) != 0)
			return r;
		memcpy(stamped.p, pt, ptlen);
		stamped.p[ptlen] = 0;
		memcpy(stamped.p + ptlen + 1, tag, strlen(tag));
		pt = stamped.p;
		ptlen = stamped.len;
	}
	r = vault_crypto_seal(keys, &pv->hdr, &rec, pt, ptlen);
	secret_free(&stamped);
	if (r != 0)
		return r;
	if ((i = vault_find_record(pv, type, account, key_id)) >= 0 &&
	    (r = vault_del_record(pv, (size_t)i)) != 0)
		goto out;
	r = vault_add_record(pv, &rec);
 out:
	free(rec.body);
	return r;
}

int
sv_seal_and_answer(struct signerd_vault *sv, struct chan *c, uint32_t type,
    uint32_t id, const struct vault_keys *keys, const char *info)
{
	struct msg_w	 w;
	uint8_t		*buf = NULL;
	size_t		 len;
	int		 r;

	sv->pv.hdr.generation = sv->pending_create ? 1 :
	    sv->v.hdr.generation + 1;
	if ((r = vault_fmt_encode(&sv->pv, &buf, &len)) != 0)
		return r;
	if ((r = vault_crypto_seal_file(keys, buf, len)) != 0)
		goto out;
	memcpy(sv->pv.mac, buf + len - VAULT_MAC_LEN, VAULT_MAC_LEN);
	msg_begin(&w, type, id);
	if (type == MSG_AUDIT_SIGN_ANS)
		msg_put_str(&w, info);
	msg_put_bin(&w, buf, len);
	if (type == MSG_VAULT_CREATE_ANS) {
		msg_put_bin(&w, sv->audit_pk, sizeof(sv->audit_pk));
		msg_put_bin(&w, sv->box_pk, sizeof(sv->box_pk));
	} else if (type == MSG_VAULT_STORE_ANS) {
		msg_put_str(&w, info);			/* key id */
		msg_put_str(&w, info + strlen(info) + 1); /* fingerprint */
	} else if (info != NULL && type != MSG_AUDIT_SIGN_ANS)
		msg_put_str(&w, info);
	if ((r = chan_queue(c, &w)) != 0)
		goto out;
	sv->pending = 1;
 out:
	free(buf);
	return r;
}

int
sv_get_cred(struct msg_rd *rd, struct vault_cred *cred)
{
	int	r;

	if ((r = msg_get_bin(rd, &cred->p, &cred->len, VAULT_MAX_PASS)) != 0)
		return r;
	return msg_get_bool(rd, &cred->keyfile);
}

/* Open the audit signing key of the current vault. */
static int
load_audit_key(struct signerd_vault *sv)
{
	long	i;
	int	r;

	i = vault_find_record(&sv->v, VAULT_REC_AUDIT_KEY, AUDIT_ACCOUNT, "");
	if (i < 0)
		return CV_ERR_CORRUPT;
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, &sv->v.recs[i],
	    &sv->audit_sk)) != 0)
		return r;
	if (sv->audit_sk.len != crypto_sign_SECRETKEYBYTES) {
		secret_free(&sv->audit_sk);
		return CV_ERR_CORRUPT;
	}
	crypto_sign_ed25519_sk_to_pk(sv->audit_pk, sv->audit_sk.p);
	secret_lock(&sv->audit_sk);
	return 0;
}

/*
 * A fresh X25519 key pair per unlock: netd seals what the exchange
 * returns to its public half, so only signerd reads a new credential.
 */
static int
box_key_new(struct signerd_vault *sv)
{
	int	r;

	secret_free(&sv->box_sk);
	if ((r = secret_alloc(&sv->box_sk, crypto_box_SECRETKEYBYTES)) != 0)
		return r;
	if (crypto_box_keypair(sv->box_pk, sv->box_sk.p) != 0) {
		secret_free(&sv->box_sk);
		return CV_ERR_INTERNAL;
	}
	secret_lock(&sv->box_sk);
	return 0;
}

static int
vault_create(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred	 cred;
	struct secret		 sk;
	const uint8_t		*policy;
	uint64_t		 ops, mem;
	size_t			 plen;
	int			 r;

	memset(&sk, 0, sizeof(sk));
	if ((r = sv_get_cred(&m->rd, &cred)) != 0 ||
	    (r = msg_get_u64(&m->rd, &ops)) != 0 ||
	    (r = msg_get_u64(&m->rd, &mem)) != 0 ||
	    (r = msg_get_bin(&m->rd, &policy, &plen, VAULT_MAX_POLICY)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	memset(&sv->pv, 0, sizeof(sv->pv));
	if ((r = vault_crypto_create(&sv->pv.hdr, &cred, ops, mem,
	    &sv->pkeys)) != 0)
		goto out;
	if ((r = audit_key_new(&sk, sv->audit_pk)) != 0 ||
	    (r = box_key_new(sv)) != 0)
		goto out;
	if ((r = sv_put_record(&sv->pv, &sv->pkeys, VAULT_REC_AUDIT_KEY, 0,
	    AUDIT_ACCOUNT, "", 0, sk.p, sk.len)) != 0)
		goto out;
	/* a new vault starts with the default policy as its version 1 */
	if (plen > 0 && (r = sv_put_record(&sv->pv, &sv->pkeys,
	    VAULT_REC_POLICY, 0, POLICY_ACCOUNT, "", 1, policy, plen)) != 0)
		goto out;
	sv->pending_create = 1;
	r = sv_seal_and_answer(sv, c, MSG_VAULT_CREATE_ANS, m->id, &sv->pkeys,
	    NULL);
 out:
	secret_free(&sk);
	if (r != 0) {
		vault_free(&sv->pv);
		vault_keys_free(&sv->pkeys);
		sv->pending_create = 0;
	}
	return r;
}

static int
vault_unlock(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred	 cred;
	struct msg_w		 w;
	const uint8_t		*file;
	size_t			 len;
	int			 r;

	if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) != 0 ||
	    (r = sv_get_cred(&m->rd, &cred)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if ((r = vault_crypto_load(file, len, &cred, 0, &sv->v,
	    &sv->keys)) != 0)
		return r;
	if ((r = load_audit_key(sv)) != 0 || (r = box_key_new(sv)) != 0) {
		signerd_vault_lock(sv);
		return r;
	}
	msg_begin(&w, MSG_VAULT_UNLOCK_ANS, m->id);
	msg_put_bin(&w, sv->audit_pk, sizeof(sv->audit_pk));
	msg_put_u64(&w, sv->v.hdr.generation);
	msg_put_bin(&w, sv->box_pk, sizeof(sv->box_pk));
	if ((r = signerd_policy_put_facts(sv, &w)) != 0) {
		msg_w_free(&w);
		signerd_vault_lock(sv);
		return r;
	}
	sv->unlocked = 1;
	return chan_queue(c, &w);
}

static int
printable(const uint8_t *p, size_t len, size_t max)
{
	size_t	i;

	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * An invitation code as listings show it: its length, and its first
 * character only when that is at most one in INVITE_SHOWN_MIN of it.  A
 * shorter code shows nothing of itself (the first of one, two or three
 * characters is much of the code, or all of it).
 */
static void
invite_mask(const uint8_t *p, size_t len, char *out, size_t outlen)
{
	if (len >= INVITE_SHOWN_MIN)
		snprintf(out, outlen, "%c**** (%zu characters)", p[0], len);
	else
		snprintf(out, outlen, "***** (%zu character%s)", len,
		    len == 1 ? "" : "s");
}

/* A short public fingerprint of a secret, for listings. */
static void
fingerprint(const uint8_t *p, size_t len, char out[17])
{
	uint8_t	h[8];

	crypto_generichash(h, sizeof(h), p, len,
	    (const uint8_t *)"clobvault-fp", 12);
	hex_encode(h, sizeof(h), out);
}

/*
 * Check a credential payload "secret NUL passphrase" and fingerprint its
 * decoded secret.  The payload is in vaultd's frame, wiped with it.
 */
static int
check_cred(const uint8_t *p, size_t len, char fp[17])
{
	struct secret	key;
	const uint8_t	*nul;
	size_t		 slen, klen;
	char		 text[256];
	int		 r;

	len = vault_fmt_cred_len(p, len, NULL);
	if ((nul = memchr(p, 0, len)) == NULL)
		return CV_ERR_INVALID;
	slen = (size_t)(nul - p);
	if (slen == 0 || slen >= sizeof(text) ||
	    !printable(nul + 1, len - slen - 1, PASSPHRASE_MAX))
		return CV_ERR_INVALID;
	if ((r = secret_alloc(&key, CLOB_HMAC_KEY_MAX)) != 0)
		return r;
	/* the decoder wants a C string: a stack copy, wiped below */
	memcpy(text, p, slen);
	text[slen] = '\0';
	r = clob_hmac_key_decode(text, key.p, key.len, &klen);
	sodium_memzero(text, sizeof(text));
	if (r == 0)
		fingerprint(key.p, klen, fp);
	secret_free(&key);
	return r == 0 ? 0 : CV_ERR_INVALID;
}

/* An Omnia key body's public facts: "FINGERPRINT[ permissions a,b]". */
static int
omnia_info(const uint8_t *p, size_t len, char *info, size_t infolen)
{
	char	perms[INFO_MAX];
	int	r;

	if ((r = signerd_omnia_check(p, len, info, perms,
	    sizeof(perms))) != 0)
		return r;
	if (perms[0] != '\0' && (size_t)snprintf(info + 16, infolen - 16,
	    " permissions %s", perms) >= infolen - 16)
		return CV_ERR_TOOLONG;
	return 0;
}

static int
has_account(const struct vault *v, const char *account)
{
	return vault_find_record(v, VAULT_REC_ACCOUNT, account, "") >= 0;
}

/*
 * 1 if the account holds anything but its own record: a key, a code, a
 * gateway client, a rotation's entry.  Its removal destroys them all.
 */
static int
account_holds(const struct vault *v, const char *account)
{
	size_t	i;

	for (i = 0; i < v->nrecs; i++)
		if (v->recs[i].type != VAULT_REC_ACCOUNT &&
		    strcmp(v->recs[i].account, account) == 0)
			return 1;
	return 0;
}

/* 1 if the account has a rotation's journal entry. */
static int
rotation_of(const struct vault *v, const char *account)
{
	size_t	i;

	for (i = 0; i < v->nrecs; i++)
		if (v->recs[i].type == VAULT_REC_ROTATION &&
		    strcmp(v->recs[i].account, account) == 0)
			return 1;
	return 0;
}

/* The key id of the credential of that kind, account and nonce, or NULL. */
static const char *
nonce_holder(const struct vault *v, uint8_t type, const char *account,
    uint64_t nonce)
{
	size_t	i;

	for (i = 0; i < v->nrecs; i++)
		if (v->recs[i].type == type && v->recs[i].nonce == nonce &&
		    strcmp(v->recs[i].account, account) == 0)
			return v->recs[i].key_id;
	return NULL;
}

/* Refuse a second credential of the same kind, account and nonce. */
static int
nonce_taken(const struct vault *v, uint8_t type, const char *account,
    uint64_t nonce)
{
	return nonce_holder(v, type, account, nonce) != NULL;
}

/*
 * The flags a new credential of type starts with: the account's first API
 * or builder key becomes its active one; a later one waits for `apikey
 * use` (rotation switches explicitly).
 */
static uint8_t
first_active(const struct vault *v, uint8_t type, const char *account)
{
	size_t	i;

	if (type != VAULT_REC_API_CRED && type != VAULT_REC_BUILDER_CRED)
		return 0;
	for (i = 0; i < v->nrecs; i++)
		if (v->recs[i].type == type &&
		    strcmp(v->recs[i].account, account) == 0)
			return 0;
	return VAULT_RECF_ACTIVE;
}

/*
 * Set or clear VAULT_RECF_ACTIVE on record k of pv, sealing its body anew
 * (the flags are authenticated with it).  k must stay valid: the record
 * is replaced where it is.
 */
static int
set_active(struct vault *pv, const struct vault_keys *keys, size_t k,
    int on)
{
	struct vault_rec	*rec = &pv->recs[k];
	struct vault_rec	 nrec;
	struct secret		 pt;
	int			 r;

	if (((rec->flags & VAULT_RECF_ACTIVE) != 0) == (on != 0))
		return 0;
	if ((r = vault_crypto_open(keys, &pv->hdr, rec, &pt)) != 0)
		return r;
	memset(&nrec, 0, sizeof(nrec));
	nrec.type = rec->type;
	nrec.flags = on ? rec->flags | VAULT_RECF_ACTIVE :
	    rec->flags & ~VAULT_RECF_ACTIVE;
	memcpy(nrec.account, rec->account, sizeof(nrec.account));
	memcpy(nrec.key_id, rec->key_id, sizeof(nrec.key_id));
	nrec.nonce = rec->nonce;
	r = vault_crypto_seal(keys, &pv->hdr, &nrec, pt.p, pt.len);
	secret_free(&pt);
	if (r != 0)
		return r;
	free(rec->body);
	*rec = nrec;		/* its sealed body now the record's */
	return 0;
}

/*
 * The changes only the vault credential's holder makes, as a policy
 * change: a gateway client added or removed (rules name clients by
 * name, so a name given again would take over the old client's
 * allowances), a key or an invitation code removed (del_gated), an
 * account removed with what it holds (its clients too), and an
 * account's URL, CA file or pin changed (where its signed headers and
 * its gateway traffic go, and whom they trust).
 * The credential, when one was given, is checked whatever the change.
 * 0, or signerd_cred_check's refusal.
 */
static int
cred_gate(struct signerd_vault *sv, const struct vault_cred *cred, int needed)
{
	if (!needed && cred->len == 0)
		return 0;
	return signerd_cred_check(sv, cred);
}

/*
 * 1 if removing the record takes the vault's credential: a gateway
 * client (the policy names it), a secret nothing brings back (a wallet
 * key, an API or builder key, an invitation code, which is good once),
 * an account that holds anything (all of that goes with it).  An API or
 * builder key gone at the exchange goes without: vaultd removes the
 * copy a call deleted there (vaultd_call.c), which is dead.  A
 * rotation's journal entry holds no secret.
 */
static int
del_gated(const struct vault *v, uint8_t type, const char *account,
    int gone)
{
	switch (type) {
	case VAULT_REC_CLIENT:
	case VAULT_REC_WALLET_KEY:
	case VAULT_REC_INVITE:
		return 1;
	case VAULT_REC_API_CRED:
	case VAULT_REC_BUILDER_CRED:
		return !gone;
	case VAULT_REC_ACCOUNT:
		return account_holds(v, account);
	}
	return 0;
}

static int
vault_put(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred cred;
	struct secret	 key;
	const uint8_t	*payload;
	uint8_t		 addr[ETH_ADDR_LEN];
	uint64_t	 type, nonce;
	size_t		 len;
	char		 account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	char		 info[INFO_MAX];
	long		 k;
	int		 r, bearer, needed = 0;

	memset(&key, 0, sizeof(key));
	info[0] = '\0';
	if ((r = msg_get_u64(&m->rd, &type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0 ||
	    (r = msg_get_u64(&m->rd, &nonce)) != 0 ||
	    (r = msg_get_bin(&m->rd, &payload, &len, VAULT_MAX_BODY)) != 0 ||
	    (r = sv_get_cred(&m->rd, &cred)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* names beginning with '@' are the vault's own (POLICY_ACCOUNT) */
	if (!vault_fmt_name_valid(account, strlen(account)) ||
	    account[0] == '@')
		return CV_ERR_INVALID;
	if (type != VAULT_REC_ACCOUNT && !has_account(&sv->v, account))
		return CV_ERR_NOTFOUND;
	switch (type) {
	case VAULT_REC_ACCOUNT:
		/* it goes out again as a msgpack string: text, or refused */
		if (len == 0 || key_id[0] != '\0' || !utf8_valid(payload, len))
			return CV_ERR_INVALID;
		/*
		 * A new account is revision 0; an update names the revision
		 * after the one it read, so two updates cannot cross.
		 */
		if ((k = vault_find_record(&sv->v, VAULT_REC_ACCOUNT, account,
		    "")) < 0 ? nonce != 0 : nonce != sv->v.recs[k].nonce + 1)
			return CV_ERR_EXISTS;
		if (k >= 0 && (r = signerd_account_same_profile(sv, account,
		    payload, len)) != 0)
			return r;
		if (k >= 0 && (needed = signerd_account_route_same(sv, account,
		    payload, len)) < 0)
			return needed;
		needed = k >= 0 && !needed;
		snprintf(info, sizeof(info), "%s", account);
		break;
	case VAULT_REC_WALLET_KEY:
		if (vault_find_record(&sv->v, type, account, "") >= 0)
			return CV_ERR_EXISTS;
		if (key_id[0] != '\0' || (len != 0 && len != 32))
			return CV_ERR_INVALID;
		if ((r = secret_alloc(&key, 32)) != 0)
			return r;
		if (len == 32)
			memcpy(key.p, payload, 32);
		else
			do
				randombytes_buf(key.p, 32);
			while (secp_seckey_check(signerd_secp, key.p) != 0);
		if ((r = secp_address(signerd_secp, key.p, addr)) != 0) {
			r = CV_ERR_INVALID;	/* not a valid scalar */
			goto out;
		}
		eth_address_eip55(addr, info);
		payload = key.p;
		len = key.len;
		break;
	case VAULT_REC_API_CRED:
	case VAULT_REC_BUILDER_CRED:
		if (!vault_fmt_name_valid(key_id, strlen(key_id)))
			return CV_ERR_INVALID;
		if (vault_find_record(&sv->v, (uint8_t)type, account,
		    key_id) >= 0)
			return CV_ERR_EXISTS;
		/* when a key was stored is ours to say (sv_put_record) */
		if (vault_fmt_cred_len(payload, len, NULL) != len)
			return CV_ERR_INVALID;
		/* an Omnia key: its own shape; numbered in order */
		if (type == VAULT_REC_API_CRED &&
		    (bearer = signerd_account_bearer(sv, account)) != 0) {
			if (bearer < 0)
				return bearer;
			/* what the listing will show must fit it */
			if ((r = omnia_info(payload, len, info,
			    VAULT_MAX_INFO_LIST - 24)) != 0)
				return r;
			for (nonce = 0; nonce_taken(&sv->v, (uint8_t)type,
			    account, nonce); nonce++)
				;
			break;
		}
		if (nonce_taken(&sv->v, (uint8_t)type, account, nonce))
			return CV_ERR_EXISTS;
		if ((r = check_cred(payload, len, info)) != 0)
			return r;
		break;
	case VAULT_REC_INVITE:
		if (key_id[0] != '\0' || !printable(payload, len, INVITE_MAX))
			return CV_ERR_INVALID;
		invite_mask(payload, len, info, sizeof(info));
		break;
	case VAULT_REC_CLIENT:
		if ((r = signerd_client_put_check(sv, account, key_id,
		    payload, len, info, sizeof(info))) != 0)
			return r;
		needed = 1;
		break;
	case VAULT_REC_ROTATION:
		/*
		 * A rotation's journal entry: not secret, vaultd checked its
		 * fields.  Its nonce is its revision, as an account's: a new
		 * one is 0, each step puts it again at exactly the next.
		 */
		if (!vault_fmt_name_valid(key_id, strlen(key_id)) ||
		    !vault_fmt_journal_valid(payload, len))
			return CV_ERR_INVALID;
		if ((k = vault_find_record(&sv->v, VAULT_REC_ROTATION, account,
		    key_id)) < 0 ? nonce != 0 : nonce != sv->v.recs[k].nonce + 1)
			return CV_ERR_EXISTS;
		/*
		 * One rotation of an account at a time: vaultctl looks
		 * first, and two started at once meet here, the second
		 * refused before its first exchange call.
		 */
		if (k < 0 && rotation_of(&sv->v, account))
			return CV_ERR_EXISTS;
		snprintf(info, sizeof(info), "%.*s", (int)len,
		    (const char *)payload);
		break;
	default:
		return CV_ERR_INVALID;
	}
	if ((r = cred_gate(sv, &cred, needed)) != 0)
		goto out;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		goto out;
	if ((r = sv_put_record(&sv->pv, &sv->keys, (uint8_t)type,
	    first_active(&sv->v, (uint8_t)type, account), account, key_id,
	    nonce, payload, len)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_PUT_ANS, m->id, &sv->keys,
	    info)) != 0)
		vault_free(&sv->pv);
 out:
	secret_free(&key);
	return r;
}

static int
vault_del(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred cred;
	uint64_t	type;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	size_t		i, n = 0, last = 0;
	long		k;
	int		r, active, gone;

	if ((r = msg_get_u64(&m->rd, &type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0 ||
	    (r = sv_get_cred(&m->rd, &cred)) != 0 ||
	    (r = msg_get_bool(&m->rd, &gone)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* only an API or builder key is ever deleted at the exchange */
	if (gone && type != VAULT_REC_API_CRED &&
	    type != VAULT_REC_BUILDER_CRED)
		fatalx("%s: gone, of a record of type %llu",
		    msg_name(m->type), (unsigned long long)type);
	if (type == VAULT_REC_AUDIT_KEY || type == VAULT_REC_POLICY ||
	    type == 0 || type > VAULT_REC_MAX)
		return CV_ERR_INVALID;
	if (vault_find_record(&sv->v, (uint8_t)type, account, key_id) < 0)
		return CV_ERR_NOTFOUND;
	if ((r = cred_gate(sv, &cred, del_gated(&sv->v, (uint8_t)type,
	    account, gone))) != 0)
		return r;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		return r;
	if (type == VAULT_REC_ACCOUNT) {
		/* an account goes with everything it holds */
		for (i = sv->pv.nrecs; i-- > 0; )
			if (strcmp(sv->pv.recs[i].account, account) == 0 &&
			    sv->pv.recs[i].type != VAULT_REC_AUDIT_KEY &&
			    sv->pv.recs[i].type != VAULT_REC_POLICY &&
			    (r = vault_del_record(&sv->pv, i)) != 0)
				goto fail;
	} else {
		if ((k = vault_find_record(&sv->pv, (uint8_t)type, account,
		    key_id)) < 0)
			goto fail;
		active = (sv->pv.recs[k].flags & VAULT_RECF_ACTIVE) != 0;
		if ((r = vault_del_record(&sv->pv, (size_t)k)) != 0)
			goto fail;
		/* the active key gone: the only one left, else none */
		for (i = 0, n = 0; active && i < sv->pv.nrecs; i++)
			if (sv->pv.recs[i].type == type &&
			    strcmp(sv->pv.recs[i].account, account) == 0) {
				last = i;
				n++;
			}
		if (n == 1 && (r = set_active(&sv->pv, &sv->keys, last,
		    1)) != 0)
			goto fail;
	}
	if ((r = sv_seal_and_answer(sv, c, MSG_VAULT_DEL_ANS, m->id, &sv->keys,
	    NULL)) == 0)
		return 0;
 fail:
	vault_free(&sv->pv);
	return r != 0 ? r : CV_ERR_INTERNAL;
}

/*
 * The permissions a create's key is recorded with: each one the answer
 * names must have been asked for (asked: "a,b", which vaultd checked
 * against the policy's ceiling before the call; "" when the create
 * asked for none), and an answer that names none made the key it was
 * asked for.
 */
static int
perms_granted(char *perms, size_t permslen, const char *asked)
{
	char	got[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	char	want[NETCALL_PERMS_MAX][NETCALL_PERM_MAX + 1];
	size_t	ng, nw, i, j;

	if (netcall_perms_split(asked, want, &nw) != 0 ||
	    netcall_perms_split(perms, got, &ng) != 0)
		return CV_ERR_INVALID;
	if (ng == 0)
		return (size_t)snprintf(perms, permslen, "%s", asked) <
		    permslen ? 0 : CV_ERR_TOOLONG;
	for (i = 0; i < ng; i++) {
		for (j = 0; j < nw; j++)
			if (strcmp(got[i], want[j]) == 0)
				break;
		if (j == nw)
			return CV_ERR_PERMISSIONS;
	}
	return 0;
}

/*
 * An Omnia key the exchange returned (id, body "secret NUL permissions"):
 * a new one (create), held to the permissions asked for, or with replace
 * the new secret of that key (rotate), which keeps its flags, nonce and
 * permissions -- one sealed change.  info: "id NUL fingerprint" on
 * success.
 */
static int
omnia_store(struct signerd_vault *sv, const char *account,
    const char *replace, const char *asked, char *info, const uint8_t *body,
    size_t len, struct chan *c, uint32_t id)
{
	struct secret	 nb, old;
	const uint8_t	*nul;
	char		 perms[INFO_MAX], fp[17];
	uint64_t	 nonce;
	uint8_t		 flags;
	size_t		 slen, plen;
	long		 k;
	int		 r;

	memset(&nb, 0, sizeof(nb));
	memset(&old, 0, sizeof(old));
	if ((r = signerd_omnia_check(body, len, fp, perms,
	    sizeof(perms))) != 0)
		return r;
	k = vault_find_record(&sv->v, VAULT_REC_API_CRED, account, info);
	if (replace[0] == '\0') {
		if (k >= 0)
			return CV_ERR_EXISTS;
		if ((r = perms_granted(perms, sizeof(perms), asked)) != 0)
			return r;
		flags = first_active(&sv->v, VAULT_REC_API_CRED, account);
		for (nonce = 0; nonce_taken(&sv->v, VAULT_REC_API_CRED,
		    account, nonce); nonce++)
			;
	} else {
		/* only the key named, which must be there */
		if (strcmp(replace, info) != 0 || asked[0] != '\0')
			return CV_ERR_INVALID;
		if (k < 0)
			return CV_ERR_NOTFOUND;
		flags = sv->v.recs[k].flags;
		nonce = sv->v.recs[k].nonce;
		if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr,
		    &sv->v.recs[k], &old)) != 0)
			return r;
		/* the key keeps its permissions: netd seals none */
		if (perms[0] != '\0') {
			r = CV_ERR_INVALID;
			goto out;
		}
		if ((r = signerd_omnia_check(old.p, old.len, NULL, perms,
		    sizeof(perms))) != 0)
			goto out;
	}
	nul = memchr(body, 0, len);
	slen = (size_t)(nul - body);
	plen = strlen(perms);
	if ((r = secret_alloc(&nb, slen + 1 + plen)) != 0)
		goto out;
	memcpy(nb.p, body, slen + 1);
	memcpy(nb.p + slen + 1, perms, plen);
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		goto out;
	if (k >= 0 && (r = vault_del_record(&sv->pv, (size_t)k)) != 0) {
		vault_free(&sv->pv);
		goto out;
	}
	snprintf(info + strlen(info) + 1, 17, "%s", fp);
	if ((r = sv_put_record(&sv->pv, &sv->keys, VAULT_REC_API_CRED, flags,
	    account, info, nonce, nb.p, nb.len)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_STORE_ANS, id,
	    &sv->keys, info)) != 0)
		vault_free(&sv->pv);
 out:
	secret_free(&nb);
	secret_free(&old);
	return r;
}

/*
 * A credential the exchange returned, sealed by netd to our box key:
 * "key id NUL secret NUL passphrase".  vaultd passes the box without
 * reading it; we check it like an import and seal it into the vault.
 */
static int
vault_store(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct secret	 pt;
	const uint8_t	*box, *nul;
	const char	*held;
	uint64_t	 type, nonce;
	size_t		 len, idlen;
	char		 account[VAULT_MAX_NAME + 1];
	char		 replace[VAULT_MAX_NAME + 1];
	char		 asked[NETCALL_PERMS_MAX * (NETCALL_PERM_MAX + 1)];
	char		 info[VAULT_MAX_NAME + 1 + 17];
	int		 r, bearer;

	memset(&pt, 0, sizeof(pt));
	info[0] = '\0';
	if ((r = msg_get_u64(&m->rd, &type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_u64(&m->rd, &nonce)) != 0 ||
	    (r = msg_get_bin(&m->rd, &box, &len, VAULT_MAX_BODY)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, replace, sizeof(replace))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, asked, sizeof(asked))) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (type != VAULT_REC_API_CRED && type != VAULT_REC_BUILDER_CRED)
		return CV_ERR_INVALID;
	if (!has_account(&sv->v, account))
		return CV_ERR_NOTFOUND;
	if ((bearer = signerd_account_bearer(sv, account)) < 0)
		return bearer;
	if (replace[0] != '\0' && (!bearer || type != VAULT_REC_API_CRED))
		return CV_ERR_INVALID;
	/* only an Omnia create names what it asked for (maybe nothing) */
	if (asked[0] != '\0' && (!bearer || replace[0] != '\0'))
		return CV_ERR_INVALID;
	if (len <= crypto_box_SEALBYTES)
		return CV_ERR_INVALID;
	if ((r = secret_alloc(&pt, len - crypto_box_SEALBYTES)) != 0)
		return r;
	secret_unlock(&sv->box_sk);
	r = crypto_box_seal_open(pt.p, box, len, sv->box_pk, sv->box_sk.p);
	secret_lock(&sv->box_sk);
	if (r != 0) {
		r = CV_ERR_TAMPERED;
		goto out;
	}
	r = CV_ERR_INVALID;
	if ((nul = memchr(pt.p, 0, pt.len)) == NULL)
		goto out;
	idlen = (size_t)(nul - pt.p);
	if (idlen == 0 || idlen > VAULT_MAX_NAME)
		goto out;
	memcpy(info, pt.p, idlen);
	info[idlen] = '\0';
	if (!vault_fmt_name_valid(info, idlen))
		goto out;
	/* when a key was stored is ours to say, never netd's */
	if (vault_fmt_cred_len(nul + 1, pt.len - idlen - 1, NULL) !=
	    pt.len - idlen - 1)
		goto out;
	if (bearer) {
		r = omnia_store(sv, account, replace, asked, info, nul + 1,
		    pt.len - idlen - 1, c, m->id);
		goto out;
	}
	if ((r = check_cred(nul + 1, pt.len - idlen - 1,
	    info + idlen + 1)) != 0)
		goto out;
	if (vault_find_record(&sv->v, (uint8_t)type, account, info) >= 0) {
		r = CV_ERR_EXISTS;
		goto out;
	}
	/* builder keys carry no exchange nonce: number them in order */
	if (type == VAULT_REC_BUILDER_CRED)
		for (nonce = 0; nonce_taken(&sv->v, (uint8_t)type, account,
		    nonce); nonce++)
			;
	else if ((held = nonce_holder(&sv->v, (uint8_t)type, account,
	    nonce)) != NULL) {
		/* the refusal names the key the vault holds at that nonce */
		snprintf(info, sizeof(info), "%s", held);
		r = CV_ERR_EXISTS;
		goto out;
	}
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		goto out;
	if ((r = sv_put_record(&sv->pv, &sv->keys, (uint8_t)type,
	    first_active(&sv->v, (uint8_t)type, account), account, info,
	    nonce, nul + 1, pt.len - idlen - 1)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_STORE_ANS, m->id,
	    &sv->keys, info)) != 0)
		vault_free(&sv->pv);
 out:
	secret_free(&pt);
	/*
	 * A key refused for what it is: the refusal's text is a key id
	 * (not secret: a listing shows it), for vaultd to name rather than
	 * the id netd said: the box's, or the key the vault holds at the
	 * box's nonce.
	 */
	if ((r == CV_ERR_EXISTS || r == CV_ERR_PERMISSIONS) &&
	    info[0] != '\0') {
		if (msg_error_ans(c, m->id, r, info) != 0)
			fatalx("cannot answer %s", msg_name(m->type));
		r = 0;
	}
	return r;
}

/*
 * Set a record's flags: an invitation code marked used, or an API or
 * builder key made its account's active one, the flag taken off the
 * others of its kind in the same sealed change.
 */
static int
vault_mark(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	const struct vault_rec	*rec;
	struct secret	pt;
	uint64_t	type, flags;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	size_t		i;
	long		k;
	int		r;

	if ((r = msg_get_u64(&m->rd, &type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0 ||
	    (r = msg_get_u64(&m->rd, &flags)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (!(type == VAULT_REC_INVITE && flags == VAULT_RECF_USED) &&
	    !((type == VAULT_REC_API_CRED || type == VAULT_REC_BUILDER_CRED) &&
	    flags == VAULT_RECF_ACTIVE))
		return CV_ERR_INVALID;
	if ((k = vault_find_record(&sv->v, (uint8_t)type, account,
	    key_id)) < 0)
		return CV_ERR_NOTFOUND;
	if (flags == VAULT_RECF_ACTIVE) {
		if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
			return r;
		for (i = 0; i < sv->pv.nrecs; i++)
			if (sv->pv.recs[i].type == type &&
			    strcmp(sv->pv.recs[i].account, account) == 0 &&
			    (r = set_active(&sv->pv, &sv->keys, i,
			    i == (size_t)k)) != 0)
				break;
		if (r != 0 || (r = sv_seal_and_answer(sv, c,
		    MSG_VAULT_MARK_ANS, m->id, &sv->keys, NULL)) != 0)
			vault_free(&sv->pv);
		return r;
	}
	rec = &sv->v.recs[k];
	/* the flags are authenticated: seal the body anew with them */
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0)
		return r;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) == 0 &&
	    ((r = sv_put_record(&sv->pv, &sv->keys, rec->type,
	    rec->flags | (uint8_t)flags, account, key_id, rec->nonce, pt.p,
	    pt.len)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_MARK_ANS, m->id, &sv->keys,
	    NULL)) != 0))
		vault_free(&sv->pv);
	secret_free(&pt);
	return r;
}

static int
vault_passwd(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred	oldc, newc;
	uint64_t		ops, mem;
	int			r, keyfile;

	if ((r = msg_get_bin(&m->rd, &oldc.p, &oldc.len, VAULT_MAX_PASS)) ||
	    (r = msg_get_bin(&m->rd, &newc.p, &newc.len, VAULT_MAX_PASS)) ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0 ||
	    (r = msg_get_u64(&m->rd, &ops)) != 0 ||
	    (r = msg_get_u64(&m->rd, &mem)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	oldc.keyfile = (sv->v.hdr.flags & VAULT_FLAG_KEYFILE) != 0;
	newc.keyfile = keyfile;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		return r;
	if ((r = vault_crypto_rewrap(&sv->pv.hdr, &oldc, &newc, ops,
	    mem)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_PASSWD_ANS, m->id,
	    &sv->keys, NULL)) != 0)
		vault_free(&sv->pv);
	return r;
}

/*
 * A new master key: the credential must unwrap the current one; every
 * record, of every type, is opened with the old keys and sealed with the
 * new (its clear header as it was), and the new master key is wrapped
 * under the same credential at the vault's cost.  The new keys wait in
 * pkeys until the commit; a write that fails drops them with the file.
 */
static int
vault_rekey(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred	 cred;
	struct vault_rec	*rec;
	struct secret		 pt;
	size_t			 i;
	int			 r;

	memset(&pt, 0, sizeof(pt));
	if ((r = sv_get_cred(&m->rd, &cred)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* a passphrase for a keyfile's vault, or the reverse: wrong too */
	if (!cred.keyfile != !(sv->v.hdr.flags & VAULT_FLAG_KEYFILE))
		return CV_ERR_BADPASS;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		return r;
	if ((r = vault_crypto_rekey(&sv->pv.hdr, &cred, &sv->pkeys)) != 0)
		goto out;
	for (i = 0; i < sv->pv.nrecs; i++) {
		rec = &sv->pv.recs[i];
		if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec,
		    &pt)) != 0)
			goto out;
		r = vault_crypto_seal(&sv->pkeys, &sv->pv.hdr, rec, pt.p,
		    pt.len);
		secret_free(&pt);
		if (r != 0)
			goto out;
	}
	r = sv_seal_and_answer(sv, c, MSG_VAULT_REKEY_ANS, m->id, &sv->pkeys,
	    NULL);
 out:
	secret_free(&pt);
	if (r != 0) {
		vault_free(&sv->pv);
		vault_keys_free(&sv->pkeys);
	}
	return r;
}

static void
vault_commit(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct msg_w	w;
	uint64_t	generation;
	int		written, r;

	if ((r = msg_get_u64(&m->rd, &generation)) != 0 ||
	    (r = msg_get_bool(&m->rd, &written)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if (generation != sv->pv.hdr.generation)
		fatalx("commit of generation %llu, pending %llu",
		    (unsigned long long)generation,
		    (unsigned long long)sv->pv.hdr.generation);
	if (written) {
		signerd_sign_forget(sv);
		vault_free(&sv->v);
		sv->v = sv->pv;
		memset(&sv->pv, 0, sizeof(sv->pv));
		if (sv->pending_create) {
			sv->keys = sv->pkeys;
			memset(&sv->pkeys, 0, sizeof(sv->pkeys));
			if (load_audit_key(sv) != 0)
				fatalx("new vault without its audit key");
			sv->unlocked = 1;
		} else if (sv->pkeys.s.p != NULL) {
			/* a rekey: the new keys are the file's now */
			vault_keys_free(&sv->keys);
			sv->keys = sv->pkeys;
			memset(&sv->pkeys, 0, sizeof(sv->pkeys));
		}
	} else {
		vault_free(&sv->pv);
		vault_keys_free(&sv->pkeys);
		if (sv->pending_create)
			secret_free(&sv->box_sk);
	}
	sv->pending = sv->pending_create = 0;
	msg_begin(&w, MSG_VAULT_COMMIT_ANS, m->id);
	if ((r = chan_queue(c, &w)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
}

/* The public fact a listing shows for one record. */
static int
record_info(struct signerd_vault *sv, const struct vault_rec *rec,
    char *info, size_t len)
{
	struct secret	pt;
	uint8_t		addr[ETH_ADDR_LEN];
	const uint8_t	*nul;
	int64_t		created;
	int		r;

	info[0] = '\0';
	/* one journal entry per account: the rest keep a listing small */
	if (rec->type != VAULT_REC_ROTATION && len > VAULT_MAX_INFO_LIST)
		len = VAULT_MAX_INFO_LIST;
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0)
		return r;
	switch (rec->type) {
	case VAULT_REC_ACCOUNT:	/* not secret: profile and URL */
		snprintf(info, len, "%.*s", (int)pt.len, (const char *)pt.p);
		break;
	case VAULT_REC_WALLET_KEY:
		if (secp_address(signerd_secp, pt.p, addr) == 0)
			eth_address_eip55(addr, info);
		break;
	case VAULT_REC_API_CRED:
	case VAULT_REC_BUILDER_CRED:
		if (rec->type == VAULT_REC_API_CRED &&
		    signerd_account_bearer(sv, rec->account) == 1)
			r = omnia_info(pt.p, pt.len, info, len);
		else if ((nul = memchr(pt.p, 0, pt.len)) != NULL)
			r = check_cred(pt.p, pt.len, info);
		else
			r = CV_ERR_CORRUPT;
		/* "FINGERPRINT[ permissions P] created=T" when it is known */
		(void)vault_fmt_cred_len(pt.p, pt.len, &created);
		if (r == 0 && created > 0)
			snprintf(info + strlen(info), len - strlen(info),
			    " %s%lld", VAULT_CREATED_TAG, (long long)created);
		break;
	case VAULT_REC_INVITE:
		invite_mask(pt.p, pt.len, info, len);
		if (rec->flags & VAULT_RECF_USED)
			snprintf(info + strlen(info), len - strlen(info),
			    ", used");
		break;
	case VAULT_REC_CLIENT:	/* the apiKey, never the secret */
		r = signerd_client_info(pt.p, pt.len, info, len);
		break;
	case VAULT_REC_ROTATION:	/* not secret: the journal entry */
		snprintf(info, len, "%.*s", (int)pt.len, (const char *)pt.p);
		break;
	}
	secret_free(&pt);
	return r;
}

static int
vault_list(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct msg_w	w;
	char		info[INFO_MAX];
	size_t		i, n = 0;
	int		r;

	for (i = 0; i < sv->v.nrecs; i++)
		n += sv->v.recs[i].type != VAULT_REC_AUDIT_KEY &&
		    sv->v.recs[i].type != VAULT_REC_POLICY;
	msg_begin(&w, MSG_VAULT_LIST_ANS, m->id);
	msg_put_array(&w, (uint32_t)n);
	for (i = 0; i < sv->v.nrecs; i++) {
		const struct vault_rec *rec = &sv->v.recs[i];

		if (rec->type == VAULT_REC_AUDIT_KEY ||
		    rec->type == VAULT_REC_POLICY)
			continue;
		if ((r = record_info(sv, rec, info, sizeof(info))) != 0) {
			msg_w_free(&w);
			return r;
		}
		msg_put_array(&w, 6);
		msg_put_u64(&w, rec->type);
		msg_put_u64(&w, rec->flags);
		msg_put_str(&w, rec->account);
		msg_put_str(&w, rec->key_id);
		msg_put_u64(&w, rec->nonce);
		msg_put_str(&w, info);
	}
	return chan_queue(c, &w);
}

/*
 * Sign a checkpoint line that names our audit key, a seq above the last
 * we signed and, as its gen, the generation of the file we seal now, and
 * seal the new anchor (its seq and the hash of the signed line) into
 * the vault header in the same change.  The generation is what lets a
 * rollback of either file show at the next unlock.
 */
static int
audit_sign(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct audit_rec	 rec;
	const char		*line;
	char			 buf[AUDIT_LINE_MAX + 1];
	size_t			 len, blen;
	uint64_t		 gen;
	int			 r;

	if ((r = msg_get_str(&m->rd, &line, &len, AUDIT_LINE_MAX)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	if ((r = audit_record_parse(line, len, &rec)) != 0 ||
	    strcmp(rec.op, AUDIT_OP_CHECKPOINT) != 0 ||
	    rec.seq <= sv->v.hdr.audit_seq ||
	    audit_rec_gen(&rec, &gen) != 0 ||
	    gen != sv->v.hdr.generation + 1)	/* as seal_and_answer sets */
		return CV_ERR_INVALID;
	secret_unlock(&sv->audit_sk);
	r = audit_checkpoint_sign(&rec, &sv->audit_sk);
	secret_lock(&sv->audit_sk);
	if (r != 0)
		return r;
	if ((r = audit_record_format(&rec, buf, sizeof(buf), &blen)) != 0)
		return r;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		return r;
	sv->pv.hdr.audit_seq = rec.seq;
	audit_chain_hash(buf, blen, sv->pv.hdr.audit_hash);
	if ((r = sv_seal_and_answer(sv, c, MSG_AUDIT_SIGN_ANS, m->id, &sv->keys,
	    rec.sig)) != 0)
		vault_free(&sv->pv);
	return r;
}

static void	vault_dispatch(struct signerd_vault *, struct chan *,
		    struct msg *);

/*
 * The keys are readable only while messages come: opened for the first
 * after a quiet time, closed again by signerd_vault_idle once none has
 * come for a while (signerd.c).  (A page-protection change costs a TLB
 * flush on every core signerd runs on; once per busy period keeps it off
 * the per-signature cost.)
 */
void
signerd_vault_dispatch(struct signerd_vault *sv, struct chan *c,
    struct msg *m)
{
	if (!sv->open) {
		secret_unlock(&sv->keys.s);
		secret_unlock(&sv->pkeys.s);
		secret_unlock(&sv->cache);
		secret_unlock(&sv->clients);
		sv->open = 1;
	}
	vault_dispatch(sv, c, m);
}

void
signerd_vault_idle(struct signerd_vault *sv)
{
	if (!sv->open)
		return;
	secret_lock(&sv->keys.s);
	secret_lock(&sv->pkeys.s);
	secret_lock(&sv->cache);
	secret_lock(&sv->clients);
	sv->open = 0;
}

static int
vault_lock_req(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct msg_w	w;

	signerd_vault_lock(sv);
	msg_begin(&w, MSG_VAULT_LOCK_ANS, m->id);
	return chan_queue(c, &w);
}

static int
vault_commit_req(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	vault_commit(sv, c, m);
	return 0;
}

/*
 * What vaultd may send, and when: the permission table of this channel.
 * W_LOCKED / W_UNLOCKED: the vault states it is permitted in; W_PENDING:
 * also while a change waits for its commit (only what reads the
 * committed vault); W_ONLY_PENDING: only then.  Anything else from
 * vaultd is a broken peer, and fatal.
 */
#define W_LOCKED	0x01
#define W_UNLOCKED	0x02
#define W_PENDING	0x04
#define W_ONLY_PENDING	0x08
static const struct {
	uint32_t	 type;
	unsigned	 when;
	int		(*handle)(struct signerd_vault *, struct chan *,
			    struct msg *);
} sv_perms[] = {
	{ MSG_VAULT_CREATE_REQ,	 W_LOCKED,		vault_create },
	{ MSG_VAULT_UNLOCK_REQ,	 W_LOCKED,		vault_unlock },
	{ MSG_VAULT_LOCK_REQ,	 W_LOCKED | W_UNLOCKED,	vault_lock_req },
	{ MSG_VAULT_COMMIT_REQ,	 W_LOCKED | W_UNLOCKED | W_ONLY_PENDING,
	    vault_commit_req },
	{ MSG_VAULT_PUT_REQ,	 W_UNLOCKED,		vault_put },
	{ MSG_VAULT_DEL_REQ,	 W_UNLOCKED,		vault_del },
	{ MSG_VAULT_STORE_REQ,	 W_UNLOCKED,		vault_store },
	{ MSG_VAULT_MARK_REQ,	 W_UNLOCKED,		vault_mark },
	{ MSG_VAULT_PASSWD_REQ,	 W_UNLOCKED,		vault_passwd },
	{ MSG_VAULT_REKEY_REQ,	 W_UNLOCKED,		vault_rekey },
	{ MSG_VAULT_LIST_REQ,	 W_UNLOCKED,		vault_list },
	{ MSG_AUDIT_SIGN_REQ,	 W_UNLOCKED,		audit_sign },
	{ MSG_VAULT_POLICY_REQ,	 W_UNLOCKED,		signerd_policy_put },
	{ MSG_VAULT_ACCOUNT_REQ, W_UNLOCKED | W_PENDING, signerd_account },
	{ MSG_SIGN_REQ,		 W_UNLOCKED | W_PENDING, signerd_sign },
	{ MSG_CLIENT_CHECK_REQ,	 W_UNLOCKED | W_PENDING, signerd_client_check },
};

static void
vault_dispatch(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	size_t		i;
	unsigned	when;
	int		r;

	for (i = 0; i < sizeof(sv_perms) / sizeof(sv_perms[0]); i++)
		if (sv_perms[i].type == m->type)
			break;
	if (i == sizeof(sv_perms) / sizeof(sv_perms[0]))
		fatalx("unexpected %s from vaultd", msg_name(m->type));
	when = sv_perms[i].when;
	if (!(when & (sv->unlocked ? W_UNLOCKED : W_LOCKED)))
		fatalx("%s while %s", msg_name(m->type),
		    sv->unlocked ? "unlocked" : "locked");
	if (sv->pending && !(when & (W_PENDING | W_ONLY_PENDING)))
		fatalx("%s while a change is pending", msg_name(m->type));
	if (!sv->pending && (when & W_ONLY_PENDING))
		fatalx("%s with nothing pending", msg_name(m->type));
	r = sv_perms[i].handle(sv, c, m);
	if (r != 0 && msg_error_ans(c, m->id, r, cv_strerror(r)) != 0)
		fatalx("cannot answer %s", msg_name(m->type));
}
