/* Table-driven INI config on inih. inih hands us (section, key, value);
 * we count lines in our own reader so every error can name its line. */
#include "watchdog/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "sql/db_bot.h"
#include "watchdog/metrics.h"
#include "base/log.h"
#include "base/xalloc.h"

enum ck_type { CK_STR, CK_BOOL, CK_INT, CK_DURATION, CK_DOUBLE, CK_ENUM, CK_LEVEL };

struct ck {
	const char *key;
	enum ck_type type;
	size_t off;
	size_t size;              /* CK_STR capacity */
	const char *const *names; /* CK_ENUM values, index = enum value */
	double min, max;
};

#define S(st, f) offsetof(struct st, f), sizeof(((struct st *)0)->f)
#define N(st, f) offsetof(struct st, f), 0

/* CK_ENUM tables: index = the core's enum value (rec_exchange, rec_mode,
 * rec_orphan_action, rec_stop_ref, rec_symstyle). */
static const char *const ex_names[] = { "binance", "bybit", NULL };
static const char *const mode_names[] = { "observe", "protect", "full", NULL };
static const char *const orphan_names[] = { "close", "protect", NULL };
static const char *const stopref_names[] = { "entry", "mark", NULL };
static const char *const symstyle_names[] = { "plain", "ccxt", NULL };
static const char *const sev_names[] = { "info", "warning", "critical", NULL };

