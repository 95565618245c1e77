/* vigil-sim rate limits (docs/exchange-facts.md 1.8 / 2.8) and the answer_lost
 * fault, driven through sim_rest_handle on a fixed clock:
 * - limits are off by default (any load is answered);
 * - Binance weights per documented endpoint, the calendar-minute window,
 *   429 -1003 + Retry-After past the limit, the 418 ban after more than
 *   binance_ban_after further 429s, 418 during the ban, longer repeat bans;
 * - Bybit 403 past the per-IP 5 s limit (and blocked for bybit_ban_ms), per
 *   UID per endpoint 10006 with consistent X-Bapi-Limit* headers;
 * - control endpoint, scenario key, step op, reset; /_sim/ never limited;
 * - answer_lost drop / hang / error / delay: executed, answer lost, count. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

/* a calendar minute starts at T0 - 1000 */
#define T0 (1700000040000LL + 1000)

static struct sim_world *w;

static void setup(void)
{
	w = sim_world_new(5);
	w->fake_now = T0;
	sim_world_defaults(w, 3);
}

static void resp_free(struct sim_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

static const char *hdr(const struct sim_resp *r, const char *name)
{
	for (int i = 0; i < r->hn; i++)
		if (!strcmp(r->hname[i], name))
			return r->hval[i];
	return NULL;
}

static long long hdr_ll(const struct sim_resp *r, const char *name)
{
	const char *v = hdr(r, name);

	return v ? atoll(v) : -1;
}

static long long jcode(const struct sim_resp *r, const char *key)
{
	struct json_object *o = json_tokener_parse(r->body ? r->body : "");
	long long c = o ? json_object_get_int64(json_object_object_get(o, key)) : -999999;

	json_object_put(o);
	return c;
}

/* Signed Binance request (params in the query for GET / DELETE, in the body for POST). */
static void bn(const char *method, const char *path, const char *params, struct sim_resp *r)
{
	struct sim_req rq = { 0 };
	char sig[65], *q, *full;
	int post = !strcmp(method, "POST");

	q = xasprintf("%s%stimestamp=%lld&recvWindow=5000", params, *params ? "&" : "", sim_now(w, SIM_BINANCE));
	sim_hmac_hex("sim-binance-secret", q, strlen(q), sig);
	full = xasprintf("%s&signature=%s", q, sig);
	rq.method = method;
	rq.path = path;
	rq.query = post ? "" : full;
	rq.body = post ? full : "";
	rq.body_len = strlen(rq.body);
	rq.mbx_key = "sim-binance-key";
	memset(r, 0, sizeof *r);
	sim_rest_handle(w, &rq, r);
	free(q);
	free(full);
}

static int bn_status(const char *method, const char *path, const char *params)
{
	struct sim_resp r;
	int st;

	bn(method, path, params, &r);
	st = r.status;
	resp_free(&r);
	return st;
}

static void bb(const char *method, const char *path, const char *payload, struct sim_resp *r)
{
	struct sim_req rq = { 0 };
	char sig[65], tss[32], *m;
	int post = !strcmp(method, "POST");

	snprintf(tss, sizeof tss, "%lld", sim_now(w, SIM_BYBIT));
	m = xasprintf("%ssim-bybit-key5000%s", tss, payload);
	sim_hmac_hex("sim-bybit-secret", m, strlen(m), sig);
	rq.method = method;
	rq.path = path;
	rq.query = post ? "" : payload;
	rq.body = post ? payload : "";
	rq.body_len = strlen(rq.body);
	rq.bapi_key = "sim-bybit-key";
	rq.bapi_ts = tss;
	rq.bapi_recv = "5000";
	rq.bapi_sign = sig;
	memset(r, 0, sizeof *r);
	sim_rest_handle(w, &rq, r);
	free(m);
}

/* Control API call; returns the parsed answer (caller puts). */
static struct json_object *ctl(const char *method, const char *path_q, const char *body, int *status)
{
	struct sim_req rq = { 0 };
	struct sim_resp r = { 0 };
	char path[128], *q;
	struct json_object *o;

	snprintf(path, sizeof path, "%s", path_q);
	q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	rq.method = method;
	rq.path = path;
	rq.query = q ? q : "";
	rq.body = body ? body : "";
	rq.body_len = strlen(rq.body);
	sim_rest_handle(w, &rq, &r);
	if (status)
		*status = r.status;
	o = json_tokener_parse(r.body ? r.body : "");
	resp_free(&r);
	return o;
}

static void limits(const char *js)
{
	int st = 0;

	json_object_put(ctl("POST", "/_sim/limits", js, &st));
	CU_ASSERT_EQUAL(st, 200);
}

static long long jpath(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x = json_object_object_get(o, a);

	return json_object_get_int64(json_object_object_get(x, b));
}

static int count_orders(const char *key, int open_only)
{
	struct sim_account *a = sim_account_find(w, key);
	int n = 0;

	for (size_t i = 0; i < a->norders; i++)
		n += !open_only || a->orders[i]->open;
	return n;
}

/* The last /_sim/log entry of the account. */
static struct json_object *last_log(const char *key)
{
	struct sim_account *a = sim_account_find(w, key);
	size_t n = json_object_array_length(a->log);

	return n ? json_object_array_get_idx(a->log, n - 1) : NULL;
}

static void test_sim_limits_off_by_default(void)
{
	struct sim_resp r;
	int bad = 0;

	setup();
	/* 600 x weight 5 = 3000 > the documented 2400: nothing is refused */
	for (int i = 0; i < 600; i++)
		bad += bn_status("GET", "/fapi/v3/positionRisk", "") != 200;
	CU_ASSERT_EQUAL(bad, 0);
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-USED-WEIGHT-1M"), 3001);
	resp_free(&r);
	for (int i = 0; i < 700; i++) {
		bb("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", &r);
		bad += r.status != 200 || jcode(&r, "retCode") != 0;
		resp_free(&r);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* the headers still tell the truth about the per-endpoint window */
	bb("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_STRING_EQUAL(hdr(&r, "X-Bapi-Limit"), "50");
	CU_ASSERT_STRING_EQUAL(hdr(&r, "X-Bapi-Limit-Status"), "0");
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Reset-Timestamp"), T0 + 1000);
	resp_free(&r);
	{
		struct json_object *l = ctl("GET", "/_sim/limits", NULL, NULL);

		CU_ASSERT_EQUAL(jpath(l, "config", "binance_weight_1m"), 0);
		CU_ASSERT_EQUAL(jpath(l, "config", "bybit_ip_5s"), 0);
		CU_ASSERT_EQUAL(jpath(l, "binance", "rejected_429"), 0);
		CU_ASSERT_EQUAL(jpath(l, "bybit", "rejected_10006"), 0);
		json_object_put(l);
	}
	sim_world_free(w);
}

static void test_sim_limits_binance_documented_weights(void)
{
	static const struct {
		const char *m, *path, *params;
		int weight;
	} t[] = {
		{ "GET", "/fapi/v2/positionRisk", "", 5 },
		{ "GET", "/fapi/v3/positionRisk", "", 5 },
		{ "GET", "/fapi/v3/account", "", 5 },
		{ "GET", "/fapi/v1/openOrders", "symbol=BTCUSDT", 1 },
		{ "GET", "/fapi/v1/openOrders", "", 40 },
		{ "GET", "/fapi/v1/openOrder", "symbol=BTCUSDT&orderId=1", 1 },
		{ "GET", "/fapi/v1/order", "symbol=BTCUSDT&orderId=1", 1 },
		{ "GET", "/fapi/v1/openAlgoOrders", "symbol=BTCUSDT", 1 },
		{ "GET", "/fapi/v1/openAlgoOrders", "", 40 },
		{ "GET", "/fapi/v1/algoOrder", "algoId=1", 1 },
		{ "DELETE", "/fapi/v1/algoOrder", "algoId=1", 1 },
		{ "GET", "/fapi/v1/allAlgoOrders", "symbol=BTCUSDT", 5 },
		{ "POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001", 0 },
		{ "POST", "/fapi/v1/algoOrder",
		  "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=50000&closePosition="
		  "true",
		  0 },
		{ "DELETE", "/fapi/v1/order", "symbol=BTCUSDT&orderId=1", 1 },
		{ "POST", "/fapi/v1/listenKey", "", 1 },
		{ "GET", "/fapi/v1/time", "", 1 },
		{ "GET", "/fapi/v1/positionSide/dual", "", 30 },
		{ "GET", "/fapi/v1/symbolConfig", "", 5 },
		{ "GET", "/fapi/v1/exchangeInfo", "", 1 },
	};
	struct sim_resp r;
	long long before = 0;

	setup();
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		bn(t[i].m, t[i].path, t[i].params, &r);
		CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-USED-WEIGHT-1M") - before, t[i].weight);
		if (hdr_ll(&r, "X-MBX-USED-WEIGHT-1M") - before != t[i].weight)
			fprintf(stderr, "weight %s %s?%s: %lld, want %d\n", t[i].m, t[i].path, t[i].params,
				hdr_ll(&r, "X-MBX-USED-WEIGHT-1M") - before, t[i].weight);
		before = hdr_ll(&r, "X-MBX-USED-WEIGHT-1M");
		if (!strcmp(t[i].m, "POST") && strstr(t[i].path, "/order"))
			CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-ORDER-COUNT-1M"), 1);
		resp_free(&r);
	}
	/* the window is the calendar minute: it empties when the minute turns */
	w->fake_now = T0 + 58999; /* the last ms of the minute */
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-USED-WEIGHT-1M"), before + 1);
	resp_free(&r);
	w->fake_now = T0 + 59000;
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-USED-WEIGHT-1M"), 1);
	resp_free(&r);
	{
		struct json_object *l = ctl("GET", "/_sim/limits", NULL, NULL);
		struct json_object *past = json_object_object_get(json_object_object_get(l, "binance"), "past_windows");

		CU_ASSERT_EQUAL(jpath(l, "binance", "used_weight_1m"), 1);
		CU_ASSERT_EQUAL(json_object_array_length(past), 1);
		CU_ASSERT_EQUAL(
			json_object_get_int64(json_object_object_get(json_object_array_get_idx(past, 0), "weight")),
			before + 1);
		json_object_put(l);
	}
	sim_world_free(w);
}

static void test_sim_limits_binance_429_then_418_ban(void)
{
	struct sim_resp r;
	struct json_object *l, *e;

	setup();
	limits("{\"binance_weight_1m\":100,\"binance_ban_after\":2,\"binance_ban_ms\":120000}");
	for (int i = 0; i < 20; i++) /* 20 x 5 = 100: exactly the limit */
		CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v3/positionRisk", ""), 200);
	bn("GET", "/fapi/v3/positionRisk", "", &r);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_EQUAL(jcode(&r, "code"), -1003);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "Too many requests"));
	CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 59);           /* the minute turns in 59 s */
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-MBX-USED-WEIGHT-1M"), 100); /* refused: not charged */
	resp_free(&r);
	e = last_log("sim-binance-key");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "status")), 429);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(e, "rate_limited")));
	/* weight 0 (order placement) still goes through */
	CU_ASSERT_EQUAL(bn_status("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001"), 200);
	/* two further 429s are tolerated (binance_ban_after 2)... */
	w->fake_now += 10000;
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(r.status, 429);
	CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 49);
	resp_free(&r);
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/time", ""), 429);
	/* ...the third bans the IP */
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(r.status, 418);
	CU_ASSERT_EQUAL(jcode(&r, "code"), -1003);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "banned until"));
	CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 120);
	resp_free(&r);
	/* during the ban: 418 for everything, also weight 0, also after the minute turned */
	CU_ASSERT_EQUAL(bn_status("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001"), 418);
	w->fake_now += 60000;
	bn("GET", "/fapi/v1/time", "", &r);
	CU_ASSERT_EQUAL(r.status, 418);
	CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 60);
	resp_free(&r);
	l = ctl("GET", "/_sim/limits", NULL, NULL);
	CU_ASSERT_EQUAL(jpath(l, "binance", "rejected_429"), 3);
	CU_ASSERT_EQUAL(jpath(l, "binance", "rejected_418"), 3);
	CU_ASSERT_EQUAL(jpath(l, "binance", "bans"), 1);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(json_object_object_get(l, "binance"), "banned")));
	e = json_object_object_get(
		json_object_object_get(json_object_object_get(json_object_object_get(l, "accounts"), "sim-binance-key"),
				       "endpoints"),
		"GET /fapi/v1/time");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "count")), 4);
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "limited")), 4);
	json_object_put(l);
	/* the ban ends; a repeat offender is banned twice as long */
	w->fake_now += 61000;
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/time", ""), 200); /* a new minute */
	for (int i = 0; i < 19; i++)                                 /* 1 + 19 x 5 = 96 */
		CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v3/positionRisk", ""), 200);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v3/positionRisk", ""), 429);
	bn("GET", "/fapi/v3/positionRisk", "", &r);
	CU_ASSERT_EQUAL(r.status, 418);
	CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 240);
	resp_free(&r);
	/* the limit lifted at run time: enforcement off, the ban no longer applies */
	limits("{\"binance_weight_1m\":0}");
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/time", ""), 200);
	sim_world_free(w);
}

