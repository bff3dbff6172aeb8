/*
 * vaultd's signing path: the verdict gate, the audit record before the
 * signature, and the requests to signerd that may overlap.
 *
 *	feature (control client, exchange call) -> vaultd_sign_request
 *	    -> gate -> audit record batched, request held (vd->held)
 *	end of the loop turn: the batch written to the log; if the syncer
 *	    is idle, the held requests move to vd->syncing and the syncer
 *	    fdatasyncs the log (vaultd_sync.c) while the loop goes on
 *	syncer done -> the synced requests go to signerd together, and the
 *	    next group (held meanwhile) starts syncing
 *	signerd -> MSG_SIGN_ANS -> vaultd checks it -> the asker's callback
 *
 * No signature leaves vaultd before its verdict is on disk: the frames
 * wait until a sync that began after their records were written has
 * ended, and vaultd stops rather than go on without that record.  The
 * one exception to the wait is a request alone on the path: its record
 * written, it goes to signerd and the loop syncs while signerd signs,
 * and the answer is read only in a later turn, after the sync.  In the
 * relaxed audit mode (vaultctl audit mode relaxed) the frames go at the
 * turn's end, after their records are written; the records are synced
 * in groups (vaultd_audit.c).  While a checkpoint is signed, records and
 * the requests they admit wait for it (vd->held_ckpt) instead of being
 * refused.  The verdict is the policy's (vaultd_policy.c): allow, deny
 * naming its rule, or hold for approval (vaultd_approve.c); the record's
 * key id field names the deciding rule (both, "L2@N+BUILDER@M", when
 * different rules allowed a builder request's two levels).  What an
 * exchange call may ask for on top of that is its own check
 * (vaultd_call.c).  A budget the verdict reserved is given back only
 * when no signature was made (signerd refused or stopped).  The signing
 * path knows no peer: whoever asks names the callback that answers its
 * own peer.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "common/log.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"
#include "vaultd/vaultd_order.h"

/*
 * A free slot, looked for from the one the next request id falls on
 * (id % VAULTD_SIGN_SLOTS): slot_id mostly gives it that id, and its
 * answer finds it there (vaultd_sign_answer) without a scan of up to
 * VAULTD_SIGN_SLOTS slots for each of 240 answers in flight.
 */
static struct sign_slot *
slot_new(struct vaultd *vd)
{
	size_t	i, k, start = (SIGNERD(vd)->next_id + 1) % VAULTD_SIGN_SLOTS;

	for (k = 0; k < VAULTD_SIGN_SLOTS; k++)
		if (!vd->sign_busy[i = (start + k) % VAULTD_SIGN_SLOTS]) {
			memset(&vd->signs[i], 0, sizeof(vd->signs[i]));
			vd->sign_busy[i] = 1;
			vd->nsigns++;
			return &vd->signs[i];
		}
	return NULL;
}

/* A new request id for s, noted beside the slots for its answer. */
static uint32_t
slot_id(struct vaultd *vd, struct sign_slot *s)
{
	return vd->sign_ids[s - vd->signs] = child_new_id(SIGNERD(vd));
}

static void
slot_free(struct vaultd *vd, struct sign_slot *s)
{
	if (s->cached)
		vd->ncached--;
	vd->sign_busy[s - vd->signs] = 0;
	vd->sign_ids[s - vd->signs] = 0;
	memset(s, 0, sizeof(*s));
	vd->nsigns--;
}

/* account's record as read at this generation, or NULL */
static struct acct_cache *
acache_find(struct vaultd *vd, const char *account)
{
	size_t	i;

	for (i = 0; i < VAULTD_ACACHE; i++)
		if (vd->acache[i].used &&
		    vd->acache[i].gen == vd->generation &&
		    strcmp(vd->acache[i].account, account) == 0)
			return &vd->acache[i];
	return NULL;
}

/*
 * Keep signerd's answer, if the vault is still at the generation it
 * was asked at: in place of the account's older entry, else of one
 * from another generation, else of the next in turn.
 */
static void
acache_put(struct vaultd *vd, const char *account, uint64_t gen,
    const char *json, size_t len)
{
	struct acct_cache	*e = NULL;
	size_t			 i;

	if (gen != vd->generation || len > VAULTD_ACACHE_JSON ||
	    strlen(account) >= sizeof(e->account))
		return;
	for (i = 0; i < VAULTD_ACACHE && e == NULL; i++)
		if (vd->acache[i].used &&
		    strcmp(vd->acache[i].account, account) == 0)
			e = &vd->acache[i];
	for (i = 0; i < VAULTD_ACACHE && e == NULL; i++)
		if (!vd->acache[i].used || vd->acache[i].gen != gen)
			e = &vd->acache[i];
	if (e == NULL) {
		e = &vd->acache[vd->acache_next];
		vd->acache_next = (vd->acache_next + 1) % VAULTD_ACACHE;
	}
	sodium_memzero(e, sizeof(*e));
	e->used = 1;
	e->gen = gen;
	snprintf(e->account, sizeof(e->account), "%s", account);
	memcpy(e->json, json, len);
	e->len = len;
}

