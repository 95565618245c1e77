/* vigil-sim account model: fills at mark, limits filling when the mark
 * reaches them, reduce-only rules, stops triggering and closing, hedge
 * mode, Bybit TP/SL cleanup, faults scoped by count and endpoint. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"

static struct sim_world *w;

static int run(const char *js)
{
	struct json_object *s = json_tokener_parse(js), *ans = json_object_new_object();
	int rc = sim_step_run(w, s, ans);

	json_object_put(s);
	json_object_put(ans);
	return rc;
}

static void setup(int hedge)
{
	w = sim_world_new(11);
	sim_world_defaults(w, 1);
	sim_account_add(w, SIM_BINANCE, "bn", "bs", 1000, hedge);
	sim_account_add(w, SIM_BYBIT, "by", "ys", 1000, hedge);
}

static double amt(const char *key, const char *sym, int ps)
{
	return sim_pos(sim_account_find(w, key), sim_symbol_find(w, sym), ps)->amt;
}

static int open_cond(const char *key)
{
	struct sim_account *a = sim_account_find(w, key);
	int n = 0;

	for (size_t i = 0; i < a->norders; i++)
		n += a->orders[i]->open && a->orders[i]->cond;
	return n;
}

static void test_sim_engine_close_position_stop_closes_whatever_is_open(void)
{
	setup(0);
	CU_ASSERT_EQUAL(run("{\"account\":\"bn\",\"op\":\"open\",\"symbol\":\"SKLUSDT\",\"side\":\"BUY\",\"qty\":308}"),
			0);
	CU_ASSERT_EQUAL(run("{\"account\":\"bn\",\"op\":\"stop\",\"symbol\":\"SKLUSDT\",\"trigger\":\"0.029\"}"), 0);
	CU_ASSERT_EQUAL(run("{\"account\":\"bn\",\"op\":\"open\",\"symbol\":\"SKLUSDT\",\"side\":\"BUY\",\"qty\":100}"),
			0);
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "SKLUSDT", 0), 408, 1e-9);
	CU_ASSERT_EQUAL(run("{\"op\":\"mark\",\"symbol\":\"SKLUSDT\",\"price\":\"0.0295\"}"), 0);
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "SKLUSDT", 0), 408, 1e-9); /* not crossed yet */
	CU_ASSERT_EQUAL(run("{\"op\":\"mark\",\"symbol\":\"SKLUSDT\",\"price\":\"0.0289\"}"), 0);
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "SKLUSDT", 0), 0, 1e-9);
	CU_ASSERT_EQUAL(open_cond("bn"), 0);
	CU_ASSERT_TRUE(sim_account_find(w, "bn")->balance < 1000); /* realised loss */
	sim_world_free(w);
}

static void test_sim_engine_stop_with_quantity_outlives_its_position(void)
{
	setup(0);
	run("{\"account\":\"bn\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}");
	run("{\"account\":\"bn\",\"op\":\"stop\",\"symbol\":\"BTCUSDT\",\"trigger\":\"59000\",\"qty\":\"0.01\"}");
	run("{\"account\":\"bn\",\"op\":\"close\",\"symbol\":\"BTCUSDT\"}");
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "BTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_EQUAL(open_cond("bn"), 1); /* the orphan stop vigil must find */
	/* it fires later: reduce-only with nothing to reduce -> REJECTED, no position opened */
	run("{\"op\":\"mark\",\"symbol\":\"BTCUSDT\",\"price\":\"58000\"}");
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "BTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_EQUAL(open_cond("bn"), 0);
	sim_world_free(w);
}

static void test_sim_engine_limit_fills_when_mark_reaches_price(void)
{
	setup(0);
	CU_ASSERT_EQUAL(run("{\"account\":\"by\",\"op\":\"order\",\"symbol\":\"LTCUSDT\",\"type\":\"LIMIT\",\"side\":"
			    "\"Buy\",\"qty\":\"1\",\"price\":\"75\"}"),
			0);
	CU_ASSERT_DOUBLE_EQUAL(amt("by", "LTCUSDT", 0), 0, 1e-12);
	run("{\"op\":\"mark\",\"symbol\":\"LTCUSDT\",\"price\":\"74.5\"}");
	CU_ASSERT_DOUBLE_EQUAL(amt("by", "LTCUSDT", 0), 1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "by"), sim_symbol_find(w, "LTCUSDT"), 0)->entry, 75, 1e-9);
	sim_world_free(w);
}

