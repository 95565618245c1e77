/* Stream cache (rule 6): every symbol kept, newest wins, size 0 kept. */
#include "tests/unit/test_rec_kit.h"

static struct rec_stream_cache *cache(void)
{
	return xcalloc(1, sizeof(struct rec_stream_cache));
}

static void test_stream_keeps_unknown_symbols(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_position p = kit_pos("SKLUSDT", REC_SIDE_LONG, 308, 10);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	p = kit_pos("NEWCOINUSDT", REC_SIDE_SHORT, 5, 11);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->npos, 2);
	const struct rec_position *f = rec_stream_find_position(c, "NEWCOINUSDT", REC_PIDX_BOTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->side, REC_SIDE_SHORT);
	CU_ASSERT_TRUE(f->sources & REC_SRC_STREAM);
	CU_ASSERT_PTR_NULL(rec_stream_find_position(c, "NEWCOINUSDT", REC_PIDX_LONG));
	CU_ASSERT_PTR_NULL(rec_stream_find_position(c, "BTCUSDT", REC_PIDX_BOTH));
	free(c);
}

static void test_stream_older_event_never_overwrites(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_position p = kit_pos("BTCUSDT", REC_SIDE_LONG, 2, 200);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	p = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, 100); /* late, older */
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 1);
	CU_ASSERT_DOUBLE_EQUAL(rec_stream_find_position(c, "BTCUSDT", 0)->size, 2, 0);
	/* seq beats time (Bybit) */
	p = kit_pos("BTCUSDT", REC_SIDE_LONG, 3, 300);
	p.seq = 5;
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	p = kit_pos("BTCUSDT", REC_SIDE_LONG, 4, 400);
	p.seq = 4;
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 1);
	CU_ASSERT_DOUBLE_EQUAL(rec_stream_find_position(c, "BTCUSDT", 0)->size, 3, 0);
	free(c);
}

static void test_stream_zero_size_kept_as_flat(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_position p = kit_pos("BASUSDT", REC_SIDE_LONG, 1216, 1);
	rec_stream_apply_position(c, &p);
	p = kit_pos("BASUSDT", REC_SIDE_LONG, 0, 2);
	p.side = REC_SIDE_LONG; /* whatever the adapter left there */
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	const struct rec_position *f = rec_stream_find_position(c, "BASUSDT", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_DOUBLE_EQUAL(f->size, 0, 0);
	CU_ASSERT_EQUAL(f->side, REC_SIDE_UNKNOWN);
	CU_ASSERT_EQUAL(c->npos, 1);
	free(c);
}

static void test_stream_hedge_sides_are_separate(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_position p = kit_pos("ETHUSDT", REC_SIDE_LONG, 1, 1);
	p.pidx = REC_PIDX_LONG;
	rec_stream_apply_position(c, &p);
	p = kit_pos("ETHUSDT", REC_SIDE_SHORT, 2, 1);
	p.pidx = REC_PIDX_SHORT;
	rec_stream_apply_position(c, &p);
	CU_ASSERT_EQUAL(c->npos, 2);
	CU_ASSERT_DOUBLE_EQUAL(rec_stream_find_position(c, "ETHUSDT", REC_PIDX_SHORT)->size, 2, 0);
	free(c);
}

static void test_stream_full_reuses_flat_entries_only(void)
{
	struct rec_stream_cache *c = cache();
	char sym[REC_SYM_MAX];
	for (int i = 0; i < REC_STREAM_MAX_POS; i++) {
		snprintf(sym, sizeof sym, "S%dUSDT", i);
		struct rec_position p = kit_pos(sym, REC_SIDE_LONG, 1, 10 + i);
		CU_ASSERT_EQUAL_FATAL(rec_stream_apply_position(c, &p), 0);
	}
	struct rec_position p = kit_pos("XUSDT", REC_SIDE_LONG, 1, 5000);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), -1); /* never drop an open one */
	p = kit_pos("S7USDT", REC_SIDE_LONG, 0, 6000);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	p = kit_pos("XUSDT", REC_SIDE_LONG, 1, 7000);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_PTR_NOT_NULL(rec_stream_find_position(c, "XUSDT", 0));
	CU_ASSERT_PTR_NULL(rec_stream_find_position(c, "S7USDT", 0));
	free(c);
}

