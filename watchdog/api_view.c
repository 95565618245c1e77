/* The query API's answers as JSON (README "Query API" has the schema):
 * each leg judged by rec_position_view / rec_protection_view
 * (reconcile/view.h) on the account's snapshot plus a fresh stream copy,
 * with what every source said and how old it is. Conventions as vigil's
 * other JSON (README "JSON output"): sizes and prices are numbers, times
 * *_ms epoch milliseconds, ages milliseconds before generated_at_ms, null
 * when a source has nothing to say. */
#include <stdio.h>
#include <string.h>

#include "watchdog/api_int.h"
#include "base/xalloc.h"
#include "watchdog/audit.h"

const char *api_pidx_name(enum rec_pos_idx p)
{
	return p == REC_PIDX_LONG ? "LONG" : p == REC_PIDX_SHORT ? "SHORT" : "BOTH";
}

static const char *mode_name(enum rec_mode m)
{
	return m == REC_MODE_FULL ? "full" : m == REC_MODE_PROTECT ? "protect" : "observe";
}

static struct json_object *str_or_null(const char *s)
{
	return s && s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *age(int64_t now, int64_t since)
{
	return since > 0 ? json_object_new_int64(now > since ? now - since : 0) : NULL;
}

static struct json_object *num_or_null(double d)
{
	return d > 0 ? wd_json_num(d) : NULL;
}

static bool hedged(const struct api_eval *ev)
{
	const struct api_snap *sn = ev->snap;
	if (sn && sn->pos_mode != REC_MODE_UNKNOWN)
		return sn->pos_mode == REC_MODE_HEDGE;
	return ev->acct->hedge;
}

size_t api_legs(const struct api_eval *ev, const char *sym, enum rec_pos_idx legs[3])
{
	(void)sym;
	if (!hedged(ev)) {
		legs[0] = REC_PIDX_BOTH;
		return 1;
	}
	legs[0] = REC_PIDX_LONG;
	legs[1] = REC_PIDX_SHORT;
	return 2;
}

static struct json_object *stream_json(const struct api_eval *ev)
{
	const struct rec_stream_cache *c = ev->stream;
	struct json_object *o = json_object_new_object();
	struct rec_pos_view v;
	struct rec_snapshot s;
	api_snapshot_of(ev, NULL, &s);
	rec_position_view(&s, &ev->acct->params, "", REC_PIDX_BOTH, &v);
	json_object_object_add(o, "status", json_object_new_string(rec_stream_status_name(v.stream_status)));
	json_object_object_add(o, "connected_ms", c && c->connected_ms ? json_object_new_int64(c->connected_ms) : NULL);
	json_object_object_add(o, "last_message_age_ms", c ? age(ev->now_ms, c->last_msg_ms) : NULL);
	json_object_object_add(o, "last_event_age_ms", c ? age(ev->now_ms, c->last_event_ms) : NULL);
	json_object_object_add(o, "reconnects", c ? json_object_new_int64((int64_t)c->reconnects) : NULL);
	json_object_object_add(o, "stale_after_ms", json_object_new_int64(ev->acct->params.stream_stale_ms));
	return o;
}

static struct json_object *pos_fields(struct json_object *o, bool present, const struct rec_position *p)
{
	json_object_object_add(o, "present", json_object_new_boolean(present));
	json_object_object_add(o, "side", present ? json_object_new_string(wd_json_side(p->side, p->size)) : NULL);
	json_object_object_add(o, "size", present ? wd_json_num(p->size) : NULL);
	json_object_object_add(o, "entry_price", present ? num_or_null(p->entry_price) : NULL);
	json_object_object_add(o, "mark_price", present ? num_or_null(p->mark_price) : NULL);
	json_object_object_add(o, "update_ms", present && p->update_ms ? json_object_new_int64(p->update_ms) : NULL);
	return o;
}

struct json_object *api_json_position(const struct api_eval *ev, const struct rec_pos_view *v)
{
	struct rec_snapshot s;
	api_snapshot_of(ev, v->symbol, &s);
	int64_t now = ev->now_ms;
	struct json_object *o = json_object_new_object();
	bool open = v->state == REC_VIEW_OPEN;
	json_object_object_add(o, "symbol", json_object_new_string(v->symbol));
	json_object_object_add(o, "pidx", json_object_new_string(api_pidx_name(v->pidx)));
	json_object_object_add(o, "state",
			       json_object_new_string(v->state == REC_VIEW_OPEN   ? "OPEN"
						      : v->state == REC_VIEW_FLAT ? "FLAT"
										  : "UNKNOWN"));
	json_object_object_add(o, "side",
			       open                        ? json_object_new_string(rec_side_name(v->pos.side))
			       : v->state == REC_VIEW_FLAT ? json_object_new_string("FLAT")
							   : NULL);
	json_object_object_add(o, "size",
			       open                        ? wd_json_num(v->pos.size)
			       : v->state == REC_VIEW_FLAT ? wd_json_num(0)
							   : NULL);
	json_object_object_add(o, "entry_price", open ? num_or_null(v->pos.entry_price) : NULL);
	json_object_object_add(o, "mark_price", open ? num_or_null(v->pos.mark_price) : NULL);
	json_object_object_add(o, "from",
			       v->from == REC_SRC_STREAM ? json_object_new_string("stream")
			       : v->from == REC_SRC_REST ? json_object_new_string("rest")
							 : NULL);
	json_object_object_add(o, "rule", json_object_new_string(rec_view_rule_name(v->rule)));
	json_object_object_add(o, "why", json_object_new_string(v->why));

