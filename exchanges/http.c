/* libcurl transport for the adapters (see http.h). DESIGN: each request is
 * one easy handle from a fixed pool, driven through one CURLM, so single
 * calls and parallel listings share the same connection cache and the same
 * code path. Answers are capped (docs/style.md P8): a body above the
 * cap aborts the transfer and is reported as XCH_TOOBIG. */
#include "exchanges/http.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exchanges/jsonx_stream.h"
#include "exchanges/tls_store.h"
#include "exchanges/xch_budget.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

struct xch_http {
	CURLM *multi;
	CURL *easy[XCH_HTTP_MAX_PAR];
	long connect_ms;
	long total_ms;
	size_t max_body;
	struct xch_budget *budget; /* borrowed; NULL = none */
	enum rec_exchange ex;
	int prio;               /* enum xch_prio */
	char ca_file[PATH_MAX]; /* "" = the system's bundle */
	char proxy[512];        /* "" = none */
};

void xch_http_set_budget(struct xch_http *h, struct xch_budget *b, enum rec_exchange ex)
{
	h->budget = b;
	h->ex = ex;
}

void xch_http_set_prio(struct xch_http *h, int prio)
{
	h->prio = prio;
}

void xch_http_set_transport(struct xch_http *h, const char *ca_file, const char *proxy)
{
	snprintf(h->ca_file, sizeof h->ca_file, "%s", ca_file ? ca_file : "");
	snprintf(h->proxy, sizeof h->proxy, "%s", proxy ? proxy : "");
}

/* Feeds the budget one answer: the exchange's count, and a rate limit or
 * ban (429, 418, 403 = Binance WAF / Bybit IP limit: "wait >= 10 min"),
 * which stops every request of the budget; logged once per stop. */
static void budget_after(struct xch_http *h, const struct xch_req *r)
{
	if (!h->budget || r->held || r->status == 0)
		return;
	int64_t now = wd_wall_ms();
	xch_budget_note(h->budget, r->used_weight_1m, now);
	if (r->status != 429 && r->status != 418 && r->status != 403)
		return;
	bool ban = r->status == 418 || (r->status == 403 && h->ex == REC_EX_BYBIT);
	int64_t until = r->retry_after_ms >= 0 ? now + r->retry_after_ms : 0;
	if (r->status == 403 && h->ex == REC_EX_BYBIT && until < now + 10 * 60 * 1000)
		until = now + 10 * 60 * 1000;
	if (xch_budget_limited(h->budget, until, ban, now))
		log_warn("budget", "exchange=%s HTTP %ld: every request of this IP held back %s",
			 rec_exchange_name(h->ex), r->status, until ? "until Retry-After" : "with backoff");
}

struct xch_http *xch_http_new(int64_t connect_timeout_ms, int64_t request_timeout_ms, size_t max_body)
{
	struct xch_http *h = xcalloc(1, sizeof *h);
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	h->connect_ms = connect_timeout_ms > 0 ? (long)connect_timeout_ms : 5000;
	h->total_ms = request_timeout_ms > 0 ? (long)request_timeout_ms : 10000;
	h->max_body = max_body ? max_body : XCH_CAP_REST_BODY;
	return h;
}

void xch_http_free(struct xch_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < XCH_HTTP_MAX_PAR; i++)
		if (h->easy[i])
			curl_easy_cleanup(h->easy[i]);
	curl_multi_cleanup(h->multi);
	free(h);
}

void xch_req_clear(struct xch_req *r)
{
	if (!r)
		return;
	free(r->url);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	free(r->resp);
	memset(r, 0, sizeof *r);
}

struct xfer {
	struct xch_req *r;
	CURL *easy;
	size_t cap;
	size_t got;          /* answer bytes so far, streamed or not */
	bool decided;        /* whether the answer goes to r->stream */
	struct xch_jbody jb; /* decided: where each byte goes */
	struct buf body;     /* handed to r->resp when the run ends */
};

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *t = ud;
	size_t n = sz * nm;
	if (t->got + n > t->cap) {
		t->r->toobig = true;
		return 0; /* aborts with CURLE_WRITE_ERROR */
	}
	t->got += n;
	if (!t->decided) {
		/* the status line and headers are in: only a 200 is a listing */
		long st = 0;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &st);
		t->decided = true;
		xch_jbody_start(&t->jb, t->r->stream, st == 200, &t->body);
	}
	xch_jbody_add(&t->jb, p, n);
	return n;
}

