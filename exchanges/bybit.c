/* The Bybit v5 adapter, category linear / USDT perpetuals (exchange-api.md
 * Part 2).
 *
 * Protection has two representations on Bybit: the position's own stopLoss
 * (set with position/trading-stop) and separate Untriggered conditional
 * orders. Listings return both: position stops are synthesized as orders
 * with position_attached = true (id "pos-sl:SYMBOL:IDX").
 *
 * place_stop CHOICE: with a quantity (qty > 0) vigil places a conditional
 * reduce-only market order (order/create + triggerPrice, closeOnTrigger).
 * It has its own orderId and our "vgl-" orderLinkId, so the journal can make
 * it idempotent, the verifier can query it, a duplicate can be cancelled by
 * id, and it does not overwrite a stop-loss the bot set on the position.
 * With qty == 0 ("protect the whole position") vigil uses
 * position/trading-stop in Full mode: it follows the position's size as it
 * changes, which a fixed-quantity order cannot; its id is the synthesized
 * "pos-sl:SYMBOL:IDX", and cancelling it sets stopLoss to "0". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/bb_rest.h"
#include "exchanges/jsonx.h"
#include "exchanges/sign.h"
#include "watchdog/log.h"
#include "watchdog/xalloc.h"

#define COMP "bybit"
#define BB_MAX_PAGES 50
#define BB_POS_LIMIT 200
#define BB_ORD_LIMIT 50

void
bb_req_build(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *payload,
	     bool sign)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	bool post = strcmp(method, "GET") != 0;
	if (post) {
		r->url = xasprintf("%s%s", x->cfg.rest_url, path);
		r->body = xstrdup(payload ? payload : "{}");
		r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
	} else if (payload && *payload) {
		r->url = xasprintf("%s%s?%s", x->cfg.rest_url, path, payload);
	} else {
		r->url = xasprintf("%s%s", x->cfg.rest_url, path);
	}
	if (!sign)
		return;
	int64_t ts = wd_wall_ms() + __atomic_load_n(&x->clock_offset_ms, __ATOMIC_RELAXED);
	char sig[XCH_SIG_HEX];
	bb_sign(x->cfg.api_secret, ts, x->cfg.api_key, x->cfg.recv_window_ms, post ? r->body : payload, sig);
	char *h = xasprintf("X-BAPI-API-KEY: %s", x->cfg.api_key);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-TIMESTAMP: %" PRId64, ts);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-RECV-WINDOW: %" PRId64, x->cfg.recv_window_ms);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-SIGN: %s", sig);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
}

int
bb_req_finish(struct xch *x, struct xch_req *r, struct json_object **root, struct json_object **result,
	      struct xch_err *err)
{
	*root = NULL;
	*result = NULL;
	xch_note_rest(x, r, true);
	int rc = xch_http_transport_rc(r, err);
	if (rc != XCH_OK)
		return rc;
	return bb_check_answer(r->status, r->resp, r->resp_len, r->limit_reset_ms, wd_wall_ms(), root, result, err);
}

static int
server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	struct xch_req r;
	struct xch_req *rp = &r;
	struct json_object *root, *res;
	bb_req_build(x, &r, "GET", "/v5/market/time", NULL, false);
	xch_http_run(xch_priv_of(x)->http, &rp, 1);
	int rc = bb_req_finish(x, &r, &root, &res, err);
	if (rc == XCH_OK) {
		rc = bb_parse_server_time(root, ms);
		if (rc != XCH_OK)
			xch_err_set(err, rc, (int)r.status, 0, "malformed answer: server time");
		json_object_put(root);
	}
	if (rc == XCH_OK) {
		__atomic_store_n(&x->clock_offset_ms, *ms - (r.sent_ms + r.done_ms) / 2, __ATOMIC_RELAXED);
		xch_priv_of(x)->clock_synced = true;
	}
	xch_req_clear(&r);
	return rc;
}

static int
sync_clock(struct xch *x, struct xch_err *err)
{
	int64_t ms;
	return server_time(x, &ms, err);
}

/* One call with clock sync and one re-sync + retry on 10002. */
static int
bb_call(struct xch *x, const char *method, const char *path, const char *payload, bool sign,
	struct json_object **root, struct json_object **result, struct xch_err *err)
{
	struct xch_priv *p = xch_priv_of(x);
	int rc;
	*root = NULL;
	*result = NULL;
	if (sign && !p->clock_synced) {
		rc = sync_clock(x, err);
		if (rc != XCH_OK)
			return rc;
	}
	for (int attempt = 0;; attempt++) {
		struct xch_req r;
		struct xch_req *rp = &r;
		bb_req_build(x, &r, method, path, payload, sign);
		xch_http_run(p->http, &rp, 1);
		rc = bb_req_finish(x, &r, root, result, err);
		xch_req_clear(&r);
		if (rc != XCH_TIMESTAMP || !sign || attempt > 0)
			return rc;
		struct xch_err e2 = { 0 };
		if (sync_clock(x, &e2) != XCH_OK)
			return rc;
	}
}

