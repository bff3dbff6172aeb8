/*
 * vaultctl as a command line, through the real binary: help and
 * --version on standard output with exit 0; "did you mean" for a
 * mistyped command; options matched by their whole name only; an option
 * that looks like a secret refused before anything runs, its value never
 * echoed; --json anywhere and honoured for every outcome, usage errors
 * and a vaultd that is not running included.  Against a real vaultd:
 * apikey import with --json (it aborted after storing the key) and with
 * bad input (it crashed), account list (accounts only, keys counted, no
 * JSON inside JSON) and keys list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/version.h"
#include "tests/it.h"

#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define WALLET_ADDR	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define API_SECRET	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define API_SECRET2	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA="
#define API_PASS	"api-pass-S3CR3T"
#define SECRET_WORD	"Hunter2-S3CR3T-word"
#define REFUSED		"vaultctl: secrets are never taken from the command " \
			"line; use --passphrase-file FILE, --keyfile FILE or " \
			"standard input\n"

struct run {
	int	rc;
	char	out[65536];
	char	err[16384];
};

struct ct {
	struct it	it;
	struct run	r;
	char		pass[128];
};

static struct ct	ct;

static void
slurp_into(const char *path, char *buf, size_t len)
{
	FILE	*f;
	size_t	 n = 0;

	buf[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run vaultctl with args (printf format), standard input from in:
 * standard output and standard error apart, and the exit status as the
 * shell saw it (a crash shows as 128 + the signal: 134, 139).
 */
