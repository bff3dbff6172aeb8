/*
 * vaultctl rekey end to end, through vaultctl and the real daemons: a new
 * master key, every record's body sealed anew under it (its clear header
 * as it was), the vault opening again with the same passphrase, signing
 * and the audit log as before; a wrong passphrase refused with nothing
 * changed; and SIGKILL of vaultd or signerd during a rekey never leaves a
 * vault that the passphrase does not open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/vault_crypto.h"
#include "common/vault_fmt.h"
#include "tests/it.h"

#define WALLET_KEY	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define WALLET_ADDR	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define API_SECRET	"c2VjcmV0LWtleS0zMi1ieXRlcy0xMjM0NTY="
#define API_PASS	"pass-phrase-for-the-api-key-0001"
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define PASSPHRASE	"rekey test passphrase"

struct rk {
	struct it	it;
	char		pass[128], vault[128], audit[128];
	char		keys[16384], accounts[16384];
	char		out[16384];
};

#define CTL(v, in, ...)	it_ctl(&(v)->it, in, (v)->out, sizeof((v)->out), \
			    __VA_ARGS__)

static void
assert_out(struct rk *v, const char *want)
{
	if (strstr(v->out, want) == NULL)
		fail_msg("output \"%s\" lacks \"%s\"", v->out, want);
}

/* Records of several types: accounts, wallet keys, an API key, an invite. */
static int
setup(void **state)
{
	static struct rk	v;

	memset(&v, 0, sizeof(v));
	it_init(&v.it);
	snprintf(v.pass, sizeof(v.pass), "%s.pass", v.it.home);
	snprintf(v.vault, sizeof(v.vault), "%s/vault", v.it.home);
	snprintf(v.audit, sizeof(v.audit), "%s/audit.log", v.it.home);
	it_write(v.pass, PASSPHRASE "\n", 0600);
	*state = &v;
	if (it_start_args(&v.it, "-T", NULL, NULL) != 0 ||
	    CTL(&v, NULL, "init --passphrase-file %s --kdf min", v.pass) != 0 ||
	    CTL(&v, NULL, "account add pm --profile polymarket") != 0 ||
	    CTL(&v, WALLET_KEY, "wallet import --account pm") != 0 ||
	    CTL(&v, "{\"apiKey\":\"" API_KEY "\",\"secret\":\"" API_SECRET
	    "\",\"passphrase\":\"" API_PASS "\"}",
	    "apikey import --account pm") != 0 ||
	    CTL(&v, "INVITE-CODE-7f3a9c", "invite set --account pm") != 0 ||
	    CTL(&v, NULL, "account add main --profile openfish "
	    "--url http://127.0.0.1:1") != 0 ||
	    CTL(&v, NULL, "wallet generate --account main") != 0 ||
	    CTL(&v, NULL, "client add bot --account pm --passphrase-file %s",
	    v.pass) != 0)
		return -1;
	if (CTL(&v, NULL, "keys list") != 0)
		return -1;
	snprintf(v.keys, sizeof(v.keys), "%s", v.out);
	if (CTL(&v, NULL, "account list") != 0)
		return -1;
	snprintf(v.accounts, sizeof(v.accounts), "%s", v.out);
	return 0;
}

static int
teardown(void **state)
{
	struct rk	*v = *state;

	it_cleanup(&v->it);
	unlink(v->pass);
	return 0;
}

/* The vault file, parsed; its bytes into *bytes when asked. */
static void
vault_load(struct rk *v, struct vault *out, uint8_t **bytes, size_t *len)
{
	uint8_t	*buf = NULL;
	size_t	 n;

	memset(out, 0, sizeof(*out));
	assert_int_equal(vault_fmt_read(v->vault, &buf, &n), 0);
	assert_int_equal(vault_fmt_parse(buf, n, out), 0);
	if (bytes != NULL) {
		*bytes = buf;
		*len = n;
	} else
		free(buf);
}

