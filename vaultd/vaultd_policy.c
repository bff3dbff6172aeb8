/*
 * The policy in vaultd: the verdict gate's rules (libpolicy), where they
 * come from and how they change.
 *
 *	unlock: signerd opens the vault's policy record -> vaultd parses it
 *	vaultctl policy apply: text, credential, approvals -> vaultd parses
 *	    and checks the approvals against the policy in force -> signerd
 *	    checks the credential and seals the record at the next version
 *	    -> file written -> the new policy is in force; held requests
 *	    are refused; both digests are on the audit log
 *
 * The catalog is one input of a verdict (the `catalog` predicate), not
 * the verdict; the default policy admits the catalog for the operator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/encode.h"
#include "common/log.h"
#include "common/vault_crypto.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"

static void	policy_written(struct vaultd *, int, const char *,
		    const char *);

/* a step of the system clock, made by a test probe (-T) */
static int64_t	wall_step_ms;

int64_t
vaultd_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
	    wall_step_ms;
}

void
vaultd_wall_step(int64_t ms)
{
	wall_step_ms += ms;
}

static void
policy_clear(struct vd_policy *p)
{
	policy_free(p->pol);
	policy_state_free(p->st);
	free(p->text);
	p->pol = NULL;
	p->st = NULL;
	p->text = NULL;
	p->len = 0;
}

/*
 * Put pol (parsed from text) in force; both are then the policy's to
 * free.  The same text again (a relock and unlock) keeps the policy in
 * force and its budgets: a state belongs to the policy it was made for.
 */
static int
policy_install(struct vaultd *vd, struct policy *pol, char *text,
    size_t len, uint64_t version)
{
	struct vd_policy	*p = &vd->policy;
	struct policy_state	*st;
	uint8_t			 digest[POLICY_DIGEST_LEN];

	policy_digest(text, len, digest);
	if (p->pol != NULL && p->st != NULL &&
	    sodium_memcmp(digest, p->digest, sizeof(digest)) == 0) {
		policy_free(pol);
		free(text);
		p->version = version;
		return 0;
	}
	if ((st = policy_state_new(pol)) == NULL)
		return CV_ERR_NOMEM;
	policy_clear(p);
	p->gen++;
	p->pol = pol;
	p->st = st;
	p->text = text;
	p->len = len;
	p->version = version;
	memcpy(p->digest, digest, sizeof(digest));
	return 0;
}

/*
 * The end of the line of policy text that starts at p (its newline, or
 * end): a line that ends in a backslash goes on to the next, unless the
 * backslash is in a comment or a string, as the lexer reads it
 * (clobvault-policy(5), policy_lex.c).
 */
static const char *
line_end(const char *p, const char *end)
{
	int	str = 0;

	for (; p < end; p++) {
		if (*p == '\n')
			return p;
		if (str) {
			if (*p == '"')
				str = 0;
			else if (*p == '\\' && end - p > 1 &&
			    (p[1] == '"' || p[1] == '\\'))
				p++;
		} else if (*p == '"')
			str = 1;
		else if (*p == '#')
			return (p = memchr(p, '\n', (size_t)(end - p))) != NULL ?
			    p : end;
		else if (*p == '\\' && end - p > 1 && p[1] == '\n')
			p++;
		else if (*p == '\\' && end - p > 2 && p[1] == '\r' &&
		    p[2] == '\n')
			p += 2;
	}
	return end;
}

/* 1 if the line w[0..nl) is a statement that starts with keyword kw. */
static int
line_is(const char *w, const char *nl, const char *kw)
{
	size_t	n = strlen(kw);

	return (size_t)(nl - w) > n && memcmp(w, kw, n) == 0 &&
	    (w[n] == ' ' || w[n] == '\t' || w[n] == '\r' || w[n] == '\\');
}

/*
 * What stands of a policy that does not parse here: its approvers and
 * its policy-change line, and no rule.  Every request is denied, and a
 * change still needs the approvals the vault's policy asked for; the
 * empty policy in its place would have let the passphrase alone apply
 * the next one.  Those lines not parsing either, no change is possible
 * here (a policy of one change approver that nobody can be).
 */
