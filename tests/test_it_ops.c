/*
 * Operating vaultd, through the real binaries: the configuration file
 * and `vaultd -n`, a home from -c, a relative home (vaultd works from
 * /), the control socket's group, SIGHUP
 * reopening a renamed log, the unattended start (a wrong credential
 * stops it, -L starts locked, the daemonised parent returns once
 * unlocked, "unlocking" and "signerd is (re)starting" during a restart),
 * and systemd's READY=1 / STOPPING=1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include <cmocka.h>
#include <jansson.h>
#include <seccomp.h>

#include "common/home.h"
#include "common/version.h"
#include "tests/it.h"

#define PASSPHRASE	"correct horse battery staple"
#define CONF_KEYS	"audit-segment-size, cpu-latency, gateway, home, " \
			"log-file, log-level, log-max-size, socket-group, user"

struct ot {
	struct it	it;
	char		pass[128], wrong[128], conf[128];
	char		out[16384];
};

static int
setup(void **state)
{
	static struct ot	o;

	it_init(&o.it);
	snprintf(o.pass, sizeof(o.pass), "%s.pass", o.it.home);
	snprintf(o.wrong, sizeof(o.wrong), "%s.wrong", o.it.home);
	snprintf(o.conf, sizeof(o.conf), "%s.conf", o.it.home);
	it_write(o.pass, PASSPHRASE "\n", 0600);
	it_write(o.wrong, "not the passphrase\n", 0600);
	*state = &o;
	return 0;
}

static int
teardown(void **state)
{
	struct ot	*o = *state;

	it_cleanup(&o->it);
	unlink(o->pass);
	unlink(o->wrong);
	unlink(o->conf);
	return 0;
}

#define CTL(o, in, ...)	it_ctl(&(o)->it, in, (o)->out, sizeof((o)->out), \
			    __VA_ARGS__)

static void
assert_out(struct ot *o, const char *want)
{
	if (strstr(o->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", o->out, want);
}

/* Run a shell command, output (stdout and stderr) into o->out. */
static int __attribute__((format(printf, 2, 3)))
sh(struct ot *o, const char *fmt, ...)
{
	char	cmd[2048];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	return it_run(o->out, sizeof(o->out), cmd);
}

