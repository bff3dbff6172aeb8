/*
 * The audit journal, audit.wal: what makes a signing record durable
 * before its signature leaves vaultd, without syncing audit.log itself.
 *
 * audit.log is appended to as before; each batch of signing records is
 * also written, framed, into this file of fixed size whose blocks were
 * all written when it was made.  Syncing a write inside such a file is a
 * flush of its data alone, where syncing an append must also commit the
 * file system's own journal (the new size, new blocks): the syncer
 * fdatasyncs this file, and audit.log is synced only now and then (a
 * lifecycle record, half the journal filled, a clean stop), the kernel
 * writing it back meanwhile.
 *
 * After a crash of the machine audit.log may lack its last bytes.  At
 * start vaultd writes them back from the journal's frames, syncs
 * audit.log, and only then moves the journal to a new epoch: no frame of
 * an earlier start is read again.  A crash leaves audit.log short of its
 * end (or ending in zeros past what was synced, taken for its end) and
 * nothing else: if the frames do not fit it so (a log cut short or
 * changed while vaultd ran, or after), vaultd stops before it writes to
 * either file, and a whole copy put back still gets them.
 *
 * Layout (common/audit_journal.h): two header slots, the valid one of
 * the higher epoch counting; then two halves of frames, each noting how
 * far audit.log was on disk when it was written.  A half is
 * written from its start, frame after frame.  When a frame does not
 * fit, the writing goes on at the start of the other half, which may be
 * reused only once audit.log is on disk past every frame it holds: a
 * sync of audit.log is asked of the syncer when a half is left, and
 * forced here if it has not ended by the time the writing comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "common/audit_journal.h"
#include "common/encode.h"
#include "common/log.h"
#include "vaultd/vaultd.h"

/* Write header slot epoch % 2 of fd and fdatasync it. */
static void
header_write(const struct vaultd *vd, int fd, uint32_t epoch, uint64_t size)
{
	uint8_t	b[JOURNAL_HDR_LEN];

	journal_header_make(b, epoch, size);
	if (pwrite(fd, b, sizeof(b), (off_t)(epoch % 2) * JOURNAL_HDR_SLOT) !=
	    (ssize_t)sizeof(b) || fdatasync(fd) == -1)
		fatal("audit: cannot write %s", vd->wal.path);
}

/*
 * A new journal of j->size bytes, every block written, of the given
 * epoch: made aside, synced, then renamed over the old one.
 */
static void
wal_create(struct vaultd *vd, uint32_t epoch)
{
	struct vd_wal	*j = &vd->wal;
	static uint8_t	 zero[65536];
	char		 tmp[PATH_MAX + 8];
	uint64_t	 at, n;
	int		 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", j->path) >=
	    sizeof(tmp))
		fatalx("CLOBVAULT_HOME path too long");
	(void)unlink(tmp);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		fatal("audit: create %s", tmp);
	for (at = 0; at < j->size; at += n) {
		n = j->size - at < sizeof(zero) ? j->size - at : sizeof(zero);
		if (pwrite(fd, zero, n, (off_t)at) != (ssize_t)n)
			fatal("audit: write %s", tmp);
	}
	header_write(vd, fd, epoch, j->size);
	if (fsync(fd) == -1 || rename(tmp, j->path) == -1)
		fatal("audit: make %s", j->path);
	if (home_sync(vd->home) == -1)
		fatal("audit: fsync %s", vd->home);
	j->fd = fd;
}

