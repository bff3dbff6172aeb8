/*
 * signerd/signerd_sign.c: the shape check signerd makes before it signs,
 * with its exact refusal codes, and the L1 / L2 / builder header sets byte
 * for byte against the SDKs' vectors in tests/vectors/clob_auth.json.
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

#include "common/catalog.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/eth.h"
#include "common/profile.h"
#include "common/secmem.h"
#include "common/secp.h"
#include "tests/vectors.h"
#include "signerd/signerd_sign.h"

#define NOW		1712345678
#define NOW_TEXT	"1712345678"
#define API_KEY		"7f0c2a8e-5b1d-4c3e-9a6f-2d8b1e4c7a90"
#define PASSPHRASE \
	"0f9e8d7c6b5a49382716051f2e3d4c5b6a7988a7b6c5d4e3f2a1b0c9d8e7f6a5"
#define INVITE		"OF-INVITE-2024"

/* The vectors, and the shared wallet and HMAC key in guarded memory. */
struct fixture {
	json_t					*root;
	struct secp256k1_context_struct		*ctx;
	struct secret				 wallet;
	const char				*wallet_lower;
	const char				*wallet_eip55;
	struct secret				 zero_key;
};

/* A secret's text decoded into fresh guarded memory, as signerd holds it. */
static void
load_hex_key(const char *hex, struct secret *s)
{
	size_t	n;

	assert_int_equal(secret_alloc(s, 32), 0);
	assert_int_equal(hex_decode(hex, strlen(hex), s->p, 32, &n), 0);
	assert_int_equal(n, 32);
}

static void
load_hmac_key(const char *b64, struct secret *s)
{
	size_t	n;

	assert_int_equal(secret_alloc(s, CLOB_HMAC_KEY_MAX), 0);
	assert_int_equal(clob_hmac_key_decode(b64, s->p, s->len, &n), 0);
	s->len = n;	/* sodium_free does not need the length */
}

static int
setup(void **state)
{
	struct fixture	*f;
	json_t		*w, *h;
	size_t		 n;
	const char	*sk, *sec;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->root = vectors_load()) == NULL) {
		free(f);
		return -1;
	}
	if ((f->ctx = secp_ctx_new()) == NULL)
		return -1;
	w = json_object_get(f->root, "wallet");
	h = json_array_get(json_object_get(json_object_get(f->root,
	    "hmac_sha256"), "vectors"), 0);
	sk = json_string_value(json_object_get(w, "private_key"));
	f->wallet_lower = json_string_value(json_object_get(w,
	    "address_lower"));
	f->wallet_eip55 = json_string_value(json_object_get(w,
	    "address_eip55"));
	sec = json_string_value(json_object_get(h, "secret"));
	if (sk == NULL || f->wallet_lower == NULL || f->wallet_eip55 == NULL ||
	    sec == NULL)
		return -1;
	if (secret_alloc(&f->wallet, 32) != 0 ||
	    hex_decode(sk, strlen(sk), f->wallet.p, 32, &n) != 0 || n != 32)
		return -1;
	if (secret_alloc(&f->zero_key, CLOB_HMAC_KEY_MAX) != 0 ||
	    clob_hmac_key_decode(sec, f->zero_key.p, f->zero_key.len,
	    &f->zero_key.len) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	secret_free(&f->wallet);
	secret_free(&f->zero_key);
	secp_ctx_free(f->ctx);
	json_decref(f->root);
	free(f);
	return 0;
}

/* A request at level with a NUL-terminated path and text body. */
static struct sign_req
mkreq(enum catalog_auth level, const char *method, const char *path,
    const char *body, const char *ts)
{
	struct sign_req	r;

	memset(&r, 0, sizeof(r));
	r.account = "main";
	r.level = level;
	r.method = method;
	r.path = path;
	r.pathlen = strlen(path);
	r.body = (const uint8_t *)body;
	r.bodylen = body != NULL ? strlen(body) : 0;
	r.timestamp = ts;
	return r;
}

/* A profile from the table with another EIP-712 chain id. */
static struct profile
with_chain(const char *name, uint64_t chain_id)
{
	const struct profile	*p = profile_find(name);
	struct profile		 c;

	assert_non_null(p);
	c = *p;
	c.chain_id = chain_id;
	return c;
}

/* h holds exactly the names, in order, each prefixed with prefix. */
static void
assert_names(const struct sign_headers *h, const char *prefix,
    const char *const *names, size_t n)
{
	char	want[64];
	size_t	i;

	assert_int_equal(h->n, n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%s%s", prefix, names[i]);
		assert_string_equal(h->h[i].name, want);
	}
}

