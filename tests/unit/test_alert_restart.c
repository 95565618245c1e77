/* The alert router across restarts and around repairs (injected time):
 * state seeded from what a previous run stored, actions vigil took while a
 * finding was held, the stream's connect grace at start, the observer. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testutil.h"
#include "tests/unit/test_alert_kit.h"

/* routes: telegram (warning+), smtp (critical) */
static void fx_init(struct fx *x, int64_t hold_ms)
{
	struct alert_router_conf c = {
		.repeat_interval_ms = 60 * MIN,
		.warning_hold_ms = hold_ms,
	};
	snprintf(c.conf_path, sizeof c.conf_path, "/etc/vigil/test.conf");
	struct alert_route rt[2] = {
		{ .channel = "telegram", .min_severity = REC_SEV_WARNING },
		{ .channel = "smtp", .min_severity = REC_SEV_CRITICAL },
	};
	x->ob = alert_outbox_mem_new();
	x->r = alert_router_new(&c, rt, 2, x->ob);
}

static struct rec_finding mk(const char *sym, enum rec_code code)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = rec_code_default_severity(code);
	snprintf(f.account, sizeof f.account, "main");
	f.exchange = REC_EX_BINANCE;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	f.rest.present = true;
	f.rest.side = f.pos_side = REC_SIDE_SHORT;
	f.rest.size = f.pos_size = 2;
	return f;
}

static struct alert_router_seed seed_of(const struct rec_finding *f, int64_t alerted_ms)
{
	struct alert_router_seed s;
	memset(&s, 0, sizeof s);
	s.f = *f;
	s.alerted = true;
	s.alerted_ms = alerted_ms;
	s.alerted_sev = f->severity;
	return s;
}

/* A restart used to send FIRING again for every finding still open. */
static void test_alert_restart_seeded_open_finding_is_not_sent_again_before_repeat(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	struct alert_router_seed sd = seed_of(&f, 1000);
	CU_ASSERT_EQUAL(alert_router_seed(x.r, &sd, 5000), 0);
	CU_ASSERT_EQUAL(alert_router_is_alerted(x.r, f.key), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 5000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 30 * MIN), 0);
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	/* the repeat still comes, counted from the stored alert time */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 1000 + 60 * MIN), 2);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "(repeat)"), 2);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_restart_seeded_finding_gone_meanwhile_gets_its_resolved(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	struct alert_router_seed sd = seed_of(&f, 1000);
	alert_router_seed(x.r, &sd, 5000);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 6000), 2);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "RESOLVED"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "RESOLVED"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "LTCUSDT"), 2);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(alert_router_open_count(x.r), 0);
	fx_free(&x);
}

/* The restarted classifier's grace periods start afresh: a restored
 * finding missing from the first audits is not resolved at once (else
 * RESOLVED + a second FIRING when it comes back). */
static void test_alert_restart_seeded_finding_missing_during_settle_is_not_resolved(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("BASUSDT", REC_PHANTOM_POSITION);
	struct alert_router_seed sd = seed_of(&f, 1000);
	sd.settle_until_ms = 7000;
	alert_router_seed(x.r, &sd, 5000);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 5100), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 6600), 0); /* back: no FIRING */
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 6900), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 7000), 1); /* telegram RESOLVED */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "RESOLVED"), 1);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_restart_seeded_ack_keeps_repeats_silent(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	struct alert_router_seed sd = seed_of(&f, 1000);
	sd.acked = true;
	alert_router_seed(x.r, &sd, 5000);
	CU_ASSERT_EQUAL(alert_router_is_acked(x.r, f.key), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 3 * 60 * MIN), 0);
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	fx_free(&x);
}

static void test_alert_restart_seed_without_alert_or_action_is_refused(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	struct alert_router_seed sd = seed_of(&f, 1000);
	sd.alerted = false;
	CU_ASSERT_EQUAL(alert_router_seed(x.r, &sd, 5000), -1);
	sd.alerted = true;
	sd.f.key[0] = '\0';
	CU_ASSERT_EQUAL(alert_router_seed(x.r, &sd, 5000), -1);
	CU_ASSERT_EQUAL(alert_router_open_count(x.r), 0);
	/* a finding never seeded alerts normally */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 5000), 2);
	CU_ASSERT_EQUAL(drain(&x, NULL), 2);
	fx_free(&x);
}

/* Stream down: ORPHAN_ORDER is held; full mode cancels the order in the
 * same audit, so the next audit no longer sees it. Used to be silent. */
