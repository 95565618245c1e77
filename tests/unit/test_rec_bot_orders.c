/* The reviewer's cases (issues 14 and 19) through classification: what
 * protects a position, and that the bot's own orders (take-profits,
 * entries, breakout stops) are never vigil's. */
#include "tests/unit/test_rec_kit.h"

#define T 6000000LL
#define LATER (T + 40000)

/* A Bybit conditional order on the closing side, with the direction the
 * exchange states (1 rise, 2 fall), reduce-only. */
static struct rec_order *bb_cond(struct kit *k, const char *sym, enum rec_oside side, double qty, double trig,
				 enum rec_trig_dir dir)
{
	struct rec_order *o = kit_order(k, sym, side, qty);
	snprintf(o->type, sizeof o->type, "Stop");
	o->conditional = true;
	o->kind = REC_OK_CONDITIONAL;
	o->reduce_only = true;
	o->trigger_price = trig;
	o->trigger_dir = dir;
	return o;
}

static void run_twice(struct kit *k)
{
	kit_run(k, T);
	kit_run(k, LATER);
}

/* AVLUSDT long 86 at mark 0.25, only a reduce-only Sell conditional at 0.30
 * that fires on a rise: a take-profit. The position is unprotected. */
static void test_bybit_take_profit_is_not_a_stop_loss(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	struct rec_position p = kit_pos("AVLUSDT", REC_SIDE_LONG, 86, T);
	p.mark_price = 0.25;
	p.entry_price = 0.25;
	k->rest[k->nrest++] = p;
	kit_bot(k, "AVLUSDT", REC_SIDE_LONG, 86, "active");
	bb_cond(k, "AVLUSDT", REC_SELL, 86, 0.30, REC_TRIG_RISE);
	run_twice(k);
	const struct rec_finding *f = kit_find(k, REC_UNPROTECTED_POSITION, "AVLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->detail, "take-profit"));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_DUPLICATE_STOP, NULL));
	kit_free(k);
}

/* Beside a real stop, the take-profit is not a duplicate to cancel. */
static void test_bybit_take_profit_beside_stop_is_no_duplicate(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	struct rec_position p = kit_pos("AVLUSDT", REC_SIDE_LONG, 86, T);
	p.mark_price = 0.25;
	k->rest[k->nrest++] = p;
	kit_bot(k, "AVLUSDT", REC_SIDE_LONG, 86, "active");
	bb_cond(k, "AVLUSDT", REC_SELL, 86, 0.30, REC_TRIG_RISE);
	bb_cond(k, "AVLUSDT", REC_SELL, 86, 0.20, REC_TRIG_FALL);
	run_twice(k);
	CU_ASSERT_EQUAL(k->nf, 0);
	kit_free(k);
}

/* Binance trailing stop whose activation price the mark has not reached
 * tracks nothing; beside a stop it is never the redundant one. */
static void test_unactivated_trailing_stop_does_not_protect(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->rest[k->nrest++] = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, T);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 1, "active");
	struct rec_order *t = kit_stop(k, "BTCUSDT", REC_SELL, 0);
	t->kind = REC_OK_TRAILING;
	t->close_position = false;
	t->qty = 1;
	t->trigger_price = 0;
	t->activate_price = 1.2; /* mark 1.01 */
	run_twice(k);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	/* once activated it protects; with a plain stop beside it, the plain
	 * stop may be the redundant one, never the trailing stop */
	t->activated = REC_TRI_YES;
	kit_stop(k, "BTCUSDT", REC_SELL, 1);
	kit_run(k, LATER + 1000);
	kit_run(k, LATER + 80000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	const struct rec_finding *d = kit_find(k, REC_DUPLICATE_STOP, "BTCUSDT");
	if (d)
		CU_ASSERT_STRING_NOT_EQUAL(d->order_id, t->id);
	kit_free(k);
}

/* One-way: a stop that is not reduce-only / close-position can reverse
 * the position: no protection. */
static void test_non_reducing_stop_leaves_position_unprotected(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->rest[k->nrest++] = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, T);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 1, "active");
	struct rec_order *o = kit_stop(k, "BTCUSDT", REC_SELL, 1);
	o->reduce_only = false;
	run_twice(k);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	kit_free(k);
}

/* A LONG protected by its SELL stop plus the bot's pyramiding entry
 * BUY STOP_MARKET 0.02 (not reduce-only): nothing to report. */
static void test_entry_stop_beside_long_is_the_bots(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->rest[k->nrest++] = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, T);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 1, "active");
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	struct rec_order *e = kit_stop(k, "BTCUSDT", REC_BUY, 0.02);
	e->reduce_only = false;
	run_twice(k);
	kit_run(k, LATER + 100000);
	CU_ASSERT_EQUAL(k->nf, 0);
	kit_free(k);
}

/* A breakout entry BUY STOP_MARKET 0.02 on a flat symbol is no orphan. */
static void test_breakout_entry_on_flat_symbol_is_no_orphan(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	struct rec_order *e = kit_stop(k, "ETHUSDT", REC_BUY, 0.02);
	e->reduce_only = false;
	run_twice(k);
	kit_run(k, LATER + 100000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_ORDER, NULL));
	/* the same order reduce-only is an exit without a position */
	e->reduce_only = true;
	kit_run(k, LATER + 110000);
	kit_run(k, LATER + 200000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_ORDER, "ETHUSDT"));
	kit_free(k);
}

