/*
 * CLOB orders: the EIP-712 order structs of the profiles, their wire
 * form in POST /order and POST /orders bodies, and what the policy sees
 * of an order.  Facts and vectors: tests/vectors/orders.json (from the
 * public test suites it names) and ARCHITECTURE.md "The gateway".
 *
 * Version 1: Order(uint256 salt,address maker,address signer,address
 * taker,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint256
 * expiration,uint256 nonce,uint256 feeRateBps,uint8 side,uint8
 * signatureType) under EIP712Domain(name, version "1", chainId,
 * verifyingContract): Openfish (name "Openfish CTF Exchange", chain 56)
 * and Polymarket before its V2 exchange.  Version 2 (Polymarket now):
 * Order(uint256 salt,address maker,address signer,uint256 tokenId,
 * uint256 makerAmount,uint256 takerAmount,uint8 side,uint8
 * signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder),
 * domain version "2".
 *
 * Everything here is pure: no I/O, no globals.  The JSON is jansson's.
 */
#ifndef CV_ORDER_H
#define CV_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/cv_err.h"
#include "common/eth.h"

#define ORDER_BATCH_MAX		15	/* orders in one POST /orders */
#define ORDER_DEC_MAX		79	/* digits of a uint256, and a NUL */
#define ORDER_SALT_MAX		((1ULL << 53) - 1)
#define ORDER_FEE_MAX		1000	/* bps, the exchange contract's cap */
#define ORDER_DEPTH_MAX		8	/* nesting of a POST /order(s) body */

/*
 * The EIP-712 type strings; order.c holds their keccak256, which
 * test_order recomputes from these.
 */
#define ORDER_DOMAIN_TYPE \
	"EIP712Domain(string name,string version,uint256 chainId," \
	"address verifyingContract)"
#define ORDER_V1_TYPE \
	"Order(uint256 salt,address maker,address signer,address taker," \
	"uint256 tokenId,uint256 makerAmount,uint256 takerAmount," \
	"uint256 expiration,uint256 nonce,uint256 feeRateBps,uint8 side," \
	"uint8 signatureType)"
#define ORDER_V2_TYPE \
	"Order(uint256 salt,address maker,address signer,uint256 tokenId," \
	"uint256 makerAmount,uint256 takerAmount,uint8 side," \
	"uint8 signatureType,uint256 timestamp,bytes32 metadata," \
	"bytes32 builder)"

enum order_version {
	ORDER_V1 = 1,
	ORDER_V2 = 2,
};

enum order_side {
	ORDER_BUY = 0,
	ORDER_SELL = 1,
};

struct order_domain {
	const char	*name;		/* "Polymarket CTF Exchange" */
	const char	*version;	/* "1", "2" */
	uint64_t	 chain_id;
	uint8_t		 contract[ETH_ADDR_LEN];
};

/* One order, decoded.  uint256 values big-endian. */
struct order {
	enum order_version version;
	uint8_t		 salt[32];
	uint8_t		 maker[ETH_ADDR_LEN];
	uint8_t		 signer[ETH_ADDR_LEN];
	uint8_t		 taker[ETH_ADDR_LEN];	/* V1 signs it; V2 sends it */
	uint8_t		 token_id[32];
	uint8_t		 maker_amount[32];
	uint8_t		 taker_amount[32];
	uint8_t		 expiration[32];	/* V1 signs it; V2 sends it */
	uint8_t		 nonce[32];		/* V1 */
	uint8_t		 fee_rate_bps[32];	/* V1 */
	enum order_side	 side;
	uint8_t		 signature_type;	/* 0 EOA, 1 proxy, 2 safe */
	uint8_t		 timestamp[32];		/* V2: milliseconds */
	uint8_t		 metadata[32];		/* V2 */
	uint8_t		 builder[32];		/* V2 */
};

/*
 * The order domain of a profile ("openfish", "polymarket"); neg_risk
 * non-zero picks the neg-risk exchange.  The strings point to static
 * data.  0, or CV_ERR_NOTFOUND for a profile without orders or a
 * version it lacks (Openfish has V1 only).
 */
int	order_domain_for(const char *profile, enum order_version,
	    int neg_risk, struct order_domain *) CV_WUR;

/* hashStruct of the domain, and of the order under its version's type. */
void	order_domain_separator(const struct order_domain *, uint8_t out[32]);
void	order_struct_hash(const struct order *, uint8_t out[32]);
/* keccak256(0x1901 || domain separator || struct hash) */
void	order_digest(const struct order_domain *, const struct order *,
	    uint8_t out[32]);

/*
 * One order object of the wire form (the "order" member of a POST /order
 * body), strictly: every field of the version present once with its
 * wire type (salt a JSON integer or a decimal string, at most
 * ORDER_SALT_MAX; uint256 fields decimal strings without sign, leading
 * zeros or exponent, at most 2^256-1; addresses 0x and 40 hex digits,
 * all lower or all upper case, or mixed with a valid EIP-55 checksum;
 * metadata and builder 0x and 64 hex digits; side "BUY" or "SELL";
 * signatureType 0, 1 or 2; feeRateBps at most ORDER_FEE_MAX);
 * "signature" may be present with any string value (it is replaced);
 * any other member is refused.  CV_ERR_INVALID with why naming the
 * field ("order.makerAmount: has a leading zero"); *o is zeroed first.
 */
