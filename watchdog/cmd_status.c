/* `vigil status -c FILE [--account A] [--json]`: per account, one row per
 * symbol with what the stream, REST, the open orders and the bot's DB say,
 * the protection in force and the open findings. Read-only: a one-shot
 * audit with no repair and no alerts. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watchdog/audit.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/engine.h"
#include "watchdog/sched.h"
#include "base/clock_now.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

#define STATUS_MAX_SYMS 512

struct sym_row {
	char sym[REC_SYM_MAX];
	char stream[32], rest[32], db[48], prot[64], findings[160];
	int orders;
	/* the data behind the text, for --json (borrowed from the audit) */
	const struct rec_position *stream_pos, *rest_pos;
	const struct rec_bot_row *bot;
};

static struct sym_row *row_get(struct sym_row *rows, size_t *n, const char *sym)
{
	char norm[REC_SYM_MAX];
	rec_symbol_normalize(sym, norm, sizeof norm);
	for (size_t i = 0; i < *n; i++)
		if (strcmp(rows[i].sym, norm) == 0)
			return &rows[i];
	if (*n == STATUS_MAX_SYMS || !norm[0])
		return NULL;
	struct sym_row *r = &rows[(*n)++];
	memset(r, 0, sizeof *r);
	snprintf(r->sym, sizeof r->sym, "%s", norm);
	return r;
}

static void pos_str(char *buf, size_t n, const struct rec_position *p)
{
	if (p->size == 0)
		snprintf(buf, n, "flat");
	else
		snprintf(buf, n, "%s %g", rec_side_name(p->side), p->size);
}

/* The open position of an order's leg: the stream's when it has one,
 * else REST's. NULL when flat / unknown. */
static const struct rec_position *leg_position(const struct wd_audit *a, const char *sym, enum rec_pos_idx pidx)
{
	if (a->stream && a->stream->state == REC_SS_UP)
		for (size_t i = 0; i < a->stream->npos; i++) {
			const struct rec_position *p = &a->stream->pos[i];
			if (p->pidx == pidx && strcmp(p->symbol, sym) == 0)
				return p->size > 0 ? p : NULL;
		}
	for (size_t i = 0; i < a->listing.npos; i++) {
		const struct rec_position *p = &a->listing.pos[i];
		if (p->pidx == pidx && p->size > 0 && strcmp(p->symbol, sym) == 0)
			return p;
	}
	return NULL;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sym_row *)a)->sym, ((const struct sym_row *)b)->sym);
}

static void append(char *buf, size_t n, const char *s)
{
	size_t l = strlen(buf);
	snprintf(buf + l, n - l, "%s%s", l ? "," : "", s);
}

/* What protects, by the rule the audit uses (rec_protects): false when o
 * is neither a stop nor a take-profit of an open leg. */
static bool order_protection(const struct wd_audit *a, const struct rec_order *o, struct rec_prot *v)
{
	const struct rec_position *lp = leg_position(a, o->symbol, o->pidx);
	return lp && !(rec_protects(o, lp, true, v) == REC_PROT_NO && v->role != REC_ROLE_TAKE_PROFIT);
}

static size_t build_rows(const struct wd_audit *a, const struct rec_params *prm, struct sym_row *rows)
{
	size_t n = 0;
	struct sym_row *r;
	if (a->stream)
		for (size_t i = 0; i < a->stream->npos; i++)
			if ((r = row_get(rows, &n, a->stream->pos[i].symbol))) {
				pos_str(r->stream, sizeof r->stream, &a->stream->pos[i]);
				r->stream_pos = &a->stream->pos[i];
			}
	for (size_t i = 0; i < a->listing.npos; i++)
		if ((r = row_get(rows, &n, a->listing.pos[i].symbol))) {
			pos_str(r->rest, sizeof r->rest, &a->listing.pos[i]);
			r->rest_pos = &a->listing.pos[i];
		}
	for (size_t i = 0; i < a->listing.nord; i++) {
		const struct rec_order *o = &a->listing.ord[i];
		if (!(r = row_get(rows, &n, o->symbol)))
			continue;
		r->orders++;
		struct rec_prot v;
		if (!order_protection(a, o, &v))
			continue;
		char s[64];
		snprintf(s, sizeof s, "%s %s@%g%s",
			 v.verdict == REC_PROT_YES        ? (o->position_attached ? "pos-SL" : "SL")
			 : v.role == REC_ROLE_TAKE_PROFIT ? "TP"
							  : "SL?",
			 rec_oside_name(o->side), o->trigger_price, v.full ? "(all)" : "");
		if (strlen(r->prot) + strlen(s) + 2 < sizeof r->prot)
			append(r->prot, sizeof r->prot, s);
	}
	if (a->bot_ok)
		for (size_t i = 0; i < a->nbot; i++) {
			const struct rec_bot_row *b = &a->bot[i];
			if (!rec_bot_row_matches_exchange(b, prm) || !(r = row_get(rows, &n, b->symbol)))
				continue;
			snprintf(r->db, sizeof r->db, "%s %g %s", rec_side_name(b->side), b->qty, b->status);
			r->bot = b;
		}
	for (size_t i = 0; i < a->nfindings; i++) {
		const struct rec_finding *f = &a->findings[i];
		if (!f->symbol[0] || !(r = row_get(rows, &n, f->symbol)))
			continue;
		if (strlen(r->findings) + strlen(rec_code_name(f->code)) + 2 < sizeof r->findings)
			append(r->findings, sizeof r->findings, rec_code_name(f->code));
	}
	qsort(rows, n, sizeof *rows, row_cmp);
	return n;
}

