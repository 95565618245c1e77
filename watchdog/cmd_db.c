/* vigil db -c FILE migrate [--sql-dir DIR]: applies vigil's schema
 * migrations (sql/NNN_name.sql) to [database] dsn, schema [database]
 * schema. Exit 0 ok, 65 a migration failed (rolled back), 69 database
 * unreachable, 78 config error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/db_conn.h"
#include "sql/db_migrate.h"
#include "watchdog/cli.h"
#include "watchdog/config.h"
#include "watchdog/params.h"
#include "base/log.h"
#include "base/xalloc.h"

static void progress(const char *file, void *ctx)
{
	(void)ctx;
	printf("applied %s\n", file);
	fflush(stdout);
}

static int exit_for(int code)
{
	switch (code) {
	case DB_EUNREACH: return EX_UNAVAILABLE_;
	case DB_ECONFIG: return EX_CONFIG_;
	default: return EX_DATAERR_;
	}
}

int cmd_db(int argc, char **argv)
{
	const char *conf_path = NULL, *sub = NULL, *sql_dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conf_path = argv[++i];
		else if (!strcmp(argv[i], "--sql-dir") && i + 1 < argc)
			sql_dir = argv[++i];
		else if (argv[i][0] != '-' && !sub)
			sub = argv[i];
		else
			return cli_usage("db: unexpected argument '%s'", argv[i]);
	}
	if (!conf_path || !sub)
		return cli_usage("db needs -c FILE and a subcommand (migrate)");
	if (strcmp(sub, "migrate") != 0)
		return cli_usage("db: unknown subcommand '%s' (known: migrate)", sub);

	struct wd_conf *c = xcalloc(1, sizeof *c);
	char err[1024];
	if (wd_conf_load(conf_path, c, err, sizeof err)) {
		log_redact(err, sizeof err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		free(c);
		return EX_CONFIG_;
	}
	int rc = EX_OK_;
	struct db_err e = { 0 };
	struct db_conn *db = NULL;
	char dir[1024];
	if (!*c->db_dsn) {
		fprintf(stderr, "vigil: config error: %s: [database] dsn is not set\n", conf_path);
		rc = EX_CONFIG_;
		goto out;
	}
	if (sql_dir)
		snprintf(dir, sizeof dir, "%s", sql_dir);
	else if (db_migrate_find_dir(dir, sizeof dir)) {
		fprintf(stderr, "vigil: no migrations found (set VIGIL_SQL_DIR or --sql-dir)\n");
		rc = EX_CONFIG_;
		goto out;
	}
	struct db_params p;
	wd_db_params(c, &p);
	db = db_conn_new(&p, &e);
	if (!db) {
		fprintf(stderr, "vigil: config error: %s: %s\n", conf_path, e.msg);
		rc = EX_CONFIG_;
		goto out;
	}
	struct db_migrate_result res;
	int drc = db_migrate_run(db, dir, &res, progress, NULL, &e);
	if (drc) {
		fprintf(stderr, "vigil: db migrate: %s\n", e.msg);
		rc = exit_for(drc);
		goto out;
	}
	if (res.applied == 0)
		printf("schema %s up to date (%d migrations, %s)\n", p.schema, res.already, dir);
	else
		printf("schema %s: %d applied, %d already present (%s)\n", p.schema, res.applied, res.already, dir);
out:
	db_conn_free(db);
	wd_conf_free(c);
	free(c);
	return rc;
}
