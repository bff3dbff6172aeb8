/*
 * A strict JSON reader (see policy_json.h for what strict means).
 *
 * pj_validate is a recursive descent bounded by PJ_MAX_DEPTH.  Duplicate
 * keys are found with a table on the stack: the members of every object
 * open at the moment, each with a hash of its unescaped, case-folded
 * key (pj_fold); a new key is compared (unescaped and folded) with the
 * earlier members of its own object whose hash is the same.  An object's members leave the
 * table when it closes, so the table bounds what is open, not the
 * document.  pj_lookup then walks the validated text without copying.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/policy_json.h"

struct pj_key {
	uint32_t	off;	/* of the escaped key, after its quote */
	uint32_t	len;
	uint32_t	h;
};

struct pj_parse {
	const uint8_t	*p;
	size_t		 len;
	size_t		 i;
	int		 depth;
	size_t		 nkeys;
	size_t		 eoff;
	const char	*what;
	struct pj_key	 keys[PJ_MAX_OPEN];
};

/* A pointer token's bytes, "~0" and "~1" read as '~' and '/'. */
struct pj_tok {
	const char	*t;
	size_t		 len, i;
};

#define FNV32_INIT	0x811c9dc5U
#define FNV32_PRIME	0x01000193U

static int	 pj_fail(struct pj_parse *, size_t, const char *);
static void	 pj_ws(struct pj_parse *);
static int	 pj_hex4(const uint8_t *, uint32_t *);
static int	 pj_string(struct pj_parse *, uint32_t *);
static int	 pj_number(struct pj_parse *);
static int	 pj_literal(struct pj_parse *, const char *);
static int	 pj_object(struct pj_parse *);
static int	 pj_array(struct pj_parse *);
static int	 pj_value(struct pj_parse *);
static uint32_t	 pj_fold(uint32_t);
static int32_t	 pj_cp(int (*)(void *), void *);
static int	 pj_sit_byte(void *);
static int	 pj_tok_byte(void *);
static int	 pj_key_eq(const uint8_t *, const struct pj_key *,
		    const struct pj_key *);
static size_t	 pj_skip_ws(const uint8_t *, size_t, size_t);
static size_t	 pj_skip_value(const uint8_t *, size_t, size_t);
static size_t	 pj_skip_string(const uint8_t *, size_t, size_t);
static int	 pj_token_eq(const char *, size_t, const uint8_t *, size_t);
static int	 pj_token_index(const char *, size_t, size_t *);

static int
pj_fail(struct pj_parse *P, size_t off, const char *what)
{
	if (P->what == NULL) {
		P->eoff = off;
		P->what = what;
	}
	return CV_ERR_INVALID;
}

static void
pj_ws(struct pj_parse *P)
{
	P->i = pj_skip_ws(P->p, P->len, P->i);
}