static void
clear_err(struct xch_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

static int
bb_server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	clear_err(err);
	return server_time(x, ms, err);
}

static int
bb_instruments(struct xch *x, struct xch_instrument **out, size_t *n, struct xch_err *err)
{
	char cursor[512] = "";
	*out = NULL;
	*n = 0;
	clear_err(err);
	for (int page = 0; page < BB_MAX_PAGES; page++) {
		char *q = cursor[0] ? xasprintf("category=linear&limit=1000&cursor=%s", cursor)
				    : xstrdup("category=linear&limit=1000");
		struct json_object *root, *res;
		int rc = bb_call(x, "GET", "/v5/market/instruments-info", q, false, &root, &res, err);
		free(q);
		size_t pn = 0;
		if (rc == XCH_OK)
			rc = bb_parse_instruments(res, out, n, &pn, cursor, sizeof cursor, err);
		if (root)
			json_object_put(root);
		if (rc != XCH_OK) {
			free(*out);
			*out = NULL;
			*n = 0;
			return rc;
		}
		if (!cursor[0] || pn < 1000)
			break;
	}
	return XCH_OK;
}

/* What kind of list a paged fetch reads. */
enum bb_list { BB_LIST_POS, BB_LIST_ORD };

static const char *
list_path(enum bb_list k)
{
	return k == BB_LIST_POS ? "/v5/position/list" : "/v5/order/realtime";
}

static char *
list_query(enum bb_list k, const char *cursor)
{
	int lim = k == BB_LIST_POS ? BB_POS_LIMIT : BB_ORD_LIMIT;
	if (cursor && *cursor)
		return xasprintf("category=linear&settleCoin=USDT&limit=%d&cursor=%s", lim, cursor);
	return xasprintf("category=linear&settleCoin=USDT&limit=%d", lim);
}

struct bb_acc {
	struct rec_position *pos;
	size_t npos;
	struct rec_order *ord;
	size_t nord;
	char cursor[512];
	size_t page_n;
};

static int
parse_page(enum bb_list k, struct json_object *res, int64_t now, struct bb_acc *a, struct xch_err *err)
{
	if (k == BB_LIST_POS)
		return bb_parse_positions(res, now, &a->pos, &a->npos, &a->page_n, a->cursor, sizeof a->cursor, err);
	return bb_parse_orders(res, &a->ord, &a->nord, &a->page_n, a->cursor, sizeof a->cursor, err);
}

static bool
more_pages(enum bb_list k, const struct bb_acc *a)
{
	/* Bybit may hand out a cursor on the last page: a short page ends it */
	size_t lim = k == BB_LIST_POS ? BB_POS_LIMIT : BB_ORD_LIMIT;
	return a->cursor[0] && a->page_n >= lim;
}

/* Remaining pages of one list, sequentially. */
static int
follow_pages(struct xch *x, enum bb_list k, struct bb_acc *a, struct xch_err *err)
{
	for (int page = 1; page < BB_MAX_PAGES && more_pages(k, a); page++) {
		char *q = list_query(k, a->cursor);
		struct json_object *root, *res;
		int rc = bb_call(x, "GET", list_path(k), q, true, &root, &res, err);
		free(q);
		if (rc == XCH_OK)
			rc = parse_page(k, res, wd_wall_ms(), a, err);
		if (root)
			json_object_put(root);
		if (rc != XCH_OK)
			return rc;
	}
	return XCH_OK;
}

