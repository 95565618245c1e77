/* The request budget shared with the bot (exchanges/xch_budget.h). */
#include <CUnit/CUnit.h>
#include <string.h>

#include "exchanges/xch_budget.h"

#define T0 1699999980000LL /* a minute boundary */

static struct xch_budget *fresh(const char *egress)
{
	return xch_budget_get(REC_EX_BINANCE, egress, NULL);
}

/* Accounts behind one IP share one budget; another IP has its own. */
static void test_budget_is_shared_per_exchange_and_egress(void)
{
	struct xch_budget *a = fresh("ip-a"), *b = fresh("ip-a"), *c = fresh("ip-c");
	struct xch_budget *d = xch_budget_get(REC_EX_BYBIT, "ip-a", NULL);
	CU_ASSERT_PTR_EQUAL(a, b);
	CU_ASSERT_PTR_NOT_EQUAL(a, c);
	CU_ASSERT_PTR_NOT_EQUAL(a, d);
	CU_ASSERT_EQUAL(xch_budget_acquire(a, 100, XCH_PRIO_AUDIT, T0, NULL, NULL), 0);
	struct xch_budget_state s;
	xch_budget_state(b, T0, &s);
	CU_ASSERT_EQUAL(s.own, 100);
	xch_budget_state(c, T0, &s);
	CU_ASSERT_EQUAL(s.own, 0);
	xch_budget_put(a);
	xch_budget_put(b);
	xch_budget_put(c);
	xch_budget_put(d);
}

/* Binance 2400 / min, 20 % share = 480, a quarter of it for repairs:
 * audits get 360 a minute; repairs still get their slice. */
static void test_audits_stay_under_their_share_and_repairs_keep_a_slice(void)
{
	struct xch_budget *b = fresh("share");
	int granted = 0;
	for (int i = 0; i < 100; i++)
		if (xch_budget_acquire(b, 85, XCH_PRIO_AUDIT, T0 + i * 100, NULL, NULL) == 0)
			granted += 85;
	CU_ASSERT_TRUE(granted <= 360);
	CU_ASSERT_TRUE(granted >= 360 - 85);
	int64_t wait = 0;
	const char *why = NULL;
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 85, XCH_PRIO_AUDIT, T0 + 10000, &wait, &why), -1);
	CU_ASSERT_TRUE(wait > 0);
	CU_ASSERT_PTR_NOT_NULL(why);
	/* a protective stop (weight 1) and its verification still go */
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_REPAIR, T0 + 10000, NULL, NULL), 0);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 40, XCH_PRIO_REPAIR, T0 + 10000, NULL, NULL), 0);
	/* the window rolls: a minute later audits go again */
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 85, XCH_PRIO_AUDIT, T0 + 71000, NULL, NULL), 0);
	xch_budget_put(b);
}

/* Five accounts' first audits fill the audits' 360: their streams' listenKey
 * calls (weight 1) still go, up to half the repair reserve (360 + 60), and
 * repairs keep the other half (up to 480). */
static void test_stream_calls_go_when_audits_wait_and_leave_repairs_half_the_reserve(void)
{
	struct xch_budget *b = fresh("stream-prio");
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(xch_budget_acquire(b, 85, XCH_PRIO_AUDIT, T0 + i, NULL, NULL), 0);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 85, XCH_PRIO_AUDIT, T0 + 10, NULL, NULL), -1); /* 340 + 85 > 360 */
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 20, XCH_PRIO_AUDIT, T0 + 10, NULL, NULL), 0);  /* 360 */
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_AUDIT, T0 + 11, NULL, NULL), -1);
	int streams = 0;
	for (int i = 0; i < 100; i++)
		streams += xch_budget_acquire(b, 1, XCH_PRIO_STREAM, T0 + 20 + i, NULL, NULL) == 0;
	CU_ASSERT_EQUAL(streams, 60);
	const char *why = NULL;
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_STREAM, T0 + 200, NULL, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	/* the repairs' half is untouched: 60 more */
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 60, XCH_PRIO_REPAIR, T0 + 300, NULL, NULL), 0);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_REPAIR, T0 + 301, NULL, NULL), -1);
	xch_budget_put(b);
}

/* The exchange says the IP (bot + vigil) used 2000 of 2400: past the
 * high-water mark audits stop until the minute turns; repairs do not. */
static void test_high_water_mark_stops_audits_until_the_window_turns(void)
{
	struct xch_budget *b = fresh("hw");
	xch_budget_note(b, 2000, T0 + 5000);
	int64_t wait = 0;
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 5, XCH_PRIO_AUDIT, T0 + 5000, &wait, NULL), -1);
	CU_ASSERT_EQUAL(wait, 55000);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_REPAIR, T0 + 5000, NULL, NULL), 0);
	/* never past the limit itself, not even for a repair */
	xch_budget_note(b, 2400, T0 + 6000);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_REPAIR, T0 + 6000, NULL, NULL), -1);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 5, XCH_PRIO_AUDIT, T0 + 60000, NULL, NULL), 0);
	xch_budget_put(b);
}