static void test_sim_limits_binance_ban_ms_configurable(void)
{
	setup();
	limits("{\"binance_weight_1m\":10,\"binance_ban_after\":0,\"ban_ms\":2000}");
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/positionSide/dual", ""), 429); /* 30 > 10 */
	{
		struct sim_resp r;

		bn("GET", "/fapi/v1/time", "", &r); /* weight 1 fits: not a strike */
		CU_ASSERT_EQUAL(r.status, 200);
		resp_free(&r);
		bn("GET", "/fapi/v1/positionSide/dual", "", &r);
		CU_ASSERT_EQUAL(r.status, 418);
		CU_ASSERT_EQUAL(hdr_ll(&r, "Retry-After"), 2);
		resp_free(&r);
	}
	w->fake_now += 2000;
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/time", ""), 200);
	sim_world_free(w);
}

static void test_sim_limits_bybit_ip_403(void)
{
	struct sim_resp r;
	struct json_object *l;

	setup();
	limits("{\"bybit_ip_5s\":5,\"bybit_ban_ms\":10000}");
	for (int i = 0; i < 5; i++) {
		bb("GET", "/v5/position/list", "category=linear&settleCoin=USDT", &r);
		CU_ASSERT_EQUAL(r.status, 200);
		resp_free(&r);
		w->fake_now += 100;
	}
	bb("GET", "/v5/market/time", "", &r);
	CU_ASSERT_EQUAL(r.status, 403);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "access too frequent"));
	resp_free(&r);
	/* blocked for bybit_ban_ms, although the 5 s window has passed */
	w->fake_now += 6000;
	bb("GET", "/v5/position/list", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_EQUAL(r.status, 403);
	resp_free(&r);
	/* Binance is another host: not affected */
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/time", ""), 200);
	w->fake_now += 4000;
	bb("GET", "/v5/position/list", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_free(&r);
	l = ctl("GET", "/_sim/limits", NULL, NULL);
	CU_ASSERT_EQUAL(jpath(l, "bybit", "rejected_403"), 2);
	CU_ASSERT_EQUAL(jpath(l, "bybit", "bans"), 1);
	CU_ASSERT_EQUAL(jpath(l, "bybit", "ip_used_5s"), 1);
	json_object_put(l);
	sim_world_free(w);
}

static void test_sim_limits_bybit_uid_10006(void)
{
	static const char *create = "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"orderType\":"
				    "\"Limit\",\"qty\":\"0.1\",\"price\":\"50\"}";
	struct sim_resp r;
	struct json_object *l;

	setup();
	limits("{\"bybit_uid\":true}");
	for (int i = 0; i < 10; i++) {
		bb("POST", "/v5/order/create", create, &r);
		CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
		CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit"), 10);
		CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Status"), 9 - i);
		CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Reset-Timestamp"), i < 9 ? T0 + i * 10 : T0 + 1000);
		resp_free(&r);
		w->fake_now += 10;
	}
	CU_ASSERT_EQUAL(count_orders("sim-bybit-key", 1), 10);
	bb("POST", "/v5/order/create", create, &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 10006);
	CU_ASSERT_STRING_EQUAL(hdr(&r, "X-Bapi-Limit-Status"), "0");
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit"), 10);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Reset-Timestamp"), T0 + 1000);
	resp_free(&r);
	CU_ASSERT_EQUAL(count_orders("sim-bybit-key", 1), 10); /* not executed */
	/* another endpoint has its own window */
	bb("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit"), 50);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Status"), 49);
	resp_free(&r);
	/* the rolling second: the first request leaves the window at T0 + 1000 */
	w->fake_now = T0 + 1000;
	bb("POST", "/v5/order/create", create, &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
	CU_ASSERT_EQUAL(hdr_ll(&r, "X-Bapi-Limit-Status"), 0);
	resp_free(&r);
	l = ctl("GET", "/_sim/limits", NULL, NULL);
	CU_ASSERT_EQUAL(jpath(l, "bybit", "rejected_10006"), 1);
	json_object_put(l);
	/* 50/s on order/realtime */
	sim_world_free(w);
	setup();
	limits("{\"bybit_uid\":1}");
	for (int i = 0; i < 50; i++) {
		bb("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", &r);
		CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
		resp_free(&r);
	}
	bb("GET", "/v5/order/realtime", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 10006);
	resp_free(&r);
	bb("GET", "/v5/position/list", "category=linear&settleCoin=USDT", &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
	resp_free(&r);
	sim_world_free(w);
}

static void test_sim_limits_control_scenario_and_reset(void)
{
	struct json_object *o, *sc;
	char err[160];
	int st = 0;

	setup();
	/* bad keys / values are refused and change nothing */
	json_object_put(ctl("POST", "/_sim/limits", "{\"binance_weight\":5}", &st));
	CU_ASSERT_EQUAL(st, 400);
	json_object_put(ctl("POST", "/_sim/limits", "{\"binance_weight_1m\":-1}", &st));
	CU_ASSERT_EQUAL(st, 400);
	json_object_put(ctl("POST", "/_sim/limits", "{\"bybit_uid\":\"yes\"}", &st));
	CU_ASSERT_EQUAL(st, 400);
	o = ctl("POST", "/_sim/limits", "{\"binance_weight_1m\":\"7\",\"bybit_ip_5s\":3}", &st);
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_EQUAL(jpath(o, "config", "binance_weight_1m"), 7);
	CU_ASSERT_EQUAL(jpath(o, "config", "bybit_ip_5s"), 3);
	CU_ASSERT_EQUAL(jpath(o, "config", "binance_ban_ms"), 120000);
	json_object_put(o);
	/* /_sim/ is never limited nor counted */
	for (int i = 0; i < 50; i++)
		json_object_put(ctl("GET", "/_sim/state", NULL, &st));
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_EQUAL(w->wused, 0);
	/* reset: back to the start configuration (here: all off) and no state */
	CU_ASSERT_EQUAL(bn_status("GET", "/fapi/v1/positionSide/dual", ""), 429);
	json_object_put(ctl("POST", "/_sim/reset", "", &st));
	o = ctl("GET", "/_sim/limits", NULL, NULL);
	CU_ASSERT_EQUAL(jpath(o, "config", "binance_weight_1m"), 0);
	CU_ASSERT_EQUAL(jpath(o, "binance", "rejected_429"), 0);
	json_object_put(o);
	/* scenario key (at start: it becomes the reset configuration) */
	sc = json_tokener_parse("{\"limits\":{\"binance_weight_1m\":40,\"bybit_uid\":true}}");
	CU_ASSERT_EQUAL(sim_scenario_load(w, sc, 1, err, sizeof err), 0);
	json_object_put(sc);
	CU_ASSERT_EQUAL(w->lim.cfg.bn_weight_1m, 40);
	CU_ASSERT_EQUAL(w->lim.cfg.bb_uid, 1);
	limits("{\"binance_weight_1m\":0}");
	json_object_put(ctl("POST", "/_sim/reset", "", &st));
	CU_ASSERT_EQUAL(w->lim.cfg.bn_weight_1m, 40);
	sc = json_tokener_parse("{\"limits\":{\"bybit_ip\":1}}");
	CU_ASSERT_EQUAL(sim_scenario_load(w, sc, 0, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bybit_ip"));
	json_object_put(sc);
	/* step op */
	o = ctl("POST", "/_sim/step", "{\"op\":\"limits\",\"limits\":{\"binance_weight_1m\":12,\"clear\":true}}", &st);
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(o, "ok")));
	json_object_put(o);
	CU_ASSERT_EQUAL(w->lim.cfg.bn_weight_1m, 12);
	/* DELETE /_sim/limits clears windows and bans, keeps the configuration */
	w->wused = 12;
	json_object_put(ctl("DELETE", "/_sim/limits", NULL, &st));
	CU_ASSERT_EQUAL(st, 200);
	CU_ASSERT_EQUAL(w->wused, 0);
	CU_ASSERT_EQUAL(w->lim.cfg.bn_weight_1m, 12);
	sim_world_free(w);
}

static void add_fault(const char *js)
{
	int st = 0;

	json_object_put(ctl("POST", "/_sim/fault", js, &st));
	CU_ASSERT_EQUAL(st, 200);
}

static void test_sim_limits_answer_lost_binance_modes(void)
{
	static const char *order = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001";
	struct sim_resp r;
	struct json_object *e;
	int st = 0;

	setup();
	/* drop: executed (position opened), connection closed without an answer */
	add_fault("{\"type\":\"answer_lost\",\"exchange\":\"binance\",\"endpoint\":\"/fapi/v1/"
		  "order\",\"mode\":\"drop\",\"count\":1}");
	bn("POST", "/fapi/v1/order", order, &r);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_DROP);
	CU_ASSERT_EQUAL(r.delay_ms, 0);
	resp_free(&r);
	CU_ASSERT_EQUAL(count_orders("sim-binance-key", 0), 1);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-binance-key"), sim_symbol_find(w, "BTCUSDT"), 0)->amt,
			       0.001, 1e-12);
	e = last_log("sim-binance-key");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(e, "answer_lost")), "drop");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "status")), 0);
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(e, "lost_status")), 200);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(json_object_object_get(e, "lost_answer")), "\"orderId\""));
	/* count 1: the next one is answered */
	bn("POST", "/fapi/v1/order", order, &r);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_NONE);
	CU_ASSERT_EQUAL(r.status, 200);
	resp_free(&r);
	CU_ASSERT_EQUAL(count_orders("sim-binance-key", 0), 2);
	json_object_put(ctl("DELETE", "/_sim/faults", NULL, &st));

	/* hang: executed, never answered */
	add_fault("{\"type\":\"answer_lost\",\"exchange\":\"binance\",\"mode\":\"hang\",\"count\":1}");
	bn("GET", "/fapi/v3/positionRisk", "", &r); /* a read: not affected, count kept */
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_NONE);
	resp_free(&r);
	bn("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0", &r); /* refused: not affected */
	CU_ASSERT_EQUAL(r.status, 400);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_NONE);
	resp_free(&r);
	bn("POST", "/fapi/v1/algoOrder",
	   "algoType=CONDITIONAL&symbol=BTCUSDT&side=SELL&type=STOP_MARKET&triggerPrice=50000&closePosition=true", &r);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_HANG);
	resp_free(&r);
	CU_ASSERT_EQUAL(count_orders("sim-binance-key", 1), 1); /* the algo order is live */
	json_object_put(ctl("DELETE", "/_sim/faults", NULL, &st));

	/* error: 503 -1000 "execution status unknown", the cancel was done */
	add_fault("{\"type\":\"answer_lost\",\"exchange\":\"binance\",\"endpoint\":\"/fapi/v1/"
		  "algoOrder\",\"mode\":\"error\",\"count\":1}");
	{
		struct sim_account *a = sim_account_find(w, "sim-binance-key");
		char q[64];

		for (size_t i = 0; i < a->norders; i++)
			if (a->orders[i]->open)
				snprintf(q, sizeof q, "algoId=%lld", a->orders[i]->id);
		bn("DELETE", "/fapi/v1/algoOrder", q, &r);
	}
	CU_ASSERT_EQUAL(r.status, 503);
	CU_ASSERT_EQUAL(jcode(&r, "code"), -1000);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "Unknown error, please check your request or try again later."));
	CU_ASSERT_PTR_NOT_NULL(hdr(&r, "X-MBX-USED-WEIGHT-1M"));
	resp_free(&r);
	CU_ASSERT_EQUAL(count_orders("sim-binance-key", 1), 0); /* cancelled */
	json_object_put(ctl("DELETE", "/_sim/faults", NULL, &st));

	/* delay: executed at once, answered after ms */
	add_fault("{\"type\":\"answer_lost\",\"mode\":\"delay\",\"ms\":1500}");
	bn("POST", "/fapi/v1/order", "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.002", &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_NONE);
	CU_ASSERT_EQUAL(r.delay_ms, 1500);
	resp_free(&r);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-binance-key"), sim_symbol_find(w, "BTCUSDT"), 0)->amt,
			       0, 1e-12);
	{
		struct json_object *l = sim_fault_list(w);

		CU_ASSERT_STRING_EQUAL(
			json_object_get_string(json_object_object_get(json_object_array_get_idx(l, 0), "mode")),
			"delay");
		CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(json_object_array_get_idx(l, 0), "hits")),
				1);
		json_object_put(l);
	}
	/* bad mode refused */
	json_object_put(ctl("POST", "/_sim/fault", "{\"type\":\"answer_lost\",\"mode\":\"lose\"}", &st));
	CU_ASSERT_EQUAL(st, 400);
	sim_world_free(w);
}

