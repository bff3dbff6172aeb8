/*
 * CLOB orders: the EIP-712 hashes of both order versions, the strict
 * reading of their wire form, and the signing of a POST /order or POST
 * /orders body.  The decimal view the policy sees is order_view.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/eth.h"
#include "common/keccak.h"
#include "common/order.h"
#include "common/utf8.h"

/*
 * keccak256 of the type strings in order.h, hashed once here rather
 * than on every order (test_order recomputes all three).
 */
static const uint8_t domain_type_hash[32] = {	/* ORDER_DOMAIN_TYPE */
	0x8b, 0x73, 0xc3, 0xc6, 0x9b, 0xb8, 0xfe, 0x3d,
	0x51, 0x2e, 0xcc, 0x4c, 0xf7, 0x59, 0xcc, 0x79,
	0x23, 0x9f, 0x7b, 0x17, 0x9b, 0x0f, 0xfa, 0xca,
	0xa9, 0xa7, 0x5d, 0x52, 0x2b, 0x39, 0x40, 0x0f,
};
static const uint8_t v1_type_hash[32] = {	/* ORDER_V1_TYPE */
	0xa8, 0x52, 0x56, 0x6c, 0x4e, 0x14, 0xd0, 0x08,
	0x69, 0xb6, 0xdb, 0x02, 0x20, 0x88, 0x8a, 0x90,
	0x90, 0xa1, 0x3e, 0xcc, 0xda, 0xea, 0x03, 0x71,
	0x3f, 0xf0, 0xa3, 0xd2, 0x7b, 0xf9, 0x76, 0x7c,
};
static const uint8_t v2_type_hash[32] = {	/* ORDER_V2_TYPE */
	0xbb, 0x86, 0x31, 0x8a, 0x21, 0x38, 0xf5, 0xfa,
	0x8a, 0xe3, 0x2f, 0xbe, 0x8e, 0x65, 0x9f, 0x8f,
	0xcf, 0x13, 0xcc, 0x6a, 0xe4, 0x01, 0x4a, 0x70,
	0x78, 0x93, 0x05, 0x54, 0x33, 0x81, 0x85, 0x89,
};

/*
 * The order domains of the profiles, as the public SDKs define them.
 * Openfish: its Rust SDK (billcheung10/openfish-cli, openfish-client-sdk
 * src/clob/client.rs for name and version, src/lib.rs for chain 56),
 * where one off-chain "exchange" contract serves normal and neg-risk
 * markets alike.  Polymarket V1: the exchange and neg-risk exchange of
 * the @polymarket/clob-client config (the same in rs-clob-client and
 * py-clob-client), name and version as Polymarket/ctf-exchange hashes
 * them; V2: exchangeV2 and negRiskExchangeV2 of Polymarket/clob-client-v2
 * src/config.ts.  The contracts are written in EIP-55, so each is
 * checked as it is read.
 */
static const struct domain_row {
	const char		*profile;
	enum order_version	 version;
	int			 neg_risk;
	const char		*name;
	const char		*dversion;
	uint64_t		 chain_id;
	const char		*contract;
} domains[] = {
	{ "openfish", ORDER_V1, 0, "Openfish CTF Exchange", "1", 56,
	    "0x63C7C60FB5A4358F216fb45D08D0B9a0a1dDFe74" },
	{ "openfish", ORDER_V1, 1, "Openfish CTF Exchange", "1", 56,
	    "0x63C7C60FB5A4358F216fb45D08D0B9a0a1dDFe74" },
	{ "polymarket", ORDER_V1, 0, "Polymarket CTF Exchange", "1", 137,
	    "0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E" },
	{ "polymarket", ORDER_V1, 1, "Polymarket CTF Exchange", "1", 137,
	    "0xC5d563A36AE78145C45a50134d48A1215220f80a" },
	{ "polymarket", ORDER_V2, 0, "Polymarket CTF Exchange", "2", 137,
	    "0xE111180000d2663C0091e4f400237545B87B996B" },
	{ "polymarket", ORDER_V2, 1, "Polymarket CTF Exchange", "2", 137,
	    "0xe2222d279d744050d28e00520010520000310F59" },
};

