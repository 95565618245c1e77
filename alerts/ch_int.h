/* Internal to the channels: the network channels' constructor and one HTTP
 * POST helper shared by Telegram and the webhook. Errors never include the
 * URL (Telegram's holds the token). */
#ifndef ALERT_CH_INT_H
#define ALERT_CH_INT_H
#include <stddef.h>
#include <stdint.h>

#include "alerts/channel.h"

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

#endif
