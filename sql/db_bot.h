/* The bot's positions as a source: the configured query is run as is on
 * the bot's database (a read-only session), and must return columns named
 * symbol, exchange, side, quantity, entry_price, status; opened_at is
 * optional (timestamp, or a number of seconds or milliseconds). */
#ifndef DB_BOT_H
#define DB_BOT_H
#include <stddef.h>

#include "reconcile/model.h"
#include "sql/db_conn.h"

/* Runs query; *rows malloc'd (free()). DB_EUNREACH when the database is
 * down (the caller reports SOURCE_UNREACHABLE), DB_EDATA naming a missing
 * column, DB_ESQL for a query the server refuses. */
int db_bot_positions(struct db_conn *c, const char *query, struct rec_bot_row **rows, size_t *n, struct db_err *e);

/* Pure parsers used for the columns (exposed for tests). */
enum rec_side db_bot_parse_side(const char *s); /* long/buy, short/sell */
int64_t db_bot_parse_time_ms(const char *s);    /* "2025-10-20 10:00:00.5+00", 0 if bad */

#endif
