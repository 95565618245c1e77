/* The Bybit v5 adapter, linear / USDT perpetuals (docs/exchange-facts.md
 * Part 2).
 *
 * Protection has two representations on Bybit: the position's own stopLoss
 * (set with position/trading-stop) and separate Untriggered conditional
 * orders. Listings return both: position stops are synthesized as orders
 * with position_attached = true (id "pos-sl:SYMBOL:IDX").
 *
 * Listings cover every settle coin of cfg.settle_coins (default USDT and
 * USDC): position/list and order/realtime per coin, first pages in one
 * curl_multi run, further pages per coin; one coin failing fails that part
 * of the listing. Each order is marked with the coin it was listed for.
 *
 * place_stop CHOICE: with a quantity (qty > 0) vigil places a conditional
 * reduce-only market order (order/create + triggerPrice, closeOnTrigger).
 * It has its own orderId and our "vgl-" orderLinkId, so the journal can make
 * it idempotent, the verifier can query it, a duplicate can be cancelled by
 * id, and it does not overwrite a stop-loss the bot set on the position.
 * With qty == 0 ("protect the whole position") vigil uses
 * position/trading-stop in Full mode: it follows the position's size as it
 * changes, which a fixed-quantity order cannot; its id is the synthesized
 * "pos-sl:SYMBOL:IDX", and cancelling it sets stopLoss to "0". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/bb_parse.h"
#include "exchanges/jsonx_stream.h"
#include "exchanges/bb_rest.h"
#include "exchanges/jsonx.h"
#include "exchanges/sign.h"
#include "exchanges/xch_decimal.h"
#include "base/log.h"
#include "base/xalloc.h"

#define COMP "bybit"
#define BB_MAX_PAGES 50
#define BB_POS_LIMIT 200
#define BB_ORD_LIMIT 50

void bb_req_build(struct xch *x, struct xch_req *r, const char *method, const char *path, const char *payload,
		  bool sign)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	bool post = strcmp(method, "GET") != 0;
	if (post) {
		r->url = xasprintf("%s%s", x->cfg.rest_url, path);
		r->body = xstrdup(payload ? payload : "{}");
		r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
	} else if (payload && *payload) {
		r->url = xasprintf("%s%s?%s", x->cfg.rest_url, path, payload);
	} else {
		r->url = xasprintf("%s%s", x->cfg.rest_url, path);
	}
	if (!sign)
		return;
	int64_t ts = wd_wall_ms() + __atomic_load_n(&x->clock_offset_ms, __ATOMIC_RELAXED);
	char sig[XCH_SIG_HEX];
	bb_sign(x->cfg.api_secret, ts, x->cfg.api_key, x->cfg.recv_window_ms, post ? r->body : payload, sig);
	char *h = xasprintf("X-BAPI-API-KEY: %s", x->cfg.api_key);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-TIMESTAMP: %" PRId64, ts);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-RECV-WINDOW: %" PRId64, x->cfg.recv_window_ms);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
	h = xasprintf("X-BAPI-SIGN: %s", sig);
	r->hdrs = curl_slist_append(r->hdrs, h);
	free(h);
}

int bb_req_finish(struct xch *x, struct xch_req *r, struct json_object **root, struct json_object **result,
		  struct xch_err *err)
{
	*root = NULL;
	*result = NULL;
	xch_note_rest(x, r, true);
	int rc = xch_http_transport_rc(r, err);
	if (rc != XCH_OK)
		return rc;
	if (r->streamed) /* a listing parsed as it arrived: its envelope */
		rc = bb_check_answer_root(r->status, xch_jstream_finish(r->stream), r->limit_reset_ms, wd_wall_ms(),
					  root, result, err);
	else
		rc = bb_check_answer(r->status, r->resp, r->resp_len, r->limit_reset_ms, wd_wall_ms(), root, result,
				     err);
	xch_budget_answer(x, r, rc, err); /* retCode 10006 / 10018 come with HTTP 200 */
	return rc;
}

static int server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	struct xch_req r;
	struct xch_req *rp = &r;
	struct json_object *root, *res;
	bb_req_build(x, &r, "GET", "/v5/market/time", NULL, false);
	xch_http_run(xch_priv_of(x)->http, &rp, 1);
	int rc = bb_req_finish(x, &r, &root, &res, err);
	if (rc == XCH_OK) {
		rc = bb_parse_server_time(root, ms);
		if (rc != XCH_OK)
			xch_err_set(err, rc, (int)r.status, 0, "malformed answer: server time");
		json_object_put(root);
	}
	if (rc == XCH_OK) {
		__atomic_store_n(&x->clock_offset_ms, *ms - (r.sent_ms + r.done_ms) / 2, __ATOMIC_RELAXED);
		xch_priv_of(x)->clock_synced = true;
	}
	xch_req_clear(&r);
	return rc;
}

