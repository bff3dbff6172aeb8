/*
 * In-process throughput of signerd's signing (doc/exchanges.md,
 * "Performance targets"): the primitives (libsecp256k1's recoverable
 * sign, the L2 HMAC-SHA256 as signerd makes it) and whole header sets
 * through signerd/signerd_sign.c, with no IPC.  One thread.  Each row
 * runs for about RUN_SECONDS (--quick: QUICK_SECONDS), RUNS times, and
 * prints the minimum, median and maximum.  (bench_path measures raw
 * signing on two threads beside the path.)
 *
 * usage: bench_sign [--quick | seconds-per-run]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/catalog.h"
#include "common/clob_auth.h"
#include "common/encode.h"
#include "common/keccak.h"
#include "common/profile.h"
#include "common/secmem.h"
#include "common/secp.h"
#include "signerd/signerd_sign.h"
#include "tests/bench/bench_lib.h"

#define RUNS		5
#define RUN_SECONDS	0.5
#define QUICK_SECONDS	0.05
#define BATCH		256

/* The vectors' public test wallet: no real key is ever benchmarked. */
#define WALLET_HEX \
	"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define WALLET_ADDR	"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define HMAC_SECRET	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define API_KEY		"019894b9-cb40-79c4-b2bd-6aecb6f8c6c5"
#define PASSPHRASE \
	"1816e5ed89518467ffa78c65a2d6a62d240f6fd6d159cba7b2c4dc510800f75a"
#define TS		"1712345678"

struct bench {
	struct secp256k1_context_struct	*ctx;
	struct secret			 wallet;
	struct secret			 hkey;
	struct sign_wallet		 w;
	const struct profile		*p;
	struct sign_req			 l1, l2;
	uint64_t			 i;
	volatile uint8_t		 sink;
};

typedef int	(*op_fn)(struct bench *);

static double	run(struct bench *, op_fn, double);
static int	op_secp_sign(struct bench *);
static int	op_hmac(struct bench *);
static int	op_keccak(struct bench *);
static int	op_digest(struct bench *);
static int	op_check(struct bench *);
static int	op_l1(struct bench *);
static int	op_l1_wallet(struct bench *);
static int	op_l2(struct bench *);
static int	op_l2_builder(struct bench *);

/* A new digest every time: RFC 6979 has nothing to reuse. */
static int
op_secp_sign(struct bench *b)
{
	uint8_t	digest[32], sig[65];
	int	r;

	memset(digest, 0x5a, sizeof(digest));
	memcpy(digest, &b->i, sizeof(b->i));
	r = secp_sign(b->ctx, b->wallet.p, digest, sig);
	b->sink ^= sig[0];
	return r;
}

/* The L2 signature of GET /auth/api-keys: clob_hmac_sign, as signerd. */
static int
op_hmac(struct bench *b)
{
	char	sig[CLOB_HMAC_SIG_LEN];

	if (clob_hmac_sign(b->hkey.p, b->hkey.len, TS, "GET",
	    "/auth/api-keys", NULL, 0, sig) != 0)
		return -1;
	b->sink ^= (uint8_t)sig[0];
	return 0;
}

/* One Keccak-f[1600] permutation's worth: a 64-byte input (a public key). */
static int
op_keccak(struct bench *b)
{
	uint8_t	in[64], out[KECCAK256_LEN];

	memset(in, 0x5a, sizeof(in));
	memcpy(in, &b->i, sizeof(b->i));
	keccak256(in, sizeof(in), out);
	b->sink ^= out[0];
	return 0;
}

/* The L1 EIP-712 digest alone, a new nonce each time. */
static int
op_digest(struct bench *b)
{
	uint8_t	out[32];

	clob_auth_digest(b->p->chain_id, b->w.addr, TS, b->i, out);
	b->sink ^= out[0];
	return 0;
}

static int
op_check(struct bench *b)
{
	int	r;

	r = sign_req_check(&b->l2, 1712345678, SIGN_SKEW_DEFAULT);
	b->sink ^= (uint8_t)r;
	return r;
}

static int
op_l1(struct bench *b)
{
	struct sign_headers	h;
	int			r;

	h.n = 0;
	b->l1.nonce = b->i;
	r = sign_l1(b->ctx, b->wallet.p, b->p, &b->l1, NULL, &h);
	if (r == 0)
		b->sink ^= (uint8_t)h.h[1].value[2];
	sign_headers_clear(&h);
	return r;
}

static int
op_l1_wallet(struct bench *b)
{
	struct sign_headers	h;
	int			r;

	h.n = 0;
	b->l1.nonce = b->i;
	r = sign_l1_wallet(b->ctx, &b->w, b->p, &b->l1, NULL, &h);
	if (r == 0)
		b->sink ^= (uint8_t)h.h[1].value[2];
	sign_headers_clear(&h);
	return r;
}

