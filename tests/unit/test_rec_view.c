/* rec_position_view / rec_protection_view (reconcile/view.h): the view the
 * query API serves the bot. A table over both exchanges, both sides, both
 * position modes, the stream fresh / stale / down / connecting / absent /
 * from before its connection, and REST agreeing, answering [] just after
 * the stream's event (lag), [] past the tolerance (glitch) or failing. The
 * view must never be more optimistic than classification: the protection
 * verdicts are checked against rec_classify's findings on the same
 * snapshot. */
#include "reconcile/view.h"
#include "tests/unit/test_rec_kit.h"

#define T0 5000000LL

enum st_case { ST_FRESH = 0, ST_STALE, ST_DOWN, ST_CONNECTING, ST_NONE, ST_BEFORE_CONNECT, ST_N };
enum rest_case { R_AGREES = 0, R_EMPTY_LAG, R_EMPTY_GLITCH, R_FAILED, R_N };

static const char *const st_names[] = { "fresh", "stale", "down", "connecting", "none", "before-connect" };
static const char *const rest_names[] = { "agrees", "[] within tolerance", "[] past tolerance", "failed" };

/* One leg open on the exchange at `size`, seen by the stream at T0; the
 * view is taken at `now`, REST fetched at `fetched`. */
static void setup(struct kit *k, enum rec_pos_idx pidx, enum rec_side side, enum st_case st, enum rest_case rc,
		  int64_t *now)
{
	struct rec_position sp = kit_pos("SKLUSDT", side, 308, T0);
	sp.pidx = pidx;
	k->sc->connected_ms = st == ST_BEFORE_CONNECT ? T0 + 10 : T0 - 60000;
	rec_stream_apply_position(k->sc, &sp);
	int64_t fetched = rc == R_EMPTY_GLITCH ? T0 + k->p.rest_lag_tolerance_ms + 1000 : T0 + 50;
	*now = fetched + 20;
	k->sc->state = st == ST_DOWN ? REC_SS_DOWN : st == ST_CONNECTING ? REC_SS_CONNECTING : REC_SS_UP;
	k->sc->last_msg_ms = st == ST_STALE ? *now - k->p.stream_stale_ms - 1 : *now - 5;
	if (st == ST_NONE)
		k->s.stream = NULL;
	k->nrest = 0;
	if (rc == R_AGREES) {
		k->rest[0] = kit_pos("SKLUSDT", side, 308, 0);
		k->rest[0].pidx = pidx;
		k->nrest = 1;
	}
	k->s.rest_pos_ok = rc != R_FAILED;
	k->s.now_ms = *now;
	k->s.rest_fetched_ms = fetched;
	k->s.rest_pos = k->rest;
	k->s.nrest_pos = k->nrest;
	k->s.orders = k->ord;
	k->s.norders = k->nord;
	k->s.bot = k->bot;
	k->s.nbot = k->nbot;
}

