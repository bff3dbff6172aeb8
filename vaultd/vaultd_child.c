/*
 * vaultd's side of its children: start them with a socketpair, answer
 * their handshake, query their status, restart them when they die.  A
 * child that sends anything malformed or out of turn is broken: it is
 * killed and restarted, never trusted, and never takes vaultd down.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>
#include <linux/landlock.h>

#include "common/child.h"
#include "common/log.h"
#include "vaultd/vaultd.h"

static const char *const child_names[CHILD_NUM] = {
	[CHILD_SIGNERD] = "signerd",
	[CHILD_NETD] = "netd",
};

/* The install layout, from the Makefile (SBINDIR, LIBEXECDIR). */
#ifndef CLOBVAULT_SBINDIR
#define CLOBVAULT_SBINDIR	"/usr/local/sbin"
#endif
#ifndef CLOBVAULT_LIBEXECDIR
#define CLOBVAULT_LIBEXECDIR	"/usr/local/libexec"
#endif

/*
 * Where signerd and netd are (vaultd(8), FILES).  An installed vaultd,
 * SBINDIR/vaultd under / or under a staging root (a DESTDIR, an
 * unpacked package), runs the same root's LIBEXECDIR/clobvault/; any
 * other vaultd, as in the build tree, runs those beside its executable.
 * One rule, no search: which binaries run never depends on what else
 * happens to exist.
 */
static void
child_dir(const char *exedir, char *buf, size_t len)
{
	size_t	el = strlen(exedir), sl = strlen(CLOBVAULT_SBINDIR);
	int	n;

	if (sl > 1 && el >= sl &&
	    strcmp(exedir + el - sl, CLOBVAULT_SBINDIR) == 0)
		n = snprintf(buf, len, "%.*s%s/clobvault", (int)(el - sl),
		    exedir, CLOBVAULT_LIBEXECDIR);
	else
		n = snprintf(buf, len, "%s", exedir);
	if (n < 0 || (size_t)n >= len)
		fatalx("path of the children's directory too long");
}

/*
 * Hold on to the child's program: every start of the child runs this
 * file (child_exec), so that an upgrade that puts another version at
 * its path while vaultd runs (dpkg, make install: a new file renamed
 * over the old) cannot have this vaultd run a child of that version.
 */
static void
child_program_open(struct child *ch)
{
	struct stat	st;

	if ((ch->exe_fd = open(ch->path, O_PATH | O_CLOEXEC)) == -1 ||
	    fstat(ch->exe_fd, &st) == -1)
		fatal("cannot open %s", ch->path);
	if (!S_ISREG(st.st_mode))
		fatalx("%s is not a file", ch->path);
	ch->exe_size = st.st_size;
	ch->exe_mtime = st.st_mtim;
}

void
child_setup(struct vaultd *vd, struct child *ch, enum child_id id,
    const char *exedir)
{
	const char	*name = child_names[id];
	char		 dir[PATH_MAX];

	memset(ch, 0, sizeof(*ch));
	ch->id = id;
	ch->name = name;
	ch->chan.fd = -1;
	ch->log_fd = -1;
	ch->exe_fd = -1;
	ch->state = CHILD_DOWN;
	ch->backoff_ms = VAULTD_BACKOFF_MIN_MS;
	/* test mode (-N): a stand-in netd, e.g. tests/hostile/ */
	if (id == CHILD_NETD && vd->testmode &&
	    vd->netd_path[0] != '\0') {
		snprintf(ch->path, sizeof(ch->path), "%s", vd->netd_path);
		log_warnx("test mode: running %s as netd", ch->path);
		child_program_open(ch);
		return;
	}
	child_dir(exedir, dir, sizeof(dir));
	if ((size_t)snprintf(ch->path, sizeof(ch->path), "%s/%s", dir,
	    name) >= sizeof(ch->path))
		fatalx("path of %s too long", name);
	/* now, while it can still be said on the terminal */
	if (access(ch->path, X_OK) == -1)
		fatal("cannot run %s (vaultd runs its children from %s)",
		    ch->path, dir);
	child_program_open(ch);
}

/*
 * Whether the program held since vaultd's start may run now: not when
 * it was written over in place (its size or time changed), since what
 * would run is then no longer the version vaultd started with.  A
 * program replaced at its path runs as it was, and the operator is told
 * to restart vaultd for the new one.
 */
static int
child_program_check(struct child *ch)
{
	struct stat	held, now;

	if (fstat(ch->exe_fd, &held) == -1) {
		log_warn("fstat %s", ch->path);
		return CV_ERR_IO;
	}
	if (held.st_size != ch->exe_size ||
	    held.st_mtim.tv_sec != ch->exe_mtime.tv_sec ||
	    held.st_mtim.tv_nsec != ch->exe_mtime.tv_nsec) {
		snprintf(ch->last_exit, sizeof(ch->last_exit),
		    "not started: its program changed since vaultd started; "
		    "restart vaultd");
		log_warnx("not starting %s: %s was changed in place since "
		    "vaultd started (its size or modification time) and may "
		    "no longer be the program vaultd started with: restart "
		    "vaultd", ch->name, ch->path);
		return CV_ERR_PERM;
	}
	if (stat(ch->path, &now) == -1 || now.st_dev != held.st_dev ||
	    now.st_ino != held.st_ino)
		log_warnx("%s was replaced since vaultd started (an upgrade?): "
		    "starting the %s vaultd started with; restart vaultd to "
		    "run the new one", ch->path, ch->name);
	return 0;
}

