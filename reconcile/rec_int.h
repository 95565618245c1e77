/* Private to reconcile/: vigil's memory across audits (lifecycle.c). */
#ifndef REC_INT_H
#define REC_INT_H
#include "reconcile/reconcile.h"

/* Condition kinds remembered between audits (first-seen times). */
#define REC_COND_POS 'P'        /* position open on one side: grace */
#define REC_COND_LAG 'L'        /* stream/REST disagreement: lag tolerance */
#define REC_COND_ORPHAN_ORD 'O' /* stop without position: grace_order */
#define REC_COND_PHANTOM 'F'    /* active bot row, exchange flat */
#define REC_COND_MISMATCH 'M'   /* bot row vs exchange size/side */
#define REC_COND_TRIGGERING 'T' /* algo order stuck in TRIGGERING */
#define REC_COND_DUP 'D'        /* redundant stop: grace_order */
#define REC_COND_UNPROT 'U'     /* position not fully covered: grace_open */
#define REC_COND_ORPHAN_POS 'R' /* open without live bot row: grace_open */
#define REC_COND_WRONG 'W'      /* wrong-side reducing stop: grace_order */
#define REC_COND_FINDING 'f'    /* an open finding (lifecycle) */

/* Starts an audit at now. */
void rec_mem_begin(struct rec_memory *m, int64_t now_ms);
/* Touches condition key (creating it with first = min(now, first_hint) if
 * first_hint > 0, else now) and returns its first-seen time. *created
 * (may be NULL) says whether this audit created it. */
int64_t rec_mem_cond(struct rec_memory *m, const char *key, const char *symbol, char kind, int64_t first_hint,
		     bool *created);
/* An existing condition's first-seen and last-touched times (last as of
 * the audit that last touched it; untouched this audit until
 * rec_mem_cond). false = no such condition. */
bool rec_mem_peek(struct rec_memory *m, const char *key, int64_t *first_ms, int64_t *last_ms);
/* Restarts an existing condition's clock at first_ms (clamped to now, as
 * rec_mem_cond's hint); no-op when the key is unknown. */
void rec_mem_restart(struct rec_memory *m, const char *key, int64_t first_ms);
/* now_ms of the audit before the current one (0 = this is the first). */
int64_t rec_mem_prev_audit(const struct rec_memory *m);
/* A finding seeded from a previous run (rec_memory_seed) and not seen
 * again yet: its stored first-seen time. */
bool rec_mem_seeded(struct rec_memory *m, const char *finding_key, int64_t *first_ms);
/* Records f as seen this audit: fills first_seen_ms / last_seen_ms. */
void rec_mem_finding(struct rec_memory *m, struct rec_finding *f);
/* Whether the audit could evaluate a condition / finding (code is only
 * meaningful for REC_COND_FINDING). Untouched entries that are evaluable
 * are dropped (conditions) or resolved (findings); others are kept. */
typedef bool (*rec_eval_fn)(void *ctx, char kind, enum rec_code code, const char *symbol);
void rec_mem_end(struct rec_memory *m, rec_eval_fn fn, void *ctx);
/* After rec_mem_end: appends to *out (capacity *cap) a copy of every open
 * finding this audit did not see (and could not evaluate). */
void rec_mem_carry(const struct rec_memory *m, struct rec_finding **out, size_t *n, size_t *cap);

/* ---- protection.c: which orders protect a position ---- */

/* Open (resting / untriggered / triggering) order. */
bool rec_order_is_active(const struct rec_order *o);

struct rec_protection {
	double stop_qty;                   /* sum of covering quantities */
	bool full;                         /* a close-position / attached stop */
	size_t nstops;                     /* counted covering stops */
	const struct rec_order *keep;      /* the stop that alone covers (if any) */
	const struct rec_order *redundant; /* another stop beside keep */
	const struct rec_order *wrong;     /* first wrong-side stop */
	size_t nwrong, nunknown_side, nlingering;
	size_t nentry;    /* the bot's entry orders on the leg (ignored) */
	size_t ntp;       /* take-profits / limit exits (ignored) */
	size_t ninactive; /* stops that protect nothing now (trailing not
					     * activated, trigger past the mark) */
	bool pos_field;   /* the position's own stopLoss counted */
};

/* Is this TRIGGERING order lingering (no longer counted)? */
typedef bool (*rec_linger_fn)(void *ctx, const struct rec_order *o);

/* Evaluates the orders among ord[0..n) (same symbol) for an OPEN position
 * pos by rec_protects (closing is pos's closing side; kept for callers). */
void rec_protection_eval(const struct rec_position *pos, enum rec_oside closing, const struct rec_order *const *ord,
			 size_t n, rec_linger_fn linger, void *ctx, struct rec_protection *out);
/* Full size covered on the closing side. */
bool rec_protection_covers(const struct rec_protection *pr, double size);

/* ---- orders_eff.c: the open orders a snapshot's judgement uses ---- */
struct rec_eff_orders {
	const struct rec_order **ord; /* into s->orders, s->stream->ord or merged */
	size_t n;
	struct rec_order *merged; /* stream states completed from REST */
};
/* The REST listing with newer stream states applied, plus stream-only
 * open orders younger than the lag window (only when stream_fresh); all
 * empty when !s->orders_ok. Free with rec_eff_orders_free. */
void rec_effective_orders(const struct rec_snapshot *s, const struct rec_params *p, bool stream_fresh,
			  struct rec_eff_orders *out);
void rec_eff_orders_free(struct rec_eff_orders *e);

#endif
