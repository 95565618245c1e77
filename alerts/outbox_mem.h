/* In-memory alert outbox (tests, `vigil alert test`, and the daemon when no
 * database is configured). Thread-safe. Not durable across restarts. */
#ifndef ALERT_OUTBOX_MEM_H
#define ALERT_OUTBOX_MEM_H
#include "alerts/outbox.h"

struct alert_outbox *alert_outbox_mem_new(void);
/* Test hook: the next n enqueues fail (-1). */
void alert_outbox_mem_fail_next(struct alert_outbox *o, int n);
/* Test hook: the next n "delivered" marks fail (as a full disk would make
 * them), n < 0 leaves the count; returns how many marks were tried so far. */
int alert_outbox_mem_fail_marks(struct alert_outbox *o, int n);

#endif