struct child *
child_by_name(struct vaultd *vd, const char *name)
{
	size_t	i;

	for (i = 0; i < CHILD_NUM; i++)
		if (strcmp(child_names[i], name) == 0)
			return &vd->children[i];
	return NULL;
}

/*
 * In the forked child: become the program with /dev/null on 0, 1 and 2
 * (never vaultd's terminal or log), the channel fd on CHILD_FD, the
 * log pipe's write end logfd on CHILD_LOG_FD, and nothing else open.
 */
static void __attribute__((noreturn))
child_exec(struct vaultd *vd, struct child *ch, int fd, int logfd)
{
	char		*argv[16 + 2 * GW_FDS_MAX];
	char		*envp[] = { NULL };	/* nothing inherited */
	char		 gwarg[GW_FDS_MAX][8];
	sigset_t	 none;
	int		 n = 0, cfd, lfd, efd, exe, null, gfd[GW_FDS_MAX];
	size_t		 i, ngw = 0;
	int		 top = GW_FD_FIRST + GW_FDS_MAX;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/*
	 * Above every target first, so that no dup2 below overwrites
	 * another: 0-4, and for netd the gateway's listening sockets from
	 * GW_FD_FIRST on (made by vaultd: netd never binds).
	 */
	if (strcmp(ch->name, "netd") == 0)
		ngw = vd->gw.nfds;
	for (i = 0; i < ngw; i++)
		if ((gfd[i] = fcntl(vd->gw.fds[i], F_DUPFD_CLOEXEC, top)) == -1)
			_exit(127);
	if ((cfd = fcntl(fd, F_DUPFD_CLOEXEC, top)) == -1 ||
	    (lfd = fcntl(logfd, F_DUPFD_CLOEXEC, top)) == -1 ||
	    (efd = fcntl(ch->exe_fd, F_DUPFD_CLOEXEC, top)) == -1 ||
	    (null = open("/dev/null", O_RDWR)) == -1)
		_exit(127);
	if (dup2(null, STDIN_FILENO) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(null, STDERR_FILENO) == -1 ||
	    dup2(cfd, CHILD_FD) == -1 || dup2(lfd, CHILD_LOG_FD) == -1)
		_exit(127);
	for (i = 0; i < ngw; i++)
		if (dup2(gfd[i], GW_FD_FIRST + (int)i) == -1)
			_exit(127);
	/*
	 * GW_FD_FIRST is CHILD_LOG_FD + 1: nothing else stays open but the
	 * program, which the exec closes.
	 */
	exe = GW_FD_FIRST + (int)ngw;
	if (dup3(efd, exe, O_CLOEXEC) == -1 ||
	    close_range((unsigned)exe + 1, ~0U, 0) == -1)
		_exit(127);

	argv[n++] = (char *)ch->name;
	if (vd->verbose)
		argv[n++] = "-d";
	if (vd->testmode)
		argv[n++] = "-T";
	argv[n++] = "-u";
	argv[n++] = (char *)vd->user;
	argv[n++] = "-C";		/* signerd's root; netd's probe target */
	argv[n++] = vd->emptydir;
	if (vd->net_timeout[0] != '\0' && strcmp(ch->name, "netd") == 0) {
		argv[n++] = "-t";
		argv[n++] = vd->net_timeout;
	}
	if (vd->gw_wait[0] != '\0' && strcmp(ch->name, "netd") == 0) {
		argv[n++] = "-V";
		argv[n++] = vd->gw_wait;
	}
	if (strcmp(ch->name, "signerd") == 0) {
		argv[n++] = "-W";
		argv[n++] = vd->sign_workers;
	}
	for (i = 0; i < ngw; i++) {
		snprintf(gwarg[i], sizeof(gwarg[i]), "%d", GW_FD_FIRST + (int)i);
		argv[n++] = "-G";
		argv[n++] = gwarg[i];
	}
	argv[n] = NULL;
	fexecve(exe, argv, envp);
	/* a bare line on the log pipe, as the child would have written */
	dprintf(CHILD_LOG_FD, "fatal: vaultd cannot execute %s: %s\n",
	    ch->path, strerror(errno));
	_exit(127);
}

/*
 * Room in the socket for a group of requests with large bodies: with the
 * default (some 200 KiB, three 64 KiB bodies) vaultd wrote a group to
 * signerd a few frames at a time, woken for each, and signerd waited
 * between them.  Best effort: the kernel caps it at net.core.wmem_max,
 * and the frames left over wait in the channel's queue as before.
 */