static int
cli(struct ct *c, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cli(struct ct *c, const char *in, const char *fmt, ...)
{
	char	 args[8192], cmd[9000], inp[128], outp[128], errp[128];
	va_list	 ap;
	FILE	*f;
	int	 st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(inp, sizeof(inp), "%s.in", c->it.home);
	snprintf(outp, sizeof(outp), "%s.out", c->it.home);
	snprintf(errp, sizeof(errp), "%s.err", c->it.home);
	if ((f = fopen(inp, "w")) == NULL)
		abort();
	if (in != NULL)
		fputs(in, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl %s <%s >%s 2>%s",
	    c->it.build, args, inp, outp, errp);
	st = system(cmd);
	c->r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	slurp_into(outp, c->r.out, sizeof(c->r.out));
	slurp_into(errp, c->r.err, sizeof(c->r.err));
	unlink(inp);
	unlink(outp);
	unlink(errp);
	if (c->r.rc == 134 || c->r.rc == 139)
		fail_msg("vaultctl %s crashed (%d): %s%s", args, c->r.rc,
		    c->r.out, c->r.err);
	return c->r.rc;
}

/* Exactly rc, or fail showing the output. */
static void
want(struct ct *c, int rc)
{
	if (c->r.rc != rc)
		fail_msg("exit %d, wanted %d\nstdout: %s\nstderr: %s",
		    c->r.rc, rc, c->r.out, c->r.err);
}

static void
has(const char *where, const char *s)
{
	if (strstr(where, s) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", where, s);
}

static void
lacks(struct ct *c, const char *s)
{
	if (strstr(c->r.out, s) != NULL || strstr(c->r.err, s) != NULL)
		fail_msg("\"%s\" is in the output:\nstdout: %s\nstderr: %s", s,
		    c->r.out, c->r.err);
}

/* Standard output as one JSON document (and nothing after it). */
static json_t *
out_json(struct ct *c)
{
	json_error_t	 err;
	json_t		*j;

	if ((j = json_loads(c->r.out, 0, &err)) == NULL)
		fail_msg("not one JSON document (%s): %s\nstderr: %s",
		    err.text, c->r.out, c->r.err);
	return j;
}

/* A failure as JSON: {"ok": false, "error": "...", "exit": rc}. */
static json_t *
fail_json(struct ct *c, int rc)
{
	json_t	*j;

	want(c, rc);
	j = out_json(c);
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_true(json_is_string(json_object_get(j, "error")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), rc);
	return j;
}

static int
setup_bare(void **state)
{
	memset(&ct, 0, sizeof(ct));
	it_init(&ct.it);
	*state = &ct;
	return 0;
}

static int
setup_vaultd(void **state)
{
	struct ct	*c = &ct;

	setup_bare(state);
	snprintf(c->pass, sizeof(c->pass), "%.100s.pass", c->it.home);
	it_write(c->pass, "cli test passphrase\n", 0600);
	if (it_start(&c->it, "-T", NULL) != 0 ||
	    cli(c, NULL, "init --passphrase-file %s --kdf min", c->pass) != 0 ||
	    cli(c, NULL, "account add A --profile openfish") != 0 ||
	    cli(c, NULL, "account add B --profile polymarket --url "
	    "https://127.0.0.1:9/") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	struct ct	*c = *state;

	it_cleanup(&c->it);
	if (c->pass[0] != '\0')
		unlink(c->pass);
	return 0;
}

/* help, COMMAND --help, --version: standard output, exit 0. */
static void
test_help(void **state)
{
	struct ct	*c = *state;
	json_t		*j, *cmds, *e;
	char		 name[64], want_ver[64];
	size_t		 i;

	snprintf(want_ver, sizeof(want_ver), "vaultctl %s\n",
	    CLOBVAULT_VERSION);
	cli(c, NULL, "--version");
	want(c, 0);
	assert_string_equal(c->r.out, want_ver);
	assert_string_equal(c->r.err, "");
	assert_string_equal(CLOBVAULT_VERSION, "0.1.0");
	cli(c, NULL, "--version --json");
	want(c, 0);
	j = out_json(c);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
	    CLOBVAULT_VERSION);
	json_decref(j);

	cli(c, NULL, "help");
	want(c, 0);
	has(c->r.out, "usage: vaultctl [--json] COMMAND [ARGS]");
	has(c->r.out, "vaultctl keys list [--account A]");
	has(c->r.out, "vaultctl approve grant ID --key-file KEYFILE");
	has(c->r.out, "vaultctl policy sign FILE --key-file KEYFILE");
	has(c->r.out, "exit codes:");
	assert_string_equal(c->r.err, "");
	cli(c, NULL, "--help");
	want(c, 0);
	has(c->r.out, "usage: vaultctl [--json] COMMAND [ARGS]");
	assert_string_equal(c->r.err, "");
	cli(c, NULL, "-h");
	want(c, 0);
	has(c->r.out, "usage: vaultctl");

	cli(c, NULL, "help account");
	want(c, 0);
	assert_string_equal(c->r.err, "");
	has(c->r.out, "usage: vaultctl account add NAME --profile");
	has(c->r.out, "       vaultctl account list\n");
	assert_null(strstr(c->r.out, "vaultctl wallet"));
	cli(c, NULL, "account --help");
	want(c, 0);
	has(c->r.out, "       vaultctl account remove NAME [--force]\n");
	cli(c, NULL, "apikey create --account a --help");
	want(c, 0);
	has(c->r.out, "vaultctl apikey import --account A");

	/* every command in the table answers help CMD and CMD --help */
	cli(c, NULL, "--json help");
	want(c, 0);
	j = out_json(c);
	cmds = json_object_get(j, "commands");
	assert_true(json_array_size(cmds) >= 20);
	json_array_foreach(cmds, i, e) {
		snprintf(name, sizeof(name), "%s", json_string_value(
		    json_object_get(e, "command")));
		assert_true(json_array_size(json_object_get(e, "usage")) >= 1);
		cli(c, NULL, "%s --help", name);
		want(c, 0);
		assert_string_equal(c->r.err, "");
		has(c->r.out, "usage: vaultctl ");
		has(c->r.out, name);
		cli(c, NULL, "help %s", name);
		want(c, 0);
		has(c->r.out, "usage: vaultctl ");
	}
	json_decref(j);

	/* usage errors: standard error, exit 2 */
	cli(c, NULL, "%s", "");
	want(c, 2);
	assert_string_equal(c->r.out, "");
	has(c->r.err, "usage: vaultctl");
	cli(c, NULL, "help nosuch");
	want(c, 2);
	assert_string_equal(c->r.out, "");
	cli(c, NULL, "help account extra");
	want(c, 2);
	cli(c, NULL, "--bogus");
	want(c, 2);
	has(c->r.err, "unknown option --bogus");
}

/* A mistyped command: a suggestion within 2 edits or a unique prefix. */
static void
test_did_you_mean(void **state)
{
	struct ct	*c = *state;
	json_t		*j;

	cli(c, NULL, "acount list");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: unknown command acount; "
	    "did you mean account?\n");
	assert_string_equal(c->r.out, "");
	cli(c, NULL, "polcy show");
	want(c, 2);
	has(c->r.err, "did you mean policy?");
	cli(c, NULL, "stat");
	want(c, 2);
	has(c->r.err, "did you mean status?");
	cli(c, NULL, "notif list");
	want(c, 2);
	has(c->r.err, "did you mean notifications?");
	cli(c, NULL, "help walet");
	want(c, 2);
	has(c->r.err, "did you mean wallet?");
	/* approve and approver: no one guess */
	cli(c, NULL, "appro");
	want(c, 2);
	assert_null(strstr(c->r.err, "did you mean"));
	cli(c, NULL, "frobnicate");
	want(c, 2);
	assert_null(strstr(c->r.err, "did you mean"));
	has(c->r.err, "unknown command frobnicate");
	cli(c, NULL, "acount --json");
	j = fail_json(c, 2);
	assert_string_equal(json_string_value(json_object_get(j,
	    "did_you_mean")), "account");
	json_decref(j);
}

/*
 * An option that looks like it carries a secret is refused before
 * anything runs, its value nowhere in the output; a prefix of a real
 * option is unknown, not expanded.
 */
static void
test_secret_options(void **state)
{
	static const char *const names[] = {
		"passphrase", "pass", "password", "secret", "key", "token",
		"api-secret",
	};
	static const char *const cmds[] = {
		"unlock", "init", "passwd", "approve grant 0000000000000001",
		"policy sign /nonexistent", "apikey import --account A",
		"status", "nosuchcommand", "help",
	};
	struct ct	*c = *state;
	json_t		*j;
	size_t		 i, k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
			cli(c, NULL, "%s --%s " SECRET_WORD, cmds[k],
			    names[i]);
			want(c, 2);
			assert_string_equal(c->r.err, REFUSED);
			assert_string_equal(c->r.out, "");
			cli(c, NULL, "%s --%s=" SECRET_WORD, cmds[k],
			    names[i]);
			want(c, 2);
			assert_string_equal(c->r.err, REFUSED);
			lacks(c, SECRET_WORD);
			cli(c, NULL, "--json %s --%s=" SECRET_WORD, cmds[k],
			    names[i]);
			j = fail_json(c, 2);
			lacks(c, SECRET_WORD);
			has(json_string_value(json_object_get(j, "error")),
			    "secrets are never taken from the command line");
			json_decref(j);
		}
	/* even before a command; with --json after it */
	cli(c, NULL, "--passphrase " SECRET_WORD " unlock --json");
	j = fail_json(c, 2);
	lacks(c, SECRET_WORD);
	json_decref(j);

	/* a prefix of --passphrase-file is no option at all */
	cli(c, NULL, "unlock --passphrase-fil " SECRET_WORD);
	want(c, 2);
	has(c->r.err, "unknown option --passphrase-fil");
	lacks(c, SECRET_WORD);
	cli(c, NULL, "unlock --passphrase-fil=" SECRET_WORD);
	want(c, 2);
	lacks(c, SECRET_WORD);
	cli(c, NULL, "init --kd min");
	want(c, 2);
	has(c->r.err, "unknown option --kd");
	cli(c, NULL, "apikey create --acc a");
	want(c, 2);
	has(c->r.err, "unknown option --acc");
	cli(c, NULL, "wallet generate --acc A");
	want(c, 2);
	cli(c, NULL, "headers l1 --acc A");
	want(c, 2);
	cli(c, NULL, "policy test --acc A --actor operator --level l1 "
	    "--method GET --path /");
	want(c, 2);
	cli(c, NULL, "approve grant 0000000000000001 --key-f /nonexistent");
	want(c, 2);
	has(c->r.err, "unknown option --key-f");
	/* a value that is not the option's is not echoed either */
	cli(c, NULL, "unlock " SECRET_WORD);
	want(c, 2);
	lacks(c, SECRET_WORD);
	cli(c, NULL, "wallet import --account A " SECRET_WORD);
	want(c, 2);
	lacks(c, SECRET_WORD);
	cli(c, NULL, "status -x");
	want(c, 2);

	/* a file's name is no secret: --keyfile and --key-file are taken */
	cli(c, NULL, "unlock --keyfile /nonexistent");
	want(c, 3);
	assert_null(strstr(c->r.err, "secrets are never"));
	cli(c, NULL, "approve grant 0000000000000001 --key-file /nonexistent");
	assert_int_not_equal(c->r.rc, 2);
	has(c->r.err, "cannot read the approver key /nonexistent");
}

