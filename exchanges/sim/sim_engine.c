/* The matching engine: orders fill at mark, limits when the mark reaches
 * them, conditional orders fire when the mark crosses the trigger. Every
 * change goes to the stream (sim_stream.c) and stays visible to REST. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

#define EPS 1e-12

struct sim_position *sim_pos(struct sim_account *a, int sym, int ps)
{
	if (sym < 0 || sym >= SIM_MAX_SYM || ps < 0 || ps > 2)
		return NULL;
	if (sym >= a->npos) {
		int n = a->npos ? a->npos : 16;

		while (n <= sym)
			n *= 2;
		a->pos = xrealloc(a->pos, sizeof *a->pos * (size_t)n);
		memset(a->pos + a->npos, 0, sizeof *a->pos * (size_t)(n - a->npos));
		a->npos = n;
	}
	if (!a->pos[sym]) {
		a->pos[sym] = xcalloc(3, sizeof *a->pos[sym]);
		for (int k = 0; k < 3; k++)
			a->pos[sym][k].sym = sym, a->pos[sym][k].ps = k;
	}
	return &a->pos[sym][ps];
}

struct sim_position *sim_pos_peek(struct sim_account *a, int sym, int ps)
{
	if (sym < 0 || sym >= a->npos || ps < 0 || ps > 2 || !a->pos[sym])
		return NULL;
	return &a->pos[sym][ps];
}

void sim_pos_free_all(struct sim_account *a)
{
	for (int i = 0; i < a->npos; i++) {
		if (!a->pos[i])
			continue;
		for (int k = 0; k < 3; k++)
			free(a->pos[i][k].hist);
		free(a->pos[i]);
	}
	free(a->pos);
	a->pos = NULL;
	a->npos = 0;
}

struct sim_order *sim_order_new(struct sim_world *w, struct sim_account *a)
{
	struct sim_order *o = xcalloc(1, sizeof *o);

	if (a->norders == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->orders = xrealloc(a->orders, sizeof *a->orders * a->cap);
	}
	o->id = w->next_id++;
	if (a->ex == SIM_BYBIT) {
		unsigned long long r = sim_rand(w);

		snprintf(o->oid, sizeof o->oid, "%08llx-%04llx-4%03llx-%04llx-%012lld", r >> 32, (r >> 16) & 0xffff,
			 r & 0xfff, (r >> 48) & 0xffff, o->id);
	} else {
		snprintf(o->oid, sizeof o->oid, "%lld", o->id);
	}
	o->created = o->updated = sim_now(w, (int)a->ex);
	snprintf(o->tif, sizeof o->tif, "GTC");
	o->created_by = sim_by_resolve(w, SIM_BY_SIM);
	o->create_req = o->created_by == SIM_BY_REST ? w->rest_seq : 0;
	snprintf(o->source, sizeof o->source, "%s", o->created_by == SIM_BY_REST ? "api" : "sim");
	snprintf(o->cancel_type, sizeof o->cancel_type, "UNKNOWN");
	a->orders[a->norders++] = o;
	return o;
}

static void order_drop_last(struct sim_account *a)
{
	if (a->norders)
		free(a->orders[--a->norders]);
}

struct sim_order *sim_order_by_id(struct sim_account *a, const char *id, const char *client, int cond)
{
	for (size_t i = a->norders; i-- > 0;) {
		struct sim_order *o = a->orders[i];

		if (cond >= 0 && o->cond != cond)
			continue;
		if (id && *id && strcmp(o->oid, id) == 0)
			return o;
		if (client && *client && strcmp(o->client, client) == 0)
			return o;
	}
	return NULL;
}

int sim_pos_has_orders(struct sim_account *a, int sym)
{
	for (size_t i = 0; i < a->norders; i++)
		if (a->orders[i]->open && a->orders[i]->sym == sym)
			return 1;
	return 0;
}

static void snap(struct sim_position *p, long long now)
{
	if (!p->hist)
		p->hist = xcalloc(SIM_HIST, sizeof *p->hist);
	if (p->nhist == SIM_HIST) {
		memmove(p->hist, p->hist + 1, sizeof p->hist[0] * (SIM_HIST - 1));
		p->nhist--;
	}
	p->hist[p->nhist++] = (struct sim_pos_snap){ now, p->amt, p->entry };
}

void sim_pos_view(struct sim_world *w, struct sim_account *a, struct sim_position *p, long long lag_ms, double *amt,
		  double *entry)
{
	long long cut;

	*amt = p->amt;
	*entry = p->entry;
	if (lag_ms <= 0)
		return;
	cut = sim_now(w, (int)a->ex) - lag_ms;
	*amt = *entry = 0;
	for (int i = 0; i < p->nhist; i++)
		if (p->hist[i].t <= cut) {
			*amt = p->hist[i].amt;
			*entry = p->hist[i].entry;
		}
}

double sim_upnl(struct sim_world *w, struct sim_position *p, double amt, double entry)
{
	if (fabs(amt) < EPS)
		return 0;
	return amt * (w->sym[p->sym].mark - entry);
}

static int is_bn(struct sim_account *a)
{
	return a->ex == SIM_BINANCE;
}

static void set_status(struct sim_account *a, struct sim_order *o, const char *bn, const char *bb)
{
	snprintf(o->status, sizeof o->status, "%s", is_bn(a) ? bn : bb);
}

/* Bybit TP/SL that belongs to the position (trading-stop / attached to an
 * entry): cleared with the position (CancelByTpSlTsClear). */
