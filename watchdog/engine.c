/* DESIGN: the per-account audit cycle (see engine.h). Every way vigil is
 * used (daemon, one-shot audit, status, manual repair) builds a wd_engine
 * and calls wd_engine_audit, so there is exactly one path from the sources
 * to findings and from findings to actions. The cycle never blocks on
 * alert delivery (the notifier drains the outbox in its own thread) and
 * records what it saw in struct wd_audit so commands can print it. */
#include "watchdog/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "watchdog/metrics.h"
#include "watchdog/params.h"
#include "base/xalloc.h"

#define CLOCK_CHECK_EVERY_MS 60000

void wd_audit_free(struct wd_audit *a)
{
	if (!a)
		return;
	free(a->findings);
	free(a->resolved);
	free(a->actions);
	free(a->stream);
	free(a->bot);
	xch_listing_free(&a->listing);
	memset(a, 0, sizeof *a);
}

void wd_engine_metrics_declare(void)
{
	wd_metric_declare("vigil_up", WD_MT_GAUGE, "1 while the daemon runs");
	wd_metric_declare("vigil_audits_total", WD_MT_COUNTER, "audits run, per account");
	wd_metric_declare("vigil_audits_targeted_total", WD_MT_COUNTER,
			  "of vigil_audits_total, targeted checks of the symbols stream events named");
	wd_metric_declare("vigil_audits_failed_total", WD_MT_COUNTER,
			  "audits that could not compare the sources, per account");
	wd_metric_declare("vigil_audit_duration_seconds", WD_MT_HISTOGRAM, "audit cycle duration");
	wd_metric_declare("vigil_last_audit_timestamp_seconds", WD_MT_GAUGE, "wall time of the last successful audit");
	wd_metric_declare("vigil_findings_open", WD_MT_GAUGE, "open findings by code and severity");
	wd_metric_declare("vigil_findings_resolved_total", WD_MT_COUNTER, "findings that cleared");
	wd_metric_declare("vigil_actions_total", WD_MT_COUNTER, "repair actions by kind and outcome");
	wd_metric_declare("vigil_alerts_delivered_total", WD_MT_COUNTER, "alerts delivered by channel");
	wd_metric_declare("vigil_alerts_failed_total", WD_MT_COUNTER, "alert delivery attempts that failed");
	wd_metric_declare("vigil_alerts_queued", WD_MT_GAUGE, "alerts waiting in the outbox by channel");
	wd_metric_declare("vigil_stream_up", WD_MT_GAUGE, "1 when the private stream is connected");
	wd_metric_declare("vigil_stream_message_age_seconds", WD_MT_GAUGE, "seconds since the stream's last message");
	wd_metric_declare("vigil_stream_reconnects_total", WD_MT_COUNTER, "stream reconnects");
	wd_metric_declare("vigil_stream_events_total", WD_MT_COUNTER, "stream events that woke the engine");
	wd_metric_declare("vigil_rest_latency_seconds", WD_MT_HISTOGRAM, "exchange REST latency per endpoint");
	wd_metric_declare("vigil_rest_errors_total", WD_MT_COUNTER, "exchange REST errors by kind");
	wd_metric_declare("vigil_rest_requests_total", WD_MT_COUNTER, "REST requests sent by the adapter");
	wd_metric_declare("vigil_ratelimit_used_weight", WD_MT_GAUGE,
			  "Binance X-MBX-USED-WEIGHT-1M (absent until an answer carried it)");
	wd_metric_declare("vigil_ratelimit_remaining", WD_MT_GAUGE,
			  "Bybit X-Bapi-Limit-Status (absent until an answer carried it)");
	wd_metric_declare("vigil_clock_skew_seconds", WD_MT_GAUGE, "exchange server time minus local time");
	wd_metric_declare("vigil_repair_lock_held", WD_MT_GAUGE,
			  "1 when this instance holds the account's repair lock");
	wd_metric_declare("vigil_budget_used", WD_MT_GAUGE,
			  "vigil's own use of the IP's request budget in the current window (weight / requests)");
	wd_metric_declare("vigil_budget_limit", WD_MT_GAUGE, "the IP's request limit per window");
	wd_metric_declare("vigil_budget_exchange_used", WD_MT_GAUGE,
			  "the use the exchange last reported for the IP (bot and vigil; -1 unknown)");
	wd_metric_declare("vigil_budget_stopped", WD_MT_GAUGE, "1 while a rate limit or ban holds every request back");
	wd_metric_declare("vigil_budget_held_total", WD_MT_COUNTER, "requests the budget held back");
	wd_metric_declare("vigil_budget_rate_limited_total", WD_MT_COUNTER,
			  "rate-limit / ban answers from the exchange");
	wd_metric_declare("vigil_journal_readable", WD_MT_GAUGE,
			  "1 while the account's repair journal can be listed (0: nothing is sent)");
}

