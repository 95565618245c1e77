#include "sql/db_outbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql/db_replay.h"
#include "sql/db_spool.h"
#include "base/log.h"
#include "base/xalloc.h"

/* how long a notifier holds the due rows it took */
#define OUTBOX_CLAIM "interval '30 seconds'"

/* One libpq connection serves one thread at a time, and the router
 * (engine thread) enqueues while the notifier drains from its own: every
 * entry point takes mu around its use of c, the spool and mem. */
struct opriv {
	pthread_mutex_t mu;
	struct db_conn *c;
	struct db_spool sp;
	/* messages enqueued into the spool, as the spool says they stand now */
	struct alert_msg *mem;
	size_t nmem;
	char claimer[96]; /* who claims due rows (db_outbox_set_claimer) */
};

#define P(o) ((struct opriv *)(o)->priv)

static void mem_clear(struct opriv *p)
{
	alert_msgs_free(p->mem, p->nmem);
	p->mem = NULL;
	p->nmem = 0;
}

static struct alert_msg *mem_find(struct opriv *p, int64_t id)
{
	for (size_t i = 0; i < p->nmem; i++)
		if (p->mem[i].id == id)
			return &p->mem[i];
	return NULL;
}

static void mem_add(struct opriv *p, const struct alert_msg *m)
{
	p->mem = xrealloc(p->mem, (p->nmem + 1) * sizeof *p->mem);
	p->mem[p->nmem] = *m;
	p->mem[p->nmem].body = xstrdup(m->body ? m->body : "");
	p->nmem++;
}

static int insert_msg(struct db_conn *c, const struct alert_msg *m, struct db_err *e)
{
	char v[6][24];
	snprintf(v[0], 24, "%lld", (long long)m->id);
	snprintf(v[1], 24, "%d", (int)m->severity);
	snprintf(v[2], 24, "%d", m->attempts);
	snprintf(v[3], 24, "%lld", (long long)m->created_ms);
	snprintf(v[4], 24, "%lld", (long long)m->next_attempt_ms);
	snprintf(v[5], 24, "%lld", (long long)m->delivered_ms);
	const char *p[] = {
		v[0], m->channel, m->key, v[1], m->subject, m->body ? m->body : "", v[2], v[3], v[4], v[5]
	};
	return db_exec(c,
		       "INSERT INTO %S.alert_outbox (id, channel, key, severity, subject, body, attempts,"
		       " created_at, next_attempt_at, delivered_at) VALUES ($1::int8, $2, $3, $4::int, $5, $6,"
		       " $7::int, " DB_MS2TS("$8") ", " DB_MS2TS("$9") ","
								       " CASE WHEN $10::int8 > 0 THEN " DB_MS2TS(
									       "$10") " END)"
										      " ON CONFLICT (id) DO NOTHING",
		       10, p, NULL, e);
}

static int mark_delivered(struct db_conn *c, int64_t id, int64_t ms, struct db_err *e)
{
	char sid[24], sms[24];
	snprintf(sid, sizeof sid, "%lld", (long long)id);
	snprintf(sms, sizeof sms, "%lld", (long long)ms);
	const char *p[] = { sid, sms };
	return db_exec(c,
		       "UPDATE %S.alert_outbox SET delivered_at = " DB_MS2TS(
			       "$2") " WHERE id = $1::int8 AND delivered_at IS NULL",
		       2, p, NULL, e);
}

static int mark_failed(struct db_conn *c, int64_t id, int64_t next_ms, const char *why, int64_t fid, struct db_err *e)
{
	char sid[24], sn[24], sf[24];
	snprintf(sid, sizeof sid, "%lld", (long long)id);
	snprintf(sn, sizeof sn, "%lld", (long long)next_ms);
	snprintf(sf, sizeof sf, "%lld", (long long)fid);
	const char *p[] = { sid, sn, why ? why : "", sf };
	return db_exec(c,
		       "UPDATE %S.alert_outbox SET attempts = attempts + 1, next_attempt_at = " DB_MS2TS(
			       "$2") ", last_error = $3, last_fail_id = $4::int8, claimed_until = NULL"
				     " WHERE id = $1::int8 AND delivered_at IS NULL"
				     " AND last_fail_id IS DISTINCT FROM $4::int8",
		       4, p, NULL, e);
}

