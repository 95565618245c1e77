/* Input limits of the adapters' parsers: deeply nested, oversized,
 * truncated and numerically absurd answers give a clean XCH_MALFORMED (or
 * a clean, bounded result), never a crash, an overflow or unbounded work.
 * json-c's tokener is created with depth 64 (exchanges/jsonx.c). */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bn_parse.h"
#include "exchanges/jsonx.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* depth times open, a value, depth times close (arrays or objects) */
static char *nested(size_t depth, bool objects, size_t *len)
{
	size_t per = objects ? 5 : 1; /* {"a": */
	char *s = xmalloc(depth * (per + 1) + 4);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++) {
		if (objects) {
			memcpy(s + n, "{\"a\":", 5);
			n += 5;
		} else {
			s[n++] = '[';
		}
	}
	s[n++] = '1';
	for (size_t i = 0; i < depth; i++)
		s[n++] = objects ? '}' : ']';
	s[n] = '\0';
	*len = n;
	return s;
}

/* Every parser that takes raw bytes must refuse text, cleanly. */
static void all_parsers_refuse(const char *b, size_t n)
{
	struct xch_err err;
	struct rec_position *pos = (struct rec_position *)1;
	struct rec_order *ord = (struct rec_order *)1;
	size_t np = 99, no = 99;

	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(bn_parse_positions(b, n, 1, &pos, &np, &err), XCH_MALFORMED);
	CU_ASSERT_PTR_NULL(pos);
	CU_ASSERT_EQUAL(np, 0);
	CU_ASSERT_NOT_EQUAL(err.msg[0], '\0');
	CU_ASSERT_EQUAL(bn_parse_orders(b, n, &ord, &no, &err), XCH_MALFORMED);
	CU_ASSERT_PTR_NULL(ord);
	ord = NULL;
	CU_ASSERT_EQUAL(bn_parse_algo_orders(b, n, &ord, &no, &err), XCH_MALFORMED);
	free(ord);

	struct bn_event ev;
	memset(&ev, 0, sizeof ev);
	CU_ASSERT_EQUAL(bn_parse_event(b, n, 1, &ev), XCH_MALFORMED);
	bn_event_free(&ev);

	/* an error status with an unreadable body is still that error */
	CU_ASSERT_EQUAL(bn_check_answer(503, b, n, -1, &err), XCH_SERVER);

	struct json_object *root = NULL, *res = NULL;
	CU_ASSERT_EQUAL(bb_check_answer(200, b, n, 0, 0, &root, &res, &err), XCH_MALFORMED);
	CU_ASSERT_PTR_NULL(root);

	struct bb_ws_msg m;
	memset(&m, 0, sizeof m);
	CU_ASSERT_EQUAL(bb_parse_ws(b, n, 1, &m), XCH_MALFORMED);
	bb_ws_msg_free(&m);
}

static void test_limits_deep_nesting_is_malformed_in_every_parser(void)
{
	static const size_t depths[] = { 65, 1000, 200000 };
	for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++)
		for (int obj = 0; obj < 2; obj++) {
			size_t n;
			char *s = nested(depths[i], obj, &n);
			double t0 = now_s();
			CU_ASSERT_PTR_NULL(xch_json_parse(s, n));
			all_parsers_refuse(s, n);
			CU_ASSERT(now_s() - t0 < 2.0); /* refused early, not walked */
			free(s);
		}
	/* shallow nesting is fine for the tokener (and still not an answer) */
	size_t n;
	char *s = nested(32, false, &n);
	struct json_object *o = xch_json_parse(s, n);
	CU_ASSERT_PTR_NOT_NULL(o);
	if (o)
		json_object_put(o);
	free(s);
}

static void test_limits_truncated_answers_are_malformed(void)
{
	static const char *const fx[] = {
		"binance/position-risk-v3-oneway-long-btcusdt.json",
		"binance/ws-order-trade-update-doc.json",
		"bybit/position-list-linear-long-ltcusdt.json",
		"bybit/ws-position-doc.json",
	};
	for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
		size_t len = 0;
		char *body = tu_read_file(tu_fixture(fx[f]), &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(body);
		/* trim the trailing whitespace so every shorter prefix is cut JSON */
		while (len && (body[len - 1] == '\n' || body[len - 1] == ' '))
			len--;
		for (size_t cut = 1; cut < len; cut += 7) {
			/* a private copy of exactly cut bytes: ASan sees any overread */
			char *p = xmalloc(cut);
			memcpy(p, body, cut);
			all_parsers_refuse(p, cut);
			free(p);
		}
		free(body);
	}
}

/* A big but well-formed answer parses in bounded time, into exactly what
 * it lists. */
static void test_limits_many_rows_parse_in_bounded_time(void)
{
	const size_t rows = 20000;
	size_t cap = rows * 160 + 16, n = 0;
	char *s = xmalloc(cap);
	s[n++] = '[';
	for (size_t i = 0; i < rows; i++)
		n += (size_t)snprintf(s + n, cap - n,
				      "%s{\"symbol\":\"S%zuUSDT\",\"positionSide\":\"BOTH\",\"positionAmt\":\"1.5\","
				      "\"entryPrice\":\"10\",\"markPrice\":\"11\",\"updateTime\":1700000000000}",
				      i ? "," : "", i);
	s[n++] = ']';
	struct rec_position *pos = NULL;
	size_t np = 0;
	struct xch_err err;
	double t0 = now_s();
	CU_ASSERT_EQUAL(bn_parse_positions(s, n, 1, &pos, &np, &err), XCH_OK);
	CU_ASSERT_EQUAL(np, rows);
	CU_ASSERT(now_s() - t0 < 5.0);
	free(pos);
	free(s);
}

