/* Bybit v5 REST (/v5/...), category linear: X-BAPI-* signing, the
 * retCode envelope, endpoints. Shapes follow docs/exchange-facts.md Part 2 and
 * tests/data/bybit. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

struct bb_ctx {
	struct sim_world *w;
	const struct sim_req *rq;
	struct sim_resp *r;
	struct sim_account *a;
	long long now;
	struct json_object *body; /* POST body parsed */
	int post;
};

void sim_bb_envelope(struct sim_world *w, struct sim_resp *r, int code, const char *msg, struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	sim_jint(o, "retCode", code);
	sim_jstr_add(o, "retMsg", msg);
	json_object_object_add(o, "result", result ? result : json_object_new_object());
	json_object_object_add(o, "retExtInfo", json_object_new_object());
	sim_jint(o, "time", sim_now(w, SIM_BYBIT));
	sim_resp_json(r, 200, o);
}

static void err(struct bb_ctx *c, int code, const char *msg)
{
	sim_bb_envelope(c->w, c->r, code, msg, NULL);
}

static void okr(struct bb_ctx *c, struct json_object *result)
{
	sim_bb_envelope(c->w, c->r, 0, "OK", result);
}

/* Parameter from the query (GET) or the JSON body (POST), as a string. */
static int prm(struct bb_ctx *c, const char *name, char *out, size_t n)
{
	struct json_object *v;

	if (!c->post)
		return sim_param(c->rq->query, name, out, n);
	out[0] = '\0';
	if (!c->body || !json_object_object_get_ex(c->body, name, &v) || !v)
		return 0;
	snprintf(out, n, "%s", json_object_get_string(v));
	return 1;
}

static int auth(struct bb_ctx *c)
{
	const struct sim_req *rq = c->rq;
	char *msg;
	long long ts, win;
	int good;

	if (!rq->bapi_key || !c->a) {
		err(c, 10003, "API key is invalid.");
		return 0;
	}
	if (!rq->bapi_sign || !rq->bapi_ts) {
		err(c, 10004, "error sign! missing X-BAPI-SIGN or X-BAPI-TIMESTAMP");
		return 0;
	}
	msg = xasprintf("%s%s%s%s", rq->bapi_ts, rq->bapi_key, rq->bapi_recv ? rq->bapi_recv : "",
			c->post ? rq->body : rq->query);
	good = sim_sig_ok(c->a->secret, msg, strlen(msg), rq->bapi_sign);
	free(msg);
	if (!good) {
		err(c, 10004, "error sign! origin_string[redacted]");
		return 0;
	}
	/* clamped so the window arithmetic below cannot overflow */
	ts = sim_parse_ll(rq->bapi_ts, 0, 1LL << 50);
	win = rq->bapi_recv && *rq->bapi_recv ? sim_parse_ll(rq->bapi_recv, 0, 1LL << 50) : 5000;
	if (!(c->now - win <= ts && ts < c->now + 1000)) {
		char m[200];

		snprintf(m, sizeof m,
			 "invalid request, please check your server timestamp or recv_window param. "
			 "req_timestamp[%lld],server_timestamp[%lld],recv_window[%lld]",
			 ts, c->now, win);
		err(c, 10002, m);
		return 0;
	}
	return 1;
}

static int category(struct bb_ctx *c)
{
	char cat[16];

	if (!prm(c, "category", cat, sizeof cat) || strcmp(cat, "linear")) {
		err(c, 10001, "params error: category only support linear");
		return 0;
	}
	return 1;
}

static const char *side_word(int s)
{
	return s > 0 ? "Buy" : "Sell";
}

static void tstr(struct json_object *j, const char *k, long long t)
{
	char b[32];

	snprintf(b, sizeof b, "%lld", t);
	sim_jstr_add(j, k, b);
}

static const char *create_type(const struct sim_order *o)
{
	static const struct {
		const char *st, *ct;
	} m[] = {
		{ "StopLoss", "CreateByStopLoss" },
		{ "TakeProfit", "CreateByTakeProfit" },
		{ "PartialStopLoss", "CreateByPartialStopLoss" },
		{ "PartialTakeProfit", "CreateByPartialTakeProfit" },
		{ "TrailingStop", "CreateByTrailingStop" },
		{ NULL, NULL },
	};

	for (int i = 0; m[i].st; i++)
		if (!strcmp(o->stop_type, m[i].st))
			return m[i].ct;
	return "CreateByUser";
}

struct json_object *sim_bb_order_json(struct sim_world *w, struct sim_order *o, int ws)
{
	struct sim_symbol *s = &w->sym[o->sym];
	struct json_object *j = json_object_new_object(), *fee = json_object_new_object();
	double leaves = o->open ? o->qty - o->executed : 0;
	int market = !strcasecmp(o->type, "Market");

