/*
 * What a rule says of a request, predicate kind by predicate kind (who,
 * level, method, path patterns, account, profile, query, body, nonce,
 * catalog, a request kind's fields), and the ceilings no rule lifts.
 *
 * A match, no match, or a denial when the rule addresses the request
 * (its who, level, method, path, account and profile match) and then
 * cannot read what it inspects: a query with bad %-encoding, a '+', a
 * ';' or a parameter it names given twice, a body that is not strict JSON
 * (policy_json.h), a value its comparison needs as a decimal that is
 * not one.  Such a rule denies, whatever its effect: the policy said
 * something about this request that cannot be checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/catalog.h"
#include "policy/policy_int.h"
#include "policy/policy_eval.h"
#include "policy/policy_json.h"

#define EV_DEC_MAX	256		/* a value copied on the stack: token
					   ids (78 digits) and prices fit */
#define EV_SHOW_MAX	48		/* bytes of a value a line shows */

/* A value the request carries, and how it is encoded. */
enum vr_enc {
	VR_RAW,		/* bytes as they are */
	VR_PCT,		/* a query's %XX (checked) */
	VR_JSON,	/* a JSON string's escapes (validated) */
};
struct vref {
	enum vr_enc	 enc;
	const char	*p;
	size_t		 len;
	/* not NULL: p is num / den rounded, and decimals compare the ratio */
	const char	*num, *den;
};
struct vr_it {
	enum vr_enc	 enc;
	const char	*p, *end;
	struct pj_sit	 js;
};

static const char *const level_names[POLICY_L_COUNT] = {
	"none", "l1", "l2", "builder", "bearer",
};

static void	 ev_fmt(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 ev_what(char *, size_t, const char *, const char *);
static void	 vr_init(struct vr_it *, const struct vref *);
static int	 vr_next(struct vr_it *);
static size_t	 vr_copy(const struct vref *, char *, size_t);
static int	 vr_eq(const struct vref *, const char *, size_t);
static int	 vr_prefix(const struct vref *, const char *);
static void	 vr_show(const struct vref *, char *, size_t);
static const char *op_str(enum pol_op);
static enum rm_result ev_cmp(enum pol_op, const struct pol_list *,
		    const struct vref *);
static int	 vr_dec_cmp(const struct vref *, const char *, size_t,
		    const char *, size_t, int *);
static void	 ev_ratio(const struct policy_req *, const struct pol_kind *,
		    const char *, struct vref *);
static int	 hexval(int);
static int	 q_check(struct ev_ctx *);
static int	 q_name_eq(const char *, size_t, const char *);
static size_t	 q_find(const struct ev_ctx *, const char *, struct vref *);
static enum rm_result ev_who(struct ev_ctx *, const struct pol_rule *, char *,
		    size_t);
static enum rm_result ev_addr(struct ev_ctx *, const struct pol_pred *,
		    char *, size_t);
static enum rm_result ev_value(struct ev_ctx *, const struct pol_pred *,
		    const char *, const struct vref *, char *, size_t);
static enum rm_result ev_content(struct ev_ctx *, const struct pol_pred *,
		    char *, size_t);

/* A line for a person, cut to fit: truncation is expected here. */
static void
ev_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* "a b" into buf, each part cut at EV_SHOW_MAX bytes: no printf here. */
static void
ev_what(char *buf, size_t len, const char *a, const char *b)
{
	size_t	na = strnlen(a, EV_SHOW_MAX), nb = strnlen(b, EV_SHOW_MAX);

	if (na + nb + 2 > len)
		na = nb = 0;
	memcpy(buf, a, na);
	buf[na] = ' ';
	memcpy(buf + na + 1, b, nb);
	buf[na + 1 + nb] = '\0';
}

/* Values. */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
vr_init(struct vr_it *it, const struct vref *v)
{
	it->enc = v->enc;
	it->p = v->p;
	it->end = v->p + v->len;
	if (v->enc == VR_JSON)
		pj_sit_init(&it->js, (const uint8_t *)v->p, v->len);
}

static int
vr_next(struct vr_it *it)
{
	int	c;

	if (it->enc == VR_JSON)
		return pj_sit_next(&it->js);
	if (it->p >= it->end)
		return -1;
	c = (uint8_t)*it->p++;
	if (it->enc == VR_PCT && c == '%' && it->end - it->p >= 2) {
		c = hexval(it->p[0]) * 16 + hexval(it->p[1]);
		it->p += 2;
	}
	return c;
}

/* Decode into buf (up to bufsz bytes); the whole decoded length. */
static size_t
vr_copy(const struct vref *v, char *buf, size_t bufsz)
{
	struct vr_it	it;
	size_t		n = 0;
	int		c;

	if (v->enc == VR_RAW) {
		memcpy(buf, v->p, v->len < bufsz ? v->len : bufsz);
		return v->len;
	}
	vr_init(&it, v);
	while ((c = vr_next(&it)) != -1) {
		if (n < bufsz)
			buf[n] = (char)c;
		n++;
	}
	return n;
}

static int
vr_eq(const struct vref *v, const char *s, size_t len)
{
	struct vr_it	it;
	size_t		i;

	if (v->enc == VR_RAW)
		return v->len == len && memcmp(v->p, s, len) == 0;
	vr_init(&it, v);
	for (i = 0; i < len; i++)
		if (vr_next(&it) != (uint8_t)s[i])
			return 0;
	return vr_next(&it) == -1;
}

static int
vr_prefix(const struct vref *v, const char *s)
{
	struct vr_it	it;
	size_t		i, len = strlen(s);

	if (v->enc == VR_RAW)
		return v->len >= len && memcmp(v->p, s, len) == 0;
	vr_init(&it, v);
	for (i = 0; i < len; i++)
		if (vr_next(&it) != (uint8_t)s[i])
			return 0;
	return 1;
}

/* A value for a person: quoted, escaped, cut at EV_SHOW_MAX bytes. */
static void
vr_show(const struct vref *v, char *out, size_t outlen)
{
	struct vr_it	it;
	size_t		n = 0, k = 0;
	int		c;

	vr_init(&it, v);
	if (outlen < 16)
		return;
	out[n++] = '"';
	while ((c = vr_next(&it)) != -1 && n + 8 < outlen) {
		if (k++ == EV_SHOW_MAX) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x",
			    c);
		else
			out[n++] = (char)c;
	}
	out[n++] = '"';
	out[n] = '\0';
}

