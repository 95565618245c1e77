/* The alert router with injected time: holds, repeats, resolve, ack,
 * inhibition, escalation, rate limits, health events. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testutil.h"
#include "tests/unit/test_alert_kit.h"

/* routes: log (all), telegram (warning+, rate tg_rate), smtp (critical, escalation) */
static void fx_init(struct fx *x, int tg_rate)
{
	struct alert_router_conf c = {
		.repeat_interval_ms = 30 * MIN,
		.warning_hold_ms = MIN,
		.escalate_after_ms = 15 * MIN,
	};
	snprintf(c.conf_path, sizeof c.conf_path, "/etc/vigil/test.conf");
	struct alert_route rt[3] = {
		{ .channel = "log", .min_severity = REC_SEV_INFO },
		{ .channel = "telegram", .min_severity = REC_SEV_WARNING, .rate_per_minute = tg_rate },
		{ .channel = "smtp", .min_severity = REC_SEV_CRITICAL, .escalation = true },
	};
	x->ob = alert_outbox_mem_new();
	x->r = alert_router_new(&c, rt, 3, x->ob);
}

static struct rec_finding mk(const char *acct, const char *sym, enum rec_code code)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "%s", acct);
	f.exchange = REC_EX_BINANCE;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	f.rest.present = f.stream.present = true;
	f.rest.side = f.stream.side = f.pos_side = REC_SIDE_LONG;
	f.rest.size = f.stream.size = f.pos_size = 1.5;
	f.repairable = true;
	return f;
}

static void test_alert_router_critical_alerts_at_once_and_only_once(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 0), 3);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL BTCUSDT UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", NULL), 1);
	CU_ASSERT_EQUAL(count(m, n, "log", NULL), 1);
	CU_ASSERT_STRING_EQUAL(m[0].key, "main:binance:BTCUSDT:UNPROTECTED_POSITION");
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].body, "vigil repair -c /etc/vigil/test.conf --account main sl BTCUSDT"));
	alert_msgs_free(m, n);
	for (int64_t t = 1000; t < 15 * MIN; t += 3 * MIN)
		CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, t), 0);
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	fx_free(&x);
}

static void test_alert_router_warning_waits_for_hold_and_a_flap_is_never_sent(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding w = mk("main", "ETHUSDT", REC_ORPHAN_ORDER);
	struct rec_finding flap = mk("main", "SOLUSDT", REC_SIZE_MISMATCH);
	struct rec_finding both[2] = { w, flap };
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", both, 2, NULL, 0), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &w, 1, NULL, 30000), 0); /* flap gone inside the hold */
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &w, 1, NULL, MIN - 1), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &w, 1, NULL, MIN), 2); /* log + telegram */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "WARNING ETHUSDT ORPHAN_ORDER"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", NULL), 0);
	CU_ASSERT_EQUAL(count(m, n, NULL, "SOLUSDT"), 0);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_router_repeats_only_after_the_interval(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_ORPHAN_POSITION);
	alert_router_update(x.r, "main", &f, 1, NULL, 0);
	drain(&x, NULL);
	alert_router_ack(x.r, "nope", 0);
	/* the escalation (15 min) is the only thing in between */
	CU_ASSERT_EQUAL(alert_router_tick(x.r, 30 * MIN - 1), 1);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "(repeat)"), 0);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 30 * MIN), 3);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "CRITICAL (repeat) BTCUSDT"), 3);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_tick(x.r, 59 * MIN), 0);
	CU_ASSERT_EQUAL(alert_router_tick(x.r, 60 * MIN), 3);
	drain(&x, NULL);
	fx_free(&x);
}