	sim_jstr_add(j, "orderId", o->oid);
	sim_jstr_add(j, "orderLinkId", o->client);
	sim_jstr_add(j, "blockTradeId", "");
	sim_jstr_add(j, "symbol", s->name);
	sim_jdec(j, "price", market ? 0 : o->price, s->pdp);
	sim_jdec(j, "qty", o->qty, s->qdp);
	sim_jstr_add(j, "side", side_word(o->side));
	sim_jstr_add(j, "isLeverage", "");
	sim_jint(j, "positionIdx", o->ps);
	sim_jstr_add(j, "orderStatus", o->status);
	sim_jstr_add(j, "createType", create_type(o));
	sim_jstr_add(j, "cancelType", o->cancel_type);
	sim_jstr_add(j, "rejectReason", o->reject_reason[0] ? o->reject_reason : "EC_NoError");
	if (o->executed > 0)
		sim_jdec(j, "avgPrice", o->avg, s->pdp);
	else
		sim_jstr_add(j, "avgPrice", "0");
	sim_jdec(j, "leavesQty", leaves, s->qdp);
	sim_jdec(j, "leavesValue", leaves * o->price, 4);
	sim_jdec(j, "cumExecQty", o->executed, s->qdp);
	sim_jdec(j, "cumExecValue", o->executed * o->avg, 4);
	sim_jdec(j, "cumExecFee", o->executed * o->avg * 0.00055, 8);
	sim_jstr_add(j, "timeInForce", o->tif);
	sim_jstr_add(j, "orderType", o->type);
	sim_jstr_add(j, "stopOrderType", o->stop_type[0] ? o->stop_type : (ws ? "" : "UNKNOWN"));
	sim_jstr_add(j, "orderIv", "");
	sim_jdec(j, "triggerPrice", o->trigger, s->pdp);
	sim_jstr_add(j, "takeProfit", "");
	sim_jstr_add(j, "stopLoss", "");
	sim_jstr_add(j, "tpTriggerBy", "");
	sim_jstr_add(j, "slTriggerBy", "");
	sim_jint(j, "triggerDirection", o->cond ? o->trig_dir : 0);
	sim_jstr_add(j, "triggerBy", o->cond ? "MarkPrice" : "UNKNOWN");
	sim_jdec(j, "lastPriceOnCreated", s->mark, s->pdp);
	sim_jbool(j, "reduceOnly", o->reduce_only);
	sim_jbool(j, "closeOnTrigger", o->close_on_trigger);
	sim_jstr_add(j, "smpType", "None");
	sim_jint(j, "smpGroup", 0);
	sim_jstr_add(j, "smpOrderId", "");
	sim_jstr_add(j, "tpslMode",
		     !strncmp(o->stop_type, "Partial", 7)              ? "Partial"
		     : o->stop_type[0] && strcmp(o->stop_type, "Stop") ? "Full"
								       : "");
	sim_jstr_add(j, "tpLimitPrice", "");
	sim_jstr_add(j, "slLimitPrice", "");
	sim_jstr_add(j, "placeType", "");
	sim_jstr_add(j, "parentOrderLinkId", "");
	tstr(j, "createdTime", o->created);
	tstr(j, "updatedTime", o->updated);
	sim_jdec(fee, "USDT", o->executed * o->avg * 0.00055, 8);
	json_object_object_add(j, "cumFeeDetail", fee);
	sim_jstr_add(j, "slippageToleranceType", "UNKNOWN");
	sim_jstr_add(j, "slippageTolerance", "0");
	if (ws) {
		sim_jstr_add(j, "category", "linear");
		sim_jstr_add(j, "closedPnl", "0");
		sim_jstr_add(j, "feeCurrency", "");
		sim_jbool(j, "rpiTakerAccess", 0);
		sim_jstr_add(j, "rpiMatchedQty", "0");
	}
	return j;
}

struct json_object *sim_bb_position_json(struct sim_world *w, struct sim_account *a, struct sim_position *p, double amt,
					 double entry, int ws)
{
	struct sim_symbol *s = &w->sym[p->sym];
	struct json_object *j = json_object_new_object();
	double size = fabs(amt), val = size * entry;

	sim_jint(j, "positionIdx", p->ps);
	sim_jint(j, "riskId", 1);
	sim_jstr_add(j, "riskLimitValue", "2000000");
	sim_jstr_add(j, "symbol", s->name);
	sim_jstr_add(j, "side", amt > 0 ? "Buy" : amt < 0 ? "Sell" : "");
	sim_jdec(j, "size", size, s->qdp);
	sim_jdec(j, ws ? "entryPrice" : "avgPrice", entry, s->pdp + 2);
	sim_jdec(j, "positionValue", val, 4);
	sim_jint(j, "tradeMode", 0);
	sim_jstr_add(j, "positionStatus", "Normal");
	sim_jint(j, "autoAddMargin", 0);
	sim_jint(j, "adlRankIndicator", size > 0 ? 2 : 0);
	sim_jstr_add(j, "leverage", "10");
	sim_jdec(j, "breakEvenPrice", entry, s->pdp + 2);
	sim_jdec(j, "positionBalance", val / 10, 4);
	sim_jdec(j, "markPrice", s->mark, s->pdp);
	sim_jstr_add(j, "liqPrice", "");
	sim_jstr_add(j, "bustPrice", "");
	sim_jdec(j, "positionMM", val * 0.005, 8);
	sim_jdec(j, "positionMMByMp", size * s->mark * 0.005, 8);
	sim_jdec(j, "positionIM", val / 10, 8);
	sim_jdec(j, "positionIMByMp", size * s->mark / 10, 8);
	sim_jstr_add(j, "tpslMode", "Full");
	if (p->tp > 0)
		sim_jdec(j, "takeProfit", p->tp, s->pdp);
	else
		sim_jstr_add(j, "takeProfit", "");
	if (p->sl > 0)
		sim_jdec(j, "stopLoss", p->sl, s->pdp);
	else
		sim_jstr_add(j, "stopLoss", "");
	if (p->trail > 0)
		sim_jdec(j, "trailingStop", p->trail, s->pdp);
	else
		sim_jstr_add(j, "trailingStop", "0");
	sim_jdec(j, "unrealisedPnl", sim_upnl(w, p, amt, entry), 8);
	sim_jdec(j, "curRealisedPnl", p->realised, 8);
	sim_jdec(j, "cumRealisedPnl", p->realised, 8);
	sim_jint(j, "seq", a->seq);
	sim_jbool(j, "isReduceOnly", 0);
	sim_jstr_add(j, "mmrSysUpdatedTime", "");
	sim_jstr_add(j, "mmrSysUpdateTime", "");
	sim_jstr_add(j, "leverageSysUpdatedTime", "");
	sim_jstr_add(j, "sessionAvgPrice", "");
	tstr(j, "createdTime", p->created ? p->created : sim_now(w, SIM_BYBIT));
	tstr(j, "updatedTime", p->updated ? p->updated : sim_now(w, SIM_BYBIT));
	sim_jint(j, "openTime", size > 0 ? p->created : 0);
	if (ws)
		sim_jstr_add(j, "category", "linear");
	return j;
}

