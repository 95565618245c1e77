/* The position view served to the bot (view.h): rec_merge_position and
 * rec_protects applied to one leg of a snapshot, with the rule that
 * decided named. No rule lives here: each verdict comes from rules.c,
 * protection.c or orders_eff.c, the functions classification calls. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "reconcile/rules.h"
#include "reconcile/view.h"
#include "base/xalloc.h"

const char *rec_view_rule_name(enum rec_view_rule r)
{
	static const char *const n[] = { "no_source", "stream_authoritative", "stream_zero_is_closed",
					 "rest_lag",  "rest_glitch",          "rest_newer",
					 "rest_truth" };
	return (unsigned)r < sizeof n / sizeof *n ? n[r] : "?";
}

const char *rec_stream_status_name(enum rec_stream_status s)
{
	static const char *const n[] = { "none", "down", "connecting", "stale", "fresh" };
	return (unsigned)s < sizeof n / sizeof *n ? n[s] : "?";
}

const char *rec_rest_status_name(enum rec_rest_status s)
{
	static const char *const n[] = { "unavailable", "decides", "agrees", "lagging", "glitch" };
	return (unsigned)s < sizeof n / sizeof *n ? n[s] : "?";
}

static void why(struct rec_pos_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(struct rec_pos_view *v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
}

static enum rec_stream_status stream_status(const struct rec_stream_cache *c, int64_t now_ms,
					    const struct rec_params *p)
{
	if (!c)
		return REC_SST_NONE;
	switch (c->state) {
	case REC_SS_DOWN: return REC_SST_DOWN;
	case REC_SS_CONNECTING: return REC_SST_CONNECTING;
	case REC_SS_UP: break;
	}
	return rec_stream_is_fresh(c, now_ms, p) ? REC_SST_FRESH : REC_SST_STALE;
}

/* The bot's live row for the leg, by the rule classify.c picks it with. */
static const struct rec_bot_row *db_row(const struct rec_snapshot *s, const struct rec_params *p, const char *sym,
					enum rec_pos_idx pidx, enum rec_side exch_side)
{
	const struct rec_bot_row *best = NULL;
	if (!s->bot_ok)
		return NULL;
	for (size_t i = 0; i < s->nbot; i++) {
		const struct rec_bot_row *r = &s->bot[i];
		char norm[REC_SYM_MAX];
		if (!rec_bot_row_matches_exchange(r, p) || !rec_bot_row_is_live(r, p))
			continue;
		rec_symbol_normalize(r->symbol, norm, sizeof norm);
		if (strcmp(norm, sym) != 0)
			continue;
		if (rec_bot_row_prefer(r, best, pidx, exch_side))
			best = r;
	}
	return best;
}

static const char *stream_reason(const struct rec_pos_view *v, const struct rec_stream_cache *c)
{
	switch (v->stream_status) {
	case REC_SST_NONE: return "no stream";
	case REC_SST_DOWN: return "the stream is down";
	case REC_SST_CONNECTING: return "the stream is connecting";
	case REC_SST_STALE: return "the stream is stale (silent past stream_stale_after)";
	case REC_SST_FRESH: break;
	}
	if (!v->stream_present)
		return "the stream has not reported this leg";
	if (c && v->stream_pos.seen_ms < c->connected_ms)
		return "the stream's entry is from before its current connection (events may be missed)";
	return "the stream's entry is not authoritative";
}

void rec_position_view(const struct rec_snapshot *s, const struct rec_params *p, const char *symbol,
		       enum rec_pos_idx pidx, struct rec_pos_view *out)
{
	memset(out, 0, sizeof *out);
	rec_symbol_normalize(symbol ? symbol : "", out->symbol, sizeof out->symbol);
	out->pidx = pidx;
	const struct rec_stream_cache *c = s->stream;
	out->stream_status = stream_status(c, s->now_ms, p);
	const struct rec_position *sp = c ? rec_stream_find_position(c, out->symbol, pidx) : NULL;
	if (sp) {
		out->stream_present = true;
		out->stream_pos = *sp;
	}
	const struct rec_position *rp = NULL;
	out->rest_ok = s->rest_pos_ok;
	for (size_t i = 0; s->rest_pos_ok && i < s->nrest_pos; i++)
		if (s->rest_pos[i].size > 0 && s->rest_pos[i].pidx == pidx &&
		    strcmp(s->rest_pos[i].symbol, out->symbol) == 0) {
			rp = &s->rest_pos[i];
			break;
		}
	if (rp) {
		out->rest_present = true;
		out->rest_pos = *rp;
	}
	struct rec_merged m;
	rec_merge_position(c, sp, s->rest_pos_ok, rp, s->now_ms, p, &m);
	out->state = m.state;
	out->from = m.from;
	out->pos = m.pos;
	if (out->state == REC_VIEW_FLAT && !out->pos.symbol[0])
		snprintf(out->pos.symbol, sizeof out->pos.symbol, "%s", out->symbol);
	out->pos.pidx = pidx;
	out->stream_auth = m.stream_auth;