/* Start "sh -c 'exec CMD'" with its standard error on the test's log. */
static pid_t
spawn(struct ot *o, const char *cmd)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) == 0) {
		fd = open(o->it.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1)
			_exit(126);
		dup2(fd, STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The exit status of pid within ms, or -1. */
static int
wait_exit(pid_t pid, int ms)
{
	int64_t	start = it_ms();
	int	status;

	while (it_ms() - start < ms) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		it_sleep_ms(10);
	}
	return -1;
}

/* A vault with the test passphrase (kdf), vaultd stopped again. */
static void
make_vault(struct ot *o, const char *kdf)
{
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(o, NULL, "init --passphrase-file %s --kdf %s",
	    o->pass, kdf), 0);
	assert_int_equal(CTL(o, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
}

/* Stop a vaultd that is not our child (a daemon), by its pid. */
static void
stop_daemon(struct ot *o)
{
	struct it_proc	p[3];
	int64_t		start;

	assert_int_equal(it_status(&o->it, p), 0);
	assert_int_equal(kill((pid_t)p[0].pid, SIGTERM), 0);
	for (start = it_ms(); it_ms() - start < 5000; it_sleep_ms(10))
		if (kill((pid_t)p[0].pid, 0) == -1)
			return;
	fail_msg("daemon %llu did not stop", (unsigned long long)p[0].pid);
}

static void
test_check_good(void **state)
{
	struct ot	*o = *state;
	char		 conf[512];

	snprintf(conf, sizeof(conf),
	    "# vaultd.conf for the tests\n"
	    "home %s\n"
	    "user \"nobody\"   # a comment after a value\n"
	    "\n"
	    "log-level debug\n"
	    "log-file %s.vlog\n"
	    "audit-segment-size 16M\n"
	    "gateway 127.0.0.1:8443\n"
	    "gateway [::1]:8443\n"
	    "socket-group root", o->it.home, o->it.home);
	it_write(o->conf, conf, 0644);
	assert_int_equal(sh(o, "%s/vaultd -n -c %s", o->it.build, o->conf),
	    0);
	assert_string_equal(o->out, "vaultd: configuration OK\n");
	assert_int_equal(sh(o, "%s/vaultd --version", o->it.build), 0);
	assert_string_equal(o->out, "vaultd " CLOBVAULT_VERSION "\n");
	/* no file at all (test mode reads no default): the defaults */
	assert_int_equal(sh(o, "%s/vaultd -T -n", o->it.build), 0);
	assert_string_equal(o->out, "vaultd: configuration OK\n");
}

/*
 * A secret file given as the configuration (-c and -p swapped, the
 * passphrase file as -c): where each line is wrong, never a word of it.
 * vaultd -n said "unknown key correct", the passphrase's first word,
 * on standard error, which a service's journal keeps.
 */
static void
test_check_secret_file(void **state)
{
	struct ot	*o = *state;
	char		 want[1024];

	it_write(o->conf, PASSPHRASE "\n"
	    "clobvault-approver-v1 "
	    "5f3a9c0e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a\n"
	    "\"Hunter2 S3CR3T\"\n"
	    "user Hunter2 S3CR3T\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want),
	    "%1$s:1:1: unknown key (the keys are " CONF_KEYS ")\n"
	    "%1$s:2:1: unknown key (the keys are " CONF_KEYS ")\n"
	    "%1$s:3:1: syntax error: unexpected value\n"
	    "%1$s:4:14: syntax error: unexpected value, expecting end of "
	    "line\n", o->conf);
	assert_string_equal(o->out, want);
	assert_null(strstr(o->out, "correct"));
	assert_null(strstr(o->out, "5f3a9c0e"));
	assert_null(strstr(o->out, "Hunter2"));
	assert_null(strstr(o->out, "S3CR3T"));
}

static void
test_check_bad(void **state)
{
	struct ot	*o = *state;
	struct passwd	*pw;
	struct group	*gr;
	struct stat	 st;
	char		 want[4096], group[64];

	it_write(o->conf,
	    "home relative/path\n"
	    "user\n"
	    "log-level loud   # too loud\n"
	    "frobnicate 1 2\n"
	    "gateway 0.0.0.0:8443\n"
	    "audit-segment-size 12Q\n"
	    "audit-segment-size 1K\n"
	    "  log-file /tmp/a /tmp/b\n"
	    "home \"/tmp/unterminated\n"
	    "home /tmp/x\n"
	    "home /tmp/y\n"
	    "socket-group bad;name\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want),
	    "%1$s:1:6: home relative/path must be an absolute path\n"
	    "%1$s:2:5: syntax error: unexpected end of line, expecting a "
	    "value\n"
	    "%1$s:3:11: log-level loud must be info or debug\n"
	    "%1$s:4:1: unknown key (the keys are " CONF_KEYS ")\n"
	    "%1$s:5:9: gateway 0.0.0.0:8443 is not a loopback address: only "
	    "127.0.0.1 and [::1] may be used, since any other would need TLS "
	    "and client certificates, which vaultd does not have\n"
	    "%1$s:6:20: audit-segment-size 12Q must be a number of bytes, "
	    "with K, M or G for KiB, MiB or GiB\n"
	    "%1$s:7:20: audit-segment-size 1K must be from 64K to 1024G\n"
	    "%1$s:8:19: syntax error: unexpected value, expecting end of "
	    "line\n"
	    "%1$s:9:6: unterminated string\n"
	    "%1$s:11:1: home is set twice (first at line 10)\n"
	    "%1$s:12:17: unexpected character ;\n", o->conf);
	assert_string_equal(o->out, want);
	/* the same refuses a start, before anything is made */
	assert_int_equal(sh(o, "%s/vaultd -f -c %s", o->it.build, o->conf),
	    1);
	assert_string_equal(o->out, want);

	/* a file others may write is not trusted */
	it_write(o->conf, "log-level info\n", 0666);
	chmod(o->conf, 0666);
	assert_int_equal(sh(o, "%s/vaultd -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want), "%s: must belong to root or to uid %u "
	    "and be writable by no one else (mode 666, uid %u): fix it with "
	    "chmod go-w\n", o->conf, (unsigned)geteuid(), (unsigned)getuid());
	assert_string_equal(o->out, want);
	/* a FIFO (nothing writes it) is refused, not waited on */
	unlink(o->conf);
	assert_int_equal(mkfifo(o->conf, 0600), 0);
	assert_int_equal(sh(o, "timeout 10 %s/vaultd -n -c %s", o->it.build,
	    o->conf), 1);
	snprintf(want, sizeof(want), "%s: not a regular file\n", o->conf);
	assert_string_equal(o->out, want);
	/* a file that is not there */
	unlink(o->conf);
	assert_int_equal(sh(o, "%s/vaultd -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want), "%s: cannot read it: No such file or "
	    "directory\n", o->conf);
	assert_string_equal(o->out, want);
	/* what only exists outside the file: a group, the home's modes */
	it_write(o->conf, "socket-group no-such-group-cvit\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    1);
	assert_string_equal(o->out, "vaultd: group no-such-group-cvit does "
	    "not exist: create it with groupadd --system no-such-group-cvit, "
	    "or name another\n");
	/* the children's own group as the socket group: they would be let
	 * in (nobody's is nogroup, or whatever its gid names) */
	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL &&
	    (gr = getgrgid(pw->pw_gid)) != NULL) {
		snprintf(group, sizeof(group), "%s", gr->gr_name);
		it_write(o->conf, "user nobody\n", 0600);
		assert_int_equal(sh(o, "%s/vaultd -T -n -c %s -g %s",
		    o->it.build, o->conf, group), 1);
		snprintf(want, sizeof(want), "vaultd: socket-group %s is the "
		    "group of nobody, the user signerd and netd run as: vaultd "
		    "would admit them to the control socket; give the "
		    "operators a group of their own (groupadd --system "
		    "clobvault-ops)\n", group);
		assert_string_equal(o->out, want);
		/* and refuses a start (timeout: were it to start) */
		assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -c %s -g %s",
		    o->it.build, o->conf, group), 1);
		assert_non_null(strstr(o->out, want + strlen("vaultd: ")));
		assert_int_equal(access(o->it.sock, F_OK), -1);
		/* nor was the home given to that group */
		assert_int_equal(stat(o->it.home, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0700);
		assert_int_equal(st.st_gid, getegid());
		unlink(o->conf);
	}
	assert_int_equal(chmod(o->it.home, 0750), 0);
	assert_int_equal(sh(o, "%s/vaultd -T -n", o->it.build), 1);
	snprintf(want, sizeof(want), "vaultd: %s is open to other users "
	    "(mode 750); fix it with: chmod 700 %s\n", o->it.home, o->it.home);
	assert_string_equal(o->out, want);
	assert_int_equal(chmod(o->it.home, 0700), 0);
}

/* The file's home is used, unless $CLOBVAULT_HOME names one. */
static void
test_conf_home(void **state)
{
	struct ot	*o = *state;
	char		 home[64], conf[256], cmd[512];
	struct stat	 st;
	pid_t		 pid;
	int64_t		 start;

	snprintf(home, sizeof(home), "%s.other", o->it.home);
	snprintf(conf, sizeof(conf), "home %s\nlog-level debug\n", home);
	it_write(o->conf, conf, 0600);
	snprintf(cmd, sizeof(cmd), "exec env -u CLOBVAULT_HOME %s/vaultd -f "
	    "-T -c %s", o->it.build, o->conf);
	pid = spawn(o, cmd);
	setenv("CLOBVAULT_HOME", home, 1);
	for (start = it_ms(); it_ms() - start < 5000; it_sleep_ms(20))
		if (CTL(o, NULL, "status") == 0)
			break;
	assert_int_equal(CTL(o, NULL, "status"), 0);
	snprintf(cmd, sizeof(cmd), "home %s (test mode)", home);
	assert_out(o, cmd);
	assert_int_equal(stat(home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_true(it_log_has(&o->it, "debug: "));	/* log-level debug */
	snprintf(cmd, sizeof(cmd), "started (home %s, configuration %s, "
	    "test mode)", home, o->conf);
	assert_true(it_log_has(&o->it, cmd));
	/* the test's own home is unused: vaultctl there finds nobody */
	setenv("CLOBVAULT_HOME", o->it.home, 1);
	assert_int_equal(CTL(o, NULL, "status"), 3);
	kill(pid, SIGTERM);
	assert_int_equal(wait_exit(pid, 5000), 0);

	/* with $CLOBVAULT_HOME set, that one */
	snprintf(cmd, sizeof(cmd), "exec %s/vaultd -f -T -c %s", o->it.build,
	    o->conf);
	pid = spawn(o, cmd);
	for (start = it_ms(); it_ms() - start < 5000; it_sleep_ms(20))
		if (CTL(o, NULL, "status") == 0)
			break;
	snprintf(cmd, sizeof(cmd), "home %s (test mode)", o->it.home);
	assert_out(o, cmd);
	kill(pid, SIGTERM);
	assert_int_equal(wait_exit(pid, 5000), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	(void)!system(cmd);
}

/* A group some unprivileged uid can be given: any but root's and ours. */
static int
other_group(gid_t *gid, char *name, size_t len)
{
	struct group	*gr;
	int		 found = 0;

	setgrent();
	while ((gr = getgrent()) != NULL)
		if (gr->gr_gid != 0 && gr->gr_gid != getgid() &&
		    strlen(gr->gr_name) < len) {
			*gid = gr->gr_gid;
			snprintf(name, len, "%s", gr->gr_name);
			found = 1;
			break;
		}
	endgrent();
	return found;
}

/*
 * In a child: become uid with primary gid and the supplementary groups
 * given, connect, shake hands, ask to unlock (or lock).  0 if served,
 * 3 if the connection was refused, else 1.
 */
static int
as_user(struct ot *o, uid_t uid, gid_t gid, const gid_t *groups, size_t n,
    int unlock)
{
	struct chan	c;
	struct msg_w	w;
	struct msg	m;
	pid_t		pid;
	int64_t		code;
	int		st, tries;

	if ((pid = fork()) == 0) {
		signal(SIGPIPE, SIG_IGN);	/* a refusal is a closed socket */
		if (setgroups(n, groups) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1)
			_exit(1);
		if (it_connect(&o->it, &c) != 0)
			_exit(3);
		/* "busy" (the checkpoint after an unlock): retry, as
		 * vaultctl does */
		for (tries = 0; tries < 50; tries++) {
			msg_begin(&w, unlock ? MSG_CTL_UNLOCK_REQ :
			    MSG_CTL_LOCK_REQ, 7);
			if (unlock) {
				msg_put_bin(&w, (const uint8_t *)PASSPHRASE,
				    strlen(PASSPHRASE));
				msg_put_bool(&w, 0);
			}
			if (chan_send(&c, &w) != 0 ||
			    it_recv_answer(&c, &m) != 0)
				_exit(1);
			if (m.type != MSG_ERROR_ANS ||
			    msg_get_i64(&m.rd, &code) != 0 ||
			    code != CV_ERR_AGAIN)
				break;
			it_sleep_ms(100);
		}
		_exit(m.type == (unlock ? MSG_CTL_UNLOCK_ANS :
		    MSG_CTL_LOCK_ANS) ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
test_socket_group(void **state)
{
	struct ot	*o = *state;
	struct stat	 st;
	char		 name[64], *log, *p, path[128];
	gid_t		 gid, none[1];
	size_t		 len;

	if (geteuid() != 0) {
		print_message("skipped: acting as another uid needs root\n");
		skip();
	}
	if (!other_group(&gid, name, sizeof(name))) {
		print_message("skipped: no group but root's\n");
		skip();
	}
	make_vault(o, "min");
	assert_int_equal(it_start_args(&o->it, "-T", "-g", name), 0);
	assert_int_equal(stat(o->it.sock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(stat(o->it.home, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0710);
	assert_int_equal(st.st_gid, gid);

	/* a member by its supplementary groups, and by its gid */
	assert_int_equal(as_user(o, 64999, 64999, &gid, 1, 1), 0);
	assert_int_equal(as_user(o, 64998, gid, none, 0, 0), 0);
	/* someone else: the socket's mode keeps it out */
	assert_int_equal(as_user(o, 64997, 64997, none, 0, 1), 3);
	assert_false(it_log_has(&o->it, "uid 64997"));
	/* and were the way open to all, vaultd refuses it, and says so */
	snprintf(path, sizeof(path), "%s/run", o->it.home);
	assert_int_equal(chmod(o->it.home, 0711), 0);
	assert_int_equal(chmod(path, 0711), 0);
	assert_int_equal(chmod(o->it.sock, 0666), 0);
	assert_int_equal(as_user(o, 64997, 64997, none, 0, 1), 3);
	assert_int_equal(chmod(o->it.sock, 0660), 0);
	assert_int_equal(chmod(path, 0710), 0);
	assert_int_equal(chmod(o->it.home, 0710), 0);
	assert_true(it_log_has(&o->it, "refused control connection from uid "
	    "64997"));
	assert_true(it_log_has(&o->it, ": not in the socket group"));

	/* each lock is on the audit log with the client's uid and pid */
	snprintf(path, sizeof(path), "%s/audit.log", o->it.home);
	assert_non_null(log = it_slurp(path, &len));
	assert_non_null(p = strstr(log, "\tvaultctl:64999:"));
	assert_non_null(strstr(p, "\t-\tunlock\t"));
	assert_non_null(strstr(log, "\tvaultctl:64998:"));
	assert_non_null(strstr(strstr(log, "\tvaultctl:64998:"),
	    "\t-\tlock\t"));
	assert_null(strstr(log, "\tvaultctl:64997:"));
	assert_null(strstr(log, "\tvaultctl\t"));
	free(log);

	/* without the group again: 0700, and the member is refused */
	assert_int_equal(it_stop(&o->it, 3000), 0);
	assert_int_equal(chmod(o->it.home, 0700), 0);
	snprintf(path, sizeof(path), "%s/run", o->it.home);
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(as_user(o, 64999, 64999, &gid, 1, 1), 3);
}

/*
 * A loopback TCP port taken: the listening socket (the caller closes it),
 * its port in *port.
 */
static int
port_taken(unsigned *port)
{
	struct sockaddr_in	sin;
	socklen_t		sl = sizeof(sin);
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The home and its run/ are as a start without a group leaves them. */
static void
assert_home_kept(struct ot *o)
{
	struct stat	st;
	char		run[128];

	snprintf(run, sizeof(run), "%s/run", o->it.home);
	assert_int_equal(stat(o->it.home, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(stat(run, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, geteuid());
	assert_int_equal(st.st_gid, getegid());
}

/*
 * A start with a socket group that vaultd refuses for something else
 * leaves the home's group and mode as they were: a relative -l (found
 * by the checks), a gateway port taken (found once vaultd listens), a
 * vaultd already serving the home (which keeps serving).
 */
static void
test_refused_start_home(void **state)
{
	struct ot		*o = *state;
	char			 name[64];
	gid_t			 gid;
	unsigned		 port;
	int			 fd;

	if (geteuid() != 0) {
		print_message("skipped: a group of its own needs root\n");
		skip();
	}
	if (!other_group(&gid, name, sizeof(name))) {
		print_message("skipped: no group but root's\n");
		skip();
	}
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
	assert_home_kept(o);

	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -g %s -l "
	    "relative.log", o->it.build, name), 1);
	assert_out(o, "-l needs an absolute path (vaultd reopens it on "
	    "SIGHUP)\n");
	assert_home_kept(o);

	fd = port_taken(&port);
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -g %s --gateway "
	    "127.0.0.1:%u", o->it.build, name, port), 1);
	close(fd);
	assert_out(o, ": bind: Address already in use\n");
	assert_home_kept(o);

	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -g %s",
	    o->it.build, name), 1);
	assert_out(o, "another vaultd is already running with the home ");
	assert_home_kept(o);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
}

/* The names in directory dir, sorted, each followed by a space. */
static void
dir_names(const char *dir, char *buf, size_t len)
{
	struct dirent	**ents;
	int		  i, n;

	buf[0] = '\0';
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		snprintf(buf, len, "(%s)", strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 &&
		    strcmp(ents[i]->d_name, "..") != 0) {
			strncat(buf, ents[i]->d_name, len - strlen(buf) - 1);
			strncat(buf, " ", len - strlen(buf) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

/*
 * A start that makes its home and is then refused (a gateway port
 * taken, found once it listens) takes away what it made: in the
 * foreground nothing is left, daemonised only the log its parent says
 * to read.  Before, the new home kept run/ with the lock and both
 * sockets, empty/, audit.log and an 8 MiB audit.wal.  A start refused
 * on a home it did not make (another vaultd's) removes nothing of it.
 */
static void
test_refused_start_made(void **state)
{
	struct ot		*o = *state;
	struct stat		 st;
	char			 home[128], want[256], names[1024];
	unsigned		 port;
	int			 fd, i;

	snprintf(home, sizeof(home), "%s/new", o->it.home);
	fd = port_taken(&port);

	assert_int_equal(sh(o, "CLOBVAULT_HOME=%s timeout 60 %s/vaultd -T -f "
	    "--gateway 127.0.0.1:%u", home, o->it.build, port), 1);
	snprintf(want, sizeof(want), ": fatal: gateway 127.0.0.1:%u: bind: "
	    "Address already in use\n", port);
	assert_out(o, want);
	assert_int_equal(lstat(home, &st), -1);
	assert_int_equal(errno, ENOENT);

	/*
	 * daemonised: the waiting parent says why, and the log stays,
	 * which keeps the home.  What the start made is gone by the time
	 * the parent returns: the daemon took it away after telling the
	 * parent, which returned first about every other start.
	 */
	for (i = 0; i < 10; i++) {
		assert_int_equal(sh(o, "CLOBVAULT_HOME=%s timeout 60 "
		    "%s/vaultd -T --gateway 127.0.0.1:%u", home, o->it.build,
		    port), 1);
		snprintf(want, sizeof(want), "vaultd: gateway 127.0.0.1:%u: "
		    "bind: Address already in use\n", port);
		assert_string_equal(o->out, want);
		dir_names(home, names, sizeof(names));
		assert_string_equal(names, "vaultd.log ");
		assert_int_equal(lstat(home, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0700);
		snprintf(want, sizeof(want), "%s/vaultd.log", home);
		assert_int_equal(unlink(want), 0);
		assert_int_equal(rmdir(home), 0);
	}
	close(fd);

	/* a home it did not make: the running vaultd's, all of it kept */
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	dir_names(o->it.home, names, sizeof(names));
	assert_string_equal(names, "audit.log audit.wal empty run ");
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f", o->it.build), 1);
	assert_out(o, "another vaultd is already running with the home ");
	dir_names(o->it.home, names, sizeof(names));
	assert_string_equal(names, "audit.log audit.wal empty run ");
	snprintf(want, sizeof(want), "%s/run", o->it.home);
	dir_names(want, names, sizeof(names));
	assert_string_equal(names, "control.sock gateway.addr gateway.sock "
	    "vaultd.lock ");
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
}

/*
 * A start refused on a home that existed (a gateway port taken, found
 * once it listens) takes away the sockets and run/gateway.addr it made
 * there, in the foreground and daemonised, and nothing else of the
 * home.  Before, both sockets and gateway.addr stayed in run/.
 */
static void
test_refused_start_kept(void **state)
{
	struct ot		*o = *state;
	char			 want[256], run[160], names[1024];
	unsigned		 port;
	int			 fd;

	snprintf(run, sizeof(run), "%s/run", o->it.home);
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
	dir_names(o->it.home, names, sizeof(names));
	assert_string_equal(names, "audit.log audit.wal empty run ");
	dir_names(run, names, sizeof(names));
	assert_string_equal(names, "vaultd.lock ");

	fd = port_taken(&port);

	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f --gateway "
	    "127.0.0.1:%u", o->it.build, port), 1);
	snprintf(want, sizeof(want), ": fatal: gateway 127.0.0.1:%u: bind: "
	    "Address already in use\n", port);
	assert_out(o, want);
	dir_names(o->it.home, names, sizeof(names));
	assert_string_equal(names, "audit.log audit.wal empty run ");
	dir_names(run, names, sizeof(names));
	assert_string_equal(names, "vaultd.lock ");

	/* daemonised: gone before the waiting parent returns */
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T --gateway "
	    "127.0.0.1:%u", o->it.build, port), 1);
	snprintf(want, sizeof(want), "vaultd: gateway 127.0.0.1:%u: bind: "
	    "Address already in use\n", port);
	assert_string_equal(o->out, want);
	close(fd);
	dir_names(o->it.home, names, sizeof(names));
	assert_string_equal(names, "audit.log audit.wal empty run "
	    "vaultd.log ");
	dir_names(run, names, sizeof(names));
	assert_string_equal(names, "vaultd.lock ");

	/* and the home serves again */
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_int_equal(it_stop(&o->it, 3000), 0);
}

/*
 * A start with a socket group whose unattended unlock fails (a wrong
 * passphrase file, one that cannot be read; in the foreground and
 * daemonised) leaves the home's group and mode as they were: vaultd
 * gives them to the group only once it is ready.  Before, it gave them
 * when it listened, and the failed unlock came after.  With -L the
 * start goes on, locked, and the group gets the home.
 */
static void
test_unlock_failed_home(void **state)
{
	struct ot	*o = *state;
	struct stat	 st;
	char		 name[64];
	gid_t		 gid;

	if (geteuid() != 0) {
		print_message("skipped: a group of its own needs root\n");
		skip();
	}
	if (!other_group(&gid, name, sizeof(name))) {
		print_message("skipped: no group but root's\n");
		skip();
	}
	make_vault(o, "min");
	assert_home_kept(o);

	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -g %s -p %s",
	    o->it.build, name, o->wrong), 6);
	assert_out(o, ": warning: cannot unlock the vault: wrong passphrase "
	    "or keyfile; vaultd stops (with -L it would start locked)\n");
	assert_home_kept(o);

	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -f -g %s -p %s.none",
	    o->it.build, name, o->pass), 1);
	assert_out(o, ": warning: cannot unlock the vault: cannot read ");
	assert_out(o, ".none: not found; vaultd stops (with -L it would start "
	    "locked)\n");
	assert_home_kept(o);

	/* daemonised: the parent says why, and nothing changed either */
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -g %s -p %s",
	    o->it.build, name, o->wrong), 6);
	assert_string_equal(o->out, "vaultd: cannot unlock the vault: wrong "
	    "passphrase or keyfile; vaultd stops (with -L it would start "
	    "locked)\n");
	assert_home_kept(o);

	/* -L: it starts, locked, and the home is the group's */
	assert_int_equal(sh(o, "timeout 60 %s/vaultd -T -L -g %s -p %s",
	    o->it.build, name, o->wrong), 0);
	assert_string_equal(o->out, "");
	assert_int_equal(stat(o->it.home, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0710);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_out(o, "vault locked");
	stop_daemon(o);
}

/* SIGHUP: a log renamed away (logrotate) is reopened anew, 0600. */
static void
test_sighup(void **state)
{
	struct ot	*o = *state;
	char		 log[128], old[140], *text;
	struct stat	 st;
	size_t		 len;
	int64_t		 start;

	snprintf(log, sizeof(log), "%s.vlog", o->it.home);
	snprintf(old, sizeof(old), "%s.1", log);
	assert_int_equal(it_start_args(&o->it, "-T", "-l", log), 0);
	assert_non_null(text = it_slurp(log, &len));
	assert_non_null(strstr(text, "started (home"));
	free(text);
	assert_int_equal(rename(log, old), 0);
	kill(o->it.vaultd, SIGHUP);
	for (start = it_ms(); it_ms() - start < 3000; it_sleep_ms(10))
		if (stat(log, &st) == 0)
			break;
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	it_sleep_ms(100);
	assert_non_null(text = it_slurp(log, &len));
	assert_non_null(strstr(text, "vaultd["));
	assert_non_null(strstr(text, "]: SIGHUP: log reopened\n"));
	assert_null(strstr(text, "started (home"));
	free(text);
	assert_non_null(text = it_slurp(old, &len));
	assert_non_null(strstr(text, "]: SIGHUP: reopening the log "));
	free(text);
	/* the next lines, the children's too, go to the new file */
	assert_int_equal(it_stop(&o->it, 3000), 0);
	assert_non_null(text = it_slurp(log, &len));
	assert_non_null(strstr(text, "]: stopped\n"));
	free(text);
	unlink(log);
	unlink(old);
}

/*
 * vaultd -l log started and refused: its exit code, its stderr (the
 * harness's log) holding want.
 */
static void
log_refused(struct ot *o, const char *log, const char *want)
{
	char		*text;
	size_t		 len;
	int64_t		 start;
	int		 status = 0;
	pid_t		 r = 0;

	assert_int_equal(it_spawn(&o->it, "-T", "-l", log), 0);
	for (start = it_ms(); it_ms() - start < 5000; it_sleep_ms(10))
		if ((r = waitpid(o->it.vaultd, &status, WNOHANG)) != 0)
			break;
	if (r == 0)
		it_kill(&o->it);		/* still running: the test fails */
	assert_int_equal(r, o->it.vaultd);
	o->it.vaultd = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_non_null(text = it_slurp(o->it.log, &len));
	if (strstr(text, want) == NULL)
		fail_msg("\"%s\" not in: %s", want, text);
	free(text);
}

/*
 * A symbolic link where the log goes is not followed: vaultd, root here,
 * stops at start naming the path and how to fix it, and the file it
 * points at stays as it was.  A hard link there is refused the same way.
 */
static void
test_log_symlink(void **state)
{
	struct ot	*o = *state;
	char		 log[128], target[128], want[512];
	struct stat	 st;

	snprintf(log, sizeof(log), "%s.slog", o->it.home);
	snprintf(target, sizeof(target), "%s.target", o->it.home);
	it_write(target, "", 0600);
	unlink(log);
	assert_int_equal(symlink(target, log), 0);
	snprintf(want, sizeof(want), "the log %s is a symbolic link, which "
	    "vaultd does not follow: give -l (log-file) the file's own "
	    "path\n", log);
	log_refused(o, log, want);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(log);

	/* a hard link to a file of ours, closed to others: refused too */
	assert_int_equal(link(target, log), 0);
	snprintf(want, sizeof(want), "the log %s has other names (hard "
	    "links), and another file's lines are not vaultd's to append "
	    "to: give -l (log-file) a file of its own\n", log);
	log_refused(o, log, want);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(log);
	unlink(target);
}

/*
 * An existing log open to other users, or another user's, is refused
 * (how to fix it said), not appended to; once fixed, vaultd starts.
 */
static void
test_log_mode(void **state)
{
	struct ot	*o = *state;
	char		 log[128], old[140], want[512], *text;
	struct stat	 st;
	size_t		 len;
	int64_t		 start;
	int		 found = 0;

	snprintf(log, sizeof(log), "%s.mlog", o->it.home);
	snprintf(old, sizeof(old), "%s.1", log);
	it_write(log, "earlier\n", 0644);
	snprintf(want, sizeof(want), "the log %s is open to other users "
	    "(mode 644); fix it with: chmod 600 %s\n", log, log);
	log_refused(o, log, want);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_size, strlen("earlier\n"));
	assert_int_equal(st.st_mode & 0777, 0644);

	/* another user's (nobody's), closed to others */
	assert_int_equal(chmod(log, 0600), 0);
	assert_int_equal(chown(log, 65534, (gid_t)-1), 0);
	snprintf(want, sizeof(want), "the log %s belongs to uid 65534, not "
	    "to us (uid %u); fix it with: chown %u %s\n", log,
	    (unsigned)geteuid(), (unsigned)geteuid(), log);
	log_refused(o, log, want);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_size, strlen("earlier\n"));

	/* fixed as said, its group let read (a log reader's): appended to */
	assert_int_equal(chown(log, geteuid(), (gid_t)-1), 0);
	assert_int_equal(chmod(log, 0640), 0);
	assert_int_equal(it_start_args(&o->it, "-T", "-l", log), 0);
	assert_non_null(text = it_slurp(log, &len));
	assert_int_equal(strncmp(text, "earlier\n", 8), 0);
	assert_non_null(strstr(text, "started (home"));
	free(text);

	/* a SIGHUP that finds such a file keeps the old log */
	assert_int_equal(rename(log, old), 0);
	it_write(log, "", 0644);
	kill(o->it.vaultd, SIGHUP);
	snprintf(want, sizeof(want), "SIGHUP: the log %s is open to other "
	    "users (mode 644); fix it with: chmod 600 %s; logging on to the "
	    "old file\n", log, log);
	for (start = it_ms(); it_ms() - start < 3000; it_sleep_ms(10)) {
		text = it_slurp(old, &len);
		found = text != NULL && strstr(text, want) != NULL;
		free(text);
		if (found)
			break;
	}
	if (!found)
		fail_msg("no \"%s\" in %s", want, old);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_size, 0);
	unlink(old);
	assert_int_equal(it_stop(&o->it, 3000), 0);
	unlink(log);
}

/*
 * log-max-size: past it, vaultd.log becomes vaultd.log.1 (replacing an
 * older one) and a new vaultd.log goes on; values checked by -n.
 */
static void
test_log_max_size(void **state)
{
	struct ot	*o = *state;
	char		 log[128], old[140], conf[512], want[512], *text;
	struct stat	 st;
	size_t		 len;
	int		 i, rotations = 0;

	snprintf(log, sizeof(log), "%s.vlog", o->it.home);
	snprintf(old, sizeof(old), "%s.1", log);
	snprintf(conf, sizeof(conf), "log-file %s\nlog-max-size 4K\n", log);
	it_write(o->conf, conf, 0600);
	assert_int_equal(it_start_args(&o->it, "-T", "-c", o->conf), 0);
	/* each forged-log probe is 3 lines of signerd's, over 1 KiB */
	for (i = 0; i < 400 && rotations < 2; i++) {
		assert_int_equal(CTL(o, NULL, "debug probe signerd logforge"),
		    0);
		if (stat(old, &st) == 0 && (text = it_slurp(old, &len)) !=
		    NULL) {
			/* the second one replaced the first */
			rotations = strstr(text, "]: log past 4096 bytes: ") !=
			    NULL ? 2 : 1;
			free(text);
		}
	}
	assert_int_equal(rotations, 2);
	/* stopped, so that nothing is being written: each file begins so */
	assert_int_equal(it_stop(&o->it, 3000), 0);
	snprintf(want, sizeof(want), "]: log past 4096 bytes: the lines "
	    "before are in %s\n", old);
	assert_int_equal(stat(old, &st), 0);
	assert_true(st.st_size > 4096 && st.st_size < 4096 + 1100);
	assert_non_null(text = it_slurp(old, &len));
	assert_int_equal(strstr(text, want) - strchr(text, ']'), 0);
	free(text);
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(st.st_size <= 4096 + 1100);
	assert_non_null(text = it_slurp(log, &len));
	assert_non_null(strstr(text, want));
	assert_int_equal(strstr(text, want) - strchr(text, ']'), 0);
	assert_non_null(strstr(text, "]: stopped\n"));
	free(text);
	snprintf(want, sizeof(want), "%s.2", log);
	assert_int_equal(access(want, F_OK), -1);
	unlink(log);
	unlink(old);

	/* what the key takes */
	it_write(o->conf, "log-max-size 0\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    0);
	it_write(o->conf, "log-max-size 1K\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want), "%s:1:14: log-max-size 1K must be 0 (no "
	    "limit) or from 4K to 1024G\n", o->conf);
	assert_string_equal(o->out, want);
	it_write(o->conf, "log-max-size big\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want), "%s:1:14: log-max-size big must be a "
	    "number of bytes, with K, M or G for KiB, MiB or GiB (0: no "
	    "limit)\n", o->conf);
	assert_string_equal(o->out, want);
}

/* The kernel's wake-up latency limit for idle cores (PM QoS), in us. */
static int32_t
qos_now(void)
{
	int32_t	v = -1;
	int	fd;

	if ((fd = open("/dev/cpu_dma_latency", O_RDONLY)) == -1)
		return -1;
	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		v = -1;
	close(fd);
	return v;
}

/* 1 if pid has a descriptor open on /dev/cpu_dma_latency. */
static int
holds_qos(uint64_t pid)
{
	DIR		*d;
	struct dirent	*e;
	char		 dir[64], path[340], target[64];
	ssize_t		 n;
	int		 found = 0;

	snprintf(dir, sizeof(dir), "/proc/%llu/fd", (unsigned long long)pid);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((n = readlink(path, target, sizeof(target) - 1)) > 0) {
			target[n] = '\0';
			if (strcmp(target, "/dev/cpu_dma_latency") == 0)
				found = 1;
		}
	}
	closedir(d);
	return found;
}

/*
 * cpu-latency (file) and --cpu-latency (command line, beats the file):
 * the values each takes; where /dev/cpu_dma_latency can be written
 * (root), vaultd holds the limit while it runs, its children do not
 * inherit the descriptor, vaultctl status shows it, and the kernel's
 * limit is back once it stops.
 */
static void
test_cpu_latency(void **state)
{
	struct ot	*o = *state;
	struct it_proc	 procs[3];
	char		 want[1024];
	int32_t		 before;
	int		 i, can, err;

	can = access("/dev/cpu_dma_latency", W_OK) == 0;
	err = errno;

	it_write(o->conf, "cpu-latency 1000001\ncpu-latency -5\n"
	    "cpu-latency 20us\ncpu-latency 00000000\ncpu-latency 0\n"
	    "cpu-latency 5\n", 0600);
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    1);
	snprintf(want, sizeof(want),
	    "%1$s:1:13: cpu-latency 1000001 must be a number of microseconds "
	    "from 0 to 1000000\n"
	    "%1$s:2:13: cpu-latency -5 must be a number of microseconds "
	    "from 0 to 1000000\n"
	    "%1$s:3:13: cpu-latency 20us must be a number of microseconds "
	    "from 0 to 1000000\n"
	    "%1$s:4:13: cpu-latency 00000000 must be a number of microseconds "
	    "from 0 to 1000000\n"
	    "%1$s:6:1: cpu-latency is set twice (first at line 5)\n",
	    o->conf);
	/* a refused value does not count as set: line 5 is the first */
	assert_string_equal(o->out, want);
	assert_int_equal(sh(o, "%s/vaultd -T -n --cpu-latency 1e3",
	    o->it.build), 2);
	assert_string_equal(o->out, "vaultd: --cpu-latency 1e3 must be a "
	    "number of microseconds from 0 to 1000000\n");

	it_write(o->conf, "cpu-latency 0\n", 0600);
	if (!can) {
		/* -n says so, and a start fails before anything runs */
		snprintf(want, sizeof(want), "vaultd: cpu-latency: cannot "
		    "write /dev/cpu_dma_latency: %s\n", strerror(err));
		assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build,
		    o->conf), 1);
		assert_string_equal(o->out, want);
		assert_int_not_equal(sh(o, "%s/vaultd -T -f -c %s",
		    o->it.build, o->conf), 0);
		return;
	}
	assert_int_equal(sh(o, "%s/vaultd -T -n -c %s", o->it.build, o->conf),
	    0);
	/* another holder (tuned, say) may keep it at 0 already */
	before = qos_now();
	assert_true(before >= 0);
	assert_int_equal(it_start_args(&o->it, "-T", "-c", o->conf), 0);
	assert_int_equal(qos_now(), 0);
	assert_int_equal(it_status(&o->it, procs), 0);
	assert_int_equal(holds_qos(procs[0].pid), 1);
	for (i = 1; i < 3; i++)
		assert_int_equal(holds_qos(procs[i].pid), 0);
	assert_true(it_log_has(&o->it, "idle cores kept within 0 us of "
	    "waking (cpu-latency)"));
	/* status says so, as its last line, and --json as a number */
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_non_null(strstr(o->out, "\ncpu-latency: idle cores kept "
	    "within 0 us of waking\n"));
	assert_int_equal(strlen(strstr(o->out, "\ncpu-latency: ")),
	    strlen("\ncpu-latency: idle cores kept within 0 us of "
	    "waking\n"));
	assert_int_equal(CTL(o, NULL, "--json status"), 0);
	assert_out(o, "\"cpu_latency_us\": 0");
	assert_int_equal(it_stop(&o->it, 3000), 0);
	assert_int_equal(qos_now(), before);

	/* without it: no line, and null */
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_null(strstr(o->out, "cpu-latency"));
	assert_int_equal(CTL(o, NULL, "--json status"), 0);
	assert_out(o, "\"cpu_latency_us\": null");
	assert_int_equal(it_stop(&o->it, 3000), 0);

	/* the command line beats the file's 0 */
	if (before > 7) {
		assert_int_equal(it_start_args(&o->it, "-Tc", o->conf,
		    "--cpu-latency=7"), 0);
		assert_int_equal(qos_now(), 7);
		assert_int_equal(it_stop(&o->it, 3000), 0);
		assert_int_equal(qos_now(), before);
	}
}

