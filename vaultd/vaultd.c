/*
 * vaultd: clobvault's parent and supervisor.  It owns $CLOBVAULT_HOME,
 * starts signerd and netd over socketpairs, restarts a child that dies
 * or misbehaves, and serves vaultctl on the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <sodium.h>

#include "common/child.h"
#include "common/home.h"
#include "common/log.h"
#include "common/pages.h"
#include "common/privsep.h"
#include "common/utf8.h"
#include "common/version.h"
#include "vaultd/vaultd.h"

#define VAULTD_STOP_GRACE_MS	3000

/* a start not yet ready, and whether it made its home (home_unmake) */
static struct vaultd	*home_start;
static int		 home_made;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vaultd [-dfLnT] [-c conffile] [-g group] "
	    "[-l logfile] [-u user]\n"
	    "              [-p passfile | -k keyfile] [--gateway addr:port]\n"
	    "              [--cpu-latency usec]\n"
	    "              [-W workers] [-t secs] [-N netd] [-D secs] "
	    "[-S bytes]\n"
	    "              [-I secs] [-J bytes] [-M slots] [-R n] [-Q n] "
	    "[-V secs]\n"
	    "              [-X secs] [-K work] [-B n]\n"
	    "       vaultd --version\n"
	    "  -c file  the configuration file (default %s, if it exists;\n"
	    "           none in test mode)\n"
	    "  -n       check the configuration and the home, then exit\n"
	    "  -f       stay in the foreground, log to standard error\n"
	    "  -l file  log to this file (reopened on SIGHUP)\n"
	    "  -d       debug logging\n"
	    "  -g group the control socket admits this group's members too\n"
	    "  -p file  unlock the vault unattended with this passphrase\n"
	    "  -k file  unlock the vault unattended with this keyfile\n"
	    "  -L       if the unattended unlock fails, start locked\n"
	    "  --gateway 127.0.0.1:PORT  also serve the gateway there "
	    "(or [::1]:PORT;\n"
	    "           repeatable; port 0: any, see run/gateway.addr)\n"
	    "  --cpu-latency usec  keep idle cores within usec of waking "
	    "while vaultd\n"
	    "           runs (/dev/cpu_dma_latency; costs idle power)\n"
	    "  -u user  unprivileged user for the children (default clobvault,\n"
	    "           or nobody if there is no such user)\n"
	    "  -W n     signerd's signing threads, 1-%d (default: one per "
	    "core)\n"
	    "  -T       test mode: accept sandbox test probes\n"
	    "  -t secs  test mode: netd's time-out for one request, 1-600\n"
	    "  -V secs  test mode: netd's wait for vaultd's answer to a "
	    "gateway request,\n"
	    "           1-600\n"
	    "  -N path  test mode: run this program as netd\n"
	    "  -D secs  test mode: the deadline of one exchange call\n"
	    "  -I secs  test mode: a control client's idle time-out\n"
	    "  -X secs  test mode: how long signerd may owe answers and "
	    "give none\n"
	    "  -K work  test mode: the Argon2id work (passes x bytes) for "
	    "which a key\n"
	    "           derivation has twelve times that (default 4 GiB)\n"
	    "  -S bytes test mode: the audit log's segment size\n"
	    "  -J bytes test mode: the audit journal's size\n"
	    "  -M slots test mode: the gateway's replay table's largest size\n"
	    "  -R n     test mode: a client's signatures in the gateway's "
	    "replay window\n"
	    "  -Q n     test mode: the replay window counts n clients' "
	    "signatures,\n"
	    "           their key ids' hashes colliding\n"
	    "State lives in $CLOBVAULT_HOME (default the configuration's home,\n"
	    "else ~/.clobvault).\n", VAULTD_CONF_DEFAULT, CHILD_WORKERS_MAX);
	exit(2);
}

/* A test mode number: 1 to 10 digits, from min to max; else usage. */
static uint64_t
test_number(const char *arg, uint64_t min, uint64_t max)
{
	uint64_t	n;

	if (strlen(arg) < 1 || strlen(arg) > 10 ||
	    strspn(arg, "0123456789") != strlen(arg) ||
	    (n = strtoull(arg, NULL, 10)) < min || n > max)
		usage();
	return n;
}

int64_t
vaultd_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The directory holding vaultd's own executable, where the children are. */
static void
exe_dir(char *buf, size_t len)
{
	ssize_t	 n;
	char	*slash;

	if ((n = readlink("/proc/self/exe", buf, len - 1)) == -1)
		fatal("readlink /proc/self/exe");
	buf[n] = '\0';
	if ((slash = strrchr(buf, '/')) == NULL)
		fatalx("odd executable path %s", buf);
	*slash = '\0';
}

/*
 * Point standard error, where vaultd logs, at path (appended, 0600).
 * -1 if it cannot be opened or is not vaultd's own (vaultd_log_bad),
 * why set, errno too; the old log stays.  Never through a symbolic
 * link: vaultd may be root, and a link someone put where the log goes
 * would have it append to any file.
 */
