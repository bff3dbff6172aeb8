/*
 * vaultctl's side of the control socket (connect, call, answer) and its
 * output: exit codes, the one JSON document, errors.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <sodium.h>

#include "common/home.h"
#include "common/utf8.h"
#include "vaultctl/vaultctl.h"

int
vaultctl_exit_code(int err)
{
	switch (err) {
	case CV_OK:			return EXIT_OK;
	case CV_ERR_USAGE:		return EXIT_USAGE;
	case CV_ERR_NOTRUNNING:		return EXIT_NOTRUNNING;
	case CV_ERR_DENIED:		return EXIT_DENIED;
	case CV_ERR_LOCKED:		return EXIT_LOCKED;
	case CV_ERR_BADPASS:		return EXIT_BADPASS;
	case CV_ERR_TAMPERED:
	case CV_ERR_BADSIG:		/* an audit checkpoint's */
	case CV_ERR_CORRUPT:
	case CV_ERR_FORMAT_VERSION:
	case CV_ERR_ROLLBACK:		return EXIT_TAMPERED;
	case CV_ERR_NOTFOUND:		return EXIT_NOTFOUND;
	case CV_ERR_TRANSPORT:
	case CV_ERR_TIMEOUT:		return EXIT_TRANSPORT;
	case CV_ERR_EXCHANGE:		return EXIT_EXCHANGE;
	case CV_ERR_RESPONSE:		return EXIT_RESPONSE;
	case CV_ERR_PERMISSIONS:	return EXIT_PERMISSIONS;
	default:			return EXIT_FAIL;
	}
}

/*
 * 1 if a vaultd run by uid may be sent what vaultctl sends (passphrases,
 * keys): root, this user, or the owner of the home, closed to others as
 * vaultd keeps it, when this user is root (who may use any vaultd) or
 * shares it through one of its groups as vaultd sets a home up for a
 * socket group (mode 0710, that group's).  Anyone else listening at the
 * path (a home in a directory others can write, a mistyped
 * CLOBVAULT_HOME) is not vaultd.
 */
static int
vaultctl_server_ok(const char *home, uid_t uid)
{
	struct stat	st;
	gid_t		groups[256];
	int		i, n;

	if (uid == 0 || uid == geteuid())
		return 1;
	if (lstat(home, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != uid || (st.st_mode & 067) != 0)
		return 0;
	if (geteuid() == 0)
		return 1;
	if ((st.st_mode & 07777) != 0710)
		return 0;
	if (st.st_gid == getegid())
		return 1;
	if ((n = getgroups((int)(sizeof(groups) / sizeof(groups[0])),
	    groups)) == -1)
		return 0;
	for (i = 0; i < n; i++)
		if (groups[i] == st.st_gid)
			return 1;
	return 0;
}

int
vaultctl_connect(struct vaultctl *vc)
{
	struct ucred		cred;
	socklen_t		clen = sizeof(cred);
	struct sockaddr_un	sun;
	struct msg_w		w;
	struct msg		m;
	char			home[4096];
	uint64_t		version;
	int			fd, r, n;

	/* one connection a run: vaultd knows it (and its rotation) by it */
	if (vc->chan.fd != -1)
		return 0;
	if ((r = home_path(home, sizeof(home))) != 0)
		return r;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", home,
	    HOME_CONTROL_SOCK);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return CV_ERR_TOOLONG;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return CV_ERR_IO;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(vc->errtext, sizeof(vc->errtext),
		    "cannot reach vaultd at %s (%s); start it with: vaultd",
		    sun.sun_path, strerror(errno));
		close(fd);
		return CV_ERR_NOTRUNNING;
	}
	/* who listens there, before it hears anything of ours */
	cred.uid = (uid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    !vaultctl_server_ok(home, cred.uid)) {
		snprintf(vc->errtext, sizeof(vc->errtext), "%s is served by "
		    "uid %u, neither root nor this user nor the home's owner: "
		    "not vaultd's, nothing sent (is CLOBVAULT_HOME right?)", sun.sun_path,
		    (unsigned)cred.uid);
		close(fd);
		return CV_ERR_PERM;
	}
	chan_init(&vc->chan, fd);
	msg_begin(&w, MSG_CTL_HELLO_REQ, ++vc->next_id);
	msg_put_u64(&w, MSG_VERSION);
	if ((r = vaultctl_call(vc, &w, MSG_CTL_HELLO_ANS, &m)) != 0) {
		/*
		 * vaultd accepts, then closes a connection it refuses:
		 * more than VAULTD_MAX_CLIENTS, or a uid it does not
		 * admit.  It does not say which; its log does.  It runs,
		 * so this is a failure (exit 1), not "not running" (3),
		 * which a script would take as "start it".
		 */
		if (r == CV_ERR_NOTRUNNING) {
			snprintf(vc->errtext, sizeof(vc->errtext), "vaultd "
			    "refused the connection: too many clients, or this "
			    "user is not allowed (see vaultd.log)");
			r = CV_ERR_EOF;
		}
		goto fail;
	}
	r = msg_get_u64(&m.rd, &version);
	msg_clear(&m);
	if (r == 0 && version != MSG_VERSION)
		r = CV_ERR_MSG_VERSION;
	if (r == 0)
		return 0;
 fail:
	chan_free(&vc->chan);
	vc->chan.fd = -1;
	return r;
}

