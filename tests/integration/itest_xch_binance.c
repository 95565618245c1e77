/* Binance adapter against vigil-sim: a scripted sequence where stream cache,
 * REST and the sim's own state agree; one request per listing endpoint;
 * each fault gives its typed error, retry or reconnect, never a hang. */
#include "tests/integration/itest_xch_kit.h"

#define KEY "sim-binance-key"
#define SECRET "sim-binance-secret"

static bool setup(struct kit *k)
{
	if (kit_start(k) != 0)
		return false;
	k->x = kit_adapter(k, REC_EX_BINANCE, KEY, SECRET);
	return k->x != NULL;
}

static void itest_bn_sequence_stream_rest_and_sim_agree(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch *x = k.x;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(x->ops->stream_start(x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));

	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"BTCUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"0.01\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"SKLUSDT\","
				   "\"side\":\"SELL\",\"qty\":\"308\"}"));
	struct kit_posq q1 = { "BTCUSDT", REC_PIDX_BOTH, 0.01 }, q2 = { "SKLUSDT", REC_PIDX_BOTH, 308 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q1, 3000));
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q2, 3000));
	const struct rec_position *sp = rec_stream_find_position(k.sc, "SKLUSDT", REC_PIDX_BOTH);
	CU_ASSERT_TRUE_FATAL(sp != NULL);
	CU_ASSERT_EQUAL(sp->side, REC_SIDE_SHORT);
	CU_ASSERT_TRUE(atomic_load(&k.events) >= 2);

	/* a protective stop through the Algo Service */
	struct xch_stop_req sr = { .symbol = "BTCUSDT",
				   .position_side = REC_SIDE_LONG,
				   .trigger_price = 57000,
				   .qty = 0,
				   .client_id = "vgl-it-stop-1" };
	struct xch_ack ack;
	CU_ASSERT_EQUAL_FATAL(x->ops->place_stop(x, &sr, &ack, &err), XCH_OK);
	CU_ASSERT_TRUE(ack.is_algo);
	CU_ASSERT_STRING_EQUAL(ack.client_id, "vgl-it-stop-1");
	struct kit_ordq oq = { ack.id, true, REC_OST_NEW };
	CU_ASSERT_TRUE(kit_wait(&k, kit_ord_is, &oq, 3000));

	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(x, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 2);
	const struct rec_position *rp = kit_find_pos(l.pos, l.npos, "BTCUSDT");
	CU_ASSERT_TRUE_FATAL(rp != NULL);
	CU_ASSERT_EQUAL(rp->side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(rp->size, 0.01, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(rp->size, kit_sim_amt(&k, KEY, "BTCUSDT"), 1e-9);
	rp = kit_find_pos(l.pos, l.npos, "SKLUSDT");
	CU_ASSERT_TRUE_FATAL(rp != NULL);
	CU_ASSERT_EQUAL(rp->side, REC_SIDE_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(-rp->size, kit_sim_amt(&k, KEY, "SKLUSDT"), 1e-9);
	const struct rec_order *ro = kit_find_ord(l.ord, l.nord, ack.id);
	CU_ASSERT_TRUE_FATAL(ro != NULL);
	CU_ASSERT_TRUE(ro->is_algo);
	CU_ASSERT_EQUAL(ro->kind, REC_OK_STOP_LOSS);
	CU_ASSERT_TRUE(ro->close_position);
	CU_ASSERT_EQUAL(ro->side, REC_SELL);
	CU_ASSERT_EQUAL(ro->trigger_dir, REC_TRIG_FALL); /* STOP_MARKET SELL */
	CU_ASSERT_FALSE(ro->close_on_trigger);
	CU_ASSERT_EQUAL(ro->activated, REC_TRI_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(ro->settle, "");
	CU_ASSERT_DOUBLE_EQUAL(ro->trigger_price, 57000, 1e-9);
	xch_listing_free(&l);
	/* the stream's ALGO_UPDATE says the same */
	const struct rec_order *so = rec_stream_find_order(k.sc, ack.id, true);
	CU_ASSERT_TRUE_FATAL(so != NULL);
	CU_ASSERT_EQUAL(so->kind, REC_OK_STOP_LOSS);
	CU_ASSERT_EQUAL(so->trigger_dir, REC_TRIG_FALL);
	CU_ASSERT_TRUE(so->close_position);

	/* get_order by algo id and by client id */
	struct rec_order o;
	CU_ASSERT_EQUAL(x->ops->get_order(x, "BTCUSDT", ack.id, "", true, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.status, REC_OST_NEW);
	CU_ASSERT_EQUAL(x->ops->get_order(x, "BTCUSDT", "", "vgl-it-stop-1", true, &o, &err), XCH_OK);
	CU_ASSERT_STRING_EQUAL(o.id, ack.id);
	/* the regular endpoint does not know algo orders */
	CU_ASSERT_EQUAL(x->ops->get_order(x, "BTCUSDT", ack.id, "", false, &o, &err), XCH_UNKNOWN_ORDER);

	/* close the long at market: stream reports flat, entry kept */
	struct xch_close_req cr = {
		.symbol = "BTCUSDT", .position_side = REC_SIDE_LONG, .qty = 0.01, .client_id = "vgl-it-close-1"
	};
	struct xch_ack ca;
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ca, &err), XCH_OK);
	CU_ASSERT_FALSE(ca.is_algo);
	struct kit_posq q0 = { "BTCUSDT", REC_PIDX_BOTH, 0 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q0, 3000));
	CU_ASSERT_DOUBLE_EQUAL(kit_sim_amt(&k, KEY, "BTCUSDT"), 0, 1e-12);
	/* closing again: nothing to reduce */
	CU_ASSERT_EQUAL(x->ops->close_position(x, &cr, &ca, &err), XCH_REDUCE_ONLY);
	CU_ASSERT_EQUAL(err.code, -2022);

	/* cancel the stop if the sim has not expired it already */
	int crc = x->ops->cancel_order(x, "BTCUSDT", ack.id, true, &err);
	CU_ASSERT_TRUE(crc == XCH_OK || crc == XCH_UNKNOWN_ORDER);
	CU_ASSERT_EQUAL(x->ops->get_order(x, "BTCUSDT", ack.id, "", true, &o, &err), XCH_OK);
	CU_ASSERT_TRUE(o.status == REC_OST_CANCELED || o.status == REC_OST_EXPIRED);
	CU_ASSERT_EQUAL(x->ops->cancel_order(x, "BTCUSDT", "999999", false, &err), XCH_UNKNOWN_ORDER);

	/* a stop on the wrong side of the market */
	sr.position_side = REC_SIDE_SHORT;
	sr.symbol[0] = 0;
	strcpy(sr.symbol, "SKLUSDT");
	sr.trigger_price = 0.01; /* a short's stop below the mark would fire at once */
	sr.client_id[0] = 0;
	int wrc = x->ops->place_stop(x, &sr, &ack, &err);
	CU_ASSERT_EQUAL(wrc, XCH_WOULD_TRIGGER);
	kit_stop(&k);
}

static void itest_bn_listing_costs_one_request_per_endpoint(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"0.5\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"LTCUSDT\","
				   "\"side\":\"SELL\",\"qty\":\"1\"}"));
	int64_t before = kit_count(&k, KEY, NULL);
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 2);
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /fapi/v3/positionRisk"), 1);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /fapi/v1/openOrders"), 1);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /fapi/v1/openAlgoOrders"), 1);
	int64_t after1 = kit_count(&k, KEY, NULL);
	CU_ASSERT_TRUE(after1 - before <= 4); /* + one clock sync */
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, NULL) - after1, 3);
	CU_ASSERT_TRUE(k.x->limits.used_weight_1m > 0);
	CU_ASSERT_TRUE(k.x->limits.requests >= 6);
	kit_stop(&k);
}