static int
policy_change_only(const char *text, size_t len, struct policy **pol)
{
	struct policy_errors	 errs;
	const char		*p = text, *end = text + len, *nl, *w;
	char			*keep, hex[2 * POLICY_PK_LEN + 1], text1[256];
	uint8_t			 pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t			 sk[crypto_sign_SECRETKEYBYTES];
	size_t			 n = 0;

	/* the text, a newline after a last line without one, and a NUL */
	if ((keep = malloc(len + 2)) == NULL)
		return CV_ERR_NOMEM;
	for (; p < end; p = nl + 1) {
		nl = line_end(p, end);
		for (w = p; w < nl && (*w == ' ' || *w == '\t'); w++)
			;
		if (line_is(w, nl, "approver") ||
		    line_is(w, nl, "policy-change")) {
			memcpy(keep + n, p, (size_t)(nl - p));
			n += (size_t)(nl - p);
			keep[n++] = '\n';
		}
		if (nl == end)
			break;
	}
	keep[n] = '\0';
	if (policy_parse(keep, n, pol, &errs) == 0) {
		free(keep);
		return 0;
	}
	free(keep);
	/* the one approver's key made here, its secret thrown away */
	crypto_sign_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	hex_encode(pk, sizeof(pk), hex);
	n = (size_t)snprintf(text1, sizeof(text1), "approver nobody \"%s\"\n"
	    "policy-change approve 1 of { nobody }\n", hex);
	return policy_parse(text1, n, pol, &errs) != 0 ? CV_ERR_NOMEM : 0;
}

int
vaultd_policy_unlocked(struct vaultd *vd, uint64_t version,
    const uint8_t *text, size_t len, struct msg_rd *profiles)
{
	struct vd_policy	*p = &vd->policy;
	struct policy_errors	 errs;
	struct policy		*pol = NULL;
	struct msg_rd		 e;
	const char		*src = (const char *)text;
	char			*copy;
	uint32_t		 i;
	int			 r;

	p->nprofiles = 0;
	for (i = 0; i < profiles->n; i++) {
		if ((r = msg_get_array(profiles, &e, 2)) != 0)
			return r;
		if (e.n != 2)
			return CV_ERR_MSG_COUNT;
		if (i >= VAULTD_PROFILES_MAX)
			continue;
		if ((r = msg_get_strbuf(&e, p->profiles[i].account,
		    sizeof(p->profiles[i].account))) != 0 ||
		    (r = msg_get_strbuf(&e, p->profiles[i].profile,
		    sizeof(p->profiles[i].profile))) != 0)
			return r;
		p->nprofiles++;
	}
	p->trouble[0] = '\0';
	if (version == 0) {		/* a vault from before policies */
		src = policy_default_text();
		len = strlen(src);
	}
	if ((copy = malloc(len + 1)) == NULL)
		return CV_ERR_NOMEM;
	memcpy(copy, src, len);
	copy[len] = '\0';
	if (policy_parse(copy, len, &pol, &errs) != 0) {
		/* fail closed: a policy of no rules denies every request */
		snprintf(p->trouble, sizeof(p->trouble), "the vault's policy "
		    "(version %llu) does not parse here (line %d column %d: "
		    "%s); every request is denied until a policy is applied",
		    (unsigned long long)version, errs.n ? errs.e[0].line : 0,
		    errs.n ? errs.e[0].col : 0,
		    errs.n ? errs.e[0].msg : "?");
		log_warnx("%s", p->trouble);
		if ((r = policy_change_only(copy, len, &pol)) != 0) {
			free(copy);
			return r;
		}
	}
	if ((r = policy_install(vd, pol, copy, len, version)) != 0) {
		policy_free(pol);
		free(copy);
		return r;
	}
	/* the first unlock of this vaultd: the budgets as they were */
	vaultd_budget_restore(vd);
	return 0;
}

void
vaultd_policy_free(struct vaultd *vd)
{
	struct vd_policy	*p = &vd->policy;

	vaultd_approve_free(vd);
	policy_clear(p);
	policy_free(p->next);
	free(p->next_text);
	p->next = NULL;
	p->next_text = NULL;
}

int
vaultd_policy_created(struct vaultd *vd)
{
	struct msg_rd	none;

	memset(&none, 0, sizeof(none));
	return vaultd_policy_unlocked(vd, 1,
	    (const uint8_t *)policy_default_text(),
	    strlen(policy_default_text()), &none);
}

