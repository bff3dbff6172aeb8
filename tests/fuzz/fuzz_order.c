/*
 * Fuzz the order reader and signer (common/order.h): the first byte
 * picks the form (bit 0 a POST /orders batch, bit 1 version 2 orders,
 * bit 2 the neg-risk exchange), the rest is the body as a bot would
 * send it.  A refusal must say why and leave the batch empty.  A body
 * that parses is viewed and signed by a stand-in wallet for the first
 * order's signer, with its maker as funder; the signed body must parse
 * again to the same orders with each signature in place, and signing it
 * again must give the same bytes.  Any disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/order.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A wallet without a key: the digest twice and v 27, as r || s || v. */
static int
stand_in_sign(void *arg, const uint8_t digest[32], uint8_t sig[65])
{
	(void)arg;
	memcpy(sig, digest, 32);
	memcpy(sig + 32, digest, 32);
	sig[64] = 27;
	return 0;
}

/* Decimal text: digits, at most one point, not ending in it. */
static void
check_dec(const char *s)
{
	size_t	i, points = 0;

	if (s[0] < '0' || s[0] > '9')
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '.')
			points++;
		else if (s[i] < '0' || s[i] > '9')
			abort();
	if (points > 1 || s[i - 1] == '.')
		abort();
}

static void
check_view(const struct order *o)
{
	struct order_view	v;
	static const uint8_t	zero[32];
	const uint8_t		*size;
	int			r;

	size = o->side == ORDER_BUY ? o->taker_amount : o->maker_amount;
	r = order_view(o, &v);
	if (r == CV_ERR_INVALID && memcmp(size, zero, 32) == 0)
		return;
	if (r != 0)
		abort();
	if (strcmp(v.side, o->side == ORDER_BUY ? "BUY" : "SELL") != 0)
		abort();
	check_dec(v.token);
	check_dec(v.size);
	check_dec(v.notional);
	check_dec(v.price);
	if (strchr(v.token, '.') != NULL || strcmp(v.size, "0") == 0)
		abort();
}

/*
 * b is a's signed body read back: the same orders, each element with its
 * stand-in signature and owner.
 */
static void
check_signed(const struct order_batch *a, const struct order_batch *b,
    const struct order_domain *dom)
{
	json_t		*el, *sig;
	uint8_t		 ha[32], hb[32], raw[65];
	char		 want[2 + 130 + 1] = "0x";
	size_t		 i;

	if (a->n != b->n)
		abort();
	for (i = 0; i < a->n; i++) {
		order_struct_hash(&a->o[i], ha);
		order_struct_hash(&b->o[i], hb);
		if (memcmp(ha, hb, 32) != 0 ||
		    memcmp(a->o[i].taker, b->o[i].taker, ETH_ADDR_LEN) != 0 ||
		    memcmp(a->o[i].expiration, b->o[i].expiration, 32) != 0)
			abort();
		order_digest(dom, &b->o[i], hb);
		(void)stand_in_sign(NULL, hb, raw);
		hex_encode(raw, sizeof(raw), want + 2);
		el = json_is_array(b->root) ? json_array_get(b->root, i) :
		    b->root;
		sig = json_object_get(json_object_get(el, "order"),
		    "signature");
		if (json_string_value(sig) == NULL ||
		    strcmp(json_string_value(sig), want) != 0)
			abort();
		sig = json_object_get(el, "owner");
		if (json_string_value(sig) == NULL ||
		    strcmp(json_string_value(sig), "fuzz") != 0)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct order_batch	 b, again;
	struct order_domain	 dom;
	enum order_version	 version;
	char			 why[256], *out = NULL, *out2 = NULL;
	size_t			 i, outlen, outlen2;
	int			 is_batch, r;

	if (size < 1)
		return 0;
	is_batch = data[0] & 1;
	version = (data[0] & 2) ? ORDER_V2 : ORDER_V1;
	memset(&again, 0, sizeof(again));

	why[0] = '\0';
	r = order_batch_parse(data + 1, size - 1, is_batch, version, &b, why,
	    sizeof(why));
	if (r != 0) {
		if (r != CV_ERR_INVALID || why[0] == '\0' || b.root != NULL ||
		    b.n != 0)
			abort();
		return 0;
	}
	if (b.root == NULL || b.n == 0 || b.n > ORDER_BATCH_MAX ||
	    (is_batch ? !json_is_array(b.root) : !json_is_object(b.root)))
		abort();
	for (i = 0; i < b.n; i++) {
		if (b.o[i].version != version)
			abort();
		check_view(&b.o[i]);
	}

	if (order_domain_for(version == ORDER_V2 ? "polymarket" : "openfish",
	    version, data[0] & 4, &dom) != 0)
		abort();
	why[0] = '\0';
	r = order_batch_sign(&b, &dom, b.o[0].signer, b.o[0].maker, "fuzz",
	    stand_in_sign, NULL, &out, &outlen, why, sizeof(why));
	if (r != 0) {
		if (r != CV_ERR_DENIED || out != NULL || why[0] == '\0')
			abort();
		goto done;
	}
	if (out == NULL || strlen(out) != outlen)
		abort();

	/* the body sent is the body signed: it reads back the same */
	if (order_batch_parse((const uint8_t *)out, outlen, is_batch, version,
	    &again, why, sizeof(why)) != 0)
		abort();
	check_signed(&b, &again, &dom);
	if (order_batch_sign(&again, &dom, b.o[0].signer, b.o[0].maker,
	    "fuzz", stand_in_sign, NULL, &out2, &outlen2, why,
	    sizeof(why)) != 0 || outlen2 != outlen ||
	    memcmp(out, out2, outlen) != 0)
		abort();
 done:
	free(out);
	free(out2);
	order_batch_free(&again);
	order_batch_free(&b);
	return 0;
}
