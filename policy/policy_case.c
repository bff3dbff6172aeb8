/*
 * The case check: a path that differs only in the case of its letters
 * from a path the policy or the endpoint catalog names.
 *
 * Patterns match byte for byte, but an exchange, or a proxy in front of
 * it, may route without regard to case: "/AUTH/API-KEY" would reach
 * what "deny any path /auth/api-key" refuses, under a broader allow.
 * So a request path that a known pattern (any rule's, any catalog
 * row's) matches when ASCII letters are compared without regard to
 * case, but not byte for byte, is refused before any rule, with the
 * spelling the pattern gives.  A '*' segment takes its segment as it
 * is, so a mixed-case id under the catalog's get_order row passes.
 *
 * Exact patterns sit in a hash table keyed by their folded bytes; the
 * '*' patterns, few in practice, are scanned.  A path with no capital
 * letter under patterns with none is the common case and costs a scan
 * of the path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "policy/policy_int.h"

#define PC_FNV_INIT	0xcbf29ce484222325ULL
#define PC_FNV_PRIME	0x100000001b3ULL

struct pol_fold {
	const char	**exact;	/* open addressing; NULL: empty */
	size_t		  ecap;		/* a power of two */
	const char	**star;		/* patterns with a '*' segment */
	size_t		  nstar;
	int		  upper;	/* a pattern holds a capital letter */
};

static unsigned char	 pc_low(unsigned char);
static uint64_t		 pc_hash(const char *, size_t);
static int		 pc_is_star(const char *);
static int		 pc_add(struct pol_fold *, const char *, size_t *);

static unsigned char
pc_low(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint64_t
pc_hash(const char *s, size_t len)
{
	uint64_t	h = PC_FNV_INIT;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ pc_low((unsigned char)s[i])) * PC_FNV_PRIME;
	return h;
}

/* 1 if the pattern has a segment that is a lone '*'. */
static int
pc_is_star(const char *pat)
{
	size_t	i;

	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == '*' && i > 0 && pat[i - 1] == '/' &&
		    (pat[i + 1] == '/' || pat[i + 1] == '\0'))
			return 1;
	return 0;
}

/* Add pat unless the same bytes are there; counts in *nstar. */
static int
pc_add(struct pol_fold *f, const char *pat, size_t *nstar)
{
	size_t	i, mask, len = strlen(pat);

	for (i = 0; i < len; i++)
		if (pat[i] >= 'A' && pat[i] <= 'Z')
			f->upper = 1;
	if (pc_is_star(pat)) {
		for (i = 0; i < *nstar; i++)
			if (strcmp(f->star[i], pat) == 0)
				return 0;
		f->star[(*nstar)++] = pat;
		return 0;
	}
	mask = f->ecap - 1;
	for (i = pc_hash(pat, len) & mask; f->exact[i] != NULL;
	    i = (i + 1) & mask)
		if (strcmp(f->exact[i], pat) == 0)
			return 0;
	f->exact[i] = pat;
	return 0;
}

int
policy_case_build(struct policy *pol)
{
	struct pol_fold			*f;
	const struct catalog_entry	*ce;
	const struct pol_pred		*pp;
	size_t				 i, j, k, n = 0, nstar = 0;

	for (i = 0; (ce = catalog_at(i)) != NULL; i++)
		n++;
	for (i = 0; i < pol->nrules; i++)
		for (j = 0; j < pol->rules[i].npreds; j++)
			if ((pp = &pol->rules[i].preds[j])->kind == PP_PATH)
				n += pp->list.n;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return CV_ERR_NOMEM;
	for (f->ecap = 8; f->ecap < n * 2; f->ecap *= 2)
		;
	if ((f->exact = calloc(f->ecap, sizeof(*f->exact))) == NULL ||
	    (f->star = calloc(n + 1, sizeof(*f->star))) == NULL) {
		policy_case_free(f);
		return CV_ERR_NOMEM;
	}
	for (i = 0; (ce = catalog_at(i)) != NULL; i++)
		(void)pc_add(f, ce->path, &nstar);
	for (i = 0; i < pol->nrules; i++)
		for (j = 0; j < pol->rules[i].npreds; j++)
			if ((pp = &pol->rules[i].preds[j])->kind == PP_PATH)
				for (k = 0; k < pp->list.n; k++)
					(void)pc_add(f, pp->list.v[k], &nstar);
	f->nstar = nstar;
	policy_case_free(pol->fold);
	pol->fold = f;
	return 0;
}

void
policy_case_free(struct pol_fold *f)
{
	if (f == NULL)
		return;
	free(f->exact);
	free(f->star);
	free(f);
}

const char *
policy_case_clash(const struct policy *pol, const char *p, size_t n)
{
	const struct pol_fold	*f = pol->fold;
	const char		*e;
	size_t			 i, mask;
	int			 upper = 0;

	if (f == NULL)
		return NULL;
	for (i = 0; i < n && !upper; i++)
		upper = p[i] >= 'A' && p[i] <= 'Z';
	if (!upper && !f->upper)
		return NULL;	/* both sides in lower case already */
	mask = f->ecap - 1;
	for (i = pc_hash(p, n) & mask; (e = f->exact[i]) != NULL;
	    i = (i + 1) & mask)
		if (catalog_path_match(e, p, n, 1) &&
		    !catalog_path_match(e, p, n, 0))
			return e;
	for (i = 0; i < f->nstar; i++)
		if (catalog_path_match(f->star[i], p, n, 1) &&
		    !catalog_path_match(f->star[i], p, n, 0))
			return f->star[i];
	return NULL;
}

size_t
policy_case_spell(const char *pat, const char *p, size_t n, char *buf,
    size_t len)
{
	size_t	r = 0, i = 0, o = 0;
	char	c;

	if (len == 0)
		return 0;
	while (pat[r] != '\0' && o + 1 < len) {
		if (pat[r] == '*' && r > 0 && pat[r - 1] == '/' &&
		    (pat[r + 1] == '/' || pat[r + 1] == '\0')) {
			while (i < n && p[i] != '/' && o + 1 < len)
				buf[o++] = p[i++];
			if (i < n && p[i] != '/')
				break;
			r++;
			continue;
		}
		c = pat[r++];
		buf[o++] = c;
		i++;
	}
	buf[o] = '\0';
	return pat[r] == '\0' && i >= n ? o : 0;
}
