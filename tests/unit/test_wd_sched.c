/* The audit scheduler: periodic deadlines, debounced stream events,
 * events during an audit, earliest deadline first. */
#include <stdio.h>
#include <CUnit/CUnit.h>

#include "tests/support/testutil.h"
#include "watchdog/sched.h"

static void test_wd_sched_all_accounts_due_at_start_then_every_interval(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 2, 1000, 250, 0);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 0);
	wd_sched_start(&s, 0, 0, NULL);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 1); /* a running account is skipped */
	wd_sched_start(&s, 1, 0, NULL);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), -1);
	CU_ASSERT_EQUAL(w, -1);
	wd_sched_done(&s, 0, 100);
	wd_sched_done(&s, 1, 200);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 500, &w), -1);
	CU_ASSERT_EQUAL(w, 600);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1100, &w), 0);
	wd_sched_free(&s);
}

static void test_wd_sched_event_burst_gives_one_audit_after_debounce(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 30000, 250, 0);
	wd_sched_start(&s, 0, 0, NULL);
	wd_sched_done(&s, 0, 0);
	wd_sched_event(&s, 0, 1000, NULL);
	wd_sched_event(&s, 0, 1100, NULL); /* later events do not push it out */
	wd_sched_event(&s, 0, 1200, NULL);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1100, &w), -1);
	CU_ASSERT_EQUAL(w, 150);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1250, &w), 0);
	wd_sched_start(&s, 0, 1250, NULL);
	wd_sched_done(&s, 0, 1300);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1400, &w), -1);
	CU_ASSERT_EQUAL(w, 30000 + 1300 - 1400);
	CU_ASSERT_EQUAL(s.slot[0].events, 3);
	wd_sched_free(&s);
}

static void test_wd_sched_event_during_audit_schedules_another(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 30000, 100, 0);
	wd_sched_start(&s, 0, 0, NULL);
	wd_sched_event(&s, 0, 50, NULL); /* the audit in flight may have missed it */
	wd_sched_done(&s, 0, 80);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 100, &w), -1);
	CU_ASSERT_EQUAL(w, 50);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 150, &w), 0);
	wd_sched_free(&s);
}

static void test_wd_sched_out_of_range_index_is_ignored(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 1000, 0, 0);
	wd_sched_event(&s, 5, 0, NULL);
	wd_sched_start(&s, 5, 0, NULL);
	wd_sched_done(&s, 5, 0);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 0);
	wd_sched_free(&s);
}

/* The request budget's pace: an event burst that names no symbol never
 * starts full audits closer together than the minimum gap. */
static void test_wd_sched_event_audits_respect_the_budget_gap(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 30000, 250, 0);
	wd_sched_set_min_gap(&s, 0, 14000, 1000);
	wd_sched_start(&s, 0, 0, NULL);
	wd_sched_done(&s, 0, 100);
	int audits = 1;
	for (int64_t t = 200; t < 60000; t += 200) {
		wd_sched_event(&s, 0, t, NULL); /* the bot places / cancels every 200 ms */
		if (wd_sched_next(&s, t, &w) == 0) {
			CU_ASSERT_TRUE(t - s.slot[0].last_start_ms >= 14000);
			struct wd_scope sc;
			wd_sched_start(&s, 0, t, &sc);
			CU_ASSERT_EQUAL(sc.n, 0);
			wd_sched_done(&s, 0, t + 50);
			audits++;
		}
	}
	CU_ASSERT_TRUE(audits <= 1 + 60000 / 14000);
	CU_ASSERT_TRUE(audits >= 60000 / 14000);
	wd_sched_free(&s);
}

/* Churn on one symbol: the follow-ups are targeted checks of that symbol,
 * spaced by the per-symbol gap, and the periodic full audit still comes
 * every interval (targeted checks never postpone it). */
