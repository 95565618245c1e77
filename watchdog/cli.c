#include "watchdog/cli.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/db_bot.h"
#include "watchdog/config.h"
#include "watchdog/params.h"
#include "base/log.h"
#include "base/xalloc.h"

#define O_CONF "  -c, --config FILE   the configuration (default: $VIGIL_CONFIG)\n"
#define O_ACCT "  -a, --account A     only account A\n"
#define O_JSON "  --json              one JSON document on stdout (README: JSON output)\n"
#define O_LISTEN "  --listen DURATION   listen to the private stream this long first (default 2s)\n"
#define O_GRACE "  --grace DURATION    grace for new positions and orders (default: the config's)\n"
#define O_DRY "  -n, --dry-run       plan and print, send nothing\n"
#define O_YES "  -y, --yes           do it without asking\n"
#define O_HELP "  -h, --help          this text\n"

static const struct wd_cmd commands[] = {
	{ "run", "-c FILE", "run the sidecar daemon (streams, audits, repairs, alerts)", cmd_run,
	  O_CONF "  -q, --quiet         no live account lines on stdout\n" O_HELP
		 "signals: SIGHUP re-reads the configuration, SIGTERM / SIGINT stop cleanly\n" },
	{ "audit", "-c FILE [--account A] [--json] [-t SECONDS]",
	  "one full audit; exit 0 ok, 1 warning, 2 critical, 3 could not audit", cmd_audit,
	  O_CONF O_ACCT O_JSON O_LISTEN O_GRACE
	  "  -t, --timeout SECS  give up after SECS seconds: UNKNOWN, exit 3\n" O_HELP
	  "output: a Nagios plugin's (first line: verdict | performance data; details after it)\n" },
	{ "status", "-c FILE [--account A]", "per symbol: what stream, REST, orders and DB say", cmd_status,
	  O_CONF O_ACCT O_JSON O_LISTEN O_GRACE O_HELP },
	{ "repair", "-c FILE sl|close|cancel|cancel-orphans ... [--dry-run] [--yes]",
	  "manual repairs, planned and verified like the daemon's", cmd_repair,
	  "  sl SYMBOL           place a stop-loss for the position on SYMBOL\n"
	  "  close SYMBOL        close the position on SYMBOL (reduce-only market)\n"
	  "  cancel ORDER_ID     cancel one order vigil judges orphaned or duplicate\n"
	  "  cancel-orphans      cancel every ORPHAN_ORDER of the account\n" O_CONF O_ACCT
	  "  --price P           sl: trigger price P\n"
	  "  --percent X         sl: trigger X % off the reference price\n" O_DRY O_YES O_HELP },
	{ "findings", "-c FILE [--open]", "list stored findings", cmd_findings,
	  O_CONF O_ACCT "  --open              open findings only\n" O_JSON O_HELP },
	{ "ack", "-c FILE KEY", "silence repeats of one finding until it resolves", cmd_ack,
	  O_CONF O_DRY O_YES O_HELP },
	{ "db", "-c FILE migrate", "apply vigil's schema migrations", cmd_db,
	  O_CONF "  --sql-dir DIR       the migration files (default: the installed ones)\n" O_HELP },
	{ "alert", "-c FILE test", "send a test message to every configured channel", cmd_alert, O_CONF O_HELP },
	{ "check-config", "[--connect] FILE", "validate a configuration file; --connect also runs the bot query once",
	  cmd_check_config,
	  "  --connect           also connect to the bot's database and run its query once\n" O_HELP
	  "exit: 0 valid, 78 invalid, 65 the bot query lacks a column, 69 database unreachable\n" },
	{ "version", "", "print the version", cmd_version, O_HELP },
	{ "help", "", "this text", cmd_help, "" },
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: vigil COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-13s %-44s %s\n", commands[i].name, commands[i].args, commands[i].help);
	fprintf(f, "\nexit codes: 0 ok, 64 usage, 78 config error, 69 unavailable;"
		   " audit: 0 ok, 1 warning, 2 critical, 3 could not audit\n");
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_usage(stderr);
	return EX_USAGE_;
}

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return EX_OK_;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("version takes no arguments");
	(void)argv;
	printf("vigil %s\n", VIGIL_VERSION);
	return EX_OK_;
}

/* check-config --connect: the bot positions query, run once on the bot's
 * database (LIMIT 1, read-only transaction, rolled back), and the columns
 * it returns against the ones vigil reads. */
