/*
 * The engine's index: which rules a request could meet.
 *
 * For each auth level and each method the policy names, the rules that
 * name that method; rules naming no method form one more class, "any
 * method", that every request also consults (kept once rather than
 * copied into every method's class, so the index grows with the policy
 * and not with rules times methods).  Within a (level, class) bucket,
 * one hash table holds each exact path pattern, and each '*' pattern
 * under its literal prefix (its segments before the first '*'), with
 * the sorted indices of its rules; rules with no path predicate sit in
 * the bucket's scan list.  A request probes its whole path and each
 * prefix ending in one of its first IX_PREFIX_SEGS '/'s, in its method's
 * class and in "any method", and merges the lists found (and the scan
 * lists) in rule order.  Every candidate is then matched in full
 * (policy_match.c): the index only narrows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"
#include "policy/policy_eval.h"

#define FNV64_INIT	0xcbf29ce484222325ULL
#define FNV64_PRIME	0x100000001b3ULL

struct ix_list {
	uint32_t	off;		/* in pool */
	uint32_t	n;
};

/* A path or a '*' pattern's prefix in one (level, class) bucket. */
struct ix_exact {
	uint64_t	 h;
	const char	*path;		/* NULL: an empty bucket */
	size_t		 len;
	uint32_t	 level, cls;
	uint32_t	 pfx;		/* 1: the prefix of '*' patterns */
	struct ix_list	 l;
};

struct pol_index {
	const char	**methods;	/* sorted, distinct; into the tree */
	size_t		  nmethods;	/* class nmethods: "any method" */
	struct ix_list	 *scan;		/* [level * (nmethods + 1) + class]:
					   the rules with no path predicate */
	struct ix_exact	 *exact;
	size_t		  ecap;		/* a power of two */
	uint32_t	 *pool;
};

/* One exact path of one rule in one bucket, while building. */
struct ix_tuple {
	const char	*path;
	size_t		 len;
	uint32_t	 level, cls, pfx, rule;
};

static int	 ix_cmp_str(const void *, const void *);
static int	 ix_cmp_tuple(const void *, const void *);
static int	 ix_same(const struct ix_tuple *, const struct ix_tuple *);
static const struct pol_pred *ix_pred(const struct pol_rule *,
		    enum pol_pred_kind);
static unsigned	 ix_levels(const struct pol_rule *);
static int	 ix_class(const struct pol_index *, const char *);
static int	 ix_key(const char *, size_t *);
static uint64_t	 ix_fnv(const char *, size_t);
static uint64_t	 ix_mix(uint64_t, uint32_t, uint32_t, uint32_t);
static const struct ix_exact *ix_find(const struct pol_index *, uint64_t,
		    const char *, size_t, uint32_t, uint32_t, uint32_t);
static void	 ix_cand_add(struct ix_cand *, const struct pol_index *,
		    const struct ix_exact *);

static int
ix_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
ix_cmp_tuple(const void *a, const void *b)
{
	const struct ix_tuple	*x = a, *y = b;
	int			 c;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (x->pfx != y->pfx)
		return x->pfx < y->pfx ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->path, y->path, x->len)) != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A rule's first predicate of a kind: the one the index keys on. */
static const struct pol_pred *
ix_pred(const struct pol_rule *r, enum pol_pred_kind kind)
{
	size_t	i;

	for (i = 0; i < r->npreds; i++)
		if (r->preds[i].kind == kind)
			return &r->preds[i];
	return NULL;
}

static unsigned
ix_levels(const struct pol_rule *r)
{
	unsigned	m = (1U << POLICY_L_COUNT) - 1;
	size_t		i;

	for (i = 0; i < r->npreds; i++)
		if (r->preds[i].kind == PP_LEVEL)
			m &= r->preds[i].levels;
	return m;
}

/* The class of a method: its place in methods, or nmethods ("any"). */
static int
ix_class(const struct pol_index *ix, const char *method)
{
	size_t	lo = 0, hi = ix->nmethods, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(method, ix->methods[mid])) == 0)
			return (int)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (int)ix->nmethods;
}

