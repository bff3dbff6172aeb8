/*
 * libpolicy: the per-endpoint policy language (clobvault-policy(5)), its
 * checker and its engine.  A pure library: no I/O, no globals, no
 * allocation outside the objects it returns.  vaultd links it for the
 * verdict gate and the approvals; vaultctl for lint, diff and test.
 *
 *	text --policy_parse--> struct policy (immutable, indexed)
 *	struct policy + struct policy_state (budgets) + a request
 *	    --policy_eval--> a verdict naming its deciding rule
 *
 * Semantics, in one place: a request is allowed when at least one allow
 * rule matches it and no deny rule does; deny overrides approve, which
 * overrides allow; nothing matched is a denial.  Rule order never
 * matters.  Every matching allow or approve rule's budgets are charged;
 * one exhausted budget denies the request, naming that rule.  The
 * ceilings are denials that no rule can lift.
 */
#ifndef CV_POLICY_H
#define CV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/cv_err.h"

#define POLICY_MAX_TEXT		(256 * 1024)	/* bytes of a policy file */
#define POLICY_MAX_RULES	4096
#define POLICY_MAX_APPROVERS	64
#define POLICY_MAX_ERRORS	32		/* reported by one parse */
#define POLICY_DIGEST_LEN	32		/* SHA-256 of the text */
#define POLICY_ID_MAX		33		/* a rule id with its NUL */
#define POLICY_PK_LEN		32		/* Ed25519 public key */
#define POLICY_SIG_LEN		64		/* Ed25519 signature */
#define POLICY_RESV_MAX		16		/* budgets one verdict holds */
#define POLICY_APPROVE_MAX	8		/* approve rules one verdict needs */
#define POLICY_WHY_MAX		256
/* Why an empty file is no policy: vaultctl's lint and vaultd's apply. */
#define POLICY_EMPTY_WHY	"the policy file is empty (a policy that " \
	"denies everything still needs a line: a comment will do)"
#define POLICY_APPROVAL_TIMEOUT	300		/* seconds, unless the policy says */
#define POLICY_SKEW_DEFAULT	30		/* seconds, unless the policy says */

/* Auth levels: the numbers of catalog.h's enum catalog_auth, plus bearer. */
enum policy_level {
	POLICY_L_NONE = 0,	/* unsigned (a public endpoint) */
	POLICY_L_L1 = 1,
	POLICY_L_L2 = 2,
	POLICY_L_BUILDER = 3,
	POLICY_L_BEARER = 4,	/* Omnia bearer token */
	POLICY_L_COUNT
};

enum policy_effect {
	POLICY_DENY = 0,
	POLICY_ALLOW = 1,
	POLICY_APPROVE = 2,	/* held until approvers sign it */
};

enum policy_actor {
	POLICY_ACTOR_OPERATOR = 1,	/* a control-socket client, by uid */
	POLICY_ACTOR_CLIENT = 2,	/* a gateway client, by name */
	POLICY_ACTOR_ANON = 3,		/* an unsigned gateway request:
					    only "any" rules address it */
};

/* One error of a parse or a check, at its line and column (from 1). */
struct policy_error {
	int	line;
	int	col;
	char	msg[160];
};
struct policy_errors {
	size_t			n;
	int			more;	/* errors past POLICY_MAX_ERRORS */
	struct policy_error	e[POLICY_MAX_ERRORS];
};

struct policy;		/* parsed, checked, indexed; immutable */
struct policy_state;	/* the budgets of one policy: what changes */

/*
 * Parse and check text (len bytes, need not be NUL-terminated; a NUL in
 * it is an error).  On success *out is a new policy the caller frees
 * with policy_free and errs->n is 0.  On failure *out is NULL, every
 * error found (up to POLICY_MAX_ERRORS) is in errs, and the return is
 * CV_ERR_INVALID (CV_ERR_TOOLONG past POLICY_MAX_TEXT, CV_ERR_NOMEM).
 */
int	 policy_parse(const char *text, size_t len, struct policy **out,
	    struct policy_errors *errs) CV_WUR;
void	 policy_free(struct policy *);

/* The text of the default policy: the endpoint catalog, for the operator. */
const char *policy_default_text(void);

/* SHA-256 of a policy text: what `sha256sum FILE` prints. */
void	 policy_digest(const char *text, size_t len,
	    uint8_t out[POLICY_DIGEST_LEN]);

