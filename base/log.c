#include "base/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/xalloc.h"

#define LOG_LINE_MAX 8192
#define LOG_SECRETS_MAX 64
/* Rate limit per cause (the call site's format string): at most
 * LOG_BURST lines in a LOG_WINDOW_MS window, then one "repeated N times"
 * line when the window ends. A hostile stream cannot fill the disk. */
#define LOG_BURST 20
#define LOG_WINDOW_MS 10000
#define LOG_CAUSES 128

int log_verbosity = LOG_LVL_INFO;
static FILE *log_stream;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[LOG_SECRETS_MAX];
static size_t nsecrets;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

struct cause {
	const char *fmt; /* identity of the call site: format strings are literals */
	const char *component;
	enum log_level lvl;
	int64_t window_start;
	unsigned lines;      /* written in this window */
	unsigned long muted; /* held back in this window */
};
static struct cause causes[LOG_CAUSES];
static bool flush_registered;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* Writes one finished line: redacted, then every control byte (ESC, CR,
 * a bare NUL-free byte below 0x20 but tab, DEL) shown as \xNN, so text
 * from an exchange can neither fake a line nor drive a terminal. Caller
 * holds log_mu. */
static void write_locked(const char *stamp, char *line)
{
	redact_locked(line, LOG_LINE_MAX);
	FILE *f = log_stream ? log_stream : stderr;
	char out[LOG_LINE_MAX * 2];
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)line; *p && w + 5 < sizeof out; p++) {
		if (*p == '\n' || *p == '\r') {
			out[w++] = ' '; /* one line per record */
		} else if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			w += (size_t)snprintf(out + w, sizeof out - w, "\\x%02x", *p);
		} else {
			out[w++] = (char)*p;
		}
	}
	out[w] = '\0';
	fprintf(f, "%s%s\n", stamp, out);
	fflush(f);
}

static void stamp_now(char *buf, size_t cap, enum log_level lvl, const char *component)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
		 level_names[lvl < 0 || lvl > 3 ? 0 : lvl], component ? component : "vigil");
}

/* The summary of a cause's muted lines; caller holds log_mu. */
static void summary_locked(struct cause *c, int64_t now)
{
	if (!c->muted)
		return;
	char stamp[160], line[LOG_LINE_MAX];
	stamp_now(stamp, sizeof stamp, c->lvl, c->component);
	snprintf(line, sizeof line, "... the line above (\"%.60s\") repeated %lu more times in %lld s", c->fmt,
		 c->muted, (long long)((now - c->window_start + 999) / 1000));
	write_locked(stamp, line);
	c->muted = 0;
}

static void flush_all(void)
{
	pthread_mutex_lock(&log_mu);
	int64_t now = mono_ms();
	for (size_t i = 0; i < LOG_CAUSES; i++)
		summary_locked(&causes[i], now);
	pthread_mutex_unlock(&log_mu);
}

void log_flush_repeats(void)
{
	flush_all();
}

/* true when this line may be written now; caller holds log_mu. */
static bool admit_locked(enum log_level lvl, const char *component, const char *fmt)
{
	int64_t now = mono_ms();
	size_t h = ((uintptr_t)fmt >> 3) % LOG_CAUSES, i = h;
	do {
		struct cause *c = &causes[i];
		if (c->fmt == fmt || !c->fmt) {
			if (!c->fmt) {
				*c = (struct cause){ fmt, component, lvl, now, 0, 0 };
			} else if (now - c->window_start >= LOG_WINDOW_MS) {
				summary_locked(c, now);
				c->window_start = now;
				c->lines = 0;
			}
			if (c->lines < LOG_BURST) {
				c->lines++;
				return true;
			}
			if (!c->muted && !flush_registered) {
				flush_registered = true;
				atexit(flush_all); /* a count is never lost at exit */
			}
			c->muted++;
			return false;
		}
		i = (i + 1) % LOG_CAUSES;
	} while (i != h);
	return true; /* table full: never lose a line for want of a slot */
}

void log_emit(enum log_level lvl, const char *component, const char *fmt, ...)
{
	int saved = errno;
	pthread_mutex_lock(&log_mu);
	bool ok = admit_locked(lvl, component, fmt);
	pthread_mutex_unlock(&log_mu);
	if (!ok) {
		errno = saved;
		return;
	}
	char stamp[160], line[LOG_LINE_MAX];
	stamp_now(stamp, sizeof stamp, lvl, component);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	write_locked(stamp, line);
	pthread_mutex_unlock(&log_mu);
	errno = saved;
}
