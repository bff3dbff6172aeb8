/*
 * Every exchange call end to end: vaultctl -> vaultd -> netd -> the local
 * test exchange, with signatures from signerd, for the openfish profile
 * (HTTPS with a CA made here, an invitation code) and polymarket (plain
 * HTTP to loopback).  Exact exit codes and answer fields; faults (5xx,
 * a dropped connection, 429, a skewed clock), invitation codes that are
 * wrong or used, a deleted key; the credentials land in the vault; no
 * output of any command holds a secret; the audit log has the calls and
 * verifies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/it.h"
#include "tests/testexchange/tx_test.h"

#define PASSPHRASE	"calls test passphrase 4f1c"
#define NO_VAULTD	((const char *)1)

/* The CA and server certificate for 127.0.0.1, made once. */
static char	certdir[64], ca[128], cert[128], key[128], pin[64];

struct ct {
	struct it	 it;
	struct txt	 tx;
	char		 pass[128], state[128], invite[64];
	char		 url[64], addr[64];
	char		 out[65536];
	char		*all;		/* every output so far */
	size_t		 alllen;
	json_t		*secrets;	/* every secret the exchange issued */
};

static struct ct	ct;
static int		short_timeout;

/* Run vaultctl (args a printf format); keep its output.  Exit status. */
static int
ctl(struct ct *c, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add what the exchange's state file holds now to c->secrets. */
static void
collect_secrets(struct ct *c)
{
	static const char *const fields[] = { "secret", "passphrase" };
	json_t		*st, *e, *s;
	const char	*v;
	size_t		 i, k, n;

	if (c->state[0] == '\0' ||
	    (st = json_load_file(c->state, 0, NULL)) == NULL)
		return;
	if (c->secrets == NULL)
		c->secrets = json_array();
	for (k = 0; k < 3; k++)
		json_array_foreach(json_object_get(st, k < 2 ? "creds" :
		    "invites"), i, e) {
			v = json_string_value(json_object_get(e, k < 2 ?
			    fields[k] : "code"));
			if (v == NULL || *v == '\0')
				continue;
			json_array_foreach(c->secrets, n, s)
				if (strcmp(json_string_value(s), v) == 0)
					break;
			if (n == json_array_size(c->secrets))
				json_array_append_new(c->secrets,
				    json_string(v));
		}
	json_decref(st);
}

static int
ctl(struct ct *c, const char *in, const char *fmt, ...)
{
	char	 args[2048], *p;
	va_list	 ap;
	size_t	 n;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	r = it_ctl(&c->it, in, c->out, sizeof(c->out), "%s", args);
	n = strlen(c->out);
	if ((p = realloc(c->all, c->alllen + n + 1)) == NULL)
		abort();
	c->all = p;
	memcpy(c->all + c->alllen, c->out, n + 1);
	c->alllen += n;
	collect_secrets(c);
	return r;
}

/* Run vaultctl and insist on its exit status. */
#define run(c, want, ...)	run_expect((c), (want), __LINE__, __VA_ARGS__)

static void
run_expect(struct ct *c, int want, int line, const char *in,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
run_expect(struct ct *c, int want, int line, const char *in,
    const char *fmt, ...)
{
	char	 args[2048];
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	if ((r = ctl(c, in, "%s", args)) != want)
		fail_msg("line %d: vaultctl %s: exit %d, not %d:\n%s", line,
		    args, r, want, c->out);
}

static void
has(struct ct *c, const char *want)
{
	if (strstr(c->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", c->out, want);
}

static void
lacks(struct ct *c, const char *s)
{
	if (strstr(c->out, s) != NULL)
		fail_msg("output \"%s\" has \"%s\"", c->out, s);
}

/* The whole output as one JSON document (nothing else on stderr). */
static json_t *
out_json(struct ct *c)
{
	json_error_t	 err;
	json_t		*j;

	if ((j = json_loads(c->out, 0, &err)) == NULL)
		fail_msg("not one JSON document (%s): %s", err.text, c->out);
	return j;
}

/* The error code of a --json refusal: the output's "code". */
static json_int_t
out_code(struct ct *c)
{
	json_t		*doc = out_json(c);
	json_int_t	 code;

	code = json_integer_value(json_object_get(doc, "code"));
	json_decref(doc);
	return code;
}

/*
 * Check the answer document of a call: {call, account, status, result,
 * vault}.  Returns result (borrowed from *doc; decref *doc after).
 */
static json_t *
answer(struct ct *c, json_t **doc, const char *call, const char *account,
    long status)
{
	json_t	*j = out_json(c);

	*doc = j;
	/* an HTTP error adds the failure's "ok": false, "error", "exit" */
	assert_int_equal(json_object_size(j), status < 300 ? 5 : 8);
	if (status >= 300)
		assert_int_equal(json_integer_value(json_object_get(j,
		    "exit")), 10);
	assert_string_equal(json_string_value(json_object_get(j, "call")),
	    call);
	assert_string_equal(json_string_value(json_object_get(j, "account")),
	    account);
	assert_int_equal(json_integer_value(json_object_get(j, "status")),
	    status);
	assert_true(json_is_string(json_object_get(j, "vault")));
	assert_non_null(json_object_get(j, "result"));
	return json_object_get(j, "result");
}

static const char *
jstr(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	if (s == NULL)
		fail_msg("no string %s in %s", k, ct.out);
	return s != NULL ? s : "";	/* fail_msg does not return */
}

static void
admin(struct ct *c, const char *path, const char *body)
{
	struct txr	r;

	if (txt_admin(&c->tx, "POST", path, body, &r) != 200)
		fail_msg("admin %s %s: %ld %s", path, body, r.status,
		    r.body ? r.body : "");
	txr_free(&r);
}

static void
faults(struct ct *c, const char *body)
{
	admin(c, "faults", body);
}

static int
group_setup(void **state)
{
	char	 path[128];
	FILE	*f;
	int	 r;

	curl_global_init(CURL_GLOBAL_ALL);
	snprintf(certdir, sizeof(certdir), "/tmp/cvcalls.XXXXXX");
	if (mkdtemp(certdir) == NULL)
		return -1;
	snprintf(ca, sizeof(ca), "%s/ca.pem", certdir);
	snprintf(cert, sizeof(cert), "%s/server.pem", certdir);
	snprintf(key, sizeof(key), "%s/server.key", certdir);
	/* a CA, a server certificate for 127.0.0.1, its public key pin */
	if (it_make_ca(certdir, "cvtest-ca", 1) != 0) {
		fprintf(stderr, "openssl failed: no CA for the HTTPS tests\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/pin", certdir);
	memcpy(pin, "sha256//", 8);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	r = fscanf(f, "%44s", pin + 8);
	fclose(f);
	return r == 1 && strlen(pin) == 52 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certdir);
	(void)!system(cmd);
	secp_ctx_free(txt_secp);
	curl_global_cleanup();
	return 0;
}

/*
 * vaultd in a fresh home with a vault; the exchange with profile; the
 * account "main" with a wallet key (and, on openfish, an invitation code).
 */
static int
setup_profile(void **state, const char *profile)
{
	struct ct	*c = &ct;
	const char	*extra[12];
	json_t		*j;
	size_t		 n = 0;
	int		 tls = strcmp(profile, "openfish") == 0;

	free(c->all);
	memset(c, 0, sizeof(*c));
	*state = c;
	it_init(&c->it);
	if (snprintf(c->pass, sizeof(c->pass), "%s.pass", c->it.home) >=
	    (int)sizeof(c->pass))
		return -1;
	it_write(c->pass, PASSPHRASE "\n", 0600);
	snprintf(c->invite, sizeof(c->invite), "INV-%08x%08x",
	    (unsigned)random(), (unsigned)getpid());
	if (snprintf(c->state, sizeof(c->state), "%s.tx.json", c->it.home) >=
	    (int)sizeof(c->state))
		return -1;
	extra[n++] = "--state";
	extra[n++] = c->state;
	if (tls) {
		extra[n++] = "--tls-cert";
		extra[n++] = cert;
		extra[n++] = "--tls-key";
		extra[n++] = key;
		extra[n++] = "--invite";
		extra[n++] = c->invite;
	}
	extra[n] = NULL;
	if (txt_start_argv(&c->tx, profile, extra) != 0)
		return -1;
	snprintf(c->tx.cacert, sizeof(c->tx.cacert), "%s", ca);
	if (snprintf(c->url, sizeof(c->url), "%s", c->tx.url) >=
	    (int)sizeof(c->url))
		return -1;
	if (it_start_args(&c->it, "-T", short_timeout ? "-t" : NULL,
	    short_timeout ? "2" : NULL) != 0)
		return -1;
	if (ctl(c, NULL, "init --passphrase-file %s --kdf min", c->pass) ||
	    ctl(c, NULL, "account add main --profile %s --url %s%s%s",
	    profile, c->url, tls ? " --ca-file " : "", tls ? ca : "") ||
	    ctl(c, NULL, "--json wallet generate --account main"))
		return -1;
	if ((j = json_loads(c->out, 0, NULL)) == NULL)
		return -1;
	snprintf(c->addr, sizeof(c->addr), "%s",
	    json_string_value(json_object_get(j, "info")));
	json_decref(j);
	if (tls && ctl(c, c->invite, "invite set --account main") != 0)
		return -1;
	return 0;
}

static int
setup_openfish(void **state)
{
	short_timeout = 0;
	return setup_profile(state, "openfish");
}

static int
setup_polymarket(void **state)
{
	short_timeout = 0;
	return setup_profile(state, "polymarket");
}

/* The same with netd's time-out for one request cut to 2 s (vaultd -t). */
static int
setup_polymarket_2s(void **state)
{
	short_timeout = 1;
	return setup_profile(state, "polymarket");
}

static int
teardown(void **state)
{
	struct ct	*c = *state;

	if (getenv("IT_KEEP") != NULL)
		fprintf(stderr, "kept: %s, %s\n", c->it.home, c->tx.dir);
	it_cleanup(&c->it);
	txt_cleanup(&c->tx);
	unlink(c->pass);
	unlink(c->state);
	free(c->all);
	c->all = NULL;
	c->alllen = 0;
	json_decref(c->secrets);
	c->secrets = NULL;
	return 0;
}

/* Fail if buf holds s. */
static void
no_secret(const char *what, const char *buf, size_t len, const char *s)
{
	if (s != NULL && s[0] != '\0' && memmem(buf, len, s, strlen(s)))
		fail_msg("%s holds the secret %s", what, s);
}

/*
 * Nothing vaultctl printed, nor the audit log or vaultd's log, holds a
 * secret the exchange issued (read from its state file after every
 * command), the invitation code or the vault passphrase.
 */
static void
check_no_secrets(struct ct *c)
{
	const char	*what[3];
	json_t		*e;
	char		 audit[128], *buf;
	size_t		 i, k, len = 0;

	snprintf(audit, sizeof(audit), "%s/audit.log", c->it.home);
	what[0] = "vaultctl output";
	what[1] = audit;
	what[2] = c->it.log;
	collect_secrets(c);
	assert_non_null(c->secrets);
	assert_true(json_array_size(c->secrets) >= 2);
	for (k = 0; k < 3; k++) {
		if (k == 0) {
			buf = c->all;
			len = c->alllen;
		} else if ((buf = it_slurp(what[k], &len)) == NULL)
			fail_msg("cannot read %s", what[k]);
		no_secret(what[k], buf, len, PASSPHRASE);
		no_secret(what[k], buf, len, c->invite);
		json_array_foreach(c->secrets, i, e)
			no_secret(what[k], buf, len, json_string_value(e));
		if (k > 0)
			free(buf);
	}
}

static void
check_audit(struct ct *c)
{
	char	 audit[128], *buf;
	size_t	 len = 0;

	snprintf(audit, sizeof(audit), "%s/audit.log", c->it.home);
	assert_non_null(buf = it_slurp(audit, &len));
	if (strstr(buf, "/auth/api-key") == NULL ||
	    strstr(buf, "/auth/builder-api-key") == NULL ||
	    strstr(buf, "/balance-allowance") == NULL ||
	    strstr(buf, "/notifications") == NULL)
		fail_msg("the audit log lacks the calls:\n%s", buf);
	free(buf);
	run(c, 0, NULL, "audit verify");
	has(c, "audit log verified: ");
}

/* The answer of an API key call: its key id; the vault change in vault. */
static void
key_answer(struct ct *c, const char *call, int created, char *key_id,
    size_t klen)
{
	json_t	*doc, *res;

	res = answer(c, &doc, call, "main", 200);
	snprintf(key_id, klen, "%s", jstr(res, "apiKey"));
	assert_true(strlen(key_id) >= 8);
	if (created >= 0)
		assert_int_equal(json_is_true(json_object_get(res, "created")),
		    created);
	json_decref(doc);
}

/* The fingerprint in a vault change "stored API key K (fingerprint F)". */
static void
fingerprint(struct ct *c, const char *key_id, char *fp, size_t len)
{
	json_t		*doc = out_json(c);
	const char	*v = json_string_value(json_object_get(doc, "vault"));
	const char	*p;

	if (v == NULL || strstr(v, key_id) == NULL ||
	    (p = strstr(v, "fingerprint ")) == NULL)
		fail_msg("vault change \"%s\" names no key and fingerprint",
		    v ? v : "");
	snprintf(fp, len, "%.16s", p + 12);
	assert_int_equal(strlen(fp), 16);
	json_decref(doc);
}

/* Calls every account makes the same way on both profiles. */
static void
common_calls(struct ct *c, const char *key_id)
{
	json_t	*doc, *res;
	char	 body[512], bkey[64], bkey3[64], id1[16], id2[16], bad[160];
	const char	*line, *eol;
	struct txr r;

	/* the exchange's own list */
	run(c, 0, NULL, "apikey list --account main");
	has(c, key_id);
	run(c, 0, NULL, "--json apikey list --account main");
	res = answer(c, &doc, "apikey.list", "main", 200);
	assert_true(json_is_array(json_object_get(res, "apiKeys")));
	json_decref(doc);

	/* closed-only, as the admin sets it */
	run(c, 0, NULL, "closed-only --account main");
	has(c, "closed_only: false");
	snprintf(body, sizeof(body), "{\"address\":\"%s\","
	    "\"closed_only\":true}", c->addr);
	admin(c, "closed-only", body);
	run(c, 0, NULL, "--json closed-only --account main");
	res = answer(c, &doc, "closed-only", "main", 200);
	assert_true(json_is_true(json_object_get(res, "closed_only")));
	json_decref(doc);

	/* balances: cached, then re-read */
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"asset_type\":"
	    "\"COLLATERAL\",\"balance\":\"250000000\",\"allowance\":\"4242\"}",
	    c->addr);
	admin(c, "balance", body);
	run(c, 0, NULL, "balance --account main");
	has(c, "balance: ");
	lacks(c, "250000000");
	run(c, 0, NULL, "--json balance update --account main "
	    "--asset-type COLLATERAL --signature-type 0");
	res = answer(c, &doc, "balance.update", "main", 200);
	assert_string_equal(jstr(res, "balance"), "250000000");
	json_decref(doc);
	run(c, 0, NULL, "balance --account main --asset-type "
	    "COLLATERAL");
	has(c, "balance: 250000000");
	has(c, "4242");
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"asset_type\":"
	    "\"CONDITIONAL\",\"token_id\":\"123456\",\"balance\":\"77\"}",
	    c->addr);
	admin(c, "balance", body);
	run(c, 0, NULL, "balance update --account main "
	    "--asset-type CONDITIONAL --token-id 123456");
	has(c, "balance: 77");

	/* notifications: list, drop one, drop the rest */
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"type\":1,"
	    "\"payload\":{\"tag\":\"fill-42\"}}", c->addr);
	assert_int_equal(txt_admin(&c->tx, "POST", "notifications", body, &r),
	    200);
	snprintf(id1, sizeof(id1), "%lld",
	    (long long)json_integer_value(json_object_get(r.json, "id")));
	txr_free(&r);
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"type\":2,"
	    "\"payload\":{\"tag\":\"fill-43\"}}", c->addr);
	assert_int_equal(txt_admin(&c->tx, "POST", "notifications", body, &r),
	    200);
	snprintf(id2, sizeof(id2), "%lld",
	    (long long)json_integer_value(json_object_get(r.json, "id")));
	txr_free(&r);
	run(c, 0, NULL, "notifications list --account main "
	    "--signature-type 0");
	has(c, "fill-42");
	has(c, "fill-43");
	run(c, 0, NULL, "--json notifications drop --account "
	    "main --id %s", id1);
	res = answer(c, &doc, "notifications.drop", "main", 200);
	json_decref(doc);
	run(c, 0, NULL, "--json notifications list --account "
	    "main");
	lacks(c, "fill-42");
	has(c, "fill-43");
	run(c, 0, NULL, "notifications drop --account main");
	run(c, 0, NULL, "notifications list --account main");
	lacks(c, "fill-43");
	(void)id2;

	/* builder keys: create, in the vault, listed, revoked */
	run(c, 0, NULL, "--json builder create --account main "
	    "--builder-id test-builder.1");
	res = answer(c, &doc, "builder.create", "main", 200);
	snprintf(bkey, sizeof(bkey), "%s", jstr(res, "apiKey"));
	assert_string_equal(jstr(res, "builderId"), "test-builder.1");
	assert_non_null(strstr(jstr(doc, "vault"), bkey));
	json_decref(doc);
	run(c, 0, NULL, "builder list --local --account main");
	has(c, bkey);
	run(c, 0, NULL, "builder list --account main");
	has(c, bkey);
	has(c, "test-builder.1");
	run(c, 0, NULL, "--json builder revoke --account main "
	    "%s", bkey);
	res = answer(c, &doc, "builder.revoke", "main", 200);
	json_decref(doc);
	run(c, 0, NULL, "builder list --account main");
	lacks(c, bkey);
	run(c, 0, NULL, "builder list --local --account main");
	lacks(c, bkey);
	run(c, 10, NULL, "builder revoke --account main %s",
	    bkey);
	has(c, "HTTP 404");
	/* the vault's copy alone: a second key, revoked only there */
	run(c, 0, NULL, "--json builder create --account main "
	    "--builder-id test-builder.2");
	res = answer(c, &doc, "builder.create", "main", 200);
	snprintf(bkey, sizeof(bkey), "%s", jstr(res, "apiKey"));
	json_decref(doc);
	/* builder use: a third key made the active one, in the vault */
	run(c, 0, NULL, "--json builder create --account main "
	    "--builder-id test-builder.3");
	res = answer(c, &doc, "builder.create", "main", 200);
	snprintf(bkey3, sizeof(bkey3), "%s", jstr(res, "apiKey"));
	json_decref(doc);
	run(c, 0, NULL, "builder use --account main --key-id %s", bkey3);
	run(c, 0, NULL, "builder list --local --account main");
	line = strstr(c->out, bkey3);
	assert_non_null(line);
	eol = strchr(line, '\n');
	assert_non_null(eol);
	assert_non_null(strstr(line, "(active)"));
	assert_true(strstr(line, "(active)") < eol);
	run(c, 8, NULL, "builder use --account main --key-id no-such-key");
	run(c, 0, NULL, "builder revoke --account main %s", bkey3);
	/* the vault's copy goes only for the vault's credential */
	snprintf(bad, sizeof(bad), "%s.bad", c->pass);
	it_write(bad, "not the passphrase\n", 0600);
	run(c, 6, NULL, "builder revoke --local --account main --key-id %s "
	    "--passphrase-file %s", bkey, bad);
	unlink(bad);
	has(c, "vaultctl: builder revoke --local: wrong passphrase or "
	    "keyfile; nothing changed\n");
	run(c, 0, NULL, "builder list --local --account main");
	has(c, bkey);
	it_sleep_ms(1100);	/* the wrong one's wait */
	run(c, 0, NULL, "builder revoke --local --account main --key-id %s "
	    "--passphrase-file %s", bkey, c->pass);
	has(c, "builder revoke --local: done\n");
	run(c, 0, NULL, "builder list --local --account main");
	lacks(c, bkey);
	run(c, 0, NULL, "builder list --account main");
	has(c, bkey);
	run(c, 2, NULL, "builder revoke --local --account main %s", bkey);

	/* unauthenticated calls */
	run(c, 0, NULL, "waitlist join calls@example.com "
	    "--account main");
	run(c, 0, NULL, "--json waitlist join x@example.com "
	    "--account main");
	res = answer(c, &doc, "waitlist.join", "main", 200);
	json_decref(doc);
	run(c, 0, NULL, "--json time --account main");
	res = answer(c, &doc, "time", "main", 200);
	assert_true(llabs((long long)json_integer_value(json_object_get(res,
	    "time")) - (long long)time(NULL)) < 60);
	json_decref(doc);
	run(c, 0, NULL, "time --account main");
	has(c, "time: ");
}

