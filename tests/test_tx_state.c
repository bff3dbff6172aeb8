/*
 * tests/testexchange/tx_state.c and tx_store.c: invitation codes,
 * credentials, notifications, Omnia keys and tokens, markets and
 * orders, and the state file's round trip and refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tests/testexchange/tx_auth.c"
#include "tests/testexchange/tx_state.c"
#include "tests/testexchange/tx_store.c"

static const uint8_t	A[ETH_ADDR_LEN] = { 0xf3, 0x9f, 0xd6, 0xe5, 0x1a };
static const uint8_t	B[ETH_ADDR_LEN] = { 0xea, 0x41, 0x3a, 0xec };

static int
setup(void **state)
{
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_invites(void **state)
{
	struct tx_state	st;
	char		long_code[TX_CODE_MAX + 2];

	tx_state_init(&st);
	memset(long_code, 'x', sizeof(long_code) - 1);
	long_code[sizeof(long_code) - 1] = '\0';
	assert_int_equal(tx_invite_add(&st, "", 0), CV_ERR_INVALID);
	assert_int_equal(tx_invite_add(&st, "a b", 0), CV_ERR_INVALID);
	assert_int_equal(tx_invite_add(&st, "a\x7f", 0), CV_ERR_INVALID);
	assert_int_equal(tx_invite_add(&st, long_code, 0), CV_ERR_INVALID);
	long_code[TX_CODE_MAX] = '\0';
	assert_int_equal(tx_invite_add(&st, long_code, 0), 0);
	assert_int_equal(tx_invite_add(&st, "INVITE-1", 0), 0);
	assert_int_equal(tx_invite_add(&st, "INVITE-1", 0), CV_ERR_EXISTS);
	assert_int_equal(tx_invite_add(&st, "LATER", 1000), 0);

	assert_int_equal(tx_invite_use(&st, "INVITE-2", 10), CV_ERR_NOTFOUND);
	assert_int_equal(tx_invite_use(&st, "INVITE-", 10), CV_ERR_NOTFOUND);
	assert_int_equal(tx_invite_use(&st, "INVITE-1", 10), 0);
	/* Single use. */
	assert_int_equal(tx_invite_use(&st, "INVITE-1", 10), CV_ERR_NOTFOUND);
	/* Expiry: valid before, refused at and after, and not consumed. */
	assert_int_equal(tx_invite_use(&st, "LATER", 1000), CV_ERR_STALE);
	assert_int_equal(tx_invite_use(&st, "LATER", 5000), CV_ERR_STALE);
	assert_int_equal(tx_invite_use(&st, "LATER", 999), 0);
	assert_int_equal(tx_invite_use(&st, long_code, 0), 0);
	tx_state_free(&st);
}

