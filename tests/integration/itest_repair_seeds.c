/* The seed incidents end to end against vigil-sim, through the real
 * adapters: adapter listing + stream -> classifier -> policy -> repair
 * engine. Outcomes are asserted from vigil-sim's own account state (its
 * positions, open orders and every order it received), never from vigil's
 * logs. One sim for the suite; each test resets it. */
#include <CUnit/CUnit.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exchanges/exchange.h"
#include "reconcile/journal_mem.h"
#include "reconcile/policy.h"
#include "reconcile/reconcile.h"
#include "reconcile/repair.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static pid_t sim_pid;
static int sim_port;

struct buf {
	char *p;
	size_t n;
};

static size_t wr(char *d, size_t s, size_t n, void *ud)
{
	struct buf *b = ud;
	b->p = xrealloc(b->p, b->n + s * n + 1);
	memcpy(b->p + b->n, d, s * n);
	b->n += s * n;
	b->p[b->n] = '\0';
	return s * n;
}

/* Control API call; returns parsed JSON (put it) or NULL. */
static struct json_object *sim(const char *method, const char *path, const char *body)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", sim_port, path);
	CURL *c = curl_easy_init();
	struct buf b = { 0 };
	struct curl_slist *h = NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wr);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (strcmp(method, "GET") && strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	struct json_object *o = rc == CURLE_OK && b.p ? json_tokener_parse(b.p) : NULL;
	if (!o)
		fprintf(stderr, "sim %s %s: %s\n", method, path, b.p ? b.p : curl_easy_strerror(rc));
	free(b.p);
	return o;
}

static bool sim_ok(const char *path, const char *body)
{
	struct json_object *o = sim("POST", path, body), *v;
	bool ok = o && json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
	if (o && !ok)
		fprintf(stderr, "sim %s %s -> %s\n", path, body, json_object_to_json_string(o));
	if (o)
		json_object_put(o);
	return ok;
}

static const char *js(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static struct json_object *state(const char *key)
{
	char path[128];
	snprintf(path, sizeof path, "/_sim/state?account=%s", key);
	return sim("GET", path, NULL);
}

static double sim_amt(const char *key, const char *sym)
{
	struct json_object *s = state(key), *ps;
	double amt = 0;
	if (s && json_object_object_get_ex(s, "positions", &ps))
		for (size_t i = 0; i < json_object_array_length(ps); i++) {
			struct json_object *p = json_object_array_get_idx(ps, i);
			if (!strcmp(js(p, "symbol"), sym))
				amt = atof(js(p, "amt"));
		}
	if (s)
		json_object_put(s);
	return amt;
}

/* Orders vigil sent (client id vgl-...) for sym: count, and how many BUY / SELL.
 * open_stops: the sim's `stops`, i.e. orders that protect an open leg of sym
 * (none once the symbol is flat); open_cond: every open conditional order of
 * sym (`conditional_orders`: a stop left behind on a flat symbol counts). */
struct sent {
	int n, buy, sell, open_stops, open_cond;
	double stop_qty, stop_trigger;
};
static struct sent sim_sent(const char *key, const char *sym)
{
	struct sent r = { 0 };
	struct json_object *s = state(key), *all;
	if (s && json_object_object_get_ex(s, "orders", &all))
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			struct json_object *o = json_object_array_get_idx(all, i);
			if (strcmp(js(o, "symbol"), sym) || strncmp(js(o, "client_id"), "vgl-", 4))
				continue;
			r.n++;
			if (!strcmp(js(o, "side"), "BUY"))
				r.buy++;
			else if (!strcmp(js(o, "side"), "SELL"))
				r.sell++;
		}
	if (s && json_object_object_get_ex(s, "stops", &all))
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			struct json_object *o = json_object_array_get_idx(all, i);
			if (!strcmp(js(o, "symbol"), sym)) {
				r.open_stops++;
				r.stop_trigger = atof(js(o, "trigger"));
			}
		}
	if (s && json_object_object_get_ex(s, "conditional_orders", &all))
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			struct json_object *o = json_object_array_get_idx(all, i);
			if (!strcmp(js(o, "symbol"), sym)) {
				r.open_cond++;
				r.stop_qty = atof(js(o, "qty"));
			}
		}
	if (s)
		json_object_put(s);
	return r;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- one vigil account against the sim ---- */