/* First pages of the given lists in parallel, then any further pages. */
static void
fetch_lists(struct xch *x, const enum bb_list *kinds, size_t n, struct bb_acc *acc, int *rc,
	    struct xch_err *errs)
{
	struct xch_priv *p = xch_priv_of(x);
	struct xch_req r[2];
	struct xch_req *rp[2];
	for (size_t i = 0; i < n; i++) {
		memset(&acc[i], 0, sizeof acc[i]);
		memset(&errs[i], 0, sizeof errs[i]);
	}
	/* No server-time call first, even unsynced: a listing costs only its
	 * own calls (a cron audit); a timestamp refusal re-syncs and retries. */
	bool retried = false;
again:
	for (size_t i = 0; i < n; i++) {
		char *q = list_query(kinds[i], NULL);
		bb_req_build(x, &r[i], "GET", list_path(kinds[i]), q, true);
		free(q);
		rp[i] = &r[i];
	}
	xch_http_run(p->http, rp, n);
	bool skew = false;
	int64_t now = wd_wall_ms();
	for (size_t i = 0; i < n; i++) {
		struct json_object *root, *res;
		rc[i] = bb_req_finish(x, &r[i], &root, &res, &errs[i]);
		if (rc[i] == XCH_OK)
			rc[i] = parse_page(kinds[i], res, now, &acc[i], &errs[i]);
		if (root)
			json_object_put(root);
		xch_req_clear(&r[i]);
		skew |= rc[i] == XCH_TIMESTAMP;
	}
	if (skew && !retried) {
		struct xch_err e = { 0 };
		retried = true;
		if (sync_clock(x, &e) == XCH_OK) {
			for (size_t i = 0; i < n; i++) {
				free(acc[i].pos);
				free(acc[i].ord);
				memset(&acc[i], 0, sizeof acc[i]);
				memset(&errs[i], 0, sizeof errs[i]);
			}
			goto again;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (rc[i] == XCH_OK)
			rc[i] = follow_pages(x, kinds[i], &acc[i], &errs[i]);
}

static void
acc_free(struct bb_acc *a)
{
	free(a->pos);
	free(a->ord);
	a->pos = NULL;
	a->ord = NULL;
}

static int
bb_positions(struct xch *x, struct rec_position **out, size_t *n, struct xch_err *err)
{
	enum bb_list k = BB_LIST_POS;
	struct bb_acc a;
	struct xch_err e;
	int rc;
	clear_err(err);
	fetch_lists(x, &k, 1, &a, &rc, &e);
	*out = NULL;
	*n = 0;
	if (rc != XCH_OK) {
		if (err)
			*err = e;
		acc_free(&a);
		return rc;
	}
	if (a.npos == 0)
		acc_free(&a);
	*out = a.pos;
	*n = a.npos;
	free(a.ord);
	return XCH_OK;
}

static int
bb_open_orders(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err)
{
	/* position stops are part of the order view: read both lists */
	const enum bb_list k[2] = { BB_LIST_POS, BB_LIST_ORD };
	struct bb_acc a[2];
	struct xch_err e[2];
	int rc[2];
	clear_err(err);
	*out = NULL;
	*n = 0;
	fetch_lists(x, k, 2, a, rc, e);
	int res = rc[1] != XCH_OK ? rc[1] : rc[0];
	if (res != XCH_OK) {
		if (err)
			*err = rc[1] != XCH_OK ? e[1] : e[0];
	} else {
		bb_add_position_stops(a[0].pos, a[0].npos, &a[1].ord, &a[1].nord);
		*out = a[1].nord ? a[1].ord : NULL;
		*n = a[1].nord;
		if (!a[1].nord)
			free(a[1].ord);
		a[1].ord = NULL;
	}
	acc_free(&a[0]);
	acc_free(&a[1]);
	return res;
}

static int
bb_fetch_listing(struct xch *x, struct xch_listing *l)
{
	const enum bb_list k[2] = { BB_LIST_POS, BB_LIST_ORD };
	struct bb_acc a[2];
	struct xch_err e[2];
	int rc[2];
	memset(l, 0, sizeof *l);
	fetch_lists(x, k, 2, a, rc, e);
	l->pos_rc = rc[0];
	l->pos_err = e[0];
	l->ord_rc = rc[1];
	l->ord_err = e[1];
	if (rc[0] == XCH_OK && a[0].npos) {
		l->pos = a[0].pos;
		l->npos = a[0].npos;
		a[0].pos = NULL;
	}
	if (rc[1] == XCH_OK) {
		/* without positions we cannot see position stops; the order
		 * part still stands on its own */
		if (rc[0] == XCH_OK)
			bb_add_position_stops(l->pos, l->npos, &a[1].ord, &a[1].nord);
		if (a[1].nord) {
			l->ord = a[1].ord;
			l->nord = a[1].nord;
			a[1].ord = NULL;
		}
	}
	acc_free(&a[0]);
	acc_free(&a[1]);
	l->fetched_ms = wd_wall_ms();
	return l->pos_rc != XCH_OK ? l->pos_rc : l->ord_rc;
}

/* "pos-sl:SYMBOL:IDX" -> symbol, pidx. */
static bool
parse_pos_sl_id(const char *id, char *sym, size_t cap, enum rec_pos_idx *pidx)
{
	size_t pl = strlen(BB_POS_SL_PREFIX);
	if (strncmp(id, BB_POS_SL_PREFIX, pl) != 0)
		return false;
	const char *s = id + pl;
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= cap)
		return false;
	memcpy(sym, s, (size_t)(colon - s));
	sym[colon - s] = '\0';
	int i = atoi(colon + 1);
	*pidx = i == 1 ? REC_PIDX_LONG : i == 2 ? REC_PIDX_SHORT : REC_PIDX_BOTH;
	return true;
}

static int
get_position_stop(struct xch *x, const char *id, struct rec_order *out, struct xch_err *err)
{
	char sym[REC_SYM_MAX];
	enum rec_pos_idx pidx;
	if (!parse_pos_sl_id(id, sym, sizeof sym, &pidx))
		return xch_err_set(err, XCH_UNKNOWN_ORDER, 0, 0, "bad position stop id");
	char *esym = xch_urlencode(sym);
	char *q = xasprintf("category=linear&symbol=%s", esym);
	free(esym);
	struct json_object *root, *res;
	int rc = bb_call(x, "GET", "/v5/position/list", q, true, &root, &res, err);
	free(q);
	if (rc != XCH_OK)
		return rc;
	struct json_object *list = xch_json_array(res, "list");
	rc = xch_err_set(err, XCH_UNKNOWN_ORDER, 200, 0, "no stop-loss on %s", sym);
	size_t cnt = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < cnt; i++) {
		struct rec_position p;
		bool open;
		if (!bb_position_from(json_object_array_get_idx(list, i), wd_wall_ms(), REC_SRC_REST, &p, &open))
			continue;
		if (p.pidx != pidx || strcmp(p.symbol, sym) != 0 || !(p.stop_loss > 0) || !open)
			continue;
		bb_stop_from_position(&p, out);
		clear_err(err);
		rc = XCH_OK;
	}
	json_object_put(root);
	return rc;
}

