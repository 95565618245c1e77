/* Bybit v5 parsing (see bb_parse.h). DESIGN: lenient getters everywhere
 * (old recordings carry retCode, positionIdx, seq as strings); a flat
 * position is "side '' or 'None' or size 0" and never becomes a side; the
 * create-order answer yields ids only. */
#include "exchanges/bb_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "exchanges/jsonx.h"
#include "exchanges/jsonx_stream.h"
#include "exchanges/xch_int.h"
#include "base/xalloc.h"

static int malformed(struct xch_err *err, const char *what)
{
	return xch_err_set(err, XCH_MALFORMED, err ? err->http : 0, 0, "malformed answer: %s", what);
}

int bb_map_retcode(long code)
{
	switch (code) {
	case 0: return XCH_OK;
	case 10002: return XCH_TIMESTAMP;
	case 10003:
	case 10004:
	case 10005:
	case 10010:
	case 33004: return XCH_AUTH;
	case 10006: /* too many visits (per UID) */
	case 10018: /* the IP's rate limit */ return XCH_RATELIMIT;
	case 10000:
	case 10016: return XCH_SERVER;
	case 110001:
	case 110008:
	case 110010: return XCH_UNKNOWN_ORDER;
	case 110017: return XCH_REDUCE_ONLY;
	case 110072: return XCH_DUPLICATE;
	case 110092:
	case 110093: return XCH_WOULD_TRIGGER;
	default: return XCH_REJECTED;
	}
}

/* The HTTP status part of the check: an rc, or -1 when the envelope decides. */
static int status_rc(long http, struct xch_err *err)
{
	if (err)
		err->http = (int)http;
	if (http == 403) {
		/* "access too frequent": stop and wait >= 10 minutes */
		xch_err_set(err, XCH_BANNED, 403, 0, "bybit http 403 (IP rate limit or region)");
		if (err)
			err->retry_after_ms = 600000;
		return XCH_BANNED;
	}
	if (http == 429) {
		xch_err_set(err, XCH_RATELIMIT, 429, 0, "bybit http 429");
		if (err)
			err->retry_after_ms = 1000;
		return XCH_RATELIMIT;
	}
	if (http >= 500)
		return xch_err_set(err, XCH_SERVER, (int)http, 0, "bybit http %ld", http);
	if (http == 401)
		return xch_err_set(err, XCH_AUTH, 401, 0, "bybit http 401");
	if (http != 200)
		return xch_err_set(err, XCH_REJECTED, (int)http, 0, "bybit http %ld", http);
	return -1;
}

/* The envelope's part; root (taken) NULL = the body was not one JSON value. */
static int envelope_rc(long http, struct json_object *root, int64_t reset_ms, int64_t now_ms,
		       struct json_object **rootp, struct json_object **resultp, struct xch_err *err)
{
	int64_t code;
	if (!root || !xch_json_i64(root, "retCode", &code)) {
		if (root)
			json_object_put(root);
		return malformed(err, "no retCode");
	}
	if (code != 0) {
		char msg[200] = "";
		xch_json_copy(root, "retMsg", msg, sizeof msg);
		json_object_put(root);
		int rc = bb_map_retcode((long)code);
		xch_err_set(err, rc, (int)http, (long)code, "bybit retCode %ld: %s", (long)code,
			    msg[0] ? msg : "(no message)");
		if (err && rc == XCH_RATELIMIT) {
			int64_t d = reset_ms > now_ms ? reset_ms - now_ms : 1000;
			err->retry_after_ms = d < 100 ? 100 : d;
		}
		return rc;
	}
	struct json_object *res = xch_json_get(root, "result");
	if (!json_object_is_type(res, json_type_object)) {
		json_object_put(root);
		return malformed(err, "no result");
	}
	*rootp = root;
	*resultp = res;
	return XCH_OK;
}

