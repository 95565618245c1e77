/* Stop-loss repair with the fake exchange: seeds 002 (KAVAUSDT) and 004
 * (BASUSDT), would-trigger in each mode, idempotence, verification. */
#include "tests/unit/test_repair_kit.h"

static void test_stop_placed_on_closing_side_and_verified_open(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	const struct fake_call *c = rk_last(k, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(c->trigger, 0.0294, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(c->qty, 308, 1e-12);
	CU_ASSERT_NSTRING_EQUAL(c->client_id, "vgl-s-", 6);
	const struct rec_result *r = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "SKLUSDT"), 1);
	CU_ASSERT_EQUAL(k->rep.nfind, 0);
	/* journal: intent then outcome, same action */
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_DONE);
	CU_ASSERT_STRING_EQUAL(j[0].client_id, c->client_id);
	CU_ASSERT_STRING_EQUAL(j[0].order_id, c->id);
	rk_free(k);
}

static void test_stop_short_position_gets_buy_stop_above(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 60010);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 60010);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	const struct fake_call *c = rk_last(k, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->side, REC_BUY);
	CU_ASSERT_DOUBLE_EQUAL(c->trigger, 61200, 1e-9);
	CU_ASSERT(rk_sides_all(k, "BTCUSDT", REC_BUY));
	rk_free(k);
}

static void test_stop_unknown_side_refuses_to_send(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 43, 0.25, 0.25);
	/* a step handed straight to the engine (manual command path) */
	struct rec_step s;
	memset(&s, 0, sizeof s);
	s.f = rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_UNKNOWN, 43, 0.25, 0.25);
	s.mode = REC_MODE_FULL;
	s.a.kind = REC_ACT_PLACE_STOP;
	snprintf(s.a.account, sizeof s.a.account, "main");
	snprintf(s.a.symbol, sizeof s.a.symbol, "AVLUSDT");
	s.a.position_side = REC_SIDE_UNKNOWN;
	s.pos_size = 43;
	snprintf(s.a.client_id, sizeof s.a.client_id, "vgl-s-000000000000-1");
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &s, &k->rep), REC_OUT_FAILED);
	s.a.kind = REC_ACT_CLOSE_POSITION;
	CU_ASSERT_EQUAL(rec_repair_close(&k->e, &s, &k->rep), REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_UNKNOWN_SIDE), 2);
	CU_ASSERT_EQUAL(k->rep.findings[0].severity, REC_SEV_CRITICAL);
	size_t n;
	rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL(n, 0); /* nothing was to be sent, nothing journaled */
	rk_free(k);
}

static void test_stop_aborted_when_stream_shows_zero_basusdt(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	/* REST (and the bot's DB) still say 1216; the fresh stream says 0 */
	fake_set_position(k->x, "BASUSDT", REC_SIDE_LONG, 1216, 0.05, 0.05);
	fake_stream_set(k->x, "BASUSDT", REC_SIDE_UNKNOWN, 0);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "BASUSDT", REC_SIDE_LONG, 1216, 0.05, 0.05);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	const struct rec_result *r = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_SKIPPED);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->detail, "stream shows BASUSDT flat"));
	rk_free(k);
}

static void test_stop_sized_from_stream_despite_rest_empty_kavausdt(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	fake_rest_hide_positions(k->x, 100); /* REST answers [] throughout */
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 60, 0.5, 0.5);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	const struct fake_call *c = rk_last(k, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_DOUBLE_EQUAL(c->qty, 62.9, 1e-9); /* the stream's size, not the plan's */
	CU_ASSERT_EQUAL(c->side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(c->trigger, 0.49, 1e-12);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_DONE);
	rk_free(k);
}

static void test_stop_existing_covering_stop_means_nothing_sent(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	struct rec_order o = { .symbol = "KAVAUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .close_position = true,
			       .trigger_price = 0.45,
			       .client_id = "bot-sl-1" };
	fake_add_order(k->x, &o);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_SKIPPED);
	/* a wrong-side stop does not count as protection */
	rk_free(k);
	k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	o.side = REC_BUY;
	fake_add_order(k->x, &o);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT(rk_sides_all(k, "KAVAUSDT", REC_SELL));
	rk_free(k);
}

/* 20 of 30 covered by the bot's stop: vigil tops up the 10 left, from the
 * fresh order list (the bot's stop grew to 25 since the audit: 5), and
 * never touches the bot's stop; a full-size stop would have made the
 * bot's a DUPLICATE_STOP */
