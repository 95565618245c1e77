/* DESIGN: the engine's alert side. The router (alerts/router.h) turns
 * each audit's findings into outbox messages (dedup, hold, repeat,
 * RESOLVED); the outbox is PostgreSQL with a local spool when a database
 * is configured, memory otherwise; the notifier thread drains it, so a
 * slow mail server never delays an audit or a repair. Acknowledgements
 * made with `vigil ack` (stored in the database) are picked up here each
 * audit and applied to the router.
 *
 * Restarts (daemon with a database): every alert queued for a finding is
 * recorded on the stored finding (first/last_alerted_at, migration 002)
 * and every action whose alert was queued is marked (actions.alerted_at).
 * At an account's first audit after start the router is seeded from both:
 * open findings already alerted are not sent again (repeat timing and ack
 * carry on; one gone while vigil was down gets its RESOLVED), and an
 * action journaled in the last ACTIONS_LOOKBACK_MS but never alerted
 * (vigil killed between the repair and the alert; recovered from the
 * journal at start) is alerted then, FIRING + RESOLVED if its finding is
 * gone. Findings whose FIRING is due are recorded (alert_due_at) before
 * the audit repairs anything (wd_alerts_before_repair), so those too are
 * alerted after a kill between the repair and the alert. Without the database (or before migration 002) the router starts
 * empty: open findings alert once more. */
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
#include "base/log.h"
#include "watchdog/metrics.h"
#include "base/xalloc.h"

#define ACTIONS_LOOKBACK_MS (10 * 60 * 1000LL)
#define STREAM_CONNECT_GRACE_MS 5000

struct wd_alerts {
	struct alert_channel **chs;
	size_t nchs;
	struct alert_outbox *outbox;
	struct alert_router *router;
	struct alert_notifier *notifier;
	bool started;
	struct db_conn *acks;       /* acks, alert state (engine thread only) */
	int64_t last_tick_ms;
	char (*seeded)[REC_ACCT_MAX]; /* accounts whose router state was rebuilt */
	size_t nseeded;
	bool persist;               /* record alert state in the database */
	struct db_alert_state *restored; /* seeded, not yet seen again */
	size_t nrestored;
	char (*up)[REC_ACCT_MAX];   /* accounts whose stream was up once */
	size_t nup;
	bool grace_over;
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

/* Router observer: what was alerted, kept on the stored finding. */
static void persist_alerted(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms)
{
	struct wd_alerts *al = ud;
	if (k == ALERT_RESOLVED || !al->acks)
		return; /* the store resolves the row in this audit */
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_finding_alerted(al->acks, f, (int)k, now_ms, &de) != DB_OK)
		log_debug("alerts", "key=%s alert state not stored: %s", f->key, de.msg);
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
	/* the first audit runs before the stream has connected */
	int64_t grace = e->conf->stream_stale_ms > 0 && e->conf->stream_stale_ms < STREAM_CONNECT_GRACE_MS
				? e->conf->stream_stale_ms
				: STREAM_CONNECT_GRACE_MS;
	alert_router_set_stream_grace(al->router, wd_wall_ms() + grace);
	if (al->acks && e->opts.kind == WD_ENG_DAEMON) {
		al->persist = true;
		alert_router_set_observer(al->router, persist_alerted, al);
	}
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
	free(al->seeded);
	free(al->restored);
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

/* Rebuilds a finding from "account:exchange:symbol:CODE" (the journal
 * keeps only the key) or from the stored row when there is one. */
static bool finding_of_key(const char *key, const char *account, enum rec_exchange ex,
			   const struct db_alert_state *st, size_t nst, struct rec_finding *f)
{
	memset(f, 0, sizeof *f);
	for (size_t k = 0; k < nst; k++)
		if (!strcmp(st[k].row.key, key)) {
			f->code = (enum rec_code)st[k].row.code;
			f->severity = (enum rec_severity)st[k].row.severity;
			snprintf(f->symbol, sizeof f->symbol, "%s", st[k].row.symbol);
			snprintf(f->detail, sizeof f->detail, "%s", st[k].row.detail);
			f->first_seen_ms = st[k].row.first_seen_ms;
			f->last_seen_ms = st[k].row.last_seen_ms;
			goto done;
		}
	const char *c = strrchr(key, ':');
	if (!c || c == key || rec_code_parse(c + 1, &f->code) != 0)
		return false;
	const char *sb = c - 1;
	while (sb > key && *sb != ':')
		sb--;
	if (*sb != ':')
		return false;
	snprintf(f->symbol, sizeof f->symbol, "%.*s", (int)(c - sb - 1), sb + 1);
	f->severity = rec_code_default_severity(f->code);
done:
	snprintf(f->key, sizeof f->key, "%s", key);
	snprintf(f->account, sizeof f->account, "%s", account);
	f->exchange = ex;
	return true;
}

/* Is account in the set? Adds it if not. */
static bool in_set(char (**set)[REC_ACCT_MAX], size_t *n, const char *account)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp((*set)[k], account))
			return true;
	*set = xrealloc(*set, (*n + 1) * sizeof **set);
	snprintf((*set)[(*n)++], REC_ACCT_MAX, "%s", account);
	return false;
}

