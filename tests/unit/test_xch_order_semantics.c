/* What each parsed order states about protection, as the exchanges document
 * it (docs/exchange-facts.md 1.6, 1.7, 1.9, 2.4, 2.5): kind, side, trigger
 * direction, reduce-only / close-position / closeOnTrigger, position side,
 * trailing activation and status, for every order source of both adapters.
 *
 * One table row per case, over recorded / doc payloads copied into
 * tests/data/ and documented shapes written inline where no fixture exists.
 * The class of bug this guards: a Bybit take-profit placed as a plain
 * conditional order (stopOrderType "Stop", triggerDirection 1 for a long)
 * counted as a stop-loss. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bn_parse.h"
#include "exchanges/jsonx.h"
#include "exchanges/xch_int.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

/* ---- tests/data (tu_fixture) ---- */

static char *data_read(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_fixture(rel), len);
	if (!b)
		fprintf(stderr, "tests/data fixture missing: %s\n", tu_fixture(rel));
	CU_ASSERT_PTR_NOT_NULL(b);
	return b;
}

/* ---- the table ---- */

enum src {
	S_BN_ORDER,      /* GET /fapi/v1/order (one object) */
	S_BN_ORDERS,     /* GET /fapi/v1/openOrders: json is one element, wrapped in [] */
	S_BN_ALGO,       /* GET /fapi/v1/algoOrder, POST answer (one object) */
	S_BN_ALGOS,      /* GET /fapi/v1/openAlgoOrders: json is one element, wrapped */
	S_BN_EVENT,      /* user-stream ORDER_TRADE_UPDATE / ALGO_UPDATE */
	S_BB_ORDERS,     /* GET /v5/order/realtime: json is one list element, wrapped */
	S_BB_WS_ORDER,   /* private "order" topic: json is one data element, wrapped */
	S_BB_POS_STOP,   /* GET /v5/position/list element (wrapped) -> position stop */
	S_BB_WS_POS_STOP /* "position" topic frame (file) -> the synthesized stop */
};

struct expect {
	enum rec_order_kind kind;
	enum rec_oside side;
	enum rec_trig_dir dir;
	bool reduce_only, close_position, close_on_trigger;
	enum rec_pos_idx pidx;
	double trigger_price, activate_price;
	enum rec_tri activated;
	enum rec_order_status status;
	bool conditional, is_algo, position_attached;
};

struct sem_case {
	const char *name;
	enum src src;
	const char *file; /* under tests/data, or NULL */
	const char *json; /* inline documented shape, or NULL */
	size_t idx;
	struct expect e;
};

static char *wrap(enum src s, const char *json)
{
	switch (s) {
	case S_BN_ORDERS:
	case S_BN_ALGOS: return xasprintf("[%s]", json);
	case S_BB_ORDERS:
	case S_BB_POS_STOP:
		return xasprintf("{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\","
				 "\"list\":[%s],\"nextPageCursor\":\"\"},\"retExtInfo\":{},\"time\":1700000000000}",
				 json);
	case S_BB_WS_ORDER:
		return xasprintf("{\"id\":\"x\",\"topic\":\"order\",\"creationTime\":1700000000000,\"data\":[%s]}",
				 json);
	default: return xstrdup(json);
	}
}

/* Parses the case's payload into *o. false (asserted) if it did not parse. */
static bool parse_case(const struct sem_case *c, struct rec_order *o)
{
	size_t len = 0;
	char *b = c->file ? data_read(c->file, &len) : wrap(c->src, c->json);
	if (!b)
		return false;
	if (!c->file)
		len = strlen(b);
	struct xch_err err = { 0 };
	struct rec_order *v = NULL;
	size_t n = 0;
	bool ok = false;
	memset(o, 0, sizeof *o);
	switch (c->src) {
	case S_BN_ORDER: ok = bn_parse_order(b, len, o, &err) == XCH_OK; break;
	case S_BN_ALGO: ok = bn_parse_algo_order(b, len, o, &err) == XCH_OK; break;
	case S_BN_ORDERS:
	case S_BN_ALGOS:
		ok = (c->src == S_BN_ORDERS ? bn_parse_orders(b, len, &v, &n, &err)
					    : bn_parse_algo_orders(b, len, &v, &n, &err)) == XCH_OK &&
		     c->idx < n;
		if (ok)
			*o = v[c->idx];
		free(v);
		break;
	case S_BN_EVENT: {
		struct bn_event ev;
		ok = bn_parse_event(b, len, 1, &ev) == XCH_OK && (ev.kind == BN_EV_ORDER || ev.kind == BN_EV_ALGO);
		if (ok)
			*o = ev.ord;
		bn_event_free(&ev);
		break;
	}
	case S_BB_ORDERS: {
		struct json_object *root, *res;
		size_t pn;
		ok = bb_check_answer(200, b, len, 0, 0, &root, &res, &err) == XCH_OK &&
		     bb_parse_orders(res, &v, &n, &pn, NULL, 0, &err) == XCH_OK && c->idx < n;
		if (ok)
			*o = v[c->idx];
		free(v);
		if (root)
			json_object_put(root);
		break;
	}
	case S_BB_WS_ORDER: {
		struct bb_ws_msg m;
		ok = bb_parse_ws(b, len, 1, &m) == XCH_OK && m.kind == BB_WS_ORDER && c->idx < m.nord;
		if (ok)
			*o = m.ord[c->idx];
		bb_ws_msg_free(&m);
		break;
	}
	case S_BB_POS_STOP: {
		struct json_object *root, *res;
		struct rec_position *p = NULL;
		size_t np = 0, pn;
		ok = bb_check_answer(200, b, len, 0, 0, &root, &res, &err) == XCH_OK &&
		     bb_parse_positions(res, 1, &p, &np, &pn, NULL, 0, &err) == XCH_OK;
		if (ok)
			bb_add_position_stops(p, np, &v, &n);
		ok = ok && c->idx < n;
		if (ok)
			*o = v[c->idx];
		free(v);
		free(p);
		if (root)
			json_object_put(root);
		break;
	}
	case S_BB_WS_POS_STOP: {
		struct bb_ws_msg m;
		ok = bb_parse_ws(b, len, 1, &m) == XCH_OK && m.kind == BB_WS_POSITION && c->idx < m.npos;
		if (ok)
			bb_stop_from_position(&m.pos[c->idx], o);
		bb_ws_msg_free(&m);
		break;
	}
	}
	free(b);
	if (!ok)
		fprintf(stderr, "%s: payload did not parse (%s)\n", c->name, err.msg);
	return ok;
}

