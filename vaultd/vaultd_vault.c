/*
 * vaultd's side of the vault.  vaultd keeps only ciphertext: it reads the
 * vault file for signerd, writes what signerd seals, and keeps the state
 * (none, locked, unlocked) that decides which requests are permitted.
 * This file is the operation in flight and signerd's answers; the
 * control requests that start operations are in vaultd_vault_ctl.c.
 * One operation is in flight at a time; it continues when signerd answers:
 *
 *	vaultctl -> CTL_x_REQ -> vaultd -> VAULT_x_REQ -> signerd
 *	signerd -> VAULT_x_ANS (sealed file) -> vaultd writes it atomically
 *	vaultd -> VAULT_COMMIT_REQ (written or not) -> signerd -> _ANS
 *	vaultd -> audit record -> CTL_x_ANS -> vaultctl
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/log.h"
#include "common/secret_io.h"
#include "common/vault_crypto.h"
#include "vaultd/vaultd.h"

#define UNLOCK_BACKOFF_MAX_MS	30000


void
vault_setup(struct vaultd *vd)
{
	if ((size_t)snprintf(vd->vaultpath, sizeof(vd->vaultpath), "%s/vault",
	    vd->home) >= sizeof(vd->vaultpath) ||
	    (size_t)snprintf(vd->auditpath, sizeof(vd->auditpath),
	    "%s/audit.log", vd->home) >= sizeof(vd->auditpath))
		fatalx("CLOBVAULT_HOME path too long");
	/*
	 * A write that died before its rename left a whole copy of the
	 * vault, sealed under the credential of its day: a passphrase
	 * changed since would still open it.  Under the home lock no one
	 * else writes here; what never got renamed was never committed.
	 */
	if (vault_fmt_tmp_sweep(vd->home, "vault") == -1)
		fatal("%s", vd->home);
}

int
vault_exists(struct vaultd *vd)
{
	struct stat	st;

	return lstat(vd->vaultpath, &st) == 0;
}

/* An unlock is with signerd (its Argon2id may take seconds). */
static int
vault_unlocking(const struct vaultd *vd)
{
	return vd->op.active && vd->op.sent == MSG_VAULT_UNLOCK_REQ;
}

const char *
vault_state(struct vaultd *vd)
{
	if (vd->unlocked)
		return "unlocked";
	if (vault_unlocking(vd))
		return "unlocking";
	return vault_exists(vd) ? "locked" : "none";
}

int
vault_unlock_coming(struct vaultd *vd)
{
	if (vd->unlocked || !vd->unattended || vd->unattended_failed ||
	    !vault_exists(vd))
		return 0;
	return !child_ready(SIGNERD(vd)) || vault_unlocking(vd);
}

/* Who the operation in flight is for, on the audit log. */
static const char *
op_actor(const struct vaultd *vd)
{
	if (vd->op.actor[0] != '\0')
		return vd->op.actor;
	return vd->op.client ? "vaultctl" : "vaultd";
}

static void
op_clear(struct vaultd *vd)
{
	memset(&vd->op, 0, sizeof(vd->op));
}

/* Send w (built with id) to signerd as the operation in flight. */
int
vault_op_send(struct vaultd *vd, struct msg_w *w, uint32_t id, uint32_t sent)
{
	int	r;

	if ((r = child_send(SIGNERD(vd), w)) != 0) {
		log_warnx("cannot send %s to signerd: %s", msg_name(sent),
		    cv_strerror(r));
		return CV_ERR_NOTRUNNING;
	}
	vd->op.active = 1;
	vd->op.id = id;
	vd->op.sent = sent;
	vd->op.sent_ms = vd->now_ms;
	if (vd->op.client != 0)
		vault_op_wait_notice(vd, vd->op.client, vd->op.cl_id);
	return 0;
}

void
vault_op_wait_notice(struct vaultd *vd, uint64_t serial, uint32_t id)
{
	struct msg_w	w;

	if (!vault_deriving(vd))
		return;
	msg_begin(&w, MSG_CTL_WAIT, id);
	msg_put_u64(&w, (uint64_t)vault_derive_ms(vd));
	(void)control_answer(vd, serial, &w);
}

/* What follows an operation: whoever started it hears, a checkpoint. */
static void
op_next(struct vaultd *vd, int code, const char *text)
{
	char	info[sizeof(vd->op.info)], key_id[sizeof(vd->op.key_id)];
	void	(*done)(struct vaultd *, int, const char *, const char *) =
		    vd->op.done;
	int	own_unlock = vd->op.client == 0 && vd->op.what != NULL &&
		    strcmp(vd->op.what, "unlock") == 0;

	snprintf(info, sizeof(info), "%s", text);
	snprintf(key_id, sizeof(key_id), "%s", vd->op.key_id);
	op_clear(vd);
	if (done != NULL)
		done(vd, code, info, key_id);
	if (own_unlock)
		vaultd_unattended_done(vd, code, info);
	vaultd_audit_checkpoint(vd);
}

