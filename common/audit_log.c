/*
 * The audit log as files: streaming verification, segments, the reader
 * that walks them in order, and the cross-check of a vault with the log
 * at unlock.  The record format is in audit.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/log.h"

static int	next_line(const char *, size_t, size_t, size_t *);
static int	vfail(struct audit_verifier *, enum audit_fault, const char *,
		    uint64_t);

/* A file name for a report, cut to fit. */
static void
set_name(char *dst, size_t size, const char *src)
{
	size_t	n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
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

static int
vfail(struct audit_verifier *v, enum audit_fault f, const char *file,
    uint64_t line)
{
	v->rep->fault = f;
	v->rep->fault_line = line;
	set_name(v->rep->fault_file, sizeof(v->rep->fault_file), file);
	v->done = 1;
	switch (f) {
	case AUDIT_FAULT_MALFORMED:
		v->code = CV_ERR_CORRUPT;
		break;
	case AUDIT_FAULT_BADSIG:
		v->code = CV_ERR_BADSIG;
		break;
	default:
		v->code = CV_ERR_TAMPERED;
		break;
	}
	return v->code;
}

void
audit_verify_init(struct audit_verifier *v, const uint8_t pk[AUDIT_PK_LEN],
    const struct audit_anchor *anchor, struct audit_report *rep)
{
	memset(v, 0, sizeof(*v));
	memset(rep, 0, sizeof(*rep));
	memcpy(v->pk, pk, AUDIT_PK_LEN);
	if (anchor != NULL)
		v->anchor = *anchor;
	v->rep = rep;
	v->file = "";
}

void
audit_verify_file_start(struct audit_verifier *v, const char *name)
{
	v->file = name;
	v->line = 0;
	v->rep->segments++;
}

static void
interrupted(struct audit_verifier *v)
{
	if (v->rep->interrupted++ == 0) {
		v->rep->interrupted_line = v->intent_line;
		set_name(v->rep->interrupted_file,
		    sizeof(v->rep->interrupted_file), v->intent_file);
	}
	v->intent = 0;
}

/* Write-ahead: an intent is closed by its outcome, nothing else. */
static void
track_intent(struct audit_verifier *v, const struct audit_rec *r)
{
	const char	*vd = r->verdict;

	if (strcmp(vd, AUDIT_V_INTENT) == 0 || audit_rec_is_checkpoint(r)) {
		if (v->intent)
			interrupted(v);
		if (audit_rec_is_checkpoint(r))
			return;
		v->intent = 1;
		v->intent_rec = *r;
		v->intent_line = v->line;
		set_name(v->intent_file, sizeof(v->intent_file), v->file);
	} else if (v->intent && (strcmp(vd, AUDIT_V_OK) == 0 ||
	    strcmp(vd, AUDIT_V_WRITTEN) == 0 || strcmp(vd, AUDIT_V_FAIL) == 0) &&
	    strcmp(r->op, v->intent_rec.op) == 0 &&
	    strcmp(r->gen, v->intent_rec.gen) == 0)
		v->intent = 0;
}

int
audit_verify_line(struct audit_verifier *v, const char *line, size_t len)
{
	struct audit_report	*rep = v->rep;
	struct audit_rec	 r;
	uint8_t			 h[AUDIT_HASH_LEN];
	char			 prev[AUDIT_HEX_HASH + 1];

	if (v->done)
		return v->code;
	v->line++;
	if (audit_record_parse(line, len, &r) != 0)
		return vfail(v, AUDIT_FAULT_MALFORMED, v->file, v->line);
	if (v->missing != 0) {
		/* after a gap: does the missing seq come later? */
		if (r.seq == v->missing)
			return vfail(v, AUDIT_FAULT_REORDERED,
			    v->missing_file, v->missing_line);
		return 0;
	}
	if (r.seq <= rep->head.seq)
		return vfail(v, AUDIT_FAULT_REORDERED, v->file, v->line);
	if (r.seq > rep->head.seq + 1) {
		v->missing = rep->head.seq + 1;
		v->missing_line = v->line;
		set_name(v->missing_file, sizeof(v->missing_file), v->file);
		return 0;
	}
	/* The line before is the one whose hash does not match. */
	hex_encode(rep->head.head, sizeof(rep->head.head), prev);
	if (strcmp(prev, r.prev) != 0)
		return vfail(v, AUDIT_FAULT_EDITED, v->file, v->line - 1);
	audit_chain_hash(line, len, h);
	if (audit_rec_is_checkpoint(&r)) {
		if (audit_checkpoint_verify(&r, v->pk) != 0)
			return vfail(v, AUDIT_FAULT_BADSIG, v->file, v->line);
		rep->checkpoints++;
		rep->last_checkpoint = r.seq;
		memcpy(rep->last_hash, h, sizeof(h));
		rep->unsigned_tail = 0;
	} else
		rep->unsigned_tail++;
	if (v->anchor.seq != 0 && r.seq == v->anchor.seq &&
	    (!audit_rec_is_checkpoint(&r) ||
	    sodium_memcmp(h, v->anchor.hash, sizeof(h)) != 0))
		return vfail(v, AUDIT_FAULT_EDITED, v->file, v->line);
	track_intent(v, &r);
	rep->records++;
	rep->head.seq = r.seq;
	memcpy(rep->head.head, h, sizeof(h));
	return 0;
}

int
audit_verify_end(struct audit_verifier *v)
{
	if (v->done)
		return v->code;
	if (v->missing != 0)
		return vfail(v, AUDIT_FAULT_DELETED, v->missing_file,
		    v->missing_line);
	if (v->anchor.seq != 0 && v->rep->head.seq < v->anchor.seq)
		return vfail(v, AUDIT_FAULT_TRUNCATED, v->file, v->line + 1);
	if (v->intent)
		interrupted(v);
	return 0;
}

int
audit_verify(const char *buf, size_t len, const uint8_t pk[AUDIT_PK_LEN],
    const struct audit_anchor *anchor, struct audit_report *rep)
{
	struct audit_verifier	v;
	size_t			off = 0, n;
	int			r;

	audit_verify_init(&v, pk, anchor, rep);
	for (; next_line(buf, len, off, &n); off += n)
		if ((r = audit_verify_line(&v, buf + off, n)) != 0)
			return r;
	return audit_verify_end(&v);
}

int
audit_log_file(const struct audit_log *log, uint64_t i, char *out,
    size_t outlen)
{
	int	n;

	if (i == 0 || i > log->nseg + 1)
		return CV_ERR_INVALID;
	if (i == log->nseg + 1)
		n = snprintf(out, outlen, "%s", log->path);
	else
		n = snprintf(out, outlen, "%s.%06llu", log->path,
		    (unsigned long long)i);
	if (n < 0 || (size_t)n >= outlen)
		return CV_ERR_TOOLONG;
	return 0;
}

int
audit_log_scan(const char *path, struct audit_log *log)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*d;
	char		 dir[PATH_MAX], seg[PATH_MAX + 32];
	const char	*base, *slash;
	size_t		 blen, i;
	uint64_t	 n;

	memset(log, 0, sizeof(*log));
	if (snprintf(log->path, sizeof(log->path), "%s", path) >=
	    (int)sizeof(log->path))
		return CV_ERR_TOOLONG;
	if ((slash = strrchr(path, '/')) == NULL) {
		(void)snprintf(dir, sizeof(dir), ".");
		base = path;
	} else {
		(void)snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash - path) ? (int)(slash - path) : 1, path);
		base = slash + 1;
	}
	blen = strlen(base);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	while ((e = readdir(d)) != NULL) {
		const char *s = e->d_name;

		if (strncmp(s, base, blen) != 0 || s[blen] != '.' ||
		    strlen(s + blen + 1) < 6)
			continue;
		s += blen + 1;
		while (*s == '0')	/* zero-padded: 000012 */
			s++;
		for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (s[i] != '\0' || i == 0 || i > 19)
			continue;
		n = strtoull(s, NULL, 10);
		if (n > log->nseg)
			log->nseg = n;
	}
	closedir(d);
	for (n = 1; n <= log->nseg; n++) {
		if (audit_log_file(log, n, seg, sizeof(seg)) != 0)
			return CV_ERR_TOOLONG;
		if (lstat(seg, &st) == -1) {
			log->gap = n;
			break;
		}
	}
	return 0;
}