static const char *const l1_names[] = {
	"ADDRESS", "SIGNATURE", "TIMESTAMP", "NONCE",
};
static const char *const l2_names[] = {
	"ADDRESS", "API_KEY", "PASSPHRASE", "SIGNATURE", "TIMESTAMP",
};
static const char *const builder_names[] = {
	"BUILDER_API_KEY", "BUILDER_PASSPHRASE", "BUILDER_SIGNATURE",
	"BUILDER_TIMESTAMP",
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Every L1 vector through sign_l1 and sign_l1_wallet, for both profiles
 * (their chain id replaced by the vector's) and both L1 endpoints.
 */
static void
test_l1_vectors(void **state)
{
	struct fixture		*f = *state;
	static const char *const prof[] = { "polymarket", "openfish" };
	static const char *const pfx[] = { "POLY_", "OPENFISH_" };
	static const char *const ep[][2] = {
		{ "POST", "/auth/api-key" }, { "GET", "/auth/derive-api-key" },
	};
	json_t			*list, *v;
	struct secret		 sk;
	struct sign_wallet	 w;
	struct sign_headers	 h;
	struct sign_req		 req;
	struct profile		 p;
	const char		*addr;
	char			 nonce[32], name[64];
	size_t			 i, j, k, use_wallet;

	list = json_object_get(json_object_get(f->root, "eip712_clobauth"),
	    "vectors");
	assert_int_equal(json_array_size(list), 3);
	json_array_foreach(list, i, v) {
		if (json_object_get(v, "private_key") != NULL) {
			load_hex_key(vec_str(v, "private_key"), &sk);
			addr = vec_str(v, "address_eip55");
		} else {
			load_hex_key(vec_str(json_object_get(f->root, "wallet"),
			    "private_key"), &sk);
			addr = f->wallet_eip55;
		}
		snprintf(nonce, sizeof(nonce), "%llu",
		    (unsigned long long)vec_u64(v, "nonce"));
		for (j = 0; j < NELEM(prof); j++)
		for (k = 0; k < NELEM(ep); k++)
		for (use_wallet = 0; use_wallet < 2; use_wallet++) {
			p = with_chain(prof[j], vec_u64(v, "chain_id"));
			req = mkreq(CATALOG_L1, ep[k][0], ep[k][1], NULL,
			    vec_str(v, "timestamp"));
			req.nonce = vec_u64(v, "nonce");
			memset(&h, 0xa5, sizeof(h));
			sign_headers_clear(&h);
			if (use_wallet) {
				assert_int_equal(sign_wallet_init(f->ctx,
				    sk.p, &w), 0);
				assert_ptr_equal(w.seckey, sk.p);
				assert_string_equal(w.addr_text, addr);
				assert_int_equal(sign_l1_wallet(f->ctx, &w, &p,
				    &req, NULL, &h), 0);
			} else
				assert_int_equal(sign_l1(f->ctx, sk.p, &p,
				    &req, NULL, &h), 0);
			assert_names(&h, pfx[j], l1_names, NELEM(l1_names));
			assert_string_equal(h.h[0].value, addr);
			assert_string_equal(h.h[1].value,
			    vec_str(v, "signature"));
			assert_string_equal(h.h[2].value,
			    vec_str(v, "timestamp"));
			assert_string_equal(h.h[3].value, nonce);
			snprintf(name, sizeof(name), "%sSIGNATURE", pfx[j]);
			assert_ptr_equal(sign_headers_get(&h, name),
			    h.h[1].value);
			sign_headers_clear(&h);
		}
		secret_free(&sk);
	}
}

/*
 * With the profiles' own chain ids (56 and 137): the signature recovers
 * to the wallet over that chain's digest, and the two differ.
 */
static void
test_l1_profile_chains(void **state)
{
	struct fixture		*f = *state;
	static const char *const prof[] = { "openfish", "polymarket" };
	const struct profile	*p;
	struct sign_headers	 h[2];
	struct sign_req		 req;
	uint8_t			 sig[65], digest[32], want[ETH_ADDR_LEN];
	uint8_t			 got[ETH_ADDR_LEN];
	size_t			 i, n;

	assert_int_equal(eth_address_parse(f->wallet_eip55, want), 0);
	req = mkreq(CATALOG_L1, "GET", "/auth/derive-api-key", NULL,
	    NOW_TEXT);
	req.nonce = 5;
	for (i = 0; i < NELEM(prof); i++) {
		p = profile_find(prof[i]);
		assert_non_null(p);
		sign_headers_clear(&h[i]);
		assert_int_equal(sign_l1(f->ctx, f->wallet.p, p, &req, NULL,
		    &h[i]), 0);
		assert_int_equal(strlen(h[i].h[1].value), 132);
		assert_int_equal(hex_decode(h[i].h[1].value,
		    strlen(h[i].h[1].value), sig, sizeof(sig), &n), 0);
		assert_true(sig[64] == 27 || sig[64] == 28);
		clob_auth_digest(p->chain_id, want, NOW_TEXT, 5, digest);
		assert_int_equal(secp_recover(f->ctx, sig, digest, got), 0);
		assert_memory_equal(got, want, ETH_ADDR_LEN);
		assert_string_equal(h[i].h[3].value, "5");
	}
	assert_int_equal(profile_find("openfish")->chain_id, 56);
	assert_int_equal(profile_find("polymarket")->chain_id, 137);
	assert_string_not_equal(h[0].h[1].value, h[1].h[1].value);
	sign_headers_clear(&h[0]);
	sign_headers_clear(&h[1]);
}

/* OPENFISH_INVITATION_CODE on Openfish's POST /auth/api-key, nowhere else. */
static void
test_l1_invite(void **state)
{
	struct fixture		*f = *state;
	const struct profile	*of = profile_find("openfish");
	const struct profile	*pm = profile_find("polymarket");
	struct sign_headers	 h;
	struct sign_req		 create, derive;
	char			 code[SIGN_HDR_VALUE_MAX + 2];

	create = mkreq(CATALOG_L1, "POST", "/auth/api-key", NULL, NOW_TEXT);
	derive = mkreq(CATALOG_L1, "GET", "/auth/derive-api-key", NULL,
	    NOW_TEXT);

	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, INVITE,
	    &h), 0);
	assert_int_equal(h.n, 5);
	assert_string_equal(h.h[4].name, "OPENFISH_INVITATION_CODE");
	assert_string_equal(h.h[4].value, INVITE);
	assert_string_equal(sign_headers_get(&h, "OPENFISH_INVITATION_CODE"),
	    INVITE);

	/* The code is not part of what is signed. */
	{
		struct sign_headers	plain;

		sign_headers_clear(&plain);
		assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create,
		    NULL, &plain), 0);
		assert_int_equal(plain.n, 4);
		assert_string_equal(plain.h[1].value, h.h[1].value);
		sign_headers_clear(&plain);
	}
	sign_headers_clear(&h);

	/* A query does not change the endpoint. */
	create.path = "/auth/api-key?nonce=1";
	create.pathlen = strlen(create.path);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, INVITE,
	    &h), 0);
	assert_int_equal(h.n, 5);
	sign_headers_clear(&h);
	create.path = "/auth/api-key";
	create.pathlen = strlen(create.path);

	/* derive, Polymarket, or no code: no header */
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &derive, INVITE,
	    &h), 0);
	assert_int_equal(h.n, 4);
	assert_null(sign_headers_get(&h, "OPENFISH_INVITATION_CODE"));
	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &create, INVITE,
	    &h), 0);
	assert_int_equal(h.n, 4);
	assert_null(sign_headers_get(&h, "POLY_INVITATION_CODE"));
	assert_null(sign_headers_get(&h, "OPENFISH_INVITATION_CODE"));
	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, NULL,
	    &h), 0);
	assert_int_equal(h.n, 4);
	sign_headers_clear(&h);

	/* A code that cannot be a header value, refused whole. */
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, "", &h),
	    CV_ERR_INVALID);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, "a b", &h),
	    CV_ERR_INVALID);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create,
	    "code\r\nX-Evil: 1", &h), CV_ERR_INVALID);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, "c\xc3\xa9",
	    &h), CV_ERR_INVALID);
	memset(code, 'c', sizeof(code));
	code[SIGN_HDR_VALUE_MAX + 1] = '\0';
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, code, &h),
	    CV_ERR_TOOLONG);
	assert_int_equal(h.n, 0);
	code[SIGN_HDR_VALUE_MAX] = '\0';
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, of, &create, code, &h),
	    0);
	assert_string_equal(h.h[4].value, code);
	sign_headers_clear(&h);
}