static bool hdr_is(const char *line, size_t len, const char *name, const char **val, size_t *vlen)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	const char *v = line + nl + 1;
	const char *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	*val = v;
	*vlen = (size_t)(end - v);
	return true;
}

static bool hdr_i64(const char *v, size_t vlen, int64_t *out)
{
	char buf[32];
	if (vlen == 0 || vlen >= sizeof buf)
		return false;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	char *end = NULL;
	long long n = strtoll(buf, &end, 10);
	if (end == buf || *end != '\0')
		return false;
	*out = n;
	return true;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *t = ud;
	struct xch_req *r = t->r;
	size_t n = sz * nm;
	const char *v;
	size_t vl;
	int64_t num;

	if (n > 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (redirect / 100-continue): forget old headers */
		r->retry_after_ms = -1;
		return n;
	}
	if (hdr_is(p, n, "Retry-After", &v, &vl) && hdr_i64(v, vl, &num) && num >= 0)
		r->retry_after_ms = num * 1000;
	else if (hdr_is(p, n, "X-MBX-USED-WEIGHT-1M", &v, &vl) && hdr_i64(v, vl, &num))
		r->used_weight_1m = (int)num;
	else if (hdr_is(p, n, "X-Bapi-Limit-Status", &v, &vl) && hdr_i64(v, vl, &num))
		r->limit_status = (int)num;
	else if (hdr_is(p, n, "X-Bapi-Limit", &v, &vl) && hdr_i64(v, vl, &num))
		r->limit = (int)num;
	else if (hdr_is(p, n, "X-Bapi-Limit-Reset-Timestamp", &v, &vl) && hdr_i64(v, vl, &num))
		r->limit_reset_ms = num;
	return n;
}

static void setup(struct xch_http *h, CURL *c, struct xfer *t)
{
	struct xch_req *r = t->r;
	curl_easy_reset(c); /* keeps the connection; clears options */
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->total_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil/1");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	r->curl_msg[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_msg);
	/* ca_file replaces the system's bundle, one shared store per file
	 * (tls_store.h); peer and host are verified either way (libcurl's
	 * defaults, never turned off) */
	xch_tls_store_use(c, h->ca_file);
	/* the proxy key is the only proxy: "" keeps libcurl off the
	 * environment's http_proxy / https_proxy / all_proxy */
	curl_easy_setopt(c, CURLOPT_PROXY, h->proxy[0] ? h->proxy : "");
	if (h->proxy[0]) {
		/* through an HTTP proxy always a CONNECT tunnel: TLS stays end to
		 * end, the proxy sees no request (and no signature) */
		curl_easy_setopt(c, CURLOPT_HTTPPROXYTUNNEL, 1L);
	}
	if (r->hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->hdrs);
	/* libcurl silently resends a request whose reused connection turns
	 * out dead; an order must go out once: fresh connections for
	 * everything that acts (POST / PUT / DELETE) */
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, strcmp(r->method, "GET") ? 1L : 0L);
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
		if (r->body || strcmp(r->method, "POST") == 0) {
			const char *b = r->body ? r->body : "";
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(b));
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, b);
		}
	}
}