/* A rule as the tools show it; pointers into the policy. */
struct policy_rule_info {
	const char	*id;		/* its label, or "r" and 8 hex digits */
	int		 line;
	enum policy_effect effect;
	const char	*canon;		/* its canonical one-line form */
};
size_t	 policy_nrules(const struct policy *);
/* Rule i in file order; CV_ERR_NOTFOUND past the last. */
int	 policy_rule(const struct policy *, size_t i,
	    struct policy_rule_info *) CV_WUR;

/*
 * The change from old to new, rule by rule: fn hears each rule removed
 * ('-', o set), added ('+', n set) and changed ('~', both: same label,
 * another form), in new's file order then old's.  Rules are the same
 * when their canonical forms are; a rule is "changed" only when it keeps
 * its label.  Ceilings, approvers and governance lines are compared as
 * rules are (they have canonical forms too, with ids "ceiling:NAME",
 * "approver:NAME", "policy-change").  Returns the number of changes.
 */
typedef void policy_diff_fn(void *arg, char sign,
    const struct policy_rule_info *o, const struct policy_rule_info *n);
size_t	 policy_diff(const struct policy *old, const struct policy *new,
	    policy_diff_fn *fn, void *arg);

/* A named field of a decoded request kind (an order's side, price, ...). */
struct policy_field {
	const char	*name;
	const char	*value;		/* as a string; decimals as text */
};

/* What is asked.  Everything is borrowed from the caller. */
struct policy_req {
	enum policy_actor	 actor;
	uint32_t		 uid;		/* POLICY_ACTOR_OPERATOR */
	const char		*client;	/* POLICY_ACTOR_CLIENT */
	const char		*account;
	const char		*profile;	/* "" when unknown */
	enum policy_level	 level;
	const char		*method;
	const char		*path;		/* with its query, as sent */
	size_t			 pathlen;
	const uint8_t		*body;
	size_t			 bodylen;
	uint64_t		 nonce;		/* the L1 nonce (level l1) */
	int			 in_catalog;	/* the endpoint catalog admits it */
	/* a decoded request kind ("order", "key"), or NULL */
	const char		*kind;
	const struct policy_field *fields;
	size_t			 nfields;
	/* a timestamp the requester signed (gateway clients), or 0 */
	int64_t			 signed_ts;
};

/* What a verdict holds of the budgets, to give back on a refund. */
struct policy_resv {
	size_t		 n;
	struct {
		uint32_t	 budget;	/* index in the state */
		uint32_t	 slot;		/* the key's counter */
		uint64_t	 amount;	/* in the budget's units */
		int64_t		 window;	/* the window it was taken from */
	}		 r[POLICY_RESV_MAX];
};

struct policy_verdict {
	enum policy_effect effect;
	/* the deciding rule: -1 when none matched or a ceiling decided */
	int		 rule;
	int		 line;			/* 0 with rule -1 */
	char		 id[POLICY_ID_MAX];	/* "none", "ceiling:NAME" */
	/* for a person: "denied by rule ID (line N): ..." */
	char		 why[POLICY_WHY_MAX];
	/*
	 * The case check refused the path (id "path"): why names the
	 * spelling a rule or the catalog uses, which is for the operator's
	 * eyes (a bot that guessed a path would learn what it is near).
	 */
	int		 case_clash;
	struct policy_resv resv;
	/* APPROVE: the matching approve rules, each needing its K */
	size_t		 napprove;
	uint32_t	 approve[POLICY_APPROVE_MAX];
};

/*
 * What is left of one budget counter at a moment: the rule's id, the
 * budget as a person reads it ("limit 3/day per account"), whose it is
 * (account "" and who "" when the budget is one for all; who is
 * "operator:UID", "client:NAME" or "unsigned"), and what is left (whole
 * requests, or the summed field's amount as a decimal).
 */
struct policy_budget_left {
	const char	*rule;
	const char	*budget;
	const char	*account;
	const char	*who;
	const char	*left;
};
typedef void policy_budget_fn(void *arg, const struct policy_budget_left *);

/*
 * 1 if perm, an API key permission asked for (Omnia), is within the
 * policy's "key-permissions" ceiling, or the policy has none; else 0.
 * *ceiling (may be NULL) is the ceiling as the policy lists it, for
 * people.
 */
int	 policy_perm_allowed(const struct policy *, const char *perm,
	    char *ceiling, size_t ceilinglen);