static int
pj_hex4(const uint8_t *s, uint32_t *out)
{
	uint32_t	v = 0;
	int		k;

	for (k = 0; k < 4; k++) {
		v <<= 4;
		if (s[k] >= '0' && s[k] <= '9')
			v |= (uint32_t)(s[k] - '0');
		else if (s[k] >= 'a' && s[k] <= 'f')
			v |= (uint32_t)(s[k] - 'a' + 10);
		else if (s[k] >= 'A' && s[k] <= 'F')
			v |= (uint32_t)(s[k] - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* The UTF-8 bytes of code point cp into b: how many. */
static unsigned
pj_utf8(uint32_t cp, uint8_t b[4])
{
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (uint8_t)(0xf0 | (cp >> 18));
	b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A string at P->i (its opening quote); P->i ends past the closing one.
 * *h: FNV-1a of the unescaped bytes.
 */
static int
pj_string(struct pj_parse *P, uint32_t *h)
{
	const uint8_t	*p = P->p;
	size_t		 len = P->len, i = P->i + 1, need, k;
	uint32_t	 hh = FNV32_INIT, cp, lo, min;
	uint8_t		 b[4];
	unsigned	 nb, j;

	for (;;) {
		if (i >= len)
			return pj_fail(P, i, "unterminated string");
		if (p[i] == '"')
			break;
		if (p[i] == '\\') {
			if (i + 1 >= len)
				return pj_fail(P, i, "unterminated string");
			switch (p[i + 1]) {
			case '"': case '\\': case '/':
				b[0] = p[i + 1]; nb = 1; break;
			case 'b': b[0] = '\b'; nb = 1; break;
			case 'f': b[0] = '\f'; nb = 1; break;
			case 'n': b[0] = '\n'; nb = 1; break;
			case 'r': b[0] = '\r'; nb = 1; break;
			case 't': b[0] = '\t'; nb = 1; break;
			case 'u':
				if (len - i < 6 || pj_hex4(p + i + 2, &cp) != 0)
					return pj_fail(P, i, "bad \\u escape");
				if (cp == 0)
					return pj_fail(P, i, "\\u0000 in a string");
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return pj_fail(P, i, "unpaired surrogate");
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (len - i < 12 || p[i + 6] != '\\' ||
					    p[i + 7] != 'u' ||
					    pj_hex4(p + i + 8, &lo) != 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return pj_fail(P, i,
						    "unpaired surrogate");
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					i += 6;
				}
				nb = pj_utf8(cp, b);
				i += 4;
				break;
			default:
				return pj_fail(P, i, "bad escape");
			}
			i += 2;
		} else if (p[i] < 0x20) {
			return pj_fail(P, i, "control character in a string");
		} else if (p[i] < 0x80) {
			b[0] = p[i++];
			nb = 1;
		} else {
			if ((p[i] & 0xe0) == 0xc0) {
				need = 1; cp = p[i] & 0x1f; min = 0x80;
			} else if ((p[i] & 0xf0) == 0xe0) {
				need = 2; cp = p[i] & 0x0f; min = 0x800;
			} else if ((p[i] & 0xf8) == 0xf0) {
				need = 3; cp = p[i] & 0x07; min = 0x10000;
			} else
				return pj_fail(P, i, "invalid UTF-8");
			if (len - i - 1 < need)
				return pj_fail(P, i, "invalid UTF-8");
			for (k = 1; k <= need; k++) {
				if ((p[i + k] & 0xc0) != 0x80)
					return pj_fail(P, i, "invalid UTF-8");
				cp = (cp << 6) | (p[i + k] & 0x3f);
			}
			if (cp < min || cp > 0x10ffff ||
			    (cp >= 0xd800 && cp <= 0xdfff))
				return pj_fail(P, i, "invalid UTF-8");
			memcpy(b, p + i, need + 1);
			nb = (unsigned)need + 1;
			i += need + 1;
		}
		/* the hash of the folded key, as pj_key_eq compares keys */
		if (nb == 1 && b[0] >= 'A' && b[0] <= 'Z')
			b[0] += 'a' - 'A';
		else if ((nb == 2 && b[0] == 0xc5 && b[1] == 0xbf) ||
		    (nb == 3 && b[0] == 0xe2 && b[1] == 0x84 && b[2] == 0xaa)) {
			b[0] = nb == 2 ? 's' : 'k';
			nb = 1;
		}
		for (j = 0; j < nb; j++)
			hh = (hh ^ b[j]) * FNV32_PRIME;
	}
	P->i = i + 1;
	if (h != NULL)
		*h = hh;
	return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
pj_number(struct pj_parse *P)
{
	const uint8_t	*p = P->p;
	size_t		 len = P->len, i = P->i, s;

	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0')
		i++;
	else if (i < len && p[i] >= '1' && p[i] <= '9') {
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
	} else
		return pj_fail(P, i, "bad number");
	if (i < len && p[i] == '.') {
		s = ++i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return pj_fail(P, i, "bad number");
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		s = i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == s)
			return pj_fail(P, i, "bad number");
	}
	P->i = i;
	return 0;
}

static int
pj_literal(struct pj_parse *P, const char *lit)
{
	size_t	n = strlen(lit);

	if (P->len - P->i < n || memcmp(P->p + P->i, lit, n) != 0)
		return pj_fail(P, P->i, "unexpected byte");
	P->i += n;
	return 0;
}

/*
 * A code point folded as an exchange that matches member names without
 * regard to case folds it: Go's encoding/json takes "orderid", "OrderId"
 * and "ORDERID" for a field "orderID", and "\u017fide" (long s) and
 * "\u212a" (Kelvin sign) for an s and a k.  Those two are the only
 * characters outside ASCII that fold to an ASCII letter, and the names
 * an exchange reads are ASCII.
 */
static uint32_t
pj_fold(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + ('a' - 'A');
	if (cp == 0x17f)
		return 's';
	if (cp == 0x212a)
		return 'k';
	return cp;
}

/*
 * The next code point of the UTF-8 bytes next(arg) gives, or -1 at
 * their end.  The bytes are valid UTF-8 (an unescaped key of validated
 * text, or a rule's pointer); whatever is not reads as a byte.
 */
static int32_t
pj_cp(int (*next)(void *), void *arg)
{
	int	c, k, need;
	int32_t	cp;

	if ((c = next(arg)) < 0x80)
		return c;
	if ((c & 0xe0) == 0xc0) {
		need = 1; cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		need = 2; cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		need = 3; cp = c & 0x07;
	} else
		return c;
	for (k = 0; k < need; k++) {
		if ((c = next(arg)) == -1)
			return -1;
		cp = cp << 6 | (c & 0x3f);
	}
	return cp;
}

static int
pj_sit_byte(void *arg)
{
	return pj_sit_next(arg);
}

static int
pj_tok_byte(void *arg)
{
	struct pj_tok	*k = arg;
	int		 c;

	if (k->i >= k->len)
		return -1;
	c = (uint8_t)k->t[k->i++];
	if (c == '~' && k->i < k->len)
		c = k->t[k->i++] == '0' ? '~' : '/';
	return c;
}

/*
 * Whether the two escaped keys unescape to the same name: 1 exactly, 2
 * only when case folded (pj_fold), 0 not.
 */
static int
pj_key_eq(const uint8_t *p, const struct pj_key *a, const struct pj_key *b)
{
	struct pj_sit	ia, ib;
	int32_t		ca, cb;
	int		exact = 1;

	pj_sit_init(&ia, p + a->off, a->len);
	pj_sit_init(&ib, p + b->off, b->len);
	do {
		ca = pj_cp(pj_sit_byte, &ia);
		cb = pj_cp(pj_sit_byte, &ib);
		if (ca == cb)
			continue;
		if (ca < 0 || cb < 0 ||
		    pj_fold((uint32_t)ca) != pj_fold((uint32_t)cb))
			return 0;
		exact = 0;
	} while (ca != -1);
	return exact ? 1 : 2;
}

static int
pj_object(struct pj_parse *P)
{
	struct pj_key	 k;
	size_t		 base = P->nkeys, j, start;
	int		 r;

	if (++P->depth > PJ_MAX_DEPTH)
		return pj_fail(P, P->i, "nested deeper than 32");
	P->i++;
	pj_ws(P);
	if (P->i < P->len && P->p[P->i] == '}') {
		P->i++;
		goto done;
	}
	for (;;) {
		if (P->i >= P->len || P->p[P->i] != '"')
			return pj_fail(P, P->i, "expected a key");
		start = P->i;
		if ((r = pj_string(P, &k.h)) != 0)
			return r;
		k.off = (uint32_t)start + 1;
		k.len = (uint32_t)(P->i - start - 2);
		for (j = base; j < P->nkeys; j++) {
			if (P->keys[j].h != k.h)
				continue;
			if ((r = pj_key_eq(P->p, &P->keys[j], &k)) == 1)
				return pj_fail(P, start, "duplicate key");
			if (r == 2)
				return pj_fail(P, start, "duplicate key but "
				    "for case");
		}
		if (P->nkeys >= PJ_MAX_OPEN)
			return pj_fail(P, start, "more than 4096 members open");
		P->keys[P->nkeys++] = k;
		pj_ws(P);
		if (P->i >= P->len || P->p[P->i] != ':')
			return pj_fail(P, P->i, "expected ':'");
		P->i++;
		if ((r = pj_value(P)) != 0)
			return r;
		pj_ws(P);
		if (P->i < P->len && P->p[P->i] == ',') {
			P->i++;
			pj_ws(P);
			continue;
		}
		if (P->i < P->len && P->p[P->i] == '}') {
			P->i++;
			break;
		}
		return pj_fail(P, P->i, "expected ',' or '}'");
	}
 done:
	P->nkeys = base;
	P->depth--;
	return 0;
}

static int
pj_array(struct pj_parse *P)
{
	int	r;

	if (++P->depth > PJ_MAX_DEPTH)
		return pj_fail(P, P->i, "nested deeper than 32");
	P->i++;
	pj_ws(P);
	if (P->i < P->len && P->p[P->i] == ']') {
		P->i++;
		goto done;
	}
	for (;;) {
		if ((r = pj_value(P)) != 0)
			return r;
		pj_ws(P);
		if (P->i < P->len && P->p[P->i] == ',') {
			P->i++;
			continue;
		}
		if (P->i < P->len && P->p[P->i] == ']') {
			P->i++;
			break;
		}
		return pj_fail(P, P->i, "expected ',' or ']'");
	}
 done:
	P->depth--;
	return 0;
}

/* A value, with the whitespace before it. */
static int
pj_value(struct pj_parse *P)
{
	pj_ws(P);
	if (P->i >= P->len)
		return pj_fail(P, P->i, "unexpected end");
	switch (P->p[P->i]) {
	case '{':
		return pj_object(P);
	case '[':
		return pj_array(P);
	case '"':
		return pj_string(P, NULL);
	case 't':
		return pj_literal(P, "true");
	case 'f':
		return pj_literal(P, "false");
	case 'n':
		return pj_literal(P, "null");
	default:
		return pj_number(P);
	}
}

int
pj_validate(const uint8_t *p, size_t len, size_t *off, const char **what)
{
	struct pj_parse	P;
	int		r = CV_ERR_INVALID;

	P.p = p;
	P.len = len;
	P.i = 0;
	P.depth = 0;
	P.nkeys = 0;
	P.eoff = 0;
	P.what = NULL;
	if (len > PJ_MAX_LEN) {
		r = CV_ERR_TOOLONG;
		pj_fail(&P, PJ_MAX_LEN, "larger than 65536 bytes");
		goto out;
	}
	if (p == NULL && len > 0)
		goto out;
	if ((r = pj_value(&P)) != 0)
		goto out;
	pj_ws(&P);
	if (P.i != len) {
		r = pj_fail(&P, P.i, "trailing bytes");
		goto out;
	}
	r = 0;
 out:
	if (r != 0) {
		if (off != NULL)
			*off = P.eoff;
		if (what != NULL)
			*what = P.what != NULL ? P.what : "not JSON";
	}
	return r;
}

void
pj_sit_init(struct pj_sit *it, const uint8_t *p, size_t len)
{
	it->p = p;
	it->end = p + len;
	it->npend = it->ipend = 0;
}

int
pj_sit_next(struct pj_sit *it)
{
	uint32_t	cp, lo;
	uint8_t		c;

	if (it->ipend < it->npend)
		return it->pend[it->ipend++];
	if (it->p >= it->end)
		return -1;
	c = *it->p++;
	if (c != '\\' || it->p >= it->end)
		return c;
	c = *it->p++;
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u':
		break;
	default:
		return c;
	}
	/* validated: four hex digits, and a low surrogate after a high */
	if (it->end - it->p < 4 || pj_hex4(it->p, &cp) != 0)
		return -1;
	it->p += 4;
	if (cp >= 0xd800 && cp <= 0xdbff && it->end - it->p >= 6 &&
	    pj_hex4(it->p + 2, &lo) == 0) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		it->p += 6;
	}
	it->npend = pj_utf8(cp, it->pend);
	it->ipend = 1;
	return it->pend[0];
}

int
pj_str(const struct pj_val *v, char *buf, size_t bufsz, size_t *outlen)
{
	struct pj_sit	it;
	size_t		n = 0;
	int		c, r = CV_ERR_INVALID;

	if (v->kind != PJ_STRING)
		goto out;
	pj_sit_init(&it, v->p, v->len);
	while ((c = pj_sit_next(&it)) != -1) {
		if (n < bufsz)
			buf[n] = (char)c;
		n++;
	}
	*outlen = n;
	r = n > bufsz ? CV_ERR_TOOLONG : 0;
 out:
	return r;
}

int
pj_str_eq(const struct pj_val *v, const char *s, size_t len)
{
	struct pj_sit	it;
	size_t		i;
	int		c;

	if (v->kind != PJ_STRING)
		return 0;
	pj_sit_init(&it, v->p, v->len);
	for (i = 0; i < len; i++)
		if ((c = pj_sit_next(&it)) != (uint8_t)s[i])
			return 0;
	return pj_sit_next(&it) == -1;
}

int
pj_str_prefix(const struct pj_val *v, const char *s, size_t len)
{
	struct pj_sit	it;
	size_t		i;

	if (v->kind != PJ_STRING)
		return 0;
	pj_sit_init(&it, v->p, v->len);
	for (i = 0; i < len; i++)
		if (pj_sit_next(&it) != (uint8_t)s[i])
			return 0;
	return 1;
}

static size_t
pj_skip_ws(const uint8_t *p, size_t len, size_t i)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' ||
	    p[i] == '\r'))
		i++;
	return i;
}

