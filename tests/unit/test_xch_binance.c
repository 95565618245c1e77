/* Binance USD-M parsing: every fixture in tests/data/binance, normalized
 * values asserted; error codes typed; garbage => XCH_MALFORMED. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bn_parse.h"
#include "tests/support/testutil.h"

static char *fx(const char *rel, size_t *len)
{
	char *b = tu_read_file(tu_fixture(rel), len);
	CU_ASSERT_PTR_NOT_NULL(b);
	return b;
}

static void test_bn_position_risk_v3_oneway_long(void)
{
	size_t len, n = 0;
	char *b = fx("binance/position-risk-v3-oneway-long-btcusdt.json", &len);
	struct rec_position *p = NULL;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_positions(b, len, 42, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "BTCUSDT");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 0.009, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(p[0].entry_price, 67445.9, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(p[0].mark_price, 67502.68519858, 1e-9);
	CU_ASSERT_EQUAL(p[0].pidx, REC_PIDX_BOTH);
	CU_ASSERT_EQUAL(p[0].update_ms, 1722161166529LL); /* string in the recording */
	CU_ASSERT_EQUAL(p[0].seen_ms, 42);
	CU_ASSERT_TRUE(p[0].sources & REC_SRC_REST);
	CU_ASSERT_DOUBLE_EQUAL(p[0].stop_loss, 0, 0);
	free(p);
	free(b);
}

static void test_bn_account_v3_positions_parse(void)
{
	size_t len, n = 0;
	char *b = fx("binance/account-v3-with-position.json", &len);
	struct rec_position *p = NULL;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_positions(b, len, 1, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "BTCUSDT");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 0.009, 1e-12);
	CU_ASSERT_EQUAL(p[0].update_ms, 1722161166529LL);
	free(p);
	free(b);
}

static void test_bn_flat_and_short_rows_normalize(void)
{
	const char *j = "[{\"symbol\":\"AUSDT\",\"positionSide\":\"BOTH\",\"positionAmt\":\"0.000\"},"
			"{\"symbol\":\"BUSDT\",\"positionSide\":\"SHORT\",\"positionAmt\":-12.5,\"entryPrice\":\"2\"}]";
	struct rec_position *p = NULL;
	size_t n = 0;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_positions(j, strlen(j), 0, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1); /* the flat row is not an open position */
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "BUSDT");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 12.5, 1e-12);
	CU_ASSERT_EQUAL(p[0].pidx, REC_PIDX_SHORT);
	free(p);
}