static int sync_clock(struct xch *x, struct xch_err *err)
{
	int64_t ms;
	return server_time(x, &ms, err);
}

/* One call with clock sync and one re-sync + retry on 10002. */
static int bb_call(struct xch *x, const char *method, const char *path, const char *payload, bool sign,
		   struct json_object **root, struct json_object **result, struct xch_err *err)
{
	struct xch_priv *p = xch_priv_of(x);
	int rc;
	*root = NULL;
	*result = NULL;
	if (sign && !p->clock_synced) {
		rc = sync_clock(x, err);
		if (rc != XCH_OK)
			return rc;
	}
	for (int attempt = 0;; attempt++) {
		struct xch_req r;
		struct xch_req *rp = &r;
		bb_req_build(x, &r, method, path, payload, sign);
		xch_http_run(p->http, &rp, 1);
		rc = bb_req_finish(x, &r, root, result, err);
		xch_req_clear(&r);
		if (rc != XCH_TIMESTAMP || !sign || attempt > 0)
			return rc;
		struct xch_err e2 = { 0 };
		if (sync_clock(x, &e2) != XCH_OK)
			return rc;
	}
}

static void clear_err(struct xch_err *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

static int bb_server_time(struct xch *x, int64_t *ms, struct xch_err *err)
{
	clear_err(err);
	return server_time(x, ms, err);
}

static int bb_instruments(struct xch *x, struct xch_instrument **out, size_t *n, struct xch_err *err)
{
	char cursor[512] = "";
	*out = NULL;
	*n = 0;
	clear_err(err);
	for (int page = 0; page < BB_MAX_PAGES; page++) {
		char *q = cursor[0] ? xasprintf("category=linear&limit=1000&cursor=%s", cursor)
				    : xstrdup("category=linear&limit=1000");
		struct json_object *root, *res;
		int rc = bb_call(x, "GET", "/v5/market/instruments-info", q, false, &root, &res, err);
		free(q);
		size_t pn = 0;
		if (rc == XCH_OK)
			rc = bb_parse_instruments(res, out, n, &pn, cursor, sizeof cursor, err);
		if (root)
			json_object_put(root);
		if (rc != XCH_OK) {
			free(*out);
			*out = NULL;
			*n = 0;
			return rc;
		}
		if (!cursor[0] || pn < 1000)
			break;
	}
	return XCH_OK;
}

/* What kind of list a paged fetch reads. */
enum bb_list { BB_LIST_POS, BB_LIST_ORD };

#define BB_MAX_COINS 4 /* = sizeof cfg.settle_coins / sizeof *cfg.settle_coins */
#define BB_MAX_JOBS (2 * BB_MAX_COINS)
_Static_assert(BB_MAX_JOBS <= XCH_HTTP_MAX_PAR, "one listing round must fit one curl_multi run");

static const char *list_path(enum bb_list k)
{
	return k == BB_LIST_POS ? "/v5/position/list" : "/v5/order/realtime";
}

/* One list of one settle coin, or (symbol set) of one symbol. */
static char *list_query(enum bb_list k, const char *coin, const char *symbol, const char *cursor)
{
	int lim = k == BB_LIST_POS ? BB_POS_LIMIT : BB_ORD_LIMIT;
	char *c = xch_urlencode(symbol ? symbol : coin);
	char *q;
	const char *by = symbol ? "symbol" : "settleCoin";
	if (cursor && *cursor)
		q = xasprintf("category=linear&%s=%s&limit=%d&cursor=%s", by, c, lim, cursor);
	else
		q = xasprintf("category=linear&%s=%s&limit=%d", by, c, lim);
	free(c);
	return q;
}

/* The settle coins every listing covers: cfg.settle_coins[0..nsettle),
 * or USDT and USDC when none are configured. Returns the count. */
static size_t settle_coins(const struct xch *x, const char *coins[BB_MAX_COINS])
{
	static const char *const defaults[2] = { "USDT", "USDC" };
	size_t n = 0, cfg_n = x->cfg.nsettle;
	if (cfg_n > BB_MAX_COINS)
		cfg_n = BB_MAX_COINS;
	for (size_t i = 0; i < cfg_n; i++) {
		const char *c = x->cfg.settle_coins[i];
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = !strcmp(coins[j], c);
		if (c[0] && !dup && memchr(c, '\0', sizeof x->cfg.settle_coins[i]))
			coins[n++] = c;
	}
	if (n == 0)
		for (size_t i = 0; i < 2; i++)
			coins[n++] = defaults[i];
	return n;
}

struct bb_acc {
	struct rec_position *pos;
	size_t npos;
	struct rec_order *ord;
	size_t nord;
	char cursor[512];
	size_t page_n;
};

/* One (list, settle coin) pair of a listing and its pages so far. */
struct bb_job {
	enum bb_list kind;
	const char *coin;
	const char *symbol; /* a targeted listing: this symbol only */
	struct bb_acc acc;
	int rc;
	struct xch_err err;
	int pages;
};

static int parse_page(enum bb_list k, struct bb_list_sink *sk, struct json_object *res, int64_t now, struct bb_acc *a,
		      struct xch_err *err)
{
	if (k == BB_LIST_POS)
		return bb_list_take_positions(sk, res, now, &a->pos, &a->npos, &a->page_n, a->cursor, sizeof a->cursor,
					      err);
	return bb_list_take_orders(sk, res, &a->ord, &a->nord, &a->page_n, a->cursor, sizeof a->cursor, err);
}

static bool more_pages(const struct bb_job *j)
{
	/* Bybit may hand out a cursor on the last page: a short page ends it */
	size_t lim = j->kind == BB_LIST_POS ? BB_POS_LIMIT : BB_ORD_LIMIT;
	return j->rc == XCH_OK && j->pages < BB_MAX_PAGES && j->acc.cursor[0] && j->acc.page_n >= lim;
}

static void acc_free(struct bb_acc *a)
{
	free(a->pos);
	free(a->ord);
	a->pos = NULL;
	a->ord = NULL;
	a->npos = a->nord = 0;
}

/* One page of each job in jv[0..n) in parallel (the first page when the
 * job has no cursor yet). A timestamp refusal re-syncs the clock and
 * retries those jobs once. A job that fails keeps its error in rc / err. */
static void run_round(struct xch *x, struct bb_job *const *jv, size_t n)
{
	struct xch_priv *p = xch_priv_of(x);
	struct xch_req r[BB_MAX_JOBS];
	struct xch_req *rp[BB_MAX_JOBS];
	struct bb_job *todo[BB_MAX_JOBS];
	struct bb_list_sink *sk[BB_MAX_JOBS];
	size_t k = n;
	memcpy(todo, jv, n * sizeof *todo);
	for (size_t i = 0; i < n; i++) /* each page's rows become the model as they arrive (issue 21) */
		sk[i] = bb_list_sink_new(jv[i]->kind == BB_LIST_POS);
	for (int attempt = 0; attempt < 2 && k > 0; attempt++) {
		for (size_t i = 0; i < k; i++) {
			char *q = list_query(todo[i]->kind, todo[i]->coin, todo[i]->symbol, todo[i]->acc.cursor);
			bb_req_build(x, &r[i], "GET", list_path(todo[i]->kind), q, true);
			free(q);
			r[i].stream = bb_list_sink_stream(sk[i]);
			rp[i] = &r[i];
		}
		xch_http_run(p->http, rp, k);
		int64_t now = wd_wall_ms();
		size_t skewed = 0;
		for (size_t i = 0; i < k; i++) {
			struct bb_job *j = todo[i];
			struct json_object *root, *res;
			memset(&j->err, 0, sizeof j->err);
			j->rc = bb_req_finish(x, &r[i], &root, &res, &j->err);
			if (j->rc == XCH_OK) {
				j->rc = parse_page(j->kind, sk[i], res, now, &j->acc, &j->err);
				j->pages++;
			}
			if (root)
				json_object_put(root);
			xch_req_clear(&r[i]);
			if (j->rc == XCH_TIMESTAMP) {
				/* the sink goes with its job */
				struct bb_list_sink *t = sk[skewed];
				sk[skewed] = sk[i];
				sk[i] = t;
				todo[skewed++] = j;
			}
		}
		k = skewed;
		struct xch_err e = { 0 };
		if (k > 0 && (attempt > 0 || sync_clock(x, &e) != XCH_OK))
			break;
	}
	for (size_t i = 0; i < n; i++)
		bb_list_sink_free(sk[i]);
}

/* Every page of jobs[0..n): first pages in parallel, then the further
 * pages of the jobs that have them, again in parallel. */
static void run_jobs(struct xch *x, struct bb_job *jobs, size_t n)
{
	struct bb_job *jv[BB_MAX_JOBS];
	for (size_t i = 0; i < n; i++)
		jv[i] = &jobs[i];
	run_round(x, jv, n);
	for (;;) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (more_pages(&jobs[i]))
				jv[m++] = &jobs[i];
		if (m == 0)
			break;
		run_round(x, jv, m);
	}
}