/* What sign_l1 refuses by itself, whatever a gate said. */
static void
test_l1_refused(void **state)
{
	struct fixture		*f = *state;
	const struct profile	*pm = profile_find("polymarket");
	struct profile		 nochain = with_chain("polymarket", 0);
	struct sign_headers	 h, copy;
	struct sign_req		 req;
	uint8_t			 zero[32];
	size_t			 i;
	static const char *const not_l1[][2] = {
		{ "GET", "/auth/api-keys" }, { "DELETE", "/auth/api-key" },
		{ "GET", "/auth/api-key" }, { "POST", "/auth/derive-api-key" },
		{ "POST", "/order" }, { "GET", "/time" },
		{ "POST", "/waitlist" }, { "PUT", "/auth/api-key" },
	};

	sign_headers_clear(&h);
	for (i = 0; i < NELEM(not_l1); i++) {
		req = mkreq(CATALOG_L1, not_l1[i][0], not_l1[i][1], NULL,
		    NOW_TEXT);
		assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL,
		    &h), CV_ERR_DENIED);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_DENIED);
	}
	assert_int_equal(h.n, 0);

	req = mkreq(CATALOG_L2, "POST", "/auth/api-key", NULL, NOW_TEXT);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h),
	    CV_ERR_INVALID);
	req.level = CATALOG_L1;
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, profile_find("omnia"),
	    &req, NULL, &h), CV_ERR_INVALID);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, NULL, &req, NULL, &h),
	    CV_ERR_INVALID);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, &nochain, &req, NULL,
	    &h), CV_ERR_INVALID);
	memset(zero, 0, sizeof(zero));
	assert_int_equal(sign_l1(f->ctx, zero, pm, &req, NULL, &h),
	    CV_ERR_INVALID);
	assert_int_equal(h.n, 0);

	/* A bad shape, re-checked here too. */
	req.method = "post";
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h),
	    CV_ERR_INVALID);
	req.method = "POST";
	req.timestamp = "0123";
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h),
	    CV_ERR_INVALID);
	req.timestamp = NOW_TEXT;

	/* A set already there: refused, h untouched. */
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h), 0);
	copy = h;
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h),
	    CV_ERR_EXISTS);
	assert_memory_equal(&h, &copy, sizeof(h));
	/* No room for four more after six. */
	h.n = 6;
	copy = h;
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &req, NULL, &h),
	    CV_ERR_TOOLONG);
	assert_memory_equal(&h, &copy, sizeof(h));
	sign_headers_clear(&h);
	sign_headers_clear(&copy);
}

static json_t *
hmac_vectors(struct fixture *f)
{
	json_t	*v;

	v = json_object_get(json_object_get(f->root, "hmac_sha256"),
	    "vectors");
	assert_int_equal(json_array_size(v), 5);
	return v;
}

/* The signature clob_hmac_sign makes over path (for expectations). */
static void
hmac_of(const struct secret *key, const char *ts, const char *method,
    const char *path, const char *body, char out[CLOB_HMAC_SIG_LEN])
{
	assert_int_equal(clob_hmac_sign(key->p, key->len, ts, method, path,
	    (const uint8_t *)body, strlen(body), out), 0);
}

/*
 * The L2 vectors with a real method through sign_l2, both profiles: the
 * published signature where the profile signs what the vector signed.
 */
