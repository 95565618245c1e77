/* The world: symbols with marks, accounts per API key, the per-account
 * request log and counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

struct sim_world *sim_world_new(unsigned long long seed)
{
	struct sim_world *w = xcalloc(1, sizeof *w);

	w->seed = w->rng = seed;
	w->next_id = 4000000000LL + (long long)(sim_rand(w) % 1000000) * 10;
	w->next_fault_id = 1;
	w->anon = xcalloc(1, sizeof *w->anon);
	w->anon->world = w;
	snprintf(w->anon->key, sizeof w->anon->key, "public");
	sim_account_reset(w, w->anon);
	sim_limits_init(w);
	return w;
}

static void orders_free(struct sim_account *a)
{
	for (size_t i = 0; i < a->norders; i++)
		free(a->orders[i]);
	a->norders = 0;
}

static void account_free(struct sim_account *a)
{
	orders_free(a);
	free(a->orders);
	sim_pos_free_all(a);
	free(a->symset);
	json_object_put(a->log);
	json_object_put(a->olog);
	json_object_put(a->counters);
	free(a);
}

void sim_world_free(struct sim_world *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->nacct; i++)
		account_free(w->acct[i]);
	free(w->acct);
	account_free(w->anon);
	sim_fault_clear(w, -1);
	sim_limits_free(w);
	json_object_put(w->start_accounts);
	free(w->sym);
	free(w);
}

int sim_symbol_find(struct sim_world *w, const char *name)
{
	for (int i = 0; name && i < w->nsym; i++)
		if (strcmp(w->sym[i].name, name) == 0)
			return i;
	return -1;
}

int sim_symbol_add(struct sim_world *w, const char *name, double mark, double tick, double step, double min_qty)
{
	int i = sim_symbol_find(w, name);
	struct sim_symbol *s;
	size_t n = strlen(name);

	if (i < 0) {
		if (w->nsym >= SIM_MAX_SYM || n < 5 || n >= sizeof s->name)
			return -1;
		if (w->nsym == w->symcap) {
			w->symcap = w->symcap ? w->symcap * 2 : 16;
			w->sym = xrealloc(w->sym, sizeof *w->sym * (size_t)w->symcap);
		}
		i = w->nsym++;
		memset(&w->sym[i], 0, sizeof w->sym[i]);
	}
	s = &w->sym[i];
	snprintf(s->name, sizeof s->name, "%s", name);
	/* linear perpetuals: base = name minus "USDT" / "USDC" / "PERP"; Bybit
	 * names its USDC perpetuals ...PERP (ETHPERP), settled in USDC */
	snprintf(s->base, sizeof s->base, "%.*s", (int)(n > 4 ? n - 4 : n), name);
	if (!s->settle[0])
		snprintf(s->settle, sizeof s->settle, "%s",
			 n > 4 && (!strcmp(name + n - 4, "PERP") || !strcmp(name + n - 4, "USDC")) ? "USDC" : "USDT");
	if (!s->ex_mask)
		s->ex_mask = 1 << SIM_BINANCE | 1 << SIM_BYBIT;
	s->mark = s->mark0 = mark;
	s->tick = tick > 0 ? tick : 0.01;
	s->step = step > 0 ? step : 0.001;
	s->min_qty = min_qty > 0 ? min_qty : s->step;
	s->pdp = sim_dp_of(s->tick);
	s->qdp = sim_dp_of(s->step);
	return i;
}

void sim_symbol_meta(struct sim_world *w, int sym, const char *settle, int ex_mask)
{
	if (sym < 0 || sym >= w->nsym)
		return;
	if (settle && *settle)
		snprintf(w->sym[sym].settle, sizeof w->sym[sym].settle, "%.7s", settle);
	if (ex_mask)
		w->sym[sym].ex_mask = ex_mask;
}

int sim_symbol_listed(struct sim_world *w, int sym, int ex)
{
	return sym >= 0 && sym < w->nsym && (w->sym[sym].ex_mask >> ex) & 1;
}

struct sim_account *sim_account_find(struct sim_world *w, const char *key)
{
	for (int i = 0; key && i < w->nacct; i++)
		if (strcmp(w->acct[i]->key, key) == 0)
			return w->acct[i];
	return NULL;
}

struct sim_account *sim_account_first(struct sim_world *w, int ex)
{
	for (int i = 0; i < w->nacct; i++)
		if (ex < 0 || (int)w->acct[i]->ex == ex)
			return w->acct[i];
	return NULL;
}

/* Unrestricted accounts trade every symbol, also those a later scenario
 * adds; callers pass ids below w->nsym. */