static void test_stop_undersized_tops_up_only_the_uncovered_rest(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "ETHUSDT", REC_SIDE_SHORT, 30, 2000, 2000);
	struct rec_order o = { .symbol = "ETHUSDT",
			       .side = REC_BUY,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .reduce_only = true,
			       .qty = 25,
			       .trigger_price = 2100,
			       .client_id = "bot-sl-7" };
	fake_add_order(k->x, &o);
	struct rec_finding f = rk_find(REC_UNDERSIZED_STOP, "ETHUSDT", REC_SIDE_SHORT, 30, 2000, 2000);
	f.stop_qty = 20;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	const struct fake_call *c = rk_last(k, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->side, REC_BUY);
	CU_ASSERT_DOUBLE_EQUAL(c->qty, 5, 1e-12);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "ETHUSDT"), 2);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_DONE);
	rk_free(k);
}

static void test_stop_would_trigger_protect_raises_repair_failed_never_retries(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	/* mark fell below the 2% stop price: -2021 */
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.48);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.48);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	CU_ASSERT_EQUAL(k->rep.findings[0].severity, REC_SEV_CRITICAL);
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "KAVAUSDT", NULL), 62.9, 1e-9);
	/* next audit, same price: not sent again, alert again */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 2);
	rk_free(k);
}

static void test_stop_would_trigger_full_closes_reduce_only_at_market(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.48);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.48);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	const struct fake_call *c = rk_last(k, "close");
	CU_ASSERT_EQUAL(c->side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(c->qty, 62.9, 1e-9);
	CU_ASSERT(rk_sides_all(k, "KAVAUSDT", REC_SELL));
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "KAVAUSDT", NULL), 0, 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CLOSE_POSITION)->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 0);
	rk_free(k);
}

static void test_stop_scripted_would_trigger_on_bybit_style_error(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_SHORT, 43, 0.25, 0.25);
	fake_inject(k->x, "stop", XCH_WOULD_TRIGGER, 110093);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_SHORT, 43, 0.25, 0.25);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	rk_free(k);
}

/* A step as `vigil repair sl --price P` hands it to the engine. */
static struct rec_step manual_stop(const char *sym, enum rec_side side, double size, double entry, double mark,
				   double trigger)
{
	struct rec_step s;
	memset(&s, 0, sizeof s);
	s.f = rk_find(REC_UNPROTECTED_POSITION, sym, side, size, entry, mark);
	s.mode = REC_MODE_FULL;
	s.a.kind = REC_ACT_PLACE_STOP;
	snprintf(s.a.account, sizeof s.a.account, "main");
	snprintf(s.a.symbol, sizeof s.a.symbol, "%s", sym);
	s.a.position_side = side;
	s.a.close_position = true;
	s.a.trigger_price = trigger;
	s.trigger_given = true;
	s.pos_size = size;
	snprintf(s.a.client_id, sizeof s.a.client_id, "vgl-s-00000000abcd-1");
	return s;
}

static void test_stop_explicit_trigger_is_sent_rounded_to_tick(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	/* 2 % off the entry would be 58800: the operator's price wins */
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
	struct rec_step s = manual_stop("BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000, 55123.47);
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &s, &k->rep), REC_OUT_DONE);
	const struct fake_call *c = rk_last(k, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(c->trigger, 55123.4, 1e-9); /* a LONG's stop rounds down */
	/* a SHORT's rounds up, and the plan's own price is honoured too */
	struct rk *k2 = rk_new(REC_MODE_PROTECT);
	fake_set_position(k2->x, "BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 60000);
	s = manual_stop("BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 60000, 64000.01);
	s.trigger_given = false;
	s.mode = REC_MODE_PROTECT;
	CU_ASSERT_EQUAL(rec_repair_stop(&k2->e, &s, &k2->rep), REC_OUT_DONE);
	c = rk_last(k2, "stop");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->side, REC_BUY);
	CU_ASSERT_DOUBLE_EQUAL(c->trigger, 64000.1, 1e-9);
	rk_free(k2);
	rk_free(k);
}

static void test_stop_explicit_trigger_crossed_by_mark_is_not_sent(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 59000);
	/* a LONG's stop above the mark would fire at once */
	struct rec_step s = manual_stop("BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 59000, 59500);
	s.mode = REC_MODE_PROTECT;
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &s, &k->rep), REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	const struct rec_result *r = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->detail, "already crossed"));
	/* the same price again: not retried */
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &s, &k->rep), REC_OUT_SKIPPED);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	/* a SHORT's stop at or below the mark: refused the same way */
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 59000);
	s = manual_stop("BTCUSDT", REC_SIDE_SHORT, 0.5, 60000, 59000, 59000);
	s.mode = REC_MODE_PROTECT;
	snprintf(s.a.client_id, sizeof s.a.client_id, "vgl-s-00000000beef-1");
	CU_ASSERT_EQUAL(rec_repair_stop(&k->e, &s, &k->rep), REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	rk_free(k);
}