/* Text from the exchange or the bot's DB, made safe for a terminal. */
#define TL(buf, s) (tc_line((s), (buf), sizeof(buf)), (buf))

/* holder: the instance auditing the account (sharding), NULL = not
 * known (no database, single_instance), "" = none holds it now. */
static void print_account(const struct wd_audit *a, struct sym_row *rows, size_t n, const char *holder)
{
	char e1[1024], e2[1024];
	char st[96] = "no stream";
	if (a->stream)
		snprintf(st, sizeof st, "stream %s (last message %s)",
			 a->stream->state == REC_SS_UP           ? "up"
			 : a->stream->state == REC_SS_CONNECTING ? "connecting"
								 : "down",
			 a->stream->last_msg_ms ? "" : "never");
	if (a->stream && a->stream->last_msg_ms) {
		size_t l = strlen(st) - 1;
		snprintf(st + l, sizeof st - l, "%.1fs ago)", (double)(wd_wall_ms() - a->stream->last_msg_ms) / 1000.0);
	}
	printf("%s (%s, mode %s): %s; REST %s; DB %s\n", TL(e1, a->account), rec_exchange_name(a->exchange),
	       rec_mode_name(a->mode), st,
	       a->listing.pos_rc == XCH_OK ? "ok" : xch_rc_name((enum xch_rc)a->listing.pos_rc),
	       a->bot_ok ? "ok" : TL(e2, a->bot_error));
	if (holder)
		printf("  held by instance: %s\n", holder[0] ? TL(e1, holder) : "none (no instance audits it now)");
	if (!a->audited)
		printf("  could not audit: %s\n", TL(e1, a->error));
	if (n == 0) {
		printf("  no positions, orders or bot rows\n");
	} else {
		printf("  %-12s %-12s %-12s %-6s %-22s %-26s %s\n", "SYMBOL", "STREAM", "REST", "ORDERS", "DB",
		       "PROTECTION", "FINDINGS");
		for (size_t i = 0; i < n; i++) {
			const struct sym_row *r = &rows[i];
			char sym[4 * sizeof r->sym], db[4 * sizeof r->db];
			printf("  %-12s %-12s %-12s %-6d %-22s %-26s %s\n", TL(sym, r->sym),
			       r->stream[0] ? r->stream : "-", r->rest[0] ? r->rest : "-", r->orders,
			       r->db[0] ? TL(db, r->db) : "-", r->prot[0] ? r->prot : "none",
			       r->findings[0] ? r->findings : "-");
		}
	}
	size_t acct_level = 0;
	for (size_t i = 0; i < a->nfindings; i++)
		acct_level += a->findings[i].symbol[0] == '\0';
	if (acct_level) {
		printf("  account-level findings:\n");
		for (size_t i = 0; i < a->nfindings; i++)
			if (!a->findings[i].symbol[0])
				printf("    %-8s %-20s %s\n", rec_severity_name(a->findings[i].severity),
				       rec_code_name(a->findings[i].code), TL(e1, a->findings[i].detail));
	}
}

/* ---- --json (README "JSON output"): the same facts as data ---- */

static bool same_symbol(const char *sym, const struct sym_row *r)
{
	char norm[REC_SYM_MAX];
	rec_symbol_normalize(sym, norm, sizeof norm);
	return strcmp(norm, r->sym) == 0;
}

static struct json_object *price_or_null(double p)
{
	return p > 0 ? wd_json_num(p) : NULL;
}

/* Exchange time to vigil's clock (offset = server - local), then the age. */
static struct json_object *exch_age(const struct wd_audit *a, int64_t now_ms, int64_t exch_ms)
{
	if (!exch_ms)
		return NULL;
	int64_t local = exch_ms - (a->clock_known ? a->clock_offset_ms : 0);
	return json_object_new_int64(now_ms > local ? now_ms - local : 0);
}