/* The members of an order's wire form, and how each is read. */
enum field_kind {
	F_SALT,		/* JSON integer or decimal string, <= ORDER_SALT_MAX */
	F_UINT,		/* decimal string: a uint256 */
	F_FEE,		/* decimal string, <= ORDER_FEE_MAX */
	F_ADDR,		/* "0x" and 40 hex digits */
	F_BYTES32,	/* "0x" and 64 hex digits */
	F_SIDE,		/* "BUY" or "SELL" */
	F_SIGTYPE,	/* JSON integer 0, 1 or 2 */
	F_SIGNATURE,	/* any string, optional: it is replaced */
};

#define IN_V1		(1u << ORDER_V1)
#define IN_V2		(1u << ORDER_V2)
#define IN_BOTH		(IN_V1 | IN_V2)

static const struct field {
	const char	*name;
	enum field_kind	 kind;
	size_t		 off;		/* of the bytes F_UINT & co. fill */
	unsigned int	 versions;
} fields[] = {
	{ "salt", F_SALT, offsetof(struct order, salt), IN_BOTH },
	{ "maker", F_ADDR, offsetof(struct order, maker), IN_BOTH },
	{ "signer", F_ADDR, offsetof(struct order, signer), IN_BOTH },
	{ "taker", F_ADDR, offsetof(struct order, taker), IN_BOTH },
	{ "tokenId", F_UINT, offsetof(struct order, token_id), IN_BOTH },
	{ "makerAmount", F_UINT, offsetof(struct order, maker_amount),
	    IN_BOTH },
	{ "takerAmount", F_UINT, offsetof(struct order, taker_amount),
	    IN_BOTH },
	{ "expiration", F_UINT, offsetof(struct order, expiration), IN_BOTH },
	{ "nonce", F_UINT, offsetof(struct order, nonce), IN_V1 },
	{ "feeRateBps", F_FEE, offsetof(struct order, fee_rate_bps), IN_V1 },
	{ "side", F_SIDE, 0, IN_BOTH },
	{ "signatureType", F_SIGTYPE, 0, IN_BOTH },
	{ "timestamp", F_UINT, offsetof(struct order, timestamp), IN_V2 },
	{ "metadata", F_BYTES32, offsetof(struct order, metadata), IN_V2 },
	{ "builder", F_BYTES32, offsetof(struct order, builder), IN_V2 },
	{ "signature", F_SIGNATURE, 0, IN_BOTH },
};
#define NFIELDS		(sizeof(fields) / sizeof(fields[0]))

#define U256_DIGITS	78	/* decimal digits of 2^256-1 */
#define SHOWN_MAX	32	/* bytes of a member name put in a message */
#define WHY_MAX		256	/* an order's why, before "order N: " */


/* The growing output of order_batch_sign. */
struct outbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