/* -p with a wrong or unreadable credential stops the start; -L not. */
static void
test_wrong_credential(void **state)
{
	struct ot	*o = *state;
	char		 cmd[512];
	pid_t		 pid;
	int		 i, fd;

	make_vault(o, "min");
	snprintf(cmd, sizeof(cmd), "exec %s/vaultd -f -T -p %s", o->it.build,
	    o->wrong);
	pid = spawn(o, cmd);
	assert_int_equal(wait_exit(pid, 10000), 6);
	assert_true(it_log_has(&o->it, "warning: cannot unlock the vault: "
	    "wrong passphrase or keyfile; vaultd stops (with -L it would "
	    "start locked)"));
	assert_int_equal(access(o->it.sock, F_OK), -1);	/* removed */

	snprintf(cmd, sizeof(cmd), "exec %s/vaultd -f -T -p %s.none",
	    o->it.build, o->pass);
	pid = spawn(o, cmd);
	assert_int_equal(wait_exit(pid, 10000), 1);
	snprintf(cmd, sizeof(cmd), "cannot unlock the vault: cannot read "
	    "%s.none: not found; vaultd stops", o->pass);
	assert_true(it_log_has(&o->it, cmd));

	/*
	 * daemonised: the parent says it, with the code; and the home is
	 * free when it returns, so a start tried again at once is not
	 * refused by the one still exiting ("another vaultd")
	 */
	snprintf(cmd, sizeof(cmd), "%s/%s", o->it.home, HOME_LOCK);
	for (i = 0; i < 10; i++) {
		assert_int_equal(sh(o, "%s/vaultd -T -p %s", o->it.build,
		    o->wrong), 6);
		assert_string_equal(o->out, "vaultd: cannot unlock the vault: "
		    "wrong passphrase or keyfile; vaultd stops (with -L it "
		    "would start locked)\n");
		assert_true((fd = open(cmd, O_RDWR | O_CLOEXEC)) != -1);
		if (flock(fd, LOCK_EX | LOCK_NB) != 0)
			fail_msg("try %d: the home is still locked", i + 1);
		close(fd);
	}

	/* -L: up, locked, and the warning */
	assert_int_equal(it_start_args(&o->it, "-TL", "-p", o->wrong), 0);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_out(o, "vault locked");
	assert_true(it_log_has(&o->it, "warning: starting locked (-L): the "
	    "unattended unlock failed: wrong passphrase or keyfile"));
	/* and a locked vault says so, with no restart to wait for */
	assert_int_equal(CTL(o, NULL, "headers l1 --account main"), 5);
	assert_out(o, "the vault is locked: unlock it with vaultctl unlock");
}

