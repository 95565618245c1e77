/* vigil-sim order semantics by the exchanges' own rules: take-profits fire
 * on the profit side, trailing stops only once activated, conditional
 * orders without reduce-only are entries, hedge-mode legs, the protection
 * report (per open leg, from the engine's "what does this order do when it
 * fires"), USDC settle filters, TRIGGERING stuck orders, the order event
 * log, chunked bodies and the scenario's starting book. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

#define BN "sim-binance-key"
#define BB "sim-bybit-key"

static struct sim_world *w;
static struct json_object *events; /* every stream payload: [{"topic","payload"}] */

static void capture(struct sim_world *ww, struct sim_account *a, const char *topic, const char *payload)
{
	struct json_object *e = json_object_new_object();

	(void)ww, (void)a;
	sim_jstr_add(e, "topic", topic);
	json_object_object_add(e, "payload", json_tokener_parse(payload));
	json_object_array_add(events, e);
}

static void setup(int hedge)
{
	w = sim_world_new(7);
	sim_world_defaults(w, 1);
	sim_account_add(w, SIM_BINANCE, BN, "sim-binance-secret", 10000, hedge);
	sim_account_add(w, SIM_BYBIT, BB, "sim-bybit-secret", 10000, hedge);
	events = json_object_new_array();
	w->emit = capture;
}

static void teardown(void)
{
	sim_world_free(w);
	json_object_put(events);
	w = NULL;
	events = NULL;
}

/* A signed REST call as a client sends it (Binance: form body for POST,
 * query otherwise; Bybit: JSON body for POST). */
static struct json_object *call(const char *method, const char *path, const char *params, int bybit)
{
	struct sim_req rq = { 0 };
	struct sim_resp r = { 0 };
	char sig[65], tss[32], *q = NULL, *full = NULL, *m = NULL;
	struct json_object *o;
	long long now = sim_real_ms();
	int post = !strcmp(method, "POST");

	rq.method = method;
	rq.path = path;
	if (!bybit) {
		q = xasprintf("%s%stimestamp=%lld", params, *params ? "&" : "", now);
		sim_hmac_hex("sim-binance-secret", q, strlen(q), sig);
		full = xasprintf("%s&signature=%s", q, sig);
		rq.query = post ? "" : full;
		rq.body = post ? full : "";
		rq.mbx_key = BN;
	} else {
		snprintf(tss, sizeof tss, "%lld", now);
		m = xasprintf("%s" BB "5000%s", tss, params);
		sim_hmac_hex("sim-bybit-secret", m, strlen(m), sig);
		rq.query = post ? "" : params;
		rq.body = post ? params : "";
		rq.bapi_key = BB;
		rq.bapi_ts = tss;
		rq.bapi_recv = "5000";
		rq.bapi_sign = sig;
	}
	rq.body_len = strlen(rq.body);
	sim_rest_handle(w, &rq, &r);
	o = json_tokener_parse(r.body ? r.body : "");
	free(r.body);
	free(q);
	free(full);
	free(m);
	return o;
}

static long long code_of(struct json_object *o, int bybit)
{
	return json_object_get_int64(json_object_object_get(o, bybit ? "retCode" : "code"));
}

/* Runs a step; 0 ok. The answer's order_id goes to id (if given). */
static int step(const char *js, char *id, size_t n)
{
	struct json_object *s = json_tokener_parse(js), *ans = json_object_new_object();
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	rc = sim_step_run(w, s, ans);
	if (id)
		snprintf(id, n, "%s", sim_jstr(ans, "order_id") ? sim_jstr(ans, "order_id") : "");
	json_object_put(s);
	json_object_put(ans);
	return rc;
}

static void mark(const char *sym, const char *price)
{
	char b[160];

	snprintf(b, sizeof b, "{\"op\":\"mark\",\"symbol\":\"%s\",\"price\":\"%s\"}", sym, price);
	CU_ASSERT_EQUAL(step(b, NULL, 0), 0);
}

static double amt(const char *key, const char *sym, int ps)
{
	struct sim_position *p = sim_pos_peek(sim_account_find(w, key), sim_symbol_find(w, sym), ps);

	return p ? p->amt : 0;
}

static struct sim_order *order(const char *key, const char *id)
{
	return sim_order_by_id(sim_account_find(w, key), id, NULL, -1);
}

/* The protection row of one leg from /_sim/state (NULL if no such leg). */
static struct json_object *leg(struct json_object *st, const char *sym, const char *ps)
{
	struct json_object *arr = json_object_object_get(st, "protection");

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		if (!strcmp(sim_jstr(e, "symbol"), sym) && !strcmp(sim_jstr(e, "position_side"), ps))
			return e;
	}
	return NULL;
}

/* protected_qty of a leg, -1 if the leg is not reported; *full and the
 * number of protecting orders (and the first id) too. */
