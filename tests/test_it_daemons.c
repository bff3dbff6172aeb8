/*
 * The three processes, end to end: sandboxes as the kernel reports them,
 * restarts after kill -9, children stopped and continued without harm,
 * forbidden system calls killing signerd with SIGSYS, hostile messages
 * from children and control clients, clean shutdown, and vaultctl
 * status; children run from the programs vaultd started with.
 */
#include <dirent.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pwd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/child.h"
#include "tests/it.h"

static int
setup(void **state)
{
	static struct it	t;

	it_init(&t);
	*state = &t;
	return it_start(&t, "-T", NULL);
}

static int
teardown(void **state)
{
	it_cleanup(*state);
	return 0;
}

/* Whether a line of /proc/PID/maps names what. */
static int
proc_maps_has(uint64_t pid, const char *what)
{
	char	 path[64], line[512];
	int	 found = 0;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%llu/maps",
	    (unsigned long long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, what) != NULL)
			found = 1;
	fclose(f);
	return found;
}

static void
test_sandboxed(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3];
	struct stat	 st;
	char		 link[64], root[256], want[256];
	ssize_t		 n;
	int		 i;

	assert_int_equal(it_status(t, p), 0);
	assert_string_equal(p[0].name, "vaultd");
	assert_string_equal(p[1].name, "signerd");
	assert_string_equal(p[2].name, "netd");
	assert_int_equal(p[0].pid, (uint64_t)t->vaultd);
	for (i = 1; i < 3; i++) {
		assert_string_equal(p[i].state, "up");
		assert_int_equal(it_proc_field(p[i].pid, "Seccomp"), 2);
		assert_int_equal(it_proc_field(p[i].pid, "NoNewPrivs"), 1);
		assert_int_equal(p[i].seccomp, 2);
		assert_int_equal(p[i].nnp, 1);
		if (geteuid() == 0)
			assert_int_not_equal(it_proc_field(p[i].pid, "Uid"), 0);
	}
	/* vaultd itself is hardened too: no core dumps, no new privileges */
	assert_int_equal(it_proc_field(p[0].pid, "NoNewPrivs"), 1);

	if (geteuid() == 0) {
		/*
		 * 0-2 are /dev/null, 3 the channel, 4 the log pipe; signerd
		 * has no more (netd has libcurl's sockets)
		 */
		for (i = 1; i < 3; i++) {
			static const char *want_fd[] = { "/dev/null",
			    "/dev/null", "/dev/null", "socket:[", "pipe:[" };
			int fd;

			for (fd = 0; fd < 6; fd++) {
				snprintf(link, sizeof(link), "/proc/%llu/fd/%d",
				    (unsigned long long)p[i].pid, fd);
				n = readlink(link, root, sizeof(root) - 1);
				if (fd == 5) {
					if (i == 1)
						assert_int_equal(n, -1);
					continue;
				}
				assert_true(n > 0);
				root[n] = '\0';
				assert_int_equal(strncmp(root, want_fd[fd],
				    strlen(want_fd[fd])), 0);
			}
		}
		/* our own user if there is one, else nobody and a warning */
		if (getpwnam("clobvault") != NULL) {
			assert_int_equal(p[1].uid, getpwnam("clobvault")->pw_uid);
			assert_false(it_log_has(t, "user clobvault does not "
			    "exist"));
		} else {
			assert_int_equal(p[1].uid, getpwnam("nobody")->pw_uid);
			assert_true(it_log_has(t, "]: warning: user clobvault "
			    "does not exist; children run as the shared nobody: "
			    "create it with useradd --system clobvault\n"));
		}
		assert_int_equal(p[2].uid, p[1].uid);
		/*
		 * vaultd asked for the user in a child: no NSS module
		 * (systemd's, for a user not in /etc/passwd) stays mapped
		 */
		assert_int_equal(proc_maps_has(p[0].pid, "/libnss_"), 0);
	}

	if (geteuid() == 0) {
		/* signerd's root is the empty directory */
		assert_true(p[1].chroot);
		snprintf(link, sizeof(link), "/proc/%llu/root",
		    (unsigned long long)p[1].pid);
		n = readlink(link, root, sizeof(root) - 1);
		assert_true(n > 0);
		root[n] = '\0';
		snprintf(want, sizeof(want), "%s/empty", t->home);
		assert_string_equal(root, want);
		assert_false(p[2].chroot);
	}

	assert_int_equal(stat(t->sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(t->home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void
test_kill9_restart(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];
	int		 ms;

	assert_int_equal(it_status(t, p), 0);
	assert_int_equal(kill((pid_t)p[2].pid, SIGKILL), 0);
	ms = it_wait_up(t, q, 0, p[2].pid, 1000);
	assert_true(ms >= 0);
	assert_int_equal(q[2].restarts, 1);
	assert_string_equal(q[2].last_exit, "killed by signal 9, SIGKILL");

	assert_int_equal(kill((pid_t)p[1].pid, SIGKILL), 0);
	ms = it_wait_up(t, q, p[1].pid, 0, 1000);
	assert_true(ms >= 0);
	assert_int_equal(q[1].restarts, 1);
	assert_int_equal(q[0].pid, (uint64_t)t->vaultd);
	assert_int_equal(kill(t->vaultd, 0), 0);
	assert_int_equal(it_proc_field(q[1].pid, "Seccomp"), 2);
	assert_int_equal(it_proc_field(q[2].pid, "Seccomp"), 2);
}

/* Wait until vaultd's log has s; 0, or -1 after ms. */
static int
log_wait(struct it *t, const char *s, int ms)
{
	int64_t	start = it_ms();

	while (!it_log_has(t, s))
		if (it_ms() - start >= ms)
			return -1;
		else
			it_sleep_ms(20);
	return 0;
}

/* vaultd, signerd and netd copied to a directory of their own. */
static struct {
	struct it	t;
	char		dir[32];
} held;

static int
setup_held(void **state)
{
	char	cmd[1024];

	it_init(&held.t);
	snprintf(held.dir, sizeof(held.dir), "/tmp/cvexe.XXXXXX");
	if (mkdtemp(held.dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "cp %s/vaultd %s/signerd %s/netd %s/",
	    held.t.build, held.t.build, held.t.build, held.dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(held.t.build, sizeof(held.t.build), "%s", held.dir);
	*state = &held.t;
	return it_start(&held.t, "-T", NULL);
}

static int
teardown_held(void **state)
{
	char	cmd[64];

	it_cleanup(&held.t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", held.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * A vaultd run by hand through an upgrade that puts new programs in
 * place (dpkg and make install rename a new file over the old): the
 * next start of signerd runs the program vaultd started with, not the
 * new one, and says so; a program changed in place (netd's time here)
 * is not started until it is as it was.
 */
static void
test_held_programs(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];
	struct stat	 st;
	struct timespec	 ts[2];
	char		 cmd[400], path[300], mark[300], line[600];
	ssize_t		 n;

	assert_int_equal(it_status(t, p), 0);
	/* the new version: a program that leaves a mark if it runs */
	snprintf(mark, sizeof(mark), "%s/ran", held.dir);
	snprintf(path, sizeof(path), "%s/signerd.new", held.dir);
	snprintf(line, sizeof(line), "#!/bin/sh\n: >%s\n", mark);
	it_write(path, line, 0755);
	snprintf(cmd, sizeof(cmd), "%s/signerd", held.dir);
	assert_int_equal(rename(path, cmd), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGKILL), 0);
	assert_true(it_wait_up(t, q, p[1].pid, 0, 5000) >= 0);
	assert_int_equal(q[1].restarts, 1);
	assert_int_equal(access(mark, F_OK), -1);
	snprintf(line, sizeof(line), "%s/signerd was replaced since vaultd "
	    "started (an upgrade?): starting the signerd vaultd started "
	    "with; restart vaultd to run the new one", held.dir);
	assert_true(it_log_has(t, line));
	snprintf(path, sizeof(path), "/proc/%llu/exe",
	    (unsigned long long)q[1].pid);
	assert_true((n = readlink(path, line, sizeof(line) - 1)) > 0);
	line[n] = '\0';
	snprintf(path, sizeof(path), "%s/signerd (deleted)", held.dir);
	assert_string_equal(line, path);
	snprintf(cmd, sizeof(cmd), "cat /proc/%llu/comm",
	    (unsigned long long)q[1].pid);
	assert_int_equal(it_run(line, sizeof(line), cmd), 0);
	assert_string_equal(line, "signerd\n");

	/* netd's time changed while it ran: not started again */
	snprintf(path, sizeof(path), "%s/netd", held.dir);
	assert_int_equal(stat(path, &st), 0);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	ts[1].tv_sec -= 60;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_int_equal(kill((pid_t)p[2].pid, SIGKILL), 0);
	snprintf(line, sizeof(line), "not starting netd: %s was changed in "
	    "place since vaultd started (its size or modification time) and "
	    "may no longer be the program vaultd started with: restart "
	    "vaultd", path);
	assert_int_equal(log_wait(t, line, 5000), 0);
	assert_int_equal(it_status(t, q), 0);
	assert_string_equal(q[2].state, "down");
	assert_int_equal(q[2].pid, 0);
	assert_string_equal(q[2].last_exit, "not started: its program "
	    "changed since vaultd started; restart vaultd");
	/* as it was: started again */
	ts[1].tv_sec += 60;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	assert_true(it_wait_up(t, q, 0, p[2].pid, 35000) >= 0);
}

/*
 * A child stopped and continued (a debugger, kill -STOP, a frozen
 * cgroup) while it waits in poll: the kernel resumes that poll with
 * restart_syscall, which each filter must allow, or the child dies of
 * SIGSYS and is restarted.  Both keep their pid and restart count.
 */
static void
test_stop_continue(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];
	int		 i, round;

	assert_int_equal(it_status(t, p), 0);
	for (round = 0; round < 3; round++)
		for (i = 1; i <= 2; i++) {
			it_sleep_ms(50);	/* back in its poll */
			assert_int_equal(kill((pid_t)p[i].pid, SIGSTOP), 0);
			it_sleep_ms(50);
			assert_int_equal(kill((pid_t)p[i].pid, SIGCONT), 0);
		}
	it_sleep_ms(300);
	assert_int_equal(it_status(t, q), 0);
	for (i = 1; i <= 2; i++) {
		assert_int_equal(q[i].pid, p[i].pid);
		assert_int_equal(q[i].restarts, 0);
		assert_int_equal(kill((pid_t)p[i].pid, 0), 0);
	}
	assert_false(it_log_has(t, "SIGSYS"));
}

static void
probe(struct it *t, const char *child, const char *kind)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "%s/vaultctl debug probe %s %s",
	    t->build, child, kind);
	assert_int_equal(it_run(NULL, 0, cmd), 0);
}

static void
test_forbidden_syscalls(void **state)
{
	static const char	*kinds[] = { "open", "socket", "execve",
				    "ptrace" };
	struct it		*t = *state;
	struct it_proc		 p[3], q[3];
	char			 line[160];
	size_t			 i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(it_status(t, p), 0);
		probe(t, "signerd", kinds[i]);
		assert_true(it_wait_up(t, q, p[1].pid, 0, 8000) >= 0);
		assert_int_equal(q[1].restarts, i + 1);
		assert_string_equal(q[1].last_exit, "killed by signal 31, "
		    "SIGSYS (forbidden system call: sandbox violation)");
		snprintf(line, sizeof(line), "signerd (pid %llu) died: killed "
		    "by signal 31, SIGSYS", (unsigned long long)p[1].pid);
		assert_true(it_log_has(t, line));
		assert_int_equal(q[0].pid, (uint64_t)t->vaultd);
	}
	/* netd has no business opening files either */
	assert_int_equal(it_status(t, p), 0);
	probe(t, "netd", "execve");
	assert_true(it_wait_up(t, q, 0, p[2].pid, 8000) >= 0);
	assert_string_equal(q[2].last_exit, "killed by signal 31, "
	    "SIGSYS (forbidden system call: sandbox violation)");

	/* netd cannot read the vault file, even when it may open files */
	snprintf(line, sizeof(line), "%s/vault", t->home);
	it_write(line, "not a vault, but present", 0600);
	probe(t, "netd", "vaultfile");
	snprintf(line, sizeof(line), "netd: test probe refused: open "
	    "%s/empty/../vault: Permission denied", t->home);
	for (i = 0; i < 50 && !it_log_has(t, line); i++)
		usleep(100000);
	assert_true(it_log_has(t, line));
	snprintf(line, sizeof(line), "%s/vault", t->home);
	assert_int_equal(unlink(line), 0);
}

/*
 * kind kills both children with SIGSYS: vaultd reports it, logs it
 * after the child's own line, and restarts them.
 */
static void
probe_kills_both(struct it *t, const char *kind)
{
	struct it_proc	 p[3], q[3];
	char		 line[200];
	int		 i;

	assert_int_equal(it_status(t, p), 0);
	probe(t, "signerd", kind);
	probe(t, "netd", kind);
	assert_true(it_wait_up(t, q, p[1].pid, p[2].pid, 8000) >= 0);
	for (i = 1; i < 3; i++) {
		assert_int_equal(q[i].restarts, p[i].restarts + 1);
		assert_string_equal(q[i].last_exit, "killed by signal 31, "
		    "SIGSYS (forbidden system call: sandbox violation)");
		snprintf(line, sizeof(line), "%s[%llu]: test probe: %s\n",
		    p[i].name, (unsigned long long)p[i].pid, kind);
		assert_true(it_log_has(t, line));
		snprintf(line, sizeof(line), "%s (pid %llu) died: killed by "
		    "signal 31, SIGSYS", p[i].name,
		    (unsigned long long)p[i].pid);
		assert_true(it_log_has(t, line));
	}
	assert_int_equal(q[0].pid, (uint64_t)t->vaultd);
}

/* The attack: a child pushing a command into the operator's terminal. */
static void
test_probe_tiocsti(void **state)
{
	probe_kills_both(*state, "tiocsti");
}

/*
 * Signals and datagrams by proxy: F_SETOWN would have a socket signal
 * any process of the child's user (signerd itself, when root), and a
 * datagram socket pair could be readdressed to a named socket of the
 * host (the system log's).
 */
static void
test_probe_proxies(void **state)
{
	probe_kills_both(*state, "fsetown");
	probe_kills_both(*state, "dgrampair");
}

/* No executable memory, whichever way it is asked for. */
static void
test_probe_exec_memory(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];
	char		 line[200];
	int		 i;

	probe_kills_both(t, "rwx");
	probe_kills_both(t, "mprotectx");

	/* read and execute only: signerd dies, netd is refused (dlopen) */
	assert_int_equal(it_status(t, p), 0);
	probe(t, "netd", "rx");
	snprintf(line, sizeof(line), "netd: test probe refused: mmap "
	    "PROT_READ|PROT_EXEC: Operation not permitted\n");
	for (i = 0; i < 50 && !it_log_has(t, line); i++)
		it_sleep_ms(100);
	assert_true(it_log_has(t, line));
	probe(t, "signerd", "rx");
	assert_true(it_wait_up(t, q, p[1].pid, 0, 8000) >= 0);
	assert_string_equal(q[1].last_exit, "killed by signal 31, "
	    "SIGSYS (forbidden system call: sandbox violation)");
	assert_int_equal(q[2].pid, p[2].pid);
	assert_int_equal(q[2].restarts, p[2].restarts);
}