/* A position as the stream or REST reports it; null when the source does
 * not list the symbol. */
static struct json_object *pos_json(const struct wd_audit *a, const struct rec_position *p, int64_t now_ms)
{
	if (!p)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(wd_json_side(p->side, p->size)));
	json_object_object_add(o, "size", wd_json_num(p->size));
	json_object_object_add(o, "entry_price", price_or_null(p->entry_price));
	json_object_object_add(o, "mark_price", price_or_null(p->mark_price));
	json_object_object_add(o, "age_ms", exch_age(a, now_ms, p->update_ms));
	return o;
}

static struct json_object *bot_json(const struct rec_bot_row *b, int64_t now_ms)
{
	if (!b)
		return NULL;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "side", json_object_new_string(wd_json_side(b->side, b->qty)));
	json_object_object_add(o, "size", wd_json_num(b->qty));
	json_object_object_add(o, "entry_price", price_or_null(b->entry_price));
	json_object_object_add(o, "status", json_object_new_string(b->status));
	json_object_object_add(o, "age_ms",
			       b->opened_ms ? json_object_new_int64(now_ms > b->opened_ms ? now_ms - b->opened_ms : 0)
					    : NULL);
	return o;
}

static const char *role_word(enum rec_order_role r)
{
	switch (r) {
	case REC_ROLE_STOP: return "STOP";
	case REC_ROLE_TAKE_PROFIT: return "TAKE_PROFIT";
	case REC_ROLE_ENTRY: return "ENTRY";
	case REC_ROLE_WRONG_SIDE: return "WRONG_SIDE";
	case REC_ROLE_NONE: return "NONE";
	default: return "UNKNOWN";
	}
}

static struct json_object *prot_json(const struct rec_order *o, const struct rec_prot *v)
{
	struct json_object *j = json_object_new_object();
	json_object_object_add(j, "order_id", json_object_new_string(o->id));
	json_object_object_add(j, "type", json_object_new_string(o->type));
	json_object_object_add(j, "role", json_object_new_string(role_word(v->role)));
	json_object_object_add(j, "protects",
			       json_object_new_string(v->verdict == REC_PROT_YES  ? "YES"
						      : v->verdict == REC_PROT_NO ? "NO"
										  : "UNKNOWN"));
	json_object_object_add(j, "order_side", json_object_new_string(rec_oside_name(o->side)));
	json_object_object_add(j, "trigger_price", price_or_null(o->trigger_price));
	json_object_object_add(j, "full", json_object_new_boolean(v->full));
	json_object_object_add(j, "qty", v->full ? NULL : wd_json_num(v->qty));
	json_object_object_add(j, "position_attached", json_object_new_boolean(o->position_attached));
	return j;
}

static struct json_object *row_json(const struct wd_audit *a, const struct sym_row *r, int64_t now_ms)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "symbol", json_object_new_string(r->sym));
	json_object_object_add(o, "stream", pos_json(a, r->stream_pos, now_ms));
	json_object_object_add(o, "rest", pos_json(a, r->rest_pos, now_ms));
	json_object_object_add(o, "orders", json_object_new_int(r->orders));
	json_object_object_add(o, "db", bot_json(r->bot, now_ms));
	struct json_object *pa = json_object_new_array();
	for (size_t i = 0; i < a->listing.nord; i++) {
		const struct rec_order *ord = &a->listing.ord[i];
		struct rec_prot v;
		if (same_symbol(ord->symbol, r) && order_protection(a, ord, &v))
			json_object_array_add(pa, prot_json(ord, &v));
	}
	json_object_object_add(o, "protection", pa);
	struct json_object *fa = json_object_new_array();
	for (size_t i = 0; i < a->nfindings; i++)
		if (a->findings[i].symbol[0] && same_symbol(a->findings[i].symbol, r))
			json_object_array_add(fa, json_object_new_string(rec_code_name(a->findings[i].code)));
	json_object_object_add(o, "findings", fa);
	return o;
}

