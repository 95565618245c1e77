#include "sql/db_ha.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/xalloc.h"

struct db_ha {
	struct db_conn *c;
	char *account;
	char k1[16], k2[16];
	bool held;
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

struct db_ha *db_ha_new(const struct db_params *p, const char *account, struct db_err *e)
{
	struct db_params hp = *p;
	snprintf(hp.app_name, sizeof hp.app_name, "vigil-ha");
	struct db_conn *c = db_conn_new(&hp, e);
	if (!c)
		return NULL;
	struct db_ha *h = xcalloc(1, sizeof *h);
	h->c = c;
	h->account = xstrdup(account);
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
	db_conn_free(h->c); /* closing the session frees the lock */
	free(h->account);
	free(h);
}

bool db_ha_held(const struct db_ha *h)
{
	return h->held;
}

int db_ha_try_acquire(struct db_ha *h, struct db_err *e)
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
	if (!h->held)
		return DB_OK;
	h->held = false;
	const char *p[] = { h->k1, h->k2 };
	return db_exec(h->c, "SELECT pg_advisory_unlock($1::int4, $2::int4)", 2, p, NULL, e);
}
