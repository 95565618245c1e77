#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xalloc.h"

#define LOG_LINE_MAX 8192
#define LOG_SECRETS_MAX 64

int log_verbosity = LOG_LVL_INFO;
static FILE *log_stream;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[LOG_SECRETS_MAX];
static size_t nsecrets;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl)
{
	log_verbosity = lvl;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	return -1;
}

void log_set_stream(FILE *f)
{
	log_stream = f;
}

void log_secret_add(const char *secret)
{
	if (!secret || strlen(secret) < 4)
		return;
	pthread_mutex_lock(&log_mu);
	for (size_t i = 0; i < nsecrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			goto out;
	if (nsecrets < LOG_SECRETS_MAX)
		secrets[nsecrets++] = xstrdup(secret);
out:
	pthread_mutex_unlock(&log_mu);
}

void log_secret_clear(void)
{
	pthread_mutex_lock(&log_mu);
	for (size_t i = 0; i < nsecrets; i++)
		free(secrets[i]);
	nsecrets = 0;
	pthread_mutex_unlock(&log_mu);
}

static void redact_locked(char *buf, size_t cap)
{
	static const char mask[] = "[redacted]";
	const size_t ml = sizeof mask - 1;
	for (size_t i = 0; i < nsecrets; i++) {
		size_t sl = strlen(secrets[i]);
		char *p = buf;
		while ((p = strstr(p, secrets[i])) != NULL) {
			size_t tail = strlen(p + sl);
			if ((size_t)(p - buf) + ml + tail + 1 > cap) {
				/* no room for the mask: blank the secret in place */
				memset(p, '*', sl);
				p += sl;
				continue;
			}
			memmove(p + ml, p + sl, tail + 1);
			memcpy(p, mask, ml);
			p += ml;
		}
	}
}

void log_redact(char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return;
	pthread_mutex_lock(&log_mu);
	redact_locked(buf, cap);
	pthread_mutex_unlock(&log_mu);
}

void log_emit(enum log_level lvl, const char *component, const char *fmt, ...)
{
	int saved = errno;
	char line[LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
			 level_names[lvl < 0 || lvl > 3 ? 0 : lvl], component ? component : "vigil");
	if (n < 0)
		n = 0;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* one line per record: fold embedded newlines */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&log_mu);
	redact_locked(line, sizeof line);
	FILE *f = log_stream ? log_stream : stderr;
	fprintf(f, "%s\n", line);
	fflush(f);
	pthread_mutex_unlock(&log_mu);
	errno = saved;
}
