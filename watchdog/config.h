/* vigil's configuration: an INI file (see etc/vigil.conf.example, which
 * documents every key). Parsing is table-driven (config.c); a bad value, a
 * missing required key or an unknown key is an error naming file, line and
 * key. Secrets (API keys, tokens, passwords) never live in the file itself:
 * the file names an environment variable or a 0600 file holding them, and
 * each loaded secret is registered with the log redaction layer. */
#ifndef WD_CONFIG_H
#define WD_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile/model.h"
#include "reconcile/policy.h"
#include "reconcile/reconcile.h"

#define WD_MAX_ACCOUNTS 64
#define WD_MAX_OVERRIDES REC_POLICY_MAX_OVERRIDES
#define WD_NAME_MAX 64
#define WD_STR_MAX 512
#define WD_QUERY_MAX 8192
/* The bot statuses that mean "the bot knows this position" (no ORPHAN). */

/* Exchange, mode, orphan action, stop reference and symbol style are the
 * core's enums (rec_exchange, rec_mode, ...): the file parses into them. */
enum wd_severity_cfg { WD_SEV_INFO = 0, WD_SEV_WARNING = 1, WD_SEV_CRITICAL = 2 };

/* A per-finding override: "override.ORPHAN_POSITION = observe". */
struct wd_override {
	char code[40];
	enum rec_mode mode;
};

struct wd_account {
	char name[WD_NAME_MAX];
	int line; /* line of the section header, for messages */
	bool enabled;
	enum rec_exchange exchange;
	char rest_url[WD_STR_MAX];
	char ws_url[WD_STR_MAX];
	int rest_url_line, ws_url_line; /* where set, for messages (0 = not) */
	char api_key_env[WD_NAME_MAX], api_key_file[WD_STR_MAX];
	char api_secret_env[WD_NAME_MAX], api_secret_file[WD_STR_MAX];
	char *api_key, *api_secret; /* loaded secrets (owned) */
	enum rec_mode mode;
	enum rec_orphan_action orphan_action;
	int64_t grace_open_ms;  /* new position: no ORPHAN / UNPROTECTED before this */
	int64_t grace_order_ms; /* stop without position: no ORPHAN_ORDER before this */
	double stop_loss_percent;
	enum rec_stop_ref stop_reference;
	char bot_exchange[WD_NAME_MAX]; /* value of the bot's `exchange` column */
	enum rec_symstyle db_symbol_style;
	int64_t recv_window_ms;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
	bool hedge_mode;
	/* request budget (issue 15): accounts with the same exchange and
	 * egress share one (one IP); 0 = the exchange's documented limit */
	char egress[WD_NAME_MAX];
	int request_limit;    /* weight (Binance, per minute) / requests (Bybit, per 5 s) */
	double request_share; /* percent of the limit vigil may use (20) */
	int request_ceiling;  /* absolute cap on vigil's use per window (0 = none) */
	struct wd_override overrides[WD_MAX_OVERRIDES];
	size_t noverrides;
	/* TLS trust and proxy (issue 21). ca_file: as given, then resolved
	 * at load (relative = to the config file; [vigil] ca_file when the
	 * account has none); "" = the system's bundle. proxy: http://HOST:PORT
	 * or socks5h://HOST:PORT, "" = none. Lines for messages (0 = not set
	 * in this section). */
	char ca_file[WD_STR_MAX];
	char proxy[WD_STR_MAX];
	int ca_file_line, proxy_line;
};

/* [api] (issue 23): the bot's local query API (watchdog/api.c). */
struct wd_api_conf {
	char listen[WD_STR_MAX]; /* "" = off; "unix:/ABS/PATH" or a loopback HOST:PORT */
	char token_file[WD_STR_MAX];
	char socket_mode[8];            /* octal, "0660" */
	char socket_group[WD_NAME_MAX]; /* "" = the daemon's group */
	int max_connections;
	/* resolved by wd_conf_check_api (config_api.c) */
	bool is_unix;
	unsigned mode; /* socket file mode */
	long long gid; /* -1 = leave the group */
	char *token;   /* the bearer token (secret, owned) */
};

