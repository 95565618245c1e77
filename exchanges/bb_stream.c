/* Bybit v5 private stream (docs/exchange-facts.md 2.9).
 *
 * DESIGN: runs in the adapter's stream thread. On connect: auth op
 * (hex HMAC of "GET/realtime" + expires), then subscribe to position,
 * order and execution once auth succeeded; {"op":"ping"} every 20 s (the
 * server closes silent connections). A failed auth drops the connection and
 * retries with backoff. Each position row updates the cache by (symbol,
 * positionIdx) with seq ordering, and its stopLoss is mirrored as the same
 * synthesized order the REST listing shows, so both views agree (its
 * trigger direction is the position's loss side). Stream orders carry no
 * settle coin: settle stays "" (the REST listing sets it per coin). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bb_rest.h"
#include "exchanges/sign.h"
#include "base/log.h"
#include "base/xalloc.h"

#define COMP "bybit-stream"
#define AUTH_TIMEOUT_MS 10000

static int bb_prepare(struct xch_stream *s, char *url, size_t cap)
{
	s->needs_auth = true;
	snprintf(url, cap, "%s", s->x->cfg.ws_url);
	return 0;
}

static void bb_open(struct xch_stream *s)
{
	struct xch *x = s->x;
	int64_t expires = wd_wall_ms() + __atomic_load_n(&x->clock_offset_ms, __ATOMIC_RELAXED) + 10000;
	char sig[XCH_SIG_HEX];
	bb_sign_ws(x->cfg.api_secret, expires, sig);
	struct json_object *m = json_object_new_object();
	json_object_object_add(m, "req_id", json_object_new_string("vigil-auth"));
	json_object_object_add(m, "op", json_object_new_string("auth"));
	struct json_object *args = json_object_new_array();
	json_object_array_add(args, json_object_new_string(x->cfg.api_key));
	json_object_array_add(args, json_object_new_int64(expires));
	json_object_array_add(args, json_object_new_string(sig));
	json_object_object_add(m, "args", args);
	xch_stream_send(s, xstrdup(json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN)));
	json_object_put(m);
}

static void bb_close(struct xch_stream *s)
{
	s->authed = false;
}

static void subscribe(struct xch_stream *s)
{
	xch_stream_send(s, xstrdup("{\"req_id\":\"vigil-sub\",\"op\":\"subscribe\","
				   "\"args\":[\"position\",\"order\",\"execution\"]}"));
}

static void apply_positions(struct xch_stream *s, struct bb_ws_msg *m, int64_t recv_ns)
{
	int64_t now = wd_wall_ms();
	xch_stream_lock(s);
	for (size_t i = 0; i < m->npos; i++) {
		const struct rec_position *p = &m->pos[i];
		int r = rec_stream_apply_position(s->cache, p);
		if (r < 0)
			log_warn(COMP, "account=%s stream cache full (positions)", s->x->cfg.account);
		if (r != 0)
			continue; /* older than the cached state, or no room */
		/* mirror the position's stopLoss as the synthesized order */
		struct rec_order so;
		bb_stop_from_position(p, &so);
		const struct rec_order *cur = rec_stream_find_order(s->cache, so.id, false);
		if (p->stop_loss > 0 && p->size > 0) {
			so.status = REC_OST_NEW;
		} else {
			so.status = REC_OST_CANCELED;
			if (!cur || cur->status == REC_OST_CANCELED)
				continue;
		}
		if (cur && so.update_ms < cur->update_ms)
			so.update_ms = cur->update_ms; /* the position update is newer */
		rec_stream_apply_order(s->cache, &so);
	}
	s->cache->last_event_ms = now;
	xch_stream_unlock(s);
	for (size_t i = 0; i < m->npos; i++)
		xch_stream_event(s, m->pos[i].symbol, recv_ns);
}

static void apply_orders(struct xch_stream *s, struct bb_ws_msg *m, int64_t recv_ns)
{
	xch_stream_lock(s);
	for (size_t i = 0; i < m->nord; i++)
		if (rec_stream_apply_order(s->cache, &m->ord[i]) < 0)
			log_warn(COMP, "account=%s stream cache full (orders)", s->x->cfg.account);
	s->cache->last_event_ms = wd_wall_ms();
	xch_stream_unlock(s);
	for (size_t i = 0; i < m->nord; i++)
		xch_stream_event(s, m->ord[i].symbol, recv_ns);
}

static void bb_message(struct xch_stream *s, const char *msg, size_t len, int64_t recv_ns)
{
	struct bb_ws_msg m;
	if (bb_parse_ws(msg, len, wd_wall_ms(), &m) != XCH_OK) {
		log_warn(COMP, "account=%s unparsable stream message (%zu bytes) ignored", s->x->cfg.account, len);
		return;
	}
	switch (m.kind) {
	case BB_WS_AUTH:
		if (m.success) {
			s->authed = true;
			subscribe(s);
		} else {
			log_warn(COMP, "account=%s stream auth refused: %s", s->x->cfg.account, m.ret_msg);
			xch_stream_drop(s);
		}
		break;
	case BB_WS_SUBSCRIBE:
		if (!m.success)
			log_error(COMP, "account=%s subscribe refused: %s", s->x->cfg.account, m.ret_msg);
		break;
	case BB_WS_POSITION: apply_positions(s, &m, recv_ns); break;
	case BB_WS_ORDER: apply_orders(s, &m, recv_ns); break;
	case BB_WS_EXECUTION:
		xch_stream_lock(s);
		s->cache->last_event_ms = wd_wall_ms();
		xch_stream_unlock(s);
		for (size_t i = 0; i < m.nsyms; i++)
			xch_stream_event(s, m.syms[i], recv_ns);
		break;
	default: break;
	}
	bb_ws_msg_free(&m);
}

static void bb_tick(struct xch_stream *s, int64_t now)
{
	if (!s->established)
		return;
	if (!s->authed && now - s->opened_mono_ms > AUTH_TIMEOUT_MS) {
		log_warn(COMP, "account=%s no auth answer, reconnecting", s->x->cfg.account);
		s->opened_mono_ms = now;
		xch_stream_drop(s);
		return;
	}
	if (s->authed && now - s->last_ping_ms >= s->tune.ping_ms) {
		s->last_ping_ms = now;
		xch_stream_send(s, xstrdup("{\"req_id\":\"vigil-ping\",\"op\":\"ping\"}"));
	}
}

const struct xch_stream_proto bb_stream_proto = {
	.prepare = bb_prepare,
	.on_open = bb_open,
	.on_message = bb_message,
	.on_tick = bb_tick,
	.on_close = bb_close,
};
