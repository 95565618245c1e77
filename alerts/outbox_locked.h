/* An outbox decorator that serialises every call: the router enqueues
 * from the engine thread while the notifier drains from its own, whatever
 * the implementation's own locking (a libpq connection is one thread at a
 * time). */
#ifndef ALERT_OUTBOX_LOCKED_H
#define ALERT_OUTBOX_LOCKED_H
#include "alerts/outbox.h"

/* Takes inner (destroyed with the decorator). */
struct alert_outbox *alert_outbox_locked_new(struct alert_outbox *inner);

#endif
