/*
 * vaultctl as a command line, through the real binary: help and
 * --version on standard output with exit 0; "did you mean" for a
 * mistyped command; options matched by their whole name only; an option
 * that looks like a secret refused before anything runs, its value never
 * echoed; --json anywhere and honoured for every outcome, usage errors
 * and a vaultd that is not running included.  Against a real vaultd:
 * apikey import with --json (it aborted after storing the key) and with
 * bad input (it crashed), account list (accounts only, keys counted, no
 * JSON inside JSON) and keys list.  sign order's input that is not JSON
 * is said where it broke, never quoted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <grp.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/vault_fmt.h"
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
	int		notty;		/* vaultctl in a session of its own */
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
	/* notty: no controlling terminal, so nothing to ask a secret on */
	snprintf(cmd, sizeof(cmd), "%s%s/vaultctl %s <%s >%s 2>%s",
	    c->notty ? "setsid -w " : "", c->it.build, args, inp, outp, errp);
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
	has(c->r.out, "       vaultctl account remove NAME\n"
	    "                        [--force [--passphrase-file F | "
	    "--keyfile F]]\n");
	has(c->r.out, "[--order-version 1|2] [--max-key-age DAYS]\n");
	has(c->r.out, "[--max-key-age DAYS | --no-max-key-age]\n");
	cli(c, NULL, "help audit");
	want(c, 0);
	has(c->r.out, "[--verdict V] [--rotation ID]\n");
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

/*
 * sign order with standard input that is not JSON (a passphrase file
 * given where the order goes, a word typed at the wrong prompt): where
 * it broke, never a piece of it.  jansson's own text quotes the input
 * near the fault ("invalid token near 'Hunter2'"), and reached stderr
 * and the JSON detail.  It is refused before vaultd is asked.
 */
static void
test_sign_order_not_json(void **state)
{
	static const struct {
		const char	*in, *why;
	} bad[] = {
		{ SECRET_WORD "\n", "standard input is not JSON (line 1, "
		    "column 6)" },
		{ "{\"a\": " SECRET_WORD "}", "standard input is not JSON "
		    "(line 1, column 12)" },
		{ "{\"a\":\n \"" SECRET_WORD, "standard input is not JSON "
		    "(line 2, column 21)" },
	};
	struct ct	*c = *state;
	json_t		*j;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cli(c, bad[i].in, "sign order --account A");
		want(c, 1);
		snprintf(err, sizeof(err), "vaultctl: sign order: %s\n",
		    bad[i].why);
		assert_string_equal(c->r.err, err);
		assert_string_equal(c->r.out, "");
		lacks(c, "Hunter");
		lacks(c, "S3CR3T");
		cli(c, bad[i].in, "--json sign order --account A");
		j = fail_json(c, 1);
		assert_string_equal(json_string_value(json_object_get(j,
		    "detail")), bad[i].why);
		lacks(c, "Hunter");
		lacks(c, "S3CR3T");
		json_decref(j);
	}
}

/*
 * A URL refused for a user, a password or a query is not quoted back:
 * the password (or a token in the query) would be printed.  vaultctl
 * said it before vaultd is asked; a URL refused otherwise still is.
 */
static void
test_url_userinfo(void **state)
{
	static const char *const urls[] = {
		"https://user:S3CR3TPW@127.0.0.1:9/",
		"https://127.0.0.1:9/?token=S3CR3TPW",
		"https://127.0.0.1:9/#S3CR3TPW",
	};
	struct ct	*c = *state;
	json_t		*j;
	size_t		 i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		cli(c, NULL, "account add X --profile polymarket --url '%s'",
		    urls[i]);
		want(c, 1);
		assert_string_equal(c->r.err, "vaultctl: account add: --url: "
		    "the URL may hold only printable ASCII, and no user, "
		    "password, query or fragment ('@', '?', '#', '\\')\n");
		lacks(c, "S3CR3TPW");
		cli(c, NULL, "--json account add X --profile polymarket --url "
		    "'%s'", urls[i]);
		j = fail_json(c, 1);
		lacks(c, "S3CR3TPW");
		json_decref(j);
	}
	cli(c, NULL, "account add X --profile polymarket --url ftp://h/");
	want(c, 1);
	has(c->r.err, "vaultctl: account add: ftp://h/: ");
}

/*
 * client add whose standard output cannot be written (a full disk, a
 * closed pipe): the credentials are never shown again, so that is a
 * failure to tell, exit 1, with what to do -- not exit 0 and nothing.
 */
static void
test_client_add_unwritten(void **state)
{
	struct ct	*c = *state;
	char		 cmd[1024], errp[160], want_err[512];
	int		 st;

	snprintf(errp, sizeof(errp), "%s.err", c->it.home);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl client add bot1 --account A "
	    "--passphrase-file %s </dev/null >/dev/full 2>%s", c->it.build,
	    c->pass, errp);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	slurp_into(errp, c->r.err, sizeof(c->r.err));
	unlink(errp);
	snprintf(want_err, sizeof(want_err), "client bot1 for account A: its "
	    "credentials follow, shown this once; give them to the bot\n"
	    "vaultctl: client add: client bot1 is added, but its credentials "
	    "could not be written to standard output (%s) and are not shown "
	    "again: remove it (vaultctl client remove bot1) and add it "
	    "again\n", strerror(ENOSPC));
	assert_string_equal(c->r.err, want_err);
	assert_int_equal(WEXITSTATUS(st), 1);
	/* added, as it says; written out, it is shown whole */
	cli(c, NULL, "client list");
	want(c, 0);
	has(c->r.out, "bot1");
	cli(c, NULL, "client add bot2 --account A --passphrase-file %s",
	    c->pass);
	want(c, 0);
	has(c->r.out, "\"secret\":\"");
	assert_int_equal(c->r.out[strlen(c->r.out) - 1], '\n');
	cli(c, NULL, "--json client add bot3 --account A --passphrase-file %s",
	    c->pass);
	want(c, 0);
	json_decref(out_json(c));
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

/* A PUT of an account record straight to vaultd: 0, or its error. */
static int
raw_put(struct ct *c, const char *name, const char *json, uint64_t nonce,
    char *text, size_t len)
{
	struct msg_w	w;
	int		code;

	msg_begin(&w, MSG_CTL_PUT_REQ, 7);
	msg_put_u64(&w, 1);		/* VAULT_REC_ACCOUNT */
	msg_put_str(&w, name);
	msg_put_str(&w, "");
	msg_put_u64(&w, nonce);
	msg_put_bin(&w, json, strlen(json));
	msg_put_bin(&w, "", 0);		/* no credential */
	msg_put_bool(&w, 0);
	code = it_ctl_frame(&c->it, &w, MSG_CTL_PUT_ANS, text, len);
	assert_int_not_equal(code, CV_ERR_IO);
	assert_int_not_equal(code, CV_ERR_MSG_TYPE);
	return code;
}

/* An account record's JSON up to its last members. */
#define PM_ACCT	"{\"profile\":\"polymarket\",\"url\":\"https://127.0.0.1:9/\","
#define OF_ACCT	"{\"profile\":\"openfish\",\"url\":\"https://127.0.0.1:9/\","
#define OM_ACCT	"{\"profile\":\"omnia\",\"url\":\"https://127.0.0.1:9/\","
#define FUNDER		"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
#define FUNDER_LOWER	"0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
#define FUNDER_BADSUM	"0x70997970C51812DC3a010C7d01b50e0d17dc79C8"
#define FUNDER_UPPER	"0x70997970C51812DC3A010C7D01B50E0D17DC79C8"
#define FUNDER_NO0X	"70997970c51812dc3a010c7d01b50e0d17dc79c8"
#define ORDERS_WHY	"the order version must be 1, or for polymarket 1 or 2"
#define FUNDER_WHY	"the funder must be an Ethereum address: 0x and 40 " \
			"hex digits"
#define MEMBERS_WHY	"account record needs profile and url, and may hold " \
			"ca_file, pin, funder, orders and max_key_age only"

/*
 * account add --funder and --order-version: stored as given, checked
 * by vaultctl for a clear message and by vaultd on its own.
 */
