/* DESIGN: rendering of audits and findings for people (a fixed-width
 * table) and for programs (JSON through json-c), plus the Nagios exit
 * code. Kept apart from the commands so audit, findings and status print
 * the same way. */
#include "watchdog/audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "watchdog/sched.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

int wd_audit_worst(const struct wd_audit *a)
{
	int w = -1;
	for (size_t i = 0; i < a->nfindings; i++)
		if ((int)a->findings[i].severity > w)
			w = (int)a->findings[i].severity;
	return w;
}

int wd_audit_exit_code(const struct wd_audit *a, size_t n)
{
	bool failed = n == 0, warn = false;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].audited)
			failed = true;
		int w = wd_audit_worst(&a[i]);
		if (w >= REC_SEV_CRITICAL)
			return WD_AUDIT_CRITICAL;
		if (w == REC_SEV_WARNING)
			warn = true;
	}
	if (failed)
		return WD_AUDIT_UNKNOWN;
	return warn ? WD_AUDIT_WARNING : WD_AUDIT_OK;
}

const char *wd_audit_exit_name(int code)
{
	static const char *const n[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	return code >= 0 && code <= 3 ? n[code] : "UNKNOWN";
}

static void view_str(char *buf, size_t n, const struct rec_view *v)
{
	if (!v->present)
		snprintf(buf, n, "-");
	else if (v->size == 0)
		snprintf(buf, n, "flat");
	else
		snprintf(buf, n, "%s %g",
			 v->side == REC_SIDE_LONG    ? "L"
			 : v->side == REC_SIDE_SHORT ? "S"
						     : "?",
			 v->size);
}

static void age_str(char *buf, size_t n, int64_t since_ms)
{
	if (!since_ms) {
		snprintf(buf, n, "-");
		return;
	}
	int64_t s = (wd_wall_ms() - since_ms) / 1000;
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, n, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, n, "%lldh", (long long)(s / 3600));
}

void wd_findings_print_table(FILE *f, const struct rec_finding *fs, size_t n, bool with_account)
{
	if (n == 0)
		return;
	if (with_account)
		fprintf(f, "  %-14s ", "ACCOUNT");
	else
		fprintf(f, "  ");
	fprintf(f, "%-8s %-20s %-12s %-10s %-10s %-10s %-5s %s\n", "SEVERITY", "CODE", "SYMBOL", "STREAM", "REST", "DB",
		"AGE", "DETAIL");
	for (size_t i = 0; i < n; i++) {
		const struct rec_finding *x = &fs[i];
		char s[32], r[32], d[32], age[16];
		view_str(s, sizeof s, &x->stream);
		view_str(r, sizeof r, &x->rest);
		view_str(d, sizeof d, &x->db);
		age_str(age, sizeof age, x->first_seen_ms);
		/* symbol and detail come from the exchange: no terminal controls */
		char acct[4 * REC_ACCT_MAX], sym[4 * REC_SYM_MAX], det[4 * REC_DETAIL_MAX];
		tc_line(x->account, acct, sizeof acct);
		tc_line(x->symbol[0] ? x->symbol : "-", sym, sizeof sym);
		tc_line(x->detail, det, sizeof det);
		if (with_account)
			fprintf(f, "  %-14s ", acct);
		else
			fprintf(f, "  ");
		fprintf(f, "%-8s %-20s %-12s %-10s %-10s %-10s %-5s %s\n", rec_severity_name(x->severity),
			rec_code_name(x->code), sym, s, r, d, age, det);
	}
}

