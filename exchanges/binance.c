/* The Binance USD-M futures adapter (docs/exchange-facts.md Part 1): REST over
 * libcurl with HMAC signing and a learned clock offset, the Algo Service
 * for conditional orders (stop-losses are invisible in openOrders since
 * 2025-12-09, so every order view merges openAlgoOrders), and the
 * listenKey user stream in bn_stream.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bn_parse.h"
#include "exchanges/bn_rest.h"
#include "exchanges/sign.h"
#include "exchanges/xch_decimal.h"
#include "base/log.h"
#include "base/xalloc.h"

#define COMP "binance"

/* ---- request plumbing ---- */

/* The REQUEST_WEIGHT of a call (docs/exchange-facts.md 1.8), which the
 * request budget counts: the open-order lists cost 40 without a symbol and
 * 1 with one; positionRisk / account 5; positionSide/dual 30; most others
 * 1 (new orders weigh 0 on the IP, counted 1 here to stay on the safe side). */
static int bn_weight(const char *path, const char *params)
{
	bool sym = params && (!strncmp(params, "symbol=", 7) || strstr(params, "&symbol="));
	if (!strcmp(path, "/fapi/v1/openOrders") || !strcmp(path, "/fapi/v1/openAlgoOrders"))
		return sym ? 1 : 40;
	if (strstr(path, "/positionRisk") || !strcmp(path, "/fapi/v3/account") ||
	    !strcmp(path, "/fapi/v1/allAlgoOrders"))
		return 5;
	if (!strcmp(path, "/fapi/v1/positionSide/dual"))
		return 30;
	return 1;
}

void bn_req_build(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *params, bool sign)
{
	char *q;
	memset(r, 0, sizeof *r);
	r->method = method;
	if (sign) {
		int64_t ts = wd_wall_ms() + __atomic_load_n(&x->clock_offset_ms, __ATOMIC_RELAXED);
		char *base = xasprintf("%s%srecvWindow=%" PRId64 "&timestamp=%" PRId64, params ? params : "",
				       params && *params ? "&" : "", x->cfg.recv_window_ms, ts);
		char sig[XCH_SIG_HEX];
		bn_sign(x->cfg.api_secret, base, NULL, sig);
		q = xasprintf("%s&signature=%s", base, sig);
		free(base);
	} else {
		q = xstrdup(params ? params : "");
	}
	bool in_body = !strcmp(method, "POST") || !strcmp(method, "PUT");
	if (in_body || !*q) {
		r->url = xasprintf("%s%s", x->cfg.rest_url, path);
		if (in_body) {
			r->body = q;
			q = NULL;
		}
	} else {
		r->url = xasprintf("%s%s?%s", x->cfg.rest_url, path, q);
	}
	free(q);
	char *h = xasprintf("X-MBX-APIKEY: %s", x->cfg.api_key);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	if (in_body)
		r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/x-www-form-urlencoded");
	r->weight = bn_weight(path, params);
}

int bn_req_finish(struct xch *x, struct xch_req *r, bool count, struct xch_err *err)
{
	xch_note_rest(x, r, count);
	int rc = xch_http_transport_rc(r, err);
	if (rc != XCH_OK)
		return rc;
	return bn_check_answer(r->status, r->resp, r->resp_len, r->retry_after_ms, err);
}

static int server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	struct xch_req r;
	struct xch_req *rp = &r;
	bn_req_build(x, &r, "GET", "/fapi/v1/time", NULL, false);
	xch_http_run(xch_priv_of(x)->http, &rp, 1);
	int rc = bn_req_finish(x, &r, true, err);
	if (rc == XCH_OK)
		rc = bn_parse_server_time(r.resp, r.resp_len, ms, err);
	if (rc == XCH_OK) {
		/* offset against the midpoint of the round trip */
		__atomic_store_n(&x->clock_offset_ms, *ms - (r.sent_ms + r.done_ms) / 2, __ATOMIC_RELAXED);
		xch_priv_of(x)->clock_synced = true;
	}
	xch_req_clear(&r);
	return rc;
}

int bn_sync_clock(struct xch *x, struct xch_err *err)
{
	int64_t ms;
	int rc = server_time(x, &ms, err);
	if (rc == XCH_OK)
		log_debug(COMP, "account=%s clock_offset_ms=%" PRId64, x->cfg.account, x->clock_offset_ms);
	return rc;
}

