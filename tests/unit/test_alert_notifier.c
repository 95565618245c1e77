/* In-memory outbox and the notifier with a scripted channel and injected
 * time: delivered only when accepted, backoff, retry-after, per-channel
 * order, no duplicates, the flush deadline on stop. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/notifier.h"
#include "alerts/outbox_mem.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

struct script {
	int fail_next;          /* this many sends fail */
	int64_t retry_after_ms; /* reported with each failure */
	int64_t sent_ids[256];
	size_t nsent;
	int calls;
	int sleep_ms;
};

static int fake_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	struct script *s = ch->priv;
	memset(st, 0, sizeof *st);
	s->calls++;
	if (s->sleep_ms) {
		struct timespec ts = { 0, (long)s->sleep_ms * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (s->fail_next > 0) {
		s->fail_next--;
		st->retry_after_ms = s->retry_after_ms;
		snprintf(st->err, sizeof st->err, "HTTP 500");
		return ALERT_SEND_RETRY;
	}
	if (s->nsent < 256)
		s->sent_ids[s->nsent++] = m->id;
	return ALERT_SEND_OK;
}

static void fake_destroy(struct alert_channel *ch)
{
	free(ch);
}

static struct alert_channel *fake_ch(const char *name, struct script *s)
{
	struct alert_channel *ch = xcalloc(1, sizeof *ch);
	snprintf(ch->name, sizeof ch->name, "%s", name);
	ch->send = fake_send;
	ch->destroy = fake_destroy;
	ch->priv = s;
	return ch;
}

static int64_t put(struct alert_outbox *o, const char *channel, const char *body, int64_t at)
{
	struct alert_msg m;
	memset(&m, 0, sizeof m);
	snprintf(m.channel, sizeof m.channel, "%s", channel);
	snprintf(m.key, sizeof m.key, "k");
	snprintf(m.subject, sizeof m.subject, "s");
	m.body = (char *)body;
	m.next_attempt_ms = at;
	CU_ASSERT_EQUAL(o->ops->enqueue(o, &m), 0);
	return m.id;
}

static void test_alert_outbox_mem_keeps_order_and_due_times(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	int64_t a = put(o, "telegram", "a", 0), b = put(o, "smtp", "b", 500), c = put(o, "telegram", "c", 0);
	CU_ASSERT(a < b && b < c);
	struct alert_msg *m;
	size_t n;
	o->ops->due(o, 100, 10, &m, &n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(m[0].id, a);
	CU_ASSERT_STRING_EQUAL(m[1].body, "c");
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(o->ops->pending(o, "telegram"), 2);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 3);
	CU_ASSERT_EQUAL(o->ops->delivered(o, a, 100), 0);
	CU_ASSERT_EQUAL(o->ops->delivered(o, a, 100), -1); /* never twice */
	CU_ASSERT_EQUAL(o->ops->failed(o, c, 1000, "x"), 0);
	o->ops->due(o, 600, 10, &m, &n);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(m[0].id, b);
	alert_msgs_free(m, n);
	o->ops->due(o, 1000, 1, &m, &n); /* max respected */
	CU_ASSERT_EQUAL(n, 1);
	alert_msgs_free(m, n);
	CU_ASSERT_EQUAL(o->ops->pending(o, NULL), 2);
	o->ops->destroy(o);
}

static void test_alert_notifier_marks_delivered_only_after_acceptance(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script s = { .fail_next = 1 };
	struct alert_channel *ch = fake_ch("telegram", &s);
	struct alert_notifier_conf nc = { .backoff_base_ms = 1000, .backoff_max_ms = 8000 };
	struct alert_notifier *nt = alert_notifier_new(o, &ch, 1, &nc);
	put(o, "telegram", "a", 0);
	CU_ASSERT_EQUAL(alert_notifier_step(nt, 0), 0);
	CU_ASSERT_EQUAL(o->ops->pending(o, "telegram"), 1);
	CU_ASSERT_EQUAL(alert_notifier_step(nt, 700), 0); /* backoff >= 800 ms (1 s - 20 %) */
	CU_ASSERT_EQUAL(s.calls, 1);
	CU_ASSERT_EQUAL(alert_notifier_step(nt, 1300), 1);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 0);
	CU_ASSERT_EQUAL(alert_notifier_step(nt, 5000), 0);
	CU_ASSERT_EQUAL(s.nsent, 1);
	alert_notifier_free(nt);
	ch->destroy(ch);
	o->ops->destroy(o);
}