void
vault_op_fail(struct vaultd *vd, int code, const char *text)
{
	/* a write on disk whose commit signerd never answered: "written" */
	if (vd->op.what != NULL)
		vaultd_audit_outcome(vd, op_actor(vd),
		    vd->op.account, vd->op.what, vd->op.deny ? "deny" :
		    code == CV_ERR_ROLLBACK ? "rollback" :
		    vd->op.committing && vd->op.write_err == 0 ?
		    AUDIT_V_WRITTEN : AUDIT_V_FAIL, vd->op.key_id);
	if (vd->op.deny && vd->op.client)
		control_denied(vd, vd->op.client);
	if (vd->op.client)
		control_error(vd, vd->op.client, vd->op.cl_id, code, text);
	else if (vd->op.done == NULL)
		log_warnx("%s: %s", vd->op.what ? vd->op.what : "vault", text);
	op_next(vd, code, text);
}

static void
op_done(struct vaultd *vd, struct msg_w *ans)
{
	if (vd->op.what != NULL)
		vaultd_audit_outcome(vd, op_actor(vd),
		    vd->op.account, vd->op.what, AUDIT_V_OK, vd->op.key_id[0] ?
		    vd->op.key_id : vd->op.info);
	if (vd->op.step_op != NULL)
		vaultd_audit_path(vd, op_actor(vd), vd->op.account,
		    vd->op.step_op, AUDIT_V_OK, vd->op.step_key,
		    vd->op.step_path);
	if (vd->op.client)
		control_answer(vd, vd->op.client, ans);
	else {
		if (vd->op.what != NULL && vd->op.done == NULL)
			log_info("%s: done", vd->op.what);
		msg_w_free(ans);
	}
	op_next(vd, 0, vd->op.info);
}

int
vault_op_call(struct vaultd *vd, struct msg_w *w, uint32_t id, uint32_t sent,
    const char *what, const char *account, const char *key_id,
    void (*done)(struct vaultd *, int, const char *, const char *))
{
	op_clear(vd);
	vd->op.done = done;
	vd->op.what = what;
	snprintf(vd->op.account, sizeof(vd->op.account), "%s", account);
	snprintf(vd->op.key_id, sizeof(vd->op.key_id), "%s", key_id);
	return vault_op_send(vd, w, id, sent);
}

int
vault_file_key_id(struct vaultd *vd, uint8_t type, const char *account,
    char *out, size_t outlen)
{
	struct vault	 v;
	uint8_t		*buf = NULL;
	size_t		 len, i;
	int		 r;

	memset(&v, 0, sizeof(v));
	if ((r = vault_fmt_read(vd->vaultpath, &buf, &len)) != 0)
		return r;
	if ((r = vault_fmt_parse(buf, len, &v)) == 0) {
		r = CV_ERR_NOTFOUND;
		for (i = 0; i < v.nrecs; i++)
			if (v.recs[i].type == type &&
			    strcmp(v.recs[i].account, account) == 0) {
				snprintf(out, outlen, "%s", v.recs[i].key_id);
				r = 0;
				break;
			}
	}
	vault_free(&v);
	free(buf);
	return r;
}


void
vault_op_from(struct vaultd *vd, struct client *cl, struct msg *m)
{
	op_clear(vd);
	vd->op.client = cl ? cl->serial : 0;
	vd->op.cl_id = m ? m->id : 0;
	if (cl != NULL)
		snprintf(vd->op.actor, sizeof(vd->op.actor), "%s", cl->actor);
}

/*
 * What is wrong with the vault file itself, for the person who unlocks:
 * which file, what, and what to do (it is never changed by a refusal).
 * file and len are what was read, NULL when it was not.
 */
static void
file_fault(struct vaultd *vd, int code, const uint8_t *file, size_t len,
    char *text, size_t tlen)
{
	struct stat	st;

	if (code == CV_ERR_FORMAT_VERSION && file != NULL && len >= 10)
		snprintf(text, tlen, "the vault file %.200s is of format "
		    "version %u, and this vaultd reads version %u (%s): run "
		    "the clobvault that wrote it; the file is left as it is",
		    vd->vaultpath, (unsigned)(file[8] << 8 | file[9]),
		    (unsigned)VAULT_VERSION, cv_strerror(code));
	else if (code == CV_ERR_CORRUPT && file == NULL &&
	    stat(vd->vaultpath, &st) == 0)
		snprintf(text, tlen, "the vault file %.200s is larger than a "
		    "vault can be (%lld bytes, at most %d): put back a good "
		    "copy of it; the file is left as it is", vd->vaultpath,
		    (long long)st.st_size, VAULT_MAX_FILE);
	else
		snprintf(text, tlen, "the vault file %.200s is damaged (%s%s%zu "
		    "bytes): put back a good copy of it; the file is left as "
		    "it is", vd->vaultpath, cv_strerror(code), file != NULL ?
		    ", " : "", file != NULL ? len : (size_t)0);
}