int	order_from_json(const json_t *obj, enum order_version,
	    struct order *, char *why, size_t whylen) CV_WUR;

/*
 * What the policy sees of an order (the "order" kind's fields), as
 * decimal text: side "BUY" or "SELL"; token the token id; size the
 * shares (the taker amount of a BUY, the maker amount of a SELL) and
 * notional the collateral (the other amount), both in units of 10^-6
 * written as exact decimals ("21.04"); price notional / size, exact when
 * it has at most 18 decimal places, else rounded up in the 18th (the
 * policy compares notional / size itself, exactly: its kind table says
 * price is that ratio); builder, the builder
 * code a version 2 order credits (and whose fee it pays), 0x and 64
 * lowercase hex digits, "" in a version 1 order.  Amounts of 0 are "0".
 * No floating point.  CV_ERR_INVALID when the size is zero (no price).
 */
struct order_view {
	char	 side[5];
	char	 token[ORDER_DEC_MAX];
	char	 price[ORDER_DEC_MAX + 20];
	char	 size[ORDER_DEC_MAX + 2];
	char	 notional[ORDER_DEC_MAX + 2];
	char	 expiration[ORDER_DEC_MAX];	/* seconds; "0": none */
	char	 fee_rate[ORDER_DEC_MAX];	/* bps; "" in a V2 order */
	char	 taker[2 + 2 * ETH_ADDR_LEN + 1];	/* 0x, lowercase */
	char	 signature_type[2];
	char	 builder[2 + 64 + 1];	/* V2; "" in a V1 order */
	/* from the body element around the order; "" from order_view */
	char	 type[4];		/* "GTC", "GTD", "FOK" or "FAK" */
	char	 post_only[6];		/* "true" or "false" */
	char	 defer_exec[6];		/* "true" or "false" */
};
int	order_view(const struct order *, struct order_view *) CV_WUR;

/*
 * The members of a body element beside "order" that the exchange reads
 * as the order's handling (ORDERS.md section 5): "orderType" one of GTC,
 * GTD, FOK and FAK, absent read as GTC, the exchange's default;
 * "postOnly" and "deferExec" JSON booleans, absent read as false.
 */
/* The order types, NULL-terminated: "GTC", "GTD", "FOK", "FAK". */
extern const char *const order_types[];
struct order_flags {
	char		 type[4];
	int		 post_only;
	int		 defer_exec;
};
/* v's type, post_only and defer_exec from f. */
void	order_view_flags(const struct order_flags *f, struct order_view *v);

/*
 * A POST /order body (an object with member "order") or a POST /orders
 * body (an array of 1..ORDER_BATCH_MAX such objects), parsed strictly
 * (UTF-8 without NUL bytes, exactly one JSON value, duplicate keys
 * refused, nested at most ORDER_DEPTH_MAX deep) and each "order" decoded
 * with order_from_json, and its element's order_flags read (a value of
 * another type, or an order type not of the four, refused).  An element
 * holds no member but "order", "owner", "orderType", "postOnly" and
 * "deferExec": another is refused, since an exchange that reads names
 * without regard to case would take "ordertype" or "Order" for one the
 * policy saw.  root keeps the parsed body for
 * order_batch_sign; order_batch_free releases it.  CV_ERR_INVALID with
 * why; in a batch why starts "order N: " (N from 1).  On failure *b is
 * empty (free it or not).
 */
struct order_batch {
	json_t			*root;
	size_t			 n;
	struct order		 o[ORDER_BATCH_MAX];
	struct order_flags	 f[ORDER_BATCH_MAX];
};
int	order_batch_parse(const uint8_t *body, size_t len, int is_batch,
	    enum order_version, struct order_batch *, char *why,
	    size_t whylen) CV_WUR;
void	order_batch_free(struct order_batch *);	/* accepts NULL */

/*
 * Check and sign each order of b: signer must be addr, maker addr or
 * funder (funder may be NULL), signatureType 0 when the maker is the
 * signer and 1 or 2 when it is the funder.  Every order is checked, and
 * read again from b->root and found equal to b->o[i], before any is
 * signed.  Then sign(arg, digest, sig) makes the 65-byte signature
 * (r || s || v, v 27 or 28), and "signature" (0x + 130 lowercase hex
 * digits) and the body's "owner" (each element's, in a batch) are set:
 * in place when present, else appended.  The new body, compact JSON with
 * the members in their order (the exact bytes to HMAC and send), goes to
 * *out (malloc'd, NUL-terminated, caller frees; NULL on failure).
 * CV_ERR_DENIED (why "order N: " and the field) when a check fails;
 * CV_ERR_INVALID when the domain's version is not the orders' or owner
 * is not UTF-8; the sign callback's error otherwise.
 */
typedef int order_sign_fn(void *arg, const uint8_t digest[32],
    uint8_t sig[65]);
int	order_batch_sign(struct order_batch *, const struct order_domain *,
	    const uint8_t addr[ETH_ADDR_LEN], const uint8_t *funder,
	    const char *owner, order_sign_fn *sign, void *arg, char **out,
	    size_t *outlen, char *why, size_t whylen) CV_WUR;

#endif
