/* Multi-source verification and order completion (verify.h). */
#include "reconcile/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xalloc.h"
#include "reconcile/rules.h"

void rec_verify_cfg_default(struct rec_verify_cfg *c)
{
	c->budget_ms = 10000;
	c->backoff_first_ms = 500;
	c->backoff_factor = 1.5;
	c->backoff_cap_ms = 2000;
	c->gone_checks = 10;
	c->gone_interval_ms = 1000;
}

int64_t rec_backoff_ms(const struct rec_verify_cfg *c, int n)
{
	double ms = (double)c->backoff_first_ms * pow(c->backoff_factor, n);
	if (ms > (double)c->backoff_cap_ms)
		ms = (double)c->backoff_cap_ms;
	return (int64_t)ms;
}

void rec_ctx_init(struct rec_ctx *c, struct xch *x, const struct rec_clock *clk)
{
	memset(c, 0, sizeof *c);
	c->x = x;
	c->clk = clk;
	rec_verify_cfg_default(&c->cfg);
	rec_params_default(&c->params);
	c->sc = xmalloc(sizeof *c->sc);
}

void rec_ctx_free(struct rec_ctx *c)
{
	free(c->sc);
	c->sc = NULL;
}

const char *rec_vres_name(enum rec_vres v)
{
	return v == REC_V_OK ? "OK" : v == REC_V_FAILED ? "FAILED" : "TIMEOUT";
}

bool rec_order_dead(enum rec_order_status s)
{
	return s == REC_OST_CANCELED || s == REC_OST_REJECTED || s == REC_OST_EXPIRED;
}

static bool pidx_match(enum rec_pos_idx want, enum rec_pos_idx have)
{
	return want == REC_PIDX_BOTH || have == REC_PIDX_BOTH || want == have;
}

int rec_stream_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out)
{
	struct rec_stream_cache *sc = c->sc;
	sc->npos = 0;
	sc->nord = 0;
	if (xch_stream_copy(c->x, sc) != 0)
		return -1;
	int64_t now = rec_now(c->clk);
	if (!rec_stream_is_fresh(sc, now, &c->params))
		return -1;
	for (size_t i = 0; i < sc->npos; i++)
		if (strcmp(sc->pos[i].symbol, symbol) == 0 && pidx_match(pidx, sc->pos[i].pidx)) {
			/* not authoritative (from before this connection): REST decides */
			if (!rec_rule_stream_authoritative(sc, &sc->pos[i], now, &c->params))
				return -1;
			*out = sc->pos[i];
			return 1;
		}
	return 0;
}

int rec_rest_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out)
{
	struct rec_position *p = NULL;
	size_t n = 0;
	struct xch_err err = { 0 };
	if (xch_ops(c->x)->positions(c->x, &p, &n, &err) != XCH_OK) {
		free(p);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].symbol, symbol) == 0 && p[i].size > 0 && pidx_match(pidx, p[i].pidx)) {
			*out = p[i];
			r = 1;
			break;
		}
	free(p);
	return r;
}

enum rec_vres rec_verify_position_exists(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx,
					 const char *order_id, const char *client_id, bool is_algo, char *detail,
					 size_t dlen)
{
	int64_t start = rec_now(c->clk);
	for (int n = 0;; n++) {
		struct rec_position p;
		if (rec_stream_position(c, symbol, pidx, &p) == 1 &&
		    rec_rule_stream_zero_is_closed(&p) == REC_VIEW_OPEN) {
			snprintf(detail, dlen, "stream shows %s %g", rec_side_name(p.side), p.size);
			return REC_V_OK;
		}
		if ((order_id && order_id[0]) || (client_id && client_id[0])) {
			struct rec_order o;
			struct xch_err err = { 0 };
			if (xch_ops(c->x)->get_order(c->x, symbol, order_id ? order_id : "", client_id ? client_id : "",
						     is_algo, &o, &err) == XCH_OK) {
				if (o.filled > 0) {
					snprintf(detail, dlen, "order %s filled %g", o.id, o.filled);
					return REC_V_OK;
				}
				if (rec_order_dead(o.status) || o.status == REC_OST_FILLED) {
					snprintf(detail, dlen, "order %s closed with 0 filled", o.id);
					return REC_V_FAILED;
				}
			}
		}
		if (rec_rest_position(c, symbol, pidx, &p) == 1) {
			snprintf(detail, dlen, "REST shows %s %g", rec_side_name(p.side), p.size);
			return REC_V_OK;
		}
		int64_t wait = rec_backoff_ms(&c->cfg, n);
		if (rec_now(c->clk) - start + wait > c->cfg.budget_ms)
			break;
		rec_sleep(c->clk, wait);
	}
	snprintf(detail, dlen, "no source confirmed the position within %lld ms", (long long)c->cfg.budget_ms);
	return REC_V_TIMEOUT;
}

