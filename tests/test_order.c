/*
 * common/order.c: the EIP-712 order hashes and signatures byte for byte
 * against tests/vectors/orders.json (a copy of the shared vector file,
 * which names its sources), the profiles' order domains, the strict
 * wire decoder with each refusal's exact code and field, the decimal
 * view the policy sees, and the signed POST /order(s) body byte for byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/encode.h"
#include "common/eth.h"
#include "common/keccak.h"
#include "common/order.h"
#include "common/profile.h"
#include "common/secp.h"
#include "tests/vectors.h"

/* vectors.h loads clob_auth.json; the order vectors are their own file. */
#define ORDER_VECTORS	"tests/vectors/orders.json"

#define ADDR_KEY	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define ADDR_FUNDER	"0x995c9b1f779c04e65AF8ea3360F96c43b5e62316"
#define ADDR_ZERO	"0x0000000000000000000000000000000000000000"
#define OWNER		"11111111-2222-3333-4444-555555555555"
#define Z64 \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define ZERO32		"0x" Z64
#define SIG_A \
	"0x302cd9abd0b5fcaa202a344437ec0b6660da984e24ae9ad915a592a90facf5a5" \
	"1bb8a873cd8d270f070217fea1986531d5eec66f1162a81f66e026db653bf7ce1c"
#define SIG_D \
	"0xb89102a9ec11c3862d8dda7285419cef9c98543587cff4ecb06746ca9d68227e" \
	"208059730490abee957b1b01da56705c60066f91d83d20e8cbf378592d3899441b"
#define SIG_V2_1 \
	"0x42c7b4857d51e344045fcfde17b37cf1290d784471ffe618c22aa56ea5ddcf00" \
	"09015b87ffb299813f5597e86d4ad56f40d634558d915edb719e6fc71dbc0d891c"

/* Vector A's order as TS 5.8.1 sends it (@polymarket/clob-client utilities.js orderToJson), signature last. */
#define ORDER_A_WIRE(salt, sig) \
	"{\"salt\":" salt ",\"maker\":\"" ADDR_KEY "\",\"signer\":\"" \
	ADDR_KEY "\",\"taker\":\"" ADDR_ZERO "\",\"tokenId\":\"1234\"," \
	"\"makerAmount\":\"100000000\",\"takerAmount\":\"50000000\"," \
	"\"side\":\"BUY\",\"expiration\":\"0\",\"nonce\":\"0\"," \
	"\"feeRateBps\":\"100\",\"signatureType\":0" sig "}"
#define BODY_A(order, owner) \
	"{\"deferExec\":false,\"order\":" order ",\"owner\":\"" owner "\"," \
	"\"orderType\":\"GTC\",\"postOnly\":false}"

/* The wallet key as order_batch_sign's callback: secp_sign, counted. */
struct wallet {
	struct secp256k1_context_struct	*ctx;
	uint8_t				 sk[32];
	uint8_t				 addr[ETH_ADDR_LEN];
	int				 calls;
	int				 fail;	/* return this instead */
	int				 v01;	/* give v as 0/1 */
};

struct fixture {
	json_t		*root;
	struct wallet	 w;
	uint8_t		 funder[ETH_ADDR_LEN];
	struct order_domain amoy;	/* vector A's domain */
};

static json_t *
order_vectors_load(void)
{
	json_error_t	 err;
	json_t		*root;

	if ((root = json_load_file(ORDER_VECTORS, JSON_REJECT_DUPLICATES,
	    &err)) == NULL)
		print_error("%s:%d: %s\n", ORDER_VECTORS, err.line, err.text);
	return root;
}

static int
wallet_sign(void *arg, const uint8_t digest[32], uint8_t sig[65])
{
	struct wallet	*w = arg;
	int		 r;

	w->calls++;
	if (w->fail != 0)
		return w->fail;
	if ((r = secp_sign(w->ctx, w->sk, digest, sig)) != 0)
		return r;
	if (w->v01)
		sig[64] -= 27;
	return 0;
}

/* Decode "0x..." hex of exactly len bytes. */
static void
unhex(const char *s, uint8_t *out, size_t len)
{
	size_t	n;

	assert_int_equal(hex_decode(s, strlen(s), out, len, &n), 0);
	assert_int_equal(n, len);
}

/* Assert bytes equal the "0x..." lowercase hex text want. */
static void
assert_hex(const uint8_t *p, size_t len, const char *want)
{
	char	got[2 + 2 * 65 + 1] = "0x";

	assert_true(len <= 65);
	hex_encode(p, len, got + 2);
	assert_string_equal(got, want);
}

static void
parse_addr(const char *s, uint8_t addr[ETH_ADDR_LEN])
{
	assert_int_equal(eth_address_parse(s, addr), 0);
}

/* A vector's domain; the strings stay the vector file's. */
static void
vec_domain(json_t *v, struct order_domain *d)
{
	json_t	*j = json_object_get(v, "domain");

	memset(d, 0, sizeof(*d));
	d->name = vec_str(j, "name");
	d->version = vec_str(j, "version");
	d->chain_id = vec_u64(j, "chainId");
	parse_addr(vec_str(j, "verifyingContract"), d->contract);
}

/*
 * A vector's order, through order_from_json: the vectors give side as
 * the signed number, the wire as "BUY"/"SELL", and V2 vectors leave out
 * taker and expiration, which the wire has and V2 does not sign.
 */
static void
vec_order(json_t *v, enum order_version version, struct order *o)
{
	json_t	*w = json_deep_copy(json_object_get(v, "order"));
	char	 why[256];

	assert_non_null(w);
	assert_int_equal(json_object_set_new(w, "side",
	    json_string(vec_u64(w, "side") == 0 ? "BUY" : "SELL")), 0);
	if (version == ORDER_V2) {
		assert_int_equal(json_object_set_new(w, "taker",
		    json_string(ADDR_ZERO)), 0);
		assert_int_equal(json_object_set_new(w, "expiration",
		    json_string("0")), 0);
	}
	if (order_from_json(w, version, o, why, sizeof(why)) != 0)
		fail_msg("%s: %s", vec_str(v, "name"), why);
	json_decref(w);
}

static json_t *
vec_list(struct fixture *f, const char *key, size_t n)
{
	json_t	*l = json_object_get(f->root, key);

	assert_true(json_is_array(l));
	assert_int_equal(json_array_size(l), n);
	return l;
}

static int
setup(void **state)
{
	struct fixture	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->root = order_vectors_load()) == NULL ||
	    (f->w.ctx = secp_ctx_new()) == NULL ||
	    hex_decode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae78"
	    "4d7bf4f2ff80", 64, f->w.sk, 32, &(size_t){ 0 }) != 0 ||
	    secp_address(f->w.ctx, f->w.sk, f->w.addr) != 0 ||
	    eth_address_parse(ADDR_FUNDER, f->funder) != 0 ||
	    eth_address_parse("0xdFE02Eb6733538f8Ea35D585af8DE5958AD99E40",
	    f->amoy.contract) != 0) {
		secp_ctx_free(f->w.ctx);
		json_decref(f->root);
		free(f);
		return -1;
	}
	f->amoy.name = "Polymarket CTF Exchange";
	f->amoy.version = "1";
	f->amoy.chain_id = 80002;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	secp_ctx_free(f->w.ctx);
	json_decref(f->root);
	free(f);
	return 0;
}

/* Each test starts with a wallet that signs, and counts from zero. */
static int
reset(void **state)
{
	struct fixture	*f = *state;

	f->w.calls = 0;
	f->w.fail = 0;
	f->w.v01 = 0;
	return 0;
}

static void
keccak_str(const char *s, uint8_t out[32])
{
	keccak256((const uint8_t *)s, strlen(s), out);
}