struct it {
	enum rec_exchange ex;
	const char *key;
	struct xch *x;
	struct rec_clock clk;
	struct rec_journal *j;
	struct rec_policy pol;
	struct rec_engine e;
	struct rec_memory *m;
	struct rec_stream_cache *sc;
	struct rec_plan plan;
	struct rec_report rep;
	struct rec_finding *f;
	size_t nf;
};

static int64_t it_now(void *ud)
{
	return rec_now((const struct rec_clock *)ud);
}

static bool stream_has(struct it *t, const char *sym, double size)
{
	int64_t end = mono_ms() + 4000;
	do {
		if (xch_stream_copy(t->x, t->sc) == 0 && t->sc->state == REC_SS_UP) {
			if (!sym)
				return true;
			const struct rec_position *p = rec_stream_find_position(t->sc, sym, REC_PIDX_BOTH);
			if (p && p->size > size - 1e-9 && p->size < size + 1e-9)
				return true;
		}
		usleep(20000);
	} while (mono_ms() < end);
	return false;
}

/* Bybit: the auth and subscribe answers have arrived (the stream's last
 * message is newer than the connection, twice over a short wait). */
static void stream_answered(struct it *t)
{
	int64_t end = mono_ms() + 4000;
	int seen = 0;
	int64_t last = 0;
	while (mono_ms() < end && seen < 2) {
		if (xch_stream_copy(t->x, t->sc) == 0 && t->sc->last_msg_ms > t->sc->connected_ms &&
		    t->sc->last_msg_ms != last) {
			last = t->sc->last_msg_ms;
			seen++;
		}
		usleep(20000);
	}
	usleep(100000);
}

static struct it *it_new(enum rec_exchange ex, enum rec_mode mode)
{
	CU_ASSERT_FATAL(sim_pid > 0);
	CU_ASSERT_FATAL(sim_ok("/_sim/reset", "{}"));
	struct it *t = xcalloc(1, sizeof *t);
	t->ex = ex;
	t->key = ex == REC_EX_BINANCE ? "sim-binance-key" : "sim-bybit-key";
	struct xch_config c;
	memset(&c, 0, sizeof c);
	c.exchange = ex;
	snprintf(c.account, sizeof c.account, "seed");
	snprintf(c.rest_url, sizeof c.rest_url, "http://127.0.0.1:%d", sim_port);
	if (ex == REC_EX_BINANCE)
		snprintf(c.ws_url, sizeof c.ws_url, "ws://127.0.0.1:%d", sim_port);
	else
		snprintf(c.ws_url, sizeof c.ws_url, "ws://127.0.0.1:%d/v5/private", sim_port);
	c.api_key = t->key;
	c.api_secret = ex == REC_EX_BINANCE ? "sim-binance-secret" : "sim-bybit-secret";
	c.recv_window_ms = 5000;
	c.connect_timeout_ms = 1000;
	c.request_timeout_ms = 2000;
	struct xch_err err;
	t->x = xch_new(&c, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->x);
	CU_ASSERT_EQUAL(t->x->ops->stream_start(t->x, &err), XCH_OK);
	t->sc = xcalloc(1, sizeof *t->sc);
	CU_ASSERT(stream_has(t, NULL, 0));
	/* the stream counts as up once connected; Bybit's auth and subscribe
	 * answers follow: a position opened before the subscription is never
	 * pushed to this connection. Wait for both answers (two messages). */
	if (ex == REC_EX_BYBIT)
		stream_answered(t);
	t->clk = rec_clock_real();
	t->j = rec_journal_mem_new(it_now, &t->clk);
	rec_policy_default(&t->pol);
	snprintf(t->pol.account, sizeof t->pol.account, "seed");
	t->pol.mode = mode;
	t->pol.orphan_action = REC_ORPHAN_CLOSE;
	t->pol.stop_loss_percent = 2.0;
	t->pol.stop_ref = REC_STOPREF_ENTRY;
	rec_engine_init(&t->e, t->x, &t->pol, t->j, &t->clk);
	t->e.ctx.cfg.budget_ms = 4000;
	t->e.ctx.cfg.gone_interval_ms = 300;
	t->m = rec_memory_new();
	return t;
}

