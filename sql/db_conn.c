#include "sql/db_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/log.h"
#include "base/xalloc.h"

struct db_conn {
	PGconn *pg;
	struct db_params p;
	char *qschema;       /* PQescapeIdentifier result (PQfreemem) */
	int64_t next_try_ms; /* monotonic; no attempt before this */
	int64_t backoff_ms;
	bool in_tx;
	bool reported_down; /* log the outage once, not per call */
};

int db_err_set(struct db_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	e->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	/* libpq messages end with a newline; keep errors one line */
	size_t n = strlen(e->msg);
	while (n && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
		e->msg[--n] = '\0';
	for (char *q = e->msg; *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
	log_redact(e->msg, sizeof e->msg);
	return code;
}

int64_t db_new_id(void)
{
	/* ms since 2024-01-01 in the high bits (ordering for humans), 20
	 * random bits below: unique without asking the database, so a record
	 * spooled during an outage keeps the id its caller already holds. */
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
		r = (uint32_t)rand();
	int64_t ms = wd_wall_ms() - 1704067200000LL;
	if (ms < 0)
		ms = 0;
	return (ms << 20) | (int64_t)(r & 0xFFFFF);
}

bool db_ident_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 63)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (const char *q = s; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_'))
			return false;
	return true;
}

struct db_conn *db_conn_new(const struct db_params *p, struct db_err *e)
{
	const char *schema = *p->schema ? p->schema : "vigil";
	if (!db_ident_ok(schema)) {
		db_err_set(
			e, DB_ECONFIG,
			"[database] schema must be a lowercase identifier ([a-z_][a-z0-9_]*, at most 63), got '%.60s'",
			schema);
		return NULL;
	}
	struct db_conn *c = xcalloc(1, sizeof *c);
	c->p = *p;
	snprintf(c->p.schema, sizeof c->p.schema, "%s", schema);
	if (c->p.connect_timeout_ms <= 0)
		c->p.connect_timeout_ms = 5000;
	if (c->p.statement_timeout_ms <= 0)
		c->p.statement_timeout_ms = 5000;
	if (c->p.backoff_min_ms <= 0)
		c->p.backoff_min_ms = 250;
	if (c->p.backoff_max_ms <= 0)
		c->p.backoff_max_ms = 30000;
	if (*c->p.password)
		log_secret_add(c->p.password);
	return c;
}

static void drop(struct db_conn *c)
{
	if (c->qschema)
		PQfreemem(c->qschema);
	c->qschema = NULL;
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	c->in_tx = false;
}

void db_conn_free(struct db_conn *c)
{
	if (!c)
		return;
	drop(c);
	explicit_bzero(c->p.password, sizeof c->p.password);
	free(c);
}

bool db_conn_up(const struct db_conn *c)
{
	return c->pg && PQstatus(c->pg) == CONNECTION_OK;
}

void db_conn_retry_now(struct db_conn *c)
{
	c->next_try_ms = 0;
}

const struct db_params *db_conn_params(const struct db_conn *c)
{
	return &c->p;
}

PGconn *db_conn_pg(struct db_conn *c)
{
	return c->pg;
}

const char *db_conn_schema(struct db_conn *c)
{
	return c->qschema ? c->qschema : "\"vigil\"";
}

/* Server NOTICEs ("schema already exists, skipping") are not news. */
static void quiet_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("db", "notice=\"%.200s\"", msg);
}

static void failed_attempt(struct db_conn *c)
{
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : c->p.backoff_min_ms;
	if (c->backoff_ms > c->p.backoff_max_ms)
		c->backoff_ms = c->p.backoff_max_ms;
	c->next_try_ms = wd_mono_ms() + c->backoff_ms;
}