int sim_account_has(struct sim_account *a, int sym)
{
	if (sym < 0 || sym >= SIM_MAX_SYM)
		return 0;
	if (a->world && sym < a->world->nsym && !sim_symbol_listed(a->world, sym, (int)a->ex))
		return 0; /* not listed on this account's exchange */
	if (!a->restricted)
		return 1;
	return sym / 8 < a->symset_n && (a->symset[sym / 8] >> (sym % 8)) & 1;
}

void sim_account_restrict(struct sim_account *a)
{
	a->restricted = 1;
	if (a->symset)
		memset(a->symset, 0, (size_t)a->symset_n);
}

int sim_account_allow(struct sim_account *a, int sym)
{
	if (sym < 0 || sym >= SIM_MAX_SYM)
		return -1;
	if (sym / 8 >= a->symset_n) {
		int n = SIM_MAX_SYM / 8;

		a->symset = xrealloc(a->symset, (size_t)n);
		memset(a->symset + a->symset_n, 0, (size_t)(n - a->symset_n));
		a->symset_n = n;
	}
	a->symset[sym / 8] |= (unsigned char)(1u << (sym % 8));
	return 0;
}

void sim_new_listen_key(struct sim_world *w, struct sim_account *a)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (int i = 0; i < 64; i++)
		a->listen_key[i] = al[sim_rand(w) % (sizeof al - 1)];
	a->listen_key[64] = '\0';
	a->lk_expires = sim_now(w, SIM_BINANCE) + 3600 * 1000LL;
}

void sim_account_reset(struct sim_world *w, struct sim_account *a)
{
	long long now = sim_now(w, (int)a->ex);

	a->balance = a->balance0;
	a->hedge = a->hedge0;
	sim_pos_free_all(a);
	orders_free(a);
	a->listen_key[0] = '\0';
	a->lk_expires = 0;
	a->seq = 1000;
	json_object_put(a->log);
	json_object_put(a->olog);
	json_object_put(a->counters);
	a->log = json_object_new_array();
	a->olog = json_object_new_array();
	a->counters = json_object_new_object();
	a->total = a->weight = a->limited = 0;
	a->oc_min = a->oc_1m = a->oc_10s_win = a->oc_10s = 0;
	a->bal_updated = now;
}

struct sim_account *sim_account_add(struct sim_world *w, enum sim_exch ex, const char *key, const char *secret,
				    double balance, int hedge)
{
	struct sim_account *a = sim_account_find(w, key);

	if (!a) {
		a = xcalloc(1, sizeof *a);
		w->acct = xrealloc(w->acct, sizeof *w->acct * (size_t)(w->nacct + 1));
		w->acct[w->nacct++] = a;
	}
	a->ex = ex;
	a->world = w;
	snprintf(a->key, sizeof a->key, "%s", key);
	snprintf(a->secret, sizeof a->secret, "%s", secret);
	a->balance0 = balance;
	a->hedge0 = hedge;
	a->restricted = 0; /* every symbol until a scenario lists its own */
	sim_account_reset(w, a);
	return a;
}

void sim_world_defaults(struct sim_world *w, int what)
{
	static const struct {
		const char *n;
		double mark, tick, step;
	} d[] = {
		{ "BTCUSDT", 60000, 0.1, 0.001 }, { "ETHUSDT", 3000, 0.01, 0.001 }, { "SKLUSDT", 0.03, 0.00001, 1 },
		{ "AVLUSDT", 0.25, 0.0001, 1 },   { "KAVAUSDT", 0.5, 0.0001, 0.1 }, { "BASUSDT", 0.05, 0.00001, 1 },
		{ "LTCUSDT", 80, 0.01, 0.001 },   { "ETHPERP", 3000, 0.01, 0.001 },
	};
	if ((what & 1) && w->nsym == 0) {
		for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
			sim_symbol_add(w, d[i].n, d[i].mark, d[i].tick, d[i].step, d[i].step);
		/* Bybit's USDC perpetual: Binance has no such symbol */
		sim_symbol_meta(w, sim_symbol_find(w, "ETHPERP"), "USDC", 1 << SIM_BYBIT);
	}
	if ((what & 2) && w->nacct == 0) {
		sim_account_add(w, SIM_BINANCE, "sim-binance-key", "sim-binance-secret", 10000, 0);
		sim_account_add(w, SIM_BYBIT, "sim-bybit-key", "sim-bybit-secret", 10000, 0);
	}
}

