/* The notifier thread: drains the outbox, one channel's failure never
 * holds back another's messages, and a retry never overtakes. */
#include "alerts/notifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/xalloc.h"

struct chstate {
	struct alert_channel *ch;
	int64_t blocked_until; /* no sends before this (backoff / retry-after) */
	int fails;             /* consecutive failures */
};

/* A message that was delivered but could not be marked so (the outbox's
 * storage refused): it is never sent again by this process; the mark is
 * retried no faster than the channel's backoff. */
struct unmarked {
	int64_t id;
	int64_t next_try_ms;
	int tries;
};

#define UNMARKED_MAX 4096

struct alert_notifier {
	struct alert_outbox *ob;
	struct unmarked *um;
	size_t num;
	struct chstate *cs;
	size_t ncs;
	struct alert_notifier_conf conf;
	unsigned rng;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started, stopping, kicked;
	int64_t flush_deadline;
	alert_delivery_fn on_delivery;
	void *on_delivery_ud;
};

struct alert_notifier *alert_notifier_new(struct alert_outbox *o, struct alert_channel **chs, size_t n,
					  const struct alert_notifier_conf *conf)
{
	struct alert_notifier *nt = xcalloc(1, sizeof *nt);
	nt->ob = o;
	nt->cs = xcalloc(n ? n : 1, sizeof *nt->cs);
	nt->ncs = n;
	for (size_t i = 0; i < n; i++)
		nt->cs[i].ch = chs[i];
	struct alert_notifier_conf d = {
		.poll_ms = 500, .backoff_base_ms = 2000, .backoff_max_ms = 300000, .batch = 64
	};
	if (conf) {
		if (conf->poll_ms > 0)
			d.poll_ms = conf->poll_ms;
		if (conf->backoff_base_ms > 0)
			d.backoff_base_ms = conf->backoff_base_ms;
		if (conf->backoff_max_ms > 0)
			d.backoff_max_ms = conf->backoff_max_ms;
		if (conf->batch > 0)
			d.batch = conf->batch;
	}
	nt->conf = d;
	nt->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)nt;
	pthread_mutex_init(&nt->mu, NULL);
	pthread_cond_init(&nt->cv, NULL);
	return nt;
}

void alert_notifier_set_delivery_observer(struct alert_notifier *nt, alert_delivery_fn fn, void *ud)
{
	nt->on_delivery = fn;
	nt->on_delivery_ud = ud;
}

static struct chstate *chan(struct alert_notifier *nt, const char *name)
{
	for (size_t i = 0; i < nt->ncs; i++)
		if (!strcmp(nt->cs[i].ch->name, name))
			return &nt->cs[i];
	return NULL;
}

/* Exponential in consecutive failures, +-20 % jitter so many vigils do not
 * retry in step, and never sooner than the far end asked. */
static int64_t backoff(struct alert_notifier *nt, int fails, int64_t retry_after_ms)
{
	int64_t d = nt->conf.backoff_base_ms;
	for (int i = 1; i < fails && d < nt->conf.backoff_max_ms; i++)
		d *= 2;
	if (d > nt->conf.backoff_max_ms)
		d = nt->conf.backoff_max_ms;
	double j = 0.8 + 0.4 * ((double)rand_r(&nt->rng) / RAND_MAX);
	d = (int64_t)((double)d * j);
	if (d < retry_after_ms)
		d = retry_after_ms;
	return d > 0 ? d : 1;
}

static struct unmarked *unmarked_find(struct alert_notifier *nt, int64_t id)
{
	for (size_t i = 0; i < nt->num; i++)
		if (nt->um[i].id == id)
			return &nt->um[i];
	return NULL;
}

static void unmarked_add(struct alert_notifier *nt, int64_t id, int64_t now_ms)
{
	if (nt->num == UNMARKED_MAX) {
		/* the oldest may be sent once more: duplicates over silence */
		log_error("alert", "outbox: %d delivered messages cannot be marked; id=%lld may be sent again",
			  UNMARKED_MAX, (long long)nt->um[0].id);
		memmove(nt->um, nt->um + 1, (nt->num - 1) * sizeof *nt->um);
		nt->num--;
	}
	nt->um = xrealloc(nt->um, (nt->num + 1) * sizeof *nt->um);
	nt->um[nt->num++] = (struct unmarked){ id, now_ms + backoff(nt, 1, 0), 1 };
}

/* A due message this process already delivered: retry its mark when its
 * time comes; never send it again. true when m was such a message. */
static bool retry_unmarked(struct alert_notifier *nt, const struct alert_msg *m, int64_t now_ms)
{
	struct unmarked *u = unmarked_find(nt, m->id);
	if (!u)
		return false;
	if (u->next_try_ms > now_ms)
		return true;
	if (nt->ob->ops->delivered(nt->ob, m->id, now_ms) == 0) {
		log_info("alert", "outbox: id=%lld marked delivered after %d tries", (long long)m->id, u->tries);
		*u = nt->um[--nt->num];
		return true;
	}
	u->tries++;
	u->next_try_ms = now_ms + backoff(nt, u->tries, 0);
	return true;
}

