/*
 * The control requests on the vault (vaultctl init, unlock, lock, passwd,
 * rekey, put, del, list): each checks its fields and the vault's state,
 * answers what cannot start now, and starts the one vault operation in flight
 * (vaultd_vault.c), whose outcome answers the client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/eth.h"
#include "common/profile.h"
#include "common/rotation.h"
#include "common/url.h"
#include "common/vault_crypto.h"
#include "common/vault_fmt.h"
#include "policy/policy.h"
#include "vaultd/vaultd.h"

static const char	*op_what(uint32_t sent, uint8_t rtype, size_t plen);

int
vault_ctl_refuse(struct vaultd *vd, struct client *cl, struct msg *m, int need)
{
	const char	*why = NULL;
	int		 code = 0;

	if (vd->op.active) {
		code = CV_ERR_AGAIN;
		why = vd->op.sent == MSG_VAULT_UNLOCK_REQ && vd->op.client == 0 ?
		    "the vault is unlocking; retry in a moment" :
		    "another vault operation is in progress; retry";
	} else if (!child_ready(SIGNERD(vd))) {
		code = CV_ERR_AGAIN;	/* vaultctl retries for a while */
		why = VAULTD_SIGNERD_AGAIN;
	} else if (need == 1 && !vault_exists(vd)) {
		code = CV_ERR_NOTFOUND;
		why = "no vault yet: create one with vaultctl init";
	} else if (need == 2 && !vd->unlocked) {
		code = vault_exists(vd) ? CV_ERR_LOCKED : CV_ERR_NOTFOUND;
		why = vault_exists(vd) ? "the vault is locked: "
		    "unlock it with vaultctl unlock" :
		    "no vault yet: create one with vaultctl init";
	}
	if (why == NULL)
		return 0;
	control_error(vd, cl->serial, m->id, code, why);
	return 1;
}

static int
kdf_from_name(struct vaultd *vd, const char *name, uint64_t *ops,
    uint64_t *mem)
{
	enum vault_kdf_level	l;

	if (strcmp(name, "interactive") == 0)
		l = VAULT_KDF_INTERACTIVE;
	else if (strcmp(name, "moderate") == 0 || *name == '\0')
		l = VAULT_KDF_MODERATE;
	else if (strcmp(name, "sensitive") == 0)
		l = VAULT_KDF_SENSITIVE;
	else if (strcmp(name, "min") == 0 && vd->testmode)
		l = VAULT_KDF_MIN;	/* tests only: -T */
	else
		return CV_ERR_INVALID;
	return vault_kdf_params(l, ops, mem);
}

uint64_t
vault_kdf_work(struct vaultd *vd)
{
	return vd->kdf_ops * vd->kdf_mem;
}

int
vault_ctl_init(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*cred;
	size_t		 len;
	uint64_t	 ops, mem;
	uint32_t	 id;
	char		 kdf[16];
	int		 keyfile, r;

	if ((r = msg_get_bin(&m->rd, &cred, &len, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, kdf, sizeof(kdf))) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 0))
		return 0;
	if (vault_exists(vd)) {
		control_error(vd, cl->serial, m->id, CV_ERR_EXISTS,
		    "a vault already exists in CLOBVAULT_HOME");
		return 0;
	}
	/*
	 * Its file removed under it: signerd holds the vault, which the
	 * next write puts back; a new one would be made over the only copy.
	 */
	if (vd->unlocked) {
		control_error(vd, cl->serial, m->id, CV_ERR_EXISTS,
		    "the vault is unlocked, and its file is gone from "
		    "CLOBVAULT_HOME: vaultctl rekey writes it back; nothing "
		    "changed");
		return 0;
	}
	if (keyfile)
		ops = mem = 0;
	else if (kdf_from_name(vd, kdf, &ops, &mem) != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_USAGE,
		    "unknown --kdf: use interactive, moderate or sensitive");
		return 0;
	}
	vault_op_from(vd, cl, m);
	vd->op.what = "init";
	vd->op.kdf_work = ops * mem;
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_CREATE_REQ, id);
	msg_put_bin(&w, cred, len);
	msg_put_bool(&w, keyfile);
	msg_put_u64(&w, ops);
	msg_put_u64(&w, mem);
	msg_put_bin(&w, policy_default_text(), strlen(policy_default_text()));
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_CREATE_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}


