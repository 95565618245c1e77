/* Which orders protect a position: design.md "Findings" and rule 5. A stop
 * protects when it is on the closing side (taken from the position, never
 * from an order), reduce-only or close-position, on the same position side
 * (hedge mode), and the stops together cover the full size. */
#include <math.h>
#include <string.h>

#include "reconcile/rec_int.h"

bool rec_order_is_active(const struct rec_order *o)
{
	switch (o->status) {
	case REC_OST_UNKNOWN: /* listed as open by the exchange */
	case REC_OST_NEW:
	case REC_OST_PARTIAL:
	case REC_OST_TRIGGERING:
		return true;
	default:
		return false;
	}
}

bool rec_order_is_stop(const struct rec_order *o)
{
	if (o->position_attached)
		return true;
	return o->conditional && (o->kind == REC_OK_STOP_LOSS || o->kind == REC_OK_TRAILING);
}

bool rec_order_is_exit(const struct rec_order *o)
{
	if (o->position_attached)
		return false; /* exists only with its position */
	if (o->reduce_only || o->close_position)
		return true;
	return o->conditional &&
	       (o->kind == REC_OK_STOP_LOSS || o->kind == REC_OK_TAKE_PROFIT || o->kind == REC_OK_TRAILING);
}

/* Does this order cover the whole position on its own? */
static bool alone_covers(const struct rec_order *o, double size)
{
	if (o->position_attached || o->close_position)
		return true;
	return o->qty - o->filled >= size * (1 - 1e-9);
}

/* Preference for the stop to keep: attached, close-position, biggest. */
static int keep_rank(const struct rec_order *o)
{
	return o->position_attached ? 2 : o->close_position ? 1 : 0;
}

void rec_protection_eval(const struct rec_position *pos, enum rec_oside closing, const struct rec_order *const *ord,
			 size_t n, rec_linger_fn linger, void *ctx, struct rec_protection *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		const struct rec_order *o = ord[i];
		if (!rec_order_is_active(o) || !rec_order_is_stop(o) || o->pidx != pos->pidx)
			continue;
		enum rec_oside side = o->side;
		if (o->position_attached && side == REC_OSIDE_UNKNOWN)
			side = closing; /* attached to this position: closes it by construction */
		if (side == REC_OSIDE_UNKNOWN || closing == REC_OSIDE_UNKNOWN) {
			out->nunknown_side++; /* never trusted (rule 5) */
			continue;
		}
		if (side != closing) {
			if (!out->wrong)
				out->wrong = o;
			out->nwrong++;
			continue;
		}
		if (!(o->reduce_only || o->close_position || o->position_attached)) {
			out->nnot_reduce++; /* could reverse the position */
			continue;
		}
		if (o->status == REC_OST_TRIGGERING && linger && linger(ctx, o)) {
			out->nlingering++;
			continue;
		}
		out->nstops++;
		if (o->position_attached || o->close_position)
			out->full = true;
		else
			out->stop_qty += fmax(0, o->qty - o->filled);
		if (alone_covers(o, pos->size) &&
		    (!out->keep || keep_rank(o) > keep_rank(out->keep) ||
		     (keep_rank(o) == keep_rank(out->keep) && o->qty > out->keep->qty)))
			out->keep = o;
	}
	/* Bybit: the position's own stopLoss field, when no attached order
	 * was synthesized from it */
	if (pos->stop_loss > 0) {
		bool have_attached = false;
		for (size_t i = 0; i < n; i++)
			if (ord[i]->position_attached && ord[i]->pidx == pos->pidx && rec_order_is_active(ord[i]))
				have_attached = true;
		if (!have_attached) {
			out->pos_field = true;
			out->full = true;
			out->nstops++;
		}
	}
	/* a redundant stop: something besides the one that covers alone */
	if (out->nstops >= 2 && (out->keep || out->pos_field)) {
		for (size_t i = 0; i < n && !out->redundant; i++) {
			const struct rec_order *o = ord[i];
			if (o == out->keep || !rec_order_is_active(o) || !rec_order_is_stop(o) || o->pidx != pos->pidx)
				continue;
			enum rec_oside side = o->position_attached && o->side == REC_OSIDE_UNKNOWN ? closing : o->side;
			if (side != closing || !(o->reduce_only || o->close_position || o->position_attached))
				continue;
			if (o->status == REC_OST_TRIGGERING && linger && linger(ctx, o))
				continue;
			if (o->position_attached && out->keep)
				continue; /* prefer naming a cancellable order */
			out->redundant = o;
		}
		if (!out->redundant && out->keep && out->pos_field)
			out->redundant = out->keep; /* position stopLoss already covers */
	}
}

bool rec_protection_covers(const struct rec_protection *pr, double size)
{
	return pr->full || (pr->stop_qty > 0 && pr->stop_qty >= size * (1 - 1e-9));
}