void xch_http_run(struct xch_http *h, struct xch_req *const *reqs, size_t n)
{
	struct xfer t[XCH_HTTP_MAX_PAR];
	if (n > XCH_HTTP_MAX_PAR)
		n = XCH_HTTP_MAX_PAR;
	for (size_t i = 0; i < n; i++) {
		struct xch_req *r = reqs[i];
		free(r->resp);
		r->resp = NULL;
		r->resp_len = 0;
		r->status = 0;
		r->curl_rc = CURLE_OK;
		r->toobig = false;
		r->retry_after_ms = -1;
		r->used_weight_1m = -1;
		r->limit_status = -1;
		r->limit = -1;
		r->limit_reset_ms = 0;
		r->streamed = false;
		if (r->stream)
			xch_jstream_restart(r->stream);
		r->curl_msg[0] = '\0';
		t[i] = (struct xfer){ .r = r, .cap = h->max_body };
		r->held = false;
		r->held_why = NULL;
		if (h->budget) {
			int64_t wait = 0;
			const char *why = NULL;
			if (xch_budget_acquire(h->budget, r->weight > 0 ? r->weight : 1, (enum xch_prio)h->prio,
					       wd_wall_ms(), &wait, &why) != 0) {
				r->held = true;
				r->held_why = why;
				r->retry_after_ms = wait;
				continue; /* nothing sent */
			}
		}
		if (!h->easy[i])
			h->easy[i] = curl_easy_init();
		if (!h->easy[i]) {
			r->curl_rc = CURLE_OUT_OF_MEMORY;
			continue;
		}
		t[i].easy = h->easy[i];
		setup(h, h->easy[i], &t[i]);
		curl_easy_setopt(h->easy[i], CURLOPT_PRIVATE, &t[i]);
		r->sent_ms = wd_wall_ms();
		curl_multi_add_handle(h->multi, h->easy[i]);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(h->multi, NULL, 0, 200, NULL);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(h->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			if (!x)
				continue;
			x->r->curl_rc = m->data.result;
			x->r->done_ms = wd_wall_ms();
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &x->r->status);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].decided && xch_jbody_end(&t[i].jb))
			reqs[i]->streamed = true;
		if (t[i].body.p) /* no answer bytes: resp stays NULL */
			reqs[i]->resp = buf_take(&t[i].body, &reqs[i]->resp_len);
		if (!h->easy[i] || reqs[i]->held)
			continue;
		curl_multi_remove_handle(h->multi, h->easy[i]);
		if (!reqs[i]->done_ms)
			reqs[i]->done_ms = wd_wall_ms();
		budget_after(h, reqs[i]);
	}
}

int xch_http_transport_rc(const struct xch_req *r, struct xch_err *err)
{
	err->http = (int)r->status;
	if (r->held) {
		err->rc = XCH_RATELIMIT;
		err->retry_after_ms = r->retry_after_ms;
		snprintf(err->msg, sizeof err->msg, "held back by the request budget: %s",
			 r->held_why ? r->held_why : "");
		return XCH_RATELIMIT;
	}
	if (r->toobig || r->curl_rc == CURLE_FILESIZE_EXCEEDED) {
		err->rc = XCH_TOOBIG;
		snprintf(err->msg, sizeof err->msg, "answer exceeded the size cap");
		return XCH_TOOBIG;
	}
	switch (r->curl_rc) {
	case CURLE_OK: return XCH_OK;
	case CURLE_OPERATION_TIMEDOUT: err->rc = XCH_TIMEOUT; break;
	default: err->rc = XCH_NETWORK; break;
	}
	const char *what = curl_easy_strerror(r->curl_rc);
	/* libcurl's buffer names the cause ("SSL certificate problem: ...") */
	if (r->curl_msg[0] && strcmp(r->curl_msg, what) != 0) {
		/* cut to fit (the result checked: format-truncation) */
		if (snprintf(err->msg, sizeof err->msg, "transport: %s: %s", what, r->curl_msg) >= (int)sizeof err->msg)
			err->msg[sizeof err->msg - 1] = '\0';
	} else
		snprintf(err->msg, sizeof err->msg, "transport: %s", what);
	return err->rc;
}

void xch_http_note_limits(const struct xch_req *r, struct xch_limits *lim)
{
	lim->requests++;
	if (r->used_weight_1m >= 0)
		lim->used_weight_1m = r->used_weight_1m;
	if (r->limit_status >= 0)
		lim->limit_status = r->limit_status;
	if (r->limit >= 0)
		lim->limit = r->limit;
}

char *xch_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = xmalloc(3 * n + 1), *p = o;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p = '\0';
	return o;
}
