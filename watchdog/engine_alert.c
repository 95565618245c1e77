/* DESIGN: the engine's alert side, wiring only. The router
 * (alerts/router.h) turns each audit's findings into outbox messages; the
 * keeper (alerts/keeper.h) feeds it and keeps its state across restarts
 * in the store supplied here (PostgreSQL, sql/db_store.h: migration 002's
 * alert state on the findings, actions.alerted_at); the outbox is
 * PostgreSQL with a local spool when a database is configured, memory
 * otherwise; the notifier thread drains it, so a slow mail server never
 * delays an audit or a repair. Acknowledgements made with `vigil ack`
 * (stored in the database) reach the router through the same store.
 * Only the daemon with a database persists alert state; without it the
 * router starts empty: open findings alert once more. */
#include "watchdog/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/channel.h"
#include "alerts/keeper.h"
#include "alerts/notifier.h"
#include "alerts/outbox_locked.h"
#include "alerts/outbox_mem.h"
#include "alerts/router.h"
#include "sql/db_outbox.h"
#include "sql/db_store.h"
#include "base/log.h"
#include "watchdog/metrics.h"
#include "watchdog/params.h"
#include "base/xalloc.h"

#define STREAM_CONNECT_GRACE_MS 5000

struct wd_alerts {
	struct alert_channel **chs;
	size_t nchs;
	struct alert_outbox *outbox;
	struct alert_router *router;
	struct alert_keeper *keeper;
	struct alert_notifier *notifier;
	bool started;
	struct db_conn *acks; /* acks, alert state (engine thread only) */
	int64_t last_tick_ms;
	char (*up)[REC_ACCT_MAX]; /* accounts whose stream was up once */
	size_t nup;
	bool grace_over;
};

/* Notifier observer: what the far end accepted, counted per channel. */
static void count_delivery(void *ud, const struct alert_channel *ch, const struct alert_msg *m, bool ok,
			   const struct alert_send_status *st)
{
	(void)ud, (void)m, (void)st;
	char lbl[64];
	snprintf(lbl, sizeof lbl, "channel=\"%s\"", ch->name);
	wd_metric_add(ok ? "vigil_alerts_delivered_total" : "vigil_alerts_failed_total", lbl, 1);
}

static char *action_text(const struct rec_action *ac, const char *suffix)
{
	return xasprintf("%s %s %s qty %g trigger %g: %s%s%s%s", rec_action_kind_name(ac->kind), ac->symbol,
			 rec_oside_name(ac->order_side), ac->qty, ac->trigger_price, rec_outcome_name(ac->outcome),
			 ac->outcome_detail[0] ? " — " : "", ac->outcome_detail, suffix);
}

/* An order was (or may have been) sent: SKIPPED means nothing went out;
 * except a step whose premise no longer held just before sending (the
 * position flipped, the order changed): people are told about that too. */
static bool action_told(const struct rec_action *ac)
{
	if (ac->kind == REC_ACT_ALERT_ONLY)
		return false;
	return ac->outcome != REC_OUT_SKIPPED || strncmp(ac->outcome_detail, "premise no longer holds", 23) == 0;
}

/* ---- the keeper's store: sql/db_store.h on al->acks ---- */

static int st_load(void *ud, const char *account, struct alert_stored **out, size_t *n, char *err, size_t errlen)
{
	struct wd_alerts *al = ud;
	struct db_alert_state *st = NULL;
	size_t nst = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	*out = NULL;
	*n = 0;
	if (db_findings_alert_state(al->acks, account, &st, &nst, &de) != DB_OK) {
		snprintf(err, errlen, "%s", de.msg);
		return -1;
	}
	struct alert_stored *v = xcalloc(nst ? nst : 1, sizeof *v);
	for (size_t k = 0; k < nst; k++) {
		struct rec_finding *f = &v[k].f;
		snprintf(f->key, sizeof f->key, "%s", st[k].row.key);
		snprintf(f->account, sizeof f->account, "%s", account);
		f->code = (enum rec_code)st[k].row.code;
		f->severity = (enum rec_severity)st[k].row.severity;
		snprintf(f->symbol, sizeof f->symbol, "%s", st[k].row.symbol);
		snprintf(f->detail, sizeof f->detail, "%s", st[k].row.detail);
		f->first_seen_ms = st[k].row.first_seen_ms;
		f->last_seen_ms = st[k].row.last_seen_ms;
		v[k].acked = st[k].row.acked;
		v[k].first_alerted_ms = st[k].first_alerted_ms;
		v[k].last_alerted_ms = st[k].last_alerted_ms;
		v[k].escalated_ms = st[k].escalated_ms;
		v[k].alert_due_ms = st[k].alert_due_ms;
		v[k].alerted_severity = st[k].alerted_severity;
	}
	free(st);
	*out = v;
	*n = nst;
	return 0;
}

