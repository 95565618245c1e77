/* Every action re-confirms its premise just before it is sent (issue 14):
 * from a fresh stream entry or REST answer and fresh open orders, judged
 * by the same protection rule the audit uses. A premise that no longer
 * holds sends nothing and is journaled (SKIPPED) and reported. */
#include "tests/unit/test_repair_kit.h"

static struct rec_order stop_order(const char *sym, enum rec_oside side, double qty, double trig)
{
	struct rec_order o;
	memset(&o, 0, sizeof o);
	snprintf(o.symbol, sizeof o.symbol, "%s", sym);
	snprintf(o.type, sizeof o.type, "STOP_MARKET");
	o.side = side;
	o.kind = REC_OK_STOP_LOSS;
	o.conditional = true;
	o.is_algo = true;
	o.reduce_only = true;
	o.qty = qty;
	o.trigger_price = trig;
	o.trigger_dir = side == REC_SELL ? REC_TRIG_FALL : REC_TRIG_RISE;
	return o;
}

/* The journal holds a SKIPPED record for the action kind, with why. */
static bool journaled_skip(struct rk *k, enum rec_action_kind kind, const char *why)
{
	size_t n;
	const struct rec_action *a = rec_journal_mem_all(k->j, &n);
	for (size_t i = 0; i < n; i++)
		if (a[i].kind == kind && a[i].outcome == REC_OUT_SKIPPED && strstr(a[i].outcome_detail, why))
			return true;
	return false;
}

/* LONG 86 flipped to SHORT 86 and the bot placed a BUY stop for the short;
 * a WRONG_SIDE_STOP finding from before the flip must not cancel the
 * short's only stop. */
static void test_wrong_side_cancel_rechecks_the_position(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_SHORT, 86, 0.25, 0.25);
	fake_stream_set(k->x, "AVLUSDT", REC_SIDE_SHORT, 86);
	struct rec_order o = stop_order("AVLUSDT", REC_BUY, 86, 0.30);
	fake_add_order(k->x, &o);
	struct rec_finding f = rk_find(REC_WRONG_SIDE_STOP, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "AVLUSDT"), 1);
	const struct rec_result *r = rk_result(k, REC_ACT_CANCEL_ORDER);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_SKIPPED);
	CU_ASSERT_PTR_NOT_NULL(strstr(r->detail, "premise no longer holds"));
	CU_ASSERT_TRUE(journaled_skip(k, REC_ACT_CANCEL_ORDER, "SHORT"));
	rk_free(k);
}

/* The wrong-side stop is still wrong-side on a still-LONG position: cancelled. */
static void test_wrong_side_cancel_when_premise_holds(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_order o = stop_order("AVLUSDT", REC_BUY, 86, 0.30);
	fake_add_order(k->x, &o);
	struct rec_finding f = rk_find(REC_WRONG_SIDE_STOP, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", "AVLUSDT"), 1);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CANCEL_ORDER)->a.outcome, REC_OUT_DONE);
	rk_free(k);
}

/* A "duplicate" whose only companion is the bot's take-profit is the
 * position's only stop: kept. */
static void test_duplicate_cancel_needs_another_full_stop(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 1, 60000, 60000);
	struct rec_order sl = stop_order("BTCUSDT", REC_SELL, 1, 58000);
	fake_add_order(k->x, &sl);
	struct rec_order tp = stop_order("BTCUSDT", REC_SELL, 1, 62000);
	tp.kind = REC_OK_TAKE_PROFIT;
	snprintf(tp.type, sizeof tp.type, "TAKE_PROFIT_MARKET");
	tp.trigger_dir = REC_TRIG_RISE;
	fake_add_order(k->x, &tp);
	struct rec_finding f = rk_find(REC_DUPLICATE_STOP, "BTCUSDT", REC_SIDE_LONG, 1, 60000, 60000);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "BTCUSDT"), 2);
	/* the take-profit itself is never cancelled as a duplicate */
	snprintf(f.order_id, sizeof f.order_id, "F2");
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	/* with a second full stop beside it, the named one goes */
	struct rec_order sl2 = stop_order("BTCUSDT", REC_SELL, 0, 57000);
	sl2.close_position = true;
	fake_add_order(k->x, &sl2);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", "BTCUSDT"), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "BTCUSDT"), 2);
	rk_free(k);
}

/* An ORPHAN_ORDER finding about an order that can open a position (the
 * bot's breakout entry) never cancels it. */
