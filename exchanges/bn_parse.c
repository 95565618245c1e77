/* Binance USD-M parsing (see bn_parse.h). DESIGN: every JSON access goes
 * through the lenient xch_json_* getters (numbers as strings or numbers,
 * fields may be missing); whatever does not have the expected shape is
 * XCH_MALFORMED. Sides are taken from the exchange's own fields only. */
#include "exchanges/bn_parse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchanges/jsonx.h"
#include "exchanges/jsonx_stream.h"
#include "exchanges/xch_int.h"
#include "base/xalloc.h"

static int malformed(struct xch_err *err, const char *what)
{
	return xch_err_set(err, XCH_MALFORMED, err ? err->http : 0, 0, "malformed answer: %s", what);
}

int bn_map_code(long code)
{
	switch (code) {
	case -1021: return XCH_TIMESTAMP;
	case -1022:
	case -2014:
	case -2015: return XCH_AUTH;
	case -2011:
	case -2013: return XCH_UNKNOWN_ORDER;
	case -2021:
	case -4142: return XCH_WOULD_TRIGGER;
	case -2022:
	case -4118: return XCH_REDUCE_ONLY;
	case -2024: return XCH_NO_POSITION;
	case -4116: return XCH_DUPLICATE;
	case -4120: return XCH_NOT_SUPPORTED;
	case -1003: return XCH_RATELIMIT;
	case -1000:
	case -1001:
	case -1008: return XCH_SERVER;
	case -1007: return XCH_TIMEOUT; /* backend timeout: execution status unknown */
	default: return XCH_REJECTED;
	}
}

int bn_check_answer(long http, const char *body, size_t len, int64_t retry_after_ms, struct xch_err *err)
{
	long code = 0;
	char msg[200] = "";
	bool has_code = false;
	struct json_object *o = xch_json_parse(body, len);
	if (o && json_object_is_type(o, json_type_object)) {
		int64_t c;
		/* the algo cancel answer carries "code":"200" on success */
		if (xch_json_i64(o, "code", &c) && c < 0) {
			code = (long)c;
			has_code = true;
			xch_json_copy(o, "msg", msg, sizeof msg);
		}
	}
	if (o)
		json_object_put(o);
	if (err)
		err->http = (int)http;

	int rc;
	if (http == 429) {
		rc = XCH_RATELIMIT;
	} else if (http == 418) {
		rc = XCH_BANNED;
	} else if (http == 408) {
		rc = XCH_TIMEOUT;
	} else if (http >= 500) {
		rc = XCH_SERVER;
	} else if (has_code) {
		rc = bn_map_code(code);
	} else if (http == 401) {
		rc = XCH_AUTH;
	} else if (http >= 400 || http < 200) {
		rc = XCH_REJECTED;
	} else {
		return XCH_OK;
	}
	xch_err_set(err, rc, (int)http, code, "binance http %ld code %ld: %s", http, code,
		    msg[0] ? msg : "(no message)");
	if (err && (rc == XCH_RATELIMIT || rc == XCH_BANNED))
		err->retry_after_ms = retry_after_ms >= 0 ? retry_after_ms : (rc == XCH_BANNED ? 120000 : 1000);
	return rc;
}

enum rec_oside bn_oside(const char *s)
{
	if (!s)
		return REC_OSIDE_UNKNOWN;
	if (!strcmp(s, "BUY"))
		return REC_BUY;
	if (!strcmp(s, "SELL"))
		return REC_SELL;
	return REC_OSIDE_UNKNOWN;
}

enum rec_pos_idx bn_pidx(const char *s)
{
	if (s && !strcmp(s, "LONG"))
		return REC_PIDX_LONG;
	if (s && !strcmp(s, "SHORT"))
		return REC_PIDX_SHORT;
	return REC_PIDX_BOTH;
}

enum rec_order_kind bn_kind(const char *t)
{
	if (!t || !*t || !strcmp(t, "LIMIT") || !strcmp(t, "MARKET"))
		return REC_OK_REGULAR;
	if (!strcmp(t, "STOP_MARKET") || !strcmp(t, "STOP"))
		return REC_OK_STOP_LOSS;
	if (!strcmp(t, "TAKE_PROFIT_MARKET") || !strcmp(t, "TAKE_PROFIT"))
		return REC_OK_TAKE_PROFIT;
	if (!strcmp(t, "TRAILING_STOP_MARKET"))
		return REC_OK_TRAILING;
	return REC_OK_OTHER;
}