static void it_free(struct it *t)
{
	rec_engine_free(&t->e);
	rec_plan_free(&t->plan);
	rec_report_free(&t->rep);
	free(t->f);
	rec_memory_free(t->m);
	t->j->ops->destroy(t->j);
	xch_free(t->x);
	free(t->sc);
	free(t);
}

/* One audit: listing + stream -> findings -> plan -> engine. */
static void it_audit(struct it *t, const struct rec_bot_row *bot, size_t nbot)
{
	struct xch_listing l;
	xch_fetch_listing(t->x, &l);
	xch_stream_copy(t->x, t->sc);
	struct rec_snapshot s;
	memset(&s, 0, sizeof s);
	snprintf(s.account, sizeof s.account, "seed");
	s.exchange = t->ex;
	s.now_ms = rec_now(&t->clk);
	s.stream = t->sc;
	s.rest_pos_ok = l.pos_rc == XCH_OK;
	s.rest_pos = l.pos;
	s.nrest_pos = l.npos;
	s.rest_fetched_ms = s.now_ms;
	s.orders_ok = l.ord_rc == XCH_OK;
	s.orders = l.ord;
	s.norders = l.nord;
	s.bot_ok = true;
	s.bot = bot;
	s.nbot = nbot;
	struct rec_params p;
	rec_params_default(&p);
	p.grace_open_ms = 0;
	p.grace_order_ms = 0;
	p.rest_lag_tolerance_ms = 1000;
	free(t->f);
	t->f = NULL;
	rec_classify(&s, &p, t->m, &t->f, &t->nf);
	struct xch_instrument *ins = NULL;
	size_t nins = 0;
	struct xch_err err;
	t->x->ops->instruments(t->x, &ins, &nins, &err);
	rec_plan_free(&t->plan);
	rec_plan_build(&t->pol, t->f, t->nf, ins, nins, s.now_ms, &t->plan);
	free(ins);
	rec_engine_run(&t->e, &t->plan, &t->rep);
	xch_listing_free(&l);
}

static bool it_found(struct it *t, enum rec_code code, const char *sym)
{
	for (size_t i = 0; i < t->nf; i++)
		if (t->f[i].code == code && !strcmp(t->f[i].symbol, sym))
			return true;
	for (size_t i = 0; i < t->rep.nfind; i++)
		if (t->rep.findings[i].code == code && !strcmp(t->rep.findings[i].symbol, sym))
			return true;
	return false;
}

static void sim_open(struct it *t, const char *sym, const char *side, const char *qty)
{
	char body[256];
	snprintf(body, sizeof body,
		 "{\"op\":\"open\",\"account\":\"%s\",\"symbol\":\"%s\",\"side\":\"%s\",\"qty\":\"%s\"}", t->key, sym,
		 side, qty);
	CU_ASSERT(sim_ok("/_sim/step", body));
}

static void sim_step(const char *json)
{
	CU_ASSERT(sim_ok("/_sim/step", json));
}

/* ---- the seeds ---- */

