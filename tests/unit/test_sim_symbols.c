/* vigil-sim symbol table: hundreds of symbols and positions on one
 * account (benchmarks: 200 positions + 600 orders), symbols added by a
 * later scenario reach every account without its own list. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

#define NOW 1700000000000LL

static struct sim_world *world(void)
{
	struct sim_world *w = sim_world_new(5);

	w->fake_now = NOW;
	return w;
}

static int load(struct sim_world *w, const char *js, char *err, size_t n)
{
	struct json_object *sc = json_tokener_parse(js);
	int rc;

	err[0] = '\0';
	rc = sim_scenario_load(w, sc, 1, err, n);
	json_object_put(sc);
	return rc;
}

static int step(struct sim_world *w, const char *js)
{
	struct json_object *s = json_tokener_parse(js), *ans = json_object_new_object();
	int rc = sim_step_run(w, s, ans);

	json_object_put(s);
	json_object_put(ans);
	return rc;
}

/* Signed Binance GET through the sim's REST entry; answer body (malloc'd). */
static char *bn_get(struct sim_world *w, const char *key, const char *secret, const char *path, int *status)
{
	char sig[65];
	char *q = xasprintf("timestamp=%lld", NOW), *full;
	struct sim_req rq;
	struct sim_resp r;

	sim_hmac_hex(secret, q, strlen(q), sig);
	full = xasprintf("%s&signature=%s", q, sig);
	memset(&rq, 0, sizeof rq);
	memset(&r, 0, sizeof r);
	rq.method = "GET", rq.path = path, rq.query = full, rq.body = "", rq.mbx_key = key;
	sim_rest_handle(w, &rq, &r);
	*status = r.status;
	free(q);
	free(full);
	return r.body;
}

static size_t state_len(struct sim_world *w, const char *key, const char *list)
{
	struct json_object *st = sim_state_json(w, sim_account_find(w, key)), *a;
	size_t n = json_object_object_get_ex(st, list, &a) ? json_object_array_length(a) : 0;

	json_object_put(st);
	return n;
}

static void test_sim_symbols_300_positions_and_600_orders_on_one_account(void)
{
	struct sim_world *w = world();
	struct json_object *sc = json_object_new_object(), *syms = json_object_new_array();
	char err[200], js[256], *body;
	int status, failed = 0;
	struct json_object *arr;
	size_t nonflat = 0;

	for (int i = 0; i < 300; i++) {
		struct json_object *s = json_object_new_object();
		char name[24];

		snprintf(name, sizeof name, "S%03dUSDT", i);
		json_object_object_add(s, "symbol", json_object_new_string(name));
		json_object_object_add(s, "mark", json_object_new_string("10"));
		json_object_object_add(s, "tick", json_object_new_string("0.01"));
		json_object_object_add(s, "step", json_object_new_string("1"));
		json_object_array_add(syms, s);
	}
	json_object_object_add(sc, "symbols", syms);
	CU_ASSERT_EQUAL(sim_scenario_load(w, sc, 1, err, sizeof err), 0);
	json_object_put(sc);
	CU_ASSERT_EQUAL(w->nsym, 308); /* 8 defaults (7 USDT + Bybit's ETHPERP) + 300 */
	for (int i = 0; i < 300; i++) {
		snprintf(js, sizeof js,
			 "{\"account\":\"sim-binance-key\",\"op\":\"open\",\"symbol\":\"S%03dUSDT\",\"side\":\"BUY\","
			 "\"qty\":\"%d\"}",
			 i, i + 1);
		failed += step(w, js) != 0;
		for (int k = 0; k < 2; k++) {
			snprintf(js, sizeof js,
				 "{\"account\":\"sim-binance-key\",\"op\":\"order\",\"symbol\":\"S%03dUSDT\",\"type\":"
				 "\"LIMIT\",\"side\":\"BUY\",\"qty\":\"1\",\"price\":\"%d\"}",
				 i, 5 + k);
			failed += step(w, js) != 0;
		}
	}
	CU_ASSERT_EQUAL(failed, 0);
	CU_ASSERT_EQUAL(state_len(w, "sim-binance-key", "positions"), 300);
	CU_ASSERT_EQUAL(state_len(w, "sim-binance-key", "open_orders"), 600);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-binance-key"), sim_symbol_find(w, "S299USDT"), 0)->amt,
			       300, 1e-9);
	/* the same through REST: positionRisk v3 lists every non-flat row */
	body = bn_get(w, "sim-binance-key", "sim-binance-secret", "/fapi/v3/positionRisk", &status);
	CU_ASSERT_EQUAL(status, 200);
	arr = json_tokener_parse(body);
	CU_ASSERT_TRUE(json_object_is_type(arr, json_type_array));
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		nonflat += strcmp(sim_jstr(json_object_array_get_idx(arr, i), "positionAmt"), "0") != 0;
	CU_ASSERT_EQUAL(nonflat, 300);
	json_object_put(arr);
	free(body);
	body = bn_get(w, "sim-binance-key", "sim-binance-secret", "/fapi/v1/openOrders", &status);
	arr = json_tokener_parse(body);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT_EQUAL(arr ? json_object_array_length(arr) : 0, 600);
	json_object_put(arr);
	free(body);
	/* the other account still trades them, flat */
	CU_ASSERT_EQUAL(step(w, "{\"account\":\"sim-bybit-key\",\"op\":\"open\",\"symbol\":\"S150USDT\",\"side\":"
				"\"Sell\",\"qty\":\"3\"}"),
			0);
	CU_ASSERT_EQUAL(state_len(w, "sim-bybit-key", "positions"), 1);
	/* reset drops them all */
	sim_world_reset(w);
	CU_ASSERT_EQUAL(state_len(w, "sim-binance-key", "positions"), 0);
	CU_ASSERT_EQUAL(state_len(w, "sim-binance-key", "open_orders"), 0);
	sim_world_free(w);
}

