/*
 * The audit journal (vaultd/vaultd_wal.c) on its own: a half of it is
 * written again only once audit.log is on disk past every frame the
 * half holds (a sync of audit.log asked of the syncer when the half is
 * left, made at the switch if the syncer has not), and what audit.log
 * lost is written back byte for byte from the current lap's frames,
 * past the stale frames of the lap before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "common/audit_journal.h"
#include "vaultd/vaultd.h"

#define LINE	1000		/* bytes a batch: 29 frames to a half */

static struct vaultd	vd;
static struct audit_chain chain;
static char		home[] = "/tmp/cvwal.XXXXXX";

static void
open_home(void)
{
	memset(&vd, 0, sizeof(vd));
	snprintf(vd.home, sizeof(vd.home), "%s", home);
	snprintf(vd.auditpath, sizeof(vd.auditpath), "%s/audit.log", home);
	vd.audit_fd = open(vd.auditpath, O_RDWR | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600);
	assert_true(vd.audit_fd != -1);
	vd.wal.fd = -1;
	vd.wal.conf = VAULTD_WAL_MIN;
}

/* The file at path, whole; st its stat. */
static char *
slurp(const char *path, struct stat *st)
{
	char	*b;
	int	 fd;

	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1);
	assert_int_equal(fstat(fd, st), 0);
	assert_non_null(b = malloc((size_t)st->st_size + 1));
	assert_int_equal(read(fd, b, (size_t)st->st_size), st->st_size);
	close(fd);
	return b;
}

/*
 * The next record of the chain, len bytes with its newline (its path
 * made as long as that takes), into b: the write-back checks that what
 * it writes chains to the line before.
 */
static void
record(char *b, size_t len)
{
	struct audit_rec	rec;
	struct audit_chain	c;
	size_t			n, k = 1;

	for (;;) {
		audit_rec_init(&rec);
		snprintf(rec.time, sizeof(rec.time), "2026-01-01T00:00:00Z");
		snprintf(rec.actor, sizeof(rec.actor), "bot");
		snprintf(rec.op, sizeof(rec.op), "sign");
		snprintf(rec.verdict, sizeof(rec.verdict), "allow");
		memset(rec.path, 'x', k);
		rec.path[0] = '/';
		rec.path[k] = '\0';
		c = chain;
		assert_int_equal(audit_chain_append(&c, &rec, b, len + 1, &n),
		    0);
		if (n == len)
			break;
		assert_true(n < len);
		k += len - n;
	}
	chain = c;
}

/* Batch i: LINE bytes, two records, to audit.log and the journal. */
static void
batch(int i, char *all)
{
	char	b[LINE + 1];

	record(b, LINE / 2);
	record(b + LINE / 2, LINE / 2);
	memcpy(all + (size_t)i * LINE, b, LINE);
	assert_int_equal(write(vd.audit_fd, b, LINE), LINE);
	assert_int_equal(vaultd_wal_write(&vd, (uint8_t *)b, LINE), 0);
}

/* audit.log and the journal as they are, for a crash later on. */
struct snap {
	char	*log, *wal;
	size_t	 loglen, wallen;
};

static void
snapshot(struct snap *s)
{
	struct stat	st;
	char		path[64];

	assert_int_equal(fdatasync(vd.audit_fd), 0);
	s->log = slurp(vd.auditpath, &st);
	s->loglen = (size_t)st.st_size;
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	s->wal = slurp(path, &st);
	s->wallen = (size_t)st.st_size;
}

/* The files of s put back, audit.log cut to len bytes. */
static void
restore(const struct snap *s, size_t len)
{
	char	path[64];
	int	fd;

	assert_true(len <= s->loglen);
	assert_true((fd = open(vd.auditpath, O_WRONLY | O_TRUNC | O_CLOEXEC))
	    != -1);
	assert_int_equal(write(fd, s->log, len), (ssize_t)len);
	close(fd);
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	assert_true((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) != -1);
	assert_int_equal(write(fd, s->wal, s->wallen), (ssize_t)s->wallen);
	close(fd);
}