static int64_t sim_weight(struct kit *k)
{
	struct json_object *o = kit_sim(k, "GET", "/_sim/counters?account=" KEY, NULL);
	int64_t w = o ? json_object_get_int64(json_object_object_get(o, "weight")) : -1;
	if (o)
		json_object_put(o);
	return w;
}

/* A targeted check's listing: one symbol's positions and orders with
 * symbol= on each endpoint, weight 5 + 1 + 1 instead of 85. */
static void itest_bn_listing_of_one_symbol_is_targeted_and_cheap(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"0.5\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"LTCUSDT\","
				   "\"side\":\"SELL\",\"qty\":\"1\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"order\",\"account\":\"" KEY "\",\"symbol\":\"LTCUSDT\","
				   "\"type\":\"LIMIT\",\"side\":\"BUY\",\"qty\":\"1\",\"price\":\"50\"}"));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"order\",\"account\":\"" KEY "\",\"symbol\":\"ETHUSDT\","
				   "\"type\":\"LIMIT\",\"side\":\"SELL\",\"qty\":\"0.5\",\"price\":\"9000\"}"));
	struct xch_listing l;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK); /* syncs the clock */
	CU_ASSERT_EQUAL(l.npos, 2);
	CU_ASSERT_EQUAL(l.nord, 2);
	xch_listing_free(&l);
	int64_t w0 = sim_weight(&k), n0 = kit_count(&k, KEY, NULL);
	const char one[1][REC_SYM_MAX] = { "LTCUSDT" };
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing_of(k.x, one, 1, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 1);
	CU_ASSERT_EQUAL(l.nord, 1);
	CU_ASSERT_STRING_EQUAL(l.pos[0].symbol, "LTCUSDT");
	CU_ASSERT_STRING_EQUAL(l.ord[0].symbol, "LTCUSDT");
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, NULL) - n0, 3);
	CU_ASSERT_EQUAL(sim_weight(&k) - w0, 7);
	/* two symbols: both, 14 */
	const char two[2][REC_SYM_MAX] = { "LTCUSDT", "ETHUSDT" };
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing_of(k.x, two, 2, &l), XCH_OK);
	CU_ASSERT_EQUAL(l.npos, 2);
	CU_ASSERT_EQUAL(l.nord, 2);
	xch_listing_free(&l);
	CU_ASSERT_EQUAL(sim_weight(&k) - w0, 21);
	kit_stop(&k);
}

