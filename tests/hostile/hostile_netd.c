/*
 * hostile_netd: a stand-in for netd that speaks the real protocol and
 * does what an attacker holding netd could do, to prove vaultd holds
 * the trust boundary (tests/test_it_hostile.c; vaultd -T -N PATH).
 *
 * It starts as netd does -- the same flags, the handshake with
 * MSG_VERSION and "netd", the privilege drop when root, NoNewPrivs and
 * a seccomp filter (default allow: vaultd checks there is one, not what
 * it says) -- and answers MSG_STATUS_REQ and MSG_PROBE_REQ truthfully.
 * What it does with each MSG_NET_CALL_REQ is read from a scenario file.
 * vaultd execs children with an empty environment and fixed arguments,
 * so the files sit beside the executable (readlink /proc/self/exe):
 *
 *	EXE.scenario	what to do, read once at start-up
 *	EXE.log		what happened, one line per event, appended
 *
 * Scenario lines (words separated by blanks; '#' starts a comment),
 * run in order on each call:
 *
 *	sign LEVEL METHOD PATH NONCE [BODY]
 *		MSG_NET_SIGN_REQ for the call in progress; wait for the answer
 *	sign-as CALLID LEVEL METHOD PATH NONCE [BODY]
 *		the same naming another call: a number, or cur+N / cur-N
 *	sign-nowait LEVEL METHOD PATH NONCE [BODY]
 *		the same, without waiting for the answer (it is logged as
 *		a late one when it comes)
 *	flood COUNT LEVEL METHOD PATH NONCE
 *		COUNT signing requests at once, then collect the answers
 *	seal KEY SECRET PASSPHRASE
 *		seal a credential of our own to the box key of the call, in
 *		netd's format (key NUL secret NUL passphrase; Omnia: key NUL
 *		secret NUL permissions), for "answer"; "-" for an empty third
 *	answer STATUS EFFECT RTYPE KEYID NONCE [RESULT]
 *		MSG_NET_CALL_ANS; EFFECT none or store|remove|invite|replace;
 *		RTYPE api, builder or a number; KEYID - for none
 *	fail CODE WORD...
 *		MSG_ERROR_ANS for the call, the words its text; \n, \r and
 *		\e in them a newline, a carriage return, an escape
 *	hang
 *		never answer the call (status queries are still answered)
 *	gw METHOD PATH KEY PASSPHRASE NEGRISK
 *		a gateway request (MSG_GW_REQ) with those fields, "-" for
 *		an empty one, the rest empty; then wait (vaultd answers, or
 *		kills us for a malformed one)
 *	gw-client METHOD PATH ok|wrong
 *		a gateway request signed with the client credentials of
 *		EXE.client (read at start-up, if it is there: API key,
 *		secret and passphrase, a line each), its passphrase the
 *		client's (ok) or another (wrong), timestamped now, no body;
 *		then wait as for gw
 *	gw-gone WHICH
 *		MSG_GW_GONE (not waiting: nothing answers it) naming the
 *		last gw or gw-client request's id (WHICH last: answered, so vaultd no
 *		longer has it) or one above every id we sent (next)
 *	die-at-answer
 *		for the next gw or gw-client request: exit as its answer
 *		comes, with nothing more read or written (no status query
 *		answered after it)
 *	early-gw METHOD PATH KEY PASSPHRASE NEGRISK
 *		not for a call: at each start, right after the handshake,
 *		the same request, with vaultd's status query held unanswered
 *		until the request's answer (or the 10 s wait) is in: a
 *		gateway request before vaultd has seen our sandbox
 *	early-gw-info KIND
 *		not for a call: at each start, right after the handshake,
 *		MSG_GW_INFO_REQ for KIND (ready or metrics), vaultd's status
 *		query held as for early-gw; then, the status answered, the
 *		same request again (each early-gw-info line in turn)
 *	hold
 *		not for a call: at each start, before the handshake, wait
 *		until EXE.go exists (at most 30 s): vaultd is not ready
 *		until the test says so
 *	traced
 *		not for a call: at each start, before the handshake, a
 *		process we fork attaches to us with ptrace while we are
 *		dumpable for the moment (as a real netd is between its
 *		execve and its harden_process) and stays attached
 *
 * LEVEL is none, L1, L2, builder, bearer or a number; BODY - for none,
 * or @boxkey for the public half of a fresh X25519 key pair (32 bytes,
 * what netd sends as an Omnia token request's body).  A call the
 * scenario leaves unanswered gets a plain answer: 200, "{}", no effect.
 * MSG_NET_FORGET_REQ is answered as netd does (we hold no token).
 *
 * Log lines (header names only: a value may be a secret):
 *	start pid=N uid=N
 *	call id=N fields=ACCOUNT,PROFILE,URL,PIN,CALL box=32
 *	sign id=N call=N level=N method=M path=P nonce=N body=N
 *	    -> MSG_NET_SIGN_ANS headers=NAME,NAME body=N
 *	    -> MSG_ERROR_ANS code=N text=T
 *	    -> none (no answer within 10 s)
 *	sign-nowait id=N call=N level=N method=M path=P nonce=N body=N
 *	late MSG_NET_SIGN_ANS id=N headers=NAME,NAME body=N
 *	late MSG_ERROR_ANS id=N code=N text=T
 *	    (an answer to a signing request no one waited for)
 *	flood count=N level=L method=M path=P nonce=N
 *	    -> MSG_NET_SIGN_ANS id=N (the flood's first)
 *	flood done headers=N errors=N first_error=N [eof]
 *	answer id=N status=N effect=N rtype=N key=K box=N
 *	hang id=N
 *	forget id=N
 *	gw id=N method=M path=P negrisk=N
 *	gw-client id=N method=M path=P creds=ok|wrong
 *	    -> MSG_GW_PASSED id=N (vaultd: the credentials passed)
 *	    -> MSG_GW_ANS, MSG_ERROR_ANS code=N text=T, or none
 *	gw-gone id=N
 *	die at MSG_GW_ANS id=N
 *	gw-info id=N kind=K
 *	    -> MSG_GW_INFO_ANS ready=N text=T (its first line, 80 bytes),
 *	       MSG_ERROR_ANS code=N text=T, or none
 *	early-gw done status-held=N (1: vaultd's status query waited)
 *	traced by=N
 *	eof (vaultd closed the channel)
 * A line cut short by SIGKILL is never written: each is one write(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <seccomp.h>
#include <sodium.h>

#include "common/child.h"
#include "common/clob_auth.h"
#include "common/log.h"
#include "common/netcall.h"

#define HN_SCENARIO_MAX		(64 * 1024)
#define HN_ANSWER_MS		10000	/* wait for one signing answer */
#define HN_FLOOD_MS		60000	/* wait for a flood's answers */
#define HN_FLOOD_MAX		1000000
#define HN_WORDS		10