static void
test_account_orders(void **state)
{
	static const struct {
		const char	*json, *why;
	} bad[] = {
		{ OF_ACCT "\"orders\":2}", ORDERS_WHY },
		{ PM_ACCT "\"orders\":3}", ORDERS_WHY },
		{ PM_ACCT "\"orders\":\"2\"}", ORDERS_WHY },
		{ PM_ACCT "\"orders\":2.0}", ORDERS_WHY },
		{ PM_ACCT "\"funder\":\"" FUNDER_BADSUM "\"}", FUNDER_WHY
		    ", all lower case or with its EIP-55 checksum" },
		{ PM_ACCT "\"funder\":\"" FUNDER_UPPER "\"}", FUNDER_WHY },
		{ PM_ACCT "\"funder\":\"" FUNDER_NO0X "\"}", FUNDER_WHY },
		{ PM_ACCT "\"funder\":7}", MEMBERS_WHY },
		{ PM_ACCT "\"max_key_age\":0}", "max_key_age is days, 1 to "
		    "3650" },
		{ PM_ACCT "\"max_key_age\":\"30\"}", "max_key_age is days, 1 "
		    "to 3650" },
		{ OM_ACCT "\"orders\":1}", "omnia accounts sign no orders: no "
		    "funder or order version" },
		{ OF_ACCT "\"makers\":1}", MEMBERS_WHY },
	};
	struct ct	*c = *state;
	json_t		*j, *e;
	char		 text[1100], json[700];
	size_t		 i;

	cli(c, NULL, "account add C --profile polymarket --funder " FUNDER
	    " --order-version 1");
	want(c, 0);
	assert_string_equal(c->r.out, "added account: C\n");
	assert_string_equal(c->r.err, "");
	cli(c, NULL, "account add D --profile polymarket --funder "
	    FUNDER_LOWER);
	want(c, 0);
	cli(c, NULL, "account list --json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 4);
	json_array_foreach(j, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		/* openfish signs version 1, polymarket 2 unless told */
		assert_int_equal(json_integer_value(json_object_get(e,
		    "orders")), strcmp(n, "B") == 0 ? 2 : 1 + (strcmp(n, "D") ==
		    0));
		if (strcmp(n, "C") == 0)
			assert_string_equal(json_string_value(json_object_get(
			    e, "funder")), FUNDER);
		else if (strcmp(n, "D") == 0)
			assert_string_equal(json_string_value(json_object_get(
			    e, "funder")), FUNDER_LOWER);
		else
			assert_null(json_object_get(e, "funder"));
	}
	json_decref(j);

	/* vaultctl's own checks, before anything is sent */
	cli(c, NULL, "account add E --profile polymarket --funder "
	    FUNDER_BADSUM);
	want(c, 1);
	assert_string_equal(c->r.err, "vaultctl: account add: --funder has "
	    "mixed case that is not its EIP-55 checksum: check the address, "
	    "or write it in lower case\n");
	cli(c, NULL, "account add E --profile polymarket --funder 0x1234");
	want(c, 1);
	assert_string_equal(c->r.err, "vaultctl: account add: --funder must "
	    "be an Ethereum address: 0x and 40 hex digits\n");
	cli(c, NULL, "account add E --profile openfish --order-version 2");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account add: "
	    "--order-version 2 is for polymarket accounts: openfish signs "
	    "orders of version 1\n");
	cli(c, NULL, "account add E --profile polymarket --order-version 3");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account add: "
	    "--order-version takes 1 or 2\n");
	cli(c, NULL, "account add E --profile omnia --funder " FUNDER);
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account add: --funder and "
	    "--order-version are for openfish and polymarket accounts (omnia "
	    "accounts sign no orders)\n");
	cli(c, NULL, "--json account add E --profile omnia --order-version 1");
	json_decref(fail_json(c, 2));
	cli(c, NULL, "account list --json");
	j = out_json(c);
	assert_int_equal(json_array_size(j), 4);
	json_decref(j);

	/* vaultd's own, without vaultctl's */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(raw_put(c, "E", bad[i].json, 0, text,
		    sizeof(text)), CV_ERR_INVALID);
		if (strncmp(text, bad[i].why, strlen(bad[i].why)) != 0)
			fail_msg("%s: \"%s\", wanted \"%s\"", bad[i].json,
			    text, bad[i].why);
	}
	/* a listing shows a record whole: at most 511 bytes */
	snprintf(json, sizeof(json), "{\"ca_file\":\"/%0199d\",\"pin\":"
	    "\"sha256//%0300d\",\"profile\":\"openfish\",\"url\":"
	    "\"https://127.0.0.1:9/\"}", 0, 0);
	assert_int_equal(raw_put(c, "E", json, 0, text, sizeof(text)),
	    CV_ERR_INVALID);
	assert_string_equal(text, "account record longer than 511 bytes: "
	    "shorten the CA file's path or the pins");
	assert_int_equal(raw_put(c, "E", "{\"profile\":\"polymarket\","
	    "\"url\":\"https://127.0.0.1:9/\",\"funder\":\"" FUNDER "\","
	    "\"orders\":2}", 0, text, sizeof(text)), 0);
	assert_int_equal(raw_put(c, "F", "{\"profile\":\"openfish\","
	    "\"url\":\"https://127.0.0.1:9/\",\"orders\":1}", 0, text,
	    sizeof(text)), 0);
	/* an update (a nonce above 0) of no account, or to another profile */
	assert_int_equal(raw_put(c, "nosuch", "{\"profile\":\"openfish\","
	    "\"url\":\"https://127.0.0.1:9/\"}", 1, text, sizeof(text)),
	    CV_ERR_NOTFOUND);
	assert_string_equal(text, "no account nosuch");
	assert_int_equal(raw_put(c, "F", "{\"profile\":\"polymarket\","
	    "\"url\":\"https://127.0.0.1:9/\"}", 1, text, sizeof(text)),
	    CV_ERR_INVALID);
	assert_string_equal(text, "the profile of an account cannot change: "
	    "remove the account and add it again");
}

/*
 * account update: the record replaced at its next revision, the keys
 * kept; the profile never changes; audited as account_update.
 */
static void
test_account_update(void **state)
{
	struct ct	*c = *state;
	json_t		*j, *set;
	char		 path[128], *log;
	size_t		 len;

	cli(c, WALLET_KEY, "wallet import --account B");
	want(c, 0);
	cli(c, "{\"apiKey\":\"k-1\",\"secret\":\"" API_SECRET "\","
	    "\"passphrase\":\"" API_PASS "\"}", "apikey import --account B");
	want(c, 0);
	cli(c, "CODE-12345", "invite set --account B");
	want(c, 0);

	cli(c, NULL, "account update B --url https://127.0.0.1:10/ --funder "
	    FUNDER " --order-version 1 --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "updated account B\n"
	    "funder: " FUNDER "\n"
	    "orders: 1\n"
	    "profile: polymarket\n"
	    "url: https://127.0.0.1:10/\n");
	assert_string_equal(c->r.err, "");
	/* every other record of the account is still there */
	cli(c, NULL, "keys list --account B --json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 3);
	json_decref(j);
	cli(c, NULL, "wallet address --account B");
	want(c, 0);
	has(c->r.out, WALLET_ADDR);

	/* the same again: nothing is written */
	cli(c, NULL, "account update B --url https://127.0.0.1:10/");
	want(c, 0);
	assert_string_equal(c->r.out, "account B: unchanged\n");
	cli(c, NULL, "--json account update B --no-funder --order-version 2");
	want(c, 0);
	j = out_json(c);
	assert_true(json_is_true(json_object_get(j, "changed")));
	set = json_object_get(j, "settings");
	assert_null(json_object_get(set, "funder"));
	assert_int_equal(json_integer_value(json_object_get(set, "orders")),
	    2);
	assert_string_equal(json_string_value(json_object_get(set, "url")),
	    "https://127.0.0.1:10/");
	json_decref(j);

	/* a CA file, a pin, and taking them away */
	cli(c, NULL, "account update A --ca-file /etc/passwd --pin "
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= "
	    "--passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "updated account A\n"
	    "ca_file: /etc/passwd\n"
	    "orders: 1\n"
	    "pin: sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	    "profile: openfish\n"
	    "url: https://api.openfish.me\n");
	cli(c, NULL, "account update A --url http://127.0.0.1:1");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account update: --pin needs "
	    "an https:// URL\n");
	cli(c, NULL, "account update A --url http://127.0.0.1:1 --no-pin "
	    "--no-ca-file --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "updated account A\n"
	    "orders: 1\n"
	    "profile: openfish\n"
	    "url: http://127.0.0.1:1\n");

	/* refusals */
	cli(c, NULL, "account update B --profile openfish");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account update: the profile "
	    "of an account cannot change (its keys were made for it): remove "
	    "the account and add it again\n");
	cli(c, NULL, "account update B");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: account update: nothing to "
	    "change: give --url, --ca-file, --no-ca-file, --pin, --no-pin, "
	    "--funder, --no-funder, --order-version, --max-key-age or "
	    "--no-max-key-age\n");
	cli(c, NULL, "account update nosuch --url https://127.0.0.1:9/");
	want(c, 8);
	assert_string_equal(c->r.err, "vaultctl: account update: no account "
	    "nosuch\n");
	cli(c, NULL, "account update A --order-version 2");
	want(c, 2);
	cli(c, NULL, "account update A --pin sha256//x --no-pin");
	want(c, 2);
	cli(c, NULL, "account update B --url http://example.com/");
	want(c, 1);
	has(c->r.err, "the URL must be https://");
	cli(c, NULL, "account update B --ca-file /nonexistent");
	want(c, 8);

	/* each change is on the audit log, and the keys are untouched */
	snprintf(path, sizeof(path), "%s/audit.log", c->it.home);
	assert_non_null(log = it_slurp(path, &len));
	has(log, "\tB\taccount_update\t-\t-\tintent\t");
	has(log, "\tB\taccount_update\t-\t-\tok\tB\t");
	has(log, "\tA\taccount_update\t-\t-\tok\tA\t");
	free(log);
	cli(c, NULL, "account list --json");
	j = out_json(c);
	json_array_foreach(j, len, set)
		if (strcmp(json_string_value(json_object_get(set, "name")),
		    "B") == 0)
			break;
	assert_true(json_is_true(json_object_get(set, "wallet")));
	assert_int_equal(json_integer_value(json_object_get(set,
	    "api_keys")), 1);
	assert_string_equal(json_string_value(json_object_get(set,
	    "invite")), "set");
	json_decref(j);
	cli(c, NULL, "audit verify");
	want(c, 0);
}