static void nagios_line(FILE *f, const struct wd_audit *a, size_t n, int64_t elapsed_ms)
{
	size_t crit = 0, warn = 0, info = 0, unaudited = 0;
	const char *first_error = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].audited) {
			unaudited++;
			if (!first_error)
				first_error = a[i].error;
		}
		for (size_t k = 0; k < a[i].nfindings; k++) {
			enum rec_severity s = a[i].findings[k].severity;
			crit += s == REC_SEV_CRITICAL;
			warn += s == REC_SEV_WARNING;
			info += s == REC_SEV_INFO;
		}
	}
	int code = wd_audit_exit_code(a, n);
	fprintf(f, "VIGIL %s - %zu critical, %zu warning on %zu account%s", wd_audit_exit_name(code), crit, warn, n,
		n == 1 ? "" : "s");
	if (unaudited) {
		/* the status line stays one line with one '|' */
		char why[160];
		snprintf(why, sizeof why, "%s", first_error && *first_error ? first_error : "no account");
		for (char *p = why; *p; p++)
			if (*p == '|' || (unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		fprintf(f, "; %zu not audited (%s)", unaudited, why);
	}
	fprintf(f, " | critical=%zu;;;0 warning=%zu;;;0 info=%zu;;;0 unaudited=%zu;;;0 audit_ms=%lldms;;;0\n", crit,
		warn, info, unaudited, (long long)elapsed_ms);
}

void wd_audit_print_table(FILE *f, const struct wd_audit *a, size_t n, int64_t elapsed_ms)
{
	nagios_line(f, a, n, elapsed_ms);
	for (size_t i = 0; i < n; i++) {
		const struct wd_audit *x = &a[i];
		char *acct = tc_line_dup(x->account), *err = tc_line_dup(x->error);
		fprintf(f, "%s (%s, %s): ", acct, rec_exchange_name(x->exchange), rec_mode_name(x->mode));
		if (!x->audited)
			fprintf(f, "COULD NOT AUDIT: %s\n", err);
		else
			fprintf(f, "audited in %lld ms: %zu finding%s\n", (long long)x->duration_ms, x->nfindings,
				x->nfindings == 1 ? "" : "s");
		free(acct);
		free(err);
		wd_findings_print_table(f, x->findings, x->nfindings, false);
		for (size_t k = 0; k < x->nactions; k++) {
			const struct rec_action *ac = &x->actions[k];
			char *sym = tc_line_dup(ac->symbol), *det = tc_line_dup(ac->outcome_detail);
			fprintf(f, "  action: %s %s %s qty=%g trigger=%g -> %s %s\n", rec_action_kind_name(ac->kind),
				sym, rec_oside_name(ac->order_side), ac->qty, ac->trigger_price,
				rec_outcome_name(ac->outcome), det);
			free(sym);
			free(det);
		}
	}
}

/* ---- JSON (README "JSON output"): data, not display strings ---- */

struct json_object *wd_json_num(double d)
{
	/* %.15g: the decimal the exchange sent (0.3, not 0.29999999999999999) */
	if (!isfinite(d))
		return NULL;
	char b[40];
	snprintf(b, sizeof b, "%.15g", d == 0 ? 0.0 : d);
	return json_object_new_double_s(d, b);
}

const char *wd_json_side(enum rec_side side, double size)
{
	return size == 0 ? "FLAT" : rec_side_name(side);
}

static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *age_or_null(int64_t now_ms, int64_t since_ms)
{
	if (!since_ms)
		return NULL;
	return json_object_new_int64(now_ms > since_ms ? now_ms - since_ms : 0);
}

struct json_object *wd_json_doc_new(int64_t now_ms)
{
	struct json_object *o = json_object_new_object();
	char iso[40] = "";
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm)) {
		size_t l = strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(iso + l, sizeof iso - l, ".%03dZ", (int)(now_ms % 1000));
	}
	json_object_object_add(o, "schema_version", json_object_new_int(WD_JSON_SCHEMA_VERSION));
	json_object_object_add(o, "generated_at", json_object_new_string(iso));
	json_object_object_add(o, "generated_at_ms", json_object_new_int64(now_ms));
	return o;
}

void wd_json_print(FILE *f, struct json_object *j)
{
	fprintf(f, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

void wd_json_print_error(FILE *f, int64_t now_ms, int exit_code, const char *status, const char *error)
{
	struct json_object *o = wd_json_doc_new(now_ms);
	json_object_object_add(o, "accounts", json_object_new_array());
	if (status)
		json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "exit_code", json_object_new_int(exit_code));
	json_object_object_add(o, "error", json_object_new_string(error));
	wd_json_print(f, o);
}

/* What one source said: null when it did not list the symbol. */
static struct json_object *view_json(const struct rec_view *v)
{
	if (!v->present)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(wd_json_side(v->side, v->size)));
	json_object_object_add(o, "size", wd_json_num(v->size));
	return o;
}

