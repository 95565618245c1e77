/* Bybit adapter against vigil-sim: scripted sequence (stream cache, REST and
 * sim state agree, position stops visible as orders), one request per
 * listing endpoint and settle coin (pages followed per coin), faults typed,
 * stream drop and clock skew recovered. */
#include "tests/integration/itest_xch_kit.h"

#define KEY "sim-bybit-key"
#define SECRET "sim-bybit-secret"

static bool setup(struct kit *k)
{
	if (kit_start(k) != 0)
		return false;
	k->x = kit_adapter(k, REC_EX_BYBIT, KEY, SECRET);
	return k->x != NULL;
}

/* How many requests of the sim's log for this account went to path with
 * needle in their query string. */
static int log_count(struct kit *k, const char *key, const char *path, const char *needle)
{
	char url[256];
	snprintf(url, sizeof url, "/_sim/log?account=%s", key);
	struct json_object *a = kit_sim(k, "GET", url, NULL);
	int n = 0;
	size_t len = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
	for (size_t i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		const char *p = xch_json_str(e, "path");
		const char *q = xch_json_str(e, "query");
		if (p && !strcmp(p, path) && (!needle || (q && strstr(q, needle))))
			n++;
	}
	if (a)
		json_object_put(a);
	return n;
}

static bool has_pos_stop(const struct rec_stream_cache *c, const void *arg)
{
	const struct rec_order *o = rec_stream_find_order(c, (const char *)arg, false);
	return o && o->status == REC_OST_NEW && o->position_attached;
}