#define CRED_ACCOUNT	"changing an account's URL, CA file or pin takes " \
			"the vault's passphrase or keyfile (vaultctl asks " \
			"for it, or give --passphrase-file F or --keyfile " \
			"F); nothing changed"
#define PIN_A		"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* Account B's URL and pin as account list shows them. */
static void
route_is(struct ct *c, const char *url, const char *pin)
{
	json_t		*j, *e;
	size_t		 i;
	int		 seen = 0;

	cli(c, NULL, "account list --json");
	want(c, 0);
	j = out_json(c);
	json_array_foreach(j, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "name")),
		    "B") != 0)
			continue;
		seen = 1;
		assert_string_equal(json_string_value(json_object_get(e,
		    "url")), url);
		if (pin == NULL)
			assert_null(json_object_get(e, "pin"));
		else
			assert_string_equal(json_string_value(json_object_get(
			    e, "pin")), pin);
	}
	json_decref(j);
	assert_true(seen);
}

/*
 * An account's URL, CA file or pin changes only with the vault's
 * credential, checked by signerd: where the account's signed headers
 * and its gateway traffic go, and whom they trust, is not an
 * operator's to move.  Without it (vaultctl with no terminal to ask on,
 * or a request straight to vaultd) and with a wrong one the update is
 * refused and the account is as it was; a wrong one is slowed down as
 * policy apply's is.  The refusals are audited "deny".  Its other
 * settings need no credential.
 */
static void
test_account_update_cred(void **state)
{
	struct ct	*c = *state;
	char		 bad[160], text[1100], path[128], *log;
	size_t		 len;

	snprintf(bad, sizeof(bad), "%s.bad", c->it.home);
	it_write(bad, "not the passphrase\n", 0600);
	cli(c, WALLET_KEY, "wallet import --account B");
	want(c, 0);

	/* none: vaultctl asks on the terminal, and there is none */
	c->notty = 1;
	cli(c, NULL, "account update B --url https://127.0.0.1:10/");
	want(c, 2);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: account update: no terminal "
	    "to ask on: use --passphrase-file or --keyfile\n");
	cli(c, NULL, "account update B --pin " PIN_A);
	want(c, 2);
	cli(c, NULL, "account update B --ca-file /etc/passwd");
	want(c, 2);
	c->notty = 0;
	/* none, straight to vaultd: signerd refuses */
	assert_int_equal(raw_put(c, "B", "{\"orders\":2,\"profile\":"
	    "\"polymarket\",\"url\":\"https://127.0.0.1:10/\"}", 1, text,
	    sizeof(text)), CV_ERR_DENIED);
	assert_string_equal(text, CRED_ACCOUNT);
	assert_int_equal(raw_put(c, "B", "{\"orders\":2,\"pin\":\"" PIN_A
	    "\",\"profile\":\"polymarket\",\"url\":"
	    "\"https://127.0.0.1:9/\"}", 1, text, sizeof(text)),
	    CV_ERR_DENIED);
	assert_string_equal(text, CRED_ACCOUNT);
	route_is(c, "https://127.0.0.1:9/", NULL);

	/* a wrong one: exit 6, and the next try waits */
	cli(c, NULL, "account update B --url https://127.0.0.1:10/ "
	    "--passphrase-file %s", bad);
	want(c, 6);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: account update: wrong "
	    "passphrase or keyfile; nothing changed\n");
	cli(c, NULL, "account update B --url https://127.0.0.1:10/ "
	    "--passphrase-file %s", c->pass);
	want(c, 4);
	has(c->r.err, "too many wrong passphrases; try again in ");
	route_is(c, "https://127.0.0.1:9/", NULL);

	/* what moves nothing needs nothing */
	c->notty = 1;
	cli(c, NULL, "account update B --funder " FUNDER " --max-key-age 30");
	want(c, 0);
	assert_string_equal(c->r.err, "");
	c->notty = 0;

	/* with the vault's passphrase */
	it_sleep_ms(1100);
	cli(c, NULL, "account update B --url https://127.0.0.1:10/ --pin "
	    PIN_A " --passphrase-file %s", c->pass);
	want(c, 0);
	route_is(c, "https://127.0.0.1:10/", PIN_A);
	cli(c, NULL, "wallet address --account B");
	want(c, 0);
	has(c->r.out, WALLET_ADDR);

	snprintf(path, sizeof(path), "%s/audit.log", c->it.home);
	assert_non_null(log = it_slurp(path, &len));
	has(log, "\tB\taccount_update\t-\t-\tdeny\t-\t");
	has(log, "\tB\taccount_update\t-\t-\tok\tB\t");
	free(log);
	unlink(bad);
	cli(c, NULL, "audit verify");
	want(c, 0);
}

/*
 * A record's removal straight to vaultd with no credential, as a
 * program on the control socket may: its code and vaultd's text.
 */
static int
raw_del(struct ct *c, uint64_t type, const char *account,
    const char *key_id, char *text, size_t len)
{
	struct msg_w	w;

	msg_begin(&w, MSG_CTL_DEL_REQ, 7);
	msg_put_u64(&w, type);
	msg_put_str(&w, account);
	msg_put_str(&w, key_id);
	msg_put_bin(&w, "", 0);		/* no credential */
	msg_put_bool(&w, 0);
	return it_ctl_frame(&c->it, &w, MSG_CTL_DEL_ANS, text, len);
}

/*
 * account remove --force: only with the vault's credential, as the
 * account holds keys and a gateway client; then a record for each key
 * it destroys.
 */
