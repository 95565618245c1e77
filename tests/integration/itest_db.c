/* sql/ against a real throwaway PostgreSQL ($VIGIL_TEST_PG): migrations,
 * the bot's positions, journal, outbox, findings, HA locks, spool replay
 * and SQL injection. Each test works in a database of its own. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sql/db_bot.h"
#include "sql/db_conn.h"
#include "sql/db_ha.h"
#include "sql/db_journal.h"
#include "sql/db_migrate.h"
#include "sql/db_outbox.h"
#include "sql/db_store.h"
#include "tests/integration/itest_db_kit.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static void test_db_migrate_from_empty_then_again_is_noop(void)
{
	struct idb d;
	if (idb_create(&d))
		return;
	struct db_migrate_result r;
	struct db_err e = { 0 };
	CU_ASSERT_EQUAL(db_migrate_run(d.c, idb_sql_dir(), &r, NULL, NULL, &e), 0);
	CU_ASSERT_TRUE(r.applied >= 1);
	CU_ASSERT_EQUAL(r.already, 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.schema_version"), r.applied);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_tables WHERE schemaname = 'vigil' AND tablename IN"
				      " ('audit_runs','findings','actions','alert_outbox','heartbeats')"),
			5);
	int applied = r.applied;
	CU_ASSERT_EQUAL(db_migrate_run(d.c, idb_sql_dir(), &r, NULL, NULL, &e), 0);
	CU_ASSERT_EQUAL(r.applied, 0);
	CU_ASSERT_EQUAL(r.already, applied);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.schema_version"), applied);
	idb_drop(&d);
}

static void test_db_migrate_broken_file_rolls_back_and_reports(void)
{
	struct idb d;
	if (idb_create(&d))
		return;
	char tmpl[] = "/tmp/vigil-mig.XXXXXX";
	char *dir = mkdtemp(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char *cmd =
		xasprintf("cp %s/0*.sql %s/ && printf 'CREATE TABLE half_done (x int);\\n"
			  "INSERT INTO half_done VALUES (1);\\nSELECT * FROM no_such_table;\\n' > %s/900_broken.sql",
			  idb_sql_dir(), dir, dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	struct db_migrate_result r;
	struct db_err e = { 0 };
	int rc = db_migrate_run(d.c, dir, &r, NULL, NULL, &e);
	CU_ASSERT_EQUAL(rc, DB_ESQL);
	CU_ASSERT_STRING_EQUAL(r.failed, "900_broken.sql");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no_such_table"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "900_broken.sql"));
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.schema_version WHERE version = 900"), 0);
	/* the good ones before it are in and stay in */
	CU_ASSERT_TRUE(idb_count(&d, "SELECT count(*) FROM vigil.schema_version") >= 1);
	/* vigil db migrate: non-zero exit with the SQL error on stderr */
	char *conf = idb_write_conf(&d, "vigil");
	cmd = xasprintf("VIGIL_SQL_DIR=%s %s db -c %s migrate >%s/out 2>&1", dir, tu_build_path("vigil"), conf, dir);
	int st = system(cmd);
	free(cmd);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 65);
	char *out_path = xasprintf("%s/out", dir);
	char *out = tu_read_file(out_path, NULL);
	CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "no_such_table"));
	free(out);
	free(out_path);
	unlink(conf);
	free(conf);
	cmd = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	idb_drop(&d);
}

static void test_db_migrate_cli_applies_once_into_configured_schema(void)
{
	struct idb d;
	if (idb_create(&d))
		return;
	char *conf = idb_write_conf(&d, "ops_audit");
	char *cmd = xasprintf("VIGIL_SQL_DIR=%s %s db -c %s migrate >/dev/null 2>&1", idb_sql_dir(),
			      tu_build_path("vigil"), conf);
	int st = system(cmd);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = system(cmd);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(cmd);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_tables WHERE schemaname = 'ops_audit'"
				      " AND tablename = 'findings'"),
			1);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_namespace WHERE nspname = 'vigil'"), 0);
	unlink(conf);
	free(conf);
	idb_drop(&d);
}

