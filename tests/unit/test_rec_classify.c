/* Classification into every finding code: a table of small accounts, each
 * audited at T and again past every grace period; the set of codes found
 * must be exactly the expected one. */
#include "tests/unit/test_rec_kit.h"
#include "reconcile/policy.h"

#define T 5000000LL
#define LATER (T + 40000)
#define B(c) (1u << (c))

static void s_protected_close_position(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_protected_by_two_partial_stops(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 5);
	kit_stop(k, "BTCUSDT", REC_SELL, 5);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_undersized(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_SHORT, 10);
	kit_stop(k, "BTCUSDT", REC_BUY, 4);
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 10, "active");
}

static void s_wrong_side_beside_good(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_stop(k, "BTCUSDT", REC_BUY, 10);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_wrong_side_only(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_SHORT, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 10);
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 10, "active");
}

static void s_duplicate(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_stop(k, "BTCUSDT", REC_SELL, 10);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_not_reduce_only(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	struct rec_order *o = kit_stop(k, "BTCUSDT", REC_SELL, 10);
	o->reduce_only = false; /* could reverse the position */
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_take_profit_is_no_stop(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	struct rec_order *o = kit_stop(k, "BTCUSDT", REC_SELL, 0);
	o->kind = REC_OK_TAKE_PROFIT;
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
}

static void s_bybit_attached_stop(struct kit *k)
{
	kit_rest(k, "AVLUSDT", REC_SIDE_LONG, 86);
	struct rec_order *o = kit_stop(k, "AVLUSDT", REC_OSIDE_UNKNOWN, 0);
	o->position_attached = true;
	o->reduce_only = false;
	o->close_position = false;
	kit_bot(k, "AVLUSDT", REC_SIDE_LONG, 86, "active");
}

static void s_bybit_position_stoploss_field(struct kit *k)
{
	kit_rest(k, "AVLUSDT", REC_SIDE_LONG, 86);
	k->rest[k->nrest - 1].stop_loss = 0.5;
	kit_bot(k, "AVLUSDT", REC_SIDE_LONG, 86, "active");
}

static void s_bybit_stoploss_field_plus_stop_is_duplicate(struct kit *k)
{
	s_bybit_position_stoploss_field(k);
	kit_stop(k, "AVLUSDT", REC_SELL, 86);
}

static void s_orphan_stop(struct kit *k)
{
	kit_stop(k, "ETHUSDT", REC_SELL, 3);
}

static void s_entry_limit_order_is_not_orphan(struct kit *k)
{
	struct rec_order *o = kit_order(k, "ETHUSDT", REC_BUY, 3);
	snprintf(o->type, sizeof o->type, "LIMIT");
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 3, "pending");
}

static void s_phantom(struct kit *k)
{
	kit_bot(k, "ETH/USDT:USDT", REC_SIDE_LONG, 3, "active");
}

static void s_closed_row_is_not_phantom(struct kit *k)
{
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 3, "closed");
}

static void s_size_mismatch(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 5, "active");
}

static void s_side_mismatch(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 10, "active");
}

static void s_pending_row_is_not_orphan(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "pending");
}

static void s_other_exchange_row_is_orphan(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	struct rec_bot_row *r = kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
	snprintf(r->exchange, sizeof r->exchange, "bybit");
}

static void s_stream_down(struct kit *k)
{
	k->sc->state = REC_SS_DOWN;
}

static void s_stream_stale(struct kit *k)
{
	k->stream_live = false;
	k->sc->last_msg_ms = T - 100000;
}

static void s_rest_unreachable(struct kit *k)
{
	k->s.rest_pos_ok = false;
	snprintf(k->s.rest_error, sizeof k->s.rest_error, "HTTP 503");
}

static void s_all_sources_unreachable(struct kit *k)
{
	k->s.rest_pos_ok = k->s.orders_ok = k->s.bot_ok = false;
	kit_stream(k, "BTCUSDT", REC_SIDE_LONG, 1, T - 10);
}