int bn_call(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *params, bool sign,
	    struct xch_err *err)
{
	struct xch_priv *p = xch_priv_of(x);
	int rc;
	if (sign && !p->clock_synced) {
		rc = bn_sync_clock(x, err);
		if (rc != XCH_OK) {
			memset(r, 0, sizeof *r);
			return rc;
		}
	}
	for (int attempt = 0;; attempt++) {
		struct xch_req *rp = r;
		bn_req_build(x, r, method, path, params, sign);
		xch_http_run(p->http, &rp, 1);
		rc = bn_req_finish(x, r, true, err);
		if (rc != XCH_TIMESTAMP || !sign || attempt > 0)
			return rc;
		/* -1021: our clock drifted; learn the offset again, retry once */
		xch_req_clear(r);
		struct xch_err e2 = { 0 };
		if (bn_sync_clock(x, &e2) != XCH_OK) {
			memset(r, 0, sizeof *r);
			return rc;
		}
	}
}

static void clear_err(struct xch_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

/* ---- operations ---- */

static int bn_server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	clear_err(err);
	return server_time(x, ms, err);
}

static int bn_instruments(struct xch *x, struct xch_instrument **out, size_t *n, struct xch_err *err)
{
	struct xch_req r;
	*out = NULL;
	*n = 0;
	clear_err(err);
	int rc = bn_call(x, &r, "GET", "/fapi/v1/exchangeInfo", NULL, false, err);
	if (rc == XCH_OK)
		rc = bn_parse_instruments(r.resp, r.resp_len, out, n, err);
	xch_req_clear(&r);
	return rc;
}

static int bn_positions(struct xch *x, struct rec_position **out, size_t *n, struct xch_err *err)
{
	struct xch_req r;
	*out = NULL;
	*n = 0;
	clear_err(err);
	int rc = bn_call(x, &r, "GET", "/fapi/v3/positionRisk", NULL, true, err);
	if (rc == XCH_OK)
		rc = bn_parse_positions(r.resp, r.resp_len, wd_wall_ms(), out, n, err);
	xch_req_clear(&r);
	return rc;
}

/* Parallel run of signed GETs with one re-sync + retry on -1021. */
static void run_signed(struct xch *x, struct xch_req *r, const char *const *paths, size_t n, const char *params,
		       struct bn_list_sink *const *sinks, int *rc, struct xch_err *errs)
{
	struct xch_priv *p = xch_priv_of(x);
	struct xch_req *rp[XCH_HTTP_MAX_PAR] = { 0 };
	/* No server-time call first, even unsynced: a listing costs only its
	 * own calls (a cron audit), and a -1021 below re-syncs and retries. */
	for (size_t i = 0; i < n; i++) {
		bn_req_build(x, &r[i], "GET", paths[i], params, true);
		r[i].stream = sinks ? bn_list_sink_stream(sinks[i]) : NULL;
		rp[i] = &r[i];
	}
	xch_http_run(p->http, rp, n);
	bool skew = false;
	for (size_t i = 0; i < n; i++) {
		rc[i] = bn_req_finish(x, &r[i], true, &errs[i]);
		skew |= rc[i] == XCH_TIMESTAMP;
	}
	if (!skew)
		return;
	struct xch_err e = { 0 };
	if (bn_sync_clock(x, &e) != XCH_OK)
		return;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc[i] != XCH_TIMESTAMP)
			continue;
		xch_req_clear(&r[i]);
		bn_req_build(x, &r[i], "GET", paths[i], params, true);
		r[i].stream = sinks ? bn_list_sink_stream(sinks[i]) : NULL;
		rp[k++] = &r[i];
	}
	xch_http_run(p->http, rp, k);
	for (size_t i = 0; i < n; i++)
		if (rc[i] == XCH_TIMESTAMP) {
			memset(&errs[i], 0, sizeof errs[i]);
			rc[i] = bn_req_finish(x, &r[i], true, &errs[i]);
		}
}