static double prot(const char *key, const char *sym, const char *ps, int *full, int *norders, char *first, size_t n)
{
	struct json_object *st = sim_state_json(w, sim_account_find(w, key)), *e = leg(st, sym, ps);
	double q = -1;

	if (full)
		*full = -1;
	if (norders)
		*norders = -1;
	if (e) {
		struct json_object *ids = json_object_object_get(e, "orders");

		q = atof(sim_jstr(e, "protected_qty"));
		if (full)
			*full = json_object_get_boolean(json_object_object_get(e, "full"));
		if (norders)
			*norders = (int)json_object_array_length(ids);
		if (first)
			snprintf(first, n, "%s",
				 json_object_array_length(ids)
					 ? json_object_get_string(json_object_array_get_idx(ids, 0))
					 : "");
		/* stops (kept for older tests) lists exactly the protecting orders */
		{
			struct json_object *stops = json_object_object_get(st, "stops");
			int k = 0;

			for (size_t i = 0; i < json_object_array_length(stops); i++) {
				struct json_object *x = json_object_array_get_idx(stops, i);

				k += !strcmp(sim_jstr(x, "symbol"), sym) && !strcmp(sim_jstr(x, "position_side"), ps);
			}
			CU_ASSERT_EQUAL(k, (int)json_object_array_length(ids));
		}
	}
	json_object_put(st);
	return q;
}

/* Binance algo order through REST; returns algoId as a string in id. */
static long long bn_algo(const char *params, char *id, size_t n)
{
	struct json_object *o = call("POST", "/fapi/v1/algoOrder", params, 0);
	long long code = code_of(o, 0);

	if (id)
		snprintf(id, n, "%lld", (long long)json_object_get_int64(json_object_object_get(o, "algoId")));
	json_object_put(o);
	return code;
}

static long long bb_post(const char *path, const char *body, char *id, size_t n)
{
	struct json_object *o = call("POST", path, body, 1), *res = json_object_object_get(o, "result");
	long long code = code_of(o, 1);

	if (id)
		snprintf(id, n, "%s", sim_jstr(res, "orderId") ? sim_jstr(res, "orderId") : "");
	json_object_put(o);
	return code;
}

/* Count of captured ALGO_UPDATE events for algo id with a given ia. */
static int algo_events(long long aid, const char *status, int ia)
{
	int n = 0;

	for (size_t i = 0; i < json_object_array_length(events); i++) {
		struct json_object *e = json_object_array_get_idx(events, i);
		struct json_object *x = json_object_object_get(json_object_object_get(e, "payload"), "o");

		if (strcmp(sim_jstr(e, "topic"), "ALGO_UPDATE") ||
		    json_object_get_int64(json_object_object_get(x, "aid")) != aid)
			continue;
		if (status && strcmp(sim_jstr(x, "X"), status))
			continue;
		n += json_object_get_boolean(json_object_object_get(x, "ia")) == ia;
	}
	return n;
}

static void test_sim_semantics_take_profit_fires_on_profit_not_on_loss(void)
{
	char id[48], bid[48];
	int full;

	setup(0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BN
			     "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}",
			     NULL, 0),
			0);
	/* TP below the mark for a SELL would fire at once: -2021 */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice="
				"59000&quantity=0.01&reduceOnly=true",
				NULL, 0),
			-2021);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TAKE_PROFIT_MARKET&triggerPrice="
				"62000&quantity=0.01&reduceOnly=true&clientAlgoId=bot-tp",
				id, sizeof id),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, NULL, NULL, 0), 0, 1e-12); /* a TP protects nothing */
	CU_ASSERT_EQUAL(full, 0);
	mark("BTCUSDT", "58000"); /* loss move: the TP stays */
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.01, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BN, id)->status, "NEW");
	mark("BTCUSDT", "62100"); /* profit move: fires */
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BN, id)->status, "FINISHED");

	/* Bybit: a Stop with triggerDirection 1 (rise) on a long's closing side is its TP */
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"qty\":\"2\"}",
			     NULL, 0),
			0);
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Sell\",\"orderType\":"
				"\"Market\",\"qty\":\"2\",\"triggerPrice\":\"85\",\"triggerDirection\":1,"
				"\"reduceOnly\":true,\"orderLinkId\":\"bot-tp-b\"}",
				bid, sizeof bid),
			0);
	CU_ASSERT_STRING_EQUAL(order(BB, bid)->stop_type, "Stop");
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, NULL, NULL, 0), 0, 1e-12);
	mark("LTCUSDT", "70");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "LTCUSDT", 0), 2, 1e-12);
	mark("LTCUSDT", "86");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "LTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BB, bid)->status, "Filled");
	teardown();
}

