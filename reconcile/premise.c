/* Every action re-confirms its premise just before it is sent (repair.h).
 * One function per action kind; each reads fresh sources only: the
 * position of (symbol, pidx) from a fresh stream entry, else a fresh REST
 * answer, and the open orders from a fresh REST listing, judged by the one
 * protection rule (rec_protects). What the audit saw may be seconds old;
 * a position may have flipped, the bot may have moved its stop. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "reconcile/repair.h"
#include "base/xalloc.h"

static enum rec_premise said(enum rec_premise p, char *why, size_t wl, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum rec_premise said(enum rec_premise p, char *why, size_t wl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, wl, fmt, ap);
	va_end(ap);
	return p;
}

int rec_fresh_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out,
		       const char **src)
{
	memset(out, 0, sizeof *out);
	int r = rec_stream_position(c, symbol, pidx, out);
	if (r == 1) {
		*src = "stream";
		return out->size > 0 ? 1 : 0;
	}
	*src = "REST";
	r = rec_rest_position(c, symbol, pidx, out);
	if (r < 0)
		return -1;
	if (r == 0) {
		memset(out, 0, sizeof *out);
		snprintf(out->symbol, sizeof out->symbol, "%s", symbol);
		out->pidx = pidx;
	}
	return r;
}

int rec_fresh_orders(struct rec_ctx *c, const char *symbol, struct rec_order **out, size_t *n, char *why, size_t wl)
{
	struct xch_err err = { 0 };
	*out = NULL;
	*n = 0;
	if (xch_open_orders_of(c->x, symbol, out, n, &err) != XCH_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
		snprintf(why, wl, "open orders unavailable (%.160s)", err.msg);
		return -1;
	}
	return 0;
}

/* The position the step acts on, now; GONE when flat or on another side. */
static enum rec_premise position_holds(struct rec_engine *e, const struct rec_step *s, enum rec_pos_idx pidx,
				       struct rec_position *pos, char *why, size_t wl)
{
	const char *src;
	int r = rec_fresh_position(&e->ctx, s->a.symbol, pidx, pos, &src);
	if (r < 0)
		return said(REC_PREMISE_UNKNOWN, why, wl, "cannot confirm the position of %s (REST unavailable)",
			    s->a.symbol);
	if (r == 0)
		return said(REC_PREMISE_GONE, why, wl, "%s shows %s flat now", src, s->a.symbol);
	if (pos->side != s->a.position_side)
		return said(REC_PREMISE_GONE, why, wl, "%s shows %s %s now, the finding was about %s", src,
			    rec_side_name(pos->side), s->a.symbol, rec_side_name(s->a.position_side));
	return REC_PREMISE_HOLDS;
}

/* Pointers into o[0..n) for rec_protection_eval. */
static const struct rec_order **ptrs(const struct rec_order *o, size_t n)
{
	const struct rec_order **p = xmalloc((n ? n : 1) * sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = &o[i];
	return p;
}

/* At send time a TRIGGERING order has outlived the audit's window. */
static bool lingers(void *ctx, const struct rec_order *o)
{
	(void)ctx;
	(void)o;
	return true;
}

void rec_fresh_protection(const struct rec_position *pos, const struct rec_order *o, size_t n,
			  struct rec_protection *out)
{
	const struct rec_order **p = ptrs(o, n);
	rec_protection_eval(pos, rec_closing_side(pos->side), p, n, lingers, NULL, out);
	free(p);
}

enum rec_premise rec_premise_stop(struct rec_engine *e, const struct rec_step *s, struct rec_position *pos, char *why,
				  size_t wl)
{
	enum rec_premise r = position_holds(e, s, s->a.pidx, pos, why, wl);
	if (r != REC_PREMISE_HOLDS)
		return r;
	if (pos->mark_price <= 0)
		pos->mark_price = s->f.mark_price;
	if (pos->entry_price <= 0)
		pos->entry_price = s->f.entry_price;
	return REC_PREMISE_HOLDS;
}

static const struct rec_order *find_order(const struct rec_order *o, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(o[i].id, id) == 0)
			return &o[i];
	return NULL;
}

enum rec_premise rec_premise_cancel(struct rec_engine *e, const struct rec_step *s, char *why, size_t wl)
{
	struct rec_order *o = NULL;
	size_t n = 0;
	if (rec_fresh_orders(&e->ctx, s->a.symbol, &o, &n, why, wl) != 0)
		return REC_PREMISE_UNKNOWN;
	enum rec_premise r = REC_PREMISE_HOLDS;
	struct rec_position pos;
	const struct rec_order *t = find_order(o, n, s->a.order_id);
	if (!t) {
		r = said(REC_PREMISE_GONE, why, wl, "order %s is no longer open", s->a.order_id);
		goto out;
	}
	switch (s->f.code) {
	case REC_ORPHAN_ORDER: {
		/* still an exit, and its own leg still flat */
		if (!rec_order_is_exit(t)) {
			r = said(REC_PREMISE_GONE, why, wl,
				 "order %s can open or add (the bot's entry): never cancelled", t->id);
			break;
		}
		const char *src;
		int pr = rec_fresh_position(&e->ctx, s->a.symbol, t->pidx, &pos, &src);
		if (pr < 0)
			r = said(REC_PREMISE_UNKNOWN, why, wl, "cannot confirm %s is flat (REST unavailable)",
				 s->a.symbol);
		else if (pr == 1)
			r = said(REC_PREMISE_GONE, why, wl, "%s shows %s %.10g open now: the order may protect it", src,
				 rec_side_name(pos.side), pos.size);
		break;
	}
	case REC_DUPLICATE_STOP:
	case REC_WRONG_SIDE_STOP: {
		r = position_holds(e, s, s->a.pidx, &pos, why, wl);
		if (r != REC_PREMISE_HOLDS)
			break;
		struct rec_prot v;
		rec_protects(t, &pos, false, &v);
		if (s->f.code == REC_WRONG_SIDE_STOP) {
			if (v.role != REC_ROLE_WRONG_SIDE || !t->conditional)
				r = said(REC_PREMISE_GONE, why, wl, "order %s is no longer a wrong-side stop (%s: %s)",
					 t->id, rec_role_name(v.role), v.why);
			break;
		}
		if (v.verdict != REC_PROT_YES || !v.dup_cancellable) {
			r = said(REC_PREMISE_GONE, why, wl, "order %s is not a plain protecting stop now (%s)", t->id,
				 v.why);
			break;
		}
		/* another live protecting stop of full coverage must stay */
		size_t w = 0;
		for (size_t i = 0; i < n; i++)
			if (&o[i] != t)
				o[w++] = o[i];
		struct rec_protection rest;
		rec_fresh_protection(&pos, o, w, &rest);
		if (!rec_protection_covers(&rest, pos.size))
			r = said(REC_PREMISE_GONE, why, wl,
				 "without %s no stop would cover %.10g (the others cover %.10g): kept", s->a.order_id,
				 pos.size, rest.stop_qty);
		break;
	}
	default:
		r = said(REC_PREMISE_GONE, why, wl, "%s is no reason to cancel an order", rec_code_name(s->f.code));
		break;
	}
out:
	free(o);
	return r;
}