static void test_wd_sched_symbol_events_give_targeted_checks_and_keep_full_audits(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 20000, 250, 0);
	wd_sched_set_min_gap(&s, 0, 14000, 2000);
	wd_sched_start(&s, 0, 0, NULL);
	wd_sched_done(&s, 0, 100);
	int full = 1, targeted = 0;
	int64_t last_targeted = -100000, last_full = 0;
	for (int64_t t = 200; t < 60000; t += 200) {
		wd_sched_event(&s, 0, t, "BTCUSDT");
		if (wd_sched_next(&s, t, &w) != 0)
			continue;
		struct wd_scope sc;
		wd_sched_start(&s, 0, t, &sc);
		if (sc.n) {
			CU_ASSERT_EQUAL(sc.n, 1);
			CU_ASSERT_STRING_EQUAL(sc.sym[0], "BTCUSDT");
			CU_ASSERT_TRUE(t - last_targeted >= 2000);
			last_targeted = t;
			targeted++;
		} else {
			CU_ASSERT_TRUE(t - last_full >= 14000);
			last_full = t;
			full++;
		}
		wd_sched_done(&s, 0, t + 50);
	}
	CU_ASSERT_TRUE(full >= 3 && full <= 4);           /* every ~20 s */
	CU_ASSERT_TRUE(targeted >= 20 && targeted <= 30); /* every ~2 s between */
	wd_sched_free(&s);
}

/* More symbols than a targeted check covers, or an event without a
 * symbol, ask for the full audit (paced by the full gap). */
static void test_wd_sched_too_many_symbols_or_none_ask_for_a_full_audit(void)
{
	struct wd_sched s;
	int64_t w;
	char sym[24];
	wd_sched_init(&s, 1, 60000, 100, 0);
	wd_sched_set_min_gap(&s, 0, 5000, 500);
	wd_sched_start(&s, 0, 0, NULL);
	wd_sched_done(&s, 0, 10);
	for (int k = 0; k <= WD_SCOPE_MAX; k++) {
		snprintf(sym, sizeof sym, "S%dUSDT", k);
		wd_sched_event(&s, 0, 1000, sym);
	}
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1100, &w), -1); /* full gap holds */
	CU_ASSERT_EQUAL(w, 3900);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 5000, &w), 0);
	struct wd_scope sc;
	wd_sched_start(&s, 0, 5000, &sc);
	CU_ASSERT_EQUAL(sc.n, 0);
	wd_sched_done(&s, 0, 5010);

	wd_sched_event(&s, 0, 6000, "AUSDT");
	wd_sched_event(&s, 0, 6001, "BUSDT");
	wd_sched_event(&s, 0, 6002, "AUSDT"); /* once */
	CU_ASSERT_EQUAL(wd_sched_next(&s, 6100, &w), 0);
	wd_sched_start(&s, 0, 6100, &sc);
	CU_ASSERT_EQUAL(sc.n, 2);
	wd_sched_done(&s, 0, 6110);
	/* two symbols checked: the next targeted check waits 2 x 500 ms */
	wd_sched_event(&s, 0, 6200, "AUSDT");
	CU_ASSERT_EQUAL(wd_sched_next(&s, 6300, &w), -1);
	CU_ASSERT_EQUAL(w, 800);
	wd_sched_event(&s, 0, 6300, ""); /* no symbol: the whole account */
	/* the full audit waits for its gap (from 5000); AUSDT is checked meanwhile */
	CU_ASSERT_EQUAL(wd_sched_next(&s, 7200, &w), 0);
	wd_sched_start(&s, 0, 7200, &sc);
	CU_ASSERT_EQUAL(sc.n, 1);
	wd_sched_done(&s, 0, 7210);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 9000, &w), -1);
	CU_ASSERT_EQUAL(w, 1000);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 10000, &w), 0);
	wd_sched_start(&s, 0, 10000, &sc);
	CU_ASSERT_EQUAL(sc.n, 0);
	wd_sched_free(&s);
}

void test_wd_sched_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_wd_sched_all_accounts_due_at_start_then_every_interval",
		  test_wd_sched_all_accounts_due_at_start_then_every_interval },
		{ "test_wd_sched_event_burst_gives_one_audit_after_debounce",
		  test_wd_sched_event_burst_gives_one_audit_after_debounce },
		{ "test_wd_sched_event_during_audit_schedules_another",
		  test_wd_sched_event_during_audit_schedules_another },
		{ "test_wd_sched_out_of_range_index_is_ignored", test_wd_sched_out_of_range_index_is_ignored },
		{ "test_wd_sched_event_audits_respect_the_budget_gap",
		  test_wd_sched_event_audits_respect_the_budget_gap },
		{ "test_wd_sched_symbol_events_give_targeted_checks_and_keep_full_audits",
		  test_wd_sched_symbol_events_give_targeted_checks_and_keep_full_audits },
		{ "test_wd_sched_too_many_symbols_or_none_ask_for_a_full_audit",
		  test_wd_sched_too_many_symbols_or_none_ask_for_a_full_audit },
		{ NULL, NULL },
	};
	tu_add_suite("wd_sched", tests);
}
