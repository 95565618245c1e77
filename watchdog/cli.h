/* The vigil command table. Each subcommand lives in its own cmd_*.c and is
 * listed in cli.c. Exit codes follow sysexits(3), except `vigil audit`,
 * which uses the Nagios convention (0 OK, 1 warning, 2 critical, 3 unknown). */
#ifndef WD_CLI_H
#define WD_CLI_H

#define EX_OK_ 0
#define EX_USAGE_ 64
#define EX_DATAERR_ 65
#define EX_UNAVAILABLE_ 69
#define EX_SOFTWARE_ 70
#define EX_TEMPFAIL_ 75
#define EX_CONFIG_ 78

#include "watchdog/version.h"

struct wd_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *options;               /* `vigil NAME --help`: one option per line */
};

/* Prints usage to stderr and returns EX_USAGE_. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_main(int argc, char **argv);

/* Subcommands (defined in cmd_*.c). */
int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_ack(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_alert(int argc, char **argv);

#endif
