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

void alert_format_subject(const struct rec_finding *f, enum alert_kind k, char *out, size_t outlen)
{
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

/* cf, acct, sym, oid: already shell-quoted (sym may be "") */
static char *fix_text(const struct rec_finding *f, const char *cf, const char *acct, const char *sym, const char *oid,
		      double pct)
{
	char base[1024];
	snprintf(base, sizeof base, "vigil repair -c %s --account %s", cf, acct);
	switch (f->code) {
	case REC_UNPROTECTED_POSITION:
	case REC_UNDERSIZED_STOP: return xasprintf("%s sl %s --percent %g", base, sym, pct);
	case REC_ORPHAN_POSITION:
		return xasprintf("%s close %s\n(or keep it and protect it: %s sl %s --percent %g)", base, sym, base,
				 sym, pct);
	case REC_WRONG_SIDE_STOP: return xasprintf("%s cancel %s\n%s sl %s --percent %g", base, oid, base, sym, pct);
	case REC_ORPHAN_ORDER:
	case REC_DUPLICATE_STOP: return xasprintf("%s cancel %s", base, oid);
	case REC_CLOSE_UNVERIFIED:
	case REC_UNKNOWN_SIDE:
	case REC_SIZE_MISMATCH:
	case REC_SIDE_MISMATCH:
	case REC_REPAIR_FAILED:
		return xasprintf("vigil status -c %s --account %s   (check, then e.g. %s close %s)", cf, acct, base,
				 *sym ? sym : "SYMBOL");
	case REC_PHANTOM_POSITION:
		return xasprintf("no exchange action: the exchange is flat; mark the bot's row for %s closed\n"
				 "vigil status -c %s --account %s",
				 sym, cf, acct);
	case REC_STREAM_DOWN:
	case REC_STREAM_STALE:
	case REC_SOURCE_UNREACHABLE:
		return xasprintf("check the network / credentials, then: vigil status -c %s --account %s", cf, acct);
	case REC_OUTCOME_UNKNOWN:
		return xasprintf("vigil status -c %s --account %s   (look the vgl- order up on the exchange before "
				 "acting by hand;"
				 " vigil resolves it by client id before sending anything new for %s)",
				 cf, acct, *sym ? sym : "the account");
	case REC_JOURNAL_UNREADABLE:
		return xasprintf("check the database (vigil db -c %s status) and the spool directory; nothing is sent "
				 "for %s until the journal can be read",
				 cf, acct);
	case REC_RATE_LIMITED:
		return xasprintf("vigil holds every request of this IP back until the exchange allows; check the bot's "
				 "request rate"
				 " (vigil status -c %s --account %s)",
				 cf, acct);
	case REC_STORAGE_FULL:
		return xasprintf(
			"free space in the spool directory (or raise the file-size limit); until then no new "
			"repair is journaled, so none is sent, and alerts wait in memory (vigil db -c %s status)",
			cf);
	case REC_CONFIG_DRIFT:
		return xasprintf("set hedge_mode in [account %s] of %s to the exchange's position mode; repairs stay "
				 "off until then",
				 acct, cf);
	case REC_CLOCK_SKEW: return xstrdup("sync the host clock (chronyc tracking / timedatectl)");
	default: return NULL;
	}
}

/* Every name in a suggested command comes from the exchange or the
 * config: each is shell-quoted, so a symbol like `$(touch x)` is text. */
char *alert_format_fix(const struct rec_finding *f, const struct alert_fmt_ctx *ctx)
{
	const char *conf = ctx && ctx->conf_path && *ctx->conf_path ? ctx->conf_path : "/etc/vigil/vigil.conf";
	double pct = ctx && ctx->stop_percent > 0 ? ctx->stop_percent : 2.0;
	char *cf = tc_shell_arg(conf), *acct = tc_shell_arg(f->account);
	char *sym = *f->symbol ? tc_shell_arg(f->symbol) : xstrdup("");
	char *oid = *f->order_id ? tc_shell_arg(f->order_id) : xstrdup("ORDER_ID");
	char *r = fix_text(f, cf, acct, sym, oid, pct);
	free(cf);
	free(acct);
	free(sym);
	free(oid);
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

char *alert_format_body(const struct rec_finding *f, enum alert_kind k, const struct alert_fmt_ctx *ctx)
{
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
		char *fix = alert_format_fix(f, ctx);
		if (fix) {
			sb_printf(&b, "fix:\n%s\n", fix);
			free(fix);
		}
		const char *cf = ctx && ctx->conf_path && *ctx->conf_path ? ctx->conf_path : "/etc/vigil/vigil.conf";
		sb_printf(&b, "silence repeats: vigil ack -c %s %s\n", cf, f->key);
	}
	sb_printf(&b, "key: %s\n", f->key);
	if (ctx && ctx->instance && *ctx->instance)
		sb_printf(&b, "instance: %s\n", ctx->instance);
	char *out = alert_redact_dup(b.p ? b.p : "");
	free(b.p);
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
	if (text && *text)
		sb_printf(&b, "%s\n", text);
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
