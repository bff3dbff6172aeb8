/*
 * An exchange call from vaultctl, one at a time:
 *
 *	vaultctl -> MSG_CTL_CALL_REQ -> vaultd checks the call and params
 *	vaultd -> MSG_VAULT_ACCOUNT_REQ -> signerd: profile, URL, CA file
 *	vaultd reads the CA file -> MSG_NET_CALL_REQ -> netd
 *	netd -> MSG_NET_SIGN_REQ -> vaultd's gate (vaultd_sign.c) -> signerd
 *	netd -> MSG_NET_CALL_ANS: status, result, and what the vault must do
 *	vaultd -> STORE (a box sealed to signerd), MARK (invitation code
 *	    used) or DEL (a key the exchange dropped), each written and
 *	    audited like every vault change
 *	vaultd -> MSG_CTL_CALL_ANS -> vaultctl
 *
 * vaultd never reads a credential: netd seals it to signerd's box key
 * and vaultd passes the box along.  The call is on the audit log, and so
 * is every signature it needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "common/catalog.h"
#include "common/log.h"
#include "common/netcall.h"
#include "common/profile.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"

#define SIGNERD(vd)	(&(vd)->children[0])
#define NETD(vd)	(&(vd)->children[1])
#define CA_MAX		(256 * 1024)
#define RESULT_MAX	(512 * 1024)
#define BOX_MAX		4096

static void
call_clear(struct vaultd *vd)
{
	free(vd->call.result);
	if (vd->call.box != NULL)
		sodium_memzero(vd->call.box, vd->call.boxlen);
	free(vd->call.box);
	memset(&vd->call, 0, sizeof(vd->call));
}

static void
call_audit(struct vaultd *vd, const char *verdict)
{
	char	op[8 + NETCALL_NAME_MAX];	/* longest: 28 */

	snprintf(op, sizeof(op), "call.%s", vd->call.name);
	vaultd_audit(vd, "vaultctl", vd->call.account, op, verdict,
	    vd->call.key_id);
}

static void
call_fail(struct vaultd *vd, int code, const char *text)
{
	call_audit(vd, "fail");
	control_error(vd, vd->call.client, vd->call.cl_id, code, text);
	call_clear(vd);
	vaultd_audit_checkpoint(vd);
}

static void
call_finish(struct vaultd *vd)
{
	struct msg_w	w;
	char		verdict[16];

	if (vd->call.status >= 200 && vd->call.status < 300)
		snprintf(verdict, sizeof(verdict), "ok");
	else
		snprintf(verdict, sizeof(verdict), "http_%llu",
		    (unsigned long long)vd->call.status);
	call_audit(vd, verdict);
	msg_begin(&w, MSG_CTL_CALL_ANS, vd->call.cl_id);
	msg_put_u64(&w, vd->call.status);
	msg_put_str(&w, vd->call.result != NULL ? vd->call.result : "{}");
	msg_put_str(&w, vd->call.change);
	control_answer(vd, vd->call.client, &w);
	call_clear(vd);
	vaultd_audit_checkpoint(vd);
}

static void
change_add(struct vaultd *vd, const char *text)
{
	size_t	n = strlen(vd->call.change);

	snprintf(vd->call.change + n, sizeof(vd->call.change) - n, "%s%s",
	    n > 0 ? "; " : "", text);
}

