/*
 * The policy through the real daemons: the default policy a new vault
 * gets, a denial that names its rule (for vaultctl headers and for an
 * exchange call's signature), apply with a wrong passphrase changing
 * nothing, a policy record edited in the vault file refused at unlock,
 * policy changes that need approvers' signatures, a request held until
 * two approvers grant it (and a wrong key, a rejection), a budget that
 * admits exactly its count under concurrent requests, and budgets that
 * hold across a restart of vaultd, killed or stopped.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/audit.h"
#include "common/encode.h"
#include "common/vault_fmt.h"
#include "tests/it.h"

#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define SECRET		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define DEFAULT_POLICY	"# clobvault default policy: what the endpoint " \
			"catalog admits, for the\n# operator; nothing for " \
			"anyone else.\nallow operator catalog label default\n"

struct st {
	struct it	it;
	char		pass[128], bad[128], pol[128];
	char		key[3][128];	/* alice, bob, carol */
	char		pk[3][65];
	char		out[65536];
};

#define CTL(s, in, ...)	it_ctl(&(s)->it, in, (s)->out, sizeof((s)->out), \
			    __VA_ARGS__)

/* vaultd started in a fresh home, a vault made, with account pm. */
static int
vault_new(struct st *s)
{
	if (it_start(&s->it, "-T", NULL) != 0 ||
	    CTL(s, NULL, "init --passphrase-file %s --kdf min", s->pass) != 0 ||
	    CTL(s, NULL, "account add pm --profile polymarket") != 0 ||
	    CTL(s, WALLET_KEY, "wallet import --account pm") != 0 ||
	    CTL(s, "{\"apiKey\":\"k-1\",\"secret\":\"" SECRET "\","
	    "\"passphrase\":\"pp\"}", "apikey import --account pm") != 0)
		return -1;
	return 0;
}

static int
setup(void **state)
{
	static struct st	s;
	static const char	*names[] = { "alice", "bob", "carol" };
	char			*nl;
	int			 i;

	memset(&s, 0, sizeof(s));
	it_init(&s.it);
	snprintf(s.pass, sizeof(s.pass), "%s.pass", s.it.home);
	snprintf(s.bad, sizeof(s.bad), "%s.bad", s.it.home);
	snprintf(s.pol, sizeof(s.pol), "%s.policy", s.it.home);
	it_write(s.pass, "policy test passphrase\n", 0600);
	it_write(s.bad, "not the passphrase\n", 0600);
	*state = &s;
	if (vault_new(&s) != 0)
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(s.key[i], sizeof(s.key[i]), "%s.%s", s.it.home,
		    names[i]);
		unlink(s.key[i]);
		if (CTL(&s, NULL, "approver keygen %s", s.key[i]) != 0 ||
		    (nl = strchr(s.out, '\n')) == NULL || nl - s.out != 64)
			return -1;
		memcpy(s.pk[i], s.out, 64);
	}
	return 0;
}

static int
teardown(void **state)
{
	struct st	*s = *state;
	int		 i;

	it_cleanup(&s->it);
	unlink(s->pass);
	unlink(s->bad);
	unlink(s->pol);
	for (i = 0; i < 3; i++)
		unlink(s->key[i]);
	return 0;
}

/* Write the policy file: the approvers' declarations, then text. */
static void
policy_file(struct st *s, const char *text)
{
	char	buf[8192];

	snprintf(buf, sizeof(buf), "approver alice \"%s\"\n"
	    "approver bob \"%s\"\napprover carol \"%s\"\n%s", s->pk[0],
	    s->pk[1], s->pk[2], text);
	it_write(s->pol, buf, 0644);
}

/* The vault unlocked with the test passphrase. */
static void
unlock(struct st *s)
{
	assert_int_equal(CTL(s, NULL, "unlock --passphrase-file %s", s->pass),
	    0);
}

/* Locked and unlocked again: the unlock is checkpointed. */
static void
relock(struct st *s)
{
	assert_int_equal(CTL(s, NULL, "lock"), 0);
	unlock(s);
}

/* The policy text applied with the vault credential. */
static void
apply(struct st *s, const char *text)
{
	policy_file(s, text);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 0);
}

static json_t *
json_out(struct st *s)
{
	json_error_t	 err;
	json_t		*j = json_loads(s->out, 0, &err);

	if (j == NULL)
		fail_msg("not JSON: %s", s->out);
	return j;
}

/* A new vault holds the default policy as version 1; it admits the catalog. */
static void
test_default(void **state)
{
	struct st	*s = *state;
	json_t		*j;

	assert_int_equal(CTL(s, NULL, "--json policy show"), 0);
	j = json_out(s);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "text")),
	    DEFAULT_POLICY);
	json_decref(j);
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	/* outside the catalog: denied, and the denial says why */
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method POST "
	    "--path /withdraw"), 4);
	assert_non_null(strstr(s->out, "no rule allows it"));
}

