#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"

/* What a field may hold. */
enum kind {
	K_TOKEN,	/* printable ASCII, no space */
	K_WORD,		/* [a-z0-9_.-] */
	K_METHOD,	/* [A-Z]{1,10}, "!" escaped, or "-" */
	K_PATH,		/* "/...", "!" escaped, or "-" */
	K_GEN,		/* decimal or "-" */
	K_HASH,		/* 64 hex or "-" */
	K_PREV,		/* 64 hex */
	K_SIG		/* 128 hex or "-" */
};

static int	is_none(const char *);
static int	is_lowhex(const char *, size_t);
static int	is_upper(int);
static int	path_lit(int);
static int	plain_method(const char *, size_t);
static int	plain_path(const char *, size_t);
static int	escaped_valid(const char *, size_t, enum kind);
static int	field_valid(const char *, size_t, size_t, enum kind);
static int	rec_valid(const struct audit_rec *);
static int	format_line(const struct audit_rec *, char *, size_t, size_t *,
		    int) CV_WUR;
static int	parse_num(const char *, size_t, uint64_t *, int) CV_WUR;
static int	copy_field(char *, size_t, const char *, size_t) CV_WUR;
static int	checkpoint_digest(const struct audit_rec *, uint8_t *) CV_WUR;

static const char	hexup[] = "0123456789ABCDEF";

static int
is_none(const char *s)
{
	return s[0] == '-' && s[1] == '\0';
}

#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL
/* Per byte of v, all below 0x80: the high bit set where it is >= c. */
#define AT_LEAST(v, c)	((v) + ONES * (0x80 - (c)))
/* ... and where it is > c. */
#define ABOVE(v, c)	((v) + ONES * (0x7f - (c)))

/* 1 if the 8 bytes in v are all [0-9a-f]. */
static int
word_lowhex(uint64_t v)
{
	uint64_t	digit, lower;

	if (v & HIGHS)
		return 0;
	digit = AT_LEAST(v, '0') & ~ABOVE(v, '9');
	lower = AT_LEAST(v, 'a') & ~ABOVE(v, 'f');
	return ((digit | lower) & HIGHS) == HIGHS;
}

/*
 * Every record holds two or three 64-digit hashes, and checking them a
 * byte at a time was about 6 % of vaultd's CPU per L2 signature: 8
 * bytes a step.
 */
static int
is_lowhex(const char *s, size_t n)
{
	uint64_t	v;
	size_t		i = 0;

	for (; n - i >= sizeof(v); i += sizeof(v)) {
		memcpy(&v, s + i, sizeof(v));
		if (!word_lowhex(v))
			return 0;
	}
	for (; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

/* A byte an escaped path keeps as it is. */
static int
path_lit(int c)
{
	return c >= 0x21 && c <= 0x7e && c != '%' && c != '~';
}

static int
plain_method(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > AUDIT_METHOD_PLAIN)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_upper((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
plain_path(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > AUDIT_MAX_PATH || s[0] != '/')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * "!" then literals and %XX (upper-case hex, only for a byte that is not
 * a literal), then an optional "~": the canonical escaped form, and never
 * one of a field that would have been kept as it is.
 */
static int
escaped_valid(const char *s, size_t n, enum kind k)
{
	char	dec[AUDIT_MAX_PATH];
	size_t	i, d = 0;
	int	hi, lo, c, cut = 0;

	if (n == 0 || s[0] != '!')
		return 0;
	if (s[n - 1] == '~') {
		cut = 1;
		n--;
	}
	for (i = 1; i < n; ) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return 0;
			if ((hi = unhex(s[i + 1])) < 0 ||
			    (lo = unhex(s[i + 2])) < 0)
				return 0;
			c = hi * 16 + lo;
			if (k == K_METHOD ? is_upper(c) : path_lit(c))
				return 0;
			i += 3;
		} else if (k == K_METHOD ? is_upper(c) : path_lit(c))
			i++;
		else
			return 0;
		dec[d++] = (char)c;
	}
	if (k == K_METHOD)
		return cut ? d == AUDIT_METHOD_SRC : d <= AUDIT_METHOD_SRC &&
		    !plain_method(dec, d);
	return cut || !plain_path(dec, d);
}

static int
field_valid(const char *s, size_t n, size_t max, enum kind k)
{
	uint64_t	v;
	size_t		i;
	char		c;

	if (n == 0 || n > max)
		return 0;
	if (n == 1 && s[0] == '-' && k != K_PREV)
		return 1;
	switch (k) {
	case K_HASH:
	case K_PREV:
		return n == AUDIT_HEX_HASH && is_lowhex(s, n);
	case K_SIG:
		return n == AUDIT_HEX_SIG && is_lowhex(s, n);
	case K_GEN:
		return parse_num(s, n, &v, 1) == 0;
	case K_METHOD:
		return plain_method(s, n) || escaped_valid(s, n, k);
	case K_PATH:
		return plain_path(s, n) || escaped_valid(s, n, k);
	default:
		break;
	}
	for (i = 0; i < n; i++) {
		c = s[i];
		if (k == K_WORD) {
			if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			    c == '-'))
				return 0;
		} else if (c < 0x21 || c > 0x7e)
			return 0;
	}
	return 1;
}

