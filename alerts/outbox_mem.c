/* In-memory outbox: a growing array in enqueue order; delivered entries are
 * compacted away so memory stays bounded by what is undelivered. */
#include "alerts/outbox_mem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

struct mem_box {
	pthread_mutex_t mu;
	struct alert_msg *m;
	size_t n, cap;
	int64_t seq;
	int fail_next;
	int fail_marks;
	int marks_tried;
};

static struct alert_msg copy_msg(const struct alert_msg *m)
{
	struct alert_msg c = *m;
	c.body = xstrdup(m->body ? m->body : "");
	return c;
}

static int mem_enqueue(struct alert_outbox *o, struct alert_msg *m)
{
	struct mem_box *b = o->priv;
	pthread_mutex_lock(&b->mu);
	if (b->fail_next > 0) {
		b->fail_next--;
		pthread_mutex_unlock(&b->mu);
		return -1;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->m = xrealloc(b->m, b->cap * sizeof *b->m);
	}
	m->id = ++b->seq;
	b->m[b->n++] = copy_msg(m);
	pthread_mutex_unlock(&b->mu);
	return 0;
}

static int mem_due(struct alert_outbox *o, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n)
{
	struct mem_box *b = o->priv;
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->n && *n < max; i++) {
		struct alert_msg *m = &b->m[i];
		if (m->delivered_ms || m->next_attempt_ms > now_ms)
			continue;
		if (!*out)
			*out = xcalloc(max, sizeof **out);
		(*out)[(*n)++] = copy_msg(m);
	}
	pthread_mutex_unlock(&b->mu);
	return 0;
}

static struct alert_msg *find_locked(struct mem_box *b, int64_t id)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->m[i].id == id)
			return &b->m[i];
	return NULL;
}

static void compact_locked(struct mem_box *b)
{
	size_t w = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->m[i].delivered_ms) {
			alert_msg_free(&b->m[i]);
			continue;
		}
		b->m[w++] = b->m[i];
	}
	b->n = w;
}

static int mem_delivered(struct alert_outbox *o, int64_t id, int64_t now_ms)
{
	struct mem_box *b = o->priv;
	pthread_mutex_lock(&b->mu);
	struct alert_msg *m = find_locked(b, id);
	int rc = -1;
	b->marks_tried++;
	if (b->fail_marks > 0) {
		b->fail_marks--;
		m = NULL;
	}
	if (m && !m->delivered_ms) {
		m->delivered_ms = now_ms > 0 ? now_ms : 1;
		compact_locked(b);
		rc = 0;
	}
	pthread_mutex_unlock(&b->mu);
	return rc;
}

static int mem_failed(struct alert_outbox *o, int64_t id, int64_t next_attempt_ms, const char *why)
{
	(void)why;
	struct mem_box *b = o->priv;
	pthread_mutex_lock(&b->mu);
	struct alert_msg *m = find_locked(b, id);
	if (m) {
		m->attempts++;
		m->next_attempt_ms = next_attempt_ms;
	}
	pthread_mutex_unlock(&b->mu);
	return m ? 0 : -1;
}

static size_t mem_pending(struct alert_outbox *o, const char *channel)
{
	struct mem_box *b = o->priv;
	size_t k = 0;
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < b->n; i++)
		if (!b->m[i].delivered_ms && (!channel || !*channel || !strcmp(channel, b->m[i].channel)))
			k++;
	pthread_mutex_unlock(&b->mu);
	return k;
}

static void mem_destroy(struct alert_outbox *o)
{
	if (!o)
		return;
	struct mem_box *b = o->priv;
	for (size_t i = 0; i < b->n; i++)
		alert_msg_free(&b->m[i]);
	free(b->m);
	pthread_mutex_destroy(&b->mu);
	free(b);
	free(o);
}

static const struct alert_outbox_ops mem_ops = {
	.enqueue = mem_enqueue,
	.due = mem_due,
	.delivered = mem_delivered,
	.failed = mem_failed,
	.pending = mem_pending,
	.destroy = mem_destroy,
};

struct alert_outbox *alert_outbox_mem_new(void)
{
	struct alert_outbox *o = xcalloc(1, sizeof *o);
	struct mem_box *b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->mu, NULL);
	o->ops = &mem_ops;
	o->priv = b;
	return o;
}

void alert_outbox_mem_fail_next(struct alert_outbox *o, int n)
{
	struct mem_box *b = o->priv;
	pthread_mutex_lock(&b->mu);
	b->fail_next = n;
	pthread_mutex_unlock(&b->mu);
}

int alert_outbox_mem_fail_marks(struct alert_outbox *o, int n)
{
	struct mem_box *b = o->priv;
	pthread_mutex_lock(&b->mu);
	if (n >= 0)
		b->fail_marks = n;
	int tried = b->marks_tried;
	pthread_mutex_unlock(&b->mu);
	return tried;
}
