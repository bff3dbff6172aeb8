/*
 * vaultd's signing path: the verdict gate, the audit record before the
 * signature, and the requests to signerd that may overlap.
 *
 *	vaultctl or netd -> request -> gate -> audit line written
 *	end of the loop turn: fdatasync of the log, then the turn's
 *	    MSG_SIGN_REQs go to signerd together
 *	signerd -> MSG_SIGN_ANS -> vaultd checks it -> back to the asker
 *
 * No request reaches signerd before its verdict is on disk: the frames
 * wait in vd->held until vaultd_sign_flush has synced the log, and
 * vaultd stops rather than go on without that record.  Until the policy
 * language exists the verdict admits exactly the endpoint catalog at its
 * level (builder headers ride on an L2 endpoint) and denies the rest.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/catalog.h"
#include "common/log.h"
#include "vaultd/vaultd.h"

#define SIGNERD(vd)	(&(vd)->children[0])
#define NETD(vd)	(&(vd)->children[1])

static void
origin_error(struct vaultd *vd, uint64_t client, int netd, uint32_t id,
    int code, const char *text)
{
	struct msg_w	w;

	if (netd) {
		if (NETD(vd)->state != CHILD_UP)
			return;
		msg_begin(&w, MSG_ERROR_ANS, id);
		msg_put_i64(&w, code);
		msg_put_str(&w, text);
		if (child_send(NETD(vd), &w) != 0)
			child_kill(NETD(vd), "cannot answer its request");
	} else if (client != 0)
		control_error(vd, client, id, code, text);
}

static struct sign_slot *
slot_new(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < VAULTD_SIGN_MAX; i++)
		if (!vd->signs[i].used) {
			memset(&vd->signs[i], 0, sizeof(vd->signs[i]));
			vd->signs[i].used = 1;
			vd->nsigns++;
			return &vd->signs[i];
		}
	return NULL;
}

static void
slot_free(struct vaultd *vd, struct sign_slot *s)
{
	memset(s, 0, sizeof(*s));
	vd->nsigns--;
}

/* What keeps a signing request from starting now, or NULL. */
static const char *
sign_blocked(struct vaultd *vd, int *code)
{
	*code = CV_ERR_AGAIN;
	if (!vd->unlocked) {
		*code = CV_ERR_LOCKED;
		return "the vault is locked: unlock it with vaultctl unlock";
	}
	if (SIGNERD(vd)->state != CHILD_UP)
		return "signerd is (re)starting; retry in a moment";
	/* signerd would be locked, or the checkpoint's chain would move */
	if (vd->op.active && !vd->op.committing &&
	    (vd->op.sent == MSG_VAULT_LOCK_REQ ||
	    vd->op.sent == MSG_AUDIT_SIGN_REQ))
		return "the vault is busy for a moment; retry";
	if (vd->nsigns == VAULTD_SIGN_MAX)
		return "too many signing requests in flight; retry";
	return NULL;
}

int
vaultd_sign_args(struct msg_rd *rd, struct sign_args *a)
{
	int	r;

	if ((r = msg_get_u64(rd, &a->level)) != 0 ||
	    (r = msg_get_strbuf(rd, a->method, sizeof(a->method))) != 0 ||
	    (r = msg_get_str(rd, &a->path, &a->pathlen, 4096)) != 0 ||
	    (r = msg_get_bin(rd, &a->body, &a->bodylen, 65536)) != 0)
		return r;
	return msg_get_u64(rd, &a->nonce);
}

void
vaultd_sign_request(struct vaultd *vd, const struct sign_origin *o,
    const char *actor, const char *account, const struct sign_args *a)
{
	struct sign_slot	*s;
	struct msg_w		 w;
	const char		*why;
	char			 ts[24];
	int			 code;

	if ((why = sign_blocked(vd, &code)) != NULL) {
		origin_error(vd, o->client, o->netd, o->id, code, why);
		return;
	}
	if ((a->level != CATALOG_L1 && a->level != CATALOG_L2 &&
	    a->level != CATALOG_BUILDER) ||
	    catalog_admit(a->method, a->path, a->pathlen,
	    a->level == CATALOG_BUILDER ? CATALOG_L2 :
	    (enum catalog_auth)a->level) != 0) {
		vaultd_audit_req(vd, actor, account, "sign", a->method, a->path,
		    a->pathlen, a->body, a->bodylen, "deny", NULL);
		vaultd_audit_checkpoint(vd);
		origin_error(vd, o->client, o->netd, o->id, CV_ERR_DENIED,
		    "not an endpoint of the catalog at that auth level");
		return;
	}
	vaultd_audit_sign(vd, actor, account, a->method, a->path, a->pathlen,
	    a->body, a->bodylen, "allow");
	s = slot_new(vd);		/* sign_blocked saw a free one */
	s->id = child_new_id(SIGNERD(vd));
	s->sent = MSG_SIGN_REQ;
	s->client = o->client;
	s->netd = o->netd;
	s->from_id = o->id;
	snprintf(s->account, sizeof(s->account), "%s", account);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	msg_begin(&w, MSG_SIGN_REQ, s->id);
	msg_put_str(&w, account);
	msg_put_u64(&w, a->level);
	msg_put_str(&w, a->method);
	msg_put_strn(&w, a->path, a->pathlen);
	msg_put_bin(&w, a->body, a->bodylen);
	msg_put_str(&w, ts);
	msg_put_u64(&w, a->nonce);
	if (msg_finish(&w) != 0 ||
	    msgbuf_add(&vd->held, w.buf.data, w.buf.len) != 0) {
		msg_w_free(&w);
		slot_free(vd, s);
		origin_error(vd, o->client, o->netd, o->id, CV_ERR_NOMEM,
		    "out of memory");
		return;
	}
	msg_w_free(&w);
}