int
vaultd_call_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	const struct netcall	*nc;
	struct vd_call		*c = &vd->call;
	struct msg_rd		 list, e;
	char			 account[VAULT_MAX_NAME + 1];
	char			 name[NETCALL_NAME_MAX + 1];
	char			 pn[NETCALL_PARAMS_MAX][33];
	char			 pv[NETCALL_PARAMS_MAX][NETCALL_VALUE_MAX + 1];
	const char		*why = NULL;
	size_t			 i, np = 0;
	uint32_t		 k;
	int			 r, code = CV_ERR_INVALID;

	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, name, sizeof(name))) != 0 ||
	    (r = msg_get_array(&m->rd, &list, NETCALL_PARAMS_MAX)) != 0)
		return r;
	if ((nc = netcall_find(name)) == NULL)
		why = "no such exchange call";
	else if (!vault_fmt_name_valid(account, strlen(account)))
		why = "invalid account name";
	for (k = 0; k < list.n; k++) {
		if ((r = msg_get_array(&list, &e, 2)) != 0)
			return r;
		if (e.n != 2)
			return CV_ERR_MSG_COUNT;
		if ((r = msg_get_strbuf(&e, pn[np], sizeof(pn[np]))) != 0 ||
		    (r = msg_get_strbuf(&e, pv[np], sizeof(pv[np]))) != 0)
			return r;
		if (why != NULL)
			continue;
		if (!netcall_takes(nc, pn[np]))
			why = "a parameter this call does not take";
		else if (!netcall_value_ok(pv[np], strlen(pv[np])))
			why = "a parameter value that is empty, too long or "
			    "not printable ASCII";
		for (i = 0; why == NULL && i < np; i++)
			if (strcmp(pn[i], pn[np]) == 0)
				why = "a parameter given twice";
		np++;
	}
	if (why == NULL) {
		code = CV_ERR_AGAIN;
		if (c->state != CALL_NONE)
			why = "another exchange call is in progress; retry";
		else if (NETD(vd)->state != CHILD_UP ||
		    SIGNERD(vd)->state != CHILD_UP)
			why = "netd or signerd is (re)starting; retry";
		else if (!vd->unlocked) {
			code = CV_ERR_LOCKED;
			why = "the vault is locked: unlock it with vaultctl "
			    "unlock";
		}
	}
	if (why != NULL) {
		control_error(vd, cl->serial, m->id, code, why);
		return 0;
	}
	memset(c, 0, sizeof(*c));
	for (i = 0; i < np; i++) {
		memcpy(c->pname[i], pn[i], sizeof(c->pname[i]));
		memcpy(c->pvalue[i], pv[i], sizeof(c->pvalue[i]));
	}
	c->nparams = np;
	c->client = cl->serial;
	c->cl_id = m->id;
	snprintf(c->account, sizeof(c->account), "%s", account);
	snprintf(c->name, sizeof(c->name), "%s", name);

	/* revoke without a key: the one the vault holds */
	if (strcmp(name, "builder.revoke") == 0 && np == 0) {
		if (vault_file_key_id(vd, VAULT_REC_BUILDER_CRED, account,
		    c->pvalue[0], sizeof(c->pvalue[0])) != 0) {
			control_error(vd, cl->serial, m->id, CV_ERR_NOTFOUND,
			    "the vault holds no builder key for this account:"
			    " name the key to revoke");
			memset(c, 0, sizeof(*c));
			return 0;
		}
		snprintf(c->pname[0], sizeof(c->pname[0]), "key");
		c->nparams = 1;
	}
	if ((r = vaultd_sign_account(vd, account)) != 0) {
		control_error(vd, cl->serial, m->id, r,
		    "signerd is busy; retry");
		memset(c, 0, sizeof(*c));
		return 0;
	}
	c->state = CALL_ACCOUNT;
	return 0;
}

/* Read a CA bundle the operator named (not secret, but bounded). */
static int
read_ca(const char *path, uint8_t **out, size_t *outlen, char *why,
    size_t whylen)
{
	struct stat	 st;
	uint8_t		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(why, whylen, "cannot read the CA file %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return CV_ERR_NOTFOUND;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > CA_MAX) {
		snprintf(why, whylen, "the CA file %s is not a regular file "
		    "of 1 to %d bytes", path, CA_MAX);
		close(fd);
		return CV_ERR_INVALID;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return CV_ERR_NOMEM;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		snprintf(why, whylen, "cannot read the CA file %s", path);
		free(buf);
		return CV_ERR_IO;
	}
	*out = buf;
	*outlen = got;
	return 0;
}