static void
test_halves(void **state)
{
	static char	 all[100 * LINE];
	struct snap	 snap;
	struct stat	 st;
	char		*back;
	int		 i;

	(void)state;
	assert_non_null(mkdtemp(home));
	open_home();
	audit_chain_init(&chain);
	vaultd_wal_open(&vd, 0);
	assert_int_equal(vd.wal.epoch, 1);
	assert_int_equal(fstat(vd.wal.fd, &st), 0);
	assert_int_equal(st.st_size, VAULTD_WAL_MIN);
	vd.wal.logsize = 0;
	vaultd_wal_log_synced(&vd);

	for (i = 0; i < 29; i++)
		batch(i, all);
	assert_int_equal(vd.wal.half, 0);
	assert_int_equal(vd.wal.need[!vd.wal.half], 0);
	batch(29, all);			/* into half 1 */
	assert_int_equal(vd.wal.half, 1);
	assert_int_equal(vd.wal.need[0], 29 * LINE);
	assert_int_equal(vd.wal.need[!vd.wal.half], 29 * LINE);
	assert_int_equal(vd.wal.durable, 0);
	/* the syncer's next sync takes audit.log too */
	assert_int_equal(vaultd_wal_sync_log(&vd), vd.audit_fd);
	assert_int_equal(vd.wal.syncing, 29 * LINE);
	assert_int_equal(fdatasync(vd.audit_fd), 0);
	vaultd_wal_synced(&vd);
	assert_int_equal(vd.wal.durable, 29 * LINE);
	assert_int_equal(vaultd_wal_sync_log(&vd), -1);

	for (i = 30; i < 58; i++)
		batch(i, all);
	batch(58, all);			/* back into half 0: no sync needed */
	assert_int_equal(vd.wal.half, 0);
	assert_int_equal(vd.wal.durable, 29 * LINE);
	assert_int_equal(vd.wal.need[!vd.wal.half], 58 * LINE);
	/* a crash now would find audit.log synced to batch 29 only */
	for (i = 59; i < 61; i++)
		batch(i, all);
	snapshot(&snap);
	/* no sync this time: the switch to half 1 makes one itself */
	for (i = 61; i < 87; i++)
		batch(i, all);
	batch(87, all);
	assert_int_equal(vd.wal.half, 1);
	assert_int_equal(vd.wal.durable, 87 * LINE);
	assert_int_equal(vd.wal.need[!vd.wal.half], 87 * LINE);
	close(vd.audit_fd);
	close(vd.wal.fd);

	/*
	 * A crash: audit.log lost its last 500 bytes (the switch synced it
	 * to batch 87).  Half 1 holds batch 87 and, after it, batches 30-57
	 * of the lap before (stale: on disk in audit.log); half 0 holds
	 * batches 58-86.
	 */
	assert_int_equal(truncate(vd.auditpath, 88 * LINE - 500), 0);
	open_home();
	vaultd_wal_open(&vd, 88 * LINE - 500);
	assert_int_equal(vd.wal.epoch, 2);
	assert_non_null(back = slurp(vd.auditpath, &st));
	assert_int_equal(st.st_size, 88 * LINE);
	assert_memory_equal(back, all, 88 * LINE);
	free(back);
	close(vd.audit_fd);
	close(vd.wal.fd);

	/* epoch 2 now: the frames of epoch 1 are never read again */
	assert_int_equal(truncate(vd.auditpath, 80 * LINE), 0);
	open_home();
	vaultd_wal_open(&vd, 80 * LINE);
	assert_int_equal(vd.wal.epoch, 3);
	assert_int_equal(stat(vd.auditpath, &st), 0);
	assert_int_equal(st.st_size, 80 * LINE);
	close(vd.audit_fd);
	close(vd.wal.fd);

	/*
	 * The crash after batch 60, audit.log synced to batch 29: it lost
	 * its last 3,500 bytes, written back from the frames of both halves
	 * (batch 57 in half 1, 58-60 at the start of half 0), past the
	 * stale ones of the lap before (3-28 in half 0).
	 */
	restore(&snap, 57 * LINE + 500);
	open_home();
	vaultd_wal_open(&vd, 57 * LINE + 500);
	assert_int_equal(vd.wal.epoch, 2);
	assert_non_null(back = slurp(vd.auditpath, &st));
	assert_int_equal(st.st_size, 61 * LINE);
	assert_memory_equal(back, all, 61 * LINE);
	free(back);
	close(vd.audit_fd);
	close(vd.wal.fd);
	free(snap.log);
	free(snap.wal);
}