/* Binance hedge mode: BUY STOP_MARKET qty 0.03 positionSide=SHORT (no
 * reduceOnly, which hedge mode forbids) protects the short leg. */
static void test_hedge_quantity_stop_protects_its_leg(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->p.hedge_mode = true;
	struct rec_position p = kit_pos("BTCUSDT", REC_SIDE_SHORT, 0.03, T);
	p.pidx = REC_PIDX_SHORT;
	k->rest[k->nrest++] = p;
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 0.03, "active");
	struct rec_order *o = kit_stop(k, "BTCUSDT", REC_BUY, 0.03);
	o->reduce_only = false;
	o->pidx = REC_PIDX_SHORT;
	run_twice(k);
	if (k->nf)
		kit_dump(k);
	CU_ASSERT_EQUAL(k->nf, 0);
	/* 0.02 of 0.03: undersized, the usual coverage rule */
	o->qty = 0.02;
	kit_run(k, LATER + 1000);
	kit_run(k, LATER + 80000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNDERSIZED_STOP, "BTCUSDT"));
	kit_free(k);
}

/* Hedge: a BUY stop on the SHORT leg with only a LONG leg open is an
 * orphan of the SHORT leg, keyed by (symbol, pidx). */
static void test_hedge_orphan_order_is_keyed_by_leg(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->p.hedge_mode = true;
	struct rec_position p = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, T);
	p.pidx = REC_PIDX_LONG;
	k->rest[k->nrest++] = p;
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 1, "active");
	struct rec_order *sl = kit_stop(k, "BTCUSDT", REC_SELL, 1);
	sl->reduce_only = false;
	sl->pidx = REC_PIDX_LONG;
	struct rec_order *o = kit_stop(k, "BTCUSDT", REC_BUY, 1);
	o->reduce_only = false;
	o->pidx = REC_PIDX_SHORT;
	run_twice(k);
	const struct rec_finding *f = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->pidx, REC_PIDX_SHORT);
	CU_ASSERT_STRING_EQUAL(f->order_id, o->id);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, NULL));
	kit_free(k);
}

/* After a flip (LONG -> SHORT) the old SELL stop is a wrong-side stop
 * only after grace: the bot may be moving it. */
static void test_wrong_side_stop_waits_grace(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->rest[k->nrest++] = kit_pos("BTCUSDT", REC_SIDE_SHORT, 1, T);
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 1, "active");
	kit_stop(k, "BTCUSDT", REC_BUY, 0);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_WRONG_SIDE_STOP, NULL));
	kit_run(k, T + 10000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_WRONG_SIDE_STOP, NULL));
	kit_run(k, LATER);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_WRONG_SIDE_STOP, "BTCUSDT"));
	kit_free(k);
}

/* The configured mode differs from what the exchange shows: CONFIG_DRIFT,
 * critical, not repairable; whichever way round. */
static void test_position_mode_drift_is_a_finding(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	struct rec_position p = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, T);
	p.pidx = REC_PIDX_LONG; /* a hedge leg, config says one-way */
	k->rest[k->nrest++] = p;
	kit_run(k, T);
	const struct rec_finding *f = kit_find(k, REC_CONFIG_DRIFT, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->severity, REC_SEV_CRITICAL);
	CU_ASSERT_FALSE(f->repairable);
	k->p.hedge_mode = true;
	kit_run(k, T + 1000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_CONFIG_DRIFT, NULL));
	/* the exchange's own answer wins over the rows */
	k->s.pos_mode = REC_MODE_ONEWAY;
	kit_run(k, T + 2000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_CONFIG_DRIFT, ""));
	kit_free(k);
}

void test_rec_bot_orders_register(void)
{
	CU_pSuite s = CU_add_suite("rec_bot_orders", NULL, NULL);
	CU_add_test(s, "test_bybit_take_profit_is_not_a_stop_loss", test_bybit_take_profit_is_not_a_stop_loss);
	CU_add_test(s, "test_bybit_take_profit_beside_stop_is_no_duplicate",
		    test_bybit_take_profit_beside_stop_is_no_duplicate);
	CU_add_test(s, "test_unactivated_trailing_stop_does_not_protect",
		    test_unactivated_trailing_stop_does_not_protect);
	CU_add_test(s, "test_non_reducing_stop_leaves_position_unprotected",
		    test_non_reducing_stop_leaves_position_unprotected);
	CU_add_test(s, "test_entry_stop_beside_long_is_the_bots", test_entry_stop_beside_long_is_the_bots);
	CU_add_test(s, "test_breakout_entry_on_flat_symbol_is_no_orphan",
		    test_breakout_entry_on_flat_symbol_is_no_orphan);
	CU_add_test(s, "test_hedge_quantity_stop_protects_its_leg", test_hedge_quantity_stop_protects_its_leg);
	CU_add_test(s, "test_hedge_orphan_order_is_keyed_by_leg", test_hedge_orphan_order_is_keyed_by_leg);
	CU_add_test(s, "test_wrong_side_stop_waits_grace", test_wrong_side_stop_waits_grace);
	CU_add_test(s, "test_position_mode_drift_is_a_finding", test_position_mode_drift_is_a_finding);
}
