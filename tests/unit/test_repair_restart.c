/* No second stop while REST's open-order list lags behind a stop vigil
 * knows is live: one recovered from the journal after a crash mid-
 * verification (the chaos matrix's sigkill column), or one it placed and
 * verified itself. The restarted process sees the finding with a new
 * first_seen, so its client id differs from the crashed attempt's. */
#include "tests/unit/test_repair_kit.h"

/* The fake behind a lagging REST: open_orders lists nothing while lag_on;
 * get_order (by id / client id) still finds the order. */
static const struct xch_ops *real_ops;
static struct xch_ops lag_ops;
static bool lag_on;

static int lag_open_orders(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err)
{
	int rc = real_ops->open_orders(x, out, n, err);
	if (rc == XCH_OK && lag_on)
		*n = 0;
	return rc;
}

static struct rk *lag_rk(enum rec_mode mode)
{
	struct rk *k = rk_new(mode);
	real_ops = k->x->ops;
	lag_ops = *real_ops;
	lag_ops.open_orders = lag_open_orders;
	k->x->ops = &lag_ops;
	lag_on = false;
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	return k;
}

static void lag_free(struct rk *k)
{
	k->x->ops = real_ops;
	rk_free(k);
}

static struct rec_finding unprotected(int64_t first_seen)
{
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	f.first_seen_ms = first_seen;
	return f;
}

/* The crashed process: intent journaled, stop placed, killed before the
 * outcome. */
static void crash_mid_verification(struct rk *k, const struct rec_finding *f)
{
	struct rec_plan p;
	rec_plan_build(&k->pol, f, 1, NULL, 0, RK_T0, &p);
	struct rec_action a = p.steps[0].a;
	a.order_side = rec_closing_side(a.position_side);
	CU_ASSERT_EQUAL_FATAL(k->j->ops->intent(k->j, &a), 0);
	struct xch_stop_req rq = { .position_side = a.position_side, .trigger_price = 0.49, .qty = a.qty };
	snprintf(rq.symbol, sizeof rq.symbol, "%s", a.symbol);
	snprintf(rq.client_id, sizeof rq.client_id, "%s", a.client_id);
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL(k->x->ops->place_stop(k->x, &rq, &ack, &err), XCH_OK);
	rec_plan_free(&p);
}

static void test_recovered_stop_not_duplicated_while_rest_lags(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	lag_on = true;
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	crash_mid_verification(k, &f1);
	rk_restart(k);
	struct rec_finding f2 = unprotected(RK_T0 + 1000); /* new memory, new first_seen */
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1); /* only the crashed process's */
	const struct rec_result *res = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res);
	CU_ASSERT_EQUAL(res->a.outcome, REC_OUT_SKIPPED);
	/* the next audits while REST still lags: still nothing */
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	lag_free(k);
}

/* The fault matrix's worst cell: the stop placed, verified and journaled
 * DONE, the process killed 50 ms later, restarted while REST lags: the
 * new engine learns the stop from the journal's DONE record and asks for
 * it by id, so no second stop is sent. */
static void test_done_stop_not_duplicated_after_kill_while_rest_lags(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	CU_ASSERT_EQUAL(rk_run(k, &f1, 1), 0);
	CU_ASSERT_EQUAL_FATAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_DONE);
	lag_on = true;
	rk_restart(k); /* a new engine on the same journal: live[] is empty */
	struct rec_finding f2 = unprotected(RK_T0 + 1000);
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT(rk_calls(k, "get_order", NULL) >= 1); /* asked by id */
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_SKIPPED);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	lag_free(k);
}

/* A flip leaves the bot's old BUY stop beside a LONG (WRONG_SIDE_STOP:
 * reduce-only on the wrong side, it protects nothing) and the LONG has no
 * stop. The plan places first and cancels second (policy.c kind_rank),
 * each step journaled: killed between the two, the restarted process
 * (REST lagging) sends no second stop, never cancels the one protecting
 * stop, and finishes the cancel once the exchange shows the wrong one. */
