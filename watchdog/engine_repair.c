/* DESIGN: the engine's repair side. Policy (reconcile/policy.h) turns an
 * audit's findings into a plan for the account's mode; the repair engine
 * (reconcile/repair.h) journals each intent, sends it, verifies it from
 * several sources and journals the outcome. One rec_engine per account
 * lives as long as the account, so its journal recovery, attempt counters
 * and "already crossed" memory span audits. Manual `vigil repair`
 * commands call the same per-step functions, so they get the same
 * journal and verification. Only the holder of the account's HA lock
 * sends anything; the others plan and report. */
#include "watchdog/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/policy.h"
#include "reconcile/repair.h"
#include "base/log.h"
#include "watchdog/metrics.h"
#include "base/xalloc.h"

struct wd_repair {
	struct rec_clock clk;
	struct rec_engine eng;
};

void wd_repair_init(struct wd_engine *e, size_t i)
{
	struct wd_acct_rt *r = &e->acct[i];
	if (r->rep)
		return;
	r->rep = xcalloc(1, sizeof *r->rep);
	r->rep->clk = rec_clock_real();
	rec_engine_init(&r->rep->eng, r->x, &r->policy, e->journal, &r->rep->clk);
	r->rep->eng.ctx.params = r->params; /* the classifier's source rules */
	r->rep->eng.dry_run = e->opts.dry_run;
}

struct rec_engine *wd_repair_engine(struct wd_engine *e, size_t i)
{
	wd_repair_init(e, i);
	return &e->acct[i].rep->eng;
}

void wd_repair_free(struct wd_acct_rt *r)
{
	if (!r->rep)
		return;
	rec_engine_free(&r->rep->eng);
	free(r->rep);
	r->rep = NULL;
}

void wd_repair_set_journal(struct wd_engine *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->acct[i].rep)
			e->acct[i].rep->eng.j = e->journal;
}

static void add_action(struct wd_audit *a, const struct rec_result *res)
{
	a->actions = xrealloc(a->actions, (a->nactions + 1) * sizeof *a->actions);
	struct rec_action *ac = &a->actions[a->nactions++];
	*ac = res->a;
	if (res->detail[0])
		snprintf(ac->outcome_detail, sizeof ac->outcome_detail, "%s", res->detail);
}

void wd_audit_add_finding(struct wd_audit *a, const struct rec_finding *f)
{
	for (size_t k = 0; k < a->nfindings; k++)
		if (strcmp(a->findings[k].key, f->key) == 0)
			return;
	a->findings = xrealloc(a->findings, (a->nfindings + 1) * sizeof *a->findings);
	a->findings[a->nfindings++] = *f;
}

static void merge_report(struct wd_audit *a, const struct rec_report *rep)
{
	for (size_t k = 0; k < rep->n; k++)
		if (rep->res[k].a.kind != REC_ACT_ALERT_ONLY)
			add_action(a, &rep->res[k]);
	for (size_t k = 0; k < rep->nfind; k++)
		wd_audit_add_finding(a, &rep->findings[k]);
}

static void log_report(const struct wd_acct_rt *r, const struct rec_report *rep)
{
	for (size_t k = 0; k < rep->n; k++) {
		const struct rec_result *res = &rep->res[k];
		if (res->a.kind == REC_ACT_ALERT_ONLY)
			continue;
		log_info("repair",
			 "account=%s %s%s symbol=%s side=%s qty=%g trigger=%g client_id=%s outcome=%s detail=%s",
			 r->cfg.name, res->recovered ? "recovered " : "", rec_action_kind_name(res->a.kind),
			 res->a.symbol, rec_oside_name(res->a.order_side), res->a.qty, res->a.trigger_price,
			 res->a.client_id, rec_outcome_name(res->a.outcome), res->detail);
	}
}

/* 1 while the account's journal can be listed (0: nothing is sent). */
static void journal_metric(const struct wd_acct_rt *r)
{
	char lbl[128];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_set("vigil_journal_readable", lbl, r->rep->eng.journal_unreadable ? 0 : 1);
}

/* Until the journal could be listed, every audit tries again (recovery
 * comes before anything is sent), and the account is reported meanwhile. */
static void journal_check(struct wd_engine *e, size_t i, struct wd_audit *a)
{
	struct wd_acct_rt *r = &e->acct[i];
	if (!e->journal || e->opts.dry_run)
		return;
	wd_repair_init(e, i);
	if (!r->rep->eng.recovered) {
		struct rec_report rep;
		memset(&rep, 0, sizeof rep);
		rec_engine_recover(&r->rep->eng, &rep);
		log_report(r, &rep);
		merge_report(a, &rep);
		rec_report_free(&rep);
	}
	journal_metric(r);
	if (!r->rep->eng.journal_unreadable)
		return;
	struct rec_finding f;
	rec_engine_journal_finding(&r->rep->eng, &f);
	wd_audit_add_finding(a, &f);
}

static bool in_scope(const struct wd_scope *sc, const char *symbol)
{
	if (!symbol[0])
		return true;
	for (size_t k = 0; k < sc->n; k++)
		if (strcmp(sc->sym[k], symbol) == 0)
			return true;
	return false;
}