static int positions_with_fault(struct kit *k, const char *fault, struct xch_err *err)
{
	CU_ASSERT_TRUE(kit_post_ok(k, "/_sim/fault", fault));
	struct rec_position *p = NULL;
	size_t n = 0;
	int rc = k->x->ops->positions(k->x, &p, &n, err);
	free(p);
	struct json_object *o = kit_sim(k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	return rc;
}

/* positionRisk requests the sim has seen from KEY */
static size_t position_requests(struct kit *k)
{
	struct json_object *o = kit_sim(k, "GET", "/_sim/log?account=" KEY, NULL);
	size_t n = 0;
	for (size_t i = 0; o && json_object_is_type(o, json_type_array) && i < json_object_array_length(o); i++) {
		const char *p = json_object_get_string(json_object_object_get(json_object_array_get_idx(o, i), "path"));
		n += p && strstr(p, "positionRisk");
	}
	if (o)
		json_object_put(o);
	return n;
}

static void itest_bn_faults_give_typed_errors(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	int64_t ms;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->server_time(k.x, &ms, &err), XCH_OK);

	CU_ASSERT_EQUAL(positions_with_fault(&k,
					     "{\"type\":\"rate_limit\",\"exchange\":\"binance\",\"status\":429,"
					     "\"retry_after\":5}",
					     &err),
			XCH_RATELIMIT);
	CU_ASSERT_EQUAL(err.http, 429);
	CU_ASSERT_EQUAL(err.retry_after_ms, 5000);
	CU_ASSERT_TRUE(xch_rc_transient(err.rc));
	/* until Retry-After nothing more is sent on this IP's budget */
	size_t sent0 = position_requests(&k);
	CU_ASSERT_EQUAL(
		positions_with_fault(&k, "{\"type\":\"http_status\",\"exchange\":\"binance\",\"status\":503}", &err),
		XCH_RATELIMIT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "held back"));
	CU_ASSERT_EQUAL(position_requests(&k), sent0);
	xch_free(k.x);
	k.x = kit_adapter(&k, REC_EX_BINANCE, KEY, SECRET);
	CU_ASSERT_EQUAL(positions_with_fault(&k,
					     "{\"type\":\"rate_limit\",\"exchange\":\"binance\",\"status\":418,"
					     "\"retry_after\":120}",
					     &err),
			XCH_BANNED);
	CU_ASSERT_EQUAL(err.retry_after_ms, 120000);
	xch_free(k.x);
	k.x = kit_adapter(&k, REC_EX_BINANCE, KEY, SECRET);
	CU_ASSERT_EQUAL(
		positions_with_fault(&k, "{\"type\":\"http_status\",\"exchange\":\"binance\",\"status\":503}", &err),
		XCH_SERVER);
	CU_ASSERT_EQUAL(err.http, 503);
	CU_ASSERT_EQUAL(positions_with_fault(&k, "{\"type\":\"malformed\",\"exchange\":\"binance\"}", &err),
			XCH_MALFORMED);
	CU_ASSERT_EQUAL(positions_with_fault(&k, "{\"type\":\"truncated\",\"exchange\":\"binance\"}", &err),
			XCH_MALFORMED);
	int64_t t0 = kit_ms();
	CU_ASSERT_EQUAL(positions_with_fault(&k, "{\"type\":\"slow\",\"exchange\":\"binance\",\"ms\":4000}", &err),
			XCH_TIMEOUT);
	CU_ASSERT_TRUE(kit_ms() - t0 < 3500); /* the request deadline, not the sim's delay */
	/* wrong secret: typed AUTH, the secret never in the message */
	struct xch *bad = kit_adapter(&k, REC_EX_BINANCE, KEY, "wrong-secret-XYZ");
	struct rec_position *p = NULL;
	size_t n;
	CU_ASSERT_EQUAL(bad->ops->positions(bad, &p, &n, &err), XCH_AUTH);
	CU_ASSERT_EQUAL(err.code, -1022);
	CU_ASSERT_PTR_NULL(strstr(err.msg, "wrong-secret-XYZ"));
	xch_free(bad);
	/* after the faults, everything works again */
	CU_ASSERT_EQUAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK);
	free(p);
	kit_stop(&k);
}