static void	whyf(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	name_clean(const char *, char *, size_t);
static uint8_t	*put_bytes(uint8_t *, const uint8_t[32]);
static uint8_t	*put_addr(uint8_t *, const uint8_t[ETH_ADDR_LEN]);
static uint8_t	*put_u64(uint8_t *, uint64_t);
static int	str_get(const json_t *, const char **, size_t *);
static const char *dec_u256(const char *, size_t, uint8_t[32]);
static const char *field_decode(const struct field *, const json_t *,
		    struct order *);
static int	too_deep(const json_t *, int);
static int	order_same(const struct order *, const struct order *);
static int	order_check(const struct order *, size_t,
		    const uint8_t[ETH_ADDR_LEN], const uint8_t *, char *,
		    size_t);
static int	batch_element(const struct order_batch *, size_t, json_t **,
		    json_t **);
static int	outbuf_add(const char *, size_t, void *);

static void
whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/*
 * A member name fit for a message, whoever wrote the body: printable
 * ASCII (anything else becomes '?'), cut at SHOWN_MAX bytes.
 */
static void
name_clean(const char *key, char *out, size_t outlen)
{
	size_t	i;

	for (i = 0; key[i] != '\0' && i < SHOWN_MAX && i + 4 < outlen; i++)
		out[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	if (key[i] != '\0' && i + 3 < outlen) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* EIP-712 words: a uint256 as is, an address right-aligned, a small uint. */
static uint8_t *
put_bytes(uint8_t *w, const uint8_t v[32])
{
	memcpy(w, v, 32);
	return w + 32;
}

static uint8_t *
put_addr(uint8_t *w, const uint8_t a[ETH_ADDR_LEN])
{
	memset(w, 0, 32 - ETH_ADDR_LEN);
	memcpy(w + 32 - ETH_ADDR_LEN, a, ETH_ADDR_LEN);
	return w + 32;
}

static uint8_t *
put_u64(uint8_t *w, uint64_t v)
{
	int	i;

	memset(w, 0, 32);
	for (i = 31; i >= 24; i--, v >>= 8)
		w[i] = (uint8_t)v;
	return w + 32;
}

int
order_domain_for(const char *profile, enum order_version version,
    int neg_risk, struct order_domain *dom)
{
	const struct domain_row	*d;
	size_t			 i;

	memset(dom, 0, sizeof(*dom));
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		d = &domains[i];
		if (strcmp(d->profile, profile) != 0 || d->version != version ||
		    d->neg_risk != (neg_risk != 0))
			continue;
		if (eth_address_parse(d->contract, dom->contract) != 0)
			return CV_ERR_INTERNAL;
		dom->name = d->name;
		dom->version = d->dversion;
		dom->chain_id = d->chain_id;
		return 0;
	}
	return CV_ERR_NOTFOUND;
}

void
order_domain_separator(const struct order_domain *dom, uint8_t out[32])
{
	uint8_t	enc[5 * 32], *w = enc;

	w = put_bytes(w, domain_type_hash);
	/* A "string" member is encoded as the keccak256 of its bytes. */
	keccak256((const uint8_t *)dom->name, strlen(dom->name), w);
	w += 32;
	keccak256((const uint8_t *)dom->version, strlen(dom->version), w);
	w += 32;
	w = put_u64(w, dom->chain_id);
	(void)put_addr(w, dom->contract);
	keccak256(enc, sizeof(enc), out);
}

void
order_struct_hash(const struct order *o, uint8_t out[32])
{
	uint8_t	enc[13 * 32], *w = enc;

	if (o->version == ORDER_V2) {
		/* V2 signs neither taker nor expiration, which it sends. */
		w = put_bytes(w, v2_type_hash);
		w = put_bytes(w, o->salt);
		w = put_addr(w, o->maker);
		w = put_addr(w, o->signer);
		w = put_bytes(w, o->token_id);
		w = put_bytes(w, o->maker_amount);
		w = put_bytes(w, o->taker_amount);
		w = put_u64(w, (uint64_t)o->side);
		w = put_u64(w, o->signature_type);
		w = put_bytes(w, o->timestamp);
		w = put_bytes(w, o->metadata);
		w = put_bytes(w, o->builder);
	} else {
		w = put_bytes(w, v1_type_hash);
		w = put_bytes(w, o->salt);
		w = put_addr(w, o->maker);
		w = put_addr(w, o->signer);
		w = put_addr(w, o->taker);
		w = put_bytes(w, o->token_id);
		w = put_bytes(w, o->maker_amount);
		w = put_bytes(w, o->taker_amount);
		w = put_bytes(w, o->expiration);
		w = put_bytes(w, o->nonce);
		w = put_bytes(w, o->fee_rate_bps);
		w = put_u64(w, (uint64_t)o->side);
		w = put_u64(w, o->signature_type);
	}
	keccak256(enc, (size_t)(w - enc), out);
}

void
order_digest(const struct order_domain *dom, const struct order *o,
    uint8_t out[32])
{
	uint8_t	enc[2 + 32 + 32];

	enc[0] = 0x19;
	enc[1] = 0x01;
	order_domain_separator(dom, enc + 2);
	order_struct_hash(o, enc + 34);
	keccak256(enc, sizeof(enc), out);
}

/* A JSON string without NUL bytes: 0 and its text, or -1. */
static int
str_get(const json_t *v, const char **s, size_t *n)
{
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return memchr(*s, '\0', *n) == NULL ? 0 : -1;
}

/*
 * A decimal string as a big-endian uint256: digits only, no sign, no
 * leading zero ("0" itself is fine).  NULL, or what is wrong with it.
 */
static const char *
dec_u256(const char *s, size_t n, uint8_t out[32])
{
	unsigned int	carry;
	size_t		i;
	int		k;

	if (n == 0)
		return "empty";
	if (s[0] == '-' || s[0] == '+')
		return "has a sign";
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return "not a whole decimal number";
	if (s[0] == '0' && n > 1)
		return "has a leading zero";
	if (n > U256_DIGITS)
		return "over 2^256-1";
	memset(out, 0, 32);
	for (i = 0; i < n; i++) {
		carry = (unsigned int)(s[i] - '0');
		for (k = 31; k >= 0; k--) {
			carry += out[k] * 10u;
			out[k] = (uint8_t)carry;
			carry >>= 8;
		}
		if (carry != 0)
			return "over 2^256-1";
	}
	return NULL;
}

/* Read member v as field f into o: NULL, or what is wrong with it. */
static const char *
field_decode(const struct field *f, const json_t *v, struct order *o)
{
	uint8_t		*dst = (uint8_t *)o + f->off;
	const char	*s, *what;
	json_int_t	 iv;
	uint64_t	 u = 0;
	size_t		 n;
	int		 k;

	if (f->kind == F_SALT || f->kind == F_SIGTYPE) {
		if (json_is_integer(v)) {
			if ((iv = json_integer_value(v)) < 0)
				return "negative";
			u = (uint64_t)iv;
		} else if (f->kind == F_SIGTYPE)
			return "not 0, 1 or 2";
		else if (str_get(v, &s, &n) != 0)
			return "not a JSON integer or decimal string";
		else {
			if ((what = dec_u256(s, n, dst)) != NULL)
				return what;
			for (k = 0; k < 24; k++)
				if (dst[k] != 0)
					return "over 2^53-1";
			for (k = 24; k < 32; k++)
				u = u << 8 | dst[k];
		}
		if (f->kind == F_SIGTYPE) {
			if (u > 2)
				return "not 0, 1 or 2";
			o->signature_type = (uint8_t)u;
			return NULL;
		}
		/* the exchange reads the salt as an IEEE 754 double */
		if (u > ORDER_SALT_MAX)
			return "over 2^53-1";
		(void)put_u64(dst, u);
		return NULL;
	}

	if (str_get(v, &s, &n) != 0)
		return "not a JSON string";
	switch (f->kind) {
	case F_UINT:
	case F_FEE:
		if ((what = dec_u256(s, n, dst)) != NULL)
			return what;
		if (f->kind == F_FEE) {
			for (k = 0; k < 30; k++)
				if (dst[k] != 0)
					return "over 1000";
			if ((dst[30] << 8 | dst[31]) > ORDER_FEE_MAX)
				return "over 1000";
		}
		return NULL;
	case F_ADDR:
		switch (eth_address_parse(s, dst)) {
		case 0:
			return NULL;
		case CV_ERR_CHECKSUM:
			return "mixed case without a valid EIP-55 checksum";
		default:
			return "not an address (0x and 40 hex digits)";
		}
	case F_BYTES32:
		if (n != 66 || s[0] != '0' || s[1] != 'x' ||
		    hex_decode(s + 2, 64, dst, 32, &n) != 0 || n != 32)
			return "not 0x and 64 hex digits";
		return NULL;
	case F_SIDE:
		if (n == 3 && memcmp(s, "BUY", 3) == 0)
			o->side = ORDER_BUY;
		else if (n == 4 && memcmp(s, "SELL", 4) == 0)
			o->side = ORDER_SELL;
		else
			return "not \"BUY\" or \"SELL\"";
		return NULL;
	case F_SIGNATURE:
		return NULL;
	default:
		return "unreadable";
	}
}

int
order_from_json(const json_t *obj, enum order_version version,
    struct order *o, char *why, size_t whylen)
{
	const struct field	*f;
	const char		*key, *what;
	char			 shown[SHOWN_MAX + 4];
	json_t			*v;
	uint32_t		 seen = 0;
	size_t			 i;

	memset(o, 0, sizeof(*o));
	whyf(why, whylen, "%s", "");
	if (version != ORDER_V1 && version != ORDER_V2) {
		whyf(why, whylen, "order: unknown order version %d",
		    (int)version);
		return CV_ERR_INVALID;
	}
	if (!json_is_object(obj)) {
		whyf(why, whylen, "order: not a JSON object");
		return CV_ERR_INVALID;
	}
	/* json_object_foreach wants a mutable object; nothing is changed. */
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0, f = NULL; i < NFIELDS; i++)
			if ((fields[i].versions & (1u << version)) != 0 &&
			    strcmp(fields[i].name, key) == 0) {
				f = &fields[i];
				break;
			}
		if (f == NULL) {
			name_clean(key, shown, sizeof(shown));
			whyf(why, whylen, "order.%s: unknown member of a "
			    "version %d order", shown, (int)version);
			goto fail;
		}
		if ((what = field_decode(f, v, o)) != NULL) {
			whyf(why, whylen, "order.%s: %s", f->name, what);
			goto fail;
		}
		seen |= 1u << i;
	}
	for (i = 0; i < NFIELDS; i++) {
		f = &fields[i];
		if ((f->versions & (1u << version)) != 0 &&
		    f->kind != F_SIGNATURE && (seen & (1u << i)) == 0) {
			whyf(why, whylen, "order.%s: missing", f->name);
			goto fail;
		}
	}
	o->version = version;
	return 0;
 fail:
	memset(o, 0, sizeof(*o));
	return CV_ERR_INVALID;
}