enum rec_order_status bn_status(const char *s)
{
	if (!s)
		return REC_OST_UNKNOWN;
	if (!strcmp(s, "NEW"))
		return REC_OST_NEW;
	if (!strcmp(s, "PARTIALLY_FILLED"))
		return REC_OST_PARTIAL;
	if (!strcmp(s, "FILLED"))
		return REC_OST_FILLED;
	if (!strcmp(s, "CANCELED"))
		return REC_OST_CANCELED;
	if (!strcmp(s, "REJECTED"))
		return REC_OST_REJECTED;
	if (!strcmp(s, "EXPIRED") || !strcmp(s, "EXPIRED_IN_MATCH"))
		return REC_OST_EXPIRED;
	return REC_OST_UNKNOWN;
}

enum rec_order_status bn_algo_status(const char *s)
{
	if (!s)
		return REC_OST_UNKNOWN;
	if (!strcmp(s, "NEW"))
		return REC_OST_NEW;
	if (!strcmp(s, "TRIGGERING"))
		return REC_OST_TRIGGERING;
	if (!strcmp(s, "TRIGGERED"))
		return REC_OST_TRIGGERED;
	/* FINISHED: the order placed on trigger is done; the stop is gone */
	if (!strcmp(s, "FINISHED"))
		return REC_OST_FILLED;
	if (!strcmp(s, "CANCELED"))
		return REC_OST_CANCELED;
	if (!strcmp(s, "EXPIRED"))
		return REC_OST_EXPIRED;
	if (!strcmp(s, "REJECTED"))
		return REC_OST_REJECTED;
	return REC_OST_UNKNOWN;
}

static bool is_conditional_type(const char *t)
{
	enum rec_order_kind k = bn_kind(t);
	return k == REC_OK_STOP_LOSS || k == REC_OK_TAKE_PROFIT || k == REC_OK_TRAILING;
}

/* The trigger direction (docs/exchange-facts.md 1.7 "Trigger rules"):
 * STOP / STOP_MARKET BUY fires when the working price rises to the
 * trigger, SELL when it falls; TAKE_PROFIT* the reverse. A
 * TRAILING_STOP_MARKET fires on a reversal against the position it
 * protects: SELL (closes a long) on a fall, BUY on a rise. Regular and
 * unknown types have no trigger: UNKNOWN. */
enum rec_trig_dir bn_trigger_dir(const char *type, enum rec_oside side)
{
	if (side != REC_BUY && side != REC_SELL)
		return REC_TRIG_UNKNOWN;
	bool buy = side == REC_BUY;
	switch (bn_kind(type)) {
	case REC_OK_STOP_LOSS:
	case REC_OK_TRAILING: return buy ? REC_TRIG_RISE : REC_TRIG_FALL;
	case REC_OK_TAKE_PROFIT: return buy ? REC_TRIG_FALL : REC_TRIG_RISE;
	default: return REC_TRIG_UNKNOWN;
	}
}

int bn_parse_position_mode(const char *body, size_t len, enum rec_pos_mode *out, struct xch_err *err)
{
	*out = REC_MODE_UNKNOWN;
	struct json_object *root = xch_json_parse(body, len);
	struct json_object *v = xch_json_get(root, "dualSidePosition");
	int dual = -1;
	if (json_object_is_type(v, json_type_boolean)) {
		dual = json_object_get_boolean(v) ? 1 : 0;
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		dual = !strcasecmp(s, "true") ? 1 : !strcasecmp(s, "false") ? 0 : -1;
	}
	if (root)
		json_object_put(root);
	if (dual < 0)
		return malformed(err, "positionSide/dual");
	*out = dual ? REC_MODE_HEDGE : REC_MODE_ONEWAY;
	return XCH_OK;
}

/* Where the fields of one order stand in each of Binance's four order
 * objects (REST order, REST algo order, stream ORDER_TRADE_UPDATE "o",
 * stream ALGO_UPDATE "o"); NULL = the object has no such field. */
