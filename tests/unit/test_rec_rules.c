/* One home per rule: verification after a repair (verify.c) and the
 * classifier's merge (rules.c) answer rule 1 the same way, with the same
 * rec_params (one stream_stale_ms). */
#include "tests/unit/test_rec_kit.h"

#include "exchanges/exchange.h"
#include "reconcile/verify.h"

#define NOW 1000000LL

static struct rec_stream_cache rr_cache; /* large: static */

static int rr_copy(struct xch *x, struct rec_stream_cache *out)
{
	*out = rr_cache;
	return 0;
}

static const struct xch_ops rr_ops = { .stream_copy = rr_copy };

static void test_verify_and_merge_agree_on_rule_1(void)
{
	static const struct {
		enum rec_stream_state st;
		int64_t connected, last_msg, seen, stale;
	} cases[] = {
		{ REC_SS_UP, NOW - 100000, NOW - 1000, NOW - 50000, 60000 },
		{ REC_SS_UP, NOW - 100000, NOW - 7000, NOW - 50000, 60000 },
		{ REC_SS_UP, NOW - 100000, NOW - 7000, NOW - 50000, 5000 }, /* stale by a short limit */
		{ REC_SS_UP, NOW - 100000, NOW - 5000, NOW - 50000, 5000 }, /* exactly at the limit */
		{ REC_SS_UP, NOW - 100000, NOW - 61000, NOW - 50000, 60000 },
		{ REC_SS_UP, NOW - 10000, NOW - 1000, NOW - 50000, 60000 }, /* from before the connection */
		{ REC_SS_UP, NOW - 10000, NOW - 1000, NOW - 10000, 60000 }, /* seen as it connected */
		{ REC_SS_DOWN, NOW - 100000, NOW - 1000, NOW - 50000, 60000 },
		{ REC_SS_CONNECTING, NOW - 100000, NOW - 1000, NOW - 50000, 60000 },
	};
	struct rec_fake_clock fc = { .now = NOW };
	struct rec_clock clk = rec_clock_fake(&fc);
	struct xch x = { .ops = &rr_ops };
	struct rec_ctx ctx;
	rec_ctx_init(&ctx, &x, &clk);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&rr_cache, 0, sizeof rr_cache);
		rr_cache.state = cases[i].st;
		rr_cache.connected_ms = cases[i].connected;
		rr_cache.last_msg_ms = cases[i].last_msg;
		struct rec_position sp = kit_pos("BTCUSDT", REC_SIDE_LONG, 1, cases[i].seen);
		CU_ASSERT_EQUAL(rec_stream_apply_position(&rr_cache, &sp), 0);
		struct rec_params p;
		rec_params_default(&p);
		p.stream_stale_ms = cases[i].stale;
		ctx.params = p;
		struct rec_merged m;
		rec_merge_position(&rr_cache, rec_stream_find_position(&rr_cache, "BTCUSDT", REC_PIDX_BOTH), true, NULL,
				   NOW, &p, &m);
		struct rec_position out;
		int v = rec_stream_position(&ctx, "BTCUSDT", REC_PIDX_BOTH, &out);
		if ((v == 1) != m.stream_auth)
			fprintf(stderr, "case %zu: verify %d, merge stream_auth %d\n", i, v, (int)m.stream_auth);
		CU_ASSERT_EQUAL(v == 1, m.stream_auth);
		CU_ASSERT_TRUE(v == 1 || v == -1);
		/* a symbol the fresh stream never reported: 0, not "no stream" */
		CU_ASSERT_EQUAL(rec_stream_position(&ctx, "ETHUSDT", REC_PIDX_BOTH, &out) == 0,
				rec_stream_is_fresh(&rr_cache, NOW, &p));
	}
	rec_ctx_free(&ctx);
}

void test_rec_rules_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_verify_and_merge_agree_on_rule_1", test_verify_and_merge_agree_on_rule_1 },
		{ NULL, NULL },
	};
	tu_add_suite("rec_rules", tests);
}
