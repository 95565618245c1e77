/* Binance USD-M REST (/fapi/...): signing checks, weights, endpoints.
 * Shapes follow docs/exchange-facts.md Part 1 and tests/data/binance. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

struct bn_ctx {
	struct sim_world *w;
	const struct sim_req *rq;
	struct sim_resp *r;
	struct sim_account *a;
	long long now;
};

void sim_bn_err(struct sim_resp *r, int http, int code, const char *msg)
{
	struct json_object *o = json_object_new_object();

	sim_jint(o, "code", code);
	sim_jstr_add(o, "msg", msg);
	sim_resp_json(r, http, o);
}

/* Query value wins over the body value (Binance rule). */
static int prm(struct bn_ctx *c, const char *name, char *out, size_t n)
{
	return sim_param(c->rq->query, name, out, n) || sim_param(c->rq->body, name, out, n);
}

const char *sim_bn_client_id(const struct sim_req *rq, char *buf, size_t n)
{
	static const char *names[] = { "newClientOrderId", "clientAlgoId", "origClientOrderId", NULL };

	for (int i = 0; names[i]; i++)
		if (sim_param(rq->query, names[i], buf, n) || sim_param(rq->body, names[i], buf, n))
			return buf;
	buf[0] = '\0';
	return buf;
}

static const char *ps_name(int ps)
{
	return ps == 1 ? "LONG" : ps == 2 ? "SHORT" : "BOTH";
}

