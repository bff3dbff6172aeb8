/*
 * The vault end to end, through vaultctl and the real daemons: life
 * cycle, accounts and keys, every bad input (each with its exit code, the
 * file unchanged), no secret in any file, a tamper-evident audit log,
 * unattended unlock, and SIGKILL during writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/vault_crypto.h"
#include "common/vault_fmt.h"
#include "tests/it.h"
#include "tests/it_mem.h"

/* The wallet key of the published vectors (tests/vectors/clob_auth.json). */
#define WALLET_KEY	"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define WALLET_ADDR	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define API_SECRET	"c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY="
#define API_PASS	"pass-phrase-for-the-api-key-0001"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define INVITE		"INVITE-CODE-7f3a9c"
#define PASSPHRASE	"correct horse battery staple"

struct vt {
	struct it	it;
	char		pass[128], vault[128], audit[128];
	char		out[16384];
};

static int
setup(void **state)
{
	static struct vt	v;

	it_init(&v.it);
	snprintf(v.pass, sizeof(v.pass), "%s/../%s.pass", v.it.home,
	    strrchr(v.it.home, '/') + 1);
	snprintf(v.vault, sizeof(v.vault), "%s/vault", v.it.home);
	snprintf(v.audit, sizeof(v.audit), "%s/audit.log", v.it.home);
	it_write(v.pass, PASSPHRASE "\n", 0600);
	*state = &v;
	if (it_start_args(&v.it, "-T", NULL, NULL) != 0)
		return -1;
	return it_ctl(&v.it, NULL, v.out, sizeof(v.out),
	    "init --passphrase-file %s --kdf min", v.pass);
}

static int
teardown(void **state)
{
	struct vt	*v = *state;

	it_cleanup(&v->it);
	unlink(v->pass);
	return 0;
}

#define CTL(v, in, ...)	it_ctl(&(v)->it, in, (v)->out, sizeof((v)->out), \
			    __VA_ARGS__)