int alert_notifier_step(struct alert_notifier *nt, int64_t now_ms)
{
	struct alert_msg *m;
	size_t n;
	if (nt->ob->ops->due(nt->ob, now_ms, nt->conf.batch, &m, &n) != 0) {
		log_warn("alert", "outbox: cannot read due messages");
		return 0;
	}
	int delivered = 0;
	for (size_t i = 0; i < n; i++) {
		if (retry_unmarked(nt, &m[i], now_ms))
			continue;
		struct chstate *cs = chan(nt, m[i].channel);
		if (!cs) {
			/* e.g. a channel disabled since it was queued: keep it, rarely retried */
			log_warn("alert", "no channel '%s' for message id=%lld; kept", m[i].channel,
				 (long long)m[i].id);
			nt->ob->ops->failed(nt->ob, m[i].id, now_ms + 3600000, "no such channel");
			continue;
		}
		if (cs->blocked_until > now_ms) {
			/* the channel failed earlier in this pass or backs off: wait behind it */
			nt->ob->ops->failed(nt->ob, m[i].id, cs->blocked_until, "channel backing off");
			continue;
		}
		struct alert_send_status st;
		memset(&st, 0, sizeof st);
		int rc = cs->ch->send(cs->ch, &m[i], &st);
		log_redact(st.err, sizeof st.err);
		if (nt->on_delivery)
			nt->on_delivery(nt->on_delivery_ud, cs->ch, &m[i], rc == ALERT_SEND_OK, &st);
		if (rc == ALERT_SEND_OK) {
			cs->fails = 0;
			if (nt->ob->ops->delivered(nt->ob, m[i].id, now_ms) != 0) {
				log_error("alert", "outbox: cannot mark id=%lld delivered; it is not sent again",
					  (long long)m[i].id);
				unmarked_add(nt, m[i].id, now_ms);
				continue; /* not counted: the loop waits its poll before the next pass */
			}
			delivered++;
			continue;
		}
		cs->fails++;
		int64_t d = backoff(nt, cs->fails, st.retry_after_ms);
		cs->blocked_until = now_ms + d;
		log_warn("alert", "send failed channel=%s id=%lld attempt=%d retry_in_ms=%lld err=\"%s\"", cs->ch->name,
			 (long long)m[i].id, m[i].attempts + 1, (long long)d, st.err);
		nt->ob->ops->failed(nt->ob, m[i].id, cs->blocked_until, st.err);
	}
	alert_msgs_free(m, n);
	return delivered;
}

static void *run(void *arg)
{
	struct alert_notifier *nt = arg;
	pthread_mutex_lock(&nt->mu);
	while (!nt->stopping) {
		pthread_mutex_unlock(&nt->mu);
		int k = alert_notifier_step(nt, alert_now_ms());
		pthread_mutex_lock(&nt->mu);
		if (k > 0 || nt->stopping)
			continue;
		if (!nt->kicked) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t ns = ts.tv_nsec + (nt->conf.poll_ms % 1000) * 1000000;
			ts.tv_sec += nt->conf.poll_ms / 1000 + ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			pthread_cond_timedwait(&nt->cv, &nt->mu, &ts);
		}
		nt->kicked = false;
	}
	int64_t deadline = nt->flush_deadline;
	pthread_mutex_unlock(&nt->mu);
	/* flush what is queued, bounded by the deadline */
	while (nt->ob->ops->pending(nt->ob, "") > 0 && alert_now_ms() < deadline) {
		if (alert_notifier_step(nt, alert_now_ms()) == 0) {
			struct timespec sl = { 0, 20 * 1000000 };
			nanosleep(&sl, NULL);
		}
	}
	return NULL;
}

int alert_notifier_start(struct alert_notifier *nt)
{
	if (nt->started)
		return 0;
	if (pthread_create(&nt->th, NULL, run, nt) != 0)
		return -1;
	nt->started = true;
	return 0;
}

void alert_notifier_kick(void *arg)
{
	struct alert_notifier *nt = arg;
	pthread_mutex_lock(&nt->mu);
	nt->kicked = true;
	pthread_cond_signal(&nt->cv);
	pthread_mutex_unlock(&nt->mu);
}

size_t alert_notifier_stop(struct alert_notifier *nt, int64_t deadline_ms)
{
	if (nt->started) {
		pthread_mutex_lock(&nt->mu);
		nt->stopping = true;
		nt->flush_deadline = alert_now_ms() + deadline_ms;
		pthread_cond_signal(&nt->cv);
		pthread_mutex_unlock(&nt->mu);
		pthread_join(nt->th, NULL);
		nt->started = false;
	}
	size_t left = nt->ob->ops->pending(nt->ob, "");
	if (left)
		log_warn("alert", "notifier stopped with %zu undelivered message(s) kept in the outbox", left);
	return left;
}

void alert_notifier_free(struct alert_notifier *nt)
{
	if (!nt)
		return;
	alert_notifier_stop(nt, 0);
	pthread_mutex_destroy(&nt->mu);
	pthread_cond_destroy(&nt->cv);
	free(nt->um);
	free(nt->cs);
	free(nt);
}
