/* vigil-sim signing: the official Binance HMAC vectors, Bybit's string to
 * sign (our vectors, docs/exchange-facts.md 2.2), and the REST auth
 * answers (-1022 / -1021 / -2015, 10004 / 10002 / 10003) in process. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static void test_sim_sign_binance_official_vector(void)
{
	char out[65];
	const char *msg = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&"
			  "timestamp=1591702613943";

	sim_hmac_hex("2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9", msg, strlen(msg), out);
	CU_ASSERT_STRING_EQUAL(out, "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

static void test_sim_sign_binance_spot_vector(void)
{
	const char *msg = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
			  "timestamp=1499827319559";
	const char *sec = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

	CU_ASSERT_TRUE(
		sim_sig_ok(sec, msg, strlen(msg), "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"));
	/* Binance treats the hex case-insensitively */
	CU_ASSERT_TRUE(
		sim_sig_ok(sec, msg, strlen(msg), "C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71"));
	CU_ASSERT_FALSE(sim_sig_ok(sec, msg, strlen(msg) - 1,
				   "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"));
	CU_ASSERT_FALSE(sim_sig_ok(sec, msg, strlen(msg), "c8db5682"));
	CU_ASSERT_FALSE(sim_sig_ok(sec, msg, strlen(msg), NULL));
}

