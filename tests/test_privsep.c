/*
 * common/privsep.c: the seccomp builder's argument rules, each tried in
 * a child of its own -- what they allow, what they refuse with an errno,
 * and what kills, at the edges of each range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fd_ge),
		cmocka_unit_test(test_no_exec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