/* A 418 with Retry-After 120 s stops everything, repairs too, until then;
 * the stop is reported once. */
static void test_ban_stops_every_request_until_retry_after(void)
{
	struct xch_budget *b = fresh("ban");
	CU_ASSERT_TRUE(xch_budget_limited(b, T0 + 120000, true, T0));
	CU_ASSERT_FALSE(xch_budget_limited(b, T0 + 120000, true, T0 + 10));
	for (int64_t t = T0; t < T0 + 120000; t += 7000) {
		CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_REPAIR, t, NULL, NULL), -1);
		CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_AUDIT, t, NULL, NULL), -1);
	}
	struct xch_budget_state s;
	xch_budget_state(b, T0 + 1000, &s);
	CU_ASSERT_TRUE(s.banned);
	CU_ASSERT_EQUAL(s.stopped_until, T0 + 120000);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_AUDIT, T0 + 120000, NULL, NULL), 0);
	xch_budget_put(b);
}

/* Without Retry-After the stop grows exponentially with each limit. */
static void test_limit_without_retry_after_backs_off_exponentially(void)
{
	struct xch_budget *b = fresh("backoff");
	struct xch_budget_state s;
	int64_t t = T0, prev = 0;
	for (int i = 0; i < 5; i++) {
		xch_budget_limited(b, 0, false, t);
		xch_budget_state(b, t, &s);
		int64_t len = s.stopped_until - t;
		CU_ASSERT_TRUE(len > prev);
		prev = len;
		t = s.stopped_until;
	}
	CU_ASSERT_EQUAL(prev, 16000);
	xch_budget_put(b);
}

/* Bybit: 600 requests per 5 s per IP, vigil's share 120, audits 90. */
static void test_bybit_budget_counts_requests_per_five_seconds(void)
{
	struct xch_budget *b = xch_budget_get(REC_EX_BYBIT, "bybit-ip", NULL);
	int n = 0;
	for (int i = 0; i < 200; i++)
		n += xch_budget_acquire(b, 1, XCH_PRIO_AUDIT, T0 + i, NULL, NULL) == 0;
	CU_ASSERT_EQUAL(n, 90);
	CU_ASSERT_EQUAL(xch_budget_acquire(b, 1, XCH_PRIO_AUDIT, T0 + 6000, NULL, NULL), 0);
	xch_budget_put(b);
}

/* An absolute ceiling caps vigil below its share. */
static void test_ceiling_caps_vigil_below_its_share(void)
{
	struct xch_budget_cfg c;
	xch_budget_cfg_default(REC_EX_BINANCE, &c);
	c.ceiling = 100;
	struct xch_budget *b = xch_budget_get(REC_EX_BINANCE, "ceiling", &c);
	int used = 0;
	for (int i = 0; i < 50; i++)
		if (xch_budget_acquire(b, 10, XCH_PRIO_AUDIT, T0 + i, NULL, NULL) == 0)
			used += 10;
	CU_ASSERT_EQUAL(used, 70);
	xch_budget_put(b);
}

void test_xch_budget_register(void)
{
	CU_pSuite s = CU_add_suite("xch_budget", NULL, NULL);
	CU_add_test(s, "test_budget_is_shared_per_exchange_and_egress", test_budget_is_shared_per_exchange_and_egress);
	CU_add_test(s, "test_audits_stay_under_their_share_and_repairs_keep_a_slice",
		    test_audits_stay_under_their_share_and_repairs_keep_a_slice);
	CU_add_test(s, "test_stream_calls_go_when_audits_wait_and_leave_repairs_half_the_reserve",
		    test_stream_calls_go_when_audits_wait_and_leave_repairs_half_the_reserve);
	CU_add_test(s, "test_high_water_mark_stops_audits_until_the_window_turns",
		    test_high_water_mark_stops_audits_until_the_window_turns);
	CU_add_test(s, "test_ban_stops_every_request_until_retry_after",
		    test_ban_stops_every_request_until_retry_after);
	CU_add_test(s, "test_limit_without_retry_after_backs_off_exponentially",
		    test_limit_without_retry_after_backs_off_exponentially);
	CU_add_test(s, "test_bybit_budget_counts_requests_per_five_seconds",
		    test_bybit_budget_counts_requests_per_five_seconds);
	CU_add_test(s, "test_ceiling_caps_vigil_below_its_share", test_ceiling_caps_vigil_below_its_share);
}
