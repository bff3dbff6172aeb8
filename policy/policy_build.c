/*
 * What the actions of parse.y call for values, lists, comparisons and
 * the statements other than rules (macros, approvers, ceilings and
 * settings); rules are policy_build_rule.c's.  What one statement can
 * check is checked here, where the tokens' lines and columns are.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_parse.h"

/* Values and lists. */

static int
plist_add(struct pctx *cx, struct plist *l, char *s, int line, int col)
{
	struct pval	*v;
	size_t		 cap;
	POL_YYLTYPE		 loc;

	if (l->n == LIST_MAX) {
		loc.first_line = line;
		loc.first_column = col;
		pol_error_at(cx, &loc, "list too long (more than %d values)",
		    LIST_MAX);
		free(s);
		return CV_ERR_INVALID;
	}
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 4;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL) {
			free(s);
			return CV_ERR_NOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].s = s;
	l->v[l->n].line = line;
	l->v[l->n].col = col;
	l->n++;
	return 0;
}

void
pol_plist_free(struct plist *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i].s);
	free(l->v);
	free(l);
}

struct plist *
pol_plist_one(struct pctx *cx, char *s, const POL_YYLTYPE *loc)
{
	struct plist	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		free(s);
		return NULL;
	}
	if (plist_add(cx, l, s, loc->first_line, loc->first_column) != 0) {
		pol_plist_free(l);
		return NULL;
	}
	return l;
}

/* Append src to dst; both are freed on failure, src on success. */
int
pol_plist_cat(struct pctx *cx, struct plist *dst, struct plist *src)
{
	size_t	i;
	int	r = 0;

	for (i = 0; i < src->n && r == 0; i++) {
		r = plist_add(cx, dst, src->v[i].s, src->v[i].line,
		    src->v[i].col);
		src->v[i].s = NULL;
	}
	pol_plist_free(src);
	if (r != 0)
		pol_plist_free(dst);
	return r;
}

/* Count bytes macros expand to, so that a few lines cannot fill memory. */
static int
expand_charge(struct pctx *cx, const char *s, const POL_YYLTYPE *loc)
{
	if (cx->expanded > EXPAND_MAX)
		return CV_ERR_INVALID;		/* said once already */
	cx->expanded += strlen(s) + 1 + sizeof(struct pval) + 32;
	if (cx->expanded > EXPAND_MAX) {
		pol_error_at(cx, loc, "macros expand to more than %d bytes",
		    EXPAND_MAX);
		return CV_ERR_INVALID;
	}
	return 0;
}

int
pol_plist_macro(struct pctx *cx, size_t mac, const POL_YYLTYPE *loc,
    struct plist **out)
{
	const struct plist	*m = cx->macros[mac].val;
	struct plist		*l;
	char			*s;
	size_t			 i;
	int			 r = CV_ERR_NOMEM;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto out;
	l->is_list = m->is_list;
	for (i = 0; i < m->n; i++) {
		if ((r = expand_charge(cx, m->v[i].s, loc)) != 0)
			goto out;
		r = CV_ERR_NOMEM;
		if ((s = strdup(m->v[i].s)) == NULL)
			goto out;
		if ((r = plist_add(cx, l, s, loc->first_line,
		    loc->first_column)) != 0)
			goto out;
	}
	*out = l;
	l = NULL;
	r = 0;
 out:
	pol_plist_free(l);
	return r;
}

