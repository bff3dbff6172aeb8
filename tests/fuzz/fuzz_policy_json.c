/*
 * Fuzz the strict JSON reader of the policy engine's body predicates
 * (policy/policy_json.h): the input is a request body as a gateway
 * client would send it.  A refusal must say why, at a byte of the
 * input.  Text that validates is then read as the engine reads it: a
 * few JSON pointers looked up, each value found checked to lie inside
 * the text and to be strict JSON itself, strings decoded every way the
 * reader offers and compared, numbers compared as decimals.  jansson
 * reads the same bytes as a reference: where both accept the text they
 * must find the same values (names matched without regard to case), and each may refuse what the other takes
 * only for a reason the two are known to differ on.  Any disagreement
 * aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "policy/policy_int.h"
#include "policy/policy_json.h"

#define SMALL	8	/* a buffer pj_str must cut, not overrun */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Pointers the engine might name, and ones it must refuse. */
static const char *const ptrs[] = {
	"", "/a", "/order/price", "/0", "/order", "/0/0", "/a~1b", "/~0",
	"/", "/00",
};
#define NPTRS	(sizeof(ptrs) / sizeof(ptrs[0]))
/* The same pointers as steps, their ~0 and ~1 decoded by hand. */
static const struct {
	size_t		 n;
	const char	*tok[2];
} steps[NPTRS] = {
	{ 0, { NULL } }, { 1, { "a" } }, { 2, { "order", "price" } },
	{ 1, { "0" } }, { 1, { "order" } }, { 2, { "0", "0" } },
	{ 1, { "a/b" } }, { 1, { "~" } }, { 1, { "" } }, { 1, { "00" } },
};
static const char *const badptrs[] = { "a", "/~", "/~2", "/a~" };

