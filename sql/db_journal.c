#include "sql/db_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/db_replay.h"
#include "sql/db_spool.h"
#include "base/log.h"
#include "base/xalloc.h"

struct jpriv {
	struct db_conn *c;
	struct db_spool sp;
};

#define P(j) ((struct jpriv *)(j)->priv)

static const char INSERT_SQL[] =
	"INSERT INTO %S.actions (id, kind, account, exchange, symbol, position_side, pidx, order_side,"
	" qty, close_position, trigger_price, client_id, order_id, order_is_algo, finding_key, reason,"
	" request, outcome, answer, intent_at, outcome_at) VALUES ($1::int8, $2::int, $3, $4::int, $5,"
	" $6::int, $7::int, $8::int, $9::float8, $10::bool, $11::float8, $12, $13, $14::bool, $15, $16,"
	" $17::jsonb, $18::int, $19, " DB_MS2TS("$20") ","
						       " CASE WHEN $21::int8 > 0 THEN " DB_MS2TS(
							       "$21") " END)"
								      " ON CONFLICT (id) DO NOTHING";

static const char OUTCOME_SQL[] =
	"UPDATE %S.actions SET outcome = $2::int, order_id = CASE WHEN $3 = '' THEN order_id ELSE $3 END,"
	" answer = $4, outcome_at = " DB_MS2TS("$5") " WHERE id = $1::int8";

static int insert_action(struct db_conn *c, const struct rec_action *a, const char *json, struct db_err *e)
{
	char v[12][32];
	snprintf(v[0], 32, "%lld", (long long)a->id);
	snprintf(v[1], 32, "%d", (int)a->kind);
	snprintf(v[2], 32, "%d", (int)a->exchange);
	snprintf(v[3], 32, "%d", (int)a->position_side);
	snprintf(v[4], 32, "%d", (int)a->pidx);
	snprintf(v[5], 32, "%d", (int)a->order_side);
	snprintf(v[6], 32, "%.17g", a->qty);
	snprintf(v[7], 32, "%.17g", a->trigger_price);
	snprintf(v[8], 32, "%d", (int)a->outcome);
	snprintf(v[9], 32, "%lld", (long long)a->intent_ms);
	snprintf(v[10], 32, "%lld", (long long)a->outcome_ms);
	const char *p[] = { v[0],
			    v[1],
			    a->account,
			    v[2],
			    a->symbol,
			    v[3],
			    v[4],
			    v[5],
			    v[6],
			    a->close_position ? "t" : "f",
			    v[7],
			    a->client_id,
			    a->order_id,
			    a->order_is_algo ? "t" : "f",
			    a->finding_key,
			    a->reason,
			    json,
			    v[8],
			    a->outcome_detail,
			    v[9],
			    v[10] };
	return db_exec(c, INSERT_SQL, 21, p, NULL, e);
}

static int update_outcome(struct db_conn *c, int64_t id, int oc, const char *order_id, const char *detail, int64_t ms,
			  struct db_err *e)
{
	char sid[24], so[8], sms[24];
	snprintf(sid, sizeof sid, "%lld", (long long)id);
	snprintf(so, sizeof so, "%d", oc);
	snprintf(sms, sizeof sms, "%lld", (long long)ms);
	const char *p[] = { sid, so, order_id ? order_id : "", detail ? detail : "", sms };
	return db_exec(c, OUTCOME_SQL, 5, p, NULL, e);
}

static int apply_rec(struct db_conn *c, const char *type, json_object *o, void *ctx, struct db_err *e)
{
	(void)ctx;
	if (strcmp(type, "intent") == 0) {
		struct rec_action a;
		if (db_spool_get_intent(o, &a))
			return db_err_set(e, DB_EDATA, "bad intent record");
		return insert_action(c, &a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), e);
	}
	if (strcmp(type, "outcome") == 0)
		return update_outcome(c, db_spool_get_i64(o, "id"), (int)db_spool_get_i64(o, "outcome"),
				      db_spool_get_str(o, "order_id"), db_spool_get_str(o, "detail"),
				      db_spool_get_i64(o, "ms"), e);
	return db_err_set(e, DB_EDATA, "unknown journal record type %s", type);
}

int db_journal_flush(struct rec_journal *j, struct db_err *e)
{
	return db_replay(P(j)->c, &P(j)->sp, apply_rec, NULL, e);
}