void
vaultd_policy_profile(struct vaultd *vd, const char *account,
    const char *profile)
{
	struct vd_policy	*p = &vd->policy;
	size_t			 i;

	for (i = 0; i < p->nprofiles; i++)
		if (strcmp(p->profiles[i].account, account) == 0)
			break;
	if (profile == NULL) {			/* the account is gone */
		if (i < p->nprofiles)
			p->profiles[i] = p->profiles[--p->nprofiles];
		return;
	}
	if (i == p->nprofiles) {
		if (i == VAULTD_PROFILES_MAX)
			return;
		p->nprofiles++;
	}
	snprintf(p->profiles[i].account, sizeof(p->profiles[i].account),
	    "%s", account);
	snprintf(p->profiles[i].profile, sizeof(p->profiles[i].profile),
	    "%s", profile);
}

static const char *
profile_of(struct vaultd *vd, const char *account)
{
	size_t	i;

	for (i = 0; i < vd->policy.nprofiles; i++)
		if (strcmp(vd->policy.profiles[i].account, account) == 0)
			return vd->policy.profiles[i].profile;
	return "";
}

void
vaultd_policy_req(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a, struct policy_req *req)
{
	enum catalog_auth	auth;

	memset(req, 0, sizeof(*req));
	req->actor = o->who;
	req->uid = o->uid;
	req->client = o->client;
	req->account = account;
	req->profile = profile_of(vd, account);
	req->level = (enum policy_level)a->level;
	req->method = a->method;
	req->path = a->path;
	req->pathlen = a->pathlen;
	req->body = a->body;
	req->bodylen = a->bodylen;
	req->nonce = a->nonce;
	req->kind = a->kind;
	req->fields = a->fields;
	req->nfields = a->nfields;
	req->signed_ts = a->signed_ts;
	/* the catalog's own rule: builder headers ride on an L2 endpoint */
	auth = a->level == CATALOG_BUILDER ? CATALOG_L2 :
	    (enum catalog_auth)a->level;
	req->in_catalog = (a->level == CATALOG_NONE ||
	    a->level == CATALOG_L1 || a->level == CATALOG_L2 ||
	    a->level == CATALOG_BUILDER || a->level == CATALOG_BEARER) &&
	    catalog_admit(a->method, a->path, a->pathlen, auth) == 0;
}

/* A denial that no rule decided, with why. */
static void
verdict_none(struct policy_verdict *v, const char *why)
{
	memset(v, 0, sizeof(*v));
	v->effect = POLICY_DENY;
	v->rule = -1;
	snprintf(v->id, sizeof(v->id), "none");
	snprintf(v->why, sizeof(v->why), "%s", why);
}

/* The entry of to that holds from->r[i]'s budget, or to->n. */
static size_t
resv_find(const struct policy_resv *to, const struct policy_resv *from,
    size_t i)
{
	return policy_resv_find(to, from->r[i].budget, from->r[i].slot,
	    from->r[i].window);
}

/*
 * Add one verdict's budgets to the batch's: 0, or -1 if they do not fit,
 * and then to is as it was.  Whole or not at all: the caller refunds
 * both to and from when they do not fit, and an amount added to to
 * would be given back twice.
 */
static int
resv_merge(struct policy_resv *to, const struct policy_resv *from)
{
	size_t	i, j, added = 0;

	for (i = 0; i < from->n; i++)
		if (resv_find(to, from, i) == to->n)
			added++;
	if (added > POLICY_RESV_MAX - to->n)
		return -1;
	for (i = 0; i < from->n; i++) {
		if ((j = resv_find(to, from, i)) < to->n)
			to->r[j].amount += from->r[i].amount;
		else
			to->r[to->n++] = from->r[i];
	}
	return 0;
}

/*
 * A batch (POST /orders): each set of fields is a request of its own to
 * the policy, and the batch goes out only if every one is allowed; its
 * budgets are reserved together.  The first that is not allowed decides
 * (an approval cannot be asked for part of a batch).
 */
static void
verdict_batch(struct vaultd *vd, struct policy_req *req,
    const struct sign_args *a, const struct policy_resv *held,
    struct policy_verdict *v)
{
	struct policy_verdict	one;
	size_t			i;

