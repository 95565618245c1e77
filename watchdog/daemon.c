/* DESIGN: the daemon's threads and their lifecycle (see daemon.h). The
 * engine pointer is only read or replaced by the engine thread; the main
 * thread talks to it through the atomic stop flag and the pending-config
 * mailbox under d->mu, so a reload can never free an engine another
 * thread is using. The health state /healthz reports lives here, not in
 * the engine, for the same reason. */
#include "watchdog/daemon.h"

#include <curl/curl.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "watchdog/api.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/engine.h"
#include "base/log.h"
#include "watchdog/metrics.h"
#include "base/xalloc.h"

#define ENGINE_MAX_WAIT_MS 200
/* the stream gauges between audits: a scrape sees a connection change
 * within this, not at the next audit (which may be minutes away) */
#define STREAM_METRICS_EVERY_MS 1000

struct wd_daemon {
	struct wd_daemon_opts opts;
	struct wd_engine *eng; /* engine thread only (after start) */
	pthread_mutex_t mu;
	struct wd_conf *pending; /* validated config waiting for the engine */
	atomic_bool stop;
	atomic_int_fast64_t last_ok_mono;
	atomic_int_fast64_t interval_ms;
	atomic_int_fast64_t started_mono;
	atomic_uint_fast64_t reloads;
	char deadman[WD_STR_MAX]; /* engine thread only */
	struct wd_api *api;       /* [api] listen (NULL = off) */
};

static void health(void *ud, int *status, char *buf, size_t n)
{
	struct wd_daemon *d = ud;
	int64_t now = wd_mono_ms();
	int64_t last = atomic_load(&d->last_ok_mono);
	int64_t iv = atomic_load(&d->interval_ms);
	int64_t limit = 3 * iv + 10000;
	if (atomic_load(&d->stop)) {
		*status = 503;
		snprintf(buf, n, "stopping\n");
	} else if (last == 0 && now - atomic_load(&d->started_mono) < limit) {
		*status = 200;
		snprintf(buf, n, "starting: no audit finished yet\n");
	} else if (last == 0 || now - last > limit) {
		*status = 503;
		snprintf(buf, n, "no successful audit for %lld ms\n",
			 (long long)(last ? now - last : now - atomic_load(&d->started_mono)));
	} else {
		*status = 200;
		snprintf(buf, n, "ok: last successful audit %lld ms ago\n", (long long)(now - last));
	}
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

/* healthchecks-style dead-man switch: a GET after each successful audit. */
static void deadman_ping(const char *url)
{
	CURL *c = curl_easy_init();
	if (!c)
		return;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code >= 400)
		log_warn("daemon", "dead-man ping failed: %s (http %ld)", curl_easy_strerror(rc), code);
	else
		wd_metric_add("vigil_deadman_pings_total", "", 1);
	curl_easy_cleanup(c);
}

static void on_audit(void *ud, const struct wd_audit *a)
{
	struct wd_daemon *d = ud;
	wd_api_publish(d->api, d->eng, a); /* the engine thread: d->eng is a's engine */
	if (!a->audited)
		return;
	atomic_store(&d->last_ok_mono, wd_mono_ms());
	if (d->deadman[0])
		deadman_ping(d->deadman);
}

/* A standby (a claim round worked, no account is this instance's) is
 * healthy without audits. */
static void on_standby(void *ud)
{
	struct wd_daemon *d = ud;
	atomic_store(&d->last_ok_mono, wd_mono_ms());
}

static struct wd_engine *engine_create(struct wd_daemon *d, struct wd_conf *c, char *err, size_t errlen)
{
	struct wd_engine_opts eo;
	memset(&eo, 0, sizeof eo);
	eo.kind = WD_ENG_DAEMON;
	eo.quiet_console = d->opts.quiet;
	struct wd_engine *e = NULL;
	if (wd_engine_new(c, &eo, &e, err, errlen) != 0)
		return NULL;
	e->on_audit = on_audit;
	e->on_audit_ud = d;
	e->on_standby = on_standby;
	snprintf(d->deadman, sizeof d->deadman, "%s", c->deadman_url);
	atomic_store(&d->interval_ms, c->audit_interval_ms);
	return e;
}

/* Engine thread: swaps in a validated config. The accounts' memories, the
 * store, the journal and the alerts move to the new engine, so grace
 * timers and alert dedup survive; [database] and [alerts] changes need a
 * restart (said in the log). */
