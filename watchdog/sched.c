/* DESIGN: per-account audit deadlines (see sched.h). Kept free of clocks
 * and locks so the debounce rules are unit-tested with plain numbers. */
#include "watchdog/sched.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"

void wd_sched_init(struct wd_sched *s, size_t n, int64_t interval_ms, int64_t debounce_ms,
		   int64_t now)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->slot = xcalloc(n ? n : 1, sizeof *s->slot);
	s->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	s->debounce_ms = debounce_ms >= 0 ? debounce_ms : 0;
	for (size_t i = 0; i < n; i++)
		s->slot[i].next_ms = now;
}

void wd_sched_free(struct wd_sched *s)
{
	free(s->slot);
	memset(s, 0, sizeof *s);
}

void wd_sched_event(struct wd_sched *s, size_t i, int64_t now)
{
	if (i >= s->n)
		return;
	struct wd_sched_slot *sl = &s->slot[i];
	sl->events++;
	if (sl->event_due_ms == 0)
		sl->event_due_ms = now + s->debounce_ms;
}

void wd_sched_set_min_gap(struct wd_sched *s, size_t i, int64_t gap_ms)
{
	if (i < s->n)
		s->slot[i].min_gap_ms = gap_ms > 0 ? gap_ms : 0;
}

static int64_t slot_due(const struct wd_sched_slot *sl)
{
	int64_t due = sl->next_ms;
	if (sl->event_due_ms && sl->event_due_ms < due)
		due = sl->event_due_ms;
	/* never before the budget's pace allows */
	if (sl->started && sl->min_gap_ms && due < sl->last_start_ms + sl->min_gap_ms)
		due = sl->last_start_ms + sl->min_gap_ms;
	return due;
}

int wd_sched_next(const struct wd_sched *s, int64_t now, int64_t *wait_ms)
{
	int best = -1;
	int64_t best_due = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->slot[i].running)
			continue;
		int64_t d = slot_due(&s->slot[i]);
		if (best < 0 || d < best_due) {
			best = (int)i;
			best_due = d;
		}
	}
	if (best < 0) {
		*wait_ms = -1;
		return -1;
	}
	if (best_due <= now) {
		*wait_ms = 0;
		return best;
	}
	*wait_ms = best_due - now;
	return -1;
}

void wd_sched_start(struct wd_sched *s, size_t i, int64_t now)
{
	if (i >= s->n)
		return;
	s->slot[i].running = true;
	s->slot[i].event_due_ms = 0;
	s->slot[i].last_start_ms = now;
	s->slot[i].started = true;
}

void wd_sched_done(struct wd_sched *s, size_t i, int64_t now)
{
	if (i >= s->n)
		return;
	s->slot[i].running = false;
	s->slot[i].next_ms = now + s->interval_ms;
}