	struct json_object *src = json_object_new_object();
	struct json_object *st = json_object_new_object();
	json_object_object_add(st, "status", json_object_new_string(rec_stream_status_name(v->stream_status)));
	json_object_object_add(st, "authoritative", json_object_new_boolean(v->stream_auth));
	pos_fields(st, v->stream_present, &v->stream_pos);
	json_object_object_add(st, "seen_ms", v->stream_present ? json_object_new_int64(v->stream_pos.seen_ms) : NULL);
	json_object_object_add(st, "age_ms", v->stream_present ? age(now, v->stream_pos.seen_ms) : NULL);
	json_object_object_add(src, "stream", st);

	struct json_object *re = json_object_new_object();
	json_object_object_add(re, "status", json_object_new_string(rec_rest_status_name(v->rest_status)));
	json_object_object_add(re, "ok", json_object_new_boolean(v->rest_ok));
	pos_fields(re, v->rest_present, &v->rest_pos);
	json_object_object_add(re, "fetched_ms", s.rest_fetched_ms ? json_object_new_int64(s.rest_fetched_ms) : NULL);
	json_object_object_add(re, "age_ms", age(now, s.rest_fetched_ms));
	json_object_object_add(re, "error", v->rest_ok ? NULL : str_or_null(s.rest_error));
	json_object_object_add(src, "rest", re);

	struct json_object *db = json_object_new_object();
	const struct rec_bot_row *r = &v->db_row;
	json_object_object_add(db, "ok", json_object_new_boolean(v->db_ok));
	json_object_object_add(db, "present", json_object_new_boolean(v->db_present));
	json_object_object_add(db, "side",
			       v->db_present ? json_object_new_string(wd_json_side(r->side, r->qty)) : NULL);
	json_object_object_add(db, "size", v->db_present ? wd_json_num(r->qty) : NULL);
	json_object_object_add(db, "entry_price", v->db_present ? num_or_null(r->entry_price) : NULL);
	json_object_object_add(db, "status", v->db_present ? json_object_new_string(r->status) : NULL);
	int64_t read = ev->snap ? ev->snap->bot_read_ms : 0;
	json_object_object_add(db, "read_ms", read ? json_object_new_int64(read) : NULL);
	json_object_object_add(db, "age_ms", age(now, read));
	json_object_object_add(db, "error", v->db_ok ? NULL : str_or_null(s.bot_error));
	json_object_object_add(src, "db", db);
	json_object_object_add(o, "sources", src);