/* reg / alg were streamed into sreg / salg (or not: bn_list_take_orders). */
static int merge_orders(struct xch_req *reg, struct xch_req *alg, struct bn_list_sink *sreg, struct bn_list_sink *salg,
			struct rec_order **out, size_t *n, struct xch_err *err)
{
	struct rec_order *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	int rc = bn_list_take_orders(sreg, reg->streamed, reg->resp, reg->resp_len, &a, &na, err);
	if (rc == XCH_OK)
		rc = bn_list_take_orders(salg, alg->streamed, alg->resp, alg->resp_len, &b, &nb, err);
	if (rc != XCH_OK) {
		free(a);
		free(b);
		return rc;
	}
	if (na + nb == 0) {
		*out = NULL;
		*n = 0;
		return XCH_OK;
	}
	*out = xcalloc(na + nb, sizeof **out);
	if (na)
		memcpy(*out, a, na * sizeof *a);
	if (nb)
		memcpy(*out + na, b, nb * sizeof *b);
	*n = na + nb;
	free(a);
	free(b);
	return XCH_OK;
}

static const char *const listing_paths[3] = {
	"/fapi/v3/positionRisk",
	"/fapi/v1/openOrders",
	"/fapi/v1/openAlgoOrders",
};

/* Regular + algo open orders; params "" = every symbol (weight 40 + 40),
 * "symbol=S" = one (1 + 1). */
static int open_orders_q(struct xch *x, const char *params, struct rec_order **out, size_t *n, struct xch_err *err)
{
	struct xch_req r[2];
	struct xch_err e[2] = { { 0 } };
	int rc[2];
	*out = NULL;
	*n = 0;
	clear_err(err);
	struct bn_list_sink *sk[2] = { bn_list_sink_new(BN_LIST_ORDERS), bn_list_sink_new(BN_LIST_ALGO_ORDERS) };
	run_signed(x, r, listing_paths + 1, 2, params, sk, rc, e);
	int res = rc[0] != XCH_OK ? rc[0] : rc[1];
	if (res != XCH_OK) {
		if (err)
			*err = rc[0] != XCH_OK ? e[0] : e[1];
	} else {
		res = merge_orders(&r[0], &r[1], sk[0], sk[1], out, n, err);
	}
	xch_req_clear(&r[0]);
	xch_req_clear(&r[1]);
	bn_list_sink_free(sk[0]);
	bn_list_sink_free(sk[1]);
	return res;
}

static int bn_open_orders(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err)
{
	return open_orders_q(x, NULL, out, n, err);
}

static int bn_open_orders_of(struct xch *x, const char *symbol, struct rec_order **out, size_t *n, struct xch_err *err)
{
	char *sym = xch_urlencode(symbol);
	char *q = xasprintf("symbol=%s", sym);
	int rc = open_orders_q(x, q, out, n, err);
	free(q);
	free(sym);
	return rc;
}

/* params NULL = every symbol (weight 85), "symbol=S" = one (5 + 1 + 1). */
static int listing_q(struct xch *x, const char *params, struct xch_listing *l)
{
	struct xch_req r[3];
	struct xch_err e[3] = { { 0 } };
	int rc[3];
	memset(l, 0, sizeof *l);
	/* each element becomes the model as it arrives (issue 21) */
	struct bn_list_sink *sk[3] = { bn_list_sink_new(BN_LIST_POSITIONS), bn_list_sink_new(BN_LIST_ORDERS),
				       bn_list_sink_new(BN_LIST_ALGO_ORDERS) };
	run_signed(x, r, listing_paths, 3, params, sk, rc, e);
	int64_t now = wd_wall_ms();

	l->pos_rc = rc[0];
	l->pos_err = e[0];
	if (rc[0] == XCH_OK)
		l->pos_rc = bn_list_take_positions(sk[0], r[0].streamed, r[0].resp, r[0].resp_len, now, &l->pos,
						   &l->npos, &l->pos_err);

	l->ord_rc = rc[1] != XCH_OK ? rc[1] : rc[2];
	l->ord_err = rc[1] != XCH_OK ? e[1] : e[2];
	if (l->ord_rc == XCH_OK)
		l->ord_rc = merge_orders(&r[1], &r[2], sk[1], sk[2], &l->ord, &l->nord, &l->ord_err);
	l->fetched_ms = now;
	for (int i = 0; i < 3; i++) {
		xch_req_clear(&r[i]);
		bn_list_sink_free(sk[i]);
	}
	return l->pos_rc != XCH_OK ? l->pos_rc : l->ord_rc;
}

static int bn_fetch_listing(struct xch *x, struct xch_listing *l)
{
	return listing_q(x, NULL, l);
}

static int bn_fetch_listing_of(struct xch *x, const char *symbol, struct xch_listing *l)
{
	char *sym = xch_urlencode(symbol);
	char *q = xasprintf("symbol=%s", sym);
	int rc = listing_q(x, q, l);
	free(q);
	free(sym);
	return rc;
}