/* 1 if a container at depth (the body itself is 1) nests too deep. */
static int
too_deep(const json_t *j, int depth)
{
	const char	*key;
	json_t		*v;
	size_t		 i;

	if (!json_is_object(j) && !json_is_array(j))
		return 0;
	if (depth > ORDER_DEPTH_MAX)
		return 1;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (too_deep(v, depth + 1))
				return 1;
		return 0;
	}
	json_object_foreach((json_t *)j, key, v)
		if (too_deep(v, depth + 1))
			return 1;
	return 0;
}

const char *const order_types[] = { "GTC", "GTD", "FOK", "FAK", NULL };

/*
 * The members of an element beside its order, as the SDKs send them.
 * Any other is refused: an exchange that matches member names without
 * regard to case (Go's encoding/json does) would read "ordertype" or
 * "PostOnly" as the handling the policy decided on, and an "Order"
 * after "order" as more of the order (a version 2 order's taker and
 * expiration are not signed).
 */
static const char *const element_members[] = {
	"order", "owner", "orderType", "postOnly", "deferExec", NULL
};

/* An element's order_flags (common/order.h), or CV_ERR_INVALID with why. */
static int
element_flags(const json_t *el, struct order_flags *f, char *why,
    size_t whylen)
{
	const json_t	*v;
	const char	*key;
	char		 shown[SHOWN_MAX + 4];
	json_t		*m;
	size_t		 i;

	/* json_object_foreach wants a mutable object; nothing is changed. */
	json_object_foreach((json_t *)el, key, m) {
		for (i = 0; element_members[i] != NULL; i++)
			if (strcmp(key, element_members[i]) == 0)
				break;
		if (element_members[i] == NULL) {
			name_clean(key, shown, sizeof(shown));
			whyf(why, whylen, "%s: unknown member beside the "
			    "order (owner, orderType, postOnly, deferExec)",
			    shown);
			return CV_ERR_INVALID;
		}
	}
	memcpy(f->type, "GTC", 4);
	f->post_only = f->defer_exec = 0;
	if ((v = json_object_get(el, "orderType")) != NULL) {
		for (i = 0; order_types[i] != NULL; i++)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), order_types[i]) == 0)
				break;
		if (order_types[i] == NULL) {
			whyf(why, whylen, "orderType: not \"GTC\", \"GTD\", "
			    "\"FOK\" or \"FAK\"");
			return CV_ERR_INVALID;
		}
		memcpy(f->type, order_types[i], 4);
	}
	if ((v = json_object_get(el, "postOnly")) != NULL) {
		if (!json_is_boolean(v)) {
			whyf(why, whylen, "postOnly: not true or false");
			return CV_ERR_INVALID;
		}
		f->post_only = json_is_true(v);
	}
	if ((v = json_object_get(el, "deferExec")) != NULL) {
		if (!json_is_boolean(v)) {
			whyf(why, whylen, "deferExec: not true or false");
			return CV_ERR_INVALID;
		}
		f->defer_exec = json_is_true(v);
	}
	return 0;
}

