/*
 * signerd's signing: the canonical signing request, the check of its shape
 * that signerd makes itself before anything else (the signer is not an
 * oracle), and the L1, L2 and builder header sets of doc/exchanges.md.
 *
 * Pure functions: no clock, no I/O, no allocation.  The secrets (wallet
 * key, decoded HMAC keys) stay in the caller's guarded memory and are only
 * read; the header values that carry a secret by protocol (passphrases, the
 * invitation code) are the one place a copy is made, and
 * sign_headers_clear() wipes it.
 *
 * The order signerd follows for one request:
 *	sign_req_check(&req, now, skew)		shape, catalog, clock
 *	look up the account and its key		CV_ERR_NOTFOUND if none
 *	sign_l1 / sign_l2 [+ sign_builder]	into one sign_headers
 *	send the headers, sign_headers_clear()
 */
#ifndef SIGNERD_SIGN_H
#define SIGNERD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/cv_err.h"
#include "common/eth.h"
#include "common/profile.h"

struct secp256k1_context_struct;

#define SIGN_SKEW_DEFAULT	30		/* seconds either way */
#define SIGN_BODY_MAX		(64 * 1024)	/* request body bytes */
/* The body signerd makes for SIGN_F_ORDERS, which its L2 set signs. */
#define SIGN_ORDER_BODY_MAX	(128 * 1024)
#define SIGN_PATH_MAX		4096		/* path and query */
#define SIGN_ACCOUNT_MAX	64		/* as the vault's names */

/*
 * L2 (5) and builder (4) go out together on one request: 9 headers.
 * The longest name is "OPENFISH_BUILDER_PASSPHRASE" (27); the longest
 * value ours makes is an L1 signature (132).
 */
#define SIGN_HDR_MAX		9
#define SIGN_HDR_NAME_MAX	40		/* characters, without NUL */
#define SIGN_HDR_VALUE_MAX	160

/*
 * One canonical signing request.  Every pointer is borrowed and must stay
 * valid for the call.  The path is bytes with a length (it need not be
 * NUL-terminated, so a NUL inside it is seen and refused); the other
 * strings are NUL-terminated.
 */
struct sign_req {
	const char		*account;	/* vault account name */
	enum catalog_auth	 level;		/* L1, L2 or BUILDER */
	const char		*method;	/* GET POST PUT DELETE */
	const char		*path;		/* as sent, query too */
	size_t			 pathlen;
	const uint8_t		*body;		/* or NULL, bodylen 0 */
	size_t			 bodylen;
	const char		*timestamp;	/* decimal Unix seconds */
	uint64_t		 nonce;		/* L1 only; default 0 */
};

struct sign_header {
	char	name[SIGN_HDR_NAME_MAX + 1];
	char	value[SIGN_HDR_VALUE_MAX + 1];
};

/* The headers to send, in order.  Zero it, or sign_headers_clear it. */
struct sign_headers {
	size_t			n;
	struct sign_header	h[SIGN_HDR_MAX];
};

/*
 * The wallet key ready for L1: the key itself (not copied: 32 bytes of the
 * caller's guarded memory, readable while signing) and the address
 * derived from it, binary and EIP-55, computed once instead of on every
 * signature (a point multiplication and a Keccak each).
 */
struct sign_wallet {
	const uint8_t	*seckey;
	uint8_t		 addr[ETH_ADDR_LEN];
	char		 addr_text[ETH_ADDR_STRLEN];
};