static void
assert_out(struct vt *v, const char *want)
{
	if (strstr(v->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", v->out, want);
}

/* Compare a file with the bytes it had. */
static void
assert_same(const char *path, const char *old, size_t oldlen)
{
	size_t	 len = 0;
	char	*now = it_slurp(path, &len);

	assert_non_null(now);
	assert_int_equal(len, oldlen);
	assert_memory_equal(now, old, len);
	free(now);
}

static void
test_lifecycle(void **state)
{
	struct vt	*v = *state;
	struct stat	 st;
	char		 wrong[160], *before;
	size_t		 len = 0;

	assert_int_equal(stat(v->vault, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(CTL(v, NULL, "status"), 0);
	assert_out(v, "vault unlocked");

	/* a second init changes nothing */
	before = it_slurp(v->vault, &len);
	assert_int_equal(CTL(v, NULL, "init --passphrase-file %s --kdf min",
	    v->pass), 1);
	assert_out(v, "vaultctl: init: a vault already exists in "
	    "CLOBVAULT_HOME");
	assert_same(v->vault, before, len);

	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_out(v, "the vault was already unlocked");
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_out(v, "vault locked");
	assert_int_equal(CTL(v, NULL, "account list"), 5);
	assert_out(v, "vaultctl: account list: the vault is locked: unlock "
	    "it with vaultctl unlock");

	/* wrong passphrase: exit 6, file untouched, then slowed down */
	snprintf(wrong, sizeof(wrong), "%s.wrong", v->pass);
	it_write(wrong, "not the passphrase\n", 0600);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", wrong), 6);
	assert_out(v, "vaultctl: unlock: wrong passphrase or keyfile");
	assert_same(v->vault, before, len);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    4);
	assert_out(v, "too many wrong passphrases; try again in 1 s");
	assert_same(v->vault, before, len);
	it_sleep_ms(1100);
	/* (a successful unlock is followed by a checkpoint: the anchor moves) */
	assert_int_equal(CTL(v, NULL, "--json unlock --passphrase-file %s",
	    v->pass), 0);
	assert_out(v, "\"result\": \"unlocked\"");

	/* a passphrase file others can read is refused before use */
	chmod(wrong, 0644);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s", wrong, v->pass), 1);
	assert_out(v, "can be read by other users (mode 644); fix it with: "
	    "chmod 600");
	unlink(wrong);
	free(before);
}

static void
test_records(void **state)
{
	struct vt	*v = *state;
	json_t		*j;
	json_error_t	 err;
	static const struct {
		const char	*code, *shown;
	} shortcodes[] = {
		{ "Z\n", " 0  ***** (1 character)\n" },
		{ "ZQ\n", " 0  ***** (2 characters)\n" },
		{ "ZQXJ7K3\n", " 0  ***** (7 characters)\n" },
		{ "ZQXJ7K3W\n", " 0  Z**** (8 characters)\n" },
	};
	size_t		 i;
	char		 addr[64], code[64];

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish "
	    "--url http://127.0.0.1:1"), 0);
	assert_out(v, "added account: main");
	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    1);
	assert_out(v, "account add: already exists");
	assert_int_equal(CTL(v, NULL, "account add x --profile bitfinex"), 2);
	assert_int_equal(CTL(v, NULL, "account add x --profile polymarket "
	    "--url http://example.com"), 1);
	assert_out(v, "the URL must be https:// (plain http only to "
	    "127.0.0.1 or localhost)");
	assert_int_equal(CTL(v, NULL, "account add 'bad name' --profile "
	    "polymarket"), 1);

	/* generate: an EIP-55 address, the same one on asking again */
	assert_int_equal(CTL(v, NULL, "--json wallet generate --account main"),
	    0);
	j = json_loads(v->out, 0, &err);
	assert_non_null(j);
	snprintf(addr, sizeof(addr), "%s",
	    json_string_value(json_object_get(j, "info")));
	json_decref(j);
	assert_int_equal(strlen(addr), 42);
	assert_int_equal(strncmp(addr, "0x", 2), 0);
	assert_int_equal(CTL(v, NULL, "wallet address --account main"), 0);
	assert_out(v, addr);
	assert_int_equal(CTL(v, NULL, "wallet generate --account main"), 1);
	assert_out(v, "already exists");

	/* import the published key: its published address */
	assert_int_equal(CTL(v, NULL, "account add vec --profile polymarket"),
	    0);
	assert_int_equal(CTL(v, "0x12345\n", "wallet import --account vec"),
	    1);
	assert_out(v, "the key must be 64 hex digits (0x optional)");
	assert_int_equal(CTL(v, WALLET_KEY "\n", "wallet import --account "
	    "nosuch"), 8);
	assert_int_equal(CTL(v, WALLET_KEY "\n", "wallet import --account vec"),
	    0);
	assert_out(v, "wallet address: " WALLET_ADDR);
	assert_int_equal(CTL(v, "0000000000000000000000000000000000000000000"
	    "000000000000000000000", "wallet import --account main"), 1);

	/* API credentials: id and fingerprint shown, never the secret */
	assert_int_equal(CTL(v, "{\"apiKey\":\"" API_KEY "\",\"secret\":\""
	    API_SECRET "\",\"passphrase\":\"" API_PASS "\"}", "apikey import "
	    "--account vec --nonce 3"), 0);
	assert_out(v, "stored key, fingerprint: ");
	assert_int_equal(CTL(v, "{\"apiKey\":\"other\",\"secret\":\"%%%\","
	    "\"passphrase\":\"p\"}", "apikey import --account vec"), 1);
	assert_int_equal(CTL(v, "not json", "apikey import --account vec"), 2);
	assert_out(v, "expected JSON {\"apiKey\", \"secret\", \"passphrase\"}");
	assert_int_equal(CTL(v, "{\"apiKey\":\"k2\",\"secret\":\"" API_SECRET
	    "\",\"passphrase\":\"x\"}", "apikey import --account vec "
	    "--nonce 3"), 1);
	assert_out(v, "already exists");
	assert_int_equal(CTL(v, NULL, "apikey list --local --account vec"), 0);
	assert_out(v, API_KEY);
	assert_true(strstr(v->out, API_SECRET) == NULL);
	assert_true(strstr(v->out, API_PASS) == NULL);
	assert_int_equal(CTL(v, NULL, "apikey list --local --account nosuch"), 8);

	/* invitation code: stored, shown masked, cleared */
	assert_int_equal(CTL(v, INVITE "\n", "invite set --account main"), 0);
	assert_out(v, "invitation code stored: I**** (18 characters)");
	assert_int_equal(CTL(v, NULL, "invite show --account main"), 0);
	assert_out(v, "I**** (18 characters)");
	assert_true(strstr(v->out, INVITE) == NULL);
	assert_int_equal(CTL(v, NULL, "invite clear --account main "
	    "--passphrase-file %s", v->pass), 0);
	assert_int_equal(CTL(v, NULL, "invite clear --account main "
	    "--passphrase-file %s", v->pass), 8);
	/*
	 * A short code shows only its length: the first of one character
	 * was all of it.  From eight characters on the first shows.
	 */
	for (i = 0; i < sizeof(shortcodes) / sizeof(shortcodes[0]); i++) {
		assert_int_equal(CTL(v, shortcodes[i].code,
		    "invite set --account main"), 0);
		/* shown is the listing's: " 0  " (the nonce) and the mask */
		snprintf(code, sizeof(code), "invitation code stored: %s",
		    shortcodes[i].shown + 4);
		assert_string_equal(v->out, code);
		assert_int_equal(CTL(v, NULL, "invite show --account main"),
		    0);
		snprintf(code, sizeof(code), "%.*s",
		    (int)strcspn(shortcodes[i].code, "\n"),
		    shortcodes[i].code);
		assert_null(strstr(v->out, code));
		assert_true(strlen(v->out) > strlen(shortcodes[i].shown));
		assert_string_equal(v->out + strlen(v->out) -
		    strlen(shortcodes[i].shown), shortcodes[i].shown);
		assert_int_equal(CTL(v, NULL, "invite clear --account main "
		    "--passphrase-file %s", v->pass), 0);
	}

	/* an account holding keys goes only with --force, and says so */
	assert_int_equal(CTL(v, NULL, "account remove vec"), 1);
	assert_out(v, "would be destroyed");
	assert_out(v, "add --force to destroy them with it");
	assert_int_equal(CTL(v, NULL, "apikey list --local --account vec"), 0);
	/* removing an account removes what it held */
	assert_int_equal(CTL(v, NULL, "account remove vec --force "
	    "--passphrase-file %s", v->pass), 0);
	assert_out(v, "are destroyed");
	assert_int_equal(CTL(v, NULL, "apikey list --local --account vec"), 8);
	assert_int_equal(CTL(v, NULL, "account remove vec"), 8);
}

