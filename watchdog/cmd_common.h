/* Shared plumbing of the vigil commands that use the engine (run, audit,
 * status, repair, findings, ack): option parsing with per-command allowed
 * options, the y/N confirmation of mutating commands, and config loading
 * with the log level applied. */
#ifndef WD_CMD_COMMON_H
#define WD_CMD_COMMON_H
#include <stdbool.h>
#include <stddef.h>

#include "watchdog/config.h"

enum {
	WD_OPT_CONF = 1 << 0,     /* -c FILE, --config FILE */
	WD_OPT_ACCOUNT = 1 << 1,  /* --account A */
	WD_OPT_JSON = 1 << 2,     /* --json */
	WD_OPT_YES = 1 << 3,      /* --yes, -y */
	WD_OPT_DRY = 1 << 4,      /* --dry-run, -n */
	WD_OPT_OPEN = 1 << 5,     /* --open */
	WD_OPT_PRICE = 1 << 6,    /* --price P */
	WD_OPT_PERCENT = 1 << 7,  /* --percent X */
	WD_OPT_LISTEN = 1 << 8,   /* --listen DURATION */
	WD_OPT_QUIET = 1 << 9,    /* --quiet, -q */
	WD_OPT_GRACE = 1 << 10,   /* --grace DURATION (one-shot grace override) */
	WD_OPT_TIMEOUT = 1 << 11, /* -t SECONDS, --timeout SECONDS (whole seconds, 1-3600) */
};

#define WD_MAX_POS 8

struct wd_cmdopts {
	const char *conf;
	const char *account;
	bool json, yes, dry_run, open_only, quiet;
	bool has_price, has_percent;
	double price, percent;
	int64_t listen_ms; /* default 2000 */
	int64_t grace_ms;  /* -1 = the config's grace_open / grace_order */
	int timeout_s;     /* 0 = none */
	int npos;
	const char *pos[WD_MAX_POS];
};

/* Parses argv[1..] (argv[0] is the command). Options not in `allowed`,
 * unknown options, missing or bad values and too many positionals fail:
 * returns -1 with err set. "--" ends options. */
int wd_cmdopts_parse(int argc, char **argv, unsigned allowed, struct wd_cmdopts *o, char *err, size_t errlen);

/* Does argv[1..] ask for --json (before any "--")? For commands that
 * answer in JSON even when the options themselves are wrong. */
bool wd_cmdargs_json(int argc, char **argv);

/* Loads the config file into a new wd_conf (xcalloc'd; free with
 * wd_conf_free + free) and applies its log level. NULL with err set. */
struct wd_conf *wd_cmd_load_conf(const char *path, char *err, size_t errlen);

/* One-shot commands: log warnings and errors only (debug if configured). */
void wd_cmd_quiet_logs(const struct wd_conf *c);

/* One-shot commands: wd_cmd_load_conf + wd_cmd_quiet_logs; NULL after
 * "<who>: config error: ..." on stderr (and, when err is not NULL, the
 * same "config error: ..." text in err). */
struct wd_conf *wd_cmd_conf_oneshot(const char *path, const char *who);
struct wd_conf *wd_cmd_conf_oneshot_err(const char *path, const char *who, char *err, size_t errlen);

/* --grace DURATION (grace_ms >= 0): every account's grace_open and
 * grace_order for this run. */
void wd_cmd_grace_override(struct wd_conf *c, int64_t grace_ms);

/* Opens vigil's database for a command (findings, ack); NULL with a
 * message on stderr when there is none or it is unreachable. */
struct db_conn;
struct db_conn *wd_cmd_db_open(const struct wd_conf *c);

/* Mutating commands: true to go ahead. --yes says yes; otherwise asks
 * "question [y/N]" when stdin and stdout are terminals; false (with a
 * message on stderr) when not a terminal. *refused_tty tells the caller
 * which case it was. */
bool wd_confirm(const char *question, bool yes, bool *refused_tty);

#endif
