#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/home.h"
#include "common/log.h"
#include "common/vault_fmt.h"

#define HDR_CKSUM_OFF	(VAULT_HEADER_LEN - VAULT_CKSUM_LEN)

/* A bounded cursor over bytes being parsed. */
struct rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 pos;
};

/* A cursor over an output buffer sized in advance. */
struct wr {
	uint8_t		*p;
	size_t		 len;
	size_t		 pos;
};

static int	fail_step;		/* vault_fmt_test_fail */
static int	fail_errno;

static int	rd_bytes(struct rd *, void *, size_t) CV_WUR;
static int	rd_u8(struct rd *, uint8_t *) CV_WUR;
static int	rd_u16(struct rd *, uint16_t *) CV_WUR;
static int	rd_u32(struct rd *, uint32_t *) CV_WUR;
static int	rd_u64(struct rd *, uint64_t *) CV_WUR;
static int	rd_name(struct rd *, char *, int) CV_WUR;
static void	wr_bytes(struct wr *, const void *, size_t);
static void	wr_u8(struct wr *, uint8_t);
static void	wr_u16(struct wr *, uint16_t);
static void	wr_u32(struct wr *, uint32_t);
static void	wr_u64(struct wr *, uint64_t);
static void	wr_name(struct wr *, const char *);
static int	hdr_valid(const struct vault_hdr *);
static int	rec_valid(const struct vault_rec *);
static void	hdr_put(struct wr *, const struct vault_hdr *, uint32_t);
static void	rec_put_clear(struct wr *, const struct vault_rec *);
static void	hdr_cksum(const uint8_t *, uint8_t *);
static int	rec_parse(struct rd *, struct vault_rec *) CV_WUR;
static int	injected(int);
static int	errno_code(int);
static int	write_all(int, const uint8_t *, size_t) CV_WUR;

static int
rd_bytes(struct rd *r, void *out, size_t n)
{
	if (r->len - r->pos < n)
		return CV_ERR_CORRUPT;
	memcpy(out, r->p + r->pos, n);
	r->pos += n;
	return 0;
}

static int
rd_u8(struct rd *r, uint8_t *v)
{
	return rd_bytes(r, v, 1);
}

static int
rd_u16(struct rd *r, uint16_t *v)
{
	uint8_t	b[2];

	if (rd_bytes(r, b, sizeof(b)) != 0)
		return CV_ERR_CORRUPT;
	*v = (uint16_t)(b[0] << 8 | b[1]);
	return 0;
}