/* The vault once vaultd has checkpointed what it last did. */
static void
vault_settled(struct rk *v, struct vault *out, uint8_t **bytes, size_t *len)
{
	uint8_t	*a = NULL, *b = NULL;
	size_t	 alen = 0, blen = 0;
	int	 i;

	assert_int_equal(vault_fmt_read(v->vault, &b, &blen), 0);
	for (i = 0; i < 100; i++) {
		it_sleep_ms(50);
		a = b;
		alen = blen;
		assert_int_equal(vault_fmt_read(v->vault, &b, &blen), 0);
		if (alen == blen && memcmp(a, b, alen) == 0)
			break;
		free(a);
		a = NULL;
	}
	free(a);
	memset(out, 0, sizeof(*out));
	assert_int_equal(vault_fmt_parse(b, blen, out), 0);
	*bytes = b;
	*len = blen;
}

/* Same records, clear headers equal, every sealed body different. */
static void
assert_resealed(const struct vault *o, const struct vault *n)
{
	size_t	i;

	assert_int_equal(n->nrecs, o->nrecs);
	assert_memory_equal(n->hdr.vault_id, o->hdr.vault_id, VAULT_ID_LEN);
	assert_int_equal(n->hdr.flags, o->hdr.flags);
	assert_true(n->hdr.opslimit == o->hdr.opslimit);
	assert_true(n->hdr.memlimit == o->hdr.memlimit);
	assert_true(n->hdr.generation > o->hdr.generation);
	assert_memory_not_equal(n->hdr.wrapped_key, o->hdr.wrapped_key,
	    VAULT_WRAPPED_LEN);
	for (i = 0; i < n->nrecs; i++) {
		const struct vault_rec *a = &o->recs[i], *b = &n->recs[i];

		assert_int_equal(b->type, a->type);
		assert_int_equal(b->flags, a->flags);
		assert_string_equal(b->account, a->account);
		assert_string_equal(b->key_id, a->key_id);
		assert_true(b->nonce == a->nonce);
		assert_int_equal(b->body_len, a->body_len);
		assert_memory_not_equal(b->aead_nonce, a->aead_nonce,
		    VAULT_NONCE_LEN);
		/* 16 bytes of Poly1305 tag at least: never equal by chance */
		assert_memory_not_equal(b->body, a->body, a->body_len);
	}
}

/* What the vault holds, as vaultctl shows it, is what it held at setup. */
static void
assert_listings(struct rk *v)
{
	assert_int_equal(CTL(v, NULL, "keys list"), 0);
	assert_string_equal(v->out, v->keys);
	assert_int_equal(CTL(v, NULL, "account list"), 0);
	assert_string_equal(v->out, v->accounts);
	assert_int_equal(CTL(v, NULL, "wallet address --account pm"), 0);
	assert_out(v, WALLET_ADDR);
	assert_int_equal(CTL(v, NULL, "invite show --account pm"), 0);
	assert_out(v, "I****");
}

/* Signing still works: the wallet key (L1) and the API key (L2). */
static void
assert_signs(struct rk *v)
{
	assert_int_equal(CTL(v, NULL, "headers l1 --account pm"), 0);
	assert_out(v, WALLET_ADDR);
	assert_int_equal(CTL(v, NULL, "headers l2 --account pm --method GET "
	    "--path /auth/api-keys"), 0);
	assert_out(v, API_KEY);
}