/* Delete the key: gone at the exchange and from the vault. */
static void
delete_key(struct ct *c, const char *key_id)
{
	json_t	*doc;

	run(c, 0, NULL, "--json apikey delete --account main");
	(void)answer(c, &doc, "apikey.delete", "main", 200);
	if (strstr(jstr(doc, "vault"), key_id) == NULL ||
	    strstr(jstr(doc, "vault"), "removed") == NULL)
		fail_msg("vault change after delete: %s", c->out);
	json_decref(doc);
	run(c, 0, NULL, "apikey list --local --account main");
	lacks(c, key_id);
	/* an L2 call now has no key to sign with */
	run(c, 8, NULL, "apikey list --account main");
}

static void
test_openfish(void **state)
{
	struct ct	*c = *state;
	char		 key_id[64], again[64], fp[20];

	/* create-or-derive: created with the invitation code, stored */
	run(c, 0, NULL, "--json apikey create-or-derive "
	    "--account main");
	key_answer(c, "apikey.create-or-derive", 1, key_id, sizeof(key_id));
	fingerprint(c, key_id, fp, sizeof(fp));
	run(c, 0, NULL, "apikey list --local --account main");
	has(c, key_id);
	has(c, fp);
	/* the same nonce again: 409, nothing changes */
	run(c, 10, NULL, "apikey create --account main");
	has(c, "HTTP 409");
	has(c, "already exists");
	run(c, 10, NULL, "--json apikey create --account main "
	    "--nonce 0");
	{
		json_t	*doc, *res = answer(c, &doc, "apikey.create", "main",
		    409);

		assert_non_null(json_string_value(json_object_get(res,
		    "error")));
		json_decref(doc);
	}
	/* derive: the same key */
	run(c, 0, NULL, "--json apikey derive --account main");
	key_answer(c, "apikey.derive", -1, again, sizeof(again));
	assert_string_equal(again, key_id);
	run(c, 0, NULL, "apikey create-or-derive --account "
	    "main");
	has(c, key_id);
	/* a builder id is required (vaultctl says so before anyone else) */
	run(c, 2, NULL, "builder create --account main");
	has(c, "--builder-id ID is required");

	common_calls(c, key_id);
	delete_key(c, key_id);
	check_audit(c);
	check_no_secrets(c);
}

