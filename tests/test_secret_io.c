/*
 * Reading secrets (common/secret_io.c): from a pipe or file, everything
 * to EOF less one newline; typed at a terminal, one line that is never
 * echoed, so a wallet key or an invitation code given on standard input
 * does not end up on the screen or in a session's recording.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/log.h"
#include "common/secret_io.h"

#define SECRET	"0123456789abcdef-secret"

static void
test_pipe(void **state)
{
	struct secret	s;
	int		p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	close(p[1]);
	assert_int_equal(secret_read_fd(p[0], &s, 64), 0);
	assert_int_equal(s.len, sizeof(SECRET) - 1);
	assert_memory_equal(s.p, SECRET, s.len);
	secret_free(&s);
	close(p[0]);
}

/* What the terminal shows: everything the master can read now. */
static size_t
shown(int master, char *buf, size_t len)
{
	struct pollfd	pfd = { master, POLLIN, 0 };
	size_t		n = 0;
	ssize_t		k;

	while (n < len - 1 && poll(&pfd, 1, 200) == 1 &&
	    (k = read(master, buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	return n;
}

/* The terminal quiet (the reader waits) within 10 s; 0, or -1. */
static int
quiet_wait(int slave)
{
	struct termios	t;
	int		i;

	for (i = 0; i < 1000; i++) {
		if (tcgetattr(slave, &t) == -1)
			return -1;
		if ((t.c_lflag & ECHO) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * A reader of one secret at slave, a child, that writes what it read to
 * the pipe whose read end goes to *rfd; sig, unless 0, it ignores, as
 * vaultctl ignores SIGPIPE.
 */
static pid_t
reader_fork(int slave, int sig, int *rfd)
{
	struct secret	s;
	int		p[2];
	pid_t		pid;

	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		if (sig != 0)
			signal(sig, SIG_IGN);
		if (secret_read_fd(slave, &s, 64) != 0)
			_exit(1);
		(void)!write(p[1], s.p, s.len);
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

/* reader_fork's child ended well, having read SECRET. */
static void
reader_got_secret(pid_t pid, int rfd)
{
	char	got[64];
	ssize_t	n;
	int	st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	n = read(rfd, got, sizeof(got));
	assert_int_equal(n, sizeof(SECRET) - 1);
	assert_memory_equal(got, SECRET, (size_t)n);
	close(rfd);
}

/*
 * A secret typed at a terminal that echoes: the reader (a child here)
 * turns the echo off, the line is typed only then, as a person would,
 * and nothing of it comes back; the terminal echoes again afterwards.
 */
static void
test_terminal(void **state)
{
	struct termios	t;
	char		out[256];
	int		master, slave, rfd;
	pid_t		pid;

	alarm(20);		/* a read to EOF would wait for ever */
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);	/* echoing, as a shell's */
	pid = reader_fork(slave, 0, &rfd);
	assert_int_equal(quiet_wait(slave), 0);	/* the reader waits */
	assert_int_equal(write(master, SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	reader_got_secret(pid, rfd);
	(void)shown(master, out, sizeof(out));
	assert_null(strstr(out, "secret"));
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	close(slave);
	close(master);
	alarm(0);
}

/*
 * Interrupted at the prompt (^C, a kill, a hang-up): the terminal is
 * given back echoing, and the signal then does what it would have done
 * (here, ends the reader).  Left quiet, the operator's shell would go
 * on without echo, and whatever is typed next is not seen.
 */
static void
interrupted(int sig)
{
	struct termios	t;
	struct secret	s;
	int		master, slave, st;
	pid_t		pid;

	alarm(20);
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		signal(sig, SIG_DFL);
		if (secret_read_fd(slave, &s, 64) == 0)
			_exit(0);
		_exit(1);
	}
	assert_int_equal(quiet_wait(slave), 0);	/* the reader waits */
	assert_int_equal(write(master, "half", 4), 4);	/* no newline yet */
	assert_int_equal(kill(pid, sig), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), sig);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	close(slave);
	close(master);
	alarm(0);
}

static void
test_terminal_sigint(void **state)
{
	interrupted(SIGINT);
}

static void
test_terminal_sigterm(void **state)
{
	interrupted(SIGTERM);
}

static void
test_terminal_sighup(void **state)
{
	interrupted(SIGHUP);
}

/* A kill -USR1 ends a program that does not catch it: echoing too. */
static void
test_terminal_sigusr1(void **state)
{
	interrupted(SIGUSR1);
}

static void
test_terminal_sigpipe(void **state)
{
	interrupted(SIGPIPE);
}

/* A real-time signal's default ends the process too. */
static void
test_terminal_sigrt(void **state)
{
	interrupted(SIGRTMIN + 3);
}

/*
 * A signal the program ignores (vaultctl ignores SIGPIPE) stays
 * ignored at the prompt: the line typed after it is the secret.
 */
static void
test_terminal_ignored(void **state)
{
	int		master, slave, rfd;
	pid_t		pid;

	alarm(20);
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	pid = reader_fork(slave, SIGPIPE, &rfd);
	assert_int_equal(quiet_wait(slave), 0);
	assert_int_equal(kill(pid, SIGPIPE), 0);
	assert_int_equal(write(master, SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	reader_got_secret(pid, rfd);
	close(slave);
	close(master);
	alarm(0);
}

/*
 * Stopped at the prompt (^Z): the terminal echoes while the reader is
 * stopped; continued, it asks again, and the line typed then is the
 * secret (not what was half typed before).
 */
static void
test_terminal_stop(void **state)
{
	struct termios	t;
	struct secret	s;
	int		master, slave, p[2], st;
	pid_t		pid;

	alarm(20);
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_int_equal(pipe(p), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		close(master);
		signal(SIGTSTP, SIG_DFL);
		/*
		 * A group of its own, whose parent is in the session: the
		 * kernel discards a stop sent to an orphaned group (the
		 * test's own may be one, run by a harness).
		 */
		if (setpgid(0, 0) == -1)
			_exit(1);
		if (secret_read_fd(slave, &s, 64) != 0)
			_exit(1);
		(void)!write(p[1], s.p, s.len);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(quiet_wait(slave), 0);
	assert_int_equal(write(master, "half", 4), 4);
	assert_int_equal(kill(pid, SIGTSTP), 0);
	assert_int_equal(waitpid(pid, &st, WUNTRACED), pid);
	assert_true(WIFSTOPPED(st));
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	assert_int_equal(tcflush(slave, TCIFLUSH), 0);	/* the shell's */
	assert_int_equal(kill(pid, SIGCONT), 0);
	assert_int_equal(quiet_wait(slave), 0);
	assert_int_equal(write(master, SECRET "\n", sizeof(SECRET)),
	    sizeof(SECRET));
	reader_got_secret(pid, p[0]);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	close(slave);
	close(master);
	alarm(0);
}

/*
 * What the reader left in the terminal's input queue once it returned:
 * 1 if a line is waiting there (the shell would read it next), 0 if not.
 */
static int
left_queued(int slave)
{
	struct pollfd	pfd = { slave, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * Typed at the quiet prompt after the secret's line, or past its
 * limit: once the reader is done it is discarded, not left for the
 * shell to read with echo back on (and keep in its history).  A JSON
 * key pasted over several lines where one line is read is the case: its
 * "secret" line would otherwise run as a command.  One write puts both
 * lines in the queue before the reader sees the first.
 */
static void
typed_after(const char *typed, size_t max, int want)
{
	struct termios	t;
	struct secret	s;
	int		master, slave, st;
	pid_t		pid;

	alarm(20);
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(master);
		_exit(secret_read_fd(slave, &s, max) == want ? 0 : 1);
	}
	assert_int_equal(quiet_wait(slave), 0);
	assert_int_equal(write(master, typed, strlen(typed)),
	    (ssize_t)strlen(typed));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(left_queued(slave), 0);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true((t.c_lflag & ECHO) != 0);
	close(slave);
	close(master);
	alarm(0);
}

static void
test_terminal_lines_after(void **state)
{
	typed_after(SECRET "\n\"secret\": \"" SECRET "\",\n}\n", 64, 0);
}

static void
test_terminal_too_long(void **state)
{
	typed_after(SECRET SECRET SECRET "\n", 32, CV_ERR_TOOLONG);
}

/* What secret_read_file logged during f(path): the bare lines. */
static void
logged(const char *path, int want, char *out, size_t len)
{
	struct secret	s;
	int		p[2];
	ssize_t		n;

	assert_int_equal(pipe(p), 0);
	log_to_fd(p[1], 1);
	assert_int_equal(secret_read_file(path, &s, 64), want);
	log_to_fd(STDERR_FILENO, 0);
	close(p[1]);
	n = read(p[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

/*
 * What a refused file is told: a symbolic link as one (not "Too many
 * levels of symbolic links"), and a file of another user as that (it
 * was said to be readable by others, mode 600 and all).
 */
static void
test_file_told(void **state)
{
	char	 dir[] = "/tmp/test_secret_io.XXXXXXXX", f[64], l[64];
	char	 want[256], got[256];
	int	 fd;

	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/pass", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	assert_true((fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, "hunter2\n", 8), 8);
	close(fd);
	assert_int_equal(symlink(f, l), 0);
	logged(l, CV_ERR_IO, got, sizeof(got));
	snprintf(want, sizeof(want), "warning: %s is a symbolic link; name "
	    "the file itself\n", l);
	assert_string_equal(got, want);
	assert_int_equal(chmod(f, 0644), 0);
	logged(f, CV_ERR_PERM, got, sizeof(got));
	snprintf(want, sizeof(want), "warning: %s can be read by other users "
	    "(mode 644); fix it with: chmod 600 %s\n", f, f);
	assert_string_equal(got, want);
	assert_int_equal(chmod(f, 0600), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(f, 65534, 65534), 0);
		logged(f, CV_ERR_PERM, got, sizeof(got));
		snprintf(want, sizeof(want), "warning: %s belongs to uid 65534, "
		    "not to uid 0 who reads it; a secret file must be its "
		    "reader's own\n", f);
		assert_string_equal(got, want);
	}
	unlink(l);
	unlink(f);
	rmdir(dir);
}

/*
 * secret_read_file: a regular file of its owner only; a file others may
 * read, a symbolic link, and a FIFO nobody writes are refused -- the
 * FIFO at once, not waited on (vaultd reads -p FILE in its loop).
 */
static void
test_file(void **state)
{
	char		 dir[] = "/tmp/test_secret_io.XXXXXX", f[64], l[64];
	char		 fifo[64];
	struct secret	 s;
	int		 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(f, sizeof(f), "%s/pass", dir);
	snprintf(l, sizeof(l), "%s/link", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_true((fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, "hunter2\n", 8), 8);
	close(fd);
	assert_int_equal(secret_read_file(f, &s, 64), 0);
	assert_int_equal(s.len, 7);
	assert_memory_equal(s.p, "hunter2", 7);
	secret_free(&s);
	assert_int_equal(symlink(f, l), 0);
	assert_int_equal(secret_read_file(l, &s, 64), CV_ERR_IO);
	assert_int_equal(chmod(f, 0640), 0);
	assert_int_equal(secret_read_file(f, &s, 64), CV_ERR_PERM);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);			/* a hang is the failure */
	assert_int_equal(secret_read_file(fifo, &s, 64), CV_ERR_INVALID);
	alarm(0);
	unlink(fifo);
	unlink(l);
	unlink(f);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_terminal_sigint),
		cmocka_unit_test(test_terminal_sigterm),
		cmocka_unit_test(test_terminal_sighup),
		cmocka_unit_test(test_terminal_sigusr1),
		cmocka_unit_test(test_terminal_sigpipe),
		cmocka_unit_test(test_terminal_sigrt),
		cmocka_unit_test(test_terminal_ignored),
		cmocka_unit_test(test_terminal_stop),
		cmocka_unit_test(test_terminal_lines_after),
		cmocka_unit_test(test_terminal_too_long),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_told),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