/* The type strings, their hashes (order.c keeps them as constants). */
static void
test_typehashes(void **state)
{
	struct fixture	*f = *state;
	uint8_t		 h[32];

	assert_string_equal(vec_str(f->root, "order_type"), ORDER_V1_TYPE);
	assert_string_equal(vec_str(f->root, "order_v2_type"), ORDER_V2_TYPE);
	keccak_str(ORDER_DOMAIN_TYPE, h);
	assert_hex(h, 32, vec_str(f->root, "domain_typehash"));
	keccak_str(ORDER_V1_TYPE, h);
	assert_hex(h, 32, vec_str(f->root, "order_typehash"));
	assert_hex(h, 32, "0xa852566c4e14d00869b6db0220888a9090a13eccdaea03"
	    "713ff0a3d27bf9767c");
	keccak_str(ORDER_V2_TYPE, h);
	assert_hex(h, 32, vec_str(f->root, "order_v2_typehash"));
	assert_hex(h, 32, "0xbb86318a2138f5fa8ae32fbe8e659f8fcf13cc6ae4014a"
	    "707893055433818589");
}

/* Each vector's hashes where it gives them, digest and signature. */
static void
check_vector(struct fixture *f, json_t *v, enum order_version version)
{
	struct order_domain	 d;
	struct order		 o;
	uint8_t			 h[32], sig[65], who[ETH_ADDR_LEN];
	uint8_t			 sk[32];
	const char		*s;

	vec_domain(v, &d);
	vec_order(v, version, &o);
	assert_int_equal(o.version, version);
	if ((s = json_string_value(json_object_get(v,
	    "domain_separator"))) != NULL) {
		order_domain_separator(&d, h);
		assert_hex(h, 32, s);
	}
	if ((s = json_string_value(json_object_get(v, "struct_hash"))) !=
	    NULL) {
		order_struct_hash(&o, h);
		assert_hex(h, 32, s);
	}
	order_digest(&d, &o, h);
	assert_hex(h, 32, vec_str(v, "digest"));

	unhex(vec_str(v, "private_key"), sk, sizeof(sk));
	assert_memory_equal(sk, f->w.sk, sizeof(sk));
	assert_int_equal(secp_sign(f->w.ctx, sk, h, sig), 0);
	assert_hex(sig, sizeof(sig), vec_str(v, "signature"));
	assert_int_equal(secp_recover(f->w.ctx, sig, h, who), 0);
	assert_memory_equal(who, f->w.addr, ETH_ADDR_LEN);
}

/* A, B, C, D (published) and O1 (Openfish, computed). */
static void
test_vectors_v1(void **state)
{
	struct fixture	*f = *state;
	json_t		*l = vec_list(f, "vectors", 5), *v;
	size_t		 i;

	json_array_foreach(l, i, v)
		check_vector(f, v, ORDER_V1);
}

/* V2: no published EOA vector; these two are viem's (tests/interop). */
static void
test_vectors_v2(void **state)
{
	struct fixture	*f = *state;
	json_t		*l = vec_list(f, "v2_vectors", 2), *v;
	size_t		 i;

	json_array_foreach(l, i, v)
		check_vector(f, v, ORDER_V2);
}

static void
assert_domain(const struct order_domain *got, const struct order_domain *want)
{
	assert_string_equal(got->name, want->name);
	assert_string_equal(got->version, want->version);
	assert_int_equal(got->chain_id, want->chain_id);
	assert_memory_equal(got->contract, want->contract, ETH_ADDR_LEN);
}

static void
test_domain_for(void **state)
{
	struct fixture		*f = *state;
	json_t			*v1 = vec_list(f, "vectors", 5);
	json_t			*v2 = vec_list(f, "v2_vectors", 2);
	struct order_domain	 d, want;
	uint8_t			 h[32];

	/* Openfish: O1's domain for every market */
	vec_domain(json_array_get(v1, 4), &want);
	assert_int_equal(order_domain_for("openfish", ORDER_V1, 0, &d), 0);
	assert_domain(&d, &want);
	order_domain_separator(&d, h);
	assert_hex(h, 32, vec_str(json_array_get(v1, 4), "domain_separator"));
	assert_int_equal(order_domain_for("openfish", ORDER_V1, 1, &d), 0);
	assert_domain(&d, &want);
	assert_int_equal(order_domain_for("openfish", ORDER_V1, 7, &d), 0);
	assert_domain(&d, &want);
	assert_int_equal(d.chain_id, profile_find("openfish")->chain_id);

	/* Polymarket V1: C's exchange on 137; the neg-risk one is B's */
	vec_domain(json_array_get(v1, 2), &want);
	assert_int_equal(order_domain_for("polymarket", ORDER_V1, 0, &d), 0);
	assert_domain(&d, &want);
	assert_int_equal(d.chain_id, profile_find("polymarket")->chain_id);
	vec_domain(json_array_get(v1, 1), &want);
	want.chain_id = 137;
	assert_int_equal(order_domain_for("polymarket", ORDER_V1, 1, &d), 0);
	assert_domain(&d, &want);

	/* Polymarket V2 */
	vec_domain(json_array_get(v2, 0), &want);
	assert_int_equal(order_domain_for("polymarket", ORDER_V2, 0, &d), 0);
	assert_domain(&d, &want);
	vec_domain(json_array_get(v2, 1), &want);
	assert_int_equal(order_domain_for("polymarket", ORDER_V2, 1, &d), 0);
	assert_domain(&d, &want);

	/* what has no orders, or not that version */
	assert_int_equal(order_domain_for("openfish", ORDER_V2, 0, &d),
	    CV_ERR_NOTFOUND);
	assert_int_equal(order_domain_for("omnia", ORDER_V1, 0, &d),
	    CV_ERR_NOTFOUND);
	assert_int_equal(order_domain_for("omnia", ORDER_V2, 0, &d),
	    CV_ERR_NOTFOUND);
	assert_int_equal(order_domain_for("Polymarket", ORDER_V1, 0, &d),
	    CV_ERR_NOTFOUND);
	assert_int_equal(order_domain_for("", ORDER_V1, 0, &d),
	    CV_ERR_NOTFOUND);
	assert_int_equal(order_domain_for("polymarket", (enum order_version)3,
	    0, &d), CV_ERR_NOTFOUND);
	assert_null(d.name);
}

/*
 * Vector A's order signed for chain 56 with Polymarket's name is not an
 * Openfish order: the name is part of the domain (the Openfish SDK, billcheung10/openfish-cli).
 */
static void
test_wrong_name_chain56(void **state)
{
	struct fixture		*f = *state;
	json_t			*o1 = json_array_get(vec_list(f, "vectors", 5), 4);
	struct order_domain	 d;
	struct order		 o;
	uint8_t			 h[32], o1_digest[32];
	char			 hex[65];

	vec_order(json_array_get(vec_list(f, "vectors", 5), 0), ORDER_V1, &o);
	assert_int_equal(order_domain_for("openfish", ORDER_V1, 0, &d), 0);
	order_digest(&d, &o, o1_digest);
	assert_hex(o1_digest, 32, vec_str(o1, "digest"));

	d.name = "Polymarket CTF Exchange";
	order_digest(&d, &o, h);
	assert_memory_not_equal(h, o1_digest, 32);
	hex_encode(h, 32, hex);
	assert_memory_equal(hex, "5fb4d6b6", 8);
	assert_string_equal(hex + 60, "bf56");
}

