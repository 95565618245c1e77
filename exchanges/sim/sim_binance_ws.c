/* Binance USD-M user-data stream events, field names as documented
 * (docs/exchange-facts.md 1.9, fixtures binance/ws-*.json). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exchanges/sim/sim.h"

static const char *ps_name(int ps)
{
	return ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH";
}

char *sim_bn_ev_order(struct sim_world *w, struct sim_account *a, struct sim_order *o, double fill_qty,
		      double fill_price)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *ev = json_object_new_object(), *x = json_object_new_object();
	long long now = sim_now(w, SIM_BINANCE);
	const char *exec = fill_qty > 0 ? "TRADE" : !strcmp(o->status, "NEW") ? "NEW" : o->status;
	double rp = 0;

	if (fill_qty > 0) {
		struct sim_position *p = sim_pos(a, o->sym, o->ps);

		rp = p->realised; /* cumulative; good enough for a fill's realised figure */
	}
	sim_jstr_add(ev, "e", "ORDER_TRADE_UPDATE");
	sim_jint(ev, "E", now);
	sim_jint(ev, "T", now);
	sim_jstr_add(x, "s", s->name);
	sim_jstr_add(x, "c", o->client);
	sim_jstr_add(x, "S", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(x, "o", o->type);
	sim_jstr_add(x, "f", o->tif);
	sim_jdec(x, "q", o->qty, s->qdp);
	sim_jdec(x, "p", o->price, s->pdp);
	sim_jdec(x, "ap", o->avg, s->pdp);
	sim_jdec(x, "sp", 0, s->pdp);
	sim_jstr_add(x, "x", exec);
	sim_jstr_add(x, "X", o->status);
	sim_jint(x, "i", o->id);
	sim_jdec(x, "l", fill_qty, s->qdp);
	sim_jdec(x, "z", o->executed, s->qdp);
	sim_jdec(x, "L", fill_price, s->pdp);
	sim_jstr_add(x, "N", "USDT");
	sim_jdec(x, "n", fill_qty * fill_price * 0.0005, 8);
	sim_jint(x, "T", o->updated);
	/* trade id: order id and a digit from the executed quantity (in range:
	 * request numbers are capped at SIM_NUM_MAX) */
	sim_jint(x, "t", fill_qty > 0 ? o->id * 10 + (long long)fmod(fabs(o->executed) * 1000, 10) : 0);
	sim_jdec(x, "b", o->open && o->side > 0 ? o->qty * o->price : 0, 5);
	sim_jdec(x, "a", o->open && o->side < 0 ? o->qty * o->price : 0, 5);
	sim_jbool(x, "m", 0);
	sim_jbool(x, "R", o->reduce_only);
	sim_jstr_add(x, "wt", "CONTRACT_PRICE");
	sim_jstr_add(x, "ot", o->type);
	sim_jstr_add(x, "ps", ps_name(o->ps));
	sim_jbool(x, "cp", o->close_position);
	sim_jdec(x, "AP", 0, s->pdp); /* trailing stops only; kept for a fixed shape */
	sim_jstr_add(x, "cr", "0");
	sim_jbool(x, "pP", 0);
	sim_jint(x, "si", 0);
	sim_jint(x, "ss", 0);
	sim_jdec(x, "rp", fill_qty > 0 ? rp : 0, 8);
	sim_jstr_add(x, "V", "EXPIRE_MAKER");
	sim_jstr_add(x, "pm", "NONE");
	sim_jint(x, "gtd", 0);
	sim_jstr_add(x, "er", "0");
	json_object_object_add(ev, "o", x);
	return sim_json_take(ev);
}