static int
log_open(const char *path, char *why, size_t len)
{
	struct stat	st;
	int		fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW | O_NONBLOCK, 0600);	/* no wait at a FIFO */
	if (fd == -1) {
		saved = errno;
		if (saved != ELOOP || vaultd_log_bad(path, why, len) == 0)
			snprintf(why, len, "cannot open the log %s: %s", path,
			    strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		snprintf(why, len, "cannot open the log %s: %s", path,
		    strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	if (vaultd_log_bad_st(&st, path, why, len) != 0) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) == -1) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

/*
 * The parent of a daemon waits for the daemon's word on fd: 'R', ready
 * (unlocked, if it unlocks by itself); or 'E', an exit code and why it
 * stopped; or nothing (it died).  So `vaultd -p FILE` returns 0 only
 * once the vault is unlocked.
 */
static void __attribute__((noreturn))
daemon_wait(int fd, const char *logpath)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[320];
	size_t		got = 0;
	ssize_t		n;
	int64_t		end = vaultd_now_ms() + VAULTD_READY_WAIT_MS, left;
	int		r;

	for (;;) {
		if ((left = end - vaultd_now_ms()) <= 0) {
			fprintf(stderr, "vaultd: not ready after %d s; it goes "
			    "on starting in the background (see %s)\n",
			    VAULTD_READY_WAIT_MS / 1000, logpath);
			_exit(1);
		}
		if ((r = poll(&pfd, 1, (int)left)) <= 0) {
			if (r == -1 && errno != EINTR)
				break;
			continue;
		}
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((got += (size_t)n) == sizeof(buf) - 1)
			break;
	}
	if (got >= 1 && buf[0] == 'R')
		_exit(0);
	if (got >= 2 && buf[0] == 'E') {
		/* the daemon's fatal text: a path, signerd's words */
		buf[2 + utf8_clean(buf + 2, got - 2)] = '\0';
		fprintf(stderr, "vaultd: %s\n", buf + 2);
		_exit((unsigned char)buf[1]);
	}
	fprintf(stderr, "vaultd: failed to start; see %s\n", logpath);
	_exit(1);
}

/*
 * Detach from the terminal and log to vd->logpath.  The parent returns
 * only when the daemon says it is ready (or failed), so `vaultd &&
 * vaultctl status` works; the daemon gets the pipe to say it on.
 */
static int
daemonize(struct vaultd *vd)
{
	char	why[PATH_MAX + 128];
	int	pfd[2], fd;
	pid_t	pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(pfd[1]);
		daemon_wait(pfd[0], vd->logpath);
	}
	close(pfd[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (log_open(vd->logpath, why, sizeof(why)) == -1)
		fatalx("%s", why);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return pfd[1];
}

/*
 * systemd's notification protocol, all of it vaultd needs: one datagram
 * of "KEY=value" lines to the AF_UNIX socket $NOTIFY_SOCKET names (an
 * abstract one if it starts with '@').  Read once, at start.
 */
static struct sockaddr_un	notify_sun;
static socklen_t		notify_len;

static void
notify_init(void)
{
	const char	*e = getenv("NOTIFY_SOCKET");
	size_t		 n;

	if (e == NULL || (e[0] != '/' && e[0] != '@'))
		return;
	if ((n = strlen(e)) >= sizeof(notify_sun.sun_path) || n < 2) {
		log_warnx("$NOTIFY_SOCKET is too long; systemd will not hear "
		    "that vaultd is ready");
		return;
	}
	memset(&notify_sun, 0, sizeof(notify_sun));
	notify_sun.sun_family = AF_UNIX;
	memcpy(notify_sun.sun_path, e, n);
	if (e[0] == '@')
		notify_sun.sun_path[0] = '\0';
	notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (e[0] == '/'));
}

void
vaultd_notify(const char *fixed, const char *fmt, ...)
{
	va_list	ap;
	char	buf[512];
	size_t	f = strlen(fixed);
	int	fd, n = 0;

	if (notify_len == 0 || f >= sizeof(buf))
		return;
	memcpy(buf, fixed, f);
	if (fmt != NULL) {
		va_start(ap, fmt);
		n = vsnprintf(buf + f, sizeof(buf) - f, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n >= sizeof(buf) - f)
			n = (int)(sizeof(buf) - f - 1);
		/*
		 * The text is one value: a newline in it (a peer's error)
		 * would be an assignment of its own, READY=1 or MAINPID=;
		 * and systemctl shows it on a terminal, as the log.
		 */
		n = (int)utf8_clean(buf + f, (size_t)n);
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, buf, f + (size_t)n, MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_sun, notify_len) == -1)
		log_debug("cannot notify systemd: %s", strerror(errno));
	close(fd);
}

