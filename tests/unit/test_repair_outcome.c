/* Outcomes (issue 16): DONE / FAILED (the exchange said no) / UNKNOWN (no
 * answer says). A lost answer is looked up by client id within the
 * verification budget, a close also by the position; what stays unknown
 * is journaled UNKNOWN and alerted as "outcome unknown — check order
 * vgl-…", never as refused; restart recovery resolves it before anything
 * new is sent. Nothing is sent while the journal cannot be listed. */
#include "tests/unit/test_repair_kit.h"

static const struct rec_action *journal_last(struct rk *k, enum rec_action_kind kind)
{
	size_t n;
	const struct rec_action *a = rec_journal_mem_all(k->j, &n);
	for (size_t i = n; i-- > 0;)
		if (a[i].kind == kind)
			return &a[i];
	return NULL;
}

/* The exchange took the stop, the answer was lost, and REST shows it 2 s
 * later: DONE, not "refused: TIMEOUT". */
static void test_stop_answer_lost_resolved_done_when_it_appears(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_set_visibility_delay(k->x, 2000);
	fake_lose_answers(k->x, "stop", 1);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	const struct rec_result *r = rk_result(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(journal_last(k, REC_ACT_PLACE_STOP)->outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED) + rk_findings(k, REC_OUTCOME_UNKNOWN), 0);
	rk_free(k);
}

/* The stop never shows within the budget: UNKNOWN, journaled as such; a
 * restarted engine resolves it by client id before sending anything, and
 * no second stop is sent. */
static void test_stop_answer_lost_stays_unknown_then_recovery_resolves(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_set_visibility_delay(k->x, 60000);
	fake_lose_answers(k->x, "stop", 1);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	const struct rec_action *j = journal_last(k, REC_ACT_PLACE_STOP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(j->outcome, REC_OUT_UNKNOWN);
	CU_ASSERT_PTR_NOT_NULL(strstr(j->outcome_detail, "outcome unknown — check order vgl-"));
	CU_ASSERT_EQUAL(rk_findings(k, REC_OUTCOME_UNKNOWN), 1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 0);
	/* restart once the stop is visible: recovered DONE, nothing new */
	k->fc.now += 61000;
	rk_restart(k);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", NULL), 1);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "SKLUSDT"), 1);
	bool recovered = false;
	for (size_t i = 0; i < k->rep.n; i++)
		if (k->rep.res[i].recovered && k->rep.res[i].a.outcome == REC_OUT_DONE)
			recovered = true;
	CU_ASSERT_TRUE(recovered);
	rk_free(k);
}

/* A close whose answer is lost (a 5xx after the fact) while the position
 * went flat: DONE with the evidence, not "refused: SERVER 503". */
static void test_close_answer_lost_resolved_by_order_and_position(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	fake_lose_answers(k->x, "close", 1);
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	const struct rec_result *r = rk_result(k, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_DONE);
	CU_ASSERT_TRUE(rk_sides_all(k, "AVLUSDT", REC_SELL));
	enum rec_side side;
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "AVLUSDT", &side), 0, 1e-12);
	rk_free(k);
}

/* A close the exchange did not act on, answered with nothing: the order is
 * unknown and the position still there: UNKNOWN, never a second close. */
static void test_close_without_answer_and_no_trace_is_unknown(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	fake_inject(k->x, "close", XCH_SERVER, 503);
	struct rec_finding f = rk_find(REC_ORPHAN_POSITION, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	const struct rec_result *r = rk_result(k, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_UNKNOWN);
	CU_ASSERT_PTR_NULL(strstr(r->detail, "refused"));
	CU_ASSERT_EQUAL(rk_findings(k, REC_OUTCOME_UNKNOWN), 1);
	/* the same engine sends nothing new for the symbol until resolved */
	CU_ASSERT_TRUE(rec_engine_blocked(&k->e, "AVLUSDT"));
	rk_free(k);
}

/* A refusal with a code is FAILED (the exchange said no), not unknown. */
static void test_refusal_with_code_is_failed(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_inject(k->x, "stop", XCH_REJECTED, -4164);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_OUTCOME_UNKNOWN), 0);
	rk_free(k);
}