static void test_wrong_side_replacement_killed_between_steps(void)
{
	struct rk *k = lag_rk(REC_MODE_FULL);
	struct rec_order w = { .symbol = "KAVAUSDT",
			       .side = REC_BUY,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .reduce_only = true,
			       .qty = 62.9,
			       .trigger_price = 0.55,
			       .client_id = "bot-sl-old" };
	fake_add_order(k->x, &w);
	const struct rec_order *wo = fake_find_order(k->x, NULL, "bot-sl-old");
	CU_ASSERT_PTR_NOT_NULL_FATAL(wo);
	struct rec_finding f[2] = { unprotected(RK_T0 - 60000),
				    rk_find(REC_WRONG_SIDE_STOP, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5) };
	snprintf(f[1].order_id, sizeof f[1].order_id, "%s", wo->id);
	f[1].order_is_algo = wo->is_algo;
	/* step 1 done (the stop placed and journaled DONE), then killed */
	CU_ASSERT_EQUAL(rk_run(k, &f[0], 1), 0);
	CU_ASSERT_EQUAL_FATAL(rk_calls(k, "stop", NULL), 1);
	lag_on = true;
	rk_restart(k);
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);   /* no second protecting stop */
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 0); /* not listed: not confirmed, not sent */
	/* REST caught up: the wrong-side stop goes, vigil's stays */
	lag_on = false;
	CU_ASSERT_EQUAL(rk_run(k, f, 2), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	const struct rec_order *left = fake_find_order(k->x, NULL, "bot-sl-old");
	CU_ASSERT(!left || rec_order_dead(left->status));
	lag_free(k);
}

/* Once the exchange says the known stop is gone, it no longer counts. */
static void test_known_stop_forgotten_when_exchange_says_gone(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	lag_on = true;
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	crash_mid_verification(k, &f1);
	rk_restart(k);
	struct rec_finding f2 = unprotected(RK_T0 + 1000);
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	/* the bot (or a person) cancels it */
	lag_on = false;
	struct rec_order *l = NULL;
	size_t n = 0;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k->x->ops->open_orders(k->x, &l, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(k->x->ops->cancel_order(k->x, "KAVAUSDT", l[0].id, l[0].is_algo, &err), XCH_OK);
	free(l);
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0); /* REST caught up: the stop is gone */
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 2);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	lag_free(k);
}

/* A stop this process placed and verified counts too (the stream that
 * would have shown it is down, REST lags). */
static void test_verified_stop_counts_while_rest_lags(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	CU_ASSERT_EQUAL(rk_run(k, &f1, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	lag_on = true;
	struct rec_finding f2 = unprotected(RK_T0 + 5000); /* the finding came back */
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	lag_free(k);
}

/* When the lookup fails, vigil cannot tell: nothing is sent either. */
static void test_known_stop_lookup_failure_sends_nothing(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	CU_ASSERT_EQUAL(rk_run(k, &f1, 1), 0);
	lag_on = true;
	fake_inject(k->x, "get_order", XCH_NETWORK, 0);
	struct rec_finding f2 = unprotected(RK_T0 + 5000);
	rk_run(k, &f2, 1);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	lag_free(k);
}

/* AVLUSDT x sigkill (Bybit): the crashed process's stop is not visible at
 * all yet (neither listed nor found by client id). Young, that is no
 * proof it was never sent: the intent stays pending, the symbol blocked,
 * until the order shows. */
static void test_invisible_young_stop_is_not_taken_as_never_sent(void)
{
	struct rk *k = lag_rk(REC_MODE_PROTECT);
	struct rec_finding f1 = unprotected(RK_T0 - 60000);
	fake_set_visibility_delay(k->x, 2000);
	crash_mid_verification(k, &f1);
	fake_set_visibility_delay(k->x, 0);
	rk_restart(k);
	k->fc.now += 300;
	struct rec_finding f2 = unprotected(RK_T0 + 300);
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_FALSE(k->e.recovered);
	k->fc.now += 2000; /* visible now */
	CU_ASSERT_EQUAL(rk_run(k, &f2, 1), 0);
	CU_ASSERT(k->e.recovered);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "KAVAUSDT"), 1);
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(k->j, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_DONE);
	lag_free(k);
}

void test_repair_restart_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_recovered_stop_not_duplicated_while_rest_lags",
		  test_recovered_stop_not_duplicated_while_rest_lags },
		{ "test_done_stop_not_duplicated_after_kill_while_rest_lags",
		  test_done_stop_not_duplicated_after_kill_while_rest_lags },
		{ "test_wrong_side_replacement_killed_between_steps",
		  test_wrong_side_replacement_killed_between_steps },
		{ "test_known_stop_forgotten_when_exchange_says_gone",
		  test_known_stop_forgotten_when_exchange_says_gone },
		{ "test_verified_stop_counts_while_rest_lags", test_verified_stop_counts_while_rest_lags },
		{ "test_known_stop_lookup_failure_sends_nothing", test_known_stop_lookup_failure_sends_nothing },
		{ "test_invisible_young_stop_is_not_taken_as_never_sent",
		  test_invisible_young_stop_is_not_taken_as_never_sent },
		{ NULL, NULL },
	};
	tu_add_suite("repair_restart", tests);
}