static double upnl_all(struct sim_world *w, struct sim_account *a, double *im)
{
	double u = 0;

	*im = 0;
	for (int i = 0; i < w->nsym; i++)
		for (int ps = 0; ps < 3; ps++) {
			struct sim_position *p = sim_pos_peek(a, i, ps);

			if (!p)
				continue;
			u += sim_upnl(w, p, p->amt, p->entry);
			*im += fabs(p->amt) * w->sym[i].mark / 10;
		}
	return u;
}

struct json_object *sim_bb_wallet_json(struct sim_world *w, struct sim_account *a, int ws)
{
	struct json_object *j = json_object_new_object(), *coins = json_object_new_array();
	struct json_object *c = json_object_new_object();
	double im, up = upnl_all(w, a, &im), b = a->balance, eq = b + up;

	(void)ws;
	sim_jstr_add(j, "accountIMRate", eq > 0 ? "0.01" : "0");
	sim_jstr_add(j, "accountIMRateByMp", eq > 0 ? "0.01" : "0");
	sim_jstr_add(j, "accountMMRate", "0");
	sim_jstr_add(j, "accountMMRateByMp", "0");
	sim_jdec(j, "totalEquity", eq, 8);
	sim_jdec(j, "totalWalletBalance", b, 8);
	sim_jdec(j, "totalMarginBalance", eq, 8);
	sim_jdec(j, "totalAvailableBalance", eq - im, 8);
	sim_jdec(j, "totalPerpUPL", up, 8);
	sim_jdec(j, "totalInitialMargin", im, 8);
	sim_jdec(j, "totalInitialMarginByMp", im, 8);
	sim_jdec(j, "totalMaintenanceMargin", im * 0.05, 8);
	sim_jdec(j, "totalMaintenanceMarginByMp", im * 0.05, 8);
	sim_jstr_add(j, "accountLTV", "0");
	sim_jstr_add(j, "accountType", "UNIFIED");
	sim_jstr_add(c, "coin", "USDT");
	sim_jdec(c, "equity", eq, 8);
	sim_jdec(c, "usdValue", eq, 8);
	sim_jdec(c, "walletBalance", b, 8);
	sim_jdec(c, "availableToWithdraw", eq - im, 8);
	sim_jstr_add(c, "availableToBorrow", "");
	sim_jstr_add(c, "borrowAmount", "0");
	sim_jstr_add(c, "accruedInterest", "0");
	sim_jstr_add(c, "totalOrderIM", "0");
	sim_jdec(c, "totalPositionIM", im, 8);
	sim_jdec(c, "totalPositionMM", im * 0.05, 8);
	sim_jdec(c, "unrealisedPnl", up, 8);
	sim_jdec(c, "cumRealisedPnl", b - a->balance0, 8);
	sim_jstr_add(c, "bonus", "0");
	sim_jbool(c, "collateralSwitch", 1);
	sim_jbool(c, "marginCollateral", 1);
	sim_jstr_add(c, "locked", "0");
	sim_jstr_add(c, "spotHedgingQty", "0");
	sim_jstr_add(c, "spotBorrow", "0");
	json_object_array_add(coins, c);
	json_object_object_add(j, "coin", coins);
	return j;
}

static void ep_time(struct bb_ctx *c)
{
	struct json_object *r = json_object_new_object();
	char b[48];

	snprintf(b, sizeof b, "%lld", c->now / 1000);
	sim_jstr_add(r, "timeSecond", b);
	snprintf(b, sizeof b, "%lld000000", c->now);
	sim_jstr_add(r, "timeNano", b);
	okr(c, r);
}