struct json_object *wd_finding_json(const struct rec_finding *f, int64_t now_ms)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "key", json_object_new_string(f->key));
	json_object_object_add(o, "code", json_object_new_string(rec_code_name(f->code)));
	json_object_object_add(o, "severity", json_object_new_string(rec_severity_name(f->severity)));
	json_object_object_add(o, "account", json_object_new_string(f->account));
	json_object_object_add(o, "exchange", json_object_new_string(rec_exchange_name(f->exchange)));
	json_object_object_add(o, "symbol", str_or_null(f->symbol));
	json_object_object_add(o, "stream", view_json(&f->stream));
	json_object_object_add(o, "rest", view_json(&f->rest));
	json_object_object_add(o, "db", view_json(&f->db));
	/* an account-level finding is about no position: null, not FLAT */
	bool sym = f->symbol[0] != '\0';
	json_object_object_add(o, "position_side",
			       sym ? json_object_new_string(wd_json_side(f->pos_side, f->pos_size)) : NULL);
	json_object_object_add(o, "position_size", sym ? wd_json_num(f->pos_size) : NULL);
	json_object_object_add(o, "entry_price", f->entry_price > 0 ? wd_json_num(f->entry_price) : NULL);
	json_object_object_add(o, "mark_price", f->mark_price > 0 ? wd_json_num(f->mark_price) : NULL);
	json_object_object_add(o, "order_id", str_or_null(f->order_id));
	json_object_object_add(o, "repairable", json_object_new_boolean(f->repairable));
	json_object_object_add(o, "detail", json_object_new_string(f->detail));
	json_object_object_add(o, "first_seen_ms", json_object_new_int64(f->first_seen_ms));
	json_object_object_add(o, "last_seen_ms", json_object_new_int64(f->last_seen_ms));
	json_object_object_add(o, "age_ms", age_or_null(now_ms, f->first_seen_ms));
	return o;
}

struct json_object *wd_action_json(const struct rec_action *a)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string(rec_action_kind_name(a->kind)));
	json_object_object_add(o, "symbol", json_object_new_string(a->symbol));
	json_object_object_add(o, "order_side", json_object_new_string(rec_oside_name(a->order_side)));
	json_object_object_add(o, "qty", wd_json_num(a->qty));
	json_object_object_add(o, "close_position", json_object_new_boolean(a->close_position));
	json_object_object_add(o, "trigger_price", a->trigger_price > 0 ? wd_json_num(a->trigger_price) : NULL);
	json_object_object_add(o, "client_id", str_or_null(a->client_id));
	json_object_object_add(o, "order_id", str_or_null(a->order_id));
	json_object_object_add(o, "finding_key", str_or_null(a->finding_key));
	json_object_object_add(o, "outcome", json_object_new_string(rec_outcome_name(a->outcome)));
	json_object_object_add(o, "detail", str_or_null(a->outcome_detail));
	return o;
}

struct json_object *wd_audit_json(const struct wd_audit *a, size_t n, int64_t now_ms)
{
	struct json_object *root = wd_json_doc_new(now_ms);
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct wd_audit *x = &a[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "account", json_object_new_string(x->account));
		json_object_object_add(o, "exchange", json_object_new_string(rec_exchange_name(x->exchange)));
		json_object_object_add(o, "mode", json_object_new_string(rec_mode_name(x->mode)));
		json_object_object_add(o, "audited", json_object_new_boolean(x->audited));
		json_object_object_add(o, "error", x->audited ? NULL : json_object_new_string(x->error));
		json_object_object_add(o, "started_ms", x->started_ms ? json_object_new_int64(x->started_ms) : NULL);
		json_object_object_add(o, "duration_ms", json_object_new_int64(x->duration_ms));
		struct json_object *fa = json_object_new_array();
		for (size_t k = 0; k < x->nfindings; k++)
			json_object_array_add(fa, wd_finding_json(&x->findings[k], now_ms));
		json_object_object_add(o, "findings", fa);
		struct json_object *aa = json_object_new_array();
		for (size_t k = 0; k < x->nactions; k++)
			json_object_array_add(aa, wd_action_json(&x->actions[k]));
		json_object_object_add(o, "actions", aa);
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "accounts", arr);
	int code = wd_audit_exit_code(a, n);
	json_object_object_add(root, "status", json_object_new_string(wd_audit_exit_name(code)));
	json_object_object_add(root, "exit_code", json_object_new_int(code));
	json_object_object_add(root, "error", NULL);
	return root;
}