/* --json anywhere; every failure one JSON document with its exit code. */
static void
test_json_anywhere(void **state)
{
	static const char *const lines[] = {
		"--json status", "status --json", "--json account list",
		"account --json list", "account list --json",
		"apikey list --local --account A --json",
		"wallet --json address --account A",
		"--json policy show",
	};
	struct ct	*c = *state;
	json_t		*j;
	size_t		 i;

	/* no vaultd: 3 */
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		cli(c, NULL, "%s", lines[i]);
		j = fail_json(c, 3);
		assert_string_equal(c->r.err, "");
		assert_int_equal(json_integer_value(json_object_get(j,
		    "code")), -43);
		has(json_string_value(json_object_get(j, "detail")),
		    "cannot reach vaultd");
		json_decref(j);
	}
	/* usage errors: 2 */
	cli(c, NULL, "--json");
	json_decref(fail_json(c, 2));
	cli(c, NULL, "account bogus --json");
	json_decref(fail_json(c, 2));
	assert_string_equal(c->r.err, "");
	cli(c, NULL, "apikey create --account a --nonce x --json");
	j = fail_json(c, 2);
	assert_int_equal(json_integer_value(json_object_get(j, "code")), -56);
	json_decref(j);
	cli(c, NULL, "keys list --bogus --json");
	j = fail_json(c, 2);
	has(json_string_value(json_object_get(j, "detail")),
	    "unknown option --bogus");
	json_decref(j);
	cli(c, NULL, "--json --bogus");
	json_decref(fail_json(c, 2));
	cli(c, NULL, "audit show --tail x --json");
	json_decref(fail_json(c, 2));
	/* help and version are JSON too */
	cli(c, NULL, "account --help --json");
	want(c, 0);
	j = out_json(c);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    j, "help"), "command")), "account");
	json_decref(j);
	/* a policy file that does not parse: exit 1, one document */
	it_write(c->it.log, "allow nonsense {\n", 0600);
	cli(c, NULL, "policy lint %s --json", c->it.log);
	json_decref(fail_json(c, 1));
	unlink(c->it.log);
}

