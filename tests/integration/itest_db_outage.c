/* The database is stopped in the middle of a run and started again: the
 * journal and the outbox keep working on their spool, then replay it; no
 * record is lost or duplicated. Needs a cluster of its own that it may
 * stop: runs only when tests/integration/t_db_outage.sh sets
 * VIGIL_DB_OUTAGE=1 (and VIGIL_PG_BIN/DIR/PORT from tests/lib.sh). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/db_journal.h"
#include "sql/db_outbox.h"
#include "tests/integration/itest_db_kit.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static int pg_ctl(const char *what)
{
	const char *bin = getenv("VIGIL_PG_BIN"), *dir = getenv("VIGIL_PG_DIR"), *port = getenv("VIGIL_PG_PORT");
	if (!bin || !dir || !port)
		return -1;
	const char *as = getuid() == 0 ? "runuser -u postgres -- " : "";
	char *cmd;
	/* The test cluster runs with synchronous_commit=off: an immediate stop
	 * would also throw away commits the server already acknowledged, which
	 * no client can defend against. Flush them first. */
	if (strcmp(what, "stop") == 0 && idb_admin("CHECKPOINT"))
		return -1;
	if (strcmp(what, "stop") == 0)
		cmd = xasprintf("%s%s/pg_ctl -D %s/data -m immediate -w stop >/dev/null 2>&1", as, bin, dir);
	else
		cmd = xasprintf("%s%s/pg_ctl -D %s/data -l %s/server.log -w -t 30 -o \"-k %s -p %s"
				" -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
				" -c full_page_writes=off\" start >/dev/null 2>&1",
				as, bin, dir, dir, dir, port);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void test_db_outage_mid_run_loses_and_duplicates_nothing(void)
{
	struct idb d;
	if (idb_create_migrated(&d))
		return;
	char *js = idb_spool_path("journal"), *os = idb_spool_path("outbox");
	struct db_params p;
	idb_params(&d, &p);
	struct db_err e = { 0 };
	struct rec_journal *j = db_journal_new(&p, js, &e);
	struct alert_outbox *o = db_outbox_new(&p, os, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	enum { N = 6 };
	struct rec_action a[N];
	struct alert_msg m[N];
	char cid[32];
	/* 0,1 with the database up; 2,3 while it is down; 4,5 after */
	for (int i = 0; i < N; i++) {
		if (i == 2)
			CU_ASSERT_EQUAL_FATAL(pg_ctl("stop"), 0);
		if (i == 4) {
			CU_ASSERT_EQUAL_FATAL(pg_ctl("start"), 0);
			usleep(500 * 1000); /* longer than the test backoff cap */
		}
		snprintf(cid, sizeof cid, "vgl-%d", i);
		idb_action(&a[i], "main", "BTCUSDT", cid);
		CU_ASSERT_EQUAL(j->ops->intent(j, &a[i]), 0);
		idb_msg(&m[i], "telegram", i, 1000 + i);
		CU_ASSERT_EQUAL(o->ops->enqueue(o, &m[i]), 0);
		if (i == 1) /* outcome of 0 while up */
			CU_ASSERT_EQUAL(j->ops->outcome(j, a[0].id, REC_OUT_DONE, "100", "ok"), 0);
		if (i == 3) {
			/* down: spooled, SOURCE_UNREACHABLE for whoever asks */
			CU_ASSERT_EQUAL(db_journal_spooled(j), 2);
			CU_ASSERT_EQUAL(db_outbox_spooled(o), 2);
			CU_ASSERT_EQUAL(j->ops->outcome(j, a[2].id, REC_OUT_FAILED, "", "-2022 ReduceOnly rejected"),
					0);
			CU_ASSERT_EQUAL(j->ops->outcome(j, a[1].id, REC_OUT_DONE, "101", "ok"), 0);
			struct rec_action *u;
			size_t n;
			CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), DB_EUNREACH);
			/* the notifier still gets what was enqueued during the outage */
			struct alert_msg *due;
			CU_ASSERT_EQUAL(o->ops->due(o, 10000, 10, &due, &n), 0);
			CU_ASSERT_EQUAL_FATAL(n, 2);
			CU_ASSERT_EQUAL(due[0].id, m[2].id);
			CU_ASSERT_EQUAL(due[1].id, m[3].id);
			alert_msgs_free(due, n);
			CU_ASSERT_EQUAL(o->ops->delivered(o, m[2].id, 10001), 0);
			CU_ASSERT_EQUAL(o->ops->delivered(o, m[0].id, 10002), 0); /* a pre-outage one */
		}
	}
	CU_ASSERT_EQUAL(db_journal_spooled(j), 0);
	CU_ASSERT_EQUAL(db_outbox_spooled(o), 0);
	struct rec_action *u;
	size_t n;
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &u, &n), 0);
	CU_ASSERT_EQUAL(n, 3); /* 3, 4, 5 */
	if (n == 3) {
		CU_ASSERT_EQUAL(u[0].id, a[3].id);
		CU_ASSERT_EQUAL(u[2].id, a[5].id);
	}
	free(u);
	j->ops->destroy(j);
	o->ops->destroy(o);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.actions"), N);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(DISTINCT client_id) FROM vigil.actions"), N);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.actions WHERE outcome = 2"
				      " AND answer LIKE '-2022%'"),
			1);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.alert_outbox"), N);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM vigil.alert_outbox WHERE delivered_at IS NOT NULL"), 2);
	/* insertion order is enqueue order, outage or not */
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM (SELECT client_id, row_number() OVER (ORDER BY seq) AS r"
				      " FROM vigil.actions) x WHERE client_id = 'vgl-' || (r - 1)"),
			N);
	CU_ASSERT_EQUAL(idb_count(&d, "SELECT count(*) FROM (SELECT subject, row_number() OVER (ORDER BY seq) AS r"
				      " FROM vigil.alert_outbox) x WHERE subject = 'subject ' || (r - 1)"),
			N);
	for (int i = 0; i < N; i++)
		alert_msg_free(&m[i]);
	idb_spool_rm(js);
	idb_spool_rm(os);
	idb_drop(&d);
}

void itest_db_outage_register(void)
{
	if (!getenv("VIGIL_DB_OUTAGE"))
		return; /* only from t_db_outage.sh, which owns its cluster */
	static const struct tu_test tests[] = {
		{ "test_db_outage_mid_run_loses_and_duplicates_nothing",
		  test_db_outage_mid_run_loses_and_duplicates_nothing },
		{ NULL, NULL },
	};
	tu_add_suite("db_outage", tests);
}