static int	vaultctl_recv(struct vaultctl *, uint32_t, struct msg *);

static int64_t
vaultctl_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
vaultctl_call(struct vaultctl *vc, struct msg_w *w, uint32_t ans,
    struct msg *m)
{
	struct msgbuf	 frame;
	struct timespec	 pause = { 0, 50 * 1000 * 1000 };
	uint32_t	 id = vc->next_id;
	int64_t		 start = vaultctl_ms();
	int		 again = vc->again_ms ? vc->again_ms :
			    VAULTCTL_OP_AGAIN_MS;
	int		 r;

	/* Long windows (exchange calls) need not knock 20 times a second. */
	if (again > VAULTCTL_OP_AGAIN_MS)
		pause.tv_nsec = 250 * 1000 * 1000;
	/*
	 * Kept (and wiped) to resend while vaultd is busy with another;
	 * locked as the channel's queue: it may hold a passphrase.
	 */
	memset(&frame, 0, sizeof(frame));
	frame.lock = 1;
	if ((r = msg_finish(w)) != 0 ||
	    (r = msgbuf_add(&frame, w->buf.data, w->buf.len)) != 0) {
		msg_w_free(w);
		return r;
	}
 again:
	/* only an answer to this sending counts: a "retry" says nothing of
	 * what vaultd did with the request resent after it */
	vc->answered = 0;
	if ((r = chan_send(&vc->chan, w)) != 0) {
		msgbuf_free(&frame);
		if (r != CV_ERR_IO)
			return r;
		/* EPIPE (SIGPIPE is ignored) or ECONNRESET: vaultd closed */
		snprintf(vc->errtext, sizeof(vc->errtext), "vaultd closed the "
		    "connection (see vaultd.log)");
		return CV_ERR_NOTRUNNING;
	}
	if ((r = vaultctl_recv(vc, id, m)) == CV_ERR_AGAIN &&
	    vaultctl_ms() - start < again) {
		nanosleep(&pause, NULL);
		memset(w, 0, sizeof(*w));
		w->buf.lock = 1;		/* locked, as msg_begin's */
		if ((r = msgbuf_add(&w->buf, frame.data, frame.len)) != 0) {
			msgbuf_free(&frame);
			return r;
		}
		goto again;
	}
	msgbuf_free(&frame);
	if (r != 0)
		return r;
	if (m->type != ans) {
		msg_clear(m);
		return CV_ERR_MSG_STATE;
	}
	return 0;
}