/* The vault locked, or signerd stopped: what it said goes. */
void
vaultd_sign_forget(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < VAULTD_ACACHE; i++)
		if (vd->acache[i].used)
			sodium_memzero(&vd->acache[i],
			    sizeof(vd->acache[i]));
}

/*
 * The end of a turn: the account records asked for this turn and kept
 * for this generation go to their askers (asked again of signerd if the
 * vault moved on meanwhile).
 */
static void
sign_cached(struct vaultd *vd)
{
	struct sign_slot	 copy;
	struct acct_cache	*e;
	char			 json[VAULTD_ACACHE_JSON + 1];
	size_t			 i, len;
	int			 code;

	for (i = 0; i < VAULTD_SIGN_SLOTS && vd->ncached > 0; i++) {
		if (!vd->sign_busy[i] || !vd->signs[i].cached)
			continue;
		copy = vd->signs[i];
		slot_free(vd, &vd->signs[i]);
		if ((e = acache_find(vd, copy.account)) == NULL) {
			if ((code = vaultd_sign_account(vd, copy.account,
			    copy.account_done, copy.cookie)) != 0)
				copy.account_done(vd, copy.cookie, code,
				    "signerd is busy; retry",
				    strlen("signerd is busy; retry"));
			continue;
		}
		len = e->len;
		memcpy(json, e->json, len);
		json[len] = '\0';
		copy.account_done(vd, copy.cookie, 0, json, len);
		sodium_memzero(json, len);
	}
}

/* The time a request is signed at, decimal seconds, into ts. */
static void
sign_now(char ts[24])
{
	time_t	t = time(NULL);

	if (t >= 0)
		(void)dec_encode_u64((uint64_t)t, ts);
	else
		snprintf(ts, 24, "%lld", (long long)t);
}

/* What keeps a signing request from starting now, or NULL. */
static const char *
sign_blocked(struct vaultd *vd, int approved, int *code)
{
	*code = CV_ERR_AGAIN;
	/* vaultd unlocks again by itself: not the operator's to do */
	if (vault_unlock_coming(vd))
		return child_ready(SIGNERD(vd)) ? "the vault is unlocking; "
		    "retry in a moment" : VAULTD_SIGNERD_AGAIN;
	if (!vd->unlocked) {
		*code = CV_ERR_LOCKED;
		return "the vault is locked: unlock it with vaultctl unlock";
	}
	if (!child_ready(SIGNERD(vd)))
		return VAULTD_SIGNERD_AGAIN;
	/* signerd would be locked */
	if (vd->op.active && !vd->op.committing &&
	    vd->op.sent == MSG_VAULT_LOCK_REQ)
		return "the vault is busy for a moment; retry";
	/* the last VAULTD_PENDING_MAX slots are for granted requests */
	if (vd->nsigns >= (approved ? VAULTD_SIGN_SLOTS : VAULTD_SIGN_MAX))
		return "too many signing requests in flight; retry";
	/* test mode, probe busy-all: as the vault being locked */
	if (vd->probe_busy == 2)
		return "the vault is busy for a moment; retry";
	/*
	 * A request its approvers granted passes the bounds below, which
	 * keep a flood from growing vaultd's buffers: there are at most
	 * VAULTD_PENDING_MAX of them, and refused "retry" it would be
	 * held for its approvers anew.
	 */
	if (approved)
		return NULL;
	/*
	 * What waits for signerd stays under a buffer's bound (the
	 * channel's output queue keeps what it sent until half is sent).
	 */
	if (vd->held.len + vd->held_ckpt.len + vd->syncing.len +
	    chan_unwritten(&SIGNERD(vd)->chan) > VAULTD_HELD_MAX)
		return "too many signing request bytes in flight; retry";
	/* test mode, probe busy: as too many records waiting for one */
	if ((vaultd_audit_deferring(vd) && vd->ndeferred >= VAULTD_DEFER_MAX) ||
	    vd->probe_busy == 1)
		return "the vault is busy for a moment; retry";
	return NULL;
}

int
vaultd_sign_ready(struct vaultd *vd)
{
	int	code;

	return sign_blocked(vd, 0, &code) == NULL;
}

