/* One rule for every URL in the config (rest_url, ws_url, the alert
 * channels' URLs, deadman_url): parsed by libcurl's URL API, never by hand,
 * so the host vigil judges is the host libcurl connects to. */
#ifndef WD_CONFIG_URL_H
#define WD_CONFIG_URL_H
#include <stdbool.h>
#include <stddef.h>

struct wd_url_rule {
	const char *tls;     /* the scheme that is always fine: "https", "wss", "smtps" */
	const char *plain;   /* the scheme allowed to loopback only: "http", "ws", "smtp" */
	bool plain_anywhere; /* smtp with require_starttls: STARTTLS supplies the TLS */
	bool no_query;       /* vigil appends a path to it (a base URL): no ?query */
};

enum wd_url_verdict {
	WD_URL_OK = 0,
	WD_URL_BAD = -1,          /* not acceptable as written; why says what */
	WD_URL_PLAIN_REMOTE = -2, /* the plain scheme to a host that is not loopback */
};

/* Checks url against rule. why (on failure) names what is wrong and never
 * holds the URL's userinfo (it may be a password): only the scheme and the
 * host are quoted. Refused whatever the scheme: userinfo (user:pass@),
 * a #fragment, a scheme not written "scheme://" in lowercase, a ?query when
 * rule->no_query. The plain scheme is allowed only to a host
 * wd_host_is_loopback accepts, written exactly as libcurl reads it. */
enum wd_url_verdict wd_url_check(const char *url, const struct wd_url_rule *rule, char *why, size_t whylen);

/* localhost (any case), ::1 / [::1], or 127.A.B.C in canonical dotted
 * decimal (0-255, no leading zeros). Other spellings of 127/8 (2130706433,
 * 0x7f.0.0.1, 0177.0.0.1, 127.1) and ::ffff:127.0.0.1 are not loopback:
 * resolvers disagree on them. */
bool wd_host_is_loopback(const char *h, size_t n);

/* A proxy URL (issue 21): http://HOST:PORT (HTTP CONNECT) or
 * socks5h://HOST:PORT (SOCKS5, the proxy resolves the name), to any host
 * (the tunnel keeps TLS end to end), with an explicit port, no path,
 * ?query or #fragment, and no user:password@ (a proxy login would be a
 * secret in the file: not supported). *loopback says whether the proxy
 * host is loopback (wd_host_is_loopback). WD_URL_OK or WD_URL_BAD with
 * why set (never quoting userinfo). */
enum wd_url_verdict wd_proxy_check(const char *url, bool *loopback, char *why, size_t whylen);

#endif