int
audit_time_parse(const char *s, size_t n, time_t *t)
{
	static const char	 pat[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
	struct tm		 tm;
	int			 y, mo, d, h, mi, se, dim;
	size_t			 i;

	if (n != AUDIT_TIME_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	}
#define D2(o)	((s[o] - '0') * 10 + (s[(o) + 1] - '0'))
	y = D2(0) * 100 + D2(2);
	mo = D2(5);
	d = D2(8);
	h = D2(11);
	mi = D2(14);
	se = D2(17);
#undef D2
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
		return 0;
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return 0;
	if (t != NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = se;
		*t = timegm(&tm);
	}
	return 1;
}

int
audit_rec_is_checkpoint(const struct audit_rec *r)
{
	return strcmp(r->op, AUDIT_OP_CHECKPOINT) == 0;
}

#define FV(f, max, k)	field_valid((f), strnlen((f), sizeof(f)), (max), (k))

static int
rec_valid(const struct audit_rec *r)
{
	if (r->seq == 0 ||
	    !audit_time_parse(r->time, strnlen(r->time, sizeof(r->time)),
	    NULL) ||
	    !FV(r->actor, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->account, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->op, AUDIT_MAX_OP, K_WORD) ||
	    !FV(r->method, AUDIT_MAX_METHOD, K_METHOD) ||
	    !FV(r->path, AUDIT_MAX_PATH, K_PATH) ||
	    !FV(r->verdict, AUDIT_MAX_VERDICT, K_WORD) ||
	    !FV(r->key_id, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->gen, AUDIT_MAX_GEN, K_GEN) ||
	    !FV(r->digest, AUDIT_HEX_HASH, K_HASH) ||
	    !FV(r->prev, AUDIT_HEX_HASH, K_PREV) ||
	    !FV(r->sig, AUDIT_HEX_SIG, K_SIG))
		return 0;
	if (strcmp(r->verdict, AUDIT_V_INTENT) == 0 && is_none(r->gen))
		return 0;		/* an intent names its generation */
	if (!audit_rec_is_checkpoint(r))
		return is_none(r->sig);
	/*
	 * A checkpoint is about the chain and the vault that carries it;
	 * its digest, if any, is of the budgets file it makes current.
	 */
	return is_none(r->account) && is_none(r->method) &&
	    is_none(r->path) && is_none(r->verdict) &&
	    !is_none(r->gen) && strlen(r->key_id) == AUDIT_HEX_HASH &&
	    is_lowhex(r->key_id, AUDIT_HEX_HASH);
}

/*
 * A record's text fields in the order of its line, after seq: where
 * each lies in struct audit_rec and its size.  The last is the
 * signature, the one field after the line's signed prefix.
 */
#define REC_TEXT(name)	{ offsetof(struct audit_rec, name),		\
			    sizeof(((struct audit_rec *)NULL)->name) }
static const struct {
	size_t	off, size;
} rec_text[] = {
	REC_TEXT(time), REC_TEXT(actor), REC_TEXT(account), REC_TEXT(op),
	REC_TEXT(method), REC_TEXT(path), REC_TEXT(verdict),
	REC_TEXT(key_id), REC_TEXT(gen), REC_TEXT(digest), REC_TEXT(prev),
	REC_TEXT(sig),
};
#define REC_NTEXT	(sizeof(rec_text) / sizeof(rec_text[0]))
#define REC_SIG		(REC_NTEXT - 1)
_Static_assert(REC_NTEXT == AUDIT_FIELDS - 1, "a record's fields");

static char *
rec_field(struct audit_rec *r, size_t i)
{
	return (char *)r + rec_text[i].off;
}

static const char *
rec_field_c(const struct audit_rec *r, size_t i)
{
	return (const char *)r + rec_text[i].off;
}