struct bn_order_keys {
	const char *id, *client_id, *symbol, *side, *type, *orig_type;
	bool type_from_orig; /* an empty type is taken from orig_type */
	const char *reduce_only, *close_position, *pidx, *trigger, *activate;
	const char *price, *qty, *filled, *status;
	bool algo;
	const char *activated; /* ALGO_UPDATE "ia" (trailing activated, 2026-08) */
};

static const struct bn_order_keys rest_order_keys = {
	.id = "orderId",
	.client_id = "clientOrderId",
	.symbol = "symbol",
	.side = "side",
	.type = "type",
	.orig_type = "origType",
	.type_from_orig = true,
	.reduce_only = "reduceOnly",
	.close_position = "closePosition",
	.pidx = "positionSide",
	.trigger = "stopPrice",
	.activate = "activatePrice",
	.price = "price",
	.qty = "origQty",
	.filled = "executedQty",
	.status = "status",
};
static const struct bn_order_keys rest_algo_keys = {
	.id = "algoId",
	.client_id = "clientAlgoId",
	.symbol = "symbol",
	.side = "side",
	.type = "orderType",
	.reduce_only = "reduceOnly",
	.close_position = "closePosition",
	.pidx = "positionSide",
	.trigger = "triggerPrice",
	.activate = "activatePrice",
	.price = "price",
	.qty = "quantity",
	.filled = "actualQty",
	.status = "algoStatus",
	.algo = true,
};
static const struct bn_order_keys event_order_keys = {
	.id = "i",
	.client_id = "c",
	.symbol = "s",
	.side = "S",
	.type = "o",
	.orig_type = "ot",
	.reduce_only = "R",
	.close_position = "cp",
	.pidx = "ps",
	.trigger = "sp",
	.activate = "AP",
	.price = "p",
	.qty = "q",
	.filled = "z",
	.status = "X",
};
/* ALGO_UPDATE documents no activation-price field (1.9): activate NULL. */
static const struct bn_order_keys event_algo_keys = {
	.id = "aid",
	.client_id = "caid",
	.symbol = "s",
	.side = "S",
	.type = "o",
	.reduce_only = "R",
	.close_position = "cp",
	.pidx = "ps",
	.trigger = "tp",
	.price = "p",
	.qty = "q",
	.filled = "aq",
	.status = "X",
	.algo = true,
	.activated = "ia",
};

/* The fields every order object has (times and sources are the caller's). */
static void order_fields(struct json_object *o, const struct bn_order_keys *k, struct rec_order *r)
{
	memset(r, 0, sizeof *r);
	xch_json_copy(o, k->id, r->id, sizeof r->id);
	xch_json_copy(o, k->client_id, r->client_id, sizeof r->client_id);
	xch_json_copy(o, k->symbol, r->symbol, sizeof r->symbol);
	r->side = bn_oside(xch_json_str(o, k->side));
	const char *type = xch_json_str(o, k->type);
	const char *otype = k->orig_type ? xch_json_str(o, k->orig_type) : NULL;
	if (k->type_from_orig && (!type || !*type))
		type = otype;
	snprintf(r->type, sizeof r->type, "%s", type ? type : "");
	r->kind = bn_kind(type);
	if (k->algo) {
		if (r->kind == REC_OK_REGULAR)
			r->kind = REC_OK_OTHER;
		r->conditional = true;
		r->is_algo = true;
	} else {
		r->conditional = is_conditional_type(type) || is_conditional_type(otype);
	}
	r->trigger_dir = bn_trigger_dir(type, r->side);
	r->reduce_only = xch_json_bool(o, k->reduce_only, false);
	r->close_position = xch_json_bool(o, k->close_position, false);
	r->pidx = bn_pidx(xch_json_str(o, k->pidx));
	/* the documented trigger field only: a trailing order's activation
	 * price is not its trigger (0 when absent) */
	r->trigger_price = xch_json_numd(o, k->trigger, 0);
	if (r->trigger_price < 0)
		r->trigger_price = 0;
	if (r->kind == REC_OK_TRAILING) {
		r->activate_price = k->activate ? xch_json_numd(o, k->activate, 0) : 0;
		if (r->activate_price < 0)
			r->activate_price = 0;
	}
	/* activation is a trailing-stop fact only; others stay UNKNOWN even
	 * if "ia" comes with them. A readable flag gives the same answer
	 * whatever the default. */
	r->activated = REC_TRI_UNKNOWN;
	bool trailing = r->kind == REC_OK_TRAILING;
	bool ia_no = trailing && k->activated && xch_json_bool(o, k->activated, false);
	bool ia_yes = trailing && k->activated && xch_json_bool(o, k->activated, true);
	if (trailing && k->activated && ia_no == ia_yes) {
		r->activated = ia_yes ? REC_TRI_YES : REC_TRI_NO;
	} else if (trailing && k->activate && r->activate_price == 0) {
		/* no activationPrice: it defaults to the market price at
		 * placement, i.e. the order trails from the start */
		r->activated = REC_TRI_YES;
	}
	r->price = xch_json_numd(o, k->price, 0);
	r->qty = xch_json_numd(o, k->qty, 0);
	r->filled = xch_json_numd(o, k->filled, 0);
	const char *st = xch_json_str(o, k->status);
	r->status = k->algo ? bn_algo_status(st) : bn_status(st);
}