static int position_tpsl(const struct sim_order *o)
{
	static const char *k[] = { "StopLoss",        "TakeProfit",        "TrailingStop",
				   "PartialStopLoss", "PartialTakeProfit", NULL };

	for (int i = 0; k[i]; i++)
		if (!strcmp(o->stop_type, k[i]))
			return 1;
	return 0;
}

/* Hedge mode: +1 the side closes its leg (SELL on LONG, BUY on SHORT),
 * -1 it opens / adds, 0 one-way. */
static int hedge_closing(const struct sim_order *o)
{
	if (o->ps == 1)
		return o->side < 0 ? 1 : -1;
	if (o->ps == 2)
		return o->side > 0 ? 1 : -1;
	return 0;
}

/* Reduce-only semantics, as both exchanges define them. */
static int reducing(const struct sim_order *o)
{
	return hedge_closing(o) > 0 || o->reduce_only || o->close_position || o->close_on_trigger;
}

/* Position closed. Bybit removes the position TP/SL (CancelByTpSlTsClear);
 * Binance expires GTE_GTC conditional orders of that leg (EXPIRED). */
static void on_flat(struct sim_world *w, struct sim_account *a, struct sim_position *p)
{
	if (!is_bn(a))
		p->sl = p->tp = p->trail = 0;
	for (size_t i = 0; i < a->norders; i++) {
		struct sim_order *o = a->orders[i];

		if (!o->open || !o->cond || o->stuck || o->sym != p->sym || o->ps != p->ps)
			continue;
		if (is_bn(a) && !strcmp(o->tif, "GTE_GTC"))
			sim_cancel(w, a, o, "EXPIRED", SIM_BY_ENGINE);
		else if (!is_bn(a) && position_tpsl(o))
			sim_cancel(w, a, o, "CancelByTpSlTsClear", SIM_BY_ENGINE);
	}
}

static void fill(struct sim_world *w, struct sim_account *a, struct sim_order *o, double qty, double price)
{
	struct sim_position *p = sim_pos(a, o->sym, o->ps);
	double old = p->amt, delta = o->side * qty;
	long long now = sim_now(w, (int)a->ex);

	if (fabs(old) < EPS || (old > 0) == (delta > 0)) {
		p->entry = (fabs(old) * p->entry + qty * price) / (fabs(old) + qty);
		p->amt = old + delta;
	} else {
		double c = fmin(qty, fabs(old));
		double pnl = c * (price - p->entry) * (old > 0 ? 1 : -1);

		a->balance += pnl;
		p->realised += pnl;
		p->amt = old + delta;
		if (fabs(p->amt) < 1e-9)
			p->amt = 0, p->entry = 0;
		else if (qty > fabs(old))
			p->entry = price; /* flipped */
	}
	if (!p->created)
		p->created = now;
	p->updated = a->bal_updated = now;
	snap(p, now);
	o->avg = (o->executed * o->avg + qty * price) / (o->executed + qty);
	o->executed += qty;
	o->updated = now;
	if (o->executed + EPS >= o->qty) {
		o->open = 0;
		set_status(a, o, "FILLED", "Filled");
	} else {
		set_status(a, o, "PARTIALLY_FILLED", "PartiallyFilled");
	}
	sim_stream_order(w, a, o, qty, price);
	sim_stream_position(w, a, p);
	if (fabs(old) > EPS && (p->amt == 0 || (old > 0) != (p->amt > 0)))
		on_flat(w, a, p);
}