void
audit_rec_init(struct audit_rec *r)
{
	size_t	i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < REC_NTEXT; i++)
		rec_field(r, i)[0] = '-';	/* the memset ends it */
}

/*
 * The second last formatted, per thread: records come many to a second,
 * and gmtime_r with strftime was 2 % of vaultd's CPU per signature.
 */
static _Thread_local time_t	time_last = -1;
static _Thread_local char	time_text[AUDIT_TIME_LEN + 1];

int
audit_time_format(time_t t, char out[AUDIT_TIME_LEN + 1])
{
	struct tm	tm;

	if (t < 0)
		return CV_ERR_INVALID;
	if (t != time_last) {
		if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
		    strftime(time_text, sizeof(time_text),
		    "%Y-%m-%dT%H:%M:%SZ", &tm) != AUDIT_TIME_LEN) {
			time_last = -1;
			return CV_ERR_INVALID;
		}
		time_last = t;
	}
	memcpy(out, time_text, sizeof(time_text));
	return 0;
}

static void
field_map(char *dst, size_t size, const char *src, int word)
{
	size_t	i;
	int	c;

	if (size < 2)
		return;
	if (src == NULL || *src == '\0') {
		(void)snprintf(dst, size, "-");
		return;
	}
	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		c = (unsigned char)src[i];
		if (word) {
			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '-'))
				c = '_';
		} else if (c < 0x21 || c > 0x7e)
			c = '_';
		dst[i] = (char)c;
	}
	dst[i] = '\0';
}

void
audit_field_name(char *dst, size_t size, const char *src)
{
	field_map(dst, size, src, 0);
}

void
audit_field_word(char *dst, size_t size, const char *src)
{
	field_map(dst, size, src, 1);
}

/* "!", then src with bytes that are not literals as %XX, "~" if cut. */
static void
escape(char *dst, size_t size, const char *src, size_t len, size_t maxsrc,
    int method)
{
	size_t	i, o = 0;
	int	c, lit;

	dst[o++] = '!';
	for (i = 0; i < len && i < maxsrc; i++) {
		c = (unsigned char)src[i];
		lit = method ? is_upper(c) : path_lit(c);
		if (o + (lit ? 1 : 3) > size - 2)	/* room for "~" */
			break;
		if (lit)
			dst[o++] = (char)c;
		else {
			dst[o++] = '%';
			dst[o++] = hexup[c >> 4];
			dst[o++] = hexup[c & 15];
		}
	}
	if (i < len)
		dst[o++] = '~';
	dst[o] = '\0';
}

void
audit_field_method(char dst[AUDIT_MAX_METHOD + 1], const char *src,
    size_t len)
{
	if (src == NULL) {
		(void)snprintf(dst, AUDIT_MAX_METHOD + 1, "-");
		return;
	}
	if (plain_method(src, len)) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	escape(dst, AUDIT_MAX_METHOD + 1, src, len, AUDIT_METHOD_SRC, 1);
}

void
audit_field_path(char dst[AUDIT_MAX_PATH + 1], const char *src, size_t len)
{
	if (src == NULL) {
		(void)snprintf(dst, AUDIT_MAX_PATH + 1, "-");
		return;
	}
	if (plain_path(src, len)) {
		memcpy(dst, src, len);
		dst[len] = '\0';
		return;
	}
	escape(dst, AUDIT_MAX_PATH + 1, src, len, SIZE_MAX, 0);
}

void
audit_field_gen(struct audit_rec *r, uint64_t gen)
{
	(void)snprintf(r->gen, sizeof(r->gen), "%llu",
	    (unsigned long long)gen);
}

int
audit_rec_gen(const struct audit_rec *r, uint64_t *gen)
{
	if (is_none(r->gen) ||
	    parse_num(r->gen, strnlen(r->gen, sizeof(r->gen)), gen, 1) != 0)
		return CV_ERR_INVALID;
	return 0;
}

static void
put_u32(crypto_generichash_state *h, size_t v)
{
	uint8_t	b[4];

	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
	crypto_generichash_update(h, b, sizeof(b));
}

static void
put_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t	b[8];
	int	i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	crypto_generichash_update(h, b, sizeof(b));
}

static void
put_bytes(crypto_generichash_state *h, const void *p, size_t len)
{
	put_u32(h, len);
	if (len > 0)
		crypto_generichash_update(h, p, len);
}

