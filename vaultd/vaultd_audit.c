/*
 * vaultd's audit log: every lifecycle event is appended and fsync'd as
 * one line chained to the one before (common/audit.h); signing verdicts
 * are batched, written at the end of each loop turn, to the log and the
 * audit journal, and made durable by the audit syncer's sync of the
 * journal, in groups (vaultd_sign.c, vaultd_sync.c, vaultd_wal.c); a
 * vault write is preceded by its durable intent and followed by its
 * outcome.  A checkpoint signed by the audit key in signerd closes the
 * chain, its hash is sealed into the vault header as the anchor, and
 * after it the log may rotate into a numbered segment.  At unlock the
 * vault and the log are cross-checked so that neither can be put back
 * alone.
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
#define AUDIT_SHOW_DEFAULT	20	/* audit show without --tail */
#define TAIL_WINDOW	(2 * (AUDIT_LINE_MAX + 1))

static void	audit_append(struct vaultd *, struct audit_rec *, int);
static int	write_all(int, const void *, size_t);

/*
 * The last complete line of the file fd of size bytes into line: 1, or
 * 0 if it has none.  *good is where that line ends (what follows is a
 * line torn by a crash).  Reads only the end of the file.
 */
static int
tail_line(int fd, const char *path, off_t size, char *line, size_t *len,
    off_t *good)
{
	char	buf[TAIL_WINDOW];
	size_t	n, end, start;
	off_t	from;

	*good = 0;
	if (size == 0)
		return 0;
	n = (size_t)size < sizeof(buf) ? (size_t)size : sizeof(buf);
	from = size - (off_t)n;
	if (pread(fd, buf, n, from) != (ssize_t)n)
		fatal("read %s", path);
	for (end = n; end > 0 && buf[end - 1] != '\n'; end--)
		;
	if (end == 0) {
		if (from > 0)
			goto toolong;
		return 0;		/* one torn line, nothing else */
	}
	*good = from + (off_t)end;
	for (start = end - 1; start > 0 && buf[start - 1] != '\n'; start--)
		;
	if (start == 0 && from > 0)
		goto toolong;
	*len = end - start;
	memcpy(line, buf + start, *len);
	return 1;
 toolong:
	fatalx("%s: its last line is longer than any record; vaultd will not "
	    "append to a broken log (check it with vaultctl audit verify, "
	    "then move it aside)", path);
}

/*
 * The time of the log's last record, as the gateway's replay floor: a
 * signed request the vaultd before this one saw was recorded (allowed,
 * denied or refused) at or after the second its client signed, unless
 * that client's clock ran ahead of vaultd's; this vaultd's replay table
 * starts empty, so those are refused by their time (vaultd_gw.c).
 */
static void
resume_floor(struct vaultd *vd, const struct audit_rec *rec)
{
	time_t	t;

	if (!audit_time_parse(rec->time, strnlen(rec->time,
	    sizeof(rec->time)), &t))
		t = time(NULL);		/* not understood: now, to be sure */
	if (t > vd->gw.replay_floor)
		vd->gw.replay_floor = (int64_t)t;
}

/* Resume the chain from the line ending file path (fd, size). */
static int
resume_from(struct vaultd *vd, int fd, const char *path, off_t size,
    off_t *good)
{
	struct audit_rec	rec;
	char			line[TAIL_WINDOW];
	size_t			len = 0;

	if (!tail_line(fd, path, size, line, &len, good))
		return 0;
	if (audit_record_parse(line, len, &rec) != 0) {
		if (audit_line_fields(line, len) == AUDIT_FIELDS - 1)
			fatalx("%s was written by an earlier clobvault (records "
			    "of %d fields): this build does not read it; keep "
			    "that home with the build that made it", path,
			    AUDIT_FIELDS - 1);
		fatalx("%s: its last line is malformed; vaultd will not append "
		    "to a broken log (check it with vaultctl audit verify on "
		    "a copy, then move it aside)", path);
	}
	vd->chain.seq = rec.seq;
	audit_chain_hash(line, len, vd->chain.head);
	resume_floor(vd, &rec);
	if (audit_rec_is_checkpoint(&rec)) {
		vd->last_ckpt.seq = rec.seq;
		memcpy(vd->last_ckpt.hash, vd->chain.head, AUDIT_HASH_LEN);
	}
	return 1;
}

/*
 * The last segment's last bytes hold no zero: a segment was synced whole
 * (its checkpoint's fsync) before the log went on past it, so no crash
 * leaves zeros there; damage or tampering does, and the start stops
 * before it writes anything.  Only its end is read, as the start reads
 * only that of the log; deeper damage is the unlock's check's to find.
 */
