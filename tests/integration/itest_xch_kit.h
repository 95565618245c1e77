/* Helpers for the adapter integration tests against vigil-sim: start the
 * sim, drive its /_sim/ control API, build adapters with short timings and
 * wait on the stream cache. Header-only (static), shared by
 * itest_xch_binance.c and itest_xch_bybit.c. */
#ifndef ITEST_XCH_KIT_H
#define ITEST_XCH_KIT_H
#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exchanges/exchange.h"
#include "exchanges/jsonx.h"
#include "exchanges/xch_int.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

struct kit {
	pid_t pid;
	int port;
	char base[64];
	struct xch *x;
	struct rec_stream_cache *sc;
	atomic_int events;
};

struct kit_buf {
	char *p;
	size_t n;
};

static __attribute__((unused)) size_t kit_wr(char *d, size_t s, size_t n, void *ud)
{
	struct kit_buf *b = ud;
	b->p = xrealloc(b->p, b->n + s * n + 1);
	memcpy(b->p + b->n, d, s * n);
	b->n += s * n;
	b->p[b->n] = '\0';
	return s * n;
}

/* A control-API call; returns the parsed answer (put it) or NULL. */
static __attribute__((unused)) struct json_object *kit_sim(struct kit *k, const char *method, const char *path,
							   const char *body)
{
	CURL *c = curl_easy_init();
	struct kit_buf b = { 0 };
	char url[512];
	snprintf(url, sizeof url, "%s%s", k->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kit_wr);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	struct curl_slist *h = NULL;
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	struct json_object *o = NULL;
	if (rc == CURLE_OK && b.p)
		o = xch_json_parse(b.p, b.n);
	if (rc != CURLE_OK || !o)
		fprintf(stderr, "sim %s %s failed: %s\n", method, path, b.p ? b.p : curl_easy_strerror(rc));
	free(b.p);
	return o;
}

static __attribute__((unused)) bool kit_post_ok(struct kit *k, const char *path, const char *body)
{
	struct json_object *o = kit_sim(k, "POST", path, body);
	bool ok = o && xch_json_bool(o, "ok", false);
	if (o && !ok)
		fprintf(stderr, "sim %s: %s\n", path, json_object_to_json_string(o));
	if (o)
		json_object_put(o);
	return ok;
}

/* Count of one endpoint ("GET /fapi/v3/positionRisk") in the sim's counters. */
static __attribute__((unused)) int64_t kit_count(struct kit *k, const char *key, const char *endpoint)
{
	char path[256];
	snprintf(path, sizeof path, "/_sim/counters?account=%s", key);
	struct json_object *o = kit_sim(k, "GET", path, NULL);
	int64_t n = endpoint ? xch_json_i64d(xch_json_get(xch_json_get(o, "endpoints"), endpoint), "count", 0)
			     : xch_json_i64d(o, "total", -1);
	if (o)
		json_object_put(o);
	return n;
}

static __attribute__((unused)) void kit_on_event(void *ud, const char *symbol, int64_t recv_ns)
{
	(void)symbol;
	(void)recv_ns;
	atomic_fetch_add(&((struct kit *)ud)->events, 1);
}

/* extra: one more "--account SPEC" for the sim, or NULL for its defaults */
static __attribute__((unused)) int kit_start_with(struct kit *k, const char *account)
{
	memset(k, 0, sizeof *k);
	if (account)
		k->pid = tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", "--account",
						     (char *)account, NULL },
					 &k->port, 5000);
	else
		k->pid = tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", NULL },
					 &k->port, 5000);
	if (k->pid <= 0)
		return -1;
	snprintf(k->base, sizeof k->base, "http://127.0.0.1:%d", k->port);
	k->sc = xcalloc(1, sizeof *k->sc);
	return 0;
}

static __attribute__((unused)) int kit_start(struct kit *k)
{
	return kit_start_with(k, NULL);
}

/* An adapter on the kit's sim: http:// / ws://, or with ca_file (NULL: plain;
 * "" = the system's trust) https:// / wss:// trusting that file; through
 * proxy (NULL: none). */
