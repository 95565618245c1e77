/* Helpers for the sql/ integration suites: a fresh database per test on
 * the run's throwaway cluster ($VIGIL_TEST_PG), counting queries, sample
 * records. Header-only (static inline) so each suite file stands alone. */
#ifndef ITEST_DB_KIT_H
#define ITEST_DB_KIT_H
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alerts/outbox.h"
#include "reconcile/journal.h"
#include "sql/db_conn.h"
#include "sql/db_migrate.h"
#include "base/xalloc.h"

struct idb {
	char name[64];
	char conninfo[400];
	struct db_conn *c;
};

static inline const char *idb_sql_dir(void)
{
	const char *d = getenv("VIGIL_SQL_DIR");
	return d && *d ? d : "sql";
}

/* What [database] bot_positions_query defaults to (watchdog/config.c). */
static inline const char *idb_default_bot_query(void)
{
	return "SELECT symbol, exchange, side, quantity, entry_price, status, opened_at "
	       "FROM positions WHERE status = 'active'";
}

/* Runs one command on conninfo; 0 if it succeeded. */
static inline int idb_exec(const char *conninfo, const char *sql)
{
	PGconn *pg = PQconnectdb(conninfo);
	int ok = PQstatus(pg) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(pg, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "idb: %s: %s", sql, PQerrorMessage(pg));
		PQclear(r);
	}
	PQfinish(pg);
	return ok ? 0 : -1;
}

/* On the run's cluster (VIGIL_TEST_PG), e.g. CREATE / DROP DATABASE. */
static inline int idb_admin(const char *sql)
{
	return idb_exec(getenv("VIGIL_TEST_PG"), sql);
}

static inline void idb_params(const struct idb *d, struct db_params *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->dsn, sizeof p->dsn, "%s", d->conninfo);
	snprintf(p->schema, sizeof p->schema, "vigil");
	p->connect_timeout_ms = 2000;
	p->statement_timeout_ms = 5000;
	p->backoff_min_ms = 100;
	p->backoff_max_ms = 400;
}

static inline int idb_create(struct idb *d)
{
	static int seq;
	memset(d, 0, sizeof *d);
	const char *base = getenv("VIGIL_TEST_PG");
	if (!base || !*base) {
		CU_FAIL("VIGIL_TEST_PG is not set (run through tests/integration/run.sh)");
		return -1;
	}
	snprintf(d->name, sizeof d->name, "vt_db_%d_%d", (int)getpid(), ++seq);
	char *sql = xasprintf("CREATE DATABASE %s", d->name);
	int rc = idb_admin(sql);
	free(sql);
	if (rc) {
		CU_FAIL("CREATE DATABASE failed");
		return -1;
	}
	snprintf(d->conninfo, sizeof d->conninfo, "%s dbname=%s", base, d->name);
	struct db_params p;
	idb_params(d, &p);
	struct db_err e = { 0 };
	d->c = db_conn_new(&p, &e);
	return d->c ? 0 : -1;
}

static inline int idb_create_migrated(struct idb *d)
{
	if (idb_create(d))
		return -1;
	struct db_migrate_result r;
	struct db_err e = { 0 };
	int rc = db_migrate_run(d->c, idb_sql_dir(), &r, NULL, NULL, &e);
	if (rc) {
		fprintf(stderr, "idb: migrate: %s\n", e.msg);
		CU_FAIL("migrate failed");
	}
	return rc;
}

static inline void idb_drop(struct idb *d)
{
	db_conn_free(d->c);
	d->c = NULL;
	char *sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
	(void)idb_admin(sql);
	free(sql);
}

/* First column of the first row as a number; -1 on error. */
static inline long idb_count(const struct idb *d, const char *sql)
{
	PGconn *pg = PQconnectdb(d->conninfo);
	long v = -1;
	if (PQstatus(pg) == CONNECTION_OK) {
		PGresult *r = PQexec(pg, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
			v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		else
			fprintf(stderr, "idb: %s: %s", sql, PQerrorMessage(pg));
		PQclear(r);
	}
	PQfinish(pg);
	return v;
}

/* A loopback port nothing listens on (connection refused at once). */
static inline int idb_dead_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof a;
	int port = 1;
	if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &l) == 0)
		port = ntohs(a.sin_port);
	if (s >= 0)
		close(s);
	return port;
}

/* A config file for `vigil db` pointing at d with the given schema. */
static inline char *idb_write_conf(const struct idb *d, const char *schema)
{
	setenv("VIGIL_IDB_KEY", "idb-key-1234", 1);
	char *text =
		xasprintf("[database]\nenabled = true\ndsn = %s\nschema = %s\n"
			  "[account main]\nexchange = binance\nrest_url = http://127.0.0.1:1\n"
			  "ws_url = ws://127.0.0.1:1\napi_key_env = VIGIL_IDB_KEY\napi_secret_env = VIGIL_IDB_KEY\n",
			  d->conninfo, schema);
	char tmpl[] = "/tmp/vigil-idb-conf.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			CU_FAIL("write conf");
		close(fd);
	}
	free(text);
	return xstrdup(tmpl);
}

static inline char *idb_spool_path(const char *name)
{
	char tmpl[] = "/tmp/vigil-idb-spool.XXXXXX";
	char *dir = mkdtemp(tmpl);
	return dir ? xasprintf("%s/%s.spool", dir, name) : xstrdup("/nonexistent/x.spool");
}

static inline void idb_spool_rm(char *path)
{
	char *slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		char *cmd = xasprintf("rm -rf '%s'", path);
		if (system(cmd) != 0)
			fprintf(stderr, "idb: %s failed\n", cmd);
		free(cmd);
	}
	free(path);
}

static inline void idb_action(struct rec_action *a, const char *account, const char *symbol, const char *cid)
{
	memset(a, 0, sizeof *a);
	a->kind = REC_ACT_PLACE_STOP;
	snprintf(a->account, sizeof a->account, "%s", account);
	a->exchange = REC_EX_BINANCE;
	snprintf(a->symbol, sizeof a->symbol, "%s", symbol);
	a->position_side = REC_SIDE_LONG;
	a->order_side = REC_SELL;
	a->qty = 0.01;
	a->trigger_price = 42000.5;
	snprintf(a->client_id, sizeof a->client_id, "%s", cid);
	snprintf(a->reason, sizeof a->reason, "UNPROTECTED_POSITION");
}

static inline void idb_msg(struct alert_msg *m, const char *channel, int i, int64_t created)
{
	memset(m, 0, sizeof *m);
	snprintf(m->channel, sizeof m->channel, "%s", channel);
	snprintf(m->key, sizeof m->key, "main:binance:BTCUSDT:ALERT%d", i);
	m->severity = REC_SEV_CRITICAL;
	snprintf(m->subject, sizeof m->subject, "subject %d", i);
	m->body = xasprintf("body %d\nsecond line 'quoted' \"dq\"", i);
	m->created_ms = created;
	m->next_attempt_ms = created;
}

static inline void idb_finding(struct rec_finding *f, const char *account, const char *symbol, enum rec_code code)
{
	memset(f, 0, sizeof *f);
	f->code = code;
	f->severity = rec_code_default_severity(code);
	snprintf(f->account, sizeof f->account, "%s", account);
	f->exchange = REC_EX_BINANCE;
	snprintf(f->symbol, sizeof f->symbol, "%s", symbol);
	snprintf(f->detail, sizeof f->detail, "stream: LONG 0.01; rest: LONG 0.01; db: none");
	f->rest.present = true;
	f->rest.side = REC_SIDE_LONG;
	f->rest.size = 0.01;
	rec_finding_make_key(f);
}

#endif