/* A denial names its rule: the caller's message and the audit record. */
static void
test_deny_names_rule(void **state)
{
	struct st	*s = *state;
	uint8_t		 digest[32];
	char		*log, *text, path[300], hex[65], want[200];
	size_t		 len, tlen = 0;

	policy_file(s, "allow operator catalog label cat\n"
	    "deny operator level l2 method GET path /auth/api-keys "
	    "label no-key-list\n");
	assert_int_equal(CTL(s, NULL, "policy lint %s", s->pol), 0);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 0);
	assert_non_null(strstr(s->out, "+ no-key-list (line 5)"));
	assert_non_null(strstr(s->out, "policy version 2 in force"));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 4);
	assert_non_null(strstr(s->out, "denied by rule no-key-list (line 5)"));
	/* an exchange call's signature is gated the same way */
	assert_int_equal(CTL(s, NULL, "apikey list --account pm"), 4);
	assert_non_null(strstr(s->out, "no-key-list"));
	/* the other catalog calls still pass */
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	snprintf(path, sizeof(path), "%s/audit.log", s->it.home);
	log = it_slurp(path, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "\tpm\tsign\tGET\t/auth/api-keys\tdeny\t"
	    "no-key-list@5\t"));
	/* both digests: the SHA-256 of each text */
	assert_non_null(text = it_slurp(s->pol, &tlen));
	crypto_hash_sha256(digest, (const uint8_t *)text, tlen);
	free(text);
	hex_encode(digest, sizeof(digest), hex);
	snprintf(want, sizeof(want), "\tpolicy.applied\t-\t-\tok\tv2\t-\t%s\t",
	    hex);
	assert_non_null(strstr(log, want));
	crypto_hash_sha256(digest, (const uint8_t *)DEFAULT_POLICY,
	    strlen(DEFAULT_POLICY));
	hex_encode(digest, sizeof(digest), hex);
	snprintf(want, sizeof(want), "\tpolicy.replaced\t-\t-\tok\tv1\t-\t%s\t",
	    hex);
	assert_non_null(strstr(log, want));
	free(log);
	/* the dry run says the same without signing */
	assert_int_equal(CTL(s, NULL, "policy test --account pm --actor "
	    "operator --level l2 --method GET --path /auth/api-keys "
	    "--catalog"), 4);
	assert_non_null(strstr(s->out, "no-key-list"));
}

/*
 * A path that differs only in case from a denied one is refused before
 * any rule, though a rule allows the method; an operator is told the
 * spelling to send (a gateway client is not: test_it_gateway
 * test_key_endpoints_loose); a mixed-case id in a '*' segment still
 * passes.
 */
static void
test_path_case(void **state)
{
	struct st	*s = *state;

	apply(s, "allow operator label all\n"
	    "deny any path /auth/api-key label no-key\n");
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method DELETE "
	    "--path /auth/api-key"), 4);
	assert_non_null(strstr(s->out, "denied by rule no-key (line 5)"));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method DELETE "
	    "--path /AUTH/API-KEY"), 4);
	assert_non_null(strstr(s->out, "the path differs only in case from a "
	    "path the policy or the catalog names: refused before any rule; "
	    "send /auth/api-key\n"));
	assert_int_equal(CTL(s, NULL, "policy test --account pm --actor "
	    "operator --level l2 --method DELETE --path /Auth/Api-Key"), 4);
	assert_non_null(strstr(s->out, "send /auth/api-key"));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /data/order/0xAbCdEf0123"), 0);
}

/* A wrong passphrase changes nothing; nor does a text that does not parse. */
static void
test_apply_refused(void **state)
{
	struct st	*s = *state;
	json_t		*j;
	char		 want[600];

	policy_file(s, "allow any\n");
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->bad), 6);
	policy_file(s, "allow operator level l9\n");
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 1);
	assert_non_null(strstr(s->out, ":4:"));
	assert_int_equal(CTL(s, NULL, "policy lint %s", s->pol), 1);
	/* an empty file: lint refuses it as apply does */
	it_write(s->pol, "", 0644);
	assert_int_equal(CTL(s, NULL, "policy lint %s", s->pol), 1);
	snprintf(want, sizeof(want), "%s: the policy file is empty (a policy "
	    "that denies everything still needs a line: a comment will do)\n",
	    s->pol);
	assert_string_equal(s->out, want);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 1);
	assert_non_null(strstr(s->out, "the policy file is empty"));
	it_sleep_ms(1100);	/* the wrong-passphrase delay */
	assert_int_equal(CTL(s, NULL, "--json policy show"), 0);
	j = json_out(s);
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 1);
	json_decref(j);
}

/* The policy record edited in the vault file: the vault is refused. */
static void
test_tampered_record(void **state)
{
	struct st	*s = *state;
	struct vault	 v;
	char		 path[300];
	uint8_t		*buf, *out;
	size_t		 len, olen, i;
	int		 found = 0;

	assert_int_equal(CTL(s, NULL, "lock"), 0);
	snprintf(path, sizeof(path), "%s/vault", s->it.home);
	assert_int_equal(vault_fmt_read(path, &buf, &len), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(vault_fmt_parse(buf, len, &v), 0);
	for (i = 0; i < v.nrecs; i++)
		if (v.recs[i].type == VAULT_REC_POLICY) {
			v.recs[i].body[0] ^= 0x01;
			found = 1;
		}
	assert_true(found);
	assert_int_equal(vault_fmt_encode(&v, &out, &olen), 0);
	assert_int_equal(vault_fmt_write_file(path, out, olen), 0);
	vault_free(&v);
	free(buf);
	free(out);
	assert_int_equal(CTL(s, NULL, "unlock --passphrase-file %s", s->pass),
	    7);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 5);
}

