/*
 * What the actions of parse.y call for rules: the rule itself, who it is
 * for, its predicates, its budgets and its label.  Each is checked as it
 * is built; a rule that fails is freed whole.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/order.h"
#include "common/profile.h"
#include "policy/policy_parse.h"

static const char *const levels[POLICY_L_COUNT] = {
	"none", "l1", "l2", "builder", "bearer"
};

static const struct {
	const char	*unit;
	uint64_t	 seconds;
} units[] = {
	{ "s", 1 }, { "min", 60 }, { "hour", 3600 }, { "day", 86400 },
};

/* Checks of single values. */

static const char *
path_bad(const char *p)
{
	const char	*seg, *end;
	size_t		 i;

	if (p[0] != '/')
		return "it must start with /";
	/* what could never match a canonical path (policy_eval.c) */
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == '?' || p[i] == '#')
			return "no ? or # in a path";
		if (p[i] == '%' || p[i] == ';' || p[i] == '\\')
			return "no %, ; or \\ in a path (requests with them "
			    "are refused)";
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return "only printable ASCII in a path";
	}
	for (seg = p + 1; ; seg = end + 1) {
		if ((end = strchr(seg, '/')) == NULL)
			end = seg + strlen(seg);
		if (end == seg && (*end == '/' || seg != p + 1))
			return "empty segment (or a trailing /)";
		if ((end - seg == 1 && seg[0] == '.') ||
		    (end - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return "no . or .. segment";
		if (memchr(seg, '*', (size_t)(end - seg)) != NULL &&
		    end - seg != 1)
			return "* must be a whole segment";
		if (*end == '\0')
			break;
	}
	return NULL;
}

static int
pointer_ok(const char *p)
{
	size_t	i;

	if (p[0] != '/')
		return 0;
	for (i = 0; p[i] != '\0'; i++)
		if (p[i] == '~' && p[i + 1] != '0' && p[i + 1] != '1')
			return 0;
	return 1;
}

static int
method_ok(const char *m)
{
	size_t	i;

	for (i = 0; m[i] != '\0'; i++)
		if (m[i] < 'A' || m[i] > 'Z')
			return 0;
	return i >= 1 && i <= 7;
}

static int
level_find(const char *s)
{
	int	i;

	for (i = 0; i < POLICY_L_COUNT; i++)
		if (strcmp(levels[i], s) == 0)
			return i;
	return -1;
}

/* Rules. */

void
pol_pred_free(struct pol_pred *p)
{
	pol_pred_clear(p);
	free(p);
}

void
pol_budget_free(struct pol_budget *b)
{
	if (b == NULL)
		return;
	free(b->field);
	free(b);
}

void
pol_rule_free(struct pol_rule *r)
{
	pol_rule_clear(r);
	free(r);
}

int
pol_rule_new(struct pctx *cx, enum policy_effect effect, const POL_YYLTYPE *loc,
    struct pol_rule **out)
{
	struct pol_rule	*r;

	(void)cx;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return CV_ERR_NOMEM;
	r->effect = effect;
	r->line = loc->first_line;
	r->col = loc->first_column;
	*out = r;
	return 0;
}

int
pol_rule_approve(struct pctx *cx, const POL_YYLTYPE *loc, char *k,
    const POL_YYLTYPE *kloc, struct plist *l, struct pol_rule **out)
{
	struct pol_rule	*r;
	int		 rv;

	if ((rv = pol_rule_new(cx, POLICY_APPROVE, loc, &r)) != 0) {
		free(k);
		pol_plist_free(l);
		return rv;
	}
	if ((rv = pol_approve_k(cx, k, kloc, l, &r->k, &r->approvers)) != 0) {
		pol_rule_free(r);
		return rv;
	}
	*out = r;
	return 0;
}

int
pol_rule_who(struct pctx *cx, struct pol_rule *r, enum pol_who who,
    struct plist *l)
{
	POL_YYLTYPE		 loc;
	uint64_t	 uid;
	char		 buf[16], *s;
	size_t		 i;
	int		 rv = CV_ERR_INVALID;

	r->who = who;
	if (l == NULL)
		return 0;
	for (i = 0; who == PW_OPERATOR && i < l->n; i++) {
		if (!pol_uint_parse(l->v[i].s, UINT32_MAX, &uid)) {
			loc.first_line = l->v[i].line;
			loc.first_column = l->v[i].col;
			pol_error_at(cx, &loc, "bad uid (a whole number "
			    "from 0 to %u)", UINT32_MAX);
			rv = CV_ERR_INVALID;
			goto fail;
		}
		/* one spelling of each uid: "007" is "7" */
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)uid);
		if (strcmp(buf, l->v[i].s) != 0) {
			rv = CV_ERR_NOMEM;
			if ((s = strdup(buf)) == NULL)
				goto fail;
			free(l->v[i].s);
			l->v[i].s = s;
		}
	}
	if ((rv = pol_plist_take(l, &r->names)) != 0) {
		pol_rule_free(r);
		return rv;
	}
	return 0;
 fail:
	pol_plist_free(l);
	pol_rule_free(r);
	return rv;
}