static const char *
op_str(enum pol_op op)
{
	switch (op) {
	case PO_EQ:	return "=";
	case PO_NE:	return "!=";
	case PO_IN:	return "in";
	case PO_PREFIX:	return "prefix";
	case PO_LT:	return "<";
	case PO_LE:	return "<=";
	case PO_GT:	return ">";
	case PO_GE:	return ">=";
	}
	return "?";
}

/* "{a b c}", cut to fit with " ..." before the '}'. */
void
pm_list_str(const struct pol_list *l, char *buf, size_t len)
{
	size_t	i, n = 1, k;

	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	buf[0] = '{';
	for (i = 0; i < l->n; i++) {
		k = strlen(l->v[i]);
		/* keep room for " ...}" and the NUL */
		if (n + (i > 0) + k + 6 > len) {
			memcpy(buf + n, " ...", 4);
			n += 4;
			break;
		}
		if (i > 0)
			buf[n++] = ' ';
		memcpy(buf + n, l->v[i], k);
		n += k;
	}
	buf[n++] = '}';
	buf[n] = '\0';
}

/* "< 5", "in {a b}". */
void
pm_cmp_str(enum pol_op op, const struct pol_list *vals, char *buf, size_t len)
{
	char	lb[96];

	if (op == PO_IN)
		pm_list_str(vals, lb, sizeof(lb));
	else
		snprintf(lb, sizeof(lb), "%s", vals->n > 0 ? vals->v[0] : "");
	snprintf(buf, len, "%s %s", op_str(op), lb);
}

static enum rm_result	ev_cmp_dec(enum pol_op, const struct pol_list *,
			    const struct vref *, const char *, size_t, int);

/*
 * A comparison (policy-lang.md): =, != and in compare as decimals when
 * both sides are decimals and byte for byte otherwise; prefix compares
 * bytes; < <= > >= need decimals, and a value that is not one is
 * RM_BROKEN.  A decimal is one at any length: a value that does not
 * fit the buffer on the stack is copied to the heap for the test, so
 * that "0.5" with seventy zeros after it equals 0.5 (byte for byte it
 * did not, and a deny rule on 0.5 let it through).
 */