static int
bb_get_order(struct xch *x, const char *symbol, const char *id, const char *client_id, bool is_algo,
	     struct rec_order *out, struct xch_err *err)
{
	(void)is_algo;
	clear_err(err);
	memset(out, 0, sizeof *out);
	bool by_id = id && *id;
	if (!by_id && !(client_id && *client_id))
		return xch_err_set(err, XCH_REJECTED, 0, 0, "get_order: no id");
	if (by_id && !strncmp(id, BB_POS_SL_PREFIX, strlen(BB_POS_SL_PREFIX)))
		return get_position_stop(x, id, out, err);
	char *ev = xch_urlencode(by_id ? id : client_id);
	char *sym = xch_urlencode(symbol ? symbol : "");
	char *q = xasprintf("category=linear%s%s&%s=%s", *sym ? "&symbol=" : "", sym,
			    by_id ? "orderId" : "orderLinkId", ev);
	/* open and recent orders first, then the history (2.6) */
	static const char *const paths[2] = { "/v5/order/realtime", "/v5/order/history" };
	int rc = XCH_UNKNOWN_ORDER;
	for (int i = 0; i < 2; i++) {
		struct json_object *root, *res;
		rc = bb_call(x, "GET", paths[i], q, true, &root, &res, err);
		if (rc != XCH_OK)
			break;
		struct json_object *list = xch_json_array(res, "list");
		if (!list) {
			rc = xch_err_set(err, XCH_MALFORMED, 200, 0, "malformed answer: no result.list");
		} else if (json_object_array_length(list) > 0) {
			rc = bb_order_from(json_object_array_get_idx(list, 0), REC_SRC_REST, out)
				     ? XCH_OK
				     : xch_err_set(err, XCH_MALFORMED, 200, 0, "malformed answer: order");
		} else {
			rc = xch_err_set(err, XCH_UNKNOWN_ORDER, 200, 0, "order not found");
		}
		json_object_put(root);
		if (rc != XCH_UNKNOWN_ORDER)
			break;
	}
	free(q);
	free(ev);
	free(sym);
	return rc;
}

