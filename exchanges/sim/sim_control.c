/* Control API under /_sim/: scenarios, steps, faults, state, log, counters,
 * reset. Tests assert against these answers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

/* The entries of a log array newer than the query's since=SEQ (a new
 * array holding references). */
static struct json_object *since_seq(struct json_object *log, const char *query)
{
	char since[24];
	long long s = sim_param(query, "since", since, sizeof since) ? atoll(since) : 0;
	struct json_object *o = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		struct json_object *e = json_object_array_get_idx(log, i);
		if (json_object_get_int64(json_object_object_get(e, "seq")) > s)
			json_object_array_add(o, json_object_get(e));
	}
	return o;
}

static struct json_object *order_view(struct sim_world *w, struct sim_order *o)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *j = json_object_new_object();
	const char *ps = o->ps == 1 ? "LONG" : o->ps == 2 ? "SHORT" : "BOTH";

	sim_jstr_add(j, "order_id", o->oid);
	sim_jstr_add(j, "client_id", o->client);
	sim_jstr_add(j, "symbol", s->name);
	sim_jstr_add(j, "side", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(j, "type", o->type);
	sim_jstr_add(j, "stop_type", o->stop_type);
	sim_jstr_add(j, "status", o->status);
	sim_jdec(j, "qty", o->qty, s->qdp);
	sim_jdec(j, "price", o->price, s->pdp);
	sim_jdec(j, "trigger", o->trigger, s->pdp);
	sim_jdec(j, "executed", o->executed, s->qdp);
	sim_jdec(j, "avg_price", o->avg, s->pdp + 2);
	sim_jbool(j, "reduce_only", o->reduce_only);
	sim_jbool(j, "close_position", o->close_position || o->close_on_trigger);
	sim_jbool(j, "close_on_trigger", o->close_on_trigger);
	sim_jstr_add(j, "position_side", ps);
	sim_jint(j, "position_idx", o->ps);
	sim_jint(j, "trigger_direction", o->cond ? o->trig_dir : 0);
	sim_jstr_add(j, "time_in_force", o->tif);
	sim_jbool(j, "conditional", o->cond);
	sim_jbool(j, "open", o->open);
	sim_jbool(j, "trailing", o->trailing);
	if (o->trailing) {
		sim_jdec(j, "activate_price", o->activate, s->pdp);
		sim_jdec(j, "callback_rate", o->callback, 2);
		sim_jdec(j, "trailing_stop", o->distance, s->pdp);
		sim_jbool(j, "active", o->active);
		sim_jdec(j, "level", sim_order_level(w, o), s->pdp);
	}
	sim_jbool(j, "stuck", o->stuck);
	sim_jstr_add(j, "source", o->source);
	sim_jstr_add(j, "created_by", sim_by_name(o->created_by));
	sim_jint(j, "create_request_seq", o->create_req);
	{
		int cancelled = strcmp(o->cancel_type, "UNKNOWN") != 0;

		sim_jstr_add(j, "cancelled_by", cancelled ? sim_by_name(o->cancelled_by) : "");
		sim_jstr_add(j, "cancel_type", cancelled ? o->cancel_type : "");
		sim_jstr_add(j, "cancel_request", o->cancel_req_name);
		sim_jint(j, "cancel_request_seq", o->cancel_req);
	}
	sim_jint(j, "time", o->created);
	if (o->actual_id)
		sim_jint(j, "actual_order_id", o->actual_id);
	return j;
}

static const char *stop_source(struct sim_account *a, struct sim_order *o)
{
	if (a->ex == SIM_BINANCE)
		return "algo";
	return o->stop_type[0] && strcmp(o->stop_type, "Stop") ? "position" : "order";
}

/* Per open leg: the live conditional orders that would close (part of) it
 * if the mark moved against it to their trigger, by the engine's own
 * answer to "what does this order do when it fires" (sim_order_protects). */
struct json_object *sim_protection_json(struct sim_world *w, struct sim_account *a, struct json_object *stops)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < w->nsym; i++) {
		struct sim_symbol *s = &w->sym[i];