/* signerd's answer to MSG_VAULT_ACCOUNT_REQ: route the call to netd. */
void
vaultd_call_account(struct vaultd *vd, int code, const char *json,
    size_t len)
{
	struct vd_call		*c = &vd->call;
	const struct profile	*p;
	struct msg_w		 w;
	json_t			*j;
	json_error_t		 err;
	const char		*pname = NULL, *url = NULL, *ca = NULL;
	const char		*pin = NULL;
	uint8_t			*cabuf = NULL;
	size_t			 calen = 0, i;
	char			 why[512];
	int			 r;

	if (c->state != CALL_ACCOUNT)
		return;
	if (code != 0) {
		if (code == CV_ERR_NOTFOUND)
			snprintf(why, sizeof(why), "no account %s in the vault",
			    c->account);
		else
			snprintf(why, sizeof(why), "%s", json);
		call_fail(vd, code, why);
		return;
	}
	j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || json_unpack(j, "{s:s, s?s, s?s, s?s}", "profile",
	    &pname, "url", &url, "ca_file", &ca, "pin", &pin) != 0 ||
	    (p = profile_find(pname)) == NULL) {
		json_decref(j);
		call_fail(vd, CV_ERR_CORRUPT, "the account record is not "
		    "understood");
		return;
	}
	if (p->auth != PROFILE_AUTH_CLOB) {
		json_decref(j);
		snprintf(why, sizeof(why), "%s is an %s account: these calls "
		    "are for Openfish and Polymarket accounts", c->account,
		    p->name);
		call_fail(vd, CV_ERR_INVALID, why);
		return;
	}
	if (ca != NULL && *ca != '\0' &&
	    (r = read_ca(ca, &cabuf, &calen, why, sizeof(why))) != 0) {
		json_decref(j);
		call_fail(vd, r, why);
		return;
	}
	if (NETD(vd)->state != CHILD_UP) {
		json_decref(j);
		free(cabuf);
		call_fail(vd, CV_ERR_AGAIN, "netd is (re)starting; retry");
		return;
	}
	c->net_id = child_new_id(NETD(vd));
	msg_begin(&w, MSG_NET_CALL_REQ, c->net_id);
	msg_put_str(&w, c->account);
	msg_put_str(&w, p->name);
	msg_put_str(&w, url != NULL ? url : p->base_url);
	msg_put_bin(&w, cabuf, calen);
	msg_put_str(&w, pin != NULL ? pin : "");
	msg_put_str(&w, c->name);
	msg_put_array(&w, (uint32_t)c->nparams);
	for (i = 0; i < c->nparams; i++) {
		msg_put_array(&w, 2);
		msg_put_str(&w, c->pname[i]);
		msg_put_str(&w, c->pvalue[i]);
	}
	msg_put_bin(&w, vd->box_pk, sizeof(vd->box_pk));
	json_decref(j);
	free(cabuf);
	if (child_send(NETD(vd), &w) != 0) {
		child_kill(NETD(vd), "cannot send it the call");
		call_fail(vd, CV_ERR_AGAIN, "netd is (re)starting; retry");
		return;
	}
	c->state = CALL_NET;
}

static int
net_sign_req(struct vaultd *vd, struct msg *m)
{
	struct sign_origin	 o = { 0, 1, m->id };
	struct sign_args	 a;
	uint64_t		 call_id;
	int			 r;

	if ((r = msg_get_u64(&m->rd, &call_id)) != 0 ||
	    (r = vaultd_sign_args(&m->rd, &a)) != 0)
		return r;
	/* netd signs only for the call in progress, as its account */
	if (vd->call.state != CALL_NET || call_id != vd->call.net_id) {
		if (call_id == 0 || call_id > NETD(vd)->next_id)
			return CV_ERR_MSG_STATE;
		a.level = CATALOG_NONE;		/* denied, audited */
		vaultd_sign_request(vd, &o, "netd", "-", &a);
		return 0;
	}
	vaultd_sign_request(vd, &o, "netd", vd->call.account, &a);
	return 0;
}

