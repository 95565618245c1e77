/* The fake adapter: an in-memory exchange behind struct xch_ops, for the
 * repair engine's unit tests (docs/style.md P3). Scriptable:
 * positions (the exchange's truth), a separate stream view, open orders,
 * a per-call error queue, delayed visibility of new orders, automatic
 * would-trigger from the mark, Binance-like reduce-only rejection while
 * reduce-only orders rest, and a log of every call for assertions.
 *
 * Time comes from an injected rec_clock (the fake clock in tests). */
#ifndef XCH_FAKE_H
#define XCH_FAKE_H
#include "exchanges/exchange.h"
#include "base/clock.h"

#define FAKE_MAX_POS 32
#define FAKE_MAX_ORD 64
#define FAKE_MAX_CALLS 256
#define FAKE_MAX_ERRQ 16

/* One logged call. op: "positions", "open_orders", "listing", "get_order",
 * "close", "stop", "cancel", "instruments", "server_time", "stream". */
struct fake_call {
	char op[16];
	char symbol[REC_SYM_MAX];
	enum rec_oside side;         /* close / stop: the order side sent */
	enum rec_side position_side; /* close / stop: the position side asked for */
	double qty;
	double trigger;
	char id[REC_ID_MAX]; /* get_order / cancel target */
	char client_id[REC_ID_MAX];
	int rc; /* what the fake answered */
};

/* Creates a fake for exchange ex; clk is borrowed (must outlive it). */
struct xch *fake_new(enum rec_exchange ex, const char *account, const struct rec_clock *clk);

/* Exchange truth (REST positions). size 0 removes it. Sets the stream view
 * too when the stream mirrors (default on). */
void fake_set_position(struct xch *x, const char *symbol, enum rec_side side, double size, double entry, double mark);
/* The next n calls of op ("stop", "close", "cancel") are carried out, then
 * answer XCH_TIMEOUT: the answer lost after the exchange acted. */
void fake_lose_answers(struct xch *x, const char *op, int n);
/* What the position_mode op answers (default UNKNOWN). */
void fake_set_position_mode(struct xch *x, enum rec_pos_mode m);
void fake_set_mark(struct xch *x, const char *symbol, double mark);
/* Stream view only (may disagree with REST: KAVAUSDT, BASUSDT). */
void fake_stream_set(struct xch *x, const char *symbol, enum rec_side side, double size);
void fake_stream_forget(struct xch *x, const char *symbol);
void fake_stream_state(struct xch *x, enum rec_stream_state st);
/* When true (default) the fake's own fills/closes update the stream view. */
void fake_stream_mirror(struct xch *x, bool on);
/* REST positions answer [] for the next n calls (a REST glitch). */
void fake_rest_hide_positions(struct xch *x, int n);

/* Adds a resting order (id assigned if o->id is ""); returns its index. */
int fake_add_order(struct xch *x, const struct rec_order *o);
/* Looks an order up by id or client id (NULL if none). Borrowed. */
const struct rec_order *fake_find_order(struct xch *x, const char *id, const char *client_id);
/* Open (NEW) orders of a symbol (or all with NULL). */
size_t fake_count_open(struct xch *x, const char *symbol);

/* Next call of op fails with rc (exchange code `code`). FIFO per op. */
void fake_inject(struct xch *x, const char *op, enum xch_rc rc, long code);
/* Orders created from now are invisible to get_order / open_orders for ms. */
void fake_set_visibility_delay(struct xch *x, int64_t ms);
/* Closes are acknowledged and logged but the position does not change. */
void fake_set_close_noop(struct xch *x, bool on);
/* Closes are acknowledged but end EXPIRED with 0 filled (IOC cancelled). */
void fake_set_close_expires(struct xch *x, bool on);
/* Stops are acknowledged but never appear (lost by the exchange). */
void fake_set_stop_lost(struct xch *x, bool on);
/* Instrument filters (tick/step); defaults 0.0001 / 0.001. */
void fake_set_instrument(struct xch *x, const char *symbol, double tick, double step);

const struct fake_call *fake_calls(struct xch *x, size_t *n);
/* Number of logged calls of op (and symbol unless NULL). */
size_t fake_count_calls(struct xch *x, const char *op, const char *symbol);
/* The exchange's current position size/side for symbol (0 if flat). */
double fake_position_size(struct xch *x, const char *symbol, enum rec_side *side);

#endif
