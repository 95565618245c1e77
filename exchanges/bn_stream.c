/* Binance USD-M user data stream (docs/exchange-facts.md 1.9).
 *
 * DESIGN: runs on the stream hub's service thread; the listenKey calls run
 * on its workers (prepare, keepalive_work). Each (re)connect POSTs
 * /fapi/v1/listenKey (returns the account's active key, extended, or a new
 * one) and connects to ws_url + "/private/ws/" + key. The key is kept alive
 * with PUT every 30 minutes and is never DELETEd: a bot on the same account
 * shares it. listenKeyExpired or a -1125 keep-alive answer => reconnect with
 * a fresh key; the connection is rotated before Binance's 24 h limit.
 * Events update the stream cache for every symbol, older never over newer;
 * facts a sparse update leaves out (trailing activation) are carried over
 * from the cached state (bn_order_carry). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bn_parse.h"
#include "exchanges/bn_rest.h"
#include "exchanges/jsonx.h"
#include "base/log.h"
#include "base/xalloc.h"

#define COMP "binance-stream"

/* USER_STREAM call from a hub worker (the stream's own curl handle). */
static int key_call(struct xch_stream *s, const char *method, struct xch_err *err)
{
	struct xch_req r;
	struct xch_req *rp = &r;
	bn_req_build(s->x, &r, method, "/fapi/v1/listenKey", NULL, false);
	xch_http_run(s->http, &rp, 1);
	int rc = bn_req_finish(s->x, &r, false, err);
	if (rc == XCH_OK && !strcmp(method, "POST")) {
		struct json_object *o = xch_json_parse(r.resp, r.resp_len);
		char key[sizeof s->listen_key] = "";
		xch_json_copy(o, "listenKey", key, sizeof key);
		if (o)
			json_object_put(o);
		if (!key[0])
			rc = xch_err_set(err, XCH_MALFORMED, (int)r.status, 0, "listenKey answer without key");
		else
			memcpy(s->listen_key, key, sizeof key);
	}
	xch_req_clear(&r);
	return rc;
}

static int bn_prepare(struct xch_stream *s, char *url, size_t cap)
{
	struct xch_err err = { 0 };
	int rc = key_call(s, "POST", &err);
	s->listenkey_posts++;
	if (rc != XCH_OK) {
		log_warn(COMP, "account=%s listenKey create failed: %s (%s)", s->x->cfg.account, xch_rc_name(rc),
			 err.msg);
		return -1;
	}
	s->key_ms = wd_mono_ms();
	snprintf(url, cap, "%s/private/ws/%s", s->x->cfg.ws_url, s->listen_key);
	return 0;
}

static void bn_open(struct xch_stream *s)
{
	(void)s;
}

static void bn_close(struct xch_stream *s)
{
	(void)s;
}

static void apply_event(struct xch_stream *s, struct bn_event *ev, int64_t recv_ns)
{
	char syms[64][REC_SYM_MAX];
	size_t nsyms = 0;
	int64_t now = wd_wall_ms();

	xch_stream_lock(s);
	if (ev->kind == BN_EV_ACCOUNT) {
		for (size_t i = 0; i < ev->npos; i++) {
			if (rec_stream_apply_position(s->cache, &ev->pos[i]) < 0)
				log_warn(COMP, "account=%s stream cache full (positions)", s->x->cfg.account);
			if (nsyms < 64)
				snprintf(syms[nsyms++], REC_SYM_MAX, "%s", ev->pos[i].symbol);
		}
		if (ev->npos == 0)
			syms[nsyms++][0] = '\0'; /* balance-only update: account level */
	} else {
		/* sparse updates (ALGO_UPDATE without "ia" or activation price)
		 * keep what an earlier event said */
		bn_order_carry(rec_stream_find_order(s->cache, ev->ord.id, ev->ord.is_algo), &ev->ord);
		if (rec_stream_apply_order(s->cache, &ev->ord) < 0)
			log_warn(COMP, "account=%s stream cache full (orders)", s->x->cfg.account);
		snprintf(syms[nsyms++], REC_SYM_MAX, "%s", ev->ord.symbol);
	}
	s->cache->last_event_ms = now;
	xch_stream_unlock(s);
	for (size_t i = 0; i < nsyms; i++)
		xch_stream_event(s, syms[i], recv_ns);
}

static void bn_message(struct xch_stream *s, const char *msg, size_t len, int64_t recv_ns)
{
	struct bn_event ev;
	if (bn_parse_event(msg, len, wd_wall_ms(), &ev) != XCH_OK) {
		log_warn(COMP, "account=%s unparsable stream message (%zu bytes) ignored", s->x->cfg.account, len);
		return;
	}
	switch (ev.kind) {
	case BN_EV_ACCOUNT:
	case BN_EV_ORDER:
	case BN_EV_ALGO: apply_event(s, &ev, recv_ns); break;
	case BN_EV_KEY_EXPIRED:
		log_info(COMP, "account=%s listenKey expired, renewing", s->x->cfg.account);
		s->listen_key[0] = '\0';
		xch_stream_drop(s); /* reconnect POSTs a new key */
		break;
	default: break;
	}
	bn_event_free(&ev);
}

/* The keep-alive PUT runs on a hub worker (blocking REST must not stall
 * the other streams); its answer is handled back on the service thread. */
static void keepalive_work(struct xch_stream *s)
{
	memset(&s->job_err, 0, sizeof s->job_err);
	s->job_rc = key_call(s, "PUT", &s->job_err);
	s->listenkey_puts++;
}

static void keepalive_done(struct xch_stream *s)
{
	if (s->job_rc == XCH_OK)
		return;
	log_warn(COMP, "account=%s listenKey keep-alive failed: %s code=%ld", s->x->cfg.account, xch_rc_name(s->job_rc),
		 s->job_err.code);
	if (s->job_err.code == -1125) {
		/* the key is gone: reconnect with a new one */
		s->listen_key[0] = '\0';
		xch_stream_drop(s);
	} else {
		/* transient: try again soon rather than in 30 minutes */
		int64_t again = s->tune.keepalive_ms > 60000 ? 60000 : s->tune.keepalive_ms / 2;
		s->key_ms = wd_mono_ms() - s->tune.keepalive_ms + again;
	}
}

static void bn_tick(struct xch_stream *s, int64_t now)
{
	if (s->established && s->tune.rotate_ms > 0 && now - s->opened_mono_ms >= s->tune.rotate_ms) {
		log_info(COMP, "account=%s rotating stream connection before 24 h", s->x->cfg.account);
		s->opened_mono_ms = now;
		xch_stream_drop(s);
		return;
	}
	/* Binance may stay silent for hours: a ping frame every ping_ms
	 * proves the connection alive (the pong counts as a message). */
	if (s->established && now - s->last_ping_ms >= s->tune.ping_ms) {
		s->last_ping_ms = now;
		xch_stream_ws_ping(s);
	}
	if (!s->listen_key[0] || now - s->key_ms < s->tune.keepalive_ms)
		return;
	s->key_ms = now;
	xch_stream_defer(s, keepalive_work, keepalive_done);
}

const struct xch_stream_proto bn_stream_proto = {
	.prepare = bn_prepare,
	.on_open = bn_open,
	.on_message = bn_message,
	.on_tick = bn_tick,
	.on_close = bn_close,
};
