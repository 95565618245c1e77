/* The seven source rules (docs/design-rules.md), by name, table-driven. */
#include "tests/unit/test_rec_kit.h"

#define NOW 1000000LL

static struct rec_params params(void)
{
	struct rec_params p;
	rec_params_default(&p);
	return p;
}

static struct rec_stream_cache *up_cache(int64_t connected, int64_t last_msg)
{
	struct rec_stream_cache *c = xcalloc(1, sizeof *c);
	c->state = REC_SS_UP;
	c->connected_ms = connected;
	c->last_msg_ms = last_msg;
	return c;
}

/* Rule 1: authoritative while connected and fresh, for entries of the
 * current connection. */
static void test_rule_stream_authoritative_when_connected_and_fresh(void)
{
	struct rec_params p = params();
	static const struct {
		enum rec_stream_state st;
		int64_t connected, last_msg, seen;
		bool want;
	} t[] = {
		{ REC_SS_UP, 0, NOW - 10, NOW - 100, true },
		{ REC_SS_UP, 0, NOW - 60000, NOW - 100, true },  /* exactly at the limit */
		{ REC_SS_UP, 0, NOW - 60001, NOW - 100, false }, /* stale */
		{ REC_SS_DOWN, 0, NOW - 10, NOW - 100, false },
		{ REC_SS_CONNECTING, 0, NOW - 10, NOW - 100, false },
		{ REC_SS_UP, NOW - 50, NOW - 10, NOW - 100, false }, /* before the reconnect */
		{ REC_SS_UP, NOW - 500, NOW - 10, NOW - 100, true },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct rec_stream_cache *c = up_cache(t[i].connected, t[i].last_msg);
		c->state = t[i].st;
		struct rec_position sp = kit_pos("X", REC_SIDE_LONG, 1, t[i].seen);
		CU_ASSERT_EQUAL(rec_rule_stream_authoritative(c, &sp, NOW, &p), t[i].want);
		free(c);
	}
	CU_ASSERT_FALSE(rec_rule_stream_authoritative(NULL, NULL, NOW, &p));
}

/* Rule 1 (BASUSDT): size 0 = closed; REST's or the DB's size is not used. */
static void test_rule_stream_zero_size_means_closed(void)
{
	struct rec_params p = params();
	struct rec_position z = kit_pos("BASUSDT", REC_SIDE_LONG, 0, NOW - 500);
	CU_ASSERT_EQUAL(rec_rule_stream_zero_is_closed(&z), REC_VIEW_FLAT);
	struct rec_position o = kit_pos("BASUSDT", REC_SIDE_LONG, 3, NOW - 500);
	CU_ASSERT_EQUAL(rec_rule_stream_zero_is_closed(&o), REC_VIEW_OPEN);
	struct rec_stream_cache *c = up_cache(0, NOW - 1);
	struct rec_position rest = kit_pos("BASUSDT", REC_SIDE_LONG, 1216, 0);
	struct rec_merged m;
	rec_merge_position(c, &z, true, &rest, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.state, REC_VIEW_FLAT);
	CU_ASSERT_EQUAL(m.from, REC_SRC_STREAM);
	CU_ASSERT_TRUE(m.rest_disagrees);
	CU_ASSERT_DOUBLE_EQUAL(m.pos.size, 0, 0);
	rec_merge_position(c, &z, false, NULL, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.state, REC_VIEW_FLAT);
	free(c);
}