/* A REST order object, regular (matching-engine) or algo. false (and *r
 * zeroed) if it has no id. */
static bool rest_order_from(struct json_object *o, bool algo, struct rec_order *r)
{
	memset(r, 0, sizeof *r);
	if (!json_object_is_type(o, json_type_object))
		return false;
	order_fields(o, algo ? &rest_algo_keys : &rest_order_keys, r);
	if (!r->id[0]) {
		memset(r, 0, sizeof *r);
		return false;
	}
	r->created_ms = xch_json_i64d(o, algo ? "createTime" : "time", 0);
	r->update_ms = xch_json_i64d(o, "updateTime", r->created_ms);
	r->sources = REC_SRC_REST;
	return true;
}

/* A top-level JSON array, or the one under wrapper (when the answer is an
 * object). NULL (root released) if there is none; else *root to release. */
static struct json_object *top_array(const char *body, size_t len, const char *wrapper, struct json_object **root)
{
	*root = xch_json_parse(body, len);
	struct json_object *arr = *root;
	if (*root && json_object_is_type(*root, json_type_object))
		arr = xch_json_array(*root, wrapper);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		if (*root)
			json_object_put(*root);
		*root = NULL;
		return NULL;
	}
	return arr;
}

static int parse_order_array(const char *body, size_t len, bool algo, struct rec_order **out, size_t *n,
			     struct xch_err *err)
{
	*out = NULL;
	*n = 0;
	struct json_object *root;
	/* tolerate {"orders":[...]} style wrappers */
	struct json_object *arr = top_array(body, len, "orders", &root);
	if (!arr)
		return malformed(err, algo ? "open algo orders" : "open orders");
	size_t cnt = json_object_array_length(arr);
	struct rec_order *v = cnt ? xcalloc(cnt, sizeof *v) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (!rest_order_from(e, algo, &v[k])) {
			free(v);
			json_object_put(root);
			return malformed(err, "order without id");
		}
		k++;
	}
	json_object_put(root);
	*out = v;
	*n = k;
	return XCH_OK;
}

int bn_parse_orders(const char *body, size_t len, struct rec_order **out, size_t *n, struct xch_err *err)
{
	return parse_order_array(body, len, false, out, n, err);
}

int bn_parse_algo_orders(const char *body, size_t len, struct rec_order **out, size_t *n, struct xch_err *err)
{
	return parse_order_array(body, len, true, out, n, err);
}

static int parse_one(const char *body, size_t len, bool algo, struct rec_order *out, struct xch_err *err)
{
	struct json_object *root = xch_json_parse(body, len);
	bool ok = root && rest_order_from(root, algo, out);
	if (root)
		json_object_put(root);
	return ok ? XCH_OK : malformed(err, "order");
}

int bn_parse_order(const char *body, size_t len, struct rec_order *out, struct xch_err *err)
{
	return parse_one(body, len, false, out, err);
}

int bn_parse_algo_order(const char *body, size_t len, struct rec_order *out, struct xch_err *err)
{
	return parse_one(body, len, true, out, err);
}

int bn_parse_server_time(const char *body, size_t len, int64_t *ms, struct xch_err *err)
{
	struct json_object *root = xch_json_parse(body, len);
	int64_t t = 0;
	bool ok = root && xch_json_i64(root, "serverTime", &t) && t > 0;
	if (root)
		json_object_put(root);
	if (!ok)
		return malformed(err, "server time");
	*ms = t;
	return XCH_OK;
}

