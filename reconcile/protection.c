/* What protects a position: the one rule (reconcile.h rec_protects), and
 * the per-leg evaluation built on it (rec_int.h rec_protection_eval).
 *
 * A stop-loss protects a leg only when all of these hold (PROTECTION.md
 * beside this file has the table per exchange):
 *  - it is on the leg (same pidx) and reduces: reduce-only, close-position,
 *    closeOnTrigger, position-attached, or in hedge mode its side closes the
 *    leg its positionSide / positionIdx names (Binance forbids reduceOnly
 *    there). Anything else can open or add: the bot's entry, never ours;
 *  - its side is the position's closing side (else a flip's leftover);
 *  - it is a conditional order that fires on the loss side: the trigger
 *    direction the adapter read from the exchange (Bybit triggerDirection;
 *    Binance type + side) is FALL for a long, RISE for a short. A
 *    take-profit, a resting limit exit, or a "Stop" firing the profit way
 *    protects nothing;
 *  - its trigger lies beyond the mark on the loss side (mark known);
 *  - a trailing stop is activated (ALGO_UPDATE ia, no activation price, or
 *    the mark has reached it);
 *  - it is live: untriggered / resting, or TRIGGERING within the window. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reconcile/rec_int.h"

bool rec_order_is_active(const struct rec_order *o)
{
	switch (o->status) {
	case REC_OST_UNKNOWN: /* listed as open by the exchange */
	case REC_OST_NEW:
	case REC_OST_PARTIAL:
	case REC_OST_TRIGGERING: return true;
	default: return false;
	}
}

bool rec_order_reduces(const struct rec_order *o)
{
	if (o->reduce_only || o->close_position || o->close_on_trigger || o->position_attached)
		return true;
	return (o->pidx == REC_PIDX_LONG && o->side == REC_SELL) || (o->pidx == REC_PIDX_SHORT && o->side == REC_BUY);
}

bool rec_order_is_exit(const struct rec_order *o)
{
	return !o->position_attached && rec_order_is_active(o) && rec_order_reduces(o);
}

const char *rec_role_name(enum rec_order_role r)
{
	static const char *const n[] = { "none", "entry", "stop", "take-profit", "wrong-side", "unknown" };
	return (unsigned)r < sizeof n / sizeof *n ? n[r] : "?";
}

const char *rec_prot_verdict_name(enum rec_prot_verdict v)
{
	return v == REC_PROT_YES ? "protects" : v == REC_PROT_NO ? "does not protect" : "unknown";
}

static enum rec_prot_verdict say(struct rec_prot *out, enum rec_prot_verdict v, enum rec_order_role role,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum rec_prot_verdict say(struct rec_prot *out, enum rec_prot_verdict v, enum rec_order_role role,
				 const char *fmt, ...)
{
	out->verdict = v;
	out->role = role;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof out->why, fmt, ap);
	va_end(ap);
	return v;
}

static const char *dir_name(enum rec_trig_dir d)
{
	return d == REC_TRIG_RISE ? "rise" : d == REC_TRIG_FALL ? "fall" : "unknown";
}

/* Has a trailing stop started trailing? */
static enum rec_tri trailing_active(const struct rec_order *o, const struct rec_position *pos)
{
	if (o->activated != REC_TRI_UNKNOWN)
		return o->activated;
	/* the adapters say YES for an order placed without an activation
	 * price; unknown activation with no price known says nothing */
	if (o->activate_price <= 0 || pos->mark_price <= 0)
		return REC_TRI_UNKNOWN;
	/* a long's SELL trailing activates when the price rises to it, a
	 * short's BUY trailing when it falls to it */
	bool reached = pos->side == REC_SIDE_LONG ? pos->mark_price >= o->activate_price
						  : pos->mark_price <= o->activate_price;
	return reached ? REC_TRI_YES : REC_TRI_NO;
}