static void itest_bn_clock_skew_resyncs_and_retries_once(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	struct rec_position *p = NULL;
	size_t n;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK); /* learns offset ~0 */
	CU_ASSERT_TRUE(k.x->clock_offset_ms < 1000 && k.x->clock_offset_ms > -1000);
	CU_ASSERT_TRUE(
		kit_post_ok(&k, "/_sim/fault", "{\"type\":\"clock_offset\",\"exchange\":\"binance\",\"ms\":30000}"));
	int64_t syncs = kit_count(&k, KEY, "GET /fapi/v1/time");
	CU_ASSERT_EQUAL(k.x->ops->positions(k.x, &p, &n, &err), XCH_OK);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "GET /fapi/v1/time"), syncs + 1);
	CU_ASSERT_TRUE(k.x->clock_offset_ms > 29000 && k.x->clock_offset_ms < 31000);
	/* the listing path re-syncs too */
	struct json_object *o = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	struct xch_listing l;
	CU_ASSERT_EQUAL(xch_fetch_listing(k.x, &l), XCH_OK);
	xch_listing_free(&l);
	CU_ASSERT_TRUE(k.x->clock_offset_ms < 1000 && k.x->clock_offset_ms > -1000);
	kit_stop(&k);
}

static bool reconnected(const struct rec_stream_cache *c, const void *arg)
{
	return c->state == REC_SS_UP && c->reconnects >= *(const uint64_t *)arg;
}

static void itest_bn_stream_drop_and_listen_key_expiry_reconnect(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	struct xch_stream *s = xch_priv_of(k.x)->stream;
	CU_ASSERT_EQUAL(s->listenkey_posts, 1);

	/* the sim drops the connection and refuses new ones for a while */
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"ws_disconnect\",\"exchange\":\"binance\","
				   "\"until_ms\":600}"));
	uint64_t one = 1;
	CU_ASSERT_TRUE(kit_wait(&k, reconnected, &one, 5000));
	CU_ASSERT_TRUE(k.sc->last_msg_ms > 0 || k.sc->connected_ms > 0);
	struct json_object *o = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);

	/* listenKeyExpired: a new key, a new connection, events flow again */
	uint64_t posts = s->listenkey_posts;
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step", "{\"op\":\"expire_listen_key\",\"account\":\"" KEY "\"}"));
	uint64_t two = 2;
	CU_ASSERT_TRUE(kit_wait(&k, reconnected, &two, 5000));
	CU_ASSERT_TRUE(s->listenkey_posts > posts);
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"AVLUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"43\"}"));
	struct kit_posq q = { "AVLUSDT", REC_PIDX_BOTH, 43 };
	CU_ASSERT_TRUE(kit_wait(&k, kit_pos_is, &q, 3000));
	/* the key was never deleted */
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "DELETE /fapi/v1/listenKey"), 0);
	kit_stop(&k);
}

static void itest_bn_keepalive_put_and_rotation(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start(&k) == 0);
	k.x = kit_adapter(&k, REC_EX_BINANCE, KEY, SECRET);
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	struct xch_stream_tuning t = xch_priv_of(k.x)->tune;
	t.keepalive_ms = 300;
	t.rotate_ms = 1200;
	xch_stream_tune(k.x, &t);
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	uint64_t one = 1;
	CU_ASSERT_TRUE(kit_wait(&k, reconnected, &one, 4000)); /* rotated */
	CU_ASSERT_TRUE(kit_count(&k, KEY, "PUT /fapi/v1/listenKey") >= 2);
	CU_ASSERT_EQUAL(kit_count(&k, KEY, "DELETE /fapi/v1/listenKey"), 0);
	kit_stop(&k);
}