void
vault_recs_sum(const struct vault *v, uint8_t out[32])
{
	crypto_generichash_state	 st;
	const struct vault_rec		*rec;
	uint8_t				 b[1 + 1 + 1 + VAULT_MAX_NAME + 1 +
					     VAULT_MAX_NAME + 8];
	size_t				 i, n, an, kn;
	int				 k;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, v->hdr.vault_id, VAULT_ID_LEN);
	b[0] = v->hdr.flags >> 8;
	b[1] = v->hdr.flags & 0xff;
	crypto_generichash_update(&st, b, 2);
	for (i = 0; i < v->nrecs; i++) {
		rec = &v->recs[i];
		an = strlen(rec->account);
		kn = strlen(rec->key_id);
		n = 0;
		b[n++] = rec->type;
		b[n++] = rec->flags;
		b[n++] = (uint8_t)an;
		memcpy(b + n, rec->account, an);
		n += an;
		b[n++] = (uint8_t)kn;
		memcpy(b + n, rec->key_id, kn);
		n += kn;
		for (k = 7; k >= 0; k--)
			b[n++] = (uint8_t)(rec->nonce >> (8 * k));
		crypto_generichash_update(&st, b, n);
	}
	crypto_generichash_final(&st, out, 32);
}

int
vault_cred_kind_wrong(int kf, int keyfile, int own, char *text, size_t len)
{
	if (!kf == !keyfile)
		return 0;
	snprintf(text, len, "the vault is unlocked by a %s, not a %s: give "
	    "it with %s", kf ? "keyfile" : "passphrase", kf ? "passphrase" :
	    "keyfile", kf ? (own ? "vaultd -k FILE" : "--keyfile FILE") :
	    (own ? "vaultd -p FILE" : "--passphrase-file FILE or at the "
	    "prompt"));
	return 1;
}

/* Start an unlock with cred; client 0 means vaultd unlocks itself. */
void
vault_unlock_start(struct vaultd *vd, struct client *cl, struct msg *m,
    const uint8_t *cred, size_t len, int keyfile)
{
	struct vault	 v;
	struct msg_w	 w;
	uint8_t		*file = NULL;
	size_t		 flen;
	uint32_t	 id;
	char		 text[400];
	int		 r, kf = 0;

	vault_op_from(vd, cl, m);
	vd->op.what = "unlock";
	if ((r = vault_fmt_read(vd->vaultpath, &file, &flen)) != 0) {
		if (r == CV_ERR_CORRUPT)
			file_fault(vd, r, NULL, 0, text, sizeof(text));
		else
			snprintf(text, sizeof(text), "cannot read %.100s: "
			    "%s%s", vd->vaultpath, cv_strerror(r),
			    r == CV_ERR_PERM ? " (fix it with: chmod 600 on "
			    "the vault file)" : "");
		vault_op_fail(vd, r, text);
		return;
	}
	/* its structure needs no key: a damaged file is told here */
	memset(&v, 0, sizeof(v));
	r = vault_fmt_parse(file, flen, &v);
	/* signerd derives with the cost in this header (0 for a keyfile) */
	if (r == 0) {
		vd->op.kdf_work = v.hdr.opslimit * v.hdr.memlimit;
		vd->op.ops = v.hdr.opslimit;
		vd->op.mem = v.hdr.memlimit;
		vault_recs_sum(&v, vd->op.recs_sum);
		kf = (v.hdr.flags & VAULT_FLAG_KEYFILE) != 0;
	}
	vault_free(&v);
	if (r == CV_ERR_CORRUPT || r == CV_ERR_FORMAT_VERSION) {
		file_fault(vd, r, file, flen, text, sizeof(text));
		free(file);
		vault_op_fail(vd, r, text);
		return;
	}
	if (r == 0 && vault_cred_kind_wrong(kf, keyfile, cl == NULL, text,
	    sizeof(text))) {
		free(file);
		vault_op_fail(vd, CV_ERR_BADPASS, text);
		return;
	}
	vaultd_audit_vault_read(vd, file, flen);	/* its anchor */
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_UNLOCK_REQ, id);
	msg_put_bin(&w, file, flen);
	msg_put_bin(&w, cred, len);
	msg_put_bool(&w, keyfile);
	free(file);
	if ((r = vault_op_send(vd, &w, id, MSG_VAULT_UNLOCK_REQ)) != 0)
		vault_op_fail(vd, r, "signerd is not reachable");
}

/*
 * signerd sealed a new vault file: check its structure (signerd is not
 * trusted to be sane), write it atomically, then tell signerd whether it
 * is on disk so it keeps or drops the change.
 */
static int	commit_send(struct vaultd *);

