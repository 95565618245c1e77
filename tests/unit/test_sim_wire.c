/* vigil-sim wire shapes: the JSON the sim sends for each endpoint / stream
 * event carries every key of the matching real payload in
 * tests/data (recursive key-set compare), and for doc fixtures (the
 * live API's types) the same JSON types. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static struct sim_world *w;
static char *last[8]; /* captured stream payloads by topic */
static const char *topics[8] = { "ORDER_TRADE_UPDATE", "ALGO_UPDATE", "ACCOUNT_UPDATE", "listenKeyExpired",
				 "position",           "order",       "execution",      "wallet" };

static void capture(struct sim_world *ww, struct sim_account *a, const char *topic, const char *payload)
{
	(void)ww, (void)a;
	for (int i = 0; i < 8; i++)
		if (!strcmp(topic, topics[i])) {
			free(last[i]);
			last[i] = xstrdup(payload);
		}
}

static struct json_object *captured(const char *topic)
{
	for (int i = 0; i < 8; i++)
		if (!strcmp(topic, topics[i]) && last[i])
			return json_tokener_parse(last[i]);
	return NULL;
}

static int same_type(struct json_object *a, struct json_object *b)
{
	json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (ta == json_type_null)
		return 1;
	if ((ta == json_type_int || ta == json_type_double) && (tb == json_type_int || tb == json_type_double))
		return 1;
	return ta == tb;
}

/* Every key of fx must be in got (recursively; arrays by first element). */
static int covers(struct json_object *fx, struct json_object *got, const char *path, int types, char *err, size_t n)
{
	char sub[256];

	if (types && !same_type(fx, got)) {
		snprintf(err, n, "%s: type %s, fixture has %s", path, json_type_to_name(json_object_get_type(got)),
			 json_type_to_name(json_object_get_type(fx)));
		return 0;
	}
	/* maps keyed by data (coin -> fee) compare as objects only */
	if (strstr(path, ".cumFeeDetail") && !strchr(strstr(path, ".cumFeeDetail") + 1, '.'))
		return json_object_is_type(got, json_type_object);
	if (json_object_is_type(fx, json_type_object)) {
		if (!json_object_is_type(got, json_type_object)) {
			snprintf(err, n, "%s: not an object", path);
			return 0;
		}
		json_object_object_foreach(fx, k, v)
		{
			struct json_object *g;

			snprintf(sub, sizeof sub, "%s.%s", path, k);
			if (!json_object_object_get_ex(got, k, &g)) {
				snprintf(err, n, "%s: missing", sub);
				return 0;
			}
			if (!covers(v, g, sub, types, err, n))
				return 0;
		}
	} else if (json_object_is_type(fx, json_type_array) && json_object_array_length(fx) > 0) {
		if (!json_object_is_type(got, json_type_array) || json_object_array_length(got) == 0) {
			snprintf(err, n, "%s: empty or not an array", path);
			return 0;
		}
		snprintf(sub, sizeof sub, "%s[0]", path);
		return covers(json_object_array_get_idx(fx, 0), json_object_array_get_idx(got, 0), sub, types, err, n);
	}
	return 1;
}

/* fixture file vs sim JSON (consumed). sel: optional sub-path of both
 * ("result.list" etc. handled by caller). */
