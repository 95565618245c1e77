/* vigil's memory across audits of one account: first-seen times of
 * conditions (grace, lag tolerance) and the open findings, so findings
 * keep their first_seen and alerts can send RESOLVED; a new memory may
 * be seeded with what a previous run stored. A string-keyed
 * open-addressing hash over a dense array, compacted after each audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rec_int.h"
#include "base/xalloc.h"

struct rec_entry {
	char key[REC_KEY_MAX + 8];
	char symbol[REC_SYM_MAX];
	char kind;
	int64_t first_ms, last_ms;
	uint64_t gen;
	bool seeded;           /* a stored finding not yet seen again (rec_memory_seed) */
	struct rec_finding *f; /* kind REC_COND_FINDING only (owned) */
};

struct rec_memory {
	uint64_t gen;
	int64_t now_ms;
	int64_t prev_now_ms; /* the audit before this one; 0 = none */
	struct rec_entry *e;
	size_t n, cap;
	size_t *slot; /* index + 1, 0 = empty */
	size_t nslot; /* power of two */
	struct rec_finding *resolved;
	size_t nresolved;
	size_t nopen;
};

struct rec_memory *rec_memory_new(void)
{
	return xcalloc(1, sizeof(struct rec_memory));
}

void rec_memory_free(struct rec_memory *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].f);
	free(m->e);
	free(m->slot);
	free(m->resolved);
	free(m);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void rehash(struct rec_memory *m, size_t want)
{
	size_t ns = 64;
	while (ns < want * 2)
		ns <<= 1;
	free(m->slot);
	m->slot = xcalloc(ns, sizeof *m->slot);
	m->nslot = ns;
	for (size_t i = 0; i < m->n; i++) {
		size_t h = hash(m->e[i].key) & (ns - 1);
		while (m->slot[h])
			h = (h + 1) & (ns - 1);
		m->slot[h] = i + 1;
	}
}

/* Finds key; with create, appends a zeroed entry when missing. */
static struct rec_entry *lookup(struct rec_memory *m, const char *key, bool create, bool *created)
{
	if (m->nslot == 0 || (m->n + 1) * 2 > m->nslot)
		rehash(m, m->n + 1);
	size_t h = hash(key) & (m->nslot - 1);
	while (m->slot[h]) {
		struct rec_entry *e = &m->e[m->slot[h] - 1];
		if (strcmp(e->key, key) == 0) {
			if (created)
				*created = false;
			return e;
		}
		h = (h + 1) & (m->nslot - 1);
	}
	if (!create)
		return NULL;
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->e = xrealloc(m->e, m->cap * sizeof *m->e);
	}
	struct rec_entry *e = &m->e[m->n];
	memset(e, 0, sizeof *e);
	size_t kl = strlen(key);
	if (kl >= sizeof e->key)
		kl = sizeof e->key - 1;
	memcpy(e->key, key, kl);
	m->slot[h] = ++m->n;
	if (created)
		*created = true;
	return e;
}

void rec_mem_begin(struct rec_memory *m, int64_t now_ms)
{
	m->gen++;
	m->prev_now_ms = m->now_ms;
	m->now_ms = now_ms;
	free(m->resolved);
	m->resolved = NULL;
	m->nresolved = 0;
}

int64_t rec_mem_cond(struct rec_memory *m, const char *key, const char *symbol, char kind, int64_t first_hint,
		     bool *was_created)
{
	bool created;
	struct rec_entry *e = lookup(m, key, true, &created);
	if (was_created)
		*was_created = created;
	if (created) {
		e->kind = kind;
		snprintf(e->symbol, sizeof e->symbol, "%s", symbol ? symbol : "");
		e->first_ms = (first_hint > 0 && first_hint < m->now_ms) ? first_hint : m->now_ms;
	}
	e->last_ms = m->now_ms;
	e->gen = m->gen;
	return e->first_ms;
}

bool rec_mem_peek(struct rec_memory *m, const char *key, int64_t *first_ms, int64_t *last_ms)
{
	struct rec_entry *e = lookup(m, key, false, NULL);
	if (!e)
		return false;
	if (first_ms)
		*first_ms = e->first_ms;
	if (last_ms)
		*last_ms = e->last_ms;
	return true;
}

void rec_mem_restart(struct rec_memory *m, const char *key, int64_t first_ms)
{
	struct rec_entry *e = lookup(m, key, false, NULL);
	if (e)
		e->first_ms = (first_ms > 0 && first_ms < m->now_ms) ? first_ms : m->now_ms;
}

int64_t rec_mem_prev_audit(const struct rec_memory *m)
{
	return m->prev_now_ms;
}

