#include <stdlib.h>

#include "alerts/outbox.h"

void alert_msg_free(struct alert_msg *m)
{
	if (!m)
		return;
	free(m->body);
	m->body = NULL;
}

void alert_msgs_free(struct alert_msg *m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++)
		alert_msg_free(&m[i]);
	free(m);
}
