/* Journal recovery (repair.h): intents written by an earlier process that
 * never got an outcome (a crash between send and outcome, or before the
 * send). Each is checked against the exchange before anything new is
 * sent: a stop or close by its client id (get_order, then open orders), a
 * cancel by whether its target is still open. What cannot be checked now
 * stays pending and blocks its symbol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/repair.h"
#include "base/log.h"

void rec_engine_block(struct rec_engine *e, const char *symbol)
{
	if (rec_engine_blocked(e, symbol) || e->nblocked == REC_ENGINE_MAX_BLOCKED)
		return;
	snprintf(e->blocked[e->nblocked++], REC_SYM_MAX, "%s", symbol);
}

/* Returns the outcome decided, or REC_OUT_PENDING if it cannot tell. */
static enum rec_outcome resolve(struct rec_engine *e, struct rec_action *a, char *d, size_t dl)
{
	struct rec_ctx *c = &e->ctx;
	struct rec_order o;
	struct xch_err err = { 0 };
	if (a->kind == REC_ACT_CANCEL_ORDER) {
		int l = rec_order_listed(&e->ctx, a->symbol, a->order_id, NULL, &o);
		if (l < 0) {
			snprintf(d, dl, "open orders unavailable");
			return REC_OUT_PENDING;
		}
		snprintf(d, dl, l ? "order %s still open: cancel not done" : "order %s no longer open", a->order_id);
		return l ? REC_OUT_FAILED : REC_OUT_DONE;
	}
	if (a->kind != REC_ACT_PLACE_STOP && a->kind != REC_ACT_CLOSE_POSITION) {
		snprintf(d, dl, "nothing was to be sent");
		return REC_OUT_SKIPPED;
	}
	/* vigil's Binance stops live in the Algo Service (clientAlgoId) */
	bool algo = a->kind == REC_ACT_PLACE_STOP && xch_exchange(c->x) == REC_EX_BINANCE;
	int rc = xch_ops(c->x)->get_order(c->x, a->symbol, "", a->client_id, algo, &o, &err);
	if (rc == XCH_UNKNOWN_ORDER) {
		/* Binance algo stops may only be findable in the open list */
		int l = rec_order_listed(&e->ctx, a->symbol, NULL, a->client_id, &o);
		if (l < 0) {
			snprintf(d, dl, "open orders unavailable");
			return REC_OUT_PENDING;
		}
		if (l == 0) {
			/* a young order may just not be visible yet (Bybit lists a
			 * new order late; REST lags): only an intent older than the
			 * verification budget proves it was never sent */
			int64_t age = rec_now(c->clk) - a->intent_ms;
			if (a->intent_ms > 0 && age < c->cfg.budget_ms) {
				snprintf(d, dl, "client id %s not visible yet (intent %lld ms ago)", a->client_id,
					 (long long)age);
				return REC_OUT_PENDING;
			}
			snprintf(d, dl, "client id %s unknown to the exchange: never sent", a->client_id);
			return REC_OUT_FAILED;
		}
		rc = XCH_OK;
	}
	if (rc != XCH_OK) {
		snprintf(d, dl, "lookup failed: %.200s", err.msg);
		return REC_OUT_PENDING;
	}
	snprintf(a->order_id, sizeof a->order_id, "%s", o.id);
	a->order_is_algo = o.is_algo || algo;
	if (a->kind == REC_ACT_PLACE_STOP) {
		if (rec_order_dead(o.status)) {
			snprintf(d, dl, "stop %s was sent but is no longer active", o.id);
			return REC_OUT_FAILED;
		}
		snprintf(d, dl, "stop %s found on the exchange (sent before restart)", o.id);
		return REC_OUT_DONE;
	}
	if (o.filled > 0) {
		snprintf(d, dl, "close %s filled %g before restart", o.id, o.filled);
		return REC_OUT_DONE;
	}
	if (rec_order_dead(o.status) || o.status == REC_OST_FILLED) {
		snprintf(d, dl, "close %s ended with 0 filled", o.id);
		return REC_OUT_FAILED;
	}
	snprintf(d, dl, "close %s still working", o.id);
	return REC_OUT_PENDING;
}

/* How far back a restart remembers the stops it placed (REST lag and a
 * new stream hide them for seconds; minutes is plenty). */
#define RECENT_STOPS_MS (10 * 60 * 1000)

/* Once per engine: the stops an earlier process placed and verified go
 * into live[], so a stop that the lagging open-order listing does not show
 * yet is asked for by id before another is sent (check_live). */
static int load_recent_stops(struct rec_engine *e)
{
	if (e->recent_loaded || !e->j->ops->recent_stops)
		return 0;
	struct rec_action *s = NULL;
	size_t n = 0;
	if (e->j->ops->recent_stops(e->j, e->pol->account, rec_now(e->ctx.clk) - RECENT_STOPS_MS, &s, &n) != 0) {
		free(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		rec_engine_live_add(e, &s[i]);
		if (s[i].client_id[0])
			rec_engine_attempt(e, s[i].client_id); /* never reuse its client id */
	}
	if (n)
		log_info("repair", "account=%s %zu recent stop(s) from the journal checked by id before any new one",
			 e->pol->account, n);
	free(s);
	e->recent_loaded = true;
	return 0;
}

int rec_engine_recover(struct rec_engine *e, struct rec_report *r)
{
	struct rec_action *u = NULL;
	size_t n = 0;
	e->nblocked = 0;
	if (e->j->ops->unfinished(e->j, e->pol->account, &u, &n) != 0) {
		log_error("repair", "account=%s journal unreadable: nothing will be sent", e->pol->account);
		free(u);
		e->journal_unreadable = true;
		return -1;
	}
	if (load_recent_stops(e) != 0) {
		log_error("repair", "account=%s journal unreadable (recent stops): nothing will be sent",
			  e->pol->account);
		free(u);
		e->journal_unreadable = true;
		return -1;
	}
	e->journal_unreadable = false;
	int pending = 0;
	for (size_t i = 0; i < n; i++) {
		struct rec_action *a = &u[i];
		char d[256];
		enum rec_outcome o = resolve(e, a, d, sizeof d);
		/* keep the attempt counter past ids already used */
		if (a->client_id[0])
			rec_engine_attempt(e, a->client_id);
		if (o == REC_OUT_PENDING) {
			pending++;
			rec_engine_block(e, a->symbol);
			struct rec_result *x = rec_report_add(r, a);
			snprintf(x->detail, sizeof x->detail, "unresolved: %.200s", d);
			x->recovered = true;
			log_warn("repair", "account=%s symbol=%s intent=%lld unresolved: %s", a->account, a->symbol,
				 (long long)a->id, d);
			continue;
		}
		rec_engine_finish(e, r, a, o, "recovered: %s", d);
		r->res[r->n - 1].recovered = true;
	}
	free(u);
	e->recovered = pending == 0;
	return pending;
}
