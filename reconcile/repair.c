/* The repair engine's frame (repair.h): reports, journal bracketing,
 * attempts, instruments, the plan runner and the cancel action. The stop,
 * close and recovery paths live in repair_stop.c, repair_close.c and
 * repair_recover.c. */
#include "reconcile/repair.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xalloc.h"

void rec_engine_init(struct rec_engine *e, struct xch *x, const struct rec_policy *pol, struct rec_journal *j,
		     const struct rec_clock *clk)
{
	memset(e, 0, sizeof *e);
	rec_ctx_init(&e->ctx, x, clk);
	e->pol = pol;
	e->j = j;
}

void rec_engine_free(struct rec_engine *e)
{
	rec_ctx_free(&e->ctx);
	free(e->ins);
	e->ins = NULL;
}

void rec_engine_live_add(struct rec_engine *e, const struct rec_action *a)
{
	size_t i = 0;
	while (i < e->nlive && strcmp(e->live[i].id, a->order_id) != 0)
		i++;
	if (i == e->nlive) {
		if (e->nlive == REC_ENGINE_MAX_LIVE)
			rec_engine_live_drop(e, 0);
		i = e->nlive++;
	}
	struct rec_live_stop *l = &e->live[i];
	memset(l, 0, sizeof *l);
	snprintf(l->symbol, sizeof l->symbol, "%s", a->symbol);
	l->pidx = a->pidx;
	l->side = a->order_side != REC_OSIDE_UNKNOWN ? a->order_side : rec_closing_side(a->position_side);
	snprintf(l->id, sizeof l->id, "%s", a->order_id);
	snprintf(l->client_id, sizeof l->client_id, "%s", a->client_id);
	l->is_algo = a->order_is_algo;
	l->qty = a->close_position ? 0 : a->qty;
	l->close_position = a->close_position;
}

void rec_engine_live_drop(struct rec_engine *e, size_t i)
{
	if (i >= e->nlive)
		return;
	memmove(&e->live[i], &e->live[i + 1], (e->nlive - i - 1) * sizeof e->live[0]);
	e->nlive--;
}

void rec_report_free(struct rec_report *r)
{
	free(r->res);
	free(r->findings);
	memset(r, 0, sizeof *r);
}

struct rec_result *rec_report_add(struct rec_report *r, const struct rec_action *a)
{
	r->res = xrealloc(r->res, (r->n + 1) * sizeof *r->res);
	struct rec_result *x = &r->res[r->n++];
	memset(x, 0, sizeof *x);
	x->a = *a;
	return x;
}