static void
test_rekey(void **state)
{
	struct rk	*v = *state;
	struct vault	 o, n, h;
	uint8_t		*obytes, *nbytes;
	size_t		 olen, nlen, types = 0;
	char		 want[128], *log;
	size_t		 i, len = 0;

	vault_settled(v, &o, &obytes, &olen);
	/* every type the setup made, the audit key and policy among them */
	for (i = 0; i < o.nrecs; i++)
		types |= 1u << o.recs[i].type;
	assert_true(types & (1u << VAULT_REC_AUDIT_KEY));
	assert_true(types & (1u << VAULT_REC_POLICY));
	assert_true(types & (1u << VAULT_REC_CLIENT));
	assert_true(types & (1u << VAULT_REC_API_CRED));

	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    0);
	snprintf(want, sizeof(want), "rekey: every record resealed under a "
	    "new master key (%zu records)\n", o.nrecs);
	assert_string_equal(v->out, want);
	vault_load(v, &n, &nbytes, &nlen);
	assert_resealed(&o, &n);
	assert_true(n.hdr.generation == o.hdr.generation + 1 ||
	    n.hdr.generation == o.hdr.generation + 2);	/* its checkpoint */
	vault_free(&n);
	free(nbytes);

	assert_listings(v);
	assert_signs(v);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	assert_out(v, "audit log verified: ");
	if (strstr(v->out, "interrupted") != NULL)
		fail_msg("%s", v->out);
	assert_non_null(log = it_slurp(v->audit, &len));
	assert_non_null(strstr(log, "\trekey\t-\t-\tintent\t"));
	assert_non_null(strstr(log, "\trekey\t-\t-\tok\t"));
	free(log);

	/* the same passphrase opens it; everything is there and signs */
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_listings(v);
	assert_signs(v);

	/* again, with --json: another new key */
	vault_settled(v, &h, &nbytes, &nlen);
	free(nbytes);
	assert_int_equal(CTL(v, NULL, "--json rekey --passphrase-file %s",
	    v->pass), 0);
	snprintf(want, sizeof(want), "\"records\": %zu", o.nrecs);
	assert_out(v, want);
	assert_out(v, "\"result\": \"rekeyed\"");
	vault_load(v, &n, NULL, NULL);
	assert_resealed(&h, &n);
	assert_resealed(&o, &n);
	vault_free(&n);
	vault_free(&h);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_listings(v);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);

	/* no secret in the vault, the audit log or vaultd's log */
	{
		static const char *secrets[] = { WALLET_KEY, API_SECRET,
		    API_PASS, "INVITE-CODE-7f3a9c", PASSPHRASE };
		const char	*files[] = { v->vault, v->audit, v->it.log };
		size_t		 k, s;

		for (k = 0; k < 3; k++) {
			assert_non_null(log = it_slurp(files[k], &len));
			for (s = 0; s < 5; s++)
				if (memmem(log, len, secrets[s],
				    strlen(secrets[s])) != NULL)
					fail_msg("%s holds %s", files[k],
					    secrets[s]);
			free(log);
		}
	}

	/* locked: refused, exit 5 */
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    5);
	assert_out(v, "the vault is locked");
	/* never from argv */
	assert_int_equal(CTL(v, NULL, "rekey " PASSPHRASE), 2);
	if (strstr(v->out, PASSPHRASE) != NULL)
		fail_msg("echoed: %s", v->out);
	vault_free(&o);
	free(obytes);
}

/*
 * A wrong passphrase: exit 6, and the records and the wrapped key keep
 * their bytes.  (The failure is audited, and its checkpoint moves the
 * header's anchor and generation and so the MAC: only those differ.)
 */
static void
test_rekey_wrong(void **state)
{
	struct rk	*v = *state;
	struct vault	 o, n;
	uint8_t		*obytes, *nbytes;
	size_t		 olen, nlen;
	char		 wrong[160], *log;
	size_t		 len = 0;

	snprintf(wrong, sizeof(wrong), "%s.wrong", v->pass);
	it_write(wrong, "not the passphrase\n", 0600);
	vault_settled(v, &o, &obytes, &olen);
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", wrong), 6);
	assert_out(v, "vaultctl: rekey: wrong passphrase or keyfile");
	/* slowed down as an unlock is: 1 s after the first wrong one */
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", wrong), 4);
	assert_out(v, "too many wrong passphrases; try again in 1 s");
	it_sleep_ms(1100);
	assert_int_equal(CTL(v, NULL, "--json rekey --passphrase-file %s",
	    wrong), 6);
	assert_out(v, "\"exit\": 6");
	it_sleep_ms(2100);	/* 2 s after the second */
	vault_settled(v, &n, &nbytes, &nlen);
	assert_int_equal(nlen, olen);
	/* header bytes 0..59 (the KDF salt among them), the wrapped key */
	assert_memory_equal(nbytes, obytes, VAULT_WRAP_AD_LEN);
	assert_memory_equal(n.hdr.wrap_nonce, o.hdr.wrap_nonce,
	    VAULT_NONCE_LEN);
	assert_memory_equal(n.hdr.wrapped_key, o.hdr.wrapped_key,
	    VAULT_WRAPPED_LEN);
	/* every record, byte for byte */
	assert_memory_equal(nbytes + VAULT_HEADER_LEN, obytes +
	    VAULT_HEADER_LEN, olen - VAULT_HEADER_LEN - VAULT_MAC_LEN);
	assert_true(n.hdr.generation <= o.hdr.generation + 2);
	assert_non_null(log = it_slurp(v->audit, &len));
	assert_non_null(strstr(log, "\trekey\t-\t-\tfail\t"));
	assert_null(strstr(log, "\trekey\t-\t-\tintent\t"));
	free(log);

	/* still the old key: the listing, signing, and a lock and unlock */
	assert_listings(v);
	assert_signs(v);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_listings(v);
	vault_free(&o);
	vault_free(&n);
	free(obytes);
	free(nbytes);
	unlink(wrong);
}

