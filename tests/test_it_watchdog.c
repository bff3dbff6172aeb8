/*
 * vaultd's watchdog of signerd's work: a signerd that owes answers and
 * gives none for the bound (-X in test mode; a vault operation, with its
 * Argon2id, twelve times as long) is killed and restarted, and what
 * waited on it is answered; one stopped with nothing to answer is left
 * alone, and one that is slow within its bound is not killed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>

#include <cmocka.h>

#include "common/audit.h"
#include "tests/it.h"

#define PASSPHRASE	"correct horse battery staple"
#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define APIKEY_JSON	"{\"apiKey\":\"k-1\",\"secret\":" \
			"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"," \
			"\"passphrase\":\"pp\"}"
/* vaultd's answer to a signature while signerd restarts (vaultd.h) */
#define SIGNERD_AGAIN	"signerd is (re)starting; retry in a moment"

struct wt {
	struct it	it;
	char		pass[128], audit[128];
	char		out[16384];
};

#define CTL(t, in, ...)	it_ctl(&(t)->it, in, (t)->out, sizeof((t)->out), \
			    __VA_ARGS__)

static int
setup(void **state)
{
	static struct wt	t;

	it_init(&t.it);
	snprintf(t.pass, sizeof(t.pass), "%s.pass", t.it.home);
	snprintf(t.audit, sizeof(t.audit), "%s/audit.log", t.it.home);
	it_write(t.pass, PASSPHRASE "\n", 0600);
	*state = &t;
	return 0;
}

static int
teardown(void **state)
{
	struct wt	*t = *state;

	it_cleanup(&t->it);
	unlink(t->pass);
	return 0;
}

/*
 * A vault (Argon2id at its least) with account A, its wallet and API
 * keys; then vaultd again with xarg (-TXn) unlocking it by itself (-p),
 * as it does after each restart of signerd.
 */
static void
start_signing(struct wt *t, const char *xarg)
{
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "init --passphrase-file %s --kdf min",
	    t->pass), 0);
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	assert_int_equal(CTL(t, WALLET_KEY, "wallet import --account A"), 0);
	assert_int_equal(CTL(t, APIKEY_JSON, "apikey import --account A"), 0);
	assert_int_equal(it_stop(&t->it, 5000), 0);
	assert_int_equal(it_start_args(&t->it, xarg, "-p", t->pass), 0);
	if (CTL(t, NULL, "wait --unlocked --timeout 10") != 0)
		fail_msg("not unlocked: %s", t->out);
}

/* An L2 headers request for GET /auth/api-keys of account A, sent on c. */
static void
headers_send(struct chan *c, uint32_t id)
{
	struct msg_w	w;

	it_headers_req(&w, id, "A", 2, "GET", "/auth/api-keys");
	assert_int_equal(chan_send(c, &w), 0);
}

/*
 * The next answer on c, read already or coming within ms; else the test
 * fails (and the stopped signerd cont is let go on).
 */
static void
recv_within(struct chan *c, struct msg *m, int ms, pid_t cont)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };
	int		r;

	if ((r = chan_next(c, m)) == 0)
		return;
	assert_int_equal(r, CV_ERR_AGAIN);
	if (poll(&pfd, 1, ms) != 1) {
		if (cont > 0)
			kill(cont, SIGCONT);
		fail_msg("no answer within %d ms", ms);
	}
	assert_int_equal(chan_recv(c, m), 0);
}

/*
 * The audit records whose op is op: how many, the last into *rec.
 */
static int
audit_ops(struct wt *t, const char *op, struct audit_rec *rec)
{
	struct audit_rec one;
	char		*log, *p, *nl;
	size_t		 len = 0;
	int		 n = 0;

	assert_non_null(log = it_slurp(t->audit, &len));
	for (p = log; (nl = memchr(p, '\n', len - (size_t)(p - log))) !=
	    NULL; p = nl + 1) {
		assert_int_equal(audit_record_parse(p, (size_t)(nl - p + 1),
		    &one), 0);
		if (strcmp(one.op, op) == 0) {
			*rec = one;
			n++;
		}
	}
	free(log);
	return n;
}

/* Neither watchdog of vaultd's (work, status query) killed a child. */
static void
assert_none_stalled(struct wt *t)
{
	struct audit_rec rec;

	assert_false(it_log_has(&t->it, "is broken: no answer"));
	assert_int_equal(audit_ops(t, "peer_stalled", &rec), 0);
}