static void rest_latency(void *ud, const char *method, const char *path, long http, int64_t elapsed_ms);

/* Every counter and gauge of an account with a fixed label set exists
 * from the start, at 0: a rate() or an absent() alert works before the
 * first event. */
static void account_metrics_init(const struct wd_acct_rt *r)
{
	char pre[128], lbl[256];
	snprintf(pre, sizeof pre, "account=\"%s\"", r->cfg.name);
	static const char *const counters[] = {
		"vigil_audits_total",
		"vigil_audits_targeted_total",
		"vigil_audits_failed_total",
		"vigil_stream_events_total",
		"vigil_rest_requests_total",
		"vigil_budget_held_total",
		"vigil_budget_rate_limited_total",
	};
	for (size_t i = 0; i < sizeof counters / sizeof *counters; i++)
		wd_metric_add(counters[i], pre, 0);
	if (r->cfg.ws_url[0])
		wd_metric_add("vigil_stream_reconnects_total", pre, 0);
	for (int c = 0; c < REC_CODE_COUNT; c++) {
		snprintf(lbl, sizeof lbl, "%s,code=\"%s\",severity=\"%s\"", pre, rec_code_name((enum rec_code)c),
			 rec_severity_name(rec_code_default_severity((enum rec_code)c)));
		wd_metric_add("vigil_findings_open", lbl, 0);
		snprintf(lbl, sizeof lbl, "%s,code=\"%s\"", pre, rec_code_name((enum rec_code)c));
		wd_metric_add("vigil_findings_resolved_total", lbl, 0);
	}
	for (int k = REC_ACT_PLACE_STOP; k <= REC_ACT_ALERT_ONLY; k++)
		for (int o = REC_OUT_PENDING; o <= REC_OUT_UNKNOWN; o++) {
			snprintf(lbl, sizeof lbl, "%s,kind=\"%s\",outcome=\"%s\"", pre,
				 rec_action_kind_name((enum rec_action_kind)k), rec_outcome_name((enum rec_outcome)o));
			wd_metric_add("vigil_actions_total", lbl, 0);
		}
}

static int acct_open(struct wd_engine *e, struct wd_acct_rt *r, char *err, size_t errlen)
{
	struct xch_config xc;
	memset(&xc, 0, sizeof xc);
	xc.exchange = r->cfg.exchange;
	snprintf(xc.account, sizeof xc.account, "%s", r->cfg.name);
	snprintf(xc.rest_url, sizeof xc.rest_url, "%s", r->cfg.rest_url);
	snprintf(xc.ws_url, sizeof xc.ws_url, "%s", r->cfg.ws_url);
	xc.api_key = r->cfg.api_key;
	xc.api_secret = r->cfg.api_secret;
	xc.recv_window_ms = r->cfg.recv_window_ms;
	xc.connect_timeout_ms = r->cfg.connect_timeout_ms;
	xc.request_timeout_ms = r->cfg.request_timeout_ms;
	xc.hedge_mode = r->cfg.hedge_mode;
	xc.on_event = wd_engine_on_event;
	xc.on_event_ud = r;
	xc.on_rest = rest_latency;
	xc.on_rest_ud = r;
	wd_budget_config(&r->cfg, &xc);
	/* issue 21: TLS trust (resolved at load, [vigil] ca_file inherited)
	 * and proxy, for REST and the stream alike */
	snprintf(xc.ca_file, sizeof xc.ca_file, "%s", r->cfg.ca_file);
	snprintf(xc.proxy, sizeof xc.proxy, "%s", r->cfg.proxy);
	struct xch_err xe;
	memset(&xe, 0, sizeof xe);
	r->x = xch_new(&xc, &xe);
	if (!r->x) {
		snprintf(err, errlen, "account %s: adapter: %s", r->cfg.name, xe.msg);
		return -1;
	}
	r->mem = rec_memory_new();
	account_metrics_init(r);
	wd_account_params(e->conf, &r->cfg, &r->params);
	wd_account_policy(&r->cfg, &r->policy);
	r->repair_lock = true;
	r->held = true; /* wd_shard_open turns it off when instances share the accounts */
	return 0;
}