static enum rm_result
ev_cmp(enum pol_op op, const struct pol_list *vals, const struct vref *v)
{
	char		 sbuf[EV_DEC_MAX], *buf = sbuf;
	size_t		 len;
	enum rm_result	 m;

	if (vals->n == 0)
		return RM_BROKEN;
	len = vr_copy(v, sbuf, sizeof(sbuf));
	if (len > sizeof(sbuf)) {
		if ((buf = malloc(len)) == NULL)
			return RM_BROKEN;
		(void)vr_copy(v, buf, len);
	}
	m = ev_cmp_dec(op, vals, v, buf, len, pol_dec_valid(buf, len));
	if (buf != sbuf)
		free(buf);
	return m;
}

/*
 * The value (its bytes in buf[0..len)) against the decimal d: exactly as
 * the ratio num / den when v carries one, not as its rounded text.
 */
static int
vr_dec_cmp(const struct vref *v, const char *buf, size_t len, const char *d,
    size_t dlen, int *cmp)
{
	if (v->num != NULL && v->den != NULL)
		return pol_dec_ratio_cmp(v->num, strlen(v->num), v->den,
		    strlen(v->den), d, dlen, cmp);
	return pol_dec_cmp(buf, len, d, dlen, cmp);
}

/* ev_cmp, with the value's bytes in buf[0..len) and whether a decimal. */
static enum rm_result
ev_cmp_dec(enum pol_op op, const struct pol_list *vals, const struct vref *v,
    const char *buf, size_t len, int dec)
{
	size_t	i, vl;
	int	c, found = 0;

	switch (op) {
	case PO_EQ:
	case PO_NE:
	case PO_IN:
		for (i = 0; i < (op == PO_IN ? vals->n : 1) && !found; i++) {
			vl = strlen(vals->v[i]);
			if (dec && pol_dec_valid(vals->v[i], vl))
				found = vr_dec_cmp(v, buf, len, vals->v[i],
				    vl, &c) == 0 && c == 0;
			else
				found = vr_eq(v, vals->v[i], vl);
		}
		if (op == PO_NE)
			found = !found;
		return found ? RM_MATCH : RM_NOMATCH;
	case PO_PREFIX:
		return vr_prefix(v, vals->v[0]) ? RM_MATCH : RM_NOMATCH;
	case PO_LT:
	case PO_LE:
	case PO_GT:
	case PO_GE:
		if (!dec || vr_dec_cmp(v, buf, len, vals->v[0],
		    strlen(vals->v[0]), &c) != 0)
			return RM_BROKEN;
		if (op == PO_LT)
			found = c < 0;
		else if (op == PO_LE)
			found = c <= 0;
		else if (op == PO_GT)
			found = c > 0;
		else
			found = c >= 0;
		return found ? RM_MATCH : RM_NOMATCH;
	}
	return RM_BROKEN;
}

/* A comparison as ev_cmp makes it, of the plain bytes s[0..len). */
enum rm_result
pm_cmp(enum pol_op op, const struct pol_list *vals, const char *s,
    size_t len)
{
	struct vref	v;

	memset(&v, 0, sizeof(v));
	v.enc = VR_RAW;
	v.p = s;
	v.len = len;
	return ev_cmp(op, vals, &v);
}

/* 1 if s[0..len) is one of l's strings. */
int
pm_in_list(const struct pol_list *l, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i], s, len) == 0 && l->v[i][len] == '\0')
			return 1;
	return 0;
}

/*
 * Every %XX in the query is two hex digits, and none is a NUL; no '+',
 * which some servers read as a space and others as a plus, and no ';',
 * which some servers take for a '&' and others for a byte of the value,
 * so that the value a rule compares could be another than the exchange
 * reads.
 */