/* The V2 encoding made by hand from the type string. */
static void
v2_by_hand(const struct order *o, uint8_t out[32])
{
	uint8_t	enc[12 * 32];

	memset(enc, 0, sizeof(enc));
	keccak_str(ORDER_V2_TYPE, enc);
	memcpy(enc + 32, o->salt, 32);
	memcpy(enc + 2 * 32 + 12, o->maker, ETH_ADDR_LEN);
	memcpy(enc + 3 * 32 + 12, o->signer, ETH_ADDR_LEN);
	memcpy(enc + 4 * 32, o->token_id, 32);
	memcpy(enc + 5 * 32, o->maker_amount, 32);
	memcpy(enc + 6 * 32, o->taker_amount, 32);
	enc[7 * 32 + 31] = (uint8_t)o->side;
	enc[8 * 32 + 31] = o->signature_type;
	memcpy(enc + 9 * 32, o->timestamp, 32);
	memcpy(enc + 10 * 32, o->metadata, 32);
	memcpy(enc + 11 * 32, o->builder, 32);
	keccak256(enc, sizeof(enc), out);
}

/*
 * V2 signs salt, maker, signer, tokenId, both amounts, side,
 * signatureType, timestamp, metadata and builder; it sends taker and
 * expiration unsigned, and has no nonce or fee.  V1 signs taker,
 * expiration, nonce and fee.
 */
static void
test_v2_signed_fields(void **state)
{
	struct fixture	*f = *state;
	json_t		*v = json_array_get(vec_list(f, "v2_vectors", 2), 1);
	struct order	 base, o;
	uint8_t		 h0[32], h[32], want[32];
	size_t		 i;
	static const size_t signed_off[] = {
		offsetof(struct order, salt), offsetof(struct order, maker),
		offsetof(struct order, signer),
		offsetof(struct order, token_id),
		offsetof(struct order, maker_amount),
		offsetof(struct order, taker_amount),
		offsetof(struct order, timestamp),
		offsetof(struct order, metadata),
		offsetof(struct order, builder),
	};
	static const size_t unsigned_off[] = {
		offsetof(struct order, taker),
		offsetof(struct order, expiration),
		offsetof(struct order, nonce),
		offsetof(struct order, fee_rate_bps),
	};

	vec_order(v, ORDER_V2, &base);
	order_struct_hash(&base, h0);
	assert_hex(h0, 32, vec_str(v, "struct_hash"));
	v2_by_hand(&base, want);
	assert_memory_equal(h0, want, 32);

	for (i = 0; i < sizeof(signed_off) / sizeof(signed_off[0]); i++) {
		o = base;
		((uint8_t *)&o)[signed_off[i] + 5] ^= 0x40;
		order_struct_hash(&o, h);
		assert_memory_not_equal(h, h0, 32);
		v2_by_hand(&o, want);
		assert_memory_equal(h, want, 32);
	}
	o = base;
	o.side = ORDER_BUY;
	order_struct_hash(&o, h);
	assert_memory_not_equal(h, h0, 32);
	o = base;
	o.signature_type = 1;
	order_struct_hash(&o, h);
	assert_memory_not_equal(h, h0, 32);

	for (i = 0; i < sizeof(unsigned_off) / sizeof(unsigned_off[0]); i++) {
		o = base;
		memset((uint8_t *)&o + unsigned_off[i], 0x5a, ETH_ADDR_LEN);
		order_struct_hash(&o, h);
		assert_memory_equal(h, h0, 32);
	}

	/* the same values as V1 sign taker and expiration */
	vec_order(json_array_get(vec_list(f, "vectors", 5), 0), ORDER_V1,
	    &base);
	order_struct_hash(&base, h0);
	for (i = 0; i < sizeof(unsigned_off) / sizeof(unsigned_off[0]); i++) {
		o = base;
		((uint8_t *)&o)[unsigned_off[i] + 19] ^= 1;
		order_struct_hash(&o, h);
		assert_memory_not_equal(h, h0, 32);
	}
}

/* A uint256 from a decimal that fits in 64 bits. */
static void
u256(uint8_t out[32], uint64_t v)
{
	int	i;

	memset(out, 0, 32);
	for (i = 31; i >= 24; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static void
assert_view(enum order_side side, uint64_t maker, uint64_t taker,
    const char *size, const char *notional, const char *price)
{
	struct order		o;
	struct order_view	v;

	memset(&o, 0, sizeof(o));
	o.version = ORDER_V1;
	o.side = side;
	u256(o.maker_amount, maker);
	u256(o.taker_amount, taker);
	u256(o.token_id, 1234);
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.side, side == ORDER_BUY ? "BUY" : "SELL");
	assert_string_equal(v.token, "1234");
	assert_string_equal(v.size, size);
	assert_string_equal(v.notional, notional);
	assert_string_equal(v.price, price);
}

/* Every row of the worked amounts (RS tests/order.rs, TS agrees). */
static void
test_view_table(void **state)
{
	(void)state;
	assert_view(ORDER_BUY, 10520000, 21040000, "21.04", "10.52", "0.5");
	assert_view(ORDER_BUY, 11782400, 21040000, "21.04", "11.7824",
	    "0.56");
	assert_view(ORDER_BUY, 1178240, 21040000, "21.04", "1.17824",
	    "0.056");
	assert_view(ORDER_BUY, 117824, 21040000, "21.04", "0.117824",
	    "0.0056");
	assert_view(ORDER_BUY, 10575331400, 18233330000, "18233.33",
	    "10575.3314", "0.58");
	assert_view(ORDER_BUY, 51200000, 100000000, "100", "51.2", "0.512");
	assert_view(ORDER_SELL, 101000000, 82820000, "101", "82.82", "0.82");
	assert_view(ORDER_SELL, 2435890000, 949997100, "2435.89", "949.9971",
	    "0.39");
	assert_view(ORDER_SELL, 19100000, 8213000, "19.1", "8.213", "0.43");
	/* RS market BUY $100 at 0.56 */
	assert_view(ORDER_BUY, 100000000, 178571400, "178.5714", "100",
	    "0.560000089600014337");
}

/*
 * The other fields the policy sees: expiration, the fee rate (a V1
 * order's only), the taker in lowercase hex, the signature type.
 */
static void
test_view_fields(void **state)
{
	struct order		o;
	struct order_view	v;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.version = ORDER_V1;
	o.side = ORDER_SELL;
	u256(o.maker_amount, 1000000);
	u256(o.taker_amount, 500000);
	u256(o.expiration, 1767225600);
	u256(o.fee_rate_bps, 1000);
	memset(o.taker, 0xAB, sizeof(o.taker));
	o.taker[19] = 0x0f;
	o.signature_type = 2;
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.expiration, "1767225600");
	assert_string_equal(v.fee_rate, "1000");
	assert_string_equal(v.taker,
	    "0xababababababababababababababababababab0f");
	assert_string_equal(v.signature_type, "2");
	/* a V2 order carries no fee rate; a zero expiration is "0" */
	o.version = ORDER_V2;
	u256(o.expiration, 0);
	memset(o.taker, 0, sizeof(o.taker));
	o.signature_type = 0;
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.expiration, "0");
	assert_string_equal(v.fee_rate, "");
	assert_string_equal(v.taker,
	    "0x0000000000000000000000000000000000000000");
	assert_string_equal(v.signature_type, "0");
	/* a signature type no order has */
	o.signature_type = 10;
	assert_int_equal(order_view(&o, &v), CV_ERR_INVALID);
}

/* Prices that do not end within 18 places are rounded up there. */
static void
test_view_rounding(void **state)
{
	(void)state;
	assert_view(ORDER_BUY, 1000000, 3000000, "3", "1",
	    "0.333333333333333334");
	assert_view(ORDER_SELL, 3000000, 2000000, "3", "2",
	    "0.666666666666666667");
	assert_view(ORDER_BUY, 1, 7, "0.000007", "0.000001",
	    "0.142857142857142858");
	/* 2^-18 ends at the 18th place; 2^-19 does not */
	assert_view(ORDER_BUY, 1, 262144, "0.262144", "0.000001",
	    "0.000003814697265625");
	assert_view(ORDER_BUY, 1, 524288, "0.524288", "0.000001",
	    "0.000001907348632813");
	assert_view(ORDER_BUY, 1, 1024, "0.001024", "0.000001",
	    "0.0009765625");
	/* nothing to pay: price 0; whole numbers keep no point */
	assert_view(ORDER_BUY, 0, 5000000, "5", "0", "0");
	assert_view(ORDER_SELL, 1000000, 7000000, "1", "7", "7");
	assert_view(ORDER_BUY, 3, 1000000000000000000ULL,
	    "1000000000000", "0.000003", "0.000000000000000003");
	assert_view(ORDER_BUY, 1, 1000000000000000001ULL,
	    "1000000000000.000001", "0.000001", "0.000000000000000001");
}