void
child_sndbuf(int fd)
{
	int	size = VAULTD_CHILD_SNDBUF;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

int
child_start(struct vaultd *vd, struct child *ch)
{
	int	sv[2], lp[2], r;
	pid_t	pid;

	ch->killed = 0;
	if ((r = child_program_check(ch)) != 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair for %s", ch->name);
		return CV_ERR_IO;
	}
	/* its log: the child writes, blocking; vaultd reads, never blocking */
	if (pipe2(lp, O_CLOEXEC) == -1) {
		log_warn("log pipe for %s", ch->name);
		close(sv[0]);
		close(sv[1]);
		return CV_ERR_IO;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork %s", ch->name);
		close(sv[0]);
		close(sv[1]);
		close(lp[0]);
		close(lp[1]);
		return CV_ERR_IO;
	}
	if (pid == 0) {
		close(sv[0]);
		close(lp[0]);
		child_exec(vd, ch, sv[1], lp[1]);
	}
	close(sv[1]);
	close(lp[1]);
	child_sndbuf(sv[0]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(lp[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("nonblocking socket for %s", ch->name);
		kill(pid, SIGKILL);
		close(sv[0]);
		close(lp[0]);
		ch->pid = pid;
		ch->state = CHILD_DYING;
		return CV_ERR_IO;
	}
	chan_init(&ch->chan, sv[0]);
	childlog_open(ch, lp[0]);
	ch->pid = pid;
	ch->state = CHILD_HELLO;
	ch->started_ms = vaultd_now_ms();
	ch->status_sent_ms = ch->started_ms;	/* hello deadline */
	ch->owed_ms = ch->oldest_ms = 0;
	ch->have_status = 0;
	log_info("started %s, pid %ld", ch->name, (long)pid);
	return 0;
}

static void
child_end(struct child *ch, enum child_end end, const char *why)
{
	if (ch->state == CHILD_DOWN || ch->state == CHILD_DYING)
		return;
	ch->killed = 1;
	ch->end = end;
	child_kill(ch, why);
}

void
child_io_failed(struct child *ch, const char *why)
{
	child_end(ch, errno == EPIPE || errno == ECONNRESET ?
	    CHILD_END_CRASH : CHILD_END_IO, why);
}

void
child_kill(struct child *ch, const char *why)
{
	if (ch->state == CHILD_DOWN || ch->state == CHILD_DYING)
		return;
	if (!ch->killed)
		ch->end = CHILD_END_IO;
	ch->killed = 1;
	log_warnx("%s (pid %ld) is broken: %s; killing it", ch->name,
	    (long)ch->pid, why);
	snprintf(ch->last_exit, sizeof(ch->last_exit), "killed by vaultd: %s",
	    why);
	kill(ch->pid, SIGKILL);
	chan_free(&ch->chan);
	ch->state = CHILD_DYING;
}

static const char *
signame(int sig)
{
	switch (sig) {
	case SIGSYS:	return "SIGSYS (forbidden system call: sandbox violation)";
	case SIGKILL:	return "SIGKILL";
	case SIGTERM:	return "SIGTERM";
	case SIGSEGV:	return "SIGSEGV";
	case SIGABRT:	return "SIGABRT";
	case SIGBUS:	return "SIGBUS";
	case SIGPIPE:	return "SIGPIPE";
	}
	return "a signal";
}

void
child_reaped(struct vaultd *vd, pid_t pid, int status)
{
	struct child	*ch = NULL;
	char		 why[96];
	int64_t		 now = vaultd_now_ms();
	size_t		 i;

	for (i = 0; i < CHILD_NUM; i++)
		if (vd->children[i].pid == pid &&
		    vd->children[i].state != CHILD_DOWN)
			ch = &vd->children[i];
	if (ch == NULL)
		return;
	childlog_close(ch);	/* its last lines before the news of its death */
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d, %s",
		    WTERMSIG(status), signame(WTERMSIG(status)));
	else
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	if (ch->state == CHILD_DYING && ch->last_exit[0] != '\0' &&
	    strncmp(ch->last_exit, "killed by vaultd", 16) == 0)
		log_info("%s (pid %ld) %s", ch->name, (long)pid, why);
	else {
		snprintf(ch->last_exit, sizeof(ch->last_exit), "%s", why);
		if (vd->stopping)
			log_info("%s (pid %ld) %s", ch->name, (long)pid, why);
		else
			log_warnx("%s (pid %ld) died: %s", ch->name,
			    (long)pid, why);
	}
	chan_free(&ch->chan);
	if (!ch->killed)
		ch->end = CHILD_END_CRASH;
	ch->state = CHILD_DOWN;
	ch->pid = 0;
	ch->have_status = 0;
	ch->probe_id = 0;
	vaultd_child_lost(vd, ch->id);
	if (vd->stopping)
		return;
	if (now - ch->started_ms >= VAULTD_STABLE_MS)
		ch->backoff_ms = VAULTD_BACKOFF_MIN_MS;
	ch->restart_at_ms = now + ch->backoff_ms;
	log_info("restarting %s in %u ms", ch->name, ch->backoff_ms);
	ch->backoff_ms *= 2;
	if (ch->backoff_ms > VAULTD_BACKOFF_MAX_MS)
		ch->backoff_ms = VAULTD_BACKOFF_MAX_MS;
}

/*
 * Seccomp, NoNewPrivs and TracerPid as the kernel reports them, not as
 * claimed (-1 for what it does not say).
 */
static void
child_read_proc(struct child *ch)
{
	char	 path[64], line[256];
	FILE	*f;

	ch->proc_seccomp = ch->proc_nnp = -1;
	ch->proc_tracer = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)ch->pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Seccomp:", 8) == 0)
			ch->proc_seccomp = atoi(line + 8);
		else if (strncmp(line, "NoNewPrivs:", 11) == 0)
			ch->proc_nnp = atoi(line + 11);
		else if (strncmp(line, "TracerPid:", 10) == 0)
			ch->proc_tracer = atol(line + 10);
	}
	fclose(f);
}

