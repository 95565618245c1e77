/* Close (rollback / orphan close) with the fake exchange: seeds 001/003
 * (AVLUSDT). Closing side only from the exchange-reported position side;
 * order fetched before use; reduce-only unblocking; verification. */
#include "tests/unit/test_repair_kit.h"

static struct rec_finding orphan(const char *sym, enum rec_side side, double size)
{
	return rk_find(REC_ORPHAN_POSITION, sym, side, size, 0.25, 0.25);
}

static void test_close_orphan_long_sells_exchange_size_and_verifies_gone(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	/* AVLUSDT after the doubling: 86 long on the exchange */
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 86);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	const struct fake_call *c = rk_last(k, "close");
	CU_ASSERT_EQUAL(c->side, REC_SELL);
	CU_ASSERT_EQUAL(c->position_side, REC_SIDE_LONG);
	CU_ASSERT_DOUBLE_EQUAL(c->qty, 86, 1e-12);
	CU_ASSERT_NSTRING_EQUAL(c->client_id, "vgl-c-", 6);
	CU_ASSERT(rk_sides_all(k, "AVLUSDT", REC_SELL)); /* never a Buy */
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "AVLUSDT", NULL), 0, 0);
	const struct rec_result *r = rk_result(k, REC_ACT_CLOSE_POSITION);
	CU_ASSERT_EQUAL(r->a.outcome, REC_OUT_DONE);
	CU_ASSERT_EQUAL(k->rep.nfind, 0);
	rk_free(k);
}

static void test_close_minimal_create_answer_triggers_fetch_by_id(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_SHORT, 43, 0.25, 0.25);
	fake_set_visibility_delay(k->x, 600); /* Bybit: the order shows up later */
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_SHORT, 43);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	size_t n;
	const struct fake_call *c = fake_calls(k->x, &n);
	size_t ci = n, fetched = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(c[i].op, "close"))
			ci = i;
		if (ci < i && !strcmp(c[i].op, "get_order") && !strcmp(c[i].id, c[ci].id))
			fetched++;
	}
	CU_ASSERT(ci < n);
	CU_ASSERT(fetched >= 2); /* first miss (not visible yet), then found */
	CU_ASSERT_EQUAL(c[ci].side, REC_BUY);
	CU_ASSERT(rk_sides_all(k, "AVLUSDT", REC_BUY));
	rk_free(k);
}

static void test_close_order_closed_with_zero_filled_is_explicit_failure(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	fake_set_close_expires(k->x, true); /* the fetched order: EXPIRED, 0 filled */
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 86);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(k->rep.findings[0].detail, "0 filled"));
	CU_ASSERT_EQUAL(rk_findings(k, REC_CLOSE_UNVERIFIED), 0);
	CU_ASSERT_EQUAL(k->fc.slept_ms, 0); /* decided at once, not by a timeout */
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CLOSE_POSITION)->a.outcome, REC_OUT_FAILED);
	rk_free(k);
}

static void test_close_unverified_raises_critical_after_ten_checks(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_set_close_noop(k->x, true);
	struct rec_finding f = orphan("SKLUSDT", REC_SIDE_LONG, 308);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_CLOSE_UNVERIFIED), 1);
	const struct rec_finding *x = &k->rep.findings[k->rep.nfind - 1];
	CU_ASSERT_EQUAL(x->severity, REC_SEV_CRITICAL);
	CU_ASSERT_STRING_EQUAL(x->key, "main:binance:SKLUSDT:CLOSE_UNVERIFIED");
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CLOSE_POSITION)->a.outcome, REC_OUT_FAILED);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1); /* no blind resend */
	CU_ASSERT(k->fc.slept_ms >= 9000 && k->fc.slept_ms <= 12000);
	rk_free(k);
}

static void test_close_reduce_only_rejection_cancels_and_retries_once(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_order tp = { .symbol = "AVLUSDT",
				.side = REC_SELL,
				.reduce_only = true,
				.qty = 86,
				.price = 0.3,
				.client_id = "bot-tp" };
	fake_add_order(k->x, &tp);
	struct rec_order sl = { .symbol = "AVLUSDT",
				.side = REC_SELL,
				.kind = REC_OK_STOP_LOSS,
				.conditional = true,
				.reduce_only = true,
				.qty = 86,
				.trigger_price = 0.2,
				.client_id = "bot-sl" };
	fake_add_order(k->x, &sl);
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 86);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 2);
	CU_ASSERT_EQUAL(rk_calls(k, "cancel", NULL), 1); /* only the resting reduce-only limit */
	CU_ASSERT_EQUAL(fake_find_order(k->x, NULL, "bot-tp")->status, REC_OST_CANCELED);
	CU_ASSERT_EQUAL(fake_find_order(k->x, NULL, "bot-sl")->status, REC_OST_NEW);
	CU_ASSERT(rk_sides_all(k, "AVLUSDT", REC_SELL));
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "AVLUSDT", NULL), 0, 0);
	/* the two close attempts carry different client ids */
	size_t n;
	const struct fake_call *c = fake_calls(k->x, &n);
	const char *ids[2] = { 0 };
	int m = 0;
	for (size_t i = 0; i < n && m < 2; i++)
		if (!strcmp(c[i].op, "close"))
			ids[m++] = c[i].client_id;
	CU_ASSERT_STRING_NOT_EQUAL(ids[0], ids[1]);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CLOSE_POSITION)->a.outcome, REC_OUT_DONE);
	rk_free(k);
}