static int
frame_cmp(const void *a, const void *b)
{
	const struct journal_frame	*x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static uint64_t	zeros_from, zeros_to;	/* audit.log's zero tail, if any */
static int	zeros_mixed;		/* bytes not zero follow them */

/*
 * audit.log does not fit the frames to write back: vaultd stops before
 * it has written anything, with why (printf-style) in its message, and
 * the zeros that end audit.log, if any.
 */

static void __attribute__((noreturn, format(printf, 2, 3)))
unfit(const struct vaultd *vd, const char *fmt, ...)
{
	char	why[PATH_MAX + 512];
	size_t	n;
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	n = strlen(why);
	if (zeros_from < zeros_to && zeros_mixed)
		(void)snprintf(why + n, sizeof(why) - n, " (its byte %llu is a "
		    "zero, and its bytes from there to %llu are taken for "
		    "torn: a crash leaves zeros only past what was synced)",
		    (unsigned long long)zeros_from,
		    (unsigned long long)zeros_to);
	else if (zeros_from < zeros_to)
		(void)snprintf(why + n, sizeof(why) - n, " (its bytes %llu to "
		    "%llu are zeros, taken for its end: a crash leaves zeros "
		    "only past what was synced)",
		    (unsigned long long)zeros_from,
		    (unsigned long long)zeros_to);
	fatalx("audit: %s was cut short or changed since vaultd wrote it: "
	    "%s; writing back from %s would not make it whole, so vaultd "
	    "does not start, and has changed neither file (put back a whole "
	    "copy of %s from a backup, then start vaultd: see vaultd(8), "
	    "FILES)",
	    vd->auditpath, why, vd->wal.path, vd->auditpath);
}

/*
 * The line that ends at byte end of the file fd (path), end > 0: its
 * hash into h, its first byte into *start.  -1 if no line of a record's
 * length ends there.
 */
static int
line_before(int fd, const char *path, uint64_t end, uint8_t *h,
    uint64_t *start)
{
	char	buf[AUDIT_LINE_MAX + 1];
	size_t	n, s;

	n = end < sizeof(buf) ? (size_t)end : sizeof(buf);
	if (pread(fd, buf, n, (off_t)(end - n)) != (ssize_t)n)
		fatal("read %s", path);
	if (buf[n - 1] != '\n')
		return -1;
	for (s = n - 1; s > 0 && buf[s - 1] != '\n'; s--)
		;
	if (s == 0 && end > n)
		return -1;		/* longer than any record */
	audit_chain_hash(buf + s, n - s, h);
	*start = end - (n - s);
	return 0;
}

/*
 * The frame f, the first whose bytes go back into audit.log (size
 * bytes), must fit it: begin within it, hold the bytes it still has
 * from f->off on, and the record it begins, or ends with its first part
 * in audit.log, must chain to the line before: in audit.log, or at its
 * byte 0 the last line of the last segment, or none.  That record ends
 * in f: every frame holds a newline, a batch ending with one and a
 * frame cut from a longer batch being longer than any record.
 */
static void
frame_fits(const struct vaultd *vd, const struct journal_frame *f,
    uint64_t size)
{
	char			 line[AUDIT_LINE_MAX + 1], seg[PATH_MAX + 32];
	char			 hex[AUDIT_HEX_HASH + 1], what[PATH_MAX + 64];
	uint8_t			 had[JOURNAL_FRAME_DATA_MAX];
	uint8_t			 h[AUDIT_HASH_LEN];
	struct audit_rec	 rec;
	struct stat		 st;
	const uint8_t		*nl;
	uint64_t		 q, p;
	size_t			 n, w, s;
	int			 fd;

	if (f->off > size)
		unfit(vd, "it ends at byte %llu, where the records to write "
		    "back begin at byte %llu", (unsigned long long)size,
		    (unsigned long long)f->off);
	n = (size_t)(size - f->off);		/* < f->n */
	if (n > 0 && pread(vd->audit_fd, had, n, (off_t)f->off) !=
	    (ssize_t)n)
		fatal("read %s", vd->auditpath);
	if (n > 0 && memcmp(had, f->data, n) != 0)
		unfit(vd, "its bytes %llu to %llu are not the ones the journal "
		    "holds there", (unsigned long long)f->off,
		    (unsigned long long)size);
	/* the record that holds byte f->off: its part before, from q */
	w = f->off < AUDIT_LINE_MAX ? (size_t)f->off : AUDIT_LINE_MAX;
	if (pread(vd->audit_fd, line, w, (off_t)(f->off - w)) != (ssize_t)w)
		fatal("read %s", vd->auditpath);
	for (s = w; s > 0 && line[s - 1] != '\n'; s--)
		;
	q = f->off - (w - s);
	if ((s == 0 && q > 0) ||
	    (nl = memchr(f->data, '\n', f->n)) == NULL ||
	    (n = w - s + (size_t)(nl - f->data) + 1) > sizeof(line))
		goto notrec;
	memmove(line, line + s, w - s);
	memcpy(line + (w - s), f->data, n - (w - s));
	if (audit_record_parse(line, n, &rec) != 0)
		goto notrec;
	/* and the line before it */
	memset(h, 0, sizeof(h));
	if (q > 0) {
		if (line_before(vd->audit_fd, vd->auditpath, q, h, &p) == -1)
			goto notrec;
		snprintf(what, sizeof(what), "its line at bytes %llu to %llu",
		    (unsigned long long)p, (unsigned long long)q);
	} else if (vd->audit_nseg == 0)
		snprintf(what, sizeof(what), "the log's beginning");
	else {
		if ((size_t)snprintf(seg, sizeof(seg), "%s.%06llu",
		    vd->auditpath, (unsigned long long)vd->audit_nseg) >=
		    sizeof(seg))
			fatalx("%s: path too long", vd->auditpath);
		if ((fd = open(seg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) ==
		    -1 || fstat(fd, &st) == -1)
			fatal("open %s", seg);
		if (st.st_size == 0 || line_before(fd, seg,
		    (uint64_t)st.st_size, h, &p) == -1)
			fatalx("%s: a segment must end with a whole line", seg);
		close(fd);
		snprintf(what, sizeof(what), "the last line of %s", seg);
	}
	hex_encode(h, sizeof(h), hex);
	if (strcmp(hex, rec.prev) != 0)
		unfit(vd, "the record the journal holds at byte %llu does not "
		    "follow on from %s", (unsigned long long)q, what);
	return;
 notrec:
	unfit(vd, "what it holds from byte %llu and the journal from byte "
	    "%llu on make no record", (unsigned long long)q,
	    (unsigned long long)f->off);
}

/*
 * Where the zero bytes that end audit.log (size bytes) begin: size if
 * its last byte is not one.  A record holds no zero byte; a crash of the
 * machine can leave some at the end of a file whose new size reached
 * the disk before its data (ext4 data=writeback, XFS).
 */
static uint64_t
zero_tail(const struct vaultd *vd, uint64_t size)
{
	uint8_t		b[16384];
	uint64_t	end = size;
	size_t		n, i;

	while (end > 0) {
		n = end < sizeof(b) ? (size_t)end : sizeof(b);
		if (pread(vd->audit_fd, b, n, (off_t)(end - n)) != (ssize_t)n)
			fatal("read %s", vd->auditpath);
		for (i = n; i > 0 && b[i - 1] == 0; i--)
			;
		if (i > 0)
			return end - n + i;
		end -= n;
	}
	return 0;
}

/*
 * Where audit.log (size bytes) is taken to end: at its first zero byte
 * among its last win bytes before the zeros that end it, or where those
 * begin; size if it holds none there.  A zero followed by bytes that
 * are not: a crash of the machine can leave a later block of a write on
 * disk and not an earlier one (delayed allocation), and what follows a
 * block never synced was never synced either.  *mixed: 1 if bytes not
 * zero follow the zero found.
 */
static uint64_t
first_zero(const struct vaultd *vd, uint64_t size, uint64_t win,
    int *mixed)
{
	uint8_t		 b[16384];
	const uint8_t	*z;
	uint64_t	 end, at, lo;
	size_t		 n;

	end = zero_tail(vd, size);
	*mixed = 0;
	lo = end > win ? end - win : 0;
	for (at = lo; at < end; at += n) {
		n = end - at < sizeof(b) ? (size_t)(end - at) : sizeof(b);
		if (pread(vd->audit_fd, b, n, (off_t)at) != (ssize_t)n)
			fatal("read %s", vd->auditpath);
		if ((z = memchr(b, 0, n)) == NULL)
			continue;
		at += (uint64_t)(z - b);
		*mixed = 1;
		/* the run it begins may start before the bytes read */
		return at == lo ? zero_tail(vd, at) : at;
	}
	return end;
}

/*
 * Write back into audit.log what the frames hold past its end (size):
 * the bytes a crash of the machine lost.  First, that they fit it: the
 * first frame begins within audit.log, agrees with the bytes it has and
 * chains to the line before, and the frames run on with no gap; if not,
 * the log was cut short or changed, not by a crash, and vaultd stops
 * with both files as they were (unfit).  The one gap a crash makes: the
 * last frames of a half torn, the writing gone on at the start of the
 * other, whose frames then were not synced either (a sync covers all
 * written before it): the write-back ends there.  Between frames of one
 * half (the scan of a half stops at its first torn frame) only
 * lifecycle records lie, fsync'd at once, which a crash never loses.
 *
 * Zeros that end audit.log are taken for its end, as a crash leaves
 * them only where it leaves a log cut short: past what was synced; so
 * is its first zero among its last bytes when bytes follow that are
 * not (first_zero: a later block on disk, not that one).  The
 * same checks then tell a crash's from zeros where synced bytes were (a
 * lifecycle record, or what one's fsync covered), which stop the start;
 * the frames are written back over the zeros and the ones left past
 * them cut.  The bytes written, 0 if none.
 */
static uint64_t
replay(struct vaultd *vd, const uint8_t *buf, uint32_t epoch, uint64_t size)
{
	struct vd_wal	*j = &vd->wal;
	struct journal_frame *f;
	uint64_t	 cur, end, had = size, synced, noted;
	size_t		 nf, i, k, first, max;
	int		 fd;

	zeros_to = size;
	zeros_from = size = cur = first_zero(vd, size, j->size, &zeros_mixed);

	/* room for them all, found again in a larger array if need be */
	for (max = 1024, f = NULL; ; max *= 2) {
		free(f);
		if ((f = calloc(max, sizeof(*f))) == NULL)
			fatalx("out of memory");
		nf = journal_frames(buf, j->size, epoch, vd->audit_nseg, f,
		    max);
		if (nf < max)
			break;
	}
	qsort(f, nf, sizeof(*f), frame_cmp);
	for (first = 0; first < nf && f[first].off + f[first].n <= size;
	    first++)
		;
	/*
	 * The log lost the torn frame too, its end after the frames of the
	 * other half: the first past it begins a half past the gap, which
	 * the loop drops with the rest.  With no frame before it, a log
	 * that ends before the journal's first is cut short.
	 */
	if (first < nf && (f[first].off <= size || !f[first].lead ||
	    first == 0))
		frame_fits(vd, &f[first], size);
	for (i = first; i < nf; i++) {
		if (f[i].off > cur && !f[i].lead)
			unfit(vd, "the records to write back stop at byte %llu "
			    "and go on only from byte %llu",
			    (unsigned long long)cur,
			    (unsigned long long)f[i].off);
		if (f[i].off > cur)
			break;		/* a crash's, unless synced: below */
		if (f[i].off + f[i].n > cur)
			cur = f[i].off + f[i].n;
	}
	/*
	 * Each frame notes how far audit.log was on disk (fsync'd) when it
	 * was written: a crash never leaves it shorter.  So a gap before a
	 * half's first frame that a synced lifecycle record filled is a cut,
	 * not a torn frame.
	 */
	for (synced = 0, k = 0; k < nf; k++)
		if (f[k].synced > synced)
			synced = f[k].synced;
	/*
	 * And zeros over what the last fsync no frame followed synced (a
	 * lifecycle record's, the start's): its note.  A log that is only
	 * shorter, an older copy put back, is the unlock's to check.
	 */
	if (size < had && journal_note_read(buf + (epoch % 2) *
	    JOURNAL_HDR_SLOT + JOURNAL_NOTE_AT, epoch, vd->audit_nseg,
	    &noted) && noted > synced)
		synced = noted;
	if (size < synced)
		unfit(vd, "it ends at byte %llu, where the journal notes it was "
		    "on disk up to byte %llu", (unsigned long long)size,
		    (unsigned long long)synced);
	if (i < nf) {
		/* a crash's: the frames past it were never synced */
		log_warnx("%s: %s goes on only from byte %llu, past a frame a "
		    "crash tore at byte %llu: the records from there were not "
		    "synced, and are dropped", vd->auditpath, j->path,
		    (unsigned long long)f[i].off, (unsigned long long)cur);
		nf = i;
	}
	if (first == nf && size == had) {
		free(f);
		return 0;
	}
	if (size < had && zeros_mixed)
		log_warnx("%s: its last %llu bytes, from byte %llu, a zero, "
		    "were past what was synced (a crash of the machine had "
		    "written later blocks, not that one): dropped",
		    vd->auditpath, (unsigned long long)(had - size),
		    (unsigned long long)size);
	else if (size < had)
		log_warnx("%s: its last %llu bytes, from byte %llu, were zeros, "
		    "past what was synced (a crash of the machine had written "
		    "its size, not its data): dropped", vd->auditpath,
		    (unsigned long long)(had - size),
		    (unsigned long long)size);
	/* not the appending descriptor: pwrite there would append */
	if ((fd = open(vd->auditpath, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) ==
	    -1)
		fatal("open %s", vd->auditpath);
	for (cur = size, i = first; i < nf; i++) {
		end = f[i].off + f[i].n;
		if (end <= cur)
			continue;
		/* the whole frame: the bytes of it there are its own */
		if (pwrite(fd, f[i].data, f[i].n, (off_t)f[i].off) !=
		    (ssize_t)f[i].n)
			fatal("audit: cannot write %s", vd->auditpath);
		cur = end;
	}
	free(f);
	if (cur < had && ftruncate(fd, (off_t)cur) == -1)
		fatal("audit: cannot cut %s", vd->auditpath);
	close(fd);
	zeros_from = zeros_to = 0;
	zeros_mixed = 0;
	return cur - size;
}

/*
 * At start, with audit.log open (vd->audit_fd, size bytes) and before
 * its last line is read: write back what a crash lost from the journal,
 * sync audit.log, and begin a new epoch (in a new journal if there is
 * none, or if its size is not the one asked).
 */
void
vaultd_wal_open(struct vaultd *vd, uint64_t size)
{
	struct vd_wal	*j = &vd->wal;
	struct stat	 st;
	uint8_t		*buf;
	uint64_t	 hsize[2] = { 0, 0 }, want, got;
	uint32_t	 e[2], epoch = 0;
	int		 fd, s = 0;

	if ((size_t)snprintf(j->path, sizeof(j->path), "%s/audit.wal",
	    vd->home) >= sizeof(j->path))
		fatalx("CLOBVAULT_HOME path too long");
	want = j->conf != 0 ? j->conf : VAULTD_WAL_SIZE;
	if ((fd = open(j->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno != ENOENT)
			fatal("open %s", j->path);
		/* no journal: audit.log alone holds every record */
		if (fsync(vd->audit_fd) == -1)
			fatal("audit: cannot sync %s", vd->auditpath);
		goto create;
	}
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", j->path);
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0)
		fatalx("%s must be a regular file of ours, closed to others "
		    "(fix it with: chmod 600 %s)", j->path, j->path);
	/* mapped, not read: its pages go with the mapping */
	buf = MAP_FAILED;
	if ((uint64_t)st.st_size >= VAULTD_WAL_MIN &&
	    (uint64_t)st.st_size <= VAULTD_WAL_MAX &&
	    (buf = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED)
		fatal("read %s", j->path);
	if (buf != MAP_FAILED) {
		e[0] = journal_header_read(buf, &hsize[0]);
		e[1] = journal_header_read(buf + JOURNAL_HDR_SLOT, &hsize[1]);
		s = e[1] > e[0];
		epoch = e[s];
	}
	if (epoch == 0 || hsize[s] != (uint64_t)st.st_size)
		fatalx("%s has no valid header: vaultd cannot tell what it "
		    "holds (if vaultctl audit verify finds audit.log whole, "
		    "move %s aside)", j->path, j->path);
	if (epoch == UINT32_MAX)
		fatalx("%s: its epochs are spent; move it aside after a clean "
		    "stop of vaultd", j->path);
	j->size = hsize[s];
	if ((got = replay(vd, buf, epoch, size)) > 0)
		log_warnx("%s: %llu bytes written back from %s (records a "
		    "crash of the machine had kept from the disk)",
		    vd->auditpath, (unsigned long long)got, j->path);
	if (munmap(buf, j->size) == -1)
		fatal("munmap %s", j->path);
	/* on disk before the frames that hold it are made stale */
	if (fsync(vd->audit_fd) == -1)
		fatal("audit: cannot sync %s", vd->auditpath);
	if (j->size == want) {
		header_write(vd, fd, epoch + 1, j->size);
		j->fd = fd;
		goto ready;
	}
	close(fd);
 create:
	j->size = want;
	wal_create(vd, epoch + 1);
 ready:
	j->epoch = epoch + 1;
	j->half = 0;
	j->off = journal_half_start(j->size, 0);
	j->need[0] = j->need[1] = 0;
}

/*
 * Writing goes on in the other half: first, audit.log must be on disk
 * past every frame that half holds (the syncer's sync of it, asked
 * since the half was left, or one here).  The half now left is then
 * the one whose frames the syncer's next syncs take audit.log past
 * (vaultd_wal_sync_log), for the time the writing comes back to it.
 */
static void
half_switch(struct vaultd *vd)
{
	struct vd_wal	*j = &vd->wal;
	int		 next = !j->half;

	if (j->durable < j->need[next] && j->syncing != 0) {
		vaultd_sync_end(vd, 1);		/* taken at the next turn */
		vaultd_wal_synced(vd);
	}
	if (j->durable < j->need[next]) {
		if (fdatasync(vd->audit_fd) == -1)
			fatal("audit: cannot sync %s", vd->auditpath);
		j->durable = j->logsize;
	}
	j->half = next;
	j->off = journal_half_start(j->size, next);
	j->need[next] = 0;
}

/*
 * n bytes just appended to audit.log at j->logsize: into the journal,
 * in frames (not yet synced: the syncer's work).  0, or CV_ERR_IO.
 */
int
vaultd_wal_write(struct vaultd *vd, const uint8_t *p, size_t n)
{
	struct vd_wal	*j = &vd->wal;
	uint8_t		 hdr[JOURNAL_FRAME_HDR], tag[JOURNAL_FRAME_TAG];
	struct iovec	 iov[3];
	size_t		 len, frame;

	while (n > 0) {
		len = n < JOURNAL_FRAME_DATA_MAX ? n : JOURNAL_FRAME_DATA_MAX;
		frame = JOURNAL_FRAME_HDR + len + JOURNAL_FRAME_TAG;
		if (j->off + frame > journal_half_end(j->size, j->half))
			half_switch(vd);
		journal_frame_head(hdr, (uint32_t)len, j->epoch,
		    vd->audit_nseg, j->logsize, j->durable);
		journal_frame_tag(hdr, p, len, tag);
		iov[0] = (struct iovec){ hdr, sizeof(hdr) };
		iov[1] = (struct iovec){ (void *)(uintptr_t)p, len };
		iov[2] = (struct iovec){ tag, sizeof(tag) };
		if (pwritev(j->fd, iov, 3, (off_t)j->off) != (ssize_t)frame)
			return CV_ERR_IO;
		j->off += frame;
		j->logsize += len;
		j->need[j->half] = j->logsize;
		p += len;
		n -= len;
	}
	return 0;
}

/* n bytes appended to audit.log that the journal does not hold. */
void
vaultd_wal_skip(struct vaultd *vd, size_t n)
{
	vd->wal.logsize += n;
}

/*
 * audit.log was fsync'd (a lifecycle record's, the start's): it is on
 * disk to its end.  Noted in the journal, and synced there, before
 * anything that record admits: no frame may follow to note it, and
 * without the note zeros a start found over that record could not be
 * told from a crash's, and would be dropped.
 */
void
vaultd_wal_log_synced(struct vaultd *vd)
{
	struct vd_wal	*j = &vd->wal;
	uint8_t		 b[JOURNAL_NOTE_LEN];

	j->durable = j->logsize;
	if (j->fd == -1 || j->epoch == 0)
		return;
	journal_note_make(b, j->epoch, vd->audit_nseg, j->durable);
	if (pwrite(j->fd, b, sizeof(b), (off_t)(j->epoch % 2) *
	    JOURNAL_HDR_SLOT + JOURNAL_NOTE_AT) != (ssize_t)sizeof(b) ||
	    fdatasync(j->fd) == -1)
		fatal("audit: cannot write %s", j->path);
}

/*
 * A sync begins: audit.log's descriptor if it is due too, else -1.  It
 * is due while the half not written now holds frames past what is on
 * disk of audit.log: writing will come back to that half.
 */
int
vaultd_wal_sync_log(struct vaultd *vd)
{
	struct vd_wal	*j = &vd->wal;

	if (j->need[!j->half] <= j->durable)
		return -1;
	j->syncing = j->need[!j->half];
	return vd->audit_fd;
}

/* The syncer's sync ended: audit.log, if it was asked, is on disk. */
void
vaultd_wal_synced(struct vaultd *vd)
{
	struct vd_wal	*j = &vd->wal;

	if (j->syncing > j->durable)
		j->durable = j->syncing;
	j->syncing = 0;
}

/* A new audit.log (a segment began): empty and on disk. */
void
vaultd_wal_new_log(struct vaultd *vd)
{
	struct vd_wal	*j = &vd->wal;

	j->logsize = j->durable = j->syncing = 0;
	j->need[0] = j->need[1] = 0;
}