/*
 * How long vaultctl waits for an answer when the command set no time of
 * its own.  For tests only: CLOBVAULT_TEST_OP_WAIT=S (1 to 600 seconds)
 * instead of VAULTCTL_OP_TIMEOUT_MS, so that a test need not wait
 * a minute to see an operation outlast it.
 */
static int64_t
vaultctl_op_timeout(void)
{
	const char	*s = getenv("CLOBVAULT_TEST_OP_WAIT");
	long		 secs;

	if (s != NULL && strlen(s) >= 1 && strlen(s) <= 3 &&
	    strspn(s, "0123456789") == strlen(s) &&
	    (secs = strtol(s, NULL, 10)) >= 1 && secs <= 600)
		return (int64_t)secs * 1000;
	return VAULTCTL_OP_TIMEOUT_MS;
}

/*
 * The next message from vaultd about request id, waiting at most
 * vc->timeout_ms: a vaultd that hangs must not hang a script.  A vault
 * operation that derives a key may take vaultd's watchdog far longer
 * (a heavy Argon2id cost): vaultd says how long (MSG_CTL_WAIT, once,
 * before the answer), and the wait becomes that plus the usual one,
 * still bounded.  With vc->tick, the wait wakes once a second to call
 * it: no thread, no signal.
 */
static int
vaultctl_next(struct vaultctl *vc, uint32_t id, struct msg *m)
{
	struct pollfd	 pfd;
	int64_t		 now, deadline, left, wait, next_tick;
	int64_t		 timeout = vc->timeout_ms ? vc->timeout_ms :
			    vaultctl_op_timeout();
	uint64_t	 allowed = 0;
	int		 noticed = 0, r, n;

	now = vaultctl_ms();
	deadline = now + timeout;
	next_tick = now + 1000;
	for (;;) {
		r = chan_next(&vc->chan, m);
		if (r == 0 && m->type == MSG_CTL_WAIT && m->id == id &&
		    !noticed) {
			r = msg_get_u64(&m->rd, &allowed);
			msg_clear(m);
			if (r != 0)
				return r;
			if (allowed > VAULTCTL_WAIT_MAX_MS)
				allowed = VAULTCTL_WAIT_MAX_MS;
			noticed = 1;
			deadline = vaultctl_ms() + (int64_t)allowed + timeout;
			continue;
		}
		if (r != CV_ERR_AGAIN)
			return r;
		now = vaultctl_ms();
		if (vc->tick != NULL && now >= next_tick) {
			vc->tick(vc->tick_arg);
			while (next_tick <= now)
				next_tick += 1000;
		}
		pfd.fd = vc->chan.fd;
		pfd.events = POLLIN;
		if ((left = deadline - now) < 0)
			left = 0;
		wait = vc->tick != NULL && next_tick - now < left ?
		    next_tick - now : left;
		n = poll(&pfd, 1, (int)wait);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return CV_ERR_IO;
		if (n == 0 && wait < left)
			continue;		/* woken for a tick */
		if (n == 0 && noticed) {
			snprintf(vc->errtext, sizeof(vc->errtext), "no answer "
			    "from vaultd within %lld s, though it allowed the "
			    "key derivation %lld s: vaultd is stopped or "
			    "overloaded; the operation may still complete (see "
			    "vaultctl status and vaultctl audit show)",
			    (long long)(((int64_t)allowed + timeout) / 1000),
			    (long long)(allowed / 1000));
			return CV_ERR_IO;
		}
		if (n == 0) {
			snprintf(vc->errtext, sizeof(vc->errtext), "no answer "
			    "from vaultd within %lld s (an exchange call may "
			    "still complete: see vaultctl audit show)",
			    (long long)(timeout / 1000));
			return CV_ERR_IO;
		}
		if ((r = chan_fill(&vc->chan)) != 0)
			/* a close with our request unread resets */
			return r == CV_ERR_IO && errno == ECONNRESET ?
			    CV_ERR_EOF : r;
	}
}