/* Rule 2 (KAVAUSDT): REST omitting what the stream shows is a glitch. */
static void test_rule_rest_omission_is_glitch_not_closure(void)
{
	struct rec_position sp = kit_pos("KAVAUSDT", REC_SIDE_LONG, 62.9, NOW - 100);
	struct rec_position same = kit_pos("KAVAUSDT", REC_SIDE_LONG, 62.9, 0);
	struct rec_position smaller = kit_pos("KAVAUSDT", REC_SIDE_LONG, 30, 0);
	struct rec_position other = kit_pos("KAVAUSDT", REC_SIDE_SHORT, 62.9, 0);
	struct rec_position flat = kit_pos("KAVAUSDT", REC_SIDE_LONG, 0, NOW);
	static const int rows = 6;
	const struct {
		const struct rec_position *s;
		bool ok;
		const struct rec_position *r;
		bool want;
	} t[] = {
		{ &sp, true, NULL, true },   { &sp, true, &same, false }, { &sp, true, &smaller, true },
		{ &sp, true, &other, true }, { &sp, false, NULL, false }, { &flat, true, NULL, false },
	};
	for (int i = 0; i < rows; i++)
		CU_ASSERT_EQUAL(rec_rule_rest_omission_is_glitch(t[i].s, t[i].ok, t[i].r), t[i].want);
	struct rec_params p = params();
	struct rec_stream_cache *c = up_cache(0, NOW - 1);
	struct rec_merged m;
	rec_merge_position(c, &sp, true, NULL, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.state, REC_VIEW_OPEN);
	CU_ASSERT_EQUAL(m.from, REC_SRC_STREAM);
	CU_ASSERT_DOUBLE_EQUAL(m.pos.size, 62.9, 1e-12);
	CU_ASSERT_TRUE(m.rest_disagrees);
	free(c);
}

/* Rule 3 (AVLUSDT): disagreement is a finding only past the tolerance. */
static void test_rule_rest_lag_tolerance(void)
{
	struct rec_params p = params();
	CU_ASSERT_FALSE(rec_rule_rest_lag_expired(NOW - 4000, NOW, &p));
	CU_ASSERT_TRUE(rec_rule_rest_lag_expired(NOW - 5000, NOW, &p));
	p.rest_lag_tolerance_ms = 0;
	CU_ASSERT_TRUE(rec_rule_rest_lag_expired(NOW, NOW, &p));
	/* end to end: REST missing for 4.2 s is silent, for 6.5 s a glitch */
	struct kit *k = kit_new(REC_EX_BYBIT);
	kit_stream(k, "AVLUSDT", REC_SIDE_LONG, 43, NOW);
	kit_bot(k, "AVLUSDT", REC_SIDE_LONG, 43, "active");
	CU_ASSERT_EQUAL(kit_run(k, NOW + 100), 0);
	CU_ASSERT_EQUAL(kit_run(k, NOW + 4300), 0);
	kit_run(k, NOW + 5200);
	CU_ASSERT_EQUAL(kit_count(k, REC_REST_GLITCH), 1);
	kit_free(k);
}

/* Rule 4: the DB is belief only: its size/side never become pos_*. */
static void test_rule_db_is_belief_only(void)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	struct rec_bot_row r;
	memset(&r, 0, sizeof r);
	r.side = REC_SIDE_LONG;
	r.qty = 1216;
	rec_rule_db_is_belief(&f, &r);
	CU_ASSERT_TRUE(f.db.present);
	CU_ASSERT_DOUBLE_EQUAL(f.db.size, 1216, 0);
	CU_ASSERT_EQUAL(f.pos_side, REC_SIDE_UNKNOWN);
	CU_ASSERT_DOUBLE_EQUAL(f.pos_size, 0, 0);
	rec_rule_db_is_belief(&f, NULL);
	CU_ASSERT_FALSE(f.db.present);
	/* no exchange source at all: nothing is concluded from the DB */
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->s.stream = NULL;
	k->s.rest_pos_ok = false;
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 5, "active");
	kit_run(k, NOW);
	kit_run(k, NOW + 100000);
	for (size_t i = 0; i < k->nf; i++) {
		CU_ASSERT_EQUAL(k->f[i].code, REC_SOURCE_UNREACHABLE);
		CU_ASSERT_DOUBLE_EQUAL(k->f[i].pos_size, 0, 0);
	}
	kit_free(k);
}

