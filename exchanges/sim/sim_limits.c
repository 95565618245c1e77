/* Rate limits as the exchanges document them (docs/exchange-facts.md
 * 1.8, 2.8), enforced only when a test asks (every limit 0 = off):
 *
 * Binance: REQUEST_WEIGHT per IP (the sim has one IP: every /fapi/ request
 * counts, whatever its key) per calendar minute. A request whose weight
 * would take the minute past the limit answers 429 -1003 with Retry-After =
 * seconds until the minute turns, and is not charged. More than
 * bn_ban_after further 429s in the same minute ban the IP: 418 -1003 with
 * Retry-After for bn_ban_ms (doubling per repeat ban, capped at 3 days);
 * every request during a ban answers 418 again.
 *
 * Bybit: per IP bb_ip_5s requests per rolling 5 s: past it, HTTP 403
 * "access too frequent" and the IP stays blocked for bb_ban_ms (the doc:
 * "wait >= 10 minutes"). Per UID (API key) per endpoint per rolling second
 * (documented limits, sim_bb_uid_limit): past it, HTTP 200 retCode 10006
 * with X-Bapi-Limit-Status 0 and X-Bapi-Limit-Reset-Timestamp = when the
 * oldest request in the window leaves it. The X-Bapi-Limit* headers are
 * always computed from the real per-endpoint counts, enforced or not.
 *
 * /_sim/ control requests never reach this file. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/log.h"
#include "base/xalloc.h"

#define BAN_MAX_MS (3LL * 24 * 3600 * 1000)
#define BN_WINDOW_MS 60000LL
#define BB_IP_WINDOW_MS 5000LL
#define BB_UID_WINDOW_MS 1000LL
#define RING_MAX 1000000

static long long lnow(struct sim_world *w)
{
	return w->fake_now ? w->fake_now : sim_real_ms();
}

/* ---- rolling windows: timestamps of the last cap accepted requests ---- */

static void ring_init(struct sim_ring *r, int cap)
{
	free(r->t);
	memset(r, 0, sizeof *r);
	if (cap > 0) {
		r->t = xcalloc((size_t)cap, sizeof *r->t);
		r->cap = cap;
	}
}

static void ring_free(struct sim_ring *r)
{
	free(r->t);
	memset(r, 0, sizeof *r);
}

static long long ring_oldest(const struct sim_ring *r)
{
	return r->n ? r->t[(r->head - r->n + r->cap) % r->cap] : 0;
}

/* cap requests already inside (now - win, now] */
static int ring_full(const struct sim_ring *r, long long now, long long win)
{
	return r->cap > 0 && r->n == r->cap && ring_oldest(r) > now - win;
}

static int ring_used(const struct sim_ring *r, long long now, long long win)
{
	int c = 0;

	for (int k = 0; k < r->n; k++) {
		int i = (r->head - 1 - k + r->cap) % r->cap;

		if (r->t[i] <= now - win)
			break;
		c++;
	}
	return c;
}

static void ring_add(struct sim_ring *r, long long now)
{
	if (r->cap <= 0)
		return;
	r->t[r->head] = now;
	r->head = (r->head + 1) % r->cap;
	if (r->n < r->cap)
		r->n++;
}

/* ---- state ---- */

void sim_limits_init(struct sim_world *w)
{
	struct sim_limits *L = &w->lim;

	memset(L, 0, sizeof *L);
	L->cfg.bn_ban_after = 5;
	L->cfg.bn_ban_ms = 120000;
	L->cfg.bb_ban_ms = 600000;
	L->cfg0 = L->cfg;
}

static void uid_free(struct sim_limits *L)
{
	while (L->uid) {
		struct sim_uid_bucket *b = L->uid;

		L->uid = b->next;
		ring_free(&b->ring);
		free(b);
	}
}

void sim_limits_free(struct sim_world *w)
{
	ring_free(&w->lim.bb_ip);
	uid_free(&w->lim);
}

void sim_limits_clear(struct sim_world *w, int restore)
{
	struct sim_limits *L = &w->lim;

	if (restore)
		L->cfg = L->cfg0;
	L->whist_n = 0;
	L->strikes = 0;
	L->strikes_min = 0;
	L->bn_ban_until = 0;
	L->bn_bans = 0;
	L->bn_429 = L->bn_418 = 0;
	L->bb_ban_until = 0;
	L->bb_bans = 0;
	L->bb_403 = L->bb_10006 = 0;
	ring_init(&L->bb_ip, L->cfg.bb_ip_5s);
	uid_free(L);
	w->wused = 0;
}

