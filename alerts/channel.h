/* Alert channels: one file each (ch_telegram.c, ch_smtp.c, ch_webhook.c,
 * ch_log.c). A channel sends one outbox message and says whether the far end
 * accepted it; the notifier (notifier.c) owns retries and backoff. Channels
 * are used by one thread at a time (the notifier's, or `vigil alert test`). */
#ifndef ALERT_CHANNEL_H
#define ALERT_CHANNEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/outbox.h"
#include "reconcile/model.h"

enum alert_send_rc {
	ALERT_SEND_OK = 0,    /* accepted: mark delivered */
	ALERT_SEND_RETRY = 1, /* not accepted: try again later */
};

struct alert_send_status {
	int64_t retry_after_ms; /* > 0: the far end asked us to wait (429) */
	long http_code;         /* or SMTP response code; 0 = none */
	char err[256];          /* never contains a secret or a token URL */
};

struct alert_channel {
	char name[ALERT_CHANNEL_MAX];   /* outbox channel name */
	enum rec_severity min_severity; /* routes messages at or above */
	bool escalation;                /* receives escalations */
	int rate_per_minute;            /* 0 = unlimited */
	int64_t timeout_ms;             /* whole request */
	int64_t connect_timeout_ms;
	int (*send)(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st);
	void (*destroy)(struct alert_channel *ch); /* frees ch too */
	void *priv;
};

/* What each channel needs (the program fills these from its [alerts.*]
 * sections). Strings are borrowed for the constructor call (copied);
 * NULL = "". */
struct alert_tg_params {
	const char *api_url;  /* https://api.telegram.org */
	const char *token;    /* the bot token (a secret) */
	const char *chat_ids; /* comma-separated */
	enum rec_severity min_severity;
	int rate_per_minute; /* 0 = unlimited */
	bool escalation;
};

struct alert_smtp_params {
	const char *url;       /* smtp:// or smtps:// */
	const char *from, *to; /* to: comma-separated */
	const char *username, *password, *ca_file;
	bool require_starttls;
	enum rec_severity min_severity;
	int rate_per_minute;
	bool escalation;
};

struct alert_webhook_params {
	const char *url;
	enum rec_severity min_severity;
	const char *secret; /* HMAC-SHA256 key for X-Vigil-Signature; NULL/"" = unsigned */
};

struct alert_channel_params {
	bool tg_enabled, smtp_enabled, webhook_enabled;
	struct alert_tg_params tg;
	struct alert_smtp_params smtp;
	struct alert_webhook_params webhook;
};

/* NULL with err set when the parameters are unusable (e.g. smtp://
 * without STARTTLS to a non-loopback host). */
struct alert_channel *alert_ch_log_new(void);
struct alert_channel *alert_ch_telegram_new(const struct alert_tg_params *p, char *err, size_t errlen);
struct alert_channel *alert_ch_smtp_new(const struct alert_smtp_params *p, char *err, size_t errlen);
struct alert_channel *alert_ch_webhook_new(const struct alert_webhook_params *p, char *err, size_t errlen);

/* The log channel plus every enabled channel of p. *out malloc'd; free
 * with alert_channels_free. Returns 0, or -1 with err (nothing to free). */
int alert_channels_new(const struct alert_channel_params *p, struct alert_channel ***out, size_t *n, char *err,
		       size_t errlen);
void alert_channels_free(struct alert_channel **chs, size_t n);
struct alert_channel *alert_channel_find(struct alert_channel **chs, size_t n, const char *name);

/* ---- Telegram text (tg_text.c, pure) ---- */
#define ALERT_TG_LIMIT 4096
/* HTML parse mode: escapes &, < and > (nothing else is special there, so
 * _ and * pass as they are). Returns a new string. */
char *alert_tg_escape(const char *s);
/* Builds the HTML texts for one message: bold subject, escaped body, split
 * at line (else UTF-8 character) boundaries so every part's text stays
 * under limit characters; parts are numbered "(i/n)" when n > 1.
 * *parts malloc'd array of malloc'd strings; free with alert_tg_parts_free. */
int alert_tg_build(const char *subject, const char *body, size_t limit, char ***parts, size_t *n);
void alert_tg_parts_free(char **parts, size_t n);

/* ---- shared helpers (channel.c) ---- */
void alert_curl_init(void);                  /* curl_global_init once */
bool alert_url_is_loopback(const char *url); /* host is 127.x, ::1 or localhost */
int64_t alert_now_ms(void);                  /* wall clock, ms since epoch */

#endif