/*
 * The gate signerd applies to every request before it looks up a key:
 * 0 when req may be signed at req->level at time now (Unix seconds) with
 * the timestamp at most max_skew seconds from now either way.  In order:
 *  CV_ERR_INVALID  a NULL field; level not L1, L2 or BUILDER; an account
 *                  name that is empty or not of [A-Za-z0-9._:@-]; a method
 *                  other than GET, POST, PUT, DELETE (exactly, upper
 *                  case); a path not starting with '/' or holding a byte
 *                  outside visible ASCII (space, CR, LF, NUL, controls,
 *                  non-ASCII) or a '#'; a body pointer NULL with a
 *                  length; at L2 or BUILDER, a body on a GET, a body
 *                  that does not begin '{' or '[', a body after a
 *                  query, or a '{' or '[' in the query (the HMAC runs
 *                  path and body together: no other split of the
 *                  bytes may be signed with them); a timestamp that is
 *                  not canonical decimal
 *                  (digits only, no leading zero, at most 20 digits, at
 *                  most INT64_MAX); max_skew negative;
 *  CV_ERR_TOOLONG  account over SIGN_ACCOUNT_MAX, path over SIGN_PATH_MAX,
 *                  body over SIGN_BODY_MAX bytes;
 *  CV_ERR_DENIED   method and path (before '?') are not a catalog row at
 *                  exactly req->level: an unknown endpoint, L1 anywhere
 *                  but the two L1 endpoints, L2 on those, any level on an
 *                  unauthenticated endpoint, BUILDER (no row yet);
 *  CV_ERR_STALE    the timestamp is more than max_skew from now.
 * Whether the account exists and holds the key is the caller's check,
 * and so is refusing sign_order_endpoint's requests (the catalog has
 * them) unless signerd signs their orders.
 */
int	sign_req_check(const struct sign_req *, int64_t now,
	    int64_t max_skew) CV_WUR;

/*
 * 1 if req is POST /order or /orders, the query aside (catalog rows
 * EP_POST_ORDER, EP_POST_ORDERS): a body of orders, which signerd signs
 * only with every order in it signed by itself (SIGN_F_ORDERS).
 */
int	sign_order_endpoint(const struct sign_req *);

/*
 * sign_req_check for a request whose orders signerd signs (SIGN_F_ORDERS):
 * the same shape, then CV_ERR_INVALID unless it is POST "/order" (one
 * order) or POST "/orders" (a batch), exactly (no query), at level L2;
 * CV_ERR_DENIED if the catalog lacks the endpoint; then the clock
 * (CV_ERR_STALE).
 */
int	sign_order_req_check(const struct sign_req *, int64_t now,
	    int64_t max_skew) CV_WUR;

/*
 * Derive w's address from seckey (kept by pointer, not copied).
 * CV_ERR_INVALID when seckey is not a valid secret key.
 */
int	sign_wallet_init(struct secp256k1_context_struct *,
	    const uint8_t seckey[32], struct sign_wallet *w) CV_WUR;

/*
 * Append the L1 set to h: <P>ADDRESS (EIP-55, from the key), <P>SIGNATURE
 * ("0x" + 130 hex of r || s || v: EIP-712 ClobAuth over p's chain id,
 * RFC 6979, low-s, v 27/28), <P>TIMESTAMP, <P>NONCE (decimal), and
 * <P>INVITATION_CODE with invite when p needs one, invite is not NULL and
 * the endpoint carries it (POST /auth/api-key); invite is ignored
 * otherwise.  sign_l1 derives the address on every call; sign_l1_wallet
 * uses the one sign_wallet_init derived.
 * Re-checks req's shape (sign_req_check's CV_ERR_INVALID and
 * CV_ERR_TOOLONG cases, not the clock, but with bodies up to
 * SIGN_ORDER_BODY_MAX: a body of orders signerd signed may have grown
 * past SIGN_BODY_MAX), and more: CV_ERR_INVALID when
 * req->level is not L1, p is not a CLOB profile with a chain id, seckey is
 * invalid, or invite is empty or not visible ASCII; CV_ERR_DENIED when
 * method and path are not one of the two L1 endpoints; CV_ERR_TOOLONG
 * when invite is over SIGN_HDR_VALUE_MAX or h has no room; CV_ERR_EXISTS
 * when h already has one of the names.  On error h is as it was.
 */