static void test_alert_router_resolved_goes_to_the_channels_that_were_alerted(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding crit = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	struct rec_finding warn = mk("main", "ETHUSDT", REC_DUPLICATE_STOP);
	struct rec_finding other = mk("alt", "XRPUSDT", REC_UNPROTECTED_POSITION);
	struct rec_finding both[2] = { crit, warn };
	alert_router_update(x.r, "main", both, 2, NULL, 0);
	alert_router_update(x.r, "alt", &other, 1, NULL, 0);
	alert_router_update(x.r, "main", both, 2, NULL, 2 * MIN);
	drain(&x, NULL);
	CU_ASSERT_EQUAL(alert_router_open_count(x.r), 3);
	/* main now clean: both resolve; alt's finding is another account's and stays */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 3 * MIN), 5);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 5); /* crit: log+tg+smtp, warn: log+tg */
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 5);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "RESOLVED BTCUSDT"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "ETHUSDT"), 0);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_open_count(x.r), 1);
	/* it comes back: a new alert at once */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &crit, 1, NULL, 4 * MIN), 3);
	drain(&x, NULL);
	fx_free(&x);
}

static void test_alert_router_ack_silences_repeats_and_escalation_until_resolved(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_WRONG_SIDE_STOP);
	alert_router_update(x.r, "main", &f, 1, NULL, 0);
	drain(&x, NULL);
	CU_ASSERT_EQUAL(alert_router_ack(x.r, f.key, MIN), 0);
	CU_ASSERT_EQUAL(alert_router_ack(x.r, "main:binance:NOPE:ORPHAN_POSITION", MIN), -1);
	CU_ASSERT_EQUAL(alert_router_is_acked(x.r, f.key), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 20 * MIN), 0);   /* no escalation */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 90 * MIN), 0);   /* no repeat */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 91 * MIN), 3); /* resolved still said */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 3);
	alert_msgs_free(m, n);
	/* a new occurrence is not acknowledged */
	alert_router_update(x.r, "main", &f, 1, NULL, 92 * MIN);
	CU_ASSERT_EQUAL(alert_router_is_acked(x.r, f.key), 0);
	drain(&x, NULL);
	fx_free(&x);
}

static void test_alert_router_escalates_an_unacknowledged_critical_once(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_UNKNOWN_SIDE);
	struct rec_finding w = mk("main", "ETHUSDT", REC_ORPHAN_ORDER);
	struct rec_finding both[2] = { f, w };
	alert_router_update(x.r, "main", both, 2, NULL, 0);
	alert_router_update(x.r, "main", both, 2, NULL, MIN);
	drain(&x, NULL);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", both, 2, NULL, 15 * MIN - 1), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", both, 2, NULL, 15 * MIN), 1);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "ESCALATED CRITICAL BTCUSDT UNKNOWN_SIDE"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].body, "not acknowledged"));
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", both, 2, NULL, 29 * MIN), 0);
	fx_free(&x);
}

static void test_alert_router_exchange_outage_holds_position_alerts(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f[4];
	f[0] = mk("main", "", REC_SOURCE_UNREACHABLE);
	f[0].severity = REC_SEV_CRITICAL;
	strcat(f[0].key, ":rest");
	f[1] = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	f[2] = mk("main", "ETHUSDT", REC_ORPHAN_POSITION);
	f[3] = mk("main", "SOLUSDT", REC_WRONG_SIDE_STOP);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f, 4, NULL, 0), 3); /* one outage alert, 3 channels */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "SOURCE_UNREACHABLE"), 3);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[1].key), 1);
	/* while down the audit cannot see positions: they are not "resolved" */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f, 1, NULL, MIN), 0);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[2].key), 1);
	/* back: the outage resolves; positions still open now alert */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f + 1, 2, NULL, 2 * MIN), 3 + 6);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED - SOURCE_UNREACHABLE"), 3);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL BTCUSDT"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "SOLUSDT"), 0); /* gone, never alerted: silent */
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[3].key), -1);
	fx_free(&x);
}

