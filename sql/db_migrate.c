#include "sql/db_migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

/* All migrate runs serialize on this advisory lock key ("vgl" "mig"). */
#define MIGRATE_LOCK_A "1986488320"
#define MIGRATE_LOCK_B "7170407"

int db_migrate_parse_name(const char *f, int *version)
{
	size_t n = strlen(f);
	if (n < 9 || strcmp(f + n - 4, ".sql") != 0)
		return -1;
	if (!isdigit((unsigned char)f[0]) || !isdigit((unsigned char)f[1]) || !isdigit((unsigned char)f[2]) ||
	    f[3] != '_')
		return -1;
	for (const char *q = f + 4; q < f + n - 4; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-')
			return -1;
	int v = (f[0] - '0') * 100 + (f[1] - '0') * 10 + (f[2] - '0');
	if (v <= 0)
		return -1;
	*version = v;
	return 0;
}

static int dir_has_migrations(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	int v;
	while (!found && (de = readdir(d)))
		found = db_migrate_parse_name(de->d_name, &v) == 0;
	closedir(d);
	return found;
}

int db_migrate_find_dir(char *dir, size_t cap)
{
	const char *env = getenv("VIGIL_SQL_DIR");
	if (env && *env) {
		snprintf(dir, cap, "%s", env);
		return dir_has_migrations(dir) ? 0 : -1;
	}
	/* Next to the binary only, never the working directory: an installed
	 * vigil started where some other sql/ lies must not migrate from it.
	 * Installed first (BINDIR/../share/vigil/sql), then the source tree's
	 * (build/vigil, build/san/...). */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			const char *rel[] = { "../share/vigil/sql", "../sql", "../../sql" };
			for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
				char cand[PATH_MAX + 32], real[PATH_MAX];
				snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
				if (dir_has_migrations(cand) && realpath(cand, real)) {
					snprintf(dir, cap, "%s", real);
					return 0;
				}
			}
		}
	}
	return -1;
}

struct mig {
	int version;
	char name[128];
};

static int cmp_mig(const void *a, const void *b)
{
	const struct mig *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static int list_dir(const char *dir, struct mig **out, size_t *n, struct db_err *e)
{
	DIR *d = opendir(dir);
	if (!d)
		return db_err_set(e, DB_ECONFIG, "cannot open migrations dir %s", dir);
	struct mig *m = NULL;
	size_t cnt = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		int v;
		if (strlen(de->d_name) >= sizeof m->name || db_migrate_parse_name(de->d_name, &v))
			continue;
		m = xrealloc(m, (cnt + 1) * sizeof *m);
		m[cnt].version = v;
		memcpy(m[cnt].name, de->d_name, strlen(de->d_name) + 1); /* length checked above */
		cnt++;
	}
	closedir(d);
	qsort(m, cnt, sizeof *m, cmp_mig);
	for (size_t i = 1; i < cnt; i++)
		if (m[i].version == m[i - 1].version) {
			int rc = db_err_set(e, DB_ECONFIG, "two migrations with version %03d: %s and %s", m[i].version,
					    m[i - 1].name, m[i].name);
			free(m);
			return rc;
		}
	*out = m;
	*n = cnt;
	return DB_OK;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = { 0 };
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&b, chunk, got);
	fclose(f);
	return buf_take(&b, NULL);
}

/* Runs the file's text as one simple-query string (several statements) on
 * the live connection: migration text is code, not a value. */
static int exec_script(struct db_conn *c, const char *sql, struct db_err *e)
{
	PGconn *pg = db_conn_pg(c);
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(r);
		return DB_OK;
	}
	int code = PQstatus(pg) == CONNECTION_OK ? DB_ESQL : DB_EUNREACH;
	db_err_set(e, code, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
	PQclear(r);
	return code;
}

static int applied(struct db_conn *c, int version, bool *yes, struct db_err *e)
{
	char v[16];
	snprintf(v, sizeof v, "%d", version);
	const char *p[] = { v };
	PGresult *r;
	int rc = db_exec(c, "SELECT 1 FROM %S.schema_version WHERE version = $1::int", 1, p, &r, e);
	if (rc)
		return rc;
	*yes = PQntuples(r) > 0;
	PQclear(r);
	return DB_OK;
}