/*
 * Budgets for pol: created empty (every budget full), freed with
 * policy_state_free.  A state belongs to the policy it was made for.
 */
struct policy_state *policy_state_new(const struct policy *pol);
void	 policy_state_free(struct policy_state *);
/* Every counter st holds, as it stands at now_ms (for metrics). */
void	 policy_budget_each(const struct policy_state *, int64_t now_ms,
	    policy_budget_fn *fn, void *arg);

/*
 * Budgets kept across a restart of vaultd (vaultd/vaultd_budget.c).
 * policy_counter_each hears every counter that holds something at
 * now_ms: its budget's index in the state (def), its slot, whether it
 * is a token bucket, its key's bytes, and for a count or sum the window
 * and the amount taken, for a bucket its generation (the window a
 * verdict's resv names), the units left and the wall-clock ms of its
 * last refill; max is the most it may hold (a bucket's size, a count's
 * or sum's limit).  policy_counter_load puts one back as heard
 * (a window other than now_ms's is dropped: it closed); a def out of
 * range, a key that is not one pb_key makes for that budget, or a value
 * past the budget is refused (CV_ERR_INVALID).  policy_counter_charge
 * charges amount to the counter of budget def that req names, as a
 * verdict at now_ms would have: a count or sum only in the window
 * now_ms is in (window must be it), a bucket by taking amount units
 * from what it holds at now_ms (never below empty).
 */
typedef void policy_counter_fn(void *arg, uint32_t def, uint32_t slot,
	    int rate, const char *key, size_t keylen, int64_t window,
	    uint64_t val, uint64_t max, int64_t last_ms);
void	 policy_counter_each(const struct policy_state *, int64_t now_ms,
	    policy_counter_fn *fn, void *arg);
int	 policy_counter_load(struct policy_state *, uint32_t def,
	    const char *key, size_t keylen, int64_t window, uint64_t val,
	    int64_t last_ms, int64_t now_ms) CV_WUR;
int	 policy_counter_charge(struct policy_state *, uint32_t def,
	    const struct policy_req *req, int64_t window, uint64_t amount,
	    int64_t now_ms) CV_WUR;
/*
 * Budgets whose charges could not all be read back (vaultd_budget.c:
 * audit records missing or unreadable at a restart) admit nothing
 * while such a charge could still count.  policy_state_hold holds every
 * budget of st until a charge made at at_ms no longer counts (the end
 * of its count's or sum's window, the time its bucket takes to fill;
 * INT64_MAX: for good).  policy_hold_each hears each budget held at
 * now_ms and until when; policy_hold_load puts one back (CV_ERR_INVALID
 * for a def out of range).
 */
void	 policy_state_hold(struct policy_state *, int64_t at_ms);
typedef void policy_hold_fn(void *arg, uint32_t def, int64_t until_ms);
void	 policy_hold_each(const struct policy_state *, int64_t now_ms,
	    policy_hold_fn *fn, void *arg);
int	 policy_hold_load(struct policy_state *, uint32_t def,
	    int64_t until_ms) CV_WUR;
/*
 * How long a charge can still count against a budget: the longest
 * window of a count or sum, or the time a token bucket takes to fill
 * from empty (ms); 0 when the policy has no budget.
 */
int64_t	 policy_state_horizon_ms(const struct policy_state *);

/*
 * The verdict on req at now_ms (wall clock, ms since the epoch: budget
 * windows are UTC-aligned).  With st set, the budgets of every matching
 * allow or approve rule are reserved in v->resv when the verdict is
 * ALLOW or APPROVE; with st NULL nothing is spent (a dry run).  A body
 * or query that any candidate rule inspects and that is not strict
 * (malformed JSON, a duplicated key or parameter) denies the request,
 * naming that rule.  A path (before its '?') that is not canonical (not
 * starting with '/', or with a '%', '#', ';', '\\', an empty, "." or ".."
 * segment, a trailing '/' other than the root's, or a byte outside
 * 0x21..0x7e) is denied before any rule, with id "path"; so is one that
 * a path pattern of a rule or a catalog row matches only when ASCII
 * letters are compared without regard to case.  Returns 0
 * (the verdict is in v, whatever it is), or CV_ERR_INVALID for a malformed req (NULL account, method or path).
 */
