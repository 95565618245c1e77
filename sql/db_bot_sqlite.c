/* DESIGN: the bot's positions from a SQLite file (Freqtrade's default
 * store, tradesv3.sqlite). The file is opened read-only (and query_only)
 * for each read and closed after it: the bot is the only writer, vigil
 * never holds a lock between audits, and a file the bot replaced is seen at
 * once. The bot writing at that moment (SQLITE_BUSY past busy_timeout) or a
 * missing file is DB_EUNREACH, like a PostgreSQL outage; the statement
 * timeout is enforced with a progress handler. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/db_bot_int.h"
#include "base/clock_now.h"
#include "base/xalloc.h"

struct lite {
	sqlite3 *db;
	int64_t deadline_ms; /* monotonic */
};

static int past_deadline(void *ud)
{
	const struct lite *l = ud;
	return wd_mono_ms() > l->deadline_ms; /* non-zero interrupts the statement */
}

static int lite_open(struct lite *l, const struct db_params *p, struct db_err *e)
{
	const char *path = db_bot_sqlite_path(p->dsn);
	memset(l, 0, sizeof *l);
	int rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		db_err_set(e, DB_EUNREACH, "bot database unreachable: sqlite %s: %s", path,
			   l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
		sqlite3_close(l->db);
		l->db = NULL;
		return DB_EUNREACH;
	}
	int64_t to = p->statement_timeout_ms > 0 ? p->statement_timeout_ms : 5000;
	sqlite3_busy_timeout(l->db, (int)(to > 600000 ? 600000 : to));
	l->deadline_ms = wd_mono_ms() + to;
	sqlite3_progress_handler(l->db, 1000, past_deadline, l);
	sqlite3_exec(l->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	return DB_OK;
}

/* An sqlite result code from prepare/step as a db_err. */
static int lite_err(struct lite *l, int rc, const char *what, struct db_err *e)
{
	const char *path = sqlite3_db_filename(l->db, "main");
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_CANTOPEN || rc == SQLITE_IOERR ||
	    rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return db_err_set(e, DB_EUNREACH, "bot database unreachable: sqlite %s: %s", path ? path : "",
				  sqlite3_errmsg(l->db));
	if (rc == SQLITE_INTERRUPT)
		return db_err_set(e, DB_ESQL, "%s failed: statement timeout", what);
	return db_err_set(e, DB_ESQL, "%s failed: %s", what, sqlite3_errmsg(l->db));
}

static const char *lite_name(int i, void *ud)
{
	return sqlite3_column_name(ud, i);
}

static void text_col(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, outlen, "%s", t ? (const char *)t : "");
}

static int64_t time_col(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL: return 0;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT: return db_bot_number_time_ms(sqlite3_column_double(st, i));
	default: {
		const unsigned char *t = sqlite3_column_text(st, i);
		return t ? db_bot_parse_time_ms((const char *)t) : 0;
	}
	}
}

int db_bot_sqlite_positions(const struct db_params *p, const char *query, struct rec_bot_row **rows, size_t *n,
			    struct db_err *e)
{
	*rows = NULL;
	*n = 0;
	struct lite l;
	int rc = lite_open(&l, p, e);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v2(l.db, query, -1, &st, NULL);
	if (src != SQLITE_OK || !st) {
		rc = src != SQLITE_OK ? lite_err(&l, src, "bot positions query", e)
				      : db_err_set(e, DB_ESQL, "bot positions query failed: empty query");
		goto out;
	}
	int col[7];
	if ((rc = db_bot_map_columns(sqlite3_column_count(st), lite_name, st, col, e)) != DB_OK)
		goto out;
	size_t cap = 0, cnt = 0;
	struct rec_bot_row *res = NULL;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			res = xrealloc(res, cap * sizeof *res);
		}
		struct rec_bot_row *b = &res[cnt++];
		memset(b, 0, sizeof *b);
		text_col(st, col[0], b->symbol, sizeof b->symbol);
		text_col(st, col[1], b->exchange, sizeof b->exchange);
		char side[32];
		text_col(st, col[2], side, sizeof side);
		b->side = db_bot_parse_side(side);
		b->qty = sqlite3_column_double(st, col[3]);
		b->entry_price = sqlite3_column_double(st, col[4]);
		text_col(st, col[5], b->status, sizeof b->status);
		if (col[6] >= 0)
			b->opened_ms = time_col(st, col[6]);
	}
	if (src != SQLITE_DONE) {
		free(res);
		rc = lite_err(&l, src, "bot positions query", e);
		goto out;
	}
	*rows = res;
	*n = cnt;
	rc = DB_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(l.db);
	return rc;
}

int db_bot_sqlite_probe(const struct db_params *p, const char *query, struct db_bot_probe *out, struct db_err *e)
{
	memset(out, 0, sizeof *out);
	struct lite l;
	int rc = lite_open(&l, p, e);
	if (rc)
		return rc;
	sqlite3_stmt *st = NULL;
	char *sql = db_bot_probe_sql(query);
	int src = sqlite3_exec(l.db, "BEGIN", NULL, NULL, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(l.db, sql, -1, &st, NULL);
	free(sql);
	if (src != SQLITE_OK || !st) {
		rc = src != SQLITE_OK ? lite_err(&l, src, "bot positions query", e)
				      : db_err_set(e, DB_ESQL, "bot positions query failed: empty query");
		goto out;
	}
	int nc = sqlite3_column_count(st);
	for (int i = 0; i < nc && out->ncols < DB_BOT_PROBE_MAX_COLS; i++)
		snprintf(out->cols[out->ncols++], sizeof out->cols[0], "%s", sqlite3_column_name(st, i));
	src = sqlite3_step(st);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = lite_err(&l, src, "bot positions query", e);
		goto out;
	}
	out->got_row = src == SQLITE_ROW;
	rc = DB_OK;
out:
	sqlite3_finalize(st);
	sqlite3_exec(l.db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(l.db);
	return rc;
}
