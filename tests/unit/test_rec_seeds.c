/* The seed incidents as vigil sees them (docs/design-rules.md), one
 * named case each, timed as in the reports. Default params: grace 30 s,
 * REST lag tolerance 5 s. */
#include "tests/unit/test_rec_kit.h"

#define T0 1700000000000LL

/* SKLUSDT: the stream's fill update came 4 ms before the bot registered
 * the symbol; the bot closed the position 11.8 s later. */
static struct kit *skl_open(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	CU_ASSERT_EQUAL(kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T0 + 1), 0);
	return k;
}

static void test_skl_fill_before_bot_knows_symbol_is_kept(void)
{
	struct kit *k = skl_open();
	const struct rec_position *p = rec_stream_find_position(k->sc, "SKLUSDT", REC_PIDX_BOTH);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_DOUBLE_EQUAL(p->size, 308, 1e-9);
	CU_ASSERT_EQUAL(p->side, REC_SIDE_LONG);
	kit_free(k);
}

static void test_skl_nothing_during_grace(void)
{
	struct kit *k = skl_open();
	/* REST still lags, no bot row, no stop */
	CU_ASSERT_EQUAL(kit_run(k, T0 + 100), 0);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 4000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 11000), 0);
	kit_dump(k);
	kit_free(k);
}

static void test_skl_nothing_after_bot_close(void)
{
	struct kit *k = skl_open();
	kit_run(k, T0 + 100);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	kit_run(k, T0 + 4000);
	/* bot's market SELL at T+11.8 s */
	CU_ASSERT_EQUAL(kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 0, T0 + 11800), 0);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 12000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 45000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 120000), 0);
	kit_dump(k);
	kit_free(k);
}

static void test_skl_variant_orphan_and_unprotected_after_grace(void)
{
	struct kit *k = skl_open();
	kit_run(k, T0 + 100);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 29000), 0);
	kit_run(k, T0 + 31000);
	kit_dump(k);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_POSITION, "SKLUSDT");
	const struct rec_finding *u = kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(k->nf, 2);
	CU_ASSERT_EQUAL(o->severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(u->severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(u->pos_side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(u->pos_size, 308, 1e-9);
	CU_ASSERT_TRUE(o->repairable);
	CU_ASSERT_TRUE(u->repairable);
	CU_ASSERT_STRING_EQUAL(o->key, "main:binance:SKLUSDT:ORPHAN_POSITION");
	CU_ASSERT_EQUAL(o->first_seen_ms, T0 + 31000);
	kit_free(k);
}

/* AVLUSDT: REST still shows nothing 4 s after the stream's 43; the bot's
 * side-less rollback doubled the position to 86 Buy. */
static struct kit *avl_open(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	kit_stream(k, "AVLUSDT", REC_SIDE_LONG, 43, T0 + 36);
	kit_bot(k, "AVL/USDT:USDT", REC_SIDE_LONG, 43, "active");
	return k;
}

static void test_avl_rest_lag_only_glitch_while_it_lasts(void)
{
	struct kit *k = avl_open();
	CU_ASSERT_EQUAL(kit_run(k, T0 + 1000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 4200), 0); /* lag within tolerance */
	kit_run(k, T0 + 6500);
	kit_dump(k);
	CU_ASSERT_EQUAL(k->nf, 1);
	const struct rec_finding *g = kit_find(k, REC_REST_GLITCH, "AVLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->severity, REC_SEV_INFO);
	CU_ASSERT_FALSE(g->repairable);
	CU_ASSERT_TRUE(g->stream.present);
	CU_ASSERT_FALSE(g->rest.present);
	CU_ASSERT_DOUBLE_EQUAL(g->pos_size, 43, 1e-9);
	kit_free(k);
}

static void test_avl_doubled_position_orphan_unprotected_long(void)
{
	struct kit *k = avl_open();
	kit_run(k, T0 + 1000);
	kit_run(k, T0 + 6500);
	/* rollback Buy 43 -> 86; the bot marks its row closed */
	kit_stream(k, "AVLUSDT", REC_SIDE_LONG, 86, T0 + 10500);
	kit_bot_status(k, "AVL/USDT:USDT", "closed");
	kit_rest(k, "AVLUSDT", REC_SIDE_LONG, 86);
	kit_run(k, T0 + 12000);
	struct rec_finding *res;
	size_t nres;
	CU_ASSERT_EQUAL(rec_lifecycle(k->m, &res, &nres), 0);
	CU_ASSERT_EQUAL(nres, 1);
	if (nres)
		CU_ASSERT_EQUAL(res[0].code, REC_REST_GLITCH);
	free(res);
	kit_run(k, T0 + 31000);
	/* the orphan clock starts when the bot gave the row up (T+12 s) */
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, NULL));
	kit_run(k, T0 + 42500);
	kit_dump(k);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_POSITION, "AVLUSDT");
	const struct rec_finding *u = kit_find(k, REC_UNPROTECTED_POSITION, "AVLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(o->severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(u->severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(o->pos_side, REC_SIDE_LONG);
	CU_ASSERT_EQUAL(u->pos_side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(u->pos_size, 86, 1e-9);
	CU_ASSERT_TRUE(u->repairable);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_REST_GLITCH, NULL));
	kit_free(k);
}