static int
op_l2(struct bench *b)
{
	struct sign_headers	h;
	int			r;

	h.n = 0;
	r = sign_l2(b->p, WALLET_ADDR, API_KEY, b->hkey.p, b->hkey.len,
	    PASSPHRASE, &b->l2, &h);
	if (r == 0)
		b->sink ^= (uint8_t)h.h[3].value[0];
	sign_headers_clear(&h);
	return r;
}

static int
op_l2_builder(struct bench *b)
{
	struct sign_headers	h;
	int			r;

	h.n = 0;
	if ((r = sign_l2(b->p, WALLET_ADDR, API_KEY, b->hkey.p, b->hkey.len,
	    PASSPHRASE, &b->l2, &h)) == 0)
		r = sign_builder(b->p, API_KEY, b->hkey.p, b->hkey.len,
		    PASSPHRASE, &b->l2, &h);
	if (r == 0)
		b->sink ^= (uint8_t)h.h[7].value[0];
	sign_headers_clear(&h);
	return r;
}

/* Operations per second over about secs, in whole batches. */
static double
run(struct bench *b, op_fn fn, double secs)
{
	double		t0, t;
	uint64_t	n = 0;
	int		k;

	t0 = bench_now();
	do {
		for (k = 0; k < BATCH; k++, b->i++, n++) {
			if (fn(b) != 0) {
				fprintf(stderr, "bench_sign: operation "
				    "failed\n");
				exit(1);
			}
		}
		t = bench_now() - t0;
	} while (t < secs);
	return (double)n / t;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*name;
		op_fn		 fn;
	} rows[] = {
		{ "secp_sign (raw, recoverable)", op_secp_sign },
		{ "L2 HMAC-SHA256 (clob_hmac_sign)", op_hmac },
		{ "keccak256 (64 B, 1 permutation)", op_keccak },
		{ "clob_auth_digest (EIP-712)", op_digest },
		{ "sign_req_check (L2 gate)", op_check },
		{ "sign_l1 (derives address)", op_l1 },
		{ "sign_l1_wallet (address once)", op_l1_wallet },
		{ "sign_l2 (5 headers)", op_l2 },
		{ "sign_l2 + sign_builder (9)", op_l2_builder },
	};
	struct bench	b;
	struct bstat	st;
	double		secs = RUN_SECONDS;
	size_t		i, j, n;

	if (argc == 2 && strcmp(argv[1], "--quick") == 0)
		secs = QUICK_SECONDS;
	else if (argc > 2 || (argc == 2 && (secs = atof(argv[1])) <= 0)) {
		fprintf(stderr, "usage: bench_sign [--quick | "
		    "seconds-per-run]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	if (sodium_init() < 0 || (b.ctx = secp_ctx_new()) == NULL ||
	    secret_alloc(&b.wallet, 32) != 0 ||
	    hex_decode(WALLET_HEX, strlen(WALLET_HEX), b.wallet.p, 32,
	    &n) != 0 || n != 32 ||
	    secret_alloc(&b.hkey, CLOB_HMAC_KEY_MAX) != 0 ||
	    clob_hmac_key_decode(HMAC_SECRET, b.hkey.p, b.hkey.len,
	    &b.hkey.len) != 0 ||
	    sign_wallet_init(b.ctx, b.wallet.p, &b.w) != 0 ||
	    (b.p = profile_find("polymarket")) == NULL) {
		fprintf(stderr, "bench_sign: set-up failed\n");
		return 1;
	}
	b.l1.account = b.l2.account = "bench";
	b.l1.level = CATALOG_L1;
	b.l1.method = "GET";
	b.l1.path = "/auth/derive-api-key";
	b.l1.pathlen = strlen(b.l1.path);
	b.l1.timestamp = TS;
	b.l2.level = CATALOG_L2;
	b.l2.method = "GET";
	b.l2.path = "/auth/api-keys";
	b.l2.pathlen = strlen(b.l2.path);
	b.l2.timestamp = TS;

	printf("signerd signing, in process, one thread; ops/s over %d runs "
	    "of %.2f s\n\n", RUNS, secs);
	printf("%-32s %10s %10s %10s %8s\n", "operation", "min", "median",
	    "max", "us/op");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bstat_reset(&st);
		for (j = 0; j < RUNS; j++)
			bstat_add(&st, run(&b, rows[i].fn, secs));
		printf("%-32s", rows[i].name);
		bstat_print(&st, 10, 0);
		printf(" %8.2f\n", 1e6 / st.med);
		fflush(stdout);
	}
	printf("\nreproduce: %s/tests/bench/bench_sign%s%s\n",
	    getenv("CLOBVAULT_BUILD") != NULL ? getenv("CLOBVAULT_BUILD") :
	    "build", argc == 2 ? " " : "", argc == 2 ? argv[1] : "");

	secret_free(&b.hkey);
	secret_free(&b.wallet);
	secp_ctx_free(b.ctx);
	return 0;
}