static void test_stream_order_latest_state_wins(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_order o;
	memset(&o, 0, sizeof o);
	snprintf(o.id, sizeof o.id, "77");
	snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
	o.side = REC_SELL;
	o.status = REC_OST_NEW;
	o.update_ms = 100;
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	o.status = REC_OST_CANCELED;
	o.update_ms = 200;
	o.side = REC_OSIDE_UNKNOWN; /* sparse update: side kept */
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	o.status = REC_OST_NEW;
	o.update_ms = 150;
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 1);
	const struct rec_order *f = rec_stream_find_order(c, "77", false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->status, REC_OST_CANCELED);
	CU_ASSERT_EQUAL(f->side, REC_SELL);
	CU_ASSERT_PTR_NULL(rec_stream_find_order(c, "77", true)); /* algo ids are another space */
	/* a late NEW with the same time does not resurrect it */
	o.update_ms = 200;
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 1);
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, NULL), -1);
	free(c);
}

/* Under churn the order list must not grow toward its 2048 slots (every
 * new slot is a new page of RSS): a new order takes the slot of one that
 * finished more than 5 minutes before; recent and open ones are kept. */
static void test_stream_churn_reuses_long_finished_order_slots(void)
{
	struct rec_stream_cache *c = cache();
	struct rec_order o;
	memset(&o, 0, sizeof o);
	snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
	o.side = REC_SELL;
	const int64_t t0 = 1000000;
	for (int i = 0; i < REC_STREAM_REUSE_FROM; i++) {
		snprintf(o.id, sizeof o.id, "old-%d", i);
		o.status = i == 0 ? REC_OST_NEW : REC_OST_CANCELED; /* old-0 is still open */
		o.update_ms = t0 + i;
		CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	}
	size_t n = c->nord;
	/* one minute later: nothing is old enough, the list grows */
	snprintf(o.id, sizeof o.id, "new-1");
	o.status = REC_OST_NEW;
	o.update_ms = t0 + 60000;
	CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	CU_ASSERT_EQUAL(c->nord, n + 1);
	/* six minutes later: the oldest finished slot (old-1) is taken; the
	 * open old-0 and the recent new-1 stay */
	for (int k = 0; k < 50; k++) {
		snprintf(o.id, sizeof o.id, "churn-%d", k);
		o.update_ms = t0 + 360000 + k;
		CU_ASSERT_EQUAL(rec_stream_apply_order(c, &o), 0);
	}
	CU_ASSERT_EQUAL(c->nord, n + 1);
	CU_ASSERT_PTR_NULL(rec_stream_find_order(c, "old-1", false));
	CU_ASSERT_PTR_NOT_NULL(rec_stream_find_order(c, "old-0", false));
	CU_ASSERT_PTR_NOT_NULL(rec_stream_find_order(c, "new-1", false));
	CU_ASSERT_PTR_NOT_NULL(rec_stream_find_order(c, "churn-49", false));
	free(c);
}

void test_rec_stream_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_stream_keeps_unknown_symbols", test_stream_keeps_unknown_symbols },
		{ "test_stream_older_event_never_overwrites", test_stream_older_event_never_overwrites },
		{ "test_stream_zero_size_kept_as_flat", test_stream_zero_size_kept_as_flat },
		{ "test_stream_hedge_sides_are_separate", test_stream_hedge_sides_are_separate },
		{ "test_stream_full_reuses_flat_entries_only", test_stream_full_reuses_flat_entries_only },
		{ "test_stream_order_latest_state_wins", test_stream_order_latest_state_wins },
		{ "test_stream_churn_reuses_long_finished_order_slots",
		  test_stream_churn_reuses_long_finished_order_slots },
		{ NULL, NULL },
	};
	tu_add_suite("rec_stream", tests);
}
