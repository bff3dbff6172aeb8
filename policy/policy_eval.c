/*
 * The policy engine's verdict: the path's form, the ceilings, then every
 * candidate rule the index finds (policy_index.c), each matched in full
 * (policy_match.c), then the budgets of the matching allow and approve
 * rules (policy_budget.c), and a why for a person.
 *
 * The path comes first because rules match it byte for byte: a path in
 * another spelling than its one canonical form (%-encoded, with an
 * empty, "." or ".." segment, a trailing '/', a ';' parameter, a '\\'
 * that some servers and proxies read as a '/') could name what a deny
 * rule names and slip past it under a broader allow, since web servers
 * commonly take those spellings for the same path.
 * Such a request is denied.  So is one whose path differs only in the
 * case of its letters from a path a rule or the endpoint catalog names
 * (policy_case.c): an exchange or a proxy that routes without regard to
 * case would take it for the one named.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/encode.h"
#include "policy/policy_int.h"
#include "policy/policy_budget.h"
#include "policy/policy_eval.h"

static const char path_why[] = "the path is not canonical "
    "(percent-encoding, an empty, . or .. segment, a trailing /, a ; or "
    "\\, or a byte outside printable ASCII): refused before any rule";
_Static_assert(sizeof(path_why) <= POLICY_WHY_MAX, "path_why fits a why");

static int	 ev_path_canonical(const char *, size_t);
static int	 ev_setting_line(const struct policy *, const char *);
static int	 ev_ceilings(struct ev_ctx *, struct policy_verdict *);
static const char *effect_str(enum policy_effect);
static void	 v_init(struct policy_verdict *);
static void	 v_rule(struct policy_verdict *, const struct policy *,
		    uint32_t, enum policy_effect);
static void	 v_deny(struct policy_verdict *, const struct policy *,
		    uint32_t, const char *);
static void	 v_approve_why(struct policy_verdict *,
		    const struct policy *);
static void	 ev_budget_why(const struct policy *, uint32_t, size_t,
		    enum pb_result, char *, size_t);
static int	 ev_run(const struct policy *, const struct policy_state *,
		    struct policy_state *, const struct policy_req *, int64_t,
		    const struct policy_resv *, struct policy_verdict *,
		    policy_explain_fn *, void *);

/*
 * 1 when p[0..len), a path without its query, is in the one form rule
 * patterns are matched against: it starts with '/', every byte is
 * printable ASCII (0x21..0x7e) other than '%', '#', ';' and '\\', and no
 * segment is empty, "." or ".." (so no trailing '/', except the root
 * path "/" itself).
 */
