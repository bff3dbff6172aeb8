/*
 * The audit log and the vault's rollback protection, end to end: hostile
 * fields from a peer, denials that neither stop vaultd nor rewrite the
 * vault, segments, the cross-check of the vault and the log at unlock
 * (each file put back alone, both together against a kept anchor),
 * SIGKILL during vault writes with the write-ahead records, the audit
 * modes, the audit journal (what a crash of the machine took from
 * audit.log written back; a journal vaultd must not trust), and signing
 * that goes on while checkpoints are signed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <poll.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "common/audit.h"
#include "common/audit_journal.h"
#include "common/vault_fmt.h"
#include "tests/it.h"

#define PASSPHRASE	"correct horse battery staple"
/* The smallest journal vaultd takes (-J, test mode). */
#define JOURNAL_MIN	"65536"

struct at {
	struct it	it;
	char		pass[128], vault[128], audit[128];
	char		out[16384];
};

static int
setup_args(void **state, const char *a2, const char *a3)
{
	static struct at	t;

	it_init(&t.it);
	snprintf(t.pass, sizeof(t.pass), "%s.pass", t.it.home);
	snprintf(t.vault, sizeof(t.vault), "%s/vault", t.it.home);
	snprintf(t.audit, sizeof(t.audit), "%s/audit.log", t.it.home);
	it_write(t.pass, PASSPHRASE "\n", 0600);
	*state = &t;
	if (it_start_args(&t.it, "-T", a2, a3) != 0)
		return -1;
	return it_ctl(&t.it, NULL, t.out, sizeof(t.out),
	    "init --passphrase-file %s --kdf min", t.pass);
}

static int
setup(void **state)
{
	return setup_args(state, NULL, NULL);
}

/* Segments of about 1.5 KiB: a rotation after every checkpoint or so. */
static int
setup_small(void **state)
{
	return setup_args(state, "-S", "1500");
}

static int
teardown(void **state)
{
	struct at	*t = *state;

	it_cleanup(&t->it);
	unlink(t->pass);
	return 0;
}

#define CTL(t, in, ...)	it_ctl(&(t)->it, in, (t)->out, sizeof((t)->out), \
			    __VA_ARGS__)

static void
assert_out(struct at *t, const char *want)
{
	if (strstr(t->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", t->out, want);
}

static void
copy_file(const char *from, const char *to)
{
	size_t	 len = 0;
	char	*b = it_slurp(from, &len);
	FILE	*f;

	assert_non_null(b);
	unlink(to);
	assert_non_null(f = fopen(to, "w"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	chmod(to, 0600);
	free(b);
}

static uint64_t
vault_gen(struct at *t)
{
	struct vault	 v;
	uint8_t		*buf = NULL;
	size_t		 len;
	uint64_t	 g;

	memset(&v, 0, sizeof(v));
	assert_int_equal(vault_fmt_read(t->vault, &buf, &len), 0);
	assert_int_equal(vault_fmt_parse(buf, len, &v), 0);
	g = v.hdr.generation;
	vault_free(&v);
	free(buf);
	return g;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t	n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

/* vaultd, having stopped, exited 1. */
static void
stopped(struct at *t)
{
	int	status;

	assert_int_equal(waitpid(t->it.vaultd, &status, 0), t->it.vaultd);
	t->it.vaultd = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

/* vaultd, having stopped for its log, exited 1 with want in its log. */
static void
stopped_with(struct at *t, const char *want)
{
	stopped(t);
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd's log lacks \"%s\"", want);
}

/* vaultd started again (-T, a2, a3) and unlocked: the log verifies. */
static void
restart_verifies(struct at *t, const char *a2, const char *a3)
{
	assert_int_equal(it_start_args(&t->it, "-T", a2, a3), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/*
 * A lower-case method, bytes outside the path syntax: denied, recorded
 * escaped, vaultd still up.  Denials are batched like allows: no
 * checkpoint, no vault rewrite, however many.
 */
static void
test_hostile_denials(void **state)
{
	struct at	*t = *state;
	char		*log;
	size_t		 len = 0;
	uint64_t	 g;
	int		 i;

	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	it_sleep_ms(100);		/* its checkpoint */
	g = vault_gen(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method get "
	    "--path /auth/api-keys"), 4);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method GET "
	    "--path 'auth/x y%%'"), 4);
	for (i = 0; i < 20; i++)
		assert_int_equal(CTL(t, NULL, "headers l2 --account A "
		    "--method DELETE --path /nope"), 4);
	/* a name no account can have: refused before the policy and log */
	assert_int_equal(CTL(t, NULL, "headers l2 --account 'A x' --method "
	    "GET --path /auth/api-keys"), 1);
	assert_out(t, "vaultctl: headers: not an account name\n");
	assert_int_equal(CTL(t, NULL, "status"), 0);
	assert_int_equal(vault_gen(t), g);	/* no checkpoint forced */
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_non_null(strstr(log, "\tsign\t!%67%65%74\t/auth/api-keys\t"
	    "deny\t"));
	assert_non_null(strstr(log, "\tsign\tGET\t!auth/x%20y%25\tdeny\t"));
	assert_int_equal(count(log, "\tDELETE\t/nope\tdeny\t"), 20);
	free(log);
}

/* Wait until vaultd has checkpointed what it last did (the vault moved). */
static void
settle(struct at *t)
{
	uint64_t	g = 0, h;
	int		i;

	for (i = 0; i < 100; i++) {
		h = vault_gen(t);
		if (h == g)
			return;
		g = h;
		it_sleep_ms(30);
	}
}

/* An older vault put back after account add: refused, exit 7. */
static void
test_rollback_vault(void **state)
{
	struct at	*t = *state;
	char		 old[160], cur[160], cmd[512];

	snprintf(old, sizeof(old), "%s.vault-old", t->it.home);
	snprintf(cur, sizeof(cur), "%s.vault-new", t->it.home);
	settle(t);
	copy_file(t->vault, old);
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	settle(t);
	copy_file(t->vault, cur);
	copy_file(old, t->vault);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    7);
	assert_out(t, "the vault file looks OLDER than the audit log");
	assert_int_equal(CTL(t, NULL, "status"), 0);
	assert_out(t, "vault locked");
	/* vaultd -p refuses it the same way, says so, and stops (exit 7) */
	assert_int_equal(it_stop(&t->it, 3000), 0);
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f -T -p %s 2>&1", t->it.build,
	    t->pass);
	assert_int_equal(it_run(t->out, sizeof(t->out), cmd), 7);
	assert_non_null(strstr(t->out, "cannot unlock the vault: the vault "
	    "file looks OLDER than the audit log"));
	/* with -L it stays up, locked */
	assert_int_equal(it_start_args(&t->it, "-TL", "-p", t->pass), 0);
	it_sleep_ms(300);
	assert_int_equal(CTL(t, NULL, "status"), 0);
	assert_out(t, "vault locked");
	assert_true(it_log_has(&t->it, "unlock refused: the vault file looks "
	    "OLDER"));
	/* the newest vault back: it unlocks, and after a restart too */
	copy_file(cur, t->vault);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "account list"), 0);
	assert_out(t, "\nA ");		/* account list: its row */
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	unlink(old);
	unlink(cur);
}

/* After passwd, the old vault copy with the old passphrase: refused. */
static void
test_rollback_passwd(void **state)
{
	struct at	*t = *state;
	char		 old[160], newp[160];

	snprintf(old, sizeof(old), "%s.vault-old", t->it.home);
	snprintf(newp, sizeof(newp), "%s.pass2", t->it.home);
	it_write(newp, "a brand new passphrase\n", 0600);
	settle(t);
	copy_file(t->vault, old);
	assert_int_equal(CTL(t, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf min", t->pass, newp), 0);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	copy_file(old, t->vault);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    7);
	assert_out(t, "OLDER than the audit log");
	unlink(old);
	unlink(newp);
}

/* An older copy of the log (cut at an earlier checkpoint): refused. */
static void
test_rollback_log(void **state)
{
	struct at	*t = *state;
	char		 old[160], cur[160];

	snprintf(old, sizeof(old), "%s.log-old", t->it.home);
	snprintf(cur, sizeof(cur), "%s.log-new", t->it.home);
	settle(t);
	copy_file(t->audit, old);
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	copy_file(t->audit, cur);
	copy_file(old, t->audit);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    7);
	assert_out(t, "the audit log looks OLDER than the vault");
	assert_int_equal(it_stop(&t->it, 3000), 0);
	copy_file(cur, t->audit);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	unlink(old);
	unlink(cur);
}

/* A log of the earlier 12-field format: refused at start, saying why. */
static void
test_old_format(void **state)
{
	struct at	*t = *state;

	assert_int_equal(it_stop(&t->it, 3000), 0);
	it_write(t->audit, "1\t2026-01-01T00:00:00Z\tvaultctl\t-\tinit\t-\t-"
	    "\tok\t-\t-\t0000000000000000000000000000000000000000000000000000"
	    "000000000000\t-\n", 0600);
	assert_int_not_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_true(it_log_has(&t->it, "audit.log was written by an earlier "
	    "clobvault (records of 12 fields): this build does not read it; "
	    "keep that home with the build that made it"));
}

/*
 * Both files put back together form a consistent older pair: unlock
 * cannot tell, but the anchor the operator kept elsewhere can.
 */
static void
test_anchor(void **state)
{
	struct at	*t = *state;
	char		 ov[160], ol[160], kept[200], *nl;

	snprintf(ov, sizeof(ov), "%s.vault-old", t->it.home);
	snprintf(ol, sizeof(ol), "%s.log-old", t->it.home);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	copy_file(t->vault, ov);
	copy_file(t->audit, ol);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	settle(t);
	assert_int_equal(CTL(t, NULL, "audit anchor"), 0);
	assert_out(t, "audit anchor: ");
	snprintf(kept, sizeof(kept), "%s", t->out + strlen("audit anchor: "));
	assert_non_null(nl = strchr(kept, '\n'));
	*nl = '\0';
	assert_int_equal(CTL(t, NULL, "--json audit anchor"), 0);
	assert_out(t, "\"seq\"");
	assert_int_equal(CTL(t, NULL, "audit verify --anchor %s", kept), 0);
	assert_out(t, "is in the log as kept");
	assert_int_equal(CTL(t, NULL, "audit verify --anchor 1:%s",
	    strchr(kept, ':') + 1), 7);
	assert_int_equal(CTL(t, NULL, "audit verify --anchor bad"), 2);
	/* the seq is a canonical decimal, the hash 32 bytes of hex */
	assert_int_equal(CTL(t, NULL, "audit verify --anchor -1:%s",
	    strchr(kept, ':') + 1), 2);
	assert_int_equal(CTL(t, NULL, "audit verify --anchor 01:%s",
	    strchr(kept, ':') + 1), 2);
	assert_int_equal(CTL(t, NULL, "audit verify --anchor 1:00"), 2);
	/* both rolled back together */
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	copy_file(ov, t->vault);
	copy_file(ol, t->audit);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "audit verify --anchor %s", kept), 7);
	assert_out(t, "does not reach checkpoint");
	unlink(ov);
	unlink(ol);
}

