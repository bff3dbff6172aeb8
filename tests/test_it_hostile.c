/*
 * vaultd against a hostile netd: tests/hostile/hostile_netd.c, run in
 * netd's place (vaultd -T -N), speaks the real protocol and replays the
 * attacks found on the code -- signatures outside its call's steps,
 * forged vault effects, a flood, a call never answered.  For each:
 * vaultd stays up, nothing outside the call's steps is signed (the fake
 * logs every answer it got), no forged effect reaches the vault, every
 * refusal is on the audit log, a broken peer is killed and restarted,
 * and a stuck call ends with a time-out for the client.
 *
 * Omnia (an account of profile omnia, two keys imported): a rotation
 * answered with a store of another key, a replacement without a store
 * or a store without a replacement; a create answered with a store over
 * a key the vault holds; a token request whose body is not a box public
 * key, or one more than NETCALL_MINT_MAX; a bearer request that is not
 * the call's step.  Each is refused, audited, netd is restarted, and the
 * vault file's records are byte for byte what they were, also for a
 * store after the token request alone (no rotate or create request
 * signed).
 *
 * A signature of the call that signerd makes after netd answered it,
 * and a step held for approval when the call ends, never reach netd:
 * the one is withheld, the other cancelled before an approver can
 * grant it.
 *
 * Also here, the other edges of the trust boundary that vaultctl sees:
 * a plain-http URL to a remote host is refused (vaultctl and vaultd
 * both), and a connection vaultd refuses is an error with exit 3, not
 * death by SIGPIPE.
 *
 * The account's URL is never contacted: the fake answers for it.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <grp.h>
#include <pwd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/netcall.h"
#include "tests/it.h"

#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN	1
#else
#define UNDER_ASAN	0
#endif

#define PASSPHRASE	"hostile netd test passphrase"
#define WALLET_KEY	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define API_SECRET	"c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY="
#define API_PASS	"pass-phrase-for-the-api-key-0001"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define INVITE		"INVITE-CODE-7f3a9c"
#define FORGED_KEY	"f0f0f0f0-0000-4000-8000-00000000f00d"
#define ACCOUNT		"A"
/* Omnia: account O holds OKEY1 (active) and OKEY2 */
#define OMNIA		"O"
#define OKEY1		"0b1e7a52-6c1d-4e0f-9a61-3c5e00000001"
#define OKEY2		"0b1e7a52-6c1d-4e0f-9a61-3c5e00000002"
#define OSECRET1	"omnia-secret-one-5f0c2d7a9e41b3c8"
#define OSECRET2	"omnia-secret-two-81d3e6a0f2c597b4"
#define OPERMS		"[\"keys:read\",\"keys:write\",\"trade\"]"
#define NEW_SECRET	"secret-netd-made-up-0d9c3b7e1a55"

struct ht {
	struct it	it;
	char		dir[64];		/* the fake's directory */
	char		exe[128], scen[160], log[160];
	char		pass[128];
	char		out[65536];
	char		keys[4096];		/* apikey list --local, before */
	char		invite[256];		/* invite show, before */
	char		jkeys[8192];		/* --json keys list, before */
	char		*vault;			/* the vault file, before */
	size_t		vaultlen;
};

static struct ht	ht;
/* vaultd -I: a control client's idle time-out; NULL, its own */
static const char	*start_idle;

#define CTL(t, in, ...)	it_ctl(&(t)->it, in, (t)->out, sizeof((t)->out), \
			    __VA_ARGS__)