/*
 * What the index keys a path pattern on: the whole of an exact one (0);
 * for one with a '*' segment (1), its literal segments before the first
 * '*' with their '/'s, cut after the IX_PREFIX_SEGS-th '/'.  A path the
 * pattern matches starts with that prefix, and ix_cands probes every
 * prefix of the path that ends in one of its first IX_PREFIX_SEGS '/'s.
 */
static int
ix_key(const char *pat, size_t *len)
{
	size_t	i, nslash = 0, cut = 0;

	for (i = 0; pat[i] != '\0'; i++) {
		if (pat[i] != '/')
			continue;
		if (pat[i + 1] == '*' && (pat[i + 2] == '/' ||
		    pat[i + 2] == '\0')) {
			if (nslash < IX_PREFIX_SEGS)
				cut = i + 1;
			*len = cut;
			return 1;
		}
		if (++nslash <= IX_PREFIX_SEGS)
			cut = i + 1;
	}
	*len = i;
	return 0;
}

static uint64_t
ix_fnv(const char *s, size_t len)
{
	uint64_t	h = FNV64_INIT;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * FNV64_PRIME;
	return h;
}

static uint64_t
ix_mix(uint64_t h, uint32_t level, uint32_t cls, uint32_t pfx)
{
	h ^= (((uint64_t)level << 32) | cls) * 0x9e3779b97f4a7c15ULL;
	h ^= pfx * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* Two tuples name the same table entry. */
static int
ix_same(const struct ix_tuple *a, const struct ix_tuple *b)
{
	return a->level == b->level && a->cls == b->cls && a->pfx == b->pfx &&
	    a->len == b->len && memcmp(a->path, b->path, a->len) == 0;
}

/*
 * A rule sits in every (level, class) it can match: its levels (all of
 * them without a level predicate) times the classes of the methods of
 * its first method predicate ("any method" without one); there, under
 * each pattern of its first path predicate, or in the scan list.
 */
int
policy_index_build(struct policy *pol, size_t *bad)
{
	struct pol_index	*ix = NULL;
	struct ix_tuple		*tu = NULL;
	struct ix_exact		*e;
	struct ix_list		*sl;
	const struct pol_rule	*r;
	const struct pol_pred	*mp, *pp;
	uint64_t		 nt = 0, nscan = 0, g;
	size_t			 i, j, k, l, c, nm = 0, ncls, ntu, ng, p;
	size_t			 nlev, ncl, mask, klen;
	unsigned		 lv;
	uint32_t		 cls, off, *pool;
	int			 rv = CV_ERR_NOMEM, pass;

	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		goto out;
	/* the methods named, sorted and distinct */
	for (i = 0; i < pol->nrules; i++)
		if ((mp = ix_pred(&pol->rules[i], PP_METHOD)) != NULL)
			nm += mp->list.n;
	if ((ix->methods = calloc(nm + 1, sizeof(*ix->methods))) == NULL)
		goto out;
	for (i = 0, nm = 0; i < pol->nrules; i++)
		if ((mp = ix_pred(&pol->rules[i], PP_METHOD)) != NULL)
			for (j = 0; j < mp->list.n; j++)
				ix->methods[nm++] = mp->list.v[j];
	qsort(ix->methods, nm, sizeof(*ix->methods), ix_cmp_str);
	for (i = 0, j = 0; i < nm; i++)
		if (j == 0 || strcmp(ix->methods[j - 1], ix->methods[i]) != 0)
			ix->methods[j++] = ix->methods[i];
	ix->nmethods = j;
	ncls = ix->nmethods + 1;
	if ((ix->scan = calloc(POLICY_L_COUNT * ncls,
	    sizeof(*ix->scan))) == NULL)
		goto out;

	/*
	 * Pass 0 counts the tuples and each scan list's length; pass 1
	 * fills them, in rule order, so that every list comes out sorted.
	 */
	pool = NULL;
	ntu = 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < pol->nrules; i++) {
			r = &pol->rules[i];
			lv = ix_levels(r);
			mp = ix_pred(r, PP_METHOD);
			pp = ix_pred(r, PP_PATH);
			ncl = mp != NULL ? mp->list.n : 1;
			if (pass == 0) {
				for (l = 0, nlev = 0; l < POLICY_L_COUNT; l++)
					nlev += (lv >> l) & 1;
				if (pp != NULL)
					nt += (uint64_t)nlev * ncl *
					    pp->list.n;
				else
					nscan += (uint64_t)nlev * ncl;
				if (nt + nscan > POLICY_INDEX_MAX) {
					*bad = i;
					rv = CV_ERR_TOOLONG;
					goto out;
				}
			}
			for (l = 0; l < POLICY_L_COUNT; l++) {
				if (!((lv >> l) & 1))
					continue;
				for (c = 0; c < ncl; c++) {
					cls = mp != NULL ? (uint32_t)ix_class(
					    ix, mp->list.v[c]) :
					    (uint32_t)ix->nmethods;
					sl = &ix->scan[l * ncls + cls];
					if (pp == NULL && pass == 0)
						sl->n++;
					else if (pp == NULL && (sl->n == 0 ||
					    pool[sl->off + sl->n - 1] != i))
						pool[sl->off + sl->n++] =
						    (uint32_t)i;
					for (k = 0; pp != NULL && pass == 1 &&
					    k < pp->list.n; k++) {
						tu[ntu].pfx = (uint32_t)ix_key(
						    pp->list.v[k], &klen);
						tu[ntu].path = pp->list.v[k];
						tu[ntu].len = klen;
						tu[ntu].level = (uint32_t)l;
						tu[ntu].cls = cls;
						tu[ntu].rule = (uint32_t)i;
						ntu++;
					}
				}
			}
		}
		if (pass == 1)
			break;
		if ((ix->pool = calloc(nt + nscan + 1,
		    sizeof(*ix->pool))) == NULL ||
		    (tu = calloc(nt + 1, sizeof(*tu))) == NULL)
			goto out;
		pool = ix->pool;
		for (i = 0, off = 0; i < POLICY_L_COUNT * ncls; i++) {
			ix->scan[i].off = off;
			off += ix->scan[i].n;
			ix->scan[i].n = 0;
		}
	}

	/* paths and prefixes: group the sorted tuples into table entries */
	qsort(tu, ntu, sizeof(*tu), ix_cmp_tuple);
	for (i = 0, ng = 0; i < ntu; i++)
		if (i == 0 || !ix_same(&tu[i], &tu[i - 1]))
			ng++;
	for (ix->ecap = 8; ix->ecap < ng * 2; ix->ecap *= 2)
		;
	if ((ix->exact = calloc(ix->ecap, sizeof(*ix->exact))) == NULL)
		goto out;
	mask = ix->ecap - 1;
	p = off;
	for (i = 0; i < ntu; i = j) {
		for (j = i + 1; j < ntu && ix_same(&tu[j], &tu[i]); j++)
			;
		g = ix_mix(ix_fnv(tu[i].path, tu[i].len), tu[i].level,
		    tu[i].cls, tu[i].pfx);
		for (k = g & mask; ix->exact[k].path != NULL; k = (k + 1) & mask)
			;
		e = &ix->exact[k];
		e->h = g;
		e->path = tu[i].path;
		e->len = tu[i].len;
		e->level = tu[i].level;
		e->cls = tu[i].cls;
		e->pfx = tu[i].pfx;
		e->l.off = (uint32_t)p;
		for (k = i; k < j; k++)
			if (k == i || tu[k].rule != tu[k - 1].rule)
				pool[p++] = tu[k].rule;
		e->l.n = (uint32_t)(p - e->l.off);
	}
	policy_index_free(pol->index);
	pol->index = ix;
	ix = NULL;
	rv = 0;
 out:
	free(tu);
	policy_index_free(ix);
	return rv;
}

