/*
 * libpolicy's insides: the checked tree the parser builds (parse.y,
 * policy_parse.c) and the engine reads (policy_eval.c and the rest).
 * Not for use outside policy/.
 */
#ifndef CV_POLICY_INT_H
#define CV_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* A list of strings (accounts, methods, values, approver names). */
struct pol_list {
	size_t	  n;
	char	**v;
};

enum pol_op {
	PO_EQ,		/* = V       the value is V */
	PO_NE,		/* != V */
	PO_IN,		/* in { V ... }  one of them */
	PO_PREFIX,	/* prefix V  starts with V */
	PO_LT,		/* < V       decimals, compared exactly */
	PO_LE,
	PO_GT,
	PO_GE,
};

enum pol_pred_kind {
	PP_ACCOUNT,	/* list: the request's account is one of them */
	PP_PROFILE,	/* list */
	PP_LEVEL,	/* levels: bitmask of enum policy_level */
	PP_METHOD,	/* list of upper-case methods */
	PP_PATH,	/* list of patterns: exact, or '*' whole segments */
	PP_QUERY,	/* name: parameter; cmp */
	PP_BODY,	/* name: JSON pointer ("/order/side"); cmp */
	PP_NONCE,	/* cmp on the L1 nonce (decimal) */
	PP_CATALOG,	/* the endpoint catalog admits the request */
	PP_FIELD,	/* kind, name: a request kind's field; cmp */
};

struct pol_pred {
	enum pol_pred_kind	 kind;
	int			 line, col;
	struct pol_list		 list;		/* ACCOUNT PROFILE METHOD PATH */
	unsigned		 levels;	/* LEVEL: bit (1 << level) */
	char			*kind_name;	/* FIELD: "order", "key" */
	char			*name;		/* QUERY BODY FIELD */
	enum pol_op		 op;		/* QUERY BODY NONCE FIELD */
	struct pol_list		 vals;		/* one value, or IN's list */
};

enum pol_who {
	PW_ANY,
	PW_OPERATOR,	/* names: uids in decimal; empty: any uid */
	PW_CLIENT,	/* names: client names */
};

enum pol_budget_kind {
	PB_RATE,	/* token bucket: amount per window, burst */
	PB_COUNT,	/* at most amount requests per window */
	PB_SUM,		/* the field's values add up to at most amount */
};

#define PB_PER_ACCOUNT	0x1
#define PB_PER_CLIENT	0x2	/* the client name, or "operator:UID" */

/* Sums are counted in micro-units: 6 decimal places, rounded up. */
#define PB_SCALE	1000000ULL

struct pol_budget {
	enum pol_budget_kind	 kind;
	int			 line, col;
	char			*field;		/* PB_SUM: the field summed */
	uint64_t		 amount;	/* requests, or PB_SCALE units */
	uint64_t		 window_s;	/* 1, 60, 3600, 86400 */
	uint64_t		 burst;		/* PB_RATE; amount if not said */
	unsigned		 per;		/* PB_PER_* bits; 0: one for all */
};

struct pol_rule {
	enum policy_effect	 effect;
	int			 line, col;
	unsigned		 k;		/* APPROVE: K of approvers */
	struct pol_list		 approvers;	/* APPROVE: names */
	enum pol_who		 who;
	struct pol_list		 names;		/* who's uids or clients */
	struct pol_pred		*preds;
	size_t			 npreds;
	struct pol_budget	*budgets;
	size_t			 nbudgets;
	char			*label;		/* NULL if none */
	char			 id[POLICY_ID_MAX];
	char			*canon;		/* canonical one-line form */
};

struct pol_approver {
	char		*name;
	uint8_t		 pk[POLICY_PK_LEN];
	int		 line, col;
	char		*canon;
};

/* A line other than a rule, for policy_diff: ceilings, approvers, ... */
struct pol_setting {
	char		 id[48];	/* "ceiling:skew", "policy-change" */
	int		 line;
	char		*canon;
};

struct pol_index;	/* the engine's (policy_index.c) */
struct pol_fold;	/* the case check's (policy_case.c) */

struct policy {
	struct pol_rule		*rules;
	size_t			 nrules;
	struct pol_approver	*approvers;
	size_t			 napprovers;
	struct pol_setting	*settings;
	size_t			 nsettings;

	/* ceilings */
	int64_t			 skew_s;		/* POLICY_SKEW_DEFAULT */
	int			 have_nonce_ceiling;
	enum pol_op		 nonce_op;		/* "l1-nonce" cmp */
	struct pol_list		 nonce_vals;
	int			 have_perm_ceiling;
	struct pol_list		 perm_ceiling;		/* "key-permissions" */
	int64_t			 approval_timeout_s;