static int
ev_path_canonical(const char *p, size_t len)
{
	size_t	i, seg;

	if (len == 0 || p[0] != '/')
		return 0;
	for (i = 1, seg = 1; i <= len; i++) {
		if (i == len || p[i] == '/') {
			if (i - seg == 0 && len > 1)
				return 0;
			if (i - seg == 1 && p[seg] == '.')
				return 0;
			if (i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.')
				return 0;
			seg = i + 1;
			continue;
		}
		if ((uint8_t)p[i] < 0x21 || (uint8_t)p[i] > 0x7e ||
		    p[i] == '%' || p[i] == '#' || p[i] == ';' || p[i] == '\\')
			return 0;
	}
	return 1;
}

/* Ceilings. */

static int
ev_setting_line(const struct policy *pol, const char *id)
{
	size_t	i;

	for (i = 0; i < pol->nsettings; i++)
		if (strcmp(pol->settings[i].id, id) == 0)
			return pol->settings[i].line;
	return 0;
}

/* 1 when a ceiling denies the request (v then says which and why). */
static int
ev_ceilings(struct ev_ctx *c, struct policy_verdict *v)
{
	const struct policy	*pol = c->pol;
	const struct policy_req	*q = c->req;
	const char		*name = NULL;
	char			 det[EV_DET_MAX], cb[128], nb[24];
	int64_t			 now_s, off;
	size_t			 i;
	int			 line;

	det[0] = '\0';
	if (pol->have_nonce_ceiling && q->level == POLICY_L_L1) {
		snprintf(nb, sizeof(nb), "%llu", (unsigned long long)q->nonce);
		if (pm_cmp(pol->nonce_op, &pol->nonce_vals, nb,
		    strlen(nb)) != RM_MATCH) {
			name = "l1-nonce";
			pm_cmp_str(pol->nonce_op, &pol->nonce_vals, cb,
			    sizeof(cb));
			snprintf(det, sizeof(det), "nonce %s is not %s", nb,
			    cb);
			goto deny;
		}
	}
	if (pol->have_perm_ceiling && q->kind != NULL &&
	    strcmp(q->kind, "key") == 0) {
		for (i = 0; i < q->nfields; i++) {
			if (q->fields[i].name == NULL ||
			    strcmp(q->fields[i].name, "permissions") != 0)
				continue;
			if (q->fields[i].value != NULL &&
			    pm_in_list(&pol->perm_ceiling, q->fields[i].value,
			    strlen(q->fields[i].value)))
				continue;
			name = "key-permissions";
			pm_list_str(&pol->perm_ceiling, cb, sizeof(cb));
			snprintf(det, sizeof(det), "permission \"%.48s\" is "
			    "not in %s", q->fields[i].value != NULL ?
			    q->fields[i].value : "", cb);
			goto deny;
		}
	}
	if (q->signed_ts != 0) {
		now_s = c->now_ms / 1000 - (c->now_ms % 1000 < 0);
		off = now_s - q->signed_ts;
		if (off > policy_skew(pol) || -off > policy_skew(pol)) {
			name = "skew";
			snprintf(det, sizeof(det), "signed timestamp is %lld "
			    "s %s, more than %lld", (long long)(off < 0 ?
			    -off : off), off < 0 ? "ahead" : "old",
			    (long long)policy_skew(pol));
			goto deny;
		}
	}
	return 0;
 deny:
	snprintf(v->id, sizeof(v->id), "ceiling:%s", name);
	line = ev_setting_line(pol, v->id);
	v->effect = POLICY_DENY;
	v->rule = -1;
	v->line = 0;
	if (line > 0)
		snprintf(v->why, sizeof(v->why), "denied by ceiling %s (line "
		    "%d): %s", name, line, det);
	else
		snprintf(v->why, sizeof(v->why), "denied by ceiling %s: %s",
		    name, det);
	return 1;
}

/* Verdicts. */

static const char *
effect_str(enum policy_effect e)
{
	switch (e) {
	case POLICY_DENY:	return "deny";
	case POLICY_ALLOW:	return "allow";
	case POLICY_APPROVE:	return "approve";
	}
	return "?";
}

static void
v_init(struct policy_verdict *v)
{
	static const char	none[] = "none", why[] = "no rule allows it";

	memset(v, 0, sizeof(*v));
	v->effect = POLICY_DENY;
	v->rule = -1;
	memcpy(v->id, none, sizeof(none));
	memcpy(v->why, why, sizeof(why));
}

static void
v_rule(struct policy_verdict *v, const struct policy *pol, uint32_t ri,
    enum policy_effect e)
{
	const struct pol_rule	*r = &pol->rules[ri];

	v->effect = e;
	v->rule = (int)ri;
	v->line = r->line;
	memcpy(v->id, r->id, sizeof(v->id));	/* both POLICY_ID_MAX */
}

/* Denied by rule ri: "denied by rule ID (line N)[: reason]". */
static void
v_deny(struct policy_verdict *v, const struct policy *pol, uint32_t ri,
    const char *reason)
{
	v_rule(v, pol, ri, POLICY_DENY);
	v->napprove = 0;
	v->resv.n = 0;
	snprintf(v->why, sizeof(v->why), "denied by rule %s (line %d)%s%s",
	    v->id, v->line, reason != NULL ? ": " : "",
	    reason != NULL ? reason : "");
}

/* "held for approval by rule A (line 9): 2 of {alice bob}; rule B ..." */
static void
v_approve_why(struct policy_verdict *v, const struct policy *pol)
{
	const struct pol_rule	*r;
	char			 lb[96];
	size_t			 i, n = 0;
	int			 k;

	for (i = 0; i < v->napprove && n < sizeof(v->why); i++) {
		r = &pol->rules[v->approve[i]];
		pm_list_str(&r->approvers, lb, sizeof(lb));
		k = snprintf(v->why + n, sizeof(v->why) - n, "%s rule %s "
		    "(line %d): %u of %s", i == 0 ? "held for approval by" :
		    ";", r->id, r->line, r->k, lb);
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

static void
ev_budget_why(const struct policy *pol, uint32_t ri, size_t bi,
    enum pb_result pr, char *buf, size_t len)
{
	const struct pol_budget	*b = &pol->rules[ri].budgets[bi];
	char			 desc[128];

	pb_describe(b, desc, sizeof(desc));
	switch (pr) {
	case PB_OK:
	case PB_EXHAUSTED:
		snprintf(buf, len, "budget %s exhausted", desc);
		break;
	case PB_NOFIELD:
		snprintf(buf, len, "budget %s needs the request's %s, and it "
		    "has none", desc, b->field);
		break;
	case PB_NOTDEC:
		snprintf(buf, len, "budget %s needs %s as a non-negative "
		    "decimal", desc, b->field);
		break;
	case PB_TWICE:
		snprintf(buf, len, "budget %s: the request gives %s twice",
		    desc, b->field);
		break;
	case PB_OVER:
		snprintf(buf, len, "the request would hold more than %d "
		    "budgets", POLICY_RESV_MAX);
		break;
	case PB_FULL:
		snprintf(buf, len, "budget %s: the budget table is full (%d "
		    "keys)", desc, PB_MAX_KEYS);
		break;
	case PB_KEYLONG:
		snprintf(buf, len, "budget %s: the account or client name is "
		    "too long for a budget key", desc);
		break;
	case PB_UNCHECKED:
		snprintf(buf, len, "budget %s held: charges not on the "
		    "audit log (vaultctl status)", desc);
		break;
	}
}

/*
 * "allowed by rule ID (line N)": made for every request a rule allows,
 * so without printf (2 % of vaultd's CPU per L2 signature with the
 * operator's uid below).
 */
static void
why_allowed(struct policy_verdict *v)
{
	static const char	 head[] = "allowed by rule ", mid[] = " (line ";
	char			 num[DEC_U64_MAX + 1];
	size_t			 idlen, n, at;

	idlen = strnlen(v->id, sizeof(v->id));
	n = dec_encode_u64(v->line > 0 ? (uint64_t)v->line : 0, num);
	if (v->line < 0 || sizeof(head) - 1 + idlen + sizeof(mid) - 1 + n +
	    sizeof(")") > sizeof(v->why)) {
		snprintf(v->why, sizeof(v->why), "allowed by rule %s "
		    "(line %d)", v->id, v->line);
		return;
	}
	memcpy(v->why, head, sizeof(head) - 1);
	at = sizeof(head) - 1;
	memcpy(v->why + at, v->id, idlen);
	at += idlen;
	memcpy(v->why + at, mid, sizeof(mid) - 1);
	at += sizeof(mid) - 1;
	memcpy(v->why + at, num, n);
	at += n;
	memcpy(v->why + at, ")", sizeof(")"));
}

/*
 * The verdict on req: the path's form, the ceilings, then every
 * candidate rule, then the budgets of the matching allow and approve
 * rules, all or none.  cst is what the budgets are checked against
 * (NULL: not checked); st, when set, is the same state and is charged;
 * a counter in held (NULL: none) was taken for this request already.
 * fn, when set, hears a line per candidate and one for the verdict.
 */
static int
ev_run(const struct policy *pol, const struct policy_state *cst,
    struct policy_state *st, const struct policy_req *req, int64_t now_ms,
    const struct policy_resv *held, struct policy_verdict *v,
    policy_explain_fn *fn, void *arg)
{
	const struct pol_rule	*r;
	const char		*qm, *pat;
	struct ev_ctx		 c;
	struct ix_cand		 cd;
	struct pb_plan		 plan;
	enum rm_result		 m;
	enum pb_result		 pr;
	char			 det[EV_DET_MAX], bdet[EV_DET_MAX], tdet[EV_DET_MAX];
	char			 line[POLICY_WHY_MAX + 128];
	char			 num[DEC_U64_MAX + 1], sp[128];
	uint32_t		 brules[POLICY_RESV_MAX + 1];
	size_t			 nb = 0, napp = 0, napp_full = 0, fb, i, n;
	int64_t			 ri, deny = -1, allow = -1;
	int			 rc = CV_ERR_INVALID, gc = 0;

	v_init(v);
	if (pol == NULL || req == NULL || req->account == NULL ||
	    req->method == NULL || req->path == NULL ||
	    (req->body == NULL && req->bodylen > 0) ||
	    (req->fields == NULL && req->nfields > 0) ||
	    (unsigned)req->level >= POLICY_L_COUNT ||
	    (req->actor != POLICY_ACTOR_OPERATOR &&
	    req->actor != POLICY_ACTOR_CLIENT &&
	    req->actor != POLICY_ACTOR_ANON)) {
		snprintf(v->why, sizeof(v->why), "malformed request");
		goto out;
	}
	rc = 0;
	memset(&c, 0, sizeof(c));
	c.pol = pol;
	c.req = req;
	c.now_ms = now_ms;
	c.explain = fn != NULL;
	c.path = req->path;
	c.pathlen = req->pathlen;
	if ((qm = memchr(req->path, '?', req->pathlen)) != NULL) {
		c.pathlen = (size_t)(qm - req->path);
		c.query = qm + 1;
		c.querylen = req->pathlen - c.pathlen - 1;
	}
	if (!ev_path_canonical(c.path, c.pathlen)) {
		memcpy(v->id, "path", sizeof("path"));
		memcpy(v->why, path_why, sizeof(path_why));
		goto verdict;
	}
	if (req->actor == POLICY_ACTOR_OPERATOR) {
		/* a uint32_t: 10 digits at most */
		n = dec_encode_u64(req->uid, num);
		memcpy(c.uid, num, n + 1);
	}
	if ((pat = policy_case_clash(pol, c.path, c.pathlen)) != NULL) {
		memcpy(v->id, "path", sizeof("path"));
		v->case_clash = 1;
		n = policy_case_spell(pat, c.path, c.pathlen, sp,
		    sizeof(sp));
		snprintf(v->why, sizeof(v->why), "the path differs only in "
		    "case from a path the policy or the catalog names: "
		    "refused before any rule%s%s", n > 0 ? "; send " : "",
		    n > 0 ? sp : "");
		goto verdict;
	}
	if (ev_ceilings(&c, v))
		goto verdict;

	bdet[0] = '\0';
	ix_cands(pol, &c, &cd);
	while ((ri = ix_cand_next(&cd)) >= 0) {
		r = &pol->rules[ri];
		m = pm_rule(&c, r, det, sizeof(det));
		if (fn != NULL) {
			snprintf(line, sizeof(line), "rule %s (line %d, %s): "
			    "%s%s", r->id, r->line, effect_str(r->effect),
			    m == RM_MATCH ? "match" : m == RM_NOMATCH ?
			    "no match: " : "denies: ", m == RM_MATCH ? "" :
			    det);
			fn(arg, line);
		}
		if (m == RM_NOMATCH)
			continue;
		if (m == RM_BROKEN || r->effect == POLICY_DENY) {
			if (deny < 0) {
				deny = ri;
				snprintf(bdet, sizeof(bdet), "%s",
				    m == RM_BROKEN ? det : "");
			}
			if (fn == NULL)
				break;		/* nothing overrides it */
			continue;
		}
		if (r->effect == POLICY_APPROVE) {
			if (napp < POLICY_APPROVE_MAX)
				v->approve[napp] = (uint32_t)ri;
			napp++;
			/*
			 * It holds the request if any value of a field of
			 * several matches; it grants it only if every value
			 * does (or an allow rule does).
			 */
			c.all_values = 1;
			if (pm_rule(&c, r, tdet, sizeof(tdet)) == RM_MATCH)
				napp_full++;
			c.all_values = 0;
		} else if (allow < 0)
			allow = ri;
		if (r->nbudgets > 0 && nb < POLICY_RESV_MAX + 1)
			brules[nb++] = (uint32_t)ri;
	}
	if (deny >= 0) {
		v_deny(v, pol, (uint32_t)deny, bdet[0] != '\0' ? bdet : NULL);
		goto verdict;
	}
	if (napp == 0 && allow < 0)
		goto verdict;
	if (allow < 0 && napp_full == 0) {
		v_deny(v, pol, v->approve[0], "it covers only some of the "
		    "values asked for, and no allow rule covers them all");
		goto verdict;
	}
	if (napp > POLICY_APPROVE_MAX) {
		snprintf(bdet, sizeof(bdet), "%zu approve rules match, more "
		    "than the %d one request can wait for", napp,
		    POLICY_APPROVE_MAX);
		v_deny(v, pol, v->approve[0], bdet);
		goto verdict;
	}
 again:
	plan.n = plan.nnew = 0;
	for (i = 0; i < nb; i++) {
		pr = pb_plan_rule(cst, pol, req, brules[i], now_ms, held,
		    &plan, &fb);
		if (pr == PB_FULL && st != NULL && !gc) {
			gc = 1;
			pb_gc(st, now_ms);
			goto again;
		}
		if (pr != PB_OK) {
			ev_budget_why(pol, brules[i], fb, pr, bdet,
			    sizeof(bdet));
			v_deny(v, pol, brules[i], bdet);
			goto verdict;
		}
	}
	if (napp > 0) {
		v_rule(v, pol, v->approve[0], POLICY_APPROVE);
		v->napprove = napp;
		v_approve_why(v, pol);
	} else {
		v_rule(v, pol, (uint32_t)allow, POLICY_ALLOW);
		why_allowed(v);
	}
	if (st != NULL && plan.n > 0 &&
	    pb_take(st, req, now_ms, &plan, &v->resv) != 0)
		v_deny(v, pol, plan.s[0].rule, "out of memory for the budgets");
 verdict:
	if (fn != NULL) {
		snprintf(line, sizeof(line), "verdict: %s: %s",
		    effect_str(v->effect), v->why);
		fn(arg, line);
	}
 out:
	return rc;
}

int
policy_eval(const struct policy *pol, struct policy_state *st,
    const struct policy_req *req, int64_t now_ms, struct policy_verdict *v)
{
	return policy_eval_held(pol, st, req, now_ms, NULL, v);
}

int
policy_eval_held(const struct policy *pol, struct policy_state *st,
    const struct policy_req *req, int64_t now_ms,
    const struct policy_resv *held, struct policy_verdict *v)
{
	if (st != NULL && pol != NULL && policy_state_pol(st) != pol) {
		v_init(v);
		snprintf(v->why, sizeof(v->why), "budget state of another "
		    "policy");
		return CV_ERR_INVALID;
	}
	return ev_run(pol, st, st, req, now_ms, held, v, NULL, NULL);
}

int
policy_explain(const struct policy *pol, const struct policy_state *st,
    const struct policy_req *req, int64_t now_ms, policy_explain_fn *fn,
    void *arg)
{
	struct policy_verdict	v;

	if (fn == NULL || (st != NULL && pol != NULL &&
	    policy_state_pol(st) != pol))
		return CV_ERR_INVALID;
	return ev_run(pol, st, NULL, req, now_ms, NULL, &v, fn, arg);
}

int64_t
policy_skew(const struct policy *pol)
{
	return pol->skew_s >= 0 ? pol->skew_s : POLICY_SKEW_DEFAULT;
}

int64_t
policy_approval_timeout(const struct policy *pol)
{
	return pol->approval_timeout_s > 0 ? pol->approval_timeout_s :
	    POLICY_APPROVAL_TIMEOUT;
}

int
policy_perm_allowed(const struct policy *pol, const char *perm,
    char *ceiling, size_t ceilinglen)
{
	if (ceiling != NULL && ceilinglen > 0)
		ceiling[0] = '\0';
	if (!pol->have_perm_ceiling)
		return 1;
	if (ceiling != NULL && ceilinglen > 0)
		pm_list_str(&pol->perm_ceiling, ceiling, ceilinglen);
	return pm_in_list(&pol->perm_ceiling, perm, strlen(perm)) ? 1 : 0;
}
