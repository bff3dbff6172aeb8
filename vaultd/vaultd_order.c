/*
 * The orders of a signing request as the policy sees them: decoded from
 * the same bytes, with the same strict parser, as signerd signs them.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vaultd/vaultd_order.h"

/* The fields of an order_view the policy sees, by name. */
static const struct {
	const char	*name;
	size_t		 off;
} view_fields[VAULTD_ORDER_NFIELDS] = {
	{ "side",		offsetof(struct order_view, side) },
	{ "token",		offsetof(struct order_view, token) },
	{ "price",		offsetof(struct order_view, price) },
	{ "size",		offsetof(struct order_view, size) },
	{ "notional",		offsetof(struct order_view, notional) },
	{ "expiration",		offsetof(struct order_view, expiration) },
	{ "fee_rate",		offsetof(struct order_view, fee_rate) },
	{ "taker",		offsetof(struct order_view, taker) },
	{ "signature_type",	offsetof(struct order_view, signature_type) },
	{ "builder",		offsetof(struct order_view, builder) },
	{ "type",		offsetof(struct order_view, type) },
	{ "post_only",		offsetof(struct order_view, post_only) },
	{ "defer_exec",		offsetof(struct order_view, defer_exec) },
};

/* 1 for a POST /order or /orders body: batch says which. */
static int
is_orders(const char *method, const char *path, size_t plen, int *batch)
{
	if (strcmp(method, "POST") != 0)
		return 0;
	if (plen == 6 && memcmp(path, "/order", 6) == 0)
		*batch = 0;
	else if (plen == 7 && memcmp(path, "/orders", 7) == 0)
		*batch = 1;
	else
		return 0;
	return 1;
}

int
vaultd_orders_view(struct vaultd_orders *vo, const char *method,
    const char *path, size_t pathlen, const uint8_t *body, size_t bodylen,
    int version, struct sign_args *a, char *why, size_t whylen)
{
	struct order_batch	 b;
	const char		*q;
	char			 why1[128], why2[128];
	size_t			 plen, i, k;
	int			 batch, rc;

	plen = (q = memchr(path, '?', pathlen)) != NULL ?
	    (size_t)(q - path) : pathlen;
	if (!is_orders(method, path, plen, &batch))
		return 0;
	if (plen != pathlen) {
		snprintf(why, whylen, "POST %.*s takes no query", (int)plen,
		    path);
		return CV_ERR_INVALID;
	}
	if (version != 0)
		rc = order_batch_parse(body, bodylen, batch,
		    (enum order_version)version, &b, why, whylen);
	else if ((rc = order_batch_parse(body, bodylen, batch, ORDER_V1,
	    &b, why1, sizeof(why1))) != 0) {
		/* a version's members are not the other's: one at most */
		order_batch_free(&b);
		if ((rc = order_batch_parse(body, bodylen, batch, ORDER_V2,
		    &b, why2, sizeof(why2))) != 0 && strcmp(why1, why2) == 0)
			snprintf(why, whylen, "%s", why1);
		else if (rc != 0)
			snprintf(why, whylen, "as a version 1 order: %s; as a "
			    "version 2 order: %s", why1, why2);
	}
	if (rc != 0) {
		order_batch_free(&b);
		return rc;
	}
	for (i = 0; i < b.n; i++) {
		struct order_view	*v = &vo->views[i];
		struct policy_field	*f = &vo->fields[i *
					    VAULTD_ORDER_NFIELDS];

		if ((rc = order_view(&b.o[i], v)) != 0) {
			snprintf(why, whylen, "order %zu: it has no size",
			    i + 1);
			order_batch_free(&b);
			return rc;
		}
		order_view_flags(&b.f[i], v);
		for (k = 0; k < VAULTD_ORDER_NFIELDS; k++) {
			f[k].name = view_fields[k].name;
			f[k].value = (const char *)v + view_fields[k].off;
			/* a V2 order's fee_rate, a V1 order's builder */
			if (*f[k].value == '\0')
				f[k].value = NULL;
		}
	}
	a->kind = "order";
	a->fields = vo->fields;
	a->nfields = VAULTD_ORDER_NFIELDS;
	a->nsets = b.n;
	order_batch_free(&b);
	return 0;
}