static void run_case(const struct sem_case *c)
{
	struct rec_order o;
	CU_ASSERT_TRUE_FATAL(parse_case(c, &o));
	const struct expect *e = &c->e;
	CU_ASSERT_EQUAL(o.kind, e->kind);
	CU_ASSERT_EQUAL(o.side, e->side);
	CU_ASSERT_EQUAL(o.trigger_dir, e->dir);
	CU_ASSERT_EQUAL(o.reduce_only, e->reduce_only);
	CU_ASSERT_EQUAL(o.close_position, e->close_position);
	CU_ASSERT_EQUAL(o.close_on_trigger, e->close_on_trigger);
	CU_ASSERT_EQUAL(o.pidx, e->pidx);
	CU_ASSERT_DOUBLE_EQUAL(o.trigger_price, e->trigger_price, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o.activate_price, e->activate_price, 1e-9);
	CU_ASSERT_EQUAL(o.activated, e->activated);
	CU_ASSERT_EQUAL(o.status, e->status);
	CU_ASSERT_EQUAL(o.conditional, e->conditional);
	CU_ASSERT_EQUAL(o.is_algo, e->is_algo);
	CU_ASSERT_EQUAL(o.position_attached, e->position_attached);
	CU_ASSERT_STRING_EQUAL(o.settle, ""); /* parsers never guess a settle coin */
	if (o.kind != e->kind || o.trigger_dir != e->dir || o.activated != e->activated)
		fprintf(stderr, "\n  %s: kind=%d dir=%d activated=%d\n", c->name, o.kind, o.trigger_dir, o.activated);
}