struct hn {
	struct chan		 chan;
	struct child_opts	 opts;
	int			 logfd;
	char			*scenario;
	uint32_t		 next_id;	/* of our requests */
	uint32_t		 last_gw;	/* our last MSG_GW_REQ's id */
	int			 die_at_answer;	/* at our next one's */
	/* the call in progress */
	uint32_t		 call_id;
	int			 answered;
	uint8_t			 boxpk[crypto_box_PUBLICKEYBYTES];
	int			 have_boxpk;
	uint8_t			*box;
	size_t			 boxlen;
	/* gw-client: EXE.client's credentials (have_client: read) */
	int			 have_client;
	char			 ckey[80], csecret[128], cpass[128];
	/* early-gw: vaultd's status query, held (0: none) */
	int			 hold_status;
	uint32_t		 held_status;
	/* what the pump saw of our requests */
	uint64_t		 flood_first, flood_last;
	uint64_t		 n_headers, n_errors;
	int64_t			 first_error;
};

static void	hn_log(struct hn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
hn_log(struct hn *h, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(h->logfd, line, (size_t)n);
}

static int64_t
hn_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* EXE.suffix, beside our own executable. */
static void
hn_path(char *buf, size_t len, const char *suffix)
{
	char	exe[PATH_MAX];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		fatal("readlink /proc/self/exe");
	exe[n] = '\0';
	if ((size_t)snprintf(buf, len, "%s.%s", exe, suffix) >= len)
		fatalx("path of %s too long", exe);
}

static void
hn_read_scenario(struct hn *h)
{
	char	path[PATH_MAX];
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	hn_path(path, sizeof(path), "scenario");
	if ((h->scenario = calloc(1, HN_SCENARIO_MAX + 1)) == NULL)
		fatal("calloc");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		hn_log(h, "no scenario %s: %s", path, strerror(errno));
		return;
	}
	while (got < HN_SCENARIO_MAX &&
	    (n = read(fd, h->scenario + got, HN_SCENARIO_MAX - got)) > 0)
		got += (size_t)n;
	close(fd);
}

/* Drop to the user vaultd named, as netd does when started as root. */
static void
hn_drop(struct hn *h)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(h->opts.user)) == NULL)
		fatalx("no user %s", h->opts.user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("drop to %s", h->opts.user);
}

/* A filter that allows everything: Seccomp 2 in /proc, no limit. */
static void
hn_seccomp(void)
{
	scmp_filter_ctx	ctx;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	if ((ctx = seccomp_init(SCMP_ACT_ALLOW)) == NULL ||
	    seccomp_load(ctx) != 0)
		fatalx("cannot load a seccomp filter");
	seccomp_release(ctx);
}

static void
hn_queue(struct hn *h, struct msg_w *w)
{
	int	r;

	if ((r = chan_queue(&h->chan, w)) != 0)
		fatalx("queue: %s", cv_strerror(r));
}

static void
hn_status(struct hn *h, uint32_t id)
{
	struct msg_w	w;

	msg_begin(&w, MSG_STATUS_ANS, id);
	msg_put_u64(&w, (uint64_t)getpid());
	msg_put_u64(&w, (uint64_t)getuid());
	msg_put_bool(&w, 0);
	msg_put_bool(&w, 0);
	msg_put_bool(&w, 0);
	msg_put_bool(&w, 1);
	hn_queue(h, &w);
}

/*
 * Header names of a MSG_NET_SIGN_ANS, comma-separated, then " body=N":
 * the length of the body it carries (a token request's, sealed to us).
 */
