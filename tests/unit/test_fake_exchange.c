/* The fake adapter behaves like an exchange where the engine's tests need
 * it to, and logs every call. */
#include "tests/unit/test_repair_kit.h"

static void test_fake_logs_every_call_and_answers_positions(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	struct rec_position *p = NULL;
	size_t n = 0;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->positions(k->x, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(p[0].symbol, "SKLUSDT");
	CU_ASSERT_EQUAL(p[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(p[0].size, 308, 1e-9);
	free(p);
	CU_ASSERT_EQUAL(rk_calls(k, "positions", NULL), 1);
	rk_free(k);
}

static void test_fake_error_queue_is_fifo_per_op(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_inject(k->x, "open_orders", XCH_SERVER, -1001);
	fake_inject(k->x, "positions", XCH_RATELIMIT, 429);
	fake_inject(k->x, "open_orders", XCH_TIMEOUT, 0);
	struct rec_order *o = NULL;
	size_t n = 0;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->open_orders(k->x, &o, &n, &err), XCH_SERVER);
	CU_ASSERT_EQUAL(err.code, -1001);
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_EQUAL(k->x->ops->open_orders(k->x, &o, &n, &err), XCH_TIMEOUT);
	CU_ASSERT_EQUAL(k->x->ops->open_orders(k->x, &o, &n, &err), XCH_OK);
	free(o);
	struct rec_position *p = NULL;
	CU_ASSERT_EQUAL(k->x->ops->positions(k->x, &p, &n, &err), XCH_RATELIMIT);
	free(p);
	rk_free(k);
}

static void test_fake_stop_crossed_by_mark_would_trigger(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.45);
	struct xch_stop_req rq = { .symbol = "KAVAUSDT",
				   .position_side = REC_SIDE_LONG,
				   .trigger_price = 0.49,
				   .qty = 62.9,
				   .client_id = "vgl-t-1" };
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->place_stop(k->x, &rq, &ack, &err), XCH_WOULD_TRIGGER);
	CU_ASSERT_EQUAL(err.code, -2021);
	rq.trigger_price = 0.44;
	CU_ASSERT_EQUAL(k->x->ops->place_stop(k->x, &rq, &ack, &err), XCH_OK);
	const struct rec_order *o = fake_find_order(k->x, ack.id, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->side, REC_SELL);
	CU_ASSERT_EQUAL(o->status, REC_OST_NEW);
	rk_free(k);
}

static void test_fake_close_rejected_while_reduce_only_rests(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_order tp = { .symbol = "AVLUSDT", .side = REC_SELL, .reduce_only = true, .qty = 86, .price = 0.3 };
	fake_add_order(k->x, &tp);
	struct xch_close_req rq = { .symbol = "AVLUSDT", .position_side = REC_SIDE_LONG, .qty = 86 };
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->close_position(k->x, &rq, &ack, &err), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(err.code, -4118);
	/* the wrong side is refused like a reduce-only order with nothing to reduce */
	rq.position_side = REC_SIDE_SHORT;
	CU_ASSERT_EQUAL(k->x->ops->close_position(k->x, &rq, &ack, &err), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(err.code, -2022);
	rk_free(k);
}

static void test_fake_minimal_ack_and_delayed_visibility(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 60000);
	fake_set_visibility_delay(k->x, 1000);
	struct xch_stop_req rq = {
		.symbol = "BTCUSDT", .position_side = REC_SIDE_SHORT, .trigger_price = 61200, .client_id = "vgl-t-2"
	};
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->place_stop(k->x, &rq, &ack, &err), XCH_OK);
	CU_ASSERT(ack.id[0] != '\0');
	struct rec_order o;
	CU_ASSERT_EQUAL(k->x->ops->get_order(k->x, "BTCUSDT", ack.id, "", false, &o, &err), XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "BTCUSDT"), 1);
	rec_sleep(&k->clk, 1000);
	CU_ASSERT_EQUAL(k->x->ops->get_order(k->x, "BTCUSDT", "", "vgl-t-2", false, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.side, REC_BUY);
	CU_ASSERT(o.close_position);
	rk_free(k);
}

static void test_fake_rest_hide_returns_empty_positions(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	fake_rest_hide_positions(k->x, 1);
	struct rec_position *p = NULL;
	size_t n = 9;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->positions(k->x, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(n, 0);
	free(p);
	CU_ASSERT_EQUAL(k->x->ops->positions(k->x, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(n, 1);
	free(p);
	rk_free(k);
}

static void test_fake_stream_view_can_disagree_with_rest(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "BASUSDT", REC_SIDE_LONG, 1216, 0.05, 0.05);
	fake_stream_set(k->x, "BASUSDT", REC_SIDE_LONG, 0);
	struct rec_position p;
	CU_ASSERT_EQUAL(rec_stream_position(&k->e.ctx, "BASUSDT", REC_PIDX_BOTH, &p), 1);
	CU_ASSERT_DOUBLE_EQUAL(p.size, 0, 1e-12);
	CU_ASSERT_EQUAL(rec_stream_position(&k->e.ctx, "BTCUSDT", REC_PIDX_BOTH, &p), 0);
	fake_stream_state(k->x, REC_SS_DOWN);
	CU_ASSERT_EQUAL(rec_stream_position(&k->e.ctx, "BASUSDT", REC_PIDX_BOTH, &p), -1);
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "BASUSDT", NULL), 1216, 1e-9);
	rk_free(k);
}

void test_fake_exchange_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_fake_logs_every_call_and_answers_positions", test_fake_logs_every_call_and_answers_positions },
		{ "test_fake_error_queue_is_fifo_per_op", test_fake_error_queue_is_fifo_per_op },
		{ "test_fake_stop_crossed_by_mark_would_trigger", test_fake_stop_crossed_by_mark_would_trigger },
		{ "test_fake_close_rejected_while_reduce_only_rests",
		  test_fake_close_rejected_while_reduce_only_rests },
		{ "test_fake_minimal_ack_and_delayed_visibility", test_fake_minimal_ack_and_delayed_visibility },
		{ "test_fake_rest_hide_returns_empty_positions", test_fake_rest_hide_returns_empty_positions },
		{ "test_fake_stream_view_can_disagree_with_rest", test_fake_stream_view_can_disagree_with_rest },
		{ NULL, NULL },
	};
	tu_add_suite("fake_exchange", tests);
}
