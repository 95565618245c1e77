/* Transport rules applied after a config file parses: certificate-verified
 * TLS for every non-loopback destination, and no secret written into the
 * file itself. Plain connections are allowed to loopback only (vigil-sim,
 * tests, a local mail relay). There is deliberately no key that turns
 * verification off. */
#include "watchdog/config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/db_bot.h"

/* Is the host part of a URL or conninfo host loopback? */
static int host_is_loopback(const char *h, size_t n)
{
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	if (n == 5 && strncmp(h, "[::1]", 5) == 0)
		return 1;
	if (n == 3 && strncmp(h, "::1", 3) == 0)
		return 1;
	if (n >= 4 && strncmp(h, "127.", 4) == 0) {
		for (size_t i = 4; i < n; i++)
			if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
				return 0;
		return 1;
	}
	return 0;
}

/* Splits "scheme://host[:port][/...]". Returns 0 on success. */
static int url_parts(const char *url, char *scheme, size_t slen, const char **host, size_t *hlen)
{
	const char *p = strstr(url, "://");
	if (!p || (size_t)(p - url) >= slen)
		return -1;
	memcpy(scheme, url, (size_t)(p - url));
	scheme[p - url] = '\0';
	const char *h = p + 3;
	const char *at = strpbrk(h, "@/");
	if (at && *at == '@')
		h = at + 1; /* userinfo */
	size_t n;
	if (*h == '[') {
		const char *e = strchr(h, ']');
		if (!e)
			return -1;
		n = (size_t)(e - h) + 1;
	} else {
		n = strcspn(h, ":/?#");
	}
	if (n == 0)
		return -1;
	*host = h;
	*hlen = n;
	return 0;
}

/* secure: the scheme that is always fine; plain: allowed to loopback only. */
static int check_url(const char *where, const char *key, const char *url, const char *secure, const char *plain,
		     char *err, size_t errlen)
{
	char scheme[16];
	const char *host;
	size_t hlen;
	if (url_parts(url, scheme, sizeof scheme, &host, &hlen) != 0) {
		snprintf(err, errlen, "%s %s: '%s' is not a URL (scheme://host...)", where, key, url);
		return -1;
	}
	if (strcasecmp(scheme, secure) == 0)
		return 0;
	if (plain && strcasecmp(scheme, plain) == 0) {
		if (host_is_loopback(host, hlen))
			return 0;
		snprintf(err, errlen, "%s %s: %s:// sends without TLS; only loopback may use it — use %s://", where,
			 key, plain, secure);
		return -1;
	}
	snprintf(err, errlen, "%s %s: scheme must be %s://%s%s", where, key, secure,
		 plain ? " (or, to loopback only, " : "", plain ? plain : "");
	if (plain)
		strncat(err, "://)", errlen - strlen(err) - 1);
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
		/* a comma-separated list; a leading '/' is a unix socket directory */
		for (const char *h = hosts; *h;) {
			size_t n = strcspn(h, ",");
			if (n > 0 && h[0] != '/' && !host_is_loopback(h, n))
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
	if (c->smtp_enabled) {
		char scheme[16];
		const char *host;
		size_t hlen;
		if (url_parts(c->smtp_url, scheme, sizeof scheme, &host, &hlen) != 0 ||
		    (strcasecmp(scheme, "smtp") != 0 && strcasecmp(scheme, "smtps") != 0)) {
			snprintf(err, errlen,
				 "%s: [alerts.smtp] url: must be smtp://host[:port] or smtps://host[:port]", c->path);
			return -1;
		}
		if (strcasecmp(scheme, "smtp") == 0 && !c->smtp_require_starttls && !host_is_loopback(host, hlen)) {
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