static void
test_view_extremes(void **state)
{
	static const char max[] = "115792089237316195423570985008687907853269"
	    "984665640564039457584007913129639935";
	static const char max6[] = "115792089237316195423570985008687907853"
	    "269984665640564039457584007913129.639935";
	struct order		o;
	struct order_view	v;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.version = ORDER_V1;
	o.side = ORDER_BUY;
	memset(o.token_id, 0xff, 32);
	memset(o.maker_amount, 0xff, 32);
	u256(o.taker_amount, 1);
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.token, max);
	assert_string_equal(v.notional, max6);
	assert_string_equal(v.size, "0.000001");
	assert_string_equal(v.price, max);
	assert_string_equal(v.builder, "");	/* V1 has none */

	/* a V2 order's builder code, which its fee goes to */
	o.version = ORDER_V2;
	o.builder[0] = 0xab;
	o.builder[31] = 0x01;
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.builder, "0xab000000000000000000000000000000"
	    "00000000000000000000000000000001");
	assert_string_equal(v.fee_rate, "");
	o.version = ORDER_V1;
	memset(o.builder, 0, 32);

	/* the largest size against the smallest notional */
	o.side = ORDER_SELL;
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.size, max6);
	assert_string_equal(v.notional, "0.000001");
	assert_string_equal(v.price, "0.000000000000000001");

	/* both largest */
	memset(o.taker_amount, 0xff, 32);
	assert_int_equal(order_view(&o, &v), 0);
	assert_string_equal(v.price, "1");

	/* no size, no price; nor a side that is neither */
	memset(o.maker_amount, 0, 32);
	assert_int_equal(order_view(&o, &v), CV_ERR_INVALID);
	o.side = ORDER_BUY;
	memset(o.taker_amount, 0, 32);
	memset(o.maker_amount, 0, 32);
	assert_int_equal(order_view(&o, &v), CV_ERR_INVALID);
	u256(o.taker_amount, 1);
	o.side = (enum order_side)2;
	assert_int_equal(order_view(&o, &v), CV_ERR_INVALID);
}

/* Vector A's order with key set to val (deleted when val is NULL). */
static json_t *
order_a_with(const char *key, json_t *val)
{
	json_error_t	 err;
	json_t		*o;

	o = json_loads(ORDER_A_WIRE("479249096354", ""), 0, &err);
	assert_non_null(o);
	if (val == NULL)
		assert_int_equal(json_object_del(o, key), 0);
	else
		assert_int_equal(json_object_set_new(o, key, val), 0);
	return o;
}

