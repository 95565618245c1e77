/* Alert texts. Each names account, exchange, symbol, finding and severity,
 * what each source said, what vigil did, and the command that fixes it. */
#include "alerts/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

char *alert_redact_dup(const char *s)
{
	size_t n = strlen(s);
	size_t cap = n * 2 + 64; /* "[redacted]" may be longer than a short secret */
	char *out = xmalloc(cap);
	memcpy(out, s, n + 1);
	log_redact(out, cap);
	return out;
}

static const char *kind_word(enum alert_kind k, enum rec_severity sev)
{
	if (k == ALERT_RESOLVED)
		return "RESOLVED";
	return sev == REC_SEV_CRITICAL ? "CRITICAL" : sev == REC_SEV_WARNING ? "WARNING" : "INFO";
}

/* A copy of f whose texts from outside (symbol, ids, detail; the account
 * and key for good measure) are single-line and free of controls. */
static void clean_finding(const struct rec_finding *f, struct rec_finding *g)
{
	*g = *f;
	tc_text_to(f->symbol, g->symbol, sizeof g->symbol, false);
	tc_text_to(f->account, g->account, sizeof g->account, false);
	tc_text_to(f->key, g->key, sizeof g->key, false);
	tc_text_to(f->order_id, g->order_id, sizeof g->order_id, false);
	tc_text_to(f->detail, g->detail, sizeof g->detail, false);
}

void alert_format_subject(const struct rec_finding *f0, enum alert_kind k, char *out, size_t outlen)
{
	struct rec_finding g, *f = &g;
	clean_finding(f0, &g);
	snprintf(out, outlen, "[vigil] %s%s%s %s %s (%s)", k == ALERT_ESCALATED ? "ESCALATED " : "",
		 kind_word(k, f->severity), k == ALERT_REPEAT ? " (repeat)" : "", *f->symbol ? f->symbol : "-",
		 rec_code_name(f->code), f->account);
	log_redact(out, outlen);
}

