/*
 * The budgets file's counters and its lines (vaultd_budget_copy.c):
 * what a checkpoint's copy of the policy's counters holds and how the
 * file is written from it, shared by vaultd_budget.c and bench_budget.
 */
#ifndef CV_VAULTD_BUDGET_COPY_H
#define CV_VAULTD_BUDGET_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/audit.h"
#include "policy/policy.h"

#define BUDGET_MAGIC	"clobvault budgets 2"
#define BUDGET_KEY_MAX	512			/* a counter's key */
#define BUDGET_LINE	(2 * BUDGET_KEY_MAX + 128)	/* hex key, numbers */

struct vd_budget_ctr {
	uint32_t	def;
	int		rate;		/* -1: a budget held, window its end */
	int64_t		window;
	uint64_t	val;
	int64_t		last_ms;
	size_t		keyoff, keylen;
};

/*
 * A copy of the counters that hold something.  held, unless NULL, gives
 * what requests held (charged, not yet recorded) took from a counter
 * back into its value before it is copied.
 */
struct vd_budget_copy {
	struct vd_budget_ctr	*c;
	size_t			 n, cap;
	char			*keys;
	size_t			 klen, kcap;
	int			 nomem;
	uint64_t		(*held)(void *arg, uint32_t def, uint32_t slot,
				    int rate, int64_t window, uint64_t val,
				    uint64_t max);
	void			*held_arg;
};

/* Empty the copy, keeping its arrays for the next; nomem cleared. */
void	vaultd_budget_copy_reset(struct vd_budget_copy *);
/* Its arrays freed; NULL is fine. */
void	vaultd_budget_copy_free(struct vd_budget_copy *);

/*
 * policy_counter_each's callback, arg the copy: one counter into it,
 * a value past max written as max (a count past its limit, from a
 * charge given back before a crash, would make the file refused whole).
 * Out of memory: the copy's nomem set, the counter left out.
 */
void	vaultd_budget_copy_one(void *arg, uint32_t def, uint32_t slot,
	    int rate, const char *key, size_t keylen, int64_t window,
	    uint64_t val, uint64_t max, int64_t last_ms);

/*
 * policy_hold_each's callback, arg the copy: a budget held until
 * until_ms into it (out of memory: nomem set).
 */
void	vaultd_budget_copy_hold(void *arg, uint32_t def, int64_t until_ms);

/*
 * The file to f: head (its first lines, as they are), a line a counter,
 * then "end"; its BLAKE2b-256 into hash.  0, or -1 on a write error.
 * Logs nothing: a thread calls it.
 */
int	vaultd_budget_copy_write(const struct vd_budget_copy *,
	    const char *head, FILE *f, uint8_t hash[AUDIT_HASH_LEN]) CV_WUR;

#endif