void rec_report_raise(struct rec_engine *e, struct rec_report *r, const struct rec_step *s, enum rec_code code,
		      const char *fmt, ...)
{
	char buf[REC_DETAIL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	r->findings = xrealloc(r->findings, (r->nfind + 1) * sizeof *r->findings);
	struct rec_finding *f = &r->findings[r->nfind++];
	rec_raise(f, &s->f, code, rec_now(e->ctx.clk), "%s", buf);
	if (!f->account[0])
		snprintf(f->account, sizeof f->account, "%s", s->a.account);
	if (!f->symbol[0])
		snprintf(f->symbol, sizeof f->symbol, "%s", s->a.symbol);
	rec_finding_make_key(f);
	log_warn("repair", "account=%s symbol=%s finding=%s detail=%s", f->account, f->symbol, rec_code_name(code),
		 buf);
}

int rec_engine_intent(struct rec_engine *e, struct rec_action *a)
{
	a->outcome = REC_OUT_PENDING;
	a->intent_ms = rec_now(e->ctx.clk);
	if (e->j->ops->intent(e->j, a) != 0) {
		log_error("repair", "account=%s symbol=%s journal intent failed: nothing sent", a->account, a->symbol);
		return -1;
	}
	return 0;
}

enum rec_outcome rec_engine_finish(struct rec_engine *e, struct rec_report *r, struct rec_action *a, enum rec_outcome o,
				   const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	a->outcome = o;
	a->outcome_ms = rec_now(e->ctx.clk);
	snprintf(a->outcome_detail, sizeof a->outcome_detail, "%s", buf);
	if (a->id > 0 && e->j->ops->outcome(e->j, a->id, o, a->order_id, buf) != 0)
		log_error("repair", "account=%s action=%lld journal outcome failed", a->account, (long long)a->id);
	if (a->kind == REC_ACT_PLACE_STOP && o == REC_OUT_DONE && a->order_id[0])
		rec_engine_live_add(e, a);
	struct rec_result *x = rec_report_add(r, a);
	snprintf(x->detail, sizeof x->detail, "%s", buf);
	if (a->kind == REC_ACT_ALERT_ONLY)
		log_debug("repair", "account=%s symbol=%s alert only: %s", a->account, a->symbol, a->reason);
	else
		log_info("repair", "account=%s symbol=%s action=%s client=%s outcome=%s detail=%s", a->account,
			 a->symbol, rec_action_kind_name(a->kind), a->client_id, rec_outcome_name(o), buf);
	return o;
}

static size_t base_len(const char *cid)
{
	const char *dash = strrchr(cid, '-');
	return dash ? (size_t)(dash - cid) : strlen(cid);
}

static int attempt_slot(struct rec_engine *e, const char *cid)
{
	size_t bl = base_len(cid);
	for (size_t i = 0; i < e->nattempts; i++)
		if (strlen(e->attempts[i].base) == bl && strncmp(e->attempts[i].base, cid, bl) == 0)
			return (int)i;
	size_t i = e->nattempts < REC_ENGINE_MAX_ATTEMPTS ? e->nattempts++ : 0;
	snprintf(e->attempts[i].base, sizeof e->attempts[i].base, "%.*s", (int)bl, cid);
	e->attempts[i].n = 0;
	e->attempts[i].crossed = 0;
	return (int)i;
}

int rec_engine_attempt(struct rec_engine *e, const char *cid)
{
	return ++e->attempts[attempt_slot(e, cid)].n;
}

void rec_engine_mark_crossed(struct rec_engine *e, const char *cid, double trigger)
{
	e->attempts[attempt_slot(e, cid)].crossed = trigger;
}

bool rec_engine_was_crossed(struct rec_engine *e, const char *cid, double trigger)
{
	double c = e->attempts[attempt_slot(e, cid)].crossed;
	return c > 0 && fabs(c - trigger) < 1e-12;
}

void rec_client_id_attempt(char *cid, size_t n, int attempt)
{
	size_t bl = base_len(cid);
	char tmp[REC_ID_MAX];
	snprintf(tmp, sizeof tmp, "%.*s-%d", (int)bl, cid, attempt);
	snprintf(cid, n, "%s", tmp);
}

const struct xch_instrument *rec_engine_instrument(struct rec_engine *e, const char *symbol)
{
	if (!e->ins_loaded) {
		struct xch_err err = { 0 };
		e->ins_loaded = true;
		if (xch_ops(e->ctx.x)->instruments(e->ctx.x, &e->ins, &e->nins, &err) != XCH_OK) {
			log_warn("repair", "instruments unavailable: %s", err.msg);
			free(e->ins);
			e->ins = NULL;
			e->nins = 0;
			e->ins_loaded = false; /* try again next time */
		}
	}
	return rec_find_instrument(e->ins, e->nins, symbol);
}

bool rec_engine_blocked(const struct rec_engine *e, const char *symbol)
{
	for (size_t i = 0; i < e->nblocked; i++)
		if (strcmp(e->blocked[i], symbol) == 0)
			return true;
	return false;
}

bool rec_repair_refused(struct rec_engine *e, const struct rec_step *s, struct rec_report *r, struct rec_action *a,
			const char *what, enum rec_outcome *out)
{
	if (e->dry_run) {
		*out = rec_engine_finish(e, r, a, REC_OUT_SKIPPED, "dry run: nothing sent");
		return true;
	}
	a->order_side = rec_closing_side(a->position_side);
	if (a->order_side == REC_OSIDE_UNKNOWN) {
		rec_report_raise(e, r, s, REC_UNKNOWN_SIDE, "%s %s refused: position side unknown; nothing sent", what,
				 a->symbol);
		*out = rec_engine_finish(e, r, a, REC_OUT_FAILED, "position side unknown: nothing sent");
		return true;
	}
	return false;
}

enum rec_outcome rec_engine_unknown(struct rec_engine *e, struct rec_report *r, const struct rec_step *s,
				    struct rec_action *a, const char *fmt, ...)
{
	char buf[224];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	/* nothing new for the symbol until the journal's UNKNOWN is resolved */
	rec_engine_block(e, a->symbol);
	e->recovered = false;
	rec_report_raise(e, r, s, REC_OUTCOME_UNKNOWN, "outcome unknown — check order %s (%s %s): %s", a->client_id,
			 rec_action_kind_name(a->kind), a->symbol, buf);
	return rec_engine_finish(e, r, a, REC_OUT_UNKNOWN, "outcome unknown — check order %s: %s", a->client_id, buf);
}

void rec_engine_journal_finding(const struct rec_engine *e, struct rec_finding *f)
{
	struct rec_finding about;
	memset(&about, 0, sizeof about);
	snprintf(about.account, sizeof about.account, "%s", e->pol->account);
	about.exchange = xch_exchange(e->ctx.x);
	rec_raise(f, &about, REC_JOURNAL_UNREADABLE, rec_now(e->ctx.clk),
		  "the journal's unfinished intents cannot be listed: nothing is sent for %s until they can",
		  e->pol->account);
}

bool rec_held_back(int rc, const struct xch_err *err)
{
	return rc == XCH_RATELIMIT && err->http == 0;
}

enum rec_outcome rec_engine_premise_gone(struct rec_engine *e, struct rec_report *r, struct rec_action *a,
					 const char *why)
{
	/* journaled as an intent that ended SKIPPED: the record says what
	 * vigil meant to do and why it did not */
	if (a->id <= 0 && rec_engine_intent(e, a) != 0)
		a->id = 0;
	return rec_engine_finish(e, r, a, REC_OUT_SKIPPED, "premise no longer holds: %s; nothing sent", why);
}

/* ---- cancel (orphan orders, duplicate and wrong-side stops) ---- */

enum rec_outcome rec_repair_cancel(struct rec_engine *e, const struct rec_step *s, struct rec_report *r)
{
	struct rec_ctx *c = &e->ctx;
	struct rec_action a = s->a;
	char d[256];

	if (e->dry_run)
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "dry run: nothing sent");
	if (!a.order_id[0])
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "no order id to cancel");
	enum rec_premise pr = rec_premise_cancel(e, s, d, sizeof d);
	if (pr == REC_PREMISE_GONE)
		return rec_engine_premise_gone(e, r, &a, d);
	if (pr == REC_PREMISE_UNKNOWN)
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "%s: nothing sent", d);
	if (rec_engine_intent(e, &a) != 0)
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "journal unavailable: nothing sent");
	struct xch_err err = { 0 };
	int rc = xch_ops(c->x)->cancel_order(c->x, a.symbol, a.order_id, a.order_is_algo, &err);
	if (rc != XCH_OK && xch_rc_outcome_unknown((enum xch_rc)rc)) {
		/* the answer was lost: the open list says whether it went */
		if (rec_verify_order_gone(c, a.symbol, a.order_id, d, sizeof d) == REC_V_OK)
			return rec_engine_finish(e, r, &a, REC_OUT_DONE, "cancel answer lost (%s); %s",
						 xch_rc_name((enum xch_rc)rc), d);
		return rec_engine_unknown(e, r, s, &a, "cancel answer lost (%s %.100s); %s",
					  xch_rc_name((enum xch_rc)rc), err.msg, d);
	}
	if (rec_held_back(rc, &err))
		return rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "%s: nothing sent", err.msg);
	if (rc != XCH_OK && rc != XCH_UNKNOWN_ORDER) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "cancel of order %s refused: %s", a.order_id, err.msg);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "cancel refused: %s", err.msg);
	}
	if (rec_verify_order_gone(c, a.symbol, a.order_id, d, sizeof d) != REC_V_OK) {
		rec_report_raise(e, r, s, REC_REPAIR_FAILED, "order %s still open after cancel: %s", a.order_id, d);
		return rec_engine_finish(e, r, &a, REC_OUT_FAILED, "not verified: %s", d);
	}
	return rec_engine_finish(e, r, &a, REC_OUT_DONE, "cancelled; %s", d);
}

