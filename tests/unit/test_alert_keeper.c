/* The keeper over an in-memory store (injected time): what one run
 * records is what the next run's router is seeded from; actions never
 * alerted, findings due before a repair, acks made elsewhere. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/keeper.h"
#include "tests/support/testutil.h"
#include "tests/unit/test_alert_kit.h"
#include "base/xalloc.h"

/* What a database would keep between runs. */
struct mstore {
	struct alert_stored st[16];
	size_t nst;
	struct alert_stored_action acts[8]; /* text: static */
	bool act_alerted[8];
	size_t nacts;
	int loads, restores;
};

static struct alert_stored *ms_find(struct mstore *s, const char *key)
{
	for (size_t i = 0; i < s->nst; i++)
		if (!strcmp(s->st[i].f.key, key))
			return &s->st[i];
	return NULL;
}

static struct alert_stored *ms_get(struct mstore *s, const struct rec_finding *f)
{
	struct alert_stored *st = ms_find(s, f->key);
	if (!st && s->nst < 16) {
		st = &s->st[s->nst++];
		memset(st, 0, sizeof *st);
		st->f = *f;
		st->alerted_severity = -1;
	}
	return st;
}

static int ms_load(void *ud, const char *account, struct alert_stored **out, size_t *n, char *err, size_t errlen)
{
	struct mstore *s = ud;
	(void)account, (void)err, (void)errlen;
	s->loads++;
	*out = xcalloc(s->nst ? s->nst : 1, sizeof **out);
	memcpy(*out, s->st, s->nst * sizeof **out);
	*n = s->nst;
	return 0;
}

static int ms_unalerted(void *ud, const char *account, int64_t since_ms, struct alert_stored_action **out, size_t *n)
{
	struct mstore *s = ud;
	(void)account, (void)since_ms;
	*out = xcalloc(s->nacts ? s->nacts : 1, sizeof **out);
	*n = 0;
	for (size_t i = 0; i < s->nacts; i++)
		if (!s->act_alerted[i]) {
			(*out)[*n] = s->acts[i];
			(*out)[(*n)++].text = xstrdup(s->acts[i].text);
		}
	return 0;
}

static int ms_actions_alerted(void *ud, const int64_t *ids, size_t n, int64_t now_ms)
{
	struct mstore *s = ud;
	(void)now_ms;
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s->nacts; i++)
			if (s->acts[i].id == ids[k])
				s->act_alerted[i] = true;
	return 0;
}

static int ms_alerted(void *ud, const struct rec_finding *f, enum alert_kind k, int64_t now_ms)
{
	struct alert_stored *st = ms_get(ud, f);
	if (!st)
		return -1;
	if (k == ALERT_FIRING || !st->first_alerted_ms) {
		st->first_alerted_ms = now_ms;
		st->alerted_severity = (int)f->severity;
		st->alert_due_ms = 0;
	}
	if (k == ALERT_ESCALATED)
		st->escalated_ms = now_ms;
	st->last_alerted_ms = now_ms;
	return 0;
}

static int ms_due(void *ud, const struct rec_finding *f, int64_t now_ms)
{
	struct alert_stored *st = ms_get(ud, f);
	if (st && !st->alert_due_ms)
		st->alert_due_ms = now_ms;
	return st ? 0 : -1;
}

static int ms_restore(void *ud, const struct rec_finding *f, const struct alert_stored *from)
{
	struct mstore *s = ud;
	struct alert_stored *st = ms_get(s, f);
	s->restores++;
	st->first_alerted_ms = from->first_alerted_ms;
	st->last_alerted_ms = from->last_alerted_ms;
	st->alerted_severity = from->alerted_severity;
	return 0;
}

static int ms_acked(void *ud, const char *account, char (**keys)[REC_KEY_MAX], size_t *n)
{
	struct mstore *s = ud;
	(void)account;
	*keys = xcalloc(s->nst ? s->nst : 1, sizeof **keys);
	*n = 0;
	for (size_t i = 0; i < s->nst; i++)
		if (s->st[i].acked)
			snprintf((*keys)[(*n)++], REC_KEY_MAX, "%s", s->st[i].f.key);
	return 0;
}

static struct alert_state_loader loader_of(struct mstore *s)
{
	struct alert_state_loader ld = {
		.ud = s,
		.load = ms_load,
		.unalerted_actions = ms_unalerted,
		.actions_alerted = ms_actions_alerted,
		.alerted = ms_alerted,
		.due = ms_due,
		.restore = ms_restore,
		.acked = ms_acked,
	};
	return ld;
}

/* One run of vigil: router (telegram warning+) + keeper over s. */
struct run {
	struct fx x;
	struct alert_keeper *k;
};