/* Daemonised `vaultd -p` returns once unlocked, not before. */
static void
test_daemon_unlocked(void **state)
{
	struct ot	*o = *state;
	struct it_proc	 p[3];
	char		 cmd[512];

	make_vault(o, "interactive");
	snprintf(cmd, sizeof(cmd), "%s/vaultd -T -p %s", o->it.build, o->pass);
	assert_int_equal(sh(o, "%s", cmd), 0);
	assert_string_equal(o->out, "");
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_out(o, "vault unlocked");
	assert_int_equal(it_status(&o->it, p), 0);
	assert_string_equal(p[1].state, "up");
	assert_string_equal(p[2].state, "up");
	stop_daemon(o);
	/* without a credential it returns once the children are up */
	assert_int_equal(sh(o, "%s/vaultd -T", o->it.build), 0);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	assert_out(o, "vault locked");
	assert_int_equal(it_status(&o->it, p), 0);
	assert_string_equal(p[1].state, "up");
	assert_string_equal(p[2].state, "up");
	stop_daemon(o);
}

/* A link's target, or "" if it cannot be read. */
static void
link_of(const char *path, char *buf, size_t len)
{
	ssize_t	n;

	if ((n = readlink(path, buf, len - 1)) < 0)
		n = 0;
	buf[n] = '\0';
}

