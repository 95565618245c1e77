/* Adapter plumbing without a network: lenient JSON getters, result names,
 * decimal formatting, construction checks, and the refusals that must send
 * nothing (unknown position side: AVLUSDT). */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/exchange.h"
#include "exchanges/http.h"
#include "exchanges/jsonx.h"
#include "tests/support/testutil.h"

static void test_json_numbers_as_strings_or_numbers(void)
{
	const char *j = "{\"a\":\"1.5\",\"b\":2,\"c\":\"\",\"d\":null,\"e\":\"x1\",\"f\":3.25,\"g\":\"123456789012\","
			"\"h\":\"true\",\"i\":false,\"k\":\" 7 \"}";
	struct json_object *o = xch_json_parse(j, strlen(j));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	double d;
	int64_t n;
	CU_ASSERT_TRUE(xch_json_num(o, "a", &d));
	CU_ASSERT_DOUBLE_EQUAL(d, 1.5, 0);
	CU_ASSERT_TRUE(xch_json_num(o, "b", &d));
	CU_ASSERT_DOUBLE_EQUAL(d, 2, 0);
	CU_ASSERT_FALSE(xch_json_num(o, "c", &d));
	CU_ASSERT_FALSE(xch_json_num(o, "d", &d));
	CU_ASSERT_FALSE(xch_json_num(o, "e", &d));
	CU_ASSERT_FALSE(xch_json_num(o, "missing", &d));
	CU_ASSERT_DOUBLE_EQUAL(xch_json_numd(o, "e", -1), -1, 0);
	CU_ASSERT_TRUE(xch_json_i64(o, "g", &n));
	CU_ASSERT_EQUAL(n, 123456789012LL);
	CU_ASSERT_FALSE(xch_json_i64(o, "f", &n)); /* not whole */
	CU_ASSERT_TRUE(xch_json_i64(o, "k", &n));
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_TRUE(xch_json_bool(o, "h", false));
	CU_ASSERT_FALSE(xch_json_bool(o, "i", true));
	CU_ASSERT_TRUE(xch_json_bool(o, "missing", true));
	CU_ASSERT_STRING_EQUAL(xch_json_str(o, "b"), "2");
	CU_ASSERT_PTR_NULL(xch_json_str(o, "d"));
	char buf[4];
	CU_ASSERT_TRUE(xch_json_copy(o, "g", buf, sizeof buf));
	CU_ASSERT_STRING_EQUAL(buf, "123");
	/* getters on NULL / non-objects are "missing" */
	CU_ASSERT_FALSE(xch_json_num(NULL, "a", &d));
	CU_ASSERT_PTR_NULL(xch_json_get(xch_json_get(o, "a"), "x"));
	json_object_put(o);
}

static void test_json_parse_rejects_truncated_and_trailing(void)
{
	CU_ASSERT_PTR_NULL(xch_json_parse("{\"a\":1", 6));
	CU_ASSERT_PTR_NULL(xch_json_parse("{} {}", 5));
	CU_ASSERT_PTR_NULL(xch_json_parse("", 0));
	CU_ASSERT_PTR_NULL(xch_json_parse(NULL, 3));
	struct json_object *o = xch_json_parse("[1] \n", 5);
	CU_ASSERT_PTR_NOT_NULL(o);
	json_object_put(o);
}

static void test_rc_names_and_transient_classes(void)
{
	CU_ASSERT_STRING_EQUAL(xch_rc_name(XCH_OK), "OK");
	CU_ASSERT_STRING_EQUAL(xch_rc_name(XCH_NOT_SUPPORTED), "NOT_SUPPORTED");
	CU_ASSERT_STRING_EQUAL(xch_rc_name(XCH_NO_POSITION), "NO_POSITION");
	CU_ASSERT_STRING_EQUAL(xch_rc_name((enum xch_rc)999), "UNKNOWN");
	for (int i = 0; i < XCH_RC_COUNT; i++)
		CU_ASSERT_STRING_NOT_EQUAL(xch_rc_name((enum xch_rc)i), "UNKNOWN");
	CU_ASSERT_TRUE(xch_rc_transient(XCH_RATELIMIT));
	CU_ASSERT_TRUE(xch_rc_transient(XCH_TIMEOUT));
	CU_ASSERT_TRUE(xch_rc_transient(XCH_NETWORK));
	CU_ASSERT_TRUE(xch_rc_transient(XCH_SERVER));
	CU_ASSERT_FALSE(xch_rc_transient(XCH_AUTH));
	CU_ASSERT_FALSE(xch_rc_transient(XCH_BANNED));
	CU_ASSERT_FALSE(xch_rc_transient(XCH_MALFORMED));
}