int db_conn_ensure(struct db_conn *c, struct db_err *e)
{
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
		return DB_OK;
	drop(c);
	if (c->next_try_ms && wd_mono_ms() < c->next_try_ms)
		return db_err_set(e, DB_EUNREACH, "database unreachable (next attempt in %lld ms)",
				  (long long)(c->next_try_ms - wd_mono_ms()));
	/* libpq's connect_timeout is whole seconds */
	char ct[24], opts[160];
	snprintf(ct, sizeof ct, "%lld", (long long)((c->p.connect_timeout_ms + 999) / 1000));
	snprintf(opts, sizeof opts, "-c statement_timeout=%lld -c TimeZone=UTC -c DateStyle=ISO%s",
		 (long long)c->p.statement_timeout_ms, c->p.read_only ? " -c default_transaction_read_only=on" : "");
	const char *keys[8], *vals[8];
	int n = 0;
	keys[n] = "dbname", vals[n++] = c->p.dsn; /* expanded as a conninfo string */
	keys[n] = "connect_timeout", vals[n++] = ct;
	keys[n] = "options", vals[n++] = opts;
	keys[n] = "application_name", vals[n++] = *c->p.app_name ? c->p.app_name : "vigil";
	if (*c->p.password)
		keys[n] = "password", vals[n++] = c->p.password;
	keys[n] = NULL, vals[n] = NULL;
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		int rc = db_err_set(e, DB_EUNREACH, "database unreachable: %s",
				    c->pg ? PQerrorMessage(c->pg) : "out of memory");
		if (!c->reported_down && e)
			log_warn("db", "unreachable err=\"%s\"", e->msg);
		c->reported_down = true;
		drop(c);
		failed_attempt(c);
		return rc;
	}
	PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
	c->qschema = PQescapeIdentifier(c->pg, c->p.schema, strlen(c->p.schema));
	if (!c->qschema) {
		int rc = db_err_set(e, DB_ECONFIG, "cannot quote schema name: %s", PQerrorMessage(c->pg));
		drop(c);
		return rc;
	}
	if (c->reported_down)
		log_info("db", "reconnected schema=%s", c->p.schema);
	c->reported_down = false;
	c->backoff_ms = 0;
	c->next_try_ms = 0;
	return DB_OK;
}

/* Replaces %S by the quoted schema identifier. */
static char *expand(struct db_conn *c, const char *sql)
{
	const char *q = db_conn_schema(c);
	size_t n = 0, ql = strlen(q);
	for (const char *s = sql; *s; s++)
		n += (s[0] == '%' && s[1] == 'S') ? ql : 1;
	char *out = xmalloc(n + 1), *o = out;
	for (const char *s = sql; *s; s++) {
		if (s[0] == '%' && s[1] == 'S') {
			memcpy(o, q, ql);
			o += ql;
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

int db_exec(struct db_conn *c, const char *sql, int nparams, const char *const *vals, PGresult **res, struct db_err *e)
{
	if (res)
		*res = NULL;
	for (int attempt = 0;; attempt++) {
		int rc = db_conn_ensure(c, e);
		if (rc)
			return rc;
		char *text = expand(c, sql);
		PGresult *r = PQexecParams(c->pg, text, nparams, NULL, vals, NULL, NULL, 0);
		free(text);
		ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (res)
				*res = r;
			else
				PQclear(r);
			return DB_OK;
		}
		if (PQstatus(c->pg) != CONNECTION_OK) {
			bool was_tx = c->in_tx;
			db_err_set(e, DB_EUNREACH, "database connection lost: %s", PQerrorMessage(c->pg));
			PQclear(r);
			if (!c->reported_down && e)
				log_warn("db", "connection lost err=\"%s\"", e->msg);
			c->reported_down = true;
			drop(c);
			/* A server restart kills idle connections: one fresh attempt,
			 * never in the middle of a transaction. */
			if (!was_tx && attempt == 0)
				continue;
			failed_attempt(c);
			return DB_EUNREACH;
		}
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		db_err_set(e, DB_ESQL, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
		if (e)
			snprintf(e->sqlstate, sizeof e->sqlstate, "%s", state ? state : "");
		PQclear(r);
		return DB_ESQL;
	}
}

int db_exec_count(struct db_conn *c, const char *sql, int nparams, const char *const *vals, long *count,
		  struct db_err *e)
{
	PGresult *r;
	int rc = db_exec(c, sql, nparams, vals, &r, e);
	if (rc)
		return rc;
	if (count)
		*count = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return DB_OK;
}

int db_begin(struct db_conn *c, struct db_err *e)
{
	int rc = db_exec(c, "BEGIN", 0, NULL, NULL, e);
	if (rc == DB_OK)
		c->in_tx = true;
	return rc;
}

int db_commit(struct db_conn *c, struct db_err *e)
{
	int rc = db_exec(c, "COMMIT", 0, NULL, NULL, e);
	c->in_tx = false;
	return rc;
}

void db_rollback(struct db_conn *c)
{
	if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	c->in_tx = false;
}