int
pol_value_macro(struct pctx *cx, size_t mac, const POL_YYLTYPE *loc, char **out)
{
	const struct pmacro	*m = &cx->macros[mac];
	int			 r;

	if (m->val->is_list) {
		pol_error_at(cx, loc, "this macro is a list; one value is "
		    "needed here");
		return CV_ERR_INVALID;
	}
	if ((r = expand_charge(cx, m->val->v[0].s, loc)) != 0)
		return r;
	if ((*out = strdup(m->val->v[0].s)) == NULL)
		return CV_ERR_NOMEM;
	return 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Move l's values into out, sorted and without repeats; l is freed. */
int
pol_plist_take(struct plist *l, struct pol_list *out)
{
	size_t	i, n = 0;
	int	r = CV_ERR_NOMEM;

	out->n = 0;
	if ((out->v = calloc(l->n ? l->n : 1, sizeof(*out->v))) == NULL)
		goto out;
	for (i = 0; i < l->n; i++) {
		out->v[i] = l->v[i].s;
		l->v[i].s = NULL;
	}
	qsort(out->v, l->n, sizeof(*out->v), strp_cmp);
	for (i = 0; i < l->n; i++) {
		if (n > 0 && strcmp(out->v[n - 1], out->v[i]) == 0)
			free(out->v[i]);
		else
			out->v[n++] = out->v[i];
	}
	out->n = n;
	r = 0;
 out:
	pol_plist_free(l);
	return r;
}

void
pol_pcmp_free(struct pcmp *c)
{
	if (c == NULL)
		return;
	pol_plist_free(c->vals);
	free(c);
}

int
pol_cmp_new(struct pctx *cx, enum pol_op op, const POL_YYLTYPE *loc,
    struct plist *vals, struct pcmp **out)
{
	static const char *const opname[] = {
		[PO_LT] = "<", [PO_LE] = "<=", [PO_GT] = ">", [PO_GE] = ">="
	};
	struct pcmp	*c;
	POL_YYLTYPE		 vloc;

	if (op == PO_LT || op == PO_LE || op == PO_GT || op == PO_GE) {
		if (!pol_dec_valid(vals->v[0].s, strlen(vals->v[0].s))) {
			vloc.first_line = vals->v[0].line;
			vloc.first_column = vals->v[0].col;
			pol_error_at(cx, &vloc, "expected a decimal after %s",
			    opname[op]);
			pol_plist_free(vals);
			return CV_ERR_INVALID;
		}
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		pol_plist_free(vals);
		return CV_ERR_NOMEM;
	}
	c->op = op;
	c->vals = vals;
	c->line = loc->first_line;
	c->col = loc->first_column;
	*out = c;
	return 0;
}

int
pol_cmp_one(struct pctx *cx, enum pol_op op, const POL_YYLTYPE *loc, char *v,
    const POL_YYLTYPE *vloc, struct pcmp **out)
{
	struct plist	*l;

	if ((l = pol_plist_one(cx, v, vloc)) == NULL)
		return CV_ERR_NOMEM;
	return pol_cmp_new(cx, op, loc, l, out);
}

/* Checks of single values. */

int
pol_name_ok(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return i >= 1 && i <= LABEL_MAX;
}

/* A whole number in 0..max, decimal digits only. */
int
pol_uint_parse(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return 0;
	*out = v;
	return 1;
}

int
pol_uint_digits(const char *s)
{
	size_t	i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	return i > 0 && s[i] == '\0';
}


int
pol_approver_find(const struct policy *pol, const char *name)
{
	size_t	i;

	for (i = 0; i < pol->napprovers; i++)
		if (strcmp(pol->approvers[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Statements. */

/*
 * A line other than a rule: its id for policy_diff (the canonical form is
 * policy_parse.c's), refused when it is set already.
 */
static int
setting_add(struct pctx *cx, const POL_YYLTYPE *loc, const char *id,
    const char *what)
{
	struct policy		*pol = cx->pol;
	struct pol_setting	*s;
	size_t			 i;

	for (i = 0; i < pol->nsettings; i++) {
		if (strcmp(pol->settings[i].id, id) == 0) {
			pol_error_at(cx, loc, "%s is already set (line %d)",
			    what, pol->settings[i].line);
			return CV_ERR_INVALID;
		}
	}
	if ((s = reallocarray(pol->settings, pol->nsettings + 1,
	    sizeof(*s))) == NULL)
		return CV_ERR_NOMEM;
	pol->settings = s;
	s = &pol->settings[pol->nsettings++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->line = loc->first_line;
	return 0;
}

int
pol_macro_define(struct pctx *cx, char *name, const POL_YYLTYPE *loc,
    struct plist *val)
{
	struct pmacro	*m;
	size_t		 at;
	int		 r = CV_ERR_INVALID;

	for (at = 0; pol_macro_char((unsigned char)name[at]); at++)
		;
	if (name[at] != '\0' || at > MACRO_NAME_MAX ||
	    (name[0] >= '0' && name[0] <= '9')) {
		pol_error_at(cx, loc, "bad macro name (a letter or _, then "
		    "letters, digits and _, at most %d)", MACRO_NAME_MAX);
		goto out;
	}
	if (pol_macro_find(cx, name, strlen(name), &at)) {
		pol_error_at(cx, loc, "this macro is already defined (line %d)",
		    cx->macros[at].line);
		goto out;
	}
	if (cx->nmacros == MACROS_MAX) {
		pol_error_at(cx, loc, "too many macros (more than %d)",
		    MACROS_MAX);
		goto out;
	}
	r = CV_ERR_NOMEM;
	if ((m = reallocarray(cx->macros, cx->nmacros + 1,
	    sizeof(*m))) == NULL)
		goto out;
	cx->macros = m;
	memmove(&m[at + 1], &m[at], (cx->nmacros - at) * sizeof(*m));
	m[at].name = name;
	m[at].val = val;
	m[at].line = loc->first_line;
	cx->nmacros++;
	name = NULL;
	val = NULL;
	r = 0;
 out:
	free(name);
	pol_plist_free(val);
	return r;
}

int
pol_approver_add(struct pctx *cx, char *name, const POL_YYLTYPE *nloc,
    char *key, const POL_YYLTYPE *kloc)
{
	struct policy		*pol = cx->pol;
	struct pol_approver	*a;
	uint8_t			 pk[POLICY_PK_LEN];
	char			 id[48];
	size_t			 i;
	int			 r = CV_ERR_INVALID, hi, lo, dup;

	if (!pol_name_ok(name)) {
		pol_error_at(cx, nloc, "bad approver name (letters, digits "
		    "and ._-, at most %d)", LABEL_MAX);
		goto out;
	}
	if ((dup = pol_approver_find(pol, name)) >= 0) {
		pol_error_at(cx, nloc, "this approver is already declared "
		    "(line %d)", pol->approvers[dup].line);
		goto out;
	}
	if (pol->napprovers == POLICY_MAX_APPROVERS) {
		pol_error_at(cx, nloc, "too many approvers (more than %d)",
		    POLICY_MAX_APPROVERS);
		goto out;
	}
	if (strlen(key) != 2 * POLICY_PK_LEN) {
		pol_error_at(cx, kloc, "bad public key: 64 hex digits "
		    "needed");
		goto out;
	}
	for (i = 0; i < POLICY_PK_LEN; i++) {
		hi = (unsigned char)key[2 * i];
		lo = (unsigned char)key[2 * i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' :
		    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 :
		    hi >= 'A' && hi <= 'F' ? hi - 'A' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' :
		    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 :
		    lo >= 'A' && lo <= 'F' ? lo - 'A' + 10 : -1;
		if (hi < 0 || lo < 0) {
			pol_error_at(cx, kloc, "bad public key: 64 hex "
			    "digits needed");
			goto out;
		}
		pk[i] = (uint8_t)(hi << 4 | lo);
	}
	if (!crypto_core_ed25519_is_valid_point(pk)) {
		pol_error_at(cx, kloc, "the public key is not a valid "
		    "Ed25519 key");
		goto out;
	}
	for (i = 0; i < pol->napprovers; i++) {
		if (memcmp(pol->approvers[i].pk, pk, sizeof(pk)) == 0) {
			pol_error_at(cx, kloc, "the public key is also the "
			    "key of the approver on line %d",
			    pol->approvers[i].line);
			goto out;
		}
	}
	snprintf(id, sizeof(id), "approver:%s", name);
	if ((r = setting_add(cx, nloc, id, id)) != 0)
		goto out;
	r = CV_ERR_NOMEM;
	if ((a = reallocarray(pol->approvers, pol->napprovers + 1,
	    sizeof(*a))) == NULL)
		goto out;
	pol->approvers = a;
	a = &pol->approvers[pol->napprovers++];
	memset(a, 0, sizeof(*a));
	a->name = name;
	memcpy(a->pk, pk, sizeof(pk));
	a->line = nloc->first_line;
	a->col = nloc->first_column;
	name = NULL;
	r = 0;
 out:
	free(name);
	free(key);
	return r;
}

int
pol_set_seconds(struct pctx *cx, const POL_YYLTYPE *loc, const char *what,
    char *v, const POL_YYLTYPE *vloc)
{
	uint64_t	s;
	int		r = CV_ERR_INVALID;

	if (!pol_uint_parse(v, SECONDS_MAX, &s) || s == 0) {
		pol_error_at(cx, vloc, "%s must be from 1 to %d seconds", what,
		    SECONDS_MAX);
		goto out;
	}
	if (strcmp(what, "skew") == 0) {
		if ((r = setting_add(cx, loc, "ceiling:skew", what)) != 0)
			goto out;
		cx->pol->skew_s = (int64_t)s;
	} else {
		if ((r = setting_add(cx, loc, what, what)) != 0)
			goto out;
		cx->pol->approval_timeout_s = (int64_t)s;
	}
	r = 0;
 out:
	free(v);
	return r;
}

static const char *
op_name(enum pol_op op)
{
	switch (op) {
	case PO_EQ:
		return "=";
	case PO_NE:
		return "!=";
	case PO_IN:
		return "in";
	case PO_PREFIX:
		return "prefix";
	case PO_LT:
		return "<";
	case PO_LE:
		return "<=";
	case PO_GT:
		return ">";
	case PO_GE:
		return ">=";
	}
	return "?";
}

/* The values of a comparison with the L1 nonce: unsigned integers. */
int
pol_nonce_vals(struct pctx *cx, const char *what, int ceiling,
    const struct pcmp *c)
{
	POL_YYLTYPE		loc;
	uint64_t	v;
	size_t		i;

	loc.first_line = c->line;
	loc.first_column = c->col;
	if (c->op == PO_PREFIX || (c->op == PO_NE && ceiling)) {
		pol_error_at(cx, &loc, "%s cannot use %s", what,
		    op_name(c->op));
		return CV_ERR_INVALID;
	}
	for (i = 0; i < c->vals->n; i++) {
		if (!pol_uint_parse(c->vals->v[i].s, UINT64_MAX, &v)) {
			loc.first_line = c->vals->v[i].line;
			loc.first_column = c->vals->v[i].col;
			pol_error_at(cx, &loc, "%s needs an unsigned integer",
			    what);
			return CV_ERR_INVALID;
		}
	}
	return 0;
}

int
pol_set_nonce(struct pctx *cx, const POL_YYLTYPE *loc, struct pcmp *c)
{
	struct policy	*pol = cx->pol;
	int		 r;

	if ((r = pol_nonce_vals(cx, "l1-nonce", 1, c)) != 0)
		goto out;
	if ((r = setting_add(cx, loc, "ceiling:l1-nonce", "l1-nonce")) != 0)
		goto out;
	pol->have_nonce_ceiling = 1;
	pol->nonce_op = c->op;
	r = pol_plist_take(c->vals, &pol->nonce_vals);
	c->vals = NULL;
 out:
	pol_pcmp_free(c);
	return r;
}

int
pol_set_perms(struct pctx *cx, const POL_YYLTYPE *loc, struct plist *l)
{
	struct policy	*pol = cx->pol;
	int		 r;

	if ((r = setting_add(cx, loc, "ceiling:key-permissions",
	    "key-permissions")) != 0) {
		pol_plist_free(l);
		return r;
	}
	pol->have_perm_ceiling = 1;
	return pol_plist_take(l, &pol->perm_ceiling);
}

static int
refs_add(struct pctx *cx, const struct pval *v)
{
	struct pref	*p;
	size_t		 cap;

	if (cx->nrefs == cx->refs_cap) {
		cap = cx->refs_cap ? cx->refs_cap * 2 : 16;
		if ((p = reallocarray(cx->refs, cap, sizeof(*p))) == NULL)
			return CV_ERR_NOMEM;
		cx->refs = p;
		cx->refs_cap = cap;
	}
	if ((cx->refs[cx->nrefs].name = strdup(v->s)) == NULL)
		return CV_ERR_NOMEM;
	cx->refs[cx->nrefs].line = v->line;
	cx->refs[cx->nrefs].col = v->col;
	cx->nrefs++;
	return 0;
}

/* A statement ended: keep the approvers it named, or drop them. */
void
pol_refs_end(struct pctx *cx, int keep)
{
	if (keep) {
		cx->refs_done = cx->nrefs;
		return;
	}
	while (cx->nrefs > cx->refs_done)
		free(cx->refs[--cx->nrefs].name);
}

/* "approve K of LIST": K from 1 to the number of distinct approvers. */
int
pol_approve_k(struct pctx *cx, char *k, const POL_YYLTYPE *kloc,
    struct plist *l, unsigned *kout, struct pol_list *out)
{
	POL_YYLTYPE		loc;
	uint64_t	v;
	size_t		i, j;
	int		r = CV_ERR_INVALID;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(l->v[i].s, l->v[j].s) == 0) {
				loc.first_line = l->v[i].line;
				loc.first_column = l->v[i].col;
				pol_error_at(cx, &loc, "this approver is "
				    "listed already (column %d)",
				    l->v[j].col);
				goto out;
			}
		}
	}
	if (!pol_uint_digits(k)) {
		pol_error_at(cx, kloc, "k must be a whole number");
		goto out;
	}
	if (!pol_uint_parse(k, POLICY_MAX_APPROVERS, &v))
		v = POLICY_MAX_APPROVERS + 1;	/* more than any list */
	if (v == 0) {
		pol_error_at(cx, kloc, "k must be at least 1");
		goto out;
	}
	if (v > l->n) {
		pol_error_at(cx, kloc, "k is more than the number of "
		    "approvers listed (%zu)", l->n);
		goto out;
	}
	for (i = 0; i < l->n; i++)
		if ((r = refs_add(cx, &l->v[i])) != 0)
			goto out;
	*kout = (unsigned)v;
	r = pol_plist_take(l, out);
	l = NULL;
 out:
	free(k);
	pol_plist_free(l);
	return r;
}

int
pol_set_change(struct pctx *cx, const POL_YYLTYPE *loc, char *k,
    const POL_YYLTYPE *kloc, struct plist *l)
{
	struct policy	*pol = cx->pol;
	int		 r;

	if ((r = setting_add(cx, loc, "policy-change", "policy-change")) != 0) {
		free(k);
		pol_plist_free(l);
		return r;
	}
	return pol_approve_k(cx, k, kloc, l, &pol->change_k,
	    &pol->change_approvers);
}