static void test_view_table_over_exchanges_sides_modes_stream_and_rest_states(void)
{
	size_t cases = 0;
	for (int ex = 0; ex < 2; ex++)
		for (int sd = 0; sd < 2; sd++)
			for (int hedge = 0; hedge < 2; hedge++)
				for (int st = 0; st < ST_N; st++)
					for (int rc = 0; rc < R_N; rc++) {
						struct kit *k = kit_new((enum rec_exchange)ex);
						enum rec_side side = sd ? REC_SIDE_SHORT : REC_SIDE_LONG;
						enum rec_pos_idx pidx = !hedge                  ? REC_PIDX_BOTH
									: side == REC_SIDE_LONG ? REC_PIDX_LONG
												: REC_PIDX_SHORT;
						k->p.hedge_mode = hedge;
						int64_t now;
						setup(k, pidx, side, (enum st_case)st, (enum rest_case)rc, &now);
						struct rec_pos_view v;
						rec_position_view(&k->s, &k->p, "SKLUSDT", pidx, &v);
						bool auth = st == ST_FRESH;
						enum rec_view_state want_state;
						enum rec_view_rule want_rule;
						enum rec_rest_status want_rest;
						if (auth) {
							want_state = REC_VIEW_OPEN; /* never flat on REST's [] */
							want_rule = rc == R_EMPTY_LAG ? REC_VR_REST_LAG
								    : rc == R_EMPTY_GLITCH
									    ? REC_VR_REST_GLITCH
									    : REC_VR_STREAM_AUTHORITATIVE;
							want_rest = rc == R_AGREES         ? REC_RST_AGREES
								    : rc == R_EMPTY_LAG    ? REC_RST_LAGGING
								    : rc == R_EMPTY_GLITCH ? REC_RST_GLITCH
											   : REC_RST_UNAVAILABLE;
						} else if (rc == R_FAILED) {
							want_state = REC_VIEW_UNKNOWN;
							want_rule = REC_VR_NO_SOURCE;
							want_rest = REC_RST_UNAVAILABLE;
						} else {
							/* vigil's own rule: REST is the truth, and
							 * the view says why the stream was not */
							want_state = rc == R_AGREES ? REC_VIEW_OPEN : REC_VIEW_FLAT;
							want_rule = REC_VR_REST_TRUTH;
							want_rest = REC_RST_DECIDES;
						}
						bool ok = v.state == want_state && v.rule == want_rule &&
							  v.rest_status == want_rest && v.stream_auth == auth &&
							  v.pidx == pidx && strcmp(v.symbol, "SKLUSDT") == 0;
						if (want_state == REC_VIEW_OPEN)
							ok = ok && v.pos.side == side && v.pos.size == 308 &&
							     v.from == (auth ? REC_SRC_STREAM : REC_SRC_REST);
						enum rec_stream_status want_st =
							st == ST_FRESH || st == ST_BEFORE_CONNECT ? REC_SST_FRESH
							: st == ST_STALE                          ? REC_SST_STALE
							: st == ST_DOWN                           ? REC_SST_DOWN
							: st == ST_CONNECTING                     ? REC_SST_CONNECTING
												  : REC_SST_NONE;
						ok = ok && v.stream_status == want_st && v.why[0];
						if (!ok)
							fprintf(stderr,
								"\n  %s %s %s stream=%s rest=%s: state=%d rule=%s "
								"rest=%s stream=%s auth=%d (%s)\n",
								rec_exchange_name((enum rec_exchange)ex),
								rec_side_name(side), hedge ? "hedge" : "one-way",
								st_names[st], rest_names[rc], (int)v.state,
								rec_view_rule_name(v.rule),
								rec_rest_status_name(v.rest_status),
								rec_stream_status_name(v.stream_status), v.stream_auth,
								v.why);
						CU_ASSERT_TRUE(ok);
						cases++;
						kit_free(k);
					}
	CU_ASSERT_EQUAL(cases, 2 * 2 * 2 * ST_N * R_N);
}

/* Rule 1 (BASUSDT): the stream's size 0 is closed even while REST still
 * lists the position (REST is lagging), and the DB's row changes nothing. */
static void test_view_stream_zero_is_closed_while_rest_still_lists_it(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	int64_t now;
	setup(k, REC_PIDX_BOTH, REC_SIDE_LONG, ST_FRESH, R_AGREES, &now);
	struct rec_position z = kit_pos("SKLUSDT", REC_SIDE_LONG, 0, T0 + 10);
	rec_stream_apply_position(k->sc, &z);
	kit_bot(k, "SKLUSDT", REC_SIDE_LONG, 308, "active");
	k->s.bot = k->bot;
	k->s.nbot = k->nbot;
	struct rec_pos_view v;
	rec_position_view(&k->s, &k->p, "SKLUSDT", REC_PIDX_BOTH, &v);
	CU_ASSERT_EQUAL(v.state, REC_VIEW_FLAT);
	CU_ASSERT_EQUAL(v.rule, REC_VR_STREAM_ZERO_IS_CLOSED);
	CU_ASSERT_EQUAL(v.rest_status, REC_RST_LAGGING);
	CU_ASSERT_TRUE(v.rest_present);
	CU_ASSERT_TRUE(v.db_present);
	CU_ASSERT_EQUAL(v.db_row.qty, 308);
	kit_free(k);
}

/* An older fact never overwrites a newer one: REST's update after the
 * stream's entry wins, and the view says the stream missed an event. */