/* AVLUSDT (seeds 001/003): the doubled position (86 long, no bot row). */
static void avl_doubled(enum rec_exchange ex, enum rec_mode mode)
{
	struct it *t = it_new(ex, mode);
	sim_open(t, "AVLUSDT", "BUY", "86");
	CU_ASSERT_FATAL(stream_has(t, "AVLUSDT", 86));
	it_audit(t, NULL, 0);
	CU_ASSERT(it_found(t, REC_ORPHAN_POSITION, "AVLUSDT"));
	struct sent s = sim_sent(t->key, "AVLUSDT");
	CU_ASSERT_EQUAL(s.buy, 0); /* never a Buy from vigil */
	if (mode == REC_MODE_FULL) {
		CU_ASSERT_EQUAL(s.sell, 1);
		CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "AVLUSDT"), 0, 1e-9);
	} else {
		CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "AVLUSDT"), 86, 1e-9);
		CU_ASSERT_EQUAL(s.open_stops, 1);
		CU_ASSERT_DOUBLE_EQUAL(s.stop_trigger, 0.245, 1e-9);
		/* a second audit sends nothing new */
		it_audit(t, NULL, 0);
		CU_ASSERT_EQUAL(sim_sent(t->key, "AVLUSDT").n, s.n);
	}
	it_free(t);
}

static void itest_avlusdt_full_closes_with_sell_binance(void)
{
	avl_doubled(REC_EX_BINANCE, REC_MODE_FULL);
}
static void itest_avlusdt_full_closes_with_sell_bybit(void)
{
	avl_doubled(REC_EX_BYBIT, REC_MODE_FULL);
}
static void itest_avlusdt_protect_places_sell_stop_binance(void)
{
	avl_doubled(REC_EX_BINANCE, REC_MODE_PROTECT);
}
static void itest_avlusdt_protect_places_sell_stop_bybit(void)
{
	avl_doubled(REC_EX_BYBIT, REC_MODE_PROTECT);
}

/* SKLUSDT (seed 000): the bot's own rollback closes it: nothing to do, no
 * false rollback, no order from vigil. */
static void skl_no_false_rollback(enum rec_exchange ex)
{
	struct it *t = it_new(ex, REC_MODE_FULL);
	sim_open(t, "SKLUSDT", "BUY", "308");
	CU_ASSERT_FATAL(stream_has(t, "SKLUSDT", 308));
	/* the bot closes it before vigil's grace would expire */
	char body[160];
	snprintf(body, sizeof body, "{\"op\":\"close\",\"account\":\"%s\",\"symbol\":\"SKLUSDT\"}", t->key);
	sim_step(body);
	CU_ASSERT(stream_has(t, "SKLUSDT", 0));
	it_audit(t, NULL, 0);
	CU_ASSERT_FALSE(it_found(t, REC_ORPHAN_POSITION, "SKLUSDT"));
	CU_ASSERT_EQUAL(sim_sent(t->key, "SKLUSDT").n, 0);
	CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "SKLUSDT"), 0, 1e-9);
	it_free(t);
}
static void itest_sklusdt_closed_by_bot_no_order_binance(void)
{
	skl_no_false_rollback(REC_EX_BINANCE);
}
static void itest_sklusdt_closed_by_bot_no_order_bybit(void)
{
	skl_no_false_rollback(REC_EX_BYBIT);
}