/* order_from_json refuses it, CV_ERR_INVALID, with exactly want. */
static void
refused(const char *key, json_t *val, const char *want)
{
	json_t		*o = order_a_with(key, val);
	struct order	 d;
	char		 why[256];

	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(order_from_json(o, ORDER_V1, &d, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, want);
	assert_int_equal(d.version, 0);	/* zeroed, not half-read */
	json_decref(o);
}

static void
accepted(const char *key, json_t *val, enum order_version version)
{
	json_t		*o = order_a_with(key, val);
	struct order	 d;
	char		 why[256];

	if (order_from_json(o, version, &d, why, sizeof(why)) != 0)
		fail_msg("%s: %s", key, why);
	json_decref(o);
}

static void
test_from_json_refusals(void **state)
{
	(void)state;
	/* missing, unknown, of the other version */
	refused("makerAmount", NULL, "order.makerAmount: missing");
	refused("signatureType", NULL, "order.signatureType: missing");
	refused("price", json_string("0.5"),
	    "order.price: unknown member of a version 1 order");
	refused("timestamp", json_string("1"),
	    "order.timestamp: unknown member of a version 1 order");
	refused("\x01\xc3\xa9", json_true(),
	    "order.???: unknown member of a version 1 order");
	refused("abcdefghijklmnopqrstuvwxyz0123456789", json_true(),
	    "order.abcdefghijklmnopqrstuvwxyz012345...: unknown member of "
	    "a version 1 order");

	/* salt */
	refused("salt", json_integer(9007199254740992LL),
	    "order.salt: over 2^53-1");
	refused("salt", json_string("9007199254740992"),
	    "order.salt: over 2^53-1");
	refused("salt", json_string("1" "0000000000000000000000000000"),
	    "order.salt: over 2^53-1");
	refused("salt", json_integer(-1), "order.salt: negative");
	refused("salt", json_string("-1"), "order.salt: has a sign");
	refused("salt", json_real(1.0),
	    "order.salt: not a JSON integer or decimal string");
	refused("salt", json_null(),
	    "order.salt: not a JSON integer or decimal string");

	/* uint256 decimals */
	refused("makerAmount", json_string("-100"),
	    "order.makerAmount: has a sign");
	refused("makerAmount", json_string("+100"),
	    "order.makerAmount: has a sign");
	refused("makerAmount", json_string("0100"),
	    "order.makerAmount: has a leading zero");
	refused("takerAmount", json_string("00"),
	    "order.takerAmount: has a leading zero");
	refused("makerAmount", json_string("1e8"),
	    "order.makerAmount: not a whole decimal number");
	refused("makerAmount", json_string("100.0"),
	    "order.makerAmount: not a whole decimal number");
	refused("makerAmount", json_string(" 100"),
	    "order.makerAmount: not a whole decimal number");
	refused("makerAmount", json_string("0x10"),
	    "order.makerAmount: not a whole decimal number");
	refused("makerAmount", json_string(""), "order.makerAmount: empty");
	refused("makerAmount", json_integer(100000000),
	    "order.makerAmount: not a JSON string");
	refused("makerAmount", json_stringn("1\0" "2", 3),
	    "order.makerAmount: not a JSON string");
	refused("tokenId", json_string("1157920892373161954235709850086879078"
	    "53269984665640564039457584007913129639936"),
	    "order.tokenId: over 2^256-1");
	refused("tokenId", json_string("1000000000000000000000000000000000000"
	    "000000000000000000000000000000000000000000"),
	    "order.tokenId: over 2^256-1");

	/* side, signatureType, fee */
	refused("side", json_string("buy"),
	    "order.side: not \"BUY\" or \"SELL\"");
	refused("side", json_string("BUYS"),
	    "order.side: not \"BUY\" or \"SELL\"");
	refused("side", json_integer(0),
	    "order.side: not a JSON string");
	refused("signatureType", json_integer(3),
	    "order.signatureType: not 0, 1 or 2");
	refused("signatureType", json_integer(-1),
	    "order.signatureType: negative");
	refused("signatureType", json_string("0"),
	    "order.signatureType: not 0, 1 or 2");
	refused("signatureType", json_real(0.0),
	    "order.signatureType: not 0, 1 or 2");
	refused("feeRateBps", json_string("1001"),
	    "order.feeRateBps: over 1000");
	refused("feeRateBps", json_string("65536"),
	    "order.feeRateBps: over 1000");
	refused("feeRateBps", json_string("1" "00000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000"),
	    "order.feeRateBps: over 1000");

	/* addresses */
	refused("maker", json_string("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb9226"),
	    "order.maker: not an address (0x and 40 hex digits)");
	refused("maker", json_string("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
	    "order.maker: not an address (0x and 40 hex digits)");
	refused("signer", json_string("0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
	    "order.signer: not an address (0x and 40 hex digits)");
	refused("taker", json_string("0x0x00000000000000000000000000000000000000"),
	    "order.taker: not an address (0x and 40 hex digits)");
	refused("maker", json_string("0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
	    "order.maker: mixed case without a valid EIP-55 checksum");
	refused("maker", json_null(), "order.maker: not a JSON string");

	/* signature: any string, nothing else */
	refused("signature", json_integer(1),
	    "order.signature: not a JSON string");

	/* and what passes */
	accepted("salt", json_integer(9007199254740991LL), ORDER_V1);
	accepted("salt", json_string("9007199254740991"), ORDER_V1);
	accepted("salt", json_integer(0), ORDER_V1);
	accepted("feeRateBps", json_string("1000"), ORDER_V1);
	accepted("tokenId", json_string("1157920892373161954235709850086879078"
	    "53269984665640564039457584007913129639935"), ORDER_V1);
	accepted("maker", json_string("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
	    ORDER_V1);
	accepted("maker", json_string("0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"),
	    ORDER_V1);
	accepted("signature", json_string(""), ORDER_V1);
	accepted("signatureType", json_integer(2), ORDER_V1);
	accepted("side", json_string("SELL"), ORDER_V1);
}

/* The V2 wire order of clob-client-v2 (orderToJsonV2), in the client's key order. */
#define ORDER_V2_WIRE(extra) \
	"{\"salt\":479249096354,\"maker\":\"" ADDR_KEY "\",\"signer\":\"" \
	ADDR_KEY "\",\"taker\":\"" ADDR_ZERO "\",\"tokenId\":\"1234\"," \
	"\"makerAmount\":\"100000000\",\"takerAmount\":\"50000000\"," \
	"\"side\":\"BUY\",\"signatureType\":0," \
	"\"timestamp\":\"1710000000000\",\"expiration\":\"0\"," \
	"\"metadata\":\"" ZERO32 "\",\"builder\":\"" ZERO32 "\"" extra "}"

static void
v2_refused(const char *key, json_t *val, const char *want)
{
	json_error_t	 err;
	json_t		*o = json_loads(ORDER_V2_WIRE(""), 0, &err);
	struct order	 d;
	char		 why[256];

	assert_non_null(o);
	if (val == NULL)
		assert_int_equal(json_object_del(o, key), 0);
	else
		assert_int_equal(json_object_set_new(o, key, val), 0);
	assert_int_equal(order_from_json(o, ORDER_V2, &d, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, want);
	json_decref(o);
}

static void
test_from_json_v2(void **state)
{
	json_error_t	 err;
	json_t		*o = json_loads(ORDER_V2_WIRE(""), 0, &err);
	struct order	 d;
	char		 why[256];

	(void)state;
	assert_non_null(o);
	assert_int_equal(order_from_json(o, ORDER_V2, &d, why, sizeof(why)),
	    0);
	assert_int_equal(d.version, ORDER_V2);
	assert_int_equal(d.timestamp[31], 1710000000000ULL & 0xff);
	/* a V2 order is not a V1 order */
	assert_int_equal(order_from_json(o, ORDER_V1, &d, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why,
	    "order.timestamp: unknown member of a version 1 order");
	assert_int_equal(order_from_json(o, (enum order_version)3, &d, why,
	    sizeof(why)), CV_ERR_INVALID);
	json_decref(o);

	v2_refused("timestamp", NULL, "order.timestamp: missing");
	v2_refused("expiration", NULL, "order.expiration: missing");
	v2_refused("taker", NULL, "order.taker: missing");
	v2_refused("nonce", json_string("0"),
	    "order.nonce: unknown member of a version 2 order");
	v2_refused("feeRateBps", json_string("0"),
	    "order.feeRateBps: unknown member of a version 2 order");
	v2_refused("metadata", json_string("0x00"),
	    "order.metadata: not 0x and 64 hex digits");
	v2_refused("builder", json_string(ZERO32 "0"),
	    "order.builder: not 0x and 64 hex digits");
	v2_refused("builder", json_string("0X" Z64),
	    "order.builder: not 0x and 64 hex digits");
	v2_refused("metadata", json_stringn("0x0x" Z64, 66),
	    "order.metadata: not 0x and 64 hex digits");
	v2_refused("metadata", json_string("00" Z64),
	    "order.metadata: not 0x and 64 hex digits");
	v2_refused("metadata", json_integer(0),
	    "order.metadata: not a JSON string");
	v2_refused("timestamp", json_integer(1710000000000LL),
	    "order.timestamp: not a JSON string");
	v2_refused("signatureType", json_integer(3),
	    "order.signatureType: not 0, 1 or 2");

	o = json_loads(ORDER_V2_WIRE(""), 0, &err);
	assert_int_equal(json_object_set_new(o, "builder", json_string(
	    "0xABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB"
	    "ABCD")), 0);
	assert_int_equal(order_from_json(o, ORDER_V2, &d, why, sizeof(why)),
	    0);
	assert_int_equal(d.builder[0], 0xab);
	assert_int_equal(d.builder[31], 0xcd);
	json_decref(o);
}

/* order_batch_parse refuses body, with exactly want. */
static void
body_refused(const char *body, size_t len, int is_batch, const char *want)
{
	struct order_batch	b;
	char			why[256];

	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(order_batch_parse((const uint8_t *)body, len,
	    is_batch, ORDER_V1, &b, why, sizeof(why)), CV_ERR_INVALID);
	if (want != NULL)
		assert_string_equal(why, want);
	assert_null(b.root);
	assert_int_equal(b.n, 0);
	order_batch_free(&b);
}

#define BODY_REFUSED(s, batch, want) \
	body_refused(s, sizeof(s) - 1, batch, want)

static void
test_batch_parse_refusals(void **state)
{
	static const char ok[] = BODY_A(ORDER_A_WIRE("1", ""), "x");
	struct order_batch	b;
	char			why[256], body[8192];
	size_t			i;
	int			n;

	(void)state;
	assert_int_equal(order_batch_parse((const uint8_t *)ok,
	    sizeof(ok) - 1, 0, ORDER_V1, &b, why, sizeof(why)), 0);
	assert_int_equal(b.n, 1);
	order_batch_free(&b);
	order_batch_free(&b);
	order_batch_free(NULL);

	/* a key twice, anywhere */
	BODY_REFUSED("{\"order\":{\"salt\":1,\"maker\":\"" ADDR_KEY "\","
	    "\"makerAmount\":\"1\",\"makerAmount\":\"2\"}}", 0, NULL);
	/*
	 * Where jansson stopped, never its text: it quotes the body near
	 * the fault (the key twice, a word where a value goes).
	 */
	BODY_REFUSED("{\"order\":{\"salt\":1,\"Hunter2\":1,\"Hunter2\":1}}",
	    0, "body: duplicate object key (at byte 40)");
	BODY_REFUSED("{\"order\": Hunter2}", 0, "body: not JSON (at byte 16)");
	BODY_REFUSED("{\"order\": \"Hunter2", 0,
	    "body: not JSON (at byte 18)");
	BODY_REFUSED("", 0, "body: not JSON (at byte 0)");
	BODY_REFUSED("{\"owner\":\"a\",\"order\":" ORDER_A_WIRE("1", "")
	    ",\"owner\":\"b\"}", 0, NULL);
	BODY_REFUSED("[{\"order\":" ORDER_A_WIRE("1", ",\"side\":\"SELL\"")
	    "}]", 1, NULL);

	/* not UTF-8, a NUL byte, not one JSON value */
	BODY_REFUSED("{\"order\":{},\"x\":\"\xff\"}", 0,
	    "body: not UTF-8 text without NUL bytes");
	BODY_REFUSED("{\"order\":{}}\0", 0,
	    "body: not UTF-8 text without NUL bytes");
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") "} {}", 0, NULL);
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") "}x", 0, NULL);
	BODY_REFUSED("\"order\"", 0, NULL);
	BODY_REFUSED("", 0, NULL);
	BODY_REFUSED("{\"order\":{\"salt\":\"\\u0000\"}}", 0, NULL);

	/* shape */
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") "]", 0,
	    "body: not a JSON object");
	BODY_REFUSED(BODY_A(ORDER_A_WIRE("1", ""), "x"), 1,
	    "body: not a JSON array of orders");
	BODY_REFUSED("[]", 1, "body: 0 orders; a batch holds 1 to 15");
	BODY_REFUSED("{}", 0, "body: no member \"order\"");
	BODY_REFUSED("[{}]", 1, "order 1: no member \"order\"");
	BODY_REFUSED("{\"order\":[]}", 0, "order: not a JSON object");
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") ",7]", 1,
	    "order 2: not a JSON object");
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") ","
	    BODY_A(ORDER_A_WIRE("2", ",\"nonce\":\"01\""), "x") "]", 1,
	    NULL);
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") ",{\"order\":"
	    "{\"salt\":1}}]", 1, "order 2: order.maker: missing");

	/* 15 orders pass, 16 do not */
	for (n = 15; n <= 16; n++) {
		body[0] = '[';
		body[1] = '\0';
		for (i = 0; i < (size_t)n; i++) {
			strcat(body, i ? "," : "");
			strcat(body, "{\"order\":" ORDER_A_WIRE("1", "") "}");
		}
		strcat(body, "]");
		memset(&b, 0, sizeof(b));
		assert_int_equal(order_batch_parse((const uint8_t *)body,
		    strlen(body), 1, ORDER_V1, &b, why, sizeof(why)),
		    n == 15 ? 0 : CV_ERR_INVALID);
		if (n == 15)
			assert_int_equal(b.n, 15);
		else
			assert_string_equal(why,
			    "body: 16 orders; a batch holds 1 to 15");
		order_batch_free(&b);
	}

	/*
	 * nine deep is refused wherever the nesting is; eight deep gets
	 * past that check, to the member that holds it
	 */
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") ",\"x\":[[[[[[[[1]]]]"
	    "]]]]}", 0, "body: nested deeper than 8");
	BODY_REFUSED("[{\"order\":" ORDER_A_WIRE("1", "") ",\"x\":[[[[[[{}]]]]"
	    "]]}]", 1, "body: nested deeper than 8");
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") ",\"x\":[[[[[[[1]]]]"
	    "]]]}", 0, "x: unknown member beside the order (owner, "
	    "orderType, postOnly, deferExec)");
}