/*
 * A relative CLOBVAULT_HOME and -p file, taken from the directory vaultd
 * starts in: the daemon works from / (and so do its children), says the
 * home's absolute path, unlocks from the file and serves: a vault write,
 * a signature, a list.
 */
static void
test_relative_home(void **state)
{
	struct ot	*o = *state;
	struct it_proc	 p[3];
	char		 cwd[PATH_MAX], up[PATH_MAX] = "", path[64];
	char		 target[PATH_MAX], want[256];
	const char	*c;

	make_vault(o, "min");
	/* from the test's directory up to / and down again */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	for (c = cwd; *c != '\0'; c++)
		if (*c == '/' && c[1] != '\0')
			strcat(up, "../");
	assert_int_equal(sh(o, "CLOBVAULT_HOME=%s%s %s/vaultd -T -p %s%s",
	    up, o->it.home + 1, o->it.build, up, o->pass + 1), 0);
	assert_string_equal(o->out, "");
	assert_int_equal(it_status(&o->it, p), 0);
	snprintf(path, sizeof(path), "/proc/%llu/cwd",
	    (unsigned long long)p[0].pid);
	link_of(path, target, sizeof(target));
	assert_string_equal(target, "/");
	snprintf(path, sizeof(path), "/proc/%llu/cwd",
	    (unsigned long long)p[2].pid);
	link_of(path, target, sizeof(target));
	assert_string_equal(target, "/");
	assert_int_equal(CTL(o, NULL, "status"), 0);
	snprintf(want, sizeof(want), "\nhome %s (test mode)\nvault unlocked\n",
	    o->it.home);
	assert_out(o, want);
	assert_int_equal(CTL(o, NULL, "wallet generate --account main"), 0);
	assert_int_equal(CTL(o, NULL, "headers l1 --account main"), 0);
	assert_out(o, "OPENFISH_SIGNATURE: 0x");
	assert_int_equal(CTL(o, NULL, "account list"), 0);
	assert_out(o, "main");
	stop_daemon(o);
}