/* The full-disk storm: a message sent but not markable as delivered was
 * sent 13,800 times in 20 s. Now it is sent once; the mark is retried at
 * the backoff pace (not every pass) and lands when storage returns. */
static void test_alert_notifier_unmarkable_delivery_is_sent_once_and_mark_retried_slowly(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script s = { 0 };
	struct alert_channel *ch = fake_ch("telegram", &s);
	struct alert_notifier_conf nc = { .backoff_base_ms = 1000, .backoff_max_ms = 8000 };
	struct alert_notifier *nt = alert_notifier_new(o, &ch, 1, &nc);
	put(o, "telegram", "a", 0);
	alert_outbox_mem_fail_marks(o, 1000000);
	int64_t t = 0;
	for (int i = 0; i < 20000; i++, t += 1) /* 20 s of passes, one per ms */
		CU_ASSERT_EQUAL(alert_notifier_step(nt, t), 0);
	CU_ASSERT_EQUAL(s.nsent, 1);
	int tried = alert_outbox_mem_fail_marks(o, -1);
	CU_ASSERT(tried >= 2 && tried <= 8); /* 1 s, 2 s, 4 s, 8 s… backoff, +-20 % */
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 1);
	alert_outbox_mem_fail_marks(o, 0); /* storage is back */
	for (int i = 0; i < 20; i++, t += 1000)
		alert_notifier_step(nt, t);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 0);
	CU_ASSERT_EQUAL(s.nsent, 1);
	alert_notifier_free(nt);
	ch->destroy(ch);
	o->ops->destroy(o);
}

struct tally {
	int ok, failed;
	char last_channel[ALERT_CHANNEL_MAX];
	char last_err[256];
};

static void on_delivery(void *ud, const struct alert_channel *ch, const struct alert_msg *m, bool ok,
			const struct alert_send_status *st)
{
	struct tally *t = ud;
	(void)m;
	if (ok)
		t->ok++;
	else
		t->failed++;
	snprintf(t->last_channel, sizeof t->last_channel, "%s", ch->name);
	snprintf(t->last_err, sizeof t->last_err, "%s", st->err);
}

/* The delivery observer sees every send attempt (what the daemon counts
 * in vigil_alerts_delivered_total / _failed_total), not the skipped ones. */
static void test_alert_notifier_delivery_observer_sees_every_send(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script s = { .fail_next = 1 };
	struct alert_channel *ch = fake_ch("smtp", &s);
	struct alert_notifier_conf nc = { .backoff_base_ms = 1000, .backoff_max_ms = 8000 };
	struct alert_notifier *nt = alert_notifier_new(o, &ch, 1, &nc);
	struct tally t = { 0 };
	alert_notifier_set_delivery_observer(nt, on_delivery, &t);
	put(o, "smtp", "a", 0);
	put(o, "smtp", "b", 0);
	alert_notifier_step(nt, 0); /* a fails, b waits behind it (not sent) */
	CU_ASSERT_EQUAL(t.failed, 1);
	CU_ASSERT_EQUAL(t.ok, 0);
	CU_ASSERT_STRING_EQUAL(t.last_channel, "smtp");
	CU_ASSERT_STRING_EQUAL(t.last_err, "HTTP 500");
	CU_ASSERT_EQUAL(alert_notifier_step(nt, 5000), 2);
	CU_ASSERT_EQUAL(t.ok, 2);
	CU_ASSERT_EQUAL(t.failed, 1);
	CU_ASSERT_EQUAL(s.calls, 3);
	alert_notifier_free(nt);
	ch->destroy(ch);
	o->ops->destroy(o);
}

static void test_alert_notifier_backoff_grows_and_honours_retry_after(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script s = { .fail_next = 3 };
	struct alert_channel *ch = fake_ch("telegram", &s);
	struct alert_notifier_conf nc = { .backoff_base_ms = 1000, .backoff_max_ms = 60000 };
	struct alert_notifier *nt = alert_notifier_new(o, &ch, 1, &nc);
	put(o, "telegram", "a", 0);
	int64_t t = 0;
	alert_notifier_step(nt, t);         /* fail 1: ~1 s */
	alert_notifier_step(nt, t += 1300); /* fail 2: ~2 s */
	CU_ASSERT_EQUAL(s.calls, 2);
	alert_notifier_step(nt, t + 1500); /* too early (>= 1.6 s) */
	CU_ASSERT_EQUAL(s.calls, 2);
	s.retry_after_ms = 30000;
	alert_notifier_step(nt, t += 2500); /* fail 3 with retry_after 30 s */
	CU_ASSERT_EQUAL(s.calls, 3);
	alert_notifier_step(nt, t + 29000);
	CU_ASSERT_EQUAL(s.calls, 3);
	CU_ASSERT_EQUAL(alert_notifier_step(nt, t + 30000), 1);
	alert_notifier_free(nt);
	ch->destroy(ch);
	o->ops->destroy(o);
}