/* The key's JSON on standard input, printed back as JSON: no crash. */
static void
test_apikey_import(void **state)
{
	static const char	*key = "{\"apiKey\":\"k-1\",\"secret\":\""
	    API_SECRET "\",\"passphrase\":\"" API_PASS "\"}";
	struct ct		*c = *state;
	json_t			*j;

	cli(c, key, "--json apikey import --account A");
	want(c, 0);
	j = out_json(c);
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "apikey import");
	assert_string_equal(json_string_value(json_object_get(j, "key_id")),
	    "k-1");
	assert_int_equal(strlen(json_string_value(json_object_get(j,
	    "info"))), 16);
	json_decref(j);
	lacks(c, API_SECRET);
	lacks(c, API_PASS);
	/* --json after the command; "key" for "apiKey"; a nonce */
	cli(c, "{\"key\":\"k-2\",\"secret\":\"" API_SECRET "\",\"passphrase\":"
	    "\"" API_PASS "\"}", "apikey import --account A --nonce 2 --json");
	want(c, 0);
	json_decref(out_json(c));
	cli(c, key, "apikey import --account B");
	want(c, 0);
	has(c->r.out, "stored key, fingerprint: ");
	cli(c, NULL, "--json apikey list --local --account A");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 2);
	json_decref(j);
	lacks(c, API_SECRET);
	/* a key of an account that does not exist: JSON, exit 8 */
	cli(c, key, "--json apikey import --account nosuch");
	json_decref(fail_json(c, 8));
}

