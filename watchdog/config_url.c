/* URL checks on libcurl's own parser (curl_url). Hand-splitting a URL at
 * '@' or '#' is how "http://evil.example.com#@127.0.0.1/" passed as
 * loopback: libcurl reads the host as evil.example.com. Here the host is
 * the one libcurl parsed, and for a plain (non-TLS) URL it must also be
 * written exactly as libcurl reads it, so libwebsockets' own URL splitter
 * (ws_url) and the resolver cannot read another host out of it. */
#include "watchdog/config_url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* 127.A.B.C: four decimal parts 0-255, no leading zeros, first 127. */
static bool canonical_127(const char *h, size_t n)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		size_t d = 0;
		unsigned v = 0;
		while (i + d < n && d < 4 && h[i + d] >= '0' && h[i + d] <= '9') {
			v = v * 10 + (unsigned)(h[i + d] - '0');
			d++;
		}
		if (d == 0 || d > 3 || v > 255 || (d > 1 && h[i] == '0') || (part == 0 && v != 127))
			return false;
		i += d;
		if (part < 3) {
			if (i >= n || h[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

bool wd_host_is_loopback(const char *h, size_t n)
{
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return true;
	if ((n == 3 && memcmp(h, "::1", 3) == 0) || (n == 5 && memcmp(h, "[::1]", 5) == 0))
		return true;
	return canonical_127(h, n);
}

/* Is the part present (even empty, as in "http://:@host/")? */
static bool has_part(CURLU *u, CURLUPart what)
{
	char *v = NULL;
	CURLUcode rc = curl_url_get(u, what, &v, 0);
	curl_free(v);
	return rc == CURLUE_OK;
}

/* The authority as written ("host[:port]", after "scheme://") is exactly
 * libcurl's host and port: no other spelling (2130706433, 127.1, %31..,
 * an empty ":" port, a zone id) can then mean something else elsewhere. */
static bool written_as_parsed(CURLU *u, const char *auth, size_t alen, const char *host)
{
	char *port = NULL;
	char want[300];
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		snprintf(want, sizeof want, "%s:%s", host, port);
	else
		snprintf(want, sizeof want, "%s", host);
	curl_free(port);
	return strlen(want) == alen && strncasecmp(want, auth, alen) == 0;
}

enum wd_url_verdict wd_url_check(const char *url, const struct wd_url_rule *r, char *why, size_t whylen)
{
	enum wd_url_verdict v = WD_URL_BAD;
	char *scheme = NULL, *host = NULL;
	CURLU *u = curl_url();
	if (!u) {
		snprintf(why, whylen, "out of memory parsing the URL");
		return WD_URL_BAD;
	}
	/* NON_SUPPORT_SCHEME: this libcurl (7.88) knows no ws:// or wss:// */
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (rc != CURLUE_OK) {
		snprintf(why, whylen, "not a URL (%s); expected %s://HOST[:PORT][/PATH]", curl_url_strerror(rc),
			 r->tls);
		goto out;
	}
	/* First, so that no message below can quote a password. */
	if (has_part(u, CURLUPART_USER) || has_part(u, CURLUPART_PASSWORD) || has_part(u, CURLUPART_OPTIONS)) {
		snprintf(why, whylen,
			 "carries user:password@ (userinfo); remove it (secrets belong in the _env or _file keys)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		snprintf(why, whylen, "not a URL (no scheme or host); expected %s://HOST[:PORT][/PATH]", r->tls);
		goto out;
	}
	/* libcurl lowercases the scheme and takes 1 or 3 slashes; the stream
	 * code compares the scheme as written ("WSS://" would not be TLS) */
	size_t sl = strlen(scheme);
	if (strncmp(url, scheme, sl) != 0 || strncmp(url + sl, "://", 3) != 0 || url[sl + 3] == '/') {
		snprintf(why, whylen, "write the scheme in lowercase followed by two slashes: %s://HOST...", scheme);
		goto out;
	}
	const char *auth = url + sl + 3;
	size_t alen = strcspn(auth, "/?#");
	if (memchr(auth, '@', alen)) {
		snprintf(why, whylen, "carries userinfo (an '@' before the host); remove it");
		goto out;
	}
	if (strchr(url, '#') || has_part(u, CURLUPART_FRAGMENT)) {
		snprintf(why, whylen, "has a #fragment, which means nothing here; remove it");
		goto out;
	}
	if (r->no_query && (strchr(url, '?') || has_part(u, CURLUPART_QUERY))) {
		snprintf(why, whylen, "has a ?query; vigil appends paths to this URL, give the base only");
		goto out;
	}
	if (strcmp(scheme, r->tls) == 0) {
		v = WD_URL_OK;
		goto out;
	}
	if (!r->plain || strcmp(scheme, r->plain) != 0) {
		if (r->plain)
			snprintf(why, whylen, "scheme must be %s:// (or, to loopback only, %s://), not %s://", r->tls,
				 r->plain, scheme);
		else
			snprintf(why, whylen, "scheme must be %s://, not %s://", r->tls, scheme);
		goto out;
	}
	if (r->plain_anywhere || (written_as_parsed(u, auth, alen, host) && wd_host_is_loopback(host, strlen(host)))) {
		v = WD_URL_OK;
		goto out;
	}
	snprintf(why, whylen,
		 "%s:// sends without TLS; only loopback (127.A.B.C, [::1] or localhost, written plainly) may use "
		 "it, and '%.*s' is not; use %s://",
		 r->plain, (int)alen, auth, r->tls);
	v = WD_URL_PLAIN_REMOTE;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return v;
}

enum wd_url_verdict wd_proxy_check(const char *url, bool *loopback, char *why, size_t whylen)
{
	const char *scheme = strncmp(url, "http://", 7) == 0       ? "http"
			     : strncmp(url, "socks5h://", 10) == 0 ? "socks5h"
								   : NULL;
	*loopback = false;
	if (!scheme) {
		snprintf(why, whylen,
			 "must be http://HOST:PORT (HTTP CONNECT) or socks5h://HOST:PORT (SOCKS5, names resolved by "
			 "the proxy)");
		return WD_URL_BAD;
	}
	const char *auth = url + strlen(scheme) + 3;
	size_t alen = strcspn(auth, "/?#");
	if (memchr(auth, '@', alen)) {
		snprintf(why, whylen,
			 "carries user:password@; a proxy that needs a login is not supported (its password would "
			 "sit in the file)");
		return WD_URL_BAD;
	}
	const struct wd_url_rule r = { scheme, NULL, false, true };
	enum wd_url_verdict v = wd_url_check(url, &r, why, whylen);
	if (v != WD_URL_OK)
		return v;
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL;
	v = WD_URL_BAD;
	if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a URL; expected %s://HOST:PORT", scheme);
	} else if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
		snprintf(why, whylen, "no port; write %s://HOST:PORT", scheme);
	} else if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") != 0) {
		snprintf(why, whylen, "has a path; a proxy is %s://HOST:PORT only", scheme);
	} else {
		*loopback = written_as_parsed(u, auth, alen, host) && wd_host_is_loopback(host, strlen(host));
		v = WD_URL_OK;
	}
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return v;
}