static void test_view_rest_newer_than_stream_entry_wins(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	int64_t now;
	setup(k, REC_PIDX_BOTH, REC_SIDE_LONG, ST_FRESH, R_AGREES, &now);
	k->rest[0].size = 400;
	k->rest[0].update_ms = T0 + 30;
	struct rec_pos_view v;
	rec_position_view(&k->s, &k->p, "SKL/USDT:USDT", REC_PIDX_BOTH, &v); /* ccxt spelling normalized */
	CU_ASSERT_EQUAL(v.state, REC_VIEW_OPEN);
	CU_ASSERT_EQUAL(v.rule, REC_VR_REST_NEWER);
	CU_ASSERT_EQUAL(v.from, REC_SRC_REST);
	CU_ASSERT_EQUAL(v.pos.size, 400);
	kit_free(k);
}

/* A symbol nobody reports is flat when REST answered, unknown when not. */
static void test_view_unlisted_symbol_flat_only_when_rest_answered(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	int64_t now;
	setup(k, REC_PIDX_BOTH, REC_SIDE_LONG, ST_FRESH, R_AGREES, &now);
	struct rec_pos_view v;
	rec_position_view(&k->s, &k->p, "LTCUSDT", REC_PIDX_BOTH, &v);
	CU_ASSERT_EQUAL(v.state, REC_VIEW_FLAT);
	CU_ASSERT_EQUAL(v.rule, REC_VR_REST_TRUTH);
	CU_ASSERT_FALSE(v.stream_present);
	k->s.rest_pos_ok = false;
	rec_position_view(&k->s, &k->p, "LTCUSDT", REC_PIDX_BOTH, &v);
	CU_ASSERT_EQUAL(v.state, REC_VIEW_UNKNOWN);
	CU_ASSERT_EQUAL(v.rule, REC_VR_NO_SOURCE);
	kit_free(k);
}

/* The protection verdict is classification's: for each order set the
 * view's "missing" matches the finding rec_classify raises (grace 0) on
 * the same snapshot, on both exchanges, both sides and both modes. */
static void test_protection_view_matches_classification_findings(void)
{
	enum { P_NONE = 0, P_FULL, P_HALF, P_TP_ONLY, P_ENTRY_ONLY, P_STUCK, P_N };
	for (int ex = 0; ex < 2; ex++)
		for (int sd = 0; sd < 2; sd++)
			for (int hedge = 0; hedge < 2; hedge++)
				for (int pc = 0; pc < P_N; pc++) {
					struct kit *k = kit_new((enum rec_exchange)ex);
					enum rec_side side = sd ? REC_SIDE_SHORT : REC_SIDE_LONG;
					enum rec_oside closing = sd ? REC_BUY : REC_SELL;
					enum rec_pos_idx pidx = !hedge                  ? REC_PIDX_BOTH
								: side == REC_SIDE_LONG ? REC_PIDX_LONG
											: REC_PIDX_SHORT;
					k->p.hedge_mode = hedge;
					k->p.grace_open_ms = k->p.grace_order_ms = 0;
					kit_bot(k, "SKLUSDT", side, 308, "active");
					struct rec_order *o = NULL;
					if (pc == P_FULL || pc == P_STUCK)
						o = kit_stop(k, "SKLUSDT", closing, 0);
					else if (pc == P_HALF)
						o = kit_stop(k, "SKLUSDT", closing, 154);
					else if (pc == P_TP_ONLY) {
						o = kit_stop(k, "SKLUSDT", closing, 0);
						o->kind = REC_OK_TAKE_PROFIT;
						o->trigger_dir = sd ? REC_TRIG_FALL : REC_TRIG_RISE;
						o->trigger_price = sd ? 0.9 : 1.1;
					} else if (pc == P_ENTRY_ONLY) {
						/* a breakout entry on the closing side: can open */
						o = kit_stop(k, "SKLUSDT", closing, 100);
						o->reduce_only = o->close_position = false;
					}
					if (o) {
						o->pidx = pidx;
						if (hedge && pc != P_ENTRY_ONLY)
							o->reduce_only = false; /* Binance forbids it in hedge mode */
						if (hedge && pc == P_ENTRY_ONLY)
							o->side = sd ? REC_SELL : REC_BUY; /* adds to the leg */
						o->update_ms = T0 - 60000;
					}
					if (pc == P_STUCK)
						o->status = REC_OST_TRIGGERING; /* a minute ago: stuck */
					int64_t now;
					setup(k, pidx, side, ST_FRESH, R_AGREES, &now);
					struct rec_prot_view pv;
					rec_protection_view(&k->s, &k->p, "SKLUSDT", pidx, &pv);
					/* classification, twice (the first sight of a TRIGGERING
					 * order starts its clock), past every grace */
					kit_run(k, now);
					kit_run(k, now + k->p.rest_lag_tolerance_ms + 1);
					bool unprot = kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT") != NULL;
					bool under = kit_find(k, REC_UNDERSIZED_STOP, "SKLUSDT") != NULL;
					bool want_cov = pc == P_FULL;
					bool ok = pv.judged && pv.orders_ok && pv.covered == want_cov &&
						  pv.missing == (unprot || under) &&
						  (!pv.missing ||
						   pv.missing_code ==
							   (under ? REC_UNDERSIZED_STOP : REC_UNPROTECTED_POSITION)) &&
						  pv.norders == (o ? 1u : 0u) && pv.closing == closing;
					if (pc == P_HALF)
						ok = ok && pv.stop_qty == 154 && pv.uncovered == 154 &&
						     pv.missing_code == REC_UNDERSIZED_STOP;
					if (o && pv.norders == 1) {
						enum rec_order_role want_role = pc == P_TP_ONLY ? REC_ROLE_TAKE_PROFIT
										: pc == P_ENTRY_ONLY ? REC_ROLE_ENTRY
												     : REC_ROLE_STOP;
						ok = ok && pv.orders[0].v.role == want_role &&
						     (pv.orders[0].v.verdict == REC_PROT_YES) ==
							     (pc == P_FULL || pc == P_HALF);
					}
					if (!ok) {
						fprintf(stderr,
							"\n  %s %s %s case %d: covered=%d missing=%d code=%s "
							"unprot=%d under=%d n=%zu role=%s\n",
							rec_exchange_name((enum rec_exchange)ex), rec_side_name(side),
							hedge ? "hedge" : "one-way", pc, pv.covered, pv.missing,
							rec_code_name(pv.missing_code), unprot, under, pv.norders,
							pv.norders ? rec_role_name(pv.orders[0].v.role) : "-");
						kit_dump(k);
					}
					CU_ASSERT_TRUE(ok);
					rec_prot_view_free(&pv);
					kit_free(k);
				}
}