static void test_sim_semantics_binance_trailing_activates_then_fires_on_retrace(void)
{
	char id[48], id2[48];
	struct json_object *q;
	int full;

	setup(0);
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}", NULL,
	     0);
	/* SELL trailing: activatePrice must be above the mark */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&"
				"reduceOnly=true&activatePrice=59000&callbackRate=1",
				NULL, 0),
			-2021);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&"
				"reduceOnly=true&activatePrice=61000&callbackRate=25",
				NULL, 0),
			-1102);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=TRAILING_STOP_MARKET&quantity=0.01&"
				"reduceOnly=true&activatePrice=61000&callbackRate=1&clientAlgoId=bot-trail",
				id, sizeof id),
			0);
	CU_ASSERT_EQUAL(algo_events(atoll(id), "NEW", 0), 1); /* ia false before activation */
	CU_ASSERT_EQUAL(algo_events(atoll(id), "NEW", 1), 0);
	{
		char p[64];

		snprintf(p, sizeof p, "algoId=%s", id);
		q = call("GET", "/fapi/v1/algoOrder", p, 0);
		CU_ASSERT_STRING_EQUAL(sim_jstr(q, "orderType"), "TRAILING_STOP_MARKET");
		CU_ASSERT_STRING_EQUAL(sim_jstr(q, "activatePrice"), "61000.0");
		CU_ASSERT_STRING_EQUAL(sim_jstr(q, "callbackRate"), "1.00");
		json_object_put(q);
	}
	/* not active: a fall never reaches it, so it protects nothing */
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, NULL, NULL, 0), 0, 1e-12);
	mark("BTCUSDT", "59500");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.01, 1e-12);
	CU_ASSERT_FALSE(order(BN, id)->active);
	mark("BTCUSDT", "61200"); /* reaches activatePrice */
	CU_ASSERT_TRUE(order(BN, id)->active);
	CU_ASSERT_EQUAL(algo_events(atoll(id), "NEW", 1), 1); /* second NEW, ia true */
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, NULL, NULL, 0), 0.01, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	mark("BTCUSDT", "62000"); /* best 62000: stop at 61380 */
	CU_ASSERT_DOUBLE_EQUAL(sim_order_level(w, order(BN, id)), 61380, 1e-6);
	mark("BTCUSDT", "61500");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.01, 1e-12);
	mark("BTCUSDT", "61300"); /* retraced more than 1 % */
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BN, id)->status, "FINISHED");

	/* without activatePrice it is active at once */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"SELL\",\"qty\":\"1\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=BUY&type=TRAILING_STOP_MARKET&quantity=1&"
				"reduceOnly=true&callbackRate=2",
				id2, sizeof id2),
			0);
	CU_ASSERT_TRUE(order(BN, id2)->active);
	CU_ASSERT_EQUAL(algo_events(atoll(id2), "NEW", 1), 1);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "ETHUSDT", "BOTH", &full, NULL, NULL, 0), 1, 1e-12);
	mark("ETHUSDT", "2900"); /* best 2900 -> stop 2958 */
	mark("ETHUSDT", "2950");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "ETHUSDT", 0), -1, 1e-12);
	mark("ETHUSDT", "2960");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "ETHUSDT", 0), 0, 1e-12);
	teardown();
}

static void test_sim_semantics_bybit_trailing_stop_via_trading_stop(void)
{
	char oid[48], first[64];
	struct sim_order *o;
	int full, n;

	setup(0);
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"Buy\",\"qty\":\"1\"}", NULL, 0);
	/* activePrice on the wrong side of the mark for a long */
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"trailingStop\":\"50\",\"activePrice\":\"2900\"}",
				NULL, 0),
			10001);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"trailingStop\":\"50\",\"activePrice\":\"3100\"}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, BB), sim_symbol_find(w, "ETHUSDT"), 0)->trail, 50, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "ETHUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12);
	CU_ASSERT_EQUAL(n, 0);
	mark("ETHUSDT", "3120"); /* activated */
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "ETHUSDT", "BOTH", &full, &n, first, sizeof first), 1, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	o = order(BB, first);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->stop_type, "TrailingStop");
	CU_ASSERT_DOUBLE_EQUAL(o->trigger, 3070, 1e-9); /* triggerPrice follows the best mark */
	mark("ETHUSDT", "3200");
	CU_ASSERT_DOUBLE_EQUAL(o->trigger, 3150, 1e-9);
	mark("ETHUSDT", "3160");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "ETHUSDT", 0), 1, 1e-12);
	mark("ETHUSDT", "3150");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "ETHUSDT", 0), 0, 1e-12);
	CU_ASSERT_STRING_EQUAL(o->status, "Filled");
	(void)oid;
	teardown();
}

static void test_sim_semantics_stop_without_reduce_only_is_an_entry(void)
{
	char id[48], bid[48];
	int full, n;

	setup(0);
	/* breakout BUY STOP_MARKET on a flat symbol opens a long when it fires */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&type=STOP_MARKET&triggerPrice=61000&"
				"quantity=0.02&clientAlgoId=bot-breakout",
				id, sizeof id),
			0);
	mark("BTCUSDT", "61000");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.02, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BN, id)->status, "FINISHED");
	/* an add-on SELL STOP_MARKET below a short adds to it, and does not protect it */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"SELL\",\"qty\":\"1\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(
		bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=BUY&type=STOP_MARKET&triggerPrice=3100&quantity=1",
			NULL, 0),
		0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "ETHUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12); /* entry, not a stop */
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(
		bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=SELL&type=STOP_MARKET&triggerPrice=2900&quantity=0.5",
			NULL, 0),
		0);
	mark("ETHUSDT", "2890");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "ETHUSDT", 0), -1.5, 1e-12);

	/* Bybit: triggerDirection 1 Buy, reduceOnly false on a flat symbol: opens */
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"orderType\":"
				"\"Market\",\"qty\":\"3\",\"triggerPrice\":\"82\",\"triggerDirection\":1,"
				"\"reduceOnly\":false,\"orderLinkId\":\"bot-bo\"}",
				bid, sizeof bid),
			0);
	mark("LTCUSDT", "82.5");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "LTCUSDT", 0), 3, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BB, bid)->status, "Filled");
	teardown();
}