/*
 * audit.log's bytes replaced by from's in the same file (truncated and
 * written over, not a new file): what the log says changes, and
 * vaultd, whose file it still is, goes on.  A new file put in its place
 * would stop vaultd (test_log_replaced).
 */
static void
copy_in_place(const char *from, const char *to)
{
	size_t	 len = 0;
	char	*b = it_slurp(from, &len);
	int	 fd;

	assert_non_null(b);
	assert_true((fd = open(to, O_WRONLY | O_TRUNC)) != -1);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
	free(b);
}

/*
 * Both files put back together while vaultd runs (the log's bytes in
 * the file vaultd has open): the pair is consistent, but the log is
 * shorter than what this vaultd wrote to it, so at the unlock's first
 * record vaultd stops (vaultctl sees the connection closed) rather than
 * go on in a log cut short; the vault stays locked.  It used to go on
 * writing to the older log, and refused the vault only because it had
 * written a later generation itself (exit 7), a check that now stands
 * behind this one.  The newest pair put back, the next vaultd unlocks.
 */
static void
test_rollback_pair_running(void **state)
{
	struct at	*t = *state;
	char		 ov[160], ol[160], nv[160], nl[160];

	snprintf(ov, sizeof(ov), "%s.vault-old", t->it.home);
	snprintf(ol, sizeof(ol), "%s.log-old", t->it.home);
	snprintf(nv, sizeof(nv), "%s.vault-new", t->it.home);
	snprintf(nl, sizeof(nl), "%s.log-new", t->it.home);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	copy_file(t->vault, ov);
	copy_file(t->audit, ol);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	copy_file(t->vault, nv);
	copy_file(t->audit, nl);
	copy_file(ov, t->vault);
	copy_in_place(ol, t->audit);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    3);
	assert_out(t, "vaultd closed the connection");
	stopped_with(t, "was cut short while vaultd ran");
	/* the newest pair back: it unlocks */
	copy_file(nv, t->vault);
	copy_in_place(nl, t->audit);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "account list"), 0);
	assert_out(t, "\nA ");
	unlink(ov);
	unlink(ol);
	unlink(nv);
	unlink(nl);
}

/* Small segments: the log rotates, verifies across files, resumes. */
static void
test_segments(void **state)
{
	struct at	*t = *state;
	char		 seg[160];
	int		 i;

	for (i = 0; i < 6; i++) {
		assert_int_equal(CTL(t, NULL, "account add A%d --profile "
		    "openfish", i), 0);
		settle(t);
	}
	snprintf(seg, sizeof(seg), "%s.000002", t->audit);
	assert_int_equal(access(seg, F_OK), 0);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	assert_out(t, "audit log verified: ");
	/* 21 records in three files; the tail reads across them */
	assert_int_equal(CTL(t, NULL, "audit show --tail 20"), 0);
	assert_int_equal(count(t->out, "\n"), 20);
	assert_int_equal(strncmp(t->out, "2\t", 2), 0);
	assert_int_equal(CTL(t, NULL, "audit show --tail 100"), 0);
	assert_int_equal(count(t->out, "\n"), 21);
	/* a crash between the rename and the create: no current file */
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	for (i = 2; ; i++) {
		snprintf(seg, sizeof(seg), "%s.%06d", t->audit, i);
		if (access(seg, F_OK) != 0)
			break;
	}
	assert_int_equal(rename(t->audit, seg), 0);
	assert_int_equal(it_start_args(&t->it, "-T", "-S", "1500"), 0);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	settle(t);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
	/* a segment taken away: named */
	snprintf(seg, sizeof(seg), "%s.000002", t->audit);
	assert_int_equal(unlink(seg), 0);
	assert_int_equal(CTL(t, NULL, "audit verify"), 7);
	assert_out(t, "a record is missing (sequence gap) at "
	    "audit.log.000002");
}

/*
 * SIGKILL vaultd at random moments during vault writes, 1,000 times:
 * every restart unlocks (the cross-check never refuses a crash), every
 * generation the vault went through has its write-ahead intent in the
 * log, every intent without an outcome is reported interrupted, and the
 * log verifies.
 */
