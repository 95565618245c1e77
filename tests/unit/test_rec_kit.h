/* Shared builders for the reconcile unit suites (test_rec_*.c): a small
 * account whose stream, REST, orders and bot rows a test sets up, then
 * classifies at a given time. Header-only; every suite includes it. */
#ifndef TEST_REC_KIT_H
#define TEST_REC_KIT_H
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/rules.h"
#include "tests/support/testutil.h"
#include "reconcile/reconcile.h"
#include "base/xalloc.h"

#define KIT_MAX 256

struct kit {
	struct rec_stream_cache *sc;
	bool stream_live; /* refresh last_msg_ms at each run */
	struct rec_position rest[KIT_MAX];
	size_t nrest;
	struct rec_order ord[KIT_MAX];
	size_t nord;
	struct rec_bot_row bot[KIT_MAX];
	size_t nbot;
	struct rec_snapshot s;
	struct rec_params p;
	struct rec_memory *m;
	struct rec_finding *f;
	size_t nf;
	int next_id;
};

static inline struct kit *kit_new(enum rec_exchange ex)
{
	struct kit *k = xcalloc(1, sizeof *k);
	k->sc = xcalloc(1, sizeof *k->sc);
	k->sc->state = REC_SS_UP;
	k->stream_live = true;
	k->m = rec_memory_new();
	rec_params_default(&k->p);
	snprintf(k->p.bot_exchange, sizeof k->p.bot_exchange, "%s", rec_exchange_name(ex));
	snprintf(k->s.account, sizeof k->s.account, "main");
	k->s.exchange = ex;
	k->s.stream = k->sc;
	k->s.rest_pos_ok = k->s.orders_ok = k->s.bot_ok = true;
	return k;
}

static inline void kit_free(struct kit *k)
{
	free(k->f);
	rec_memory_free(k->m);
	free(k->sc);
	free(k);
}

static inline struct rec_position kit_pos(const char *sym, enum rec_side side, double size, int64_t t)
{
	struct rec_position p;
	memset(&p, 0, sizeof p);
	snprintf(p.symbol, sizeof p.symbol, "%s", sym);
	p.side = size > 0 ? side : REC_SIDE_UNKNOWN;
	p.size = size;
	p.entry_price = 1.0;
	p.mark_price = 1.01;
	p.update_ms = t;
	p.seen_ms = t;
	return p;
}

/* A stream position update received at t (vigil clock = exchange clock). */
static inline int kit_stream(struct kit *k, const char *sym, enum rec_side side, double size, int64_t t)
{
	struct rec_position p = kit_pos(sym, side, size, t);
	return rec_stream_apply_position(k->sc, &p);
}

/* REST positions: replaces the symbol's entry (size 0 removes it). */
static inline void kit_rest(struct kit *k, const char *sym, enum rec_side side, double size)
{
	for (size_t i = 0; i < k->nrest; i++)
		if (strcmp(k->rest[i].symbol, sym) == 0) {
			k->rest[i] = k->rest[--k->nrest];
			break;
		}
	if (size > 0)
		k->rest[k->nrest++] = kit_pos(sym, side, size, 0);
}

static inline struct rec_order *kit_order(struct kit *k, const char *sym, enum rec_oside side, double qty)
{
	struct rec_order *o = &k->ord[k->nord++];
	memset(o, 0, sizeof *o);
	snprintf(o->id, sizeof o->id, "%d", 1000 + k->next_id++);
	snprintf(o->symbol, sizeof o->symbol, "%s", sym);
	snprintf(o->type, sizeof o->type, "STOP_MARKET");
	o->side = side;
	o->qty = qty;
	o->status = REC_OST_NEW;
	o->sources = REC_SRC_REST;
	return o;
}

