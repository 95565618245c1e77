/* The request budget vigil shares with the bot (issue 15): one per
 * exchange and egress IP, whatever the number of accounts behind it,
 * because the exchanges limit by IP (Binance REQUEST_WEIGHT 2400 / min,
 * Bybit 600 requests / 5 s).
 *
 * - vigil's own use is kept under share x limit (default 20 %) and an
 *   absolute ceiling; a slice of that (repair_reserve) is kept for
 *   repairs, so audits never starve a protective stop;
 * - the exchange's own count (X-MBX-USED-WEIGHT-1M: the bot's weight and
 *   vigil's) past high_water x limit stops every audit request until the
 *   window resets; repairs may still use their slice;
 * - a 429 / 418 / Bybit 10006 / 10018 / 403 stops every request of the
 *   budget (audits, stream REST calls, repairs) until Retry-After, or an
 *   exponential backoff when none is given.
 *
 * Thread-safe: the engine thread and the stream threads share it. Time is
 * passed in (wall ms) so tests need no clock. */
#ifndef XCH_BUDGET_H
#define XCH_BUDGET_H
#include <stdbool.h>
#include <stdint.h>

#include "reconcile/model_venue.h"

struct xch_budget_cfg {
	int limit;             /* per window: Binance weight 2400 / 60 s, Bybit 600 requests / 5 s */
	int64_t window_ms;     /* 60000 Binance, 5000 Bybit */
	double share;          /* vigil's part of limit (0.20) */
	int ceiling;           /* absolute cap on vigil's use per window (0 = none) */
	double high_water;     /* exchange-reported use past this part of limit: audits stop (0.80) */
	double repair_reserve; /* part of vigil's share kept for repairs (0.25) */
};
/* Defaults for an exchange (see above). */
void xch_budget_cfg_default(enum rec_exchange ex, struct xch_budget_cfg *c);

struct xch_budget;
/* The budget of (exchange, egress): the same object for every caller with
 * the same pair (reference counted). egress "" = the default route. cfg is
 * used when the budget is created (NULL = defaults). */
struct xch_budget *xch_budget_get(enum rec_exchange ex, const char *egress, const struct xch_budget_cfg *cfg);
void xch_budget_put(struct xch_budget *b);

/* May a request of weight w be sent now? 0 yes (counted), -1 no: *wait_ms
 * says when to ask again and *why (static text) the reason. */
int xch_budget_acquire(struct xch_budget *b, int w, enum xch_prio prio, int64_t now_ms, int64_t *wait_ms,
		       const char **why);
/* The exchange's own count after an answer: Binance used weight in the
 * current minute (-1 unknown); Bybit remaining / limit of the endpoint
 * (-1 unknown), which only feeds the state shown to people. */
void xch_budget_note(struct xch_budget *b, int used_weight, int64_t now_ms);
/* A rate-limit answer: nothing is sent until until_ms (0 = no Retry-After:
 * exponential backoff from 1 s, doubling per consecutive limit, capped at
 * 5 min). banned: a 418 / Bybit 403 IP ban. Returns true when this starts
 * a new stop (the caller logs it once). */
bool xch_budget_limited(struct xch_budget *b, int64_t until_ms, bool banned, int64_t now_ms);

struct xch_budget_state {
	int limit;
	int own;               /* vigil's weight in the last window */
	int reported;          /* exchange-reported use, -1 unknown */
	int64_t stopped_until; /* 0 = not stopped */
	bool banned;
	uint64_t denied;  /* requests held back so far */
	uint64_t limited; /* rate-limit answers so far */
};
void xch_budget_state(struct xch_budget *b, int64_t now_ms, struct xch_budget_state *out);

#endif
