/*
 * What the policy sees of the orders a signing request carries
 * (vaultd_order.c): the gateway's POST /order and /orders, and the
 * operator's vaultctl sign order.
 */
#ifndef VAULTD_ORDER_H
#define VAULTD_ORDER_H

#include "common/order.h"
#include "vaultd/vaultd.h"

#define VAULTD_ORDER_NFIELDS	13	/* an order's fields the policy sees */

/* The decoded orders the fields point into: keep it as long as them. */
struct vaultd_orders {
	struct order_view	views[ORDER_BATCH_MAX];
	struct policy_field	fields[ORDER_BATCH_MAX * VAULTD_ORDER_NFIELDS];
};

/*
 * A POST /order or /orders request (path without its query, which it
 * must not have): each order of the body decoded under version (0: the
 * one version it parses under, for a caller that does not know the
 * account's; signerd signs only the account's), a->kind "order" and
 * a->fields, a->nfields, a->nsets set to them.  Any other request: 0,
 * a untouched.  CV_ERR_INVALID with why.
 */
int	vaultd_orders_view(struct vaultd_orders *, const char *method,
	    const char *path, size_t pathlen, const uint8_t *body,
	    size_t bodylen, int version, struct sign_args *a, char *why,
	    size_t whylen) CV_WUR;

#endif