static void s_clock_skew(struct kit *k)
{
	k->s.clock_known = true;
	k->s.clock_offset_ms = -2500;
}

static void s_clock_within_limit(struct kit *k)
{
	k->s.clock_known = true;
	k->s.clock_offset_ms = 900;
}

static void s_orders_unreadable_no_protection_verdict(struct kit *k)
{
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 10, "active");
	k->s.orders_ok = false;
}

static void s_hedge_short_side_unprotected(struct kit *k)
{
	k->p.hedge_mode = true;
	kit_rest(k, "ETHUSDT", REC_SIDE_LONG, 2);
	k->rest[k->nrest - 1].pidx = REC_PIDX_LONG;
	struct rec_position p = kit_pos("ETHUSDT", REC_SIDE_SHORT, 1, 0);
	p.pidx = REC_PIDX_SHORT;
	k->rest[k->nrest++] = p;
	struct rec_order *o = kit_stop(k, "ETHUSDT", REC_SELL, 0);
	o->pidx = REC_PIDX_LONG;
	/* a BUY stop for the LONG side does not protect the SHORT one */
	o = kit_stop(k, "ETHUSDT", REC_BUY, 1);
	o->pidx = REC_PIDX_LONG;
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 2, "active");
	kit_bot(k, "ETHUSDT", REC_SIDE_SHORT, 1, "active");
}

static const struct scen {
	const char *name;
	void (*setup)(struct kit *k);
	unsigned want;
} scen[] = {
	{ "protected_close_position", s_protected_close_position, 0 },
	{ "protected_by_two_partial_stops", s_protected_by_two_partial_stops, 0 },
	/* was UNDERSIZED_STOP | UNPROTECTED_POSITION: one leg, one finding now */
	{ "undersized", s_undersized, B(REC_UNDERSIZED_STOP) },
	{ "wrong_side_beside_good", s_wrong_side_beside_good, B(REC_WRONG_SIDE_STOP) },
	{ "wrong_side_only", s_wrong_side_only, B(REC_WRONG_SIDE_STOP) | B(REC_UNPROTECTED_POSITION) },
	{ "duplicate", s_duplicate, B(REC_DUPLICATE_STOP) },
	{ "not_reduce_only", s_not_reduce_only, B(REC_UNPROTECTED_POSITION) },
	{ "take_profit_is_no_stop", s_take_profit_is_no_stop, B(REC_UNPROTECTED_POSITION) },
	{ "bybit_attached_stop", s_bybit_attached_stop, 0 },
	{ "bybit_position_stoploss_field", s_bybit_position_stoploss_field, 0 },
	{ "bybit_stoploss_field_plus_stop", s_bybit_stoploss_field_plus_stop_is_duplicate, B(REC_DUPLICATE_STOP) },
	{ "orphan_stop", s_orphan_stop, B(REC_ORPHAN_ORDER) },
	{ "entry_limit_order_is_not_orphan", s_entry_limit_order_is_not_orphan, 0 },
	{ "phantom", s_phantom, B(REC_PHANTOM_POSITION) },
	{ "closed_row_is_not_phantom", s_closed_row_is_not_phantom, 0 },
	{ "size_mismatch", s_size_mismatch, B(REC_SIZE_MISMATCH) },
	{ "side_mismatch", s_side_mismatch, B(REC_SIDE_MISMATCH) },
	{ "pending_row_is_not_orphan", s_pending_row_is_not_orphan, 0 },
	{ "other_exchange_row_is_orphan", s_other_exchange_row_is_orphan, B(REC_ORPHAN_POSITION) },
	{ "stream_down", s_stream_down, B(REC_STREAM_DOWN) },
	{ "stream_stale", s_stream_stale, B(REC_STREAM_STALE) },
	{ "rest_unreachable", s_rest_unreachable, B(REC_SOURCE_UNREACHABLE) },
	{ "all_sources_unreachable", s_all_sources_unreachable, B(REC_SOURCE_UNREACHABLE) },
	{ "clock_skew", s_clock_skew, B(REC_CLOCK_SKEW) },
	{ "clock_within_limit", s_clock_within_limit, 0 },
	{ "orders_unreadable", s_orders_unreadable_no_protection_verdict, B(REC_SOURCE_UNREACHABLE) },
	{ "hedge_short_side_unprotected", s_hedge_short_side_unprotected,
	  B(REC_UNPROTECTED_POSITION) | B(REC_WRONG_SIDE_STOP) },
};