static void ep_instruments(struct bb_ctx *c)
{
	struct json_object *r = json_object_new_object(), *list = json_object_new_array();
	char st[16] = "", only[32] = "";

	if (!category(c)) {
		json_object_put(r);
		json_object_put(list);
		return;
	}
	prm(c, "status", st, sizeof st);
	prm(c, "symbol", only, sizeof only);
	for (int i = 0; i < c->w->nsym && (!st[0] || !strcmp(st, "Trading")); i++) {
		struct sim_symbol *s = &c->w->sym[i];
		struct json_object *e, *f;

		if ((only[0] && strcmp(only, s->name)) || !sim_symbol_listed(c->w, i, SIM_BYBIT))
			continue;
		e = json_object_new_object();
		sim_jstr_add(e, "symbol", s->name);
		sim_jstr_add(e, "contractType", "LinearPerpetual");
		sim_jstr_add(e, "status", "Trading");
		sim_jstr_add(e, "baseCoin", s->base);
		sim_jstr_add(e, "quoteCoin", s->settle);
		sim_jstr_add(e, "settleCoin", s->settle);
		sim_jstr_add(e, "launchTime", "1585526400000");
		sim_jstr_add(e, "deliveryTime", "0");
		sim_jstr_add(e, "deliveryFeeRate", "");
		{
			char ps[8];

			snprintf(ps, sizeof ps, "%d", s->pdp);
			sim_jstr_add(e, "priceScale", ps);
		}
		f = json_object_new_object();
		sim_jstr_add(f, "minLeverage", "1");
		sim_jstr_add(f, "maxLeverage", "100.00");
		sim_jstr_add(f, "leverageStep", "0.01");
		json_object_object_add(e, "leverageFilter", f);
		f = json_object_new_object();
		sim_jdec(f, "minPrice", s->tick, s->pdp);
		sim_jdec(f, "maxPrice", s->mark0 * 100, s->pdp);
		sim_jdec(f, "tickSize", s->tick, s->pdp);
		json_object_object_add(e, "priceFilter", f);
		f = json_object_new_object();
		sim_jdec(f, "maxOrderQty", 1e8 * s->step, s->qdp);
		sim_jdec(f, "maxMktOrderQty", 1e7 * s->step, s->qdp);
		sim_jdec(f, "minOrderQty", s->min_qty, s->qdp);
		sim_jdec(f, "qtyStep", s->step, s->qdp);
		sim_jdec(f, "postOnlyMaxOrderQty", 1e8 * s->step, s->qdp);
		sim_jstr_add(f, "minNotionalValue", "5");
		json_object_object_add(e, "lotSizeFilter", f);
		sim_jbool(e, "unifiedMarginTrade", 1);
		sim_jint(e, "fundingInterval", 480);
		sim_jstr_add(e, "copyTrading", "both");
		sim_jstr_add(e, "upperFundingRate", "0.005");
		sim_jstr_add(e, "lowerFundingRate", "-0.005");
		sim_jbool(e, "isPreListing", 0);
		json_object_array_add(list, e);
	}
	sim_jstr_add(r, "category", "linear");
	json_object_object_add(r, "list", list);
	sim_jstr_add(r, "nextPageCursor", "");
	okr(c, r);
}

static void ep_wallet(struct bb_ctx *c)
{
	struct json_object *r = json_object_new_object(), *list = json_object_new_array();
	char t[16] = "";

	prm(c, "accountType", t, sizeof t);
	if (strcmp(t, "UNIFIED") && strcmp(t, "CONTRACT")) {
		json_object_put(r);
		json_object_put(list);
		err(c, 10001, "accountType only support UNIFIED.");
		return;
	}
	json_object_array_add(list, sim_bb_wallet_json(c->w, c->a, 0));
	json_object_object_add(r, "list", list);
	okr(c, r);
}

static int lim(struct bb_ctx *c, int def, int max)
{
	char b[16];
	int n = prm(c, "limit", b, sizeof b) ? (int)sim_parse_ll(b, -1, 1000000) : def;

	return n < 1 ? def : n > max ? max : n;
}

static int cursor_start(struct bb_ctx *c)
{
	char b[32];

	/* bounded: start + limit must not overflow in page() */
	return prm(c, "cursor", b, sizeof b) && b[0] == 'p' ? (int)sim_parse_ll(b + 1, 0, 100000000) : 0;
}

static void page(struct bb_ctx *c, struct json_object *all, int start, int n, struct json_object *r)
{
	struct json_object *list = json_object_new_array();
	int len = (int)json_object_array_length(all);
	char cur[32] = "";

	for (int i = start; i < len && i < start + n; i++)
		json_object_array_add(list, json_object_get(json_object_array_get_idx(all, (size_t)i)));
	if (start + n < len)
		snprintf(cur, sizeof cur, "p%d", start + n);
	json_object_put(all);
	json_object_object_add(r, "list", list);
	sim_jstr_add(r, "nextPageCursor", cur);
	sim_jstr_add(r, "category", "linear");
}