static int
pidx_num(const struct xch *x, enum rec_pos_idx pidx, enum rec_side side)
{
	if (pidx == REC_PIDX_LONG)
		return 1;
	if (pidx == REC_PIDX_SHORT)
		return 2;
	if (x->cfg.hedge_mode)
		return side == REC_SIDE_LONG ? 1 : 2;
	return 0;
}

static const char *
oside_str(enum rec_oside s)
{
	return s == REC_BUY ? "Buy" : "Sell";
}

/* Sends a JSON body built with json-c; the signature covers exactly it. */
static int
post_json(struct xch *x, const char *path, struct json_object *body, struct json_object **root,
	  struct json_object **res, struct xch_err *err)
{
	const char *txt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	char *copy = xstrdup(txt);
	int rc = bb_call(x, "POST", path, copy, true, root, res, err);
	free(copy);
	return rc;
}

static int
bb_close_position(struct xch *x, const struct xch_close_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	/* AVLUSDT: the side comes from the exchange-confirmed position only */
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing to close %s: position side unknown",
				   req->symbol);
	if (!(req->qty > 0))
		return xch_err_set(err, XCH_NO_POSITION, 0, 0, "refusing to close %s: quantity %g",
				   req->symbol, req->qty);
	char qty[48];
	xch_fmt_dec(qty, sizeof qty, req->qty);
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	json_object_object_add(b, "symbol", json_object_new_string(req->symbol));
	json_object_object_add(b, "side", json_object_new_string(oside_str(side)));
	json_object_object_add(b, "orderType", json_object_new_string("Market"));
	json_object_object_add(b, "qty", json_object_new_string(qty));
	json_object_object_add(b, "reduceOnly", json_object_new_boolean(1));
	json_object_object_add(b, "positionIdx", json_object_new_int(pidx_num(x, req->pidx, req->position_side)));
	if (req->client_id[0])
		json_object_object_add(b, "orderLinkId", json_object_new_string(req->client_id));
	struct json_object *root, *res;
	int rc = post_json(x, "/v5/order/create", b, &root, &res, err);
	json_object_put(b);
	if (rc == XCH_OK)
		rc = bb_parse_ack(res, ack, err); /* ids only: never side / qty */
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s close symbol=%s side=%s qty=%s rc=%s", x->cfg.account, req->symbol,
		 oside_str(side), qty, xch_rc_name(rc));
	return rc;
}