static void itest_bb_sequence_stream_rest_and_sim_agree(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch *x = k.x;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(x->ops->stream_start(x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"side\":\"Buy\",\"qty\":\"0.5\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"SKLUSDT\","
				   "\"side\":\"Sell\",\"qty\":\"308\"}"));
	struct kit_posq q1 = { "ETHUSDT", REC_PIDX_BOTH, 0.5 }, q2 = { "SKLUSDT", REC_PIDX_BOTH, 308 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q1, 4000));
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q2, 4000));
	const struct rec_position *sp = rec_stream_find_position(k.sc, "SKLUSDT", REC_PIDX_BOTH);
	CU_ASSERT_TRUE_FATAL(sp != NULL);
	CU_ASSERT_EQUAL(sp->side, REC_SIDE_SHORT);
	CU_ASSERT_TRUE(atomic_load(&k.events) >= 2);

	/* whole-position stop: position/trading-stop, seen as a position stop */
	struct xch_stop_req sr = { .symbol = "ETHUSDT",
				   .position_side = REC_SIDE_LONG,
				   .trigger_price = 2800,
				   .qty = 0,
				   .client_id = "vgl-it-bb-1" };
	struct xch_ack ack;
	CU_ASSERT_EQUAL_FATAL(x->ops->place_stop(x, &sr, &ack, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(ack.id, "pos-sl:ETHUSDT:0");
	CU_ASSERT_TRUE(kit_wait(&k, has_pos_stop, "pos-sl:ETHUSDT:0", 4000));
	/* quantity stop: a conditional reduce-only order (ids only in the answer) */
	struct xch_stop_req sq = { .symbol = "SKLUSDT",
				   .position_side = REC_SIDE_SHORT,
				   .trigger_price = 0.033,
				   .qty = 308,
				   .client_id = "vgl-it-bb-2" };
	struct xch_ack qa;
	CU_ASSERT_EQUAL_FATAL(x->ops->place_stop(x, &sq, &qa, &err), XCH_OK);
	CU_ASSERT_TRUE(qa.id[0] != '\0');
	CU_ASSERT_STRING_EQUAL(qa.client_id, "vgl-it-bb-2");
	struct kit_ordq oq = { qa.id, false, REC_OST_NEW };
	CU_ASSERT_TRUE(kit_wait(&k, kit_ord_is, &oq, 4000));

	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(x, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 2);
	const struct rec_position *rp = kit_find_pos(l.pos, l.npos, "ETHUSDT");
	CU_ASSERT_TRUE_FATAL(rp != NULL);
	CU_ASSERT_EQUAL(rp->side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(rp->size, kit_sim_amt(&k, KEY, "ETHUSDT"), 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rp->stop_loss, 2800, 1e-9);
	rp = kit_find_pos(l.pos, l.npos, "SKLUSDT");
	CU_ASSERT_TRUE_FATAL(rp != NULL);
	CU_ASSERT_DOUBLE_EQUAL(-rp->size, kit_sim_amt(&k, KEY, "SKLUSDT"), 1e-9);
	/* exactly one stop per position, whatever the sim lists */
	int eth_stops = 0;
	for (size_t i = 0; i < l.nord; i++)
		if (!strcmp(l.ord[i].symbol, "ETHUSDT") && l.ord[i].kind == REC_OK_STOP_LOSS) {
			eth_stops++;
			CU_ASSERT_TRUE(l.ord[i].position_attached);
			CU_ASSERT_TRUE(l.ord[i].close_position);
			CU_ASSERT_EQUAL(l.ord[i].side, REC_SELL);
			CU_ASSERT_EQUAL(l.ord[i].trigger_dir, REC_TRIG_FALL); /* a long's loss side */
			CU_ASSERT_STRING_EQUAL(l.ord[i].settle, "USDT");
			CU_ASSERT_DOUBLE_EQUAL(l.ord[i].trigger_price, 2800, 1e-9);
		}
	CU_ASSERT_EQUAL(eth_stops, 1);
	/* our quantity stop is an order/create conditional: stopOrderType
	 * "Stop", a stop-loss only by its direction (rise, for a short) */
	const struct rec_order *ro = kit_find_ord(l.ord, l.nord, qa.id);
	CU_ASSERT_TRUE_FATAL(ro != NULL);
	CU_ASSERT_EQUAL(ro->kind, REC_OK_CONDITIONAL);
	CU_ASSERT_EQUAL(ro->trigger_dir, REC_TRIG_RISE);
	CU_ASSERT_TRUE(ro->close_on_trigger);
	CU_ASSERT_FALSE(ro->close_position);
	CU_ASSERT_STRING_EQUAL(ro->settle, "USDT");
	CU_ASSERT_TRUE(ro->reduce_only);
	CU_ASSERT_EQUAL(ro->side, REC_BUY);
	CU_ASSERT_DOUBLE_EQUAL(ro->trigger_price, 0.033, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(ro->qty, 308, 1e-9);
	xch_listing_free(&l);

	struct rec_order o;
	CU_ASSERT_EQUAL(x->ops->get_order(x, "SKLUSDT", qa.id, "", false, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.status, REC_OST_NEW);
	CU_ASSERT_EQUAL(x->ops->get_order(x, "SKLUSDT", "", "vgl-it-bb-2", false, &o, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(o.id, qa.id);
	CU_ASSERT_EQUAL(x->ops->get_order(x, "ETHUSDT", "pos-sl:ETHUSDT:0", "", false, &o, &err), XCH_OK);
	CU_ASSERT_DOUBLE_EQUAL(o.trigger_price, 2800, 1e-9);

	/* cancel both stops */
	CU_ASSERT_EQUAL(x->ops->cancel_order(x, "SKLUSDT", qa.id, false, &err), XCH_OK);
	struct kit_ordq cq = { qa.id, false, REC_OST_CANCELED };
	CU_ASSERT_TRUE(kit_wait(&k, kit_ord_is, &cq, 4000));
	CU_ASSERT_EQUAL(x->ops->cancel_order(x, "SKLUSDT", qa.id, false, &err), XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(err.code, 110001);
	CU_ASSERT_EQUAL(x->ops->get_order(x, "SKLUSDT", qa.id, "", false, &o, &err), XCH_OK); /* history */
	CU_ASSERT_EQUAL(o.status, REC_OST_CANCELED);
	CU_ASSERT_EQUAL(x->ops->cancel_order(x, "ETHUSDT", "pos-sl:ETHUSDT:0", false, &err), XCH_OK);
	struct kit_ordq pq = { "pos-sl:ETHUSDT:0", false, REC_OST_CANCELED };
	CU_ASSERT_TRUE(kit_wait(&k, kit_ord_is, &pq, 4000));

	/* close the long: stream flat, sim flat; again => reduce-only */
	struct xch_close_req cr = {
		.symbol = "ETHUSDT", .position_side = REC_SIDE_LONG, .qty = 0.5, .client_id = "vgl-it-bb-close"
	};
	struct xch_ack ca;
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ca, &err), XCH_OK);
	CU_ASSERT_TRUE(ca.id[0] != '\0');
	struct kit_posq q0 = { "ETHUSDT", REC_PIDX_BOTH, 0 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q0, 4000));
	CU_ASSERT_DOUBLE_EQUAL(kit_sim_amt(&k, KEY, "ETHUSDT"), 0, 1e-12);
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ca, &err), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(err.code, 110017);
	kit_stop(&k);
}

static void itest_bb_listing_costs_one_request_per_endpoint_and_coin(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"BTCUSDT\","
				   "\"side\":\"Buy\",\"qty\":\"0.01\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"KAVAUSDT\","
				   "\"side\":\"Sell\",\"qty\":\"100\"}"));
	int64_t before = kit_count(&k, KEY, NULL);
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 2);
	xch_listing_free(&l);
	/* settle coins default to USDT and USDC: one request per list and coin */
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /v5/position/list"), 2);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /v5/order/realtime"), 2);
	int64_t after1 = kit_count(&k, KEY, NULL);
	CU_ASSERT_TRUE(after1 - before <= 5); /* + one clock sync */
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, NULL) - after1, 4);
	CU_ASSERT_TRUE(k.x->limits.limit_status >= 0);
	CU_ASSERT_TRUE(k.x->limits.limit > 0);
	kit_stop(&k);
}

