/*
 * The budgets of a policy (policy_budget.c), as the verdict code in
 * policy_eval.c uses them: plan every budget of every matching allow or
 * approve rule first, then take them all or none.  Not for use outside
 * policy/.
 */
#ifndef CV_POLICY_BUDGET_H
#define CV_POLICY_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy_int.h"

#define PB_MAX_KEYS	65536	/* counters one state holds */
#define PB_KEY_MAX	512	/* bytes of one counter's key */

enum pb_result {
	PB_OK = 0,
	PB_EXHAUSTED,	/* the budget has no room for this request */
	PB_NOFIELD,	/* a sum budget, and the request lacks the field */
	PB_NOTDEC,	/* the summed field is not a non-negative decimal */
	PB_TWICE,	/* the summed field is given more than once */
	PB_OVER,	/* more than POLICY_RESV_MAX budgets */
	PB_FULL,	/* the state holds PB_MAX_KEYS counters */
	PB_KEYLONG,	/* an account or client name past PB_KEY_MAX */
	PB_UNCHECKED,	/* its charges could not all be read back */
};

/* What one request would take: filled by pb_plan_rule, used by pb_take. */
struct pb_plan {
	size_t		 n;
	size_t		 nnew;		/* steps whose counter is new */
	struct pb_step {
		uint32_t	 rule;
		uint32_t	 b;	/* the budget's index in its rule */
		int64_t		 slot;	/* -1: no counter for the key yet */
		uint64_t	 amount;
		int64_t		 window;
		uint64_t	 h;	/* the counter's hash */
	}		 s[POLICY_RESV_MAX];
};

/*
 * Add the budgets of rule ri to plan, checking each against st at
 * now_ms without changing st.  st NULL (a dry run) checks only what the
 * request itself decides (a summed field present and decimal).  A
 * counter held holds (the same request, taken at another level) is
 * left out: neither checked nor planned again.  PB_OK, or the first
 * failure with *fb the index in the rule of that budget.
 */
enum pb_result pb_plan_rule(const struct policy_state *st,
	    const struct policy *pol, const struct policy_req *req,
	    uint32_t ri, int64_t now_ms, const struct policy_resv *held,
	    struct pb_plan *plan, size_t *fb) CV_WUR;

/*
 * Take every step of plan (made against st in the same call, nothing
 * changed since) and record them in resv.  0, or CV_ERR_NOMEM with
 * nothing taken.
 */
int	 pb_take(struct policy_state *, const struct policy_req *,
	    int64_t now_ms, const struct pb_plan *, struct policy_resv *)
	    CV_WUR;

/* The policy st was made for. */
const struct policy *policy_state_pol(const struct policy_state *);

/* Forget the counters that hold nothing at now_ms; how many went. */
size_t	 pb_gc(struct policy_state *, int64_t now_ms);

/* A budget as a person reads it: "limit 3/day per account". */
void	 pb_describe(const struct pol_budget *, char *buf, size_t len);

/* The used and asked amounts of a sum budget, as decimals, for a why. */
void	 pb_units_str(uint64_t units, char *buf, size_t len);

#endif