static void ep_positions(struct bb_ctx *c)
{
	char only[32] = "", settle[16] = "";
	struct json_object *all, *r;
	struct sim_fault *f, *lag;
	const char *omit = NULL;

	if (!category(c))
		return;
	prm(c, "symbol", only, sizeof only);
	prm(c, "settleCoin", settle, sizeof settle);
	if (!only[0] && !settle[0]) {
		err(c, 10001, "Missing some parameters that must be filled in, symbol or settleCoin");
		return;
	}
	if (only[0] && !sim_account_has(c->a, sim_symbol_find(c->w, only))) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	all = json_object_new_array();
	r = json_object_new_object();
	if (sim_fault_find(c->w, "positions_empty", SIM_BYBIT, c->rq->path, c->a->key, 1)) {
		page(c, all, 0, 1, r);
		okr(c, r);
		return;
	}
	if ((f = sim_fault_find(c->w, "positions_omit", SIM_BYBIT, c->rq->path, c->a->key, 1)))
		omit = f->symbol;
	lag = sim_fault_find(c->w, "rest_lag", SIM_BYBIT, c->rq->path, c->a->key, 1);
	for (int i = 0; i < c->w->nsym; i++) {
		struct sim_symbol *s = &c->w->sym[i];

		if (!sim_account_has(c->a, i) || (only[0] && strcmp(only, s->name)) || (omit && !strcmp(omit, s->name)))
			continue;
		/* symbol wins over settleCoin; settleCoin=USDC lists only USDC perps */
		if (!only[0] && strcasecmp(settle, s->settle))
			continue;
		for (int ps = c->a->hedge ? 1 : 0; ps <= (c->a->hedge ? 2 : 0); ps++) {
			struct sim_position *p = sim_pos(c->a, i, ps);
			double amt, entry;
			long long l = lag && (!lag->symbol[0] || !strcmp(lag->symbol, s->name)) ? lag->ms : 0;

			sim_pos_view(c->w, c->a, p, l, &amt, &entry);
			if (!only[0] && amt == 0)
				continue;
			json_object_array_add(all, sim_bb_position_json(c->w, c->a, p, amt, entry, 0));
		}
	}
	page(c, all, cursor_start(c), lim(c, 20, 200), r);
	okr(c, r);
}

static void ep_orders(struct bb_ctx *c, int history)
{
	char only[32] = "", settle[16] = "", base[16] = "", filt[16] = "", id[64] = "", link[64] = "";
	char st[24] = "", oo[4] = "";
	struct json_object *all, *r;
	struct sim_fault *lag;
	int sym = -1, by_id;

	if (!category(c))
		return;
	prm(c, "symbol", only, sizeof only);
	prm(c, "settleCoin", settle, sizeof settle);
	prm(c, "baseCoin", base, sizeof base);
	prm(c, "orderFilter", filt, sizeof filt);
	prm(c, "orderId", id, sizeof id);
	prm(c, "orderLinkId", link, sizeof link);
	prm(c, "orderStatus", st, sizeof st);
	prm(c, "openOnly", oo, sizeof oo);
	snprintf(c->r->client_id, sizeof c->r->client_id, "%s", link);
	by_id = id[0] || link[0];
	if (!history && !only[0] && !settle[0] && !base[0] && !by_id) {
		err(c, 10001, "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin");
		return;
	}
	if (only[0] && (sym = sim_symbol_find(c->w, only)) < 0) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	lag = sim_fault_find(c->w, "rest_lag", SIM_BYBIT, c->rq->path, c->a->key, 1);
	all = json_object_new_array();
	r = json_object_new_object();
	for (size_t i = c->a->norders; i-- > 0;) {
		struct sim_order *o = c->a->orders[i];

		if (sym >= 0 && o->sym != sym)
			continue;
		if (base[0] && strcmp(base, c->w->sym[o->sym].base))
			continue;
		if (sym < 0 && !base[0] && settle[0] && strcasecmp(settle, c->w->sym[o->sym].settle))
			continue;
		if (!strcmp(filt, "Order") && o->cond)
			continue;
		if (!strcmp(filt, "StopOrder") && !o->cond)
			continue;
		if (id[0] && strcmp(id, o->oid))
			continue;
		if (link[0] && strcmp(link, o->client))
			continue;
		if (st[0] && strcmp(st, o->status))
			continue;
		if (!history && !by_id && !o->open && strcmp(oo, "1"))
			continue;
		if (o->visible_at > c->now)
			continue;
		if (lag && o->created > c->now - lag->ms)
			continue;
		json_object_array_add(all, sim_bb_order_json(c->w, o, 0));
	}
	page(c, all, cursor_start(c), lim(c, 20, 50), r);
	okr(c, r);
}

static int side_arg(const char *s)
{
	if (!strcasecmp(s, "Buy"))
		return 1;
	if (!strcasecmp(s, "Sell"))
		return -1;
	return 0;
}

