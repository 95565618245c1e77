/* Policy: findings -> ordered plan with reasons; modes and overrides;
 * nothing unsafe ever becomes an order. */
#include "tests/unit/test_repair_kit.h"
#include "base/log.h"

static struct rec_policy acct(enum rec_mode m)
{
	struct rec_policy a;
	rec_policy_default(&a);
	snprintf(a.account, sizeof a.account, "main");
	a.mode = m;
	a.orphan_action = REC_ORPHAN_CLOSE;
	a.stop_loss_percent = 2.0;
	a.stop_ref = REC_STOPREF_ENTRY;
	return a;
}

static size_t count(const struct rec_plan *p, enum rec_action_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].a.kind == k)
			n++;
	return n;
}

static void test_policy_observe_plans_alert_only(void)
{
	struct rec_policy a = acct(REC_MODE_OBSERVE);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.n, 2);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_ALERT_ONLY), 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.steps[0].a.reason, "observe"));
	rec_plan_free(&p);
}

static void test_policy_protect_places_stop_never_closes(void)
{
	struct rec_policy a = acct(REC_MODE_PROTECT);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_CLOSE_POSITION), 0);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_PLACE_STOP), 1); /* one stop per position */
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_PLACE_STOP);
	CU_ASSERT_EQUAL(p.steps[0].a.order_side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.trigger_price, 0.245, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.qty, 86, 1e-12);
	rec_plan_free(&p);
}

static void test_policy_undersized_plans_top_up_for_the_rest(void)
{
	struct rec_policy a = acct(REC_MODE_PROTECT);
	struct rec_finding f = rk_find(REC_UNDERSIZED_STOP, "ETHUSDT", REC_SIDE_LONG, 30, 2000, 2000);
	f.stop_qty = 20;
	struct rec_plan p;
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL_FATAL(p.n, 1);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_PLACE_STOP);
	CU_ASSERT_EQUAL(p.steps[0].a.order_side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.qty, 10, 1e-12);
	CU_ASSERT_FALSE(p.steps[0].a.close_position);
	rec_plan_free(&p);
	a.mode = REC_MODE_OBSERVE;
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_ALERT_ONLY), 1);
	rec_plan_free(&p);
}

static void test_policy_full_closes_orphan_and_close_supersedes_stop(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_finding f[] = {
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_EQUAL(p.steps[0].a.order_side, REC_SELL);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.qty, 86, 1e-12);
	CU_ASSERT_NSTRING_EQUAL(p.steps[0].a.client_id, "vgl-c-", 6);
	rec_plan_free(&p);
}

static void test_policy_full_orphan_action_protect_places_stop(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	a.orphan_action = REC_ORPHAN_PROTECT;
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "SKLUSDT", REC_SIDE_SHORT, 308, 0.03, 0.03);
	struct rec_plan p;
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_PLACE_STOP);
	CU_ASSERT_EQUAL(p.steps[0].a.order_side, REC_BUY);
	rec_plan_free(&p);
}

static void test_policy_override_per_finding_code(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	a.overrides[0].code = REC_ORPHAN_POSITION;
	a.overrides[0].mode = REC_MODE_OBSERVE;
	a.noverrides = 1;
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "BTCUSDT", REC_SIDE_LONG, 0.5, 60000, 60000),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_CLOSE_POSITION), 0);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_PLACE_STOP), 1);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_ALERT_ONLY), 1);
	rec_plan_free(&p);
}

static void test_policy_unknown_side_raises_critical_and_plans_no_order(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_UNKNOWN, 86, 0.25, 0.25),
		rk_find(REC_UNPROTECTED_POSITION, "AVLUSDT", REC_SIDE_UNKNOWN, 86, 0.25, 0.25),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(count(&p, REC_ACT_ALERT_ONLY), p.n);
	CU_ASSERT(p.nraised >= 1);
	CU_ASSERT_EQUAL(p.raised[0].code, REC_UNKNOWN_SIDE);
	CU_ASSERT_EQUAL(p.raised[0].severity, REC_SEV_CRITICAL);
	CU_ASSERT_STRING_EQUAL(p.raised[0].key, "main:binance:AVLUSDT:UNKNOWN_SIDE");
	rec_plan_free(&p);
}

static void test_policy_unrepairable_finding_never_becomes_order(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	f.repairable = false;
	struct rec_plan p;
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_ALERT_ONLY);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.steps[0].a.reason, "not repairable"));
	rec_plan_free(&p);
}