uint32_t
child_new_id(struct child *ch)
{
	return ++ch->next_id;
}

int
child_send(struct child *ch, struct msg_w *w)
{
	int	r;

	if ((r = chan_queue(&ch->chan, w)) != 0)
		return r;
	r = chan_flush(&ch->chan);
	return r == CV_ERR_AGAIN ? 0 : r;
}

int
child_queue(struct child *ch, struct msg_w *w)
{
	return chan_queue(&ch->chan, w);
}

void
children_flush(struct vaultd *vd)
{
	struct child	*ch;
	size_t		 i;

	for (i = 0; i < CHILD_NUM; i++) {
		ch = &vd->children[i];
		if ((ch->state != CHILD_HELLO && ch->state != CHILD_UP) ||
		    !chan_pending(&ch->chan))
			continue;
		if (chan_flush(&ch->chan) == CV_ERR_IO)
			child_io_failed(ch, "write failed");
	}
}

static int
child_query_status(struct child *ch)
{
	struct msg_w	w;

	ch->status_id = ++ch->next_id;
	msg_begin(&w, MSG_STATUS_REQ, ch->status_id);
	ch->status_sent_ms = vaultd_now_ms();
	return child_send(ch, &w);
}

int
child_send_probe(struct child *ch, const char *kind)
{
	struct msg_w	w;

	if (ch->state != CHILD_UP)
		return CV_ERR_NOTRUNNING;
	ch->probe_id = ++ch->next_id;
	msg_begin(&w, MSG_PROBE_REQ, ch->probe_id);
	msg_put_str(&w, kind);
	return child_send(ch, &w);
}

static int
vd_hello_req(struct vaultd *vd, struct child *ch, struct msg *m)
{
	struct msg_w	w;
	uint64_t	version;
	char		name[16];
	int		r;

	if ((r = msg_get_u64(&m->rd, &version)) != 0 ||
	    (r = msg_get_strbuf(&m->rd, name, sizeof(name))) != 0)
		return r;
	if (version != MSG_VERSION)
		return CV_ERR_MSG_VERSION;
	if (strcmp(name, ch->name) != 0)
		return CV_ERR_MSG_STATE;
	msg_begin(&w, MSG_HELLO_ANS, m->id);
	msg_put_u64(&w, MSG_VERSION);
	if ((r = child_send(ch, &w)) != 0)
		return r;
	ch->state = CHILD_UP;
	log_debug("%s handshake done", ch->name);
	return child_query_status(ch);
}

static void	child_refuse(struct vaultd *, struct child *, const char *);
static void	child_unsandboxed(struct vaultd *, struct child *,
		    const char *);

/*
 * Whether vaultd may make namespaces (CAP_SYS_ADMIN in its effective
 * set): root in a container or under a unit's capability set may not.
 * 1 when /proc cannot tell, so as not to blame what was not seen.
 */
static int
vaultd_has_sys_admin(void)
{
	char			 line[256];
	unsigned long long	 eff;
	FILE			*f;
	int			 have = 1;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "CapEff:", 7) == 0) {
			eff = strtoull(line + 7, NULL, 16);
			have = (eff & (1ULL << CAP_SYS_ADMIN)) != 0;
			break;
		}
	fclose(f);
	return have;
}

/*
 * Why netd runs without Landlock, or NULL when it has it: the kernel is
 * the one netd asked (privsep.c), and netd, up, did without it only for
 * these two answers (any other failure is fatal to it).
 */
static const char *
landlock_missing(void)
{
	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) >= 0)
		return NULL;
	if (errno == ENOSYS)
		return "the kernel has no Landlock ABI";
	if (errno == EOPNOTSUPP)
		return "Landlock is disabled in the kernel (lsm= at boot)";
	return NULL;
}

size_t
child_sandbox_gaps(const struct child *ch,
    struct child_gap gaps[CHILD_GAPS_MAX])
{
	static const char	*notroot = "vaultd is not root";
	const char		*ns, *ll;
	size_t			 n = 0;
	int			 root = geteuid() == 0;

