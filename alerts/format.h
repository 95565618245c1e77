/* Alert texts: what a person needs at 3 a.m. Plain text (channels escape
 * it for their own format); every text passes through log_redact(). */
#ifndef ALERT_FORMAT_H
#define ALERT_FORMAT_H
#include <stddef.h>

#include "alerts/outbox.h"
#include "reconcile/model.h"

enum alert_kind { ALERT_FIRING = 0, ALERT_REPEAT, ALERT_ESCALATED, ALERT_RESOLVED };

struct alert_fmt_ctx {
	const char *conf_path; /* for commands; "" = /etc/vigil/vigil.conf */
	double stop_percent;   /* for "sl ... --percent P" */
	const char *action;    /* what vigil did and its outcome, or NULL */
	const char *instance;  /* vigil instance name, or NULL */
	int64_t now_ms;
	int64_t first_seen_ms; /* health: when the condition began (0 = not shown) */
	const char *change;    /* RESOLVED: what changed (alert_format_change), or NULL */
};

/* Subject: "[vigil] CRITICAL BTCUSDT UNPROTECTED_POSITION (main)". */
void alert_format_subject(const struct rec_finding *f, enum alert_kind k, char *out, size_t outlen);
/* Body (malloc'd, redacted). */
char *alert_format_body(const struct rec_finding *f, enum alert_kind k, const struct alert_fmt_ctx *ctx);
/* The exact manual command(s) that fix f, one per line (malloc'd), or
 * NULL when no vigil command applies. */
char *alert_format_fix(const struct rec_finding *f, const struct alert_fmt_ctx *ctx);
/* Health/notice texts. */
void alert_format_health_subject(const char *name, enum rec_severity sev, enum alert_kind k, char *out, size_t outlen);
char *alert_format_health_body(const char *name, enum rec_severity sev, enum alert_kind k, const char *text,
			       const struct alert_fmt_ctx *ctx);
/* RESOLVED: what ended the condition, from what the router knows: the
 * findings now open on the same account (now, n; may be NULL) and what
 * vigil did about it (action, may be NULL). E.g. "position closed (its
 * exit orders are now ORPHAN_ORDER)", "order 123 gone (cancelled, filled or
 * triggered)", "after vigil's action: placed stop ...". */
void alert_format_change(const struct rec_finding *f, const struct rec_finding *now, size_t n, const char *action,
			 char *out, size_t outlen);
/* Copies s into a new buffer with room and redacts it. */
char *alert_redact_dup(const char *s);

#endif