static void test_sim_engine_reduce_only_shrinks_and_rejects(void)
{
	setup(0);
	run("{\"account\":\"by\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"Sell\",\"qty\":\"0.3\"}");
	CU_ASSERT_EQUAL(run("{\"account\":\"by\",\"op\":\"order\",\"symbol\":\"ETHUSDT\",\"type\":\"MARKET\",\"side\":"
			    "\"Buy\",\"qty\":\"1\",\"reduce_only\":true}"),
			0);
	CU_ASSERT_DOUBLE_EQUAL(amt("by", "ETHUSDT", 0), 0, 1e-12); /* shrunk to 0.3, not flipped */
	CU_ASSERT_NOT_EQUAL(run("{\"account\":\"by\",\"op\":\"order\",\"symbol\":\"ETHUSDT\",\"type\":\"MARKET\","
				"\"side\":\"Buy\",\"qty\":\"1\",\"reduce_only\":true}"),
			    0);
	sim_world_free(w);
}

static void test_sim_engine_hedge_mode_keeps_long_and_short_apart(void)
{
	setup(1);
	run("{\"account\":\"bn\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"qty\":\"1\"}");
	run("{\"account\":\"bn\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"SELL\",\"qty\":\"0.4\"}");
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "ETHUSDT", 1), 1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "ETHUSDT", 2), -0.4, 1e-12);
	run("{\"account\":\"bn\",\"op\":\"close\",\"symbol\":\"ETHUSDT\",\"position_side\":\"SHORT\"}");
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "ETHUSDT", 2), 0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(amt("bn", "ETHUSDT", 1), 1, 1e-12);
	sim_world_free(w);
}

static void test_sim_engine_bybit_position_stop_cleared_when_closed(void)
{
	struct sim_account *a;
	int s;

	setup(0);
	a = sim_account_find(w, "by");
	s = sim_symbol_find(w, "LTCUSDT");
	run("{\"account\":\"by\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"qty\":\"2\"}");
	CU_ASSERT_EQUAL(run("{\"account\":\"by\",\"op\":\"stop\",\"symbol\":\"LTCUSDT\",\"trigger\":\"81\"}"),
			-1); /* above mark */
	CU_ASSERT_EQUAL(run("{\"account\":\"by\",\"op\":\"stop\",\"symbol\":\"LTCUSDT\",\"trigger\":\"70\"}"), 0);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(a, s, 0)->sl, 70, 1e-9);
	CU_ASSERT_EQUAL(open_cond("by"), 1);
	run("{\"account\":\"by\",\"op\":\"close\",\"symbol\":\"LTCUSDT\"}");
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(a, s, 0)->sl, 0, 1e-12);
	CU_ASSERT_EQUAL(open_cond("by"), 0); /* CancelByTpSlTsClear */
	sim_world_free(w);
}

static void test_sim_engine_fault_scope_count_and_endpoint(void)
{
	char err[128];
	struct json_object *f = json_tokener_parse("{\"type\":\"http_status\",\"exchange\":\"binance\",\"endpoint\":\"/"
						   "fapi/v3/\",\"count\":2,\"status\":503}");

	setup(0);
	CU_ASSERT_PTR_NOT_NULL(sim_fault_add(w, f, err, sizeof err));
	CU_ASSERT_PTR_NULL(sim_fault_find(w, "http_status", SIM_BYBIT, "/fapi/v3/account", NULL, 1));
	CU_ASSERT_PTR_NULL(sim_fault_find(w, "http_status", SIM_BINANCE, "/fapi/v1/time", NULL, 1));
	CU_ASSERT_PTR_NOT_NULL(sim_fault_find(w, "http_status", SIM_BINANCE, "/fapi/v3/account", NULL, 1));
	CU_ASSERT_PTR_NOT_NULL(sim_fault_find(w, "http_status", SIM_BINANCE, "/fapi/v3/positionRisk", NULL, 1));
	CU_ASSERT_PTR_NULL(sim_fault_find(w, "http_status", SIM_BINANCE, "/fapi/v3/account", NULL, 1));
	json_object_put(f);
	f = json_tokener_parse("{\"type\":\"nonsense\"}");
	CU_ASSERT_PTR_NULL(sim_fault_add(w, f, err, sizeof err));
	json_object_put(f);
	sim_world_free(w);
}

void test_sim_engine_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_engine_close_position_stop_closes_whatever_is_open",
		  test_sim_engine_close_position_stop_closes_whatever_is_open },
		{ "test_sim_engine_stop_with_quantity_outlives_its_position",
		  test_sim_engine_stop_with_quantity_outlives_its_position },
		{ "test_sim_engine_limit_fills_when_mark_reaches_price",
		  test_sim_engine_limit_fills_when_mark_reaches_price },
		{ "test_sim_engine_reduce_only_shrinks_and_rejects", test_sim_engine_reduce_only_shrinks_and_rejects },
		{ "test_sim_engine_hedge_mode_keeps_long_and_short_apart",
		  test_sim_engine_hedge_mode_keeps_long_and_short_apart },
		{ "test_sim_engine_bybit_position_stop_cleared_when_closed",
		  test_sim_engine_bybit_position_stop_cleared_when_closed },
		{ "test_sim_engine_fault_scope_count_and_endpoint", test_sim_engine_fault_scope_count_and_endpoint },
		{ NULL, NULL },
	};
	tu_add_suite("sim_engine", tests);
}