int wd_engine_new(struct wd_conf *conf, const struct wd_engine_opts *o, struct wd_engine **out, char *err,
		  size_t errlen)
{
	*out = NULL;
	struct wd_engine *e = xcalloc(1, sizeof *e);
	e->conf = conf;
	e->opts = *o;
	pthread_mutex_init(&e->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&e->stop, false);
	atomic_init(&e->last_audit_mono_ms, 0);
	atomic_init(&e->audits_ok, 0);
	e->acct = xcalloc(conf->naccounts ? conf->naccounts : 1, sizeof *e->acct);
	if (o->only_account && !wd_conf_account(conf, o->only_account)) {
		snprintf(err, errlen, "no account '%s' in %s", o->only_account, conf->path);
		goto fail;
	}
	for (size_t i = 0; i < conf->naccounts; i++) {
		const struct wd_account *a = &conf->accounts[i];
		if (o->only_account ? strcmp(a->name, o->only_account) != 0 : !a->enabled)
			continue;
		struct wd_acct_rt *r = &e->acct[e->n];
		r->eng = e;
		r->idx = e->n;
		r->cfg = *a;
		e->n++;
		if (acct_open(e, r, err, errlen) != 0)
			goto fail;
	}
	if (e->n == 0) {
		snprintf(err, errlen, "%s: no enabled account", conf->path);
		goto fail;
	}
	if (wd_store_open(e, err, errlen) != 0)
		goto fail;
	/* first-seen times go on from the stored ones (one-shot audits and
	 * restarts alike): grace is not waited again, AGE is the real age */
	for (size_t i = 0; i < e->n; i++)
		wd_store_seed(e, i);
	if (!o->no_alerts && wd_alerts_open(e, err, errlen) != 0)
		goto fail;
	wd_sched_init(&e->sched, e->n, conf->audit_interval_ms, conf->audit_debounce_ms, wd_mono_ms());
	for (size_t i = 0; i < e->n; i++)
		wd_sched_set_off(&e->sched, i, !e->acct[i].held, wd_mono_ms());
	for (size_t i = 0; i < e->n; i++) {
		int64_t gap, sym_gap;
		wd_budget_pace(e, i, &gap, &sym_gap);
		wd_sched_set_min_gap(&e->sched, i, gap, sym_gap);
		if (gap > conf->audit_interval_ms)
			log_warn("budget",
				 "account=%s audits spaced %lld ms (audit_interval %lld ms) to stay inside "
				 "the request budget shared with the bot",
				 e->acct[i].cfg.name, (long long)gap, (long long)conf->audit_interval_ms);
	}
	*out = e;
	return 0;
fail:
	wd_engine_free(e);
	return -1;
}

void wd_engine_free(struct wd_engine *e)
{
	if (!e)
		return;
	wd_engine_streams_stop(e);
	wd_alerts_close(e, 0);
	for (size_t i = 0; i < e->n; i++) {
		struct wd_acct_rt *r = &e->acct[i];
		wd_repair_free(r);
		if (r->x)
			xch_free(r->x);
		rec_memory_free(r->mem);
	}
	wd_store_close(e);
	wd_shard_close(e); /* after the repair locks on its session */
	if (e->journal && e->journal->ops->destroy)
		e->journal->ops->destroy(e->journal);
	wd_sched_free(&e->sched);
	pthread_mutex_destroy(&e->mu);
	pthread_cond_destroy(&e->cv);
	free(e->acct);
	if (e->conf) {
		wd_conf_free(e->conf);
		free(e->conf);
	}
	free(e);
}