/* Every page of every (kind, coin) pair: first pages all in parallel
 * (one curl_multi run), then further pages of the jobs that have them,
 * again in parallel. No server-time call first, even unsynced: a listing
 * costs only its own calls (a cron audit); a timestamp refusal re-syncs
 * and retries. Returns the number of jobs in jobs[]. */
static size_t fetch_lists(struct xch *x, const enum bb_list *kinds, size_t nk, struct bb_job *jobs, const char **coins,
			  size_t *ncoins)
{
	*ncoins = settle_coins(x, coins);
	size_t n = 0;
	for (size_t i = 0; i < nk; i++)
		for (size_t c = 0; c < *ncoins; c++) {
			memset(&jobs[n], 0, sizeof jobs[n]);
			jobs[n].kind = kinds[i];
			jobs[n].coin = coins[c];
			n++;
		}
	run_jobs(x, jobs, n);
	return n;
}

static void jobs_free(struct bb_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		acc_free(&jobs[i].acc);
}

/* The result of one kind over all coins: the first failure (in coin
 * order) fails the whole part; a silent partial list is never returned. */
static int part_rc(const struct bb_job *jobs, size_t n, enum bb_list k, struct xch_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind == k && jobs[i].rc != XCH_OK) {
			if (err)
				*err = jobs[i].err;
			return jobs[i].rc;
		}
	return XCH_OK;
}