static void
test_account_remove_audit(void **state)
{
	struct ct	*c = *state;
	json_t		*j;
	char		 text[512], *p;
	const char	*ops[] = { "account_remove", "account_remove",
			    "account_remove", "account_remove",
			    "account_remove.wallet", "account_remove.apikey",
			    "account_remove.invite", "account_remove.client" };
	const char	*verdicts[] = { "deny", "deny", "intent", "ok", "ok",
			    "ok", "ok", "ok" };
	const char	*ids[] = { NULL, NULL, NULL, NULL, NULL, "k-9", NULL,
			    "bot-b" };
	size_t		 i;

	cli(c, NULL, "wallet generate --account B");
	want(c, 0);
	cli(c, "{\"apiKey\":\"k-9\",\"secret\":\"" API_SECRET "\","
	    "\"passphrase\":\"" API_PASS "\"}", "apikey import --account B");
	want(c, 0);
	cli(c, "CODE-12345", "invite set --account B");
	want(c, 0);
	cli(c, NULL, "client add bot-b --account B --passphrase-file %s",
	    c->pass);
	want(c, 0);
	/* no terminal to ask the credential on */
	c->notty = 1;
	cli(c, NULL, "account remove B --force");
	c->notty = 0;
	want(c, 2);
	assert_string_equal(c->r.out, "");
	/* after the list of what it would destroy */
	assert_non_null(p = strstr(c->r.err, "\nvaultctl: account remove: "));
	assert_string_equal(p, "\nvaultctl: account remove: no terminal to "
	    "ask on: use --passphrase-file or --keyfile\n");
	/* the list names the gateway client as one, as keys list does */
	has(c->r.err, "\n  client   bot-b ");
	cli(c, NULL, "keys list --account B");
	want(c, 0);
	has(c->r.out, "\nclient   B ");
	assert_null(strstr(c->r.out, "\n? "));
	cli(c, NULL, "--json keys list --account B");
	want(c, 0);
	has(c->r.out, "\"type\": \"client\"");
	/* none, straight to vaultd: signerd refuses, audited deny */
	assert_int_equal(raw_del(c, VAULT_REC_ACCOUNT, "B", "", text,
	    sizeof(text)), CV_ERR_DENIED);
	assert_string_equal(text, "removing an account that holds keys or "
	    "gateway clients takes the vault's passphrase or keyfile "
	    "(vaultctl asks for it, or give --passphrase-file F or --keyfile "
	    "F); nothing changed");
	/* a wrong one: exit 6 */
	snprintf(text, sizeof(text), "%s.bad", c->it.home);
	it_write(text, "not the passphrase\n", 0600);
	cli(c, NULL, "account remove B --force --passphrase-file %s", text);
	unlink(text);
	want(c, 6);
	assert_string_equal(c->r.out, "");
	assert_non_null(p = strstr(c->r.err, "\nvaultctl: account remove: "));
	assert_string_equal(p, "\nvaultctl: account remove: wrong passphrase "
	    "or keyfile; nothing changed\n");
	/* nothing changed: the account, its keys and its client */
	cli(c, NULL, "client list");
	want(c, 0);
	has(c->r.out, "bot-b\taccount B\tapiKey ");
	cli(c, NULL, "apikey list --local --account B");
	want(c, 0);
	has(c->r.out, "k-9");
	it_sleep_ms(1100);	/* the wrong one's wait */
	cli(c, NULL, "account remove B --force --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "account remove: done\n");
	cli(c, NULL, "audit show --account B --op account_remove --json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 8);
	for (i = 0; i < 8; i++) {
		json_t *e = json_array_get(j, i);

		assert_string_equal(json_string_value(json_object_get(e, "op")),
		    ops[i]);
		assert_string_equal(json_string_value(json_object_get(e,
		    "verdict")), verdicts[i]);
		if (ids[i] != NULL)
			assert_string_equal(json_string_value(json_object_get(
			    e, "key_id")), ids[i]);
		else if (i >= 4)
			assert_true(json_is_null(json_object_get(e,
			    "key_id")));
	}
	json_decref(j);
	/* an account with nothing in it: its record only */
	cli(c, NULL, "account remove A");
	want(c, 0);
	cli(c, NULL, "audit show --account A --op account_remove --json");
	j = out_json(c);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
	cli(c, NULL, "audit verify");
	want(c, 0);
}

#define CRED_KEY	"removing a key or an invitation code from the vault " \
			"takes the vault's passphrase or keyfile (vaultctl " \
			"asks for it, or give --passphrase-file F or " \
			"--keyfile F); nothing changed"
#define NO_TTY		": no terminal to ask on: use --passphrase-file or " \
			"--keyfile\n"

/* The verdicts of account B's records of op, in order, into out. */
static void
verdicts_of(struct ct *c, const char *op, char *out, size_t len)
{
	json_t	*j;
	size_t	 i;

	cli(c, NULL, "audit show --account B --op %s --json", op);
	want(c, 0);
	j = out_json(c);
	out[0] = '\0';
	for (i = 0; i < json_array_size(j); i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
		    i > 0 ? " " : "", json_string_value(json_object_get(
		    json_array_get(j, i), "verdict")));
	json_decref(j);
}

/*
 * apikey delete --local and invite clear destroy what nothing brings
 * back: only with the vault's credential, as a wallet key's removal
 * straight to vaultd.  Refusals are audited deny and change nothing.
 */
static void
test_key_remove_cred(void **state)
{
	struct ct	*c = *state;
	char		 bad[160], text[512];

	snprintf(bad, sizeof(bad), "%s.bad", c->it.home);
	it_write(bad, "not the passphrase\n", 0600);
	cli(c, WALLET_KEY, "wallet import --account B");
	want(c, 0);
	cli(c, "{\"apiKey\":\"k-9\",\"secret\":\"" API_SECRET "\","
	    "\"passphrase\":\"" API_PASS "\"}", "apikey import --account B");
	want(c, 0);
	cli(c, "CODE-12345", "invite set --account B");
	want(c, 0);

	/* none: vaultctl asks on the terminal, and there is none */
	c->notty = 1;
	cli(c, NULL, "apikey delete --local --account B --key-id k-9");
	want(c, 2);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: apikey delete --local"
	    NO_TTY);
	cli(c, NULL, "invite clear --account B");
	want(c, 2);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: invite clear" NO_TTY);
	/* what the vault does not hold is not asked for */
	cli(c, NULL, "apikey delete --local --account B --key-id k-8");
	want(c, 8);
	assert_string_equal(c->r.err, "vaultctl: apikey delete --local: "
	    "account B holds no API key k-8: vaultctl keys list shows what "
	    "it holds\n");
	cli(c, NULL, "invite clear --account A");
	want(c, 8);
	assert_string_equal(c->r.err, "vaultctl: invite clear: account A "
	    "holds no invitation code: vaultctl keys list shows what it "
	    "holds\n");
	/* the credential goes with a removal only */
	cli(c, NULL, "invite show --account B --passphrase-file %s", c->pass);
	want(c, 2);
	has(c->r.err, "--passphrase-file and --keyfile go with a removal "
	    "from the vault only");
	c->notty = 0;

	/* none, straight to vaultd: signerd refuses, a wallet key too */
	assert_int_equal(raw_del(c, VAULT_REC_API_CRED, "B", "k-9", text,
	    sizeof(text)), CV_ERR_DENIED);
	assert_string_equal(text, CRED_KEY);
	assert_int_equal(raw_del(c, VAULT_REC_INVITE, "B", "", text,
	    sizeof(text)), CV_ERR_DENIED);
	assert_string_equal(text, CRED_KEY);
	assert_int_equal(raw_del(c, VAULT_REC_WALLET_KEY, "B", "", text,
	    sizeof(text)), CV_ERR_DENIED);
	assert_string_equal(text, CRED_KEY);

	/* a wrong one: exit 6, and the next try waits */
	cli(c, NULL, "apikey delete --local --account B --key-id k-9 "
	    "--passphrase-file %s", bad);
	want(c, 6);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: apikey delete --local: "
	    "wrong passphrase or keyfile; nothing changed\n");
	cli(c, NULL, "invite clear --account B --passphrase-file %s", c->pass);
	want(c, 4);
	assert_string_equal(c->r.out, "");
	has(c->r.err, "vaultctl: invite clear: too many wrong passphrases; "
	    "try again in ");
	it_sleep_ms(1100);
	cli(c, NULL, "invite clear --account B --passphrase-file %s", bad);
	want(c, 6);
	assert_string_equal(c->r.err, "vaultctl: invite clear: wrong "
	    "passphrase or keyfile; nothing changed\n");

	/* nothing changed: the key, the code, the wallet */
	cli(c, NULL, "apikey list --local --account B");
	want(c, 0);
	has(c->r.out, "k-9");
	cli(c, NULL, "invite show --account B");
	want(c, 0);
	has(c->r.out, "C**** (10 characters)");
	cli(c, NULL, "wallet address --account B");
	want(c, 0);
	has(c->r.out, WALLET_ADDR);

	/* with the vault's passphrase (after the wait a wrong one made) */
	it_sleep_ms(2100);
	cli(c, NULL, "apikey delete --local --account B --key-id k-9 "
	    "--passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "apikey delete --local: done\n");
	cli(c, NULL, "invite clear --account B --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.out, "invite clear: done\n");
	cli(c, NULL, "apikey list --local --account B");
	want(c, 0);
	lacks(c, "k-9");
	cli(c, NULL, "invite show --account B");
	want(c, 0);
	assert_string_equal(c->r.out, "(none)\n");

	/* on the audit log: each refusal deny, then the removal */
	verdicts_of(c, "apikey_remove", text, sizeof(text));
	assert_string_equal(text, "deny deny intent ok");
	verdicts_of(c, "invite_clear", text, sizeof(text));
	assert_string_equal(text, "deny deny intent ok");
	verdicts_of(c, "wallet_remove", text, sizeof(text));
	assert_string_equal(text, "deny");
	unlink(bad);
	cli(c, NULL, "audit verify");
	want(c, 0);
}

/* audit show: filters, the default tail said, JSON records. */
static void
test_audit_show(void **state)
{
	static const char *const fields[] = {
		"seq", "time", "actor", "account", "op", "method", "path",
		"verdict", "key_id", "gen", "digest",
	};
	struct ct	*c = *state;
	json_t		*j, *e;
	char		 want_err[160], *line;
	unsigned long	 first;
	size_t		 i, k, n;

	for (i = 0; i < 6; i++) {
		cli(c, NULL, "account add X%zu --profile openfish", i);
		want(c, 0);
	}
	/* the default: 20 records, and how many came before them */
	cli(c, NULL, "audit show");
	want(c, 0);
	for (n = 0, line = c->r.out; (line = strchr(line, '\n')) != NULL;
	    line++)
		n++;
	assert_int_equal(n, 20);
	first = strtoul(c->r.out, NULL, 10);
	snprintf(want_err, sizeof(want_err), "vaultctl: audit show: the last "
	    "20 records shown, %lu before them (--tail N or --all shows "
	    "more)\n", first - 1);
	assert_string_equal(c->r.err, want_err);
	cli(c, NULL, "audit show --tail 5");
	want(c, 0);
	assert_string_equal(c->r.err, "");
	/* a filter every record passes: the same, said of matches */
	cli(c, NULL, "audit show --since 1");
	want(c, 0);
	assert_int_equal(strtoul(c->r.out, NULL, 10), first);
	snprintf(want_err, sizeof(want_err), "vaultctl: audit show: the last "
	    "20 matching records shown, %lu before them (--tail N or --all "
	    "shows more)\n", first - 1);
	assert_string_equal(c->r.err, want_err);

	/* filters */
	cli(c, NULL, "audit show --account X3 --tail 100");
	want(c, 0);
	for (n = 0, line = c->r.out; (line = strchr(line, '\n')) != NULL;
	    line++)
		n++;
	assert_int_equal(n, 2);			/* intent, ok */
	has(c->r.out, "\tX3\taccount_add\t-\t-\tintent\t");
	has(c->r.out, "\tX3\taccount_add\t-\t-\tok\tX3\t");
	assert_string_equal(c->r.err, "");
	cli(c, NULL, "audit show --op account_add --verdict ok --tail 100 "
	    "--json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 8);	/* A, B, X0..X5 */
	json_array_foreach(j, i, e) {
		assert_int_equal(json_object_size(e), 11);
		for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			assert_non_null(json_object_get(e, fields[k]));
		assert_true(json_is_integer(json_object_get(e, "seq")));
		assert_true(json_is_integer(json_object_get(e, "gen")));
		assert_true(json_is_null(json_object_get(e, "method")));
		assert_string_equal(json_string_value(json_object_get(e,
		    "verdict")), "ok");
		has(json_string_value(json_object_get(e, "actor")),
		    "vaultctl:");
	}
	json_decref(j);
	/* an actor matches with what follows ':', an op with '.' */
	cli(c, NULL, "audit show --actor vaultd --op checkpoint --tail 1 "
	    "--json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 1);
	e = json_array_get(j, 0);
	assert_string_equal(json_string_value(json_object_get(e, "actor")),
	    "vaultd");
	assert_int_equal(strlen(json_string_value(json_object_get(e,
	    "key_id"))), 64);
	json_decref(j);
	cli(c, NULL, "audit show --actor vaultctl --op account --tail 100");
	want(c, 0);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: audit show: no records "
	    "match\n");

	/* times: unix seconds or ISO 8601 UTC */
	cli(c, NULL, "audit show --since 2000-01-01 --until "
	    "2000-01-02T12:00:00Z");
	want(c, 0);
	assert_string_equal(c->r.out, "");
	cli(c, NULL, "audit show --since 1 --op init --json");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(json_array_size(j), 2);
	json_decref(j);
	cli(c, NULL, "audit show --since 4000000000 --json");
	want(c, 0);
	assert_string_equal(c->r.out, "[]\n");
	cli(c, NULL, "audit show --since 2024-02-30");
	want(c, 2);
	assert_string_equal(c->r.err, "vaultctl: usage: vaultctl audit show "
	    "[--tail N | --all] [--account A] [--actor S] [--op OP] "
	    "[--verdict V] [--rotation ID] "
	    "[--since TIME] [--until TIME] | audit verify [--anchor SEQ:HASH] "
	    "| audit verify --offline --key-file FILE [--anchor SEQ:HASH] "
	    "LOG... | audit anchor | audit export-key | audit mode [durable "
	    "| relaxed [--group-ms MS]]: --since takes unix "
	    "seconds or an ISO 8601 UTC time (2024-05-01, "
	    "2024-05-01T12:00:00Z)\n");
	cli(c, NULL, "audit show --tail 0");
	want(c, 2);
	cli(c, NULL, "audit show --anchor 1:00");
	want(c, 2);
	cli(c, NULL, "audit verify --op init");
	want(c, 2);
	cli(c, NULL, "audit show extra");
	want(c, 2);
}

/*
 * n L1 signatures (GET /auth/derive-api-key for account A) through the
 * control socket, each one record of the audit log, a millisecond at
 * least between two: under 1,000 records (about 220 KB) a second.
 */
static void
sign_many(struct ct *c, int n)
{
	struct chan	 ch;
	struct msg_w	 w;
	struct msg	 m;
	char		 text[MSG_ERROR_TEXT_MAX + 1];
	int		 i, code;

	assert_int_equal(it_connect(&c->it, &ch), 0);
	for (i = 0; i < n; i++) {
		it_headers_req(&w, (uint32_t)i + 2, "A", 1, "GET",
		    "/auth/derive-api-key");
		assert_int_equal(chan_send(&ch, &w), 0);
		assert_int_equal(chan_recv(&ch, &m), 0);
		/* busy while a checkpoint is signed: retried, as vaultctl does */
		if (m.type == MSG_ERROR_ANS) {
			assert_int_equal(msg_get_error(&m, &code, text,
			    sizeof(text)), 0);
			assert_int_equal(code, CV_ERR_AGAIN);
			msg_clear(&m);
			i--;
			it_sleep_ms(5);
			continue;
		}
		assert_int_equal(m.type, MSG_CTL_HEADERS_ANS);
		msg_clear(&m);
		it_sleep_ms(1);
	}
	chan_free(&ch);
}

/*
 * Run vaultctl with args, its standard output of any size into *out
 * (malloc'd), standard error into c->r.err; the exit status.
 */
static int
cli_big(struct ct *c, char **out, const char *args)
{
	char	cmd[1024], outp[128], errp[128];
	size_t	len;
	int	st;

	snprintf(outp, sizeof(outp), "%s.out", c->it.home);
	snprintf(errp, sizeof(errp), "%s.err", c->it.home);
	snprintf(cmd, sizeof(cmd), "%s/vaultctl %s </dev/null >%s 2>%s",
	    c->it.build, args, outp, errp);
	st = system(cmd);
	if ((*out = it_slurp(outp, &len)) == NULL)
		abort();
	slurp_into(errp, c->r.err, sizeof(c->r.err));
	unlink(outp);
	unlink(errp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The seq each line of text starts with must be 1, 2, 3...; how many. */
static unsigned long
seqs_from_one(const char *text)
{
	unsigned long	 n = 0;
	const char	*p;

	for (p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strtoul(p, NULL, 10) != ++n)
			fail_msg("line %lu is record %lu", n, strtoul(p, NULL,
			    10));
		if (strchr(p, '\n') == NULL)
			fail_msg("line %lu has no end", n);
	}
	return n;
}

/*
 * audit show --all: every record, across more than one answer's 512 KiB
 * (3,500 signatures, about 750 KB of log), oldest first, nothing on
 * standard error; with a filter and --json the same; against --tail,
 * which stops at one answer and says what it left out.
 */
static void
test_audit_show_all(void **state)
{
	struct ct	*c = *state;
	char		 want_err[300], *out;
	const char	*p;
	unsigned long	 n, seq;
	json_t		*j, *e;
	size_t		 i;

	cli(c, WALLET_KEY "\n", "wallet import --account A");
	want(c, 0);
	sign_many(c, 3500);
	assert_int_equal(cli_big(c, &out, "audit show --all"), 0);
	assert_string_equal(c->r.err, "");
	n = seqs_from_one(out);
	assert_true(n > 3500);
	assert_true(strlen(out) > 512 * 1024);
	free(out);
	/* to the last record: nothing left out at the end either */
	cli(c, NULL, "audit show --tail 1");
	want(c, 0);
	assert_int_equal(strtoul(c->r.out, NULL, 10), n);
	/* more than one read holds: whole records only, none cut in two */
	assert_int_equal(cli_big(c, &out, "audit show --tail 100000"), 0);
	assert_true(out[0] >= '1' && out[0] <= '9');
	assert_int_equal(strspn(out, "0123456789"), strcspn(out, "\t"));
	for (p = out, seq = strtoul(out, NULL, 10); *p != '\0';
	    p = strchr(p, '\n') + 1, seq++)
		if (strtoul(p, NULL, 10) != seq || strchr(p, '\n') == NULL)
			fail_msg("record %lu is not whole or not next", seq);
	assert_int_equal(seq - 1, n);
	free(out);

	assert_int_equal(cli_big(c, &out, "audit show --all --op sign "
	    "--account A --json"), 0);
	assert_string_equal(c->r.err, "");
	assert_non_null(j = json_loads(out, 0, NULL));
	free(out);
	assert_int_equal(json_array_size(j), 3500);
	json_array_foreach(j, i, e) {
		assert_string_equal(json_string_value(json_object_get(e,
		    "path")), "/auth/derive-api-key");
		if (i > 0)
			assert_true(json_integer_value(json_object_get(e,
			    "seq")) > json_integer_value(json_object_get(
			    json_array_get(j, i - 1), "seq")));
	}
	json_decref(j);
	cli(c, NULL, "audit show --all --op nosuch");
	want(c, 0);
	assert_string_equal(c->r.out, "");
	assert_string_equal(c->r.err, "vaultctl: audit show: no records "
	    "match\n");

	/* --tail: one answer, and what did not fit is counted */
	assert_int_equal(cli_big(c, &out, "audit show --tail 100000 --op "
	    "sign"), 0);
	for (i = 0, n = 0; out[i] != '\0'; i++)
		n += out[i] == '\n';
	free(out);
	assert_true(n < 3500);
	snprintf(want_err, sizeof(want_err), "vaultctl: audit show: %lu more "
	    "records left out: an answer holds at most 512 KiB (narrow it "
	    "with --since, --until or a filter, or use --all)\n", 3500 - n);
	assert_string_equal(c->r.err, want_err);
	cli(c, NULL, "audit show --all --tail 5");
	want(c, 2);
	has(c->r.err, ": --tail or --all, not both\n");
	cli(c, NULL, "audit verify --all");
	want(c, 2);
}

/* Field n (from 0) of an audit log line. */
static char *
field(char *line, int n)
{
	while (n-- > 0)
		line = strchr(line, '\t') + 1;
	return line;
}

/*
 * audit export-key, and audit verify --offline with it: the same text
 * and exit code as the online verify, with vaultd stopped; a tampered
 * copy is named, line and fault, exit 7.
 */
static void
test_audit_offline(void **state)
{
	struct ct	*c = *state;
	char		 key[128], dir[128], copy[160], online[512];
	char		 anchor[128], cmd[512], want_out[1200], edited[200];
	char		*log, *p;
	size_t		 len;
	json_t		*j;
	int		 line;

	cli(c, NULL, "audit export-key");
	want(c, 0);
	assert_int_equal(strlen(c->r.out), 65);
	assert_int_equal(strspn(c->r.out, "0123456789abcdef"), 64);
	snprintf(key, sizeof(key), "%s.pub", c->it.home);
	it_write(key, c->r.out, 0644);
	cli(c, NULL, "--json audit export-key");
	want(c, 0);
	j = out_json(c);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "key"))),
	    64);
	json_decref(j);
	cli(c, NULL, "audit anchor --json");
	want(c, 0);
	j = out_json(c);
	snprintf(anchor, sizeof(anchor), "%s:%s", json_string_value(
	    json_object_get(j, "seq")), json_string_value(json_object_get(j,
	    "hash")));
	json_decref(j);
	cli(c, NULL, "audit verify");
	want(c, 0);
	snprintf(online, sizeof(online), "%s", c->r.out);
	cli(c, NULL, "audit verify --offline --key-file %s %s/audit.log", key,
	    c->it.home);
	want(c, 0);
	assert_string_equal(c->r.out, online);
	assert_string_equal(c->r.err, "");

	/* no vaultd at all (its stop is one record more) */
	assert_int_equal(it_stop(&c->it, 3000), 0);
	cli(c, NULL, "audit verify --offline --key-file %s %s/audit.log", key,
	    c->it.home);
	want(c, 0);
	has(c->r.out, "audit log verified: ");
	snprintf(online, sizeof(online), "%s", c->r.out);
	cli(c, NULL, "audit verify --offline --key-file %s --anchor %s "
	    "%s/audit.log", key, anchor, c->it.home);
	want(c, 0);
	has(c->r.out, "is in the log as kept");
	cli(c, NULL, "--json audit verify --offline --key-file %s "
	    "%s/audit.log", key, c->it.home);
	want(c, 0);
	j = out_json(c);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "exit")), 0);
	json_decref(j);

	/* a copy with one byte of its third record changed */
	snprintf(dir, sizeof(dir), "%s.copy", c->it.home);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(copy, sizeof(copy), "%s/audit.log", dir);
	snprintf(cmd, sizeof(cmd), "%s/audit.log", c->it.home);
	assert_non_null(log = it_slurp(cmd, &len));
	/* the first record after the first that is not a checkpoint */
	for (p = strchr(log, '\n') + 1, line = 2; strncmp(field(p, 4),
	    "checkpoint\t", 11) == 0; line++)
		p = strchr(p, '\n') + 1;
	field(p, 1)[3] ^= 1;			/* a digit of its year */
	it_write(copy, log, 0600);
	free(log);
	cli(c, NULL, "audit verify --offline --key-file %s %s", key, copy);
	want(c, 7);
	snprintf(edited, sizeof(edited), "audit log FAILED verification: a "
	    "record was edited (its hash is not the next prev) at audit.log "
	    "line %d\n", line);
	assert_string_equal(c->r.out, edited);
	assert_string_equal(c->r.err, "vaultctl: audit: data failed "
	    "authentication (tampered or corrupt)\n");
	/* two logs: each named, the exit that of the first failure */
	cli(c, NULL, "audit verify --offline --key-file %s %s %s/audit.log",
	    key, copy, c->it.home);
	want(c, 7);
	snprintf(want_out, sizeof(want_out), "%s: %s%s/audit.log: %s", copy,
	    edited, c->it.home, online);
	assert_string_equal(c->r.out, want_out);

	/* another key: the checkpoints do not verify */
	it_write(key, "0000000000000000000000000000000000000000000000000000000"
	    "000000000\n", 0644);
	cli(c, NULL, "audit verify --offline --key-file %s %s/audit.log", key,
	    c->it.home);
	want(c, 7);
	has(c->r.out, "audit log FAILED verification: a checkpoint is "
	    "unsigned or its signature is invalid at audit.log line ");
	it_write(key, "not a key\n", 0644);
	cli(c, NULL, "audit verify --offline --key-file %s %s/audit.log", key,
	    c->it.home);
	want(c, 1);
	snprintf(want_out, sizeof(want_out), "vaultctl: audit verify: %s is "
	    "not an audit public key (64 hex digits, as vaultctl audit "
	    "export-key prints it)\n", key);
	assert_string_equal(c->r.err, want_out);
	cli(c, NULL, "audit verify --offline --key-file %s %s/nosuch.log",
	    key, dir);
	want(c, 1);
	cli(c, NULL, "audit verify --offline %s/audit.log", c->it.home);
	want(c, 2);
	cli(c, NULL, "audit verify --offline --key-file %s", key);
	want(c, 2);
	cli(c, NULL, "audit verify --key-file %s %s/audit.log", key,
	    c->it.home);
	want(c, 2);
	cli(c, NULL, "audit export-key");
	want(c, 3);
	unlink(key);
	unlink(copy);
	rmdir(dir);
}