int wd_engine_find(const struct wd_engine *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->acct[i].cfg.name, name) == 0)
			return (int)i;
	return -1;
}

void wd_engine_on_event(void *ud, const char *symbol, int64_t recv_ns)
{
	(void)recv_ns;
	struct wd_acct_rt *r = ud;
	struct wd_engine *e = r->eng;
	char lbl[160];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_add("vigil_stream_events_total", lbl, 1); /* the registry has its own lock */
	pthread_mutex_lock(&e->mu);
	wd_sched_event(&e->sched, r->idx, wd_mono_ms(), symbol);
	pthread_cond_signal(&e->cv);
	pthread_mutex_unlock(&e->mu);
	if (e->on_stream_event)
		e->on_stream_event(e->on_stream_event_ud, r->idx, symbol);
}

void wd_engine_stream_start(struct wd_engine *e, size_t i)
{
	struct wd_acct_rt *r = &e->acct[i];
	if (r->streaming || !r->held || !r->x->ops->stream_start)
		return;
	struct xch_err xe;
	memset(&xe, 0, sizeof xe);
	if (r->x->ops->stream_start(r->x, &xe) != XCH_OK) {
		log_warn("engine", "account=%s stream not started: %s (%s)", r->cfg.name, xe.msg, xch_rc_name(xe.rc));
		return;
	}
	r->streaming = true;
	log_info("engine", "account=%s stream started", r->cfg.name);
}

void wd_engine_stream_stop(struct wd_engine *e, size_t i)
{
	struct wd_acct_rt *r = &e->acct[i];
	if (!r->streaming)
		return;
	if (r->x->ops->stream_stop)
		r->x->ops->stream_stop(r->x);
	r->streaming = false;
}

void wd_engine_streams_start(struct wd_engine *e)
{
	for (size_t i = 0; i < e->n; i++)
		wd_engine_stream_start(e, i); /* only the accounts this instance holds */
}

void wd_engine_streams_stop(struct wd_engine *e)
{
	for (size_t i = 0; i < e->n; i++)
		wd_engine_stream_stop(e, i);
}

/* The adapter reports every REST round trip (engine or stream thread). */
static void rest_latency(void *ud, const char *method, const char *path, long http, int64_t elapsed_ms)
{
	const struct wd_acct_rt *r = ud;
	char lbl[256];
	(void)http;
	snprintf(lbl, sizeof lbl, "account=\"%s\",method=\"%s\",endpoint=\"%s\"", r->cfg.name, method, path);
	wd_metric_observe("vigil_rest_latency_seconds", lbl, (double)elapsed_ms / 1000.0);
}

static void rest_errors(struct wd_acct_rt *r, const char *endpoint, int rc)
{
	char lbl[256];
	if (rc != XCH_OK) {
		snprintf(lbl, sizeof lbl, "account=\"%s\",endpoint=\"%s\",error=\"%s\"", r->cfg.name, endpoint,
			 xch_rc_name((enum xch_rc)rc));
		wd_metric_add("vigil_rest_errors_total", lbl, 1);
	}
}

static void clock_note(struct wd_acct_rt *r, struct wd_audit *a, int64_t offset_ms)
{
	a->clock_known = true;
	a->clock_offset_ms = offset_ms;
	char lbl[128];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_set("vigil_clock_skew_seconds", lbl, (double)offset_ms / 1000.0);
}

/* A one-shot audit costs only the listing calls: no server-time call. The
 * adapters re-sync on a timestamp refusal, and an offset learnt that way
 * (never exactly 0 in practice) is known; else the clock is unknown. */
static void clock_after_listing(struct wd_acct_rt *r, struct wd_audit *a)
{
	int64_t off = __atomic_load_n(&r->x->clock_offset_ms, __ATOMIC_RELAXED);
	if (off != 0)
		clock_note(r, a, off);
}

