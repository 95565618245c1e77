/* Bybit v5 private stream: topic payloads (the data arrays; the server
 * wraps them in {"id","topic","creationTime","data"}) and client ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"

static char *one(struct json_object *e)
{
	struct json_object *arr = json_object_new_array();

	json_object_array_add(arr, e);
	return sim_json_take(arr);
}

char *sim_bb_ev_order(struct sim_world *w, struct sim_account *a, struct sim_order *o)
{
	(void)a;
	return one(sim_bb_order_json(w, o, 1));
}

char *sim_bb_ev_position(struct sim_world *w, struct sim_account *a, struct sim_position *p)
{
	a->seq++;
	return one(sim_bb_position_json(w, a, p, p->amt, p->entry, 1));
}

char *sim_bb_ev_wallet(struct sim_world *w, struct sim_account *a)
{
	return one(sim_bb_wallet_json(w, a, 1));
}

char *sim_bb_ev_execution(struct sim_world *w, struct sim_account *a, struct sim_order *o, double qty, double price)
{
	a->seq++;
	return one(sim_bb_exec_json(w, a, o, qty, price, a->seq));
}

struct json_object *sim_bb_exec_json(struct sim_world *w, struct sim_account *a, struct sim_order *o, double qty,
				     double price, long long seq)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *e = json_object_new_object();
	char t[64];

	(void)a;
	sim_jstr_add(e, "category", "linear");
	sim_jstr_add(e, "symbol", s->name);
	snprintf(t, sizeof t, "%08llx-%04llx-5%03llx-%04llx-%012lld", (unsigned long long)o->id & 0xffffffff,
		 (unsigned long long)seq & 0xffff, (unsigned long long)o->id & 0xfff, 0x9dd3ULL, o->id);
	sim_jstr_add(e, "execId", t);
	sim_jdec(e, "execPrice", price, s->pdp);
	sim_jdec(e, "execQty", qty, s->qdp);
	sim_jdec(e, "execValue", qty * price, 4);
	sim_jdec(e, "execFee", qty * price * 0.00055, 8);
	sim_jstr_add(e, "feeRate", "0.00055");
	sim_jstr_add(e, "feeCurrency", "USDT");
	sim_jstr_add(e, "execType", "Trade");
	snprintf(t, sizeof t, "%lld", o->updated);
	sim_jstr_add(e, "execTime", t);
	sim_jstr_add(e, "orderId", o->oid);
	sim_jstr_add(e, "orderLinkId", o->client);
	sim_jstr_add(e, "side", o->side > 0 ? "Buy" : "Sell");
	sim_jstr_add(e, "orderType", o->type);
	sim_jstr_add(e, "stopOrderType", o->stop_type[0] ? o->stop_type : "UNKNOWN");
	sim_jstr_add(e, "createType", "CreateByUser");
	sim_jdec(e, "orderQty", o->qty, s->qdp);
	sim_jdec(e, "orderPrice", o->price, s->pdp);
	sim_jdec(e, "leavesQty", o->qty - o->executed, s->qdp);
	sim_jdec(e, "closedSize", o->reduce_only ? qty : 0, s->qdp);
	sim_jstr_add(e, "execPnl", "0");
	sim_jbool(e, "isMaker", 0);
	sim_jdec(e, "markPrice", s->mark, s->pdp);
	sim_jstr_add(e, "indexPrice", "");
	sim_jstr_add(e, "underlyingPrice", "");
	sim_jstr_add(e, "blockTradeId", "");
	sim_jstr_add(e, "tradeIv", "");
	sim_jstr_add(e, "markIv", "");
	sim_jstr_add(e, "marketUnit", "");
	sim_jint(e, "seq", seq);
	json_object_object_add(e, "extraFees", json_object_new_array());
	return e;
}

int sim_bb_topic_index(const char *topic)
{
	static const char *t[4] = { "position", "order", "execution", "wallet" };

	for (int i = 0; i < 4; i++) {
		size_t n = strlen(t[i]);

		if (!strncmp(topic, t[i], n) && (topic[n] == '\0' || !strcmp(topic + n, ".linear")))
			return i;
	}
	return -1;
}

static char *answer(const char *req_id, const char *op, int success, const char *msg, const char *conn_id)
{
	struct json_object *o = json_object_new_object();

	sim_jbool(o, "success", success);
	sim_jstr_add(o, "ret_msg", msg);
	sim_jstr_add(o, "op", op);
	if (req_id)
		sim_jstr_add(o, "req_id", req_id);
	sim_jstr_add(o, "conn_id", conn_id);
	return sim_json_take(o);
}

void sim_bb_ws_op(struct sim_world *w, const char *msg, size_t len, struct sim_account **acct, char subs[4][24],
		  const char *conn_id, char **reply)
{
	char *copy = strndup(msg, len);
	struct json_object *m = json_tokener_parse(copy);
	struct json_object *args = NULL;
	const char *op, *req_id;

	free(copy);
	*reply = NULL;
	op = sim_jstr(m, "op");
	req_id = sim_jstr(m, "req_id");
	if (!m || !op) {
		*reply = answer(req_id, "", 0, "Invalid request", conn_id);
		json_object_put(m);
		return;
	}
	json_object_object_get_ex(m, "args", &args);
	if (args && !json_object_is_type(args, json_type_array)) {
		*reply = answer(req_id, op, 0, "Params Error: args must be an array", conn_id);
		json_object_put(m);
		return;
	}
	if (!strcmp(op, "ping")) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();
		char t[32];

		if (req_id)
			sim_jstr_add(o, "req_id", req_id);
		sim_jstr_add(o, "op", "pong");
		snprintf(t, sizeof t, "%lld", sim_now(w, SIM_BYBIT));
		json_object_array_add(a, json_object_new_string(t));
		json_object_object_add(o, "args", a);
		sim_jstr_add(o, "conn_id", conn_id);
		*reply = sim_json_take(o);
	} else if (!strcmp(op, "auth")) {
		size_t n = args ? json_object_array_length(args) : 0;
		const char *key = n > 0 ? json_object_get_string(json_object_array_get_idx(args, 0)) : NULL;
		long long exp = n > 1 ? sim_clamp(sim_num(json_object_array_get_idx(args, 1)), 0, 1LL << 50) : 0;
		const char *sig = n > 2 ? json_object_get_string(json_object_array_get_idx(args, 2)) : NULL;
		struct sim_account *a = sim_account_find(w, key);
		char pl[64];

		snprintf(pl, sizeof pl, "GET/realtime%lld", exp);
		if (n < 3)
			*reply = answer(req_id, "auth", 0, "Params Error: args must be [apiKey, expires, signature]",
					conn_id);
		else if (!a || a->ex != SIM_BYBIT)
			*reply = answer(req_id, "auth", 0, "Invalid apikey", conn_id);
		else if (exp <= sim_now(w, SIM_BYBIT))
			*reply = answer(req_id, "auth", 0, "Params Error: request expired", conn_id);
		else if (!sim_sig_ok(a->secret, pl, strlen(pl), sig))
			*reply = answer(req_id, "auth", 0, "Signature verification failed", conn_id);
		else {
			*acct = a;
			*reply = answer(req_id, "auth", 1, "", conn_id);
		}
	} else if (!strcmp(op, "subscribe") || !strcmp(op, "unsubscribe")) {
		int sub = !strcmp(op, "subscribe"), good = 1;

		if (!*acct) {
			*reply = answer(req_id, op, 0, "Request not authorized", conn_id);
		} else {
			for (size_t i = 0; args && i < json_object_array_length(args); i++) {
				const char *t = json_object_get_string(json_object_array_get_idx(args, i));
				int k = t ? sim_bb_topic_index(t) : -1;

				if (k < 0) {
					good = 0;
					continue;
				}
				snprintf(subs[k], 24, "%s", sub ? t : "");
			}
			*reply = answer(req_id, op, good, good ? "" : "error:handler not found", conn_id);
		}
	} else {
		*reply = answer(req_id, op, 0, "error:handler not found", conn_id);
	}
	json_object_put(m);
}