/* No known secret, in any encoding, in the vault, audit log or log. */
static void
test_no_secrets_in_files(void **state)
{
	static const char	*secrets[] = {
		WALLET_KEY + 2,		/* hex */
		"rAl0vsOaF+NrpKa00jj/lEus",	/* base64 of its first bytes */
		"rAl0vsOaF-NrpKa00jj_lEus",	/* base64url */
		API_SECRET, "c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY",
		"secret-key-32-bytes-123456", API_PASS, INVITE, PASSPHRASE,
	};
	struct vt	*v = *state;
	const char	*files[3];
	char		*buf;
	size_t		 len = 0, i, k;

	test_records(state);
	assert_int_equal(CTL(v, WALLET_KEY, "wallet import --account main"), 1);
	assert_int_equal(CTL(v, NULL, "account add v2 --profile polymarket"),
	    0);
	assert_int_equal(CTL(v, WALLET_KEY, "wallet import --account v2"), 0);
	assert_int_equal(CTL(v, "{\"apiKey\":\"" API_KEY "\",\"secret\":\""
	    API_SECRET "\",\"passphrase\":\"" API_PASS "\"}", "apikey import "
	    "--account v2"), 0);
	assert_int_equal(CTL(v, INVITE, "invite set --account v2"), 0);
	files[0] = v->vault;
	files[1] = v->audit;
	files[2] = v->it.log;
	for (k = 0; k < 3; k++) {
		buf = it_slurp(files[k], &len);
		assert_non_null(buf);
		for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			if (memmem(buf, len, secrets[i], strlen(secrets[i])))
				fail_msg("%s holds %s", files[k], secrets[i]);
		free(buf);
	}
}

/* A flipped byte anywhere: exit 7, and the file keeps its bytes. */
static void
test_tampered_vault(void **state)
{
	struct vt	*v = *state;
	char		*orig, *bad, want[256], msg[1024];
	size_t		 len = 0, off;
	FILE		*f;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, NULL, "wallet generate --account main"), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	orig = it_slurp(v->vault, &len);
	assert_non_null(orig);
	bad = malloc(len);
	snprintf(want, sizeof(want), "vaultctl: unlock: the vault file %s ",
	    v->vault);
	for (off = 0; off < len; off += off < 200 ? 7 : 29) {
		memcpy(bad, orig, len);
		bad[off] ^= 0x40;
		f = fopen(v->vault, "w");
		fwrite(bad, 1, len, f);
		fclose(f);
		if (CTL(v, NULL, "unlock --passphrase-file %s", v->pass) != 7)
			fail_msg("flip at %zu: %s", off, v->out);
		/* which file, what, and what to do */
		if (strncmp(v->out, want, strlen(want)) != 0 ||
		    strstr(v->out, ": put back a good copy of it; the file "
		    "is left as it is\n") == NULL)
			fail_msg("flip at %zu: %s", off, v->out);
		assert_same(v->vault, bad, len);
	}
	/* the header's checksum, and the MAC at the end */
	memcpy(bad, orig, len);
	bad[40] ^= 0x40;
	f = fopen(v->vault, "w");
	fwrite(bad, 1, len, f);
	fclose(f);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sis damaged (data is corrupt, %zu bytes): "
	    "put back a good copy of it; the file is left as it is\n", want,
	    len);
	assert_string_equal(v->out, msg);
	memcpy(bad, orig, len);
	bad[len - 1] ^= 0x40;
	f = fopen(v->vault, "w");
	fwrite(bad, 1, len, f);
	fclose(f);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sfailed authentication (data failed "
	    "authentication (tampered or corrupt)): put back a good copy of "
	    "it; the file is left as it is\n", want);
	assert_string_equal(v->out, msg);
	/* truncated, empty, an unknown format version, too large */
	f = fopen(v->vault, "w");
	fwrite(orig, 1, len / 2, f);
	fclose(f);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sis damaged (data is corrupt, %zu bytes): "
	    "put back a good copy of it; the file is left as it is\n", want,
	    len / 2);
	assert_string_equal(v->out, msg);
	assert_same(v->vault, orig, len / 2);
	f = fopen(v->vault, "w");
	fclose(f);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sis damaged (data is corrupt, 0 bytes): "
	    "put back a good copy of it; the file is left as it is\n", want);
	assert_string_equal(v->out, msg);
	memcpy(bad, orig, len);
	bad[9] = 9;
	f = fopen(v->vault, "w");
	fwrite(bad, 1, len, f);
	fclose(f);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sis of format version 9, and this vaultd "
	    "reads version 1 (unknown file format version): run the clobvault "
	    "that wrote it; the file is left as it is\n", want);
	assert_string_equal(v->out, msg);
	f = fopen(v->vault, "w");
	fwrite(orig, 1, len, f);
	fclose(f);
	assert_int_equal(truncate(v->vault, 5 * 1024 * 1024), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    7);
	snprintf(msg, sizeof(msg), "%sis larger than a vault can be (5242880 "
	    "bytes, at most 4194304): put back a good copy of it; the file is "
	    "left as it is\n", want);
	assert_string_equal(v->out, msg);

	/* readable by others: refused, with the fix */
	f = fopen(v->vault, "w");
	fwrite(orig, 1, len, f);
	fclose(f);
	chmod(v->vault, 0644);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    1);
	assert_out(v, "(fix it with: chmod 600 on the vault file)");
	chmod(v->vault, 0600);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "wallet address --account main"), 0);
	free(orig);
	free(bad);
}

