/* Source merge: the seven source rules of docs/design-rules.md, one named
 * function each, so each is tested by name (tests/unit/test_rec_merge.c).
 * Internal to reconcile/ (classify.c) and its tests. */
#ifndef REC_MERGE_H
#define REC_MERGE_H
#include "reconcile/reconcile.h"

enum rec_view_state { REC_VIEW_UNKNOWN = 0, REC_VIEW_FLAT, REC_VIEW_OPEN };

/* The exchange's position for one (symbol, pidx), as vigil believes it. */
struct rec_merged {
	enum rec_view_state state;
	unsigned from;              /* REC_SRC_STREAM or REC_SRC_REST (0 if UNKNOWN) */
	struct rec_position pos;    /* the chosen source's record when OPEN */
	bool stream_auth;           /* the stream had an authoritative entry */
	bool rest_disagrees;        /* REST ok but omits / differs from the stream */
};

/* Rule 1: the stream is authoritative for an entry it reported on the
 * current connection while UP and fresh. */
bool rec_stream_is_fresh(const struct rec_stream_cache *c, int64_t now_ms, const struct rec_params *p);
bool rec_rule_stream_authoritative(const struct rec_stream_cache *c, const struct rec_position *sp,
				   int64_t now_ms, const struct rec_params *p);

/* Rule 1 (BASUSDT): an authoritative stream size 0 means closed, whatever
 * REST or the DB say. Returns FLAT for size 0, OPEN otherwise. */
enum rec_view_state rec_rule_stream_zero_is_closed(const struct rec_position *sp);

/* Rule 2 (KAVAUSDT): REST answered but omits (or differs from) an open
 * position the authoritative stream shows. Not a closure. rest may be
 * NULL (omitted). */
bool rec_rule_rest_omission_is_glitch(const struct rec_position *stream_pos, bool rest_ok,
				      const struct rec_position *rest);

/* Rule 3 (AVLUSDT): a stream/REST disagreement first seen at first_ms is
 * a finding only once it outlived the lag tolerance. */
bool rec_rule_rest_lag_expired(int64_t first_ms, int64_t now_ms, const struct rec_params *p);

/* Rule 4: the DB is belief only: fills f->db from the row (NULL = no live
 * row) and never touches pos_side / pos_size. */
void rec_rule_db_is_belief(struct rec_finding *f, const struct rec_bot_row *row);

/* Rule 5 (AVLUSDT): the closing side comes only from the position's side
 * as the exchange reports it; UNKNOWN when the view is not OPEN. */
enum rec_oside rec_rule_closing_side(const struct rec_merged *m);

/* Rule 6 is rec_stream_apply_position/order (stream_cache.c). */

/* Rule 7 (SKLUSDT): a position / condition first seen at first_ms is
 * judged only after grace_ms. */
bool rec_rule_grace_passed(int64_t first_ms, int64_t now_ms, int64_t grace_ms);

/* The merge itself for one (symbol, pidx): sp = stream entry (NULL if none),
 * rest = REST entry (NULL if omitted), rest_ok = REST positions answered. */
void rec_merge_position(const struct rec_stream_cache *c, const struct rec_position *sp, bool rest_ok,
			const struct rec_position *rest, int64_t now_ms, const struct rec_params *p,
			struct rec_merged *out);

#endif