static void test_alert_router_db_or_stream_outage_holds_only_what_depends_on_it(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f[5];
	f[0] = mk("main", "", REC_SOURCE_UNREACHABLE);
	strcat(f[0].key, ":db");
	f[1] = mk("main", "BTCUSDT", REC_ORPHAN_POSITION);      /* needs the DB: held */
	f[2] = mk("main", "ETHUSDT", REC_UNPROTECTED_POSITION); /* exchange facts: sent */
	f[3] = mk("main", "", REC_STREAM_DOWN);
	f[4] = mk("main", "SOLUSDT", REC_UNPROTECTED_POSITION); /* only the stream saw it: held */
	f[4].rest.present = false;
	alert_router_update(x.r, "main", f, 5, NULL, 0);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[1].key), 1);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[2].key), 0);
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, f[4].key), 1);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "ETHUSDT"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "BTCUSDT"), 0);
	CU_ASSERT_EQUAL(count(m, n, NULL, "SOLUSDT"), 0);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_router_rate_limit_delays_new_and_skips_repeats(void)
{
	struct fx x;
	fx_init(&x, 2);
	struct rec_finding f[3] = { mk("main", "AUSDT", REC_UNPROTECTED_POSITION),
				    mk("main", "BUSDT", REC_UNPROTECTED_POSITION),
				    mk("main", "CUSDT", REC_UNPROTECTED_POSITION) };
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f, 3, NULL, 0), 9);
	struct alert_msg *m;
	size_t n;
	x.ob->ops->due(x.ob, 0, 100, &m, &n);
	CU_ASSERT_EQUAL(count(m, n, "telegram", NULL), 2); /* third waits for the window */
	CU_ASSERT_EQUAL(count(m, n, "smtp", NULL), 3);
	alert_msgs_free(m, n);
	x.ob->ops->due(x.ob, MIN, 100, &m, &n);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CUSDT"), 1); /* delayed, not dropped */
	alert_msgs_free(m, n);
	drain(&x, NULL);
	/* repeats at 30 min: only two fit the window; the third is skipped
	 * (plus 3 escalations to smtp, due since 15 min) */
	CU_ASSERT_EQUAL(alert_router_tick(x.r, 30 * MIN), 8 + 3);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "(repeat)"), 2);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "(repeat)"), 3);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_router_health_events_fire_and_resolve(void)
{
	struct fx x;
	fx_init(&x, 0);
	CU_ASSERT_EQUAL(alert_router_notice(x.r, "start", REC_SEV_WARNING, "vigil started", 0), 2);
	CU_ASSERT_EQUAL(alert_router_health_set(x.r, "db_unreachable", REC_SEV_CRITICAL, "connection refused", 0), 3);
	CU_ASSERT_EQUAL(alert_router_health_set(x.r, "db_unreachable", REC_SEV_CRITICAL, "still refused", MIN), 0);
	/* an account's audit does not resolve vigil's own conditions */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, MIN), 0);
	CU_ASSERT_EQUAL(alert_router_health_clear(x.r, "db_unreachable", 2 * MIN), 3);
	CU_ASSERT_EQUAL(alert_router_health_clear(x.r, "db_unreachable", 3 * MIN), 0);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "WARNING vigil start"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "CRITICAL vigil db_unreachable"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "RESOLVED vigil db_unreachable"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "vigil:"), 0); /* key is in the key field */
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_router_failed_enqueue_is_retried_next_audit(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	alert_outbox_mem_fail_next(x.ob, 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 0), -1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 1000), 3);
	CU_ASSERT(drain(&x, NULL) >= 3);
	fx_free(&x);
}

static void test_alert_router_warning_turning_critical_alerts_again(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_SIZE_MISMATCH);
	alert_router_update(x.r, "main", &f, 1, NULL, 0);
	alert_router_update(x.r, "main", &f, 1, NULL, MIN);
	CU_ASSERT_EQUAL(drain(&x, NULL), 2);
	f.severity = REC_SEV_CRITICAL;
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 2 * MIN), 3);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "CRITICAL BTCUSDT SIZE_MISMATCH"), 1);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_router_action_text_reaches_the_message(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	const char *act[1] = { "placed STOP_MARKET SELL 1.5 @ 63700: verified" };
	alert_router_update(x.r, "main", &f, 1, act, 0);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(m[0].body, "vigil did: placed STOP_MARKET SELL 1.5 @ 63700: verified"));
	alert_msgs_free(m, n);
	fx_free(&x);
}