static void
has(struct ht *t, const char *want)
{
	if (strstr(t->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", t->out, want);
}

/* Copy the fake next to its scenario: it reads EXE.scenario. */
static void
install_fake(struct ht *t, const char *scenario)
{
	char	 src[300];
	char	*buf;
	size_t	 len = 0;
	FILE	*f;

	snprintf(t->dir, sizeof(t->dir), "/tmp/cvhn.XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		abort();
	snprintf(t->exe, sizeof(t->exe), "%s/netd", t->dir);
	snprintf(t->scen, sizeof(t->scen), "%s.scenario", t->exe);
	snprintf(t->log, sizeof(t->log), "%s.log", t->exe);
	snprintf(src, sizeof(src), "%s/tests/hostile_netd", t->it.build);
	if ((buf = it_slurp(src, &len)) == NULL)
		fail_msg("%.200s is missing: make all builds it", src);
	if ((f = fopen(t->exe, "w")) == NULL ||
	    fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		abort();
	free(buf);
	chmod(t->exe, 0755);
	it_write(t->scen, scenario, 0644);
}

/*
 * vaultd -f -T -N FAKE [-D secs] [-I secs]; 0 once both children are
 * up.
 */
static int
start_vaultd(struct ht *t, const char *deadline, int netd_up)
{
	struct it_proc	 procs[3];
	char		 path[300];
	int		 fd;

	snprintf(path, sizeof(path), "%s/vaultd", t->it.build);
	if ((t->it.vaultd = fork()) == -1)
		return -1;
	if (t->it.vaultd == 0) {
		const char	*argv[10];
		int		 n = 0;

		fd = open(t->it.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1)
			_exit(126);
		dup2(fd, STDERR_FILENO);
		argv[n++] = "vaultd";
		argv[n++] = "-f";
		argv[n++] = "-T";
		argv[n++] = "-N";
		argv[n++] = t->exe;
		if (deadline != NULL) {
			argv[n++] = "-D";
			argv[n++] = deadline;
		}
		if (start_idle != NULL) {
			argv[n++] = "-I";
			argv[n++] = start_idle;
		}
		argv[n] = NULL;
		execv(path, (char *const *)argv);
		_exit(127);
	}
	if (!netd_up) {		/* vaultd answers; netd never comes up */
		for (fd = 0; fd < 250 && it_status(&t->it, procs) != 0; fd++)
			it_sleep_ms(20);
		return fd < 250 ? 0 : -1;
	}
	return it_wait_up(&t->it, procs, 0, 0, 5000) < 0 ? -1 : 0;
}

/*
 * A vault with secrets worth stealing: a wallet key, an unused
 * invitation code, an API key.  Remembers the listings to compare.
 */
static int
setup_with(void **state, const char *scenario, const char *deadline)
{
	struct ht	*t = &ht;

	memset(t, 0, sizeof(*t));
	it_init(&t->it);
	*state = t;
	install_fake(t, scenario);
	snprintf(t->pass, sizeof(t->pass), "%.60s/pass", t->dir);
	it_write(t->pass, PASSPHRASE "\n", 0600);
	/* in these netd never comes up */
	if (start_vaultd(t, deadline, strcmp(scenario, "no-seccomp\n") !=
	    0 && strcmp(scenario, "traced\n") != 0) != 0) {
		fprintf(stderr, "vaultd did not start with the fake netd; "
		    "see %s\n", t->it.log);
		return -1;
	}
	if (CTL(t, NULL, "init --passphrase-file %s --kdf min", t->pass) != 0 ||
	    CTL(t, NULL, "account add " ACCOUNT " --profile openfish --url "
	    "http://127.0.0.1:1") != 0 ||
	    CTL(t, WALLET_KEY "\n", "wallet import --account " ACCOUNT) != 0 ||
	    CTL(t, INVITE "\n", "invite set --account " ACCOUNT) != 0 ||
	    CTL(t, "{\"apiKey\":\"" API_KEY "\",\"secret\":\"" API_SECRET
	    "\",\"passphrase\":\"" API_PASS "\"}", "apikey import --account "
	    ACCOUNT " --nonce 3") != 0) {
		fprintf(stderr, "vault set-up failed: %s\n", t->out);
		return -1;
	}
	if (CTL(t, NULL, "apikey list --local --account " ACCOUNT) != 0)
		return -1;
	snprintf(t->keys, sizeof(t->keys), "%.4000s", t->out);
	if (CTL(t, NULL, "invite show --account " ACCOUNT) != 0)
		return -1;
	snprintf(t->invite, sizeof(t->invite), "%.200s", t->out);
	return 0;
}

static int
teardown(void **state)
{
	struct ht	*t = *state;
	char		 cmd[200];

	it_cleanup(&t->it);
	free(t->vault);
	t->vault = NULL;
	if (getenv("IT_KEEP") == NULL && t->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		(void)!system(cmd);
	} else if (t->dir[0] != '\0')
		fprintf(stderr, "kept %s and %s\n", t->dir, t->it.home);
	return 0;
}

/* The fake's log, whole. */
static char *
fake_log(struct ht *t)
{
	size_t	 len = 0;
	char	*s = it_slurp(t->log, &len);

	return s != NULL ? s : strdup("");
}

static int
fake_log_has(struct ht *t, const char *s)
{
	char	*log = fake_log(t);
	int	 r = strstr(log, s) != NULL;

	free(log);
	return r;
}

/* Nothing signed for the fake: no MSG_NET_SIGN_ANS, no header name. */
static void
assert_nothing_signed(struct ht *t)
{
	char	*log = fake_log(t);

	if (strstr(log, "MSG_NET_SIGN_ANS") != NULL ||
	    strstr(log, "OPENFISH_") != NULL)
		fail_msg("vaultd signed for the hostile netd:\n%s", log);
	free(log);
}

/* vaultd answers status; netd (the fake) is back up after what it did. */
static void
assert_vaultd_up(struct ht *t, struct it_proc *procs)
{
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(kill(t->it.vaultd, 0), 0);
	assert_string_equal(procs[0].name, "vaultd");
}

/* The fake was killed by vaultd as a broken peer, and restarted. */
static void
assert_killed(struct ht *t)
{
	struct it_proc	procs[3];

	if (it_wait_up(&t->it, procs, 0, 0, 5000) < 0)
		fail_msg("netd is not back up");
	if (procs[2].restarts < 1 ||
	    strncmp(procs[2].last_exit, "killed by vaultd: ", 18) != 0)
		fail_msg("netd not killed by vaultd: restarts %llu, last exit "
		    "\"%s\"", (unsigned long long)procs[2].restarts,
		    procs[2].last_exit);
}

/* Neither a key nor the invitation code changed in the vault. */
static void
assert_vault_unchanged(struct ht *t)
{
	assert_int_equal(CTL(t, NULL, "apikey list --local --account "
	    ACCOUNT), 0);
	if (strcmp(t->out, t->keys) != 0)
		fail_msg("the vault's keys changed:\nbefore %s\nafter %s",
		    t->keys, t->out);
	assert_true(strstr(t->out, FORGED_KEY) == NULL);
	has(t, API_KEY);
	assert_int_equal(CTL(t, NULL, "invite show --account " ACCOUNT), 0);
	if (strcmp(t->out, t->invite) != 0)
		fail_msg("the invitation code changed:\nbefore %s\nafter %s",
		    t->invite, t->out);
}

/* line cut at its tabs into f[0..max): how many fields it has, max at most. */
static int
tab_fields(char *line, char **f, int max)
{
	char	*p;
	int	 n;

	for (n = 0, p = line; n < max && p != NULL; n++) {
		f[n] = p;
		if ((p = strchr(p, '\t')) != NULL)
			*p++ = '\0';
	}
	return n;
}

/*
 * The audit log has a line by actor (NULL: any) whose op, method or
 * path field contains what, with a verdict other than allow and ok.
 * Fields: seq time actor account op method path verdict ...
 */
static int
audit_refused(struct ht *t, const char *actor, const char *what)
{
	char	*line, *save = NULL, *f[8], *copy;
	int	 found = 0;

	if (CTL(t, NULL, "audit show --tail 100000") != 0)
		fail_msg("audit show failed: %s", t->out);
	if ((copy = strdup(t->out)) == NULL)
		abort();
	for (line = strtok_r(copy, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		if (tab_fields(line, f, 8) < 8)
			continue;
		if (actor != NULL && strcmp(f[2], actor) != 0)
			continue;
		if (strstr(f[4], what) == NULL && strstr(f[5], what) == NULL &&
		    strstr(f[6], what) == NULL)
			continue;
		found = strcmp(f[7], "allow") != 0 && strcmp(f[7], "ok") != 0;
	}
	free(copy);
	return found;
}

static void
assert_audited(struct ht *t, const char *actor, const char *what)
{
	if (!audit_refused(t, actor, what))
		fail_msg("no refusal of %s by %s on the audit log:\n%s", what,
		    actor ? actor : "anyone", t->out);
}

/*
 * Run `vaultctl time` (a call with no signed step) under the scenario;
 * the fake must have received the call.  Returns vaultctl's exit code.
 */
static int
run_time(struct ht *t)
{
	int	r;

	r = CTL(t, NULL, "time --account " ACCOUNT);
	if (!fake_log_has(t, "call id="))
		fail_msg("the fake never got the call (exit %d): %s", r,
		    t->out);
	return r;
}

/* A signing attack during `time`: refused, audited, nothing changed. */
static void
sign_attack(void **state, const char *path)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	(void)run_time(t);
	assert_vaultd_up(t, procs);
	assert_nothing_signed(t);
	assert_audited(t, "netd", path);
	assert_vault_unchanged(t);
}

/* L1 derive headers with nonce 0 and 777: the wallet's L1 signature. */
static int
setup_l1_derive(void **state)
{
	return setup_with(state,
	    "sign L1 GET /auth/derive-api-key 0\n"
	    "sign L1 GET /auth/derive-api-key 777\n", NULL);
}

static void
test_l1_derive(void **state)
{
	sign_attack(state, "/auth/derive-api-key");
}

/* L1 create with nonce 5: carries the unused invitation code. */
static int
setup_l1_create(void **state)
{
	return setup_with(state, "sign L1 POST /auth/api-key 5\n", NULL);
}

static void
test_l1_create(void **state)
{
	struct ht	*t = *state;

	sign_attack(state, "/auth/api-key");
	/* the code never went out: it is not marked used */
	assert_int_equal(CTL(t, NULL, "invite show --account " ACCOUNT), 0);
	assert_true(strstr(t->out, "used") == NULL);
}

static int
setup_l2_delete(void **state)
{
	return setup_with(state, "sign L2 DELETE /auth/api-key 0\n", NULL);
}

static void
test_l2_delete(void **state)
{
	sign_attack(state, "/auth/api-key");
}

static int
setup_l2_query_body(void **state)
{
	return setup_with(state,
	    "sign L2 GET /auth/api-keys?x=1 0 {\"a\":1}\n", NULL);
}

static void
test_l2_query_body(void **state)
{
	sign_attack(state, "/auth/api-keys");
}

static int
setup_l2_builder(void **state)
{
	return setup_with(state, "sign L2 POST /auth/builder-api-key 0\n",
	    NULL);
}

static void
test_l2_builder(void **state)
{
	sign_attack(state, "/auth/builder-api-key");
}

static int
setup_lowercase(void **state)
{
	return setup_with(state, "sign L2 get /auth/api-keys 0\n", NULL);
}

static void
test_lowercase(void **state)
{
	sign_attack(state, "/auth/api-keys");
}

/* A call id that is not the call in progress: a broken peer. */
static int
setup_other_call(void **state)
{
	return setup_with(state,
	    "sign-as cur+1000 L2 GET /auth/api-keys 0\n", NULL);
}

static void
test_other_call(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_vaultd_up(t, procs);
	assert_nothing_signed(t);
	assert_killed(t);
	/* the refused request, and netd's removal, both recorded */
	assert_audited(t, "netd", "/auth/api-keys");
	assert_audited(t, "netd", "peer_refused");
	assert_vault_unchanged(t);
}

/*
 * A gateway request no real netd sends (a passphrase without a client
 * API key; a neg-risk value out of range): a broken peer, audited.
 */
static int
setup_gw_malformed(void **state)
{
	return setup_with(state, "gw GET /time - secret-ish 0\n", NULL);
}

static int
setup_gw_negrisk(void **state)
{
	return setup_with(state, "gw GET /time - - 9\n", NULL);
}

static void
test_gw_malformed(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_true(fake_log_has(t, "gw id="));
	assert_vaultd_up(t, procs);
	assert_nothing_signed(t);
	assert_killed(t);
	assert_audited(t, "netd", "peer_refused");
	assert_vault_unchanged(t);
}

/*
 * MSG_GW_GONE for a request vaultd has answered already (the answer and
 * the notice crossed, as they may): ignored, never a broken peer; the
 * next request is served, and the call ends well.  One naming an id
 * above every request netd sent names nothing it could have given up:
 * a broken peer, audited.
 */
static int
setup_gw_gone_late(void **state)
{
	return setup_with(state, "gw GET /time - - 0\ngw-gone last\n"
	    "gw GET /time - - 0\n", NULL);
}

static void
test_gw_gone_late(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p;

	assert_int_equal(run_time(t), 0);
	assert_vaultd_up(t, procs);
	assert_int_equal(procs[2].restarts, 0);
	assert_string_equal(procs[2].state, "up");
	log = fake_log(t);
	assert_non_null(p = strstr(log, "gw-gone id="));
	/* the request after it answered, in turn */
	assert_non_null(p = strstr(p, "\ngw id="));
	assert_non_null(strstr(p, "  -> MSG_"));
	assert_null(strstr(p, "  -> eof"));
	free(log);
	assert_false(audit_refused(t, "netd", "peer_refused"));
	assert_nothing_signed(t);
	assert_vault_unchanged(t);
}

static int
setup_gw_gone_unsent(void **state)
{
	return setup_with(state, "gw GET /time - - 0\ngw-gone next\n"
	    "gw GET /time - - 0\n", NULL);
}

static void
test_gw_gone_unsent(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_true(fake_log_has(t, "gw-gone id="));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_audited(t, "netd", "peer_refused");
	assert_nothing_signed(t);
	assert_vault_unchanged(t);
}

/* `time` answered with REMOVE of the real API key. */
static int
setup_forged_remove(void **state)
{
	return setup_with(state, "answer 200 remove api " API_KEY " 0\n",
	    NULL);
}

static void
test_forged_remove(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_vault_unchanged(t);
	assert_audited(t, NULL, "call.time");
}

/* `time` answered with STORE of a box the fake sealed itself. */
static int
setup_forged_store(void **state)
{
	return setup_with(state,
	    "seal " FORGED_KEY " " API_SECRET " forged-passphrase\n"
	    "answer 200 store api - 9\n", NULL);
}

static void
test_forged_store(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_true(fake_log_has(t, "effect=1 rtype=3 key= box=1"));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_vault_unchanged(t);
	assert_audited(t, NULL, "call.time");
}

/*
 * `time` answered 200 with no vault change but a key id, the vault's
 * own: nothing a real netd sends (it names a key only with a change,
 * netd_answer.c).  Taken as it came, the key id went on the audit log as
 * the one `call.time ok` concerned, a key netd picked; now the answer
 * is forged, on the log without a key, and netd is restarted.
 */
static int
setup_keyed_none(void **state)
{
	return setup_with(state, "answer 200 none api " API_KEY " 0\n",
	    NULL);
}

static void
test_keyed_none(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(run_time(t), 0);
	assert_true(fake_log_has(t, "status=200 effect=0 rtype=3 key="
	    API_KEY));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_vault_unchanged(t);
	assert_true(it_log_has(&t->it, "netd answered time with a key id "
	    "without a vault change"));
	assert_audited(t, NULL, "call.time");
	assert_int_equal(CTL(t, NULL, "audit show --tail 100000"), 0);
	if (strstr(t->out, "\tcall.time\t-\t-\tforged\t-\t") == NULL ||
	    strstr(t->out, "\tcall.time\t-\t-\tok\t") != NULL)
		fail_msg("call.time on the audit log as netd said:\n%s",
		    t->out);
}

/*
 * `apikey derive` answered with a STORE that names one key id and seals
 * another, one the vault holds: signerd refuses the box (CV_ERR_EXISTS).
 * The key id netd named is no key the exchange or the vault knows;
 * vaultd took it as the store's, and it went on the audit log
 * (apikey_store fail, call.apikey.derive ok) and into what vaultctl
 * printed.  Only a key id signerd read from the box is the store's:
 * its refusal names the key it holds.
 */
static int
setup_store_misnamed(void **state)
{
	return setup_with(state, "sign L1 GET /auth/derive-api-key 7\n"
	    "seal " API_KEY " " API_SECRET " forged-passphrase\n"
	    "answer 200 store api " FORGED_KEY " 7\n", NULL);
}

/*
 * apikey derive at nonce, its store refused by signerd: vaultctl, the
 * audit log and the call's record name the key the vault holds
 * (API_KEY), never FORGED_KEY, and nothing changed.
 */
static void
store_refused(struct ht *t, const char *nonce)
{
	struct it_proc	 procs[3];

	assert_int_equal(CTL(t, NULL, "--json apikey derive --account "
	    ACCOUNT " --nonce %s", nonce), 0);
	assert_true(fake_log_has(t, "effect=1 rtype=3 key=" FORGED_KEY
	    " box=1"));
	has(t, "\"vault\": \"the vault already holds API key " API_KEY
	    "\"");
	assert_null(strstr(t->out, FORGED_KEY));
	assert_vaultd_up(t, procs);
	assert_vault_unchanged(t);
	assert_int_equal(CTL(t, NULL, "audit show --tail 100000"), 0);
	has(t, "\tapikey_store\t-\t-\tfail\t-\t");
	has(t, "\tcall.apikey.derive\t-\t-\tok\t" API_KEY "\t");
	if (strstr(t->out, FORGED_KEY) != NULL)
		fail_msg("the audit log names a key the vault does not hold:"
		    "\n%s", t->out);
}

static void
test_store_misnamed(void **state)
{
	store_refused(*state, "7");
}

/*
 * The same at a nonce the vault holds another key at: the box's key is
 * new, the nonce is taken (CV_ERR_EXISTS), and the key named is the
 * one the vault holds there, never the box's nor netd's word.
 */
static int
setup_store_nonce_taken(void **state)
{
	return setup_with(state, "sign L1 GET /auth/derive-api-key 3\n"
	    "seal " FORGED_KEY " " API_SECRET " forged-passphrase\n"
	    "answer 200 store api " FORGED_KEY " 3\n", NULL);
}

static void
test_store_nonce_taken(void **state)
{
	store_refused(*state, "3");
}

/*
 * A netd that sends a gateway request right after its handshake, its
 * answer to vaultd's status query held until the request is answered:
 * vaultd has not yet seen its sandbox in /proc (a netd without one is
 * killed at that answer), so it gets no work, only "retry".  Played at
 * the second start, once the vault is unlocked.
 */
/*
 * The early-gw scenarios play at netd's second start: kill the first,
 * wait until the second has played its lines (procs: the status).
 */
static void
early_gw_again(struct ht *t, struct it_proc procs[3])
{
	char	*log, *p;
	int	 i, n = 0;

	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[2].pid, SIGKILL), 0);
	for (i = 0; i < 200 && n < 2; i++) {
		it_sleep_ms(50);
		log = fake_log(t);
		for (n = 0, p = log; (p = strstr(p, "early-gw done")) != NULL;
		    p++)
			n++;
		free(log);
	}
	assert_int_equal(n, 2);
}

static int
setup_early_gw(void **state)
{
	return setup_with(state, "early-gw GET /time - - 0\n", NULL);
}

static void
test_early_gw(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p;

	early_gw_again(t, procs);
	log = fake_log(t);
	p = strstr(strstr(log, "early-gw done") + 1, "gw id=");
	if (p == NULL || strstr(p, "  -> MSG_ERROR_ANS code=-5 text=netd's "
	    "sandbox is not seen yet; retry\nearly-gw done status-held=1\n")
	    == NULL)
		fail_msg("a gateway request before the status answer was "
		    "served:\n%s", log);
	free(log);
	assert_vaultd_up(t, procs);
	assert_vault_unchanged(t);
}

/*
 * The same for readiness and metrics (MSG_GW_INFO_REQ, /readyz and
 * /metrics): before vaultd has seen netd's sandbox, "retry", which netd
 * serves as 503 with the text, never "ready" or the metrics; once it
 * has, the answers.  Played at the second start, the vault unlocked.
 */
static int
setup_early_gw_info(void **state)
{
	return setup_with(state, "early-gw-info ready\n"
	    "early-gw-info metrics\n", NULL);
}

static void
test_early_gw_info(void **state)
{
	static const char *const want =
	    "gw-info id=1 kind=ready\n"
	    "  -> MSG_ERROR_ANS code=-5 text=netd's sandbox is not seen yet; "
	    "retry\n"
	    "gw-info id=2 kind=metrics\n"
	    "  -> MSG_ERROR_ANS code=-5 text=netd's sandbox is not seen yet; "
	    "retry\n"
	    "early-gw done status-held=1\n"
	    "gw-info id=3 kind=ready\n"
	    "  -> MSG_GW_INFO_ANS ready=1 text=ready\n"
	    "gw-info id=4 kind=metrics\n"
	    "  -> MSG_GW_INFO_ANS ready=1 text=# HELP clobvault_vault_unlocked "
	    "1 while the vault is unlocked.\n";
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p;

	early_gw_again(t, procs);
	assert_int_equal(it_wait_up(&t->it, procs, 0, 0, 5000) < 0, 0);
	log = fake_log(t);
	/* the second start's, whole: from its first request to the last */
	if ((p = strstr(log, "start pid=")) == NULL ||
	    (p = strstr(p + 1, "start pid=")) == NULL ||
	    (p = strstr(p, "gw-info id=1 ")) == NULL ||
	    strncmp(p, want, strlen(want)) != 0)
		fail_msg("readiness or metrics before the status answer, or "
		    "not after:\n%s", log);
	free(log);
	assert_vaultd_up(t, procs);
	assert_vault_unchanged(t);
}

/*
 * vaultd tells netd when a gateway request's client credentials pass
 * signerd's check (MSG_GW_PASSED, the request's id alone), before its
 * answer, so that netd gives them a share of the places waiting on
 * vaultd of their own; a wrong passphrase gets the refusal alone.
 * The fake reads the client's credentials at its second start.
 */
static int
setup_gw_passed(void **state)
{
	return setup_with(state, "gw-client GET /time ok\n"
	    "gw-client GET /time wrong\n", NULL);
}

/*
 * A client for the fake: its credentials in EXE.client, the fake
 * restarted to read them, then the call whose scenario uses them.
 */
static void
gw_client_call(struct ht *t)
{
	struct it_proc	 procs[3];
	json_t		*j;
	char		 path[300], creds[512], *log, *p;
	int		 i, n = 0;

	assert_int_equal(CTL(t, NULL, "--json client add bot --account "
	    ACCOUNT " --passphrase-file %s", t->pass), 0);
	assert_non_null(j = json_loads(t->out, 0, NULL));
	snprintf(creds, sizeof(creds), "%s\n%s\n%s\n",
	    json_string_value(json_object_get(j, "apiKey")),
	    json_string_value(json_object_get(j, "secret")),
	    json_string_value(json_object_get(j, "passphrase")));
	json_decref(j);
	snprintf(path, sizeof(path), "%s.client", t->exe);
	it_write(path, creds, 0644);
	/* the fake again, to read them */
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[2].pid, SIGKILL), 0);
	for (i = 0; i < 200 && n < 2; i++) {
		it_sleep_ms(50);
		log = fake_log(t);
		for (n = 0, p = log; (p = strstr(p, "start pid=")) != NULL; p++)
			n++;
		free(log);
	}
	assert_int_equal(n, 2);
	assert_int_equal(it_wait_up(&t->it, procs, 0, 0, 5000) < 0, 0);
	(void)run_time(t);
	unlink(path);
}