/* ---- configuration ---- */

static const char *const cfg_keys[] = {
	"binance_weight_1m", "binance_ban_after", "binance_ban_ms", "ban_ms", "bybit_ip_5s",
	"bybit_ban_ms",      "bybit_uid",         "clear",          NULL
};

/* A non-negative integer (number or decimal string): 0 ok, -1 bad. */
static int nonneg(struct json_object *v, long long max, long long *out)
{
	double d;

	if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_string))
		d = sim_num(v);
	else
		return -1;
	if (json_object_is_type(v, json_type_string) && !*json_object_get_string(v))
		return -1;
	if (!(d >= 0) || d > (double)max)
		return -1;
	*out = (long long)d;
	return 0;
}

static int flag(struct json_object *v, int *out)
{
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v) != 0;
		return 0;
	}
	return -1;
}

int sim_limits_set(struct sim_world *w, struct json_object *o, char *err, size_t errn)
{
	struct sim_limits *L = &w->lim;
	struct sim_limits_cfg c = L->cfg;
	int clear = 0, uid = c.bb_uid;
	long long v;

	if (!o || !json_object_is_type(o, json_type_object)) {
		snprintf(err, errn, "limits must be an object");
		return -1;
	}
	json_object_object_foreach(o, k, val)
	{
		int known = 0;

		for (int i = 0; cfg_keys[i]; i++)
			known |= !strcmp(k, cfg_keys[i]);
		if (!known) {
			snprintf(err, errn, "limits: unknown key %.60s", k);
			return -1;
		}
		if (!val) {
			snprintf(err, errn, "limits: %.60s must not be null", k);
			return -1;
		}
		if (!strcmp(k, "bybit_uid") || !strcmp(k, "clear")) {
			int f;

			if (flag(val, &f) < 0) {
				snprintf(err, errn, "limits: %.60s must be a boolean", k);
				return -1;
			}
			if (!strcmp(k, "clear"))
				clear = f;
			else
				uid = f;
			continue;
		}
		if (nonneg(val,
			   !strcmp(k, "bybit_ip_5s") ? RING_MAX
			   : strstr(k, "_ms")        ? BAN_MAX_MS
						     : INT_MAX,
			   &v) < 0) {
			snprintf(err, errn, "limits: %.60s must be a non-negative integer%s", k,
				 !strcmp(k, "bybit_ip_5s") ? " (at most 1000000)" : "");
			return -1;
		}
		if (!strcmp(k, "binance_weight_1m"))
			c.bn_weight_1m = (int)v;
		else if (!strcmp(k, "binance_ban_after"))
			c.bn_ban_after = (int)v;
		else if (!strcmp(k, "binance_ban_ms") || !strcmp(k, "ban_ms"))
			c.bn_ban_ms = v;
		else if (!strcmp(k, "bybit_ip_5s"))
			c.bb_ip_5s = (int)v;
		else if (!strcmp(k, "bybit_ban_ms"))
			c.bb_ban_ms = v;
	}
	c.bb_uid = uid;
	if (c.bb_ip_5s != L->cfg.bb_ip_5s)
		ring_init(&L->bb_ip, c.bb_ip_5s);
	L->cfg = c;
	if (clear)
		sim_limits_clear(w, 0);
	log_info("sim",
		 "limits binance_weight_1m=%d binance_ban_after=%d binance_ban_ms=%lld "
		 "bybit_ip_5s=%d bybit_ban_ms=%lld bybit_uid=%d%s",
		 c.bn_weight_1m, c.bn_ban_after, c.bn_ban_ms, c.bb_ip_5s, c.bb_ban_ms, c.bb_uid,
		 clear ? " (cleared)" : "");
	return 0;
}

/* ---- Binance ---- */

static void bn_roll(struct sim_world *w, long long now)
{
	struct sim_limits *L = &w->lim;
	long long min = now / BN_WINDOW_MS;

	if (min == w->wmin)
		return;
	if (w->wmin) {
		memmove(L->whist_min + 1, L->whist_min, sizeof L->whist_min[0] * (SIM_WHIST - 1));
		memmove(L->whist_used + 1, L->whist_used, sizeof L->whist_used[0] * (SIM_WHIST - 1));
		L->whist_min[0] = w->wmin;
		L->whist_used[0] = w->wused;
		if (L->whist_n < SIM_WHIST)
			L->whist_n++;
	}
	w->wmin = min;
	w->wused = 0;
}