static void test_alert_restart_action_on_held_finding_is_alerted(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding down = mk("", REC_STREAM_DOWN);
	struct rec_finding oo = mk("BASUSDT", REC_ORPHAN_ORDER);
	oo.stream.present = true; /* the stale stream still shows the position */
	oo.rest.present = false;
	struct rec_finding both[2] = { down, oo };
	/* without an action it stays held */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", both, 2, NULL, 0), 1); /* STREAM_DOWN, telegram */
	CU_ASSERT_EQUAL(alert_router_is_held(x.r, oo.key), 1);
	drain(&x, NULL);
	const char *did[2] = { NULL, "cancel_order BASUSDT SELL qty 1216 trigger 0.9: done" };
	const bool acted[2] = { false, true };
	CU_ASSERT_EQUAL(alert_router_update_acted(x.r, "main", both, 2, did, acted, 1000), 1);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "ORPHAN_ORDER"), 1);
	CU_ASSERT(n == 1 && strstr(m[0].body, "cancel_order BASUSDT") != NULL);
	alert_msgs_free(m, n);
	/* gone next audit (stream still down): its RESOLVED comes once the outage ends */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &down, 1, NULL, 2000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 3000), 2);
	n = drain(&x, &m);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "RESOLVED"), 2);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_restart_action_skips_the_warning_hold(void)
{
	struct fx x;
	fx_init(&x, 10 * MIN);
	struct rec_finding oo = mk("BASUSDT", REC_ORPHAN_ORDER);
	const char *did[1] = { "cancel_order BASUSDT: done" };
	const bool acted[1] = { true };
	CU_ASSERT_EQUAL(alert_router_update_acted(x.r, "main", &oo, 1, did, acted, 0), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 500), 1); /* RESOLVED */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "RESOLVED"), 1);
	alert_msgs_free(m, n);
	/* without an action the hold still applies */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &oo, 1, NULL, 1000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 2000), 0);
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	fx_free(&x);
}

/* Killed after the repair and before the alert: the journal's action is
 * seeded at start; the finding is gone, FIRING (with what vigil did) and
 * RESOLVED still go out. */
static void test_alert_restart_seeded_action_of_gone_finding_fires_then_resolves(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("BTCUSDT", REC_UNPROTECTED_POSITION);
	struct alert_router_seed sd;
	memset(&sd, 0, sizeof sd);
	sd.f = f;
	sd.action = "close_position BTCUSDT SELL qty 0.01: done (recovered after restart)";
	CU_ASSERT_EQUAL(alert_router_seed(x.r, &sd, 5000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 6000), 4);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL BTCUSDT UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, "smtp", "RESOLVED"), 1);
	CU_ASSERT(n >= 1 && strstr(m[0].subject, "RESOLVED") == NULL &&
		  strstr(m[0].body, "close_position BTCUSDT SELL") != NULL);
	alert_msgs_free(m, n);
	fx_free(&x);
}

static void test_alert_restart_seeded_action_of_present_finding_fires_once(void)
{
	struct fx x;
	fx_init(&x, 10 * MIN);
	struct rec_finding f = mk("BTCUSDT", REC_ORPHAN_ORDER);
	struct alert_router_seed sd;
	memset(&sd, 0, sizeof sd);
	sd.f = f;
	sd.action = "cancel_order BTCUSDT: pending";
	alert_router_seed(x.r, &sd, 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 100), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &f, 1, NULL, 200), 0);
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT(n == 1 && strstr(m[0].body, "cancel_order BTCUSDT: pending") != NULL);
	alert_msgs_free(m, n);
	fx_free(&x);
}

/* What is due before a repair is what the update would fire: new
 * criticals, warnings past the hold, nothing held or already alerted. */
static void test_alert_restart_due_lists_what_the_update_would_fire(void)
{
	struct fx x;
	fx_init(&x, 10 * MIN);
	struct rec_finding c = mk("BTCUSDT", REC_UNPROTECTED_POSITION);
	struct rec_finding w = mk("ETHUSDT", REC_ORPHAN_ORDER);
	struct rec_finding l[2] = { c, w };
	bool due[2];
	CU_ASSERT_EQUAL(alert_router_due(x.r, "main", l, 2, 0, due), 1);
	CU_ASSERT_TRUE(due[0]);
	CU_ASSERT_FALSE(due[1]);
	CU_ASSERT_EQUAL(alert_router_open_count(x.r), 0); /* a question, no state */
	alert_router_update(x.r, "main", l, 2, NULL, 0);
	drain(&x, NULL);
	CU_ASSERT_EQUAL(alert_router_due(x.r, "main", l, 2, 10 * MIN, due), 1); /* c alerted, w past its hold */
	CU_ASSERT_FALSE(due[0]);
	CU_ASSERT_TRUE(due[1]);
	/* an exchange outage holds both */
	struct rec_finding out = mk("", REC_SOURCE_UNREACHABLE);
	struct rec_finding l3[3] = { c, w, out };
	bool due3[3];
	CU_ASSERT_EQUAL(alert_router_due(x.r, "main", l3, 2, 10 * MIN, due3), 1);
	snprintf(l3[2].key, sizeof l3[2].key, "main:binance::SOURCE_UNREACHABLE:rest");
	l3[2].severity = REC_SEV_CRITICAL;
	CU_ASSERT_EQUAL(alert_router_due(x.r, "main", l3, 3, 10 * MIN, due3), 1); /* only the outage itself */
	CU_ASSERT_FALSE(due3[0] || due3[1]);
	CU_ASSERT_TRUE(due3[2]);
	fx_free(&x);
}

/* Killed after the repair, before the update: the finding was recorded due
 * and never alerted; after the restart it is told even though gone. */