/* The answer to id: 0 with m, or the code of an MSG_ERROR_ANS. */
static int
vaultctl_recv(struct vaultctl *vc, uint32_t id, struct msg *m)
{
	const char	*text;
	size_t		 len;
	int64_t		 code;
	int		 r;

	if ((r = vaultctl_next(vc, id, m)) != 0) {
		if (r == CV_ERR_EOF)
			snprintf(vc->errtext, sizeof(vc->errtext),
			    "vaultd closed the connection (see vaultd.log)");
		return r == CV_ERR_EOF ? CV_ERR_NOTRUNNING : r;
	}
	if (m->id != id) {
		msg_clear(m);
		return CV_ERR_MSG_STATE;
	}
	if (m->type == MSG_ERROR_ANS) {
		vc->answered = 1;
		if ((r = msg_get_i64(&m->rd, &code)) == 0 &&
		    (r = msg_get_str(&m->rd, &text, &len, MSG_MAX_STR)) == 0)
			snprintf(vc->errtext, sizeof(vc->errtext), "%.*s",
			    (int)len, text);
		msg_clear(m);
		if (r != 0)
			return r;
		return code < 0 && code > -1000 ? (int)code : CV_ERR_INTERNAL;
	}
	return 0;
}

void *
vaultctl_json_malloc(size_t n)
{
	size_t	*p;

	/* each block carries its size in front, for the wipe */
	if (n > SIZE_MAX - sizeof(size_t) ||
	    (p = malloc(n + sizeof(size_t))) == NULL)
		return NULL;
	*p = n;
	return p + 1;
}

void
vaultctl_json_free(void *v)
{
	size_t	*p = v;

	if (p == NULL)
		return;
	p--;
	sodium_memzero(p, *p + sizeof(size_t));
	free(p);
}

void
vaultctl_print_json(json_t *j)
{
	char	*s, *p;
	size_t	 n;

	/*
	 * ASCII, DEL escaped too: a text of the exchange's (a notification,
	 * a balance's fields) or of a daemon reaches a terminal as its \u
	 * escapes, never as a C1 control, a bidi override or a line
	 * separator, and reads back as the same text.
	 */
	if ((s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII)) != NULL) {
		for (p = s; *p != '\0'; p += n) {
			n = strcspn(p, "\x7f");
			fwrite(p, 1, n, stdout);
			if (p[n] == 0x7f) {
				fputs("\\u007F", stdout);
				n++;
			}
		}
		putchar('\n');
		vaultctl_json_free(s);
	}
	json_decref(j);
}

int
vaultctl_fail(struct vaultctl *vc, const char *what, int err)
{
	const char	*detail = vc->errtext[0] ? vc->errtext :
			    cv_strerror(err);
	int		 code = vaultctl_exit_code(err);

	if (vc->mute)		/* the caller reports it, with errtext */
		return code;
	if (vc->json)
		vaultctl_print_json(json_pack("{s:b, s:s, s:s, s:i, s:s, s:i}",
		    "ok", 0, "error", what, "reason", cv_strerror(err),
		    "code", err, "detail", detail, "exit", code));
	else {
		/* a daemon's text may carry netd's or the exchange's */
		fprintf(stderr, "vaultctl: %s: ", what);
		vaultctl_fput_text(stderr, detail);
		fputc('\n', stderr);
	}
	return code;
}

void
vaultctl_fput_text(FILE *f, const char *s)
{
	size_t	len = strlen(s), k;
	int	unsafe;

	for (; len > 0; s += k, len -= k) {
		k = utf8_char((const uint8_t *)s, len, &unsafe);
		if (unsafe)
			putc('?', f);
		else
			fwrite(s, 1, k, f);
	}
}