static void
test_gw_passed(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		 want[256], *log, *p;

	gw_client_call(t);
	log = fake_log(t);
	if ((p = strstr(log, "gw-client id=1 method=GET path=/time "
	    "creds=ok\n")) == NULL ||
	    strncmp(strchr(p, '\n') + 1, "  -> MSG_GW_PASSED id=1\n  -> MSG_",
	    33) != 0)
		fail_msg("no MSG_GW_PASSED before the answer:\n%s", log);
	snprintf(want, sizeof(want), "gw-client id=2 method=GET path=/time "
	    "creds=wrong\n  -> MSG_ERROR_ANS code=%d text=client credentials "
	    "refused\n", CV_ERR_AUTH);
	if (strstr(log, want) == NULL)
		fail_msg("a wrong passphrase's refusal not alone:\n%s", log);
	free(log);
	assert_vaultd_up(t, procs);
}

/*
 * A netd that read a signature vaultd sent it (and could have sent it
 * on to the exchange) and then says its bot went away (MSG_GW_GONE for
 * that request, as when the notice and the answer cross): vaultd cannot
 * tell, and the withheld record is netd's, never vaultd's, whose
 * records say only what vaultd itself did.
 */
static int
setup_gw_gone_signed(void **state)
{
	struct ht	*t;
	char		 policy[160];

	if (setup_with(state, "gw-client GET /data/orders ok\n"
	    "gw-gone last\n", NULL) != 0)
		return -1;
	t = *state;
	snprintf(policy, sizeof(policy), "%.60s/policy", t->dir);
	it_write(policy, "allow operator catalog label default\n"
	    "allow client bot method GET path /data/orders label bot\n",
	    0600);
	return CTL(t, NULL, "policy apply %s --passphrase-file %s", policy,
	    t->pass);
}

/* The sign records of actor with verdict on the audit log. */
static int
sign_verdicts(struct ht *t, const char *actor, const char *verdict)
{
	char	*line, *save = NULL, *f[8], *copy;
	int	 n = 0;

	if (CTL(t, NULL, "audit show --tail 100000") != 0)
		fail_msg("audit show failed: %s", t->out);
	if ((copy = strdup(t->out)) == NULL)
		abort();
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (tab_fields(line, f, 8) >= 8 && strcmp(f[2], actor) == 0 &&
		    strcmp(f[4], "sign") == 0 && strcmp(f[7], verdict) == 0)
			n++;
	free(copy);
	return n;
}

static void
test_gw_gone_signed(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p;
	int		 i;

	gw_client_call(t);
	log = fake_log(t);
	/*
	 * the answer with the signature came to the fake (it logs it as
	 * unexpected, its wait being for an error's), which then said its
	 * bot left
	 */
	if ((p = strstr(log, "gw-client id=1 method=GET path=/data/orders "
	    "creds=ok\n")) == NULL ||
	    (p = strstr(p, "MSG_GW_ANS id=1 ")) == NULL ||
	    (p = strstr(p, "gw-gone id=1\n")) == NULL)
		fail_msg("no signature read before the notice:\n%s", log);
	free(log);
	assert_vaultd_up(t, procs);
	assert_int_equal(sign_verdicts(t, "client:bot", "allow"), 1);
	/* on netd's word, and never as vaultd's own */
	for (i = 0; i < 100 && sign_verdicts(t, "netd", "withheld") == 0; i++)
		it_sleep_ms(50);
	assert_int_equal(sign_verdicts(t, "netd", "withheld"), 1);
	assert_int_equal(sign_verdicts(t, "vaultd", "withheld"), 0);
}

/*
 * netd dies as a signature comes, with no status query answered after
 * it (the fake read it and exits, as a netd killed before reading it
 * would; vaultd cannot tell the two apart): whether the signature went
 * on is unknown, and the log says so (actor vaultd, verdict unknown)
 * after the allow record, which alone would stand for a hand-over.
 */
static int
setup_gw_died_unread(void **state)
{
	struct ht	*t;
	char		 policy[160];

	if (setup_with(state, "die-at-answer\n"
	    "gw-client GET /data/orders ok\n",
	    NULL) != 0)
		return -1;
	t = *state;
	snprintf(policy, sizeof(policy), "%.60s/policy", t->dir);
	it_write(policy, "allow operator catalog label default\n"
	    "allow client bot method GET path /data/orders label bot\n",
	    0600);
	return CTL(t, NULL, "policy apply %s --passphrase-file %s", policy,
	    t->pass);
}

static void
test_gw_died_unread(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p;
	int		 i;

	gw_client_call(t);
	log = fake_log(t);
	if ((p = strstr(log, "gw-client id=1 method=GET path=/data/orders "
	    "creds=ok\n")) == NULL ||
	    strstr(p, "die at MSG_GW_ANS id=1\n") == NULL)
		fail_msg("the fake did not die after the signature:\n%s", log);
	free(log);
	assert_int_equal(it_wait_up(&t->it, procs, 0, 0, 10000) < 0, 0);
	assert_int_equal(sign_verdicts(t, "client:bot", "allow"), 1);
	for (i = 0; i < 100 && sign_verdicts(t, "vaultd", "unknown") == 0; i++)
		it_sleep_ms(50);
	assert_int_equal(sign_verdicts(t, "vaultd", "unknown"), 1);
	assert_int_equal(sign_verdicts(t, "vaultd", "withheld"), 0);
	assert_int_equal(sign_verdicts(t, "netd", "withheld"), 0);
	assert_true(it_log_has(&t->it, "netd died before it was seen to read "
	    "1 signature: whether they went on is unknown"));
}

/*
 * `apikey derive` under a policy that denies it: netd asks for the
 * derive's signature, is refused, and answers with a key it sealed
 * itself.  A step the policy denied is no signed step: the store is
 * forged (it was stored, and made the derive "ok", before).
 */
static int
setup_denied_store(void **state)
{
	struct ht	*t;
	char		 policy[160];

	if (setup_with(state, "sign L1 GET /auth/derive-api-key 7\n"
	    "seal " FORGED_KEY " " API_SECRET " forged-passphrase\n"
	    "answer 200 store api - 7\n", NULL) != 0)
		return -1;
	t = *state;
	snprintf(policy, sizeof(policy), "%.60s/policy", t->dir);
	it_write(policy, "allow operator catalog label default\n"
	    "deny operator path /auth/derive-api-key label no-derive\n", 0600);
	return CTL(t, NULL, "policy apply %s --passphrase-file %s", policy,
	    t->pass);
}

static void
test_denied_store(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(CTL(t, NULL, "apikey derive --account " ACCOUNT
	    " --nonce 7"), 0);
	assert_true(fake_log_has(t, "text=denied by rule no-derive"));
	assert_true(fake_log_has(t, "answer id="));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_vault_unchanged(t);
	assert_true(it_log_has(&t->it, "netd answered apikey.derive with a "
	    "vault change without a signed request"));
	assert_audited(t, NULL, "call.apikey.derive");
}

/*
 * `apikey delete` signed as asked, then answered 500 with the removal of
 * the key: no change of the vault comes with a failed status.
 */
static int
setup_failed_remove(void **state)
{
	return setup_with(state, "sign L2 DELETE /auth/api-key 0\n"
	    "answer 500 remove api " API_KEY " 0\n", NULL);
}

static void
test_failed_remove(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_not_equal(CTL(t, NULL, "apikey delete --account " ACCOUNT
	    " --key-id " API_KEY), 0);
	assert_true(fake_log_has(t, "answer id="));
	assert_true(fake_log_has(t, "status=500 effect=2 rtype=3 key="
	    API_KEY));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_vault_unchanged(t);
	assert_true(it_log_has(&t->it, "netd answered apikey.delete with a "
	    "vault change with a failed HTTP status"));
	assert_audited(t, NULL, "call.apikey.delete");
}

/*
 * A call answered with an error text that would rewrite the operator's
 * terminal (a newline, a carriage return, an escape): vaultctl shows it
 * on one line, its control bytes as '?'.
 */
static int
setup_escape_text(void **state)
{
	return setup_with(state, "fail -9 one\\ntwo\\r\\e[2J end\n", NULL);
}

static void
test_escape_text(void **state)
{
	struct ht	*t = *state;

	assert_int_not_equal(CTL(t, NULL, "time --account " ACCOUNT), 0);
	assert_true(fake_log_has(t, "fail id="));
	if (strstr(t->out, "vaultctl: time: one?two??[2J end\n") == NULL)
		fail_msg("vaultctl printed: %s", t->out);
	assert_null(strchr(t->out, '\033'));
	assert_null(strchr(t->out, '\r'));
}

/*
 * A call's error text as long as netd makes one (up to 511 bytes, what
 * to do at its end): vaultctl shows it whole, never cut at 255.
 */
#define LONG_TEXT	\
    "the-answer-of-api.production.omniaexchange.com:443-to-POST-/" \
    "v3/api-keys/*/rotate " \
    "has-an-apiKeySecret-that-is-not-1-256-printable-characters-w" \
    "ithout-spaces: " \
    "the-key-may-have-been-rotated,-its-new-secret-unknown-to-the" \
    "-vault: " \
    "check-with-a-call,-and-if-it-is-refused-make-a-replacement-w" \
    "ith-another-key " \
    "of-the-account-that-holds-enough-permissions,-or-make-one-at" \
    "-the-exchange " \
    "and-import-it:-this-is-where-the-operator-learns-what-to-do-" \
    "END"