int
pol_rule_pred(struct pctx *cx, struct pol_rule *r, struct pol_pred *p)
{
	struct pol_pred	*v;
	POL_YYLTYPE		 loc;
	int		 rv = CV_ERR_INVALID;

	if (r->npreds == PREDS_MAX) {
		loc.first_line = p->line;
		loc.first_column = p->col;
		pol_error_at(cx, &loc, "too many predicates (more than %d)",
		    PREDS_MAX);
		goto fail;
	}
	rv = CV_ERR_NOMEM;
	if ((v = reallocarray(r->preds, r->npreds + 1, sizeof(*v))) == NULL)
		goto fail;
	r->preds = v;
	r->preds[r->npreds++] = *p;
	free(p);
	return 0;
 fail:
	pol_pred_free(p);
	pol_rule_free(r);
	return rv;
}

/* The kind whose field f is summable, and whether f is known at all. */
static const struct pol_kind *
sum_kind(const char *f, int *known)
{
	static const char *const kinds[] = { "order", "key" };
	const struct pol_kind	*k;
	size_t			 i, j;

	*known = 0;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((k = pol_kind_find(kinds[i])) == NULL)
			continue;
		for (j = 0; k->fields[j] != NULL; j++)
			if (strcmp(k->fields[j], f) == 0)
				*known = 1;
		for (j = 0; k->sums[j] != NULL; j++)
			if (strcmp(k->sums[j], f) == 0)
				return k;
	}
	return NULL;
}

int
pol_rule_budget(struct pctx *cx, struct pol_rule *r, struct pol_budget *b)
{
	const struct pol_kind	*k;
	struct pol_budget	*v;
	POL_YYLTYPE			 loc;
	size_t			 i;
	int			 rv = CV_ERR_INVALID, known, have = 0;

	loc.first_line = b->line;
	loc.first_column = b->col;
	if (r->effect == POLICY_DENY) {
		pol_error_at(cx, &loc, "a deny rule has no budgets");
		goto fail;
	}
	if (r->nbudgets == POLICY_RESV_MAX) {
		pol_error_at(cx, &loc, "too many budgets (more than %d)",
		    POLICY_RESV_MAX);
		goto fail;
	}
	if (b->kind == PB_SUM && (k = sum_kind(b->field, &known)) != NULL) {
		for (i = 0; i < r->npreds; i++)
			if (r->preds[i].kind == PP_FIELD &&
			    strcmp(r->preds[i].kind_name, k->name) == 0)
				have = 1;
		if (!have) {
			pol_error_at(cx, &loc, "limit %s needs a predicate on "
			    "%s in the rule", b->field, k->name);
			goto fail;
		}
	}
	rv = CV_ERR_NOMEM;
	if ((v = reallocarray(r->budgets, r->nbudgets + 1,
	    sizeof(*v))) == NULL)
		goto fail;
	r->budgets = v;
	r->budgets[r->nbudgets++] = *b;
	free(b);
	return 0;
 fail:
	pol_budget_free(b);
	pol_rule_free(r);
	return rv;
}