int
vaultd_sign_args(struct msg_rd *rd, struct sign_args *a)
{
	int	r;

	memset(a, 0, sizeof(*a));
	if ((r = msg_get_u64(rd, &a->level)) != 0 ||
	    (r = msg_get_strbuf(rd, a->method, sizeof(a->method))) != 0 ||
	    (r = msg_get_str(rd, &a->path, &a->pathlen, 4096)) != 0 ||
	    (r = msg_get_bin(rd, &a->body, &a->bodylen, 65536)) != 0)
		return r;
	return msg_get_u64(rd, &a->nonce);
}

/* The verdict record; written before signerd sees an admitted request. */
static void
sign_audit(struct vaultd *vd, const char *actor, const char *account,
    const struct sign_args *a, const char *ts, const char *verdict,
    const char *rule, struct sign_seen *seen)
{
	struct audit_req	q;

	/* everything the signature would authorise goes into the digest */
	memset(&q, 0, sizeof(q));
	q.level = a->level;
	q.method = a->method;
	q.methodlen = strlen(a->method);
	q.path = a->path;
	q.pathlen = a->pathlen;
	q.body = a->body;
	q.bodylen = a->bodylen;
	q.nonce = a->nonce;
	q.timestamp = ts;
	/* as sign_queue sends them: a key is named at L2 and bearer only */
	q.flags = a->flags;
	q.key_id = a->level == CATALOG_L2 || a->level == CATALOG_BEARER ?
	    a->key_id : "";
	vaultd_audit_sign(vd, actor, account, &q, verdict, rule, seen);
}

void
vaultd_sign_deny_rule(struct vaultd *vd, const char *actor,
    const char *account, const struct sign_args *a, const char *rule)
{
	char	ts[24];

	sign_now(ts);
	sign_audit(vd, actor, account, a, ts, "deny", rule, NULL);
}

void
vaultd_sign_deny(struct vaultd *vd, const char *actor, const char *account,
    const struct sign_args *a)
{
	vaultd_sign_deny_rule(vd, actor, account, a, "-");
}

void
vaultd_sign_rule(const struct policy_verdict *v, char *out, size_t len)
{
	char	num[DEC_U64_MAX + 1];
	size_t	idlen = strnlen(v->id, sizeof(v->id)), n = 0;

	/* id@line, once for every signing request: without printf */
	if (v->line > 0)
		n = dec_encode_u64((uint64_t)v->line, num);
	if (len < idlen + 1 + n + 1) {		/* no caller's: truncated */
		snprintf(out, len, "%s", v->id);
		return;
	}
	memcpy(out, v->id, idlen);
	out[idlen] = '\0';
	if (n > 0) {
		out[idlen] = '@';
		memcpy(out + idlen + 1, num, n + 1);
	}
}

void
vaultd_sign_verdict(struct vaultd *vd, const char *actor,
    const char *account, const struct sign_args *a,
    const struct policy_verdict *v, const char *verdict)
{
	char	ts[24], rule[POLICY_ID_MAX + 16];

	sign_now(ts);
	vaultd_sign_rule(v, rule, sizeof(rule));
	sign_audit(vd, actor, account, a, ts, verdict, rule, NULL);
}

/* Queue an admitted request for signerd, released at the turn's end. */
static void
sign_queue(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a, const char *ts,
    const struct policy_verdict *v, const struct sign_seen *seen)
{
	struct sign_slot	*s;
	struct msgbuf		*q;
	struct msg_w		 w;

	s = slot_new(vd);		/* sign_blocked saw a free one */
	s->sent = MSG_SIGN_REQ;
	s->origin = *o;
	s->level = a->level;
	s->flags = a->flags;
	s->resv = v->resv;
	s->resv_gen = vd->policy.gen;
	s->seen = *seen;
	/* snprintf's cut, without printf: once for every signature */
	memcpy(s->account, account, strnlen(account, sizeof(s->account) - 1));
	/*
	 * Packed where it waits, behind the frames held before it (while a
	 * checkpoint is signed, after it with its record): a body is copied
	 * once here, not into a frame and then into the queue.
	 */
	q = vaultd_audit_deferring(vd) ? &vd->held_ckpt : &vd->held;
	/*
	 * A group begins with room for as much as the last one and a
	 * quarter: grown by doubling, a group of large bodies was copied
	 * (and wiped) once more as a whole on its way.  Best effort: the
	 * frame grows its buffer itself if this fails.
	 */
	if (q->cap == 0 && vd->held_last > 0)
		(void)!msgbuf_reserve(q, vd->held_last + vd->held_last / 4);
	msg_begin_at(&w, q, MSG_SIGN_REQ, slot_id(vd, s));
	msg_put_str(&w, account);
	msg_put_u64(&w, a->level);
	msg_put_str(&w, a->method);
	msg_put_strn(&w, a->path, a->pathlen);
	msg_put_bin(&w, a->body, a->bodylen);
	msg_put_str(&w, ts);
	msg_put_u64(&w, a->nonce);
	msg_put_u64(&w, a->flags);
	msg_put_str(&w, a->level == CATALOG_L2 || a->level == CATALOG_BEARER ?
	    a->key_id : "");
	if (msg_end_at(&w, q) != 0) {
		slot_free(vd, s);
		vaultd_policy_refund(vd, v);
		o->done(vd, o, CV_ERR_NOMEM, "out of memory", NULL);
		return;
	}
	if (q == &vd->held_ckpt)
		vd->ckpt_n++;
	else
		vd->held_n++;
}