static int
setup_long_text(void **state)
{
	return setup_with(state, "fail -58 " LONG_TEXT "\n", NULL);
}

static void
test_long_text(void **state)
{
	struct ht	*t = *state;
	json_t		*j;

	assert_int_equal(CTL(t, NULL, "time --account " ACCOUNT), 11);
	assert_true(fake_log_has(t, "fail id="));
	if (strstr(t->out, "vaultctl: time: " LONG_TEXT "\n") == NULL)
		fail_msg("vaultctl printed: %s", t->out);
	assert_int_equal(CTL(t, NULL, "--json time --account " ACCOUNT), 11);
	assert_non_null(j = json_loads(t->out, 0, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    LONG_TEXT);
	json_decref(j);
}

/* 50,000 signing requests in one call. */
static int
setup_flood(void **state)
{
	return setup_with(state, "flood 50000 L2 GET /auth/api-keys 0\n",
	    NULL);
}

static void
test_flood(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	(void)run_time(t);
	assert_vaultd_up(t, procs);
	assert_nothing_signed(t);
	assert_true(fake_log_has(t, "flood count=50000"));
	assert_audited(t, "netd", "/auth/api-keys");
	assert_vault_unchanged(t);
	/* and vaultd still serves: a plain vault operation works */
	assert_int_equal(CTL(t, NULL, "account list"), 0);
}

/*
 * A netd whose /proc status shows no seccomp filter gets no work: vaultd
 * kills it at its first status answer, and again at every restart.
 */
static int
setup_no_seccomp(void **state)
{
	return setup_with(state, "no-seccomp\n", NULL);
}

static void
test_no_seccomp(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	int		 i;

	for (i = 0; i < 250; i++) {
		assert_int_equal(it_status(&t->it, procs), 0);
		if (procs[2].restarts >= 1)
			break;
		it_sleep_ms(20);
	}
	assert_true(procs[2].restarts >= 1);
	if (strncmp(procs[2].last_exit, "killed by vaultd: no seccomp filter "
	    "in /proc/", 44) != 0)
		fail_msg("netd's last exit: %s", procs[2].last_exit);
	assert_int_not_equal(procs[2].state[0], 'u');	/* never "up" */
	assert_true(it_log_has(&t->it, "no seccomp filter in /proc/"));
	/* asked for a call meanwhile, it never gets it */
	assert_int_not_equal(CTL(t, NULL, "time --account " ACCOUNT), 0);
	assert_false(fake_log_has(t, "call id="));
	assert_audited(t, "netd", "peer_refused");
}

/*
 * A netd with a tracer that came in while it was dumpable, at its
 * execve, and stayed (scenario "traced": the fake makes no check of its
 * own, as a netd whose check its tracer removed): killed by vaultd at
 * its first status answer, before any work, and never up.
 */
static int
setup_traced(void **state)
{
	return setup_with(state, "traced\n", NULL);
}

static void
test_traced(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log, *p, *q, want[128];
	long		 tracer, pid;
	int		 i;

	for (i = 0; i < 250; i++) {
		assert_int_equal(it_status(&t->it, procs), 0);
		if (procs[2].restarts >= 1)
			break;
		it_sleep_ms(20);
	}
	assert_true(procs[2].restarts >= 1);
	if (strncmp(procs[2].last_exit, "killed by vaultd: traced by process ",
	    36) != 0 || strstr(procs[2].last_exit, " at start") == NULL)
		fail_msg("netd's last exit: %s", procs[2].last_exit);
	/* the first start's tracer, named by vaultd with the pid it knows */
	log = fake_log(t);
	if ((p = strstr(log, "traced by=")) == NULL ||
	    (q = strstr(p, "start pid=")) == NULL)
		fail_msg("the fake was not traced:\n%s", log);
	tracer = strtol(p + 10, NULL, 10);
	pid = strtol(q + 10, NULL, 10);
	free(log);
	snprintf(want, sizeof(want), "netd (pid %ld) is broken: traced by "
	    "process %ld at start; killing it\n", pid, tracer);
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd's log lacks \"%s\"", want);
	assert_int_not_equal(procs[2].state[0], 'u');	/* never "up" */
	/* asked for a call meanwhile, it never gets it */
	assert_int_not_equal(CTL(t, NULL, "time --account " ACCOUNT), 0);
	assert_false(fake_log_has(t, "call id="));
	assert_audited(t, "netd", "peer_refused");
}

/* A call never answered ends at the deadline (vaultd -T -D 2). */
static int
setup_deadline(void **state)
{
	return setup_with(state, "hang\n", "2");
}

static void
test_deadline(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	int64_t		 start = it_ms();
	int		 r;

	r = run_time(t);
	if (r != 9)
		fail_msg("time: exit %d, not 9 (time-out): %s", r, t->out);
	if (strstr(t->out, "the exchange call did not finish within 2 s: "
	    "netd was restarted, and whether the exchange acted is "
	    "unknown") == NULL)
		fail_msg("no clear time-out: %s", t->out);
	/* not vaultctl's own 150 s wait: vaultd ended the call */
	assert_true(it_ms() - start < 60000);
	assert_true(strstr(t->out, "no answer from vaultd") == NULL);
	assert_true(fake_log_has(t, "hang id="));
	assert_vaultd_up(t, procs);
	assert_killed(t);
	assert_audited(t, NULL, "call.time");
	/* netd's kill as any watchdog's: peer_stalled, key id "call" */
	assert_audited(t, "netd", "peer_stalled");
	assert_vault_unchanged(t);
}

/* The harness can get an allowed call's headers: apikey list, as netd. */
static int
setup_well_behaved(void **state)
{
	return setup_with(state,
	    "sign L2 GET /auth/api-keys 0\n"
	    "answer 200 none 0 - 0 {\"apiKeys\":[]}\n", NULL);
}

static void
test_well_behaved(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		*log;

	assert_int_equal(CTL(t, NULL, "apikey list --account " ACCOUNT), 0);
	log = fake_log(t);
	if (strstr(log, "-> MSG_NET_SIGN_ANS headers=") == NULL ||
	    strstr(log, "OPENFISH_API_KEY") == NULL ||
	    strstr(log, "OPENFISH_SIGNATURE") == NULL)
		fail_msg("no L2 headers for the allowed step:\n%s", log);
	/* names only: the fake logs no secret */
	assert_true(strstr(log, API_PASS) == NULL);
	free(log);
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(procs[2].restarts, 0);
	assert_vault_unchanged(t);
}

/* Plain http to a remote host: refused by vaultctl and by vaultd. */
static int
setup_plain(void **state)
{
	return setup_with(state, "", NULL);
}

/* As setup_plain, with a control client's idle time-out of 1 s. */
static int
setup_idle(void **state)
{
	int	r;

	start_idle = "1";
	r = setup_with(state, "", NULL);
	start_idle = NULL;
	return r;
}

static void
test_url_refused(void **state)
{
	static const char *const bad[] = {
		"http://127.0.0.1.evil.com/", "http://localhost.evil.com",
		"http://localhost./",
	};
	struct ht	*t = *state;
	struct chan	 c;
	struct msg_w	 w;
	struct msg	 m;
	char		 json[200];
	int64_t		 code;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(CTL(t, NULL, "account add B --profile "
		    "openfish --url %s", bad[i]), 1);
		has(t, "vaultctl: account add: ");
		has(t, "the URL must be https:// (plain http only to "
		    "127.0.0.1 or localhost)");

		/* vaultd's own check, without vaultctl's */
		snprintf(json, sizeof(json), "{\"profile\":\"openfish\","
		    "\"url\":\"%s\"}", bad[i]);
		assert_int_equal(it_connect(&t->it, &c), 0);
		msg_begin(&w, MSG_CTL_PUT_REQ, 7);
		msg_put_u64(&w, 1);		/* VAULT_REC_ACCOUNT */
		msg_put_str(&w, "B");
		msg_put_str(&w, "");
		msg_put_u64(&w, 0);
		msg_put_bin(&w, json, strlen(json));
		msg_put_bin(&w, "", 0);		/* no credential */
		msg_put_bool(&w, 0);
		assert_int_equal(chan_send(&c, &w), 0);
		assert_int_equal(chan_recv(&c, &m), 0);
		assert_int_equal(m.type, MSG_ERROR_ANS);
		assert_int_equal(msg_get_i64(&m.rd, &code), 0);
		assert_int_equal(code, CV_ERR_INVALID);
		msg_clear(&m);
		chan_free(&c);
	}
	assert_int_equal(CTL(t, NULL, "account list"), 0);
	assert_true(strstr(t->out, "evil") == NULL);
	assert_int_equal(CTL(t, NULL, "account add B --profile openfish "
	    "--url http://127.0.0.1:8443/"), 0);
}

/* A raw connection to the control socket, no handshake; its fd. */
static int
raw_connect(struct ht *t)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", t->it.sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		fail_msg("socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("connect %s", sun.sun_path);
	return fd;
}

/* 1 if vaultd closed fd within ms (end of file, or reset). */
static int
closed_within(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		c;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	return read(fd, &c, 1) <= 0;
}

/*
 * A local process on the control socket: connections that never shake
 * hands are dropped after the handshake deadline, and one process holds
 * at most 8; neither locks the operator out.
 */
static void
test_control_squatter(void **state)
{
	struct ht	*t = *state;
	int		 fds[9], i;

	for (i = 0; i < 9; i++)
		fds[i] = raw_connect(t);
	/* the ninth of one process is refused at once */
	assert_true(closed_within(fds[8], 2000));
	/* the operator is served meanwhile (another process) */
	assert_int_equal(CTL(t, NULL, "status"), 0);
	/* the other eight go at the 5 s handshake deadline, not before */
	assert_false(closed_within(fds[0], 3000));
	for (i = 0; i < 8; i++)
		assert_true(closed_within(fds[i], 4000));
	for (i = 0; i < 9; i++)
		close(fds[i]);
	assert_true(it_log_has(&t->it, "no handshake within 5000 ms"));
}

/*
 * Denied requests from one client are budgeted: 50, then the client is
 * dropped; each denial it got an answer for is on the audit log.
 */
static void
test_control_denial_budget(void **state)
{
	struct ht	*t = *state;
	struct chan	 c;
	struct msg_w	 w;
	struct msg	 m;
	char		 text[64];
	int		 i, denied = 0, code, r;

	/* vaultd may hang up while the last ones are sent: EPIPE, no death */
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(it_connect(&t->it, &c), 0);
	for (i = 0; i < 80; i++) {
		it_headers_req(&w, (uint32_t)(100 + i), ACCOUNT, 2, "get",
		    "/auth/api-keys");
		if (chan_send(&c, &w) != 0)
			break;
	}
	while ((r = chan_recv(&c, &m)) == 0) {
		assert_int_equal(m.type, MSG_ERROR_ANS);
		assert_int_equal(msg_get_error(&m, &code, text, sizeof(text)),
		    0);
		assert_int_equal(code, CV_ERR_DENIED);
		denied++;
		msg_clear(&m);
	}
	chan_free(&c);
	/* the budget, plus the one that found it empty */
	assert_int_equal(denied, 51);
	assert_true(it_log_has(&t->it, "too many denied requests; "
	    "disconnecting"));
	assert_int_equal(CTL(t, NULL, "audit show --tail 100000"), 0);
	for (i = 0, r = 0; (size_t)i < strlen(t->out); i++)
		if (strncmp(t->out + i, "\tsign\t!%67%65%74\t/auth/api-keys"
		    "\tdeny\t", 32) == 0)
			r++;
	assert_int_equal(r, 51);
}

/*
 * A client that sends requests and reads none of the answers: once
 * VAULTD_CLIENT_QUEUE of them wait, vaultd reads no more of its requests
 * (its sends stop going through), so vaultd's memory stays bounded; it
 * serves another client meanwhile; and once the client reads, every
 * answer comes, in order.  Before, vaultd read on and queued every
 * answer (up to MSG_MAX_QUEUE, 48 MiB, then it dropped the client).
 */
#define STALL_REQS	200000	/* of 115 bytes: 23 MiB of answers */
#define STALL_BATCH	1000