struct wd_conf {
	char path[WD_STR_MAX];
	/* [vigil] */
	int log_level;
	int64_t audit_interval_ms;
	int64_t audit_debounce_ms;
	char metrics_listen[WD_NAME_MAX];
	char instance[WD_NAME_MAX];
	char spool_dir[WD_STR_MAX];
	char deadman_url[WD_STR_MAX];
	/* lines the URL keys were set at, for messages (0 = default) */
	int deadman_url_line, tg_api_url_line, smtp_url_line, webhook_url_line;
	int64_t stream_stale_ms;
	int64_t rest_lag_tolerance_ms;
	int64_t clock_skew_limit_ms;
	char ca_file[WD_STR_MAX]; /* every account's, unless it names its own (issue 21) */
	int ca_file_line;
	/* [database] */
	bool db_enabled;
	char db_dsn[WD_STR_MAX];
	char db_password_env[WD_NAME_MAX], db_password_file[WD_STR_MAX];
	char *db_password;
	char db_schema[WD_NAME_MAX];
	char bot_dsn[WD_STR_MAX];
	char bot_query[WD_QUERY_MAX];            /* bot_positions_query, or the file's text */
	char bot_query_file[WD_STR_MAX];         /* as written (relative = to the config file) */
	int bot_query_line, bot_query_file_line; /* where the keys were set (0 = not) */
	char bot_live_statuses[WD_STR_MAX];      /* comma-separated, case-insensitive */
	int64_t db_connect_timeout_ms;
	int64_t db_statement_timeout_ms;
	int64_t repair_lease_ms; /* HA: the holder repairs this long into a database outage */
	bool single_instance;    /* no HA lock: repairs never wait for the database */
	/* [alerts] */
	int64_t repeat_interval_ms;
	int64_t warning_hold_ms;
	int64_t escalate_after_ms;
	/* [alerts.telegram] */
	bool tg_enabled;
	char tg_api_url[WD_STR_MAX];
	char tg_token_env[WD_NAME_MAX], tg_token_file[WD_STR_MAX];
	char *tg_token;
	char tg_chat_ids[WD_STR_MAX]; /* comma-separated */
	int tg_min_severity;
	int tg_rate_per_minute;
	bool tg_escalation;
	/* [alerts.smtp] */
	bool smtp_enabled;
	char smtp_url[WD_STR_MAX];
	char smtp_from[WD_STR_MAX];
	char smtp_to[WD_STR_MAX]; /* comma-separated */
	char smtp_username[WD_NAME_MAX];
	char smtp_password_env[WD_NAME_MAX], smtp_password_file[WD_STR_MAX];
	char *smtp_password;
	bool smtp_require_starttls;
	char smtp_ca_file[WD_STR_MAX];
	int smtp_min_severity;
	int smtp_rate_per_minute;
	bool smtp_escalation;
	/* [alerts.webhook] */
	bool webhook_enabled;
	char webhook_url[WD_STR_MAX];
	int webhook_min_severity;
	/* HMAC-SHA256 key for X-Vigil-Signature (optional) */
	char webhook_secret_env[WD_NAME_MAX], webhook_secret_file[WD_STR_MAX];
	char *webhook_secret;

	struct wd_account accounts[WD_MAX_ACCOUNTS];
	size_t naccounts;
	/* Appended (issue 23). */
	struct wd_api_conf api;
};

/* Parses path into *c (zeroed first, defaults applied), loads the secrets it
 * names and registers them for redaction. Returns 0, or -1 with a message
 * "FILE:LINE: ..." in err. On failure *c holds nothing to free. */
int wd_conf_load(const char *path, struct wd_conf *c, char *err, size_t errlen);
/* TLS and secret-placement rules (config_transport.c): verified TLS for
 * every non-loopback URL and database host, no password inside a DSN.
 * Called by wd_conf_load; 0 or -1 with err set. */
int wd_conf_check_transport(const struct wd_conf *c, char *err, size_t errlen);
/* [api] checks (config_api.c): the listen form, the socket's mode and
 * group, and the bearer token, required on TCP. 0 or -1 with err set. */
int wd_conf_check_api(struct wd_conf *c, char *err, size_t errlen);
/* Frees the loaded secrets. */
void wd_conf_free(struct wd_conf *c);
/* Finds an account by name, or NULL. */
const struct wd_account *wd_conf_account(const struct wd_conf *c, const char *name);
/* Parses "500ms", "30s", "5m", "1h" or a bare number of seconds. */
int wd_parse_duration_ms(const char *s, int64_t *out);
/* What the core's policy and repair engine act by, from the account's
 * settings (an override naming no known finding code matches nothing and
 * is left out). */
void wd_account_policy(const struct wd_account *a, struct rec_policy *out);

/* Secrets (config_secret.c). Reads a secret file: no symlink, never
 * blocks, a regular file of root or vigil's user, mode 0600 or stricter,
 * at most 4096 bytes, one line (one trailing newline dropped). Returns a
 * new string or NULL with err set (never the content). */
char *wd_read_secret_file(const char *path, char *err, size_t errlen);
/* Loads one secret named by an env var or a file (path:line for errors);
 * required: an error if neither is set. 0, or -1 with err set. */
int wd_load_secret(const char *path, int line, const char *what, const char *env, const char *file, int required,
		   char **out, char *err, size_t errlen);
/* From now on, an environment secret read is removed from the environment
 * (kept privately for reloads). The vigil program turns it on. */
void wd_secret_env_scrub(bool on);

#endif
