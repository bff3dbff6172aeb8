/*
 * common/harden.c harden_untraced, through the real children: signerd
 * and netd started under a tracer of their own user (PTRACE_TRACEME
 * before the execve, as a process of vaultd's user could attach right
 * after it while they are dumpable) refuse to run, with exit 1 and one
 * exact line; untraced, they shake hands.  As root (the test's user
 * when it can) the children run as nobody, as under a vaultd that is
 * not root; a traced child that is root runs (only a process privileged
 * over it could have attached).  And the kernel's part of that: a child
 * installed as make install and the package install it (root's, mode
 * 0711) is not dumpable from its execve, when its user cannot read it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "common/child.h"
#include "common/msg.h"

struct started {
	pid_t	pid;
	int	chan;		/* our end of its CHILD_FD */
	int	log;		/* the read end of its log pipe */
};

/*
 * Start the program at path as name (fds 3 and 4 as vaultd gives them)
 * as nobody when we are root and drop is set, under our ptrace when
 * traced is set; stopped at its execve when stop is set too.
 */
static void
start_at(struct started *s, const char *path, const char *name, int traced,
    int drop, int stop)
{
	struct passwd	*pw = NULL;
	int		 sv[2], lp[2], status;

	if (drop && geteuid() == 0 && (pw = getpwnam("nobody")) == NULL)
		fail_msg("no user nobody");
	/* ours close at its execve: its ends alone stay (dup2 keeps them) */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(pipe2(lp, O_CLOEXEC), 0);
	assert_int_not_equal(s->pid = fork(), -1);
	if (s->pid == 0) {
		if (dup2(sv[1], CHILD_FD) == -1 ||
		    dup2(lp[1], CHILD_LOG_FD) == -1)
			_exit(126);
		if (pw != NULL && (setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1))
			_exit(125);
		/* LeakSanitizer (make san) cannot run under a tracer */
		if (traced && (setenv("ASAN_OPTIONS", "detect_leaks=0", 1) ==
		    -1 || ptrace(PTRACE_TRACEME, 0, NULL, NULL) == -1))
			_exit(124);
		execl(path, name, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(lp[1]);
	s->chan = sv[0];
	s->log = lp[0];
	if (traced) {
		/* stopped at its execve: let it run on, still traced */
		assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
			fail_msg("%s did not stop at its execve: status %#x",
			    name, status);
		if (!stop)
			assert_int_equal(ptrace(PTRACE_CONT, s->pid, NULL,
			    NULL), 0);
	}
}

/* Start build/NAME, as start_at. */
static void
start(struct started *s, const char *name, int traced, int drop)
{
	const char	*b = getenv("CLOBVAULT_BUILD");
	char		 path[256];

	snprintf(path, sizeof(path), "%s/%s", b != NULL ? b : "build", name);
	start_at(s, path, name, traced, drop, 0);
}

/* Wait for s to end, resuming it at each stop; its exit status. */
static int
wait_end(struct started *s)
{
	int	status;

	for (;;) {
		assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
		if (!WIFSTOPPED(status))
			break;
		(void)ptrace(PTRACE_CONT, s->pid, NULL,
		    (void *)(long)WSTOPSIG(status));
	}
	if (!WIFEXITED(status))
		fail_msg("killed by signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* Everything s wrote to its log pipe, until it closed. */
static void
read_log(struct started *s, char *buf, size_t len)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < len - 1 && (n = read(s->log, buf + off,
	    len - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
}

static void
refused(const char *name)
{
	struct started	s;
	char		buf[1024], want[256], c;

	start(&s, name, 1, 1);
	/* one that would run stops at the handshake: no vaultd answers */
	assert_int_equal(shutdown(s.chan, SHUT_WR), 0);
	assert_int_equal(wait_end(&s), 1);
	read_log(&s, buf, sizeof(buf));
	snprintf(want, sizeof(want), "fatal: traced by process %ld: refusing "
	    "to run (it could read our memory); stop that process and "
	    "restart vaultd\n", (long)getpid());
	assert_string_equal(buf, want);
	/* before the handshake: not a byte to vaultd */
	assert_int_equal(read(s.chan, &c, 1), 0);
	close(s.chan);
	close(s.log);
}

/* s sends MSG_HELLO_REQ naming itself: it runs. */
static void
says_hello(struct started *s, const char *name)
{
	struct chan	c;
	struct msg	m;
	uint64_t	version;
	char		who[16];

	chan_init(&c, s->chan);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_HELLO_REQ);
	assert_int_equal(msg_get_u64(&m.rd, &version), 0);
	assert_int_equal(version, MSG_VERSION);
	assert_int_equal(msg_get_strbuf(&m.rd, who, sizeof(who)), 0);
	assert_string_equal(who, name);
	msg_clear(&m);
	chan_free(&c);		/* closes: it stops at the handshake */
}

static void
runs(const char *name, int traced, int drop)
{
	struct started	s;
	char		buf[1024];

	start(&s, name, traced, drop);
	says_hello(&s, name);
	assert_int_equal(wait_end(&s), 1);	/* "hello: ..." */
	read_log(&s, buf, sizeof(buf));
	if (strstr(buf, "traced") != NULL)
		fail_msg("%s", buf);
	close(s.log);
}

static void
test_signerd_traced(void **state)
{
	refused("signerd");
}

static void
test_netd_traced(void **state)
{
	refused("netd");
}

static void
test_signerd_untraced(void **state)
{
	runs("signerd", 0, 1);
}

static void
test_netd_untraced(void **state)
{
	runs("netd", 0, 1);
}

/* Root traced by root: the tracer could attach any time; it runs. */
static void
test_root_traced(void **state)
{
	if (geteuid() != 0)
		skip();
	runs("signerd", 1, 0);
	runs("netd", 1, 0);
}

/*
 * The owner of /proc/PID/status of the program at path run as nobody,
 * stopped at its execve before any of its instructions: root's when the
 * kernel made it not dumpable there, nobody's when any process of nobody
 * could attach to it.  (The directory /proc/PID is always its user's.)
 */
static uid_t
owner_at_execve(const char *path)
{
	struct started	s;
	struct stat	st;
	char		proc[64];
	int		status;

	start_at(&s, path, "signerd", 1, 1, 1);
	snprintf(proc, sizeof(proc), "/proc/%ld/status", (long)s.pid);
	assert_int_equal(stat(proc, &st), 0);
	assert_int_equal(kill(s.pid, SIGKILL), 0);
	assert_int_equal(waitpid(s.pid, &status, 0), s.pid);
	close(s.chan);
	close(s.log);
	return st.st_uid;
}

/* Copy the file at from to a new file at to of the given mode. */
static void
copy_file(const char *from, const char *to, mode_t mode)
{
	char	buf[65536];
	ssize_t	n;
	int	in, out;

	assert_int_not_equal(in = open(from, O_RDONLY | O_CLOEXEC), -1);
	assert_int_not_equal(out = open(to, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, mode), -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	assert_int_equal(fchmod(out, mode), 0);	/* whatever the umask */
	close(in);
	close(out);
}

/*
 * make install and the package install signerd and netd root's, mode
 * 0711: vaultd's user runs them but cannot read them, and the kernel
 * makes a process whose program its user cannot read not dumpable from
 * its execve on, so that no process of that user can attach in the
 * moment before the child makes itself not dumpable.  Readable (0755,
 * as in the build tree), the moment is there.
 */
static void
test_unreadable_not_dumpable(void **state)
{
	const char	*b = getenv("CLOBVAULT_BUILD");
	struct passwd	*pw;
	char		 dir[] = "/tmp/cvtraced.XXXXXX", from[256], to[256];

	if (geteuid() != 0)
		skip();
	assert_non_null(pw = getpwnam("nobody"));
	snprintf(from, sizeof(from), "%s/signerd", b != NULL ? b : "build");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0711), 0);
	snprintf(to, sizeof(to), "%s/signerd", dir);
	copy_file(from, to, 0711);
	assert_int_equal(owner_at_execve(to), 0);
	assert_int_equal(chmod(to, 0755), 0);
	assert_int_equal(owner_at_execve(to), pw->pw_uid);
	assert_int_equal(unlink(to), 0);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signerd_traced),
		cmocka_unit_test(test_netd_traced),
		cmocka_unit_test(test_signerd_untraced),
		cmocka_unit_test(test_netd_untraced),
		cmocka_unit_test(test_root_traced),
		cmocka_unit_test(test_unreadable_not_dumpable),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
