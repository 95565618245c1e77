/* vigil's verified view of one position leg, for another process (the
 * bot, through watchdog/api.c): what vigil believes, which rule decided,
 * what each source said and how old it is, and which orders protect the
 * leg. Built from the very functions classification uses: the merge is
 * rec_merge_position (rules 1-3, reconcile/rules.h), protection is
 * rec_protects through rec_protection_eval over the same effective orders
 * (orders_eff.c), and "missing" is the judgement behind
 * UNPROTECTED_POSITION / UNDERSIZED_STOP. Pure: a snapshot in, a view out;
 * no memory (grace is not applied: the view says what holds now, the
 * audit's findings say what vigil has raised).
 *
 * Never more optimistic than the rules: a stale or disconnected stream is
 * not authoritative (REST decides, and says so), a stream entry from
 * before the current connection is not trusted, REST omitting a position
 * the authoritative stream shows is lag (within rest_lag_tolerance of the
 * stream's sight) or a glitch (past it), never "flat"; REST failing with
 * no authoritative stream entry is UNKNOWN. */
#ifndef REC_VIEW_H
#define REC_VIEW_H
#include "reconcile/reconcile.h"
#include "reconcile/rules.h" /* enum rec_view_state, the rules named here */

/* Which rule decided the view (rules.h). */
enum rec_view_rule {
	REC_VR_NO_SOURCE = 0,         /* REST failed, no authoritative stream entry: UNKNOWN */
	REC_VR_STREAM_AUTHORITATIVE,  /* rule 1: fresh entry of this connection; REST agrees */
	REC_VR_STREAM_ZERO_IS_CLOSED, /* rule 1: authoritative size 0 = closed */
	REC_VR_REST_LAG,              /* rule 3: stream decides, REST behind within tolerance */
	REC_VR_REST_GLITCH,           /* rule 2: stream decides, REST omits / differs past it */
	REC_VR_REST_NEWER,            /* REST's update time is newer than the stream entry's */
	REC_VR_REST_TRUTH,            /* stream down, stale or silent on it: REST decides */
};
const char *rec_view_rule_name(enum rec_view_rule r); /* "stream_authoritative", ... */

enum rec_stream_status {
	REC_SST_NONE = 0, /* no stream configured / started */
	REC_SST_DOWN,
	REC_SST_CONNECTING,
	REC_SST_STALE, /* up, silent longer than stream_stale_ms */
	REC_SST_FRESH,
};
const char *rec_stream_status_name(enum rec_stream_status s); /* none, down, ... */

/* REST relative to the decision. */
enum rec_rest_status {
	REC_RST_UNAVAILABLE = 0, /* the listing failed */
	REC_RST_DECIDES,         /* the view is REST's (REST_TRUTH / REST_NEWER) */
	REC_RST_AGREES,          /* the stream decided and REST says the same */
	REC_RST_LAGGING,         /* disagrees within rest_lag_tolerance (rule 3) */
	REC_RST_GLITCH,          /* disagrees past it (rule 2): not a closure */
};
const char *rec_rest_status_name(enum rec_rest_status s);

struct rec_pos_view {
	char symbol[REC_SYM_MAX]; /* exchange form */
	enum rec_pos_idx pidx;
	enum rec_view_state state; /* FLAT / OPEN / UNKNOWN */
	unsigned from;             /* REC_SRC_STREAM / REC_SRC_REST, 0 when UNKNOWN */
	struct rec_position pos;   /* OPEN: the deciding source's record */
	enum rec_view_rule rule;
	/* the stream */
	enum rec_stream_status stream_status;
	bool stream_present; /* an entry for the leg (size 0 = reported flat) */
	bool stream_auth;    /* rule 1 held for it */
	struct rec_position stream_pos;
	/* REST (the listing the snapshot carries; open positions only) */
	enum rec_rest_status rest_status;
	bool rest_ok, rest_present;
	struct rec_position rest_pos;
	/* the bot's database (belief only, rule 4) */
	bool db_ok, db_present;
	struct rec_bot_row db_row;
	char why[256]; /* the decision in words */
};

/* The view of (symbol, pidx) in s (symbol in any style: normalized).
 * s->now_ms is "now"; s->rest_fetched_ms dates the REST listing. */
void rec_position_view(const struct rec_snapshot *s, const struct rec_params *p, const char *symbol,
		       enum rec_pos_idx pidx, struct rec_pos_view *out);

/* One open order of the leg and what it is to the position. */
struct rec_prot_entry {
	struct rec_order order;
	struct rec_prot v; /* rec_protects' verdict, role, coverage */
};

struct rec_prot_view {
	struct rec_pos_view pos;
	bool orders_ok;                /* the open-order listing answered */
	struct rec_prot_entry *orders; /* malloc'd (rec_prot_view_free) */
	size_t norders;
	/* when pos is OPEN and orders_ok: */
	bool judged;
	bool covered;               /* rec_protection_covers */
	bool full;                  /* a close-position / attached stop (or Bybit stopLoss field) */
	double stop_qty;            /* covering quantity of the quantity stops */
	double uncovered;           /* size - stop_qty when !covered */
	bool missing;               /* !covered: what classification raises after grace */
	enum rec_code missing_code; /* UNPROTECTED_POSITION or UNDERSIZED_STOP */
	enum rec_oside closing;     /* the side a stop must have */
	size_t nstops, nunknown, nlingering, ninactive, ntp, nentry, nwrong;
	bool pos_field; /* Bybit position stopLoss counted */
};

/* The protection of (symbol, pidx): rec_position_view, then every
 * effective open order of the leg through rec_protects, and the leg's
 * coverage through rec_protection_eval. A TRIGGERING order counts only
 * within rest_lag_tolerance of its exchange update time (classification
 * counts from its first sight; the exchange's time is never later). */
void rec_protection_view(const struct rec_snapshot *s, const struct rec_params *p, const char *symbol,
			 enum rec_pos_idx pidx, struct rec_prot_view *out);
void rec_prot_view_free(struct rec_prot_view *v);

#endif