#define CASE(fn, ...)                                               \
	static const struct sem_case c_##fn = { #fn, __VA_ARGS__ }; \
	static void fn(void)                                        \
	{                                                           \
		run_case(&c_##fn);                                  \
	}

/* ---- Binance: Algo Service REST (GET openAlgoOrders / algoOrder) ---- */

#define BN_ALGO_OBJ(type, side, ps, extra)                                                                \
	"{\"algoId\":9001,\"clientAlgoId\":\"c-9001\",\"algoType\":\"CONDITIONAL\",\"orderType\":\"" type \
	"\",\"symbol\":\"BTCUSDT\",\"side\":\"" side "\",\"positionSide\":\"" ps "\","                    \
	"\"timeInForce\":\"GTC\",\"algoStatus\":\"NEW\",\"actualOrderId\":\"\",\"workingType\":"          \
	"\"MARK_PRICE\",\"priceProtect\":false,\"createTime\":1750514941540,\"updateTime\":"              \
	"1750514941540,\"triggerTime\":0" extra "}"

CASE(test_binance_algo_stop_market_sell_close_position_falls, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("STOP_MARKET", "SELL", "BOTH",
		 ",\"quantity\":\"\",\"triggerPrice\":\"57000.0\",\"price\":\"0\",\"closePosition\":true,"
		 "\"reduceOnly\":false"),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 57000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_stop_market_buy_on_short_leg_rises, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("STOP_MARKET", "BUY", "SHORT",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"63000\",\"price\":\"0\",\"closePosition\":false,"
		 "\"reduceOnly\":false"),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 63000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_stop_limit_sell_on_long_leg_falls, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("STOP", "SELL", "LONG",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"57000\",\"price\":\"56900\",\"closePosition\":false,"
		 "\"reduceOnly\":false"),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 57000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_stop_limit_buy_reduce_only_rises, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("STOP", "BUY", "BOTH",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"63000\",\"price\":\"63100\",\"closePosition\":false,"
		 "\"reduceOnly\":true"),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 63000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_take_profit_market_sell_rises, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("TAKE_PROFIT_MARKET", "SELL", "BOTH",
		 ",\"quantity\":\"\",\"triggerPrice\":\"66000\",\"price\":\"0\",\"closePosition\":true,"
		 "\"reduceOnly\":false"),
     0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 66000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_take_profit_market_buy_on_short_leg_falls, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("TAKE_PROFIT_MARKET", "BUY", "SHORT",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"54000\",\"price\":\"0\",\"closePosition\":false,"
		 "\"reduceOnly\":false"),
     0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_BUY,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 54000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_take_profit_limit_sell_doc_rises, S_BN_ALGOS, "binance/open-algo-orders-doc.json", NULL, 0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 750,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_take_profit_limit_buy_falls, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("TAKE_PROFIT", "BUY", "BOTH",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"54000\",\"price\":\"54000\",\"closePosition\":false,"
		 "\"reduceOnly\":true"),
     0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_BUY,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 54000,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_new_answer_take_profit_has_no_activation, S_BN_ALGO, "binance/algo-order-new-response-doc.json",
     NULL, 0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 750,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_trailing_sell_with_activate_price_waits_for_activation, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("TRAILING_STOP_MARKET", "SELL", "LONG",
		 ",\"quantity\":\"0.5\",\"triggerPrice\":\"\",\"price\":\"0\",\"closePosition\":false,"
		 "\"reduceOnly\":false,\"activatePrice\":\"62000\",\"callbackRate\":\"1.5\""),
     0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 0,
       .activate_price = 62000,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_trailing_buy_without_activate_price_is_active_at_once, S_BN_ALGOS, NULL,
     BN_ALGO_OBJ("TRAILING_STOP_MARKET", "BUY", "BOTH",
		 ",\"quantity\":\"0.5\",\"price\":\"0\",\"closePosition\":false,\"reduceOnly\":true,"
		 "\"activatePrice\":\"\",\"callbackRate\":\"2\""),
     0,
     { .kind = REC_OK_TRAILING,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .activated = REC_TRI_YES,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_triggering_stop_keeps_its_status, S_BN_ALGO, NULL,
     "{\"algoId\":77,\"clientAlgoId\":\"vgl-77\",\"algoType\":\"CONDITIONAL\",\"orderType\":\"STOP_MARKET\","
     "\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"positionSide\":\"BOTH\",\"quantity\":\"1\",\"algoStatus\":"
     "\"TRIGGERING\",\"triggerPrice\":\"3300\",\"closePosition\":false,\"reduceOnly\":true,"
     "\"createTime\":1,\"updateTime\":2}",
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 3300,
       .status = REC_OST_TRIGGERING,
       .conditional = true,
       .is_algo = true })

/* ---- Binance: matching-engine REST (openOrders / order) ---- */

#define BN_ORDER_OBJ(type, side, ps, extra)                                                            \
	"{\"orderId\":5001,\"clientOrderId\":\"c-5001\",\"symbol\":\"BTCUSDT\",\"status\":\"NEW\","    \
	"\"type\":\"" type "\",\"origType\":\"" type "\",\"side\":\"" side "\",\"positionSide\":\"" ps \
	"\",\"timeInForce\":\"GTC\",\"executedQty\":\"0\",\"workingType\":\"CONTRACT_PRICE\","         \
	"\"time\":1700000000000,\"updateTime\":1700000000001" extra "}"

CASE(test_binance_limit_buy_has_no_trigger_direction, S_BN_ORDER, "binance/open-order-limit-gtx-ltcusdt.json", NULL, 0,
     { .kind = REC_OK_REGULAR, .side = REC_BUY, .dir = REC_TRIG_UNKNOWN, .pidx = REC_PIDX_BOTH, .status = REC_OST_NEW })

CASE(test_binance_limit_sell_reduce_only_is_regular_without_direction, S_BN_ORDERS, NULL,
     BN_ORDER_OBJ("LIMIT", "SELL", "BOTH",
		  ",\"price\":\"66000\",\"origQty\":\"0.5\",\"reduceOnly\":true,\"closePosition\":false,"
		  "\"stopPrice\":\"0\""),
     0,
     { .kind = REC_OK_REGULAR,
       .side = REC_SELL,
       .dir = REC_TRIG_UNKNOWN,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .status = REC_OST_NEW })

CASE(test_binance_legacy_open_orders_stop_market_sell_close_position_falls, S_BN_ORDERS, NULL,
     BN_ORDER_OBJ("STOP_MARKET", "SELL", "BOTH",
		  ",\"price\":\"0\",\"origQty\":\"0\",\"reduceOnly\":true,\"closePosition\":true,"
		  "\"stopPrice\":\"57000\""),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 57000,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_legacy_open_orders_stop_market_buy_on_short_leg_rises, S_BN_ORDERS, NULL,
     BN_ORDER_OBJ("STOP_MARKET", "BUY", "SHORT",
		  ",\"price\":\"0\",\"origQty\":\"0.5\",\"reduceOnly\":false,\"closePosition\":false,"
		  "\"stopPrice\":\"63000\""),
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 63000,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_legacy_take_profit_market_sell_on_long_leg_rises, S_BN_ORDERS, NULL,
     BN_ORDER_OBJ("TAKE_PROFIT_MARKET", "SELL", "LONG",
		  ",\"price\":\"0\",\"origQty\":\"0\",\"reduceOnly\":false,\"closePosition\":true,"
		  "\"stopPrice\":\"66000\""),
     0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .close_position = true,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 66000,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_legacy_trailing_buy_keeps_stop_price_and_activation_apart, S_BN_ORDER,
     "binance/order-query-doc-trailing-stop-legacy.json", NULL, 0,
     { .kind = REC_OK_TRAILING,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 9300,
       .activate_price = 9020,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_legacy_trailing_sell_without_activate_price_is_active_at_once, S_BN_ORDERS, NULL,
     BN_ORDER_OBJ("TRAILING_STOP_MARKET", "SELL", "LONG",
		  ",\"price\":\"0\",\"origQty\":\"0.5\",\"reduceOnly\":false,\"closePosition\":false,"
		  "\"stopPrice\":\"0\",\"priceRate\":\"1.0\""),
     0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_LONG,
       .activated = REC_TRI_YES,
       .status = REC_OST_NEW,
       .conditional = true })

/* ---- Binance: user stream ---- */

CASE(test_binance_order_update_trailing_sell_reads_ap_as_activation, S_BN_EVENT,
     "binance/ws-order-trade-update-doc.json", NULL, 0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 7103.04,
       .activate_price = 7476.89,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_order_update_stop_market_buy_close_all_rises, S_BN_EVENT, NULL,
     "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":1700000000005,\"T\":1700000000004,\"o\":{\"s\":\"ETHUSDT\","
     "\"c\":\"bot-1\",\"S\":\"BUY\",\"o\":\"STOP_MARKET\",\"f\":\"GTC\",\"q\":\"0\",\"p\":\"0\",\"ap\":\"0\","
     "\"sp\":\"3300\",\"x\":\"NEW\",\"X\":\"NEW\",\"i\":42,\"l\":\"0\",\"z\":\"0\",\"L\":\"0\",\"T\":"
     "1700000000004,\"R\":false,\"wt\":\"MARK_PRICE\",\"ot\":\"STOP_MARKET\",\"ps\":\"BOTH\",\"cp\":true}}",
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_binance_order_update_limit_sell_reduce_only_has_no_direction, S_BN_EVENT, NULL,
     "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":1700000000005,\"o\":{\"s\":\"ETHUSDT\",\"c\":\"bot-2\",\"S\":"
     "\"SELL\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1\",\"p\":\"3400\",\"sp\":\"0\",\"x\":\"NEW\",\"X\":"
     "\"NEW\",\"i\":43,\"z\":\"0\",\"R\":true,\"ot\":\"LIMIT\",\"ps\":\"BOTH\",\"cp\":false}}",
     0,
     { .kind = REC_OK_REGULAR,
       .side = REC_SELL,
       .dir = REC_TRIG_UNKNOWN,
       .reduce_only = true,
       .pidx = REC_PIDX_BOTH,
       .status = REC_OST_NEW })

CASE(test_binance_algo_update_take_profit_sell_canceled_doc_rises, S_BN_EVENT,
     "binance/ws-algo-update-canceled-doc.json", NULL, 0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 750,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_CANCELED,
       .conditional = true,
       .is_algo = true })

#define BN_ALGO_EV(side, ps, extra)                                                                          \
	"{\"e\":\"ALGO_UPDATE\",\"T\":1766000000000,\"E\":1766000000001,\"o\":{\"caid\":\"bot-t1\","         \
	"\"aid\":3001,\"at\":\"CONDITIONAL\",\"o\":\"TRAILING_STOP_MARKET\",\"s\":\"BTCUSDT\",\"S\":\"" side \
	"\",\"ps\":\"" ps "\",\"f\":\"GTC\",\"q\":\"0.5\",\"X\":\"NEW\",\"ai\":\"\",\"tp\":\"0\","           \
	"\"p\":\"0\",\"wt\":\"CONTRACT_PRICE\",\"cp\":false,\"pP\":false,\"R\":false,\"tt\":0" extra "}}"

