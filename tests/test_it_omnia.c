/*
 * Omnia end to end: vaultctl -> vaultd -> netd -> the local test
 * exchange (omnia profile), with the token request's body made and
 * sealed by signerd.  Import (good, wrong shape, wrong profile), list,
 * create (stored sealed; refused by the policy's key-permissions
 * ceiling and by the calling key's permissions, before anything goes
 * out), rotate (the new secret replaces the old in the vault; the old
 * one is refused by the exchange), the token cached (one token request
 * for two calls), bought again on expiry and once, only once, after a
 * 401 INVALID_JWT_TOKEN; a control client never gets a bearer request
 * signed; no secret in vaultctl's output, vaultd's log or the audit log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define PASSPHRASE	"omnia test passphrase 7d2a"
#define PERMS		"[\"keys:read\",\"keys:write\",\"trade\"]"

struct ot {
	struct it	 it;
	struct txt	 tx;
	char		 pass[128], state[128], url[64];
	char		 id[64], secret[128];	/* the seed key */
	char		 out[65536];
	char		*all;			/* every output so far */
	size_t		 alllen;
};

static struct ot	ot;

static int
ctl(struct ot *o, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
ctl(struct ot *o, const char *in, const char *fmt, ...)
{
	char	 args[2048], *p;
	va_list	 ap;
	size_t	 n;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	r = it_ctl(&o->it, in, o->out, sizeof(o->out), "%s", args);
	n = strlen(o->out);
	if ((p = realloc(o->all, o->alllen + n + 1)) == NULL)
		abort();
	o->all = p;
	memcpy(o->all + o->alllen, o->out, n + 1);
	o->alllen += n;
	return r;
}

#define run(o, want, in, ...)	do {					\
	int	r_ = ctl((o), (in), __VA_ARGS__);			\
	if (r_ != (want))						\
		fail_msg("line %d: exit %d, not %d:\n%s", __LINE__, r_,	\
		    (want), (o)->out);					\
} while (0)

static void
has(struct ot *o, const char *want)
{
	if (strstr(o->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", o->out, want);
}

static void
lacks(struct ot *o, const char *s)
{
	if (strstr(o->out, s) != NULL)
		fail_msg("output \"%s\" has \"%s\"", o->out, s);
}

static void
faults(struct ot *o, const char *body)
{
	struct txr	r;

	if (txt_admin(&o->tx, "POST", "faults", body, &r) != 200)
		fail_msg("faults %s: %ld", body, r.status);
	txr_free(&r);
}

#define TOKENS(o)	\
	txt_log_count(&(o)->tx, 0, "POST", "/v3/auth/token", NULL)

/* A first key, as the exchange's web interface would make it. */
static void
seed(struct ot *o, const char *perms, char *id, size_t idlen, char *secret,
    size_t slen)
{
	struct txr	r;
	char		body[256];

	snprintf(body, sizeof(body), "{\"label\":\"seed\",\"permissions\":%s}",
	    perms);
	assert_int_equal(txt_admin(&o->tx, "POST", "omnia/keys", body, &r),
	    201);
	snprintf(id, idlen, "%s", json_string_value(json_object_get(r.json,
	    "apiKeyId")));
	snprintf(secret, slen, "%s", json_string_value(json_object_get(r.json,
	    "apiKeySecret")));
	txr_free(&r);
}

/* POST /v3/auth/token straight to the exchange: its status. */
static long
token_status(struct ot *o, const char *id, const char *secret)
{
	struct txr	r;
	char		body[512];
	long		st;

	snprintf(body, sizeof(body), "{\"keyId\":\"%s\",\"secret\":\"%s\"}",
	    id, secret);
	txt_req(&o->tx, "POST", "/v3/auth/token", NULL, body, &r);
	st = r.status;
	txr_free(&r);
	return st;
}

/* The secret of key id in the exchange's state file. */
static void
exchange_secret(struct ot *o, const char *id, char *out, size_t len)
{
	json_t	*st, *e;
	size_t	 i;

	out[0] = '\0';
	assert_non_null(st = json_load_file(o->state, 0, NULL));
	json_array_foreach(json_object_get(st, "omnia_keys"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "id")),
		    id) == 0)
			snprintf(out, len, "%s", json_string_value(
			    json_object_get(e, "secret")));
	json_decref(st);
	assert_true(out[0] != '\0');
}