static void test_classify_table(void)
{
	for (size_t i = 0; i < sizeof scen / sizeof scen[0]; i++) {
		struct kit *k = kit_new(REC_EX_BINANCE);
		scen[i].setup(k);
		kit_run(k, T);
		kit_run(k, LATER);
		unsigned got = 0;
		for (size_t j = 0; j < k->nf; j++) {
			got |= B(k->f[j].code);
			CU_ASSERT_EQUAL(k->f[j].severity, rec_code_default_severity(k->f[j].code));
			CU_ASSERT_EQUAL(k->f[j].last_seen_ms, LATER);
			CU_ASSERT_PTR_NOT_NULL(strstr(k->f[j].key, "main:binance:"));
		}
		if (got != scen[i].want) {
			fprintf(stderr, "\n  scenario %s: got 0x%x want 0x%x\n", scen[i].name, got, scen[i].want);
			kit_dump(k);
		}
		CU_ASSERT_EQUAL(got, scen[i].want);
		kit_free(k);
	}
}

static void test_wrong_side_stop_names_the_order(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_wrong_side_beside_good(k);
	kit_run(k, T);
	/* grace like the other order findings: the bot may be moving it */
	CU_ASSERT_PTR_NULL(kit_find(k, REC_WRONG_SIDE_STOP, "BTCUSDT"));
	kit_run(k, LATER);
	const struct rec_finding *f = kit_find(k, REC_WRONG_SIDE_STOP, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->order_id, k->ord[1].id);
	CU_ASSERT_TRUE(f->order_is_algo);
	CU_ASSERT_EQUAL(f->pos_side, REC_SIDE_LONG);
	CU_ASSERT_TRUE(f->repairable);
	kit_free(k);
}

static void test_duplicate_stop_names_the_redundant_one(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_duplicate(k);
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_DUPLICATE_STOP, NULL)); /* a stop being moved */
	kit_run(k, LATER);
	const struct rec_finding *f = kit_find(k, REC_DUPLICATE_STOP, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* keeps the close-position stop, names the sized one */
	CU_ASSERT_STRING_EQUAL(f->order_id, k->ord[1].id);
	kit_free(k);
}

