/* Shared fixture of the router unit suites (test_alert_router.c,
 * test_alert_restart.c): a router over an in-memory outbox, and helpers to
 * take what it queued. Header-only; each suite builds its own routes. */
#ifndef TEST_ALERT_KIT_H
#define TEST_ALERT_KIT_H
#include <stdint.h>
#include <string.h>

#include "alerts/outbox_mem.h"
#include "alerts/router.h"

#define MIN 60000LL

struct fx {
	struct alert_outbox *ob;
	struct alert_router *r;
};

static inline void fx_free(struct fx *x)
{
	alert_router_free(x->r);
	x->ob->ops->destroy(x->ob);
}

/* Takes every queued message out of the outbox (marks them delivered). */
static inline size_t drain(struct fx *x, struct alert_msg **out)
{
	struct alert_msg *m;
	size_t n;
	x->ob->ops->due(x->ob, INT64_MAX, 1000, &m, &n);
	for (size_t i = 0; i < n; i++)
		x->ob->ops->delivered(x->ob, m[i].id, 1);
	if (out)
		*out = m;
	else
		alert_msgs_free(m, n);
	return n;
}

/* Messages on channel (NULL = any) whose subject contains subj_part (NULL = any). */
static inline size_t count(const struct alert_msg *m, size_t n, const char *channel, const char *subj_part)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if ((!channel || !strcmp(m[i].channel, channel)) && (!subj_part || strstr(m[i].subject, subj_part)))
			k++;
	return k;
}

#endif