static struct bb_job *job_of(struct bb_job *jobs, size_t n, enum bb_list k, const char *coin)
{
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind == k && jobs[i].coin == coin)
			return &jobs[i];
	return NULL;
}

/* All coins' positions in one array (NULL when none). A symbol belongs to
 * one settle coin; a row listed twice anyway (same symbol and
 * positionIdx) is kept once. */
static void merge_positions(struct bb_job *jobs, size_t n, struct rec_position **out, size_t *nout)
{
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind == BB_LIST_POS)
			total += jobs[i].acc.npos;
	*out = NULL;
	*nout = 0;
	if (total == 0)
		return;
	struct rec_position *v = xcalloc(total, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].kind != BB_LIST_POS)
			continue;
		for (size_t j = 0; j < jobs[i].acc.npos; j++) {
			const struct rec_position *p = &jobs[i].acc.pos[j];
			bool dup = false;
			for (size_t m = 0; m < k && !dup; m++)
				dup = v[m].pidx == p->pidx && !strcmp(v[m].symbol, p->symbol);
			if (!dup)
				v[k++] = *p;
		}
	}
	*out = v;
	*nout = k;
}

/* All coins' orders in one array (NULL when none), each marked with the
 * settle coin it was listed for; with_stops adds each coin's position
 * stops (bb_add_position_stops) first. The same orderId twice is kept
 * once (the first coin's). */
static void merge_orders(struct bb_job *jobs, size_t n, const char **coins, size_t ncoins, bool with_stops,
			 struct rec_order **out, size_t *nout)
{
	for (size_t c = 0; c < ncoins; c++) {
		struct bb_job *oj = job_of(jobs, n, BB_LIST_ORD, coins[c]);
		struct bb_job *pj = job_of(jobs, n, BB_LIST_POS, coins[c]);
		if (!oj)
			continue;
		if (with_stops && pj)
			bb_add_position_stops(pj->acc.pos, pj->acc.npos, &oj->acc.ord, &oj->acc.nord);
		bb_set_settle(oj->acc.ord, oj->acc.nord, coins[c]);
	}
	size_t total = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].kind == BB_LIST_ORD)
			total += jobs[i].acc.nord;
	*out = NULL;
	*nout = 0;
	if (total == 0)
		return;
	struct rec_order *v = xcalloc(total, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].kind != BB_LIST_ORD)
			continue;
		for (size_t j = 0; j < jobs[i].acc.nord; j++) {
			const struct rec_order *o = &jobs[i].acc.ord[j];
			bool dup = false;
			for (size_t m = 0; m < k && !dup; m++)
				dup = !strcmp(v[m].id, o->id);
			if (!dup)
				v[k++] = *o;
		}
	}
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*nout = k;
}

