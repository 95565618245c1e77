/* rec_classify: one account's snapshot -> findings (see reconcile.h for
 * the design). Builds a per-audit index by symbol (hash), groups orders and
 * bot rows per symbol, then judges each (symbol, position side). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "reconcile/rules.h"
#include "base/xalloc.h"

struct sym_ent {
	char sym[REC_SYM_MAX];
	const struct rec_position *sp[3]; /* stream entry per pidx */
	const struct rec_position *rp[3]; /* REST entry per pidx */
	size_t ord_first, ord_n;          /* into ctx.ord_by_sym */
	size_t bot_first, bot_n;          /* into ctx.bot_by_sym */
	bool unknown;                     /* some position view was UNKNOWN */
	bool disputed;                    /* REST disagrees on some side */
	bool want[3];                     /* position sides to judge */
	struct rec_merged mg[3];
};

struct ctx {
	const struct rec_snapshot *s;
	const struct rec_params *p;
	struct rec_memory *m;
	bool stream_fresh;
	bool rest_suspect; /* REST caught disagreeing with the stream */
	struct sym_ent *ent;
	size_t nent, cap;
	size_t *slot; /* index + 1 */
	size_t nslot;
	const struct rec_order **ord; /* effective open orders */
	size_t nord;
	const struct rec_order **ord_by_sym;
	struct rec_order *ord_merged; /* stream states completed from REST */
	const struct rec_bot_row **bot_by_sym;
	char (*bot_sym)[REC_SYM_MAX]; /* normalized symbol per bot row */
	struct rec_finding *out;
	size_t nout, capout;
};

/* ---- symbol index ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct sym_ent *sym_find(struct ctx *c, const char *sym, bool create)
{
	size_t h = hash_str(sym) & (c->nslot - 1);
	while (c->slot[h]) {
		struct sym_ent *e = &c->ent[c->slot[h] - 1];
		if (strcmp(e->sym, sym) == 0)
			return e;
		h = (h + 1) & (c->nslot - 1);
	}
	if (!create || c->nent >= c->cap)
		return NULL;
	struct sym_ent *e = &c->ent[c->nent];
	memset(e, 0, sizeof *e);
	snprintf(e->sym, sizeof e->sym, "%s", sym);
	c->slot[h] = ++c->nent;
	return e;
}

static unsigned pidx_i(enum rec_pos_idx x)
{
	return (unsigned)x < 3 ? (unsigned)x : 0;
}

/* ---- findings ---- */

static struct rec_finding *add_finding(struct ctx *c, enum rec_code code, const char *sym, enum rec_pos_idx pidx)
{
	if (c->nout == c->capout) {
		c->capout = c->capout ? c->capout * 2 : 16;
		c->out = xrealloc(c->out, c->capout * sizeof *c->out);
	}
	struct rec_finding *f = &c->out[c->nout++];
	memset(f, 0, sizeof *f);
	f->code = code;
	f->severity = rec_code_default_severity(code);
	snprintf(f->account, sizeof f->account, "%s", c->s->account);
	f->exchange = c->s->exchange;
	snprintf(f->symbol, sizeof f->symbol, "%s", sym ? sym : "");
	f->pidx = pidx;
	rec_finding_make_key(f);
	if (pidx != REC_PIDX_BOTH) {
		size_t l = strlen(f->key);
		snprintf(f->key + l, sizeof f->key - l, ":%s", pidx == REC_PIDX_LONG ? "LONG" : "SHORT");
	}
	return f;
}

static void detail_add(struct rec_finding *f, const char *fmt, ...)
{
	size_t l = strlen(f->detail);
	if (l + 1 >= sizeof f->detail)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->detail + l, sizeof f->detail - l, fmt, ap);
	va_end(ap);
}

static void view_text(struct rec_finding *f, const char *name, const struct rec_view *v, bool ok)
{
	if (!ok)
		detail_add(f, "%s=unavailable", name);
	else if (!v->present)
		detail_add(f, "%s=none", name);
	else if (v->size <= 0)
		detail_add(f, "%s=flat", name);
	else
		detail_add(f, "%s=%s %.10g", name, rec_side_name(v->side), v->size);
}