/* Reduce-only rule: the order must shrink an open position; shrink the
 * quantity to the position (both exchanges do this for market orders). */
static enum sim_fail reduce_check(struct sim_account *a, struct sim_order *o)
{
	struct sim_position *p = sim_pos(a, o->sym, o->ps);

	if (!reducing(o))
		return SIM_F_OK;
	if (fabs(p->amt) < EPS || (p->amt > 0) == (o->side > 0))
		return SIM_F_REDUCE_ONLY;
	if (o->close_position || o->qty <= EPS || o->qty > fabs(p->amt))
		o->qty = fabs(p->amt);
	return SIM_F_OK;
}

/* Runs an order already in the book: market fills at mark, crossing limit
 * fills at mark, the rest waits. */
static enum sim_fail run_regular(struct sim_world *w, struct sim_account *a, struct sim_order *o, int announce)
{
	double mark = w->sym[o->sym].mark;
	enum sim_fail f = reduce_check(a, o);
	int market = !strcasecmp(o->type, "MARKET");

	if (f)
		return f;
	o->open = 1;
	set_status(a, o, "NEW", "New");
	if (market)
		snprintf(o->tif, sizeof o->tif, "%s", is_bn(a) ? "GTC" : "IOC");
	if (announce && (is_bn(a) || !market))
		sim_stream_order(w, a, o, 0, 0);
	if (market)
		fill(w, a, o, o->qty, mark);
	else if ((o->side > 0 && o->price >= mark) || (o->side < 0 && o->price <= mark))
		fill(w, a, o, o->qty, mark);
	return SIM_F_OK;
}

static int would_fire(struct sim_order *o, double mark)
{
	return (o->trig_dir == 1 && mark >= o->trigger) || (o->trig_dir == 2 && mark <= o->trigger);
}

/* A limit placed when the order fires: Binance STOP / TAKE_PROFIT, Bybit
 * conditional Limit. */
static int limit_on_fire(const struct sim_order *o)
{
	return !strcmp(o->type, "STOP") || !strcmp(o->type, "TAKE_PROFIT") || !strcmp(o->type, "Limit");
}

double sim_order_level(struct sim_world *w, const struct sim_order *o)
{
	(void)w;
	if (!o->trailing)
		return o->trigger;
	if (!o->active)
		return o->activate;
	if (o->distance > 0)
		return o->side < 0 ? o->best - o->distance : o->best + o->distance;
	return o->side < 0 ? o->best * (1 - o->callback / 100) : o->best * (1 + o->callback / 100);
}

int sim_fire_effect(struct sim_world *w, struct sim_account *a, const struct sim_order *o, struct sim_effect *e)
{
	struct sim_position *p = sim_pos_peek(a, o->sym, o->ps);
	double amt = p ? p->amt : 0, level = sim_order_level(w, o);

	memset(e, 0, sizeof *e);
	if (!o->open || !o->cond || o->stuck)
		return 0;
	e->side = o->side;
	e->ps = o->ps;
	e->reducing = reducing(o);
	if (!e->reducing)
		e->qty = o->qty;
	else if (fabs(amt) < EPS || (amt > 0) == (o->side > 0))
		e->qty = 0; /* nothing to reduce: the fire is rejected */
	else if (o->close_position || o->qty <= EPS)
		e->qty = fabs(amt);
	else
		e->qty = fmin(o->qty, fabs(amt));
	if (o->trailing)
		e->fires_on = o->active ? (o->side < 0 ? -1 : 1) : 0;
	else
		e->fires_on = o->trig_dir == 1 ? 1 : o->trig_dir == 2 ? -1 : 0;
	/* a BUY limit fills when mark <= price, so at the trigger if price >= it */
	e->fills = !limit_on_fire(o) || (o->side > 0 ? o->price >= level : o->price <= level);
	return 1;
}

double sim_order_protects(struct sim_world *w, struct sim_account *a, const struct sim_order *o,
			  const struct sim_position *p)
{
	struct sim_effect e;
	int dir;

	if (!p || fabs(p->amt) < EPS || o->sym != p->sym || !sim_fire_effect(w, a, o, &e))
		return 0;
	dir = p->amt > 0 ? 1 : -1;
	/* it must act on this leg, fire when the mark moves against the
	 * position, and reduce (never open) when it does */
	if (e.ps != p->ps || !e.reducing || e.side != -dir || e.fires_on != -dir || !e.fills)
		return 0;
	return e.qty;
}

