/* Bybit v5 parsing: every fixture in tests/data/bybit, normalized
 * values asserted (flat sides, position stops, string numbers, retCodes);
 * garbage => XCH_MALFORMED. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/jsonx.h"
#include "tests/support/testutil.h"

static char *fx(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_fixture(rel), len);
	CU_ASSERT_PTR_NOT_NULL(b);
	return b;
}

/* Parses a fixture's envelope; returns root (put it) and result. */
static struct json_object *envelope(const char *rel, struct json_object **res, int *rc, struct xch_err *err)
{
	size_t len;
	char *b = fx(rel, &len);
	struct json_object *root = NULL;
	*rc = b ? bb_check_answer(200, b, len, 0, 0, &root, res, err) : -1;
	free(b);
	return root;
}

static void test_bb_position_list_linear_long_with_string_numbers(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/position-list-linear-long-ltcusdt.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK); /* retCode "0" as a string */
	struct rec_position *p = NULL;
	size_t n = 0, pn = 0;
	char cursor[256];
	CU_ASSERT_EQUAL_FATAL(bb_parse_positions(res, 9, &p, &n, &pn, cursor, sizeof cursor, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(pn, 1);
	CU_ASSERT_STRING_EQUAL(cursor, "LTCUSDT%2C1699948800031%2C0");
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "LTCUSDT");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 1.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(p[0].entry_price, 64.59947917, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(p[0].mark_price, 71.1, 1e-9);
	CU_ASSERT_EQUAL(p[0].pidx, REC_PIDX_BOTH);
	CU_ASSERT_DOUBLE_EQUAL(p[0].stop_loss, 0, 0); /* "" = none */
	CU_ASSERT_DOUBLE_EQUAL(p[0].take_profit, 0, 0);
	CU_ASSERT_EQUAL(p[0].seq, 15411084098LL);
	CU_ASSERT_EQUAL(p[0].update_ms, 1699948800031LL);
	/* no stop: nothing synthesized */
	struct rec_order *o = NULL;
	size_t no = 0;
	bb_add_position_stops(p, n, &o, &no);
	CU_ASSERT_EQUAL(no, 0);
	free(o);
	free(p);
	json_object_put(root);
}

static void test_bb_position_list_inverse_short_zero_stop_is_none(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/position-list-doc-inverse-short.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	struct rec_position *p = NULL;
	size_t n = 0, pn = 0;
	char cursor[64];
	CU_ASSERT_EQUAL_FATAL(bb_parse_positions(res, 0, &p, &n, &pn, cursor, sizeof cursor, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(cursor, "");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 300, 0);
	CU_ASSERT_DOUBLE_EQUAL(p[0].stop_loss, 0, 0); /* "0.00" = none */
	CU_ASSERT_EQUAL(p[0].seq, 5723621632LL);
	free(p);
	json_object_put(root);
}

static void test_bb_flat_sides_are_skipped_and_stop_is_synthesized(void)
{
	const char *j =
		"{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"list\":["
		"{\"symbol\":\"AUSDT\",\"side\":\"\",\"size\":\"0\",\"positionIdx\":0},"
		"{\"symbol\":\"BUSDT\",\"side\":\"None\",\"size\":\"0\",\"positionIdx\":0},"
		"{\"symbol\":\"CUSDT\",\"side\":\"Sell\",\"size\":\"5\",\"positionIdx\":2,\"stopLoss\":\"1.25\","
		"\"updatedTime\":\"77\"}],\"nextPageCursor\":\"\"},\"time\":1}";
	struct json_object *root, *res;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, j, strlen(j), 0, 0, &root, &res, &err), XCH_OK);
	struct rec_position *p = NULL;
	size_t n = 0, pn = 0;
	CU_ASSERT_EQUAL_FATAL(bb_parse_positions(res, 0, &p, &n, &pn, NULL, 0, &err), XCH_OK);
	CU_ASSERT_EQUAL(pn, 3);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "CUSDT");
	CU_ASSERT_DOUBLE_EQUAL(p[0].stop_loss, 1.25, 1e-12);
	struct rec_order *o = NULL;
	size_t no = 0;
	bb_add_position_stops(p, n, &o, &no);
	CU_ASSERT_EQUAL_FATAL(no, 1);
	CU_ASSERT_STRING_EQUAL(o[0].id, "pos-sl:CUSDT:2");
	CU_ASSERT_TRUE(o[0].position_attached);
	CU_ASSERT_TRUE(o[0].close_position);
	CU_ASSERT_TRUE(o[0].reduce_only);
	CU_ASSERT_TRUE(o[0].conditional);
	CU_ASSERT_EQUAL(o[0].kind, REC_OK_STOP_LOSS);
	CU_ASSERT_EQUAL(o[0].side, REC_BUY); /* closing side of a short */
	CU_ASSERT_EQUAL(o[0].pidx, REC_PIDX_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(o[0].trigger_price, 1.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0, 0);
	CU_ASSERT_EQUAL(o[0].status, REC_OST_NEW);
	free(o);
	free(p);
	json_object_put(root);
}