/* Fills the source views and the exchange-confirmed position of f. */
static void fill_views(struct ctx *c, struct rec_finding *f, const struct sym_ent *e, unsigned pi,
		       const struct rec_merged *mg, const struct rec_bot_row *row)
{
	const struct rec_position *sp = e->sp[pi], *rp = e->rp[pi];
	if (sp) {
		f->stream.present = true;
		f->stream.side = sp->size > 0 ? sp->side : REC_SIDE_UNKNOWN;
		f->stream.size = sp->size;
	}
	if (rp) {
		f->rest.present = true;
		f->rest.side = rp->side;
		f->rest.size = rp->size;
	}
	rec_rule_db_is_belief(f, row);
	if (mg->state == REC_VIEW_OPEN) {
		/* only exchange facts: the merged stream/REST position */
		f->pos_side = mg->pos.side;
		f->pos_size = mg->pos.size;
		f->entry_price = mg->pos.entry_price;
		f->mark_price = mg->pos.mark_price;
		const struct rec_position *other = mg->from == REC_SRC_STREAM ? rp : sp;
		if (other && other->size > 0 && other->side == mg->pos.side) {
			if (f->entry_price <= 0)
				f->entry_price = other->entry_price;
			if (f->mark_price <= 0)
				f->mark_price = other->mark_price;
		}
	}
	detail_add(f, "stream%s=", c->s->stream && !c->stream_fresh ? "(stale)" : "");
	if (!c->s->stream)
		detail_add(f, "n/a");
	else if (!sp)
		detail_add(f, "none");
	else if (sp->size <= 0)
		detail_add(f, "flat");
	else
		detail_add(f, "%s %.10g", rec_side_name(sp->side), sp->size);
	detail_add(f, " ");
	view_text(f, "rest", &f->rest, c->s->rest_pos_ok);
	detail_add(f, " ");
	if (!c->s->bot_ok)
		detail_add(f, "db=unavailable");
	else if (!row)
		detail_add(f, "db=no live row");
	else
		detail_add(f, "db=%s %s %.10g", row->status, rec_side_name(row->side), row->qty);
	detail_add(f, "; believed %s from %s",
		   mg->state == REC_VIEW_OPEN   ? "open"
		   : mg->state == REC_VIEW_FLAT ? "flat"
						: "unknown",
		   mg->from == REC_SRC_STREAM ? "stream"
		   : mg->from == REC_SRC_REST ? "rest"
					      : "nothing");
	if (mg->rest_disagrees)
		detail_add(f, " (REST disagrees)");
	detail_add(f, ". ");
}

static void set_order(struct rec_finding *f, const struct rec_order *o)
{
	if (!o)
		return;
	snprintf(f->order_id, sizeof f->order_id, "%s", o->id);
	f->order_is_algo = o->is_algo;
}

/* ---- effective open orders: rec_effective_orders (orders_eff.c) ---- */

static void build_orders(struct ctx *c)
{
	struct rec_eff_orders eo;
	rec_effective_orders(c->s, c->p, c->stream_fresh, &eo);
	c->ord = eo.ord;
	c->nord = eo.n;
	c->ord_merged = eo.merged;
}

/* ---- the index ---- */

static void build_index(struct ctx *c)
{
	const struct rec_snapshot *s = c->s;
	const struct rec_stream_cache *sc = s->stream;
	size_t nsp = sc ? (sc->npos < REC_STREAM_MAX_POS ? sc->npos : REC_STREAM_MAX_POS) : 0;
	size_t nrp = s->rest_pos_ok ? s->nrest_pos : 0;
	size_t nb = s->bot_ok ? s->nbot : 0;
	c->cap = nsp + nrp + c->nord + nb + 1;
	c->ent = xmalloc(c->cap * sizeof *c->ent);
	c->nslot = 64;
	while (c->nslot < c->cap * 2)
		c->nslot <<= 1;
	c->slot = xcalloc(c->nslot, sizeof *c->slot);
	for (size_t i = 0; i < nsp; i++) {
		struct sym_ent *e = sym_find(c, sc->pos[i].symbol, true);
		e->sp[pidx_i(sc->pos[i].pidx)] = &sc->pos[i];
	}
	for (size_t i = 0; i < nrp; i++) {
		if (s->rest_pos[i].size <= 0)
			continue;
		struct sym_ent *e = sym_find(c, s->rest_pos[i].symbol, true);
		e->rp[pidx_i(s->rest_pos[i].pidx)] = &s->rest_pos[i];
	}
	/* orders grouped per symbol: count, prefix sums, fill */
	size_t *oe = xmalloc((c->nord + 1) * sizeof *oe);
	for (size_t i = 0; i < c->nord; i++) {
		struct sym_ent *e = sym_find(c, c->ord[i]->symbol, true);
		oe[i] = (size_t)(e - c->ent);
		e->ord_n++;
	}
	size_t *bi = xmalloc((nb + 1) * sizeof *bi);
	c->bot_sym = xmalloc((nb + 1) * sizeof *c->bot_sym);
	for (size_t i = 0; i < nb; i++) {
		const struct rec_bot_row *r = &s->bot[i];
		bi[i] = SIZE_MAX;
		if (!rec_bot_row_matches_exchange(r, c->p) || !rec_bot_row_is_live(r, c->p))
			continue;
		rec_symbol_normalize(r->symbol, c->bot_sym[i], sizeof c->bot_sym[i]);
		struct sym_ent *e = sym_find(c, c->bot_sym[i], true);
		bi[i] = (size_t)(e - c->ent);
		e->bot_n++;
	}
	size_t acc = 0, bacc = 0;
	for (size_t i = 0; i < c->nent; i++) {
		c->ent[i].ord_first = acc;
		acc += c->ent[i].ord_n;
		c->ent[i].ord_n = 0;
		c->ent[i].bot_first = bacc;
		bacc += c->ent[i].bot_n;
		c->ent[i].bot_n = 0;
	}
	c->ord_by_sym = xmalloc((acc + 1) * sizeof *c->ord_by_sym);
	for (size_t i = 0; i < c->nord; i++) {
		struct sym_ent *e = &c->ent[oe[i]];
		c->ord_by_sym[e->ord_first + e->ord_n++] = c->ord[i];
	}
	c->bot_by_sym = xmalloc((bacc + 1) * sizeof *c->bot_by_sym);
	for (size_t i = 0; i < nb; i++) {
		if (bi[i] == SIZE_MAX)
			continue;
		struct sym_ent *e = &c->ent[bi[i]];
		c->bot_by_sym[e->bot_first + e->bot_n++] = &s->bot[i];
	}
	free(oe);
	free(bi);
}