enum sim_fail sim_place(struct sim_world *w, struct sim_account *a, struct sim_order *o)
{
	struct sim_symbol *s;
	enum sim_fail f;

	if (o->sym < 0 || o->sym >= w->nsym || !sim_account_has(a, o->sym)) {
		order_drop_last(a);
		return SIM_F_NO_SYMBOL;
	}
	s = &w->sym[o->sym];
	if (o->client[0])
		for (size_t i = 0; i + 1 < a->norders; i++)
			if (a->orders[i]->open && !strcmp(a->orders[i]->client, o->client)) {
				order_drop_last(a);
				return SIM_F_DUP_CLIENT;
			}
	if (!o->close_position && !(o->close_on_trigger && o->qty <= 0) && o->qty + EPS < s->min_qty) {
		order_drop_last(a);
		return SIM_F_MIN_QTY;
	}
	if (o->cond) {
		if (o->trailing) {
			o->trig_dir = o->side < 0 ? 2 : 1;
			/* a SELL trailing activates when the mark rises to activatePrice */
			if (o->activate > 0 && (o->side < 0 ? s->mark >= o->activate : s->mark <= o->activate)) {
				order_drop_last(a);
				return SIM_F_WOULD_TRIGGER;
			}
			o->active = o->activate <= 0;
			o->best = s->mark;
			if (!is_bn(a))
				o->trigger = sim_order_level(w, o);
		} else {
			if (!o->trig_dir) {
				int stop = !strncmp(o->type, "STOP", 4) || !strcmp(o->stop_type, "StopLoss");

				o->trig_dir = (stop ? o->side > 0 : o->side < 0) ? 1 : 2;
			}
			if (would_fire(o, s->mark)) {
				order_drop_last(a);
				return SIM_F_WOULD_TRIGGER;
			}
		}
		o->open = 1;
		set_status(a, o, "NEW", "Untriggered");
		sim_stream_order(w, a, o, 0, 0);
		sim_order_event(w, a, o, "create", o->created_by, "");
		return SIM_F_OK;
	}
	f = run_regular(w, a, o, 1);
	if (f) {
		order_drop_last(a);
		return f;
	}
	sim_order_event(w, a, o, "create", o->created_by, "");
	return f;
}

void sim_cancel(struct sim_world *w, struct sim_account *a, struct sim_order *o, const char *cancel_type, int by)
{
	const char *ct = cancel_type ? cancel_type : "CancelByUser";

	if (!o->open)
		return;
	o->open = 0;
	o->updated = sim_now(w, (int)a->ex);
	if (is_bn(a))
		snprintf(o->status, sizeof o->status, "%s", !strcmp(ct, "EXPIRED") ? "EXPIRED" : "CANCELED");
	else
		snprintf(o->status, sizeof o->status, "%s", o->cond ? "Deactivated" : "Cancelled");
	snprintf(o->cancel_type, sizeof o->cancel_type, "%s", ct);
	o->cancelled_by = sim_by_resolve(w, by);
	if (o->cancelled_by == SIM_BY_REST) {
		o->cancel_req = w->rest_seq;
		snprintf(o->cancel_req_name, sizeof o->cancel_req_name, "%s", w->rest_name);
	}
	if (!is_bn(a) && position_tpsl(o)) {
		struct sim_position *p = sim_pos(a, o->sym, o->ps);

		if (!strcmp(o->stop_type, "StopLoss"))
			p->sl = 0;
		else if (!strcmp(o->stop_type, "TakeProfit"))
			p->tp = 0;
		else if (!strcmp(o->stop_type, "TrailingStop"))
			p->trail = 0;
	}
	sim_stream_order(w, a, o, 0, 0);
	sim_order_event(w, a, o, "cancel", by, ct);
}

void sim_order_stick(struct sim_world *w, struct sim_account *a, struct sim_order *o)
{
	if (!o->open || !o->cond || o->stuck)
		return;
	o->stuck = 1;
	o->trigger_time = o->updated = sim_now(w, (int)a->ex);
	set_status(a, o, "TRIGGERING", "Triggered");
	sim_stream_order(w, a, o, 0, 0);
	sim_order_event(w, a, o, "stuck", SIM_BY_ENGINE, "condition met, no order placed");
}

