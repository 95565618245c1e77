/* Sharding across instances (see db_shard.h): the instance lock and row,
 * the live count and fair share, claims and releases of account locks. */
#include "sql/db_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

/* advisory locks are per database: another database on the cluster (a
 * test's, another vigil's) may hold the same keys */
#define DB_SHARD_HERE "database = (SELECT oid FROM pg_database WHERE datname = current_database())"

struct db_shard {
	struct db_conn *c;
	char *instance;
	char *version;
	char ikey[16];
	char ttl_s[48];
	char pid[16];
	char host[64];
	bool inst_locked;
	bool dup_logged;
};

int32_t db_shard_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return (int32_t)h;
}

uint32_t db_shard_pref(const char *instance, const char *account)
{
	/* rendezvous hashing: FNV-1a of "instance\naccount", then mixed so
	 * nearby names do not give nearby scores */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)instance; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ '\n') * 16777619u;
	for (const unsigned char *p = (const unsigned char *)account; *p; p++)
		h = (h ^ *p) * 16777619u;
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	h ^= h >> 16;
	return h;
}

struct db_shard *db_shard_new(const struct db_params *p, const char *instance, const char *version, int64_t ttl_ms,
			      struct db_err *e)
{
	struct db_params hp = *p;
	snprintf(hp.app_name, sizeof hp.app_name, "vigil-shard");
	struct db_conn *c = db_conn_new(&hp, e);
	if (!c)
		return NULL;
	struct db_shard *s = xcalloc(1, sizeof *s);
	s->c = c;
	s->instance = xstrdup(instance && *instance ? instance : "vigil");
	s->version = xstrdup(version ? version : "");
	snprintf(s->ikey, sizeof s->ikey, "%d", db_shard_key(s->instance));
	if (ttl_ms < 1000)
		ttl_ms = 1000;
	snprintf(s->ttl_s, sizeof s->ttl_s, "%lld.%03lld seconds", (long long)(ttl_ms / 1000),
		 (long long)(ttl_ms % 1000));
	snprintf(s->pid, sizeof s->pid, "%d", (int)getpid());
	if (gethostname(s->host, sizeof s->host) != 0)
		s->host[0] = '\0';
	s->host[sizeof s->host - 1] = '\0';
	return s;
}

void db_shard_free(struct db_shard *s)
{
	if (!s)
		return;
	if (s->inst_locked && db_conn_up(s->c)) {
		struct db_err e;
		memset(&e, 0, sizeof e);
		/* a clean stop: the others see one instance fewer at once */
		(void)db_exec(s->c, "DELETE FROM %S.instances WHERE instance = $1 AND backend_pid = pg_backend_pid()",
			      1, (const char *[]){ s->instance }, NULL, &e);
	}
	db_conn_free(s->c); /* ends the session: every claim and lock frees */
	free(s->instance);
	free(s->version);
	free(s);
}

struct db_conn *db_shard_conn(struct db_shard *s)
{
	return s->c;
}

static bool key_in(const int32_t *v, size_t n, int32_t k)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == k)
			return true;
	return false;
}

/* The advisory locks of one space: this session's (mine) or anyone's. */
static int locks_of(struct db_shard *s, int32_t space, bool mine, int32_t **out, size_t *n, struct db_err *e)
{
	char k1[16];
	snprintf(k1, sizeof k1, "%d", space);
	PGresult *r = NULL;
	*out = NULL;
	*n = 0;
	int rc = db_exec(s->c,
			 "SELECT objid::int8 FROM pg_locks WHERE locktype = 'advisory' AND " DB_SHARD_HERE
			 " AND classid = ($1::int4)::oid"
			 " AND objsubid = 2 AND granted AND ($2 = 'f' OR pid = pg_backend_pid())",
			 2, (const char *[]){ k1, mine ? "t" : "f" }, &r, e);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	*out = xcalloc(rows ? (size_t)rows : 1, sizeof **out);
	for (int i = 0; i < rows; i++)
		(*out)[(*n)++] = (int32_t)(uint32_t)strtoull(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
	return DB_OK;
}

static int try_lock(struct db_shard *s, int32_t space, int32_t key, bool *got, struct db_err *e)
{
	char k1[16], k2[16];
	snprintf(k1, sizeof k1, "%d", space);
	snprintf(k2, sizeof k2, "%d", key);
	PGresult *r = NULL;
	int rc = db_exec(s->c, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", 2, (const char *[]){ k1, k2 }, &r, e);
	if (rc)
		return rc;
	*got = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return DB_OK;
}

struct cand {
	size_t i;
	uint32_t pref;
};

static int cand_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct cand *)a)->pref, y = ((const struct cand *)b)->pref;
	return x < y ? 1 : x > y ? -1 : 0;
}