/*
 * vaultd in a fresh home, the Omnia exchange, account "main", and its
 * seed key imported with its permissions.
 */
static int
setup(void **state)
{
	struct ot	*o = &ot;
	const char	*extra[3];
	char		 in[512];

	free(o->all);
	memset(o, 0, sizeof(*o));
	*state = o;
	it_init(&o->it);
	if (snprintf(o->pass, sizeof(o->pass), "%s.pass", o->it.home) >=
	    (int)sizeof(o->pass) || snprintf(o->state, sizeof(o->state),
	    "%s.tx.json", o->it.home) >= (int)sizeof(o->state))
		return -1;
	it_write(o->pass, PASSPHRASE "\n", 0600);
	extra[0] = "--state";
	extra[1] = o->state;
	extra[2] = NULL;
	if (txt_start_argv(&o->tx, "omnia", extra) != 0)
		return -1;
	if (snprintf(o->url, sizeof(o->url), "%s", o->tx.url) >=
	    (int)sizeof(o->url))
		return -1;
	if (it_start_args(&o->it, "-T", NULL, NULL) != 0)
		return -1;
	if (ctl(o, NULL, "init --passphrase-file %s --kdf min", o->pass) ||
	    ctl(o, NULL, "account add main --profile omnia --url %s",
	    o->url))
		return -1;
	seed(o, PERMS, o->id, sizeof(o->id), o->secret, sizeof(o->secret));
	if (snprintf(in, sizeof(in), "{\"apiKeyId\":\"%s\",\"apiKeySecret\":"
	    "\"%s\",\"permissions\":" PERMS "}", o->id, o->secret) >=
	    (int)sizeof(in) || ctl(o, in, "apikey import --account main") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct ot	*o = *state;

	if (getenv("IT_KEEP") != NULL)
		fprintf(stderr, "kept: %s, %s\n", o->it.home, o->tx.dir);
	it_cleanup(&o->it);
	txt_cleanup(&o->tx);
	unlink(o->pass);
	unlink(o->state);
	free(o->all);
	o->all = NULL;
	o->alllen = 0;
	return 0;
}

static void
no_secret(const char *what, const char *buf, size_t len, const char *s)
{
	if (s != NULL && s[0] != '\0' && memmem(buf, len, s, strlen(s)))
		fail_msg("%s holds the secret %s", what, s);
}

/* Nothing printed, in vaultd's log or the audit log holds a secret. */
static void
check_no_secrets(struct ot *o)
{
	json_t	*st, *e;
	char	 audit[128], *buf[2];
	size_t	 len[2] = { 0, 0 }, i, k;

	snprintf(audit, sizeof(audit), "%s/audit.log", o->it.home);
	assert_non_null(buf[0] = it_slurp(audit, &len[0]));
	assert_non_null(buf[1] = it_slurp(o->it.log, &len[1]));
	assert_non_null(st = json_load_file(o->state, 0, NULL));
	assert_true(json_array_size(json_object_get(st, "omnia_keys")) > 0);
	json_array_foreach(json_object_get(st, "omnia_keys"), i, e) {
		const char *s = json_string_value(json_object_get(e,
		    "secret"));

		no_secret("vaultctl output", o->all, o->alllen, s);
		for (k = 0; k < 2; k++)
			no_secret(k ? o->it.log : audit, buf[k], len[k], s);
	}
	no_secret("vaultctl output", o->all, o->alllen, o->secret);
	for (k = 0; k < 2; k++) {
		no_secret("log", buf[k], len[k], o->secret);
		no_secret("log", buf[k], len[k], PASSPHRASE);
		free(buf[k]);
	}
	json_decref(st);
}

static void
test_import(void **state)
{
	struct ot	*o = *state;
	char		 in[512];

	/* the seed key went in with its permissions, listed not secret */
	run(o, 0, NULL, "apikey list --local --account main");
	has(o, o->id);
	has(o, "permissions keys:read,keys:write,trade  created ");
	has(o, " (0 d)  (active)");
	/* a CLOB-shaped key for an Omnia account */
	run(o, 2, "{\"apiKey\":\"k1\",\"secret\":\"c2VjcmV0\","
	    "\"passphrase\":\"p\"}", "apikey import --account main");
	has(o, "vaultctl: apikey import: an Openfish or Polymarket key for "
	    "an Omnia account: expected JSON {\"apiKeyId\", \"apiKeySecret\", "
	    "\"permissions\"?} (account is an Omnia account)\n");
	/* an Omnia key for a CLOB account */
	run(o, 0, NULL, "account add pm --profile polymarket --url "
	    "http://127.0.0.1:9/");
	run(o, 2, "{\"apiKeyId\":\"k2\",\"apiKeySecret\":\"s3cr3t-zz\"}",
	    "apikey import --account pm");
	has(o, "vaultctl: apikey import: an Omnia key (apiKeyId) for an "
	    "Openfish or Polymarket account: expected JSON {\"apiKey\", "
	    "\"secret\", \"passphrase\"}\n");
	/* nothing given: the shape of the account's keys is named */
	run(o, 2, NULL, "apikey import --account main");
	has(o, "vaultctl: apikey import: nothing to read: expected JSON "
	    "{\"apiKeyId\", \"apiKeySecret\", \"permissions\"?} on standard "
	    "input\n");
	/* malformed Omnia keys */
	run(o, 2, "{\"apiKeyId\":\"k3\"}", "apikey import --account main");
	has(o, "\"apiKeySecret\" is missing");
	run(o, 2, "{\"apiKeyId\":\"k3\",\"apiKeySecret\":\"s\",\"permissions\":"
	    "[\"a\",\"a\"]}", "apikey import --account main");
	has(o, "\"permissions\" must be a list of distinct strings");
	run(o, 2, "{\"apiKeyId\":\"k3\",\"apiKeySecret\":\"s\",\"x\":1}",
	    "apikey import --account main");
	has(o, "unknown member \"x\"");
	/* no permissions given: stored without, the same key id refused */
	snprintf(in, sizeof(in), "{\"apiKeyId\":\"k4\",\"apiKeySecret\":"
	    "\"another-secret-4\"}");
	run(o, 0, in, "apikey import --account main");
	has(o, "stored key, fingerprint: ");
	lacks(o, "permissions");
	run(o, 1, in, "apikey import --account main");
	run(o, 8, in, "apikey import --account nosuch");
	has(o, "no account nosuch in the vault");
	check_no_secrets(o);
}

static void
test_list_cached(void **state)
{
	struct ot	*o = *state;
	json_t		*j, *k;

	run(o, 0, NULL, "apikey list --account main");
	has(o, "apiKeys:\n  apiKeyId=");
	has(o, "label=seed  permissions=[\"keys:read\",\"keys:write\","
	    "\"trade\"]\n");
	run(o, 0, NULL, "--json apikey list --account main");
	assert_non_null(j = json_loads(o->out, 0, NULL));
	k = json_array_get(json_object_get(json_object_get(j, "result"),
	    "apiKeys"), 0);
	assert_string_equal(json_string_value(json_object_get(k, "apiKeyId")),
	    o->id);
	assert_int_equal(json_object_size(k), 3);
	json_decref(j);
	/* one token for both calls */
	assert_int_equal(TOKENS(o), 1);
	assert_int_equal(txt_log_count(&o->tx, 0, "GET", "/v3/api-keys", "ok"),
	    2);
	/* a lock wipes it: the next call buys another */
	run(o, 0, NULL, "lock");
	run(o, 0, NULL, "unlock --passphrase-file %s", o->pass);
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 2);
	check_no_secrets(o);
}