/* Bad input: exit 2, a message that says what, never the input. */
static void
test_apikey_import_bad(void **state)
{
	static const struct {
		const char	*in, *why;
	} bad[] = {
		{ "not json " API_PASS, "the input is not JSON (line 1" },
		{ "{\"apiKey\":\"k\",\"secret\":\"" API_PASS "\"",
		    "the input is not JSON" },
		{ "[\"" API_PASS "\"]", "must be one JSON object" },
		{ "\"" API_PASS "\"", "not JSON" },
		{ "{}", "\"apiKey\" is missing" },
		{ "{\"secret\":\"" API_SECRET "\",\"passphrase\":\"p\"}",
		    "\"apiKey\" is missing" },
		{ "{\"apiKey\":\"k\",\"passphrase\":\"" API_PASS "\"}",
		    "\"secret\" is missing" },
		{ "{\"apiKey\":\"k\",\"secret\":\"" API_SECRET "\"}",
		    "\"passphrase\" is missing" },
		{ "{\"apiKey\":7,\"secret\":\"s\",\"passphrase\":\"p\"}",
		    "\"apiKey\" must be a non-empty string" },
		{ "{\"apiKey\":\"k\",\"secret\":[\"" API_PASS "\"],"
		    "\"passphrase\":\"p\"}",
		    "\"secret\" must be a non-empty string" },
		{ "{\"apiKey\":\"k\",\"secret\":\"s\",\"passphrase\":null}",
		    "\"passphrase\" must be a non-empty string" },
		{ "{\"apiKey\":\"k\",\"secret\":\"\",\"passphrase\":\"p\"}",
		    "\"secret\" must be a non-empty string" },
		{ "{\"apiKey\":\"a b\",\"secret\":\"s\",\"passphrase\":\"p\"}",
		    "\"apiKey\" must be 1 to 64" },
		{ "{\"apiKey\":\"k\",\"apiKey\":\"k\",\"secret\":\"s\","
		    "\"passphrase\":\"" API_PASS "\"}", "not JSON" },
		{ "", "nothing to read" },
	};
	struct ct	*c = *state;
	json_t		*j;
	char		*huge;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli(c, bad[i].in, "apikey import --account A");
		want(c, 2);
		has(c->r.err, "vaultctl: apikey import: ");
		has(c->r.err, bad[i].why);
		lacks(c, API_PASS);
		cli(c, bad[i].in, "--json apikey import --account A");
		j = fail_json(c, 2);
		has(json_string_value(json_object_get(j, "detail")),
		    bad[i].why);
		lacks(c, API_PASS);
		json_decref(j);
	}
	/* past the 4096-byte bound */
	huge = malloc(8192);
	assert_non_null(huge);
	memset(huge, 'x', 8191);
	huge[8191] = '\0';
	memcpy(huge, "{\"apiKey\":\"k\",\"secret\":\"", 24);
	cli(c, huge, "apikey import --account A");
	want(c, 2);
	has(c->r.err, "more than 4096 bytes");
	cli(c, huge, "--json apikey import --account A");
	json_decref(fail_json(c, 2));
	free(huge);
	/* nothing was stored */
	cli(c, NULL, "apikey list --local --account A");
	want(c, 0);
	has(c->r.out, "(none)");
}