static void
segment_tail(const char *seg)
{
	uint8_t		 b[16384];
	const uint8_t	*z;
	struct stat	 st;
	size_t		 n;
	int		 fd;

	if ((fd = open(seg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1)
		fatal("open %s", seg);
	n = (uint64_t)st.st_size < sizeof(b) ? (size_t)st.st_size : sizeof(b);
	if (pread(fd, b, n, st.st_size - (off_t)n) != (ssize_t)n)
		fatal("read %s", seg);
	close(fd);
	if ((z = memchr(b, 0, n)) != NULL)
		fatalx("%s: its byte %lld is a zero: a segment was synced whole "
		    "before the log went on past it, so no crash leaves one "
		    "there; vaultd does not start, and has changed nothing "
		    "(put back a whole copy of %s from a backup, then start "
		    "vaultd: see vaultd(8), FILES)", seg,
		    (long long)(st.st_size - (off_t)n + (z - b)), seg);
}

/*
 * Open the log and find where it ends, reading only its last lines: the
 * current file, or after a crash mid-rotation (no current file, or an
 * empty one) the last segment.  A line torn by a crash is cut.
 */
void
vaultd_audit_open(struct vaultd *vd)
{
	struct audit_log	 log;
	struct stat		 st;
	char			 seg[PATH_MAX + 32];
	off_t			 good;
	int			 fd, r;

	audit_chain_init(&vd->chain);
	memset(&vd->last_ckpt, 0, sizeof(vd->last_ckpt));
	if (vd->audit_seg_max == 0)
		vd->audit_seg_max = AUDIT_SEGMENT_MAX;
	if ((r = audit_log_scan(vd->auditpath, &log)) != 0)
		fatalx("%s: %s", vd->auditpath, cv_strerror(r));
	vd->audit_nseg = log.nseg;
	if (log.nseg > 0) {
		if (audit_log_file(&log, log.nseg, seg, sizeof(seg)) != 0)
			fatalx("%s: path too long", vd->auditpath);
		segment_tail(seg);
	}
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
	vd->audit_dev = st.st_dev;
	vd->audit_ino = st.st_ino;
	/*
	 * Just made (after a crash between a rotation's rename and its new
	 * file): its name on disk before the records fsync'd into it.
	 */
	if (st.st_size == 0 && home_sync(vd->home) == -1)
		fatal("audit: cannot sync %s", vd->home);
	vaultd_wal_open(vd, (uint64_t)st.st_size);
	if (fstat(vd->audit_fd, &st) == -1)
		fatal("fstat %s", vd->auditpath);
	if (!resume_from(vd, vd->audit_fd, vd->auditpath, st.st_size,
	    &good) && log.nseg > 0) {
		if (audit_log_file(&log, log.nseg, seg, sizeof(seg)) != 0)
			fatalx("%s: path too long", vd->auditpath);
		if ((fd = open(seg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
		    fstat(fd, &st) == -1)
			fatal("open %s", seg);
		if (!resume_from(vd, fd, seg, st.st_size, &good) ||
		    good != st.st_size)
			fatalx("%s: a segment must end with a whole line", seg);
		close(fd);
		good = 0;
		if (fstat(vd->audit_fd, &st) == -1)
			fatal("fstat %s", vd->auditpath);
	}
	if (good < st.st_size) {
		log_warnx("%s: cutting %lld bytes of a line torn by a crash",
		    vd->auditpath, (long long)(st.st_size - good));
		if (ftruncate(vd->audit_fd, good) == -1)
			fatal("truncate %s", vd->auditpath);
		st.st_size = good;
	}
	vd->wal.logsize = (uint64_t)st.st_size;
	vaultd_wal_log_synced(vd);
}

/*
 * Is the file vaultd appends to still the one at auditpath, whole?
 * Renamed away, removed, or another file put in its place (an
 * operator's or a log rotator's doing), it is not the log the next
 * start reads: the records written to it since would be lost, or found
 * apart from the chain.  So vaultd stops, as on a failed write: asked
 * each time records became durable (a lifecycle record's fsync, the end
 * of each sync group, a sync of its own), before any signature they
 * admit leaves, it releases none whose record is not in the log at that
 * path.  One lstat(2) a sync group.  The records since the change are
 * in the file vaultd had open, and a copy of it is saved as
 * audit.log.lost (else the first free of .lost.1 to .lost.9, none
 * overwritten) whatever names it still has: one the operator gave it,
 * or one that may not last and that vaultd cannot know of -- a backup's
 * hard link, which its next round removes, or on NFS the .nfsXXXX name
 * of a removed file still open, which goes once vaultd closes it, at
 * exit.  A copy that fails part way is removed: it is not the file.
 * err is lstat's errno when the path could not be looked at (EACCES):
 * the file may still be there, and the log says so.  vaultd(8) says how
 * to put it back.
 */
static void __attribute__((noreturn))
audit_lost(struct vaultd *vd, const char *what, int err)
{
	char		save[PATH_MAX + 16], buf[65536], cause[160];
	char		why[PATH_MAX + 160];
	struct stat	st;
	off_t		off = 0;
	ssize_t		n = -1;
	int		fd = -1, i, named;

	snprintf(why, sizeof(why), "no free %s.lost name", vd->auditpath);
	named = fstat(vd->audit_fd, &st) == 0 && st.st_nlink > 0;
	for (i = 0; i < 10 && fd == -1; i++) {
		if ((size_t)snprintf(save, sizeof(save), i == 0 ? "%s.lost" :
		    "%s.lost.%d", vd->auditpath, i) >= sizeof(save))
			break;
		fd = open(save, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd == -1 && errno != EEXIST) {
			snprintf(why, sizeof(why), "cannot create %s: %s",
			    save, strerror(errno));
			break;
		}
	}
	if (fd != -1) {
		while ((n = pread(vd->audit_fd, buf, sizeof(buf), off)) > 0 &&
		    write_all(fd, buf, (size_t)n) == 0)
			off += n;
		/*
		 * Whole but not synced, the copy stays: it is the only one
		 * (test mode, probe lost-sync-fail: as a failing disk).
		 */
		if (n == 0 && !vd->probe_lost_sync && fsync(fd) == 0 &&
		    home_sync(vd->home) == 0)
			snprintf(why, sizeof(why), "saved in %s", save);
		else if (n == 0)
			snprintf(why, sizeof(why), "saved in %s, whole but not "
			    "known to be on the disk (sync: %s; copy it "
			    "elsewhere now)", save, vd->probe_lost_sync ?
			    strerror(EIO) : strerror(errno));
		close(fd);
		/* a copy cut short is not the file: it does not stay */
		if (n != 0)
			snprintf(why, sizeof(why), unlink(save) == 0 ? "the copy "
			    "to %s failed part way and was removed" : "the copy "
			    "to %s failed part way: remove it, it is not the "
			    "whole file", save);
	}
	if (err != 0)
		snprintf(cause, sizeof(cause), "%s (lstat: %s)", what,
		    strerror(err));
	else
		snprintf(cause, sizeof(cause), "%s", what);
	vaultd_notify("STATUS=", "audit.log %s while vaultd ran; stopped",
	    what);
	if (n == 0)
		fatalx("audit: %s was %s while vaultd ran: vaultd stops, as "
		    "on a failed write, and releases no signature whose record "
		    "is not in it; its records since are %s (put that file back "
		    "as %s, then start vaultd: see vaultd(8), FILES)",
		    vd->auditpath, cause, why, vd->auditpath);
	/* no copy, and no name holds the file: its records go at exit */
	if (!named)
		fatalx("audit: %s was %s while vaultd ran: vaultd stops, as "
		    "on a failed write, and releases no signature whose record "
		    "is not in it; its records since could not be saved (%s): "
		    "see vaultd(8), FILES", vd->auditpath, cause, why);
	/* the path could not be looked at: the file may be there still */
	if (err != 0)
		fatalx("audit: %s was %s while vaultd ran: vaultd stops, as "
		    "on a failed write, and releases no signature whose record "
		    "is not in it; its records since are in the file vaultd had "
		    "open, which it could not look for at that path, and not "
		    "saved (%s): let vaultd reach %s again, the file there or "
		    "put back, then start vaultd: see vaultd(8), FILES",
		    vd->auditpath, cause, why, vd->auditpath);
	fatalx("audit: %s was %s while vaultd ran: vaultd stops, as on a "
	    "failed write, and releases no signature whose record is not in "
	    "it; its records since are in the file it was moved to, not saved "
	    "(%s): put that file back as %s, then start vaultd: see "
	    "vaultd(8), FILES", vd->auditpath, cause, why, vd->auditpath);
}

/*
 * The file at auditpath is the one vaultd appends to, but shorter than
 * what vaultd wrote to it: cut short in place (truncated, or rewritten
 * shorter in the same inode).  Its records past size are gone from it,
 * and a copy of what is left would save nothing: vaultd stops, as for
 * a replaced log, before any signature they admit leaves.  The records
 * it appended since the cut are past it, not where the journal says: a
 * start writes back from the journal only what lies beyond the file's
 * end, so the log needs a whole copy put back first; a start on the
 * file as the cut left it stops, the journal's frames not fitting it
 * (vaultd_wal.c), both files unchanged.  A file rewritten
 * in place to the same size or longer is not seen here; the unlock's
 * check against the vault and vaultctl audit verify see it.
 */
static void __attribute__((noreturn))
audit_cut(struct vaultd *vd, off_t size)
{
	vaultd_notify("STATUS=", "audit.log cut short while vaultd ran; "
	    "stopped");
	fatalx("audit: %s was cut short while vaultd ran (%lld bytes, where "
	    "vaultd had written %llu): vaultd stops, as on a failed write, "
	    "and releases no signature whose record is not in it; records it "
	    "held are gone from it (put back a whole copy from a backup "
	    "before vaultd starts again, then run vaultctl audit verify: see "
	    "vaultd(8), FILES)", vd->auditpath, (long long)size,
	    (unsigned long long)vd->wal.logsize);
}

static void
audit_in_place(struct vaultd *vd)
{
	struct stat	st;

	if (lstat(vd->auditpath, &st) == 0) {
		if (st.st_dev != vd->audit_dev || st.st_ino != vd->audit_ino)
			audit_lost(vd, "replaced by another file", 0);
		if ((uint64_t)st.st_size < vd->wal.logsize)
			audit_cut(vd, st.st_size);
		return;
	}
	if (errno == ENOENT)
		audit_lost(vd, "removed or renamed", 0);
	audit_lost(vd, "out of vaultd's reach", errno);
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
	if (r == 0)
		r = vaultd_wal_write(vd, vd->audit_pend.data,
		    vd->audit_pend.len);
	msgbuf_free(&vd->audit_pend);
	vd->audit_wseq++;
	return r;
}

/*
 * A lifecycle record is written to audit.log and fsync'd at once; a
 * signing record joins the turn's batch, written to audit.log and the
 * journal at the turn's end, before any of the turn's requests reaches
 * signerd, and made durable by the journal's sync before any signature
 * they admit leaves vaultd.
 */
static int
audit_write(struct vaultd *vd, const char *line, size_t len, int sync)
{
	if (!sync) {
		vd->audit_dirty = 1;
		return msgbuf_add(&vd->audit_pend, line, len);
	}
	if (audit_write_pending(vd) != 0 ||
	    write_all(vd->audit_fd, line, len) != 0)
		return CV_ERR_IO;
	vaultd_wal_skip(vd, len);
	if (fsync(vd->audit_fd) == -1)
		return CV_ERR_IO;
	audit_in_place(vd);
	vaultd_wal_log_synced(vd);
	vd->audit_dirty = 0;
	return 0;
}

void
vaultd_audit_sync(struct vaultd *vd)
{
	if (!vd->audit_dirty)
		return;
	if (audit_write_pending(vd) != 0)
		fatal("audit: cannot write %s", vd->auditpath);
	if (fdatasync(vd->wal.fd) == -1)
		fatal("audit: cannot sync %s", vd->wal.path);
	audit_in_place(vd);
	vd->audit_dirty = 0;
	vd->relaxed_due = 0;
}

/* vaultd stops: audit.log on disk whole, the journal not needed. */
void
vaultd_audit_close(struct vaultd *vd)
{
	vaultd_audit_sync(vd);
	if (vd->audit_fd != -1 && fdatasync(vd->audit_fd) == -1)
		fatal("audit: cannot sync %s", vd->auditpath);
}

/*
 * The turn's records go to the file now, in order, before any request
 * they admit leaves vaultd: from here a crash of vaultd loses none of
 * them, a crash of the machine those not yet synced.  In the relaxed
 * mode the group's sync is due audit_group_ms after its first record.
 */
void
vaultd_audit_write(struct vaultd *vd)
{
	int	wrote = vd->audit_pend.len > 0;

	if (audit_write_pending(vd) != 0)
		fatal("audit: cannot write %s", vd->auditpath);
	if (vd->audit_relaxed && wrote && vd->relaxed_due == 0)
		vd->relaxed_due = vaultd_now_ms() + vd->audit_group_ms;
}

/* The syncer syncs every record written so far. */
void
vaultd_audit_sync_begin(struct vaultd *vd)
{
	vd->sync_wseq = vd->audit_wseq;
	vd->relaxed_due = 0;
	vaultd_sync_begin(vd, vd->wal.fd, vaultd_wal_sync_log(vd));
}

/* Every record written so far is in the sync under way. */
int
vaultd_audit_covered(const struct vaultd *vd)
{
	return vaultd_sync_busy(vd) && vd->audit_pend.len == 0 &&
	    vd->audit_wseq == vd->sync_wseq;
}

/* ... and has: clean, unless records were written or batched since. */
void
vaultd_audit_synced(struct vaultd *vd)
{
	audit_in_place(vd);
	vaultd_wal_synced(vd);
	if (vd->audit_wseq == vd->sync_wseq && vd->audit_pend.len == 0)
		vd->audit_dirty = 0;
	else if (vd->audit_relaxed && vd->relaxed_due == 0)
		vd->relaxed_due = vaultd_now_ms() + vd->audit_group_ms;
}

/* A record of vaultd's own, fields mapped to their syntax. */
static void
rec_start(struct audit_rec *rec, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id)
{
	audit_rec_init(rec);
	if (audit_time_format(time(NULL), rec->time) != 0)
		fatalx("audit: clock out of range");
	audit_field_name(rec->actor, sizeof(rec->actor), actor);
	audit_field_name(rec->account, sizeof(rec->account), account);
	audit_field_word(rec->op, sizeof(rec->op), op);	/* account_add */
	audit_field_word(rec->verdict, sizeof(rec->verdict), verdict);
	audit_field_name(rec->key_id, sizeof(rec->key_id), key_id);
}

/*
 * Chain and write rec.  Every field is of its syntax by construction,
 * so a failure to format is vaultd's own bug; a failure to write stops
 * vaultd rather than go on unrecorded.
 */
static void
audit_append(struct vaultd *vd, struct audit_rec *rec, int sync)
{
	char	line[AUDIT_LINE_MAX + 1];
	size_t	len;
	int	r;

	if ((r = audit_chain_append(&vd->chain, rec, line, sizeof(line),
	    &len)) != 0)
		fatalx("audit: a record for %s does not format: %s", rec->op,
		    cv_strerror(r));
	if (audit_write(vd, line, len, sync) != 0)
		fatal("audit: cannot append to %s", vd->auditpath);
}

void
vaultd_audit(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, verdict, key_id);
	audit_append(vd, &rec, 1);
	vd->checkpoint_due = 1;
}

void
vaultd_audit_digest(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id,
    const uint8_t digest[32])
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, verdict, key_id);
	hex_encode(digest, AUDIT_HASH_LEN, rec.digest);
	audit_append(vd, &rec, 1);
	vd->checkpoint_due = 1;
}

void
vaultd_audit_path(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id, const char *path)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, verdict, key_id);
	audit_field_path(rec.path, path, strlen(path));
	audit_append(vd, &rec, 1);
	vd->checkpoint_due = 1;
}

