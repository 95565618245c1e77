/* Webhook: POST an Alertmanager-compatible (webhook "version 4") JSON body,
 * one alert per message:
 *   {"version":"4","status":"firing"|"resolved","receiver":"vigil",
 *    "groupKey":KEY,"groupLabels":{"alertname":CODE},"commonLabels":{..},
 *    "commonAnnotations":{..},"externalURL":"","truncatedAlerts":0,
 *    "alerts":[{"status":..,"labels":{"alertname","account","exchange",
 *    "symbol","severity"[,"qualifier"]},"annotations":{"summary","description",
 *    "key","kind","outbox_id"},"startsAt":RFC3339,"endsAt":RFC3339|"0001-01-01T00:00:00Z",
 *    "generatorURL":"","fingerprint":HEX16}]}
 * With a secret configured the request carries
 * "X-Vigil-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>".
 * Any 2xx is accepted, 429/5xx/transport errors retry (Retry-After
 * honoured). */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "base/xalloc.h"

struct wh {
	char *url;
	char *secret; /* NULL = unsigned */
};

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void alert_hmac_sha256_hex(const char *key, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), data, len, md, &ml) || ml != 32) {
		out[0] = '\0';
		return;
	}
	hex(md, 32, out);
}

void alert_hash16(const char *s, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	if (!EVP_Digest(s, strlen(s), md, &ml, EVP_sha256(), NULL) || ml < 8) {
		snprintf(out, 17, "0000000000000000");
		return;
	}
	hex(md, 8, out);
}

static void rfc3339(int64_t ms, char *out, size_t outlen)
{
	if (ms <= 0) {
		snprintf(out, outlen, "0001-01-01T00:00:00Z");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind_name(enum alert_kind k)
{
	switch (k) {
	case ALERT_REPEAT: return "repeat";
	case ALERT_ESCALATED: return "escalated";
	case ALERT_RESOLVED: return "resolved";
	default: return "firing";
	}
}

static void put(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

char *alert_webhook_body(const struct alert_msg *m, int64_t now_ms)
{
	struct alert_meta mt;
	alert_msg_meta(m, &mt);
	bool resolved = mt.kind == ALERT_RESOLVED;
	const char *status = resolved ? "resolved" : "firing";
	char key[REC_KEY_MAX], subj[ALERT_SUBJECT_MAX], starts[40], ends[40], fp[17];
	snprintf(key, sizeof key, "%s", m->key);
	alert_hdr_clean(key);
	snprintf(subj, sizeof subj, "%s", m->subject);
	alert_hdr_clean(subj);
	rfc3339(mt.first_seen_ms > 0 ? mt.first_seen_ms
		: m->created_ms > 0  ? m->created_ms
				     : now_ms,
		starts, sizeof starts);
	rfc3339(resolved ? (m->created_ms > 0 ? m->created_ms : now_ms) : 0, ends, sizeof ends);
	alert_hash16(key, fp);

	json_object *labels = json_object_new_object();
	put(labels, "alertname", mt.code);
	put(labels, "account", mt.account);
	put(labels, "exchange", mt.exchange);
	put(labels, "symbol", mt.symbol);
	put(labels, "severity", rec_severity_name(m->severity));
	if (mt.qualifier[0])
		put(labels, "qualifier", mt.qualifier);
	json_object *ann = json_object_new_object();
	put(ann, "summary", subj);
	put(ann, "description", m->body ? m->body : "");
	put(ann, "key", key);
	put(ann, "kind", kind_name(mt.kind));
	char id[32];
	snprintf(id, sizeof id, "%lld", (long long)m->id);
	put(ann, "outbox_id", id); /* stable across re-sends: receivers may dedupe on it */

	json_object *a = json_object_new_object();
	put(a, "status", status);
	json_object_object_add(a, "labels", json_object_get(labels));
	json_object_object_add(a, "annotations", json_object_get(ann));
	put(a, "startsAt", starts);
	put(a, "endsAt", ends);
	put(a, "generatorURL", "");
	put(a, "fingerprint", fp);
	json_object *alerts = json_object_new_array();
	json_object_array_add(alerts, a);

	json_object *o = json_object_new_object();
	put(o, "version", "4");
	put(o, "status", status);
	put(o, "receiver", "vigil");
	put(o, "groupKey", key);
	json_object *gl = json_object_new_object();
	put(gl, "alertname", mt.code);
	json_object_object_add(o, "groupLabels", gl);
	json_object_object_add(o, "commonLabels", labels);
	json_object_object_add(o, "commonAnnotations", ann);
	put(o, "externalURL", "");
	json_object_object_add(o, "truncatedAlerts", json_object_new_int(0));
	json_object_object_add(o, "alerts", alerts);
	char *out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static int wh_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	struct wh *w = ch->priv;
	memset(st, 0, sizeof *st);
	char *body = alert_webhook_body(m, alert_now_ms());
	char sig[128] = "";
	const char *hdrs[2] = { NULL, NULL };
	if (w->secret) {
		char h[65];
		alert_hmac_sha256_hex(w->secret, body, strlen(body), h);
		snprintf(sig, sizeof sig, "X-Vigil-Signature: sha256=%s", h);
		hdrs[0] = sig;
	}
	struct alert_http_resp r;
	char err[200] = "";
	int rc = alert_http_post_json_h(ch, w->url, body, hdrs, &r, err, sizeof err);
	free(body);
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
	struct wh *w = ch->priv;
	free(w->url);
	if (w->secret) {
		memset(w->secret, 0, strlen(w->secret));
		free(w->secret);
	}
	free(w);
	free(ch);
}

struct alert_channel *alert_ch_webhook_new(const struct alert_webhook_params *c, char *err, size_t errlen)
{
	const char *url = alert_str(c->url);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(err, errlen, "[alerts.webhook] url must be http:// or https://");
		return NULL;
	}
	struct wh *w = xcalloc(1, sizeof *w);
	w->url = xstrdup(url);
	w->secret = c->secret && *c->secret ? xstrdup(c->secret) : NULL;
	return alert_net_channel_new("webhook", c->min_severity, 15000, wh_send, wh_destroy, w);
}