static void apply_reload(struct wd_daemon *d, struct wd_conf *c)
{
	struct wd_engine *old = d->eng;
	char err[512];
	wd_engine_streams_stop(old);
	struct wd_engine_opts eo = old->opts;
	struct wd_engine *e = NULL;
	/* the new engine must not open a second store, journal or alert set:
	 * it adopts the running ones */
	eo.no_alerts = true;
	bool db_was = c->db_enabled;
	c->db_enabled = false;
	int rc = wd_engine_new(c, &eo, &e, err, sizeof err);
	if (rc != 0) {
		/* wd_engine_new took c and freed it */
		log_error("daemon", "reload refused: %s; keeping the running configuration", err);
		wd_metric_add("vigil_reload_failures_total", "", 1);
		wd_engine_streams_start(old);
		return;
	}
	c->db_enabled = db_was;
	if (db_was != old->conf->db_enabled || strcmp(c->db_dsn, old->conf->db_dsn) != 0)
		log_warn("daemon", "[database] changes take effect on restart");
	e->opts.no_alerts = old->opts.no_alerts;
	wd_shard_adopt(e, old); /* first: the adopted repair locks use its session */
	wd_store_adopt(e, old);
	e->alerts = old->alerts;
	old->alerts = NULL;
	if (e->journal && e->journal->ops->destroy)
		e->journal->ops->destroy(e->journal);
	e->journal = old->journal;
	old->journal = NULL;
	wd_repair_set_journal(e);
	for (size_t i = 0; i < e->n; i++) {
		int j = wd_engine_find(old, e->acct[i].cfg.name);
		if (j < 0)
			continue;
		struct rec_memory *m = e->acct[i].mem;
		e->acct[i].mem = old->acct[j].mem;
		old->acct[j].mem = m;
	}
	e->on_audit = on_audit;
	e->on_audit_ud = d;
	e->on_standby = on_standby;
	e->on_stream_event = wd_api_on_event;
	e->on_stream_event_ud = d->api;
	snprintf(d->deadman, sizeof d->deadman, "%s", c->deadman_url);
	atomic_store(&d->interval_ms, c->audit_interval_ms);
	wd_api_attach(d->api, e); /* before the old engine's adapters go */
	d->eng = e;
	wd_engine_free(old);
	wd_engine_streams_start(e);
	atomic_fetch_add(&d->reloads, 1);
	wd_metric_add("vigil_reloads_total", "", 1);
	log_info("daemon", "configuration reloaded from %s (%zu accounts)", c->path, e->n);
}

static void *engine_main(void *arg)
{
	struct wd_daemon *d = arg;
	int64_t last_metrics_ms = 0;
	while (!atomic_load(&d->stop)) {
		pthread_mutex_lock(&d->mu);
		struct wd_conf *c = d->pending;
		d->pending = NULL;
		pthread_mutex_unlock(&d->mu);
		if (c)
			apply_reload(d, c);
		struct wd_engine *e = d->eng;
		wd_shard_tick(e, false);
		pthread_mutex_lock(&e->mu);
		int64_t wait;
		int i = wd_sched_next(&e->sched, wd_mono_ms(), &wait);
		if (i < 0) {
			pthread_mutex_unlock(&e->mu);
			wd_alerts_tick(e);
			int64_t now = wd_mono_ms();
			if (now - last_metrics_ms >= STREAM_METRICS_EVERY_MS) {
				wd_engine_stream_metrics(e);
				last_metrics_ms = now;
			}
			pthread_mutex_lock(&e->mu);
			if (wait < 0 || wait > ENGINE_MAX_WAIT_MS)
				wait = ENGINE_MAX_WAIT_MS;
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&e->cv, &e->mu, &ts);
			pthread_mutex_unlock(&e->mu);
			continue;
		}
		struct wd_scope scope;
		wd_sched_start(&e->sched, (size_t)i, wd_mono_ms(), &scope);
		pthread_mutex_unlock(&e->mu);
		struct wd_audit a;
		wd_engine_audit_scope(e, (size_t)i, &scope, &a);
		wd_audit_free(&a);
		pthread_mutex_lock(&e->mu);
		wd_sched_done(&e->sched, (size_t)i, wd_mono_ms());
		pthread_mutex_unlock(&e->mu);
	}
	return NULL;
}

static void reload(struct wd_daemon *d)
{
	char err[1024];
	log_info("daemon", "SIGHUP: re-reading %s", d->opts.conf_path);
	struct wd_conf *c = xcalloc(1, sizeof *c);
	if (wd_conf_load(d->opts.conf_path, c, err, sizeof err) != 0) {
		log_redact(err, sizeof err);
		log_error("daemon", "reload refused: %s; keeping the running configuration", err);
		wd_metric_add("vigil_reload_failures_total", "", 1);
		free(c);
		return;
	}
	pthread_mutex_lock(&d->mu);
	if (d->pending) {
		wd_conf_free(d->pending);
		free(d->pending);
	}
	d->pending = c;
	pthread_mutex_unlock(&d->mu);
}