void
vaultd_audit_intent(struct vaultd *vd, const char *actor,
    const char *account, const char *op, const char *key_id, uint64_t gen)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, AUDIT_V_INTENT, key_id);
	audit_field_gen(&rec, gen);
	audit_append(vd, &rec, 1);	/* durable before the write */
	vd->audit_intent = 1;
	vd->audit_intent_gen = gen;
}

/*
 * The keys an account's removal destroys, noted before the vault write
 * (the file holds them only until then).  One vault operation is in
 * flight at a time, so there is one list; its outcome consumes it.
 */
static struct {
	char		 account[VAULT_MAX_NAME + 1];
	size_t		 n;
	struct {
		uint8_t	 type;
		char	 key_id[VAULT_MAX_NAME + 1];
	}		*keys;
} destroying;

static void
destroying_clear(void)
{
	free(destroying.keys);
	memset(&destroying, 0, sizeof(destroying));
}

void
vaultd_audit_destroying(struct vaultd *vd, const char *account)
{
	struct vault	 v;
	uint8_t		*file = NULL;
	size_t		 len, i;

	destroying_clear();
	memset(&v, 0, sizeof(v));
	/* the clear record headers: type, account, key id */
	if (vault_fmt_read(vd->vaultpath, &file, &len) != 0 ||
	    vault_fmt_parse(file, len, &v) != 0 ||
	    (destroying.keys = calloc(v.nrecs + 1,
	    sizeof(*destroying.keys))) == NULL)
		goto out;
	snprintf(destroying.account, sizeof(destroying.account), "%s",
	    account);
	for (i = 0; i < v.nrecs; i++) {
		if (strcmp(v.recs[i].account, account) != 0 ||
		    v.recs[i].type == VAULT_REC_ACCOUNT ||
		    v.recs[i].type == VAULT_REC_AUDIT_KEY ||
		    v.recs[i].type == VAULT_REC_POLICY)
			continue;
		destroying.keys[destroying.n].type = v.recs[i].type;
		snprintf(destroying.keys[destroying.n].key_id,
		    sizeof(destroying.keys[0].key_id), "%s",
		    v.recs[i].key_id);
		destroying.n++;
	}
 out:
	vault_free(&v);
	free(file);
}

/* The op of a destroyed key's record: "account_remove.apikey". */
static const char *
destroyed_op(uint8_t type)
{
	switch (type) {
	case VAULT_REC_WALLET_KEY:	return "account_remove.wallet";
	case VAULT_REC_API_CRED:	return "account_remove.apikey";
	case VAULT_REC_BUILDER_CRED:	return "account_remove.builder";
	case VAULT_REC_INVITE:		return "account_remove.invite";
	case VAULT_REC_CLIENT:		return "account_remove.client";
	}
	return "account_remove.record";
}