int bb_check_answer(long http, const char *body, size_t len, int64_t reset_ms, int64_t now_ms,
		    struct json_object **rootp, struct json_object **resultp, struct xch_err *err)
{
	*rootp = NULL;
	*resultp = NULL;
	int rc = status_rc(http, err);
	if (rc >= 0)
		return rc;
	return envelope_rc(http, xch_json_parse(body, len), reset_ms, now_ms, rootp, resultp, err);
}

int bb_check_answer_root(long http, struct json_object *root, int64_t reset_ms, int64_t now_ms,
			 struct json_object **rootp, struct json_object **resultp, struct xch_err *err)
{
	*rootp = NULL;
	*resultp = NULL;
	int rc = status_rc(http, err);
	if (rc >= 0) {
		if (root)
			json_object_put(root);
		return rc;
	}
	return envelope_rc(http, root, reset_ms, now_ms, rootp, resultp, err);
}

int bb_parse_server_time(struct json_object *root, int64_t *ms)
{
	struct json_object *res = xch_json_get(root, "result");
	int64_t v;
	if (xch_json_i64(res, "timeNano", &v) && v > 0) {
		*ms = v / 1000000;
		return XCH_OK;
	}
	if (xch_json_i64(res, "timeSecond", &v) && v > 0) {
		if (v > INT64_MAX / 1000)
			return XCH_MALFORMED;
		*ms = v * 1000;
		/* the envelope's ms time is finer when present */
		int64_t t;
		if (xch_json_i64(root, "time", &t) && t / 1000 == v)
			*ms = t;
		return XCH_OK;
	}
	if (xch_json_i64(root, "time", &v) && v > 0) {
		*ms = v;
		return XCH_OK;
	}
	return XCH_MALFORMED;
}

enum rec_oside bb_oside(const char *s)
{
	if (s && !strcmp(s, "Buy"))
		return REC_BUY;
	if (s && !strcmp(s, "Sell"))
		return REC_SELL;
	return REC_OSIDE_UNKNOWN;
}

/* stopOrderType (2.5). "Stop" is a plain conditional order from
 * order/create + triggerPrice: a stop-loss or a take-profit only by its
 * triggerDirection relative to the position, so it is CONDITIONAL, never
 * STOP_LOSS. tpslOrder, OcoOrder, MmRateClose, BidirectionalTpslOrder and
 * anything new: OTHER. */
enum rec_order_kind bb_kind(const char *t)
{
	if (!t || !*t || !strcmp(t, "UNKNOWN"))
		return REC_OK_REGULAR;
	if (!strcmp(t, "Stop"))
		return REC_OK_CONDITIONAL;
	if (!strcmp(t, "StopLoss") || !strcmp(t, "PartialStopLoss"))
		return REC_OK_STOP_LOSS;
	if (!strcmp(t, "TakeProfit") || !strcmp(t, "PartialTakeProfit"))
		return REC_OK_TAKE_PROFIT;
	if (!strcmp(t, "TrailingStop"))
		return REC_OK_TRAILING;
	return REC_OK_OTHER;
}

enum rec_trig_dir bb_trigger_dir(struct json_object *o)
{
	int64_t d;
	if (!xch_json_i64(o, "triggerDirection", &d))
		return REC_TRIG_UNKNOWN;
	return d == 1 ? REC_TRIG_RISE : d == 2 ? REC_TRIG_FALL : REC_TRIG_UNKNOWN;
}

enum rec_trig_dir bb_loss_dir(enum rec_side side, enum rec_pos_idx pidx)
{
	if (side == REC_SIDE_LONG)
		return REC_TRIG_FALL;
	if (side == REC_SIDE_SHORT)
		return REC_TRIG_RISE;
	/* flat: the hedge-mode leg still says which way it would lose */
	return pidx == REC_PIDX_LONG ? REC_TRIG_FALL : pidx == REC_PIDX_SHORT ? REC_TRIG_RISE : REC_TRIG_UNKNOWN;
}