static void
test_l2_vectors(void **state)
{
	struct fixture		*f = *state;
	static const char *const prof[] = { "polymarket", "openfish" };
	static const char *const pfx[] = { "POLY_", "OPENFISH_" };
	json_t			*v;
	struct secret		 key;
	struct sign_headers	 h;
	struct sign_req		 req;
	const struct profile	*p;
	const char		*path, *q;
	char			 bare[256], sig[CLOB_HMAC_SIG_LEN];
	size_t			 i, j, real = 0;

	json_array_foreach(hmac_vectors(f), i, v) {
		if (strcmp(vec_str(v, "method"), "test-sign") == 0) {
			/* Not a method: never past the shape check. */
			req = mkreq(CATALOG_L2, vec_str(v, "method"),
			    vec_str(v, "request_path"), vec_str(v, "body"),
			    vec_str(v, "timestamp"));
			sign_headers_clear(&h);
			assert_int_equal(sign_l2(profile_find("polymarket"),
			    f->wallet_lower, API_KEY, f->zero_key.p,
			    f->zero_key.len, PASSPHRASE, &req, &h),
			    CV_ERR_INVALID);
			assert_int_equal(sign_req_check(&req,
			    strtoll(vec_str(v, "timestamp"), NULL, 10), 30),
			    CV_ERR_INVALID);
			continue;
		}
		real++;
		load_hmac_key(vec_str(v, "secret"), &key);
		path = vec_str(v, "request_path");
		for (j = 0; j < NELEM(prof); j++) {
			p = profile_find(prof[j]);
			req = mkreq(CATALOG_L2, vec_str(v, "method"), path,
			    vec_str(v, "body"), vec_str(v, "timestamp"));
			sign_headers_clear(&h);
			assert_int_equal(sign_l2(p, f->wallet_eip55, API_KEY,
			    key.p, key.len, PASSPHRASE, &req, &h), 0);
			assert_names(&h, pfx[j], l2_names, NELEM(l2_names));
			assert_string_equal(h.h[0].value, f->wallet_eip55);
			assert_string_equal(h.h[1].value, API_KEY);
			assert_string_equal(h.h[2].value, PASSPHRASE);
			assert_string_equal(h.h[4].value,
			    vec_str(v, "timestamp"));
			if (p->signs_query || (q = strchr(path, '?')) == NULL)
				assert_string_equal(h.h[3].value,
				    vec_str(v, "signature"));
			else {
				snprintf(bare, sizeof(bare), "%.*s",
				    (int)(q - path), path);
				hmac_of(&key, vec_str(v, "timestamp"),
				    vec_str(v, "method"), bare, vec_str(v, "body"),
				    sig);
				assert_string_equal(h.h[3].value, sig);
				assert_string_not_equal(h.h[3].value,
				    vec_str(v, "signature"));
			}
			sign_headers_clear(&h);
		}
		secret_free(&key);
	}
	assert_int_equal(real, 3);
}

/*
 * "hmac_includes_query_string": Openfish signs path?query as sent and
 * gives the published signature; Polymarket, for the same request, the
 * signature of the bare path.  The builder set follows the same rule.
 */
static void
test_query_signing(void **state)
{
	struct fixture		*f = *state;
	json_t			*v = NULL, *x;
	struct sign_headers	 of, pm;
	struct sign_req		 req;
	char			 bare[CLOB_HMAC_SIG_LEN];
	size_t			 i;

	json_array_foreach(hmac_vectors(f), i, x)
		if (strstr(vec_str(x, "source"), "hmac_includes_query_string"))
			v = x;
	assert_non_null(v);
	assert_string_equal(vec_str(v, "request_path"),
	    "/agent/account/state?signature_type=0");
	hmac_of(&f->zero_key, vec_str(v, "timestamp"), "GET",
	    "/agent/account/state", "", bare);

	req = mkreq(CATALOG_L2, "GET", vec_str(v, "request_path"), NULL,
	    vec_str(v, "timestamp"));
	sign_headers_clear(&of);
	sign_headers_clear(&pm);
	assert_int_equal(sign_l2(profile_find("openfish"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &of), 0);
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &pm), 0);
	assert_string_equal(sign_headers_get(&of, "OPENFISH_SIGNATURE"),
	    vec_str(v, "signature"));
	assert_string_equal(sign_headers_get(&pm, "POLY_SIGNATURE"), bare);
	assert_string_not_equal(bare, vec_str(v, "signature"));

	assert_int_equal(sign_builder(profile_find("openfish"), API_KEY,
	    f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &of), 0);
	assert_int_equal(sign_builder(profile_find("polymarket"), API_KEY,
	    f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &pm), 0);
	assert_string_equal(sign_headers_get(&of,
	    "OPENFISH_BUILDER_SIGNATURE"), vec_str(v, "signature"));
	assert_string_equal(sign_headers_get(&pm, "POLY_BUILDER_SIGNATURE"),
	    bare);

	/* An empty query is still not signed by Polymarket. */
	sign_headers_clear(&pm);
	req.path = "/agent/account/state?";
	req.pathlen = strlen(req.path);
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &pm), 0);
	assert_string_equal(pm.h[3].value, bare);
	sign_headers_clear(&of);
	sign_headers_clear(&pm);
}