/* The file being read is done. */
static void
iter_file_close(struct audit_iter *it)
{
	if (it->fd != -1)
		close(it->fd);
	it->fd = -1;
}

void
audit_iter_close(struct audit_iter *it)
{
	iter_file_close(it);
	if (it->lastfd != -1)
		close(it->lastfd);
	it->lastfd = -1;
}

int
audit_iter_open(struct audit_iter *it, const struct audit_log *log,
    uint64_t first)
{
	memset(it, 0, sizeof(*it));
	it->log = log;
	it->file = first == 0 ? 1 : first;
	it->fd = -1;
	it->lastfd = -1;
	return 0;
}

void
audit_iter_bound(struct audit_iter *it, int fd, uint64_t max)
{
	if (it->lastfd != -1)
		close(it->lastfd);
	it->bounded = 1;
	it->lastfd = fd;
	it->lastleft = fd == -1 ? 0 : max;
}

/* The current file of a bounded iterator: its fd, or none (an empty file). */
static int
iter_last(struct audit_iter *it)
{
	const char	*slash = strrchr(it->log->path, '/');

	if (it->lastfd == -1)
		return 0;
	it->fd = it->lastfd;
	it->lastfd = -1;
	set_name(it->name, sizeof(it->name), slash ? slash + 1 :
	    it->log->path);
	it->line = 0;
	it->off = it->len = 0;
	it->newfile = 1;
	return 1;
}

