/* The notifier: one thread draining the outbox. Each due message is sent
 * on its channel and marked delivered only after the channel accepted it.
 * A failed send blocks that channel (not the others) until a backoff
 * (exponential per consecutive failure, with jitter, at least the far
 * end's retry-after) and reschedules its pending messages to that time,
 * so per-channel order is kept. Enqueueing never waits for a send. */
#ifndef ALERT_NOTIFIER_H
#define ALERT_NOTIFIER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/channel.h"
#include "alerts/outbox.h"

struct alert_notifier_conf {
	int64_t poll_ms;         /* idle wake-up period (default 500) */
	int64_t backoff_base_ms; /* first retry delay (default 2000) */
	int64_t backoff_max_ms;  /* cap (default 300000) */
	size_t batch;            /* messages per outbox query (default 64) */
};

struct alert_notifier;

/* conf NULL = defaults. Channels and outbox are borrowed. */
struct alert_notifier *alert_notifier_new(struct alert_outbox *o, struct alert_channel **chs, size_t n,
					  const struct alert_notifier_conf *conf);
/* One pass at now_ms (no thread needed; tests call it directly). Returns
 * the number of messages delivered. */
int alert_notifier_step(struct alert_notifier *nt, int64_t now_ms);
/* Called on the notifier's thread after every send on a channel: ok when
 * the far end accepted m (e.g. to count deliveries). Set before start. */
typedef void (*alert_delivery_fn)(void *ud, const struct alert_channel *ch, const struct alert_msg *m, bool ok,
				  const struct alert_send_status *st);
void alert_notifier_set_delivery_observer(struct alert_notifier *nt, alert_delivery_fn fn, void *ud);
int alert_notifier_start(struct alert_notifier *nt); /* 0 ok */
void alert_notifier_kick(void *nt);                  /* wake the thread now */
/* Stops the thread after trying to flush until deadline_ms from now.
 * Returns the number of messages still undelivered. Safe if not started. */
size_t alert_notifier_stop(struct alert_notifier *nt, int64_t deadline_ms);
void alert_notifier_free(struct alert_notifier *nt);

#endif
