#include "sql/db_store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static json_object *view_json(const struct rec_view *v)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "present", json_object_new_boolean(v->present));
	json_object_object_add(o, "side", json_object_new_string(rec_side_name(v->side)));
	json_object_object_add(o, "size", json_object_new_double(v->size));
	return o;
}

static char *finding_details(const struct rec_finding *f)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "detail", json_object_new_string(f->detail));
	json_object_object_add(o, "stream", view_json(&f->stream));
	json_object_object_add(o, "rest", view_json(&f->rest));
	json_object_object_add(o, "db", view_json(&f->db));
	json_object_object_add(o, "pos_side", json_object_new_string(rec_side_name(f->pos_side)));
	json_object_object_add(o, "pos_size", json_object_new_double(f->pos_size));
	json_object_object_add(o, "entry_price", json_object_new_double(f->entry_price));
	json_object_object_add(o, "mark_price", json_object_new_double(f->mark_price));
	json_object_object_add(o, "order_id", json_object_new_string(f->order_id));
	json_object_object_add(o, "stop_qty", json_object_new_double(f->stop_qty));
	json_object_object_add(o, "repairable", json_object_new_boolean(f->repairable));
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int db_finding_upsert(struct db_conn *c, const struct rec_finding *f, int64_t now_ms, struct db_err *e)
{
	char key[REC_KEY_MAX];
	snprintf(key, sizeof key, "%s", f->key);
	if (!*key) {
		struct rec_finding tmp = *f;
		rec_finding_make_key(&tmp);
		snprintf(key, sizeof key, "%s", tmp.key);
	}
	char code[8], sev[8], first[24], now[24];
	snprintf(code, sizeof code, "%d", (int)f->code);
	snprintf(sev, sizeof sev, "%d", (int)f->severity);
	snprintf(first, sizeof first, "%lld", (long long)(f->first_seen_ms > 0 ? f->first_seen_ms : now_ms));
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	char *details = finding_details(f);
	const char *p[] = { key,       code,       rec_code_name(f->code),
			    sev,       f->account, rec_exchange_name(f->exchange),
			    f->symbol, first,      now,
			    details };
	int rc = db_exec(
		c,
		"INSERT INTO %S.findings (key, code, code_name, severity, account, exchange, symbol,"
		" first_seen, last_seen, details) VALUES ($1, $2::int, $3, $4::int, $5, $6, $7, " DB_MS2TS(
			"$8") ", " DB_MS2TS("$9") ", $10::jsonb)"
						  " ON CONFLICT (key) WHERE resolved_at IS NULL DO UPDATE SET"
						  " last_seen = greatest(findings.last_seen, excluded.last_seen),"
						  " severity = excluded.severity, details = excluded.details",
		10, p, NULL, e);
	free(details);
	return rc;
}

int db_findings_resolve_absent(struct db_conn *c, const char *account, const char *const *keys, size_t n,
			       int64_t now_ms, long *resolved, struct db_err *e)
{
	/* the keys travel as one JSON array parameter, never as SQL text */
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(keys[i]));
	char *ks = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	const char *p[] = { account, ks, now };
	int rc = db_exec_count(c,
			       "UPDATE %S.findings SET resolved_at = " DB_MS2TS(
				       "$3") " WHERE account = $1 AND resolved_at IS NULL"
					     " AND key NOT IN (SELECT jsonb_array_elements_text($2::jsonb))",
			       3, p, resolved, e);
	free(ks);
	return rc;
}

int db_finding_resolve(struct db_conn *c, const char *key, int64_t now_ms, struct db_err *e)
{
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	const char *p[] = { key, now };
	return db_exec(c,
		       "UPDATE %S.findings SET resolved_at = " DB_MS2TS("$2") " WHERE key = $1 AND resolved_at IS NULL",
		       2, p, NULL, e);
}