static void
vaultd_signals(struct vaultd *vd)
{
	sigset_t	set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		fatal("sigprocmask");
	if ((vd->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		fatal("signalfd");
}

static void
vaultd_reap(struct vaultd *vd)
{
	pid_t	pid;
	int	status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_reaped(vd, pid, status);
}

/* Stop: the children first (SIGTERM, then SIGKILL after the grace). */
static void
vaultd_stop(struct vaultd *vd)
{
	size_t	i;

	if (vd->stopping)
		return;
	vd->stopping = 1;
	vaultd_notify("STOPPING=1", NULL);
	for (i = 0; i < CHILD_NUM; i++)
		if (vd->children[i].pid > 0)
			kill(vd->children[i].pid, SIGTERM);
}

/* SIGHUP: a log file that was renamed away starts anew. */
static void
vaultd_log_reopen(struct vaultd *vd)
{
	char	why[PATH_MAX + 128];

	if (vd->logpath[0] == '\0') {
		log_info("SIGHUP: logging to standard error; no log file to "
		    "reopen");
		return;
	}
	log_info("SIGHUP: reopening the log %s", vd->logpath);
	if (log_open(vd->logpath, why, sizeof(why)) == -1)
		log_warnx("SIGHUP: %s; logging on to the old file", why);
	else
		log_info("SIGHUP: log reopened");
}

static void
vaultd_signal(struct vaultd *vd)
{
	struct signalfd_siginfo	si;

	while (read(vd->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			vaultd_reap(vd);
			break;
		case SIGTERM:
		case SIGINT:
			if (vd->stopping)
				break;
			log_info("signal %d: stopping", (int)si.ssi_signo);
			vaultd_stop(vd);
			break;
		case SIGHUP:
			vaultd_log_reopen(vd);
			break;
		}
	}
}

/* A start that cannot go on: say why, to the log and whoever waits. */
static void __attribute__((format(printf, 3, 4)))
vaultd_start_failed(struct vaultd *vd, int code, const char *fmt, ...)
{
	va_list	ap;

	if (vd->stopping)
		return;
	va_start(ap, fmt);
	vsnprintf(vd->start_error, sizeof(vd->start_error), fmt, ap);
	va_end(ap);
	log_warnx("%s", vd->start_error);
	vd->exit_code = code;
	vaultd_notify("STATUS=", "%s", vd->start_error);
	vaultd_stop(vd);
}

/*
 * The home goes to the socket group only once the start is ready: a
 * refused start leaves it as it was.  That is after the unattended
 * unlock, which can still stop the start (a wrong or unreadable -p or
 * -k file): given when vaultd listened, a home was left 0710 and the
 * group's by a start that failed there.  Nothing needs the group to
 * pass before: its members wait for the start as everyone does (the
 * daemon's parent returns, and systemd hears READY=1, only now).  0, or
 * -1 with the start failed (vaultd stops).
 */
static int
home_give(struct vaultd *vd)
{
	char	why[400];

	if (!vd->have_sock_gid || conf_home_check(vd->home, &vd->sock_gid,
	    CONF_HOME_GIVE, why, sizeof(why)) == 0)
		return 0;
	vaultd_start_failed(vd, 1, "%s", why);
	return -1;
}

/*
 * Ready: both children up with their sandboxes seen and, if vaultd
 * unlocks by itself, its first unlock ended.  The waiting parent and
 * systemd hear it once.
 */
static void
vaultd_ready_check(struct vaultd *vd)
{
	if (vd->ready || vd->stopping)
		return;
	if (!child_ready(SIGNERD(vd)) || !child_ready(NETD(vd)))
		return;
	if (vd->unattended && !vd->unattended_done && vault_exists(vd))
		return;
	if (home_give(vd) != 0)
		return;
	vd->ready = 1;
	home_start = NULL;	/* it serves: what it made is the home's now */
	log_info("ready: the vault is %s", vault_state(vd));
	vaultd_notify("READY=1\nSTATUS=", "ready; the vault is %s",
	    vault_state(vd));
	if (vd->ready_fd != -1) {
		(void)!write(vd->ready_fd, "R", 1);
		close(vd->ready_fd);
		vd->ready_fd = -1;
	}
}

/*
 * The exit code of a start whose unattended unlock failed, as vaultctl
 * gives it for the same error: 6 a wrong credential, 7 a vault or log
 * tampered with, damaged, of an unknown format or put back to an older
 * copy (none of which a restart mends: the unit does not restart on
 * them), else 1.
 */
static int
unattended_exit(int code)
{
	switch (code) {
	case CV_ERR_BADPASS:
		return 6;
	case CV_ERR_TAMPERED:
	case CV_ERR_BADSIG:
	case CV_ERR_CORRUPT:
	case CV_ERR_FORMAT_VERSION:
	case CV_ERR_ROLLBACK:
		return 7;
	default:
		return 1;
	}
}

void
vaultd_unattended_done(struct vaultd *vd, int code, const char *why)
{
	int	first = !vd->unattended_done;

	if (code == CV_ERR_NOTRUNNING)
		return;		/* signerd died first: it tries again when back */
	vd->unattended_done = 1;
	vd->unattended_failed = code != 0;
	if (code == 0) {
		if (vd->ready)
			vaultd_notify("STATUS=", "ready; the vault is "
			    "unlocked");
		vaultd_ready_check(vd);
		return;
	}
	if (!first || vd->ready) {
		log_warnx("the vault stays locked: %s", why);
		vaultd_notify("STATUS=", "the vault stays locked: %s",
		    why);
		return;
	}
	if (vd->start_locked) {
		log_warnx("starting locked (-L): the unattended unlock failed: "
		    "%s", why);
		vaultd_ready_check(vd);
		return;
	}
	vaultd_start_failed(vd, unattended_exit(code), "cannot unlock the "
	    "vault: %s; vaultd stops (with -L it would start locked)", why);
}

/*
 * A child shook hands and vaultd saw its sandbox: features may use it.
 * A child is gone: what it was doing fails, and each feature says so to
 * whoever waits.
 */
void
vaultd_child_up(struct vaultd *vd, enum child_id id)
{
	if (id == CHILD_SIGNERD)
		vault_signerd_up(vd);
	vaultd_ready_check(vd);
}

void
vaultd_child_lost(struct vaultd *vd, enum child_id id)
{
	switch (id) {
	case CHILD_SIGNERD:
		vaultd_sign_lost(vd);
		vault_signerd_lost(vd);
		break;
	case CHILD_NETD:
		vaultd_call_netd_lost(vd);
		vaultd_gw_netd_lost(vd);
		break;
	default:
		break;
	}
}

/*
 * cpu-latency: ask the kernel (PM QoS) to keep idle cores within
 * vd->cpu_latency microseconds of waking while vaultd runs.  The request
 * lasts as long as the descriptor stays open, so it ends when vaultd
 * does, however it ends.  A lone request wakes a sleeping daemon at
 * every hop; on a core that halted, that wake-up is most of its latency
 * (README.md, "Performance").  Fatal if it cannot be held: the
 * operator asked for it.
 */
static void
cpu_latency_hold(struct vaultd *vd)
{
	int32_t	v;

	if (vd->cpu_latency < 0)
		return;
	v = vd->cpu_latency;
	if ((vd->cpu_latency_fd = open(VAULTD_CPU_LATENCY_DEV,
	    O_WRONLY | O_CLOEXEC)) == -1)
		fatal("cpu-latency: %s", VAULTD_CPU_LATENCY_DEV);
	if (write(vd->cpu_latency_fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		fatal("cpu-latency: write %s", VAULTD_CPU_LATENCY_DEV);
	log_info("idle cores kept within %d us of waking (cpu-latency)",
	    vd->cpu_latency);
}

static int
children_gone(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < CHILD_NUM; i++)
		if (vd->children[i].state != CHILD_DOWN)
			return 0;
	return 1;
}

/*
 * While signing goes on, the deadline moves on; once signing has been
 * idle VAULTD_TRIM_MS, the heap a burst grew and freed goes back to the
 * kernel.
 */
static void
memory_tick(struct vaultd *vd, int64_t now)
{
	if (vaultd_sign_busy(vd)) {
		vd->trim_at = now + VAULTD_TRIM_MS;
		return;
	}
	if (vd->trim_at == 0 || now < vd->trim_at)
		return;
	vd->trim_at = 0;
	(void)malloc_trim(0);
}

/*
 * One vaultd a home, taken before anything in it is touched.  A second
 * vaultd used to learn that another served the home only at its control
 * socket, after opening the audit log: by then it had moved the journal
 * to a new epoch under the running one, whose frames a crash of the
 * machine would then no longer bring back.  The lock is the open file's:
 * it survives the fork into the background and goes when vaultd exits;
 * signerd and netd do not inherit it.
 */
static int	home_lock_fd = -1;

static void
home_lock(const struct vaultd *vd)
{
	char	path[PATH_MAX];
	int	fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vd->home,
	    HOME_LOCK) >= sizeof(path))
		fatalx("CLOBVAULT_HOME path too long");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY, 0600)) == -1)
		fatal("cannot open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		home_lock_fd = fd;	/* open while vaultd runs */
		return;
	}
	if (errno == EWOULDBLOCK)
		fatalx("another vaultd is already running with the home %s",
		    vd->home);
	fatal("cannot lock %s", path);
}

