/*
 * policy_parse: the grammar (parse.y), then what needs the whole file:
 * every rule's canonical form and id, no two rules alike, the digest,
 * and the engine's index.  Also the tree's free functions, policy_diff
 * and the kind table the grammar checks fields against.
 *
 * The canonical form is what makes two spellings of a rule one rule:
 * macros expanded, predicates in the order of enum pol_pred_kind (then
 * by name, then by their text), lists sorted and without repeats, whole
 * numbers without leading zeros, values quoted only when they must be.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/policy_int.h"

static const char default_text[] =
    "# clobvault default policy: what the endpoint catalog admits, for the\n"
    "# operator; nothing for anyone else.\n"
    "allow operator catalog label default\n";

static const struct pol_kind kinds[] = {
	{ "order", { "side", "token", "price", "size", "notional",
	    "expiration", "fee_rate", "taker", "signature_type", "builder",
	    "type", "post_only", "defer_exec", NULL },
	    { "notional", "size", NULL }, { NULL },
	    { "price", "notional", "size" } },
	{ "key", { "permissions", NULL }, { NULL }, { "permissions", NULL },
	    { NULL } },
};

static const char *const level_names[POLICY_L_COUNT] = {
	"none", "l1", "l2", "builder", "bearer"
};

const struct pol_kind *
pol_kind_find(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return &kinds[i];
	return NULL;
}

const char *
policy_default_text(void)
{
	return default_text;
}

void
policy_digest(const char *text, size_t len, uint8_t out[POLICY_DIGEST_LEN])
{
	crypto_hash_sha256(out, (const unsigned char *)(len ? text : ""),
	    len);
}

void
pol_error(struct policy_errors *errs, int line, int col, const char *fmt,
    ...)
{
	va_list	ap;

	if (errs->n == POLICY_MAX_ERRORS) {
		errs->more = 1;
		return;
	}
	errs->e[errs->n].line = line;
	errs->e[errs->n].col = col;
	va_start(ap, fmt);
	vsnprintf(errs->e[errs->n].msg, sizeof(errs->e[errs->n].msg), fmt,
	    ap);
	va_end(ap);
	errs->n++;
}

/* Freeing. */

void
pol_list_clear(struct pol_list *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
pol_pred_clear(struct pol_pred *p)
{
	if (p == NULL)
		return;
	pol_list_clear(&p->list);
	pol_list_clear(&p->vals);
	free(p->kind_name);
	free(p->name);
	p->kind_name = p->name = NULL;
}

void
pol_rule_clear(struct pol_rule *r)
{
	size_t	i;

	if (r == NULL)
		return;
	pol_list_clear(&r->approvers);
	pol_list_clear(&r->names);
	for (i = 0; i < r->npreds; i++)
		pol_pred_clear(&r->preds[i]);
	free(r->preds);
	for (i = 0; i < r->nbudgets; i++)
		free(r->budgets[i].field);
	free(r->budgets);
	free(r->label);
	free(r->canon);
	r->preds = NULL;
	r->budgets = NULL;
	r->label = r->canon = NULL;
	r->npreds = r->nbudgets = 0;
}

void
policy_free(struct policy *pol)
{
	size_t	i;

	if (pol == NULL)
		return;
	policy_index_free(pol->index);
	policy_case_free(pol->fold);
	for (i = 0; i < pol->nrules; i++)
		pol_rule_clear(&pol->rules[i]);
	free(pol->rules);
	for (i = 0; i < pol->napprovers; i++) {
		free(pol->approvers[i].name);
		free(pol->approvers[i].canon);
	}
	free(pol->approvers);
	for (i = 0; i < pol->nsettings; i++)
		free(pol->settings[i].canon);
	free(pol->settings);
	pol_list_clear(&pol->nonce_vals);
	pol_list_clear(&pol->perm_ceiling);
	pol_list_clear(&pol->change_approvers);
	free(pol);
}

/* Canonical forms: a string builder that notes running out of memory. */

struct sb {
	char	*p;
	size_t	 n, cap;
	int	 nomem;
};

static void
sb_raw(struct sb *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->nomem)
		return;
	if (b->n + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 64; cap < b->n + n + 1; cap *= 2)
			;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->nomem = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* A fixed word, after a space unless it is the first. */
static void
sb_word(struct sb *b, const char *w)
{
	if (b->n > 0)
		sb_raw(b, " ", 1);
	sb_raw(b, w, strlen(w));
}

/* A value: bare when it lexes as a word, else quoted. */
static void
sb_val(struct sb *b, const char *v)
{
	size_t	i;

	if (pol_plain_word(v)) {
		sb_word(b, v);
		return;
	}
	sb_word(b, "\"");
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] == '"' || v[i] == '\\')
			sb_raw(b, "\\", 1);
		sb_raw(b, &v[i], 1);
	}
	sb_raw(b, "\"", 1);
}

