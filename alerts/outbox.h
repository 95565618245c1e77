/* The durable alert outbox. The router enqueues; the notifier thread drains
 * due messages, sends each on its channel and marks it delivered only after
 * the channel accepted it; failures are rescheduled with backoff.
 *
 * Implementations: in memory (alerts/outbox_mem.c), PostgreSQL with a local
 * spool file while the database is down (sql/). Each must keep enqueue
 * order and lose nothing. Delivery is at-least-once: a message is marked
 * delivered only after its channel accepted it, so a crash between the two
 * sends it again (see alerts/README.md). */
#ifndef ALERT_OUTBOX_H
#define ALERT_OUTBOX_H
#include <stddef.h>
#include <stdint.h>

#include "reconcile/model.h"

#define ALERT_CHANNEL_MAX 24
#define ALERT_SUBJECT_MAX 256

struct alert_msg {
	int64_t id;                      /* assigned by enqueue */
	char channel[ALERT_CHANNEL_MAX]; /* "telegram", "smtp", "webhook", "log" */
	char key[REC_KEY_MAX];           /* finding key, or "vigil:<event>" */
	enum rec_severity severity;
	char subject[ALERT_SUBJECT_MAX];
	char *body; /* plain text, malloc'd, owned by the msg */
	int attempts;
	int64_t created_ms;
	int64_t next_attempt_ms;
	int64_t delivered_ms; /* 0 = not yet */
};

void alert_msg_free(struct alert_msg *m);            /* frees body only */
void alert_msgs_free(struct alert_msg *m, size_t n); /* bodies + array */

struct alert_outbox;

struct alert_outbox_ops {
	/* Stores a copy of m (body copied); sets m->id. Durable on return 0. */
	int (*enqueue)(struct alert_outbox *o, struct alert_msg *m);
	/* Up to max undelivered messages with next_attempt_ms <= now_ms, in
	 * enqueue order; malloc'd array of copies (alert_msgs_free). */
	int (*due)(struct alert_outbox *o, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n);
	int (*delivered)(struct alert_outbox *o, int64_t id, int64_t now_ms);
	int (*failed)(struct alert_outbox *o, int64_t id, int64_t next_attempt_ms, const char *why);
	/* Undelivered messages for a channel ("" = all). */
	size_t (*pending)(struct alert_outbox *o, const char *channel);
	void (*destroy)(struct alert_outbox *o);
};

struct alert_outbox {
	const struct alert_outbox_ops *ops;
	void *priv;
};

#endif