static void set_body(struct sim_resp *r, int status, const char *s)
{
	free(r->body);
	r->status = status;
	r->body = xstrdup(s);
	r->len = strlen(s);
}

static long long ceil_s(long long ms)
{
	long long s = (ms + 999) / 1000;

	return s < 1 ? 1 : s;
}

static void bn_banned(struct sim_world *w, struct sim_resp *r, long long now)
{
	char b[256];

	snprintf(b, sizeof b,
		 "{\"code\":-1003,\"msg\":\"Way too many requests; IP(127.0.0.1) banned until %lld. "
		 "Please use the websocket for live updates to avoid bans.\"}",
		 w->lim.bn_ban_until + (sim_now(w, SIM_BINANCE) - now));
	set_body(r, 418, b);
	sim_resp_hdr(r, "Retry-After", "%lld", ceil_s(w->lim.bn_ban_until - now));
	w->lim.bn_418++;
}

static int bn_pre(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	struct sim_limits *L = &w->lim;
	long long now = lnow(w);
	int est;

	bn_roll(w, now);
	if (L->cfg.bn_weight_1m <= 0)
		return 0;
	if (L->bn_ban_until > now) {
		bn_banned(w, r, now);
		return 1;
	}
	est = sim_bn_weight(rq->method, rq->path, rq->query);
	if (est <= 0 || w->wused + est <= L->cfg.bn_weight_1m)
		return 0;
	if (L->strikes_min != w->wmin) {
		L->strikes_min = w->wmin;
		L->strikes = 0;
	}
	if (L->cfg.bn_ban_ms > 0 && L->strikes > L->cfg.bn_ban_after) {
		int shift = L->bn_bans < 20 ? L->bn_bans : 20;
		long long d = L->cfg.bn_ban_ms << shift;

		if (d > BAN_MAX_MS)
			d = BAN_MAX_MS;
		L->bn_bans++;
		L->bn_ban_until = now + d;
		log_warn("sim", "binance: IP banned for %lld ms (ban %d) after %d answers 429 this minute", d,
			 L->bn_bans, L->strikes);
		L->strikes = 0;
		bn_banned(w, r, now);
		return 1;
	}
	{
		char b[256];

		snprintf(b, sizeof b,
			 "{\"code\":-1003,\"msg\":\"Too many requests; current limit of IP(127.0.0.1) is %d "
			 "requests per minute. Please use the websocket for live updates to avoid polling "
			 "the API.\"}",
			 L->cfg.bn_weight_1m);
		set_body(r, 429, b);
	}
	sim_resp_hdr(r, "Retry-After", "%lld", ceil_s(BN_WINDOW_MS - now % BN_WINDOW_MS));
	if (!L->strikes)
		log_warn("sim", "binance: request weight %lld + %d over the limit %d: 429 until the minute turns",
			 w->wused, est, L->cfg.bn_weight_1m);
	L->strikes++;
	L->bn_429++;
	return 1;
}

void sim_limits_order_count(struct sim_world *w, struct sim_account *a, struct sim_resp *r)
{
	long long now = lnow(w);

	if (a->oc_min != now / 60000)
		a->oc_min = now / 60000, a->oc_1m = 0;
	if (a->oc_10s_win != now / 10000)
		a->oc_10s_win = now / 10000, a->oc_10s = 0;
	a->oc_1m++;
	a->oc_10s++;
	sim_resp_hdr(r, "X-MBX-ORDER-COUNT-10S", "%lld", a->oc_10s);
	sim_resp_hdr(r, "X-MBX-ORDER-COUNT-1M", "%lld", a->oc_1m);
}

/* ---- Bybit ---- */

static struct sim_uid_bucket *bucket(struct sim_limits *L, const char *key, const char *name, int limit)
{
	struct sim_uid_bucket *b;

