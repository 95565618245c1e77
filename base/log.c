#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/text_clean.h"
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

static void flush_locked(bool all);

void log_set_stream(FILE *f)
{
	pthread_mutex_lock(&log_mu);
	flush_locked(true); /* counts of the old stream's lines go to it */
	log_stream = f;
	pthread_mutex_unlock(&log_mu);
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

/* ---- repeats ----
 * A cause is one call site's format string (its pointer: every call of
 * one log_warn(...) line shares it, whatever its arguments) together with
 * the value of an "account=" field in the message, so one account's flood
 * never hides another account's errors of the same kind. A cause shows at
 * most LOG_RL_LINES lines per LOG_RL_WINDOW_MS window; the rest are
 * counted, and one summary line with the count (and the last message)
 * follows when the window is over: on the next log call of any cause, in
 * log_flush(), when the stream changes, or at exit (atexit). */
#define LOG_RL_LINES 5
#define LOG_RL_WINDOW_MS 10000
#define LOG_RL_SLOTS 64
#define LOG_RL_LAST 512

struct rl_slot {
	const char *fmt; /* NULL = free */
	char account[64];
	enum log_level lvl;
	char comp[32];
	int64_t start;
	unsigned shown;
	unsigned long long dropped;
	char last[LOG_RL_LAST]; /* the last dropped message, redacted and escaped */
};

static struct rl_slot slots[LOG_RL_SLOTS];
static pthread_once_t atexit_once = PTHREAD_ONCE_INIT;

static int64_t mono_ms(void *ud)
{
	(void)ud;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
static int64_t (*clock_now)(void *) = mono_ms;
static void *clock_ud;

void log_set_clock(const struct rec_clock *c)
{
	pthread_mutex_lock(&log_mu);
	clock_now = c ? c->now_ms : mono_ms;
	clock_ud = c ? c->ud : NULL;
	pthread_mutex_unlock(&log_mu);
}

static void write_locked(enum log_level lvl, const char *component, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	FILE *f = log_stream ? log_stream : stderr;
	fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: %s\n", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_names[lvl < 0 || lvl > 3 ? 0 : lvl],
		component, msg);
	fflush(f);
}

static void summary_locked(struct rl_slot *s, int64_t now)
{
	if (s->dropped) {
		int64_t span = now - s->start;
		if (span > LOG_RL_WINDOW_MS)
			span = LOG_RL_WINDOW_MS; /* the drops all fell inside the window */
		char msg[LOG_RL_LAST + 128];
		snprintf(msg, sizeof msg, "repeated %llu more times in %lld s (shown %u), last: %s", s->dropped,
			 (long long)(span < 1000 ? 1 : (span + 999) / 1000), s->shown, s->last);
		write_locked(s->lvl, s->comp, msg);
	}
	memset(s, 0, sizeof *s);
}

/* all: every slot (exit, stream change); else only ended windows */
static void flush_locked(bool all)
{
	int64_t now = clock_now(clock_ud);
	for (size_t i = 0; i < LOG_RL_SLOTS; i++)
		if (slots[i].fmt && (all || now - slots[i].start >= LOG_RL_WINDOW_MS))
			summary_locked(&slots[i], now);
}

void log_flush(void)
{
	pthread_mutex_lock(&log_mu);
	flush_locked(true);
	pthread_mutex_unlock(&log_mu);
}

static void flush_at_exit(void)
{
	log_flush();
}
static void register_atexit(void)
{
	atexit(flush_at_exit);
}

/* "account=VALUE" at the start of msg or after a space */
static void account_of(const char *msg, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *p = msg; (p = strstr(p, "account=")) != NULL; p += 8)
		if (p == msg || p[-1] == ' ') {
			snprintf(out, cap, "%.*s", (int)strcspn(p + 8, " "), p + 8);
			return;
		}
}

/* The slot of this cause, a new one, or the oldest one (its count is
 * written out first). */
static struct rl_slot *slot_locked(const char *fmt, const char *account, int64_t now)
{
	struct rl_slot *free_s = NULL, *oldest = &slots[0];
	for (size_t i = 0; i < LOG_RL_SLOTS; i++) {
		struct rl_slot *s = &slots[i];
		if (!s->fmt) {
			if (!free_s)
				free_s = s;
			continue;
		}
		if (s->fmt == fmt && strcmp(s->account, account) == 0)
			return s;
		if (s->start < oldest->start)
			oldest = s;
	}
	struct rl_slot *s = free_s;
	if (!s) {
		s = oldest;
		summary_locked(s, now);
	}
	s->fmt = fmt;
	snprintf(s->account, sizeof s->account, "%s", account);
	s->start = now;
	return s;
}

void log_emit(enum log_level lvl, const char *component, const char *fmt, ...)
{
	int saved = errno;
	char raw[LOG_LINE_MAX], msg[LOG_LINE_MAX], account[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	if (!component)
		component = "vigil";
	pthread_mutex_lock(&log_mu);
	/* secrets out first, then one line with no terminal controls: a
	 * message is one line and cannot rewrite the screen */
	redact_locked(raw, sizeof raw);
	tc_line(raw, msg, sizeof msg);
	redact_locked(msg, sizeof msg);
	int64_t now = clock_now(clock_ud);
	flush_locked(false);
	account_of(msg, account, sizeof account);
	struct rl_slot *s = slot_locked(fmt, account, now);
	if (s->shown < LOG_RL_LINES) {
		s->shown++;
		write_locked(lvl, component, msg);
	} else {
		if (s->dropped++ == 0) {
			s->lvl = lvl;
			snprintf(s->comp, sizeof s->comp, "%s", component);
			pthread_once(&atexit_once, register_atexit);
		}
		/* cut at a character: msg is escaped, so only UTF-8 can be cut */
		size_t n = strlen(msg);
		if (n >= sizeof s->last) {
			n = sizeof s->last - 1;
			while (n && ((unsigned char)msg[n] & 0xC0) == 0x80)
				n--;
		}
		memcpy(s->last, msg, n);
		s->last[n] = '\0';
	}
	pthread_mutex_unlock(&log_mu);
	errno = saved;
}
