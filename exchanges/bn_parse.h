/* Binance USD-M answers and user-stream events -> vigil's model
 * (docs/exchange-facts.md Part 1). Pure functions: no I/O, tested on fixtures.
 * Every parser returns XCH_OK or XCH_MALFORMED (err filled); arrays are
 * malloc'd and owned by the caller. */
#ifndef BN_PARSE_H
#define BN_PARSE_H
#include <json-c/json.h>

#include "exchanges/exchange.h"

/* Maps an answer's HTTP status and Binance "code" to a typed result;
 * XCH_OK when the answer is not an error. retry_after_ms: Retry-After
 * header value (-1 none). */
int bn_check_answer(long http, const char *body, size_t len, int64_t retry_after_ms, struct xch_err *err);
int bn_map_code(long code);

int bn_parse_server_time(const char *body, size_t len, int64_t *ms, struct xch_err *err);
/* positionRisk v3 (or account v3 positions[]): open positions only. */
int bn_parse_positions(const char *body, size_t len, int64_t seen_ms, struct rec_position **out, size_t *n,
		       struct xch_err *err);
/* openOrders / a single order object. */
int bn_parse_orders(const char *body, size_t len, struct rec_order **out, size_t *n, struct xch_err *err);
int bn_parse_order(const char *body, size_t len, struct rec_order *out, struct xch_err *err);
/* openAlgoOrders / a single algo order object. */
int bn_parse_algo_orders(const char *body, size_t len, struct rec_order **out, size_t *n, struct xch_err *err);
int bn_parse_algo_order(const char *body, size_t len, struct rec_order *out, struct xch_err *err);
/* GET /fapi/v1/positionSide/dual {"dualSidePosition":true|false} ->
 * HEDGE / ONEWAY; anything else XCH_MALFORMED. */
int bn_parse_position_mode(const char *body, size_t len, enum rec_pos_mode *out, struct xch_err *err);
/* Ack of POST order (orderId) or POST algoOrder (algoId). */
int bn_parse_ack(const char *body, size_t len, bool algo, struct xch_ack *ack, struct xch_err *err);
int bn_parse_instruments(const char *body, size_t len, struct xch_instrument **out, size_t *n, struct xch_err *err);

/* Streamed listings (issue 21): positionRisk, openOrders and
 * openAlgoOrders parsed as they arrive. A sink converts each element of
 * the answer's top-level array to the model as json-c finishes it
 * (exchanges/jsonx_stream.h); attach bn_list_sink_stream() to the request
 * (xch_req.stream). The _take functions then give exactly what
 * bn_parse_positions / bn_parse_orders / bn_parse_algo_orders give on the
 * whole body, same codes and messages: from the sink when the request says
 * streamed, else by those parsers from body (an answer the stream
 * declined, e.g. an error object). A sink is reused by each run. */
enum bn_list_kind { BN_LIST_POSITIONS, BN_LIST_ORDERS, BN_LIST_ALGO_ORDERS };
struct bn_list_sink;
struct xch_jstream;
struct bn_list_sink *bn_list_sink_new(enum bn_list_kind kind);
void bn_list_sink_free(struct bn_list_sink *s);
struct xch_jstream *bn_list_sink_stream(struct bn_list_sink *s);
int bn_list_take_positions(struct bn_list_sink *s, bool streamed, const char *body, size_t len, int64_t seen_ms,
			   struct rec_position **out, size_t *n, struct xch_err *err);
int bn_list_take_orders(struct bn_list_sink *s, bool streamed, const char *body, size_t len, struct rec_order **out,
			size_t *n, struct xch_err *err);

/* One user-stream message. */
enum bn_event_kind { BN_EV_OTHER = 0, BN_EV_ACCOUNT, BN_EV_ORDER, BN_EV_ALGO, BN_EV_KEY_EXPIRED };
struct bn_event {
	enum bn_event_kind kind;
	int64_t event_ms;         /* E */
	struct rec_position *pos; /* ACCOUNT_UPDATE a.P[] (size 0 = flat) */
	size_t npos;
	struct rec_order ord; /* ORDER_TRADE_UPDATE / ALGO_UPDATE */
};
/* XCH_OK or XCH_MALFORMED; free with bn_event_free(). */
int bn_parse_event(const char *msg, size_t len, int64_t seen_ms, struct bn_event *ev);
void bn_event_free(struct bn_event *ev);

/* Field mappings, shared with the adapter. */
enum rec_oside bn_oside(const char *s);
enum rec_pos_idx bn_pidx(const char *s);
enum rec_order_kind bn_kind(const char *type);
enum rec_order_status bn_status(const char *s);
enum rec_order_status bn_algo_status(const char *s);
/* Documented trigger direction of a type + side (1.7): STOP* and
 * TRAILING_STOP_MARKET BUY rise / SELL fall, TAKE_PROFIT* the reverse,
 * anything else UNKNOWN. */
enum rec_trig_dir bn_trigger_dir(const char *type, enum rec_oside side);
/* Stream updates may be sparse (ALGO_UPDATE has no activation price; "ia"
 * exists only since 2026-08): before cur is replaced by upd, keep the
 * facts upd does not state. activated YES is kept (activation is one-way);
 * NO is not (it may have activated since). */
void bn_order_carry(const struct rec_order *cur, struct rec_order *upd);

#endif