static void
sign_request(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *args, int builder)
{
	struct policy_verdict	 v;
	struct sign_args	 b = *args;
	const struct sign_args	*a = &b;
	struct sign_seen	 seen;
	const char		*why;
	char			 ts[24], rule[2 * (POLICY_ID_MAX + 16)];
	char			 l2rule[POLICY_ID_MAX + 16] = "";
	int			 code;

	if ((why = sign_blocked(vd, 0, &code)) != NULL) {
		o->done(vd, o, code, why, NULL);
		return;
	}
	sign_now(ts);
	if (a->level != CATALOG_L1 && a->level != CATALOG_L2 &&
	    a->level != CATALOG_BUILDER && a->level != CATALOG_BEARER) {
		/* recorded like an allow: batched, never a checkpoint */
		sign_audit(vd, o->actor, account, a, ts, "deny", "-", NULL);
		o->done(vd, o, CV_ERR_DENIED, "not an auth level vaultd signs "
		    "(1 L1, 2 L2, 3 builder, 4 bearer)", NULL);
		return;
	}
	if (builder)
		vaultd_policy_verdict_builder(vd, o, account, &b, &v, l2rule,
		    sizeof(l2rule));
	else
		vaultd_policy_verdict(vd, o, account, a, &v);
	vaultd_gw_verdict(vd, &v);
	vaultd_sign_rule(&v, rule, sizeof(rule));
	/* builder headers on an L2 set: the rules of both levels, l2's first */
	if (l2rule[0] != '\0') {
		memmove(rule + strlen(l2rule) + 1, rule, strlen(rule) + 1);
		memcpy(rule, l2rule, strlen(l2rule));
		rule[strlen(l2rule)] = '+';
	}
	switch (v.effect) {
	case POLICY_ALLOW:
		vaultd_budget_record(vd, o, account, &v.resv);
		sign_audit(vd, o->actor, account, a, ts, "allow", rule,
		    &seen);
		sign_queue(vd, o, account, a, ts, &v, &seen);
		return;
	case POLICY_APPROVE:
		vaultd_approve_hold(vd, o, account, a, &v);
		return;
	case POLICY_DENY:
	default:
		sign_audit(vd, o->actor, account, a, ts, "deny", rule, NULL);
		o->done(vd, o, CV_ERR_DENIED, v.why, NULL);
		return;
	}
}

void
vaultd_sign_request(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a)
{
	sign_request(vd, o, account, a, 0);
}

void
vaultd_sign_request_builder(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a)
{
	sign_request(vd, o, account, a, 1);
}

void
vaultd_sign_approved(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a,
    const struct policy_verdict *v)
{
	struct sign_origin	 ao = *o;
	struct sign_seen	 seen;
	const char		*why;
	char			 ts[24], rule[POLICY_ID_MAX + 16];
	int			 code;

	ao.approved = 1;
	sign_now(ts);
	vaultd_sign_rule(v, rule, sizeof(rule));
	vaultd_budget_record(vd, o, account, &v->resv);
	sign_audit(vd, o->actor, account, a, ts, "approved", rule, &seen);
	if ((why = sign_blocked(vd, 1, &code)) != NULL) {
		vaultd_policy_refund(vd, v);
		ao.done(vd, &ao, code, why, NULL);
		return;
	}
	sign_queue(vd, &ao, account, a, ts, v, &seen);
}

void
vaultd_sign_hdrs_put(struct msg_w *w, const struct sign_hdrs *h)
{
	uint32_t	i;

	msg_put_array(w, h->n);
	for (i = 0; i < h->n; i++) {
		msg_put_array(w, 2);
		msg_put_strn(w, h->h[i].name, h->h[i].nlen);
		msg_put_strn(w, h->h[i].value, h->h[i].vlen);
	}
}

/*
 * A control client's signature: the headers or the refusal, to it.  1 if
 * a signature went to it, 0 if it was withheld (the client gone, or its
 * answer not queued: the client is closed then).
 */