static void
stall_queue(struct chan *c, uint32_t *sent)
{
	struct msg_w	w;
	int		i;

	for (i = 0; i < STALL_BATCH && *sent < STALL_REQS; i++) {
		msg_begin(&w, MSG_CTL_STATUS_REQ, 10 + (*sent)++);
		assert_int_equal(chan_queue(c, &w), 0);
	}
}

/*
 * On c, made non-blocking: status requests sent and no answer read,
 * until vaultd has taken nothing for 500 ms (it stopped reading them);
 * how many were sent.
 */
static uint32_t
stall_send(struct chan *c)
{
	uint32_t	sent = 0;
	size_t		before;
	int64_t		quiet;
	int		r;

	assert_int_equal(fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) |
	    O_NONBLOCK), 0);
	for (quiet = it_ms(); it_ms() - quiet < 500; ) {
		if (!chan_pending(c) && sent < STALL_REQS)
			stall_queue(c, &sent);
		before = chan_unwritten(c);
		r = chan_flush(c);
		if (r != 0 && r != CV_ERR_AGAIN)
			fail_msg("vaultd dropped the client after %u requests",
			    sent);
		if (chan_unwritten(c) < before)
			quiet = it_ms();
		else
			it_sleep_ms(5);
	}
	assert_true(chan_pending(c));		/* it stopped reading */
	return sent;
}

static void
test_control_stalled(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 p[3];
	struct chan	 c;
	struct msg	 m;
	struct pollfd	 pfd;
	uint32_t	 sent, got = 0;
	int64_t		 start;
	long		 rss0, rss;
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	assert_true((rss0 = it_proc_field((uint64_t)t->it.vaultd,
	    "VmRSS")) > 0);
	assert_int_equal(it_connect(&t->it, &c), 0);
	sent = stall_send(&c);
	rss = it_proc_field((uint64_t)t->it.vaultd, "VmRSS");
	/* under AddressSanitizer its quarantine keeps what is freed */
	if (!UNDER_ASAN && rss - rss0 >= 8 * 1024)
		fail_msg("vaultd grew from %ld to %ld KiB", rss0, rss);
	/* another client is served meanwhile */
	assert_int_equal(it_status(&t->it, p), 0);
	assert_string_equal(p[0].name, "vaultd");
	/* the client reads: every answer comes, in order */
	for (start = it_ms(); got < STALL_REQS; ) {
		assert_true(it_ms() - start < 120000);
		if (!chan_pending(&c) && sent < STALL_REQS)
			stall_queue(&c, &sent);
		r = chan_flush(&c);
		assert_true(r == 0 || r == CV_ERR_AGAIN);
		pfd.fd = c.fd;
		pfd.events = POLLIN | (chan_pending(&c) ? POLLOUT : 0);
		if (poll(&pfd, 1, 1000) <= 0 || !(pfd.revents & POLLIN))
			continue;
		r = chan_fill(&c);
		assert_true(r == 0 || r == CV_ERR_AGAIN);
		while ((r = chan_next(&c, &m)) == 0) {
			if (m.type != MSG_CTL_STATUS_ANS || m.id != 10 + got)
				fail_msg("answer %u: type %u id %u", got,
				    m.type, m.id);
			got++;
			msg_clear(&m);
		}
		assert_int_equal(r, CV_ERR_AGAIN);
	}
	chan_free(&c);
	assert_false(it_log_has(&t->it, "disconnecting"));
}

/* Send one status request on c, whole (it is small). */
static void
status_send(struct chan *c, uint32_t id)
{
	struct msg_w	w;
	int		r;

	msg_begin(&w, MSG_CTL_STATUS_REQ, id);
	assert_int_equal(chan_queue(c, &w), 0);
	while ((r = chan_flush(c)) == CV_ERR_AGAIN)
		it_sleep_ms(1);
	assert_int_equal(r, 0);
}

/* What waits to be read on fd once it is more than had, or after ms. */
static int
unread_after(int fd, int had, int ms)
{
	int64_t	start = it_ms();
	int	n = 0;

	for (;;) {
		assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
		if (n > had || it_ms() - start >= ms)
			return n;
		it_sleep_ms(2);
	}
}

/*
 * The stall time-out counts from when the answers were queued: a
 * client whose socket buffer is full, vaultd's queue for it empty, that
 * sends a request after a long poll (here 0.8 s, under the idle
 * time-out of 1 s, -I) keeps its connection for 1 s after that request.
 * Before, the time-out counted from the last turn that saw nothing
 * queued, before that poll: the client was cut 0.2 s or so after its
 * request.  An attempt that the machine made too slow to tell (the
 * client cut as idle, or the check later than 1 s after the request)
 * is made again; five such, and the test is skipped.
 */
static void
test_control_stall_queued(void **state)
{
	struct ht	*t = *state;
	struct chan	 c, poke;
	char		 want[160], idle[160], buf[4096];
	uint32_t	 id = 10;
	int64_t		 sent, checked;
	int		 had, n, full, one = 0, attempt, i, cut;

	signal(SIGPIPE, SIG_IGN);
	snprintf(want, sizeof(want), "control client pid %ld has read none "
	    "of its answers for 1 s (", (long)getpid());
	snprintf(idle, sizeof(idle), "control client pid %ld idle for 1 s; "
	    "disconnecting\n", (long)getpid());
	for (attempt = 0; attempt < 5; attempt++) {
		assert_false(it_log_has(&t->it, want));
		assert_int_equal(it_connect(&t->it, &c), 0);
		/* one request at a time, until an answer no longer fits */
		for (i = 0, had = 0; ; i++) {
			assert_true(i < 20000);
			status_send(&c, id++);
			n = unread_after(c.fd, had, 150);
			if (n == had)
				break;
			if (one == 0)
				one = n - had;		/* one answer's size */
			had = n;
		}
		/*
		 * One answer read, and a turn of vaultd's loop (another
		 * client's handshake; a socket this full does not poll
		 * writable): the answer waiting goes, the buffer is full.
		 */
		assert_true(one > 0 && one <= (int)sizeof(buf));
		assert_int_equal(read(c.fd, buf, (size_t)one), one);
		assert_int_equal(it_connect(&t->it, &poke), 0);
		chan_free(&poke);
		full = unread_after(c.fd, had - one, 1000);
		assert_true(full > had - one);	/* sizes vary by a byte or two */
		/* a long poll, then a request whose answer does not fit */
		it_sleep_ms(650);
		sent = it_ms();		/* vaultd queues its answer later */
		status_send(&c, id++);
		it_sleep_ms(500);
		cut = it_log_has(&t->it, want);
		checked = it_ms();
		if (it_log_has(&t->it, idle) || checked - sent >= 1000) {
			chan_free(&c);
			print_message("attempt %d: too slow to tell\n",
			    attempt);
			for (i = 0; i < 100 && !it_log_has(&t->it, want) &&
			    !it_log_has(&t->it, idle); i++)
				it_sleep_ms(20);
			it_write(t->it.log, "", 0600);	/* a log afresh */
			continue;
		}
		if (cut)
			fail_msg("cut %lld ms or less after its request",
			    (long long)(checked - sent));
		/* and cut, 1 s after it */
		for (i = 0; i < 250 && !it_log_has(&t->it, want); i++)
			it_sleep_ms(20);
		assert_true(it_log_has(&t->it, want));
		chan_free(&c);
		return;
	}
	/* a machine this loaded can tell nothing either way */
	print_message("the machine was too slow for this test 5 times\n");
	skip();
}

/*
 * The client of test_control_stalled, had it never read: with its
 * answers waiting and none of them read for the idle time-out (1 s
 * here, -I), vaultd disconnects it and says so, as it does a client
 * idle that long with nothing in flight.  Before, its unread answers
 * counted as work in flight, and it kept the connection (and a MiB of
 * vaultd's memory) for good.
 */
static void
test_control_stalled_idle(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 p[3];
	struct chan	 c, idle;
	struct msg	 m;
	struct pollfd	 pfd;
	uint32_t	 sent, got = 0;
	int64_t		 start;
	char		 want[160], cmd[400];
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(it_connect(&t->it, &c), 0);
	sent = stall_send(&c);
	/* not before the time-out */
	snprintf(want, sizeof(want), "control client pid %ld has read none "
	    "of its answers for 1 s (", (long)getpid());
	assert_false(it_log_has(&t->it, want));
	for (start = it_ms(); !it_log_has(&t->it, want); it_sleep_ms(20))
		if (it_ms() - start > 5000)
			fail_msg("the stalled client is still connected");
	assert_true(it_log_has(&t->it, " bytes wait); disconnecting\n"));
	/* what was sent before comes, then the end: not every answer */
	for (start = it_ms(); ; ) {
		assert_true(it_ms() - start < 10000);
		pfd.fd = c.fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((r = chan_fill(&c)) == CV_ERR_AGAIN)
			continue;
		while (r == 0 && chan_next(&c, &m) == 0) {
			assert_int_equal(m.type, MSG_CTL_STATUS_ANS);
			assert_int_equal(m.id, 10 + got);
			got++;
			msg_clear(&m);
		}
		if (r != 0)
			break;
	}
	assert_true(r == CV_ERR_EOF || r == CV_ERR_IO);
	assert_true(got < sent);
	chan_free(&c);
	/* vaultd serves on */
	assert_int_equal(it_status(&t->it, p), 0);
	assert_string_equal(p[0].name, "vaultd");

	/* and -I is the idle rule's time-out too */
	assert_int_equal(it_connect(&t->it, &idle), 0);
	snprintf(want, sizeof(want), "control client pid %ld idle for 1 s; "
	    "disconnecting\n", (long)getpid());
	for (start = it_ms(); !it_log_has(&t->it, want); it_sleep_ms(20))
		if (it_ms() - start > 5000)
			fail_msg("the idle client is still connected");
	assert_int_equal(chan_fill(&idle), CV_ERR_EOF);
	chan_free(&idle);

	/* a test knob: refused without -T, and bounded */
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f -I 1 2>&1", t->it.build);
	assert_int_equal(it_run(t->out, sizeof(t->out), cmd), 1);
	has(t, ": fatal: -I is for tests: it needs -T\n");
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f -T -I 0 2>&1", t->it.build);
	assert_int_equal(it_run(t->out, sizeof(t->out), cmd), 2);
	has(t, "  -I secs  test mode: a control client's idle time-out\n");
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f -T -I 3601 2>&1",
	    t->it.build);
	assert_int_equal(it_run(t->out, sizeof(t->out), cmd), 2);
}

/* The fake, holding netd's start until told (t->dir/netd.go). */
static int
setup_hold(void **state)
{
	struct ht	*t = &ht;

	memset(t, 0, sizeof(*t));
	it_init(&t->it);
	*state = t;
	install_fake(t, "hold\n");
	return 0;
}

/*
 * A start that made its home and then cannot give it to the socket
 * group, once ready (the home opened to others meanwhile), is refused
 * and takes the home away, as any start refused before it is ready.
 * Before, that failure came after the loop began, when what the start
 * made counted as the home's: the new home stayed.
 */