/*
 * out as script(1) shows a derivation at cost: "deriving the key
 * (Argon2id, COST): 0 s", rewritten after a CR each second ("1 s", "2
 * s"...: ticks of them, at least), and a last time with the tenths and
 * a newline; then rest.  A newline on the terminal is CR LF.
 */
static void
progress_is(const char *out, const char *cost, int ticks, const char *rest)
{
	char		 head[256];
	const char	*p = out;
	char		*end;
	size_t		 hl;
	long		 v, k;

	hl = (size_t)snprintf(head, sizeof(head), "deriving the key "
	    "(Argon2id%s%s): ", cost[0] ? ", " : "", cost);
	for (k = 0;; k++) {
		if ((k > 0 && *p++ != '\r') || strncmp(p, head, hl) != 0)
			fail_msg("not the progress of %s at %ld: %s", cost, k,
			    out);
		p += hl;
		v = strtol(p, &end, 10);
		if (end == p)
			fail_msg("no seconds at %ld: %s", k, out);
		if (*end == '.') {
			/* the last: the time it took, at least the last tick */
			if (end[1] < '0' || end[1] > '9' ||
			    strncmp(end + 2, " s\r\n", 4) != 0 || v < k - 1 ||
			    v > k)
				fail_msg("not the time it took: %s", out);
			p = end + 6;
			break;
		}
		/* one a second, from 0 */
		if (strncmp(end, " s", 2) != 0 || v != k)
			fail_msg("tick %ld is not %ld s: %s", k, k, out);
		p = end + 2;
	}
	if (k < ticks + 1)
		fail_msg("fewer than %d ticks: %s", ticks, out);
	assert_string_equal(p, rest);
}

