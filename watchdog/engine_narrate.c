/* DESIGN: the readable live account of what vigil saw, decided and did.
 * Printed on stdout by the daemon (the log on stderr stays machine-
 * oriented): one line per new finding, per action and per resolution, and
 * a one-line summary of the sources when anything changed, so a person
 * watching `vigil run` (or `make demo`) can follow the story. */
#include "watchdog/engine.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *hhmmss(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	snprintf(buf, n, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

static void view(char *buf, size_t n, const char *name, const struct rec_view *v)
{
	if (!v->present)
		snprintf(buf, n, "%s: -", name);
	else if (v->size == 0)
		snprintf(buf, n, "%s: flat", name);
	else
		snprintf(buf, n, "%s: %s %g", name, rec_side_name(v->side), v->size);
}

static void sources_line(const struct wd_audit *a, char *buf, size_t n)
{
	char st[64];
	if (!a->stream)
		snprintf(st, sizeof st, "no stream");
	else
		snprintf(st, sizeof st, "stream %s (%zu pos)",
			 a->stream->state == REC_SS_UP           ? "up"
			 : a->stream->state == REC_SS_CONNECTING ? "connecting"
								 : "down",
			 a->stream->npos);
	char rest[96];
	if (a->listing.pos_rc == XCH_OK && a->scope.n)
		snprintf(rest, sizeof rest, "REST %zu pos/%zu orders of %s%s", a->listing.npos, a->listing.nord,
			 a->scope.sym[0], a->scope.n > 1 ? " and others" : "");
	else if (a->listing.pos_rc == XCH_OK)
		snprintf(rest, sizeof rest, "REST %zu pos/%zu orders", a->listing.npos, a->listing.nord);
	else
		snprintf(rest, sizeof rest, "REST %s", xch_rc_name((enum xch_rc)a->listing.pos_rc));
	char db[48];
	if (a->bot_ok)
		snprintf(db, sizeof db, "DB %zu rows", a->nbot);
	else
		snprintf(db, sizeof db, "DB n/a");
	snprintf(buf, n, "%s, %s, %s", st, rest, db);
}

void wd_narrate_audit(const struct wd_engine *e, const struct wd_audit *a)
{
	char ts[32], src[256];
	hhmmss(a->started_ms, ts, sizeof ts);
	size_t fresh = 0;
	for (size_t i = 0; i < a->nfindings; i++)
		if (a->findings[i].first_seen_ms >= a->started_ms - 1)
			fresh++;
	if (!a->audited) {
		printf("%s %-14s could not audit: %s\n", ts, a->account, a->error);
		fflush(stdout);
		return;
	}
	/* an action the repair engine skipped because it is already in place
	 * (our stop is open) is not news: show it once, not every audit */
	size_t news = 0;
	for (size_t i = 0; i < a->nactions; i++)
		if (a->actions[i].outcome != REC_OUT_SKIPPED || e->opts.dry_run)
			news++;
	if (fresh == 0 && a->nresolved == 0 && news == 0)
		return;
	sources_line(a, src, sizeof src);
	printf("%s %-14s saw: %s; %zu open finding%s\n", ts, a->account, src, a->nfindings,
	       a->nfindings == 1 ? "" : "s");
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct rec_finding *f = &a->findings[i];
		if (f->first_seen_ms < a->started_ms - 1)
			continue;
		char s1[48], s2[48], s3[48];
		view(s1, sizeof s1, "stream", &f->stream);
		view(s2, sizeof s2, "REST", &f->rest);
		view(s3, sizeof s3, "DB", &f->db);
		printf("%s %-14s   NEW %-8s %-20s %-10s %s | %s | %s%s%s\n", ts, a->account,
		       rec_severity_name(f->severity), rec_code_name(f->code), f->symbol[0] ? f->symbol : "-", s1, s2,
		       s3, f->detail[0] ? " | " : "", f->detail);
	}
	for (size_t i = 0; i < a->nactions; i++) {
		const struct rec_action *ac = &a->actions[i];
		if (ac->outcome == REC_OUT_SKIPPED && !e->opts.dry_run)
			continue;
		printf("%s %-14s   DID %-13s %-10s side=%s qty=%g%s trigger=%g -> %s%s%s\n", ts, a->account,
		       rec_action_kind_name(ac->kind), ac->symbol, rec_oside_name(ac->order_side), ac->qty,
		       ac->close_position ? " (close-position)" : "", ac->trigger_price, rec_outcome_name(ac->outcome),
		       ac->outcome_detail[0] ? ": " : "", ac->outcome_detail);
	}
	for (size_t i = 0; i < a->nresolved; i++) {
		const struct rec_finding *f = &a->resolved[i];
		printf("%s %-14s   RESOLVED %-20s %s\n", ts, a->account, rec_code_name(f->code),
		       f->symbol[0] ? f->symbol : "-");
	}
	fflush(stdout);
}