static void
test_give_failed_made(void **state)
{
	struct ht	*t = *state;
	struct group	*gr;
	struct stat	 st;
	char		 home[160], sock[200], go[200], path[400], name[64];
	int		 i, status;

	if (geteuid() != 0) {
		print_message("skipped: a group of its own needs root\n");
		skip();
	}
	name[0] = '\0';
	setgrent();
	while ((gr = getgrent()) != NULL)
		if (gr->gr_gid != 0 && gr->gr_gid != getgid() &&
		    strlen(gr->gr_name) < sizeof(name)) {
			snprintf(name, sizeof(name), "%s", gr->gr_name);
			break;
		}
	endgrent();
	if (name[0] == '\0') {
		print_message("skipped: no group but root's\n");
		skip();
	}
	snprintf(home, sizeof(home), "%s/new", t->it.home);
	snprintf(sock, sizeof(sock), "%s/run/control.sock", home);
	snprintf(go, sizeof(go), "%s/netd.go", t->dir);
	snprintf(path, sizeof(path), "%s/vaultd", t->it.build);
	if ((t->it.vaultd = fork()) == 0) {
		int	fd = open(t->it.log, O_WRONLY | O_CREAT | O_APPEND,
		    0600);

		if (fd == -1)
			_exit(126);
		dup2(fd, STDERR_FILENO);
		setenv("CLOBVAULT_HOME", home, 1);
		execl(path, "vaultd", "-f", "-T", "-N", t->exe, "-g", name,
		    (char *)NULL);
		_exit(127);
	}
	assert_true(t->it.vaultd > 0);
	for (i = 0; i < 500 && lstat(sock, &st) == -1; i++)
		it_sleep_ms(10);
	assert_int_equal(lstat(sock, &st), 0);
	/* not ready (netd holds): the home is still ours alone, 0700 */
	assert_int_equal(lstat(home, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(chmod(home, 0750), 0);
	it_write(go, "", 0600);
	assert_int_equal(waitpid(t->it.vaultd, &status, 0), t->it.vaultd);
	t->it.vaultd = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	snprintf(path, sizeof(path), "warning: %s is open to other users "
	    "(mode 750); fix it with: chmod 710 %s\n", home, home);
	assert_true(it_log_has(&t->it, path));
	assert_int_equal(lstat(home, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* Run vaultctl status as uid (-1: ourselves); its wait status. */
static int
ctl_status_as(struct ht *t, uid_t uid, gid_t gid)
{
	char	path[300];
	int	st, fd;
	pid_t	pid;

	snprintf(path, sizeof(path), "%s/vaultctl", t->it.build);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (uid != (uid_t)-1 && (setgroups(0, NULL) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid(uid, uid, uid) == -1))
			_exit(125);
		execl(path, "vaultctl", "status", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/*
 * A process that holds as many control connections as vaultd gives it
 * until go closes; it writes how many to got.
 */
static pid_t
hold_clients(struct ht *t, int got, int go, int go_w)
{
	struct chan	c[64];
	char		x;
	pid_t		pid;
	int		n = 0;

	if ((pid = fork()) != 0)
		return pid;
	close(go_w);			/* EOF on go: the parent closed it */
	signal(SIGPIPE, SIG_IGN);	/* a refused hello may hit EPIPE */
	while (n < 64 && it_connect(&t->it, &c[n]) == 0)
		n++;
	(void)!write(got, &n, sizeof(n));
	(void)!read(go, &x, 1);		/* until the test is done */
	_exit(0);
}

/*
 * vaultd refuses a client past its limits (per process, then in all):
 * vaultctl says so and exits 1 (failed), not 3 (vaultd not running: it
 * is) nor 141 (SIGPIPE).
 */
static void
test_refused_too_many(void **state)
{
	struct ht	*t = *state;
	pid_t		 holders[64];
	int		 got[2], go[2], n, first = -1, nh = 0, i, st;

	assert_int_equal(pipe(got), 0);
	assert_int_equal(pipe(go), 0);
	/* fill vaultd's table: holders until one gets fewer than the first */
	while (nh < 64) {
		holders[nh++] = hold_clients(t, got[1], go[0], go[1]);
		assert_int_equal(read(got[0], &n, sizeof(n)), sizeof(n));
		if (first == -1)
			first = n;
		assert_true(first > 0);
		if (n < first)
			break;
	}
	assert_true(nh < 64);
	st = ctl_status_as(t, (uid_t)-1, 0);
	assert_true(WIFEXITED(st));		/* not SIGPIPE */
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_int_equal(CTL(t, NULL, "status"), 1);
	has(t, "vaultctl: status: vaultd refused the connection: too many "
	    "clients, or this user is not allowed (see vaultd.log)\n");
	assert_int_equal(CTL(t, NULL, "--json status"), 1);
	has(t, "\"code\": -4,");
	has(t, "\"exit\": 1,");
	has(t, "\"reason\": \"peer closed the connection\"");
	close(go[1]);
	for (i = 0; i < nh; i++)
		waitpid(holders[i], NULL, 0);
	close(go[0]);
	close(got[0]);
	close(got[1]);
	/* and served again once they are gone */
	for (i = 0; i < 50 && CTL(t, NULL, "status") != 0; i++)
		it_sleep_ms(20);
	assert_int_equal(CTL(t, NULL, "status"), 0);
}

/*
 * A client of another uid is refused: vaultctl as nobody, once the
 * socket is reachable for it (the test opens the way; vaultd's uid
 * check is what remains).  Root only.
 */
static void
test_refused_uid(void **state)
{
	struct ht	*t = *state;
	struct passwd	*pw;
	char		 run[128];
	int		 st;

	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL)
		skip();
	snprintf(run, sizeof(run), "%s/run", t->it.home);
	assert_int_equal(chmod(t->it.home, 0711), 0);
	assert_int_equal(chmod(run, 0711), 0);
	assert_int_equal(chmod(t->it.sock, 0666), 0);
	st = ctl_status_as(t, pw->pw_uid, pw->pw_gid);
	chmod(t->it.sock, 0600);
	chmod(run, 0700);
	chmod(t->it.home, 0700);
	assert_true(WIFEXITED(st));		/* not SIGPIPE (141) */
	assert_int_equal(WEXITSTATUS(st), 1);	/* refused, not "not running" */
	snprintf(run, sizeof(run), "uid %u", (unsigned)pw->pw_uid);
	assert_true(it_log_has(&t->it, run));
}

/*
 * Omnia: an account of profile omnia holding two keys, OKEY1 (active)
 * and OKEY2, with their permissions.  Remembers the key listing and the
 * vault file's bytes to compare.
 */
static int
setup_omnia(void **state, const char *scenario)
{
	struct ht	*t = &ht;
	char		 path[128];

	memset(t, 0, sizeof(*t));
	it_init(&t->it);
	*state = t;
	install_fake(t, scenario);
	snprintf(t->pass, sizeof(t->pass), "%.60s/pass", t->dir);
	it_write(t->pass, PASSPHRASE "\n", 0600);
	if (start_vaultd(t, NULL, 1) != 0) {
		fprintf(stderr, "vaultd did not start with the fake netd; "
		    "see %s\n", t->it.log);
		return -1;
	}
	if (CTL(t, NULL, "init --passphrase-file %s --kdf min", t->pass) != 0 ||
	    CTL(t, NULL, "account add " OMNIA " --profile omnia --url "
	    "http://127.0.0.1:1") != 0 ||
	    CTL(t, "{\"apiKeyId\":\"" OKEY1 "\",\"apiKeySecret\":\"" OSECRET1
	    "\",\"permissions\":" OPERMS "}", "apikey import --account "
	    OMNIA) != 0 ||
	    CTL(t, "{\"apiKeyId\":\"" OKEY2 "\",\"apiKeySecret\":\"" OSECRET2
	    "\",\"permissions\":" OPERMS "}", "apikey import --account "
	    OMNIA) != 0) {
		fprintf(stderr, "vault set-up failed: %s\n", t->out);
		return -1;
	}
	if (CTL(t, NULL, "--json keys list") != 0)
		return -1;
	snprintf(t->jkeys, sizeof(t->jkeys), "%.8000s", t->out);
	snprintf(path, sizeof(path), "%.60s/vault", t->it.home);
	if ((t->vault = it_slurp(path, &t->vaultlen)) == NULL)
		return -1;
	return 0;
}

/*
 * 1 if two vault files hold the same records, sealed the same: equal
 * but for the generation and the audit anchor (bytes 132..179), which
 * every audit checkpoint rewrites, and what covers them (the header
 * checksum at 184..199, the MAC in the last 32 bytes); see
 * common/vault_fmt.h.
 */
static int
vault_same(const char *a, const char *b, size_t len)
{
	return len > 232 && memcmp(a, b, 132) == 0 &&
	    memcmp(a + 180, b + 180, 4) == 0 &&
	    memcmp(a + 200, b + 200, len - 232) == 0;
}

/* Nothing changed in the vault: the same listing, the same records. */
static void
assert_omnia_unchanged(struct ht *t)
{
	char	 path[128];
	char	*now;
	size_t	 len = 0, i;

	assert_int_equal(CTL(t, NULL, "--json keys list"), 0);
	if (strcmp(t->out, t->jkeys) != 0)
		fail_msg("the vault's keys changed:\nbefore %s\nafter %s",
		    t->jkeys, t->out);
	has(t, OKEY1);
	has(t, OKEY2);
	assert_true(strstr(t->out, FORGED_KEY) == NULL);
	snprintf(path, sizeof(path), "%.60s/vault", t->it.home);
	assert_non_null(now = it_slurp(path, &len));
	if (len != t->vaultlen || !vault_same(now, t->vault, len)) {
		for (i = 200; i < len && i < t->vaultlen &&
		    now[i] == t->vault[i]; i++)
			;
		fail_msg("the vault file changed (%zu bytes, was %zu; its "
		    "records first at byte %zu)", len, t->vaultlen, i);
	}
	free(now);
}

/*
 * Audit records whose fields are exactly these (NULL: any).  Fields:
 * seq time actor account op method path verdict ...
 */
static int
audit_count(struct ht *t, const char *actor, const char *op,
    const char *method, const char *path, const char *verdict)
{
	const char	*want[8] = { NULL, NULL, actor, NULL, op, method, path,
			    verdict };
	char		*line, *save = NULL, *f[8], *copy;
	int		 i, count = 0;

	if (CTL(t, NULL, "audit show --tail 100000") != 0)
		fail_msg("audit show failed: %s", t->out);
	if ((copy = strdup(t->out)) == NULL)
		abort();
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (tab_fields(line, f, 8) < 8)
			continue;
		for (i = 0; i < 8; i++)
			if (want[i] != NULL && strcmp(f[i], want[i]) != 0)
				break;
		count += i == 8;
	}
	free(copy);
	return count;
}

/*
 * The rule and digest (key_id, gen, digest: what follows the verdict)
 * of the one sign record of actor and verdict, into out.
 */
static void
audit_sign_tail(struct ht *t, const char *actor, const char *verdict,
    char *out, size_t outlen)
{
	char	*line, *save = NULL, *f[11], *copy;
	int	 found = 0;

	if (CTL(t, NULL, "audit show --tail 100000") != 0)
		fail_msg("audit show failed: %s", t->out);
	if ((copy = strdup(t->out)) == NULL)
		abort();
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (tab_fields(line, f, 11) < 11 || strcmp(f[2], actor) != 0 ||
		    strcmp(f[4], "sign") != 0 || strcmp(f[7], verdict) != 0)
			continue;
		snprintf(out, outlen, "%s %s %s", f[8], f[9], f[10]);
		found++;
	}
	free(copy);
	if (found != 1)
		fail_msg("%d sign records of %s %s", found, actor, verdict);
}

/* Lines of the fake's log that contain s. */
static int
fake_log_count(struct ht *t, const char *s)
{
	char		*log = fake_log(t);
	const char	*p;
	int		 n = 0;

	for (p = log; (p = strstr(p, s)) != NULL; p += strlen(s))
		n++;
	free(log);
	return n;
}

/* The token request the fake made first: admitted, its body sealed. */
static void
assert_token_sealed(struct ht *t)
{
	char	*log = fake_log(t);
	char	*p;

	p = strstr(log, "path=/v3/auth/token nonce=0 body=32\n  -> ");
	if (p == NULL || strncmp(strchr(p, '>') + 2, "MSG_NET_SIGN_ANS "
	    "headers= body=", 31) != 0 ||
	    strncmp(strchr(p, '>') + 2 + 31, "0\n", 2) == 0)
		fail_msg("no sealed token request body for the fake:\n%s",
		    log);
	/* the fake holds no secret: it never opens the box */
	assert_true(strstr(log, OSECRET1) == NULL);
	assert_true(strstr(log, OSECRET2) == NULL);
	free(log);
}

/*
 * A forged answer: vaultctl exits 11 naming it (why; NULL: whatever it
 * says), the call is audited forged, netd is killed and restarted, the
 * vault's records are unchanged.
 */
static void
omnia_forged(struct ht *t, const char *args, const char *what,
    const char *call, const char *why)
{
	struct it_proc	 procs[3];
	char		 want[512], op[64];
	int		 r;

	r = CTL(t, NULL, "%s", args);
	if (r != 11)
		fail_msg("%s: exit %d, not 11: %s", args, r, t->out);
	if (why != NULL)
		snprintf(want, sizeof(want), "vaultctl: %s: netd answered with "
		    "%s; nothing was changed in the vault and netd was "
		    "restarted\n", what, why);
	else
		snprintf(want, sizeof(want), "; nothing was changed in the "
		    "vault and netd was restarted\n");
	has(t, want);
	assert_true(fake_log_has(t, "answer id="));
	assert_token_sealed(t);
	assert_vaultd_up(t, procs);
	assert_killed(t);
	snprintf(want, sizeof(want), "netd answered %s with %s", call,
	    why != NULL ? why : "");
	assert_true(it_log_has(&t->it, want));
	snprintf(op, sizeof(op), "call.%s", call);
	assert_int_equal(audit_count(t, NULL, op, NULL, NULL, "forged"), 1);
	assert_int_equal(audit_count(t, NULL, op, NULL, NULL, "ok"), 0);
	assert_int_equal(audit_count(t, "netd", "peer_refused", NULL, NULL,
	    "killed"), 1);
	assert_omnia_unchanged(t);
	/* and the vault still serves: the next call is not refused */
	assert_int_equal(CTL(t, NULL, "account list"), 0);
}

/*
 * A bearer signing request outside the call: denied and audited, netd
 * killed mid-call (vaultctl: exit 9, transport), nothing changed.
 * admitted: how many of the fake's requests were signed before it; why:
 * vaultd's reason in its log (NULL: any).
 */
static void
omnia_sign_refused(struct ht *t, const char *args, const char *what,
    const char *call, const char *method, const char *path,
    const char *why, int admitted)
{
	struct it_proc	 procs[3];
	char		 want[512], op[64];
	int		 r;

	r = CTL(t, NULL, "%s", args);
	if (r != 9)
		fail_msg("%s: exit %d, not 9: %s", args, r, t->out);
	snprintf(want, sizeof(want), "vaultctl: %s: netd stopped during the "
	    "call; whether the exchange acted is unknown\n", what);
	has(t, want);
	assert_vaultd_up(t, procs);
	assert_killed(t);
	if (fake_log_count(t, "-> MSG_NET_SIGN_ANS") != admitted)
		fail_msg("not %d signed for the fake:\n%s", admitted,
		    fake_log(t));
	if (admitted > 0)
		assert_token_sealed(t);
	assert_int_equal(fake_log_count(t, "-> MSG_ERROR_ANS"), 0);
	assert_false(fake_log_has(t, "answer id="));
	snprintf(want, sizeof(want), "netd asked for a signature outside %s: "
	    "%s", call, why != NULL ? why : "");
	if (!it_log_has(&t->it, want))
		fail_msg("vaultd.log lacks \"%s\"", want);
	assert_int_equal(audit_count(t, "netd", "sign", method, path,
	    "deny"), 1);
	assert_int_equal(audit_count(t, "netd", "sign", NULL, NULL, "allow"),
	    admitted);
	assert_int_equal(audit_count(t, "netd", "peer_refused", NULL, NULL,
	    "killed"), 1);
	snprintf(op, sizeof(op), "call.%s", call);
	assert_int_equal(audit_count(t, NULL, op, NULL, NULL, "fail"), 1);
	assert_omnia_unchanged(t);
	assert_int_equal(CTL(t, NULL, "account list"), 0);
}

/*
 * The fake's late answers (to a sign-nowait): wait until it has logged
 * n of them, or 10 s.
 */
static void
wait_late(struct ht *t, int n)
{
	int64_t	start = it_ms();

	while (fake_log_count(t, "late MSG_") < n) {
		if (it_ms() - start > 10000)
			fail_msg("no late answer for the fake:\n%s",
			    fake_log(t));
		it_sleep_ms(20);
	}
}

#define LATE_LIST	"sign-nowait L2 GET /auth/api-keys 0\n" \
			    "answer 200 none api - 0\n"

/*
 * A step asked for and the call answered at once, before its
 * signature: the signature, made after the call is over, is not the
 * call's and is not handed to netd.
 */
static int
setup_late_sign(void **state)
{
	return setup_with(state, LATE_LIST, NULL);
}

static void
test_late_sign(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		 allow[256], withheld[256];

	assert_int_equal(CTL(t, NULL, "apikey list --account " ACCOUNT), 0);
	wait_late(t, 1);
	assert_nothing_signed(t);
	assert_true(fake_log_has(t, "late MSG_ERROR_ANS id=1 code=-30 "
	    "text=the call this signature was for is over\n"));
	assert_vaultd_up(t, procs);
	assert_int_equal(audit_count(t, NULL, "call.apikey.list", NULL, NULL,
	    "ok"), 1);
	/* the signature made and not sent is on the log, paired with
	 * the verdict that admitted it */
	assert_int_equal(audit_count(t, "netd", "sign", "GET",
	    "/auth/api-keys", "allow"), 1);
	assert_int_equal(audit_count(t, "vaultd", "sign", "GET",
	    "/auth/api-keys", "withheld"), 1);
	audit_sign_tail(t, "netd", "allow", allow, sizeof(allow));
	audit_sign_tail(t, "vaultd", "withheld", withheld, sizeof(withheld));
	assert_string_equal(withheld, allow);
	assert_vault_unchanged(t);
}

/*
 * A step held for approval, and the call answered meanwhile: the held
 * request is no longer the call's.  It is cancelled (on the audit log)
 * before any approver can grant it, and nothing is signed.
 */
static int
setup_late_held(void **state)
{
	struct ht	*t;
	char		 key[128], policy[128], text[1024];

	if (setup_with(state, LATE_LIST, NULL) != 0)
		return -1;
	t = *state;
	snprintf(key, sizeof(key), "%.60s/alice", t->dir);
	snprintf(policy, sizeof(policy), "%.60s/policy", t->dir);
	if (CTL(t, NULL, "approver keygen %s", key) != 0)
		return -1;
	snprintf(text, sizeof(text), "approver alice \"%.64s\"\n"
	    "allow operator catalog label default\n"
	    "approve 1 of { alice } operator method GET label held\n",
	    t->out);
	it_write(policy, text, 0600);
	return CTL(t, NULL, "policy apply %s --passphrase-file %s", policy,
	    t->pass) != 0 ? -1 : 0;
}

static void
test_late_held(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_equal(CTL(t, NULL, "apikey list --account " ACCOUNT), 0);
	/* nothing waits for an approver once the call is over */
	assert_int_equal(CTL(t, NULL, "--json approve list"), 0);
	if (strstr(t->out, "\"pending\": []") == NULL)
		fail_msg("a step of a finished call waits for approval: %s",
		    t->out);
	assert_nothing_signed(t);
	assert_vaultd_up(t, procs);
	assert_int_equal(audit_count(t, "netd", "sign", "GET",
	    "/auth/api-keys", "held"), 1);
	assert_int_equal(audit_count(t, "netd", "sign", "GET",
	    "/auth/api-keys", "cancelled"), 1);
	assert_vault_unchanged(t);
}

#define O_TOKEN		"sign bearer POST /v3/auth/token 0 @boxkey\n"
#define O_ROTATE1	"sign bearer POST /v3/api-keys/" OKEY1 "/rotate 0\n"
#define O_CREATE	"sign bearer POST /v3/api-keys 0 " \
			    "{\"label\":\"bot\",\"permissions\":[\"trade\"]}\n"
#define ROTATE1		"apikey rotate --account " OMNIA " --key-id " OKEY1
#define CREATE		"apikey create --account " OMNIA " --label bot " \
			    "--permission trade"
#define LIST		"apikey list --account " OMNIA

/* The harness's control: a rotation as netd makes it is stored. */
static int
setup_o_rotate_ok(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " OKEY1 " " NEW_SECRET " -\n"
	    "answer 200 store|replace api " OKEY1 " 0 "
	    "{\"apiKeyId\":\"" OKEY1 "\",\"rotated\":true}\n");
}

static void
test_o_rotate_ok(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];
	char		 path[128];
	char		*now;
	size_t		 len = 0;

	assert_int_equal(CTL(t, NULL, ROTATE1), 0);
	has(t, "vault: replaced the secret of API key " OKEY1);
	assert_token_sealed(t);
	assert_int_equal(fake_log_count(t, "-> MSG_NET_SIGN_ANS"), 2);
	/* the old secret's tokens: wiped at netd */
	assert_true(fake_log_has(t, "forget id="));
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(procs[2].restarts, 0);
	assert_int_equal(audit_count(t, NULL, "call.apikey.rotate", NULL,
	    NULL, "ok"), 1);
	/* the same keys, OKEY1's secret new */
	assert_int_equal(CTL(t, NULL, "--json keys list"), 0);
	has(t, OKEY1);
	has(t, OKEY2);
	assert_string_not_equal(t->out, t->jkeys);
	/* which the comparison of the forged cases would have seen */
	snprintf(path, sizeof(path), "%.60s/vault", t->it.home);
	assert_non_null(now = it_slurp(path, &len));
	assert_true(len != t->vaultlen || !vault_same(now, t->vault, len));
	free(now);
}

/* 1. rotate OKEY1, answered with a store of the other key, OKEY2 */
static int
setup_o_rotate_other(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " OKEY2 " " NEW_SECRET " -\n"
	    "answer 200 store|replace api " OKEY2 " 0\n");
}

static void
test_o_rotate_other(void **state)
{
	omnia_forged(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "a store of another key than the one rotated");
}

/* ... with a store of a key the vault does not hold */
static int
setup_o_rotate_new(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " FORGED_KEY " " NEW_SECRET " -\n"
	    "answer 200 store|replace api " FORGED_KEY " 0\n");
}