/* One signature asked on a connection of its own: signed, exit 0. */
static void
signs(struct wt *t)
{
	if (CTL(t, NULL, "headers l2 --account A --method GET "
	    "--path /auth/api-keys") != 0)
		fail_msg("headers: %s", t->out);
}

/*
 * signerd killed by vaultd, n times in all, the last "no answer to
 * what": its last exit says so, and the audit log holds n peer_stalled
 * records, the last of signerd, killed, with key id kid.
 */
static void
stalled(struct wt *t, const struct it_proc *q, int n, const char *what,
    const char *kid)
{
	struct audit_rec rec;
	char		 want[200];

	assert_int_equal(q[1].restarts, n);
	snprintf(want, sizeof(want), "killed by vaultd: no answer to %s",
	    what);
	assert_string_equal(q[1].last_exit, want);
	assert_int_equal(audit_ops(t, "peer_stalled", &rec), n);
	assert_string_equal(rec.actor, "signerd");
	assert_string_equal(rec.account, "-");
	assert_string_equal(rec.verdict, "killed");
	assert_string_equal(rec.key_id, kid);
}

/* The vault unlocked again by the new signerd, which signs. */
static void
signs_again(struct wt *t)
{
	if (CTL(t, NULL, "wait --unlocked --timeout 10") != 0)
		fail_msg("not unlocked again: %s", t->out);
	signs(t);
}

/*
 * signerd stopped (SIGSTOP) with a signature to make: past the bound,
 * 1 s here, vaultd kills it; the request is answered as any other that
 * signerd's end left unsigned (vaultd unlocks by itself: "again"), the
 * log, the status and the audit log say why, a new signerd comes up,
 * and the next request is signed.  Before, nothing but the status query
 * noticed it, 15 to 20 s later, "no answer within the deadline", and
 * nothing was audited.
 */
static void
test_stopped_signing(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	struct chan	 c;
	struct msg	 m;
	char		 text[256], line[256];
	int		 code;

	start_signing(t, "-TX1");
	signs(t);
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	headers_send(&c, 100);
	recv_within(&c, &m, 12000, (pid_t)p[1].pid);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(m.id, 100);
	assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)), 0);
	msg_clear(&m);
	chan_free(&c);
	assert_int_equal(code, CV_ERR_AGAIN);
	assert_string_equal(text, SIGNERD_AGAIN);

	assert_true(it_wait_up(&t->it, q, p[1].pid, 0, 5000) >= 0);
	stalled(t, q, 1, "signing requests in 1 s", "signing");
	assert_int_equal(kill((pid_t)p[1].pid, 0), -1);
	snprintf(line, sizeof(line), "signerd (pid %llu) is broken: no answer "
	    "to signing requests in 1 s; killing it",
	    (unsigned long long)p[1].pid);
	assert_true(it_log_has(&t->it, line));

	signs_again(t);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].restarts, 1);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/*
 * signerd stopped with nothing to answer: four times the bound go by
 * and it is the same process, never restarted, nothing audited; let go
 * on, it signs.  (The status query's own deadline, 15 s, is not reached.)
 */
static void
test_stopped_idle(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];

	start_signing(t, "-TX1");
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	it_sleep_ms(4000);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_string_equal(q[1].last_exit, "");
	signs(t);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_none_stalled(t);
}

/*
 * signerd drops one signing request (test probe swallow) and goes on
 * answering the others, one every 100 ms or so: past the bound, 1 s,
 * the dropped one is answered as any request signerd's end left
 * unsigned ("again": vaultd unlocks by itself), signerd is killed,
 * "no answer to signing requests in 1 s", audited, restarted, and the
 * next request is signed.  Before, each answer to another request
 * restarted the watchdog's clock, and the dropped request kept its
 * slot, and its client waiting, for as long as signerd kept answering.
 */