	if (!ch->have_status)
		return 0;
	ns = !root ? notroot : !vaultd_has_sys_admin() ?
	    "vaultd has no CAP_SYS_ADMIN" : "the kernel refused it";
	if (ch->id == CHILD_SIGNERD) {
		/* as root signerd chroots or dies: only a stand-in would not */
		if (!ch->chrooted)
			gaps[n++] = (struct child_gap){ "chroot",
			    root ? "it did not chroot" : notroot };
		if (!ch->netns)
			gaps[n++] = (struct child_gap){ "network namespace",
			    ns };
		if (!ch->mntns)
			gaps[n++] = (struct child_gap){ "mount namespace", ns };
	}
	if (ch->id == CHILD_NETD && (ll = landlock_missing()) != NULL)
		gaps[n++] = (struct child_gap){ "Landlock", ll };
	/* as root the drop is checked (privsep.c); without, vaultd's uid */
	if (!root && ch->uid == (uint64_t)geteuid())
		gaps[n++] = (struct child_gap){ "unprivileged user", notroot };
	/*
	 * A program its user can read starts dumpable, and any process of
	 * that user may attach before the child makes itself not dumpable;
	 * one it cannot read (installed root's, 0711) the kernel makes not
	 * dumpable at its execve.  A child that starts as root has no such
	 * moment.
	 */
	if (!root && access(ch->path, R_OK) == 0)
		gaps[n++] = (struct child_gap){ "unreadable program",
		    "vaultd's user can read it: install it root's, 0711" };
	return n;
}

/* One warning for each start of a child that lacks a layer: which, why. */
static void
child_warn_gaps(const struct child *ch)
{
	struct child_gap	gaps[CHILD_GAPS_MAX];
	char			text[512];
	size_t			n, i, off = 0;

	if ((n = child_sandbox_gaps(ch, gaps)) == 0)
		return;
	text[0] = '\0';
	for (i = 0; i < n && off < sizeof(text); i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%sno %s (%s)", i > 0 ? "; " : "", gaps[i].layer,
		    gaps[i].why);
	log_warnx("%s (pid %ld) sandbox incomplete: %s", ch->name,
	    (long)ch->pid, text);
}

static int
vd_status_ans(struct vaultd *vd, struct child *ch, struct msg *m)
{
	uint64_t	pid;
	char		why[64];
	int		r, first;

	if (m->id != ch->status_id)
		return CV_ERR_MSG_STATE;
	if ((r = msg_get_u64(&m->rd, &pid)) != 0 ||
	    (r = msg_get_u64(&m->rd, &ch->uid)) != 0 ||
	    (r = msg_get_bool(&m->rd, &ch->chrooted)) != 0 ||
	    (r = msg_get_bool(&m->rd, &ch->netns)) != 0 ||
	    (r = msg_get_bool(&m->rd, &ch->mntns)) != 0 ||
	    (r = msg_get_bool(&m->rd, &ch->seccomp_self)) != 0)
		return r;
	if (pid != (uint64_t)ch->pid)
		return CV_ERR_MSG_STATE;
	child_read_proc(ch);
	/* the kernel's word, not the child's: no filter, no work */
	if (ch->proc_seccomp != 2) {
		snprintf(why, sizeof(why), "no seccomp filter in "
		    "/proc/%ld/status", (long)ch->pid);
		child_unsandboxed(vd, ch, why);	/* and restarted */
		return 0;
	}
	first = !ch->have_status;
	/*
	 * Traced before it is given any work, secrets included: a tracer
	 * that came in while the child was still dumpable, right after its
	 * execve, and stayed (the child refuses one itself; this does not
	 * take its word).  Later only a process privileged over it can
	 * attach (strace -p as root): that one is left alone.
	 */
	if (first && ch->proc_tracer != 0) {
		if (ch->proc_tracer == -1)
			snprintf(why, sizeof(why), "no TracerPid in "
			    "/proc/%ld/status", (long)ch->pid);
		else
			snprintf(why, sizeof(why), "traced by process %ld at "
			    "start", ch->proc_tracer);
		child_unsandboxed(vd, ch, why);	/* and restarted */
		return 0;
	}
	if (first)
		log_info("%s up: pid %ld uid %llu seccomp %d nnp %d%s%s%s",
		    ch->name, (long)ch->pid, (unsigned long long)ch->uid,
		    ch->proc_seccomp, ch->proc_nnp,
		    ch->chrooted ? " chroot" : "", ch->netns ? " netns" : "",
		    ch->mntns ? " mntns" : "");
	ch->have_status = 1;
	ch->status_read = m->id;
	if (first)
		child_warn_gaps(ch);
	ch->status_sent_ms = 0;
	ch->status_next_ms = vaultd_now_ms() + VAULTD_STATUS_EVERY_MS;
	/* work is handed to a child only once its sandbox is seen */
	if (first)
		vaultd_child_up(vd, ch->id);
	childlog_tick(ch);	/* lines it logged past its rate, if due */
	return 0;
}