/* Checks key (and for signed endpoints signature + timestamp). */
static int auth(struct bn_ctx *c, int sign)
{
	const char *q = c->rq->query, *b = c->rq->body, *sq, *sb;
	char sig[80], ts[32], rw[32];
	char *msg;
	long long t, win;
	int ok;

	if (!c->a) {
		sim_bn_err(c->r, 401, -2015, "Invalid API-key, IP, or permissions for action.");
		return 0;
	}
	if (!sign)
		return 1;
	sq = strstr(q, "signature=");
	sb = strstr(b, "signature=");
	if (sq && (sq == q || sq[-1] == '&')) {
		size_t ql = (size_t)(sq - q) - (sq > q ? 1 : 0);

		msg = xasprintf("%.*s%s", (int)ql, q, b);
		sim_param(sq, "signature", sig, sizeof sig);
	} else if (sb && (sb == b || sb[-1] == '&')) {
		size_t bl = (size_t)(sb - b) - (sb > b ? 1 : 0);

		msg = xasprintf("%s%.*s", q, (int)bl, b);
		sim_param(sb, "signature", sig, sizeof sig);
	} else {
		sim_bn_err(c->r, 400, -1102,
			   "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
		return 0;
	}
	ok = sim_sig_ok(c->a->secret, msg, strlen(msg), sig);
	free(msg);
	if (!ok) {
		sim_bn_err(c->r, 400, -1022, "Signature for this request is not valid.");
		return 0;
	}
	if (!prm(c, "timestamp", ts, sizeof ts)) {
		sim_bn_err(c->r, 400, -1102,
			   "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
		return 0;
	}
	/* clamped so the window arithmetic below cannot overflow */
	t = sim_parse_ll(ts, 0, 1LL << 50);
	win = prm(c, "recvWindow", rw, sizeof rw) ? sim_parse_ll(rw, 0, 1LL << 50) : 5000;
	if (t >= c->now + 1000 || c->now - t > win) {
		sim_bn_err(c->r, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
		return 0;
	}
	return 1;
}

static int sym_arg(struct bn_ctx *c, int required, int *sym)
{
	char s[32];

	*sym = -1;
	if (!prm(c, "symbol", s, sizeof s)) {
		if (required)
			sim_bn_err(c->r, 400, -1102,
				   "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
		return !required;
	}
	*sym = sim_symbol_find(c->w, s);
	if (*sym < 0 || !sim_account_has(c->a, *sym)) {
		sim_bn_err(c->r, 400, -1121, "Invalid symbol.");
		return 0;
	}
	return 1;
}

struct json_object *sim_bn_order_json(struct sim_world *w, struct sim_order *o)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *j = json_object_new_object();

	sim_jint(j, "orderId", o->id);
	sim_jstr_add(j, "symbol", s->name);
	sim_jstr_add(j, "status", o->status);
	sim_jstr_add(j, "clientOrderId", o->client);
	sim_jdec(j, "price", o->price, s->pdp);
	sim_jdec(j, "avgPrice", o->avg, s->pdp + 2);
	sim_jdec(j, "origQty", o->qty, s->qdp);
	sim_jdec(j, "executedQty", o->executed, s->qdp);
	sim_jdec(j, "cumQty", o->executed, s->qdp);
	sim_jdec(j, "cumQuote", o->executed * o->avg, 5);
	sim_jstr_add(j, "timeInForce", o->tif);
	sim_jstr_add(j, "type", o->type);
	sim_jbool(j, "reduceOnly", o->reduce_only);
	sim_jbool(j, "closePosition", o->close_position);
	sim_jstr_add(j, "side", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(j, "positionSide", ps_name(o->ps));
	sim_jdec(j, "stopPrice", 0, s->pdp);
	sim_jstr_add(j, "workingType", "CONTRACT_PRICE");
	sim_jbool(j, "priceProtect", 0);
	sim_jstr_add(j, "origType", o->type);
	sim_jstr_add(j, "priceMatch", "NONE");
	sim_jstr_add(j, "selfTradePreventionMode", "EXPIRE_MAKER");
	sim_jint(j, "goodTillDate", 0);
	sim_jint(j, "time", o->created);
	sim_jint(j, "updateTime", o->updated);
	return j;
}

struct json_object *sim_bn_algo_json(struct sim_world *w, struct sim_order *o)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *j = json_object_new_object();
	char id[32] = "";

	if (o->actual_id)
		snprintf(id, sizeof id, "%lld", o->actual_id);
	sim_jint(j, "algoId", o->id);
	sim_jstr_add(j, "clientAlgoId", o->client);
	sim_jstr_add(j, "algoType", "CONDITIONAL");
	sim_jstr_add(j, "orderType", o->type);
	sim_jstr_add(j, "symbol", s->name);
	sim_jstr_add(j, "side", o->side > 0 ? "BUY" : "SELL");
	sim_jstr_add(j, "positionSide", ps_name(o->ps));
	sim_jstr_add(j, "timeInForce", o->tif);
	sim_jdec(j, "quantity", o->qty, s->qdp);
	sim_jstr_add(j, "algoStatus", o->status);
	sim_jstr_add(j, "actualOrderId", id);
	sim_jdec(j, "actualPrice", o->avg, s->pdp + 2);
	sim_jdec(j, "actualQty", o->executed, s->qdp);
	sim_jstr_add(j, "actualType", o->actual_id ? (strstr(o->type, "MARKET") ? "MARKET" : "LIMIT") : "");
	sim_jdec(j, "triggerPrice", o->trigger, s->pdp);
	sim_jdec(j, "price", o->price, s->pdp);
	json_object_object_add(j, "icebergQuantity", NULL);
	sim_jdec(j, "tpTriggerPrice", 0, s->pdp);
	sim_jdec(j, "tpPrice", 0, s->pdp);
	sim_jdec(j, "slTriggerPrice", 0, s->pdp);
	sim_jdec(j, "slPrice", 0, s->pdp);
	sim_jstr_add(j, "tpOrderType", "");
	sim_jstr_add(j, "selfTradePreventionMode", "EXPIRE_MAKER");
	sim_jstr_add(j, "workingType", "MARK_PRICE");
	sim_jstr_add(j, "priceMatch", "NONE");
	sim_jbool(j, "closePosition", o->close_position);
	sim_jbool(j, "priceProtect", 0);
	sim_jbool(j, "reduceOnly", o->reduce_only);
	if (o->trailing) {
		if (o->activate > 0)
			sim_jdec(j, "activatePrice", o->activate, s->pdp);
		else
			sim_jstr_add(j, "activatePrice", "");
		sim_jdec(j, "callbackRate", o->callback, 2);
	} else {
		sim_jstr_add(j, "activatePrice", "");
		sim_jstr_add(j, "callbackRate", "");
	}
	sim_jint(j, "createTime", o->created);
	sim_jint(j, "updateTime", o->updated);
	sim_jint(j, "triggerTime", o->trigger_time);
	sim_jint(j, "goodTillDate", 0);
	return j;
}

static void ok(struct bn_ctx *c, struct json_object *o)
{
	sim_resp_json(c->r, 200, o);
}

static void ep_time(struct bn_ctx *c)
{
	struct json_object *o = json_object_new_object();

	sim_jint(o, "serverTime", c->now);
	ok(c, o);
}

static struct json_object *filter(const char *type)
{
	struct json_object *f = json_object_new_object();

	sim_jstr_add(f, "filterType", type);
	return f;
}

static void ep_exchange_info(struct bn_ctx *c)
{
	static const char *ot[] = {
		"LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET",
		NULL
	};
	struct json_object *o = json_object_new_object(), *syms = json_object_new_array();
	struct json_object *rl = json_object_new_array(), *l = json_object_new_object();

	sim_jstr_add(o, "timezone", "UTC");
	sim_jint(o, "serverTime", c->now);
	sim_jstr_add(o, "futuresType", "U_MARGINED");
	sim_jstr_add(l, "rateLimitType", "REQUEST_WEIGHT");
	sim_jstr_add(l, "interval", "MINUTE");
	sim_jint(l, "intervalNum", 1);
	sim_jint(l, "limit", 2400);
	json_object_array_add(rl, l);
	json_object_object_add(o, "rateLimits", rl);
	json_object_object_add(o, "exchangeFilters", json_object_new_array());
	json_object_object_add(o, "assets", json_object_new_array());
	for (int i = 0; i < c->w->nsym; i++) {
		struct sim_symbol *s = &c->w->sym[i];
		struct json_object *e, *fs, *types, *f;

		if (!sim_symbol_listed(c->w, i, SIM_BINANCE))
			continue;
		e = json_object_new_object();
		fs = json_object_new_array();
		types = json_object_new_array();

		sim_jstr_add(e, "symbol", s->name);
		sim_jstr_add(e, "pair", s->name);
		sim_jstr_add(e, "contractType", "PERPETUAL");
		sim_jint(e, "deliveryDate", 4133404800000LL);
		sim_jint(e, "onboardDate", 1569398400000LL);
		sim_jstr_add(e, "status", "TRADING");
		sim_jstr_add(e, "baseAsset", s->base);
		sim_jstr_add(e, "quoteAsset", "USDT");
		sim_jstr_add(e, "marginAsset", "USDT");
		sim_jint(e, "pricePrecision", s->pdp);
		sim_jint(e, "quantityPrecision", s->qdp);
		sim_jint(e, "baseAssetPrecision", 8);
		sim_jint(e, "quotePrecision", 8);
		sim_jstr_add(e, "underlyingType", "COIN");
		f = filter("PRICE_FILTER");
		sim_jdec(f, "minPrice", s->tick, s->pdp);
		sim_jdec(f, "maxPrice", s->mark0 * 100, s->pdp);
		sim_jdec(f, "tickSize", s->tick, s->pdp);
		json_object_array_add(fs, f);
		f = filter("LOT_SIZE");
		sim_jdec(f, "minQty", s->min_qty, s->qdp);
		sim_jdec(f, "maxQty", 1e9 * s->step, s->qdp);
		sim_jdec(f, "stepSize", s->step, s->qdp);
		json_object_array_add(fs, f);
		f = filter("MARKET_LOT_SIZE");
		sim_jdec(f, "minQty", s->min_qty, s->qdp);
		sim_jdec(f, "maxQty", 1e8 * s->step, s->qdp);
		sim_jdec(f, "stepSize", s->step, s->qdp);
		json_object_array_add(fs, f);
		f = filter("MIN_NOTIONAL");
		sim_jstr_add(f, "notional", "5");
		json_object_array_add(fs, f);
		json_object_object_add(e, "filters", fs);
		for (int k = 0; ot[k]; k++)
			json_object_array_add(types, json_object_new_string(ot[k]));
		json_object_object_add(e, "orderTypes", types);
		json_object_array_add(syms, e);
	}
	json_object_object_add(o, "symbols", syms);
	ok(c, o);
}

static void ep_dual(struct bn_ctx *c)
{
	struct json_object *o = json_object_new_object();

	sim_jbool(o, "dualSidePosition", c->a->hedge);
	ok(c, o);
}

/* Position rows as REST shows them, with the positions faults applied. */
static struct json_object *positions(struct bn_ctx *c, int ver, int account_view)
{
	struct json_object *arr = json_object_new_array();
	struct sim_fault *f;
	char only[32] = "";
	long long lag = 0;
	const char *omit = NULL;

	if (sim_fault_find(c->w, "positions_empty", SIM_BINANCE, c->rq->path, c->a->key, 1))
		return arr;
	if ((f = sim_fault_find(c->w, "positions_omit", SIM_BINANCE, c->rq->path, c->a->key, 1)))
		omit = f->symbol;
	if ((f = sim_fault_find(c->w, "rest_lag", SIM_BINANCE, c->rq->path, c->a->key, 1)))
		lag = f->ms;
	prm(c, "symbol", only, sizeof only);
	for (int i = 0; i < c->w->nsym; i++) {
		struct sim_symbol *s = &c->w->sym[i];

		if (!sim_account_has(c->a, i) || (only[0] && strcmp(only, s->name)) || (omit && !strcmp(omit, s->name)))
			continue;
		for (int ps = c->a->hedge ? 1 : 0; ps <= (c->a->hedge ? 2 : 0); ps++) {
			struct sim_position *p = sim_pos(c->a, i, ps);
			struct json_object *e;
			double amt, entry, up, notional;

			sim_pos_view(c->w, c->a, p, f && (!f->symbol[0] || !strcmp(f->symbol, s->name)) ? lag : 0, &amt,
				     &entry);
			if (ver == 3 && amt == 0 && !sim_pos_has_orders(c->a, i))
				continue;
			up = sim_upnl(c->w, p, amt, entry);
			notional = amt * s->mark;
			e = json_object_new_object();
			sim_jstr_add(e, "symbol", s->name);
			sim_jstr_add(e, "positionSide", ps_name(ps));
			sim_jdec(e, "positionAmt", amt, s->qdp);
			if (!account_view) {
				sim_jdec(e, "entryPrice", entry, s->pdp + 2);
				sim_jdec(e, "breakEvenPrice", entry, s->pdp + 2);
				sim_jdec(e, "markPrice", s->mark, s->pdp + 2);
				sim_jdec(e, "unRealizedProfit", up, 8);
				sim_jdec(e, "liquidationPrice", 0, s->pdp);
			} else {
				sim_jdec(e, "unrealizedProfit", up, 8);
			}
			sim_jdec(e, "isolatedMargin", 0, 0);
			sim_jdec(e, "notional", notional, 8);
			if (!account_view)
				sim_jstr_add(e, "marginAsset", "USDT");
			sim_jdec(e, "isolatedWallet", 0, 0);
			sim_jdec(e, "initialMargin", fabs(notional) / 10, 8);
			sim_jdec(e, "maintMargin", fabs(notional) * 0.004, 8);
			if (!account_view) {
				sim_jdec(e, "positionInitialMargin", fabs(notional) / 10, 8);
				sim_jdec(e, "openOrderInitialMargin", 0, 0);
				sim_jint(e, "adl", amt != 0 ? 2 : 0);
				sim_jdec(e, "bidNotional", 0, 0);
				sim_jdec(e, "askNotional", 0, 0);
			}
			if (ver == 2) {
				sim_jstr_add(e, "leverage", "10");
				sim_jstr_add(e, "maxNotionalValue", "1000000");
				sim_jstr_add(e, "marginType", "cross");
				sim_jstr_add(e, "isAutoAddMargin", "false");
			}
			sim_jint(e, "updateTime", p->updated);
			json_object_array_add(arr, e);
		}
	}
	return arr;
}

static double total_upnl(struct bn_ctx *c)
{
	double u = 0;

	for (int i = 0; i < c->w->nsym; i++)
		for (int ps = 0; ps < 3; ps++) {
			struct sim_position *p = sim_pos_peek(c->a, i, ps);

			if (p)
				u += sim_upnl(c->w, p, p->amt, p->entry);
		}
	return u;
}

static double total_im(struct bn_ctx *c)
{
	double m = 0;

	for (int i = 0; i < c->w->nsym; i++)
		for (int ps = 0; ps < 3; ps++) {
			struct sim_position *p = sim_pos_peek(c->a, i, ps);

			if (p)
				m += fabs(p->amt) * c->w->sym[i].mark / 10;
		}
	return m;
}

static void ep_balance(struct bn_ctx *c)
{
	struct json_object *arr = json_object_new_array(), *e = json_object_new_object();
	double up = total_upnl(c), avail = c->a->balance + up - total_im(c);

	sim_jstr_add(e, "accountAlias", "SgsR");
	sim_jstr_add(e, "asset", "USDT");
	sim_jdec(e, "balance", c->a->balance, 8);
	sim_jdec(e, "crossWalletBalance", c->a->balance, 8);
	sim_jdec(e, "crossUnPnl", up, 8);
	sim_jdec(e, "availableBalance", avail, 8);
	sim_jdec(e, "maxWithdrawAmount", avail, 8);
	sim_jbool(e, "marginAvailable", 1);
	sim_jint(e, "updateTime", c->a->bal_updated);
	json_object_array_add(arr, e);
	ok(c, arr);
}

static void ep_account(struct bn_ctx *c)
{
	struct json_object *o = json_object_new_object(), *assets = json_object_new_array();
	struct json_object *e = json_object_new_object();
	double up = total_upnl(c), im = total_im(c), b = c->a->balance;

	sim_jdec(o, "totalInitialMargin", im, 8);
	sim_jdec(o, "totalMaintMargin", im * 0.04, 8);
	sim_jdec(o, "totalWalletBalance", b, 8);
	sim_jdec(o, "totalUnrealizedProfit", up, 8);
	sim_jdec(o, "totalMarginBalance", b + up, 8);
	sim_jdec(o, "totalPositionInitialMargin", im, 8);
	sim_jdec(o, "totalOpenOrderInitialMargin", 0, 8);
	sim_jdec(o, "totalCrossWalletBalance", b, 8);
	sim_jdec(o, "totalCrossUnPnl", up, 8);
	sim_jdec(o, "availableBalance", b + up - im, 8);
	sim_jdec(o, "maxWithdrawAmount", b + up - im, 8);
	sim_jstr_add(e, "asset", "USDT");
	sim_jdec(e, "walletBalance", b, 8);
	sim_jdec(e, "unrealizedProfit", up, 8);
	sim_jdec(e, "marginBalance", b + up, 8);
	sim_jdec(e, "maintMargin", im * 0.04, 8);
	sim_jdec(e, "initialMargin", im, 8);
	sim_jdec(e, "positionInitialMargin", im, 8);
	sim_jdec(e, "openOrderInitialMargin", 0, 8);
	sim_jdec(e, "crossWalletBalance", b, 8);
	sim_jdec(e, "crossUnPnl", up, 8);
	sim_jdec(e, "availableBalance", b + up - im, 8);
	sim_jdec(e, "maxWithdrawAmount", b + up - im, 8);
	sim_jint(e, "updateTime", c->a->bal_updated);
	json_object_array_add(assets, e);
	json_object_object_add(o, "assets", assets);
	json_object_object_add(o, "positions", positions(c, 3, 1));
	ok(c, o);
}

static void ep_open_orders(struct bn_ctx *c, int algo)
{
	struct json_object *arr = json_object_new_array();
	struct sim_fault *f = sim_fault_find(c->w, "rest_lag", SIM_BINANCE, c->rq->path, c->a->key, 1);
	int sym;

	if (!sym_arg(c, 0, &sym)) {
		json_object_put(arr);
		return;
	}
	c->r->weight = sym >= 0 ? 1 : 40;
	for (size_t i = 0; i < c->a->norders; i++) {
		struct sim_order *o = c->a->orders[i];

		if (!o->open || o->cond != algo || (sym >= 0 && o->sym != sym))
			continue;
		if (f && o->created > c->now - f->ms)
			continue;
		json_object_array_add(arr, algo ? sim_bn_algo_json(c->w, o) : sim_bn_order_json(c->w, o));
	}
	ok(c, arr);
}

static struct sim_order *find_order(struct bn_ctx *c, int algo)
{
	char id[40] = "", cid[64] = "";

	if (algo) {
		prm(c, "algoId", id, sizeof id);
		prm(c, "clientAlgoId", cid, sizeof cid);
	} else {
		prm(c, "orderId", id, sizeof id);
		prm(c, "origClientOrderId", cid, sizeof cid);
	}
	if (!id[0] && !cid[0])
		return NULL;
	return sim_order_by_id(c->a, id, cid, algo);
}

static void ep_get_order(struct bn_ctx *c, int algo, int open_only)
{
	int sym;
	struct sim_order *o;

	if (!algo && !sym_arg(c, 1, &sym))
		return;
	o = find_order(c, algo);
	if (!o || (open_only && !o->open)) {
		sim_bn_err(c->r, 400, -2013, "Order does not exist.");
		return;
	}
	ok(c, algo ? sim_bn_algo_json(c->w, o) : sim_bn_order_json(c->w, o));
}

static int is_cond_type(const char *t)
{
	return !strcmp(t, "STOP_MARKET") || !strcmp(t, "TAKE_PROFIT_MARKET") || !strcmp(t, "STOP") ||
	       !strcmp(t, "TAKE_PROFIT") || !strcmp(t, "TRAILING_STOP_MARKET");
}

static void fail_to_err(struct bn_ctx *c, enum sim_fail f)
{
	switch (f) {
	case SIM_F_REDUCE_ONLY: sim_bn_err(c->r, 400, -2022, "ReduceOnly Order is rejected."); break;
	case SIM_F_WOULD_TRIGGER: sim_bn_err(c->r, 400, -2021, "Order would immediately trigger."); break;
	case SIM_F_MIN_QTY: sim_bn_err(c->r, 400, -4003, "Quantity less than or equal to zero."); break;
	case SIM_F_DUP_CLIENT: sim_bn_err(c->r, 400, -4116, "ClientOrderId is duplicated."); break;
	case SIM_F_NO_SYMBOL: sim_bn_err(c->r, 400, -1121, "Invalid symbol."); break;
	default: sim_bn_err(c->r, 400, -1102, "Mandatory parameter was not sent, was empty/null, or malformed."); break;
	}
}

/* Parses the common order parameters into a new order; 0 on error (answered). */
static struct sim_order *order_from_params(struct bn_ctx *c, int algo)
{
	char side[8] = "", type[24] = "", v[64];
	int sym;
	struct sim_order *o;

	if (!sym_arg(c, 1, &sym))
		return NULL;
	prm(c, "side", side, sizeof side);
	prm(c, "type", type, sizeof type);
	if (strcmp(side, "BUY") && strcmp(side, "SELL")) {
		sim_bn_err(c->r, 400, -1117, "Invalid side.");
		return NULL;
	}
	if (!algo && is_cond_type(type)) {
		sim_bn_err(
			c->r, 400, -4120,
			"Order type not supported for this endpoint. Please use the Algo Order API endpoints instead.");
		return NULL;
	}
	if ((!algo && strcmp(type, "MARKET") && strcmp(type, "LIMIT")) || (algo && !is_cond_type(type))) {
		sim_bn_err(c->r, 400, -1116, "Invalid orderType.");
		return NULL;
	}
	if (algo && (!prm(c, "algoType", v, sizeof v) || strcmp(v, "CONDITIONAL"))) {
		sim_bn_err(c->r, 400, -1102,
			   "Mandatory parameter 'algoType' was not sent, was empty/null, or malformed.");
		return NULL;
	}
	o = sim_order_new(c->w, c->a);
	o->sym = sym;
	o->side = !strcmp(side, "BUY") ? 1 : -1;
	o->cond = algo;
	snprintf(o->type, sizeof o->type, "%s", type);
	if (prm(c, "quantity", v, sizeof v))
		o->qty = sim_dec(v);
	if (prm(c, "price", v, sizeof v))
		o->price = sim_dec(v);
	if (prm(c, "triggerPrice", v, sizeof v) || prm(c, "stopPrice", v, sizeof v))
		o->trigger = sim_dec(v);
	if (prm(c, "timeInForce", v, sizeof v))
		snprintf(o->tif, sizeof o->tif, "%.15s", v);
	o->reduce_only = prm(c, "reduceOnly", v, sizeof v) && !strcasecmp(v, "true");
	o->close_position = prm(c, "closePosition", v, sizeof v) && !strcasecmp(v, "true");
	if (algo && !strcmp(type, "TRAILING_STOP_MARKET")) {
		/* no trigger: activatePrice (optional) + callbackRate; a triggerPrice
		 * sent anyway is ignored (third-party reports of -2021 unconfirmed) */
		o->trailing = 1;
		o->trigger = 0;
		if (prm(c, "activatePrice", v, sizeof v) || prm(c, "activationPrice", v, sizeof v))
			o->activate = sim_dec(v);
		if (prm(c, "callbackRate", v, sizeof v) || prm(c, "priceRate", v, sizeof v))
			o->callback = sim_dec(v);
	}
	if (prm(c, algo ? "clientAlgoId" : "newClientOrderId", v, sizeof v))
		snprintf(o->client, sizeof o->client, "%s", v);
	else
		snprintf(o->client, sizeof o->client, "%s%llx", algo ? "algo" : "web_",
			 sim_rand(c->w) & 0xffffffffffffULL);
	if (prm(c, "positionSide", v, sizeof v))
		o->ps = !strcmp(v, "LONG") ? 1 : !strcmp(v, "SHORT") ? 2 : 0;
	snprintf(c->r->client_id, sizeof c->r->client_id, "%s", o->client);
	if (c->a->hedge != (o->ps != 0)) {
		sim_bn_err(c->r, 400, -4061, "Order's position side does not match user's setting.");
		goto drop;
	}
	if (c->a->hedge && o->reduce_only) {
		sim_bn_err(c->r, 400, -1106, "Parameter 'reduceonly' sent when not required.");
		goto drop;
	}
	if (o->close_position &&
	    (o->qty > 0 || (strcmp(o->type, "STOP_MARKET") && strcmp(o->type, "TAKE_PROFIT_MARKET")))) {
		sim_bn_err(c->r, 400, -4136, "Target strategy invalid for orderType, closePosition true.");
		goto drop;
	}
	if (o->close_position && ((o->ps == 1 && o->side > 0) || (o->ps == 2 && o->side < 0))) {
		/* hedge mode: closePosition only on the closing side of its leg */
		sim_bn_err(c->r, 400, -4136, "Target strategy invalid for orderType, closePosition true.");
		goto drop;
	}
	if (o->trailing && (o->callback < 0.1 - 1e-9 || o->callback > 20 + 1e-9)) {
		sim_bn_err(c->r, 400, -1102,
			   "Mandatory parameter 'callbackRate' was not sent, was empty/null, or malformed.");
		goto drop;
	}
	if ((!strcmp(type, "LIMIT") || !strcmp(type, "STOP") || !strcmp(type, "TAKE_PROFIT")) && o->price <= 0) {
		sim_bn_err(c->r, 400, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
		goto drop;
	}
	if (algo && o->trigger <= 0 && strcmp(type, "TRAILING_STOP_MARKET")) {
		sim_bn_err(c->r, 400, -1102,
			   "Mandatory parameter 'triggerPrice' was not sent, was empty/null, or malformed.");
		goto drop;
	}
	return o;
drop:
	free(c->a->orders[--c->a->norders]);
	return NULL;
}

static void ep_new_order(struct bn_ctx *c, int algo)
{
	struct sim_order *o = order_from_params(c, algo);
	struct sim_fault *f;
	enum sim_fail e;

	sim_limits_order_count(c->w, c->a, c->r);
	if (!o)
		return;
	if ((f = sim_fault_find(c->w, "reject", SIM_BINANCE, c->rq->path, c->a->key, 1))) {
		free(c->a->orders[--c->a->norders]);
		sim_bn_err(c->r, 400, f->code ? f->code : -2019, f->msg[0] ? f->msg : "Margin is insufficient.");
		return;
	}
	if (algo && sim_fault_find(c->w, "stop_would_trigger", SIM_BINANCE, c->rq->path, c->a->key, 1)) {
		free(c->a->orders[--c->a->norders]);
		sim_bn_err(c->r, 400, -2021, "Order would immediately trigger.");
		return;
	}
	e = sim_place(c->w, c->a, o); /* frees o on failure */
	if (e) {
		fail_to_err(c, e);
		return;
	}
	ok(c, algo ? sim_bn_algo_json(c->w, o) : sim_bn_order_json(c->w, o));
}

static void ep_cancel(struct bn_ctx *c, int algo)
{
	int sym;
	struct sim_order *o;
	struct json_object *j;

	if (!algo && !sym_arg(c, 1, &sym))
		return;
	o = find_order(c, algo);
	if (!o || !o->open || o->stuck) { /* TRIGGERING: -2011 (docs/exchange-facts.md 1.6) */
		sim_bn_err(c->r, 400, -2011, "Unknown order sent.");
		return;
	}
	snprintf(c->r->client_id, sizeof c->r->client_id, "%s", o->client);
	sim_cancel(c->w, c->a, o, "CancelByUser", SIM_BY_REST);
	if (!algo) {
		ok(c, sim_bn_order_json(c->w, o));
		return;
	}
	j = json_object_new_object();
	sim_jint(j, "algoId", o->id);
	sim_jstr_add(j, "clientAlgoId", o->client);
	sim_jstr_add(j, "code", "200");
	sim_jstr_add(j, "msg", "success");
	ok(c, j);
}

static void ep_cancel_all(struct bn_ctx *c, int algo)
{
	int sym;
	struct json_object *j;

	if (!sym_arg(c, 1, &sym))
		return;
	for (size_t i = 0; i < c->a->norders; i++)
		if (c->a->orders[i]->open && !c->a->orders[i]->stuck && c->a->orders[i]->cond == algo &&
		    c->a->orders[i]->sym == sym)
			sim_cancel(c->w, c->a, c->a->orders[i], "CancelByUser", SIM_BY_REST);
	j = json_object_new_object();
	sim_jint(j, "code", 200);
	sim_jstr_add(j, "msg", "The operation of cancel all open order is done.");
	ok(c, j);
}

/* allOrders / allAlgoOrders: every order of the kind, oldest first */
static void ep_all_orders(struct bn_ctx *c, int algo)
{
	struct json_object *arr;
	int sym;

	if (!sym_arg(c, 0, &sym))
		return;
	arr = json_object_new_array();
	for (size_t i = 0; i < c->a->norders; i++) {
		struct sim_order *o = c->a->orders[i];

		if (o->cond != algo || (sym >= 0 && o->sym != sym))
			continue;
		json_object_array_add(arr, algo ? sim_bn_algo_json(c->w, o) : sim_bn_order_json(c->w, o));
	}
	ok(c, arr);
}

static void ep_symbol_config(struct bn_ctx *c)
{
	struct json_object *arr;
	int sym;

	if (!sym_arg(c, 0, &sym))
		return;
	arr = json_object_new_array();
	for (int i = 0; i < c->w->nsym; i++) {
		struct json_object *e;

		if (!sim_account_has(c->a, i) || (sym >= 0 && i != sym))
			continue;
		e = json_object_new_object();
		sim_jstr_add(e, "symbol", c->w->sym[i].name);
		sim_jstr_add(e, "marginType", "CROSSED");
		sim_jbool(e, "isAutoAddMargin", 0);
		sim_jint(e, "leverage", 10);
		sim_jstr_add(e, "maxNotionalValue", "1000000");
		json_object_array_add(arr, e);
	}
	ok(c, arr);
}

static void ep_brackets(struct bn_ctx *c)
{
	struct json_object *arr = json_object_new_array();

	for (int i = 0; i < c->w->nsym; i++) {
		struct json_object *e, *bs, *b;

		if (!sim_symbol_listed(c->w, i, SIM_BINANCE))
			continue;
		e = json_object_new_object();
		bs = json_object_new_array();
		b = json_object_new_object();

		sim_jstr_add(e, "symbol", c->w->sym[i].name);
		sim_jint(b, "bracket", 1);
		sim_jint(b, "initialLeverage", 20);
		sim_jint(b, "notionalCap", 1000000);
		sim_jint(b, "notionalFloor", 0);
		json_object_object_add(b, "maintMarginRatio", json_object_new_double(0.004));
		sim_jint(b, "cum", 0);
		json_object_array_add(bs, b);
		json_object_object_add(e, "brackets", bs);
		json_object_array_add(arr, e);
	}
	ok(c, arr);
}

static void ep_listen_key(struct bn_ctx *c)
{
	const char *m = c->rq->method;
	struct json_object *j = json_object_new_object();
	int valid = c->a->listen_key[0] && c->a->lk_expires > c->now;

	if (!strcmp(m, "POST")) {
		if (!valid)
			sim_new_listen_key(c->w, c->a);
		c->a->lk_expires = c->now + 3600 * 1000LL;
		sim_jstr_add(j, "listenKey", c->a->listen_key);
	} else if (!strcmp(m, "PUT")) {
		if (!valid) {
			json_object_put(j);
			sim_bn_err(c->r, 400, -1125, "This listenKey does not exist.");
			return;
		}
		c->a->lk_expires = c->now + 3600 * 1000LL;
		sim_jstr_add(j, "listenKey", c->a->listen_key);
	} else {
		c->a->listen_key[0] = '\0';
		c->a->lk_expires = 0;
		sim_server_disconnect(c->w, c->a);
	}
	ok(c, j);
}

int sim_bn_weight(const char *method, const char *path, const char *query)
{
	char sym[32];
	int has_sym = sim_param(query, "symbol", sym, sizeof sym) && sym[0];

	if (strstr(path, "positionRisk") || !strcmp(path, "/fapi/v3/account") ||
	    !strcmp(path, "/fapi/v1/symbolConfig") || !strcmp(path, "/fapi/v1/allOrders") ||
	    !strcmp(path, "/fapi/v2/balance") || !strcmp(path, "/fapi/v3/balance") ||
	    !strcmp(path, "/fapi/v2/account") || !strcmp(path, "/fapi/v1/allAlgoOrders"))
		return 5;
	if (!strcmp(path, "/fapi/v1/openOrders") || !strcmp(path, "/fapi/v1/openAlgoOrders"))
		return has_sym ? 1 : 40;
	if (!strcmp(path, "/fapi/v1/positionSide/dual"))
		return 30;
	if (!strcmp(path, "/fapi/v1/exchangeInfo"))
		return 1;
	if ((!strcmp(path, "/fapi/v1/order") || !strcmp(path, "/fapi/v1/algoOrder")) && !strcmp(method, "POST"))
		return 0;
	return 1;
}

struct bn_route {
	const char *method, *path;
	int sec; /* 0 none, 1 key only, 2 signed */
	void (*fn)(struct bn_ctx *c, int arg);
	int arg;
};

static void r_time(struct bn_ctx *c, int x)
{
	(void)x;
	ep_time(c);
}
static void r_info(struct bn_ctx *c, int x)
{
	(void)x;
	ep_exchange_info(c);
}
static void r_dual(struct bn_ctx *c, int x)
{
	(void)x;
	ep_dual(c);
}
static void r_pos(struct bn_ctx *c, int v)
{
	ok(c, positions(c, v, 0));
}
static void r_bal(struct bn_ctx *c, int x)
{
	(void)x;
	ep_balance(c);
}
static void r_acct(struct bn_ctx *c, int x)
{
	(void)x;
	ep_account(c);
}
static void r_open(struct bn_ctx *c, int algo)
{
	ep_open_orders(c, algo);
}
static void r_get(struct bn_ctx *c, int algo)
{
	ep_get_order(c, algo, 0);
}
static void r_get_open(struct bn_ctx *c, int x)
{
	(void)x;
	ep_get_order(c, 0, 1);
}
static void r_new(struct bn_ctx *c, int algo)
{
	ep_new_order(c, algo);
}
static void r_cancel(struct bn_ctx *c, int algo)
{
	ep_cancel(c, algo);
}
static void r_cancel_all(struct bn_ctx *c, int algo)
{
	ep_cancel_all(c, algo);
}
static void r_brackets(struct bn_ctx *c, int x)
{
	(void)x;
	ep_brackets(c);
}
static void r_lk(struct bn_ctx *c, int x)
{
	(void)x;
	ep_listen_key(c);
}
static void r_all(struct bn_ctx *c, int algo)
{
	ep_all_orders(c, algo);
}
static void r_symcfg(struct bn_ctx *c, int x)
{
	(void)x;
	ep_symbol_config(c);
}

static const struct bn_route routes[] = {
	{ "GET", "/fapi/v1/time", 0, r_time, 0 },
	{ "GET", "/fapi/v1/ping", 0, r_dual, -1 },
	{ "GET", "/fapi/v1/exchangeInfo", 0, r_info, 0 },
	{ "GET", "/fapi/v1/positionSide/dual", 2, r_dual, 0 },
	{ "GET", "/fapi/v2/positionRisk", 2, r_pos, 2 },
	{ "GET", "/fapi/v3/positionRisk", 2, r_pos, 3 },
	{ "GET", "/fapi/v2/balance", 2, r_bal, 0 },
	{ "GET", "/fapi/v3/balance", 2, r_bal, 0 },
	{ "GET", "/fapi/v2/account", 2, r_acct, 0 },
	{ "GET", "/fapi/v3/account", 2, r_acct, 0 },
	{ "GET", "/fapi/v1/openOrders", 2, r_open, 0 },
	{ "GET", "/fapi/v1/openOrder", 2, r_get_open, 0 },
	{ "GET", "/fapi/v1/order", 2, r_get, 0 },
	{ "POST", "/fapi/v1/order", 2, r_new, 0 },
	{ "DELETE", "/fapi/v1/order", 2, r_cancel, 0 },
	{ "DELETE", "/fapi/v1/allOpenOrders", 2, r_cancel_all, 0 },
	{ "GET", "/fapi/v1/leverageBracket", 2, r_brackets, 0 },
	{ "GET", "/fapi/v1/symbolConfig", 2, r_symcfg, 0 },
	{ "GET", "/fapi/v1/allOrders", 2, r_all, 0 },
	{ "GET", "/fapi/v1/allAlgoOrders", 2, r_all, 1 },
	{ "POST", "/fapi/v1/algoOrder", 2, r_new, 1 },
	{ "GET", "/fapi/v1/algoOrder", 2, r_get, 1 },
	{ "DELETE", "/fapi/v1/algoOrder", 2, r_cancel, 1 },
	{ "GET", "/fapi/v1/openAlgoOrders", 2, r_open, 1 },
	{ "DELETE", "/fapi/v1/algoOpenOrders", 2, r_cancel_all, 1 },
	{ "POST", "/fapi/v1/listenKey", 1, r_lk, 0 },
	{ "PUT", "/fapi/v1/listenKey", 1, r_lk, 0 },
	{ "DELETE", "/fapi/v1/listenKey", 1, r_lk, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

void sim_bn_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	struct bn_ctx c = { w, rq, r, r->acct, sim_now(w, SIM_BINANCE) };
	char cid[64];

	r->weight = sim_bn_weight(rq->method, rq->path, rq->query);
	snprintf(r->client_id, sizeof r->client_id, "%s", sim_bn_client_id(rq, cid, sizeof cid));
	for (const struct bn_route *rt = routes; rt->method; rt++) {
		if (strcmp(rt->path, rq->path))
			continue;
		if (strcmp(rt->method, rq->method))
			continue;
		if (rt->arg == -1 && rt->fn == r_dual) { /* ping */
			ok(&c, json_object_new_object());
			return;
		}
		if (rt->sec && !auth(&c, rt->sec == 2))
			return;
		rt->fn(&c, rt->arg);
		return;
	}
	sim_bn_err(r, 404, -5000, "Path not found");
}