static void
test_creds(void **state)
{
	struct tx_state	 st;
	struct tx_cred	*k0, *k1, *b;
	uint8_t		 key[64];
	size_t		 i, n;

	tx_state_init(&st);
	assert_int_equal(tx_cred_new(&st, TX_CRED_API, A, 0, NULL, 100, 0,
	    &k0), 0);
	assert_int_equal(tx_cred_new(&st, TX_CRED_API, A, 1, NULL, 100, 5000,
	    &k1), 0);
	assert_int_equal(tx_cred_new(&st, TX_CRED_BUILDER, A, 0, "bld-1", 100,
	    0, &b), 0);
	/* Shapes: a v4 UUID, 32 random bytes as base64url, 64 hex digits. */
	assert_int_equal(strlen(k0->key), 36);
	assert_int_equal(k0->key[14], '4');
	assert_int_equal(strlen(k0->secret), 44);
	assert_int_equal(b64_decode(k0->secret, 44, key, sizeof(key), &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(strlen(k0->passphrase), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", k0->passphrase[i]));
	assert_string_not_equal(k0->key, k1->key);
	assert_string_not_equal(k0->secret, k1->secret);
	assert_int_equal(k1->valid_from_ms, 5000);

	assert_ptr_equal(tx_cred_by_nonce(&st, A, 0), k0);
	assert_ptr_equal(tx_cred_by_nonce(&st, A, 1), k1);
	assert_null(tx_cred_by_nonce(&st, A, 2));
	assert_null(tx_cred_by_nonce(&st, B, 0));
	assert_ptr_equal(tx_cred_by_key(&st, TX_CRED_API, k1->key), k1);
	/* Builder keys and API keys are different doors. */
	assert_null(tx_cred_by_key(&st, TX_CRED_API, b->key));
	assert_ptr_equal(tx_cred_by_key(&st, TX_CRED_BUILDER, b->key), b);
	assert_string_equal(b->builder_id, "bld-1");

	tx_cred_delete(&st, k0);
	assert_null(tx_cred_by_nonce(&st, A, 0));
	assert_ptr_equal(tx_cred_by_nonce(&st, A, 1), k1);
	assert_int_equal(st.creds.n, 2);
	tx_state_free(&st);
}

static void
test_accounts_balances(void **state)
{
	struct tx_state		 st;
	struct tx_account	*a;
	struct tx_balance	*bal;

	tx_state_init(&st);
	assert_null(tx_account_get(&st, A, 0));
	assert_non_null(a = tx_account_get(&st, A, 1));
	assert_ptr_equal(tx_account_get(&st, A, 0), a);
	assert_false(a->registered);
	assert_int_equal(strlen(a->builder_id), 36);
	assert_null(tx_balance_get(&st, A, TX_ASSET_COLLATERAL, "", 0));
	assert_non_null(bal = tx_balance_get(&st, A, TX_ASSET_CONDITIONAL,
	    "123", 1));
	assert_string_equal(bal->cached, "0");
	assert_null(tx_balance_get(&st, A, TX_ASSET_CONDITIONAL, "124", 0));
	assert_null(tx_balance_get(&st, B, TX_ASSET_CONDITIONAL, "123", 0));
	tx_state_free(&st);
}

static void
test_notifs(void **state)
{
	struct tx_state	st;
	uint64_t	id1, id2, id3, idb, ids[2];

	tx_state_init(&st);
	assert_int_equal(tx_notif_add(&st, A, 1, "{}", 1, &id1), 0);
	assert_int_equal(tx_notif_add(&st, A, 2, "[]", 1, &id2), 0);
	assert_int_equal(tx_notif_add(&st, B, 1, "1", 1, &idb), 0);
	assert_int_equal(tx_notif_add(&st, A, 3, "null", 1, &id3), 0);
	assert_int_equal(id1, 1);
	assert_int_equal(id3, 4);
	/* Another address's notification is never dropped. */
	ids[0] = id2;
	ids[1] = idb;
	assert_int_equal(tx_notif_drop(&st, A, ids, 2), 1);
	assert_int_equal(st.notifs.n, 3);
	assert_int_equal(tx_notif_drop(&st, A, NULL, 0), 2);
	assert_int_equal(st.notifs.n, 1);
	assert_int_equal(tx_notif_drop(&st, B, NULL, 0), 1);
	tx_state_free(&st);
}

static void
test_omnia_tokens(void **state)
{
	char		 perms[2][TX_PERM_LEN] = { "trade", "read" };
	struct tx_state	 st;
	struct tx_okey	*k, *k2, *got;
	char		*tok = NULL, *tok2 = NULL, *dot, *payload;
	char		 secret[TX_SECRET_LEN];
	uint8_t		 buf[512];
	size_t		 n;
	int64_t		 exp;
	json_t		*claims;

	tx_state_init(&st);
	assert_int_equal(tx_okey_new(&st, NULL, "main", perms, 2, 100, 0, &k),
	    0);
	assert_int_equal(tx_okey_new(&st, k->account, "bot", perms, 1, 100, 0,
	    &k2), 0);
	assert_string_equal(k2->account, k->account);
	assert_ptr_equal(tx_okey_by_id(&st, k2->id), k2);

	assert_int_equal(tx_token_new(&st, k, 1000, 60, &tok, &exp), 0);
	assert_int_equal(exp, 1060);
	assert_int_equal(tx_token_new(&st, k2, 1000, 60, &tok2, &exp), 0);
	/* JWT-shaped: header.claims.signature, exp readable. */
	assert_non_null(dot = strchr(tok, '.'));
	payload = strndup(dot + 1, strcspn(dot + 1, "."));
	assert_int_equal(b64_decode(payload, strlen(payload), buf,
	    sizeof(buf) - 1, &n), 0);
	buf[n] = '\0';
	assert_non_null(claims = json_loads((char *)buf, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(claims, "exp")),
	    1060);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
	    k->id);
	json_decref(claims);
	free(payload);

	assert_int_equal(tx_token_check(&st, tok, 1000, &got), 0);
	assert_ptr_equal(got, k);
	assert_int_equal(tx_token_check(&st, tok, 1059, &got), 0);
	assert_int_equal(tx_token_check(&st, tok, 1060, &got), CV_ERR_STALE);
	assert_null(got);
	assert_int_equal(tx_token_check(&st, "x.y.z", 1000, &got),
	    CV_ERR_NOTFOUND);

	/* Rotation: new secret, the key's tokens dead, others alive. */
	memcpy(secret, k->secret, sizeof(secret));
	tx_okey_rotate(&st, k, 7);
	assert_string_not_equal(secret, k->secret);
	assert_int_equal(k->valid_from_ms, 7);
	assert_int_equal(tx_token_check(&st, tok, 1000, &got),
	    CV_ERR_NOTFOUND);
	assert_int_equal(tx_token_check(&st, tok2, 1000, &got), 0);
	assert_ptr_equal(got, k2);
	free(tok);
	free(tok2);
	tx_state_free(&st);
}

static char *
tmpfile_path(void)
{
	char	*p = strdup("/tmp/test_tx_state.XXXXXX");
	int	 fd;

	assert_non_null(p);
	assert_true((fd = mkstemp(p)) != -1);
	close(fd);
	unlink(p);
	return p;
}

/* --market TOKEN[:TICK[:negrisk][:fee=BPS]] and what it sets. */
static void
test_markets(void **state)
{
	static const char *const bad[] = { "", "x", "01", "12a", "1:", "1:0.5",
	    "1:0.01:neg", "1:0.01:fee=1001", "1:0.01:fee=", "1:0.01:fee=1x",
	    "1:0.01:negrisk:negrisk", "1:0.01:fee=1:fee=2", "1:negrisk",
	    "1234567890123456789012345678901234567890123456789012345678901"
	    "234567890123456789", NULL };	/* 79 digits */
	struct tx_state		 st;
	struct tx_market	*m;
	size_t			 i;

	tx_state_init(&st);
	for (i = 0; bad[i] != NULL; i++)
		assert_int_equal(tx_market_spec(&st, bad[i]), CV_ERR_INVALID);
	assert_int_equal(st.markets.n, 0);
	assert_int_equal(tx_market_spec(&st, "1234"), 0);
	assert_non_null(m = tx_market_get(&st, "1234"));
	assert_int_equal(m->tick_dec, 2);
	assert_string_equal(tx_tick_str(m), "0.01");
	assert_false(m->neg_risk);
	assert_int_equal(m->fee_bps, 0);
	/* keccak256("1234"): the test exchange's condition id. */
	assert_string_equal(m->market, "0x387a8233c96e1fc0ad5e284353276177af2"
	    "186e7afa85296f106336e376669f7");
	assert_int_equal(tx_market_spec(&st, "99:0.0001:fee=1000:negrisk"), 0);
	assert_non_null(m = tx_market_get(&st, "99"));
	assert_string_equal(tx_tick_str(m), "0.0001");
	assert_true(m->neg_risk);
	assert_int_equal(m->fee_bps, 1000);
	/* The same token again replaces it. */
	assert_int_equal(tx_market_spec(&st, "99:0.1"), 0);
	assert_int_equal(st.markets.n, 2);
	assert_string_equal(tx_tick_str(m), "0.1");
	assert_false(m->neg_risk);
	assert_null(tx_market_get(&st, "9"));
	assert_int_equal(tx_tick_parse("0.001"), 3);
	assert_int_equal(tx_tick_parse("0.05"), -1);
	tx_state_free(&st);
}

static void
test_store_roundtrip(void **state)
{
	char		 perms[1][TX_PERM_LEN] = { "read" };
	struct tx_state	 st, st2;
	struct tx_cred	*k, *k2;
	struct tx_okey	*ok, *ok2;
	struct tx_account *a;
	struct tx_balance *bal;
	struct tx_order	*o, *o2;
	struct stat	 sb;
	uint64_t	 id;
	char		*path = tmpfile_path();

	tx_state_init(&st);
	assert_int_equal(tx_invite_add(&st, "CODE-1", 0), 0);
	assert_int_equal(tx_invite_add(&st, "CODE-2", 1234), 0);
	assert_int_equal(tx_invite_use(&st, "CODE-1", 1), 0);
	assert_non_null(a = tx_account_get(&st, A, 1));
	a->registered = 1;
	a->closed_only = 1;
	assert_int_equal(tx_cred_new(&st, TX_CRED_API, A, 3, NULL, 10, 20,
	    &k), 0);
	assert_int_equal(tx_cred_new(&st, TX_CRED_BUILDER, A, 0, "b-1", 10,
	    20, &k2), 0);
	assert_non_null(bal = tx_balance_get(&st, A, TX_ASSET_COLLATERAL, "",
	    1));
	memcpy(bal->chain, "77", 3);
	assert_int_equal(tx_notif_add(&st, A, 4, "{\"m\":1}", 9, &id), 0);
	assert_int_equal(tx_notif_add(&st, A, 4, "{}", 9, &id), 0);
	assert_int_equal(tx_notif_drop(&st, A, &id, 1), 1);
	assert_int_equal(tx_okey_new(&st, NULL, "lbl", perms, 1, 5, 6, &ok),
	    0);
	st.waitlist = 3;
	assert_non_null(o = calloc(1, sizeof(*o)));
	snprintf(o->id, sizeof(o->id), "0x%064d", 7);
	o->hash[0] = 0xab;
	tx_uuid(o->owner);
	memcpy(o->addr, A, ETH_ADDR_LEN);
	memcpy(o->maker, B, ETH_ADDR_LEN);
	memcpy(o->token, "1234", 5);
	memcpy(o->market, "0xff", 5);
	o->side = 1;
	memcpy(o->price, "0.56", 5);
	memcpy(o->size, "21.04", 6);
	memcpy(o->type, "GTD", 4);
	o->expiration = 1800000000;
	o->created = 1700000000;
	o->status = TX_ORDER_CANCELED;
	assert_int_equal(tx_order_add(&st, o), 0);
	assert_int_equal(tx_store_save(&st, path, "openfish"), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	tx_state_init(&st2);
	assert_int_equal(tx_store_load(&st2, path, "openfish"), 0);
	assert_int_equal(st2.waitlist, 3);
	assert_int_equal(tx_invite_use(&st2, "CODE-1", 1), CV_ERR_NOTFOUND);
	assert_int_equal(tx_invite_use(&st2, "CODE-2", 1234), CV_ERR_STALE);
	assert_int_equal(tx_invite_use(&st2, "CODE-2", 1), 0);
	assert_non_null(a = tx_account_get(&st2, A, 0));
	assert_true(a->registered && a->closed_only);
	assert_non_null(k = tx_cred_by_nonce(&st2, A, 3));
	assert_non_null(k2 = tx_cred_by_key(&st2, TX_CRED_BUILDER, k2->key));
	assert_string_equal(k->secret, ((struct tx_cred *)
	    st.creds.v[0])->secret);
	assert_int_equal(k->valid_from_ms, 20);
	assert_string_equal(k2->builder_id, "b-1");
	assert_non_null(bal = tx_balance_get(&st2, A, TX_ASSET_COLLATERAL, "",
	    0));
	assert_string_equal(bal->chain, "77");
	assert_int_equal(st2.notifs.n, 1);
	/* A dropped id is not handed out again after a restart. */
	assert_int_equal(tx_notif_add(&st2, A, 1, "{}", 1, &id), 0);
	assert_int_equal(id, 3);
	assert_non_null(ok2 = tx_okey_by_id(&st2, ok->id));
	assert_string_equal(ok2->secret, ok->secret);
	assert_int_equal(ok2->nperms, 1);
	assert_string_equal(ok2->perms[0], "read");
	assert_non_null(o2 = tx_order_by_id(&st2, o->id));
	assert_ptr_equal(tx_order_by_hash(&st2, o->hash), o2);
	assert_memory_equal(o2, o, sizeof(*o));
	tx_state_free(&st2);

	/* Another profile's file is refused. */
	tx_state_init(&st2);
	assert_int_equal(tx_store_load(&st2, path, "polymarket"),
	    CV_ERR_CORRUPT);
	tx_state_free(&st2);
	tx_state_free(&st);
	unlink(path);
	free(path);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define HEAD	"{\"version\":1,\"profile\":\"openfish\",\"waitlist\":0," \
		"\"next_notification\":1,\"invites\":[],\"accounts\":[]," \
		"\"creds\":[],\"balances\":[],\"notifications\":[]," \
		"\"omnia_keys\":[],"
#define H	"0x00000000000000000000000000000000000000000000000000000000" \
		"000000ab"
#define ORDER(hash, status) \
	"{\"id\":\"o-1\",\"hash\":\"" hash "\",\"owner\":\"k\"," \
	"\"address\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"," \
	"\"maker\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"," \
	"\"token_id\":\"1234\",\"market\":\"0x1\",\"side\":\"BUY\"," \
	"\"price\":\"0.5\",\"size\":\"10\",\"order_type\":\"GTC\"," \
	"\"expiration\":0,\"created\":1,\"status\":\"" status "\"}"

static void
test_store_refusals(void **state)
{
	struct tx_state	 st;
	char		*path = tmpfile_path();
	static const char *const bad[] = {
		"",
		"[]",
		"{\"version\":2}",
		"{\"version\":1,\"profile\":\"openfish\",\"waitlist\":0,"
		    "\"next_notification\":1,\"invites\":[],\"accounts\":[],"
		    "\"creds\":[],\"balances\":[],\"notifications\":[]}",
		"{\"version\":1,\"profile\":\"openfish\",\"waitlist\":0,"
		    "\"next_notification\":1,\"invites\":[],\"accounts\":"
		    "[{\"address\":\"0x12\",\"registered\":true,"
		    "\"closed_only\":false,\"builder_id\":\"x\"}],\"creds\":[],"
		    "\"balances\":[],\"notifications\":[],\"omnia_keys\":[]}",
		"{\"version\":1,\"profile\":\"openfish\",\"waitlist\":0,"
		    "\"next_notification\":1,\"invites\":[{\"code\":\"a b\","
		    "\"expires\":0,\"used\":false}],\"accounts\":[],"
		    "\"creds\":[],\"balances\":[],\"notifications\":[],"
		    "\"omnia_keys\":[]}",
		"{\"version\":1,\"version\":1}",
		/* Orders, optional, are as strict as the rest. */
		HEAD "\"orders\":{}}",
		HEAD "\"orders\":[{\"id\":\"x\"}]}",
		HEAD "\"orders\":[" ORDER("0x12", "LIVE") "]}",
		HEAD "\"orders\":[" ORDER(H, "OPEN") "]}",
		HEAD "\"orders\":[" ORDER(H, "LIVE") "," ORDER(H, "LIVE") "]}",
		NULL,
	};
	size_t		 i;

	tx_state_init(&st);
	assert_int_equal(tx_store_load(&st, path, "openfish"), CV_ERR_NOTFOUND);
	tx_state_free(&st);
	for (i = 0; bad[i] != NULL; i++) {
		write_file(path, bad[i]);
		tx_state_init(&st);
		assert_int_not_equal(tx_store_load(&st, path, "openfish"), 0);
		tx_state_free(&st);
	}
	write_file(path, "{\"version\":2}");
	tx_state_init(&st);
	assert_int_equal(tx_store_load(&st, path, "openfish"),
	    CV_ERR_FORMAT_VERSION);
	tx_state_free(&st);
	/* A file from before orders loads, and one with an order. */
	write_file(path, "{\"version\":1,\"profile\":\"openfish\","
	    "\"waitlist\":0,\"next_notification\":1,\"invites\":[],"
	    "\"accounts\":[],\"creds\":[],\"balances\":[],"
	    "\"notifications\":[],\"omnia_keys\":[]}");
	tx_state_init(&st);
	assert_int_equal(tx_store_load(&st, path, "openfish"), 0);
	assert_int_equal(st.orders.n, 0);
	tx_state_free(&st);
	write_file(path, HEAD "\"orders\":[" ORDER(H, "LIVE") "]}");
	tx_state_init(&st);
	assert_int_equal(tx_store_load(&st, path, "openfish"), 0);
	assert_int_equal(st.orders.n, 1);
	tx_state_free(&st);
	unlink(path);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invites),
		cmocka_unit_test(test_creds),
		cmocka_unit_test(test_accounts_balances),
		cmocka_unit_test(test_notifs),
		cmocka_unit_test(test_omnia_tokens),
		cmocka_unit_test(test_markets),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_store_refusals),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