char *sim_bn_ev_algo(struct sim_world *w, struct sim_account *a, struct sim_order *o)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *ev = json_object_new_object(), *x = json_object_new_object();
	long long now = sim_now(w, SIM_BINANCE);
	char id[32] = "";

	(void)a;
	if (o->actual_id)
		snprintf(id, sizeof id, "%lld", o->actual_id);
	sim_jstr_add(ev, "e", "ALGO_UPDATE");
	sim_jint(ev, "T", now);
	sim_jint(ev, "E", now);
	sim_jstr_add(x, "caid", o->client);
	sim_jint(x, "aid", o->id);
	sim_jstr_add(x, "at", "CONDITIONAL");
	sim_jstr_add(x, "o", o->type);
	sim_jstr_add(x, "s", s->name);
	sim_jstr_add(x, "S", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(x, "ps", ps_name(o->ps));
	sim_jstr_add(x, "f", o->tif);
	sim_jdec(x, "q", o->qty, s->qdp);
	sim_jstr_add(x, "X", o->status);
	sim_jstr_add(x, "ai", id);
	sim_jdec(x, "ap", o->avg, s->pdp);
	sim_jdec(x, "aq", o->executed, s->qdp);
	sim_jstr_add(x, "act", o->actual_id ? (strstr(o->type, "MARKET") ? "MARKET" : "LIMIT") : "0");
	sim_jdec(x, "tp", o->trigger, s->pdp);
	sim_jdec(x, "p", o->price, s->pdp);
	sim_jstr_add(x, "V", "EXPIRE_MAKER");
	sim_jstr_add(x, "wt", "MARK_PRICE");
	sim_jstr_add(x, "pm", "NONE");
	sim_jbool(x, "cp", o->close_position);
	sim_jbool(x, "pP", 0);
	sim_jbool(x, "R", o->reduce_only);
	sim_jint(x, "tt", o->trigger_time);
	sim_jint(x, "gtd", 0);
	sim_jstr_add(x, "rm", o->reject_reason);
	/* since 2026-08: trailing stop activated (false until the mark reaches
	 * activatePrice); sent on every event, false for other types */
	sim_jbool(x, "ia", o->trailing && o->active);
	json_object_object_add(ev, "o", x);
	return sim_json_take(ev);
}

char *sim_bn_ev_account(struct sim_world *w, struct sim_account *a, struct sim_position *p)
{
	struct json_object *ev = json_object_new_object(), *x = json_object_new_object();
	struct json_object *B = json_object_new_array(), *P = json_object_new_array();
	struct json_object *b = json_object_new_object(), *q = json_object_new_object();
	struct sim_symbol *s = &w->sym[p->sym];
	long long now = sim_now(w, SIM_BINANCE);

	sim_jstr_add(ev, "e", "ACCOUNT_UPDATE");
	sim_jint(ev, "E", now);
	sim_jint(ev, "T", now);
	sim_jstr_add(x, "m", "ORDER");
	sim_jstr_add(b, "a", "USDT");
	sim_jdec(b, "wb", a->balance, 8);
	sim_jdec(b, "cw", a->balance, 8);
	sim_jdec(b, "bc", 0, 8);
	json_object_array_add(B, b);
	sim_jstr_add(q, "s", s->name);
	sim_jdec(q, "pa", p->amt, s->qdp);
	sim_jdec(q, "ep", p->entry, s->pdp + 2);
	sim_jdec(q, "bep", p->entry, s->pdp + 2);
	sim_jdec(q, "cr", p->realised, 8);
	sim_jdec(q, "up", sim_upnl(w, p, p->amt, p->entry), 8);
	sim_jstr_add(q, "mt", "cross");
	sim_jdec(q, "iw", 0, 8);
	sim_jstr_add(q, "ps", ps_name(p->ps));
	json_object_array_add(P, q);
	json_object_object_add(x, "B", B);
	json_object_object_add(x, "P", P);
	json_object_object_add(ev, "a", x);
	return sim_json_take(ev);
}

char *sim_bn_ev_listen_key_expired(struct sim_world *w, struct sim_account *a)
{
	struct json_object *ev = json_object_new_object();

	sim_jstr_add(ev, "e", "listenKeyExpired");
	sim_jint(ev, "E", sim_now(w, SIM_BINANCE));
	sim_jstr_add(ev, "listenKey", a->listen_key);
	return sim_json_take(ev);
}
