/* The one protection rule (rec_protects), as a table: every order type of
 * both exchanges x {long, short} x {one-way, hedge leg}. Each row is
 * parsed by the adapter from the payload shape the exchange documents
 * (Binance openAlgoOrders / openOrders / ALGO_UPDATE objects, Bybit
 * order/realtime objects and position rows; field sets as in the recorded
 * fixtures), so a misreading of a field cannot hide between the parser
 * and the rule. Mark 100; a loss-side trigger is 90 for a long, 110 for a
 * short, a profit-side one the reverse. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bn_parse.h"
#include "reconcile/reconcile.h"

enum ex { BN_ALGO, BN_REGULAR, BN_ALGO_EVENT, BB_ORDER, BB_POS_SL };
enum trig { LOSS, PROFIT };
enum oside_rel { CLOSING, OPENING };

struct row {
	const char *name;
	enum ex ex;
	const char *type;   /* Binance type / Bybit stopOrderType */
	enum oside_rel rel; /* order side relative to the position */
	enum trig trig;
	bool reduce_only;    /* one-way only: hedge-mode Binance orders never carry it */
	bool close_position; /* Binance closePosition / Bybit closeOnTrigger with qty 0 */
	const char *status;  /* exchange status word */
	const char *extra;   /* extra JSON fields, e.g. activatePrice */
	bool hedge_ok;       /* row exists in hedge mode */
	/* expected, one-way / hedge leg */
	enum rec_prot_verdict v_oneway, v_hedge;
	enum rec_order_role role_oneway, role_hedge;
};

#define Y REC_PROT_YES
#define N REC_PROT_NO
#define STOP REC_ROLE_STOP
#define TP REC_ROLE_TAKE_PROFIT
#define ENTRY REC_ROLE_ENTRY
#define WRONG REC_ROLE_WRONG_SIDE

