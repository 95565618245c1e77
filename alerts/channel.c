/* What the channels share: curl setup, the channel list from config, an
 * HTTP POST helper that never prints its URL. */
#include "alerts/channel.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alerts/ch_int.h"
#include "base/log.h"
#include "base/xalloc.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void alert_curl_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

int64_t alert_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool alert_url_is_loopback(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	const char *at = strchr(p, '@'); /* user:pass@host */
	const char *slash = strchr(p, '/');
	if (at && (!slash || at < slash))
		p = at + 1;
	char host[256];
	size_t n = 0;
	if (*p == '[') {
		p++;
		while (*p && *p != ']' && n < sizeof host - 1)
			host[n++] = *p++;
	} else {
		while (*p && *p != ':' && *p != '/' && n < sizeof host - 1)
			host[n++] = *p++;
	}
	host[n] = '\0';
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return !strcasecmp(host, "localhost") || !strcmp(host, "::1");
}

struct buf {
	char *p;
	size_t n;
};

static size_t on_body(char *data, size_t sz, size_t nm, void *arg)
{
	struct buf *b = arg;
	size_t k = sz * nm;
	if (b->n + k > (1u << 20))
		return 0; /* an alert endpoint has no business answering megabytes */
	b->p = xrealloc(b->p, b->n + k + 1);
	memcpy(b->p + b->n, data, k);
	b->n += k;
	b->p[b->n] = '\0';
	return k;
}

static size_t on_header(char *data, size_t sz, size_t nm, void *arg)
{
	int64_t *ra = arg;
	size_t k = sz * nm;
	if (k > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		long s = strtol(data + 12, NULL, 10);
		if (s > 0)
			*ra = (int64_t)s * 1000;
	}
	return k;
}

struct alert_channel *alert_net_channel_new(const char *name, enum rec_severity min_severity, int64_t timeout_ms,
					    int (*send)(struct alert_channel *, const struct alert_msg *,
							struct alert_send_status *),
					    void (*destroy)(struct alert_channel *), void *priv)
{
	struct alert_channel *ch = xcalloc(1, sizeof *ch);
	snprintf(ch->name, sizeof ch->name, "%s", name);
	ch->min_severity = min_severity;
	ch->timeout_ms = timeout_ms;
	ch->connect_timeout_ms = 10000;
	ch->send = send;
	ch->destroy = destroy;
	ch->priv = priv;
	alert_curl_init();
	return ch;
}

int alert_http_post_json(const struct alert_channel *ch, const char *url, const char *json,
			 struct alert_http_resp *resp, char *err, size_t errlen)
{
	return alert_http_post_json_h(ch, url, json, NULL, resp, err, errlen);
}

int alert_http_post_json_h(const struct alert_channel *ch, const char *url, const char *json,
			   const char *const *headers, struct alert_http_resp *resp, char *err, size_t errlen)
{
	alert_curl_init();
	memset(resp, 0, sizeof *resp);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	struct buf b = { 0 };
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	for (size_t i = 0; headers && headers[i]; i++)
		h = curl_slist_append(h, headers[i]);
	char ebuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &resp->retry_after_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(ch->timeout_ms > 0 ? ch->timeout_ms : 20000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(ch->connect_timeout_ms > 0 ? ch->connect_timeout_ms : 10000));
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-alerts");
	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc != CURLE_OK) {
		/* curl's own message, never the URL: a Telegram URL holds the token */
		snprintf(err, errlen, "%s", curl_easy_strerror(rc));
		ret = -1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->code);
	}
	resp->body = b.p;
	resp->len = b.n;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	log_redact(err, errlen);
	return ret;
}

int alert_channels_new(const struct alert_channel_params *p, struct alert_channel ***out, size_t *n, char *err,
		       size_t errlen)
{
	struct alert_channel **v = xcalloc(4, sizeof *v);
	size_t k = 0;
	v[k++] = alert_ch_log_new();
	struct alert_channel *ch;
	if (p->tg_enabled) {
		if (!(ch = alert_ch_telegram_new(&p->tg, err, errlen)))
			goto fail;
		v[k++] = ch;
	}
	if (p->smtp_enabled) {
		if (!(ch = alert_ch_smtp_new(&p->smtp, err, errlen)))
			goto fail;
		v[k++] = ch;
	}
	if (p->webhook_enabled) {
		if (!(ch = alert_ch_webhook_new(&p->webhook, err, errlen)))
			goto fail;
		v[k++] = ch;
	}
	*out = v;
	*n = k;
	return 0;
fail:
	alert_channels_free(v, k);
	*out = NULL;
	*n = 0;
	return -1;
}

void alert_channels_free(struct alert_channel **chs, size_t n)
{
	if (!chs)
		return;
	for (size_t i = 0; i < n; i++)
		if (chs[i])
			chs[i]->destroy(chs[i]);
	free(chs);
}

struct alert_channel *alert_channel_find(struct alert_channel **chs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(chs[i]->name, name))
			return chs[i];
	return NULL;
}