static void
test_probe_pkey(void **state)
{
	probe_kills_both(*state, "pkeyx");
}

/* Not a byte to fd 2, not even as fd 2 + 2^32. */
static void
test_probe_stderr(void **state)
{
	probe_kills_both(*state, "stderr");
	probe_kills_both(*state, "stderr64");
}

/* How often needle occurs in hay. */
static int
count_of(const char *hay, const char *needle)
{
	const char	*p = hay;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

/* The sum of N over vaultd's lines "N lines from NAME dropped". */
static unsigned long
dropped_of(const char *log, const char *name)
{
	char		 needle[64];
	const char	*p = log, *q;
	unsigned long	 sum = 0;

	snprintf(needle, sizeof(needle), " lines from %s dropped: ", name);
	while ((p = strstr(p, needle)) != NULL) {
		for (q = p; q > log && q[-1] >= '0' && q[-1] <= '9'; q--)
			;
		assert_true(q < p);
		assert_memory_equal(q - 9, "warning: ", 9);
		sum += strtoul(q, NULL, 10);
		p += strlen(needle);
	}
	return sum;
}

/*
 * A child's lines reach vaultd's log under its name and pid, cleaned
 * and cut, and at most at its rate: it cannot forge a line of vaultd's,
 * reach the terminal with an escape, or bury vaultd's lines in its own.
 */
static void
test_child_log(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3];
	char		 want[1300], pre[64];
	char		*log;
	size_t		 len;
	unsigned long	 dropped = 0;
	int		 i, lines = 0;

	assert_int_equal(it_status(t, p), 0);
	snprintf(pre, sizeof(pre), "Z netd[%llu]: ",
	    (unsigned long long)p[2].pid);

	probe(t, "netd", "logforge");
	snprintf(want, sizeof(want), "%s%s", pre, "2000-01-01T00:00:00Z "
	    "vaultd[1]: forged\n");
	for (i = 0; i < 50 && !it_log_has(t, want); i++)
		it_sleep_ms(100);
	assert_true(it_log_has(t, want));
	snprintf(want, sizeof(want), "%stest probe logforge: \\x1b[31mred"
	    "\\x0d\n", pre);
	assert_true(it_log_has(t, want));
	/* a line past 1024 bytes: the first 1024, marked, the rest gone */
	len = (size_t)snprintf(want, sizeof(want), "%s", pre);
	memset(want + len, 'A', 1024);
	snprintf(want + len + 1024, sizeof(want) - len - 1024, " [cut]\n");
	log = it_slurp(t->log, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, want));
	assert_int_equal(count_of(log, "AAAA\n"), 0);
	assert_null(memchr(log, 0x1b, len));
	assert_null(memchr(log, '\r', len));
	assert_null(strstr(log, "\n2000-01-01T00:00:00Z"));
	free(log);

	/* a flood: some lines logged, the rest dropped and counted */
	probe(t, "netd", "logflood");
	for (i = 0; i < 150; i++) {
		log = it_slurp(t->log, &len);
		assert_non_null(log);
		snprintf(want, sizeof(want), "%stest probe logflood: line ",
		    pre);
		lines = count_of(log, want);
		dropped = dropped_of(log, "netd");
		free(log);
		if (lines + dropped == CHILD_LOGFLOOD_LINES)
			break;
		it_sleep_ms(100);
	}
	assert_int_equal(lines + dropped, CHILD_LOGFLOOD_LINES);
	assert_true(lines >= 1);
	assert_true(dropped >= 1);
	snprintf(want, sizeof(want), "%stest probe logflood: line 1 of %d\n",
	    pre, CHILD_LOGFLOOD_LINES);
	assert_true(it_log_has(t, want));
	/* vaultd was not held up, and netd was not blamed for it */
	assert_int_equal(it_status(t, p), 0);
	assert_int_equal(p[2].restarts, 0);

	/* nor does a probe's name make a line of vaultd's own */
	snprintf(want, sizeof(want), "%s/vaultctl debug probe netd "
	    "\"$(printf 'x\\nvaultd[1]: named')\" 2>&1", t->build);
	assert_int_equal(it_run(NULL, 0, want), 1);
	assert_false(it_log_has(t, "vaultd[1]: named"));
}