static struct json_object *account_json(const struct wd_audit *a, struct sym_row *rows, size_t n, int64_t now_ms,
					const char *holder)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "account", json_object_new_string(a->account));
	/* the instance whose claim covers the account; null: none, or no
	 * sharding (no database, single_instance) */
	json_object_object_add(o, "held_by", holder && holder[0] ? json_object_new_string(holder) : NULL);
	json_object_object_add(o, "exchange", json_object_new_string(rec_exchange_name(a->exchange)));
	json_object_object_add(o, "mode", json_object_new_string(rec_mode_name(a->mode)));
	json_object_object_add(o, "audited", json_object_new_boolean(a->audited));
	json_object_object_add(o, "error", a->audited ? NULL : json_object_new_string(a->error));
	struct json_object *st = NULL;
	if (a->stream) {
		st = json_object_new_object();
		json_object_object_add(st, "state",
				       json_object_new_string(a->stream->state == REC_SS_UP           ? "UP"
							      : a->stream->state == REC_SS_CONNECTING ? "CONNECTING"
												      : "DOWN"));
		json_object_object_add(st, "last_message_age_ms",
				       a->stream->last_msg_ms
					       ? json_object_new_int64(now_ms > a->stream->last_msg_ms
									       ? now_ms - a->stream->last_msg_ms
									       : 0)
					       : NULL);
		json_object_object_add(st, "reconnects", json_object_new_int64((int64_t)a->stream->reconnects));
	}
	json_object_object_add(o, "stream", st);
	struct json_object *rest = json_object_new_object();
	json_object_object_add(rest, "ok", json_object_new_boolean(a->listing.pos_rc == XCH_OK));
	json_object_object_add(rest, "error",
			       a->listing.pos_rc == XCH_OK
				       ? NULL
				       : json_object_new_string(xch_rc_name((enum xch_rc)a->listing.pos_rc)));
	json_object_object_add(o, "rest", rest);
	struct json_object *db = json_object_new_object();
	json_object_object_add(db, "ok", json_object_new_boolean(a->bot_ok));
	json_object_object_add(db, "error", a->bot_ok ? NULL : json_object_new_string(a->bot_error));
	json_object_object_add(o, "db", db);
	json_object_object_add(o, "clock_offset_ms", a->clock_known ? json_object_new_int64(a->clock_offset_ms) : NULL);
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, row_json(a, &rows[i], now_ms));
	json_object_object_add(o, "symbols", arr);
	struct json_object *fa = json_object_new_array();
	for (size_t i = 0; i < a->nfindings; i++)
		json_object_array_add(fa, wd_finding_json(&a->findings[i], now_ms));
	json_object_object_add(o, "findings", fa);
	return o;
}

/* Before any account is read: the message on stderr as always, and with
 * --json one document on stdout too. */
static int fail_before_status(bool json, int rc, const char *err)
{
	if (json)
		wd_json_print_error(stdout, wd_wall_ms(), rc, NULL, err);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_JSON | WD_OPT_LISTEN | WD_OPT_GRACE, &o,
			     err, sizeof err) != 0)
		return fail_before_status(wd_cmdargs_json(argc, argv), cli_usage("%s", err), err);
	if (o.npos)
		return fail_before_status(o.json, cli_usage("status takes no arguments"), "status takes no arguments");
	struct wd_conf *c = wd_cmd_conf_oneshot_err(o.conf, "vigil", err, sizeof err);
	if (!c)
		return fail_before_status(o.json, EX_CONFIG_, err);
	struct wd_engine_opts eo = { .kind = WD_ENG_ONESHOT,
				     .only_account = o.account,
				     .no_repair = true,
				     .no_alerts = true,
				     .quiet_console = true,
				     .no_store = true };
	wd_cmd_grace_override(c, o.grace_ms);
	struct wd_engine *e = NULL;
	if (wd_engine_new(c, &eo, &e, err, sizeof err) != 0) {
		fprintf(stderr, "vigil: %s\n", err);
		return fail_before_status(o.json, EX_CONFIG_, err);
	}
	struct wd_audit *a = NULL;
	size_t n = 0;
	wd_audit_run_all(e, o.listen_ms, &a, &n);
	char(*holder)[64] = xcalloc(e->n ? e->n : 1, sizeof *holder);
	bool holders = wd_store_holders(e, holder) == 0;
	int64_t now_ms = wd_wall_ms();
	struct sym_row *rows = xcalloc(STATUS_MAX_SYMS, sizeof *rows);
	struct json_object *accts = o.json ? json_object_new_array() : NULL;
	int rc = EX_OK_;
	for (size_t i = 0; i < n; i++) {
		size_t nr = build_rows(&a[i], &e->acct[i].params, rows);
		if (accts)
			json_object_array_add(accts, account_json(&a[i], rows, nr, now_ms, holders ? holder[i] : NULL));
		else
			print_account(&a[i], rows, nr, holders ? holder[i] : NULL);
		if (!a[i].audited)
			rc = EX_UNAVAILABLE_;
		wd_audit_free(&a[i]);
	}
	if (accts) {
		struct json_object *root = wd_json_doc_new(now_ms);
		json_object_object_add(root, "accounts", accts);
		json_object_object_add(root, "exit_code", json_object_new_int(rc));
		json_object_object_add(root, "error", NULL);
		wd_json_print(stdout, root);
	}
	free(rows);
	free(holder);
	free(a);
	wd_engine_free(e);
	return rc;
}