static void
test_passwd(void **state)
{
	struct vt	*v = *state;
	char		 newp[160];

	snprintf(newp, sizeof(newp), "%s.new", v->pass);
	it_write(newp, "a new and longer passphrase\n", 0600);
	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf min", newp, newp), 6);
	/* a wrong old passphrase is slowed down as an unlock's is */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf min", v->pass, newp), 4);
	assert_out(v, "too many wrong passphrases; try again in 1 s");
	it_sleep_ms(1100);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf min", v->pass, newp), 0);
	assert_out(v, "passphrase changed; records untouched");
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    6);
	it_sleep_ms(2100);	/* the second wrong credential: 2 s */
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", newp), 0);
	assert_int_equal(CTL(v, NULL, "account list"), 0);
	assert_out(v, "\nmain ");	/* account list: its row */
	unlink(newp);
}

/* The Argon2id cost in the vault file's header. */
static void
hdr_cost(struct vt *v, uint64_t *ops, uint64_t *mem)
{
	struct vault	 h;
	uint8_t		*buf = NULL;
	size_t		 len;

	memset(&h, 0, sizeof(h));
	assert_int_equal(vault_fmt_read(v->vault, &buf, &len), 0);
	assert_int_equal(vault_fmt_parse(buf, len, &h), 0);
	*ops = h.hdr.opslimit;
	*mem = h.hdr.memlimit;
	vault_free(&h);
	free(buf);
}

/* The vault's bytes once vaultd has checkpointed what it last did. */
static char *
settled(struct vt *v, size_t *len)
{
	char	*a, *b;
	size_t	 alen = 0;
	int	 i;

	b = it_slurp(v->vault, len);
	for (i = 0; i < 100; i++) {
		it_sleep_ms(50);
		a = b;
		alen = *len;
		b = it_slurp(v->vault, len);
		if (a != NULL && b != NULL && alen == *len &&
		    memcmp(a, b, alen) == 0) {
			free(a);
			break;
		}
		free(a);
	}
	assert_non_null(b);
	return b;
}

/*
 * passwd keeps the vault's Argon2id cost unless --kdf is given, says so
 * in the audit log, and refuses the old credential as the new one.
 */
static void
test_passwd_kdf(void **state)
{
	struct vt	*v = *state;
	char		 newp[160], key[160], *before;
	uint64_t	 ops, mem, o, m;
	size_t		 len = 0;

	snprintf(newp, sizeof(newp), "%s.new", v->pass);
	snprintf(key, sizeof(key), "%s.key", v->pass);
	it_write(newp, "a new and longer passphrase\n", 0600);
	unlink(key);
	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, &o, &m), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);

	/* no --kdf: the cost of init --kdf min stays, not moderate */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s", v->pass, newp), 0);
	assert_string_equal(v->out, "passphrase changed; records untouched\n");
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);
	assert_int_equal(CTL(v, NULL, "audit show --op passwd"), 0);
	assert_out(v, "kdf-kept");

	/* the same passphrase: refused before vaultd, the file as it was */
	before = settled(v, &len);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s", newp, newp), 2);
	assert_string_equal(v->out, "vaultctl: passwd: the new passphrase is "
	    "the old one: nothing changed\n");
	assert_int_equal(CTL(v, NULL, "--json passwd --passphrase-file %s "
	    "--new-passphrase-file %s", newp, newp), 2);
	assert_out(v, "\"detail\": \"the new passphrase is the old one: "
	    "nothing changed\"");
	assert_out(v, "\"exit\": 2");
	assert_same(v->vault, before, len);
	free(before);

	/* --kdf: the new cost */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf interactive", newp, v->pass), 0);
	assert_int_equal(vault_kdf_params(VAULT_KDF_INTERACTIVE, &o, &m), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);
	assert_int_equal(CTL(v, NULL, "audit show --op passwd"), 0);
	assert_out(v, "kdf-changed");

	/* the same passphrase with --kdf: only the cost changes */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf min", v->pass, v->pass), 0);
	assert_string_equal(v->out, "passphrase kept, its Argon2id cost set; "
	    "records untouched\n");
	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, &o, &m), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);

	/* a keyfile: no Argon2id; the same keyfile again is refused */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-keyfile %s", v->pass, key), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == 0 && mem == 0);
	before = settled(v, &len);
	assert_int_equal(CTL(v, NULL, "passwd --keyfile %s --new-keyfile %s "
	    "--kdf min", key, key), 2);
	assert_string_equal(v->out, "vaultctl: passwd: the new keyfile is "
	    "the old one: nothing changed\n");
	assert_same(v->vault, before, len);
	free(before);

	/* the vault still opens with it, its records whole */
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --keyfile %s", key), 0);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	unlink(newp);
	unlink(key);
}

/*
 * The settled vault's Argon2id cost fields set to ops and mem on disk,
 * its checksum made again (it is unkeyed); the bytes written.
 */
static char *
tamper_cost(struct vt *v, size_t *len, uint64_t ops, uint64_t mem)
{
	char	*orig;
	uint8_t	*b;
	int	 i;
	FILE	*f;

	orig = settled(v, len);
	b = (uint8_t *)orig;
	for (i = 0; i < 8; i++) {
		b[28 + i] = (uint8_t)(ops >> (56 - 8 * i));
		b[36 + i] = (uint8_t)(mem >> (56 - 8 * i));
	}
	crypto_generichash(b + 184, 16, b, 184, NULL, 0);
	f = fopen(v->vault, "w");
	fwrite(orig, 1, *len, f);
	fclose(f);
	return orig;
}

/*
 * passwd and rekey keep the cost of the vault signerd unlocked, not one
 * written into the file on disk since: a header edited to the lowest
 * cost (its checksum is unkeyed) would have had the new passphrase
 * wrapped at it, cheap to guess once the file is copied, and the edit
 * overwritten; rekey refused the change and took signerd down.
 */
