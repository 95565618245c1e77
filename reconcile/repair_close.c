/* Close (rollback / orphan close), repair.h. Seeds 001/003 (AVLUSDT): the
 * closing side comes only from the position side the exchange reports;
 * unknown side = nothing sent. The quantity is the exchange-confirmed size
 * (fresh stream first, else REST), rounded to step; reduce-only market.
 * Resting reduce-only orders that make the exchange refuse the close
 * (Binance -4118 / -2022, Bybit 110017) are cancelled and the close is
 * retried once. The order is fetched by id before any of its fields is
 * used, and the position must then be seen gone (stream, then REST), else
 * CLOSE_UNVERIFIED (critical). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/repair.h"
#include "base/log.h"

/* Cancels resting non-conditional reduce-only orders of the symbol, each
 * journaled. Returns how many were cancelled, -1 if the list failed. */
static int cancel_reduce_only(struct rec_engine *e, const struct rec_step *s, struct rec_report *r)
{
	struct rec_ctx *c = &e->ctx;
	struct rec_order *o = NULL;
	size_t n = 0;
	struct xch_err err = { 0 };
	if (xch_open_orders_of(c->x, s->a.symbol, &o, &n, &err) != XCH_OK) {
		free(o);
		return -1;
	}
	int cancelled = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(o[i].symbol, s->a.symbol) != 0 || !o[i].reduce_only || o[i].conditional ||
		    o[i].position_attached)
			continue;
		struct rec_action a = s->a;
		a.kind = REC_ACT_CANCEL_ORDER;
		a.order_side = REC_OSIDE_UNKNOWN;
		a.qty = 0;
		snprintf(a.order_id, sizeof a.order_id, "%s", o[i].id);
		a.order_is_algo = o[i].is_algo;
		snprintf(a.reason, sizeof a.reason, "resting reduce-only order %s blocks the close: cancel it first",
			 o[i].id);
		if (rec_engine_intent(e, &a) != 0)
			break;
		struct xch_err e2 = { 0 };
		int rc = xch_ops(c->x)->cancel_order(c->x, a.symbol, o[i].id, o[i].is_algo, &e2);
		if (rc == XCH_OK || rc == XCH_UNKNOWN_ORDER) {
			rec_engine_finish(e, r, &a, REC_OUT_DONE, "cancelled to unblock the close");
			cancelled++;
		} else {
			rec_engine_finish(e, r, &a, REC_OUT_FAILED, "cancel refused: %s", e2.msg);
		}
	}
	free(o);
	return cancelled;
}

enum rec_outcome rec_repair_close(struct rec_engine *e, const struct rec_step *s, struct rec_report *r)
{
	struct rec_ctx *c = &e->ctx;
	struct rec_action a = s->a;
	char d[256];