enum rec_prot_verdict rec_protects(const struct rec_order *o, const struct rec_position *pos, bool triggering_counts,
				   struct rec_prot *outp)
{
	struct rec_prot scratch;
	struct rec_prot *out = outp ? outp : &scratch;
	memset(out, 0, sizeof *out);
	if ((o->symbol[0] && pos->symbol[0] && strcmp(o->symbol, pos->symbol) != 0) || o->pidx != pos->pidx)
		return say(out, REC_PROT_NO, REC_ROLE_NONE, "another leg");
	enum rec_oside closing = rec_closing_side(pos->side);
	if (closing == REC_OSIDE_UNKNOWN || pos->size <= 0)
		return say(out, REC_PROT_UNKNOWN, REC_ROLE_UNKNOWN, "position side unknown");
	enum rec_oside side = o->side;
	if (o->position_attached && side == REC_OSIDE_UNKNOWN)
		side = closing; /* attached to this position: closes it by construction */
	if (side == REC_OSIDE_UNKNOWN)
		return say(out, REC_PROT_UNKNOWN, REC_ROLE_UNKNOWN, "order side unreadable");
	if (!rec_order_reduces(o))
		return say(out, REC_PROT_NO, REC_ROLE_ENTRY, "%s %s can open or add (not reduce-only): the bot's entry",
			   o->type, rec_oside_name(side));
	if (side != closing)
		return say(out, REC_PROT_NO, REC_ROLE_WRONG_SIDE, "%s %s does not close a %s position", o->type,
			   rec_oside_name(side), rec_side_name(pos->side));
	if (!o->conditional && !o->position_attached)
		return say(out, REC_PROT_NO, REC_ROLE_TAKE_PROFIT, "%s exit rests at its price: not a stop",
			   o->type[0] ? o->type : "limit");
	if (o->kind == REC_OK_TAKE_PROFIT)
		return say(out, REC_PROT_NO, REC_ROLE_TAKE_PROFIT, "take-profit %s", o->type);
	if (o->kind != REC_OK_STOP_LOSS && o->kind != REC_OK_TRAILING && o->kind != REC_OK_CONDITIONAL)
		return say(out, REC_PROT_UNKNOWN, REC_ROLE_UNKNOWN, "order type %s: what it does on fire is unknown",
			   o->type);
	enum rec_trig_dir loss = pos->side == REC_SIDE_LONG ? REC_TRIG_FALL : REC_TRIG_RISE;
	enum rec_trig_dir dir = o->trigger_dir;
	/* a documented stop-loss type that does not state its direction
	 * fires the loss way (Bybit StopLoss, an attached stop); a generic
	 * conditional without a direction is undecidable */
	if (dir == REC_TRIG_UNKNOWN && o->kind != REC_OK_CONDITIONAL)
		dir = loss;
	if (dir == REC_TRIG_UNKNOWN)
		return say(out, REC_PROT_UNKNOWN, REC_ROLE_UNKNOWN, "%s trigger direction not stated", o->type);
	if (dir != loss)
		return say(out, REC_PROT_NO, REC_ROLE_TAKE_PROFIT,
			   "%s fires on a %s: the profit side of a %s (a take-profit)", o->type, dir_name(dir),
			   rec_side_name(pos->side));
	out->role = REC_ROLE_STOP;
	if (!rec_order_is_active(o))
		return say(out, REC_PROT_NO, REC_ROLE_STOP, "not live");
	if (o->status == REC_OST_TRIGGERING && !triggering_counts)
		return say(out, REC_PROT_NO, REC_ROLE_STOP, "stuck TRIGGERING");
	if (o->kind == REC_OK_TRAILING) {
		enum rec_tri act = trailing_active(o, pos);
		if (act != REC_TRI_YES)
			return say(out, REC_PROT_NO, REC_ROLE_STOP,
				   "trailing stop not activated (activation %.10g, mark %.10g)", o->activate_price,
				   pos->mark_price);
	} else if (o->trigger_price > 0 && pos->mark_price > 0) {
		bool beyond = pos->side == REC_SIDE_LONG ? o->trigger_price < pos->mark_price
							 : o->trigger_price > pos->mark_price;
		if (!beyond)
			return say(out, REC_PROT_NO, REC_ROLE_STOP,
				   "trigger %.10g is not on the loss side of the mark %.10g", o->trigger_price,
				   pos->mark_price);
	}
	out->full = o->position_attached || o->close_position || (o->close_on_trigger && o->qty <= 0);
	out->qty = out->full ? 0 : fmax(0, o->qty - o->filled);
	out->dup_cancellable = !o->position_attached && o->kind != REC_OK_TRAILING;
	return say(out, REC_PROT_YES, REC_ROLE_STOP, "%s %s %s trigger %.10g %s", o->type, rec_oside_name(side),
		   out->full ? "closes the position" : "reduces", o->trigger_price, o->id);
}