int db_shard_round(struct db_shard *s, const char *const *accounts, size_t n, bool *held, bool may_claim,
		   struct db_shard_round *out, struct db_err *e)
{
	memset(out, 0, sizeof *out);
	int32_t *mine = NULL, *taken = NULL;
	size_t nmine = 0, ntaken = 0;
	PGresult *r = NULL;
	bool *now = xcalloc(n ? n : 1, sizeof *now);
	int rc = locks_of(s, DB_SHARD_K_INSTANCE, true, &mine, &nmine, e);
	if (rc)
		goto out;
	bool inst = key_in(mine, nmine, db_shard_key(s->instance));
	free(mine);
	mine = NULL;
	if (!inst) {
		/* start, or the session was replaced by a reconnect: every
		 * claim went with the old one (checked below) */
		bool got = false;
		if ((rc = try_lock(s, DB_SHARD_K_INSTANCE, db_shard_key(s->instance), &got, e)))
			goto out;
		out->new_session = true;
		if (!got) {
			out->dup_name = true;
			if (!s->dup_logged)
				log_error("shard",
					  "instance name '%s' is held by another running vigil: this one claims no "
					  "account (give every instance its own `instance`)",
					  s->instance);
			s->dup_logged = true;
			s->inst_locked = false;
		} else {
			s->dup_logged = false;
			s->inst_locked = true;
		}
	}
	if ((rc = locks_of(s, DB_SHARD_K_ACCOUNT, true, &mine, &nmine, e)))
		goto out;
	int held_n = 0;
	for (size_t i = 0; i < n; i++) {
		now[i] = key_in(mine, nmine, db_shard_key(accounts[i]));
		if (held[i] && !now[i])
			out->lost++;
		held_n += now[i];
	}
	/* the row: live for ttl from now, with what this instance holds */
	char sn[16], sh[16];
	snprintf(sn, sizeof sn, "%zu", n);
	snprintf(sh, sizeof sh, "%d", held_n);
	if (s->inst_locked) {
		const char *p[] = { s->instance, s->ikey, s->pid, s->host, s->version, s->ttl_s, sn, sh };
		rc = db_exec(
			s->c,
			"INSERT INTO %S.instances AS i (instance, lock_key, backend_pid, pid, host, version,"
			" started_at, seen_at, expires_at, accounts, held)"
			" VALUES ($1, $2::int4, pg_backend_pid(), $3::int4, $4, $5, now(), now(),"
			" now() + $6::interval, $7::int4, $8::int4)"
			" ON CONFLICT (instance) DO UPDATE SET lock_key = $2::int4, backend_pid = pg_backend_pid(),"
			" pid = $3::int4, host = $4, version = $5, seen_at = now(),"
			" expires_at = now() + $6::interval, accounts = $7::int4, held = $8::int4,"
			" started_at = CASE WHEN i.pid = $3::int4 THEN i.started_at ELSE now() END",
			8, p, NULL, e);
		if (rc)
			goto out;
	}
	/* live instances: row not expired and instance lock held by a session */
	char kin[16];
	snprintf(kin, sizeof kin, "%d", DB_SHARD_K_INSTANCE);
	rc = db_exec(s->c,
		     "SELECT i.instance, i.held FROM %S.instances i WHERE i.expires_at > now() AND EXISTS"
		     " (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l." DB_SHARD_HERE
		     " AND l.classid = ($1::int4)::oid"
		     " AND l.objid = (i.lock_key)::oid AND l.objsubid = 2 AND l.granted)",
		     1, (const char *[]){ kin }, &r, e);
	if (rc)
		goto out;
	int live = 0;
	int *others = xcalloc((size_t)PQntuples(r) + 1, sizeof *others);
	int nothers = 0;
	bool self_seen = false;
	for (int k = 0; k < PQntuples(r); k++) {
		live++;
		if (!strcmp(PQgetvalue(r, k, 0), s->instance))
			self_seen = true;
		else
			others[nothers++] = atoi(PQgetvalue(r, k, 1));
	}
	PQclear(r);
	r = NULL;
	if (!self_seen)
		live++;
	out->live = live;
	int fair = (int)((n + (size_t)live - 1) / (size_t)live);
	out->fair = fair;
	/* claims: free accounts, this instance's preferred first */
	if (s->inst_locked && may_claim && held_n < fair) {
		if ((rc = locks_of(s, DB_SHARD_K_ACCOUNT, false, &taken, &ntaken, e))) {
			free(others);
			goto out;
		}
		struct cand *cv = xcalloc(n ? n : 1, sizeof *cv);
		size_t nc = 0;
		for (size_t i = 0; i < n; i++)
			if (!now[i] && !key_in(taken, ntaken, db_shard_key(accounts[i])))
				cv[nc++] = (struct cand){ i, db_shard_pref(s->instance, accounts[i]) };
		qsort(cv, nc, sizeof *cv, cand_cmp);
		for (size_t k = 0; k < nc && held_n < fair; k++) {
			bool got = false;
			if ((rc = try_lock(s, DB_SHARD_K_ACCOUNT, db_shard_key(accounts[cv[k].i]), &got, e)))
				break;
			if (got) {
				now[cv[k].i] = true;
				held_n++;
				out->claimed++;
			}
		}
		free(cv);
		if (rc) {
			free(others);
			goto out;
		}
	}
	/* releases: above the share, and only as many as others are short */
	if (held_n > fair) {
		int short_by = 0;
		for (int k = 0; k < nothers; k++)
			short_by += others[k] < fair ? fair - others[k] : 0;
		int excess = held_n - fair;
		out->release = excess < short_by ? excess : short_by;
	}
	if (!s->inst_locked) {
		/* not this instance's to hold: let everything go */
		out->release = held_n;
	}
	free(others);
	out->held = held_n;
	memcpy(held, now, n * sizeof *held);
	if (out->claimed && s->inst_locked) {
		/* the row says what is held now (others' releases count it) */
		snprintf(sh, sizeof sh, "%d", held_n);
		(void)db_exec(s->c, "UPDATE %S.instances SET held = $2::int4 WHERE instance = $1", 2,
			      (const char *[]){ s->instance, sh }, NULL, e);
	}
	rc = DB_OK;
out:
	free(mine);
	free(taken);
	free(now);
	return rc;
}