static int
bb_place_stop(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: position side unknown",
				   req->symbol);
	if (!(req->trigger_price > 0) || req->qty < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: bad trigger/qty", req->symbol);
	char trig[48], qty[48];
	xch_fmt_dec(trig, sizeof trig, req->trigger_price);
	xch_fmt_dec(qty, sizeof qty, req->qty);
	int idx = pidx_num(x, req->pidx, req->position_side);
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	json_object_object_add(b, "symbol", json_object_new_string(req->symbol));
	const char *path;
	if (req->qty == 0) {
		path = "/v5/position/trading-stop";
		json_object_object_add(b, "tpslMode", json_object_new_string("Full"));
		json_object_object_add(b, "positionIdx", json_object_new_int(idx));
		json_object_object_add(b, "stopLoss", json_object_new_string(trig));
		json_object_object_add(b, "slTriggerBy", json_object_new_string("MarkPrice"));
	} else {
		path = "/v5/order/create";
		json_object_object_add(b, "side", json_object_new_string(oside_str(side)));
		json_object_object_add(b, "orderType", json_object_new_string("Market"));
		json_object_object_add(b, "qty", json_object_new_string(qty));
		json_object_object_add(b, "triggerPrice", json_object_new_string(trig));
		/* a long's stop fires when the price falls (2), a short's when it rises (1) */
		json_object_object_add(b, "triggerDirection",
				       json_object_new_int(req->position_side == REC_SIDE_LONG ? 2 : 1));
		json_object_object_add(b, "triggerBy", json_object_new_string("MarkPrice"));
		json_object_object_add(b, "reduceOnly", json_object_new_boolean(1));
		json_object_object_add(b, "closeOnTrigger", json_object_new_boolean(1));
		json_object_object_add(b, "positionIdx", json_object_new_int(idx));
		if (req->client_id[0])
			json_object_object_add(b, "orderLinkId", json_object_new_string(req->client_id));
	}
	struct json_object *root, *res;
	int rc = post_json(x, path, b, &root, &res, err);
	json_object_put(b);
	if (req->qty == 0) {
		if (rc == XCH_REJECTED && err && err->code == 34040)
			rc = XCH_OK; /* the same stop-loss is already set */
		if (rc == XCH_OK) {
			clear_err(err);
			snprintf(ack->id, sizeof ack->id, BB_POS_SL_PREFIX "%s:%d", req->symbol, idx);
			snprintf(ack->client_id, sizeof ack->client_id, "%s", req->client_id);
		}
	} else if (rc == XCH_OK) {
		rc = bb_parse_ack(res, ack, err);
	}
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s stop symbol=%s side=%s trigger=%s qty=%s via=%s rc=%s", x->cfg.account,
		 req->symbol, oside_str(side), trig, qty, path, xch_rc_name(rc));
	return rc;
}

static int
bb_cancel_order(struct xch *x, const char *symbol, const char *id, bool is_algo, struct xch_err *err)
{
	(void)is_algo;
	clear_err(err);
	if (!id || !*id)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "cancel: no id");
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	const char *path;
	char sym[REC_SYM_MAX];
	enum rec_pos_idx pidx;
	if (parse_pos_sl_id(id, sym, sizeof sym, &pidx)) {
		path = "/v5/position/trading-stop";
		json_object_object_add(b, "symbol", json_object_new_string(sym));
		json_object_object_add(b, "tpslMode", json_object_new_string("Full"));
		json_object_object_add(b, "positionIdx", json_object_new_int((int)pidx));
		json_object_object_add(b, "stopLoss", json_object_new_string("0"));
	} else {
		path = "/v5/order/cancel";
		json_object_object_add(b, "symbol", json_object_new_string(symbol ? symbol : ""));
		json_object_object_add(b, "orderId", json_object_new_string(id));
	}
	struct json_object *root, *res;
	int rc = post_json(x, path, b, &root, &res, err);
	json_object_put(b);
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s cancel symbol=%s id=%s rc=%s", x->cfg.account, symbol ? symbol : "", id,
		 xch_rc_name(rc));
	return rc;
}

static int
bb_stream_start(struct xch *x, struct xch_err *err)
{
	clear_err(err);
	return xch_stream_start(x, &bb_stream_proto, err);
}

static void
bb_stream_stop(struct xch *x)
{
	xch_stream_stop(x);
}

static void
bb_destroy(struct xch *x)
{
	xch_base_free(x);
}

static const struct xch_ops bb_ops = {
	.name = "bybit",
	.server_time = bb_server_time,
	.instruments = bb_instruments,
	.positions = bb_positions,
	.open_orders = bb_open_orders,
	.fetch_listing = bb_fetch_listing,
	.get_order = bb_get_order,
	.close_position = bb_close_position,
	.place_stop = bb_place_stop,
	.cancel_order = bb_cancel_order,
	.stream_start = bb_stream_start,
	.stream_stop = bb_stream_stop,
	.destroy = bb_destroy,
	.stream_copy = xch_real_stream_copy,
};

struct xch *
bb_new(const struct xch_config *cfg, struct xch_err *err)
{
	return xch_base_new(&bb_ops, cfg, err);
}
