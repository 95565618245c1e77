/* DESIGN: the engine's alert side. The router (alerts/router.h) turns
 * each audit's findings into outbox messages (dedup, hold, repeat,
 * RESOLVED); the outbox is PostgreSQL with a local spool when a database
 * is configured, memory otherwise; the notifier thread drains it, so a
 * slow mail server never delays an audit or a repair. Acknowledgements
 * made with `vigil ack` (stored in the database) are picked up here each
 * audit and applied to the router. */
#include "watchdog/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/channel.h"
#include "alerts/notifier.h"
#include "alerts/outbox_mem.h"
#include "alerts/router.h"
#include "sql/db_outbox.h"
#include "sql/db_store.h"
#include "watchdog/log.h"
#include "watchdog/metrics.h"
#include "watchdog/xalloc.h"

struct wd_alerts {
	struct alert_channel **chs;
	size_t nchs;
	struct alert_outbox *outbox;
	struct alert_router *router;
	struct alert_notifier *notifier;
	bool started;
	struct db_conn *acks;       /* reads acknowledged findings */
	int64_t last_tick_ms;
};

/* Delivery metrics: each channel's send is wrapped so that what the far
 * end accepted is counted per channel (the notifier stays unaware). */
#define WRAP_MAX 32
static struct {
	struct alert_channel *ch;
	int (*send)(struct alert_channel *, const struct alert_msg *, struct alert_send_status *);
} wraps[WRAP_MAX];
static pthread_mutex_t wrap_mu = PTHREAD_MUTEX_INITIALIZER;

static int counted_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	int (*orig)(struct alert_channel *, const struct alert_msg *, struct alert_send_status *) = NULL;
	pthread_mutex_lock(&wrap_mu);
	for (size_t i = 0; i < WRAP_MAX; i++)
		if (wraps[i].ch == ch)
			orig = wraps[i].send;
	pthread_mutex_unlock(&wrap_mu);
	if (!orig)
		return ALERT_SEND_RETRY;
	int rc = orig(ch, m, st);
	char lbl[64];
	snprintf(lbl, sizeof lbl, "channel=\"%s\"", ch->name);
	wd_metric_add(rc == ALERT_SEND_OK ? "vigil_alerts_delivered_total" : "vigil_alerts_failed_total", lbl, 1);
	return rc;
}

static void wrap_channels(struct alert_channel **chs, size_t n, bool on)
{
	pthread_mutex_lock(&wrap_mu);
	for (size_t i = 0; i < n; i++) {
		if (on) {
			for (size_t k = 0; k < WRAP_MAX; k++)
				if (!wraps[k].ch) {
					wraps[k].ch = chs[i];
					wraps[k].send = chs[i]->send;
					chs[i]->send = counted_send;
					char lbl[64];
					snprintf(lbl, sizeof lbl, "channel=\"%s\"", chs[i]->name);
					wd_metric_add("vigil_alerts_delivered_total", lbl, 0);
					break;
				}
		} else {
			for (size_t k = 0; k < WRAP_MAX; k++)
				if (wraps[k].ch == chs[i]) {
					chs[i]->send = wraps[k].send;
					wraps[k].ch = NULL;
				}
		}
	}
	pthread_mutex_unlock(&wrap_mu);
}

/* The router enqueues from the engine thread while the notifier drains
 * from its own: this decorator serialises every outbox call, whatever the
 * implementation's own locking (a libpq connection is one thread at a
 * time). */
struct locked_outbox {
	struct alert_outbox base;
	struct alert_outbox *inner;
	pthread_mutex_t mu;
};

