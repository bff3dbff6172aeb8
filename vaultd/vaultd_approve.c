/*
 * Requests held for approval.  A request under an `approve K of {...}`
 * rule waits here, its budgets reserved, until the approvers have
 * signed it, one of them rejects it, its deadline passes, its caller
 * goes away, or the policy changes:
 *
 *	verdict APPROVE -> held (audited "held") -> vaultctl approve list
 *	approver: vaultctl approve grant ID --key FILE -> MSG_CTL_APPROVE_REQ
 *	    {id, grant, public key, Ed25519 signature over the request's
 *	    digest, the policy version and the decision}
 *	enough grants -> audited "approved" -> signed like any admitted one
 *
 * The digest covers a random id given to this request alone, so an
 * approval admits exactly that request, never an identical one; the
 * version binds it to the policy that held it, and a policy change
 * refuses every held request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/log.h"
#include "vaultd/vaultd.h"

#define BODY_SHOWN	200	/* bytes of a body the list shows */

static struct vd_pending *
pend_find(struct vaultd *vd, uint64_t id)
{
	size_t	i;

	for (i = 0; i < VAULTD_PENDING_MAX; i++)
		if (vd->pending[i].used && vd->pending[i].id == id)
			return &vd->pending[i];
	return NULL;
}

static void
pend_args(const struct vd_pending *p, struct sign_args *a)
{
	memset(a, 0, sizeof(*a));
	a->level = p->a.level;
	memcpy(a->method, p->a.method, sizeof(a->method));
	a->path = p->a.path;
	a->pathlen = p->a.pathlen;
	a->body = p->a.body;
	a->bodylen = p->a.bodylen;
	a->nonce = p->a.nonce;
	a->flags = p->a.flags;
	memcpy(a->key_id, p->a.key_id, sizeof(a->key_id));
}

/*
 * What the policy decoded of a's body, for the approvers: the raw body
 * they see is cut at BODY_SHOWN bytes, which ends an order before its
 * amounts.  "order side BUY token 1234 ... signature_type 0", a set
 * after "; " for each further one; bytes outside printable ASCII as
 * '?', and "..." when it is cut.
 */
static void
pend_decoded(struct vd_pending *p, const struct sign_args *a)
{
	const struct policy_field	*f;
	char				*out = p->decoded;
	const size_t			 max = sizeof(p->decoded);
	size_t				 sets, i, k, n = 0;
	int				 w;

	out[0] = '\0';
	if (a->kind == NULL || a->fields == NULL)
		return;
	sets = a->nsets > 0 ? a->nsets : 1;
	for (i = 0; i < sets; i++) {
		w = snprintf(out + n, max - n, "%s%s", i > 0 ? "; " : "",
		    a->kind);
		for (k = 0; w >= 0 && (size_t)w < max - n &&
		    k < a->nfields; k++) {
			f = &a->fields[i * a->nfields + k];
			if (f->name == NULL || f->value == NULL)
				continue;
			n += (size_t)w;
			w = snprintf(out + n, max - n, " %s %s", f->name,
			    f->value);
		}
		if (w < 0 || (size_t)w >= max - n) {
			memcpy(out + max - 4, "...", 4);
			break;
		}
		n += (size_t)w;
	}
	for (n = 0; out[n] != '\0'; n++)
		if (out[n] < 0x20 || out[n] > 0x7e)
			out[n] = '?';
}

static void
pend_free(struct vaultd *vd, struct vd_pending *p)
{
	free(p->a.path);
	free(p->a.body);
	memset(p, 0, sizeof(*p));
	vd->npending--;
}

/*
 * End p without a signature: audited with verdict, budgets given back,
 * the caller told why (unless it is gone: tell 0).
 */
/*
 * Move p out of its slot into *copy (its path and body now the copy's
 * to free) and free the slot, so that the callback that follows may
 * hold a new request; *a points into the copy.
 */
static void
pend_take(struct vaultd *vd, struct vd_pending *p, struct vd_pending *copy,
    struct sign_args *a)
{
	*copy = *p;
	copy->origin.actor = copy->origin_actor;
	copy->origin.client = copy->client[0] ? copy->client : NULL;
	pend_args(copy, a);
	p->a.path = NULL;
	p->a.body = NULL;
	pend_free(vd, p);
}

static void
pend_refuse(struct vaultd *vd, struct vd_pending *p, const char *verdict,
    int code, const char *why, int tell)
{
	struct vd_pending	copy;
	struct sign_args	a;

	pend_take(vd, p, &copy, &a);
	vaultd_sign_verdict(vd, copy.origin.actor, copy.account, &a, &copy.v,
	    verdict);
	vaultd_policy_refund(vd, &copy.v);
	if (tell)
		copy.origin.done(vd, &copy.origin, code, why, NULL);
	free(copy.a.path);
	free(copy.a.body);
}