static int apply_rec(struct db_conn *c, const char *type, json_object *o, void *ctx, struct db_err *e)
{
	(void)ctx;
	int64_t id = db_spool_get_i64(o, "id");
	if (strcmp(type, "alert") == 0) {
		struct alert_msg m;
		if (db_spool_get_alert(o, &m))
			return db_err_set(e, DB_EDATA, "bad alert record");
		int rc = insert_msg(c, &m, e);
		alert_msg_free(&m);
		return rc;
	}
	if (strcmp(type, "delivered") == 0)
		return mark_delivered(c, id, db_spool_get_i64(o, "ms"), e);
	if (strcmp(type, "failed") == 0)
		return mark_failed(c, id, db_spool_get_i64(o, "next_ms"), db_spool_get_str(o, "why"),
				   db_spool_get_i64(o, "fid"), e);
	return db_err_set(e, DB_EDATA, "unknown outbox record type %s", type);
}

/* Applies one spool record to the in-memory view (used when reopening). */
static void mem_apply(struct opriv *p, const char *type, json_object *o)
{
	int64_t id = db_spool_get_i64(o, "id");
	struct alert_msg *m;
	if (strcmp(type, "alert") == 0) {
		struct alert_msg x = { 0 };
		if (db_spool_get_alert(o, &x) == 0 && !mem_find(p, id)) {
			mem_add(p, &x);
		}
		alert_msg_free(&x);
	} else if ((m = mem_find(p, id))) {
		if (strcmp(type, "delivered") == 0) {
			m->delivered_ms = db_spool_get_i64(o, "ms");
		} else if (strcmp(type, "failed") == 0) {
			m->attempts++;
			m->next_attempt_ms = db_spool_get_i64(o, "next_ms");
		}
	}
}

/* Replays the spool; caller holds mu. */
static int flush_locked(struct opriv *p, struct db_err *e)
{
	if (p->sp.count == 0)
		return DB_OK;
	int rc = db_replay(p->c, &p->sp, apply_rec, NULL, e);
	if (rc == DB_OK)
		mem_clear(p);
	return rc;
}