static void test_undersized_stop_fields(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_undersized(k);
	kit_run(k, T);
	kit_run(k, LATER);
	const struct rec_finding *f = kit_find(k, REC_UNDERSIZED_STOP, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_DOUBLE_EQUAL(f->stop_qty, 4, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(f->pos_size, 10, 1e-12);
	CU_ASSERT_EQUAL(f->pos_side, REC_SIDE_SHORT);
	CU_ASSERT_EQUAL(f->severity, REC_SEV_CRITICAL);
	kit_free(k);
}

/* One finding per condition per leg: stops covering 20 of 30 are
 * UNDERSIZED_STOP only (never also "no stop covers 30"); no stop at all
 * is UNPROTECTED_POSITION only. */
static size_t count_code(const struct kit *k, enum rec_code c)
{
	size_t n = 0;
	for (size_t i = 0; i < k->nf; i++)
		n += k->f[i].code == c;
	return n;
}

static void test_one_protection_finding_per_leg(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "ETHUSDT", REC_SIDE_LONG, 30);
	kit_stop(k, "ETHUSDT", REC_SELL, 12);
	kit_stop(k, "ETHUSDT", REC_SELL, 8);
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 30, "active");
	kit_run(k, T);
	kit_run(k, LATER);
	CU_ASSERT_EQUAL(k->nf, 1);
	CU_ASSERT_EQUAL(count_code(k, REC_UNDERSIZED_STOP), 1);
	CU_ASSERT_EQUAL(count_code(k, REC_UNPROTECTED_POSITION), 0);
	const struct rec_finding *f = kit_find(k, REC_UNDERSIZED_STOP, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_DOUBLE_EQUAL(f->stop_qty, 20, 1e-12);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->detail, "stops cover 20 of 30"));
	CU_ASSERT_PTR_NULL(strstr(f->detail, "no stop covers"));
	kit_free(k);

	k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "ETHUSDT", REC_SIDE_LONG, 30);
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 30, "active");
	kit_run(k, T);
	kit_run(k, LATER);
	CU_ASSERT_EQUAL(k->nf, 1);
	CU_ASSERT_EQUAL(count_code(k, REC_UNPROTECTED_POSITION), 1);
	CU_ASSERT_EQUAL(count_code(k, REC_UNDERSIZED_STOP), 0);
	f = kit_find(k, REC_UNPROTECTED_POSITION, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->detail, "no stop covers 30"));
	kit_free(k);
}

static void test_hedge_keys_carry_position_side(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_hedge_short_side_unprotected(k);
	kit_run(k, T);
	kit_run(k, LATER);
	const struct rec_finding *f = kit_find(k, REC_UNPROTECTED_POSITION, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->key, "main:binance:ETHUSDT:UNPROTECTED_POSITION:SHORT");
	CU_ASSERT_EQUAL(f->pidx, REC_PIDX_SHORT);
	CU_ASSERT_EQUAL(f->pos_side, REC_SIDE_SHORT);
	CU_ASSERT_DOUBLE_EQUAL(f->pos_size, 1, 0);
	kit_free(k);
}

static void test_source_unreachable_one_key_per_source(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	s_all_sources_unreachable(k);
	snprintf(k->s.bot_error, sizeof k->s.bot_error, "connection refused");
	kit_run(k, T);
	CU_ASSERT_EQUAL(k->nf, 3);
	CU_ASSERT_STRING_EQUAL(k->f[0].key, "main:bybit::SOURCE_UNREACHABLE:db");
	CU_ASSERT_PTR_NOT_NULL(strstr(k->f[0].detail, "connection refused"));
	CU_ASSERT_STRING_EQUAL(k->f[1].key, "main:bybit::SOURCE_UNREACHABLE:orders");
	CU_ASSERT_STRING_EQUAL(k->f[2].key, "main:bybit::SOURCE_UNREACHABLE:rest");
	kit_free(k);
}

/* Binance algo TRIGGERING: counts while it is brief, not once it lingers. */
static void test_triggering_algo_lingering_is_unprotected(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_protected_close_position(k);
	k->ord[0].status = REC_OST_TRIGGERING;
	CU_ASSERT_EQUAL(kit_run(k, T), 0);
	CU_ASSERT_EQUAL(kit_run(k, T + 4000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T + 40000), 0); /* lingering; uncovered from now */
	kit_run(k, T + 71000);
	const struct rec_finding *f = kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(f->detail, "TRIGGERING"));
	kit_free(k);
}

/* Stream order states newer than REST's listing count. */
static void test_stream_orders_update_rest_listing(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	s_protected_close_position(k);
	k->ord[0].update_ms = T - 100000;
	kit_run(k, T);
	/* the stop was cancelled (stream) but REST still lists it */
	struct rec_order o = k->ord[0];
	o.status = REC_OST_CANCELED;
	o.update_ms = T + 1000;
	CU_ASSERT_EQUAL(rec_stream_apply_order(k->sc, &o), 0);
	kit_run(k, T + 2000);
	kit_run(k, T + 33000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	/* a brand-new stop seen only on the stream protects */
	struct rec_order n = k->ord[0];
	snprintf(n.id, sizeof n.id, "new-1");
	n.status = REC_OST_NEW;
	n.update_ms = T + 33500;
	CU_ASSERT_EQUAL(rec_stream_apply_order(k->sc, &n), 0);
	kit_run(k, T + 34000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, NULL));
	kit_free(k);
}