void
vaultd_approve_hold(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a,
    const struct policy_verdict *v)
{
	struct vd_pending	*p = NULL;
	struct policy_req	 req;
	struct sign_args	 pa;
	char			 why[160];
	size_t			 i, mine = 0;

	for (i = 0; i < VAULTD_PENDING_MAX; i++) {
		if (!vd->pending[i].used) {
			if (p == NULL)
				p = &vd->pending[i];
		} else if (o->client != NULL &&
		    strcmp(vd->pending[i].client, o->client) == 0)
			mine++;
	}
	/*
	 * One bot's requests under an approve rule (one connection each)
	 * would otherwise take every slot until the approval-timeout: then
	 * no other client's, nor an operator's, could wait.
	 */
	if (mine >= VAULTD_PENDING_CLIENT_MAX) {
		vaultd_sign_verdict(vd, o->actor, account, a, v, "deny");
		vaultd_policy_refund(vd, v);
		/* refused, not "again": the gateway would wait it out */
		snprintf(why, sizeof(why), "client %s has %d requests waiting "
		    "for approval; send this one once one of them is decided",
		    o->client, VAULTD_PENDING_CLIENT_MAX);
		o->done(vd, o, CV_ERR_DENIED, why, NULL);
		return;
	}
	if (p == NULL) {
		vaultd_sign_verdict(vd, o->actor, account, a, v, "deny");
		vaultd_policy_refund(vd, v);
		o->done(vd, o, CV_ERR_AGAIN, "too many requests wait for "
		    "approval; retry later", NULL);
		return;
	}
	memset(p, 0, sizeof(*p));
	if ((p->a.path = malloc(a->pathlen + 1)) == NULL ||
	    (p->a.body = malloc(a->bodylen + 1)) == NULL) {
		free(p->a.path);
		p->a.path = NULL;
		vaultd_policy_refund(vd, v);
		o->done(vd, o, CV_ERR_NOMEM, "out of memory", NULL);
		return;
	}
	p->used = 1;
	vd->npending++;
	do
		randombytes_buf(&p->id, sizeof(p->id));
	while (p->id == 0 || pend_find(vd, p->id) != p);
	memcpy(p->a.path, a->path, a->pathlen);
	p->a.path[a->pathlen] = '\0';
	p->a.pathlen = a->pathlen;
	memcpy(p->a.body, a->body, a->bodylen);
	p->a.bodylen = a->bodylen;
	p->a.level = a->level;
	memcpy(p->a.method, a->method, sizeof(p->a.method));
	p->a.nonce = a->nonce;
	p->a.flags = a->flags;
	memcpy(p->a.key_id, a->key_id, sizeof(p->a.key_id));
	pend_decoded(p, a);
	p->origin = *o;
	/* the asker may be gone when the request ends: keep who it was */
	snprintf(p->origin_actor, sizeof(p->origin_actor), "%s",
	    o->actor != NULL ? o->actor : "");
	p->origin.actor = p->origin_actor;
	if (o->client != NULL) {
		snprintf(p->client, sizeof(p->client), "%s", o->client);
		snprintf(p->actor, sizeof(p->actor), "client:%s", o->client);
	} else
		snprintf(p->actor, sizeof(p->actor), "operator:%u", o->uid);
	p->origin.client = NULL;	/* p->client, set when used */
	snprintf(p->account, sizeof(p->account), "%s", account);
	p->v = *v;
	p->version = vd->policy.version;
	p->since_ms = vaultd_now_ms();
	p->deadline_ms = p->since_ms +
	    policy_approval_timeout(vd->policy.pol) * 1000;
	pend_args(p, &pa);
	vaultd_policy_req(vd, o, p->account, &pa, &req);
	policy_req_digest(&req, p->id, p->a.key_id, p->a.flags,
	    p->digest);
	vaultd_sign_verdict(vd, o->actor, account, a, v, "held");
	log_info("request %016llx by %s for %s held: %s",
	    (unsigned long long)p->id, p->actor, account, v->why);
}

