/* The contract between the core and the exchange adapters (part of the
 * model: a leaf, the model and base/ only). The repair engine and the
 * verifiers (reconcile/) reach an exchange only through what is here: the
 * typed results, the instrument / listing / request / ack structs, the
 * driver table (struct xch_ops, docs/style.md P3) and an opaque struct xch.
 * struct xch itself, the adapter's configuration (URLs, keys, budget) and
 * xch_new / xch_free are in exchanges/exchange.h, for the program and the
 * adapters alone.
 *
 * Ownership: arrays returned through `T **out, size_t *n` are malloc'd and
 * owned by the caller (free()); on error *out is NULL and *n is 0. */
#ifndef REC_MODEL_VENUE_H
#define REC_MODEL_VENUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/model.h"

/* Typed results. Stable numbers: append only. */
enum xch_rc {
	XCH_OK = 0,
	XCH_RATELIMIT,     /* 429 / Bybit 10006: retry after err.retry_after_ms */
	XCH_BANNED,        /* 418: IP banned until err.retry_after_ms */
	XCH_AUTH,          /* bad key / signature / permissions (-1022, -2014, -2015, 10003, 10004, 10005) */
	XCH_TIMESTAMP,     /* clock skew / recvWindow (-1021, 10002) */
	XCH_WOULD_TRIGGER, /* stop already crossed (-2021, Bybit equivalents) */
	XCH_UNKNOWN_ORDER, /* -2011, -2013, Bybit 110001 */
	XCH_REDUCE_ONLY,   /* reduce-only rejected (-2022, -4118, Bybit 110017) */
	XCH_NOT_SUPPORTED, /* -4120: order type must use the Algo Service */
	XCH_NETWORK,       /* connect / DNS / reset */
	XCH_TIMEOUT,       /* no complete answer in time */
	XCH_SERVER,        /* 5xx, Binance -1001/-1000, Bybit 10016 */
	XCH_MALFORMED,     /* unparsable or unexpected answer */
	XCH_REJECTED,      /* any other business rejection (code in err) */
	XCH_TOOBIG,        /* answer exceeded its size cap */
	XCH_NO_POSITION,   /* nothing to close / position is flat */
	XCH_DUPLICATE,     /* client id already used (-4116, Bybit 110072): the order exists */
	XCH_RC_COUNT
};

const char *xch_rc_name(enum xch_rc rc);
/* Worth retrying later without a human: RATELIMIT, NETWORK, TIMEOUT, SERVER. */
bool xch_rc_transient(enum xch_rc rc);
/* After an order or cancel was sent: the answer does not say whether the
 * exchange acted (NETWORK, TIMEOUT, SERVER, MALFORMED, TOOBIG). A refusal
 * with a code (incl. RATELIMIT / BANNED: not executed) is not unknown. */
bool xch_rc_outcome_unknown(enum xch_rc rc);

struct xch_err {
	enum xch_rc rc;
	int http;               /* HTTP status, 0 if none */
	long code;              /* exchange code (Binance "code", Bybit retCode) */
	char msg[256];          /* exchange message or our description; no secrets */
	int64_t retry_after_ms; /* RATELIMIT / BANNED */
};

struct xch_instrument {
	char symbol[REC_SYM_MAX];
	double tick; /* price tick size */
	double step; /* quantity step */
	double min_qty;
};

/* Everything one audit reads over REST, fetched in parallel. Each part has
 * its own result: a failure of one does not hide the others. */
struct xch_listing {
	int pos_rc; /* enum xch_rc */
	struct xch_err pos_err;
	struct rec_position *pos; /* open positions only (size > 0) */
	size_t npos;
	int ord_rc;
	struct xch_err ord_err;
	/* regular + conditional (Binance openOrders + openAlgoOrders; Bybit
	 * order/realtime incl. untriggered stops) + Bybit position stops
	 * synthesized as orders with position_attached = true */
	struct rec_order *ord;
	size_t nord;
	int64_t fetched_ms; /* local time when all answers were in */
};
void xch_listing_free(struct xch_listing *l);

struct xch_close_req {
	char symbol[REC_SYM_MAX];
	enum rec_side position_side; /* side of the position to close; UNKNOWN refused */
	enum rec_pos_idx pidx;
	double qty;                 /* exchange-confirmed size, rounded to step */
	char client_id[REC_ID_MAX]; /* vgl-... */
	/* Appended (issue 16): the instrument's quantity step; 0 = unknown.
	 * The adapter prints qty as an exact multiple of it (xch_decimal.h). */
	double qty_step;
};

