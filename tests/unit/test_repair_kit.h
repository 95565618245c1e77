/* Shared setup for the repair engine suites (test_repair_*.c, test_policy_*,
 * test_fake_*): a fake exchange on a fake clock, an in-memory journal, an
 * account policy with a mode, and assertions on the fake's call log. Header-only. */
#ifndef TEST_REPAIR_KIT_H
#define TEST_REPAIR_KIT_H
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/fake.h"
#include "reconcile/journal_mem.h"
#include "reconcile/policy.h"
#include "reconcile/repair.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

#define RK_T0 1700000000000LL

struct rk {
	struct rec_fake_clock fc;
	struct rec_clock clk;
	struct xch *x;
	struct rec_journal *j;
	struct rec_policy pol;
	struct rec_engine e;
	struct rec_plan plan;
	struct rec_report rep;
};

static inline int64_t rk_now_cb(void *ud)
{
	return ((struct rec_fake_clock *)ud)->now;
}

static inline struct rk *rk_new(enum rec_mode mode)
{
	struct rk *k = xcalloc(1, sizeof *k);
	k->fc.now = RK_T0;
	k->clk = rec_clock_fake(&k->fc);
	k->x = fake_new(REC_EX_BINANCE, "main", &k->clk);
	k->j = rec_journal_mem_new(rk_now_cb, &k->fc);
	rec_policy_default(&k->pol);
	snprintf(k->pol.account, sizeof k->pol.account, "main");
	k->pol.mode = mode;
	k->pol.orphan_action = REC_ORPHAN_CLOSE;
	k->pol.stop_loss_percent = 2.0;
	k->pol.stop_ref = REC_STOPREF_ENTRY;
	fake_set_instrument(k->x, "SKLUSDT", 0.00001, 1);
	fake_set_instrument(k->x, "AVLUSDT", 0.0001, 1);
	fake_set_instrument(k->x, "KAVAUSDT", 0.0001, 0.1);
	fake_set_instrument(k->x, "BASUSDT", 0.00001, 1);
	fake_set_instrument(k->x, "BTCUSDT", 0.1, 0.001);
	rec_engine_init(&k->e, k->x, &k->pol, k->j, &k->clk);
	return k;
}

/* A second engine on the same exchange and journal: a restarted process. */
static inline void rk_restart(struct rk *k)
{
	rec_engine_free(&k->e);
	rec_engine_init(&k->e, k->x, &k->pol, k->j, &k->clk);
}

static inline void rk_free(struct rk *k)
{
	rec_engine_free(&k->e);
	rec_plan_free(&k->plan);
	rec_report_free(&k->rep);
	k->j->ops->destroy(k->j);
	xch_free(k->x);
	free(k);
}

static inline struct rec_finding rk_find(enum rec_code code, const char *sym, enum rec_side side, double size,
					 double entry, double mark)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "main");
	f.exchange = REC_EX_BINANCE;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	f.pos_side = side;
	f.pos_size = size;
	f.entry_price = entry;
	f.mark_price = mark;
	f.repairable = true;
	f.first_seen_ms = RK_T0 - 60000;
	f.last_seen_ms = RK_T0;
	f.stream.present = size > 0;
	f.stream.side = side;
	f.stream.size = size;
	rec_finding_make_key(&f);
	return f;
}

/* Plans the findings (instruments from the fake) and runs the plan. */
static inline int rk_run(struct rk *k, const struct rec_finding *f, size_t n)
{
	struct xch_instrument *ins = NULL;
	size_t nins = 0;
	struct xch_err err;
	k->x->ops->instruments(k->x, &ins, &nins, &err);
	rec_plan_free(&k->plan);
	rec_plan_build(&k->pol, f, n, ins, nins, rec_now(&k->clk), &k->plan);
	free(ins);
	return rec_engine_run(&k->e, &k->plan, &k->rep);
}

static inline size_t rk_calls(struct rk *k, const char *op, const char *sym)
{
	return fake_count_calls(k->x, op, sym);
}

/* Every close / stop sent for sym had order side want (never a wrong side). */
static inline bool rk_sides_all(struct rk *k, const char *sym, enum rec_oside want)
{
	size_t n;
	const struct fake_call *c = fake_calls(k->x, &n);
	for (size_t i = 0; i < n; i++)
		if ((!strcmp(c[i].op, "close") || !strcmp(c[i].op, "stop")) && !strcmp(c[i].symbol, sym) &&
		    c[i].side != want)
			return false;
	return true;
}

/* The last logged call of op (NULL if none). */
static inline const struct fake_call *rk_last(struct rk *k, const char *op)
{
	size_t n;
	const struct fake_call *c = fake_calls(k->x, &n);
	for (size_t i = n; i-- > 0;)
		if (!strcmp(c[i].op, op))
			return &c[i];
	return NULL;
}

static inline size_t rk_findings(struct rk *k, enum rec_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < k->rep.nfind; i++)
		if (k->rep.findings[i].code == code)
			n++;
	return n;
}

/* The last result of a kind (NULL if none). */
static inline const struct rec_result *rk_result(struct rk *k, enum rec_action_kind kind)
{
	for (size_t i = k->rep.n; i-- > 0;)
		if (k->rep.res[i].a.kind == kind)
			return &k->rep.res[i];
	return NULL;
}

static inline size_t rk_sends(struct rk *k)
{
	return rk_calls(k, "close", NULL) + rk_calls(k, "stop", NULL) + rk_calls(k, "cancel", NULL);
}

#endif