/*
 * Small batches: 1,100 frames of a record of 200 bytes each, more than
 * the write-back first makes room for (1,024), all found and the lost
 * tail back.
 */
static void
test_many_frames(void **state)
{
	static char	 all[1100 * 200 + 1];	/* + record()'s NUL */
	struct stat	 st;
	char		 path[64], *back;
	int		 i;

	(void)state;
	open_home();
	vd.wal.conf = 1 << 20;		/* all in its first half */
	/* a new journal, an empty log */
	assert_int_equal(ftruncate(vd.audit_fd, 0), 0);
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	assert_int_equal(unlink(path), 0);
	audit_chain_init(&chain);
	vaultd_wal_open(&vd, 0);
	assert_int_equal(vd.wal.epoch, 1);
	vd.wal.logsize = 0;
	vaultd_wal_log_synced(&vd);
	for (i = 0; i < 1100; i++) {
		record(all + i * 200, 200);
		assert_int_equal(write(vd.audit_fd, all + i * 200, 200), 200);
		assert_int_equal(vaultd_wal_write(&vd,
		    (uint8_t *)all + i * 200, 200), 0);
	}
	close(vd.audit_fd);
	close(vd.wal.fd);
	assert_int_equal(truncate(vd.auditpath, 10500), 0);
	open_home();
	vd.wal.conf = 1 << 20;
	vaultd_wal_open(&vd, 10500);
	assert_non_null(back = slurp(vd.auditpath, &st));
	assert_int_equal(st.st_size, 1100 * 200);
	assert_memory_equal(back, all, 1100 * 200);
	free(back);
	close(vd.audit_fd);
	close(vd.wal.fd);
}

/*
 * A crash tears the last frame of half 0 (batch 28, never synced) while
 * the writing had gone on at the start of half 1 (batches 29-35, not
 * synced either), and audit.log keeps only its first kept bytes: the
 * start writes back batch 27 when it is lost, and drops the frames past
 * the gap, a crash's; it goes on, audit.log holding batches 0-27.
 */
