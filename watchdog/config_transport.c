/* Transport rules applied after a config file parses: certificate-verified
 * TLS for every non-loopback destination, and no secret written into the
 * file itself. Plain connections are allowed to loopback only (vigil-sim,
 * tests, a local mail relay). There is deliberately no key that turns
 * verification off. */
#include "watchdog/config.h"

#include <libpq-fe.h>
#include <lws_config.h>
#include <stdio.h>
#include <string.h>

#include "sql/db_bot.h"
#include "watchdog/config_url.h"

/* One URL key: "FILE:LINE: SECTION KEY: why". line 0 (a default value)
 * names the file only. plain_remote_msg: the wording for plain-to-remote
 * (SMTP says which key to change), NULL for the generic one. */
static int url_key(const char *path, int line, const char *sect, const char *key, const char *url,
		   const struct wd_url_rule *r, const char *plain_remote_msg, char *err, size_t errlen)
{
	char why[WD_STR_MAX + 256];
	enum wd_url_verdict v = wd_url_check(url, r, why, sizeof why);
	if (v == WD_URL_OK)
		return 0;
	char at[WD_STR_MAX + 16];
	if (line > 0)
		snprintf(at, sizeof at, "%s:%d", path, line);
	else
		snprintf(at, sizeof at, "%s", path);
	if (v == WD_URL_PLAIN_REMOTE && plain_remote_msg)
		snprintf(err, errlen, "%s: %s %s: %s", at, sect, key, plain_remote_msg);
	else
		snprintf(err, errlen, "%s: %s %s: %s", at, sect, key, why);
	return -1;
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
		/* a comma-separated list; a leading '/' is a unix socket directory.
		 * Loopback is the URL rule's: 127.1 or 127.0.0.1.x is remote. */
		for (const char *h = hosts; *h;) {
			size_t n = strcspn(h, ",");
			if (n > 0 && h[0] != '/' && !wd_host_is_loopback(h, n))
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

/* Base URLs (vigil appends a path) take no ?query; the webhook and the
 * dead-man ping are used as written. */
static const struct wd_url_rule rest_rule = { "https", "http", false, true };
static const struct wd_url_rule ws_rule = { "wss", "ws", false, true };
static const struct wd_url_rule page_rule = { "https", "http", false, false };

/* [account] proxy: the URL rule, SOCKS5 only where the stream can use it
 * too, and a remote proxy only for TLS exchange URLs (a plain http:// /
 * ws:// URL, loopback only, would cross the network to the proxy in
 * clear). */
static int check_proxy(const char *path, const struct wd_account *a, const char *sect, char *err, size_t errlen)
{
	char why[WD_STR_MAX + 256];
	bool loop = false;
	int line = a->proxy_line ? a->proxy_line : a->line;
	if (wd_proxy_check(a->proxy, &loop, why, sizeof why) != WD_URL_OK) {
		snprintf(err, errlen, "%s:%d: %s proxy: %s", path, line, sect, why);
		return -1;
	}
#if !defined(LWS_WITH_SOCKS5)
	if (strncmp(a->proxy, "socks5h://", 10) == 0) {
		snprintf(err, errlen,
			 "%s:%d: %s proxy: socks5h:// cannot carry the stream: this libwebsockets was built without "
			 "SOCKS5 (LWS_WITH_SOCKS5); use an http:// (CONNECT) proxy",
			 path, line, sect);
		return -1;
	}
#endif
	if (!loop && (strncmp(a->rest_url, "https://", 8) != 0 || strncmp(a->ws_url, "wss://", 6) != 0)) {
		snprintf(err, errlen,
			 "%s:%d: %s proxy: a proxy that is not on loopback needs https:// and wss:// exchange URLs "
			 "(plain ones would reach it in clear)",
			 path, line, sect);
		return -1;
	}
	return 0;
}

int wd_conf_check_transport(const struct wd_conf *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->naccounts; i++) {
		const struct wd_account *a = &c->accounts[i];
		char sect[WD_NAME_MAX + 16];
		snprintf(sect, sizeof sect, "[account %s]", a->name);
		if (url_key(c->path, a->rest_url_line ? a->rest_url_line : a->line, sect, "rest_url", a->rest_url,
			    &rest_rule, NULL, err, errlen) ||
		    url_key(c->path, a->ws_url_line ? a->ws_url_line : a->line, sect, "ws_url", a->ws_url, &ws_rule,
			    NULL, err, errlen))
			return -1;
		if (a->proxy[0] && check_proxy(c->path, a, sect, err, errlen))
			return -1;
	}
	if (c->deadman_url[0] && url_key(c->path, c->deadman_url_line, "[vigil]", "deadman_url", c->deadman_url,
					 &page_rule, NULL, err, errlen))
		return -1;
	/* the bot token goes into the path: a base URL, like rest_url */
	if (c->tg_enabled && url_key(c->path, c->tg_api_url_line, "[alerts.telegram]", "api_url", c->tg_api_url,
				     &rest_rule, NULL, err, errlen))
		return -1;
	if (c->webhook_enabled && url_key(c->path, c->webhook_url_line, "[alerts.webhook]", "url", c->webhook_url,
					  &page_rule, NULL, err, errlen))
		return -1;
	if (c->smtp_enabled) {
		/* smtp:// with require_starttls gets its TLS from STARTTLS */
		const struct wd_url_rule smtp_rule = { "smtps", "smtp", c->smtp_require_starttls, true };
		if (url_key(c->path, c->smtp_url_line, "[alerts.smtp]", "url", c->smtp_url, &smtp_rule,
			    "require_starttls = false sends mail (and the login) in clear; only a loopback relay "
			    "may do that",
			    err, errlen))
			return -1;
	}
	if (c->db_enabled) {
		if (check_dsn(c->path, "dsn", c->db_dsn, err, errlen) ||
		    (strcmp(c->bot_dsn, c->db_dsn) != 0 && !db_bot_sqlite_path(c->bot_dsn) &&
		     check_dsn(c->path, "bot_dsn", c->bot_dsn, err, errlen)))
			return -1;
	}
	return 0;
}