void
vaultd_audit_outcome(struct vaultd *vd, const char *actor,
    const char *account, const char *op, const char *verdict,
    const char *key_id)
{
	struct audit_rec	rec;
	size_t			i;

	rec_start(&rec, actor, account, op, verdict, key_id);
	if (vd->audit_intent)
		audit_field_gen(&rec, vd->audit_intent_gen);
	vd->audit_intent = 0;
	audit_append(vd, &rec, 1);
	vd->checkpoint_due = 1;
	/* the removal is on disk: each key it destroyed, by type and id */
	if (destroying.keys != NULL && strcmp(op, "account remove") == 0 &&
	    strcmp(account, destroying.account) == 0 &&
	    (strcmp(verdict, AUDIT_V_OK) == 0 ||
	    strcmp(verdict, AUDIT_V_WRITTEN) == 0))
		for (i = 0; i < destroying.n; i++) {
			rec_start(&rec, actor, account,
			    destroyed_op(destroying.keys[i].type), verdict,
			    destroying.keys[i].key_id);
			audit_append(vd, &rec, 1);
		}
	destroying_clear();
}

/*
 * A signing verdict.  The line is written before signerd sees the
 * request and synced, with every other verdict of the same loop turn,
 * before the requests are released to signerd (vaultd_sign_flush).
 * Its checkpoint comes with the next AUDIT_CKPT_RECORDS records or
 * AUDIT_CKPT_AGE_MS, whichever is first, or the next lifecycle event.
 */
/*
 * A record of the loop turn's batch: written with the others, durable
 * by the end of the turn (vaultd_audit_sync), checkpointed by count or
 * age.
 */
static void
audit_batched(struct vaultd *vd, struct audit_rec *rec)
{
	audit_append(vd, rec, 0);
	if (vd->audit_unsigned++ == 0)
		vd->audit_first_ms = vaultd_now_ms();
	if (vd->audit_unsigned >= AUDIT_CKPT_RECORDS)
		vd->checkpoint_due = 1;
}

int
vaultd_audit_deferring(const struct vaultd *vd)
{
	return vd->ckpt_pending;
}

/*
 * While signerd signs a checkpoint, the chain must not move past the line
 * it signs: a verdict record waits here, and goes on the chain right
 * after the checkpoint (or once it failed), in order.  The requests it
 * admitted wait with it (vd->held_ckpt), so none reaches signerd before
 * its record is written; a denial is answered at once.
 */
static void
audit_defer(struct vaultd *vd, const struct audit_rec *rec)
{
	struct audit_rec	*n;
	size_t			 cap;

	if (vd->ndeferred == vd->deferred_cap) {
		cap = vd->deferred_cap ? vd->deferred_cap * 2 : 64;
		if ((n = reallocarray(vd->deferred, cap, sizeof(*n))) == NULL)
			fatal("audit: cannot keep a record");
		vd->deferred = n;
		vd->deferred_cap = cap;
	}
	vd->deferred[vd->ndeferred++] = *rec;
}

/* The checkpoint is on the chain, or will not be: the rest follows. */
static void
audit_undefer(struct vaultd *vd)
{
	size_t	i;

	vd->ckpt_pending = 0;
	for (i = 0; i < vd->ndeferred; i++)
		audit_batched(vd, &vd->deferred[i]);
	vd->ndeferred = 0;
	if (vd->deferred_cap > 1024) {
		free(vd->deferred);
		vd->deferred = NULL;
		vd->deferred_cap = 0;
	}
	if (vd->held_ckpt.len > 0) {
		if (msgbuf_add(&vd->held, vd->held_ckpt.data,
		    vd->held_ckpt.len) != 0)
			fatalx("out of memory");
		msgbuf_free(&vd->held_ckpt);
		vd->held_n += vd->ckpt_n;
		vd->ckpt_n = 0;
	}
}

/* A verdict's record: batched, or after the checkpoint signerd signs. */
static void
audit_verdict(struct vaultd *vd, struct audit_rec *rec)
{
	if (vd->ckpt_pending)
		audit_defer(vd, rec);
	else
		audit_batched(vd, rec);
}

void
vaultd_audit_sign(struct vaultd *vd, const char *actor, const char *account,
    const struct audit_req *req, const char *verdict, const char *rule,
    struct sign_seen *seen)
{
	struct audit_rec	rec;
	uint8_t			digest[AUDIT_HASH_LEN];

	/* a verdict's key id field names the policy rule that decided it */
	rec_start(&rec, actor, account, "sign", verdict, rule);
	audit_field_method(rec.method, req->method, req->methodlen);
	audit_field_path(rec.path, req->path, req->pathlen);
	audit_request_digest(req, digest);
	hex_encode(digest, sizeof(digest), rec.digest);
	if (seen != NULL) {
		memcpy(seen->method, rec.method, sizeof(seen->method));
		memcpy(seen->path, rec.path, sizeof(seen->path));
		memcpy(seen->digest, rec.digest, sizeof(seen->digest));
		memcpy(seen->rule, rec.key_id, sizeof(seen->rule));
	}
	audit_verdict(vd, &rec);
}

static void
audit_signed_after(struct vaultd *vd, const char *actor, const char *account,
    const char *verdict, const struct sign_seen *seen)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, "sign", verdict, NULL);
	memcpy(rec.method, seen->method, sizeof(rec.method));
	memcpy(rec.path, seen->path, sizeof(rec.path));
	memcpy(rec.digest, seen->digest, sizeof(rec.digest));
	memcpy(rec.key_id, seen->rule, sizeof(rec.key_id));
	audit_verdict(vd, &rec);
}

void
vaultd_audit_refused(struct vaultd *vd, const char *account,
    const struct sign_seen *seen)
{
	audit_signed_after(vd, "signerd", account, "refused", seen);
}

void
vaultd_audit_withheld(struct vaultd *vd, const char *account,
    const struct sign_seen *seen)
{
	audit_signed_after(vd, "vaultd", account, "withheld", seen);
}

void
vaultd_audit_dropped(struct vaultd *vd, const char *account,
    const struct sign_seen *seen)
{
	audit_signed_after(vd, "netd", account, "withheld", seen);
}

void
vaultd_audit_unknown(struct vaultd *vd, const char *account,
    const struct sign_seen *seen)
{
	audit_signed_after(vd, "vaultd", account, "unknown", seen);
}

void
vaultd_audit_light(struct vaultd *vd, const char *actor, const char *account,
    const char *op, const char *verdict, const char *key_id)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, verdict, key_id);
	audit_batched(vd, &rec);
	vaultd_audit_sync(vd);
}

void
vaultd_audit_sign_summary(struct vaultd *vd, const char *actor,
    const char *account, const char *verdict, const char *rule)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, "sign", verdict, rule);
	audit_verdict(vd, &rec);
}

void
vaultd_audit_budget(struct vaultd *vd, const char *actor, const char *account,
    const char *path, const uint8_t digest[32])
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, "budget", "charge", NULL);
	audit_field_path(rec.path, path, strlen(path));
	hex_encode(digest, AUDIT_HASH_LEN, rec.digest);
	audit_verdict(vd, &rec);
}

void
vaultd_audit_refusal(struct vaultd *vd, const char *actor,
    const char *account, const char *op, const char *verdict)
{
	struct audit_rec	rec;

	rec_start(&rec, actor, account, op, verdict, NULL);
	audit_batched(vd, &rec);
}

void
vaultd_audit_tick(struct vaultd *vd, int64_t now)
{
	/* a checkpoint that failed (signerd refused or died) */
	if (vd->ckpt_pending && (!vd->op.active ||
	    vd->op.sent != MSG_AUDIT_SIGN_REQ))
		audit_undefer(vd);
	if (vd->audit_unsigned > 0 &&
	    now - vd->audit_first_ms >= AUDIT_CKPT_AGE_MS)
		vd->checkpoint_due = 1;
	vaultd_budget_reap(vd);
	vaultd_audit_checkpoint(vd);
	/* the relaxed mode's group sync */
	if (vd->relaxed_due != 0 && now >= vd->relaxed_due &&
	    !vaultd_sync_busy(vd)) {
		vaultd_audit_write(vd);
		vaultd_audit_sync_begin(vd);
	}
}