int db_finding_ack(struct db_conn *c, const char *key, long *found, struct db_err *e)
{
	const char *p[] = { key };
	return db_exec_count(c,
			     "UPDATE %S.findings SET acked_at = coalesce(acked_at, now())"
			     " WHERE key = $1 AND resolved_at IS NULL",
			     1, p, found, e);
}

/* The columns of a db_finding_row, as finding_row_from reads them. */
#define FINDING_ROW_COLS                                                                                        \
	"id, key, code, code_name, severity, account, exchange, symbol, " DB_TS2MS("first_seen") ", " DB_TS2MS( \
		"last_seen") ", " DB_TS2MS("resolved_at") ", acked_at IS NOT NULL,"                             \
							  " coalesce(details->>'detail', '')"
#define FINDING_ROW_NCOLS 13

static void finding_row_from(PGresult *r, int i, struct db_finding_row *f)
{
	f->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	snprintf(f->key, sizeof f->key, "%s", PQgetvalue(r, i, 1));
	f->code = atoi(PQgetvalue(r, i, 2));
	snprintf(f->code_name, sizeof f->code_name, "%s", PQgetvalue(r, i, 3));
	f->severity = atoi(PQgetvalue(r, i, 4));
	snprintf(f->account, sizeof f->account, "%s", PQgetvalue(r, i, 5));
	snprintf(f->exchange, sizeof f->exchange, "%s", PQgetvalue(r, i, 6));
	snprintf(f->symbol, sizeof f->symbol, "%s", PQgetvalue(r, i, 7));
	f->first_seen_ms = strtoll(PQgetvalue(r, i, 8), NULL, 10);
	f->last_seen_ms = strtoll(PQgetvalue(r, i, 9), NULL, 10);
	f->resolved_ms = strtoll(PQgetvalue(r, i, 10), NULL, 10);
	f->acked = PQgetvalue(r, i, 11)[0] == 't';
	snprintf(f->detail, sizeof f->detail, "%s", PQgetvalue(r, i, 12));
}

int db_findings_list(struct db_conn *c, bool open_only, const char *account, size_t limit, struct db_finding_row **out,
		     size_t *n, struct db_err *e)
{
	*out = NULL;
	*n = 0;
	char lim[24];
	snprintf(lim, sizeof lim, "%zu", limit ? limit : 1000);
	const char *p[] = { open_only ? "t" : "f", account ? account : "", lim };
	PGresult *r;
	int rc = db_exec(c,
			 "SELECT " FINDING_ROW_COLS " FROM %S.findings"
			 " WHERE (NOT $1::bool OR resolved_at IS NULL) AND ($2 = '' OR account = $2)"
			 " ORDER BY last_seen DESC, id DESC LIMIT $3::int8",
			 3, p, &r, e);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	struct db_finding_row *f = rows ? xcalloc((size_t)rows, sizeof *f) : NULL;
	for (int i = 0; i < rows; i++)
		finding_row_from(r, i, &f[i]);
	PQclear(r);
	*out = f;
	*n = (size_t)rows;
	return DB_OK;
}

static void sources_text(unsigned bits, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", (bits & REC_SRC_STREAM) ? "stream," : "", (bits & REC_SRC_REST) ? "rest," : "",
		 (bits & REC_SRC_DB) ? "db," : "", (bits & REC_SRC_ORDER) ? "orders," : "");
	size_t n = strlen(buf);
	if (n)
		buf[n - 1] = '\0';
}

