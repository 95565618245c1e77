#include "sql/db_bot.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql/db_bot_int.h"
#include "base/xalloc.h"

enum rec_side db_bot_parse_side(const char *s)
{
	if (!strcasecmp(s, "long") || !strcasecmp(s, "buy"))
		return REC_SIDE_LONG;
	if (!strcasecmp(s, "short") || !strcasecmp(s, "sell"))
		return REC_SIDE_SHORT;
	return REC_SIDE_UNKNOWN;
}

int64_t db_bot_parse_time_ms(const char *s)
{
	/* ISO output of a UTC session: YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]] */
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%d", &tm);
	if (!p)
		return 0;
	if (*p == ' ' || *p == 'T') {
		const char *q = strptime(p + 1, "%H:%M:%S", &tm);
		if (!q)
			return 0;
		p = q;
	}
	int64_t ms = (int64_t)timegm(&tm) * 1000;
	if (*p == '.') {
		int64_t frac = 0, scale = 1000;
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
		ms += frac;
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int hh = 0, mm = 0;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1 && sscanf(p + 1, "%2d", &hh) < 1)
			return 0;
		ms -= sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
	}
	return ms;
}

const char *const db_bot_required[DB_BOT_NREQUIRED] = { "symbol",   "exchange",    "side",
							"quantity", "entry_price", "status" };

const char *db_bot_sqlite_path(const char *dsn)
{
	return strncmp(dsn, "sqlite://", 9) == 0 ? dsn + 9 : NULL;
}

int64_t db_bot_number_time_ms(double d)
{
	/* NaN, infinities and absurd values (all legal in PostgreSQL and
	 * SQLite) mean "unknown", never undefined behaviour */
	if (!(d > 0 && d < 1e15))
		return 0;
	return d < 1e11 ? (int64_t)(d * 1000) : (int64_t)d;
}

int db_bot_map_columns(int ncols, const char *(*name)(int i, void *ud), void *ud, int col[7], struct db_err *e)
{
	for (size_t k = 0; k < 7; k++) {
		const char *want = k < DB_BOT_NREQUIRED ? db_bot_required[k] : DB_BOT_OPTIONAL;
		col[k] = -1;
		for (int i = 0; i < ncols && col[k] < 0; i++) {
			const char *nm = name(i, ud);
			if (nm && strcasecmp(nm, want) == 0)
				col[k] = i;
		}
		if (col[k] < 0 && k < DB_BOT_NREQUIRED)
			return db_err_set(e, DB_EDATA,
					  "bot positions query returns no column '%s' (it must return symbol,"
					  " exchange, side, quantity, entry_price, status and may return opened_at)",
					  want);
	}
	return DB_OK;
}

char *db_bot_probe_sql(const char *query)
{
	size_t n = strlen(query);
	while (n && strchr(" \t\r\n;", query[n - 1]))
		n--;
	/* newlines: a trailing "-- comment" in the query must not swallow the ")" */
	static const char pre[] = "SELECT * FROM (\n", post[] = "\n) AS vigil_probe LIMIT 1";
	char *out = xmalloc(sizeof pre + n + sizeof post);
	snprintf(out, sizeof pre + n + sizeof post, "%s%.*s%s", pre, (int)n, query, post);
	return out;
}

const char *db_bot_probe_missing(const struct db_bot_probe *p)
{
	for (size_t k = 0; k < DB_BOT_NREQUIRED; k++) {
		bool found = false;
		for (size_t i = 0; i < p->ncols && !found; i++)
			found = strcasecmp(p->cols[i], db_bot_required[k]) == 0;
		if (!found)
			return db_bot_required[k];
	}
	return NULL;
}

static const char *pg_name(int i, void *ud)
{
	return PQfname(ud, i);
}

int db_bot_positions(struct db_conn *c, const char *query, struct rec_bot_row **rows, size_t *n, struct db_err *e)
{
	*rows = NULL;
	*n = 0;
	if (db_bot_sqlite_path(db_conn_params(c)->dsn))
		return db_bot_sqlite_positions(db_conn_params(c), query, rows, n, e);
	PGresult *r;
	int rc = db_exec(c, query, 0, NULL, &r, e);
	if (rc == DB_ESQL) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		db_err_set(e, DB_ESQL, "bot positions query failed: %s", msg);
	}
	if (rc)
		return rc;
	int col[7];
	if ((rc = db_bot_map_columns(PQnfields(r), pg_name, r, col, e)) != DB_OK) {
		PQclear(r);
		return rc;
	}
	int cnt = PQntuples(r);
	struct rec_bot_row *out = cnt ? xcalloc((size_t)cnt, sizeof *out) : NULL;
	for (int i = 0; i < cnt; i++) {
		struct rec_bot_row *b = &out[i];
		snprintf(b->symbol, sizeof b->symbol, "%s", PQgetvalue(r, i, col[0]));
		snprintf(b->exchange, sizeof b->exchange, "%s", PQgetvalue(r, i, col[1]));
		b->side = db_bot_parse_side(PQgetvalue(r, i, col[2]));
		b->qty = strtod(PQgetvalue(r, i, col[3]), NULL);
		b->entry_price = strtod(PQgetvalue(r, i, col[4]), NULL);
		snprintf(b->status, sizeof b->status, "%s", PQgetvalue(r, i, col[5]));
		if (col[6] >= 0 && !PQgetisnull(r, i, col[6])) {
			const char *v = PQgetvalue(r, i, col[6]);
			Oid t = PQftype(r, col[6]);
			if (t == 20 || t == 21 || t == 23 || t == 1700 || t == 701) /* int8/2/4, numeric, float8 */
				b->opened_ms = db_bot_number_time_ms(strtod(v, NULL));
			else
				b->opened_ms = db_bot_parse_time_ms(v);
		}
	}
	PQclear(r);
	*rows = out;
	*n = (size_t)cnt;
	return DB_OK;
}

int db_bot_probe(struct db_conn *c, const char *query, struct db_bot_probe *out, struct db_err *e)
{
	memset(out, 0, sizeof *out);
	if (db_bot_sqlite_path(db_conn_params(c)->dsn))
		return db_bot_sqlite_probe(db_conn_params(c), query, out, e);
	int rc = db_exec(c, "BEGIN TRANSACTION READ ONLY", 0, NULL, NULL, e);
	if (rc)
		return rc;
	char *sql = db_bot_probe_sql(query);
	PGresult *r;
	rc = db_exec(c, sql, 0, NULL, &r, e);
	free(sql);
	if (rc == DB_ESQL) {
		char msg[sizeof e->msg];
		snprintf(msg, sizeof msg, "%s", e->msg);
		db_err_set(e, DB_ESQL, "bot positions query failed: %s", msg);
	}
	if (rc == DB_OK) {
		int nf = PQnfields(r);
		for (int i = 0; i < nf && out->ncols < DB_BOT_PROBE_MAX_COLS; i++)
			snprintf(out->cols[out->ncols++], sizeof out->cols[0], "%s", PQfname(r, i));
		out->got_row = PQntuples(r) > 0;
		PQclear(r);
	}
	db_rollback(c);
	return rc;
}