static void test_sim_semantics_hedge_buy_on_short_reduces_buy_on_long_adds(void)
{
	char sid[48], lid[48], first[64];
	int full, n;

	setup(1);
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.05\"}", NULL,
	     0);
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"qty\":\"0.03\"}", NULL,
	     0);
	/* reduceOnly is refused in hedge mode; closePosition only on the closing side */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&positionSide=SHORT&type=STOP_MARKET&"
				"triggerPrice=61000&quantity=0.03&reduceOnly=true",
				NULL, 0),
			-1106);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&positionSide=LONG&type=STOP_MARKET&"
				"triggerPrice=61000&closePosition=true",
				NULL, 0),
			-4136);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&positionSide=SHORT&type=STOP_MARKET&"
				"triggerPrice=61000&quantity=0.03&clientAlgoId=bot-short-sl",
				sid, sizeof sid),
			0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=BUY&positionSide=LONG&type=STOP_MARKET&"
				"triggerPrice=61000&quantity=0.02&clientAlgoId=bot-add",
				lid, sizeof lid),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "SHORT", &full, &n, first, sizeof first), 0.03, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(first, sid);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "LONG", &full, &n, NULL, 0), 0, 1e-12);
	CU_ASSERT_EQUAL(full, 0);
	mark("BTCUSDT", "61000");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 2), 0, 1e-12);    /* BUY on SHORT closed the short */
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 1), 0.07, 1e-12); /* BUY on LONG added */

	/* Bybit hedge: positionIdx 2 Buy reduces the short, positionIdx 1 Buy adds */
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"Buy\",\"qty\":\"1\"}", NULL, 0);
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"Sell\",\"qty\":\"0.4\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"side\":\"Buy\",\"orderType\":"
				"\"Market\",\"qty\":\"0.4\",\"positionIdx\":2,\"triggerPrice\":\"3100\","
				"\"triggerDirection\":1,\"orderLinkId\":\"bot-s\"}",
				sid, sizeof sid),
			0);
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"side\":\"Buy\",\"orderType\":"
				"\"Market\",\"qty\":\"0.5\",\"positionIdx\":1,\"triggerPrice\":\"3100\","
				"\"triggerDirection\":1,\"orderLinkId\":\"bot-l\"}",
				lid, sizeof lid),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "ETHUSDT", "SHORT", &full, &n, first, sizeof first), 0.4, 1e-12);
	CU_ASSERT_STRING_EQUAL(first, sid);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "ETHUSDT", "LONG", &full, &n, NULL, 0), 0, 1e-12);
	mark("ETHUSDT", "3100");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "ETHUSDT", 2), 0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "ETHUSDT", 1), 1.5, 1e-12);
	teardown();
}

static void test_sim_semantics_protection_report_one_way(void)
{
	char id[48], id2[48], first[64];
	struct json_object *st, *e;
	int full, n;

	setup(0);
	/* Binance: closePosition stop = full; a reduce-only half = partial */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.02\"}", NULL,
	     0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12);
	CU_ASSERT_EQUAL(full, 0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=59000&"
				"quantity=0.01&reduceOnly=true",
				id, sizeof id),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0.01, 1e-12);
	CU_ASSERT_EQUAL(full, 0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=58000&"
				"closePosition=true&clientAlgoId=vgl-x",
				id2, sizeof id2),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0.02, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_EQUAL(n, 2);
	/* the leg row's shape */
	st = sim_state_json(w, sim_account_find(w, BN));
	e = leg(st, "BTCUSDT", "BOTH");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "exchange"), "binance");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "account"), BN);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "side"), "LONG");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "size"), "0.020");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "position_idx")), 0);
	CU_ASSERT_EQUAL(json_object_array_length(json_object_object_get(e, "client_ids")), 2);
	json_object_put(st);
	/* a STOP (limit) whose price is above its trigger would not fill on the fall */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"BUY\",\"qty\":\"1\"}", NULL, 0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=LTCUSDT&side=SELL&type=STOP&triggerPrice=78&price=79&"
				"quantity=1&reduceOnly=true",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=LTCUSDT&side=SELL&type=STOP&triggerPrice=78&price=77.5&"
				"quantity=1&reduceOnly=true",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 1, 1e-12);
	/* cancelled orders stop counting */
	{
		char p[64];
		struct json_object *o;

		snprintf(p, sizeof p, "algoId=%s", id2);
		o = call("DELETE", "/fapi/v1/algoOrder", p, 0);
		json_object_put(o);
	}
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0.01, 1e-12);

	/* Bybit: position stopLoss (Full), Partial slSize, a closeOnTrigger Stop */
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Sell\",\"qty\":\"4\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"takeProfit\":\"70\"}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12); /* TP only */
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"tpslMode\":\"Partial\","
				"\"positionIdx\":0,\"stopLoss\":\"85\",\"slSize\":\"1\"}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, first, sizeof first), 1, 1e-12);
	CU_ASSERT_STRING_EQUAL(order(BB, first)->stop_type, "PartialStopLoss");
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, BB), sim_symbol_find(w, "LTCUSDT"), 0)->sl, 0,
			       1e-12); /* Partial: row stays empty */
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"orderType\":"
				"\"Market\",\"qty\":\"0\",\"triggerPrice\":\"90\",\"triggerDirection\":1,"
				"\"reduceOnly\":true,\"closeOnTrigger\":true}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 4, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"stopLoss\":\"88\"}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 4, 1e-12);
	CU_ASSERT_EQUAL(n, 3);
	/* the partial stop fires first: 3 left, Full SL + closeOnTrigger still cover all */
	mark("LTCUSDT", "86");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "LTCUSDT", 0), -3, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 3, 1e-12);
	CU_ASSERT_EQUAL(n, 2);
	/* flat: no leg, no row */
	mark("LTCUSDT", "88");
	CU_ASSERT_DOUBLE_EQUAL(amt(BB, "LTCUSDT", 0), 0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), -1, 1e-12);
	teardown();
}

