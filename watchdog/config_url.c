/* URL checks for the transport rule, on libcurl's own URL parser: the host
 * judged is the host libcurl connects to, never a hand-split guess
 * (`http://evil.example.com#@127.0.0.1/` is evil.example.com). Userinfo and
 * fragments are refused outright: secrets belong in _env / _file keys, and
 * with neither present every parser (libcurl for REST, libwebsockets for
 * the stream) reads the same host. */
#include "watchdog/config_url.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 127.a.b.c in plain dotted decimal (no leading zeros, each 0-255): the
 * one spelling of IPv4 loopback accepted. 2130706433, 0x7f.1, 0177.0.0.1
 * and 127.1 are read differently by different resolvers. */
static bool dotted_127(const char *h)
{
	int parts = 0;
	for (const char *p = h; *p;) {
		if (*p < '0' || *p > '9')
			return false;
		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			return false; /* leading zero: octal to some */
		long v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (v > 255 || (parts == 0 && v != 127))
			return false;
		parts++;
		if (*p == '.' && parts < 4 && p[1])
			p++;
		else if (*p)
			return false;
	}
	return parts == 4;
}

bool wd_host_is_loopback(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || strcmp(h, "::1") == 0 || dotted_127(h);
}

int wd_url_split(const char *url, char *scheme, size_t slen, char *host, size_t hlen, char *why, size_t wlen)
{
	CURLU *u = curl_url();
	if (!u) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	int rc = -1;
	char *sch = NULL, *hst = NULL, *part = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		snprintf(why, wlen, "not a URL (%s)", curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
		snprintf(why, wlen, "a user or password inside the URL is refused (use the _env / _file keys)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		snprintf(why, wlen, "a '#' fragment has no meaning here and is refused");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &sch, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &hst, 0) != CURLUE_OK || !*hst) {
		snprintf(why, wlen, "no scheme://host");
		goto out;
	}
	/* the authority must spell the host as libcurl read it: a normalised
	 * address (0x7f.1 -> 127.0.0.1) is one some other parser reads apart */
	const char *auth = strstr(url, "://");
	size_t n = strlen(hst);
	if (!auth || strncasecmp(auth + 3, hst, n) != 0 || (auth[3 + n] && !strchr(":/?", auth[3 + n]))) {
		snprintf(why, wlen, "the host is not written plainly (libcurl reads it as %s)", hst);
		goto out;
	}
	if (strlen(sch) >= slen || n >= hlen) {
		snprintf(why, wlen, "scheme or host too long");
		goto out;
	}
	for (size_t i = 0; sch[i]; i++)
		scheme[i] = (char)(sch[i] >= 'A' && sch[i] <= 'Z' ? sch[i] + 32 : sch[i]);
	scheme[strlen(sch)] = '\0';
	memcpy(host, hst, n + 1);
	rc = 0;
out:
	curl_free(part);
	curl_free(sch);
	curl_free(hst);
	curl_url_cleanup(u);
	return rc;
}

int wd_url_check(const char *url, const char *secure, const char *plain, char *why, size_t wlen)
{
	char scheme[16], host[256];
	if (wd_url_split(url, scheme, sizeof scheme, host, sizeof host, why, wlen) != 0)
		return -1;
	if (strcmp(scheme, secure) == 0)
		return 0;
	if (plain && strcmp(scheme, plain) == 0) {
		if (wd_host_is_loopback(host))
			return 0;
		snprintf(why, wlen,
			 "%s:// to %s sends without TLS; only loopback (127.0.0.1, [::1], localhost) may — use %s://",
			 plain, host, secure);
		return -1;
	}
	snprintf(why, wlen, "scheme must be %s://%s%s%s", secure, plain ? " (or, to loopback only, " : "",
		 plain ? plain : "", plain ? "://)" : "");
	return -1;
}
