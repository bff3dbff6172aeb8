/*
 * common/privsep.c: the seccomp builder's argument rules, each tried in
 * a child of its own -- what they allow, what they refuse with an errno,
 * and what kills, at the edges of each range; a call of another
 * architecture; what the drop to the children's user keeps and
 * leaves; and the Landlock domain's files reached by a link.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <cmocka.h>
#include <seccomp.h>

#include "common/privsep.h"

#define KILLED	(-SIGSYS)
#define LET_IN	1000		/* ran: succeeded, or failed with EBADF */

/* Under valgrind, whose own system calls a filter would kill: skip. */
static void
skip_under_valgrind(void)
{
	const char	*p = getenv("LD_PRELOAD");

	if (p != NULL && strstr(p, "vgpreload") != NULL)
		skip();
}

/*
 * In a child, install rules and conds and make one system call with
 * (a0, a1, a2).  Returns 0 if it succeeded, its errno if it failed, or
 * -SIGNAL if the child was killed.
 */
static int
try_call(const struct sandbox_cond *conds, size_t n, long nr, uint64_t a0,
    uint64_t a1, uint64_t a2)
{
	static const struct sandbox_rule rules[] = {
		{ SCMP_SYS(exit_group),	"exit" },
	};
	long	ret;
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    sandbox_install_conds(rules, 1, conds, n) != 0)
			syscall(SYS_exit_group, 120);
		ret = syscall(nr, a0, a1, a2, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1L, 0L);
		syscall(SYS_exit_group, ret == -1 ? errno : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 120);
	return WEXITSTATUS(status);
}

/* fd >= 3 as the kernel reads an fd: never 0-2, nor 2 + 2^32. */
static void
test_fd_ge(void **state)
{
	static const struct sandbox_cond conds[] = {
		SANDBOX_ALLOW_FD_GE(write, 0, 3, "test"),
	};
	static const struct {
		uint64_t	fd;
		int		want;
	} cases[] = {
		{ 0, KILLED }, { 1, KILLED }, { 2, KILLED },
		{ 3, LET_IN }, { 4, LET_IN }, { 7, LET_IN }, { 8, LET_IN },
		{ 1000, LET_IN }, { 0x7fffffff, LET_IN },
		{ 0x80000000ULL, KILLED },		/* a negative int */
		{ 0xffffffffULL, KILLED },
		{ 0x100000002ULL, KILLED },		/* the kernel: fd 2 */
		{ 0x100000003ULL, KILLED },
		{ 0xffffffffffffffffULL, KILLED },	/* -1 */
	};
	size_t	i;
	int	r;

	skip_under_valgrind();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* zero bytes: harmless to an open fd, EBADF for a closed one */
		r = try_call(conds, 1, SYS_write, cases[i].fd,
		    (uint64_t)(uintptr_t)"", 0);
		if (cases[i].want == LET_IN)
			assert_true(r == 0 || r == EBADF);
		else
			assert_int_equal(r, cases[i].want);
	}
}

/* netd's rule: never executable; read+exec refused, write+exec kills. */
static void
test_no_exec(void **state)
{
	static const struct sandbox_cond conds[] = {
		SANDBOX_ALLOW_MASKED(mmap, 2, PROT_EXEC, 0, "test"),
		SANDBOX_ERRNO_MASKED(mmap, 2, PROT_WRITE | PROT_EXEC,
		    PROT_EXEC, EPERM, "test"),
	};

	skip_under_valgrind();
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096,
	    PROT_READ | PROT_WRITE), 0);
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096, PROT_NONE), 0);
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096,
	    PROT_READ | PROT_EXEC), EPERM);
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096, PROT_EXEC),
	    EPERM);
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096,
	    PROT_READ | PROT_WRITE | PROT_EXEC), KILLED);
	assert_int_equal(try_call(conds, 2, SYS_mmap, 0, 4096,
	    PROT_WRITE | PROT_EXEC), KILLED);
	/* not in the lists at all */
	assert_int_equal(try_call(conds, 2, SYS_pkey_mprotect, 0, 4096,
	    PROT_READ), KILLED);
}

/*
 * Two arguments in one rule (netd's socketpair): a stream pair of
 * AF_UNIX only.  The pair's address is not writable: EFAULT, having run.
 */
static void
test_two_args(void **state)
{
	static const struct sandbox_cond conds[] = {
		SANDBOX_ALLOW_EQ_MASKED(socketpair, 0, AF_UNIX, 1,
		    ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC), SOCK_STREAM,
		    "test"),
	};

	skip_under_valgrind();
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_UNIX,
	    SOCK_STREAM, 0), EFAULT);
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_UNIX,
	    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), EFAULT);
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_UNIX,
	    SOCK_DGRAM, 0), KILLED);
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_UNIX,
	    SOCK_SEQPACKET, 0), KILLED);
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_INET,
	    SOCK_STREAM, 0), KILLED);
	assert_int_equal(try_call(conds, 1, SYS_socketpair, AF_UNIX,
	    SOCK_STREAM | 0x100000000ULL, 0), KILLED);
}