enum rec_order_status bb_status(const char *s)
{
	if (!s)
		return REC_OST_UNKNOWN;
	if (!strcmp(s, "New") || !strcmp(s, "Untriggered") || !strcmp(s, "Created"))
		return REC_OST_NEW;
	if (!strcmp(s, "PartiallyFilled"))
		return REC_OST_PARTIAL;
	if (!strcmp(s, "Filled"))
		return REC_OST_FILLED;
	if (!strcmp(s, "Cancelled") || !strcmp(s, "PartiallyFilledCanceled") || !strcmp(s, "Deactivated"))
		return REC_OST_CANCELED;
	if (!strcmp(s, "Rejected"))
		return REC_OST_REJECTED;
	if (!strcmp(s, "Triggered"))
		return REC_OST_TRIGGERED;
	return REC_OST_UNKNOWN;
}

static enum rec_pos_idx pidx_of(struct json_object *o)
{
	int64_t i = xch_json_i64d(o, "positionIdx", 0);
	return i == 1 ? REC_PIDX_LONG : i == 2 ? REC_PIDX_SHORT : REC_PIDX_BOTH;
}

bool bb_position_from(struct json_object *o, int64_t seen_ms, unsigned source, struct rec_position *p, bool *open)
{
	memset(p, 0, sizeof *p);
	*open = false;
	if (!json_object_is_type(o, json_type_object))
		return false;
	if (!xch_json_copy(o, "symbol", p->symbol, sizeof p->symbol) || !p->symbol[0])
		return false;
	double size = 0;
	if (!xch_json_num(o, "size", &size))
		return false;
	const char *side = xch_json_str(o, "side");
	p->pidx = pidx_of(o);
	p->size = fabs(size);
	if (side && !strcmp(side, "Buy"))
		p->side = REC_SIDE_LONG;
	else if (side && !strcmp(side, "Sell"))
		p->side = REC_SIDE_SHORT;
	else
		p->side = REC_SIDE_UNKNOWN; /* "" or "None": flat */
	if (p->side == REC_SIDE_UNKNOWN || p->size == 0) {
		p->size = 0;
		p->side = REC_SIDE_UNKNOWN;
	}
	if (!xch_json_num(o, "avgPrice", &p->entry_price))
		p->entry_price = xch_json_numd(o, "entryPrice", 0);
	p->mark_price = xch_json_numd(o, "markPrice", 0);
	/* "", "0", "0.00" all mean none */
	p->stop_loss = xch_json_numd(o, "stopLoss", 0);
	p->take_profit = xch_json_numd(o, "takeProfit", 0);
	if (p->stop_loss < 0)
		p->stop_loss = 0;
	if (p->take_profit < 0)
		p->take_profit = 0;
	p->update_ms = xch_json_i64d(o, "updatedTime", 0);
	p->seq = xch_json_i64d(o, "seq", 0);
	p->seen_ms = seen_ms;
	p->sources = source;
	*open = p->size > 0;
	return true;
}