int64_t
vaultd_audit_next_ms(const struct vaultd *vd)
{
	int64_t	next = -1;

	if (vd->audit_unsigned > 0 && !vd->checkpoint_due)
		next = vd->audit_first_ms + AUDIT_CKPT_AGE_MS;

	if (vd->relaxed_due != 0 && !vaultd_sync_busy(vd) &&
	    (next < 0 || vd->relaxed_due < next))
		next = vd->relaxed_due;
	/* the budgets file's thread: the checkpoint waits for it */
	if (vaultd_budget_busy(vd) && (next < 0 ||
	    vaultd_now_ms() + 2 < next))
		next = vaultd_now_ms() + 2;
	return next;
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
	/* the budgets as the records up to here charged them */
	if (vaultd_budget_save(vd))
		return;			/* written by a thread: then sent */
	audit_rec_init(&vd->ckpt);
	if (audit_time_format(time(NULL), vd->ckpt.time) != 0)
		return;
	snprintf(vd->ckpt.actor, sizeof(vd->ckpt.actor), "vaultd");
	snprintf(vd->ckpt.op, sizeof(vd->ckpt.op), AUDIT_OP_CHECKPOINT);
	audit_key_id(vd->audit_pk, vd->ckpt.key_id);
	/* the budgets file it makes current, so that no other is loaded */
	if (vd->budget_new)
		hex_encode(vd->budget_hash, sizeof(vd->budget_hash),
		    vd->ckpt.digest);
	/* the generation of the vault file that will carry it */
	audit_field_gen(&vd->ckpt, vd->generation + 1);
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
	vd->op.sent_ms = vd->now_ms;
	vd->checkpoint_due = 0;
	vd->ckpt_pending = 1;
}

/*
 * Past the segment size, right after a checkpoint: the current file
 * becomes the next numbered segment and a new one starts; the chain goes
 * on.  Rename first, then create, then fsync the directory: a crash in
 * between leaves segments and no current file, and the next start
 * resumes from the last segment.
 */