/* One value bare, more as "{ a b }". */
static void
sb_list(struct sb *b, const struct pol_list *l)
{
	size_t	i;

	if (l->n == 1) {
		sb_val(b, l->v[0]);
		return;
	}
	sb_word(b, "{");
	for (i = 0; i < l->n; i++)
		sb_val(b, l->v[i]);
	sb_word(b, "}");
}

static void
sb_cmp(struct sb *b, enum pol_op op, const struct pol_list *vals)
{
	static const char *const ops[] = {
		[PO_EQ] = "=", [PO_NE] = "!=", [PO_IN] = "in",
		[PO_PREFIX] = "prefix", [PO_LT] = "<", [PO_LE] = "<=",
		[PO_GT] = ">", [PO_GE] = ">="
	};

	sb_word(b, ops[op]);
	if (op == PO_IN)
		sb_list(b, vals);
	else if (vals->n > 0)
		sb_val(b, vals->v[0]);
}

static void
sb_approve(struct sb *b, unsigned k, const struct pol_list *who)
{
	char	num[16];

	snprintf(num, sizeof(num), "%u", k);
	sb_word(b, "approve");
	sb_word(b, num);
	sb_word(b, "of");
	sb_list(b, who);
}

static void
sb_pred(struct sb *b, const struct pol_pred *p)
{
	static const char *const names[] = {
		[PP_ACCOUNT] = "account", [PP_PROFILE] = "profile",
		[PP_LEVEL] = "level", [PP_METHOD] = "method",
		[PP_PATH] = "path", [PP_QUERY] = "query", [PP_BODY] = "body",
		[PP_NONCE] = "nonce", [PP_CATALOG] = "catalog",
		[PP_FIELD] = NULL
	};
	unsigned	n = 0;
	int		i;

	if (p->kind == PP_FIELD) {
		sb_val(b, p->kind_name);
		sb_val(b, p->name);
		sb_cmp(b, p->op, &p->vals);
		return;
	}
	sb_word(b, names[p->kind]);
	switch (p->kind) {
	case PP_ACCOUNT:
	case PP_PROFILE:
	case PP_METHOD:
	case PP_PATH:
		sb_list(b, &p->list);
		break;
	case PP_LEVEL:
		/* in the order of enum policy_level */
		for (i = 0; i < POLICY_L_COUNT; i++)
			n += (p->levels >> i) & 1;
		if (n > 1)
			sb_word(b, "{");
		for (i = 0; i < POLICY_L_COUNT; i++)
			if (p->levels & (1U << i))
				sb_word(b, level_names[i]);
		if (n > 1)
			sb_word(b, "}");
		break;
	case PP_QUERY:
	case PP_BODY:
		sb_val(b, p->name);
		/* FALLTHROUGH */
	case PP_NONCE:
		sb_cmp(b, p->op, &p->vals);
		break;
	default:
		break;
	}
}