static void test_alert_restart_seeded_due_finding_is_told_once(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct rec_finding f = mk("SKLUSDT", REC_UNPROTECTED_POSITION);
	struct alert_router_seed sd;
	memset(&sd, 0, sizeof sd);
	sd.f = f;
	sd.tell = true;
	sd.settle_until_ms = 3000;
	CU_ASSERT_EQUAL(alert_router_seed(x.r, &sd, 1000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 1000), 2); /* FIRING now */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 2000), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 3000), 2); /* RESOLVED after settling */
	struct alert_msg *m;
	size_t n = drain(&x, &m);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_EQUAL(count(m, n, "telegram", "CRITICAL SKLUSDT UNPROTECTED_POSITION"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 2);
	alert_msgs_free(m, n);
	fx_free(&x);
}

/* The first audit runs before the stream connects: no STREAM_DOWN
 * FIRING + RESOLVED at every start. */
static void test_alert_restart_stream_down_inside_connect_grace_is_not_alerted(void)
{
	struct fx x;
	fx_init(&x, 0);
	alert_router_set_stream_grace(x.r, 5000);
	struct rec_finding down = mk("", REC_STREAM_DOWN);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &down, 1, NULL, 100), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 600), 0);
	CU_ASSERT_EQUAL(drain(&x, NULL), 0);
	/* after the grace a real outage alerts */
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &down, 1, NULL, 5000), 1);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", &down, 1, NULL, 5600), 0);
	CU_ASSERT_EQUAL(alert_router_update(x.r, "main", NULL, 0, NULL, 6000), 1);
	CU_ASSERT_EQUAL(drain(&x, NULL), 2);
	fx_free(&x);
}

struct obs_log {
	int firing, repeat, resolved;
	char last_key[REC_KEY_MAX];
};

static void obs(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms)
{
	(void)now_ms;
	struct obs_log *o = ud;
	if (k == ALERT_FIRING)
		o->firing++;
	else if (k == ALERT_REPEAT)
		o->repeat++;
	else if (k == ALERT_RESOLVED)
		o->resolved++;
	snprintf(o->last_key, sizeof o->last_key, "%s", f->key);
}

static void test_alert_restart_observer_hears_each_finding_alert_not_health(void)
{
	struct fx x;
	fx_init(&x, 0);
	struct obs_log o;
	memset(&o, 0, sizeof o);
	alert_router_set_observer(x.r, obs, &o);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	alert_router_update(x.r, "main", &f, 1, NULL, 0);
	alert_router_update(x.r, "main", &f, 1, NULL, 60 * MIN);
	alert_router_update(x.r, "main", NULL, 0, NULL, 61 * MIN);
	alert_router_health_set(x.r, "db_unreachable", REC_SEV_CRITICAL, "down", 0);
	CU_ASSERT_EQUAL(o.firing, 1);
	CU_ASSERT_EQUAL(o.repeat, 1);
	CU_ASSERT_EQUAL(o.resolved, 1);
	CU_ASSERT_STRING_EQUAL(o.last_key, f.key);
	drain(&x, NULL);
	fx_free(&x);
}

void test_alert_restart_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_alert_restart_seeded_open_finding_is_not_sent_again_before_repeat",
		  test_alert_restart_seeded_open_finding_is_not_sent_again_before_repeat },
		{ "test_alert_restart_seeded_finding_gone_meanwhile_gets_its_resolved",
		  test_alert_restart_seeded_finding_gone_meanwhile_gets_its_resolved },
		{ "test_alert_restart_seeded_finding_missing_during_settle_is_not_resolved",
		  test_alert_restart_seeded_finding_missing_during_settle_is_not_resolved },
		{ "test_alert_restart_seeded_ack_keeps_repeats_silent",
		  test_alert_restart_seeded_ack_keeps_repeats_silent },
		{ "test_alert_restart_seed_without_alert_or_action_is_refused",
		  test_alert_restart_seed_without_alert_or_action_is_refused },
		{ "test_alert_restart_action_on_held_finding_is_alerted",
		  test_alert_restart_action_on_held_finding_is_alerted },
		{ "test_alert_restart_action_skips_the_warning_hold",
		  test_alert_restart_action_skips_the_warning_hold },
		{ "test_alert_restart_seeded_action_of_gone_finding_fires_then_resolves",
		  test_alert_restart_seeded_action_of_gone_finding_fires_then_resolves },
		{ "test_alert_restart_seeded_action_of_present_finding_fires_once",
		  test_alert_restart_seeded_action_of_present_finding_fires_once },
		{ "test_alert_restart_due_lists_what_the_update_would_fire",
		  test_alert_restart_due_lists_what_the_update_would_fire },
		{ "test_alert_restart_seeded_due_finding_is_told_once",
		  test_alert_restart_seeded_due_finding_is_told_once },
		{ "test_alert_restart_stream_down_inside_connect_grace_is_not_alerted",
		  test_alert_restart_stream_down_inside_connect_grace_is_not_alerted },
		{ "test_alert_restart_observer_hears_each_finding_alert_not_health",
		  test_alert_restart_observer_hears_each_finding_alert_not_health },
		{ NULL, NULL },
	};
	tu_add_suite("alert_restart", tests);
}