/* A targeted check's listing: position/list and order/realtime with
 * symbol= (2 requests instead of one per list and settle coin), the
 * symbol's stop included. */
static void itest_bb_listing_of_one_symbol_is_targeted(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"BTCUSDT\","
				   "\"side\":\"Buy\",\"qty\":\"0.01\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"KAVAUSDT\","
				   "\"side\":\"Sell\",\"qty\":\"100\"}"));
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK); /* syncs the clock */
	xch_listing_free(&l);
	struct xch_stop_req sr;
	memset(&sr, 0, sizeof sr);
	snprintf(sr.symbol, sizeof sr.symbol, "KAVAUSDT");
	sr.position_side = REC_SIDE_SHORT;
	sr.trigger_price = 2.0;
	snprintf(sr.client_id, sizeof sr.client_id, "vgl-itest-kava");
	struct xch_ack ack;
	struct xch_err err;
	memset(&err, 0, sizeof err);
	CU_ASSERT_EQUAL(k.x->ops->place_stop(k.x, &sr, &ack, &err), XCH_OK);
	int64_t n0 = kit_count(&k, KEY, NULL);
	const char one[1][REC_SYM_MAX] = { "KAVAUSDT" };
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing_of(k.x, one, 1, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 1);
	CU_ASSERT_STRING_EQUAL(l.pos[0].symbol, "KAVAUSDT");
	for (size_t i = 0; i < l.nord; i++)
		CU_ASSERT_STRING_EQUAL(l.ord[i].symbol, "KAVAUSDT");
	CU_ASSERT_EQUAL(l.nord, 1); /* the stop */
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, NULL) - n0, 2);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /v5/position/list"), 3);
	kit_stop(&k);
}

/* Every configured settle coin is listed (positions and open orders, in the
 * listing and in the single-call paths); what the sim lists for USDC, if
 * anything, joins the USDT rows without doubling them; one coin's failure
 * fails that whole part, never a silent partial list. */
