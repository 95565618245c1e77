/* The engine as a whole: modes, dry run, journal recovery after a crash,
 * cancels, and the multi-source verifier. */
#include "tests/unit/test_repair_kit.h"

static void test_engine_observe_mode_sends_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0),
	};
	snprintf(f[2].order_id, sizeof f[2].order_id, "A1");
	CU_ASSERT_EQUAL(rk_run(k, f, 3), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(k->rep.n, 3);
	for (size_t i = 0; i < k->rep.n; i++)
		CU_ASSERT_EQUAL(k->rep.res[i].a.outcome, REC_OUT_SKIPPED);
	size_t n;
	rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL(n, 0);
	rk_free(k);
}

static void test_engine_dry_run_sends_nothing_and_calls_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	k->e.dry_run = true;
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5),
	};
	size_t before;
	fake_calls(k->x, &before);
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	size_t after;
	fake_calls(k->x, &after);
	CU_ASSERT_EQUAL(after, before + 1); /* only rk_run's instruments read */
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	for (size_t i = 0; i < k->rep.n; i++) {
		CU_ASSERT_EQUAL(k->rep.res[i].a.outcome, REC_OUT_SKIPPED);
		CU_ASSERT_PTR_NOT_NULL(strstr(k->rep.res[i].detail, "dry run"));
	}
	char *t = rec_plan_format(&k->plan);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "CLOSE_POSITION"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "PLACE_STOP"));
	free(t);
	rk_free(k);
}

static void test_engine_dry_run_direct_step_calls_send_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	k->e.dry_run = true;
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_plan p;
	rec_plan_build(&k->pol, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(rec_repair_close(&k->e, &p.steps[0], &k->rep), REC_OUT_SKIPPED);
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &p.steps[0], &k->rep), REC_OUT_SKIPPED);
	CU_ASSERT_EQUAL(rec_repair_cancel(&k->e, &p.steps[0], &k->rep), REC_OUT_SKIPPED);
	size_t n;
	fake_calls(k->x, &n);
	CU_ASSERT_EQUAL(n, 0);
	rec_plan_free(&p);
	rk_free(k);
}

static void test_engine_mode_recheck_refuses_close_outside_full(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_plan p;
	rec_plan_build(&k->pol, &f, 1, NULL, 0, RK_T0, &p);
	p.steps[0].mode = REC_MODE_PROTECT; /* a tampered / stale plan */
	CU_ASSERT_EQUAL(rec_engine_run(&k->e, &p, &k->rep), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	rec_plan_free(&p);
	rk_free(k);
}

/* The crashed process: intent journaled, stop sent, outcome never written. */
static void crash_after_send(struct rk *k, const struct rec_finding *f, bool reached)
{
	struct rec_plan p;
	rec_plan_build(&k->pol, f, 1, NULL, 0, RK_T0, &p);
	struct rec_action a = p.steps[0].a;
	CU_ASSERT_EQUAL_FATAL(k->j->ops->intent(k->j, &a), 0);
	if (reached) {
		struct xch_stop_req rq = { .position_side = a.position_side,
					   .trigger_price = a.trigger_price,
					   .qty = a.qty };
		snprintf(rq.symbol, sizeof rq.symbol, "%s", a.symbol);
		snprintf(rq.client_id, sizeof rq.client_id, "%s", a.client_id);
		struct xch_ack ack;
		struct xch_err err;
		CU_ASSERT_EQUAL(k->x->ops->place_stop(k->x, &rq, &ack, &err), XCH_OK);
	}
	rec_plan_free(&p);
}

static void test_engine_crash_between_intent_and_outcome_makes_no_duplicate(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	crash_after_send(k, &f, true);
	rk_restart(k);
	/* the same finding again after the restart */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1); /* only the crashed process's */
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_DONE); /* resolved from the exchange */
	CU_ASSERT(k->rep.n >= 1 && k->rep.res[0].recovered);
	/* recovery looked the order up before anything else was sent */
	size_t nc;
	const struct fake_call *c = fake_calls(k->x, &nc);
	bool looked = false;
	for (size_t i = 0; i < nc; i++)
		if (!strcmp(c[i].op, "get_order") && !strcmp(c[i].client_id, j[0].client_id))
			looked = true;
	CU_ASSERT(looked);
	rk_free(k);
}