static void run_start(struct run *r, struct mstore *s)
{
	struct alert_router_conf c = { .repeat_interval_ms = 60 * MIN };
	struct alert_route rt[1] = { { .channel = "telegram", .min_severity = REC_SEV_WARNING } };
	r->x.ob = alert_outbox_mem_new();
	r->x.r = alert_router_new(&c, rt, 1, r->x.ob);
	struct alert_state_loader ld = loader_of(s);
	r->k = alert_keeper_new(r->x.r, s ? &ld : NULL);
}

static void run_stop(struct run *r)
{
	alert_keeper_free(r->k);
	fx_free(&r->x);
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
	return f;
}

static int upd(struct run *r, const struct rec_finding *f, size_t n, int64_t now)
{
	return alert_keeper_update(r->k, "main", REC_EX_BINANCE, true, f, n, NULL, 0, 0, now);
}

static void test_alert_keeper_restart_does_not_resend_and_resolves_what_went(void)
{
	struct mstore s = { 0 };
	struct run a, b;
	struct rec_finding f1 = mk("LTCUSDT", REC_ORPHAN_POSITION), f2 = mk("BTCUSDT", REC_UNPROTECTED_POSITION);
	struct rec_finding both[2] = { f1, f2 };
	run_start(&a, &s);
	CU_ASSERT_EQUAL(upd(&a, both, 2, 1000), 2);
	CU_ASSERT_EQUAL(drain(&a.x, NULL), 2);
	run_stop(&a);
	CU_ASSERT_EQUAL(s.nst, 2);
	CU_ASSERT_EQUAL(ms_find(&s, f1.key)->first_alerted_ms, 1000);
	s.st[1].acked = true; /* `vigil ack` while vigil was down */
	/* the next run: f1 still open (not sent again), f2 gone (RESOLVED) */
	run_start(&b, &s);
	CU_ASSERT_EQUAL(upd(&b, &f1, 1, 5000), 1);
	CU_ASSERT_EQUAL(s.loads, 2);
	struct alert_msg *m;
	size_t n = drain(&b.x, &m);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 1);
	CU_ASSERT_EQUAL(count(m, n, NULL, "BTCUSDT"), 1);
	alert_msgs_free(m, n);
	/* seeded once per account; the repeat counts from the stored time */
	CU_ASSERT_EQUAL(upd(&b, &f1, 1, 1000 + 60 * MIN), 1);
	CU_ASSERT_EQUAL(s.loads, 2);
	run_stop(&b);
}

static void test_alert_keeper_ack_from_the_store_silences_repeats(void)
{
	struct mstore s = { 0 };
	struct run a;
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	run_start(&a, &s);
	CU_ASSERT_EQUAL(upd(&a, &f, 1, 1000), 1);
	ms_find(&s, f.key)->acked = true;
	upd(&a, &f, 1, 2000);
	CU_ASSERT_EQUAL(alert_router_is_acked(a.x.r, f.key), 1);
	drain(&a.x, NULL);
	CU_ASSERT_EQUAL(upd(&a, &f, 1, 3 * 60 * MIN), 0);
	run_stop(&a);
}

/* Killed between the repair and its alert: the stored action is alerted
 * by the next run (FIRING + RESOLVED, its finding is gone) and marked. */
static void test_alert_keeper_action_never_alerted_is_told_after_restart(void)
{
	struct mstore s = { 0 };
	struct rec_finding f = mk("SOLUSDT", REC_ORPHAN_POSITION);
	s.acts[0].id = 77;
	snprintf(s.acts[0].finding_key, sizeof s.acts[0].finding_key, "%s", f.key);
	s.acts[0].text = "close_position SOLUSDT: done (before vigil restarted)";
	s.acts[1].id = 78; /* this audit's own: told by the update, not seeded */
	snprintf(s.acts[1].finding_key, sizeof s.acts[1].finding_key, "%s", f.key);
	s.acts[1].text = "seeded twice";
	s.nacts = 2;
	struct run a;
	run_start(&a, &s);
	struct alert_audit_action now = { .id = 78, .finding_key = "", .text = "x", .told = false };
	CU_ASSERT_EQUAL(alert_keeper_update(a.k, "main", REC_EX_BINANCE, true, NULL, 0, &now, 1, 0, 5000), 2);
	struct alert_msg *m;
	size_t n = drain(&a.x, &m);
	CU_ASSERT_EQUAL(count(m, n, NULL, "SOLUSDT"), 2);
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 1);
	CU_ASSERT_PTR_NOT_NULL(n ? strstr(m[0].body, "before vigil restarted") : NULL);
	CU_ASSERT_PTR_NULL(n ? strstr(m[0].body, "seeded twice") : "");
	alert_msgs_free(m, n);
	CU_ASSERT_TRUE(s.act_alerted[0]);
	CU_ASSERT_FALSE(s.act_alerted[1]);
	run_stop(&a);
}

/* An action of this audit whose finding is not in the list: told once
 * (the store lists it unalerted too: not seeded a second time), marked. */