static int bn_get_order(struct xch *x, const char *symbol, const char *id, const char *client_id, bool is_algo,
			struct rec_order *out, struct xch_err *err)
{
	struct xch_req r;
	char *params;
	clear_err(err);
	memset(out, 0, sizeof *out);
	bool by_id = id && *id;
	if (!by_id && !(client_id && *client_id))
		return xch_err_set(err, XCH_REJECTED, 0, 0, "get_order: no id");
	char *ev = xch_urlencode(by_id ? id : client_id);
	char *sym = xch_urlencode(symbol ? symbol : "");
	if (is_algo)
		params = xasprintf("%s=%s", by_id ? "algoId" : "clientAlgoId", ev);
	else
		params = xasprintf("symbol=%s&%s=%s", sym, by_id ? "orderId" : "origClientOrderId", ev);
	int rc = bn_call(x, &r, "GET", is_algo ? "/fapi/v1/algoOrder" : "/fapi/v1/order", params, true, err);
	if (rc == XCH_OK)
		rc = is_algo ? bn_parse_algo_order(r.resp, r.resp_len, out, err)
			     : bn_parse_order(r.resp, r.resp_len, out, err);
	xch_req_clear(&r);
	free(params);
	free(ev);
	free(sym);
	return rc;
}

static const char *oside_str(enum rec_oside s)
{
	return s == REC_BUY ? "BUY" : "SELL";
}

/* positionSide for hedge mode: the request's pidx, else from the side. */
static const char *hedge_side(enum rec_pos_idx pidx, enum rec_side side)
{
	if (pidx == REC_PIDX_LONG)
		return "LONG";
	if (pidx == REC_PIDX_SHORT)
		return "SHORT";
	return side == REC_SIDE_LONG ? "LONG" : "SHORT";
}

static int bn_close_position(struct xch *x, const struct xch_close_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	/* AVLUSDT: the closing side comes only from the exchange-confirmed
	 * position side; unknown => send nothing. */
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing to close %s: position side unknown", req->symbol);
	if (!(req->qty > 0))
		return xch_err_set(err, XCH_NO_POSITION, 0, 0, "refusing to close %s: quantity %g", req->symbol,
				   req->qty);
	char qty[48];
	/* exact multiple of the step, no binary noise / exponent (issue 16) */
	if (xch_fmt_decimal(qty, sizeof qty, req->qty, req->qty_step) < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0,
				   "refusing to close %s: quantity %.17g step %.17g "
				   "has no exact decimal form",
				   req->symbol, req->qty, req->qty_step);
	char *sym = xch_urlencode(req->symbol);
	char *cid = xch_urlencode(req->client_id);
	char *mode = x->cfg.hedge_mode ? xasprintf("positionSide=%s", hedge_side(req->pidx, req->position_side))
				       : xstrdup("reduceOnly=true");
	char *params = xasprintf("symbol=%s&side=%s&type=MARKET&quantity=%s&%s%s%s", sym, oside_str(side), qty, mode,
				 *cid ? "&newClientOrderId=" : "", cid);
	struct xch_req r;
	int rc = bn_call(x, &r, "POST", "/fapi/v1/order", params, true, err);
	if (rc == XCH_OK)
		rc = bn_parse_ack(r.resp, r.resp_len, false, ack, err);
	log_info(COMP, "account=%s close symbol=%s side=%s qty=%s rc=%s", x->cfg.account, req->symbol, oside_str(side),
		 qty, xch_rc_name(rc));
	xch_req_clear(&r);
	free(params);
	free(mode);
	free(sym);
	free(cid);
	return rc;
}