/*
 * Wait for the one request held for approval, then after wait_ms grant
 * it with the approver's key.
 */
static void
grant_held(struct ot *o, const char *key, int wait_ms)
{
	json_t	*j, *p;
	int64_t	 start = it_ms();
	char	 id[17];

	for (;;) {
		run(o, 0, NULL, "--json approve list");
		assert_non_null(j = json_loads(o->out, 0, NULL));
		p = json_array_get(json_object_get(j, "pending"), 0);
		if (p != NULL)
			break;
		json_decref(j);
		if (it_ms() - start > 5000)
			fail_msg("no request held for approval");
		it_sleep_ms(50);
	}
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(p,
	    "id")));
	json_decref(j);
	it_sleep_ms(wait_ms);
	run(o, 0, NULL, "approve grant %s --key-file %s", id, key);
}

/* The text of a file, at most len - 1 bytes. */
static void
text_of(const char *path, char *text, size_t len)
{
	FILE	*f;
	size_t	 n = 0;

	if ((f = fopen(path, "r")) != NULL) {
		n = fread(text, 1, len - 1, f);
		fclose(f);
	}
	text[n] = '\0';
}

static void
test_token_refresh(void **state)
{
	struct ot	*o = *state;
	char		 key[160], policy[160], outfile[160], text[1024];
	pid_t		 pid;
	int		 st;

	/* a 4 s token is used for 2 s (half its life), then bought anew */
	faults(o, "{\"token_lifetime\":4}");
	run(o, 0, NULL, "apikey list --account main");
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 1);
	it_sleep_ms(2500);
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 2);
	faults(o, "{\"token_lifetime\":86400}");

	/* 401 INVALID_JWT_TOKEN: a new token and the request once more */
	faults(o, "{\"jwt_reject_next\":1}");
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 3);
	assert_int_equal(txt_log_count(&o->tx, 0, "GET", "/v3/api-keys",
	    "omnia:jwt-rejected"), 1);
	/* the new token is kept */
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 3);
	/* twice in a row: retried once, only once */
	faults(o, "{\"jwt_reject_next\":5}");
	run(o, 10, NULL, "apikey list --account main");
	has(o, "vaultctl: apikey list: the exchange answered HTTP 401 "
	    "INVALID_JWT_TOKEN: invalid token\n");
	assert_int_equal(TOKENS(o), 4);
	assert_int_equal(txt_log_count(&o->tx, 0, "GET", "/v3/api-keys",
	    "omnia:jwt-rejected"), 3);
	faults(o, "{\"jwt_reject_next\":0}");
	/* the 401 wiped the token: the next call buys one */
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 5);

	/*
	 * A token that expires while its step waits (here for an approval)
	 * is bought anew, and the step asked for once more.
	 */
	faults(o, "{\"token_lifetime\":4}");
	run(o, 0, NULL, "lock");		/* the day-long token wiped */
	run(o, 0, NULL, "unlock --passphrase-file %s", o->pass);
	snprintf(key, sizeof(key), "%s.alice", o->it.home);
	snprintf(policy, sizeof(policy), "%s.policy", o->it.home);
	snprintf(outfile, sizeof(outfile), "%s.bg", o->it.home);
	unlink(key);
	run(o, 0, NULL, "approver keygen %s", key);
	snprintf(text, sizeof(text), "approver alice \"%.64s\"\n"
	    "allow operator catalog label default\n"
	    "approve 1 of { alice } operator method GET label held\n", o->out);
	it_write(policy, text, 0600);
	run(o, 0, NULL, "policy apply %s --passphrase-file %s", policy,
	    o->pass);
	pid = it_ctl_spawn(&o->it, outfile, "apikey list --account main");
	assert_true(pid > 0);
	/* its token bought, the step held past the token's 2 s */
	grant_held(o, key, 2500);
	grant_held(o, key, 0);		/* the step, with a new token */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	text_of(outfile, text, sizeof(text));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("apikey list: %s", text);
	assert_int_equal(TOKENS(o), 7);
	assert_true(it_log_has(&o->it, "GET /v3/api-keys: the token expired "
	    "meanwhile: a new token"));
	it_write(policy, "allow operator catalog label default\n", 0600);
	run(o, 0, NULL, "policy apply %s --passphrase-file %s", policy,
	    o->pass);
	unlink(policy);
	unlink(outfile);
	unlink(key);
	faults(o, "{\"token_lifetime\":86400}");
	check_no_secrets(o);
}