static void itest_bb_listing_asks_every_settle_coin(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch *x = k.x;
	snprintf(x->cfg.settle_coins[0], sizeof x->cfg.settle_coins[0], "USDT");
	snprintf(x->cfg.settle_coins[1], sizeof x->cfg.settle_coins[1], "USDC");
	x->cfg.nsettle = 2;
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"side\":\"Buy\",\"qty\":\"0.5\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"stop\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"trigger\":\"2800\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"order\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"type\":\"LIMIT\",\"side\":\"Sell\",\"qty\":\"0.5\",\"price\":\"3500\","
				   "\"reduce_only\":true}"));
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(x, &l), XCH_OK);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/position/list", "settleCoin=USDT"), 1);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/position/list", "settleCoin=USDC"), 1);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDT"), 1);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDC"), 1);
	CU_ASSERT_EQUAL_FATAL(l.npos, 1);
	CU_ASSERT_STRING_EQUAL(l.pos[0].symbol, "ETHUSDT");
	int limits = 0, stops = 0;
	for (size_t i = 0; i < l.nord; i++) {
		const struct rec_order *o = &l.ord[i];
		CU_ASSERT_TRUE(o->settle[0] != '\0');
		if (!strcmp(o->symbol, "ETHUSDT")) {
			CU_ASSERT_STRING_EQUAL(o->settle, "USDT");
			limits += o->kind == REC_OK_REGULAR;
			stops += o->position_attached;
		}
	}
	CU_ASSERT_EQUAL(limits, 1);
	CU_ASSERT_EQUAL(stops, 1);
	xch_listing_free(&l);

	/* the single-call paths list every coin too */
	struct rec_position *p = NULL;
	struct rec_order *o = NULL;
	size_t n = 0;
	struct xch_err err;
	CU_ASSERT_EQUAL(x->ops->positions(x, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(n, 1);
	free(p);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/position/list", "settleCoin=USDC"), 2);
	CU_ASSERT_EQUAL(x->ops->open_orders(x, &o, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(n, 2); /* the limit order and the position stop */
	free(o);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDC"), 2);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/position/list", "settleCoin=USDC"), 3);

	/* one coin's request failing fails the part (whichever coin it hit) */
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"http_status\",\"exchange\":\"bybit\",\"status\":503,"
				   "\"endpoint\":\"/v5/position/list\",\"count\":1}"));
	CU_ASSERT_EQUAL(xch_fetch_listing(x, &l), XCH_SERVER);
	CU_ASSERT_EQUAL(l.pos_rc, XCH_SERVER);
	CU_ASSERT_EQUAL(l.npos, 0);
	CU_ASSERT_PTR_NULL(l.pos);
	CU_ASSERT_EQUAL(l.ord_rc, XCH_OK);
	for (size_t i = 0; i < l.nord; i++)
		CU_ASSERT_FALSE(l.ord[i].position_attached); /* no positions, no position stops */
	xch_listing_free(&l);
	struct json_object *fo = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (fo)
		json_object_put(fo);
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"http_status\",\"exchange\":\"bybit\",\"status\":502,"
				   "\"endpoint\":\"/v5/order/realtime\",\"count\":1}"));
	CU_ASSERT_EQUAL(x->ops->open_orders(x, &o, &n, &err), XCH_SERVER);
	CU_ASSERT_PTR_NULL(o);
	CU_ASSERT_EQUAL(n, 0);
	fo = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (fo)
		json_object_put(fo);

	/* only the configured coins */
	x->cfg.nsettle = 1;
	int usdc = log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDC");
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(x, &l), XCH_OK);
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDC"), usdc);
	kit_stop(&k);
}

/* More than one page of open orders: the cursor is followed per coin. */
static void itest_bb_listing_follows_pages_per_coin(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	for (int i = 0; i < 57; i++) {
		char b[256];
		snprintf(b, sizeof b,
			 "{\"op\":\"order\",\"account\":\"" KEY "\",\"symbol\":\"LTCUSDT\",\"type\":\"LIMIT\","
			 "\"side\":\"Buy\",\"qty\":\"1\",\"price\":\"%d\"}",
			 20 + i);
		CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step", b));
	}
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.nord, 57); /* each order once */
	for (size_t i = 0; i < l.nord; i++)
		for (size_t j = i + 1; j < l.nord; j++)
			CU_ASSERT_TRUE(strcmp(l.ord[i].id, l.ord[j].id) != 0);
	xch_listing_free(&l);
	/* two pages for USDT; USDC has its own first page (and a second if
	 * the sim lists these orders for it too) */
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDT"), 2);
	CU_ASSERT_TRUE(log_count(&k, KEY, "/v5/order/realtime", "settleCoin=USDC") >= 1);
	CU_ASSERT_EQUAL(log_count(&k, KEY, "/v5/order/realtime", "cursor="),
			log_count(&k, KEY, "/v5/order/realtime", NULL) - 2);
	kit_stop(&k);
}