/* Free an index built by policy_index_build; NULL is fine. */
void
policy_index_free(struct pol_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->methods);
	free(ix->scan);
	free(ix->exact);
	free(ix->pool);
	free(ix);
}

static const struct ix_exact *
ix_find(const struct pol_index *ix, uint64_t hpath, const char *path,
    size_t len, uint32_t level, uint32_t cls, uint32_t pfx)
{
	const struct ix_exact	*e;
	uint64_t		 h = ix_mix(hpath, level, cls, pfx);
	size_t			 mask = ix->ecap - 1, k;

	for (k = h & mask; (e = &ix->exact[k])->path != NULL;
	    k = (k + 1) & mask)
		if (e->h == h && e->len == len && e->level == level &&
		    e->cls == cls && e->pfx == pfx &&
		    memcmp(e->path, path, len) == 0)
			return e;
	return NULL;
}

static void
ix_cand_add(struct ix_cand *cd, const struct pol_index *ix,
    const struct ix_exact *e)
{
	if (e == NULL || e->l.n == 0 || cd->nl == IX_MAX_LISTS)
		return;
	cd->l[cd->nl] = ix->pool + e->l.off;
	cd->n[cd->nl++] = e->l.n;
}

/*
 * The request's candidate lists, for its method's class and for "any
 * method": the rules under its whole path, under each of its prefixes
 * that ends in one of its first IX_PREFIX_SEGS '/'s, and the rules with
 * no path predicate.  One pass over the path hashes every prefix.
 */