static int bb_positions(struct xch *x, struct rec_position **out, size_t *n, struct xch_err *err)
{
	const enum bb_list k = BB_LIST_POS;
	struct bb_job jobs[BB_MAX_JOBS];
	const char *coins[BB_MAX_COINS];
	size_t ncoins;
	clear_err(err);
	*out = NULL;
	*n = 0;
	size_t nj = fetch_lists(x, &k, 1, jobs, coins, &ncoins);
	int rc = part_rc(jobs, nj, BB_LIST_POS, err);
	if (rc == XCH_OK)
		merge_positions(jobs, nj, out, n);
	jobs_free(jobs, nj);
	return rc;
}

static int bb_open_orders(struct xch *x, struct rec_order **out, size_t *n, struct xch_err *err)
{
	/* position stops are part of the order view: read both lists */
	const enum bb_list k[2] = { BB_LIST_POS, BB_LIST_ORD };
	struct bb_job jobs[BB_MAX_JOBS];
	const char *coins[BB_MAX_COINS];
	size_t ncoins;
	clear_err(err);
	*out = NULL;
	*n = 0;
	size_t nj = fetch_lists(x, k, 2, jobs, coins, &ncoins);
	int rc = part_rc(jobs, nj, BB_LIST_ORD, err);
	if (rc == XCH_OK)
		rc = part_rc(jobs, nj, BB_LIST_POS, err);
	if (rc == XCH_OK)
		merge_orders(jobs, nj, coins, ncoins, true, out, n);
	jobs_free(jobs, nj);
	return rc;
}

static int bb_fetch_listing(struct xch *x, struct xch_listing *l)
{
	const enum bb_list k[2] = { BB_LIST_POS, BB_LIST_ORD };
	struct bb_job jobs[BB_MAX_JOBS];
	const char *coins[BB_MAX_COINS];
	size_t ncoins;
	memset(l, 0, sizeof *l);
	size_t nj = fetch_lists(x, k, 2, jobs, coins, &ncoins);
	l->pos_rc = part_rc(jobs, nj, BB_LIST_POS, &l->pos_err);
	l->ord_rc = part_rc(jobs, nj, BB_LIST_ORD, &l->ord_err);
	if (l->pos_rc == XCH_OK)
		merge_positions(jobs, nj, &l->pos, &l->npos);
	/* without positions we cannot see position stops; the order part
	 * still stands on its own */
	if (l->ord_rc == XCH_OK)
		merge_orders(jobs, nj, coins, ncoins, l->pos_rc == XCH_OK, &l->ord, &l->nord);
	jobs_free(jobs, nj);
	l->fetched_ms = wd_wall_ms();
	return l->pos_rc != XCH_OK ? l->pos_rc : l->ord_rc;
}

/* The listing of one symbol: position/list and order/realtime with
 * symbol= (two requests instead of two per settle coin). The orders'
 * settle coin is not known from such a query and stays "". */
static int bb_fetch_listing_of(struct xch *x, const char *symbol, struct xch_listing *l)
{
	struct bb_job jobs[2];
	memset(l, 0, sizeof *l);
	memset(jobs, 0, sizeof jobs);
	jobs[0].kind = BB_LIST_POS;
	jobs[1].kind = BB_LIST_ORD;
	jobs[0].symbol = jobs[1].symbol = symbol;
	run_jobs(x, jobs, 2);
	l->pos_rc = part_rc(jobs, 2, BB_LIST_POS, &l->pos_err);
	l->ord_rc = part_rc(jobs, 2, BB_LIST_ORD, &l->ord_err);
	if (l->pos_rc == XCH_OK) {
		merge_positions(jobs, 2, &l->pos, &l->npos);
		if (l->ord_rc == XCH_OK)
			bb_add_position_stops(jobs[0].acc.pos, jobs[0].acc.npos, &jobs[1].acc.ord, &jobs[1].acc.nord);
	}
	if (l->ord_rc == XCH_OK && jobs[1].acc.nord) {
		l->ord = jobs[1].acc.ord;
		l->nord = jobs[1].acc.nord;
		jobs[1].acc.ord = NULL;
		jobs[1].acc.nord = 0;
	}
	jobs_free(jobs, 2);
	l->fetched_ms = wd_wall_ms();
	return l->pos_rc != XCH_OK ? l->pos_rc : l->ord_rc;
}

/* The open orders of one symbol, its position stops included (so the
 * position list is read too, as bb_open_orders does for all). */