static void test_engine_crash_before_send_places_exactly_once(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	crash_after_send(k, &f, false);
	rk_restart(k);
	/* right after the crash the order may just not be visible yet (REST
	 * lag, Bybit): the intent stays pending and nothing is sent */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 0);
	CU_ASSERT_FALSE(k->e.recovered);
	/* past the verification budget, unknown means never sent */
	k->fc.now += 11000;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_FAILED); /* never reached the exchange */
	CU_ASSERT_EQUAL(j[1].outcome, REC_OUT_DONE);
	CU_ASSERT_STRING_NOT_EQUAL(j[0].client_id, j[1].client_id);
	rk_free(k);
}

static void test_engine_unresolvable_intent_blocks_its_symbol(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	struct rec_finding f[] = {
		rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5),
		rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03),
	};
	crash_after_send(k, &f[0], false);
	rk_restart(k);
	fake_inject(k->x, "get_order", XCH_NETWORK, 0); /* recovery cannot tell */
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", "KAVAUSDT"), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", "SKLUSDT"), 1);
	CU_ASSERT_FALSE(k->e.recovered);
	/* next run (past the visibility window) the lookup works: resolved,
	 * then placed once */
	k->fc.now += 11000;
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", "KAVAUSDT"), 1);
	CU_ASSERT(k->e.recovered);
	rk_free(k);
}

static void test_engine_crash_during_close_is_resolved_as_filled(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_plan p;
	rec_plan_build(&k->pol, &f, 1, NULL, 0, RK_T0, &p);
	struct rec_action a = p.steps[0].a;
	k->j->ops->intent(k->j, &a);
	struct xch_close_req rq = { .position_side = REC_SIDE_LONG, .qty = 86 };
	snprintf(rq.symbol, sizeof rq.symbol, "AVLUSDT");
	snprintf(rq.client_id, sizeof rq.client_id, "%s", a.client_id);
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->close_position(k->x, &rq, &ack, &err), XCH_OK);
	rk_restart(k);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0); /* stale finding: position already flat */
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_DONE);
	rec_plan_free(&p);
	rk_free(k);
}

static void test_engine_cancels_orphan_stop_and_verifies_gone(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	struct rec_order o = { .symbol = "BASUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .is_algo = true,
			       .qty = 1216,
			       .trigger_price = 0.04,
			       .reduce_only = true,
			       .trigger_dir = REC_TRIG_FALL };
	int i = fake_add_order(k->x, &o);
	CU_ASSERT(i >= 0);
	const struct rec_order *fo = fake_find_order(k->x, "F1", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fo);
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0.05);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", "BASUSDT"), 1);
	CU_ASSERT_EQUAL(fo->status, REC_OST_CANCELED);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CANCEL_ORDER)->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL) + rk_calls(k, "close", NULL), 0);
	rk_free(k);
}

static void test_engine_keeps_orphan_stop_when_position_reopened(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	struct rec_order o = { .symbol = "BASUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .qty = 1000,
			       .trigger_price = 0.04 };
	fake_add_order(k->x, &o);
	fake_set_position(k->x, "BASUSDT", REC_SIDE_LONG, 1000, 0.05, 0.05);
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0.05);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CANCEL_ORDER)->a.outcome, REC_OUT_SKIPPED);
	rk_free(k);
}