/* The RESOLVED body of a message found in m for channel "log". */
static const char *resolved_body(const struct alert_msg *m, size_t n, const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].channel, "log") && strstr(m[i].subject, "RESOLVED") && strstr(m[i].subject, code))
			return m[i].body;
	return NULL;
}

/* RESOLVED says what changed, and not the stale detail of the FIRING. */
static void test_alert_router_resolved_says_what_changed(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("main", "BTCUSDT", REC_UNPROTECTED_POSITION);
	snprintf(f.detail, sizeof f.detail, "no stop covers 30 on the SELL side");
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 0), 3);
	CU_ASSERT_EQUAL(drain(&x, NULL), 3);
	/* a partial stop appeared: UNDERSIZED_STOP now */
	struct rec_finding u = mk("main", "BTCUSDT", REC_UNDERSIZED_STOP);
	CU_ASSERT_TRUE(alert_router_update(x.r, "main", &u, 1, NULL, 1000) > 0);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	const char *b = resolved_body(m, n, "UNPROTECTED_POSITION");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "what changed: a stop now covers part of the position (now UNDERSIZED_STOP)"));
	CU_ASSERT_PTR_NULL(strstr(b, "no stop covers 30"));
	CU_ASSERT_PTR_NULL(strstr(b, "stream: "));
	alert_msgs_free(m, n);
	fx_free(&x);

	/* the position closed: its stop is left as an ORPHAN_ORDER */
	fx_init(&x, 0);
	struct rec_finding w = mk("main", "ETHUSDT", REC_WRONG_SIDE_STOP);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &w, 1, NULL, 0), 3);
	CU_ASSERT_EQUAL(drain(&x, NULL), 3);
	struct rec_finding o = mk("main", "ETHUSDT", REC_ORPHAN_ORDER);
	alert_router_update(x.r, "main", &o, 1, NULL, 1000);
	n = drain(&x, &m);
	b = resolved_body(m, n, "WRONG_SIDE_STOP");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "what changed: position closed (open now: ORPHAN_ORDER)"));
	alert_msgs_free(m, n);
	fx_free(&x);

	/* an order gone, after vigil cancelled it */
	fx_init(&x, 0);
	struct rec_finding d = mk("main", "SOLUSDT", REC_DUPLICATE_STOP);
	snprintf(d.order_id, sizeof d.order_id, "8812");
	d.severity = REC_SEV_CRITICAL; /* alert at once */
	const char *act[1] = { "cancel order 8812: ok (verified)" };
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &d, 1, act, 0), 3);
	CU_ASSERT_EQUAL(drain(&x, NULL), 3);
	alert_router_update(x.r, "main", NULL, 0, NULL, 1000);
	n = drain(&x, &m);
	b = resolved_body(m, n, "DUPLICATE_STOP");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "what changed: order 8812 gone (cancelled, filled or triggered)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b, "after vigil's action: cancel order 8812: ok (verified)"));
	alert_msgs_free(m, n);
	fx_free(&x);
}

/* One orphan position: ORPHAN_POSITION + UNPROTECTED_POSITION (+ a
 * warning) of one leg are one message per channel; each key still
 * resolves on its own, and repeats stay grouped. */