static void itest_bn_stream_stop_with_dead_server_does_not_hang(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	tu_stop_server(k.pid);
	k.pid = 0;
	usleep(300000);
	CU_ASSERT_EQUAL(xch_stream_copy(k.x, k.sc), 0);
	CU_ASSERT_NOT_EQUAL(k.sc->state, REC_SS_UP);
	int64_t t0 = kit_ms();
	k.x->ops->stream_stop(k.x);
	CU_ASSERT_TRUE(kit_ms() - t0 < 2000);
	struct xch_listing l;
	CU_ASSERT_EQUAL(xch_fetch_listing(k.x, &l), XCH_NETWORK);
	CU_ASSERT_EQUAL(l.pos_rc, XCH_NETWORK);
	CU_ASSERT_EQUAL(l.ord_rc, XCH_NETWORK);
	xch_listing_free(&l);
	kit_stop(&k);
}

static void itest_bn_answer_over_cap_is_toobig(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start(&k) == 0);
	struct xch_config c;
	memset(&c, 0, sizeof c);
	c.exchange = REC_EX_BINANCE;
	snprintf(c.rest_url, sizeof c.rest_url, "http://127.0.0.1:%d", k.port);
	c.api_key = KEY;
	c.api_secret = SECRET;
	c.max_body = 64; /* exchangeInfo is far larger */
	struct xch_err err;
	k.x = xch_new(&c, &err);
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	struct xch_instrument *in = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(k.x->ops->instruments(k.x, &in, &n, &err), XCH_TOOBIG);
	CU_ASSERT_PTR_NULL(in);
	xch_free(k.x);
	c.max_body = 0;
	k.x = xch_new(&c, &err);
	CU_ASSERT_EQUAL(k.x->ops->instruments(k.x, &in, &n, &err), XCH_OK);
	bool found = false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(in[i].symbol, "SKLUSDT")) {
			found = true;
			CU_ASSERT_DOUBLE_EQUAL(in[i].tick, 0.00001, 1e-12);
			CU_ASSERT_DOUBLE_EQUAL(in[i].step, 1, 1e-12);
		}
	CU_ASSERT_TRUE(found);
	free(in);
	kit_stop(&k);
}

static bool dropped(const struct rec_stream_cache *c, const void *arg)
{
	(void)arg;
	return c->reconnects >= 1 && c->state == REC_SS_UP;
}

static void itest_bn_stream_message_over_cap_drops_connection(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(setup(&k));
	struct xch_stream_tuning t = xch_priv_of(k.x)->tune;
	t.max_msg = 64; /* every account event is larger */
	xch_stream_tune(k.x, &t);
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE_FATAL(kit_wait(&k, kit_is_up, NULL, 5000));
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"open\",\"account\":\"" KEY "\",\"symbol\":\"BTCUSDT\","
				   "\"side\":\"BUY\",\"qty\":\"0.01\"}"));
	CU_ASSERT_TRUE(kit_wait(&k, dropped, NULL, 5000));
	CU_ASSERT_EQUAL(k.sc->npos, 0); /* nothing half-read was applied */
	kit_stop(&k);
}