	for (i = 0; i < a->nsets; i++) {
		req->fields = a->fields + i * a->nfields;
		if (policy_eval_held(vd->policy.pol, vd->policy.st, req,
		    vaultd_wall_ms(), held, &one) != 0)
			verdict_none(&one, "the request is malformed");
		if (one.effect == POLICY_ALLOW && i == 0) {
			*v = one;
			continue;
		}
		if (one.effect == POLICY_ALLOW && resv_merge(&v->resv,
		    &one.resv) == 0)
			continue;
		if (i > 0)
			vaultd_policy_refund(vd, v);
		if (one.effect == POLICY_ALLOW) {
			vaultd_policy_refund(vd, &one);
			verdict_none(v, "the batch holds more budgets than one "
			    "request may: send fewer orders at once");
			return;
		}
		vaultd_policy_refund(vd, &one);
		*v = one;
		v->effect = POLICY_DENY;
		memset(&v->resv, 0, sizeof(v->resv));
		v->napprove = 0;
		if (one.effect == POLICY_APPROVE)
			snprintf(v->why, sizeof(v->why), "order %zu of the "
			    "batch needs approval by rule %s (line %d): post "
			    "it on its own", i + 1, one.id, one.line);
		else
			snprintf(v->why, sizeof(v->why), "order %zu of the "
			    "batch: %.200s", i + 1, one.why);
		return;
	}
}

/*
 * The verdict on a, its budgets taken but for the counters held holds
 * (NULL: none), which the same request took at another level.
 */
static void
verdict_held(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a,
    const struct policy_resv *held, struct policy_verdict *v)
{
	struct policy_req	req;

	if (vd->policy.pol == NULL) {
		verdict_none(v, "no policy is loaded");
		return;
	}
	vaultd_policy_req(vd, o, account, a, &req);
	if (a->nsets > 1)
		verdict_batch(vd, &req, a, held, v);
	else if (policy_eval_held(vd->policy.pol, vd->policy.st, &req,
	    vaultd_wall_ms(), held, v) != 0)
		verdict_none(v, "the request is malformed");
	/*
	 * A bot is told no more than of a path no rule names: the spelling
	 * to send would confirm that a case variant of its guess is one.
	 * The operator has it in vaultd's log (and the record's rule).
	 */
	if (v->case_clash && o->who != POLICY_ACTOR_OPERATOR) {
		log_info("%s: %s", o->actor, v->why);
		/* every order of a batch has its path: the first decides */
		snprintf(v->why, sizeof(v->why), "%sno rule allows it",
		    a->nsets > 1 ? "order 1 of the batch: " : "");
	}
}

void
vaultd_policy_verdict(struct vaultd *vd, const struct sign_origin *o,
    const char *account, const struct sign_args *a, struct policy_verdict *v)
{
	verdict_held(vd, o, account, a, NULL, v);
}

void
vaultd_policy_verdict_builder(struct vaultd *vd, const struct sign_origin *o,
    const char *account, struct sign_args *a, struct policy_verdict *v,
    char *l2rule, size_t l2len)
{
	struct policy_verdict	vb;
	struct policy_resv	both;

	l2rule[0] = '\0';
	a->level = CATALOG_L2;
	vaultd_policy_verdict(vd, o, account, a, v);
	if (v->effect != POLICY_ALLOW)
		return;
	/* a rule that matched at l2 too charged this request already */
	a->level = CATALOG_BUILDER;
	verdict_held(vd, o, account, a, &v->resv, &vb);
	both = v->resv;
	if (vb.effect == POLICY_ALLOW && resv_merge(&both, &vb.resv) == 0) {
		/* the record names the l2 rule too, when another decided */
		if (vb.rule != v->rule || strcmp(vb.id, v->id) != 0)
			vaultd_sign_rule(v, l2rule, l2len);
		*v = vb;
		v->resv = both;
		return;
	}
	vaultd_policy_refund(vd, &vb);
	a->level = CATALOG_L2;
}

void
vaultd_policy_refund(struct vaultd *vd, const struct policy_verdict *v)
{
	vaultd_policy_refund_resv(vd, &v->resv, vd->policy.gen);
}

void
vaultd_policy_refund_resv(struct vaultd *vd, const struct policy_resv *resv,
    uint64_t gen)
{
	/* budgets of a policy no longer in force are gone with it */
	if (vd->policy.st != NULL && gen == vd->policy.gen)
		policy_refund(vd->policy.st, resv);
}