int db_audit_record(struct db_conn *c, const struct db_audit_run *r, const char *version, struct db_err *e)
{
	char v[7][24], src[64];
	snprintf(v[0], 24, "%lld", (long long)r->started_ms);
	snprintf(v[1], 24, "%lld", (long long)r->duration_ms);
	snprintf(v[2], 24, "%u", r->sources_reached);
	snprintf(v[3], 24, "%d", r->findings);
	snprintf(v[4], 24, "%d", r->critical);
	snprintf(v[5], 24, "%d", r->warnings);
	snprintf(v[6], 24, "%d", r->actions);
	sources_text(r->sources_reached, src, sizeof src);
	const char *p[] = { r->account, v[0], v[1], v[2], src, v[3], v[4], v[5], v[6], r->instance };
	int rc = db_exec(c,
			 "INSERT INTO %S.audit_runs (account, started_at, duration_ms, sources_reached, sources,"
			 " findings, critical, warnings, actions, instance) VALUES ($1, " DB_MS2TS(
				 "$2") ","
				       " $3::int8, $4::int, $5, $6::int, $7::int, $8::int, $9::int, $10)",
			 10, p, NULL, e);
	if (rc == DB_OK)
		rc = db_heartbeat(c, r->instance, r->account, r->started_ms + r->duration_ms, version, e);
	return rc;
}

int db_heartbeat(struct db_conn *c, const char *instance, const char *account, int64_t last_audit_ms,
		 const char *version, struct db_err *e)
{
	char ms[24];
	snprintf(ms, sizeof ms, "%lld", (long long)last_audit_ms);
	const char *p[] = { instance, account, ms, version ? version : "" };
	return db_exec(c,
		       "INSERT INTO %S.heartbeats (instance, account, last_audit, version, updated_at)"
		       " VALUES ($1, $2, " DB_MS2TS(
			       "$3") ", $4, now())"
				     " ON CONFLICT (instance, account) DO UPDATE SET last_audit = excluded.last_audit,"
				     " version = excluded.version, updated_at = now()",
		       4, p, NULL, e);
}

/* ---- alert state (002_alert_state.sql) ---- */

int db_finding_alerted(struct db_conn *c, const struct rec_finding *f, int kind, int64_t now_ms, struct db_err *e)
{
	char code[8], sev[8], first[24], now[24], k[8];
	snprintf(code, sizeof code, "%d", (int)f->code);
	snprintf(sev, sizeof sev, "%d", (int)f->severity);
	snprintf(first, sizeof first, "%lld", (long long)(f->first_seen_ms > 0 ? f->first_seen_ms : now_ms));
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	snprintf(k, sizeof k, "%d", kind);
	char *details = finding_details(f);
	const char *p[] = { f->key,    code,       rec_code_name(f->code),
			    sev,       f->account, rec_exchange_name(f->exchange),
			    f->symbol, first,      now,
			    details,   k };
	/* kind 0 FIRING: a new occurrence of the alert (first + last + its
	 * severity); 1 repeat: last; 2 escalated: escalated_at */
	int rc = db_exec(
		c,
		"INSERT INTO %S.findings (key, code, code_name, severity, account, exchange, symbol,"
		" first_seen, last_seen, details, first_alerted_at, last_alerted_at, alerted_severity,"
		" escalated_at) VALUES ($1, $2::int, $3, $4::int, $5, $6, $7, " DB_MS2TS("$8") ", " DB_MS2TS(
			"$9") ", $10::jsonb,"
			      " CASE WHEN $11::int = 0 THEN " DB_MS2TS(
				      "$9") " END,"
					    " CASE WHEN $11::int IN (0, 1) THEN " DB_MS2TS(
						    "$9") " END,"
							  " CASE WHEN $11::int = 0 THEN $4::int END,"
							  " CASE WHEN $11::int = 2 THEN " DB_MS2TS(
								  "$9") " END)"
									" ON CONFLICT (key) WHERE resolved_at IS NULL "
									"DO UPDATE SET"
									" first_alerted_at = CASE WHEN $11::int = 0 "
									"THEN excluded.first_alerted_at"
									"  ELSE findings.first_alerted_at END,"
									" last_alerted_at = "
									"coalesce(excluded.last_alerted_at, "
									"findings.last_alerted_at),"
									" alerted_severity = "
									"coalesce(excluded.alerted_severity, "
									"findings.alerted_severity),"
									" escalated_at = CASE WHEN $11::int = 0 THEN "
									"NULL"
									"  ELSE coalesce(excluded.escalated_at, "
									"findings.escalated_at) END,"
									" alert_due_at = CASE WHEN $11::int = 0 THEN "
									"NULL ELSE findings.alert_due_at END",
		11, p, NULL, e);
	free(details);
	return rc;
}