static void
test_polymarket(void **state)
{
	struct ct	*c = *state;
	char		 key_id[64], again[64], fp[20];

	run(c, 0, NULL, "--json apikey create --account main");
	key_answer(c, "apikey.create", 1, key_id, sizeof(key_id));
	fingerprint(c, key_id, fp, sizeof(fp));
	run(c, 0, NULL, "apikey list --local --account main");
	has(c, key_id);
	has(c, fp);
	/* create refused (400 on polymarket), then derived */
	run(c, 0, NULL, "--json apikey create-or-derive "
	    "--account main");
	key_answer(c, "apikey.create-or-derive", 0, again, sizeof(again));
	assert_string_equal(again, key_id);
	run(c, 0, NULL, "apikey derive --account main --nonce 0");
	has(c, key_id);
	run(c, 10, NULL, "apikey derive --account main --nonce 5");
	has(c, "HTTP 404");

	common_calls(c, key_id);
	/* a second builder key, to be revoked by the vault's choice */
	run(c, 0, NULL, "builder create --account main --builder-id pm-2");
	has(c, "apiKey: ");
	has(c, "builderId: pm-2");
	has(c, "vault: ");
	run(c, 0, NULL, "builder revoke --account main");
	run(c, 0, NULL, "builder list --account main");
	lacks(c, "pm-2");
	delete_key(c, key_id);
	check_audit(c);
	check_no_secrets(c);
}