static void test_sim_semantics_protection_report_hedge(void)
{
	int full, n;

	setup(1);
	/* Binance hedge: closePosition SELL on LONG; quantity BUY on SHORT (no reduceOnly) */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"BUY\",\"qty\":\"1\"}", NULL, 0);
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"ETHUSDT\",\"side\":\"SELL\",\"qty\":\"2\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=SELL&positionSide=LONG&type=STOP_MARKET&"
				"triggerPrice=2900&closePosition=true",
				NULL, 0),
			0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=BUY&positionSide=SHORT&type=STOP_MARKET&"
				"triggerPrice=3100&quantity=1",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "ETHUSDT", "LONG", &full, &n, NULL, 0), 1, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "ETHUSDT", "SHORT", &full, &n, NULL, 0), 1, 1e-12);
	CU_ASSERT_EQUAL(full, 0);
	/* a SELL on SHORT below the mark adds to the short: not protection */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=ETHUSDT&side=SELL&positionSide=SHORT&type=STOP_MARKET&"
				"triggerPrice=2800&quantity=1",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "ETHUSDT", "SHORT", &full, &n, NULL, 0), 1, 1e-12);
	CU_ASSERT_EQUAL(n, 1);

	/* Bybit hedge: position stopLoss per positionIdx */
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"qty\":\"0.1\"}", NULL,
	     0);
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"Sell\",\"qty\":\"0.2\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"stopLoss\":\"59000\"}",
				NULL, 0),
			10001);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"BTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"2,\"stopLoss\":\"61000\"}",
				NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "BTCUSDT", "SHORT", &full, &n, NULL, 0), 0.2, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "BTCUSDT", "LONG", &full, &n, NULL, 0), 0, 1e-12);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"tpsl\",\"symbol\":\"BTCUSDT\",\"position_idx\":1,\"stop_loss\":\"58000\"}",
			     NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "BTCUSDT", "LONG", &full, &n, NULL, 0), 0.1, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	teardown();
}

static void test_sim_semantics_usdc_settle_filter(void)
{
	struct json_object *o, *list;
	int has_perp = 0;

	setup(0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"open\",\"symbol\":\"ETHPERP\",\"side\":\"Buy\",\"qty\":\"0.5\"}",
			     NULL, 0),
			0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"qty\":\"1\"}",
			     NULL, 0),
			0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB "\",\"op\":\"order\",\"symbol\":\"ETHPERP\",\"type\":\"LIMIT\","
			     "\"side\":\"Buy\",\"qty\":\"0.1\",\"price\":\"2500\"}",
			     NULL, 0),
			0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB "\",\"op\":\"order\",\"symbol\":\"LTCUSDT\",\"type\":\"LIMIT\","
			     "\"side\":\"Buy\",\"qty\":\"1\",\"price\":\"70\"}",
			     NULL, 0),
			0);
	o = call("GET", "/v5/position/list", "category=linear&settleCoin=USDC", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL(json_object_array_length(list), 1);
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "symbol"), "ETHPERP");
	json_object_put(o);
	o = call("GET", "/v5/position/list", "category=linear&settleCoin=USDT", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL(json_object_array_length(list), 1);
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "symbol"), "LTCUSDT");
	json_object_put(o);
	o = call("GET", "/v5/order/realtime", "category=linear&settleCoin=USDC", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL(json_object_array_length(list), 1);
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "symbol"), "ETHPERP");
	json_object_put(o);
	o = call("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL(json_object_array_length(list), 1);
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "symbol"), "LTCUSDT");
	json_object_put(o);
	/* symbol wins over settleCoin */
	o = call("GET", "/v5/position/list", "category=linear&symbol=ETHPERP&settleCoin=USDT", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL(json_object_array_length(list), 1);
	json_object_put(o);
	o = call("GET", "/v5/market/instruments-info", "category=linear&symbol=ETHPERP", 1);
	list = json_object_object_get(json_object_object_get(o, "result"), "list");
	CU_ASSERT_EQUAL_FATAL(json_object_array_length(list), 1);
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "settleCoin"), "USDC");
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "quoteCoin"), "USDC");
	CU_ASSERT_STRING_EQUAL(sim_jstr(json_object_array_get_idx(list, 0), "baseCoin"), "ETH");
	json_object_put(o);
	/* Binance has no ETHPERP */
	o = call("GET", "/fapi/v1/exchangeInfo", "", 0);
	list = json_object_object_get(o, "symbols");
	for (size_t i = 0; i < json_object_array_length(list); i++)
		has_perp |= !strcmp(sim_jstr(json_object_array_get_idx(list, i), "symbol"), "ETHPERP");
	CU_ASSERT_FALSE(has_perp);
	CU_ASSERT_EQUAL(json_object_array_length(list), 7);
	json_object_put(o);
	CU_ASSERT_NOT_EQUAL(step("{\"account\":\"" BN
				 "\",\"op\":\"open\",\"symbol\":\"ETHPERP\",\"side\":\"BUY\",\"qty\":\"1\"}",
				 NULL, 0),
			    0);
	teardown();
}