int db_findings_alert_state(struct db_conn *c, const char *account, struct db_alert_state **out, size_t *n,
			    struct db_err *e)
{
	*out = NULL;
	*n = 0;
	const char *p[] = { account ? account : "" };
	PGresult *r;
	int rc = db_exec(
		c,
		"SELECT " FINDING_ROW_COLS
		", " DB_TS2MS("first_alerted_at") ", " DB_TS2MS("last_alerted_at") ", " DB_TS2MS(
			"escalated_at") ", coalesce(alerted_severity, -1),"
					" " DB_TS2MS("alert_due_at") " FROM %S.findings WHERE resolved_at IS NULL AND "
								     "($1 = '' OR account = $1) ORDER BY id",
		1, p, &r, e);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	struct db_alert_state *s = rows ? xcalloc((size_t)rows, sizeof *s) : NULL;
	for (int i = 0; i < rows; i++) {
		finding_row_from(r, i, &s[i].row); /* open: resolved_ms 0 */
		const int k = FINDING_ROW_NCOLS;
		s[i].first_alerted_ms = strtoll(PQgetvalue(r, i, k), NULL, 10);
		s[i].last_alerted_ms = strtoll(PQgetvalue(r, i, k + 1), NULL, 10);
		s[i].escalated_ms = strtoll(PQgetvalue(r, i, k + 2), NULL, 10);
		s[i].alerted_severity = atoi(PQgetvalue(r, i, k + 3));
		s[i].alert_due_ms = strtoll(PQgetvalue(r, i, k + 4), NULL, 10);
	}
	PQclear(r);
	*out = s;
	*n = (size_t)rows;
	return DB_OK;
}

int db_actions_unalerted(struct db_conn *c, const char *account, int64_t since_ms, struct rec_action **out, size_t *n,
			 struct db_err *e)
{
	*out = NULL;
	*n = 0;
	char since[24];
	snprintf(since, sizeof since, "%lld", (long long)since_ms);
	const char *p[] = { account, since };
	PGresult *r;
	int rc = db_exec(
		c,
		"SELECT id, kind, exchange, symbol, order_side, qty, close_position, trigger_price,"
		" client_id, order_id, finding_key, outcome, answer, " DB_TS2MS(
			"intent_at") ","
				     " " DB_TS2MS("outcome_at") " FROM %S.actions"
								" WHERE account = $1 AND alerted_at IS NULL AND "
								"intent_at >= " DB_MS2TS(
									"$2") " AND outcome IN (0, 1, 2) ORDER BY seq",
		2, p, &r, e);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	struct rec_action *a = rows ? xcalloc((size_t)rows, sizeof *a) : NULL;
	for (int i = 0; i < rows; i++) {
		a[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		a[i].kind = (enum rec_action_kind)atoi(PQgetvalue(r, i, 1));
		snprintf(a[i].account, sizeof a[i].account, "%s", account);
		a[i].exchange = (enum rec_exchange)atoi(PQgetvalue(r, i, 2));
		snprintf(a[i].symbol, sizeof a[i].symbol, "%s", PQgetvalue(r, i, 3));
		a[i].order_side = (enum rec_oside)atoi(PQgetvalue(r, i, 4));
		a[i].qty = strtod(PQgetvalue(r, i, 5), NULL);
		a[i].close_position = PQgetvalue(r, i, 6)[0] == 't';
		a[i].trigger_price = strtod(PQgetvalue(r, i, 7), NULL);
		snprintf(a[i].client_id, sizeof a[i].client_id, "%s", PQgetvalue(r, i, 8));
		snprintf(a[i].order_id, sizeof a[i].order_id, "%s", PQgetvalue(r, i, 9));
		snprintf(a[i].finding_key, sizeof a[i].finding_key, "%s", PQgetvalue(r, i, 10));
		a[i].outcome = (enum rec_outcome)atoi(PQgetvalue(r, i, 11));
		snprintf(a[i].outcome_detail, sizeof a[i].outcome_detail, "%s", PQgetvalue(r, i, 12));
		a[i].intent_ms = strtoll(PQgetvalue(r, i, 13), NULL, 10);
		a[i].outcome_ms = strtoll(PQgetvalue(r, i, 14), NULL, 10);
	}
	PQclear(r);
	*out = a;
	*n = (size_t)rows;
	return DB_OK;
}

int db_actions_mark_alerted(struct db_conn *c, const int64_t *ids, size_t n, int64_t now_ms, struct db_err *e)
{
	if (n == 0)
		return DB_OK;
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_int64(ids[i]));
	char *js = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	char now[24];
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	const char *p[] = { js, now };
	int rc = db_exec(
		c,
		"UPDATE %S.actions SET alerted_at = " DB_MS2TS("$2") " WHERE alerted_at IS NULL AND id IN (SELECT "
								     "(jsonb_array_elements_text($1::jsonb))::int8)",
		2, p, NULL, e);
	free(js);
	return rc;
}