/* account list: accounts only, keys counted; keys list: the rest. */
static void
test_lists(void **state)
{
	struct ct	*c = *state;
	json_t		*j, *a, *b, *e;
	const char	*line;
	size_t		 i;

	cli(c, WALLET_KEY, "wallet import --account A");
	want(c, 0);
	cli(c, "{\"apiKey\":\"k-1\",\"secret\":\"" API_SECRET "\","
	    "\"passphrase\":\"" API_PASS "\"}", "apikey import --account A");
	want(c, 0);
	/* one key a nonce */
	cli(c, "{\"apiKey\":\"k-2\",\"secret\":\"" API_SECRET2 "\","
	    "\"passphrase\":\"" API_PASS "\"}", "apikey import --account A "
	    "--nonce 1");
	want(c, 0);
	cli(c, "CODE-12345", "invite set --account B");
	want(c, 0);

	cli(c, NULL, "account list");
	want(c, 0);
	/* a header row, then one row an account, nothing else */
	assert_true(strncmp(c->r.out, "NAME ", 5) == 0);
	has(c->r.out, "PROFILE");
	has(c->r.out, "WALLET");
	has(c->r.out, "APIKEYS");
	has(c->r.out, "INVITE");
	line = strchr(c->r.out, '\n') + 1;
	assert_true(strncmp(line, "A ", 2) == 0);
	has(line, "openfish");
	line = strchr(line, '\n') + 1;
	assert_true(strncmp(line, "B ", 2) == 0);
	has(line, "polymarket");
	has(line, "https://127.0.0.1:9/");
	assert_string_equal(strchr(line, '\n') + 1, "");
	assert_null(strstr(c->r.out, WALLET_ADDR));
	assert_null(strstr(c->r.out, "k-1"));
	assert_null(strstr(c->r.out, "{"));

	cli(c, NULL, "account list --json");
	want(c, 0);
	j = out_json(c);
	assert_true(json_is_array(j));
	assert_int_equal(json_array_size(j), 2);
	a = json_array_get(j, 0);
	b = json_array_get(j, 1);
	assert_string_equal(json_string_value(json_object_get(a, "name")), "A");
	assert_string_equal(json_string_value(json_object_get(a, "profile")),
	    "openfish");
	assert_true(json_is_true(json_object_get(a, "wallet")));
	assert_string_equal(json_string_value(json_object_get(a, "address")),
	    WALLET_ADDR);
	assert_int_equal(json_integer_value(json_object_get(a, "api_keys")), 2);
	assert_int_equal(json_integer_value(json_object_get(a,
	    "builder_keys")), 0);
	assert_string_equal(json_string_value(json_object_get(a, "invite")),
	    "none");
	assert_string_equal(json_string_value(json_object_get(b, "url")),
	    "https://127.0.0.1:9/");
	assert_true(json_is_false(json_object_get(b, "wallet")));
	assert_true(json_is_null(json_object_get(b, "address")));
	assert_int_equal(json_integer_value(json_object_get(b, "api_keys")), 0);
	assert_string_equal(json_string_value(json_object_get(b, "invite")),
	    "set");
	/* no JSON text inside the JSON */
	json_array_foreach(j, i, e)
		assert_null(json_object_get(e, "info"));
	json_decref(j);

	cli(c, NULL, "keys list");
	want(c, 0);
	assert_true(strncmp(c->r.out, "TYPE ", 5) == 0);
	has(c->r.out, WALLET_ADDR);
	has(c->r.out, "k-1");
	has(c->r.out, "k-2");
	has(c->r.out, "invite ");
	has(c->r.out, "C***");
	assert_null(strstr(c->r.out, "account "));
	assert_null(strstr(c->r.out, "CODE-12345"));
	lacks(c, API_SECRET);
	cli(c, NULL, "--json keys list --account A");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 3);
	json_array_foreach(j, i, e) {
		assert_string_equal(json_string_value(json_object_get(e,
		    "account")), "A");
		assert_string_not_equal(json_string_value(json_object_get(e,
		    "type")), "account");
	}
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "type")), "wallet");
	json_decref(j);
	cli(c, NULL, "keys list --account B --json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(j, 0), "type")), "invite");
	json_decref(j);
	cli(c, NULL, "keys list --account nosuch");
	want(c, 8);
	has(c->r.err, "no account nosuch");
	cli(c, NULL, "keys list --account nosuch --json");
	json_decref(fail_json(c, 8));
	cli(c, NULL, "keys list --account A --profile x");
	want(c, 2);
	cli(c, NULL, "keys");
	want(c, 2);

	/* vaultd's own refusals are JSON too: locked, 5 */
	cli(c, NULL, "lock");
	want(c, 0);
	cli(c, NULL, "account list --json");
	json_decref(fail_json(c, 5));
	cli(c, NULL, "unlock --passphrase-file %s", c->pass);
	want(c, 0);
}

/*
 * vaultctl wait: no vaultd (exit 3 at the timeout); vaultd up with no
 * vault (ready at once; --unlocked: exit 8, no vault); after init, both.
 */
static void
test_wait(void **state)
{
	struct ct	*c = *state;

	assert_int_equal(cli(c, NULL, "wait --timeout 1"), 3);
	assert_non_null(strstr(c->r.err, "wait: vaultd did not answer"));
	assert_int_equal(it_start(&c->it, "-T", NULL), 0);
	assert_int_equal(cli(c, NULL, "wait --timeout 5"), 0);
	assert_string_equal(c->r.out, "vaultd ready, vault none\n");
	assert_int_equal(cli(c, NULL, "wait --unlocked --timeout 1"), 8);
	snprintf(c->pass, sizeof(c->pass), "%.100s.pass", c->it.home);
	it_write(c->pass, "cli test passphrase\n", 0600);
	assert_int_equal(cli(c, NULL, "init --passphrase-file %s --kdf min",
	    c->pass), 0);
	assert_int_equal(cli(c, NULL, "--json wait --unlocked"), 0);
	assert_string_equal(c->r.out, "{\n  \"ok\": true,\n  \"vault\": "
	    "\"unlocked\"\n}\n");
	assert_int_equal(cli(c, NULL, "lock"), 0);
	assert_int_equal(cli(c, NULL, "wait --unlocked --timeout 1"), 5);
	assert_int_equal(cli(c, NULL, "wait --timeout x"), 2);
	unlink(c->pass);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help, setup_bare,
		    teardown),
		cmocka_unit_test_setup_teardown(test_did_you_mean, setup_bare,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_options,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_json_anywhere,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_apikey_import,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_apikey_import_bad,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_wait, setup_bare,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup_vaultd,
		    teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