static void test_alert_notifier_down_channel_gets_all_in_order_and_others_flow(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script tg = { .fail_next = 5 }, mail = { 0 };
	struct alert_channel *chs[2] = { fake_ch("telegram", &tg), fake_ch("smtp", &mail) };
	struct alert_notifier_conf nc = { .backoff_base_ms = 100, .backoff_max_ms = 400 };
	struct alert_notifier *nt = alert_notifier_new(o, chs, 2, &nc);
	int64_t ids[6];
	for (int i = 0; i < 3; i++) {
		ids[2 * i] = put(o, "telegram", "t", 0);
		ids[2 * i + 1] = put(o, "smtp", "m", 0);
	}
	alert_notifier_step(nt, 0);
	CU_ASSERT_EQUAL(mail.nsent, 3); /* telegram being down does not hold mail back */
	CU_ASSERT_EQUAL(tg.calls, 1);   /* and one failure per pass, not one per message */
	for (int64_t t = 50; t < 10000 && o->ops->pending(o, ""); t += 50)
		alert_notifier_step(nt, t);
	CU_ASSERT_EQUAL(o->ops->pending(o, ""), 0);
	CU_ASSERT_EQUAL(tg.nsent, 3);
	for (int i = 0; i < 3 && i < (int)tg.nsent; i++)
		CU_ASSERT_EQUAL(tg.sent_ids[i], ids[2 * i]); /* enqueue order, none twice */
	CU_ASSERT_EQUAL(tg.calls, 5 + 3);
	alert_notifier_free(nt);
	chs[0]->destroy(chs[0]);
	chs[1]->destroy(chs[1]);
	o->ops->destroy(o);
}

static void test_alert_notifier_thread_drains_and_stop_respects_the_deadline(void)
{
	struct alert_outbox *o = alert_outbox_mem_new();
	struct script ok = { 0 }, dead = { .fail_next = 1 << 30 };
	struct alert_channel *chs[2] = { fake_ch("log", &ok), fake_ch("webhook", &dead) };
	struct alert_notifier_conf nc = { .poll_ms = 20, .backoff_base_ms = 50, .backoff_max_ms = 100 };
	struct alert_notifier *nt = alert_notifier_new(o, chs, 2, &nc);
	CU_ASSERT_EQUAL(alert_notifier_start(nt), 0);
	put(o, "log", "a", 0);
	put(o, "webhook", "b", 0);
	alert_notifier_kick(nt);
	for (int i = 0; i < 200 && o->ops->pending(o, "log"); i++) {
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
	CU_ASSERT_EQUAL(o->ops->pending(o, "log"), 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CU_ASSERT_EQUAL(alert_notifier_stop(nt, 300), 1); /* the dead channel's message stays queued */
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CU_ASSERT(ms >= 250 && ms < 2000);
	CU_ASSERT(dead.calls >= 2); /* it kept trying during the flush */
	alert_notifier_free(nt);
	chs[0]->destroy(chs[0]);
	chs[1]->destroy(chs[1]);
	o->ops->destroy(o);
}

void test_alert_notifier_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_alert_outbox_mem_keeps_order_and_due_times", test_alert_outbox_mem_keeps_order_and_due_times },
		{ "test_alert_notifier_unmarkable_delivery_is_sent_once_and_mark_retried_slowly",
		  test_alert_notifier_unmarkable_delivery_is_sent_once_and_mark_retried_slowly },
		{ "test_alert_notifier_marks_delivered_only_after_acceptance",
		  test_alert_notifier_marks_delivered_only_after_acceptance },
		{ "test_alert_notifier_delivery_observer_sees_every_send",
		  test_alert_notifier_delivery_observer_sees_every_send },
		{ "test_alert_notifier_backoff_grows_and_honours_retry_after",
		  test_alert_notifier_backoff_grows_and_honours_retry_after },
		{ "test_alert_notifier_down_channel_gets_all_in_order_and_others_flow",
		  test_alert_notifier_down_channel_gets_all_in_order_and_others_flow },
		{ "test_alert_notifier_thread_drains_and_stop_respects_the_deadline",
		  test_alert_notifier_thread_drains_and_stop_respects_the_deadline },
		{ NULL, NULL },
	};
	tu_add_suite("alert_notifier", tests);
}