/* The entry of key_id in `--json apikey list --local`: nonce, active. */
static void
local_key(struct ct *c, const char *key_id, long long nonce, int active)
{
	json_t	*doc, *e = NULL;
	size_t	 i;

	run(c, 0, NULL, "--json apikey list --local --account main");
	doc = out_json(c);
	json_array_foreach(json_object_get(doc, "entries"), i, e)
		if (strcmp(jstr(e, "key_id"), key_id) == 0)
			break;
	if (i == json_array_size(json_object_get(doc, "entries")))
		fail_msg("%s not listed: %s", key_id, c->out);
	assert_int_equal(json_integer_value(json_object_get(e, "nonce")),
	    nonce);
	assert_int_equal(json_is_true(json_object_get(e, "active")), active);
	assert_true(json_is_boolean(json_object_get(e, "active")));
	json_decref(doc);
}

/*
 * The API key the L2 headers carry names key_id, and no other.  The
 * headers hold the passphrase by protocol: kept out of c->all, which
 * check_no_secrets reads.
 */
static void
signs_with(struct ct *c, const char *key_id, const char *not)
{
	assert_int_equal(it_ctl(&c->it, NULL, c->out, sizeof(c->out), "%s",
	    "headers l2 --account main --method GET --path /auth/api-keys"),
	    0);
	has(c, key_id);
	lacks(c, not);
}