void sim_world_reset(struct sim_world *w)
{
	sim_scenario_cancel(w);
	sim_fault_clear(w, -1);
	for (int i = 0; i < w->nsym; i++)
		w->sym[i].mark = w->sym[i].mark0;
	for (int i = 0; i < w->nacct; i++)
		sim_account_reset(w, w->acct[i]);
	sim_account_reset(w, w->anon);
	w->wused = 0;
	sim_limits_clear(w, 1);
}

void sim_log_add(struct sim_world *w, struct sim_account *a, struct json_object *entry)
{
	(void)w;
	sim_jint(entry, "seq", ++a->log_seq);
	json_object_array_add(a->log, entry);
	if (json_object_array_length(a->log) > SIM_LOG_MAX)
		json_object_array_del_idx(a->log, 0, json_object_array_length(a->log) - SIM_LOG_MAX);
}

int sim_by_resolve(struct sim_world *w, int by)
{
	return by == SIM_BY_ENGINE ? SIM_BY_ENGINE : w->in_rest ? SIM_BY_REST : SIM_BY_SIM;
}

const char *sim_by_name(int by)
{
	return by == SIM_BY_REST ? "rest" : by == SIM_BY_ENGINE ? "engine" : "sim";
}

void sim_order_event(struct sim_world *w, struct sim_account *a, struct sim_order *o, const char *event, int by,
		     const char *reason)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *e = json_object_new_object();
	const char *ps = o->ps == 1 ? "LONG" : o->ps == 2 ? "SHORT" : "BOTH";
	int rest = (by = sim_by_resolve(w, by)) == SIM_BY_REST;

	sim_jint(e, "seq", ++a->olog_seq);
	sim_jint(e, "t", sim_real_ms());
	sim_jstr_add(e, "event", event);
	sim_jstr_add(e, "account", a->key);
	sim_jstr_add(e, "exchange", a->ex == SIM_BINANCE ? "binance" : "bybit");
	sim_jstr_add(e, "order_id", o->oid);
	sim_jstr_add(e, "client_id", o->client);
	sim_jstr_add(e, "symbol", s->name);
	sim_jstr_add(e, "type", o->type);
	sim_jstr_add(e, "stop_type", o->stop_type);
	sim_jstr_add(e, "side", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(e, "position_side", ps);
	sim_jint(e, "position_idx", o->ps);
	sim_jdec(e, "qty", o->qty, s->qdp);
	sim_jdec(e, "price", o->price, s->pdp);
	sim_jdec(e, "trigger", o->trigger, s->pdp);
	sim_jint(e, "trigger_direction", o->cond ? o->trig_dir : 0);
	sim_jbool(e, "reduce_only", o->reduce_only);
	sim_jbool(e, "close_position", o->close_position);
	sim_jbool(e, "close_on_trigger", o->close_on_trigger);
	sim_jbool(e, "conditional", o->cond);
	sim_jbool(e, "trailing", o->trailing);
	if (o->trailing) {
		sim_jdec(e, "activate_price", o->activate, s->pdp);
		sim_jdec(e, "callback_rate", o->callback, 2);
		sim_jdec(e, "trailing_stop", o->distance, s->pdp);
	}
	sim_jstr_add(e, "status", o->status);
	sim_jstr_add(e, "source", o->source);
	sim_jstr_add(e, "by", sim_by_name(by));
	sim_jstr_add(e, "request", rest ? w->rest_name : "");
	sim_jint(e, "request_seq", rest ? w->rest_seq : 0);
	sim_jstr_add(e, "reason", reason ? reason : "");
	json_object_array_add(a->olog, e);
	if (json_object_array_length(a->olog) > SIM_LOG_MAX)
		json_object_array_del_idx(a->olog, 0, json_object_array_length(a->olog) - SIM_LOG_MAX);
}

void sim_count(struct sim_account *a, const char *method, const char *path, int weight, int limited)
{
	char k[160];
	struct json_object *e;

	snprintf(k, sizeof k, "%s %s", method, path);
	if (!json_object_object_get_ex(a->counters, k, &e)) {
		e = json_object_new_object();
		sim_jint(e, "count", 0);
		sim_jint(e, "weight", 0);
		sim_jint(e, "limited", 0);
		json_object_object_add(a->counters, k, e);
	}
	sim_jint(e, "count", json_object_get_int64(json_object_object_get(e, "count")) + 1);
	sim_jint(e, "weight", json_object_get_int64(json_object_object_get(e, "weight")) + weight);
	sim_jint(e, "limited", json_object_get_int64(json_object_object_get(e, "limited")) + !!limited);
	a->total++;
	a->weight += weight;
	a->limited += !!limited;
}