static void
test_swallowed(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	struct msg_w	 w;
	struct chan	 c;
	struct msg	 m;
	char		 text[256];
	uint32_t	 i, last;
	int		 code, seen = 0, answered = 0;

	start_signing(t, "-TX1");
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	msg_begin(&w, MSG_CTL_PROBE_REQ, 50);
	msg_put_str(&w, "signerd");
	msg_put_str(&w, "swallow");
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_CTL_PROBE_ANS);
	msg_clear(&m);
	headers_send(&c, 100);		/* the one dropped */
	for (i = 0; i < 60 && !seen; i++) {
		headers_send(&c, 200 + i);
		do {
			recv_within(&c, &m, 12000, 0);
			last = m.id;
			if (m.id == 100) {
				assert_int_equal(m.type, MSG_ERROR_ANS);
				assert_int_equal(msg_get_error(&m, &code, text,
				    sizeof(text)), 0);
				assert_int_equal(code, CV_ERR_AGAIN);
				assert_string_equal(text, SIGNERD_AGAIN);
				seen = 1;
			} else {
				assert_int_equal(m.id, 200 + i);
				if (m.type == MSG_CTL_HEADERS_ANS)
					answered++;
			}
			msg_clear(&m);
		} while (last != 200 + i);
		it_sleep_ms(100);
	}
	if (!seen)
		fail_msg("the dropped request was never answered; %d others "
		    "were", answered);
	/* signerd kept answering the others, until it was killed */
	assert_true(answered >= 2);
	chan_free(&c);

	assert_true(it_wait_up(&t->it, q, p[1].pid, 0, 5000) >= 0);
	stalled(t, q, 1, "signing requests in 1 s", "signing");
	assert_true(it_log_has(&t->it, "test probe swallow: request "));
	signs_again(t);
}

/*
 * signerd stopped with nothing to answer is left to the status query:
 * asked every 5 s, it gives no answer for 15 s, and vaultd kills it,
 * "no answer to the status query in 15 s", on the audit log as
 * peer_stalled like the watchdog of work's kills (key id "status"),
 * counted in its restarts; a new signerd comes up and signs.  Before,
 * the kill was in the log only.
 */
