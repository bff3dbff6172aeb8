/*
 * The policy parser's insides, shared by the grammar (parse.y), its
 * lexer (policy_lex.c) and the helpers its actions call (policy_build.c:
 * values, lists and settings; policy_build_rule.c: rules, predicates and
 * budgets).  Not for use outside policy/.
 *
 * Ownership: every helper an action calls takes the values handed to
 * it, on failure too (bison does not reclaim the right hand side of an
 * action that fails).  A helper that fails has said why with
 * pol_error_at; its CV_ERR_INVALID discards the statement, CV_ERR_NOMEM
 * the whole parse.
 */
#ifndef CV_POLICY_PARSE_H
#define CV_POLICY_PARSE_H

#include <stddef.h>

#include "policy/policy_int.h"
#include "policy/parse.h"	/* bison's: tokens, POL_YYSTYPE, POL_YYLTYPE */

#define VALUE_MAX	256		/* bytes of one value */
#define LIST_MAX	1024		/* values in one list */
#define LABEL_MAX	32		/* labels and approver names */
#define MACRO_NAME_MAX	64
#define MACROS_MAX	4096
#define PREDS_MAX	64		/* predicates in one rule */
#define EXPAND_MAX	(4 * 1024 * 1024) /* bytes macros may expand to */
#define SECONDS_MAX	3600		/* skew, approval-timeout */

/* A value, and where it was written (or, from a macro, used). */
struct pval {
	char	*s;
	int	 line, col;
};
struct plist {
	struct pval	*v;
	size_t		 n, cap;
	int		 is_list;	/* braced, or a list macro */
};
struct pcmp {
	enum pol_op	 op;
	struct plist	*vals;
	int		 line, col;
};
struct pmacro {
	char		*name;
	struct plist	*val;
	int		 line;
};
/* An approver a rule names, checked once all are declared. */
struct pref {
	char	*name;
	int	 line, col;
};

/* One parse: the lexer's place in the text and what is built so far. */
struct pctx {
	const char		*text;
	size_t			 len, pos;
	int			 line, col;	/* of text[pos] */
	int			 at_bol;	/* nothing since an NL */
	char			 tok[48];	/* the last token */
	struct policy		*pol;
	struct policy_errors	*errs;
	int			 nomem;
	size_t			 expanded;	/* bytes from macros */
	struct pmacro		*macros;	/* sorted by name */
	size_t			 nmacros;
	struct pref		*refs;
	size_t			 nrefs, refs_done, refs_cap;
};

/* The lexer (policy_lex.c). */

/*
 * The next token for the parser: its value in *lval (a WORD's or
 * STRING's string, the caller's; a MACRO's index in cx->macros), where
 * it starts in *loc, its text for error messages in cx->tok.  A token
 * the lexer refuses has been reported and is POL_YYerror.
 */