/* The stream's connect grace ends early once every account's stream has
 * been up: a drop after that is a real outage. */
static void stream_seen(struct wd_alerts *al, const struct wd_engine *e, const struct wd_audit *a)
{
	if (al->grace_over || !a->stream || a->stream->state != REC_SS_UP)
		return;
	in_set(&al->up, &al->nup, a->account);
	if (al->nup >= e->n) {
		alert_router_set_stream_grace(al->router, 0);
		al->grace_over = true;
	}
}

static void add_id(int64_t **ids, size_t *n, int64_t id)
{
	if (id <= 0)
		return;
	*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
	(*ids)[(*n)++] = id;
}

/* Seeds the account's router state from the database (see the top). The
 * journal ids of the actions seeded are appended to ids (marked alerted
 * once the update has queued their alerts). */
static void seed_account(struct wd_alerts *al, const struct wd_acct_rt *r, enum rec_exchange ex,
			 const struct wd_audit *a, int64_t now, int64_t **ids, size_t *nids)
{
	const char *account = r->cfg.name;
	int64_t grace = r->cfg.grace_open_ms > r->cfg.grace_order_ms ? r->cfg.grace_open_ms : r->cfg.grace_order_ms;
	int64_t settle = now + grace + 2 * r->eng->conf->audit_interval_ms + 1000;
	struct db_err de;
	memset(&de, 0, sizeof de);
	struct db_alert_state *st = NULL;
	size_t nst = 0;
	if (db_findings_alert_state(al->acks, account, &st, &nst, &de) != DB_OK) {
		log_warn("alerts", "account=%s stored alert state unreadable (%s): open findings alert once more",
			 account, de.msg);
		st = NULL;
		nst = 0;
	}
	size_t nalerted = 0, ntell = 0;
	for (size_t k = 0; k < nst; k++) {
		struct alert_router_seed sd;
		memset(&sd, 0, sizeof sd);
		bool alerted = st[k].alerted_severity >= 0 && st[k].first_alerted_ms;
		if (st[k].alert_due_ms && !alerted) {
			/* due when a repair started, never queued: killed in between */
			if (!finding_of_key(st[k].row.key, account, ex, st, nst, &sd.f))
				continue;
			sd.tell = true;
			sd.settle_until_ms = settle;
			if (alert_router_seed(al->router, &sd, now) == 0)
				ntell++;
			continue;
		}
		if (!alerted || !finding_of_key(st[k].row.key, account, ex, st, nst, &sd.f))
			continue;
		sd.alerted = true;
		sd.alerted_ms = st[k].first_alerted_ms;
		sd.last_sent_ms = st[k].last_alerted_ms;
		sd.alerted_sev = (enum rec_severity)st[k].alerted_severity;
		sd.escalated = st[k].escalated_ms != 0;
		sd.acked = st[k].row.acked;
		sd.settle_until_ms = settle;
		if (alert_router_seed(al->router, &sd, now) == 0) {
			nalerted++;
			al->restored = xrealloc(al->restored, (al->nrestored + 1) * sizeof *al->restored);
			al->restored[al->nrestored++] = st[k];
		}
	}
	struct rec_action *acts = NULL;
	size_t nacts = 0, nact_seeded = 0;
	memset(&de, 0, sizeof de);
	if (db_actions_unalerted(al->acks, account, now - ACTIONS_LOOKBACK_MS, &acts, &nacts, &de) != DB_OK)
		nacts = 0;
	for (size_t k = 0; k < nacts; k++) {
		bool this_audit = false;
		for (size_t j = 0; j < a->nactions && !this_audit; j++)
			this_audit = a->actions[j].id == acts[k].id;
		if (this_audit || !acts[k].finding_key[0])
			continue;
		struct alert_router_seed sd;
		memset(&sd, 0, sizeof sd);
		if (!finding_of_key(acts[k].finding_key, account, ex, st, nst, &sd.f))
			continue;
		char *txt = action_text(&acts[k], " (before vigil restarted)");
		sd.action = txt;
		sd.settle_until_ms = settle;
		if (alert_router_seed(al->router, &sd, now) == 0) {
			add_id(ids, nids, acts[k].id);
			nact_seeded++;
			log_info("alerts", "account=%s action id=%lld on %s was never alerted (vigil stopped before): "
				 "alerting it now", account, (long long)acts[k].id, acts[k].finding_key);
		}
		free(txt);
	}
	if (nalerted || nact_seeded || ntell)
		log_info("alerts", "account=%s alert state restored: %zu open finding%s already alerted, %zu due "
			 "and never sent, %zu action%s to tell", account, nalerted, nalerted == 1 ? "" : "s", ntell,
			 nact_seeded, nact_seeded == 1 ? "" : "s");
	free(acts);
	free(st);
}