static void
append(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "a")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

/* Changing a policy that names change approvers takes their signatures. */
static void
test_change_approvers(void **state)
{
	struct st	*s = *state;
	char		 sig[300];

	apply(s, "policy-change approve 2 of { alice bob }\n"
	    "allow operator catalog\n");
	/* now version 2 needs two signatures for version 3 */
	policy_file(s, "policy-change approve 2 of { alice bob }\n"
	    "allow operator catalog\nallow any method GET path /time\n");
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 4);
	assert_non_null(strstr(s->out, "needs 2 approvals"));
	snprintf(sig, sizeof(sig), "%s.sig", s->it.home);
	assert_int_equal(CTL(s, NULL, "policy sign %s --key-file %s", s->pol,
	    s->key[0]), 0);
	it_write(sig, s->out, 0600);
	/* one is not enough; carol's is not one of the change approvers */
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s "
	    "--approval %s", s->pol, s->pass, sig), 4);
	assert_non_null(strstr(s->out, "needs 2 approvals"));
	/* a signature for another version does not count */
	assert_int_equal(CTL(s, NULL, "policy sign %s --key-file %s "
	    "--version 9", s->pol, s->key[1]), 0);
	it_write(sig, s->out, 0600);
	assert_int_equal(CTL(s, NULL, "policy sign %s --key-file %s", s->pol,
	    s->key[0]), 0);
	append(sig, s->out);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s "
	    "--approval %s", s->pol, s->pass, sig), 4);
	assert_non_null(strstr(s->out, "is not for this text at version 3"));
	/* alice's and bob's, for this text at version 3 */
	assert_int_equal(CTL(s, NULL, "policy sign %s --key-file %s", s->pol,
	    s->key[1]), 0);
	it_write(sig, s->out, 0600);
	assert_int_equal(CTL(s, NULL, "policy sign %s --key-file %s", s->pol,
	    s->key[0]), 0);
	append(sig, s->out);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s "
	    "--approval %s", s->pol, s->pass, sig), 0);
	assert_non_null(strstr(s->out, "policy version 3 in force"));
	unlink(sig);
}

/* Run vaultctl in the background; its output and status into files. */
static pid_t
bg_ctl(struct st *s, const char *args, const char *outfile)
{
	char	cmd[1024];
	pid_t	pid;

	snprintf(cmd, sizeof(cmd), "%s/vaultctl %s >%s 2>&1 </dev/null",
	    s->it.build, args, outfile);
	if ((pid = fork()) == 0) {
		int st = system(cmd);

		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 127);
	}
	return pid;
}

/* The id of the only held request, from approve list --json. */
static int
held_id(struct st *s, char id[17])
{
	json_t	*j, *p;
	int64_t	 start = it_ms();

	while (it_ms() - start < 5000) {
		if (CTL(s, NULL, "--json approve list") != 0)
			return -1;
		j = json_out(s);
		p = json_array_get(json_object_get(j, "pending"), 0);
		if (p != NULL) {
			snprintf(id, 17, "%s",
			    json_string_value(json_object_get(p, "id")));
			json_decref(j);
			return 0;
		}
		json_decref(j);
		it_sleep_ms(50);
	}
	return -1;
}

