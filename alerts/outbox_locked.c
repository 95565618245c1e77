/* The serialising outbox decorator (see outbox_locked.h). */
#include "alerts/outbox_locked.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/xalloc.h"

struct locked_outbox {
	struct alert_outbox base;
	struct alert_outbox *inner;
	pthread_mutex_t mu;
};

#define LOCKED(o) ((struct locked_outbox *)(void *)(o))
static int lk_enqueue(struct alert_outbox *o, struct alert_msg *m)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->enqueue(LOCKED(o)->inner, m);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_due(struct alert_outbox *o, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->due(LOCKED(o)->inner, now_ms, max, out, n);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_delivered(struct alert_outbox *o, int64_t id, int64_t now_ms)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->delivered(LOCKED(o)->inner, id, now_ms);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static int lk_failed(struct alert_outbox *o, int64_t id, int64_t next_ms, const char *why)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	int rc = LOCKED(o)->inner->ops->failed(LOCKED(o)->inner, id, next_ms, why);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return rc;
}
static size_t lk_pending(struct alert_outbox *o, const char *channel)
{
	pthread_mutex_lock(&LOCKED(o)->mu);
	size_t n = LOCKED(o)->inner->ops->pending(LOCKED(o)->inner, channel);
	pthread_mutex_unlock(&LOCKED(o)->mu);
	return n;
}
static void lk_destroy(struct alert_outbox *o)
{
	struct locked_outbox *l = LOCKED(o);
	l->inner->ops->destroy(l->inner);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
static const struct alert_outbox_ops locked_ops = {
	.enqueue = lk_enqueue,
	.due = lk_due,
	.delivered = lk_delivered,
	.failed = lk_failed,
	.pending = lk_pending,
	.destroy = lk_destroy,
};

struct alert_outbox *alert_outbox_locked_new(struct alert_outbox *inner)
{
	struct locked_outbox *l = xcalloc(1, sizeof *l);
	l->base.ops = &locked_ops;
	l->inner = inner;
	pthread_mutex_init(&l->mu, NULL);
	return &l->base;
}