static void
sb_budget(struct sb *b, const struct pol_budget *bu)
{
	const char	*unit;
	char		 num[64];
	int		 i;

	unit = bu->window_s == 1 ? "s" : bu->window_s == 60 ? "min" :
	    bu->window_s == 3600 ? "hour" : "day";
	if (bu->kind == PB_RATE)
		sb_word(b, "rate");
	else
		sb_word(b, "limit");
	if (bu->kind == PB_SUM) {
		sb_val(b, bu->field);
		i = snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)(bu->amount / PB_SCALE));
		if (bu->amount % PB_SCALE != 0) {
			snprintf(num + i, sizeof(num) - (size_t)i, ".%06llu",
			    (unsigned long long)(bu->amount % PB_SCALE));
			for (i = (int)strlen(num); num[i - 1] == '0'; i--)
				num[i - 1] = '\0';
		}
	} else
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)bu->amount);
	snprintf(num + strlen(num), sizeof(num) - strlen(num), "/%s", unit);
	sb_word(b, num);
	if (bu->kind == PB_RATE && bu->burst != bu->amount) {
		snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)bu->burst);
		sb_word(b, "burst");
		sb_word(b, num);
	}
	if (bu->per != 0)
		sb_word(b, "per");
	if (bu->per & PB_PER_ACCOUNT)
		sb_word(b, "account");
	if (bu->per & PB_PER_CLIENT)
		sb_word(b, "client");
}

/* A part of a rule with its own canonical text, for sorting. */
struct part {
	size_t	 i;
	char	*text;
	int	 kind;
	const char *k1, *k2;
};

static int
part_cmp(const void *a, const void *b)
{
	const struct part	*x = a, *y = b;
	int			 c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->k1, y->k1)) != 0)
		return c;
	if ((c = strcmp(x->k2, y->k2)) != 0)
		return c;
	return strcmp(x->text, y->text);
}

/*
 * Put r's predicates and budgets in canonical order, without repeats,
 * then write its form and id.
 */
static int
rule_canon(struct pol_rule *r)
{
	struct part		*pt = NULL;
	struct pol_pred		*preds = NULL, *op;
	struct pol_budget	*budgets = NULL, *ob;
	struct sb		 b;
	uint8_t			 h[crypto_hash_sha256_BYTES];
	size_t			 i, npo = 0, nbo = 0;
	size_t			 np = r->npreds + r->nbudgets;
	int			 rv = CV_ERR_NOMEM;

	memset(&b, 0, sizeof(b));
	if ((pt = calloc(np ? np : 1, sizeof(*pt))) == NULL ||
	    (preds = calloc(r->npreds ? r->npreds : 1,
	    sizeof(*preds))) == NULL ||
	    (budgets = calloc(r->nbudgets ? r->nbudgets : 1,
	    sizeof(*budgets))) == NULL)
		goto out;
	for (i = 0; i < np; i++) {
		memset(&b, 0, sizeof(b));
		pt[i].i = i;
		pt[i].k1 = pt[i].k2 = "";
		if (i < r->npreds) {
			sb_pred(&b, &r->preds[i]);
			pt[i].kind = (int)r->preds[i].kind;
			if (r->preds[i].kind_name != NULL)
				pt[i].k1 = r->preds[i].kind_name;
			if (r->preds[i].name != NULL)
				pt[i].k2 = r->preds[i].name;
		} else {
			sb_budget(&b, &r->budgets[i - r->npreds]);
			pt[i].kind = PP_FIELD + 1;	/* after predicates */
		}
		if (b.nomem)
			goto out;
		pt[i].text = b.p;
	}
	memset(&b, 0, sizeof(b));
	qsort(pt, np, sizeof(*pt), part_cmp);

	if (r->effect == POLICY_APPROVE)
		sb_approve(&b, r->k, &r->approvers);
	else
		sb_word(&b, r->effect == POLICY_ALLOW ? "allow" : "deny");
	if (r->who == PW_ANY)
		sb_word(&b, "any");
	else if (r->who == PW_CLIENT) {
		sb_word(&b, "client");
		sb_list(&b, &r->names);
	} else {
		sb_word(&b, "operator");
		if (r->names.n > 0) {
			sb_word(&b, "uid");
			sb_list(&b, &r->names);
		}
	}
	/* a part said twice says nothing new */
	for (i = 0; i < np; i++)
		if (i == 0 || strcmp(pt[i].text, pt[i - 1].text) != 0)
			sb_word(&b, pt[i].text);
	if (r->label != NULL) {
		sb_word(&b, "label");
		sb_val(&b, r->label);
	}
	if (b.nomem)
		goto out;

	/* nothing can fail from here: the tree takes the same order */
	for (i = 0; i < np; i++) {
		if (i > 0 && strcmp(pt[i].text, pt[i - 1].text) == 0) {
			if (pt[i].i < r->npreds)
				pol_pred_clear(&r->preds[pt[i].i]);
			else
				free(r->budgets[pt[i].i - r->npreds].field);
		} else if (pt[i].i < r->npreds)
			preds[npo++] = r->preds[pt[i].i];
		else
			budgets[nbo++] = r->budgets[pt[i].i - r->npreds];
	}
	op = r->preds;
	ob = r->budgets;
	r->preds = preds;
	r->npreds = npo;
	r->budgets = budgets;
	r->nbudgets = nbo;
	preds = op;
	budgets = ob;
	r->canon = b.p;
	b.p = NULL;
	if (r->label != NULL)
		snprintf(r->id, sizeof(r->id), "%s", r->label);
	else {
		crypto_hash_sha256(h, (const unsigned char *)r->canon,
		    strlen(r->canon));
		snprintf(r->id, sizeof(r->id), "r%02x%02x%02x%02x", h[0], h[1],
		    h[2], h[3]);
	}
	rv = 0;
 out:
	for (i = 0; pt != NULL && i < np; i++)
		free(pt[i].text);
	free(pt);
	free(preds);
	free(budgets);
	free(b.p);
	return rv;
}