static int listing_with_fault(struct kit *k, const char *fault, struct xch_err *err)
{
	CU_ASSERT_TRUE(kit_post_ok(k, "/_sim/fault", fault));
	struct xch_listing l;
	int rc = xch_fetch_listing(k->x, &l);
	*err = l.pos_rc != XCH_OK ? l.pos_err : l.ord_err;
	xch_listing_free(&l);
	struct json_object *o = kit_sim(k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	return rc;
}

static void itest_bb_faults_give_typed_errors(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	int64_t ms;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->server_time(k.x, &ms, &err), XCH_OK);
	CU_ASSERT_EQUAL(listing_with_fault(&k, "{\"type\":\"rate_limit\",\"exchange\":\"bybit\",\"status\":429}", &err),
			XCH_RATELIMIT);
	CU_ASSERT_EQUAL(err.code, 10006);
	CU_ASSERT_TRUE(err.retry_after_ms > 0);
	/* the budget now holds every request of this IP back: nothing is sent */
	CU_ASSERT_EQUAL(
		listing_with_fault(&k, "{\"type\":\"http_status\",\"exchange\":\"bybit\",\"status\":502}", &err),
		XCH_RATELIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "held back"));
	xch_free(k.x);
	k.x = kit_adapter(&k, REC_EX_BYBIT, KEY, SECRET);
	CU_ASSERT_EQUAL(listing_with_fault(&k, "{\"type\":\"rate_limit\",\"exchange\":\"bybit\",\"status\":403}", &err),
			XCH_BANNED);
	xch_free(k.x);
	k.x = kit_adapter(&k, REC_EX_BYBIT, KEY, SECRET);
	CU_ASSERT_EQUAL(
		listing_with_fault(&k, "{\"type\":\"http_status\",\"exchange\":\"bybit\",\"status\":502}", &err),
		XCH_SERVER);
	CU_ASSERT_EQUAL(listing_with_fault(&k, "{\"type\":\"malformed\",\"exchange\":\"bybit\"}", &err), XCH_MALFORMED);
	CU_ASSERT_EQUAL(listing_with_fault(&k, "{\"type\":\"truncated\",\"exchange\":\"bybit\"}", &err), XCH_MALFORMED);
	CU_ASSERT_EQUAL(listing_with_fault(&k,
					   "{\"type\":\"slow\",\"exchange\":\"bybit\",\"ms\":4000,"
					   "\"endpoint\":\"/v5/order/realtime\"}",
					   &err),
			XCH_TIMEOUT);
	/* one part failing does not hide the other */
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"http_status\",\"exchange\":\"bybit\",\"status\":503,"
				   "\"endpoint\":\"/v5/order/realtime\"}"));
	struct xch_listing l;
	CU_ASSERT_EQUAL(xch_fetch_listing(k.x, &l), XCH_SERVER);
	CU_ASSERT_EQUAL(l.pos_rc, XCH_OK);
	CU_ASSERT_EQUAL(l.ord_rc, XCH_SERVER);
	xch_listing_free(&l);
	struct json_object *o = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	struct xch *bad = kit_adapter(&k, REC_EX_BYBIT, KEY, "wrong-secret-XYZ");
	struct rec_position *p = NULL;
	size_t n;
	CU_ASSERT_EQUAL(bad->ops->positions(bad, &p, &n, &err), XCH_AUTH);
	CU_ASSERT_EQUAL(err.code, 10004);
	CU_ASSERT_PTR_NULL(strstr(err.msg, "wrong-secret-XYZ"));
	xch_free(bad);
	CU_ASSERT_EQUAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK);
	free(p);
	kit_stop(&k);
}

static void itest_bb_clock_skew_resyncs_and_retries_once(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	struct rec_position *p = NULL;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK);
	CU_ASSERT_TRUE(
		kit_post_ok(&k, "/_sim/fault", "{\"type\":\"clock_offset\",\"exchange\":\"bybit\",\"ms\":-40000}"));
	CU_ASSERT_EQUAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK);
	CU_ASSERT_TRUE(k.x->clock_offset_ms < -39000 && k.x->clock_offset_ms > -41000);
	struct xch_listing l;
	CU_ASSERT_EQUAL(xch_fetch_listing(k.x, &l), XCH_OK);
	xch_listing_free(&l);
	kit_stop(&k);
}

static bool reconnected(const struct rec_stream_cache *c, const void *arg)
{
	return c->state == REC_SS_UP && c->reconnects >= *(const uint64_t *)arg;
}

static void itest_bb_stream_drop_reconnects_and_resubscribes(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"ws_disconnect\",\"exchange\":\"bybit\","
				   "\"until_ms\":500}"));
	uint64_t one = 1;
	CU_ASSERT_TRUE(kit_wait(&k, reconnected, &one, 5000));
	struct json_object *o = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step", "{\"op\":\"disconnect\",\"account\":\"" KEY "\"}"));
	uint64_t two = 2;
	CU_ASSERT_TRUE(kit_wait(&k, reconnected, &two, 5000));
	/* re-authenticated and re-subscribed: events still arrive */
	usleep(200000);
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"BASUSDT\","
				   "\"side\":\"Buy\",\"qty\":\"1216\"}"));
	struct kit_posq q = { "BASUSDT", REC_PIDX_BOTH, 1216 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q, 4000));
	/* pings keep last_msg fresh */
	int64_t last = k.sc->last_msg_ms;
	usleep(1300000);
	CU_ASSERT_EQUAL(xch_stream_copy(k.x, k.sc), 0);
	CU_ASSERT_TRUE(k.sc->last_msg_ms > last);
	kit_stop(&k);
}