static int
net_call_ans(struct vaultd *vd, struct msg *m)
{
	struct vd_call	*c = &vd->call;
	const char	*res;
	const uint8_t	*box;
	size_t		 rlen, blen;
	int		 r;

	if ((r = msg_get_u64(&m->rd, &c->status)) != 0 ||
	    (r = msg_get_str(&m->rd, &res, &rlen, RESULT_MAX)) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->effect)) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->rtype)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, c->key_id, sizeof(c->key_id))) != 0 ||
	    (r = msg_get_u64(&m->rd, &c->nonce)) != 0 ||
	    (r = msg_get_bin(&m->rd, &box, &blen, BOX_MAX)) != 0)
		return r;
	if (c->status < 100 || c->status > 599 ||
	    (c->effect & ~(uint64_t)(NETCALL_STORE | NETCALL_REMOVE |
	    NETCALL_INVITE_USED)) != 0 ||
	    ((c->effect & NETCALL_STORE) && (c->effect & NETCALL_REMOVE)) ||
	    ((c->effect & NETCALL_INVITE_USED) && !(c->effect &
	    NETCALL_STORE)) ||
	    (c->effect != 0 && c->rtype != VAULT_REC_API_CRED &&
	    c->rtype != VAULT_REC_BUILDER_CRED) ||
	    ((c->effect & NETCALL_STORE) && blen == 0) ||
	    ((c->effect & NETCALL_REMOVE) &&
	    !vault_fmt_name_valid(c->key_id, strlen(c->key_id))))
		return CV_ERR_MSG_STATE;
	if ((c->result = strndup(res, rlen)) == NULL)
		fatal("strndup");
	if (blen > 0) {
		if ((c->box = malloc(blen)) == NULL)
			fatal("malloc");
		memcpy(c->box, box, blen);
		c->boxlen = blen;
	}
	if (c->effect & NETCALL_STORE)
		c->state = CALL_STORE;
	else if (c->effect & NETCALL_REMOVE)
		c->state = CALL_REMOVE;
	else {
		call_finish(vd);
		return 0;
	}
	vaultd_call_kick(vd);
	return 0;
}

/* What netd sends besides the answers every child gives. */
int
vaultd_call_netd(struct vaultd *vd, struct msg *m)
{
	const char	*text;
	char		 buf[512];
	size_t		 tlen;
	int64_t		 code;
	int		 r;

	if (m->type == MSG_NET_SIGN_REQ)
		return net_sign_req(vd, m);
	if (m->type == MSG_ERROR_ANS) {
		if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
		    (r = msg_get_str(&m->rd, &text, &tlen, 511)) != 0)
			return r;
		if (code >= 0 || code < -1000)
			return CV_ERR_MSG_STATE;
		snprintf(buf, sizeof(buf), "%.*s", (int)tlen, text);
		if (m->id == NETD(vd)->probe_id && m->id != 0) {
			log_info("netd: test probe refused: %s", buf);
			return 0;
		}
		if (vd->call.state != CALL_NET || m->id != vd->call.net_id)
			return CV_ERR_MSG_STATE;
		call_fail(vd, (int)code, buf);
		return 0;
	}
	if (m->type == MSG_NET_CALL_ANS) {
		if (vd->call.state != CALL_NET || m->id != vd->call.net_id)
			return CV_ERR_MSG_STATE;
		return net_call_ans(vd, m);
	}
	return CV_ERR_MSG_STATE;
}