static void test_alert_keeper_told_action_is_alerted_and_marked(void)
{
	struct mstore s = { 0 };
	struct rec_finding f = mk("ADAUSDT", REC_ORPHAN_ORDER);
	s.acts[0].id = 5;
	snprintf(s.acts[0].finding_key, sizeof s.acts[0].finding_key, "%s", f.key);
	s.acts[0].text = "cancel_order ADAUSDT: done";
	s.nacts = 1;
	struct run a;
	run_start(&a, &s);
	struct alert_audit_action act = {
		.id = 5, .finding_key = f.key, .text = "cancel_order ADAUSDT: done", .told = true
	};
	CU_ASSERT_EQUAL(alert_keeper_update(a.k, "main", REC_EX_BINANCE, true, NULL, 0, &act, 1, 0, 5000), 2);
	CU_ASSERT_TRUE(s.act_alerted[0]);
	struct alert_msg *m;
	size_t n = drain(&a.x, &m);
	CU_ASSERT_EQUAL(n, 2); /* FIRING + RESOLVED */
	CU_ASSERT_EQUAL(count(m, n, NULL, "RESOLVED"), 1);
	alert_msgs_free(m, n);
	run_stop(&a);
}

/* Due before the repair, killed before the update: the next run tells it. */
static void test_alert_keeper_due_before_repair_is_told_after_restart(void)
{
	struct mstore s = { 0 };
	struct rec_finding f = mk("XRPUSDT", REC_UNPROTECTED_POSITION);
	struct run a, b;
	run_start(&a, &s);
	alert_keeper_before_repair(a.k, "main", &f, 1, 1000);
	CU_ASSERT_EQUAL(s.nst, 1);
	CU_ASSERT_EQUAL(s.st[0].alert_due_ms, 1000);
	run_stop(&a); /* killed: no update */
	run_start(&b, &s);
	CU_ASSERT_EQUAL(upd(&b, NULL, 0, 2000), 2); /* FIRING + RESOLVED */
	CU_ASSERT_EQUAL(drain(&b.x, NULL), 2);
	run_stop(&b);
}

/* Without a store the keeper is the router alone: nothing seeded. */
static void test_alert_keeper_without_store_alerts_again(void)
{
	struct run a;
	run_start(&a, NULL);
	struct rec_finding f = mk("LTCUSDT", REC_ORPHAN_POSITION);
	alert_keeper_before_repair(a.k, "main", &f, 1, 500);
	CU_ASSERT_EQUAL(upd(&a, &f, 1, 1000), 1);
	CU_ASSERT_EQUAL(alert_keeper_update(a.k, "main", REC_EX_BINANCE, false, NULL, 0, NULL, 0, 0, 2000), -1);
	run_stop(&a);
}

/* A restored finding missing at first (grace) is written back once seen. */
static void test_alert_keeper_restored_finding_is_written_back(void)
{
	struct mstore s = { 0 };
	struct rec_finding f = mk("DOTUSDT", REC_ORPHAN_POSITION);
	struct run a, b;
	run_start(&a, &s);
	upd(&a, &f, 1, 1000);
	run_stop(&a);
	run_start(&b, &s);
	CU_ASSERT_EQUAL(alert_keeper_update(b.k, "main", REC_EX_BINANCE, true, NULL, 0, NULL, 0, 9000, 2000), 0);
	CU_ASSERT_EQUAL(s.restores, 0);
	CU_ASSERT_EQUAL(alert_keeper_update(b.k, "main", REC_EX_BINANCE, true, &f, 1, NULL, 0, 9000, 3000), 0);
	CU_ASSERT_EQUAL(s.restores, 1);
	upd(&b, &f, 1, 4000);
	CU_ASSERT_EQUAL(s.restores, 1);
	run_stop(&b);
}

void test_alert_keeper_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_alert_keeper_restart_does_not_resend_and_resolves_what_went",
		  test_alert_keeper_restart_does_not_resend_and_resolves_what_went },
		{ "test_alert_keeper_ack_from_the_store_silences_repeats",
		  test_alert_keeper_ack_from_the_store_silences_repeats },
		{ "test_alert_keeper_action_never_alerted_is_told_after_restart",
		  test_alert_keeper_action_never_alerted_is_told_after_restart },
		{ "test_alert_keeper_told_action_is_alerted_and_marked",
		  test_alert_keeper_told_action_is_alerted_and_marked },
		{ "test_alert_keeper_due_before_repair_is_told_after_restart",
		  test_alert_keeper_due_before_repair_is_told_after_restart },
		{ "test_alert_keeper_without_store_alerts_again", test_alert_keeper_without_store_alerts_again },
		{ "test_alert_keeper_restored_finding_is_written_back",
		  test_alert_keeper_restored_finding_is_written_back },
		{ NULL, NULL },
	};
	tu_add_suite("alert_keeper", tests);
}