/* The forms of the lines that are not rules, by their ids. */
static int
settings_canon(struct policy *pol)
{
	struct pol_setting	*s;
	struct pol_approver	*a;
	struct sb		 b;
	char			 num[32], hex[2 * POLICY_PK_LEN + 1];
	size_t			 i;
	int			 ai;

	for (i = 0; i < pol->nsettings; i++) {
		s = &pol->settings[i];
		memset(&b, 0, sizeof(b));
		if (strncmp(s->id, "approver:", 9) == 0) {
			if ((ai = pol_approver_find(pol, s->id + 9)) < 0)
				return CV_ERR_INTERNAL;
			a = &pol->approvers[ai];
			sodium_bin2hex(hex, sizeof(hex), a->pk, sizeof(a->pk));
			sb_word(&b, "approver");
			sb_val(&b, a->name);
			sb_word(&b, hex);
			if (!b.nomem && (a->canon = strdup(b.p)) == NULL)
				b.nomem = 1;
		} else if (strcmp(s->id, "ceiling:skew") == 0) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)pol->skew_s);
			sb_word(&b, "skew");
			sb_word(&b, num);
		} else if (strcmp(s->id, "approval-timeout") == 0) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)pol->approval_timeout_s);
			sb_word(&b, "approval-timeout");
			sb_word(&b, num);
		} else if (strcmp(s->id, "ceiling:l1-nonce") == 0) {
			sb_word(&b, "l1-nonce");
			sb_cmp(&b, pol->nonce_op, &pol->nonce_vals);
		} else if (strcmp(s->id, "ceiling:key-permissions") == 0) {
			sb_word(&b, "key-permissions");
			sb_list(&b, &pol->perm_ceiling);
		} else if (strcmp(s->id, "policy-change") == 0) {
			sb_word(&b, "policy-change");
			sb_approve(&b, pol->change_k, &pol->change_approvers);
		} else
			return CV_ERR_INTERNAL;
		if (b.nomem) {
			free(b.p);
			return CV_ERR_NOMEM;
		}
		s->canon = b.p;
	}
	return 0;
}

/* Two rules alike, or two with one id, are an error in the later one. */
struct key {
	const char	*k;
	size_t		 i;
};

static int
key_cmp(const void *a, const void *b)
{
	const struct key	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->k, y->k)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