int
pol_rule_finish(struct pctx *cx, struct pol_rule *r, char *label,
    const POL_YYLTYPE *lloc)
{
	struct policy	*pol = cx->pol;
	struct pol_rule	*v;
	POL_YYLTYPE		 loc;
	size_t		 i;
	int		 rv = CV_ERR_INVALID;

	if (label != NULL) {
		if (!pol_name_ok(label)) {
			pol_error_at(cx, lloc, "bad label (letters, digits "
			    "and ._-, at most %d)", LABEL_MAX);
			goto out;
		}
		/* the ids of verdicts no rule decides (policy_eval.c) */
		if (strcmp(label, "none") == 0 || strcmp(label, "path") == 0) {
			pol_error_at(cx, lloc, "this label is reserved (none "
			    "and path are)");
			goto out;
		}
		for (i = 0; i < pol->nrules; i++) {
			if (pol->rules[i].label != NULL &&
			    strcmp(pol->rules[i].label, label) == 0) {
				pol_error_at(cx, lloc, "this label is already "
				    "used (line %d)", pol->rules[i].line);
				goto out;
			}
		}
	}
	if (pol->nrules == POLICY_MAX_RULES) {
		loc.first_line = r->line;
		loc.first_column = r->col;
		pol_error_at(cx, &loc, "too many rules (more than %d)",
		    POLICY_MAX_RULES);
		goto out;
	}
	rv = CV_ERR_NOMEM;
	if ((v = reallocarray(pol->rules, pol->nrules + 1,
	    sizeof(*v))) == NULL)
		goto out;
	pol->rules = v;
	r->label = label;
	label = NULL;
	pol->rules[pol->nrules++] = *r;
	free(r);
	r = NULL;
	rv = 0;
 out:
	free(label);
	pol_rule_free(r);
	return rv;
}

/* Predicates. */

int
pol_pred_list(struct pctx *cx, enum pol_pred_kind kind, const POL_YYLTYPE *loc,
    struct plist *l, struct pol_pred **out)
{
	struct pol_pred	*p = NULL;
	const char	*why, *s;
	POL_YYLTYPE		 vloc;
	size_t		 i;
	int		 r = CV_ERR_INVALID, lv;

	for (i = 0; l != NULL && i < l->n; i++) {
		s = l->v[i].s;
		vloc.first_line = l->v[i].line;
		vloc.first_column = l->v[i].col;
		if (kind == PP_PROFILE && profile_find(s) == NULL) {
			pol_error_at(cx, &vloc, "unknown profile (openfish, "
			    "polymarket or omnia)");
			goto out;
		}
		if (kind == PP_LEVEL && level_find(s) < 0) {
			pol_error_at(cx, &vloc, "unknown level (none, l1, "
			    "l2, builder or bearer)");
			goto out;
		}
		if (kind == PP_METHOD && !method_ok(s)) {
			pol_error_at(cx, &vloc, "bad method (1 to 7 capital "
			    "letters)");
			goto out;
		}
		if (kind == PP_PATH && (why = path_bad(s)) != NULL) {
			pol_error_at(cx, &vloc, "bad path pattern: %s", why);
			goto out;
		}
	}
	r = CV_ERR_NOMEM;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	p->kind = kind;
	p->line = loc->first_line;
	p->col = loc->first_column;
	if (kind == PP_LEVEL) {
		for (i = 0; i < l->n; i++) {
			lv = level_find(l->v[i].s);
			p->levels |= 1U << lv;
		}
		pol_plist_free(l);
		l = NULL;
	} else if (l != NULL) {
		r = pol_plist_take(l, &p->list);
		l = NULL;
		if (r != 0)
			goto out;
	}
	*out = p;
	p = NULL;
	r = 0;
 out:
	pol_plist_free(l);
	pol_pred_free(p);
	return r;
}

