/* Internal to the channels: one HTTP POST helper shared by Telegram and
 * the webhook. Errors never include the URL (Telegram's holds the token). */
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

/* 0 when an HTTP answer came back (any status), -1 on transport error
 * (err set, redacted). resp->body freed by the caller. */
int alert_http_post_json(const struct alert_channel *ch, const char *url, const char *json,
			 struct alert_http_resp *resp, char *err, size_t errlen);

#endif