static int
wait_status(pid_t pid)
{
	int	st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * The "approved" record's digest is that of the request as signed: with
 * the timestamp of the headers (out: vaultctl --json headers l1), the
 * method and path the record names, at L1 with nonce 0.
 */
static void
approved_digest(struct st *s, const char *out)
{
	struct audit_req	 q;
	json_t			*j;
	uint8_t			 digest[AUDIT_HASH_LEN];
	char			 path[300], hex[AUDIT_HEX_HASH + 1], ts[24];
	char			*log, *line, *f[12];
	size_t			 len;
	int			 n;

	assert_non_null(j = json_loads(out, 0, NULL));
	assert_true(json_is_string(json_object_get(j, "POLY_TIMESTAMP")));
	snprintf(ts, sizeof(ts), "%s",
	    json_string_value(json_object_get(j, "POLY_TIMESTAMP")));
	json_decref(j);
	snprintf(path, sizeof(path), "%s/audit.log", s->it.home);
	assert_non_null(log = it_slurp(path, &len));
	assert_non_null(line = strstr(log, "\tapproved\tl1-held@"));
	while (line > log && line[-1] != '\n')
		line--;
	line[strcspn(line, "\n")] = '\0';
	/* seq time actor account op method path verdict rule gen digest */
	for (n = 0; n < 12 && (f[n] = strsep(&line, "\t")) != NULL; n++)
		;
	assert_true(n >= 11);
	assert_string_equal(f[4], "sign");
	memset(&q, 0, sizeof(q));
	q.level = 1;
	q.method = f[5];
	q.methodlen = strlen(f[5]);
	q.path = f[6];
	q.pathlen = strlen(f[6]);
	q.timestamp = ts;
	audit_request_digest(&q, digest);
	hex_encode(digest, sizeof(digest), hex);
	assert_string_equal(f[10], hex);
	free(log);
}

/* An approve rule holds the request until two approvers grant it. */
static void
test_approval(void **state)
{
	struct st	*s = *state;
	char		 outfile[200], id[17], args[300], *text;
	size_t		 len;
	pid_t		 pid;

	apply(s, "allow operator catalog\n"
	    "approve 2 of { alice bob } operator level l1 label l1-held\n");
	snprintf(outfile, sizeof(outfile), "%s.bg", s->it.home);
	snprintf(args, sizeof(args), "--json headers l1 --account pm");
	pid = bg_ctl(s, args, outfile);
	assert_int_equal(held_id(s, id), 0);
	assert_int_equal(CTL(s, NULL, "approve list"), 0);
	assert_non_null(strstr(s->out, "held for approval by rule l1-held"));
	/* carol is an approver, but not of this rule; a bad id is unknown */
	assert_int_equal(CTL(s, NULL, "approve grant %s --key-file %s", id,
	    s->key[2]), 4);
	assert_int_equal(CTL(s, NULL, "approve grant 0000000000000001 "
	    "--key-file %s", s->key[0]), 8);
	assert_int_equal(CTL(s, NULL, "approve grant %s --key-file %s", id,
	    s->key[0]), 0);
	assert_non_null(strstr(s->out, "(1 more)"));
	/* still held: the second grant admits it */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	assert_int_equal(CTL(s, NULL, "approve grant %s --key-file %s", id,
	    s->key[1]), 0);
	assert_int_equal(wait_status(pid), 0);
	text = it_slurp(outfile, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "POLY_SIGNATURE"));
	approved_digest(s, text);
	free(text);

	/* a rejection refuses it at once, naming the approver */
	pid = bg_ctl(s, args, outfile);
	assert_int_equal(held_id(s, id), 0);
	assert_int_equal(CTL(s, NULL, "approve deny %s --key-file %s", id,
	    s->key[1]), 0);
	assert_int_equal(wait_status(pid), 4);
	text = it_slurp(outfile, &len);
	assert_non_null(strstr(text, "rejected by approver bob"));
	free(text);

	/* a policy change refuses what is held */
	pid = bg_ctl(s, args, outfile);
	assert_int_equal(held_id(s, id), 0);
	apply(s, "allow operator catalog\n");
	assert_int_equal(wait_status(pid), 4);
	text = it_slurp(outfile, &len);
	assert_non_null(strstr(text, "the policy changed"));
	free(text);

	/* no approval in time: refused when the deadline passes */
	apply(s, "allow operator catalog\napproval-timeout 1\n"
	    "approve 1 of { alice } operator level l1 label l1-held\n");
	pid = bg_ctl(s, args, outfile);
	assert_int_equal(held_id(s, id), 0);
	/* a key the policy does not declare is no approver at all */
	snprintf(args, sizeof(args), "%s.dave", s->it.home);
	unlink(args);
	assert_int_equal(CTL(s, NULL, "approver keygen %s", args), 0);
	assert_int_equal(CTL(s, NULL, "approve grant %s --key-file %s", id,
	    args), 4);
	assert_non_null(strstr(s->out, "not an approver of the policy"));
	unlink(args);
	assert_int_equal(wait_status(pid), 4);
	text = it_slurp(outfile, &len);
	assert_non_null(strstr(text, "no approval within 1 s"));
	free(text);
	unlink(outfile);
}

/* A count budget admits exactly its count among concurrent requests. */
static void
test_budget(void **state)
{
	struct st	*s = *state;
	char		 outfile[8][200];
	pid_t		 pid[8];
	int		 i, ok = 0, denied = 0, st;

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\nallow operator catalog level l2\n");
	for (i = 0; i < 8; i++) {
		snprintf(outfile[i], sizeof(outfile[i]), "%s.bg%d",
		    s->it.home, i);
		pid[i] = bg_ctl(s, "headers l1 --account pm", outfile[i]);
	}
	for (i = 0; i < 8; i++) {
		st = wait_status(pid[i]);
		ok += st == 0;
		denied += st == 4;
		unlink(outfile[i]);
	}
	assert_int_equal(ok, 3);
	assert_int_equal(denied, 5);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	/* a relock keeps the policy in force and what its budgets spent */
	relock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
}

/* Stop vaultd (SIGKILL for a crash, else SIGTERM), start it, unlock. */
static void
restart(struct st *s, int crash)
{
	if (crash)
		it_kill(&s->it);
	else
		assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start(&s->it, "-T", NULL), 0);
	unlock(s);
}

/* The audit log has a record holding want; 1 or 0. */
static int
log_has(struct st *s, const char *want)
{
	char	 path[300], *log;
	size_t	 len;
	int	 has;

	snprintf(path, sizeof(path), "%s/audit.log", s->it.home);
	if ((log = it_slurp(path, &len)) == NULL)
		return 0;
	has = strstr(log, want) != NULL;
	free(log);
	return has;
}

/*
 * Budgets hold across a restart of vaultd: a daily count spent in part
 * (one charge in the budgets file a checkpoint wrote, one in the records
 * after it) and a daily token bucket spent whole, then vaultd killed or
 * stopped: the count admits only what is left and the bucket nothing,
 * each denial naming its rule, audited.  Before, a restart refilled both.
 */