static void test_alert_router_groups_findings_of_one_position(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f[4] = { mk("main", "AVLUSDT", REC_ORPHAN_POSITION),
				    mk("main", "AVLUSDT", REC_UNPROTECTED_POSITION),
				    mk("main", "AVLUSDT", REC_SIZE_MISMATCH),
				    mk("main", "XRPUSDT", REC_UNPROTECTED_POSITION) };
	snprintf(f[1].detail, sizeof f[1].detail, "no stop covers 1.5");
	/* critical ones at once: AVLUSDT in one message, XRPUSDT in its own */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f, 4, NULL, 0), 6);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", NULL), 2);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL AVLUSDT ORPHAN_POSITION (main) + UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL XRPUSDT UNPROTECTED_POSITION (main)"), 1);
	for (size_t i = 0; i < n; i++)
		if (strstr(m[i].subject, "AVLUSDT")) {
			CU_ASSERT_PTR_NOT_NULL(strstr(m[i].body, "also on this position"));
			CU_ASSERT_PTR_NOT_NULL(
				strstr(m[i].body, "- critical UNPROTECTED_POSITION: no stop covers 1.5"));
			CU_ASSERT_PTR_NOT_NULL(strstr(m[i].body, "key: main:binance:AVLUSDT:UNPROTECTED_POSITION"));
		}
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_is_alerted(x.r, "main:binance:AVLUSDT:UNPROTECTED_POSITION"), 1);
	/* the warning waits for its hold and then goes alone (the others are out) */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", f, 4, NULL, MIN + 1), 2);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "WARNING AVLUSDT SIZE_MISMATCH (main)"), 1);
	alert_msgs_free(m, n);
	/* a repeat: one per position */
	/* (escalations, past escalate_after, are per key: not counted here) */
	CU_ASSERT_TRUE(alert_router_update(x.r, "main", f, 4, NULL, 30 * MIN + 10) >= 6);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", NULL), 2);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "(repeat) AVLUSDT ORPHAN_POSITION (main) + UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "(repeat) XRPUSDT"), 1);
	alert_msgs_free(m, n);
	/* a stop was placed: UNPROTECTED alone resolves */
	struct rec_finding g[3] = { f[0], f[2], f[3] };
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", g, 3, NULL, 30 * MIN + 20), 3);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "RESOLVED AVLUSDT UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "RESOLVED AVLUSDT UNPROTECTED_POSITION"), 1);
	alert_msgs_free(m, n);
	fx_free(&x);
}

void test_alert_router_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_alert_router_resolved_says_what_changed", test_alert_router_resolved_says_what_changed },
		{ "test_alert_router_groups_findings_of_one_position",
		  test_alert_router_groups_findings_of_one_position },
		{ "test_alert_router_critical_alerts_at_once_and_only_once",
		  test_alert_router_critical_alerts_at_once_and_only_once },
		{ "test_alert_router_warning_waits_for_hold_and_a_flap_is_never_sent",
		  test_alert_router_warning_waits_for_hold_and_a_flap_is_never_sent },
		{ "test_alert_router_repeats_only_after_the_interval",
		  test_alert_router_repeats_only_after_the_interval },
		{ "test_alert_router_resolved_goes_to_the_channels_that_were_alerted",
		  test_alert_router_resolved_goes_to_the_channels_that_were_alerted },
		{ "test_alert_router_ack_silences_repeats_and_escalation_until_resolved",
		  test_alert_router_ack_silences_repeats_and_escalation_until_resolved },
		{ "test_alert_router_escalates_an_unacknowledged_critical_once",
		  test_alert_router_escalates_an_unacknowledged_critical_once },
		{ "test_alert_router_exchange_outage_holds_position_alerts",
		  test_alert_router_exchange_outage_holds_position_alerts },
		{ "test_alert_router_db_or_stream_outage_holds_only_what_depends_on_it",
		  test_alert_router_db_or_stream_outage_holds_only_what_depends_on_it },
		{ "test_alert_router_rate_limit_delays_new_and_skips_repeats",
		  test_alert_router_rate_limit_delays_new_and_skips_repeats },
		{ "test_alert_router_health_events_fire_and_resolve",
		  test_alert_router_health_events_fire_and_resolve },
		{ "test_alert_router_failed_enqueue_is_retried_next_audit",
		  test_alert_router_failed_enqueue_is_retried_next_audit },
		{ "test_alert_router_warning_turning_critical_alerts_again",
		  test_alert_router_warning_turning_critical_alerts_again },
		{ "test_alert_router_action_text_reaches_the_message",
		  test_alert_router_action_text_reaches_the_message },
		{ NULL, NULL },
	};
	tu_add_suite("alert_router", tests);
}