/* netd cannot have a request signed outside a call vaultd gave it. */
static void
test_netd_forged_sign(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];

	assert_int_equal(it_status(t, p), 0);
	probe(t, "netd", "forgesign");
	assert_true(it_wait_up(t, q, 0, p[2].pid, 5000) >= 0);
	assert_string_equal(q[2].last_exit, "killed by vaultd: "
	    "MSG_NET_SIGN_REQ: message not permitted in this state");
}

static void
test_hostile_child(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3], q[3];
	char		 line[200];

	assert_int_equal(it_status(t, p), 0);
	probe(t, "netd", "garbage");
	assert_true(it_wait_up(t, q, 0, p[2].pid, 5000) >= 0);
	assert_string_equal(q[2].last_exit,
	    "killed by vaultd: malformed message: malformed message");
	snprintf(line, sizeof(line), "netd (pid %llu) is broken: malformed "
	    "message: malformed message; killing it",
	    (unsigned long long)p[2].pid);
	assert_true(it_log_has(t, line));

	probe(t, "signerd", "oversize");
	assert_true(it_wait_up(t, q, p[1].pid, 0, 5000) >= 0);
	assert_string_equal(q[1].last_exit,
	    "killed by vaultd: malformed message: message frame too large");
	assert_int_equal(kill(t->vaultd, 0), 0);
}

