/* Logging: timestamped lines to stderr (or a chosen FILE), levels, and
 * key=value fields by convention: log_info("audit", "account=%s n=%d", a, n).
 *
 * Redaction: every string registered with log_secret_add() is replaced by
 * "[redacted]" in every line this module writes, and in any buffer passed to
 * log_redact() (alerts and error texts go through it too). Register secrets
 * as soon as they are loaded.
 *
 * Every message is written as one line without terminal controls: text
 * from outside (exchange symbols, ids, error texts) goes through tc_line()
 * (base/text_clean.h), so a newline shows as "\n" and ESC as "\x1b".
 *
 * Repeats: one cause (a call site's format string, plus the message's
 * "account=" value) writes at most 5 lines per 10 s; the rest are counted
 * and summed up in one line "repeated N more times in S s (shown 5), last:
 * ..." once the window is over (on the next log call, log_flush(), a
 * stream change, or at exit). */
#ifndef WD_LOG_H
#define WD_LOG_H
#include <stddef.h>
#include <stdio.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_verbosity; /* messages above this level are dropped */

void log_set_level(enum log_level lvl);
int log_level_parse(const char *s, enum log_level *out); /* 0 ok, -1 bad */
void log_set_stream(FILE *f);                            /* NULL = stderr; flushes counts first */
struct rec_clock;
/* The clock of the repeat windows (tests); NULL = CLOCK_MONOTONIC. */
void log_set_clock(const struct rec_clock *c);
/* Writes every pending "repeated N times" line now (and forgets the
 * windows). Also runs at exit. */
void log_flush(void);

/* Registers a secret (copied). Empty strings and strings shorter than 4
 * characters are ignored (too likely to match ordinary text). */
void log_secret_add(const char *secret);
void log_secret_clear(void);
/* Replaces registered secrets in buf (NUL-terminated, capacity cap) in place. */
void log_redact(char *buf, size_t cap);

/* Repeated lines: one call site (format string) writes at most 20 lines
 * in 10 s; the rest are counted and summed up in one line ("repeated N
 * more times in 10 s") when its window ends, or at exit. Control bytes
 * from the arguments are written as \xNN, newlines as spaces. */
void log_flush_repeats(void);

void log_emit(enum log_level lvl, const char *component, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(comp, ...) log_emit(LOG_LVL_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...)                                        \
	do {                                                       \
		if (log_verbosity >= LOG_LVL_WARN)                 \
			log_emit(LOG_LVL_WARN, comp, __VA_ARGS__); \
	} while (0)
#define log_info(comp, ...)                                        \
	do {                                                       \
		if (log_verbosity >= LOG_LVL_INFO)                 \
			log_emit(LOG_LVL_INFO, comp, __VA_ARGS__); \
	} while (0)
#define log_debug(comp, ...)                                        \
	do {                                                        \
		if (log_verbosity >= LOG_LVL_DEBUG)                 \
			log_emit(LOG_LVL_DEBUG, comp, __VA_ARGS__); \
	} while (0)

#endif