static int
q_check(struct ev_ctx *c)
{
	size_t	i;

	if (c->qstate != 0)
		return c->qstate;
	c->qstate = 1;
	for (i = 0; i < c->querylen; i++) {
		if (c->query[i] == '+' || c->query[i] == ';') {
			c->qstate = -1;
			c->qoff = i;
			break;
		}
		if (c->query[i] != '%')
			continue;
		if (c->querylen - i < 3 || hexval(c->query[i + 1]) < 0 ||
		    hexval(c->query[i + 2]) < 0 ||
		    (c->query[i + 1] == '0' && c->query[i + 2] == '0')) {
			c->qstate = -1;
			c->qoff = i;
			break;
		}
		i += 2;
	}
	return c->qstate;
}

/* 1 if the encoded name s[0..len) decodes to name. */
static int
q_name_eq(const char *s, size_t len, const char *name)
{
	struct vref	v;

	memset(&v, 0, sizeof(v));
	v.enc = VR_PCT;
	v.p = s;
	v.len = len;
	return vr_eq(&v, name, strlen(name));
}

/*
 * How many times parameter name is in the (checked) query: '&'
 * separates pairs, the first '=' the name from the value (none: the
 * value is empty), %XX decodes; '+' stays a '+'.  *v: the last value.
 */
static size_t
q_find(const struct ev_ctx *c, const char *name, struct vref *v)
{
	const char	*s = c->query, *end = c->query + c->querylen, *e, *eq;
	size_t		 n = 0;

	while (s < end) {
		if ((e = memchr(s, '&', (size_t)(end - s))) == NULL)
			e = end;
		if ((eq = memchr(s, '=', (size_t)(e - s))) == NULL)
			eq = e;
		if (e > s && q_name_eq(s, (size_t)(eq - s), name)) {
			n++;
			v->enc = VR_PCT;
			v->p = eq < e ? eq + 1 : e;
			v->len = (size_t)(e - v->p);
		}
		s = e + 1;
	}
	return n;
}

/* Matching. */

static enum rm_result
ev_who(struct ev_ctx *c, const struct pol_rule *r, char *det, size_t dl)
{
	const struct policy_req	*q = c->req;
	char			 lb[96];

	switch (r->who) {
	case PW_ANY:
		return RM_MATCH;
	case PW_OPERATOR:
		if (q->actor == POLICY_ACTOR_OPERATOR && (r->names.n == 0 ||
		    pm_in_list(&r->names, c->uid, strlen(c->uid))))
			return RM_MATCH;
		if (c->explain) {
			pm_list_str(&r->names, lb, sizeof(lb));
			if (q->actor == POLICY_ACTOR_ANON)
				ev_fmt(det, dl, "who: an unsigned request, "
				    "not an operator");
			else if (q->actor != POLICY_ACTOR_OPERATOR)
				ev_fmt(det, dl, "who: a client, not an "
				    "operator");
			else
				ev_fmt(det, dl, "who: operator uid %s is "
				    "not in %s", c->uid, lb);
		}
		return RM_NOMATCH;
	case PW_CLIENT:
		if (q->actor == POLICY_ACTOR_CLIENT && q->client != NULL &&
		    pm_in_list(&r->names, q->client, strlen(q->client)))
			return RM_MATCH;
		if (c->explain) {
			pm_list_str(&r->names, lb, sizeof(lb));
			if (q->actor == POLICY_ACTOR_ANON)
				ev_fmt(det, dl, "who: an unsigned request, "
				    "not a client");
			else if (q->actor != POLICY_ACTOR_CLIENT)
				ev_fmt(det, dl, "who: operator uid %s, not "
				    "a client", c->uid);
			else
				ev_fmt(det, dl, "who: client \"%.48s\" is "
				    "not in %s", q->client != NULL ?
				    q->client : "", lb);
		}
		return RM_NOMATCH;
	}
	return RM_NOMATCH;
}