/* An unprotected position the bot knows (SKLUSDT variant): stop placed. */
static void itest_unprotected_known_position_gets_stop_bybit(void)
{
	struct it *t = it_new(REC_EX_BYBIT, REC_MODE_PROTECT);
	sim_open(t, "SKLUSDT", "SELL", "308");
	CU_ASSERT_FATAL(stream_has(t, "SKLUSDT", 308));
	struct rec_bot_row row = { .symbol = "SKLUSDT",
				   .exchange = "bybit",
				   .side = REC_SIDE_SHORT,
				   .qty = 308,
				   .entry_price = 0.03,
				   .status = "active" };
	it_audit(t, &row, 1);
	CU_ASSERT(it_found(t, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	CU_ASSERT_FALSE(it_found(t, REC_ORPHAN_POSITION, "SKLUSDT"));
	struct sent s = sim_sent(t->key, "SKLUSDT");
	CU_ASSERT_EQUAL(s.sell, 0);
	CU_ASSERT_EQUAL(s.buy, 1);
	CU_ASSERT_EQUAL(s.open_stops, 1);
	CU_ASSERT_DOUBLE_EQUAL(s.stop_trigger, 0.0306, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "SKLUSDT"), -308, 1e-9);
	it_free(t);
}

/* KAVAUSDT (seed 002): REST answers [] while the stream shows 62.9: the
 * stop is placed with the stream's size. */
static void itest_kavausdt_stop_sized_from_stream_despite_rest_empty_binance(void)
{
	struct it *t = it_new(REC_EX_BINANCE, REC_MODE_PROTECT);
	sim_open(t, "KAVAUSDT", "BUY", "62.9");
	CU_ASSERT_FATAL(stream_has(t, "KAVAUSDT", 62.9));
	/* the finding (as the classifier gives it once past grace), then REST
	 * breaks before the repair: the engine must size from the stream */
	CU_ASSERT(sim_ok("/_sim/fault", "{\"type\":\"positions_empty\",\"exchange\":\"binance\"}"));
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = REC_UNPROTECTED_POSITION;
	snprintf(f.account, sizeof f.account, "seed");
	snprintf(f.symbol, sizeof f.symbol, "KAVAUSDT");
	f.pos_side = REC_SIDE_LONG;
	f.pos_size = 60; /* stale: the stream's 62.9 must win */
	f.entry_price = 0.5;
	f.mark_price = 0.5;
	f.repairable = true;
	rec_finding_make_key(&f);
	rec_plan_build(&t->pol, &f, 1, NULL, 0, rec_now(&t->clk), &t->plan);
	rec_engine_run(&t->e, &t->plan, &t->rep);
	struct sent s = sim_sent(t->key, "KAVAUSDT");
	CU_ASSERT_EQUAL(s.buy, 0);
	CU_ASSERT_EQUAL(s.sell, 1);
	CU_ASSERT_EQUAL(s.open_stops, 1);
	CU_ASSERT_DOUBLE_EQUAL(s.stop_qty, 62.9, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(s.stop_trigger, 0.49, 1e-9);
	it_free(t);
}

/* KAVAUSDT, mark already through the stop price: full closes at market. */
static void crossed(enum rec_exchange ex, enum rec_mode mode)
{
	struct it *t = it_new(ex, mode);
	sim_open(t, "KAVAUSDT", "BUY", "62.9");
	CU_ASSERT_FATAL(stream_has(t, "KAVAUSDT", 62.9));
	sim_step("{\"op\":\"mark\",\"symbol\":\"KAVAUSDT\",\"price\":\"0.48\"}");
	const char *exn = ex == REC_EX_BINANCE ? "binance" : "bybit";
	struct rec_bot_row row = {
		.symbol = "KAVAUSDT", .side = REC_SIDE_LONG, .qty = 62.9, .entry_price = 0.5, .status = "active"
	};
	snprintf(row.exchange, sizeof row.exchange, "%s", exn);
	it_audit(t, &row, 1);
	struct sent s = sim_sent(t->key, "KAVAUSDT");
	CU_ASSERT_EQUAL(s.buy, 0);
	CU_ASSERT_EQUAL(s.open_stops, 0);
	CU_ASSERT_EQUAL(s.open_cond, 0); /* no stop resting either, position or not */
	if (mode == REC_MODE_FULL) {
		CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "KAVAUSDT"), 0, 1e-9);
		CU_ASSERT_FALSE(it_found(t, REC_REPAIR_FAILED, "KAVAUSDT"));
	} else {
		CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "KAVAUSDT"), 62.9, 1e-9);
		CU_ASSERT(it_found(t, REC_REPAIR_FAILED, "KAVAUSDT"));
		CU_ASSERT_EQUAL(s.n, 0); /* the refused stop never became an order */
	}
	it_free(t);
}
static void itest_crossed_stop_full_closes_binance(void)
{
	crossed(REC_EX_BINANCE, REC_MODE_FULL);
}
static void itest_crossed_stop_full_closes_bybit(void)
{
	crossed(REC_EX_BYBIT, REC_MODE_FULL);
}
static void itest_crossed_stop_protect_alerts_binance(void)
{
	crossed(REC_EX_BINANCE, REC_MODE_PROTECT);
}