/*
 * Argon2id at init, unlock and passwd: on a terminal (script(1) gives
 * one), the cost being paid and the time it has taken, rewritten each
 * second until vaultd answers; nothing otherwise.
 */
static void
test_kdf_notice(void **state)
{
	struct ct	*c = *state;
	struct it_proc	 p[3];
	char		 out[4096], cmd[1024], wrote[512];
	FILE		*f;
	size_t		 n;

	/* not a terminal: the outputs the other tests assert */
	cli(c, NULL, "lock");
	want(c, 0);
	cli(c, NULL, "unlock --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.err, "");
	assert_string_equal(c->r.out, "vault unlocked\n");
	cli(c, NULL, "passwd --passphrase-file %s --new-passphrase-file %s "
	    "--kdf min", c->pass, c->pass);
	want(c, 0);
	assert_string_equal(c->r.err, "");
	assert_string_equal(c->r.out, "passphrase kept, its Argon2id cost "
	    "set; records untouched\n");
	cli(c, NULL, "--json lock");
	want(c, 0);
	cli(c, NULL, "--json unlock --passphrase-file %s", c->pass);
	want(c, 0);
	assert_string_equal(c->r.err, "");
	assert_string_equal(c->r.out, "{\n  \"ok\": true,\n  \"result\": "
	    "\"unlocked\"\n}\n");
	if (system("command -v script >/dev/null 2>&1") != 0) {
		print_message("skipped: no script(1) for a terminal\n");
		skip();
	}
	cli(c, NULL, "lock");
	want(c, 0);
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl unlock "
	    "--passphrase-file %s' /dev/null", c->it.build, c->pass);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	progress_is(out, "min: 8 KiB, 1 pass", 0, "vault unlocked\r\n");
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl passwd "
	    "--passphrase-file %s --new-passphrase-file %s --kdf interactive' "
	    "/dev/null", c->it.build, c->pass, c->pass);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	progress_is(out, "min: 8 KiB, 1 pass, then interactive: 64 MiB, 2 "
	    "passes", 0, "passphrase kept, its Argon2id cost set; records "
	    "untouched\r\n");
	/* no --kdf: the vault's cost, not moderate, there and back */
	snprintf(wrote, sizeof(wrote), "%s.other", c->pass);
	it_write(wrote, "another cli test passphrase\n", 0600);
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl passwd "
	    "--passphrase-file %s --new-passphrase-file %s' /dev/null",
	    c->it.build, c->pass, wrote);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	progress_is(out, "interactive: 64 MiB, 2 passes", 0,
	    "passphrase changed; records untouched\r\n");
	cli(c, NULL, "passwd --passphrase-file %s --new-passphrase-file %s",
	    wrote, c->pass);
	want(c, 0);
	unlink(wrote);

	/* a signerd held still for 3 s: the line ticks, 1 s, 2 s... */
	cli(c, NULL, "lock");
	want(c, 0);
	assert_int_equal(it_status(&c->it, p), 0);
	assert_int_equal(kill((pid_t)p[1].pid, SIGSTOP), 0);
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl unlock "
	    "--passphrase-file %s' /dev/null", c->it.build, c->pass);
	assert_non_null(f = popen(cmd, "r"));
	it_sleep_ms(3000);
	assert_int_equal(kill((pid_t)p[1].pid, SIGCONT), 0);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
	progress_is(out, "interactive: 64 MiB, 2 passes", 2,
	    "vault unlocked\r\n");

	/* a keyfile pays no Argon2id: nothing to say */
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl passwd "
	    "--passphrase-file %s --new-keyfile %s.key' /dev/null",
	    c->it.build, c->pass, c->it.home);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	/* the advice once vaultd took the keyfile, after the derivation */
	snprintf(wrote, sizeof(wrote), "vaultctl: wrote a new keyfile %s.key; "
	    "keep a copy offline: without it the vault is lost\r\n"
	    "passphrase changed; records untouched\r\n", c->it.home);
	progress_is(out, "interactive: 64 MiB, 2 passes", 0, wrote);
	snprintf(cmd, sizeof(cmd), "script -qec '%s/vaultctl lock; "
	    "%s/vaultctl unlock --keyfile %s.key' /dev/null", c->it.build,
	    c->it.build, c->it.home);
	assert_int_equal(it_run(out, sizeof(out), cmd), 0);
	assert_string_equal(out, "vault locked\r\nvault unlocked\r\n");
	snprintf(cmd, sizeof(cmd), "%s.key", c->it.home);
	unlink(cmd);
}