static void test_sim_semantics_stuck_triggering(void)
{
	char id[48], p[64];
	struct json_object *o, *f;
	char err[128];
	int full, n;

	setup(0);
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=59000&"
				"closePosition=true",
				id, sizeof id),
			0);
	f = json_tokener_parse("{\"type\":\"stuck_triggering\",\"exchange\":\"binance\",\"symbol\":\"BTCUSDT\"}");
	CU_ASSERT_PTR_NOT_NULL(sim_fault_add(w, f, err, sizeof err));
	json_object_put(f);
	CU_ASSERT_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0) > 0, 1);
	mark("BTCUSDT", "58000");
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.01, 1e-12); /* never placed an order */
	CU_ASSERT_STRING_EQUAL(order(BN, id)->status, "TRIGGERING");
	CU_ASSERT_EQUAL(algo_events(atoll(id), "TRIGGERING", 0), 1);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12);
	snprintf(p, sizeof p, "algoId=%s", id);
	o = call("GET", "/fapi/v1/algoOrder", p, 0);
	CU_ASSERT_STRING_EQUAL(sim_jstr(o, "algoStatus"), "TRIGGERING");
	json_object_put(o);
	o = call("DELETE", "/fapi/v1/algoOrder", p, 0);
	CU_ASSERT_EQUAL(code_of(o, 0), -2011);
	json_object_put(o);
	o = call("GET", "/fapi/v1/openAlgoOrders", "", 0);
	CU_ASSERT_EQUAL(json_object_array_length(o), 1);
	json_object_put(o);
	/* the step op does the same to a chosen order, mark untouched */
	step("{\"account\":\"" BB "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"qty\":\"1\"}", NULL, 0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"order\",\"symbol\":\"LTCUSDT\",\"type\":\"STOP_MARKET\",\"side\":\"Sell\","
			     "\"qty\":\"1\",\"trigger\":\"75\",\"reduce_only\":true,\"client_id\":\"bot-sl\"}",
			     NULL, 0),
			0);
	CU_ASSERT_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 1);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BB
			     "\",\"op\":\"stuck_triggering\",\"symbol\":\"LTCUSDT\",\"client_id\":\"bot-sl\"}",
			     NULL, 0),
			0);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "LTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12);
	teardown();
}

/* order_log entries matching event + client id */
static struct json_object *olog_find(const char *key, const char *event, const char *client)
{
	struct sim_account *a = sim_account_find(w, key);

	for (size_t i = 0; i < json_object_array_length(a->olog); i++) {
		struct json_object *e = json_object_array_get_idx(a->olog, i);

		if (!strcmp(sim_jstr(e, "event"), event) && !strcmp(sim_jstr(e, "client_id"), client))
			return e;
	}
	return NULL;
}