enum rec_vres rec_verify_position_gone(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, enum rec_side side,
				       char *detail, size_t dlen)
{
	int rest_absent = 0;
	snprintf(detail, dlen, "no check ran");
	for (int i = 0; i < c->cfg.gone_checks; i++) {
		if (i > 0)
			rec_sleep(c->clk, c->cfg.gone_interval_ms);
		struct rec_position p;
		int s = rec_stream_position(c, symbol, pidx, &p);
		if (s == 1) {
			if (rec_rule_stream_zero_is_closed(&p) == REC_VIEW_FLAT) {
				snprintf(detail, dlen, "stream shows size 0 (check %d)", i + 1);
				return REC_V_OK;
			}
			snprintf(detail, dlen, "stream still shows %s %g after %d checks", rec_side_name(p.side),
				 p.size, i + 1);
			rest_absent = 0;
			continue;
		}
		int r = rec_rest_position(c, symbol, pidx, &p);
		if (r == 0 && ++rest_absent >= 2) {
			snprintf(detail, dlen, "REST omits it on two answers (check %d)", i + 1);
			return REC_V_OK;
		}
		if (r == 1) {
			rest_absent = 0;
			snprintf(detail, dlen, "REST still shows %s %g after %d checks", rec_side_name(p.side), p.size,
				 i + 1);
		} else if (r < 0) {
			rest_absent = 0;
			snprintf(detail, dlen, "REST unavailable (check %d)", i + 1);
		}
	}
	(void)side;
	return REC_V_FAILED;
}

static bool order_match(const struct rec_order *o, const char *id, const char *cid)
{
	if (id && id[0] && strcmp(o->id, id) == 0)
		return true;
	return cid && cid[0] && strcmp(o->client_id, cid) == 0;
}

enum rec_vres rec_verify_order_open(struct rec_ctx *c, const char *symbol, const char *id, const char *client_id,
				    bool is_algo, struct rec_order *out, char *detail, size_t dlen)
{
	int64_t start = rec_now(c->clk);
	snprintf(detail, dlen, "not listed");
	for (int n = 0;; n++) {
		int l = rec_order_listed(c, symbol, id, client_id, out);
		if (l == 1) {
			snprintf(detail, dlen, "listed open as %s", out->id);
			return REC_V_OK;
		}
		if (l < 0)
			snprintf(detail, dlen, "open orders unavailable");
		struct xch_err err = { 0 };
		struct rec_order g;
		if (xch_ops(c->x)->get_order(c->x, symbol, id ? id : "", client_id ? client_id : "", is_algo, &g,
					     &err) == XCH_OK &&
		    (rec_order_dead(g.status) || g.status == REC_OST_FILLED || g.status == REC_OST_TRIGGERED)) {
			snprintf(detail, dlen, "exchange reports order %s finished (status %d)", g.id, (int)g.status);
			return REC_V_FAILED;
		}
		int64_t wait = rec_backoff_ms(&c->cfg, n);
		if (rec_now(c->clk) - start + wait > c->cfg.budget_ms)
			break;
		rec_sleep(c->clk, wait);
	}
	return REC_V_TIMEOUT;
}