/*
 * A vaultd of our own at the control socket that answers the first n
 * init requests with the errors code[i], text[i], then reads one more
 * (a resent request: got says "resent") or the close, and goes without
 * an answer, while vaultctl init --keyfile key runs (its exit and
 * output in c->r).
 */
static void
fake_init(struct ct *c, const char *key, size_t n, const int *code,
    const char **text, char *got, size_t len)
{
	struct sockaddr_un	 sun;
	struct msg_w		 w;
	struct msg		 m;
	struct chan		 ch;
	char			 run[128];
	ssize_t			 k;
	size_t			 have = 0, i;
	pid_t			 pid;
	int			 p[2], ready[2], fd, cfd, rc;

	snprintf(run, sizeof(run), "%s/run", c->it.home);
	assert_int_equal(mkdir(run, 0700), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(ready), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		close(ready[0]);
		alarm(60);		/* vaultctl never came: the test fails */
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->it.sock);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    listen(fd, 1) == -1 || write(ready[1], "r", 1) != 1 ||
		    (cfd = accept(fd, NULL, NULL)) == -1)
			_exit(1);
		chan_init(&ch, cfd);
		if (chan_recv(&ch, &m) != 0 || m.type != MSG_CTL_HELLO_REQ)
			_exit(1);
		msg_begin(&w, MSG_CTL_HELLO_ANS, m.id);
		msg_clear(&m);
		msg_put_u64(&w, MSG_VERSION);
		if (chan_send(&ch, &w) != 0)
			_exit(1);
		for (i = 0; i < n; i++) {
			if (chan_recv(&ch, &m) != 0 ||
			    m.type != MSG_CTL_INIT_REQ)
				_exit(1);
			rc = msg_error_ans(&ch, m.id, code[i], text[i]);
			msg_clear(&m);
			if (rc != 0 || chan_flush(&ch) != 0)
				_exit(1);
		}
		if (chan_recv(&ch, &m) == 0 && m.type == MSG_CTL_INIT_REQ)
			(void)!write(p[1], "resent", 6);
		_exit(0);		/* gone without an answer */
	}
	close(p[1]);
	close(ready[1]);
	assert_int_equal(read(ready[0], got, 1), 1);
	close(ready[0]);
	cli(c, NULL, "init --keyfile %s", key);
	assert_int_equal(waitpid(pid, &rc, 0), pid);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), 0);
	while ((k = read(p[0], got + have, len - 1 - have)) > 0)
		have += (size_t)k;
	close(p[0]);
	got[have] = '\0';
	unlink(c->it.sock);
	rmdir(run);
}

