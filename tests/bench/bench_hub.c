/* Many accounts on one stream hub, in process, against one vigil-sim.
 *
 *   bench_hub [ACCOUNTS [IDLE_S [EVENTS_PER_S [LOAD_S]]]]   (200 10 500 10)
 *
 * ACCOUNTS adapters (half Binance, half Bybit) open their private streams
 * on the hub (exchanges/xch_ws.c). With BENCH_TLS_DIR set, vigil-sim is
 * started with --tls-dir DIR and every REST and stream URL is https:// /
 * wss:// with ca_file DIR/ca.pem (BENCH_VIGIL_CA=FILE: that file instead;
 * make bench gives the system's bundle plus the test CA, the size of trust
 * a deployment has). Figures:
 *   hub_<n>acct_connect_s      start to every stream up
 *   hub_<n>acct_threads        threads of the process with every stream up
 *                              (the bench's own main thread included)
 *   hub_<n>acct_idle_cpu_pct   CPU of the process over IDLE_S with every
 *                              stream up and nothing happening, % of a core
 *   hub_<n>acct_rss_kib        peak RSS (VmHWM) at the end
 *   hub_<n>acct_detect_p50/p99/max, _count, _missed
 *                              under EVENTS_PER_S position steps a second,
 *                              spread over the accounts (open, then close,
 *                              round-robin): from recv_ns of the frame after
 *                              which the copied cache first shows the position
 *                              open (as bench_detect's t0) to UNPROTECTED_POSITION
 *                              (the symbol's cache entries copied and a
 *                              scoped rec_classify, as the daemon's targeted
 *                              check does; the bot's row present, grace 0)
 * Prints "name value unit" lines. */
#include <curl/curl.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "exchanges/exchange.h"
#include "reconcile/reconcile.h"
#include "tests/support/testutil.h"
#include "base/log.h"
#include "base/xalloc.h"

#define SYM "LTCUSDT"
#define MAXACCT 1000

static int sim_port;
static const char *tls_dir;

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- per-account state, shared with the hub's service thread ---- */

struct acct {
	struct xch *x;
	char key[32], secret[32];
	atomic_bool armed; /* an open step is out: watch for the position */
	atomic_int gen;    /* which open step (events of an earlier one are stale) */
	bool open;         /* pusher's view */
};
static struct acct A[MAXACCT];
static int nacct;

/* events to examine, in arrival order (service thread -> detector) */
#define RING 65536
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int idx[RING], gen[RING];
	int64_t recv_ns[RING];
	uint64_t head, tail;
} Q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void on_event(void *ud, const char *symbol, int64_t recv_ns)
{
	struct acct *a = ud;
	if (!atomic_load(&a->armed) || strcmp(symbol, SYM) != 0)
		return;
	pthread_mutex_lock(&Q.mu);
	if (Q.head - Q.tail < RING) {
		Q.gen[Q.head % RING] = atomic_load(&a->gen);
		Q.recv_ns[Q.head % RING] = recv_ns;
		Q.idx[Q.head++ % RING] = (int)(a - A);
	}
	pthread_cond_signal(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
}

/* ---- the sim's control API ---- */

static size_t drop(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return sz * n;
}

static void base_url(char *out, size_t cap, const char *scheme)
{
	snprintf(out, cap, "%s%s://127.0.0.1:%d", scheme, tls_dir ? "s" : "", sim_port);
}

static int sim_step(CURL *c, const char *json)
{
	char url[160];
	base_url(url, sizeof url, "http");
	strcat(url, "/_sim/step");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	return curl_easy_perform(c) == CURLE_OK ? 0 : -1;
}

static CURL *sim_handle(struct curl_slist **h)
{
	CURL *c = curl_easy_init();
	*h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, drop);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (tls_dir) {
		char ca[1024];
		snprintf(ca, sizeof ca, "%s/ca.pem", tls_dir);
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	}
	return c;
}

/* ---- figures ---- */

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmHWM: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- the detector: copy the account's cache, classify ---- */

static atomic_bool stop_detector;
static double *lat;
static atomic_int nlat;
static int latcap;