int db_shard_release(struct db_shard *s, const char *account, struct db_err *e)
{
	char k1[16], k2[16];
	snprintf(k1, sizeof k1, "%d", DB_SHARD_K_ACCOUNT);
	snprintf(k2, sizeof k2, "%d", db_shard_key(account));
	int rc = db_exec(s->c, "SELECT pg_advisory_unlock($1::int4, $2::int4)", 2, (const char *[]){ k1, k2 }, NULL, e);
	if (rc == DB_OK)
		(void)db_exec(s->c, "UPDATE %S.instances SET held = greatest(held - 1, 0) WHERE instance = $1", 1,
			      (const char *[]){ s->instance }, NULL, e);
	return rc;
}

int db_shard_holders(struct db_conn *c, const char *const *accounts, size_t n, char (*holder)[64], struct db_err *e)
{
	for (size_t i = 0; i < n; i++)
		holder[i][0] = '\0';
	char k1[16];
	snprintf(k1, sizeof k1, "%d", DB_SHARD_K_ACCOUNT);
	PGresult *r = NULL;
	int rc = db_exec(c,
			 "SELECT l.objid::int8, i.instance FROM pg_locks l JOIN %S.instances i ON i.backend_pid = l.pid"
			 " WHERE l.locktype = 'advisory' AND l." DB_SHARD_HERE
			 " AND l.classid = ($1::int4)::oid AND l.objsubid = 2 AND l.granted",
			 1, (const char *[]){ k1 }, &r, e);
	if (rc)
		return rc;
	for (int k = 0; k < PQntuples(r); k++) {
		int32_t key = (int32_t)(uint32_t)strtoull(PQgetvalue(r, k, 0), NULL, 10);
		for (size_t i = 0; i < n; i++)
			if (db_shard_key(accounts[i]) == key)
				snprintf(holder[i], 64, "%s", PQgetvalue(r, k, 1));
	}
	PQclear(r);
	return DB_OK;
}