/* BASUSDT (seed 004): closed while the bot's row says active 1216: no
 * order for BASUSDT in any mode; the stop left behind is cancelled in full. */
static void bas(enum rec_mode mode)
{
	struct it *t = it_new(REC_EX_BINANCE, mode);
	sim_open(t, "BASUSDT", "BUY", "1216");
	CU_ASSERT_FATAL(stream_has(t, "BASUSDT", 1216));
	sim_step("{\"op\":\"order\",\"account\":\"sim-binance-key\",\"symbol\":\"BASUSDT\","
		 "\"type\":\"STOP_MARKET\",\"side\":\"SELL\",\"qty\":\"1216\",\"trigger\":\"0.045\","
		 "\"reduce_only\":true,\"client_id\":\"bot-sl-bas\"}");
	sim_step("{\"op\":\"close\",\"account\":\"sim-binance-key\",\"symbol\":\"BASUSDT\"}");
	CU_ASSERT(stream_has(t, "BASUSDT", 0));
	struct rec_bot_row row = { .symbol = "BASUSDT",
				   .exchange = "binance",
				   .side = REC_SIDE_LONG,
				   .qty = 1216,
				   .entry_price = 0.05,
				   .status = "active" };
	it_audit(t, &row, 1);
	CU_ASSERT(it_found(t, REC_PHANTOM_POSITION, "BASUSDT"));
	CU_ASSERT(it_found(t, REC_ORPHAN_ORDER, "BASUSDT"));
	struct sent s = sim_sent(t->key, "BASUSDT");
	CU_ASSERT_EQUAL(s.n, 0); /* never an order for the closed position */
	CU_ASSERT_DOUBLE_EQUAL(sim_amt(t->key, "BASUSDT"), 0, 1e-9);
	CU_ASSERT_EQUAL(s.open_stops, 0); /* nothing left to protect */
	/* the bot's stop left behind: cancelled in full, still open in protect */
	CU_ASSERT_EQUAL(s.open_cond, mode == REC_MODE_FULL ? 0 : 1);
	it_free(t);
}
static void itest_basusdt_full_cancels_left_stop_sends_no_order(void)
{
	bas(REC_MODE_FULL);
}
static void itest_basusdt_protect_sends_nothing(void)
{
	bas(REC_MODE_PROTECT);
}

/* A crash between intent and outcome: the stop reached the exchange, the
 * outcome was never written. The restarted engine must not duplicate it. */