/* A signed position amount's side: 0 (flat) has none. */
static enum rec_side side_of_amount(double amt)
{
	return amt > 0 ? REC_SIDE_LONG : amt < 0 ? REC_SIDE_SHORT : REC_SIDE_UNKNOWN;
}

/* One position row (REST positionRisk / account positions[]). Returns
 * false if unusable; *open false when flat. */
static bool position_from(struct json_object *o, int64_t seen_ms, struct rec_position *p, bool *open)
{
	memset(p, 0, sizeof *p);
	*open = false;
	if (!json_object_is_type(o, json_type_object))
		return false;
	double amt;
	if (!xch_json_copy(o, "symbol", p->symbol, sizeof p->symbol) || !p->symbol[0] ||
	    !xch_json_num(o, "positionAmt", &amt))
		return false;
	p->pidx = bn_pidx(xch_json_str(o, "positionSide"));
	p->size = fabs(amt);
	p->side = side_of_amount(amt);
	p->entry_price = xch_json_numd(o, "entryPrice", 0);
	p->mark_price = xch_json_numd(o, "markPrice", 0);
	p->update_ms = xch_json_i64d(o, "updateTime", 0);
	p->seen_ms = seen_ms;
	p->sources = REC_SRC_REST;
	*open = p->size > 0;
	return true;
}

int bn_parse_positions(const char *body, size_t len, int64_t seen_ms, struct rec_position **out, size_t *n,
		       struct xch_err *err)
{
	*out = NULL;
	*n = 0;
	struct json_object *root;
	struct json_object *arr = top_array(body, len, "positions", &root); /* GET /fapi/v3/account */
	if (!arr)
		return malformed(err, "positions");
	size_t cnt = json_object_array_length(arr);
	struct rec_position *v = cnt ? xcalloc(cnt, sizeof *v) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		bool open;
		if (!position_from(json_object_array_get_idx(arr, i), seen_ms, &v[k], &open)) {
			free(v);
			json_object_put(root);
			return malformed(err, "position row");
		}
		if (open)
			k++;
	}
	json_object_put(root);
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	return XCH_OK;
}

int bn_parse_ack(const char *body, size_t len, bool algo, struct xch_ack *ack, struct xch_err *err)
{
	memset(ack, 0, sizeof *ack);
	struct json_object *root = xch_json_parse(body, len);
	bool ok = root && xch_json_copy(root, algo ? "algoId" : "orderId", ack->id, sizeof ack->id) && ack->id[0];
	if (ok)
		xch_json_copy(root, algo ? "clientAlgoId" : "clientOrderId", ack->client_id, sizeof ack->client_id);
	ack->is_algo = algo;
	if (root)
		json_object_put(root);
	return ok ? XCH_OK : malformed(err, "order acknowledgement");
}

int bn_parse_instruments(const char *body, size_t len, struct xch_instrument **out, size_t *n, struct xch_err *err)
{
	*out = NULL;
	*n = 0;
	struct json_object *root = xch_json_parse(body, len);
	struct json_object *arr = xch_json_array(root, "symbols");
	if (!arr) {
		if (root)
			json_object_put(root);
		return malformed(err, "exchangeInfo");
	}
	size_t cnt = json_object_array_length(arr);
	struct xch_instrument *v = cnt ? xcalloc(cnt, sizeof *v) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		if (!xch_json_copy(s, "symbol", v[k].symbol, sizeof v[k].symbol) || !v[k].symbol[0])
			continue;
		struct json_object *f = xch_json_array(s, "filters");
		size_t nf = f ? json_object_array_length(f) : 0;
		for (size_t j = 0; j < nf; j++) {
			struct json_object *fi = json_object_array_get_idx(f, j);
			const char *ft = xch_json_str(fi, "filterType");
			if (!ft)
				continue;
			if (!strcmp(ft, "PRICE_FILTER"))
				v[k].tick = xch_json_numd(fi, "tickSize", 0);
			else if (!strcmp(ft, "LOT_SIZE")) {
				v[k].step = xch_json_numd(fi, "stepSize", 0);
				v[k].min_qty = xch_json_numd(fi, "minQty", 0);
			}
		}
		k++;
	}
	json_object_put(root);
	*out = v;
	*n = k;
	return XCH_OK;
}