	struct json_object *fa = json_object_new_array();
	for (size_t i = 0; ev->snap && i < ev->snap->nfindings; i++) {
		const struct rec_finding *f = &ev->snap->findings[i];
		if (strcmp(f->symbol, v->symbol) == 0 && f->pidx == v->pidx)
			json_object_array_add(fa, wd_finding_json(f, now));
	}
	json_object_object_add(o, "findings", fa);
	return o;
}

static void doc_account(struct json_object *d, const struct api_eval *ev)
{
	json_object_object_add(d, "account", json_object_new_string(ev->acct->name));
	json_object_object_add(d, "exchange", json_object_new_string(rec_exchange_name(ev->acct->exchange)));
}

struct json_object *api_json_account(const struct api_eval *ev)
{
	const struct api_snap *sn = ev->snap;
	struct rec_snapshot s;
	api_snapshot_of(ev, NULL, &s);
	struct json_object *o = json_object_new_object();
	doc_account(o, ev);
	json_object_object_add(o, "mode", json_object_new_string(mode_name(ev->acct->mode)));
	json_object_object_add(o, "hedge_mode", json_object_new_boolean(hedged(ev)));
	json_object_object_add(o, "stream", stream_json(ev));
	struct json_object *re = json_object_new_object();
	json_object_object_add(re, "ok", json_object_new_boolean(s.rest_pos_ok));
	json_object_object_add(re, "orders_ok", json_object_new_boolean(s.orders_ok));
	json_object_object_add(re, "fetched_ms", sn ? json_object_new_int64(sn->fetched_ms) : NULL);
	json_object_object_add(re, "age_ms", sn ? age(ev->now_ms, sn->fetched_ms) : NULL);
	json_object_object_add(re, "error", s.rest_pos_ok ? NULL : str_or_null(s.rest_error));
	json_object_object_add(re, "orders_error", s.orders_ok ? NULL : str_or_null(s.orders_error));
	json_object_object_add(o, "rest", re);
	struct json_object *db = json_object_new_object();
	json_object_object_add(db, "ok", json_object_new_boolean(s.bot_ok));
	json_object_object_add(db, "error", s.bot_ok ? NULL : str_or_null(s.bot_error));
	json_object_object_add(o, "db", db);
	struct json_object *la = json_object_new_object();
	json_object_object_add(la, "started_ms", sn ? json_object_new_int64(sn->audit_ms) : NULL);
	json_object_object_add(la, "audited", sn ? json_object_new_boolean(sn->audited) : NULL);
	json_object_object_add(la, "error", sn ? str_or_null(sn->error) : json_object_new_string("no audit yet"));
	json_object_object_add(o, "last_audit", la);
	struct json_object *fa = json_object_new_array();
	for (size_t i = 0; sn && i < sn->nfindings; i++)
		if (!sn->findings[i].symbol[0])
			json_object_array_add(fa, wd_finding_json(&sn->findings[i], ev->now_ms));
	json_object_object_add(o, "account_findings", fa);
	json_object_object_add(o, "findings_open", json_object_new_int64(sn ? (int64_t)sn->nfindings : 0));
	return o;
}

struct json_object *api_json_accounts(struct api_hub *h, int64_t now_ms)
{
	struct json_object *d = wd_json_doc_new(now_ms);
	struct json_object *arr = json_object_new_array();
	pthread_rwlock_rdlock(&h->rw);
	size_t n = h->n;
	struct api_acct *list[WD_MAX_ACCOUNTS * 4];
	size_t k = 0;
	for (size_t i = 0; i < n && k < sizeof list / sizeof *list; i++)
		if (!h->acct[i]->gone)
			list[k++] = h->acct[i];
	pthread_rwlock_unlock(&h->rw);
	for (size_t i = 0; i < k; i++) {
		struct api_eval ev;
		if (!api_eval_take(h, list[i], "", &ev))
			break;
		json_object_array_add(arr, api_json_account(&ev));
		api_eval_release(h, &ev);
	}
	json_object_object_add(d, "accounts", arr);
	return d;
}

/* Every symbol any source mentions (stream entries, REST positions, live
 * bot rows, open orders). */
static size_t symbols(const struct api_eval *ev, char (*out)[REC_SYM_MAX], size_t cap)
{
	size_t n = 0;
	struct rec_snapshot s;
	api_snapshot_of(ev, NULL, &s);
#define ADD(sym)                                                      \
	do {                                                          \
		bool dup = false;                                     \
		for (size_t j = 0; j < n && !dup; j++)                \
			dup = strcmp(out[j], (sym)) == 0;             \
		if (!dup && n < cap && (sym)[0])                      \
			snprintf(out[n++], REC_SYM_MAX, "%s", (sym)); \
	} while (0)
	for (size_t i = 0; ev->stream && i < ev->stream->npos && i < REC_STREAM_MAX_POS; i++)
		if (ev->stream->pos[i].size > 0)
			ADD(ev->stream->pos[i].symbol);
	for (size_t i = 0; i < s.nrest_pos; i++)
		ADD(s.rest_pos[i].symbol);
	for (size_t i = 0; s.bot_ok && i < s.nbot; i++) {
		char norm[REC_SYM_MAX];
		if (!rec_bot_row_matches_exchange(&s.bot[i], &ev->acct->params) ||
		    !rec_bot_row_is_live(&s.bot[i], &ev->acct->params))
			continue;
		rec_symbol_normalize(s.bot[i].symbol, norm, sizeof norm);
		ADD(norm);
	}
	for (size_t i = 0; ev->snap && i < ev->snap->nfindings; i++)
		ADD(ev->snap->findings[i].symbol);
#undef ADD
	return n;
}

struct json_object *api_json_positions(const struct api_eval *ev, const char *sym)
{
	struct json_object *d = wd_json_doc_new(ev->now_ms);
	doc_account(d, ev);
	json_object_object_add(d, "stream", stream_json(ev));
	struct json_object *arr = json_object_new_array();
	size_t cap = REC_STREAM_MAX_POS + (ev->snap ? ev->snap->npos + ev->snap->nbot + ev->snap->nfindings : 0) + 1;
	char(*syms)[REC_SYM_MAX] = xmalloc(cap * sizeof *syms);
	size_t ns;
	if (sym && sym[0]) {
		rec_symbol_normalize(sym, syms[0], sizeof syms[0]);
		ns = 1;
	} else {
		ns = symbols(ev, syms, cap);
	}
	for (size_t i = 0; i < ns; i++) {
		enum rec_pos_idx legs[3];
		size_t nl = api_legs(ev, syms[i], legs);
		for (size_t l = 0; l < nl; l++) {
			struct rec_snapshot s;
			struct rec_pos_view v;
			api_snapshot_of(ev, syms[i], &s);
			rec_position_view(&s, &ev->acct->params, syms[i], legs[l], &v);
			/* the whole account: legs something is open, unknown or
			 * disputed on (a flat leg every source agrees on is left out) */
			if (!(sym && sym[0]) && v.state == REC_VIEW_FLAT && !v.rest_present && !v.db_present &&
			    !(v.stream_present && v.stream_pos.size > 0))
				continue;
			json_object_array_add(arr, api_json_position(ev, &v));
		}
	}
	free(syms);
	json_object_object_add(d, "positions", arr);
	return d;
}

struct json_object *api_json_protection(const struct api_eval *ev, const char *sym)
{
	struct json_object *d = wd_json_doc_new(ev->now_ms);
	char norm[REC_SYM_MAX];
	rec_symbol_normalize(sym, norm, sizeof norm);
	doc_account(d, ev);
	json_object_object_add(d, "symbol", json_object_new_string(norm));
	struct json_object *arr = json_object_new_array();
	enum rec_pos_idx legs[3];
	size_t nl = api_legs(ev, norm, legs);
	for (size_t l = 0; l < nl; l++) {
		struct rec_snapshot s;
		struct rec_prot_view pv;
		api_snapshot_of(ev, norm, &s);
		rec_protection_view(&s, &ev->acct->params, norm, legs[l], &pv);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "pidx", json_object_new_string(api_pidx_name(legs[l])));
		json_object_object_add(o, "position", api_json_position(ev, &pv.pos));
		json_object_object_add(o, "orders_ok", json_object_new_boolean(pv.orders_ok));
		json_object_object_add(o, "orders_error", pv.orders_ok ? NULL : str_or_null(s.orders_error));
		json_object_object_add(o, "orders_fetched_ms",
				       s.rest_fetched_ms ? json_object_new_int64(s.rest_fetched_ms) : NULL);
		struct json_object *oa = json_object_new_array();
		for (size_t i = 0; i < pv.norders; i++) {
			const struct rec_prot_entry *e = &pv.orders[i];
			const struct rec_order *od = &e->order;
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "order_id", json_object_new_string(od->id));
			json_object_object_add(x, "client_id", str_or_null(od->client_id));
			json_object_object_add(x, "type", json_object_new_string(od->type));
			json_object_object_add(x, "order_side", json_object_new_string(rec_oside_name(od->side)));
			json_object_object_add(x, "role", json_object_new_string(rec_role_name(e->v.role)));
			json_object_object_add(x, "protects",
					       json_object_new_string(e->v.verdict == REC_PROT_YES  ? "YES"
								      : e->v.verdict == REC_PROT_NO ? "NO"
												    : "UNKNOWN"));
			json_object_object_add(x, "why", json_object_new_string(e->v.why));
			json_object_object_add(x, "trigger_price", num_or_null(od->trigger_price));
			json_object_object_add(x, "full", json_object_new_boolean(e->v.full));
			json_object_object_add(x, "qty", e->v.full ? NULL : wd_json_num(od->qty - od->filled));
			json_object_object_add(x, "reduce_only", json_object_new_boolean(od->reduce_only));
			json_object_object_add(x, "close_position", json_object_new_boolean(od->close_position));
			json_object_object_add(x, "position_attached", json_object_new_boolean(od->position_attached));
			json_object_object_add(x, "from",
					       json_object_new_string(od->sources & REC_SRC_REST ? "rest" : "stream"));
			json_object_array_add(oa, x);
		}
		json_object_object_add(o, "orders", oa);
		struct json_object *cov = NULL, *miss = NULL;
		if (pv.judged) {
			cov = json_object_new_object();
			json_object_object_add(cov, "covered", json_object_new_boolean(pv.covered));
			json_object_object_add(cov, "full", json_object_new_boolean(pv.full));
			json_object_object_add(cov, "stop_qty", wd_json_num(pv.stop_qty));
			json_object_object_add(cov, "size", wd_json_num(pv.pos.pos.size));
			json_object_object_add(cov, "closing_side", json_object_new_string(rec_oside_name(pv.closing)));
			json_object_object_add(cov, "protecting_stops", json_object_new_int64((int64_t)pv.nstops));
			json_object_object_add(cov, "position_stop_loss", json_object_new_boolean(pv.pos_field));
			json_object_object_add(cov, "ignored_unknown", json_object_new_int64((int64_t)pv.nunknown));
			json_object_object_add(cov, "stuck_triggering", json_object_new_int64((int64_t)pv.nlingering));
			json_object_object_add(cov, "inactive", json_object_new_int64((int64_t)pv.ninactive));
			json_object_object_add(cov, "take_profits", json_object_new_int64((int64_t)pv.ntp));
			json_object_object_add(cov, "entries", json_object_new_int64((int64_t)pv.nentry));
			json_object_object_add(cov, "wrong_side", json_object_new_int64((int64_t)pv.nwrong));
			if (pv.missing) {
				miss = json_object_new_object();
				json_object_object_add(miss, "code",
						       json_object_new_string(rec_code_name(pv.missing_code)));
				json_object_object_add(miss, "uncovered_qty", wd_json_num(pv.uncovered));
				json_object_object_add(miss, "stop_side",
						       json_object_new_string(rec_oside_name(pv.closing)));
			}
		}
		json_object_object_add(o, "coverage", cov);
		json_object_object_add(o, "missing", miss);
		json_object_array_add(arr, o);
		rec_prot_view_free(&pv);
	}
	json_object_object_add(d, "legs", arr);
	return d;
}
