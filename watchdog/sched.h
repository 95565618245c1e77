/* The audit scheduler: when is each account's next audit due. Pure (no
 * clock reads, no locks): the engine passes CLOCK_MONOTONIC milliseconds
 * (wd_mono_ms) and holds its own lock around calls.
 *
 * Each account is audited every interval_ms, and also debounce_ms after
 * the first stream event since its last audit started: a burst of fills
 * gives one audit, not one per message, and the delay is bounded (later
 * events in the window do not push it out). */
#ifndef WD_SCHED_H
#define WD_SCHED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock_now.h"

struct wd_sched_slot {
	int64_t next_ms;      /* periodic deadline */
	int64_t event_due_ms; /* 0 = no event pending */
	bool running;
	uint64_t events;      /* stream events seen (for metrics) */
	int64_t min_gap_ms;   /* request budget: audits start at least this far apart */
	int64_t last_start_ms;
	bool started;          /* last_start_ms is set */
};

struct wd_sched {
	size_t n;
	struct wd_sched_slot *slot;
	int64_t interval_ms;
	int64_t debounce_ms;
};

/* All n accounts due at now. Free with wd_sched_free. */
void wd_sched_init(struct wd_sched *s, size_t n, int64_t interval_ms, int64_t debounce_ms,
		   int64_t now);
void wd_sched_free(struct wd_sched *s);
/* Audits of account i start at least gap_ms apart (the request budget's
 * pace): an event burst never multiplies full listings. */
void wd_sched_set_min_gap(struct wd_sched *s, size_t i, int64_t gap_ms);
/* A stream event for account i at now. */
void wd_sched_event(struct wd_sched *s, size_t i, int64_t now);
/* The account whose audit is due at now (earliest deadline first) or -1;
 * *wait_ms = time until the next deadline (-1 if none), for a timed wait. */
int wd_sched_next(const struct wd_sched *s, int64_t now, int64_t *wait_ms);
/* Audit of i starts: pending events are consumed (events arriving during
 * the audit schedule another one). */
void wd_sched_start(struct wd_sched *s, size_t i, int64_t now);
/* Audit of i finished at now: next periodic one interval_ms later. */
void wd_sched_done(struct wd_sched *s, size_t i, int64_t now);

/* Clocks: monotonic for deadlines, wall for data (ms). */

#endif