int
vaultd_approve_list_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	int64_t		 now = vaultd_now_ms();
	char		 body[BODY_SHOWN * 4 + 64], granted[512];
	const char	*name;
	size_t		 i, j, k, n;
	int		 c;

	msg_begin(&w, MSG_CTL_APPROVE_LIST_ANS, m->id);
	msg_put_u64(&w, vd->policy.version);
	msg_put_array(&w, (uint32_t)vd->npending);
	for (i = 0; i < VAULTD_PENDING_MAX; i++) {
		const struct vd_pending *p = &vd->pending[i];

		if (!p->used)
			continue;
		/* a body summary: printable ASCII, the rest as \xHH */
		n = 0;
		body[0] = '\0';	/* an empty body: an empty summary */
		for (j = 0; j < p->a.bodylen && j < BODY_SHOWN; j++) {
			c = p->a.body[j];
			n += (size_t)snprintf(body + n, sizeof(body) - n,
			    c >= 0x20 && c < 0x7f && c != '\\' ? "%c" :
			    "\\x%02x", c);
		}
		if (p->a.bodylen > BODY_SHOWN)
			snprintf(body + n, sizeof(body) - n, "... (%zu bytes)",
			    p->a.bodylen);
		granted[0] = '\0';
		for (k = 0, n = 0; k < POLICY_MAX_APPROVERS; k++) {
			if (!(p->granted[k / 8] & (1U << (k % 8))))
				continue;
			name = policy_approver_name(vd->policy.pol, k);
			n += (size_t)snprintf(granted + n, sizeof(granted) - n,
			    "%s%s", n ? "," : "", name ? name : "?");
			if (n >= sizeof(granted))
				break;
		}
		msg_put_array(&w, 15);
		msg_put_u64(&w, p->id);
		msg_put_u64(&w, (uint64_t)(now - p->since_ms));
		msg_put_u64(&w, (uint64_t)(p->deadline_ms > now ?
		    p->deadline_ms - now : 0));
		msg_put_bin(&w, p->digest, sizeof(p->digest));
		msg_put_str(&w, p->actor);
		msg_put_str(&w, p->account);
		msg_put_u64(&w, p->a.level);
		msg_put_str(&w, p->a.method);
		msg_put_strn(&w, p->a.path, p->a.pathlen);
		msg_put_str(&w, body);
		msg_put_str(&w, p->v.why);
		msg_put_str(&w, granted);
		/* what else the signature will be: which key, what orders */
		msg_put_str(&w, p->a.key_id);
		msg_put_u64(&w, p->a.flags);
		msg_put_str(&w, p->decoded);
	}
	control_answer(vd, cl->serial, &w);
	return 0;
}

int
vaultd_approve_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct vd_pending	*p;
	struct msg_w		 w;
	struct sign_args	 a;
	const uint8_t		*pk, *sig;
	uint8_t			 msg[POLICY_APPROVAL_MSG_LEN];
	const char		*name = NULL;
	char			 why[256], idtext[24];
	size_t			 pklen, siglen;
	uint64_t		 id;
	unsigned		 after;
	int			 grant, k, r;

	if ((r = msg_get_u64(&m->rd, &id)) != 0 ||
	    (r = msg_get_bool(&m->rd, &grant)) != 0 ||
	    (r = msg_get_bin(&m->rd, &pk, &pklen, POLICY_PK_LEN)) != 0 ||
	    (r = msg_get_bin(&m->rd, &sig, &siglen, POLICY_SIG_LEN)) != 0)
		return r;
	if (pklen != POLICY_PK_LEN || siglen != POLICY_SIG_LEN)
		return CV_ERR_MSG_LENGTH;
	if ((p = pend_find(vd, id)) == NULL) {
		control_error(vd, cl->serial, m->id, CV_ERR_NOTFOUND, "no "
		    "request with that id waits for approval (decided, "
		    "expired or cancelled)");
		return 0;
	}
	snprintf(idtext, sizeof(idtext), "%016llx", (unsigned long long)id);
	if ((k = policy_approver_find(vd->policy.pol, pk, &name)) < 0) {
		vaultd_audit_refusal(vd, cl->actor, p->account, "approve",
		    "deny");
		control_error(vd, cl->serial, m->id, CV_ERR_DENIED, "that key "
		    "is not an approver of the policy in force");
		control_denied(vd, cl->serial);
		return 0;
	}
	policy_approval_msg(p->digest, p->version, grant, msg);
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0) {
		vaultd_audit_refusal(vd, cl->actor, p->account, "approve",
		    "badsig");
		control_error(vd, cl->serial, m->id, CV_ERR_DENIED, "the "
		    "signature is not over this request's digest and policy "
		    "version");
		control_denied(vd, cl->serial);
		return 0;
	}
	snprintf(why, sizeof(why), "approver:%s", name);
	if (!grant) {
		vaultd_audit(vd, why, p->account, "approve", "reject", idtext);
		snprintf(why, sizeof(why), "rejected by approver %s", name);
		pend_refuse(vd, p, "rejected", CV_ERR_DENIED, why, 1);
		msg_begin(&w, MSG_CTL_APPROVE_ANS, m->id);
		msg_put_u64(&w, 0);
		msg_put_str(&w, "rejected");
		control_answer(vd, cl->serial, &w);
		return 0;
	}
	if (!policy_approval_counts(vd->policy.pol, &p->v, p->granted,
	    (size_t)k)) {
		control_error(vd, cl->serial, m->id, CV_ERR_DENIED, "that "
		    "approver's grant does not count for this request (not "
		    "among its rule's approvers, or already given)");
		return 0;
	}
	p->granted[k / 8] |= (uint8_t)(1U << (k % 8));
	after = policy_approval_missing(vd->policy.pol, &p->v, p->granted);
	vaultd_audit(vd, why, p->account, "approve", "grant", idtext);
	msg_begin(&w, MSG_CTL_APPROVE_ANS, m->id);
	msg_put_u64(&w, after);
	if (after > 0) {
		msg_put_str(&w, "granted; more approvals needed");
		control_answer(vd, cl->serial, &w);
		return 0;
	}
	msg_put_str(&w, "approved; the request is signed");
	control_answer(vd, cl->serial, &w);
	{
		struct vd_pending	copy;

		pend_take(vd, p, &copy, &a);
		vaultd_sign_approved(vd, &copy.origin, copy.account, &a,
		    &copy.v);
		free(copy.a.path);
		free(copy.a.body);
	}
	return 0;
}

