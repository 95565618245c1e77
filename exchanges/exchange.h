/* The exchange adapter interface: a driver table (docs/style.md P3). This and
 * the adapters behind it are the only code in vigil that knows an
 * exchange's wire format; everything above sees reconcile/model.h structs
 * and typed errors. The contract the core sees (typed results, requests,
 * struct xch_ops, an opaque struct xch) is reconcile/model_venue.h; here
 * is what only the program and the adapters see: the adapter's
 * configuration, struct xch itself, construction and the listing helpers.
 *
 * Threading: an adapter's REST calls are made from one thread at a time
 * (the engine thread). The stream runs in its own libwebsockets service
 * thread started by stream_start; its cache is read with xch_stream_copy().
 *
 * Ownership: arrays returned through `T **out, size_t *n` are malloc'd and
 * owned by the caller (free()); on error *out is NULL and *n is 0. */
#ifndef XCH_EXCHANGE_H
#define XCH_EXCHANGE_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchanges/xch_budget.h"
#include "reconcile/model.h"
#include "reconcile/model_venue.h"

/* Rate-limit state read from the last answers. */
struct xch_limits {
	int used_weight_1m; /* Binance X-MBX-USED-WEIGHT-1M, -1 unknown */
	int limit_status;   /* Bybit X-Bapi-Limit-Status (remaining), -1 unknown */
	int limit;          /* Bybit X-Bapi-Limit, -1 unknown */
	uint64_t requests;  /* REST requests sent by this adapter */
};

/* Called from the stream thread after each applied event, outside the
 * cache lock. symbol may be "" for account-level events. Must be quick. */
typedef void (*xch_event_fn)(void *ud, const char *symbol, int64_t recv_ns);

struct xch_config {
	enum rec_exchange exchange;
	char account[REC_ACCT_MAX];
	char rest_url[512];
	char ws_url[512];
	const char *api_key;    /* borrowed; must outlive the adapter */
	const char *api_secret; /* borrowed */
	int64_t recv_window_ms;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
	size_t max_body; /* response cap, 0 = default 8 MiB */
	bool hedge_mode;
	xch_event_fn on_event; /* optional */
	void *on_event_ud;
	/* optional: called on the calling thread after every REST answer (or
	 * transport failure) with the endpoint path (no host, no query), the
	 * HTTP status (0 = none) and the round trip in ms. For metrics. */
	void (*on_rest)(void *ud, const char *method, const char *path, long http, int64_t elapsed_ms);
	void *on_rest_ud;
	/* Appended (issue 14): Bybit settle coins listed for positions and
	 * open orders, e.g. {"USDT","USDC"}; nsettle 0 = USDT and USDC. */
	char settle_coins[4][8];
	size_t nsettle;
	/* Appended (issue 15): the request budget is shared by every account
	 * with the same exchange and egress (one IP); budget.limit 0 = the
	 * exchange's defaults (exchanges/xch_budget.h). */
	char egress[64];
	struct xch_budget_cfg budget;
	/* Appended (issue 21): ca_file = the CA certificates (PEM) that
	 * verify the exchange's TLS certificate instead of the system's
	 * bundle (a private CA, a TLS-inspecting proxy); "" = the system's.
	 * Verification itself is never optional. proxy = "http://HOST:PORT"
	 * (HTTP CONNECT) or "socks5h://HOST:PORT" for REST and the stream,
	 * "" = none; no credentials in it (the config refuses userinfo). */
	char ca_file[PATH_MAX];
	char proxy[512];
};

/* Every adapter starts with this header; the private part follows. */
struct xch {
	const struct xch_ops *ops;
	struct xch_config cfg;
	int64_t clock_offset_ms; /* server - local, learned from server_time */
	struct xch_limits limits;
	void *priv;
	struct xch_budget *budget; /* appended (issue 15): NULL for the fake adapter */
};

/* The listing of symbols sym[0..n) only, in one xch_listing (n == 0: the
 * whole account): what a targeted check after stream events reads. A part
 * (positions, orders) fails as a whole when any symbol's part fails. */
int xch_fetch_listing_of(struct xch *x, const char (*sym)[REC_SYM_MAX], size_t n, struct xch_listing *out);

/* The stream cache as xch_stream_copy gives it, but of symbols sym[0..n)
 * only (n == 0: all of it): what the targeted check of those symbols reads
 * (issue 21). The header (state, times, reconnects) is copied whole; of
 * the entries only the symbols' positions and orders, in cache order, so
 * a detection copies a few entries instead of up to 2048 orders (680 KiB)
 * under the stream thread's lock. 0, or -1 if the adapter has no stream. */
int xch_stream_copy_of(struct xch *x, const char (*sym)[REC_SYM_MAX], size_t n, struct rec_stream_cache *out);

/* The stream's state alone, without its entries: what the metrics read
 * between audits (a connection that comes up or drops shows at once, not
 * at the next audit). 0, or -1 if the adapter has no stream. */
struct xch_stream_status {
	enum rec_stream_state state;
	int64_t last_msg_ms; /* 0 = no message yet */
	uint64_t reconnects;
};
int xch_stream_status(struct xch *x, struct xch_stream_status *out);

/* Creates the adapter for cfg->exchange ("binance" / "bybit"). NULL with
 * err set if the config is unusable. Free with xch_free(). */
struct xch *xch_new(const struct xch_config *cfg, struct xch_err *err);
void xch_free(struct xch *x);

/* Convenience wrappers: x->ops->fn(x, ...). */
static inline int xch_fetch_listing(struct xch *x, struct xch_listing *out)
{
	return x->ops->fetch_listing(x, out);
}

#endif
