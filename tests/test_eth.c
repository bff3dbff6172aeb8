/*
 * common/eth.c: addresses from keys, EIP-55 text and strict parsing.
 * The wallet comes from tests/vectors/clob_auth.json; the checksum
 * examples are the ones published in EIP-55 itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/encode.h"
#include "common/eth.h"
#include "common/secp.h"
#include "tests/vectors.h"


/* EIP-55's examples: all valid, including the all-caps and all-lower. */
static const char *const eip55_examples[] = {
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

static const char *
wallet_str(void **state, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(json_object_get(*state,
	    "wallet"), key));
	assert_non_null(s);
	return s;
}

/* Secret key 1: the public key is the generator G. */
static void
test_from_pubkey(void **state)
{
	static const char g_hex[] = "04"
	    "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	    "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
	uint8_t	pub[65], addr[ETH_ADDR_LEN];
	char	txt[ETH_ADDR_STRLEN];
	size_t	n;

	assert_int_equal(hex_decode(g_hex, strlen(g_hex), pub, sizeof(pub),
	    &n), 0);
	assert_int_equal(n, 65);
	eth_address_from_pubkey(pub, addr);
	eth_address_eip55(addr, txt);
	assert_string_equal(txt, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
	eth_address_lower(addr, txt);
	assert_string_equal(txt, "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
}

static void
test_wallet(void **state)
{
	struct secp256k1_context_struct	*ctx;
	const char	*key = wallet_str(state, "private_key");
	uint8_t		 sk[32], addr[ETH_ADDR_LEN], parsed[ETH_ADDR_LEN];
	char		 txt[ETH_ADDR_STRLEN];
	size_t		 n;

	assert_non_null(ctx = secp_ctx_new());
	assert_int_equal(hex_decode(key, strlen(key), sk, sizeof(sk), &n), 0);
	assert_int_equal(n, 32);
	assert_int_equal(secp_address(ctx, sk, addr), 0);

	eth_address_eip55(addr, txt);
	assert_string_equal(txt, wallet_str(state, "address_eip55"));
	eth_address_lower(addr, txt);
	assert_string_equal(txt, wallet_str(state, "address_lower"));

	assert_int_equal(eth_address_parse(wallet_str(state, "address_eip55"),
	    parsed), 0);
	assert_memory_equal(parsed, addr, ETH_ADDR_LEN);
	assert_int_equal(eth_address_parse(wallet_str(state, "address_lower"),
	    parsed), 0);
	assert_memory_equal(parsed, addr, ETH_ADDR_LEN);
	secp_ctx_free(ctx);
}

static void
test_eip55_examples(void **state)
{
	uint8_t	addr[ETH_ADDR_LEN];
	char	txt[ETH_ADDR_STRLEN];
	size_t	i;

	for (i = 0; i < sizeof(eip55_examples) / sizeof(eip55_examples[0]);
	    i++) {
		assert_int_equal(eth_address_parse(eip55_examples[i], addr), 0);
		eth_address_eip55(addr, txt);
		assert_string_equal(txt, eip55_examples[i]);
	}
}

static void
test_parse_case(void **state)
{
	uint8_t	addr[ETH_ADDR_LEN], want[ETH_ADDR_LEN];
	char	s[ETH_ADDR_STRLEN];
	size_t	i;

	assert_int_equal(eth_address_parse(
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", want), 0);

	/* All-upper digits carry no checksum and are accepted as is. */
	assert_int_equal(eth_address_parse(
	    "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", addr), 0);
	assert_memory_equal(addr, want, ETH_ADDR_LEN);
	assert_int_equal(eth_address_parse(
	    "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", addr), 0);
	assert_memory_equal(addr, want, ETH_ADDR_LEN);

	/* Flip the case of any one letter: the checksum no longer holds. */
	for (i = 2; i < ETH_ADDR_STRLEN - 1; i++) {
		memcpy(s, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		    sizeof(s));
		if (s[i] >= 'a' && s[i] <= 'f')
			s[i] -= 'a' - 'A';
		else if (s[i] >= 'A' && s[i] <= 'F')
			s[i] += 'a' - 'A';
		else
			continue;
		memset(addr, 0x5a, sizeof(addr));
		assert_int_equal(eth_address_parse(s, addr), CV_ERR_CHECKSUM);
		/* addr is left alone on failure */
		assert_int_equal(addr[0], 0x5a);
	}
	assert_int_equal(eth_address_parse(
	    "0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266", addr),
	    CV_ERR_CHECKSUM);
}

static void
test_parse_refused(void **state)
{
	uint8_t	addr[ETH_ADDR_LEN];

	/* no prefix, or the wrong one */
	assert_int_equal(eth_address_parse(
	    "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", addr), CV_ERR_DECODE);
	assert_int_equal(eth_address_parse(
	    "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", addr),
	    CV_ERR_DECODE);
	assert_int_equal(eth_address_parse(
	    "005aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", addr),
	    CV_ERR_DECODE);
	/* one digit short, one too many */
	assert_int_equal(eth_address_parse(
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", addr), CV_ERR_DECODE);
	assert_int_equal(eth_address_parse(
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0", addr),
	    CV_ERR_DECODE);
	/* a non-hex digit, a second prefix, a space */
	assert_int_equal(eth_address_parse(
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg", addr),
	    CV_ERR_DECODE);
	assert_int_equal(eth_address_parse(
	    "0x0x5aeb6053F3E94C9b9A09f33669435E7Ef1BeAe", addr),
	    CV_ERR_DECODE);
	assert_int_equal(eth_address_parse(
	    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe ", addr),
	    CV_ERR_DECODE);
	assert_int_equal(eth_address_parse("", addr), CV_ERR_DECODE);
	assert_int_equal(eth_address_parse("0x", addr), CV_ERR_DECODE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_pubkey),
		cmocka_unit_test(test_wallet),
		cmocka_unit_test(test_eip55_examples),
		cmocka_unit_test(test_parse_case),
		cmocka_unit_test(test_parse_refused),
	};

	return cmocka_run_group_tests(tests, vectors_setup, vectors_teardown);
}