static void test_orphan_cancel_never_touches_an_entry(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	struct rec_order e = stop_order("BTCUSDT", REC_BUY, 0.02, 61000);
	e.reduce_only = false;
	fake_add_order(k->x, &e);
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BTCUSDT", REC_SIDE_UNKNOWN, 0, 0, 60000);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	CU_ASSERT_TRUE(journaled_skip(k, REC_ACT_CANCEL_ORDER, "entry"));
	rk_free(k);
}

/* An orphan exit whose leg has a position again is kept. */
static void test_orphan_cancel_kept_when_position_reappears_on_rest(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 1, 60000, 60000);
	struct rec_order o = stop_order("BTCUSDT", REC_SELL, 1, 58000);
	fake_add_order(k->x, &o);
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BTCUSDT", REC_SIDE_UNKNOWN, 0, 0, 60000);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0);
	rk_free(k);
}

/* A stop that could reverse the position (not reduce-only in one-way
 * mode) or is stuck TRIGGERING is no protection: the engine places one
 * instead of answering "already protected" forever. */
static void test_stop_placed_beside_non_reducing_or_stuck_stop(void)
{
	for (int stuck = 0; stuck < 2; stuck++) {
		struct rk *k = rk_new(REC_MODE_PROTECT);
		fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
		struct rec_order o = stop_order("BTCUSDT", REC_SELL, 0.5, 58000);
		if (stuck)
			o.status = REC_OST_TRIGGERING;
		else
			o.reduce_only = false;
		fake_add_order(k->x, &o);
		struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
		CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
		CU_ASSERT_EQUAL(rk_calls(k, "stop", "BTCUSDT"), 1);
		CU_ASSERT_TRUE(rk_sides_all(k, "BTCUSDT", REC_SELL));
		CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_DONE);
		rk_free(k);
	}
}

/* A take-profit on the closing side is no protection either. */
static void test_stop_placed_beside_take_profit(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_order tp = stop_order("AVLUSDT", REC_SELL, 86, 0.30);
	tp.kind = REC_OK_CONDITIONAL; /* Bybit "Stop" firing on a rise */
	tp.trigger_dir = REC_TRIG_RISE;
	tp.is_algo = false;
	fake_add_order(k->x, &tp);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", "AVLUSDT"), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "AVLUSDT"), 2);
	rk_free(k);
}

/* Without a stream, the stop's premise comes from a fresh REST answer:
 * a position closed since the audit gets no stop. */
static void test_stop_premise_from_fresh_rest(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_stream_state(k->x, REC_SS_DOWN);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_TRUE(journaled_skip(k, REC_ACT_PLACE_STOP, "flat"));
	/* REST unavailable: nothing sent, reported */
	fake_inject(k->x, "positions", XCH_SERVER, 503);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_TRUE(rk_findings(k, REC_REPAIR_FAILED) >= 1);
	rk_free(k);
}

/* CONFIG_DRIFT among the findings: the plan sends nothing at all. */
static void test_config_drift_blocks_every_repair(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
	struct rec_finding f[2];
	f[0] = rk_find(REC_UNPROTECTED_POSITION, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000);
	f[1] = rk_find(REC_CONFIG_DRIFT, "", REC_SIDE_UNKNOWN, 0, 0, 0);
	f[1].repairable = false;
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	for (size_t i = 0; i < k->plan.n; i++)
		CU_ASSERT_EQUAL(k->plan.steps[i].a.kind, REC_ACT_ALERT_ONLY);
	rk_free(k);
}

void test_repair_premise_register(void)
{
	CU_pSuite s = CU_add_suite("repair_premise", NULL, NULL);
	CU_add_test(s, "test_wrong_side_cancel_rechecks_the_position", test_wrong_side_cancel_rechecks_the_position);
	CU_add_test(s, "test_wrong_side_cancel_when_premise_holds", test_wrong_side_cancel_when_premise_holds);
	CU_add_test(s, "test_duplicate_cancel_needs_another_full_stop", test_duplicate_cancel_needs_another_full_stop);
	CU_add_test(s, "test_orphan_cancel_never_touches_an_entry", test_orphan_cancel_never_touches_an_entry);
	CU_add_test(s, "test_orphan_cancel_kept_when_position_reappears_on_rest",
		    test_orphan_cancel_kept_when_position_reappears_on_rest);
	CU_add_test(s, "test_stop_placed_beside_non_reducing_or_stuck_stop",
		    test_stop_placed_beside_non_reducing_or_stuck_stop);
	CU_add_test(s, "test_stop_placed_beside_take_profit", test_stop_placed_beside_take_profit);
	CU_add_test(s, "test_stop_premise_from_fresh_rest", test_stop_premise_from_fresh_rest);
	CU_add_test(s, "test_config_drift_blocks_every_repair", test_config_drift_blocks_every_repair);
}