		if (!sim_account_has(a, i))
			continue;
		for (int ps = 0; ps < 3; ps++) {
			struct sim_position *p = sim_pos_peek(a, i, ps);
			struct json_object *e, *ids, *cids;
			double covered = 0;

			if (!p || p->amt == 0)
				continue;
			e = json_object_new_object();
			ids = json_object_new_array();
			cids = json_object_new_array();
			for (size_t k = 0; k < a->norders; k++) {
				struct sim_order *o = a->orders[k];
				double q = sim_order_protects(w, a, o, p);

				if (q <= 0)
					continue;
				covered += q;
				json_object_array_add(ids, json_object_new_string(o->oid));
				json_object_array_add(cids, json_object_new_string(o->client));
				if (stops) {
					struct json_object *x = json_object_new_object();

					sim_jstr_add(x, "symbol", s->name);
					sim_jstr_add(x, "position_side", ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH");
					sim_jdec(x, "trigger", sim_order_level(w, o), s->pdp);
					sim_jstr_add(x, "side", o->side > 0 ? "BUY" : "SELL");
					sim_jstr_add(x, "order_id", o->oid);
					sim_jstr_add(x, "client_id", o->client);
					sim_jstr_add(x, "source", stop_source(a, o));
					sim_jdec(x, "qty", q, s->qdp);
					json_object_array_add(stops, x);
				}
			}
			if (covered > fabs(p->amt))
				covered = fabs(p->amt);
			sim_jstr_add(e, "symbol", s->name);
			sim_jstr_add(e, "exchange", a->ex == SIM_BINANCE ? "binance" : "bybit");
			sim_jstr_add(e, "account", a->key);
			sim_jstr_add(e, "position_side", ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH");
			sim_jint(e, "position_idx", ps);
			sim_jstr_add(e, "side", p->amt > 0 ? "LONG" : "SHORT");
			sim_jdec(e, "size", fabs(p->amt), s->qdp);
			sim_jdec(e, "protected_qty", covered, s->qdp);
			sim_jbool(e, "full", covered + 1e-12 >= fabs(p->amt));
			json_object_object_add(e, "orders", ids);
			json_object_object_add(e, "client_ids", cids);
			json_object_array_add(arr, e);
		}
	}
	return arr;
}

struct json_object *sim_state_json(struct sim_world *w, struct sim_account *a)
{
	struct json_object *st = json_object_new_object(), *marks = json_object_new_object();
	struct json_object *pos = json_object_new_array(), *open = json_object_new_array();
	struct json_object *cond = json_object_new_array(), *all = json_object_new_array();
	struct json_object *stops = json_object_new_array(), *prot;

	sim_jstr_add(st, "exchange", a->ex == SIM_BINANCE ? "binance" : "bybit");
	sim_jstr_add(st, "key", a->key);
	sim_jdec(st, "balance", a->balance, 8);
	sim_jbool(st, "hedge", a->hedge);
	sim_jstr_add(st, "listen_key", a->listen_key);
	for (int i = 0; i < w->nsym; i++) {
		struct sim_symbol *s = &w->sym[i];

		if (!sim_account_has(a, i))
			continue;
		sim_jdec(marks, s->name, s->mark, s->pdp);
		for (int ps = 0; ps < 3; ps++) {
			struct sim_position *p = sim_pos_peek(a, i, ps);
			struct json_object *e;

			if (!p || p->amt == 0)
				continue;
			e = json_object_new_object();
			sim_jstr_add(e, "symbol", s->name);
			sim_jstr_add(e, "position_side", ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH");
			sim_jdec(e, "amt", p->amt, s->qdp);
			sim_jint(e, "position_idx", ps);
			sim_jdec(e, "entry", p->entry, s->pdp + 2);
			if (p->sl > 0)
				sim_jdec(e, "stop_loss", p->sl, s->pdp);
			else
				sim_jstr_add(e, "stop_loss", "");
			if (p->tp > 0)
				sim_jdec(e, "take_profit", p->tp, s->pdp);
			else
				sim_jstr_add(e, "take_profit", "");
			if (p->trail > 0)
				sim_jdec(e, "trailing_stop", p->trail, s->pdp);
			else
				sim_jstr_add(e, "trailing_stop", "");
			sim_jint(e, "updated", p->updated);
			json_object_array_add(pos, e);
		}
	}
	for (size_t i = 0; i < a->norders; i++) {
		struct sim_order *o = a->orders[i];

		json_object_array_add(all, order_view(w, o));
		if (!o->open)
			continue;
		json_object_array_add(o->cond ? cond : open, order_view(w, o));
	}
	prot = sim_protection_json(w, a, stops);
	json_object_object_add(st, "marks", marks);
	json_object_object_add(st, "positions", pos);
	json_object_object_add(st, "open_orders", open);
	json_object_object_add(st, "conditional_orders", cond);
	json_object_object_add(st, "orders", all);
	json_object_object_add(st, "protection", prot);
	json_object_object_add(st, "stops", stops);
	sim_jint(st, "log_size", (long long)json_object_array_length(a->log));
	return st;
}

static void answer(struct sim_resp *r, int status, struct json_object *o)
{
	sim_resp_json(r, status, o);
}

static void bad(struct sim_resp *r, int status, const char *msg)
{
	struct json_object *o = json_object_new_object();

	sim_jbool(o, "ok", 0);
	sim_jstr_add(o, "error", msg);
	answer(r, status, o);
}

static struct sim_account *acct_arg(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	char key[128];
	struct sim_account *a;

	if (!sim_param(rq->query, "account", key, sizeof key)) {
		a = sim_account_first(w, -1);
	} else {
		a = !strcmp(key, "public") ? w->anon : sim_account_find(w, key);
	}
	if (!a)
		bad(r, 404, "unknown account");
	return a;
}

static struct json_object *body_json(const struct sim_req *rq, struct sim_resp *r)
{
	struct json_object *o = json_tokener_parse(rq->body);

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		bad(r, 400, "body must be a JSON object");
		return NULL;
	}
	return o;
}

static void ok(struct sim_resp *r)
{
	struct json_object *o = json_object_new_object();

	sim_jbool(o, "ok", 1);
	answer(r, 200, o);
}

void sim_control_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	const char *p = rq->path + 5, *m = rq->method; /* after "/_sim" */
	struct json_object *o, *ans;
	struct sim_account *a;
	char err[160];

