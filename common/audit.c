#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/log.h"

/* What a field may hold. */
enum kind {
	K_TOKEN,	/* printable ASCII, no space */
	K_WORD,		/* [a-z0-9_.-] */
	K_METHOD,	/* [A-Z]+ or "-" */
	K_PATH,		/* "/..." or "-" */
	K_HASH,		/* 64 hex or "-" */
	K_PREV,		/* 64 hex */
	K_SIG		/* 128 hex or "-" */
};

static int	is_none(const char *);
static int	is_lowhex(const char *, size_t);
static int	field_valid(const char *, size_t, size_t, enum kind);
static int	time_valid(const char *, size_t);
static int	rec_valid(const struct audit_rec *);
static int	is_checkpoint(const struct audit_rec *);
static int	format_line(const struct audit_rec *, char *, size_t, size_t *,
		    int) CV_WUR;
static int	parse_seq(const char *, size_t, uint64_t *) CV_WUR;
static int	copy_field(char *, size_t, const char *, size_t) CV_WUR;
static int	checkpoint_digest(const struct audit_rec *, uint8_t *) CV_WUR;
static int	next_line(const char *, size_t, size_t, size_t *);
static int	seq_later(const char *, size_t, size_t, uint64_t);
static int	fail(struct audit_report *, enum audit_fault, uint64_t);

static int
is_none(const char *s)
{
	return s[0] == '-' && s[1] == '\0';
}

static int
is_lowhex(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int
field_valid(const char *s, size_t n, size_t max, enum kind k)
{
	size_t	i;
	char	c;

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
	case K_PATH:
		if (s[0] != '/')
			return 0;
		break;
	default:
		break;
	}
	for (i = 0; i < n; i++) {
		c = s[i];
		switch (k) {
		case K_WORD:
			if (!((c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			    c == '-'))
				return 0;
			break;
		case K_METHOD:
			if (c < 'A' || c > 'Z')
				return 0;
			break;
		default:
			if (c < 0x21 || c > 0x7e)
				return 0;
			break;
		}
	}
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SSZ", a real UTC calendar time from 1970. */
static int
time_valid(const char *s, size_t n)
{
	static const char	 pat[] = "dddd-dd-ddTdd:dd:ddZ";
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };
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
	return d >= 1 && d <= dim;
}

static int
is_checkpoint(const struct audit_rec *r)
{
	return strcmp(r->op, AUDIT_OP_CHECKPOINT) == 0;
}

#define FV(f, max, k)	field_valid((f), strnlen((f), sizeof(f)), (max), (k))

static int
rec_valid(const struct audit_rec *r)
{
	if (r->seq == 0 ||
	    !time_valid(r->time, strnlen(r->time, sizeof(r->time))) ||
	    !FV(r->actor, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->account, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->op, AUDIT_MAX_OP, K_WORD) ||
	    !FV(r->method, AUDIT_MAX_METHOD, K_METHOD) ||
	    !FV(r->path, AUDIT_MAX_PATH, K_PATH) ||
	    !FV(r->verdict, AUDIT_MAX_VERDICT, K_WORD) ||
	    !FV(r->key_id, AUDIT_MAX_NAME, K_TOKEN) ||
	    !FV(r->digest, AUDIT_HEX_HASH, K_HASH) ||
	    !FV(r->prev, AUDIT_HEX_HASH, K_PREV) ||
	    !FV(r->sig, AUDIT_HEX_SIG, K_SIG))
		return 0;
	if (!is_checkpoint(r))
		return is_none(r->sig);
	/* A checkpoint is about the chain, not about a request. */
	return is_none(r->account) && is_none(r->method) &&
	    is_none(r->path) && is_none(r->verdict) && is_none(r->digest) &&
	    strlen(r->key_id) == AUDIT_HEX_HASH &&
	    is_lowhex(r->key_id, AUDIT_HEX_HASH);
}

void
audit_rec_init(struct audit_rec *r)
{
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->time, sizeof(r->time), "-");
	(void)snprintf(r->actor, sizeof(r->actor), "-");
	(void)snprintf(r->account, sizeof(r->account), "-");
	(void)snprintf(r->op, sizeof(r->op), "-");
	(void)snprintf(r->method, sizeof(r->method), "-");
	(void)snprintf(r->path, sizeof(r->path), "-");
	(void)snprintf(r->verdict, sizeof(r->verdict), "-");
	(void)snprintf(r->key_id, sizeof(r->key_id), "-");
	(void)snprintf(r->digest, sizeof(r->digest), "-");
	(void)snprintf(r->prev, sizeof(r->prev), "-");
	(void)snprintf(r->sig, sizeof(r->sig), "-");
}