/* Does this protecting stop cover the whole position on its own? */
static bool alone_covers(const struct rec_prot *v, double size)
{
	return v->full || v->qty >= size * (1 - 1e-9);
}

/* Preference for the stop to keep: attached, close-position, biggest. */
static int keep_rank(const struct rec_order *o)
{
	return o->position_attached ? 2 : o->close_position ? 1 : 0;
}

void rec_protection_eval(const struct rec_position *pos, enum rec_oside closing, const struct rec_order *const *ord,
			 size_t n, rec_linger_fn linger, void *ctx, struct rec_protection *out)
{
	(void)closing; /* the rule takes the closing side from pos itself */
	memset(out, 0, sizeof *out);
	double keep_qty = 0;
	bool have_attached = false;
	for (size_t i = 0; i < n; i++) {
		const struct rec_order *o = ord[i];
		if (o->pidx != pos->pidx || !rec_order_is_active(o))
			continue;
		if (o->position_attached)
			have_attached = true;
		bool counts = !(o->status == REC_OST_TRIGGERING && linger && linger(ctx, o));
		struct rec_prot v;
		rec_protects(o, pos, counts, &v);
		switch (v.role) {
		case REC_ROLE_ENTRY: out->nentry++; continue;
		case REC_ROLE_TAKE_PROFIT: out->ntp++; continue;
		case REC_ROLE_UNKNOWN:
			out->nunknown_side++; /* never trusted (rule 5) */
			continue;
		case REC_ROLE_WRONG_SIDE:
			/* a flip's leftover reducing stop (never a take-profit or
			 * a resting limit: those do no harm and are the bot's) */
			if (o->conditional && o->kind != REC_OK_TAKE_PROFIT && !o->position_attached) {
				if (!out->wrong)
					out->wrong = o;
				out->nwrong++;
			}
			continue;
		case REC_ROLE_NONE: continue;
		case REC_ROLE_STOP: break;
		}
		if (v.verdict != REC_PROT_YES) {
			if (!counts)
				out->nlingering++;
			else
				out->ninactive++;
			continue;
		}
		out->nstops++;
		if (v.full)
			out->full = true;
		else
			out->stop_qty += v.qty;
		if (alone_covers(&v, pos->size) && (!out->keep || keep_rank(o) > keep_rank(out->keep) ||
						    (keep_rank(o) == keep_rank(out->keep) && v.qty > keep_qty))) {
			out->keep = o;
			keep_qty = v.qty;
		}
	}
	/* Bybit: the position's own stopLoss field, when no attached order
	 * was synthesized from it; on the loss side of the mark only */
	if (pos->stop_loss > 0 && !have_attached) {
		bool beyond = pos->mark_price <= 0 || (pos->side == REC_SIDE_LONG ? pos->stop_loss < pos->mark_price
										  : pos->stop_loss > pos->mark_price);
		if (beyond) {
			out->pos_field = true;
			out->full = true;
			out->nstops++;
		} else {
			out->ninactive++;
		}
	}
	/* a redundant stop: a plain stop order beside one that covers alone */
	if (out->nstops >= 2 && (out->keep || out->pos_field)) {
		for (size_t i = 0; i < n && !out->redundant; i++) {
			const struct rec_order *o = ord[i];
			if (o == out->keep || o->pidx != pos->pidx || !rec_order_is_active(o))
				continue;
			bool counts = !(o->status == REC_OST_TRIGGERING && linger && linger(ctx, o));
			struct rec_prot v;
			if (rec_protects(o, pos, counts, &v) == REC_PROT_YES && v.dup_cancellable)
				out->redundant = o;
		}
		if (!out->redundant && out->keep && out->pos_field && !out->keep->position_attached &&
		    out->keep->kind != REC_OK_TRAILING)
			out->redundant = out->keep; /* position stopLoss already covers */
	}
}

bool rec_protection_covers(const struct rec_protection *pr, double size)
{
	return pr->full || (pr->stop_qty > 0 && pr->stop_qty >= size * (1 - 1e-9));
}