bool bb_order_from(struct json_object *o, unsigned source, struct rec_order *r)
{
	memset(r, 0, sizeof *r);
	if (!json_object_is_type(o, json_type_object))
		return false;
	if (!xch_json_copy(o, "orderId", r->id, sizeof r->id) || !r->id[0])
		return false;
	xch_json_copy(o, "orderLinkId", r->client_id, sizeof r->client_id);
	xch_json_copy(o, "symbol", r->symbol, sizeof r->symbol);
	r->side = bb_oside(xch_json_str(o, "side"));
	const char *sot = xch_json_str(o, "stopOrderType");
	const char *ot = xch_json_str(o, "orderType");
	r->kind = bb_kind(sot);
	r->trigger_price = xch_json_numd(o, "triggerPrice", 0);
	if (r->trigger_price < 0)
		r->trigger_price = 0;
	r->conditional = r->kind != REC_OK_REGULAR || r->trigger_price > 0;
	if (r->conditional && r->kind == REC_OK_REGULAR)
		r->kind = REC_OK_OTHER; /* a trigger without a stop type */
	/* type: the conditional kind when there is one, else Market/Limit */
	snprintf(r->type, sizeof r->type, "%s",
		 r->conditional && sot && *sot && strcmp(sot, "UNKNOWN") ? sot
		 : ot                                                    ? ot
									 : "");
	r->reduce_only = xch_json_bool(o, "reduceOnly", false);
	r->pidx = pidx_of(o);
	r->price = xch_json_numd(o, "price", 0);
	r->qty = xch_json_numd(o, "qty", 0);
	r->filled = xch_json_numd(o, "cumExecQty", 0);
	r->status = bb_status(xch_json_str(o, "orderStatus"));
	/* only what triggerDirection says (1 rise, 2 fall); never guessed
	 * from stopOrderType */
	r->trigger_dir = bb_trigger_dir(o);
	/* closeOnTrigger as sent, with or without a qty */
	r->close_on_trigger = xch_json_bool(o, "closeOnTrigger", false);
	/* "triggerPrice: trigger (activation price for TrailingStop)" */
	if (r->kind == REC_OK_TRAILING)
		r->activate_price = r->trigger_price;
	r->activated = REC_TRI_UNKNOWN; /* Bybit does not say */
	/* a Full-mode TP/SL order closes whatever is open */
	r->close_position = r->close_on_trigger && r->conditional && r->qty == 0;
	r->created_ms = xch_json_i64d(o, "createdTime", 0);
	r->update_ms = xch_json_i64d(o, "updatedTime", r->created_ms);
	r->sources = source;
	return true;
}

void bb_stop_from_position(const struct rec_position *p, struct rec_order *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, BB_POS_SL_PREFIX "%s:%d", p->symbol, (int)p->pidx);
	snprintf(r->symbol, sizeof r->symbol, "%s", p->symbol);
	/* the closing side of the position it protects (UNKNOWN if flat) */
	r->side = rec_closing_side(p->side);
	if (r->side == REC_OSIDE_UNKNOWN)
		r->side = p->pidx == REC_PIDX_LONG ? REC_SELL : p->pidx == REC_PIDX_SHORT ? REC_BUY : REC_OSIDE_UNKNOWN;
	r->kind = REC_OK_STOP_LOSS;
	/* a stop-loss fires on the position's loss side */
	r->trigger_dir = bb_loss_dir(p->side, p->pidx);
	/* close_on_trigger stays false: a position's stopLoss is no order
	 * and has no closeOnTrigger flag; close_position says it all */
	snprintf(r->type, sizeof r->type, "PositionStopLoss");
	r->conditional = true;
	r->reduce_only = true;
	r->close_position = true;
	r->position_attached = true;
	r->pidx = p->pidx;
	r->trigger_price = p->stop_loss;
	r->qty = 0;
	r->status = p->stop_loss > 0 ? REC_OST_NEW : REC_OST_CANCELED;
	r->created_ms = p->update_ms;
	r->update_ms = p->update_ms;
	r->sources = p->sources;
}

/* One page's result.list (its length in *page_n, 0 on error) and cursor. */
static int page_common(struct json_object *result, struct json_object **list, size_t *page_n, char *cursor, size_t ccap,
		       struct xch_err *err)
{
	*page_n = 0;
	if (cursor && ccap)
		cursor[0] = '\0';
	*list = xch_json_array(result, "list");
	if (!*list)
		return malformed(err, "no result.list");
	if (cursor && ccap)
		xch_json_copy(result, "nextPageCursor", cursor, ccap);
	*page_n = json_object_array_length(*list);
	return XCH_OK;
}