static int
write_and_commit(struct vaultd *vd, const uint8_t *file, size_t len)
{
	struct vault	v;
	int		r;

	memset(&v, 0, sizeof(v));
	if ((r = vault_fmt_parse(file, len, &v)) != 0)
		return r;
	vd->op.generation = v.hdr.generation;
	vd->op.ops = v.hdr.opslimit;
	vd->op.mem = v.hdr.memlimit;
	vault_recs_sum(&v, vd->op.recs_sum);
	vault_free(&v);
	if (vd->op.generation <= vd->generation && vd->op.sent !=
	    MSG_VAULT_CREATE_REQ)
		return CV_ERR_MSG_STATE;	/* would roll the file back */
	/*
	 * Write-ahead: the intent is durable before the file changes (a
	 * checkpoint's own line, already appended, is its intent).
	 */
	if (vd->op.sent != MSG_AUDIT_SIGN_REQ)
		vaultd_audit_intent(vd, op_actor(vd),
		    vd->op.account, vd->op.what ? vd->op.what : "vault_write",
		    vd->op.key_id, vd->op.generation);
	vd->op.write_err = vault_fmt_write_file(vd->vaultpath, file, len);
	if (vd->op.write_err != 0)
		log_warnx("writing %s: %s; the old vault is intact",
		    vd->vaultpath, cv_strerror(vd->op.write_err));
	return commit_send(vd);
}

/* Tell signerd whether its change is on disk (op.write_err). */
static int
commit_send(struct vaultd *vd)
{
	struct msg_w	w;
	uint32_t	id;
	int		r;

	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_COMMIT_REQ, id);
	msg_put_u64(&w, vd->op.generation);
	msg_put_bool(&w, vd->op.write_err == 0);
	/*
	 * Set before the send: if signerd is already gone, the file is on
	 * disk all the same, and the outcome must say "written", not "fail"
	 * (the next unlock reads the log's outcome against the vault).
	 */
	vd->op.committing = 1;
	if ((r = child_send(SIGNERD(vd), &w)) != 0)
		return r;
	vd->op.id = id;
	vd->op.sent_ms = vd->now_ms;
	return 0;
}

static int
commit_ans(struct vaultd *vd)
{
	struct msg_w	w;
	char		text[160];
	uint32_t	ans;
	int		r;

	if (vd->op.write_err == CV_ERR_AGAIN &&
	    vd->op.sent == MSG_AUDIT_SIGN_REQ) {
		op_clear(vd);			/* a stale checkpoint */
		vaultd_audit_checkpoint(vd);
		vaultd_call_kick(vd);
		return 0;
	}
	if (vd->op.write_err != 0) {
		snprintf(text, sizeof(text), "could not write the vault file "
		    "(%s); nothing changed", cv_strerror(vd->op.write_err));
		vault_op_fail(vd, vd->op.write_err, text);
		return 0;
	}
	vd->generation = vd->op.generation;
	vd->kdf_ops = vd->op.ops;
	vd->kdf_mem = vd->op.mem;
	memcpy(vd->recs_sum, vd->op.recs_sum, sizeof(vd->recs_sum));
	if (vd->op.sent == MSG_VAULT_CREATE_REQ) {
		vd->unlocked = 1;
		if ((r = vaultd_policy_created(vd)) != 0)
			fatalx("policy: %s", cv_strerror(r));
	}
	/*
	 * A key removed or another made active, or the account's record
	 * written (its URL, CA or pin may have changed): its tokens go
	 * (Omnia), so none is sent to a host that did not issue it.
	 */
	if ((vd->op.rtype == VAULT_REC_API_CRED &&
	    (vd->op.sent == MSG_VAULT_DEL_REQ ||
	    vd->op.sent == MSG_VAULT_MARK_REQ)) ||
	    (vd->op.rtype == VAULT_REC_ACCOUNT &&
	    (vd->op.sent == MSG_VAULT_DEL_REQ ||
	    vd->op.sent == MSG_VAULT_PUT_REQ)))
		vaultd_net_forget(vd, vd->op.account, "");
	if (vd->op.rtype == VAULT_REC_ACCOUNT &&
	    vd->op.sent == MSG_VAULT_PUT_REQ)
		vaultd_policy_profile(vd, vd->op.account, vd->op.profile);
	else if (vd->op.rtype == VAULT_REC_ACCOUNT &&
	    vd->op.sent == MSG_VAULT_DEL_REQ)
		vaultd_policy_profile(vd, vd->op.account, NULL);
	if (vd->op.sent == MSG_AUDIT_SIGN_REQ || vd->op.done != NULL) {
		msg_begin(&w, MSG_CTL_PUT_ANS, 0);	/* nobody waits */
		msg_put_str(&w, "");
		op_done(vd, &w);
		return 0;
	}
	ans = vd->op.sent == MSG_VAULT_CREATE_REQ ? MSG_CTL_INIT_ANS :
	    vd->op.sent == MSG_VAULT_PASSWD_REQ ? MSG_CTL_PASSWD_ANS :
	    vd->op.sent == MSG_VAULT_REKEY_REQ ? MSG_CTL_REKEY_ANS :
	    vd->op.sent == MSG_VAULT_PUT_REQ ? MSG_CTL_PUT_ANS :
	    vd->op.sent == MSG_VAULT_MARK_REQ ? MSG_CTL_USE_ANS :
	    MSG_CTL_DEL_ANS;
	msg_begin(&w, ans, vd->op.cl_id);
	if (ans == MSG_CTL_PUT_ANS)
		msg_put_str(&w, vd->op.info);
	else if (ans == MSG_CTL_REKEY_ANS)
		msg_put_u64(&w, vd->op.nonce);	/* records resealed */
	op_done(vd, &w);
	return 0;
}