static void fail_err(struct bb_ctx *c, enum sim_fail f, int dir)
{
	switch (f) {
	case SIM_F_REDUCE_ONLY: err(c, 110017, "Reduce-only rule not satisfied"); break;
	case SIM_F_WOULD_TRIGGER:
		if (dir == 1)
			err(c, 110092, "expect Rising, but trigger_price[...] <= current[...]");
		else
			err(c, 110093, "expect Falling, but trigger_price[...] >= current[...]");
		break;
	case SIM_F_MIN_QTY: err(c, 10001, "The number of contracts exceeds minimum limit allowed"); break;
	case SIM_F_DUP_CLIENT: err(c, 110072, "OrderLinkedID is duplicate"); break;
	case SIM_F_NO_SYMBOL: err(c, 10001, "params error: symbol invalid"); break;
	default: err(c, 10001, "params error"); break;
	}
}

static int idx_ok(struct bb_ctx *c, int idx)
{
	if (c->a->hedge ? (idx != 1 && idx != 2) : idx != 0) {
		err(c, 10001, "position idx not match position mode");
		return 0;
	}
	return 1;
}

static void ep_create(struct bb_ctx *c)
{
	char sym[32] = "", side[8] = "", type[16] = "", v[64];
	struct sim_order *o;
	struct sim_fault *f;
	struct json_object *res;
	enum sim_fail e;
	int s, idx = 0;
	double sl = 0, tp = 0;

	if (!category(c))
		return;
	prm(c, "symbol", sym, sizeof sym);
	prm(c, "side", side, sizeof side);
	prm(c, "orderType", type, sizeof type);
	if ((s = sim_symbol_find(c->w, sym)) < 0 || !sim_account_has(c->a, s)) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	if (!side_arg(side) || (strcmp(type, "Market") && strcmp(type, "Limit"))) {
		err(c, 10001, "params error: side or orderType invalid");
		return;
	}
	if (prm(c, "positionIdx", v, sizeof v))
		idx = (int)sim_parse_ll(v, -1, 3);
	if (!idx_ok(c, idx))
		return;
	if ((f = sim_fault_find(c->w, "reject", SIM_BYBIT, c->rq->path, c->a->key, 1))) {
		err(c, f->code ? f->code : 110007, f->msg[0] ? f->msg : "ab not enough for new order");
		return;
	}
	o = sim_order_new(c->w, c->a);
	o->sym = s;
	o->side = side_arg(side);
	o->ps = idx;
	snprintf(o->type, sizeof o->type, "%s", type);
	if (prm(c, "qty", v, sizeof v))
		o->qty = sim_dec(v);
	if (prm(c, "price", v, sizeof v))
		o->price = sim_dec(v);
	if (prm(c, "timeInForce", v, sizeof v))
		snprintf(o->tif, sizeof o->tif, "%.15s", v);
	if (prm(c, "orderLinkId", v, sizeof v))
		snprintf(o->client, sizeof o->client, "%s", v);
	snprintf(c->r->client_id, sizeof c->r->client_id, "%s", o->client);
	o->reduce_only = prm(c, "reduceOnly", v, sizeof v) && !strcmp(v, "true");
	o->close_on_trigger = prm(c, "closeOnTrigger", v, sizeof v) && !strcmp(v, "true");
	/* triggerPrice + triggerDirection = a conditional order, stopOrderType
	 * Stop whatever it does on fire: reduceOnly false is an entry */
	if (prm(c, "stopLoss", v, sizeof v))
		sl = sim_dec(v);
	if (prm(c, "takeProfit", v, sizeof v))
		tp = sim_dec(v);
	if (prm(c, "triggerPrice", v, sizeof v) && sim_dec(v) > 0) {
		o->cond = 1;
		o->trigger = sim_dec(v);
		snprintf(o->stop_type, sizeof o->stop_type, "Stop");
		if (!prm(c, "triggerDirection", v, sizeof v) ||
		    (sim_parse_ll(v, 0, 3) != 1 && sim_parse_ll(v, 0, 3) != 2)) {
			free(c->a->orders[--c->a->norders]);
			err(c, 10001, "params error: triggerDirection invalid");
			return;
		}
		o->trig_dir = (int)sim_parse_ll(v, 0, 3);
	}
	if (!strcmp(type, "Limit") && o->price <= 0) {
		free(c->a->orders[--c->a->norders]);
		err(c, 10001, "params error: price invalid");
		return;
	}
	if (o->cond && sim_fault_find(c->w, "stop_would_trigger", SIM_BYBIT, c->rq->path, c->a->key, 1)) {
		int dir = o->trig_dir;

		free(c->a->orders[--c->a->norders]);
		fail_err(c, SIM_F_WOULD_TRIGGER, dir);
		return;
	}
	if ((f = sim_fault_find(c->w, "create_invisible", SIM_BYBIT, c->rq->path, c->a->key, 1)))
		o->visible_at = c->now + f->ms;
	{
		int dir = o->trig_dir;

		e = sim_place(c->w, c->a, o);
		if (e) {
			fail_err(c, e, dir);
			return;
		}
	}
	if ((sl > 0 || tp > 0) && sim_pos(c->a, s, idx)->amt != 0)
		sim_bybit_set_stop(c->w, c->a, s, idx, sl > 0 ? sl : -1, tp > 0 ? tp : -1);
	res = json_object_new_object();
	sim_jstr_add(res, "orderId", o->oid);
	sim_jstr_add(res, "orderLinkId", o->client);
	okr(c, res);
}