/* ---- streamed listings ---- */

struct bn_list_sink {
	enum bn_list_kind kind;
	struct xch_jstream *js;
	struct rec_position *pos;
	struct rec_order *ord;
	size_t n, cap;
	bool bad; /* an element was unusable: the rest is not converted */
};

/* One element, converted and let go at once (jsonx_stream frees it). */
static void sink_elem(void *ud, struct json_object *e)
{
	struct bn_list_sink *s = ud;
	if (s->bad)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		if (s->kind == BN_LIST_POSITIONS)
			s->pos = xrealloc(s->pos, s->cap * sizeof *s->pos);
		else
			s->ord = xrealloc(s->ord, s->cap * sizeof *s->ord);
	}
	if (s->kind == BN_LIST_POSITIONS) {
		bool open;
		if (!position_from(e, 0, &s->pos[s->n], &open))
			s->bad = true;
		else if (open)
			s->n++;
	} else if (!rest_order_from(e, s->kind == BN_LIST_ALGO_ORDERS, &s->ord[s->n])) {
		s->bad = true;
	} else {
		s->n++;
	}
}

static void sink_reset(void *ud)
{
	struct bn_list_sink *s = ud;
	s->n = 0;
	s->bad = false;
}

struct bn_list_sink *bn_list_sink_new(enum bn_list_kind kind)
{
	struct bn_list_sink *s = xcalloc(1, sizeof *s);
	s->kind = kind;
	s->js = xch_jstream_new(NULL, 0, sink_elem, sink_reset, s);
	return s;
}

void bn_list_sink_free(struct bn_list_sink *s)
{
	if (!s)
		return;
	xch_jstream_free(s->js);
	free(s->pos);
	free(s->ord);
	free(s);
}

struct xch_jstream *bn_list_sink_stream(struct bn_list_sink *s)
{
	return s->js;
}

/* The streamed answer's verdict, in the order the tree parsers decide:
 * not one JSON value, then an unusable element. */
static int sink_verdict(struct bn_list_sink *s, const char *what, const char *row, struct xch_err *err)
{
	struct json_object *root = xch_jstream_finish(s->js);
	/* the stream only takes a top-level array, whose placeholder is root */
	bool ok = root && root == xch_jstream_placeholder(s->js);
	if (root)
		json_object_put(root);
	if (!ok)
		return malformed(err, what);
	if (s->bad)
		return malformed(err, row);
	return XCH_OK;
}

int bn_list_take_positions(struct bn_list_sink *s, bool streamed, const char *body, size_t len, int64_t seen_ms,
			   struct rec_position **out, size_t *n, struct xch_err *err)
{
	if (!s || !streamed)
		return bn_parse_positions(body, len, seen_ms, out, n, err);
	*out = NULL;
	*n = 0;
	int rc = sink_verdict(s, "positions", "position row", err);
	if (rc != XCH_OK || s->n == 0) {
		s->n = 0;
		return rc;
	}
	for (size_t i = 0; i < s->n; i++)
		s->pos[i].seen_ms = seen_ms;
	*out = s->n == s->cap ? s->pos : xrealloc(s->pos, s->n * sizeof *s->pos);
	*n = s->n;
	s->pos = NULL;
	s->n = s->cap = 0;
	return XCH_OK;
}

int bn_list_take_orders(struct bn_list_sink *s, bool streamed, const char *body, size_t len, struct rec_order **out,
			size_t *n, struct xch_err *err)
{
	bool algo = s && s->kind == BN_LIST_ALGO_ORDERS;
	if (!s || !streamed)
		return parse_order_array(body, len, algo, out, n, err);
	*out = NULL;
	*n = 0;
	int rc = sink_verdict(s, algo ? "open algo orders" : "open orders", "order without id", err);
	if (rc != XCH_OK || s->n == 0) {
		s->n = 0;
		return rc;
	}
	*out = s->n == s->cap ? s->ord : xrealloc(s->ord, s->n * sizeof *s->ord);
	*n = s->n;
	s->ord = NULL;
	s->n = s->cap = 0;
	return XCH_OK;
}

/* ---- user stream ---- */

