#include "sql/db_ha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock_now.h"
#include "base/log.h"
#include "base/xalloc.h"

struct db_ha {
	struct db_conn *c;
	char *account;
	char *holder;
	char k1[16], k2[16];
	char lease_s[48]; /* lease as an interval for SQL, e.g. "60.000 seconds" */
	int64_t lease_ms;
	int64_t lease_until; /* wd_mono_ms(): repairs allowed until then without the database */
	bool held;
	bool waiting_logged;
	bool own_conn; /* false: the session is borrowed (db_ha_new_on) */
};

void db_ha_keys(const char *account, int32_t *k1, int32_t *k2)
{
	/* k1: a constant naming vigil's lock space ("vgl" + 1); k2: FNV-1a of
	 * the account name. Our own hash so it never changes with PostgreSQL. */
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)account; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	*k1 = 0x76676c01;
	*k2 = (int32_t)h;
}

struct db_ha *db_ha_new(const struct db_params *p, const char *account, const char *holder, int64_t lease_ms,
			struct db_err *e)
{
	struct db_params hp = *p;
	snprintf(hp.app_name, sizeof hp.app_name, "vigil-ha");
	struct db_conn *c = db_conn_new(&hp, e);
	if (!c)
		return NULL;
	struct db_ha *h = db_ha_new_on(c, account, holder, lease_ms);
	h->own_conn = true;
	return h;
}

struct db_ha *db_ha_new_on(struct db_conn *c, const char *account, const char *holder, int64_t lease_ms)
{
	struct db_ha *h = xcalloc(1, sizeof *h);
	h->c = c;
	h->account = xstrdup(account);
	h->holder = xstrdup(holder && *holder ? holder : "vigil");
	h->lease_ms = lease_ms > 0 ? lease_ms : 0;
	snprintf(h->lease_s, sizeof h->lease_s, "%lld.%03lld seconds", (long long)(h->lease_ms / 1000),
		 (long long)(h->lease_ms % 1000));
	int32_t a, b;
	db_ha_keys(account, &a, &b);
	snprintf(h->k1, sizeof h->k1, "%d", a);
	snprintf(h->k2, sizeof h->k2, "%d", b);
	return h;
}

void db_ha_free(struct db_ha *h)
{
	if (!h)
		return;
	if (h->held) {
		/* a clean stop hands the lease back (a crash leaves it to expire) */
		struct db_err e;
		memset(&e, 0, sizeof e);
		(void)db_ha_release(h, &e);
	}
	if (h->own_conn)
		db_conn_free(h->c); /* closing the session frees the lock */
	free(h->account);
	free(h->holder);
	free(h);
}

void db_ha_forget(struct db_ha *h)
{
	if (h->held)
		log_warn("ha", "account=%s repair lock dropped (the account is no longer this instance's)", h->account);
	h->held = false;
	h->lease_until = 0;
}

bool db_ha_held(const struct db_ha *h)
{
	return h->held;
}

static int lock_step(struct db_ha *h, struct db_err *e);

int64_t db_ha_lease_left(const struct db_ha *h)
{
	int64_t left = h->lease_until - wd_mono_ms();
	return left > 0 ? left : 0;
}

/* With the lock held: renew this instance's lease row, or find it another
 * instance's still-live lease. 1 renewed, 0 another's lease, <0 error. */
static int renew_lease(struct db_ha *h, int64_t sent_ms, struct db_err *e)
{
	const char *p[] = { h->account, h->holder, h->lease_s };
	PGresult *r = NULL;
	int rc = db_exec(h->c,
			 "INSERT INTO %S.repair_lease AS l (account, holder, renewed_at) VALUES ($1, $2, now())"
			 " ON CONFLICT (account) DO UPDATE SET holder = $2, renewed_at = now()"
			 " WHERE l.holder = $2 OR l.renewed_at < now() - $3::interval RETURNING holder",
			 3, p, &r, e);
	if (rc)
		return rc;
	bool ours = PQntuples(r) == 1;
	PQclear(r);
	if (ours) {
		h->lease_until = sent_ms + h->lease_ms;
		if (h->waiting_logged)
			log_info("ha", "account=%s lease taken over: this instance repairs", h->account);
		h->waiting_logged = false;
		return 1;
	}
	h->lease_until = 0;
	if (!h->waiting_logged) {
		rc = db_exec(h->c,
			     "SELECT holder, ceil(extract(epoch FROM renewed_at + $2::interval - now()))::int8"
			     " FROM %S.repair_lease WHERE account = $1",
			     2, (const char *[]){ h->account, h->lease_s }, &r, e);
		if (rc == DB_OK && PQntuples(r) == 1)
			log_warn("ha",
				 "account=%s lock taken, but instance '%s' may still be repairing on its lease (%s s "
				 "left): observing until it expires",
				 h->account, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
		PQclear(r);
		h->waiting_logged = true;
	}
	return 0;
}

/* The database could not be asked: repair on the lease while it lasts. */
static int on_lease(struct db_ha *h, int rc)
{
	if (rc == DB_EUNREACH && h->lease_until > wd_mono_ms())
		return DB_HA_LEASE;
	return rc;
}

int db_ha_try_acquire(struct db_ha *h, struct db_err *e)
{
	int64_t sent = wd_mono_ms();
	int rc = lock_step(h, e);
	if (rc == 1) {
		rc = renew_lease(h, sent, e);
		if (rc < 0 && rc != DB_EUNREACH)
			log_warn("ha", "lease not renewed account=%s err=\"%s\"", h->account, e ? e->msg : "");
	}
	return on_lease(h, rc);
}

/* The advisory lock alone: 1 held, 0 another session holds it, <0 error. */
static int lock_step(struct db_ha *h, struct db_err *e)
{
	const char *p[] = { h->k1, h->k2 };
	PGresult *r;
	int rc;
	if (h->held) {
		/* still ours? a reconnect inside db_exec would be a new session
		 * without the lock, which this query then reports as false */
		rc = db_exec(h->c,
			     "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
			     " AND classid = ($1::int4)::oid AND objid = ($2::int4)::oid AND objsubid = 2"
			     " AND pid = pg_backend_pid() AND granted)",
			     2, p, &r, e);
		if (rc) {
			h->held = false;
			log_warn("ha", "lock lost account=%s err=\"%s\"", h->account, e ? e->msg : "");
			return rc;
		}
		bool still = PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (still)
			return 1;
		h->held = false;
		log_warn("ha", "lock lost account=%s (session ended)", h->account);
	}
	rc = db_exec(h->c, "SELECT pg_try_advisory_lock($1::int4, $2::int4)", 2, p, &r, e);
	if (rc)
		return rc;
	h->held = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (h->held)
		log_info("ha", "lock acquired account=%s", h->account);
	return h->held ? 1 : 0;
}

int db_ha_release(struct db_ha *h, struct db_err *e)
{
	h->lease_until = 0;
	if (!h->held)
		return DB_OK;
	h->held = false;
	/* the lease goes first, so a standby may take over at once */
	int rc = db_exec(h->c, "DELETE FROM %S.repair_lease WHERE account = $1 AND holder = $2", 2,
			 (const char *[]){ h->account, h->holder }, NULL, e);
	const char *p[] = { h->k1, h->k2 };
	int rc2 = db_exec(h->c, "SELECT pg_advisory_unlock($1::int4, $2::int4)", 2, p, NULL, e);
	return rc ? rc : rc2;
}
