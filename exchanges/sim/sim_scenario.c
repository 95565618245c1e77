/* Scenarios: symbols, accounts, faults and a timeline of steps. Steps go
 * through the normal order path so streams and REST change as they would
 * for a bot. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

static double num(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) ? sim_num(v) : 0;
}

static int has(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && v;
}

static int boolv(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return !strcasecmp(json_object_get_string(v), "true");
	return json_object_get_boolean(v);
}

static void fail(struct json_object *ans, const char *msg, int code)
{
	sim_jbool(ans, "ok", 0);
	sim_jstr_add(ans, "error", msg);
	sim_jint(ans, "code", code);
}

static void order_drop(struct sim_account *a)
{
	if (a->norders)
		free(a->orders[--a->norders]);
}

static int side_of(const char *s)
{
	if (!s)
		return 0;
	return !strcasecmp(s, "BUY") ? 1 : !strcasecmp(s, "SELL") ? -1 : 0;
}

static int ps_of(const char *s)
{
	if (!s)
		return -1;
	return !strcasecmp(s, "LONG") ? 1 : !strcasecmp(s, "SHORT") ? 2 : 0;
}

static const char *fail_text(enum sim_fail f, int *code, int bn)
{
	switch (f) {
	case SIM_F_REDUCE_ONLY: *code = bn ? -2022 : 110017; return "reduce-only rejected";
	case SIM_F_WOULD_TRIGGER: *code = bn ? -2021 : 110092; return "would immediately trigger";
	case SIM_F_MIN_QTY: *code = bn ? -4003 : 10001; return "quantity below minimum";
	case SIM_F_DUP_CLIENT: *code = bn ? -4116 : 110072; return "duplicate client id";
	case SIM_F_NO_SYMBOL: *code = bn ? -1121 : 10001; return "unknown symbol";
	default: *code = bn ? -1102 : 10001; return "bad parameters";
	}
}

/* Places an order built from step keys; answers order_id or the error.
 * Binance: type is the exchange's word (MARKET, LIMIT, STOP_MARKET, STOP,
 * TAKE_PROFIT_MARKET, TAKE_PROFIT, TRAILING_STOP_MARKET); conditional types
 * go to the algo book. Bybit: Market / Limit, conditional when a trigger is
 * given (or the type is a STOP / TAKE_PROFIT word), stopOrderType Stop. */
static int place(struct sim_world *w, struct sim_account *a, struct json_object *step, int sym, int side, double qty,
		 const char *type, int ps, struct json_object *ans)
{
	int bn = a->ex == SIM_BINANCE, cond, code;
	struct sim_order *o;
	enum sim_fail f;
	const char *cid = sim_jstr(step, "client_id"), *tif = sim_jstr(step, "time_in_force");
	int trailing = !strcasecmp(type, "TRAILING_STOP_MARKET");

	if (trailing && !bn) {
		fail(ans, "Bybit trailing stops are position TP/SL: use op tpsl with trailing_stop", 10001);
		return -1;
	}
	if (trailing && num(step, "callback_rate") <= 0) {
		fail(ans, "TRAILING_STOP_MARKET needs callback_rate", bn ? -1102 : 10001);
		return -1;
	}
	cond = strcasestr(type, "STOP") || strcasestr(type, "TAKE_PROFIT") || (!bn && num(step, "trigger") > 0);
	o = sim_order_new(w, a);
	o->sym = sym, o->side = side, o->qty = qty, o->ps = ps, o->cond = cond;
	o->price = num(step, "price");
	o->trigger = num(step, "trigger");
	o->reduce_only = boolv(step, "reduce_only");
	o->close_position = bn && boolv(step, "close_position");
	snprintf(o->source, sizeof o->source, "sim");
	if (cid)
		snprintf(o->client, sizeof o->client, "%s", cid);
	else
		snprintf(o->client, sizeof o->client, "sim-%lld", o->id);
	if (tif)
		snprintf(o->tif, sizeof o->tif, "%.15s", tif);
	if (bn) {
		snprintf(o->type, sizeof o->type, "%s", type);
		if (a->hedge)
			o->reduce_only = 0; /* closing is by side + positionSide */
		if (trailing) {
			o->trailing = 1;
			o->trigger = 0;
			o->activate = num(step, "activate_price");
			o->callback = num(step, "callback_rate");
		}
	} else {
		int limit = !strcasecmp(type, "LIMIT") || !strcasecmp(type, "STOP") || !strcasecmp(type, "TAKE_PROFIT");

		snprintf(o->type, sizeof o->type, "%s", limit ? "Limit" : "Market");
		if (cond) {
			snprintf(o->stop_type, sizeof o->stop_type, "Stop");
			o->close_on_trigger = boolv(step, "close_on_trigger") || boolv(step, "close_position");
			if (o->close_on_trigger)
				o->reduce_only = 1;
			if (has(step, "trigger_direction"))
				o->trig_dir = (int)sim_clamp(num(step, "trigger_direction"), 0, 2);
			else if (strcasestr(type, "STOP") || strcasestr(type, "TAKE_PROFIT"))
				o->trig_dir = ((strncasecmp(type, "STOP", 4) == 0) ? side > 0 : side < 0) ? 1 : 2;
			else /* a plain Market/Limit with a trigger: the side of the mark it is on */
				o->trig_dir = o->trigger > w->sym[sym].mark ? 1 : 2;
			if (!o->trig_dir) {
				order_drop(a);
				fail(ans, "trigger_direction must be 1 (rise) or 2 (fall)", 10001);
				return -1;
			}
		}
		if (!strcmp(o->type, "Market") && !cond)
			snprintf(o->tif, sizeof o->tif, "IOC");
	}
	f = sim_place(w, a, o);
	if (f) {
		const char *m = fail_text(f, &code, bn);

		fail(ans, m, code);
		return -1;
	}
	sim_jbool(ans, "ok", 1);
	sim_jstr_add(ans, "order_id", o->oid);
	sim_jstr_add(ans, "client_id", o->client);
	return 0;
}