int bb_parse_positions(struct json_object *result, int64_t seen_ms, struct rec_position **v, size_t *n, size_t *page_n,
		       char *cursor, size_t ccap, struct xch_err *err)
{
	struct json_object *list;
	int rc = page_common(result, &list, page_n, cursor, ccap, err);
	if (rc != XCH_OK)
		return rc;
	size_t cnt = *page_n;
	if (cnt)
		*v = xrealloc(*v, (*n + cnt) * sizeof **v);
	for (size_t i = 0; i < cnt; i++) {
		bool open;
		if (!bb_position_from(json_object_array_get_idx(list, i), seen_ms, REC_SRC_REST, &(*v)[*n], &open))
			return malformed(err, "position row");
		if (open)
			(*n)++;
	}
	return XCH_OK;
}

int bb_parse_orders(struct json_object *result, struct rec_order **v, size_t *n, size_t *page_n, char *cursor,
		    size_t ccap, struct xch_err *err)
{
	struct json_object *list;
	int rc = page_common(result, &list, page_n, cursor, ccap, err);
	if (rc != XCH_OK)
		return rc;
	size_t cnt = *page_n;
	if (cnt)
		*v = xrealloc(*v, (*n + cnt) * sizeof **v);
	for (size_t i = 0; i < cnt; i++) {
		if (!bb_order_from(json_object_array_get_idx(list, i), REC_SRC_REST, &(*v)[*n]))
			return malformed(err, "order without id");
		(*n)++;
	}
	return XCH_OK;
}

/* ---- streamed listings ---- */

static const char *const list_path[2] = { "result", "list" };

struct bb_list_sink {
	bool positions;
	struct xch_jstream *js;
	struct rec_position *pos;
	struct rec_order *ord;
	size_t n, cap;
	bool bad; /* an element was unusable: the rest is not converted */
};

static void sink_elem(void *ud, struct json_object *e)
{
	struct bb_list_sink *s = ud;
	if (s->bad)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		if (s->positions)
			s->pos = xrealloc(s->pos, s->cap * sizeof *s->pos);
		else
			s->ord = xrealloc(s->ord, s->cap * sizeof *s->ord);
	}
	if (s->positions) {
		bool open;
		if (!bb_position_from(e, 0, REC_SRC_REST, &s->pos[s->n], &open))
			s->bad = true;
		else if (open)
			s->n++;
	} else if (!bb_order_from(e, REC_SRC_REST, &s->ord[s->n])) {
		s->bad = true;
	} else {
		s->n++;
	}
}

static void sink_reset(void *ud)
{
	struct bb_list_sink *s = ud;
	s->n = 0;
	s->bad = false;
}

struct bb_list_sink *bb_list_sink_new(bool positions)
{
	struct bb_list_sink *s = xcalloc(1, sizeof *s);
	s->positions = positions;
	s->js = xch_jstream_new(list_path, 2, sink_elem, sink_reset, s);
	return s;
}

void bb_list_sink_free(struct bb_list_sink *s)
{
	if (!s)
		return;
	xch_jstream_free(s->js);
	free(s->pos);
	free(s->ord);
	free(s);
}

struct xch_jstream *bb_list_sink_stream(struct bb_list_sink *s)
{
	return s->js;
}

/* result.list is the stream's placeholder: the page is in the sink. */
static bool sink_has_page(struct bb_list_sink *s, struct json_object *result)
{
	struct json_object *list = xch_json_array(result, "list");
	return s && list && list == xch_jstream_placeholder(s->js);
}

/* Appends the sink's rows as bb_parse_positions / bb_parse_orders append
 * result.list: the good rows before an unusable one, then the error. */
static int sink_page(struct bb_list_sink *s, struct json_object *result, void **v, size_t *n, size_t elem,
		     size_t *page_n, char *cursor, size_t ccap, const char *row, struct xch_err *err)
{
	struct json_object *list;
	int rc = page_common(result, &list, page_n, cursor, ccap, err);
	if (rc != XCH_OK)
		return rc;
	*page_n = xch_jstream_count(s->js);
	if (s->n) {
		*v = xrealloc(*v, (*n + s->n) * elem);
		memcpy((char *)*v + *n * elem, s->positions ? (void *)s->pos : (void *)s->ord, s->n * elem);
		*n += s->n;
	}
	s->n = 0;
	return s->bad ? malformed(err, row) : XCH_OK;
}