static void
torn_half(size_t kept, int zeros)
{
	static const char zero[36 * LINE];
	static char	 all[36 * LINE];
	struct stat	 st;
	char		 path[64], *back;
	uint64_t	 at;
	uint8_t		 b;
	int		 i, fd;

	open_home();
	assert_int_equal(ftruncate(vd.audit_fd, 0), 0);
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	assert_int_equal(unlink(path), 0);
	audit_chain_init(&chain);
	vaultd_wal_open(&vd, 0);
	vd.wal.logsize = 0;
	vaultd_wal_log_synced(&vd);
	for (i = 0; i < 36; i++)
		batch(i, all);
	assert_int_equal(vd.wal.half, 1);
	close(vd.audit_fd);
	close(vd.wal.fd);

	/* batch 28's frame, the last of half 0: one byte of it torn */
	at = journal_half_start(VAULTD_WAL_MIN, 0) +
	    28 * (JOURNAL_FRAME_HDR + LINE + JOURNAL_FRAME_TAG) +
	    JOURNAL_FRAME_HDR;
	assert_true((fd = open(path, O_RDWR | O_CLOEXEC)) != -1);
	assert_int_equal(pread(fd, &b, 1, (off_t)at), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
	close(fd);
	assert_int_equal(truncate(vd.auditpath, (off_t)kept), 0);
	if (zeros) {
		/* the size on disk, not the data: zeros to the end */
		assert_true((fd = open(vd.auditpath, O_WRONLY | O_CLOEXEC)) !=
		    -1);
		assert_int_equal(pwrite(fd, zero, 36 * LINE - kept,
		    (off_t)kept), 36 * LINE - kept);
		close(fd);
	}

	open_home();
	vaultd_wal_open(&vd, zeros ? 36 * LINE : kept);
	assert_int_equal(vd.wal.epoch, 2);
	assert_non_null(back = slurp(vd.auditpath, &st));
	assert_int_equal(st.st_size, 28 * LINE);
	assert_memory_equal(back, all, 28 * LINE);
	free(back);
	close(vd.audit_fd);
	close(vd.wal.fd);
}

/* Batches 27 on lost: 27 written back, the frames past the gap dropped. */
static void
test_torn_half(void **state)
{
	(void)state;
	torn_half(27 * LINE, 0);
}

/*
 * Batches 28 on lost, audit.log holding every batch before the torn
 * frame: the first frame past its end is half 1's first, past the gap.
 * Nothing is written back and the start goes on, as when frames before
 * the tear are written back first.
 */
static void
test_torn_half_at_end(void **state)
{
	(void)state;
	torn_half(28 * LINE, 0);
}

/*
 * The same crash leaving the lost bytes zeros (audit.log's size reached
 * the disk, its data did not): the zeros are taken for its end, batch 27
 * is written back over them and the zeros past the gap are cut, the
 * start going on with audit.log holding batches 0-27.  It used to
 * write nothing back, the frames all inside the file.
 */
static void
test_torn_half_zeros(void **state)
{
	(void)state;
	torn_half(27 * LINE, 1);
	torn_half(28 * LINE, 1);
}

/*
 * vaultd_wal_open on audit.log of size bytes stops vaultd before it
 * writes: exit 1, want in what it logged, audit.log as it was.
 */
static void
open_refused(uint64_t size, const char *want)
{
	char		out[4096];
	struct stat	st;
	size_t		len = 0;
	ssize_t		n;
	pid_t		pid;
	int		p[2], status;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		(void)dup2(p[1], STDERR_FILENO);
		close(p[0]);
		open_home();
		vaultd_wal_open(&vd, size);
		_exit(0);
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	if (strstr(out, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", out, want);
	assert_int_equal(stat(vd.auditpath, &st), 0);
	assert_int_equal(st.st_size, (off_t)size);
}

/*
 * A lifecycle record (fsync'd at once) right where the writing changed
 * halves: batches 0-28 fill half 0, the record follows, batch 29 begins
 * half 1.  audit.log cut at the record's start is not a crash's (the
 * record was on disk), though it looks like one that tore batch 29's
 * frame at the end of half 0: the start stops, saying so, where it
 * used to drop batch 29 with a warning and go on.  A crash's cut past
 * the record is written back.
 */
static void
test_cut_at_switch(void **state)
{
	static char	 all[31 * LINE];
	char		 path[64], life[LINE / 2 + 1], want[256], *back;
	struct stat	 st;
	int		 i;

	(void)state;
	open_home();
	assert_int_equal(ftruncate(vd.audit_fd, 0), 0);
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	assert_int_equal(unlink(path), 0);
	audit_chain_init(&chain);
	vaultd_wal_open(&vd, 0);
	vd.wal.logsize = 0;
	vaultd_wal_log_synced(&vd);
	for (i = 0; i < 29; i++)
		batch(i, all);
	assert_int_equal(vd.wal.half, 0);
	/* the lifecycle record, as audit_write writes it */
	record(life, LINE / 2);
	assert_int_equal(write(vd.audit_fd, life, LINE / 2), LINE / 2);
	vaultd_wal_skip(&vd, LINE / 2);
	assert_int_equal(fsync(vd.audit_fd), 0);
	vaultd_wal_log_synced(&vd);
	batch(29, all);
	assert_int_equal(vd.wal.half, 1);
	close(vd.audit_fd);
	close(vd.wal.fd);

	assert_int_equal(truncate(vd.auditpath, 29 * LINE), 0);
	snprintf(want, sizeof(want), "was cut short or changed since vaultd "
	    "wrote it: it ends at byte %d, where the journal notes it was on "
	    "disk up to byte %d; ", 29 * LINE, 29 * LINE + LINE / 2);
	open_refused(29 * LINE, want);

	/* the record there: batch 29 written back after it */
	assert_true((i = open(vd.auditpath, O_WRONLY | O_APPEND | O_CLOEXEC))
	    != -1);
	assert_int_equal(write(i, life, LINE / 2), LINE / 2);
	close(i);
	open_home();
	vaultd_wal_open(&vd, 29 * LINE + LINE / 2);
	assert_non_null(back = slurp(vd.auditpath, &st));
	assert_int_equal(st.st_size, 30 * LINE + LINE / 2);
	assert_memory_equal(back, all, 29 * LINE);
	assert_memory_equal(back + 29 * LINE, life, LINE / 2);
	assert_memory_equal(back + 29 * LINE + LINE / 2, all + 29 * LINE,
	    LINE);
	free(back);
	close(vd.audit_fd);
	close(vd.wal.fd);
}

/*
 * The fsyncs of audit.log: this fsync counts them, and notes the
 * journal's epoch (its header's) at the last one, as vaultd makes them.
 */
static int	 log_syncs;
static uint32_t	 log_sync_epoch;

static uint32_t
wal_epoch(void)
{
	uint8_t		b[JOURNAL_HDR_SLOT + JOURNAL_HDR_LEN];
	uint64_t	size;
	uint32_t	e0, e1;
	char		path[64];
	int		fd;

	snprintf(path, sizeof(path), "%s/audit.wal", home);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (pread(fd, b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		close(fd);
		return 0;
	}
	close(fd);
	e0 = journal_header_read(b, &size);
	e1 = journal_header_read(b + JOURNAL_HDR_SLOT, &size);
	return e0 > e1 ? e0 : e1;
}

int
fsync(int fd)
{
	struct stat	a, b;

	if (fstat(fd, &a) == 0 && stat(vd.auditpath, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		log_syncs++;
		log_sync_epoch = wal_epoch();
	}
	return (int)syscall(SYS_fsync, fd);
}

/*
 * A start with nothing to write back (vaultd killed, the kernel holding
 * what it wrote, the machine up) still syncs audit.log before the
 * journal moves to the next epoch: its frames are never read again,
 * and a crash of the machine after would otherwise lose the bytes
 * only they had on disk.  That start used to sync audit.log only when
 * it wrote something back.
 */
static void
test_start_syncs(void **state)
{
	static char	 all[3 * LINE];
	char		 path[64];
	int		 i;

	(void)state;
	open_home();
	assert_int_equal(ftruncate(vd.audit_fd, 0), 0);
	snprintf(path, sizeof(path), "%s/audit.wal", home);
	assert_int_equal(unlink(path), 0);
	audit_chain_init(&chain);
	vaultd_wal_open(&vd, 0);
	vd.wal.logsize = 0;
	vaultd_wal_log_synced(&vd);
	for (i = 0; i < 3; i++)
		batch(i, all);
	close(vd.audit_fd);
	close(vd.wal.fd);
	assert_int_equal(wal_epoch(), 1);

	open_home();
	log_syncs = 0;
	vaultd_wal_open(&vd, 3 * LINE);
	assert_int_equal(wal_epoch(), 2);
	assert_int_equal(log_syncs, 1);
	assert_int_equal(log_sync_epoch, 1);
	close(vd.audit_fd);
	close(vd.wal.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_halves),
		cmocka_unit_test(test_many_frames),
		cmocka_unit_test(test_torn_half),
		cmocka_unit_test(test_torn_half_at_end),
		cmocka_unit_test(test_torn_half_zeros),
		cmocka_unit_test(test_cut_at_switch),
		cmocka_unit_test(test_start_syncs),
	};
	char	cmd[64];
	int	r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", home);
	if (strcmp(home, "/tmp/cvwal.XXXXXX") != 0)
		(void)!system(cmd);
	return r;
}