/*
 * An order's taker and builder are shown to rules in lowercase hex
 * (order_view), and compared byte for byte: a value in EIP-55 mixed case
 * (or upper case) would never match, and a deny on it never deny.  Such
 * a value is refused, its lowercase form named.
 */
static int
hex_vals(struct pctx *cx, const char *name, const struct pcmp *c)
{
	POL_YYLTYPE	 loc;
	const char	*s;
	size_t		 i, k;

	for (i = 0; i < c->vals->n; i++) {
		s = c->vals->v[i].s;
		for (k = 0; s[k] != '\0'; k++)
			if (s[k] >= 'A' && s[k] <= 'Z')
				break;
		if (s[k] == '\0')
			continue;
		loc.first_line = c->vals->v[i].line;
		loc.first_column = c->vals->v[i].col;
		pol_error_at(cx, &loc, "order %s is compared in lowercase "
		    "hex: this value has a capital letter", name);
		return CV_ERR_INVALID;
	}
	return 0;
}

/*
 * An order's type and flags are shown to rules as one of a few words
 * (order_view_flags), compared byte for byte: a value outside them
 * ("gtc") would never match, and a deny on it never deny.  Such a value,
 * or a comparison other than =, != and in, is refused.
 */
static int
word_vals(struct pctx *cx, const char *name, const struct pcmp *c)
{
	static const char *const flags[] = { "true", "false", NULL };
	const char *const	*w = strcmp(name, "type") == 0 ? order_types :
				    flags;
	POL_YYLTYPE		 loc;
	size_t			 i, k;

	if (c->op != PO_EQ && c->op != PO_NE && c->op != PO_IN) {
		loc.first_line = c->line;
		loc.first_column = c->col;
		pol_error_at(cx, &loc, "order %s takes =, != or in", name);
		return CV_ERR_INVALID;
	}
	for (i = 0; i < c->vals->n; i++) {
		for (k = 0; w[k] != NULL; k++)
			if (strcmp(c->vals->v[i].s, w[k]) == 0)
				break;
		if (w[k] != NULL)
			continue;
		loc.first_line = c->vals->v[i].line;
		loc.first_column = c->vals->v[i].col;
		pol_error_at(cx, &loc, "order %s is %s", name,
		    w == order_types ? "GTC, GTD, FOK or FAK" :
		    "true or false");
		return CV_ERR_INVALID;
	}
	return 0;
}

/*
 * An order's side is shown to rules as BUY or SELL, and its amounts,
 * price, token, expiration, fee rate and signature type as decimals in
 * their canonical form (order_view): a side in lower case ("buy") or an
 * amount that is no decimal (".5", "1e3", "0x1f") would never match, and
 * a deny on it never deny.  Such a value is refused, and so is an order
 * of the side (a word, not a number).  A prefix must be one that such a
 * value can start with.
 */