static void test_policy_full_cancels_orphan_order_protect_does_not(void)
{
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0.05);
	snprintf(f.order_id, sizeof f.order_id, "A77");
	f.order_is_algo = true;
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_plan p;
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_CANCEL_ORDER);
	CU_ASSERT_STRING_EQUAL(p.steps[0].a.order_id, "A77");
	CU_ASSERT(p.steps[0].a.order_is_algo);
	CU_ASSERT_EQUAL(p.nraised, 0); /* no position side needed to cancel */
	rec_plan_free(&p);
	a = acct(REC_MODE_PROTECT);
	rec_plan_build(&a, &f, 1, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_ALERT_ONLY);
	rec_plan_free(&p);
}

static void test_policy_stop_price_long_below_short_above_rounded_to_tick(void)
{
	/* 2% off 0.5 = 0.49 / 0.51; KAVA tick 0.0001 */
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_LONG, 0.5, 2, 0.0001), 0.49, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_SHORT, 0.5, 2, 0.0001), 0.51, 1e-12);
	/* 59221.598 (LONG, down) and 61025.302 (SHORT, up) */
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_LONG, 60123.45, 1.5, 0.1), 59221.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_SHORT, 60123.45, 1.5, 0.1), 61025.4, 1e-9);
	CU_ASSERT(rec_stop_price(REC_SIDE_LONG, 60123.45, 1.5, 0.1) < 60123.45);
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_UNKNOWN, 1, 2, 0.1), 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(rec_stop_price(REC_SIDE_LONG, 0, 2, 0.1), 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(rec_round_qty(62.9000000001, 0.1), 62.9, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(rec_round_qty(0.0123, 0.001), 0.012, 1e-12);
}

static void test_policy_stop_price_from_mark_when_entry_unknown_or_configured(void)
{
	struct rec_policy a = acct(REC_MODE_PROTECT);
	struct xch_instrument in = { .symbol = "KAVAUSDT", .tick = 0.0001, .step = 0.1 };
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0, 0.6);
	struct rec_plan p;
	rec_plan_build(&a, &f, 1, &in, 1, RK_T0, &p);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.trigger_price, 0.588, 1e-12);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.steps[0].a.reason, "mark"));
	rec_plan_free(&p);
	f.entry_price = 0.5;
	a.stop_ref = REC_STOPREF_MARK;
	rec_plan_build(&a, &f, 1, &in, 1, RK_T0, &p);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.trigger_price, 0.588, 1e-12);
	rec_plan_free(&p);
	a.stop_ref = REC_STOPREF_ENTRY;
	rec_plan_build(&a, &f, 1, &in, 1, RK_T0, &p);
	CU_ASSERT_DOUBLE_EQUAL(p.steps[0].a.trigger_price, 0.49, 1e-12);
	rec_plan_free(&p);
}

static void test_policy_client_id_deterministic_with_vgl_prefix(void)
{
	char a[REC_ID_MAX], b[REC_ID_MAX], c[REC_ID_MAX];
	rec_client_id(a, sizeof a, REC_ACT_PLACE_STOP, "main", REC_EX_BINANCE, "KAVAUSDT", REC_SIDE_LONG, 5, 1);
	rec_client_id(b, sizeof b, REC_ACT_PLACE_STOP, "main", REC_EX_BINANCE, "KAVAUSDT", REC_SIDE_LONG, 5, 1);
	rec_client_id(c, sizeof c, REC_ACT_PLACE_STOP, "main", REC_EX_BINANCE, "KAVAUSDT", REC_SIDE_SHORT, 5, 1);
	CU_ASSERT_STRING_EQUAL(a, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, c);
	CU_ASSERT_NSTRING_EQUAL(a, "vgl-s-", 6);
	CU_ASSERT(strlen(a) <= 36);
	rec_client_id_attempt(a, sizeof a, 2);
	CU_ASSERT_NSTRING_EQUAL(a, b, strlen(b) - 1);
	CU_ASSERT_EQUAL(a[strlen(a) - 1], '2');
}

static void test_policy_plan_orders_close_then_stop_then_cancel(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_finding f[4];
	f[0] = rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0);
	snprintf(f[0].order_id, sizeof f[0].order_id, "A1");
	f[1] = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	f[2] = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	f[3] = rk_find(REC_STREAM_STALE, "", REC_SIDE_UNKNOWN, 0, 0, 0);
	struct rec_plan p;
	rec_plan_build(&a, f, 4, NULL, 0, RK_T0, &p);
	CU_ASSERT_EQUAL_FATAL(p.n, 4);
	CU_ASSERT_EQUAL(p.steps[0].a.kind, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_EQUAL(p.steps[1].a.kind, REC_ACT_PLACE_STOP);
	CU_ASSERT_EQUAL(p.steps[2].a.kind, REC_ACT_CANCEL_ORDER);
	CU_ASSERT_EQUAL(p.steps[3].a.kind, REC_ACT_ALERT_ONLY);
	rec_plan_free(&p);
}

