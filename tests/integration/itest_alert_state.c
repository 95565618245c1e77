/* The alert state a restarted daemon rebuilds its router from
 * (sql/002_alert_state.sql, sql/db_store.c): what was alerted on each open
 * finding, and which journaled actions were never alerted. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql/db_journal.h"
#include "sql/db_store.h"
#include "tests/integration/itest_db_kit.h"
#include "tests/support/testutil.h"

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct db_alert_state *state_of(const struct db_alert_state *s, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s[i].row.key, key))
			return &s[i];
	return NULL;
}

static void itest_alert_state_firing_repeat_escalation_are_stored_on_the_finding(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_err e = { 0 };
	struct rec_finding f1, f2;
	idb_finding(&f1, "main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	idb_finding(&f2, "main", "ETHUSDT", REC_ORPHAN_ORDER);
	f1.first_seen_ms = 500;
	/* FIRING before the store ever saw f1: the row is created */
	CU_ASSERT_EQUAL(db_finding_alerted(d.c, &f1, 0, 1000, &e), 0);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f1, 1100, &e), 0);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f2, 1100, &e), 0);
	CU_ASSERT_EQUAL(db_finding_alerted(d.c, &f1, 1, 5000, &e), 0); /* repeat */
	CU_ASSERT_EQUAL(db_finding_alerted(d.c, &f1, 2, 6000, &e), 0); /* escalated */
	CU_ASSERT_EQUAL(db_finding_ack(d.c, f1.key, &(long){ 0 }, &e), 0);
	struct db_alert_state *s = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_findings_alert_state(d.c, "main", &s, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 2);
	const struct db_alert_state *a = state_of(s, n, f1.key), *b = state_of(s, n, f2.key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(a->first_alerted_ms, 1000);
	CU_ASSERT_EQUAL(a->last_alerted_ms, 5000);
	CU_ASSERT_EQUAL(a->escalated_ms, 6000);
	CU_ASSERT_EQUAL(a->alerted_severity, (int)REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(a->row.first_seen_ms, 500);
	CU_ASSERT_TRUE(a->row.acked);
	CU_ASSERT_EQUAL(b->alerted_severity, -1); /* never alerted (held / inside the hold) */
	CU_ASSERT_EQUAL(b->first_alerted_ms, 0);
	free(s);
	/* a resolved finding is not restored; a new occurrence starts clean */
	const char *keys[] = { f2.key };
	long k = 0;
	CU_ASSERT_EQUAL(db_findings_resolve_absent(d.c, "main", keys, 1, 7000, &k, &e), 0);
	CU_ASSERT_EQUAL(db_findings_alert_state(d.c, "", &s, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 1);
	free(s);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f1, 8000, &e), 0);
	CU_ASSERT_EQUAL(db_findings_alert_state(d.c, "main", &s, &n, &e), 0);
	a = state_of(s, n, f1.key);
	CU_ASSERT_TRUE(a && a->alerted_severity == -1 && a->first_alerted_ms == 0);
	free(s);
	/* write-back after the restarted classifier's grace */
	CU_ASSERT_EQUAL(db_finding_alert_restore(d.c, &f1, 1000, 5000, REC_SEV_CRITICAL, 0, &e), 0);
	CU_ASSERT_EQUAL(db_findings_alert_state(d.c, "main", &s, &n, &e), 0);
	a = state_of(s, n, f1.key);
	CU_ASSERT_TRUE(a && a->first_alerted_ms == 1000 && a->last_alerted_ms == 5000 && a->escalated_ms == 0);
	free(s);
	idb_drop(&d);
}

