/*
 * vaultd: clobvault's parent and supervisor.  It owns $CLOBVAULT_HOME,
 * starts signerd and netd over socketpairs, restarts a child that dies
 * or misbehaves, and serves vaultctl on the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sodium.h>

#include "common/home.h"
#include "common/log.h"
#include "common/privsep.h"
#include "vaultd/vaultd.h"

#define VAULTD_STOP_GRACE_MS	3000
#define VAULTD_USER		"clobvault"	/* the children's, if it exists */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: vaultd [-dfT] [-t seconds] [-N netd] [-u user] "
	    "[-p passfile | -k keyfile]\n"
	    "  -f       stay in the foreground, log to standard error\n"
	    "  -d       debug logging\n"
	    "  -p file  unlock the vault unattended with this passphrase\n"
	    "  -k file  unlock the vault unattended with this keyfile\n"
	    "  -u user  unprivileged user for the children (default clobvault,\n"
	    "           or nobody if there is no such user)\n"
	    "  -T       test mode: accept sandbox test probes\n"
	    "  -t secs  test mode: netd's time-out for one request\n"
	    "  -N path  test mode: run this program as netd\n"
	    "  -D secs  test mode: the deadline of one exchange call\n"
	    "  -S bytes test mode: the audit log's segment size\n"
	    "State lives in $CLOBVAULT_HOME (default ~/.clobvault).\n");
	exit(2);
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
 * Detach from the terminal.  The parent returns only when the daemon says
 * it is ready (or failed), so `vaultd && vaultctl status` works.
 */
static int
daemonize(const char *home)
{
	char	logpath[PATH_MAX], c;
	int	pfd[2], fd;
	pid_t	pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &c, 1) == 1 && c == 'R')
			_exit(0);
		fprintf(stderr, "vaultd: failed to start; see %s/vaultd.log\n",
		    home);
		_exit(1);
	}
	close(pfd[0]);
	if (setsid() == -1)
		fatal("setsid");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if ((size_t)snprintf(logpath, sizeof(logpath), "%s/vaultd.log",
	    home) >= sizeof(logpath))
		fatalx("home path too long");
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1)
		fatal("open %s", logpath);
	dup2(fd, STDERR_FILENO);
	close(fd);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return pfd[1];
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

static void
vaultd_signal(struct vaultd *vd)
{
	struct signalfd_siginfo	si;
	size_t			i;

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
			vd->stopping = 1;
			for (i = 0; i < CHILD_NUM; i++)
				if (vd->children[i].pid > 0)
					kill(vd->children[i].pid, SIGTERM);
			break;
		case SIGHUP:
			log_info("SIGHUP: nothing to reload yet");
			break;
		}
	}
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
		break;
	default:
		break;
	}
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

static void
vaultd_loop(struct vaultd *vd)
{
	/* signals, 2 children, listen, clients, the children's log pipes */
	struct pollfd	 pfd[4 + VAULTD_MAX_CLIENTS + CHILD_NUM];
	struct client	*cl_at[4 + VAULTD_MAX_CLIENTS + CHILD_NUM];
	int64_t		 now, t, next, stop_at = 0;
	size_t		 i, n, logs;
	int		 timeout;

	for (;;) {
		now = vaultd_now_ms();
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
		vaultd_audit_tick(vd, now);
		vaultd_call_tick(vd, now);
		vaultd_approve_tick(vd, now);
		vaultd_call_kick(vd);
		control_timers(vd, now);
		vaultd_sign_flush(vd);
		control_flush_all(vd);
		next = vd->stopping ? now + 100 : vaultd_audit_next_ms(vd);
		if ((t = vaultd_approve_next_ms(vd)) >= 0 &&
		    (next < 0 || t < next))
			next = t;
		if ((t = vaultd_call_next_ms(vd)) >= 0 && (next < 0 || t < next))
			next = t;
		if ((t = control_next_timer(vd)) >= 0 && (next < 0 || t < next))
			next = t;
		for (i = 0; i < CHILD_NUM; i++) {
			child_timers(vd, &vd->children[i], now);
			t = child_next_timer(&vd->children[i]);
			if (t >= 0 && (next < 0 || t < next))
				next = t;
		}
		timeout = next < 0 ? -1 : next <= now ? 0 :
		    (int)(next - now);

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
			cl_at[n] = cl;
			pfd[n].fd = cl->chan.fd;
			pfd[n++].events = POLLIN |
			    (chan_pending(&cl->chan) ? POLLOUT : 0);
		}
		logs = n;
		for (i = 0; i < CHILD_NUM; i++) {
			pfd[n].fd = vd->children[i].log_fd;
			pfd[n++].events = POLLIN;
		}

		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			vaultd_signal(vd);
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
				child_kill(ch, "write failed");
			else if (pfd[1 + i].revents & (POLLIN | POLLHUP |
			    POLLERR))
				child_readable(vd, ch);
		}
		if (pfd[3].revents & POLLIN)
			control_accept(vd);
		for (i = 4; i < logs; i++) {
			if (pfd[i].revents & POLLOUT) {
				int r = chan_flush(&cl_at[i]->chan);

				if (r != 0 && r != CV_ERR_AGAIN) {
					control_close(cl_at[i]);
					continue;
				}
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				control_readable(vd, cl_at[i]);
		}
	}
}