static void
test_create(void **state)
{
	struct ot	*o = *state;
	char		 policy[128], id[64], secret[128];
	const char	*p;

	run(o, 0, NULL, "apikey create --account main --label bot "
	    "--permission keys:read --permission trade");
	has(o, "label: bot\npermissions:\n  keys:read\n  trade\n"
	    "vault: stored API key ");
	assert_non_null(p = strstr(o->out, "apiKeyId: "));
	snprintf(id, sizeof(id), "%.36s", p + 10);
	/* in the vault, with its permissions; its secret works */
	run(o, 0, NULL, "apikey list --local --account main");
	has(o, id);
	has(o, "permissions keys:read,trade  created ");
	exchange_secret(o, id, secret, sizeof(secret));
	assert_int_equal(token_status(o, id, secret), 200);

	/* more than the calling key holds: refused before anything (the
	 * call's token and the one asked for here) */
	assert_int_equal(TOKENS(o), 2);
	run(o, 12, NULL, "apikey create --account main --label x "
	    "--permission admin --permission trade --permission withdraw");
	has(o, "vaultctl: apikey create: permissions the calling key does "
	    "not hold: admin, withdraw (a key grants only what it holds)\n");
	assert_int_equal(TOKENS(o), 2);
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", NULL),
	    1);

	/* beyond the policy's ceiling: refused, naming them */
	snprintf(policy, sizeof(policy), "%s.policy", o->it.home);
	it_write(policy, "allow operator catalog label default\n"
	    "key-permissions { keys:read }\n", 0600);
	run(o, 0, NULL, "policy apply %s --passphrase-file %s", policy,
	    o->pass);
	run(o, 12, NULL, "apikey create --account main --label y "
	    "--permission keys:read --permission keys:write --permission "
	    "trade");
	has(o, "vaultctl: apikey create: permissions not allowed by the "
	    "policy's key-permissions ceiling ({keys:read}): keys:write, "
	    "trade\n");
	assert_int_equal(TOKENS(o), 2);
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", NULL),
	    1);
	/* within it: made */
	run(o, 0, NULL, "apikey create --account main --label z "
	    "--permission keys:read");
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", "ok"),
	    2);

	/* a rule on the key's permissions decides a create */
	it_write(policy, "allow operator catalog label default\n"
	    "deny operator key permissions = trade label no-trade\n", 0600);
	run(o, 0, NULL, "policy apply %s --passphrase-file %s", policy,
	    o->pass);
	run(o, 4, NULL, "apikey create --account main --label t "
	    "--permission trade");
	has(o, "vaultctl: apikey create: denied by rule no-trade (line 2)\n");
	/* ... and so is trade with another beside it */
	run(o, 4, NULL, "apikey create --account main --label t "
	    "--permission keys:read --permission trade");
	has(o, "vaultctl: apikey create: denied by rule no-trade (line 2)\n");
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", NULL),
	    2);
	run(o, 0, NULL, "apikey create --account main --label r "
	    "--permission keys:read");
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", "ok"),
	    3);

	/* an exchange that grants more than asked: the key is not kept,
	 * and the exchange's list shows what it holds */
	faults(o, "{\"grant_all_next\":1}");
	run(o, 12, NULL, "apikey create --account main --label g "
	    "--permission keys:read");
	assert_non_null(p = strstr(o->out, "issued API key "));
	snprintf(id, sizeof(id), "%.36s", p + 15);
	has(o, " with permissions the call did not ask for; the vault "
	    "discarded its secret: remove the key at the exchange (apikey "
	    "list --account main shows it)\n");
	run(o, 0, NULL, "apikey list --local --account main");
	assert_null(strstr(o->out, id));
	run(o, 0, NULL, "apikey list --account main");
	has(o, id);
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/api-keys", "ok"),
	    4);

	/* a CLOB parameter for an Omnia account */
	run(o, 1, NULL, "apikey create --account main --nonce 3");
	has(o, "vaultctl: apikey create: apikey.create takes no parameter nonce\n");
	check_no_secrets(o);
	unlink(policy);
}

