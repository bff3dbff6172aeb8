/*
 * vaultd's side of its children: start them with a socketpair, answer
 * their handshake, query their status, restart them when they die.  A
 * child that sends anything malformed or out of turn is broken: it is
 * killed and restarted, never trusted, and never takes vaultd down.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "common/child.h"
#include "common/log.h"
#include "vaultd/vaultd.h"

void
child_setup(struct vaultd *vd, struct child *ch, const char *name,
    const char *exedir)
{
	memset(ch, 0, sizeof(*ch));
	ch->name = name;
	ch->chan.fd = -1;
	ch->state = CHILD_DOWN;
	ch->backoff_ms = VAULTD_BACKOFF_MIN_MS;
	if ((size_t)snprintf(ch->path, sizeof(ch->path), "%s/%s", exedir,
	    name) >= sizeof(ch->path))
		fatalx("path of %s too long", name);
	(void)vd;
}

struct child *
child_by_name(struct vaultd *vd, const char *name)
{
	size_t	i;

	for (i = 0; i < 2; i++)
		if (strcmp(vd->children[i].name, name) == 0)
			return &vd->children[i];
	return NULL;
}

/* In the forked child: become the program, with only CHILD_FD open. */
static void __attribute__((noreturn))
child_exec(struct vaultd *vd, struct child *ch, int fd)
{
	char		*argv[12];
	char		*envp[] = { NULL };	/* nothing inherited */
	sigset_t	 none;
	int		 n = 0;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (fd == CHILD_FD) {
		if (fcntl(fd, F_SETFD, 0) == -1)
			_exit(127);
	} else if (dup2(fd, CHILD_FD) == -1)
		_exit(127);
	if (close_range(CHILD_FD + 1, ~0U, 0) == -1)
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
	argv[n] = NULL;
	execve(ch->path, argv, envp);
	fprintf(stderr, "vaultd: cannot execute %s: %s\n", ch->path,
	    strerror(errno));
	_exit(127);
}

int
child_start(struct vaultd *vd, struct child *ch)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair for %s", ch->name);
		return CV_ERR_IO;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork %s", ch->name);
		close(sv[0]);
		close(sv[1]);
		return CV_ERR_IO;
	}
	if (pid == 0) {
		close(sv[0]);
		child_exec(vd, ch, sv[1]);
	}
	close(sv[1]);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("nonblocking socket for %s", ch->name);
		kill(pid, SIGKILL);
		close(sv[0]);
		ch->pid = pid;
		ch->state = CHILD_DYING;
		return CV_ERR_IO;
	}
	chan_init(&ch->chan, sv[0]);
	ch->pid = pid;
	ch->state = CHILD_HELLO;
	ch->started_ms = vaultd_now_ms();
	ch->status_sent_ms = ch->started_ms;	/* hello deadline */
	ch->have_status = 0;
	log_info("started %s, pid %ld", ch->name, (long)pid);
	return 0;
}

void
child_kill(struct child *ch, const char *why)
{
	if (ch->state == CHILD_DOWN || ch->state == CHILD_DYING)
		return;
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

	for (i = 0; i < 2; i++)
		if (vd->children[i].pid == pid &&
		    vd->children[i].state != CHILD_DOWN)
			ch = &vd->children[i];
	if (ch == NULL)
		return;
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
	ch->state = CHILD_DOWN;
	ch->pid = 0;
	ch->have_status = 0;
	if (strcmp(ch->name, "signerd") == 0)
		vault_signerd_lost(vd);
	else
		vaultd_call_netd_lost(vd);
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

/* Seccomp and NoNewPrivs as the kernel reports them, not as claimed. */
static void
child_read_proc(struct child *ch)
{
	char	 path[64], line[256];
	FILE	*f;

	ch->proc_seccomp = ch->proc_nnp = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)ch->pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "Seccomp:", 8) == 0)
			ch->proc_seccomp = atoi(line + 8);
		else if (strncmp(line, "NoNewPrivs:", 11) == 0)
			ch->proc_nnp = atoi(line + 11);
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
vd_hello_req(struct child *ch, struct msg *m)
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