/* Open the next file that exists; 1, 0 past the last, or an error. */
static int
iter_file(struct audit_iter *it)
{
	struct stat	 st;
	char		 path[PATH_MAX + 32];
	const char	*slash;

	for (; it->file <= it->log->nseg + 1; it->file++) {
		if (it->bounded && it->file == it->log->nseg + 1)
			return iter_last(it);
		if (audit_log_file(it->log, it->file, path, sizeof(path)) != 0)
			return CV_ERR_TOOLONG;
		if ((it->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NONBLOCK)) == -1) {
			if (errno == ENOENT)
				continue;	/* a gap: audit_log_scan says */
			return CV_ERR_IO;
		}
		if (fstat(it->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			iter_file_close(it);
			return CV_ERR_IO;
		}
		slash = strrchr(path, '/');
		set_name(it->name, sizeof(it->name),
		    slash ? slash + 1 : path);
		it->line = 0;
		it->off = it->len = 0;
		it->newfile = 1;
		return 1;
	}
	return 0;
}

int
audit_iter_next(struct audit_iter *it, const char **line, size_t *len)
{
	const char	*nl;
	size_t		 n = 0, take, room, want;
	ssize_t		 got;
	int		 r, first = 0;

	for (;;) {
		if (it->fd == -1) {
			if ((r = iter_file(it)) <= 0)
				return r;
			first = 1;
		}
		if (it->off == it->len) {
			want = sizeof(it->buf);
			if (it->bounded && it->file == it->log->nseg + 1 &&
			    it->lastleft < want)
				want = (size_t)it->lastleft;
			got = want == 0 ? 0 : read(it->fd, it->buf, want);
			if (got == -1 && errno == EINTR)
				continue;
			if (got == -1)
				return CV_ERR_IO;
			if (it->bounded && it->file == it->log->nseg + 1)
				it->lastleft -= (uint64_t)got;
			if (got == 0) {
				iter_file_close(it);
				it->file++;
				if (n > 0)	/* an unterminated last line */
					break;
				continue;
			}
			it->off = 0;
			it->len = (size_t)got;
		}
		nl = memchr(it->buf + it->off, '\n', it->len - it->off);
		take = nl ? (size_t)(nl - (it->buf + it->off)) + 1 :
		    it->len - it->off;
		room = sizeof(it->linebuf) - 1 - n;
		memcpy(it->linebuf + n, it->buf + it->off,
		    take < room ? take : room);
		n += take < room ? take : room;
		it->off += take;
		if (nl != NULL)
			break;
	}
	it->newfile = first || it->line == 0;
	it->line++;
	it->linebuf[n] = '\0';
	*line = it->linebuf;
	*len = n;
	return 1;
}