static int
rd_u32(struct rd *r, uint32_t *v)
{
	uint8_t	b[4];

	if (rd_bytes(r, b, sizeof(b)) != 0)
		return CV_ERR_CORRUPT;
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static int
rd_u64(struct rd *r, uint64_t *v)
{
	uint32_t	hi, lo;

	if (rd_u32(r, &hi) != 0 || rd_u32(r, &lo) != 0)
		return CV_ERR_CORRUPT;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

/* A length byte and that many name characters, NUL-terminated in out. */
static int
rd_name(struct rd *r, char *out, int allow_empty)
{
	uint8_t	n;

	if (rd_u8(r, &n) != 0 || n > VAULT_MAX_NAME ||
	    (n == 0 && !allow_empty))
		return CV_ERR_CORRUPT;
	if (rd_bytes(r, out, n) != 0)
		return CV_ERR_CORRUPT;
	out[n] = '\0';
	if (n > 0 && !vault_fmt_name_valid(out, n))
		return CV_ERR_CORRUPT;
	return 0;
}

/* Writers: the buffer was sized from the same fields, so overrun is a bug. */
static void
wr_bytes(struct wr *w, const void *p, size_t n)
{
	if (w->len - w->pos < n)
		fatalx("%s: overrun", __func__);
	memcpy(w->p + w->pos, p, n);
	w->pos += n;
}

static void
wr_u8(struct wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void
wr_u16(struct wr *w, uint16_t v)
{
	uint8_t	b[2] = { v >> 8, v & 0xff };

	wr_bytes(w, b, sizeof(b));
}

static void
wr_u32(struct wr *w, uint32_t v)
{
	uint8_t	b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff,
		    v & 0xff };

	wr_bytes(w, b, sizeof(b));
}

static void
wr_u64(struct wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

static void
wr_name(struct wr *w, const char *s)
{
	size_t	n = strlen(s);

	wr_u8(w, (uint8_t)n);
	wr_bytes(w, s, n);
}

int
vault_fmt_name_valid(const char *s, size_t len)
{
	size_t	i;
	char	c;

	if (len == 0 || len > VAULT_MAX_NAME)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '@' || c == '-')
			continue;
		return 0;
	}
	return 1;
}

int
vault_fmt_omnia_secret_valid(const void *s, size_t len)
{
	const uint8_t	*p = s;
	size_t		 i;

	if (len == 0 || len > VAULT_MAX_OMNIA_SECRET)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The header rules the parser enforces.  The KDF bounds keep a damaged or
 * hostile header from making signerd spend unbounded memory or time.
 */
static int
hdr_valid(const struct vault_hdr *h)
{
	if (h->version != VAULT_VERSION || (h->flags & ~VAULT_FLAGS_KNOWN))
		return 0;
	if (h->flags & VAULT_FLAG_KEYFILE) {
		if (h->opslimit != 0 || h->memlimit != 0)
			return 0;
	} else {
		if (h->opslimit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
		    h->opslimit > VAULT_OPSLIMIT_MAX ||
		    h->memlimit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
		    h->memlimit > VAULT_MEMLIMIT_MAX)
			return 0;
	}
	/* No checkpoint yet means no checkpoint hash. */
	if (h->audit_seq == 0 && !sodium_is_zero(h->audit_hash,
	    sizeof(h->audit_hash)))
		return 0;
	return 1;
}

static int
rec_valid(const struct vault_rec *r)
{
	size_t	an, kn;

	an = strnlen(r->account, sizeof(r->account));
	kn = strnlen(r->key_id, sizeof(r->key_id));
	if (r->type < 1 || r->type > VAULT_REC_MAX ||
	    (r->flags & ~VAULT_RECF_KNOWN))
		return 0;
	if (an > VAULT_MAX_NAME || !vault_fmt_name_valid(r->account, an))
		return 0;
	if (kn > VAULT_MAX_NAME || (kn > 0 &&
	    !vault_fmt_name_valid(r->key_id, kn)))
		return 0;
	if (r->body_len <= VAULT_TAG_LEN ||
	    r->body_len > vault_fmt_body_max(r->type) + VAULT_TAG_LEN)
		return 0;
	return 1;
}

/* Header bytes 0..183; the checksum is appended by the caller. */
static void
hdr_put(struct wr *w, const struct vault_hdr *h, uint32_t nrecs)
{
	wr_bytes(w, VAULT_MAGIC, VAULT_MAGIC_LEN);
	wr_u16(w, h->version);
	wr_u16(w, h->flags);
	wr_bytes(w, h->vault_id, sizeof(h->vault_id));
	wr_u64(w, h->opslimit);
	wr_u64(w, h->memlimit);
	wr_bytes(w, h->salt, sizeof(h->salt));
	wr_bytes(w, h->wrap_nonce, sizeof(h->wrap_nonce));
	wr_bytes(w, h->wrapped_key, sizeof(h->wrapped_key));
	wr_u64(w, h->generation);
	wr_u64(w, h->audit_seq);
	wr_bytes(w, h->audit_hash, sizeof(h->audit_hash));
	wr_u32(w, nrecs);
}

/* The cleartext part of a record, which is also its associated data. */
static void
rec_put_clear(struct wr *w, const struct vault_rec *r)
{
	wr_u8(w, r->type);
	wr_u8(w, r->flags);
	wr_name(w, r->account);
	wr_name(w, r->key_id);
	wr_u64(w, r->nonce);
	wr_u32(w, (uint32_t)r->body_len);
}

static void
hdr_cksum(const uint8_t *hdr, uint8_t *out)
{
	crypto_generichash(out, VAULT_CKSUM_LEN, hdr, HDR_CKSUM_OFF, NULL, 0);
}

void
vault_fmt_wrap_ad(const struct vault_hdr *h, uint8_t ad[VAULT_WRAP_AD_LEN])
{
	uint8_t		buf[HDR_CKSUM_OFF];
	struct wr	w = { buf, sizeof(buf), 0 };

	hdr_put(&w, h, 0);
	memcpy(ad, buf, VAULT_WRAP_AD_LEN);
}

size_t
vault_fmt_rec_ad(const struct vault_hdr *h, const struct vault_rec *rec,
    uint8_t ad[VAULT_REC_AD_MAX])
{
	struct wr	w = { ad, VAULT_REC_AD_MAX, 0 };

	if (!rec_valid(rec))
		return 0;
	wr_bytes(&w, VAULT_MAGIC, VAULT_MAGIC_LEN);
	wr_u16(&w, h->version);
	wr_bytes(&w, h->vault_id, sizeof(h->vault_id));
	rec_put_clear(&w, rec);
	return w.pos;
}

static int
rec_parse(struct rd *r, struct vault_rec *rec)
{
	uint32_t	blen;

	memset(rec, 0, sizeof(*rec));
	if (rd_u8(r, &rec->type) != 0 || rd_u8(r, &rec->flags) != 0 ||
	    rd_name(r, rec->account, 0) != 0 ||
	    rd_name(r, rec->key_id, 1) != 0 ||
	    rd_u64(r, &rec->nonce) != 0 || rd_u32(r, &blen) != 0 ||
	    rd_bytes(r, rec->aead_nonce, sizeof(rec->aead_nonce)) != 0)
		return CV_ERR_CORRUPT;
	rec->body_len = blen;
	if (!rec_valid(rec) || r->len - r->pos < blen)
		return CV_ERR_CORRUPT;
	if ((rec->body = malloc(blen)) == NULL)
		return CV_ERR_NOMEM;
	memcpy(rec->body, r->p + r->pos, blen);
	r->pos += blen;
	return 0;
}

int
vault_fmt_parse(const uint8_t *buf, size_t len, struct vault *v)
{
	struct rd	 r = { buf, 0, 0 };
	struct vault_hdr *h = &v->hdr;
	uint8_t		 magic[VAULT_MAGIC_LEN], sum[VAULT_CKSUM_LEN];
	uint32_t	 n;
	size_t		 i;
	int		 ret = CV_ERR_CORRUPT;

	memset(v, 0, sizeof(*v));
	/* Magic, then version, so a newer file is named as such. */
	if (len < VAULT_MAGIC_LEN + 2 ||
	    memcmp(buf, VAULT_MAGIC, VAULT_MAGIC_LEN) != 0)
		goto out;
	if ((buf[8] << 8 | buf[9]) != VAULT_VERSION) {
		ret = CV_ERR_FORMAT_VERSION;
		goto out;
	}
	if (len < VAULT_MIN_FILE || len > VAULT_MAX_FILE)
		goto out;
	hdr_cksum(buf, sum);
	if (memcmp(sum, buf + HDR_CKSUM_OFF, sizeof(sum)) != 0)
		goto out;

	r.len = len - VAULT_MAC_LEN;
	if (rd_bytes(&r, magic, sizeof(magic)) != 0 ||
	    rd_u16(&r, &h->version) != 0 || rd_u16(&r, &h->flags) != 0 ||
	    rd_bytes(&r, h->vault_id, sizeof(h->vault_id)) != 0 ||
	    rd_u64(&r, &h->opslimit) != 0 || rd_u64(&r, &h->memlimit) != 0 ||
	    rd_bytes(&r, h->salt, sizeof(h->salt)) != 0 ||
	    rd_bytes(&r, h->wrap_nonce, sizeof(h->wrap_nonce)) != 0 ||
	    rd_bytes(&r, h->wrapped_key, sizeof(h->wrapped_key)) != 0 ||
	    rd_u64(&r, &h->generation) != 0 ||
	    rd_u64(&r, &h->audit_seq) != 0 ||
	    rd_bytes(&r, h->audit_hash, sizeof(h->audit_hash)) != 0 ||
	    rd_u32(&r, &n) != 0)
		goto out;
	r.pos += VAULT_CKSUM_LEN;
	if (!hdr_valid(h) || n > VAULT_MAX_RECORDS)
		goto out;
	/* Each record takes at least its fixed part: bound n by the size. */
	if (n > (r.len - r.pos) / (VAULT_REC_FIXED + 1 + VAULT_TAG_LEN + 1))
		goto out;
	if (n > 0 && (v->recs = calloc(n, sizeof(*v->recs))) == NULL) {
		ret = CV_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((ret = rec_parse(&r, &v->recs[i])) != 0) {
			free(v->recs[i].body);
			goto out;
		}
		v->nrecs++;
	}
	ret = CV_ERR_CORRUPT;
	if (r.pos != r.len)		/* bytes between records and MAC */
		goto out;
	memcpy(v->mac, buf + r.len, VAULT_MAC_LEN);
	ret = 0;
 out:
	if (ret != 0)
		vault_free(v);
	return ret;
}

int
vault_fmt_encode(const struct vault *v, uint8_t **out, size_t *outlen)
{
	struct wr	w = { NULL, 0, 0 };
	size_t		i, len = VAULT_MIN_FILE;
	int		r = CV_ERR_INVALID;

	*out = NULL;
	*outlen = 0;
	if (!hdr_valid(&v->hdr) || v->nrecs > VAULT_MAX_RECORDS)
		goto out;
	for (i = 0; i < v->nrecs; i++) {
		if (!rec_valid(&v->recs[i]))
			goto out;
		len += VAULT_REC_FIXED + strlen(v->recs[i].account) +
		    strlen(v->recs[i].key_id) + v->recs[i].body_len;
	}
	r = CV_ERR_CORRUPT;
	if (len > VAULT_MAX_FILE)
		goto out;
	r = CV_ERR_NOMEM;
	if ((w.p = malloc(len)) == NULL)
		goto out;
	w.len = len;
	hdr_put(&w, &v->hdr, (uint32_t)v->nrecs);
	hdr_cksum(w.p, w.p + w.pos);
	w.pos += VAULT_CKSUM_LEN;
	for (i = 0; i < v->nrecs; i++) {
		rec_put_clear(&w, &v->recs[i]);
		wr_bytes(&w, v->recs[i].aead_nonce,
		    sizeof(v->recs[i].aead_nonce));
		wr_bytes(&w, v->recs[i].body, v->recs[i].body_len);
	}
	wr_bytes(&w, v->mac, sizeof(v->mac));
	if (w.pos != len)
		fatalx("%s: size mismatch", __func__);
	*out = w.p;
	*outlen = len;
	r = 0;
 out:
	return r;
}

void
vault_free(struct vault *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nrecs; i++)
		free(v->recs[i].body);
	free(v->recs);
	memset(v, 0, sizeof(*v));
}

int
vault_add_record(struct vault *v, const struct vault_rec *rec)
{
	struct vault_rec	*nr;
	uint8_t			*body;

	if (!rec_valid(rec) || rec->body == NULL)
		return CV_ERR_INVALID;
	if (v->nrecs >= VAULT_MAX_RECORDS)
		return CV_ERR_TOOLONG;
	if ((body = malloc(rec->body_len)) == NULL)
		return CV_ERR_NOMEM;
	if ((nr = reallocarray(v->recs, v->nrecs + 1, sizeof(*nr))) == NULL) {
		free(body);
		return CV_ERR_NOMEM;
	}
	v->recs = nr;
	memcpy(body, rec->body, rec->body_len);
	nr[v->nrecs] = *rec;
	nr[v->nrecs].body = body;
	v->nrecs++;
	return 0;
}

int
vault_del_record(struct vault *v, size_t i)
{
	if (i >= v->nrecs)
		return CV_ERR_NOTFOUND;
	free(v->recs[i].body);
	memmove(&v->recs[i], &v->recs[i + 1],
	    (v->nrecs - i - 1) * sizeof(v->recs[0]));
	v->nrecs--;
	return 0;
}

long
vault_find_record(const struct vault *v, uint8_t type, const char *account,
    const char *key_id)
{
	size_t	i;

	for (i = 0; i < v->nrecs; i++) {
		if (v->recs[i].type == type &&
		    strcmp(v->recs[i].account, account) == 0 &&
		    strcmp(v->recs[i].key_id, key_id) == 0)
			return (long)i;
	}
	return -1;
}

int
vault_fmt_read(const char *path, uint8_t **buf, size_t *len)
{
	struct stat	 st;
	uint8_t		*p = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = -1, r = CV_ERR_IO;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted at path must not hang us. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			r = CV_ERR_NOTFOUND;
		else if (errno == ELOOP) {
			log_warnx("%s is a symbolic link; point the "
			    "configuration at the file itself", path);
			r = CV_ERR_PERM;
		} else
			log_warn("%s", path);
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("%s", path);
		goto out;
	}
	r = CV_ERR_PERM;
	if (!S_ISREG(st.st_mode)) {
		log_warnx("%s is not a regular file", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		log_warnx("%s belongs to uid %u, not to us (uid %u); "
		    "fix it with: chown %u %s", path, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("%s is open to other users (mode %03o); "
		    "fix it with: chmod 600 %s", path,
		    (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	r = CV_ERR_CORRUPT;
	if (st.st_size < 0 || st.st_size > VAULT_MAX_FILE) {
		log_warnx("%s is larger than a vault can be", path);
		goto out;
	}
	r = CV_ERR_NOMEM;
	/* One byte more than expected, to notice a file that grew. */
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	r = CV_ERR_IO;
	for (;;) {
		n = read(fd, p + got, (size_t)st.st_size + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("%s", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			log_warnx("%s changed while being read", path);
			goto out;
		}
	}
	if (got != (size_t)st.st_size) {
		log_warnx("%s changed while being read", path);
		goto out;
	}
	*buf = p;
	*len = got;
	p = NULL;
	r = 0;
 out:
	free(p);
	if (fd != -1)
		close(fd);
	return r;
}

void
vault_fmt_test_fail(int step, int err)
{
	fail_step = step;
	fail_errno = err;
}

/* 1 (errno set) if a test asked this step to fail. */
static int
injected(int step)
{
	if (fail_step == 0 || fail_step != step)
		return 0;
	fail_step = 0;
	errno = fail_errno;
	return 1;
}

static int
errno_code(int e)
{
	return (e == ENOSPC || e == EDQUOT) ? CV_ERR_NOSPACE : CV_ERR_IO;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if (injected(1))
			return -1;
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
vault_fmt_write_atomic(int dirfd, const char *name, const uint8_t *buf,
    size_t len)
{
	char	tmp[NAME_MAX + 1];
	int	fd = -1, dfd = -1, created = 0, tries, e, r = CV_ERR_INVALID;
	size_t	nlen = strlen(name);

	if (nlen == 0 || nlen > NAME_MAX - 32 || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		goto out;
	r = CV_ERR_IO;
	for (tries = 0; tries < 8 && fd == -1; tries++) {
		(void)snprintf(tmp, sizeof(tmp), ".%s.%08x.tmp", name,
		    (unsigned)randombytes_random());
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1 && errno != EEXIST)
			break;
	}
	if (fd == -1) {
		e = errno;
		log_warn("cannot create a temporary file for %s", name);
		r = errno_code(e);
		goto out;
	}
	created = 1;
	if (write_all(fd, buf, len) == -1 || injected(2) || fsync(fd) == -1) {
		e = errno;
		log_warn("cannot write %s", tmp);
		r = errno_code(e);
		goto out;
	}
	e = close(fd);
	fd = -1;
	if (e == -1) {
		e = errno;
		log_warn("cannot write %s", tmp);
		r = errno_code(e);
		goto out;
	}
	if (injected(3) || renameat(dirfd, tmp, dirfd, name) == -1) {
		e = errno;
		log_warn("cannot rename %s to %s", tmp, name);
		r = errno_code(e);
		goto out;
	}
	created = 0;
	/*
	 * The rename is durable only once the directory is.  It is made:
	 * the new file is the one in place, and no caller may go on as if
	 * the old one were.  So a directory that cannot be synced stops
	 * the process, as a failed sync of the audit log does; at the next
	 * start vaultd reads the new file, which the log's record of the
	 * write names.
	 */
	if (dirfd == AT_FDCWD &&
	    (dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("%s is written, but its directory cannot be opened to "
		    "sync it", name);
	if (injected(4) || fsync(dfd == -1 ? dirfd : dfd) == -1)
		fatal("%s is written, but its directory cannot be synced",
		    name);
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	if (created && unlinkat(dirfd, tmp, 0) == -1)
		log_warn("cannot remove %s", tmp);
	if (dfd != -1)
		close(dfd);
	return r;
}

/* 1 if ent is ".NAME.XXXXXXXX.tmp", as vault_fmt_write_atomic names. */
static int
tmp_of(const char *ent, const char *name)
{
	size_t	nlen = strlen(name), i;

	if (strlen(ent) != 1 + nlen + 1 + 8 + 4 || ent[0] != '.' ||
	    strncmp(ent + 1, name, nlen) != 0 || ent[1 + nlen] != '.' ||
	    strcmp(ent + 1 + nlen + 1 + 8, ".tmp") != 0)
		return 0;
	for (i = 0; i < 8; i++)
		if (strchr("0123456789abcdef", ent[1 + nlen + 1 + i]) == NULL)
			return 0;
	return 1;
}

int
vault_fmt_tmp_sweep(const char *dir, const char *name)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (!tmp_of(de->d_name, name) ||
		    fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1) {
			log_warn("cannot remove %s/%s", dir, de->d_name);
			continue;
		}
		log_info("removed %s, left by a write of the %s that did not "
		    "finish", de->d_name, name);
		n++;
	}
	closedir(d);
	return n;
}

int
vault_fmt_write_file(const char *path, const uint8_t *buf, size_t len)
{
	char		 dir[PATH_MAX];
	const char	*slash, *name;
	int		 dfd, r;

	if (*path == '\0')
		return CV_ERR_INVALID;
	name = (slash = strrchr(path, '/')) == NULL ? path : slash + 1;
	if ((r = home_dirname(path, dir, sizeof(dir))) != 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		r = errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
		log_warn("%s", dir);
		return r;
	}
	r = vault_fmt_write_atomic(dfd, name, buf, len);
	close(dfd);
	return r;
}

size_t
vault_fmt_body_max(uint8_t type)
{
	return type == VAULT_REC_POLICY ? VAULT_MAX_POLICY : VAULT_MAX_BODY;
}

int
vault_fmt_journal_valid(const uint8_t *p, size_t len)
{
	size_t	i;

	if (len == 0 || len > VAULT_MAX_JOURNAL)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

size_t
vault_fmt_cred_len(const uint8_t *p, size_t len, int64_t *created)
{
	const size_t	 tl = sizeof(VAULT_CREATED_TAG) - 1;
	const uint8_t	*first, *last = NULL;
	int64_t		 t = 0;
	size_t		 i, nd;

	if (created != NULL)
		*created = 0;
	if ((first = memchr(p, 0, len)) == NULL)
		return len;
	for (i = len; i-- > 0; )
		if (p[i] == 0) {
			last = p + i;
			break;
		}
	/* a third part, "created=" and 1 to 18 digits, to the end */
	if (last == first || (size_t)(p + len - last - 1) <= tl ||
	    memcmp(last + 1, VAULT_CREATED_TAG, tl) != 0)
		return len;
	nd = (size_t)(p + len - last - 1) - tl;
	if (nd > 18)
		return len;
	for (i = 0; i < nd; i++) {
		if (last[1 + tl + i] < '0' || last[1 + tl + i] > '9')
			return len;
		t = t * 10 + (last[1 + tl + i] - '0');
	}
	if (created != NULL)
		*created = t;
	return (size_t)(last - p);
}