void rec_mem_finding(struct rec_memory *m, struct rec_finding *f)
{
	char k[sizeof f->key + 2];
	snprintf(k, sizeof k, "f|%s", f->key);
	bool created;
	struct rec_entry *e = lookup(m, k, true, &created);
	if (created) {
		e->kind = REC_COND_FINDING;
		snprintf(e->symbol, sizeof e->symbol, "%s", f->symbol);
		e->first_ms = m->now_ms;
		e->f = xmalloc(sizeof *e->f);
	}
	e->last_ms = m->now_ms;
	e->gen = m->gen;
	e->seeded = false;
	f->first_seen_ms = e->first_ms;
	f->last_seen_ms = m->now_ms;
	*e->f = *f;
}

bool rec_mem_seeded(struct rec_memory *m, const char *finding_key, int64_t *first_ms)
{
	char k[REC_KEY_MAX + 2];
	snprintf(k, sizeof k, "f|%s", finding_key);
	struct rec_entry *e = lookup(m, k, false, NULL);
	if (!e || !e->seeded)
		return false;
	*first_ms = e->first_ms;
	return true;
}

void rec_memory_seed(struct rec_memory *m, const struct rec_finding *f)
{
	if (!m || !f || !f->key[0] || f->first_seen_ms <= 0)
		return;
	char k[sizeof f->key + 2];
	snprintf(k, sizeof k, "f|%s", f->key);
	bool created;
	struct rec_entry *e = lookup(m, k, true, &created);
	if (!created)
		return; /* what this memory saw itself wins */
	e->kind = REC_COND_FINDING;
	snprintf(e->symbol, sizeof e->symbol, "%s", f->symbol);
	e->first_ms = e->last_ms = f->first_seen_ms;
	e->gen = m->gen; /* untouched by the next audit: seen again or evaluated */
	e->seeded = true;
	e->f = xmalloc(sizeof *e->f);
	*e->f = *f;
	m->nopen++;
}

/* The kinds a stored condition may have (rec_int.h), findings excluded. */
static bool cond_kind_ok(char kind)
{
	return kind && strchr("PLOFMTDURW", kind) != NULL;
}

void rec_memory_seed_cond(struct rec_memory *m, const char *key, const char *symbol, char kind, int64_t first_ms)
{
	if (!m || !key || !key[0] || !cond_kind_ok(kind) || first_ms <= 0 || strlen(key) >= REC_KEY_MAX + 8)
		return;
	bool created;
	struct rec_entry *e = lookup(m, key, true, &created);
	if (!created)
		return;
	e->kind = kind;
	snprintf(e->symbol, sizeof e->symbol, "%s", symbol ? symbol : "");
	e->first_ms = e->last_ms = first_ms;
	e->gen = m->gen;
}

void rec_memory_conds(const struct rec_memory *m, rec_cond_fn fn, void *ctx)
{
	for (size_t i = 0; m && i < m->n; i++)
		if (m->e[i].kind != REC_COND_FINDING)
			fn(ctx, m->e[i].key, m->e[i].symbol, m->e[i].kind, m->e[i].first_ms);
}

void rec_mem_end(struct rec_memory *m, rec_eval_fn fn, void *ctx)
{
	size_t w = 0, nres = 0, nopen = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].gen != m->gen && m->e[i].kind == REC_COND_FINDING &&
		    fn(ctx, REC_COND_FINDING, m->e[i].f->code, m->e[i].symbol))
			nres++;
	if (nres)
		m->resolved = xcalloc(nres, sizeof *m->resolved);
	for (size_t i = 0; i < m->n; i++) {
		struct rec_entry *e = &m->e[i];
		if (e->gen != m->gen) {
			enum rec_code code = e->kind == REC_COND_FINDING ? e->f->code : REC_CODE_COUNT;
			if (fn(ctx, e->kind, code, e->symbol)) {
				if (e->kind == REC_COND_FINDING) {
					m->resolved[m->nresolved++] = *e->f;
					free(e->f);
				}
				continue; /* gone: drop */
			}
		}
		if (e->kind == REC_COND_FINDING)
			nopen++;
		if (w != i)
			m->e[w] = *e;
		w++;
	}
	m->n = w;
	m->nopen = nopen;
	rehash(m, m->n);
}

void rec_mem_carry(const struct rec_memory *m, struct rec_finding **out, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct rec_entry *e = &m->e[i];
		if (e->kind != REC_COND_FINDING || e->gen == m->gen)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*out = xrealloc(*out, *cap * sizeof **out);
		}
		(*out)[(*n)++] = *e->f;
	}
}

int rec_lifecycle(const struct rec_memory *m, struct rec_finding **out, size_t *n)
{
	if (!m || !out || !n)
		return -1;
	*out = NULL;
	*n = m->nresolved;
	if (m->nresolved) {
		*out = xmalloc(m->nresolved * sizeof **out);
		memcpy(*out, m->resolved, m->nresolved * sizeof **out);
	}
	return 0;
}

size_t rec_memory_open_count(const struct rec_memory *m)
{
	return m ? m->nopen : 0;
}
