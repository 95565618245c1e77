/* Detection latency, in process, against vigil-sim on 127.0.0.1.
 *
 * Per exchange, N times: vigil-sim opens a position on the account (control
 * step "open": its fills go out on the private stream), with no stop and
 * the bot's row present, grace 0. Timestamps (CLOCK_MONOTONIC):
 *   t0  the adapter's on_event recv_ns of the first frame after which the
 *       stream cache shows the position open (frame received, before
 *       parsing);
 *   (a) UNPROTECTED_POSITION produced: stream cache copied, rec_classify
 *       on stream + the last REST listing (the stream is authoritative, so
 *       no REST round trip is on this path);
 *   (b) alert enqueued: alert_router_update -> in-memory outbox (the
 *       router's wakeup hook fires after the enqueue);
 *   (c) stop-loss acknowledged by vigil-sim, mode protect: a repair is
 *       only made on a finding REST confirms (while REST disagrees with the
 *       stream nothing is repairable, rule 2), so the path is fetch_listing
 *       (one parallel round trip) -> classify -> rec_plan_build ->
 *       rec_engine_run (journal intent, checks, place_stop); t = the
 *       moment place_stop returns the ack (the adapter's ops are wrapped).
 * Then the position is closed and the stop cancelled through the control
 * API and the next round starts once the stream shows it flat.
 *   bench_detect [EVENTS_PER_EXCHANGE]   (default 1000; vigil-sim spawned;
 *   BENCH_TLS_DIR=DIR: the sim over https / wss, its CA DIR/ca.pem)
 * Prints "name value unit" lines. */
#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/outbox_mem.h"
#include "alerts/router.h"
#include "exchanges/exchange.h"
#include "reconcile/journal_mem.h"
#include "reconcile/policy.h"
#include "reconcile/reconcile.h"
#include "reconcile/repair.h"
#include "tests/support/testutil.h"
#include "base/log.h"
#include "base/xalloc.h"

#define SYM "LTCUSDT"
#define RING 256

static int sim_port;
static const char *tls_dir; /* BENCH_TLS_DIR: the sim over https / wss with its test CA */
static char ca_path[1024];

/* ---- stream events (stream thread -> bench thread) ---- */

struct evq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t seq; /* events so far */
	int64_t recv_ns[RING];
	bool is_sym[RING];
};

static void on_event(void *ud, const char *symbol, int64_t recv_ns)
{
	struct evq *q = ud;
	pthread_mutex_lock(&q->mu);
	q->recv_ns[q->seq % RING] = recv_ns;
	q->is_sym[q->seq % RING] = strcmp(symbol, SYM) == 0;
	q->seq++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Waits (up to 3 s) for an event after seq *seen; returns the new seq. */
static uint64_t ev_wait(struct evq *q, uint64_t seen)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 3;
	pthread_mutex_lock(&q->mu);
	while (q->seq == seen)
		if (pthread_cond_timedwait(&q->cv, &q->mu, &dl) != 0)
			break;
	uint64_t s = q->seq;
	pthread_mutex_unlock(&q->mu);
	return s;
}

/* recv_ns of the first event about SYM in (from, to], else of event to. */
static int64_t ev_first(struct evq *q, uint64_t from, uint64_t to)
{
	int64_t t = 0;
	pthread_mutex_lock(&q->mu);
	if (to - from > RING)
		from = to - RING;
	for (uint64_t k = from; k < to && !t; k++)
		if (q->is_sym[k % RING])
			t = q->recv_ns[k % RING];
	if (!t && to > 0)
		t = q->recv_ns[(to - 1) % RING];
	pthread_mutex_unlock(&q->mu);
	return t;
}

/* ---- the sim's control API ---- */