static void
budget_restart(struct st *s, int crash)
{
	char	want[200];

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\nallow operator catalog level l2 rate 1/day "
	    "per account label daily\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	/* an unlock is checkpointed: the file holds these two */
	relock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	restart(s, crash);
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 4);
	assert_non_null(strstr(s->out, "denied by rule daily (line 5)"));
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	assert_true(log_has(s, "\tdeny\tthree@4\t"));
	assert_true(log_has(s, "\t/auth/api-keys\tdeny\tdaily@5\t"));
	/* and again, with nothing checkpointed since the start */
	restart(s, crash);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	/* each charge is on the log, and the log still verifies */
	snprintf(want, sizeof(want), "\tpm\tbudget\t-\t/pm/o%u/0:",
	    (unsigned)getuid());
	assert_true(log_has(s, want));
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

static void
test_budget_crash(void **state)
{
	budget_restart(*state, 1);
}

static void
test_budget_stop(void **state)
{
	budget_restart(*state, 0);
}

/*
 * Three of a limit of 4 a day charged, two of them before the log rotated
 * (segments of 1500 bytes), then a crash; with bad, a budgets file that
 * does not parse is found at the start.  One more passes, the next is
 * denied by the rule.
 */
static void
budget_segments(struct st *s, int bad)
{
	struct stat	 sb;
	char		 seg[300], path[300];

	assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	apply(s, "allow operator catalog level l1 limit 4/day per "
	    "account label four\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	snprintf(seg, sizeof(seg), "%s/audit.log.000002", s->it.home);
	assert_int_equal(stat(seg, &sb), 0);
	it_kill(&s->it);
	if (bad) {
		snprintf(path, sizeof(path), "%s/budgets", s->it.home);
		it_write(path, "clobvault budgets 1\npolicy 00\n", 0600);
	}
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	if (bad)
		assert_true(it_log_has(&s->it, "/budgets does not parse"));
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule four (line 4)"));
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

/*
 * Budgets across a restart when the log has rotated since they were
 * charged: the charges in older segments come from the budgets file,
 * those after it from the records.
 */
static void
test_budget_segments(void **state)
{
	budget_segments(*state, 0);
}

/*
 * A budgets file that does not parse: vaultd says so and counts the
 * charges from the audit log's records of the longest window, which
 * here are all in audit.log.
 */
static void
test_budget_file_bad(void **state)
{
	struct st	*s = *state;
	char		 path[300];

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	it_kill(&s->it);
	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	it_write(path, "clobvault budgets 1\npolicy 00\n", 0600);
	assert_int_equal(it_start(&s->it, "-T", NULL), 0);
	unlock(s);
	assert_true(it_log_has(&s->it, "/budgets does not parse; the "
	    "budgets are counted from the audit log's records of their "
	    "longest window"));
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
}

/*
 * The same with a budgets file that does not parse (or none): the two
 * charges before the rotation are in a segment, and the records of the
 * policy's longest window are read.  Before, only audit.log was read,
 * and the limit of 4 let 3 more through.
 */
static void
test_budget_file_bad_segments(void **state)
{
	budget_segments(*state, 1);
}

/*
 * A token bucket that held requests took from and that refilled since:
 * the budgets file gives their tokens back up to the bucket's size, not
 * past it, so the next start reads the file.  Before, it wrote more than
 * the bucket holds and the start refused the whole file, counting the
 * budgets from the current audit.log alone: the l2 count, charged in a
 * segment the log rotated away (segments of 1500 bytes), was given back.
 */
static void
test_budget_held_bucket(void **state)
{
	struct st	*s = *state;
	struct stat	 sb;
	char		 out1[200], out2[200], seg[300], id[17];
	char		 args[] = "--json headers l1 --account pm";
	const char	*p;
	pid_t		 a, b;
	int		 n;

	assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	apply(s, "allow operator catalog level l2 limit 1/day per "
	    "account label one\napprove 2 of { alice bob } operator level l1 "
	    "rate 1/s per account label held\n");
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	snprintf(out1, sizeof(out1), "%s.bg1", s->it.home);
	snprintf(out2, sizeof(out2), "%s.bg2", s->it.home);
	a = bg_ctl(s, args, out1);
	assert_int_equal(held_id(s, id), 0);
	it_sleep_ms(1100);		/* the bucket refills */
	b = bg_ctl(s, args, out2);
	/* both held: the list names two ids */
	for (n = 0; ; n++) {
		assert_true(n < 100);
		it_sleep_ms(50);
		assert_int_equal(CTL(s, NULL, "--json approve list"), 0);
		assert_non_null(p = strstr(s->out, "\"id\""));
		if (strstr(p + 1, "\"id\"") != NULL)
			break;
	}
	/* a grant is checkpointed, with both requests held */
	assert_int_equal(CTL(s, NULL, "approve grant %s --key-file %s", id,
	    s->key[0]), 0);
	/* its checkpoint rotates the log: the l2 charge is in a segment */
	snprintf(seg, sizeof(seg), "%s/audit.log.000001", s->it.home);
	for (n = 0; n < 100 && (stat(seg, &sb) != 0 ||
	    log_has(s, "\t/auth/api-keys\tallow\t")); n++)
		it_sleep_ms(50);
	assert_int_equal(stat(seg, &sb), 0);
	assert_false(log_has(s, "\t/auth/api-keys\tallow\t"));
	it_kill(&s->it);
	assert_int_not_equal(wait_status(a), 0);
	assert_int_not_equal(wait_status(b), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	assert_false(it_log_has(&s->it, "budgets: "));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 4);
	assert_non_null(strstr(s->out, "denied by rule one (line 4)"));
	unlink(out1);
	unlink(out2);
}

/*
 * A charge given back after the budgets file was written counts again
 * after a crash, so a count may stand past its limit: the next file
 * says no more than the limit, and the start after it reads that file.
 * Before, it wrote the count as it stood, the next start refused the
 * whole file and counted from the current audit.log alone, which after
 * a rotation (segments of 1500 bytes) no longer held the charges.
 */
static void
test_budget_over_limit(void **state)
{
	struct st	*s = *state;

	assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	assert_int_equal(CTL(s, NULL, "account add q --profile polymarket"),
	    0);
	apply(s, "allow operator catalog level l2 limit 2/day label "
	    "two\n");
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	relock(s);
	/* q has no API key: signerd refuses, the charge is given back */
	assert_int_not_equal(CTL(s, NULL, "headers l2 --account q --method "
	    "GET --path /auth/api-keys"), 0);
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	/* the file counts 1, the records after it 2: 3 of 2 */
	it_kill(&s->it);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	relock(s);
	assert_false(log_has(s, "\t/auth/api-keys\tallow\t"));
	it_kill(&s->it);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	assert_false(it_log_has(&s->it, "budgets: "));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 4);
	assert_non_null(strstr(s->out, "denied by rule two (line 4)"));
}

/*
 * A window that closed while vaultd was down starts full; one still open
 * keeps what it spent.
 */
static void
test_budget_window_closed(void **state)
{
	struct st	*s = *state;
	time_t		 t;

	apply(s, "allow operator catalog level l1 limit 2/day per "
	    "account label two\nallow operator catalog level l2 limit 1/s "
	    "per account label second\n");
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	t = time(NULL);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	it_kill(&s->it);
	while (time(NULL) <= t)		/* that second's window closes */
		it_sleep_ms(50);
	assert_int_equal(it_start(&s->it, "-T", NULL), 0);
	unlock(s);
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule two (line 4)"));
}

/* 1 if the budgets file has a counter of value val. */
static int
budgets_hold(struct st *s, long long val)
{
	char		 path[300], *text, *line, *save;
	char		 kind, key[1100];
	size_t		 len;
	long long	 win, v, last;
	unsigned	 def;
	int		 has = 0;

	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	if ((text = it_slurp(path, &len)) == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%u %c %lld %lld %lld %1099s", &def, &kind,
		    &win, &v, &last, key) == 6 && v == val)
			has = 1;
	free(text);
	return has;
}