static const struct ck vigil_keys[] = {
	{ "log_level", CK_LEVEL, N(wd_conf, log_level), NULL, 0, 0 },
	{ "audit_interval", CK_DURATION, N(wd_conf, audit_interval_ms), NULL, 100, 86400000 },
	{ "audit_debounce", CK_DURATION, N(wd_conf, audit_debounce_ms), NULL, 0, 60000 },
	{ "metrics_listen", CK_STR, S(wd_conf, metrics_listen), NULL, 0, 0 },
	{ "instance", CK_STR, S(wd_conf, instance), NULL, 0, 0 },
	{ "spool_dir", CK_STR, S(wd_conf, spool_dir), NULL, 0, 0 },
	{ "deadman_url", CK_STR, S(wd_conf, deadman_url), NULL, 0, 0 },
	{ "stream_stale_after", CK_DURATION, N(wd_conf, stream_stale_ms), NULL, 1000, 86400000 },
	{ "rest_lag_tolerance", CK_DURATION, N(wd_conf, rest_lag_tolerance_ms), NULL, 0, 600000 },
	{ "clock_skew_limit", CK_DURATION, N(wd_conf, clock_skew_limit_ms), NULL, 1, 600000 },
	{ "ca_file", CK_STR, S(wd_conf, ca_file), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck db_keys[] = {
	{ "enabled", CK_BOOL, N(wd_conf, db_enabled), NULL, 0, 0 },
	{ "dsn", CK_STR, S(wd_conf, db_dsn), NULL, 0, 0 },
	{ "password_env", CK_STR, S(wd_conf, db_password_env), NULL, 0, 0 },
	{ "password_file", CK_STR, S(wd_conf, db_password_file), NULL, 0, 0 },
	{ "schema", CK_STR, S(wd_conf, db_schema), NULL, 0, 0 },
	{ "bot_dsn", CK_STR, S(wd_conf, bot_dsn), NULL, 0, 0 },
	{ "bot_positions_query", CK_STR, S(wd_conf, bot_query), NULL, 0, 0 },
	{ "bot_positions_query_file", CK_STR, S(wd_conf, bot_query_file), NULL, 0, 0 },
	{ "bot_live_statuses", CK_STR, S(wd_conf, bot_live_statuses), NULL, 0, 0 },
	{ "connect_timeout", CK_DURATION, N(wd_conf, db_connect_timeout_ms), NULL, 100, 600000 },
	{ "statement_timeout", CK_DURATION, N(wd_conf, db_statement_timeout_ms), NULL, 100, 600000 },
	{ "repair_lease", CK_DURATION, N(wd_conf, repair_lease_ms), NULL, 1000, 3600000 },
	{ "single_instance", CK_BOOL, N(wd_conf, single_instance), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck alert_keys[] = {
	{ "repeat_interval", CK_DURATION, N(wd_conf, repeat_interval_ms), NULL, 1000, 604800000 },
	{ "warning_hold", CK_DURATION, N(wd_conf, warning_hold_ms), NULL, 0, 86400000 },
	{ "escalate_after", CK_DURATION, N(wd_conf, escalate_after_ms), NULL, 0, 604800000 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck tg_keys[] = {
	{ "enabled", CK_BOOL, N(wd_conf, tg_enabled), NULL, 0, 0 },
	{ "api_url", CK_STR, S(wd_conf, tg_api_url), NULL, 0, 0 },
	{ "token_env", CK_STR, S(wd_conf, tg_token_env), NULL, 0, 0 },
	{ "token_file", CK_STR, S(wd_conf, tg_token_file), NULL, 0, 0 },
	{ "chat_ids", CK_STR, S(wd_conf, tg_chat_ids), NULL, 0, 0 },
	{ "min_severity", CK_ENUM, N(wd_conf, tg_min_severity), sev_names, 0, 0 },
	{ "rate_per_minute", CK_INT, N(wd_conf, tg_rate_per_minute), NULL, 1, 10000 },
	{ "escalation", CK_BOOL, N(wd_conf, tg_escalation), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck smtp_keys[] = {
	{ "enabled", CK_BOOL, N(wd_conf, smtp_enabled), NULL, 0, 0 },
	{ "url", CK_STR, S(wd_conf, smtp_url), NULL, 0, 0 },
	{ "from", CK_STR, S(wd_conf, smtp_from), NULL, 0, 0 },
	{ "to", CK_STR, S(wd_conf, smtp_to), NULL, 0, 0 },
	{ "username", CK_STR, S(wd_conf, smtp_username), NULL, 0, 0 },
	{ "password_env", CK_STR, S(wd_conf, smtp_password_env), NULL, 0, 0 },
	{ "password_file", CK_STR, S(wd_conf, smtp_password_file), NULL, 0, 0 },
	{ "require_starttls", CK_BOOL, N(wd_conf, smtp_require_starttls), NULL, 0, 0 },
	{ "ca_file", CK_STR, S(wd_conf, smtp_ca_file), NULL, 0, 0 },
	{ "min_severity", CK_ENUM, N(wd_conf, smtp_min_severity), sev_names, 0, 0 },
	{ "rate_per_minute", CK_INT, N(wd_conf, smtp_rate_per_minute), NULL, 1, 10000 },
	{ "escalation", CK_BOOL, N(wd_conf, smtp_escalation), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck webhook_keys[] = {
	{ "enabled", CK_BOOL, N(wd_conf, webhook_enabled), NULL, 0, 0 },
	{ "url", CK_STR, S(wd_conf, webhook_url), NULL, 0, 0 },
	{ "min_severity", CK_ENUM, N(wd_conf, webhook_min_severity), sev_names, 0, 0 },
	{ "secret_env", CK_STR, S(wd_conf, webhook_secret_env), NULL, 0, 0 },
	{ "secret_file", CK_STR, S(wd_conf, webhook_secret_file), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck api_keys[] = {
	{ "listen", CK_STR, S(wd_conf, api.listen), NULL, 0, 0 },
	{ "token_file", CK_STR, S(wd_conf, api.token_file), NULL, 0, 0 },
	{ "socket_mode", CK_STR, S(wd_conf, api.socket_mode), NULL, 0, 0 },
	{ "socket_group", CK_STR, S(wd_conf, api.socket_group), NULL, 0, 0 },
	{ "max_connections", CK_INT, N(wd_conf, api.max_connections), NULL, 1, 1024 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

static const struct ck account_keys[] = {
	{ "enabled", CK_BOOL, N(wd_account, enabled), NULL, 0, 0 },
	{ "exchange", CK_ENUM, N(wd_account, exchange), ex_names, 0, 0 },
	{ "rest_url", CK_STR, S(wd_account, rest_url), NULL, 0, 0 },
	{ "ws_url", CK_STR, S(wd_account, ws_url), NULL, 0, 0 },
	{ "api_key_env", CK_STR, S(wd_account, api_key_env), NULL, 0, 0 },
	{ "api_key_file", CK_STR, S(wd_account, api_key_file), NULL, 0, 0 },
	{ "api_secret_env", CK_STR, S(wd_account, api_secret_env), NULL, 0, 0 },
	{ "api_secret_file", CK_STR, S(wd_account, api_secret_file), NULL, 0, 0 },
	{ "mode", CK_ENUM, N(wd_account, mode), mode_names, 0, 0 },
	{ "orphan_action", CK_ENUM, N(wd_account, orphan_action), orphan_names, 0, 0 },
	{ "grace_open", CK_DURATION, N(wd_account, grace_open_ms), NULL, 0, 86400000 },
	{ "grace_order", CK_DURATION, N(wd_account, grace_order_ms), NULL, 0, 86400000 },
	{ "stop_loss_percent", CK_DOUBLE, N(wd_account, stop_loss_percent), NULL, 0.01, 90 },
	{ "stop_reference", CK_ENUM, N(wd_account, stop_reference), stopref_names, 0, 0 },
	{ "bot_exchange", CK_STR, S(wd_account, bot_exchange), NULL, 0, 0 },
	{ "db_symbol_style", CK_ENUM, N(wd_account, db_symbol_style), symstyle_names, 0, 0 },
	{ "recv_window", CK_DURATION, N(wd_account, recv_window_ms), NULL, 1, 60000 },
	{ "connect_timeout", CK_DURATION, N(wd_account, connect_timeout_ms), NULL, 10, 600000 },
	{ "request_timeout", CK_DURATION, N(wd_account, request_timeout_ms), NULL, 10, 600000 },
	{ "hedge_mode", CK_BOOL, N(wd_account, hedge_mode), NULL, 0, 0 },
	{ "egress", CK_STR, S(wd_account, egress), NULL, 0, 0 },
	{ "request_limit", CK_INT, N(wd_account, request_limit), NULL, 0, 100000000 },
	{ "request_share", CK_DOUBLE, N(wd_account, request_share), NULL, 1, 100 },
	{ "request_ceiling", CK_INT, N(wd_account, request_ceiling), NULL, 0, 100000000 },
	{ "ca_file", CK_STR, S(wd_account, ca_file), NULL, 0, 0 },
	{ "proxy", CK_STR, S(wd_account, proxy), NULL, 0, 0 },
	{ NULL, 0, 0, 0, NULL, 0, 0 },
};

/* Names already given in a file, with their line: a key given twice in
 * one section, or a section given twice, is an error (inih would merge
 * them, the last value winning silently). */
struct seen {
	struct seen_name {
		char *name;
		int line;
	} * v;
	size_t n;
};

/* Takes name (malloc'd). The line it was first given at, or 0 (then
 * recorded at line). */
static int seen_add(struct seen *s, char *name, int line)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0) {
			free(name);
			return s->v[i].line;
		}
	s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
	s->v[s->n].name = name;
	s->v[s->n++].line = line;
	return 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof *s);
}

struct parse_state {
	struct wd_conf *c;
	const char *path;
	FILE *f;
	int line;
	int section_line; /* line of the latest [section] header */
	char *err;
	size_t errlen;
	int failed;
	struct wd_account *acct; /* current [account NAME] */
	struct seen seen;        /* "section\nkey" of every key given */
};

static int fail(struct parse_state *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parse_state *ps, const char *fmt, ...)
{
	if (ps->failed)
		return 0;
	ps->failed = 1;
	int n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->path, ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0; /* inih: stop */
}

/* Decimal only: digits with at most one '.', then a unit (strtod alone
 * would take 0x10, 1e3, inf, +5 and leading blanks). */
int wd_parse_duration_ms(const char *s, int64_t *out)
{
	const char *q = s;
	int digits = 0, dots = 0;
	for (; isdigit((unsigned char)*q) || *q == '.'; q++)
		*q == '.' ? dots++ : digits++;
	if (!digits || dots > 1)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end != q || errno || v < 0 || !isfinite(v))
		return -1;
	while (*end == ' ')
		end++;
	double mul;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -1;
	v *= mul;
	if (v > 9e15)
		return -1;
	*out = (int64_t)llround(v);
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static int set_key(struct parse_state *ps, const struct ck *k, void *base, const char *sect, const char *v)
{
	char *p = (char *)base + k->off;
	switch (k->type) {
	case CK_STR:
		if (strlen(v) >= k->size)
			return fail(ps, "[%s] %s: value too long (max %zu)", sect, k->key, k->size - 1);
		strcpy(p, v);
		return 1;
	case CK_BOOL:
		if (parse_bool(v, (bool *)p))
			return fail(ps, "[%s] %s: '%s' is not a boolean (true/false)", sect, k->key, v);
		return 1;
	case CK_INT: {
		char *end;
		errno = 0;
		long n = strtol(v, &end, 10);
		if (*v == '\0' || *end || errno || n < k->min || n > k->max)
			return fail(ps, "[%s] %s: '%s' is not an integer in [%.0f, %.0f]", sect, k->key, v, k->min,
				    k->max);
		*(int *)p = (int)n;
		return 1;
	}
	case CK_DURATION: {
		int64_t ms;
		if (wd_parse_duration_ms(v, &ms) || ms < k->min || ms > k->max)
			return fail(ps, "[%s] %s: '%s' is not a duration in [%.0fms, %.0fms] (e.g. 30s, 500ms, 5m)",
				    sect, k->key, v, k->min, k->max);
		*(int64_t *)p = ms;
		return 1;
	}
	case CK_DOUBLE: {
		char *end;
		errno = 0;
		double d = strtod(v, &end);
		if (*v == '\0' || *end || errno || !isfinite(d) || d < k->min || d > k->max)
			return fail(ps, "[%s] %s: '%s' is not a number in [%g, %g]", sect, k->key, v, k->min, k->max);
		*(double *)p = d;
		return 1;
	}
	case CK_ENUM:
		for (int i = 0; k->names[i]; i++)
			if (strcasecmp(v, k->names[i]) == 0) {
				*(int *)p = i;
				return 1;
			}
		return fail(ps, "[%s] %s: '%s' is not one of the allowed values", sect, k->key, v);
	case CK_LEVEL: {
		enum log_level l;
		if (log_level_parse(v, &l))
			return fail(ps, "[%s] %s: '%s' is not error|warn|info|debug", sect, k->key, v);
		*(int *)p = (int)l;
		return 1;
	}
	}
	return fail(ps, "internal: bad key type");
}

static int apply_table(struct parse_state *ps, const struct ck *tab, void *base, const char *sect, const char *key,
		       const char *v)
{
	for (const struct ck *k = tab; k->key; k++)
		if (strcmp(k->key, key) == 0)
			return set_key(ps, k, base, sect, v);
	return fail(ps, "[%s] unknown key '%s'", sect, key);
}

static void account_defaults(struct wd_account *a)
{
	a->enabled = true;
	a->mode = REC_MODE_OBSERVE;
	a->orphan_action = REC_ORPHAN_CLOSE;
	a->grace_open_ms = 30000;
	a->grace_order_ms = 30000;
	a->stop_loss_percent = 2.0;
	a->stop_reference = REC_STOPREF_ENTRY;
	a->recv_window_ms = 5000;
	a->connect_timeout_ms = 3000;
	a->request_timeout_ms = 5000;
	a->request_share = 20;
}

static int on_account_override(struct parse_state *ps, const char *key, const char *v)
{
	struct wd_account *a = ps->acct;
	const char *code = key + strlen("override.");
	enum rec_code known;
	if (*code == '\0' || strlen(code) >= sizeof a->overrides[0].code)
		return fail(ps, "[account %s] %s: bad finding code", a->name, key);
	if (rec_code_parse(code, &known) != 0)
		return fail(ps, "[account %s] %s: unknown finding code '%s'", a->name, key, code);
	if (a->noverrides >= WD_MAX_OVERRIDES)
		return fail(ps, "[account %s] %s: too many overrides (max %d)", a->name, key, WD_MAX_OVERRIDES);
	struct wd_override *o = &a->overrides[a->noverrides];
	for (int i = 0; mode_names[i]; i++)
		if (strcasecmp(v, mode_names[i]) == 0) {
			snprintf(o->code, sizeof o->code, "%s", code);
			o->mode = (enum rec_mode)i;
			a->noverrides++;
			return 1;
		}
	return fail(ps, "[account %s] %s: '%s' is not observe|protect|full", a->name, key, v);
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= WD_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* Where a URL key was set: config_transport.c names file:line in its
 * messages. acct: the current account (NULL outside [account NAME]). */
static void note_url_line(struct parse_state *ps, struct wd_account *acct, const char *section, const char *key)
{
	struct wd_conf *c = ps->c;
	int *at = NULL;
	if (strcmp(section, "vigil") == 0 && strcmp(key, "deadman_url") == 0)
		at = &c->deadman_url_line;
	else if (strcmp(section, "alerts.telegram") == 0 && strcmp(key, "api_url") == 0)
		at = &c->tg_api_url_line;
	else if (strcmp(section, "alerts.smtp") == 0 && strcmp(key, "url") == 0)
		at = &c->smtp_url_line;
	else if (strcmp(section, "alerts.webhook") == 0 && strcmp(key, "url") == 0)
		at = &c->webhook_url_line;
	else if (acct && strcmp(key, "rest_url") == 0)
		at = &acct->rest_url_line;
	else if (acct && strcmp(key, "ws_url") == 0)
		at = &acct->ws_url_line;
	else if (acct && strcmp(key, "proxy") == 0)
		at = &acct->proxy_line;
	else if (acct && strcmp(key, "ca_file") == 0)
		at = &acct->ca_file_line;
	else if (!acct && strcmp(section, "vigil") == 0 && strcmp(key, "ca_file") == 0)
		at = &c->ca_file_line;
	if (at)
		*at = ps->line;
}

static int on_kv(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *ps = user;
	struct wd_conf *c = ps->c;
	if (ps->failed)
		return 0;
	if (key == NULL) { /* new section (INI_CALL_HANDLER_ON_NEW_SECTION builds) */
		return 1;
	}
	int first = seen_add(&ps->seen, xasprintf("%s\n%s", section, key), ps->line);
	if (first)
		return fail(ps, "[%s] %s: given twice (first at line %d)", section, key, first);
	note_url_line(ps, NULL, section, key);
	if (strcmp(section, "vigil") == 0)
		return apply_table(ps, vigil_keys, c, section, key, value);
	if (strcmp(section, "database") == 0) {
		if (strcmp(key, "bot_positions_query") == 0)
			c->bot_query_line = ps->line;
		else if (strcmp(key, "bot_positions_query_file") == 0)
			c->bot_query_file_line = ps->line;
		return apply_table(ps, db_keys, c, section, key, value);
	}
	if (strcmp(section, "alerts") == 0)
		return apply_table(ps, alert_keys, c, section, key, value);
	if (strcmp(section, "alerts.telegram") == 0)
		return apply_table(ps, tg_keys, c, section, key, value);
	if (strcmp(section, "alerts.smtp") == 0)
		return apply_table(ps, smtp_keys, c, section, key, value);
	if (strcmp(section, "alerts.webhook") == 0)
		return apply_table(ps, webhook_keys, c, section, key, value);
	if (strcmp(section, "api") == 0)
		return apply_table(ps, api_keys, c, section, key, value);
	if (strncmp(section, "account ", 8) == 0) {
		const char *name = section + 8;
		while (*name == ' ')
			name++;
		if (!valid_name(name))
			return fail(ps, "[%s]: account name must be 1-63 of [A-Za-z0-9._-]", section);
		if (!ps->acct || strcmp(ps->acct->name, name) != 0) {
			ps->acct = NULL;
			for (size_t i = 0; i < c->naccounts; i++)
				if (strcmp(c->accounts[i].name, name) == 0)
					return fail(ps, "[%s]: account defined twice (first at line %d)", section,
						    c->accounts[i].line);
			if (c->naccounts >= WD_MAX_ACCOUNTS)
				return fail(ps, "[%s]: too many accounts (max %d)", section, WD_MAX_ACCOUNTS);
			ps->acct = &c->accounts[c->naccounts++];
			account_defaults(ps->acct);
			snprintf(ps->acct->name, sizeof ps->acct->name, "%s", name);
			ps->acct->line = ps->section_line;
			ps->acct->exchange = (enum rec_exchange) - 1;
		}
		if (strncmp(key, "override.", 9) == 0)
			return on_account_override(ps, key, value);
		note_url_line(ps, ps->acct, section, key);
		return apply_table(ps, account_keys, ps->acct, section, key, value);
	}
	return fail(ps, "unknown section [%s] (key '%s')", section, key);
}

/* inih reader: one line per call, so we know the line number in on_kv. */
static char *line_reader(char *buf, int n, void *stream)
{
	struct parse_state *ps = stream;
	char *r = fgets(buf, n, ps->f);
	if (r) {
		ps->line++;
		const char *p = r;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			ps->section_line = ps->line;
	}
	return r;
}

/* Opens a file to read without ever blocking on it (a FIFO put where the
 * config or a query file was once hung SIGHUP and with it SIGTERM): only a
 * regular file is opened; errno EINVAL otherwise. */
static FILE *fopen_regular(const char *p)
{
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

static void conf_defaults(struct wd_conf *c)
{
	c->log_level = LOG_LVL_INFO;
	c->audit_interval_ms = 30000;
	c->audit_debounce_ms = 250;
	snprintf(c->metrics_listen, sizeof c->metrics_listen, "127.0.0.1:9464");
	snprintf(c->instance, sizeof c->instance, "vigil");
	snprintf(c->spool_dir, sizeof c->spool_dir, "/var/lib/vigil/spool");
	c->stream_stale_ms = 60000;
	c->rest_lag_tolerance_ms = 5000;
	c->clock_skew_limit_ms = 1000;
	snprintf(c->db_schema, sizeof c->db_schema, "vigil");
	snprintf(c->bot_query, sizeof c->bot_query, "%s",
		 "SELECT symbol, exchange, side, quantity, entry_price, status, opened_at "
		 "FROM positions WHERE status = 'active'");
	snprintf(c->bot_live_statuses, sizeof c->bot_live_statuses, "%s", REC_LIVE_STATUSES_DEFAULT);
	c->db_connect_timeout_ms = 5000;
	c->db_statement_timeout_ms = 5000;
	c->repair_lease_ms = 60000;
	c->repeat_interval_ms = 30 * 60000;
	c->warning_hold_ms = 60000;
	c->escalate_after_ms = 15 * 60000;
	snprintf(c->tg_api_url, sizeof c->tg_api_url, "https://api.telegram.org");
	c->tg_min_severity = WD_SEV_WARNING;
	c->tg_rate_per_minute = 20;
	c->smtp_require_starttls = true;
	c->smtp_min_severity = WD_SEV_CRITICAL;
	c->smtp_rate_per_minute = 10;
	c->smtp_escalation = true;
	c->webhook_min_severity = WD_SEV_WARNING;
	snprintf(c->api.socket_mode, sizeof c->api.socket_mode, "0660");
	c->api.max_connections = 32;
	c->api.gid = -1;
}

static int check_required(struct wd_conf *c, const char *path, char *err, size_t errlen)
{
	if (c->naccounts == 0) {
		snprintf(err, errlen, "%s: no [account NAME] section", path);
		return -1;
	}
	for (size_t i = 0; i < c->naccounts; i++) {
		struct wd_account *a = &c->accounts[i];
		const char *miss = NULL;
		if ((int)a->exchange < 0)
			miss = "exchange";
		else if (!*a->rest_url)
			miss = "rest_url";
		else if (!*a->ws_url)
			miss = "ws_url";
		if (miss) {
			snprintf(err, errlen, "%s:%d: [account %s] missing required key '%s'", path, a->line, a->name,
				 miss);
			return -1;
		}
		if (!*a->bot_exchange)
			snprintf(a->bot_exchange, sizeof a->bot_exchange, "%s", rec_exchange_name(a->exchange));
		if (wd_load_secret(path, a->line, "api_key", a->api_key_env, a->api_key_file, 1, &a->api_key, err,
				   errlen) ||
		    wd_load_secret(path, a->line, "api_secret", a->api_secret_env, a->api_secret_file, 1,
				   &a->api_secret, err, errlen))
			return -1;
	}
	if (c->db_enabled && !*c->db_dsn) {
		snprintf(err, errlen, "%s: [database] enabled but missing required key 'dsn'", path);
		return -1;
	}
	if (!*c->bot_dsn)
		snprintf(c->bot_dsn, sizeof c->bot_dsn, "%s", c->db_dsn);
	if (wd_load_secret(path, 0, "[database] password", c->db_password_env, c->db_password_file, 0, &c->db_password,
			   err, errlen))
		return -1;
	if (c->tg_enabled) {
		if (!*c->tg_chat_ids) {
			snprintf(err, errlen, "%s: [alerts.telegram] enabled but missing required key 'chat_ids'",
				 path);
			return -1;
		}
		if (wd_load_secret(path, 0, "[alerts.telegram] token", c->tg_token_env, c->tg_token_file, 1,
				   &c->tg_token, err, errlen))
			return -1;
	}
	if (c->smtp_enabled) {
		if (!*c->smtp_url || !*c->smtp_from || !*c->smtp_to) {
			snprintf(err, errlen, "%s: [alerts.smtp] enabled but 'url', 'from' and 'to' are required",
				 path);
			return -1;
		}
		if (wd_load_secret(path, 0, "[alerts.smtp] password", c->smtp_password_env, c->smtp_password_file, 0,
				   &c->smtp_password, err, errlen))
			return -1;
	}
	if (c->webhook_enabled && !*c->webhook_url) {
		snprintf(err, errlen, "%s: [alerts.webhook] enabled but missing required key 'url'", path);
		return -1;
	}
	if (c->webhook_enabled && wd_load_secret(path, 0, "[alerts.webhook] secret", c->webhook_secret_env,
						 c->webhook_secret_file, 0, &c->webhook_secret, err, errlen))
		return -1;
	return 0;
}

/* inih reads a line into a buffer of INI_MAX_LINE bytes and parses a
 * longer one as two (the tail becoming a bogus "key"), and it merges an
 * indented line into the value above by calling us again with the same
 * key (so only the last line would stay). Neither is ever what the author
 * meant: the file is checked line by line before inih sees it. */
#define WD_LINE_LIMIT (INI_MAX_LINE - 2) /* bytes before the newline */

static int prescan(const char *path, FILE *f, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int no = 0, rc = 0;
	bool after_key = false; /* inih would take an indented line as a continuation */
	struct seen sec = { 0 };
	while ((len = getline(&line, &cap, f)) >= 0) {
		no++;
		size_t n = (size_t)len;
		if (n && line[n - 1] == '\n')
			n--;
		if (n > WD_LINE_LIMIT) {
			snprintf(err, errlen,
				 "%s: line %d: longer than the limit of %d bytes (it has %zu); put the query in "
				 "bot_positions_query_file",
				 path, no, WD_LINE_LIMIT, n);
			rc = -1;
			break;
		}
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n' || *p == '\r' || *p == ';' || *p == '#')
			continue;
		if (*p == '[') {
			after_key = false;
			const char *close = strchr(p, ']');
			if (close && strncmp(p, "[account ", 9) != 0) {
				int name_len = (int)(close - p - 1);
				int first = seen_add(&sec, xasprintf("%.*s", name_len, p + 1), no);
				if (first) {
					snprintf(err, errlen,
						 "%s:%d: [%.*s] repeated (first at line %d); one section each", path,
						 no, name_len, p + 1, first);
					rc = -1;
					break;
				}
			}
			continue;
		}
		if (p > line && after_key) {
			snprintf(err, errlen,
				 "%s:%d: indented line continues the value above; continuation lines are not "
				 "supported (put the value on one line, or the query in bot_positions_query_file)",
				 path, no);
			rc = -1;
			break;
		}
		after_key = true;
	}
	free(line);
	seen_free(&sec);
	return rc;
}

/* The directory part of path ("." when none), for relative file keys. */
static void resolve_relative(const char *conf_path, const char *in, char *out, size_t outlen)
{
	const char *slash = strrchr(conf_path, '/');
	if (in[0] == '/' || !slash)
		snprintf(out, outlen, "%s", in);
	else
		snprintf(out, outlen, "%.*s/%s", (int)(slash - conf_path), conf_path, in);
}

static int load_query_file(struct wd_conf *c, const char *path, char *err, size_t errlen)
{
	if (!*c->bot_query_file)
		return 0;
	if (c->bot_query_line) {
		snprintf(err, errlen,
			 "%s:%d: [database] set either bot_positions_query (line %d) or bot_positions_query_file, "
			 "not both",
			 path, c->bot_query_file_line, c->bot_query_line);
		return -1;
	}
	char full[WD_STR_MAX * 2];
	resolve_relative(path, c->bot_query_file, full, sizeof full);
	FILE *f = fopen_regular(full);
	if (!f) {
		snprintf(err, errlen, "%s:%d: [database] bot_positions_query_file: cannot open %s: %s", path,
			 c->bot_query_file_line, full, errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	size_t n = fread(c->bot_query, 1, sizeof c->bot_query, f);
	bool rerr = ferror(f);
	fclose(f);
	if (rerr || n >= sizeof c->bot_query) {
		snprintf(err, errlen, "%s:%d: [database] bot_positions_query_file: %s: %s", path,
			 c->bot_query_file_line, full, rerr ? "read error" : "longer than the limit");
		if (!rerr)
			snprintf(err + strlen(err), errlen - strlen(err), " of %zu bytes", sizeof c->bot_query - 1);
		c->bot_query[0] = '\0';
		return -1;
	}
	c->bot_query[n] = '\0';
	if (memchr(c->bot_query, '\0', n)) {
		snprintf(err, errlen, "%s:%d: [database] bot_positions_query_file: %s is not a text file", path,
			 c->bot_query_file_line, full);
		return -1;
	}
	while (n && strchr(" \t\r\n;", c->bot_query[n - 1]))
		c->bot_query[--n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "%s:%d: [database] bot_positions_query_file: %s is empty", path,
			 c->bot_query_file_line, full);
		return -1;
	}
	return 0;
}

/* One ca_file key: resolved against the config file's directory in place,
 * then it must be a readable regular file holding at least one PEM
 * certificate, so a wrong path is a config error naming the line, not a
 * TLS failure at the first connection. */
static int ca_file_check(const char *path, int line, const char *sect, char *ca, size_t cap, char *err, size_t errlen)
{
	char full[WD_STR_MAX * 2];
	resolve_relative(path, ca, full, sizeof full);
	if (strlen(full) >= cap) {
		snprintf(err, errlen, "%s:%d: %s ca_file: path too long", path, line, sect);
		return -1;
	}
	snprintf(ca, cap, "%s", full);
	FILE *f = fopen_regular(ca);
	if (!f) {
		snprintf(err, errlen, "%s:%d: %s ca_file: cannot open %s: %s", path, line, sect, ca,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (!x) {
		snprintf(err, errlen, "%s:%d: %s ca_file: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
			 path, line, sect, ca);
		return -1;
	}
	X509_free(x);
	return 0;
}

/* [vigil] ca_file, then each account's (the account's wins). */
static int load_ca_files(struct wd_conf *c, const char *path, char *err, size_t errlen)
{
	if (c->ca_file[0] &&
	    ca_file_check(path, c->ca_file_line, "[vigil]", c->ca_file, sizeof c->ca_file, err, errlen))
		return -1;
	for (size_t i = 0; i < c->naccounts; i++) {
		struct wd_account *a = &c->accounts[i];
		char sect[WD_NAME_MAX + 16];
		snprintf(sect, sizeof sect, "[account %s]", a->name);
		if (a->ca_file[0]) {
			if (ca_file_check(path, a->ca_file_line, sect, a->ca_file, sizeof a->ca_file, err, errlen))
				return -1;
		} else {
			snprintf(a->ca_file, sizeof a->ca_file, "%s", c->ca_file);
		}
	}
	return 0;
}

static int check_statuses(const struct wd_conf *c, const char *path, char *err, size_t errlen)
{
	int words = 0;
	if (strlen(c->bot_live_statuses) >= sizeof((struct rec_params *)0)->bot_live_statuses) {
		snprintf(err, errlen, "%s: [database] bot_live_statuses: longer than %zu characters", path,
			 sizeof((struct rec_params *)0)->bot_live_statuses - 1);
		return -1;
	}
	for (const char *p = c->bot_live_statuses; *p;) {
		size_t w = strcspn(p, ",");
		size_t m = 0;
		for (size_t i = 0; i < w; i++)
			m += !isspace((unsigned char)p[i]);
		if (m == 0 || w > sizeof((struct rec_bot_row *)0)->status - 1) {
			snprintf(err, errlen,
				 "%s: [database] bot_live_statuses: '%s': each comma-separated word must be 1-%zu "
				 "characters",
				 path, c->bot_live_statuses, sizeof((struct rec_bot_row *)0)->status - 1);
			return -1;
		}
		words++;
		p += w;
		if (*p == ',')
			p++;
	}
	if (!words) {
		snprintf(err, errlen, "%s: [database] bot_live_statuses: empty (at least one status word)", path);
		return -1;
	}
	return 0;
}

/* bot_dsn = sqlite://PATH: a relative PATH is taken relative to the config
 * file; vigil's own database (dsn) must be PostgreSQL. */
static int wd_bot_dsn_resolve(struct wd_conf *c, char *err, size_t errlen)
{
	if (db_bot_sqlite_path(c->db_dsn)) {
		snprintf(err, errlen,
			 "%s: [database] dsn: vigil's own database must be PostgreSQL (sqlite:// is for bot_dsn only)",
			 c->path);
		return -1;
	}
	const char *lite = db_bot_sqlite_path(c->bot_dsn);
	if (!lite)
		return 0;
	if (!*lite) {
		snprintf(err, errlen,
			 "%s: [database] bot_dsn: sqlite:// needs a file (sqlite:///path/to/tradesv3.sqlite)", c->path);
		return -1;
	}
	if (*lite == '/')
		return 0;
	char full[WD_STR_MAX * 2];
	resolve_relative(c->path, lite, full, sizeof full);
	if (strlen(full) + strlen("sqlite://") >= sizeof c->bot_dsn) {
		snprintf(err, errlen, "%s: [database] bot_dsn: path too long", c->path);
		return -1;
	}
	/* length checked above; the check on snprintf's result tells the
	 * compiler so too (format-truncation at -O1) */
	if (snprintf(c->bot_dsn, sizeof c->bot_dsn, "sqlite://%s", full) >= (int)sizeof c->bot_dsn)
		return -1;
	return 0;
}

int wd_conf_load(const char *path, struct wd_conf *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	conf_defaults(c);
	snprintf(c->path, sizeof c->path, "%s", path);
	struct parse_state ps = { .c = c, .path = path, .err = err, .errlen = errlen };
	ps.f = fopen_regular(path);
	if (!ps.f) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		return -1;
	}
	if (prescan(path, ps.f, err, errlen) != 0) {
		fclose(ps.f);
		return -1;
	}
	rewind(ps.f);
	int r = ini_parse_stream(line_reader, &ps, on_kv, &ps);
	fclose(ps.f);
	seen_free(&ps.seen);
	if (ps.failed)
		goto fail;
	if (r != 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", path,
			 r > 0 ? r : ps.line);
		goto fail;
	}
	if (c->metrics_listen[0]) {
		char host[64], why[256];
		int port;
		if (wd_parse_listen(c->metrics_listen, host, sizeof host, &port, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: [vigil] %s (loopback HOST:PORT, port 0-65535)", path, why);
			goto fail;
		}
	}
	if (load_query_file(c, path, err, errlen) || load_ca_files(c, path, err, errlen) ||
	    check_statuses(c, path, err, errlen) || wd_bot_dsn_resolve(c, err, errlen) ||
	    check_required(c, path, err, errlen) || wd_conf_check_transport(c, err, errlen) ||
	    wd_conf_check_api(c, err, errlen))
		goto fail;
	return 0;
fail:
	wd_conf_free(c);
	return -1;
}

static void free_secret(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void wd_conf_free(struct wd_conf *c)
{
	for (size_t i = 0; i < c->naccounts; i++) {
		free_secret(&c->accounts[i].api_key);
		free_secret(&c->accounts[i].api_secret);
	}
	free_secret(&c->db_password);
	free_secret(&c->tg_token);
	free_secret(&c->smtp_password);
	free_secret(&c->webhook_secret);
	free_secret(&c->api.token);
}

const struct wd_account *wd_conf_account(const struct wd_conf *c, const char *name)
{
	for (size_t i = 0; i < c->naccounts; i++)
		if (strcmp(c->accounts[i].name, name) == 0)
			return &c->accounts[i];
	return NULL;
}

void wd_account_policy(const struct wd_account *a, struct rec_policy *out)
{
	rec_policy_default(out);
	snprintf(out->account, sizeof out->account, "%s", a->name);
	out->mode = a->mode;
	for (size_t i = 0; i < a->noverrides && out->noverrides < REC_POLICY_MAX_OVERRIDES; i++) {
		struct rec_mode_override *o = &out->overrides[out->noverrides];
		if (rec_code_parse(a->overrides[i].code, &o->code) != 0)
			continue;
		o->mode = a->overrides[i].mode;
		out->noverrides++;
	}
	out->orphan_action = a->orphan_action;
	out->stop_ref = a->stop_reference;
	out->stop_loss_percent = a->stop_loss_percent;
}
