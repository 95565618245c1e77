/* The audit scheduler: periodic deadlines, debounced stream events,
 * events during an audit, earliest deadline first. */
#include <CUnit/CUnit.h>

#include "tests/support/testutil.h"
#include "watchdog/sched.h"

static void test_wd_sched_all_accounts_due_at_start_then_every_interval(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 2, 1000, 250, 0);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 0);
	wd_sched_start(&s, 0, 0);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 1); /* a running account is skipped */
	wd_sched_start(&s, 1, 0);
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
	wd_sched_start(&s, 0, 0);
	wd_sched_done(&s, 0, 0);
	wd_sched_event(&s, 0, 1000);
	wd_sched_event(&s, 0, 1100); /* later events do not push it out */
	wd_sched_event(&s, 0, 1200);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1100, &w), -1);
	CU_ASSERT_EQUAL(w, 150);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 1250, &w), 0);
	wd_sched_start(&s, 0, 1250);
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
	wd_sched_start(&s, 0, 0);
	wd_sched_event(&s, 0, 50); /* the audit in flight may have missed it */
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
	wd_sched_event(&s, 5, 0);
	wd_sched_start(&s, 5, 0);
	wd_sched_done(&s, 5, 0);
	CU_ASSERT_EQUAL(wd_sched_next(&s, 0, &w), 0);
	wd_sched_free(&s);
}

/* The request budget's pace: an event burst never starts audits closer
 * together than the minimum gap (one full listing per gap). */
static void test_wd_sched_event_audits_respect_the_budget_gap(void)
{
	struct wd_sched s;
	int64_t w;
	wd_sched_init(&s, 1, 30000, 250, 0);
	wd_sched_set_min_gap(&s, 0, 14000);
	wd_sched_start(&s, 0, 0);
	wd_sched_done(&s, 0, 100);
	int audits = 1;
	for (int64_t t = 200; t < 60000; t += 200) {
		wd_sched_event(&s, 0, t); /* the bot places / cancels every 200 ms */
		if (wd_sched_next(&s, t, &w) == 0) {
			CU_ASSERT_TRUE(t - s.slot[0].last_start_ms >= 14000);
			wd_sched_start(&s, 0, t);
			wd_sched_done(&s, 0, t + 50);
			audits++;
		}
	}
	CU_ASSERT_TRUE(audits <= 1 + 60000 / 14000);
	CU_ASSERT_TRUE(audits >= 60000 / 14000);
	wd_sched_free(&s);
}

void test_wd_sched_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_wd_sched_all_accounts_due_at_start_then_every_interval", test_wd_sched_all_accounts_due_at_start_then_every_interval },
		{ "test_wd_sched_event_burst_gives_one_audit_after_debounce", test_wd_sched_event_burst_gives_one_audit_after_debounce },
		{ "test_wd_sched_event_during_audit_schedules_another", test_wd_sched_event_during_audit_schedules_another },
		{ "test_wd_sched_out_of_range_index_is_ignored", test_wd_sched_out_of_range_index_is_ignored },
		{ "test_wd_sched_event_audits_respect_the_budget_gap", test_wd_sched_event_audits_respect_the_budget_gap },
		{ NULL, NULL },
	};
	tu_add_suite("wd_sched", tests);
}