static void test_bn_open_order_limit_gtx_with_string_ids(void)
{
	size_t len;
	char *b = fx("binance/open-order-limit-gtx-ltcusdt.json", &len);
	struct rec_order o;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_order(b, len, &o, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(o.id, "664082074");
	CU_ASSERT_STRING_EQUAL(o.client_id, "x-xcKtGhcu68f8383451844295b3e8b9");
	CU_ASSERT_STRING_EQUAL(o.symbol, "LTCUSDT");
	CU_ASSERT_EQUAL(o.side, REC_BUY);
	CU_ASSERT_EQUAL(o.kind, REC_OK_REGULAR);
	CU_ASSERT_STRING_EQUAL(o.type, "LIMIT");
	CU_ASSERT_FALSE(o.conditional);
	CU_ASSERT_FALSE(o.reduce_only);
	CU_ASSERT_FALSE(o.close_position);
	CU_ASSERT_FALSE(o.is_algo);
	CU_ASSERT_DOUBLE_EQUAL(o.price, 50.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(o.qty, 0.2, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(o.trigger_price, 0, 0);
	CU_ASSERT_EQUAL(o.status, REC_OST_NEW);
	CU_ASSERT_EQUAL(o.created_ms, 1707907323983LL);
	CU_ASSERT_EQUAL(o.update_ms, 1707907323991LL);
	free(b);
}

static void test_bn_batch_orders_answer_parses_as_order_list(void)
{
	size_t len, n = 0;
	char *b = fx("binance/batch-orders-place-limit-response.json", &len);
	struct rec_order *o = NULL;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_orders(b, len, &o, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(o[0].id, "4087922044");
	CU_ASSERT_EQUAL(o[0].side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(o[0].price, 110001.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0.2, 1e-12);
	CU_ASSERT_EQUAL(o[0].update_ms, 1739781831932LL);
	free(o);
	free(b);
}

static void test_bn_legacy_trailing_stop_order_is_conditional(void)
{
	size_t len;
	char *b = fx("binance/order-query-doc-trailing-stop-legacy.json", &len);
	struct rec_order o;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_order(b, len, &o, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(o.id, "1573346959");
	CU_ASSERT_EQUAL(o.kind, REC_OK_TRAILING);
	CU_ASSERT_TRUE(o.conditional);
	CU_ASSERT_FALSE(o.is_algo);
	CU_ASSERT_EQUAL(o.side, REC_BUY);
	CU_ASSERT_EQUAL(o.pidx, REC_PIDX_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(o.trigger_price, 9300, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o.qty, 0.4, 1e-12);
	free(b);
}

static void test_bn_open_algo_orders_are_algo_conditionals(void)
{
	size_t len, n = 0;
	char *b = fx("binance/open-algo-orders-doc.json", &len);
	struct rec_order *o = NULL;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_algo_orders(b, len, &o, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(o[0].id, "2148627");
	CU_ASSERT_STRING_EQUAL(o[0].client_id, "MRumok0dkhrP4kCm12AHaB");
	CU_ASSERT_STRING_EQUAL(o[0].symbol, "BNBUSDT");
	CU_ASSERT_TRUE(o[0].is_algo);
	CU_ASSERT_TRUE(o[0].conditional);
	CU_ASSERT_EQUAL(o[0].kind, REC_OK_TAKE_PROFIT);
	CU_ASSERT_EQUAL(o[0].side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(o[0].trigger_price, 750.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o[0].price, 750.0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0.01, 1e-12);
	CU_ASSERT_EQUAL(o[0].status, REC_OST_NEW);
	CU_ASSERT_FALSE(o[0].close_position);
	CU_ASSERT_EQUAL(o[0].created_ms, 1750514941540LL);
	free(o);
	free(b);
}

static void test_bn_algo_stop_market_close_position_is_stop_loss(void)
{
	const char *j = "[{\"algoId\":7,\"clientAlgoId\":\"vgl-1\",\"algoType\":\"CONDITIONAL\",\"orderType\":"
			"\"STOP_MARKET\",\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"positionSide\":\"BOTH\","
			"\"quantity\":\"\",\"algoStatus\":\"TRIGGERING\",\"triggerPrice\":\"58000.5\","
			"\"closePosition\":true,\"reduceOnly\":\"false\"}]";
	struct rec_order *o = NULL;
	size_t n = 0;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_algo_orders(j, strlen(j), &o, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(o[0].kind, REC_OK_STOP_LOSS);
	CU_ASSERT_TRUE(o[0].close_position);
	CU_ASSERT_DOUBLE_EQUAL(o[0].qty, 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(o[0].trigger_price, 58000.5, 1e-9);
	CU_ASSERT_EQUAL(o[0].status, REC_OST_TRIGGERING);
	free(o);
}

static void test_bn_algo_order_query_canceled(void)
{
	size_t len;
	char *b = fx("binance/algo-order-query-canceled-doc.json", &len);
	struct rec_order o;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL_FATAL(bn_parse_algo_order(b, len, &o, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(o.id, "2146760");
	CU_ASSERT_TRUE(o.is_algo);
	CU_ASSERT_EQUAL(o.status, REC_OST_CANCELED);
	CU_ASSERT_EQUAL(o.update_ms, 1750514545091LL);
	free(b);
}

static void test_bn_algo_new_and_cancel_answers_ack(void)
{
	size_t len;
	char *b = fx("binance/algo-order-new-response-doc.json", &len);
	struct xch_ack ack;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL(bn_check_answer(200, b, len, -1, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(bn_parse_ack(b, len, true, &ack, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(ack.id, "2146760");
	CU_ASSERT_STRING_EQUAL(ack.client_id, "6B2I9XVcJpCjqPAJ4YoFX7");
	CU_ASSERT_TRUE(ack.is_algo);
	struct rec_order o;
	CU_ASSERT_EQUAL(bn_parse_algo_order(b, len, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.status, REC_OST_NEW);
	free(b);
	/* "code":"200" on the cancel answer is success, not an error */
	b = fx("binance/algo-order-cancel-response-doc.json", &len);
	CU_ASSERT_EQUAL(bn_check_answer(200, b, len, -1, &err), XCH_OK);
	CU_ASSERT_EQUAL(bn_parse_ack(b, len, true, &ack, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(ack.id, "2146760");
	free(b);
}

static void test_bn_server_time(void)
{
	size_t len;
	char *b = fx("binance/server-time-doc.json", &len);
	int64_t ms = 0;
	struct xch_err err = { 0 };
	CU_ASSERT_EQUAL(bn_parse_server_time(b, len, &ms, &err), XCH_OK);
	CU_ASSERT_EQUAL(ms, 1499827319559LL);
	free(b);
}

static void test_bn_error_bodies_map_to_typed_results(void)
{
	size_t len;
	struct xch_err err = { 0 };
	char *b = fx("binance/error-2011-unknown-order-sent.json", &len);
	CU_ASSERT_EQUAL(bn_check_answer(400, b, len, -1, &err), XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(err.rc, XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(err.code, -2011);
	CU_ASSERT_EQUAL(err.http, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "Unknown order sent."));
	free(b);
	b = fx("binance/error-4120-stop-order-switch-algo.json", &len);
	CU_ASSERT_EQUAL(bn_check_answer(400, b, len, -1, &err), XCH_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(err.code, -4120);
	free(b);
}

static void test_bn_code_table(void)
{
	CU_ASSERT_EQUAL(bn_map_code(-1021), XCH_TIMESTAMP);
	CU_ASSERT_EQUAL(bn_map_code(-1022), XCH_AUTH);
	CU_ASSERT_EQUAL(bn_map_code(-2014), XCH_AUTH);
	CU_ASSERT_EQUAL(bn_map_code(-2015), XCH_AUTH);
	CU_ASSERT_EQUAL(bn_map_code(-2013), XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(bn_map_code(-2021), XCH_WOULD_TRIGGER);
	CU_ASSERT_EQUAL(bn_map_code(-2022), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(bn_map_code(-4118), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(bn_map_code(-4120), XCH_NOT_SUPPORTED);
	CU_ASSERT_EQUAL(bn_map_code(-1111), XCH_REJECTED);
}

static void test_bn_http_status_maps_before_code(void)
{
	struct xch_err err = { 0 };
	const char *rl = "{\"code\":-1003,\"msg\":\"Too many requests\"}";
	CU_ASSERT_EQUAL(bn_check_answer(429, rl, strlen(rl), 7000, &err), XCH_RATELIMIT);
	CU_ASSERT_EQUAL(err.retry_after_ms, 7000);
	CU_ASSERT_EQUAL(bn_check_answer(418, rl, strlen(rl), 120000, &err), XCH_BANNED);
	CU_ASSERT_EQUAL(err.retry_after_ms, 120000);
	CU_ASSERT_EQUAL(bn_check_answer(503, "Service Unavailable.", 20, -1, &err), XCH_SERVER);
	CU_ASSERT_EQUAL(bn_check_answer(502, "", 0, -1, &err), XCH_SERVER);
	CU_ASSERT_EQUAL(bn_check_answer(401, "", 0, -1, &err), XCH_AUTH);
	CU_ASSERT_EQUAL(bn_check_answer(200, "[]", 2, -1, &err), XCH_OK);
}

static void test_bn_stream_order_trade_update(void)
{
	size_t len;
	char *b = fx("binance/ws-order-trade-update-doc.json", &len);
	struct bn_event ev;
	CU_ASSERT_EQUAL_FATAL(bn_parse_event(b, len, 5, &ev), XCH_OK);
	CU_ASSERT_EQUAL(ev.kind, BN_EV_ORDER);
	CU_ASSERT_EQUAL(ev.event_ms, 1568879465651LL);
	CU_ASSERT_STRING_EQUAL(ev.ord.id, "8886774");
	CU_ASSERT_STRING_EQUAL(ev.ord.client_id, "TEST");
	CU_ASSERT_STRING_EQUAL(ev.ord.symbol, "BTCUSDT");
	CU_ASSERT_EQUAL(ev.ord.side, REC_SELL);
	CU_ASSERT_EQUAL(ev.ord.kind, REC_OK_TRAILING);
	CU_ASSERT_TRUE(ev.ord.conditional);
	CU_ASSERT_DOUBLE_EQUAL(ev.ord.trigger_price, 7103.04, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ev.ord.qty, 0.001, 1e-12);
	CU_ASSERT_EQUAL(ev.ord.pidx, REC_PIDX_LONG);
	CU_ASSERT_EQUAL(ev.ord.status, REC_OST_NEW);
	CU_ASSERT_EQUAL(ev.ord.update_ms, 1568879465651LL);
	CU_ASSERT_TRUE(ev.ord.sources & REC_SRC_STREAM);
	bn_event_free(&ev);
	free(b);
}

static void test_bn_stream_account_update_hedge_rows(void)
{
	size_t len;
	char *b = fx("binance/ws-account-update-doc.json", &len);
	struct bn_event ev;
	CU_ASSERT_EQUAL_FATAL(bn_parse_event(b, len, 5, &ev), XCH_OK);
	CU_ASSERT_EQUAL(ev.kind, BN_EV_ACCOUNT);
	CU_ASSERT_EQUAL_FATAL(ev.npos, 3);
	/* BOTH row: pa 0 = reported flat, kept */
	CU_ASSERT_EQUAL(ev.pos[0].pidx, REC_PIDX_BOTH);
	CU_ASSERT_DOUBLE_EQUAL(ev.pos[0].size, 0, 0);
	CU_ASSERT_EQUAL(ev.pos[0].side, REC_SIDE_UNKNOWN);
	CU_ASSERT_EQUAL(ev.pos[1].pidx, REC_PIDX_LONG);
	CU_ASSERT_EQUAL(ev.pos[1].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(ev.pos[1].size, 20, 0);
	CU_ASSERT_DOUBLE_EQUAL(ev.pos[1].entry_price, 6563.665, 1e-9);
	CU_ASSERT_EQUAL(ev.pos[2].pidx, REC_PIDX_SHORT);
	CU_ASSERT_EQUAL(ev.pos[2].side, REC_SIDE_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(ev.pos[2].size, 10, 0);
	CU_ASSERT_EQUAL(ev.pos[2].update_ms, 1564745798939LL);
	bn_event_free(&ev);
	free(b);
}

static void test_bn_stream_algo_update_canceled(void)
{
	size_t len;
	char *b = fx("binance/ws-algo-update-canceled-doc.json", &len);
	struct bn_event ev;
	CU_ASSERT_EQUAL_FATAL(bn_parse_event(b, len, 5, &ev), XCH_OK);
	CU_ASSERT_EQUAL(ev.kind, BN_EV_ALGO);
	CU_ASSERT_STRING_EQUAL(ev.ord.id, "2148719");
	CU_ASSERT_STRING_EQUAL(ev.ord.client_id, "Q5xaq5EGKgXXa0fD7fs0Ip");
	CU_ASSERT_TRUE(ev.ord.is_algo);
	CU_ASSERT_EQUAL(ev.ord.kind, REC_OK_TAKE_PROFIT);
	CU_ASSERT_EQUAL(ev.ord.status, REC_OST_CANCELED);
	CU_ASSERT_DOUBLE_EQUAL(ev.ord.trigger_price, 750, 1e-9);
	CU_ASSERT_EQUAL(ev.ord.update_ms, 1750515742303LL);
	bn_event_free(&ev);
	free(b);
}

static void test_bn_stream_listen_key_expired_with_string_time(void)
{
	const char *m = "{\"e\":\"listenKeyExpired\",\"E\":\"1693427319838\",\"listenKey\":\"abc\"}";
	struct bn_event ev;
	CU_ASSERT_EQUAL_FATAL(bn_parse_event(m, strlen(m), 0, &ev), XCH_OK);
	CU_ASSERT_EQUAL(ev.kind, BN_EV_KEY_EXPIRED);
	CU_ASSERT_EQUAL(ev.event_ms, 1693427319838LL);
	bn_event_free(&ev);
}

static void test_bn_garbage_and_truncation_are_malformed(void)
{
	static const char *bad[] = {
		"",
		"not json",
		"{\"symbol\":",
		"[{\"symbol\":\"BTCUSDT\",\"positionAmt\":\"0.1\"",
		"{}",
		"42",
		"[{\"positionAmt\":\"1\"}]",
		"[{\"symbol\":\"X\",\"positionAmt\":\"abc\"}]",
		"[1,2]",
		"[] trailing",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rec_position *p = NULL;
		struct rec_order *o = NULL;
		struct rec_order one;
		size_t n = 7;
		struct xch_err err = { 0 };
		CU_ASSERT_EQUAL(bn_parse_positions(bad[i], strlen(bad[i]), 0, &p, &n, &err), XCH_MALFORMED);
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT_EQUAL(err.rc, XCH_MALFORMED);
		CU_ASSERT_EQUAL(bn_parse_algo_orders(bad[i], strlen(bad[i]), &o, &n, &err), XCH_MALFORMED);
		CU_ASSERT_PTR_NULL(o);
		CU_ASSERT_EQUAL(bn_parse_order(bad[i], strlen(bad[i]), &one, &err), XCH_MALFORMED);
	}
	/* every fixture cut in half is malformed */
	static const char *fixtures[] = {
		"binance/position-risk-v3-oneway-long-btcusdt.json",
		"binance/open-algo-orders-doc.json",
		"binance/batch-orders-place-limit-response.json",
	};
	for (size_t i = 0; i < 3; i++) {
		size_t len;
		char *b = fx(fixtures[i], &len);
		struct rec_position *p = NULL;
		struct rec_order *o = NULL;
		size_t n;
		struct xch_err err = { 0 };
		CU_ASSERT_EQUAL(bn_parse_positions(b, len / 2, 0, &p, &n, &err), XCH_MALFORMED);
		CU_ASSERT_EQUAL(bn_parse_orders(b, len / 2, &o, &n, &err), XCH_MALFORMED);
		CU_ASSERT_EQUAL(bn_parse_algo_orders(b, len / 2, &o, &n, &err), XCH_MALFORMED);
		struct bn_event ev;
		CU_ASSERT_EQUAL(bn_parse_event(b, len / 2, 0, &ev), XCH_MALFORMED);
		free(b);
	}
	struct bn_event ev;
	const char *m = "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":1,\"o\":{\"s\":\"BTCUSDT\"}}";
	CU_ASSERT_EQUAL(bn_parse_event(m, strlen(m), 0, &ev), XCH_MALFORMED); /* no order id */
	m = "{\"e\":\"ACCOUNT_UPDATE\",\"E\":1,\"a\":{\"P\":[{\"s\":\"BTCUSDT\",\"pa\":{}}]}}";
	CU_ASSERT_EQUAL(bn_parse_event(m, strlen(m), 0, &ev), XCH_MALFORMED);
}

void test_xch_binance_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_bn_position_risk_v3_oneway_long", test_bn_position_risk_v3_oneway_long },
		{ "test_bn_account_v3_positions_parse", test_bn_account_v3_positions_parse },
		{ "test_bn_flat_and_short_rows_normalize", test_bn_flat_and_short_rows_normalize },
		{ "test_bn_open_order_limit_gtx_with_string_ids", test_bn_open_order_limit_gtx_with_string_ids },
		{ "test_bn_batch_orders_answer_parses_as_order_list",
		  test_bn_batch_orders_answer_parses_as_order_list },
		{ "test_bn_legacy_trailing_stop_order_is_conditional",
		  test_bn_legacy_trailing_stop_order_is_conditional },
		{ "test_bn_open_algo_orders_are_algo_conditionals", test_bn_open_algo_orders_are_algo_conditionals },
		{ "test_bn_algo_stop_market_close_position_is_stop_loss",
		  test_bn_algo_stop_market_close_position_is_stop_loss },
		{ "test_bn_algo_order_query_canceled", test_bn_algo_order_query_canceled },
		{ "test_bn_algo_new_and_cancel_answers_ack", test_bn_algo_new_and_cancel_answers_ack },
		{ "test_bn_server_time", test_bn_server_time },
		{ "test_bn_error_bodies_map_to_typed_results", test_bn_error_bodies_map_to_typed_results },
		{ "test_bn_code_table", test_bn_code_table },
		{ "test_bn_http_status_maps_before_code", test_bn_http_status_maps_before_code },
		{ "test_bn_stream_order_trade_update", test_bn_stream_order_trade_update },
		{ "test_bn_stream_account_update_hedge_rows", test_bn_stream_account_update_hedge_rows },
		{ "test_bn_stream_algo_update_canceled", test_bn_stream_algo_update_canceled },
		{ "test_bn_stream_listen_key_expired_with_string_time",
		  test_bn_stream_listen_key_expired_with_string_time },
		{ "test_bn_garbage_and_truncation_are_malformed", test_bn_garbage_and_truncation_are_malformed },
		{ NULL, NULL },
	};
	tu_add_suite("xch_binance", tests);
}