/* The builder vector, alone and on top of an L2 set with another key. */
static void
test_builder_vector(void **state)
{
	struct fixture		*f = *state;
	json_t			*b;
	json_t			*v4 = json_array_get(hmac_vectors(f), 4);
	struct secret		 bkey, l2key;
	struct sign_headers	 h;
	struct sign_req		 req;
	char			 l2sig[CLOB_HMAC_SIG_LEN], name[64];
	size_t			 i, j;

	b = json_object_get(f->root, "builder_hmac");
	load_hmac_key(vec_str(b, "secret"), &bkey);
	load_hmac_key(vec_str(v4, "secret"), &l2key);

	req = mkreq(CATALOG_BUILDER, vec_str(b, "method"), vec_str(b, "request_path"),
	    vec_str(b, "body"), vec_str(b, "timestamp"));
	sign_headers_clear(&h);
	assert_int_equal(sign_builder(profile_find("polymarket"),
	    vec_str(b, "key"), bkey.p, bkey.len, vec_str(b, "passphrase"), &req, &h),
	    0);
	assert_names(&h, "POLY_", builder_names, NELEM(builder_names));
	assert_string_equal(h.h[0].value, vec_str(b, "key"));
	assert_string_equal(h.h[1].value, vec_str(b, "passphrase"));
	assert_string_equal(h.h[2].value, vec_str(b, "signature"));
	assert_string_equal(h.h[3].value, vec_str(b, "timestamp"));
	sign_headers_clear(&h);

	/* L2 then builder into one set: nine headers, each its own key. */
	req.level = CATALOG_L2;
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_eip55,
	    API_KEY, l2key.p, l2key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(sign_builder(profile_find("polymarket"),
	    vec_str(b, "key"), bkey.p, bkey.len, vec_str(b, "passphrase"), &req, &h),
	    0);
	assert_int_equal(h.n, SIGN_HDR_MAX);
	assert_int_equal(h.n, NELEM(l2_names) + NELEM(builder_names));
	for (i = 0; i < NELEM(l2_names); i++) {
		snprintf(name, sizeof(name), "POLY_%s", l2_names[i]);
		assert_string_equal(h.h[i].name, name);
	}
	for (i = 0; i < NELEM(builder_names); i++) {
		snprintf(name, sizeof(name), "POLY_%s", builder_names[i]);
		assert_string_equal(h.h[NELEM(l2_names) + i].name, name);
	}
	for (i = 0; i < h.n; i++)
		for (j = i + 1; j < h.n; j++)
			assert_string_not_equal(h.h[i].name, h.h[j].name);
	hmac_of(&l2key, vec_str(b, "timestamp"), vec_str(b, "method"),
	    vec_str(b, "request_path"), vec_str(b, "body"), l2sig);
	assert_string_equal(sign_headers_get(&h, "POLY_SIGNATURE"), l2sig);
	assert_string_equal(sign_headers_get(&h, "POLY_BUILDER_SIGNATURE"),
	    vec_str(b, "signature"));
	assert_string_not_equal(l2sig, vec_str(b, "signature"));

	/* Full now: another set does not fit, and h stays as it is. */
	assert_int_equal(sign_builder(profile_find("openfish"),
	    vec_str(b, "key"), bkey.p, bkey.len, vec_str(b, "passphrase"), &req, &h),
	    CV_ERR_TOOLONG);
	assert_int_equal(h.n, SIGN_HDR_MAX);
	sign_headers_clear(&h);

	/* Builder on an L1 request: refused. */
	req.level = CATALOG_L1;
	assert_int_equal(sign_builder(profile_find("polymarket"),
	    vec_str(b, "key"), bkey.p, bkey.len, vec_str(b, "passphrase"), &req, &h),
	    CV_ERR_INVALID);
	assert_int_equal(h.n, 0);

	secret_free(&bkey);
	secret_free(&l2key);
}