/* Rule 5 (AVLUSDT): closing side only from the position's side. */
static void test_rule_closing_side_from_position_only(void)
{
	struct rec_merged m;
	memset(&m, 0, sizeof m);
	m.state = REC_VIEW_OPEN;
	m.pos.side = REC_SIDE_LONG;
	CU_ASSERT_EQUAL(rec_rule_closing_side(&m), REC_SELL);
	m.pos.side = REC_SIDE_SHORT;
	CU_ASSERT_EQUAL(rec_rule_closing_side(&m), REC_BUY);
	m.pos.side = REC_SIDE_UNKNOWN;
	CU_ASSERT_EQUAL(rec_rule_closing_side(&m), REC_OSIDE_UNKNOWN);
	m.state = REC_VIEW_FLAT;
	m.pos.side = REC_SIDE_LONG;
	CU_ASSERT_EQUAL(rec_rule_closing_side(&m), REC_OSIDE_UNKNOWN);
	m.state = REC_VIEW_UNKNOWN;
	CU_ASSERT_EQUAL(rec_rule_closing_side(&m), REC_OSIDE_UNKNOWN);
	/* an open position with unreadable side: UNKNOWN_SIDE, nothing repairable */
	struct kit *k = kit_new(REC_EX_BYBIT);
	kit_rest(k, "AVLUSDT", REC_SIDE_UNKNOWN, 86);
	kit_run(k, NOW);
	kit_run(k, NOW + 40000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNKNOWN_SIDE, "AVLUSDT"));
	for (size_t i = 0; i < k->nf; i++)
		CU_ASSERT_FALSE(k->f[i].repairable);
	kit_free(k);
}

/* Rule 6 (SKLUSDT) is covered by test_rec_stream; here: the classifier
 * uses a stream entry for a symbol no other source knows. */
static void test_rule_every_stream_symbol_is_judged(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->s.rest_pos_ok = false;
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, NOW);
	kit_run(k, NOW + 10);
	kit_run(k, NOW + 31000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "SKLUSDT"));
	kit_free(k);
}

/* Rule 7: grace for positions being opened. */
static void test_rule_grace_period_for_new_positions(void)
{
	CU_ASSERT_FALSE(rec_rule_grace_passed(NOW, NOW + 29999, 30000));
	CU_ASSERT_TRUE(rec_rule_grace_passed(NOW, NOW + 30000, 30000));
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "BTCUSDT", REC_SIDE_SHORT, 1);
	CU_ASSERT_EQUAL(kit_run(k, NOW), 0);
	CU_ASSERT_EQUAL(kit_run(k, NOW + 29999), 0);
	CU_ASSERT_EQUAL(kit_run(k, NOW + 30000), 2);
	kit_free(k);
}

/* When the stream is down or stale, REST is the truth for positions. */
static void test_rule_rest_is_truth_when_stream_down(void)
{
	struct rec_params p = params();
	struct rec_stream_cache *c = up_cache(0, NOW - 100000); /* stale */
	struct rec_position sp = kit_pos("X", REC_SIDE_LONG, 5, NOW - 200000);
	struct rec_position rest = kit_pos("X", REC_SIDE_LONG, 2, 0);
	struct rec_merged m;
	rec_merge_position(c, &sp, true, &rest, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.from, REC_SRC_REST);
	CU_ASSERT_DOUBLE_EQUAL(m.pos.size, 2, 0);
	CU_ASSERT_FALSE(m.rest_disagrees);
	rec_merge_position(c, &sp, true, NULL, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.state, REC_VIEW_FLAT);
	rec_merge_position(c, &sp, false, NULL, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.state, REC_VIEW_UNKNOWN);
	/* a REST record newer than the stream's wins even when fresh */
	c->last_msg_ms = NOW;
	sp.seen_ms = NOW - 10;
	sp.update_ms = NOW - 5000;
	rest.update_ms = NOW - 1000;
	rec_merge_position(c, &sp, true, &rest, NOW, &p, &m);
	CU_ASSERT_EQUAL(m.from, REC_SRC_REST);
	free(c);
}

void test_rec_merge_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_rule_stream_authoritative_when_connected_and_fresh",
		  test_rule_stream_authoritative_when_connected_and_fresh },
		{ "test_rule_stream_zero_size_means_closed", test_rule_stream_zero_size_means_closed },
		{ "test_rule_rest_omission_is_glitch_not_closure", test_rule_rest_omission_is_glitch_not_closure },
		{ "test_rule_rest_lag_tolerance", test_rule_rest_lag_tolerance },
		{ "test_rule_db_is_belief_only", test_rule_db_is_belief_only },
		{ "test_rule_closing_side_from_position_only", test_rule_closing_side_from_position_only },
		{ "test_rule_every_stream_symbol_is_judged", test_rule_every_stream_symbol_is_judged },
		{ "test_rule_grace_period_for_new_positions", test_rule_grace_period_for_new_positions },
		{ "test_rule_rest_is_truth_when_stream_down", test_rule_rest_is_truth_when_stream_down },
		{ NULL, NULL },
	};
	tu_add_suite("rec_merge", tests);
}