CASE(test_binance_algo_update_trailing_ia_false_is_not_yet_active, S_BN_EVENT, NULL,
     BN_ALGO_EV("SELL", "LONG", ",\"ia\":false"), 0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_LONG,
       .activated = REC_TRI_NO,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_update_trailing_ia_true_is_active, S_BN_EVENT, NULL, BN_ALGO_EV("BUY", "SHORT", ",\"ia\":true"),
     0,
     { .kind = REC_OK_TRAILING,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_SHORT,
       .activated = REC_TRI_YES,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_update_trailing_without_ia_says_nothing_about_activation, S_BN_EVENT, NULL,
     BN_ALGO_EV("SELL", "BOTH", ""), 0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .pidx = REC_PIDX_BOTH,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_update_ia_on_a_stop_market_says_nothing_about_activation, S_BN_EVENT, NULL,
     "{\"e\":\"ALGO_UPDATE\",\"T\":1,\"E\":2,\"o\":{\"caid\":\"bot-s\",\"aid\":3003,\"at\":\"CONDITIONAL\","
     "\"o\":\"STOP_MARKET\",\"s\":\"BTCUSDT\",\"S\":\"BUY\",\"ps\":\"SHORT\",\"f\":\"GTC\",\"q\":\"0.5\","
     "\"X\":\"NEW\",\"ai\":\"\",\"tp\":\"63000\",\"p\":\"0\",\"wt\":\"MARK_PRICE\",\"cp\":false,"
     "\"R\":false,\"tt\":0,\"ia\":false}}",
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 63000,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true,
       .is_algo = true })

CASE(test_binance_algo_update_stop_market_sell_close_all_triggering_falls, S_BN_EVENT, NULL,
     "{\"e\":\"ALGO_UPDATE\",\"T\":1,\"E\":2,\"o\":{\"caid\":\"vgl-9\",\"aid\":3002,\"at\":\"CONDITIONAL\","
     "\"o\":\"STOP_MARKET\",\"s\":\"BTCUSDT\",\"S\":\"SELL\",\"ps\":\"BOTH\",\"f\":\"GTC\",\"q\":\"0\","
     "\"X\":\"TRIGGERING\",\"ai\":\"\",\"tp\":\"57000\",\"p\":\"0\",\"wt\":\"MARK_PRICE\",\"cp\":true,"
     "\"R\":false,\"tt\":0}}",
     0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 57000,
       .status = REC_OST_TRIGGERING,
       .conditional = true,
       .is_algo = true })

/* ---- Bybit: order/realtime and the order topic ---- */

#define BB_ORDER_OBJ(id, side, idx, sot, trig, dir, qty, ro, cot)                                         \
	"{\"orderId\":\"" id "\",\"orderLinkId\":\"l-" id "\",\"symbol\":\"ETHUSDT\",\"side\":\"" side    \
	"\",\"positionIdx\":" idx ",\"orderType\":\"Market\",\"price\":\"0\",\"qty\":\"" qty "\","        \
	"\"orderStatus\":\"Untriggered\",\"stopOrderType\":\"" sot "\",\"triggerPrice\":\"" trig "\","    \
	"\"triggerBy\":\"MarkPrice\"" dir ",\"reduceOnly\":" ro ",\"closeOnTrigger\":" cot ","            \
	"\"cumExecQty\":\"0\",\"timeInForce\":\"IOC\",\"createdTime\":\"1700000000000\",\"updatedTime\":" \
	"\"1700000000001\"}"

CASE(test_bybit_stop_with_fall_direction_is_conditional_not_stop_loss, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b1", "Sell", "0", "Stop", "2800", ",\"triggerDirection\":2", "0.5", "true", "true"), 0,
     { .kind = REC_OK_CONDITIONAL,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_stop_with_rise_direction_is_not_a_stop_loss, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b2", "Sell", "0", "Stop", "3300", ",\"triggerDirection\":1", "0.5", "true", "true"), 0,
     { .kind = REC_OK_CONDITIONAL,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_stop_buy_on_hedge_sell_leg_rise_direction, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b3", "Buy", "2", "Stop", "3300", ",\"triggerDirection\":\"1\"", "1", "true", "false"), 0,
     { .kind = REC_OK_CONDITIONAL,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_full_mode_stop_loss_with_zero_qty_closes_the_position, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b4", "Sell", "1", "StopLoss", "2800", ",\"triggerDirection\":2", "0", "true", "true"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_position = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_stop_loss_without_trigger_direction_is_not_given_one, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b5", "Sell", "0", "StopLoss", "2800", "", "0.5", "true", "true"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_UNKNOWN,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_take_profit_sell_rise_direction, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b6", "Sell", "0", "TakeProfit", "3300", ",\"triggerDirection\":1", "0", "true", "true"), 0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_SELL,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_position = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_partial_stop_loss_with_qty_is_a_stop_loss_not_close_all, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b7", "Buy", "2", "PartialStopLoss", "3300", ",\"triggerDirection\":1", "0.3", "true", "true"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_partial_take_profit_buy_fall_direction, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b8", "Buy", "2", "PartialTakeProfit", "2700", ",\"triggerDirection\":2", "0.3", "true", "true"), 0,
     { .kind = REC_OK_TAKE_PROFIT,
       .side = REC_BUY,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 2700,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_trailing_stop_trigger_price_is_its_activation_price, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b9", "Sell", "1", "TrailingStop", "3100", ",\"triggerDirection\":0", "0", "true", "true"), 0,
     { .kind = REC_OK_TRAILING,
       .side = REC_SELL,
       .dir = REC_TRIG_UNKNOWN,
       .reduce_only = true,
       .close_position = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 3100,
       .activate_price = 3100,
       .activated = REC_TRI_UNKNOWN,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_close_on_trigger_with_qty_is_stated_without_close_all, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b10", "Sell", "0", "Stop", "2800", ",\"triggerDirection\":2", "0.5", "false", "true"), 0,
     { .kind = REC_OK_CONDITIONAL,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_mm_rate_close_is_other, S_BB_ORDERS, NULL,
     BB_ORDER_OBJ("b11", "Sell", "0", "MmRateClose", "2500", ",\"triggerDirection\":2", "0.5", "true", "true"), 0,
     { .kind = REC_OK_OTHER,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 2500,
       .status = REC_OST_NEW,
       .conditional = true })