static int
ctl_sign_done(struct vaultd *vd, const struct sign_origin *o, int code,
    const char *text, const struct sign_hdrs *h)
{
	struct msg_w	w;

	if (code != 0) {
		control_error(vd, o->peer, o->id, code, text);
		if (code == CV_ERR_DENIED)
			control_denied(vd, o->peer);
		return 0;
	}
	if (!control_connected(vd, o->peer))
		return 0;
	msg_begin(&w, MSG_CTL_HEADERS_ANS, o->id);
	vaultd_sign_hdrs_put(&w, h);
	msg_put_bin(&w, h->body, h->bodylen);
	return control_answer(vd, o->peer, &w) == 0;
}

int
vaultd_sign_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct sign_origin	 o = { ctl_sign_done, cl->serial, m->id,
				    cl->actor, POLICY_ACTOR_OPERATOR,
				    (uint32_t)cl->uid, NULL, 0, 0, NULL };
	struct sign_args	 a;
	struct vaultd_orders	 vo;
	char			 account[65], why[512];
	int			 r;

	if ((r = msg_get_strbuf(&m->rd, account, sizeof(account))) != 0 ||
	    (r = vaultd_sign_args(&m->rd, &a)) != 0 ||
	    (r = msg_get_u64(&m->rd, &a.flags)) != 0)
		return r;
	/* a name no account can have goes no further (nor into the log) */
	if (!vault_fmt_name_valid(account, strlen(account))) {
		ctl_sign_done(vd, &o, CV_ERR_INVALID, "not an account name",
		    NULL);
		return 0;
	}
	/* a token request's body goes sealed to netd's one-time key: a
	 * control client never gets one (nor the empty headers of a
	 * bearer request, which authorize nothing) */
	if (a.level == CATALOG_BEARER) {
		vaultd_sign_deny(vd, cl->actor, account, &a);
		ctl_sign_done(vd, &o, CV_ERR_DENIED, "bearer requests are made "
		    "only by netd, within an exchange call", NULL);
		return 0;
	}
	/*
	 * The orders of a POST /order or /orders go to the policy decoded,
	 * as a gateway client's do, signed by the wallet (vaultctl sign
	 * order) or not; orders are signed in no other request.
	 */
	if ((r = vaultd_orders_view(&vo, a.method, a.path, a.pathlen, a.body,
	    a.bodylen, 0, &a, why, sizeof(why))) != 0 ||
	    (a.kind == NULL && (a.flags & SIGN_F_ORDERS))) {
		if (r == 0)
			snprintf(why, sizeof(why), "orders are signed only in "
			    "a POST /order or /orders");
		vaultd_sign_deny(vd, cl->actor, account, &a);
		ctl_sign_done(vd, &o, CV_ERR_INVALID, why, NULL);
		return 0;
	}
	vaultd_sign_request(vd, &o, account, &a);
	return 0;
}

int
vaultd_sign_account(struct vaultd *vd, const char *account,
    account_done_fn *done, uint64_t cookie)
{
	struct sign_slot	*s;
	struct msg_w		 w;
	const char		*why;
	int			 code;

	if ((why = sign_blocked(vd, 0, &code)) != NULL)
		return code;
	s = slot_new(vd);
	s->sent = MSG_VAULT_ACCOUNT_REQ;
	s->account_done = done;
	s->cookie = cookie;
	s->gen = vd->generation;
	snprintf(s->account, sizeof(s->account), "%s", account);
	if (acache_find(vd, account) != NULL) {
		s->cached = 1;		/* sign_cached, at the turn's end */
		vd->ncached++;
		return 0;
	}
	msg_begin(&w, MSG_VAULT_ACCOUNT_REQ, slot_id(vd, s));
	msg_put_str(&w, account);
	if (child_send(SIGNERD(vd), &w) != 0) {
		slot_free(vd, s);
		return CV_ERR_NOTRUNNING;
	}
	s->sent_ms = vd->now_ms;
	return 0;
}

int
vaultd_sign_client(struct vaultd *vd, const struct client_check *cc,
    client_done_fn *done, uint64_t cookie, const char **why)
{
	struct sign_slot	*s;
	struct msg_w		 w;
	int			 code;

	if ((*why = sign_blocked(vd, 0, &code)) != NULL)
		return code;
	s = slot_new(vd);
	s->sent = MSG_CLIENT_CHECK_REQ;
	s->client_done = done;
	s->cookie = cookie;
	msg_begin(&w, MSG_CLIENT_CHECK_REQ, slot_id(vd, s));
	msg_put_str(&w, cc->key);
	msg_put_str(&w, cc->passphrase);
	msg_put_str(&w, cc->timestamp);
	msg_put_str(&w, cc->signature);
	msg_put_str(&w, cc->method);
	msg_put_strn(&w, cc->path, cc->pathlen);
	msg_put_bin(&w, cc->body, cc->bodylen);
	code = child_queue(SIGNERD(vd), &w);
	/* the passphrase is in the frame: the flush wipes it once written */
	if (code != 0) {
		slot_free(vd, s);
		*why = VAULTD_SIGNERD_AGAIN;
		return CV_ERR_AGAIN;
	}
	s->sent_ms = vd->now_ms;
	return 0;
}