static const struct row rows[] = {
	/* Binance Algo Service (openAlgoOrders) */
	{ "bn STOP_MARKET qty", BN_ALGO, "STOP_MARKET", CLOSING, LOSS, true, false, "NEW", "", true, Y, Y, STOP, STOP },
	{ "bn STOP_MARKET closePosition", BN_ALGO, "STOP_MARKET", CLOSING, LOSS, false, true, "NEW", "", true, Y, Y,
	  STOP, STOP },
	{ "bn STOP limit", BN_ALGO, "STOP", CLOSING, LOSS, true, false, "NEW", "", true, Y, Y, STOP, STOP },
	{ "bn TAKE_PROFIT_MARKET", BN_ALGO, "TAKE_PROFIT_MARKET", CLOSING, PROFIT, true, false, "NEW", "", true, N, N,
	  TP, TP },
	{ "bn TAKE_PROFIT_MARKET closePosition", BN_ALGO, "TAKE_PROFIT_MARKET", CLOSING, PROFIT, false, true, "NEW", "",
	  true, N, N, TP, TP },
	{ "bn TAKE_PROFIT", BN_ALGO, "TAKE_PROFIT", CLOSING, PROFIT, true, false, "NEW", "", true, N, N, TP, TP },
	{ "bn TRAILING no activation", BN_ALGO, "TRAILING_STOP_MARKET", CLOSING, LOSS, true, false, "NEW",
	  ",\"callbackRate\":\"1\"", true, Y, Y, STOP, STOP },
	{ "bn TRAILING activation not reached", BN_ALGO, "TRAILING_STOP_MARKET", CLOSING, LOSS, true, false, "NEW",
	  ",\"callbackRate\":\"1\",\"activatePrice\":\"%s\"", true, N, N, STOP, STOP },
	{ "bn TRAILING ia false", BN_ALGO_EVENT, "TRAILING_STOP_MARKET", CLOSING, LOSS, true, false, "NEW",
	  ",\"ia\":false", true, N, N, STOP, STOP },
	{ "bn TRAILING ia true", BN_ALGO_EVENT, "TRAILING_STOP_MARKET", CLOSING, LOSS, true, false, "NEW",
	  ",\"ia\":true", true, Y, Y, STOP, STOP },
	{ "bn STOP_MARKET entry (not reduce-only)", BN_ALGO, "STOP_MARKET", CLOSING, LOSS, false, false, "NEW", "",
	  false, N, N, ENTRY, ENTRY },
	{ "bn STOP_MARKET opening side", BN_ALGO, "STOP_MARKET", OPENING, PROFIT, false, false, "NEW", "", true, N, N,
	  ENTRY, ENTRY },
	{ "bn STOP_MARKET opening side reduce-only", BN_ALGO, "STOP_MARKET", OPENING, PROFIT, true, false, "NEW", "",
	  false, N, N, WRONG, WRONG },
	{ "bn STOP_MARKET trigger past the mark", BN_ALGO, "STOP_MARKET", CLOSING, PROFIT, true, false, "NEW", "", true,
	  N, N, STOP, STOP },
	{ "bn STOP_MARKET TRIGGERING stuck", BN_ALGO, "STOP_MARKET", CLOSING, LOSS, true, false, "TRIGGERING", "", true,
	  N, N, STOP, STOP },
	{ "bn STOP_MARKET CANCELED", BN_ALGO, "STOP_MARKET", CLOSING, LOSS, true, false, "CANCELED", "", true, N, N,
	  STOP, STOP },
	/* Binance matching engine (openOrders; legacy stops) */
	{ "bn legacy STOP_MARKET", BN_REGULAR, "STOP_MARKET", CLOSING, LOSS, true, false, "NEW", "", true, Y, Y, STOP,
	  STOP },
	{ "bn legacy STOP_MARKET closePosition", BN_REGULAR, "STOP_MARKET", CLOSING, LOSS, false, true, "NEW", "", true,
	  Y, Y, STOP, STOP },
	{ "bn LIMIT reduce-only", BN_REGULAR, "LIMIT", CLOSING, PROFIT, true, false, "NEW", "", true, N, N, TP, TP },
	{ "bn LIMIT entry", BN_REGULAR, "LIMIT", OPENING, LOSS, false, false, "NEW", "", true, N, N, ENTRY, ENTRY },
	/* Bybit order/realtime */
	{ "bb Stop loss direction", BB_ORDER, "Stop", CLOSING, LOSS, true, false, "Untriggered", "", true, Y, Y, STOP,
	  STOP },
	{ "bb Stop take-profit direction", BB_ORDER, "Stop", CLOSING, PROFIT, true, false, "Untriggered", "", true, N,
	  N, TP, TP },
	{ "bb Stop closeOnTrigger qty 0", BB_ORDER, "Stop", CLOSING, LOSS, false, true, "Untriggered", "", true, Y, Y,
	  STOP, STOP },
	{ "bb StopLoss Full", BB_ORDER, "StopLoss", CLOSING, LOSS, true, true, "Untriggered", "", true, Y, Y, STOP,
	  STOP },
	{ "bb TakeProfit Full", BB_ORDER, "TakeProfit", CLOSING, PROFIT, true, true, "Untriggered", "", true, N, N, TP,
	  TP },
	{ "bb PartialStopLoss", BB_ORDER, "PartialStopLoss", CLOSING, LOSS, true, false, "Untriggered", "", true, Y, Y,
	  STOP, STOP },
	{ "bb PartialTakeProfit", BB_ORDER, "PartialTakeProfit", CLOSING, PROFIT, true, false, "Untriggered", "", true,
	  N, N, TP, TP },
	{ "bb TrailingStop activation not reached", BB_ORDER, "TrailingStop", CLOSING, LOSS, true, false, "Untriggered",
	  "@profit", true, N, N, STOP, STOP },
	{ "bb Stop entry (not reduce-only)", BB_ORDER, "Stop", CLOSING, LOSS, false, false, "Untriggered", "", false, N,
	  N, ENTRY, ENTRY },
	{ "bb Stop opening side", BB_ORDER, "Stop", OPENING, PROFIT, false, false, "Untriggered", "", true, N, N, ENTRY,
	  ENTRY },
	{ "bb Stop opening side reduce-only", BB_ORDER, "Stop", OPENING, PROFIT, true, false, "Untriggered", "", false,
	  N, N, WRONG, WRONG },
	{ "bb Limit reduce-only", BB_ORDER, "", CLOSING, PROFIT, true, false, "New", "", true, N, N, TP, TP },
	{ "bb Stop Deactivated", BB_ORDER, "Stop", CLOSING, LOSS, true, false, "Deactivated", "", true, N, N, STOP,
	  STOP },
	/* Bybit position row's own stopLoss (tpslMode Full), as vigil synthesizes it */
	{ "bb position stopLoss", BB_POS_SL, "", CLOSING, LOSS, true, true, "", "", true, Y, Y, STOP, STOP },
	{ "bb position stopLoss past the mark", BB_POS_SL, "", CLOSING, PROFIT, true, true, "", "", true, N, N, STOP,
	  STOP },
};