CASE(test_bybit_limit_with_attached_tpsl_doc_is_regular_hedge_buy_leg, S_BB_ORDERS,
     "bybit/order-realtime-doc-linear-limit-with-tpsl.json", NULL, 0,
     { .kind = REC_OK_REGULAR, .side = REC_BUY, .dir = REC_TRIG_UNKNOWN, .pidx = REC_PIDX_LONG, .status = REC_OST_NEW })

CASE(test_bybit_order_topic_stop_fall_direction_is_conditional, S_BB_WS_ORDER, NULL,
     "{\"category\":\"linear\",\"orderId\":\"w1\",\"orderLinkId\":\"vgl-w1\",\"symbol\":\"SKLUSDT\","
     "\"side\":\"Buy\",\"positionIdx\":0,\"orderType\":\"Market\",\"price\":\"0\",\"qty\":\"308\","
     "\"orderStatus\":\"Untriggered\",\"stopOrderType\":\"Stop\",\"triggerPrice\":\"0.033\","
     "\"triggerDirection\":1,\"reduceOnly\":true,\"closeOnTrigger\":true,\"cumExecQty\":\"0\","
     "\"createdTime\":\"1700000000000\",\"updatedTime\":\"1700000000002\"}",
     0,
     { .kind = REC_OK_CONDITIONAL,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_on_trigger = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 0.033,
       .status = REC_OST_NEW,
       .conditional = true })

/* ---- Bybit: position-attached stops (bb_stop_from_position) ---- */

#define BB_POS_OBJ(sym, side, idx, size, sl)                                                           \
	"{\"positionIdx\":" idx ",\"symbol\":\"" sym "\",\"side\":\"" side "\",\"size\":\"" size "\"," \
	"\"avgPrice\":\"3000\",\"markPrice\":\"3010\",\"takeProfit\":\"\",\"stopLoss\":\"" sl "\","    \
	"\"trailingStop\":\"0\",\"tpslMode\":\"Full\",\"positionStatus\":\"Normal\",\"seq\":7,"        \
	"\"createdTime\":\"1700000000000\",\"updatedTime\":\"1700000000009\"}"

CASE(test_bybit_position_stop_of_a_long_falls, S_BB_POS_STOP, NULL, BB_POS_OBJ("ETHUSDT", "Buy", "0", "0.5", "2800"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_position = true,
       .pidx = REC_PIDX_BOTH,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true,
       .position_attached = true })

CASE(test_bybit_position_stop_of_a_hedge_short_rises, S_BB_POS_STOP, NULL,
     BB_POS_OBJ("ETHUSDT", "Sell", "2", "0.5", "3300"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_position = true,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 3300,
       .status = REC_OST_NEW,
       .conditional = true,
       .position_attached = true })

CASE(test_bybit_position_stop_of_a_hedge_long_falls, S_BB_POS_STOP, NULL,
     BB_POS_OBJ("ETHUSDT", "Buy", "1", "0.5", "2800"), 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_SELL,
       .dir = REC_TRIG_FALL,
       .reduce_only = true,
       .close_position = true,
       .pidx = REC_PIDX_LONG,
       .trigger_price = 2800,
       .status = REC_OST_NEW,
       .conditional = true,
       .position_attached = true })

CASE(test_bybit_flat_hedge_sell_leg_stop_direction_comes_from_position_idx, S_BB_WS_POS_STOP,
     "bybit/ws-position-doc.json", NULL, 0,
     { .kind = REC_OK_STOP_LOSS,
       .side = REC_BUY,
       .dir = REC_TRIG_RISE,
       .reduce_only = true,
       .close_position = true,
       .pidx = REC_PIDX_SHORT,
       .trigger_price = 0,
       .status = REC_OST_CANCELED,
       .conditional = true,
       .position_attached = true })

static const struct tu_test table_tests[] = {
#define T(fn)           \
	{               \
#fn, fn \
	}
	T(test_binance_algo_stop_market_sell_close_position_falls),
	T(test_binance_algo_stop_market_buy_on_short_leg_rises),
	T(test_binance_algo_stop_limit_sell_on_long_leg_falls),
	T(test_binance_algo_stop_limit_buy_reduce_only_rises),
	T(test_binance_algo_take_profit_market_sell_rises),
	T(test_binance_algo_take_profit_market_buy_on_short_leg_falls),
	T(test_binance_algo_take_profit_limit_sell_doc_rises),
	T(test_binance_algo_take_profit_limit_buy_falls),
	T(test_binance_algo_new_answer_take_profit_has_no_activation),
	T(test_binance_algo_trailing_sell_with_activate_price_waits_for_activation),
	T(test_binance_algo_trailing_buy_without_activate_price_is_active_at_once),
	T(test_binance_algo_triggering_stop_keeps_its_status),
	T(test_binance_limit_buy_has_no_trigger_direction),
	T(test_binance_limit_sell_reduce_only_is_regular_without_direction),
	T(test_binance_legacy_open_orders_stop_market_sell_close_position_falls),
	T(test_binance_legacy_open_orders_stop_market_buy_on_short_leg_rises),
	T(test_binance_legacy_take_profit_market_sell_on_long_leg_rises),
	T(test_binance_legacy_trailing_buy_keeps_stop_price_and_activation_apart),
	T(test_binance_legacy_trailing_sell_without_activate_price_is_active_at_once),
	T(test_binance_order_update_trailing_sell_reads_ap_as_activation),
	T(test_binance_order_update_stop_market_buy_close_all_rises),
	T(test_binance_order_update_limit_sell_reduce_only_has_no_direction),
	T(test_binance_algo_update_take_profit_sell_canceled_doc_rises),
	T(test_binance_algo_update_trailing_ia_false_is_not_yet_active),
	T(test_binance_algo_update_trailing_ia_true_is_active),
	T(test_binance_algo_update_trailing_without_ia_says_nothing_about_activation),
	T(test_binance_algo_update_ia_on_a_stop_market_says_nothing_about_activation),
	T(test_binance_algo_update_stop_market_sell_close_all_triggering_falls),
	T(test_bybit_stop_with_fall_direction_is_conditional_not_stop_loss),
	T(test_bybit_stop_with_rise_direction_is_not_a_stop_loss),
	T(test_bybit_stop_buy_on_hedge_sell_leg_rise_direction),
	T(test_bybit_full_mode_stop_loss_with_zero_qty_closes_the_position),
	T(test_bybit_stop_loss_without_trigger_direction_is_not_given_one),
	T(test_bybit_take_profit_sell_rise_direction),
	T(test_bybit_partial_stop_loss_with_qty_is_a_stop_loss_not_close_all),
	T(test_bybit_partial_take_profit_buy_fall_direction),
	T(test_bybit_trailing_stop_trigger_price_is_its_activation_price),
	T(test_bybit_close_on_trigger_with_qty_is_stated_without_close_all),
	T(test_bybit_mm_rate_close_is_other),
	T(test_bybit_limit_with_attached_tpsl_doc_is_regular_hedge_buy_leg),
	T(test_bybit_order_topic_stop_fall_direction_is_conditional),
	T(test_bybit_position_stop_of_a_long_falls),
	T(test_bybit_position_stop_of_a_hedge_short_rises),
	T(test_bybit_position_stop_of_a_hedge_long_falls),
	T(test_bybit_flat_hedge_sell_leg_stop_direction_comes_from_position_idx),
#undef T
	{ NULL, NULL },
};

