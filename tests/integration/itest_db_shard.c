/* sql/db_shard.h against a real PostgreSQL: the fair share over live
 * instances, claims never shared, releases only when another instance is
 * short, a crashed instance (SIGKILL) gone at once, a duplicate instance
 * name refused, and the holders `vigil status` reads. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock_now.h"
#include "sql/db_ha.h"
#include "sql/db_outbox.h"
#include "sql/db_shard.h"
#include "tests/integration/itest_db_kit.h"
#include "tests/support/testutil.h"

#define NA 6
static const char *const acc[NA] = { "a1", "a2", "a3", "a4", "a5", "a6" };

static int count(const bool *h)
{
	int n = 0;
	for (int i = 0; i < NA; i++)
		n += h[i];
	return n;
}

/* first round registers (no claim), the second claims up to the share */
static void two_rounds(struct db_shard *s, bool *held, struct db_shard_round *rd)
{
	struct db_err e = { 0 };
	CU_ASSERT_EQUAL(db_shard_round(s, acc, NA, held, false, rd, &e), DB_OK);
	CU_ASSERT_EQUAL(rd->claimed, 0);
	CU_ASSERT_EQUAL(db_shard_round(s, acc, NA, held, true, rd, &e), DB_OK);
}

static void test_db_shard_fair_share_claims_are_exclusive_and_rebalance_only_to_a_short_instance(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct db_shard *a = db_shard_new(&p, "a", "t", 5000, &e), *b = db_shard_new(&p, "b", "t", 5000, &e);
	bool ha[NA] = { 0 }, hb[NA] = { 0 };
	struct db_shard_round ra, rb;
	two_rounds(a, ha, &ra);
	CU_ASSERT_EQUAL(ra.live, 1);
	CU_ASSERT_EQUAL(ra.fair, NA);
	CU_ASSERT_EQUAL(count(ha), NA); /* alone: every account */
	CU_ASSERT_EQUAL(ra.release, 0);
	two_rounds(b, hb, &rb);
	CU_ASSERT_EQUAL(rb.live, 2);
	CU_ASSERT_EQUAL(rb.fair, 3);
	CU_ASSERT_EQUAL(count(hb), 0); /* all taken: nothing shared */
	/* a sees b short: releases exactly its excess */
	CU_ASSERT_EQUAL(db_shard_round(a, acc, NA, ha, true, &ra, &e), DB_OK);
	CU_ASSERT_EQUAL(ra.release, 3);
	int gone = 0;
	for (int i = 0; i < NA && gone < ra.release; i++)
		if (ha[i]) {
			CU_ASSERT_EQUAL(db_shard_release(a, acc[i], &e), DB_OK);
			ha[i] = false;
			gone++;
		}
	CU_ASSERT_EQUAL(db_shard_round(b, acc, NA, hb, true, &rb, &e), DB_OK);
	CU_ASSERT_EQUAL(count(hb), 3);
	for (int i = 0; i < NA; i++)
		CU_ASSERT_FALSE(ha[i] && hb[i]);
	/* balanced: nobody releases more */
	CU_ASSERT_EQUAL(db_shard_round(a, acc, NA, ha, true, &ra, &e), DB_OK);
	CU_ASSERT_EQUAL(ra.release, 0);
	CU_ASSERT_EQUAL(count(ha), 3);
	/* status: who holds what */
	char holder[NA][64];
	CU_ASSERT_EQUAL(db_shard_holders(d.c, acc, NA, holder, &e), DB_OK);
	for (int i = 0; i < NA; i++)
		CU_ASSERT_STRING_EQUAL(holder[i], ha[i] ? "a" : "b");
	/* a clean stop: b alone takes everything at its next round */
	db_shard_free(a);
	CU_ASSERT_EQUAL(db_shard_round(b, acc, NA, hb, true, &rb, &e), DB_OK);
	CU_ASSERT_EQUAL(rb.live, 1);
	CU_ASSERT_EQUAL(count(hb), NA);
	db_shard_free(b);
	idb_drop(&d);
}