static void
audit_rotate(struct vaultd *vd)
{
	struct stat	st;
	char		seg[PATH_MAX + 32];

	if (fstat(vd->audit_fd, &st) == -1 ||
	    (uint64_t)st.st_size < vd->audit_seg_max)
		return;
	/* the syncer holds the old file's descriptor: let it finish */
	vaultd_sync_end(vd, 1);
	if ((size_t)snprintf(seg, sizeof(seg), "%s.%06llu", vd->auditpath,
	    (unsigned long long)vd->audit_nseg + 1) >= sizeof(seg))
		return;
	if (rename(vd->auditpath, seg) == -1) {
		log_warn("audit: cannot rotate to %s; going on in %s", seg,
		    vd->auditpath);
		return;
	}
	close(vd->audit_fd);
	vd->audit_fd = open(vd->auditpath, O_RDWR | O_CREAT | O_EXCL |
	    O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (vd->audit_fd == -1 || fstat(vd->audit_fd, &st) == -1)
		fatal("audit: create %s", vd->auditpath);
	vd->audit_dev = st.st_dev;
	vd->audit_ino = st.st_ino;
	vaultd_wal_new_log(vd);
	if (home_sync(vd->home) == -1)
		fatal("audit: fsync %s", vd->home);
	vd->audit_nseg++;
	log_info("audit: rotated to segment %s", seg);
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
	vd->last_ckpt.seq = vd->chain.seq;
	memcpy(vd->last_ckpt.hash, vd->chain.head, AUDIT_HASH_LEN);
	vaultd_budget_commit(vd);
	audit_rotate(vd);
	audit_undefer(vd);
	return 0;
}

void
vaultd_audit_vault_read(struct vaultd *vd, const uint8_t *file, size_t len)
{
	struct vault	v;

	memset(&v, 0, sizeof(v));
	vd->have_unlock_anchor = 0;
	if (vault_fmt_parse(file, len, &v) != 0)
		return;			/* signerd will refuse it */
	vd->unlock_anchor.seq = v.hdr.audit_seq;
	memcpy(vd->unlock_anchor.hash, v.hdr.audit_hash, AUDIT_HASH_LEN);
	vd->unlock_file_gen = v.hdr.generation;
	vd->have_unlock_anchor = 1;
	vault_free(&v);
}

/*
 * The last file of log whose first record passes first_ok, going back
 * past one whose first record does not parse; the first file if none.
 */
static uint64_t
file_back(const struct audit_log *log,
    int (*first_ok)(const struct audit_rec *, const void *), const void *arg)
{
	struct audit_iter	*it;
	struct audit_rec	 rec;
	const char		*line;
	size_t			 len;
	uint64_t		 i, at = 1;

	if (log->nseg == 0 || (it = malloc(sizeof(*it))) == NULL)
		return 1;
	for (i = log->nseg + 1; i >= 1; i--) {
		if (audit_iter_open(it, log, i) != 0)
			break;
		if (audit_iter_next(it, &line, &len) == 1 && it->file == i &&
		    audit_record_parse(line, len, &rec) == 0 &&
		    first_ok(&rec, arg)) {
			audit_iter_close(it);
			at = i;
			break;
		}
		audit_iter_close(it);
	}
	free(it);
	return at;
}

static int
seq_at_most(const struct audit_rec *rec, const void *arg)
{
	return rec->seq <= *(const uint64_t *)arg;
}

static int
time_at_most(const struct audit_rec *rec, const void *arg)
{
	time_t	t;

	return audit_time_parse(rec->time, strnlen(rec->time,
	    sizeof(rec->time)), &t) && t <= *(const time_t *)arg;
}

/* The file of the log from which the record seq on can be read. */
uint64_t
vaultd_audit_file_of_seq(const struct audit_log *log, uint64_t seq)
{
	return seq == 0 ? 1 : file_back(log, seq_at_most, &seq);
}

/* The file of the log from which every record of time since on is read. */
uint64_t
vaultd_audit_file_of_time(const struct audit_log *log, time_t since)
{
	return file_back(log, time_at_most, &since);
}

int
vaultd_audit_rollback(struct vaultd *vd, uint64_t gen, char *text,
    size_t tlen)
{
	struct audit_gen_check	 g;
	struct audit_log	 log;
	struct audit_iter	*it = NULL;
	struct audit_rec	 rec;
	const struct audit_anchor *a = &vd->unlock_anchor;
	const char		*line;
	uint8_t			 h[AUDIT_HASH_LEN];
	size_t			 len;
	int			 r;

	vaultd_audit_sync(vd);
	if (!vd->have_unlock_anchor || vd->unlock_file_gen != gen) {
		snprintf(text, tlen, "the vault file changed while it was "
		    "being unlocked; try again");
		return CV_ERR_ROLLBACK;
	}
	audit_gen_init(&g, a, gen, vd->audit_pk);
	if ((r = audit_log_scan(vd->auditpath, &log)) != 0 ||
	    (it = malloc(sizeof(*it))) == NULL ||
	    audit_iter_open(it, &log, vaultd_audit_file_of_seq(&log, a->seq)) != 0) {
		free(it);
		snprintf(text, tlen, "cannot read the audit log to check the "
		    "vault against it");
		return CV_ERR_IO;
	}
	while ((r = audit_iter_next(it, &line, &len)) == 1) {
		if (audit_record_parse(line, len, &rec) != 0) {
			snprintf(text, tlen, "the audit log does not parse (%s "
			    "line %llu), so the vault cannot be checked "
			    "against it: run vaultctl audit verify; the vault "
			    "stays locked", it->name,
			    (unsigned long long)it->line);
			r = CV_ERR_ROLLBACK;
			goto out;
		}
		audit_chain_hash(line, len, h);
		if (audit_gen_record(&g, &rec, h))
			break;
	}
	if (r < 0) {
		snprintf(text, tlen, "cannot read the audit log: %s",
		    cv_strerror(r));
		goto out;
	}
	r = 0;
	switch (audit_gen_end(&g)) {
	case AUDIT_GEN_OK:
		if (g.last_checkpoint != 0) {
			vd->last_ckpt.seq = g.last_checkpoint;
			memcpy(vd->last_ckpt.hash, g.last_hash,
			    AUDIT_HASH_LEN);
		}
		goto out;
	case AUDIT_GEN_VAULT_OLDER:
		snprintf(text, tlen, "the vault file looks OLDER than the audit "
		    "log: the log records vault writes (or a checkpoint, seq "
		    "%llu) past this vault (generation %llu, anchor seq %llu); "
		    "an older copy of the vault was put back.  The vault stays "
		    "locked: put the newest vault file back (from your backup) "
		    "and unlock again", (unsigned long long)g.bad_seq,
		    (unsigned long long)gen, (unsigned long long)a->seq);
		break;
	case AUDIT_GEN_LOG_OLDER:
		snprintf(text, tlen, "the audit log looks OLDER than the vault: "
		    "this vault (generation %llu, anchor seq %llu) has writes "
		    "or a checkpoint the log does not show; an older or "
		    "truncated copy of audit.log was put back.  The vault "
		    "stays locked: put the complete audit.log (and its "
		    "segments) back, check it with vaultctl audit verify, and "
		    "unlock again", (unsigned long long)gen,
		    (unsigned long long)a->seq);
		break;
	default:
		snprintf(text, tlen, "the vault (generation %llu, anchor seq "
		    "%llu) and the audit log do not belong together (at seq "
		    "%llu): one of them was replaced.  The vault stays locked: "
		    "run vaultctl audit verify and put back the matching "
		    "files", (unsigned long long)gen,
		    (unsigned long long)a->seq, (unsigned long long)g.bad_seq);
		break;
	}
	r = CV_ERR_ROLLBACK;
 out:
	audit_iter_close(it);
	free(it);
	return r;
}

/*
 * What a scan reads: the log's files, and the current one opened and
 * measured once every record was written out, so that the records the
 * loop writes while the scanner reads are not read (nor a line half
 * written), and a rotation meanwhile does not change the files.
 */
struct scan_snap {
	struct audit_log	log;
	int			lastfd;		/* -1: the current file is absent */
	uint64_t		lastmax;
};

static int
scan_snapshot(struct vaultd *vd, struct scan_snap *sn)
{
	struct stat	st;
	int		r;

	sn->lastfd = -1;
	sn->lastmax = 0;
	vaultd_audit_sync(vd);		/* the file holds every record */
	if ((r = audit_log_scan(vd->auditpath, &sn->log)) != 0)
		return r;
	if ((sn->lastfd = open(vd->auditpath, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			return CV_ERR_IO;
		return sn->log.nseg == 0 ? CV_ERR_NOTFOUND : 0;
	}
	if (fstat(sn->lastfd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(sn->lastfd);
		sn->lastfd = -1;
		return CV_ERR_IO;
	}
	sn->lastmax = (uint64_t)st.st_size;
	return 0;
}

/*
 * A job of size bytes (a struct vd_scan_job first) for the client's
 * scan, or NULL when the client was answered: another scan is under way
 * (busy, retry), or no memory.
 */
static void *
scan_job_new(struct vaultd *vd, uint64_t serial, uint32_t id, size_t size)
{
	struct vd_scan_job	*job;

	if (vd->scanner.running != NULL) {
		control_error(vd, serial, id, CV_ERR_AGAIN, "an audit scan "
		    "is under way; retry");
		return NULL;
	}
	if ((job = calloc(1, size)) == NULL) {
		control_error(vd, serial, id, CV_ERR_NOMEM, "out of memory");
		return NULL;
	}
	job->serial = serial;
	job->id = id;
	return job;
}

/* audit verify, run by the scanner. */
struct verify_job {
	struct vd_scan_job	 job;		/* first */
	struct scan_snap	 snap;
	uint8_t			 pk[AUDIT_PK_LEN];
	struct audit_anchor	 anchor;
	struct audit_report	 rep;
};

static void
verify_answer(struct vaultd *vd, uint64_t serial, uint32_t id, int r,
    const char *text)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_AUDIT_ANS, id);
	msg_put_i64(&w, r);
	msg_put_str(&w, text);
	control_answer(vd, serial, &w);
}

static int
verify_run(struct vd_scan_job *job)
{
	struct verify_job	*vj = (struct verify_job *)job;
	int			 fd = vj->snap.lastfd;

	vj->snap.lastfd = -1;		/* audit_verify_log closes it */
	return audit_verify_log(&vj->snap.log, fd, vj->snap.lastmax, vj->pk,
	    &vj->anchor, &vj->rep);
}

static void
verify_done(struct vaultd *vd, struct vd_scan_job *job)
{
	struct verify_job	*vj = (struct verify_job *)job;
	char			 text[768];

	if (job->r == CV_ERR_IO)
		log_warnx("audit verify: cannot read %s", vd->auditpath);
	audit_report_text(job->r, &vj->rep, text, sizeof(text));
	verify_answer(vd, job->serial, job->id, job->r, text);
	free(vj);
}

static void
audit_verify_begin(struct vaultd *vd, uint64_t serial, uint32_t id)
{
	struct verify_job	*vj;
	struct vault		 v;
	uint8_t			*file = NULL;
	size_t			 flen;
	char			 text[768];
	int			 r;

	if (!vd->have_audit_pk) {
		verify_answer(vd, serial, id, CV_ERR_LOCKED, "vaultd does not "
		    "know the audit key yet: unlock the vault once");
		return;
	}
	if ((vj = scan_job_new(vd, serial, id, sizeof(*vj))) == NULL)
		return;
	vj->snap.lastfd = -1;
	memset(&v, 0, sizeof(v));
	if ((r = vault_fmt_read(vd->vaultpath, &file, &flen)) != 0 ||
	    (r = vault_fmt_parse(file, flen, &v)) != 0) {
		free(file);
		snprintf(text, sizeof(text), "cannot read the vault for the "
		    "audit anchor: %s", cv_strerror(r));
		goto fail;
	}
	vj->anchor.seq = v.hdr.audit_seq;
	memcpy(vj->anchor.hash, v.hdr.audit_hash, sizeof(vj->anchor.hash));
	vault_free(&v);
	free(file);
	memcpy(vj->pk, vd->audit_pk, sizeof(vj->pk));
	vj->job.run = verify_run;
	vj->job.done = verify_done;
	if ((r = scan_snapshot(vd, &vj->snap)) != 0) {
		audit_report_text(r, &vj->rep, text, sizeof(text));
		goto fail;
	}
	if ((r = vaultd_scan_begin(vd, &vj->job)) != 0) {
		snprintf(text, sizeof(text), "cannot start the audit "
		    "scanner: %s", cv_strerror(r));
		goto fail;
	}
	return;
 fail:
	if (vj->snap.lastfd != -1)
		close(vj->snap.lastfd);
	free(vj);
	verify_answer(vd, serial, id, r, text);
}

/* The end of the file path: at most max bytes, malloc'd. */
static int
read_tail(const char *path, size_t max, char **out, size_t *outlen,
    int *cut)
{
	struct stat	 st;
	size_t		 size;
	int		 fd, r = CV_ERR_IO;

	*out = NULL;
	*outlen = 0;
	*cut = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : CV_ERR_IO;
	if (fstat(fd, &st) == -1)
		goto out;
	size = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	*cut = (uint64_t)st.st_size > size;	/* begins inside a line */
	if ((*out = malloc(size + 1)) == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	if (pread(fd, *out, size, st.st_size - (off_t)size) !=
	    (ssize_t)size) {
		free(*out);
		*out = NULL;
		goto out;
	}
	*outlen = size;
	r = 0;
 out:
	close(fd);
	return r;
}

static size_t
count_lines(const char *p, size_t n)
{
	size_t	i, c = 0;

	for (i = 0; i < n; i++)
		c += p[i] == '\n';
	return c;
}

/* The last n lines of the log, across segments, at most AUDIT_SHOW_MAX. */
static int
audit_tail(struct vaultd *vd, uint64_t n, char **out, size_t *outlen)
{
	struct audit_log	 log;
	char			 path[PATH_MAX + 32], *buf = NULL, *part, *nb;
	size_t			 len = 0, plen, start;
	uint64_t		 i, have = 0;
	int			 r, cut = 0, c;

	*out = NULL;
	vaultd_audit_sync(vd);
	if ((r = audit_log_scan(vd->auditpath, &log)) != 0)
		return r;
	for (i = log.nseg + 1; i >= 1 && have <= n &&
	    len < AUDIT_SHOW_MAX; i--) {
		if ((r = audit_log_file(&log, i, path, sizeof(path))) != 0 ||
		    (r = read_tail(path, AUDIT_SHOW_MAX - len, &part,
		    &plen, &c)) != 0) {
			free(buf);
			return r;
		}
		if (part == NULL)
			continue;
		cut = c;		/* of the earliest part read */
		if ((nb = malloc(len + plen + 1)) == NULL) {
			free(part);
			free(buf);
			return CV_ERR_NOMEM;
		}
		memcpy(nb, part, plen);
		if (len > 0)
			memcpy(nb + plen, buf, len);
		free(part);
		free(buf);
		buf = nb;
		len += plen;
		have = count_lines(buf, len);
	}
	if (buf == NULL && (buf = malloc(1)) == NULL)
		return CV_ERR_NOMEM;
	/* a file read from its middle: its first line is not whole */
	if (cut) {
		for (start = 0; start < len && buf[start] != '\n'; start++)
			;
		start = start < len ? start + 1 : len;
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	start = len;
	while (start > 0 && n > 0) {
		start--;
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		n--;
	}
	memmove(buf, buf + start, len - start);
	*outlen = len - start;
	*out = buf;
	return 0;
}

/* The log's latest checkpoint as "SEQ:HASH" for the operator to keep. */
static int
audit_anchor_text(struct vaultd *vd, char *text, size_t len)
{
	struct audit_anchor	 a = vd->last_ckpt;
	struct vault		 v;
	uint8_t			*file = NULL;
	size_t			 flen;
	char			 hex[AUDIT_HEX_HASH + 1];

	if (a.seq == 0) {
		/* not seen since start: the vault's anchor is the latest */
		memset(&v, 0, sizeof(v));
		if (vault_fmt_read(vd->vaultpath, &file, &flen) == 0 &&
		    vault_fmt_parse(file, flen, &v) == 0) {
			a.seq = v.hdr.audit_seq;
			memcpy(a.hash, v.hdr.audit_hash, sizeof(a.hash));
			vault_free(&v);
		}
		free(file);
	}
	if (a.seq == 0) {
		snprintf(text, len, "no checkpoint yet: unlock the vault");
		return CV_ERR_NOTFOUND;
	}
	hex_encode(a.hash, sizeof(a.hash), hex);
	snprintf(text, len, "%llu:%s", (unsigned long long)a.seq, hex);
	return 0;
}

int
vaultd_audit_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	 w;
	uint64_t	 mode, tail;
	char		 text[768], *lines = NULL;
	size_t		 len = 0;
	int		 r;

	if ((r = msg_get_u64(&m->rd, &mode)) != 0 ||
	    (r = msg_get_u64(&m->rd, &tail)) != 0)
		return r;
	if (mode > 2) {
		control_error(vd, cl->serial, m->id, CV_ERR_USAGE,
		    "unknown audit mode");
		return 0;
	}
	if (mode == 1 && vd->op.committing) {
		/* an intent whose outcome is a moment away */
		control_error(vd, cl->serial, m->id, CV_ERR_AGAIN,
		    "a vault write is in progress; retry");
		return 0;
	}
	if (mode == 1) {
		audit_verify_begin(vd, cl->serial, m->id);
		return 0;
	}
	vaultd_audit_sync(vd);		/* the file holds every record */
	msg_begin(&w, MSG_CTL_AUDIT_ANS, m->id);
	if (mode == 2) {
		r = audit_anchor_text(vd, text, sizeof(text));
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

/* What audit show asks for: the filters of MSG_CTL_AUDIT_SHOW_REQ. */
struct show_filter {
	uint64_t	tail;
	char		account[AUDIT_MAX_NAME + 1];
	char		actor[AUDIT_MAX_NAME + 1];
	char		op[AUDIT_MAX_OP + 1];
	char		verdict[AUDIT_MAX_VERDICT + 1];
	char		since[AUDIT_TIME_LEN + 1];	/* "": none */
	char		until[AUDIT_TIME_LEN + 1];
	char		rotation[AUDIT_MAX_NAME + 1];	/* "": any */
	int		any;		/* a filter other than the tail */
};

/*
 * A record of rotation id: made for a control connection whose actor
 * carries it as its last part ("vaultctl:1000:42:rot-...", set by the
 * rotation's journal entry, vaultd_vault_ctl.c).
 */
static int
of_rotation(const char *actor, const char *id)
{
	size_t	a = strlen(actor), n = strlen(id);

	return id[0] == '\0' || (a > n && actor[a - n - 1] == ':' &&
	    strcmp(actor + a - n, id) == 0);
}

/*
 * field is want, or want followed by sep and more: an actor "vaultctl"
 * takes "vaultctl:1000:42", an op "account_remove" takes
 * "account_remove.apikey".
 */
static int
field_is(const char *field, const char *want, char sep)
{
	size_t	n = strlen(want);

	return want[0] == '\0' || (strncmp(field, want, n) == 0 &&
	    (field[n] == '\0' || field[n] == sep));
}

static int
show_match(const struct show_filter *f, const char *line, size_t len)
{
	struct audit_rec	r;

	if (!f->any)
		return 1;
	if (audit_record_parse(line, len, &r) != 0)
		return 0;
	/* the times are fixed-width UTC: they compare as text */
	return field_is(r.account, f->account, '\0') &&
	    field_is(r.actor, f->actor, ':') && field_is(r.op, f->op, '.') &&
	    field_is(r.verdict, f->verdict, '\0') &&
	    of_rotation(r.actor, f->rotation) &&
	    (f->since[0] == '\0' || strcmp(r.time, f->since) >= 0) &&
	    (f->until[0] == '\0' || strcmp(r.time, f->until) <= 0);
}

/*
 * The last f->tail records that match, oldest first, at most
 * AUDIT_SHOW_MAX bytes: the whole log is read in order and the matches
 * kept in a ring.  *left: the matches that did not fit.
 */
static int
audit_filter(struct scan_snap *sn, const struct show_filter *f, char **out,
    size_t *outlen, uint64_t *left)
{
	struct audit_iter	*it = NULL;
	const char		*line;
	char			**ring = NULL, *buf = NULL;
	size_t			 cap, head = 0, n = 0, bytes = 0, len, i, o;
	uint64_t		 matched = 0;
	int			 r;

	*out = NULL;
	*outlen = 0;
	*left = 0;
	/* a record's line is over 100 bytes: no more fit in the answer */
	cap = f->tail < AUDIT_SHOW_MAX / 100 ? f->tail : AUDIT_SHOW_MAX / 100;
	r = CV_ERR_NOMEM;
	if ((ring = calloc(cap, sizeof(*ring))) == NULL ||
	    (it = malloc(sizeof(*it))) == NULL)
		goto out;
	if ((r = audit_iter_open(it, &sn->log, 1)) != 0)
		goto out;
	audit_iter_bound(it, sn->lastfd, sn->lastmax);
	sn->lastfd = -1;		/* the iterator's now */
	while ((r = audit_iter_next(it, &line, &len)) == 1) {
		if (!show_match(f, line, len))
			continue;
		matched++;
		/* the oldest goes when the ring or the answer is full */
		while (n > 0 && (n == cap || bytes + len > AUDIT_SHOW_MAX)) {
			bytes -= strlen(ring[head]);
			free(ring[head]);
			ring[head] = NULL;
			head = (head + 1) % cap;
			n--;
		}
		if (len > AUDIT_SHOW_MAX)
			continue;
		if ((ring[(head + n) % cap] = strndup(line, len)) == NULL) {
			r = CV_ERR_NOMEM;
			goto out;
		}
		n++;
		bytes += len;
	}
	if (r != 0)
		goto out;
	r = CV_ERR_NOMEM;
	if ((buf = malloc(bytes + 1)) == NULL)
		goto out;
	for (i = 0, o = 0; i < n; i++) {
		len = strlen(ring[(head + i) % cap]);
		memcpy(buf + o, ring[(head + i) % cap], len);
		o += len;
	}
	*out = buf;
	*outlen = o;
	*left = matched - n;
	r = 0;
 out:
	for (i = 0; ring != NULL && i < cap; i++)
		free(ring[i]);
	free(ring);
	if (it != NULL)
		audit_iter_close(it);
	free(it);
	return r;
}

/* A filtered audit show, run by the scanner. */
struct show_job {
	struct vd_scan_job	 job;		/* first */
	struct scan_snap	 snap;
	struct show_filter	 f;
	char			*lines;
	size_t			 len;
	uint64_t		 left;
};

static int
show_run(struct vd_scan_job *job)
{
	struct show_job	*sj = (struct show_job *)job;

	return audit_filter(&sj->snap, &sj->f, &sj->lines, &sj->len,
	    &sj->left);
}

static void
show_answer(struct vaultd *vd, uint64_t serial, uint32_t id, int r,
    uint64_t left, char *lines, size_t len)
{
	struct msg_w	w;

	if (r != 0) {
		control_error(vd, serial, id, r, "cannot read the audit log");
		return;
	}
	msg_begin(&w, MSG_CTL_AUDIT_SHOW_ANS, id);
	msg_put_u64(&w, left);
	msg_put_strn(&w, lines, len);
	control_answer(vd, serial, &w);
}

static void
show_done(struct vaultd *vd, struct vd_scan_job *job)
{
	struct show_job	*sj = (struct show_job *)job;

	if (sj->snap.lastfd != -1)
		close(sj->snap.lastfd);
	show_answer(vd, job->serial, job->id, job->r, sj->left, sj->lines,
	    sj->len);
	free(sj->lines);
	free(sj);
}

static void
audit_filter_begin(struct vaultd *vd, uint64_t serial, uint32_t id,
    const struct show_filter *f)
{
	struct show_job	*sj;
	int		 r;

	if ((sj = scan_job_new(vd, serial, id, sizeof(*sj))) == NULL)
		return;
	sj->f = *f;
	sj->job.run = show_run;
	sj->job.done = show_done;
	if ((r = scan_snapshot(vd, &sj->snap)) != 0) {
		if (sj->snap.lastfd != -1)
			close(sj->snap.lastfd);
		free(sj);
		control_error(vd, serial, id, r, "cannot read the audit log");
		return;
	}
	if ((r = vaultd_scan_begin(vd, &sj->job)) != 0) {
		close(sj->snap.lastfd);
		free(sj);
		control_error(vd, serial, id, r, "cannot start the audit "
		    "scanner");
	}
}

/* Unix seconds as the audit log's time ("" for 0); -1 if out of range. */
static int
show_time(uint64_t t, char out[AUDIT_TIME_LEN + 1])
{
	out[0] = '\0';
	if (t == 0)
		return 0;
	if (t > (uint64_t)INT64_MAX || audit_time_format((time_t)t, out) != 0)
		return -1;
	return 0;
}

int
vaultd_audit_show_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct show_filter	 f;
	struct audit_rec	 rec;
	uint64_t		 since, until, left = 0;
	char			*lines = NULL, *nl;
	size_t			 len = 0;
	int			 r;

	memset(&f, 0, sizeof(f));
	if ((r = msg_get_u64(&m->rd, &f.tail)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, f.account, sizeof(f.account))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, f.actor, sizeof(f.actor))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, f.op, sizeof(f.op))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, f.verdict, sizeof(f.verdict))) != 0 ||
	    (r = msg_get_u64(&m->rd, &since)) != 0 ||
	    (r = msg_get_u64(&m->rd, &until)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, f.rotation, sizeof(f.rotation))) != 0)
		return r;
	if (show_time(since, f.since) != 0 || show_time(until, f.until) != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_USAGE,
		    "a time out of range");
		return 0;
	}
	if (f.tail == 0)
		f.tail = AUDIT_SHOW_DEFAULT;
	f.any = f.account[0] || f.actor[0] || f.op[0] || f.verdict[0] ||
	    f.rotation[0] || since != 0 || until != 0;
	/* a filter reads the whole log: in the scanner */
	if (f.any) {
		audit_filter_begin(vd, cl->serial, m->id, &f);
		return 0;
	}
	/* no filter: the end of the log is enough */
	r = audit_tail(vd, f.tail, &lines, &len);
	/* seqs run from 1 with no gap: the first one shown counts the rest */
	if (r == 0 && len > 0 && (nl = memchr(lines, '\n', len)) != NULL &&
	    audit_record_parse(lines, (size_t)(nl - lines) + 1, &rec) == 0)
		left = rec.seq - 1;
	show_answer(vd, cl->serial, m->id, r, left, lines, len);
	free(lines);
	return 0;
}