static void
test_o_rotate_new(void **state)
{
	omnia_forged(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "a store of another key than the one rotated");
}

/* ... with a replacement and no store */
static int
setup_o_rotate_nostore(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " OKEY1 " " NEW_SECRET " -\n"
	    "answer 200 replace api " OKEY1 " 0\n");
}

static void
test_o_rotate_nostore(void **state)
{
	omnia_forged(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "a replacement without a store");
}

/* ... with a store of the rotated key, not as its replacement */
static int
setup_o_rotate_noreplace(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " OKEY1 " " NEW_SECRET " -\n"
	    "answer 200 store api " OKEY1 " 0\n");
}

static void
test_o_rotate_noreplace(void **state)
{
	omnia_forged(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "a store of another key than the one rotated");
}

/*
 * A rotation answered after the token request alone: the exchange was
 * never asked to rotate, so there is no new secret to store.  A token
 * request is not a step that can change the vault.
 */
static int
setup_o_rotate_unasked(void **state)
{
	return setup_omnia(state, O_TOKEN
	    "seal " OKEY1 " " NEW_SECRET " -\n"
	    "answer 200 store|replace api " OKEY1 " 0\n");
}

static void
test_o_rotate_unasked(void **state)
{
	omnia_forged(*state, ROTATE1, "apikey rotate", "apikey.rotate", NULL);
}

/* ... and a create's */
static int
setup_o_create_unasked(void **state)
{
	return setup_omnia(state, O_TOKEN
	    "seal " FORGED_KEY " " NEW_SECRET " trade\n"
	    "answer 201 store api " FORGED_KEY " 0\n");
}

static void
test_o_create_unasked(void **state)
{
	omnia_forged(*state, CREATE, "apikey create", "apikey.create", NULL);
}

/* 2. create, answered with a store over the calling key, OKEY1 */
static int
setup_o_create_held(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " OKEY1 " " NEW_SECRET " trade\n"
	    "answer 201 store api " OKEY1 " 0\n");
}

/* ... over the other key, OKEY2 */
static int
setup_o_create_held2(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " OKEY2 " " NEW_SECRET " trade\n"
	    "answer 201 store api " OKEY2 " 0\n");
}

/* ... over it as a replacement (create declares none) */
static int
setup_o_create_replace(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " OKEY2 " " NEW_SECRET " trade\n"
	    "answer 201 store|replace api " OKEY2 " 0\n");
}

static void
test_o_create_held(void **state)
{
	omnia_forged(*state, CREATE, "apikey create", "apikey.create",
	    "a store over a key the vault holds");
}

static void
test_o_create_replace(void **state)
{
	omnia_forged(*state, CREATE, "apikey create", "apikey.create",
	    "a vault change this call cannot make");
}

/*
 * A create's answer naming a permission the call did not ask for: the
 * key is not stored, whether netd or the exchange made it so, and the
 * operator is told to remove it.  netd stays: an exchange may answer so.
 */
static int
setup_o_create_more(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " FORGED_KEY " " NEW_SECRET " trade,withdraw\n"
	    "answer 201 store api " FORGED_KEY " 0\n");
}

