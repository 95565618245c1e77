/* The repair engine: executes a plan (policy.h) safely and proves the
 * result. See reconcile/REPAIR.md for the flow.
 *
 * Every sending action: journal intent first (nothing is sent if that
 * fails), then the exchange call, then verification from the exchange,
 * then the journal outcome. On the first run, unfinished intents from a
 * previous process are resolved against the exchange (get_order by client
 * id / open orders) before anything new is sent; a symbol whose intent
 * cannot be resolved gets nothing new.
 *
 * Never a wrong-side order: closing and stop sides come only from the
 * position side the exchange reports (rec_closing_side); an UNKNOWN side
 * sends nothing and raises a critical UNKNOWN_SIDE finding. */
#ifndef REC_REPAIR_H
#define REC_REPAIR_H
#include <stdbool.h>
#include <stddef.h>

#include "reconcile/model_venue.h"
#include "base/clock.h"
#include "reconcile/journal.h"
#include "reconcile/policy.h"
#include "reconcile/verify.h"

#define REC_ENGINE_MAX_ATTEMPTS 64
#define REC_ENGINE_MAX_BLOCKED 64
#define REC_ENGINE_MAX_LIVE 64

/* The result of one action (or one resolved journal intent). */
struct rec_result {
	struct rec_action a; /* as journaled; a.outcome = final outcome */
	char detail[256];    /* what happened, for humans */
	bool recovered;      /* a journal intent from an earlier run */
};

/* What a run returns: per-action results and new findings for the alert
 * layer (REPAIR_FAILED, CLOSE_UNVERIFIED, UNKNOWN_SIDE). Free with
 * rec_report_free(). */
struct rec_report {
	struct rec_result *res;
	size_t n;
	struct rec_finding *findings;
	size_t nfind;
};
void rec_report_free(struct rec_report *r);

struct rec_engine {
	struct rec_ctx ctx;
	const struct rec_policy *pol;                      /* borrowed: account name, stop settings */
	struct rec_journal *j;                             /* borrowed */
	bool dry_run;                                      /* plan only: nothing sent, nothing journaled */
	bool recovered;                                    /* journal checked against the exchange */
	bool recent_loaded;                                /* the journal's recent DONE stops are in live[] */
	char blocked[REC_ENGINE_MAX_BLOCKED][REC_SYM_MAX]; /* unresolved intents */
	size_t nblocked;
	struct xch_instrument *ins; /* lazily loaded tick/step table */
	size_t nins;
	bool ins_loaded;
	struct {
		char base[REC_ID_MAX];
		int n;
		double crossed; /* trigger refused as already crossed */
	} attempts[REC_ENGINE_MAX_ATTEMPTS];
	size_t nattempts;
	/* Stops this engine knows are live (placed and verified, or found by
	 * journal recovery): REST's open-order list may not show them yet
	 * (lag), so until the exchange says one is gone it counts as
	 * protection and no second stop is sent for the position. */
	struct rec_live_stop {
		char symbol[REC_SYM_MAX];
		enum rec_pos_idx pidx;
		enum rec_oside side;
		char id[REC_ID_MAX];
		char client_id[REC_ID_MAX];
		bool is_algo;
		double qty; /* 0 with close_position */
		bool close_position;
	} live[REC_ENGINE_MAX_LIVE];
	size_t nlive;
	bool journal_unreadable; /* the last recovery could not list the journal */
};

/* x, pol, j and clk are borrowed and must outlive the engine. */
void rec_engine_init(struct rec_engine *e, struct xch *x, const struct rec_policy *pol, struct rec_journal *j,
		     const struct rec_clock *clk);
void rec_engine_free(struct rec_engine *e);

/* Resolves unfinished journal intents of the account against the exchange.
 * Appends one result per intent. Returns the number still unresolved
 * (their symbols are blocked for this engine until a later call resolves
 * them). */
int rec_engine_recover(struct rec_engine *e, struct rec_report *r);

/* Runs the plan (recovering first if not done). Appends results and
 * findings to r. Dry run: every step SKIPPED "dry run", no call made.
 * Returns 0, or -1 if any step FAILED. */
int rec_engine_run(struct rec_engine *e, const struct rec_plan *p, struct rec_report *r);

/* One step (also used by manual `vigil repair` commands). Returns the
 * final outcome. */
enum rec_outcome rec_repair_stop(struct rec_engine *e, const struct rec_step *s, struct rec_report *r);
enum rec_outcome rec_repair_close(struct rec_engine *e, const struct rec_step *s, struct rec_report *r);
enum rec_outcome rec_repair_cancel(struct rec_engine *e, const struct rec_step *s, struct rec_report *r);

/* ---- premise.c: each action's premise, re-confirmed just before it is
 * sent from fresh sources (a fresh stream entry, else a fresh REST
 * answer; fresh open orders judged by rec_protects). A premise that no
 * longer holds sends nothing and is journaled and reported as such. */
