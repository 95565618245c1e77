/* A new memory seeded with what a previous run stored (rec_memory_seed,
 * rec_memory_seed_cond): a one-shot audit or a restarted daemon continues
 * first-seen times instead of waiting grace again, and AGE is the real
 * age. */
#include "base/clock_now.h"
#include "tests/unit/test_rec_kit.h"
#include "watchdog/audit.h"

#define T 9000000000LL
#define HOUR (3600 * 1000LL)

/* A flat account with a reduce-only stop left behind (ORPHAN_ORDER). */
static struct kit *orphan_stop_account(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_stop(k, "BTCUSDT", REC_SELL, 1);
	return k;
}

/* The finding as the store keeps it: key, code, first_seen. */
static struct rec_finding stored(const struct kit *k, enum rec_code code, const char *sym, int64_t first_ms)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "%s", k->s.account);
	f.exchange = k->s.exchange;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	f.first_seen_ms = first_ms;
	f.last_seen_ms = first_ms;
	return f;
}

static size_t resolved(struct kit *k)
{
	struct rec_finding *r;
	size_t n;
	CU_ASSERT_EQUAL(rec_lifecycle(k->m, &r, &n), 0);
	free(r);
	return n;
}

static void test_seed_unseeded_memory_waits_grace(void)
{
	/* what the issue saw: a fresh memory counts grace from the run */
	struct kit *k = orphan_stop_account();
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT"));
	kit_free(k);
}

static void test_seed_order_finding_past_grace_at_once(void)
{
	struct kit *k = orphan_stop_account();
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", T - HOUR);
	rec_memory_seed(k->m, &f);
	CU_ASSERT_EQUAL(rec_memory_open_count(k->m), 1);
	kit_run(k, T);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(o->key, f.key);
	CU_ASSERT_EQUAL(o->first_seen_ms, T - HOUR); /* the stored one: real AGE */
	CU_ASSERT_EQUAL(o->last_seen_ms, T);
	CU_ASSERT_EQUAL(resolved(k), 0);
	/* and it goes on as any open finding */
	kit_run(k, T + 5000);
	o = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T - HOUR);
	kit_free(k);
}

static void test_seed_recent_finding_not_hidden_by_grace(void)
{
	/* reported 5 s before the restart: its condition had held grace
	 * already, so the restarted daemon must not resolve it for 30 s */
	struct kit *k = orphan_stop_account();
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", T - 5000);
	rec_memory_seed(k->m, &f);
	kit_run(k, T);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T - 5000);
	kit_free(k);
}

static void test_seed_bot_row_finding_past_grace_at_once(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	kit_bot(k, "ETHUSDT", REC_SIDE_LONG, 2, "active");
	struct rec_finding f = stored(k, REC_PHANTOM_POSITION, "ETHUSDT", T - HOUR);
	rec_memory_seed(k->m, &f);
	kit_run(k, T);
	const struct rec_finding *o = kit_find(k, REC_PHANTOM_POSITION, "ETHUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T - HOUR);
	kit_free(k);
}

static void test_seed_finding_gone_is_resolved_once(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE); /* the stop was cancelled meanwhile */
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", T - HOUR);
	rec_memory_seed(k->m, &f);
	kit_run(k, T);
	CU_ASSERT_PTR_NULL(kit_find(k, REC_ORPHAN_ORDER, NULL));
	CU_ASSERT_EQUAL(resolved(k), 1);
	CU_ASSERT_EQUAL(rec_memory_open_count(k->m), 0);
	kit_run(k, T + 1000);
	CU_ASSERT_EQUAL(resolved(k), 0);
	kit_free(k);
}

static void test_seed_finding_kept_while_orders_unreadable(void)
{
	struct kit *k = orphan_stop_account();
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", T - HOUR);
	rec_memory_seed(k->m, &f);
	k->s.orders_ok = false;
	kit_run(k, T);
	CU_ASSERT_EQUAL(resolved(k), 0);
	k->s.orders_ok = true;
	kit_run(k, T + 1000);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T - HOUR);
	kit_free(k);
}

struct conds {
	char key[8][REC_KEY_MAX + 8];
	char sym[8][REC_SYM_MAX];
	char kind[8];
	int64_t first[8];
	size_t n;
};