static void
test_o_create_more(void **state)
{
	struct ht	*t = *state;
	struct it_proc	 procs[3];

	assert_int_equal(CTL(t, NULL, CREATE), 12);
	has(t, "vaultctl: apikey create: the exchange issued API key "
	    FORGED_KEY " with permissions the call did not ask for; the vault "
	    "discarded its secret: remove the key at the exchange (apikey "
	    "list --account " OMNIA " shows it)\n");
	assert_true(fake_log_has(t, "answer id="));
	assert_int_equal(it_status(&t->it, procs), 0);
	assert_int_equal(procs[2].restarts, 0);
	assert_int_equal(audit_count(t, NULL, "call.apikey.create", NULL,
	    NULL, "fail"), 1);
	assert_omnia_unchanged(t);
}

/* ... naming none: the key holds what was asked for */
static int
setup_o_create_none(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " FORGED_KEY " " NEW_SECRET " -\n"
	    "answer 201 store api " FORGED_KEY " 0\n");
}

static void
test_o_create_none(void **state)
{
	struct ht	*t = *state;

	assert_int_equal(CTL(t, NULL, CREATE), 0);
	has(t, "vault: stored API key " FORGED_KEY);
	assert_int_equal(CTL(t, NULL, "keys list"), 0);
	has(t, FORGED_KEY);
	has(t, " permissions trade ");
}

/* A rotation's answer naming permissions: the key keeps its own. */
static int
setup_o_rotate_perms(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1
	    "seal " OKEY1 " " NEW_SECRET " withdraw\n"
	    "answer 200 store|replace api " OKEY1 " 0\n");
}

static void
test_o_rotate_perms(void **state)
{
	struct ht	*t = *state;

	assert_int_not_equal(CTL(t, NULL, ROTATE1), 0);
	has(t, "vaultctl: apikey rotate: the exchange issued API key " OKEY1
	    " but the vault could not store it (");
	/* a key is rotated with its own secret: only a replacement helps */
	has(t, "): its old secret is dead and the new one lost; with another "
	    "key of " OMNIA " that holds enough permissions, apikey use it "
	    "and apikey create a replacement, or make a key at the exchange "
	    "and apikey import it\n");
	assert_true(fake_log_has(t, "answer id="));
	assert_omnia_unchanged(t);
}

/* A create's key the vault refuses: its secret is lost, the key stays. */
static int
setup_o_create_refused(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE
	    "seal " FORGED_KEY " " NEW_SECRET " Trade\n"
	    "answer 201 store api " FORGED_KEY " 0\n");
}

static void
test_o_create_refused(void **state)
{
	struct ht	*t = *state;

	assert_int_not_equal(CTL(t, NULL, CREATE), 0);
	has(t, "vaultctl: apikey create: the exchange issued API key");
	has(t, " but the vault could not store it (");
	has(t, "): its secret is lost; remove the key at the exchange (apikey "
	    "list --account " OMNIA " shows it)\n");
	assert_null(strstr(t->out, "rotate the key again"));
	assert_true(fake_log_has(t, "answer id="));
	assert_omnia_unchanged(t);
}

/* 3. a token request whose body is not a 32-byte box public key */
static int
setup_o_mint_short(void **state)
{
	return setup_omnia(state, "sign bearer POST /v3/auth/token 0 "
	    "0123456789abcdef0123456789abcde\n");
}

static int
setup_o_mint_long(void **state)
{
	return setup_omnia(state, "sign bearer POST /v3/auth/token 0 "
	    "0123456789abcdef0123456789abcdef0\n");
}

/* the key hex-encoded (64 bytes), a JSON body, none */
static int
setup_o_mint_hex(void **state)
{
	return setup_omnia(state, "sign bearer POST /v3/auth/token 0 "
	    "8f2a0c1d3e4b5a6978877665544332211f2e3d4c5b6a79880102030405060708"
	    "\n");
}

static int
setup_o_mint_json(void **state)
{
	return setup_omnia(state, "sign bearer POST /v3/auth/token 0 "
	    "{\"keyId\":\"" OKEY1 "\"}\n");
}

static int
setup_o_mint_empty(void **state)
{
	return setup_omnia(state, "sign bearer POST /v3/auth/token 0 -\n");
}

static void
test_o_mint_body(void **state)
{
	omnia_sign_refused(*state, LIST, "apikey list", "apikey.list", "POST",
	    "/v3/auth/token", "POST /v3/auth/token: not a box public key", 0);
}

/* one token request more than NETCALL_MINT_MAX, after a 401's retry */
static int
setup_o_mint_third(void **state)
{
	return setup_omnia(state, O_TOKEN
	    "sign bearer GET /v3/api-keys 0\n"
	    O_TOKEN O_TOKEN);
}

static void
test_o_mint_third(void **state)
{
	struct ht	*t = *state;
	char		 why[64];

	assert_int_equal(NETCALL_MINT_MAX, 2);
	snprintf(why, sizeof(why), "more than %d bearer tokens in one call",
	    NETCALL_MINT_MAX);
	omnia_sign_refused(t, LIST, "apikey list", "apikey.list", "POST",
	    "/v3/auth/token", why, 3);
	assert_int_equal(audit_count(t, "netd", "sign", "POST",
	    "/v3/auth/token", "allow"), NETCALL_MINT_MAX);
	assert_int_equal(fake_log_count(t, "path=/v3/auth/token"), 3);
}

/* 4. a bearer request that is not the call's step: another key's
 * rotation, a create, during the rotation of OKEY1; a rotation during a
 * listing */
static int
setup_o_step_other_key(void **state)
{
	return setup_omnia(state, O_TOKEN
	    "sign bearer POST /v3/api-keys/" OKEY2 "/rotate 0\n");
}

static void
test_o_step_other_key(void **state)
{
	omnia_sign_refused(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "POST", "/v3/api-keys/" OKEY2 "/rotate",
	    "POST /v3/api-keys/*/rotate: not the path apikey.rotate builds",
	    1);
}

static int
setup_o_step_create(void **state)
{
	return setup_omnia(state, O_TOKEN O_CREATE);
}

static void
test_o_step_create(void **state)
{
	omnia_sign_refused(*state, ROTATE1, "apikey rotate", "apikey.rotate",
	    "POST", "/v3/api-keys", "POST /v3/api-keys/*/rotate: not the "
	    "path apikey.rotate builds", 1);
}

static int
setup_o_step_rotate(void **state)
{
	return setup_omnia(state, O_TOKEN O_ROTATE1);
}

static void
test_o_step_rotate(void **state)
{
	/* vaultd's reason is the token row's ("not a box public key"),
	 * the last row that had the method: any reason will do here */
	omnia_sign_refused(*state, LIST, "apikey list", "apikey.list", "POST",
	    "/v3/api-keys/" OKEY1 "/rotate", NULL, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_url_refused,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_no_seccomp,
		    setup_no_seccomp, teardown),
		cmocka_unit_test_setup_teardown(test_traced,
		    setup_traced, teardown),
		cmocka_unit_test_setup_teardown(test_control_squatter,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_control_denial_budget,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_control_stalled,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_control_stall_queued,
		    setup_idle, teardown),
		cmocka_unit_test_setup_teardown(test_control_stalled_idle,
		    setup_idle, teardown),
		cmocka_unit_test_setup_teardown(test_give_failed_made,
		    setup_hold, teardown),
		cmocka_unit_test_setup_teardown(test_refused_too_many,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_refused_uid,
		    setup_plain, teardown),
		cmocka_unit_test_setup_teardown(test_well_behaved,
		    setup_well_behaved, teardown),
		cmocka_unit_test_setup_teardown(test_l1_derive,
		    setup_l1_derive, teardown),
		cmocka_unit_test_setup_teardown(test_l1_create,
		    setup_l1_create, teardown),
		cmocka_unit_test_setup_teardown(test_l2_delete,
		    setup_l2_delete, teardown),
		cmocka_unit_test_setup_teardown(test_l2_query_body,
		    setup_l2_query_body, teardown),
		cmocka_unit_test_setup_teardown(test_l2_builder,
		    setup_l2_builder, teardown),
		cmocka_unit_test_setup_teardown(test_lowercase,
		    setup_lowercase, teardown),
		cmocka_unit_test_setup_teardown(test_other_call,
		    setup_other_call, teardown),
		cmocka_unit_test_setup_teardown(test_gw_malformed,
		    setup_gw_malformed, teardown),
		cmocka_unit_test_setup_teardown(test_gw_malformed,
		    setup_gw_negrisk, teardown),
		cmocka_unit_test_setup_teardown(test_gw_gone_late,
		    setup_gw_gone_late, teardown),
		cmocka_unit_test_setup_teardown(test_gw_gone_unsent,
		    setup_gw_gone_unsent, teardown),
		cmocka_unit_test_setup_teardown(test_forged_remove,
		    setup_forged_remove, teardown),
		cmocka_unit_test_setup_teardown(test_forged_store,
		    setup_forged_store, teardown),
		cmocka_unit_test_setup_teardown(test_keyed_none,
		    setup_keyed_none, teardown),
		cmocka_unit_test_setup_teardown(test_store_misnamed,
		    setup_store_misnamed, teardown),
		cmocka_unit_test_setup_teardown(test_store_nonce_taken,
		    setup_store_nonce_taken, teardown),
		cmocka_unit_test_setup_teardown(test_early_gw,
		    setup_early_gw, teardown),
		cmocka_unit_test_setup_teardown(test_early_gw_info,
		    setup_early_gw_info, teardown),
		cmocka_unit_test_setup_teardown(test_gw_passed,
		    setup_gw_passed, teardown),
		cmocka_unit_test_setup_teardown(test_gw_gone_signed,
		    setup_gw_gone_signed, teardown),
		cmocka_unit_test_setup_teardown(test_gw_died_unread,
		    setup_gw_died_unread, teardown),
		cmocka_unit_test_setup_teardown(test_denied_store,
		    setup_denied_store, teardown),
		cmocka_unit_test_setup_teardown(test_failed_remove,
		    setup_failed_remove, teardown),
		cmocka_unit_test_setup_teardown(test_escape_text,
		    setup_escape_text, teardown),
		cmocka_unit_test_setup_teardown(test_long_text,
		    setup_long_text, teardown),
		cmocka_unit_test_setup_teardown(test_flood,
		    setup_flood, teardown),
		cmocka_unit_test_setup_teardown(test_deadline,
		    setup_deadline, teardown),
		cmocka_unit_test_setup_teardown(test_late_sign,
		    setup_late_sign, teardown),
		cmocka_unit_test_setup_teardown(test_late_held,
		    setup_late_held, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_ok,
		    setup_o_rotate_ok, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_other,
		    setup_o_rotate_other, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_new,
		    setup_o_rotate_new, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_nostore,
		    setup_o_rotate_nostore, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_noreplace,
		    setup_o_rotate_noreplace, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_held,
		    setup_o_create_held, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_held,
		    setup_o_create_held2, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_replace,
		    setup_o_create_replace, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_more,
		    setup_o_create_more, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_none,
		    setup_o_create_none, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_perms,
		    setup_o_rotate_perms, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_refused,
		    setup_o_create_refused, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_body,
		    setup_o_mint_short, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_body,
		    setup_o_mint_long, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_body,
		    setup_o_mint_hex, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_body,
		    setup_o_mint_json, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_body,
		    setup_o_mint_empty, teardown),
		cmocka_unit_test_setup_teardown(test_o_mint_third,
		    setup_o_mint_third, teardown),
		cmocka_unit_test_setup_teardown(test_o_step_other_key,
		    setup_o_step_other_key, teardown),
		cmocka_unit_test_setup_teardown(test_o_step_create,
		    setup_o_step_create, teardown),
		cmocka_unit_test_setup_teardown(test_o_step_rotate,
		    setup_o_step_rotate, teardown),
		cmocka_unit_test_setup_teardown(test_o_rotate_unasked,
		    setup_o_rotate_unasked, teardown),
		cmocka_unit_test_setup_teardown(test_o_create_unasked,
		    setup_o_create_unasked, teardown),
	};

	/* HOSTILE_TEST=name: that test alone */
	if (getenv("HOSTILE_TEST") != NULL)
		cmocka_set_test_filter(getenv("HOSTILE_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