/* Write raw bytes to a fresh control connection; 1 if vaultd hung up. */
static int
control_raw(struct it *t, const void *p, size_t len, int handshake)
{
	struct sockaddr_un	sun;
	struct chan		c;
	char			buf[64];
	int			fd;

	chan_init(&c, -1);
	if (handshake) {
		if (it_connect(t, &c) != 0)
			return -1;
		fd = c.fd;
	} else {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->sock);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			return -1;
	}
	if (write(fd, p, len) != (ssize_t)len)
		return -1;
	len = (size_t)read(fd, buf, sizeof(buf));
	if (handshake)
		chan_free(&c);
	else
		close(fd);
	return len == 0;
}

/* How many lines of the audit log hold s. */
static int
audit_count(struct it *t, const char *s)
{
	char	 path[128], *log, *p;
	size_t	 len;
	int	 n = 0;

	snprintf(path, sizeof(path), "%s/audit.log", t->home);
	if ((log = it_slurp(path, &len)) == NULL)
		return -1;
	for (p = log; (p = strstr(p, s)) != NULL; p++)
		n++;
	free(log);
	return n;
}

static void
test_hostile_control(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3];
	struct chan	 c;
	struct msg_w	 w;
	struct msg	 m;
	int64_t		 code;
	int		 fd;
	char		 want[96];
	static const uint8_t garbage[] = { 0, 0, 0, 3, 0xc1, 0xc1, 0xc1 };
	static const uint8_t oversize[] = { 0x7f, 0xff, 0xff, 0xff };
	/* MSG_CTL_STATUS_REQ before the handshake */
	static const uint8_t early[] = { 0, 0, 0, 3, 0x92, 0x0a, 0x01 };
	/* MSG_STATUS_REQ, a child's message, on the control socket */
	static const uint8_t wrongpeer[] = { 0, 0, 0, 3, 0x92, 0x04, 0x02 };

	assert_int_equal(control_raw(t, garbage, sizeof(garbage), 0), 1);
	assert_int_equal(control_raw(t, oversize, sizeof(oversize), 0), 1);
	assert_int_equal(control_raw(t, early, sizeof(early), 0), 1);
	assert_int_equal(control_raw(t, wrongpeer, sizeof(wrongpeer), 1), 1);

	/* a version mismatch is answered, then the line is closed */
	memset(&c, 0, sizeof(c));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->sock);
		assert_int_equal(connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
	}
	chan_init(&c, fd);
	msg_begin(&w, MSG_CTL_HELLO_REQ, 9);
	msg_put_u64(&w, MSG_VERSION + 1);
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	assert_int_equal(code, CV_ERR_MSG_VERSION);
	msg_clear(&m);
	assert_int_equal(chan_recv(&c, &m), CV_ERR_EOF);
	chan_free(&c);

	/* vaultd and its children are untouched */
	assert_int_equal(it_status(t, p), 0);
	assert_int_equal(p[1].restarts, 0);
	assert_int_equal(p[2].restarts, 0);
	assert_true(it_log_has(t, "control client sent a malformed message: "
	    "malformed message"));
	/* each of the five dropped clients is on the audit log, by uid and pid */
	snprintf(want, sizeof(want), "\tvaultctl:%u:%ld\t-\tpeer_refused\t-"
	    "\t-\tdropped\t", (unsigned)getuid(), (long)getpid());
	assert_int_equal(audit_count(t, want), 5);
}

