/* The log channel: always on, takes every severity, never fails. One line
 * per message (the log folds newlines); the full text is in the others. */
#include <stdio.h>
#include <stdlib.h>

#include "alerts/channel.h"
#include "base/log.h"
#include "base/xalloc.h"

static int log_send(struct alert_channel *ch, const struct alert_msg *m, struct alert_send_status *st)
{
	(void)ch;
	st->retry_after_ms = 0;
	st->http_code = 0;
	st->err[0] = '\0';
	if (m->severity >= REC_SEV_CRITICAL)
		log_error("alert", "key=%s subject=\"%s\"", m->key, m->subject);
	else if (m->severity == REC_SEV_WARNING)
		log_warn("alert", "key=%s subject=\"%s\"", m->key, m->subject);
	else
		log_info("alert", "key=%s subject=\"%s\"", m->key, m->subject);
	return ALERT_SEND_OK;
}

static void log_destroy(struct alert_channel *ch)
{
	free(ch);
}

struct alert_channel *alert_ch_log_new(void)
{
	struct alert_channel *ch = xcalloc(1, sizeof *ch);
	snprintf(ch->name, sizeof ch->name, "log");
	ch->min_severity = REC_SEV_INFO;
	ch->send = log_send;
	ch->destroy = log_destroy;
	return ch;
}
