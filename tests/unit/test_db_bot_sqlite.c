/* The bot's positions from a SQLite file (sql/db_bot_sqlite.c), through
 * the same db_bot_positions() as PostgreSQL: Freqtrade's trades table. */
#include <CUnit/CUnit.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/db_bot.h"
#include "tests/support/testutil.h"

static const char *ft_query = "SELECT pair AS symbol, exchange,"
			      " CASE WHEN is_short THEN 'short' ELSE 'long' END AS side,"
			      " amount AS quantity, open_rate AS entry_price, 'open' AS status,"
			      " open_date AS opened_at FROM trades WHERE is_open";

/* A Freqtrade-like file; returns its path (free, unlink). */
static char *make_db(void)
{
	char *p = tu_write_temp("", 0600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	unlink(p);
	sqlite3 *db;
	CU_ASSERT_EQUAL_FATAL(sqlite3_open(p, &db), SQLITE_OK);
	CU_ASSERT_EQUAL(
		sqlite3_exec(db,
			     "CREATE TABLE trades (id INTEGER PRIMARY KEY, exchange TEXT, pair TEXT,"
			     " is_open BOOLEAN, is_short BOOLEAN, amount FLOAT, open_rate FLOAT,"
			     " open_date DATETIME);"
			     "INSERT INTO trades VALUES (1, 'binance', 'BTC/USDT:USDT', 1, 0, 0.01, 60000,"
			     " '2025-10-20 10:00:00.250000');"
			     "INSERT INTO trades VALUES (2, 'binance', 'ETH/USDT:USDT', 1, 1, 2, 3000, 1760954400);"
			     "INSERT INTO trades VALUES (3, 'binance', 'SOL/USDT:USDT', 0, 0, 5, 150, NULL);",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	return p;
}

static struct db_conn *lite_conn(const char *path)
{
	struct db_params p;
	memset(&p, 0, sizeof p);
	snprintf(p.dsn, sizeof p.dsn, "sqlite://%s", path);
	p.read_only = true;
	struct db_err e;
	struct db_conn *c = db_conn_new(&p, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

static void test_db_bot_sqlite_reads_freqtrade_trades(void)
{
	char *path = make_db();
	struct db_conn *c = lite_conn(path);
	struct rec_bot_row *rows;
	size_t n;
	struct db_err e;
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL_FATAL(db_bot_positions(c, ft_query, &rows, &n, &e), DB_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(rows[0].symbol, "BTC/USDT:USDT");
	CU_ASSERT_STRING_EQUAL(rows[0].exchange, "binance");
	CU_ASSERT_EQUAL(rows[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].qty, 0.01, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].entry_price, 60000, 1e-9);
	CU_ASSERT_STRING_EQUAL(rows[0].status, "open");
	CU_ASSERT_EQUAL(rows[0].opened_ms, 1760954400250LL); /* text, UTC */
	CU_ASSERT_EQUAL(rows[1].side, REC_SIDE_SHORT);
	CU_ASSERT_EQUAL(rows[1].opened_ms, 1760954400000LL); /* seconds as a number */
	free(rows);

	struct db_bot_probe pr;
	CU_ASSERT_EQUAL(db_bot_probe(c, "SELECT pair AS symbol, amount FROM trades;  ", &pr, &e), DB_OK);
	CU_ASSERT_EQUAL(pr.ncols, 2);
	CU_ASSERT_TRUE(pr.got_row);
	CU_ASSERT_STRING_EQUAL(db_bot_probe_missing(&pr), "exchange");
	CU_ASSERT_EQUAL(db_bot_probe(c, ft_query, &pr, &e), DB_OK);
	CU_ASSERT_PTR_NULL(db_bot_probe_missing(&pr));
	db_conn_free(c);
	unlink(path);
	free(path);
}

static void test_db_bot_sqlite_errors(void)
{
	char *path = make_db();
	struct db_conn *c = lite_conn(path);
	struct rec_bot_row *rows;
	size_t n;
	struct db_err e;
	memset(&e, 0, sizeof e);
	/* a missing column names it */
	CU_ASSERT_EQUAL(db_bot_positions(c, "SELECT pair AS symbol FROM trades", &rows, &n, &e), DB_EDATA);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "'exchange'"));
	/* a query the database refuses */
	CU_ASSERT_EQUAL(db_bot_positions(c, "SELECT nope FROM trades", &rows, &n, &e), DB_ESQL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "nope"));
	/* read-only: a writing statement fails and changes nothing */
	CU_ASSERT_EQUAL(db_bot_positions(c,
					 "DELETE FROM trades RETURNING pair AS symbol, exchange, 'long' AS side,"
					 " amount AS quantity, open_rate AS entry_price, 'open' AS status",
					 &rows, &n, &e),
			DB_ESQL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "readonly"));
	CU_ASSERT_EQUAL(db_bot_positions(c, ft_query, &rows, &n, &e), DB_OK);
	CU_ASSERT_EQUAL(n, 2);
	free(rows);
	db_conn_free(c);
	/* a missing file is the bot database being unreachable */
	unlink(path);
	c = lite_conn(path);
	CU_ASSERT_EQUAL(db_bot_positions(c, ft_query, &rows, &n, &e), DB_EUNREACH);
	CU_ASSERT_EQUAL(access(path, F_OK), -1); /* and is never created */
	db_conn_free(c);
	free(path);
	CU_ASSERT_STRING_EQUAL(db_bot_sqlite_path("sqlite:///a/b"), "/a/b");
	CU_ASSERT_PTR_NULL(db_bot_sqlite_path("host=x dbname=y"));
}

void test_db_bot_sqlite_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_db_bot_sqlite_reads_freqtrade_trades", test_db_bot_sqlite_reads_freqtrade_trades },
		{ "test_db_bot_sqlite_errors", test_db_bot_sqlite_errors },
		{ NULL, NULL },
	};
	tu_add_suite("db_bot_sqlite", tests);
}