static void test_engine_duplicate_stop_removed_only_if_another_remains(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	struct rec_order o = { .symbol = "KAVAUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .close_position = true,
			       .trigger_price = 0.45 };
	fake_add_order(k->x, &o); /* F1 */
	fake_add_order(k->x, &o); /* F2 */
	struct rec_finding f = rk_find(REC_DUPLICATE_STOP, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	snprintf(f.order_id, sizeof f.order_id, "F2");
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	/* the same finding again (stale): the last stop is kept */
	snprintf(f.order_id, sizeof f.order_id, "F1");
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 1);
	rk_free(k);
}

static void test_engine_avlusdt_full_closes_doubled_position_never_buys(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	fake_set_visibility_delay(k->x, 700); /* Bybit create answers only ids */
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
	};
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT(rk_sides_all(k, "AVLUSDT", REC_SELL));
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 0);
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "AVLUSDT", NULL), 0, 0);
	rk_free(k);
}

/* ---- verification ---- */

static void test_verify_backoff_is_half_second_times_one_point_five_capped(void)
{
	struct rec_verify_cfg c;
	rec_verify_cfg_default(&c);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 0), 500);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 1), 750);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 2), 1125);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 3), 1687);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 4), 2000);
	CU_ASSERT_EQUAL(rec_backoff_ms(&c, 9), 2000);
	CU_ASSERT_EQUAL(c.budget_ms, 10000);
}

static void test_verify_position_exists_stream_first(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	char d[256];
	CU_ASSERT_EQUAL(rec_verify_position_exists(&k->e.ctx, "SKLUSDT", REC_PIDX_BOTH, "X1", "", false, d, sizeof d),
			REC_V_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "stream"));
	CU_ASSERT_EQUAL(rk_calls(k, "get_order", NULL), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "positions", NULL), 0);
	rk_free(k);
}

static void test_verify_position_exists_avlusdt_rest_lag_no_false_failure(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	/* stream down, REST lags 4 s; the order status says filled */
	fake_stream_state(k->x, REC_SS_DOWN);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 43, 0.25, 0.25);
	fake_rest_hide_positions(k->x, 100);
	struct rec_order o = {
		.symbol = "AVLUSDT", .side = REC_BUY, .qty = 43, .filled = 43, .status = REC_OST_FILLED, .id = "B43"
	};
	fake_add_order(k->x, &o);
	char d[256];
	CU_ASSERT_EQUAL(rec_verify_position_exists(&k->e.ctx, "AVLUSDT", REC_PIDX_BOTH, "B43", "", false, d, sizeof d),
			REC_V_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "filled"));
	rk_free(k);
}

static void test_verify_order_closed_with_zero_filled_is_failure_not_timeout(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_stream_state(k->x, REC_SS_DOWN);
	struct rec_order o = {
		.symbol = "SKLUSDT", .side = REC_BUY, .qty = 308, .filled = 0, .status = REC_OST_CANCELED, .id = "C0"
	};
	fake_add_order(k->x, &o);
	char d[256];
	CU_ASSERT_EQUAL(rec_verify_position_exists(&k->e.ctx, "SKLUSDT", REC_PIDX_BOTH, "C0", "", false, d, sizeof d),
			REC_V_FAILED);
	CU_ASSERT_EQUAL(k->fc.slept_ms, 0);
	rk_free(k);
}

static void test_verify_position_exists_times_out_within_budget(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_stream_state(k->x, REC_SS_DOWN);
	char d[256];
	CU_ASSERT_EQUAL(rec_verify_position_exists(&k->e.ctx, "SKLUSDT", REC_PIDX_BOTH, "NOPE", "", false, d, sizeof d),
			REC_V_TIMEOUT);
	CU_ASSERT(k->fc.slept_ms <= 10000);
	CU_ASSERT(k->fc.slept_ms >= 8000);
	/* 0.5, 0.75, 1.125, 1.687, 2, 2 = 8.062 s; the next 2 s would pass 10 s */
	CU_ASSERT_EQUAL(k->fc.sleeps, 6);
	rk_free(k);
}