int	 pol_yylex(POL_YYSTYPE *lval, POL_YYLTYPE *loc, struct pctx *cx);
/* Add an error at loc's first line and column to cx->errs. */
void	 pol_error_at(struct pctx *cx, const POL_YYLTYPE *loc,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * 1 with *at its index if cx defines the macro name[0..n), else 0 with
 * *at where it would be inserted to keep cx->macros sorted.
 */
int	 pol_macro_find(const struct pctx *cx, const char *name, size_t n,
	    size_t *at);
/* 1 if c may be in a macro name: letters, digits and _. */
int	 pol_macro_char(int c);

/* Values, lists and comparisons (policy_build.c). */

/* A list of the one value s written at loc; NULL when memory ran out. */
struct plist *pol_plist_one(struct pctx *, char *s, const POL_YYLTYPE *loc);
/* Append src to dst; both are freed on failure, src on success. */
int	 pol_plist_cat(struct pctx *, struct plist *dst, struct plist *src)
	    CV_WUR;
/* A copy in *out of macro number mac's values, as used at loc. */
int	 pol_plist_macro(struct pctx *, size_t mac, const POL_YYLTYPE *loc,
	    struct plist **out) CV_WUR;
/* A copy in *out of macro number mac's one value; a list is refused. */
int	 pol_value_macro(struct pctx *, size_t mac, const POL_YYLTYPE *loc,
	    char **out) CV_WUR;
/* Move l's values into out, sorted and without repeats; l is freed. */
int	 pol_plist_take(struct plist *l, struct pol_list *out) CV_WUR;
/* Free l and its values; NULL is fine. */
void	 pol_plist_free(struct plist *l);
/* A comparison op vals at loc in *out; < <= > >= need a decimal. */
int	 pol_cmp_new(struct pctx *, enum pol_op op, const POL_YYLTYPE *loc,
	    struct plist *vals, struct pcmp **out) CV_WUR;
/* pol_cmp_new with the one value v written at vloc. */
int	 pol_cmp_one(struct pctx *, enum pol_op op, const POL_YYLTYPE *loc,
	    char *v, const POL_YYLTYPE *vloc, struct pcmp **out) CV_WUR;
/* Free c and its values; NULL is fine. */
void	 pol_pcmp_free(struct pcmp *c);

/* Checks of single values (policy_build.c). */

/* 1 if s is a label or approver name: 1 to LABEL_MAX of [A-Za-z0-9._-]. */
int	 pol_name_ok(const char *s);
/* 1 with *out if s is a whole number in 0..max, decimal digits only. */
int	 pol_uint_parse(const char *s, uint64_t max, uint64_t *out);
/* 1 if s is one or more decimal digits and nothing else. */
int	 pol_uint_digits(const char *s);

/* Statements other than rules (policy_build.c). */

/* NAME = LIST: define macro $NAME. */
int	 pol_macro_define(struct pctx *, char *name, const POL_YYLTYPE *loc,
	    struct plist *val) CV_WUR;
/* approver NAME KEY: KEY is 64 hex digits of an Ed25519 public key. */
int	 pol_approver_add(struct pctx *, char *name, const POL_YYLTYPE *nloc,
	    char *key, const POL_YYLTYPE *kloc) CV_WUR;
/* skew V or approval-timeout V (what says which), from 1 to SECONDS_MAX. */
int	 pol_set_seconds(struct pctx *, const POL_YYLTYPE *loc,
	    const char *what, char *v, const POL_YYLTYPE *vloc) CV_WUR;
/*
 * 0 if the values of c, a comparison with the L1 nonce, are unsigned
 * integers and its operator suits (a ceiling has no !=); c is kept.
 */
int	 pol_nonce_vals(struct pctx *, const char *what, int ceiling,
	    const struct pcmp *c) CV_WUR;
/* l1-nonce CMP: the ceiling on the L1 nonce. */
int	 pol_set_nonce(struct pctx *, const POL_YYLTYPE *loc, struct pcmp *c)
	    CV_WUR;
/* key-permissions LIST: the ceiling on key permissions. */
int	 pol_set_perms(struct pctx *, const POL_YYLTYPE *loc, struct plist *l)
	    CV_WUR;
/* policy-change approve K of LIST. */
int	 pol_set_change(struct pctx *, const POL_YYLTYPE *loc, char *k,
	    const POL_YYLTYPE *kloc, struct plist *l) CV_WUR;
/*
 * "approve K of LIST": K from 1 to the number of distinct approvers, in
 * *kout; the names in out, and kept to be checked at the end.
 */
int	 pol_approve_k(struct pctx *, char *k, const POL_YYLTYPE *kloc,
	    struct plist *l, unsigned *kout, struct pol_list *out) CV_WUR;
/* A statement ended: keep the approvers it named, or drop them. */
void	 pol_refs_end(struct pctx *, int keep);

/* Rules, predicates and budgets (policy_build_rule.c). */

/* A rule of effect, written at loc, in *out. */
int	 pol_rule_new(struct pctx *, enum policy_effect effect,
	    const POL_YYLTYPE *loc, struct pol_rule **out) CV_WUR;
/* An approve K of LIST rule in *out. */
int	 pol_rule_approve(struct pctx *, const POL_YYLTYPE *loc, char *k,
	    const POL_YYLTYPE *kloc, struct plist *l, struct pol_rule **out)
	    CV_WUR;
/* Who rule r is for: uids (canonical decimal) or client names in l. */
int	 pol_rule_who(struct pctx *, struct pol_rule *r, enum pol_who who,
	    struct plist *l) CV_WUR;
/* Add predicate p to rule r; on failure both are freed. */
int	 pol_rule_pred(struct pctx *, struct pol_rule *r, struct pol_pred *p)
	    CV_WUR;
/* Add budget b to rule r; on failure both are freed. */
int	 pol_rule_budget(struct pctx *, struct pol_rule *r,
	    struct pol_budget *b) CV_WUR;
/* Label rule r (label may be NULL) and move it into cx->pol. */
int	 pol_rule_finish(struct pctx *, struct pol_rule *r, char *label,
	    const POL_YYLTYPE *lloc) CV_WUR;
/* A predicate of kind on the values in l (NULL: catalog) in *out. */
int	 pol_pred_list(struct pctx *, enum pol_pred_kind kind,
	    const POL_YYLTYPE *loc, struct plist *l, struct pol_pred **out)
	    CV_WUR;
/*
 * A predicate of kind comparing a request's value by c in *out: the
 * field name of request kind kname (PP_FIELD), the query parameter or
 * JSON pointer name (PP_QUERY, PP_BODY), the L1 nonce (PP_NONCE).
 */
int	 pol_pred_cmp(struct pctx *, enum pol_pred_kind kind,
	    const POL_YYLTYPE *loc, char *kname, char *name,
	    const POL_YYLTYPE *nloc, struct pcmp *c, struct pol_pred **out)
	    CV_WUR;
/*
 * rate N/UNIT [burst B], limit N/UNIT or limit FIELD N/UNIT (field),
 * per the PB_PER_* bits, in *out.
 */
int	 pol_budget_new(struct pctx *, enum pol_budget_kind kind,
	    const POL_YYLTYPE *loc, char *field, const POL_YYLTYPE *floc,
	    char *n, const POL_YYLTYPE *nloc, char *burst,
	    const POL_YYLTYPE *bloc, unsigned per, struct pol_budget **out)
	    CV_WUR;
/* Free what these hold and the structs themselves; NULL is fine. */
void	 pol_pred_free(struct pol_pred *);
void	 pol_budget_free(struct pol_budget *);
void	 pol_rule_free(struct pol_rule *);

#endif