static void test_sim_limits_answer_lost_bybit_modes(void)
{
	struct sim_resp r;
	int st = 0;

	setup();
	add_fault("{\"type\":\"answer_lost\",\"exchange\":\"bybit\",\"mode\":\"error\",\"count\":2}");
	bb("POST", "/v5/order/create",
	   "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"orderType\":\"Market\",\"qty\":\"1\","
	   "\"orderLinkId\":\"vgl-x1\"}",
	   &r);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 10016);
	resp_free(&r);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-bybit-key"), sim_symbol_find(w, "LTCUSDT"), 0)->amt, 1,
			       1e-12);
	/* trading-stop: the stop is set although the answer said 10016 */
	bb("POST", "/v5/position/trading-stop",
	   "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"positionIdx\":0,\"tpslMode\":\"Full\",\"stopLoss\":"
	   "\"70\"}",
	   &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 10016);
	resp_free(&r);
	CU_ASSERT_DOUBLE_EQUAL(sim_pos(sim_account_find(w, "sim-bybit-key"), sim_symbol_find(w, "LTCUSDT"), 0)->sl, 70,
			       1e-12);
	/* count 2 used up */
	bb("POST", "/v5/order/create",
	   "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"side\":\"Buy\",\"orderType\":\"Limit\",\"qty\":\"1\","
	   "\"price\":\"50\",\"orderLinkId\":\"vgl-x2\"}",
	   &r);
	CU_ASSERT_EQUAL(jcode(&r, "retCode"), 0);
	resp_free(&r);
	json_object_put(ctl("DELETE", "/_sim/faults", NULL, &st));
	/* cancel, drop */
	add_fault("{\"type\":\"answer_lost\",\"exchange\":\"bybit\",\"endpoint\":\"/v5/order/"
		  "cancel\",\"mode\":\"drop\"}");
	bb("POST", "/v5/order/cancel", "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"orderLinkId\":\"vgl-x2\"}",
	   &r);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_DROP);
	resp_free(&r);
	{
		struct sim_order *o = sim_order_by_id(sim_account_find(w, "sim-bybit-key"), NULL, "vgl-x2", 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		CU_ASSERT_FALSE(o->open);
	}
	/* a failed cancel (no such order) is answered, the fault stays */
	bb("POST", "/v5/order/cancel", "{\"category\":\"linear\",\"symbol\":\"LTCUSDT\",\"orderLinkId\":\"vgl-x2\"}",
	   &r);
	CU_ASSERT_EQUAL(r.lost, SIM_LOST_NONE);
	CU_ASSERT_NOT_EQUAL(jcode(&r, "retCode"), 0);
	resp_free(&r);
	sim_world_free(w);
}

void test_sim_limits_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_sim_limits_off_by_default", test_sim_limits_off_by_default },
		{ "test_sim_limits_binance_documented_weights", test_sim_limits_binance_documented_weights },
		{ "test_sim_limits_binance_429_then_418_ban", test_sim_limits_binance_429_then_418_ban },
		{ "test_sim_limits_binance_ban_ms_configurable", test_sim_limits_binance_ban_ms_configurable },
		{ "test_sim_limits_bybit_ip_403", test_sim_limits_bybit_ip_403 },
		{ "test_sim_limits_bybit_uid_10006", test_sim_limits_bybit_uid_10006 },
		{ "test_sim_limits_control_scenario_and_reset", test_sim_limits_control_scenario_and_reset },
		{ "test_sim_limits_answer_lost_binance_modes", test_sim_limits_answer_lost_binance_modes },
		{ "test_sim_limits_answer_lost_bybit_modes", test_sim_limits_answer_lost_bybit_modes },
		{ NULL, NULL },
	};
	tu_add_suite("sim_limits", tests);
}