/* ---- judging one (symbol, pidx) ---- */

static bool same_size(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* The bot row for this position side: hedge rows by side; one-way rows
 * preferring the side the exchange reports. live = any live status;
 * active = the bot believes it open. */
static const struct rec_bot_row *pick_row(struct ctx *c, const struct sym_ent *e, enum rec_pos_idx pidx,
					  enum rec_side exch_side, bool active_only)
{
	const struct rec_bot_row *best = NULL;
	for (size_t i = 0; i < e->bot_n; i++) {
		const struct rec_bot_row *r = c->bot_by_sym[e->bot_first + i];
		if (active_only && !rec_bot_row_is_active(r))
			continue;
		if (rec_bot_row_prefer(r, best, pidx, exch_side))
			best = r;
	}
	return best;
}

static bool linger(void *ud, const struct rec_order *o)
{
	struct ctx *c = ud;
	char k[REC_KEY_MAX];
	snprintf(k, sizeof k, "T|%s|%s|%d", o->symbol, o->id, (int)o->is_algo);
	int64_t first = rec_mem_cond(c->m, k, o->symbol, REC_COND_TRIGGERING, 0, NULL);
	return rec_rule_grace_passed(first, c->s->now_ms, c->p->rest_lag_tolerance_ms);
}

/* Touches condition k (kind, of sym / pidx) and returns its first-seen
 * time. A new one behind a finding a previous run stored (rec_memory_seed)
 * began at least grace_ms before that finding's first sighting (it was
 * reported past grace): a restart continues the finding at once. */
static int64_t cond_first(struct ctx *c, const char *k, char kind, const char *sym, enum rec_pos_idx pidx, int64_t hint,
			  int64_t grace_ms)
{
	enum rec_code codes[2];
	size_t n = 0;
	switch (kind) {
	case REC_COND_ORPHAN_POS: codes[n++] = REC_ORPHAN_POSITION; break;
	case REC_COND_UNPROT: codes[n++] = REC_UNPROTECTED_POSITION; break;
	case REC_COND_MISMATCH:
		codes[n++] = REC_SIZE_MISMATCH;
		codes[n++] = REC_SIDE_MISMATCH;
		break;
	case REC_COND_ORPHAN_ORD: codes[n++] = REC_ORPHAN_ORDER; break;
	case REC_COND_PHANTOM: codes[n++] = REC_PHANTOM_POSITION; break;
	case REC_COND_DUP: codes[n++] = REC_DUPLICATE_STOP; break;
	case REC_COND_WRONG: codes[n++] = REC_WRONG_SIDE_STOP; break;
	default: break;
	}
	if (rec_mem_peek(c->m, k, NULL, NULL))
		n = 0; /* known: the hint is ignored */
	for (size_t i = 0; i < n; i++) {
		struct rec_finding f;
		memset(&f, 0, sizeof f);
		f.code = codes[i];
		snprintf(f.account, sizeof f.account, "%s", c->s->account);
		f.exchange = c->s->exchange;
		snprintf(f.symbol, sizeof f.symbol, "%s", sym);
		rec_finding_make_key(&f);
		if (pidx != REC_PIDX_BOTH) { /* as add_finding */
			size_t l = strlen(f.key);
			snprintf(f.key + l, sizeof f.key - l, ":%s", pidx == REC_PIDX_LONG ? "LONG" : "SHORT");
		}
		int64_t first;
		if (rec_mem_seeded(c->m, f.key, &first) && first - grace_ms > 0 &&
		    (hint <= 0 || first - grace_ms < hint))
			hint = first - grace_ms;
	}
	return rec_mem_cond(c->m, k, sym, kind, hint, NULL);
}

/* A condition of (symbol, pidx) that must persist for grace_ms; its clock
 * starts no earlier than the position's first sighting (hint). */
static bool held(struct ctx *c, char kind, const char *sym, enum rec_pos_idx pidx, int64_t hint, int64_t grace_ms)
{
	char k[REC_KEY_MAX];
	snprintf(k, sizeof k, "%c|%s|%d", kind, sym, (int)pidx);
	int64_t first = cond_first(c, k, kind, sym, pidx, hint, grace_ms);
	return rec_rule_grace_passed(first, c->s->now_ms, grace_ms);
}

/* Exchange time (update_ms) to vigil's clock: offset = server - local. */
static int64_t exch_to_local(const struct rec_snapshot *s, int64_t t)
{
	if (t <= 0)
		return 0;
	return t - (s->clock_known ? s->clock_offset_ms : 0);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a <= 0)
		return b;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

/* The earliest time this position (same side) is known to have been open:
 * the stream's seen_ms, and the update time of each exchange source that
 * agrees with the merged view (a REST answer the stream contradicts says
 * nothing). 0 = nothing earlier than now is known. A future time is
 * ignored by rec_mem_cond. */
static int64_t position_since(struct ctx *c, const struct sym_ent *e, unsigned pi, const struct rec_merged *mg)
{
	const struct rec_position *sp = e->sp[pi], *rp = e->rp[pi];
	int64_t t = 0;
	/* a stream entry the merge did not believe (stale, down, from before
	 * the connection) may describe an earlier position (ws-drop) */
	if (sp && mg->from == REC_SRC_STREAM && sp->size > 0 && sp->side == mg->pos.side) {
		t = earliest(t, sp->seen_ms);
		t = earliest(t, exch_to_local(c->s, sp->update_ms));
	}
	if (rp && rp->size > 0 && rp->side == mg->pos.side && (mg->from == REC_SRC_REST || !mg->rest_disagrees))
		t = earliest(t, exch_to_local(c->s, rp->update_ms));
	/* nothing of this position is older than the stream's sighting of
	 * it opening after a flat report */
	if (sp && sp->size > 0 && sp->side == mg->pos.side && sp->opened_ms > t)
		t = sp->opened_ms;
	return t;
}

/* The latest time an agreeing source reports a change of this position
 * (vigil's clock); 0 = none known. */
static int64_t position_changed(struct ctx *c, const struct sym_ent *e, unsigned pi, const struct rec_merged *mg)
{
	const struct rec_position *sp = e->sp[pi], *rp = e->rp[pi];
	int64_t t = 0, x;
	if (sp && mg->from == REC_SRC_STREAM && sp->size > 0 && sp->side == mg->pos.side) {
		t = sp->seen_ms > t ? sp->seen_ms : t;
		x = exch_to_local(c->s, sp->update_ms);
		t = x > t ? x : t;
	}
	if (rp && rp->size > 0 && rp->side == mg->pos.side && (mg->from == REC_SRC_REST || !mg->rest_disagrees)) {
		x = exch_to_local(c->s, rp->update_ms);
		t = x > t ? x : t;
	}
	return t;
}

/* When the remembered grace clock of position key k belongs to an earlier
 * position (SKLUSDT: closed and reopened while the audits that would have
 * seen it flat failed): the time the current one is known to have
 * started, else 0. Evidence: the stream saw it open after a flat report
 * since the clock started, or vigil could not judge the symbol in the last
 * audit and an exchange source reports a change since it last could (the
 * change may be a reopen: grace counts from it, never shorter). */
static int64_t position_restarted(struct ctx *c, const char *k, const struct sym_ent *e, unsigned pi,
				  const struct rec_merged *mg)
{
	int64_t first, last, t = 0;
	if (!rec_mem_peek(c->m, k, &first, &last))
		return 0;
	const struct rec_position *sp = e->sp[pi];
	if (sp && sp->size > 0 && sp->side == mg->pos.side && sp->opened_ms > first)
		t = sp->opened_ms;
	if (last < rec_mem_prev_audit(c->m)) {
		int64_t ch = position_changed(c, e, pi, mg);
		if (ch > last && ch > t)
			t = ch;
	}
	return t;
}

/* The conditions of a position side start with the position: a new one
 * (or a restarted clock) must not inherit an earlier one's (an UNPROTECTED
 * clock survives while the open orders cannot be read). */
static void restart_conditions(struct ctx *c, const char *sym, enum rec_pos_idx pidx, int64_t first)
{
	static const char kinds[] = { REC_COND_ORPHAN_POS, REC_COND_UNPROT, REC_COND_MISMATCH };
	char k[REC_KEY_MAX];
	for (size_t i = 0; i < sizeof kinds; i++) {
		snprintf(k, sizeof k, "%c|%s|%d", kinds[i], sym, (int)pidx);
		rec_mem_restart(c->m, k, first);
	}
}

/* A finding about order o of an open position that must hold for
 * grace_order_ms (its clock keyed by the order); NULL while it waits. */
static struct rec_finding *order_finding(struct ctx *c, char kind, enum rec_code code, struct sym_ent *e,
					 enum rec_pos_idx pidx, const struct rec_merged *mg,
					 const struct rec_bot_row *live, const struct rec_order *o)
{
	char k[REC_KEY_MAX];
	snprintf(k, sizeof k, "%c|%s|%d|%s", kind, e->sym, (int)pidx, o->id);
	int64_t first = cond_first(c, k, kind, e->sym, pidx, 0, c->p->grace_order_ms);
	if (!rec_rule_grace_passed(first, c->s->now_ms, c->p->grace_order_ms))
		return NULL;
	struct rec_finding *f = add_finding(c, code, e->sym, pidx);
	fill_views(c, f, e, pidx_i(pidx), mg, live);
	set_order(f, o);
	return f;
}

static void judge_open(struct ctx *c, struct sym_ent *e, enum rec_pos_idx pidx, const struct rec_merged *mg,
		       bool disputed)
{
	unsigned pi = pidx_i(pidx);
	const struct rec_snapshot *s = c->s;
	const struct rec_params *p = c->p;
	char k[REC_KEY_MAX];
	snprintf(k, sizeof k, "P|%s|%d|%d", e->sym, (int)pidx, (int)mg->pos.side);
	/* grace from the earliest sighting: vigil's first audit, the stream's
	 * receipt of the open update (SKLUSDT), or the exchange's own time
	 * for the position, so a one-shot audit or a restarted daemon does
	 * not wait grace again for a position open for hours */
	int64_t hint = position_since(c, e, pi, mg);
	int64_t restarted = position_restarted(c, k, e, pi, mg);
	if (restarted)
		rec_mem_restart(c->m, k, restarted);
	bool pos_new;
	int64_t first = rec_mem_cond(c->m, k, e->sym, REC_COND_POS, hint, &pos_new);
	bool past = rec_rule_grace_passed(first, s->now_ms, p->grace_open_ms);
	/* conditions found with the position start with it; conditions that
	 * appear on a known position start now (a stop being moved) */
	if (pos_new || restarted)
		restart_conditions(c, e->sym, pidx, first);
	else
		first = 0;
	bool repairable = !disputed && mg->pos.side != REC_SIDE_UNKNOWN;
	const struct rec_bot_row *live = s->bot_ok ? pick_row(c, e, pidx, mg->pos.side, false) : NULL;
	const struct rec_bot_row *act = s->bot_ok ? pick_row(c, e, pidx, mg->pos.side, true) : NULL;

	if (mg->pos.side == REC_SIDE_UNKNOWN && past) {
		struct rec_finding *f = add_finding(c, REC_UNKNOWN_SIDE, e->sym, pidx);
		fill_views(c, f, e, pi, mg, live);
		detail_add(f, "position open but its side is unreadable: nothing may be sent");
	}
	size_t orphan_i = SIZE_MAX;
	if (s->bot_ok && !live && held(c, REC_COND_ORPHAN_POS, e->sym, pidx, first, p->grace_open_ms)) {
		struct rec_finding *f = add_finding(c, REC_ORPHAN_POSITION, e->sym, pidx);
		orphan_i = c->nout - 1;
		fill_views(c, f, e, pi, mg, NULL);
		f->repairable = repairable;
		detail_add(f, "open on the exchange with no live bot row past grace");
	}
	bool mism = act &&
		    ((act->side != REC_SIDE_UNKNOWN && mg->pos.side != REC_SIDE_UNKNOWN && act->side != mg->pos.side) ||
		     !same_size(act->qty, mg->pos.size));
	if (s->bot_ok && mism && held(c, REC_COND_MISMATCH, e->sym, pidx, first, p->grace_open_ms)) {
		if (act->side != REC_SIDE_UNKNOWN && mg->pos.side != REC_SIDE_UNKNOWN && act->side != mg->pos.side) {
			struct rec_finding *f = add_finding(c, REC_SIDE_MISMATCH, e->sym, pidx);
			fill_views(c, f, e, pi, mg, act);
			detail_add(f, "bot believes %s, exchange says %s", rec_side_name(act->side),
				   rec_side_name(mg->pos.side));
		} else if (!same_size(act->qty, mg->pos.size)) {
			struct rec_finding *f = add_finding(c, REC_SIZE_MISMATCH, e->sym, pidx);
			fill_views(c, f, e, pi, mg, act);
			detail_add(f, "bot believes %.10g, exchange says %.10g", act->qty, mg->pos.size);
		}
	}
	if (!s->orders_ok)
		return;
	struct rec_protection pr;
	enum rec_oside closing = rec_rule_closing_side(mg);
	rec_protection_eval(&mg->pos, closing, c->ord_by_sym + e->ord_first, e->ord_n, linger, c, &pr);
	/* grace like the other order findings, from when the condition
	 * began (a flip: the bot moves its stop over) */
	struct rec_finding *f;
	if (pr.wrong && (f = order_finding(c, REC_COND_WRONG, REC_WRONG_SIDE_STOP, e, pidx, mg, live, pr.wrong))) {
		f->stop_qty = pr.stop_qty;
		f->repairable = repairable;
		detail_add(f, "%zu reducing stop(s) on the %s side of a %s position (cannot close it), e.g. %s",
			   pr.nwrong, rec_oside_name(pr.wrong->side), rec_side_name(mg->pos.side), pr.wrong->id);
	}
	bool covered = rec_protection_covers(&pr, mg->pos.size);
	if (orphan_i != SIZE_MAX) {
		/* the policy must know an orphan is already protected: planning
		 * a stop for it would be a no-op every audit */
		struct rec_finding *f = &c->out[orphan_i];
		f->stop_qty = covered ? fmax(mg->pos.size, pr.stop_qty) : pr.stop_qty;
		if (covered)
			detail_add(f, "; a stop covers it");
	}
	/* one finding per leg: some stop quantity short of the size is
	 * UNDERSIZED_STOP, no protecting stop at all UNPROTECTED_POSITION;
	 * never both (the alert would say "undersized" and "no stop") */
	if (!covered && held(c, REC_COND_UNPROT, e->sym, pidx, first, p->grace_open_ms)) {
		bool partial = pr.stop_qty > 0;
		struct rec_finding *f =
			add_finding(c, partial ? REC_UNDERSIZED_STOP : REC_UNPROTECTED_POSITION, e->sym, pidx);
		fill_views(c, f, e, pi, mg, live);
		f->stop_qty = pr.stop_qty;
		f->repairable = repairable;
		if (partial)
			detail_add(f, "stops cover %.10g of %.10g on the %s side (", pr.stop_qty, mg->pos.size,
				   rec_oside_name(closing));
		else
			detail_add(f, "no stop covers %.10g on the %s side (", mg->pos.size, rec_oside_name(closing));
		detail_add(f, "%zu protecting stop(s)", pr.nstops);
		if (pr.nunknown_side)
			detail_add(f, "; %zu stop(s) with unknown side ignored", pr.nunknown_side);
		if (pr.nlingering)
			detail_add(f, "; %zu stuck TRIGGERING", pr.nlingering);
		if (pr.ninactive)
			detail_add(
				f,
				"; %zu stop(s) protecting nothing now (trailing not activated / trigger past the mark)",
				pr.ninactive);
		if (pr.ntp)
			detail_add(f, "; %zu take-profit(s) ignored", pr.ntp);
		detail_add(f, ")");
	}
	if (pr.redundant && (f = order_finding(c, REC_COND_DUP, REC_DUPLICATE_STOP, e, pidx, mg, live, pr.redundant))) {
		f->stop_qty = pr.stop_qty;
		f->repairable = repairable && !pr.redundant->position_attached;
		detail_add(f, "%zu stops for one position; %s is redundant", pr.nstops, pr.redundant->id);
	}
}

static void judge_flat(struct ctx *c, struct sym_ent *e, enum rec_pos_idx pidx, const struct rec_merged *mg,
		       bool disputed)
{
	unsigned pi = pidx_i(pidx);
	const struct rec_snapshot *s = c->s;
	const struct rec_params *p = c->p;
	char k[REC_KEY_MAX];
	if (s->bot_ok) {
		const struct rec_bot_row *act = pick_row(c, e, pidx, REC_SIDE_UNKNOWN, true);
		if (act) {
			snprintf(k, sizeof k, "F|%s|%d", e->sym, (int)pidx);
			int64_t first = cond_first(c, k, REC_COND_PHANTOM, e->sym, pidx, 0, p->grace_order_ms);
			if (rec_rule_grace_passed(first, s->now_ms, p->grace_order_ms)) {
				struct rec_finding *f = add_finding(c, REC_PHANTOM_POSITION, e->sym, pidx);
				fill_views(c, f, e, pi, mg, act);
				f->repairable = false; /* nothing to send: the DB is belief */
				detail_add(f, "bot row %s, exchange flat", act->status);
			}
		}
	}
	if (!s->orders_ok)
		return;
	const struct rec_order *first_orphan = NULL;
	size_t norphan = 0;
	for (size_t i = 0; i < e->ord_n; i++) {
		const struct rec_order *o = c->ord_by_sym[e->ord_first + i];
		if (o->pidx != pidx || !rec_order_is_exit(o))
			continue;
		snprintf(k, sizeof k, "O|%s|%s|%d", e->sym, o->id, (int)o->is_algo);
		int64_t first = cond_first(c, k, REC_COND_ORPHAN_ORD, e->sym, pidx, 0, p->grace_order_ms);
		if (!rec_rule_grace_passed(first, s->now_ms, p->grace_order_ms))
			continue;
		if (!first_orphan)
			first_orphan = o;
		norphan++;
	}
	if (first_orphan) {
		struct rec_finding *f = add_finding(c, REC_ORPHAN_ORDER, e->sym, pidx);
		fill_views(c, f, e, pi, mg, NULL);
		set_order(f, first_orphan);
		f->repairable = !disputed;
		detail_add(f, "%zu exit order(s) with no position past grace, e.g. %s %s %s qty %.10g", norphan,
			   first_orphan->id, first_orphan->type, rec_oside_name(first_orphan->side), first_orphan->qty);
	}
}

/* Pass 1: which position sides to judge, and the merged view of each. */
static void merge_symbol(struct ctx *c, struct sym_ent *e)
{
	const struct rec_snapshot *s = c->s;
	bool *want = e->want;
	bool hedge = false;
	for (unsigned i = 0; i < 3; i++)
		if (e->sp[i] || e->rp[i]) {
			want[i] = true;
			hedge |= i != 0;
		}
	for (size_t i = 0; i < e->ord_n; i++) {
		unsigned pi = pidx_i(c->ord_by_sym[e->ord_first + i]->pidx);
		want[pi] = true;
		hedge |= pi != 0;
	}
	for (size_t i = 0; i < e->bot_n; i++) {
		const struct rec_bot_row *r = c->bot_by_sym[e->bot_first + i];
		if (!hedge)
			want[0] = true;
		else if (r->side == REC_SIDE_LONG)
			want[REC_PIDX_LONG] = true;
		else if (r->side == REC_SIDE_SHORT)
			want[REC_PIDX_SHORT] = true;
	}
	if (hedge && want[0] && !e->sp[0] && !e->rp[0]) {
		bool ord0 = false;
		for (size_t i = 0; i < e->ord_n; i++)
			ord0 |= c->ord_by_sym[e->ord_first + i]->pidx == REC_PIDX_BOTH;
		want[0] = ord0;
	}
	for (unsigned pi = 0; pi < 3; pi++) {
		if (!want[pi])
			continue;
		rec_merge_position(s->stream, e->sp[pi], s->rest_pos_ok, e->rp[pi], s->now_ms, c->p, &e->mg[pi]);
		if (e->mg[pi].state == REC_VIEW_UNKNOWN)
			e->unknown = true; /* conclude nothing; keep what is open */
		if (e->mg[pi].rest_disagrees)
			e->disputed = c->rest_suspect = true;
	}
}

/* Pass 2. A REST answer caught omitting / misreporting a position makes
 * the whole symbol disputed, and every REST-only view of this snapshot
 * suspect: nothing resting on it is repairable (rule 2). */
static void judge_symbol(struct ctx *c, struct sym_ent *e)
{
	const struct rec_snapshot *s = c->s;
	for (unsigned pi = 0; pi < 3; pi++) {
		const struct rec_merged *mg = &e->mg[pi];
		if (!e->want[pi] || mg->state == REC_VIEW_UNKNOWN)
			continue;
		enum rec_pos_idx pidx = (enum rec_pos_idx)pi;
		if (mg->rest_disagrees) {
			char k[REC_KEY_MAX];
			snprintf(k, sizeof k, "L|%s|%d", e->sym, (int)pidx);
			int64_t first = rec_mem_cond(c->m, k, e->sym, REC_COND_LAG, 0, NULL);
			if (rec_rule_rest_lag_expired(first, s->now_ms, c->p)) {
				struct rec_finding *f = add_finding(c, REC_REST_GLITCH, e->sym, pidx);
				fill_views(c, f, e, pi, mg,
					   s->bot_ok ? pick_row(c, e, pidx, mg->pos.side, false) : NULL);
				f->repairable = false; /* never repaired on (rule 2) */
				detail_add(f, "REST disagrees with the stream for %lld ms",
					   (long long)(s->now_ms - first));
			}
		}
		bool disputed = e->disputed || (c->rest_suspect && mg->from == REC_SRC_REST);
		if (mg->state == REC_VIEW_OPEN)
			judge_open(c, e, pidx, mg, disputed);
		else
			judge_flat(c, e, pidx, mg, disputed);
	}
}

/* ---- account level ---- */

/* The position mode the exchange shows: its own answer when read, else
 * the pidx of the rows it listed (hedge legs carry LONG / SHORT, one-way
 * rows BOTH). *hedge / *oneway say which evidence exists. */
static void mode_evidence(const struct ctx *c, bool *hedge, bool *oneway)
{
	const struct rec_snapshot *s = c->s;
	*hedge = *oneway = false;
	if (s->pos_mode != REC_MODE_UNKNOWN) {
		*hedge = s->pos_mode == REC_MODE_HEDGE;
		*oneway = !*hedge;
		return;
	}
	for (size_t i = 0; s->rest_pos_ok && i < s->nrest_pos; i++) {
		if (s->rest_pos[i].size <= 0)
			continue;
		*hedge |= s->rest_pos[i].pidx != REC_PIDX_BOTH;
		*oneway |= s->rest_pos[i].pidx == REC_PIDX_BOTH;
	}
	for (size_t i = 0; i < c->nord; i++) {
		*hedge |= c->ord[i]->pidx != REC_PIDX_BOTH;
		*oneway |= c->ord[i]->pidx == REC_PIDX_BOTH && !c->ord[i]->position_attached;
	}
}

static void judge_mode(struct ctx *c)
{
	bool hedge, oneway;
	mode_evidence(c, &hedge, &oneway);
	bool drift = c->p->hedge_mode ? oneway : hedge;
	if (!drift)
		return;
	struct rec_finding *f = add_finding(c, REC_CONFIG_DRIFT, "", REC_PIDX_BOTH);
	f->repairable = false;
	detail_add(f, "configured %s mode, but the exchange %s %s mode: repairs are off for this account",
		   c->p->hedge_mode ? "hedge" : "one-way",
		   c->s->pos_mode != REC_MODE_UNKNOWN ? "reports" : "lists positions / orders of",
		   c->p->hedge_mode ? "one-way" : "hedge");
}

static void judge_account(struct ctx *c)
{
	const struct rec_snapshot *s = c->s;
	const struct rec_params *p = c->p;
	const struct rec_stream_cache *sc = s->stream;
	if (sc && sc->state != REC_SS_UP) {
		struct rec_finding *f = add_finding(c, REC_STREAM_DOWN, "", REC_PIDX_BOTH);
		detail_add(f, "private stream %s (reconnects %llu); REST is the truth for positions",
			   sc->state == REC_SS_CONNECTING ? "connecting" : "down", (unsigned long long)sc->reconnects);
	} else if (sc && !c->stream_fresh) {
		struct rec_finding *f = add_finding(c, REC_STREAM_STALE, "", REC_PIDX_BOTH);
		detail_add(f, "no stream message for %lld ms (limit %lld)", (long long)(s->now_ms - sc->last_msg_ms),
			   (long long)p->stream_stale_ms);
	}
	static const char *const part[] = { "rest", "orders", "db" };
	const bool ok[] = { s->rest_pos_ok, s->orders_ok, s->bot_ok };
	const char *const err[] = { s->rest_error, s->orders_error, s->bot_error };
	for (int i = 0; i < 3; i++) {
		if (ok[i])
			continue;
		struct rec_finding *f = add_finding(c, REC_SOURCE_UNREACHABLE, "", REC_PIDX_BOTH);
		size_t l = strlen(f->key);
		snprintf(f->key + l, sizeof f->key - l, ":%s", part[i]);
		detail_add(f, "%s unreachable: %s",
			   i == 0   ? "REST positions"
			   : i == 1 ? "REST open orders"
				    : "bot database",
			   err[i][0] ? err[i] : "no answer");
	}
	if (s->clock_known && llabs(s->clock_offset_ms) > p->clock_skew_limit_ms) {
		struct rec_finding *f = add_finding(c, REC_CLOCK_SKEW, "", REC_PIDX_BOTH);
		detail_add(f, "exchange clock - local clock = %lld ms (limit %lld)", (long long)s->clock_offset_ms,
			   (long long)p->clock_skew_limit_ms);
	}
}

/* ---- lifecycle: what this audit could evaluate ---- */

/* A targeted check judges its symbols only (the snapshot's scope). */
static bool in_scope(const struct rec_snapshot *s, const char *symbol)
{
	if (s->nscope == 0 || !symbol[0])
		return true;
	for (size_t k = 0; k < s->nscope; k++)
		if (strcmp(s->scope[k], symbol) == 0)
			return true;
	return false;
}

static bool evaluable(void *ud, char kind, enum rec_code code, const char *symbol)
{
	struct ctx *c = ud;
	const struct rec_snapshot *s = c->s;
	if (!in_scope(s, symbol))
		return false;
	/* a mode read from a few symbols' rows cannot clear a drift */
	if (s->nscope && kind == REC_COND_FINDING && code == REC_CONFIG_DRIFT && s->pos_mode == REC_MODE_UNKNOWN)
		return false;
	if (kind == REC_COND_FINDING) {
		switch (code) {
		case REC_STREAM_DOWN:
		case REC_STREAM_STALE:
		case REC_SOURCE_UNREACHABLE: return true;
		case REC_CLOCK_SKEW: return s->clock_known;
		case REC_REST_GLITCH: kind = REC_COND_LAG; break;
		case REC_ORPHAN_POSITION:
		case REC_PHANTOM_POSITION:
		case REC_SIZE_MISMATCH:
		case REC_SIDE_MISMATCH: kind = REC_COND_PHANTOM; break;
		case REC_UNKNOWN_SIDE: kind = REC_COND_POS; break;
		default:
			kind = REC_COND_ORPHAN_ORD; /* order-based */
			break;
		}
	}
	switch (kind) {
	case REC_COND_LAG:
		if (!s->rest_pos_ok)
			return false;
		break;
	case REC_COND_PHANTOM:
	case REC_COND_MISMATCH:
	case REC_COND_ORPHAN_POS:
		if (!s->bot_ok)
			return false;
		break;
	case REC_COND_ORPHAN_ORD:
	case REC_COND_DUP:
	case REC_COND_WRONG:
	case REC_COND_TRIGGERING:
	case REC_COND_UNPROT:
		if (!s->orders_ok)
			return false;
		break;
	default: break;
	}
	if (!symbol[0])
		return true;
	struct sym_ent *e = sym_find(c, symbol, false);
	if (e)
		return !e->unknown;
	/* listed by no source: flat only if REST answered */
	return s->rest_pos_ok;
}

static int fcmp(const void *a, const void *b)
{
	return strcmp(((const struct rec_finding *)a)->key, ((const struct rec_finding *)b)->key);
}

int rec_classify(const struct rec_snapshot *s, const struct rec_params *p, struct rec_memory *m,
		 struct rec_finding **out, size_t *n)
{
	if (!s || !p || !m || !out || !n)
		return -1;
	*out = NULL;
	*n = 0;
	struct ctx c = { .s = s, .p = p, .m = m };
	c.stream_fresh = rec_stream_is_fresh(s->stream, s->now_ms, p);
	rec_mem_begin(m, s->now_ms);
	build_orders(&c);
	build_index(&c);
	for (size_t i = 0; i < c.nent; i++)
		if (in_scope(s, c.ent[i].sym))
			merge_symbol(&c, &c.ent[i]);
	for (size_t i = 0; i < c.nent; i++)
		if (in_scope(s, c.ent[i].sym))
			judge_symbol(&c, &c.ent[i]);
	judge_account(&c);
	judge_mode(&c);
	if (c.nout > 1)
		qsort(c.out, c.nout, sizeof *c.out, fcmp);
	for (size_t i = 0; i < c.nout; i++)
		rec_mem_finding(m, &c.out[i]);
	rec_mem_end(m, evaluable, &c);
	if (s->nscope) {
		rec_mem_carry(m, &c.out, &c.nout, &c.capout);
		if (c.nout > 1)
			qsort(c.out, c.nout, sizeof *c.out, fcmp);
	}
	free(c.ord);
	free(c.ord_merged);
	free(c.ord_by_sym);
	free(c.bot_by_sym);
	free(c.bot_sym);
	free(c.ent);
	free(c.slot);
	*out = c.out;
	*n = c.nout;
	return 0;
}