/*
 * 1 if whoever waits for p is still there to hear.  Its peer is a
 * control client's serial, netd's pid for an exchange call, or for a
 * gateway client's request (who CLIENT) the gateway's cookie.
 */
static int
pend_caller_here(struct vaultd *vd, const struct vd_pending *p)
{
	if (p->origin.who == POLICY_ACTOR_CLIENT)
		return vaultd_gw_waiting(vd, p->origin.peer);
	if (p->origin.peer == 0)
		return 1;
	/* netd's: a step of the call still at netd, never one after it */
	if (p->origin.actor != NULL && strcmp(p->origin.actor, "netd") == 0)
		return NETD(vd)->state == CHILD_UP &&
		    (uint64_t)NETD(vd)->pid == p->origin.peer &&
		    vaultd_call_owns(vd, p->origin.peer, p->origin.tag);
	return control_connected(vd, p->origin.peer);
}

void
vaultd_approve_tick(struct vaultd *vd, int64_t now)
{
	char	why[160];
	size_t	i;

	if (vd->npending > 0 && !vd->unlocked) {
		vaultd_approve_cancel_all(vd, "the vault was locked while the "
		    "request was held");
		return;
	}
	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++) {
		struct vd_pending *p = &vd->pending[i];

		if (!p->used)
			continue;
		if (!pend_caller_here(vd, p))
			pend_refuse(vd, p, "cancelled", CV_ERR_DENIED,
			    "the caller went away", 0);
		else if (now >= p->deadline_ms) {
			snprintf(why, sizeof(why), "no approval within %lld s: "
			    "%s", (long long)(p->deadline_ms - p->since_ms) /
			    1000, p->v.why);
			pend_refuse(vd, p, "expired", CV_ERR_DENIED, why, 1);
		}
	}
}

int64_t
vaultd_approve_next_ms(const struct vaultd *vd)
{
	int64_t	next = -1;
	size_t	i;

	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++)
		if (vd->pending[i].used && (next == -1 ||
		    vd->pending[i].deadline_ms < next))
			next = vd->pending[i].deadline_ms;
	/* a caller that leaves is noticed within a second */
	if (next != -1 && next > vaultd_now_ms() + 1000)
		next = vaultd_now_ms() + 1000;
	return next;
}

void
vaultd_approve_cancel_all(struct vaultd *vd, const char *why)
{
	size_t	i;

	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++)
		if (vd->pending[i].used)
			pend_refuse(vd, &vd->pending[i], "cancelled",
			    CV_ERR_DENIED, why, 1);
}

/*
 * netd gave up on the gateway request of cookie (its bot went away, or
 * was told 504): a request of it held here is cancelled at once, never
 * left for an approver to grant with no one to hand the signature to.
 */
int
vaultd_approve_gw_gone(struct vaultd *vd, uint64_t cookie)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++)
		if (vd->pending[i].used && vd->pending[i].origin.who ==
		    POLICY_ACTOR_CLIENT && vd->pending[i].origin.peer ==
		    cookie) {
			pend_refuse(vd, &vd->pending[i], "cancelled",
			    CV_ERR_DENIED, "the caller went away", 0);
			n++;
		}
	return n > 0;
}

int
vaultd_approve_for_client(const struct vaultd *vd, uint64_t serial)
{
	size_t	i;

	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++)
		if (vd->pending[i].used && vd->pending[i].origin.peer ==
		    serial && vd->pending[i].origin.who !=
		    POLICY_ACTOR_CLIENT &&
		    strcmp(vd->pending[i].origin.actor, "netd") != 0)
			return 1;
	return 0;
}

void
vaultd_approve_free(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < VAULTD_PENDING_MAX && vd->npending > 0; i++)
		if (vd->pending[i].used)
			pend_free(vd, &vd->pending[i]);
}