/* 1 if s[0..len) is UTF-8 without overlongs, surrogates or a NUL. */
static int
utf8_clean(const uint8_t *s, size_t len)
{
	size_t		i = 0, need, k;
	uint32_t	cp, min;

	while (i < len) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			need = 1; cp = s[i] & 0x1f; min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			need = 2; cp = s[i] & 0x0f; min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			need = 3; cp = s[i] & 0x07; min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* The kind a value's first byte says. */
static enum pj_kind
kind_of(uint8_t c)
{
	switch (c) {
	case '{':	return PJ_OBJECT;
	case '[':	return PJ_ARRAY;
	case '"':	return PJ_STRING;
	case 't':	return PJ_TRUE;
	case 'f':	return PJ_FALSE;
	case 'n':	return PJ_NULL;
	default:	return PJ_NUMBER;
	}
}

/*
 * A value found in data[0..size): inside it, of the kind its first byte
 * says, strict JSON on its own (with its quotes, for a string).  A
 * string decodes to the same clean UTF-8 through pj_str, pj_sit_next,
 * pj_str_eq and pj_str_prefix; *dec (malloc'd, the caller frees) and
 * *declen get it.  Other kinds are no string to any of them.
 */
static void
check_val(const uint8_t *data, size_t size, const struct pj_val *v,
    uint8_t **dec, size_t *declen)
{
	struct pj_sit	 it;
	const uint8_t	*s;
	uint8_t		*buf = NULL;
	char		 small[SMALL];
	size_t		 n, n2, i;
	int		 c, r;

	*dec = NULL;
	*declen = 0;
	if (v->p < data || v->p > data + size ||
	    (v->kind == PJ_STRING && v->p == data))
		abort();
	s = v->kind == PJ_STRING ? v->p - 1 : v->p;
	n = v->kind == PJ_STRING ? v->len + 2 : v->len;
	if (n == 0 || n > size || (size_t)(s - data) > size - n ||
	    kind_of(s[0]) != v->kind)
		abort();
	if (pj_validate(s, n, NULL, NULL) != 0)
		abort();
	if (v->kind != PJ_STRING) {
		if (pj_str(v, small, sizeof(small), &n2) != CV_ERR_INVALID ||
		    pj_str_eq(v, "", 0) != 0 || pj_str_prefix(v, "", 0) != 0)
			abort();
		return;
	}
	if (s[n - 1] != '"' || (buf = malloc(v->len + 1)) == NULL)
		abort();
	if (pj_str(v, (char *)buf, v->len + 1, &n) != 0 || n > v->len ||
	    !utf8_clean(buf, n))
		abort();
	r = pj_str(v, small, sizeof(small), &n2);
	if (n2 != n || r != (n > SMALL ? CV_ERR_TOOLONG : 0) ||
	    memcmp(small, buf, n < SMALL ? n : SMALL) != 0)
		abort();
	pj_sit_init(&it, v->p, v->len);
	for (i = 0; (c = pj_sit_next(&it)) != -1; i++)
		if (i >= n || c != buf[i])
			abort();
	buf[n] = 'x';		/* one byte more than the string has */
	if (i != n || !pj_str_eq(v, (char *)buf, n) ||
	    !pj_str_prefix(v, (char *)buf, n) ||
	    !pj_str_prefix(v, (char *)buf, n / 2) ||
	    pj_str_eq(v, (char *)buf, n + 1) ||
	    pj_str_prefix(v, (char *)buf, n + 1) ||
	    (n > 0 && pj_str_eq(v, (char *)buf, n - 1)))
		abort();
	*dec = buf;
	*declen = n;
}

/* Two values compare alike whichever side asks. */
static void
compare(const struct pj_val *a, const uint8_t *da, size_t na,
    const struct pj_val *b, const uint8_t *db, size_t nb)
{
	int	ca, cb, same;

	if (a->kind == PJ_STRING && b->kind == PJ_STRING) {
		same = na == nb && memcmp(da, db, na) == 0;
		if (pj_str_eq(a, (const char *)db, nb) != same ||
		    pj_str_eq(b, (const char *)da, na) != same)
			abort();
	}
	if (a->kind == PJ_NUMBER && b->kind == PJ_NUMBER &&
	    pol_dec_valid((const char *)a->p, a->len) &&
	    pol_dec_valid((const char *)b->p, b->len)) {
		if (pol_dec_cmp((const char *)a->p, a->len,
		    (const char *)b->p, b->len, &ca) != 0 ||
		    pol_dec_cmp((const char *)b->p, b->len,
		    (const char *)a->p, a->len, &cb) != 0 ||
		    (ca > 0) != (cb < 0) || (ca == 0) != (cb == 0))
			abort();
	}
}

/*
 * The next code point of s[0..len) at *i, folded as policy_json.c folds
 * names (ASCII letters, U+017F long s, U+212A Kelvin sign), or -1 at
 * the end.  s is clean UTF-8 (jansson's strings, the pointers here).
 */
static long
ref_fold_next(const char *s, size_t len, size_t *i)
{
	const uint8_t	*u = (const uint8_t *)s;
	long		 cp;
	size_t		 need, k;

	if (*i >= len)
		return -1;
	if (u[*i] < 0x80)
		need = 0, cp = u[*i];
	else if ((u[*i] & 0xe0) == 0xc0)
		need = 1, cp = u[*i] & 0x1f;
	else if ((u[*i] & 0xf0) == 0xe0)
		need = 2, cp = u[*i] & 0x0f;
	else
		need = 3, cp = u[*i] & 0x07;
	for (k = 1; k <= need && *i + k < len; k++)
		cp = cp << 6 | (u[*i + k] & 0x3f);
	*i += need + 1;
	if (cp >= 'A' && cp <= 'Z')
		return cp + ('a' - 'A');
	return cp == 0x17f ? 's' : cp == 0x212a ? 'k' : cp;
}

/* 1 if two names are one without regard to case. */
static int
ref_fold_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t	i = 0, j = 0;
	long	ca, cb;

	do {
		ca = ref_fold_next(a, alen, &i);
		cb = ref_fold_next(b, blen, &j);
		if (ca != cb)
			return 0;
	} while (ca != -1);
	return 1;
}

/*
 * What jansson finds at pointer i, or NULL: RFC 6901 on its tree, a
 * member's name matched without regard to case as policy_json.h says
 * (jansson refused two names that are one exactly; for two that are
 * one but for case, pj_validate refused the text).
 */
static json_t *
ref_lookup(json_t *j, size_t i)
{
	const char	*t, *key;
	json_t		*m, *hit;
	size_t		 k, idx, d;

	for (k = 0; k < steps[i].n && j != NULL; k++) {
		t = steps[i].tok[k];
		if (json_is_object(j)) {
			hit = NULL;
			json_object_foreach(j, key, m)
				if (ref_fold_eq(key, strlen(key), t,
				    strlen(t)))
					hit = m;
			j = hit;
			continue;
		}
		/* an index: "0", or digits without a leading zero */
		if (!json_is_array(j) || t[0] == '\0' ||
		    (t[0] == '0' && t[1] != '\0') ||
		    strspn(t, "0123456789") != strlen(t))
			return NULL;
		for (idx = 0, d = 0; t[d] != '\0'; d++)
			idx = idx * 10 + (size_t)(t[d] - '0');
		j = json_array_get(j, idx);
	}
	return j;
}