/* The predicates that say whether a rule addresses the request. */
static enum rm_result
ev_addr(struct ev_ctx *c, const struct pol_pred *pp, char *det, size_t dl)
{
	const struct policy_req	*q = c->req;
	const char		*what, *s;
	struct vref		 v;
	char			 lb[96], sb[EV_SHOW_MAX * 4 + 8];
	size_t			 i;

	switch (pp->kind) {
	case PP_LEVEL:
		if ((pp->levels >> q->level) & 1)
			return RM_MATCH;
		if (c->explain) {
			for (i = 0, lb[0] = '\0'; i < POLICY_L_COUNT; i++)
				if ((pp->levels >> i) & 1)
					snprintf(lb + strlen(lb),
					    sizeof(lb) - strlen(lb), "%s%s",
					    lb[0] ? " " : "", level_names[i]);
			ev_fmt(det, dl, "level %s is not in {%s}",
			    level_names[q->level], lb);
		}
		return RM_NOMATCH;
	case PP_PATH:
		for (i = 0; i < pp->list.n; i++)
			if (catalog_path_match(pp->list.v[i], c->path,
			    c->pathlen, 0))
				return RM_MATCH;
		what = "path";
		v.p = c->path;
		v.len = c->pathlen;
		break;
	case PP_METHOD:
	case PP_ACCOUNT:
	case PP_PROFILE:
		what = pp->kind == PP_METHOD ? "method" :
		    pp->kind == PP_ACCOUNT ? "account" : "profile";
		s = pp->kind == PP_METHOD ? q->method :
		    pp->kind == PP_ACCOUNT ? q->account : q->profile;
		if (s == NULL)
			s = "";
		if (pm_in_list(&pp->list, s, strlen(s)))
			return RM_MATCH;
		v.p = s;
		v.len = strlen(s);
		break;
	default:
		return RM_MATCH;
	}
	if (c->explain) {
		v.enc = VR_RAW;
		vr_show(&v, sb, sizeof(sb));
		pm_list_str(&pp->list, lb, sizeof(lb));
		ev_fmt(det, dl, "%s %s is not in %s", what, sb, lb);
	}
	return RM_NOMATCH;
}

/* One value against a content predicate's comparison. */
static enum rm_result
ev_value(struct ev_ctx *c, const struct pol_pred *pp, const char *what,
    const struct vref *v, char *det, size_t dl)
{
	enum rm_result	 m;
	char		 cb[128], sb[EV_SHOW_MAX * 4 + 8];

	if ((m = ev_cmp(pp->op, &pp->vals, v)) == RM_BROKEN)
		ev_fmt(det, dl, "%s is not a decimal", what);
	else if (m == RM_NOMATCH && c->explain) {
		vr_show(v, sb, sizeof(sb));
		pm_cmp_str(pp->op, &pp->vals, cb, sizeof(cb));
		if (v->num != NULL)
			ev_fmt(det, dl, "%s is %.*s / %.*s, not %s", what,
			    EV_SHOW_MAX, v->num, EV_SHOW_MAX, v->den, cb);
		else
			ev_fmt(det, dl, "%s is %s, not %s", what, sb, cb);
	}
	return m;
}

/*
 * A field that the kind says is the ratio of two others (the order's
 * price, notional / size) is compared as that ratio, exactly, when the
 * request gives each of them once as a decimal (the size above 0);
 * else as its text.
 */
static void
ev_ratio(const struct policy_req *q, const struct pol_kind *kd,
    const char *name, struct vref *v)
{
	const char	*nd[2] = { NULL, NULL };
	size_t		 i, k;
	int		 sgn;

	v->num = v->den = NULL;
	if (kd == NULL || kd->ratio[0] == NULL ||
	    strcmp(kd->ratio[0], name) != 0)
		return;
	for (i = 0; i < q->nfields; i++)
		for (k = 0; k < 2; k++) {
			if (q->fields[i].name == NULL ||
			    q->fields[i].value == NULL ||
			    strcmp(q->fields[i].name, kd->ratio[k + 1]) != 0)
				continue;
			if (nd[k] != NULL)
				return;		/* twice: which one? */
			nd[k] = q->fields[i].value;
		}
	if (nd[0] == NULL || nd[1] == NULL ||
	    !pol_dec_valid(nd[0], strlen(nd[0])) ||
	    !pol_dec_valid(nd[1], strlen(nd[1])))
		return;
	/* a size of 0 has no price: the text is compared */
	if (pol_dec_cmp(nd[1], strlen(nd[1]), "0", 1, &sgn) != 0 || sgn <= 0)
		return;
	v->num = nd[0];
	v->den = nd[1];
}