	if (m.state == REC_VIEW_UNKNOWN) {
		out->rule = REC_VR_NO_SOURCE;
		out->rest_status = REC_RST_UNAVAILABLE;
		why(out, "REST failed and %s: vigil cannot say", stream_reason(out, c));
	} else if (m.stream_auth && m.from == REC_SRC_REST) {
		out->rule = REC_VR_REST_NEWER;
		out->rest_status = REC_RST_DECIDES;
		why(out, "REST's update (%lld) is newer than the stream's (%lld): the stream missed an event",
		    (long long)rp->update_ms, (long long)sp->update_ms);
	} else if (m.stream_auth) {
		bool zero = m.state == REC_VIEW_FLAT;
		out->rule = zero ? REC_VR_STREAM_ZERO_IS_CLOSED : REC_VR_STREAM_AUTHORITATIVE;
		if (!s->rest_pos_ok) {
			out->rest_status = REC_RST_UNAVAILABLE;
		} else if (m.rest_disagrees) {
			/* the disagreement began no later than the stream's sight of
			 * the fact; REST had until its fetch to catch up (rule 3) */
			bool expired = rec_rule_rest_lag_expired(sp->seen_ms, s->rest_fetched_ms, p);
			out->rest_status = expired ? REC_RST_GLITCH : REC_RST_LAGGING;
			if (!zero)
				out->rule = expired ? REC_VR_REST_GLITCH : REC_VR_REST_LAG;
		} else {
			out->rest_status = REC_RST_AGREES;
		}
		const char *rest_says = out->rest_status == REC_RST_UNAVAILABLE ? "REST unavailable"
					: out->rest_status == REC_RST_AGREES    ? "REST agrees"
					: out->rest_status == REC_RST_LAGGING
						? "REST has not caught up yet (lag within rest_lag_tolerance)"
						: "REST still disagrees past rest_lag_tolerance (a REST glitch, not a "
						  "closure)";
		if (zero)
			why(out, "the stream (fresh, this connection) reported the leg closed; %s", rest_says);
		else
			why(out, "the stream (fresh, this connection) reports %s %.10g; %s", rec_side_name(m.pos.side),
			    m.pos.size, rest_says);
	} else {
		out->rule = REC_VR_REST_TRUTH;
		out->rest_status = REC_RST_DECIDES;
		if (m.state == REC_VIEW_OPEN)
			why(out, "%s: REST decides (%s %.10g)", stream_reason(out, c), rec_side_name(m.pos.side),
			    m.pos.size);
		else
			why(out, "%s: REST decides (no open position listed)", stream_reason(out, c));
	}
	out->db_ok = s->bot_ok;
	const struct rec_bot_row *row =
		db_row(s, p, out->symbol, pidx, m.state == REC_VIEW_OPEN ? m.pos.side : REC_SIDE_UNKNOWN);
	if (row) {
		out->db_present = true;
		out->db_row = *row;
	}
}

struct linger_ctx {
	const struct rec_snapshot *s;
	const struct rec_params *p;
};

/* A TRIGGERING order is stuck once it outlived the lag tolerance; with no
 * memory of its first sight, its exchange time dates it (never later than
 * vigil's sight), and an undated one is taken as stuck. */
static bool linger(void *ud, const struct rec_order *o)
{
	const struct linger_ctx *l = ud;
	if (o->update_ms <= 0)
		return true;
	int64_t now_ex = l->s->now_ms + (l->s->clock_known ? l->s->clock_offset_ms : 0);
	return rec_rule_grace_passed(o->update_ms, now_ex, l->p->rest_lag_tolerance_ms);
}

void rec_protection_view(const struct rec_snapshot *s, const struct rec_params *p, const char *symbol,
			 enum rec_pos_idx pidx, struct rec_prot_view *out)
{
	memset(out, 0, sizeof *out);
	rec_position_view(s, p, symbol, pidx, &out->pos);
	out->orders_ok = s->orders_ok;
	if (!s->orders_ok)
		return;
	struct rec_eff_orders eo;
	rec_effective_orders(s, p, rec_stream_is_fresh(s->stream, s->now_ms, p), &eo);
	const struct rec_order **leg = xmalloc((eo.n + 1) * sizeof *leg);
	size_t k = 0;
	for (size_t i = 0; i < eo.n; i++)
		if (eo.ord[i]->pidx == pidx && strcmp(eo.ord[i]->symbol, out->pos.symbol) == 0)
			leg[k++] = eo.ord[i];
	struct linger_ctx lc = { s, p };
	const struct rec_position *pos = &out->pos.pos;
	bool open = out->pos.state == REC_VIEW_OPEN;
	out->orders = xcalloc(k + 1, sizeof *out->orders);
	out->norders = k;
	for (size_t i = 0; i < k; i++) {
		struct rec_prot_entry *e = &out->orders[i];
		e->order = *leg[i];
		if (open) {
			bool counts = !(leg[i]->status == REC_OST_TRIGGERING && linger(&lc, leg[i]));
			rec_protects(leg[i], pos, counts, &e->v);
		} else {
			e->v.verdict = REC_PROT_NO;
			e->v.role = REC_ROLE_NONE;
			snprintf(e->v.why, sizeof e->v.why, "%s",
				 rec_order_is_exit(leg[i]) ? "an exit with no open position on its leg"
							   : "can open or add: the bot's order");
		}
	}
	if (open) {
		struct rec_protection pr;
		out->closing = rec_closing_side(pos->side);
		rec_protection_eval(pos, out->closing, leg, k, linger, &lc, &pr);
		out->judged = true;
		out->covered = rec_protection_covers(&pr, pos->size);
		out->full = pr.full;
		out->stop_qty = pr.stop_qty;
		out->uncovered = out->covered ? 0 : fmax(0, pos->size - pr.stop_qty);
		out->missing = !out->covered;
		out->missing_code = pr.stop_qty > 0 ? REC_UNDERSIZED_STOP : REC_UNPROTECTED_POSITION;
		out->nstops = pr.nstops;
		out->nunknown = pr.nunknown_side;
		out->nlingering = pr.nlingering;
		out->ninactive = pr.ninactive;
		out->ntp = pr.ntp;
		out->nentry = pr.nentry;
		out->nwrong = pr.nwrong;
		out->pos_field = pr.pos_field;
	}
	free(leg);
	rec_eff_orders_free(&eo);
}

void rec_prot_view_free(struct rec_prot_view *v)
{
	free(v->orders);
	v->orders = NULL;
	v->norders = 0;
}