static void
hn_header_names(struct msg *m, char *out, size_t outlen)
{
	struct msg_rd	 list, pair;
	const char	*n;
	const uint8_t	*body;
	size_t		 nl, bl, used = 0;
	uint32_t	 i;

	out[0] = '\0';
	if (msg_get_array(&m->rd, &list, MSG_MAX_ARRAY) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	for (i = 0; i < list.n; i++) {
		if (msg_get_array(&list, &pair, 2) != 0 || pair.n != 2 ||
		    msg_get_str(&pair, &n, &nl, 256) != 0)
			break;
		used += (size_t)snprintf(out + used, outlen - used, "%s%.*s",
		    i > 0 ? "," : "", (int)nl, n);
		if (used >= outlen)
			return;
	}
	if (msg_get_bin(&m->rd, &body, &bl, MSG_MAX_FRAME) != 0)
		snprintf(out + used, outlen - used, " body=?");
	else
		snprintf(out + used, outlen - used, " body=%zu", bl);
}

static void	hn_call_read(struct hn *, struct msg *);
static void	hn_call_run(struct hn *);

/*
 * One message from vaultd.  Requests are answered here; an answer to
 * one of our requests is counted (flood) and returned through want:
 * when its id is *want, *got is set and the message is described in
 * desc.  Returns 0, or CV_ERR_EOF when vaultd is gone.
 */
static int
hn_pump(struct hn *h, int timeout_ms, uint32_t want, int *got, char *desc,
    size_t desclen)
{
	struct pollfd	 pfd;
	struct msg	 m;
	const char	*text;
	size_t		 tl;
	int64_t		 code, deadline = hn_ms() + timeout_ms, left;
	char		 names[1024];
	int		 r;

	for (;;) {
		r = chan_next(&h->chan, &m);
		if (r == 0)
			break;
		if (r != CV_ERR_AGAIN) {
			hn_log(h, "malformed message from vaultd: %s",
			    cv_strerror(r));
			exit(1);
		}
		if ((left = deadline - hn_ms()) <= 0)
			return 0;
		pfd.fd = h->chan.fd;
		pfd.events = POLLIN | (chan_pending(&h->chan) ? POLLOUT : 0);
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd.revents & POLLOUT) {
			r = chan_flush(&h->chan);
			if (r != 0 && r != CV_ERR_AGAIN)
				return CV_ERR_EOF;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = chan_fill(&h->chan);
			if (r == CV_ERR_EOF || (r != 0 && r != CV_ERR_AGAIN))
				return CV_ERR_EOF;
		}
	}
	switch (m.type) {
	case MSG_STATUS_REQ:
		if (h->hold_status)
			h->held_status = m.id;
		else
			hn_status(h, m.id);
		break;
	case MSG_PROBE_REQ:
		{
			struct msg_w	w;

			msg_begin(&w, MSG_PROBE_ANS, m.id);
			hn_queue(h, &w);
		}
		break;
	case MSG_NET_FORGET_REQ:
		{
			struct msg_w	w;

			hn_log(h, "forget id=%u", m.id);
			msg_begin(&w, MSG_NET_FORGET_ANS, m.id);
			hn_queue(h, &w);
		}
		break;
	case MSG_NET_CALL_REQ:
		if (h->call_id != 0) {
			hn_log(h, "call id=%u while busy", m.id);
			if (msg_error_ans(&h->chan, m.id, CV_ERR_AGAIN,
			    "busy") != 0)
				fatalx("queue");
		} else {
			/* m is gone once the scenario reads the channel */
			hn_call_read(h, &m);
			msg_clear(&m);
			hn_call_run(h);
			goto flush;
		}
		break;
	case MSG_GW_PASSED:
		hn_log(h, "  -> MSG_GW_PASSED id=%u", m.id);
		break;
	case MSG_GW_INFO_ANS:
		{
			int	ready = -1;

			if (msg_get_bool(&m.rd, &ready) != 0 ||
			    msg_get_str(&m.rd, &text, &tl, MSG_MAX_FRAME) !=
			    0) {
				text = "?";
				tl = 1;
			}
			if (memchr(text, '\n', tl) != NULL)
				tl = (size_t)((const char *)memchr(text, '\n',
				    tl) - text);
			if (m.id == want && desc != NULL)
				snprintf(desc, desclen, "MSG_GW_INFO_ANS ready=%d "
				    "text=%.*s", ready, (int)(tl > 80 ? 80 : tl),
				    text);
			if (m.id == want && got != NULL)
				*got = 1;
		}
		break;
	case MSG_NET_SIGN_ANS:
	case MSG_ERROR_ANS:
		if (m.type == MSG_ERROR_ANS) {
			if (msg_get_i64(&m.rd, &code) != 0 ||
			    msg_get_str(&m.rd, &text, &tl, MSG_MAX_STR) != 0) {
				code = 0;
				text = "?";
				tl = 1;
			}
			h->n_errors += m.id >= h->flood_first &&
			    m.id <= h->flood_last;
			if (h->first_error == 0)
				h->first_error = code;
			if (m.id == want && desc != NULL)
				snprintf(desc, desclen, "MSG_ERROR_ANS code=%lld "
				    "text=%.*s", (long long)code, (int)tl, text);
			if (m.id != want && (m.id < h->flood_first ||
			    m.id > h->flood_last))
				hn_log(h, "late MSG_ERROR_ANS id=%u code=%lld "
				    "text=%.*s", m.id, (long long)code,
				    (int)tl, text);
		} else {
			if (m.id >= h->flood_first && m.id <= h->flood_last &&
			    h->n_headers++ == 0)
				hn_log(h, "  -> MSG_NET_SIGN_ANS id=%u (the "
				    "flood's first)", m.id);
			if (m.id == want && desc != NULL) {
				hn_header_names(&m, names, sizeof(names));
				snprintf(desc, desclen, "MSG_NET_SIGN_ANS "
				    "headers=%s", names);
			} else if (m.id != want && (m.id < h->flood_first ||
			    m.id > h->flood_last)) {
				hn_header_names(&m, names, sizeof(names));
				hn_log(h, "late MSG_NET_SIGN_ANS id=%u "
				    "headers=%s", m.id, names);
			}
		}
		if (m.id == want && got != NULL)
			*got = 1;
		break;
	default:
		if (m.type == MSG_GW_ANS && h->die_at_answer &&
		    m.id == h->last_gw) {
			hn_log(h, "die at MSG_GW_ANS id=%u", m.id);
			_exit(3);
		}
		hn_log(h, "unexpected %s id=%u from vaultd", msg_name(m.type),
		    m.id);
		break;
	}
	msg_clear(&m);
 flush:
	if ((r = chan_flush(&h->chan)) != 0 && r != CV_ERR_AGAIN)
		return CV_ERR_EOF;
	return 0;
}