static void test_sim_semantics_order_log_says_who_cancelled(void)
{
	struct json_object *e, *o;
	struct sim_account *a;
	char id[48];

	setup(0);
	/* a bot order from the scenario side, cancelled by a REST request */
	step("{\"account\":\"" BN "\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"}", NULL,
	     0);
	CU_ASSERT_EQUAL(step("{\"account\":\"" BN
			     "\",\"op\":\"order\",\"symbol\":\"BTCUSDT\",\"type\":\"STOP_MARKET\",\"side\":\"SELL\","
			     "\"trigger\":\"59000\",\"close_position\":true,\"client_id\":\"bot-sl-1\"}",
			     id, sizeof id),
			0);
	e = olog_find(BN, "create", "bot-sl-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "by"), "sim");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "type"), "STOP_MARKET");
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(e, "close_position")));
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "trigger_direction")), 2);
	o = call("DELETE", "/fapi/v1/algoOrder", "clientAlgoId=bot-sl-1", 0);
	json_object_put(o);
	e = olog_find(BN, "cancel", "bot-sl-1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "by"), "rest");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "request"), "DELETE /fapi/v1/algoOrder");
	a = sim_account_find(w, BN);
	/* request_seq names that request's /_sim/log entry */
	CU_ASSERT_EQUAL(json_object_get_int64(json_object_object_get(e, "request_seq")), a->log_seq);
	CU_ASSERT_STRING_EQUAL(
		sim_jstr(json_object_array_get_idx(a->log, json_object_array_length(a->log) - 1), "path"),
		"/fapi/v1/algoOrder");
	/* GTE_GTC algo orders expire with their position: by the engine */
	CU_ASSERT_EQUAL(bn_algo("algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=59000&"
				"closePosition=true&timeInForce=GTE_GTC&clientAlgoId=bot-gte",
				NULL, 0),
			0);
	e = olog_find(BN, "create", "bot-gte");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "by"), "rest");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "source"), "api");
	step("{\"account\":\"" BN "\",\"op\":\"close\",\"symbol\":\"BTCUSDT\"}", NULL, 0);
	e = olog_find(BN, "cancel", "bot-gte");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "by"), "engine");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "reason"), "EXPIRED");
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "status"), "EXPIRED");

	/* Bybit TP/SL cleared on close by a REST market order: engine, not rest */
	step("{\"account\":\"" BB
	     "\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"qty\":\"1\",\"client_id\":\"bot-e\"}",
	     NULL, 0);
	CU_ASSERT_EQUAL(bb_post("/v5/position/trading-stop",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":"
				"0,\"stopLoss\":\"70\",\"takeProfit\":\"90\"}",
				NULL, 0),
			0);
	CU_ASSERT_EQUAL(bb_post("/v5/order/create",
				"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Sell\",\"orderType\":"
				"\"Market\",\"qty\":\"1\",\"reduceOnly\":true,\"orderLinkId\":\"vgl-close\"}",
				NULL, 0),
			0);
	a = sim_account_find(w, BB);
	{
		int engine = 0, rest = 0;

		for (size_t i = 0; i < json_object_array_length(a->olog); i++) {
			e = json_object_array_get_idx(a->olog, i);
			if (strcmp(sim_jstr(e, "event"), "cancel"))
				continue;
			engine += !strcmp(sim_jstr(e, "by"), "engine") &&
				  !strcmp(sim_jstr(e, "reason"), "CancelByTpSlTsClear");
			rest += !strcmp(sim_jstr(e, "by"), "rest");
		}
		CU_ASSERT_EQUAL(engine, 2);
		CU_ASSERT_EQUAL(rest, 0);
	}
	e = olog_find(BB, "create", "vgl-close");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(sim_jstr(e, "request"), "POST /v5/order/create");
	teardown();
}

static void test_sim_semantics_dechunk(void)
{
	char *out = NULL;
	size_t n = 0;
	const char *ok = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-T: 1\r\n\r\n";

	CU_ASSERT_EQUAL(sim_dechunk(ok, strlen(ok), &out, &n), 1);
	CU_ASSERT_EQUAL(n, 12);
	CU_ASSERT_STRING_EQUAL(out, "hello, world");
	free(out);
	for (size_t cut = 0; cut < strlen(ok); cut++) /* every prefix: incomplete, never an error */
		CU_ASSERT_EQUAL(sim_dechunk(ok, cut, &out, &n), 0);
	CU_ASSERT_EQUAL(sim_dechunk("0\r\n\r\n", 5, &out, &n), 1);
	CU_ASSERT_EQUAL(n, 0);
	free(out);
	CU_ASSERT_EQUAL(sim_dechunk("zz\r\n", 4, &out, &n), -1);
	CU_ASSERT_EQUAL(sim_dechunk("3\r\nabcd\r\n", 9, &out, &n), -1);
	CU_ASSERT_EQUAL(sim_dechunk("3x\r\nabc\r\n", 9, &out, &n), -1);
}