size_t db_journal_spooled(struct rec_journal *j)
{
	return P(j)->sp.count;
}

struct db_conn *db_journal_conn(struct rec_journal *j)
{
	return P(j)->c;
}

/* Database first when it answers and nothing older waits in the spool
 * (order matters); otherwise the spool. hold: the record may wait in
 * memory when the disk refuses it (an outcome: the action already
 * happened); an intent may not (nothing is sent without it on disk). */
static int write_or_spool(struct rec_journal *j, const char *line,
			  int (*direct)(struct rec_journal *, void *, struct db_err *), void *arg, bool hold)
{
	struct db_err e = { 0 };
	int rc = db_journal_flush(j, &e);
	if (rc == DB_OK) {
		rc = direct(j, arg, &e);
		if (rc == DB_OK) {
			db_spool_storage_ok();
			return 0;
		}
	}
	if (rc != DB_EUNREACH) {
		log_error("db", "journal write failed err=\"%s\"", e.msg);
		return -1;
	}
	if (db_spool_append(&P(j)->sp, line, hold) < 0) {
		log_error("db", "journal spool write failed spool=%s", P(j)->sp.path);
		return -1;
	}
	log_warn("db", "journal record spooled spooled=%zu", P(j)->sp.count);
	return 0;
}

struct intent_arg {
	const struct rec_action *a;
	const char *json;
};

static int direct_intent(struct rec_journal *j, void *arg, struct db_err *e)
{
	struct intent_arg *ia = arg;
	return insert_action(P(j)->c, ia->a, ia->json, e);
}

static int j_intent(struct rec_journal *j, struct rec_action *a)
{
	if (a->id <= 0)
		a->id = db_new_id();
	if (a->intent_ms <= 0)
		a->intent_ms = wd_wall_ms();
	a->outcome = REC_OUT_PENDING;
	char *line = db_spool_fmt_intent(a);
	struct intent_arg ia = { a, line };
	int rc = write_or_spool(j, line, direct_intent, &ia, false);
	free(line);
	return rc;
}

struct outcome_arg {
	int64_t id, ms;
	enum rec_outcome o;
	const char *order_id, *detail;
};

static int direct_outcome(struct rec_journal *j, void *arg, struct db_err *e)
{
	struct outcome_arg *oa = arg;
	return update_outcome(P(j)->c, oa->id, oa->o, oa->order_id, oa->detail, oa->ms, e);
}

static int j_outcome(struct rec_journal *j, int64_t id, enum rec_outcome o, const char *order_id, const char *detail)
{
	struct outcome_arg oa = { id, wd_wall_ms(), o, order_id ? order_id : "", detail ? detail : "" };
	char *line = db_spool_fmt_outcome(id, o, oa.order_id, oa.detail, oa.ms);
	int rc = write_or_spool(j, line, direct_outcome, &oa, true);
	free(line);
	return rc;
}

static void cpy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

#define ACTION_COLS                                                                        \
	"id, kind, account, exchange, symbol, position_side, pidx, order_side, qty,"       \
	" close_position, trigger_price, client_id, order_id, order_is_algo, finding_key," \
	" reason, " DB_TS2MS("intent_at") ", outcome, " DB_TS2MS("outcome_at")