int wd_daemon_run(const struct wd_daemon_opts *o)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread exists, so every thread inherits it and
	 * only sigtimedwait below ever sees these signals. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct wd_daemon *d = xcalloc(1, sizeof *d);
	d->opts = *o;
	if (d->opts.flush_ms <= 0)
		d->opts.flush_ms = 5000;
	pthread_mutex_init(&d->mu, NULL);
	atomic_init(&d->stop, false);
	atomic_init(&d->last_ok_mono, 0);
	atomic_init(&d->started_mono, wd_mono_ms());
	atomic_init(&d->reloads, 0);
	atomic_init(&d->interval_ms, 30000);

	int rc = EX_OK_;
	char err[1024];
	struct wd_httpd *h = NULL;
	pthread_t thr;
	bool thr_started = false;
	struct wd_conf *c = wd_cmd_load_conf(o->conf_path, err, sizeof err);
	if (!c) {
		log_error("daemon", "config error: %s", err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		rc = EX_CONFIG_;
		goto out;
	}
	wd_engine_metrics_declare();
	wd_metric_declare("vigil_reloads_total", WD_MT_COUNTER, "configuration reloads applied");
	wd_metric_declare("vigil_reload_failures_total", WD_MT_COUNTER, "reloads refused (invalid config)");
	wd_metric_declare("vigil_deadman_pings_total", WD_MT_COUNTER, "dead-man pings sent");
	wd_metric_add("vigil_reloads_total", "", 0);
	wd_metric_add("vigil_reload_failures_total", "", 0);
	wd_metric_add("vigil_deadman_pings_total", "", 0);
	wd_metric_set("vigil_up", "", 1);
	char metrics_listen[WD_NAME_MAX];
	snprintf(metrics_listen, sizeof metrics_listen, "%s", c->metrics_listen);
	d->eng = engine_create(d, c, err, sizeof err);
	if (!d->eng) {
		log_error("daemon", "cannot start: %s", err);
		fprintf(stderr, "vigil: cannot start: %s\n", err);
		rc = EX_CONFIG_;
		goto out;
	}
	if (metrics_listen[0]) {
		h = wd_httpd_start(metrics_listen, health, d, err, sizeof err);
		if (!h) {
			log_error("daemon", "%s", err);
			fprintf(stderr, "vigil: %s\n", err);
			rc = EX_UNAVAILABLE_;
			goto out;
		}
		char mhost[64] = "127.0.0.1", perr[160];
		int mport;
		if (wd_parse_listen(metrics_listen, mhost, sizeof mhost, &mport, perr, sizeof perr) != 0)
			snprintf(mhost, sizeof mhost, "127.0.0.1");
		log_info("daemon", "metrics on http://%s%s%s:%d/metrics", strchr(mhost, ':') ? "[" : "", mhost,
			 strchr(mhost, ':') ? "]" : "", wd_httpd_port(h));
	}
	if (d->eng->conf->api.listen[0]) {
		d->api = wd_api_start(&d->eng->conf->api, err, sizeof err);
		if (!d->api) {
			log_error("daemon", "%s", err);
			fprintf(stderr, "vigil: %s\n", err);
			rc = EX_UNAVAILABLE_;
			goto out;
		}
		wd_api_attach(d->api, d->eng);
		d->eng->on_stream_event = wd_api_on_event;
		d->eng->on_stream_event_ud = d->api;
		log_info("daemon", "api on %s (read-only)", wd_api_where(d->api));
	}
	/* the first claim round decides which accounts are this instance's
	 * (each one it takes has its journal checked then) */
	wd_shard_tick(d->eng, true);
	for (size_t i = 0; i < d->eng->n && !d->eng->shard; i++)
		wd_engine_recover(d->eng, i);
	wd_engine_streams_start(d->eng);
	wd_alerts_start_notifier(d->eng);
	if (pthread_create(&thr, NULL, engine_main, d) != 0) {
		log_error("daemon", "engine thread: %s", strerror(errno));
		rc = EX_SOFTWARE_;
		goto out;
	}
	thr_started = true;
	log_info("daemon", "vigil %s running: %zu account%s, audit every %lld ms, pid %d", VIGIL_VERSION, d->eng->n,
		 d->eng->n == 1 ? "" : "s", (long long)atomic_load(&d->interval_ms), (int)getpid());

	int64_t trimmed = wd_mono_ms();
	for (;;) {
		struct timespec ts = { .tv_sec = 1, .tv_nsec = 0 };
		int sig = sigtimedwait(&set, NULL, &ts);
		if (wd_mono_ms() - trimmed >= 60000) {
			/* hand freed pages back: detections copy large caches, and
			 * the holes glibc keeps between live blocks otherwise show
			 * as RSS that grows with uptime (tests/bench soak) */
			malloc_trim(0);
			trimmed = wd_mono_ms();
		}
		if (sig == SIGHUP) {
			reload(d);
		} else if (sig == SIGTERM || sig == SIGINT) {
			log_info("daemon", "%s: stopping (finishing the audit in flight)",
				 sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
	}
out:
	atomic_store(&d->stop, true);
	if (thr_started)
		pthread_join(thr, NULL);
	wd_api_stop(d->api); /* waiters answered, threads joined, socket removed */
	d->api = NULL;
	if (d->eng) {
		wd_engine_streams_stop(d->eng);
		wd_alerts_close(d->eng, d->opts.flush_ms);
	}
	wd_httpd_stop(h);
	wd_engine_free(d->eng);
	if (d->pending) {
		wd_conf_free(d->pending);
		free(d->pending);
	}
	pthread_mutex_destroy(&d->mu);
	free(d);
	wd_metrics_reset();
	if (rc == EX_OK_)
		log_info("daemon", "stopped");
	return rc;
}