static void clock_check(struct wd_engine *e, struct wd_acct_rt *r, struct wd_audit *a)
{
	if (e->opts.kind == WD_ENG_ONESHOT)
		return; /* clock_after_listing */
	int64_t now = wd_mono_ms();
	bool due = e->opts.kind != WD_ENG_DAEMON || r->last_clock_mono_ms == 0 ||
		   now - r->last_clock_mono_ms >= CLOCK_CHECK_EVERY_MS;
	if (due && r->x->ops->server_time) {
		int64_t ms = 0;
		struct xch_err xe;
		memset(&xe, 0, sizeof xe);
		int rc = r->x->ops->server_time(r->x, &ms, &xe);
		rest_errors(r, "server_time", rc);
		if (rc == XCH_OK)
			r->last_clock_mono_ms = now;
	}
	if (r->last_clock_mono_ms)
		clock_note(r, a, __atomic_load_n(&r->x->clock_offset_ms, __ATOMIC_RELAXED));
}

/* The position mode as the exchange reports it (Binance positionSide/dual,
 * weight 30): the daemon asks at start and every MODE_CHECK_EVERY_MS; a
 * one-shot audit reads it from the position rows only (listing calls
 * only), as does every Bybit audit (no such endpoint). */
#define MODE_CHECK_EVERY_MS (10 * 60 * 1000)
static void mode_check(struct wd_engine *e, struct wd_acct_rt *r)
{
	if (e->opts.kind == WD_ENG_ONESHOT || !r->x->ops->position_mode)
		return;
	int64_t now = wd_mono_ms();
	if (r->last_mode_mono_ms && now - r->last_mode_mono_ms < MODE_CHECK_EVERY_MS)
		return;
	enum rec_pos_mode m = REC_MODE_UNKNOWN;
	struct xch_err xe;
	memset(&xe, 0, sizeof xe);
	int rc = r->x->ops->position_mode(r->x, &m, &xe);
	rest_errors(r, "position_mode", rc);
	if (rc == XCH_OK) {
		r->pos_mode = m;
		r->last_mode_mono_ms = now;
	}
}

static void stream_metrics(const char *lbl, const struct xch_stream_status *st, int64_t now_wall)
{
	wd_metric_set("vigil_stream_up", lbl, st->state == REC_SS_UP ? 1 : 0);
	if (st->last_msg_ms)
		wd_metric_set("vigil_stream_message_age_seconds", lbl, (double)(now_wall - st->last_msg_ms) / 1000.0);
	else
		wd_metric_unset("vigil_stream_message_age_seconds", lbl); /* no message yet */
	wd_metric_set("vigil_stream_reconnects_total", lbl, (double)st->reconnects);
}

void wd_engine_stream_metrics(struct wd_engine *e)
{
	int64_t now = wd_wall_ms();
	for (size_t i = 0; i < e->n; i++) {
		struct wd_acct_rt *r = &e->acct[i];
		struct xch_stream_status st;
		if (!r->streaming || xch_stream_status(r->x, &st) != 0)
			continue;
		char lbl[128];
		snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
		stream_metrics(lbl, &st, now);
	}
}

static void source_metrics(struct wd_acct_rt *r, const struct wd_audit *a, int64_t now_wall)
{
	char lbl[128];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	if (a->stream) {
		const struct xch_stream_status st = { a->stream->state, a->stream->last_msg_ms, a->stream->reconnects };
		stream_metrics(lbl, &st, now_wall);
	}
	/* unknown (no answer carried the header yet): absent, never -1 */
	if (r->x->limits.used_weight_1m >= 0)
		wd_metric_set("vigil_ratelimit_used_weight", lbl, r->x->limits.used_weight_1m);
	if (r->x->limits.limit_status >= 0)
		wd_metric_set("vigil_ratelimit_remaining", lbl, r->x->limits.limit_status);
	wd_metric_set("vigil_rest_requests_total", lbl, (double)r->x->limits.requests);
	wd_metric_set("vigil_repair_lock_held", lbl, r->repair_lock ? 1 : 0);
}