static void test_bb_position_stop_listed_as_order_is_not_doubled(void)
{
	struct rec_position p = { .symbol = "BTCUSDT", .side = REC_SIDE_LONG, .size = 1, .stop_loss = 58000 };
	struct rec_order *o = calloc(1, sizeof *o);
	size_t no = 1;
	strcpy(o[0].id, "abc");
	strcpy(o[0].symbol, "BTCUSDT");
	strcpy(o[0].type, "StopLoss");
	o[0].kind = REC_OK_STOP_LOSS;
	o[0].trigger_price = 58000;
	bb_add_position_stops(&p, 1, &o, &no);
	CU_ASSERT_EQUAL(no, 1);
	CU_ASSERT_TRUE(o[0].position_attached);
	free(o);
}

static void test_bb_order_realtime_limit_with_tpsl(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/order-realtime-doc-linear-limit-with-tpsl.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	struct rec_order *o = NULL;
	size_t n = 0, pn = 0;
	char cursor[256];
	CU_ASSERT_EQUAL_FATAL(bb_parse_orders(res, &o, &n, &pn, cursor, sizeof cursor, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(o[0].id, "fd4300ae-7847-404e-b947-b46980a4d140");
	CU_ASSERT_STRING_EQUAL(o[0].client_id, "test-000005");
	CU_ASSERT_STRING_EQUAL(o[0].symbol, "ETHUSDT");
	CU_ASSERT_EQUAL(o[0].side, REC_BUY);
	CU_ASSERT_EQUAL(o[0].kind, REC_OK_REGULAR); /* stopOrderType UNKNOWN */
	CU_ASSERT_FALSE(o[0].conditional);          /* triggerPrice "0.00" */
	CU_ASSERT_STRING_EQUAL(o[0].type, "Limit");
	CU_ASSERT_EQUAL(o[0].pidx, REC_PIDX_LONG);
	CU_ASSERT_DOUBLE_EQUAL(o[0].price, 1600, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0.1, 1e-12);
	CU_ASSERT_EQUAL(o[0].status, REC_OST_NEW);
	CU_ASSERT_EQUAL(o[0].created_ms, 1684738540559LL);
	free(o);
	json_object_put(root);
}

static void test_bb_untriggered_stop_loss_orders_are_stop_losses_and_stop_is_conditional(void)
{
	static const char *types[] = { "StopLoss", "PartialStopLoss", "Stop" };
	static const enum rec_order_kind kinds[] = { REC_OK_STOP_LOSS, REC_OK_STOP_LOSS, REC_OK_CONDITIONAL };
	for (int i = 0; i < 3; i++) {
		char j[512];
		snprintf(j, sizeof j,
			 "{\"orderId\":\"o%d\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\",\"orderType\":\"Market\","
			 "\"stopOrderType\":\"%s\",\"orderStatus\":\"Untriggered\",\"triggerPrice\":\"58000\","
			 "\"triggerDirection\":2,\"qty\":\"0.5\",\"reduceOnly\":true,\"closeOnTrigger\":true,"
			 "\"positionIdx\":\"0\"}",
			 i, types[i]);
		struct json_object *o = xch_json_parse(j, strlen(j));
		struct rec_order r;
		CU_ASSERT_TRUE_FATAL(bb_order_from(o, REC_SRC_REST, &r));
		/* "Stop" is a plain conditional order: only triggerDirection
		 * relative to the position says stop-loss or take-profit */
		CU_ASSERT_EQUAL(r.kind, kinds[i]);
		CU_ASSERT_TRUE(r.conditional);
		CU_ASSERT_TRUE(r.reduce_only);
		CU_ASSERT_TRUE(r.close_on_trigger);
		CU_ASSERT_FALSE(r.close_position); /* a quantity, not the whole position */
		CU_ASSERT_EQUAL(r.trigger_dir, REC_TRIG_FALL);
		CU_ASSERT_EQUAL(r.status, REC_OST_NEW);
		CU_ASSERT_EQUAL(r.side, REC_SELL);
		CU_ASSERT_DOUBLE_EQUAL(r.trigger_price, 58000, 0);
		CU_ASSERT_STRING_EQUAL(r.type, types[i]);
		CU_ASSERT_STRING_EQUAL(r.settle, "");
		json_object_put(o);
	}
	CU_ASSERT_EQUAL(bb_kind("TakeProfit"), REC_OK_TAKE_PROFIT);
	CU_ASSERT_EQUAL(bb_kind("TrailingStop"), REC_OK_TRAILING);
	CU_ASSERT_EQUAL(bb_kind(""), REC_OK_REGULAR);
}

static void test_bb_order_history_filled_market(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/order-history-linear-filled-market.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	struct rec_order *o = NULL;
	size_t n = 0, pn = 0;
	CU_ASSERT_EQUAL_FATAL(bb_parse_orders(res, &o, &n, &pn, NULL, 0, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(o[0].status, REC_OST_FILLED);
	CU_ASSERT_EQUAL(o[0].side, REC_BUY);
	CU_ASSERT_DOUBLE_EQUAL(o[0].filled, 0.1, 1e-12);
	CU_ASSERT_FALSE(o[0].conditional); /* triggerPrice "" */
	CU_ASSERT_EQUAL(o[0].pidx, REC_PIDX_BOTH);
	free(o);
	json_object_put(root);
}

static void test_bb_create_answer_yields_ids_only(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/order-create-response.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	struct xch_ack ack;
	CU_ASSERT_EQUAL(bb_parse_ack(res, &ack, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(ack.id, "1609920528435648000");
	CU_ASSERT_STRING_EQUAL(ack.client_id, "1609920528444036608");
	CU_ASSERT_FALSE(ack.is_algo);
	json_object_put(root);
	root = envelope("bybit/order-cancel-response-doc.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(bb_parse_ack(res, &ack, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(ack.client_id, "linear-004");
	json_object_put(root);
	root = envelope("bybit/trading-stop-response-doc.json", &res, &rc, &err);
	CU_ASSERT_EQUAL(rc, XCH_OK); /* result {} */
	CU_ASSERT_EQUAL(bb_parse_ack(res, &ack, &err), XCH_MALFORMED);
	json_object_put(root);
}

static void test_bb_server_time(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/server-time-doc.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	int64_t ms = 0;
	CU_ASSERT_EQUAL(bb_parse_server_time(root, &ms), XCH_OK);
	CU_ASSERT_EQUAL(ms, 1688639403423LL);
	json_object_put(root);
}

static void test_bb_reduce_only_error_and_retcode_table(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/error-110017-reduce-only-recorded.json", &res, &rc, &err);
	CU_ASSERT_PTR_NULL(root);
	CU_ASSERT_EQUAL(rc, XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(err.code, 110017);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Reduce-only rule not satisfied"));
	CU_ASSERT_EQUAL(bb_map_retcode(10002), XCH_TIMESTAMP);
	CU_ASSERT_EQUAL(bb_map_retcode(10003), XCH_AUTH);
	CU_ASSERT_EQUAL(bb_map_retcode(10004), XCH_AUTH);
	CU_ASSERT_EQUAL(bb_map_retcode(10005), XCH_AUTH);
	CU_ASSERT_EQUAL(bb_map_retcode(10006), XCH_RATELIMIT);
	CU_ASSERT_EQUAL(bb_map_retcode(10018), XCH_RATELIMIT);
	CU_ASSERT_EQUAL(bb_map_retcode(110001), XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(bb_map_retcode(10016), XCH_SERVER);
	CU_ASSERT_EQUAL(bb_map_retcode(110092), XCH_WOULD_TRIGGER);
	CU_ASSERT_EQUAL(bb_map_retcode(10001), XCH_REJECTED);
	const char *rl = "{\"retCode\":10006,\"retMsg\":\"Too many visits!\",\"result\":{},\"time\":1}";
	CU_ASSERT_EQUAL(bb_check_answer(200, rl, strlen(rl), 5300, 5000, &root, &res, &err), XCH_RATELIMIT);
	CU_ASSERT_EQUAL(err.retry_after_ms, 300);
	CU_ASSERT_EQUAL(bb_check_answer(403, "", 0, 0, 0, &root, &res, &err), XCH_BANNED);
	CU_ASSERT_EQUAL(bb_check_answer(502, "", 0, 0, 0, &root, &res, &err), XCH_SERVER);
	CU_ASSERT_EQUAL(bb_check_answer(200, "{\"retMsg\":\"x\"}", 14, 0, 0, &root, &res, &err), XCH_MALFORMED);
}

static void test_bb_closed_pnl_and_execution_list_envelopes(void)
{
	struct json_object *res;
	struct xch_err err = { 0 };
	int rc;
	struct json_object *root = envelope("bybit/closed-pnl-linear-btcusdt.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	struct json_object *l = xch_json_array(res, "list");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(l), 1);
	struct json_object *e = json_object_array_get_idx(l, 0);
	CU_ASSERT_EQUAL(bb_oside(xch_json_str(e, "side")), REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(xch_json_numd(e, "closedSize", 0), 0.001, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(xch_json_numd(e, "closedPnl", 0), -0.43582528, 1e-12);
	json_object_put(root);
	root = envelope("bybit/execution-list-linear-trade.json", &res, &rc, &err);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	e = json_object_array_get_idx(xch_json_array(res, "list"), 0);
	CU_ASSERT_STRING_EQUAL(xch_json_str(e, "symbol"), "LTCUSDT");
	CU_ASSERT_DOUBLE_EQUAL(xch_json_numd(e, "execQty", 0), 0.1, 1e-12);
	CU_ASSERT_EQUAL(xch_json_i64d(e, "seq", 0), 15961900053LL);
	CU_ASSERT_EQUAL(bb_kind(xch_json_str(e, "stopOrderType")), REC_OK_REGULAR);
	json_object_put(root);
}

static struct bb_ws_msg ws_fixture(const char *rel, int *rc)
{
	size_t len;
	char *b = fx(rel, &len);
	struct bb_ws_msg m;
	memset(&m, 0, sizeof m);
	*rc = b ? bb_parse_ws(b, len, 3, &m) : -1;
	free(b);
	return m;
}

static void test_bb_ws_position_flat_hedge_row_kept_as_size_zero(void)
{
	int rc;
	struct bb_ws_msg m = ws_fixture("bybit/ws-position-doc.json", &rc);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(m.kind, BB_WS_POSITION);
	CU_ASSERT_EQUAL_FATAL(m.npos, 1);
	CU_ASSERT_STRING_EQUAL(m.pos[0].symbol, "BTCUSDT");
	CU_ASSERT_EQUAL(m.pos[0].side, REC_SIDE_UNKNOWN);
	CU_ASSERT_DOUBLE_EQUAL(m.pos[0].size, 0, 0);
	CU_ASSERT_EQUAL(m.pos[0].pidx, REC_PIDX_SHORT);
	CU_ASSERT_EQUAL(m.pos[0].seq, 8327597863LL);
	CU_ASSERT_EQUAL(m.pos[0].update_ms, 1697682317038LL);
	CU_ASSERT_DOUBLE_EQUAL(m.pos[0].stop_loss, 0, 0);
	CU_ASSERT_TRUE(m.pos[0].sources & REC_SRC_STREAM);
	bb_ws_msg_free(&m);
}

static void test_bb_ws_order_other_category_is_skipped(void)
{
	int rc;
	struct bb_ws_msg m = ws_fixture("bybit/ws-order-doc-option.json", &rc);
	CU_ASSERT_EQUAL_FATAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(m.kind, BB_WS_ORDER);
	CU_ASSERT_EQUAL(m.nord, 0);
	CU_ASSERT_EQUAL(m.skipped, 1);
	bb_ws_msg_free(&m);
	/* the same frame as linear is applied, fields normalized */
	size_t len;
	char *b = fx("bybit/ws-order-doc-option.json", &len);
	char *p = strstr(b, "\"option\"");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memcpy(p, "\"linear\"", 8);
	CU_ASSERT_EQUAL_FATAL(bb_parse_ws(b, len, 0, &m), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(m.nord, 1);
	CU_ASSERT_STRING_EQUAL(m.ord[0].id, "5cf98598-39a7-459e-97bf-76ca765ee020");
	CU_ASSERT_EQUAL(m.ord[0].side, REC_SELL);
	CU_ASSERT_EQUAL(m.ord[0].status, REC_OST_FILLED);
	CU_ASSERT_DOUBLE_EQUAL(m.ord[0].filled, 1, 0);
	CU_ASSERT_EQUAL(m.ord[0].update_ms, 1672364262457LL);
	bb_ws_msg_free(&m);
	free(b);
}

static void test_bb_ws_auth_and_wallet_frames(void)
{
	int rc;
	struct bb_ws_msg m = ws_fixture("bybit/ws-auth-success-doc.json", &rc);
	CU_ASSERT_EQUAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(m.kind, BB_WS_AUTH);
	CU_ASSERT_TRUE(m.success);
	bb_ws_msg_free(&m);
	m = ws_fixture("bybit/ws-wallet-doc.json", &rc);
	CU_ASSERT_EQUAL(rc, XCH_OK);
	CU_ASSERT_EQUAL(m.kind, BB_WS_OTHER);
	CU_ASSERT_EQUAL(m.creation_ms, 1700034722104LL);
	bb_ws_msg_free(&m);
	const char *f = "{\"success\":false,\"ret_msg\":\"Params Error\",\"op\":\"auth\"}";
	CU_ASSERT_EQUAL(bb_parse_ws(f, strlen(f), 0, &m), XCH_OK);
	CU_ASSERT_FALSE(m.success);
	CU_ASSERT_STRING_EQUAL(m.ret_msg, "Params Error");
	bb_ws_msg_free(&m);
}

static void test_bb_garbage_and_truncation_are_malformed(void)
{
	static const char *fixtures[] = {
		"bybit/position-list-linear-long-ltcusdt.json",
		"bybit/order-realtime-doc-linear-limit-with-tpsl.json",
		"bybit/ws-position-doc.json",
		"bybit/order-create-response.json",
	};
	for (size_t i = 0; i < 4; i++) {
		size_t len;
		char *b = fx(fixtures[i], &len);
		struct json_object *root, *res;
		struct xch_err err = { 0 };
		CU_ASSERT_EQUAL(bb_check_answer(200, b, len / 2, 0, 0, &root, &res, &err), XCH_MALFORMED);
		CU_ASSERT_PTR_NULL(root);
		struct bb_ws_msg m;
		CU_ASSERT_EQUAL(bb_parse_ws(b, len - 3, 0, &m), XCH_MALFORMED);
		free(b);
	}
	static const char *bad[] = { "", "<html>502</html>", "[]", "{\"retCode\":0}", "{\"retCode\":\"x\"}" };
	for (size_t i = 0; i < 5; i++) {
		struct json_object *root, *res;
		struct xch_err err = { 0 };
		CU_ASSERT_EQUAL(bb_check_answer(200, bad[i], strlen(bad[i]), 0, 0, &root, &res, &err), XCH_MALFORMED);
	}
	/* a list that is not a list, and rows of the wrong shape */
	const char *j = "{\"retCode\":0,\"result\":{\"list\":{}}}";
	struct json_object *root, *res;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, j, strlen(j), 0, 0, &root, &res, &err), XCH_OK);
	struct rec_position *p = NULL;
	size_t n = 0, pn = 0;
	CU_ASSERT_EQUAL(bb_parse_positions(res, 0, &p, &n, &pn, NULL, 0, &err), XCH_MALFORMED);
	json_object_put(root);
	j = "{\"retCode\":0,\"result\":{\"list\":[{\"symbol\":\"X\",\"size\":\"abc\",\"side\":\"Buy\"}]}}";
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, j, strlen(j), 0, 0, &root, &res, &err), XCH_OK);
	CU_ASSERT_EQUAL(bb_parse_positions(res, 0, &p, &n, &pn, NULL, 0, &err), XCH_MALFORMED);
	free(p);
	p = NULL;
	json_object_put(root);
	j = "{\"retCode\":0,\"result\":{\"list\":[{\"symbol\":\"X\"}]}}";
	CU_ASSERT_EQUAL_FATAL(bb_check_answer(200, j, strlen(j), 0, 0, &root, &res, &err), XCH_OK);
	struct rec_order *o = NULL;
	n = 0;
	CU_ASSERT_EQUAL(bb_parse_orders(res, &o, &n, &pn, NULL, 0, &err), XCH_MALFORMED);
	free(o);
	json_object_put(root);
}

void test_xch_bybit_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_bb_position_list_linear_long_with_string_numbers",
		  test_bb_position_list_linear_long_with_string_numbers },
		{ "test_bb_position_list_inverse_short_zero_stop_is_none",
		  test_bb_position_list_inverse_short_zero_stop_is_none },
		{ "test_bb_flat_sides_are_skipped_and_stop_is_synthesized",
		  test_bb_flat_sides_are_skipped_and_stop_is_synthesized },
		{ "test_bb_position_stop_listed_as_order_is_not_doubled",
		  test_bb_position_stop_listed_as_order_is_not_doubled },
		{ "test_bb_order_realtime_limit_with_tpsl", test_bb_order_realtime_limit_with_tpsl },
		{ "test_bb_untriggered_stop_loss_orders_are_stop_losses_and_stop_is_conditional",
		  test_bb_untriggered_stop_loss_orders_are_stop_losses_and_stop_is_conditional },
		{ "test_bb_order_history_filled_market", test_bb_order_history_filled_market },
		{ "test_bb_create_answer_yields_ids_only", test_bb_create_answer_yields_ids_only },
		{ "test_bb_server_time", test_bb_server_time },
		{ "test_bb_reduce_only_error_and_retcode_table", test_bb_reduce_only_error_and_retcode_table },
		{ "test_bb_closed_pnl_and_execution_list_envelopes", test_bb_closed_pnl_and_execution_list_envelopes },
		{ "test_bb_ws_position_flat_hedge_row_kept_as_size_zero",
		  test_bb_ws_position_flat_hedge_row_kept_as_size_zero },
		{ "test_bb_ws_order_other_category_is_skipped", test_bb_ws_order_other_category_is_skipped },
		{ "test_bb_ws_auth_and_wallet_frames", test_bb_ws_auth_and_wallet_frames },
		{ "test_bb_garbage_and_truncation_are_malformed", test_bb_garbage_and_truncation_are_malformed },
		{ NULL, NULL },
	};
	tu_add_suite("xch_bybit", tests);
}
