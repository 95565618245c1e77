/* Finding lifecycle across audits: first/last seen, RESOLVED once, and no
 * false RESOLVED when a source could not be read. */
#include "tests/unit/test_rec_kit.h"

#define T 9000000LL

static size_t resolved(struct kit *k, enum rec_code *code)
{
	struct rec_finding *r;
	size_t n;
	CU_ASSERT_EQUAL(rec_lifecycle(k->m, &r, &n), 0);
	if (n && code)
		*code = r[0].code;
	free(r);
	return n;
}

static struct kit *orphan_account(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_run(k, T);
	kit_run(k, T + 31000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	return k;
}

static void test_lifecycle_first_seen_kept_last_seen_moves(void)
{
	struct kit *k = orphan_account();
	kit_run(k, T + 45000);
	const struct rec_finding *f = kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->first_seen_ms, T + 31000);
	CU_ASSERT_EQUAL(f->last_seen_ms, T + 45000);
	CU_ASSERT_EQUAL(rec_memory_open_count(k->m), 1);
	CU_ASSERT_EQUAL(resolved(k, NULL), 0);
	kit_free(k);
}

static void test_lifecycle_resolved_once_when_gone(void)
{
	struct kit *k = orphan_account();
	kit_bot(k, "BTCUSDT", REC_SIDE_LONG, 1, "active");
	CU_ASSERT_EQUAL(kit_run(k, T + 46000), 0);
	enum rec_code c = REC_CODE_COUNT;
	CU_ASSERT_EQUAL(resolved(k, &c), 1);
	CU_ASSERT_EQUAL(c, REC_ORPHAN_POSITION);
	CU_ASSERT_EQUAL(rec_memory_open_count(k->m), 0);
	kit_run(k, T + 47000);
	CU_ASSERT_EQUAL(resolved(k, NULL), 0);
	kit_free(k);
}

static void test_lifecycle_not_resolved_when_source_down(void)
{
	struct kit *k = orphan_account();
	k->s.bot_ok = false; /* cannot tell whether the bot knows it now */
	kit_run(k, T + 46000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, NULL));
	CU_ASSERT_EQUAL(resolved(k, NULL), 0);
	CU_ASSERT_EQUAL(rec_memory_open_count(k->m), 2); /* + SOURCE_UNREACHABLE:db */
	/* REST down too and the stream never saw it: still open */
	k->s.rest_pos_ok = false;
	kit_run(k, T + 47000);
	CU_ASSERT_EQUAL(resolved(k, NULL), 0);
	/* sources back, still orphan: same finding, same first_seen */
	k->s.bot_ok = k->s.rest_pos_ok = true;
	kit_run(k, T + 48000);
	const struct rec_finding *f = kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->first_seen_ms, T + 31000);
	kit_free(k);
}

static void test_lifecycle_grace_restarts_after_close(void)
{
	struct kit *k = orphan_account();
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 0);
	kit_drop_orders(k);
	CU_ASSERT_EQUAL(kit_run(k, T + 50000), 0);
	CU_ASSERT_EQUAL(resolved(k, NULL), 1);
	kit_rest(k, "BTCUSDT", REC_SIDE_SHORT, 2); /* a new position */
	CU_ASSERT_EQUAL(kit_run(k, T + 51000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T + 80000), 0);
	CU_ASSERT_EQUAL(kit_run(k, T + 81000), 2);
	kit_free(k);
}

/* A fresh memory (one-shot audit, restarted daemon) judges a position the
 * exchange says has been open for an hour at once: grace counts from the
 * exchange's update time, not from vigil's first sight. */
static void test_grace_counts_from_exchange_update_time(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	k->rest[0].update_ms = T - 3600000;
	kit_rest(k, "ETHUSDT", REC_SIDE_SHORT, 2);
	k->rest[1].update_ms = T - 5000; /* just opened: the bot is mid-open */
	kit_run(k, T);
	kit_dump(k);
	const struct rec_finding *f = kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL(f);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, "ETHUSDT"));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "ETHUSDT"));
	/* the young one passes grace 30 s after its exchange time */
	kit_run(k, T + 24000);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, "ETHUSDT"));
	kit_run(k, T + 25000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "ETHUSDT"));
	kit_free(k);
}

/* Exchange times are converted with the clock offset (server - local):
 * local = exchange - offset. */
static void test_grace_exchange_time_uses_clock_offset(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	k->p.clock_skew_limit_ms = 60000;
	k->s.clock_known = true;
	k->s.clock_offset_ms = 40000;
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	k->rest[0].update_ms = T + 40000 - 20000;
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	kit_run(k, T + 10000); /* 30 s after the exchange's update */
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	kit_free(k);
	/* offset -40 s: exchange T-65 s is only 25 s ago locally */
	k = kit_new(REC_EX_BYBIT);
	k->p.clock_skew_limit_ms = 60000;
	k->s.clock_known = true;
	k->s.clock_offset_ms = -40000;
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	k->rest[0].update_ms = T - 65000;
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	kit_run(k, T + 5000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	kit_free(k);
}

/* An old REST time the authoritative stream contradicts (REST lags a
 * flip) is no evidence: the stream's fresh position keeps its grace. */
static void test_grace_ignores_rest_time_the_stream_contradicts(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_stream(k, "BTCUSDT", REC_SIDE_LONG, 1, T - 1000);
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 3); /* REST: old, bigger */
	k->rest[0].update_ms = T - 3600000;
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_POSITION, "BTCUSDT"));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	kit_free(k);
}

static void test_lifecycle_bad_arguments(void)
{
	struct rec_finding *f = NULL;
	size_t n = 7;
	struct rec_params p;
	rec_params_default(&p);
	CU_ASSERT_EQUAL(rec_classify(NULL, &p, NULL, &f, &n), -1);
	CU_ASSERT_EQUAL(rec_lifecycle(NULL, &f, &n), -1);
	CU_ASSERT_EQUAL(rec_memory_open_count(NULL), 0);
	rec_memory_free(NULL);
	/* an empty account: no findings, nothing allocated */
	struct kit *k = kit_new(REC_EX_BYBIT);
	k->s.stream = NULL;
	CU_ASSERT_EQUAL(kit_run(k, T), 0);
	CU_ASSERT_PTR_NULL(k->f);
	kit_free(k);
}

void test_rec_lifecycle_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_lifecycle_first_seen_kept_last_seen_moves", test_lifecycle_first_seen_kept_last_seen_moves },
		{ "test_lifecycle_resolved_once_when_gone", test_lifecycle_resolved_once_when_gone },
		{ "test_lifecycle_not_resolved_when_source_down", test_lifecycle_not_resolved_when_source_down },
		{ "test_lifecycle_grace_restarts_after_close", test_lifecycle_grace_restarts_after_close },
		{ "test_grace_counts_from_exchange_update_time", test_grace_counts_from_exchange_update_time },
		{ "test_grace_exchange_time_uses_clock_offset", test_grace_exchange_time_uses_clock_offset },
		{ "test_grace_ignores_rest_time_the_stream_contradicts",
		  test_grace_ignores_rest_time_the_stream_contradicts },
		{ "test_lifecycle_bad_arguments", test_lifecycle_bad_arguments },
		{ NULL, NULL },
	};
	tu_add_suite("rec_lifecycle", tests);
}
