/* A position closed and reopened while vigil could not see the flat state
 * (SKLUSDT under 429 / 418 / 5xx / slow REST, or with the stream down)
 * gets its own grace period: the clock of the earlier position never
 * carries over (rule 7: no racing the bot). Grace 1.5 s as in the fault
 * matrix; T is both vigil's and the exchange's clock. */
#include "tests/unit/test_rec_kit.h"

#define T 7000000LL

static struct kit *grace_kit(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->p.grace_open_ms = 1500;
	k->p.grace_order_ms = 1500;
	return k;
}

static bool judged(const struct kit *k, const char *sym)
{
	return kit_find(k, REC_UNPROTECTED_POSITION, sym) || kit_find(k, REC_ORPHAN_POSITION, sym);
}

/* The stream cache marks a flat entry turning open as a new position. */
static void test_stream_reopen_marks_opened_time(void)
{
	struct rec_stream_cache *c = xcalloc(1, sizeof *c);
	struct rec_position p = kit_pos("SKLUSDT", REC_SIDE_LONG, 308, T);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->pos[0].opened_ms, 0); /* first sighting: may be old */
	p = kit_pos("SKLUSDT", REC_SIDE_LONG, 0, T + 600);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->pos[0].opened_ms, 0);
	p = kit_pos("SKLUSDT", REC_SIDE_LONG, 308, T + 2500);
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->pos[0].opened_ms, T + 2500);
	p = kit_pos("SKLUSDT", REC_SIDE_LONG, 400, T + 2700); /* added to: same position */
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->pos[0].opened_ms, T + 2500);
	p = kit_pos("SKLUSDT", REC_SIDE_SHORT, 10, T + 2900); /* flipped: new */
	CU_ASSERT_EQUAL(rec_stream_apply_position(c, &p), 0);
	CU_ASSERT_EQUAL(c->pos[0].opened_ms, T + 2900);
	free(c);
}

/* 429 on every REST call: the stream shows the close, but the UNPROTECTED
 * clock of the first position survived (open orders unreadable) and the
 * reopened one was flagged at once. */
static void test_reopen_while_orders_unreadable_gets_full_grace(void)
{
	struct kit *k = grace_kit();
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	kit_run(k, T + 100);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	k->s.rest_pos_ok = k->s.orders_ok = false;
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 0, T + 600); /* the bot closes */
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 0);
	kit_run(k, T + 700);
	kit_run(k, T + 1200);
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T + 2500); /* and opens again */
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	kit_run(k, T + 2600);
	k->s.rest_pos_ok = k->s.orders_ok = true; /* REST back */
	kit_run(k, T + 3100);
	kit_dump(k);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	kit_run(k, T + 3900);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	kit_run(k, T + 4000); /* 2.5 + grace */
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "SKLUSDT"));
	kit_free(k);
}

/* ws-drop: the stream went down holding the first position; REST saw the
 * close and the reopen. The stale stream entry's receipt time is the
 * first position's, not this one's. */
static void test_stale_stream_entry_does_not_age_reopened_position(void)
{
	struct kit *k = grace_kit();
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	k->rest[0].update_ms = T;
	kit_run(k, T + 100);
	k->sc->state = REC_SS_DOWN;
	k->stream_live = false;
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 0);
	kit_run(k, T + 700);
	kit_run(k, T + 1200);
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	k->rest[0].update_ms = T + 2500;
	kit_run(k, T + 2700);
	kit_run(k, T + 3200);
	kit_dump(k);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	kit_run(k, T + 4000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	kit_free(k);
}

/* No stream and REST down across the close and the reopen: the symbol
 * could not be judged, so the position clock was kept. The exchange's
 * update time, newer than vigil's last sight, restarts it. */
static void test_reopen_while_blind_counts_from_exchange_time(void)
{
	struct kit *k = grace_kit();
	k->s.stream = NULL;
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	k->rest[0].update_ms = T;
	kit_run(k, T + 100);
	k->s.rest_pos_ok = k->s.orders_ok = false;
	kit_run(k, T + 600);
	kit_run(k, T + 2600);
	k->s.rest_pos_ok = k->s.orders_ok = true;
	k->rest[0].update_ms = T + 2500; /* reopened meanwhile */
	kit_run(k, T + 3100);
	kit_dump(k);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	kit_run(k, T + 4000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	kit_free(k);
}

/* The same outage over a position that did not change keeps its clock:
 * an open finding stays open, first_seen unchanged (no flapping). */
static void test_unchanged_position_keeps_clock_across_outage(void)
{
	struct kit *k = grace_kit();
	k->s.stream = NULL;
	kit_rest(k, "SKLUSDT", REC_SIDE_LONG, 308);
	k->rest[0].update_ms = T - 3600000;
	kit_run(k, T);
	const struct rec_finding *f = kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	k->s.rest_pos_ok = k->s.orders_ok = false;
	kit_run(k, T + 500);
	kit_run(k, T + 1000);
	k->s.rest_pos_ok = k->s.orders_ok = true;
	kit_run(k, T + 1500);
	f = kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->first_seen_ms, T);
	kit_free(k);
}

/* Closed and reopened between two audits with the stream up: the stream
 * cache's flat-then-open is the evidence. */
static void test_reopen_between_audits_restarts_grace(void)
{
	struct kit *k = grace_kit();
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T);
	kit_run(k, T + 100);
	kit_run(k, T + 600);
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 0, T + 700);
	kit_stream(k, "SKLUSDT", REC_SIDE_LONG, 308, T + 800);
	kit_run(k, T + 1100);
	kit_run(k, T + 1600); /* past the first position's grace */
	kit_dump(k);
	CU_ASSERT_FALSE(judged(k, "SKLUSDT"));
	kit_run(k, T + 2300);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "SKLUSDT"));
	kit_free(k);
}

void test_rec_reopen_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_stream_reopen_marks_opened_time", test_stream_reopen_marks_opened_time },
		{ "test_reopen_while_orders_unreadable_gets_full_grace",
		  test_reopen_while_orders_unreadable_gets_full_grace },
		{ "test_stale_stream_entry_does_not_age_reopened_position",
		  test_stale_stream_entry_does_not_age_reopened_position },
		{ "test_reopen_while_blind_counts_from_exchange_time",
		  test_reopen_while_blind_counts_from_exchange_time },
		{ "test_unchanged_position_keeps_clock_across_outage",
		  test_unchanged_position_keeps_clock_across_outage },
		{ "test_reopen_between_audits_restarts_grace", test_reopen_between_audits_restarts_grace },
		{ NULL, NULL },
	};
	tu_add_suite("rec_reopen", tests);
}