/* A conditional order fires. Binance: the algo order places a regular order
 * (actualOrderId) and finishes; Bybit: the same order becomes a market order. */
static void fire(struct sim_world *w, struct sim_account *a, struct sim_order *o)
{
	long long now = sim_now(w, (int)a->ex);
	struct sim_position *p = sim_pos(a, o->sym, o->ps);

	if (sim_fault_find_sym(w, "stuck_triggering", (int)a->ex, a->key, w->sym[o->sym].name, 1)) {
		sim_order_stick(w, a, o);
		return;
	}
	o->trigger_time = o->updated = now;
	o->open = 0;
	if (is_bn(a)) {
		struct sim_order *r;
		int limit = limit_on_fire(o);

		snprintf(o->status, sizeof o->status, "TRIGGERED");
		sim_stream_order(w, a, o, 0, 0);
		sim_order_event(w, a, o, "trigger", SIM_BY_ENGINE, "");
		r = sim_order_new(w, a);
		r->created_by = SIM_BY_ENGINE;
		r->create_req = 0;
		r->sym = o->sym, r->side = o->side, r->ps = o->ps;
		snprintf(r->type, sizeof r->type, "%s", limit ? "LIMIT" : "MARKET");
		snprintf(r->client, sizeof r->client, "%s", o->client);
		snprintf(r->source, sizeof r->source, "trigger");
		r->price = o->price;
		r->qty = o->close_position ? fabs(p->amt) : o->qty;
		r->reduce_only = o->reduce_only;
		r->close_position = o->close_position;
		if (run_regular(w, a, r, 1) != SIM_F_OK) {
			order_drop_last(a);
			snprintf(o->status, sizeof o->status, "REJECTED");
			snprintf(o->reject_reason, sizeof o->reject_reason, "Reduce Only reject");
			sim_order_event(w, a, o, "reject", SIM_BY_ENGINE, o->reject_reason);
		} else {
			o->actual_id = r->id;
			o->avg = r->avg;
			o->executed = r->executed;
			snprintf(o->status, sizeof o->status, "%s", r->open ? "TRIGGERED" : "FINISHED");
			sim_order_event(w, a, r, "create", SIM_BY_ENGINE, "placed by its conditional order");
		}
		o->updated = sim_now(w, (int)a->ex);
		sim_stream_order(w, a, o, 0, 0);
		return;
	}
	snprintf(o->status, sizeof o->status, "Triggered");
	sim_stream_order(w, a, o, 0, 0);
	sim_order_event(w, a, o, "trigger", SIM_BY_ENGINE, "");
	o->cond = 0;
	if (o->close_on_trigger && o->qty <= EPS)
		o->qty = fabs(p->amt);
	if (!strcmp(o->stop_type, "StopLoss"))
		p->sl = 0;
	if (!strcmp(o->stop_type, "TakeProfit"))
		p->tp = 0;
	if (!strcmp(o->stop_type, "TrailingStop"))
		p->trail = 0;
	if (run_regular(w, a, o, 0) != SIM_F_OK) {
		o->open = 0;
		o->cond = 1;
		snprintf(o->status, sizeof o->status, "Deactivated");
		snprintf(o->reject_reason, sizeof o->reject_reason, "EC_ReduceOnlySetButNotReducing");
		sim_stream_order(w, a, o, 0, 0);
		sim_order_event(w, a, o, "reject", SIM_BY_ENGINE, o->reject_reason);
	} else {
		o->cond = 1; /* stays a conditional order in history */
	}
}

/* Trailing stop on a new mark: activation, best mark, fire (1). */
static int trail_step(struct sim_world *w, struct sim_account *a, struct sim_order *o, double mark)
{
	if (!o->active) {
		if (o->activate > 0 && (o->side < 0 ? mark < o->activate : mark > o->activate))
			return 0;
		o->active = 1;
		o->best = mark;
		o->updated = sim_now(w, (int)a->ex);
		if (!is_bn(a))
			o->trigger = sim_order_level(w, o);
		sim_stream_order(w, a, o, 0, 0); /* Binance: ALGO_UPDATE NEW, ia true */
		sim_order_event(w, a, o, "activate", SIM_BY_ENGINE, "");
		return 0;
	}
	if (o->side < 0 ? mark > o->best : mark < o->best) {
		o->best = mark;
		if (!is_bn(a))
			o->trigger = sim_order_level(w, o);
	}
	return o->side < 0 ? mark <= sim_order_level(w, o) : mark >= sim_order_level(w, o);
}