static int
vd_status_ans(struct child *ch, struct msg *m)
{
	uint64_t	pid;
	int		r;

	if (ch->status_sent_ms == 0 || m->id != ch->status_id)
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
	if (!ch->have_status)
		log_info("%s up: pid %ld uid %llu seccomp %d nnp %d%s%s%s",
		    ch->name, (long)ch->pid, (unsigned long long)ch->uid,
		    ch->proc_seccomp, ch->proc_nnp,
		    ch->chrooted ? " chroot" : "", ch->netns ? " netns" : "",
		    ch->mntns ? " mntns" : "");
	ch->have_status = 1;
	ch->status_sent_ms = 0;
	ch->status_next_ms = vaultd_now_ms() + VAULTD_STATUS_EVERY_MS;
	return 0;
}

/* The one dispatcher for messages from a child. */
static int
child_dispatch(struct vaultd *vd, struct child *ch, struct msg *m)
{
	int	r;

	if (ch->state == CHILD_HELLO) {
		if (m->type != MSG_HELLO_REQ)
			return CV_ERR_MSG_STATE;
		if ((r = vd_hello_req(ch, m)) == 0 &&
		    strcmp(ch->name, "signerd") == 0)
			vault_signerd_up(vd);
		return r;
	}
	switch (m->type) {
	case MSG_STATUS_ANS:
		return vd_status_ans(ch, m);
	case MSG_PROBE_ANS:
		return 0;
	case MSG_NET_SIGN_REQ:
	case MSG_NET_CALL_ANS:
		if (strcmp(ch->name, "netd") != 0)
			return CV_ERR_MSG_STATE;
		return vaultd_call_netd(vd, m);
	case MSG_ERROR_ANS:
		if (strcmp(ch->name, "netd") == 0)
			return vaultd_call_netd(vd, m);
		/* FALLTHROUGH */
	case MSG_VAULT_CREATE_ANS:
	case MSG_VAULT_UNLOCK_ANS:
	case MSG_VAULT_LOCK_ANS:
	case MSG_VAULT_PUT_ANS:
	case MSG_VAULT_DEL_ANS:
	case MSG_VAULT_PASSWD_ANS:
	case MSG_VAULT_COMMIT_ANS:
	case MSG_VAULT_LIST_ANS:
	case MSG_AUDIT_SIGN_ANS:
	case MSG_SIGN_ANS:
	case MSG_VAULT_STORE_ANS:
	case MSG_VAULT_MARK_ANS:
	case MSG_VAULT_ACCOUNT_ANS:
		if (strcmp(ch->name, "signerd") != 0)
			return CV_ERR_MSG_STATE;
		return vault_signerd_answer(vd, m);
	default:
		return CV_ERR_MSG_STATE;
	}
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
		child_kill(ch, cv_strerror(r));
		return;
	}
	while ((r = chan_next(&ch->chan, &m)) == 0) {
		r = child_dispatch(vd, ch, &m);
		if (r != 0) {
			snprintf(why, sizeof(why), "%s: %s", msg_name(m.type),
			    cv_strerror(r));
			msg_clear(&m);
			child_kill(ch, why);
			return;
		}
		msg_clear(&m);
	}
	if (r != CV_ERR_AGAIN) {
		snprintf(why, sizeof(why), "malformed message: %s",
		    cv_strerror(r));
		child_kill(ch, why);
	}
}

void
child_timers(struct vaultd *vd, struct child *ch, int64_t now)
{
	switch (ch->state) {
	case CHILD_DOWN:
		if (vd->stopping || now < ch->restart_at_ms)
			return;
		if (ch->restart_at_ms != 0)
			ch->restarts++;
		if (child_start(vd, ch) != 0) {
			ch->restart_at_ms = now + ch->backoff_ms;
			ch->backoff_ms = ch->backoff_ms * 2 >
			    VAULTD_BACKOFF_MAX_MS ? VAULTD_BACKOFF_MAX_MS :
			    ch->backoff_ms * 2;
		}
		return;
	case CHILD_HELLO:
	case CHILD_UP:
		if (ch->status_sent_ms != 0 &&
		    now - ch->status_sent_ms > VAULTD_STATUS_DEADLINE) {
			child_kill(ch, "no answer within the deadline");
			return;
		}
		if (ch->state == CHILD_UP && ch->status_sent_ms == 0 &&
		    now >= ch->status_next_ms && child_query_status(ch) != 0)
			child_kill(ch, "cannot send status query");
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
		if (ch->status_sent_ms != 0)
			return ch->status_sent_ms + VAULTD_STATUS_DEADLINE + 1;
		return ch->status_next_ms;
	default:
		return -1;
	}
}
