/* Generic JSON webhook: POST {"key","severity","subject","text","id",
 * "created_ms"}; any 2xx is accepted, 429/5xx/transport errors retry
 * (Retry-After honoured). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "base/xalloc.h"

static int wh_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	memset(st, 0, sizeof *st);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(m->id));
	json_object_object_add(o, "key", json_object_new_string(m->key));
	json_object_object_add(o, "severity", json_object_new_string(rec_severity_name(m->severity)));
	json_object_object_add(o, "subject", json_object_new_string(m->subject));
	json_object_object_add(o, "text", json_object_new_string(m->body ? m->body : ""));
	json_object_object_add(o, "created_ms", json_object_new_int64(m->created_ms));
	struct alert_http_resp r;
	char err[200] = "";
	int rc = alert_http_post_json(ch, (const char *)ch->priv,
				      json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), &r, err, sizeof err);
	json_object_put(o);
	free(r.body);
	st->http_code = r.code;
	if (rc != 0) {
		snprintf(st->err, sizeof st->err, "webhook: %s", err);
		return ALERT_SEND_RETRY;
	}
	if (r.code / 100 != 2) {
		st->retry_after_ms = r.retry_after_ms;
		snprintf(st->err, sizeof st->err, "webhook: HTTP %ld", r.code);
		return ALERT_SEND_RETRY;
	}
	return ALERT_SEND_OK;
}

static void wh_destroy(struct alert_channel *ch)
{
	free(ch->priv);
	free(ch);
}

struct alert_channel *alert_ch_webhook_new(const struct alert_webhook_params *c, char *err, size_t errlen)
{
	const char *url = alert_str(c->url);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "[alerts.webhook] url must be http:// or https://");
		return NULL;
	}
	return alert_net_channel_new("webhook", c->min_severity, 15000, wh_send, wh_destroy, xstrdup(url));
}
