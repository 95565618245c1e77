/* The bot's positions as a source: the configured query is run as is on
 * the bot's database (a read-only session), and must return columns named
 * symbol, exchange, side, quantity, entry_price, status; opened_at is
 * optional (timestamp, or a number of seconds or milliseconds).
 *
 * The bot's database is PostgreSQL (bot_dsn = a libpq conninfo) or SQLite
 * (bot_dsn = sqlite://PATH, opened read-only for each read: Freqtrade's
 * default tradesv3.sqlite); the same query contract holds for both. */
#ifndef DB_BOT_H
#define DB_BOT_H
#include <stdbool.h>
#include <stddef.h>

#include "reconcile/model.h"
#include "sql/db_conn.h"

/* Runs query; *rows malloc'd (free()). DB_EUNREACH when the database is
 * down (the caller reports SOURCE_UNREACHABLE), DB_EDATA naming a missing
 * column, DB_ESQL for a query the server refuses. A connection whose dsn
 * is sqlite://PATH reads the SQLite file PATH instead (db_bot_sqlite.c). */
int db_bot_positions(struct db_conn *c, const char *query, struct rec_bot_row **rows, size_t *n, struct db_err *e);

/* "sqlite://PATH" -> PATH (possibly ""); any other dsn -> NULL. */
const char *db_bot_sqlite_path(const char *dsn);

/* The columns the query must return (DB_BOT_NREQUIRED of them), and the
 * optional one. */
#define DB_BOT_NREQUIRED 6
extern const char *const db_bot_required[DB_BOT_NREQUIRED];
#define DB_BOT_OPTIONAL "opened_at"

/* check-config --connect: runs the query once, wrapped as
 * SELECT * FROM (query) LIMIT 1 in a read-only transaction that is rolled
 * back, and lists the columns it returns. */
#define DB_BOT_PROBE_MAX_COLS 64
struct db_bot_probe {
	size_t ncols;
	char cols[DB_BOT_PROBE_MAX_COLS][64];
	bool got_row; /* the query returned at least one row */
};
int db_bot_probe(struct db_conn *c, const char *query, struct db_bot_probe *out, struct db_err *e);
/* The first required column missing from p, or NULL. */
const char *db_bot_probe_missing(const struct db_bot_probe *p);

/* Pure parsers used for the columns (exposed for tests). */
enum rec_side db_bot_parse_side(const char *s); /* long/buy, short/sell */
int64_t db_bot_parse_time_ms(const char *s);    /* "2025-10-20 10:00:00.5+00", 0 if bad */
/* opened_at given as a number: seconds (< 1e11) or milliseconds; 0 if absurd. */
int64_t db_bot_number_time_ms(double d);

#endif