static void __attribute__((noreturn))
hn_eof(struct hn *h)
{
	hn_log(h, "eof");
	exit(0);
}

static uint64_t
hn_level(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "L1") == 0)
		return 1;
	if (strcmp(s, "L2") == 0)
		return 2;
	if (strcmp(s, "builder") == 0)
		return 3;
	if (strcmp(s, "bearer") == 0)
		return 4;
	return strtoull(s, NULL, 0);
}

/* A call id: a number, or cur+N / cur-N relative to the call. */
static uint64_t
hn_call_id(struct hn *h, const char *s)
{
	if (strncmp(s, "cur", 3) == 0)
		return (uint64_t)((int64_t)h->call_id + strtoll(s + 3, NULL,
		    10));
	return strtoull(s, NULL, 0);
}

/*
 * A scenario BODY into body: "-" none, "@boxkey" the public key of a
 * fresh X25519 pair (its secret half dropped: we never open the box),
 * else the word's bytes.  Returns its length.
 */
static size_t
hn_body(char **w, int n, uint8_t *body, size_t bodysz)
{
	uint8_t	sk[crypto_box_SECRETKEYBYTES];
	size_t	len;

	if (n <= 5 || strcmp(w[5], "-") == 0)
		return 0;
	if (strcmp(w[5], "@boxkey") == 0) {
		crypto_box_keypair(body, sk);
		sodium_memzero(sk, sizeof(sk));
		return crypto_box_PUBLICKEYBYTES;
	}
	if ((len = strlen(w[5])) > bodysz)
		len = bodysz;
	memcpy(body, w[5], len);
	return len;
}

/* One MSG_NET_SIGN_REQ; its id, and its body's length in *blenp. */
static uint32_t
hn_sign_send(struct hn *h, uint64_t call, char **w, int n, size_t *blenp)
{
	struct msg_w	 mw;
	uint8_t		 body[4096];
	size_t		 blen = hn_body(w, n, body, sizeof(body));
	uint32_t	 id = ++h->next_id;

	msg_begin(&mw, MSG_NET_SIGN_REQ, id);
	msg_put_u64(&mw, call);
	msg_put_u64(&mw, hn_level(w[1]));
	msg_put_str(&mw, w[2]);
	msg_put_str(&mw, w[3]);
	msg_put_bin(&mw, body, blen);
	msg_put_u64(&mw, strtoull(w[4], NULL, 10));
	hn_queue(h, &mw);
	if (blenp != NULL)
		*blenp = blen;
	return id;
}

/* The answer to request id, or the lack of one, logged. */
static void
hn_await(struct hn *h, uint32_t id)
{
	char	desc[1400] = "none (no answer within 10 s)";
	int64_t	deadline = hn_ms() + HN_ANSWER_MS;
	int	got = 0;

	while (!got && hn_ms() < deadline)
		if (hn_pump(h, (int)(deadline - hn_ms()), id, &got, desc,
		    sizeof(desc)) != 0) {
			hn_log(h, "  -> eof");
			hn_eof(h);
		}
	hn_log(h, "  -> %s", desc);
}

/* sign / sign-as: one request, its answer logged. */
static void
hn_sign(struct hn *h, uint64_t call, char **w, int n)
{
	size_t		 blen = 0;
	uint32_t	 id;

	if (n < 5) {
		hn_log(h, "bad scenario line: sign needs 4 words");
		return;
	}
	id = hn_sign_send(h, call, w, n, &blen);
	hn_log(h, "sign id=%u call=%llu level=%s method=%s path=%s nonce=%s "
	    "body=%zu", id, (unsigned long long)call, w[1], w[2], w[3], w[4],
	    blen);
	hn_await(h, id);
}

