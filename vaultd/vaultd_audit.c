/*
 * vaultd's audit log: every lifecycle event is appended and fsync'd as
 * one line chained to the one before (common/audit.h).  After events, a
 * checkpoint signed by the audit key in signerd closes the chain, and
 * its hash is sealed into the vault header as the anchor that makes a
 * truncated log detectable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "common/encode.h"
#include "common/log.h"
#include "common/vault_fmt.h"
#include "vaultd/vaultd.h"

#define AUDIT_SHOW_MAX	(512 * 1024)

/* Open the log and find where it ends; cut a line torn by a crash. */
void
vaultd_audit_open(struct vaultd *vd)
{
	struct audit_rec	 rec;
	struct stat		 st;
	char			*buf = NULL;
	size_t			 off = 0, end, good = 0;
	ssize_t			 n;
	uint64_t		 line = 0;

	audit_chain_init(&vd->chain);
	vd->audit_fd = open(vd->auditpath, O_RDWR | O_CREAT | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW, 0600);
	if (vd->audit_fd == -1)
		fatal("open %s", vd->auditpath);
	if (fstat(vd->audit_fd, &st) == -1)
		fatal("fstat %s", vd->auditpath);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)
		fatalx("%s must be a regular file of ours, closed to others "
		    "(fix it with: chmod 600 %s)", vd->auditpath,
		    vd->auditpath);
	if ((uint64_t)st.st_size > AUDIT_MAX_FILE)
		fatalx("%s is too large", vd->auditpath);
	if (st.st_size > 0) {
		if ((buf = malloc((size_t)st.st_size)) == NULL)
			fatal("audit log");
		n = pread(vd->audit_fd, buf, (size_t)st.st_size, 0);
		if (n != st.st_size)
			fatal("read %s", vd->auditpath);
	}
	while (off < (size_t)st.st_size) {
		char *nl = memchr(buf + off, '\n', (size_t)st.st_size - off);

		if (nl == NULL)
			break;
		end = (size_t)(nl - buf) + 1;
		line++;
		if (audit_record_parse(buf + off, end - off, &rec) != 0 ||
		    rec.seq != vd->chain.seq + 1)
			fatalx("%s: line %llu is malformed or out of sequence; "
			    "vaultd will not append to a broken log (check it "
			    "with vaultctl audit verify on a copy, then move "
			    "it aside)", vd->auditpath,
			    (unsigned long long)line);
		vd->chain.seq = rec.seq;
		audit_chain_hash(buf + off, end - off, vd->chain.head);
		off = good = end;
	}
	if (good < (size_t)st.st_size) {
		log_warnx("%s: cutting %zu bytes of a line torn by a crash",
		    vd->auditpath, (size_t)st.st_size - good);
		if (ftruncate(vd->audit_fd, (off_t)good) == -1)
			fatal("truncate %s", vd->auditpath);
	}
	free(buf);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return CV_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the signing records of this loop turn, in order. */
static int
audit_write_pending(struct vaultd *vd)
{
	int	r;

	if (vd->audit_pend.len == 0)
		return 0;
	r = write_all(vd->audit_fd, vd->audit_pend.data, vd->audit_pend.len);
	msgbuf_free(&vd->audit_pend);
	return r;
}

/*
 * A lifecycle record is written and fsync'd at once; a signing record
 * joins the turn's batch, written and fdatasync'd by vaultd_audit_sync
 * before any of the turn's requests reaches signerd.
 */
static int
audit_write(struct vaultd *vd, const char *line, size_t len, int sync)
{
	if (!sync) {
		vd->audit_dirty = 1;
		return msgbuf_add(&vd->audit_pend, line, len);
	}
	if (audit_write_pending(vd) != 0 ||
	    write_all(vd->audit_fd, line, len) != 0 ||
	    fsync(vd->audit_fd) == -1)
		return CV_ERR_IO;
	vd->audit_dirty = 0;
	return 0;
}

void
vaultd_audit_sync(struct vaultd *vd)
{
	if (!vd->audit_dirty)
		return;
	if (audit_write_pending(vd) != 0 || fdatasync(vd->audit_fd) == -1)
		fatal("audit: cannot write %s", vd->auditpath);
	vd->audit_dirty = 0;
}