static void
test_crash(void **state)
{
	struct at	*t = *state;
	struct audit_rec r;
	char		 cmd[600], want[64], *log, *p, *nl;
	char		*seen;
	size_t		 len = 0;
	uint64_t	 g, gen, open_gen = 0, open_n = 0, runs;
	int64_t		 start;
	int		 i, open = 0, b;

	runs = getenv("IT_CRASH_RUNS") ? strtoull(getenv("IT_CRASH_RUNS"),
	    NULL, 10) : 1000;
	assert_int_equal(CTL(t, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	for (i = 0; i < (int)runs; i++) {
		assert_int_equal(it_start_args(&t->it, "-T", "-p", t->pass), 0);
		for (start = it_ms(); ; it_sleep_ms(2)) {
			if (CTL(t, NULL, "status") == 0 &&
			    strstr(t->out, "vault unlocked") != NULL)
				break;
			if (it_ms() - start > 5000)
				fail_msg("run %d: no unlock: %s", i, t->out);
		}
		snprintf(cmd, sizeof(cmd), "for j in 1 2 3; do echo C%d$j | "
		    "%s/vaultctl invite set --account main; done >/dev/null "
		    "2>&1 &", i, t->it.build);
		(void)!system(cmd);
		it_sleep_ms(rand() % 25);
		it_kill(&t->it);
	}
	it_sleep_ms(50);	/* the orphaned vaultctl ends */
	assert_int_equal(it_start_args(&t->it, "-T", "-p", t->pass), 0);
	for (start = it_ms(); it_ms() - start < 5000; it_sleep_ms(5))
		if (CTL(t, NULL, "status") == 0 &&
		    strstr(t->out, "vault unlocked") != NULL)
			break;
	assert_out(t, "vault unlocked");
	settle(t);
	assert_int_equal(CTL(t, NULL, "lock"), 0);
	g = vault_gen(t);
	/* one mark per generation the vault went through */
	assert_non_null(seen = calloc(g + 1, 1));
	assert_non_null(log = it_slurp(t->audit, &len));
	for (p = log; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		assert_int_equal(audit_record_parse(p, (size_t)(nl - p) + 1,
		    &r), 0);
		if (audit_rec_gen(&r, &gen) != 0)
			continue;
		b = strcmp(r.verdict, AUDIT_V_INTENT) == 0;
		if (b || audit_rec_is_checkpoint(&r)) {
			open_n += open;		/* no outcome came */
			open = b;
			open_gen = gen;
			if (gen <= g)
				seen[gen] = 1;
		} else if (open && gen == open_gen)
			open = 0;
	}
	open_n += open;
	for (gen = 1; gen <= g; gen++)
		if (!seen[gen])
			fail_msg("generation %llu has no intent or checkpoint",
			    (unsigned long long)gen);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	if (open_n > 0) {
		snprintf(want, sizeof(want), "; %llu interrupted vault write",
		    (unsigned long long)open_n);
		assert_out(t, want);
	} else
		assert_null(strstr(t->out, "interrupted"));
	free(seen);
	free(log);
}

/* An openfish account that signs L2: a wallet and an API key. */
#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define APIKEY_JSON	"{\"apiKey\":\"k-1\",\"secret\":" \
			"\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"," \
			"\"passphrase\":\"pp\"}"

static void
signing_account(struct at *t)
{
	assert_int_equal(CTL(t, NULL, "account add A --profile openfish"), 0);
	assert_int_equal(CTL(t, WALLET_KEY, "wallet import --account A"), 0);
	assert_int_equal(CTL(t, APIKEY_JSON, "apikey import --account A"), 0);
}

/* A headers l2 request for GET /auth/api-keys of account A, queued on c. */
static void
headers_queue(struct chan *c, uint32_t id)
{
	struct msg_w	w;

	it_headers_req(&w, id, "A", 2, "GET", "/auth/api-keys");
	assert_int_equal(chan_queue(c, &w), 0);
}

/*
 * n L2 signatures pipelined on one control connection, window in
 * flight: each must come back signed; CV_ERR_AGAIN answers are sent
 * again and counted into *again.
 */
static void
piped(struct at *t, int n, int window, int *again)
{
	struct chan	 c;
	struct msg	 m;
	int64_t		 code;
	int		 sent = 0, done = 0, out = 0, resend = 0;

	*again = 0;
	assert_int_equal(it_connect(&t->it, &c), 0);
	while (done < n) {
		while (out < window && (sent < n || resend > 0)) {
			headers_queue(&c, (uint32_t)(sent + resend + 100));
			if (resend > 0)
				resend--;
			else
				sent++;
			out++;
		}
		assert_int_equal(chan_flush(&c), 0);
		assert_int_equal(chan_recv(&c, &m), 0);
		out--;
		if (m.type == MSG_ERROR_ANS) {
			assert_int_equal(msg_get_i64(&m.rd, &code), 0);
			if (code != CV_ERR_AGAIN)
				fail_msg("refused: %lld", (long long)code);
			(*again)++;
			resend++;
		} else {
			assert_int_equal(m.type, MSG_CTL_HEADERS_ANS);
			done++;
		}
		msg_clear(&m);
	}
	chan_free(&c);
}

/*
 * audit.log cut to len bytes, as a crash of the machine can leave it
 * (after it_kill).
 */
static void
cut_log(struct at *t, size_t len)
{
	assert_int_equal(truncate(t->audit, (off_t)len), 0);
}

/*
 * vaultd with these arguments stops at start: exit 1, msg in its log.
 * One that comes up instead (its control socket answers) fails here.
 */
static void
start_refused(struct at *t, const char *a2, const char *a3, const char *msg)
{
	struct it_proc	procs[3];
	pid_t		pid;
	int		status;

	assert_int_equal(it_spawn(&t->it, "-T", a2, a3), 0);
	while ((pid = waitpid(t->it.vaultd, &status, WNOHANG)) == 0) {
		if (it_status(&t->it, procs) == 0)
			fail_msg("vaultd started; it should have stopped with "
			    "\"%s\"", msg);
		it_sleep_ms(20);
	}
	assert_int_equal(pid, t->it.vaultd);
	t->it.vaultd = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	if (!it_log_has(&t->it, msg))
		fail_msg("vaultd's log lacks \"%s\"", msg);
}

/*
 * The message of a start refused on audit.log cut short or changed, the
 * journal's records not fitting it (why) into buf.
 */
static void
unfit_msg(struct at *t, char *buf, size_t size, const char *why)
{
	snprintf(buf, size, "fatal: audit: %s was cut short or changed since "
	    "vaultd wrote it: %s; writing back from %s/audit.wal would not "
	    "make it whole, so vaultd does not start, and has changed neither "
	    "file (put back a whole copy of %s from a backup, then start "
	    "vaultd: see vaultd(8), FILES)\n", t->audit, why, t->it.home,
	    t->audit);
}

/*
 * vaultd started on audit.log as it is now stops with msg (unfit_msg),
 * and leaves audit.log and audit.wal as they were, byte for byte.
 */
static void
start_unfit(struct at *t, const char *msg)
{
	char	 wal[160], *log, *j, *log2, *j2;
	size_t	 len = 0, jlen = 0, len2 = 0, jlen2 = 0;

	snprintf(wal, sizeof(wal), "%s/audit.wal", t->it.home);
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_non_null(j = it_slurp(wal, &jlen));
	start_refused(t, NULL, NULL, msg);
	assert_non_null(log2 = it_slurp(t->audit, &len2));
	assert_non_null(j2 = it_slurp(wal, &jlen2));
	assert_int_equal(len2, len);
	assert_memory_equal(log2, log, len);
	assert_int_equal(jlen2, jlen);
	assert_memory_equal(j2, j, jlen);
	free(log);
	free(log2);
	free(j);
	free(j2);
}

/* Where the last whole line of the first len bytes of b ends. */
static size_t
line_end(const char *b, size_t len)
{
	while (len > 0 && b[len - 1] != '\n')
		len--;
	return len;
}

/*
 * audit.log renamed away, removed, or another file put in its place
 * while vaultd runs: the next record that becomes durable stops vaultd,
 * as a failed write does, before the signature it admits leaves; the
 * records since are saved as audit.log.lost (audit.log.lost.1 when a
 * .lost is there already, which is left alone), whatever other name
 * holds the file: the one it was moved to, or a hard link a backup
 * made, which may be gone by the time the operator looks (as is NFS's
 * .nfsXXXX name of a removed file once vaultd closes it); put back, the
 * log verifies and holds them.  Before, a file that a name still held
 * was not saved, and the log said its records were "in the file it was
 * moved to", where the operator had moved nothing.
 * The same for pipelined requests, synced in groups by the syncer.
 * Before, vaultd went on writing to the file it had open and signing:
 * the records were lost at the next start.
 */
static void
test_log_replaced(void **state)
{
	struct at	*t = *state;
	static const char *why[] = { "removed or renamed", "removed or renamed",
	    "replaced by another file", "removed or renamed" };
	char		 moved[160], lost[160], lost1[160], saved[200];
	char		*was;
	size_t		 waslen = 0;
	char		 want[1024], *log;
	struct chan	 c;
	struct msg	 m;
	size_t		 len = 0;
	int		 kind, n, i, r;

	snprintf(moved, sizeof(moved), "%s.moved", t->audit);
	snprintf(lost, sizeof(lost), "%s.lost", t->audit);
	snprintf(lost1, sizeof(lost1), "%s.lost.1", t->audit);
	signing_account(t);
	for (kind = 0; kind < 4; kind++) {
		assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
		    "GET --path /auth/api-keys"), 0);
		assert_non_null(log = it_slurp(t->audit, &len));
		n = (int)count(log, "	GET	/auth/api-keys	allow	");
		free(log);
		switch (kind) {
		case 0:		/* renamed away */
			assert_int_equal(rename(t->audit, moved), 0);
			break;
		case 1:		/* removed, an older .lost left there */
			it_write(lost, "kept\n", 0600);
			assert_int_equal(unlink(t->audit), 0);
			break;
		case 2:		/* a copy put in its place */
			copy_file(t->audit, moved);
			assert_int_equal(rename(moved, t->audit), 0);
			break;
		case 3:		/* removed, a backup's hard link left */
			assert_int_equal(link(t->audit, moved), 0);
			assert_int_equal(unlink(t->audit), 0);
			break;
		}
		/* its record is written, then vaultd stops: no signature */
		assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
		    "GET --path /auth/api-keys"), 3);
		assert_string_equal(t->out, "vaultctl: headers: vaultd closed "
		    "the connection (see vaultd.log)\n");
		stopped(t);
		snprintf(saved, sizeof(saved), "saved in %s",
		    kind == 1 ? lost1 : lost);
		snprintf(want, sizeof(want), "fatal: audit: %s was %s while "
		    "vaultd ran: vaultd stops, as on a failed write, and "
		    "releases no signature whose record is not in it; its "
		    "records since are %s (put that file back as %s, then "
		    "start vaultd: see vaultd(8), FILES)\n", t->audit,
		    why[kind], saved, t->audit);
		if (!it_log_has(&t->it, want))
			fail_msg("vaultd's log lacks \"%s\"", want);

		/* the operator puts the file back */
		if (kind == 1) {
			assert_non_null(log = it_slurp(lost, &len));
			assert_int_equal(len, 5);
			assert_memory_equal(log, "kept\n", 5);
			free(log);
			assert_int_equal(unlink(lost), 0);
		}
		if (kind == 0 || kind == 3) {
			/* the copy is the file the other name holds */
			assert_non_null(was = it_slurp(moved, &waslen));
			assert_non_null(log = it_slurp(lost, &len));
			assert_int_equal(len, waslen);
			assert_memory_equal(log, was, len);
			free(log);
			free(was);
			assert_int_equal(unlink(moved), 0);
		}
		assert_int_equal(rename(kind == 1 ? lost1 : lost, t->audit),
		    0);
		assert_int_equal(access(lost, F_OK), -1);
		assert_int_equal(access(lost1, F_OK), -1);
		restart_verifies(t, NULL, NULL);
		assert_non_null(log = it_slurp(t->audit, &len));
		assert_int_equal(count(log, "\tGET\t/auth/api-keys\tallow\t"),
		    n + 1);
		free(log);
	}

	/*
	 * Requests pipelined, their records synced by the audit syncer
	 * in groups: the end of the first group after the rename stops
	 * vaultd, and not one of their signatures leaves.
	 */
	assert_int_equal(rename(t->audit, moved), 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	for (i = 0; i < 64; i++)
		headers_queue(&c, (uint32_t)(100 + i));
	assert_int_equal(chan_flush(&c), 0);
	while ((r = chan_recv(&c, &m)) == 0) {
		if (m.type == MSG_CTL_HEADERS_ANS)
			fail_msg("a signature left: request %u", m.id);
		msg_clear(&m);
	}
	assert_int_equal(r, CV_ERR_EOF);
	chan_free(&c);
	stopped(t);
	assert_int_equal(rename(moved, t->audit), 0);
	assert_int_equal(unlink(lost), 0);	/* its copy */
	restart_verifies(t, NULL, NULL);
}

/* vaultd's own test probe kind, sent on the control connection c. */
static void
vaultd_probe(struct chan *c, const char *kind)
{
	struct msg_w	w;
	struct msg	m;

	msg_begin(&w, MSG_CTL_PROBE_REQ, 50);
	msg_put_str(&w, "vaultd");
	msg_put_str(&w, kind);
	assert_int_equal(chan_send(c, &w), 0);
	assert_int_equal(chan_recv(c, &m), 0);
	assert_int_equal(m.type, MSG_CTL_PROBE_ANS);
	msg_clear(&m);
}

/*
 * audit.log renamed away, and the sync of its .lost copy failing (test
 * mode, probe lost-sync-fail, as a failing disk would): the copy is
 * whole, and it stays, the log saying it may not be on the disk yet.
 * Before, a copy whose fsync or directory sync failed was removed as
 * one "failed part way": with no other name holding the file, the only
 * copy of its records.
 */