/* sign-nowait: one request, its answer left to the pump (late). */
static void
hn_sign_nowait(struct hn *h, char **w, int n)
{
	size_t		 blen = 0;
	uint32_t	 id;

	if (n < 5) {
		hn_log(h, "bad scenario line: sign-nowait needs 4 words");
		return;
	}
	id = hn_sign_send(h, h->call_id, w, n, &blen);
	hn_log(h, "sign-nowait id=%u call=%llu level=%s method=%s path=%s "
	    "nonce=%s body=%zu", id, (unsigned long long)h->call_id, w[1],
	    w[2], w[3], w[4], blen);
}

/* flood COUNT LEVEL METHOD PATH NONCE */
static void
hn_flood(struct hn *h, char **w, int n)
{
	char		*sw[6];
	unsigned long	 count, i;
	int64_t		 deadline;

	if (n < 6 || (count = strtoul(w[1], NULL, 10)) == 0 ||
	    count > HN_FLOOD_MAX) {
		hn_log(h, "bad scenario line: flood COUNT LEVEL METHOD PATH "
		    "NONCE");
		return;
	}
	sw[0] = w[0];
	for (i = 1; i < 5; i++)
		sw[i] = w[i + 1];
	h->n_headers = h->n_errors = 0;
	h->first_error = 0;
	h->flood_first = h->next_id + 1;
	h->flood_last = h->next_id + count;
	hn_log(h, "flood count=%lu level=%s method=%s path=%s nonce=%s", count,
	    w[2], w[3], w[4], w[5]);
	/* queued at once; the pump writes them while it reads answers */
	for (i = 0; i < count; i++)
		(void)hn_sign_send(h, h->call_id, sw, 5, NULL);
	deadline = hn_ms() + HN_FLOOD_MS;
	while (h->n_headers + h->n_errors < count && hn_ms() < deadline)
		if (hn_pump(h, (int)(deadline - hn_ms()), 0, NULL, NULL,
		    0) != 0) {
			hn_log(h, "flood done headers=%llu errors=%llu "
			    "first_error=%lld eof",
			    (unsigned long long)h->n_headers,
			    (unsigned long long)h->n_errors,
			    (long long)h->first_error);
			hn_eof(h);
		}
	hn_log(h, "flood done headers=%llu errors=%llu first_error=%lld",
	    (unsigned long long)h->n_headers,
	    (unsigned long long)h->n_errors, (long long)h->first_error);
}

/* seal KEY SECRET PASSPHRASE */
static void
hn_seal(struct hn *h, char **w, int n)
{
	size_t	 kl, sl, pl, len;
	uint8_t	*pt;

	if (n < 4 || !h->have_boxpk) {
		hn_log(h, "seal: needs KEY SECRET PASSPHRASE and a box key");
		return;
	}
	if (strcmp(w[3], "-") == 0)
		w[3][0] = '\0';
	kl = strlen(w[1]);
	sl = strlen(w[2]);
	pl = strlen(w[3]);
	len = kl + 1 + sl + 1 + pl;
	if ((pt = calloc(1, len)) == NULL ||
	    (h->box = malloc(len + crypto_box_SEALBYTES)) == NULL)
		fatal("malloc");
	memcpy(pt, w[1], kl);
	memcpy(pt + kl + 1, w[2], sl);
	memcpy(pt + kl + 2 + sl, w[3], pl);
	if (crypto_box_seal(h->box, pt, len, h->boxpk) != 0)
		fatalx("crypto_box_seal");
	h->boxlen = len + crypto_box_SEALBYTES;
	free(pt);
}

static uint64_t
hn_effect(const char *s)
{
	uint64_t	e = 0;

	if (strcmp(s, "none") == 0)
		return 0;
	if (strstr(s, "store") != NULL)
		e |= NETCALL_STORE;
	if (strstr(s, "remove") != NULL)
		e |= NETCALL_REMOVE;
	if (strstr(s, "invite") != NULL)
		e |= NETCALL_INVITE_USED;
	if (strstr(s, "replace") != NULL)
		e |= NETCALL_REPLACE;
	return e != 0 ? e : strtoull(s, NULL, 0);
}

static uint64_t
hn_rtype(const char *s)
{
	if (strcmp(s, "api") == 0)
		return 3;	/* VAULT_REC_API_CRED */
	if (strcmp(s, "builder") == 0)
		return 4;	/* VAULT_REC_BUILDER_CRED */
	return strtoull(s, NULL, 0);
}