static int check_bot_query(const struct wd_conf *c)
{
	if (!c->db_enabled && !*c->bot_dsn) {
		printf("  bot database: none configured ([database] enabled = false); nothing to connect to\n");
		return EX_OK_;
	}
	struct db_params p;
	wd_db_bot_params(c, &p);
	struct db_err e;
	memset(&e, 0, sizeof e);
	struct db_conn *conn = db_conn_new(&p, &e);
	if (!conn) {
		fprintf(stderr, "vigil: bot database: %s\n", e.msg);
		return EX_CONFIG_;
	}
	struct db_bot_probe pr;
	int rc = db_bot_probe(conn, c->bot_query, &pr, &e);
	db_conn_free(conn);
	const char *kind = db_bot_sqlite_path(c->bot_dsn) ? "sqlite" : "postgresql";
	if (rc != DB_OK) {
		fprintf(stderr, "vigil: bot database (%s): %s\n", kind, e.msg);
		return rc == DB_EUNREACH ? EX_UNAVAILABLE_ : EX_DATAERR_;
	}
	printf("  bot database (%s): query ran (%s)\n", kind, pr.got_row ? "1 row read" : "no rows now");
	printf("  columns returned:");
	for (size_t i = 0; i < pr.ncols; i++)
		printf("%s %s", i ? "," : "", pr.cols[i]);
	printf("\n");
	int missing = 0;
	for (size_t k = 0; k <= DB_BOT_NREQUIRED; k++) {
		const char *want = k < DB_BOT_NREQUIRED ? db_bot_required[k] : DB_BOT_OPTIONAL;
		bool found = false;
		for (size_t i = 0; i < pr.ncols && !found; i++)
			found = strcasecmp(pr.cols[i], want) == 0;
		const char *verdict = found ? "ok" : k < DB_BOT_NREQUIRED ? "MISSING (required)" : "absent (optional)";
		printf("    %-12s %s\n", want, verdict);
		missing += !found && k < DB_BOT_NREQUIRED;
	}
	if (missing) {
		fprintf(stderr, "vigil: bot positions query lacks %d required column%s (see above)\n", missing,
			missing == 1 ? "" : "s");
		return EX_DATAERR_;
	}
	printf("  live statuses: %s\n", c->bot_live_statuses);
	if (!c->db_enabled)
		printf("  note: [database] enabled = false: audits do not read the bot database\n");
	return EX_OK_;
}

int cmd_check_config(int argc, char **argv)
{
	bool connect = false;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--connect") == 0)
			connect = true;
		else if (argv[i][0] == '-' || path)
			return cli_usage("check-config takes [--connect] and exactly one FILE");
		else
			path = argv[i];
	}
	if (!path)
		return cli_usage("check-config needs exactly one FILE");
	struct wd_conf *c = xcalloc(1, sizeof *c);
	char err[1024];
	int rc = wd_conf_load(path, c, err, sizeof err);
	if (rc != 0) {
		log_redact(err, sizeof err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		free(c);
		return EX_CONFIG_;
	}
	printf("%s: ok (%zu account%s)\n", path, c->naccounts, c->naccounts == 1 ? "" : "s");
	for (size_t i = 0; i < c->naccounts; i++)
		printf("  account %-16s %-8s mode=%s\n", c->accounts[i].name,
		       rec_exchange_name(c->accounts[i].exchange), rec_mode_name(c->accounts[i].mode));
	rc = EX_OK_;
	if (connect) {
		if (c->log_level < LOG_LVL_DEBUG)
			log_set_level(LOG_LVL_ERROR);
		rc = check_bot_query(c);
	}
	wd_conf_free(c);
	free(c);
	return rc;
}

/* -h / --help anywhere before a "--": the command's own help, exit 0 */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

static int print_command_help(const struct wd_cmd *c)
{
	printf("usage: vigil %s%s%s\n\n%s\n", c->name, c->args[0] ? " " : "", c->args, c->help);
	if (c->options[0])
		printf("\noptions:\n%s", c->options);
	printf("\nsee vigil(8) and vigil.conf(5)\n");
	return EX_OK_;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("no command given");
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(name, "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		if (wants_help(argc - 1, argv + 1))
			return print_command_help(&commands[i]);
		return commands[i].run(argc - 1, argv + 1);
	}
	return cli_usage("unknown command '%s'", name);
}