int db_outbox_flush(struct alert_outbox *o, struct db_err *e)
{
	struct opriv *p = P(o);
	pthread_mutex_lock(&p->mu);
	int rc = flush_locked(p, e);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

size_t db_outbox_spooled(struct alert_outbox *o)
{
	struct opriv *p = P(o);
	pthread_mutex_lock(&p->mu);
	size_t n = p->sp.count;
	pthread_mutex_unlock(&p->mu);
	return n;
}

struct db_conn *db_outbox_conn(struct alert_outbox *o)
{
	return P(o)->c;
}

/* Writes to the database when it answers and the spool is empty (order),
 * else appends line to the spool and applies it to the memory view. */
static int write_or_spool(struct alert_outbox *o, const char *line,
			  int rc_direct_fn(struct alert_outbox *, void *, struct db_err *), void *arg)
{
	struct opriv *p = P(o);
	struct db_err e = { 0 };
	int rc = flush_locked(p, &e);
	if (rc == DB_OK) {
		rc = rc_direct_fn(o, arg, &e);
		if (rc == DB_OK) {
			db_spool_storage_ok();
			return 0;
		}
	}
	if (rc != DB_EUNREACH) {
		log_error("db", "outbox write failed err=\"%s\"", e.msg);
		return -1;
	}
	if (db_spool_append(&p->sp, line, true) < 0) {
		log_error("db", "outbox spool write failed spool=%s", p->sp.path);
		return -1;
	}
	const char *type;
	json_object *rec = db_spool_parse(line, &type);
	if (rec) {
		mem_apply(p, type, rec);
		json_object_put(rec);
	}
	return 0;
}

static int direct_enqueue(struct alert_outbox *o, void *arg, struct db_err *e)
{
	return insert_msg(P(o)->c, arg, e);
}

static int o_enqueue(struct alert_outbox *o, struct alert_msg *m)
{
	if (m->id <= 0)
		m->id = db_new_id();
	if (m->created_ms <= 0)
		m->created_ms = wd_wall_ms();
	if (m->next_attempt_ms <= 0)
		m->next_attempt_ms = m->created_ms;
	char *line = db_spool_fmt_alert(m);
	pthread_mutex_lock(&P(o)->mu);
	int rc = write_or_spool(o, line, direct_enqueue, m);
	pthread_mutex_unlock(&P(o)->mu);
	free(line);
	return rc;
}

struct mark_arg {
	int64_t id, ms, fid;
	const char *why;
};

static int direct_delivered(struct alert_outbox *o, void *arg, struct db_err *e)
{
	struct mark_arg *a = arg;
	return mark_delivered(P(o)->c, a->id, a->ms, e);
}

static int direct_failed(struct alert_outbox *o, void *arg, struct db_err *e)
{
	struct mark_arg *a = arg;
	return mark_failed(P(o)->c, a->id, a->ms, a->why, a->fid, e);
}

static int o_delivered(struct alert_outbox *o, int64_t id, int64_t now_ms)
{
	struct mark_arg a = { id, now_ms, 0, "" };
	char *line = db_spool_fmt_delivered(id, now_ms);
	pthread_mutex_lock(&P(o)->mu);
	int rc = write_or_spool(o, line, direct_delivered, &a);
	pthread_mutex_unlock(&P(o)->mu);
	free(line);
	return rc;
}

static int o_failed(struct alert_outbox *o, int64_t id, int64_t next_attempt_ms, const char *why)
{
	struct mark_arg a = { id, next_attempt_ms, db_new_id(), why ? why : "" };
	char *line = db_spool_fmt_failed(id, next_attempt_ms, a.why, a.fid);
	pthread_mutex_lock(&P(o)->mu);
	int rc = write_or_spool(o, line, direct_failed, &a);
	pthread_mutex_unlock(&P(o)->mu);
	free(line);
	return rc;
}

static void copy_msg(struct alert_msg *dst, const struct alert_msg *src)
{
	*dst = *src;
	dst->body = xstrdup(src->body ? src->body : "");
}

/* A column of row i as text: "" for NULL or a missing field, so a
 * short or odd result never reaches atoi(NULL). */
static const char *col(const PGresult *r, int i, int j)
{
	if (j >= PQnfields(r) || PQgetisnull(r, i, j))
		return "";
	const char *v = PQgetvalue(r, i, j);
	return v ? v : "";
}

static int due_locked(struct opriv *p, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n)
{
	struct db_err e = { 0 };
	int rc = flush_locked(p, &e);
	PGresult *r = NULL;
	if (rc == DB_OK) {
		char snow[24], smax[24];
		snprintf(snow, sizeof snow, "%lld", (long long)now_ms);
		snprintf(smax, sizeof smax, "%zu", max);
		/* claimed for OUTBOX_CLAIM: another instance's notifier skips
		 * what this one is sending (SKIP LOCKED against a concurrent
		 * claim), and takes it over once the claim ran out (its
		 * holder died before the mark) */
		const char *pv[] = { snow, smax, p->claimer };
		rc = db_exec(p->c,
			     "WITH c AS (SELECT id FROM %S.alert_outbox WHERE delivered_at IS NULL"
			     " AND next_attempt_at <= " DB_MS2TS(
				     "$1") " AND (claimed_until IS NULL OR claimed_until < now()"
					   " OR claimed_by = $3) ORDER BY seq LIMIT $2::int8 FOR UPDATE SKIP LOCKED),"
					   " u AS (UPDATE %S.alert_outbox o SET claimed_by = $3, claimed_until = now() "
					   "+ " OUTBOX_CLAIM " FROM c WHERE o.id = c.id RETURNING o.id, o.channel, "
					   "o.key, o.severity, o.subject, o.body,"
					   " o.attempts, " DB_TS2MS("o.created_at") ", " DB_TS2MS(
						   "o.next_attempt_at") ", o.seq)"
									" SELECT * FROM u ORDER BY seq",
			     3, pv, &r, &e);
	}
	if (rc == DB_OK && r && PQnfields(r) < 9) {
		log_error("db", "outbox due: unexpected answer (%d columns)", PQnfields(r));
		PQclear(r);
		return -1;
	}
	if (rc == DB_OK) {
		int rows = r ? PQntuples(r) : 0;
		struct alert_msg *a = rows ? xcalloc((size_t)rows, sizeof *a) : NULL;
		int k = 0;
		for (int i = 0; i < rows; i++) {
			int64_t id = strtoll(col(r, i, 0), NULL, 10);
			if (id <= 0)
				continue; /* not a message we can acknowledge */
			a[k].id = id;
			snprintf(a[k].channel, sizeof a[k].channel, "%s", col(r, i, 1));
			snprintf(a[k].key, sizeof a[k].key, "%s", col(r, i, 2));
			a[k].severity = (enum rec_severity)atoi(col(r, i, 3));
			snprintf(a[k].subject, sizeof a[k].subject, "%s", col(r, i, 4));
			a[k].body = xstrdup(col(r, i, 5));
			a[k].attempts = atoi(col(r, i, 6));
			a[k].created_ms = strtoll(col(r, i, 7), NULL, 10);
			a[k].next_attempt_ms = strtoll(col(r, i, 8), NULL, 10);
			k++;
		}
		PQclear(r);
		if (k == 0) {
			free(a);
			a = NULL;
		}
		*out = a;
		*n = (size_t)k;
		return 0;
	}
	if (rc != DB_EUNREACH) {
		log_error("db", "outbox due failed err=\"%s\"", e.msg);
		return -1;
	}
	/* database down: what the spool holds */
	struct alert_msg *a = NULL;
	size_t cnt = 0;
	for (size_t i = 0; i < p->nmem && cnt < max; i++) {
		const struct alert_msg *m = &p->mem[i];
		if (m->delivered_ms || m->next_attempt_ms > now_ms)
			continue;
		a = xrealloc(a, (cnt + 1) * sizeof *a);
		copy_msg(&a[cnt++], m);
	}
	*out = a;
	*n = cnt;
	return 0;
}

static int o_due(struct alert_outbox *o, int64_t now_ms, size_t max, struct alert_msg **out, size_t *n)
{
	struct opriv *p = P(o);
	*out = NULL;
	*n = 0;
	pthread_mutex_lock(&p->mu);
	int rc = due_locked(p, now_ms, max, out, n);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static size_t o_pending(struct alert_outbox *o, const char *channel)
{
	struct opriv *p = P(o);
	struct db_err e = { 0 };
	const char *ch = channel ? channel : "";
	PGresult *r = NULL;
	size_t n = 0;
	pthread_mutex_lock(&p->mu);
	if (flush_locked(p, &e) == DB_OK &&
	    db_exec(p->c,
		    "SELECT count(*) FROM %S.alert_outbox WHERE delivered_at IS NULL AND ($1 = '' OR channel = $1)", 1,
		    (const char *[]){ ch }, &r, &e) == DB_OK) {
		n = r && PQntuples(r) > 0 ? (size_t)strtoull(col(r, 0, 0), NULL, 10) : 0;
		PQclear(r);
		pthread_mutex_unlock(&p->mu);
		return n;
	}
	for (size_t i = 0; i < p->nmem; i++)
		if (!p->mem[i].delivered_ms && (!*ch || strcmp(p->mem[i].channel, ch) == 0))
			n++;
	pthread_mutex_unlock(&p->mu);
	return n;
}

static void o_destroy(struct alert_outbox *o)
{
	if (!o)
		return;
	struct opriv *p = P(o);
	struct db_err e = { 0 };
	if (p->sp.count)
		(void)flush_locked(p, &e);
	mem_clear(p);
	db_spool_close(&p->sp);
	db_conn_free(p->c);
	pthread_mutex_destroy(&p->mu);
	free(p);
	free(o);
}

static const struct alert_outbox_ops db_outbox_ops = {
	.enqueue = o_enqueue,
	.due = o_due,
	.delivered = o_delivered,
	.failed = o_failed,
	.pending = o_pending,
	.destroy = o_destroy,
};

void db_outbox_set_claimer(struct alert_outbox *o, const char *name)
{
	struct opriv *p = P(o);
	pthread_mutex_lock(&p->mu);
	snprintf(p->claimer, sizeof p->claimer, "%s", name);
	pthread_mutex_unlock(&p->mu);
}

struct alert_outbox *db_outbox_new(const struct db_params *pp, const char *spool_path, struct db_err *e)
{
	struct db_conn *c = db_conn_new(pp, e);
	if (!c)
		return NULL;
	struct opriv *p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	p->c = c;
	snprintf(p->claimer, sizeof p->claimer, "pid-%d", (int)getpid());
	char err[256];
	if (db_spool_open(&p->sp, spool_path, err, sizeof err)) {
		db_err_set(e, DB_ECONFIG, "%s", err);
		db_conn_free(c);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	/* rebuild the in-memory view of what an earlier run spooled */
	char **lines;
	size_t n;
	if (p->sp.count && db_spool_read(&p->sp, &lines, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			const char *type;
			json_object *rec = db_spool_parse(lines[i], &type);
			if (rec) {
				mem_apply(p, type, rec);
				json_object_put(rec);
			}
		}
		db_spool_lines_free(lines, n);
	}
	struct alert_outbox *o = xcalloc(1, sizeof *o);
	o->ops = &db_outbox_ops;
	o->priv = p;
	return o;
}