static void
fill(char *dst, size_t len, const char *src)
{
	size_t	i;

	if (src == NULL || *src == '\0') {
		snprintf(dst, len, "-");
		return;
	}
	/* a name field holds printable ASCII without spaces */
	for (i = 0; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (src[i] > 0x20 && src[i] < 0x7f) ? src[i] : '_';
	dst[i] = '\0';
}

void
vaultd_audit(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id)
{
	vaultd_audit_req(vd, actor, account, op, NULL, NULL, 0, NULL, 0,
	    verdict, key_id);
}

static void	audit_record(struct vaultd *, const char *, const char *,
		    const char *, const char *, const char *, size_t,
		    const uint8_t *, size_t, const char *, const char *, int);

void
vaultd_audit_req(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *method, const char *path, size_t pathlen,
    const uint8_t *body, size_t bodylen, const char *verdict,
    const char *key_id)
{
	audit_record(vd, actor, account, op, method, path, pathlen, body,
	    bodylen, verdict, key_id, 1);
	vd->checkpoint_due = 1;
}

/*
 * A signing verdict.  The line is written before signerd sees the
 * request and synced, with every other verdict of the same loop turn,
 * before the requests are released to signerd (vaultd_sign_flush).
 * Its checkpoint comes with the next AUDIT_CKPT_RECORDS records or
 * AUDIT_CKPT_AGE_MS, whichever is first, or the next lifecycle event.
 */
void
vaultd_audit_sign(struct vaultd *vd, const char *actor, const char *account,
    const char *method, const char *path, size_t pathlen,
    const uint8_t *body, size_t bodylen, const char *verdict)
{
	audit_record(vd, actor, account, "sign", method, path, pathlen, body,
	    bodylen, verdict, NULL, 0);
	if (vd->audit_unsigned++ == 0)
		vd->audit_first_ms = vaultd_now_ms();
	if (vd->audit_unsigned >= AUDIT_CKPT_RECORDS)
		vd->checkpoint_due = 1;
}

void
vaultd_audit_tick(struct vaultd *vd, int64_t now)
{
	if (vd->audit_unsigned > 0 &&
	    now - vd->audit_first_ms >= AUDIT_CKPT_AGE_MS)
		vd->checkpoint_due = 1;
	vaultd_audit_checkpoint(vd);
}

int64_t
vaultd_audit_next_ms(const struct vaultd *vd)
{
	if (vd->audit_unsigned == 0 || vd->checkpoint_due)
		return -1;
	return vd->audit_first_ms + AUDIT_CKPT_AGE_MS;
}

static void
audit_record(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *method, const char *path, size_t pathlen,
    const uint8_t *body, size_t bodylen, const char *verdict,
    const char *key_id, int sync)
{
	crypto_generichash_state	h;
	struct audit_rec		rec;
	uint8_t				digest[AUDIT_HASH_LEN];
	char				pbuf[AUDIT_MAX_PATH + 1];
	char			line[AUDIT_LINE_MAX + 1];
	size_t			len;
	int			r;

	audit_rec_init(&rec);
	if (audit_time_format(time(NULL), rec.time) != 0)
		fatalx("audit: clock out of range");
	fill(rec.actor, sizeof(rec.actor), actor);
	fill(rec.account, sizeof(rec.account), account);
	fill(rec.op, sizeof(rec.op), op);	/* "account add": account_add */
	fill(rec.verdict, sizeof(rec.verdict), verdict);
	fill(rec.key_id, sizeof(rec.key_id), key_id);
	if (method != NULL && path != NULL && pathlen > 0 && path[0] == '/') {
		fill(rec.method, sizeof(rec.method), method);
		snprintf(pbuf, sizeof(pbuf), "%.*s", (int)pathlen, path);
		fill(rec.path, sizeof(rec.path), pbuf);
		/* the request digest: method, path as sent, body */
		crypto_generichash_init(&h, NULL, 0, sizeof(digest));
		crypto_generichash_update(&h, (const uint8_t *)method,
		    strlen(method));
		crypto_generichash_update(&h, (const uint8_t *)" ", 1);
		crypto_generichash_update(&h, (const uint8_t *)path, pathlen);
		crypto_generichash_update(&h, (const uint8_t *)"\n", 1);
		if (bodylen > 0)
			crypto_generichash_update(&h, body, bodylen);
		crypto_generichash_final(&h, digest, sizeof(digest));
		hex_encode(digest, sizeof(digest), rec.digest);
	}
	if ((r = audit_chain_append(&vd->chain, &rec, line, sizeof(line),
	    &len)) != 0)
		fatalx("audit: cannot format a record for %s: %s", op,
		    cv_strerror(r));
	if ((r = audit_write(vd, line, len, sync)) != 0)
		fatal("audit: cannot append to %s", vd->auditpath);
}

void
vaultd_audit_checkpoint(struct vaultd *vd)
{
	struct audit_chain	tmp = vd->chain;
	struct msg_w		w;
	char			line[AUDIT_LINE_MAX + 1];
	size_t			len;
	uint32_t		id;

	if (!vd->checkpoint_due || !vd->unlocked || vd->op.active ||
	    !vd->have_audit_pk || vd->children[0].state != CHILD_UP)
		return;
	audit_rec_init(&vd->ckpt);
	if (audit_time_format(time(NULL), vd->ckpt.time) != 0)
		return;
	snprintf(vd->ckpt.actor, sizeof(vd->ckpt.actor), "vaultd");
	snprintf(vd->ckpt.op, sizeof(vd->ckpt.op), AUDIT_OP_CHECKPOINT);
	audit_key_id(vd->audit_pk, vd->ckpt.key_id);
	if (audit_chain_append(&tmp, &vd->ckpt, line, sizeof(line),
	    &len) != 0)
		fatalx("audit: cannot format a checkpoint");
	memset(&vd->op, 0, sizeof(vd->op));
	id = child_new_id(&vd->children[0]);
	msg_begin(&w, MSG_AUDIT_SIGN_REQ, id);
	msg_put_strn(&w, line, len);
	if (child_send(&vd->children[0], &w) != 0)
		return;
	vd->op.active = 1;
	vd->op.id = id;
	vd->op.sent = MSG_AUDIT_SIGN_REQ;
	vd->checkpoint_due = 0;
}

/* signerd signed the checkpoint: append it before the anchor moves. */
int
vaultd_audit_signed(struct vaultd *vd, const char *sig, size_t siglen)
{
	char	line[AUDIT_LINE_MAX + 1];
	size_t	len;
	int	r;

	if (siglen != AUDIT_HEX_SIG)
		return CV_ERR_MSG_LENGTH;
	memcpy(vd->ckpt.sig, sig, siglen);
	vd->ckpt.sig[siglen] = '\0';
	if (audit_checkpoint_verify(&vd->ckpt, vd->audit_pk) != 0)
		return CV_ERR_BADSIG;
	if ((r = audit_chain_append(&vd->chain, &vd->ckpt, line,
	    sizeof(line), &len)) != 0)
		return r;
	if (audit_write(vd, line, len, 1) != 0)
		fatal("audit: cannot append to %s", vd->auditpath);
	vd->audit_unsigned = 0;
	return 0;
}

static int
audit_verify_now(struct vaultd *vd, char *text, size_t len)
{
	struct audit_report	 rep;
	struct audit_anchor	 anchor;
	struct vault		 v;
	uint8_t			*file = NULL;
	size_t			 flen;
	int			 r;

	if (!vd->have_audit_pk) {
		snprintf(text, len, "vaultd does not know the audit key yet: "
		    "unlock the vault once");
		return CV_ERR_LOCKED;
	}
	memset(&v, 0, sizeof(v));
	memset(&anchor, 0, sizeof(anchor));
	if ((r = vault_fmt_read(vd->vaultpath, &file, &flen)) != 0 ||
	    (r = vault_fmt_parse(file, flen, &v)) != 0) {
		free(file);
		snprintf(text, len, "cannot read the vault for the audit "
		    "anchor: %s", cv_strerror(r));
		return r;
	}
	anchor.seq = v.hdr.audit_seq;
	memcpy(anchor.hash, v.hdr.audit_hash, sizeof(anchor.hash));
	vault_free(&v);
	free(file);
	r = audit_verify_file(vd->auditpath, vd->audit_pk, &anchor, &rep);
	if (r == 0)
		snprintf(text, len, "audit log verified: %llu records, %llu "
		    "checkpoints, last checkpoint at %llu, %llu records after "
		    "it", (unsigned long long)rep.records,
		    (unsigned long long)rep.checkpoints,
		    (unsigned long long)rep.last_checkpoint,
		    (unsigned long long)rep.unsigned_tail);
	else
		snprintf(text, len, "audit log FAILED verification: %s at "
		    "line %llu", audit_fault_str(rep.fault),
		    (unsigned long long)rep.fault_line);
	return r;
}

/* The last n lines of the log. */
static int
audit_tail(struct vaultd *vd, uint64_t n, char **out, size_t *outlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 start, size;
	off_t		 from;

	*out = NULL;
	if (fstat(vd->audit_fd, &st) == -1)
		return CV_ERR_IO;
	size = (size_t)st.st_size < AUDIT_SHOW_MAX ? (size_t)st.st_size :
	    AUDIT_SHOW_MAX;
	from = st.st_size - (off_t)size;
	if ((buf = malloc(size + 1)) == NULL)
		return CV_ERR_NOMEM;
	if (pread(vd->audit_fd, buf, size, from) != (ssize_t)size) {
		free(buf);
		return CV_ERR_IO;
	}
	start = size;
	while (start > 0 && n > 0) {
		start--;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		n--;
	}
	memmove(buf, buf + start, size - start);
	*outlen = size - start;
	*out = buf;
	return 0;
}

int
vaultd_audit_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	uint64_t	 tail;
	char		 text[256], *lines = NULL;
	size_t		 len = 0;
	int		 verify, r;

	if ((r = msg_get_bool(&m->rd, &verify)) != 0 ||
	    (r = msg_get_u64(&m->rd, &tail)) != 0)
		return r;
	vaultd_audit_sync(vd);		/* the file holds every record */
	msg_begin(&w, MSG_CTL_AUDIT_ANS, m->id);
	if (verify) {
		r = audit_verify_now(vd, text, sizeof(text));
		msg_put_i64(&w, r);
		msg_put_str(&w, text);
	} else {
		r = audit_tail(vd, tail ? tail : 20, &lines, &len);
		msg_put_i64(&w, r);
		msg_put_strn(&w, r == 0 ? lines : "", r == 0 ? len : 0);
		free(lines);
	}
	control_answer(vd, cl->serial, &w);
	return 0;
}
