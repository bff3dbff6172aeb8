/*
 * The control socket: vaultctl's way in.  Only the vaultd user, root,
 * and with a socket group (-g, socket-group) that group's members may
 * connect (SO_PEERCRED, SO_PEERGROUPS); the first message must be the
 * handshake,
 * within VAULTD_HELLO_MS; what a client may send is its permission table
 * (ctl_perms below), and a client that sends anything else, anything
 * malformed, more denied requests than its budget, or nothing at all for
 * VAULTD_IDLE_MS while nothing of its is in flight, is disconnected.  One
 * process may hold at most VAULTD_CLIENTS_PER_PID connections.  A client
 * that does not read its answers gets no more than VAULTD_CLIENT_QUEUE
 * (and what it already asked for) queued: past that, vaultd neither
 * reads nor handles its requests until it reads (control_paused); one
 * that has read none of them for VAULTD_IDLE_MS is disconnected too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "common/log.h"
#include "common/version.h"
#include "vaultd/vaultd.h"

/* A client's frames handled, and bytes read, in one turn. */
#define CONTROL_TURN_FRAMES	64
#define CONTROL_TURN_BYTES	(1024 * 1024)

int
control_listen(struct vaultd *vd)
{
	struct sockaddr_un	sun;
	int			probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(vd->sockpath) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long: %s", vd->sockpath);
		return CV_ERR_TOOLONG;
	}
	memcpy(sun.sun_path, vd->sockpath, strlen(vd->sockpath) + 1);

	/* A socket that answers belongs to a running vaultd. */
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return CV_ERR_IO;
	if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		close(probe);
		log_warnx("another vaultd is already serving %s",
		    vd->sockpath);
		return CV_ERR_EXISTS;
	}
	close(probe);
	if (unlink(vd->sockpath) == -1 && errno != ENOENT) {
		log_warn("unlink stale %s", vd->sockpath);
		return CV_ERR_IO;
	}
	return vaultd_unix_listen(vd, vd->sockpath, 16, &vd->listen_fd);
}

int
vaultd_unix_listen(struct vaultd *vd, const char *path, int backlog,
    int *fdp)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("socket path too long: %s", path);
		return CV_ERR_TOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return CV_ERR_IO;
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", path);
		close(fd);
		return CV_ERR_IO;
	}
	umask(old);
	/* with a socket group: 0660, that group's (the home lets it pass) */
	if (vd->have_sock_gid && chown(path, (uid_t)-1, vd->sock_gid) == -1) {
		log_warn("cannot give %s to group %u", path,
		    (unsigned)vd->sock_gid);
		close(fd);
		unlink(path);
		return CV_ERR_PERM;
	}
	if (chmod(path, vd->have_sock_gid ? 0660 : 0600) == -1 ||
	    listen(fd, backlog) == -1) {
		log_warn("listen %s", path);
		close(fd);
		unlink(path);
		return CV_ERR_IO;
	}
	*fdp = fd;
	return 0;
}

void
control_shutdown(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < VAULTD_MAX_CLIENTS; i++)
		control_close(&vd->clients[i]);
	if (vd->listen_fd != -1) {
		close(vd->listen_fd);
		vd->listen_fd = -1;
		unlink(vd->sockpath);
	}
}

void
control_close(struct client *cl)
{
	if (cl->chan.fd != -1)
		chan_free(&cl->chan);
	memset(cl, 0, sizeof(*cl));
	cl->chan.fd = -1;
}

