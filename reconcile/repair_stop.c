/* Stop-loss repair (repair.h). The order of checks is the point:
 *  1. side from the exchange-reported position only; UNKNOWN sends nothing;
 *  2. the stream, if fresh and it reported the symbol, decides size: size 0
 *     means closed, abort (BASUSDT); its size beats REST's (KAVAUSDT);
 *  3. open orders first: our own client id (a retry after a crash) or any
 *     covering stop on the closing side means nothing is sent;
 *  4. journal intent, place, then verify the stop is listed open and on the
 *     closing side;
 *  5. a trigger already crossed (-2021, or an operator's price the mark
 *     crossed): full closes reduce-only at market, protect raises
 *     REPAIR_FAILED; the same price is never retried.
 * The step's trigger_price, when > 0, is the price (rounded to the tick
 * away from the position); else it is priced from the account's percent. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "reconcile/repair.h"
#include "base/log.h"

static bool same_base(const char *cid, const char *ours)
{
	const char *dash = strrchr(ours, '-');
	size_t bl = dash ? (size_t)(dash - ours) : strlen(ours);
	return strncmp(cid, ours, bl) == 0 && cid[bl] == '-';
}

/* Fresh open orders: 1 = ours (any attempt) found (*found), 2 = the
 * position is covered already by the one protection rule (*found = the
 * stop that covers alone, if any), 0 = not covered, -1 error. */
static int check_open(struct rec_engine *e, const struct rec_action *a, const struct rec_position *pos,
		      struct rec_order *found, double *stop_qty, char *d, size_t dl)
{
	*stop_qty = 0;
	struct rec_order *o = NULL;
	size_t n = 0;
	if (rec_fresh_orders(&e->ctx, a->symbol, &o, &n, d, dl) != 0) {
		size_t l = strlen(d);
		snprintf(d + l, dl - l, ": nothing sent");
		return -1;
	}
	int r = 0;
	for (size_t i = 0; i < n && !r; i++)
		if (same_base(o[i].client_id, a->client_id) && rec_order_is_active(&o[i])) {
			*found = o[i];
			r = 1;
		}
	if (!r) {
		struct rec_protection pr;
		rec_fresh_protection(pos, o, n, &pr);
		*stop_qty = pr.full ? 0 : pr.stop_qty;
		if (rec_protection_covers(&pr, pos->size)) {
			memset(found, 0, sizeof *found);
			if (pr.keep)
				*found = *pr.keep;
			else
				snprintf(found->id, sizeof found->id, "%s",
					 pr.pos_field ? "position stopLoss" : "several stops");
			found->side = a->order_side;
			r = 2;
		}
	}
	free(o);
	return r;
}

/* A stop this engine placed or recovered that the open-order list does
 * not show (yet: REST lags, and a restarted stream never saw it) is asked
 * for by id: live = it protects, nothing is sent (no duplicate after a
 * crash mid-verification); gone = forgotten. 1 = live (*found), 2 = could
 * not tell (nothing sent either), 0 = none known. */
static int check_live(struct rec_engine *e, const struct rec_action *a, double size, struct rec_order *found, char *d,
		      size_t dl)
{
	for (size_t i = 0; i < e->nlive;) {
		const struct rec_live_stop *l = &e->live[i];
		bool covers = l->close_position || (size > 0 && l->qty + 1e-9 >= size);
		if (strcmp(l->symbol, a->symbol) != 0 || l->side != a->order_side || !covers ||
		    !(a->pidx == REC_PIDX_BOTH || l->pidx == REC_PIDX_BOTH || l->pidx == a->pidx)) {
			i++;
			continue;
		}
		struct xch_err err = { 0 };
		int rc =
			xch_ops(e->ctx.x)->get_order(e->ctx.x, l->symbol, l->id, l->client_id, l->is_algo, found, &err);
		if (rc == XCH_OK && !rec_order_dead(found->status) && found->status != REC_OST_FILLED &&
		    found->status != REC_OST_TRIGGERED) {
			snprintf(d, dl,
				 "our stop %s (%s) is live on the exchange though not listed open yet: nothing sent",
				 l->id, l->client_id);
			return 1;
		}
		if (rc == XCH_OK || rc == XCH_UNKNOWN_ORDER) {
			rec_engine_live_drop(e, i); /* gone: a new stop may be needed */
			continue;
		}
		snprintf(d, dl, "cannot tell whether our stop %s is still live (%.120s): nothing sent", l->id, err.msg);
		return 2;
	}
	return 0;
}

/* The trigger is already crossed (the exchange said so, or the mark shows
 * it for an operator's price): never retried at the same price; mode full
 * closes reduce-only at market, the others raise REPAIR_FAILED. */