static void finding_metrics(struct wd_acct_rt *r, const struct wd_audit *a)
{
	char pre[128], lbl[256];
	snprintf(pre, sizeof pre, "account=\"%s\",", r->cfg.name);
	wd_metric_zero("vigil_findings_open", pre);
	for (size_t k = 0; k < a->nfindings; k++) {
		const struct rec_finding *f = &a->findings[k];
		snprintf(lbl, sizeof lbl, "%scode=\"%s\",severity=\"%s\"", pre, rec_code_name(f->code),
			 rec_severity_name(f->severity));
		wd_metric_add("vigil_findings_open", lbl, 1);
	}
	for (size_t k = 0; k < a->nresolved; k++) {
		snprintf(lbl, sizeof lbl, "%scode=\"%s\"", pre, rec_code_name(a->resolved[k].code));
		wd_metric_add("vigil_findings_resolved_total", lbl, 1);
	}
	for (size_t k = 0; k < a->nactions; k++) {
		const struct rec_action *ac = &a->actions[k];
		snprintf(lbl, sizeof lbl, "%skind=\"%s\",outcome=\"%s\"", pre, rec_action_kind_name(ac->kind),
			 rec_outcome_name(ac->outcome));
		wd_metric_add("vigil_actions_total", lbl, 1);
	}
}

static bool account_may_act(const struct wd_account *a)
{
	if (a->mode != REC_MODE_OBSERVE)
		return true;
	for (size_t k = 0; k < a->noverrides; k++)
		if (a->overrides[k].mode != REC_MODE_OBSERVE)
			return true;
	return false;
}

/* Without a configured database the bot view is absent by choice, not
 * unreachable: no SOURCE_UNREACHABLE for it (ORPHAN / PHANTOM simply
 * cannot be judged, which README says). */
static void drop_db_unreachable(struct wd_audit *a)
{
	size_t o = 0;
	for (size_t k = 0; k < a->nfindings; k++) {
		const struct rec_finding *f = &a->findings[k];
		size_t kl = strlen(f->key);
		if (f->code == REC_SOURCE_UNREACHABLE && kl > 3 && strcmp(f->key + kl - 3, ":db") == 0)
			continue;
		a->findings[o++] = *f;
	}
	a->nfindings = o;
}

int wd_engine_audit(struct wd_engine *e, size_t i, struct wd_audit *a)
{
	return wd_engine_audit_scope(e, i, NULL, a);
}