void
audit_request_digest(const struct audit_req *q, uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash_state	h;
	const char			*ts = q->timestamp ? q->timestamp : "";

	crypto_generichash_init(&h, NULL, 0, AUDIT_HASH_LEN);
	crypto_generichash_update(&h, (const uint8_t *)AUDIT_REQ_DOMAIN,
	    sizeof(AUDIT_REQ_DOMAIN));		/* with its NUL */
	put_u64(&h, q->level);
	put_bytes(&h, q->method, q->method ? q->methodlen : 0);
	put_bytes(&h, q->path, q->path ? q->pathlen : 0);
	put_bytes(&h, q->body, q->body ? q->bodylen : 0);
	put_u64(&h, q->nonce);
	put_bytes(&h, ts, strlen(ts));
	/* framed, after the last field: no request without them reads so */
	if (q->flags != 0 || (q->key_id != NULL && q->key_id[0] != '\0')) {
		put_u64(&h, q->flags);
		put_bytes(&h, q->key_id != NULL ? q->key_id : "",
		    q->key_id != NULL ? strlen(q->key_id) : 0);
	}
	crypto_generichash_final(&h, out, AUDIT_HASH_LEN);
}

/* Append n bytes of s at *at in buf, leaving room for the NUL. */
static int
line_put(char *buf, size_t max, size_t *at, const char *s, size_t n)
{
	if (n >= max - *at)
		return CV_ERR_TOOLONG;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

/*
 * The line, or with_sig 0 only its signed prefix (up to the last TAB):
 * seq, then each field after a TAB, a TAB after prev, then the
 * signature and the newline.  Put together by hand: snprintf over the
 * thirteen fields was about 6 % of vaultd's CPU per L2 signature.
 */
static int
format_line(const struct audit_rec *r, char *buf, size_t max, size_t *len,
    int with_sig)
{
	const char	*f;
	char		 num[DEC_U64_MAX + 1];
	size_t		 at = 0, i, n;

	*len = 0;
	if (!rec_valid(r))
		return CV_ERR_INVALID;
	if (max == 0)
		return CV_ERR_TOOLONG;
	n = dec_encode_u64(r->seq, num);
	if (line_put(buf, max, &at, num, n) != 0)
		return CV_ERR_TOOLONG;
	for (i = 0; i < REC_SIG; i++) {
		f = rec_field_c(r, i);
		if (line_put(buf, max, &at, "\t", 1) != 0 ||
		    line_put(buf, max, &at, f, strlen(f)) != 0)
			return CV_ERR_TOOLONG;
	}
	if (line_put(buf, max, &at, "\t", 1) != 0)
		return CV_ERR_TOOLONG;
	f = rec_field_c(r, REC_SIG);
	if (with_sig && (line_put(buf, max, &at, f, strlen(f)) != 0 ||
	    line_put(buf, max, &at, "\n", 1) != 0))
		return CV_ERR_TOOLONG;
	buf[at] = '\0';
	*len = at;
	return 0;
}

int
audit_record_format(const struct audit_rec *r, char *buf, size_t max,
    size_t *len)
{
	return format_line(r, buf, max, len, 1);
}

/* Canonical decimal, no overflow; zero only if zero_ok, as "0". */
static int
parse_num(const char *s, size_t n, uint64_t *v, int zero_ok)
{
	if (dec_decode_u64(s, n, v) != 0 || (*v == 0 && !zero_ok))
		return CV_ERR_CORRUPT;
	return 0;
}

static int
copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size || memchr(s, '\0', n) != NULL)
		return CV_ERR_CORRUPT;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int