int
order_batch_parse(const uint8_t *body, size_t len, int is_batch,
    enum order_version version, struct order_batch *b, char *why,
    size_t whylen)
{
	json_error_t	 err;
	json_t		*root = NULL, *el, *ord;
	char		 sub[WHY_MAX];
	size_t		 i, n;
	int		 r = CV_ERR_INVALID;

	memset(b, 0, sizeof(*b));
	whyf(why, whylen, "%s", "");
	if (!utf8_valid(body, len)) {
		whyf(why, whylen, "body: not UTF-8 text without NUL bytes");
		goto out;
	}
	/*
	 * Without JSON_DECODE_ANY the body is one object or array, and
	 * without JSON_DISABLE_EOF_CHECK nothing may follow it.
	 */
	/*
	 * Where it broke, never err.text: jansson quotes the input near
	 * the fault, and the why goes to logs and back to a bot.
	 */
	if ((root = json_loadb((const char *)body, len,
	    JSON_REJECT_DUPLICATES, &err)) == NULL) {
		whyf(why, whylen, "body: %s (at byte %d)",
		    json_error_code(&err) == json_error_duplicate_key ?
		    "duplicate object key" : "not JSON", err.position);
		goto out;
	}
	if (too_deep(root, 1)) {
		whyf(why, whylen, "body: nested deeper than %d",
		    ORDER_DEPTH_MAX);
		goto out;
	}
	if (is_batch) {
		if (!json_is_array(root)) {
			whyf(why, whylen, "body: not a JSON array of orders");
			goto out;
		}
		n = json_array_size(root);
		if (n == 0 || n > ORDER_BATCH_MAX) {
			whyf(why, whylen, "body: %zu orders; a batch holds "
			    "1 to %d", n, ORDER_BATCH_MAX);
			goto out;
		}
	} else {
		if (!json_is_object(root)) {
			whyf(why, whylen, "body: not a JSON object");
			goto out;
		}
		n = 1;
	}
	for (i = 0; i < n; i++) {
		ord = NULL;
		el = is_batch ? json_array_get(root, i) : root;
		if (!json_is_object(el) ||
		    (ord = json_object_get(el, "order")) == NULL) {
			snprintf(sub, sizeof(sub), "%s", !json_is_object(el) ?
			    "not a JSON object" : "no member \"order\"");
			r = CV_ERR_INVALID;
		} else if ((r = order_from_json(ord, version, &b->o[i], sub,
		    sizeof(sub))) == 0)
			r = element_flags(el, &b->f[i], sub, sizeof(sub));
		if (r != 0) {
			if (is_batch)
				whyf(why, whylen, "order %zu: %s", i + 1, sub);
			else
				whyf(why, whylen, "%s%s", ord == NULL ?
				    "body: " : "", sub);
			goto out;
		}
	}
	b->root = root;
	b->n = n;
	root = NULL;
	r = 0;
 out:
	json_decref(root);
	if (r != 0)
		memset(b, 0, sizeof(*b));
	return r;
}

