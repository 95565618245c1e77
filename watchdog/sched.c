/* DESIGN: per-account audit deadlines (see sched.h). Kept free of clocks
 * and locks so the debounce rules are unit-tested with plain numbers. */
#include "watchdog/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/xalloc.h"

void wd_sched_init(struct wd_sched *s, size_t n, int64_t interval_ms, int64_t debounce_ms, int64_t now)
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

static void add_symbol(struct wd_sched_slot *sl, const char *symbol, int64_t due)
{
	struct wd_scope *p = &sl->pending;
	if (symbol && symbol[0]) {
		for (size_t k = 0; k < p->n; k++)
			if (strcmp(p->sym[k], symbol) == 0)
				return;
		if (p->n < WD_SCOPE_MAX && strlen(symbol) < sizeof p->sym[0]) {
			if (p->n == 0)
				sl->sym_due_ms = due;
			snprintf(p->sym[p->n++], sizeof p->sym[0], "%s", symbol);
			return;
		}
	}
	/* no symbol, or too many to check one by one (then those wait for
	 * the full audit too) */
	if (symbol && symbol[0])
		p->n = 0;
	if (!sl->pending_all)
		sl->all_due_ms = due;
	sl->pending_all = true;
}

void wd_sched_event(struct wd_sched *s, size_t i, int64_t now, const char *symbol)
{
	if (i >= s->n)
		return;
	struct wd_sched_slot *sl = &s->slot[i];
	if (sl->off)
		return; /* a stream stopping after a release */
	sl->events++;
	add_symbol(sl, symbol, now + s->debounce_ms);
	if (sl->event_due_ms == 0)
		sl->event_due_ms = now + s->debounce_ms;
}

void wd_sched_set_min_gap(struct wd_sched *s, size_t i, int64_t gap_ms, int64_t sym_gap_ms)
{
	if (i >= s->n)
		return;
	s->slot[i].min_gap_ms = gap_ms > 0 ? gap_ms : 0;
	s->slot[i].sym_gap_ms = sym_gap_ms > 0 ? sym_gap_ms : 0;
}

/* When the next full audit is due: periodically, or for an event that
 * asked for one, never before the budget's pace allows. */
static int64_t full_due(const struct wd_sched_slot *sl)
{
	int64_t due = sl->next_ms;
	if (sl->pending_all && sl->all_due_ms < due)
		due = sl->all_due_ms;
	if (sl->full_started && sl->min_gap_ms && due < sl->last_full_ms + sl->min_gap_ms)
		due = sl->last_full_ms + sl->min_gap_ms;
	return due;
}

static int64_t slot_due(const struct wd_sched_slot *sl)
{
	int64_t due = full_due(sl);
	if (sl->pending.n) {
		int64_t t = sl->sym_due_ms > sl->sym_ok_ms ? sl->sym_due_ms : sl->sym_ok_ms;
		if (t < due)
			due = t;
	}
	return due;
}

int wd_sched_next(const struct wd_sched *s, int64_t now, int64_t *wait_ms)
{
	int best = -1;
	int64_t best_due = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->slot[i].running || s->slot[i].off)
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

void wd_sched_set_off(struct wd_sched *s, size_t i, bool off, int64_t now)
{
	if (i >= s->n || s->slot[i].off == off)
		return;
	struct wd_sched_slot *sl = &s->slot[i];
	sl->off = off;
	sl->pending.n = 0;
	sl->pending_all = false;
	sl->event_due_ms = 0;
	if (!off) {
		/* the budget's gap counts from this instance's own last full
		 * listing, which may be long ago or never: due now */
		sl->next_ms = now;
		sl->full_started = false;
		sl->started = false;
	}
}

void wd_sched_start(struct wd_sched *s, size_t i, int64_t now, struct wd_scope *scope)
{
	if (i >= s->n)
		return;
	struct wd_sched_slot *sl = &s->slot[i];
	/* full when it is due (periodic, or asked for); else the symbols */
	bool full = full_due(sl) <= now || sl->pending.n == 0;
	if (scope) {
		memset(scope, 0, sizeof *scope);
		if (!full)
			*scope = sl->pending;
	}
	if (full) {
		sl->last_full_ms = now;
		sl->full_started = true;
		sl->sym_ok_ms = now;
		sl->pending_all = false;
	} else {
		sl->sym_ok_ms = now + sl->sym_gap_ms * (int64_t)sl->pending.n;
	}
	memset(&sl->pending, 0, sizeof sl->pending);
	sl->running = true;
	sl->running_full = full;
	sl->event_due_ms = 0;
	sl->last_start_ms = now;
	sl->started = true;
}

void wd_sched_done(struct wd_sched *s, size_t i, int64_t now)
{
	if (i >= s->n)
		return;
	s->slot[i].running = false;
	if (s->slot[i].running_full)
		s->slot[i].next_ms = now + s->interval_ms;
}