int
vaultd_sign_account(struct vaultd *vd, const char *account)
{
	struct sign_slot	*s;
	struct msg_w		 w;
	const char		*why;
	int			 code;

	if ((why = sign_blocked(vd, &code)) != NULL)
		return code;
	s = slot_new(vd);
	s->id = child_new_id(SIGNERD(vd));
	s->sent = MSG_VAULT_ACCOUNT_REQ;
	snprintf(s->account, sizeof(s->account), "%s", account);
	msg_begin(&w, MSG_VAULT_ACCOUNT_REQ, s->id);
	msg_put_str(&w, account);
	if (child_send(SIGNERD(vd), &w) != 0) {
		slot_free(vd, s);
		return CV_ERR_NOTRUNNING;
	}
	return 0;
}

/*
 * End of a loop turn: the turn's verdicts are written and fdatasync'd
 * together, then its requests go to signerd together.
 */
void
vaultd_sign_flush(struct vaultd *vd)
{
	struct chan	*c = &SIGNERD(vd)->chan;
	int		 r;

	if (vd->held.len == 0)
		return;
	vaultd_audit_sync(vd);		/* the verdicts first */
	if (SIGNERD(vd)->state != CHILD_UP) {
		vaultd_sign_lost(vd);
		return;
	}
	r = msgbuf_add(&c->out, vd->held.data, vd->held.len);
	msgbuf_free(&vd->held);
	if (r != 0 || ((r = chan_flush(c)) != 0 && r != CV_ERR_AGAIN))
		child_kill(SIGNERD(vd), "cannot send signing requests");
}

/* Pass signerd's header list on, checking every field. */
static int
sign_ans(struct vaultd *vd, struct sign_slot *s, struct msg *m)
{
	struct msg_rd	 list, e;
	struct msg_w	 w;
	const char	*n, *v;
	size_t		 nl, vl;
	uint32_t	 i;
	int		 r;

	if ((r = msg_get_array(&m->rd, &list, 16)) != 0)
		return r;
	msg_begin(&w, s->netd ? MSG_NET_SIGN_ANS : MSG_CTL_HEADERS_ANS,
	    s->from_id);
	msg_put_array(&w, list.n);
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &e, 2)) != 0 || e.n != 2 ||
		    (r = msg_get_str(&e, &n, &nl, 64)) != 0 ||
		    (r = msg_get_str(&e, &v, &vl, 256)) != 0) {
			msg_w_free(&w);
			return r != 0 ? r : CV_ERR_MSG_COUNT;
		}
		msg_put_array(&w, 2);
		msg_put_strn(&w, n, nl);
		msg_put_strn(&w, v, vl);
	}
	if (s->netd) {
		if (NETD(vd)->state != CHILD_UP)
			msg_w_free(&w);
		else if (child_send(NETD(vd), &w) != 0)
			child_kill(NETD(vd), "cannot answer its request");
	} else
		control_answer(vd, s->client, &w);
	return 0;
}

int
vaultd_sign_answer(struct vaultd *vd, struct msg *m)
{
	struct sign_slot	*s = NULL;
	const char		*text, *json;
	char			 buf[256];
	size_t			 i, tlen;
	int64_t			 code;
	int			 r;

	for (i = 0; i < VAULTD_SIGN_MAX && vd->nsigns > 0; i++)
		if (vd->signs[i].used && vd->signs[i].id == m->id) {
			s = &vd->signs[i];
			break;
		}
	if (s == NULL)
		return 0;
	if (m->type == MSG_ERROR_ANS) {
		if ((r = msg_get_i64(&m->rd, &code)) != 0 ||
		    (r = msg_get_str(&m->rd, &text, &tlen, 255)) != 0)
			return r;
		if (code >= 0 || code < -1000)
			return CV_ERR_MSG_STATE;
		snprintf(buf, sizeof(buf), "%.*s", (int)tlen, text);
		if (s->sent == MSG_SIGN_REQ) {
			vaultd_audit(vd, "signerd", s->account, "sign",
			    "refused", NULL);
			origin_error(vd, s->client, s->netd, s->from_id,
			    (int)code, buf);
		} else
			vaultd_call_account(vd, (int)code, buf, 0);
	} else if (m->type == MSG_SIGN_ANS && s->sent == MSG_SIGN_REQ) {
		if ((r = sign_ans(vd, s, m)) != 0)
			return r;
	} else if (m->type == MSG_VAULT_ACCOUNT_ANS &&
	    s->sent == MSG_VAULT_ACCOUNT_REQ) {
		if ((r = msg_get_str(&m->rd, &json, &tlen, 4096)) != 0)
			return r;
		vaultd_call_account(vd, 0, json, tlen);
	} else
		return CV_ERR_MSG_STATE;
	slot_free(vd, s);
	return 1;
}

int
vaultd_sign_busy(const struct vaultd *vd)
{
	return vd->nsigns > 0 || vd->held.len > 0;
}

/* signerd died: nothing in flight will be answered. */
void
vaultd_sign_lost(struct vaultd *vd)
{
	size_t	i;

	msgbuf_free(&vd->held);
	for (i = 0; i < VAULTD_SIGN_MAX && vd->nsigns > 0; i++) {
		struct sign_slot *s = &vd->signs[i];

		if (!s->used)
			continue;
		if (s->sent == MSG_SIGN_REQ)
			origin_error(vd, s->client, s->netd, s->from_id,
			    CV_ERR_NOTRUNNING, "signerd stopped; retry");
		else
			vaultd_call_account(vd, CV_ERR_NOTRUNNING,
			    "signerd stopped", 0);
		slot_free(vd, s);
	}
}