static int
order_vals(struct pctx *cx, const char *name, const struct pcmp *c)
{
	static const char *const sides[] = { "BUY", "SELL", NULL };
	POL_YYLTYPE	 loc;
	const char	*s;
	size_t		 i, k, n;
	int		 side = strcmp(name, "side") == 0, ok;

	loc.first_line = c->line;
	loc.first_column = c->col;
	if (side && c->op != PO_EQ && c->op != PO_NE && c->op != PO_IN &&
	    c->op != PO_PREFIX) {
		pol_error_at(cx, &loc, "order side takes =, !=, in or prefix");
		return CV_ERR_INVALID;
	}
	for (i = 0; i < c->vals->n; i++) {
		s = c->vals->v[i].s;
		n = strlen(s);
		ok = 0;
		if (side)
			for (k = 0; sides[k] != NULL && !ok; k++)
				ok = c->op == PO_PREFIX ? n > 0 &&
				    strncmp(sides[k], s, n) == 0 :
				    strcmp(sides[k], s) == 0;
		else if (c->op == PO_PREFIX)
			ok = n > 0 && strspn(s, "0123456789.") == n &&
			    s[0] != '.';
		else
			ok = pol_dec_valid(s, n);
		if (ok)
			continue;
		loc.first_line = c->vals->v[i].line;
		loc.first_column = c->vals->v[i].col;
		if (side)
			pol_error_at(cx, &loc, "order side is BUY or SELL%s",
			    c->op == PO_PREFIX ? " (or a start of one)" : "");
		else
			pol_error_at(cx, &loc, "order %s is a decimal%s", name,
			    c->op == PO_PREFIX ? " (a prefix: digits and "
			    "points, not first a point)" : "");
		return CV_ERR_INVALID;
	}
	return 0;
}

/*
 * A key's permissions are shown to rules as the request names them,
 * which is only ever in [a-z0-9:._-] (netcall_perms_split): a value with
 * another byte ("Withdraw") would never match, and a deny on it never
 * deny.  Such a value is refused.
 */
static int
perm_vals(struct pctx *cx, const struct pcmp *c)
{
	POL_YYLTYPE	 loc;
	const char	*s;
	size_t		 i;

	for (i = 0; i < c->vals->n; i++) {
		s = c->vals->v[i].s;
		if (s[0] != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "0123456789:._-") == strlen(s))
			continue;
		loc.first_line = c->vals->v[i].line;
		loc.first_column = c->vals->v[i].col;
		pol_error_at(cx, &loc, "key permissions are lower-case letters, "
		    "digits and :._-");
		return CV_ERR_INVALID;
	}
	return 0;
}

int
pol_pred_cmp(struct pctx *cx, enum pol_pred_kind kind, const POL_YYLTYPE *loc,
    char *kname, char *name, const POL_YYLTYPE *nloc, struct pcmp *c,
    struct pol_pred **out)
{
	const struct pol_kind	*k;
	struct pol_pred		*p = NULL;
	size_t			 i;
	int			 r = CV_ERR_INVALID, found = 0;

	if (kind == PP_FIELD) {
		if ((k = pol_kind_find(kname)) == NULL) {
			pol_error_at(cx, loc, "unknown request kind (order "
			    "or key)");
			goto out;
		}
		for (i = 0; k->fields[i] != NULL; i++)
			found |= strcmp(k->fields[i], name) == 0;
		if (!found) {
			pol_error_at(cx, nloc, "%s has no such field", k->name);
			goto out;
		}
		if (strcmp(kname, "order") == 0 &&
		    (strcmp(name, "taker") == 0 ||
		    strcmp(name, "builder") == 0) &&
		    hex_vals(cx, name, c) != 0)
			goto out;
		if (strcmp(kname, "order") == 0 &&
		    (strcmp(name, "type") == 0 ||
		    strcmp(name, "post_only") == 0 ||
		    strcmp(name, "defer_exec") == 0) &&
		    word_vals(cx, name, c) != 0)
			goto out;
		if (strcmp(kname, "order") == 0 &&
		    (strcmp(name, "side") == 0 || strcmp(name, "token") == 0 ||
		    strcmp(name, "price") == 0 || strcmp(name, "size") == 0 ||
		    strcmp(name, "notional") == 0 ||
		    strcmp(name, "expiration") == 0 ||
		    strcmp(name, "fee_rate") == 0 ||
		    strcmp(name, "signature_type") == 0) &&
		    order_vals(cx, name, c) != 0)
			goto out;
		if (strcmp(kname, "key") == 0 &&
		    strcmp(name, "permissions") == 0 && perm_vals(cx, c) != 0)
			goto out;
	}
	if (kind == PP_QUERY && name[0] == '\0') {
		pol_error_at(cx, nloc, "empty query parameter name");
		goto out;
	}
	if (kind == PP_BODY && !pointer_ok(name)) {
		pol_error_at(cx, nloc, "bad JSON pointer (it starts with /; "
		    "~ is ~0 or ~1)");
		goto out;
	}
	if (kind == PP_NONCE && (r = pol_nonce_vals(cx, "nonce", 0, c)) != 0)
		goto out;
	r = CV_ERR_NOMEM;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	p->kind = kind;
	p->line = loc->first_line;
	p->col = loc->first_column;
	p->kind_name = kname;
	p->name = name;
	kname = name = NULL;
	p->op = c->op;
	r = pol_plist_take(c->vals, &p->vals);
	c->vals = NULL;
	if (r != 0)
		goto out;
	*out = p;
	p = NULL;
 out:
	free(kname);
	free(name);
	pol_pcmp_free(c);
	pol_pred_free(p);
	return r;
}