int
main(int argc, char **argv)
{
	struct vaultd	 vd;
	char		 exedir[PATH_MAX];
	int		 ch, foreground = 0, ready_fd = -1, r, shared = 0;
	size_t		 i;

	harden_process();
	memset(&vd, 0, sizeof(vd));
	vd.user = NULL;
	vd.listen_fd = -1;
	vd.audit_fd = -1;
	for (i = 0; i < VAULTD_MAX_CLIENTS; i++)
		vd.clients[i].chan.fd = -1;
	while ((ch = getopt(argc, argv, "dfTt:u:p:k:N:D:S:")) != -1) {
		switch (ch) {
		case 'd':
			vd.verbose++;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'T':
			vd.testmode = 1;
			break;
		case 'u':
			vd.user = optarg;
			break;
		case 't':
			if (strlen(optarg) < 1 || strlen(optarg) > 3 ||
			    strspn(optarg, "0123456789") != strlen(optarg))
				usage();
			snprintf(vd.net_timeout, sizeof(vd.net_timeout), "%s",
			    optarg);
			break;
		case 'D':
			if (strlen(optarg) < 1 || strlen(optarg) > 4 ||
			    strspn(optarg, "0123456789") != strlen(optarg) ||
			    atoi(optarg) < 1)
				usage();
			vd.call_deadline_ms = (int64_t)atoi(optarg) * 1000;
			break;
		case 'N':
			/* absolute: vaultd execs it long after getopt */
			if (optarg[0] != '/' || (size_t)snprintf(vd.netd_path,
			    sizeof(vd.netd_path), "%s", optarg) >=
			    sizeof(vd.netd_path))
				usage();
			break;
		case 'S':
			/* the audit segment size, small for tests */
			if (strlen(optarg) < 1 || strlen(optarg) > 10 ||
			    strspn(optarg, "0123456789") != strlen(optarg) ||
			    strtoull(optarg, NULL, 10) < 1)
				usage();
			vd.audit_seg_max = strtoull(optarg, NULL, 10);
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
	if (vd.audit_seg_max != 0 && !vd.testmode)
		fatalx("-S is for tests: it needs -T");
	if (vd.call_deadline_ms == 0)
		vd.call_deadline_ms = VAULTD_CALL_DEADLINE_MS;
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	/* nobody is everyone's: its other processes could signal ours */
	if (vd.user == NULL && getpwnam(VAULTD_USER) != NULL)
		vd.user = VAULTD_USER;
	else if (vd.user == NULL) {
		vd.user = "nobody";
		shared = geteuid() == 0;	/* else there is no drop */
	}
	if (geteuid() == 0 && getpwnam(vd.user) == NULL)
		fatalx("user %s does not exist: create it or pass -u USER",
		    vd.user);

	if ((r = home_prepare(vd.home, sizeof(vd.home))) != 0)
		exit(1);
	if ((size_t)snprintf(vd.sockpath, sizeof(vd.sockpath), "%s/%s",
	    vd.home, HOME_CONTROL_SOCK) >= sizeof(vd.sockpath) ||
	    (size_t)snprintf(vd.emptydir, sizeof(vd.emptydir), "%s/empty",
	    vd.home) >= sizeof(vd.emptydir))
		fatalx("CLOBVAULT_HOME path too long");
	if ((r = home_emptydir(vd.emptydir)) != 0)
		exit(1);
	vault_setup(&vd);
	vaultd_audit_open(&vd);
	exe_dir(exedir, sizeof(exedir));
	child_setup(&vd, SIGNERD(&vd), CHILD_SIGNERD, exedir);
	child_setup(&vd, NETD(&vd), CHILD_NETD, exedir);

	if (!foreground)
		ready_fd = daemonize(vd.home);
	vaultd_signals(&vd);
	if ((r = control_listen(&vd)) != 0)
		fatalx("cannot serve the control socket: %s", cv_strerror(r));
	vd.started_ms = vaultd_now_ms();
	log_info("started (home %s%s)", vd.home,
	    vd.testmode ? ", test mode" : "");
	if (shared)
		log_warnx("user %s does not exist; children run as the shared "
		    "nobody: create it with useradd --system %s", VAULTD_USER,
		    VAULTD_USER);
	if (ready_fd != -1) {
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
	}

	vaultd_loop(&vd);
	vaultd_audit_sync(&vd);

	control_shutdown(&vd);
	vaultd_policy_free(&vd);
	log_info("stopped");
	return 0;
}
