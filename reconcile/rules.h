/* Who to believe: the source-trust rules of docs/design-rules.md, each in one named
 * function, its one home. Classification (classify.c) and verification
 * after a repair (verify.c) call the same functions with the same
 * rec_params (one stream_stale_ms), so the two cannot disagree; each rule
 * is tested by name (tests/unit/test_rec_merge.c, test_rec_stream.c).
 * Internal to reconcile/ and its tests.
 *
 * Rule 1 (BASUSDT) rec_rule_stream_authoritative: the private stream is
 *   authoritative for an entry it reported on the current connection
 *   while it is UP and fresh (rec_stream_is_fresh).
 * Rule 1 (BASUSDT) rec_rule_stream_zero_is_closed: an authoritative stream
 *   size 0 means closed; no fall-back to REST or the DB to find a size.
 * Rule 2 (KAVAUSDT) rec_rule_rest_omission_is_glitch: REST omitting (or
 *   differing from) a position the stream shows is a glitch, not a closure.
 * Rule 3 (AVLUSDT) rec_rule_rest_lag_expired: REST lags the stream; a
 *   disagreement is a finding only once it outlived the lag tolerance.
 * Rule 4 (BASUSDT) rec_rule_db_is_belief: the bot's DB is its belief,
 *   never the source of a position's size or side.
 * Rule 5 (AVLUSDT) rec_rule_closing_side: the closing side comes only from
 *   the position's side as the exchange reports it, never from an order.
 * Rule 6 (SKLUSDT) rec_stream_apply_position / rec_stream_apply_order: the
 *   stream cache keeps every update for every symbol, known or not, and an
 *   older update never overwrites a newer one. In the model
 *   (reconcile/model.h, model_stream.c): the adapters apply it.
 * Rule 7 (SKLUSDT) rec_rule_grace_passed: a position or condition is judged
 *   only after its grace, so vigil never races the bot opening it.
 *
 * rec_merge_position() combines rules 1-3 into the position view. */
#ifndef REC_RULES_H
#define REC_RULES_H
#include "reconcile/reconcile.h"

enum rec_view_state { REC_VIEW_UNKNOWN = 0, REC_VIEW_FLAT, REC_VIEW_OPEN };

/* The exchange's position for one (symbol, pidx), as vigil believes it. */
struct rec_merged {
	enum rec_view_state state;
	unsigned from;           /* REC_SRC_STREAM or REC_SRC_REST (0 if UNKNOWN) */
	struct rec_position pos; /* the chosen source's record when OPEN */
	bool stream_auth;        /* the stream had an authoritative entry */
	bool rest_disagrees;     /* REST ok but omits / differs from the stream */
};

/* Rule 1 (BASUSDT): the stream is authoritative for an entry it reported
 * on the current connection (seen_ms >= connected_ms) while UP and fresh
 * (now - last_msg_ms <= stream_stale_ms). Entries from before a reconnect
 * may have missed events (Binance resends no positions): not authoritative. */
bool rec_stream_is_fresh(const struct rec_stream_cache *c, int64_t now_ms, const struct rec_params *p);
bool rec_rule_stream_authoritative(const struct rec_stream_cache *c, const struct rec_position *sp, int64_t now_ms,
				   const struct rec_params *p);

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

/* Rule 4 (BASUSDT): the DB is belief only: fills f->db from the row (NULL
 * = no live row) and never touches pos_side / pos_size. */
void rec_rule_db_is_belief(struct rec_finding *f, const struct rec_bot_row *row);

/* Rule 5 (AVLUSDT): the closing side comes only from the position's side
 * as the exchange reports it; UNKNOWN when the view is not OPEN. */
enum rec_oside rec_rule_closing_side(const struct rec_merged *m);

/* Rule 6 (SKLUSDT) is rec_stream_apply_position / rec_stream_apply_order,
 * declared in reconcile/model.h (model_stream.c). */

/* Rule 7 (SKLUSDT): a position / condition first seen at first_ms is
 * judged only after grace_ms. */
bool rec_rule_grace_passed(int64_t first_ms, int64_t now_ms, int64_t grace_ms);

/* The merge itself for one (symbol, pidx): sp = stream entry (NULL if none),
 * rest = REST entry (NULL if omitted), rest_ok = REST positions answered.
 * An authoritative stream entry decides (rule 1), except that a REST
 * position newer than it (both update_ms known) wins: an older fact never
 * overwrites a newer one. REST omitting / differing from it sets
 * rest_disagrees (rules 2, 3). Otherwise REST is the truth (stream down,
 * stale, or never reported it); REST failed too = UNKNOWN. */
void rec_merge_position(const struct rec_stream_cache *c, const struct rec_position *sp, bool rest_ok,
			const struct rec_position *rest, int64_t now_ms, const struct rec_params *p,
			struct rec_merged *out);

#endif