static void test_avl_sideless_order_never_protects(void)
{
	struct kit *k = avl_open();
	kit_rest(k, "AVLUSDT", REC_SIDE_LONG, 43);
	struct rec_order *o = kit_stop(k, "AVLUSDT", REC_OSIDE_UNKNOWN, 43);
	kit_run(k, T0 + 1000);
	kit_run(k, T0 + 31000);
	kit_dump(k);
	const struct rec_finding *u = kit_find(k, REC_UNPROTECTED_POSITION, "AVLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_WRONG_SIDE_STOP, NULL));
	CU_ASSERT_EQUAL(u->pos_side, REC_SIDE_LONG);
	CU_ASSERT_PTR_NOT_NULL(strstr(u->detail, "unknown side"));
	/* once the order's side is known (fetched), it protects */
	o->side = REC_SELL;
	kit_run(k, T0 + 32000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, NULL));
	kit_free(k);
}

/* KAVAUSDT: REST positionRisk returned [] while the stream showed 62.9
 * long; the bot's stop was gone. */
static struct kit *kava_open(struct rec_order **stop)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_stream(k, "KAVAUSDT", REC_SIDE_LONG, 62.9, T0);
	kit_rest(k, "KAVAUSDT", REC_SIDE_LONG, 62.9);
	kit_bot(k, "KAVAUSDT", REC_SIDE_LONG, 62.9, "active");
	*stop = kit_stop(k, "KAVAUSDT", REC_SELL, 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 1000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 60000), 0);
	return k;
}

static void test_kava_empty_rest_is_glitch_then_unprotected(void)
{
	struct rec_order *stop;
	struct kit *k = kava_open(&stop);
	const int64_t t1 = T0 + 60100;
	kit_drop_orders(k);                        /* stop cancelled to move it */
	kit_rest(k, "KAVAUSDT", REC_SIDE_LONG, 0); /* REST answers [] */
	CU_ASSERT_EQUAL(kit_run(k, t1), 0);
	kit_run(k, t1 + 6000);
	kit_dump(k);
	CU_ASSERT_EQUAL(k->nf, 1);
	const struct rec_finding *g = kit_find(k, REC_REST_GLITCH, "KAVAUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(g->severity, REC_SEV_INFO);
	CU_ASSERT_FALSE(g->repairable);
	/* still missing past grace, REST still glitching: raised, not repairable */
	kit_run(k, t1 + 31000);
	kit_dump(k);
	const struct rec_finding *u = kit_find(k, REC_UNPROTECTED_POSITION, "KAVAUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(u->severity, REC_SEV_CRITICAL);
	CU_ASSERT_DOUBLE_EQUAL(u->pos_size, 62.9, 1e-9);
	CU_ASSERT_EQUAL(u->pos_side, REC_SIDE_LONG);
	CU_ASSERT_FALSE(u->repairable);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, NULL));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_PHANTOM_POSITION, NULL));
	/* REST answers again: repairable, sized from the exchange */
	kit_rest(k, "KAVAUSDT", REC_SIDE_LONG, 62.9);
	kit_run(k, t1 + 32000);
	u = kit_find(k, REC_UNPROTECTED_POSITION, "KAVAUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_TRUE(u->repairable);
	CU_ASSERT_DOUBLE_EQUAL(u->pos_size, 62.9, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(u->stream.size, 62.9, 1e-9);
	CU_ASSERT_EQUAL(u->first_seen_ms, t1 + 31000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_REST_GLITCH, NULL));
	kit_free(k);
}

static void test_kava_stop_replaced_within_grace_is_quiet(void)
{
	struct rec_order *stop;
	struct kit *k = kava_open(&stop);
	kit_drop_orders(k);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 60100), 0);
	kit_stop(k, "KAVAUSDT", REC_SELL, 62.9);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 61000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 120000), 0);
	kit_free(k);
}