/*
 * A rekeyed file must hold the records of the vault signerd holds (the
 * file it unlocked or vaultd last wrote, not the one on disk, which may
 * have been put back or edited since), their clear headers unchanged
 * (signerd reseals bodies, it adds or drops nothing), at the cost it
 * had; their count is the answer.
 */
static int
rekey_ans(struct vaultd *vd, const uint8_t *file, size_t len)
{
	struct vault	 nv;
	uint8_t		 sum[32];
	int		 r;

	memset(&nv, 0, sizeof(nv));
	if ((r = vault_fmt_parse(file, len, &nv)) != 0)
		goto out;
	vd->op.nonce = nv.nrecs;
	vault_recs_sum(&nv, sum);
	r = CV_ERR_MSG_STATE;
	if (memcmp(sum, vd->recs_sum, sizeof(sum)) != 0 ||
	    nv.hdr.opslimit != vd->kdf_ops || nv.hdr.memlimit != vd->kdf_mem)
		goto out;
	r = write_and_commit(vd, file, len);
 out:
	vault_free(&nv);
	return r;
}

/* Re-encode signerd's listing for vaultctl, checking every field. */
static int
list_ans(struct vaultd *vd, struct msg *m)
{
	struct msg_rd	 list, e;
	struct msg_w	 w;
	const char	*s[3];
	size_t		 n[3];
	uint64_t	 type, flags, nonce;
	uint32_t	 i;
	int		 r;

	if ((r = msg_get_array(&m->rd, &list, VAULT_MAX_RECORDS)) != 0)
		return r;
	msg_begin(&w, MSG_CTL_LIST_ANS, vd->op.cl_id);
	msg_put_array(&w, list.n);
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &e, 6)) != 0 || e.n != 6 ||
		    (r = msg_get_u64(&e, &type)) != 0 ||
		    (r = msg_get_u64(&e, &flags)) != 0 ||
		    (r = msg_get_str(&e, &s[0], &n[0], VAULT_MAX_NAME)) != 0 ||
		    (r = msg_get_str(&e, &s[1], &n[1], VAULT_MAX_NAME)) != 0 ||
		    (r = msg_get_u64(&e, &nonce)) != 0 ||
		    (r = msg_get_str(&e, &s[2], &n[2], VAULT_MAX_INFO)) != 0) {
			msg_w_free(&w);
			return r != 0 ? r : CV_ERR_MSG_COUNT;
		}
		msg_put_array(&w, 6);
		msg_put_u64(&w, type);
		msg_put_u64(&w, flags);
		msg_put_strn(&w, s[0], n[0]);
		msg_put_strn(&w, s[1], n[1]);
		msg_put_u64(&w, nonce);
		msg_put_strn(&w, s[2], n[2]);
	}
	op_done(vd, &w);
	return 0;
}

static void
unlock_failed(struct vaultd *vd, int code, const char *text)
{
	char	fault[400];

	if (code == CV_ERR_BADPASS)
		vault_bad_credential(vd);
	/* signerd found a record or the MAC wrong: the file, named */
	if (code == CV_ERR_TAMPERED || code == CV_ERR_CORRUPT) {
		snprintf(fault, sizeof(fault), "the vault file %.200s %s "
		    "(%.100s): put back a good copy of it; the file is left as "
		    "it is", vd->vaultpath, code == CV_ERR_TAMPERED ?
		    "failed authentication" : "is damaged", text);
		text = fault;
	}
	vault_op_fail(vd, code, text);
}

/*
 * signerd refused a put or del that takes the vault's credential (a
 * gateway client's record, an account's URL, CA file or pin, a key or
 * an invitation code removed, an account removed with what it holds):
 * none was given, or a wrong one, which slows the next try down as a
 * wrong unlock does.  Audited "deny".
 */
static void
gate_refused(struct vaultd *vd, int code)
{
	const char	*text;

	vd->op.deny = 1;
	if (code == CV_ERR_BADPASS) {
		vault_bad_credential(vd);
		text = VAULTD_CRED_WRONG;
	} else if (vd->op.rtype == VAULT_REC_CLIENT)
		text = VAULTD_CRED_CLIENT;
	else if (vd->op.sent == MSG_VAULT_DEL_REQ &&
	    vd->op.rtype == VAULT_REC_ACCOUNT)
		text = VAULTD_CRED_REMOVE;
	else if (vd->op.sent == MSG_VAULT_DEL_REQ)
		text = VAULTD_CRED_KEY;
	else
		text = VAULTD_CRED_ACCOUNT;
	vault_op_fail(vd, code, text);
}