/* A create that asks for no permission makes a key with none. */
static void
test_create_bare(void **state)
{
	struct ot	*o = *state;
	char		 id[64];
	const char	*p;

	run(o, 0, NULL, "apikey create --account main --label bare");
	has(o, "vault: stored API key ");
	assert_non_null(p = strstr(o->out, "apiKeyId: "));
	snprintf(id, sizeof(id), "%.36s", p + 10);
	run(o, 0, NULL, "apikey list --local --account main");
	has(o, id);
	/* an exchange that grants some all the same: not kept */
	faults(o, "{\"grant_all_next\":1}");
	run(o, 12, NULL, "apikey create --account main --label bare2");
	has(o, " with permissions the call did not ask for; the vault "
	    "discarded its secret");
	check_no_secrets(o);
}

static void
test_rotate(void **state)
{
	struct ot	*o = *state;
	char		 fp_old[32], fp_new[32], secret[128];
	const char	*p;

	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 1);
	run(o, 0, NULL, "apikey list --local --account main");
	assert_non_null(p = strstr(o->out, o->id));
	snprintf(fp_old, sizeof(fp_old), "%.16s", p + strlen(o->id) + 10);

	run(o, 0, NULL, "apikey rotate --account main");
	has(o, "vaultctl: apikey rotate: rotating the active key ");
	has(o, "rotated: true\nvault: replaced the secret of API key ");
	/* the old secret is dead at the exchange, the new one works */
	assert_int_equal(token_status(o, o->id, o->secret), 401);
	exchange_secret(o, o->id, secret, sizeof(secret));
	assert_int_equal(token_status(o, o->id, secret), 200);
	/* one record, still active, a new fingerprint, same permissions */
	run(o, 0, NULL, "apikey list --local --account main");
	assert_non_null(p = strstr(o->out, o->id));
	snprintf(fp_new, sizeof(fp_new), "%.16s", p + strlen(o->id) + 10);
	assert_string_not_equal(fp_old, fp_new);
	has(o, "permissions keys:read,keys:write,trade  created ");
	has(o, " (0 d)  (active)\n");
	/* rotate used the key's own token, then wiped it; the two above
	 * were this test's; the next call buys one with the new secret */
	assert_int_equal(TOKENS(o), 3);
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 4);
	assert_int_equal(txt_log_count(&o->tx, 0, "POST", "/v3/auth/token",
	    "ok"), 3);
	/* a key the vault does not hold */
	run(o, 8, NULL, "apikey rotate --account main --key-id nosuch");
	check_no_secrets(o);
	run(o, 0, NULL, "audit verify");
}