rules_unique(const struct policy *pol, struct policy_errors *errs)
{
	const struct pol_rule	*a, *b;
	struct key		*k;
	size_t			 i;

	if (pol->nrules < 2)
		return 0;
	if ((k = calloc(pol->nrules, sizeof(*k))) == NULL)
		return CV_ERR_NOMEM;
	for (i = 0; i < pol->nrules; i++) {
		k[i].k = pol->rules[i].canon;
		k[i].i = i;
	}
	qsort(k, pol->nrules, sizeof(*k), key_cmp);
	for (i = 1; i < pol->nrules; i++) {
		if (strcmp(k[i].k, k[i - 1].k) != 0)
			continue;
		a = &pol->rules[k[i - 1].i];
		b = &pol->rules[k[i].i];
		pol_error(errs, b->line, b->col, "this rule repeats the rule "
		    "on line %d", a->line);
	}
	for (i = 0; i < pol->nrules; i++) {
		k[i].k = pol->rules[i].id;
		k[i].i = i;
	}
	qsort(k, pol->nrules, sizeof(*k), key_cmp);
	for (i = 1; i < pol->nrules; i++) {
		a = &pol->rules[k[i - 1].i];
		b = &pol->rules[k[i].i];
		/* repeats and repeated labels are reported already */
		if (strcmp(a->id, b->id) != 0 ||
		    strcmp(a->canon, b->canon) == 0 ||
		    (a->label != NULL && b->label != NULL))
			continue;
		pol_error(errs, b->line, b->col, "this rule's id is also the "
		    "id of the rule on line %d; give one a label of its own",
		    a->line);
	}
	free(k);
	return errs->n > 0 ? CV_ERR_INVALID : 0;
}

/* Errors in the order of the text (the grammar reports some late). */
static void
errors_sort(struct policy_errors *errs)
{
	struct policy_error	t;
	size_t			i, j;

	for (i = 1; i < errs->n; i++) {
		t = errs->e[i];
		for (j = i; j > 0 && (errs->e[j - 1].line > t.line ||
		    (errs->e[j - 1].line == t.line &&
		    errs->e[j - 1].col > t.col)); j--)
			errs->e[j] = errs->e[j - 1];
		errs->e[j] = t;
	}
}

int
policy_parse(const char *text, size_t len, struct policy **out,
    struct policy_errors *errs)
{
	struct policy_errors	 scratch;
	struct policy		*pol = NULL;
	size_t			 i;
	int			 r = CV_ERR_INVALID;

	if (errs == NULL)
		errs = &scratch;
	memset(errs, 0, sizeof(*errs));
	if (out == NULL || (text == NULL && len > 0))
		goto out;
	*out = NULL;
	if (len > POLICY_MAX_TEXT) {
		pol_error(errs, 1, 1, "policy text is longer than %d bytes",
		    POLICY_MAX_TEXT);
		r = CV_ERR_TOOLONG;
		goto out;
	}
	r = CV_ERR_NOMEM;
	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		goto out;
	pol->skew_s = POLICY_SKEW_DEFAULT;
	pol->approval_timeout_s = POLICY_APPROVAL_TIMEOUT;
	if ((r = pol_grammar(len ? text : "", len, pol, errs)) != 0)
		goto out;
	for (i = 0; i < pol->nrules; i++)
		if ((r = rule_canon(&pol->rules[i])) != 0)
			goto out;
	if ((r = settings_canon(pol)) != 0)
		goto out;
	if ((r = rules_unique(pol, errs)) != 0)
		goto out;
	policy_digest(text, len, pol->digest);
	if ((r = policy_index_build(pol, &i)) == CV_ERR_TOOLONG) {
		pol_error(errs, pol->rules[i].line, pol->rules[i].col, "the "
		    "rules up to here make more than %u index entries (a rule: "
		    "its levels times its methods times its paths)",
		    POLICY_INDEX_MAX);
		r = CV_ERR_INVALID;
	}
	if (r != 0 || (r = policy_case_build(pol)) != 0)
		goto out;
	*out = pol;
	pol = NULL;
	r = 0;
 out:
	errors_sort(errs);
	policy_free(pol);
	return r;
}

size_t
policy_nrules(const struct policy *pol)
{
	return pol == NULL ? 0 : pol->nrules;
}