static void test_sim_semantics_scenario_places_the_bots_book(void)
{
	char err[200];
	struct json_object *sc = json_tokener_parse(
		"{\"symbols\":[{\"symbol\":\"SOLPERP\",\"mark\":\"150\",\"tick\":\"0.01\",\"step\":\"0.1\","
		"\"exchange\":\"bybit\"},"
		"              "
		"{\"symbol\":\"XRPUSDT\",\"mark\":\"0.5\",\"tick\":\"0.0001\",\"step\":\"1\",\"settle\":\"usdc\"}],"
		" \"positions\":[{\"account\":\"" BN "\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\",\"qty\":\"0.01\"},"
		"              {\"account\":\"" BB "\",\"symbol\":\"SOLPERP\",\"side\":\"Sell\",\"qty\":\"2\"}],"
		" \"orders\":[{\"account\":\"" BN
		"\",\"symbol\":\"BTCUSDT\",\"type\":\"TRAILING_STOP_MARKET\",\"side\":\"SELL\",\"qty\":\"0.01\","
		"\"reduce_only\":true,\"activate_price\":\"61000\",\"callback_rate\":\"1.5\",\"client_id\":\"bot-"
		"trail\"},"
		"           {\"account\":\"" BN
		"\",\"symbol\":\"BTCUSDT\",\"type\":\"TAKE_PROFIT_MARKET\",\"side\":\"SELL\",\"qty\":\"0.01\",\"reduce_"
		"only\":true,\"trigger\":\"65000\",\"client_id\":\"bot-tp\"},"
		"           {\"account\":\"" BB
		"\",\"symbol\":\"SOLPERP\",\"type\":\"Market\",\"side\":\"Buy\",\"qty\":\"2\",\"trigger\":\"160\","
		"\"trigger_direction\":1,\"close_on_trigger\":true,\"client_id\":\"bot-sl-b\"}],"
		" \"setup\":[{\"op\":\"tpsl\",\"account\":\"" BB
		"\",\"symbol\":\"SOLPERP\",\"take_profit\":\"120\"}]}");
	struct sim_account *bn, *bb;
	struct sim_order *o;
	int full, n;

	setup(0);
	CU_ASSERT_EQUAL_FATAL(sim_scenario_load(w, sc, 1, err, sizeof err), 0);
	json_object_put(sc);
	bn = sim_account_find(w, BN);
	bb = sim_account_find(w, BB);
	CU_ASSERT_STRING_EQUAL(w->sym[sim_symbol_find(w, "SOLPERP")].settle, "USDC");
	CU_ASSERT_STRING_EQUAL(w->sym[sim_symbol_find(w, "XRPUSDT")].settle, "USDC");
	CU_ASSERT_FALSE(sim_account_has(bn, sim_symbol_find(w, "SOLPERP")));
	CU_ASSERT_DOUBLE_EQUAL(amt(BN, "BTCUSDT", 0), 0.01, 1e-12);
	o = sim_order_by_id(bn, NULL, "bot-trail", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_TRUE(o->trailing && !o->active && o->callback == 1.5);
	CU_ASSERT_PTR_NOT_NULL(sim_order_by_id(bn, NULL, "bot-tp", 1));
	o = sim_order_by_id(bb, NULL, "bot-sl-b", 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->stop_type, "Stop");
	CU_ASSERT_TRUE(o->close_on_trigger && o->trig_dir == 1);
	CU_ASSERT_DOUBLE_EQUAL(prot(BB, "SOLPERP", "BOTH", &full, &n, NULL, 0), 2, 1e-12);
	CU_ASSERT_EQUAL(full, 1);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(bb, sim_symbol_find(w, "SOLPERP"), 0)->tp, 120, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(prot(BN, "BTCUSDT", "BOTH", &full, &n, NULL, 0), 0, 1e-12); /* trailing not active, TP */
	/* a failing book entry is named */
	sc = json_tokener_parse("{\"orders\":[{\"account\":\"" BN
				"\",\"symbol\":\"LTCUSDT\",\"type\":\"STOP_MARKET\",\"side\":\"SELL\",\"trigger\":"
				"\"90\",\"qty\":\"1\"}]}");
	CU_ASSERT_EQUAL(sim_scenario_load(w, sc, 0, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "orders[0]"));
	json_object_put(sc);
	sc = json_tokener_parse("{\"orders\":{\"op\":\"order\"}}");
	CU_ASSERT_EQUAL(sim_scenario_load(w, sc, 0, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "orders must be an array"));
	json_object_put(sc);
	teardown();
}

void test_sim_semantics_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_semantics_take_profit_fires_on_profit_not_on_loss",
		  test_sim_semantics_take_profit_fires_on_profit_not_on_loss },
		{ "test_sim_semantics_binance_trailing_activates_then_fires_on_retrace",
		  test_sim_semantics_binance_trailing_activates_then_fires_on_retrace },
		{ "test_sim_semantics_bybit_trailing_stop_via_trading_stop",
		  test_sim_semantics_bybit_trailing_stop_via_trading_stop },
		{ "test_sim_semantics_stop_without_reduce_only_is_an_entry",
		  test_sim_semantics_stop_without_reduce_only_is_an_entry },
		{ "test_sim_semantics_hedge_buy_on_short_reduces_buy_on_long_adds",
		  test_sim_semantics_hedge_buy_on_short_reduces_buy_on_long_adds },
		{ "test_sim_semantics_protection_report_one_way", test_sim_semantics_protection_report_one_way },
		{ "test_sim_semantics_protection_report_hedge", test_sim_semantics_protection_report_hedge },
		{ "test_sim_semantics_usdc_settle_filter", test_sim_semantics_usdc_settle_filter },
		{ "test_sim_semantics_stuck_triggering", test_sim_semantics_stuck_triggering },
		{ "test_sim_semantics_order_log_says_who_cancelled", test_sim_semantics_order_log_says_who_cancelled },
		{ "test_sim_semantics_dechunk", test_sim_semantics_dechunk },
		{ "test_sim_semantics_scenario_places_the_bots_book",
		  test_sim_semantics_scenario_places_the_bots_book },
		{ NULL, NULL },
	};
	tu_add_suite("sim_semantics", tests);
}