int
vault_ctl_unlock(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*cred;
	size_t		 len;
	int		 keyfile, r;

	if ((r = msg_get_bin(&m->rd, &cred, &len, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 1))
		return 0;
	if (vd->unlocked) {
		msg_begin(&w, MSG_CTL_UNLOCK_ANS, m->id);
		msg_put_bool(&w, 1);
		control_answer(vd, cl->serial, &w);
		return 0;
	}
	if (vault_ctl_backoff(vd, cl, m))
		return 0;
	vault_unlock_start(vd, cl, m, cred, len, keyfile);
	return 0;
}

int
vault_ctl_backoff(struct vaultd *vd, struct client *cl, struct msg *m)
{
	int64_t	now = vaultd_now_ms();
	char	text[128];

	if (now >= vd->unlock_after_ms)
		return 0;
	snprintf(text, sizeof(text), "too many wrong passphrases; try again "
	    "in %lld s", (long long)(vd->unlock_after_ms - now + 999) / 1000);
	control_error(vd, cl->serial, m->id, CV_ERR_DENIED, text);
	return 1;
}

int
vault_ctl_lock(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;
	uint32_t	id;
	int		r;

	if (vault_ctl_refuse(vd, cl, m, 0))
		return 0;
	if (vaultd_sign_busy(vd) || vd->call.state != CALL_NONE) {
		control_error(vd, cl->serial, m->id, CV_ERR_AGAIN,
		    "signing requests or an exchange call in flight; retry");
		return 0;
	}
	if (!vd->unlocked) {
		msg_begin(&w, MSG_CTL_LOCK_ANS, m->id);
		msg_put_bool(&w, 1);
		control_answer(vd, cl->serial, &w);
		return 0;
	}
	vault_op_from(vd, cl, m);
	vd->op.what = "lock";
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_LOCK_REQ, id);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_LOCK_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

int
vault_ctl_passwd(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*oldc, *newc;
	size_t		 olen, nlen;
	uint64_t	 ops, mem, hops, hmem;
	uint32_t	 id;
	char		 kdf[16];
	int		 keyfile, r;

	if ((r = msg_get_bin(&m->rd, &oldc, &olen, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bin(&m->rd, &newc, &nlen, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, kdf, sizeof(kdf))) != 0)
		return r;
	/* a wrong old credential is slowed down as an unlock's is */
	if (vault_ctl_refuse(vd, cl, m, 2) || vault_ctl_backoff(vd, cl, m))
		return 0;
	/*
	 * The cost of the vault signerd unlocked, not of the file on disk:
	 * a header edited there (its checksum is unkeyed) would choose the
	 * cost the new passphrase is wrapped at.
	 */
	hops = vd->kdf_ops;
	hmem = vd->kdf_mem;
	/*
	 * A keyfile's vault (no Argon2id cost) is opened by the key vaultctl
	 * reads from the keyfile, always VAULT_KEYFILE_LEN bytes: anything
	 * else is a passphrase, which signerd could only call an invalid
	 * key.
	 */
	if (hops == 0 && olen != VAULT_KEYFILE_LEN) {
		control_error(vd, cl->serial, m->id, CV_ERR_BADPASS, "the vault "
		    "is unlocked by a keyfile, not a passphrase: give the "
		    "current one with --keyfile FILE (the new one with "
		    "--new-keyfile FILE or --new-passphrase-file FILE)");
		return 0;
	}
	/* no --kdf: the vault's cost stays (a keyfile's vault has none) */
	if (keyfile)
		ops = mem = 0;
	else if (*kdf == '\0' && hops != 0) {
		ops = hops;
		mem = hmem;
	} else if (kdf_from_name(vd, kdf, &ops, &mem) != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_USAGE,
		    "unknown --kdf: use interactive, moderate or sensitive");
		return 0;
	}
	vault_op_from(vd, cl, m);
	vd->op.what = "passwd";
	/* the old credential checked at the file's cost, the new one's */
	vd->op.kdf_work = hops * hmem + ops * mem;
	/* the audit record says whether the Argon2id cost changed */
	snprintf(vd->op.key_id, sizeof(vd->op.key_id), "%s",
	    ops == hops && mem == hmem ? "kdf-kept" : "kdf-changed");
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_PASSWD_REQ, id);
	msg_put_bin(&w, oldc, olen);
	msg_put_bin(&w, newc, nlen);
	msg_put_bool(&w, keyfile);
	msg_put_u64(&w, ops);
	msg_put_u64(&w, mem);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_PASSWD_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

/*
 * A new master key, every record resealed under it: signerd checks that
 * the credential unlocks the vault and keeps it (and its cost) as what
 * unlocks it.  The record count comes back with the written file.
 */
int
vault_ctl_rekey(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*cred;
	size_t		 len;
	uint32_t	 id;
	char		 text[160];
	int		 keyfile, r;

	if ((r = msg_get_bin(&m->rd, &cred, &len, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 2) || vault_ctl_backoff(vd, cl, m))
		return 0;
	/* the vault signerd holds has no Argon2id cost if a keyfile's */
	if (vault_cred_kind_wrong(vd->kdf_ops == 0, keyfile, 0, text,
	    sizeof(text))) {
		control_error(vd, cl->serial, m->id, CV_ERR_BADPASS, text);
		return 0;
	}
	vault_op_from(vd, cl, m);
	vd->op.what = "rekey";
	/* the credential checked, the new key wrapped: both at its cost */
	vd->op.kdf_work = 2 * vault_kdf_work(vd);
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_REKEY_REQ, id);
	msg_put_bin(&w, cred, len);
	msg_put_bool(&w, keyfile);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_REKEY_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

/* An account record's bytes: a listing (signerd's 512) shows it whole. */
#define ACCOUNT_JSON_MAX	511

/* "0x" and 40 hex digits, all lower case or with its EIP-55 checksum. */
static int
address_valid(const char *s)
{
	uint8_t	addr[ETH_ADDR_LEN];
	char	lower[ETH_ADDR_STRLEN], sum[ETH_ADDR_STRLEN];

	if (eth_address_parse(s, addr) != 0)
		return 0;
	eth_address_lower(addr, lower);
	eth_address_eip55(addr, sum);
	return strcmp(s, lower) == 0 || strcmp(s, sum) == 0;
}

/*
 * An account's record: {"profile": a known profile, "url": https://...
 * or http:// to loopback (the local test exchange), "ca_file", "pin",
 * and for a profile that signs orders "funder" (the order maker's
 * address) and "orders" (the EIP-712 order version: 1, or for
 * polymarket 1 or 2)}, the last four optional, nothing else.
 */
static int
account_valid(const uint8_t *p, size_t len, char *why, size_t whylen,
    char *prof, size_t proflen)
{
	const struct profile	*pr = NULL;
	json_t			*j, *orders = NULL, *age = NULL;
	json_error_t		 err;
	const char		*profile = NULL, *url = NULL, *ca = NULL;
	const char		*pin = NULL, *funder = NULL;
	json_int_t		 ov = 0;
	int			 ok = 0;

	if (len > ACCOUNT_JSON_MAX) {
		snprintf(why, whylen, "account record longer than %d bytes: "
		    "shorten the CA file's path or the pins",
		    ACCOUNT_JSON_MAX);
		return 0;
	}
	if ((j = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		snprintf(why, whylen, "account record is not JSON");
		return 0;
	}
	if (json_unpack(j, "{s:s, s:s, s?s, s?s, s?s, s?o, s?o !}",
	    "profile", &profile, "url", &url, "ca_file", &ca, "pin", &pin,
	    "funder", &funder, "orders", &orders, "max_key_age", &age) != 0)
		snprintf(why, whylen, "account record needs profile and url, "
		    "and may hold ca_file, pin, funder, orders and max_key_age "
		    "only");
	else if (age != NULL && (!json_is_integer(age) ||
	    json_integer_value(age) < 1 || json_integer_value(age) > 3650))
		snprintf(why, whylen, "max_key_age is days, 1 to 3650");
	else if ((pr = profile_find(profile)) == NULL)
		snprintf(why, whylen, "unknown profile %s: use openfish, "
		    "polymarket or omnia", profile);
	else if (url_check_strict(url, why, whylen) != 0)
		;	/* why says which rule of common/url.h */
	else if (ca != NULL && (strlen(ca) > 200 || ca[0] != '/'))
		snprintf(why, whylen, "the CA file path is too long or not "
		    "absolute");
	else if (pin != NULL && (strlen(pin) > 500 ||
	    strncmp(pin, "sha256//", 8) != 0))
		snprintf(why, whylen, "the pin must be sha256//BASE64 "
		    "(curl's pinned public key form)");
	else if ((funder != NULL || orders != NULL) &&
	    pr->auth != PROFILE_AUTH_CLOB)
		snprintf(why, whylen, "%s accounts sign no orders: no funder "
		    "or order version", profile);
	else if (funder != NULL && !address_valid(funder))
		snprintf(why, whylen, "the funder must be an Ethereum "
		    "address: 0x and 40 hex digits, all lower case or with its "
		    "EIP-55 checksum");
	else if (orders != NULL && (!json_is_integer(orders) ||
	    ((ov = json_integer_value(orders)) != 1 && (ov != 2 ||
	    strcmp(profile, "polymarket") != 0))))
		snprintf(why, whylen, "the order version must be 1, or for "
		    "polymarket 1 or 2");
	else {
		snprintf(prof, proflen, "%s", profile);
		ok = 1;
	}
	json_decref(j);
	return ok;
}

/* The profile vaultd knows account by (every account's, from unlock). */
static const char *
account_profile(struct vaultd *vd, const char *account)
{
	size_t	i;

	for (i = 0; i < vd->policy.nprofiles; i++)
		if (strcmp(vd->policy.profiles[i].account, account) == 0)
			return vd->policy.profiles[i].profile;
	return NULL;
}

/*
 * A rotation's journal entry (common/rotation.h): read back before it
 * goes in, so that every entry in the vault reads.  The connection that
 * writes it works for the rotation from then on: its actor carries the
 * rotation id, and so does every record made for it (audit show
 * --rotation ID).
 */
static int
journal_check(struct client *cl, const char *id, const uint8_t *p,
    size_t len, struct rotation *rot, char *why, size_t whylen)
{
	if (!rotation_id_valid(id)) {
		snprintf(why, whylen, "a rotation id is rot- and 12 hex "
		    "digits");
		return CV_ERR_INVALID;
	}
	if (!vault_fmt_journal_valid(p, len) ||
	    rotation_parse((const char *)p, len, rot, why, whylen) != 0) {
		if (why[0] == '\0')
			snprintf(why, whylen, "not a journal entry");
		return CV_ERR_INVALID;
	}
	snprintf(cl->actor, sizeof(cl->actor), "vaultctl:%u:%ld:%.16s",
	    (unsigned)cl->uid, (long)cl->pid, id);
	return 0;
}

static const char *const step_ops[ROT_NSTEPS] = {
	"rotate.create", "rotate.verify", "rotate.use", "rotate.delete",
	"rotate.done", "rotate.aborted",
};

/* Percent-encode the reason for the step record's path. */
static void
path_text(char *out, size_t outlen, const char *s)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			o = 0;

	for (; *s != '\0' && o + 4 < outlen; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
		    *s == '_')
			out[o++] = *s;
		else {
			out[o++] = '%';
			out[o++] = hex[(unsigned char)*s >> 4];
			out[o++] = hex[(unsigned char)*s & 15];
		}
	}
	out[o] = '\0';
}

/* What the step's record says, once the entry is on disk. */
static void
journal_step(struct vaultd *vd, const char *id, const struct rotation *rot)
{
	char	reason[3 * ROT_REASON_MAX + 1], note[3 * ROT_NOTE_MAX + 1];
	char	path[1400];

	path_text(reason, sizeof(reason), rot->reason);
	path_text(note, sizeof(note), rot->note);
	vd->op.step_op = step_ops[rot->step];
	snprintf(vd->op.step_key, sizeof(vd->op.step_key), "%s",
	    rot->step == ROT_CREATE || rot->step == ROT_DELETE ||
	    rot->new_key[0] == '\0' ? rot->old_key : rot->new_key);
	/* a long reason and note are cut to the audit log's path */
	snprintf(path, sizeof(path),
	    "/rotation/%s/%s?kind=%s&old=%s&new=%s&nonce=%llu&tries=%llu"
	    "&resumes=%llu&reason=%s&note=%s", id,
	    rotation_step_name(rot->step), rot->kind, rot->old_key,
	    rot->new_key, (unsigned long long)rot->nonce,
	    (unsigned long long)rot->tries, (unsigned long long)rot->resumes,
	    reason, note);
	snprintf(vd->op.step_path, sizeof(vd->op.step_path), "%.*s",
	    (int)(sizeof(vd->op.step_path) - 1), path);
}

int
vault_ctl_put(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*payload;
	const char	*old = NULL;
	size_t		 len;
	uint64_t	 type, nonce;
	uint32_t	 id;
	char		 account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	struct rotation	 rot;
	const uint8_t	*cred;
	size_t		 credlen;
	char		 why[256], prof[16] = "";
	int		 keyfile, r;

	if ((r = msg_get_u64(&m->rd, &type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, key_id, sizeof(key_id))) != 0 ||
	    (r = msg_get_u64(&m->rd, &nonce)) != 0 ||
	    (r = msg_get_bin(&m->rd, &payload, &len, VAULT_MAX_BODY)) != 0 ||
	    (r = msg_get_bin(&m->rd, &cred, &credlen, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0)
		return r;
	/* a credential given is tried as an unlock's is: slowed down */
	if (vault_ctl_refuse(vd, cl, m, 2) ||
	    (credlen > 0 && vault_ctl_backoff(vd, cl, m)))
		return 0;
	if (type == 0 || type == VAULT_REC_AUDIT_KEY ||
	    type == VAULT_REC_POLICY || type > VAULT_REC_MAX ||
	    !vault_fmt_name_valid(account, strlen(account)) ||
	    account[0] == '@') {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
		    "invalid record type or account name (letters, digits "
		    "and ._:@- only, not beginning with @)");
		return 0;
	}
	if (type == VAULT_REC_ACCOUNT && nonce > 0 && vd->probe_account_raw &&
	    (old = account_profile(vd, account)) != NULL) {
		/*
		 * -T probe account-raw: this one update of a known account
		 * goes to signerd unchecked here, as a record another
		 * version of vaultd let in (tests of an account that
		 * cannot sign); signerd still keeps its profile.
		 */
		vd->probe_account_raw = 0;
		snprintf(prof, sizeof(prof), "%s", old);
	} else if (type == VAULT_REC_ACCOUNT &&
	    !account_valid(payload, len, why, sizeof(why), prof,
	    sizeof(prof))) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID, why);
		return 0;
	}
	/*
	 * An account record put at a nonce above 0 is an update: signerd
	 * replaces the record at exactly its next revision, keeping the
	 * account's keys, which were made for its profile.
	 */
	if (type == VAULT_REC_ACCOUNT && nonce > 0 &&
	    (old = account_profile(vd, account)) == NULL) {
		snprintf(why, sizeof(why), "no account %s", account);
		control_error(vd, cl->serial, m->id, CV_ERR_NOTFOUND, why);
		return 0;
	}
	if (type == VAULT_REC_ACCOUNT && nonce > 0 && strcmp(old, prof) != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID, "the "
		    "profile of an account cannot change: remove the account "
		    "and add it again");
		return 0;
	}
	if (type == VAULT_REC_ROTATION &&
	    journal_check(cl, key_id, payload, len, &rot, why,
	    sizeof(why)) != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID, why);
		return 0;
	}
	vault_op_from(vd, cl, m);
	if (credlen > 0)		/* checked at the vault's cost */
		vd->op.kdf_work = vault_kdf_work(vd);
	if (type == VAULT_REC_ROTATION)
		journal_step(vd, key_id, &rot);
	snprintf(vd->op.profile, sizeof(vd->op.profile), "%s", prof);
	vd->op.what = type == VAULT_REC_ACCOUNT && nonce > 0 ?
	    "account update" : op_what(MSG_VAULT_PUT_REQ, (uint8_t)type, len);
	snprintf(vd->op.account, sizeof(vd->op.account), "%s", account);
	snprintf(vd->op.key_id, sizeof(vd->op.key_id), "%s", key_id);
	vd->op.rtype = (uint8_t)type;
	vd->op.nonce = nonce;
	/*
	 * signerd decides which changes take the credential (a client's
	 * record; an account's URL, CA file or pin) and checks it.
	 */
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_PUT_REQ, id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, payload, len);
	msg_put_bin(&w, cred, credlen);
	msg_put_bool(&w, keyfile);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_PUT_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