static void test_sim_sign_bybit_vectors(void)
{
	static const struct {
		const char *m, *h;
	} v[] = {
		{ "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C",
		  "44cd56dd7f586d4c0f7374b4ea02c8605d31f5c1eb48ef865cfd2236378f1678" },
		{ "1658385579423XXXXXXXXXX5000{\"category\": \"option\"}",
		  "df5050fe26da2a69f633ffd909968d7a5234623cf215c08229a1e78d27aa5528" },
		{ "GET/realtime1662350400000", "15fb3c95518f3b90ae93f4bc1e31adb7e167feb1286f8349d259270f69661eb9" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char out[65];

		sim_hmac_hex("test-secret-0123456789", v[i].m, strlen(v[i].m), out);
		CU_ASSERT_STRING_EQUAL(out, v[i].h);
	}
}

/* --- in-process REST calls ------------------------------------------- */

static struct sim_world *mkworld(void)
{
	struct sim_world *w = sim_world_new(7);

	sim_world_defaults(w, 3);
	return w;
}

static int bn_call(struct sim_world *w, const char *method, const char *path, const char *params, const char *secret,
		   long long ts, char **body)
{
	struct sim_req rq = { 0 };
	struct sim_resp r = { 0 };
	char sig[65], *q, *full;
	int post = !strcmp(method, "POST"), st;

	q = xasprintf("%s%stimestamp=%lld&recvWindow=5000", params, *params ? "&" : "", ts);
	sim_hmac_hex(secret, q, strlen(q), sig);
	full = xasprintf("%s&signature=%s", q, sig);
	rq.method = method;
	rq.path = path;
	rq.query = post ? "" : full;
	rq.body = post ? full : "";
	rq.body_len = strlen(rq.body);
	rq.mbx_key = "sim-binance-key";
	sim_rest_handle(w, &rq, &r);
	st = r.status;
	*body = r.body;
	free(q);
	free(full);
	return st;
}

static int bb_call(struct sim_world *w, const char *method, const char *path, const char *payload, const char *secret,
		   long long ts, char **body)
{
	struct sim_req rq = { 0 };
	struct sim_resp r = { 0 };
	char sig[65], tss[32], *m;
	int post = !strcmp(method, "POST");

	snprintf(tss, sizeof tss, "%lld", ts);
	m = xasprintf("%ssim-bybit-key5000%s", tss, payload);
	sim_hmac_hex(secret, m, strlen(m), sig);
	rq.method = method;
	rq.path = path;
	rq.query = post ? "" : payload;
	rq.body = post ? payload : "";
	rq.body_len = strlen(rq.body);
	rq.bapi_key = "sim-bybit-key";
	rq.bapi_ts = tss;
	rq.bapi_recv = "5000";
	rq.bapi_sign = sig;
	sim_rest_handle(w, &rq, &r);
	*body = r.body;
	free(m);
	return r.status;
}

static long long code_of(const char *body, const char *key)
{
	struct json_object *o = json_tokener_parse(body);
	long long c = o ? json_object_get_int64(json_object_object_get(o, key)) : -999999;

	json_object_put(o);
	return c;
}

static void test_sim_sign_binance_rest_auth_codes(void)
{
	struct sim_world *w = mkworld();
	long long now = sim_real_ms();
	char *b;

	CU_ASSERT_EQUAL(bn_call(w, "GET", "/fapi/v3/positionRisk", "", "sim-binance-secret", now, &b), 200);
	free(b);
	CU_ASSERT_EQUAL(bn_call(w, "GET", "/fapi/v3/positionRisk", "", "wrong-secret", now, &b), 400);
	CU_ASSERT_EQUAL(code_of(b, "code"), -1022);
	free(b);
	CU_ASSERT_EQUAL(bn_call(w, "GET", "/fapi/v3/account", "", "sim-binance-secret", now - 60000, &b), 400);
	CU_ASSERT_EQUAL(code_of(b, "code"), -1021);
	free(b);
	CU_ASSERT_EQUAL(bn_call(w, "GET", "/fapi/v3/account", "", "sim-binance-secret", now + 5000, &b), 400);
	CU_ASSERT_EQUAL(code_of(b, "code"), -1021);
	free(b);
	/* POST: the signature covers the form body */
	CU_ASSERT_EQUAL(bn_call(w, "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
				"sim-binance-secret", now, &b),
			200);
	free(b);
	CU_ASSERT_EQUAL(bn_call(w, "POST", "/fapi/v1/order",
				"symbol=BTCUSDT&side=SELL&type=STOP_MARKET&stopPrice=1&closePosition=true",
				"sim-binance-secret", now, &b),
			400);
	CU_ASSERT_EQUAL(code_of(b, "code"), -4120);
	free(b);
	sim_world_free(w);
}

static void test_sim_sign_bybit_rest_auth_codes(void)
{
	struct sim_world *w = mkworld();
	long long now = sim_real_ms();
	char *b;

	bb_call(w, "GET", "/v5/position/list", "category=linear&settleCoin=USDT", "sim-bybit-secret", now, &b);
	CU_ASSERT_EQUAL(code_of(b, "retCode"), 0);
	free(b);
	bb_call(w, "GET", "/v5/position/list", "category=linear&settleCoin=USDT", "nope", now, &b);
	CU_ASSERT_EQUAL(code_of(b, "retCode"), 10004);
	free(b);
	bb_call(w, "GET", "/v5/position/list", "category=linear&settleCoin=USDT", "sim-bybit-secret", now - 30000, &b);
	CU_ASSERT_EQUAL(code_of(b, "retCode"), 10002);
	free(b);
	bb_call(w, "POST", "/v5/order/create",
		"{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Sell\",\"orderType\":\"Market\",\"qty\":"
		"\"0.1\",\"reduceOnly\":true}",
		"sim-bybit-secret", now, &b);
	CU_ASSERT_EQUAL(code_of(b, "retCode"), 110017);
	free(b);
	sim_world_free(w);
}

void test_sim_sign_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_sign_binance_official_vector", test_sim_sign_binance_official_vector },
		{ "test_sim_sign_binance_spot_vector", test_sim_sign_binance_spot_vector },
		{ "test_sim_sign_bybit_vectors", test_sim_sign_bybit_vectors },
		{ "test_sim_sign_binance_rest_auth_codes", test_sim_sign_binance_rest_auth_codes },
		{ "test_sim_sign_bybit_rest_auth_codes", test_sim_sign_bybit_rest_auth_codes },
		{ NULL, NULL },
	};
	tu_add_suite("sim_sign", tests);
}