/* Kinds of the steps the policy (protect mode) plans for k's findings. */
static size_t planned(const struct kit *k, enum rec_action_kind kind)
{
	struct rec_policy a;
	rec_policy_default(&a);
	snprintf(a.account, sizeof a.account, "main");
	a.mode = REC_MODE_PROTECT;
	a.orphan_action = REC_ORPHAN_PROTECT;
	a.stop_loss_percent = 2;
	struct rec_plan p;
	rec_plan_build(&a, k->f, k->nf, NULL, 0, LATER, &p);
	size_t n = 0;
	for (size_t i = 0; i < p.n; i++)
		n += p.steps[i].a.kind == kind;
	rec_plan_free(&p);
	return n;
}

/* An orphan already covered by a stop (close-position, or quantities that
 * sum to the size) carries that cover, so the policy plans no stop for it
 * (which the engine would only skip, every audit). An uncovered one gets
 * exactly one. */
static void test_protected_orphan_plans_no_stop(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 10);
	kit_stop(k, "BTCUSDT", REC_SELL, 0); /* close-position */
	kit_rest(k, "ETHUSDT", REC_SIDE_SHORT, 4);
	kit_stop(k, "ETHUSDT", REC_BUY, 1.5);
	kit_stop(k, "ETHUSDT", REC_BUY, 2.5); /* 1.5 + 2.5 = 4 */
	kit_run(k, T);
	kit_run(k, LATER);
	kit_dump(k);
	const struct rec_finding *f = kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(f->stop_qty >= 10);
	f = kit_find(k, REC_ORPHAN_POSITION, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_DOUBLE_EQUAL(f->stop_qty, 4, 1e-9);
	CU_ASSERT_EQUAL(planned(k, REC_ACT_PLACE_STOP), 0);
	CU_ASSERT_EQUAL(kit_count(k, REC_UNPROTECTED_POSITION), 0);
	/* one of them loses a stop: a stop is planned for it alone */
	kit_drop_orders(k);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_stop(k, "ETHUSDT", REC_BUY, 1.5);
	kit_run(k, LATER + 1000);
	kit_run(k, LATER + 40000);
	f = kit_find(k, REC_ORPHAN_POSITION, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_DOUBLE_EQUAL(f->stop_qty, 1.5, 1e-9);
	CU_ASSERT_EQUAL(planned(k, REC_ACT_PLACE_STOP), 1);
	kit_free(k);
}

void test_rec_classify_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_classify_table", test_classify_table },
		{ "test_wrong_side_stop_names_the_order", test_wrong_side_stop_names_the_order },
		{ "test_duplicate_stop_names_the_redundant_one", test_duplicate_stop_names_the_redundant_one },
		{ "test_undersized_stop_fields", test_undersized_stop_fields },
		{ "test_one_protection_finding_per_leg", test_one_protection_finding_per_leg },
		{ "test_hedge_keys_carry_position_side", test_hedge_keys_carry_position_side },
		{ "test_source_unreachable_one_key_per_source", test_source_unreachable_one_key_per_source },
		{ "test_triggering_algo_lingering_is_unprotected", test_triggering_algo_lingering_is_unprotected },
		{ "test_stream_orders_update_rest_listing", test_stream_orders_update_rest_listing },
		{ "test_protected_orphan_plans_no_stop", test_protected_orphan_plans_no_stop },
		{ NULL, NULL },
	};
	tu_add_suite("rec_classify", tests);
}