/*
 * The slot of the request id signerd is handed now: its watchdog clock
 * starts (child_watch).  Where slot_new mostly put it, else a scan.
 */
static void
sign_handed(struct vaultd *vd, uint32_t id)
{
	size_t	i = id % VAULTD_SIGN_SLOTS, k;

	for (k = 0; k < VAULTD_SIGN_SLOTS; k++, i = (i + 1) % VAULTD_SIGN_SLOTS)
		if (vd->sign_ids[i] == id && vd->sign_busy[i]) {
			vd->signs[i].sent_ms = vd->now_ms;
			return;
		}
}

/*
 * Frames whose records are written (and synced, unless relaxed) go: the
 * n requests in b are signerd's to answer from now on.  Each one's slot
 * notes when, from the id of its frame: the groups do not always go in
 * the order they were made (relaxed, a sync under way).
 */
static void
sign_release(struct vaultd *vd, struct msgbuf *b, size_t *n)
{
	struct chan	*c = &SIGNERD(vd)->chan;
	size_t		 off, flen;
	uint32_t	 id;
	int		 r;

	*n = 0;
	if (b->len == 0)
		return;
	if (b == &vd->held)		/* alone, or relaxed: a group too */
		vd->held_last = b->len;
	if (SIGNERD(vd)->state != CHILD_UP) {
		msgbuf_free(b);			/* may be the caller's own */
		vaultd_sign_lost(vd);
		return;
	}
	/* bytes not as msg_begin packs them (none are) go unstamped */
	for (off = 0; off < b->len && msg_frame_id(b->data + off,
	    b->len - off, &id, &flen) == 0; off += flen)
		sign_handed(vd, id);
	r = chan_queue_buf(c, b);
	if (r != 0 || ((r = chan_flush(c)) != 0 && r != CV_ERR_AGAIN))
		child_kill(SIGNERD(vd), "cannot send signing requests");
}

/* The held frames' records are written: sync them in the syncer. */
static void
sign_sync_held(struct vaultd *vd)
{
	if (vd->held.len == 0 || vaultd_sync_busy(vd))
		return;
	vd->syncing = vd->held;		/* syncing is empty: not busy */
	vd->syncing_n = vd->held_n;
	vd->held_n = 0;
	vd->held_last = vd->held.len;
	memset(&vd->held, 0, sizeof(vd->held));
	vaultd_audit_sync_begin(vd);
}

/*
 * End of a loop turn: the turn's records (allows, denials, refusals)
 * are written, or kept until the sync under way ends if there is one;
 * the requests they admit wait for the next sync, made by
 * the syncer while the loop goes on (released in vaultd_sign_synced),
 * or here if one request is alone on the path and the syncer idle:
 * then it goes to signerd before the sync, which overlaps the signing.
 * A turn with only denials syncs them at once, unless the sync under
 * way already covers every record written.  Relaxed: the requests go
 * now and their records are written right after, in the same turn, so
 * that the write overlaps signerd's work: no answer is read before the
 * next turn, so no signature leaves before its record is written.  The
 * group sync is due later.
 */
void
vaultd_sign_flush(struct vaultd *vd)
{
	sign_cached(vd);
	if (vd->audit_relaxed) {
		sign_release(vd, &vd->held, &vd->held_n);
		vaultd_audit_write(vd);
		return;
	}
	if (vd->held.len == 0) {
		/* what the syncer syncs now needs no second sync here */
		if (!vaultd_audit_covered(vd))
			vaultd_audit_sync(vd);
		return;
	}
	/*
	 * A sync under way: the records wait with their requests and are
	 * written once it ends, right before the sync that covers them
	 * (vaultd_sign_synced), in one write for the turns between.
	 */
	if (vaultd_sync_busy(vd))
		return;
	vaultd_audit_write(vd);
	if (vd->nsigns == 1) {
		/*
		 * Alone on the path: synced here, it goes without the two
		 * wake-ups a sync in the syncer costs (its and the loop's).
		 * Its record is written, so it goes to signerd first and
		 * signerd signs while the loop syncs; the answer is read
		 * in a later turn, after the sync returned (a failed sync
		 * stops vaultd), so no signature leaves before its record
		 * is on disk.
		 */
		sign_release(vd, &vd->held, &vd->held_n);
		vaultd_audit_sync(vd);
		return;
	}
	sign_sync_held(vd);
}

/*
 * The next group's sync begins before the synced group goes to signerd:
 * woken in that order, the syncer starts its sync before signerd takes
 * the core they may share (woken after signerd, it waited for signerd's
 * whole group, 0.2 ms and more, before it could start).
 */