/* [type, account, key id]: the record a request names. */
static int
rec_ref_read(struct msg *m, uint64_t *type, char account[VAULT_MAX_NAME + 1],
    char key_id[VAULT_MAX_NAME + 1])
{
	int	r;

	if ((r = msg_get_u64(&m->rd, type)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, account, VAULT_MAX_NAME + 1)) != 0)
		return r;
	return msg_get_strbuf(&m->rd, key_id, VAULT_MAX_NAME + 1);
}

int
vault_ctl_del(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	const uint8_t	*cred;
	size_t		 credlen;
	uint64_t	 type;
	uint32_t	 id;
	char		 account[VAULT_MAX_NAME + 1];
	char		 key_id[VAULT_MAX_NAME + 1];
	int		 keyfile, r;

	if ((r = rec_ref_read(m, &type, account, key_id)) != 0 ||
	    (r = msg_get_bin(&m->rd, &cred, &credlen, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 2) ||
	    (credlen > 0 && vault_ctl_backoff(vd, cl, m)))
		return 0;
	if (type == 0 || type == VAULT_REC_AUDIT_KEY ||
	    type == VAULT_REC_POLICY || type > VAULT_REC_MAX) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
		    "invalid record type (the policy changes with vaultctl "
		    "policy apply)");
		return 0;
	}
	vault_op_from(vd, cl, m);
	if (credlen > 0)		/* checked at the vault's cost */
		vd->op.kdf_work = vault_kdf_work(vd);
	if (type == VAULT_REC_ACCOUNT)
		vaultd_audit_destroying(vd, account);
	vd->op.what = op_what(MSG_VAULT_DEL_REQ, (uint8_t)type, 0);
	vd->op.rtype = (uint8_t)type;
	snprintf(vd->op.account, sizeof(vd->op.account), "%s", account);
	snprintf(vd->op.key_id, sizeof(vd->op.key_id), "%s", key_id);
	snprintf(vd->op.info, sizeof(vd->op.info), "%s", key_id);
	/*
	 * signerd decides which removals take the credential (a client, a
	 * key or a code, an account holding any) and checks it.
	 */
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_DEL_REQ, id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_bin(&w, cred, credlen);
	msg_put_bool(&w, keyfile);
	/* the operator's word that a key is gone is no reason to believe */
	msg_put_bool(&w, 0);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_DEL_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