static void crash_no_duplicate(enum rec_exchange ex)
{
	struct it *t = it_new(ex, REC_MODE_PROTECT);
	sim_open(t, "KAVAUSDT", "BUY", "62.9");
	CU_ASSERT_FATAL(stream_has(t, "KAVAUSDT", 62.9));
	const char *exn = ex == REC_EX_BINANCE ? "binance" : "bybit";
	struct rec_bot_row row = {
		.symbol = "KAVAUSDT", .side = REC_SIDE_LONG, .qty = 62.9, .entry_price = 0.5, .status = "active"
	};
	snprintf(row.exchange, sizeof row.exchange, "%s", exn);
	t->e.dry_run = true; /* plan only, to learn the step the engine would take */
	it_audit(t, &row, 1);
	t->e.dry_run = false;
	const struct rec_step *st = NULL;
	for (size_t i = 0; i < t->plan.n; i++)
		if (t->plan.steps[i].a.kind == REC_ACT_PLACE_STOP)
			st = &t->plan.steps[i];
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct rec_action a = st->a;
	CU_ASSERT_EQUAL_FATAL(t->j->ops->intent(t->j, &a), 0);
	struct xch_stop_req rq;
	memset(&rq, 0, sizeof rq);
	snprintf(rq.symbol, sizeof rq.symbol, "KAVAUSDT");
	rq.position_side = REC_SIDE_LONG;
	rq.trigger_price = a.trigger_price;
	rq.qty = a.qty;
	snprintf(rq.client_id, sizeof rq.client_id, "%s", a.client_id);
	struct xch_ack ack;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(t->x->ops->place_stop(t->x, &rq, &ack, &err), XCH_OK);
	/* "restart": a new engine on the same journal */
	rec_engine_free(&t->e);
	rec_engine_init(&t->e, t->x, &t->pol, t->j, &t->clk);
	/* the stale plan from before the crash runs again: recovery first, then
	 * the open-order pre-check finds our stop */
	rec_engine_run(&t->e, &t->plan, &t->rep);
	it_audit(t, &row, 1);
	struct sent s = sim_sent(t->key, "KAVAUSDT");
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(s.open_stops, 1);
	CU_ASSERT_EQUAL(s.open_cond, 1);
	CU_ASSERT_EQUAL(s.buy, 0);
	size_t n;
	const struct rec_action *j = rec_journal_mem_all(t->j, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(j[0].outcome, REC_OUT_DONE);
	it_free(t);
}
static void itest_crash_after_send_no_duplicate_stop_binance(void)
{
	crash_no_duplicate(REC_EX_BINANCE);
}
static void itest_crash_after_send_no_duplicate_stop_bybit(void)
{
	crash_no_duplicate(REC_EX_BYBIT);
}

static int suite_init(void)
{
	sim_pid =
		tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", NULL }, &sim_port, 5000);
	return 0; /* tests assert sim_pid themselves, so a failure is reported per test */
}

static int suite_clean(void)
{
	if (sim_pid > 0)
		tu_stop_server(sim_pid);
	sim_pid = 0;
	return 0;
}

void itest_repair_seeds_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_avlusdt_full_closes_with_sell_binance", itest_avlusdt_full_closes_with_sell_binance },
		{ "itest_avlusdt_full_closes_with_sell_bybit", itest_avlusdt_full_closes_with_sell_bybit },
		{ "itest_avlusdt_protect_places_sell_stop_binance", itest_avlusdt_protect_places_sell_stop_binance },
		{ "itest_avlusdt_protect_places_sell_stop_bybit", itest_avlusdt_protect_places_sell_stop_bybit },
		{ "itest_sklusdt_closed_by_bot_no_order_binance", itest_sklusdt_closed_by_bot_no_order_binance },
		{ "itest_sklusdt_closed_by_bot_no_order_bybit", itest_sklusdt_closed_by_bot_no_order_bybit },
		{ "itest_unprotected_known_position_gets_stop_bybit",
		  itest_unprotected_known_position_gets_stop_bybit },
		{ "itest_kavausdt_stop_sized_from_stream_despite_rest_empty_binance",
		  itest_kavausdt_stop_sized_from_stream_despite_rest_empty_binance },
		{ "itest_crossed_stop_full_closes_binance", itest_crossed_stop_full_closes_binance },
		{ "itest_crossed_stop_full_closes_bybit", itest_crossed_stop_full_closes_bybit },
		{ "itest_crossed_stop_protect_alerts_binance", itest_crossed_stop_protect_alerts_binance },
		{ "itest_basusdt_full_cancels_left_stop_sends_no_order",
		  itest_basusdt_full_cancels_left_stop_sends_no_order },
		{ "itest_basusdt_protect_sends_nothing", itest_basusdt_protect_sends_nothing },
		{ "itest_crash_after_send_no_duplicate_stop_binance",
		  itest_crash_after_send_no_duplicate_stop_binance },
		{ "itest_crash_after_send_no_duplicate_stop_bybit", itest_crash_after_send_no_duplicate_stop_bybit },
		{ NULL, NULL },
	};
	CU_pSuite s = CU_add_suite("itest_repair_seeds", suite_init, suite_clean);
	for (const struct tu_test *t = tests; t->name; t++)
		CU_add_test(s, t->name, t->fn);
}