/* Start the vault step the call waits for, once the vault is free. */
void
vaultd_call_kick(struct vaultd *vd)
{
	struct vd_call	*c = &vd->call;
	struct msg_w	 w;
	const char	*what;
	uint32_t	 id, sent;
	int		 api = c->rtype == VAULT_REC_API_CRED;

	if ((c->state != CALL_STORE && c->state != CALL_MARK &&
	    c->state != CALL_REMOVE) || c->op_started || vd->op.active)
		return;
	if (!vd->unlocked || SIGNERD(vd)->state != CHILD_UP) {
		vaultd_call_step(vd, CV_ERR_LOCKED, "the vault was locked "
		    "meanwhile", c->key_id);
		return;
	}
	id = child_new_id(SIGNERD(vd));
	switch (c->state) {
	case CALL_STORE:
		sent = MSG_VAULT_STORE_REQ;
		what = api ? "apikey store" : "builder store";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, c->rtype);
		msg_put_str(&w, c->account);
		msg_put_u64(&w, c->nonce);
		msg_put_bin(&w, c->box, c->boxlen);
		break;
	case CALL_MARK:
		sent = MSG_VAULT_MARK_REQ;
		what = "invite used";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, VAULT_REC_INVITE);
		msg_put_str(&w, c->account);
		msg_put_str(&w, "");
		msg_put_u64(&w, VAULT_RECF_USED);
		break;
	default:
		sent = MSG_VAULT_DEL_REQ;
		what = api ? "apikey remove" : "builder remove";
		msg_begin(&w, sent, id);
		msg_put_u64(&w, c->rtype);
		msg_put_str(&w, c->account);
		msg_put_str(&w, c->key_id);
		break;
	}
	c->op_started = 1;
	if (vault_op_call(vd, &w, id, sent, what, c->account,
	    c->state == CALL_MARK ? "" : c->key_id) != 0)
		vaultd_call_step(vd, CV_ERR_NOTRUNNING, "signerd is not "
		    "reachable", c->key_id);
}

/* The vault step finished with code; text is its info or error. */
void
vaultd_call_step(struct vaultd *vd, int code, const char *text,
    const char *key_id)
{
	struct vd_call	*c = &vd->call;
	const char	*kind = c->rtype == VAULT_REC_API_CRED ? "API" :
			    "builder";
	char		 why[600];

	switch (c->state) {
	case CALL_STORE:
		if (key_id != NULL && *key_id != '\0')
			snprintf(c->key_id, sizeof(c->key_id), "%s", key_id);
		if (code == CV_ERR_EXISTS) {
			snprintf(why, sizeof(why), "the vault already holds "
			    "%s key %s", kind, c->key_id);
			change_add(vd, why);
		} else if (code != 0) {
			snprintf(why, sizeof(why), "the exchange issued %s key "
			    "%s but the vault could not store it (%s)%s", kind,
			    c->key_id, text, c->rtype == VAULT_REC_API_CRED ?
			    ": fetch it again with vaultctl apikey derive" : "");
			call_fail(vd, code, why);
			return;
		} else {
			snprintf(why, sizeof(why), "stored %s key %s "
			    "(fingerprint %s)", kind, c->key_id, text);
			change_add(vd, why);
		}
		if (c->effect & NETCALL_INVITE_USED) {
			c->state = CALL_MARK;
			c->op_started = 0;
			vaultd_call_kick(vd);
			return;
		}
		break;
	case CALL_MARK:
		if (code == 0)
			change_add(vd, "invitation code marked used");
		else {
			log_warnx("%s: cannot mark the invitation code used: "
			    "%s", c->account, text);
			snprintf(why, sizeof(why), "the invitation code could "
			    "not be marked used: %s", text);
			change_add(vd, why);
		}
		break;
	case CALL_REMOVE:
		if (code == 0)
			snprintf(why, sizeof(why), "removed %s key %s from the "
			    "vault", kind, c->key_id);
		else if (code == CV_ERR_NOTFOUND)
			snprintf(why, sizeof(why), "the vault did not hold %s "
			    "key %s", kind, c->key_id);
		else
			snprintf(why, sizeof(why), "%s key %s is gone at the "
			    "exchange but could not be removed from the vault:"
			    " %s", kind, c->key_id, text);
		change_add(vd, why);
		break;
	default:
		return;
	}
	call_finish(vd);
}

void
vaultd_call_netd_lost(struct vaultd *vd)
{
	if (vd->call.state == CALL_NET)
		call_fail(vd, CV_ERR_TRANSPORT, "netd stopped during the call;"
		    " whether the exchange acted is unknown");
}