static void
test_passwd_cost_tampered(void **state)
{
	struct vt	*v = *state;
	char		 newp[160], *orig;
	uint64_t	 ops, mem, o, m, lo, lm;
	size_t		 len = 0;

	snprintf(newp, sizeof(newp), "%s.new", v->pass);
	it_write(newp, "a new and longer passphrase\n", 0600);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s --kdf interactive", v->pass, v->pass),
	    0);
	assert_int_equal(vault_kdf_params(VAULT_KDF_INTERACTIVE, &o, &m), 0);
	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, &lo, &lm), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);

	orig = tamper_cost(v, &len, lo, lm);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == lo && mem == lm);

	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-passphrase-file %s", v->pass, newp), 0);
	assert_string_equal(v->out, "passphrase changed; records untouched\n");
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);
	assert_int_equal(CTL(v, NULL, "audit show --op passwd"), 0);
	assert_out(v, "kdf-kept");
	free(orig);

	/* rekey keeps that cost too, and is not refused for the edit */
	orig = tamper_cost(v, &len, lo, lm);
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", newp), 0);
	hdr_cost(v, &ops, &mem);
	assert_true(ops == o && mem == m);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", newp), 0);
	free(orig);
	unlink(newp);
}

/*
 * The vault file gone while the vault is unlocked: signerd holds the
 * vault, and init is refused rather than sent to a signerd that holds
 * one (which stopped it, and with it the only copy).  A change writes
 * the file back.
 */
static void
test_init_file_gone(void **state)
{
	struct vt	*v = *state;
	struct stat	 st;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	free(settled(v, &(size_t){ 0 }));
	assert_int_equal(unlink(v->vault), 0);
	assert_int_equal(CTL(v, NULL, "init --passphrase-file %s --kdf min",
	    v->pass), 1);
	assert_string_equal(v->out, "vaultctl: init: the vault is unlocked, "
	    "and its file is gone from CLOBVAULT_HOME: vaultctl rekey writes "
	    "it back; nothing changed\n");
	assert_int_equal(stat(v->vault, &st), -1);
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(stat(v->vault, &st), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "account list"), 0);
	assert_out(v, "\nmain ");
}

/*
 * A credential of the other kind than the vault's: refused saying which
 * kind it takes, before anything is derived, and not counted as a wrong
 * guess.  It was a bare "invalid argument" from signerd for unlock, and
 * "wrong passphrase or keyfile", with a wait after it, for rekey.
 */
static void
test_unlock_wrong_kind(void **state)
{
	struct vt	*v = *state;
	char		 key[160];

	snprintf(key, sizeof(key), "%s.key", v->pass);
	unlink(key);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-keyfile %s", v->pass, key), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    6);
	assert_string_equal(v->out, "vaultctl: unlock: the vault is unlocked "
	    "by a keyfile, not a passphrase: give it with --keyfile FILE\n");
	assert_int_equal(CTL(v, NULL, "unlock --keyfile %s", key), 0);
	/* rekey the same, and the right one at once after */
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    6);
	assert_string_equal(v->out, "vaultctl: rekey: the vault is unlocked "
	    "by a keyfile, not a passphrase: give it with --keyfile FILE\n");
	assert_int_equal(CTL(v, NULL, "rekey --keyfile %s", key), 0);
	assert_int_equal(CTL(v, NULL, "passwd --keyfile %s "
	    "--new-passphrase-file %s --kdf min", key, v->pass), 0);
	assert_int_equal(CTL(v, NULL, "rekey --keyfile %s", key), 6);
	assert_string_equal(v->out, "vaultctl: rekey: the vault is unlocked "
	    "by a passphrase, not a keyfile: give it with --passphrase-file "
	    "FILE or at the prompt\n");
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --keyfile %s", key), 6);
	assert_string_equal(v->out, "vaultctl: unlock: the vault is unlocked "
	    "by a passphrase, not a keyfile: give it with --passphrase-file "
	    "FILE or at the prompt\n");
	/* no wait: nothing was guessed */
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	unlink(key);
}

/*
 * A keyfile vaultctl makes for a change vaultd refuses opens nothing: it
 * is removed, with no advice to keep it.  A keyfile the user had stays.
 */