/* A cancel whose answer is lost: the open list says it is gone: DONE. */
static void test_cancel_answer_lost_resolved_by_open_list(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	struct rec_order o = { .symbol = "BASUSDT",
			       .side = REC_SELL,
			       .kind = REC_OK_STOP_LOSS,
			       .conditional = true,
			       .is_algo = true,
			       .reduce_only = true,
			       .qty = 1216,
			       .trigger_price = 0.04,
			       .trigger_dir = REC_TRIG_FALL };
	fake_add_order(k->x, &o);
	fake_lose_answers(k->x, "cancel", 1);
	struct rec_finding f = rk_find(REC_ORPHAN_ORDER, "BASUSDT", REC_SIDE_UNKNOWN, 0, 0, 0.05);
	snprintf(f.order_id, sizeof f.order_id, "F1");
	f.order_is_algo = true;
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CANCEL_ORDER)->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "BASUSDT"), 0);
	rk_free(k);
}

/* The journal's unfinished intents cannot be listed (database down, spool
 * flush failing): nothing is sent for the account, JOURNAL_UNREADABLE is
 * raised; once it can be read, the repair goes ahead. */
static void test_nothing_sent_while_journal_unreadable(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	rec_journal_mem_fail_list(k->j, 2);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	rk_run(k, &f, 1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_JOURNAL_UNREADABLE), 1);
	CU_ASSERT_TRUE(k->e.journal_unreadable);
	rk_run(k, &f, 1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	rk_run(k, &f, 1);
	CU_ASSERT_EQUAL(rk_calls(k, "stop", "SKLUSDT"), 1);
	CU_ASSERT_FALSE(k->e.journal_unreadable);
	rk_free(k);
}

/* The request budget held the stop back (nothing sent, http 0): SKIPPED,
 * no REPAIR_FAILED, and the next audit sends it. */
static void test_stop_held_back_by_budget_is_skipped_then_sent(void)
{
	struct rk *k = rk_new(REC_MODE_PROTECT);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_inject(k->x, "stop", XCH_RATELIMIT, 0);
	struct rec_finding f = rk_find(REC_UNPROTECTED_POSITION, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_PLACE_STOP)->a.outcome, REC_OUT_SKIPPED);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "SKLUSDT"), 0);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(fake_count_open(k->x, "SKLUSDT"), 1);
	rk_free(k);
}

void test_repair_outcome_register(void)
{
	CU_pSuite s = CU_add_suite("repair_outcome", NULL, NULL);
	CU_add_test(s, "test_stop_answer_lost_resolved_done_when_it_appears",
		    test_stop_answer_lost_resolved_done_when_it_appears);
	CU_add_test(s, "test_stop_answer_lost_stays_unknown_then_recovery_resolves",
		    test_stop_answer_lost_stays_unknown_then_recovery_resolves);
	CU_add_test(s, "test_close_answer_lost_resolved_by_order_and_position",
		    test_close_answer_lost_resolved_by_order_and_position);
	CU_add_test(s, "test_close_without_answer_and_no_trace_is_unknown",
		    test_close_without_answer_and_no_trace_is_unknown);
	CU_add_test(s, "test_refusal_with_code_is_failed", test_refusal_with_code_is_failed);
	CU_add_test(s, "test_cancel_answer_lost_resolved_by_open_list", test_cancel_answer_lost_resolved_by_open_list);
	CU_add_test(s, "test_nothing_sent_while_journal_unreadable", test_nothing_sent_while_journal_unreadable);
	CU_add_test(s, "test_stop_held_back_by_budget_is_skipped_then_sent",
		    test_stop_held_back_by_budget_is_skipped_then_sent);
}