static void test_close_reduce_only_rejected_twice_is_not_tried_a_third_time(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	struct rec_order tp = { .symbol = "AVLUSDT", .side = REC_SELL, .reduce_only = true, .qty = 86, .price = 0.3 };
	fake_add_order(k->x, &tp);
	fake_inject(k->x, "close", XCH_REDUCE_ONLY, 110017);
	fake_inject(k->x, "close", XCH_REDUCE_ONLY, 110017);
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 86);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 2);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	rk_free(k);
}

static void test_close_reduce_only_with_nothing_to_cancel_is_not_resent(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 86, 0.25, 0.25);
	fake_inject(k->x, "close", XCH_REDUCE_ONLY, -2022);
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 86);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	rk_free(k);
}

static void test_close_skipped_when_stream_shows_flat(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "SKLUSDT", REC_SIDE_LONG, 308, 0.03, 0.03);
	fake_stream_set(k->x, "SKLUSDT", REC_SIDE_UNKNOWN, 0); /* the bot closed it */
	struct rec_finding f = orphan("SKLUSDT", REC_SIDE_LONG, 308);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_result(k, REC_ACT_CLOSE_POSITION)->a.outcome, REC_OUT_SKIPPED);
	rk_free(k);
}

static void test_close_side_changed_on_exchange_sends_nothing(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_SHORT, 43, 0.25, 0.25);
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 43); /* stale plan */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), -1);
	CU_ASSERT_EQUAL(rk_sends(k), 0);
	CU_ASSERT_EQUAL(rk_findings(k, REC_REPAIR_FAILED), 1);
	rk_free(k);
}

static void test_close_uses_rest_when_stream_down_and_skips_on_rest_omission(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "AVLUSDT", REC_SIDE_LONG, 43, 0.25, 0.25);
	fake_stream_state(k->x, REC_SS_DOWN);
	fake_rest_hide_positions(k->x, 1); /* REST lag: omits the position once */
	struct rec_finding f = orphan("AVLUSDT", REC_SIDE_LONG, 43);
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_sends(k), 0); /* no confirmation, nothing sent */
	/* next audit REST shows it: closed, and a single [] does not count as gone */
	CU_ASSERT_EQUAL(rk_run(k, &f, 1), 0);
	CU_ASSERT_EQUAL(rk_calls(k, "close", NULL), 1);
	CU_ASSERT_DOUBLE_EQUAL(fake_position_size(k->x, "AVLUSDT", NULL), 0, 0);
	rk_free(k);
}

static void test_close_gone_check_does_not_trust_one_empty_rest_answer(void)
{
	struct rk *k = rk_new(REC_MODE_FULL);
	fake_set_position(k->x, "KAVAUSDT", REC_SIDE_LONG, 62.9, 0.5, 0.5);
	fake_stream_state(k->x, REC_SS_DOWN);
	struct rec_ctx *c = &k->e.ctx;
	char d[256];
	fake_rest_hide_positions(k->x, 1); /* one [] then the position again */
	CU_ASSERT_EQUAL(rec_verify_position_gone(c, "KAVAUSDT", REC_PIDX_BOTH, REC_SIDE_LONG, d, sizeof d),
			REC_V_FAILED);
	rk_free(k);
}

void test_repair_close_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_close_orphan_long_sells_exchange_size_and_verifies_gone",
		  test_close_orphan_long_sells_exchange_size_and_verifies_gone },
		{ "test_close_minimal_create_answer_triggers_fetch_by_id",
		  test_close_minimal_create_answer_triggers_fetch_by_id },
		{ "test_close_order_closed_with_zero_filled_is_explicit_failure",
		  test_close_order_closed_with_zero_filled_is_explicit_failure },
		{ "test_close_unverified_raises_critical_after_ten_checks",
		  test_close_unverified_raises_critical_after_ten_checks },
		{ "test_close_reduce_only_rejection_cancels_and_retries_once",
		  test_close_reduce_only_rejection_cancels_and_retries_once },
		{ "test_close_reduce_only_rejected_twice_is_not_tried_a_third_time",
		  test_close_reduce_only_rejected_twice_is_not_tried_a_third_time },
		{ "test_close_reduce_only_with_nothing_to_cancel_is_not_resent",
		  test_close_reduce_only_with_nothing_to_cancel_is_not_resent },
		{ "test_close_skipped_when_stream_shows_flat", test_close_skipped_when_stream_shows_flat },
		{ "test_close_side_changed_on_exchange_sends_nothing",
		  test_close_side_changed_on_exchange_sends_nothing },
		{ "test_close_uses_rest_when_stream_down_and_skips_on_rest_omission",
		  test_close_uses_rest_when_stream_down_and_skips_on_rest_omission },
		{ "test_close_gone_check_does_not_trust_one_empty_rest_answer",
		  test_close_gone_check_does_not_trust_one_empty_rest_answer },
		{ NULL, NULL },
	};
	tu_add_suite("repair_close", tests);
}
