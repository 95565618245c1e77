/* Schema migrations: sql/NNN_name.sql files applied in NNN order, each once,
 * inside its own transaction with search_path set to vigil's schema, and
 * recorded in <schema>.schema_version. A failing file is rolled back (the
 * database stays as it was) and stops the run. */
#ifndef DB_MIGRATE_H
#define DB_MIGRATE_H
#include <stddef.h>

#include "sql/db_conn.h"

/* Where the .sql files are: $VIGIL_SQL_DIR, else <exe dir>/../share/vigil/sql
 * (installed), <exe dir>/../sql, <exe dir>/../../sql (the source tree): the
 * first holding NNN_*.sql. Writes the path into dir; -1 if none. */
int db_migrate_find_dir(char *dir, size_t cap);

/* The schema version this binary needs: the highest sql/NNN_*.sql
 * (test_db_schema_version_is_the_highest_migration keeps them in step). */
#define DB_SCHEMA_VERSION 5

/* The highest migration applied to the connection's schema (0: none, no
 * schema_version table). DB_OK or a DB_E* code with e set. */
int db_migrate_version(struct db_conn *c, int *version, struct db_err *e);

/* Parses "NNN_name.sql" -> version NNN (>0); -1 if the name does not match. */
int db_migrate_parse_name(const char *file, int *version);

struct db_migrate_result {
	int applied;      /* files applied by this run */
	int already;      /* files found already applied */
	char failed[128]; /* the file that failed, "" if none */
};

/* Applies pending migrations from dir. Prints one line per applied file to
 * out if not NULL. 0, or a DB_E* code with e set (the SQL error for a
 * failing file). */
int db_migrate_run(struct db_conn *c, const char *dir, struct db_migrate_result *r,
		   void (*progress)(const char *file, void *ctx), void *ctx, struct db_err *e);

#endif