static __attribute__((unused)) struct xch *kit_adapter_tls(struct kit *k, enum rec_exchange ex, const char *key,
							   const char *secret, const char *ca_file, const char *proxy)
{
	struct xch_config c;
	memset(&c, 0, sizeof c);
	c.exchange = ex;
	const char *s = ca_file ? "s" : "";
	snprintf(c.account, sizeof c.account, "it-%s", ex == REC_EX_BINANCE ? "binance" : "bybit");
	snprintf(c.rest_url, sizeof c.rest_url, "http%s://127.0.0.1:%d", s, k->port);
	if (ex == REC_EX_BINANCE)
		snprintf(c.ws_url, sizeof c.ws_url, "ws%s://127.0.0.1:%d", s, k->port);
	else
		snprintf(c.ws_url, sizeof c.ws_url, "ws%s://127.0.0.1:%d/v5/private", s, k->port);
	if (ca_file)
		snprintf(c.ca_file, sizeof c.ca_file, "%s", ca_file);
	if (proxy)
		snprintf(c.proxy, sizeof c.proxy, "%s", proxy);
	c.api_key = key;
	c.api_secret = secret;
	c.recv_window_ms = 5000;
	c.connect_timeout_ms = 1000;
	c.request_timeout_ms = 1500;
	c.on_event = kit_on_event;
	c.on_event_ud = k;
	/* each adapter its own request budget: a rate-limit test stops the
	 * budget it hit (as it must), not the next test's */
	static int nth;
	snprintf(c.egress, sizeof c.egress, "itest-%d", ++nth);
	c.budget.limit = 1000000;
	c.budget.window_ms = 60000;
	c.budget.share = 1.0;
	c.budget.high_water = 0.9;
	c.budget.repair_reserve = 0.1;
	struct xch_err err;
	struct xch *x = xch_new(&c, &err);
	if (!x)
		return NULL;
	struct xch_stream_tuning t;
	xch_stream_tuning_default(&t);
	t.backoff_min_ms = 50;
	t.backoff_max_ms = 400;
	t.tick_ms = 50;
	t.ping_ms = 1000;
	t.stale_ms = 5000;
	xch_stream_tune(x, &t);
	return x;
}

static __attribute__((unused)) struct xch *kit_adapter(struct kit *k, enum rec_exchange ex, const char *key,
						       const char *secret)
{
	return kit_adapter_tls(k, ex, key, secret, NULL, NULL);
}

static __attribute__((unused)) void kit_stop(struct kit *k)
{
	xch_free(k->x);
	k->x = NULL;
	if (k->pid > 0)
		tu_stop_server(k->pid);
	k->pid = 0;
	free(k->sc);
	k->sc = NULL;
}

static __attribute__((unused)) int64_t kit_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the stream cache copy until pred is true or timeout. */
typedef bool (*kit_pred)(const struct rec_stream_cache *c, const void *arg);
static __attribute__((unused)) bool kit_wait(struct kit *k, kit_pred pred, const void *arg, int timeout_ms)
{
	int64_t end = kit_ms() + timeout_ms;
	do {
		if (xch_stream_copy(k->x, k->sc) == 0 && pred(k->sc, arg))
			return true;
		usleep(20000);
	} while (kit_ms() < end);
	return false;
}

static __attribute__((unused)) bool kit_is_up(const struct rec_stream_cache *c, const void *arg)
{
	(void)arg;
	return c->state == REC_SS_UP;
}

struct kit_posq {
	const char *symbol;
	enum rec_pos_idx pidx;
	double size;
};
static __attribute__((unused)) bool kit_pos_is(const struct rec_stream_cache *c, const void *arg)
{
	const struct kit_posq *q = arg;
	const struct rec_position *p = rec_stream_find_position(c, q->symbol, q->pidx);
	return p && p->size > q->size - 1e-9 && p->size < q->size + 1e-9;
}

struct kit_ordq {
	const char *id;
	bool is_algo;
	enum rec_order_status status;
};
static __attribute__((unused)) bool kit_ord_is(const struct rec_stream_cache *c, const void *arg)
{
	const struct kit_ordq *q = arg;
	const struct rec_order *o = rec_stream_find_order(c, q->id, q->is_algo);
	return o && o->status == q->status;
}

static __attribute__((unused)) const struct rec_position *kit_find_pos(const struct rec_position *v, size_t n,
								       const char *sym)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].symbol, sym))
			return &v[i];
	return NULL;
}

static __attribute__((unused)) const struct rec_order *kit_find_ord(const struct rec_order *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].id, id))
			return &v[i];
	return NULL;
}

/* Sim state's position amount for symbol ("" if none). */
static __attribute__((unused)) double kit_sim_amt(struct kit *k, const char *key, const char *sym)
{
	char path[256];
	snprintf(path, sizeof path, "/_sim/state?account=%s", key);
	struct json_object *o = kit_sim(k, "GET", path, NULL);
	struct json_object *ps = xch_json_array(o, "positions");
	double amt = 0;
	for (size_t i = 0; ps && i < json_object_array_length(ps); i++) {
		struct json_object *p = json_object_array_get_idx(ps, i);
		const char *s = xch_json_str(p, "symbol");
		if (s && !strcmp(s, sym))
			amt = xch_json_numd(p, "amt", 0);
	}
	if (o)
		json_object_put(o);
	return amt;
}

#endif
