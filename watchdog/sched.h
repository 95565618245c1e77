/* The audit scheduler: when is each account's next audit due. Pure (no
 * clock reads, no locks): the engine passes CLOCK_MONOTONIC milliseconds
 * (wd_mono_ms) and holds its own lock around calls.
 *
 * Each account is audited every interval_ms, and also debounce_ms after
 * the first stream event since its last audit started: a burst of fills
 * gives one audit, not one per message, and the delay is bounded (later
 * events in the window do not push it out).
 *
 * Events name their symbol. When only a few symbols moved and no periodic
 * audit is due, the audit that follows is a targeted check of those
 * symbols (per-symbol queries: Binance weight 7 instead of 85), paced by
 * its own, shorter gap; an event without a symbol, or more than
 * WD_SCOPE_MAX symbols, asks for a full audit. Full audits keep their
 * gap whatever the events, so a burst never multiplies full listings;
 * while one waits for its gap, the symbols that move are still checked. */
#ifndef WD_SCHED_H
#define WD_SCHED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock_now.h"
#include "reconcile/model.h"

#define WD_SCOPE_MAX 4

/* What an audit covers: n symbols, or the whole account when n == 0. */
struct wd_scope {
	size_t n;
	char sym[WD_SCOPE_MAX][REC_SYM_MAX];
};

struct wd_sched_slot {
	int64_t next_ms;      /* periodic deadline */
	int64_t event_due_ms; /* 0 = no event pending */
	bool running;
	bool off;           /* not this instance's account (sharding): never due */
	uint64_t events;    /* stream events seen (for metrics) */
	int64_t min_gap_ms; /* request budget: full audits start at least this far apart */
	int64_t sym_gap_ms; /* ... and targeted checks this far apart per symbol */
	int64_t last_start_ms;
	bool started; /* last_start_ms is set */
	int64_t last_full_ms;
	bool full_started; /* last_full_ms is set */
	int64_t sym_ok_ms; /* no targeted check before this */
	bool running_full;
	struct wd_scope pending; /* symbols of the pending events */
	int64_t sym_due_ms;      /* their debounce deadline */
	bool pending_all;        /* an event asked for the whole account */
	int64_t all_due_ms;      /* its debounce deadline */
};

struct wd_sched {
	size_t n;
	struct wd_sched_slot *slot;
	int64_t interval_ms;
	int64_t debounce_ms;
};

/* All n accounts due at now. Free with wd_sched_free. */
void wd_sched_init(struct wd_sched *s, size_t n, int64_t interval_ms, int64_t debounce_ms, int64_t now);
void wd_sched_free(struct wd_sched *s);
/* Full audits of account i start at least gap_ms apart, targeted checks
 * sym_gap_ms per symbol checked (the request budget's pace). */
void wd_sched_set_min_gap(struct wd_sched *s, size_t i, int64_t gap_ms, int64_t sym_gap_ms);
/* A stream event for account i at now about symbol (NULL or "" = the
 * whole account). */
void wd_sched_event(struct wd_sched *s, size_t i, int64_t now, const char *symbol);
/* The account whose audit is due at now (earliest deadline first) or -1;
 * *wait_ms = time until the next deadline (-1 if none), for a timed wait. */
int wd_sched_next(const struct wd_sched *s, int64_t now, int64_t *wait_ms);
/* Audit of i starts: pending events are consumed (events arriving during
 * the audit schedule another one). *scope (may be NULL) receives what it
 * covers: the pending symbols for a targeted check, n = 0 for a full
 * audit. */
void wd_sched_start(struct wd_sched *s, size_t i, int64_t now, struct wd_scope *scope);
/* Sharding: an account another instance holds is off (never due, its
 * events dropped); turned on again it is due at once, its pending events
 * and pacing forgotten (a takeover audits the whole account first). */
void wd_sched_set_off(struct wd_sched *s, size_t i, bool off, int64_t now);
/* Audit of i finished at now: after a full audit, the next periodic one is
 * interval_ms later (a targeted check does not postpone it). */
void wd_sched_done(struct wd_sched *s, size_t i, int64_t now);

#endif