int	sign_l1(struct secp256k1_context_struct *, const uint8_t seckey[32],
	    const struct profile *p, const struct sign_req *req,
	    const char *invite, struct sign_headers *h) CV_WUR;
int	sign_l1_wallet(struct secp256k1_context_struct *,
	    const struct sign_wallet *w, const struct profile *p,
	    const struct sign_req *req, const char *invite,
	    struct sign_headers *h) CV_WUR;

/*
 * Append the L2 set to h: <P>ADDRESS, <P>API_KEY, <P>PASSPHRASE,
 * <P>SIGNATURE (base64url HMAC-SHA256 keyed with the keylen bytes of key,
 * over timestamp + method + path + body, where path keeps its "?query"
 * only if p signs it), <P>TIMESTAMP.  address is the account's address
 * exactly as it is to be sent: "0x" and 40 hex digits, checked for that
 * shape only.  Pass the EIP-55 form the SDKs send, made once when the
 * account is loaded (eth_address_parse, eth_address_eip55): checking or
 * making the checksum here would cost a Keccak on every request.
 * Does not consult the catalog: that is sign_req_check's verdict.
 * Re-checks req's shape as sign_l1 does; then CV_ERR_INVALID when
 * req->level is not L2, p is not a CLOB profile, key is NULL or keylen 0,
 * or api_key or passphrase is empty or not visible ASCII; CV_ERR_DECODE
 * for an address not of that shape; CV_ERR_TOOLONG for an api_key or
 * passphrase over SIGN_HDR_VALUE_MAX or no room in h; CV_ERR_EXISTS when
 * h already has one of the names.  On error h is as it was.
 */
int	sign_l2(const struct profile *p, const char *address,
	    const char *api_key, const uint8_t *key, size_t keylen,
	    const char *passphrase, const struct sign_req *req,
	    struct sign_headers *h) CV_WUR;

/*
 * Append the builder set to h: <P>BUILDER_API_KEY,
 * <P>BUILDER_PASSPHRASE, <P>BUILDER_SIGNATURE (the L2 formula keyed with
 * the builder key), <P>BUILDER_TIMESTAMP.  req->level is BUILDER for the
 * set alone, or L2 for builder attribution on top of sign_l2's set in the
 * same h.  Errors as sign_l2's, without the address.
 */
int	sign_builder(const struct profile *p, const char *api_key,
	    const uint8_t *key, size_t keylen, const char *passphrase,
	    const struct sign_req *req, struct sign_headers *h) CV_WUR;

/*
 * Check a gateway client's L2 signature as the exchange of profile p
 * would: sig must be exactly the base64url HMAC-SHA256 ("=" kept, 44
 * characters) keyed with the keylen bytes of key, over timestamp + method
 * + path + body, where path keeps its "?query" only if p signs it; the
 * comparison is in constant time.  0 when it verifies, CV_ERR_AUTH when
 * it does not; CV_ERR_INVALID when p is not a CLOB profile, key is NULL
 * or keylen 0, timestamp is not 1 to CLOB_TIMESTAMP_MAX decimal digits,
 * method is not GET, POST, PUT or DELETE, path is not one sign_req_check
 * admits the shape of, or body is NULL with a length; CV_ERR_TOOLONG
 * for a path over SIGN_PATH_MAX or a body over SIGN_BODY_MAX.
 */
int	sign_client_verify(const struct profile *p, const uint8_t *key,
	    size_t keylen, const char *timestamp, const char *method,
	    const char *path, size_t pathlen, const uint8_t *body,
	    size_t bodylen, const char *sig) CV_WUR;

/* The value of header name in h, or NULL. */
const char	*sign_headers_get(const struct sign_headers *h,
		    const char *name);

/* Wipe every name and value (they hold passphrases) and empty h. */
void	sign_headers_clear(struct sign_headers *h);

#endif