/*
 * Beside its order an element holds only what the SDKs send.  The
 * policy reads "orderType", "postOnly" and "deferExec" by their exact
 * names; an exchange that matches names without regard to case (Go's
 * encoding/json) would read a later "ordertype" as the order type, or
 * an "Order" as more of the order, so such bodies used to be signed
 * with handling the policy never saw.
 */
static void
test_batch_element_members(void **state)
{
	static const char ok[] = "[" BODY_A(ORDER_A_WIRE("1", ""), "x") "]";
	struct order_batch	b;
	char			why[256];

	(void)state;
	assert_int_equal(order_batch_parse((const uint8_t *)ok,
	    sizeof(ok) - 1, 1, ORDER_V1, &b, why, sizeof(why)), 0);
	order_batch_free(&b);

	BODY_REFUSED("{\"orderType\":\"GTC\",\"order\":" ORDER_A_WIRE("1",
	    "") ",\"ordertype\":\"FOK\"}", 0, "ordertype: unknown member "
	    "beside the order (owner, orderType, postOnly, deferExec)");
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") ",\"PostOnly\":"
	    "true}", 0, "PostOnly: unknown member beside the order (owner, "
	    "orderType, postOnly, deferExec)");
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") ",\"Order\":"
	    "{\"expiration\":\"1\"}}", 0, "Order: unknown member beside the "
	    "order (owner, orderType, postOnly, deferExec)");
	/* a \\u escape spells the same name: still not a member */
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") ",{\"order\":"
	    ORDER_A_WIRE("2", "") ",\"deferexe\\u0063\":true}]", 1,
	    "order 2: deferexec: unknown member beside the order (owner, "
	    "orderType, postOnly, deferExec)");
	BODY_REFUSED("{\"order\":" ORDER_A_WIRE("1", "") ",\"\":1}", 0,
	    ": unknown member beside the order (owner, orderType, postOnly, "
	    "deferExec)");
}

/*
 * The handling beside each order: read as the exchange reads it, with
 * its defaults when absent, and refused when of another type or value.
 */
static void
test_batch_flags(void **state)
{
	static const char one[] = "{\"order\":" ORDER_A_WIRE("1", "") "}";
	static const char two[] = "[" BODY_A(ORDER_A_WIRE("1", ""), "x") ","
	    "{\"postOnly\":true,\"orderType\":\"GTD\",\"deferExec\":true,"
	    "\"order\":" ORDER_A_WIRE("2", "") "}]";
	struct order_batch	b;
	struct order_view	v;
	char			why[256];

	(void)state;
	assert_int_equal(order_batch_parse((const uint8_t *)one,
	    sizeof(one) - 1, 0, ORDER_V1, &b, why, sizeof(why)), 0);
	assert_string_equal(b.f[0].type, "GTC");
	assert_int_equal(b.f[0].post_only, 0);
	assert_int_equal(b.f[0].defer_exec, 0);
	order_batch_free(&b);

	assert_int_equal(order_batch_parse((const uint8_t *)two,
	    sizeof(two) - 1, 1, ORDER_V1, &b, why, sizeof(why)), 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.f[0].type, "GTC");
	assert_int_equal(b.f[0].post_only, 0);
	assert_string_equal(b.f[1].type, "GTD");
	assert_int_equal(b.f[1].post_only, 1);
	assert_int_equal(b.f[1].defer_exec, 1);
	assert_int_equal(order_view(&b.o[1], &v), 0);
	assert_string_equal(v.type, "");
	order_view_flags(&b.f[1], &v);
	assert_string_equal(v.type, "GTD");
	assert_string_equal(v.post_only, "true");
	assert_string_equal(v.defer_exec, "true");
	order_view_flags(&b.f[0], &v);
	assert_string_equal(v.type, "GTC");
	assert_string_equal(v.post_only, "false");
	assert_string_equal(v.defer_exec, "false");
	order_batch_free(&b);

	BODY_REFUSED("{\"orderType\":\"gtc\",\"order\":" ORDER_A_WIRE("1",
	    "") "}", 0, "orderType: not \"GTC\", \"GTD\", \"FOK\" or \"FAK\"");
	BODY_REFUSED("{\"orderType\":\"GTC \",\"order\":" ORDER_A_WIRE("1",
	    "") "}", 0, "orderType: not \"GTC\", \"GTD\", \"FOK\" or \"FAK\"");
	BODY_REFUSED("{\"orderType\":1,\"order\":" ORDER_A_WIRE("1", "") "}",
	    0, "orderType: not \"GTC\", \"GTD\", \"FOK\" or \"FAK\"");
	BODY_REFUSED("[" BODY_A(ORDER_A_WIRE("1", ""), "x") ",{\"postOnly\":"
	    "\"true\",\"order\":" ORDER_A_WIRE("2", "") "}]", 1,
	    "order 2: postOnly: not true or false");
	BODY_REFUSED("{\"deferExec\":0,\"order\":" ORDER_A_WIRE("1", "") "}",
	    0, "deferExec: not true or false");
	BODY_REFUSED("{\"deferExec\":null,\"order\":" ORDER_A_WIRE("1", "")
	    "}", 0, "deferExec: not true or false");
}