/* ---- the runner ---- */

static bool mode_allows(const struct rec_step *s)
{
	switch (s->a.kind) {
	case REC_ACT_PLACE_STOP: return s->mode == REC_MODE_PROTECT || s->mode == REC_MODE_FULL;
	case REC_ACT_CLOSE_POSITION:
	case REC_ACT_CANCEL_ORDER: return s->mode == REC_MODE_FULL;
	default: return false;
	}
}

int rec_engine_run(struct rec_engine *e, const struct rec_plan *p, struct rec_report *r)
{
	int failed = 0;
	for (size_t i = 0; i < p->nraised; i++) {
		r->findings = xrealloc(r->findings, (r->nfind + 1) * sizeof *r->findings);
		r->findings[r->nfind++] = p->raised[i];
	}
	/* the repair's requests use the budget's reserved slice */
	xch_set_prio(e->ctx.x, XCH_PRIO_REPAIR);
	/* an unreadable journal may hide an unfinished intent: nothing is
	 * sent for the account until it can be listed */
	bool journal_ok = e->dry_run || e->recovered || rec_engine_recover(e, r) >= 0;
	if (!journal_ok) {
		r->findings = xrealloc(r->findings, (r->nfind + 1) * sizeof *r->findings);
		rec_engine_journal_finding(e, &r->findings[r->nfind++]);
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct rec_step *s = &p->steps[i];
		struct rec_action a = s->a;
		enum rec_outcome o;
		if (s->a.kind == REC_ACT_ALERT_ONLY) {
			o = rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "alert only");
		} else if (!journal_ok) {
			o = rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "journal unreadable: nothing sent");
		} else if (e->dry_run) {
			o = rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "dry run: nothing sent");
		} else if (!mode_allows(s)) {
			o = rec_engine_finish(e, r, &a, REC_OUT_SKIPPED, "mode %s does not allow %s",
					      rec_mode_name(s->mode), rec_action_kind_name(a.kind));
		} else if (rec_engine_blocked(e, a.symbol)) {
			o = rec_engine_finish(e, r, &a, REC_OUT_SKIPPED,
					      "an earlier intent for %s is unresolved: nothing new sent", a.symbol);
		} else if (a.kind == REC_ACT_PLACE_STOP) {
			o = rec_repair_stop(e, s, r);
		} else if (a.kind == REC_ACT_CLOSE_POSITION) {
			o = rec_repair_close(e, s, r);
		} else {
			o = rec_repair_cancel(e, s, r);
		}
		if (o == REC_OUT_FAILED || o == REC_OUT_UNKNOWN)
			failed = 1;
	}
	xch_set_prio(e->ctx.x, XCH_PRIO_AUDIT);
	return failed ? -1 : 0;
}