/* A keyfile's vault: rekey --keyfile, and the keyfile still opens it. */
static void
test_rekey_keyfile(void **state)
{
	struct rk	*v = *state;
	struct vault	 o, n;
	uint8_t		*obytes;
	size_t		 olen;
	char		 key[160];

	snprintf(key, sizeof(key), "%s.key", v->pass);
	unlink(key);
	assert_int_equal(CTL(v, NULL, "passwd --passphrase-file %s "
	    "--new-keyfile %s", v->pass, key), 0);
	vault_settled(v, &o, &obytes, &olen);
	/* a passphrase no longer unlocks it: refused saying so, unchanged */
	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    6);
	assert_string_equal(v->out, "vaultctl: rekey: the vault is unlocked "
	    "by a keyfile, not a passphrase: give it with --keyfile FILE\n");
	vault_load(v, &n, NULL, NULL);
	assert_memory_equal(n.hdr.wrapped_key, o.hdr.wrapped_key,
	    VAULT_WRAPPED_LEN);
	vault_free(&n);
	assert_int_equal(CTL(v, NULL, "rekey --keyfile %s", key), 0);
	assert_out(v, "rekey: every record resealed under a new master key");
	vault_load(v, &n, NULL, NULL);
	assert_resealed(&o, &n);
	assert_int_equal(n.hdr.flags & VAULT_FLAG_KEYFILE, VAULT_FLAG_KEYFILE);
	assert_true(n.hdr.opslimit == 0 && n.hdr.memlimit == 0);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --keyfile %s", key), 0);
	assert_listings(v);
	assert_signs(v);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	vault_free(&o);
	vault_free(&n);
	free(obytes);
	unlink(key);
}

/* Wait until vaultd says the vault is unlocked; 0 or -1 on time-out. */
static int
wait_unlocked(struct rk *v, int ms)
{
	int64_t	start = it_ms();

	while (it_ms() - start < ms) {
		if (CTL(v, NULL, "status") == 0 &&
		    strstr(v->out, "vault unlocked") != NULL)
			return 0;
		it_sleep_ms(10);
	}
	return -1;
}

/*
 * SIGKILL vaultd or signerd right after a rekey is sent, or a moment
 * later: each time the vault opens again with the passphrase (under the
 * old master key or the new one), every record is there, and the audit
 * log verifies (an interrupted write is reported, not a fault).
 */