/* Send MSG_CTL_HEADERS_REQ for account main; the error code and text. */
static int64_t
headers_error(struct ot *o, char *text, size_t len)
{
	struct chan	c;
	struct msg_w	w;
	struct msg	m;
	int64_t		code = 0;

	text[0] = '\0';
	if (it_connect(&o->it, &c) != 0)
		return 1;
	it_headers_req(&w, 9, "main", 1, "GET", "/auth/derive-api-key");
	if (chan_send(&c, &w) == 0 && chan_recv(&c, &m) == 0) {
		if (m.type == MSG_ERROR_ANS && msg_get_i64(&m.rd, &code) == 0)
			(void)!msg_get_strbuf(&m.rd, text, len);
		msg_clear(&m);
	}
	chan_free(&c);
	return code;
}

/*
 * What a signing request is told while signerd comes back and vaultd
 * unlocks again: "(re)starting" until signerd is up again (its channel
 * closed, the child reaped, the new one starting), then "unlocking".
 * Both say retry, neither says unlock.  Anything else is printed, and 0.
 */
static int
retry_text(const char *text)
{
	if (strcmp(text, "signerd is (re)starting; retry in a moment") == 0 ||
	    strcmp(text, "the vault is unlocking; retry in a moment") == 0)
		return 1;
	fprintf(stderr, "not a retry: \"%s\"\n", text);
	return 0;
}

/*
 * signerd killed under -p: the vault shows "unlocking" while vaultd
 * unlocks again, and a signing request meanwhile is told to retry, not
 * to unlock.
 */
static void
test_restart_unlocking(void **state)
{
	struct ot	*o = *state;
	struct it_proc	 p[3];
	char		 text[256];
	int64_t		 code, start;
	int		 unlocking = 0, again = 0;

	make_vault(o, "moderate");
	assert_int_equal(it_start_args(&o->it, "-T", "-p", o->pass), 0);
	for (start = it_ms(); it_ms() - start < 20000; it_sleep_ms(20))
		if (CTL(o, NULL, "status") == 0 &&
		    strstr(o->out, "vault unlocked") != NULL)
			break;
	assert_out(o, "vault unlocked");
	assert_int_equal(it_status(&o->it, p), 0);
	kill((pid_t)p[1].pid, SIGKILL);
	code = headers_error(o, text, sizeof(text));
	assert_int_equal(code, CV_ERR_AGAIN);
	assert_true(retry_text(text));
	again = 1;
	for (start = it_ms(); it_ms() - start < 20000; it_sleep_ms(10)) {
		if (CTL(o, NULL, "status") != 0)
			continue;
		if (strstr(o->out, "vault unlocking") != NULL) {
			unlocking = 1;
			code = headers_error(o, text, sizeof(text));
			/*
			 * the unlock may end between status and request, and
			 * its checkpoint be signed when the request comes
			 */
			if (code != CV_ERR_AGAIN) {
				assert_non_null(strstr(text, "no wallet key"));
				continue;
			}
			if (strcmp(text, "the vault is busy for a moment; "
			    "retry") == 0)
				continue;
			assert_true(retry_text(text));
			again = 1;
		}
		if (strstr(o->out, "vault unlocked") != NULL)
			break;
	}
	assert_out(o, "vault unlocked");
	assert_true(unlocking);
	assert_true(again);
	/* once unlocked, the request goes through to signerd */
	code = headers_error(o, text, sizeof(text));
	assert_true(code < 0 && code != CV_ERR_AGAIN && code != CV_ERR_LOCKED);
	assert_non_null(strstr(text, "no wallet key"));
}

