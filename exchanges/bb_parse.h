/* Bybit v5 (category linear) answers and private-stream frames -> vigil's
 * model (docs/exchange-facts.md Part 2). Pure functions, tested on fixtures. */
#ifndef BB_PARSE_H
#define BB_PARSE_H
#include <json-c/json.h>

#include "exchanges/exchange.h"

#define BB_POS_SL_PREFIX "pos-sl:" /* id of a synthesized position stop */

/* Checks HTTP status and the envelope's retCode. On XCH_OK *root is the
 * parsed answer (json_object_put it) and *result its "result" object.
 * now_ms is used for the retry hint of 10006 (reset_ms = the
 * X-Bapi-Limit-Reset-Timestamp header, 0 if none). */
int bb_check_answer(long http, const char *body, size_t len, int64_t reset_ms, int64_t now_ms,
		    struct json_object **root, struct json_object **result, struct xch_err *err);
int bb_map_retcode(long code);
/* The same check on an answer already parsed (root taken; NULL = the body
 * was not one JSON value): a streamed listing's envelope. */
int bb_check_answer_root(long http, struct json_object *root, int64_t reset_ms, int64_t now_ms,
			 struct json_object **rootp, struct json_object **resultp, struct xch_err *err);

int bb_parse_server_time(struct json_object *root, int64_t *ms);

/* Fills p from one position row (REST or WS). false if unusable. *open is
 * false for a flat row (side "" / "None" / size 0). */
bool bb_position_from(struct json_object *o, int64_t seen_ms, unsigned source, struct rec_position *p, bool *open);
/* One order object (REST or WS). false without an id. settle is left ""
 * (the order object does not carry it; the listing sets it per coin). */
bool bb_order_from(struct json_object *o, unsigned source, struct rec_order *r);
/* The order vigil synthesizes for a position's own stopLoss. */
void bb_stop_from_position(const struct rec_position *p, struct rec_order *r);

/* Appends result.list[] to a growing array (open positions only / all
 * orders). Returns XCH_OK or XCH_MALFORMED; *page_n = rows in this page,
 * cursor = result.nextPageCursor ("" if none). */
int bb_parse_positions(struct json_object *result, int64_t seen_ms, struct rec_position **v, size_t *n, size_t *page_n,
		       char *cursor, size_t ccap, struct xch_err *err);
int bb_parse_orders(struct json_object *result, struct rec_order **v, size_t *n, size_t *page_n, char *cursor,
		    size_t ccap, struct xch_err *err);
/* Streamed listings (issue 21): position/list and order/realtime parsed
 * as they arrive. A sink converts each element of result.list to the
 * model as json-c finishes it (exchanges/jsonx_stream.h); attach
 * bb_list_sink_stream() to the request (xch_req.stream). When the request
 * says streamed, xch_jstream_finish() gives the envelope (result.list
 * empty; NULL if the body was not one JSON value) for
 * bb_check_answer_root(). The _take functions then do exactly what
 * bb_parse_positions / bb_parse_orders do on the whole answer's result
 * (same rows appended, same codes and messages), from the sink when
 * result.list is its placeholder, else from result itself. s may be
 * NULL. A sink is reused by each run. */
struct bb_list_sink;
struct xch_jstream;
struct bb_list_sink *bb_list_sink_new(bool positions);
void bb_list_sink_free(struct bb_list_sink *s);
struct xch_jstream *bb_list_sink_stream(struct bb_list_sink *s);
int bb_list_take_positions(struct bb_list_sink *s, struct json_object *result, int64_t seen_ms, struct rec_position **v,
			   size_t *n, size_t *page_n, char *cursor, size_t ccap, struct xch_err *err);
int bb_list_take_orders(struct bb_list_sink *s, struct json_object *result, struct rec_order **v, size_t *n,
			size_t *page_n, char *cursor, size_t ccap, struct xch_err *err);
/* Adds the synthesized position stops, unless order/realtime already lists
 * the same stop (a Full-mode StopLoss order at that trigger): one
 * protection must not look like two. */
void bb_add_position_stops(const struct rec_position *pos, size_t npos, struct rec_order **ord, size_t *nord);

int bb_parse_ack(struct json_object *result, struct xch_ack *ack, struct xch_err *err);
int bb_parse_instruments(struct json_object *result, struct xch_instrument **v, size_t *n, size_t *page_n, char *cursor,
			 size_t ccap, struct xch_err *err);

/* One private-stream frame. */
enum bb_ws_kind {
	BB_WS_OTHER = 0,
	BB_WS_AUTH,
	BB_WS_SUBSCRIBE,
	BB_WS_PONG,
	BB_WS_POSITION,
	BB_WS_ORDER,
	BB_WS_EXECUTION
};
struct bb_ws_msg {
	enum bb_ws_kind kind;
	bool success; /* AUTH / SUBSCRIBE */
	char ret_msg[128];
	int64_t creation_ms;
	struct rec_position *pos; /* POSITION (linear rows only; flat rows kept, size 0) */
	size_t npos;
	struct rec_order *ord; /* ORDER (linear only) */
	size_t nord;
	char (*syms)[REC_SYM_MAX]; /* EXECUTION symbols */
	size_t nsyms;
	size_t skipped; /* rows of other categories */
};
int bb_parse_ws(const char *msg, size_t len, int64_t seen_ms, struct bb_ws_msg *m);
void bb_ws_msg_free(struct bb_ws_msg *m);

enum rec_oside bb_oside(const char *s);
enum rec_order_kind bb_kind(const char *stop_order_type);
enum rec_order_status bb_status(const char *s);
/* triggerDirection of an order object: 1 RISE, 2 FALL, else UNKNOWN. */
enum rec_trig_dir bb_trigger_dir(struct json_object *order);
/* The direction a position's stop-loss fires: long FALL, short RISE; when
 * flat, by the hedge leg (1 FALL, 2 RISE; one-way UNKNOWN). */
enum rec_trig_dir bb_loss_dir(enum rec_side side, enum rec_pos_idx pidx);
/* Sets settle (e.g. "USDT") on every order in v[0..n). */
void bb_set_settle(struct rec_order *v, size_t n, const char *coin);

#endif