/* s with every byte outside printable ASCII made '?': one log line. */
static char *
printable_only(char *s)
{
	char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return s;
}

/* A test probe the child refused to make (an unknown kind). */
static int
vd_probe_ans(struct vaultd *vd, struct child *ch, struct msg *m)
{
	char	text[MSG_ERROR_TEXT_MAX + 1];
	int	code, r;

	if (m->id != ch->probe_id)
		return CV_ERR_MSG_STATE;
	ch->probe_id = 0;
	if (m->type == MSG_ERROR_ANS) {
		if ((r = msg_get_error(m, &code, text, sizeof(text))) != 0)
			return r;
		log_info("%s: test probe refused: %s", ch->name,
		    printable_only(text));
	}
	return 0;
}

/*
 * What each child may send, and when: a child's permission table.  The
 * first row of the child's table whose type matches and whose state
 * bits are all set admits the message; anything else is a broken peer.
 */
static const struct child_perm signerd_perms[] = {
	{ MSG_HELLO_REQ,	 PS_HELLO,		vd_hello_req },
	{ MSG_STATUS_ANS,	 PS_UP | PS_STATUS,	vd_status_ans },
	{ MSG_PROBE_ANS,	 PS_UP | PS_PROBE,	vd_probe_ans },
	{ MSG_ERROR_ANS,	 PS_UP | PS_PROBE,	vd_probe_ans },
	/* answers to our vault operation or to a slot's request */
	{ MSG_ERROR_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_CREATE_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_UNLOCK_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_LOCK_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_PUT_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_DEL_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_PASSWD_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_REKEY_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_COMMIT_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_LIST_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_AUDIT_SIGN_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_SIGN_ANS,		 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_CLIENT_CHECK_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_STORE_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_MARK_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_POLICY_ANS,	 PS_UP | PS_WORK,	vault_signerd_answer },
	{ MSG_VAULT_ACCOUNT_ANS, PS_UP | PS_WORK,	vault_signerd_answer },
};

static const struct child_perm netd_perms[] = {
	{ MSG_HELLO_REQ,	 PS_HELLO,		vd_hello_req },
	{ MSG_STATUS_ANS,	 PS_UP | PS_STATUS,	vd_status_ans },
	{ MSG_PROBE_ANS,	 PS_UP | PS_PROBE,	vd_probe_ans },
	{ MSG_ERROR_ANS,	 PS_UP | PS_PROBE,	vd_probe_ans },
	/* the call in progress: its signatures, its answer or refusal */
	{ MSG_NET_SIGN_REQ,	 PS_UP | PS_CALL,	vaultd_call_sign_req },
	{ MSG_NET_CALL_ANS,	 PS_UP | PS_CALL,	vaultd_call_ans },
	{ MSG_ERROR_ANS,	 PS_UP | PS_CALL,	vaultd_call_error },
	/* the gateway: bots' requests, readiness and metrics, any time */
	{ MSG_GW_REQ,		 PS_UP,			vaultd_gw_req },
	{ MSG_GW_INFO_REQ,	 PS_UP,			vaultd_gw_info_req },
	/* a request it gave up on: ended here too */
	{ MSG_GW_GONE,		 PS_UP,			vaultd_gw_gone },
	/* tokens wiped: nothing to do, nothing it can forge */
	{ MSG_NET_FORGET_ANS,	 PS_UP,			vaultd_net_forget_ans },
};

static const struct {
	const struct child_perm	*rows;
	size_t			 n;
} child_tables[CHILD_NUM] = {
	[CHILD_SIGNERD] = { signerd_perms,
	    sizeof(signerd_perms) / sizeof(signerd_perms[0]) },
	[CHILD_NETD] = { netd_perms,
	    sizeof(netd_perms) / sizeof(netd_perms[0]) },
};

unsigned
child_state_bits(const struct vaultd *vd, const struct child *ch)
{
	unsigned	bits = 0;

	if (ch->state == CHILD_HELLO)
		return PS_HELLO;
	if (ch->state != CHILD_UP)
		return 0;
	bits = PS_UP;
	if (ch->status_sent_ms != 0)
		bits |= PS_STATUS;
	if (ch->probe_id != 0)
		bits |= PS_PROBE;
	if (ch->id == CHILD_SIGNERD && (vault_busy(vd) ||
	    vaultd_sign_waiting(vd)))
		bits |= PS_WORK;
	if (ch->id == CHILD_NETD && vaultd_call_at_netd(vd))
		bits |= PS_CALL;
	return bits;
}

unsigned
child_msg_bits(const struct vaultd *vd, const struct child *ch, uint32_t id)
{
	unsigned	bits = child_state_bits(vd, ch);

	if (id != ch->probe_id)
		bits &= ~PS_PROBE;
	return bits;
}

const struct child_perm *
child_perm_find(enum child_id id, uint32_t type, unsigned state)
{
	size_t	i;

	if ((unsigned)id >= CHILD_NUM)
		return NULL;
	for (i = 0; i < child_tables[id].n; i++) {
		const struct child_perm *p = &child_tables[id].rows[i];

		if (p->type == type && (p->need & state) == p->need)
			return p;
	}
	return NULL;
}