static void
test_keyfile_refused(void **state)
{
	struct vt	*v = *state;
	struct stat	 st;
	char		 key[160], key2[160], mine[160], *before;
	size_t		 len = 0;

	snprintf(key, sizeof(key), "%s.key", v->pass);
	snprintf(key2, sizeof(key2), "%s.key2", v->pass);
	unlink(key2);
	snprintf(mine, sizeof(mine), "%s.mine", v->pass);
	unlink(key);

	/* init over a vault: refused, the new keyfile gone */
	assert_int_equal(CTL(v, NULL, "init --keyfile %s", key), 1);
	assert_string_equal(v->out, "vaultctl: init: a vault already exists "
	    "in CLOBVAULT_HOME\n");
	assert_int_equal(stat(key, &st), -1);
	assert_int_equal(errno, ENOENT);

	/* the user's own keyfile is left as it was */
	it_write(mine, "00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\n", 0600);
	before = it_slurp(mine, &len);
	assert_int_equal(CTL(v, NULL, "init --keyfile %s", mine), 1);
	assert_same(mine, before, len);
	free(before);

	/* taken: kept, with the advice */
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-keyfile %s", v->pass, key), 0);
	assert_out(v, "wrote a new keyfile");
	assert_out(v, "keep a copy offline");
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --keyfile %s", key), 0);

	/*
	 * A passphrase for the keyfile's vault: refused saying so, and
	 * which option to use; the vault as it was.  It used to be a bare
	 * "invalid argument" from signerd.
	 */
	before = settled(v, &len);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-keyfile %s", v->pass, key2), 6);
	assert_string_equal(v->out, "vaultctl: passwd: the vault is unlocked "
	    "by a keyfile, not a passphrase: give the current one with "
	    "--keyfile FILE (the new one with --new-keyfile FILE or "
	    "--new-passphrase-file FILE)\n");
	assert_int_equal(stat(key2, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_same(v->vault, before, len);
	free(before);

	/* passwd with the wrong keyfile: the same */
	assert_int_equal(CTL(v, NULL, "passwd --keyfile %s --new-keyfile %s",
	    mine, key2), 6);
	assert_string_equal(v->out, "vaultctl: passwd: wrong passphrase or "
	    "keyfile\n");
	assert_int_equal(stat(key2, &st), -1);
	assert_int_equal(errno, ENOENT);

	unlink(key);
	unlink(mine);
}

/* Rewrite the audit log with one change made by edit(). */
static void
audit_edit(struct vt *v, const char *orig, size_t len,
    size_t (*edit)(char *, size_t))
{
	char	*buf = malloc(len + 1);
	size_t	 n;
	FILE	*f;

	memcpy(buf, orig, len);
	n = edit(buf, len);
	f = fopen(v->audit, "w");
	fwrite(buf, 1, n, f);
	fclose(f);
	free(buf);
}

/* The start of line k (1-based) of buf. */
static char *
line_at(char *buf, size_t k)
{
	while (--k > 0)
		buf = strchr(buf, '\n') + 1;
	return buf;
}

static size_t
edit_field(char *b, size_t len)
{
	/* line 2, an event (line 3 is a checkpoint: its signature fails) */
	char *l = line_at(b, 2), *tab = strchr(l, '\t');

	tab = strchr(tab + 1, '\t');	/* the actor field */
	tab[1] = tab[1] == 'v' ? 'w' : 'v';
	return len;
}

static size_t
delete_line(char *b, size_t len)
{
	char *l = line_at(b, 2), *next = strchr(l, '\n') + 1;

	memmove(l, next, len - (size_t)(next - b));
	return len - (size_t)(next - l);
}

static size_t
swap_lines(char *b, size_t len)
{
	char	*l2 = line_at(b, 2), *l3 = strchr(l2, '\n') + 1;
	char	*l4 = strchr(l3, '\n') + 1, tmp[4096];
	size_t	 a = (size_t)(l3 - l2), c = (size_t)(l4 - l3);

	memcpy(tmp, l2, a);
	memmove(l2, l3, c);
	memcpy(l2 + c, tmp, a);
	return len;
}

static size_t
truncate_half(char *b, size_t len)
{
	return (size_t)(line_at(b, 3) - b);
}

static void
test_audit(void **state)
{
	struct vt	*v = *state;
	char		*orig;
	size_t		 len = 0;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, NULL, "wallet generate --account main"), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "audit show --tail 3"), 0);
	assert_out(v, "\tcheckpoint\t");
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	assert_out(v, "audit log verified: ");

	orig = it_slurp(v->audit, &len);
	assert_non_null(orig);
	assert_non_null(strstr(orig, "\tinit\t"));
	assert_non_null(strstr(orig, "\taccount_add\t"));
	assert_non_null(strstr(orig, "\twallet_generate\t"));
	assert_non_null(strstr(orig, "\tlock\t"));
	assert_non_null(strstr(orig, "\tunlock\t"));

	audit_edit(v, orig, len, edit_field);
	assert_int_equal(CTL(v, NULL, "audit verify"), 7);
	assert_out(v, "audit log FAILED verification");
	audit_edit(v, orig, len, delete_line);
	assert_int_equal(CTL(v, NULL, "audit verify"), 7);
	audit_edit(v, orig, len, swap_lines);
	assert_int_equal(CTL(v, NULL, "audit verify"), 7);
	audit_edit(v, orig, len, truncate_half);
	assert_int_equal(CTL(v, NULL, "audit verify"), 7);
	assert_out(v, "line");
	/* restored, it verifies again */
	{
		FILE *f = fopen(v->audit, "w");

		fwrite(orig, 1, len, f);
		fclose(f);
	}
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	free(orig);
}

/* -p: vaultd unlocks by itself, and again after signerd is killed. */
static void
test_unattended(void **state)
{
	struct vt	*v = *state;
	struct it_proc	 p[3], q[3];
	int64_t		 start;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(it_stop(&v->it, 3000), 0);
	assert_int_equal(it_start_args(&v->it, "-T", "-p", v->pass), 0);
	for (start = it_ms(); it_ms() - start < 3000; it_sleep_ms(20))
		if (CTL(v, NULL, "status") == 0 &&
		    strstr(v->out, "vault unlocked") != NULL)
			break;
	assert_out(v, "vault unlocked");
	assert_int_equal(it_status(&v->it, p), 0);
	kill((pid_t)p[1].pid, SIGKILL);
	assert_true(it_wait_up(&v->it, q, p[1].pid, 0, 3000) >= 0);
	for (start = it_ms(); it_ms() - start < 3000; it_sleep_ms(20))
		if (CTL(v, NULL, "account list") == 0)
			break;
	assert_out(v, "\nmain ");	/* account list: its row */
}