static int bn_place_stop(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: position side unknown", req->symbol);
	if (!(req->trigger_price > 0) || req->qty < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: bad trigger/qty", req->symbol);
	char trig[48], qty[48];
	/* exact multiples of tick / step, no binary noise / exponent, a tiny
	 * price never printed as 0 (issue 16) */
	if (xch_fmt_decimal(trig, sizeof trig, req->trigger_price, req->price_tick) < 0 ||
	    xch_fmt_decimal(qty, sizeof qty, req->qty, req->qty_step) < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0,
				   "refusing stop for %s: trigger %.17g tick %.17g / "
				   "qty %.17g step %.17g has no exact decimal form",
				   req->symbol, req->trigger_price, req->price_tick, req->qty, req->qty_step);
	char *sym = xch_urlencode(req->symbol);
	char *cid = xch_urlencode(req->client_id);
	char *size;
	/* closePosition=true follows the position's size; a quantity stop
	 * needs reduceOnly in one-way mode (hedge mode refuses reduceOnly). */
	if (req->qty == 0)
		size = xstrdup("closePosition=true");
	else if (x->cfg.hedge_mode)
		size = xasprintf("quantity=%s", qty);
	else
		size = xasprintf("quantity=%s&reduceOnly=true", qty);
	char *ps = x->cfg.hedge_mode ? xasprintf("&positionSide=%s", hedge_side(req->pidx, req->position_side))
				     : xstrdup("");
	char *params = xasprintf("algoType=CONDITIONAL&symbol=%s&side=%s&type=STOP_MARKET&triggerPrice=%s"
				 "&workingType=MARK_PRICE&%s%s%s%s",
				 sym, oside_str(side), trig, size, ps, *cid ? "&clientAlgoId=" : "", cid);
	struct xch_req r;
	int rc = bn_call(x, &r, "POST", "/fapi/v1/algoOrder", params, true, err);
	if (rc == XCH_OK)
		rc = bn_parse_ack(r.resp, r.resp_len, true, ack, err);
	log_info(COMP, "account=%s stop symbol=%s side=%s trigger=%s qty=%s rc=%s", x->cfg.account, req->symbol,
		 oside_str(side), trig, qty, xch_rc_name(rc));
	xch_req_clear(&r);
	free(params);
	free(size);
	free(ps);
	free(sym);
	free(cid);
	return rc;
}

static int bn_cancel_order(struct xch *x, const char *symbol, const char *id, bool is_algo, struct xch_err *err)
{
	clear_err(err);
	if (!id || !*id)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "cancel: no id");
	char *ev = xch_urlencode(id);
	char *sym = xch_urlencode(symbol ? symbol : "");
	char *params = is_algo ? xasprintf("algoId=%s", ev) : xasprintf("symbol=%s&orderId=%s", sym, ev);
	struct xch_req r;
	int rc = bn_call(x, &r, "DELETE", is_algo ? "/fapi/v1/algoOrder" : "/fapi/v1/order", params, true, err);
	log_info(COMP, "account=%s cancel symbol=%s id=%s algo=%d rc=%s", x->cfg.account, symbol ? symbol : "", id,
		 is_algo, xch_rc_name(rc));
	xch_req_clear(&r);
	free(params);
	free(ev);
	free(sym);
	return rc;
}

/* GET /fapi/v1/positionSide/dual (USER_DATA, weight 30; 1.4). */
static int bn_position_mode(struct xch *x, enum rec_pos_mode *out, struct xch_err *err)
{
	struct xch_req r;
	clear_err(err);
	*out = REC_MODE_UNKNOWN;
	int rc = bn_call(x, &r, "GET", "/fapi/v1/positionSide/dual", NULL, true, err);
	if (rc == XCH_OK)
		rc = bn_parse_position_mode(r.resp, r.resp_len, out, err);
	xch_req_clear(&r);
	return rc;
}

static int bn_stream_start(struct xch *x, struct xch_err *err)
{
	clear_err(err);
	return xch_stream_start(x, &bn_stream_proto, err);
}

static void bn_stream_stop(struct xch *x)
{
	xch_stream_stop(x);
}

static void bn_destroy(struct xch *x)
{
	xch_base_free(x);
}

static const struct xch_ops bn_ops = {
	.name = "binance",
	.server_time = bn_server_time,
	.instruments = bn_instruments,
	.positions = bn_positions,
	.open_orders = bn_open_orders,
	.fetch_listing = bn_fetch_listing,
	.get_order = bn_get_order,
	.close_position = bn_close_position,
	.place_stop = bn_place_stop,
	.cancel_order = bn_cancel_order,
	.stream_start = bn_stream_start,
	.stream_stop = bn_stream_stop,
	.destroy = bn_destroy,
	.stream_copy = xch_real_stream_copy,
	.position_mode = bn_position_mode,
	.open_orders_of = bn_open_orders_of,
	.fetch_listing_of = bn_fetch_listing_of,
};

struct xch *bn_new(const struct xch_config *cfg, struct xch_err *err)
{
	return xch_base_new(&bn_ops, cfg, err);
}