static void test_policy_dry_run_text_lists_actions_and_reasons(void)
{
	struct rec_policy a = acct(REC_MODE_FULL);
	struct rec_finding f[] = {
		rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25),
		rk_find(REC_ORPHAN_POSITION, "XUSDT", REC_SIDE_UNKNOWN, 5, 1, 1),
	};
	struct rec_plan p;
	rec_plan_build(&a, f, 2, NULL, 0, RK_T0, &p);
	char *t = rec_plan_format(&p);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "1. CLOSE_POSITION main binance AVLUSDT SELL 86"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "why: ORPHAN_POSITION AVLUSDT: mode full"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "UNKNOWN_SIDE XUSDT"));
	free(t);
	rec_plan_free(&p);
	memset(&p, 0, sizeof p);
	t = rec_plan_format(&p);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "nothing to do"));
	free(t);
}

/* Alert-only steps repeat every audit: their log lines are debug, while
 * actions that send something stay at info. */
static char *run_logged(enum log_level lvl)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	struct rec_finding f[] = {
		rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03),
		rk_find(REC_ORPHAN_ORDER, "BTCUSDT", REC_SIDE_UNKNOWN, 0, 0, 0),
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	int old = log_verbosity;
	log_set_stream(fp);
	log_set_level(lvl);
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	log_set_stream(NULL);
	log_verbosity = old;
	fclose(fp);
	CU_ASSERT_EQUAL(count(&k->plan, REC_ACT_ALERT_ONLY), 1);
	rk_free(k);
	return buf;
}

static void test_policy_alert_only_steps_logged_at_debug(void)
{
	char *info = run_logged(LOG_LVL_INFO);
	CU_ASSERT_PTR_NOT_NULL(strstr(info, "PLACE_STOP"));
	CU_ASSERT_PTR_NULL(strstr(info, "alert only"));
	CU_ASSERT_PTR_NULL(strstr(info, "ORPHAN_ORDER"));
	free(info);
	char *debug = run_logged(LOG_LVL_DEBUG);
	CU_ASSERT_PTR_NOT_NULL(strstr(debug, "alert only"));
	free(debug);
}

void test_policy_plan_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_policy_observe_plans_alert_only", test_policy_observe_plans_alert_only },
		{ "test_policy_protect_places_stop_never_closes", test_policy_protect_places_stop_never_closes },
		{ "test_policy_undersized_plans_top_up_for_the_rest",
		  test_policy_undersized_plans_top_up_for_the_rest },
		{ "test_policy_full_closes_orphan_and_close_supersedes_stop",
		  test_policy_full_closes_orphan_and_close_supersedes_stop },
		{ "test_policy_full_orphan_action_protect_places_stop",
		  test_policy_full_orphan_action_protect_places_stop },
		{ "test_policy_override_per_finding_code", test_policy_override_per_finding_code },
		{ "test_policy_unknown_side_raises_critical_and_plans_no_order",
		  test_policy_unknown_side_raises_critical_and_plans_no_order },
		{ "test_policy_unrepairable_finding_never_becomes_order",
		  test_policy_unrepairable_finding_never_becomes_order },
		{ "test_policy_full_cancels_orphan_order_protect_does_not",
		  test_policy_full_cancels_orphan_order_protect_does_not },
		{ "test_policy_stop_price_long_below_short_above_rounded_to_tick",
		  test_policy_stop_price_long_below_short_above_rounded_to_tick },
		{ "test_policy_stop_price_from_mark_when_entry_unknown_or_configured",
		  test_policy_stop_price_from_mark_when_entry_unknown_or_configured },
		{ "test_policy_client_id_deterministic_with_vgl_prefix",
		  test_policy_client_id_deterministic_with_vgl_prefix },
		{ "test_policy_plan_orders_close_then_stop_then_cancel",
		  test_policy_plan_orders_close_then_stop_then_cancel },
		{ "test_policy_dry_run_text_lists_actions_and_reasons",
		  test_policy_dry_run_text_lists_actions_and_reasons },
		{ "test_policy_alert_only_steps_logged_at_debug", test_policy_alert_only_steps_logged_at_debug },
		{ NULL, NULL },
	};
	tu_add_suite("policy_plan", tests);
}