static void
test_stopped_status(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	char		 line[256];

	start_signing(t, "-TX1");
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	if (it_wait_up(&t->it, q, p[1].pid, 0, 40000) < 0) {
		kill((pid_t)p[1].pid, SIGCONT);
		fail_msg("signerd not restarted");
	}
	assert_int_equal(q[2].restarts, 0);
	stalled(t, q, 1, "the status query in 15 s", "status");
	snprintf(line, sizeof(line), "signerd (pid %llu) is broken: no answer "
	    "to the status query in 15 s; killing it",
	    (unsigned long long)p[1].pid);
	assert_true(it_log_has(&t->it, line));
	signs_again(t);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/*
 * Slow but within its bound: with a signing bound of 2 s (the vault
 * operations' 24 s), a vault at the sensitive Argon2id cost (seconds for
 * each derivation) is made, locked, unlocked, and its passphrase changed,
 * while a signature waits behind the change in signerd; signerd is never
 * killed.  On a machine that derives in less than 2 s it shows nothing
 * and is skipped.
 */
static void
test_slow_vault_op(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	struct chan	 c;
	struct msg	 m;
	char		 out[160], text[256];
	int64_t		 start;
	pid_t		 pw;
	int		 st, code;

	assert_int_equal(it_start_args(&t->it, "-TX2", NULL, NULL), 0);
	assert_int_equal(it_status(&t->it, p), 0);
	start = it_ms();
	if (CTL(t, NULL, "init --passphrase-file %s --kdf sensitive",
	    t->pass) != 0)
		fail_msg("init: %s", t->out);
	if (it_ms() - start < 2500)
		skip();
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	assert_int_equal(CTL(t, WALLET_KEY, "wallet import --account A"), 0);
	assert_int_equal(CTL(t, APIKEY_JSON, "apikey import --account A"), 0);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	if (CTL(t, NULL, "unlock --passphrase-file %s", t->pass) != 0)
		fail_msg("unlock: %s", t->out);

	/* a signature sent while the change derives its key waits for it */
	snprintf(out, sizeof(out), "%s.passwd", t->it.home);
	pw = it_ctl_spawn(&t->it, out, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf interactive", t->pass, t->pass);
	assert_true(pw > 0);
	it_sleep_ms(500);
	assert_int_equal(it_connect(&t->it, &c), 0);
	headers_send(&c, 7);
	recv_within(&c, &m, 60000, 0);
	if (m.type == MSG_ERROR_ANS &&
	    msg_get_error(&m, &code, text, sizeof(text)) == 0)
		fail_msg("signature refused: %d %s", code, text);
	assert_int_equal(m.type, MSG_CTL_HEADERS_ANS);
	assert_int_equal(m.id, 7);
	msg_clear(&m);
	chan_free(&c);
	assert_int_equal(waitpid(pw, &st, 0), pw);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("passwd exit %d", WEXITSTATUS(st));
	unlink(out);

	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_none_stalled(t);
}

/*
 * vaultctl cmd (lock, unlock) sent to a stopped signerd: vaultd kills it
 * past the bound, "killed by vaultd: no answer to the vault operation
 * in S s", audited; vaultctl is told the operation failed as when
 * signerd dies during one; a new signerd comes up and the vault is
 * unlocked again (-p).
 */
static void
stalled_op(struct wt *t, const char *cmd, unsigned restarts, int s)
{
	struct it_proc	 p[3], q[3];
	char		 out[160], want[160], *said;
	size_t		 len = 0;
	pid_t		 op;
	int		 st;

	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	snprintf(out, sizeof(out), "%s.op", t->it.home);
	op = it_ctl_spawn(&t->it, out, "%s", cmd);
	assert_true(op > 0);
	if (it_wait_up(&t->it, q, p[1].pid, 0, 40000) < 0) {
		kill((pid_t)p[1].pid, SIGCONT);
		fail_msg("signerd not restarted");
	}
	snprintf(want, sizeof(want), "the vault operation in %d s", s);
	stalled(t, q, (int)restarts, want, "vault");
	assert_int_equal(waitpid(op, &st, 0), op);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
	assert_non_null(said = it_slurp(out, &len));
	if (strstr(said, "signerd stopped during the operation; the vault is "
	    "now locked") == NULL)
		fail_msg("%s said: %s", cmd, said);
	free(said);
	unlink(out);
	signs_again(t);
}

/*
 * signerd stopped with a vault operation to answer.  One that derives no
 * key (lock) has the bound of signing requests, -X 2; one that derives a
 * key (unlock: Argon2id) twelve times that, 24 s, and that bound decides,
 * not the status query's 15 s deadline, which a passwd at the sensitive
 * cost exceeds on a slow machine.  Before, the status query's deadline
 * killed signerd, "no answer within the deadline", whatever it was doing.
 */
static void
test_stopped_vault_op(void **state)
{
	struct wt	*t = *state;
	char		 cmd[256];

	start_signing(t, "-TX2");
	stalled_op(t, "lock", 1, 2);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	snprintf(cmd, sizeof(cmd), "unlock --passphrase-file %s", t->pass);
	stalled_op(t, cmd, 2, 24);
}

/*
 * The bound of a key derivation follows the vault's Argon2id cost: with
 * -K 4096, a unit of 4096 (passes x bytes), the least cost (1 pass over
 * 8 KiB) is two units, so an unlock has twice the twelve times -X 1,
 * 24 s.  signerd stopped with an unlock to answer is not killed after
 * 16 s, past the 12 s that bound was for every vault, and, let go on,
 * unlocks; stopped again, it is killed past 24 s, "no answer to the
 * vault operation in 24 s", audited, and the unlock fails as when
 * signerd dies during one.  Before, a vault whose derivation took longer
 * than 120 s on its machine could never be unlocked.
 */
static void
test_heavy_derivation(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	char		 out[160], *said;
	size_t		 len = 0;
	pid_t		 op;
	int		 st;

	assert_int_equal(it_start_args(&t->it, "-TX1", "-K", "4096"), 0);
	if (CTL(t, NULL, "init --passphrase-file %s --kdf min", t->pass) != 0)
		fail_msg("init: %s", t->out);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	snprintf(out, sizeof(out), "%s.op", t->it.home);

	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	op = it_ctl_spawn(&t->it, out, "unlock --passphrase-file %s",
	    t->pass);
	assert_true(op > 0);
	it_sleep_ms(16000);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_int_equal(waitpid(op, &st, 0), op);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_none_stalled(t);

	assert_int_equal(CTL(t, NULL, "lock"), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	op = it_ctl_spawn(&t->it, out, "unlock --passphrase-file %s",
	    t->pass);
	assert_true(op > 0);
	if (it_wait_up(&t->it, q, p[1].pid, 0, 40000) < 0) {
		kill((pid_t)p[1].pid, SIGCONT);
		fail_msg("signerd not restarted");
	}
	stalled(t, q, 1, "the vault operation in 24 s", "vault");
	assert_int_equal(waitpid(op, &st, 0), op);
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 0);
	assert_non_null(said = it_slurp(out, &len));
	if (strstr(said, "signerd stopped during the operation; the vault is "
	    "now locked") == NULL)
		fail_msg("unlock said: %s", said);
	free(said);
	unlink(out);
	if (CTL(t, NULL, "unlock --passphrase-file %s", t->pass) != 0)
		fail_msg("unlock: %s", t->out);
}

/*
 * A vault of Argon2id at its least, locked, and vaultd whose watchdog
 * gives signerd 12 s for its derivation: -X1 (1 s an answer, 12 s a
 * unit of work) and -K 8192 (the least cost is one unit).
 */
static void
start_heavy(struct wt *t)
{
	assert_int_equal(it_start_args(&t->it, "-TX1", "-K", "8192"), 0);
	if (CTL(t, NULL, "init --passphrase-file %s --kdf min", t->pass) != 0)
		fail_msg("init: %s", t->out);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
}

/* vaultctl unlock in a child, waiting waitsecs when vaultd says nothing. */
static pid_t
unlock_spawn(struct wt *t, const char *out, const char *waitsecs)
{
	pid_t	pid;

	assert_int_equal(setenv("CLOBVAULT_TEST_OP_WAIT", waitsecs, 1), 0);
	pid = it_ctl_spawn(&t->it, out, "unlock --passphrase-file %s",
	    t->pass);
	assert_int_equal(unsetenv("CLOBVAULT_TEST_OP_WAIT"), 0);
	assert_true(pid > 0);
	return pid;
}

/* What the vaultctl in a child said and its exit status. */
static int
spawned_said(pid_t pid, const char *out, char *said, size_t len)
{
	char	*text;
	size_t	 n = 0;
	int	 st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_non_null(text = it_slurp(out, &n));
	snprintf(said, len, "%s", text);
	free(text);
	unlink(out);
	return WEXITSTATUS(st);
}

/*
 * vaultctl waits for a key derivation as long as vaultd's watchdog
 * allows it (MSG_CTL_WAIT), not its own fixed time: signerd stopped 5 s
 * in an unlock, beyond the 2 s vaultctl waits here for vaultd's word
 * (CLOBVAULT_TEST_OP_WAIT; a minute otherwise) and within the 12 s
 * vaultd allows, and vaultctl hears the unlock succeed.  Before, it
 * gave up ("no answer from vaultd within 2 s") while the unlock went
 * on.
 */
static void
test_wait_follows_watchdog(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	char		 out[160], said[1024];
	pid_t		 op;

	start_heavy(t);
	snprintf(out, sizeof(out), "%s.op", t->it.home);
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	op = unlock_spawn(t, out, "2");
	it_sleep_ms(5000);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	assert_int_equal(spawned_said(op, out, said, sizeof(said)), 0);
	assert_string_equal(said, "vault unlocked\n");
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_none_stalled(t);
}

/*
 * A vaultd that stops answering still ends vaultctl's wait, with what
 * happened and exit 1: stopped before it read the unlock, after the
 * 2 s vaultctl waits here for its word; stopped after it said the
 * derivation may take 12 s, after those and the 2 s.
 */
static void
test_wait_bounded(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3];
	char		 out[160], said[1024];
	pid_t		 op;
	int		 i;

	start_heavy(t);
	snprintf(out, sizeof(out), "%s.op", t->it.home);
	assert_int_equal(it_status(&t->it, p), 0);

	assert_int_equal(kill(t->it.vaultd, SIGSTOP), 0);
	op = unlock_spawn(t, out, "2");
	i = spawned_said(op, out, said, sizeof(said));
	assert_int_equal(kill(t->it.vaultd, SIGCONT), 0);
	assert_int_equal(i, 1);
	assert_string_equal(said, "vaultctl: unlock: no answer from vaultd "
	    "within 2 s (an exchange call may still complete: see vaultctl "
	    "audit show)\n");
	if (CTL(t, NULL, "unlock --passphrase-file %s", t->pass) != 0)
		fail_msg("unlock: %s", t->out);
	assert_int_equal(CTL(t, NULL, "lock"), 0);

	/* vaultd has the unlock at signerd, and has said so, when stopped */
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	op = unlock_spawn(t, out, "2");
	for (i = 0; i < 100; i++) {
		assert_int_equal(CTL(t, NULL, "status"), 0);
		if (strstr(t->out, "unlocking") != NULL)
			break;
		it_sleep_ms(100);
	}
	it_sleep_ms(500);
	assert_int_equal(kill(t->it.vaultd, SIGSTOP), 0);
	i = spawned_said(op, out, said, sizeof(said));
	assert_int_equal(kill(t->it.vaultd, SIGCONT), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	assert_int_equal(i, 1);
	assert_string_equal(said, "vaultctl: unlock: no answer from vaultd "
	    "within 14 s, though it allowed the key derivation 12 s: vaultd "
	    "is stopped or overloaded; the operation may still complete (see "
	    "vaultctl status and vaultctl audit show)\n");
}

/*
 * policy apply of a one-line policy with signerd stopped (SIGSTOP) for
 * ms of its derivation: it must end applied.  p: the processes before.
 */
static void
apply_stopped(struct wt *t, struct it_proc *p, int ms)
{
	char	out[160], pol[160], said[1024];
	pid_t	op;

	snprintf(out, sizeof(out), "%s.op", t->it.home);
	snprintf(pol, sizeof(pol), "%s.policy", t->it.home);
	it_write(pol, "allow operator catalog label default\n", 0644);
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	op = it_ctl_spawn(&t->it, out, "policy apply %s --passphrase-file %s",
	    pol, t->pass);
	assert_true(op > 0);
	it_sleep_ms(ms);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	if (spawned_said(op, out, said, sizeof(said)) != 0)
		fail_msg("policy apply: %s", said);
	unlink(pol);
}

/*
 * policy apply checks the credential with Argon2id as an unlock does,
 * and the watchdog allows it as long: signerd stopped 3 s in it (the
 * bound of any other request is 1 s here, its derivation's 12 s) is
 * not killed, and the policy is applied.  Before, it was killed after
 * 1 s, and the apply failed.
 */
static void
test_policy_apply_derives(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];

	start_heavy(t);
	if (CTL(t, NULL, "unlock --passphrase-file %s", t->pass) != 0)
		fail_msg("unlock: %s", t->out);
	apply_stopped(t, p, 3000);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_none_stalled(t);
}

/*
 * A policy apply is work in flight for its client, as any vault
 * operation is: with the idle time-out at 2 s (-I2), the client that
 * waits 5 s for its apply (signerd stopped in the derivation) keeps its
 * connection and hears the policy applied.  Before, vaultd closed it as
 * idle after 2 s ("vaultd closed the connection", exit 3), and with it
 * its answer, while the apply went on.
 */
static void
test_policy_apply_not_idle(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3];

	assert_int_equal(it_start_args(&t->it, "-TI2", "-X1", "-K8192"), 0);
	if (CTL(t, NULL, "init --passphrase-file %s --kdf min", t->pass) != 0)
		fail_msg("init: %s", t->out);
	apply_stopped(t, p, 5000);
}