void
vaultd_sign_synced(struct vaultd *vd)
{
	struct msgbuf	synced = vd->syncing;
	size_t		n = vd->syncing_n;

	vaultd_audit_synced(vd);
	memset(&vd->syncing, 0, sizeof(vd->syncing));
	vd->syncing_n = 0;
	if (vd->held.len > 0 && !vd->audit_relaxed) {
		/* what came since: its records written first */
		vaultd_audit_write(vd);
		sign_sync_held(vd);		/* the next group */
	}
	sign_release(vd, &synced, &n);
	if (vd->held.len > 0) {			/* switched to relaxed */
		vaultd_audit_write(vd);
		sign_release(vd, &vd->held, &vd->held_n);
	}
}

/* signerd's header list, every field checked; pointers into m. */
static int
sign_hdrs_read(struct msg *m, struct sign_hdrs *h)
{
	struct msg_rd	list, e;
	uint32_t	i;
	int		r;

	if ((r = msg_get_array(&m->rd, &list, SIGN_HDRS_MAX)) != 0)
		return r;
	memset(h, 0, sizeof(*h));
	h->n = list.n;
	for (i = 0; i < list.n; i++) {
		if ((r = msg_get_array(&list, &e, 2)) != 0)
			return r;
		if (e.n != 2)
			return CV_ERR_MSG_COUNT;
		if ((r = msg_get_str(&e, &h->h[i].name, &h->h[i].nlen,
		    64)) != 0 ||
		    (r = msg_get_str(&e, &h->h[i].value, &h->h[i].vlen,
		    256)) != 0)
			return r;
	}
	if ((r = msg_get_bin(&m->rd, &h->body, &h->bodylen, 131072)) != 0)
		return r;
	if (h->bodylen == 0)
		h->body = NULL;
	return 0;
}

int
vaultd_sign_answer(struct vaultd *vd, struct msg *m)
{
	struct sign_slot	*s = NULL;
	struct sign_slot	 copy;
	struct sign_hdrs	 h;
	const char		*json = NULL;
	char			 text[MSG_ERROR_TEXT_MAX + 1] = "";
	char			 name[65] = "", account[65] = "";
	size_t			 i, len = 0;
	int64_t			 acode;
	int			 code, r, released;

	i = m->id % VAULTD_SIGN_SLOTS;		/* where slot_new put it */
	if (vd->sign_ids[i] == m->id && vd->sign_busy[i] &&
	    !vd->signs[i].cached)
		s = &vd->signs[i];
	for (i = 0; s == NULL && i < VAULTD_SIGN_SLOTS && vd->nsigns > 0; i++)
		if (vd->sign_ids[i] == m->id && vd->sign_busy[i] &&
		    !vd->signs[i].cached)
			s = &vd->signs[i];
	if (s == NULL)
		return 0;
	if (m->type == MSG_ERROR_ANS) {
		if ((r = msg_get_error(m, &code, text, sizeof(text))) != 0)
			return r;
	} else if (m->type == MSG_SIGN_ANS && s->sent == MSG_SIGN_REQ) {
		if ((r = sign_hdrs_read(m, &h)) != 0)
			return r;
		/* a body only where signerd makes one: orders, a token's */
		if (h.bodylen > 0 && !(s->flags & SIGN_F_ORDERS) &&
		    (s->level != CATALOG_BEARER || h.bodylen > SIGN_BOX_MAX))
			return CV_ERR_MSG_STATE;
		code = 0;
	} else if (m->type == MSG_VAULT_ACCOUNT_ANS &&
	    s->sent == MSG_VAULT_ACCOUNT_REQ) {
		if ((r = msg_get_str(&m->rd, &json, &len, 4096)) != 0)
			return r;
		code = 0;
	} else if (m->type == MSG_CLIENT_CHECK_ANS &&
	    s->sent == MSG_CLIENT_CHECK_REQ) {
		if ((r = msg_get_strbuf(&m->rd, name, sizeof(name))) != 0 ||
		    (r = msg_get_strbuf(&m->rd, account,
		    sizeof(account))) != 0 ||
		    (r = msg_get_i64(&m->rd, &acode)) != 0 ||
		    (r = msg_get_strbuf(&m->rd, text, sizeof(text))) != 0)
			return r;
		/* a client is named; its account's refusal is an error's */
		if (name[0] == '\0' || acode > 0 || acode < -1000 ||
		    (acode != 0 && text[0] == '\0'))
			return CV_ERR_MSG_STATE;
		code = (int)acode;
	} else
		return CV_ERR_MSG_STATE;

	/* the slot is free before its callback runs: it may ask again */
	copy = *s;
	slot_free(vd, s);
	if (copy.sent == MSG_SIGN_REQ) {
		if (code != 0) {	/* batched like the verdicts */
			vaultd_audit_refused(vd, copy.account, &copy.seen);
			vaultd_policy_refund_resv(vd, &copy.resv,
			    copy.resv_gen);
		}
		/*
		 * A signature its asker never got (gone, its call over) is
		 * on the log as withheld, and counted apart from those
		 * handed over.  Its budget stays spent: the signature was
		 * made, and an asker that keeps going away must not make
		 * signerd sign without limit.
		 */
		copy.origin.seen = &copy.seen;
		released = copy.origin.done(vd, &copy.origin, code, text,
		    code == 0 ? &h : NULL);
		if (code == 0)
			vaultd_gw_signed(vd, copy.level, copy.flags, released);
		if (code == 0 && !released)
			vaultd_audit_withheld(vd, copy.account, &copy.seen);
	} else if (copy.sent == MSG_CLIENT_CHECK_REQ)
		copy.client_done(vd, copy.cookie, code, text, name, account);
	else if (code != 0)
		copy.account_done(vd, copy.cookie, code, text, strlen(text));
	else {
		acache_put(vd, copy.account, copy.gen, json, len);
		copy.account_done(vd, copy.cookie, 0, json, len);
	}
	return 1;
}