static enum rec_outcome would_trigger(struct rec_engine *e, const struct rec_step *s, struct rec_report *r,
				      struct rec_action *a, double size, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
static enum rec_outcome would_trigger(struct rec_engine *e, const struct rec_step *s, struct rec_report *r,
				      struct rec_action *a, double size, const char *fmt, ...)
{
	char why[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	rec_engine_mark_crossed(e, a->client_id, a->trigger_price);
	rec_engine_finish(e, r, a, REC_OUT_FAILED, "trigger %g already crossed (%s)", a->trigger_price, why);
	if (s->mode == REC_MODE_FULL) {
		struct rec_step cs = *s;
		cs.a.kind = REC_ACT_CLOSE_POSITION;
		cs.a.close_position = false;
		cs.a.trigger_price = 0;
		cs.a.qty = a->qty;
		cs.pos_size = size;
		rec_client_id(cs.a.client_id, sizeof cs.a.client_id, REC_ACT_CLOSE_POSITION, a->account, a->exchange,
			      a->symbol, a->position_side, s->f.first_seen_ms, 1);
		snprintf(cs.a.reason, sizeof cs.a.reason,
			 "stop trigger %g already crossed: mode full closes reduce-only at market", a->trigger_price);
		return rec_repair_close(e, &cs, r);
	}
	rec_report_raise(
		e, r, s, REC_REPAIR_FAILED,
		"stop %g for %s %s would trigger at once (mark crossed it); mode %s does not close: act by hand",
		a->trigger_price, rec_side_name(a->position_side), a->symbol, rec_mode_name(s->mode));
	return REC_OUT_FAILED;
}

enum rec_outcome rec_repair_stop(struct rec_engine *e, const struct rec_step *s, struct rec_report *r)
{
	struct rec_ctx *c = &e->ctx;
	struct rec_action a = s->a;
	char d[256];

	enum rec_outcome out;
	if (rec_repair_refused(e, s, r, &a, "stop for", &out))
		return out;
	/* the premise, from a fresh stream entry or a fresh REST answer */
	struct rec_position p;
	enum rec_premise pm = rec_premise_stop(e, s, &p, d, sizeof d);
	if (pm == REC_PREMISE_GONE)
		return rec_engine_premise_gone(e, r, &a, d);
	if (pm == REC_PREMISE_UNKNOWN) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "%s: stop not sent", d);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "%s: nothing sent", d);
	}
	double size = p.size;
	double mark = p.mark_price;

	struct rec_order have;
	double stop_qty;
	int cr = check_open(e, &a, &p, &have, &stop_qty, d, sizeof d);
	if (cr < 0) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "%s", d);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "%s", d);
	}
	if (cr == 1) {
		snprintf(a.order_id, sizeof a.order_id, "%s", have.id);
		snprintf(a.client_id, sizeof a.client_id, "%s", have.client_id);
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "our stop %s (%s) is already open: nothing sent",
					 have.id, have.client_id);
	}
	if (cr == 2)
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "already protected by %s stop %s: nothing sent",
					 rec_oside_name(have.side), have.id);
	/* UNDERSIZED_STOP: a stop for what the fresh list leaves uncovered
	 * (the bot's short stop stays; a full-size stop beside it would make
	 * it a DUPLICATE_STOP that full mode cancels) */
	double need = size;
	if (s->f.code == REC_UNDERSIZED_STOP && !a.close_position && stop_qty > 0 && size > stop_qty)
		need = size - stop_qty;
	if (cr == 0) {
		int lr = check_live(e, &a, need, &have, d, sizeof d);
		if (lr != 0)
			return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "%s", d);
	}

	const struct xch_instrument *in = rec_engine_instrument(e, a.symbol);
	if (s->a.trigger_price > 0) {
		/* the plan's (or the operator's) price, on the tick away from
		 * the position: 0 % off itself */
		a.trigger_price = rec_stop_price(a.position_side, s->a.trigger_price, 0, in ? in->tick : 0);
	} else {
		double ref = rec_policy_ref_price(e->pol, s->f.entry_price, s->f.mark_price, NULL);
		a.trigger_price = rec_stop_price(a.position_side, ref, e->pol->stop_loss_percent, in ? in->tick : 0);
	}
	if (a.trigger_price <= 0) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "no entry or mark price for %s: cannot price a stop",
				 a.symbol);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "no reference price: nothing sent");
	}
	if (!a.close_position && size > 0)
		a.qty = rec_round_qty(need, in ? in->step : 0);
	if (rec_engine_was_crossed(e, a.client_id, a.trigger_price)) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED,
				 "stop %g for %s was refused as already crossed; not retried blindly", a.trigger_price,
				 a.symbol);
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED,
					 "trigger %g already refused as crossed: not retried", a.trigger_price);
	}
	/* An operator's price the mark already crossed would fire at once (a
	 * LONG's stop must be below the mark, a SHORT's above): answered like
	 * the exchange's would-trigger, without sending it. */
	bool crossed = s->trigger_given && mark > 0 &&
		       ((a.position_side == REC_SIDE_LONG && a.trigger_price >= mark) ||
			(a.position_side == REC_SIDE_SHORT && a.trigger_price <= mark));
	if (crossed)
		return would_trigger(e, s, r, &a, size, "mark %g: not sent", mark);
	rec_client_id_attempt(a.client_id, sizeof a.client_id, rec_engine_attempt(e, a.client_id));
	if (rec_engine_intent(e, &a) != 0) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "journal unavailable: stop not sent");
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "journal unavailable: nothing sent");
	}

	struct xch_stop_req req;
	memset(&req, 0, sizeof req);
	req.qty_step = in ? in->step : 0;
	req.price_tick = in ? in->tick : 0;
	snprintf(req.symbol, sizeof req.symbol, "%s", a.symbol);
	req.position_side = a.position_side;
	req.pidx = a.pidx;
	req.trigger_price = a.trigger_price;
	req.qty = a.close_position ? 0 : a.qty;
	snprintf(req.client_id, sizeof req.client_id, "%s", a.client_id);
	struct xch_ack ack;
	memset(&ack, 0, sizeof ack);
	struct xch_err err = { 0 };
	int rc = xch_ops(c->x)->place_stop(c->x, &req, &ack, &err);

	/* a lost answer, or our client id already taken (the request reached
	 * the exchange twice, e.g. resent on a dead connection): look it up */
	if (rc != XCH_OK && (xch_rc_outcome_unknown((enum xch_rc)rc) || rc == XCH_DUPLICATE)) {
		/* the answer was lost, not necessarily the order: look it up by
		 * client id, with backoff, inside the verification budget */
		struct rec_order g;
		bool algo = xch_exchange(c->x) == REC_EX_BINANCE; /* Binance stops are algo orders */
		char why[160];
		snprintf(why, sizeof why, "%s %.120s", xch_rc_name((enum xch_rc)rc), err.msg);
		int fr = rec_find_by_client_id(c, a.symbol, a.client_id, algo, &g, d, sizeof d);
		if (fr == 1 && rec_order_dead(g.status))
			return rec_engine_finish(e, r, &a, REC_OUT_FAILED,
						 "answer lost (%s); the exchange shows stop %s ended (status %d)", why,
						 g.id, (int)g.status);
		if (fr != 1)
			return rec_engine_unknown(e, r, s, &a, "stop answer lost (%s); %s", why, d);
		snprintf(ack.id, sizeof ack.id, "%s", g.id);
		snprintf(ack.client_id, sizeof ack.client_id, "%s", g.client_id);
		ack.is_algo = g.is_algo;
		rc = XCH_OK;
	}
	if (rc == XCH_WOULD_TRIGGER)
		return would_trigger(e, s, r, &a, size, "%ld %s", err.code, err.msg);
	if (rec_held_back(rc, &err))
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "%s: nothing sent", err.msg);
	if (rc != XCH_OK) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "stop for %s refused: %s (%ld %s)", a.symbol,
				 xch_rc_name((enum xch_rc)rc), err.code, err.msg);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "refused: %s %s", xch_rc_name((enum xch_rc)rc),
					 err.msg);
	}
	snprintf(a.order_id, sizeof a.order_id, "%s", ack.id);
	a.order_is_algo = ack.is_algo;

	struct rec_order listed;
	enum rec_vres v = rec_verify_order_open(c, a.symbol, ack.id, a.client_id, ack.is_algo, &listed, d, sizeof d);
	if (v != REC_V_OK) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "stop %s for %s placed but not listed open: %s", ack.id,
				 a.symbol, d);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "not verified (%s): %s", rec_vres_name(v), d);
	}
	if (listed.side != a.order_side) {
		/* never leave a stop that would add to the position */
		struct xch_err e3 = { 0 };
		xch_ops(c->x)->cancel_order(c->x, a.symbol, listed.id, listed.is_algo, &e3);
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "exchange lists stop %s as %s, expected %s: cancelled",
				 listed.id, rec_oside_name(listed.side), rec_oside_name(a.order_side));
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "wrong side listed: cancelled");
	}
	return rec_engine_finish(e, r, &a, REC_OUT_DONE, "stop %s %s trigger %g qty %g: %s", listed.id,
				 rec_oside_name(listed.side), a.trigger_price, a.qty, d);
}
