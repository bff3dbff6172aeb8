/*
 * signerd's part in the policy: it keeps the policy record sealed in the
 * vault and changes it only for the operator's credential, presented
 * again.  It does not read the language: vaultd parses and checks the
 * text (libpolicy) before asking, and evaluates it.  What signerd
 * guarantees is that the text vaultd gets at unlock is the one the
 * credential's holder applied (the record is sealed and the file MACed),
 * at a version that only ever grows.  The same credential, presented
 * again, is what a change that would step around the policy takes
 * (signerd_cred_check): a gateway client's record, an account's URL,
 * CA file or pin, a key or an invitation code removed, an account
 * removed with what it holds.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "common/log.h"
#include "common/vault_fmt.h"
#include "signerd/signerd_vault.h"

/* The profile an account record names, or "" if it names none. */
static int
account_profile(struct signerd_vault *sv, const struct vault_rec *rec,
    char *out, size_t len)
{
	struct secret	 pt;
	json_t		*j;
	const char	*name;
	int		 r;

	out[0] = '\0';
	if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr, rec, &pt)) != 0)
		return r;
	j = json_loadb((const char *)pt.p, pt.len, JSON_REJECT_DUPLICATES,
	    NULL);
	if (j != NULL && json_unpack(j, "{s:s}", "profile", &name) == 0)
		snprintf(out, len, "%s", name);
	json_decref(j);
	secret_free(&pt);
	return 0;
}

int
signerd_policy_put_facts(struct signerd_vault *sv, struct msg_w *w)
{
	struct secret	 pt;
	uint64_t	 version = 0;
	size_t		 i, n = 0;
	long		 k;
	char		 profile[32];
	int		 r;

	memset(&pt, 0, sizeof(pt));
	k = vault_find_record(&sv->v, VAULT_REC_POLICY, POLICY_ACCOUNT, "");
	if (k >= 0) {
		if ((r = vault_crypto_open(&sv->keys, &sv->v.hdr,
		    &sv->v.recs[k], &pt)) != 0)
			return r;
		version = sv->v.recs[k].nonce;
	}
	msg_put_u64(w, version);
	msg_put_bin(w, pt.p, pt.len);
	secret_free(&pt);
	for (i = 0; i < sv->v.nrecs; i++)
		n += sv->v.recs[i].type == VAULT_REC_ACCOUNT;
	msg_put_array(w, (uint32_t)n);
	for (i = 0; i < sv->v.nrecs; i++) {
		if (sv->v.recs[i].type != VAULT_REC_ACCOUNT)
			continue;
		if ((r = account_profile(sv, &sv->v.recs[i], profile,
		    sizeof(profile))) != 0)
			return r;
		msg_put_array(w, 2);
		msg_put_str(w, sv->v.recs[i].account);
		msg_put_str(w, profile);
	}
	return 0;
}

int
signerd_cred_check(struct signerd_vault *sv, const struct vault_cred *cred)
{
	struct vault_keys	check;
	int			r;

	if (cred->len == 0)
		return CV_ERR_DENIED;
	/* unwrapping the master key proves it */
	if (cred->keyfile != ((sv->v.hdr.flags & VAULT_FLAG_KEYFILE) != 0))
		return CV_ERR_BADPASS;
	memset(&check, 0, sizeof(check));
	r = vault_crypto_unlock(&sv->v.hdr, cred, &check);
	vault_keys_free(&check);
	return r;
}

int
signerd_policy_put(struct signerd_vault *sv, struct chan *c, struct msg *m)
{
	struct vault_cred	 cred;
	const uint8_t		*text;
	uint64_t		 version, current = 0;
	size_t			 len;
	long			 k;
	int			 r;

	if ((r = sv_get_cred(&m->rd, &cred)) != 0 ||
	    (r = msg_get_u64(&m->rd, &version)) != 0 ||
	    (r = msg_get_bin(&m->rd, &text, &len, VAULT_MAX_POLICY)) != 0)
		fatalx("%s: %s", msg_name(m->type), cv_strerror(r));
	/* an empty one is wrong here, as it always was */
	if (cred.len == 0)
		return CV_ERR_BADPASS;
	if ((r = signerd_cred_check(sv, &cred)) != 0)
		return r;
	k = vault_find_record(&sv->v, VAULT_REC_POLICY, POLICY_ACCOUNT, "");
	if (k >= 0)
		current = sv->v.recs[k].nonce;
	if (version != current + 1 || len == 0)
		return CV_ERR_INVALID;
	if ((r = sv_vault_copy(&sv->v, &sv->pv)) != 0)
		return r;
	if ((r = sv_put_record(&sv->pv, &sv->keys, VAULT_REC_POLICY, 0,
	    POLICY_ACCOUNT, "", version, text, len)) != 0 ||
	    (r = sv_seal_and_answer(sv, c, MSG_VAULT_POLICY_ANS, m->id,
	    &sv->keys, NULL)) != 0)
		vault_free(&sv->pv);
	return r;
}