static void
test_log_lost_unsynced(void **state)
{
	struct at	*t = *state;
	char		 moved[160], lost[160], want[1024];
	char		*was, *log;
	size_t		 waslen = 0, len = 0;
	struct chan	 c;

	snprintf(moved, sizeof(moved), "%s.moved", t->audit);
	snprintf(lost, sizeof(lost), "%s.lost", t->audit);
	signing_account(t);
	assert_int_equal(it_connect(&t->it, &c), 0);
	vaultd_probe(&c, "lost-sync-fail");
	chan_free(&c);
	assert_int_equal(rename(t->audit, moved), 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method GET "
	    "--path /auth/api-keys"), 3);
	stopped(t);
	snprintf(want, sizeof(want), "fatal: audit: %s was removed or renamed "
	    "while vaultd ran: vaultd stops, as on a failed write, and "
	    "releases no signature whose record is not in it; its records "
	    "since are saved in %s, whole but not known to be on the disk "
	    "(sync: Input/output error; copy it elsewhere now) (put that "
	    "file back as %s, then start vaultd: see vaultd(8), FILES)\n",
	    t->audit, lost, t->audit);
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd's log lacks \"%s\"", want);
	assert_non_null(was = it_slurp(moved, &waslen));
	assert_non_null(log = it_slurp(lost, &len));
	assert_int_equal(len, waslen);
	assert_memory_equal(log, was, len);
	free(log);
	free(was);
	assert_int_equal(unlink(moved), 0);
	assert_int_equal(rename(lost, t->audit), 0);
	restart_verifies(t, NULL, NULL);
}

/*
 * audit.log cut short in place while vaultd runs (same file, truncated):
 * the next record that becomes durable stops vaultd before the
 * signature it admits leaves, the log saying so, and what vaultd had
 * written; no .lost copy is made (it would hold nothing more).  With a
 * whole copy put back, the next start writes the record made since
 * back from the journal and the log verifies.  Before, vaultd compared
 * only device and inode, went on appending after the cut and signing:
 * the records cut were lost without a word.  Started again on the file
 * as it is, vaultd stops at once, saying why, both audit.log and the
 * journal as they were: the journal's next record begins where the one
 * appended since the cut ends, but chains to the one cut.  That start
 * used to write it back there, after the wrong record, and move the
 * journal on: the chain was broken, and with the whole copy put back
 * the record was gone.
 */
static void
test_log_cut(void **state)
{
	struct at	*t = *state;
	char		 lost[160], backup[160], want[1024], why[256], *log;
	size_t		 len = 0, cut, now = 0;

	snprintf(lost, sizeof(lost), "%s.lost", t->audit);
	snprintf(backup, sizeof(backup), "%s.backup", t->audit);
	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	cut = line_end(log, len - 1);
	free(log);
	copy_file(t->audit, backup);
	cut_log(t, cut);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 3);
	assert_string_equal(t->out, "vaultctl: headers: vaultd closed "
	    "the connection (see vaultd.log)\n");
	/* what is there: the cut file and the record appended since */
	assert_non_null(log = it_slurp(t->audit, &now));
	free(log);
	assert_true(now > cut && now < len + (now - cut));
	snprintf(want, sizeof(want), "fatal: audit: %s was cut short while "
	    "vaultd ran (%zu bytes, where vaultd had written %zu): vaultd "
	    "stops, as on a failed write, and releases no signature whose "
	    "record is not in it; records it held are gone from it (put back "
	    "a whole copy from a backup before vaultd starts again, then run "
	    "vaultctl audit verify: see vaultd(8), FILES)\n", t->audit, now,
	    len + (now - cut));
	stopped_with(t, want);
	assert_int_equal(access(lost, F_OK), -1);

	/*
	 * Started again on it as it is: the record appended since the cut
	 * (as long as the one cut) ends where the journal's next begins,
	 * which chains to the one cut, not to it.
	 */
	assert_int_equal(now, len);
	snprintf(why, sizeof(why), "the record the journal holds at byte %zu "
	    "does not follow on from its line at bytes %zu to %zu", len, cut,
	    len);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	copy_file(backup, t->audit);
	assert_int_equal(unlink(backup), 0);

	restart_verifies(t, NULL, NULL);
	assert_non_null(log = it_slurp(t->audit, &now));
	assert_int_equal(count(log, "\tGET\t/auth/api-keys\tallow\t"), 2);
	free(log);
}

/*
 * audit.log emptied in place while vaultd runs (": > audit.log"):
 * vaultd stops.  Started again on it, which holds only the record
 * appended since, it stops at once, saying why, both audit.log and the
 * journal as they were: the journal's records begin far past its end.
 * That start used to write nothing back, saying only that records were
 * lost, then went on from that one record and moved the journal on.
 * With the whole copy put back, the record comes back and the log
 * verifies.
 */
static void
test_log_emptied(void **state)
{
	struct at	*t = *state;
	char		 backup[160], want[1024], why[256], *log, *first;
	size_t		 len = 0, now = 0, at;

	snprintf(backup, sizeof(backup), "%s.backup", t->audit);
	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	/* the one signing record: the journal's first */
	assert_int_equal(count(log, "\tsign\t"), 1);
	assert_non_null(first = strstr(log, "\tsign\t"));
	at = line_end(log, (size_t)(first - log));
	free(log);
	copy_file(t->audit, backup);
	cut_log(t, 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 3);
	assert_non_null(log = it_slurp(t->audit, &now));
	assert_int_equal(count(log, "\n"), 1);
	free(log);
	snprintf(want, sizeof(want), "fatal: audit: %s was cut short while "
	    "vaultd ran (%zu bytes, where vaultd had written %zu): ",
	    t->audit, now, len + now);
	stopped_with(t, want);
	assert_true(now < at);

	snprintf(why, sizeof(why), "it ends at byte %zu, where the records "
	    "to write back begin at byte %zu", now, at);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	copy_file(backup, t->audit);
	assert_int_equal(unlink(backup), 0);
	restart_verifies(t, NULL, NULL);
	assert_non_null(log = it_slurp(t->audit, &now));
	assert_int_equal(count(log, "\tGET\t/auth/api-keys\tallow\t"), 2);
	free(log);
}

/*
 * audit.log's path out of vaultd's reach (its directory moved away and a
 * file put in its place: lstat fails with ENOTDIR) and no copy possible
 * there: the log says the records are in the file vaultd had open, which
 * it could not look for, and how to let vaultd reach it again.  It used
 * to say the file was "made unreadable" and its records "in the file it
 * was moved to", whatever the cause.
 */
static void
test_log_unreachable(void **state)
{
	struct at	*t = *state;
	char		 moved[64], want[2048];
	struct chan	 c;
	struct msg	 m;

	snprintf(moved, sizeof(moved), "%s.moved", t->it.home);
	signing_account(t);
	assert_int_equal(it_connect(&t->it, &c), 0);
	assert_int_equal(rename(t->it.home, moved), 0);
	it_write(t->it.home, "not a directory\n", 0600);
	headers_queue(&c, 100);
	assert_int_equal(chan_flush(&c), 0);
	assert_int_equal(chan_recv(&c, &m), CV_ERR_EOF);
	chan_free(&c);
	snprintf(want, sizeof(want), "fatal: audit: %s was out of vaultd's "
	    "reach (lstat: %s) while vaultd ran: vaultd stops, as on a failed "
	    "write, and releases no signature whose record is not in it; its "
	    "records since are in the file vaultd had open, which it could "
	    "not look for at that path, and not saved (cannot create %s.lost: "
	    "%s): let vaultd reach %s again, the file there or put back, then "
	    "start vaultd: see vaultd(8), FILES\n", t->audit,
	    strerror(ENOTDIR), t->audit, strerror(ENOTDIR), t->audit);
	stopped_with(t, want);
	assert_int_equal(unlink(t->it.home), 0);
	assert_int_equal(rename(moved, t->it.home), 0);
	restart_verifies(t, NULL, NULL);
}

/* A home of its own file system, 1 MiB (mounted by the test). */
static int
setup_small_fs(void **state)
{
	static struct at	t;

	it_init(&t.it);
	snprintf(t.pass, sizeof(t.pass), "%s.pass", t.it.home);
	snprintf(t.vault, sizeof(t.vault), "%s/vault", t.it.home);
	snprintf(t.audit, sizeof(t.audit), "%s/audit.log", t.it.home);
	it_write(t.pass, PASSPHRASE "\n", 0600);
	*state = &t;
	return 0;
}

static int
teardown_small_fs(void **state)
{
	struct at	*t = *state;

	if (t->it.vaultd > 0 && it_stop(&t->it, 5000) == -1) {
		kill(t->it.vaultd, SIGKILL);
		waitpid(t->it.vaultd, NULL, 0);
		t->it.vaultd = 0;
	}
	(void)umount2(t->it.home, MNT_DETACH);
	return teardown(state);
}

/*
 * audit.log renamed away on a file system with no room for its copy:
 * the copy that failed part way is removed, not left as if it were the
 * file, and the log says so and where the records are.  Before, the
 * partial audit.log.lost stayed, and the next such stop saved to .lost.1
 * beside it.
 */
static void
test_log_copy_fails(void **state)
{
	struct at	*t = *state;
	char		 moved[160], lost[160], filler[160], want[2048];
	char		 page[4096];
	struct stat	 st;
	int		 again, fd;
	ssize_t		 n;

	if (mount("tmpfs", t->it.home, "tmpfs", 0, "size=1m,mode=0700") != 0)
		skip();
	assert_int_equal(it_start_args(&t->it, "-T", "-J", JOURNAL_MIN), 0);
	assert_int_equal(CTL(t, NULL, "init --passphrase-file %s --kdf min",
	    t->pass), 0);
	signing_account(t);
	piped(t, 200, 32, &again);
	assert_int_equal(stat(t->audit, &st), 0);
	assert_true(st.st_size > 8 * 4096);

	/* the file system full but for two pages */
	snprintf(filler, sizeof(filler), "%s/filler", t->it.home);
	assert_true((fd = open(filler, O_WRONLY | O_CREAT, 0600)) != -1);
	memset(page, 'x', sizeof(page));
	while ((n = write(fd, page, sizeof(page))) == (ssize_t)sizeof(page))
		;
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(ftruncate(fd, st.st_size - 2 * 4096), 0);
	close(fd);

	snprintf(moved, sizeof(moved), "%s.moved", t->audit);
	snprintf(lost, sizeof(lost), "%s.lost", t->audit);
	assert_int_equal(rename(t->audit, moved), 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 3);
	snprintf(want, sizeof(want), "fatal: audit: %s was removed or renamed "
	    "while vaultd ran: vaultd stops, as on a failed write, and "
	    "releases no signature whose record is not in it; its records "
	    "since are in the file it was moved to, not saved (the copy to %s "
	    "failed part way and was removed): put that file back as %s, then "
	    "start vaultd: see vaultd(8), FILES\n", t->audit, lost, t->audit);
	/* the connection closed as vaultd exited: the copy is over */
	assert_int_equal(access(lost, F_OK), -1);
	stopped_with(t, want);

	/* room again, the file put back: it verifies */
	assert_int_equal(unlink(filler), 0);
	assert_int_equal(rename(moved, t->audit), 0);
	restart_verifies(t, "-J", JOURNAL_MIN);
}

