/*
 * What the policy sees of an order (order_view): its amounts as exact
 * decimals and its price, with unsigned big integers only as far as
 * that needs them.  No floating point anywhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/encode.h"
#include "common/order.h"

/*
 * Unsigned integers for order_view: little-endian 32-bit limbs, enough
 * for a uint256 times 10^18 (under 2^316).
 */
#define BN_LIMBS	10
#define BN_DIGITS	(BN_LIMBS * 10)	/* decimal digits, with room */

struct bn {
	uint32_t	w[BN_LIMBS];
};

static void	bn_from_u256(struct bn *, const uint8_t[32]);
static int	bn_is_zero(const struct bn *);
static uint32_t	bn_mul_small(struct bn *, uint32_t);
static uint32_t	bn_div_small(struct bn *, uint32_t);
static int	bn_add_one(struct bn *);
static void	bn_divmod(const struct bn *, const struct bn *, struct bn *,
		    struct bn *);
static int	bn_dec(const struct bn *, unsigned int, char *, size_t);

/*
 * Unsigned big integers, only as far as order_view needs them: from a
 * uint256, times and divided by a small number, long division, and
 * decimal text.
 */
static void
bn_from_u256(struct bn *a, const uint8_t v[32])
{
	int	i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < 32; i++)
		a->w[i / 4] |= (uint32_t)v[31 - i] << (8 * (i % 4));
}

static int
bn_is_zero(const struct bn *a)
{
	int	i;

	for (i = 0; i < BN_LIMBS; i++)
		if (a->w[i] != 0)
			return 0;
	return 1;
}