/* answer STATUS EFFECT RTYPE KEYID NONCE [RESULT] */
static void
hn_answer(struct hn *h, char **w, int n)
{
	static char	 s200[] = "200", none[] = "none", zero[] = "0";
	static char	 dash[] = "-";
	char		*dw[7] = { NULL, s200, none, zero, dash, zero, NULL };
	struct msg_w	 mw;
	const char	*key, *result;
	int		 i;

	for (i = 1; i < n && i < 7; i++)
		dw[i] = w[i];
	key = strcmp(dw[4], "-") == 0 ? "" : dw[4];
	result = dw[6] != NULL ? dw[6] : "{}";
	msg_begin(&mw, MSG_NET_CALL_ANS, h->call_id);
	msg_put_u64(&mw, strtoull(dw[1], NULL, 10));
	msg_put_str(&mw, result);
	msg_put_u64(&mw, hn_effect(dw[2]));
	msg_put_u64(&mw, hn_rtype(dw[3]));
	msg_put_str(&mw, key);
	msg_put_u64(&mw, strtoull(dw[5], NULL, 10));
	msg_put_bin(&mw, h->box, h->boxlen);
	hn_queue(h, &mw);
	hn_log(h, "answer id=%u status=%s effect=%llu rtype=%llu key=%s "
	    "box=%zu", h->call_id, dw[1],
	    (unsigned long long)hn_effect(dw[2]),
	    (unsigned long long)hn_rtype(dw[3]), key, h->boxlen);
	h->answered = 1;
}

/*
 * fail CODE WORD...: the call answered MSG_ERROR_ANS with the words as
 * its text, "\n", "\r" and "\e" in them a newline, a carriage return
 * and an escape.
 */
static void
hn_fail(struct hn *h, char **w, int n)
{
	struct msg_w	mw;
	char		text[512];
	size_t		o = 0;
	int		i;
	const char	*p;

	for (i = 2; i < n; i++)
		for (p = w[i]; *p != '\0' && o < sizeof(text) - 2; p++) {
			if (p[0] == '\\' && (p[1] == 'n' || p[1] == 'r' ||
			    p[1] == 'e')) {
				text[o++] = p[1] == 'n' ? '\n' : p[1] == 'r' ?
				    '\r' : '\033';
				p++;
			} else
				text[o++] = *p;
			if (p[1] == '\0' && i + 1 < n)
				text[o++] = ' ';
		}
	text[o] = '\0';
	msg_begin(&mw, MSG_ERROR_ANS, h->call_id);
	msg_put_i64(&mw, n > 1 ? strtoll(w[1], NULL, 10) : -1);
	msg_put_str(&mw, text);
	hn_queue(h, &mw);
	hn_log(h, "fail id=%u", h->call_id);
	h->answered = 1;
}

/* Never answer: serve status queries until vaultd gives up on us. */
static void __attribute__((noreturn))
hn_hang(struct hn *h)
{
	hn_log(h, "hang id=%u", h->call_id);
	for (;;)
		if (hn_pump(h, 1000, 0, NULL, NULL, 0) != 0)
			hn_eof(h);
}

/* gw METHOD PATH KEY PASSPHRASE NEGRISK: one gateway request. */
static void
hn_gw(struct hn *h, char **w, int n)
{
	struct msg_w	 mw;
	uint32_t	 id = ++h->next_id;
	int		 i;

	if (n < 6) {
		hn_log(h, "bad scenario line: gw needs 5 words");
		return;
	}
	for (i = 3; i <= 4; i++)
		if (strcmp(w[i], "-") == 0)
			w[i] = "";
	h->last_gw = id;
	msg_begin(&mw, MSG_GW_REQ, id);
	msg_put_str(&mw, w[1]);
	msg_put_str(&mw, w[2]);
	msg_put_bin(&mw, "", 0);
	msg_put_str(&mw, w[3]);		/* client API key */
	msg_put_str(&mw, w[4]);		/* passphrase */
	msg_put_str(&mw, "");		/* timestamp */
	msg_put_str(&mw, "");		/* signature */
	msg_put_u64(&mw, strtoull(w[5], NULL, 10));
	msg_put_str(&mw, "");		/* no /@ACCOUNT */
	hn_queue(h, &mw);
	hn_log(h, "gw id=%u method=%s path=%s negrisk=%s", id, w[1], w[2],
	    w[5]);
	hn_await(h, id);
}

/* gw-client METHOD PATH ok|wrong: a request signed as the client. */
static void
hn_gw_client(struct hn *h, char **w, int n)
{
	struct msg_w	 mw;
	uint8_t		 key[CLOB_HMAC_KEY_MAX];
	char		 ts[24], sig[CLOB_HMAC_SIG_LEN];
	size_t		 klen;
	uint32_t	 id;
	int		 ok;

	if (n < 4 || !h->have_client) {
		hn_log(h, "bad scenario line: gw-client needs 3 words and "
		    "EXE.client");
		return;
	}
	ok = strcmp(w[3], "ok") == 0;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (clob_hmac_key_decode(h->csecret, key, sizeof(key), &klen) != 0 ||
	    clob_hmac_sign(key, klen, ts, w[1], w[2], NULL, 0, sig) != 0) {
		hn_log(h, "gw-client: cannot sign");
		return;
	}
	sodium_memzero(key, sizeof(key));
	id = ++h->next_id;
	h->last_gw = id;
	msg_begin(&mw, MSG_GW_REQ, id);
	msg_put_str(&mw, w[1]);
	msg_put_str(&mw, w[2]);
	msg_put_bin(&mw, "", 0);
	msg_put_str(&mw, h->ckey);
	msg_put_str(&mw, ok ? h->cpass : "not-the-clients-passphrase");
	msg_put_str(&mw, ts);
	msg_put_str(&mw, sig);
	msg_put_u64(&mw, 2);		/* neg-risk unknown */
	msg_put_str(&mw, "");		/* no /@ACCOUNT */
	hn_queue(h, &mw);
	hn_log(h, "gw-client id=%u method=%s path=%s creds=%s", id, w[1],
	    w[2], ok ? "ok" : "wrong");
	hn_await(h, id);
}