enum rec_premise { REC_PREMISE_HOLDS = 0, REC_PREMISE_GONE = 1, REC_PREMISE_UNKNOWN = -1 };

/* The position of (symbol, pidx) now: 1 open (*out), 0 flat, -1 cannot
 * tell. *src names the source ("stream" / "REST"). */
int rec_fresh_position(struct rec_ctx *c, const char *symbol, enum rec_pos_idx pidx, struct rec_position *out,
		       const char **src);
/* Fresh open orders of symbol (malloc'd, free()). 0, or -1 (why set). */
int rec_fresh_orders(struct rec_ctx *c, const char *symbol, struct rec_order **out, size_t *n, char *why, size_t wl);
/* Protection of pos by o[0..n) at send time (TRIGGERING counts as stuck). */
struct rec_protection;
void rec_fresh_protection(const struct rec_position *pos, const struct rec_order *o, size_t n,
			  struct rec_protection *out);
/* A stop: the position is still open on the plan's side and leg (*pos:
 * the fresh one, mark / entry filled from the finding when unknown). */
enum rec_premise rec_premise_stop(struct rec_engine *e, const struct rec_step *s, struct rec_position *pos, char *why,
				  size_t wl);
/* A cancel: the order is still open and still what the finding said: an
 * exit on a flat leg (ORPHAN_ORDER), a plain protecting stop beside
 * another of full coverage on the same leg (DUPLICATE_STOP), a reducing
 * stop whose side does not close the position, still on that side
 * (WRONG_SIDE_STOP). */
enum rec_premise rec_premise_cancel(struct rec_engine *e, const struct rec_step *s, char *why, size_t wl);
/* An action whose answer was lost and whose lookups did not tell:
 * journaled UNKNOWN, raised as OUTCOME_UNKNOWN ("outcome unknown — check
 * order vgl-…"), its symbol blocked until recovery resolves it. */
enum rec_outcome rec_engine_unknown(struct rec_engine *e, struct rec_report *r, const struct rec_step *s,
				    struct rec_action *a, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* No new action for symbol until the journal's intents are resolved. */
void rec_engine_block(struct rec_engine *e, const char *symbol);
/* JOURNAL_UNREADABLE for the engine's account (now). */
void rec_engine_journal_finding(const struct rec_engine *e, struct rec_finding *f);
/* The request budget kept the call back (nothing was sent): the step ends
 * SKIPPED and is tried again by a later audit, never into the limit. */
bool rec_held_back(int rc, const struct xch_err *err);
/* Journals and reports a step whose premise is gone: SKIPPED, nothing sent. */
enum rec_outcome rec_engine_premise_gone(struct rec_engine *e, struct rec_report *r, struct rec_action *a,
					 const char *why);

/* repair.c internals shared by repair_*.c */
struct rec_result *rec_report_add(struct rec_report *r, const struct rec_action *a);
void rec_report_raise(struct rec_engine *e, struct rec_report *r, const struct rec_step *s, enum rec_code code,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* What a stop or close checks before anything else: a dry run sends
 * nothing, nor does a position of unknown side (raised as "<what> SYMBOL
 * refused"). true when the step ends here (*out its outcome); else
 * a->order_side is the closing side. */
bool rec_repair_refused(struct rec_engine *e, const struct rec_step *s, struct rec_report *r, struct rec_action *a,
			const char *what, enum rec_outcome *out);
/* Journals the intent (a->id set). -1 if the journal refused: send nothing. */
int rec_engine_intent(struct rec_engine *e, struct rec_action *a);
/* Journals the outcome and records the result. Returns o. */
enum rec_outcome rec_engine_finish(struct rec_engine *e, struct rec_report *r, struct rec_action *a, enum rec_outcome o,
				   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The next attempt number for a client-id base (1, 2, ...). */
int rec_engine_attempt(struct rec_engine *e, const char *client_id);
/* Remember / ask whether a stop trigger was refused as crossed for this
 * client-id base (no blind retry of the same price). */
void rec_engine_mark_crossed(struct rec_engine *e, const char *client_id, double trigger);
bool rec_engine_was_crossed(struct rec_engine *e, const char *client_id, double trigger);
/* Replaces the trailing attempt of a client id. */
void rec_client_id_attempt(char *cid, size_t n, int attempt);
const struct xch_instrument *rec_engine_instrument(struct rec_engine *e, const char *symbol);
bool rec_engine_blocked(const struct rec_engine *e, const char *symbol);
/* Remembers a verified stop (a->order_id set) as live; replaces an entry
 * with the same id, else the oldest when full. */
void rec_engine_live_add(struct rec_engine *e, const struct rec_action *a);
/* Forgets live stop i. */
void rec_engine_live_drop(struct rec_engine *e, size_t i);

#endif