	/* governance: policy-change approve K of { ... } */
	unsigned		 change_k;
	struct pol_list		 change_approvers;

	uint8_t			 digest[POLICY_DIGEST_LEN];
	struct pol_index	*index;
	struct pol_fold		*fold;
};

/*
 * The engine's part of policy_parse: build pol->index once the tree is
 * checked.  0, CV_ERR_TOOLONG with *bad the rule whose entries (its
 * levels times its methods times its paths) take the rules up to it
 * past POLICY_INDEX_MAX, or CV_ERR_NOMEM.  policy_index_free accepts
 * NULL.
 */
#define POLICY_INDEX_MAX	(1U << 20)
int	 policy_index_build(struct policy *, size_t *bad) CV_WUR;
void	 policy_index_free(struct pol_index *);

/*
 * policy_case.c.  policy_case_build collects the path patterns of pol's
 * rules and of the endpoint catalog into pol->fold: 0 or CV_ERR_NOMEM.
 * policy_case_clash returns the pattern that matches the path p[0..n)
 * (canonical, before its '?') when ASCII letters are compared without
 * regard to case but not byte for byte, or NULL; it borrows from pol.
 * policy_case_spell writes into buf (len bytes) the path as that
 * pattern spells it, its '*' segments taken from p: its length, or 0
 * when it does not fit.  policy_case_free accepts NULL.
 */
int	 policy_case_build(struct policy *) CV_WUR;
const char *policy_case_clash(const struct policy *pol, const char *p,
	    size_t n);
size_t	 policy_case_spell(const char *pat, const char *p, size_t n,
	    char *buf, size_t len);
void	 policy_case_free(struct pol_fold *);

/* Names of the request kinds and their fields the language knows. */
struct pol_kind {
	const char	*name;		/* "order", "key" */
	const char	*fields[16];	/* NULL-terminated */
	const char	*sums[4];	/* fields a PB_SUM may add up */
	const char	*multi[4];	/* fields that may repeat */
	/*
	 * A field that is exactly ratio[1] / ratio[2] (the order's price,
	 * notional / size) where its text is rounded: decimal comparisons
	 * take the ratio when the request gives both.
	 */
	const char	*ratio[3];
};
const struct pol_kind	*pol_kind_find(const char *name);

/* The index of the approver called name in pol, or -1. */
int	 pol_approver_find(const struct policy *pol, const char *name);

/*
 * Decimals ("-12.5", "0.000001", "7"): compare a and b exactly.
 * 0 with *cmp <0, 0, >0; CV_ERR_INVALID if either is not a decimal
 * (optional '-', digits, optional '.' and digits; no exponent, at most
 * 64 characters).
 */
int	 pol_dec_cmp(const char *a, size_t alen, const char *b, size_t blen,
	    int *cmp) CV_WUR;
/* 1 if s[0..len) is such a decimal. */
int	 pol_dec_valid(const char *s, size_t len);
/*
 * Compare num / den with the decimal v exactly, by cross-multiplying
 * (den above 0): 0 with *cmp <0, 0, >0; CV_ERR_INVALID if one is not a
 * decimal or den is not above 0, CV_ERR_TOOLONG past POL_DEC_PROD_MAX
 * digits of v times den.
 */
#define POL_DEC_PROD_MAX	640
int	 pol_dec_ratio_cmp(const char *num, size_t numlen, const char *den,
	    size_t denlen, const char *v, size_t vlen, int *cmp) CV_WUR;
/* A non-negative decimal in PB_SCALE units, rounded up; overflow: error. */
int	 pol_dec_units(const char *s, size_t len, uint64_t *out) CV_WUR;

/*
 * The parser's own insides (parse.y and policy_parse.c).
 *
 * pol_grammar parses text[0..len) into pol (whose defaults are set),
 * checking what one statement can check and, at the end, that every
 * approver a rule names is declared.  0, CV_ERR_INVALID with the errors
 * in errs, or CV_ERR_NOMEM.  What it built stays in pol for policy_free.
 */
int	 pol_grammar(const char *text, size_t len, struct policy *pol,
	    struct policy_errors *errs) CV_WUR;
/* Add an error at line, col; past POLICY_MAX_ERRORS only errs->more. */
void	 pol_error(struct policy_errors *, int line, int col,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * 1 if s lexes as one plain word: not empty, only word characters and
 * not a keyword.  Any other value is written quoted.
 */
int	 pol_plain_word(const char *s);
/* Free what these hold (not the structs themselves); NULL is fine. */
void	 pol_list_clear(struct pol_list *);
void	 pol_pred_clear(struct pol_pred *);
void	 pol_rule_clear(struct pol_rule *);

#endif