/* Sign body with vector A's domain and the test key; *out is malloc'd. */
static int
sign_body_as(struct fixture *f, const char *body, int is_batch,
    enum order_version version, const struct order_domain *dom,
    const uint8_t *funder, char **out, char *why, size_t whylen)
{
	struct order_batch	b;
	size_t			outlen = 999;
	int			r;

	if (order_batch_parse((const uint8_t *)body, strlen(body), is_batch,
	    version, &b, why, whylen) != 0)
		fail_msg("%s", why);
	r = order_batch_sign(&b, dom, f->w.addr, funder, OWNER, wallet_sign,
	    &f->w, out, &outlen, why, whylen);
	if (r == 0)
		assert_int_equal(outlen, strlen(*out));
	else {
		assert_null(*out);
		assert_int_equal(outlen, 0);
	}
	order_batch_free(&b);
	return r;
}

/* The same, the orders of the domain's version. */
static int
sign_body(struct fixture *f, const char *body, int is_batch,
    const struct order_domain *dom, const uint8_t *funder, char **out,
    char *why, size_t whylen)
{
	return sign_body_as(f, body, is_batch, strcmp(dom->version, "2") ==
	    0 ? ORDER_V2 : ORDER_V1, dom, funder, out, why, whylen);
}

/*
 * Vector A's POST /order body as TS 5.8.1 sends it (@polymarket/clob-client utilities.js orderToJson): the
 * output is that JSON, byte for byte, with the signature and owner set
 * in place and the salt still a number.
 */
static void
test_sign_body_a(void **state)
{
	struct fixture	*f = *state;
	static const char want[] = BODY_A(ORDER_A_WIRE("479249096354",
	    ",\"signature\":\"" SIG_A "\""), OWNER);
	char		*out = NULL, why[256];

	assert_int_equal(sign_body(f, BODY_A(ORDER_A_WIRE("479249096354",
	    ",\"signature\":\"0x302c\""), "<api key uuid>"), 0, &f->amoy,
	    NULL, &out, why, sizeof(why)), 0);
	assert_string_equal(out, want);
	assert_int_equal(f->w.calls, 1);
	free(out);

	/* no signature yet: it goes last in the order, as TS has it */
	assert_int_equal(sign_body(f, BODY_A(ORDER_A_WIRE("479249096354", ""),
	    "x"), 0, &f->amoy, NULL, &out, why, sizeof(why)), 0);
	assert_string_equal(out, want);
	free(out);

	/* spaces and newlines go; the order of members stays */
	assert_int_equal(sign_body(f, "{ \"deferExec\" : false,\n\"order\": "
	    ORDER_A_WIRE("479249096354", "") ",\t\"owner\":\"\",\"orderType\""
	    ":\"GTC\",\"postOnly\":false }\n", 0, &f->amoy, NULL, &out, why,
	    sizeof(why)), 0);
	assert_string_equal(out, want);
	free(out);

	/* no owner yet: it goes last */
	assert_int_equal(sign_body(f, "{\"order\":" ORDER_A_WIRE(
	    "479249096354", "") "}", 0, &f->amoy, NULL, &out, why,
	    sizeof(why)), 0);
	assert_string_equal(out, "{\"order\":" ORDER_A_WIRE("479249096354",
	    ",\"signature\":\"" SIG_A "\"") ",\"owner\":\"" OWNER "\"}");
	free(out);

	/* a salt sent as a string stays a string, and signs the same */
	assert_int_equal(sign_body(f, BODY_A(ORDER_A_WIRE("\"479249096354\"",
	    ""), "x"), 0, &f->amoy, NULL, &out, why, sizeof(why)), 0);
	assert_string_equal(out, BODY_A(ORDER_A_WIRE("\"479249096354\"",
	    ",\"signature\":\"" SIG_A "\""), OWNER));
	free(out);
}

/* A batch of two: each signed, each element's owner set. */
static void
test_sign_batch(void **state)
{
	struct fixture		*f = *state;
	struct order_batch	 b;
	uint8_t			 digest[32], sig[65];
	char			 sig2[2 + 130 + 1] = "0x", want[4096];
	char			*out = NULL, why[256];
	static const char	 body[] = "[" BODY_A(ORDER_A_WIRE(
	    "479249096354", ""), "x") ",{\"order\":" ORDER_A_WIRE("2",
	    ",\"signature\":\"\"") ",\"orderType\":\"FOK\",\"owner\":7}]";

	assert_int_equal(order_batch_parse((const uint8_t *)body,
	    sizeof(body) - 1, 1, ORDER_V1, &b, why, sizeof(why)), 0);
	assert_int_equal(b.n, 2);
	order_digest(&f->amoy, &b.o[1], digest);
	assert_int_equal(secp_sign(f->w.ctx, f->w.sk, digest, sig), 0);
	hex_encode(sig, sizeof(sig), sig2 + 2);
	order_batch_free(&b);

	/* the second order, its closing brace cut, then its signature */
	snprintf(want, sizeof(want), "[%s,{\"order\":%.*s,\"signature\":"
	    "\"%s\"},\"orderType\":\"FOK\",\"owner\":\"%s\"}]",
	    BODY_A(ORDER_A_WIRE("479249096354", ",\"signature\":\"" SIG_A
	    "\""), OWNER), (int)strlen(ORDER_A_WIRE("2", "")) - 1,
	    ORDER_A_WIRE("2", ""), sig2, OWNER);

	assert_int_equal(sign_body(f, body, 1, &f->amoy, NULL, &out, why,
	    sizeof(why)), 0);
	assert_string_equal(out, want);
	assert_int_equal(f->w.calls, 2);
	free(out);
}