/* ---- tests that are not one payload ---- */

static void test_binance_trigger_direction_rule_table(void)
{
	static const struct {
		const char *type;
		enum rec_trig_dir buy, sell;
	} rules[] = {
		{ "STOP_MARKET", REC_TRIG_RISE, REC_TRIG_FALL },
		{ "STOP", REC_TRIG_RISE, REC_TRIG_FALL },
		{ "TAKE_PROFIT_MARKET", REC_TRIG_FALL, REC_TRIG_RISE },
		{ "TAKE_PROFIT", REC_TRIG_FALL, REC_TRIG_RISE },
		{ "TRAILING_STOP_MARKET", REC_TRIG_RISE, REC_TRIG_FALL },
		{ "LIMIT", REC_TRIG_UNKNOWN, REC_TRIG_UNKNOWN },
		{ "MARKET", REC_TRIG_UNKNOWN, REC_TRIG_UNKNOWN },
		{ "SOMETHING_NEW", REC_TRIG_UNKNOWN, REC_TRIG_UNKNOWN },
		{ "", REC_TRIG_UNKNOWN, REC_TRIG_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		CU_ASSERT_EQUAL(bn_trigger_dir(rules[i].type, REC_BUY), rules[i].buy);
		CU_ASSERT_EQUAL(bn_trigger_dir(rules[i].type, REC_SELL), rules[i].sell);
		CU_ASSERT_EQUAL(bn_trigger_dir(rules[i].type, REC_OSIDE_UNKNOWN), REC_TRIG_UNKNOWN);
	}
	CU_ASSERT_EQUAL(bn_trigger_dir(NULL, REC_SELL), REC_TRIG_UNKNOWN);
}

static void test_bybit_stop_order_types_map_to_kinds(void)
{
	CU_ASSERT_EQUAL(bb_kind("Stop"), REC_OK_CONDITIONAL);
	CU_ASSERT_EQUAL(bb_kind("StopLoss"), REC_OK_STOP_LOSS);
	CU_ASSERT_EQUAL(bb_kind("PartialStopLoss"), REC_OK_STOP_LOSS);
	CU_ASSERT_EQUAL(bb_kind("TakeProfit"), REC_OK_TAKE_PROFIT);
	CU_ASSERT_EQUAL(bb_kind("PartialTakeProfit"), REC_OK_TAKE_PROFIT);
	CU_ASSERT_EQUAL(bb_kind("TrailingStop"), REC_OK_TRAILING);
	static const char *other[] = { "tpslOrder", "OcoOrder", "MmRateClose", "BidirectionalTpslOrder", "New" };
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
		CU_ASSERT_EQUAL(bb_kind(other[i]), REC_OK_OTHER);
	CU_ASSERT_EQUAL(bb_kind(""), REC_OK_REGULAR);
	CU_ASSERT_EQUAL(bb_kind("UNKNOWN"), REC_OK_REGULAR);
	CU_ASSERT_EQUAL(bb_kind(NULL), REC_OK_REGULAR);
}

static void test_bybit_trigger_direction_only_from_the_field(void)
{
	static const struct {
		const char *json;
		enum rec_trig_dir want;
	} v[] = {
		{ "{\"triggerDirection\":1}", REC_TRIG_RISE },
		{ "{\"triggerDirection\":2}", REC_TRIG_FALL },
		{ "{\"triggerDirection\":\"2\"}", REC_TRIG_FALL },
		{ "{\"triggerDirection\":0}", REC_TRIG_UNKNOWN },
		{ "{\"triggerDirection\":3}", REC_TRIG_UNKNOWN },
		{ "{\"triggerDirection\":\"\"}", REC_TRIG_UNKNOWN },
		{ "{\"stopOrderType\":\"StopLoss\"}", REC_TRIG_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct json_object *o = xch_json_parse(v[i].json, strlen(v[i].json));
		CU_ASSERT_EQUAL(bb_trigger_dir(o), v[i].want);
		json_object_put(o);
	}
	CU_ASSERT_EQUAL(bb_loss_dir(REC_SIDE_LONG, REC_PIDX_BOTH), REC_TRIG_FALL);
	CU_ASSERT_EQUAL(bb_loss_dir(REC_SIDE_SHORT, REC_PIDX_BOTH), REC_TRIG_RISE);
	CU_ASSERT_EQUAL(bb_loss_dir(REC_SIDE_UNKNOWN, REC_PIDX_LONG), REC_TRIG_FALL);
	CU_ASSERT_EQUAL(bb_loss_dir(REC_SIDE_UNKNOWN, REC_PIDX_SHORT), REC_TRIG_RISE);
	CU_ASSERT_EQUAL(bb_loss_dir(REC_SIDE_UNKNOWN, REC_PIDX_BOTH), REC_TRIG_UNKNOWN);
}

/* Every Bybit stopOrderType of the docs' list, parsed as a real row: the
 * tpsl / OCO / bidirectional kinds are OTHER and keep their type word. */
static void test_bybit_other_stop_order_types_are_other_conditionals(void)
{
	static const char *types[] = { "tpslOrder", "OcoOrder", "BidirectionalTpslOrder" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		char j[600];
		snprintf(j, sizeof j,
			 "{\"orderId\":\"x%zu\",\"symbol\":\"ETHUSDT\",\"side\":\"Sell\",\"positionIdx\":0,"
			 "\"orderType\":\"Limit\",\"stopOrderType\":\"%s\",\"orderStatus\":\"Untriggered\","
			 "\"triggerPrice\":\"0\",\"qty\":\"1\",\"reduceOnly\":false,\"closeOnTrigger\":false}",
			 i, types[i]);
		struct json_object *o = xch_json_parse(j, strlen(j));
		struct rec_order r;
		CU_ASSERT_TRUE_FATAL(bb_order_from(o, REC_SRC_REST, &r));
		CU_ASSERT_EQUAL(r.kind, REC_OK_OTHER);
		CU_ASSERT_TRUE(r.conditional);
		CU_ASSERT_EQUAL(r.trigger_dir, REC_TRIG_UNKNOWN);
		CU_ASSERT_STRING_EQUAL(r.type, types[i]);
		json_object_put(o);
	}
}

/* tpslMode Partial: the position row keeps no stopLoss (third-party
 * observation, 2.5), so nothing is synthesized; the protection is the
 * PartialStopLoss order itself, with its quantity. tpslMode Full: the row's
 * stopLoss is synthesized once, or marks the listed StopLoss order. */
static void test_bybit_position_stops_full_and_partial_mode(void)
{
	const char *j = "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":[" BB_POS_OBJ(
		"ETHUSDT", "Buy", "0", "1", "") "," BB_POS_OBJ("BTCUSDT", "Sell", "0", "0.1",
							       "64000") "],\"nextPageCursor\":\"\"},\"time\":1}";
	const char *oj = "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":[" BB_ORDER_OBJ(
		"p1", "Sell", "0", "PartialStopLoss", "2800", ",\"triggerDirection\":2", "0.4", "true",
		"true") ","
			"{\"orderId\":\"f1\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"positionIdx\":0,\"orderType\":"
			"\"Market\",\"stopOrderType\":\"StopLoss\",\"orderStatus\":\"Untriggered\",\"triggerPrice\":"
			"\"64000\",\"qty\":\"0\",\"reduceOnly\":true,\"closeOnTrigger\":true,\"tpslMode\":\"Full\"}"
			"],\"nextPageCursor\":\"\"},\"time\":1}";
	struct json_object *root, *res, *oroot, *ores;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, j, strlen(j), 0, 0, &root, &res, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, oj, strlen(oj), 0, 0, &oroot, &ores, &err), XCH_OK);
	struct rec_position *p = NULL;
	struct rec_order *o = NULL;
	size_t np = 0, no = 0, pn;
	CU_ASSERT_EQUAL_FATAL(bb_parse_positions(res, 1, &p, &np, &pn, NULL, 0, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(bb_parse_orders(ores, &o, &no, &pn, NULL, 0, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(np, 2);
	CU_ASSERT_EQUAL_FATAL(no, 2);
	bb_add_position_stops(p, np, &o, &no);
	CU_ASSERT_EQUAL_FATAL(no, 2); /* nothing added: ETH has none, BTC's is listed */
	/* Partial: the order stands as itself */
	CU_ASSERT_STRING_EQUAL(o[0].id, "p1");
	CU_ASSERT_EQUAL(o[0].kind, REC_OK_STOP_LOSS);
	CU_ASSERT_FALSE(o[0].position_attached);
	CU_ASSERT_FALSE(o[0].close_position);
	CU_ASSERT_TRUE(o[0].close_on_trigger);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0.4, 1e-12);
	CU_ASSERT_EQUAL(o[0].trigger_dir, REC_TRIG_FALL);
	/* Full: the listed order is the position's stop; no triggerDirection in
	 * the row, so it gets the position's loss side (short: rise) */
	CU_ASSERT_STRING_EQUAL(o[1].id, "f1");
	CU_ASSERT_TRUE(o[1].position_attached);
	CU_ASSERT_TRUE(o[1].close_position);
	CU_ASSERT_EQUAL(o[1].trigger_dir, REC_TRIG_RISE);
	free(o);
	free(p);
	json_object_put(root);
	json_object_put(oroot);
}

static void test_bybit_recorded_long_without_stop_loss_synthesizes_nothing(void)
{
	size_t len;
	char *b = data_read("bybit/position-list-linear-long-ltcusdt.json", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct json_object *root, *res;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, b, len, 0, 0, &root, &res, &err), XCH_OK);
	struct rec_position *p = NULL;
	struct rec_order *o = NULL;
	size_t np = 0, no = 0, pn;
	CU_ASSERT_EQUAL_FATAL(bb_parse_positions(res, 1, &p, &np, &pn, NULL, 0, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(np, 1);
	bb_add_position_stops(p, np, &o, &no);
	CU_ASSERT_EQUAL(no, 0);
	/* the same long with a stop: it would fall */
	p[0].stop_loss = 60;
	bb_add_position_stops(p, np, &o, &no);
	CU_ASSERT_EQUAL_FATAL(no, 1);
	CU_ASSERT_EQUAL(o[0].trigger_dir, REC_TRIG_FALL);
	CU_ASSERT_EQUAL(o[0].side, REC_SELL);
	bb_set_settle(o, no, "USDT");
	CU_ASSERT_STRING_EQUAL(o[0].settle, "USDT");
	free(o);
	free(p);
	json_object_put(root);
	free(b);
}

static void test_binance_dual_side_position_answer_gives_the_mode(void)
{
	static const struct {
		const char *body;
		int rc;
		enum rec_pos_mode mode;
	} v[] = {
		{ "{\"dualSidePosition\":true}", XCH_OK, REC_MODE_HEDGE },
		{ "{\"dualSidePosition\":false}", XCH_OK, REC_MODE_ONEWAY },
		{ "{\"dualSidePosition\":\"true\"}", XCH_OK, REC_MODE_HEDGE },
		{ "{\"dualSidePosition\":\"FALSE\"}", XCH_OK, REC_MODE_ONEWAY },
		{ "{\"dualSidePosition\":1}", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "{\"dualSidePosition\":\"yes\"}", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "{\"dualSidePosition\":null}", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "{}", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "[true]", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "{\"dualSidePosition\":tru", XCH_MALFORMED, REC_MODE_UNKNOWN },
		{ "", XCH_MALFORMED, REC_MODE_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		enum rec_pos_mode m = REC_MODE_HEDGE;
		struct xch_err err = { 0 };
		CU_ASSERT_EQUAL(bn_parse_position_mode(v[i].body, strlen(v[i].body), &m, &err), v[i].rc);
		CU_ASSERT_EQUAL(m, v[i].mode);
		if (v[i].rc != XCH_OK)
			CU_ASSERT_EQUAL(err.rc, XCH_MALFORMED);
	}
}

static bool parse_event(const char *m, struct rec_order *o)
{
	struct bn_event ev;
	if (bn_parse_event(m, strlen(m), 1, &ev) != XCH_OK)
		return false;
	*o = ev.ord;
	bn_event_free(&ev);
	return true;
}

/* The stream cache replaces an order by its newer state (reconcile's
 * rec_stream_apply_order): the new fields travel with it, and what a sparse
 * ALGO_UPDATE leaves out (no "ia", no activation price) is carried from the
 * cached state the way bn_stream.c does before applying. */
static void test_stream_cache_keeps_new_fields_and_carries_sparse_activation(void)
{
	struct rec_stream_cache *c = calloc(1, sizeof *c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct rec_order o;
	/* first NEW: not yet active */
	CU_ASSERT_TRUE_FATAL(parse_event(
		"{\"e\":\"ALGO_UPDATE\",\"E\":100,\"o\":{\"aid\":5,\"caid\":\"t\",\"o\":\"TRAILING_STOP_MARKET\","
		"\"s\":\"BTCUSDT\",\"S\":\"SELL\",\"ps\":\"BOTH\",\"q\":\"1\",\"X\":\"NEW\",\"R\":true,\"ia\":false}}",
		&o));
	bn_order_carry(rec_stream_find_order(c, o.id, o.is_algo), &o);
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	const struct rec_order *cur = rec_stream_find_order(c, "5", true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
	CU_ASSERT_EQUAL(cur->activated, REC_TRI_NO);
	CU_ASSERT_EQUAL(cur->trigger_dir, REC_TRIG_FALL);
	/* second NEW: activated */
	CU_ASSERT_TRUE_FATAL(parse_event(
		"{\"e\":\"ALGO_UPDATE\",\"E\":200,\"o\":{\"aid\":5,\"caid\":\"t\",\"o\":\"TRAILING_STOP_MARKET\","
		"\"s\":\"BTCUSDT\",\"S\":\"SELL\",\"ps\":\"BOTH\",\"q\":\"1\",\"X\":\"NEW\",\"R\":true,\"ia\":true}}",
		&o));
	bn_order_carry(rec_stream_find_order(c, o.id, o.is_algo), &o);
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	CU_ASSERT_EQUAL(cur->activated, REC_TRI_YES);
	/* a later update without "ia" and without a side keeps both facts */
	CU_ASSERT_TRUE_FATAL(parse_event(
		"{\"e\":\"ALGO_UPDATE\",\"E\":300,\"o\":{\"aid\":5,\"caid\":\"t\",\"o\":\"TRAILING_STOP_MARKET\","
		"\"s\":\"BTCUSDT\",\"q\":\"1\",\"X\":\"TRIGGERING\",\"R\":true}}",
		&o));
	CU_ASSERT_EQUAL(o.activated, REC_TRI_UNKNOWN);
	CU_ASSERT_EQUAL(o.trigger_dir, REC_TRIG_UNKNOWN);
	bn_order_carry(rec_stream_find_order(c, o.id, o.is_algo), &o);
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	CU_ASSERT_EQUAL(cur->status, REC_OST_TRIGGERING);
	CU_ASSERT_EQUAL(cur->activated, REC_TRI_YES);
	CU_ASSERT_EQUAL(cur->trigger_dir, REC_TRIG_FALL);
	CU_ASSERT_EQUAL(cur->side, REC_SELL);
	/* a NO is not carried: it may have activated since */
	struct rec_order was = *cur, upd = *cur;
	was.activated = REC_TRI_NO;
	upd.activated = REC_TRI_UNKNOWN;
	bn_order_carry(&was, &upd);
	CU_ASSERT_EQUAL(upd.activated, REC_TRI_UNKNOWN);

	/* a Bybit order's new state replaces the old one whole */
	const char *f1 = "{\"topic\":\"order\",\"creationTime\":1,\"data\":[" BB_ORDER_OBJ(
		"bb1", "Sell", "1", "TrailingStop", "3100", ",\"triggerDirection\":0", "0", "true", "true") "]}";
	struct bb_ws_msg m;
	CU_ASSERT_EQUAL_FATAL(bb_parse_ws(f1, strlen(f1), 1, &m), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(m.nord, 1);
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &m.ord[0]), 0);
	bb_ws_msg_free(&m);
	cur = rec_stream_find_order(c, "bb1", false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
	CU_ASSERT_DOUBLE_EQUAL(cur->activate_price, 3100, 1e-9);
	CU_ASSERT_TRUE(cur->close_on_trigger);
	CU_ASSERT_EQUAL(cur->kind, REC_OK_TRAILING);
	free(c);
}

static const struct tu_test other_tests[] = {
	{ "test_binance_trigger_direction_rule_table", test_binance_trigger_direction_rule_table },
	{ "test_bybit_stop_order_types_map_to_kinds", test_bybit_stop_order_types_map_to_kinds },
	{ "test_bybit_trigger_direction_only_from_the_field", test_bybit_trigger_direction_only_from_the_field },
	{ "test_bybit_other_stop_order_types_are_other_conditionals",
	  test_bybit_other_stop_order_types_are_other_conditionals },
	{ "test_bybit_position_stops_full_and_partial_mode", test_bybit_position_stops_full_and_partial_mode },
	{ "test_bybit_recorded_long_without_stop_loss_synthesizes_nothing",
	  test_bybit_recorded_long_without_stop_loss_synthesizes_nothing },
	{ "test_binance_dual_side_position_answer_gives_the_mode",
	  test_binance_dual_side_position_answer_gives_the_mode },
	{ "test_stream_cache_keeps_new_fields_and_carries_sparse_activation",
	  test_stream_cache_keeps_new_fields_and_carries_sparse_activation },
	{ NULL, NULL },
};

void test_xch_order_semantics_register(void)
{
	tu_add_suite("xch_order_semantics", table_tests);
	tu_add_suite("xch_order_semantics_rules", other_tests);
}