/* Budgets. */

int
pol_budget_new(struct pctx *cx, enum pol_budget_kind kind,
    const POL_YYLTYPE *loc, char *field, const POL_YYLTYPE *floc, char *n,
    const POL_YYLTYPE *nloc, char *burst, const POL_YYLTYPE *bloc,
    unsigned per, struct pol_budget **out)
{
	struct pol_budget	*b = NULL;
	uint64_t		 amount, window = 0, bv = 0;
	size_t			 i;
	char			*slash;
	int			 r = CV_ERR_INVALID, dr, known;

	if (kind == PB_SUM && sum_kind(field, &known) == NULL) {
		if (known)
			pol_error_at(cx, floc, "this field cannot be summed "
			    "(notional or size can)");
		else
			pol_error_at(cx, floc, "unknown field (notional or "
			    "size can be summed)");
		goto out;
	}
	if ((slash = strchr(n, '/')) == NULL || slash == n ||
	    slash[1] == '\0') {
		pol_error_at(cx, nloc, "bad budget: N/UNIT needed");
		goto out;
	}
	*slash = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].unit, slash + 1) == 0)
			window = units[i].seconds;
	if (window == 0) {
		pol_error_at(cx, nloc, "bad budget unit (s, min, hour or "
		    "day)");
		goto out;
	}
	if (kind == PB_SUM) {
		if ((dr = pol_dec_units(n, strlen(n), &amount)) != 0) {
			if (dr == CV_ERR_TOOLONG)
				pol_error_at(cx, nloc, "this budget is too "
				    "large");
			else
				pol_error_at(cx, nloc, "bad budget: a decimal "
				    "needed before the /");
			goto out;
		}
	} else if (!pol_uint_parse(n, UINT32_MAX, &amount)) {
		if (pol_uint_digits(n))
			pol_error_at(cx, nloc, "this budget is too large");
		else
			pol_error_at(cx, nloc, "bad budget: a whole number "
			    "needed before the /");
		goto out;
	}
	if (amount == 0) {
		pol_error_at(cx, nloc, "this budget is zero");
		goto out;
	}
	if (burst != NULL && (!pol_uint_parse(burst, UINT32_MAX, &bv) ||
	    bv == 0)) {
		pol_error_at(cx, bloc, "burst must be a whole number from 1");
		goto out;
	}
	r = CV_ERR_NOMEM;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->kind = kind;
	b->line = loc->first_line;
	b->col = loc->first_column;
	b->field = field;
	field = NULL;
	b->amount = amount;
	b->window_s = window;
	b->burst = burst != NULL ? bv : amount;
	b->per = per;
	*out = b;
	r = 0;
 out:
	free(field);
	free(n);
	free(burst);
	return r;
}