void
vault_bad_credential(struct vaultd *vd)
{
	int64_t	delay;

	vd->bad_unlocks++;
	delay = 1000LL << (vd->bad_unlocks > 5 ? 5 : vd->bad_unlocks - 1);
	if (delay > UNLOCK_BACKOFF_MAX_MS)
		delay = UNLOCK_BACKOFF_MAX_MS;
	vd->unlock_after_ms = vaultd_now_ms() + delay;
}

/*
 * signerd unlocked a vault the log disagrees with: lock it again, then
 * refuse (MSG_VAULT_LOCK_ANS ends the operation with code).
 */
static int
unlock_refused(struct vaultd *vd, int code)
{
	struct msg_w	w;
	uint32_t	id;

	log_warnx("unlock refused: %s", vd->op.info);
	vd->op.rollback = code;
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_LOCK_REQ, id);
	if (child_send(SIGNERD(vd), &w) != 0) {
		child_kill(SIGNERD(vd), "cannot lock a refused vault");
		unlock_failed(vd, code, vd->op.info);
		return 0;
	}
	vd->op.id = id;
	vd->op.sent = MSG_VAULT_LOCK_REQ;
	vd->op.sent_ms = vd->now_ms;
	return 0;
}

int
vault_busy(const struct vaultd *vd)
{
	return vd->op.active;
}

int
vault_deriving(const struct vaultd *vd)
{
	if (!vd->op.active || vd->op.committing)
		return 0;
	switch (vd->op.sent) {
	case MSG_VAULT_CREATE_REQ:
	case MSG_VAULT_UNLOCK_REQ:
	case MSG_VAULT_PASSWD_REQ:	/* two: the old and the new */
	case MSG_VAULT_REKEY_REQ:
	case MSG_VAULT_PUT_REQ:		/* with the vault's credential */
	case MSG_VAULT_DEL_REQ:
	case MSG_VAULT_POLICY_REQ:	/* the credential checked */
		return 1;
	}
	return 0;
}

int64_t
vault_derive_units(const struct vaultd *vd)
{
	uint64_t	unit = vd->kdf_unit, n;

	/* at most 2 x 32 passes over 4 GiB: no overflow */
	n = (vd->op.kdf_work + unit - 1) / unit;
	return n < 1 ? 1 : (int64_t)n;
}

int64_t
vault_derive_ms(const struct vaultd *vd)
{
	return vd->answer_ms * VAULTD_ANSWER_OP_TIMES * vault_derive_units(vd);
}