/* SELECT ACTION_COLS ... rows -> actions (malloc'd). */
static struct rec_action *rows_to_actions(PGresult *r, size_t *n)
{
	int rows = PQntuples(r);
	struct rec_action *a = rows ? xcalloc((size_t)rows, sizeof *a) : NULL;
	for (int i = 0; i < rows; i++) {
		a[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		a[i].kind = (enum rec_action_kind)atoi(PQgetvalue(r, i, 1));
		cpy(a[i].account, sizeof a[i].account, PQgetvalue(r, i, 2));
		a[i].exchange = (enum rec_exchange)atoi(PQgetvalue(r, i, 3));
		cpy(a[i].symbol, sizeof a[i].symbol, PQgetvalue(r, i, 4));
		a[i].position_side = (enum rec_side)atoi(PQgetvalue(r, i, 5));
		a[i].pidx = (enum rec_pos_idx)atoi(PQgetvalue(r, i, 6));
		a[i].order_side = (enum rec_oside)atoi(PQgetvalue(r, i, 7));
		a[i].qty = strtod(PQgetvalue(r, i, 8), NULL);
		a[i].close_position = PQgetvalue(r, i, 9)[0] == 't';
		a[i].trigger_price = strtod(PQgetvalue(r, i, 10), NULL);
		cpy(a[i].client_id, sizeof a[i].client_id, PQgetvalue(r, i, 11));
		cpy(a[i].order_id, sizeof a[i].order_id, PQgetvalue(r, i, 12));
		a[i].order_is_algo = PQgetvalue(r, i, 13)[0] == 't';
		cpy(a[i].finding_key, sizeof a[i].finding_key, PQgetvalue(r, i, 14));
		cpy(a[i].reason, sizeof a[i].reason, PQgetvalue(r, i, 15));
		a[i].intent_ms = strtoll(PQgetvalue(r, i, 16), NULL, 10);
		a[i].outcome = (enum rec_outcome)atoi(PQgetvalue(r, i, 17));
		a[i].outcome_ms = strtoll(PQgetvalue(r, i, 18), NULL, 10);
	}
	*n = (size_t)rows;
	return a;
}

static int j_unfinished(struct rec_journal *j, const char *account, struct rec_action **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct db_err e = { 0 };
	int rc = db_journal_flush(j, &e);
	PGresult *r = NULL;
	if (rc == DB_OK) {
		const char *p[] = { account };
		rc = db_exec(P(j)->c,
			     "SELECT " ACTION_COLS
			     " FROM %S.actions WHERE account = $1 AND outcome IN (0, 4) ORDER BY seq",
			     1, p, &r, &e);
	}
	if (rc) {
		log_warn("db", "journal unfinished check impossible err=\"%s\"", e.msg);
		return rc;
	}
	*out = rows_to_actions(r, n);
	PQclear(r);
	for (size_t i = 0; i < *n; i++)
		if ((*out)[i].outcome != REC_OUT_UNKNOWN)
			(*out)[i].outcome = REC_OUT_PENDING;
	return 0;
}

static int j_recent_stops(struct rec_journal *j, const char *account, int64_t since_ms, struct rec_action **out,
			  size_t *n)
{
	*out = NULL;
	*n = 0;
	struct db_err e = { 0 };
	int rc = db_journal_flush(j, &e);
	PGresult *r = NULL;
	if (rc == DB_OK) {
		char since[32];
		snprintf(since, sizeof since, "%lld", (long long)since_ms);
		const char *p[] = { account, since };
		rc = db_exec(P(j)->c,
			     "SELECT " ACTION_COLS " FROM %S.actions WHERE account = $1 AND kind = 0 AND outcome = 1"
			     " AND order_id <> '' AND outcome_at >= " DB_MS2TS("$2") " ORDER BY seq",
			     2, p, &r, &e);
	}
	if (rc) {
		log_warn("db", "journal recent stops unreadable err=\"%s\"", e.msg);
		return rc;
	}
	*out = rows_to_actions(r, n);
	PQclear(r);
	return 0;
}

static void j_destroy(struct rec_journal *j)
{
	if (!j)
		return;
	struct db_err e = { 0 };
	if (P(j)->sp.count)
		(void)db_journal_flush(j, &e);
	db_spool_close(&P(j)->sp);
	db_conn_free(P(j)->c);
	free(j->priv);
	free(j);
}

static const struct rec_journal_ops db_journal_ops = {
	.intent = j_intent,
	.outcome = j_outcome,
	.unfinished = j_unfinished,
	.recent_stops = j_recent_stops,
	.destroy = j_destroy,
};

struct rec_journal *db_journal_new(const struct db_params *p, const char *spool_path, struct db_err *e)
{
	struct db_conn *c = db_conn_new(p, e);
	if (!c)
		return NULL;
	struct jpriv *jp = xcalloc(1, sizeof *jp);
	jp->c = c;
	char err[256];
	if (db_spool_open(&jp->sp, spool_path, err, sizeof err)) {
		db_err_set(e, DB_ECONFIG, "%s", err);
		db_conn_free(c);
		free(jp);
		return NULL;
	}
	struct rec_journal *j = xcalloc(1, sizeof *j);
	j->ops = &db_journal_ops;
	j->priv = jp;
	if (jp->sp.count)
		log_info("db", "journal spool holds records spool=%s records=%zu", spool_path, jp->sp.count);
	return j;
}