static int bb_open_orders_of(struct xch *x, const char *symbol, struct rec_order **out, size_t *n, struct xch_err *err)
{
	struct xch_listing l;
	clear_err(err);
	*out = NULL;
	*n = 0;
	int rc = bb_fetch_listing_of(x, symbol, &l);
	if (rc == XCH_OK) {
		*out = l.ord;
		*n = l.nord;
		l.ord = NULL;
		l.nord = 0;
	} else if (err) {
		*err = l.ord_rc != XCH_OK ? l.ord_err : l.pos_err;
		rc = l.ord_rc != XCH_OK ? l.ord_rc : l.pos_rc;
	}
	xch_listing_free(&l);
	return rc;
}

/* "pos-sl:SYMBOL:IDX" -> symbol, pidx. */
static bool parse_pos_sl_id(const char *id, char *sym, size_t cap, enum rec_pos_idx *pidx)
{
	size_t pl = strlen(BB_POS_SL_PREFIX);
	if (strncmp(id, BB_POS_SL_PREFIX, pl) != 0)
		return false;
	const char *s = id + pl;
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= cap)
		return false;
	memcpy(sym, s, (size_t)(colon - s));
	sym[colon - s] = '\0';
	int i = atoi(colon + 1);
	*pidx = i == 1 ? REC_PIDX_LONG : i == 2 ? REC_PIDX_SHORT : REC_PIDX_BOTH;
	return true;
}

static int get_position_stop(struct xch *x, const char *id, struct rec_order *out, struct xch_err *err)
{
	char sym[REC_SYM_MAX];
	enum rec_pos_idx pidx;
	if (!parse_pos_sl_id(id, sym, sizeof sym, &pidx))
		return xch_err_set(err, XCH_UNKNOWN_ORDER, 0, 0, "bad position stop id");
	char *esym = xch_urlencode(sym);
	char *q = xasprintf("category=linear&symbol=%s", esym);
	free(esym);
	struct json_object *root, *res;
	int rc = bb_call(x, "GET", "/v5/position/list", q, true, &root, &res, err);
	free(q);
	if (rc != XCH_OK)
		return rc;
	struct json_object *list = xch_json_array(res, "list");
	rc = xch_err_set(err, XCH_UNKNOWN_ORDER, 200, 0, "no stop-loss on %s", sym);
	size_t cnt = list ? json_object_array_length(list) : 0;
	for (size_t i = 0; i < cnt; i++) {
		struct rec_position p;
		bool open;
		if (!bb_position_from(json_object_array_get_idx(list, i), wd_wall_ms(), REC_SRC_REST, &p, &open))
			continue;
		if (p.pidx != pidx || strcmp(p.symbol, sym) != 0 || !(p.stop_loss > 0) || !open)
			continue;
		bb_stop_from_position(&p, out);
		clear_err(err);
		rc = XCH_OK;
	}
	json_object_put(root);
	return rc;
}

static int bb_get_order(struct xch *x, const char *symbol, const char *id, const char *client_id, bool is_algo,
			struct rec_order *out, struct xch_err *err)
{
	(void)is_algo;
	clear_err(err);
	memset(out, 0, sizeof *out);
	bool by_id = id && *id;
	if (!by_id && !(client_id && *client_id))
		return xch_err_set(err, XCH_REJECTED, 0, 0, "get_order: no id");
	if (by_id && !strncmp(id, BB_POS_SL_PREFIX, strlen(BB_POS_SL_PREFIX)))
		return get_position_stop(x, id, out, err);
	char *ev = xch_urlencode(by_id ? id : client_id);
	char *sym = xch_urlencode(symbol ? symbol : "");
	char *q = xasprintf("category=linear%s%s&%s=%s", *sym ? "&symbol=" : "", sym, by_id ? "orderId" : "orderLinkId",
			    ev);
	/* open and recent orders first, then the history (2.6) */
	static const char *const paths[2] = { "/v5/order/realtime", "/v5/order/history" };
	int rc = XCH_UNKNOWN_ORDER;
	for (int i = 0; i < 2; i++) {
		struct json_object *root, *res;
		rc = bb_call(x, "GET", paths[i], q, true, &root, &res, err);
		if (rc != XCH_OK)
			break;
		struct json_object *list = xch_json_array(res, "list");
		if (!list) {
			rc = xch_err_set(err, XCH_MALFORMED, 200, 0, "malformed answer: no result.list");
		} else if (json_object_array_length(list) > 0) {
			rc = bb_order_from(json_object_array_get_idx(list, 0), REC_SRC_REST, out)
				     ? XCH_OK
				     : xch_err_set(err, XCH_MALFORMED, 200, 0, "malformed answer: order");
		} else {
			rc = xch_err_set(err, XCH_UNKNOWN_ORDER, 200, 0, "order not found");
		}
		json_object_put(root);
		if (rc != XCH_UNKNOWN_ORDER)
			break;
	}
	free(q);
	free(ev);
	free(sym);
	return rc;
}