static void itest_alert_state_unalerted_actions_are_found_then_marked(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *spool = idb_spool_path("journal");
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct rec_journal *j = db_journal_new(&p, spool, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	struct rec_action a, b, c;
	idb_action(&a, "main", "BTCUSDT", "vgl-1");
	idb_action(&b, "main", "ETHUSDT", "vgl-2");
	idb_action(&c, "main", "SOLUSDT", "vgl-3");
	snprintf(a.finding_key, sizeof a.finding_key, "main:binance:BTCUSDT:UNPROTECTED_POSITION");
	a.kind = REC_ACT_CLOSE_POSITION;
	CU_ASSERT_EQUAL(j->ops->intent(j, &a), 0);
	CU_ASSERT_EQUAL(j->ops->intent(j, &b), 0);
	CU_ASSERT_EQUAL(j->ops->intent(j, &c), 0);
	CU_ASSERT_EQUAL(j->ops->outcome(j, a.id, REC_OUT_DONE, "77", "recovered: filled before restart"), 0);
	CU_ASSERT_EQUAL(j->ops->outcome(j, c.id, REC_OUT_SKIPPED, "", "dry run"), 0); /* nothing sent */
	int64_t now = wall_ms();
	struct rec_action *u = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(db_actions_unalerted(d.c, "main", now - 60000, &u, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(u[0].id, a.id);
	CU_ASSERT_EQUAL(u[0].kind, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_EQUAL(u[0].outcome, REC_OUT_DONE);
	CU_ASSERT_STRING_EQUAL(u[0].outcome_detail, "recovered: filled before restart");
	CU_ASSERT_STRING_EQUAL(u[0].finding_key, "main:binance:BTCUSDT:UNPROTECTED_POSITION");
	CU_ASSERT_EQUAL(u[0].order_side, REC_SELL);
	CU_ASSERT_EQUAL(u[1].id, b.id);
	CU_ASSERT_EQUAL(u[1].outcome, REC_OUT_PENDING);
	free(u);
	/* outside the look-back window or of another account: nothing */
	CU_ASSERT_EQUAL(db_actions_unalerted(d.c, "main", now + 60000, &u, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	CU_ASSERT_EQUAL(db_actions_unalerted(d.c, "other", now - 60000, &u, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	int64_t ids[2] = { a.id, b.id };
	CU_ASSERT_EQUAL(db_actions_mark_alerted(d.c, ids, 2, now, &e), 0);
	CU_ASSERT_EQUAL(db_actions_mark_alerted(d.c, ids, 0, now, &e), 0);
	CU_ASSERT_EQUAL(db_actions_unalerted(d.c, "main", now - 60000, &u, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	j->ops->destroy(j);
	idb_spool_rm(spool);
	idb_drop(&d);
}

/* Before `vigil db migrate` brought 002: an error, never a crash (the
 * daemon then starts with an empty router, as before). */
static void itest_alert_state_schema_without_002_reports_an_error(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	CU_ASSERT_EQUAL(idb_exec(d.conninfo, "ALTER TABLE vigil.findings DROP COLUMN first_alerted_at"), 0);
	struct db_err e = { 0 };
	struct db_alert_state *s = NULL;
	size_t n = 7;
	CU_ASSERT_NOT_EQUAL(db_findings_alert_state(d.c, "main", &s, &n, &e), 0);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(n, 0);
	idb_drop(&d);
}

/* Recorded due before a repair; the FIRING clears it; never sent = kept. */
static void itest_alert_state_due_is_kept_until_the_firing_is_queued(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_err e = { 0 };
	struct rec_finding f1, f2;
	idb_finding(&f1, "main", "SKLUSDT", REC_UNPROTECTED_POSITION);
	idb_finding(&f2, "main", "SKLUSDT", REC_ORPHAN_POSITION);
	CU_ASSERT_EQUAL(db_finding_alert_due(d.c, &f1, 1000, &e), 0); /* inserts */
	CU_ASSERT_EQUAL(db_finding_alert_due(d.c, &f2, 1000, &e), 0);
	CU_ASSERT_EQUAL(db_finding_alert_due(d.c, &f2, 2000, &e), 0); /* keeps the first */
	CU_ASSERT_EQUAL(db_finding_alerted(d.c, &f1, 0, 1500, &e), 0);
	struct db_alert_state *s = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL_FATAL(db_findings_alert_state(d.c, "main", &s, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 2);
	const struct db_alert_state *a = state_of(s, n, f1.key), *b = state_of(s, n, f2.key);
	CU_ASSERT_TRUE(a && a->alert_due_ms == 0 && a->first_alerted_ms == 1500);
	CU_ASSERT_TRUE(b && b->alert_due_ms == 1000 && b->first_alerted_ms == 0);
	free(s);
	idb_drop(&d);
}

void itest_alert_state_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_alert_state_firing_repeat_escalation_are_stored_on_the_finding",
		  itest_alert_state_firing_repeat_escalation_are_stored_on_the_finding },
		{ "itest_alert_state_unalerted_actions_are_found_then_marked",
		  itest_alert_state_unalerted_actions_are_found_then_marked },
		{ "itest_alert_state_due_is_kept_until_the_firing_is_queued",
		  itest_alert_state_due_is_kept_until_the_firing_is_queued },
		{ "itest_alert_state_schema_without_002_reports_an_error",
		  itest_alert_state_schema_without_002_reports_an_error },
		{ NULL, NULL },
	};
	tu_add_suite("alert_state", tests);
}