static void test_stop_not_listed_after_place_is_repair_failed(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_set_stop_lost(k->x, true);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	CU_ASSERT(k->fc.slept_ms <= 10000); /* within the budget */
	rk_free(k);
}

static void test_stop_visible_after_delay_is_verified_with_backoff(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_set_visibility_delay(k->x, 1200);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(k->fc.slept_ms, 500 + 750); /* 0.5 s, then 0.75 s */
	rk_free(k);
}

static void test_stop_open_orders_unavailable_sends_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_inject(k->x, "open_orders", XCH_SERVER, 503);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	rk_free(k);
}

static void test_stop_journal_failure_sends_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	rec_journal_mem_fail_next(k->j, 1);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	rk_free(k);
}

static void test_stop_lost_answer_found_by_client_id(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	/* the exchange took the stop, but the answer timed out: simulate by
	 * placing it under the engine's id, then failing the engine's call */
	struct rec_plan p;
	rec_plan_build(&k->pol, &f, 1, NULL, 0, RK_T0, &p);
	struct rec_order o = { .symbol = "SKLUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .qty = 308,
			       .trigger_price = 0.0294 };
	snprintf(o.client_id, sizeof o.client_id, "%s", p.steps[0].a.client_id);
	fake_inject(k->x, "stop", XCH_TIMEOUT, 0);
	/* the pre-check sees nothing; the stop call times out and the
	 * lookups by client id miss for the whole budget: UNKNOWN, never
	 * "refused" */
	CU_ASSERT_EQUAL(rec_engine_run(&k->e, &p, &k->rep), -1);
	const struct rec_result *r = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->detail, "outcome unknown — check order vgl-s-"));
	CU_ASSERT_PTR_NULL(strstr(r->detail, "refused"));
	CU_ASSERT_EQUAL(rk_findings(k, REC_OUTCOME_UNKNOWN), 1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 0);
	CU_ASSERT_TRUE(rec_engine_blocked(&k->e, "SKLUSDT"));
	/* the stop shows up later (the exchange had taken it) */
	fake_add_order(k->x, &o);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	/* next audit: the pre-check finds our own id under any attempt: no duplicate */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "SKLUSDT"), 1);
	rec_plan_free(&p);
	rk_free(k);
}

void test_repair_stop_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_stop_placed_on_closing_side_and_verified_open",
		  test_stop_placed_on_closing_side_and_verified_open },
		{ "test_stop_short_position_gets_buy_stop_above", test_stop_short_position_gets_buy_stop_above },
		{ "test_stop_unknown_side_refuses_to_send", test_stop_unknown_side_refuses_to_send },
		{ "test_stop_aborted_when_stream_shows_zero_basusdt",
		  test_stop_aborted_when_stream_shows_zero_basusdt },
		{ "test_stop_sized_from_stream_despite_rest_empty_kavausdt",
		  test_stop_sized_from_stream_despite_rest_empty_kavausdt },
		{ "test_stop_existing_covering_stop_means_nothing_sent",
		  test_stop_existing_covering_stop_means_nothing_sent },
		{ "test_stop_undersized_tops_up_only_the_uncovered_rest",
		  test_stop_undersized_tops_up_only_the_uncovered_rest },
		{ "test_stop_would_trigger_protect_raises_repair_failed_never_retries",
		  test_stop_would_trigger_protect_raises_repair_failed_never_retries },
		{ "test_stop_would_trigger_full_closes_reduce_only_at_market",
		  test_stop_would_trigger_full_closes_reduce_only_at_market },
		{ "test_stop_explicit_trigger_is_sent_rounded_to_tick",
		  test_stop_explicit_trigger_is_sent_rounded_to_tick },
		{ "test_stop_explicit_trigger_crossed_by_mark_is_not_sent",
		  test_stop_explicit_trigger_crossed_by_mark_is_not_sent },
		{ "test_stop_scripted_would_trigger_on_bybit_style_error",
		  test_stop_scripted_would_trigger_on_bybit_style_error },
		{ "test_stop_not_listed_after_place_is_repair_failed",
		  test_stop_not_listed_after_place_is_repair_failed },
		{ "test_stop_visible_after_delay_is_verified_with_backoff",
		  test_stop_visible_after_delay_is_verified_with_backoff },
		{ "test_stop_open_orders_unavailable_sends_nothing", test_stop_open_orders_unavailable_sends_nothing },
		{ "test_stop_journal_failure_sends_nothing", test_stop_journal_failure_sends_nothing },
		{ "test_stop_lost_answer_found_by_client_id", test_stop_lost_answer_found_by_client_id },
		{ NULL, NULL },
	};
	tu_add_suite("repair_stop", tests);
}