static void ep_cancel(struct bb_ctx *c)
{
	char id[64] = "", link[64] = "";
	struct sim_order *o;
	struct json_object *res;

	if (!category(c))
		return;
	prm(c, "orderId", id, sizeof id);
	prm(c, "orderLinkId", link, sizeof link);
	snprintf(c->r->client_id, sizeof c->r->client_id, "%s", link);
	o = (id[0] || link[0]) ? sim_order_by_id(c->a, id, link, -1) : NULL;
	if (!o || !o->open || o->stuck || o->visible_at > c->now) {
		err(c, 110001, "Order does not exist.");
		return;
	}
	sim_cancel(c->w, c->a, o, "CancelByUser", SIM_BY_REST);
	res = json_object_new_object();
	sim_jstr_add(res, "orderId", o->oid);
	sim_jstr_add(res, "orderLinkId", o->client);
	okr(c, res);
}

static void ep_cancel_all(struct bb_ctx *c)
{
	char only[32] = "", settle[16] = "", filt[16] = "", stype[16] = "", base[16] = "";
	struct json_object *res, *list;
	int sym = -1;

	if (!category(c))
		return;
	prm(c, "symbol", only, sizeof only);
	prm(c, "settleCoin", settle, sizeof settle);
	prm(c, "baseCoin", base, sizeof base);
	prm(c, "orderFilter", filt, sizeof filt);
	prm(c, "stopOrderType", stype, sizeof stype);
	if (!only[0] && !settle[0] && !base[0]) {
		err(c, 10001, "Missing some parameters that must be filled in, symbol or settleCoin or baseCoin");
		return;
	}
	if (only[0] && (sym = sim_symbol_find(c->w, only)) < 0) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	res = json_object_new_object();
	list = json_object_new_array();
	for (size_t i = 0; i < c->a->norders; i++) {
		struct sim_order *o = c->a->orders[i];
		struct json_object *e;

		if (!o->open || o->stuck || (sym >= 0 && o->sym != sym))
			continue;
		if (sym < 0 && base[0] && strcmp(base, c->w->sym[o->sym].base))
			continue;
		if (sym < 0 && !base[0] && settle[0] && strcasecmp(settle, c->w->sym[o->sym].settle))
			continue;
		if ((!strcmp(filt, "Order") && o->cond) || (!strcmp(filt, "StopOrder") && !o->cond))
			continue;
		if (!strcmp(stype, "Stop") && strcmp(o->stop_type, "Stop"))
			continue;
		sim_cancel(c->w, c->a, o, "CancelByUser", SIM_BY_REST);
		e = json_object_new_object();
		sim_jstr_add(e, "orderId", o->oid);
		sim_jstr_add(e, "orderLinkId", o->client);
		json_object_array_add(list, e);
	}
	json_object_object_add(res, "list", list);
	sim_jstr_add(res, "success", "1");
	okr(c, res);
}

static double opt_dec(struct bb_ctx *c, const char *name)
{
	char v[64];

	return prm(c, name, v, sizeof v) && v[0] ? sim_dec(v) : -1; /* -1: not given */
}

static void ep_trading_stop(struct bb_ctx *c)
{
	char sym[32] = "", mode[16] = "", v[64], msg[160];
	struct sim_tpsl t = { 0 };
	int s, idx, code;

	if (!category(c))
		return;
	prm(c, "symbol", sym, sizeof sym);
	if ((s = sim_symbol_find(c->w, sym)) < 0 || !sim_account_has(c->a, s)) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	if (!prm(c, "tpslMode", mode, sizeof mode) || (strcmp(mode, "Full") && strcmp(mode, "Partial"))) {
		err(c, 10001, "params error: tpslMode invalid");
		return;
	}
	if (!prm(c, "positionIdx", v, sizeof v)) {
		err(c, 10001, "params error: positionIdx is required");
		return;
	}
	idx = (int)sim_parse_ll(v, -1, 3);
	if (!idx_ok(c, idx))
		return;
	t.partial = !strcmp(mode, "Partial");
	t.sl = opt_dec(c, "stopLoss");
	t.tp = opt_dec(c, "takeProfit");
	t.trail = opt_dec(c, "trailingStop");
	t.active = opt_dec(c, "activePrice");
	t.sl_size = opt_dec(c, "slSize");
	t.tp_size = opt_dec(c, "tpSize");
	if (t.sl > 0 && sim_pos(c->a, s, idx)->amt != 0 &&
	    sim_fault_find(c->w, "stop_would_trigger", SIM_BYBIT, c->rq->path, c->a->key, 1)) {
		err(c, 10001,
		    sim_pos(c->a, s, idx)->amt > 0 ? "StopLoss:set for Buy position should lower than base_price"
						   : "StopLoss:set for Sell position should greater than base_price");
		return;
	}
	code = sim_bybit_tpsl(c->w, c->a, s, idx, &t, msg, sizeof msg);
	if (code) {
		err(c, code, msg);
		return;
	}
	okr(c, json_object_new_object());
}