/* The predicates on what the request carries. */
static enum rm_result
ev_content(struct ev_ctx *c, const struct pol_pred *pp, char *det,
    size_t dl)
{
	const struct policy_req	*q = c->req;
	const struct pol_kind	*kd;
	struct pj_val		 jv;
	struct vref		 v;
	enum rm_result		 m, worst = RM_MATCH;
	char			 what[2 * EV_SHOW_MAX + 2], tmp[EV_DET_MAX];
	size_t			 i, n;
	int			 multi = 0, anymatch = 0;

	memset(&v, 0, sizeof(v));
	switch (pp->kind) {
	case PP_CATALOG:
		if (q->in_catalog)
			return RM_MATCH;
		if (c->explain)
			ev_fmt(det, dl, "catalog: the endpoint catalog does "
			    "not admit the request");
		return RM_NOMATCH;
	case PP_NONCE:
		if (q->level != POLICY_L_L1) {
			if (c->explain)
				ev_fmt(det, dl, "nonce: the request is not "
				    "signed at l1");
			return RM_NOMATCH;
		}
		snprintf(what, sizeof(what), "%llu",
		    (unsigned long long)q->nonce);
		v.enc = VR_RAW;
		v.p = what;
		v.len = strlen(what);
		if ((m = ev_cmp(pp->op, &pp->vals, &v)) == RM_NOMATCH &&
		    c->explain) {
			char	cb[128];

			pm_cmp_str(pp->op, &pp->vals, cb, sizeof(cb));
			ev_fmt(det, dl, "nonce %s is not %s", what, cb);
		} else if (m == RM_BROKEN)
			ev_fmt(det, dl, "nonce: the rule's value is not a "
			    "decimal");
		return m;
	case PP_QUERY:
		ev_what(what, sizeof(what), "query", pp->name);
		if (c->query == NULL || c->querylen == 0) {
			if (c->explain)
				ev_fmt(det, dl, "%s is missing", what);
			return RM_NOMATCH;
		}
		if (q_check(c) < 0) {
			if (c->query[c->qoff] == '+')
				ev_fmt(det, dl, "query has a '+' at byte %zu "
				    "(a space or a plus: send %%20 or %%2B)",
				    c->qoff);
			else if (c->query[c->qoff] == ';')
				ev_fmt(det, dl, "query has a ';' at byte %zu "
				    "(a separator or a byte: send & or %%3B)",
				    c->qoff);
			else
				ev_fmt(det, dl, "query has bad %%-encoding at "
				    "byte %zu", c->qoff);
			return RM_BROKEN;
		}
		if ((n = q_find(c, pp->name, &v)) > 1) {
			ev_fmt(det, dl, "query parameter \"%.48s\" appears "
			    "%zu times", pp->name, n);
			return RM_BROKEN;
		}
		if (n == 0) {
			if (c->explain)
				ev_fmt(det, dl, "%s is missing", what);
			return RM_NOMATCH;
		}
		return ev_value(c, pp, what, &v, det, dl);
	case PP_BODY:
		ev_what(what, sizeof(what), "body", pp->name);
		if (q->bodylen == 0) {
			if (c->explain)
				ev_fmt(det, dl, "%s is missing: no body",
				    what);
			return RM_NOMATCH;
		}
		if (c->bstate == 0)
			c->bstate = pj_validate(q->body, q->bodylen, &c->boff,
			    &c->bwhat) == 0 ? 1 : -1;
		if (c->bstate < 0) {
			ev_fmt(det, dl, "body is not strict JSON: %s at "
			    "byte %zu", c->bwhat, c->boff);
			return RM_BROKEN;
		}
		switch (pj_lookup(q->body, q->bodylen, pp->name,
		    strlen(pp->name), &jv)) {
		case 0:
			break;
		case CV_ERR_NOTFOUND:
			if (c->explain)
				ev_fmt(det, dl, "%s is missing", what);
			return RM_NOMATCH;
		default:
			ev_fmt(det, dl, "%s: not a JSON pointer", what);
			return RM_BROKEN;
		}
		if (jv.kind == PJ_OBJECT || jv.kind == PJ_ARRAY) {
			ev_fmt(det, dl, "%s is an %s, not a value", what,
			    jv.kind == PJ_OBJECT ? "object" : "array");
			return RM_BROKEN;
		}
		v.enc = jv.kind == PJ_STRING ? VR_JSON : VR_RAW;
		v.p = (const char *)jv.p;
		v.len = jv.len;
		return ev_value(c, pp, what, &v, det, dl);
	case PP_FIELD:
		ev_what(what, sizeof(what), pp->kind_name, pp->name);
		if (q->kind == NULL || strcmp(q->kind, pp->kind_name) != 0) {
			if (c->explain)
				ev_fmt(det, dl, "%s is missing: the request "
				    "is %s%s", what, q->kind != NULL ?
				    "a " : "of no kind", q->kind != NULL ?
				    q->kind : "");
			return RM_NOMATCH;
		}
		if ((kd = pol_kind_find(pp->kind_name)) != NULL)
			for (i = 0; i < 4 && kd->multi[i] != NULL; i++)
				if (strcmp(kd->multi[i], pp->name) == 0)
					multi = 1;
		for (i = 0, n = 0; i < q->nfields; i++) {
			if (q->fields[i].name == NULL ||
			    q->fields[i].value == NULL ||
			    strcmp(q->fields[i].name, pp->name) != 0)
				continue;
			if (++n > 1 && !multi) {
				ev_fmt(det, dl, "%s is given twice", what);
				return RM_BROKEN;
			}
			v.enc = VR_RAW;
			v.p = q->fields[i].value;
			v.len = strlen(v.p);
			ev_ratio(q, kd, pp->name, &v);
			/*
			 * A multi-valued field: an allow needs every value
			 * to satisfy, a deny or an approval any one (one more
			 * permission asked for must not take a key past a
			 * deny).
			 */
			tmp[0] = '\0';
			m = ev_value(c, pp, what, &v, tmp, sizeof(tmp));
			if (m == RM_BROKEN) {
				ev_fmt(det, dl, "%s", tmp);
				return m;
			}
			if (m == RM_MATCH)
				anymatch = 1;
			if (m == RM_NOMATCH && worst == RM_MATCH) {
				worst = m;
				ev_fmt(det, dl, "%s", tmp);
			}
		}
		if (n == 0) {
			if (c->explain)
				ev_fmt(det, dl, "%s is missing", what);
			return RM_NOMATCH;
		}
		if (multi && c->any_value)
			return anymatch ? RM_MATCH : RM_NOMATCH;
		return worst;
	default:
		return RM_MATCH;
	}
}