/* Refusals name the order and the field; nothing is signed. */
static void
test_sign_denied(void **state)
{
	struct fixture		*f = *state;
	char			*out = (char *)1, why[256];
	static const char	 other_signer[] = "[" BODY_A(ORDER_A_WIRE("1",
	    ""), "x") ",{\"order\":{\"salt\":2,\"maker\":\"" ADDR_KEY "\","
	    "\"signer\":\"" ADDR_FUNDER "\",\"taker\":\"" ADDR_ZERO "\","
	    "\"tokenId\":\"1\",\"makerAmount\":\"1\",\"takerAmount\":\"1\","
	    "\"side\":\"SELL\",\"expiration\":\"0\",\"nonce\":\"0\","
	    "\"feeRateBps\":\"0\",\"signatureType\":0}}]";
	/* vector D's order: the funder as maker, POLY_PROXY */
	static const char	 funder_maker[] = "{\"order\":{\"salt\":1,"
	    "\"maker\":\"" ADDR_FUNDER "\",\"signer\":\"" ADDR_KEY "\","
	    "\"taker\":\"0xf7fB45986800e2D259BAa25B56466bd02dA37a44\","
	    "\"tokenId\":\"123\",\"makerAmount\":\"51200000\","
	    "\"takerAmount\":\"100000000\",\"side\":\"BUY\","
	    "\"expiration\":\"0\",\"nonce\":\"2\",\"feeRateBps\":\"0\","
	    "\"signatureType\":1}}";
	struct order_domain	 polygon;
	uint8_t			 other[ETH_ADDR_LEN];

	assert_int_equal(order_domain_for("polymarket", ORDER_V1, 0,
	    &polygon), 0);

	assert_int_equal(sign_body(f, other_signer, 1, &f->amoy, NULL, &out,
	    why, sizeof(why)), CV_ERR_DENIED);
	assert_string_equal(why, "order 2: signer " ADDR_FUNDER " is not the "
	    "account's address " ADDR_KEY);
	assert_int_equal(f->w.calls, 0);

	/* maker the funder: types 1 and 2 only, and only with a funder */
	assert_int_equal(sign_body(f, funder_maker, 0, &polygon, f->funder,
	    &out, why, sizeof(why)), 0);
	assert_non_null(strstr(out, ",\"signature\":\"" SIG_D "\"}"));
	free(out);
	assert_int_equal(sign_body(f, funder_maker, 0, &polygon, NULL, &out,
	    why, sizeof(why)), CV_ERR_DENIED);
	assert_string_equal(why, "order 1: maker " ADDR_FUNDER " is not the "
	    "account's address " ADDR_KEY ", and the account has no funder");
	parse_addr("0xf7fB45986800e2D259BAa25B56466bd02dA37a44", other);
	assert_int_equal(sign_body(f, funder_maker, 0, &polygon, other, &out,
	    why, sizeof(why)), CV_ERR_DENIED);
	assert_string_equal(why, "order 1: maker " ADDR_FUNDER " is neither "
	    "the account's address " ADDR_KEY " nor its funder "
	    "0xf7fB45986800e2D259BAa25B56466bd02dA37a44");
	assert_int_equal(f->w.calls, 1);

	/* the type must fit the maker */
	assert_int_equal(sign_body(f, "{\"order\":" ORDER_A_WIRE("1", "")
	    "}", 0, &f->amoy, f->funder, &out, why, sizeof(why)), 0);
	free(out);
	f->w.calls = 0;
	assert_int_equal(sign_body(f, "{\"order\":{\"salt\":1,\"maker\":\""
	    ADDR_KEY "\",\"signer\":\"" ADDR_KEY "\",\"taker\":\"" ADDR_ZERO
	    "\",\"tokenId\":\"1\",\"makerAmount\":\"1\",\"takerAmount\":\"1\","
	    "\"side\":\"BUY\",\"expiration\":\"0\",\"nonce\":\"0\","
	    "\"feeRateBps\":\"0\",\"signatureType\":1}}", 0, &f->amoy,
	    f->funder, &out, why, sizeof(why)), CV_ERR_DENIED);
	assert_string_equal(why, "order 1: signatureType 1 for the account's "
	    "own address as maker; that is 0 (EOA)");
	assert_int_equal(sign_body(f, "{\"order\":{\"salt\":1,\"maker\":\""
	    ADDR_FUNDER "\",\"signer\":\"" ADDR_KEY "\",\"taker\":\""
	    ADDR_ZERO "\",\"tokenId\":\"1\",\"makerAmount\":\"1\","
	    "\"takerAmount\":\"1\",\"side\":\"BUY\",\"expiration\":\"0\","
	    "\"nonce\":\"0\",\"feeRateBps\":\"0\",\"signatureType\":0}}", 0,
	    &f->amoy, f->funder, &out, why, sizeof(why)), CV_ERR_DENIED);
	assert_string_equal(why, "order 1: signatureType 0 for the funder "
	    ADDR_FUNDER " as maker; that is 1 (proxy) or 2 (safe)");
	assert_int_equal(f->w.calls, 0);
}

/* A V2 body as clob-client-v2 sends it (orderToJsonV2). */
static void
test_sign_body_v2(void **state)
{
	struct fixture		*f = *state;
	struct order_domain	 dom;
	char			*out = NULL, why[256];

	assert_int_equal(order_domain_for("polymarket", ORDER_V2, 0, &dom), 0);
	assert_int_equal(sign_body(f, "{\"deferExec\":false,\"postOnly\":false,"
	    "\"order\":" ORDER_V2_WIRE(",\"signature\":\"\"") ",\"owner\":\"x\","
	    "\"orderType\":\"GTC\"}", 0, &dom, NULL, &out, why, sizeof(why)),
	    0);
	assert_string_equal(out, "{\"deferExec\":false,\"postOnly\":false,"
	    "\"order\":" ORDER_V2_WIRE(",\"signature\":\"" SIG_V2_1 "\"")
	    ",\"owner\":\"" OWNER "\",\"orderType\":\"GTC\"}");
	free(out);

	/* a V2 order under a V1 domain, and the other way round */
	assert_int_equal(sign_body_as(f, "{\"order\":" ORDER_V2_WIRE("") "}",
	    0, ORDER_V2, &f->amoy, NULL, &out, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "order 1: a version 2 order under a version "
	    "\"1\" domain");
	assert_int_equal(sign_body_as(f, "{\"order\":" ORDER_A_WIRE("1", "")
	    "}", 0, ORDER_V1, &dom, NULL, &out, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "order 1: a version 1 order under a version "
	    "\"2\" domain");
	assert_int_equal(f->w.calls, 1);
}

/* The wallet's failures, a bad owner, a batch changed after parsing. */
static void
test_sign_errors(void **state)
{
	struct fixture		*f = *state;
	struct order_batch	 b;
	static const char	 body[] = BODY_A(ORDER_A_WIRE("1", ""), "x");
	char			*out = (char *)1, *again = NULL, why[256];
	size_t			 outlen;

	f->w.fail = CV_ERR_LOCKED;
	assert_int_equal(sign_body(f, body, 0, &f->amoy, NULL, &out, why,
	    sizeof(why)), CV_ERR_LOCKED);
	assert_non_null(strstr(why, "order 1: "));
	f->w.fail = 0;
	f->w.v01 = 1;
	assert_int_equal(sign_body(f, body, 0, &f->amoy, NULL, &out, why,
	    sizeof(why)), CV_ERR_INTERNAL);
	f->w.v01 = 0;

	assert_int_equal(order_batch_parse((const uint8_t *)body,
	    sizeof(body) - 1, 0, ORDER_V1, &b, why, sizeof(why)), 0);
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    "\xff", wallet_sign, &f->w, &out, &outlen, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_null(out);
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    NULL, wallet_sign, &f->w, &out, &outlen, why, sizeof(why)),
	    CV_ERR_INVALID);

	/* signing twice gives the same bytes */
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    OWNER, wallet_sign, &f->w, &out, &outlen, why, sizeof(why)), 0);
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    OWNER, wallet_sign, &f->w, &again, &outlen, why, sizeof(why)),
	    0);
	assert_string_equal(out, again);
	free(out);
	free(again);

	/* what was checked is what is signed */
	b.o[0].maker_amount[31] ^= 1;
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    OWNER, wallet_sign, &f->w, &out, &outlen, why, sizeof(why)),
	    CV_ERR_INVALID);
	assert_string_equal(why, "order 1: not the order the body holds");
	assert_null(out);
	order_batch_free(&b);
	assert_int_equal(order_batch_sign(&b, &f->amoy, f->w.addr, NULL,
	    OWNER, wallet_sign, &f->w, &out, &outlen, why, sizeof(why)),
	    CV_ERR_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_typehashes, reset),
		cmocka_unit_test_setup(test_vectors_v1, reset),
		cmocka_unit_test_setup(test_vectors_v2, reset),
		cmocka_unit_test_setup(test_domain_for, reset),
		cmocka_unit_test_setup(test_wrong_name_chain56, reset),
		cmocka_unit_test_setup(test_v2_signed_fields, reset),
		cmocka_unit_test_setup(test_view_table, reset),
		cmocka_unit_test_setup(test_view_fields, reset),
		cmocka_unit_test_setup(test_view_rounding, reset),
		cmocka_unit_test_setup(test_view_extremes, reset),
		cmocka_unit_test_setup(test_from_json_refusals, reset),
		cmocka_unit_test_setup(test_from_json_v2, reset),
		cmocka_unit_test_setup(test_batch_parse_refusals, reset),
		cmocka_unit_test_setup(test_batch_flags, reset),
		cmocka_unit_test_setup(test_batch_element_members, reset),
		cmocka_unit_test_setup(test_sign_body_a, reset),
		cmocka_unit_test_setup(test_sign_batch, reset),
		cmocka_unit_test_setup(test_sign_denied, reset),
		cmocka_unit_test_setup(test_sign_body_v2, reset),
		cmocka_unit_test_setup(test_sign_errors, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