	if (!strcmp(p, "/health")) {
		ok(r);
	} else if (!strcmp(p, "/accounts")) {
		o = json_object_new_array();
		for (int i = 0; i < w->nacct; i++) {
			struct json_object *e = json_object_new_object();

			sim_jstr_add(e, "exchange", w->acct[i]->ex == SIM_BINANCE ? "binance" : "bybit");
			sim_jstr_add(e, "key", w->acct[i]->key);
			sim_jdec(e, "balance", w->acct[i]->balance, 8);
			sim_jbool(e, "hedge", w->acct[i]->hedge);
			json_object_array_add(o, e);
		}
		answer(r, 200, o);
	} else if (!strcmp(p, "/scenario") && !strcmp(m, "POST")) {
		if (!(o = body_json(rq, r)))
			return;
		if (sim_scenario_load(w, o, 0, err, sizeof err) < 0)
			bad(r, 400, err);
		else
			ok(r);
		json_object_put(o);
	} else if (!strcmp(p, "/step") && !strcmp(m, "POST")) {
		if (!(o = body_json(rq, r)))
			return;
		ans = json_object_new_object();
		sim_step_run(w, o, ans);
		answer(r, 200, ans);
		json_object_put(o);
	} else if (!strcmp(p, "/fault") && !strcmp(m, "POST")) {
		struct json_object *st;

		if (!(o = body_json(rq, r)))
			return;
		st = json_object_new_object();
		sim_jstr_add(st, "op", "fault");
		json_object_object_add(st, "fault", o);
		ans = json_object_new_object();
		answer(r, sim_step_run(w, st, ans) ? 400 : 200, ans);
		json_object_put(st);
	} else if ((!strcmp(p, "/faults") || !strcmp(p, "/fault")) && !strcmp(m, "DELETE")) {
		char id[16];

		sim_fault_clear(w, sim_param(rq->query, "id", id, sizeof id) ? atoi(id) : -1);
		ok(r);
	} else if (!strcmp(p, "/faults")) {
		answer(r, 200, sim_fault_list(w));
	} else if (!strcmp(p, "/state")) {
		if ((a = acct_arg(w, rq, r)))
			answer(r, 200, sim_state_json(w, a));
	} else if (!strcmp(p, "/log") || !strcmp(p, "/order_log")) {
		if ((a = acct_arg(w, rq, r)))
			answer(r, 200, since_seq(!strcmp(p, "/log") ? a->log : a->olog, rq->query));
	} else if (!strcmp(p, "/counters")) {
		if (!(a = acct_arg(w, rq, r)))
			return;
		o = json_object_new_object();
		sim_jint(o, "total", a->total);
		sim_jint(o, "weight", a->weight);
		json_object_object_add(o, "endpoints", json_object_get(a->counters));
		answer(r, 200, o);
	} else if (!strcmp(p, "/limits")) {
		if (!strcmp(m, "POST") || !strcmp(m, "PUT")) {
			if (!(o = body_json(rq, r)))
				return;
			if (sim_limits_set(w, o, err, sizeof err) < 0) {
				bad(r, 400, err);
			} else {
				ans = sim_limits_json(w);
				sim_jbool(ans, "ok", 1);
				answer(r, 200, ans);
			}
			json_object_put(o);
		} else if (!strcmp(m, "DELETE")) {
			sim_limits_clear(w, 0); /* windows, bans, counters; config kept */
			ok(r);
		} else {
			answer(r, 200, sim_limits_json(w));
		}
	} else if (!strcmp(p, "/reset") && !strcmp(m, "POST")) {
		sim_world_reset(w);
		sim_server_disconnect(w, NULL);
		ok(r);
	} else {
		bad(r, 404, "unknown control endpoint");
	}
}