/*
 * apikey use / builder use: make key id the account's active key of its
 * kind, in one sealed change (MSG_VAULT_MARK_REQ with VAULT_RECF_ACTIVE),
 * audited as "apikey use" or "builder use" with the key id.
 */
int
vault_ctl_use(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;
	uint64_t	type;
	uint32_t	id;
	char		account[VAULT_MAX_NAME + 1], key_id[VAULT_MAX_NAME + 1];
	int		r;

	if ((r = rec_ref_read(m, &type, account, key_id)) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 2))
		return 0;
	if ((type != VAULT_REC_API_CRED && type != VAULT_REC_BUILDER_CRED) ||
	    !vault_fmt_name_valid(account, strlen(account)) ||
	    !vault_fmt_name_valid(key_id, strlen(key_id))) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
		    "an API or builder key of an account, by its key id");
		return 0;
	}
	vault_op_from(vd, cl, m);
	vd->op.what = type == VAULT_REC_API_CRED ? "apikey use" :
	    "builder use";
	vd->op.rtype = (uint8_t)type;
	snprintf(vd->op.account, sizeof(vd->op.account), "%s", account);
	snprintf(vd->op.key_id, sizeof(vd->op.key_id), "%s", key_id);
	snprintf(vd->op.info, sizeof(vd->op.info), "%s", key_id);
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_MARK_REQ, id);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_u64(&w, VAULT_RECF_ACTIVE);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_MARK_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

int
vault_ctl_list(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;
	uint32_t	id;
	int		r;

	if (vault_ctl_refuse(vd, cl, m, 2))
		return 0;
	vault_op_from(vd, cl, m);
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_LIST_REQ, id);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_LIST_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
	return 0;
}

static const char *
op_what(uint32_t sent, uint8_t rtype, size_t plen)
{
	int	put = sent == MSG_VAULT_PUT_REQ;

	switch (rtype) {
	case VAULT_REC_ACCOUNT:
		return put ? "account add" : "account remove";
	case VAULT_REC_WALLET_KEY:
		return put ? (plen ? "wallet import" : "wallet generate") :
		    "wallet remove";
	case VAULT_REC_API_CRED:
		return put ? "apikey import" : "apikey remove";
	case VAULT_REC_BUILDER_CRED:
		return put ? "builder import" : "builder remove";
	case VAULT_REC_INVITE:
		return put ? "invite set" : "invite clear";
	case VAULT_REC_CLIENT:
		return put ? "client add" : "client remove";
	case VAULT_REC_ROTATION:
		return put ? "rotate journal" : "rotate end";
	}
	return "vault change";
}