int wd_engine_audit_scope(struct wd_engine *e, size_t i, const struct wd_scope *scope, struct wd_audit *a)
{
	struct wd_acct_rt *r = &e->acct[i];
	memset(a, 0, sizeof *a);
	if (scope)
		a->scope = *scope;
	snprintf(a->account, sizeof a->account, "%s", r->cfg.name);
	a->exchange = r->cfg.exchange;
	a->mode = r->cfg.mode;
	a->started_ms = wd_wall_ms();
	int64_t t0 = wd_mono_ms();
	char lbl[128];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);

	/* Stream first: the REST answers that follow are then never older
	 * than the stream facts we compare them with. */
	if (r->streaming) {
		a->stream = xmalloc(sizeof *a->stream);
		if (xch_stream_copy_of(r->x, (const char(*)[REC_SYM_MAX])a->scope.sym, a->scope.n, a->stream) != 0) {
			free(a->stream);
			a->stream = NULL;
		} else if (a->stream->state == REC_SS_UP && a->stream->last_msg_ms < a->stream->connected_ms) {
			/* a quiet account sends nothing after the handshake: the
			 * stream is silent since it connected, not since 1970 */
			a->stream->last_msg_ms = a->stream->connected_ms;
		}
	}
	clock_check(e, r, a);
	mode_check(e, r);
	int lrc = xch_fetch_listing_of(r->x, (const char(*)[REC_SYM_MAX])a->scope.sym, a->scope.n, &a->listing);
	rest_errors(r, "listing", lrc);
	if (e->opts.kind == WD_ENG_ONESHOT)
		clock_after_listing(r, a);
	wd_store_bot_rows(e, i, a);

	struct rec_snapshot s;
	memset(&s, 0, sizeof s);
	snprintf(s.account, sizeof s.account, "%s", r->cfg.name);
	s.exchange = a->exchange;
	s.now_ms = wd_wall_ms();
	s.stream = a->stream;
	s.rest_pos_ok = a->listing.pos_rc == XCH_OK;
	s.rest_pos = a->listing.pos;
	s.nrest_pos = a->listing.npos;
	s.rest_fetched_ms = a->listing.fetched_ms ? a->listing.fetched_ms : s.now_ms;
	if (!s.rest_pos_ok)
		snprintf(s.rest_error, sizeof s.rest_error, "%s: %.200s", xch_rc_name((enum xch_rc)a->listing.pos_rc),
			 a->listing.pos_err.msg);
	s.orders_ok = a->listing.ord_rc == XCH_OK;
	s.orders = a->listing.ord;
	s.norders = a->listing.nord;
	if (!s.orders_ok)
		snprintf(s.orders_error, sizeof s.orders_error, "%s: %.200s",
			 xch_rc_name((enum xch_rc)a->listing.ord_rc), a->listing.ord_err.msg);
	s.bot_ok = a->bot_ok;
	s.bot = a->bot;
	s.nbot = a->nbot;
	snprintf(s.bot_error, sizeof s.bot_error, "%s", a->bot_error);
	s.clock_known = a->clock_known;
	s.clock_offset_ms = a->clock_offset_ms;
	s.pos_mode = r->pos_mode;
	s.scope = (const char(*)[REC_SYM_MAX])a->scope.sym;
	s.nscope = a->scope.n;

	if (rec_classify(&s, &r->params, r->mem, &a->findings, &a->nfindings) != 0) {
		snprintf(a->error, sizeof a->error, "classification refused the snapshot");
	} else {
		rec_lifecycle(r->mem, &a->resolved, &a->nresolved);
		if (!e->conf->db_enabled)
			drop_db_unreachable(a);
	}
	/* An audit that could not read the exchange over REST (and has no
	 * usable stream to stand in) could not compare anything. */
	bool stream_up = a->stream && a->stream->state == REC_SS_UP;
	if (!a->error[0] && !s.rest_pos_ok && !stream_up)
		snprintf(a->error, sizeof a->error, "exchange unreachable: %.200s", s.rest_error);
	else if (!a->error[0] && !s.orders_ok)
		snprintf(a->error, sizeof a->error, "open orders unreadable: %.200s", s.orders_error);
	a->audited = a->error[0] == '\0';
	wd_budget_audit(r, a);
	wd_storage_audit(e, r, a);

	if (a->audited && !e->opts.no_repair) {
		/* the HA lock is only needed by an account that may send
		 * something; in observe mode it is left free, so a manual
		 * `vigil repair` can take it */
		if (account_may_act(&r->cfg)) {
			r->repair_lock = wd_store_repair_lock(e, i);
		} else {
			wd_store_repair_unlock(e, i);
			r->repair_lock = false;
		}
		/* alerts are queued after the repair (they carry its outcome);
		 * what is due is made durable first, so a crash in between
		 * loses none (engine_alert.c) */
		if (!e->opts.no_alerts && r->repair_lock)
			wd_alerts_before_repair(e, i, a);
		wd_engine_repair(e, i, a);
	}
	if (!e->opts.no_alerts)
		wd_alerts_route(e, i, a);
	wd_store_audit(e, i, a);

	a->duration_ms = wd_mono_ms() - t0;
	r->audits++;
	wd_metric_add("vigil_audits_total", lbl, 1);
	if (a->scope.n)
		wd_metric_add("vigil_audits_targeted_total", lbl, 1);
	wd_metric_observe("vigil_audit_duration_seconds", lbl, (double)a->duration_ms / 1000.0);
	if (a->audited) {
		r->last_ok_wall_ms = a->started_ms;
		r->last_error[0] = '\0';
		wd_metric_set("vigil_last_audit_timestamp_seconds", lbl, (double)a->started_ms / 1000.0);
		atomic_store(&e->last_audit_mono_ms, wd_mono_ms());
		atomic_fetch_add(&e->audits_ok, 1);
	} else {
		r->failures++;
		snprintf(r->last_error, sizeof r->last_error, "%s", a->error);
		wd_metric_add("vigil_audits_failed_total", lbl, 1);
	}
	source_metrics(r, a, s.now_ms);
	finding_metrics(r, a);
	if (!e->opts.quiet_console)
		wd_narrate_audit(e, a);
	if (e->on_audit)
		e->on_audit(e->on_audit_ud, a);
	return a->audited ? 0 : -1;
}