void
ix_cands(const struct policy *pol, const struct ev_ctx *c,
    struct ix_cand *cd)
{
	const struct pol_index	*ix = pol->index;
	const struct ix_list	*sl;
	uint64_t		 h = FNV64_INIT;
	uint32_t		 cls, any, lv = (uint32_t)c->req->level;
	size_t			 i, nslash = 0;

	cd->nl = 0;
	cd->all = 0;
	memset(cd->i, 0, sizeof(cd->i));
	if (ix == NULL) {
		cd->all = 1;
		cd->next = 0;
		cd->nrules = (uint32_t)pol->nrules;
		return;
	}
	any = (uint32_t)ix->nmethods;
	cls = (uint32_t)ix_class(ix, c->req->method);
	for (i = 0; i < c->pathlen; i++) {
		h = (h ^ (uint8_t)c->path[i]) * FNV64_PRIME;
		if (c->path[i] != '/' || ++nslash > IX_PREFIX_SEGS)
			continue;
		ix_cand_add(cd, ix, ix_find(ix, h, c->path, i + 1, lv, cls, 1));
		if (cls != any)
			ix_cand_add(cd, ix, ix_find(ix, h, c->path, i + 1, lv,
			    any, 1));
	}
	ix_cand_add(cd, ix, ix_find(ix, h, c->path, c->pathlen, lv, cls, 0));
	if (cls != any)
		ix_cand_add(cd, ix, ix_find(ix, h, c->path, c->pathlen, lv,
		    any, 0));
	for (;;) {
		sl = &ix->scan[lv * (any + 1) + cls];
		if (sl->n > 0 && cd->nl < IX_MAX_LISTS) {
			cd->l[cd->nl] = ix->pool + sl->off;
			cd->n[cd->nl++] = sl->n;
		}
		if (cls == any)
			break;
		cls = any;
	}
}

/* The next candidate in rule order, or -1. */
int64_t
ix_cand_next(struct ix_cand *cd)
{
	uint32_t	best = UINT32_MAX;
	size_t		k;

	if (cd->all)
		return cd->next < cd->nrules ? (int64_t)cd->next++ : -1;
	for (k = 0; k < cd->nl; k++)
		if (cd->i[k] < cd->n[k] && cd->l[k][cd->i[k]] < best)
			best = cd->l[k][cd->i[k]];
	if (best == UINT32_MAX)
		return -1;
	for (k = 0; k < cd->nl; k++)
		if (cd->i[k] < cd->n[k] && cd->l[k][cd->i[k]] == best)
			cd->i[k]++;
	return best;
}