int
vaultd_policy_show_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct vd_policy	*p = &vd->policy;
	struct msg_w		 w;

	if (p->pol == NULL) {
		control_error(vd, cl->serial, m->id, vault_exists(vd) ?
		    CV_ERR_LOCKED : CV_ERR_NOTFOUND, vault_exists(vd) ?
		    "the vault is locked: unlock it to read its policy" :
		    "no vault yet: create one with vaultctl init");
		return 0;
	}
	msg_begin(&w, MSG_CTL_POLICY_SHOW_ANS, m->id);
	msg_put_u64(&w, p->version);
	msg_put_bin(&w, p->digest, sizeof(p->digest));
	msg_put_strn(&w, p->text, p->len);
	msg_put_str(&w, p->trouble);
	control_answer(vd, cl->serial, &w);
	return 0;
}

/* The approvals a change carries, checked against the policy in force. */
static int
apply_approvals(struct vaultd *vd, struct msg_rd *list,
    const uint8_t digest[POLICY_DIGEST_LEN], uint64_t version, char *why,
    size_t whylen)
{
	const struct policy	*pol = vd->policy.pol;
	struct msg_rd		 e;
	const uint8_t		*pk, *sig;
	uint8_t			 msg[POLICY_CHANGE_MSG_LEN], granted[8];
	const char		*name;
	size_t			 pklen, siglen;
	uint32_t		 i;
	int			 k, r;

	memset(granted, 0, sizeof(granted));
	policy_change_msg(digest, version, msg);
	for (i = 0; i < list->n; i++) {
		if ((r = msg_get_array(list, &e, 2)) != 0)
			return r;
		if (e.n != 2)
			return CV_ERR_MSG_COUNT;
		if ((r = msg_get_bin(&e, &pk, &pklen, POLICY_PK_LEN)) != 0 ||
		    (r = msg_get_bin(&e, &sig, &siglen, POLICY_SIG_LEN)) != 0)
			return r;
		if (pklen != POLICY_PK_LEN || siglen != POLICY_SIG_LEN)
			return CV_ERR_MSG_LENGTH;
		if ((k = policy_approver_find(pol, pk, &name)) < 0) {
			snprintf(why, whylen, "an approval is by a key the "
			    "policy in force does not name as an approver");
			return CV_ERR_DENIED;
		}
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg),
		    pk) != 0) {
			snprintf(why, whylen, "the approval by %s is not for "
			    "this text at version %llu", name,
			    (unsigned long long)version);
			return CV_ERR_DENIED;
		}
		granted[k / 8] |= (uint8_t)(1U << (k % 8));
	}
	if (!policy_change_satisfied(pol, granted)) {
		snprintf(why, whylen, "the policy in force needs %u "
		    "approvals of its policy-change approvers for a change "
		    "(vaultctl policy sign, then apply --approval FILE)",
		    policy_change_k(pol));
		return CV_ERR_DENIED;
	}
	return 0;
}