/* The one dispatcher for messages from a child: its table decides. */
static int
child_dispatch(struct vaultd *vd, struct child *ch, struct msg *m)
{
	const struct child_perm	*p;

	if ((p = child_perm_find(ch->id, m->type,
	    child_msg_bits(vd, ch, m->id))) == NULL)
		return CV_ERR_MSG_STATE;
	/* an answer to work: the child is not stuck (child_watch) */
	if (p->need & PS_WORK)
		ch->owed_ms = 0;
	return p->handle(vd, ch, m);
}

int
child_ready(const struct child *ch)
{
	return ch->state == CHILD_UP && ch->have_status &&
	    ch->proc_seccomp == 2;
}

/* A broken peer: on the audit log, then killed and restarted. */
static void
child_refuse(struct vaultd *vd, struct child *ch, const char *why)
{
	vaultd_audit(vd, ch->name, "", "peer_refused", "killed", NULL);
	child_end(ch, CHILD_END_REFUSED, why);
}

/* Its sandbox is not as the kernel must show it: killed, restarted. */
static void
child_unsandboxed(struct vaultd *vd, struct child *ch, const char *why)
{
	vaultd_audit(vd, ch->name, "", "peer_refused", "killed", NULL);
	child_end(ch, CHILD_END_SANDBOX, why);
}

void
child_stalled(struct vaultd *vd, struct child *ch, const char *what,
    const char *why)
{
	vaultd_audit(vd, ch->name, "", "peer_stalled", "killed", what);
	child_end(ch, strcmp(what, "call") == 0 ? CHILD_END_DEADLINE :
	    CHILD_END_STALLED, why);
}

void
child_readable(struct vaultd *vd, struct child *ch)
{
	struct msg	m;
	char		why[128];
	int		r;

	if ((r = chan_fill(&ch->chan)) == CV_ERR_AGAIN)
		return;
	if (r == CV_ERR_EOF) {
		/* It is exiting; SIGCHLD tells how. */
		chan_free(&ch->chan);
		ch->state = CHILD_DYING;
		return;
	}
	if (r != 0) {
		child_io_failed(ch, cv_strerror(r));
		return;
	}
	while ((r = chan_next(&ch->chan, &m)) == 0) {
		r = child_dispatch(vd, ch, &m);
		if (r != 0) {
			snprintf(why, sizeof(why), "%s: %s", msg_name(m.type),
			    cv_strerror(r));
			msg_clear(&m);
			child_refuse(vd, ch, why);
			return;
		}
		msg_clear(&m);
		/* a handler may have given up on it */
		if (ch->state != CHILD_UP && ch->state != CHILD_HELLO)
			return;
	}
	/*
	 * With the AGAIN, chan_next wiped what was handled: signerd's
	 * signed headers carry the API passphrase, which stayed in vaultd's
	 * memory until signerd next wrote.
	 */
	if (r != CV_ERR_AGAIN) {
		snprintf(why, sizeof(why), "malformed message: %s",
		    cv_strerror(r));
		child_refuse(vd, ch, why);
	}
}

/*
 * How long signerd may go without an answer while it owes some, or 0
 * when it owes none: a vault operation that derives a key (Argon2id
 * takes seconds, twice for passwd, and what is behind it waits), the
 * longer the more work its derivations are (the vault's cost, up to 32
 * passes over 4 GiB, 32 units); any other; or requests vaultd handed
 * it.  Not the status query's: that has its own deadline.
 */
static int64_t
child_owed_bound(const struct vaultd *vd, const struct child *ch)
{
	if (ch->id != CHILD_SIGNERD || ch->state != CHILD_UP)
		return 0;
	if (vault_deriving(vd))
		return vault_derive_ms(vd);
	if (vault_busy(vd) || vaultd_sign_at_signerd(vd) > 0)
		return vd->answer_ms;
	return 0;
}

/*
 * When signerd was handed the oldest request it still owes an answer,
 * the vault operation's or a slot's, or 0 when it owes none: a request
 * handed to it behind a vault operation could only start once that one
 * was answered, and counts from then.
 */
static int64_t
child_oldest(const struct vaultd *vd)
{
	int64_t	t = vaultd_sign_oldest_ms(vd);

	if (t != 0 && t < vd->op_answered_ms)
		t = vd->op_answered_ms;
	if (vault_busy(vd) && vd->op.sent_ms != 0 &&
	    (t == 0 || vd->op.sent_ms < t))
		t = vd->op.sent_ms;
	return t;
}

/* 1 if signerd has been silent, or left a request unanswered, past bound. */
static int
child_late(const struct child *ch, int64_t now, int64_t bound)
{
	return (ch->owed_ms != 0 && now - ch->owed_ms > bound) ||
	    (ch->oldest_ms != 0 && now - ch->oldest_ms > bound);
}

