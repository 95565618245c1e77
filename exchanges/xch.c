/* Adapter construction by exchange, the accessors of reconcile/model_venue.h
 * and the helpers every adapter shares (error filling, budget, listing of
 * symbols, stream-cache access). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/xch_int.h"
#include "base/log.h"
#include "base/xalloc.h"

int xch_err_set(struct xch_err *err, int rc, int http, long code, const char *fmt, ...)
{
	if (!err)
		return rc;
	err->rc = rc;
	err->http = http;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	log_redact(err->msg, sizeof err->msg);
	return rc;
}

struct xch *xch_new(const struct xch_config *cfg, struct xch_err *err)
{
	struct xch_err tmp;
	if (!err)
		err = &tmp;
	memset(err, 0, sizeof *err);
	if (!cfg) {
		xch_err_set(err, XCH_REJECTED, 0, 0, "no config");
		return NULL;
	}
	switch (cfg->exchange) {
	case REC_EX_BINANCE: return bn_new(cfg, err);
	case REC_EX_BYBIT: return bb_new(cfg, err);
	}
	xch_err_set(err, XCH_NOT_SUPPORTED, 0, 0, "unknown exchange %d", (int)cfg->exchange);
	return NULL;
}

void xch_budget_answer(struct xch *x, const struct xch_req *r, int rc, const struct xch_err *err)
{
	if (!x->budget || r->held || r->status == 429 || r->status == 418 || r->status == 403)
		return; /* held, or already noted by the HTTP layer */
	if (rc != XCH_RATELIMIT && rc != XCH_BANNED)
		return;
	int64_t now = wd_wall_ms();
	int64_t until = err->retry_after_ms > 0 ? now + err->retry_after_ms : 0;
	if (xch_budget_limited(x->budget, until, rc == XCH_BANNED, now))
		log_warn("budget", "account=%s %s (code %ld): every request of this IP held back", x->cfg.account,
			 xch_rc_name((enum xch_rc)rc), err->code);
}

