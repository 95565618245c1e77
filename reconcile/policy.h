/* Policy: turns findings into a plan, an ordered list of actions, each with
 * the reason it exists. Pure: no I/O.
 *
 * Modes per account, overridable per finding code (rec_policy_mode):
 *   observe  alert only (default)
 *   protect  also place missing stop-losses (orphans too); never closes
 *   full     also close orphans (or protect them, per orphan_action),
 *            cancel orphan / wrong-side stop orders, remove duplicate stops
 * A finding with repairable = false or a position side UNKNOWN never
 * becomes an order; UNKNOWN side raises a critical UNKNOWN_SIDE finding.
 *
 * Plan order: closes, then stops, then cancels, then alert-only entries. At
 * most one stop per symbol; a planned close supersedes a stop. */
#ifndef REC_POLICY_H
#define REC_POLICY_H
#include <stdbool.h>
#include <stddef.h>

#include "reconcile/model_venue.h"
#include "reconcile/journal.h"
#include "reconcile/model.h"

/* The core's own policy vocabulary: the program's configuration parses
 * into these (observe|protect|full, close|protect, entry|mark). */
enum rec_mode { REC_MODE_OBSERVE = 0, REC_MODE_PROTECT = 1, REC_MODE_FULL = 2 };
/* What mode full does with an ORPHAN_POSITION. */
enum rec_orphan_action { REC_ORPHAN_CLOSE = 0, REC_ORPHAN_PROTECT = 1 };
/* The price a computed stop is taken off (entry falls back to mark when
 * the entry is unknown). */
enum rec_stop_ref { REC_STOPREF_ENTRY = 0, REC_STOPREF_MARK = 1 };

#define REC_POLICY_MAX_OVERRIDES 16

/* What the policy and the repair engine act by, for one account: all they
 * read of the account's configuration (the classifier's thresholds are
 * struct rec_params). The program fills it from its config. */
struct rec_policy {
	char account[REC_ACCT_MAX]; /* names the actions and their client ids */
	enum rec_mode mode;         /* for every code without an override */
	struct rec_mode_override {
		enum rec_code code;
		enum rec_mode mode;
	} overrides[REC_POLICY_MAX_OVERRIDES]; /* the first for a code wins */
	size_t noverrides;
	enum rec_orphan_action orphan_action;
	enum rec_stop_ref stop_ref;
	double stop_loss_percent; /* computed stops: this far off the reference */
};
/* observe, close, entry, 2 %, no overrides (the documented config defaults). */
void rec_policy_default(struct rec_policy *p);
/* The mode in force for a finding code (overrides first). */
enum rec_mode rec_policy_mode(const struct rec_policy *p, enum rec_code code);
/* The reference a computed stop is taken off: mark when the policy says
 * so or the entry is unknown (<= 0), else entry. *name (may be NULL) is
 * "mark" / "entry". */
double rec_policy_ref_price(const struct rec_policy *p, double entry, double mark, const char **name);
const char *rec_mode_name(enum rec_mode m); /* observe / protect / full */

struct rec_step {
	struct rec_action a;  /* what to do; a.reason says why */
	struct rec_finding f; /* the finding that asked for it */
	enum rec_mode mode;   /* mode in force for f's code */
	double ref_price;     /* price the stop is computed from (0 = n/a) */
	double pos_size;      /* exchange-confirmed size when planned */
	bool trigger_given;   /* an operator's trigger (vigil repair sl): the
				    * engine refuses it when the mark crossed it */
};

struct rec_plan {
	struct rec_step *steps;
	size_t n;
	struct rec_finding *raised; /* findings the policy itself raises (UNKNOWN_SIDE) */
	size_t nraised;
};

/* Builds the plan for one account's findings. ins (may be NULL) gives tick
 * and step sizes for rounding. Returns 0. Free with rec_plan_free(). */
int rec_plan_build(const struct rec_policy *pol, const struct rec_finding *f, size_t nf,
		   const struct xch_instrument *ins, size_t nins, int64_t now_ms, struct rec_plan *out);
void rec_plan_free(struct rec_plan *p);

/* The plan as text, one numbered line per step (the dry run's output).
 * Returns a malloc'd string. */
char *rec_plan_format(const struct rec_plan *p);

/* Stop trigger: pct off ref, below for LONG, above for SHORT, rounded to
 * tick away from the position (LONG down, SHORT up). 0 for UNKNOWN side or
 * ref <= 0. */
double rec_stop_price(enum rec_side side, double ref, double pct, double tick);
/* Quantity to the nearest step (step <= 0: unchanged). */
double rec_round_qty(double qty, double step);
/* Idempotent client id "vgl-<k>-<12 hex>-<attempt>", k = s (stop), c
 * (close), x (cancel); the hex is a hash of account, exchange, symbol,
 * side and epoch (the finding's first-seen time). Fits 36 chars. */
void rec_client_id(char *out, size_t n, enum rec_action_kind k, const char *account, enum rec_exchange ex,
		   const char *symbol, enum rec_side side, int64_t epoch, int attempt);
/* The instrument of symbol in ins, or NULL. */
const struct xch_instrument *rec_find_instrument(const struct xch_instrument *ins, size_t n, const char *symbol);
/* A finding raised by the engine or the policy about step s. */
void rec_raise(struct rec_finding *out, const struct rec_finding *about, enum rec_code code, int64_t now_ms,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