/* Explicit keys: the first stays active, use switches, delete by id. */
static void
test_explicit_keys(void **state)
{
	struct ct	*c = *state;
	char		 a[64], b[64], d[64], e[64], f[64], out[160], want[300];
	char		*res;
	json_t		*doc;
	struct it_proc	 procs[3];
	size_t		 len = 0;
	pid_t		 pid;
	int		 status, mark;

	snprintf(out, sizeof(out), "%s.out", c->it.home);
	run(c, 0, NULL, "--json apikey create --account main");
	key_answer(c, "apikey.create", 1, a, sizeof(a));
	run(c, 0, NULL, "--json apikey create --account main --nonce 1");
	key_answer(c, "apikey.create", 1, b, sizeof(b));
	/* storing a second key does not change the active one */
	local_key(c, a, 0, 1);
	local_key(c, b, 1, 0);
	signs_with(c, a, b);
	run(c, 0, NULL, "apikey list --local --account main");
	has(c, "(active)");
	run(c, 0, NULL, "keys list --account main");
	has(c, "(active)");
	run(c, 0, NULL, "--json keys list --account main");
	has(c, "\"active\": true");
	has(c, "\"active\": false");

	/* use: switches, audited with the key id */
	run(c, 0, NULL, "apikey use --account main --key-id %s", b);
	has(c, "apikey use: ");
	has(c, " is the active API key of main");
	local_key(c, a, 0, 0);
	local_key(c, b, 1, 1);
	signs_with(c, b, a);
	run(c, 0, NULL, "audit show --op apikey_use");
	has(c, b);
	run(c, 8, NULL, "apikey use --account main --key-id nosuch");
	has(c, "account main holds no API key nosuch: see vaultctl apikey "
	    "list --local --account main");
	run(c, 2, NULL, "apikey use --account main");
	run(c, 0, NULL, "apikey use --account main --key-id %s", a);
	signs_with(c, a, b);

	/* delete the inactive one by id: signed with it, gone there and
	 * here, and the active one keeps working */
	run(c, 0, NULL, "--json apikey delete --account main --key-id %s", b);
	(void)answer(c, &doc, "apikey.delete", "main", 200);
	if (strstr(jstr(doc, "vault"), b) == NULL ||
	    strstr(jstr(doc, "vault"), "removed") == NULL)
		fail_msg("vault change after delete: %s", c->out);
	json_decref(doc);
	run(c, 0, NULL, "apikey list --account main");
	has(c, a);
	lacks(c, b);
	run(c, 0, NULL, "apikey list --local --account main");
	lacks(c, b);
	local_key(c, a, 0, 1);
	run(c, 8, NULL, "apikey delete --account main --key-id %s", b);
	has(c, "the account has no API key with that key id in the vault");

	/* without an id: the active key, said on stderr */
	run(c, 0, NULL, "apikey delete --account main");
	has(c, "vaultctl: apikey delete: deleting the active key ");
	has(c, a);
	run(c, 0, NULL, "apikey list --local --account main");
	lacks(c, a);
	run(c, 8, NULL, "apikey delete --account main");
	has(c, "account main holds no API key in the vault");

	/* the active one deleted with one left: that one; with two: none */
	run(c, 0, NULL, "--json apikey create --account main --nonce 2");
	key_answer(c, "apikey.create", 1, d, sizeof(d));
	run(c, 0, NULL, "--json apikey create --account main --nonce 3");
	key_answer(c, "apikey.create", 1, e, sizeof(e));
	run(c, 0, NULL, "--json apikey create --account main --nonce 4");
	key_answer(c, "apikey.create", 1, f, sizeof(f));
	local_key(c, d, 2, 1);
	run(c, 0, NULL, "apikey delete --account main --key-id %s", d);
	local_key(c, e, 3, 0);
	local_key(c, f, 4, 0);
	run(c, 8, NULL, "headers l2 --account main --method GET --path "
	    "/auth/api-keys");
	has(c, "the account holds several API keys and none is active: "
	    "choose one with vaultctl apikey use --account A --key-id ID");
	run(c, 8, NULL, "apikey delete --account main");
	has(c, "account main holds several API keys and none is active: "
	    "name one with --key-id ID");
	run(c, 0, NULL, "apikey delete --account main --key-id %s", e);
	local_key(c, f, 4, 1);
	signs_with(c, f, e);

	/* gone at the exchange, still in the vault (signerd restarted,
	 * the vault locked, meanwhile): a failure, not a delete done */
	faults(c, "{\"latency_ms\":1000}");
	pid = it_ctl_spawn(&c->it, out, "apikey delete --account main "
	    "--key-id %s", f);
	assert_true(pid > 0);
	it_sleep_ms(400);
	assert_int_equal(it_status(&c->it, procs), 0);
	assert_int_equal(kill((pid_t)procs[1].pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(it_wait_up(&c->it, procs, procs[1].pid, 0, 8000) >= 0);
	faults(c, "{\"latency_ms\":0}");
	assert_true(WIFEXITED(status));
	assert_non_null(res = it_slurp(out, &len));
	unlink(out);
	snprintf(want, sizeof(want), "vaultctl: apikey delete: API key %s is "
	    "gone at the exchange but could not be removed from the vault: ",
	    f);
	if (strstr(res, want) == NULL)
		fail_msg("exit %d: %s", WEXITSTATUS(status), res);
	snprintf(want, sizeof(want), "; remove it with vaultctl apikey delete "
	    "--local --account main --key-id %s\n", f);
	assert_non_null(strstr(res, want));
	free(res);
	assert_int_equal(WEXITSTATUS(status), 5);
	run(c, 0, NULL, "unlock --passphrase-file %s", c->pass);
	run(c, 0, NULL, "audit show --op call.apikey.delete --tail 1");
	has(c, "\tfail\t");
	run(c, 0, NULL, "apikey list --local --account main");
	has(c, f);
	/* what the text says to do: the vault's copy goes, nothing else */
	mark = txt_log_lines(&c->tx);
	run(c, 0, NULL, "apikey delete --local --account main --key-id %s "
	    "--passphrase-file %s", f, c->pass);
	has(c, "apikey delete --local: done\n");
	run(c, 0, NULL, "apikey list --local --account main");
	lacks(c, f);
	assert_int_equal(txt_log_lines(&c->tx), mark);
	run(c, 2, NULL, "apikey delete --local --account main");
	run(c, 0, NULL, "audit show --op call.apikey.delete --tail 100");
	has(c, b);
	has(c, d);
	run(c, 0, NULL, "audit verify");
	has(c, "audit log verified: ");
	check_no_secrets(c);
}

/* Wrong and used invitation codes: exit 10, a hint, no derive. */
static void
test_invites(void **state)
{
	struct ct	*c = *state;
	int		 mark;

	run(c, 0, NULL, "account add wrong --profile openfish "
	    "--url %s --ca-file %s", c->url, ca);
	run(c, 0, NULL, "wallet generate --account wrong");
	run(c, 0, "NOT-THE-CODE", "invite set --account wrong");
	mark = txt_log_lines(&c->tx);
	run(c, 10, NULL, "apikey create-or-derive --account "
	    "wrong");
	has(c, "HTTP 400");
	has(c, "invalid invitation code");
	has(c, "hint: ");
	has(c, "invitation code");
	assert_int_equal(txt_log_count(&c->tx, mark, "POST", "/auth/api-key",
	    NULL), 1);
	assert_int_equal(txt_log_count(&c->tx, mark, "GET",
	    "/auth/derive-api-key", NULL), 0);
	run(c, 0, NULL, "apikey list --local --account wrong");
	has(c, "(none)");

	/* main spends the code; a second wallet cannot use it again */
	run(c, 0, NULL, "apikey create-or-derive --account main");
	run(c, 0, NULL, "account add second --profile openfish "
	    "--url %s --ca-file %s", c->url, ca);
	run(c, 0, NULL, "wallet generate --account second");
	run(c, 0, c->invite, "invite set --account second");
	mark = txt_log_lines(&c->tx);
	run(c, 10, NULL, "--json apikey create-or-derive "
	    "--account second");
	{
		json_t	*doc, *res = answer(c, &doc, "apikey.create-or-derive",
		    "second", 400);

		assert_non_null(strstr(jstr(res, "error"), "invitation code"));
		assert_non_null(strstr(jstr(res, "hint"), "invitation code"));
		json_decref(doc);
	}
	assert_int_equal(txt_log_count(&c->tx, mark, "GET",
	    "/auth/derive-api-key", NULL), 0);
	check_no_secrets(c);
}

/* 5xx then success, a dropped create, 429, a skewed clock. */
static void
test_faults(void **state)
{
	struct ct	*c = *state;
	struct txr	 r;
	char		 key_id[64];
	int		 mark, rc;

	run(c, 0, NULL, "--json apikey create --account main");
	key_answer(c, "apikey.create", 1, key_id, sizeof(key_id));

	/* a GET that fails with 503 once is retried */
	faults(c, "{\"fail_next\":1,\"fail_status\":503}");
	mark = txt_log_lines(&c->tx);
	run(c, 0, NULL, "apikey list --account main");
	has(c, key_id);
	assert_int_equal(txt_log_count(&c->tx, mark, "GET", "/auth/api-keys",
	    "fault:5xx"), 1);
	assert_int_equal(txt_log_count(&c->tx, mark, "GET", "/auth/api-keys",
	    "ok"), 1);

	/* a dropped create is not retried, nor followed by a derive */
	faults(c, "{\"drop_next\":1}");
	mark = txt_log_lines(&c->tx);
	run(c, 9, NULL, "apikey create-or-derive --account main "
	    "--nonce 7");
	has(c, "127.0.0.1");
	assert_int_equal(txt_log_count(&c->tx, mark, "POST", "/auth/api-key",
	    NULL), 1);
	assert_int_equal(txt_log_count(&c->tx, mark, "GET",
	    "/auth/derive-api-key", NULL), 0);
	run(c, 0, NULL, "--json apikey create --account main "
	    "--nonce 8");
	json_decref(out_json(c));

	/*
	 * 429 on a GET: retried after Retry-After (exit 0, the log shows
	 * the 429 and then the answer).
	 */
	faults(c, "{\"rate_limit\":1}");
	mark = txt_log_lines(&c->tx);
	txt_req(&c->tx, "GET", "/time", NULL, NULL, &r);
	txr_free(&r);
	rc = ctl(c, NULL, "--json closed-only --account main");
	faults(c, "{\"rate_limit\":0}");
	assert_int_equal(txt_log_count(&c->tx, mark, "GET",
	    "/auth/ban-status/closed-only", "fault:429"), 1);
	/* a GET: retried after Retry-After */
	assert_int_equal(rc, 0);
	assert_int_equal(txt_log_count(&c->tx, mark, "GET",
	    "/auth/ban-status/closed-only", "ok"), 1);

	/*
	 * The exchange's clock five minutes ahead: the wallet signature is
	 * refused as stale, and the answer says whose clock is off.  (An L1
	 * call: netd retries an L2 401 on a key it has just stored.)
	 */
	faults(c, "{\"clock_offset\":300}");
	rc = ctl(c, NULL, "apikey derive --account main");
	faults(c, "{\"clock_offset\":0}");
	if (rc != 10)
		fail_msg("skewed clock: exit %d: %s", rc, c->out);
	has(c, "HTTP 401");
	if (strcasestr(c->out, "clock") == NULL)
		fail_msg("no word of the clock in: %s", c->out);
	run(c, 0, NULL, "audit verify");
	check_no_secrets(c);
}

/*
 * Transport failures: nobody listening, an untrusted certificate, a
 * public key pin that matches and one that does not.
 */
static void
test_transport(void **state)
{
	struct ct	*c = *state;
	char		 priv[160], want[320], *pem;
	size_t		 len;
	int		 i;

	run(c, 0, NULL, "account add closed --profile polymarket "
	    "--url http://127.0.0.1:1");
	run(c, 9, NULL, "time --account closed");
	has(c, "127.0.0.1");
	run(c, 9, NULL, "--json time --account closed");
	assert_int_equal(out_code(c), -54);

	/*
	 * No CA of its own: the system bundle, which netd's libcurl reads
	 * at the first such call and keeps, and which does not know the
	 * test CA (an unreadable bundle would say "error setting
	 * certificate file").  Twice, each time around a call of an
	 * account with its own CA: that one still verifies, and neither
	 * CA carries over to the other account's connection.
	 */
	run(c, 0, NULL, "account add noca --profile openfish "
	    "--url %s", c->url);
	for (i = 0; i < 2; i++) {
		run(c, 9, NULL, "--json time --account noca");
		has(c, "127.0.0.1");
		has(c, "SSL certificate problem: unable to get local issuer "
		    "certificate");
		assert_int_equal(out_code(c), CV_ERR_TRANSPORT);
		run(c, 0, NULL, "time --account main");
	}

	/* refused before the network: unknown account, locked vault */
	run(c, 8, NULL, "time --account nosuch");
	run(c, 0, NULL, "lock");
	run(c, 5, NULL, "apikey list --account main");
	run(c, 0, NULL, "unlock --passphrase-file %s", c->pass);

	/*
	 * vaultd keeps an account's record as signerd read it for the
	 * vault's generation: a change to it holds from the next call on.
	 */
	run(c, 0, NULL, "time --account main");
	run(c, 0, NULL, "account update main --url http://127.0.0.1:1 "
	    "--passphrase-file %s", c->pass);
	run(c, 9, NULL, "--json time --account main");
	has(c, "127.0.0.1:1");
	assert_int_equal(out_code(c), CV_ERR_TRANSPORT);
	run(c, 0, NULL, "account update main --url %s --passphrase-file %s",
	    c->url, c->pass);
	run(c, 0, NULL, "time --account main");
	run(c, 0, NULL, "time --account main");
	run(c, 0, NULL, "lock");
	run(c, 5, NULL, "time --account main");
	run(c, 0, NULL, "unlock --passphrase-file %s", c->pass);
	run(c, 0, NULL, "time --account main");

	/*
	 * A CA file its mode keeps from others: vaultd, root here, could
	 * read it, but reads only what anyone may (a CA bundle is public).
	 */
	snprintf(priv, sizeof(priv), "%s/private.pem", certdir);
	assert_non_null(pem = it_slurp(ca, &len));
	it_write(priv, pem, 0600);
	free(pem);
	run(c, 0, NULL, "account add private --profile openfish "
	    "--url %s --ca-file %s", c->url, priv);
	run(c, 1, NULL, "--json time --account private");
	assert_int_equal(out_code(c), CV_ERR_INVALID);
	snprintf(want, sizeof(want), "the CA file %s is not readable by "
	    "everyone: a CA bundle is public (chmod a+r it)", priv);
	has(c, want);
	assert_int_equal(chmod(priv, 0644), 0);
	run(c, 0, NULL, "time --account private");

	/* a public key pin that matches, and one that does not */
	run(c, 0, NULL, "account add pinned --profile openfish "
	    "--url %s --ca-file %s --pin %s", c->url, ca, pin);
	run(c, 0, NULL, "time --account pinned");
	run(c, 0, NULL, "account add badpin --profile openfish "
	    "--url %s --ca-file %s --pin "
	    "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", c->url, ca);
	run(c, 9, NULL, "time --account badpin");
}

/*
 * netd's request time-out (20 s, 3 retries on a GET) cannot be shortened
 * for a test, and waiting it out would double this program's run time.
 */
static void
test_timeout(void **state)
{
	struct ct	*c = *state;
	int		 mark;

	/* an exchange slower than the time-out: named, not retried */
	faults(c, "{\"latency_ms\":3500}");
	mark = txt_log_lines(&c->tx);
	run(c, 9, NULL, "time --account main");
	has(c, "within 2 s");
	has(c, c->url + strlen("http://"));
	faults(c, "{\"latency_ms\":0}");
	sleep(2);		/* the slow request finishes at the exchange */
	assert_int_equal(txt_log_count(&c->tx, mark, "GET", "/time", NULL), 1);
	run(c, 0, NULL, "time --account main");
}

/*
 * netd stopped (SIGSTOP) with a call to make: netd has no watchdog of
 * work (a call may wait on the exchange for 20 s a request), but it
 * answers status queries during a call, and the status query is its
 * watchdog: asked every 5 s and unanswered for 15 s, it is killed,
 * "no answer to the status query in 15 s", audited peer_stalled (key
 * id "status"), and restarted; the call is answered "netd stopped
 * during the call; whether the exchange acted is unknown" (exit 9),
 * well before its deadline (120 s), and the next call is made.
 */
static void
test_netd_stopped(void **state)
{
	struct ct	*c = *state;
	struct it_proc	 p[3], q[3];
	json_t		*doc, *rec;
	char		 out[160], *said;
	size_t		 len = 0;
	pid_t		 call;
	int		 st;

	run(c, 0, NULL, "time --account main");
	assert_int_equal(it_status(&c->it, p), 0);
	assert_int_equal(kill((pid_t)p[2].pid, SIGSTOP), 0);
	snprintf(out, sizeof(out), "%s.call", c->it.home);
	call = it_ctl_spawn(&c->it, out, "time --account main");
	assert_true(call > 0);
	if (it_wait_up(&c->it, q, 0, p[2].pid, 40000) < 0) {
		kill((pid_t)p[2].pid, SIGCONT);
		fail_msg("netd not restarted");
	}
	assert_int_equal(q[2].restarts, 1);
	assert_int_equal(q[1].restarts, 0);
	assert_string_equal(q[2].last_exit, "killed by vaultd: no answer to "
	    "the status query in 15 s");
	assert_int_equal(waitpid(call, &st, 0), call);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 9);
	assert_non_null(said = it_slurp(out, &len));
	if (strstr(said, "netd stopped during the call; whether the exchange "
	    "acted is unknown") == NULL)
		fail_msg("time said: %s", said);
	free(said);
	unlink(out);

	run(c, 0, NULL, "--json audit show --all --op peer_stalled");
	assert_non_null(doc = json_loads(c->out, 0, NULL));
	assert_true(json_is_array(doc));
	assert_int_equal(json_array_size(doc), 1);
	rec = json_array_get(doc, 0);
	assert_string_equal(jstr(rec, "actor"), "netd");
	assert_string_equal(jstr(rec, "op"), "peer_stalled");
	assert_string_equal(jstr(rec, "verdict"), "killed");
	assert_string_equal(jstr(rec, "key_id"), "status");
	json_decref(doc);
	run(c, 0, NULL, "time --account main");
	has(c, "time: ");
}

/* Usage errors (exit 2, no vaultd needed) and vaultd not running (3). */
static void
test_usage(void **state)
{
	static const char *const bad[] = {
		"apikey", "apikey create", "apikey create --account a --nonce x",
		"apikey create --account a --nonce -1",
		"apikey derive --account a --nonce 18446744073709551616",
		"apikey create --account a extra",
		"apikey delete --account a --nonce 1",
		"builder create --account a --builder-id 'a b'",
		"builder create --account a",
		"builder revoke --account a k1 k2",
		"balance --account a --asset-type FOO",
		"balance --account a --token-id 12",
		"balance --account a --asset-type CONDITIONAL",
		"balance --account a --asset-type CONDITIONAL --token-id x",
		"balance update --account a --signature-type 3",
		"notifications list --account a --id 1",
		"notifications drop --account a --id 1,2",
		"waitlist join --account a", "waitlist join nobody --account a",
		"waitlist --account a", "time", "time --account a --nonce 1",
		"closed-only --account a --bogus", "apikey list --local",
		"account add x --profile openfish --pin sha256//short",
		"account add x --profile openfish --url http://127.0.0.1:1 "
		    "--pin sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	struct ct	*c = &ct;
	size_t		 i;

	free(c->all);
	memset(c, 0, sizeof(*c));
	*state = c;
	it_init(&c->it);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ctl(c, NULL, "%s", bad[i]) != 2)
			fail_msg("%s: not a usage error: %s", bad[i], c->out);
	run(c, 2, NULL, "balance --account a --asset-type "
	    "COLLATERAL --token-id 1");
	has(c, "--token-id goes with --asset-type CONDITIONAL");
	run(c, 2, NULL, "--json apikey create --account a "
	    "--nonce x");
	assert_int_equal(out_code(c), -56);

	/* well-formed, but nobody to ask */
	run(c, 3, NULL, "apikey create --account a --nonce 3");
	run(c, 3, NULL, "notifications drop --account a --id 1 "
	    "--id 2");
	run(c, 3, NULL, "--json balance update --account a "
	    "--asset-type CONDITIONAL --token-id 5 --signature-type 2");
	assert_int_equal(out_code(c), -43);
	it_cleanup(&c->it);
	free(c->all);
	c->all = NULL;
}

/* The checkpoints in the audit log so far. */
static int
checkpoints(struct ct *c)
{
	char	 audit[128], *buf, *p;
	size_t	 len = 0;
	int	 n = 0;

	snprintf(audit, sizeof(audit), "%s/audit.log", c->it.home);
	assert_non_null(buf = it_slurp(audit, &len));
	for (p = buf; (p = strstr(p, "\tcheckpoint\t")) != NULL; p++)
		n++;
	free(buf);
	return n;
}

/*
 * A call that can change nothing is recorded with the signing records:
 * no checkpoint, no vault write of its own.  One that changes the vault
 * is a lifecycle event, checkpointed at once.
 */
static void
test_read_only_calls(void **state)
{
	struct ct	*c = *state;
	int		 n;

	run(c, 0, NULL, "apikey create --account main");
	it_sleep_ms(100);
	n = checkpoints(c);
	run(c, 0, NULL, "apikey list --account main");
	run(c, 0, NULL, "time --account main");
	run(c, 0, NULL, "balance --account main");
	it_sleep_ms(100);
	assert_int_equal(checkpoints(c), n);
	run(c, 0, NULL, "audit show --op call --tail 3");
	has(c, "\tcall.apikey.list\t");
	has(c, "\tcall.time\t");
	has(c, "\tcall.balance\t");
	run(c, 0, NULL, "apikey create --account main --nonce 1");
	it_sleep_ms(100);
	assert_true(checkpoints(c) > n);
	run(c, 0, NULL, "audit verify");
}

/*
 * A notification whose payload holds what a terminal would obey: an
 * escape sequence, a bell, DEL, a C1 CSI, a line separator, a bidi
 * override.  The text output shows each as '?' (a C0 control in a
 * JSON value it prints as its escape); --json keeps the text whole but
 * only in ASCII, as \u escapes, so no byte of it reaches a terminal
 * raw.
 */
#define HOSTILE_PAYLOAD	"x\\u001b]0;t\\u0007\\u007f\\u009b2J\\u2028\\u202ey"

static void
test_hostile_text(void **state)
{
	struct ct	*c = *state;
	char		 body[512];
	const char	*p;
	json_t		*doc, *res;

	run(c, 0, NULL, "apikey create --account main");
	snprintf(body, sizeof(body), "{\"address\":\"%s\",\"type\":1,"
	    "\"payload\":{\"tag\":\"" HOSTILE_PAYLOAD "\"}}", c->addr);
	admin(c, "notifications", body);
	run(c, 0, NULL, "--json notifications list --account main");
	has(c, "\"tag\": \"x\\u001B]0;t\\u0007\\u007F\\u009B2J\\u2028"
	    "\\u202Ey\"");
	for (p = c->out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 ? *p != '\n' :
		    (unsigned char)*p >= 0x7f)
			fail_msg("byte 0x%02x in %s", (unsigned char)*p, c->out);
	res = answer(c, &doc, "notifications.list", "main", 200);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(res, "notifications"), 0),
	    "payload"), "tag")), "x\x1b]0;t\x07\x7f\xc2\x9b" "2J"
	    "\xe2\x80\xa8\xe2\x80\xaey");
	json_decref(doc);
	run(c, 0, NULL, "notifications list --account main");
	has(c, "payload={\"tag\":\"x\\u001B]0;t\\u0007??2J??y\"}");
}