void xch_note_rest(struct xch *x, const struct xch_req *r, bool count_limits)
{
	if (r->held)
		return; /* nothing was sent */
	if (count_limits)
		xch_http_note_limits(r, &x->limits);
	if (!x->cfg.on_rest || !r->url)
		return;
	/* the path alone: no host, no query (the query carries the signature) */
	const char *p = strstr(r->url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	char path[128];
	size_t n = p ? strcspn(p, "?#") : 0;
	if (n >= sizeof path)
		n = sizeof path - 1;
	memcpy(path, p ? p : "", n);
	path[n] = '\0';
	int64_t ms = r->done_ms > r->sent_ms ? r->done_ms - r->sent_ms : 0;
	x->cfg.on_rest(x->cfg.on_rest_ud, r->method ? r->method : "", path, r->status, ms);
}

void xch_free(struct xch *x)
{
	if (!x)
		return;
	if (x->ops && x->ops->destroy)
		x->ops->destroy(x);
	else
		free(x);
}

struct xch *xch_base_new(const struct xch_ops *ops, const struct xch_config *cfg, struct xch_err *err)
{
	if (!cfg->rest_url[0]) {
		xch_err_set(err, XCH_REJECTED, 0, 0, "rest_url missing");
		return NULL;
	}
	if (!cfg->api_key || !cfg->api_secret || !cfg->api_key[0] || !cfg->api_secret[0]) {
		xch_err_set(err, XCH_AUTH, 0, 0, "api key or secret missing");
		return NULL;
	}
	struct xch *x = xcalloc(1, sizeof *x);
	struct xch_priv *p = xcalloc(1, sizeof *p);
	x->ops = ops;
	x->cfg = *cfg;
	if (x->cfg.recv_window_ms <= 0)
		x->cfg.recv_window_ms = 5000;
	/* strip a trailing '/' so paths can be appended */
	size_t n = strlen(x->cfg.rest_url);
	while (n > 0 && x->cfg.rest_url[n - 1] == '/')
		x->cfg.rest_url[--n] = '\0';
	n = strlen(x->cfg.ws_url);
	while (n > 0 && x->cfg.ws_url[n - 1] == '/')
		x->cfg.ws_url[--n] = '\0';
	x->limits.used_weight_1m = -1;
	x->limits.limit_status = -1;
	x->limits.limit = -1;
	x->priv = p;
	p->http = xch_http_new(cfg->connect_timeout_ms, cfg->request_timeout_ms, cfg->max_body);
	if (!p->http) {
		free(p);
		free(x);
		xch_err_set(err, XCH_NETWORK, 0, 0, "curl init failed");
		return NULL;
	}
	xch_stream_tuning_default(&p->tune);
	x->budget = xch_budget_get(cfg->exchange, cfg->egress, cfg->budget.limit > 0 ? &cfg->budget : NULL);
	xch_http_set_budget(p->http, x->budget, cfg->exchange);
	xch_http_set_transport(p->http, cfg->ca_file, cfg->proxy);
	return x;
}

/* The whole listing, filtered to symbol (adapters without a targeted
 * listing, e.g. the fake one). */
static int filtered_listing(struct xch *x, const char *symbol, struct xch_listing *l)
{
	int rc = x->ops->fetch_listing(x, l);
	size_t w = 0;
	for (size_t i = 0; i < l->npos; i++)
		if (strcmp(l->pos[i].symbol, symbol) == 0)
			l->pos[w++] = l->pos[i];
	l->npos = w;
	w = 0;
	for (size_t i = 0; i < l->nord; i++)
		if (strcmp(l->ord[i].symbol, symbol) == 0)
			l->ord[w++] = l->ord[i];
	l->nord = w;
	return rc;
}

static void append(void **dst, size_t *n, const void *src, size_t m, size_t sz)
{
	if (m == 0)
		return;
	*dst = xrealloc(*dst, (*n + m) * sz);
	memcpy((char *)*dst + *n * sz, src, m * sz);
	*n += m;
}

int xch_fetch_listing_of(struct xch *x, const char (*sym)[REC_SYM_MAX], size_t n, struct xch_listing *out)
{
	if (n == 0)
		return x->ops->fetch_listing(x, out);
	memset(out, 0, sizeof *out);
	for (size_t k = 0; k < n; k++) {
		struct xch_listing one;
		if (x->ops->fetch_listing_of)
			x->ops->fetch_listing_of(x, sym[k], &one);
		else
			filtered_listing(x, sym[k], &one);
		if (out->pos_rc == XCH_OK && one.pos_rc != XCH_OK) {
			out->pos_rc = one.pos_rc;
			out->pos_err = one.pos_err;
		}
		if (out->ord_rc == XCH_OK && one.ord_rc != XCH_OK) {
			out->ord_rc = one.ord_rc;
			out->ord_err = one.ord_err;
		}
		append((void **)&out->pos, &out->npos, one.pos, one.npos, sizeof *one.pos);
		append((void **)&out->ord, &out->nord, one.ord, one.nord, sizeof *one.ord);
		if (k == 0 || one.fetched_ms < out->fetched_ms)
			out->fetched_ms = one.fetched_ms; /* the oldest answer */
		xch_listing_free(&one);
	}
	return out->pos_rc != XCH_OK ? out->pos_rc : out->ord_rc;
}

const struct xch_ops *xch_ops(const struct xch *x)
{
	return x->ops;
}

enum rec_exchange xch_exchange(const struct xch *x)
{
	return x->cfg.exchange;
}

void xch_set_prio(struct xch *x, enum xch_prio prio)
{
	if (x && x->budget) /* the real adapters (xch_base_new) */
		xch_http_set_prio(xch_priv_of(x)->http, prio);
}

void xch_base_free(struct xch *x)
{
	if (!x)
		return;
	struct xch_priv *p = xch_priv_of(x);
	if (p) {
		xch_stream_stop(x);
		xch_http_free(p->http);
		free(p);
	}
	xch_budget_put(x->budget);
	free(x);
}

/* The cache's header: state, times, reconnects (the entries apart). */
static void copy_header(struct rec_stream_cache *out, const struct rec_stream_cache *c)
{
	out->state = c->state;
	out->connected_ms = c->connected_ms;
	out->last_msg_ms = c->last_msg_ms;
	out->last_event_ms = c->last_event_ms;
	out->reconnects = c->reconnects;
}

int xch_real_stream_copy(struct xch *x, struct rec_stream_cache *out)
{
	struct xch_priv *p = xch_priv_of(x);
	if (!p || !p->stream)
		return -1;
	struct xch_stream *s = p->stream;
	pthread_mutex_lock(&s->mu);
	const struct rec_stream_cache *c = s->cache;
	/* only the used parts: the arrays are large */
	copy_header(out, c);
	out->npos = c->npos;
	memcpy(out->pos, c->pos, c->npos * sizeof c->pos[0]);
	out->nord = c->nord;
	memcpy(out->ord, c->ord, c->nord * sizeof c->ord[0]);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static bool sym_in(const char (*sym)[REC_SYM_MAX], size_t n, const char *symbol)
{
	for (size_t k = 0; k < n; k++)
		if (strcmp(sym[k], symbol) == 0)
			return true;
	return false;
}

/* The entries of out not of sym[0..n) dropped, the order kept. */
static void keep_symbols(struct rec_stream_cache *out, const char (*sym)[REC_SYM_MAX], size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < out->npos; i++)
		if (sym_in(sym, n, out->pos[i].symbol))
			out->pos[w++] = out->pos[i];
	out->npos = w;
	w = 0;
	for (size_t i = 0; i < out->nord; i++)
		if (sym_in(sym, n, out->ord[i].symbol))
			out->ord[w++] = out->ord[i];
	out->nord = w;
}

int xch_stream_status(struct xch *x, struct xch_stream_status *out)
{
	struct rec_stream_cache *c;
	if (!x || x->ops->stream_copy != xch_real_stream_copy) {
		/* an adapter of its own (the fake): a whole copy, tests only */
		if (!x || !x->ops->stream_copy)
			return -1;
		c = xmalloc(sizeof *c);
		int rc = x->ops->stream_copy(x, c);
		if (rc == 0)
			*out = (struct xch_stream_status){ c->state, c->last_msg_ms, c->reconnects };
		free(c);
		return rc;
	}
	struct xch_priv *p = xch_priv_of(x);
	if (!p || !p->stream)
		return -1;
	struct xch_stream *s = p->stream;
	pthread_mutex_lock(&s->mu);
	c = s->cache;
	*out = (struct xch_stream_status){ c->state, c->last_msg_ms, c->reconnects };
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int xch_stream_copy_of(struct xch *x, const char (*sym)[REC_SYM_MAX], size_t n, struct rec_stream_cache *out)
{
	if (n == 0 || !x || x->ops->stream_copy != xch_real_stream_copy) {
		/* everything, or an adapter of its own (the fake): copy, then keep */
		int rc = xch_stream_copy(x, out);
		if (rc == 0 && n)
			keep_symbols(out, sym, n);
		return rc;
	}
	struct xch_priv *p = xch_priv_of(x);
	if (!p || !p->stream)
		return -1;
	struct xch_stream *s = p->stream;
	pthread_mutex_lock(&s->mu);
	const struct rec_stream_cache *c = s->cache;
	copy_header(out, c);
	out->npos = 0;
	for (size_t i = 0; i < c->npos; i++)
		if (sym_in(sym, n, c->pos[i].symbol))
			out->pos[out->npos++] = c->pos[i];
	out->nord = 0;
	for (size_t i = 0; i < c->nord; i++)
		if (sym_in(sym, n, c->ord[i].symbol))
			out->ord[out->nord++] = c->ord[i];
	pthread_mutex_unlock(&s->mu);
	return 0;
}