static void test_db_bot_positions_read_through_default_query(void)
{
	struct idb d;
	if (idb_create(&d))
		return;
	char *cmd = xasprintf("psql -q -X -v ON_ERROR_STOP=1 '%s' -f %s/sample_bot_schema.sql >/dev/null 2>&1",
			      d.conninfo, idb_sql_dir());
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	free(cmd);
	struct db_params p;
	idb_params(&d, &p);
	p.read_only = true;
	struct db_err e = { 0 };
	struct db_conn *bot = db_conn_new(&p, &e);
	struct rec_bot_row *rows = NULL;
	size_t n = 0;
	int rc = db_bot_positions(bot, idb_default_bot_query(), &rows, &n, &e);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(rows[0].symbol, "BTCUSDT");
	CU_ASSERT_STRING_EQUAL(rows[0].exchange, "binance");
	CU_ASSERT_EQUAL(rows[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].qty, 0.01, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].entry_price, 43250.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(rows[0].status, "active");
	CU_ASSERT_EQUAL(rows[0].opened_ms, 1760954400000LL);
	CU_ASSERT_EQUAL(rows[1].side, REC_SIDE_SHORT);
	free(rows);
	/* a query missing a column: a clear error naming it */
	rc = db_bot_positions(bot, "SELECT symbol, exchange, quantity, entry_price, status FROM positions", &rows, &n,
			      &e);
	CU_ASSERT_EQUAL(rc, DB_EDATA);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "'side'"));
	CU_ASSERT_PTR_NULL(rows);
	/* the session is read-only: a writing "query" is refused */
	rc = db_bot_positions(bot,
			      "DELETE FROM positions RETURNING symbol, exchange, side, quantity, entry_price, status",
			      &rows, &n, &e);
	CU_ASSERT_EQUAL(rc, DB_ESQL);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM positions"), 4);
	db_conn_free(bot);
	idb_drop(&d);
}

static void test_db_unreachable_database_reports_unreachable_fast(void)
{
	struct db_params p = { 0 };
	snprintf(p.dsn, sizeof p.dsn, "host=127.0.0.1 port=%d user=test dbname=postgres", idb_dead_port());
	p.connect_timeout_ms = 1000;
	struct db_err e = { 0 };
	struct db_conn *c = db_conn_new(&p, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct rec_bot_row *rows = NULL;
	size_t n = 0;
	int64_t t0 = wd_mono_ms();
	CU_ASSERT_EQUAL(db_bot_positions(c, idb_default_bot_query(), &rows, &n, &e), DB_EUNREACH);
	/* second call inside the backoff: no new attempt, same answer */
	CU_ASSERT_EQUAL(db_bot_positions(c, idb_default_bot_query(), &rows, &n, &e), DB_EUNREACH);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "next attempt"));
	CU_ASSERT_TRUE(wd_mono_ms() - t0 < 3000);
	db_conn_free(c);
}