/* EXE.client, if it is there: API key, secret, passphrase. */
static void
hn_read_client(struct hn *h)
{
	char	 path[PATH_MAX];
	FILE	*f;

	hn_path(path, sizeof(path), "client");
	if ((f = fopen(path, "r")) == NULL)
		return;
	if (fgets(h->ckey, sizeof(h->ckey), f) != NULL &&
	    fgets(h->csecret, sizeof(h->csecret), f) != NULL &&
	    fgets(h->cpass, sizeof(h->cpass), f) != NULL) {
		h->ckey[strcspn(h->ckey, "\n")] = '\0';
		h->csecret[strcspn(h->csecret, "\n")] = '\0';
		h->cpass[strcspn(h->cpass, "\n")] = '\0';
		h->have_client = 1;
	}
	fclose(f);
}

/* gw-gone last|next: a notice that a gateway request's bot is gone. */
static void
hn_gw_gone(struct hn *h, char **w, int n)
{
	struct msg_w	 mw;
	uint32_t	 id;

	if (n < 2 || (strcmp(w[1], "last") != 0 && strcmp(w[1], "next") != 0)) {
		hn_log(h, "bad scenario line: gw-gone last|next");
		return;
	}
	id = strcmp(w[1], "last") == 0 ? h->last_gw : h->next_id + 1000;
	msg_begin(&mw, MSG_GW_GONE, id);
	hn_queue(h, &mw);
	hn_log(h, "gw-gone id=%u", id);
}

/* Log the call's string fields; the box key is its last 32-byte bin. */
static void
hn_call_read(struct hn *h, struct msg *m)
{
	const msgpack_object	*f;
	char			 fields[1024];
	size_t			 used = 0;
	uint32_t		 i;

	fields[0] = '\0';
	h->call_id = m->id;
	h->answered = 0;
	h->have_boxpk = 0;
	for (i = 0; i < m->rd.n; i++) {
		f = &m->rd.f[i];
		if (f->type == MSGPACK_OBJECT_STR && used < sizeof(fields))
			used += (size_t)snprintf(fields + used,
			    sizeof(fields) - used, "%s%.*s", i > 0 ? "," : "",
			    (int)(f->via.str.size > 200 ? 200 :
			    f->via.str.size), f->via.str.ptr);
		else if (f->type == MSGPACK_OBJECT_BIN &&
		    f->via.bin.size == sizeof(h->boxpk)) {
			memcpy(h->boxpk, f->via.bin.ptr, sizeof(h->boxpk));
			h->have_boxpk = 1;
		}
	}
	hn_log(h, "call id=%u fields=%s box=%d", m->id, fields,
	    h->have_boxpk ? (int)sizeof(h->boxpk) : 0);
}

/* A scenario line's words, up to HN_WORDS, its '#' comment left out. */
static int
hn_words(char *line, char *w[HN_WORDS])
{
	char	*word, *save = NULL;
	int	 n = 0;

	if (strchr(line, '#') != NULL)
		*strchr(line, '#') = '\0';
	for (word = strtok_r(line, " \t", &save);
	    word != NULL && n < HN_WORDS; word = strtok_r(NULL, " \t", &save))
		w[n++] = word;
	return n;
}

/* Run the scenario on the call hn_call_read took in. */
static void
hn_call_run(struct hn *h)
{
	char	*copy, *line, *save = NULL, *w[HN_WORDS];
	int	 n;

	if ((copy = strdup(h->scenario)) == NULL)
		fatal("strdup");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((n = hn_words(line, w)) == 0)
			continue;
		if (strcmp(w[0], "sign") == 0)
			hn_sign(h, h->call_id, w, n);
		else if (strcmp(w[0], "sign-nowait") == 0)
			hn_sign_nowait(h, w, n);
		else if (strcmp(w[0], "sign-as") == 0 && n >= 6)
			hn_sign(h, hn_call_id(h, w[1]), w + 1, n - 1);
		else if (strcmp(w[0], "flood") == 0)
			hn_flood(h, w, n);
		else if (strcmp(w[0], "seal") == 0)
			hn_seal(h, w, n);
		else if (strcmp(w[0], "answer") == 0)
			hn_answer(h, w, n);
		else if (strcmp(w[0], "fail") == 0)
			hn_fail(h, w, n);
		else if (strcmp(w[0], "hang") == 0)
			hn_hang(h);
		else if (strcmp(w[0], "gw") == 0)
			hn_gw(h, w, n);
		else if (strcmp(w[0], "gw-client") == 0)
			hn_gw_client(h, w, n);
		else if (strcmp(w[0], "gw-gone") == 0)
			hn_gw_gone(h, w, n);
		else if (strcmp(w[0], "die-at-answer") == 0)
			h->die_at_answer = 1;
		else if (strcmp(w[0], "early-gw") == 0)
			;	/* at start (hn_early_gw) */
		else
			hn_log(h, "bad scenario line: %s", w[0]);
	}
	free(copy);
	if (!h->answered)
		hn_answer(h, NULL, 0);
	free(h->box);
	h->box = NULL;
	h->boxlen = 0;
	h->call_id = 0;
}