static void *detector(void *arg)
{
	(void)arg;
	struct rec_stream_cache *sc = xmalloc(sizeof *sc);
	struct rec_params prm;
	rec_params_default(&prm);
	prm.grace_open_ms = prm.grace_order_ms = 0;
	struct rec_memory *mem = rec_memory_new();
	const char sym[REC_SYM_MAX] = SYM;
	for (;;) {
		pthread_mutex_lock(&Q.mu);
		while (Q.tail == Q.head && !atomic_load(&stop_detector))
			pthread_cond_wait(&Q.cv, &Q.mu);
		if (Q.tail == Q.head) {
			pthread_mutex_unlock(&Q.mu);
			break;
		}
		int gen = Q.gen[Q.tail % RING];
		int64_t recv_ns = Q.recv_ns[Q.tail % RING];
		struct acct *a = &A[Q.idx[Q.tail++ % RING]];
		pthread_mutex_unlock(&Q.mu);
		/* the daemon's targeted check of the event's symbol: that
		 * symbol's entries copied, not the whole cache */
		if (!atomic_load(&a->armed) || gen != atomic_load(&a->gen) ||
		    xch_stream_copy_of(a->x, &sym, 1, sc) != 0)
			continue;
		const struct rec_position *p = rec_stream_find_position(sc, SYM, REC_PIDX_BOTH);
		if (!p || p->size <= 0)
			continue; /* a frame before the one that opens it */
		struct rec_bot_row row;
		memset(&row, 0, sizeof row);
		snprintf(row.symbol, sizeof row.symbol, "%s", SYM);
		snprintf(row.exchange, sizeof row.exchange, "%s",
			 a->x->cfg.exchange == REC_EX_BYBIT ? "bybit" : "binance");
		snprintf(row.status, sizeof row.status, "active");
		row.side = REC_SIDE_LONG;
		row.qty = 0.1;
		snprintf(prm.bot_exchange, sizeof prm.bot_exchange, "%s", row.exchange);
		struct rec_snapshot s;
		memset(&s, 0, sizeof s);
		snprintf(s.account, sizeof s.account, "%s", a->x->cfg.account);
		s.exchange = a->x->cfg.exchange;
		s.now_ms = tu_wall_ms();
		s.stream = sc;
		s.rest_pos_ok = s.orders_ok = true; /* an empty listing from before the fill */
		s.rest_fetched_ms = s.now_ms - 1000;
		s.bot_ok = true;
		s.bot = &row;
		s.nbot = 1;
		s.scope = &sym;
		s.nscope = 1;
		struct rec_finding *f = NULL;
		size_t nf = 0;
		rec_classify(&s, &prm, mem, &f, &nf);
		int64_t t = tu_mono_ns();
		for (size_t i = 0; i < nf; i++)
			if (f[i].code == REC_UNPROTECTED_POSITION && !strcmp(f[i].symbol, SYM)) {
				int n = atomic_fetch_add(&nlat, 1);
				if (n < latcap)
					lat[n] = (t - recv_ns) / 1e6;
				atomic_store(&a->armed, false);
				break;
			}
		free(f);
	}
	rec_memory_free(mem);
	free(sc);
	return NULL;
}