/* The checkpoint after an unlock has put the count val in the file. */
static void
budgets_wait(struct st *s, long long val)
{
	int	n;

	for (n = 0; !budgets_hold(s, val); n++) {
		assert_true(n < 100);
		it_sleep_ms(50);
	}
}

/*
 * Lower the count of the budgets file's first counter to 0, as whoever
 * can write vaultd's home could; the file has no checksum of its own.
 */
static void
budgets_lower(struct st *s)
{
	char	 path[300], out[4096], *text, *line, *save;
	char	 kind, key[1100];
	size_t	 len, at = 0;
	long long win, val, last;
	unsigned def;
	int	 done = 0;

	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	assert_non_null(text = it_slurp(path, &len));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (!done && sscanf(line, "%u %c %lld %lld %lld %1099s", &def,
		    &kind, &win, &val, &last, key) == 6) {
			assert_true(val > 0);
			at += (size_t)snprintf(out + at, sizeof(out) - at,
			    "%u %c %lld 0 %lld %s\n", def, kind, win, last,
			    key);
			done = 1;
		} else
			at += (size_t)snprintf(out + at, sizeof(out) - at,
			    "%s\n", line);
		assert_true(at < sizeof(out));
	}
	free(text);
	assert_true(done);
	it_write(path, out, 0600);
}

/*
 * A budgets file whose count was lowered by hand is refused, said in
 * vaultd's log, and the budgets are counted from the audit log's
 * records: the next request past the limit is still denied.  Before,
 * the file was loaded as it was and the count started over.
 */