int bb_list_take_positions(struct bb_list_sink *s, struct json_object *result, int64_t seen_ms, struct rec_position **v,
			   size_t *n, size_t *page_n, char *cursor, size_t ccap, struct xch_err *err)
{
	if (!sink_has_page(s, result))
		return bb_parse_positions(result, seen_ms, v, n, page_n, cursor, ccap, err);
	for (size_t i = 0; i < s->n; i++)
		s->pos[i].seen_ms = seen_ms;
	void *p = *v;
	int rc = sink_page(s, result, &p, n, sizeof **v, page_n, cursor, ccap, "position row", err);
	*v = p;
	return rc;
}

int bb_list_take_orders(struct bb_list_sink *s, struct json_object *result, struct rec_order **v, size_t *n,
			size_t *page_n, char *cursor, size_t ccap, struct xch_err *err)
{
	if (!sink_has_page(s, result))
		return bb_parse_orders(result, v, n, page_n, cursor, ccap, err);
	void *p = *v;
	int rc = sink_page(s, result, &p, n, sizeof **v, page_n, cursor, ccap, "order without id", err);
	*v = p;
	return rc;
}

static bool same_price(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

void bb_add_position_stops(const struct rec_position *pos, size_t npos, struct rec_order **ord, size_t *nord)
{
	for (size_t i = 0; i < npos; i++) {
		if (!(pos[i].stop_loss > 0) || pos[i].size <= 0)
			continue;
		bool listed = false;
		for (size_t j = 0; j < *nord && !listed; j++) {
			struct rec_order *o = &(*ord)[j];
			if (!strcmp(o->type, "StopLoss") && !strcmp(o->symbol, pos[i].symbol) &&
			    o->pidx == pos[i].pidx && same_price(o->trigger_price, pos[i].stop_loss)) {
				o->position_attached = true;
				o->close_position = true;
				/* it is the position's stop-loss: its loss side */
				if (o->trigger_dir == REC_TRIG_UNKNOWN)
					o->trigger_dir = bb_loss_dir(pos[i].side, pos[i].pidx);
				listed = true;
			}
		}
		if (listed)
			continue;
		*ord = xrealloc(*ord, (*nord + 1) * sizeof **ord);
		bb_stop_from_position(&pos[i], &(*ord)[*nord]);
		(*nord)++;
	}
}

int bb_parse_ack(struct json_object *result, struct xch_ack *ack, struct xch_err *err)
{
	memset(ack, 0, sizeof *ack);
	if (!xch_json_copy(result, "orderId", ack->id, sizeof ack->id) || !ack->id[0])
		return malformed(err, "acknowledgement without orderId");
	xch_json_copy(result, "orderLinkId", ack->client_id, sizeof ack->client_id);
	return XCH_OK;
}

int bb_parse_instruments(struct json_object *result, struct xch_instrument **v, size_t *n, size_t *page_n, char *cursor,
			 size_t ccap, struct xch_err *err)
{
	struct json_object *list;
	int rc = page_common(result, &list, page_n, cursor, ccap, err);
	if (rc != XCH_OK)
		return rc;
	size_t cnt = *page_n;
	if (cnt)
		*v = xrealloc(*v, (*n + cnt) * sizeof **v);
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		struct xch_instrument *in = &(*v)[*n];
		memset(in, 0, sizeof *in);
		if (!xch_json_copy(o, "symbol", in->symbol, sizeof in->symbol) || !in->symbol[0])
			continue;
		in->tick = xch_json_numd(xch_json_get(o, "priceFilter"), "tickSize", 0);
		struct json_object *lot = xch_json_get(o, "lotSizeFilter");
		in->step = xch_json_numd(lot, "qtyStep", 0);
		in->min_qty = xch_json_numd(lot, "minOrderQty", 0);
		(*n)++;
	}
	return XCH_OK;
}

/* ---- private stream ---- */