/*
 * A token goes only where it was bought, and only for the key it was
 * bought with: an account update forgets the account's tokens (the
 * same exchange by another name buys a new one), and a token that
 * arrives after another key was made active is neither used nor kept;
 * one that arrives after another account was written is.
 */
static void
test_token_forgotten(void **state)
{
	struct ot	*o = *state;
	char		 url[160], in[512], id2[64], s2[96], out[160], *p, *res;
	size_t		 len = 0;
	pid_t		 pid;
	int		 status;

	snprintf(out, sizeof(out), "%s.out", o->it.home);
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 1);
	assert_non_null(p = strstr(o->url, "127.0.0.1"));
	snprintf(url, sizeof(url), "%.*slocalhost%s", (int)(p - o->url),
	    o->url, p + strlen("127.0.0.1"));
	run(o, 0, NULL, "account update main --url %s --passphrase-file %s",
	    url, o->pass);
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 2);

	seed(o, PERMS, id2, sizeof(id2), s2, sizeof(s2));
	snprintf(in, sizeof(in), "{\"apiKeyId\":\"%s\",\"apiKeySecret\":"
	    "\"%s\",\"permissions\":" PERMS "}", id2, s2);
	run(o, 0, in, "apikey import --account main");
	run(o, 0, NULL, "account update main --url %s --passphrase-file %s",
	    o->url, o->pass);
	faults(o, "{\"latency_ms\":1500}");

	/* another account written while main's token is bought: kept */
	pid = it_ctl_spawn(&o->it, out, "apikey list --account main");
	assert_true(pid > 0);
	it_sleep_ms(500);
	run(o, 0, NULL, "account add other --profile omnia --url %s", o->url);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0) {
		res = it_slurp(out, &len);
		fail_msg("exit %d: %s", WEXITSTATUS(status), res);
	}
	assert_int_equal(TOKENS(o), 3);
	/* a lock wipes it: the next call buys one */
	run(o, 0, NULL, "lock");
	run(o, 0, NULL, "unlock --passphrase-file %s", o->pass);

	/* the first key's token is bought while the second is made active */
	pid = it_ctl_spawn(&o->it, out, "apikey list --account main");
	assert_true(pid > 0);
	it_sleep_ms(500);
	run(o, 0, NULL, "apikey use --account main --key-id %s", id2);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_non_null(res = it_slurp(out, &len));
	unlink(out);
	if (strstr(res, "the vault changed during the call (vault locked, "
	    "key or account changed): try again") == NULL)
		fail_msg("exit %d: %s", WEXITSTATUS(status), res);
	free(res);
	assert_int_equal(WEXITSTATUS(status), 5);
	assert_int_equal(TOKENS(o), 4);
	/* the next call buys a token for the key now active */
	faults(o, "{\"latency_ms\":0}");
	run(o, 0, NULL, "apikey list --account main");
	assert_int_equal(TOKENS(o), 5);
	check_no_secrets(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_cached, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_refresh, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_forgotten, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_bare, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