static int apply_one(struct db_conn *c, const char *dir, const struct mig *m, struct db_err *e)
{
	char *path = xasprintf("%s/%s", dir, m->name);
	char *sql = slurp(path);
	free(path);
	if (!sql)
		return db_err_set(e, DB_ECONFIG, "cannot read migration %s/%s", dir, m->name);
	int rc = db_begin(c, e);
	if (rc == DB_OK)
		rc = db_exec(c, "SELECT set_config('search_path', $1, true)", 1, (const char *[]){ db_conn_schema(c) },
			     NULL, e);
	bool done = false;
	if (rc == DB_OK) /* re-check under the lock: another migrate may have run it */
		rc = applied(c, m->version, &done, e);
	if (rc == DB_OK && !done)
		rc = exec_script(c, sql, e);
	if (rc == DB_OK && !done) {
		char v[16];
		snprintf(v, sizeof v, "%d", m->version);
		const char *p[] = { v, m->name };
		rc = db_exec(c, "INSERT INTO %S.schema_version (version, name) VALUES ($1::int, $2)", 2, p, NULL, e);
	}
	free(sql);
	if (rc == DB_OK)
		rc = db_commit(c, e);
	else
		db_rollback(c);
	if (rc == DB_ESQL) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		db_err_set(e, DB_ESQL, "migration %s failed (rolled back): %s", m->name, msg);
	}
	return rc;
}

int db_migrate_version(struct db_conn *c, int *version, struct db_err *e)
{
	*version = 0;
	PGresult *r;
	/* db_conn_schema is the quoted identifier, as to_regclass reads it */
	char *rel = xasprintf("%s.schema_version", db_conn_schema(c));
	const char *p[] = { rel };
	int rc = db_exec(c, "SELECT to_regclass($1) IS NOT NULL", 1, p, &r, e);
	free(rel);
	if (rc)
		return rc;
	bool have = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!have)
		return DB_OK;
	rc = db_exec(c, "SELECT coalesce(max(version), 0) FROM %S.schema_version", 0, NULL, &r, e);
	if (rc)
		return rc;
	if (PQntuples(r) == 1)
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return DB_OK;
}

int db_migrate_run(struct db_conn *c, const char *dir, struct db_migrate_result *r,
		   void (*progress)(const char *file, void *ctx), void *ctx, struct db_err *e)
{
	memset(r, 0, sizeof *r);
	struct mig *m = NULL;
	size_t n = 0;
	int rc = list_dir(dir, &m, &n, e);
	if (rc)
		return rc;
	if (n == 0) {
		free(m);
		return db_err_set(e, DB_ECONFIG, "no NNN_name.sql migrations in %s", dir);
	}
	rc = db_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_A ", " MIGRATE_LOCK_B ")", 0, NULL, NULL, e);
	if (rc == DB_OK)
		rc = db_exec(c, "CREATE SCHEMA IF NOT EXISTS %S; ", 0, NULL, NULL, e);
	if (rc == DB_OK)
		rc = db_exec(c,
			     "CREATE TABLE IF NOT EXISTS %S.schema_version ("
			     " version integer PRIMARY KEY,"
			     " name text NOT NULL,"
			     " applied_at timestamptz NOT NULL DEFAULT now())",
			     0, NULL, NULL, e);
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		bool yes = false;
		rc = applied(c, m[i].version, &yes, e);
		if (rc)
			break;
		if (yes) {
			r->already++;
			continue;
		}
		rc = apply_one(c, dir, &m[i], e);
		if (rc) {
			snprintf(r->failed, sizeof r->failed, "%s", m[i].name);
			break;
		}
		r->applied++;
		log_info("db", "migration applied file=%s", m[i].name);
		if (progress)
			progress(m[i].name, ctx);
	}
	if (db_conn_up(c))
		PQclear(PQexec(db_conn_pg(c), "SELECT pg_advisory_unlock(" MIGRATE_LOCK_A ", " MIGRATE_LOCK_B ")"));
	free(m);
	return rc;
}
