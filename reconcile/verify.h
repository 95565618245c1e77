/* Verification from several sources, and order completion.
 *
 * Everything here talks to the exchange only through the adapter interface
 * and waits only through the injected clock (clock.h), so unit tests with
 * the fake adapter and the fake clock run instantly.
 *
 * Source order (seeds 001/003): the private stream first (authoritative
 * for a symbol it reported: rule 1, the same rules.h function and
 * rec_params as classification), then the order's own status, then REST
 * positions. REST may lag the stream or omit a position (REST glitch,
 * KAVAUSDT), so REST alone never proves a position gone on a single
 * answer. */
#ifndef REC_VERIFY_H
#define REC_VERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/model_venue.h"
#include "base/clock.h"
#include "reconcile/model.h"
#include "reconcile/reconcile.h"

struct rec_verify_cfg {
	int64_t budget_ms;        /* 10 s: total time one verification may take */
	int64_t backoff_first_ms; /* 500 */
	double backoff_factor;    /* 1.5 */
	int64_t backoff_cap_ms;   /* 2000 */
	int gone_checks;          /* 10 checks ... */
	int64_t gone_interval_ms; /* ... 1 s apart */
};
void rec_verify_cfg_default(struct rec_verify_cfg *c);
/* Wait before retry number n (0-based): first * factor^n, capped. */
int64_t rec_backoff_ms(const struct rec_verify_cfg *c, int n);

/* What the engine and the verifiers share: the adapter, the clock, the
 * source rules' parameters (the classifier's, so one stream_stale_ms;
 * rec_ctx_init sets the defaults) and a scratch stream cache (large, so
 * allocated once). */
struct rec_ctx {
	struct xch *x;
	const struct rec_clock *clk;
	struct rec_verify_cfg cfg;
	struct rec_stream_cache *sc;
	struct rec_params params;
};
void rec_ctx_init(struct rec_ctx *c, struct xch *x, const struct rec_clock *clk);
void rec_ctx_free(struct rec_ctx *c);

/* The stream's view of symbol (pidx BOTH matches any): 1 = the stream is
 * authoritative for the symbol (rule 1: out filled; size 0 = flat), 0 =
 * stream fresh but never reported it, -1 = no stream, down, stale, or the
 * entry is from before the current connection. */
int rec_stream_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out);

/* REST positions (one fresh call): 1 = listed open (out filled), 0 = not
 * listed (flat), -1 = error. pidx BOTH matches any. */
int rec_rest_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out);

enum rec_vres { REC_V_OK = 0, REC_V_FAILED, REC_V_TIMEOUT };
const char *rec_vres_name(enum rec_vres v);

/* After an order that should open/grow a position: stream, then the
 * order's status (by id, or client id if id is ""), then REST positions;
 * backoff 0.5 s x 1.5^n capped at 2 s; budget 10 s. An order closed with
 * 0 filled is REC_V_FAILED (explicit), not a timeout. detail gets why. */
enum rec_vres rec_verify_position_exists(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx,
					 const char *order_id, const char *client_id, bool is_algo, char *detail,
					 size_t dlen);

/* After a close: gone_checks checks gone_interval_ms apart. A fresh stream
 * that reported the symbol decides alone (size 0 = gone). Otherwise REST
 * must omit it on two consecutive answers (one [] may be a glitch). A
 * position of the other side than `side` is reported as not gone. */
enum rec_vres rec_verify_position_gone(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, enum rec_side side,
				       char *detail, size_t dlen);

/* After placing an order: it must be listed in open orders (matched by id
 * or client id); *out gets the listed order. An order the exchange reports
 * cancelled / rejected / expired is REC_V_FAILED at once. */
enum rec_vres rec_verify_order_open(struct rec_ctx *c, const char *symbol, const char *id, const char *client_id,
				    bool is_algo, struct rec_order *out, char *detail, size_t dlen);

/* The open list of symbol (one fresh call): 1 = the order with id or
 * client id (either may be NULL / "") is listed (*out), 0 = not, -1 = error. */
int rec_order_listed(struct rec_ctx *c, const char *symbol, const char *id, const char *client_id,
		     struct rec_order *out);

/* After an answer was lost: looks the order up by client id (get_order,
 * then the open list) with backoff inside the budget. 1 = found (*out),
 * 0 = the exchange answered and does not know it (within the budget),
 * -1 = could not ask. */
int rec_find_by_client_id(struct rec_ctx *c, const char *symbol, const char *client_id, bool is_algo,
			  struct rec_order *out, char *detail, size_t dlen);

/* After a cancel: open orders no longer list id. */
enum rec_vres rec_verify_order_gone(struct rec_ctx *c, const char *symbol, const char *id, char *detail, size_t dlen);

/* Order completion: never trust a create answer beyond its ids (Bybit
 * answers only orderId / orderLinkId). Fetches the order by ack->id (or its
 * client id), retrying while the exchange does not show it yet, within the
 * budget. Returns XCH_OK with *out filled, or the last error. */
int rec_order_complete(struct rec_ctx *c, const char *symbol, const struct xch_ack *ack, struct rec_order *out,
		       struct xch_err *err);

/* An order status that means the order is finished without effect. */
bool rec_order_dead(enum rec_order_status s);

#endif