int
audit_verify_file(const char *path, const uint8_t pk[AUDIT_PK_LEN],
    const struct audit_anchor *anchor, struct audit_report *rep)
{
	struct audit_log	 log;
	struct stat		 st;
	int			 r;

	memset(rep, 0, sizeof(*rep));
	if ((r = audit_log_scan(path, &log)) != 0)
		return r;
	if (log.nseg == 0 && lstat(path, &st) == -1) {
		log_warn("%s", path);
		return errno == ENOENT ? CV_ERR_NOTFOUND : CV_ERR_IO;
	}
	if ((r = audit_verify_log(&log, -2, 0, pk, anchor, rep)) == CV_ERR_IO)
		log_warn("reading %s", path);
	return r;
}

/* lastfd -2: not bounded, the current file opened by its path. */
int
audit_verify_log(const struct audit_log *log, int lastfd, uint64_t lastmax,
    const uint8_t pk[AUDIT_PK_LEN], const struct audit_anchor *anchor,
    struct audit_report *rep)
{
	struct audit_verifier	 v;
	struct audit_iter	*it = NULL;
	const char		*line;
	char			 name[PATH_MAX + 32];
	size_t			 len;
	int			 r;

	audit_verify_init(&v, pk, anchor, rep);
	if (log->gap != 0) {
		r = audit_log_file(log, log->gap, name, sizeof(name)) != 0 ?
		    CV_ERR_TOOLONG : vfail(&v, AUDIT_FAULT_DELETED,
		    strrchr(name, '/') ? strrchr(name, '/') + 1 : name, 0);
		goto out;
	}
	r = CV_ERR_NOMEM;
	if ((it = malloc(sizeof(*it))) == NULL ||
	    (r = audit_iter_open(it, log, 1)) != 0)
		goto out;
	if (lastfd != -2) {
		audit_iter_bound(it, lastfd, lastmax);
		lastfd = -2;			/* the iterator's now */
	}
	while ((r = audit_iter_next(it, &line, &len)) == 1) {
		if (it->newfile)
			audit_verify_file_start(&v, it->name);
		if ((r = audit_verify_line(&v, line, len)) != 0)
			goto out;
	}
	if (r == 0)
		r = audit_verify_end(&v);
 out:
	if (lastfd >= 0)
		close(lastfd);
	if (it != NULL) {
		audit_iter_close(it);
		free(it);
	}
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

void
audit_report_text(int r, const struct audit_report *rep, char *text,
    size_t len)
{
	size_t	n;

	if (r != 0 && rep->fault == AUDIT_FAULT_NONE) {
		snprintf(text, len, "cannot read the audit log: %s",
		    cv_strerror(r));
		return;
	}
	if (r != 0) {
		snprintf(text, len, "audit log FAILED verification: %s at %s "
		    "line %llu", audit_fault_str(rep->fault),
		    rep->fault_file[0] ? rep->fault_file : "audit.log",
		    (unsigned long long)rep->fault_line);
		return;
	}
	snprintf(text, len, "audit log verified: %llu records in %llu "
	    "file%s, %llu checkpoints, last checkpoint at %llu, %llu records "
	    "after it", (unsigned long long)rep->records,
	    (unsigned long long)rep->segments, rep->segments == 1 ? "" : "s",
	    (unsigned long long)rep->checkpoints,
	    (unsigned long long)rep->last_checkpoint,
	    (unsigned long long)rep->unsigned_tail);
	if (rep->interrupted == 0)
		return;
	n = strlen(text);
	snprintf(text + n, len - n, "; %llu interrupted vault write%s (an "
	    "intent with no outcome: a crash between the intent and its "
	    "record; the vault's generation shows whether it was written), "
	    "the first at %s line %llu", (unsigned long long)rep->interrupted,
	    rep->interrupted == 1 ? "" : "s", rep->interrupted_file,
	    (unsigned long long)rep->interrupted_line);
}

void
audit_gen_init(struct audit_gen_check *g, const struct audit_anchor *anchor,
    uint64_t vault_gen, const uint8_t pk[AUDIT_PK_LEN])
{
	memset(g, 0, sizeof(*g));
	g->anchor = *anchor;
	g->vault_gen = vault_gen;
	audit_key_id(pk, g->key_id);
	g->open_outcome = -1;
}

static int
gen_decide(struct audit_gen_check *g, enum audit_gen_verdict v, uint64_t seq)
{
	g->verdict = v;
	g->bad_seq = seq;
	return 1;
}

/*
 * The open attempt ends: next is the generation the next attempt names,
 * 0 at the end of the log.  Was it written?  1 if decided (refused).
 */
static int
gen_resolve(struct audit_gen_check *g, uint64_t next)
{
	int	written;

	if (!g->open)
		return 0;
	g->open = 0;
	if (g->open_outcome >= 0)
		written = g->open_outcome;
	else if (next == g->open_gen + 1)
		written = 1;
	else if (next == g->open_gen)
		written = 0;
	else if (next != 0)
		return gen_decide(g, AUDIT_GEN_MISMATCH, g->open_seq);
	else
		written = !g->open_ckpt && g->vault_gen >= g->open_gen;
	if (written && g->open_ckpt)	/* the anchor would be past it */
		return gen_decide(g, AUDIT_GEN_VAULT_OLDER, g->open_seq);
	if (written)
		g->cur = g->open_gen;
	return 0;
}

int
audit_gen_record(struct audit_gen_check *g, const struct audit_rec *r,
    const uint8_t hash[AUDIT_HASH_LEN])
{
	uint64_t	gen;
	int		has_gen, ckpt = audit_rec_is_checkpoint(r);

	if (g->verdict != AUDIT_GEN_OK)
		return 1;
	if (ckpt) {
		g->last_checkpoint = r->seq;
		memcpy(g->last_hash, hash, AUDIT_HASH_LEN);
	}
	has_gen = audit_rec_gen(r, &gen) == 0;
	if (g->anchor.seq == 0 && !g->found) {
		/*
		 * A vault that never had a checkpoint: none of its key was
		 * written into it.  The log may still hold one whose vault
		 * write never happened (a crash or a failed write after the
		 * line was synced: the log runs one checkpoint ahead).  From
		 * the first of its key on, the log is read as after an
		 * anchor one generation before that checkpoint, so that a
		 * checkpoint found written makes the vault the older.
		 */
		if (!ckpt || strcmp(r->key_id, g->key_id) != 0)
			return 0;
		if (!has_gen || gen == 0)
			return gen_decide(g, AUDIT_GEN_VAULT_OLDER, r->seq);
		g->found = 1;
		g->cur = gen - 1;
		g->open = 1;
		g->open_ckpt = 1;
		g->open_gen = gen;
		g->open_seq = r->seq;
		g->open_outcome = -1;
		g->open_rec = *r;
		return 0;
	}
	if (!g->found) {
		if (r->seq < g->anchor.seq)
			return 0;
		if (r->seq > g->anchor.seq || !ckpt || !has_gen ||
		    sodium_memcmp(hash, g->anchor.hash, AUDIT_HASH_LEN) != 0)
			return gen_decide(g, AUDIT_GEN_MISMATCH,
			    g->anchor.seq);
		g->found = 1;
		g->cur = gen;
		return 0;
	}
	if (ckpt || strcmp(r->verdict, AUDIT_V_INTENT) == 0) {
		if (gen_resolve(g, gen))
			return 1;
		if (gen != g->cur + 1)
			return gen_decide(g, AUDIT_GEN_MISMATCH, r->seq);
		g->open = 1;
		g->open_ckpt = ckpt;
		g->open_gen = gen;
		g->open_seq = r->seq;
		g->open_outcome = -1;
		g->open_rec = *r;
	} else if (g->open && !g->open_ckpt && has_gen &&
	    gen == g->open_gen && strcmp(r->op, g->open_rec.op) == 0) {
		if (strcmp(r->verdict, AUDIT_V_FAIL) == 0)
			g->open_outcome = 0;
		else if (strcmp(r->verdict, AUDIT_V_OK) == 0 ||
		    strcmp(r->verdict, AUDIT_V_WRITTEN) == 0)
			g->open_outcome = 1;
	}
	return 0;
}

enum audit_gen_verdict
audit_gen_end(struct audit_gen_check *g)
{
	if (g->verdict != AUDIT_GEN_OK ||
	    (g->anchor.seq == 0 && !g->found))
		return g->verdict;
	if (!g->found) {
		gen_decide(g, AUDIT_GEN_LOG_OLDER, 0);
		return g->verdict;
	}
	if (gen_resolve(g, 0))
		return g->verdict;
	if (g->vault_gen > g->cur)
		gen_decide(g, AUDIT_GEN_LOG_OLDER, 0);
	else if (g->vault_gen < g->cur)
		gen_decide(g, AUDIT_GEN_VAULT_OLDER, 0);
	return g->verdict;
}