/* A reduce-only stop-loss (qty 0 + close_position when qty <= 0). */
static inline struct rec_order *kit_stop(struct kit *k, const char *sym, enum rec_oside side, double qty)
{
	struct rec_order *o = kit_order(k, sym, side, qty > 0 ? qty : 0);
	o->conditional = true;
	o->kind = REC_OK_STOP_LOSS;
	o->reduce_only = true;
	o->close_position = qty <= 0;
	/* Binance STOP_MARKET: SELL fires on a fall below the mark (1.01),
	 * BUY on a rise above it */
	o->trigger_price = side == REC_BUY ? 1.1 : 0.9;
	o->trigger_dir = side == REC_BUY ? REC_TRIG_RISE : REC_TRIG_FALL;
	o->is_algo = k->s.exchange == REC_EX_BINANCE;
	return o;
}

static inline void kit_drop_orders(struct kit *k)
{
	k->nord = 0;
}

static inline struct rec_bot_row *kit_bot(struct kit *k, const char *sym, enum rec_side side, double qty,
					  const char *status)
{
	struct rec_bot_row *r = &k->bot[k->nbot++];
	memset(r, 0, sizeof *r);
	snprintf(r->symbol, sizeof r->symbol, "%s", sym);
	snprintf(r->exchange, sizeof r->exchange, "%s", rec_exchange_name(k->s.exchange));
	r->side = side;
	r->qty = qty;
	snprintf(r->status, sizeof r->status, "%s", status);
	return r;
}

static inline void kit_bot_status(struct kit *k, const char *sym, const char *status)
{
	for (size_t i = 0; i < k->nbot; i++)
		if (strcmp(k->bot[i].symbol, sym) == 0)
			snprintf(k->bot[i].status, sizeof k->bot[i].status, "%s", status);
}

static inline size_t kit_run(struct kit *k, int64_t now)
{
	free(k->f);
	k->f = NULL;
	k->nf = 0;
	if (k->stream_live)
		k->sc->last_msg_ms = now;
	k->s.now_ms = now;
	k->s.rest_fetched_ms = now;
	k->s.rest_pos = k->rest;
	k->s.nrest_pos = k->nrest;
	k->s.orders = k->ord;
	k->s.norders = k->nord;
	k->s.bot = k->bot;
	k->s.nbot = k->nbot;
	CU_ASSERT_EQUAL(rec_classify(&k->s, &k->p, k->m, &k->f, &k->nf), 0);
	return k->nf;
}

static inline const struct rec_finding *kit_find(const struct kit *k, enum rec_code code, const char *sym)
{
	for (size_t i = 0; i < k->nf; i++)
		if (k->f[i].code == code && (!sym || strcmp(k->f[i].symbol, sym) == 0))
			return &k->f[i];
	return NULL;
}

static inline size_t kit_count(const struct kit *k, enum rec_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < k->nf; i++)
		n += k->f[i].code == code;
	return n;
}

/* Prints the findings (on failure diagnosis with VIGIL_TEST_VERBOSE). */
static inline void kit_dump(const struct kit *k)
{
	if (!getenv("VIGIL_TEST_VERBOSE"))
		return;
	for (size_t i = 0; i < k->nf; i++)
		fprintf(stderr, "  %s %s rep=%d pos=%s %.10g | %s\n", k->f[i].key, rec_severity_name(k->f[i].severity),
			k->f[i].repairable, rec_side_name(k->f[i].pos_side), k->f[i].pos_size, k->f[i].detail);
	for (size_t i = 0; i < k->nord; i++) {
		const struct rec_order *o = &k->ord[i];
		fprintf(stderr,
			"  order %s %s %s kind=%d cond=%d ro=%d cp=%d att=%d st=%d pidx=%d trig=%g dir=%d qty=%g\n",
			o->id, o->symbol, rec_oside_name(o->side), (int)o->kind, o->conditional, o->reduce_only,
			o->close_position, o->position_attached, (int)o->status, (int)o->pidx, o->trigger_price,
			(int)o->trigger_dir, o->qty);
	}
}

#endif