	for (b = L->uid; b; b = b->next)
		if (!strcmp(b->key, key) && !strcmp(b->name, name))
			return b;
	b = xcalloc(1, sizeof *b);
	snprintf(b->key, sizeof b->key, "%s", key);
	snprintf(b->name, sizeof b->name, "%s", name);
	b->limit = limit;
	ring_init(&b->ring, limit);
	b->next = L->uid;
	L->uid = b;
	return b;
}

static void bb_403(struct sim_world *w, struct sim_resp *r)
{
	set_body(r, 403, "{\"retCode\":10006,\"retMsg\":\"access too frequent\"}");
	w->lim.bb_403++;
}

static int bb_pre(struct sim_world *w, const struct sim_req *rq, struct sim_account *a, struct sim_resp *r)
{
	struct sim_limits *L = &w->lim;
	long long now = lnow(w);
	long long skew = sim_now(w, SIM_BYBIT) - now; /* clock_offset: headers in server time */
	struct sim_uid_bucket *b;
	char name[112];
	int limit, used;

	if (L->cfg.bb_ip_5s > 0) {
		if (L->bb_ban_until > now) {
			bb_403(w, r);
			return 1;
		}
		if (ring_full(&L->bb_ip, now, BB_IP_WINDOW_MS)) {
			L->bb_bans++;
			L->bb_ban_until = now + L->cfg.bb_ban_ms;
			log_warn("sim", "bybit: %d requests in 5 s: IP blocked for %lld ms (403)", L->cfg.bb_ip_5s,
				 L->cfg.bb_ban_ms);
			bb_403(w, r);
			return 1;
		}
		ring_add(&L->bb_ip, now);
	}
	if ((limit = sim_bb_uid_limit(rq->method, rq->path)) <= 0)
		return 0;
	snprintf(name, sizeof name, "%.7s %.100s", rq->method, rq->path);
	b = bucket(L, a ? a->key : "public", name, limit);
	if (L->cfg.bb_uid && a && strncmp(rq->path, "/v5/market/", 11) && ring_full(&b->ring, now, BB_UID_WINDOW_MS)) {
		char body[200];

		snprintf(body, sizeof body,
			 "{\"retCode\":10006,\"retMsg\":\"Too many "
			 "visits!\",\"result\":{},\"retExtInfo\":{},\"time\":%lld}",
			 sim_now(w, SIM_BYBIT));
		set_body(r, 200, body);
		sim_resp_hdr(r, "X-Bapi-Limit-Status", "0");
		sim_resp_hdr(r, "X-Bapi-Limit", "%d", limit);
		sim_resp_hdr(r, "X-Bapi-Limit-Reset-Timestamp", "%lld",
			     ring_oldest(&b->ring) + BB_UID_WINDOW_MS + skew);
		if (!b->rejected++)
			log_warn("sim", "bybit: %s over %d/s for one key: retCode 10006", name, limit);
		L->bb_10006++;
		return 1;
	}
	ring_add(&b->ring, now);
	b->accepted++;
	used = ring_used(&b->ring, now, BB_UID_WINDOW_MS);
	sim_resp_hdr(r, "X-Bapi-Limit-Status", "%d", used < limit ? limit - used : 0);
	sim_resp_hdr(r, "X-Bapi-Limit", "%d", limit);
	sim_resp_hdr(r, "X-Bapi-Limit-Reset-Timestamp", "%lld",
		     used >= limit ? ring_oldest(&b->ring) + BB_UID_WINDOW_MS + skew : now + skew);
	return 0;
}

/* ---- entry points ---- */

int sim_limits_pre(struct sim_world *w, int ex, const struct sim_req *rq, struct sim_account *a, struct sim_resp *r)
{
	int rej = ex == SIM_BINANCE ? bn_pre(w, rq, r) : bb_pre(w, rq, a, r);

	if (rej) {
		r->limited = 1;
		r->weight = 0;
	}
	return rej;
}

void sim_limits_post(struct sim_world *w, int ex, struct sim_resp *r)
{
	if (ex != SIM_BINANCE)
		return;
	bn_roll(w, lnow(w));
	if (!r->limited)
		w->wused += r->weight;
	sim_resp_hdr(r, "X-MBX-USED-WEIGHT-1M", "%lld", w->wused);
}

/* ---- GET /_sim/limits ---- */

static struct json_object *account_counts(struct sim_account *a)
{
	struct json_object *o = json_object_new_object();