/* The orders listing failed: no protection verdict at all (never
 * "covered"), and a flat leg judges nothing. */
static void test_protection_view_without_orders_or_position_judges_nothing(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	int64_t now;
	kit_stop(k, "SKLUSDT", REC_SELL, 0);
	setup(k, REC_PIDX_BOTH, REC_SIDE_LONG, ST_FRESH, R_AGREES, &now);
	k->s.orders_ok = false;
	struct rec_prot_view pv;
	rec_protection_view(&k->s, &k->p, "SKLUSDT", REC_PIDX_BOTH, &pv);
	CU_ASSERT_FALSE(pv.orders_ok);
	CU_ASSERT_FALSE(pv.judged);
	CU_ASSERT_FALSE(pv.covered);
	rec_prot_view_free(&pv);
	k->s.orders_ok = true;
	rec_protection_view(&k->s, &k->p, "LTCUSDT", REC_PIDX_BOTH, &pv);
	CU_ASSERT_EQUAL(pv.pos.state, REC_VIEW_FLAT);
	CU_ASSERT_FALSE(pv.judged);
	CU_ASSERT_FALSE(pv.missing);
	rec_prot_view_free(&pv);
	kit_free(k);
}

void test_rec_view_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_view_table_over_exchanges_sides_modes_stream_and_rest_states",
		  test_view_table_over_exchanges_sides_modes_stream_and_rest_states },
		{ "test_view_stream_zero_is_closed_while_rest_still_lists_it",
		  test_view_stream_zero_is_closed_while_rest_still_lists_it },
		{ "test_view_rest_newer_than_stream_entry_wins", test_view_rest_newer_than_stream_entry_wins },
		{ "test_view_unlisted_symbol_flat_only_when_rest_answered",
		  test_view_unlisted_symbol_flat_only_when_rest_answered },
		{ "test_protection_view_matches_classification_findings",
		  test_protection_view_matches_classification_findings },
		{ "test_protection_view_without_orders_or_position_judges_nothing",
		  test_protection_view_without_orders_or_position_judges_nothing },
		{ NULL, NULL },
	};
	tu_add_suite("rec_view", tests);
}