	enum rec_outcome out;
	if (rec_repair_refused(e, s, r, &a, "close of", &out))
		return out;
	struct rec_position p;
	memset(&p, 0, sizeof p);
	const char *src = "";
	int cf = rec_fresh_position(&e->ctx, a.symbol, a.pidx, &p, &src);
	if (cf == 0)
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "%s shows no open %s position now: nothing sent",
					 src, a.symbol);
	if (cf < 0) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED,
				 "cannot confirm %s before closing (stream silent, REST failed): nothing sent",
				 a.symbol);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "position not confirmed: nothing sent");
	}
	if (p.side != a.position_side) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "%s now shows %s %g, the plan closes %s: nothing sent",
				 src, rec_side_name(p.side), p.size, rec_side_name(a.position_side));
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "side changed: nothing sent");
	}
	const struct xch_instrument *in = rec_engine_instrument(e, a.symbol);
	a.qty = rec_round_qty(p.size, in ? in->step : 0);
	a.close_position = false;
	a.trigger_price = 0;

	struct xch_ack ack;
	struct xch_err err;
	int rc = XCH_OK;
	for (int round = 0; round < 2; round++) {
		rec_client_id_attempt(a.client_id, sizeof a.client_id, rec_engine_attempt(e, a.client_id));
		a.order_id[0] = '\0';
		if (rec_engine_intent(e, &a) != 0) {
			rec_report_raise(e, r, s, REC_REPAIR_FAILED, "journal unavailable: close not sent");
			return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "journal unavailable: nothing sent");
		}
		struct xch_close_req req;
		memset(&req, 0, sizeof req);
		req.qty_step = in ? in->step : 0;
		snprintf(req.symbol, sizeof req.symbol, "%s", a.symbol);
		req.position_side = a.position_side;
		req.pidx = a.pidx;
		req.qty = a.qty;
		snprintf(req.client_id, sizeof req.client_id, "%s", a.client_id);
		memset(&ack, 0, sizeof ack);
		memset(&err, 0, sizeof err);
		rc = xch_ops(c->x)->close_position(c->x, &req, &ack, &err);
		if (rc != XCH_REDUCE_ONLY || round == 1)
			break;
		rec_engine_finish(e, r, &a, REC_OUT_FAILED, "reduce-only rejected (%ld %s)", err.code, err.msg);
		int nc = cancel_reduce_only(e, s, r);
		if (nc <= 0)
			break; /* nothing to unblock: do not resend */
		log_info("repair", "account=%s symbol=%s cancelled=%d retrying close once", a.account, a.symbol, nc);
	}
	if (rc == XCH_REDUCE_ONLY && a.outcome != REC_OUT_PENDING) {
		/* first refusal already journaled and nothing could be unblocked */
		rec_report_raise(e, r, s, REC_REPAIR_FAILED,
				 "close of %s refused as reduce-only (%ld %s); no resting order to cancel", a.symbol,
				 err.code, err.msg);
		return REC_OUT_FAILED;
	}
	if (rc == XCH_NO_POSITION)
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "exchange: no position to close");
	if (rc != XCH_OK && (xch_rc_outcome_unknown((enum xch_rc)rc) || rc == XCH_DUPLICATE)) {
		/* the answer was lost: the order by client id, else the
		 * position's size says whether the close went through */
		char why[160];
		snprintf(why, sizeof why, "%s %.120s", xch_rc_name((enum xch_rc)rc), err.msg);
		struct rec_order g;
		int fr = rec_find_by_client_id(c, a.symbol, a.client_id, false, &g, d, sizeof d);
		if (fr == 1) {
			snprintf(ack.id, sizeof ack.id, "%s", g.id);
			snprintf(ack.client_id, sizeof ack.client_id, "%s", g.client_id);
			ack.is_algo = false;
			rc = XCH_OK;
		} else {
			char gone[256];
			if (rec_verify_position_gone(c, a.symbol, a.pidx, a.position_side, gone, sizeof gone) ==
			    REC_V_OK)
				return rec_engine_finish(e, r, &a, REC_OUT_DONE,
							 "close answer lost (%s); the position is gone: %s", why, gone);
			return rec_engine_unknown(e, r, s, &a, "close answer lost (%s); %s; %s", why, d, gone);
		}
	}
	if (rec_held_back(rc, &err))
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "%s: nothing sent", err.msg);
	if (rc != XCH_OK) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "close of %s refused: %s (%ld %s)", a.symbol,
				 xch_rc_name((enum xch_rc)rc), err.code, err.msg);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "refused: %s %s", xch_rc_name((enum xch_rc)rc),
					 err.msg);
	}
	snprintf(a.order_id, sizeof a.order_id, "%s", ack.id);

	/* never trust the create answer: fetch the order before using it */
	struct rec_order o;
	memset(&o, 0, sizeof o);
	int frc = rec_order_complete(c, a.symbol, &ack, &o, &err);
	if (frc == XCH_OK) {
		if (o.side != a.order_side)
			rec_report_raise(e, r, s, REC_REPAIR_FAILED,
					 "exchange reports close order %s as %s, expected %s", o.id,
					 rec_oside_name(o.side), rec_oside_name(a.order_side));
		if (rec_order_dead(o.status) && o.filled <= 0) {
			rec_report_raise(e, r, s, REC_REPAIR_FAILED, "close order %s of %s ended with 0 filled", o.id,
					 a.symbol);
			return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "close order ended with 0 filled");
		}
	}
	enum rec_vres v = rec_verify_position_gone(c, a.symbol, a.pidx, a.position_side, d, sizeof d);
	if (v != REC_V_OK) {
		rec_report_raise(e, r, s, REC_CLOSE_UNVERIFIED, "close %s of %s %s %g sent, position not seen gone: %s",
				 a.order_id, rec_side_name(a.position_side), a.symbol, a.qty, d);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "close unverified: %s", d);
	}
	return rec_engine_finish(e, r, &a, REC_OUT_DONE, "closed %s %g with %s %s; %s%s",
				 rec_side_name(a.position_side), a.qty, rec_oside_name(a.order_side), a.order_id, d,
				 frc == XCH_OK ? "" : "; order not fetchable");
}