/* 1 if gid is among groups[0..n). */
static int
gid_in(gid_t gid, const gid_t *groups, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * May this peer connect: vaultd's own uid, root, or a member of the
 * socket group.  Membership is what the kernel saw when the peer
 * connected: its gid, or its supplementary groups (SO_PEERGROUPS); on a
 * kernel without SO_PEERGROUPS, the groups of its user in the group
 * database.
 */
static int
control_admit(struct vaultd *vd, int fd, const struct ucred *cred)
{
	struct passwd	*pw;
	gid_t		 small[64], *groups = small;
	socklen_t	 len = sizeof(small);
	int		 r, e, n, ok = 0;

	if (cred->uid == geteuid() || cred->uid == 0)
		return 1;
	if (!vd->have_sock_gid)
		return 0;
	if (cred->gid == vd->sock_gid)
		return 1;
	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (r == -1 && errno == ERANGE && len > sizeof(small)) {
		if ((groups = malloc(len)) == NULL)
			return 0;
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	e = errno;
	if (r == 0)
		ok = gid_in(vd->sock_gid, groups, len / sizeof(gid_t));
	else if (e == ENOPROTOOPT && (pw = getpwuid(cred->uid)) != NULL) {
		/* no SO_PEERGROUPS here: the user's groups, as login gives */
		n = (int)(sizeof(small) / sizeof(small[0]));
		if (getgrouplist(pw->pw_name, pw->pw_gid, small, &n) != -1)
			ok = gid_in(vd->sock_gid, small, (size_t)n);
	}
	if (groups != small)
		free(groups);
	return ok;
}

void
control_accept(struct vaultd *vd)
{
	struct ucred	 cred;
	struct client	*cl;
	socklen_t	 len = sizeof(cred);
	size_t		 i, same;
	int		 fd;

	fd = accept4(vd->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("accept on control socket");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	if (!control_admit(vd, fd, &cred)) {
		log_warnx("refused control connection from uid %u (pid %ld)%s",
		    (unsigned)cred.uid, (long)cred.pid, vd->have_sock_gid ?
		    ": not in the socket group" : "");
		close(fd);
		return;
	}
	for (i = 0, same = 0; i < VAULTD_MAX_CLIENTS; i++)
		if (vd->clients[i].chan.fd != -1 &&
		    vd->clients[i].pid == cred.pid)
			same++;
	if (same >= VAULTD_CLIENTS_PER_PID) {
		log_warnx("pid %ld holds %zu control connections already; "
		    "refusing another", (long)cred.pid, same);
		close(fd);
		return;
	}
	for (i = 0; i < VAULTD_MAX_CLIENTS; i++)
		if (vd->clients[i].chan.fd == -1)
			break;
	if (i == VAULTD_MAX_CLIENTS) {
		log_warnx("too many control connections; refusing pid %ld",
		    (long)cred.pid);
		close(fd);
		return;
	}
	cl = &vd->clients[i];
	chan_init(&cl->chan, fd);
	cl->uid = cred.uid;
	cl->pid = cred.pid;
	snprintf(cl->actor, sizeof(cl->actor), "vaultctl:%u:%ld",
	    (unsigned)cred.uid, (long)cred.pid);
	cl->hello = 0;
	cl->serial = ++vd->next_serial;
	cl->since_ms = cl->last_ms = cl->out_ms = cl->deny_ms =
	    vaultd_now_ms();
	cl->deny_tokens = VAULTD_DENY_BURST;
}

/* 1 if something the client asked for is still being worked on. */
static int
client_busy(const struct vaultd *vd, const struct client *cl)
{
	return chan_pending(&cl->chan) || vd->op.client == cl->serial ||
	    vd->call.client == cl->serial ||
	    vaultd_sign_for_client(vd, cl->serial) ||
	    vaultd_approve_for_client(vd, cl->serial) ||
	    vaultd_policy_applying(vd, cl->serial);
}

/*
 * Its answers waiting (the socket's buffer full) and none of them read
 * for vd->idle_ms, counted from the later of the last byte written to
 * it and the turn that first saw them waiting: the client's requests
 * are no longer read (control_paused), and nothing else would end it.  Unread answers are
 * work in flight to the idle rule, so before this such a client kept
 * its connection, and up to VAULTD_CLIENT_QUEUE of vaultd's memory, for
 * as long as it liked.
 */
static int
client_stalled(const struct vaultd *vd, const struct client *cl, int64_t now)
{
	return chan_pending(&cl->chan) && now - cl->out_ms >= vd->idle_ms;
}

void
control_timers(struct vaultd *vd, int64_t now)
{
	size_t	i;

	for (i = 0; i < VAULTD_MAX_CLIENTS; i++) {
		struct client *cl = &vd->clients[i];

		if (cl->chan.fd == -1)
			continue;
		/*
		 * Nothing waits to be read; or answers wait that did not at
		 * the last turn: queued since, after a poll that may have
		 * been long.  The time-out counts from now, not from the
		 * turn before that poll: a client whose buffer was full
		 * when its answer was queued was cut before it had had
		 * vd->idle_ms to read it.
		 */
		if (!chan_pending(&cl->chan) || !cl->out_waits)
			cl->out_ms = now;
		cl->out_waits = chan_pending(&cl->chan);
		if (!cl->hello && now - cl->since_ms >= VAULTD_HELLO_MS) {
			log_warnx("control client pid %ld: no handshake within "
			    "%d ms; disconnecting", (long)cl->pid,
			    VAULTD_HELLO_MS);
			control_close(cl);
		} else if (cl->hello && client_stalled(vd, cl, now)) {
			log_warnx("control client pid %ld has read none of its "
			    "answers for %lld s (%zu bytes wait); "
			    "disconnecting", (long)cl->pid,
			    (long long)(vd->idle_ms / 1000),
			    chan_unwritten(&cl->chan));
			control_close(cl);
		} else if (cl->hello && now - cl->last_ms >= vd->idle_ms &&
		    !client_busy(vd, cl)) {
			log_info("control client pid %ld idle for %lld s; "
			    "disconnecting", (long)cl->pid,
			    (long long)(vd->idle_ms / 1000));
			control_close(cl);
		}
	}
}

/*
 * The next handshake deadline or time-out.  A busy client's idle
 * time-out is not one: the loop would spin on it, past, until the work
 * ended (the turn that ends it runs control_timers); a client whose
 * answers wait has the stall's instead.
 */
int64_t
control_next_timer(const struct vaultd *vd)
{
	int64_t	next = -1, t;
	size_t	i;

	for (i = 0; i < VAULTD_MAX_CLIENTS; i++) {
		const struct client *cl = &vd->clients[i];

		if (cl->chan.fd == -1)
			continue;
		if (!cl->hello)
			t = cl->since_ms + VAULTD_HELLO_MS;
		else if (chan_pending(&cl->chan))
			t = cl->out_ms + vd->idle_ms;
		else if (!client_busy(vd, cl))
			t = cl->last_ms + vd->idle_ms;
		else
			continue;
		if (next < 0 || t < next)
			next = t;
	}
	return next;
}

static struct client *
client_by_serial(struct vaultd *vd, uint64_t serial)
{
	size_t	i;

	for (i = 0; serial != 0 && i < VAULTD_MAX_CLIENTS; i++)
		if (vd->clients[i].chan.fd != -1 &&
		    vd->clients[i].serial == serial)
			return &vd->clients[i];
	return NULL;
}

int
control_answer(struct vaultd *vd, uint64_t serial, struct msg_w *w)
{
	struct client	*cl = client_by_serial(vd, serial);
	int		 r;

	if (cl == NULL) {
		msg_w_free(w);
		return CV_ERR_NOTFOUND;
	}
	/* test mode, probe queue-fail: as a queue that cannot take it */
	if (cl->queue_fail) {
		msg_w_free(w);
		r = CV_ERR_MSG_TOOBIG;
	} else
		r = chan_queue(&cl->chan, w);
	if (r != 0)
		control_close(cl);
	return r;
}

int
control_connected(struct vaultd *vd, uint64_t serial)
{
	return client_by_serial(vd, serial) != NULL;
}

int
control_waiting(const struct client *cl)
{
	return cl->chan.fd != -1 && !control_paused(cl) &&
	    chan_has_frame(&cl->chan);
}

/*
 * Without it, a client that sends requests and reads none of the answers
 * had each one queued until MSG_MAX_QUEUE (48 MiB a client, 3 GiB for
 * VAULTD_MAX_CLIENTS of them).  Now the answers it has not read are at
 * most VAULTD_CLIENT_QUEUE, one more answer (a frame), and those of the
 * requests it already has in flight.  A client that reads as it sends
 * (tests/bench/bench_path.c keeps 240 requests in flight) drains the
 * queue as fast as vaultd fills it, and is not held up.
 */
int
control_paused(const struct client *cl)
{
	return chan_unwritten(&cl->chan) > VAULTD_CLIENT_QUEUE;
}

int
control_flush(struct client *cl)
{
	size_t	before = chan_unwritten(&cl->chan);
	int	r;

	r = chan_flush(&cl->chan);
	if (r != 0 && r != CV_ERR_AGAIN) {
		control_close(cl);
		return r;
	}
	if (chan_unwritten(&cl->chan) < before)
		cl->out_ms = vaultd_now_ms();
	return r;
}

void
control_flush_all(struct vaultd *vd)
{
	size_t	i;

	for (i = 0; i < VAULTD_MAX_CLIENTS; i++) {
		struct client *cl = &vd->clients[i];

		if (cl->chan.fd != -1 && chan_pending(&cl->chan))
			(void)control_flush(cl);
	}
}

/*
 * A client's denied requests are budgeted: VAULTD_DENY_BURST at once,
 * refilled at VAULTD_DENY_PER_S.  Past that, every further denial is
 * still recorded, and the client is disconnected.
 */
void
control_denied(struct vaultd *vd, uint64_t serial)
{
	struct client	*cl = client_by_serial(vd, serial);
	int64_t		 now = vaultd_now_ms(), add;

	if (cl == NULL)
		return;
	add = (now - cl->deny_ms) * VAULTD_DENY_PER_S / 1000;
	if (add > 0) {
		cl->deny_tokens = cl->deny_tokens + add > VAULTD_DENY_BURST ?
		    VAULTD_DENY_BURST : cl->deny_tokens + (int)add;
		cl->deny_ms = now;
	}
	if (cl->deny_tokens > 0) {
		cl->deny_tokens--;
		return;
	}
	log_warnx("control client pid %ld: too many denied requests; "
	    "disconnecting", (long)cl->pid);
	(void)!chan_flush(&cl->chan);
	control_close(cl);
}

void
control_error(struct vaultd *vd, uint64_t serial, uint32_t id, int code,
    const char *text)
{
	struct msg_w	w;

	msg_begin(&w, MSG_ERROR_ANS, id);
	msg_put_i64(&w, code);
	msg_put_str(&w, text);
	control_answer(vd, serial, &w);
}

static void
put_proc(struct msg_w *w, const char *name, long pid, int64_t up_ms,
    unsigned restarts, const char *state, int seccomp, int nnp, uint64_t uid,
    int chrooted, int netns, int mntns, const char *last_exit)
{
	msg_put_array(w, 12);
	msg_put_str(w, name);
	msg_put_u64(w, pid > 0 ? (uint64_t)pid : 0);
	msg_put_u64(w, up_ms > 0 ? (uint64_t)(up_ms / 1000) : 0);
	msg_put_u64(w, restarts);
	msg_put_str(w, state);
	msg_put_i64(w, seccomp);
	msg_put_i64(w, nnp);
	msg_put_u64(w, uid);
	msg_put_bool(w, chrooted);
	msg_put_bool(w, netns);
	msg_put_bool(w, mntns);
	msg_put_str(w, last_exit);
}

static int
control_status(struct vaultd *vd, struct client *cl, struct msg *m)
{
	static const char *states[] = { "down", "starting", "up", "down" };
	struct child_gap gaps[CHILD_NUM][CHILD_GAPS_MAX];
	struct msg_w	 w;
	char		 budgets[512];
	int64_t		 now = vaultd_now_ms();
	size_t		 i, k, all, ngaps[CHILD_NUM];

	msg_begin(&w, MSG_CTL_STATUS_ANS, m->id);
	msg_put_str(&w, vd->home);
	msg_put_bool(&w, vd->testmode);
	msg_put_str(&w, vault_state(vd));
	msg_put_array(&w, 1 + CHILD_NUM);
	put_proc(&w, "vaultd", (long)getpid(), now - vd->started_ms, 0, "up",
	    0, 1, geteuid(), 0, 0, 0, "");
	for (i = 0; i < CHILD_NUM; i++) {
		struct child *ch = &vd->children[i];
		int up = ch->state == CHILD_UP && ch->have_status;

		/* "up" once its sandbox is seen, not at its hello */
		put_proc(&w, ch->name, up ? (long)ch->pid : 0,
		    up ? now - ch->started_ms : 0, ch->restarts,
		    ch->state == CHILD_UP && !up ? "starting" :
		    states[ch->state], up ? ch->proc_seccomp : -1,
		    up ? ch->proc_nnp : -1, up ? ch->uid : 0,
		    up && ch->chrooted, up && ch->netns, up && ch->mntns,
		    ch->last_exit);
	}
	msg_put_str(&w, CLOBVAULT_VERSION);
	/* the layers a child up runs without, and why */
	for (i = 0, all = 0; i < CHILD_NUM; i++) {
		ngaps[i] = vd->children[i].state == CHILD_UP ?
		    child_sandbox_gaps(&vd->children[i], gaps[i]) : 0;
		all += ngaps[i];
	}
	msg_put_array(&w, (uint32_t)all);
	for (i = 0; i < CHILD_NUM; i++)
		for (k = 0; k < ngaps[i]; k++) {
			msg_put_array(&w, 3);
			msg_put_str(&w, vd->children[i].name);
			msg_put_str(&w, gaps[i][k].layer);
			msg_put_str(&w, gaps[i][k].why);
		}
	/* the idle cores' wake-up latency vaultd holds; -1: none */
	msg_put_i64(&w, vd->cpu_latency_fd != -1 ? vd->cpu_latency : -1);
	vaultd_budget_trouble(vd, budgets, sizeof(budgets));
	msg_put_str(&w, budgets);
	return chan_queue(&cl->chan, &w);
}

/*
 * vaultd's own test probes; 1 if kind is one, now set:
 *   queue-fail	the next answer control_answer gives this client fails
 *		to queue, as with the queue full (the client is closed);
 *   busy	signing requests refused "busy" (sign_blocked) as when
 *		too many records wait for a checkpoint, which a request
 *		its approvers granted passes;
 *   busy-all	the same as when the vault is being locked, which none
 *		passes; busy-off ends either;
 *   lost-sync-fail	the sync of the next .lost copy fails (audit_lost);
 *   sync-slow	the syncer's next sync waits VAULTD_SYNC_SLOW_MS first, as
 *		on a slow disk;
 *   gone-late	the next MSG_GW_GONE is read only once vaultd has sent its
 *		next gateway answer, as when the two cross;
 *   clock-ahead, clock-back	the wall clock vaultd reads for the
 *		gateway's replay window and the policy steps 120 s forward
 *		or back, as the system clock can.
 */
static int
control_probe_self(struct vaultd *vd, struct client *cl, const char *kind)
{
	if (strcmp(kind, "queue-fail") == 0)
		cl->queue_fail = 1;
	else if (strcmp(kind, "busy") == 0)
		vd->probe_busy = 1;
	else if (strcmp(kind, "busy-all") == 0)
		vd->probe_busy = 2;
	else if (strcmp(kind, "busy-off") == 0)
		vd->probe_busy = 0;
	else if (strcmp(kind, "lost-sync-fail") == 0)
		vd->probe_lost_sync = 1;
	else if (strcmp(kind, "account-raw") == 0)
		vd->probe_account_raw = 1;
	else if (strcmp(kind, "sync-slow") == 0)
		vaultd_sync_slow(vd);
	else if (strcmp(kind, "gone-late") == 0)
		vd->gw.probe_gone_late = 1;
	else if (strcmp(kind, "clock-ahead") == 0)
		vaultd_wall_step(120 * 1000);
	else if (strcmp(kind, "clock-back") == 0)
		vaultd_wall_step(-120 * 1000);
	else
		return 0;
	return 1;
}

static int
control_probe(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct child	*ch;
	struct msg_w	 w;
	char		 name[16], kind[32];
	int		 r;

	if ((r = msg_get_strbuf(&m->rd, name, sizeof(name))) != 0 ||
	    (r = msg_get_strbuf(&m->rd, kind, sizeof(kind))) != 0)
		return r;
	if (!vd->testmode)
		return msg_error_ans(&cl->chan, m->id, CV_ERR_DENIED,
		    "test probes are off (vaultd was not started with -T)");
	/* it goes into the log: a name, not a line of its own */
	if (kind[0] == '\0' || kind[strspn(kind,
	    "abcdefghijklmnopqrstuvwxyz0123456789-")] != '\0')
		return msg_error_ans(&cl->chan, m->id, CV_ERR_INVALID,
		    "a probe is named in lowercase letters, digits and '-'");
	if (strcmp(name, "vaultd") == 0 && control_probe_self(vd, cl, kind)) {
		log_info("control: test probe %s set", kind);
		msg_begin(&w, MSG_CTL_PROBE_ANS, m->id);
		return chan_queue(&cl->chan, &w);
	}
	if ((ch = child_by_name(vd, name)) == NULL)
		return msg_error_ans(&cl->chan, m->id, CV_ERR_NOTFOUND,
		    "no such child");
	if ((r = child_send_probe(ch, kind)) != 0)
		return msg_error_ans(&cl->chan, m->id, r, cv_strerror(r));
	log_info("control: test probe %s sent to %s", kind, name);
	msg_begin(&w, MSG_CTL_PROBE_ANS, m->id);
	return chan_queue(&cl->chan, &w);
}

static int
control_hello(struct vaultd *vd, struct client *cl, struct msg *m)
{
	struct msg_w	w;
	uint64_t	version;
	int		r;

	if ((r = msg_get_u64(&m->rd, &version)) != 0)
		return r;
	if (version != MSG_VERSION)
		return CV_ERR_MSG_VERSION;
	cl->hello = 1;
	msg_begin(&w, MSG_CTL_HELLO_ANS, m->id);
	msg_put_u64(&w, MSG_VERSION);
	return chan_queue(&cl->chan, &w);
}

/*
 * What a control client may send, and when: its permission table.  The
 * handshake first and only once; then the requests below.  Whether the
 * vault's state allows one now is its handler's polite answer; a message
 * not in the table is a broken client.
 */
static const struct ctl_perm ctl_perms[] = {
	{ MSG_CTL_HELLO_REQ,	PS_HELLO,	control_hello },
	{ MSG_CTL_STATUS_REQ,	PS_UP,		control_status },
	{ MSG_CTL_PROBE_REQ,	PS_UP,		control_probe },
	{ MSG_CTL_INIT_REQ,	PS_UP,		vault_ctl_init },
	{ MSG_CTL_UNLOCK_REQ,	PS_UP,		vault_ctl_unlock },
	{ MSG_CTL_LOCK_REQ,	PS_UP,		vault_ctl_lock },
	{ MSG_CTL_PASSWD_REQ,	PS_UP,		vault_ctl_passwd },
	{ MSG_CTL_REKEY_REQ,	PS_UP,		vault_ctl_rekey },
	{ MSG_CTL_PUT_REQ,	PS_UP,		vault_ctl_put },
	{ MSG_CTL_DEL_REQ,	PS_UP,		vault_ctl_del },
	{ MSG_CTL_USE_REQ,	PS_UP,		vault_ctl_use },
	{ MSG_CTL_LIST_REQ,	PS_UP,		vault_ctl_list },
	{ MSG_CTL_AUDIT_REQ,	PS_UP,		vaultd_audit_ctl },
	{ MSG_CTL_AUDIT_SHOW_REQ, PS_UP,	vaultd_audit_show_ctl },
	{ MSG_CTL_AUDIT_KEY_REQ, PS_UP,		vaultd_audit_key_ctl },
	{ MSG_CTL_AUDIT_MODE_REQ, PS_UP,	vaultd_audit_mode_ctl },
	{ MSG_CTL_HEADERS_REQ,	PS_UP,		vaultd_sign_ctl },
	{ MSG_CTL_CALL_REQ,	PS_UP,		vaultd_call_ctl },
	{ MSG_CTL_POLICY_SHOW_REQ, PS_UP,	vaultd_policy_show_ctl },
	{ MSG_CTL_POLICY_APPLY_REQ, PS_UP,	vaultd_policy_apply_ctl },
	{ MSG_CTL_APPROVE_LIST_REQ, PS_UP,	vaultd_approve_list_ctl },
	{ MSG_CTL_APPROVE_REQ,	PS_UP,		vaultd_approve_ctl },
};

const struct ctl_perm *
control_perm_find(uint32_t type, unsigned state)
{
	size_t	i;

	for (i = 0; i < sizeof(ctl_perms) / sizeof(ctl_perms[0]); i++)
		if (ctl_perms[i].type == type &&
		    (ctl_perms[i].need & state) == ctl_perms[i].need)
			return &ctl_perms[i];
	return NULL;
}

/* The one dispatcher for control clients: the table decides. */
static int
control_dispatch(struct vaultd *vd, struct client *cl, struct msg *m)
{
	const struct ctl_perm	*p;

	if ((p = control_perm_find(m->type, cl->hello ? PS_UP :
	    PS_HELLO)) == NULL)
		return CV_ERR_MSG_STATE;
	return p->handle(vd, cl, m);
}

/*
 * Handle the whole frames a client has sent, counting them into *n, up
 * to CONTROL_TURN_FRAMES; 0, or 1 when the client was dropped.
 */
static int
control_frames(struct vaultd *vd, struct client *cl, size_t *n)
{
	struct msg	m;
	int		r = CV_ERR_AGAIN;

	while (*n < CONTROL_TURN_FRAMES && !control_paused(cl) &&
	    (r = chan_next(&cl->chan, &m)) == 0) {
		(*n)++;
		r = control_dispatch(vd, cl, &m);
		if (r != 0) {
			log_warnx("control client sent %s: %s; disconnecting",
			    msg_name(m.type), cv_strerror(r));
			vaultd_audit_refusal(vd, cl->actor, "",
			    "peer_refused", "dropped");
			/* Tell a version mismatch; then hang up. */
			if (r == CV_ERR_MSG_VERSION &&
			    msg_error_ans(&cl->chan, m.id, r,
			    "vaultctl and vaultd versions differ") == 0)
				(void)!chan_flush(&cl->chan);
			msg_clear(&m);
			control_close(cl);
			return 1;
		}
		msg_clear(&m);
		if (cl->chan.fd == -1)		/* dropped by a handler */
			return 1;
		r = CV_ERR_AGAIN;
	}
	if (r != CV_ERR_AGAIN) {
		log_warnx("control client sent a malformed message: %s",
		    cv_strerror(r));
		vaultd_audit_refusal(vd, cl->actor, "", "peer_refused",
		    "dropped");
		control_close(cl);
		return 1;
	}
	return 0;
}

/*
 * Handle what was read before, then read and handle; while that was
 * only a few requests, read again if the client has more and signing
 * can take more.  A turn's records share one fdatasync
 * (vaultd_sign_flush), and one read takes only a few requests with
 * large bodies: without this, nearly every such request waited for a
 * sync of its own.  At most CONTROL_TURN_FRAMES are handled a turn, the
 * rest in the next ones (control_waiting): a read of 240 small requests
 * handled in one turn made them one group that went through vaultd, the
 * sync, signerd and back to the client in step, each process waiting
 * for the one before; in groups of 64 the next group is checked and
 * recorded while the sync before runs and signerd signs the group before
 * that.  (Groups of 16 and 32 cost vaultd more CPU per request in turns,
 * wake-ups and syncs, and were no faster.)  A paused client's requests
 * are left where they are, read or not.
 */
void
control_readable(struct vaultd *vd, struct client *cl)
{
	size_t	before, got = 0, n = 0;
	int	r;

	for (;;) {
		if (control_frames(vd, cl, &n) != 0)
			return;
		if (n >= CONTROL_TURN_FRAMES || got >= CONTROL_TURN_BYTES ||
		    (got > 0 && !vaultd_sign_ready(vd)) || control_paused(cl))
			break;
		before = cl->chan.in.len - cl->chan.inoff;
		if ((r = chan_fill(&cl->chan)) == CV_ERR_AGAIN)
			break;
		if (r != 0) {
			control_close(cl);
			return;
		}
		got += cl->chan.in.len - before;
		cl->last_ms = vaultd_now_ms();
	}
	/*
	 * What was handled goes now, wiped, not at the client's next
	 * read: an unlock's passphrase, a record's secret, stayed in
	 * vaultd's memory while vaultctl waited for the answer or a client
	 * kept its connection open.  chan_next did it if it found no whole
	 * frame; a turn that ended on its frame count or a pause did not.
	 */
	chan_drop(&cl->chan);
	(void)control_flush(cl);
}