audit_record_parse(const char *line, size_t len, struct audit_rec *r)
{
	const char	*f[AUDIT_FIELDS], *p, *end;
	size_t		 n[AUDIT_FIELDS], i = 0;

	memset(r, 0, sizeof(*r));
	if (len < 2 || len > AUDIT_LINE_MAX || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		return CV_ERR_CORRUPT;
	end = line + len - 1;
	for (p = line; ; p++) {
		if (p == end || *p == '\t') {
			if (i == AUDIT_FIELDS)
				return CV_ERR_CORRUPT;
			f[i] = line;
			n[i++] = (size_t)(p - line);
			line = p + 1;
			if (p == end)
				break;
		}
	}
	if (i != AUDIT_FIELDS)
		return CV_ERR_CORRUPT;
	if (parse_num(f[0], n[0], &r->seq, 0) != 0)
		goto bad;
	for (i = 0; i < REC_NTEXT; i++)
		if (copy_field(rec_field(r, i), rec_text[i].size, f[i + 1],
		    n[i + 1]) != 0)
			goto bad;
	if (rec_valid(r))
		return 0;
 bad:
	memset(r, 0, sizeof(*r));
	return CV_ERR_CORRUPT;
}

void
audit_chain_hash(const char *line, size_t len, uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash(out, AUDIT_HASH_LEN, (const uint8_t *)line, len,
	    NULL, 0);
}

void
audit_chain_init(struct audit_chain *c)
{
	memset(c, 0, sizeof(*c));
}

int
audit_chain_append(struct audit_chain *c, struct audit_rec *r, char *buf,
    size_t max, size_t *len)
{
	int	ret;

	if (c->seq == UINT64_MAX)
		return CV_ERR_INVALID;
	r->seq = c->seq + 1;
	hex_encode(c->head, sizeof(c->head), r->prev);
	if ((ret = audit_record_format(r, buf, max, len)) != 0)
		return ret;
	c->seq = r->seq;
	audit_chain_hash(buf, *len, c->head);
	return 0;
}

int
audit_key_new(struct secret *sk, uint8_t pk[AUDIT_PK_LEN])
{
	int	r;

	if ((r = secret_alloc(sk, AUDIT_SK_LEN)) != 0)
		return r;
	crypto_sign_keypair(pk, sk->p);
	return 0;
}

void
audit_key_id(const uint8_t pk[AUDIT_PK_LEN], char out[AUDIT_HEX_HASH + 1])
{
	hex_encode(pk, AUDIT_PK_LEN, out);
}

/* The message a checkpoint signs: the domain, then H(line prefix). */
static int
checkpoint_digest(const struct audit_rec *r, uint8_t *msg)
{
	char	buf[AUDIT_LINE_MAX];
	size_t	len;
	int	ret;

	if ((ret = format_line(r, buf, sizeof(buf), &len, 0)) != 0)
		return ret;
	memcpy(msg, AUDIT_SIG_DOMAIN, sizeof(AUDIT_SIG_DOMAIN) - 1);
	audit_chain_hash(buf, len, msg + sizeof(AUDIT_SIG_DOMAIN) - 1);
	return 0;
}

#define SIGMSG_LEN	(sizeof(AUDIT_SIG_DOMAIN) - 1 + AUDIT_HASH_LEN)

int
audit_checkpoint_sign(struct audit_rec *r, const struct secret *sk)
{
	uint8_t	msg[SIGMSG_LEN], sig[AUDIT_SIG_LEN];
	char	id[AUDIT_HEX_HASH + 1];

	if (sk == NULL || sk->p == NULL || sk->len != AUDIT_SK_LEN ||
	    !audit_rec_is_checkpoint(r))
		return CV_ERR_INVALID;
	/* libsodium's secret key ends with its public key. */
	audit_key_id(sk->p + AUDIT_SK_LEN - AUDIT_PK_LEN, id);
	if (strcmp(id, r->key_id) != 0)
		return CV_ERR_INVALID;
	if (checkpoint_digest(r, msg) != 0)
		return CV_ERR_INVALID;
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk->p);
	hex_encode(sig, sizeof(sig), r->sig);
	return 0;
}

int
audit_checkpoint_verify(const struct audit_rec *r,
    const uint8_t pk[AUDIT_PK_LEN])
{
	uint8_t	msg[SIGMSG_LEN], sig[AUDIT_SIG_LEN];
	char	id[AUDIT_HEX_HASH + 1];
	size_t	n;

	if (!audit_rec_is_checkpoint(r) || is_none(r->sig))
		return CV_ERR_BADSIG;
	audit_key_id(pk, id);
	if (strcmp(id, r->key_id) != 0 || checkpoint_digest(r, msg) != 0)
		return CV_ERR_BADSIG;
	if (hex_decode(r->sig, strlen(r->sig), sig, sizeof(sig), &n) != 0 ||
	    n != sizeof(sig))
		return CV_ERR_BADSIG;
	if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
		return CV_ERR_BADSIG;
	return 0;
}


int
audit_line_op_is(const char *line, size_t len, const char *op)
{
	const char	*p = line, *end = line + len, *t;
	size_t		 n = strlen(op);
	int		 i;

	for (i = 0; i < 4; i++) {
		if ((t = memchr(p, '\t', (size_t)(end - p))) == NULL)
			return 0;
		p = t + 1;
	}
	return (size_t)(end - p) > n && memcmp(p, op, n) == 0 &&
	    p[n] == '\t';
}

size_t
audit_line_fields(const char *line, size_t len)
{
	size_t	i, n = 1;

	for (i = 0; i < len; i++)
		if (line[i] == '\t')
			n++;
	return n;
}