#define LOCKED(o) ((struct locked_outbox *)(void *)(o))
static int lk_enqueue(struct alert_outbox *o, struct alert_msg *m)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->enqueue(LOCKED(o)->inner, m);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_due(struct alert_outbox *o, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->due(LOCKED(o)->inner, now_ms, max, out, n);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_delivered(struct alert_outbox *o, int64_t id, int64_t now_ms)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->delivered(LOCKED(o)->inner, id, now_ms);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_failed(struct alert_outbox *o, int64_t id, int64_t next_ms, const char *why)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->failed(LOCKED(o)->inner, id, next_ms, why);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static size_t lk_pending(struct alert_outbox *o, const char *channel)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	size_t n = LOCKED(o)->inner->ops->pending(LOCKED(o)->inner, channel);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return n;
}
static void lk_destroy(struct alert_outbox *o)
{
	struct locked_outbox *l = LOCKED(o);
	l->inner->ops->destroy(l->inner);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
static const struct alert_outbox_ops locked_ops = {
	.enqueue = lk_enqueue, .due = lk_due, .delivered = lk_delivered,
	.failed = lk_failed, .pending = lk_pending, .destroy = lk_destroy,
};

static struct alert_outbox *locked_outbox_new(struct alert_outbox *inner)
{
	struct locked_outbox *l = xcalloc(1, sizeof *l);
	l->base.ops = &locked_ops;
	l->inner = inner;
	pthread_mutex_init(&l->mu, NULL);
	return &l->base;
}

int wd_alerts_open(struct wd_engine *e, char *err, size_t errlen)
{
	struct wd_alerts *al = xcalloc(1, sizeof *al);
	e->alerts = al;
	if (alert_channels_from_conf(e->conf, &al->chs, &al->nchs, err, errlen) != 0) {
		al->chs = NULL;
		al->nchs = 0;
		goto fail;
	}
	wrap_channels(al->chs, al->nchs, true);
	if (e->conf->db_enabled) {
		struct db_params p;
		struct db_err de;
		memset(&de, 0, sizeof de);
		db_params_from_conf(e->conf, &p);
		char spool[WD_STR_MAX + 32];
		snprintf(spool, sizeof spool, "%s/outbox.spool", e->conf->spool_dir);
		al->outbox = db_outbox_new(&p, spool, &de);
		if (!al->outbox) {
			snprintf(err, errlen, "alert outbox: %s", de.msg);
			goto fail;
		}
		al->acks = db_conn_new(&p, &de);
	} else {
		al->outbox = alert_outbox_mem_new();
	}
	al->outbox = locked_outbox_new(al->outbox);
	al->router = alert_router_from_conf(e->conf, al->chs, al->nchs, al->outbox);
	al->notifier = alert_notifier_new(al->outbox, al->chs, al->nchs, NULL);
	if (!al->router || !al->notifier) {
		snprintf(err, errlen, "alert router could not start");
		goto fail;
	}
	alert_router_set_wakeup(al->router, alert_notifier_kick, al->notifier);
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
		wd_metric_set("vigil_alerts_queued", lbl, (double)al->outbox->ops->pending(al->outbox, al->chs[i]->name));
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
	alert_router_free(al->router);
	wrap_channels(al->chs, al->nchs, false);
	if (al->outbox)
		al->outbox->ops->destroy(al->outbox);
	alert_channels_free(al->chs, al->nchs);
	db_conn_free(al->acks);
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

/* Acks stored by `vigil ack` (another process) reach the router here. */
static void apply_acks(struct wd_alerts *al, const char *account, int64_t now)
{
	if (!al->acks)
		return;
	struct db_finding_row *rows = NULL;
	size_t n = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_findings_list(al->acks, true, account, 0, &rows, &n, &de) != DB_OK)
		return;
	for (size_t i = 0; i < n; i++)
		if (rows[i].acked && alert_router_is_acked(al->router, rows[i].key) == 0)
			alert_router_ack(al->router, rows[i].key, now);
	free(rows);
}

void wd_alerts_route(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_alerts *al = e->alerts;
	if (!al)
		return;
	int64_t now = wd_wall_ms();
	/* what vigil did about each finding, for the message */
	char **did = xcalloc(a->nfindings ? a->nfindings : 1, sizeof *did);
	for (size_t k = 0; k < a->nfindings; k++) {
		for (size_t j = 0; j < a->nactions; j++) {
			const struct rec_action *ac = &a->actions[j];
			if (strcmp(ac->finding_key, a->findings[k].key) != 0)
				continue;
			free(did[k]);
			did[k] = xasprintf("%s %s %s qty %g trigger %g: %s%s%s", rec_action_kind_name(ac->kind),
					   ac->symbol, rec_oside_name(ac->order_side), ac->qty, ac->trigger_price,
					   rec_outcome_name(ac->outcome), ac->outcome_detail[0] ? " — " : "",
					   ac->outcome_detail);
		}
	}
	if (a->audited || a->nfindings) {
		int rc = alert_router_update(al->router, e->acct[i].cfg.name, a->findings, a->nfindings,
					     (const char *const *)did, now);
		if (rc < 0)
			log_warn("alerts", "account=%s could not enqueue every alert; retrying next audit",
				 e->acct[i].cfg.name);
	}
	for (size_t k = 0; k < a->nfindings; k++)
		free(did[k]);
	free(did);
	apply_acks(al, e->acct[i].cfg.name, now);
	queue_metrics(al);
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