void
order_batch_free(struct order_batch *b)
{
	if (b == NULL)
		return;
	json_decref(b->root);
	memset(b, 0, sizeof(*b));
}

/* Every member of two decoded orders, one by one (never the padding). */
static int
order_same(const struct order *a, const struct order *b)
{
	return a->version == b->version &&
	    memcmp(a->salt, b->salt, 32) == 0 &&
	    memcmp(a->maker, b->maker, ETH_ADDR_LEN) == 0 &&
	    memcmp(a->signer, b->signer, ETH_ADDR_LEN) == 0 &&
	    memcmp(a->taker, b->taker, ETH_ADDR_LEN) == 0 &&
	    memcmp(a->token_id, b->token_id, 32) == 0 &&
	    memcmp(a->maker_amount, b->maker_amount, 32) == 0 &&
	    memcmp(a->taker_amount, b->taker_amount, 32) == 0 &&
	    memcmp(a->expiration, b->expiration, 32) == 0 &&
	    memcmp(a->nonce, b->nonce, 32) == 0 &&
	    memcmp(a->fee_rate_bps, b->fee_rate_bps, 32) == 0 &&
	    a->side == b->side && a->signature_type == b->signature_type &&
	    memcmp(a->timestamp, b->timestamp, 32) == 0 &&
	    memcmp(a->metadata, b->metadata, 32) == 0 &&
	    memcmp(a->builder, b->builder, 32) == 0;
}