/* The kind jansson gives a value, as policy_json.h names kinds. */
static enum pj_kind
ref_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:	return PJ_OBJECT;
	case JSON_ARRAY:	return PJ_ARRAY;
	case JSON_STRING:	return PJ_STRING;
	case JSON_TRUE:		return PJ_TRUE;
	case JSON_FALSE:	return PJ_FALSE;
	case JSON_NULL:		return PJ_NULL;
	default:		return PJ_NUMBER;
	}
}

/*
 * jansson on the same bytes.  Known differences: policy_json.h limits
 * depth, open members and length; jansson refuses a number too big for
 * a double or a json_int_t (we keep numbers as text) and passes over a
 * NUL byte outside a string (so text with one is not compared).
 */
static void
against_jansson(const uint8_t *data, size_t size, int r, const char *what,
    const struct pj_val *v, const int *found, uint8_t *const *dec,
    const size_t *declen)
{
	json_error_t	 err;
	json_t		*root, *j;
	size_t		 i;

	if (memchr(data, '\0', size) != NULL)
		return;
	root = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &err);
	if (r != 0) {
		if (root != NULL && size <= PJ_MAX_LEN &&
		    strcmp(what, "nested deeper than 32") != 0 &&
		    strcmp(what, "more than 4096 members open") != 0 &&
		    strcmp(what, "duplicate key but for case") != 0)
			abort();
		goto out;
	}
	if (root == NULL) {
		if (strstr(err.text, "too big") == NULL &&
		    strstr(err.text, "overflow") == NULL)
			abort();
		goto out;
	}
	for (i = 0; i < NPTRS; i++) {
		j = ref_lookup(root, i);
		if ((j != NULL) != found[i])
			abort();
		if (j == NULL)
			continue;
		if (ref_kind(j) != v[i].kind)
			abort();
		if (v[i].kind == PJ_STRING &&
		    (json_string_length(j) != declen[i] ||
		    memcmp(json_string_value(j), dec[i], declen[i]) != 0))
			abort();
	}
 out:
	json_decref(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pj_val	 v[NPTRS], sub;
	uint8_t		*dec[NPTRS];
	size_t		 declen[NPTRS];
	int		 found[NPTRS];
	const char	*what = NULL;
	size_t		 off = SIZE_MAX, i, j;
	int		 r;

	r = pj_validate(data, size, &off, &what);
	if (r != pj_validate(data, size, NULL, NULL))
		abort();
	if (r != 0) {
		if (r != (size > PJ_MAX_LEN ? CV_ERR_TOOLONG :
		    CV_ERR_INVALID) || what == NULL || what[0] == '\0' ||
		    off > size)
			abort();
		against_jansson(data, size, r, what, NULL, NULL, NULL, NULL);
		return 0;
	}
	if (size > PJ_MAX_LEN)
		abort();
	for (i = 0; i < sizeof(badptrs) / sizeof(badptrs[0]); i++)
		if (pj_lookup(data, size, badptrs[i], strlen(badptrs[i]),
		    &sub) != CV_ERR_INVALID)
			abort();
	for (i = 0; i < NPTRS; i++) {
		dec[i] = NULL;
		declen[i] = 0;
		r = pj_lookup(data, size, ptrs[i], strlen(ptrs[i]), &v[i]);
		if (r != 0 && r != CV_ERR_NOTFOUND)
			abort();
		if ((found[i] = r == 0))
			check_val(data, size, &v[i], &dec[i], &declen[i]);
	}
	/* the whole text is always there; a step in means a container */
	if (!found[0])
		abort();
	for (i = 1; i < NPTRS; i++)
		if (found[i] && v[0].kind != PJ_OBJECT &&
		    v[0].kind != PJ_ARRAY)
			abort();
	/* "/order/price" is "/price" inside "/order" */
	if (found[2]) {
		if (!found[4] || v[4].kind != PJ_OBJECT ||
		    pj_lookup(v[4].p, v[4].len, "/price", 6, &sub) != 0 ||
		    sub.kind != v[2].kind || sub.p != v[2].p ||
		    sub.len != v[2].len)
			abort();
	}
	/* "/0/0" is "/0" inside "/0" */
	if (found[5] && (!found[3] || v[3].kind == PJ_STRING ||
	    pj_lookup(v[3].p, v[3].len, "/0", 2, &sub) != 0 ||
	    sub.p != v[5].p || sub.len != v[5].len))
		abort();
	for (i = 1; i < NPTRS; i++)
		for (j = i + 1; j < NPTRS; j++)
			if (found[i] && found[j])
				compare(&v[i], dec[i], declen[i], &v[j], dec[j],
				    declen[j]);
	against_jansson(data, size, 0, NULL, v, found, dec, declen);
	for (i = 0; i < NPTRS; i++)
		free(dec[i]);
	return 0;
}