/* BASUSDT: the stream said 0 while the DB still said active 1216. */
static struct kit *bas_open(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_stream(k, "BASUSDT", REC_SIDE_LONG, 1216, T0);
	kit_rest(k, "BASUSDT", REC_SIDE_LONG, 1216);
	kit_bot(k, "BASUSDT", REC_SIDE_LONG, 1216, "active");
	kit_stop(k, "BASUSDT", REC_SELL, 1216);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 1000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T0 + 60000), 0);
	/* 15:05:34: old stop cancelled, position closed, stream says 0 */
	kit_drop_orders(k);
	kit_stream(k, "BASUSDT", REC_SIDE_LONG, 0, T0 + 60500);
	kit_rest(k, "BASUSDT", REC_SIDE_LONG, 0);
	return k;
}

static void no_position_finding(const struct kit *k)
{
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, NULL));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, NULL));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_SIZE_MISMATCH, NULL));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNDERSIZED_STOP, NULL));
	for (size_t i = 0; i < k->nf; i++) {
		CU_ASSERT_DOUBLE_EQUAL(k->f[i].pos_size, 0, 0);
		CU_ASSERT_EQUAL(k->f[i].pos_side, REC_SIDE_UNKNOWN);
	}
}

static void test_bas_stream_zero_is_phantom_not_position(void)
{
	struct kit *k = bas_open();
	kit_run(k, T0 + 61000);
	no_position_finding(k);
	CU_ASSERT_EQUAL(k->nf, 0);
	kit_run(k, T0 + 92000);
	kit_dump(k);
	CU_ASSERT_EQUAL(k->nf, 1);
	const struct rec_finding *ph = kit_find(k, REC_PHANTOM_POSITION, "BASUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ph);
	CU_ASSERT_EQUAL(ph->severity, REC_SEV_WARNING);
	CU_ASSERT_FALSE(ph->repairable);
	CU_ASSERT_TRUE(ph->db.present);
	CU_ASSERT_DOUBLE_EQUAL(ph->db.size, 1216, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ph->stream.size, 0, 0);
	no_position_finding(k);
	kit_free(k);
}

static void test_bas_rest_still_listing_does_not_revive(void)
{
	struct kit *k = bas_open();
	kit_rest(k, "BASUSDT", REC_SIDE_LONG, 1216); /* REST lags the close */
	kit_run(k, T0 + 61000);
	kit_run(k, T0 + 92000);
	kit_dump(k);
	no_position_finding(k);
	for (size_t i = 0; i < k->nf; i++)
		CU_ASSERT_FALSE(k->f[i].repairable);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_REST_GLITCH, "BASUSDT"));
	kit_free(k);
}

static void test_bas_leftover_stop_is_orphan_order_after_grace(void)
{
	struct kit *k = bas_open();
	struct rec_order *o = kit_stop(k, "BASUSDT", REC_SELL, 1216); /* had it been accepted */
	char id[REC_ID_MAX];
	snprintf(id, sizeof id, "%s", o->id);
	kit_run(k, T0 + 61000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_ORDER, NULL));
	kit_run(k, T0 + 92000);
	kit_dump(k);
	const struct rec_finding *oo = kit_find(k, REC_ORPHAN_ORDER, "BASUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(oo);
	CU_ASSERT_STRING_EQUAL(oo->order_id, id);
	CU_ASSERT_TRUE(oo->order_is_algo);
	CU_ASSERT_TRUE(oo->repairable);
	CU_ASSERT_EQUAL(oo->severity, REC_SEV_WARNING);
	no_position_finding(k);
	kit_free(k);
}

void test_rec_seeds_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_skl_fill_before_bot_knows_symbol_is_kept", test_skl_fill_before_bot_knows_symbol_is_kept },
		{ "test_skl_nothing_during_grace", test_skl_nothing_during_grace },
		{ "test_skl_nothing_after_bot_close", test_skl_nothing_after_bot_close },
		{ "test_skl_variant_orphan_and_unprotected_after_grace",
		  test_skl_variant_orphan_and_unprotected_after_grace },
		{ "test_avl_rest_lag_only_glitch_while_it_lasts", test_avl_rest_lag_only_glitch_while_it_lasts },
		{ "test_avl_doubled_position_orphan_unprotected_long",
		  test_avl_doubled_position_orphan_unprotected_long },
		{ "test_avl_sideless_order_never_protects", test_avl_sideless_order_never_protects },
		{ "test_kava_empty_rest_is_glitch_then_unprotected", test_kava_empty_rest_is_glitch_then_unprotected },
		{ "test_kava_stop_replaced_within_grace_is_quiet", test_kava_stop_replaced_within_grace_is_quiet },
		{ "test_bas_stream_zero_is_phantom_not_position", test_bas_stream_zero_is_phantom_not_position },
		{ "test_bas_rest_still_listing_does_not_revive", test_bas_rest_still_listing_does_not_revive },
		{ "test_bas_leftover_stop_is_orphan_order_after_grace",
		  test_bas_leftover_stop_is_orphan_order_after_grace },
		{ NULL, NULL },
	};
	tu_add_suite("rec_seeds", tests);
}