static void itest_bb_wrong_secret_stream_never_comes_up_and_stops(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start(&k) == 0);
	k.x = kit_adapter(&k, REC_EX_BYBIT, KEY, "wrong-secret-XYZ");
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	usleep(800000);
	CU_ASSERT_EQUAL(xch_stream_copy(k.x, k.sc), 0);
	CU_ASSERT_EQUAL(k.sc->nord + k.sc->npos, 0);
	CU_ASSERT_TRUE(k.sc->last_event_ms == 0);
	int64_t t0 = kit_ms();
	kit_stop(&k);
	CU_ASSERT_TRUE(kit_ms() - t0 < 4000);
}

static void itest_bb_hedge_mode_close_uses_position_idx(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start_with(&k, "bybit:hk:hs:10000:hedge") == 0);
	k.x = kit_adapter(&k, REC_EX_BYBIT, "hk", "hs");
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	k.x->cfg.hedge_mode = true;
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"order\",\"account\":\"hk\",\"symbol\":\"ETHUSDT\","
				   "\"type\":\"MARKET\",\"side\":\"Sell\",\"qty\":\"1\",\"position_side\":\"SHORT\"}"));
	struct xch_listing l;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(l.npos, 1);
	CU_ASSERT_EQUAL(l.pos[0].pidx, REC_PIDX_SHORT);
	CU_ASSERT_EQUAL(l.pos[0].side, REC_SIDE_SHORT);
	xch_listing_free(&l);
	struct xch_stop_req sr = { .symbol = "ETHUSDT",
				   .position_side = REC_SIDE_SHORT,
				   .pidx = REC_PIDX_SHORT,
				   .trigger_price = 3300,
				   .qty = 1,
				   .client_id = "vgl-h1" };
	struct xch_ack ack;
	CU_ASSERT_EQUAL(k.x->ops->place_stop(k.x, &sr, &ack, &err), XCH_OK);
	struct rec_order o;
	CU_ASSERT_EQUAL(k.x->ops->get_order(k.x, "ETHUSDT", ack.id, "", false, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.pidx, REC_PIDX_SHORT);
	CU_ASSERT_EQUAL(o.side, REC_BUY);
	struct xch_close_req cr = {
		.symbol = "ETHUSDT", .position_side = REC_SIDE_SHORT, .pidx = REC_PIDX_SHORT, .qty = 1
	};
	CU_ASSERT_EQUAL(k.x->ops->close_position(k.x, &cr, &ack, &err), XCH_OK);
	CU_ASSERT_DOUBLE_EQUAL(kit_sim_amt(&k, "hk", "ETHUSDT"), 0, 1e-12);
	kit_stop(&k);
}

void itest_xch_bybit_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_bb_sequence_stream_rest_and_sim_agree", itest_bb_sequence_stream_rest_and_sim_agree },
		{ "itest_bb_listing_costs_one_request_per_endpoint_and_coin",
		  itest_bb_listing_costs_one_request_per_endpoint_and_coin },
		{ "itest_bb_listing_of_one_symbol_is_targeted", itest_bb_listing_of_one_symbol_is_targeted },
		{ "itest_bb_listing_asks_every_settle_coin", itest_bb_listing_asks_every_settle_coin },
		{ "itest_bb_listing_follows_pages_per_coin", itest_bb_listing_follows_pages_per_coin },
		{ "itest_bb_faults_give_typed_errors", itest_bb_faults_give_typed_errors },
		{ "itest_bb_clock_skew_resyncs_and_retries_once", itest_bb_clock_skew_resyncs_and_retries_once },
		{ "itest_bb_stream_drop_reconnects_and_resubscribes",
		  itest_bb_stream_drop_reconnects_and_resubscribes },
		{ "itest_bb_wrong_secret_stream_never_comes_up_and_stops",
		  itest_bb_wrong_secret_stream_never_comes_up_and_stops },
		{ "itest_bb_hedge_mode_close_uses_position_idx", itest_bb_hedge_mode_close_uses_position_idx },
		{ NULL, NULL },
	};
	tu_add_suite("xch_bybit_sim", tests);
}