/*
 * Openfish: the API key rotated over HTTPS with the invitation code
 * spent; the invitation code is not sent again, the new key signs and
 * the old one is gone at the exchange.
 */
static void
test_rotate_openfish(void **state)
{
	struct ct	*c = *state;
	char		 a[64];
	json_t		*doc, *res;

	run(c, 0, NULL, "--json apikey create --account main");
	key_answer(c, "apikey.create", 1, a, sizeof(a));
	run(c, 0, NULL, "rotate apikey --account main --drain 0 --reason "
	    "openfish");
	has(c, "done: main now signs with API key ");
	has(c, "(nonce 1); key ");
	run(c, 0, NULL, "--json apikey list --account main");
	res = answer(c, &doc, "apikey.list", "main", 200);
	assert_int_equal(json_array_size(json_object_get(res, "apiKeys")), 1);
	assert_string_not_equal(json_string_value(json_array_get(
	    json_object_get(res, "apiKeys"), 0)), a);
	json_decref(doc);
	run(c, 0, NULL, "--json apikey list --local --account main");
	has(c, "\"nonce\": 1");
	run(c, 0, NULL, "rotate status");
	has(c, "no rotation in progress");
	check_no_secrets(c);
	run(c, 0, NULL, "audit show --op rotate");
	has(c, "\trotate.done\t");
	run(c, 0, NULL, "audit verify");
	has(c, "audit log verified: ");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test_setup_teardown(test_openfish, setup_openfish,
		    teardown),
		cmocka_unit_test_setup_teardown(test_polymarket,
		    setup_polymarket, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_keys,
		    setup_polymarket, teardown),
		cmocka_unit_test_setup_teardown(test_invites, setup_openfish,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rotate_openfish,
		    setup_openfish, teardown),
		cmocka_unit_test_setup_teardown(test_faults, setup_polymarket,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_only_calls,
		    setup_polymarket, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text,
		    setup_polymarket, teardown),
		cmocka_unit_test_setup_teardown(test_transport, setup_openfish,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout,
		    setup_polymarket_2s, teardown),
		cmocka_unit_test_setup_teardown(test_netd_stopped,
		    setup_polymarket, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