static void
test_budget_file_edited(void **state)
{
	struct st	*s = *state;

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	/* an unlock is checkpointed: the file holds the three */
	relock(s);
	budgets_wait(s, 3);
	it_kill(&s->it);
	budgets_lower(s);
	assert_int_equal(it_start(&s->it, "-T", NULL), 0);
	unlock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	assert_true(it_log_has(&s->it, "/budgets is named by no checkpoint "
	    "of the audit log after its seq (edited, or of another log); the "
	    "budgets are counted from the audit log's records of their "
	    "longest window"));
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

/*
 * A budgets file copied from another vault's home, of the same policy,
 * is refused: this vault's own charges count, not the other's.  Before,
 * it was loaded, and the other vault's spending denied this one's.
 */
static void
test_budget_file_foreign(void **state)
{
	struct st	*s = *state;
	char		 path[300], *other;
	size_t		 len;

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	budgets_wait(s, 3);
	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	assert_non_null(other = it_slurp(path, &len));
	/* another vault, in another home, under the same policy */
	it_cleanup(&s->it);
	it_init(&s->it);
	assert_int_equal(vault_new(s), 0);
	assert_int_equal(CTL(s, NULL, "policy apply %s --passphrase-file %s",
	    s->pol, s->pass), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	budgets_wait(s, 1);
	it_kill(&s->it);
	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	it_write(path, other, 0600);
	free(other);
	assert_int_equal(it_start(&s->it, "-T", NULL), 0);
	unlock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	assert_true(it_log_has(&s->it, "/budgets is of another vault (its "
	    "audit key); the budgets are counted from the audit log's "
	    "records of their longest window"));
}

/*
 * The budgets file written by vaultd's thread (-B 0: every file is),
 * while its checkpoint waits: it is bound to that checkpoint, read
 * after a crash with no warning, and the count holds.
 */
static void
test_budget_thread(void **state)
{
	struct st	*s = *state;

	assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-B", "0"), 0);
	unlock(s);
	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	budgets_wait(s, 2);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	it_kill(&s->it);
	assert_int_equal(it_start_args(&s->it, "-T", "-B", "0"), 0);
	unlock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule three (line 4)"));
	assert_false(it_log_has(&s->it, "budgets: "));
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

/* 1 if segment n of the log has a budget charge of pm after seq. */
static int
seg_charged(struct st *s, int n, unsigned long long seq)
{
	char		 path[300], *log, *line, *nl;
	size_t		 len;
	int		 has = 0;

	if (n == 0)
		snprintf(path, sizeof(path), "%s/audit.log", s->it.home);
	else
		snprintf(path, sizeof(path), "%s/audit.log.%06d", s->it.home,
		    n);
	if ((log = it_slurp(path, &len)) == NULL)
		return 0;
	for (line = log; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if (strtoull(line, NULL, 10) > seq &&
		    strstr(line, "\tbudget\t-\t/pm/") != NULL)
			has = 1;
	}
	free(log);
	return has;
}

/* The number of the log's last segment. */
static int
seg_last(struct st *s)
{
	struct stat	sb;
	char		path[300];
	int		n;

	for (n = 0; ; n++) {
		snprintf(path, sizeof(path), "%s/audit.log.%06d", s->it.home,
		    n + 1);
		if (stat(path, &sb) != 0)
			return n;
	}
}

/*
 * One of a limit of 4 a day charged and a copy of the budgets file that
 * holds it kept, then two more, which the log rotates (segments of 1500
 * bytes) into segments before the last; vaultd killed and the copy put
 * back.  The segments holding the later charges are then removed
 * (unreadable: each made a directory, itself kept aside in *away).
 */
static void
budget_old_file(struct st *s, int unreadable, char away[4][320], int *naway)
{
	char			 path[300], seg[300], *old;
	const char		*p;
	size_t			 len;
	unsigned long long	 seq;
	int			 n, last;

	assert_int_equal(it_stop(&s->it, 5000), 0);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	apply(s, "allow operator catalog level l1 limit 4/day per "
	    "account label four\nallow operator catalog level l2\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	relock(s);
	budgets_wait(s, 1);
	snprintf(path, sizeof(path), "%s/budgets", s->it.home);
	assert_non_null(old = it_slurp(path, &len));
	assert_non_null(p = strstr(old, "\nseq "));
	seq = strtoull(p + 5, NULL, 10);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	for (n = 0; seg_charged(s, 0, seq) || seg_last(s) == 0 ||
	    seg_charged(s, seg_last(s), seq); n++) {
		assert_true(n < 30);
		relock(s);
	}
	it_kill(&s->it);
	it_write(path, old, 0600);
	free(old);
	last = seg_last(s);
	*naway = 0;
	for (n = 1; n < last; n++) {
		if (!seg_charged(s, n, seq))
			continue;
		snprintf(seg, sizeof(seg), "%s/audit.log.%06d", s->it.home, n);
		if (unreadable) {
			assert_true(*naway < 4);
			snprintf(away[*naway], sizeof(away[0]), "%s.away", seg);
			assert_int_equal(rename(seg, away[*naway]), 0);
			assert_int_equal(mkdir(seg, 0700), 0);
			(*naway)++;
		} else
			assert_int_equal(unlink(seg), 0);
	}
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
}

/* Budgeted requests refused, others not, and vaultctl status says why. */
static void
budget_held(struct st *s)
{
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule four (line 4): budget "
	    "limit 4/day per account held: charges not on the audit log "
	    "(vaultctl status)"));
	assert_int_equal(CTL(s, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	assert_int_equal(CTL(s, NULL, "status"), 0);
	assert_non_null(strstr(s->out, "\nbudgets admit nothing"));
}

/*
 * An older budgets file of this vault, with the segments after it that
 * hold charges removed: the records left do not run on from its seq,
 * and every budget admits nothing while a charge among those missing
 * could count (for a daily limit, to the end of the day), across a
 * restart too; vaultd's log and vaultctl status say why, and requests
 * under no budget go on.  Before, the file and the records left were
 * counted and the limit of 4 let two more through.
 */
static void
test_budget_segments_gone(void **state)
{
	struct st	*s = *state;
	char		 away[4][320];
	int		 naway;

	budget_old_file(s, 0, away, &naway);
	budget_held(s);
	assert_true(it_log_has(&s->it, "budgets: the audit log has no "
	    "records "));
	assert_non_null(strstr(s->out, "(a segment removed?), whose charges "
	    "cannot be counted"));
	/* the next file says so: a restart keeps them held */
	relock(s);
	it_kill(&s->it);
	assert_int_equal(it_start_args(&s->it, "-T", "-S", "1500"), 0);
	unlock(s);
	budget_held(s);
}

/*
 * The audit log unreadable at the restore (a segment after the budgets
 * file that cannot be read): no budget admits anything, said in vaultd's
 * log and vaultctl status, until an unlock can read it; then the count
 * is exact.  Before, the budgets file's counters were kept unchecked and
 * the limit of 4 let three more through.
 */
static void
test_budget_log_unreadable(void **state)
{
	struct st	*s = *state;
	char		 away[4][320], seg[320];
	int		 naway, i;

	budget_old_file(s, 1, away, &naway);
	assert_true(naway > 0);
	budget_held(s);
	assert_true(it_log_has(&s->it, "budgets: the audit log could not be "
	    "read to count their charges"));
	assert_non_null(strstr(s->out, "budgets admit nothing: the audit log "
	    "could not be read"));
	for (i = 0; i < naway; i++) {
		snprintf(seg, sizeof(seg), "%.*s", (int)strlen(away[i]) - 5,
		    away[i]);
		assert_int_equal(rmdir(seg), 0);
		assert_int_equal(rename(away[i], seg), 0);
	}
	relock(s);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 4);
	assert_non_null(strstr(s->out, "denied by rule four (line 4): budget "
	    "limit 4/day per account exhausted"));
	assert_int_equal(CTL(s, NULL, "status"), 0);
	assert_null(strstr(s->out, "budgets admit nothing"));
	assert_int_equal(CTL(s, NULL, "audit verify"), 0);
}

/*
 * The lines of audit.log whose op is op (and, unless NULL, whose actor
 * is actor), as they are, into out.
 */
static void
log_lines(struct st *s, const char *op, const char *actor, char *out,
    size_t outlen)
{
	char		 path[300], *log, *line, *nl, *f[5];
	size_t		 len, at = 0, k;

	snprintf(path, sizeof(path), "%s/audit.log", s->it.home);
	assert_non_null(log = it_slurp(path, &len));
	out[0] = '\0';
	for (line = log; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		f[0] = line;
		for (k = 1; k < 5; k++)
			assert_non_null(f[k] = strchr(f[k - 1], '\t') + 1);
		if (strncmp(f[4], op, strlen(op)) != 0 ||
		    f[4][strlen(op)] != '\t' || (actor != NULL &&
		    (strncmp(f[2], actor, strlen(actor)) != 0 ||
		    f[2][strlen(actor)] != '\t')))
			continue;
		assert_true(at + (size_t)(nl + 1 - line) < outlen);
		memcpy(out + at, line, (size_t)(nl + 1 - line));
		at += (size_t)(nl + 1 - line);
		out[at] = '\0';
	}
	free(log);
}

/*
 * What a signature charged is reachable from audit show: --op budget
 * gives the budget records as the log has them, and --actor with a
 * signature's actor gives its budget record right before its verdict.
 */
static void
test_budget_show(void **state)
{
	struct st	*s = *state;
	char		 want[4096], actor[AUDIT_MAX_NAME + 1], path[64];
	const char	*p, *tab;

	apply(s, "allow operator catalog level l1 limit 3/day per "
	    "account label three\n");
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	assert_int_equal(CTL(s, NULL, "headers l1 --account pm"), 0);
	log_lines(s, "budget", NULL, want, sizeof(want));
	assert_int_equal(CTL(s, NULL, "audit show --op budget --tail 100"), 0);
	assert_string_equal(s->out, want);
	/* two records, each charging 1 to pm's count, of this uid */
	snprintf(path, sizeof(path), "\tpm\tbudget\t-\t/pm/o%u/0:",
	    (unsigned)getuid());
	assert_non_null(p = strstr(s->out, path));
	assert_non_null(p = strstr(p + 1, path));
	assert_null(strstr(p + 1, path));
	/* --op sign does not take them: their op is budget */
	assert_int_equal(CTL(s, NULL, "audit show --op sign --tail 100"), 0);
	assert_null(strstr(s->out, "\tbudget\t"));
	/* the first signature's actor: its charge, then its verdict */
	p = strchr(strchr(want, '\t') + 1, '\t') + 1;
	assert_non_null(tab = strchr(p, '\t'));
	assert_true((size_t)(tab - p) < sizeof(actor));
	memcpy(actor, p, (size_t)(tab - p));
	actor[tab - p] = '\0';
	log_lines(s, "budget", actor, want, sizeof(want));
	log_lines(s, "sign", actor, want + strlen(want),
	    sizeof(want) - strlen(want));
	assert_int_equal(CTL(s, NULL, "audit show --actor %s --tail 100",
	    actor), 0);
	assert_string_equal(s->out, want);
	assert_non_null(p = strstr(s->out, "\tbudget\t-\t/pm/o"));
	assert_non_null(strstr(p, "\tsign\t"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deny_names_rule, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_path_case, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_apply_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tampered_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_change_approvers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_approval, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_crash, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_segments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_file_bad, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_file_bad_segments,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_held_bucket,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_over_limit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_window_closed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_file_edited,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_file_foreign,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_show, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_thread, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_budget_segments_gone,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_budget_log_unreadable,
		    setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	/* POLICY_TEST=name: that test alone */
	if (getenv("POLICY_TEST") != NULL)
		cmocka_set_test_filter(getenv("POLICY_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
