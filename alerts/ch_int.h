/* Internal to the channels: the network channels' constructor and one HTTP
 * POST helper shared by Telegram and the webhook. Errors never include the
 * URL (Telegram's holds the token). */
#ifndef ALERT_CH_INT_H
#define ALERT_CH_INT_H
#include <stddef.h>
#include <stdint.h>

#include "alerts/channel.h"
#include "alerts/format.h"

struct alert_http_resp {
	long code;              /* HTTP status, 0 = no answer */
	int64_t retry_after_ms; /* Retry-After header, 0 = none */
	char *body;             /* malloc'd (may be NULL) */
	size_t len;
};

/* A network channel (SMTP, Telegram, webhook): curl initialised, 10 s to
 * connect, timeout_ms for the whole request. Escalation and rate are the
 * caller's to set (0 = none). */
struct alert_channel *alert_net_channel_new(const char *name, enum rec_severity min_severity, int64_t timeout_ms,
					    int (*send)(struct alert_channel *, const struct alert_msg *,
							struct alert_send_status *),
					    void (*destroy)(struct alert_channel *), void *priv);

/* A borrowed parameter string: NULL reads as "". */
static inline const char *alert_str(const char *s)
{
	return s ? s : "";
}

/* 0 when an HTTP answer came back (any status), -1 on transport error
 * (err set, redacted). resp->body freed by the caller. */
int alert_http_post_json(const struct alert_channel *ch, const char *url, const char *json,
			 struct alert_http_resp *resp, char *err, size_t errlen);
/* The same with extra request headers ("Name: value", NULL-terminated). */
int alert_http_post_json_h(const struct alert_channel *ch, const char *url, const char *json,
			   const char *const *headers, struct alert_http_resp *resp, char *err, size_t errlen);

/* What a channel reads back from a stored message (msg.c). The outbox
 * keeps text only; the key (rec_finding_make_key, or "vigil:<name>"), the
 * subject (alert_format_subject) and the body's "first seen:" line
 * (alert_format_body / alert_format_health_body) are vigil's own formats,
 * so they are parsed back here rather than stored twice. Every string is
 * free of control characters (CR/LF: safe in a mail header). */
struct alert_meta {
	enum alert_kind kind;
	bool health; /* key "vigil:<name>" */
	char account[64], exchange[32], symbol[REC_SYM_MAX];
	char code[64];         /* finding code, or "vigil_<name>" */
	char qualifier[32];    /* key suffix: LONG / SHORT / rest ... */
	int64_t first_seen_ms; /* 0 = not in the body */
};
void alert_msg_meta(const struct alert_msg *m, struct alert_meta *out);
/* Replaces control characters (CR, LF, ...) by spaces, in place. */
void alert_hdr_clean(char *s);

/* The whole RFC 5322 message ch (an SMTP channel) sends for m (ch_smtp.c). */
char *alert_smtp_format(const struct alert_channel *ch, const struct alert_msg *m, int64_t now_ms);
/* The Alertmanager-compatible webhook body for m (ch_webhook.c). */
char *alert_webhook_body(const struct alert_msg *m, int64_t now_ms);
/* Lower-case hex HMAC-SHA256 of data under key (ch_webhook.c). */
void alert_hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65]);
/* First 16 hex digits of SHA-256(s) (ch_webhook.c). */
void alert_hash16(const char *s, char out[17]);

#endif