static void test_sim_symbols_table_grows_to_1024_and_refuses_past_the_cap(void)
{
	struct sim_world *w = world();
	char name[24];
	int last = -1;

	sim_world_defaults(w, 3);
	for (int i = 0; i < 1100; i++) {
		snprintf(name, sizeof name, "X%04dUSDT", i);
		last = sim_symbol_add(w, name, 1, 0.01, 1, 1);
	}
	CU_ASSERT_EQUAL(last, 1107); /* after the 8 defaults */
	CU_ASSERT_EQUAL(sim_symbol_find(w, "X1099USDT"), 1107);
	CU_ASSERT_TRUE(sim_account_has(sim_account_find(w, "sim-bybit-key"), 1107));
	CU_ASSERT_EQUAL(step(w, "{\"account\":\"sim-bybit-key\",\"op\":\"open\",\"symbol\":\"X1099USDT\",\"side\":"
				"\"Buy\",\"qty\":\"2\"}"),
			0);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-bybit-key"), 1107, 0)->amt, 2, 1e-9);
	/* only the touched symbol got a position block */
	CU_ASSERT_PTR_NULL(sim_pos_peek(sim_account_find(w, "sim-bybit-key"), 1000, 0));
	while (w->nsym < SIM_MAX_SYM) {
		snprintf(name, sizeof name, "Y%05dUSDT", w->nsym);
		CU_ASSERT_FATAL(sim_symbol_add(w, name, 1, 0.01, 1, 1) >= 0);
	}
	CU_ASSERT_EQUAL(sim_symbol_add(w, "ONEMOREUSDT", 1, 0.01, 1, 1), -1);
	CU_ASSERT_TRUE(sim_symbol_add(w, "BTCUSDT", 61000, 0.1, 0.001, 0.001) >= 0); /* update still works */
	sim_world_free(w);
}