int
vaultd_policy_apply_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct vd_policy	*p = &vd->policy;
	struct policy_errors	 errs;
	struct policy		*pol = NULL;
	struct msg_rd		 approvals;
	struct msg_w		 w;
	const uint8_t		*cred;
	const char		*text;
	uint8_t			 digest[POLICY_DIGEST_LEN];
	char			 why[300], key_id[24], *copy = NULL;
	size_t			 credlen, len;
	uint32_t		 id;
	int			 keyfile, r;

	if ((r = msg_get_bin(&m->rd, &cred, &credlen, VAULT_MAX_PASS)) != 0 ||
	    (r = msg_get_bool(&m->rd, &keyfile)) != 0 ||
	    (r = msg_get_str(&m->rd, &text, &len, POLICY_MAX_TEXT)) != 0 ||
	    (r = msg_get_array(&m->rd, &approvals, 64)) != 0)
		return r;
	if (vault_ctl_refuse(vd, cl, m, 2))
		return 0;
	if (vd->call.state != CALL_NONE) {
		control_error(vd, cl->serial, m->id, CV_ERR_AGAIN,
		    "an exchange call is in progress; retry");
		return 0;
	}
	if (vault_ctl_backoff(vd, cl, m))
		return 0;
	if (len == 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
		    POLICY_EMPTY_WHY);
		return 0;
	}
	if (policy_parse(text, len, &pol, &errs) != 0) {
		snprintf(why, sizeof(why), "the policy does not parse: line "
		    "%d column %d: %s%s (vaultctl policy lint FILE lists "
		    "every error)", errs.n ? errs.e[0].line : 0,
		    errs.n ? errs.e[0].col : 0, errs.n ? errs.e[0].msg : "?",
		    errs.n > 1 || errs.more ? ", and more" : "");
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID, why);
		return 0;
	}
	policy_digest(text, len, digest);
	if ((r = apply_approvals(vd, &approvals, digest, p->version + 1, why,
	    sizeof(why))) != 0) {
		policy_free(pol);
		if (r != CV_ERR_DENIED)
			return r;
		vaultd_audit_digest(vd, cl->actor, "-", "policy.apply",
		    "deny", "-", digest);
		control_error(vd, cl->serial, m->id, r, why);
		control_denied(vd, cl->serial);
		return 0;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		policy_free(pol);
		return CV_ERR_NOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	snprintf(key_id, sizeof(key_id), "v%llu",
	    (unsigned long long)(p->version + 1));
	id = child_new_id(SIGNERD(vd));
	msg_begin(&w, MSG_VAULT_POLICY_REQ, id);
	msg_put_bin(&w, cred, credlen);
	msg_put_bool(&w, keyfile);
	msg_put_u64(&w, p->version + 1);
	msg_put_bin(&w, (const uint8_t *)copy, len);
	if ((r = vault_op_call(vd, &w, id, MSG_VAULT_POLICY_REQ,
	    "policy.apply", "-", key_id, policy_written)) != 0) {
		policy_free(pol);
		free(copy);
		control_error(vd, cl->serial, m->id, r,
		    "signerd is not reachable");
		return 0;
	}
	p->next = pol;
	p->next_text = copy;
	p->next_len = len;
	p->apply_client = cl->serial;
	p->apply_id = m->id;
	snprintf(p->apply_actor, sizeof(p->apply_actor), "%s", cl->actor);
	snprintf(vd->op.actor, sizeof(vd->op.actor), "%s", cl->actor);
	/* signerd checks the credential at the vault's cost */
	vd->op.kdf_work = vault_kdf_work(vd);
	vault_op_wait_notice(vd, cl->serial, m->id);
	return 0;
}

int
vaultd_policy_applying(const struct vaultd *vd, uint64_t serial)
{
	return vd->policy.next != NULL && vd->policy.apply_client == serial;
}

/* The vault operation of an apply ended: the new policy, or nothing. */
static void
policy_written(struct vaultd *vd, int code, const char *text,
    const char *key_id)
{
	struct vd_policy	*p = &vd->policy;
	struct policy		*pol = p->next;
	struct msg_w		 w;
	uint8_t			 old[POLICY_DIGEST_LEN];
	uint64_t		 oldv = p->version;
	char			 oldid[24];
	char			*copy = p->next_text;
	size_t			 len = p->next_len;
	int			 r;

	p->next = NULL;
	p->next_text = NULL;
	if (code != 0) {
		policy_free(pol);
		free(copy);
		if (code == CV_ERR_BADPASS) {
			vault_bad_credential(vd);
			text = "wrong passphrase or keyfile; the policy is "
			    "unchanged";
		} else if (code == CV_ERR_INVALID)
			text = "signerd refused the change (a version that is "
			    "not the next one); the policy is unchanged";
		control_error(vd, p->apply_client, p->apply_id, code, text);
		return;
	}
	memcpy(old, p->digest, sizeof(old));
	/* held requests end under the rules that held them (budgets back) */
	vaultd_approve_cancel_all(vd, "the policy changed while it was held; "
	    "ask again");
	if ((r = policy_install(vd, pol, copy, len, oldv + 1)) != 0) {
		/* on disk but not in force here: lock-and-unlock loads it */
		policy_free(pol);
		free(copy);
		fatalx("policy apply: %s", cv_strerror(r));
	}
	p->trouble[0] = '\0';
	snprintf(oldid, sizeof(oldid), "v%llu", (unsigned long long)oldv);
	vaultd_audit_digest(vd, p->apply_actor, "-", "policy.replaced", "ok",
	    oldid, old);
	vaultd_audit_digest(vd, p->apply_actor, "-", "policy.applied", "ok",
	    key_id, p->digest);
	log_info("policy version %llu in force (%zu rules)",
	    (unsigned long long)p->version, policy_nrules(p->pol));
	msg_begin(&w, MSG_CTL_POLICY_APPLY_ANS, p->apply_id);
	msg_put_u64(&w, p->version);
	msg_put_bin(&w, old, sizeof(old));
	msg_put_bin(&w, p->digest, sizeof(p->digest));
	control_answer(vd, p->apply_client, &w);
}
