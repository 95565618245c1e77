/* A targeted check (rec_snapshot.scope): after stream events about a few
 * symbols the daemon reads REST for those symbols only. The check judges
 * them, carries every other symbol's open findings as they stood, and
 * never reads "not in this small REST answer" as flat. */
#include "tests/unit/test_rec_kit.h"

#define T 5000000LL
#define LATER (T + 40000)

static const char scope_eth[1][REC_SYM_MAX] = { "ETHUSDT" };

static bool resolved_has(const struct kit *k, enum rec_code code, const char *sym)
{
	struct rec_finding *r = NULL;
	size_t n = 0;
	CU_ASSERT_EQUAL(rec_lifecycle(k->m, &r, &n), 0);
	bool hit = false;
	for (size_t i = 0; i < n; i++)
		hit |= r[i].code == code && strcmp(r[i].symbol, sym) == 0;
	free(r);
	return hit;
}

/* Two unprotected positions; ETHUSDT gets its stop and is checked alone:
 * its finding resolves, BTCUSDT's is carried with its old last_seen and
 * is not resolved. */
static void test_scope_judges_its_symbols_and_carries_the_others(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	const char *syms[2] = { "BTCUSDT", "ETHUSDT" };
	for (int i = 0; i < 2; i++) {
		kit_stream(k, syms[i], REC_SIDE_LONG, 1, T);
		kit_rest(k, syms[i], REC_SIDE_LONG, 1);
		kit_bot(k, syms[i], REC_SIDE_LONG, 1, "active");
	}
	kit_run(k, T);
	kit_run(k, LATER);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "ETHUSDT"));

	/* the targeted answer: ETHUSDT only, now with its stop */
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 0);
	kit_stop(k, "ETHUSDT", REC_SELL, 0);
	k->s.scope = scope_eth;
	k->s.nscope = 1;
	kit_run(k, LATER + 1000);
	kit_dump(k);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_UNPROTECTED_POSITION, "ETHUSDT"));
	CU_ASSERT_TRUE(resolved_has(k, REC_UNPROTECTED_POSITION, "ETHUSDT"));
	const struct rec_finding *btc = kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(btc);
	CU_ASSERT_EQUAL(btc->last_seen_ms, LATER); /* as it stood: not judged now */
	CU_ASSERT_FALSE(resolved_has(k, REC_UNPROTECTED_POSITION, "BTCUSDT"));
	/* nothing new about BTCUSDT from its absence in the small answer */
	CU_ASSERT_PTR_NULL(kit_find(k, REC_REST_GLITCH, "BTCUSDT"));
	CU_ASSERT_PTR_NULL(kit_find(k, REC_PHANTOM_POSITION, "BTCUSDT"));
	CU_ASSERT_EQUAL(kit_count(k, REC_UNPROTECTED_POSITION), 1);

	/* the next full audit judges BTCUSDT again */
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	k->s.nscope = 0;
	kit_run(k, LATER + 2000);
	btc = kit_find(k, REC_UNPROTECTED_POSITION, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(btc);
	CU_ASSERT_EQUAL(btc->last_seen_ms, LATER + 2000);
	CU_ASSERT_EQUAL(btc->first_seen_ms, LATER); /* the same finding */
	kit_free(k);
}

/* A position only the stream and the bot know, outside the scope: the
 * targeted REST answer does not list it, and that says nothing. */
static void test_scope_other_symbols_absent_from_rest_are_not_flat(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	kit_stream(k, "BTCUSDT", REC_SIDE_SHORT, 2, T);
	kit_stop(k, "BTCUSDT", REC_BUY, 0);
	kit_bot(k, "BTCUSDT", REC_SIDE_SHORT, 2, "active");
	kit_stream(k, "ETHUSDT", REC_SIDE_LONG, 1, T);
	kit_rest(k, "ETHUSDT", REC_SIDE_LONG, 1);
	kit_stop(k, "ETHUSDT", REC_SELL, 0);
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 1, "active");
	k->s.scope = scope_eth;
	k->s.nscope = 1;
	for (int64_t t = T; t <= LATER + 60000; t += 10000)
		kit_run(k, t);
	kit_dump(k);
	CU_ASSERT_EQUAL(k->nf, 0);
	kit_free(k);
}

/* Configured one-way; BTCUSDT's rows showed hedge legs (CONFIG_DRIFT,
 * repairs off). A targeted check of a one-way-looking symbol cannot clear
 * that: the drift is carried. */
static void test_scope_cannot_clear_a_mode_drift_seen_elsewhere(void)
{
	struct kit *k = kit_new(REC_EX_BYBIT);
	k->p.hedge_mode = false;
	kit_stream(k, "BTCUSDT", REC_SIDE_LONG, 1, T);
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	k->rest[k->nrest - 1].pidx = REC_PIDX_LONG;
	kit_run(k, T);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_CONFIG_DRIFT, NULL));

	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 0);
	kit_stream(k, "ETHUSDT", REC_SIDE_LONG, 1, T + 500);
	kit_rest(k, "ETHUSDT", REC_SIDE_LONG, 1);
	k->s.scope = scope_eth;
	k->s.nscope = 1;
	kit_run(k, T + 1000);
	CU_ASSERT_PTR_NOT_NULL(kit_find(k, REC_CONFIG_DRIFT, NULL));
	CU_ASSERT_FALSE(resolved_has(k, REC_CONFIG_DRIFT, ""));
	kit_free(k);
}

void test_rec_scope_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_scope_judges_its_symbols_and_carries_the_others",
		  test_scope_judges_its_symbols_and_carries_the_others },
		{ "test_scope_other_symbols_absent_from_rest_are_not_flat",
		  test_scope_other_symbols_absent_from_rest_are_not_flat },
		{ "test_scope_cannot_clear_a_mode_drift_seen_elsewhere",
		  test_scope_cannot_clear_a_mode_drift_seen_elsewhere },
		{ NULL, NULL },
	};
	tu_add_suite("rec_scope", tests);
}