/*
 * Requests whose records wait for a slow sync (test probe sync-slow: the
 * syncer's next sync takes 3 s, as on a slow disk) are vaultd's, not yet
 * signerd's to answer: with a bound of 1 s, signerd is not killed, and
 * every one of them is signed once the sync ends.
 */
static void
test_slow_sync(void **state)
{
	struct wt	*t = *state;
	struct it_proc	 p[3], q[3];
	struct msg_w	 w;
	struct chan	 c;
	struct msg	 m;
	int64_t		 start;
	uint32_t	 i;

	start_signing(t, "-TX1");
	assert_int_equal(it_status(&t->it, p), 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	msg_begin(&w, MSG_CTL_PROBE_REQ, 50);
	msg_put_str(&w, "vaultd");
	msg_put_str(&w, "sync-slow");
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_CTL_PROBE_ANS);
	msg_clear(&m);
	/* together: one group, synced by the syncer */
	start = it_ms();
	for (i = 0; i < 8; i++) {
		it_headers_req(&w, 100 + i, "A", 2, "GET", "/auth/api-keys");
		assert_int_equal(chan_queue(&c, &w), 0);
	}
	assert_int_equal(chan_flush(&c), 0);
	for (i = 0; i < 8; i++) {
		recv_within(&c, &m, 20000, 0);
		assert_int_equal(m.type, MSG_CTL_HEADERS_ANS);
		msg_clear(&m);
	}
	chan_free(&c);
	/* else the test shows nothing: no request waited for the sync */
	assert_true(it_ms() - start >= 2000);
	assert_int_equal(it_status(&t->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);
	assert_int_equal(q[1].restarts, 0);
	assert_none_stalled(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stopped_signing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stopped_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_swallowed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stopped_status, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slow_vault_op, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stopped_vault_op, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_slow_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_heavy_derivation, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_wait_follows_watchdog,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_apply_derives, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_policy_apply_not_idle,
		    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	/* WATCHDOG_TEST=name: that test alone */
	if (getenv("WATCHDOG_TEST") != NULL)
		cmocka_set_test_filter(getenv("WATCHDOG_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