enum rec_vres rec_verify_order_gone(struct rec_ctx *c, const char *symbol, const char *id, char *detail, size_t dlen)
{
	int64_t start = rec_now(c->clk);
	snprintf(detail, dlen, "still listed");
	for (int n = 0;; n++) {
		struct rec_order *o = NULL;
		size_t no = 0;
		struct xch_err err = { 0 };
		if (xch_open_orders_of(c->x, symbol, &o, &no, &err) == XCH_OK) {
			bool found = false;
			for (size_t i = 0; i < no; i++)
				if (strcmp(o[i].symbol, symbol) == 0 && strcmp(o[i].id, id) == 0)
					found = true;
			free(o);
			if (!found) {
				snprintf(detail, dlen, "no longer listed open");
				return REC_V_OK;
			}
		} else {
			free(o);
			snprintf(detail, dlen, "open orders: %s", err.msg);
		}
		int64_t wait = rec_backoff_ms(&c->cfg, n);
		if (rec_now(c->clk) - start + wait > c->cfg.budget_ms)
			break;
		rec_sleep(c->clk, wait);
	}
	return REC_V_TIMEOUT;
}

int rec_order_listed(struct rec_ctx *c, const char *symbol, const char *id, const char *client_id,
		     struct rec_order *out)
{
	struct rec_order *o = NULL;
	size_t no = 0;
	struct xch_err err = { 0 };
	if (xch_open_orders_of(c->x, symbol, &o, &no, &err) != XCH_OK) {
		free(o);
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < no && !r; i++)
		if (strcmp(o[i].symbol, symbol) == 0 && order_match(&o[i], id, client_id)) {
			*out = o[i];
			r = 1;
		}
	free(o);
	return r;
}

int rec_find_by_client_id(struct rec_ctx *c, const char *symbol, const char *client_id, bool is_algo,
			  struct rec_order *out, char *detail, size_t dlen)
{
	int64_t start = rec_now(c->clk);
	int r = -1;
	snprintf(detail, dlen, "client id %s not found", client_id);
	for (int n = 0;; n++) {
		struct xch_err err = { 0 };
		int rc = xch_ops(c->x)->get_order(c->x, symbol, "", client_id, is_algo, out, &err);
		if (rc == XCH_OK) {
			snprintf(detail, dlen, "order %s (%s) found by client id", out->id, client_id);
			return 1;
		}
		/* Binance algo orders may only show in the open list; asked only
		 * when the lookup said "unknown" (the list costs weight) */
		int l = rc == XCH_UNKNOWN_ORDER ? rec_order_listed(c, symbol, NULL, client_id, out) : -1;
		if (l == 1) {
			snprintf(detail, dlen, "order %s (%s) listed open", out->id, client_id);
			return 1;
		}
		if (l == 0)
			r = 0; /* both sources answered: not there (yet) */
		if (rc != XCH_UNKNOWN_ORDER)
			snprintf(detail, dlen, "lookup of %s failed: %.160s", client_id, err.msg);
		int64_t wait = rec_backoff_ms(&c->cfg, n);
		if (rec_now(c->clk) - start + wait > c->cfg.budget_ms)
			break;
		rec_sleep(c->clk, wait);
	}
	return r;
}

int rec_order_complete(struct rec_ctx *c, const char *symbol, const struct xch_ack *ack, struct rec_order *out,
		       struct xch_err *err)
{
	int64_t start = rec_now(c->clk);
	int rc = XCH_TIMEOUT;
	for (int n = 0;; n++) {
		rc = xch_ops(c->x)->get_order(c->x, symbol, ack->id, ack->id[0] ? "" : ack->client_id, ack->is_algo,
					      out, err);
		if (rc == XCH_OK)
			return XCH_OK;
		/* not visible yet (Bybit: order/realtime lags create) or transient */
		if (rc != XCH_UNKNOWN_ORDER && !xch_rc_transient((enum xch_rc)rc))
			return rc;
		int64_t wait = rec_backoff_ms(&c->cfg, n);
		if (rec_now(c->clk) - start + wait > c->cfg.budget_ms)
			break;
		rec_sleep(c->clk, wait);
	}
	log_warn("verify", "symbol=%s order=%s not fetchable: %s", symbol, ack->id, err ? err->msg : "");
	return rc;
}
