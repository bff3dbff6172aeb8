/*
 * common/log.c: a log line is one line, whatever its arguments carry;
 * vaultctl_fput_text, the operator's terminal, likewise.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "common/log.h"
#include "vaultctl/vaultctl.h"

/* What one log call wrote, bare (no time stamp, no name). */
static void
logged(char *out, size_t len, const char *account)
{
	int	p[2];
	ssize_t	n;

	assert_int_equal(pipe(p), 0);
	log_to_fd(p[1], 1);
	log_warnx("approval asked for account %s", account);
	log_to_fd(STDERR_FILENO, 0);
	close(p[1]);
	assert_true((n = read(p[0], out, len - 1)) > 0);
	out[n] = '\0';
	close(p[0]);
}

/*
 * A name a peer sent (an account in a held request, an error text a
 * child answered) cannot add a line, a carriage return or a terminal
 * escape to vaultd's log: control bytes become '?'.
 */
static void
test_one_line(void **state)
{
	char	buf[256];

	(void)state;
	logged(buf, sizeof(buf), "main");
	assert_string_equal(buf, "warning: approval asked for account main\n");
	logged(buf, sizeof(buf), "x\nvaultd[1]: the vault is unlocked");
	assert_string_equal(buf, "warning: approval asked for account "
	    "x?vaultd[1]: the vault is unlocked\n");
	logged(buf, sizeof(buf), "a\r\x1b[2Jb\x7f\t");
	assert_string_equal(buf, "warning: approval asked for account "
	    "a??[2Jb??\n");
}

/*
 * What a terminal could take for more than a character becomes one '?'
 * each: C1 controls (U+009B is a CSI), line and paragraph separators,
 * bidi controls, and bytes that begin no well-formed character (a
 * terminal not reading UTF-8 takes a lone 0x9b for a CSI).  Other
 * characters stay as they are, bytes and all.
 */
static const struct {
	const char	*in, *out;
} unsafe_text[] = {
	{ "a\xc2\x9b" "2Jb", "a?2Jb" },			/* CSI */
	{ "\xc2\x80\xc2\x85\xc2\x9f", "???" },		/* C1 */
	{ "\xc2\xa0\xc3\xa9\xc2\x7f", "\xc2\xa0\xc3\xa9??" },	/* NBSP, e */
	{ "x\xe2\x80\xa8y\xe2\x80\xa9z", "x?y?z" },		/* LS, PS */
	{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
	    "?????" },					/* U+202A..E */
	{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "????" },
	{ "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "???" },	/* ALM, LRM, RLM */
	/* U+2027, U+202F, U+2065, U+206A and U+200B stay */
	{ "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8b",
	    "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xe2\x80\x8b" },
	{ "\x9b" "2J\xff", "?2J?" },				/* not UTF-8 */
	{ "\xc0\x8a\xed\xa0\x80", "?????" },		/* overlong, D800 */
	{ "\xf0\x9f\x94\x91", "\xf0\x9f\x94\x91" },		/* U+1F511 */
	{ "end\xe2\x80", "end??" },				/* cut */
};

static void
test_unicode_controls(void **state)
{
	char	buf[256], want[256];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(unsafe_text) / sizeof(unsafe_text[0]); i++) {
		logged(buf, sizeof(buf), unsafe_text[i].in);
		snprintf(want, sizeof(want), "warning: approval asked for "
		    "account %s\n", unsafe_text[i].out);
		assert_string_equal(buf, want);
	}
}

/* vaultctl shows a daemon's or the exchange's text the same way. */
static void
test_vaultctl_text(void **state)
{
	char	*out;
	size_t	 len, i;
	FILE	*f;

	(void)state;
	for (i = 0; i < sizeof(unsafe_text) / sizeof(unsafe_text[0]); i++) {
		assert_non_null(f = open_memstream(&out, &len));
		vaultctl_fput_text(f, unsafe_text[i].in);
		assert_int_equal(fclose(f), 0);
		assert_string_equal(out, unsafe_text[i].out);
		free(out);
	}
	assert_non_null(f = open_memstream(&out, &len));
	vaultctl_fput_text(f, "a\r\x1b[2Jb\x7f\t");
	assert_int_equal(fclose(f), 0);
	assert_string_equal(out, "a??[2Jb??");
	free(out);
}

/*
 * Between the rename of a full log and the open of a new one, whoever
 * may write the log's directory could put a file there (a link to
 * another file of vaultd's user among them).  This rename does that, as
 * such a writer would; log.c must log on in the old file rather than
 * write into the one put there.
 */
static const char	*plant_at;