int
vault_signerd_answer(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct msg_w	 w;
	struct msg_rd	 profiles;
	const uint8_t	*file, *pk, *bpk, *ptext;
	const char	*text, *info;
	size_t		 len, pklen, bpklen, tlen, plen;
	int64_t		 code;
	uint64_t	 gen, pver;
	int		 r;

	if ((r = vaultd_sign_answer(vd, m)) != 0)
		return r < 0 ? r : 0;
	if (!vd->op.active || m->id != vd->op.id)
		return CV_ERR_MSG_STATE;
	/* what signerd was handed behind it could only start now */
	vd->op_answered_ms = vd->now_ms;
	vd->op.sent_ms = 0;		/* till the next step goes */
	if (m->type == MSG_ERROR_ANS) {
		if (vd->op.committing)
			return CV_ERR_MSG_STATE;
		if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
		    (r = msg_get_str(&m->rd, &text, &tlen, 256)) != 0)
			return r;
		if (code >= 0 || code < -1000)
			return CV_ERR_MSG_STATE;
		snprintf(vd->op.info, sizeof(vd->op.info), "%.*s", (int)tlen,
		    text);
		if (vd->op.sent == MSG_VAULT_UNLOCK_REQ)
			unlock_failed(vd, (int)code, vd->op.info);
		else if ((vd->op.sent == MSG_VAULT_PUT_REQ ||
		    vd->op.sent == MSG_VAULT_DEL_REQ) &&
		    (code == CV_ERR_BADPASS || code == CV_ERR_DENIED))
			gate_refused(vd, (int)code);
		else {
			/* passwd and rekey try a credential as unlock does */
			if (code == CV_ERR_BADPASS &&
			    (vd->op.sent == MSG_VAULT_PASSWD_REQ ||
			    vd->op.sent == MSG_VAULT_REKEY_REQ))
				vault_bad_credential(vd);
			vault_op_fail(vd, (int)code, vd->op.info);
		}
		return 0;
	}
	if (vd->op.committing)
		return m->type == MSG_VAULT_COMMIT_ANS ? commit_ans(vd) :
		    CV_ERR_MSG_STATE;
	if (m->type != vd->op.sent + 1)		/* _ANS follows its _REQ */
		return CV_ERR_MSG_STATE;

	switch (m->type) {
	case MSG_VAULT_CREATE_ANS:
		if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) ||
		    (r = msg_get_bin(&m->rd, &pk, &pklen, 32)) != 0 ||
		    (r = msg_get_bin(&m->rd, &bpk, &bpklen, 32)) != 0)
			return r;
		if (pklen != sizeof(vd->audit_pk) ||
		    bpklen != sizeof(vd->box_pk))
			return CV_ERR_MSG_LENGTH;
		memcpy(vd->audit_pk, pk, pklen);
		memcpy(vd->box_pk, bpk, bpklen);
		vd->have_audit_pk = 1;
		vd->generation = 0;
		return write_and_commit(vd, file, len);
	case MSG_VAULT_PUT_ANS:
		if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) ||
		    (r = msg_get_str(&m->rd, &info, &tlen,
		    VAULT_MAX_INFO)) != 0)
			return r;
		snprintf(vd->op.info, sizeof(vd->op.info), "%.*s", (int)tlen,
		    info);
		return write_and_commit(vd, file, len);
	case MSG_VAULT_STORE_ANS:
		if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) ||
		    (r = msg_get_strbuf(&m->rd, vd->op.key_id,
		    sizeof(vd->op.key_id))) != 0 ||
		    (r = msg_get_strbuf(&m->rd, vd->op.info,
		    sizeof(vd->op.info))) != 0)
			return r;
		return write_and_commit(vd, file, len);
	case MSG_VAULT_DEL_ANS:
	case MSG_VAULT_MARK_ANS:
	case MSG_VAULT_POLICY_ANS:
	case MSG_VAULT_PASSWD_ANS:
		if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) != 0)
			return r;
		return write_and_commit(vd, file, len);
	case MSG_VAULT_REKEY_ANS:
		if ((r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)) != 0)
			return r;
		return rekey_ans(vd, file, len);
	case MSG_VAULT_UNLOCK_ANS:
		if ((r = msg_get_bin(&m->rd, &pk, &pklen, 32)) != 0 ||
		    (r = msg_get_u64(&m->rd, &gen)) != 0 ||
		    (r = msg_get_bin(&m->rd, &bpk, &bpklen, 32)) != 0 ||
		    (r = msg_get_u64(&m->rd, &pver)) != 0 ||
		    (r = msg_get_bin(&m->rd, &ptext, &plen,
		    VAULT_MAX_POLICY)) != 0 ||
		    (r = msg_get_array(&m->rd, &profiles, 1024)) != 0)
			return r;
		if (pklen != sizeof(vd->audit_pk) ||
		    bpklen != sizeof(vd->box_pk))
			return CV_ERR_MSG_LENGTH;
		memcpy(vd->audit_pk, pk, pklen);
		memcpy(vd->box_pk, bpk, bpklen);
		vd->have_audit_pk = 1;
		/* the vault and the log must agree, or neither is trusted */
		if ((r = vaultd_audit_rollback(vd, gen, vd->op.info,
		    sizeof(vd->op.info))) != 0)
			return unlock_refused(vd, r);
		/*
		 * And not older than a generation this vaultd wrote or
		 * unlocked: both files put back while it ran (the log as it
		 * was then agrees with the vault; this process knows better).
		 */
		if (gen < vd->generation) {
			snprintf(vd->op.info, sizeof(vd->op.info), "the vault "
			    "file looks OLDER than the one this vaultd last "
			    "wrote or unlocked (generation %llu, this file "
			    "%llu): an older copy of the vault and the log "
			    "were put back while vaultd ran.  The vault stays "
			    "locked: put the newest vault file and audit.log "
			    "back and unlock again", (unsigned long long)
			    vd->generation, (unsigned long long)gen);
			return unlock_refused(vd, CV_ERR_ROLLBACK);
		}
		if ((r = vaultd_policy_unlocked(vd, pver, ptext, plen,
		    &profiles)) != 0)
			return r;
		vd->generation = gen;
		vd->kdf_ops = vd->op.ops;
		vd->kdf_mem = vd->op.mem;
		memcpy(vd->recs_sum, vd->op.recs_sum, sizeof(vd->recs_sum));
		vd->unlocked = 1;
		vd->bad_unlocks = 0;
		vd->unlock_after_ms = 0;
		msg_begin(&w, MSG_CTL_UNLOCK_ANS, vd->op.cl_id);
		msg_put_bool(&w, 0);
		op_done(vd, &w);
		return 0;
	case MSG_VAULT_LOCK_ANS:
		if (vd->op.rollback) {		/* locked again: now refuse */
			unlock_failed(vd, vd->op.rollback, vd->op.info);
			return 0;
		}
		vd->unlocked = 0;
		vaultd_net_forget(vd, "", "");
		vaultd_sign_forget(vd);
		msg_begin(&w, MSG_CTL_LOCK_ANS, vd->op.cl_id);
		msg_put_bool(&w, 0);
		op_done(vd, &w);
		return 0;
	case MSG_VAULT_LIST_ANS:
		return list_ans(vd, m);
	case MSG_AUDIT_SIGN_ANS:
		if ((r = msg_get_str(&m->rd, &info, &tlen, AUDIT_HEX_SIG)) ||
		    (r = msg_get_bin(&m->rd, &file, &len, VAULT_MAX_FILE)))
			return r;
		if (vd->ckpt.seq != vd->chain.seq + 1) {
			/* records came meanwhile: drop it, sign anew */
			struct vault v;

			memset(&v, 0, sizeof(v));
			if ((r = vault_fmt_parse(file, len, &v)) != 0)
				return r;
			vd->op.generation = v.hdr.generation;
			vault_free(&v);
			vd->checkpoint_due = 1;
			vd->op.write_err = CV_ERR_AGAIN;
			return commit_send(vd);
		}
		if ((r = vaultd_audit_signed(vd, info, tlen)) != 0)
			return r;
		return write_and_commit(vd, file, len);
	default:
		return CV_ERR_MSG_STATE;
	}
}