static int st_unalerted(void *ud, const char *account, int64_t since_ms, struct alert_stored_action **out, size_t *n)
{
	struct wd_alerts *al = ud;
	struct rec_action *acts = NULL;
	size_t nacts = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	*out = NULL;
	*n = 0;
	if (db_actions_unalerted(al->acks, account, since_ms, &acts, &nacts, &de) != DB_OK)
		return -1;
	struct alert_stored_action *v = xcalloc(nacts ? nacts : 1, sizeof *v);
	for (size_t k = 0; k < nacts; k++) {
		v[k].id = acts[k].id;
		snprintf(v[k].finding_key, sizeof v[k].finding_key, "%s", acts[k].finding_key);
		v[k].text = action_text(&acts[k], " (before vigil restarted)");
	}
	free(acts);
	*out = v;
	*n = nacts;
	return 0;
}

static int st_actions_alerted(void *ud, const int64_t *ids, size_t n, int64_t now_ms)
{
	struct wd_alerts *al = ud;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_actions_mark_alerted(al->acks, ids, n, now_ms, &de) == DB_OK)
		return 0;
	log_debug("alerts", "actions not marked alerted: %s", de.msg);
	return -1;
}

static int st_alerted(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms)
{
	struct wd_alerts *al = ud;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_finding_alerted(al->acks, f, (int)k, now_ms, &de) == DB_OK)
		return 0;
	log_debug("alerts", "key=%s alert state not stored: %s", f->key, de.msg);
	return -1;
}

static int st_due(void *ud, const struct rec_finding *f, int64_t now_ms)
{
	struct wd_alerts *al = ud;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_finding_alert_due(al->acks, f, now_ms, &de) == DB_OK)
		return 0;
	log_debug("alerts", "key=%s due alert not recorded: %s", f->key, de.msg);
	return -1;
}

static int st_restore(void *ud, const struct rec_finding *f, const struct alert_stored *st)
{
	struct wd_alerts *al = ud;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_finding_alert_restore(al->acks, f, st->first_alerted_ms, st->last_alerted_ms, st->alerted_severity,
				     st->escalated_ms, &de) == DB_OK)
		return 0;
	log_debug("alerts", "key=%s alert state not restored: %s", f->key, de.msg);
	return -1;
}

static int st_acked(void *ud, const char *account, char (**keys)[REC_KEY_MAX], size_t *n)
{
	struct wd_alerts *al = ud;
	struct db_finding_row *rows = NULL;
	size_t nrows = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	*keys = NULL;
	*n = 0;
	if (db_findings_list(al->acks, true, account, 0, &rows, &nrows, &de) != DB_OK)
		return -1;
	*keys = xcalloc(nrows ? nrows : 1, sizeof **keys);
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].acked)
			snprintf((*keys)[(*n)++], REC_KEY_MAX, "%s", rows[i].key);
	free(rows);
	return 0;
}

int wd_alerts_open(struct wd_engine *e, char *err, size_t errlen)
{
	struct wd_alerts *al = xcalloc(1, sizeof *al);
	e->alerts = al;
	if (wd_alert_channels_new(e->conf, &al->chs, &al->nchs, err, errlen) != 0) {
		al->chs = NULL;
		al->nchs = 0;
		goto fail;
	}
	for (size_t i = 0; i < al->nchs; i++) {
		char lbl[64];
		snprintf(lbl, sizeof lbl, "channel=\"%s\"", al->chs[i]->name);
		wd_metric_add("vigil_alerts_delivered_total", lbl, 0);
		wd_metric_add("vigil_alerts_failed_total", lbl, 0);
	}
	if (e->conf->db_enabled) {
		struct db_params p;
		struct db_err de;
		memset(&de, 0, sizeof de);
		wd_db_params(e->conf, &p);
		char spool[WD_STR_MAX + 32];
		snprintf(spool, sizeof spool, "%s/outbox.spool", e->conf->spool_dir);
		al->outbox = db_outbox_new(&p, spool, &de);
		if (!al->outbox) {
			snprintf(err, errlen, "alert outbox: %s", de.msg);
			goto fail;
		}
		db_outbox_set_claimer(al->outbox, e->conf->instance);
		al->acks = db_conn_new(&p, &de);
	} else {
		al->outbox = alert_outbox_mem_new();
	}
	al->outbox = alert_outbox_locked_new(al->outbox);
	al->router = wd_alert_router_new(e->conf, al->chs, al->nchs, al->outbox);
	al->notifier = alert_notifier_new(al->outbox, al->chs, al->nchs, NULL);
	if (!al->router || !al->notifier) {
		snprintf(err, errlen, "alert router could not start");
		goto fail;
	}
	alert_notifier_set_delivery_observer(al->notifier, count_delivery, NULL);
	alert_router_set_wakeup(al->router, alert_notifier_kick, al->notifier);
	/* the first audit runs before the stream has connected */
	int64_t grace = e->conf->stream_stale_ms > 0 && e->conf->stream_stale_ms < STREAM_CONNECT_GRACE_MS
				? e->conf->stream_stale_ms
				: STREAM_CONNECT_GRACE_MS;
	alert_router_set_stream_grace(al->router, wd_wall_ms() + grace);
	/* acks from the database always; alert state only for the daemon */
	struct alert_state_loader ld = { .ud = al, .acked = st_acked };
	if (al->acks && e->opts.kind == WD_ENG_DAEMON) {
		ld.load = st_load;
		ld.unalerted_actions = st_unalerted;
		ld.actions_alerted = st_actions_alerted;
		ld.alerted = st_alerted;
		ld.due = st_due;
		ld.restore = st_restore;
	}
	al->keeper = alert_keeper_new(al->router, al->acks ? &ld : NULL);
	return 0;
fail:
	wd_alerts_close(e, 0);
	return -1;
}