static bool is_linear(struct json_object *row)
{
	const char *c = xch_json_str(row, "category");
	return !c || !strcmp(c, "linear"); /* rows without category: assume ours */
}

int bb_parse_ws(const char *msg, size_t len, int64_t seen_ms, struct bb_ws_msg *m)
{
	memset(m, 0, sizeof *m);
	struct json_object *root = xch_json_parse(msg, len);
	if (!root || !json_object_is_type(root, json_type_object)) {
		if (root)
			json_object_put(root);
		return XCH_MALFORMED;
	}
	int rc = XCH_OK;
	const char *op = xch_json_str(root, "op");
	const char *topic = xch_json_str(root, "topic");
	m->creation_ms = xch_json_i64d(root, "creationTime", 0);
	if (op) {
		m->success = xch_json_bool(root, "success", false);
		xch_json_copy(root, "ret_msg", m->ret_msg, sizeof m->ret_msg);
		if (!strcmp(op, "auth"))
			m->kind = BB_WS_AUTH;
		else if (!strcmp(op, "subscribe"))
			m->kind = BB_WS_SUBSCRIBE;
		else if (!strcmp(op, "pong") || !strcmp(op, "ping"))
			m->kind = BB_WS_PONG;
	} else if (topic) {
		struct json_object *data = xch_json_array(root, "data");
		size_t cnt = data ? json_object_array_length(data) : 0;
		if (!strcmp(topic, "position") || !strncmp(topic, "position.", 9)) {
			m->kind = BB_WS_POSITION;
			m->pos = cnt ? xcalloc(cnt, sizeof *m->pos) : NULL;
			for (size_t i = 0; i < cnt; i++) {
				struct json_object *row = json_object_array_get_idx(data, i);
				bool open;
				if (!is_linear(row)) {
					m->skipped++;
					continue;
				}
				if (!bb_position_from(row, seen_ms, REC_SRC_STREAM, &m->pos[m->npos], &open)) {
					rc = XCH_MALFORMED;
					break;
				}
				if (m->pos[m->npos].update_ms == 0)
					m->pos[m->npos].update_ms = m->creation_ms;
				m->npos++;
			}
		} else if (!strcmp(topic, "order") || !strncmp(topic, "order.", 6)) {
			m->kind = BB_WS_ORDER;
			m->ord = cnt ? xcalloc(cnt, sizeof *m->ord) : NULL;
			for (size_t i = 0; i < cnt; i++) {
				struct json_object *row = json_object_array_get_idx(data, i);
				if (!is_linear(row)) {
					m->skipped++;
					continue;
				}
				if (!bb_order_from(row, REC_SRC_STREAM, &m->ord[m->nord])) {
					rc = XCH_MALFORMED;
					break;
				}
				m->nord++;
			}
		} else if (!strcmp(topic, "execution") || !strncmp(topic, "execution.", 10)) {
			m->kind = BB_WS_EXECUTION;
			m->syms = cnt ? xcalloc(cnt, sizeof *m->syms) : NULL;
			for (size_t i = 0; i < cnt; i++) {
				struct json_object *row = json_object_array_get_idx(data, i);
				if (!is_linear(row)) {
					m->skipped++;
					continue;
				}
				xch_json_copy(row, "symbol", m->syms[m->nsyms], REC_SYM_MAX);
				m->nsyms++;
			}
		}
	}
	json_object_put(root);
	if (rc != XCH_OK)
		bb_ws_msg_free(m);
	return rc;
}

void bb_ws_msg_free(struct bb_ws_msg *m)
{
	free(m->pos);
	free(m->ord);
	free(m->syms);
	m->pos = NULL;
	m->ord = NULL;
	m->syms = NULL;
	m->npos = m->nord = m->nsyms = 0;
}

void bb_set_settle(struct rec_order *v, size_t n, const char *coin)
{
	for (size_t i = 0; i < n; i++)
		snprintf(v[i].settle, sizeof v[i].settle, "%s", coin ? coin : "");
}