static void
test_sigterm(void **state)
{
	struct it	*t = *state;
	struct it_proc	 p[3];
	struct stat	 st;

	assert_int_equal(it_status(t, p), 0);
	assert_int_equal(it_stop(t, 3000), 0);
	it_sleep_ms(50);
	assert_int_equal(kill((pid_t)p[1].pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(kill((pid_t)p[2].pid, 0), -1);
	assert_int_equal(stat(t->sock, &st), -1);
	assert_true(it_log_has(t, "vaultd"));
	assert_true(it_log_has(t, "stopped"));
}

/*
 * A stop is quiet: both children go on SIGTERM, and neither is called
 * broken nor said to have died.  signerd going first used to make
 * vaultd tell netd, stopping too, to wipe its tokens: a write to a
 * closing channel, "netd is broken" on the log (in most stops).
 */
static void
test_stop_quiet(void **state)
{
	struct it	t;
	int		i;

	(void)state;
	for (i = 0; i < 6; i++) {
		it_init(&t);
		assert_int_equal(it_start(&t, "-T", NULL), 0);
		assert_int_equal(it_stop(&t, 3000), 0);
		assert_true(it_log_has(&t, "stopped"));
		assert_false(it_log_has(&t, "is broken"));
		assert_false(it_log_has(&t, "died"));
		it_cleanup(&t);
	}
}

static void
test_vaultctl_status(void **state)
{
	struct it	*t = *state;
	char		 out[8192], cmd[512];
	json_t		*j, *procs;
	json_error_t	 err;

	snprintf(cmd, sizeof(cmd), "%s/vaultctl --json status", t->build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	j = json_loads(out, 0, &err);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "testmode")));
	assert_string_equal(json_string_value(json_object_get(j, "home")),
	    t->home);
	procs = json_object_get(j, "processes");
	assert_int_equal(json_array_size(procs), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(procs, 1), "name")), "signerd");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_array_get(procs, 1), "sandbox"), "seccomp")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_array_get(procs, 2), "sandbox"), "no_new_privs")), 1);
	json_decref(j);

	snprintf(cmd, sizeof(cmd), "%s/vaultctl status", t->build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	assert_non_null(strstr(out, "PROCESS  STATE"));
	assert_non_null(strstr(out, "signerd  up"));

	/* not running: exit 3, and --json still prints one document */
	assert_int_equal(it_stop(t, 3000), 0);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl --json status 2>/dev/null",
	    t->build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 3);
	j = json_loads(out, 0, &err);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
	    "vaultd is not running");
	json_decref(j);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl bogus 2>/dev/null", t->build);
	assert_int_equal(it_run(NULL, 0, cmd), 2);
}