static size_t drop(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static int sim_step(const char *json)
{
	char url[128];
	snprintf(url, sizeof url, "%s://127.0.0.1:%d/_sim/step", tls_dir ? "https" : "http", sim_port);
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (tls_dir)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_path);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- ack timestamps: the adapter's place_stop, wrapped ---- */

struct wrap {
	struct xch_ops ops;
	const struct xch_ops *orig;
	int64_t sent_ns, ack_ns;
	int rc;
};
static struct wrap wraps[2];

static int wrapped_place_stop(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err)
{
	struct wrap *w = &wraps[x->cfg.exchange == REC_EX_BYBIT];
	w->sent_ns = tu_mono_ns();
	int rc = w->orig->place_stop(x, req, ack, err);
	w->ack_ns = tu_mono_ns();
	w->rc = rc;
	return rc;
}

/* ---- alert enqueue timestamps ---- */

static int64_t enq_ns;
static void on_enqueue(void *arg)
{
	(void)arg;
	if (!enq_ns)
		enq_ns = tu_mono_ns();
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *name, double *v, int n)
{
	if (n <= 0) {
		printf("%s_count 0 events\n", name);
		return;
	}
	qsort(v, n, sizeof *v, cmpd);
	int i99 = (int)ceil(n * 0.99) - 1;
	printf("%s_p50 %.3f ms\n", name, v[n / 2]);
	printf("%s_p99 %.3f ms\n", name, v[i99 < 0 ? 0 : i99]);
	printf("%s_max %.3f ms\n", name, v[n - 1]);
	printf("%s_count %d events\n", name, n);
}

static const struct rec_finding *find_unprotected(const struct rec_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].code == REC_UNPROTECTED_POSITION && strcmp(f[i].symbol, SYM) == 0)
			return &f[i];
	return NULL;
}

static bool sym_open(const struct rec_stream_cache *c)
{
	const struct rec_position *p = rec_stream_find_position(c, SYM, REC_PIDX_BOTH);
	return p && p->size > 0;
}

struct res {
	double *a, *b, *c, *rt;
	int na, nb, nc, nrt, missed;
};