/*
 * An unattended unlock that finds the vault tampered with, damaged or of
 * a format this vaultd does not read stops the start with exit 7, as a
 * vault put back to an older copy does (vaultd(8), EXIT STATUS), so that
 * the packaged unit (RestartPreventExitStatus=2 6 7) does not start it
 * again every 5 s.  It exited 1, as for a file it could not read.
 */
static void
test_unattended_tampered(void **state)
{
	struct vt	*v = *state;
	char		*orig, *bad, cmd[512];
	size_t		 len = 0, i;
	int64_t		 start;
	FILE		*f;
	static const struct {
		int		 off;	/* from the end if negative */
		int		 byte;	/* XOR 0x40 if -1 */
		const char	*why;
	} flips[] = {
		{ -1, -1, "failed authentication" },	/* the MAC */
		{ 40, -1, "is damaged" },		/* the header */
		{ 9, 9, "is of format version 9" },
	};

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(it_stop(&v->it, 3000), 0);
	orig = it_slurp(v->vault, &len);
	assert_non_null(orig);
	assert_non_null(bad = malloc(len));
	snprintf(cmd, sizeof(cmd), "%s/vaultd -f -T -p %s 2>&1", v->it.build,
	    v->pass);
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		size_t	off = flips[i].off < 0 ? len - 1 : (size_t)flips[i].off;

		memcpy(bad, orig, len);
		bad[off] = flips[i].byte < 0 ? bad[off] ^ 0x40 :
		    (char)flips[i].byte;
		assert_non_null(f = fopen(v->vault, "w"));
		assert_int_equal(fwrite(bad, 1, len, f), len);
		fclose(f);
		assert_int_equal(it_run(v->out, sizeof(v->out), cmd), 7);
		assert_out(v, "cannot unlock the vault: the vault file ");
		assert_out(v, flips[i].why);
		assert_out(v, "; vaultd stops (with -L it would start "
		    "locked)\n");
	}
	/* the good file back: it unlocks at start */
	assert_non_null(f = fopen(v->vault, "w"));
	assert_int_equal(fwrite(orig, 1, len, f), len);
	fclose(f);
	assert_int_equal(it_start_args(&v->it, "-T", "-p", v->pass), 0);
	for (start = it_ms(); it_ms() - start < 3000; it_sleep_ms(20))
		if (CTL(v, NULL, "status") == 0 &&
		    strstr(v->out, "vault unlocked") != NULL)
			break;
	assert_out(v, "vault unlocked");
	free(orig);
	free(bad);
}

/*
 * A daemon's start that fails says why on the terminal it was started
 * from, as its parent hears it: a path there with a terminal's escape in
 * it shows '?' for the escape.  It used to reach the terminal as it was.
 */
static void
test_start_error_clean(void **state)
{
	struct vt	*v = *state;
	char		 key[256], cmd[768], want[512];

	assert_int_equal(it_stop(&v->it, 3000), 0);
	snprintf(key, sizeof(key), "%s.key\033[2JX", v->it.home);
	it_write(key, "short", 0600);
	snprintf(cmd, sizeof(cmd), "%s/vaultd -T -k '%s' -l %s.daemon.log "
	    "2>&1", v->it.build, key, v->it.home);
	assert_int_equal(it_run(v->out, sizeof(v->out), cmd), 6);
	snprintf(want, sizeof(want), "vaultd: cannot unlock the vault: "
	    "%s.key?[2JX is not a keyfile: malformed encoding; vaultd stops "
	    "(with -L it would start locked)\n", v->it.home);
	assert_string_equal(v->out, want);
	unlink(key);
	assert_int_equal(it_start_args(&v->it, "-T", NULL, NULL), 0);
}

/*
 * SIGKILL vaultd at random moments during 300 writes (60 runs of five):
 * the vault always opens, with the old or the new content, and the audit
 * log resumes and verifies.
 */
static void
test_crash(void **state)
{
	struct vt	*v = *state;
	char		 cmd[512], code[32];
	int		 i, ok_new = 0;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, "A-first-code", "invite set --account main"),
	    0);
	assert_int_equal(it_stop(&v->it, 3000), 0);
	for (i = 0; i < 60; i++) {
		assert_int_equal(it_start_args(&v->it, "-T", "-p", v->pass), 0);
		while (CTL(v, NULL, "status") != 0 ||
		    strstr(v->out, "vault unlocked") == NULL)
			it_sleep_ms(5);
		snprintf(code, sizeof(code), "%c-code-%d", i % 2 ? 'B' : 'C',
		    i);
		/* five writes in a row, killed somewhere among them */
		snprintf(cmd, sizeof(cmd), "for j in 1 2 3 4 5; do echo %s$j | "
		    "%s/vaultctl invite set --account main; done >/dev/null "
		    "2>&1 &", code, v->it.build);
		(void)!system(cmd);
		it_sleep_ms(rand() % 40);
		it_kill(&v->it);
		it_sleep_ms(30);	/* let the orphaned vaultctl end */
	}
	assert_int_equal(it_start_args(&v->it, "-T", "-p", v->pass), 0);
	while (CTL(v, NULL, "status") != 0 ||
	    strstr(v->out, "vault unlocked") == NULL)
		it_sleep_ms(5);
	assert_int_equal(CTL(v, NULL, "invite show --account main"), 0);
	ok_new = strstr(v->out, "B****") || strstr(v->out, "C****") ||
	    strstr(v->out, "A****");
	assert_true(ok_new);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
}