static const char *bn_side(enum rec_oside s)
{
	return s == REC_BUY ? "BUY" : "SELL";
}
static const char *bb_side(enum rec_oside s)
{
	return s == REC_BUY ? "Buy" : "Sell";
}

/* Parses row r for a position of side ps on leg pidx into *o. */
static bool parse_row(const struct row *r, enum rec_side ps, enum rec_pos_idx pidx, struct rec_order *o)
{
	enum rec_oside closing = rec_closing_side(ps);
	enum rec_oside side = r->rel == CLOSING ? closing : (closing == REC_BUY ? REC_SELL : REC_BUY);
	bool lossy = r->trig == LOSS;
	double trig = (ps == REC_SIDE_LONG) == lossy ? 90 : 110;
	bool hedge = pidx != REC_PIDX_BOTH;
	const char *bn_ps = pidx == REC_PIDX_LONG ? "LONG" : pidx == REC_PIDX_SHORT ? "SHORT" : "BOTH";
	bool ro = r->reduce_only && !hedge; /* Binance: no reduceOnly in hedge mode */
	char extra[128];
	snprintf(extra, sizeof extra, r->extra, ps == REC_SIDE_LONG ? "110" : "90");
	char js[2048];
	struct xch_err err;
	memset(&err, 0, sizeof err);
	memset(o, 0, sizeof *o);
	switch (r->ex) {
	case BN_ALGO:
		snprintf(js, sizeof js,
			 "{\"algoId\":2148627,\"clientAlgoId\":\"bot-1\",\"algoType\":\"CONDITIONAL\",\"orderType\":\"%"
			 "s\","
			 "\"symbol\":\"XUSDT\",\"side\":\"%s\",\"positionSide\":\"%s\",\"timeInForce\":\"GTC\","
			 "\"quantity\":\"%s\",\"algoStatus\":\"%s\",\"actualOrderId\":\"\",\"triggerPrice\":\"%g\","
			 "\"price\":\"0\",\"workingType\":\"MARK_PRICE\",\"priceMatch\":\"NONE\",\"closePosition\":%s,"
			 "\"priceProtect\":false,\"reduceOnly\":%s,\"createTime\":1750514941540,"
			 "\"updateTime\":1750514941540,\"triggerTime\":0,\"goodTillDate\":0%s}",
			 r->type, bn_side(side), bn_ps, r->close_position ? "0" : "2", r->status,
			 strcmp(r->type, "TRAILING_STOP_MARKET") ? trig : 0, r->close_position ? "true" : "false",
			 ro ? "true" : "false", extra);
		return bn_parse_algo_order(js, strlen(js), o, &err) == XCH_OK;
	case BN_REGULAR:
		snprintf(js, sizeof js,
			 "{\"orderId\":283194212,\"clientOrderId\":\"bot-2\",\"symbol\":\"XUSDT\",\"status\":\"%s\","
			 "\"price\":\"%s\",\"avgPrice\":\"0\",\"origQty\":\"%s\",\"executedQty\":\"0\",\"cumQuote\":"
			 "\"0\","
			 "\"timeInForce\":\"GTC\",\"type\":\"%s\",\"origType\":\"%s\",\"reduceOnly\":%s,"
			 "\"closePosition\":%s,\"side\":\"%s\",\"positionSide\":\"%s\",\"stopPrice\":\"%g\","
			 "\"workingType\":\"CONTRACT_PRICE\",\"priceProtect\":false,\"time\":1750514941540,"
			 "\"updateTime\":1750514941540%s}",
			 r->status, strcmp(r->type, "LIMIT") ? "0" : (lossy ? "90" : "110"),
			 r->close_position ? "0" : "2", r->type, r->type, ro ? "true" : "false",
			 r->close_position ? "true" : "false", bn_side(side), bn_ps,
			 strcmp(r->type, "LIMIT") ? trig : 0, extra);
		return bn_parse_order(js, strlen(js), o, &err) == XCH_OK;
	case BN_ALGO_EVENT: {
		snprintf(js, sizeof js,
			 "{\"e\":\"ALGO_UPDATE\",\"T\":1750515742297,\"E\":1750515742303,\"o\":{\"caid\":\"bot-3\","
			 "\"aid\":2148719,\"at\":\"CONDITIONAL\",\"o\":\"%s\",\"s\":\"XUSDT\",\"S\":\"%s\",\"ps\":\"%"
			 "s\","
			 "\"f\":\"GTC\",\"q\":\"2\",\"X\":\"%s\",\"ai\":\"\",\"ap\":\"0\",\"aq\":\"0\",\"act\":\"0\","
			 "\"tp\":\"0\",\"p\":\"0\",\"V\":\"EXPIRE_MAKER\",\"wt\":\"MARK_PRICE\",\"pm\":\"NONE\","
			 "\"cp\":false,\"pP\":false,\"R\":%s,\"tt\":0,\"gtd\":0,\"rm\":\"\"%s}}",
			 r->type, bn_side(side), bn_ps, r->status, ro ? "true" : "false", extra);
		struct bn_event ev;
		if (bn_parse_event(js, strlen(js), 1, &ev) != XCH_OK || ev.kind != BN_EV_ALGO)
			return false;
		*o = ev.ord;
		bn_event_free(&ev);
		return true;
	}
	case BB_ORDER: {
		int bb_pidx = pidx == REC_PIDX_LONG ? 1 : pidx == REC_PIDX_SHORT ? 2 : 0;
		bool cond = r->type[0] != '\0';
		/* Bybit states the direction: 1 rise, 2 fall */
		bool rise = (ps == REC_SIDE_LONG) != lossy;
		double act = strcmp(r->extra, "@profit") == 0 ? (ps == REC_SIDE_LONG ? 110 : 90) : 0;
		snprintf(js, sizeof js,
			 "{\"orderId\":\"fd4300ae-7847-404e-b947-b46980a4d140\",\"orderLinkId\":\"bot-4\","
			 "\"symbol\":\"XUSDT\",\"price\":\"%s\",\"qty\":\"%s\",\"side\":\"%s\",\"positionIdx\":%d,"
			 "\"orderStatus\":\"%s\",\"cancelType\":\"UNKNOWN\",\"rejectReason\":\"EC_NoError\","
			 "\"avgPrice\":\"0\",\"leavesQty\":\"2\",\"cumExecQty\":\"0.00\",\"timeInForce\":\"GTC\","
			 "\"orderType\":\"%s\",\"stopOrderType\":\"%s\",\"triggerPrice\":\"%g\",\"takeProfit\":\"\","
			 "\"stopLoss\":\"\",\"triggerDirection\":%d,\"triggerBy\":\"MarkPrice\",\"reduceOnly\":%s,"
			 "\"closeOnTrigger\":%s,\"tpslMode\":\"%s\",\"createdTime\":\"1684738540559\","
			 "\"updatedTime\":\"1684738540561\"}",
			 cond ? "0" : (lossy ? "90" : "110"), r->close_position ? "0" : "2", bb_side(side), bb_pidx,
			 r->status, cond ? "Market" : "Limit", cond ? r->type : "UNKNOWN",
			 act    ? act
			 : cond ? trig
				: 0,
			 cond ? (rise ? 1 : 2) : 0, r->reduce_only ? "true" : "false",
			 r->close_position ? "true" : "false", strncmp(r->type, "Partial", 7) ? "Full" : "Partial");
		struct json_object *j = json_tokener_parse(js);
		bool ok = j && bb_order_from(j, REC_SRC_REST, o);
		json_object_put(j);
		return ok;
	}
	case BB_POS_SL: {
		int bb_pidx = pidx == REC_PIDX_LONG ? 1 : pidx == REC_PIDX_SHORT ? 2 : 0;
		snprintf(js, sizeof js,
			 "{\"positionIdx\":%d,\"symbol\":\"XUSDT\",\"side\":\"%s\",\"size\":\"2\",\"avgPrice\":\"100\","
			 "\"markPrice\":\"100\",\"takeProfit\":\"\",\"stopLoss\":\"%g\",\"trailingStop\":\"0\","
			 "\"tpslMode\":\"Full\",\"positionStatus\":\"Normal\",\"createdTime\":\"1676538056258\","
			 "\"updatedTime\":\"1697673600012\",\"seq\":8172241024}",
			 bb_pidx, ps == REC_SIDE_LONG ? "Buy" : "Sell", trig);
		struct json_object *j = json_tokener_parse(js);
		struct rec_position p;
		bool open = false;
		bool ok = j && bb_position_from(j, 1, REC_SRC_REST, &p, &open) && open;
		json_object_put(j);
		if (ok)
			bb_stop_from_position(&p, o);
		return ok;
	}
	}
	return false;
}