const char *
vault_unattended_path(struct vaultd *vd, char *buf, size_t len, int *keyfile)
{
	const char	*dir = getenv("CREDENTIALS_DIRECTORY");

	*keyfile = vd->unlock_keyfile;
	if (vd->unlock_file != NULL)
		return vd->unlock_file;
	*keyfile = 0;
	if (dir == NULL || *dir == '\0' ||
	    (size_t)snprintf(buf, len, "%s/clobvault-passphrase", dir) >= len ||
	    access(buf, R_OK) != 0)
		return NULL;
	return buf;
}

/*
 * Unattended unlock: from -p FILE (a passphrase), -k FILE (a keyfile), or
 * the systemd credential clobvault-passphrase.  Run whenever signerd
 * (re)starts, since a new signerd holds no keys.  How it ends goes to
 * vaultd_unattended_done, which decides the start on the first one.
 */
void
vault_signerd_up(struct vaultd *vd)
{
	struct secret	 text, key;
	char		 cred[PATH_MAX], why[PATH_MAX + 100];
	const char	*path;
	int		 keyfile, r;

	memset(&key, 0, sizeof(key));
	path = vault_unattended_path(vd, cred, sizeof(cred), &keyfile);
	if (path == NULL || vd->op.active)
		return;
	if (!vault_exists(vd)) {
		if (!vd->unattended_done)
			log_warnx("no vault to unlock from %s yet: create one "
			    "with vaultctl init", path);
		return;
	}
	if ((r = secret_read_file(path, &text, SECRET_IO_MAX)) != 0) {
		snprintf(why, sizeof(why), "cannot read %s: %s", path,
		    cv_strerror(r));
		log_warnx("cannot unlock: %s", why);
		vaultd_unattended_done(vd, r == CV_ERR_NOTRUNNING ?
		    CV_ERR_IO : r, why);
		return;
	}
	if (keyfile && (r = vault_crypto_keyfile_key(text.p, text.len,
	    &key)) != 0) {
		snprintf(why, sizeof(why), "%s is not a keyfile: %s", path,
		    cv_strerror(r));
		log_warnx("cannot unlock: %s", why);
		secret_free(&text);
		vaultd_unattended_done(vd, CV_ERR_BADPASS, why);
		return;
	}
	log_info("unlocking the vault from %s", path);
	vaultd_notify("STATUS=", "unlocking the vault");
	if (keyfile)
		vault_unlock_start(vd, NULL, NULL, key.p, key.len, 1);
	else
		vault_unlock_start(vd, NULL, NULL, text.p, text.len, 0);
	secret_free(&key);
	secret_free(&text);
}

/* signerd died: its keys died with it, and so did any operation. */
int
vault_file_has_key(struct vaultd *vd, const char *account, const char *key_id)
{
	struct vault	 v;
	uint8_t		*buf = NULL;
	size_t		 len, i;
	int		 found = 1;	/* unreadable: assume the worst */

	memset(&v, 0, sizeof(v));
	if (vault_fmt_read(vd->vaultpath, &buf, &len) == 0 &&
	    vault_fmt_parse(buf, len, &v) == 0) {
		found = 0;
		for (i = 0; i < v.nrecs; i++)
			if (v.recs[i].type == VAULT_REC_API_CRED &&
			    strcmp(v.recs[i].account, account) == 0 &&
			    strcmp(v.recs[i].key_id, key_id) == 0)
				found = 1;
	}
	vault_free(&v);
	free(buf);
	return found;
}

void
vault_signerd_lost(struct vaultd *vd)
{
	/*
	 * A change written to disk whose commit signerd never confirmed is
	 * in force (audited "written"): say so, or an operator told that
	 * passwd failed might throw away the new passphrase.
	 */
	if (vd->op.active && vd->op.committing && vd->op.write_err == 0)
		vault_op_fail(vd, CV_ERR_NOTRUNNING, "signerd stopped after "
		    "the vault file was written: the change is made (after "
		    "passwd or rekey, the new passphrase or keyfile opens "
		    "it); the vault is now locked");
	else if (vd->op.active)
		vault_op_fail(vd, CV_ERR_NOTRUNNING, "signerd stopped during the "
		    "operation; the vault is now locked");
	if (vd->unlocked)
		vaultd_audit(vd, "vaultd", "", "lock.signerd_stopped", "ok",
		    NULL);
	vd->unlocked = 0;
	vaultd_net_forget(vd, "", "");
	vaultd_sign_forget(vd);
}