/*
 * The home is another vaultd's to take from now: before the parent
 * waiting for a daemon hears that the start failed, so that a start
 * tried again at once is not refused by a vaultd that is only exiting.
 */
static void
home_unlock(void)
{
	if (home_lock_fd != -1)
		close(home_lock_fd);
	home_lock_fd = -1;
}

/*
 * A start that is refused before it is ready takes away what it made in
 * the home, and nothing else.  Every start made its sockets and
 * run/gateway.addr (a home that existed kept them after a gateway port
 * taken or a home that could not be given to the socket group, where a
 * vaultd that stops removes them); a start that made the home made the
 * rest too: a gateway port taken, a cpu-latency it cannot hold used to
 * leave a new home with its lock, sockets, empty audit log and 8 MiB
 * journal, where the operator had only asked for a start that failed.
 * Armed once vaultd holds the home's lock (so no other vaultd is in it:
 * a name there is this start's or a dead vaultd's), disarmed once it is
 * ready; run at exit (fatal() exits) and by a start that stops before it
 * is ready (vaultd_start_failed, a signal).  Only the names vaultd makes
 * are removed, the directories only if then empty: a log file in the
 * home (the daemon's, which its parent says to read) stays, and so does
 * the home with it; so do audit.log and its journal once they hold a
 * record (a vault made meanwhile by vaultctl init).  The lock goes last,
 * after everything that a vaultd taking it next would make.
 */
static void
home_unmake(void)
{
	struct vaultd	*vd = home_start;
	char		 path[PATH_MAX];

	if (vd == NULL)
		return;
	home_start = NULL;
	if (vd->listen_fd != -1)
		(void)unlink(vd->sockpath);
	if (vd->gw.nfds > 0)		/* the first is the socket's */
		(void)unlink(vd->gw.sockpath);
	if (vd->gw.addrpath[0] != '\0')
		(void)unlink(vd->gw.addrpath);
	if (!home_made)
		return;
	if (vd->chain.seq == 0) {
		if (vd->auditpath[0] != '\0')
			(void)unlink(vd->auditpath);
		if (vd->wal.path[0] != '\0')
			(void)unlink(vd->wal.path);
	}
	(void)rmdir(vd->emptydir);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", vd->home,
	    HOME_LOCK) < sizeof(path))
		(void)unlink(path);
	if ((size_t)snprintf(path, sizeof(path), "%s/run", vd->home) <
	    sizeof(path))
		(void)rmdir(path);
	(void)rmdir(vd->home);
}

/*
 * Tell the parent waiting for a daemon that the start failed, and why
 * (vd->start_error, else a signal stopped it first).
 */