static void test_verify_position_appears_later_via_rest(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	fake_stream_state(k->x, REC_SS_DOWN);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 43, 0.25, 0.25);
	fake_rest_hide_positions(k->x, 3);
	char d[256];
	CU_ASSERT_EQUAL(rec_verify_position_exists(&k->e.ctx, "AVLUSDT", REC_PIDX_BOTH, "", "", false, d, sizeof d),
			REC_V_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(d, "REST"));
	CU_ASSERT_EQUAL(k->fc.sleeps, 3);
	rk_free(k);
}

static void test_order_complete_waits_until_visible_then_fails_in_budget(void)
{
	struct rk *k = rk_new(REC_MODE_OBSERVE);
	struct xch_ack ack = { .id = "NOPE" };
	struct rec_order o;
	struct xch_err err;
	CU_ASSERT_EQUAL(rec_order_complete(&k->e.ctx, "AVLUSDT", &ack, &o, &err), XCH_UNKNOWN_ORDER);
	CU_ASSERT(k->fc.slept_ms <= 10000);
	fake_inject(k->x, "get_order", XCH_AUTH, -2015);
	CU_ASSERT_EQUAL(rec_order_complete(&k->e.ctx, "AVLUSDT", &ack, &o, &err), XCH_AUTH);
	rk_free(k);
}

void test_repair_engine_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_engine_observe_mode_sends_nothing", test_engine_observe_mode_sends_nothing },
		{ "test_engine_dry_run_sends_nothing_and_calls_nothing",
		  test_engine_dry_run_sends_nothing_and_calls_nothing },
		{ "test_engine_dry_run_direct_step_calls_send_nothing",
		  test_engine_dry_run_direct_step_calls_send_nothing },
		{ "test_engine_mode_recheck_refuses_close_outside_full",
		  test_engine_mode_recheck_refuses_close_outside_full },
		{ "test_engine_crash_between_intent_and_outcome_makes_no_duplicate",
		  test_engine_crash_between_intent_and_outcome_makes_no_duplicate },
		{ "test_engine_crash_before_send_places_exactly_once",
		  test_engine_crash_before_send_places_exactly_once },
		{ "test_engine_unresolvable_intent_blocks_its_symbol",
		  test_engine_unresolvable_intent_blocks_its_symbol },
		{ "test_engine_crash_during_close_is_resolved_as_filled",
		  test_engine_crash_during_close_is_resolved_as_filled },
		{ "test_engine_cancels_orphan_stop_and_verifies_gone",
		  test_engine_cancels_orphan_stop_and_verifies_gone },
		{ "test_engine_keeps_orphan_stop_when_position_reopened",
		  test_engine_keeps_orphan_stop_when_position_reopened },
		{ "test_engine_duplicate_stop_removed_only_if_another_remains",
		  test_engine_duplicate_stop_removed_only_if_another_remains },
		{ "test_engine_avlusdt_full_closes_doubled_position_never_buys",
		  test_engine_avlusdt_full_closes_doubled_position_never_buys },
		{ "test_verify_backoff_is_half_second_times_one_point_five_capped",
		  test_verify_backoff_is_half_second_times_one_point_five_capped },
		{ "test_verify_position_exists_stream_first", test_verify_position_exists_stream_first },
		{ "test_verify_position_exists_avlusdt_rest_lag_no_false_failure",
		  test_verify_position_exists_avlusdt_rest_lag_no_false_failure },
		{ "test_verify_order_closed_with_zero_filled_is_failure_not_timeout",
		  test_verify_order_closed_with_zero_filled_is_failure_not_timeout },
		{ "test_verify_position_exists_times_out_within_budget",
		  test_verify_position_exists_times_out_within_budget },
		{ "test_verify_position_appears_later_via_rest", test_verify_position_appears_later_via_rest },
		{ "test_order_complete_waits_until_visible_then_fails_in_budget",
		  test_order_complete_waits_until_visible_then_fails_in_budget },
		{ NULL, NULL },
	};
	tu_add_suite("repair_engine", tests);
}