static void test_sim_symbols_later_scenario_symbols_reach_every_account(void)
{
	struct sim_world *w = world();
	char err[200];

	CU_ASSERT_EQUAL(load(w,
			     "{\"accounts\":[{\"exchange\":\"binance\",\"key\":\"k1\",\"secret\":\"s1\"},"
			     "{\"exchange\":\"bybit\",\"key\":\"k2\",\"secret\":\"s2\"},"
			     "{\"exchange\":\"binance\",\"key\":\"k3\",\"secret\":\"s3\",\"symbols\":[\"BTCUSDT\"]}]}",
			     err, sizeof err),
			0);
	/* a later scenario adds a symbol and names no accounts */
	CU_ASSERT_EQUAL(
		load(w, "{\"symbols\":[{\"symbol\":\"NEWUSDT\",\"mark\":\"2\",\"tick\":\"0.001\",\"step\":\"1\"}]}",
		     err, sizeof err),
		0);
	CU_ASSERT_EQUAL(
		step(w, "{\"account\":\"k1\",\"op\":\"open\",\"symbol\":\"NEWUSDT\",\"side\":\"BUY\",\"qty\":\"5\"}"),
		0);
	CU_ASSERT_EQUAL(
		step(w, "{\"account\":\"k2\",\"op\":\"open\",\"symbol\":\"NEWUSDT\",\"side\":\"Sell\",\"qty\":\"5\"}"),
		0);
	CU_ASSERT_EQUAL(state_len(w, "k1", "positions"), 1);
	CU_ASSERT_EQUAL(state_len(w, "k2", "positions"), 1);
	/* an account with its own list keeps it */
	CU_ASSERT_NOT_EQUAL(
		step(w, "{\"account\":\"k3\",\"op\":\"open\",\"symbol\":\"NEWUSDT\",\"side\":\"BUY\",\"qty\":\"5\"}"),
		0);
	CU_ASSERT_EQUAL(
		step(w,
		     "{\"account\":\"k3\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}"),
		0);
	/* and still after a reset */
	sim_world_reset(w);
	CU_ASSERT_TRUE(sim_account_has(sim_account_find(w, "k1"), sim_symbol_find(w, "NEWUSDT")));
	CU_ASSERT_FALSE(sim_account_has(sim_account_find(w, "k3"), sim_symbol_find(w, "NEWUSDT")));
	/* a scenario may give an account a list naming a symbol it adds itself */
	CU_ASSERT_EQUAL(load(w,
			     "{\"symbols\":[{\"symbol\":\"ODDUSDT\",\"mark\":1}],"
			     "\"accounts\":[{\"exchange\":\"binance\",\"key\":\"k3\",\"secret\":\"s3\",\"symbols\":["
			     "\"ODDUSDT\"]}]}",
			     err, sizeof err),
			0);
	CU_ASSERT_TRUE(sim_account_has(sim_account_find(w, "k3"), sim_symbol_find(w, "ODDUSDT")));
	CU_ASSERT_FALSE(sim_account_has(sim_account_find(w, "k3"), sim_symbol_find(w, "BTCUSDT")));
	/* re-posting k3 without a list lifts the restriction */
	CU_ASSERT_EQUAL(load(w, "{\"accounts\":[{\"exchange\":\"binance\",\"key\":\"k3\",\"secret\":\"s3\"}]}", err,
			     sizeof err),
			0);
	CU_ASSERT_TRUE(sim_account_has(sim_account_find(w, "k3"), sim_symbol_find(w, "NEWUSDT")));
	sim_world_free(w);
}

static void test_sim_symbols_bad_scenario_is_refused_whole(void)
{
	struct sim_world *w = world();
	char err[200];
	int nsym;

	sim_world_defaults(w, 3);
	nsym = w->nsym;
	/* the symbol is fine but the account names an unknown one: nothing applied */
	CU_ASSERT_EQUAL(load(w,
			     "{\"symbols\":[{\"symbol\":\"GOODUSDT\",\"mark\":1}],"
			     "\"accounts\":[{\"exchange\":\"binance\",\"key\":\"kx\",\"secret\":\"s\",\"symbols\":["
			     "\"NOPEUSDT\"]}]}",
			     err, sizeof err),
			-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown symbol NOPEUSDT"));
	CU_ASSERT_EQUAL(w->nsym, nsym);
	CU_ASSERT_PTR_NULL(sim_account_find(w, "kx"));
	CU_ASSERT_EQUAL(load(w, "{\"faults\":[{\"type\":\"slow\"},{\"type\":\"bogus\"}]}", err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "faults[1]"));
	CU_ASSERT_PTR_NULL(w->faults);
	CU_ASSERT_EQUAL(load(w, "{\"symbols\":[{\"symbol\":\"ABC\"}]}", err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbols[0]"));
	sim_world_free(w);
}

void test_sim_symbols_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_symbols_300_positions_and_600_orders_on_one_account",
		  test_sim_symbols_300_positions_and_600_orders_on_one_account },
		{ "test_sim_symbols_table_grows_to_1024_and_refuses_past_the_cap",
		  test_sim_symbols_table_grows_to_1024_and_refuses_past_the_cap },
		{ "test_sim_symbols_later_scenario_symbols_reach_every_account",
		  test_sim_symbols_later_scenario_symbols_reach_every_account },
		{ "test_sim_symbols_bad_scenario_is_refused_whole", test_sim_symbols_bad_scenario_is_refused_whole },
		{ NULL, NULL },
	};
	tu_add_suite("sim_symbols", tests);
}
