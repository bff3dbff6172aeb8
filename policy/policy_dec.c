/*
 * Decimals as the policy language writes them: an optional '-', digits,
 * and an optional '.' with digits.  Compared and scaled exactly, on the
 * text, so that no value is ever rounded through a double.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/policy_int.h"

/* A decimal split into its parts, leading and trailing zeros dropped. */
struct dec {
	int		 neg;
	const char	*ip;	/* integer digits, no leading zeros */
	size_t		 ilen;
	const char	*fp;	/* fraction digits, no trailing zeros */
	size_t		 flen;
};

static int
dec_split(const char *s, size_t len, struct dec *d)
{
	size_t	i = 0, start;

	if (s == NULL || len == 0)
		return CV_ERR_INVALID;
	d->neg = 0;
	if (s[0] == '-') {
		d->neg = 1;
		i++;
	}
	start = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == start)
		return CV_ERR_INVALID;
	d->ip = s + start;
	d->ilen = i - start;
	d->fp = s + i;
	d->flen = 0;
	if (i < len) {
		if (s[i] != '.')
			return CV_ERR_INVALID;
		start = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start || i != len)
			return CV_ERR_INVALID;
		d->fp = s + start;
		d->flen = i - start;
	}
	while (d->ilen > 0 && d->ip[0] == '0') {
		d->ip++;
		d->ilen--;
	}
	while (d->flen > 0 && d->fp[d->flen - 1] == '0')
		d->flen--;
	if (d->ilen == 0 && d->flen == 0)
		d->neg = 0;		/* "-0" is 0 */
	return 0;
}

int
pol_dec_valid(const char *s, size_t len)
{
	struct dec	d;

	return dec_split(s, len, &d) == 0;
}

/* Compare magnitudes: <0, 0, >0. */
static int
dec_abscmp(const struct dec *a, const struct dec *b)
{
	size_t	i, n;
	char	ca, cb;

	if (a->ilen != b->ilen)
		return a->ilen < b->ilen ? -1 : 1;
	for (i = 0; i < a->ilen; i++)
		if (a->ip[i] != b->ip[i])
			return a->ip[i] < b->ip[i] ? -1 : 1;
	n = a->flen > b->flen ? a->flen : b->flen;
	for (i = 0; i < n; i++) {
		ca = i < a->flen ? a->fp[i] : '0';
		cb = i < b->flen ? b->fp[i] : '0';
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return 0;
}

int
pol_dec_cmp(const char *a, size_t alen, const char *b, size_t blen,
    int *cmp)
{
	struct dec	da, db;
	int		r = CV_ERR_INVALID;

	if (dec_split(a, alen, &da) != 0 || dec_split(b, blen, &db) != 0)
		goto out;
	if (da.neg != db.neg)
		*cmp = da.neg ? -1 : 1;
	else if (da.neg)
		*cmp = -dec_abscmp(&da, &db);
	else
		*cmp = dec_abscmp(&da, &db);
	r = 0;
 out:
	return r;
}

/* Digit i of d's digits, integer then fraction. */
static unsigned
dec_digit(const struct dec *d, size_t i)
{
	return (unsigned)((i < d->ilen ? d->ip[i] : d->fp[i - d->ilen]) - '0');
}

/*
 * num / den against v, as num against v * den: the product is exact, in
 * at most POL_DEC_PROD_MAX digits, and written as a decimal to split.
 */
int
pol_dec_ratio_cmp(const char *num, size_t numlen, const char *den,
    size_t denlen, const char *v, size_t vlen, int *cmp)
{
	struct dec	dn, dd, dv, dp;
	uint32_t	acc[POL_DEC_PROD_MAX];
	char		text[POL_DEC_PROD_MAX + 2];
	size_t		na, nb, n, scale, i, j, o = 0;

	if (dec_split(num, numlen, &dn) != 0 ||
	    dec_split(den, denlen, &dd) != 0 ||
	    dec_split(v, vlen, &dv) != 0 || dd.neg ||
	    (dd.ilen == 0 && dd.flen == 0))
		return CV_ERR_INVALID;
	na = dv.ilen + dv.flen;
	nb = dd.ilen + dd.flen;
	if ((n = na + nb) > POL_DEC_PROD_MAX)
		return CV_ERR_TOOLONG;
	scale = dv.flen + dd.flen;
	/* digits of the product, the highest first; acc[0] the last carry */
	memset(acc, 0, sizeof(acc));
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			acc[i + j + 1] += dec_digit(&dv, i) * dec_digit(&dd, j);
	for (i = n; i > 1; i--) {
		acc[i - 2] += acc[i - 1] / 10;
		acc[i - 1] %= 10;
	}
	if (n - scale == 0)
		text[o++] = '0';
	for (i = 0; i < n; i++) {
		if (i == n - scale)
			text[o++] = '.';
		text[o++] = (char)('0' + acc[i]);
	}
	if (o == 0)
		text[o++] = '0';
	if (dec_split(text, o, &dp) != 0)
		return CV_ERR_INVALID;
	if (dp.ilen != 0 || dp.flen != 0)
		dp.neg = dv.neg;
	if (dn.neg != dp.neg)
		*cmp = dn.neg ? -1 : 1;
	else if (dn.neg)
		*cmp = -dec_abscmp(&dn, &dp);
	else
		*cmp = dec_abscmp(&dn, &dp);
	return 0;
}

int
pol_dec_units(const char *s, size_t len, uint64_t *out)
{
	struct dec	d;
	uint64_t	v = 0, frac = 0;
	size_t		i;
	int		r = CV_ERR_INVALID;

	if (dec_split(s, len, &d) != 0 || d.neg)
		goto out;
	r = CV_ERR_TOOLONG;
	for (i = 0; i < d.ilen; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			goto out;
		v = v * 10 + (uint64_t)(d.ip[i] - '0');
	}
	if (v > UINT64_MAX / PB_SCALE)
		goto out;
	v *= PB_SCALE;
	/* six places; any digit past them rounds up (it is not zero) */
	for (i = 0; i < 6; i++)
		frac = frac * 10 + (i < d.flen ? (uint64_t)(d.fp[i] - '0') : 0);
	if (d.flen > 6)
		frac++;
	if (v > UINT64_MAX - frac)
		goto out;
	*out = v + frac;
	r = 0;
 out:
	return r;
}