static void
ready_failed(struct vaultd *vd)
{
	char	msg[320];
	size_t	n;

	if (vd->ready_fd == -1)
		return;
	n = (size_t)snprintf(msg, sizeof(msg), "E%c%s",
	    vd->exit_code != 0 ? vd->exit_code : 1,
	    vd->start_error[0] != '\0' ? vd->start_error :
	    "stopped by a signal before it was ready");
	(void)!write(vd->ready_fd, msg, n < sizeof(msg) ? n :
	    sizeof(msg) - 1);
	close(vd->ready_fd);
	vd->ready_fd = -1;
}

/*
 * A fatal error while the daemon's parent still waits (the gateway's
 * address taken, the audit log not writable): the parent says why, not
 * only where the log is.  Run at exit (fatal() exits); a start that
 * ended otherwise has told it already.
 */
static struct vaultd	*ready_vd;
static pthread_t	 ready_thread;	/* the one that owns ready_fd */

static void
ready_at_exit(void)
{
	struct vaultd	*vd = ready_vd;

	/*
	 * Another thread's fatal() (the audit syncer's) runs this beside
	 * the main thread, which may be closing ready_fd, and the number
	 * reused: the parent then hears the end of the pipe instead.
	 */
	if (vd == NULL || vd->ready_fd == -1 ||
	    !pthread_equal(pthread_self(), ready_thread))
		return;
	/*
	 * Armed later, this handler runs before home_unmake: what the
	 * start made goes first, or the parent returns while it is there.
	 */
	home_unmake();
	home_unlock();
	if (vd->start_error[0] == '\0' && log_fatal_text()[0] != '\0')
		snprintf(vd->start_error, sizeof(vd->start_error), "%s",
		    log_fatal_text());
	vd->exit_code = 1;
	ready_failed(vd);
}

static void
vaultd_loop(struct vaultd *vd)
{
	/*
	 * signals, 2 children, listen, clients, the children's log pipes,
	 * the audit syncer, the audit scanner
	 */
	struct pollfd	 pfd[6 + VAULTD_MAX_CLIENTS + CHILD_NUM];
	struct client	*cl_at[6 + VAULTD_MAX_CLIENTS + CHILD_NUM];
	int64_t		 now, t, next, stop_at = 0;
	size_t		 i, n, logs, syncat, scanat;
	int		 timeout, r;

	for (;;) {
		now = vd->now_ms = vaultd_now_ms();
		if (vd->stopping) {
			if (stop_at == 0)
				stop_at = now + VAULTD_STOP_GRACE_MS;
			if (children_gone(vd))
				return;
			if (now >= stop_at)
				for (i = 0; i < CHILD_NUM; i++)
					if (vd->children[i].pid > 0)
						kill(vd->children[i].pid,
						    SIGKILL);
		}
		if (vaultd_sync_take(vd))
			vaultd_sign_synced(vd);
		memory_tick(vd, now);
		vaultd_audit_tick(vd, now);
		vaultd_call_tick(vd, now);
		vaultd_approve_tick(vd, now);
		vaultd_gw_tick(vd, now);
		vaultd_call_kick(vd);
		control_timers(vd, now);
		vaultd_sign_flush(vd);
		control_flush_all(vd);
		/* after everything that queues: what the turn made, at once */
		children_flush(vd);
		next = vd->stopping ? now + 100 : vaultd_audit_next_ms(vd);
		if ((t = vaultd_approve_next_ms(vd)) >= 0 &&
		    (next < 0 || t < next))
			next = t;
		if ((t = vaultd_call_next_ms(vd)) >= 0 && (next < 0 || t < next))
			next = t;
		if ((t = vaultd_gw_next_ms(vd)) >= 0 && (next < 0 || t < next))
			next = t;
		if ((t = control_next_timer(vd)) >= 0 && (next < 0 || t < next))
			next = t;
		if (vd->trim_at != 0 && (next < 0 || vd->trim_at < next))
			next = vd->trim_at;
		for (i = 0; i < CHILD_NUM; i++) {
			child_timers(vd, &vd->children[i], now);
			t = child_next_timer(&vd->children[i]);
			if (t >= 0 && (next < 0 || t < next))
				next = t;
		}
		timeout = next < 0 ? -1 : next <= now ? 0 :
		    (int)(next - now);
		/* asked after the flush, or a sync ended in it: next turn */
		if (vd->ncached > 0 || vaultd_sync_ended(vd))
			timeout = 0;

		n = 0;
		pfd[n].fd = vd->sig_fd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < CHILD_NUM; i++) {
			struct child *ch = &vd->children[i];

			pfd[n].fd = ch->chan.fd;
			pfd[n].events = POLLIN |
			    (chan_pending(&ch->chan) ? POLLOUT : 0);
			if (ch->state != CHILD_HELLO && ch->state != CHILD_UP)
				pfd[n].fd = -1;
			n++;
		}
		pfd[n].fd = vd->stopping ? -1 : vd->listen_fd;
		pfd[n++].events = POLLIN;
		for (i = 0; i < VAULTD_MAX_CLIENTS; i++) {
			struct client *cl = &vd->clients[i];

			if (cl->chan.fd == -1)
				continue;
			if (control_waiting(cl))
				timeout = 0;
			cl_at[n] = cl;
			pfd[n].fd = cl->chan.fd;
			pfd[n++].events = (control_paused(cl) ? 0 : POLLIN) |
			    (chan_pending(&cl->chan) ? POLLOUT : 0);
		}
		logs = n;
		for (i = 0; i < CHILD_NUM; i++) {
			pfd[n].fd = vd->children[i].log_fd;
			pfd[n++].events = POLLIN;
		}
		syncat = n;
		pfd[n].fd = vaultd_sync_busy(vd) ? vaultd_sync_pollfd(vd) : -1;
		pfd[n++].events = POLLIN;
		scanat = n;
		pfd[n].fd = vaultd_scan_pollfd(vd);
		pfd[n++].events = POLLIN;

		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		/* what the handlers send goes now, not before the wait */
		vd->now_ms = vaultd_now_ms();
		if (pfd[0].revents & POLLIN)
			vaultd_signal(vd);
		if (pfd[syncat].revents & POLLIN)
			vaultd_sync_end(vd, 0);	/* taken at the next turn */
		if (pfd[scanat].revents & POLLIN)
			vaultd_scan_end(vd);
		for (i = 0; i < CHILD_NUM; i++)		/* not if reaped since */
			if (pfd[logs + i].revents != 0 &&
			    pfd[logs + i].fd == vd->children[i].log_fd)
				childlog_readable(&vd->children[i]);
		for (i = 0; i < CHILD_NUM; i++) {
			struct child *ch = &vd->children[i];

			if (pfd[1 + i].fd == -1 || pfd[1 + i].revents == 0)
				continue;
			if (ch->state != CHILD_HELLO && ch->state != CHILD_UP)
				continue;
			if ((pfd[1 + i].revents & POLLOUT) &&
			    chan_flush(&ch->chan) == CV_ERR_IO)
				child_io_failed(ch, "write failed");
			else if (pfd[1 + i].revents & (POLLIN | POLLHUP |
			    POLLERR))
				child_readable(vd, ch);
		}
		if (pfd[3].revents & POLLIN)
			control_accept(vd);
		for (i = 4; i < logs; i++) {
			if ((pfd[i].revents & POLLOUT) &&
			    (r = control_flush(cl_at[i])) != 0 &&
			    r != CV_ERR_AGAIN)
				continue;
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ||
			    control_waiting(cl_at[i]))
				control_readable(vd, cl_at[i]);
		}
	}
}

