/* Transport rules applied after a config file parses: certificate-verified
 * TLS for every non-loopback destination, and no secret written into the
 * file itself. Plain connections are allowed to loopback only (vigil-sim,
 * tests, a local mail relay). There is deliberately no key that turns
 * verification off. */
#include "watchdog/config.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/db_bot.h"
#include "watchdog/config_url.h"

static int check_url(const char *where, const char *key, const char *url, const char *secure, const char *plain,
		     char *err, size_t errlen)
{
	char why[400];
	if (wd_url_check(url, secure, plain, why, sizeof why) == 0)
		return 0;
	snprintf(err, errlen, "%s %s: %s", where, key, why);
	return -1;
}

/* One host of a conninfo host list (not NUL-terminated). */
static bool conn_host_is_loopback(const char *h, size_t n)
{
	char buf[256];
	if (n >= sizeof buf)
		return false;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return wd_host_is_loopback(buf);
}

/* A libpq conninfo: no password inside it; a verifying sslmode for any
 * non-loopback TCP host. Never prints the conninfo (it may hold a password). */
static int check_dsn(const char *path, const char *key, const char *dsn, char *err, size_t errlen)
{
	if (!*dsn)
		return 0;
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	if (!opts) {
		snprintf(err, errlen, "%s: [database] %s: not a valid libpq connection string", path, key);
		PQfreemem(perr);
		return -1;
	}
	const char *host = NULL, *hostaddr = NULL, *sslmode = NULL;
	int rc = 0;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			snprintf(err, errlen,
				 "%s: [database] %s: contains a password; remove it and use password_env or "
				 "password_file",
				 path, key);
			rc = -1;
			goto out;
		}
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "sslmode") == 0)
			sslmode = o->val;
	}
	const char *hosts = hostaddr ? hostaddr : host;
	int remote = 0;
	if (hosts) {
		/* a comma-separated list; a leading '/' is a unix socket directory */
		for (const char *h = hosts; *h;) {
			size_t n = strcspn(h, ",");
			if (n > 0 && h[0] != '/' && !conn_host_is_loopback(h, n))
				remote = 1;
			h += n;
			if (*h == ',')
				h++;
		}
	}
	if (remote && !(sslmode && (strcmp(sslmode, "verify-full") == 0 || strcmp(sslmode, "verify-ca") == 0))) {
		snprintf(err, errlen,
			 "%s: [database] %s: sslmode=%s does not verify the server's certificate; a non-loopback "
			 "host needs sslmode=verify-full (or verify-ca)",
			 path, key, sslmode ? sslmode : "(default prefer)");
		rc = -1;
	}
out:
	PQconninfoFree(opts);
	return rc;
}

int wd_conf_check_transport(const struct wd_conf *c, char *err, size_t errlen)
{
	char where[WD_STR_MAX + 96];
	for (size_t i = 0; i < c->naccounts; i++) {
		const struct wd_account *a = &c->accounts[i];
		snprintf(where, sizeof where, "%s:%d: [account %s]", c->path, a->line, a->name);
		if (check_url(where, "rest_url", a->rest_url, "https", "http", err, errlen) ||
		    check_url(where, "ws_url", a->ws_url, "wss", "ws", err, errlen))
			return -1;
	}
	if (c->tg_enabled) {
		snprintf(where, sizeof where, "%s: [alerts.telegram]", c->path);
		if (check_url(where, "api_url", c->tg_api_url, "https", "http", err, errlen))
			return -1;
	}
	if (c->webhook_enabled) {
		snprintf(where, sizeof where, "%s: [alerts.webhook]", c->path);
		if (check_url(where, "url", c->webhook_url, "https", "http", err, errlen))
			return -1;
	}
	if (*c->deadman_url) {
		snprintf(where, sizeof where, "%s: [vigil]", c->path);
		if (check_url(where, "deadman_url", c->deadman_url, "https", "http", err, errlen))
			return -1;
	}
	if (c->smtp_enabled) {
		char scheme[16], host[256], why[300];
		if (wd_url_split(c->smtp_url, scheme, sizeof scheme, host, sizeof host, why, sizeof why) != 0) {
			snprintf(err, errlen, "%s: [alerts.smtp] url: %s", c->path, why);
			return -1;
		}
		if (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0) {
			snprintf(err, errlen,
				 "%s: [alerts.smtp] url: must be smtp://host[:port] or smtps://host[:port]", c->path);
			return -1;
		}
		if (strcmp(scheme, "smtp") == 0 && !c->smtp_require_starttls && !wd_host_is_loopback(host)) {
			snprintf(err, errlen,
				 "%s: [alerts.smtp] require_starttls = false sends mail (and the login) in clear; "
				 "only a loopback relay may do that",
				 c->path);
			return -1;
		}
	}
	if (c->db_enabled) {
		if (check_dsn(c->path, "dsn", c->db_dsn, err, errlen) ||
		    (strcmp(c->bot_dsn, c->db_dsn) != 0 && !db_bot_sqlite_path(c->bot_dsn) &&
		     check_dsn(c->path, "bot_dsn", c->bot_dsn, err, errlen)))
			return -1;
	}
	return 0;
}
