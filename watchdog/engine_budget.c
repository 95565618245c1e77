/* The request budget shared with the bot (issue 15; exchanges/xch_budget.h
 * does the counting): the account's settings, the pace of its audits and
 * what the operator sees (RATE_LIMITED, metrics). */
#include "watchdog/engine.h"

#include <stdio.h>
#include <string.h>

#include "reconcile/policy.h"
#include "base/clock_now.h"
#include "watchdog/metrics.h"

void wd_budget_config(const struct wd_account *a, struct xch_config *xc)
{
	snprintf(xc->egress, sizeof xc->egress, "%s", a->egress);
	xch_budget_cfg_default(xc->exchange, &xc->budget);
	if (a->request_limit > 0)
		xc->budget.limit = a->request_limit;
	if (a->request_share > 0)
		xc->budget.share = a->request_share / 100.0;
	xc->budget.ceiling = a->request_ceiling;
}

/* What one full listing costs in the budget's unit: Binance weight
 * positionRisk 5 + openOrders 40 + openAlgoOrders 40 (no symbol), Bybit
 * one request per endpoint and settle coin (USDT, USDC). */
static int listing_cost(const struct xch *x)
{
	if (x->cfg.exchange == REC_EX_BINANCE)
		return 85;
	size_t coins = x->cfg.nsettle ? x->cfg.nsettle : 2;
	return (int)(2 * coins);
}

/* ... and the listing of one symbol: Binance positionRisk 5 + openOrders
 * 1 + openAlgoOrders 1 with symbol=, Bybit one request per endpoint. */
static int symbol_cost(const struct xch *x)
{
	return x->cfg.exchange == REC_EX_BINANCE ? 7 : 2;
}

/* The audits' part of the budget (share, ceiling, less the repairs'
 * reserve) is split: full audits every audit_interval take at most
 * FULL_PART of it, and targeted checks of the symbols that moved get
 * what is left. Accounts on the same budget split it evenly. */
#define FULL_PART 0.75
void wd_budget_pace(const struct wd_engine *e, size_t i, int64_t *full_gap_ms, int64_t *sym_gap_ms)
{
	const struct wd_acct_rt *r = &e->acct[i];
	*full_gap_ms = *sym_gap_ms = 0;
	if (!r->x || !r->x->budget)
		return;
	struct xch_config xc;
	memset(&xc, 0, sizeof xc);
	xc.exchange = r->x->cfg.exchange;
	wd_budget_config(&r->cfg, &xc);
	double cap = xc.budget.share * xc.budget.limit;
	if (xc.budget.ceiling > 0 && cap > xc.budget.ceiling)
		cap = xc.budget.ceiling;
	size_t sharing = 0;
	for (size_t j = 0; j < e->n; j++)
		if (e->acct[j].x && e->acct[j].x->budget == r->x->budget)
			sharing++;
	double window = (double)xc.budget.window_ms;
	double audits = cap * (1 - xc.budget.repair_reserve) / (double)(sharing ? sharing : 1);
	if (audits <= 0) {
		*full_gap_ms = *sym_gap_ms = xc.budget.window_ms;
		return;
	}
	double full_gap = (double)listing_cost(r->x) * window / (audits * FULL_PART);
	if (full_gap < (double)e->conf->audit_interval_ms)
		full_gap = (double)e->conf->audit_interval_ms;
	double left = audits - (double)listing_cost(r->x) * window / full_gap;
	*full_gap_ms = (int64_t)full_gap;
	*sym_gap_ms = (int64_t)((double)symbol_cost(r->x) * window / left);
}

void wd_budget_audit(struct wd_acct_rt *r, struct wd_audit *a)
{
	if (!r->x || !r->x->budget)
		return;
	int64_t now = wd_wall_ms();
	struct xch_budget_state st;
	xch_budget_state(r->x->budget, now, &st);
	char lbl[160];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_set("vigil_budget_used", lbl, st.own);
	wd_metric_set("vigil_budget_limit", lbl, st.limit);
	/* unknown (-1) until the exchange reported its count: absent, never a sentinel */
	if (st.reported >= 0)
		wd_metric_set("vigil_budget_exchange_used", lbl, st.reported);
	else
		wd_metric_unset("vigil_budget_exchange_used", lbl);
	wd_metric_set("vigil_budget_stopped", lbl, st.stopped_until > now ? 1 : 0);
	wd_metric_set("vigil_budget_held_total", lbl, (double)st.denied);
	wd_metric_set("vigil_budget_rate_limited_total", lbl, (double)st.limited);
	if (st.stopped_until <= now)
		return;
	struct rec_finding about, f;
	memset(&about, 0, sizeof about);
	snprintf(about.account, sizeof about.account, "%s", r->cfg.name);
	about.exchange = r->x->cfg.exchange;
	rec_raise(&f, &about, REC_RATE_LIMITED, now,
		  "%s: every request of this IP (audits, stream upkeep, repairs) is held back for %lld s more; %llu "
		  "held so far",
		  st.banned ? "the exchange banned the IP (418)" : "the exchange rate-limited the IP",
		  (long long)((st.stopped_until - now + 999) / 1000), (unsigned long long)st.denied);
	if (st.banned)
		f.severity = REC_SEV_CRITICAL;
	wd_audit_add_finding(a, &f);
}
