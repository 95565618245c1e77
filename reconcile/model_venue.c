/* The pure part of the core / adapter contract (model_venue.h): typed
 * result names and classes, and the helpers written over the driver table
 * (xch_ops), so they hold for every adapter, the fake one too. */
#include <stdlib.h>
#include <string.h>

#include "reconcile/model_venue.h"

static const char *const rc_names[XCH_RC_COUNT] = {
	[XCH_OK] = "OK",
	[XCH_RATELIMIT] = "RATELIMIT",
	[XCH_BANNED] = "BANNED",
	[XCH_AUTH] = "AUTH",
	[XCH_TIMESTAMP] = "TIMESTAMP",
	[XCH_WOULD_TRIGGER] = "WOULD_TRIGGER",
	[XCH_UNKNOWN_ORDER] = "UNKNOWN_ORDER",
	[XCH_REDUCE_ONLY] = "REDUCE_ONLY",
	[XCH_NOT_SUPPORTED] = "NOT_SUPPORTED",
	[XCH_NETWORK] = "NETWORK",
	[XCH_TIMEOUT] = "TIMEOUT",
	[XCH_SERVER] = "SERVER",
	[XCH_MALFORMED] = "MALFORMED",
	[XCH_REJECTED] = "REJECTED",
	[XCH_TOOBIG] = "TOOBIG",
	[XCH_NO_POSITION] = "NO_POSITION",
	[XCH_DUPLICATE] = "DUPLICATE",
};

const char *xch_rc_name(enum xch_rc rc)
{
	if ((int)rc < 0 || rc >= XCH_RC_COUNT || !rc_names[rc])
		return "UNKNOWN";
	return rc_names[rc];
}

bool xch_rc_transient(enum xch_rc rc)
{
	return rc == XCH_RATELIMIT || rc == XCH_NETWORK || rc == XCH_TIMEOUT || rc == XCH_SERVER;
}

bool xch_rc_outcome_unknown(enum xch_rc rc)
{
	return rc == XCH_NETWORK || rc == XCH_TIMEOUT || rc == XCH_SERVER || rc == XCH_MALFORMED || rc == XCH_TOOBIG;
}

int xch_open_orders_of(struct xch *x, const char *symbol, struct rec_order **out, size_t *n, struct xch_err *err)
{
	const struct xch_ops *ops = xch_ops(x);
	if (ops->open_orders_of)
		return ops->open_orders_of(x, symbol, out, n, err);
	int rc = ops->open_orders(x, out, n, err);
	if (rc != XCH_OK)
		return rc;
	size_t w = 0;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*out)[i].symbol, symbol) == 0)
			(*out)[w++] = (*out)[i];
	*n = w;
	return XCH_OK;
}

int xch_stream_copy(struct xch *x, struct rec_stream_cache *out)
{
	if (!x || !out)
		return -1;
	const struct xch_ops *ops = xch_ops(x);
	if (ops && ops->stream_copy)
		return ops->stream_copy(x, out);
	return -1;
}

void xch_listing_free(struct xch_listing *l)
{
	if (!l)
		return;
	free(l->pos);
	free(l->ord);
	l->pos = NULL;
	l->ord = NULL;
	l->npos = 0;
	l->nord = 0;
}