struct sb {
	char *p;
	size_t n, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if (b->n + (size_t)k + 1 > b->cap) {
		b->cap = (b->n + (size_t)k + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)k;
}

static void view_str(const struct rec_view *v, char *out, size_t outlen)
{
	if (!v->present)
		snprintf(out, outlen, "no position");
	else
		snprintf(out, outlen, "%s %.8g", rec_side_name(v->side), v->size);
}

static void fmt_time(int64_t ms, char *out, size_t outlen)
{
	if (ms <= 0) {
		snprintf(out, outlen, "?");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* Every argument taken from a finding or the configuration is quoted
 * (tc_shell_quote): a symbol "X$(touch /tmp/p)" must stay one inert word
 * when the line is pasted into a shell. */
char *alert_format_fix(const struct rec_finding *f, const struct alert_fmt_ctx *ctx)
{
	double pct = ctx && ctx->stop_percent > 0 ? ctx->stop_percent : 2.0;
	char *cf = tc_shell_quote(ctx && ctx->conf_path && *ctx->conf_path ? ctx->conf_path : "/etc/vigil/vigil.conf");
	char *acct = tc_shell_quote(f->account);
	char *sym = tc_shell_quote(f->symbol);
	char *oid = *f->order_id ? tc_shell_quote(f->order_id) : xstrdup("ORDER_ID");
	/* the account-level texts name the symbol in prose, not as an argument */
	char *psym = tc_text(*f->symbol ? f->symbol : "", false);
	char base[1024];
	snprintf(base, sizeof base, "vigil repair -c %s --account %s", cf, acct);
	char *r = NULL;
	switch (f->code) {
	case REC_UNPROTECTED_POSITION:
	case REC_UNDERSIZED_STOP: r = xasprintf("%s sl %s --percent %g", base, sym, pct); break;
	case REC_ORPHAN_POSITION:
		r = xasprintf("%s close %s\n(or keep it and protect it: %s sl %s --percent %g)", base, sym, base, sym,
			      pct);
		break;
	case REC_WRONG_SIDE_STOP:
		r = xasprintf("%s cancel %s\n%s sl %s --percent %g", base, oid, base, sym, pct);
		break;
	case REC_ORPHAN_ORDER:
	case REC_DUPLICATE_STOP: r = xasprintf("%s cancel %s", base, oid); break;
	case REC_CLOSE_UNVERIFIED:
	case REC_UNKNOWN_SIDE:
	case REC_SIZE_MISMATCH:
	case REC_SIDE_MISMATCH:
	case REC_REPAIR_FAILED:
		r = xasprintf("vigil status -c %s --account %s   (check, then e.g. %s close %s)", cf, acct, base,
			      *f->symbol ? sym : "SYMBOL");
		break;
	case REC_PHANTOM_POSITION:
		r = xasprintf("no exchange action: the exchange is flat; mark the bot's row for %s closed\n"
			      "vigil status -c %s --account %s",
			      psym, cf, acct);
		break;
	case REC_STREAM_DOWN:
	case REC_STREAM_STALE:
	case REC_SOURCE_UNREACHABLE:
		r = xasprintf("check the network / credentials, then: vigil status -c %s --account %s", cf, acct);
		break;
	case REC_OUTCOME_UNKNOWN:
		r = xasprintf("vigil status -c %s --account %s   (look the vgl- order up on the exchange before "
			      "acting by hand;"
			      " vigil resolves it by client id before sending anything new for %s)",
			      cf, acct, *psym ? psym : "the account");
		break;
	case REC_JOURNAL_UNREADABLE:
		r = xasprintf("check the database (vigil db -c %s status) and the spool directory; nothing is sent "
			      "for %s until the journal can be read",
			      cf, acct);
		break;
	case REC_RATE_LIMITED:
		r = xasprintf("vigil holds every request of this IP back until the exchange allows; check the bot's "
			      "request rate"
			      " (vigil status -c %s --account %s)",
			      cf, acct);
		break;
	case REC_STORAGE_FULL:
		r = xasprintf("free space in the spool directory (or raise the file-size limit); until then no new "
			      "repair is journaled, so none is sent, and alerts wait in memory (vigil db -c %s status)",
			      cf);
		break;
	case REC_CONFIG_DRIFT:
		r = xasprintf("set hedge_mode in [account %s] of %s to the exchange's position mode; repairs stay "
			      "off until then",
			      acct, cf);
		break;
	case REC_CLOCK_SKEW: r = xstrdup("sync the host clock (chronyc tracking / timedatectl)"); break;
	default: break;
	}
	free(cf);
	free(acct);
	free(sym);
	free(oid);
	free(psym);
	return r;
}

static bool is_position_code(enum rec_code c)
{
	switch (c) {
	case REC_UNPROTECTED_POSITION:
	case REC_UNDERSIZED_STOP:
	case REC_WRONG_SIDE_STOP:
	case REC_DUPLICATE_STOP:
	case REC_ORPHAN_POSITION:
	case REC_SIZE_MISMATCH:
	case REC_SIDE_MISMATCH: return true;
	default: return false;
	}
}

static const char *generic_change(const struct rec_finding *f, char *buf, size_t bl)
{
	switch (f->code) {
	case REC_UNPROTECTED_POSITION:
	case REC_UNDERSIZED_STOP: return "a stop now covers the whole position, or the position is closed";
	case REC_ORPHAN_POSITION: return "the position is closed, or the bot has a live row for it again";
	case REC_ORPHAN_ORDER:
	case REC_DUPLICATE_STOP:
	case REC_WRONG_SIDE_STOP:
		snprintf(buf, bl, "order %s gone (cancelled, filled or triggered) or no longer extra",
			 *f->order_id ? f->order_id : "?");
		return buf;
	case REC_PHANTOM_POSITION: return "the bot's row is closed, or the exchange shows the position";
	case REC_SIZE_MISMATCH:
	case REC_SIDE_MISMATCH: return "the bot and the exchange agree again";
	case REC_STREAM_DOWN:
	case REC_STREAM_STALE: return "the stream delivers again";
	case REC_SOURCE_UNREACHABLE: return "the source answers again";
	case REC_CLOCK_SKEW: return "the clock is within the limit again";
	default: return "no longer seen by the audit";
	}
}

void alert_format_change(const struct rec_finding *f, const struct rec_finding *now, size_t n, const char *action,
			 char *out, size_t outlen)
{
	char buf[256], other[160] = "";
	const char *what = NULL;
	bool flat = false;
	size_t w = 0;
	for (size_t i = 0; i < n && *f->symbol; i++) {
		const struct rec_finding *g = &now[i];
		if (strcmp(g->key, f->key) == 0 || strcmp(g->symbol, f->symbol) != 0 || g->pidx != f->pidx ||
		    strcmp(g->account, f->account) != 0)
			continue;
		if (g->code == REC_ORPHAN_ORDER || g->code == REC_PHANTOM_POSITION)
			flat = true;
		if (g->code == REC_UNDERSIZED_STOP && f->code == REC_UNPROTECTED_POSITION)
			what = "a stop now covers part of the position (now UNDERSIZED_STOP)";
		else if (g->code == REC_UNPROTECTED_POSITION && f->code == REC_UNDERSIZED_STOP)
			what = "the partial stop is gone (now UNPROTECTED_POSITION)";
		int k = snprintf(other + w, sizeof other - w, "%s%s", w ? ", " : "", rec_code_name(g->code));
		if (k > 0 && (size_t)k < sizeof other - w)
			w += (size_t)k;
	}
	if (flat && is_position_code(f->code)) {
		snprintf(buf, sizeof buf, "position closed (open now: %s)", other);
		what = buf;
	} else if (!what && w) {
		char gen[128];
		snprintf(buf, sizeof buf, "%s; open now on %s: %s", generic_change(f, gen, sizeof gen), f->symbol,
			 other);
		what = buf;
	}
	if (!what)
		what = generic_change(f, buf, sizeof buf);
	if (action && *action)
		snprintf(out, outlen, "%s; after vigil's action: %s", what, action);
	else
		snprintf(out, outlen, "%s", what);
}

/* vigil's action text may be several lines (one per step) and quotes the
 * exchange's answers: controls out, and every line after the first
 * indented, so no line of it can pass for one of the body's own
 * ("first seen:", which threading reads back, or "fix:"). */
static char *indented(const char *s)
{
	char *t = tc_text(s, true);
	size_t nl = 0;
	for (const char *p = t; *p; p++)
		nl += *p == '\n';
	char *out = xmalloc(strlen(t) + 2 * nl + 1), *w = out;
	for (const char *p = t; *p; p++) {
		*w++ = *p;
		if (*p == '\n' && p[1])
			*w++ = ' ', *w++ = ' ';
	}
	*w = '\0';
	free(t);
	return out;
}

char *alert_format_body(const struct rec_finding *f0, enum alert_kind k, const struct alert_fmt_ctx *ctx0)
{
	/* outside texts become single lines: a detail "x\nfirst seen: ..." or
	 * "x\nfix:\n..." must not add a line of its own */
	struct rec_finding g, *f = &g;
	clean_finding(f0, &g);
	struct alert_fmt_ctx cc = ctx0 ? *ctx0 : (struct alert_fmt_ctx){ 0 };
	const struct alert_fmt_ctx *ctx = ctx0 ? &cc : NULL;
	char *action = cc.action ? indented(cc.action) : NULL;
	char *change = cc.change ? tc_text(cc.change, false) : NULL;
	char *inst = cc.instance ? tc_text(cc.instance, false) : NULL;
	cc.action = action, cc.change = change, cc.instance = inst;
	struct sb b = { 0 };
	char t1[64], t2[64], s[64], r[64], d[64];
	if (k == ALERT_RESOLVED) {
		char ch[512];
		if (!(ctx && ctx->change && *ctx->change))
			alert_format_change(f, NULL, 0, NULL, ch, sizeof ch);
		sb_printf(&b, "RESOLVED: %s is no longer seen.\n", rec_code_name(f->code));
		sb_printf(&b, "what changed: %s\n", ctx && ctx->change && *ctx->change ? ctx->change : ch);
	} else if (k == ALERT_ESCALATED)
		sb_printf(&b, "ESCALATED: not acknowledged in time.\n");
	sb_printf(&b, "%s %s\n", rec_severity_name(f->severity), rec_code_name(f->code));
	sb_printf(&b, "account: %s (%s)\n", f->account, rec_exchange_name(f->exchange));
	if (*f->symbol)
		sb_printf(&b, "symbol: %s\n", f->symbol);
	/* RESOLVED does not repeat what the sources said back then (stale) */
	if (*f->symbol && k != ALERT_RESOLVED) {
		view_str(&f->stream, s, sizeof s);
		view_str(&f->rest, r, sizeof r);
		view_str(&f->db, d, sizeof d);
		sb_printf(&b, "stream: %s\nREST: %s\nbot DB: %s\n", s, r, d);
		if (f->pos_size > 0 || f->pos_side != REC_SIDE_UNKNOWN)
			sb_printf(&b, "position (exchange): %s %.8g entry %.8g mark %.8g\n", rec_side_name(f->pos_side),
				  f->pos_size, f->entry_price, f->mark_price);
		sb_printf(&b, "orders: stop qty %.8g%s%s%s\n", f->stop_qty, *f->order_id ? ", order " : "", f->order_id,
			  f->order_is_algo ? " (algo)" : "");
	}
	if (*f->detail && k != ALERT_RESOLVED)
		sb_printf(&b, "detail: %s\n", f->detail);
	fmt_time(f->first_seen_ms, t1, sizeof t1); /* parsed back by msg.c (threading) */
	fmt_time(f->last_seen_ms, t2, sizeof t2);
	sb_printf(&b, "first seen: %s, last seen: %s\n", t1, t2);
	if (k != ALERT_RESOLVED) {
		sb_printf(&b, "vigil did: %s\n",
			  ctx && ctx->action && *ctx->action ? ctx->action : "nothing (alert only)");
		if (!f->repairable && *f->symbol)
			sb_printf(&b, "not repaired automatically: the evidence is disputed\n");
		char *fix = alert_format_fix(f0, ctx);
		if (fix) {
			sb_printf(&b, "fix:\n%s\n", fix);
			free(fix);
		}
		char *cf = tc_shell_quote(ctx && ctx->conf_path && *ctx->conf_path ? ctx->conf_path
										   : "/etc/vigil/vigil.conf");
		char *key = tc_shell_quote(f0->key);
		sb_printf(&b, "silence repeats: vigil ack -c %s %s\n", cf, key);
		free(cf);
		free(key);
	}
	sb_printf(&b, "key: %s\n", f->key);
	if (ctx && ctx->instance && *ctx->instance)
		sb_printf(&b, "instance: %s\n", ctx->instance);
	char *out = alert_redact_dup(b.p ? b.p : "");
	free(b.p);
	free(action);
	free(change);
	free(inst);
	return out;
}

void alert_format_health_subject(const char *name, enum rec_severity sev, enum alert_kind k, char *out, size_t outlen)
{
	snprintf(out, outlen, "[vigil] %s%s%s vigil %s", k == ALERT_ESCALATED ? "ESCALATED " : "", kind_word(k, sev),
		 k == ALERT_REPEAT ? " (repeat)" : "", name);
	log_redact(out, outlen);
}

char *alert_format_health_body(const char *name, enum rec_severity sev, enum alert_kind k, const char *text,
			       const struct alert_fmt_ctx *ctx)
{
	struct sb b = { 0 };
	sb_printf(&b, "%s%s vigil health: %s\n", k == ALERT_RESOLVED ? "RESOLVED: " : "", rec_severity_name(sev), name);
	if (text && *text) {
		/* may quote an exchange's error text: its controls go, lines stay */
		char *t = tc_text(text, true);
		sb_printf(&b, "%s\n", t);
		free(t);
	}
	if (ctx && ctx->first_seen_ms > 0) {
		char t1[64];
		fmt_time(ctx->first_seen_ms, t1, sizeof t1); /* parsed back by msg.c (threading) */
		sb_printf(&b, "first seen: %s\n", t1);
	}
	if (ctx && ctx->instance && *ctx->instance)
		sb_printf(&b, "instance: %s\n", ctx->instance);
	sb_printf(&b, "key: vigil:%s\n", name);
	char *out = alert_redact_dup(b.p);
	free(b.p);
	return out;
}