static int pidx_num(const struct xch *x, enum rec_pos_idx pidx, enum rec_side side)
{
	if (pidx == REC_PIDX_LONG)
		return 1;
	if (pidx == REC_PIDX_SHORT)
		return 2;
	if (x->cfg.hedge_mode)
		return side == REC_SIDE_LONG ? 1 : 2;
	return 0;
}

static const char *oside_str(enum rec_oside s)
{
	return s == REC_BUY ? "Buy" : "Sell";
}

/* Sends a JSON body built with json-c; the signature covers exactly it. */
static int post_json(struct xch *x, const char *path, struct json_object *body, struct json_object **root,
		     struct json_object **res, struct xch_err *err)
{
	const char *txt = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	char *copy = xstrdup(txt);
	int rc = bb_call(x, "POST", path, copy, true, root, res, err);
	free(copy);
	return rc;
}

static int bb_close_position(struct xch *x, const struct xch_close_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	/* AVLUSDT: the side comes from the exchange-confirmed position only */
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing to close %s: position side unknown", req->symbol);
	if (!(req->qty > 0))
		return xch_err_set(err, XCH_NO_POSITION, 0, 0, "refusing to close %s: quantity %g", req->symbol,
				   req->qty);
	char qty[48];
	/* exact multiple of the step, no binary noise / exponent (issue 16) */
	if (xch_fmt_decimal(qty, sizeof qty, req->qty, req->qty_step) < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0,
				   "refusing to close %s: quantity %.17g step %.17g "
				   "has no exact decimal form",
				   req->symbol, req->qty, req->qty_step);
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	json_object_object_add(b, "symbol", json_object_new_string(req->symbol));
	json_object_object_add(b, "side", json_object_new_string(oside_str(side)));
	json_object_object_add(b, "orderType", json_object_new_string("Market"));
	json_object_object_add(b, "qty", json_object_new_string(qty));
	json_object_object_add(b, "reduceOnly", json_object_new_boolean(1));
	json_object_object_add(b, "positionIdx", json_object_new_int(pidx_num(x, req->pidx, req->position_side)));
	if (req->client_id[0])
		json_object_object_add(b, "orderLinkId", json_object_new_string(req->client_id));
	struct json_object *root, *res;
	int rc = post_json(x, "/v5/order/create", b, &root, &res, err);
	json_object_put(b);
	if (rc == XCH_OK)
		rc = bb_parse_ack(res, ack, err); /* ids only: never side / qty */
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s close symbol=%s side=%s qty=%s rc=%s", x->cfg.account, req->symbol, oside_str(side),
		 qty, xch_rc_name(rc));
	return rc;
}

static int bb_place_stop(struct xch *x, const struct xch_stop_req *req, struct xch_ack *ack, struct xch_err *err)
{
	clear_err(err);
	memset(ack, 0, sizeof *ack);
	enum rec_oside side = rec_closing_side(req->position_side);
	if (side == REC_OSIDE_UNKNOWN)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: position side unknown", req->symbol);
	if (!(req->trigger_price > 0) || req->qty < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "refusing stop for %s: bad trigger/qty", req->symbol);
	char trig[48], qty[48];
	/* exact multiples of tick / step, no binary noise / exponent, a tiny
	 * price never printed as 0 (issue 16) */
	if (xch_fmt_decimal(trig, sizeof trig, req->trigger_price, req->price_tick) < 0 ||
	    xch_fmt_decimal(qty, sizeof qty, req->qty, req->qty_step) < 0)
		return xch_err_set(err, XCH_REJECTED, 0, 0,
				   "refusing stop for %s: trigger %.17g tick %.17g / "
				   "qty %.17g step %.17g has no exact decimal form",
				   req->symbol, req->trigger_price, req->price_tick, req->qty, req->qty_step);
	int idx = pidx_num(x, req->pidx, req->position_side);
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	json_object_object_add(b, "symbol", json_object_new_string(req->symbol));
	const char *path;
	if (req->qty == 0) {
		path = "/v5/position/trading-stop";
		json_object_object_add(b, "tpslMode", json_object_new_string("Full"));
		json_object_object_add(b, "positionIdx", json_object_new_int(idx));
		json_object_object_add(b, "stopLoss", json_object_new_string(trig));
		json_object_object_add(b, "slTriggerBy", json_object_new_string("MarkPrice"));
	} else {
		path = "/v5/order/create";
		json_object_object_add(b, "side", json_object_new_string(oside_str(side)));
		json_object_object_add(b, "orderType", json_object_new_string("Market"));
		json_object_object_add(b, "qty", json_object_new_string(qty));
		json_object_object_add(b, "triggerPrice", json_object_new_string(trig));
		/* a long's stop fires when the price falls (2), a short's when it rises (1) */
		json_object_object_add(b, "triggerDirection",
				       json_object_new_int(req->position_side == REC_SIDE_LONG ? 2 : 1));
		json_object_object_add(b, "triggerBy", json_object_new_string("MarkPrice"));
		json_object_object_add(b, "reduceOnly", json_object_new_boolean(1));
		json_object_object_add(b, "closeOnTrigger", json_object_new_boolean(1));
		json_object_object_add(b, "positionIdx", json_object_new_int(idx));
		if (req->client_id[0])
			json_object_object_add(b, "orderLinkId", json_object_new_string(req->client_id));
	}
	struct json_object *root, *res;
	int rc = post_json(x, path, b, &root, &res, err);
	json_object_put(b);
	if (req->qty == 0) {
		if (rc == XCH_REJECTED && err && err->code == 34040)
			rc = XCH_OK; /* the same stop-loss is already set */
		if (rc == XCH_OK) {
			clear_err(err);
			snprintf(ack->id, sizeof ack->id, BB_POS_SL_PREFIX "%s:%d", req->symbol, idx);
			snprintf(ack->client_id, sizeof ack->client_id, "%s", req->client_id);
		}
	} else if (rc == XCH_OK) {
		rc = bb_parse_ack(res, ack, err);
	}
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s stop symbol=%s side=%s trigger=%s qty=%s via=%s rc=%s", x->cfg.account, req->symbol,
		 oside_str(side), trig, qty, path, xch_rc_name(rc));
	return rc;
}