/*
 * What rule r says of the request.  Addressing first (level, method,
 * path, who, account, profile): a miss there is a plain no-match.
 * Then every content predicate, so that a rule that cannot read what it
 * inspects denies whatever order its predicates are in.  det (EV_DET_MAX)
 * gets the reason for RM_BROKEN, and for RM_NOMATCH when explaining.
 */
enum rm_result
pm_rule(struct ev_ctx *c, const struct pol_rule *r, char *det, size_t dl)
{
	const struct pol_pred	*pp;
	enum rm_result		 m, res = RM_MATCH;
	char			 tmp[EV_DET_MAX];
	size_t			 i;
	int			 pass;

	det[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < r->npreds; i++) {
			pp = &r->preds[i];
			if (pass == 0 && pp->kind != PP_LEVEL &&
			    pp->kind != PP_METHOD && pp->kind != PP_PATH)
				continue;
			if (pass == 1 && pp->kind != PP_ACCOUNT &&
			    pp->kind != PP_PROFILE)
				continue;
			if (ev_addr(c, pp, det, dl) != RM_MATCH)
				return RM_NOMATCH;
		}
		if (pass == 0 && ev_who(c, r, det, dl) != RM_MATCH)
			return RM_NOMATCH;
	}
	c->any_value = r->effect != POLICY_ALLOW && !c->all_values;
	for (i = 0; i < r->npreds; i++) {
		pp = &r->preds[i];
		switch (pp->kind) {
		case PP_QUERY:
		case PP_BODY:
		case PP_NONCE:
		case PP_CATALOG:
		case PP_FIELD:
			break;
		default:
			continue;
		}
		tmp[0] = '\0';
		m = ev_content(c, pp, tmp, sizeof(tmp));
		if (m == RM_BROKEN) {
			ev_fmt(det, dl, "%s", tmp);
			return RM_BROKEN;
		}
		if (m == RM_NOMATCH && res == RM_MATCH) {
			res = RM_NOMATCH;
			ev_fmt(det, dl, "%s", tmp);
		}
	}
	return res;
}