/*
 * vaultctl audit mode: durable at start; relaxed with a group period;
 * each switch a synced record; signatures made relaxed are all on the
 * log after vaultd is killed (written before they left); and the next
 * vaultd starts durable.
 */
static void
test_modes(void **state)
{
	struct at	*t = *state;
	char		*log;
	size_t		 len = 0;
	int		 again, i;

	signing_account(t);
	assert_int_equal(CTL(t, NULL, "audit mode"), 0);
	assert_string_equal(t->out, "durable: every record synced before its "
	    "signature leaves vaultd\n");
	assert_int_equal(CTL(t, NULL, "--json audit mode relaxed --group-ms "
	    "20"), 0);
	assert_out(t, "\"mode\": \"relaxed\"");
	assert_out(t, "\"group_ms\": 20");
	assert_int_equal(CTL(t, NULL, "audit mode"), 0);
	assert_string_equal(t->out, "relaxed: records written before each "
	    "signature leaves vaultd, synced every 20 ms at most\n");
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_int_equal(count(log, "\t-\taudit_mode\t-\t-\trelaxed\t"
	    "group_ms=20\t"), 1);
	free(log);

	/* bad requests change nothing */
	assert_int_equal(CTL(t, NULL, "audit mode fast"), 2);
	assert_int_equal(CTL(t, NULL, "audit mode durable --group-ms 5"), 2);
	assert_int_equal(CTL(t, NULL, "audit mode relaxed --group-ms 0"), 2);
	assert_int_equal(CTL(t, NULL, "audit mode relaxed --group-ms 1001"),
	    2);
	assert_int_equal(CTL(t, NULL, "audit mode relaxed extra"), 2);

	/* a malformed request: the client dropped and audited, no switch */
	{
		struct chan	c;
		struct msg_w	w;
		struct msg	m;
		static const char *bad[] = { "relaxed!!", NULL };
		int		k;

		for (k = 0; k < 2; k++) {
			assert_int_equal(it_connect(&t->it, &c), 0);
			msg_begin(&w, MSG_CTL_AUDIT_MODE_REQ, 7);
			if (bad[k] != NULL)	/* longer than a mode */
				msg_put_str(&w, bad[k]);
			else			/* a number for the mode */
				msg_put_u64(&w, 1);
			msg_put_u64(&w, 5);
			assert_int_equal(chan_send(&c, &w), 0);
			assert_int_equal(chan_recv(&c, &m), CV_ERR_EOF);
			chan_free(&c);
		}
		/* an answer after them: their records are written */
		assert_int_equal(CTL(t, NULL, "audit mode"), 0);
		assert_string_equal(t->out, "relaxed: records written before "
		    "each signature leaves vaultd, synced every 20 ms at "
		    "most\n");
		assert_non_null(log = it_slurp(t->audit, &len));
		assert_int_equal(count(log, "\tpeer_refused\t-\t-\tdropped\t"),
		    2);
		free(log);
		/* refused by the message's shape in the protocol list */
		assert_true(it_log_has(&t->it, "control client sent a "
		    "malformed message: message field too long"));
		assert_true(it_log_has(&t->it, "control client sent a "
		    "malformed message: message field of wrong type"));
	}

	piped(t, 400, 32, &again);
	assert_int_equal(again, 0);
	/* killed at once: every record was written before its signature */
	it_kill(&t->it);
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_int_equal(count(log, "\tA\tsign\tGET\t/auth/api-keys\tallow\t"),
	    400);
	free(log);

	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_int_equal(CTL(t, NULL, "audit mode"), 0);
	assert_string_equal(t->out, "durable: every record synced before its "
	    "signature leaves vaultd\n");
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "audit mode relaxed"), 0);
	assert_int_equal(CTL(t, NULL, "audit mode durable"), 0);
	piped(t, 100, 8, &again);
	assert_int_equal(again, 0);
	/*
	 * 100 in one write and nothing after until every answer is back:
	 * vaultd handles a few a turn and the rest in the turns after,
	 * with no more input to wake it.
	 */
	piped(t, 100, 100, &again);
	assert_int_equal(again, 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_int_equal(count(log, "\t-\taudit_mode\t-\t-\trelaxed\t"
	    "group_ms=5\t"), 1);
	assert_int_equal(count(log, "\t-\taudit_mode\t-\t-\tdurable\t"), 1);
	assert_int_equal(count(log, "\tA\tsign\tGET\t/auth/api-keys\tallow\t"),
	    600);
	free(log);
	for (i = 0; i < 50; i++) {
		if (CTL(t, NULL, "audit verify") == 0)
			break;
		it_sleep_ms(100);
	}
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
}

static int
setup_journal(void **state)
{
	return setup_args(state, "-J", JOURNAL_MIN);
}

/*
 * vaultd started on audit.log cut 1000 bytes short of whole (len bytes)
 * writes them back from the journal, saying so: the file begins whole.
 */
static void
written_back(struct at *t, const char *whole, size_t len)
{
	char	 msg[512], *log;
	size_t	 len2 = 0;

	assert_int_equal(it_start_args(&t->it, "-T", "-J", JOURNAL_MIN), 0);
	snprintf(msg, sizeof(msg), "%s: 1000 bytes written back from "
	    "%s/audit.wal (records a crash of the machine had kept from the "
	    "disk)", t->audit, t->it.home);
	assert_true(it_log_has(&t->it, msg));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= len);
	assert_memory_equal(log, whole, len);
	free(log);
}

/*
 * The audit journal.  A crash of the machine, made here by cutting
 * audit.log after vaultd was killed, loses no signing record: the next
 * vaultd writes the lost bytes back from audit.wal, byte for byte, after
 * 1,500 records went round a journal of 64 KiB several times.  That
 * start moves the journal to a new epoch: cut audit.log again and
 * nothing comes back (the frames are stale); the torn line is cut.
 */
static void
test_journal(void **state)
{
	struct at	*t = *state;
	char		 msg[512], *whole, *log, *last;
	size_t		 len = 0, len2 = 0, cut;
	int		 again;

	signing_account(t);
	piped(t, 1500, 32, &again);
	assert_int_equal(again, 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	assert_true(len > 1500 * 150);
	/* what goes is signing records, which only the journal has on disk */
	last = whole + line_end(whole, len - 1000);
	assert_int_equal(count(last, "\tA\tsign\tGET\t/auth/api-keys\tallow\t"),
	    count(last, "\n"));
	cut = len - 1000;
	cut_log(t, cut);
	written_back(t, whole, len);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);

	/* a clean stop: audit.log is whole on disk; the frames are stale */
	assert_int_equal(it_stop(&t->it, 3000), 0);
	cut_log(t, cut);
	assert_int_equal(it_start_args(&t->it, "-T", "-J", JOURNAL_MIN), 0);
	snprintf(msg, sizeof(msg), "%s: cutting %zu bytes of a line torn by "
	    "a crash", t->audit, cut - line_end(whole, cut));
	assert_true(it_log_has(&t->it, msg));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= line_end(whole, cut));
	assert_memory_equal(log, whole, line_end(whole, cut));
	assert_int_equal(count(log, "written back from"), 0);
	free(log);
	free(whole);
}

/*
 * One vaultd a home.  A second one started on it while the first signs
 * stops at once, saying why, and touches nothing: it used to open the
 * audit log first and move the journal to a new epoch, so that after a
 * crash of the machine the running vaultd's frames were stale and the
 * records only they held were lost.  Here the crash after the second
 * start still brings back every byte.
 */
static void
test_second_vaultd(void **state)
{
	struct at	*t = *state;
	char		 cmd[512], out[1024], want[512], *whole;
	size_t		 len = 0;
	int		 again;

	signing_account(t);
	piped(t, 20, 8, &again);
	assert_int_equal(again, 0);
	snprintf(cmd, sizeof(cmd), "'%s/vaultd' -f -T -J %s 2>&1",
	    t->it.build, JOURNAL_MIN);
	assert_int_equal(it_run(out, sizeof(out), cmd), 1);
	snprintf(want, sizeof(want), "fatal: another vaultd is already "
	    "running with the home %s\n", t->it.home);
	assert_non_null(strstr(out, want));
	assert_null(strstr(out, "audit"));
	piped(t, 50, 8, &again);
	assert_int_equal(again, 0);

	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	cut_log(t, len - 1000);
	written_back(t, whole, len);
	free(whole);
}

/*
 * A journal vaultd must not trust: a frame changed by one byte is not
 * written back (the torn line is cut instead); a journal open to others,
 * a symbolic link, one whose header is not one: vaultd does not start,
 * and says why.
 */