static void queue_metrics(struct wd_alerts *al)
{
	for (size_t i = 0; i < al->nchs; i++) {
		char lbl[64];
		snprintf(lbl, sizeof lbl, "channel=\"%s\"", al->chs[i]->name);
		wd_metric_set("vigil_alerts_queued", lbl,
			      (double)al->outbox->ops->pending(al->outbox, al->chs[i]->name));
	}
}

void wd_alerts_close(struct wd_engine *e, int64_t flush_ms)
{
	struct wd_alerts *al = e->alerts;
	if (!al)
		return;
	if (al->notifier) {
		size_t left = alert_notifier_stop(al->notifier, flush_ms);
		if (left)
			log_warn("alerts", "%zu alert%s still undelivered at shutdown (kept in the outbox)", left,
				 left == 1 ? "" : "s");
		alert_notifier_free(al->notifier);
	}
	alert_keeper_free(al->keeper);
	alert_router_free(al->router);
	if (al->outbox)
		al->outbox->ops->destroy(al->outbox);
	alert_channels_free(al->chs, al->nchs);
	db_conn_free(al->acks);
	free(al->up);
	free(al);
	e->alerts = NULL;
}

void wd_alerts_start_notifier(struct wd_engine *e)
{
	struct wd_alerts *al = e->alerts;
	if (!al || al->started)
		return;
	if (alert_notifier_start(al->notifier) == 0)
		al->started = true;
	else
		log_error("alerts", "notifier thread could not start");
}

/* The stream's connect grace ends early once every account's stream has
 * been up: a drop after that is a real outage. */
static void stream_seen(struct wd_alerts *al, const struct wd_engine *e, const struct wd_audit *a)
{
	if (al->grace_over || !a->stream || a->stream->state != REC_SS_UP)
		return;
	for (size_t k = 0; k < al->nup; k++)
		if (!strcmp(al->up[k], a->account))
			return;
	al->up = xrealloc(al->up, (al->nup + 1) * sizeof *al->up);
	snprintf(al->up[al->nup++], REC_ACCT_MAX, "%s", a->account);
	if (al->nup >= e->n) {
		alert_router_set_stream_grace(al->router, 0);
		al->grace_over = true;
	}
}

void wd_alerts_before_repair(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_alerts *al = e->alerts;
	if (al)
		alert_keeper_before_repair(al->keeper, e->acct[i].cfg.name, a->findings, a->nfindings, wd_wall_ms());
}

void wd_alerts_route(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_alerts *al = e->alerts;
	if (!al)
		return;
	int64_t now = wd_wall_ms();
	const struct wd_acct_rt *r = &e->acct[i];
	stream_seen(al, e, a);
	/* a seeded finding is not resolved while the restarted classifier's
	 * grace periods could still hide it */
	int64_t grace = r->cfg.grace_open_ms > r->cfg.grace_order_ms ? r->cfg.grace_open_ms : r->cfg.grace_order_ms;
	int64_t settle = now + grace + 2 * e->conf->audit_interval_ms + 1000;
	struct alert_audit_action *acts = xcalloc(a->nactions ? a->nactions : 1, sizeof *acts);
	for (size_t j = 0; j < a->nactions; j++) {
		acts[j].id = a->actions[j].id;
		acts[j].finding_key = a->actions[j].finding_key;
		acts[j].text = action_text(&a->actions[j], "");
		acts[j].told = action_told(&a->actions[j]);
	}
	alert_keeper_update(al->keeper, r->cfg.name, a->exchange, a->audited, a->findings, a->nfindings, acts,
			    a->nactions, settle, now);
	for (size_t j = 0; j < a->nactions; j++)
		free((char *)acts[j].text);
	free(acts);
	queue_metrics(al);
}

void wd_alerts_forget(struct wd_engine *e, size_t i)
{
	struct wd_alerts *al = e->alerts;
	if (al)
		alert_keeper_forget(al->keeper, e->acct[i].cfg.name);
}

/* Between audits: holds, repeats, escalations. */
void wd_alerts_tick(struct wd_engine *e)
{
	struct wd_alerts *al = e->alerts;
	if (!al)
		return;
	int64_t now = wd_wall_ms();
	if (now - al->last_tick_ms < 1000)
		return;
	al->last_tick_ms = now;
	alert_router_tick(al->router, now);
	queue_metrics(al);
}