static void test_urlencode_escapes_reserved_characters(void)
{
	char *e = xch_urlencode("vgl-a b/c");
	CU_ASSERT_STRING_EQUAL(e, "vgl-a%20b%2Fc");
	free(e);
}

static struct xch_config cfg_for(enum rec_exchange ex)
{
	struct xch_config c;
	memset(&c, 0, sizeof c);
	c.exchange = ex;
	strcpy(c.account, "t");
	strcpy(c.rest_url, "http://127.0.0.1:1");
	strcpy(c.ws_url, "ws://127.0.0.1:1");
	c.api_key = "key-AAAA";
	c.api_secret = "secret-BBBB";
	c.connect_timeout_ms = 200;
	c.request_timeout_ms = 500;
	return c;
}

static void test_new_refuses_missing_key_and_url(void)
{
	struct xch_err err;
	struct xch_config c = cfg_for(REC_EX_BINANCE);
	c.api_secret = "";
	CU_ASSERT_PTR_NULL(xch_new(&c, &err));
	CU_ASSERT_EQUAL(err.rc, XCH_AUTH);
	c = cfg_for(REC_EX_BYBIT);
	c.rest_url[0] = '\0';
	CU_ASSERT_PTR_NULL(xch_new(&c, &err));
	c = cfg_for(REC_EX_BYBIT);
	c.exchange = (enum rec_exchange)7;
	CU_ASSERT_PTR_NULL(xch_new(&c, &err));
	CU_ASSERT_PTR_NULL(xch_new(NULL, &err));
	xch_free(NULL);
}

static void test_unknown_side_close_and_stop_send_nothing(void)
{
	for (int ex = 0; ex < 2; ex++) {
		struct xch_config c = cfg_for((enum rec_exchange)ex);
		struct xch_err err;
		struct xch *x = xch_new(&c, &err);
		CU_ASSERT_PTR_NOT_NULL_FATAL(x);
		CU_ASSERT_STRING_EQUAL(x->ops->name, ex == 0 ? "binance" : "bybit");
		struct xch_close_req cr = { .symbol = "AVLUSDT", .position_side = REC_SIDE_UNKNOWN, .qty = 43 };
		struct xch_ack ack;
		CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ack, &err), XCH_REJECTED);
		CU_ASSERT_EQUAL(err.rc, XCH_REJECTED);
		cr.position_side = REC_SIDE_LONG;
		cr.qty = 0;
		CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ack, &err), XCH_NO_POSITION);
		struct xch_stop_req sr = { .symbol = "AVLUSDT",
					   .position_side = REC_SIDE_UNKNOWN,
					   .trigger_price = 0.2 };
		CU_ASSERT_EQUAL(x->ops->place_stop(x, &sr, &ack, &err), XCH_REJECTED);
		CU_ASSERT_EQUAL(x->limits.requests, 0); /* nothing left the process */
		/* no stream started: copy says so */
		struct rec_stream_cache *sc = calloc(1, sizeof *sc);
		CU_ASSERT_EQUAL(xch_stream_copy(x, sc), -1);
		free(sc);
		/* a closed port is a typed network error, not a crash */
		int64_t ms;
		CU_ASSERT_EQUAL(x->ops->server_time(x, &ms, &err), XCH_NETWORK);
		CU_ASSERT_EQUAL(x->limits.requests, 1);
		xch_free(x);
	}
}

void test_xch_core_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_json_numbers_as_strings_or_numbers", test_json_numbers_as_strings_or_numbers },
		{ "test_json_parse_rejects_truncated_and_trailing", test_json_parse_rejects_truncated_and_trailing },
		{ "test_rc_names_and_transient_classes", test_rc_names_and_transient_classes },
		{ "test_urlencode_escapes_reserved_characters", test_urlencode_escapes_reserved_characters },
		{ "test_new_refuses_missing_key_and_url", test_new_refuses_missing_key_and_url },
		{ "test_unknown_side_close_and_stop_send_nothing", test_unknown_side_close_and_stop_send_nothing },
		{ NULL, NULL },
	};
	tu_add_suite("xch_core", tests);
}