int
vaultd_audit_key_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;

	if (!vd->have_audit_pk) {
		control_error(vd, cl->serial, m->id, vault_exists(vd) ?
		    CV_ERR_LOCKED : CV_ERR_NOTFOUND, vault_exists(vd) ?
		    "vaultd does not know the audit key yet: unlock the vault "
		    "once" : "no vault yet: create one with vaultctl init");
		return 0;
	}
	msg_begin(&w, MSG_CTL_AUDIT_KEY_ANS, m->id);
	msg_put_bin(&w, vd->audit_pk, sizeof(vd->audit_pk));
	control_answer(vd, cl->serial, &w);
	return 0;
}

/*
 * vaultctl audit mode [durable | relaxed [MS]]: how verdict records are
 * made durable.  durable (the default, and at every start): no request
 * reaches signerd before its record is synced.  relaxed: written before
 * the request leaves vaultd, synced in groups at most MS later.  The
 * switch is a lifecycle record, synced at once, and everything written
 * before it is synced with it.
 */
int
vaultd_audit_mode_ctl(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;
	char		mode[9], ms[32];
	uint64_t	group;
	int		r;

	if ((r = msg_get_strbuf(&m->rd, mode, sizeof(mode))) != 0 ||
	    (r = msg_get_u64(&m->rd, &group)) != 0)
		return r;
	if (strcmp(mode, "relaxed") == 0) {
		if (group == 0)
			group = AUDIT_GROUP_MS_DEFAULT;
		if (group > AUDIT_GROUP_MS_MAX) {
			control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
			    "the group sync period is 1 to 1000 ms");
			return 0;
		}
		snprintf(ms, sizeof(ms), "group_ms=%llu",
		    (unsigned long long)group);
		vaultd_audit_sync(vd);
		vaultd_audit(vd, cl->actor, NULL, "audit_mode", "relaxed", ms);
		vd->audit_relaxed = 1;
		vd->audit_group_ms = (int64_t)group;
		log_info("audit mode relaxed: records synced in groups every "
		    "%llu ms at most", (unsigned long long)group);
	} else if (strcmp(mode, "durable") == 0) {
		if (group != 0) {
			control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
			    "the durable mode has no group period");
			return 0;
		}
		vaultd_audit_sync(vd);
		vaultd_audit(vd, cl->actor, NULL, "audit_mode", "durable",
		    NULL);
		vd->audit_relaxed = 0;
		vd->audit_group_ms = 0;
		vd->relaxed_due = 0;
		log_info("audit mode durable");
	} else if (mode[0] != '\0' || group != 0) {
		control_error(vd, cl->serial, m->id, CV_ERR_INVALID,
		    "the audit mode is durable or relaxed");
		return 0;
	}
	msg_begin(&w, MSG_CTL_AUDIT_MODE_ANS, m->id);
	msg_put_str(&w, vd->audit_relaxed ? "relaxed" : "durable");
	msg_put_u64(&w, (uint64_t)vd->audit_group_ms);
	control_answer(vd, cl->serial, &w);
	return 0;
}