int main(int argc, char **argv)
{
	nacct = argc > 1 ? atoi(argv[1]) : 200;
	int idle_s = argc > 2 ? atoi(argv[2]) : 10;
	int rate = argc > 3 ? atoi(argv[3]) : 500;
	int load_s = argc > 4 ? atoi(argv[4]) : 10;
	if (nacct < 2 || nacct > MAXACCT || idle_s < 1 || rate < 1 || load_s < 1) {
		fprintf(stderr, "usage: bench_hub [ACCOUNTS(2-%d) [IDLE_S [EVENTS_PER_S [LOAD_S]]]]\n", MAXACCT);
		return 2;
	}
	tls_dir = getenv("BENCH_TLS_DIR");
	if (tls_dir && !*tls_dir)
		tls_dir = NULL;
	log_set_level(LOG_LVL_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* the sim, with every account */
	char **sargv = xcalloc((size_t)(2 * nacct + 8), sizeof *sargv);
	char(*spec)[96] = xcalloc((size_t)nacct, sizeof *spec);
	int n = 0;
	sargv[n++] = (char *)tu_build_path("vigil-sim");
	sargv[n++] = "--port";
	sargv[n++] = "0";
	if (tls_dir) {
		sargv[n++] = "--tls-dir";
		sargv[n++] = (char *)tls_dir;
	}
	for (int i = 0; i < nacct; i++) {
		struct acct *a = &A[i];
		snprintf(a->key, sizeof a->key, "bench-key-%d", i);
		snprintf(a->secret, sizeof a->secret, "bench-secret-%d", i);
		snprintf(spec[i], sizeof spec[i], "%s:%s:%s", i % 2 ? "bybit" : "binance", a->key, a->secret);
		sargv[n++] = "--account";
		sargv[n++] = spec[i];
	}
	pid_t sim = tu_spawn_server(sargv, &sim_port, 10000);
	if (sim <= 0) {
		fprintf(stderr, "bench_hub: vigil-sim did not start\n");
		return 1;
	}

	int threads0 = threads();
	int64_t t0 = tu_mono_ns();
	for (int i = 0; i < nacct; i++) {
		struct acct *a = &A[i];
		struct xch_config c;
		memset(&c, 0, sizeof c);
		c.exchange = i % 2 ? REC_EX_BYBIT : REC_EX_BINANCE;
		snprintf(c.account, sizeof c.account, "bench-%d", i);
		base_url(c.rest_url, sizeof c.rest_url, "http");
		base_url(c.ws_url, sizeof c.ws_url, "ws");
		if (c.exchange == REC_EX_BYBIT)
			strcat(c.ws_url, "/v5/private");
		if (tls_dir && getenv("BENCH_VIGIL_CA")) /* the trust a deployment has (run.sh) */
			snprintf(c.ca_file, sizeof c.ca_file, "%s", getenv("BENCH_VIGIL_CA"));
		else if (tls_dir)
			snprintf(c.ca_file, sizeof c.ca_file, "%s/ca.pem", tls_dir);
		c.api_key = a->key;
		c.api_secret = a->secret;
		c.recv_window_ms = 5000;
		c.connect_timeout_ms = 3000;
		c.request_timeout_ms = 5000;
		c.on_event = on_event;
		c.on_event_ud = a;
		snprintf(c.egress, sizeof c.egress, "bench-%d", i);
		c.budget.limit = 1000000;
		c.budget.window_ms = 60000;
		c.budget.share = 1.0;
		c.budget.high_water = 0.9;
		c.budget.repair_reserve = 0.1;
		struct xch_err e = { 0 };
		a->x = xch_new(&c, &e);
		if (!a->x || a->x->ops->stream_start(a->x, &e) != XCH_OK) {
			fprintf(stderr, "bench_hub: account %d: %s\n", i, e.msg);
			return 1;
		}
	}
	struct rec_stream_cache *sc = xmalloc(sizeof *sc);
	int up = 0;
	for (int tries = 0; tries < 3000 && up < nacct; tries++) {
		up = 0;
		for (int i = 0; i < nacct; i++)
			up += xch_stream_copy(A[i].x, sc) == 0 && sc->state == REC_SS_UP;
		if (up < nacct)
			sleep_ms(10);
	}
	free(sc);
	double connect_s = (tu_mono_ns() - t0) / 1e9;
	printf("hub_%dacct_tls %d bool\n", nacct, tls_dir != NULL);
	printf("hub_%dacct_streams_up %d streams\n", nacct, up);
	printf("hub_%dacct_connect_s %.2f s\n", nacct, connect_s);
	printf("hub_%dacct_threads %d threads\n", nacct, threads());
	printf("hub_%dacct_threads_added %d threads\n", nacct, threads() - threads0);
	fflush(stdout);

	sleep_ms(1000); /* settle: the connect work is done */
	double c0 = cpu_s();
	int64_t w0 = tu_mono_ns();
	sleep_ms((int64_t)idle_s * 1000);
	printf("hub_%dacct_idle_cpu_pct %.2f %%\n", nacct, 100.0 * (cpu_s() - c0) / ((tu_mono_ns() - w0) / 1e9));
	fflush(stdout);

	/* load: rate steps a second, round-robin over the accounts */
	latcap = rate * load_s + 16;
	lat = xcalloc((size_t)latcap, sizeof *lat);
	pthread_t det;
	pthread_create(&det, NULL, detector, NULL);
	struct curl_slist *h;
	CURL *c = sim_handle(&h);
	int total = rate * load_s, opens = 0, failed = 0;
	int64_t start = tu_mono_ns(), gap = 1000000000LL / rate;
	for (int k = 0; k < total; k++) {
		int64_t due = start + k * gap, now = tu_mono_ns();
		if (due > now)
			sleep_ms((due - now) / 1000000);
		struct acct *a = &A[k % nacct];
		char js[256];
		if (!a->open) {
			atomic_fetch_add(&a->gen, 1);
			atomic_store(&a->armed, true);
			snprintf(js, sizeof js,
				 "{\"op\":\"open\",\"account\":\"%s\",\"symbol\":\"" SYM
				 "\",\"side\":\"BUY\",\"qty\":\"0.1\"}",
				 a->key);
			opens++;
		} else {
			atomic_store(&a->armed, false);
			snprintf(js, sizeof js, "{\"op\":\"close\",\"account\":\"%s\",\"symbol\":\"" SYM "\"}", a->key);
		}
		if (sim_step(c, js) != 0)
			failed++;
		else
			a->open = !a->open;
	}
	double achieved = total / ((tu_mono_ns() - start) / 1e9);
	sleep_ms(1000);
	atomic_store(&stop_detector, true);
	pthread_mutex_lock(&Q.mu);
	pthread_cond_broadcast(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
	pthread_join(det, NULL);
	curl_easy_cleanup(c);
	curl_slist_free_all(h);

	int nl = atomic_load(&nlat) < latcap ? atomic_load(&nlat) : latcap;
	printf("hub_%dacct_steps_per_s %.0f steps/s\n", nacct, achieved);
	if (nl > 0) {
		qsort(lat, (size_t)nl, sizeof *lat, cmpd);
		int i99 = (int)ceil(nl * 0.99) - 1;
		printf("hub_%dacct_detect_p50 %.3f ms\n", nacct, lat[nl / 2]);
		printf("hub_%dacct_detect_p99 %.3f ms\n", nacct, lat[i99 < 0 ? 0 : i99]);
		printf("hub_%dacct_detect_max %.3f ms\n", nacct, lat[nl - 1]);
	}
	printf("hub_%dacct_detect_count %d events\n", nacct, nl);
	printf("hub_%dacct_detect_missed %d events\n", nacct, opens - nl + failed);
	printf("hub_%dacct_rss_kib %ld KiB\n", nacct, vm_hwm_kib());
	fflush(stdout);

	for (int i = 0; i < nacct; i++)
		xch_free(A[i].x);
	tu_stop_server(sim);
	free(lat);
	free(spec);
	free(sargv);
	curl_global_cleanup();
	return 0;
}