int	 policy_eval(const struct policy *, struct policy_state *st,
	    const struct policy_req *req, int64_t now_ms,
	    struct policy_verdict *v) CV_WUR;

/*
 * The same for a request whose budgets were taken in part already, by
 * a verdict on it at another level (held: that verdict's resv): a
 * counter held holds is neither checked nor taken again, so that a rule
 * that matches the request at both levels charges it once.
 */
int	 policy_eval_held(const struct policy *, struct policy_state *st,
	    const struct policy_req *req, int64_t now_ms,
	    const struct policy_resv *held, struct policy_verdict *v) CV_WUR;

/*
 * Give back what a verdict reserved (its resv): only for a request that
 * did not go out.
 */
void	 policy_refund(struct policy_state *, const struct policy_resv *);
/*
 * The entry of resv that holds that budget's counter slot, taken from
 * that window, or resv->n.
 */
size_t	 policy_resv_find(const struct policy_resv *, uint32_t budget,
	    uint32_t slot, int64_t window);

/*
 * A dry run that says why: fn hears one line per rule that could apply
 * ("match", or the first predicate that failed and the value it saw),
 * then the verdict's line.  Spends nothing.
 */
typedef void policy_explain_fn(void *arg, const char *line);
int	 policy_explain(const struct policy *, const struct policy_state *st,
	    const struct policy_req *req, int64_t now_ms,
	    policy_explain_fn *fn, void *arg) CV_WUR;

/* Ceilings and settings a caller applies itself. */
int64_t	 policy_skew(const struct policy *);		/* seconds */
int64_t	 policy_approval_timeout(const struct policy *);	/* seconds */

/*
 * Approvals.  An approver signs, with Ed25519, the bytes
 * policy_approval_msg makes of {request digest, policy version,
 * decision}; a policy change needs the signatures the *active* policy's
 * "policy-change approve K of {...}" line asks for, over
 * policy_change_msg of {new text's digest, new version}.
 */
#define POLICY_APPROVAL_MSG_LEN	(24 + 32 + 8 + 1)
#define POLICY_CHANGE_MSG_LEN	(24 + 32 + 8)
/*
 * The digest an approval names: BLAKE2b-256 over a domain string, the
 * holder's pending id (so an approval admits that one request, not an
 * identical one) and the request's actor, account, level, method, path,
 * body and nonce, then the key it is to be signed with ("" for the
 * account's active one) and its signing flags (SIGN_F_*: the orders
 * signed for it, and for which exchange), each length-prefixed.
 */
void	 policy_req_digest(const struct policy_req *, uint64_t pending_id,
	    const char *key_id, uint64_t flags, uint8_t out[32]);
void	 policy_approval_msg(const uint8_t digest[32], uint64_t version,
	    int grant, uint8_t out[POLICY_APPROVAL_MSG_LEN]);
void	 policy_change_msg(const uint8_t digest[POLICY_DIGEST_LEN],
	    uint64_t version, uint8_t out[POLICY_CHANGE_MSG_LEN]);
/* The index of the approver with public key pk, or -1; name if wanted. */
int	 policy_approver_find(const struct policy *,
	    const uint8_t pk[POLICY_PK_LEN], const char **name);
size_t	 policy_napprovers(const struct policy *);
/* The name of approver i, NULL past the last. */
const char *policy_approver_name(const struct policy *, size_t i);
/*
 * 1 when the approvers in granted (bit i: approver i, a bitmap of
 * POLICY_MAX_APPROVERS bits) satisfy every approve rule of v: K of each
 * rule's own set.  0 otherwise.
 */
int	 policy_approval_satisfied(const struct policy *,
	    const struct policy_verdict *v, const uint8_t granted[8]);
/*
 * 1 when a grant by approver k would count for v: k has not granted
 * yet and is in the set of an approve rule of v that still needs grants.
 */
int	 policy_approval_counts(const struct policy *,
	    const struct policy_verdict *v, const uint8_t granted[8],
	    size_t k);
/* How many more grants v needs at least (0: satisfied). */
unsigned policy_approval_missing(const struct policy *,
	    const struct policy_verdict *v, const uint8_t granted[8]);
/* The K of the policy-change line (0: none: the passphrase is enough). */
unsigned policy_change_k(const struct policy *);
/* 1 when granted satisfies the policy-change line of pol. */
int	 policy_change_satisfied(const struct policy *pol,
	    const uint8_t granted[8]);

#endif
