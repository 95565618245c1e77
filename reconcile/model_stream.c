/* The per-account stream cache (rule 6, SKLUSDT): every update for every
 * symbol, known to the bot or not, newest wins. Pure operations on the
 * model (a leaf: the model and nothing else), so the adapters apply it
 * without calling the core; the adapter holds its lock. */
#include <string.h>

#include "reconcile/model.h"

/* >0 if a is newer than b, <0 if older, 0 if undecidable / same. Sequence
 * numbers win over times (Bybit seq is exact; times have ms ties). */
static int newer(int64_t aseq, int64_t ams, int64_t bseq, int64_t bms)
{
	if (aseq && bseq && aseq != bseq)
		return aseq > bseq ? 1 : -1;
	if (ams && bms && ams != bms)
		return ams > bms ? 1 : -1;
	return 0;
}

const struct rec_position *rec_stream_find_position(const struct rec_stream_cache *c, const char *symbol,
						    enum rec_pos_idx pidx)
{
	if (!c || !symbol)
		return NULL;
	for (size_t i = 0; i < c->npos && i < REC_STREAM_MAX_POS; i++)
		if (c->pos[i].pidx == pidx && strcmp(c->pos[i].symbol, symbol) == 0)
			return &c->pos[i];
	return NULL;
}

const struct rec_order *rec_stream_find_order(const struct rec_stream_cache *c, const char *id, bool is_algo)
{
	if (!c || !id)
		return NULL;
	for (size_t i = 0; i < c->nord && i < REC_STREAM_MAX_ORD; i++)
		if (c->ord[i].is_algo == is_algo && strcmp(c->ord[i].id, id) == 0)
			return &c->ord[i];
	return NULL;
}

int rec_stream_apply_position(struct rec_stream_cache *c, const struct rec_position *pos)
{
	if (!c || !pos || !pos->symbol[0])
		return -1;
	struct rec_position *cur = (struct rec_position *)rec_stream_find_position(c, pos->symbol, pos->pidx);
	if (cur) {
		if (newer(pos->seq, pos->update_ms, cur->seq, cur->update_ms) < 0)
			return 1;
		/* a flat (or other-side) entry turning open is a new position:
		 * its grace must not inherit the earlier one's clock (SKLUSDT) */
		int64_t opened = cur->size > 0 ? cur->opened_ms : 0;
		if (pos->size > 0 && (cur->size <= 0 || (cur->side != pos->side && cur->side != REC_SIDE_UNKNOWN &&
							 pos->side != REC_SIDE_UNKNOWN)))
			opened = pos->seen_ms;
		*cur = *pos;
		cur->opened_ms = pos->size > 0 ? opened : 0;
	} else {
		if (c->npos >= REC_STREAM_MAX_POS) {
			/* full: reuse the oldest flat entry; never drop an open one */
			size_t victim = REC_STREAM_MAX_POS;
			for (size_t i = 0; i < REC_STREAM_MAX_POS; i++)
				if (c->pos[i].size <= 0 &&
				    (victim == REC_STREAM_MAX_POS || c->pos[i].seen_ms < c->pos[victim].seen_ms))
					victim = i;
			if (victim == REC_STREAM_MAX_POS)
				return -1;
			cur = &c->pos[victim];
		} else {
			cur = &c->pos[c->npos++];
		}
		*cur = *pos;
		cur->opened_ms = 0; /* first sighting: may be long open */
	}
	cur->sources |= REC_SRC_STREAM;
	if (cur->size <= 0) {
		cur->size = 0; /* kept: "reported flat" */
		cur->side = REC_SIDE_UNKNOWN;
	}
	return 0;
}

static bool order_done(const struct rec_order *o)
{
	switch (o->status) {
	case REC_OST_FILLED:
	case REC_OST_CANCELED:
	case REC_OST_REJECTED:
	case REC_OST_EXPIRED:
	case REC_OST_TRIGGERED: return true;
	default: return false;
	}
}

/* A finished order long enough ago that no late update can still concern
 * it: its slot is reused before the list grows, so the list stays as long
 * as the recent orders need (a daemon's memory stays flat under churn
 * instead of touching a new page of the 2048 slots every few orders). */
static struct rec_order *stale_finished(struct rec_stream_cache *c, int64_t now_ms)
{
	if (c->nord < REC_STREAM_REUSE_FROM || now_ms <= 0)
		return NULL;
	struct rec_order *best = NULL;
	for (size_t i = 0; i < c->nord && i < REC_STREAM_MAX_ORD; i++) {
		struct rec_order *o = &c->ord[i];
		if (order_done(o) && o->update_ms > 0 && now_ms - o->update_ms >= REC_STREAM_FINISHED_KEEP_MS &&
		    (!best || o->update_ms < best->update_ms))
			best = o;
	}
	return best;
}

int rec_stream_apply_order(struct rec_stream_cache *c, const struct rec_order *ord)
{
	if (!c || !ord || !ord->id[0])
		return -1;
	struct rec_order *cur = (struct rec_order *)rec_stream_find_order(c, ord->id, ord->is_algo);
	if (cur) {
		if (newer(0, ord->update_ms, 0, cur->update_ms) < 0)
			return 1;
		/* a late NEW never resurrects a finished order with the same time */
		if (order_done(cur) && !order_done(ord) && ord->update_ms == cur->update_ms)
			return 1;
		/* keep fields a sparse update leaves empty (side may be missing) */
		struct rec_order merged = *ord;
		if (merged.side == REC_OSIDE_UNKNOWN)
			merged.side = cur->side;
		if (!merged.symbol[0])
			memcpy(merged.symbol, cur->symbol, sizeof merged.symbol);
		*cur = merged;
	} else if ((cur = stale_finished(c, ord->update_ms))) {
		*cur = *ord;
	} else {
		if (c->nord >= REC_STREAM_MAX_ORD) {
			/* full: reuse the oldest finished order; open ones stay */
			size_t victim = REC_STREAM_MAX_ORD;
			for (size_t i = 0; i < REC_STREAM_MAX_ORD; i++)
				if (order_done(&c->ord[i]) &&
				    (victim == REC_STREAM_MAX_ORD || c->ord[i].update_ms < c->ord[victim].update_ms))
					victim = i;
			if (victim == REC_STREAM_MAX_ORD)
				return -1;
			cur = &c->ord[victim];
		} else {
			cur = &c->ord[c->nord++];
		}
		*cur = *ord;
	}
	cur->sources |= REC_SRC_STREAM;
	return 0;
}