int
audit_time_format(time_t t, char out[AUDIT_TIME_LEN + 1])
{
	struct tm	tm;

	if (t < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return CV_ERR_INVALID;
	if (strftime(out, AUDIT_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
	    AUDIT_TIME_LEN)
		return CV_ERR_INVALID;
	return 0;
}

/* The line, or with_sig 0 only its signed prefix (up to the last TAB). */
static int
format_line(const struct audit_rec *r, char *buf, size_t max, size_t *len,
    int with_sig)
{
	int	n;

	*len = 0;
	if (!rec_valid(r))
		return CV_ERR_INVALID;
	n = snprintf(buf, max, "%llu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t"
	    "%s%s", (unsigned long long)r->seq, r->time, r->actor, r->account,
	    r->op, r->method, r->path, r->verdict, r->key_id, r->digest,
	    r->prev, with_sig ? r->sig : "", with_sig ? "\n" : "");
	if (n < 0 || (size_t)n >= max)
		return CV_ERR_TOOLONG;
	*len = (size_t)n;
	return 0;
}

int
audit_record_format(const struct audit_rec *r, char *buf, size_t max,
    size_t *len)
{
	return format_line(r, buf, max, len, 1);
}

/* A decimal seq: digits only, no leading zero, no overflow, not 0. */
static int
parse_seq(const char *s, size_t n, uint64_t *v)
{
	uint64_t	x = 0;
	size_t		i;

	if (n == 0 || n > 20 || s[0] == '0')
		return CV_ERR_CORRUPT;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CV_ERR_CORRUPT;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return CV_ERR_CORRUPT;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
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
	if (parse_seq(f[0], n[0], &r->seq) != 0 ||
	    copy_field(r->time, sizeof(r->time), f[1], n[1]) != 0 ||
	    copy_field(r->actor, sizeof(r->actor), f[2], n[2]) != 0 ||
	    copy_field(r->account, sizeof(r->account), f[3], n[3]) != 0 ||
	    copy_field(r->op, sizeof(r->op), f[4], n[4]) != 0 ||
	    copy_field(r->method, sizeof(r->method), f[5], n[5]) != 0 ||
	    copy_field(r->path, sizeof(r->path), f[6], n[6]) != 0 ||
	    copy_field(r->verdict, sizeof(r->verdict), f[7], n[7]) != 0 ||
	    copy_field(r->key_id, sizeof(r->key_id), f[8], n[8]) != 0 ||
	    copy_field(r->digest, sizeof(r->digest), f[9], n[9]) != 0 ||
	    copy_field(r->prev, sizeof(r->prev), f[10], n[10]) != 0 ||
	    copy_field(r->sig, sizeof(r->sig), f[11], n[11]) != 0 ||
	    !rec_valid(r)) {
		memset(r, 0, sizeof(*r));
		return CV_ERR_CORRUPT;
	}
	return 0;
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
	    !is_checkpoint(r))
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

	if (!is_checkpoint(r) || is_none(r->sig))
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

/* The line starting at off: 1 and its length with the newline, or 0. */
static int
next_line(const char *buf, size_t len, size_t off, size_t *n)
{
	const char	*nl;

	if (off >= len)
		return 0;
	if ((nl = memchr(buf + off, '\n', len - off)) == NULL)
		*n = len - off;		/* unterminated: fails to parse */
	else
		*n = (size_t)(nl - (buf + off)) + 1;
	return 1;
}

/* 1 if a line from off on carries seq want: the log was reordered. */
static int
seq_later(const char *buf, size_t len, size_t off, uint64_t want)
{
	struct audit_rec	r;
	size_t			n;

	for (; next_line(buf, len, off, &n); off += n) {
		if (audit_record_parse(buf + off, n, &r) == 0 && r.seq == want)
			return 1;
	}
	return 0;
}

static int
fail(struct audit_report *rep, enum audit_fault f, uint64_t line)
{
	rep->fault = f;
	rep->fault_line = line;
	switch (f) {
	case AUDIT_FAULT_MALFORMED:
		return CV_ERR_CORRUPT;
	case AUDIT_FAULT_BADSIG:
		return CV_ERR_BADSIG;
	default:
		return CV_ERR_TAMPERED;
	}
}

int
audit_verify(const char *buf, size_t len, const uint8_t pk[AUDIT_PK_LEN],
    const struct audit_anchor *anchor, struct audit_report *rep)
{
	struct audit_rec	r;
	uint8_t			h[AUDIT_HASH_LEN];
	char			prev[AUDIT_HEX_HASH + 1];
	size_t			off = 0, n;
	uint64_t		line;

	memset(rep, 0, sizeof(*rep));
	if (anchor != NULL && anchor->seq == 0)
		anchor = NULL;
	for (line = 1; next_line(buf, len, off, &n); line++, off += n) {
		if (audit_record_parse(buf + off, n, &r) != 0)
			return fail(rep, AUDIT_FAULT_MALFORMED, line);
		if (r.seq < line)
			return fail(rep, AUDIT_FAULT_REORDERED, line);
		if (r.seq > line)
			return fail(rep, seq_later(buf, len, off + n, line) ?
			    AUDIT_FAULT_REORDERED : AUDIT_FAULT_DELETED, line);
		/* The line before is the one whose hash does not match. */
		hex_encode(rep->head.head, sizeof(rep->head.head), prev);
		if (strcmp(prev, r.prev) != 0)
			return fail(rep, AUDIT_FAULT_EDITED, line - 1);
		if (is_checkpoint(&r)) {
			if (audit_checkpoint_verify(&r, pk) != 0)
				return fail(rep, AUDIT_FAULT_BADSIG, line);
			rep->checkpoints++;
			rep->last_checkpoint = r.seq;
			rep->unsigned_tail = 0;
		} else
			rep->unsigned_tail++;
		audit_chain_hash(buf + off, n, h);
		if (anchor != NULL && r.seq == anchor->seq &&
		    (!is_checkpoint(&r) ||
		    sodium_memcmp(h, anchor->hash, sizeof(h)) != 0))
			return fail(rep, AUDIT_FAULT_EDITED, line);
		rep->records++;
		rep->head.seq = r.seq;
		memcpy(rep->head.head, h, sizeof(h));
	}
	if (anchor != NULL && rep->records < anchor->seq)
		return fail(rep, AUDIT_FAULT_TRUNCATED, line);
	return 0;
}

int
audit_verify_file(const char *path, const uint8_t pk[AUDIT_PK_LEN],
    const struct audit_anchor *anchor, struct audit_report *rep)
{
	struct stat	 st;
	void		*map = MAP_FAILED;
	int		 fd, r = CV_ERR_IO;

	memset(rep, 0, sizeof(*rep));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		r = errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
		log_warn("%s", path);
		return r;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > AUDIT_MAX_FILE) {
		log_warnx("%s is not a regular file of a sane size", path);
		goto out;
	}
	if (st.st_size == 0) {
		r = audit_verify("", 0, pk, anchor, rep);
		goto out;
	}
	if ((map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		log_warn("%s", path);
		goto out;
	}
	r = audit_verify(map, (size_t)st.st_size, pk, anchor, rep);
 out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return r;
}

const char *
audit_fault_str(enum audit_fault f)
{
	switch (f) {
	case AUDIT_FAULT_NONE:
		return "intact";
	case AUDIT_FAULT_MALFORMED:
		return "a line is malformed";
	case AUDIT_FAULT_EDITED:
		return "a record was edited (its hash is not the next prev)";
	case AUDIT_FAULT_DELETED:
		return "a record is missing (sequence gap)";
	case AUDIT_FAULT_REORDERED:
		return "records are out of order";
	case AUDIT_FAULT_TRUNCATED:
		return "the log ends before the checkpoint the vault records";
	case AUDIT_FAULT_BADSIG:
		return "a checkpoint is unsigned or its signature is invalid";
	}
	return "unknown fault";
}