/*
 * The passphrase a control client sent with its unlock is wiped from
 * vaultd once the request is handled, not when that client next sends
 * or goes: vaultctl waits out the Argon2id with its connection open, and
 * a client may keep one open for long.  So is signerd's copy, once it
 * answered.  Read as a debugger would (root only; skipped otherwise).
 */
static void
test_unlock_frame_wiped(void **state)
{
	struct vt	*v = *state;
	struct it_proc	 procs[3];
	struct chan	 ch;
	struct msg_w	 w;
	struct msg	 m;
	int		 n;

	if (geteuid() != 0)
		skip();
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(it_connect(&v->it, &ch), 0);
	msg_begin(&w, MSG_CTL_UNLOCK_REQ, 2);
	msg_put_bin(&w, PASSPHRASE, strlen(PASSPHRASE));
	msg_put_bool(&w, 0);
	assert_int_equal(chan_send(&ch, &w), 0);
	assert_int_equal(it_recv_answer(&ch, &m), 0);
	assert_int_equal(m.type, MSG_CTL_UNLOCK_ANS);
	msg_clear(&m);
	/* the connection stays open: the frame's buffer is still there */
	assert_int_equal(it_status(&v->it, procs), 0);
	n = mem_count(v->it.vaultd, "passphrase", PASSPHRASE);
	assert_int_equal(n, 0);
	n = mem_count((pid_t)procs[1].pid, "passphrase", PASSPHRASE);
	assert_int_equal(n, 0);
	chan_free(&ch);

	/*
	 * signerd's answer to headers l2 holds the API passphrase (a
	 * header's value): gone from vaultd once relayed, not left in its
	 * buffer of what signerd sent until signerd next writes.
	 */
	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, NULL, "wallet generate --account main"), 0);
	assert_int_equal(CTL(v, "{\"apiKey\":\"" API_KEY "\",\"secret\":\""
	    API_SECRET "\",\"passphrase\":\"" API_PASS "\"}",
	    "apikey import --account main"), 0);
	assert_int_equal(CTL(v, NULL, "headers l2 --account main --method GET "
	    "--path /auth/api-keys"), 0);
	assert_out(v, API_PASS);
	n = mem_count(v->it.vaultd, "API passphrase", API_PASS);
	assert_int_equal(n, 0);
}

/*
 * A temporary vault file a write left when vaultd died between creating
 * and renaming it (.vault.XXXXXXXX.tmp) is a whole vault, sealed under
 * the credential of its day: left, a passphrase changed since (passwd
 * after a leak) still opens it.  vaultd removes it at start, and says
 * so; a file of another name is left alone.
 */
static void
test_stale_tmp(void **state)
{
	struct vt	*v = *state;
	struct stat	 st;
	char		 tmp[160], other[160];
	char		*orig;
	size_t		 len = 0;
	FILE		*f;

	assert_int_equal(it_stop(&v->it, 3000), 0);
	assert_non_null(orig = it_slurp(v->vault, &len));
	snprintf(tmp, sizeof(tmp), "%s/.vault.0badc0de.tmp", v->it.home);
	snprintf(other, sizeof(other), "%s/.vault.notours.tmp", v->it.home);
	it_write(other, "kept\n", 0600);
	assert_non_null(f = fopen(tmp, "w"));
	assert_int_equal(fwrite(orig, 1, len, f), len);
	fclose(f);
	free(orig);
	assert_int_equal(it_start_args(&v->it, "-T", NULL, NULL), 0);
	assert_int_equal(lstat(tmp, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(it_log_has(&v->it, "removed .vault.0badc0de.tmp, left by "
	    "a write of the vault that did not finish"));
	assert_int_equal(lstat(other, &st), 0);
	unlink(other);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
}

/*
 * The vault path made a symbolic link to a good copy, or a FIFO: unlock
 * refuses either at once (exit 1), saying what is wrong, the files left
 * as they are; the good file back, it unlocks.
 */
static void
test_vault_not_a_file(void **state)
{
	struct vt	*v = *state;
	char		 copy[160];
	char		*orig;
	size_t		 len = 0;

	assert_int_equal(CTL(v, NULL, "account add main --profile openfish"),
	    0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_non_null(orig = it_slurp(v->vault, &len));
	snprintf(copy, sizeof(copy), "%s.copy", v->it.home);
	assert_int_equal(rename(v->vault, copy), 0);
	assert_int_equal(symlink(copy, v->vault), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    1);
	assert_out(v, "cannot read ");
	assert_true(it_log_has(&v->it, "is a symbolic link; point the "
	    "configuration at the file itself"));
	unlink(v->vault);
	assert_int_equal(mkfifo(v->vault, 0600), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    1);
	assert_true(it_log_has(&v->it, "vault is not a regular file"));
	assert_int_equal(CTL(v, NULL, "status"), 0);
	assert_out(v, "vault locked");
	unlink(v->vault);
	assert_int_equal(rename(copy, v->vault), 0);
	assert_same(v->vault, orig, len);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "account list"), 0);
	assert_out(v, "main");
	free(orig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_secrets_in_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_vault, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyfile_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passwd_kdf, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_passwd_cost_tampered,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_file_gone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unlock_wrong_kind, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unattended, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unattended_tampered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_start_error_clean, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_tmp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unlock_frame_wiped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vault_not_a_file, setup,
		    teardown),
	};

	/* VAULT_TEST=name: that test alone */
	if (getenv("VAULT_TEST") != NULL)
		cmocka_set_test_filter(getenv("VAULT_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