int db_finding_alert_restore(struct db_conn *c, const struct rec_finding *f, int64_t first_alerted_ms,
			     int64_t last_alerted_ms, int alerted_severity, int64_t escalated_ms, struct db_err *e)
{
	char code[8], sev[8], first[24], now[24], fa[24], la[24], as[8], es[24];
	int64_t now_ms = f->last_seen_ms > 0 ? f->last_seen_ms : last_alerted_ms;
	snprintf(code, sizeof code, "%d", (int)f->code);
	snprintf(sev, sizeof sev, "%d", (int)f->severity);
	snprintf(first, sizeof first, "%lld", (long long)(f->first_seen_ms > 0 ? f->first_seen_ms : now_ms));
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	snprintf(fa, sizeof fa, "%lld", (long long)first_alerted_ms);
	snprintf(la, sizeof la, "%lld", (long long)(last_alerted_ms ? last_alerted_ms : first_alerted_ms));
	snprintf(as, sizeof as, "%d", alerted_severity);
	snprintf(es, sizeof es, "%lld", (long long)escalated_ms);
	char *details = finding_details(f);
	const char *p[] = { f->key,    code,       rec_code_name(f->code),
			    sev,       f->account, rec_exchange_name(f->exchange),
			    f->symbol, first,      now,
			    details,   fa,         la,
			    as,        es };
	int rc = db_exec(
		c,
		"INSERT INTO %S.findings (key, code, code_name, severity, account, exchange, symbol,"
		" first_seen, last_seen, details, first_alerted_at, last_alerted_at, alerted_severity,"
		" escalated_at) VALUES ($1, $2::int, $3, $4::int, $5, $6, $7, " DB_MS2TS("$8") ", " DB_MS2TS(
			"$9") ", $10::jsonb, " DB_MS2TS("$11") ", " DB_MS2TS("$12") ", $13::int,"
										    " CASE WHEN $14::int8 > 0 "
										    "THEN " DB_MS2TS(
											    "$14") " END)"
												   " ON CONFLICT (key) "
												   "WHERE resolved_at "
												   "IS NULL DO UPDATE "
												   "SET"
												   " first_alerted_at "
												   "= "
												   "coalesce(findings."
												   "first_alerted_at, "
												   "excluded.first_"
												   "alerted_at),"
												   " last_alerted_at = "
												   "greatest(findings."
												   "last_alerted_at, "
												   "excluded.last_"
												   "alerted_at),"
												   " alerted_severity "
												   "= "
												   "coalesce(findings."
												   "alerted_severity, "
												   "excluded.alerted_"
												   "severity),"
												   " escalated_at = "
												   "coalesce(findings."
												   "escalated_at, "
												   "excluded.escalated_"
												   "at)",
		14, p, NULL, e);
	free(details);
	return rc;
}