/*
 * Whether the account may sign order number num (from 1): the wallet key
 * signs only as itself, for itself (EOA, type 0) or for its funder (a
 * proxy or safe wallet, types 1 and 2), as the exchange checks them.
 */
static int
order_check(const struct order *o, size_t num,
    const uint8_t addr[ETH_ADDR_LEN], const uint8_t *funder, char *why,
    size_t whylen)
{
	char	a[ETH_ADDR_STRLEN], b[ETH_ADDR_STRLEN], c[ETH_ADDR_STRLEN];

	eth_address_eip55(addr, b);
	if (memcmp(o->signer, addr, ETH_ADDR_LEN) != 0) {
		eth_address_eip55(o->signer, a);
		whyf(why, whylen, "order %zu: signer %s is not the account's "
		    "address %s", num, a, b);
		return CV_ERR_DENIED;
	}
	if (memcmp(o->maker, o->signer, ETH_ADDR_LEN) == 0) {
		if (o->signature_type != 0) {
			whyf(why, whylen, "order %zu: signatureType %u for the "
			    "account's own address as maker; that is 0 (EOA)",
			    num, (unsigned int)o->signature_type);
			return CV_ERR_DENIED;
		}
		return 0;
	}
	eth_address_eip55(o->maker, a);
	if (funder == NULL) {
		whyf(why, whylen, "order %zu: maker %s is not the account's "
		    "address %s, and the account has no funder", num, a, b);
		return CV_ERR_DENIED;
	}
	if (memcmp(o->maker, funder, ETH_ADDR_LEN) != 0) {
		eth_address_eip55(funder, c);
		whyf(why, whylen, "order %zu: maker %s is neither the account's "
		    "address %s nor its funder %s", num, a, b, c);
		return CV_ERR_DENIED;
	}
	if (o->signature_type != 1 && o->signature_type != 2) {
		whyf(why, whylen, "order %zu: signatureType %u for the funder "
		    "%s as maker; that is 1 (proxy) or 2 (safe)", num,
		    (unsigned int)o->signature_type, a);
		return CV_ERR_DENIED;
	}
	return 0;
}

/*
 * Element i of the body (the body itself when it is one object), and
 * its "order" object.
 */
static int
batch_element(const struct order_batch *b, size_t i, json_t **el,
    json_t **ord)
{
	if (json_is_array(b->root)) {
		if (json_array_size(b->root) != b->n)
			return CV_ERR_INVALID;
		*el = json_array_get(b->root, i);
	} else if (json_is_object(b->root) && b->n == 1)
		*el = b->root;
	else
		return CV_ERR_INVALID;
	if (!json_is_object(*el))
		return CV_ERR_INVALID;
	*ord = json_object_get(*el, "order");
	return json_is_object(*ord) ? 0 : CV_ERR_INVALID;
}