static void
test_journal_refused(void **state)
{
	struct at	*t = *state;
	char		 wal[160], msg[512], *whole, *j, *log, *p;
	size_t		 len = 0, jlen = 0, len2 = 0, cut;
	FILE		*f;
	int		 again;

	snprintf(wal, sizeof(wal), "%s/audit.wal", t->it.home);
	signing_account(t);
	piped(t, 50, 8, &again);
	assert_int_equal(again, 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	/* 100 bytes into the last record */
	cut = line_end(whole, len - 1) + 100;
	cut_log(t, cut);
	/* its frame changed by one byte */
	assert_non_null(j = it_slurp(wal, &jlen));
	assert_non_null(p = memmem(j, jlen, whole + cut - 100, 60));
	assert_non_null(f = fopen(wal, "r+"));
	assert_int_equal(fseek(f, (long)(p - j) + 2, SEEK_SET), 0);
	assert_int_equal(fputc(p[2] ^ 0x01, f), p[2] ^ 0x01);
	fclose(f);
	free(j);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	assert_false(it_log_has(&t->it, "written back from"));
	snprintf(msg, sizeof(msg), "%s: cutting 100 bytes of a line torn by "
	    "a crash", t->audit);
	assert_true(it_log_has(&t->it, msg));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_memory_equal(log, whole, cut - 100);
	free(log);
	free(whole);
	assert_int_equal(it_stop(&t->it, 3000), 0);

	assert_int_equal(chmod(wal, 0640), 0);
	snprintf(msg, sizeof(msg), "%s must be a regular file of ours, closed "
	    "to others (fix it with: chmod 600 %s)", wal, wal);
	start_refused(t, NULL, NULL, msg);
	assert_int_equal(chmod(wal, 0600), 0);

	snprintf(msg, sizeof(msg), "%s.real", wal);
	assert_int_equal(rename(wal, msg), 0);
	assert_int_equal(symlink(msg, wal), 0);
	snprintf(msg, sizeof(msg), "open %s: Too many levels of symbolic "
	    "links", wal);
	start_refused(t, NULL, NULL, msg);
	assert_int_equal(unlink(wal), 0);
	snprintf(msg, sizeof(msg), "%s.real", wal);
	assert_int_equal(rename(msg, wal), 0);

	assert_non_null(f = fopen(wal, "r+"));
	assert_true(fputs("not a journal header", f) >= 0);
	assert_int_equal(fseek(f, 2048, SEEK_SET), 0);
	assert_true(fputs("nor this", f) >= 0);
	fclose(f);
	snprintf(msg, sizeof(msg), "%s has no valid header: vaultd cannot "
	    "tell what it holds (if vaultctl audit verify finds audit.log "
	    "whole, move %s aside)", wal, wal);
	start_refused(t, NULL, NULL, msg);
}

/*
 * audit.log cut, or changed, where the journal's records go on after a
 * crash (vaultd killed): a signing record, a vault write's lifecycle
 * records, one more signing record.  Cut inside the first, the journal
 * would write it back and then could not go on (the lifecycle records
 * are not in it); cut inside the last, with a byte of what is left of
 * it changed, the journal's bytes would overwrite bytes they are not.
 * vaultd stops at start both times, saying why, both files as they
 * were; that start used to write back the first record and go on with
 * the lifecycle records lost, or write over the changed byte.  Cut
 * inside the last with nothing changed, the start writes it back.
 */
static void
test_journal_unfit(void **state)
{
	struct at	*t = *state;
	char		 want[1024], why[256], *whole, *p, *log;
	size_t		 len = 0, len2 = 0, a, b, c;
	FILE		*f;

	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_int_equal(CTL(t, NULL, "account add B --profile openfish"), 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	/* the first signing record [a, b), the last [c, len) */
	assert_int_equal(count(whole, "\tsign\t"), 2);
	assert_non_null(p = strstr(whole, "\tsign\t"));
	a = line_end(whole, (size_t)(p - whole));
	b = a + (size_t)(strchr(whole + a, '\n') - (whole + a)) + 1;
	c = line_end(whole, len - 1);
	assert_true(c > b);
	assert_non_null(strstr(whole + c, "\tsign\t"));

	cut_log(t, a + 100);
	snprintf(why, sizeof(why), "the records to write back stop at byte "
	    "%zu and go on only from byte %zu", b, c);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* whole to inside the last record, a byte of that changed */
	assert_non_null(f = fopen(t->audit, "w"));
	assert_int_equal(fwrite(whole, 1, c + 100, f), c + 100);
	assert_int_equal(fclose(f), 0);
	assert_non_null(f = fopen(t->audit, "r+"));
	assert_int_equal(fseek(f, (long)c + 50, SEEK_SET), 0);
	assert_int_equal(fputc(whole[c + 50] ^ 0x01, f), whole[c + 50] ^ 0x01);
	assert_int_equal(fclose(f), 0);
	snprintf(why, sizeof(why), "its bytes %zu to %zu are not the ones the "
	    "journal holds there", c, c + 100);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* the byte as it was: a crash's cut, written back */
	assert_non_null(f = fopen(t->audit, "r+"));
	assert_int_equal(fseek(f, (long)c + 50, SEEK_SET), 0);
	assert_int_equal(fputc(whole[c + 50], f), whole[c + 50]);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	snprintf(want, sizeof(want), "%s: %zu bytes written back from "
	    "%s/audit.wal (records a crash of the machine had kept from the "
	    "disk)", t->audit, len - c - 100, t->it.home);
	assert_true(it_log_has(&t->it, want));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= len);
	assert_memory_equal(log, whole, len);
	free(log);
	free(whole);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/* audit.log as whole's first from bytes, then zeros up to size bytes. */
static void
zero_tail(struct at *t, const char *whole, size_t from, size_t size)
{
	static const char	zero[4096];
	size_t			n;
	FILE			*f;

	assert_non_null(f = fopen(t->audit, "w"));
	assert_int_equal(fwrite(whole, 1, from, f), from);
	for (; from < size; from += n) {
		n = size - from < sizeof(zero) ? size - from : sizeof(zero);
		assert_int_equal(fwrite(zero, 1, n, f), n);
	}
	assert_int_equal(fclose(f), 0);
}

/*
 * A crash of the machine can leave the last bytes of audit.log zeros,
 * its new size on disk but not its data (ext4 data=writeback, XFS),
 * only past what was synced.  There the start takes them for the log's
 * end: the frames are written back over them, the zeros past the
 * frames cut, saying how many zero bytes went, and the log verifies.
 * Zeros from inside a lifecycle record (fsync'd at once) or before one
 * (its fsync covered them) stop the start as a log cut there would,
 * both files as they were.  Such zeros used to be taken for a line torn
 * by a crash and cut, with the synced records in them.
 */
static void
test_log_zero_tail(void **state)
{
	struct at	*t = *state;
	char		 want[1024], why[512], *whole, *p, *log;
	size_t		 len = 0, len2 = 0, a, b, c;

	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_int_equal(CTL(t, NULL, "account add B --profile openfish"), 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	/* the first signing record [a, b), the last [c, len) */
	assert_int_equal(count(whole, "\tsign\t"), 2);
	assert_non_null(p = strstr(whole, "\tsign\t"));
	a = line_end(whole, (size_t)(p - whole));
	b = a + (size_t)(strchr(whole + a, '\n') - (whole + a)) + 1;
	c = line_end(whole, len - 1);
	assert_true(c > b);
	assert_non_null(strstr(whole + c, "\tsign\t"));

	/* zeros from inside the lifecycle records [b, c), synced */
	zero_tail(t, whole, b + 10, len);
	snprintf(why, sizeof(why), "it ends at byte %zu, where the records to "
	    "write back begin at byte %zu (its bytes %zu to %zu are zeros, "
	    "taken for its end: a crash leaves zeros only past what was "
	    "synced)", b + 10, c, b + 10, len);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* from inside the first signing record, synced with them */
	zero_tail(t, whole, a + 100, len);
	snprintf(why, sizeof(why), "the records to write back stop at byte "
	    "%zu and go on only from byte %zu (its bytes %zu to %zu are "
	    "zeros, taken for its end: a crash leaves zeros only past what "
	    "was synced)", b, c, a + 100, len);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* from inside the last, only in the journal, and 300 bytes on */
	zero_tail(t, whole, c + 100, len + 300);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	snprintf(want, sizeof(want), "warning: %s: its last %zu bytes, from "
	    "byte %zu, were zeros, past what was synced (a crash of the "
	    "machine had written its size, not its data): dropped\n",
	    t->audit, len + 300 - (c + 100), c + 100);
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd's log lacks \"%s\"", want);
	snprintf(want, sizeof(want), "%s: %zu bytes written back from "
	    "%s/audit.wal (records a crash of the machine had kept from the "
	    "disk)", t->audit, len - c - 100, t->it.home);
	assert_true(it_log_has(&t->it, want));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= len);
	assert_memory_equal(log, whole, len);
	assert_null(memchr(log, '\0', len2));
	free(log);
	free(whole);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/* How far the journal's sync note says audit.log was on disk. */
static size_t
journal_noted(struct at *t)
{
	char		 wal[160], *j;
	size_t		 len = 0;
	uint64_t	 size, synced = 0;
	uint32_t	 e0, e1, e;

	snprintf(wal, sizeof(wal), "%s/audit.wal", t->it.home);
	assert_non_null(j = it_slurp(wal, &len));
	assert_true(len > JOURNAL_DATA_START);
	e0 = journal_header_read((uint8_t *)j, &size);
	e1 = journal_header_read((uint8_t *)j + JOURNAL_HDR_SLOT, &size);
	e = e1 > e0 ? e1 : e0;
	assert_int_equal(journal_note_read((uint8_t *)j + (e % 2) *
	    JOURNAL_HDR_SLOT + JOURNAL_NOTE_AT, e, 0, &synced), 1);
	free(j);
	return (size_t)synced;
}

/*
 * Zeros over the last record, a lifecycle record no frame follows: it
 * was fsync'd before anything it admits, and the journal's note of that
 * fsync says so.  The start stops, both files as they were.  Such zeros
 * used to be dropped with the warning, as a crash's: only a frame noted
 * what was synced, and none came after that record.
 */
static void
test_log_zero_synced(void **state)
{
	struct at	*t = *state;
	char		 want[1024], why[512], *whole;
	size_t		 len = 0, c, m;

	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_int_equal(CTL(t, NULL, "account add B --profile openfish"), 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	/* the last record the note says was synced (its checkpoint may not) */
	m = journal_noted(t);
	assert_true(m <= len && m > 0 && whole[m - 1] == '\n');
	c = line_end(whole, m - 1);
	assert_null(strstr(whole + c, "\tsign\t"));

	zero_tail(t, whole, c + 10, len);
	snprintf(why, sizeof(why), "it ends at byte %zu, where the journal "
	    "notes it was on disk up to byte %zu (its bytes %zu to %zu are "
	    "zeros, taken for its end: a crash leaves zeros only past what "
	    "was synced)", c + 10, m, c + 10, len);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* put back whole, it starts */
	zero_tail(t, whole, len, len);
	free(whole);
	restart_verifies(t, NULL, NULL);
}

/* audit.log as whole (len bytes), its bytes from to to zeros. */
static void
zero_run(struct at *t, const char *whole, size_t len, size_t from, size_t to)
{
	char	*b;
	FILE	*f;

	assert_non_null(b = malloc(len));
	memcpy(b, whole, len);
	memset(b + from, 0, to - from);
	assert_non_null(f = fopen(t->audit, "w"));
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(b);
}

/*
 * Zeros followed by bytes that are not: a crash of the machine can leave
 * a later block of a write on disk and not an earlier one (delayed
 * allocation).  Past what was synced, the log is taken to end at the
 * first zero: the frames are written back from there and the log is
 * whole again.  Inside what was synced (a lifecycle record's bytes), the
 * start stops, both files as they were.  Such zeros used to pass the
 * start unseen, left to the unlock's check and vaultctl audit verify.
 */
static void
test_log_zero_run(void **state)
{
	struct at	*t = *state;
	char		 want[1024], why[512], *whole, *p, *log;
	size_t		 len = 0, len2 = 0, a, b, c;

	signing_account(t);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	assert_int_equal(CTL(t, NULL, "account add B --profile openfish"), 0);
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	/* the first signing record [a, b), the last [c, len) */
	assert_non_null(p = strstr(whole, "\tsign\t"));
	a = line_end(whole, (size_t)(p - whole));
	b = a + (size_t)(strchr(whole + a, '\n') - (whole + a)) + 1;
	c = line_end(whole, len - 1);
	assert_true(c > b + 60 && len > c + 200);

	/* zeros inside the lifecycle records [b, c), synced, bytes after */
	zero_run(t, whole, len, b + 10, b + 50);
	snprintf(why, sizeof(why), "it ends at byte %zu, where the records to "
	    "write back begin at byte %zu (its byte %zu is a zero, and its "
	    "bytes from there to %zu are taken for torn: a crash leaves zeros "
	    "only past what was synced)", b + 10, c, b + 10, len);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	/* inside the last signing record, only in the journal */
	zero_run(t, whole, len, c + 100, c + 150);
	assert_int_equal(it_start_args(&t->it, "-T", NULL, NULL), 0);
	snprintf(want, sizeof(want), "warning: %s: its last %zu bytes, from "
	    "byte %zu, a zero, were past what was synced (a crash of the "
	    "machine had written later blocks, not that one): dropped\n",
	    t->audit, len - (c + 100), c + 100);
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd's log lacks \"%s\"", want);
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= len);
	assert_memory_equal(log, whole, len);
	assert_null(memchr(log, '\0', len2));
	free(log);
	free(whole);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

static int
setup_seg1(void **state)
{
	return setup_args(state, "-S", "1");
}

/*
 * The highest segment of the log into seg (size bytes), and how many
 * lines all its segments hold.
 */
static size_t
segment_lines(struct at *t, char *seg, size_t size)
{
	char	 path[160], *b;
	size_t	 n = 0, len;
	int	 i;

	seg[0] = '\0';
	for (i = 1; ; i++) {
		snprintf(path, sizeof(path), "%s.%06d", t->audit, i);
		if ((b = it_slurp(path, &len)) == NULL)
			break;
		n += count(b, "\n");
		free(b);
		snprintf(seg, size, "%s", path);
	}
	return n;
}

/*
 * Zeros in the last segment, in the line before its last: a segment was
 * synced whole before the log went on past it, so no crash leaves them.
 * The start stops, saying which byte and how to recover, and changes
 * nothing (the segment, audit.log, the journal).  Such zeros used to pass
 * the start unread, audit.log being whole.
 */
static void
test_segment_zeros(void **state)
{
	struct at	*t = *state;
	char		 seg[160], want[1024], wal[160], *sw, *z, *log, *j;
	char		*s2, *log2, *j2;
	size_t		 slen = 0, last, len = 0, jlen = 0, n = 0;
	FILE		*f;

	snprintf(wal, sizeof(wal), "%s/audit.wal", t->it.home);
	signing_account(t);
	while (segment_lines(t, seg, sizeof(seg)) == 0)
		it_sleep_ms(20);
	assert_int_equal(it_stop(&t->it, 3000), 0);
	(void)segment_lines(t, seg, sizeof(seg));	/* the last, stopped */
	assert_non_null(sw = it_slurp(seg, &slen));
	last = line_end(sw, slen - 1);
	assert_true(last > 50);
	assert_non_null(z = malloc(slen));
	memcpy(z, sw, slen);
	memset(z + last - 50, 0, 40);
	assert_non_null(f = fopen(seg, "w"));
	assert_int_equal(fwrite(z, 1, slen, f), slen);
	assert_int_equal(fclose(f), 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	assert_non_null(j = it_slurp(wal, &jlen));

	snprintf(want, sizeof(want), "fatal: %s: its byte %zu is a zero: a "
	    "segment was synced whole before the log went on past it, so no "
	    "crash leaves one there; vaultd does not start, and has changed "
	    "nothing (put back a whole copy of %s from a backup, then start "
	    "vaultd: see vaultd(8), FILES)\n", seg, last - 50, seg);
	start_refused(t, "-S", "1", want);
	assert_non_null(s2 = it_slurp(seg, &n));
	assert_int_equal(n, slen);
	assert_memory_equal(s2, z, slen);
	free(s2);
	assert_non_null(log2 = it_slurp(t->audit, &n));
	assert_int_equal(n, len);
	assert_memory_equal(log2, log, len);
	free(log2);
	assert_non_null(j2 = it_slurp(wal, &n));
	assert_int_equal(n, jlen);
	assert_memory_equal(j2, j, jlen);
	free(j2);
	free(log);
	free(j);

	/* the segment put back whole, it starts */
	assert_non_null(f = fopen(seg, "w"));
	assert_int_equal(fwrite(sw, 1, slen, f), slen);
	assert_int_equal(fclose(f), 0);
	free(sw);
	free(z);
	restart_verifies(t, "-S", "1");
}

/*
 * A signing record at byte 0 of audit.log, the first after a rotation,
 * chains to the last line of the last segment.  audit.log cut inside
 * it after a crash (vaultd killed), with that segment's last line
 * changed by a byte: vaultd stops at start, saying why, both files as
 * they were; that start used to write it back after a line it does not
 * follow.  The segment as it was, the start writes it back.
 */
static void
test_journal_segment(void **state)
{
	struct at	*t = *state;
	char		 seg[160], want[1024], why[256], *whole, *sw, *log;
	size_t		 len = 0, slen = 0, len2 = 0, last;
	uint64_t	 anchor;
	struct stat	 st;
	FILE		*f;

	signing_account(t);
	/* every record signed, the log rotated after the last checkpoint */
	for (;;) {
		assert_int_equal(CTL(t, NULL, "audit anchor"), 0);
		assert_int_equal(strncmp(t->out, "audit anchor: ", 14), 0);
		anchor = strtoull(t->out + 14, NULL, 10);
		if (segment_lines(t, seg, sizeof(seg)) == anchor &&
		    stat(t->audit, &st) == 0 && st.st_size == 0)
			break;
		it_sleep_ms(20);
	}
	assert_int_equal(CTL(t, NULL, "headers l2 --account A --method "
	    "GET --path /auth/api-keys"), 0);
	it_kill(&t->it);
	assert_non_null(whole = it_slurp(t->audit, &len));
	assert_int_equal(count(whole, "\n"), 1);
	assert_non_null(strstr(whole, "\tsign\t"));
	assert_non_null(sw = it_slurp(seg, &slen));
	last = line_end(sw, slen - 1);

	cut_log(t, 100);
	assert_non_null(f = fopen(seg, "r+"));
	assert_int_equal(fseek(f, (long)last + 1, SEEK_SET), 0);
	assert_int_equal(fputc(sw[last + 1] ^ 0x01, f), sw[last + 1] ^ 0x01);
	assert_int_equal(fclose(f), 0);
	snprintf(why, sizeof(why), "the record the journal holds at byte 0 "
	    "does not follow on from the last line of %s", seg);
	unfit_msg(t, want, sizeof(want), why);
	start_unfit(t, want);

	assert_non_null(f = fopen(seg, "r+"));
	assert_int_equal(fseek(f, (long)last + 1, SEEK_SET), 0);
	assert_int_equal(fputc(sw[last + 1], f), sw[last + 1]);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(it_start_args(&t->it, "-T", "-S", "1"), 0);
	snprintf(want, sizeof(want), "%s: %zu bytes written back from "
	    "%s/audit.wal (records a crash of the machine had kept from the "
	    "disk)", t->audit, len - 100, t->it.home);
	assert_true(it_log_has(&t->it, want));
	assert_non_null(log = it_slurp(t->audit, &len2));
	assert_true(len2 >= len);
	assert_memory_equal(log, whole, len);
	free(log);
	free(sw);
	free(whole);
	assert_int_equal(CTL(t, NULL, "unlock --passphrase-file %s", t->pass),
	    0);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/*
 * The sign records in audit.log past byte from whose actor starts with
 * actor and whose verdict is verdict: how many, the last into *rec.
 */
static int
sign_recs(struct at *t, size_t from, const char *actor, const char *verdict,
    struct audit_rec *rec)
{
	struct audit_rec one;
	char		*log, *p, *nl;
	size_t		 len = 0;
	int		 n = 0;

	assert_non_null(log = it_slurp(t->audit, &len));
	assert_true(from <= len);
	for (p = log + from; (nl = memchr(p, '\n', len - (size_t)(p - log)))
	    != NULL; p = nl + 1) {
		assert_int_equal(audit_record_parse(p, (size_t)(nl - p + 1),
		    &one), 0);
		if (strcmp(one.op, "sign") == 0 &&
		    strncmp(one.actor, actor, strlen(actor)) == 0 &&
		    strcmp(one.verdict, verdict) == 0) {
			*rec = one;
			n++;
		}
	}
	free(log);
	return n;
}

/* The withheld record w is the one of the verdict a that admitted it. */
static void
assert_withheld_of(const struct audit_rec *w, const struct audit_rec *a)
{
	assert_string_equal(w->actor, "vaultd");
	assert_string_equal(w->account, "A");
	assert_string_equal(w->op, "sign");
	assert_string_equal(w->method, "GET");
	assert_string_equal(w->path, "/auth/api-keys");
	assert_string_equal(w->verdict, "withheld");
	assert_string_equal(w->method, a->method);
	assert_string_equal(w->path, a->path);
	assert_string_equal(w->digest, a->digest);
	assert_string_equal(w->key_id, a->key_id);
	assert_true(w->seq > a->seq);
}

/*
 * A control client's signature it never got: the client gone while
 * signerd signed (held still), or its answer not queued (test probe
 * queue-fail, as a queue that cannot take it).  Each is on the log as
 * withheld, actor vaultd, with the method, path, digest and rule of the
 * allow record that admitted it.  The second used to leave no record:
 * the client was closed and the signature counted as handed over.
 */
static void
test_ctl_withheld(void **state)
{
	struct at	*t = *state;
	struct audit_rec allow, withheld;
	struct it_proc	 procs[3], again[3];
	struct chan	 c;
	struct msg	 m;
	size_t		 from, len = 0;
	int64_t		 start;
	char		*log;

	signing_account(t);
	assert_non_null(log = it_slurp(t->audit, &len));
	free(log);
	from = len;

	/* the client gone while signerd signs */
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGSTOP), 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	headers_queue(&c, 100);
	assert_int_equal(chan_flush(&c), 0);
	for (start = it_ms(); sign_recs(t, from, "vaultctl:", "allow",
	    &allow) == 0; it_sleep_ms(20))
		if (it_ms() - start > 10000) {
			kill((pid_t)procs[1].pid, SIGCONT);
			fail_msg("no allow record");
		}
	chan_free(&c);
	/* a round trip after the close: vaultd has seen it */
	assert_int_equal(it_status(&t->it, again), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGCONT), 0);
	for (start = it_ms(); sign_recs(t, from, "vaultd", "withheld",
	    &withheld) == 0; it_sleep_ms(20))
		assert_true(it_ms() - start < 10000);
	assert_withheld_of(&withheld, &allow);

	/* its answer not queued: the client closed, nothing answered */
	assert_int_equal(it_connect(&t->it, &c), 0);
	vaultd_probe(&c, "queue-fail");
	headers_queue(&c, 101);
	assert_int_equal(chan_flush(&c), 0);
	assert_int_equal(chan_recv(&c, &m), CV_ERR_EOF);
	chan_free(&c);
	assert_int_equal(sign_recs(t, from, "vaultctl:", "allow", &allow), 2);
	for (start = it_ms(); sign_recs(t, from, "vaultd", "withheld",
	    &withheld) < 2; it_sleep_ms(20))
		assert_true(it_ms() - start < 10000);
	assert_int_equal(sign_recs(t, from, "vaultd", "withheld", &withheld),
	    2);
	assert_withheld_of(&withheld, &allow);
	if (CTL(t, NULL, "audit verify") != 0)
		fail_msg("%s", t->out);
}

/*
 * Signing goes on while a checkpoint is signed: vault writes (each a
 * lifecycle record, each forcing a checkpoint) run beside a pipelined
 * run, and no signing request is answered "again"; the records made
 * meanwhile follow the checkpoint on the chain.
 */
static void
test_checkpoint_no_again(void **state)
{
	struct at	*t = *state;
	struct audit_rec r;
	char		 cmd[600], *log, *p, *nl;
	size_t		 len = 0, ckpts = 0, after = 0;
	pid_t		 pid;
	int		 again, status, seen_ckpt = 0;

	signing_account(t);
	snprintf(cmd, sizeof(cmd), "for j in 1 2 3 4 5 6 7 8; do echo C$j | "
	    "%s/vaultctl invite set --account A || exit 1; done >/dev/null",
	    t->it.build);
	if ((pid = fork()) == 0)
		_exit(system(cmd) == 0 ? 0 : 1);
	piped(t, 6000, 240, &again);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(again, 0);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	assert_non_null(log = it_slurp(t->audit, &len));
	for (p = log; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		assert_int_equal(audit_record_parse(p, (size_t)(nl - p) + 1,
		    &r), 0);
		if (audit_rec_is_checkpoint(&r)) {
			ckpts++;
			seen_ckpt = 1;
		} else if (seen_ckpt && strcmp(r.op, "sign") == 0)
			after++;
	}
	/* 8 writes: their checkpoints came while signatures were made */
	assert_true(ckpts >= 8);
	assert_true(after > 0);
	assert_int_equal(count(log, "\tA\tsign\tGET\t/auth/api-keys\tallow\t"),
	    6000);
	free(log);
}

/* A filtered audit show of the op "init", asked on c as id. */
static void
send_show_init(struct chan *c, uint32_t id)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_AUDIT_SHOW_REQ, id);
	msg_put_u64(&w, 5);
	msg_put_str(&w, "");
	msg_put_str(&w, "");
	msg_put_str(&w, "init");
	msg_put_str(&w, "");
	msg_put_u64(&w, 0);
	msg_put_u64(&w, 0);
	msg_put_str(&w, "");
	assert_int_equal(chan_send(c, &w), 0);
}

static int
readable(struct chan *c)
{
	struct pollfd	pfd = { c->fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * audit verify and a filtered audit show read the whole log in vaultd's
 * scanner thread, not in its loop: a segment of 64 MiB of empty lines,
 * each read and tried by the filter, makes a show's scan last seconds
 * (on a disk or in memory alike), and meanwhile a status asked 300 ms
 * after it is answered first, and a second scan is told to retry.  The
 * show then finds the two init records; with the segment gone, verify
 * passes.
 */
static void
test_scan_off_loop(void **state)
{
	struct at	*t = *state;
	struct it_proc	 procs[3];
	struct chan	 a, c;
	struct msg_w	 w;
	struct msg	 m;
	const char	*text;
	char		 seg[160], line[AUDIT_LINE_MAX + 1];
	static char	 nl[1024 * 1024];
	size_t		 len;
	uint64_t	 left;
	int64_t		 code;
	int		 fd, i;

	snprintf(seg, sizeof(seg), "%s.000001", t->audit);
	assert_true((fd = open(seg, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1);
	memset(nl, '\n', sizeof(nl));
	for (i = 0; i < 64; i++)
		assert_int_equal(write(fd, nl, sizeof(nl)), (ssize_t)sizeof(nl));
	close(fd);

	assert_int_equal(it_connect(&t->it, &a), 0);
	send_show_init(&a, 2);
	it_sleep_ms(300);
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_false(readable(&a));		/* the scan goes on */

	assert_int_equal(it_connect(&t->it, &c), 0);
	msg_begin(&w, MSG_CTL_AUDIT_REQ, 2);
	msg_put_u64(&w, 1);			/* verify */
	msg_put_u64(&w, 0);
	assert_int_equal(chan_send(&c, &w), 0);
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	assert_int_equal(code, CV_ERR_AGAIN);
	assert_int_equal(msg_get_str(&m.rd, &text, &len, 200), 0);
	assert_int_equal(len, strlen("an audit scan is under way; retry"));
	assert_memory_equal(text, "an audit scan is under way; retry", len);
	msg_clear(&m);
	send_show_init(&c, 3);			/* a show too */
	assert_int_equal(chan_recv(&c, &m), 0);
	assert_int_equal(m.type, MSG_ERROR_ANS);
	assert_int_equal(msg_get_i64(&m.rd, &code), 0);
	assert_int_equal(code, CV_ERR_AGAIN);
	msg_clear(&m);
	chan_free(&c);
	/* vaultctl waits for the scan under way, then has its own */
	assert_int_equal(CTL(t, NULL, "audit show --op init"), 0);
	assert_int_equal(count(t->out, "\tinit\t"), 2);

	assert_int_equal(chan_recv(&a, &m), 0);
	assert_int_equal(m.type, MSG_CTL_AUDIT_SHOW_ANS);
	assert_int_equal(m.id, 2);
	assert_int_equal(msg_get_u64(&m.rd, &left), 0);
	assert_int_equal(left, 0);
	assert_int_equal(msg_get_str(&m.rd, &text, &len, MSG_MAX_FRAME), 0);
	assert_true(len < sizeof(line));
	memcpy(line, text, len);
	line[len] = '\0';
	msg_clear(&m);
	/* its intent and its outcome */
	assert_int_equal(count(line, "\n"), 2);
	assert_int_equal(count(line, "\tinit\t-\t-\tintent\t"), 1);
	assert_int_equal(count(line, "\tinit\t-\t-\tok\t"), 1);
	chan_free(&a);

	unlink(seg);
	assert_int_equal(CTL(t, NULL, "audit verify"), 0);
	assert_out(t, "audit log verified: ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_denials, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_vault, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_passwd, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback_log, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_pair_running,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_format, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_segments, setup_small,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_replaced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_lost_unsynced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_emptied, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_unreachable, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_copy_fails,
		    setup_small_fs, teardown_small_fs),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup_journal,
		    teardown),
		cmocka_unit_test_setup_teardown(test_second_vaultd,
		    setup_journal, teardown),
		cmocka_unit_test_setup_teardown(test_journal_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_journal_unfit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_zero_synced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_zero_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_zero_tail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_segment_zeros,
		    setup_seg1, teardown),
		cmocka_unit_test_setup_teardown(test_journal_segment,
		    setup_seg1, teardown),
		cmocka_unit_test_setup_teardown(test_ctl_withheld, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_no_again,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_off_loop, setup,
		    teardown),
	};

	/* AUDIT_TEST=name: that test alone */
	if (getenv("AUDIT_TEST") != NULL)
		cmocka_set_test_filter(getenv("AUDIT_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