/* A datagram socket at path ('@': abstract) to stand in for systemd's. */
static int
notify_socket(const char *path)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	else
		len++;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, len) == -1)
		abort();
	return fd;
}

/* The next datagram within ms into buf; its length, or -1. */
static int
notify_recv(int fd, char *buf, size_t len, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	ssize_t		n;

	if (poll(&pfd, 1, ms) != 1 ||
	    (n = recv(fd, buf, len - 1, 0)) < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* READY=1 once unlocked (with -p) or up (without), STOPPING=1 at TERM. */
static void
test_notify(void **state)
{
	struct ot	*o = *state;
	char		 path[128], cmd[1024], buf[512];
	pid_t		 pid;
	int		 fd, n;

	make_vault(o, "interactive");
	snprintf(path, sizeof(path), "%s.notify", o->it.home);
	fd = notify_socket(path);
	snprintf(cmd, sizeof(cmd), "NOTIFY_SOCKET=%s exec %s/vaultd -f -T "
	    "-p %s", path, o->it.build, o->pass);
	pid = spawn(o, cmd);
	while ((n = notify_recv(fd, buf, sizeof(buf), 10000)) > 0 &&
	    strstr(buf, "READY=1") == NULL)
		assert_null(strstr(buf, "READY"));
	assert_true(n > 0);
	assert_string_equal(buf, "READY=1\nSTATUS=ready; the vault is "
	    "unlocked");
	assert_int_equal(CTL(o, NULL, "status"), 0);	/* no waiting */
	assert_out(o, "vault unlocked");
	kill(pid, SIGTERM);
	assert_true(notify_recv(fd, buf, sizeof(buf), 5000) > 0);
	assert_string_equal(buf, "STOPPING=1");
	assert_int_equal(wait_exit(pid, 5000), 0);
	close(fd);
	unlink(path);

	/* abstract, no credential: ready when the children are */
	snprintf(path, sizeof(path), "@cvit-notify-%ld", (long)getpid());
	fd = notify_socket(path);
	snprintf(cmd, sizeof(cmd), "NOTIFY_SOCKET=%s exec %s/vaultd -f -T",
	    path, o->it.build);
	pid = spawn(o, cmd);
	while ((n = notify_recv(fd, buf, sizeof(buf), 10000)) > 0 &&
	    strstr(buf, "READY=1") == NULL)
		;
	assert_true(n > 0);
	assert_string_equal(buf, "READY=1\nSTATUS=ready; the vault is "
	    "locked");
	kill(pid, SIGTERM);
	assert_int_equal(wait_exit(pid, 5000), 0);
	close(fd);

	/* a failed start says why, and never READY=1 */
	snprintf(path, sizeof(path), "%s.notify", o->it.home);
	fd = notify_socket(path);
	snprintf(cmd, sizeof(cmd), "NOTIFY_SOCKET=%s exec %s/vaultd -f -T "
	    "-p %s", path, o->it.build, o->wrong);
	pid = spawn(o, cmd);
	assert_int_equal(wait_exit(pid, 10000), 6);
	while (notify_recv(fd, buf, sizeof(buf), 100) > 0)
		assert_null(strstr(buf, "READY=1"));
	close(fd);
	unlink(path);
}

/* Whether this kernel gives Landlock: what vaultd asks on netd's behalf. */
static int
have_landlock(void)
{
	return syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) >= 0;
}

/* Whether this process may make namespaces (root with CAP_SYS_ADMIN). */
static int
have_sys_admin(void)
{
	char			 line[256];
	unsigned long long	 eff = 0;
	FILE			*f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "CapEff:", 7) == 0)
			eff = strtoull(line + 7, NULL, 16);
	fclose(f);
	return (eff & (1ULL << 21)) != 0;	/* CAP_SYS_ADMIN */
}

/* How often s is in t's log. */
static int
log_count(struct it *t, const char *s)
{
	char	*log, *p;
	size_t	 len;
	int	 n = 0;

	if ((log = it_slurp(t->log, &len)) == NULL)
		return 0;
	for (p = log; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	free(log);
	return n;
}

/*
 * vaultctl status of t's vaultd, in o->out, against the text it must be:
 * the version line, home, vault, the table (pids from it_status, each
 * uptime as printed) with signerd's and netd's sandbox texts, then the
 * lines of the layers missing (gaps, "" for none).
 */
static void
status_is(struct ot *o, struct it *t, const char *signerd_sb,
    const char *netd_sb, const char *gaps)
{
	static const char	*names[3] = { "vaultd", "signerd", "netd" };
	struct it_proc		 p[3];
	unsigned long long	 up[3];
	const char		*sb[3] = { "supervisor, no seccomp, nnp" };
	char			 want[4096], *line;
	size_t			 i, off;

	sb[1] = signerd_sb;
	sb[2] = netd_sb;
	setenv("CLOBVAULT_HOME", t->home, 1);
	assert_int_equal(it_status(t, p), 0);
	assert_int_equal(CTL(o, NULL, "status"), 0);
	/* the uptimes as printed: the rest is exact */
	line = o->out;
	for (i = 0; i < 4 && line != NULL; i++)
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	for (i = 0; i < 3; i++) {
		if (line == NULL || sscanf(line, "%*s %*s %*u %llus", &up[i])
		    != 1)
			fail_msg("no row for %s in:\n%s", names[i], o->out);
		if ((line = strchr(line, '\n')) != NULL)
			line++;
	}
	off = (size_t)snprintf(want, sizeof(want), "version vaultd %s, "
	    "vaultctl %s\nhome %s (test mode)\nvault none\n"
	    "PROCESS  STATE        PID    UPTIME RESTARTS  SANDBOX\n",
	    CLOBVAULT_VERSION, CLOBVAULT_VERSION, t->home);
	for (i = 0; i < 3; i++)
		off += (size_t)snprintf(want + off, sizeof(want) - off,
		    "%-8s up       %7llu %8llus        0  %s\n", names[i],
		    (unsigned long long)p[i].pid, up[i], sb[i]);
	snprintf(want + off, sizeof(want) - off, "%s", gaps);
	assert_string_equal(o->out, want);
}

/*
 * Start vaultd -f -T in t's home, as uid and gid (no supplementary
 * groups; the home made theirs) unless uid is (uid_t)-1, and with
 * nolandlock as on a kernel without Landlock: landlock_create_ruleset
 * fails ENOSYS for vaultd and its children.  0 once both are up.
 */
static int
start_as(struct it *t, uid_t uid, gid_t gid, int nolandlock)
{
	struct it_proc	 procs[3];
	scmp_filter_ctx	 ctx;
	char		 path[300];
	int		 fd;

	snprintf(path, sizeof(path), "%s/vaultd", t->build);
	if (uid != (uid_t)-1 && chown(t->home, uid, gid) == -1)
		return -1;
	if ((t->vaultd = fork()) == -1)
		return -1;
	if (t->vaultd == 0) {
		fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
			_exit(126);
		if (uid != (uid_t)-1 && (setgroups(0, NULL) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1))
			_exit(126);
		if (nolandlock && ((ctx = seccomp_init(SCMP_ACT_ALLOW)) ==
		    NULL || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
		    SCMP_SYS(landlock_create_ruleset), 0) != 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    seccomp_load(ctx) != 0))
			_exit(126);
		setenv("CLOBVAULT_HOME", t->home, 1);
		execl(path, "vaultd", "-f", "-T", (char *)NULL);
		_exit(127);
	}
	return it_wait_up(t, procs, 0, 0, 5000) < 0 ? -1 : 0;
}