static int
outbuf_add(const char *buf, size_t size, void *arg)
{
	struct outbuf	*ob = arg;
	size_t		 cap;
	char		*p;

	if (size > SIZE_MAX / 2 - ob->len)
		return -1;
	if (ob->len + size + 1 > ob->cap) {
		cap = ob->cap != 0 ? ob->cap : 1024;
		while (cap < ob->len + size + 1)
			cap *= 2;
		if ((p = realloc(ob->p, cap)) == NULL)
			return -1;
		ob->p = p;
		ob->cap = cap;
	}
	memcpy(ob->p + ob->len, buf, size);
	ob->len += size;
	ob->p[ob->len] = '\0';
	return 0;
}

int
order_batch_sign(struct order_batch *b, const struct order_domain *dom,
    const uint8_t addr[ETH_ADDR_LEN], const uint8_t *funder,
    const char *owner, order_sign_fn *sign, void *arg, char **out,
    size_t *outlen, char *why, size_t whylen)
{
	struct outbuf	 ob = { NULL, 0, 0 };
	struct order	 o;
	json_t		*jowner = NULL, *el, *ord;
	uint8_t		 digest[32], sig[65];
	char		 hex[2 + 2 * sizeof(sig) + 1] = "0x";
	size_t		 i;
	int		 r = CV_ERR_INVALID;

	*out = NULL;
	*outlen = 0;
	whyf(why, whylen, "%s", "");
	if (b->root == NULL || b->n == 0 || b->n > ORDER_BATCH_MAX ||
	    dom == NULL || sign == NULL) {
		whyf(why, whylen, "no orders to sign");
		goto out;
	}
	if (owner == NULL || (jowner = json_string(owner)) == NULL) {
		whyf(why, whylen, "owner: not UTF-8 text");
		goto out;
	}

	/* Every order is read again and checked before any is signed. */
	for (i = 0; i < b->n; i++) {
		if (batch_element(b, i, &el, &ord) != 0 ||
		    order_from_json(ord, b->o[i].version, &o, NULL, 0) != 0 ||
		    !order_same(&o, &b->o[i])) {
			whyf(why, whylen, "order %zu: not the order the body "
			    "holds", i + 1);
			r = CV_ERR_INVALID;
			goto out;
		}
		if (strcmp(dom->version, o.version == ORDER_V2 ? "2" : "1")
		    != 0) {
			whyf(why, whylen, "order %zu: a version %d order under "
			    "a version \"%s\" domain", i + 1, (int)o.version,
			    dom->version);
			r = CV_ERR_INVALID;
			goto out;
		}
		if ((r = order_check(&o, i + 1, addr, funder, why,
		    whylen)) != 0)
			goto out;
	}

	for (i = 0; i < b->n; i++) {
		if (batch_element(b, i, &el, &ord) != 0) {
			r = CV_ERR_INTERNAL;
			goto out;
		}
		order_digest(dom, &b->o[i], digest);
		if ((r = sign(arg, digest, sig)) != 0) {
			whyf(why, whylen, "order %zu: the wallet key did not "
			    "sign: %s", i + 1, cv_strerror(r));
			goto out;
		}
		if (sig[64] != 27 && sig[64] != 28) {
			whyf(why, whylen, "order %zu: signature with v %u, "
			    "not 27 or 28", i + 1, (unsigned int)sig[64]);
			r = CV_ERR_INTERNAL;
			goto out;
		}
		hex_encode(sig, sizeof(sig), hex + 2);
		/* jansson replaces a member where it stands. */
		if (json_object_set_new(ord, "signature",
		    json_string(hex)) != 0 ||
		    json_object_set(el, "owner", jowner) != 0) {
			r = CV_ERR_NOMEM;
			goto out;
		}
	}

	/* JSON_PRESERVE_ORDER: the members in the order they came. */
	if (json_dump_callback(b->root, outbuf_add, &ob,
	    JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 || ob.p == NULL) {
		r = CV_ERR_NOMEM;
		goto out;
	}
	*out = ob.p;
	*outlen = ob.len;
	ob.p = NULL;
	r = 0;
 out:
	free(ob.p);
	json_decref(jowner);
	return r;
}