static void itest_bn_hedge_mode_close_and_stop_use_position_side(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start_with(&k, "binance:hk:hs:10000:hedge") == 0);
	k.x = kit_adapter(&k, REC_EX_BINANCE, "hk", "hs");
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	k.x->cfg.hedge_mode = true;
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/step",
				   "{\"op\":\"order\",\"account\":\"hk\",\"symbol\":\"ETHUSDT\","
				   "\"type\":\"MARKET\",\"side\":\"BUY\",\"qty\":\"2\",\"position_side\":\"LONG\"}"));
	struct xch_listing l;
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(xch_fetch_listing(k.x, &l), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(l.npos, 1);
	CU_ASSERT_EQUAL(l.pos[0].pidx, REC_PIDX_LONG);
	CU_ASSERT_EQUAL(l.pos[0].side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(l.pos[0].size, 2, 1e-9);
	xch_listing_free(&l);
	struct xch_stop_req sr = { .symbol = "ETHUSDT",
				   .position_side = REC_SIDE_LONG,
				   .pidx = REC_PIDX_LONG,
				   .trigger_price = 2500,
				   .qty = 0 };
	struct xch_ack ack;
	CU_ASSERT_EQUAL(k.x->ops->place_stop(k.x, &sr, &ack, &err), XCH_OK);
	struct rec_order o;
	CU_ASSERT_EQUAL(k.x->ops->get_order(k.x, "ETHUSDT", ack.id, "", true, &o, &err), XCH_OK);
	CU_ASSERT_EQUAL(o.pidx, REC_PIDX_LONG);
	CU_ASSERT_EQUAL(o.side, REC_SELL);
	struct xch_close_req cr = {
		.symbol = "ETHUSDT", .position_side = REC_SIDE_LONG, .pidx = REC_PIDX_LONG, .qty = 2
	};
	CU_ASSERT_EQUAL(k.x->ops->close_position(k.x, &cr, &ack, &err), XCH_OK);
	CU_ASSERT_DOUBLE_EQUAL(kit_sim_amt(&k, "hk", "ETHUSDT"), 0, 1e-12);
	kit_stop(&k);
}

/* GET /fapi/v1/positionSide/dual: one signed call, the mode as the
 * exchange reports it; a garbled answer is MALFORMED, never a guess. */
static void itest_bn_position_mode_reads_dual_side_endpoint(void)
{
	struct kit k;
	CU_ASSERT_TRUE_FATAL(kit_start_with(&k, "binance:hk:hs:10000:hedge") == 0);
	k.x = kit_adapter(&k, REC_EX_BINANCE, "hk", "hs");
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k.x->ops->position_mode);
	enum rec_pos_mode m = REC_MODE_UNKNOWN;
	struct xch_err err;
	CU_ASSERT_EQUAL(k.x->ops->position_mode(k.x, &m, &err), XCH_OK);
	CU_ASSERT_EQUAL(m, REC_MODE_HEDGE);
	CU_ASSERT_EQUAL(kit_count(&k, "hk", "GET /fapi/v1/positionSide/dual"), 1);
	CU_ASSERT_TRUE(kit_post_ok(&k, "/_sim/fault",
				   "{\"type\":\"malformed\",\"exchange\":\"binance\","
				   "\"endpoint\":\"/fapi/v1/positionSide/dual\"}"));
	CU_ASSERT_EQUAL(k.x->ops->position_mode(k.x, &m, &err), XCH_MALFORMED);
	CU_ASSERT_EQUAL(m, REC_MODE_UNKNOWN);
	struct json_object *o = kit_sim(&k, "DELETE", "/_sim/faults", NULL);
	if (o)
		json_object_put(o);
	kit_stop(&k);
	/* the default account is one-way */
	CU_ASSERT_TRUE_FATAL(setup(&k));
	CU_ASSERT_EQUAL(k.x->ops->position_mode(k.x, &m, &err), XCH_OK);
	CU_ASSERT_EQUAL(m, REC_MODE_ONEWAY);
	kit_stop(&k);
}

void itest_xch_binance_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_bn_sequence_stream_rest_and_sim_agree", itest_bn_sequence_stream_rest_and_sim_agree },
		{ "itest_bn_listing_costs_one_request_per_endpoint", itest_bn_listing_costs_one_request_per_endpoint },
		{ "itest_bn_listing_of_one_symbol_is_targeted_and_cheap",
		  itest_bn_listing_of_one_symbol_is_targeted_and_cheap },
		{ "itest_bn_faults_give_typed_errors", itest_bn_faults_give_typed_errors },
		{ "itest_bn_clock_skew_resyncs_and_retries_once", itest_bn_clock_skew_resyncs_and_retries_once },
		{ "itest_bn_stream_drop_and_listen_key_expiry_reconnect",
		  itest_bn_stream_drop_and_listen_key_expiry_reconnect },
		{ "itest_bn_keepalive_put_and_rotation", itest_bn_keepalive_put_and_rotation },
		{ "itest_bn_stream_stop_with_dead_server_does_not_hang",
		  itest_bn_stream_stop_with_dead_server_does_not_hang },
		{ "itest_bn_answer_over_cap_is_toobig", itest_bn_answer_over_cap_is_toobig },
		{ "itest_bn_stream_message_over_cap_drops_connection",
		  itest_bn_stream_message_over_cap_drops_connection },
		{ "itest_bn_hedge_mode_close_and_stop_use_position_side",
		  itest_bn_hedge_mode_close_and_stop_use_position_side },
		{ "itest_bn_position_mode_reads_dual_side_endpoint", itest_bn_position_mode_reads_dual_side_endpoint },
		{ NULL, NULL },
	};
	tu_add_suite("xch_binance_sim", tests);
}
