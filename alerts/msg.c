#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/ch_int.h"
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

/* ---- what a channel can read back from a stored message ---- */

void alert_hdr_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void part(const char **p, char *out, size_t outlen)
{
	size_t n = strcspn(*p, ":");
	snprintf(out, outlen, "%.*s", (int)n, *p);
	*p += n;
	if (**p == ':')
		(*p)++;
}

/* "first seen: 2026-12-02 20:37:44 UTC" (format.c) -> ms; 0 = absent */
static int64_t first_seen_from_body(const char *body)
{
	/* at the start of a line: a detail text cannot fake it */
	const char *p = body ? strstr(body, "\nfirst seen: ") : NULL;
	if (!p)
		return 0;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *e = strptime(p + 13, "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (!e)
		return 0;
	time_t t = timegm(&tm);
	return t > 0 ? (int64_t)t * 1000 : 0;
}

void alert_msg_meta(const struct alert_msg *m, struct alert_meta *out)
{
	memset(out, 0, sizeof *out);
	const char *subj = m->subject;
	if (!strncmp(subj, "[vigil] ", 8))
		subj += 8;
	if (!strncmp(subj, "ESCALATED ", 10))
		out->kind = ALERT_ESCALATED;
	else if (!strncmp(subj, "RESOLVED ", 9))
		out->kind = ALERT_RESOLVED;
	else if (strstr(subj, " (repeat) "))
		out->kind = ALERT_REPEAT;
	else
		out->kind = ALERT_FIRING;
	const char *p = m->key;
	if (!strncmp(p, "vigil:", 6)) {
		out->health = true;
		snprintf(out->code, sizeof out->code, "vigil_%s", p + 6);
	} else {
		part(&p, out->account, sizeof out->account);
		part(&p, out->exchange, sizeof out->exchange);
		part(&p, out->symbol, sizeof out->symbol);
		part(&p, out->code, sizeof out->code);
		snprintf(out->qualifier, sizeof out->qualifier, "%s", p);
	}
	alert_hdr_clean(out->account);
	alert_hdr_clean(out->exchange);
	alert_hdr_clean(out->symbol);
	alert_hdr_clean(out->code);
	alert_hdr_clean(out->qualifier);
	out->first_seen_ms = first_seen_from_body(m->body);
}