static void test_db_journal_intent_outcome_and_unfinished(void)
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
	struct rec_action a = { 0 }, b = { 0 };
	idb_action(&a, "main", "BTCUSDT", "vgl-1");
	idb_action(&b, "main", "ETHUSDT", "vgl-2");
	CU_ASSERT_EQUAL(j->ops->intent(j, &a), 0);
	CU_ASSERT_EQUAL(j->ops->intent(j, &b), 0);
	CU_ASSERT_TRUE(a.id > 0 && b.id > 0 && a.id != b.id);
	struct rec_action *u = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(u[0].id, a.id); /* oldest first */
	CU_ASSERT_STRING_EQUAL(u[1].client_id, "vgl-2");
	CU_ASSERT_EQUAL(u[0].position_side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(u[0].qty, 0.01, 1e-12);
	free(u);
	CU_ASSERT_EQUAL(j->ops->outcome(j, a.id, REC_OUT_DONE, "8812", "FILLED"), 0);
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(u[0].id, b.id);
	free(u);
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "other", &u, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	/* the DONE stop is remembered for a restart (by id), the pending one
	 * and older ones are not */
	CU_ASSERT_EQUAL(j->ops->recent_stops(j, "main", wd_wall_ms() - 60000, &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(u[0].id, a.id);
	CU_ASSERT_STRING_EQUAL(u[0].order_id, "8812");
	CU_ASSERT_STRING_EQUAL(u[0].client_id, "vgl-1");
	CU_ASSERT_EQUAL(u[0].outcome, REC_OUT_DONE);
	CU_ASSERT(u[0].outcome_ms > 0);
	free(u);
	CU_ASSERT_EQUAL(j->ops->recent_stops(j, "main", wd_wall_ms() + 3600000, &u, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	char *q = xasprintf("SELECT count(*) FROM vigil.actions WHERE id = %lld AND outcome = 1 AND order_id = '8812'"
			    " AND answer = 'FILLED' AND outcome_at IS NOT NULL AND request->>'client_id' = 'vgl-1'",
			    (long long)a.id);
	CU_ASSERT_EQUAL(idb_count(&d, q), 1);
	free(q);
	j->ops->destroy(j);
	idb_spool_rm(spool);
	idb_drop(&d);
}

static void test_db_outbox_keeps_order_and_delivers_once(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *spool = idb_spool_path("outbox");
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct alert_outbox *o = db_outbox_new(&p, spool, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct alert_msg m[3];
	for (int i = 0; i < 3; i++)
		idb_msg(&m[i], i == 1 ? "smtp" : "telegram", i, 1000 + i);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(o->ops->enqueue(o, &m[i]), 0);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 3);
	CU_ASSERT_EQUAL(o->ops->pending(o, "smtp"), 1);
	struct alert_msg *due = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(o->ops->due(o, 5000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(due[i].id, m[i].id);
		CU_ASSERT_STRING_EQUAL(due[i].body, m[i].body);
	}
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(o->ops->delivered(o, m[0].id, 5000), 0);
	CU_ASSERT_EQUAL(o->ops->failed(o, m[1].id, 9000, "421 try later"), 0);
	CU_ASSERT_EQUAL(o->ops->due(o, 5000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(due[0].id, m[2].id);
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(o->ops->due(o, 9000, 1, &due, &n), 0); /* max respected, order kept */
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(due[0].id, m[1].id);
	CU_ASSERT_EQUAL(due[0].attempts, 1);
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 2);
	for (int i = 0; i < 3; i++)
		alert_msg_free(&m[i]);
	o->ops->destroy(o);
	idb_spool_rm(spool);
	idb_drop(&d);
}

/* The router enqueues from the engine thread while the notifier drains
 * from its own: one db_outbox used by two threads at once (no wrapper
 * lock) must neither crash nor lose or repeat a message. */
#define OUTBOX_THREAD_MSGS 150

struct outbox_race {
	struct alert_outbox *o;
	int enq_fail, due_fail;
	size_t delivered;
};

static void *outbox_race_enqueue(void *ud)
{
	struct outbox_race *x = ud;
	for (int i = 0; i < OUTBOX_THREAD_MSGS; i++) {
		struct alert_msg m;
		idb_msg(&m, "telegram", i, 1000 + i);
		if (x->o->ops->enqueue(x->o, &m) != 0)
			x->enq_fail++;
		alert_msg_free(&m);
	}
	return NULL;
}

static void *outbox_race_drain(void *ud)
{
	struct outbox_race *x = ud;
	/* bounded by time, not rounds: on a loaded machine the enqueuer may
	 * get the shared connection rarely while this loop spins */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (x->delivered < OUTBOX_THREAD_MSGS) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 30)
			break;
		struct alert_msg *due = NULL;
		size_t n = 0;
		if (x->o->ops->due(x->o, 1000000, 20, &due, &n) != 0)
			x->due_fail++;
		for (size_t i = 0; i < n; i++)
			if (x->o->ops->delivered(x->o, due[i].id, 2000000) == 0)
				x->delivered++;
		(void)x->o->ops->pending(x->o, "telegram");
		alert_msgs_free(due, n);
		if (n == 0)
			usleep(1000); /* nothing due yet: let the enqueuer in */
	}
	return NULL;
}

static void test_db_outbox_two_threads_share_one_outbox(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *spool = idb_spool_path("outbox-race");
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct outbox_race x = { .o = db_outbox_new(&p, spool, &e) };
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.o);
	pthread_t a, b;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&a, NULL, outbox_race_enqueue, &x), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&b, NULL, outbox_race_drain, &x), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CU_ASSERT_EQUAL(x.enq_fail, 0);
	CU_ASSERT_EQUAL(x.due_fail, 0);
	CU_ASSERT_EQUAL(x.delivered, OUTBOX_THREAD_MSGS);
	CU_ASSERT_EQUAL(x.o->ops->pending(x.o, ""), 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.alert_outbox WHERE delivered_at IS NOT NULL"),
			OUTBOX_THREAD_MSGS);
	x.o->ops->destroy(x.o);
	idb_spool_rm(spool);
	idb_drop(&d);
}

static void test_db_findings_upsert_resolve_list_ack(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_err e = { 0 };
	struct rec_finding f1, f2;
	idb_finding(&f1, "main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	idb_finding(&f2, "main", "ETHUSDT", REC_ORPHAN_ORDER);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f1, 1000, &e), 0);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f2, 1000, &e), 0);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f1, 2000, &e), 0); /* same key: one row, last_seen moves */
	struct db_finding_row *rows;
	size_t n;
	CU_ASSERT_EQUAL(db_findings_list(d.c, true, "", 0, &rows, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(rows[0].key, f1.key);
	CU_ASSERT_EQUAL(rows[0].first_seen_ms, 1000);
	CU_ASSERT_EQUAL(rows[0].last_seen_ms, 2000);
	CU_ASSERT_STRING_EQUAL(rows[0].code_name, "UNPROTECTED_POSITION");
	CU_ASSERT_STRING_EQUAL(rows[0].detail, f1.detail);
	CU_ASSERT_FALSE(rows[0].acked);
	free(rows);
	long k = -1;
	CU_ASSERT_EQUAL(db_finding_ack(d.c, f1.key, &k, &e), 0);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(db_finding_ack(d.c, "main:binance:NOPE:X", &k, &e), 0);
	CU_ASSERT_EQUAL(k, 0);
	/* next audit sees only f1: f2 resolves */
	const char *keys[] = { f1.key };
	CU_ASSERT_EQUAL(db_findings_resolve_absent(d.c, "main", keys, 1, 3000, &k, &e), 0);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(db_findings_list(d.c, true, "main", 0, &rows, &n, &e), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(rows[0].acked);
	free(rows);
	CU_ASSERT_EQUAL(db_findings_list(d.c, false, "", 0, &rows, &n, &e), 0);
	CU_ASSERT_EQUAL(n, 2);
	free(rows);
	/* f2 comes back: a new open row, history kept */
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f2, 4000, &e), 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.findings WHERE symbol = 'ETHUSDT'"), 2);
	CU_ASSERT_EQUAL(db_finding_resolve(d.c, f2.key, 5000, &e), 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.findings WHERE resolved_at IS NULL"), 1);
	/* audit run + heartbeat */
	struct db_audit_run r = { .started_ms = 10000,
				  .duration_ms = 250,
				  .sources_reached = REC_SRC_REST | REC_SRC_DB,
				  .findings = 2,
				  .critical = 1,
				  .warnings = 1 };
	snprintf(r.account, sizeof r.account, "main");
	snprintf(r.instance, sizeof r.instance, "vigil-a");
	CU_ASSERT_EQUAL(db_audit_record(d.c, &r, "0.1.0", &e), 0);
	r.started_ms = 20000;
	CU_ASSERT_EQUAL(db_audit_record(d.c, &r, "0.1.0", &e), 0);
	CU_ASSERT_EQUAL(
		idb_count(&d, "SELECT count(*) FROM vigil.audit_runs WHERE account = 'main' AND sources = 'rest,db'"),
		2);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.heartbeats WHERE instance = 'vigil-a'"
				      " AND last_audit = timestamptz 'epoch' + interval '20.25 seconds'"),
			1);
	idb_drop(&d);
}

/* A child process takes the lock, reports, then waits to be killed. */
static pid_t spawn_holder(const struct db_params *p, const char *account, const char *holder, int *got)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		struct db_err e = { 0 };
		struct db_ha *h = db_ha_new(p, account, holder, 800, &e);
		char c = (h && db_ha_try_acquire(h, &e) == 1) ? '1' : '0';
		if (write(fds[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	char c = '?';
	*got = (read(fds[0], &c, 1) == 1 && c == '1');
	close(fds[0]);
	return pid;
}

static void test_db_ha_only_one_holder_and_takeover_after_kill9(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	int child_got = 0;
	pid_t pid = spawn_holder(&p, "main", "child", &child_got);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_TRUE(child_got);
	struct db_ha *a = db_ha_new(&p, "main", "a", 800, &e), *b = db_ha_new(&p, "main", "b", 800, &e),
		     *other = db_ha_new(&p, "by1", "a", 800, &e);
	CU_ASSERT_EQUAL(db_ha_try_acquire(a, &e), 0); /* the other process holds it */
	CU_ASSERT_EQUAL(db_ha_try_acquire(b, &e), 0);
	CU_ASSERT_EQUAL(db_ha_try_acquire(other, &e), 1); /* another account is independent */
	/* holder dies without a goodbye; its lease (800 ms) may still let it
	 * act from a partitioned host, so the lock alone is not enough: audits
	 * every 500 ms take over after the lease, within two intervals */
	const int64_t interval = 500, lease = 800;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	int64_t t0 = wd_mono_ms(), took = -1;
	while (wd_mono_ms() - t0 <= lease + 2 * interval) {
		if (db_ha_try_acquire(a, &e) == 1) {
			took = wd_mono_ms() - t0;
			break;
		}
		usleep(50 * 1000);
	}
	CU_ASSERT_TRUE(took >= lease - 300 && took <= lease + 2 * interval);
	CU_ASSERT_TRUE(db_ha_held(a));
	CU_ASSERT_EQUAL(db_ha_try_acquire(a, &e), 1); /* re-check of a held lock */
	CU_ASSERT_EQUAL(db_ha_try_acquire(b, &e), 0); /* still only one */
	CU_ASSERT_EQUAL(db_ha_release(a, &e), 0);     /* a clean release hands the lease back at once */
	CU_ASSERT_FALSE(db_ha_held(a));
	CU_ASSERT_EQUAL(db_ha_try_acquire(b, &e), 1);
	db_ha_free(a);
	db_ha_free(b);
	db_ha_free(other);
	/* the same instance restarted after a kill needs no wait: the lease is its own */
	pid = spawn_holder(&p, "main", "child", &child_got);
	CU_ASSERT_TRUE(child_got);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	struct db_ha *again = db_ha_new(&p, "main", "child", 800, &e);
	t0 = wd_mono_ms();
	took = -1;
	while (wd_mono_ms() - t0 <= 2 * interval) {
		if (db_ha_try_acquire(again, &e) == 1) {
			took = wd_mono_ms() - t0;
			break;
		}
		usleep(50 * 1000);
	}
	CU_ASSERT_TRUE(took >= 0 && took <= 2 * interval);
	CU_ASSERT_TRUE(db_ha_lease_left(again) > 0);
	db_ha_free(again);
	idb_drop(&d);
}

static void test_db_spool_replays_exactly_once_in_order(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *js = idb_spool_path("journal"), *os = idb_spool_path("outbox");
	struct db_params down, up;
	idb_params(&d, &up);
	down = up;
	snprintf(down.dsn, sizeof down.dsn, "host=127.0.0.1 port=%d user=test dbname=postgres", idb_dead_port());
	struct db_err e = { 0 };
	/* database down: everything goes to the spool, due() still works */
	struct rec_journal *j = db_journal_new(&down, js, &e);
	struct alert_outbox *o = db_outbox_new(&down, os, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct rec_action a = { 0 }, b = { 0 };
	idb_action(&a, "main", "BTCUSDT", "vgl-a");
	idb_action(&b, "main", "ETHUSDT", "vgl-b");
	CU_ASSERT_EQUAL(j->ops->intent(j, &a), 0);
	CU_ASSERT_EQUAL(j->ops->intent(j, &b), 0);
	CU_ASSERT_EQUAL(j->ops->outcome(j, a.id, REC_OUT_DONE, "77", "ok"), 0);
	CU_ASSERT_EQUAL(db_journal_spooled(j), 3);
	struct rec_action *u;
	size_t n;
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), DB_EUNREACH); /* cannot know: say so */
	struct alert_msg m[2];
	idb_msg(&m[0], "telegram", 0, 1000);
	idb_msg(&m[1], "smtp", 1, 1001);
	CU_ASSERT_EQUAL(o->ops->enqueue(o, &m[0]), 0);
	CU_ASSERT_EQUAL(o->ops->enqueue(o, &m[1]), 0);
	struct alert_msg *due;
	CU_ASSERT_EQUAL(o->ops->due(o, 5000, 10, &due, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_EQUAL(due[0].id, m[0].id);
	alert_msgs_free(due, n);
	CU_ASSERT_EQUAL(o->ops->delivered(o, m[0].id, 5001), 0);
	CU_ASSERT_EQUAL(o->ops->failed(o, m[1].id, 6000, "timeout"), 0);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 1);
	j->ops->destroy(j); /* "crash": the spool stays behind */
	o->ops->destroy(o);
	/* a restart with the database back replays, and a second replay of
	 * the same file (crash between commit and truncate) changes nothing */
	char *copy_j = xasprintf("%s.copy", js), *copy_o = xasprintf("%s.copy", os);
	char *cmd = xasprintf("cp %s %s && cp %s %s", js, copy_j, os, copy_o);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
	for (int round = 0; round < 2; round++) {
		if (round == 1) {
			cmd = xasprintf("cp %s %s && cp %s %s", copy_j, js, copy_o, os);
			CU_ASSERT_EQUAL(system(cmd), 0);
			free(cmd);
		}
		j = db_journal_new(&up, js, &e);
		o = db_outbox_new(&up, os, &e);
		CU_ASSERT_PTR_NOT_NULL_FATAL(j);
		CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), 0);
		CU_ASSERT_EQUAL(n, 1);
		if (n == 1)
			CU_ASSERT_EQUAL(u[0].id, b.id);
		free(u);
		CU_ASSERT_EQUAL(db_journal_spooled(j), 0);
		CU_ASSERT_EQUAL(o->ops->pending(o, ""), 1);
		CU_ASSERT_EQUAL(db_outbox_spooled(o), 0);
		j->ops->destroy(j);
		o->ops->destroy(o);
	}
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.actions"), 2);
	char *q = xasprintf("SELECT count(*) FROM vigil.actions WHERE id = %lld AND outcome = 1 AND order_id = '77'",
			    (long long)a.id);
	CU_ASSERT_EQUAL(idb_count(&d, q), 1);
	free(q);
	q = xasprintf("SELECT count(*) FROM vigil.actions a JOIN vigil.actions b ON a.seq < b.seq"
		      " WHERE a.id = %lld AND b.id = %lld",
		      (long long)a.id, (long long)b.id);
	CU_ASSERT_EQUAL(idb_count(&d, q), 1);
	free(q);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.alert_outbox"), 2);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.alert_outbox WHERE delivered_at IS NOT NULL"), 1);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT attempts FROM vigil.alert_outbox WHERE channel = 'smtp'"), 1);
	for (int i = 0; i < 2; i++)
		alert_msg_free(&m[i]);
	unlink(copy_j);
	unlink(copy_o);
	free(copy_j);
	free(copy_o);
	idb_spool_rm(js);
	idb_spool_rm(os);
	idb_drop(&d);
}

static void test_db_sql_injection_through_texts_is_inert(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	const char *evil = "X';DROP TABLE vigil.actions;--"; /* fits REC_SYM_MAX */
	const char *evil_acct = "main' OR '1'='1";
	struct db_err e = { 0 };
	struct rec_finding f;
	idb_finding(&f, evil_acct, evil, REC_ORPHAN_POSITION);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &f, 1000, &e), 0);
	struct rec_finding g;
	idb_finding(&g, "main", "BTCUSDT", REC_ORPHAN_POSITION);
	CU_ASSERT_EQUAL(db_finding_upsert(d.c, &g, 1000, &e), 0);
	/* resolving for the evil account must not touch "main" */
	long k = -1;
	CU_ASSERT_EQUAL(db_findings_resolve_absent(d.c, evil_acct, NULL, 0, 2000, &k, &e), 0);
	CU_ASSERT_EQUAL(k, 1);
	CU_ASSERT_EQUAL(
		idb_count(&d, "SELECT count(*) FROM vigil.findings WHERE account = 'main' AND resolved_at IS NULL"), 1);
	const char *keys[] = { "\"]' ); DELETE FROM vigil.findings; --" };
	CU_ASSERT_EQUAL(db_findings_resolve_absent(d.c, "nobody", keys, 1, 2000, &k, &e), 0);
	CU_ASSERT_EQUAL(db_finding_ack(d.c, "' OR 1=1 --", &k, &e), 0);
	CU_ASSERT_EQUAL(k, 0);
	/* journal, outbox, heartbeat, HA with hostile texts */
	struct db_params p;
	idb_params(&d, &p);
	char *js = idb_spool_path("journal"), *os = idb_spool_path("outbox");
	struct rec_journal *j = db_journal_new(&p, js, &e);
	struct rec_action a = { 0 };
	idb_action(&a, evil_acct, evil, "vgl-'; TRUNCATE vigil.actions; --");
	snprintf(a.reason, sizeof a.reason, "$1 $2 \\x00 %%S %%s");
	CU_ASSERT_EQUAL(j->ops->intent(j, &a), 0);
	struct rec_action *u;
	size_t n;
	CU_ASSERT_EQUAL(j->ops->unfinished(j, evil_acct, &u, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_STRING_EQUAL(u[0].symbol, a.symbol);
	CU_ASSERT_STRING_EQUAL(u[0].client_id, a.client_id);
	CU_ASSERT_STRING_EQUAL(u[0].reason, a.reason);
	free(u);
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	free(u);
	j->ops->destroy(j);
	struct alert_outbox *o = db_outbox_new(&p, os, &e);
	struct alert_msg m;
	idb_msg(&m, "t';DROP TABLE x;--", 0, 1000); /* fits ALERT_CHANNEL_MAX */
	CU_ASSERT_EQUAL(o->ops->enqueue(o, &m), 0);
	CU_ASSERT_EQUAL(o->ops->pending(o, "' OR ''='"), 0);
	CU_ASSERT_EQUAL(o->ops->pending(o, m.channel), 1);
	alert_msg_free(&m);
	o->ops->destroy(o);
	/* conditions (003): replaced as a set per account, texts inert */
	struct db_condition cv[2] = { { .kind = 'O', .first_seen_ms = 1000 }, { .kind = 'F', .first_seen_ms = 2000 } };
	snprintf(cv[0].key, sizeof cv[0].key, "O|X';DROP TABLE vigil.conditions;--|0|1|1");
	snprintf(cv[0].symbol, sizeof cv[0].symbol, "%s", evil);
	snprintf(cv[1].key, sizeof cv[1].key, "F|\"]}', '1'); --|0");
	CU_ASSERT_EQUAL(db_conditions_save(d.c, "main", cv, 1, &e), 0);
	CU_ASSERT_EQUAL(db_conditions_save(d.c, evil_acct, cv, 2, &e), 0);
	CU_ASSERT_EQUAL(db_conditions_save(d.c, evil_acct, cv + 1, 1, &e), 0); /* the first one gone */
	struct db_condition *cl = NULL;
	size_t ncl = 0;
	CU_ASSERT_EQUAL(db_conditions_load(d.c, evil_acct, &cl, &ncl, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ncl, 1);
	CU_ASSERT_STRING_EQUAL(cl[0].key, cv[1].key);
	CU_ASSERT_EQUAL(cl[0].kind, 'F');
	CU_ASSERT_EQUAL(cl[0].first_seen_ms, 2000);
	free(cl);
	CU_ASSERT_EQUAL(db_conditions_load(d.c, "main", &cl, &ncl, &e), 0);
	CU_ASSERT_EQUAL_FATAL(ncl, 1); /* another account's set is untouched */
	CU_ASSERT_STRING_EQUAL(cl[0].key, cv[0].key);
	CU_ASSERT_STRING_EQUAL(cl[0].symbol, evil);
	CU_ASSERT_EQUAL(cl[0].first_seen_ms, 1000);
	free(cl);
	CU_ASSERT_EQUAL(db_conditions_save(d.c, "main", NULL, 0, &e), 0);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.conditions WHERE account = 'main'"), 0);
	CU_ASSERT_EQUAL(db_heartbeat(d.c, "i'); DROP TABLE vigil.heartbeats; --", evil_acct, 1000, "v", &e), 0);
	struct db_ha *h =
		db_ha_new(&p, "main'); SELECT pg_advisory_unlock_all(); --", "i'); DROP TABLE x; --", 1000, &e);
	CU_ASSERT_EQUAL(db_ha_try_acquire(h, &e), 1);
	db_ha_free(h);
	/* everything still there, texts stored verbatim */
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_tables WHERE schemaname = 'vigil'"), 9);
	CU_ASSERT_EQUAL(
		idb_count(&d, "SELECT count(*) FROM vigil.findings WHERE symbol = 'X'';DROP TABLE vigil.actions;--'"),
		1);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.actions"), 1);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.heartbeats"), 1);
	/* a hostile schema name never reaches the server */
	snprintf(p.schema, sizeof p.schema, "vigil\"; DROP SCHEMA public CASCADE; --");
	CU_ASSERT_PTR_NULL(db_conn_new(&p, &e));
	CU_ASSERT_EQUAL(e.code, DB_ECONFIG);
	char *conf = idb_write_conf(&d, "v\"; DROP SCHEMA vigil CASCADE; --");
	char *cmd = xasprintf("VIGIL_SQL_DIR=%s %s db -c %s migrate >/dev/null 2>&1", idb_sql_dir(),
			      tu_build_path("vigil"), conf);
	int st = system(cmd);
	free(cmd);
	CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 78);
	unlink(conf);
	free(conf);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM pg_tables WHERE schemaname = 'vigil'"), 9);
	idb_spool_rm(js);
	idb_spool_rm(os);
	idb_drop(&d);
}