/*
 * The watchdog of work: a signerd that owes answers and has given none
 * for its bound (stopped, deadlocked, spinning), or that leaves one
 * request unanswered that long while it answers others (a request it
 * dropped), is killed, and its crash takes over: restarted, what waited
 * on it answered.  The silence is timed from when it comes to owe, and
 * again from each answer (child_dispatch); a request from when it was
 * handed over (the slot's or the operation's sent_ms, the loop's clock).
 * Once a turn, with the loop's clock: nothing is timed per request, and
 * the slots are looked through only when the oldest known (oldest_ms,
 * never later than the oldest) may be past due.  While it owes work,
 * its status query waits with it, not on its own deadline: a status
 * answer comes after the work sent before it.
 */
static void
child_watch(struct vaultd *vd, struct child *ch, int64_t now)
{
	const char	*what;
	char		 why[96];
	int64_t		 bound;

	if ((bound = child_owed_bound(vd, ch)) == 0) {
		ch->owed_ms = ch->oldest_ms = 0;
		return;
	}
	if (ch->status_sent_ms != 0)
		ch->status_sent_ms = now;
	/* a derivation that starts gets its bound from the last answer */
	ch->owed_bound = bound;
	if (ch->owed_ms == 0)
		ch->owed_ms = now;
	if (ch->oldest_ms == 0 || now - ch->oldest_ms > bound)
		ch->oldest_ms = child_oldest(vd);
	if (!child_late(ch, now, bound))
		return;
	/* vaultd itself may have been the one held up: read what came */
	child_readable(vd, ch);
	if (ch->state != CHILD_UP)
		return;
	ch->oldest_ms = child_oldest(vd);
	if (!child_late(ch, now, bound))
		return;
	what = vault_busy(vd) ? "the vault operation" : "signing requests";
	snprintf(why, sizeof(why), "no answer to %s in %lld s", what,
	    (long long)(bound / 1000));
	child_stalled(vd, ch, vault_busy(vd) ? "vault" : "signing", why);
}

/*
 * The status query's deadline (and the handshake's, status_sent_ms set
 * at the start): a child that gives no answer for that long is stalled,
 * whatever it is doing.  For netd this is the watchdog: it answers
 * status queries during a call (its HTTP is polled with the channel),
 * so one that does not is stopped, deadlocked or spinning.
 */
static void
child_status_late(struct vaultd *vd, struct child *ch, int64_t now)
{
	char	why[96];
	int	hello = ch->state == CHILD_HELLO;

	/* vaultd itself may have been the one held up: read what came */
	child_readable(vd, ch);
	if ((ch->state != CHILD_HELLO && ch->state != CHILD_UP) ||
	    ch->status_sent_ms == 0 ||
	    now - ch->status_sent_ms <= VAULTD_STATUS_DEADLINE)
		return;
	snprintf(why, sizeof(why), "no answer to %s in %d s", hello ?
	    "the handshake" : "the status query",
	    VAULTD_STATUS_DEADLINE / 1000);
	child_stalled(vd, ch, hello ? "hello" : "status", why);
}

void
child_timers(struct vaultd *vd, struct child *ch, int64_t now)
{
	switch (ch->state) {
	case CHILD_DOWN:
		if (vd->stopping || now < ch->restart_at_ms)
			return;
		if (ch->restart_at_ms != 0) {
			ch->restarts++;
			ch->restarts_by[ch->end]++;
		}
		if (child_start(vd, ch) != 0) {
			ch->restart_at_ms = now + ch->backoff_ms;
			ch->backoff_ms = ch->backoff_ms * 2 >
			    VAULTD_BACKOFF_MAX_MS ? VAULTD_BACKOFF_MAX_MS :
			    ch->backoff_ms * 2;
		}
		return;
	case CHILD_HELLO:
	case CHILD_UP:
		child_watch(vd, ch, now);
		if (ch->state != CHILD_HELLO && ch->state != CHILD_UP)
			return;
		if (ch->status_sent_ms != 0 &&
		    now - ch->status_sent_ms > VAULTD_STATUS_DEADLINE) {
			child_status_late(vd, ch, now);
			return;
		}
		if (ch->state == CHILD_UP && ch->status_sent_ms == 0 &&
		    now >= ch->status_next_ms && child_query_status(ch) != 0)
			child_io_failed(ch, "cannot send status query");
		return;
	case CHILD_DYING:
		return;
	}
}

int64_t
child_next_timer(const struct child *ch)
{
	switch (ch->state) {
	case CHILD_DOWN:
		return ch->restart_at_ms;
	case CHILD_HELLO:
	case CHILD_UP:
		/* owing work, its status query waits with it (child_watch) */
		if (ch->owed_ms != 0 && ch->oldest_ms != 0 &&
		    ch->oldest_ms < ch->owed_ms)
			return ch->oldest_ms + ch->owed_bound + 1;
		if (ch->owed_ms != 0)
			return ch->owed_ms + ch->owed_bound + 1;
		if (ch->status_sent_ms != 0)
			return ch->status_sent_ms + VAULTD_STATUS_DEADLINE + 1;
		return ch->status_next_ms;
	default:
		return -1;
	}
}