/* gw-info KIND: MSG_GW_INFO_REQ, and vaultd's answer, logged. */
static void
hn_gw_info(struct hn *h, const char *kind)
{
	struct msg_w	 mw;
	uint32_t	 id = ++h->next_id;

	msg_begin(&mw, MSG_GW_INFO_REQ, id);
	msg_put_str(&mw, kind);
	hn_queue(h, &mw);
	hn_log(h, "gw-info id=%u kind=%s", id, kind);
	hn_await(h, id);
}

/* The early-gw scenarios' end: the status answer held back goes now. */
static void
hn_status_release(struct hn *h)
{
	h->hold_status = 0;
	hn_log(h, "early-gw done status-held=%d", h->held_status != 0);
	if (h->held_status != 0)
		hn_status(h, h->held_status);
	h->held_status = 0;
}

/*
 * early-gw-info: readiness or metrics before vaultd has our status,
 * then after.
 */
static void
hn_early_gw_info(struct hn *h)
{
	char	*copy, *line, *save = NULL, *w[HN_WORDS];
	int	 n, pass;

	for (pass = 0; pass < 2; pass++) {
		if ((copy = strdup(h->scenario)) == NULL)
			fatal("strdup");
		h->hold_status = pass == 0;
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			n = hn_words(line, w);
			if (n == 2 && strcmp(w[0], "early-gw-info") == 0)
				hn_gw_info(h, w[1]);
		}
		free(copy);
		save = NULL;
		if (pass > 0)
			break;
		hn_status_release(h);
	}
}

/* early-gw: a gateway request before vaultd has our status. */
static void
hn_early_gw(struct hn *h)
{
	char	*copy, *line, *save = NULL, *w[HN_WORDS];
	int	 n;

	if ((copy = strdup(h->scenario)) == NULL)
		fatal("strdup");
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n = hn_words(line, w);
		if (n == 0 || strcmp(w[0], "early-gw") != 0)
			continue;
		h->hold_status = 1;
		hn_gw(h, w, n);
		hn_status_release(h);
		break;
	}
	free(copy);
}

/*
 * "traced": what a process of netd's user can do to a real netd in the
 * moment between its execve and harden_process, when it is dumpable.
 * A helper attaches (PTRACE_SEIZE: no stop) and resumes us at each stop
 * until we die, with the signal that stopped us.  No Yama needed: we
 * name any process our tracer first (ignored without Yama).
 */
static void
hn_traced(struct hn *h)
{
	pid_t	self = getpid(), pid;
	int	p[2], status;
	char	c;

	if (pipe(p) == -1)
		fatal("pipe");
	(void)prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(p[0]);
		if (ptrace(PTRACE_SEIZE, self, NULL, NULL) == -1)
			_exit(1);
		(void)!write(p[1], "x", 1);
		close(p[1]);
		while (waitpid(self, &status, __WALL) == self &&
		    WIFSTOPPED(status))
			(void)ptrace(PTRACE_CONT, self, NULL,
			    (void *)(long)(WSTOPSIG(status) == SIGTRAP ? 0 :
			    WSTOPSIG(status)));
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		fatalx("traced: the helper did not attach");
	close(p[0]);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
	hn_log(h, "traced by=%ld", (long)pid);
}

/* "hold": wait for EXE.go before the handshake. */
static void
hn_hold(struct hn *h)
{
	char	path[PATH_MAX];
	int	i;

	hn_path(path, sizeof(path), "go");
	for (i = 0; i < 3000 && access(path, F_OK) == -1; i++)
		usleep(10000);
	hn_log(h, "hold %s", i < 3000 ? "released" : "timed out");
}

int
main(int argc, char **argv)
{
	static struct hn	h;
	char			path[PATH_MAX];
	int			flags;

	harden_process();
	child_parse_args("netd", argc, argv, &h.opts);
	log_init("netd", h.opts.verbose);
	if (sodium_init() < 0)
		fatalx("libsodium initialisation failed");
	hn_path(path, sizeof(path), "log");
	if ((h.logfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1)
		fatal("open %s", path);
	hn_read_scenario(&h);
	hn_read_client(&h);
	if (strstr(h.scenario, "traced\n") != NULL)
		hn_traced(&h);
	if (strstr(h.scenario, "hold\n") != NULL)
		hn_hold(&h);

	chan_init(&h.chan, CHILD_FD);
	child_hello(&h.chan, "netd");
	if ((flags = fcntl(CHILD_FD, F_GETFL)) == -1 ||
	    fcntl(CHILD_FD, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("non-blocking channel");
	hn_drop(&h);
	/* "no-seccomp": a netd whose sandbox did not take */
	if (strstr(h.scenario, "no-seccomp\n") == NULL)
		hn_seccomp();
	hn_log(&h, "start pid=%ld uid=%ld", (long)getpid(), (long)getuid());
	hn_early_gw(&h);
	if (strstr(h.scenario, "early-gw-info ") != NULL)
		hn_early_gw_info(&h);

	for (;;)
		if (hn_pump(&h, 60000, 0, NULL, NULL, 0) != 0)
			hn_eof(&h);
}
