/* Inside the bot reader: what the PostgreSQL (db_bot.c) and SQLite
 * (db_bot_sqlite.c) halves share. */
#ifndef DB_BOT_INT_H
#define DB_BOT_INT_H
#include "sql/db_bot.h"

/* Column indexes of the contract's columns in a result whose column i is
 * named names(i, ud): col[0..5] required (DB_EDATA naming the first
 * missing one), col[6] opened_at or -1. Names match case-insensitively. */
int db_bot_map_columns(int ncols, const char *(*name)(int i, void *ud), void *ud, int col[7], struct db_err *e);

/* query with trailing blanks and semicolons removed, wrapped for the probe
 * (malloc'd). */
char *db_bot_probe_sql(const char *query);

int db_bot_sqlite_positions(const struct db_params *p, const char *query, struct rec_bot_row **rows, size_t *n,
			    struct db_err *e);
int db_bot_sqlite_probe(const struct db_params *p, const char *query, struct db_bot_probe *out, struct db_err *e);

#endif