/* a *= m; returns what carried out of the top limb (0 when it fit). */
static uint32_t
bn_mul_small(struct bn *a, uint32_t m)
{
	uint64_t	t, carry = 0;
	int		i;

	for (i = 0; i < BN_LIMBS; i++) {
		t = (uint64_t)a->w[i] * m + carry;
		a->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	return (uint32_t)carry;
}

/* a /= d (d > 0); returns the remainder. */
static uint32_t
bn_div_small(struct bn *a, uint32_t d)
{
	uint64_t	t, rem = 0;
	int		i;

	for (i = BN_LIMBS - 1; i >= 0; i--) {
		t = rem << 32 | a->w[i];
		a->w[i] = (uint32_t)(t / d);
		rem = t % d;
	}
	return (uint32_t)rem;
}

/* a += 1; returns 1 when it wrapped. */
static int
bn_add_one(struct bn *a)
{
	int	i;

	for (i = 0; i < BN_LIMBS; i++)
		if (++a->w[i] != 0)
			return 0;
	return 1;
}

/*
 * q = n / d, r = n % d (d > 0), one bit at a time.  r stays below 2d,
 * and d is at most a uint256, so r never leaves the limbs.
 */
static void
bn_divmod(const struct bn *n, const struct bn *d, struct bn *q,
    struct bn *r)
{
	uint64_t	t;
	uint32_t	borrow;
	int		bit, i, ge;

	memset(q, 0, sizeof(*q));
	memset(r, 0, sizeof(*r));
	for (bit = BN_LIMBS * 32 - 1; bit >= 0; bit--) {
		for (i = BN_LIMBS - 1; i > 0; i--)
			r->w[i] = r->w[i] << 1 | r->w[i - 1] >> 31;
		r->w[0] = r->w[0] << 1 | ((n->w[bit / 32] >> (bit % 32)) & 1);
		for (i = BN_LIMBS - 1, ge = 1; i >= 0; i--)
			if (r->w[i] != d->w[i]) {
				ge = r->w[i] > d->w[i];
				break;
			}
		if (!ge)
			continue;
		for (i = 0, borrow = 0; i < BN_LIMBS; i++) {
			t = (uint64_t)r->w[i] - d->w[i] - borrow;
			r->w[i] = (uint32_t)t;
			borrow = (uint32_t)(t >> 63);
		}
		q->w[bit / 32] |= (uint32_t)1 << (bit % 32);
	}
}

/*
 * a as decimal text with scale implied decimals ("11.7824" for 11782400
 * at scale 6): no trailing zero after the point, no point without
 * decimals, "0" for zero.  CV_ERR_TOOLONG if it does not fit outlen.
 */
static int
bn_dec(const struct bn *a, unsigned int scale, char *out, size_t outlen)
{
	struct bn	t = *a;
	char		rev[BN_DIGITS + 32];	/* digits, lowest first */
	size_t		n = 0, lo = 0, need, i;

	do {
		rev[n++] = (char)('0' + bn_div_small(&t, 10));
	} while (!bn_is_zero(&t) && n < BN_DIGITS);
	while (n <= scale && n < sizeof(rev))
		rev[n++] = '0';		/* "0.000001": a digit before the point */
	while (lo < scale && rev[lo] == '0')
		lo++;
	need = n - scale + (lo < scale ? 1 + scale - lo : 0) + 1;
	if (need > outlen)
		return CV_ERR_TOOLONG;
	for (i = n; i > scale; i--)
		*out++ = rev[i - 1];
	if (lo < scale) {
		*out++ = '.';
		for (i = scale; i > lo; i--)
			*out++ = rev[i - 1];
	}
	*out = '\0';
	return 0;
}

int
order_view(const struct order *o, struct order_view *v)
{
	struct bn	 token, size, notional, q, rem;
	const uint8_t	*sz, *nt;
	int		 r = CV_ERR_INTERNAL;

	memset(v, 0, sizeof(*v));
	if (o->side == ORDER_BUY) {
		memcpy(v->side, "BUY", 4);
		sz = o->taker_amount;
		nt = o->maker_amount;
	} else if (o->side == ORDER_SELL) {
		memcpy(v->side, "SELL", 5);
		sz = o->maker_amount;
		nt = o->taker_amount;
	} else {
		r = CV_ERR_INVALID;
		goto out;
	}
	bn_from_u256(&token, o->token_id);
	bn_from_u256(&size, sz);
	bn_from_u256(&notional, nt);
	if (bn_is_zero(&size)) {
		r = CV_ERR_INVALID;
		goto out;
	}
	if ((r = bn_dec(&token, 0, v->token, sizeof(v->token))) != 0 ||
	    (r = bn_dec(&size, 6, v->size, sizeof(v->size))) != 0 ||
	    (r = bn_dec(&notional, 6, v->notional, sizeof(v->notional))) != 0)
		goto out;
	bn_from_u256(&q, o->expiration);
	if ((r = bn_dec(&q, 0, v->expiration, sizeof(v->expiration))) != 0)
		goto out;
	if (o->version == ORDER_V1) {
		bn_from_u256(&q, o->fee_rate_bps);
		if ((r = bn_dec(&q, 0, v->fee_rate, sizeof(v->fee_rate))) != 0)
			goto out;
	}
	memcpy(v->taker, "0x", 2);
	hex_encode(o->taker, ETH_ADDR_LEN, v->taker + 2);
	if (o->signature_type > 9) {
		r = CV_ERR_INVALID;
		goto out;
	}
	v->signature_type[0] = (char)('0' + o->signature_type);
	if (o->version == ORDER_V2) {
		memcpy(v->builder, "0x", 2);
		hex_encode(o->builder, sizeof(o->builder), v->builder + 2);
	}

	/*
	 * price = notional / size to 18 places: both carry 10^-6, so the
	 * price in units of 10^-18 is ceil(notional * 10^18 / size).
	 */
	if (bn_mul_small(&notional, 1000000000) != 0 ||
	    bn_mul_small(&notional, 1000000000) != 0) {
		r = CV_ERR_INTERNAL;
		goto out;
	}
	bn_divmod(&notional, &size, &q, &rem);
	if (!bn_is_zero(&rem) && bn_add_one(&q) != 0) {
		r = CV_ERR_INTERNAL;
		goto out;
	}
	if ((r = bn_dec(&q, 18, v->price, sizeof(v->price))) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		memset(v, 0, sizeof(*v));
	return r;
}

void
order_view_flags(const struct order_flags *f, struct order_view *v)
{
	memcpy(v->type, f->type, sizeof(v->type));
	snprintf(v->post_only, sizeof(v->post_only), "%s",
	    f->post_only ? "true" : "false");
	snprintf(v->defer_exec, sizeof(v->defer_exec), "%s",
	    f->defer_exec ? "true" : "false");
}