static void test_protection_table_both_exchanges_sides_and_modes(void)
{
	static const enum rec_side sides[] = { REC_SIDE_LONG, REC_SIDE_SHORT };
	size_t checked = 0;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const struct row *r = &rows[i];
		for (int si = 0; si < 2; si++)
			for (int hedge = 0; hedge < 2; hedge++) {
				if (hedge && !r->hedge_ok)
					continue;
				enum rec_side ps = sides[si];
				enum rec_pos_idx pidx = !hedge                ? REC_PIDX_BOTH
							: ps == REC_SIDE_LONG ? REC_PIDX_LONG
									      : REC_PIDX_SHORT;
				struct rec_order o;
				bool parsed = parse_row(r, ps, pidx, &o);
				if (!parsed)
					fprintf(stderr, "\n  row %s: payload not parsed\n", r->name);
				CU_ASSERT_TRUE_FATAL(parsed);
				struct rec_position pos;
				memset(&pos, 0, sizeof pos);
				snprintf(pos.symbol, sizeof pos.symbol, "XUSDT");
				pos.side = ps;
				pos.size = 2;
				pos.pidx = pidx;
				pos.entry_price = 100;
				pos.mark_price = 100;
				struct rec_prot v;
				enum rec_prot_verdict got = rec_protects(&o, &pos, false, &v);
				enum rec_prot_verdict want = hedge ? r->v_hedge : r->v_oneway;
				enum rec_order_role role = hedge ? r->role_hedge : r->role_oneway;
				if (got != want || v.role != role)
					fprintf(stderr, "\n  row %s (%s, %s): got %s/%s want %s/%s (%s)\n", r->name,
						rec_side_name(ps), hedge ? "hedge" : "one-way",
						rec_prot_verdict_name(got), rec_role_name(v.role),
						rec_prot_verdict_name(want), rec_role_name(role), v.why);
				CU_ASSERT_EQUAL(got, want);
				CU_ASSERT_EQUAL(v.role, role);
				/* a take-profit is never a stop-loss, never a duplicate to cancel */
				if (v.role == REC_ROLE_TAKE_PROFIT)
					CU_ASSERT_FALSE(v.dup_cancellable);
				checked++;
			}
	}
	CU_ASSERT_TRUE(checked >= 100);
}