/*
 * signerd's signing workers (vaultd -W) are threads under the same
 * filter: a forbidden system call made by one kills signerd.  With one
 * worker (-W 1) there is no thread to ask; a -W out of 1-8 is a usage
 * error.
 */
static void
test_workers(void **state)
{
	struct it	 t;
	struct it_proc	 p[3], q[3];
	char		 line[200], out[4096], cmd[512];
	static const char *bad[] = { "0", "9", "x", "12", "" };
	size_t		 i;
	int		 r;

	(void)state;
	it_init(&t);
	assert_int_equal(it_start_args(&t, "-T", "-W", "3"), 0);
	assert_int_equal(it_status(&t, p), 0);
	snprintf(line, sizeof(line), "/proc/%llu/task",
	    (unsigned long long)p[1].pid);
	{
		DIR		*d = opendir(line);
		struct dirent	*de;
		int		 n = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		assert_int_equal(n, 4);
	}
	probe(&t, "signerd", "worker-socket");
	assert_true(it_wait_up(&t, q, p[1].pid, 0, 8000) >= 0);
	assert_int_equal(q[1].restarts, 1);
	assert_string_equal(q[1].last_exit, "killed by signal 31, "
	    "SIGSYS (forbidden system call: sandbox violation)");
	snprintf(line, sizeof(line), "signerd[%llu]: test probe: "
	    "worker-socket\n", (unsigned long long)p[1].pid);
	assert_true(it_log_has(&t, line));
	/* a worker's heap grown and given back leaves signerd running */
	probe(&t, "signerd", "worker-heap");
	snprintf(line, sizeof(line), "signerd[%llu]: test probe: "
	    "worker-heap\n", (unsigned long long)q[1].pid);
	for (i = 0; i < 50 && !it_log_has(&t, line); i++)
		usleep(100000);
	assert_true(i < 50);
	probe(&t, "signerd", "worker-heap");
	assert_int_equal(it_status(&t, p), 0);
	assert_int_equal(p[1].pid, q[1].pid);
	assert_int_equal(p[1].restarts, 1);
	assert_string_equal(p[1].state, "up");
	it_cleanup(&t);

	it_init(&t);
	assert_int_equal(it_start_args(&t, "-T", "-W", "1"), 0);
	assert_int_equal(it_status(&t, p), 0);
	probe(&t, "signerd", "worker-socket");
	for (i = 0; i < 50 && !it_log_has(&t, "signerd: test probe refused: "
	    "signerd runs no signing workers (-W 1)"); i++)
		usleep(100000);
	assert_true(i < 50);
	assert_int_equal(it_status(&t, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	it_cleanup(&t);

	/*
	 * Without -W, a worker per core vaultd may run on: started on one
	 * CPU (its children inherit it), signerd gets -W 1 and runs one
	 * thread, whatever the machine's count of cores.
	 */
	{
		cpu_set_t	all, one;
		char		argv[256];
		size_t		n;
		int		cpu, fd;

		assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
		for (cpu = 0; !CPU_ISSET(cpu, &all); cpu++)
			;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
		it_init(&t);
		r = it_start(&t, "-T", NULL);
		assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
		assert_int_equal(r, 0);
		assert_int_equal(it_status(&t, p), 0);
		snprintf(line, sizeof(line), "/proc/%llu/cmdline",
		    (unsigned long long)p[1].pid);
		assert_true((fd = open(line, O_RDONLY)) != -1);
		n = (size_t)read(fd, argv, sizeof(argv) - 1);
		close(fd);
		assert_true(n > 0 && n < sizeof(argv));
		for (i = 0; i < n; i++)
			if (argv[i] == '\0')
				argv[i] = ' ';
		argv[n] = '\0';
		assert_non_null(strstr(argv, " -W 1"));
		it_cleanup(&t);
	}

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		it_init(&t);
		snprintf(cmd, sizeof(cmd), "%s/vaultd -f -T -W '%s' 2>&1",
		    t.build, bad[i]);
		assert_int_equal(it_run(out, sizeof(out), cmd), 2);
		assert_non_null(strstr(out, "-W n     signerd's signing "
		    "threads, 1-8"));
		it_cleanup(&t);
	}
	/*
	 * -t beyond what netd takes (1-600) is a usage error, not a netd
	 * that dies at every start; -n checks the flags and stops there.
	 */
	{
		static const char *badt[] = { "0", "601", "999", "x" };

		for (i = 0; i < sizeof(badt) / sizeof(badt[0]); i++) {
			it_init(&t);
			snprintf(cmd, sizeof(cmd), "%s/vaultd -n -T -t '%s' "
			    "2>&1", t.build, badt[i]);
			assert_int_equal(it_run(out, sizeof(out), cmd), 2);
			assert_non_null(strstr(out, "-t secs  test mode: "
			    "netd's time-out for one request, 1-600\n"));
			it_cleanup(&t);
		}
		it_init(&t);
		snprintf(cmd, sizeof(cmd), "%s/vaultd -n -T -t 600 2>&1",
		    t.build);
		assert_int_equal(it_run(out, sizeof(out), cmd), 0);
		it_cleanup(&t);
	}
	/* -V the same, and for tests only: refused without -T */
	{
		static const char *badv[] = { "0", "601", "999", "x" };

		for (i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
			it_init(&t);
			snprintf(cmd, sizeof(cmd), "%s/vaultd -n -T -V '%s' "
			    "2>&1", t.build, badv[i]);
			assert_int_equal(it_run(out, sizeof(out), cmd), 2);
			assert_non_null(strstr(out, "-V secs  test mode: "
			    "netd's wait for vaultd's answer to a gateway "
			    "request,\n           1-600\n"));
			it_cleanup(&t);
		}
		it_init(&t);
		snprintf(cmd, sizeof(cmd), "%s/vaultd -n -V 600 2>&1",
		    t.build);
		assert_int_equal(it_run(out, sizeof(out), cmd), 1);
		assert_non_null(strstr(out, ": fatal: -V is for tests: it "
		    "needs -T\n"));
		it_cleanup(&t);
		it_init(&t);
		snprintf(cmd, sizeof(cmd), "%s/vaultd -n -T -V 600 2>&1",
		    t.build);
		assert_int_equal(it_run(out, sizeof(out), cmd), 0);
		it_cleanup(&t);
	}
	/* the children's usage names every flag they take, -W too */
	it_init(&t);
	snprintf(cmd, sizeof(cmd), "%s/signerd -x 2>&1 </dev/null", t.build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 2);
	assert_non_null(strstr(out, "\nusage: signerd [-dT] [-u user] "
	    "[-C dir] [-t seconds] [-D seconds] [-V seconds] [-G fd] "
	    "[-W workers]\n"
	    "signerd is started by vaultd, not by hand.\n"));
	it_cleanup(&t);
}

/* Without -T, vaultd refuses to forward probes. */
static void
test_probes_need_testmode(void **state)
{
	struct it	t;
	char		out[1024], cmd[512];

	it_init(&t);
	assert_int_equal(it_start(&t, NULL, NULL), 0);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl debug probe signerd open 2>&1",
	    t.build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 4);
	assert_string_equal(out, "vaultctl: debug probe: test probes are off "
	    "(vaultd was not started with -T)\n");
	it_cleanup(&t);
}

/* A home others can read is refused, with the fix in the message. */
static void
test_home_perms(void **state)
{
	struct it	t;
	char		out[2048], cmd[512];

	it_init(&t);
	assert_int_equal(chmod(t.home, 0755), 0);
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f 2>&1", t.build);
	assert_int_equal(it_run(out, sizeof(out), cmd), 1);
	assert_non_null(strstr(out, "is open to other users (mode 755); "
	    "fix it with: chmod 700"));
	it_cleanup(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sandboxed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_programs, setup_held,
		    teardown_held),
		cmocka_unit_test_setup_teardown(test_forbidden_syscalls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_proxies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_tiocsti, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_exec_memory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_pkey, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_probe_stderr, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_child_log, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_netd_forged_sign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_child, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hostile_control, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_continue, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
		cmocka_unit_test(test_stop_quiet),
		cmocka_unit_test_setup_teardown(test_vaultctl_status, setup,
		    teardown),
		cmocka_unit_test(test_probes_need_testmode),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_home_perms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