int
vaultd_sign_busy(const struct vaultd *vd)
{
	return vd->nsigns > 0 || vd->held.len > 0 || vd->syncing.len > 0 ||
	    vd->held_ckpt.len > 0;
}

int
vaultd_sign_waiting(const struct vaultd *vd)
{
	return vd->nsigns > 0;
}

size_t
vaultd_sign_at_signerd(const struct vaultd *vd)
{
	size_t	not_sent = vd->ncached + vd->held_n + vd->syncing_n +
		    vd->ckpt_n;

	/* never more than there are: a miscount must not blame signerd */
	return vd->nsigns > not_sent ? vd->nsigns - not_sent : 0;
}

int64_t
vaultd_sign_oldest_ms(const struct vaultd *vd)
{
	int64_t	oldest = 0;
	size_t	i;

	if (vaultd_sign_at_signerd(vd) == 0)
		return 0;
	for (i = 0; i < VAULTD_SIGN_SLOTS; i++)
		if (vd->sign_busy[i] && vd->signs[i].sent_ms != 0 &&
		    (oldest == 0 || vd->signs[i].sent_ms < oldest))
			oldest = vd->signs[i].sent_ms;
	return oldest;
}

int
vaultd_sign_for_client(const struct vaultd *vd, uint64_t serial)
{
	size_t	i;

	for (i = 0; i < VAULTD_SIGN_SLOTS && vd->nsigns > 0; i++)
		if (vd->sign_busy[i] && vd->signs[i].sent == MSG_SIGN_REQ &&
		    vd->signs[i].origin.done == ctl_sign_done &&
		    vd->signs[i].origin.peer == serial)
			return 1;
	return 0;
}

/*
 * signerd died: nothing in flight will be answered.  An operator's
 * signature may simply be asked again when vaultd unlocks by itself
 * (CV_ERR_AGAIN); netd's fail the call, which is never retried blindly.
 */
void
vaultd_sign_lost(struct vaultd *vd)
{
	struct sign_slot	copy;
	size_t			i;
	int			again = vd->unattended &&
				    !vd->unattended_failed;

	msgbuf_free(&vd->held);
	msgbuf_free(&vd->syncing);
	msgbuf_free(&vd->held_ckpt);
	vd->held_n = vd->syncing_n = vd->ckpt_n = 0;
	vaultd_sign_forget(vd);
	for (i = 0; i < VAULTD_SIGN_SLOTS && vd->nsigns > 0; i++) {
		struct sign_slot *s = &vd->signs[i];

		if (!vd->sign_busy[i])
			continue;
		copy = *s;
		slot_free(vd, s);
		if (copy.sent == MSG_SIGN_REQ) {
			/* no signature was made: the budget is not spent */
			vaultd_policy_refund_resv(vd, &copy.resv,
			    copy.resv_gen);
			if (again && copy.origin.done == ctl_sign_done)
				copy.origin.done(vd, &copy.origin,
				    CV_ERR_AGAIN, VAULTD_SIGNERD_AGAIN, NULL);
			else
				copy.origin.done(vd, &copy.origin,
				    CV_ERR_NOTRUNNING, "signerd stopped; "
				    "retry", NULL);
		} else if (copy.sent == MSG_CLIENT_CHECK_REQ)
			copy.client_done(vd, copy.cookie, CV_ERR_NOTRUNNING,
			    "signerd stopped; retry", "", "");
		else
			copy.account_done(vd, copy.cookie, CV_ERR_NOTRUNNING,
			    "signerd stopped", strlen("signerd stopped"));
	}
}