/* One execution per filled order (the sim fills each order at one price). */
static void ep_executions(struct bb_ctx *c)
{
	char only[32] = "", id[64] = "";
	struct json_object *all, *r;
	int sym = -1;

	if (!category(c))
		return;
	prm(c, "symbol", only, sizeof only);
	prm(c, "orderId", id, sizeof id);
	if (only[0] && (sym = sim_symbol_find(c->w, only)) < 0) {
		err(c, 10001, "params error: symbol invalid");
		return;
	}
	all = json_object_new_array();
	r = json_object_new_object();
	for (size_t i = c->a->norders; i-- > 0;) {
		struct sim_order *o = c->a->orders[i];

		if (o->executed <= 0 || (sym >= 0 && o->sym != sym) || (id[0] && strcmp(id, o->oid)))
			continue;
		json_object_array_add(all, sim_bb_exec_json(c->w, c->a, o, o->executed, o->avg, o->id));
	}
	page(c, all, cursor_start(c), lim(c, 50, 100), r);
	okr(c, r);
}

static void ep_query_api(struct bb_ctx *c)
{
	struct json_object *r = json_object_new_object();

	sim_jstr_add(r, "id", "1");
	sim_jstr_add(r, "note", "vigil-sim");
	sim_jstr_add(r, "apiKey", "");
	sim_jint(r, "readOnly", 0);
	sim_jint(r, "type", 1);
	sim_jint(r, "unified", 0);
	sim_jint(r, "uta", 1);
	sim_jbool(r, "isMaster", 1);
	okr(c, r);
}

static void ep_account_info(struct bb_ctx *c)
{
	struct json_object *r = json_object_new_object();

	sim_jint(r, "unifiedMarginStatus", 6);
	sim_jstr_add(r, "marginMode", "REGULAR_MARGIN");
	sim_jbool(r, "isMasterTrader", 0);
	sim_jstr_add(r, "spotHedgingStatus", "OFF");
	tstr(r, "updatedTime", c->now);
	okr(c, r);
}

struct bb_route {
	const char *method, *path;
	int priv;
	void (*fn)(struct bb_ctx *c);
};

static void r_realtime(struct bb_ctx *c)
{
	ep_orders(c, 0);
}
static void r_history(struct bb_ctx *c)
{
	ep_orders(c, 1);
}

static const struct bb_route routes[] = {
	{ "GET", "/v5/market/time", 0, ep_time },
	{ "GET", "/v5/market/instruments-info", 0, ep_instruments },
	{ "GET", "/v5/account/wallet-balance", 1, ep_wallet },
	{ "GET", "/v5/position/list", 1, ep_positions },
	{ "GET", "/v5/order/realtime", 1, r_realtime },
	{ "GET", "/v5/order/history", 1, r_history },
	{ "POST", "/v5/order/create", 1, ep_create },
	{ "POST", "/v5/order/cancel", 1, ep_cancel },
	{ "POST", "/v5/order/cancel-all", 1, ep_cancel_all },
	{ "POST", "/v5/position/trading-stop", 1, ep_trading_stop },
	{ "GET", "/v5/execution/list", 1, ep_executions },
	{ "GET", "/v5/user/query-api", 1, ep_query_api },
	{ "GET", "/v5/account/info", 1, ep_account_info },
	{ NULL, NULL, 0, NULL },
};

/* Doc 2.8: per UID, per endpoint, per rolling second (linear): order
 * create / amend / cancel / cancel-all 10/s, trading-stop 10/s;
 * order/realtime, order/history, execution/list, position/list 50/s. The
 * doc gives no figure for the other routes: 50/s (Bybit's usual value for
 * account queries). Public market routes get the headers, never a 10006. */
int sim_bb_uid_limit(const char *method, const char *path)
{
	for (const struct bb_route *rt = routes; rt->method; rt++) {
		if (strcmp(rt->path, path) || strcmp(rt->method, method))
			continue;
		if (!strncmp(path, "/v5/order/create", 16) || !strncmp(path, "/v5/order/amend", 15) ||
		    !strncmp(path, "/v5/order/cancel", 16) || !strcmp(path, "/v5/position/trading-stop"))
			return 10;
		return 50;
	}
	return 0;
}

void sim_bb_handle(struct sim_world *w, const struct sim_req *rq, struct sim_resp *r)
{
	struct bb_ctx c = { w, rq, r, r->acct, sim_now(w, SIM_BYBIT), NULL, 0 };

	c.post = !strcmp(rq->method, "POST");
	for (const struct bb_route *rt = routes; rt->method; rt++) {
		if (strcmp(rt->path, rq->path))
			continue;
		if (strcmp(rt->method, rq->method)) {
			err(&c, 10001, "method not allowed");
			return;
		}
		/* X-Bapi-Limit* headers: sim_limits.c (limits from sim_bb_uid_limit) */
		if (c.post) {
			c.body = json_tokener_parse(rq->body);
			if (!c.body || !json_object_is_type(c.body, json_type_object)) {
				json_object_put(c.body);
				err(&c, 10001, "params error: body is not a JSON object");
				return;
			}
		}
		if (!rt->priv || auth(&c))
			rt->fn(&c);
		json_object_put(c.body);
		return;
	}
	sim_resp_json(r, 404, json_object_new_object());
	free(r->body);
	r->body = xstrdup("{\"retCode\":10017,\"retMsg\":\"route not found\"}");
	r->len = strlen(r->body);
}