/* The same stop in the other leg of a hedge account says nothing here. */
static void test_protects_other_leg_is_none(void)
{
	struct rec_order o;
	CU_ASSERT_TRUE_FATAL(parse_row(&rows[0], REC_SIDE_SHORT, REC_PIDX_SHORT, &o));
	struct rec_position pos = {
		.symbol = "XUSDT", .side = REC_SIDE_LONG, .size = 2, .pidx = REC_PIDX_LONG, .mark_price = 100
	};
	struct rec_prot v;
	CU_ASSERT_EQUAL(rec_protects(&o, &pos, true, &v), REC_PROT_NO);
	CU_ASSERT_EQUAL(v.role, REC_ROLE_NONE);
}

/* Within its documented window a TRIGGERING stop still counts. */
static void test_protects_triggering_within_window_counts(void)
{
	struct rec_order o;
	CU_ASSERT_TRUE_FATAL(parse_row(&rows[14], REC_SIDE_LONG, REC_PIDX_BOTH, &o));
	CU_ASSERT_EQUAL(o.status, REC_OST_TRIGGERING);
	struct rec_position pos = { .symbol = "XUSDT", .side = REC_SIDE_LONG, .size = 2, .mark_price = 100 };
	CU_ASSERT_EQUAL(rec_protects(&o, &pos, true, NULL), REC_PROT_YES);
	CU_ASSERT_EQUAL(rec_protects(&o, &pos, false, NULL), REC_PROT_NO);
}