/* The address goes out as the caller keeps it: EIP-55 is its job. */
static void
test_l2_address_as_given(void **state)
{
	struct fixture		*f = *state;
	struct sign_headers	 h;
	struct sign_req		 req;
	char			 upper[ETH_ADDR_STRLEN];
	size_t			 i;

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	sign_headers_clear(&h);
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_eip55,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_string_equal(h.h[0].value, f->wallet_eip55);
	sign_headers_clear(&h);
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_string_equal(h.h[0].value, f->wallet_lower);
	sign_headers_clear(&h);
	snprintf(upper, sizeof(upper), "%s", f->wallet_lower);
	for (i = 2; upper[i] != '\0'; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] -= 'a' - 'A';
	assert_int_equal(sign_l2(profile_find("polymarket"), upper,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_string_equal(h.h[0].value, upper);
	sign_headers_clear(&h);
}

/* Every header name, per profile, per set. */
static void
test_header_names(void **state)
{
	struct fixture		*f = *state;
	static const char *const of_l1[] = { "OPENFISH_ADDRESS",
	    "OPENFISH_SIGNATURE", "OPENFISH_TIMESTAMP", "OPENFISH_NONCE",
	    "OPENFISH_INVITATION_CODE" };
	static const char *const pm_l1[] = { "POLY_ADDRESS", "POLY_SIGNATURE",
	    "POLY_TIMESTAMP", "POLY_NONCE" };
	static const char *const of_l2b[] = { "OPENFISH_ADDRESS",
	    "OPENFISH_API_KEY", "OPENFISH_PASSPHRASE", "OPENFISH_SIGNATURE",
	    "OPENFISH_TIMESTAMP", "OPENFISH_BUILDER_API_KEY",
	    "OPENFISH_BUILDER_PASSPHRASE", "OPENFISH_BUILDER_SIGNATURE",
	    "OPENFISH_BUILDER_TIMESTAMP" };
	static const char *const pm_l2b[] = { "POLY_ADDRESS", "POLY_API_KEY",
	    "POLY_PASSPHRASE", "POLY_SIGNATURE", "POLY_TIMESTAMP",
	    "POLY_BUILDER_API_KEY", "POLY_BUILDER_PASSPHRASE",
	    "POLY_BUILDER_SIGNATURE", "POLY_BUILDER_TIMESTAMP" };
	struct sign_headers	 h;
	struct sign_req		 req;
	size_t			 i;

	req = mkreq(CATALOG_L1, "POST", "/auth/api-key", NULL, NOW_TEXT);
	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, profile_find("openfish"),
	    &req, INVITE, &h), 0);
	assert_int_equal(h.n, NELEM(of_l1));
	for (i = 0; i < h.n; i++)
		assert_string_equal(h.h[i].name, of_l1[i]);
	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p,
	    profile_find("polymarket"), &req, INVITE, &h), 0);
	assert_int_equal(h.n, NELEM(pm_l1));
	for (i = 0; i < h.n; i++)
		assert_string_equal(h.h[i].name, pm_l1[i]);
	sign_headers_clear(&h);

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	assert_int_equal(sign_l2(profile_find("openfish"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(sign_builder(profile_find("openfish"), API_KEY,
	    f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(h.n, NELEM(of_l2b));
	for (i = 0; i < h.n; i++) {
		assert_string_equal(h.h[i].name, of_l2b[i]);
		assert_true(strlen(h.h[i].name) <= SIGN_HDR_NAME_MAX);
	}
	sign_headers_clear(&h);
	assert_int_equal(sign_l2(profile_find("polymarket"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(sign_builder(profile_find("polymarket"), API_KEY,
	    f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(h.n, NELEM(pm_l2b));
	for (i = 0; i < h.n; i++)
		assert_string_equal(h.h[i].name, pm_l2b[i]);
	sign_headers_clear(&h);
}

/* What sign_l2 and sign_builder refuse, h untouched each time. */
static void
test_l2_refused(void **state)
{
	struct fixture		*f = *state;
	const struct profile	*pm = profile_find("polymarket");
	struct sign_headers	 h, copy;
	struct sign_req		 req;
	char			 longv[SIGN_HDR_VALUE_MAX + 2];
	size_t			 i;
	static const char	 nulpath[] = "/auth/api-keys\0";
	static const char *const bad_addr[] = {
		"", "0x", "0x1234",
		"f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
		"0X f39fd6e51aad88f6f4ce6ab8827279cfffb92266",
		"0Xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
		"0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226",
		"0xf39fd6e51aad88f6f4ce6ab8827279cfffb922666",
		"0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266",
		"0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226 ",
		"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\r\n",
	};

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	sign_headers_clear(&h);
	assert_int_equal(sign_l1(f->ctx, f->wallet.p, pm, &(struct sign_req){
	    .account = "main", .level = CATALOG_L1, .method = "GET",
	    .path = "/auth/derive-api-key", .pathlen = 20,
	    .timestamp = NOW_TEXT }, NULL, &h), 0);
	copy = h;

	/* An L1 set holds ADDRESS and TIMESTAMP already. */
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_EXISTS);
	assert_memory_equal(&h, &copy, sizeof(h));

	req.level = CATALOG_L1;
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	req.level = CATALOG_BUILDER;
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	req.level = CATALOG_NONE;
	assert_int_equal(sign_builder(pm, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	req.level = CATALOG_L2;
	assert_int_equal(sign_l2(profile_find("omnia"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h),
	    CV_ERR_INVALID);
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    0, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, NULL,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	assert_int_equal(sign_l2(pm, NULL, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);

	/* Addresses not of the shape "0x" + 40 hex digits. */
	for (i = 0; i < NELEM(bad_addr); i++)
		assert_int_equal(sign_l2(pm, bad_addr[i], API_KEY,
		    f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h),
		    CV_ERR_DECODE);

	/* Values that cannot be header values. */
	assert_int_equal(sign_l2(pm, f->wallet_lower, "", f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, "pass\r\nX: y", &req, &h), CV_ERR_INVALID);
	assert_int_equal(sign_builder(pm, "key with space", f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	memset(longv, 'p', sizeof(longv));
	longv[SIGN_HDR_VALUE_MAX + 1] = '\0';
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, longv, &req, &h), CV_ERR_TOOLONG);
	assert_int_equal(sign_builder(pm, longv, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_TOOLONG);

	/* The shape, re-checked: a NUL in the path, a lowercase method. */
	req.path = nulpath;
	req.pathlen = sizeof(nulpath);
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	req.path = "/auth/api-keys";
	req.pathlen = strlen(req.path);
	req.method = "get";
	assert_int_equal(sign_builder(pm, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	assert_memory_equal(&h, &copy, sizeof(h));

	/* Room for four (builder) but not five (L2). */
	req.method = "GET";
	sign_headers_clear(&h);
	h.n = 5;
	assert_int_equal(sign_l2(pm, f->wallet_lower, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_TOOLONG);
	assert_int_equal(h.n, 5);
	assert_int_equal(sign_builder(pm, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_int_equal(h.n, 9);
	h.n = SIGN_HDR_MAX + 1;
	assert_int_equal(sign_builder(pm, API_KEY, f->zero_key.p,
	    f->zero_key.len, PASSPHRASE, &req, &h), CV_ERR_INVALID);
	sign_headers_clear(&h);
	sign_headers_clear(&copy);
}

/* Every catalog row passes at its level, right at the edge of the skew. */
static void
test_check_accepts(void **state)
{
	const struct catalog_entry	*e;
	struct sign_req			 req;
	char				 p[128];
	size_t				 i;
	int				 hmac, get;

	for (i = 0; (e = catalog_at(i)) != NULL; i++) {
		if (e->auth == CATALOG_NONE)
			continue;
		hmac = e->auth == CATALOG_L2 || e->auth == CATALOG_BUILDER;
		get = strcmp(e->method, "GET") == 0;
		/*
		 * an HMAC'd GET has no body (test_check_body_shape), an
		 * HMAC'd request with a body no query (test_check_query_body)
		 */
		snprintf(p, sizeof(p), hmac && !get ? "%s" : "%s?x=1",
		    e->path);
		req = mkreq(e->auth, e->method, p, hmac && get ? NULL :
		    "{\"a\":1}", NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30), 0);
		assert_int_equal(sign_req_check(&req, NOW - 30, 30), 0);
		assert_int_equal(sign_req_check(&req, NOW + 30, 30), 0);
		assert_int_equal(sign_req_check(&req, NOW,
		    SIGN_SKEW_DEFAULT), 0);
	}
	req = mkreq(CATALOG_L2, "GET", "/time", NULL, "0");
	req.path = "/auth/api-keys";
	req.pathlen = strlen(req.path);
	assert_int_equal(sign_req_check(&req, 0, 0), 0);
	req.timestamp = "9223372036854775807";
	assert_int_equal(sign_req_check(&req, INT64_MAX, 0), 0);
}

static void
test_check_method(void **state)
{
	static const char *const bad[] = {
		"", "get", "Get", "post", "delete", "put", "PATCH", "HEAD",
		"OPTIONS", "CONNECT", "TRACE", "GET ", " GET", "GET\r\n",
		"GETT", "test-sign",
	};
	struct sign_req	req;
	size_t		i;

	for (i = 0; i < NELEM(bad); i++) {
		req = mkreq(CATALOG_L2, bad[i], "/auth/api-keys", NULL,
		    NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
	}
	/* PUT is a method; no endpoint of ours takes it. */
	req = mkreq(CATALOG_L2, "PUT", "/auth/api-key", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req.method = NULL;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
}

static void
test_check_path(void **state)
{
	static const char *const bad[] = {
		"", "auth/api-keys", "?x=1", " /auth/api-keys",
		"/auth/api-keys x", "/auth/api-keys?a=b c",
		"/auth/api-keys\r", "/auth/api-keys\n", "/auth/api-keys\r\n",
		"/auth/api-keys\t", "/auth/api-keys\x7f",
		"/auth/api-keys\xc3\xa9", "/auth/api-keys#frag",
		"http://x/auth/api-keys", "*",
	};
	static const char	nul[] = "/auth/api-keys\0?x=1";
	struct sign_req		req;
	char			*big;
	size_t			i;

	for (i = 0; i < NELEM(bad); i++) {
		req = mkreq(CATALOG_L2, "GET", bad[i], NULL, NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
	}
	/* A NUL inside the bytes, wherever it is. */
	req = mkreq(CATALOG_L2, "GET", nul, NULL, NOW_TEXT);
	req.pathlen = sizeof(nul) - 1;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.pathlen = strlen(nul) + 1;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.pathlen = strlen(nul);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req.path = NULL;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);

	/* SIGN_PATH_MAX bytes with the query, then one more. */
	assert_non_null(big = malloc(SIGN_PATH_MAX + 2));
	memset(big, 'a', SIGN_PATH_MAX + 1);
	memcpy(big, "/auth/api-keys?q=", 17);
	big[SIGN_PATH_MAX + 1] = '\0';
	req = mkreq(CATALOG_L2, "GET", big, NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_TOOLONG);
	req.pathlen = SIGN_PATH_MAX;
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	free(big);
}

static void
test_check_body(void **state)
{
	struct sign_req	req;
	uint8_t		*body;

	assert_non_null(body = calloc(1, SIGN_BODY_MAX + 1));
	body[0] = '[';
	req = mkreq(CATALOG_L2, "POST", "/auth/builder-api-key", NULL,
	    NOW_TEXT);
	req.body = body;
	req.bodylen = SIGN_BODY_MAX;
	assert_int_equal(SIGN_BODY_MAX, 65536);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req.bodylen = SIGN_BODY_MAX + 1;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_TOOLONG);
	req.body = NULL;
	req.bodylen = 1;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.bodylen = 0;
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	free(body);
}

/*
 * An L2 or builder HMAC runs path and body together: a body that could
 * be a path's tail is refused, so that no signature is made for one
 * split of the bytes that another split would reuse.  A GET has no
 * body; a body is a JSON object or array.  L1 and bearer signatures do
 * not cover the body.
 */
static void
test_check_body_shape(void **state)
{
	static const char *const bad[] = { "/update", "s[\"0x1\"]", "?a=1",
	    " {}", "1", "\"x\"" };
	struct sign_req	req;
	size_t		i;

	req = mkreq(CATALOG_L2, "GET", "/balance-allowance", "/update",
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req = mkreq(CATALOG_L2, "GET", "/balance-allowance", "{}", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req = mkreq(CATALOG_BUILDER, "GET", "/data/orders", "[]", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req = mkreq(CATALOG_L2, "GET", "/balance-allowance/update", NULL,
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req = mkreq(CATALOG_L2, "DELETE", "/order", bad[i], NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
		req = mkreq(CATALOG_BUILDER, "POST", "/order", bad[i],
		    NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
		req.level = CATALOG_L2;
		assert_int_equal(sign_order_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
	}
	req = mkreq(CATALOG_L2, "DELETE", "/order", "{\"orderID\":\"0x1\"}",
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req = mkreq(CATALOG_L2, "DELETE", "/orders", "[\"0x1\"]", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req = mkreq(CATALOG_L1, "GET", "/auth/derive-api-key", "/x",
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
}

/*
 * Openfish signs the query: the bytes of a body can move into it, and
 * a query's tail into the body, with the same HMAC and the same
 * endpoint.  'DELETE /cancel-market-orders?x={"market":"B"}' signed
 * with no body is also '...?x=' with the body '{"market":"B"}', and a
 * body after a query is the query's tail for another split.  So a query
 * holds no '{' or '[', and a request with a query has no body.
 */
static void
test_check_query_body(void **state)
{
	static const char *const bad[] = {
		"/cancel-market-orders?x={\"market\":\"B\"}",
		"/cancel-market-orders?x={",
		"/cancel-market-orders?x=[\"0x1\"]",
		"/cancel-market-orders?[",
	};
	struct fixture		*f = *state;
	struct sign_headers	 h;
	struct sign_req		 req;
	size_t			 i;

	for (i = 0; i < NELEM(bad); i++) {
		req = mkreq(CATALOG_L2, "DELETE", bad[i], NULL, NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
		req.level = CATALOG_BUILDER;
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
	}
	req = mkreq(CATALOG_L2, "DELETE", "/cancel-market-orders?x=",
	    "{\"market\":\"B\"}", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	memset(&h, 0, sizeof(h));
	assert_int_equal(sign_l2(profile_find("openfish"), f->wallet_eip55,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h),
	    CV_ERR_INVALID);
	assert_int_equal(h.n, 0);
	req = mkreq(CATALOG_L2, "DELETE", "/order?x=1",
	    "{\"orderID\":\"0x1\"}", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	/* a query alone, or a body alone, is signed */
	req = mkreq(CATALOG_L2, "GET", "/data/orders?market=0x1&id=2", NULL,
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req = mkreq(CATALOG_L2, "DELETE", "/cancel-market-orders",
	    "{\"market\":\"B\"}", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req = mkreq(CATALOG_L2, "DELETE", "/notifications?ids=a,b", NULL,
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
}

static void
test_check_timestamp_text(void **state)
{
	static const char *const bad[] = {
		"", "abc", "171234567x", "x1712345678", "-1712345678",
		"+1712345678", " 1712345678", "1712345678 ", "1712345678\n",
		"1712345678.0", "1.7e9", "01712345678", "00", "0x65f0c1ce",
		"123456789012345678901", "9223372036854775808",
		"18446744073709551616", "99999999999999999999",
	};
	struct sign_req	req;
	size_t		i;

	for (i = 0; i < NELEM(bad); i++) {
		req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, bad[i]);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_INVALID);
	}
	req.timestamp = NULL;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
}

static void
test_check_skew(void **state)
{
	struct sign_req	req;
	char		ts[32];

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, ts);
	snprintf(ts, sizeof(ts), "%lld", (long long)NOW - 31);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, NOW, SIGN_SKEW_DEFAULT),
	    CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, NOW, 31), 0);
	snprintf(ts, sizeof(ts), "%lld", (long long)NOW + 31);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, NOW, 31), 0);
	snprintf(ts, sizeof(ts), "%lld", (long long)NOW + 1);
	assert_int_equal(sign_req_check(&req, NOW, 0), CV_ERR_STALE);

	/* Far apart, no overflow either way. */
	assert_int_equal(sign_req_check(&req, INT64_MIN, 30), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, INT64_MAX, 30), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, INT64_MIN, INT64_MAX),
	    CV_ERR_STALE);
	req.timestamp = "9223372036854775807";
	assert_int_equal(sign_req_check(&req, INT64_MIN, INT64_MAX),
	    CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, -1, INT64_MAX), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, 0, INT64_MAX), 0);
	req.timestamp = "0";
	assert_int_equal(sign_req_check(&req, INT64_MIN, 30), CV_ERR_STALE);
	assert_int_equal(sign_req_check(&req, INT64_MAX, INT64_MAX), 0);

	assert_int_equal(sign_req_check(&req, 0, -1), CV_ERR_INVALID);
	assert_int_equal(sign_req_check(NULL, NOW, 30), CV_ERR_INVALID);
}

/* The level against the catalog: exactly the row's, never NONE rows. */
static void
test_check_level(void **state)
{
	static const enum catalog_auth all[] = {
		CATALOG_L1, CATALOG_L2, CATALOG_BUILDER,
	};
	struct sign_req	req;
	size_t		i;

	req = mkreq(CATALOG_L1, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_L2, "POST", "/auth/api-key", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_L2, "GET", "/auth/derive-api-key", NULL,
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_L2, "POST", "/withdraw", "{}", NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys/", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_L2, "GET", "/", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
	req = mkreq(CATALOG_BUILDER, "DELETE", "/auth/builder-api-key", NULL,
	    NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);

	/* The unauthenticated endpoints are never signed, at any level. */
	for (i = 0; i < NELEM(all); i++) {
		req = mkreq(all[i], "GET", "/time", NULL, NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_DENIED);
		req = mkreq(all[i], "POST", "/waitlist", "{}", NOW_TEXT);
		assert_int_equal(sign_req_check(&req, NOW, 30),
		    CV_ERR_DENIED);
	}
	req = mkreq(CATALOG_NONE, "GET", "/time", NULL, NOW_TEXT);
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.level = (enum catalog_auth)99;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);

	/* Denied comes before stale: a retry cannot help. */
	req = mkreq(CATALOG_L2, "POST", "/withdraw", NULL, "1");
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_DENIED);
}

static void
test_check_account(void **state)
{
	struct sign_req	req;
	char		name[SIGN_ACCOUNT_MAX + 2];

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	req.account = "ops.main:2@of-1_x";
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	req.account = "";
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.account = "a b";
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.account = "a/b";
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	req.account = NULL;
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_INVALID);
	memset(name, 'a', sizeof(name));
	name[SIGN_ACCOUNT_MAX] = '\0';
	req.account = name;
	assert_int_equal(sign_req_check(&req, NOW, 30), 0);
	name[SIGN_ACCOUNT_MAX] = 'a';
	name[SIGN_ACCOUNT_MAX + 1] = '\0';
	assert_int_equal(sign_req_check(&req, NOW, 30), CV_ERR_TOOLONG);
}

/* Cleared headers hold no byte of what they held. */
static void
test_headers_clear(void **state)
{
	struct fixture		*f = *state;
	struct sign_headers	 h, zero;
	struct sign_req		 req;

	req = mkreq(CATALOG_L2, "GET", "/auth/api-keys", NULL, NOW_TEXT);
	sign_headers_clear(&h);
	assert_int_equal(sign_l2(profile_find("openfish"), f->wallet_lower,
	    API_KEY, f->zero_key.p, f->zero_key.len, PASSPHRASE, &req, &h), 0);
	assert_non_null(sign_headers_get(&h, "OPENFISH_PASSPHRASE"));
	sign_headers_clear(&h);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&h, &zero, sizeof(h));
	assert_null(sign_headers_get(&h, "OPENFISH_PASSPHRASE"));
	assert_null(sign_headers_get(NULL, "OPENFISH_PASSPHRASE"));
	sign_headers_clear(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_l1_vectors),
		cmocka_unit_test(test_l1_profile_chains),
		cmocka_unit_test(test_l1_invite),
		cmocka_unit_test(test_l1_refused),
		cmocka_unit_test(test_l2_vectors),
		cmocka_unit_test(test_query_signing),
		cmocka_unit_test(test_builder_vector),
		cmocka_unit_test(test_l2_address_as_given),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_l2_refused),
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_method),
		cmocka_unit_test(test_check_path),
		cmocka_unit_test(test_check_body),
		cmocka_unit_test(test_check_body_shape),
		cmocka_unit_test(test_check_query_body),
		cmocka_unit_test(test_check_timestamp_text),
		cmocka_unit_test(test_check_skew),
		cmocka_unit_test(test_check_level),
		cmocka_unit_test(test_check_account),
		cmocka_unit_test(test_headers_clear),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