/* The leg an order acts on: position_idx (Bybit 0/1/2) or position_side,
 * else BOTH in one-way mode and BUY -> LONG / SELL -> SHORT in hedge mode. */
static int open_ps(struct sim_account *a, int side, struct json_object *step)
{
	const char *ps = sim_jstr(step, "position_side");

	if (has(step, "position_idx"))
		return (int)sim_clamp(num(step, "position_idx"), 0, 2);
	if (ps_of(ps) >= 0)
		return ps_of(ps);
	if (!a->hedge)
		return 0;
	return side > 0 ? 1 : 2;
}

/* The open leg a close / stop / tpsl step means. */
static int leg_of(struct sim_account *a, int sym, struct json_object *step)
{
	int ps = has(step, "position_idx") ? (int)sim_clamp(num(step, "position_idx"), 0, 2)
					   : ps_of(sim_jstr(step, "position_side"));

	if (ps < 0)
		ps = !a->hedge ? 0 : sim_pos(a, sym, 1)->amt != 0 ? 1 : 2;
	return ps;
}

static double opt(struct json_object *o, const char *k)
{
	return has(o, k) ? num(o, k) : -1;
}

int sim_step_run(struct sim_world *w, struct json_object *step, struct json_object *ans)
{
	const char *op = sim_jstr(step, "op"), *key = sim_jstr(step, "account");
	const char *ex = sim_jstr(step, "exchange");
	struct sim_account *a;
	int sym = sim_symbol_find(w, sim_jstr(step, "symbol"));
	char err[128];

	if (key)
		a = sim_account_find(w, key);
	else
		a = sim_account_first(w, !ex ? -1 : !strcmp(ex, "bybit") ? SIM_BYBIT : SIM_BINANCE);
	if (!op) {
		fail(ans, "missing op", 0);
		return -1;
	}
	if (!strcmp(op, "fault")) {
		struct json_object *f;
		struct sim_fault *fl;

		if (!json_object_object_get_ex(step, "fault", &f)) {
			fail(ans, "missing fault", 0);
			return -1;
		}
		if (!(fl = sim_fault_add(w, f, err, sizeof err))) {
			fail(ans, err, 0);
			return -1;
		}
		sim_jbool(ans, "ok", 1);
		sim_jint(ans, "id", fl->id);
		if (!strcmp(fl->type, "ws_disconnect"))
			sim_server_disconnect(w, sim_account_find(w, fl->account));
		if (!strcmp(fl->type, "listen_key_expire"))
			for (int i = 0; i < w->nacct; i++)
				if (w->acct[i]->ex == SIM_BINANCE && w->acct[i]->listen_key[0] &&
				    (!fl->account[0] || !strcmp(fl->account, w->acct[i]->key))) {
					sim_stream_listen_key_expired(w, w->acct[i]);
					w->acct[i]->listen_key[0] = '\0';
					w->acct[i]->lk_expires = 0;
				}
		return 0;
	}
	if (!strcmp(op, "limits")) {
		struct json_object *l;

		if (!json_object_object_get_ex(step, "limits", &l)) {
			fail(ans, "missing limits", 0);
			return -1;
		}
		if (sim_limits_set(w, l, err, sizeof err) < 0) {
			fail(ans, err, 0);
			return -1;
		}
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (!strcmp(op, "clear_faults")) {
		sim_fault_clear(w, -1);
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (!strcmp(op, "mark") || !strcmp(op, "move")) {
		double m;

		if (sym < 0) {
			fail(ans, "unknown symbol", 0);
			return -1;
		}
		m = w->sym[sym].mark;
		if (!strcmp(op, "mark"))
			m = num(step, "price");
		else if (has(step, "pct"))
			m *= 1 + num(step, "pct") / 100;
		else
			m += num(step, "delta");
		if (m <= 0) {
			fail(ans, "mark must be > 0", 0);
			return -1;
		}
		sim_set_mark(w, sym, m);
		sim_jbool(ans, "ok", 1);
		sim_jdec(ans, "mark", w->sym[sym].mark, w->sym[sym].pdp);
		return 0;
	}
	if (!a) {
		fail(ans, "unknown account", 0);
		return -1;
	}
	if (!strcmp(op, "expire_listen_key")) {
		sim_stream_listen_key_expired(w, a);
		a->listen_key[0] = '\0';
		a->lk_expires = 0;
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (!strcmp(op, "disconnect")) {
		sim_server_disconnect(w, a);
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (!strcmp(op, "balance")) {
		a->balance = num(step, "balance");
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (sym < 0 || !sim_account_has(a, sym)) {
		fail(ans, "unknown symbol", 0);
		return -1;
	}
	if (!strcmp(op, "open")) {
		int side = side_of(sim_jstr(step, "side"));

		if (!side) {
			fail(ans, "bad side", 0);
			return -1;
		}
		return place(w, a, step, sym, side, num(step, "qty"), "MARKET", open_ps(a, side, step), ans);
	}
	if (!strcmp(op, "close")) {
		int ps = leg_of(a, sym, step);
		struct sim_position *p;
		double qty;

		p = sim_pos(a, sym, ps);
		if (p->amt == 0) {
			fail(ans, "no position", a->ex == SIM_BINANCE ? -2022 : 110017);
			return -1;
		}
		qty = has(step, "qty") ? num(step, "qty") : fabs(p->amt);
		if (!a->hedge)
			json_object_object_add(step, "reduce_only", json_object_new_boolean(1));
		return place(w, a, step, sym, p->amt > 0 ? -1 : 1, qty, "MARKET", ps, ans);
	}
	if (!strcmp(op, "order")) {
		int side = side_of(sim_jstr(step, "side"));
		const char *type = sim_jstr(step, "type");

		if (!side || !type) {
			fail(ans, "bad side or type", 0);
			return -1;
		}
		return place(w, a, step, sym, side, num(step, "qty"), type, open_ps(a, side, step), ans);
	}
	if (!strcmp(op, "tpsl")) {
		struct sim_tpsl t = { 0 };
		const char *mode = sim_jstr(step, "tpsl_mode");
		char msg[160];
		int code;

		if (a->ex != SIM_BYBIT) {
			fail(ans, "tpsl is Bybit's trading-stop (Binance: op order)", 0);
			return -1;
		}
		t.partial = mode && !strcasecmp(mode, "Partial");
		t.sl = opt(step, "stop_loss");
		t.tp = opt(step, "take_profit");
		t.trail = opt(step, "trailing_stop");
		t.active = opt(step, "active_price");
		t.sl_size = opt(step, "sl_size");
		t.tp_size = opt(step, "tp_size");
		code = sim_bybit_tpsl(w, a, sym, leg_of(a, sym, step), &t, msg, sizeof msg);
		if (code) {
			fail(ans, msg, code);
			return -1;
		}
		sim_jbool(ans, "ok", 1);
		return 0;
	}
	if (!strcmp(op, "stuck_triggering")) {
		const char *id = sim_jstr(step, "order_id"), *cid = sim_jstr(step, "client_id");
		int n = 0;

		for (size_t i = 0; i < a->norders; i++) {
			struct sim_order *o = a->orders[i];

			if (!o->open || !o->cond || o->stuck || o->sym != sym)
				continue;
			if ((id && strcmp(id, o->oid)) || (cid && strcmp(cid, o->client)))
				continue;
			sim_order_stick(w, a, o);
			n++;
		}
		sim_jbool(ans, "ok", n > 0);
		sim_jint(ans, "stuck", n);
		return n > 0 ? 0 : -1;
	}
	if (!strcmp(op, "stop")) {
		int ps = leg_of(a, sym, step);
		struct sim_position *p;

		p = sim_pos(a, sym, ps);
		if (p->amt == 0) {
			fail(ans, "no position", 0);
			return -1;
		}
		if (a->ex == SIM_BYBIT) {
			double t = num(step, "trigger"), mark = w->sym[sym].mark;

			if (p->amt > 0 ? t >= mark : t <= mark) {
				fail(ans, "would immediately trigger", 10001);
				return -1;
			}
			sim_bybit_set_stop(w, a, sym, ps, t, -1);
			sim_jbool(ans, "ok", 1);
			return 0;
		}
		if (!has(step, "qty"))
			json_object_object_add(step, "close_position", json_object_new_boolean(1));
		else
			json_object_object_add(step, "reduce_only", json_object_new_boolean(1));
		return place(w, a, step, sym, p->amt > 0 ? -1 : 1, num(step, "qty"), "STOP_MARKET", ps, ans);
	}
	if (!strcmp(op, "cancel")) {
		const char *id = sim_jstr(step, "order_id"), *cid = sim_jstr(step, "client_id");
		int n = 0;

		for (size_t i = 0; i < a->norders; i++) {
			struct sim_order *o = a->orders[i];

			if (!o->open || o->sym != sym)
				continue;
			if ((id && strcmp(id, o->oid)) || (cid && strcmp(cid, o->client)))
				continue;
			sim_cancel(w, a, o, "CancelByUser", SIM_BY_SIM);
			n++;
		}
		sim_jbool(ans, "ok", n > 0);
		sim_jint(ans, "cancelled", n);
		return n > 0 ? 0 : -1;
	}
	fail(ans, "unknown op", 0);
	return -1;
}

static void run_later(struct sim_world *w, void *arg)
{
	struct json_object *step = arg, *ans = json_object_new_object();

	sim_step_run(w, step, ans);
	json_object_put(ans);
	json_object_put(step);
}

void sim_scenario_cancel(struct sim_world *w)
{
	sim_server_cancel_later(w);
}

/* The key's value when it is an array; 0 + error when present but not one. */
static int array_of(struct json_object *sc, const char *k, struct json_object **arr, char *err, size_t errn)
{
	*arr = NULL;
	if (!json_object_object_get_ex(sc, k, arr) || !*arr)
		return 1;
	if (json_object_is_type(*arr, json_type_array))
		return 1;
	snprintf(err, errn, "%s must be an array", k);
	*arr = NULL;
	return 0;
}

static int is_str(struct json_object *o, const char *k)
{
	struct json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string);
}

static int scenario_names(struct json_object *syms, const char *name)
{
	for (size_t i = 0; syms && i < json_object_array_length(syms); i++)
		if (!strcmp(sim_jstr(json_object_array_get_idx(syms, i), "symbol"), name))
			return 1;
	return 0;
}

/* Checks the whole scenario before anything changes, so a bad file is
 * refused with a message and never half-applied. */
static int validate(struct sim_world *w, struct json_object *sc, char *err, size_t errn)
{
	struct json_object *syms, *accts, *faults, *steps, *sub;
	struct sim_world *scratch;
	int fresh = 0;
	static const char *const ordered[] = { "positions", "orders", "setup", NULL };

	if (!array_of(sc, "symbols", &syms, err, errn) || !array_of(sc, "accounts", &accts, err, errn) ||
	    !array_of(sc, "faults", &faults, err, errn) || !array_of(sc, "steps", &steps, err, errn))
		return -1;
	for (int k = 0; ordered[k]; k++) {
		if (!array_of(sc, ordered[k], &sub, err, errn))
			return -1;
		for (size_t i = 0; sub && i < json_object_array_length(sub); i++)
			if (!json_object_is_type(json_object_array_get_idx(sub, i), json_type_object)) {
				snprintf(err, errn, "%s[%zu] must be an object", ordered[k], i);
				return -1;
			}
	}
	for (size_t i = 0; syms && i < json_object_array_length(syms); i++) {
		struct json_object *e = json_object_array_get_idx(syms, i);
		const char *n;

		if (!json_object_is_type(e, json_type_object) || !is_str(e, "symbol")) {
			snprintf(err, errn, "symbols[%zu] must be an object with a string \"symbol\"", i);
			return -1;
		}
		n = sim_jstr(e, "symbol");
		if (sim_jstr(e, "settle") && strcasecmp(sim_jstr(e, "settle"), "USDT") &&
		    strcasecmp(sim_jstr(e, "settle"), "USDC")) {
			snprintf(err, errn, "symbols[%zu]: settle must be USDT or USDC", i);
			return -1;
		}
		if (sim_jstr(e, "exchange") && strcmp(sim_jstr(e, "exchange"), "binance") &&
		    strcmp(sim_jstr(e, "exchange"), "bybit") && strcmp(sim_jstr(e, "exchange"), "both")) {
			snprintf(err, errn, "symbols[%zu]: exchange must be binance, bybit or both", i);
			return -1;
		}
		if (strlen(n) < 5 || strlen(n) >= sizeof w->sym[0].name) {
			snprintf(err, errn, "symbols[%zu]: symbol must be 5..%zu characters", i,
				 sizeof w->sym[0].name - 1);
			return -1;
		}
		fresh += sim_symbol_find(w, n) < 0;
	}
	if (w->nsym + fresh > SIM_MAX_SYM) {
		snprintf(err, errn, "too many symbols (at most %d)", SIM_MAX_SYM);
		return -1;
	}
	for (size_t i = 0; accts && i < json_object_array_length(accts); i++) {
		struct json_object *ac = json_object_array_get_idx(accts, i), *list;
		const char *ex = sim_jstr(ac, "exchange");

		if (!json_object_is_type(ac, json_type_object) || !is_str(ac, "exchange") || !is_str(ac, "key") ||
		    !is_str(ac, "secret") || (strcmp(ex, "binance") && strcmp(ex, "bybit"))) {
			snprintf(err, errn, "account %zu needs exchange (binance|bybit), key, secret strings", i);
			return -1;
		}
		if (!json_object_object_get_ex(ac, "symbols", &list) || !list)
			continue;
		if (!json_object_is_type(list, json_type_array)) {
			snprintf(err, errn, "account %zu: symbols must be an array of symbol names", i);
			return -1;
		}
		for (size_t k = 0; k < json_object_array_length(list); k++) {
			struct json_object *n = json_object_array_get_idx(list, k);
			const char *name = json_object_is_type(n, json_type_string) ? json_object_get_string(n) : NULL;

			if (!name) {
				snprintf(err, errn, "account %zu: symbols[%zu] must be a string", i, k);
				return -1;
			}
			if (sim_symbol_find(w, name) < 0 && !scenario_names(syms, name)) {
				snprintf(err, errn, "account %zu: unknown symbol %.40s", i, name);
				return -1;
			}
		}
	}
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++)
		if (!json_object_is_type(json_object_array_get_idx(steps, i), json_type_object)) {
			snprintf(err, errn, "steps[%zu] must be an object", i);
			return -1;
		}
	/* faults: the same parser on a throwaway world */
	scratch = sim_world_new(1);
	scratch->fake_now = 1;
	for (size_t i = 0; faults && i < json_object_array_length(faults); i++) {
		char ferr[128];

		if (!sim_fault_add(scratch, json_object_array_get_idx(faults, i), ferr, sizeof ferr)) {
			snprintf(err, errn, "faults[%zu]: %s", i, ferr);
			sim_world_free(scratch);
			return -1;
		}
	}
	if (json_object_object_get_ex(sc, "limits", &sub) && sub) {
		char lerr[128];

		if (sim_limits_set(scratch, sub, lerr, sizeof lerr) < 0) {
			snprintf(err, errn, "%s", lerr);
			sim_world_free(scratch);
			return -1;
		}
	}
	sim_world_free(scratch);
	return 0;
}

int sim_scenario_load(struct sim_world *w, struct json_object *sc, int at_start, char *err, size_t errn)
{
	struct json_object *syms = NULL, *accts = NULL, *faults = NULL, *steps = NULL;

	if (!sc || !json_object_is_type(sc, json_type_object)) {
		snprintf(err, errn, "scenario must be a JSON object");
		return -1;
	}
	sim_world_defaults(w, 1);
	if (validate(w, sc, err, errn) < 0)
		return -1;
	json_object_object_get_ex(sc, "symbols", &syms);
	json_object_object_get_ex(sc, "accounts", &accts);
	json_object_object_get_ex(sc, "faults", &faults);
	json_object_object_get_ex(sc, "steps", &steps);
	/* new symbols reach every account without its own list (sim_account_has) */
	for (size_t i = 0; syms && i < json_object_array_length(syms); i++) {
		struct json_object *s = json_object_array_get_idx(syms, i);

		const char *ex = sim_jstr(s, "exchange"), *settle = sim_jstr(s, "settle");
		int id = sim_symbol_add(w, sim_jstr(s, "symbol"), num(s, "mark"), num(s, "tick"), num(s, "step"),
					num(s, "min_qty"));
		char up[8] = "";

		for (size_t k = 0; settle && k < 4 && settle[k]; k++)
			up[k] = (char)(settle[k] >= 'a' && settle[k] <= 'z' ? settle[k] - 32 : settle[k]);
		sim_symbol_meta(w, id, up[0] ? up : NULL,
				!ex                      ? 0
				: !strcmp(ex, "binance") ? 1 << SIM_BINANCE
				: !strcmp(ex, "bybit")   ? 1 << SIM_BYBIT
							 : 1 << SIM_BINANCE | 1 << SIM_BYBIT);
	}
	for (size_t i = 0; accts && i < json_object_array_length(accts); i++) {
		struct json_object *ac = json_object_array_get_idx(accts, i), *list;
		const char *ex = sim_jstr(ac, "exchange"), *key = sim_jstr(ac, "key");
		struct sim_account *a;

		a = sim_account_add(w, !strcmp(ex, "bybit") ? SIM_BYBIT : SIM_BINANCE, key, sim_jstr(ac, "secret"),
				    has(ac, "balance") ? num(ac, "balance") : 10000, boolv(ac, "hedge"));
		if (!json_object_object_get_ex(ac, "symbols", &list) || !list)
			continue;
		sim_account_restrict(a);
		for (size_t k = 0; k < json_object_array_length(list); k++)
			sim_account_allow(
				a, sim_symbol_find(w, json_object_get_string(json_object_array_get_idx(list, k))));
	}
	(void)at_start;
	sim_world_defaults(w, 2);
	for (size_t i = 0; faults && i < json_object_array_length(faults); i++)
		if (!sim_fault_add(w, json_object_array_get_idx(faults, i), err, errn))
			return -1; /* validated above; cannot happen */
	{
		struct json_object *l = NULL;

		if (json_object_object_get_ex(sc, "limits", &l) && l && sim_limits_set(w, l, err, errn) < 0)
			return -1; /* validated above; cannot happen */
		if (at_start)
			w->lim.cfg0 = w->lim.cfg;
	}
	sim_scenario_cancel(w);
	/* the bot's starting book: positions, then orders, then any other steps,
	 * applied now through the normal order path (their errors name them) */
	{
		static const char *const keys[] = { "positions", "orders", "setup", NULL };
		static const char *const dflt[] = { "open", "order", NULL, NULL };

		for (int k = 0; keys[k]; k++) {
			struct json_object *arr = NULL;

			json_object_object_get_ex(sc, keys[k], &arr);
			for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
				struct json_object *st = json_object_array_get_idx(arr, i), *ans;
				struct json_object *copy = NULL;
				int rc;

				json_object_deep_copy(st, &copy, NULL);
				if (dflt[k] && !sim_jstr(copy, "op"))
					sim_jstr_add(copy, "op", dflt[k]);
				ans = json_object_new_object();
				rc = sim_step_run(w, copy, ans);
				if (rc < 0)
					snprintf(err, errn, "%s[%zu]: %s (code %lld; entries before it were applied)",
						 keys[k], i, sim_jstr(ans, "error") ? sim_jstr(ans, "error") : "failed",
						 (long long)json_object_get_int64(json_object_object_get(ans, "code")));
				json_object_put(ans);
				json_object_put(copy);
				if (rc < 0)
					return -1;
			}
		}
	}
	for (size_t i = 0; steps && i < json_object_array_length(steps); i++) {
		struct json_object *st = json_object_array_get_idx(steps, i);

		sim_server_later(w, (int)sim_clamp(num(st, "at_ms"), 0, 24LL * 3600 * 1000), run_later,
				 json_object_get(st));
	}
	return 0;
}