void wd_engine_repair(struct wd_engine *e, size_t i, struct wd_audit *a)
{
	struct wd_acct_rt *r = &e->acct[i];
	journal_check(e, i, a);
	if (a->nfindings == 0 || !e->journal)
		return;
	wd_repair_init(e, i);
	const char *sym = NULL;
	for (size_t k = 0; k < a->nfindings && !sym; k++)
		if (a->findings[k].symbol[0])
			sym = a->findings[k].symbol;
	if (sym)
		rec_engine_instrument(&r->rep->eng, sym); /* loads the tick/step table once */
	/* a targeted check acts on its own symbols' findings (and the
	 * account's): the ones it carried were planned when they were seen */
	struct rec_finding *fv = a->findings;
	size_t nf = a->nfindings;
	if (a->scope.n) {
		fv = xcalloc(a->nfindings, sizeof *fv);
		nf = 0;
		for (size_t k = 0; k < a->nfindings; k++)
			if (in_scope(&a->scope, a->findings[k].symbol))
				fv[nf++] = a->findings[k];
	}
	struct rec_plan plan;
	memset(&plan, 0, sizeof plan);
	rec_plan_build(&r->policy, fv, nf, r->rep->eng.ins, r->rep->eng.nins, wd_wall_ms(), &plan);
	if (fv != a->findings)
		free(fv);
	for (size_t k = 0; k < plan.nraised; k++)
		wd_audit_add_finding(a, &plan.raised[k]);
	bool sends = false;
	for (size_t k = 0; k < plan.n; k++)
		if (plan.steps[k].a.kind != REC_ACT_ALERT_ONLY)
			sends = true;
	if (sends && !r->repair_lock) {
		if (r->cfg.mode != REC_MODE_OBSERVE)
			log_info("repair", "account=%s %zu planned action%s not carried out: %s", r->cfg.name, plan.n,
				 plan.n == 1 ? "" : "s", wd_store_lock_refusal(e, i));
		rec_plan_free(&plan);
		return;
	}
	if (sends) {
		struct rec_report rep;
		memset(&rep, 0, sizeof rep);
		rec_engine_run(&r->rep->eng, &plan, &rep);
		journal_metric(r);
		log_report(r, &rep);
		merge_report(a, &rep);
		rec_report_free(&rep);
	}
	rec_plan_free(&plan);
}

static int manual(struct wd_engine *e, size_t i, const struct rec_step *s, struct wd_audit *a, char *detail,
		  size_t dlen)
{
	struct wd_acct_rt *r = &e->acct[i];
	wd_repair_init(e, i);
	r->repair_lock = wd_store_repair_lock(e, i);
	if (!r->repair_lock && !e->opts.dry_run) {
		snprintf(detail, dlen, "%s: %s", r->cfg.name, wd_store_lock_refusal(e, i));
		return -1;
	}
	struct rec_report rep;
	memset(&rep, 0, sizeof rep);
	if (!e->opts.dry_run && !r->rep->eng.recovered && rec_engine_recover(&r->rep->eng, &rep) < 0) {
		snprintf(detail, dlen, "%s: the journal cannot be read (unfinished actions unknown); nothing sent",
			 r->cfg.name);
		journal_metric(r);
		rec_report_free(&rep);
		return -1;
	}
	if (rec_engine_blocked(&r->rep->eng, s->a.symbol)) {
		snprintf(detail, dlen, "an unfinished earlier action on %s could not be resolved; nothing sent",
			 s->a.symbol);
		merge_report(a, &rep);
		rec_report_free(&rep);
		return -1;
	}
	enum rec_outcome o;
	switch (s->a.kind) {
	case REC_ACT_PLACE_STOP: o = rec_repair_stop(&r->rep->eng, s, &rep); break;
	case REC_ACT_CLOSE_POSITION: o = rec_repair_close(&r->rep->eng, s, &rep); break;
	case REC_ACT_CANCEL_ORDER: o = rec_repair_cancel(&r->rep->eng, s, &rep); break;
	default:
		snprintf(detail, dlen, "nothing to send");
		rec_report_free(&rep);
		return -1;
	}
	log_report(r, &rep);
	detail[0] = '\0';
	for (size_t k = 0; k < rep.n; k++)
		if (!rep.res[k].recovered)
			snprintf(detail, dlen, "%s", rep.res[k].detail);
	merge_report(a, &rep);
	rec_report_free(&rep);
	return o == REC_OUT_DONE ? 0 : o == REC_OUT_SKIPPED ? 2 : 1;
}

/* A manual step, in the repair slice of the request budget. */
int wd_engine_manual(struct wd_engine *e, size_t i, const struct rec_step *s, struct wd_audit *a, char *detail,
		     size_t dlen)
{
	struct xch *x = e->acct[i].x;
	xch_set_prio(x, XCH_PRIO_REPAIR);
	int rc = manual(e, i, s, a, detail, dlen);
	xch_set_prio(x, XCH_PRIO_AUDIT);
	return rc;
}

void wd_engine_recover(struct wd_engine *e, size_t i)
{
	struct wd_acct_rt *r = &e->acct[i];
	if (!e->journal || e->opts.dry_run)
		return;
	wd_repair_init(e, i);
	struct rec_report rep;
	memset(&rep, 0, sizeof rep);
	int left = rec_engine_recover(&r->rep->eng, &rep);
	journal_metric(r);
	log_report(r, &rep);
	if (left > 0)
		log_warn("repair",
			 "account=%s %d unfinished action%s from an earlier run could not be resolved; "
			 "their symbols get nothing new until they are",
			 r->cfg.name, left, left == 1 ? "" : "s");
	rec_report_free(&rep);
}