void sim_check_triggers(struct sim_world *w)
{
	for (int round = 0; round < 4; round++) {
		int changed = 0;

		for (int ai = 0; ai < w->nacct; ai++) {
			struct sim_account *a = w->acct[ai];
			size_t n = a->norders;

			for (size_t i = 0; i < n; i++) {
				struct sim_order *o = a->orders[i];
				double mark = w->sym[o->sym].mark;

				if (!o->open || o->stuck)
					continue;
				if (o->cond && (o->trailing ? trail_step(w, a, o, mark) : would_fire(o, mark))) {
					fire(w, a, o);
					changed = 1;
				} else if (!o->cond && strcasecmp(o->type, "MARKET") &&
					   ((o->side > 0 && mark <= o->price) || (o->side < 0 && mark >= o->price))) {
					if (reduce_check(a, o) != SIM_F_OK)
						sim_cancel(w, a, o, is_bn(a) ? "EXPIRED" : "CancelByReduceOnly",
							   SIM_BY_ENGINE);
					else
						fill(w, a, o, o->qty - o->executed, o->price);
					changed = 1;
				}
			}
		}
		if (!changed)
			break;
	}
}

void sim_set_mark(struct sim_world *w, int sym, double mark)
{
	if (sym < 0 || sym >= w->nsym || mark <= 0)
		return;
	w->sym[sym].mark = sim_round_step(mark, w->sym[sym].tick);
	if (w->sym[sym].mark <= 0)
		w->sym[sym].mark = w->sym[sym].tick;
	sim_check_triggers(w);
}

/* Loss kinds fire when the mark moves against the position. */
static int loss_kind(const char *kind)
{
	return !strcmp(kind, "StopLoss") || !strcmp(kind, "PartialStopLoss") || !strcmp(kind, "TrailingStop");
}

/* A new Bybit position TP/SL order (reduce-only, closeOnTrigger). */
static struct sim_order *tpsl_order(struct sim_world *w, struct sim_account *a, int sym, int ps, const char *kind,
				    double trigger, double qty)
{
	struct sim_position *p = sim_pos(a, sym, ps);
	struct sim_order *o = sim_order_new(w, a);
	int lng = p->amt > 0;

	o->sym = sym, o->ps = ps, o->side = lng ? -1 : 1;
	o->cond = 1, o->reduce_only = 1, o->close_on_trigger = 1;
	o->trigger = trigger;
	o->qty = qty;
	o->trig_dir = loss_kind(kind) == lng ? 2 : 1;
	snprintf(o->type, sizeof o->type, "Market");
	snprintf(o->stop_type, sizeof o->stop_type, "%s", kind);
	snprintf(o->tif, sizeof o->tif, "IOC");
	snprintf(o->status, sizeof o->status, "Untriggered");
	o->open = 1;
	return o;
}

static struct sim_order *find_tpsl(struct sim_account *a, int sym, int ps, const char *kind)
{
	for (size_t i = 0; i < a->norders; i++)
		if (a->orders[i]->open && a->orders[i]->sym == sym && a->orders[i]->ps == ps &&
		    !strcmp(a->orders[i]->stop_type, kind))
			return a->orders[i];
	return NULL;
}

static void announce(struct sim_world *w, struct sim_account *a, struct sim_order *o, const char *ev)
{
	sim_stream_order(w, a, o, 0, 0);
	sim_order_event(w, a, o, ev, o->created_by, "");
}

void sim_bybit_set_stop(struct sim_world *w, struct sim_account *a, int sym, int ps, double sl, double tp)
{
	struct sim_position *p = sim_pos(a, sym, ps);
	const char *kinds[2] = { "StopLoss", "TakeProfit" };
	double lv[2] = { sl, tp };

	for (int k = 0; k < 2; k++) {
		struct sim_order *o;

		if (lv[k] < 0)
			continue; /* not given: keep */
		o = find_tpsl(a, sym, ps, kinds[k]);
		if (lv[k] == 0) {
			if (o)
				sim_cancel(w, a, o, "CancelByUser", SIM_BY_SIM);
			continue;
		}
		if (k == 0)
			p->sl = lv[k];
		else
			p->tp = lv[k];
		if (o) { /* Full mode modifies the existing TP/SL */
			o->trigger = lv[k];
			o->updated = sim_now(w, (int)a->ex);
			sim_stream_order(w, a, o, 0, 0);
			sim_order_event(w, a, o, "amend", SIM_BY_SIM, "");
			continue;
		}
		announce(w, a, tpsl_order(w, a, sym, ps, kinds[k], lv[k], 0), "create");
	}
	p->updated = sim_now(w, (int)a->ex);
	sim_stream_position(w, a, p);
}