int db_finding_alert_due(struct db_conn *c, const struct rec_finding *f, int64_t now_ms, struct db_err *e)
{
	char code[8], sev[8], first[24], now[24];
	snprintf(code, sizeof code, "%d", (int)f->code);
	snprintf(sev, sizeof sev, "%d", (int)f->severity);
	snprintf(first, sizeof first, "%lld", (long long)(f->first_seen_ms > 0 ? f->first_seen_ms : now_ms));
	snprintf(now, sizeof now, "%lld", (long long)now_ms);
	char *details = finding_details(f);
	const char *p[] = { f->key,    code,       rec_code_name(f->code),
			    sev,       f->account, rec_exchange_name(f->exchange),
			    f->symbol, first,      now,
			    details };
	int rc = db_exec(c,
			 "INSERT INTO %S.findings (key, code, code_name, severity, account, exchange, symbol,"
			 " first_seen, last_seen, details, alert_due_at) VALUES ($1, $2::int, $3, $4::int, $5, $6, "
			 "$7, " DB_MS2TS("$8") ", " DB_MS2TS("$9") ", $10::jsonb, " DB_MS2TS(
				 "$9") ")"
				       " ON CONFLICT (key) WHERE resolved_at IS NULL DO UPDATE SET"
				       " alert_due_at = coalesce(findings.alert_due_at, excluded.alert_due_at),"
				       " severity = excluded.severity, details = excluded.details",
			 10, p, NULL, e);
	free(details);
	return rc;
}

/* ---- conditions (003_conditions.sql) ---- */

int db_conditions_save(struct db_conn *c, const char *account, const struct db_condition *v, size_t n, struct db_err *e)
{
	/* the set travels as one JSON parameter: one statement, whatever n */
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		char kind[2] = { v[i].kind, '\0' };
		json_object_object_add(o, "k", json_object_new_string(v[i].key));
		json_object_object_add(o, "c", json_object_new_string(kind));
		json_object_object_add(o, "s", json_object_new_string(v[i].symbol));
		json_object_object_add(o, "f", json_object_new_int64(v[i].first_seen_ms));
		json_object_array_add(arr, o);
	}
	char *js = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	json_object_put(arr);
	const char *p[] = { account, js };
	int rc = db_exec(
		c,
		"WITH s AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(k text, c text, s text, f int8)),"
		" d AS (DELETE FROM %S.conditions WHERE account = $1 AND key NOT IN (SELECT k FROM s))"
		" INSERT INTO %S.conditions (account, key, kind, symbol, first_seen, saved_at)"
		" SELECT $1, k, c, s, " DB_MS2TS(
			"f") ", now() FROM s"
			     " ON CONFLICT (account, key) DO UPDATE SET kind = excluded.kind, symbol = excluded.symbol,"
			     " first_seen = excluded.first_seen, saved_at = excluded.saved_at",
		2, p, NULL, e);
	free(js);
	return rc;
}

int db_conditions_load(struct db_conn *c, const char *account, struct db_condition **out, size_t *n, struct db_err *e)
{
	*out = NULL;
	*n = 0;
	const char *p[] = { account };
	PGresult *r;
	int rc = db_exec(c,
			 "SELECT key, kind, symbol, " DB_TS2MS("first_seen") " FROM %S.conditions WHERE account = $1"
									     " ORDER BY key",
			 1, p, &r, e);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	struct db_condition *v = rows ? xcalloc((size_t)rows, sizeof *v) : NULL;
	for (int i = 0; i < rows; i++) {
		snprintf(v[i].key, sizeof v[i].key, "%s", PQgetvalue(r, i, 0));
		v[i].kind = PQgetvalue(r, i, 1)[0];
		snprintf(v[i].symbol, sizeof v[i].symbol, "%s", PQgetvalue(r, i, 2));
		v[i].first_seen_ms = strtoll(PQgetvalue(r, i, 3), NULL, 10);
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return DB_OK;
}