#if defined(__x86_64__)
static int	i386_pipe[2];

/* getpid through the i386 ABI (int 0x80): its answer, or -ENOSYS. */
static long
i386_getpid(void)
{
	long	ret;

	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	return ret;
}

/* Waits for the filter, then makes that call. */
static void *
i386_call(void *arg)
{
	char	b;

	(void)arg;
	if (read(i386_pipe[0], &b, 1) == 1)
		(void)i386_getpid();
	return NULL;
}
#endif

/*
 * A call of another architecture (the i386 ABI's int 0x80) kills the
 * whole process, not only the thread that made it: made in a second
 * thread while the first waits for it.  Skipped where the kernel runs
 * no i386 code.
 */
static void
test_bad_arch(void **state)
{
#if defined(__x86_64__)
	static const struct sandbox_rule rules[] = {
		{ SCMP_SYS(exit_group),	"exit" },
		{ SCMP_SYS(exit),	"a thread's end" },
		{ SCMP_SYS(read),	"the pipe" },
		{ SCMP_SYS(write),	"the pipe" },
		{ SCMP_SYS(futex),	"join" },
		{ SCMP_SYS(munmap),	"a thread's stack" },
		{ SCMP_SYS(madvise),	"a thread's stack" },
	};
	pthread_t	t;
	pid_t		pid;
	int		status;

	skip_under_valgrind();
	if ((pid = fork()) == 0) {
		/*
		 * Without i386 emulation int 0x80 faults: the probe dies of
		 * it, where cmocka's handler, inherited, would jump back into
		 * the runner and run the remaining tests a second time in
		 * this child, reporting this one failed.
		 */
		signal(SIGSEGV, SIG_DFL);
		syscall(SYS_exit_group, i386_getpid() == (long)getpid() ? 0 :
		    1);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		skip();			/* no i386 emulation */
	if ((pid = fork()) == 0) {
		if (pipe(i386_pipe) == -1 ||
		    pthread_create(&t, NULL, i386_call, NULL) != 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    sandbox_install_conds(rules, sizeof(rules) /
		    sizeof(rules[0]), NULL, 0) != 0)
			syscall(SYS_exit_group, 120);
		(void)!write(i386_pipe[1], "x", 1);
		pthread_join(t, NULL);
		syscall(SYS_exit_group, 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
#else
	skip();
#endif
}

/*
 * In a child: privsep_enter with a death signal set, from root (a
 * drop to nobody) or, with ambient, from nobody holding CAP_NET_RAW as
 * an ambient capability.  0, or which check failed.
 */
static int
drop_child(int ambient)
{
	static const struct sandbox_rule rules[] = {
		{ SCMP_SYS(exit_group),	"exit" },
		{ SCMP_SYS(prctl),	"the checks" },
		{ SCMP_SYS(capget),	"the checks" },
	};
	struct privsep_conf	conf = { "nobody", NULL, 0, rules, 3 };
	struct privsep_state	st;
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
				    0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct passwd		*pw;
	int			 sig = 0;

	if ((pw = getpwnam("nobody")) == NULL)
		return 10;
	if (ambient) {
		memset(data, 0, sizeof(data));
		data[0].permitted = data[0].effective = data[0].inheritable =
		    1U << CAP_NET_RAW;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
		    syscall(SYS_capset, &hdr, data) == -1 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW,
		    0, 0) == -1)
			return 11;
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		return 12;
	privsep_enter(&conf, &st);
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == -1 || sig != SIGKILL)
		return 2;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 3;
	memset(data, 0xff, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) == -1 ||
	    data[0].permitted != 0 || data[0].effective != 0 ||
	    data[0].inheritable != 0 || data[1].permitted != 0 ||
	    data[1].effective != 0 || data[1].inheritable != 0)
		return 4;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0,
	    0) != 0)
		return 5;
	if (st.uid != pw->pw_uid)
		return 6;
	return 0;
}

/*
 * The drop to the children's user keeps the death signal vaultd asked
 * for (the kernel clears it on a change of user: a child would outlive
 * a killed vaultd, its keys unlocked) and keeps the process not
 * dumpable; and no capability is left, even an ambient one a vaultd not
 * root was given.  Root only.
 */