/* Past the string whose opening quote is at i. */
static size_t
pj_skip_string(const uint8_t *p, size_t len, size_t i)
{
	for (i++; i < len && p[i] != '"'; i++)
		if (p[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* Past the (validated) value at i. */
static size_t
pj_skip_value(const uint8_t *p, size_t len, size_t i)
{
	size_t	depth = 0;

	if (i >= len)
		return len;
	if (p[i] == '"')
		return pj_skip_string(p, len, i);
	if (p[i] != '{' && p[i] != '[') {
		while (i < len && p[i] != ',' && p[i] != '}' && p[i] != ']' &&
		    p[i] != ' ' && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\r')
			i++;
		return i;
	}
	while (i < len) {
		if (p[i] == '"') {
			i = pj_skip_string(p, len, i);
			continue;
		}
		if (p[i] == '{' || p[i] == '[')
			depth++;
		else if (p[i] == '}' || p[i] == ']') {
			if (--depth == 0)
				return i + 1;
		}
		i++;
	}
	return len;
}

/*
 * 1 if pointer token t[0..tlen) (with ~0 ~1) names the escaped key, case
 * folded (pj_fold): the member an exchange that folds names would read,
 * and the only one, since pj_validate refuses two that fold alike.
 */
static int
pj_token_eq(const char *t, size_t tlen, const uint8_t *key, size_t klen)
{
	struct pj_sit	it;
	struct pj_tok	tok;
	int32_t		ct, ck;

	pj_sit_init(&it, key, klen);
	tok.t = t;
	tok.len = tlen;
	tok.i = 0;
	do {
		ct = pj_cp(pj_tok_byte, &tok);
		ck = pj_cp(pj_sit_byte, &it);
		if (ct != ck && (ct < 0 || ck < 0 ||
		    pj_fold((uint32_t)ct) != pj_fold((uint32_t)ck)))
			return 0;
	} while (ct != -1);
	return 1;
}

/* An array index in canonical form ("0", or no leading zero). */
static int
pj_token_index(const char *t, size_t tlen, size_t *out)
{
	size_t	i, v = 0;

	if (tlen == 0 || tlen > 9 || (tlen > 1 && t[0] == '0'))
		return -1;
	for (i = 0; i < tlen; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (size_t)(t[i] - '0');
	}
	*out = v;
	return 0;
}

int
pj_lookup(const uint8_t *p, size_t len, const char *ptr, size_t ptrlen,
    struct pj_val *out)
{
	const char	*t;
	size_t		 i, k, tlen, pos, idx, n, ks;
	int		 found, r = CV_ERR_INVALID;

	if (ptrlen > 0 && ptr[0] != '/')
		goto out;
	for (k = 0; k < ptrlen; k++)
		if (ptr[k] == '~' && (k + 1 >= ptrlen ||
		    (ptr[k + 1] != '0' && ptr[k + 1] != '1')))
			goto out;
	r = CV_ERR_NOTFOUND;
	i = pj_skip_ws(p, len, 0);
	for (pos = 0; pos < ptrlen; pos += tlen + 1) {
		t = ptr + pos + 1;
		for (tlen = 0; pos + 1 + tlen < ptrlen && t[tlen] != '/';
		    tlen++)
			;
		found = 0;
		if (i < len && p[i] == '{') {
			i = pj_skip_ws(p, len, i + 1);
			while (i < len && p[i] == '"') {
				ks = i + 1;
				i = pj_skip_string(p, len, i);
				found = pj_token_eq(t, tlen, p + ks,
				    i - ks - 1);
				i = pj_skip_ws(p, len, i) + 1;	/* ':' */
				i = pj_skip_ws(p, len, i);
				if (found)
					break;
				i = pj_skip_ws(p, len,
				    pj_skip_value(p, len, i));
				if (i < len && p[i] == ',')
					i = pj_skip_ws(p, len, i + 1);
			}
		} else if (i < len && p[i] == '[') {
			if (pj_token_index(t, tlen, &idx) != 0)
				goto out;
			i = pj_skip_ws(p, len, i + 1);
			for (n = 0; i < len && p[i] != ']'; n++) {
				if (n == idx) {
					found = 1;
					break;
				}
				i = pj_skip_ws(p, len,
				    pj_skip_value(p, len, i));
				if (i < len && p[i] == ',')
					i = pj_skip_ws(p, len, i + 1);
			}
		}
		if (!found)
			goto out;
	}
	if (i >= len)
		goto out;
	switch (p[i]) {
	case '{': out->kind = PJ_OBJECT; break;
	case '[': out->kind = PJ_ARRAY; break;
	case '"': out->kind = PJ_STRING; break;
	case 't': out->kind = PJ_TRUE; break;
	case 'f': out->kind = PJ_FALSE; break;
	case 'n': out->kind = PJ_NULL; break;
	default: out->kind = PJ_NUMBER; break;
	}
	k = pj_skip_value(p, len, i);
	if (out->kind == PJ_STRING) {
		out->p = p + i + 1;
		out->len = k - i - 2;
	} else {
		out->p = p + i;
		out->len = k - i;
	}
	r = 0;
 out:
	return r;
}
