/*
 * signerd's readers of a stored account record (signerd/signerd_req.c,
 * signerd/signerd_bearer.c): a record that names a key twice is refused
 * by each, whatever it names last -- vaultd never stores one, and
 * signerd does not take that on trust -- while the same record with
 * each key once is read as it was.  The vault is built here, in memory,
 * with the real keys and seal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/msg.h"
#include "common/vault_crypto.h"
#include "signerd/signerd_vault.h"

/* signerd.c's, which this test does not link */
struct secp256k1_context_struct	*signerd_secp;

#define ACCOUNT	"acct"
#define GOOD	"{\"profile\":\"openfish\",\"url\":\"https://a.example/\"}"
/* the same, then a second profile and a second url: the last would win */
#define TWICE	"{\"profile\":\"openfish\",\"url\":\"https://a.example/\"," \
		"\"profile\":\"omnia\",\"url\":\"https://b.example/\"}"

static struct signerd_vault	sv;

/* An unlocked vault in sv holding one account record, json. */
static void
vault_with(const char *json)
{
	const struct vault_cred	 cred = { 0, (const uint8_t *)"pass", 4 };
	struct vault_rec	*rec;
	uint64_t		 ops, mem;

	memset(&sv, 0, sizeof(sv));
	assert_int_equal(vault_kdf_params(VAULT_KDF_MIN, &ops, &mem), 0);
	assert_int_equal(vault_crypto_create(&sv.v.hdr, &cred, ops, mem,
	    &sv.keys), 0);
	assert_non_null(rec = calloc(1, sizeof(*rec)));
	rec->type = VAULT_REC_ACCOUNT;
	snprintf(rec->account, sizeof(rec->account), "%s", ACCOUNT);
	assert_int_equal(vault_crypto_seal(&sv.keys, &sv.v.hdr, rec,
	    (const uint8_t *)json, strlen(json)), 0);
	sv.v.recs = rec;
	sv.v.nrecs = 1;
	sv.unlocked = sv.open = 1;
}

static int
teardown(void **state)
{
	vault_free(&sv.v);
	vault_keys_free(&sv.keys);
	return 0;
}

/*
 * signerd_account for ACCOUNT: its return, and with 0 the string of
 * the MSG_VAULT_ACCOUNT_ANS it queued, into out.
 */
static int
account_ans(char *out, size_t outlen)
{
	struct chan	 a, b;
	struct msg_w	 w;
	struct msg	 m;
	const char	*s;
	size_t		 len;
	int		 sv2[2], r;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
	chan_init(&a, sv2[0]);
	chan_init(&b, sv2[1]);
	msg_begin(&w, MSG_VAULT_ACCOUNT_REQ, 7);
	msg_put_str(&w, ACCOUNT);
	assert_int_equal(chan_send(&a, &w), 0);
	assert_int_equal(chan_recv(&b, &m), 0);
	r = signerd_account(&sv, &b, &m);
	msg_clear(&m);
	out[0] = '\0';
	if (r == 0) {
		assert_int_equal(chan_flush(&b), 0);
		assert_int_equal(chan_recv(&a, &m), 0);
		assert_int_equal(m.type, MSG_VAULT_ACCOUNT_ANS);
		assert_int_equal(m.id, 7);
		assert_int_equal(msg_get_str(&m.rd, &s, &len, outlen - 1), 0);
		memcpy(out, s, len);
		out[len] = '\0';
		msg_clear(&m);
	}
	chan_free(&a);
	chan_free(&b);
	return r;
}

static void
test_good(void **state)
{
	char	out[512];

	vault_with(GOOD);
	assert_int_equal(signerd_account_bearer(&sv, ACCOUNT), 0);
	assert_int_equal(account_ans(out, sizeof(out)), 0);
	assert_string_equal(out, GOOD);		/* as stored, byte for byte */
	assert_int_equal(signerd_account_same_profile(&sv, ACCOUNT,
	    (const uint8_t *)GOOD, strlen(GOOD)), 0);
	/* an update naming another profile, or one twice, is refused */
	assert_int_equal(signerd_account_same_profile(&sv, ACCOUNT,
	    (const uint8_t *)"{\"profile\":\"omnia\"}", 19), CV_ERR_INVALID);
	assert_int_equal(signerd_account_same_profile(&sv, ACCOUNT,
	    (const uint8_t *)TWICE, strlen(TWICE)), CV_ERR_INVALID);
}

static void
test_twice(void **state)
{
	char	out[512];

	vault_with(TWICE);
	/* read loosely, "omnia" (the last) would make it a bearer account */
	assert_int_equal(signerd_account_bearer(&sv, ACCOUNT), CV_ERR_CORRUPT);
	/* read loosely, the whole record went to vaultd, b.example in it */
	assert_int_equal(account_ans(out, sizeof(out)), CV_ERR_CORRUPT);
	assert_string_equal(out, "");
	/* read loosely, the stored "omnia" matched an update's */
	assert_int_equal(signerd_account_same_profile(&sv, ACCOUNT,
	    (const uint8_t *)"{\"profile\":\"omnia\"}", 19), CV_ERR_CORRUPT);
	assert_int_equal(signerd_account_same_profile(&sv, ACCOUNT,
	    (const uint8_t *)GOOD, strlen(GOOD)), CV_ERR_CORRUPT);
}

/* Not an object: refused too, rather than passed on as it is. */
static void
test_not_object(void **state)
{
	char	out[512];

	vault_with("[\"profile\",\"openfish\"]");
	assert_int_equal(signerd_account_bearer(&sv, ACCOUNT), CV_ERR_CORRUPT);
	assert_int_equal(account_ans(out, sizeof(out)), CV_ERR_CORRUPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_good, teardown),
		cmocka_unit_test_teardown(test_twice, teardown),
		cmocka_unit_test_teardown(test_not_object, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