static void run_exchange(enum rec_exchange ex, int nev, struct res *R)
{
	const char *name = ex == REC_EX_BYBIT ? "bybit" : "binance";
	const char *key = ex == REC_EX_BYBIT ? "sim-bybit-key" : "sim-binance-key";
	const char *secret = ex == REC_EX_BYBIT ? "sim-bybit-secret" : "sim-binance-secret";
	struct evq q = { .seq = 0 };
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);

	struct xch_config xc;
	memset(&xc, 0, sizeof xc);
	xc.exchange = ex;
	snprintf(xc.account, sizeof xc.account, "bench-%s", name);
	snprintf(xc.rest_url, sizeof xc.rest_url, "%s://127.0.0.1:%d", tls_dir ? "https" : "http", sim_port);
	snprintf(xc.ws_url, sizeof xc.ws_url, "%s://127.0.0.1:%d%s", tls_dir ? "wss" : "ws", sim_port,
		 ex == REC_EX_BYBIT ? "/v5/private" : "");
	if (tls_dir)
		snprintf(xc.ca_file, sizeof xc.ca_file, "%s",
			 getenv("BENCH_VIGIL_CA") ? getenv("BENCH_VIGIL_CA") : ca_path);
	xc.api_key = key;
	xc.api_secret = secret;
	xc.recv_window_ms = 5000;
	xc.connect_timeout_ms = 2000;
	xc.request_timeout_ms = 5000;
	xc.on_event = on_event;
	xc.on_event_ud = &q;
	/* vigil-sim is no shared production IP: N full listings in a row must
	 * not be held back by the real budget (480 weight a minute by default,
	 * which would make (c) miss after ~4 rounds) */
	xc.budget.limit = 100000000;
	xc.budget.window_ms = 60000;
	xc.budget.share = 1.0;
	xc.budget.high_water = 0.9;
	xc.budget.repair_reserve = 0.1;
	struct xch_err xe = { 0 };
	struct xch *x = xch_new(&xc, &xe);
	if (!x) {
		fprintf(stderr, "bench_detect: %s adapter: %s\n", name, xe.msg);
		R->missed += nev;
		return;
	}
	struct wrap *w = &wraps[ex == REC_EX_BYBIT];
	w->orig = x->ops;
	w->ops = *x->ops;
	w->ops.place_stop = wrapped_place_stop;
	x->ops = &w->ops;

	struct rec_policy pol;
	rec_policy_default(&pol);
	snprintf(pol.account, sizeof pol.account, "%s", xc.account);
	pol.mode = REC_MODE_PROTECT;
	pol.stop_loss_percent = 2.0;
	pol.stop_ref = REC_STOPREF_ENTRY;

	struct rec_params prm;
	rec_params_default(&prm);
	prm.grace_open_ms = prm.grace_order_ms = 0;
	snprintf(prm.bot_exchange, sizeof prm.bot_exchange, "%s", name);
	struct rec_memory *mem = rec_memory_new();
	struct rec_clock clk = rec_clock_real();
	struct rec_journal *j = rec_journal_mem_new(NULL, NULL);
	struct rec_engine eng;
	rec_engine_init(&eng, x, &pol, j, &clk);
	struct alert_outbox *ob = alert_outbox_mem_new();
	struct alert_router_conf rc = { .repeat_interval_ms = 3600000, .warning_hold_ms = 0 };
	snprintf(rc.instance, sizeof rc.instance, "bench");
	struct alert_route route = { .min_severity = REC_SEV_INFO };
	snprintf(route.channel, sizeof route.channel, "log");
	struct alert_router *ar = alert_router_new(&rc, &route, 1, ob);
	alert_router_set_wakeup(ar, on_enqueue, NULL);

	struct rec_stream_cache *sc = xmalloc(sizeof *sc);
	static const char scope[1][REC_SYM_MAX] = { SYM };
	struct xch_listing base;
	memset(&base, 0, sizeof base);
	if (x->ops->stream_start(x, &xe) != XCH_OK) {
		fprintf(stderr, "bench_detect: %s stream: %s\n", name, xe.msg);
		R->missed += nev;
		goto out;
	}
	/* wait for the stream to come up, then warm up REST (instruments) */
	for (int i = 0; i < 300; i++) {
		if (xch_stream_copy(x, sc) == 0 && sc->state == REC_SS_UP)
			break;
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	rec_engine_instrument(&eng, SYM);
	xch_fetch_listing(x, &base);

	struct rec_bot_row row;
	memset(&row, 0, sizeof row);
	snprintf(row.symbol, sizeof row.symbol, "%s", SYM);
	snprintf(row.exchange, sizeof row.exchange, "%s", name);
	snprintf(row.status, sizeof row.status, "active");
	row.side = REC_SIDE_LONG;
	row.qty = 0.1;

	char step[256];
	snprintf(step, sizeof step,
		 "{\"op\":\"open\",\"account\":\"%s\",\"symbol\":\"" SYM "\",\"side\":\"BUY\",\"qty\":\"0.1\"}", key);
	char close_step[160], cancel_step[160];
	snprintf(close_step, sizeof close_step, "{\"op\":\"close\",\"account\":\"%s\",\"symbol\":\"" SYM "\"}", key);
	snprintf(cancel_step, sizeof cancel_step, "{\"op\":\"cancel\",\"account\":\"%s\",\"symbol\":\"" SYM "\"}", key);

	for (int it = 0; it < nev; it++) {
		pthread_mutex_lock(&q.mu);
		uint64_t seen = q.seq;
		pthread_mutex_unlock(&q.mu);
		if (sim_step(step) != 0) {
			R->missed++;
			continue;
		}
		/* follow the frames until the cache shows the position */
		int64_t t0 = 0;
		for (int tries = 0; tries < 50 && !t0; tries++) {
			uint64_t now_seq = ev_wait(&q, seen);
			if (now_seq == seen)
				break; /* 3 s without an event */
			if (xch_stream_copy_of(x, scope, 1, sc) == 0 && sym_open(sc))
				t0 = ev_first(&q, seen, now_seq);
			else
				seen = now_seq;
		}
		if (!t0) {
			R->missed++;
			goto cleanup;
		}
		/* (a): classify on the stream + the last REST listing: the
		 * daemon's targeted check of the symbol the frame was about
		 * (wd_engine_audit_scope), so only its entries were copied */
		struct rec_snapshot s;
		memset(&s, 0, sizeof s);
		s.scope = scope;
		s.nscope = 1;
		snprintf(s.account, sizeof s.account, "%s", pol.account);
		s.exchange = ex;
		s.now_ms = tu_wall_ms();
		s.stream = sc;
		s.rest_pos_ok = base.pos_rc == XCH_OK;
		s.rest_pos = base.pos;
		s.nrest_pos = base.npos;
		s.rest_fetched_ms = base.fetched_ms;
		s.orders_ok = base.ord_rc == XCH_OK;
		s.orders = base.ord;
		s.norders = base.nord;
		s.bot_ok = true;
		s.bot = &row;
		s.nbot = 1;
		struct rec_finding *f = NULL;
		size_t nf = 0;
		rec_classify(&s, &prm, mem, &f, &nf);
		int64_t ta = tu_mono_ns();
		if (!find_unprotected(f, nf)) {
			R->missed++;
			free(f);
			goto cleanup;
		}
		R->a[R->na++] = (ta - t0) / 1e6;
		/* (b): the alert router enqueues the new critical at once */
		enq_ns = 0;
		alert_router_update(ar, pol.account, f, nf, NULL, s.now_ms);
		free(f);
		if (enq_ns)
			R->b[R->nb++] = (enq_ns - t0) / 1e6;
		/* (c): REST confirms, then protect places the stop (a full
		 * audit: the whole listing, the whole account) */
		struct xch_listing l;
		xch_fetch_listing(x, &l);
		s.scope = NULL;
		s.nscope = 0;
		s.now_ms = tu_wall_ms();
		s.rest_pos_ok = l.pos_rc == XCH_OK;
		s.rest_pos = l.pos;
		s.nrest_pos = l.npos;
		s.rest_fetched_ms = l.fetched_ms;
		s.orders_ok = l.ord_rc == XCH_OK;
		s.orders = l.ord;
		s.norders = l.nord;
		rec_classify(&s, &prm, mem, &f, &nf);
		struct rec_plan plan;
		memset(&plan, 0, sizeof plan);
		rec_plan_build(&pol, f, nf, NULL, 0, s.now_ms, &plan);
		struct rec_report rep;
		memset(&rep, 0, sizeof rep);
		w->ack_ns = 0;
		rec_engine_run(&eng, &plan, &rep);
		if (w->ack_ns && w->rc == XCH_OK) {
			R->c[R->nc++] = (w->ack_ns - t0) / 1e6;
			R->rt[R->nrt++] = (w->ack_ns - w->sent_ns) / 1e6;
		} else
			R->missed++;
		rec_report_free(&rep);
		rec_plan_free(&plan);
		free(f);
		xch_listing_free(&l);
cleanup:
		sim_step(close_step);
		sim_step(cancel_step);
		/* wait until the stream shows it flat, then let findings resolve */
		for (int tries = 0; tries < 100; tries++) {
			if (xch_stream_copy(x, sc) == 0 && !sym_open(sc))
				break;
			pthread_mutex_lock(&q.mu);
			seen = q.seq;
			pthread_mutex_unlock(&q.mu);
			ev_wait(&q, seen);
		}
		memset(&s, 0, sizeof s);
		snprintf(s.account, sizeof s.account, "%s", pol.account);
		s.exchange = ex;
		s.now_ms = tu_wall_ms();
		s.stream = sc;
		s.rest_pos_ok = s.orders_ok = s.bot_ok = true;
		s.rest_fetched_ms = s.now_ms;
		rec_classify(&s, &prm, mem, &f, &nf);
		alert_router_update(ar, pol.account, f, nf, NULL, s.now_ms);
		free(f);
	}
	printf("detect_%s_outbox_pending %zu messages\n", name, ob->ops->pending(ob, "log"));
out:
	x->ops->stream_stop(x);
	xch_listing_free(&base);
	free(sc);
	alert_router_free(ar);
	ob->ops->destroy(ob);
	rec_engine_free(&eng);
	j->ops->destroy(j);
	rec_memory_free(mem);
	x->ops = w->orig;
	xch_free(x);
	pthread_mutex_destroy(&q.mu);
	pthread_cond_destroy(&q.cv);
}