static void keep_cond(void *ud, const char *key, const char *symbol, char kind, int64_t first_ms)
{
	struct conds *c = ud;
	if (c->n == 8)
		return;
	snprintf(c->key[c->n], sizeof c->key[0], "%s", key);
	snprintf(c->sym[c->n], sizeof c->sym[0], "%s", symbol);
	c->kind[c->n] = kind;
	c->first[c->n++] = first_ms;
}

static void test_seed_condition_in_grace_continues(void)
{
	/* cron: one run sees the stop in grace, the next (a new memory)
	 * continues the clock from the stored condition */
	struct kit *a = orphan_stop_account();
	kit_run(a, T);
	CU_ASSERT_PTR_NULL(kit_find(a, REC_ORPHAN_ORDER, NULL));
	struct conds c;
	memset(&c, 0, sizeof c);
	rec_memory_conds(a->m, keep_cond, &c);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_EQUAL(c.first[0], T);
	kit_free(a);

	struct kit *b = orphan_stop_account();
	for (size_t i = 0; i < c.n; i++)
		rec_memory_seed_cond(b->m, c.key[i], c.sym[i], c.kind[i], c.first[i]);
	rec_memory_seed_cond(b->m, "junk", "", 'f', T); /* a finding kind is not a condition */
	rec_memory_seed_cond(b->m, "junk", "", '?', T);
	kit_run(b, T + 10000);
	CU_ASSERT_PTR_NULL(kit_find(b, REC_ORPHAN_ORDER, NULL));
	kit_run(b, T + 31000);
	const struct rec_finding *o = kit_find(b, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T + 31000); /* a new finding: seen now */
	memset(&c, 0, sizeof c);
	rec_memory_conds(b->m, keep_cond, &c);
	CU_ASSERT_EQUAL(c.n, 1); /* the junk was never taken */
	kit_free(b);
}

static void test_seed_own_sight_wins(void)
{
	struct kit *k = orphan_stop_account();
	kit_run(k, T);
	kit_run(k, T + 31000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT"));
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", T - HOUR);
	rec_memory_seed(k->m, &f);
	kit_run(k, T + 32000);
	const struct rec_finding *o = kit_find(k, REC_ORPHAN_ORDER, "BTCUSDT");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL(o->first_seen_ms, T + 31000);
	kit_free(k);
}

static void test_seed_age_column_shows_stored_age(void)
{
	/* `vigil audit` prints AGE from first_seen: two hours, not 0s */
	int64_t now = wd_wall_ms();
	struct kit *k = orphan_stop_account();
	struct rec_finding f = stored(k, REC_ORPHAN_ORDER, "BTCUSDT", now - 2 * HOUR - 1000);
	rec_memory_seed(k->m, &f);
	kit_run(k, now);
	CU_ASSERT_EQUAL_FATAL(kit_count(k, REC_ORPHAN_ORDER), 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	wd_findings_print_table(out, k->f, k->nf, false);
	fclose(out);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ORPHAN_ORDER"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " 2h "));
	CU_ASSERT_PTR_NULL(strstr(buf, " 0s "));
	free(buf);
	kit_free(k);
}

void test_rec_memory_seed_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_seed_unseeded_memory_waits_grace", test_seed_unseeded_memory_waits_grace },
		{ "test_seed_order_finding_past_grace_at_once", test_seed_order_finding_past_grace_at_once },
		{ "test_seed_recent_finding_not_hidden_by_grace", test_seed_recent_finding_not_hidden_by_grace },
		{ "test_seed_bot_row_finding_past_grace_at_once", test_seed_bot_row_finding_past_grace_at_once },
		{ "test_seed_finding_gone_is_resolved_once", test_seed_finding_gone_is_resolved_once },
		{ "test_seed_finding_kept_while_orders_unreadable", test_seed_finding_kept_while_orders_unreadable },
		{ "test_seed_condition_in_grace_continues", test_seed_condition_in_grace_continues },
		{ "test_seed_own_sight_wins", test_seed_own_sight_wins },
		{ "test_seed_age_column_shows_stored_age", test_seed_age_column_shows_stored_age },
		{ NULL, NULL },
	};
	tu_add_suite("rec_memory_seed", tests);
}