static int tpsl_err(char *msg, size_t n, int code, const char *text)
{
	snprintf(msg, n, "%s", text);
	return code;
}

int sim_bybit_tpsl(struct sim_world *w, struct sim_account *a, int sym, int ps, const struct sim_tpsl *t, char *msg,
		   size_t n)
{
	struct sim_position *p = sim_pos(a, sym, ps);
	double mark = w->sym[sym].mark;
	int lng;

	if (!p || p->amt == 0)
		return tpsl_err(msg, n, 10001, "can not set tp/sl/ts for zero position");
	lng = p->amt > 0;
	if (t->sl < 0 && t->tp < 0 && t->trail < 0)
		return tpsl_err(msg, n, 34040, "not modified");
	if (t->sl > 0 && (lng ? t->sl >= mark : t->sl <= mark))
		return tpsl_err(msg, n, 10001,
				lng ? "StopLoss:set for Buy position should lower than base_price"
				    : "StopLoss:set for Sell position should greater than base_price");
	if (t->tp > 0 && (lng ? t->tp <= mark : t->tp >= mark))
		return tpsl_err(msg, n, 10001,
				"TakeProfit:set for position should be on the profit side of base_price");
	if (t->trail > 0 && t->active > 0 && (lng ? t->active <= mark : t->active >= mark))
		return tpsl_err(msg, n, 10001,
				lng ? "TrailingStop:activePrice for Buy position should greater than base_price"
				    : "TrailingStop:activePrice for Sell position should lower than base_price");
	if (t->partial) {
		if ((t->sl > 0 && t->sl_size <= 0) || (t->tp > 0 && t->tp_size <= 0))
			return tpsl_err(msg, n, 10001, "params error: slSize / tpSize required in Partial mode");
		if (t->sl > 0 && t->tp > 0 && fabs(t->sl_size - t->tp_size) > EPS)
			return tpsl_err(msg, n, 10001, "params error: tpSize and slSize must be equal");
	} else if ((t->sl < 0 || t->sl == p->sl) && (t->tp < 0 || t->tp == p->tp) &&
		   (t->trail < 0 || t->trail == p->trail)) {
		return tpsl_err(msg, n, 34040, "not modified");
	}
	if (!t->partial) {
		sim_bybit_set_stop(w, a, sym, ps, t->sl, t->tp);
	} else { /* Partial mode only adds; "0" removes that side's partial orders */
		const char *kinds[2] = { "PartialStopLoss", "PartialTakeProfit" };
		double lv[2] = { t->sl, t->tp }, sz[2] = { t->sl_size, t->tp_size };

		for (int k = 0; k < 2; k++) {
			struct sim_order *o;

			if (lv[k] > 0)
				announce(w, a, tpsl_order(w, a, sym, ps, kinds[k], lv[k], sz[k]), "create");
			else if (lv[k] == 0)
				while ((o = find_tpsl(a, sym, ps, kinds[k])))
					sim_cancel(w, a, o, "CancelByUser", SIM_BY_SIM);
		}
	}
	if (t->trail >= 0) {
		struct sim_order *o = find_tpsl(a, sym, ps, "TrailingStop");

		if (t->trail == 0) {
			if (o)
				sim_cancel(w, a, o, "CancelByUser", SIM_BY_SIM);
		} else {
			int fresh = !o;

			if (fresh)
				o = tpsl_order(w, a, sym, ps, "TrailingStop", 0, 0);
			o->trailing = 1;
			o->distance = t->trail;
			o->activate = t->active > 0 ? t->active : 0;
			o->active = o->activate <= 0;
			o->best = mark;
			o->trigger = sim_order_level(w, o);
			o->updated = sim_now(w, (int)a->ex);
			p->trail = t->trail;
			if (fresh)
				announce(w, a, o, "create");
			else {
				sim_stream_order(w, a, o, 0, 0);
				sim_order_event(w, a, o, "amend", SIM_BY_SIM, "");
			}
		}
	}
	p->updated = sim_now(w, (int)a->ex);
	sim_stream_position(w, a, p);
	return 0;
}