static void expect_covers(const char *fixture, struct json_object *got, int types)
{
	struct json_object *fx = json_object_from_file(tu_fixture(fixture));
	char err[512] = "";
	int ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fx);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	ok = covers(fx, got, "$", types, err, sizeof err);
	if (!ok)
		fprintf(stderr, "fixture %s: %s\n", fixture, err);
	CU_ASSERT_TRUE(ok);
	json_object_put(fx);
	json_object_put(got);
}

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
		rq.mbx_key = "sim-binance-key";
	} else {
		snprintf(tss, sizeof tss, "%lld", now);
		m = xasprintf("%ssim-bybit-key5000%s", tss, params);
		sim_hmac_hex("sim-bybit-secret", m, strlen(m), sig);
		rq.query = post ? "" : params;
		rq.body = post ? params : "";
		rq.bapi_key = "sim-bybit-key";
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

static struct json_object *step(const char *js)
{
	struct json_object *s = json_tokener_parse(js), *ans = json_object_new_object();

	sim_step_run(w, s, ans);
	json_object_put(s);
	return ans;
}

static void setup(void)
{
	w = sim_world_new(3);
	sim_world_defaults(w, 3);
	w->emit = capture;
	json_object_put(step("{\"account\":\"sim-binance-key\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"BUY\","
			     "\"qty\":\"0.009\"}"));
	json_object_put(step("{\"account\":\"sim-bybit-key\",\"op\":\"open\",\"symbol\":\"LTCUSDT\",\"side\":\"BUY\","
			     "\"qty\":\"1.2\"}"));
}

static void teardown(void)
{
	sim_world_free(w);
	for (int i = 0; i < 8; i++) {
		free(last[i]);
		last[i] = NULL;
	}
}

static void test_sim_wire_binance_rest_shapes(void)
{
	struct json_object *o;
	char q[128];
	long long id;

	setup();

	expect_covers("binance/server-time-doc.json", call("GET", "/fapi/v1/time", "", 0), 1);
	expect_covers("binance/position-risk-v3-oneway-long-btcusdt.json", call("GET", "/fapi/v3/positionRisk", "", 0),
		      0);
	expect_covers("binance/account-v3-with-position.json", call("GET", "/fapi/v3/account", "", 0), 0);
	o = call("POST", "/fapi/v1/order", "symbol=LTCUSDT&side=BUY&type=LIMIT&quantity=0.2&price=50&timeInForce=GTX",
		 0);
	id = json_object_get_int64(json_object_object_get(o, "orderId"));
	{
		struct json_object *arr = json_object_new_array();

		json_object_array_add(arr, o);
		expect_covers("binance/batch-orders-place-limit-response.json", arr, 1);
	}
	snprintf(q, sizeof q, "symbol=LTCUSDT&orderId=%lld", id);
	expect_covers("binance/open-order-limit-gtx-ltcusdt.json", call("GET", "/fapi/v1/openOrder", q, 0), 0);
	expect_covers("binance/error-2011-unknown-order-sent.json",
		      call("DELETE", "/fapi/v1/order", "symbol=LTCUSDT&orderId=1", 0), 1);
	expect_covers("binance/error-4120-stop-order-switch-algo.json",
		      call("POST", "/fapi/v1/order",
			   "symbol=BTCUSDT&side=SELL&type=STOP_MARKET&stopPrice=50000&closePosition=true", 0),
		      1);
	o = call("POST", "/fapi/v1/algoOrder",
		 "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=50000&closePosition=true&"
		 "clientAlgoId=vgl-sl-1",
		 0);
	id = json_object_get_int64(json_object_object_get(o, "algoId"));
	expect_covers("binance/algo-order-new-response-doc.json", o, 1);
	expect_covers("binance/open-algo-orders-doc.json", call("GET", "/fapi/v1/openAlgoOrders", "", 0), 1);
	snprintf(q, sizeof q, "algoId=%lld", id);
	expect_covers("binance/algo-order-cancel-response-doc.json", call("DELETE", "/fapi/v1/algoOrder", q, 0), 1);
	expect_covers("binance/algo-order-query-canceled-doc.json", call("GET", "/fapi/v1/algoOrder", q, 0), 1);
	teardown();
}

static void test_sim_wire_binance_stream_shapes(void)
{
	setup();
	json_object_put(call(
		"POST", "/fapi/v1/algoOrder",
		"algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=50000&closePosition=true",
		0));
	expect_covers("binance/ws-order-trade-update-doc.json", captured("ORDER_TRADE_UPDATE"), 1);
	expect_covers("binance/ws-account-update-doc.json", captured("ACCOUNT_UPDATE"), 1);
	expect_covers("binance/ws-algo-update-canceled-doc.json", captured("ALGO_UPDATE"), 1);
	teardown();
}

static void test_sim_wire_bybit_rest_shapes(void)
{
	struct json_object *o;
	const char *oid;
	char *body;

	setup();

	expect_covers("bybit/server-time-doc.json", call("GET", "/v5/market/time", "", 1), 1);
	expect_covers("bybit/position-list-linear-long-ltcusdt.json",
		      call("GET", "/v5/position/list", "category=linear&symbol=LTCUSDT", 1), 0);
	json_object_put(step("{\"account\":\"sim-bybit-key\",\"op\":\"open\",\"symbol\":\"BTCUSDT\",\"side\":\"SELL\","
			     "\"qty\":\"0.3\"}"));
	expect_covers("bybit/position-list-doc-inverse-short.json",
		      call("GET", "/v5/position/list", "category=linear&symbol=BTCUSDT", 1), 1);
	expect_covers("bybit/execution-list-linear-trade.json",
		      call("GET", "/v5/execution/list", "category=linear&symbol=LTCUSDT", 1), 0);
	expect_covers("bybit/order-history-linear-filled-market.json",
		      call("GET", "/v5/order/history", "category=linear&symbol=LTCUSDT", 1), 0);
	o = call("POST", "/v5/order/create",
		 "{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"side\":\"Buy\",\"orderType\":\"Limit\",\"qty\":\"0."
		 "10\",\"price\":\"1600\",\"orderLinkId\":\"vgl-1\"}",
		 1);
	oid = json_object_get_string(json_object_object_get(json_object_object_get(o, "result"), "orderId"));
	body = xasprintf("{\"category\":\"linear\",\"symbol\":\"ETHUSDT\",\"orderId\":\"%s\"}", oid);
	expect_covers("bybit/order-create-response.json", o, 0);
	expect_covers("bybit/order-realtime-doc-linear-limit-with-tpsl.json",
		      call("GET", "/v5/order/realtime", "category=linear&symbol=ETHUSDT", 1), 1);
	expect_covers("bybit/order-cancel-response-doc.json", call("POST", "/v5/order/cancel", body, 1), 1);
	free(body);
	expect_covers("bybit/trading-stop-response-doc.json",
		      call("POST", "/v5/position/trading-stop",
			   "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"tpslMode\":\"Full\",\"positionIdx\":0,"
			   "\"stopLoss\":\"70\"}",
			   1),
		      1);
	expect_covers("bybit/error-110017-reduce-only-recorded.json",
		      call("POST", "/v5/order/create",
			   "{\"category\":\"linear\",\"symbol\":\"SKLUSDT\",\"side\":\"Sell\",\"orderType\":\"Market\","
			   "\"qty\":\"10\",\"reduceOnly\":true}",
			   1),
		      1);
	teardown();
}

static void data_covers(const char *fx, const char *topic, int types)
{
	struct json_object *f = json_object_from_file(tu_fixture(fx)), *d, *got = captured(topic);
	char err[512] = "";
	int ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	d = json_object_object_get(f, "data");
	if (!d) /* REST list fixture (execution-list) */
		d = json_object_object_get(json_object_object_get(f, "result"), "list");
	ok = covers(d, got, topic, types, err, sizeof err);
	if (!ok)
		fprintf(stderr, "fixture %s: %s\n", fx, err);
	CU_ASSERT_TRUE(ok);
	json_object_put(f);
	json_object_put(got);
}

static void test_sim_wire_bybit_stream_shapes(void)
{
	struct json_object *acct = NULL;
	char subs[4][24] = { { 0 } }, *reply = NULL, msg[256], sig[65], pl[64];
	long long exp = sim_real_ms() + 10000;
	struct sim_account *a = NULL;

	setup();

	data_covers("bybit/ws-position-doc.json", "position", 1);
	data_covers("bybit/ws-order-doc-option.json", "order", 1);
	data_covers("bybit/ws-wallet-doc.json", "wallet", 1);
	data_covers("bybit/execution-list-linear-trade.json", "execution", 0);
	snprintf(pl, sizeof pl, "GET/realtime%lld", exp);
	sim_hmac_hex("sim-bybit-secret", pl, strlen(pl), sig);
	snprintf(msg, sizeof msg, "{\"op\":\"auth\",\"args\":[\"sim-bybit-key\",%lld,\"%s\"]}", exp, sig);
	sim_bb_ws_op(w, msg, strlen(msg), &a, subs, "c1", &reply);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	expect_covers("bybit/ws-auth-success-doc.json", json_tokener_parse(reply), 1);
	CU_ASSERT_PTR_NOT_NULL(a);
	free(reply);
	/* a bad signature is refused */
	a = NULL;
	snprintf(msg, sizeof msg, "{\"op\":\"auth\",\"args\":[\"sim-bybit-key\",%lld,\"%064d\"]}", exp, 0);
	sim_bb_ws_op(w, msg, strlen(msg), &a, subs, "c1", &reply);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"success\":false"));
	free(reply);
	(void)acct;
	teardown();
}

void test_sim_wire_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_wire_binance_rest_shapes", test_sim_wire_binance_rest_shapes },
		{ "test_sim_wire_binance_stream_shapes", test_sim_wire_binance_stream_shapes },
		{ "test_sim_wire_bybit_rest_shapes", test_sim_wire_bybit_rest_shapes },
		{ "test_sim_wire_bybit_stream_shapes", test_sim_wire_bybit_stream_shapes },
		{ NULL, NULL },
	};
	tu_add_suite("sim_wire", tests);
}