int
main(int argc, char **argv)
{
	static struct vaultd_conf conf;
	/*
	 * Static, zero already: its slot tables (0.37 MiB) take memory
	 * only as far as they are used, where a memset would make all of
	 * it resident.
	 */
	static struct vaultd vd;
	struct conf_problems pb;
	const char	*conf_path = NULL, *group = NULL, *logfile = NULL;
	char		 exedir[PATH_MAX], ubuf[PATH_MAX], why[400];
	static const struct option longopts[] = {
		{ "gateway", required_argument, NULL, 'G' },
		{ "cpu-latency", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct stat	 st;
	const char	*gwhy;
	int		 ch, foreground = 0, check = 0, r, shared = 0, kf;
	int		 made;
	size_t		 i;

	/*
	 * A burst of large signing requests (240 bodies of 64 KiB in
	 * flight) grows and frees buffers of megabytes every loop turn.
	 * While it lasts they stay on the heap, and up to VAULTD_HEAP_KEEP
	 * of freed heap stays with vaultd, so a turn does not fault in
	 * fresh zeroed pages: mapping each such buffer apart and handing
	 * it back on free took about a third of vaultd's time per 64 KiB
	 * body.  Once signing has been idle VAULTD_TRIM_MS the loop gives
	 * the memory back (memory_tick); vaultd was seen at 64 MiB after
	 * such a run when nothing did.  An allocator without these knobs
	 * (a sanitizer's, under make san) runs as it is: they are speed.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, VAULTD_MMAP_MIN);
	(void)mallopt(M_TRIM_THRESHOLD, VAULTD_HEAP_KEEP);
	harden_process();
	memset(&pb, 0, sizeof(pb));
	vd.user = NULL;
	vd.listen_fd = -1;
	vd.audit_fd = -1;
	vd.wal.fd = -1;
	vd.ready_fd = -1;
	vd.cpu_latency = -1;
	vd.cpu_latency_fd = -1;
	for (i = 0; i < VAULTD_MAX_CLIENTS; i++)
		vd.clients[i].chan.fd = -1;
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("vaultd %s\n", CLOBVAULT_VERSION);
		return 0;
	}
	while ((ch = getopt_long(argc, argv,
	    "B:c:dfg:I:J:K:k:l:LM:nN:p:Q:R:S:t:Tu:D:V:W:X:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			if ((vd.cpu_latency = conf_cpu_latency(optarg)) < 0) {
				fprintf(stderr, "vaultd: --cpu-latency %.16s "
				    "must be a number of microseconds from 0 "
				    "to %d\n", optarg, VAULTD_CPU_LATENCY_MAX);
				exit(2);
			}
			break;
		case 'G':
			if ((gwhy = conf_gateway_bad(optarg)) != NULL) {
				fprintf(stderr, "vaultd: gateway %s %s\n",
				    optarg, gwhy);
				exit(1);
			}
			if (vd.ngateways == VAULTD_GATEWAYS ||
			    strlen(optarg) >= VAULTD_GATEWAY_LEN)
				usage();
			snprintf(vd.gateways[vd.ngateways++],
			    VAULTD_GATEWAY_LEN, "%s", optarg);
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			vd.verbose++;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'g':
			group = optarg;
			break;
		case 'l':
			logfile = optarg;
			break;
		case 'L':
			vd.start_locked = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'T':
			vd.testmode = 1;
			break;
		case 'u':
			vd.user = optarg;
			break;
		case 't':
			/* netd takes 1 to CHILD_SECONDS_MAX, or dies at start */
			snprintf(vd.net_timeout, sizeof(vd.net_timeout), "%llu",
			    (unsigned long long)test_number(optarg, 1,
			    CHILD_SECONDS_MAX));
			break;
		case 'V':
			/* netd takes 1 to CHILD_SECONDS_MAX, or dies at start */
			snprintf(vd.gw_wait, sizeof(vd.gw_wait), "%llu",
			    (unsigned long long)test_number(optarg, 1,
			    CHILD_SECONDS_MAX));
			break;
		case 'W':
			if (strlen(optarg) < 1 || strlen(optarg) > 1 ||
			    optarg[0] < '1' ||
			    optarg[0] > '0' + CHILD_WORKERS_MAX)
				usage();
			snprintf(vd.sign_workers, sizeof(vd.sign_workers),
			    "%s", optarg);
			break;
		case 'D':
			if (strlen(optarg) < 1 || strlen(optarg) > 4 ||
			    strspn(optarg, "0123456789") != strlen(optarg) ||
			    atoi(optarg) < 1)
				usage();
			vd.call_deadline_ms = (int64_t)atoi(optarg) * 1000;
			break;
		case 'I':
			/* a control client's idle and stall time-out */
			vd.idle_ms = (int64_t)test_number(optarg, 1,
			    VAULTD_IDLE_TEST_MAX) * 1000;
			break;
		case 'X':
			/* how long signerd may owe answers and give none */
			vd.answer_ms = (int64_t)test_number(optarg, 1,
			    VAULTD_ANSWER_TEST_MAX) * 1000;
			break;
		case 'K':
			/* the Argon2id work a derivation's bound covers */
			vd.kdf_unit = test_number(optarg, 1, VAULTD_KDF_UNIT);
			break;
		case 'N':
			/* absolute: vaultd execs it long after getopt */
			if (optarg[0] != '/' || (size_t)snprintf(vd.netd_path,
			    sizeof(vd.netd_path), "%s", optarg) >=
			    sizeof(vd.netd_path))
				usage();
			break;
		case 'M':
			/* the replay table's largest size, a power of two */
			vd.gw.replay_most = test_number(optarg, 4,
			    GW_REPLAY_MAX);
			if ((vd.gw.replay_most & (vd.gw.replay_most - 1)) != 0)
				usage();
			break;
		case 'Q':
			/* clients counted in the replay window, colliding */
			vd.gw.replay_tags = test_number(optarg, 1,
			    GW_REPLAY_TAGS);
			break;
		case 'R':
			/* a client's signatures in the replay window */
			vd.gw.replay_client = test_number(optarg, 1,
			    GW_REPLAY_CLIENT);
			break;
		case 'B':
			/* the budgets file's counters written on the loop */
			vd.budget_inline = test_number(optarg, 0, 65536);
			vd.budget_inline_set = 1;
			break;
		case 'S':
			/* the audit segment size, small for tests */
			vd.audit_seg_max = test_number(optarg, 1, UINT64_MAX);
			break;
		case 'J':
			/* the audit journal's size, small for tests */
			vd.wal.conf = test_number(optarg, VAULTD_WAL_MIN,
			    VAULTD_WAL_MAX);
			break;
		case 'p':
		case 'k':
			if (vd.unlock_file != NULL)
				usage();
			vd.unlock_file = optarg;
			vd.unlock_keyfile = ch == 'k';
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (vd.net_timeout[0] != '\0' && !vd.testmode))
		usage();
	log_init("vaultd", vd.verbose);
	if (vd.netd_path[0] != '\0' && !vd.testmode)
		fatalx("-N is for tests: it needs -T");
	if (vd.call_deadline_ms != 0 && !vd.testmode)
		fatalx("-D is for tests: it needs -T");
	if (vd.gw.replay_client != 0 && !vd.testmode)
		fatalx("-R is for tests: it needs -T");
	if (vd.gw.replay_tags != 0 && !vd.testmode)
		fatalx("-Q is for tests: it needs -T");
	if (vd.gw.replay_most != 0 && !vd.testmode)
		fatalx("-M is for tests: it needs -T");
	if (vd.audit_seg_max != 0 && !vd.testmode)
		fatalx("-S is for tests: it needs -T");
	if (vd.budget_inline_set && !vd.testmode)
		fatalx("-B is for tests: it needs -T");
	if (vd.wal.conf != 0 && !vd.testmode)
		fatalx("-J is for tests: it needs -T");
	if (vd.idle_ms != 0 && !vd.testmode)
		fatalx("-I is for tests: it needs -T");
	if (vd.answer_ms != 0 && !vd.testmode)
		fatalx("-X is for tests: it needs -T");
	if (vd.kdf_unit != 0 && !vd.testmode)
		fatalx("-K is for tests: it needs -T");
	if (vd.gw_wait[0] != '\0' && !vd.testmode)
		fatalx("-V is for tests: it needs -T");
	if (vd.idle_ms == 0)
		vd.idle_ms = VAULTD_IDLE_MS;
	if (vd.answer_ms == 0)
		vd.answer_ms = VAULTD_ANSWER_MS;
	if (vd.kdf_unit == 0)
		vd.kdf_unit = VAULTD_KDF_UNIT;
	if (vd.call_deadline_ms == 0)
		vd.call_deadline_ms = VAULTD_CALL_DEADLINE_MS;
	if (vd.sign_workers[0] == '\0') {
		cpu_set_t	cpus;
		long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		/*
		 * A worker per core vaultd may run on (its children inherit
		 * that set, taskset(1) or CPUAffinity= narrowing it):
		 * signing is all signerd's CPU.
		 */
		if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 &&
		    CPU_COUNT(&cpus) > 0)
			ncpu = CPU_COUNT(&cpus);
		if (ncpu < 1)
			ncpu = 1;
		if (ncpu > CHILD_WORKERS_MAX)
			ncpu = CHILD_WORKERS_MAX;
		snprintf(vd.sign_workers, sizeof(vd.sign_workers), "%ld",
		    ncpu);
	}

	/* the file: -c, else the default if it exists (tests want none) */
	if (conf_path == NULL && !vd.testmode &&
	    access(VAULTD_CONF_DEFAULT, F_OK) == 0)
		conf_path = VAULTD_CONF_DEFAULT;
	if (conf_path != NULL && conf_load(conf_path, &conf) != 0) {
		conf_print_errors(&conf, stderr);
		exit(1);
	}
	if (vd.verbose == 0)
		vd.verbose = conf.debug;
	log_init("vaultd", vd.verbose);
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	conf_settle(&vd, &conf, group, logfile, foreground, check, &pb,
	    &shared);
	if (check) {
		for (i = 0; i < pb.n; i++)
			fprintf(stderr, "vaultd: %s\n", pb.msg[i]);
		if (pb.n == 0)
			printf("vaultd: configuration OK\n");
		return pb.n == 0 ? 0 : 1;
	}
	if (pb.n > 0) {
		for (i = 0; i < pb.n; i++)
			log_warnx("%s", pb.msg[i]);
		exit(1);
	}
	notify_init();
	vd.unattended = vault_unattended_path(&vd, ubuf, sizeof(ubuf),
	    &kf) != NULL;

	/* made now if missing; given to the socket group once ready */
	made = lstat(vd.home, &st) == -1 && errno == ENOENT;
	if (conf_home_check(vd.home, vd.have_sock_gid ? &vd.sock_gid : NULL,
	    CONF_HOME_MAKE, why, sizeof(why)) != 0)
		fatalx("%s", why);
	if ((size_t)snprintf(vd.sockpath, sizeof(vd.sockpath), "%s/%s",
	    vd.home, HOME_CONTROL_SOCK) >= sizeof(vd.sockpath) ||
	    (size_t)snprintf(vd.emptydir, sizeof(vd.emptydir), "%s/empty",
	    vd.home) >= sizeof(vd.emptydir))
		fatalx("CLOBVAULT_HOME path too long");
	/* before empty/: another vaultd's children chroot there */
	home_lock(&vd);
	home_start = &vd;
	home_made = made;
	if (atexit(home_unmake) != 0)
		fatalx("atexit");
	if ((r = home_emptydir(vd.emptydir)) != 0)
		exit(1);
	vault_setup(&vd);
	vaultd_audit_open(&vd);
	exe_dir(exedir, sizeof(exedir));
	child_setup(&vd, SIGNERD(&vd), CHILD_SIGNERD, exedir);
	child_setup(&vd, NETD(&vd), CHILD_NETD, exedir);
	cpu_latency_hold(&vd);
	/*
	 * Every path vaultd keeps is absolute (conf_settle): it holds on
	 * to no directory it was started in, which could then not be
	 * unmounted, daemon or not.
	 */
	if (chdir("/") == -1)
		fatal("chdir /");

	if (!foreground) {
		vd.ready_fd = daemonize(&vd);
		ready_vd = &vd;
		ready_thread = pthread_self();
		if (atexit(ready_at_exit) != 0)
			fatalx("atexit");
	} else if (vd.logpath[0] != '\0' && log_open(vd.logpath, why,
	    sizeof(why)) == -1)
		fatalx("%s", why);
	vaultd_signals(&vd);
	vaultd_sync_start(&vd);		/* a thread: after the fork above */
	if ((r = control_listen(&vd)) != 0)
		fatalx("cannot serve the control socket: %s", cv_strerror(r));
	if (vaultd_gw_listen(&vd) != 0)
		fatalx("cannot serve the gateway");
	vd.started_ms = vd.now_ms = vaultd_now_ms();
	log_info("started (home %s%s%s%s%s%s)", vd.home,
	    conf_path != NULL ? ", configuration " : "",
	    conf_path != NULL ? conf_path : "",
	    vd.have_sock_gid ? ", socket group " : "",
	    vd.have_sock_gid ? (group ? group : conf.group) : "",
	    vd.testmode ? ", test mode" : "");
	if (shared)
		log_warnx("user %s does not exist; children run as the shared "
		    "nobody: create it with useradd --system %s", VAULTD_USER,
		    VAULTD_USER);
	vaultd_notify("STATUS=", "starting");
	/* set up: its libraries' start-up pages go (common/pages.c) */
	drop_startup_pages();

	vaultd_loop(&vd);
	vaultd_audit_close(&vd);

	control_shutdown(&vd);
	vaultd_gw_shutdown(&vd);
	vaultd_policy_free(&vd);
	home_unmake();		/* stopped before it was ready: refused */
	home_unlock();
	/* whoever waits hears why: the start failed, or a signal */
	ready_failed(&vd);
	log_info("stopped");
	return vd.exit_code;
}