int
rename(const char *from, const char *to)
{
	int	r, fd;

	if ((r = (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD,
	    to)) == 0 && plant_at != NULL && strcmp(from, plant_at) == 0 &&
	    (fd = open(from, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1) {
		(void)!write(fd, "planted\n", 8);
		close(fd);
	}
	return r;
}

static size_t
file_text(const char *path, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	assert_true((fd = open(path, O_RDONLY)) != -1);
	assert_true((n = read(fd, buf, len - 1)) >= 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

/* Log to path as vaultd does (standard error); the old one returned. */
static int
log_into(const char *path)
{
	int	fd, saved;

	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600))
	    != -1);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_to_fd(STDERR_FILENO, 1);
	return saved;
}

/* The log's limit off, and standard error back as it was. */
static void
log_back(const char *path, int saved)
{
	log_limit(path, 0);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	log_to_fd(STDERR_FILENO, 0);
}

static void
test_limit_planted(void **state)
{
	char	dir[] = "/tmp/test_log.XXXXXX", path[64], old[80];
	char	buf[512];
	int	saved;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vaultd.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	saved = log_into(path);
	log_limit(path, 10);
	plant_at = path;
	log_warnx("a line past ten bytes");
	plant_at = NULL;
	log_warnx("the next line");
	log_back(path, saved);

	file_text(path, buf, sizeof(buf));
	assert_string_equal(buf, "planted\n");
	file_text(old, buf, sizeof(buf));
	assert_non_null(strstr(buf, "warning: a line past ten bytes\n"
	    "warning: cannot open "));
	assert_non_null(strstr(buf, "; logging on in "));
	assert_non_null(strstr(buf, "warning: the next line\n"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(old), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A file planted at the rotation leaves the log in path.1: it gets lines
 * up to twice the limit, then one saying why no more come, then
 * nothing; standard error is /dev/null from there on.
 */
static void
test_limit_planted_bound(void **state)
{
	char		 dir[] = "/tmp/test_log.XXXXXX", path[64], old[80];
	char		 buf[4096], want[512], *stop;
	struct stat	 st;
	size_t		 n;
	int		 saved, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vaultd.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	saved = log_into(path);
	log_limit(path, 400);
	plant_at = path;
	for (i = 0; i < 200; i++)
		log_warnx("line %03d", i);
	plant_at = NULL;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	log_back(path, saved);

	file_text(path, buf, sizeof(buf));
	assert_string_equal(buf, "planted\n");
	n = file_text(old, buf, sizeof(buf));
	/* the rotation's line, the warning, then up to 800 bytes and a line */
	assert_non_null(strstr(buf,
	    "warning: line 022\nwarning: cannot open "));
	snprintf(want, sizeof(want), " anew: File exists; logging on in %s "
	    "up to 800 bytes\nwarning: line 023\n", old);
	assert_non_null(strstr(buf, want));
	snprintf(want, sizeof(want), "warning: this log is past 800 bytes, "
	    "twice log-max-size, and no longer at %s: no more lines until "
	    "a SIGHUP or a restart opens %s anew\n", path, path);
	assert_non_null(stop = strstr(buf, want));
	assert_int_equal(stop + strlen(want) - buf, n);
	assert_true(stop - buf > 800 && stop - buf <= 800 +
	    (ptrdiff_t)strlen("warning: line 000\n"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(old), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * A log moved away with no SIGHUP since, nothing at its path: it is not
 * renamed (logrotate's file); past twice the limit its lines go on in a
 * new file at the path, each file saying so.  They used to stop there,
 * standard error going to /dev/null until a SIGHUP.
 */
static void
test_limit_moved(void **state)
{
	char		 dir[] = "/tmp/test_log.XXXXXX", path[64], moved[80];
	char		 buf[4096], want[512], *stop;
	struct stat	 st;
	size_t		 n;
	int		 saved, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vaultd.log", dir);
	snprintf(moved, sizeof(moved), "%s/moved", dir);
	saved = log_into(path);
	log_limit(path, 400);
	assert_int_equal(rename(path, moved), 0);
	for (i = 0; i < 60; i++)
		log_warnx("line %03d", i);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	log_back(path, saved);

	n = file_text(moved, buf, sizeof(buf));
	snprintf(want, sizeof(want), "warning: line 044\nwarning: this log is "
	    "past 800 bytes, twice log-max-size, and no longer at %s: lines "
	    "go on in a new %s\n", path, path);
	assert_non_null(stop = strstr(buf, want));
	assert_int_equal(stop + strlen(want) - buf, n);
	file_text(path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "the log before this one was moved away "
	    "from %s and grew past twice log-max-size\nwarning: line 045\n",
	    path);
	assert_int_equal(strncmp(buf, want, strlen(want)), 0);
	assert_non_null(stop = strstr(buf, "warning: line 059\n"));
	assert_int_equal(stop[strlen("warning: line 059\n")], '\0');
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(moved), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_unicode_controls),
		cmocka_unit_test(test_vaultctl_text),
		cmocka_unit_test(test_limit_planted),
		cmocka_unit_test(test_limit_planted_bound),
		cmocka_unit_test(test_limit_moved),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