/* Overlong strings are cut to the model's fixed fields, always terminated. */
static void test_limits_huge_string_fields_stay_in_bounds(void)
{
	const size_t big = 1u << 20;
	char *sym = xmalloc(big + 1);
	memset(sym, 'A', big);
	sym[big] = '\0';
	char *s = xasprintf(
		"[{\"symbol\":\"%s\",\"positionSide\":\"BOTH\",\"positionAmt\":\"1\",\"entryPrice\":\"1\"}]", sym);
	struct rec_position *pos = NULL;
	size_t np = 0;
	struct xch_err err;
	int rc = bn_parse_positions(s, strlen(s), 1, &pos, &np, &err);
	CU_ASSERT(rc == XCH_OK || rc == XCH_MALFORMED);
	for (size_t i = 0; i < np; i++)
		CU_ASSERT(strlen(pos[i].symbol) < REC_SYM_MAX);
	free(pos);
	free(s);

	/* a huge error message is cut into err.msg */
	s = xasprintf("{\"code\":-2015,\"msg\":\"%s\"}", sym);
	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(bn_check_answer(401, s, strlen(s), -1, &err), XCH_AUTH);
	CU_ASSERT(strlen(err.msg) < sizeof err.msg);
	free(s);

	s = xasprintf("{\"topic\":\"order\",\"creationTime\":1,\"data\":[{\"category\":\"linear\",\"symbol\":\"X\","
		      "\"orderId\":\"%s\",\"side\":\"Buy\",\"orderStatus\":\"New\"}]}",
		      sym);
	struct bb_ws_msg m;
	memset(&m, 0, sizeof m);
	rc = bb_parse_ws(s, strlen(s), 1, &m);
	CU_ASSERT(rc == XCH_OK || rc == XCH_MALFORMED);
	for (size_t i = 0; i < m.nord; i++)
		CU_ASSERT(strlen(m.ord[i].id) < REC_ID_MAX);
	bb_ws_msg_free(&m);
	free(s);
	free(sym);
}

/* Sizes vigil could act on are finite and positive, whatever the text. */
static void test_limits_absurd_numbers_never_become_sizes(void)
{
	static const char *const amts[] = { "1e400", "-1e400",   "NaN",    "nan",  "inf",
					    "-inf",  "Infinity", "1e-400", "0x10", "1,5",
					    " 1",    "",         "--1",    "1e",   "18446744073709551617" };
	for (size_t i = 0; i < sizeof amts / sizeof amts[0]; i++) {
		char *s = xasprintf("[{\"symbol\":\"BTCUSDT\",\"positionSide\":\"BOTH\",\"positionAmt\":\"%s\","
				    "\"entryPrice\":\"%s\",\"markPrice\":\"1\"}]",
				    amts[i], amts[i]);
		struct rec_position *pos = NULL;
		size_t np = 0;
		struct xch_err err;
		int rc = bn_parse_positions(s, strlen(s), 1, &pos, &np, &err);
		CU_ASSERT(rc == XCH_OK || rc == XCH_MALFORMED);
		for (size_t k = 0; k < np; k++) {
			if (!(isfinite(pos[k].size) && pos[k].size > 0))
				fprintf(stderr, "positionAmt \"%s\" became size %g\n", amts[i], pos[k].size);
			CU_ASSERT(isfinite(pos[k].size) && pos[k].size > 0);
		}
		free(pos);
		free(s);

		s = xasprintf(
			"{\"id\":\"1\",\"topic\":\"position\",\"creationTime\":1,\"data\":[{\"category\":\"linear\","
			"\"symbol\":\"BTCUSDT\",\"side\":\"Buy\",\"size\":\"%s\",\"positionIdx\":0,\"seq\":1}]}",
			amts[i]);
		struct bb_ws_msg m;
		memset(&m, 0, sizeof m);
		rc = bb_parse_ws(s, strlen(s), 1, &m);
		CU_ASSERT(rc == XCH_OK || rc == XCH_MALFORMED);
		for (size_t k = 0; k < m.npos; k++) {
			if (!(isfinite(m.pos[k].size) && m.pos[k].size >= 0))
				fprintf(stderr, "bybit size \"%s\" became %g\n", amts[i], m.pos[k].size);
			CU_ASSERT(isfinite(m.pos[k].size) && m.pos[k].size >= 0);
		}
		bb_ws_msg_free(&m);
		free(s);
	}
}

void test_limits_json_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_limits_deep_nesting_is_malformed_in_every_parser",
		  test_limits_deep_nesting_is_malformed_in_every_parser },
		{ "test_limits_truncated_answers_are_malformed", test_limits_truncated_answers_are_malformed },
		{ "test_limits_many_rows_parse_in_bounded_time", test_limits_many_rows_parse_in_bounded_time },
		{ "test_limits_huge_string_fields_stay_in_bounds", test_limits_huge_string_fields_stay_in_bounds },
		{ "test_limits_absurd_numbers_never_become_sizes", test_limits_absurd_numbers_never_become_sizes },
		{ NULL, NULL },
	};
	tu_add_suite("limits_json", tests);
}
