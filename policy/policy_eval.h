/*
 * The engine's insides, shared by its three files: policy_index.c
 * (which rules a request could meet), policy_match.c (what each of them
 * says of it) and policy_eval.c (the ceilings and the verdict).  Not
 * for use outside policy/.
 */
#ifndef CV_POLICY_EVAL_H
#define CV_POLICY_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy_int.h"

#define IX_PREFIX_SEGS	8		/* '/'s of an indexed '*' prefix */
#define IX_MAX_LISTS	(2 * (IX_PREFIX_SEGS + 2))
#define EV_DET_MAX	192		/* a rule's reason, for a person */

enum rm_result {
	RM_MATCH,
	RM_NOMATCH,
	RM_BROKEN,	/* the rule denies: it cannot read what it inspects */
};

/* One request as the engine reads it, with what it learnt of it. */
struct ev_ctx {
	const struct policy	*pol;
	const struct policy_req	*req;
	int64_t			 now_ms;
	const char		*path;		/* before the '?' */
	size_t			 pathlen;
	const char		*query;		/* after it; NULL: none */
	size_t			 querylen;
	char			 uid[16];
	int			 qstate;	/* 0 unread, 1 good, -1 bad */
	size_t			 qoff;
	int			 bstate;	/* 0 unread, 1 good, -1 bad */
	size_t			 boff;
	const char		*bwhat;
	int			 explain;	/* say why a rule missed */
	/*
	 * The rule being read refuses or holds (deny, approve): a field of
	 * several values matches when any of them does, where an allow
	 * needs them all; all_values: as an allow, whatever the rule
	 * (whether an approve rule may grant the request).
	 */
	int			 any_value;
	int			 all_values;
};

/* The candidates: sorted lists of rule indices, merged. */
struct ix_cand {
	const uint32_t	*l[IX_MAX_LISTS];
	uint32_t	 n[IX_MAX_LISTS], i[IX_MAX_LISTS];
	size_t		 nl;
	int		 all;		/* no index: every rule in order */
	uint32_t	 next, nrules;
};

/*
 * policy_index.c.  Fill cd with the rules the request of c could meet:
 * every rule in file order when pol has no index.  cd borrows from
 * pol's index.
 */
void	 ix_cands(const struct policy *pol, const struct ev_ctx *c,
	    struct ix_cand *cd);
/* The next candidate of cd in rule order, or -1 after the last. */
int64_t	 ix_cand_next(struct ix_cand *cd);

/*
 * policy_match.c.  What rule r says of the request of c.  det (dl
 * bytes, EV_DET_MAX will do) gets the reason for RM_BROKEN, and for
 * RM_NOMATCH when c->explain is set.
 */
enum rm_result pm_rule(struct ev_ctx *c, const struct pol_rule *r,
	    char *det, size_t dl);
/*
 * The plain bytes s[0..len) against op and vals, as a rule compares
 * (policy-lang.md): RM_BROKEN when an ordering needs a decimal and
 * either side is not one.
 */
enum rm_result pm_cmp(enum pol_op op, const struct pol_list *vals,
	    const char *s, size_t len);
/* 1 if s[0..len) is one of l's strings, 0 otherwise. */
int	 pm_in_list(const struct pol_list *l, const char *s, size_t len);
/* "{a b c}" into buf (len bytes), cut to fit with " ..." before '}'. */
void	 pm_list_str(const struct pol_list *l, char *buf, size_t len);
/* A comparison for a person, "< 5" or "in {a b}", into buf. */
void	 pm_cmp_str(enum pol_op op, const struct pol_list *vals, char *buf,
	    size_t len);

#endif
