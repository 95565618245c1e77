/* In-memory journal: an array of actions in intent order. Ids count up
 * from 1 and are never reused; a database-less daemon runs for months, so
 * past REC_JOURNAL_MEM_KEEP records the oldest finished ones are dropped
 * (unfinished ones — PENDING, UNKNOWN — are always kept: recovery needs
 * them). */
#include "reconcile/journal_mem.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct jm {
	struct rec_action *a;
	size_t n, cap;
	int64_t next_id;
	int fail_next;
	int fail_list; /* the next n unfinished() calls fail */
	int64_t (*now_ms)(void *ud);
	void *ud;
};

static int64_t jm_now(struct jm *m)
{
	return m->now_ms ? m->now_ms(m->ud) : 0;
}

static bool finished(const struct rec_action *a)
{
	return a->outcome != REC_OUT_PENDING && a->outcome != REC_OUT_UNKNOWN;
}

/* Drop the oldest finished records down to half the limit (amortized:
 * one pass per KEEP/2 intents). */
static void prune(struct jm *m)
{
	size_t drop = m->n - REC_JOURNAL_MEM_KEEP / 2, w = 0;
	for (size_t i = 0; i < m->n; i++) {
		if (drop && finished(&m->a[i])) {
			drop--;
			continue;
		}
		m->a[w++] = m->a[i];
	}
	m->n = w;
}

static struct rec_action *by_id(struct jm *m, int64_t id)
{
	for (size_t i = m->n; i-- > 0;)
		if (m->a[i].id == id)
			return &m->a[i];
	return NULL;
}

static int jm_intent(struct rec_journal *j, struct rec_action *a)
{
	struct jm *m = j->priv;
	if (m->fail_next > 0) {
		m->fail_next--;
		return -1;
	}
	if (m->n >= REC_JOURNAL_MEM_KEEP)
		prune(m);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->a = xrealloc(m->a, m->cap * sizeof *m->a);
	}
	a->id = ++m->next_id;
	a->outcome = REC_OUT_PENDING;
	a->outcome_detail[0] = '\0';
	a->intent_ms = jm_now(m);
	a->outcome_ms = 0;
	m->a[m->n++] = *a;
	return 0;
}

static int jm_outcome(struct rec_journal *j, int64_t id, enum rec_outcome o, const char *order_id, const char *detail)
{
	struct jm *m = j->priv;
	struct rec_action *a = by_id(m, id);
	if (!a)
		return -1;
	a->outcome = o;
	if (order_id && order_id[0])
		snprintf(a->order_id, sizeof a->order_id, "%s", order_id);
	snprintf(a->outcome_detail, sizeof a->outcome_detail, "%s", detail ? detail : "");
	a->outcome_ms = jm_now(m);
	return 0;
}

static int jm_unfinished(struct rec_journal *j, const char *account, struct rec_action **out, size_t *n)
{
	struct jm *m = j->priv;
	*out = NULL;
	*n = 0;
	if (m->fail_list > 0) {
		m->fail_list--;
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (finished(&m->a[i]) || strcmp(m->a[i].account, account) != 0)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = m->a[i];
	}
	return 0;
}

static int jm_recent_stops(struct rec_journal *j, const char *account, int64_t since_ms, struct rec_action **out,
			   size_t *n)
{
	struct jm *m = j->priv;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct rec_action *a = &m->a[i];
		if (a->kind != REC_ACT_PLACE_STOP || a->outcome != REC_OUT_DONE || !a->order_id[0] ||
		    a->outcome_ms < since_ms || strcmp(a->account, account) != 0)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = *a;
	}
	return 0;
}

static void jm_destroy(struct rec_journal *j)
{
	struct jm *m = j->priv;
	free(m->a);
	free(m);
	free(j);
}

static const struct rec_journal_ops jm_ops = {
	.intent = jm_intent,
	.outcome = jm_outcome,
	.unfinished = jm_unfinished,
	.recent_stops = jm_recent_stops,
	.destroy = jm_destroy,
};

struct rec_journal *rec_journal_mem_new(int64_t (*now_ms)(void *ud), void *ud)
{
	struct rec_journal *j = xcalloc(1, sizeof *j);
	struct jm *m = xcalloc(1, sizeof *m);
	m->now_ms = now_ms;
	m->ud = ud;
	j->ops = &jm_ops;
	j->priv = m;
	return j;
}

const struct rec_action *rec_journal_mem_all(struct rec_journal *j, size_t *n)
{
	struct jm *m = j->priv;
	*n = m->n;
	return m->a;
}

void rec_journal_mem_fail_list(struct rec_journal *j, int n)
{
	((struct jm *)j->priv)->fail_list = n;
}

void rec_journal_mem_fail_next(struct rec_journal *j, int n)
{
	((struct jm *)j->priv)->fail_next = n;
}