static void event_order(struct json_object *o, int64_t ev_ms, struct rec_order *r)
{
	order_fields(o, &event_order_keys, r);
	r->update_ms = ev_ms ? ev_ms : xch_json_i64d(o, "T", 0);
	r->sources = REC_SRC_STREAM;
}

static void event_algo(struct json_object *o, int64_t ev_ms, struct rec_order *r)
{
	order_fields(o, &event_algo_keys, r);
	r->update_ms = ev_ms;
	r->sources = REC_SRC_STREAM;
}

int bn_parse_event(const char *msg, size_t len, int64_t seen_ms, struct bn_event *ev)
{
	memset(ev, 0, sizeof *ev);
	struct json_object *root = xch_json_parse(msg, len);
	if (!root || !json_object_is_type(root, json_type_object)) {
		if (root)
			json_object_put(root);
		return XCH_MALFORMED;
	}
	/* combined-stream wrapper {"stream":..., "data":{...}} */
	struct json_object *d = xch_json_get(root, "data");
	struct json_object *e = json_object_is_type(d, json_type_object) ? d : root;
	const char *type = xch_json_str(e, "e");
	int rc = XCH_OK;
	ev->event_ms = xch_json_i64d(e, "E", 0);
	if (!type) {
		ev->kind = BN_EV_OTHER;
	} else if (!strcmp(type, "ACCOUNT_UPDATE")) {
		ev->kind = BN_EV_ACCOUNT;
		struct json_object *P = xch_json_array(xch_json_get(e, "a"), "P");
		size_t cnt = P ? json_object_array_length(P) : 0;
		ev->pos = cnt ? xcalloc(cnt, sizeof *ev->pos) : NULL;
		for (size_t i = 0; i < cnt; i++) {
			struct json_object *p = json_object_array_get_idx(P, i);
			struct rec_position *r = &ev->pos[ev->npos];
			double amt;
			if (!xch_json_copy(p, "s", r->symbol, sizeof r->symbol) || !r->symbol[0] ||
			    !xch_json_num(p, "pa", &amt)) {
				rc = XCH_MALFORMED;
				break;
			}
			r->pidx = bn_pidx(xch_json_str(p, "ps"));
			r->size = fabs(amt);
			r->side = side_of_amount(amt);
			r->entry_price = xch_json_numd(p, "ep", 0);
			r->update_ms = ev->event_ms;
			r->seen_ms = seen_ms;
			r->sources = REC_SRC_STREAM;
			ev->npos++;
		}
	} else if (!strcmp(type, "ORDER_TRADE_UPDATE")) {
		ev->kind = BN_EV_ORDER;
		struct json_object *o = xch_json_get(e, "o");
		event_order(o, ev->event_ms, &ev->ord);
		if (!ev->ord.id[0] || !ev->ord.symbol[0])
			rc = XCH_MALFORMED;
	} else if (!strcmp(type, "ALGO_UPDATE")) {
		ev->kind = BN_EV_ALGO;
		struct json_object *o = xch_json_get(e, "o");
		event_algo(o, ev->event_ms, &ev->ord);
		if (!ev->ord.id[0] || !ev->ord.symbol[0])
			rc = XCH_MALFORMED;
	} else if (!strcmp(type, "listenKeyExpired")) {
		ev->kind = BN_EV_KEY_EXPIRED;
	} else {
		ev->kind = BN_EV_OTHER;
	}
	json_object_put(root);
	if (rc != XCH_OK)
		bn_event_free(ev);
	return rc;
}

void bn_event_free(struct bn_event *ev)
{
	free(ev->pos);
	ev->pos = NULL;
	ev->npos = 0;
}

void bn_order_carry(const struct rec_order *cur, struct rec_order *upd)
{
	if (!cur || !upd || cur->is_algo != upd->is_algo || strcmp(cur->id, upd->id) != 0)
		return;
	if (upd->trigger_dir == REC_TRIG_UNKNOWN && !strcmp(cur->type, upd->type))
		upd->trigger_dir = cur->trigger_dir;
	if (upd->activate_price == 0 && upd->kind == REC_OK_TRAILING)
		upd->activate_price = cur->activate_price;
	if (upd->activated == REC_TRI_UNKNOWN && cur->activated == REC_TRI_YES)
		upd->activated = REC_TRI_YES;
}