/* A child instance claims its share, reports, then waits to be killed. */
static pid_t spawn_instance(const struct db_params *p, const char *name)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		struct db_err e = { 0 };
		struct db_shard *s = db_shard_new(p, name, "t", 60000, &e);
		bool h[NA] = { 0 };
		struct db_shard_round rd;
		char c = s && db_shard_round(s, acc, NA, h, true, &rd, &e) == DB_OK ? (char)('0' + count(h)) : 'x';
		if (write(fds[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	char c = '?';
	if (read(fds[0], &c, 1) != 1)
		c = '?';
	close(fds[0]);
	CU_ASSERT_EQUAL(c, '0' + NA);
	return pid;
}

static void test_db_shard_a_killed_instance_is_gone_at_once_and_its_accounts_taken(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	pid_t pid = spawn_instance(&p, "dead"); /* its row lives 60 s */
	CU_ASSERT_FATAL(pid > 0);
	struct db_shard *a = db_shard_new(&p, "a", "t", 5000, &e);
	bool ha[NA] = { 0 };
	struct db_shard_round ra;
	two_rounds(a, ha, &ra);
	CU_ASSERT_EQUAL(ra.live, 2);
	CU_ASSERT_EQUAL(count(ha), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* the row has not expired, but its instance lock went with the
	 * session: dead at once, every account free */
	int64_t t0 = wd_mono_ms();
	while (count(ha) < NA && wd_mono_ms() - t0 < 2000) {
		CU_ASSERT_EQUAL(db_shard_round(a, acc, NA, ha, true, &ra, &e), DB_OK);
		usleep(20 * 1000);
	}
	CU_ASSERT_EQUAL(ra.live, 1);
	CU_ASSERT_EQUAL(count(ha), NA);
	CU_ASSERT_TRUE(wd_mono_ms() - t0 < 1000);
	db_shard_free(a);
	idb_drop(&d);
}

static void test_db_shard_a_duplicate_instance_name_claims_nothing(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct db_shard *a = db_shard_new(&p, "same", "t", 5000, &e), *twin = db_shard_new(&p, "same", "t", 5000, &e);
	bool ha[NA] = { 0 }, ht[NA] = { 0 };
	struct db_shard_round ra, rt;
	two_rounds(a, ha, &ra);
	CU_ASSERT_EQUAL(count(ha), NA);
	CU_ASSERT_EQUAL(db_shard_round(twin, acc, NA, ht, true, &rt, &e), DB_OK);
	CU_ASSERT_TRUE(rt.dup_name);
	CU_ASSERT_EQUAL(count(ht), 0);
	/* the first keeps its row (the twin could not renew it) */
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.instances WHERE instance = 'same'"), 1);
	db_shard_free(twin);
	CU_ASSERT_EQUAL(db_shard_round(a, acc, NA, ha, true, &ra, &e), DB_OK);
	CU_ASSERT_EQUAL(count(ha), NA);
	db_shard_free(a);
	idb_drop(&d);
}

static void test_db_shard_a_lost_session_loses_every_claim_and_the_repair_locks_on_it(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct db_shard *a = db_shard_new(&p, "a", "t", 5000, &e);
	bool ha[NA] = { 0 };
	struct db_shard_round ra;
	two_rounds(a, ha, &ra);
	CU_ASSERT_EQUAL(count(ha), NA);
	struct db_ha *rl = db_ha_new_on(db_shard_conn(a), "a1", "a", 800);
	CU_ASSERT_EQUAL(db_ha_try_acquire(rl, &e), 1);
	/* the server ends the session (a network cut, a restart) */
	char sql[256];
	snprintf(sql, sizeof sql,
		 "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = "
		 "'vigil-shard' AND datname = '%s'",
		 d.name);
	CU_ASSERT_EQUAL(idb_count(&d, sql), 1);
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(db_shard_round(a, acc, NA, ha, true, &ra, &e), DB_OK); /* on a new session */
	CU_ASSERT_TRUE(ra.new_session);
	CU_ASSERT_EQUAL(ra.lost, NA);
	/* ... the round re-claims them (free now), the repair lock is re-taken
	 * at its next check, never believed held in between */
	CU_ASSERT_EQUAL(count(ha), NA);
	CU_ASSERT_EQUAL(db_ha_try_acquire(rl, &e), 1);
	db_ha_free(rl);
	db_shard_free(a);
	idb_drop(&d);
}

/* Advisory locks are per database: another database on the cluster with
 * the same account and instance names (another deployment, a test) takes
 * nothing from this one. */
static void test_db_shard_another_database_with_the_same_names_is_independent(void)
{
	struct idb d1, d2;
	if (idb_create_migrated(&d1))
		return;
	if (idb_create_migrated(&d2)) {
		idb_drop(&d1);
		return;
	}
	struct db_params p1, p2;
	idb_params(&d1, &p1);
	idb_params(&d2, &p2);
	struct db_err e = { 0 };
	struct db_shard *a = db_shard_new(&p1, "a", "t", 5000, &e), *b = db_shard_new(&p2, "a", "t", 5000, &e);
	bool ha[NA] = { 0 }, hb[NA] = { 0 };
	struct db_shard_round ra, rb;
	two_rounds(a, ha, &ra);
	two_rounds(b, hb, &rb);
	CU_ASSERT_FALSE(rb.dup_name);
	CU_ASSERT_EQUAL(ra.live, 1);
	CU_ASSERT_EQUAL(rb.live, 1);
	CU_ASSERT_EQUAL(count(ha), NA);
	CU_ASSERT_EQUAL(count(hb), NA);
	db_shard_free(a);
	db_shard_free(b);
	idb_drop(&d1);
	idb_drop(&d2);
}

/* Two instances' notifiers on one outbox: a due message is handed to one
 * of them only; a failed attempt frees it for either. */
static void test_db_shard_outbox_delivery_is_claimed_by_one_instance(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *sa = idb_spool_path("oa"), *sb = idb_spool_path("ob");
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct alert_outbox *a = db_outbox_new(&p, sa, &e), *b = db_outbox_new(&p, sb, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	db_outbox_set_claimer(a, "a");
	db_outbox_set_claimer(b, "b");
	struct alert_msg m[2];
	for (int i = 0; i < 2; i++) {
		idb_msg(&m[i], "telegram", i, 1000 + i);
		CU_ASSERT_EQUAL(a->ops->enqueue(a, &m[i]), 0);
	}
	struct alert_msg *due = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(a->ops->due(a, 5000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(b->ops->due(b, 5000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL(n, 0); /* a is sending them */
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(a->ops->delivered(a, m[0].id, 5000), 0);
	CU_ASSERT_EQUAL(a->ops->failed(a, m[1].id, 6000, "500"), 0);
	CU_ASSERT_EQUAL(b->ops->due(b, 7000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1); /* the failed one, free again */
	CU_ASSERT_EQUAL(due[0].id, m[1].id);
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(a->ops->due(a, 7000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL(n, 0); /* now b's */
	alert_msgs_free(due, n);
	a->ops->destroy(a);
	b->ops->destroy(b);
	idb_spool_rm(sa);
	idb_spool_rm(sb);
	idb_drop(&d);
}

void itest_db_shard_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_db_shard_fair_share_claims_are_exclusive_and_rebalance_only_to_a_short_instance",
		  test_db_shard_fair_share_claims_are_exclusive_and_rebalance_only_to_a_short_instance },
		{ "test_db_shard_a_killed_instance_is_gone_at_once_and_its_accounts_taken",
		  test_db_shard_a_killed_instance_is_gone_at_once_and_its_accounts_taken },
		{ "test_db_shard_a_duplicate_instance_name_claims_nothing",
		  test_db_shard_a_duplicate_instance_name_claims_nothing },
		{ "test_db_shard_a_lost_session_loses_every_claim_and_the_repair_locks_on_it",
		  test_db_shard_a_lost_session_loses_every_claim_and_the_repair_locks_on_it },
		{ "test_db_shard_another_database_with_the_same_names_is_independent",
		  test_db_shard_another_database_with_the_same_names_is_independent },
		{ "test_db_shard_outbox_delivery_is_claimed_by_one_instance",
		  test_db_shard_outbox_delivery_is_claimed_by_one_instance },
		{ NULL, NULL },
	};
	tu_add_suite("db_shard", tests);
}