static void
rule_info(const struct pol_rule *r, struct policy_rule_info *info)
{
	info->id = r->id;
	info->line = r->line;
	info->effect = r->effect;
	info->canon = r->canon;
}

int
policy_rule(const struct policy *pol, size_t i, struct policy_rule_info *info)
{
	if (pol == NULL || i >= pol->nrules)
		return CV_ERR_NOTFOUND;
	rule_info(&pol->rules[i], info);
	return 0;
}

/*
 * policy_diff: the rules and the other lines of a policy in file order,
 * and whether an item is "keyed" (a labelled rule or a setting: one id
 * that outlives a change of form).
 */
struct walk {
	const struct policy	*pol;
	size_t			 r, s;
};

static int
walk_next(struct walk *w, struct policy_rule_info *info, int *keyed)
{
	const struct policy	*p = w->pol;
	const struct pol_setting *s;

	if (w->r < p->nrules && (w->s == p->nsettings ||
	    p->rules[w->r].line < p->settings[w->s].line)) {
		rule_info(&p->rules[w->r], info);
		*keyed = p->rules[w->r].label != NULL;
		w->r++;
		return 1;
	}
	if (w->s == p->nsettings)
		return 0;
	s = &p->settings[w->s++];
	info->id = s->id;
	info->line = s->line;
	/* a ceiling denies; the other lines are about approvals */
	info->effect = strncmp(s->id, "ceiling:", 8) == 0 ? POLICY_DENY :
	    POLICY_APPROVE;
	info->canon = s->canon;
	*keyed = 1;
	return 1;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Canonical forms of pol, sorted to look up; NULL: look up by walking. */
static const char **
canons_sorted(const struct policy *pol)
{
	const char	**v;
	size_t		  i, n = pol->nrules + pol->nsettings;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < pol->nrules; i++)
		v[i] = pol->rules[i].canon;
	for (i = 0; i < pol->nsettings; i++)
		v[pol->nrules + i] = pol->settings[i].canon;
	qsort(v, n, sizeof(*v), strp_cmp);
	return v;
}

static int
has_canon(const struct policy *pol, const char **sorted, const char *canon)
{
	struct walk		w = { pol, 0, 0 };
	struct policy_rule_info	i;
	int			keyed;

	if (sorted != NULL)
		return bsearch(&canon, sorted, pol->nrules + pol->nsettings,
		    sizeof(*sorted), strp_cmp) != NULL;
	while (walk_next(&w, &i, &keyed))
		if (strcmp(i.canon, canon) == 0)
			return 1;
	return 0;
}

static int
find_keyed(const struct policy *pol, const char *id,
    struct policy_rule_info *out)
{
	struct walk		w = { pol, 0, 0 };
	struct policy_rule_info	i;
	int			keyed;

	while (walk_next(&w, &i, &keyed)) {
		if (keyed && strcmp(i.id, id) == 0) {
			*out = i;
			return 1;
		}
	}
	return 0;
}

size_t
policy_diff(const struct policy *old, const struct policy *new,
    policy_diff_fn *fn, void *arg)
{
	struct walk		 w;
	struct policy_rule_info	 i, o;
	const char		**so, **sn;
	size_t			 n = 0;
	int			 keyed;

	so = canons_sorted(old);
	sn = canons_sorted(new);
	w.pol = new;
	w.r = w.s = 0;
	while (walk_next(&w, &i, &keyed)) {
		if (has_canon(old, so, i.canon))
			continue;
		n++;
		if (keyed && find_keyed(old, i.id, &o)) {
			if (fn != NULL)
				fn(arg, '~', &o, &i);
		} else if (fn != NULL)
			fn(arg, '+', NULL, &i);
	}
	w.pol = old;
	w.r = w.s = 0;
	while (walk_next(&w, &i, &keyed)) {
		if (has_canon(new, sn, i.canon) ||
		    (keyed && find_keyed(new, i.id, &o)))
			continue;
		n++;
		if (fn != NULL)
			fn(arg, '-', &i, NULL);
	}
	free(so);
	free(sn);
	return n;
}
