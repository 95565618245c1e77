/* Who to believe: the source rules of docs/design-rules.md, one function per rule
 * (the list is rules.h; rule 6 is the model's, model_stream.c). */
#include <math.h>
#include <string.h>

#include "reconcile/rules.h"

bool rec_stream_is_fresh(const struct rec_stream_cache *c, int64_t now_ms, const struct rec_params *p)
{
	return c && c->state == REC_SS_UP && now_ms - c->last_msg_ms <= p->stream_stale_ms;
}

bool rec_rule_stream_authoritative(const struct rec_stream_cache *c, const struct rec_position *sp, int64_t now_ms,
				   const struct rec_params *p)
{
	/* an entry from before the current connection may have missed events
	 * while the stream was away (Binance does not resend positions) */
	return sp && rec_stream_is_fresh(c, now_ms, p) && sp->seen_ms >= c->connected_ms;
}

enum rec_view_state rec_rule_stream_zero_is_closed(const struct rec_position *sp)
{
	return sp->size > 0 ? REC_VIEW_OPEN : REC_VIEW_FLAT;
}

static bool same_size(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

bool rec_rule_rest_omission_is_glitch(const struct rec_position *stream_pos, bool rest_ok,
				      const struct rec_position *rest)
{
	if (!rest_ok || !stream_pos || stream_pos->size <= 0)
		return false;
	if (!rest || rest->size <= 0)
		return true;
	return rest->side != stream_pos->side || !same_size(rest->size, stream_pos->size);
}

bool rec_rule_rest_lag_expired(int64_t first_ms, int64_t now_ms, const struct rec_params *p)
{
	return now_ms - first_ms >= p->rest_lag_tolerance_ms;
}

void rec_rule_db_is_belief(struct rec_finding *f, const struct rec_bot_row *row)
{
	memset(&f->db, 0, sizeof f->db);
	if (!row)
		return;
	f->db.present = true;
	f->db.side = row->side;
	f->db.size = row->qty;
}

enum rec_oside rec_rule_closing_side(const struct rec_merged *m)
{
	if (m->state != REC_VIEW_OPEN)
		return REC_OSIDE_UNKNOWN;
	return rec_closing_side(m->pos.side);
}

bool rec_rule_grace_passed(int64_t first_ms, int64_t now_ms, int64_t grace_ms)
{
	return now_ms - first_ms >= grace_ms;
}

static void take(struct rec_merged *out, const struct rec_position *p, unsigned from)
{
	out->from = from;
	if (p->size > 0) {
		out->state = REC_VIEW_OPEN;
		out->pos = *p;
	} else {
		out->state = REC_VIEW_FLAT;
		memset(&out->pos, 0, sizeof out->pos);
		memcpy(out->pos.symbol, p->symbol, sizeof out->pos.symbol);
		out->pos.pidx = p->pidx;
	}
}

void rec_merge_position(const struct rec_stream_cache *c, const struct rec_position *sp, bool rest_ok,
			const struct rec_position *rest, int64_t now_ms, const struct rec_params *p,
			struct rec_merged *out)
{
	memset(out, 0, sizeof *out);
	if (rest && rest->size <= 0)
		rest = NULL; /* REST lists open positions only */
	out->stream_auth = rec_rule_stream_authoritative(c, sp, now_ms, p);
	if (out->stream_auth) {
		bool rest_newer = rest && rest->update_ms && sp->update_ms && rest->update_ms > sp->update_ms;
		if (rest_newer) {
			/* the stream missed an event: the newer fact wins */
			take(out, rest, REC_SRC_REST);
			return;
		}
		if (rec_rule_stream_zero_is_closed(sp) == REC_VIEW_FLAT) {
			take(out, sp, REC_SRC_STREAM);
			/* REST still listing a position the stream closed is lag too */
			out->rest_disagrees = rest_ok && rest != NULL;
			return;
		}
		take(out, sp, REC_SRC_STREAM);
		out->rest_disagrees = rec_rule_rest_omission_is_glitch(sp, rest_ok, rest);
		return;
	}
	if (rest_ok) {
		if (rest) {
			take(out, rest, REC_SRC_REST);
		} else {
			out->state = REC_VIEW_FLAT;
			out->from = REC_SRC_REST;
		}
		return;
	}
	out->state = REC_VIEW_UNKNOWN;
}