struct xch_stop_req {
	char symbol[REC_SYM_MAX];
	enum rec_side position_side; /* side of the position protected; UNKNOWN refused */
	enum rec_pos_idx pidx;
	double trigger_price; /* rounded to tick by the caller */
	double qty;           /* 0 = close the whole position */
	char client_id[REC_ID_MAX];
	/* Appended (issue 16): the instrument's quantity step and price tick;
	 * 0 = unknown. The adapter prints qty / trigger_price as exact
	 * multiples of them (xch_decimal.h). */
	double qty_step;
	double price_tick;
};

/* What the exchange acknowledged. Never trust more than the id: Bybit's
 * create answer carries only orderId / orderLinkId. */
struct xch_ack {
	char id[REC_ID_MAX];
	char client_id[REC_ID_MAX];
	bool is_algo;
};

/* What a request is for: audits may wait; repairs have their reserved
 * slice; the stream's own calls (Binance listenKey create / keep-alive,
 * weight 1, a few an hour) may use half of that slice, so the first audits
 * of many accounts behind one IP never keep their streams down for a
 * window while the other half stays the repairs'. */
enum xch_prio { XCH_PRIO_AUDIT = 0, XCH_PRIO_REPAIR = 1, XCH_PRIO_STREAM = 2 };

/* An adapter (exchanges/exchange.h defines it). */
struct xch;

struct xch_ops {
	const char *name; /* "binance", "bybit", "fake" */
	int (*server_time)(struct xch *x, int64_t *ms, struct xch_err *err);
	int (*instruments)(struct xch *x, struct xch_instrument **out, size_t *n, struct xch_err *err);
	int (*positions)(struct xch *x, struct rec_position **out, size_t *n, struct xch_err *err);
	int (*open_orders)(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err);
	/* positions and open orders in parallel (curl_multi). Returns XCH_OK
	 * if both parts succeeded, else the first part's error. */
	int (*fetch_listing)(struct xch *x, struct xch_listing *out);
	/* by exchange id (is_algo: Binance algoId) or, if id is "", client id */
	int (*get_order)(struct xch *x, const char *symbol, const char *id, const char *client_id, bool is_algo,
			 struct rec_order *out, struct xch_err *err);
	int (*close_position)(struct xch *x, const struct xch_close_req *req, struct xch_ack *ack, struct xch_err *err);
	int (*place_stop)(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err);
	int (*cancel_order)(struct xch *x, const char *symbol, const char *id, bool is_algo, struct xch_err *err);
	/* Starts the private stream thread; events go into the adapter's cache. */
	int (*stream_start)(struct xch *x, struct xch_err *err);
	void (*stream_stop)(struct xch *x);
	void (*destroy)(struct xch *x);
	/* Appended (issue 4): copies the stream cache under its lock; 0, or -1
	 * if the adapter has no stream. May be NULL (xch_stream_copy -> -1). */
	int (*stream_copy)(struct xch *x, struct rec_stream_cache *out);
	/* Appended (issue 14): the account's position mode as the exchange
	 * reports it (Binance GET /fapi/v1/positionSide/dual). May be NULL
	 * when the mode shows in the position rows instead (Bybit
	 * positionIdx): the core reads it from there. */
	int (*position_mode)(struct xch *x, enum rec_pos_mode *out, struct xch_err *err);
	/* Appended (issue 15): the open orders of one symbol only (Binance
	 * openOrders + openAlgoOrders with symbol=: weight 1 + 1 instead of
	 * 40 + 40). May be NULL: xch_open_orders_of then filters the list. */
	int (*open_orders_of)(struct xch *x, const char *symbol, struct rec_order **out, size_t *n,
			      struct xch_err *err);
	/* Appended (issue 15): the listing of one symbol (Binance
	 * positionRisk, openOrders, openAlgoOrders with symbol=: weight 7
	 * instead of 85; Bybit position/list and order/realtime with
	 * symbol=). May be NULL: xch_fetch_listing_of filters the listing. */
	int (*fetch_listing_of)(struct xch *x, const char *symbol, struct xch_listing *out);
};

/* The adapter's driver table and exchange (implemented by exchanges/xch.c:
 * every adapter, the fake one too, starts with the same header). */
const struct xch_ops *xch_ops(const struct xch *x);
enum rec_exchange xch_exchange(const struct xch *x);

/* What the adapter's requests are for from now on (enum xch_prio): the
 * repair engine marks its calls so they use the reserved slice. */
void xch_set_prio(struct xch *x, enum xch_prio prio);

/* The open orders of symbol (the targeted query when the adapter has one,
 * else the whole list filtered). */
int xch_open_orders_of(struct xch *x, const char *symbol, struct rec_order **out, size_t *n, struct xch_err *err);

/* Copies the stream cache under its lock (ops->stream_copy). Returns 0,
 * -1 if no stream. */
int xch_stream_copy(struct xch *x, struct rec_stream_cache *out);

#endif