void itest_db_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_db_migrate_from_empty_then_again_is_noop", test_db_migrate_from_empty_then_again_is_noop },
		{ "test_db_migrate_broken_file_rolls_back_and_reports",
		  test_db_migrate_broken_file_rolls_back_and_reports },
		{ "test_db_migrate_cli_applies_once_into_configured_schema",
		  test_db_migrate_cli_applies_once_into_configured_schema },
		{ "test_db_bot_positions_read_through_default_query",
		  test_db_bot_positions_read_through_default_query },
		{ "test_db_unreachable_database_reports_unreachable_fast",
		  test_db_unreachable_database_reports_unreachable_fast },
		{ "test_db_journal_intent_outcome_and_unfinished", test_db_journal_intent_outcome_and_unfinished },
		{ "test_db_outbox_keeps_order_and_delivers_once", test_db_outbox_keeps_order_and_delivers_once },
		{ "test_db_outbox_two_threads_share_one_outbox", test_db_outbox_two_threads_share_one_outbox },
		{ "test_db_findings_upsert_resolve_list_ack", test_db_findings_upsert_resolve_list_ack },
		{ "test_db_ha_only_one_holder_and_takeover_after_kill9",
		  test_db_ha_only_one_holder_and_takeover_after_kill9 },
		{ "test_db_spool_replays_exactly_once_in_order", test_db_spool_replays_exactly_once_in_order },
		{ "test_db_sql_injection_through_texts_is_inert", test_db_sql_injection_through_texts_is_inert },
		{ NULL, NULL },
	};
	tu_add_suite("db", tests);
}