/*
 * A vaultd that is busy at the first init request (its "retry" answer)
 * and closes the connection once the resent one came: it may have
 * sealed the vault to the new keyfile before it went, so vaultctl keeps
 * the keyfile.  It used to take the earlier "retry" for vaultd's
 * refusal and remove it, leaving a vault that no key on any disk opens.
 */
static void
test_keyfile_busy_gone(void **state)
{
	struct ct	*c = *state;
	struct stat	 st;
	const int	 code[] = { CV_ERR_AGAIN };
	const char	*text[] = { "busy; retry" };
	char		 key[128], got[16], err[512];

	snprintf(key, sizeof(key), "%.100s.key", c->it.home);
	fake_init(c, key, 1, code, text, got, sizeof(got));
	assert_string_equal(got, "resent");
	want(c, 3);
	snprintf(err, sizeof(err), "vaultctl: kept the new keyfile %s: "
	    "vaultd did not answer, and it may be the vault's now\n"
	    "vaultctl: init: vaultd closed the connection (see vaultd.log)\n",
	    key);
	assert_string_equal(c->r.err, err);
	assert_int_equal(stat(key, &st), 0);
	unlink(key);
}

/*
 * signerd stopped after the vault file was written, before it confirmed
 * the change: vaultd's answer is an error (signerd not running), but the
 * vault is sealed to the new keyfile, so vaultctl keeps it.  It used to
 * remove it as for a refusal.
 */
static void
test_keyfile_signerd_stopped(void **state)
{
	struct ct	*c = *state;
	struct stat	 st;
	const int	 code[] = { CV_ERR_NOTRUNNING };
	const char	*text[] = { "signerd stopped after the vault file was "
			    "written: the change is made (after passwd or "
			    "rekey, the new passphrase or keyfile opens it); "
			    "the vault is now locked" };
	char		 key[128], got[16], err[768];

	snprintf(key, sizeof(key), "%.100s.key", c->it.home);
	fake_init(c, key, 1, code, text, got, sizeof(got));
	assert_string_equal(got, "");
	want(c, 3);
	snprintf(err, sizeof(err), "vaultctl: kept the new keyfile %s: "
	    "signerd stopped during the change, which may be made, and it "
	    "may be the vault's now\nvaultctl: init: %s\n", key, text[0]);
	assert_string_equal(c->r.err, err);
	assert_int_equal(stat(key, &st), 0);
	unlink(key);
}

/*
 * An impostor of uid 64997 serving the vaultd protocol at the control
 * socket's path, in a home of owner's (mode mode), while vaultctl unlock
 * runs as as (setpriv; -1: the test's uid): the bytes it received, in
 * got.  vaultctl's exit and output are in c->r.
 */
static size_t
impostor(struct ct *c, uid_t owner, mode_t mode, uid_t as, char *got,
    size_t len)
{
	struct sockaddr_un	 sun;
	struct msg_w		 w;
	struct msg		 m;
	struct chan		 ch;
	char			 run[128], su[64] = "", build[256];
	uint32_t		 flen;
	size_t			 have = 0;
	ssize_t			 n;
	pid_t			 pid;
	int			 p[2], ready[2], fd, cfd, st;

	snprintf(c->pass, sizeof(c->pass), "%.100s.pass", c->it.home);
	it_write(c->pass, SECRET_WORD "\n", 0600);
	if (as != (uid_t)-1) {
		assert_int_equal(chown(c->pass, as, as), 0);
		snprintf(su, sizeof(su), "setpriv --reuid=%u --regid=%u "
		    "--clear-groups ", (unsigned)as, (unsigned)as);
	}
	snprintf(run, sizeof(run), "%s/run", c->it.home);
	assert_int_equal(chmod(c->it.home, mode), 0);
	assert_int_equal(chown(c->it.home, owner, owner), 0);
	assert_int_equal(mkdir(run, 0755), 0);
	assert_int_equal(chmod(run, 0755), 0);	/* whatever the umask */
	assert_int_equal(chown(run, 64997, 64997), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(ready), 0);
	assert_true((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		close(ready[0]);
		alarm(60);		/* vaultctl never came: the test fails */
		if (setgroups(0, NULL) == -1 || setgid(64997) == -1 ||
		    setuid(64997) == -1)
			_exit(1);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->it.sock);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    chmod(c->it.sock, 0666) == -1 || listen(fd, 1) == -1 ||
		    write(ready[1], "r", 1) != 1 ||
		    (cfd = accept(fd, NULL, NULL)) == -1)
			_exit(1);
		chan_init(&ch, cfd);
		if (chan_recv(&ch, &m) != 0)
			_exit(0);		/* nothing came */
		(void)!write(p[1], "hello ", 6);
		msg_begin(&w, MSG_CTL_HELLO_ANS, m.id);
		msg_clear(&m);
		msg_put_u64(&w, MSG_VERSION);
		if (chan_send(&ch, &w) != 0)
			_exit(1);
		/* the next frame, raw: what vaultctl confided */
		while (have < 4 || (have - 4 < len &&
		    have - 4 < ((memcpy(&flen, got, 4), ntohl(flen))))) {
			if ((n = read(cfd, got + have, len - have)) <= 0)
				break;
			have += (size_t)n;
		}
		(void)!write(p[1], got, have);
		_exit(0);
	}
	close(p[1]);
	close(ready[1]);
	assert_int_equal(read(ready[0], got, 1), 1);
	close(ready[0]);
	/* "%s/vaultctl": the user's switch goes before the build path */
	snprintf(build, sizeof(build), "%s", c->it.build);
	snprintf(c->it.build, sizeof(c->it.build), "%s%s", su, build);
	cli(c, NULL, "unlock --passphrase-file %s", c->pass);
	snprintf(c->it.build, sizeof(c->it.build), "%s", build);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	while ((n = read(p[0], got + have, len - 1 - have)) > 0)
		have += (size_t)n;
	close(p[0]);
	unlink(c->it.sock);
	rmdir(run);
	assert_int_equal(chown(c->it.home, 0, 0), 0);
	return have;
}

/*
 * Someone else's socket where vaultctl looks for vaultd's (a home in a
 * directory others write to, a mistyped CLOBVAULT_HOME): vaultctl sends
 * it nothing, the handshake included, and so never the passphrase.  As
 * root, in a home that is not the impostor's; as a user, in a home that
 * is (made in /tmp before the user made theirs).
 */
static void
test_impostor(void **state)
{
	struct ct	*c = *state;
	char		 got[8192], want_err[256];
	size_t		 have;

	if (geteuid() != 0) {
		print_message("skipped: acting as another uid needs root\n");
		skip();
	}
	snprintf(want_err, sizeof(want_err), "vaultctl: unlock: %s is served "
	    "by uid 64997, neither root nor this user nor the home's owner: "
	    "not vaultd's, nothing sent (is CLOBVAULT_HOME right?)\n",
	    c->it.sock);

	have = impostor(c, 0, 0755, (uid_t)-1, got, sizeof(got));
	assert_null(memmem(got, have, SECRET_WORD, strlen(SECRET_WORD)));
	assert_int_equal(have, 0);
	want(c, 1);
	assert_string_equal(c->r.err, want_err);
	assert_string_equal(c->r.out, "");

	have = impostor(c, 64997, 0711, 64996, got, sizeof(got));
	assert_null(memmem(got, have, SECRET_WORD, strlen(SECRET_WORD)));
	assert_int_equal(have, 0);
	want(c, 1);
	assert_string_equal(c->r.err, want_err);
	assert_string_equal(c->r.out, "");
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
		cmocka_unit_test_setup_teardown(test_sign_order_not_json,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_url_userinfo,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile_busy_gone,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile_signerd_stopped,
		    setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_impostor, setup_bare,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup_vaultd,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_add_unwritten,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_account_orders,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_account_update,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_account_update_cred,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_key_remove_cred,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_account_remove_audit,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_audit_show,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_audit_show_all,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_audit_offline,
		    setup_vaultd, teardown),
		cmocka_unit_test_setup_teardown(test_kdf_notice,
		    setup_vaultd, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
