/* URL checks for the config's transport rule (config_url.c). */
#ifndef WD_CONFIG_URL_H
#define WD_CONFIG_URL_H
#include <stdbool.h>
#include <stddef.h>

/* localhost, [::1] / ::1, or 127.a.b.c in plain dotted decimal. */
bool wd_host_is_loopback(const char *host);
/* Parses url with libcurl's URL API: scheme (lower case) and host as
 * libcurl will connect to them. Refuses userinfo, fragments and hosts not
 * written as libcurl reads them. 0, or -1 with why set. */
int wd_url_split(const char *url, char *scheme, size_t slen, char *host, size_t hlen, char *why, size_t wlen);
/* secure: the scheme that is always fine; plain: allowed to loopback only
 * (NULL: never). 0, or -1 with why set. */
int wd_url_check(const char *url, const char *secure, const char *plain, char *why, size_t wlen);

#endif