/* A stop whose side is unreadable is never trusted (rule 5). */
static void test_protects_unknown_side_is_unknown(void)
{
	struct rec_order o;
	CU_ASSERT_TRUE_FATAL(parse_row(&rows[0], REC_SIDE_LONG, REC_PIDX_BOTH, &o));
	o.side = REC_OSIDE_UNKNOWN;
	struct rec_position pos = { .symbol = "XUSDT", .side = REC_SIDE_LONG, .size = 2, .mark_price = 100 };
	CU_ASSERT_EQUAL(rec_protects(&o, &pos, true, NULL), REC_PROT_UNKNOWN);
}

/* A Bybit "Stop" without a stated direction cannot be judged. */
static void test_protects_bybit_stop_without_direction_is_unknown(void)
{
	struct rec_order o;
	CU_ASSERT_TRUE_FATAL(parse_row(&rows[20], REC_SIDE_LONG, REC_PIDX_BOTH, &o));
	o.trigger_dir = REC_TRIG_UNKNOWN;
	struct rec_position pos = { .symbol = "XUSDT", .side = REC_SIDE_LONG, .size = 2, .mark_price = 100 };
	CU_ASSERT_EQUAL(rec_protects(&o, &pos, true, NULL), REC_PROT_UNKNOWN);
}

/* Exits vs entries: only an order that can only reduce is an exit. */
static void test_order_is_exit_only_when_it_can_only_reduce(void)
{
	struct rec_order o = { .symbol = "XUSDT",
			       .side = REC_BUY,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .status = REC_OST_NEW,
			       .qty = 0.02 };
	CU_ASSERT_FALSE(rec_order_is_exit(&o)); /* breakout entry */
	o.reduce_only = true;
	CU_ASSERT_TRUE(rec_order_is_exit(&o));
	o.reduce_only = false;
	o.pidx = REC_PIDX_SHORT; /* hedge: BUY on SHORT closes the short */
	CU_ASSERT_TRUE(rec_order_is_exit(&o));
	o.pidx = REC_PIDX_LONG; /* hedge: BUY on LONG adds to the long */
	CU_ASSERT_FALSE(rec_order_is_exit(&o));
	o.pidx = REC_PIDX_BOTH;
	o.close_on_trigger = true;
	CU_ASSERT_TRUE(rec_order_is_exit(&o));
}

void test_rec_protects_register(void)
{
	CU_pSuite s = CU_add_suite("rec_protects", NULL, NULL);
	CU_add_test(s, "test_protection_table_both_exchanges_sides_and_modes",
		    test_protection_table_both_exchanges_sides_and_modes);
	CU_add_test(s, "test_protects_other_leg_is_none", test_protects_other_leg_is_none);
	CU_add_test(s, "test_protects_triggering_within_window_counts", test_protects_triggering_within_window_counts);
	CU_add_test(s, "test_protects_unknown_side_is_unknown", test_protects_unknown_side_is_unknown);
	CU_add_test(s, "test_protects_bybit_stop_without_direction_is_unknown",
		    test_protects_bybit_stop_without_direction_is_unknown);
	CU_add_test(s, "test_order_is_exit_only_when_it_can_only_reduce",
		    test_order_is_exit_only_when_it_can_only_reduce);
}