/* A restored finding the restarted classifier did not report at first
 * (grace) was resolved in the database by the store; once it is back,
 * its stored alert state is written again so a second restart knows. */
static void keep_restored(struct wd_alerts *al, const struct wd_audit *a)
{
	for (size_t k = 0; k < al->nrestored;) {
		const struct db_alert_state *st = &al->restored[k];
		int alerted = alert_router_is_alerted(al->router, st->row.key);
		bool present = false;
		for (size_t j = 0; j < a->nfindings && !present; j++)
			present = !strcmp(a->findings[j].key, st->row.key);
		if (alerted == 1 && !present) {
			k++;
			continue;
		}
		if (alerted == 1) {
			struct rec_finding f;
			memset(&f, 0, sizeof f);
			for (size_t j = 0; j < a->nfindings; j++)
				if (!strcmp(a->findings[j].key, st->row.key))
					f = a->findings[j];
			struct db_err de;
			memset(&de, 0, sizeof de);
			if (db_finding_alert_restore(al->acks, &f, st->first_alerted_ms, st->last_alerted_ms,
						     st->alerted_severity, st->escalated_ms, &de) != DB_OK)
				log_debug("alerts", "key=%s alert state not restored: %s", f.key, de.msg);
		}
		al->restored[k] = al->restored[--al->nrestored];
	}
}

void wd_alerts_before_repair(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_alerts *al = e->alerts;
	if (!al || !al->persist || !a->nfindings)
		return;
	int64_t now = wd_wall_ms();
	bool *due = xcalloc(a->nfindings, sizeof *due);
	if (alert_router_due(al->router, e->acct[i].cfg.name, a->findings, a->nfindings, now, due)) {
		struct db_err de;
		memset(&de, 0, sizeof de);
		for (size_t k = 0; k < a->nfindings; k++)
			if (due[k] && db_finding_alert_due(al->acks, &a->findings[k], now, &de) != DB_OK) {
				log_debug("alerts", "key=%s due alert not recorded: %s", a->findings[k].key, de.msg);
				break;
			}
	}
	free(due);
}

void wd_alerts_route(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_alerts *al = e->alerts;
	if (!al)
		return;
	int64_t now = wd_wall_ms();
	const char *acct = e->acct[i].cfg.name;
	int64_t *ids = NULL; /* journal ids whose alert this update queues */
	size_t nids = 0;
	stream_seen(al, e, a);
	if (al->persist && !in_set(&al->seeded, &al->nseeded, acct))
		seed_account(al, &e->acct[i], a->exchange, a, now, &ids, &nids);
	/* what vigil did about each finding, for the message; acted: an
	 * order went out, so the finding is alerted whatever holds it */
	size_t nf = a->nfindings;
	char **did = xcalloc(nf ? nf : 1, sizeof *did);
	bool *acted = xcalloc(nf ? nf : 1, sizeof *acted);
	for (size_t j = 0; j < a->nactions; j++) {
		const struct rec_action *ac = &a->actions[j];
		bool matched = false;
		for (size_t k = 0; k < nf; k++) {
			if (strcmp(ac->finding_key, a->findings[k].key) != 0)
				continue;
			matched = true;
			free(did[k]);
			did[k] = action_text(ac, "");
			if (action_told(ac))
				acted[k] = true;
		}
		if (action_told(ac) && !matched && ac->finding_key[0]) {
			/* its finding is not in this audit's list: still told */
			struct alert_router_seed sd;
			memset(&sd, 0, sizeof sd);
			if (finding_of_key(ac->finding_key, acct, a->exchange, NULL, 0, &sd.f)) {
				char *txt = action_text(ac, "");
				sd.action = txt;
				alert_router_seed(al->router, &sd, now);
				free(txt);
			}
		}
		if (action_told(ac))
			add_id(&ids, &nids, ac->id);
	}
	int rc = -1;
	if (a->audited || a->nfindings) {
		rc = alert_router_update_acted(al->router, acct, a->findings, nf, (const char *const *)did, acted, now);
		if (rc < 0)
			log_warn("alerts", "account=%s could not enqueue every alert; retrying next audit", acct);
	}
	if (rc >= 0 && nids && al->persist) {
		struct db_err de;
		memset(&de, 0, sizeof de);
		if (db_actions_mark_alerted(al->acks, ids, nids, now, &de) != DB_OK)
			log_debug("alerts", "account=%s actions not marked alerted: %s", acct, de.msg);
	}
	keep_restored(al, a);
	for (size_t k = 0; k < nf; k++)
		free(did[k]);
	free(did);
	free(acted);
	free(ids);
	apply_acks(al, acct, now);
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