int main(int argc, char **argv)
{
	int nev = argc > 1 ? atoi(argv[1]) : 1000;
	if (nev < 1 || nev > 100000)
		nev = 1000;
	log_set_level(LOG_LVL_ERROR);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tls_dir = getenv("BENCH_TLS_DIR");
	if (tls_dir && !*tls_dir)
		tls_dir = NULL;
	if (tls_dir)
		snprintf(ca_path, sizeof ca_path, "%s/ca.pem", tls_dir);
	pid_t sim = tls_dir ? tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0",
							  "--tls-dir", (char *)tls_dir, NULL },
					      &sim_port, 5000)
			    : tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", NULL },
					      &sim_port, 5000);
	if (sim < 0) {
		fprintf(stderr, "bench_detect: could not start vigil-sim\n");
		return 1;
	}
	struct res all[2];
	for (int e = 0; e < 2; e++) {
		struct res *R = &all[e];
		memset(R, 0, sizeof *R);
		R->a = xcalloc(nev, sizeof(double));
		R->b = xcalloc(nev, sizeof(double));
		R->c = xcalloc(nev, sizeof(double));
		R->rt = xcalloc(nev, sizeof(double));
		run_exchange(e ? REC_EX_BYBIT : REC_EX_BINANCE, nev, R);
	}
	tu_stop_server(sim);
	double *a = xcalloc(2 * nev, sizeof(double)), *b = xcalloc(2 * nev, sizeof(double)),
	       *c = xcalloc(2 * nev, sizeof(double));
	int na = 0, nb = 0, nc = 0;
	for (int e = 0; e < 2; e++) {
		struct res *R = &all[e];
		memcpy(a + na, R->a, R->na * sizeof *a);
		na += R->na;
		memcpy(b + nb, R->b, R->nb * sizeof *b);
		nb += R->nb;
		memcpy(c + nc, R->c, R->nc * sizeof *c);
		nc += R->nc;
	}
	for (int e = 0; e < 2; e++) {
		struct res *R = &all[e];
		const char *n = e ? "bybit" : "binance";
		char nm[64];
		snprintf(nm, sizeof nm, "detect_%s_a_frame_to_finding", n);
		report(nm, R->a, R->na);
		snprintf(nm, sizeof nm, "detect_%s_b_frame_to_alert", n);
		report(nm, R->b, R->nb);
		snprintf(nm, sizeof nm, "detect_%s_c_frame_to_stop_ack", n);
		report(nm, R->c, R->nc);
		snprintf(nm, sizeof nm, "detect_%s_stop_rest_rtt", n);
		report(nm, R->rt, R->nrt);
		printf("detect_%s_missed %d events\n", n, R->missed);
		free(R->a);
		free(R->b);
		free(R->c);
		free(R->rt);
	}
	report("detect_all_a_frame_to_finding", a, na);
	report("detect_all_b_frame_to_alert", b, nb);
	report("detect_all_c_frame_to_stop_ack", c, nc);
	free(a);
	free(b);
	free(c);
	curl_global_cleanup();
	return 0;
}
