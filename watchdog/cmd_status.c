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
#include "base/xalloc.h"

#define STATUS_MAX_SYMS 512

struct sym_row {
	char sym[REC_SYM_MAX];
	char stream[32], rest[32], db[48], prot[64], findings[160];
	int orders;
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

static size_t build_rows(const struct wd_audit *a, const struct rec_params *prm, struct sym_row *rows)
{
	size_t n = 0;
	struct sym_row *r;
	if (a->stream)
		for (size_t i = 0; i < a->stream->npos; i++)
			if ((r = row_get(rows, &n, a->stream->pos[i].symbol)))
				pos_str(r->stream, sizeof r->stream, &a->stream->pos[i]);
	for (size_t i = 0; i < a->listing.npos; i++)
		if ((r = row_get(rows, &n, a->listing.pos[i].symbol)))
			pos_str(r->rest, sizeof r->rest, &a->listing.pos[i]);
	for (size_t i = 0; i < a->listing.nord; i++) {
		const struct rec_order *o = &a->listing.ord[i];
		if (!(r = row_get(rows, &n, o->symbol)))
			continue;
		r->orders++;
		/* what protects, by the rule the audit uses (rec_protects) */
		const struct rec_position *lp = leg_position(a, o->symbol, o->pidx);
		struct rec_prot v;
		if (!lp || (rec_protects(o, lp, true, &v) == REC_PROT_NO && v.role != REC_ROLE_TAKE_PROFIT))
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

static void print_account(const struct wd_audit *a, struct sym_row *rows, size_t n)
{
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
	printf("%s (%s, mode %s): %s; REST %s; DB %s\n", a->account, rec_exchange_name(a->exchange),
	       rec_mode_name(a->mode), st,
	       a->listing.pos_rc == XCH_OK ? "ok" : xch_rc_name((enum xch_rc)a->listing.pos_rc),
	       a->bot_ok ? "ok" : a->bot_error);
	if (!a->audited)
		printf("  could not audit: %s\n", a->error);
	if (n == 0) {
		printf("  no positions, orders or bot rows\n");
	} else {
		printf("  %-12s %-12s %-12s %-6s %-22s %-26s %s\n", "SYMBOL", "STREAM", "REST", "ORDERS", "DB",
		       "PROTECTION", "FINDINGS");
		for (size_t i = 0; i < n; i++) {
			const struct sym_row *r = &rows[i];
			printf("  %-12s %-12s %-12s %-6d %-22s %-26s %s\n", r->sym, r->stream[0] ? r->stream : "-",
			       r->rest[0] ? r->rest : "-", r->orders, r->db[0] ? r->db : "-",
			       r->prot[0] ? r->prot : "none", r->findings[0] ? r->findings : "-");
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
				       rec_code_name(a->findings[i].code), a->findings[i].detail);
	}
}

static struct json_object *account_json(const struct wd_audit *a, struct sym_row *rows, size_t n)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "account", json_object_new_string(a->account));
	json_object_object_add(o, "exchange", json_object_new_string(rec_exchange_name(a->exchange)));
	json_object_object_add(o, "mode", json_object_new_string(rec_mode_name(a->mode)));
	json_object_object_add(o, "stream",
			       json_object_new_string(!a->stream                              ? "none"
						      : a->stream->state == REC_SS_UP         ? "up"
						      : a->stream->state == REC_SS_CONNECTING ? "connecting"
											      : "down"));
	json_object_object_add(o, "rest_ok", json_object_new_boolean(a->listing.pos_rc == XCH_OK));
	json_object_object_add(o, "db_ok", json_object_new_boolean(a->bot_ok));
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *r = json_object_new_object();
		json_object_object_add(r, "symbol", json_object_new_string(rows[i].sym));
		json_object_object_add(r, "stream", json_object_new_string(rows[i].stream));
		json_object_object_add(r, "rest", json_object_new_string(rows[i].rest));
		json_object_object_add(r, "orders", json_object_new_int(rows[i].orders));
		json_object_object_add(r, "db", json_object_new_string(rows[i].db));
		json_object_object_add(r, "protection", json_object_new_string(rows[i].prot));
		json_object_object_add(r, "findings", json_object_new_string(rows[i].findings));
		json_object_array_add(arr, r);
	}
	json_object_object_add(o, "symbols", arr);
	return o;
}

int cmd_status(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_JSON | WD_OPT_LISTEN | WD_OPT_GRACE, &o,
			     err, sizeof err) != 0)
		return cli_usage("%s", err);
	if (o.npos)
		return cli_usage("status takes no arguments");
	struct wd_conf *c = wd_cmd_conf_oneshot(o.conf, "vigil");
	if (!c)
		return EX_CONFIG_;
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
		return EX_CONFIG_;
	}
	struct wd_audit *a = NULL;
	size_t n = 0;
	wd_audit_run_all(e, o.listen_ms, &a, &n);
	struct sym_row *rows = xcalloc(STATUS_MAX_SYMS, sizeof *rows);
	struct json_object *root = o.json ? json_object_new_array() : NULL;
	int rc = EX_OK_;
	for (size_t i = 0; i < n; i++) {
		size_t nr = build_rows(&a[i], &e->acct[i].params, rows);
		if (root)
			json_object_array_add(root, account_json(&a[i], rows, nr));
		else
			print_account(&a[i], rows, nr);
		if (!a[i].audited)
			rc = EX_UNAVAILABLE_;
		wd_audit_free(&a[i]);
	}
	if (root) {
		printf("%s\n",
		       json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	}
	free(rows);
	free(a);
	wd_engine_free(e);
	return rc;
}