static void
test_rekey_interrupted(void **state)
{
	static const int	 delays[] = { 0, 1, 3, 6, 10, 15, 25, 40 };
	struct rk		*v = *state;
	struct it_proc		 p[3], q[3];
	struct vault		 o, n;
	uint8_t			 prev[VAULT_WRAPPED_LEN];
	char			 cmd[512];
	int			 i, rekeyed = 0, interrupted = 0, d;

	vault_load(v, &o, NULL, NULL);
	memcpy(prev, o.hdr.wrapped_key, sizeof(prev));
	assert_int_equal(it_stop(&v->it, 3000), 0);
	assert_int_equal(it_start_args(&v->it, "-T", "-p", v->pass), 0);
	srand((unsigned)time(NULL));
	for (i = 0; i < 32; i++) {
		if (wait_unlocked(v, 5000) != 0)
			fail_msg("round %d: the vault does not unlock: %s", i,
			    v->out);
		assert_int_equal(it_status(&v->it, p), 0);
		d = delays[i % 8] + rand() % 5;
		snprintf(cmd, sizeof(cmd), "%s/vaultctl rekey "
		    "--passphrase-file %s >/dev/null 2>&1 &", v->it.build,
		    v->pass);
		(void)!system(cmd);
		it_sleep_ms(d);
		if (i % 2 == 0) {
			/* signerd: vaultd restarts it and unlocks again */
			kill((pid_t)p[1].pid, SIGKILL);
			if (it_wait_up(&v->it, q, p[1].pid, 0, 5000) < 0)
				fail_msg("round %d: signerd not back", i);
		} else {
			it_kill(&v->it);
			it_sleep_ms(30);	/* the orphaned vaultctl ends */
			assert_int_equal(it_start_args(&v->it, "-T", "-p",
			    v->pass), 0);
		}
		if (wait_unlocked(v, 5000) != 0)
			fail_msg("round %d (%s killed after %d ms): the vault "
			    "does not unlock: %s", i, i % 2 ? "vaultd" :
			    "signerd", d, v->out);
		assert_int_equal(CTL(v, NULL, "keys list"), 0);
		if (strcmp(v->out, v->keys) != 0)
			fail_msg("round %d: keys list %s, was %s", i, v->out,
			    v->keys);
		if (CTL(v, NULL, "audit verify") != 0)
			fail_msg("round %d: %s", i, v->out);
		interrupted += strstr(v->out, "interrupted vault write") !=
		    NULL;
		vault_load(v, &n, NULL, NULL);
		assert_int_equal(n.nrecs, o.nrecs);
		/* this round's rekey landed, or it did not: either opens */
		rekeyed += memcmp(n.hdr.wrapped_key, prev, sizeof(prev)) != 0;
		memcpy(prev, n.hdr.wrapped_key, sizeof(prev));
		vault_free(&n);
	}
	print_message("rekey on disk in %d of %d rounds; audit verify "
	    "reported an interrupted write after %d\n", rekeyed, i,
	    interrupted);
	/* an explicit lock and unlock with the same passphrase */
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_listings(v);
	assert_signs(v);
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	vault_free(&o);
}

/*
 * An older copy of the vault file put back while the vault is unlocked:
 * rekey reseals the vault signerd holds, every record of it, and writes
 * it over the copy.  It used to compare signerd's file with the one on
 * disk, call signerd broken and stop it, locking the vault.
 */
static void
test_rekey_older_file(void **state)
{
	struct rk	*v = *state;
	struct it_proc	 p[3], q[3];
	struct vault	 o, n;
	uint8_t		*obytes, *nbytes;
	size_t		 olen, nlen;
	char		 want[128];
	FILE		*f;

	vault_settled(v, &o, &obytes, &olen);
	assert_int_equal(CTL(v, NULL, "account add later --profile openfish"),
	    0);
	vault_settled(v, &n, &nbytes, &nlen);
	assert_int_equal(n.nrecs, o.nrecs + 1);
	vault_free(&n);
	free(nbytes);
	assert_non_null(f = fopen(v->vault, "w"));
	assert_int_equal(fwrite(obytes, 1, olen, f), olen);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(it_status(&v->it, p), 0);

	assert_int_equal(CTL(v, NULL, "rekey --passphrase-file %s", v->pass),
	    0);
	snprintf(want, sizeof(want), "rekey: every record resealed under a "
	    "new master key (%zu records)\n", o.nrecs + 1);
	assert_string_equal(v->out, want);
	assert_int_equal(it_status(&v->it, q), 0);
	assert_int_equal(q[1].pid, p[1].pid);		/* signerd lives */
	vault_load(v, &n, NULL, NULL);
	assert_int_equal(n.nrecs, o.nrecs + 1);
	assert_true(vault_find_record(&n, VAULT_REC_ACCOUNT, "later", "") >=
	    0);
	vault_free(&n);
	assert_int_equal(CTL(v, NULL, "lock"), 0);
	assert_int_equal(CTL(v, NULL, "unlock --passphrase-file %s", v->pass),
	    0);
	assert_int_equal(CTL(v, NULL, "account list"), 0);
	assert_out(v, "\nlater ");
	assert_int_equal(CTL(v, NULL, "audit verify"), 0);
	vault_free(&o);
	free(obytes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_wrong, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rekey_keyfile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rekey_interrupted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rekey_older_file, setup,
		    teardown),
	};

	/* REKEY_TEST=name: that test alone */
	if (getenv("REKEY_TEST") != NULL)
		cmocka_set_test_filter(getenv("REKEY_TEST"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