static int bb_cancel_order(struct xch *x, const char *symbol, const char *id, bool is_algo, struct xch_err *err)
{
	(void)is_algo;
	clear_err(err);
	if (!id || !*id)
		return xch_err_set(err, XCH_REJECTED, 0, 0, "cancel: no id");
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "category", json_object_new_string("linear"));
	const char *path;
	char sym[REC_SYM_MAX];
	enum rec_pos_idx pidx;
	if (parse_pos_sl_id(id, sym, sizeof sym, &pidx)) {
		path = "/v5/position/trading-stop";
		json_object_object_add(b, "symbol", json_object_new_string(sym));
		json_object_object_add(b, "tpslMode", json_object_new_string("Full"));
		json_object_object_add(b, "positionIdx", json_object_new_int((int)pidx));
		json_object_object_add(b, "stopLoss", json_object_new_string("0"));
	} else {
		path = "/v5/order/cancel";
		json_object_object_add(b, "symbol", json_object_new_string(symbol ? symbol : ""));
		json_object_object_add(b, "orderId", json_object_new_string(id));
	}
	struct json_object *root, *res;
	int rc = post_json(x, path, b, &root, &res, err);
	json_object_put(b);
	if (root)
		json_object_put(root);
	log_info(COMP, "account=%s cancel symbol=%s id=%s rc=%s", x->cfg.account, symbol ? symbol : "", id,
		 xch_rc_name(rc));
	return rc;
}

static int bb_stream_start(struct xch *x, struct xch_err *err)
{
	clear_err(err);
	return xch_stream_start(x, &bb_stream_proto, err);
}

static void bb_stream_stop(struct xch *x)
{
	xch_stream_stop(x);
}

static void bb_destroy(struct xch *x)
{
	xch_base_free(x);
}

static const struct xch_ops bb_ops = {
	.name = "bybit",
	.server_time = bb_server_time,
	.instruments = bb_instruments,
	.positions = bb_positions,
	.open_orders = bb_open_orders,
	.fetch_listing = bb_fetch_listing,
	.fetch_listing_of = bb_fetch_listing_of,
	.open_orders_of = bb_open_orders_of,
	.get_order = bb_get_order,
	.close_position = bb_close_position,
	.place_stop = bb_place_stop,
	.cancel_order = bb_cancel_order,
	.stream_start = bb_stream_start,
	.stream_stop = bb_stream_stop,
	.destroy = bb_destroy,
	.stream_copy = xch_real_stream_copy,
	/* no documented endpoint reads the mode (only POST switch-mode):
	 * the core reads it from the position rows' positionIdx */
	.position_mode = NULL,
};

struct xch *bb_new(const struct xch_config *cfg, struct xch_err *err)
{
	return xch_base_new(&bb_ops, cfg, err);
}