/* Whether uid can run path (a build tree under /root may be closed). */
static int
can_run_as(uid_t uid, const char *path)
{
	pid_t	pid;
	int	st;

	if ((pid = fork()) == 0)
		_exit(setresuid(uid, uid, uid) == 0 && access(path, X_OK) == 0 ?
		    0 : 1);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

/* the build tree's children are readable: dumpable from their execve */
#define UNREADABLE							\
	"no unreadable program (vaultd's user can read it: install it "	\
	"root's, 0711)"
#define NOT_ROOT_SIGNERD						\
	"no chroot (vaultd is not root); no network namespace (vaultd is " \
	"not root); no mount namespace (vaultd is not root); no "	\
	"unprivileged user (vaultd is not root); " UNREADABLE
#define NOT_ROOT_GAPS							\
	"signerd: no chroot (vaultd is not root)\n"			\
	"signerd: no network namespace (vaultd is not root)\n"		\
	"signerd: no mount namespace (vaultd is not root)\n"		\
	"signerd: no unprivileged user (vaultd is not root)\n"		\
	"signerd: " UNREADABLE "\n"

/*
 * A vaultd that is not root: exact status (signerd without chroot,
 * namespaces or a user of its own, netd without its own user), --json,
 * and one warning in the log for each start of each child.
 */
static void
status_not_root(struct ot *o, struct it *t, uid_t uid, const char *ll_gap)
{
	struct it_proc	 p[3];
	char		 sb[2][128], gaps[1024], warn[512];
	json_t		*j, *procs, *miss;
	uint64_t	 old;

	snprintf(sb[0], sizeof(sb[0]), "seccomp=filter nnp=1 uid=%u",
	    (unsigned)uid);
	snprintf(sb[1], sizeof(sb[1]), "seccomp=filter nnp=1 uid=%u%s",
	    (unsigned)uid, ll_gap[0] == '\0' ? " landlock" : "");
	snprintf(gaps, sizeof(gaps), NOT_ROOT_GAPS "%snetd: no unprivileged "
	    "user (vaultd is not root)\nnetd: " UNREADABLE "\n", ll_gap);
	status_is(o, t, sb[0], sb[1], gaps);

	assert_int_equal(CTL(o, NULL, "--json status"), 0);
	assert_non_null(j = json_loads(o->out, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "version")),
	    CLOBVAULT_VERSION);
	procs = json_object_get(j, "processes");
	assert_int_equal(json_array_size(json_object_get(json_array_get(procs,
	    0), "missing")), 0);
	miss = json_object_get(json_array_get(procs, 1), "missing");
	assert_int_equal(json_array_size(miss), 5);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(miss, 0), "layer")), "chroot");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(miss, 0), "why")), "vaultd is not root");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(miss, 3), "layer")), "unprivileged user");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(miss, 4), "layer")), "unreadable program");
	miss = json_object_get(json_array_get(procs, 2), "missing");
	assert_int_equal(json_array_size(miss), ll_gap[0] == '\0' ? 2 : 3);
	json_decref(j);

	/* the log: one warning a start, again when signerd restarts */
	assert_int_equal(it_status(t, p), 0);
	snprintf(warn, sizeof(warn), "]: warning: signerd (pid %llu) sandbox "
	    "incomplete: " NOT_ROOT_SIGNERD "\n", (unsigned long long)p[1].pid);
	assert_int_equal(log_count(t, warn), 1);
	assert_int_equal(log_count(t, "]: warning: netd (pid "), 1);
	old = p[1].pid;
	assert_int_equal(kill((pid_t)old, SIGKILL), 0);
	assert_true(it_wait_up(t, p, old, 0, 5000) >= 0);
	snprintf(warn, sizeof(warn), "]: warning: signerd (pid %llu) sandbox "
	    "incomplete: " NOT_ROOT_SIGNERD "\n", (unsigned long long)p[1].pid);
	assert_int_equal(log_count(t, warn), 1);
	assert_int_equal(log_count(t, "sandbox incomplete"), 3);
}

#define NO_LANDLOCK	"netd: no Landlock (the kernel has no Landlock ABI)\n"

/*
 * vaultctl status: vaultd's version beside vaultctl's, and each sandbox
 * layer a child runs without, named with why.  As root: the layers
 * present (namespaces where vaultd may make them, Landlock where the
 * kernel has it); then vaultd as another uid, or, not root, vaultd as
 * the test's user: no chroot, namespaces or user of its own.  And
 * either way vaultd on a kernel without Landlock (a seccomp filter
 * answers ENOSYS for it): netd without it.
 */
static void
test_status_sandbox(void **state)
{
	struct ot	*o = *state;
	struct it	 u;
	struct it_proc	 p[3];
	char		 sb[2][128], gaps[512], ll_gap[128] = "", ns[64] = "";
	char		 path[300], nsgaps[256] = "";
	int		 sysadmin;

	if (!have_landlock())
		snprintf(ll_gap, sizeof(ll_gap), "netd: no Landlock (%s)\n",
		    errno == ENOSYS ? "the kernel has no Landlock ABI" :
		    "Landlock is disabled in the kernel (lsm= at boot)");
	if (geteuid() != 0) {
		assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
		status_not_root(o, &o->it, geteuid(), ll_gap);
		it_init(&u);
		assert_int_equal(start_as(&u, (uid_t)-1, 0, 1), 0);
		status_not_root(o, &u, geteuid(), NO_LANDLOCK);
		it_cleanup(&u);
		setenv("CLOBVAULT_HOME", o->it.home, 1);
		return;
	}

	/* root: chroot and the drop; namespaces if vaultd may make them */
	assert_int_equal(it_start_args(&o->it, "-T", NULL, NULL), 0);
	assert_int_equal(it_status(&o->it, p), 0);
	assert_int_not_equal(p[1].uid, 0);
	assert_int_not_equal(p[2].uid, 0);
	sysadmin = have_sys_admin();
	if (!sysadmin || !p[1].netns) {
		snprintf(ns, sizeof(ns), "%s", sysadmin ?
		    "the kernel refused it" : "vaultd has no CAP_SYS_ADMIN");
		snprintf(nsgaps, sizeof(nsgaps), "signerd: no network "
		    "namespace (%s)\nsignerd: no mount namespace (%s)\n", ns,
		    ns);
	}
	snprintf(sb[0], sizeof(sb[0]), "seccomp=filter nnp=1 uid=%llu "
	    "chroot%s", (unsigned long long)p[1].uid, ns[0] == '\0' ?
	    " netns mntns" : "");
	snprintf(sb[1], sizeof(sb[1]), "seccomp=filter nnp=1 uid=%llu%s",
	    (unsigned long long)p[2].uid, ll_gap[0] == '\0' ? " landlock" :
	    "");
	snprintf(gaps, sizeof(gaps), "%s%s", nsgaps, ll_gap);
	status_is(o, &o->it, sb[0], sb[1], gaps);
	/* a warning for each child that lacks a layer, none otherwise */
	assert_int_equal(log_count(&o->it, "]: warning: signerd (pid "),
	    ns[0] != '\0');
	assert_int_equal(log_count(&o->it, "]: warning: netd (pid "),
	    ll_gap[0] != '\0');
	assert_int_equal(it_stop(&o->it, 3000), 0);

	/* root on a kernel without Landlock: netd lacks it, and says so */
	it_init(&u);
	assert_int_equal(start_as(&u, (uid_t)-1, 0, 1), 0);
	snprintf(sb[1], sizeof(sb[1]), "seccomp=filter nnp=1 uid=%llu",
	    (unsigned long long)p[2].uid);
	snprintf(gaps, sizeof(gaps), "%s" NO_LANDLOCK, nsgaps);
	status_is(o, &u, sb[0], sb[1], gaps);
	assert_int_equal(it_status(&u, p), 0);
	snprintf(path, sizeof(path), "]: warning: netd (pid %llu) sandbox "
	    "incomplete: no Landlock (the kernel has no Landlock ABI)\n",
	    (unsigned long long)p[2].pid);
	assert_int_equal(log_count(&u, path), 1);
	it_cleanup(&u);

	/* the same vaultd as a user with no privilege: layers missing */
	snprintf(path, sizeof(path), "%s/vaultd", o->it.build);
	if (!can_run_as(64999, path)) {
		print_message("skipped: uid 64999 cannot run %s\n", path);
		setenv("CLOBVAULT_HOME", o->it.home, 1);
		return;
	}
	it_init(&u);
	assert_int_equal(start_as(&u, 64999, 64999, 0), 0);
	status_not_root(o, &u, 64999, ll_gap);
	it_cleanup(&u);
	setenv("CLOBVAULT_HOME", o->it.home, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_good, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_secret_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_bad, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conf_home, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relative_home, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_start_home, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unlock_failed_home, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_start_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused_start_made, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_socket_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sighup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_max_size, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cpu_latency, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wrong_credential, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_daemon_unlocked, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_restart_unlocking, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_sandbox, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