static void
test_drop(void **state)
{
	pid_t	pid;
	int	ambient, status;

	skip_under_valgrind();
	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		skip();
	for (ambient = 0; ambient < 2; ambient++) {
		if ((pid = fork()) == 0)
			syscall(SYS_exit_group, drop_child(ambient));
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

/*
 * A tree like a host's under systemd-resolved: T/etc/resolv.conf a link
 * to T/run/resolv.conf (absolute), T/etc/rel one to ../run/resolv.conf,
 * T/etc/hosts a file, T/secret outside both.
 */
static char	ll_top[PATH_MAX];

static void
ll_path(char *buf, const char *rel)
{
	int	n = snprintf(buf, PATH_MAX, "%s/%s", ll_top, rel);

	assert_true(n > 0 && n < PATH_MAX);
}

static void
ll_file(const char *rel, const char *text)
{
	char	p[PATH_MAX];
	int	fd;

	ll_path(p, rel);
	assert_true((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
ll_setup(void **state)
{
	char	p[PATH_MAX], q[PATH_MAX], t[] = "/tmp/cvll.XXXXXX";

	if (mkdtemp(t) == NULL || realpath(t, ll_top) == NULL)
		return -1;
	ll_path(p, "etc");
	if (mkdir(p, 0755) == -1)
		return -1;
	ll_path(p, "run");
	if (mkdir(p, 0755) == -1)
		return -1;
	ll_file("run/resolv.conf", "nameserver 127.0.0.53\n");
	ll_file("etc/hosts", "127.0.0.1 localhost\n");
	ll_file("secret", "no\n");
	ll_path(p, "run/resolv.conf");
	ll_path(q, "etc/resolv.conf");
	if (symlink(p, q) == -1)
		return -1;
	ll_path(q, "etc/rel");
	if (symlink("../run/resolv.conf", q) == -1)
		return -1;
	return 0;
}

static int
ll_teardown(void **state)
{
	static const char *const rm[] = { "etc/rel", "etc/resolv.conf",
	    "etc/hosts", "run/resolv.conf", "secret", NULL };
	char	p[PATH_MAX];
	size_t	i;

	for (i = 0; rm[i] != NULL; i++) {
		ll_path(p, rm[i]);
		(void)unlink(p);
	}
	ll_path(p, "etc");
	(void)rmdir(p);
	ll_path(p, "run");
	(void)rmdir(p);
	(void)rmdir(ll_top);
	return 0;
}

/* The directory a link takes a file to, outside ro; never one inside. */
static void
test_landlock_link_dir(void **state)
{
	char		 etc[PATH_MAX], run[PATH_MAX], p[PATH_MAX];
	char		 dir[PATH_MAX];
	const char	*ro[3];

	ll_path(etc, "etc");
	ll_path(run, "run");
	ro[0] = etc;
	ro[1] = NULL;
	ll_path(p, "etc/resolv.conf");
	assert_int_equal(landlock_link_dir(p, ro, dir, sizeof(dir)), 1);
	assert_string_equal(dir, run);
	ll_path(p, "etc/rel");
	assert_int_equal(landlock_link_dir(p, ro, dir, sizeof(dir)), 1);
	assert_string_equal(dir, run);
	/* a file, no link: under ro already */
	ll_path(p, "etc/hosts");
	assert_int_equal(landlock_link_dir(p, ro, dir, sizeof(dir)), 0);
	/* none */
	ll_path(p, "etc/gai.conf");
	assert_int_equal(landlock_link_dir(p, ro, dir, sizeof(dir)), 0);
	/* the link's target under ro too */
	ro[1] = run;
	ro[2] = NULL;
	ll_path(p, "etc/resolv.conf");
	assert_int_equal(landlock_link_dir(p, ro, dir, sizeof(dir)), 0);
	/* too small a buffer: nothing */
	ro[1] = NULL;
	assert_int_equal(landlock_link_dir(p, ro, dir, 4), 0);
}

/* In a child: 0 if the link is read and the rest stays out. */
static int
ll_child(void)
{
	char		 etc[PATH_MAX], p[PATH_MAX], buf[64];
	const char	*ro[2], *links[3];
	ssize_t		 n;
	int		 abi, fd;

	ll_path(etc, "etc");
	ro[0] = etc;
	ro[1] = NULL;
	ll_path(p, "etc/resolv.conf");
	links[0] = p;
	links[1] = "/nonexistent/resolv.conf";
	links[2] = NULL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return 10;
	if (landlock_restrict_ro(ro, links, &abi) != 0)
		return 11;
	if (abi == 0)
		return 77;		/* no Landlock here */
	if ((fd = open(p, O_RDONLY)) == -1)
		return 2;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n != 22 || memcmp(buf, "nameserver 127.0.0.53\n", 22) != 0)
		return 3;
	ll_path(p, "secret");
	if (open(p, O_RDONLY) != -1 || errno != EACCES)
		return 4;
	return 0;
}

/*
 * netd's Landlock domain reads /etc; on a host where /etc/resolv.conf
 * is a link into /run (systemd-resolved, resolvconf), the file it leads
 * to must be readable too, or glibc's resolver asks 127.0.0.1 and fails.
 */
static void
test_landlock_follows_link(void **state)
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == 0)
		_exit(ll_child());
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_ge),
		cmocka_unit_test(test_no_exec),
		cmocka_unit_test(test_two_args),
		cmocka_unit_test(test_bad_arch),
		cmocka_unit_test(test_drop),
		cmocka_unit_test_setup_teardown(test_landlock_link_dir,
		    ll_setup, ll_teardown),
		cmocka_unit_test_setup_teardown(test_landlock_follows_link,
		    ll_setup, ll_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