	sim_jstr_add(o, "exchange", a == a->world->anon ? "" : a->ex == SIM_BINANCE ? "binance" : "bybit");
	sim_jint(o, "total", a->total);
	sim_jint(o, "weight", a->weight);
	sim_jint(o, "limited", a->limited);
	json_object_object_add(o, "endpoints", json_object_get(a->counters));
	return o;
}

struct json_object *sim_limits_json(struct sim_world *w)
{
	struct sim_limits *L = &w->lim;
	long long now = lnow(w);
	struct json_object *o = json_object_new_object(), *c = json_object_new_object();
	struct json_object *bn = json_object_new_object(), *bb = json_object_new_object();
	struct json_object *hist = json_object_new_array(), *uid = json_object_new_array();
	struct json_object *acc = json_object_new_object();

	bn_roll(w, now);
	sim_jint(c, "binance_weight_1m", L->cfg.bn_weight_1m);
	sim_jint(c, "binance_ban_after", L->cfg.bn_ban_after);
	sim_jint(c, "binance_ban_ms", L->cfg.bn_ban_ms);
	sim_jint(c, "bybit_ip_5s", L->cfg.bb_ip_5s);
	sim_jint(c, "bybit_ban_ms", L->cfg.bb_ban_ms);
	sim_jbool(c, "bybit_uid", L->cfg.bb_uid);
	json_object_object_add(o, "config", c);

	sim_jbool(bn, "enforced", L->cfg.bn_weight_1m > 0);
	sim_jint(bn, "weight_limit_1m", L->cfg.bn_weight_1m);
	sim_jint(bn, "used_weight_1m", w->wused);
	sim_jint(bn, "window_start", w->wmin * BN_WINDOW_MS);
	sim_jint(bn, "window_reset_in_ms", BN_WINDOW_MS - now % BN_WINDOW_MS);
	for (int i = 0; i < L->whist_n; i++) {
		struct json_object *e = json_object_new_object();

		sim_jint(e, "window_start", L->whist_min[i] * BN_WINDOW_MS);
		sim_jint(e, "weight", L->whist_used[i]);
		json_object_array_add(hist, e);
	}
	json_object_object_add(bn, "past_windows", hist);
	sim_jint(bn, "strikes", L->strikes_min == w->wmin ? L->strikes : 0);
	sim_jbool(bn, "banned", L->cfg.bn_weight_1m > 0 && L->bn_ban_until > now);
	sim_jint(bn, "ban_until", L->bn_ban_until);
	sim_jint(bn, "bans", L->bn_bans);
	sim_jint(bn, "rejected_429", L->bn_429);
	sim_jint(bn, "rejected_418", L->bn_418);
	json_object_object_add(o, "binance", bn);

	sim_jbool(bb, "ip_enforced", L->cfg.bb_ip_5s > 0);
	sim_jint(bb, "ip_limit_5s", L->cfg.bb_ip_5s);
	sim_jint(bb, "ip_used_5s", ring_used(&L->bb_ip, now, BB_IP_WINDOW_MS));
	sim_jbool(bb, "banned", L->cfg.bb_ip_5s > 0 && L->bb_ban_until > now);
	sim_jint(bb, "ban_until", L->bb_ban_until);
	sim_jint(bb, "bans", L->bb_bans);
	sim_jint(bb, "rejected_403", L->bb_403);
	sim_jbool(bb, "uid_enforced", L->cfg.bb_uid);
	sim_jint(bb, "rejected_10006", L->bb_10006);
	for (struct sim_uid_bucket *b = L->uid; b; b = b->next) {
		struct json_object *e = json_object_new_object();

		sim_jstr_add(e, "account", b->key);
		sim_jstr_add(e, "endpoint", b->name);
		sim_jint(e, "limit", b->limit);
		sim_jint(e, "used_1s", ring_used(&b->ring, now, BB_UID_WINDOW_MS));
		sim_jint(e, "accepted", b->accepted);
		sim_jint(e, "rejected", b->rejected);
		json_object_array_add(uid, e);
	}
	json_object_object_add(bb, "uid", uid);
	json_object_object_add(o, "bybit", bb);

	for (int i = 0; i < w->nacct; i++)
		json_object_object_add(acc, w->acct[i]->key, account_counts(w->acct[i]));
	json_object_object_add(acc, "public", account_counts(w->anon));
	json_object_object_add(o, "accounts", acc);
	return o;
}
