/* DESIGN: the engine's database side: bot rows, stored findings and the
 * conditions behind them (loaded into a new memory before its first
 * audit, so first-seen times survive restarts and one-shot runs), audit
 * runs, heartbeats, the actions journal and the HA repair lock, through
 * the sql/ layer. Each concern has its own connection (db_conn.h: one
 * thread per connection; the HA lock must be session-level on a
 * connection nothing else resets). Without a database the journal is in
 * memory, every other call is a no-op and the repair lock is always held
 * (a single instance). A database outage never stops an audit: the bot
 * view becomes SOURCE_UNREACHABLE and writes are retried next audit. */
#include "watchdog/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reconcile/journal_mem.h"
#include "sql/db_bot.h"
#include "sql/db_conn.h"
#include "sql/db_ha.h"
#include "sql/db_journal.h"
#include "sql/db_migrate.h"
#include "sql/db_shard.h"
#include "sql/db_spool.h"
#include "sql/db_store.h"
#include "watchdog/version.h"
#include "watchdog/params.h"
#include "base/log.h"
#include "base/xalloc.h"

struct wd_store {
	struct db_conn *conn; /* vigil's schema: findings, runs, heartbeats */
	struct db_conn *bot;  /* the bot's database, read-only */
	struct db_ha **ha;    /* per account */
	bool own_journal;     /* e->journal is the database journal opened here */
	signed char *ha_last; /* last lock state logged: -1 none, 0, 1, 2 = database unreachable, 3 = on lease */
	size_t nha;
	bool down_logged;
	uint64_t *cond_hash; /* per account: the conditions last saved (0 = none) */
	size_t ncond;
};

static int64_t journal_now(void *ud)
{
	(void)ud;
	return wd_wall_ms();
}

/* vigil's schema against the one this binary needs, when the database
 * answers (an outage at start is handled like any other). The daemon
 * migrates it itself (db_migrate_run holds an advisory lock: instances
 * starting together apply each file once); a one-shot command refuses
 * with one error naming the command, never a query failing per audit. */
static int schema_check(struct wd_engine *e, struct db_conn *c, char *err, size_t errlen)
{
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_conn_ensure(c, &de) != DB_OK)
		return 0;
	int v = 0;
	if (db_migrate_version(c, &v, &de) != DB_OK) {
		snprintf(err, errlen, "database: %s", de.msg);
		return -1;
	}
	if (v >= DB_SCHEMA_VERSION)
		return 0;
	if (e->opts.kind != WD_ENG_DAEMON) {
		snprintf(err, errlen,
			 "database schema %s is at version %d, this vigil needs %d: run `vigil db -c %s migrate`",
			 db_conn_schema(c), v, DB_SCHEMA_VERSION, e->conf->path);
		return -1;
	}
	char dir[1024];
	if (db_migrate_find_dir(dir, sizeof dir) != 0) {
		snprintf(err, errlen,
			 "database schema %s is at version %d, this vigil needs %d, and no migrations were found "
			 "(set VIGIL_SQL_DIR, or run `vigil db -c %s migrate --sql-dir DIR`)",
			 db_conn_schema(c), v, DB_SCHEMA_VERSION, e->conf->path);
		return -1;
	}
	struct db_migrate_result res;
	if (db_migrate_run(c, dir, &res, NULL, NULL, &de) != DB_OK) {
		snprintf(err, errlen, "database schema: migrating from version %d failed: %s", v, de.msg);
		return -1;
	}
	log_info("db", "schema %s migrated at start: %d file(s) applied from %s", db_conn_schema(c), res.applied, dir);
	return 0;
}

int wd_store_open(struct wd_engine *e, char *err, size_t errlen)
{
	e->store = NULL;
	if (!e->conf->db_enabled) {
		if (!e->journal)
			e->journal = rec_journal_mem_new(journal_now, NULL);
		return 0;
	}
	struct db_params p, bp;
	struct db_err de;
	memset(&de, 0, sizeof de);
	wd_db_params(e->conf, &p);
	wd_db_bot_params(e->conf, &bp);
	struct wd_store *s = xcalloc(1, sizeof *s);
	s->conn = db_conn_new(&p, &de);
	if (s->conn)
		s->bot = db_conn_new(&bp, &de);
	if (!s->conn || !s->bot) {
		snprintf(err, errlen, "database: %s", de.msg);
		goto fail;
	}
	if (schema_check(e, s->conn, err, errlen) != 0)
		goto fail;
	if (!e->journal && e->opts.kind != WD_ENG_ONESHOT) {
		char spool[WD_STR_MAX + 32];
		snprintf(spool, sizeof spool, "%s/journal.spool", e->conf->spool_dir);
		e->journal = db_journal_new(&p, spool, &de);
		if (!e->journal) {
			snprintf(err, errlen, "journal: %s", de.msg);
			goto fail;
		}
		s->own_journal = true;
	}
	if (e->opts.kind == WD_ENG_DAEMON && !e->conf->single_instance && !e->shard &&
	    wd_shard_open(e, &p, err, errlen) != 0)
		goto fail;
	if ((e->opts.kind == WD_ENG_DAEMON || e->opts.kind == WD_ENG_MANUAL) && !e->conf->single_instance) {
		s->ha = xcalloc(e->n ? e->n : 1, sizeof *s->ha);
		s->ha_last = xmalloc(e->n ? e->n : 1);
		memset(s->ha_last, -1, e->n ? e->n : 1);
		s->nha = e->n;
		for (size_t i = 0; i < e->n; i++) {
			/* the daemon's repair locks share the shard's session:
			 * one connection per instance, whatever the accounts */
			s->ha[i] = e->shard ? db_ha_new_on(wd_shard_conn(e), e->acct[i].cfg.name, e->conf->instance,
							   e->conf->repair_lease_ms)
					    : db_ha_new(&p, e->acct[i].cfg.name, e->conf->instance,
							e->conf->repair_lease_ms, &de);
			if (!s->ha[i]) {
				snprintf(err, errlen, "HA lock: %s", de.msg);
				goto fail;
			}
		}
	}
	s->cond_hash = xcalloc(e->n ? e->n : 1, sizeof *s->cond_hash);
	s->ncond = e->n;
	e->store = s;
	if (!e->journal)
		e->journal = rec_journal_mem_new(journal_now, NULL);
	return 0;
fail:
	e->store = s;
	wd_store_close(e);
	return -1;
}

void wd_store_close(struct wd_engine *e)
{
	struct wd_store *s = e->store;
	if (!s)
		return;
	for (size_t i = 0; i < s->nha; i++)
		db_ha_free(s->ha[i]);
	free(s->ha);
	free(s->ha_last);
	free(s->cond_hash);
	db_conn_free(s->conn);
	db_conn_free(s->bot);
	free(s);
	e->store = NULL;
}

void wd_store_bot_rows(struct wd_engine *e, size_t i, struct wd_audit *a)
{
	(void)i;
	struct wd_store *s = e->store;
	a->bot_ok = false;
	if (!s) {
		snprintf(a->bot_error, sizeof a->bot_error, "%s",
			 e->conf->db_enabled ? "database not open" : "no database configured");
		return;
	}
	struct db_err de;
	memset(&de, 0, sizeof de);
	int rc = db_bot_positions(s->bot, e->conf->bot_query, &a->bot, &a->nbot, &de);
	if (rc != DB_OK) {
		snprintf(a->bot_error, sizeof a->bot_error, "%.250s", de.msg);
		a->bot = NULL;
		a->nbot = 0;
		return;
	}
	a->bot_ok = true;
}

/* A stored finding's hedge leg, from its key's suffix (rec_classify). */
static enum rec_pos_idx key_pidx(const char *key)
{
	size_t l = strlen(key);
	if (l > 5 && strcmp(key + l - 5, ":LONG") == 0)
		return REC_PIDX_LONG;
	if (l > 6 && strcmp(key + l - 6, ":SHORT") == 0)
		return REC_PIDX_SHORT;
	return REC_PIDX_BOTH;
}

void wd_store_seed(struct wd_engine *e, size_t i)
{
	struct wd_store *s = e->store;
	if (!s)
		return;
	struct wd_acct_rt *r = &e->acct[i];
	struct db_err de;
	memset(&de, 0, sizeof de);
	struct db_finding_row *rows = NULL;
	size_t nrows = 0, nconds = 0;
	if (db_findings_list(s->conn, true, r->cfg.name, 0, &rows, &nrows, &de) != DB_OK) {
		/* the audit still runs; its findings simply start now */
		log_warn("store", "account=%s stored findings not loaded (first-seen times start now): %s", r->cfg.name,
			 de.msg);
		return;
	}
	for (size_t k = 0; k < nrows; k++) {
		struct rec_finding f;
		memset(&f, 0, sizeof f);
		snprintf(f.key, sizeof f.key, "%s", rows[k].key);
		f.code = (enum rec_code)rows[k].code;
		f.severity = (enum rec_severity)rows[k].severity;
		snprintf(f.account, sizeof f.account, "%s", r->cfg.name);
		f.exchange = r->cfg.exchange;
		snprintf(f.symbol, sizeof f.symbol, "%s", rows[k].symbol);
		f.pidx = key_pidx(f.key);
		snprintf(f.detail, sizeof f.detail, "%s", rows[k].detail);
		f.first_seen_ms = rows[k].first_seen_ms;
		f.last_seen_ms = rows[k].last_seen_ms;
		rec_memory_seed(r->mem, &f);
	}
	free(rows);
	struct db_condition *cs = NULL;
	if (db_conditions_load(s->conn, r->cfg.name, &cs, &nconds, &de) != DB_OK) {
		/* before migration 003: the stored findings alone are seeded */
		log_warn("store", "account=%s stored conditions not loaded (run `vigil db migrate`?): %s", r->cfg.name,
			 de.msg);
		nconds = 0;
	}
	for (size_t k = 0; k < nconds; k++)
		rec_memory_seed_cond(r->mem, cs[k].key, cs[k].symbol, cs[k].kind, cs[k].first_seen_ms);
	free(cs);
	if (!nrows && !nconds)
		return;
	/* a one-shot audit's output stays as it was: debug level there */
	if (e->opts.kind == WD_ENG_DAEMON)
		log_info("store", "account=%s memory seeded: %zu open finding%s, %zu condition%s", r->cfg.name, nrows,
			 nrows == 1 ? "" : "s", nconds, nconds == 1 ? "" : "s");
	else
		log_debug("store", "account=%s memory seeded: %zu open findings, %zu conditions", r->cfg.name, nrows,
			  nconds);
}

struct cond_set {
	struct db_condition *v;
	size_t n, cap;
	uint64_t hash;
};

static void cond_add(void *ud, const char *key, const char *symbol, char kind, int64_t first_ms)
{
	struct cond_set *cs = ud;
	if (cs->n == cs->cap) {
		cs->cap = cs->cap ? cs->cap * 2 : 32;
		cs->v = xrealloc(cs->v, cs->cap * sizeof *cs->v);
	}
	struct db_condition *c = &cs->v[cs->n++];
	snprintf(c->key, sizeof c->key, "%s", key);
	c->kind = kind;
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
	c->first_seen_ms = first_ms;
	/* FNV-1a over what is stored, to skip writing an unchanged set */
	uint64_t h = cs->hash;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ (uint64_t)first_ms) * 1099511628211ULL;
	cs->hash = (h ^ (unsigned char)kind) * 1099511628211ULL;
}

/* The conditions account i's memory holds after this audit, written when
 * they changed (new, gone, restarted), so the next run continues them. */
static int store_conditions(struct wd_store *s, struct wd_engine *e, size_t i, struct db_err *de)
{
	struct cond_set cs = { .hash = 1469598103934665603ULL };
	rec_memory_conds(e->acct[i].mem, cond_add, &cs);
	cs.hash |= 1; /* never 0 = nothing saved yet */
	int rc = DB_OK;
	if (i >= s->ncond || s->cond_hash[i] != cs.hash) {
		rc = db_conditions_save(s->conn, e->acct[i].cfg.name, cs.v, cs.n, de);
		if (rc == DB_OK && i < s->ncond)
			s->cond_hash[i] = cs.hash;
	}
	free(cs.v);
	return rc;
}

static void log_db(struct wd_store *s, const char *what, const struct db_err *de)
{
	if (de->code == DB_EUNREACH) {
		if (!s->down_logged)
			log_warn("store", "database unreachable (%s): %s; will retry", what, de->msg);
		s->down_logged = true;
		return;
	}
	log_warn("store", "%s: %s", what, de->msg);
}

void wd_store_audit(struct wd_engine *e, size_t i, const struct wd_audit *a)
{
	struct wd_store *s = e->store;
	if (!s || e->opts.no_store)
		return;
	struct db_err de;
	memset(&de, 0, sizeof de);
	int64_t now = wd_wall_ms();
	/* Only the daemon, which remembers grace periods across audits, may
	 * resolve stored findings; a one-shot audit adds what it saw. */
	bool resolve = e->opts.kind == WD_ENG_DAEMON;
	const char *acct = e->acct[i].cfg.name;
	int rc = DB_OK;
	if (a->audited) {
		const char **keys = xcalloc(a->nfindings ? a->nfindings : 1, sizeof *keys);
		for (size_t k = 0; k < a->nfindings && rc == DB_OK; k++) {
			rc = db_finding_upsert(s->conn, &a->findings[k], now, &de);
			keys[k] = a->findings[k].key;
		}
		long resolved = 0;
		if (rc == DB_OK && resolve)
			rc = db_findings_resolve_absent(s->conn, acct, keys, a->nfindings, now, &resolved, &de);
		free(keys);
		if (rc != DB_OK) {
			log_db(s, "findings", &de);
			return;
		}
		if (store_conditions(s, e, i, &de) != DB_OK)
			log_db(s, "conditions", &de); /* not fatal: before migration 003 */
	}
	struct db_audit_run run;
	memset(&run, 0, sizeof run);
	snprintf(run.account, sizeof run.account, "%s", acct);
	snprintf(run.instance, sizeof run.instance, "%s", e->conf->instance);
	run.started_ms = a->started_ms;
	run.duration_ms = a->duration_ms;
	if (a->stream && a->stream->state == REC_SS_UP)
		run.sources_reached |= REC_SRC_STREAM;
	if (a->listing.pos_rc == XCH_OK)
		run.sources_reached |= REC_SRC_REST;
	if (a->listing.ord_rc == XCH_OK)
		run.sources_reached |= REC_SRC_ORDER;
	if (a->bot_ok)
		run.sources_reached |= REC_SRC_DB;
	run.findings = (int)a->nfindings;
	for (size_t k = 0; k < a->nfindings; k++) {
		if (a->findings[k].severity == REC_SEV_CRITICAL)
			run.critical++;
		else if (a->findings[k].severity == REC_SEV_WARNING)
			run.warnings++;
	}
	run.actions = (int)a->nactions;
	rc = db_audit_record(s->conn, &run, VIGIL_VERSION, &de);
	if (rc == DB_OK && a->audited)
		rc = db_heartbeat(s->conn, e->conf->instance, acct, a->started_ms, VIGIL_VERSION, &de);
	if (rc != DB_OK) {
		log_db(s, "audit record", &de);
		return;
	}
	if (s->own_journal && db_journal_spooled(e->journal) > 0) {
		/* what was journaled during the outage goes in now, not at
		 * the next repair (which may be days away) */
		if (db_journal_flush(e->journal, &de) != DB_OK)
			log_db(s, "journal spool replay", &de);
	}
	if (s->down_logged)
		log_info("store", "database reachable again");
	s->down_logged = false;
}

bool wd_store_repair_lock(struct wd_engine *e, size_t i)
{
	struct wd_store *s = e->store;
	if (!s || !s->ha)
		return true;
	if (i >= s->nha || !s->ha[i])
		return false; /* a database is configured but this lock is unusable */
	struct db_err de;
	memset(&de, 0, sizeof de);
	int rc = db_ha_try_acquire(s->ha[i], &de);
	if (rc == DB_HA_LEASE) {
		/* logged once per outage; the lease's end is logged when it comes */
		if (s->ha_last[i] != 3)
			log_warn("store",
				 "account=%s database unreachable (%s): repairing on this instance's lease for %lld s "
				 "more",
				 e->acct[i].cfg.name, de.msg, (long long)(db_ha_lease_left(s->ha[i]) / 1000));
		s->ha_last[i] = 3;
		return true;
	}
	bool now = rc == 1;
	signed char state = rc < 0 ? 2 : (signed char)now;
	if (s->ha_last[i] != state)
		log_info("store", "account=%s repair lock %s%s%s", e->acct[i].cfg.name,
			 now ? "acquired: this instance repairs" : "not held: observing only", rc < 0 ? " — " : "",
			 rc < 0 ? de.msg : "");
	s->ha_last[i] = state;
	return now;
}

const char *wd_store_lock_refusal(const struct wd_engine *e, size_t i)
{
	const struct wd_store *s = e->store;
	if (s && s->ha_last && i < s->nha && s->ha_last[i] == 2)
		return "the database is unreachable, so the repair lock cannot be taken (retry when it is back)";
	return "another vigil instance holds the repair lock (stop it or run there)";
}

void wd_store_adopt(struct wd_engine *e, struct wd_engine *old)
{
	struct wd_store *s = old->store;
	old->store = NULL;
	if (!s)
		return;
	/* HA locks follow their account by name; new accounts get a lock of
	 * their own, removed accounts release theirs. */
	struct db_ha **ha = xcalloc(e->n ? e->n : 1, sizeof *ha);
	signed char *last = xmalloc(e->n ? e->n : 1);
	memset(last, -1, e->n ? e->n : 1);
	for (size_t i = 0; i < e->n && s->ha; i++) {
		int j = wd_engine_find(old, e->acct[i].cfg.name);
		if (j >= 0 && (size_t)j < s->nha) {
			ha[i] = s->ha[j];
			last[i] = s->ha_last[j];
			s->ha[j] = NULL;
			continue;
		}
		struct db_params p;
		struct db_err de;
		memset(&de, 0, sizeof de);
		wd_db_params(e->conf, &p);
		ha[i] = e->shard ? db_ha_new_on(wd_shard_conn(e), e->acct[i].cfg.name, e->conf->instance,
						e->conf->repair_lease_ms)
				 : db_ha_new(&p, e->acct[i].cfg.name, e->conf->instance, e->conf->repair_lease_ms, &de);
		if (!ha[i])
			log_error("store", "account=%s HA lock: %s", e->acct[i].cfg.name, de.msg);
	}
	/* conditions follow the memories; saved again once by index */
	free(s->cond_hash);
	s->cond_hash = xcalloc(e->n ? e->n : 1, sizeof *s->cond_hash);
	s->ncond = e->n;
	if (s->ha) {
		for (size_t j = 0; j < s->nha; j++)
			db_ha_free(s->ha[j]);
		free(s->ha);
		free(s->ha_last);
		s->ha = ha;
		s->ha_last = last;
		s->nha = e->n;
	} else {
		free(ha);
		free(last);
	}
	e->store = s;
}

void wd_store_repair_unlock(struct wd_engine *e, size_t i)
{
	struct wd_store *s = e->store;
	if (!s || !s->ha || i >= s->nha || !s->ha[i] || !db_ha_held(s->ha[i]))
		return;
	struct db_err de;
	memset(&de, 0, sizeof de);
	db_ha_release(s->ha[i], &de);
	s->ha_last[i] = -1;
	log_info("store", "account=%s repair lock released (mode observe: nothing to repair)", e->acct[i].cfg.name);
}

void wd_store_repair_release(struct wd_engine *e, size_t i, bool voluntary)
{
	struct wd_store *s = e->store;
	if (!s || !s->ha || i >= s->nha || !s->ha[i])
		return;
	if (voluntary) {
		/* the lease goes back with the lock: the next holder repairs at once */
		struct db_err de;
		memset(&de, 0, sizeof de);
		if (db_ha_held(s->ha[i]) && db_ha_release(s->ha[i], &de) != DB_OK)
			log_warn("store", "account=%s repair lock release: %s", e->acct[i].cfg.name, de.msg);
	} else {
		db_ha_forget(s->ha[i]);
	}
	s->ha_last[i] = -1;
}

void wd_store_flush_spool(struct wd_engine *e)
{
	struct wd_store *s = e->store;
	if (!s || !s->own_journal || db_journal_spooled(e->journal) == 0)
		return;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_journal_flush(e->journal, &de) != DB_OK)
		log_db(s, "journal spool replay", &de);
}

int wd_store_holders(struct wd_engine *e, char (*holder)[64])
{
	struct wd_store *s = e->store;
	for (size_t i = 0; i < e->n; i++)
		holder[i][0] = '\0';
	if (!s || e->conf->single_instance)
		return -1;
	const char **names = xcalloc(e->n ? e->n : 1, sizeof *names);
	for (size_t i = 0; i < e->n; i++)
		names[i] = e->acct[i].cfg.name;
	struct db_err de;
	memset(&de, 0, sizeof de);
	int rc = db_shard_holders(s->conn, names, e->n, holder, &de);
	free(names);
	return rc == DB_OK ? 0 : -1;
}

void wd_storage_audit(struct wd_engine *e, struct wd_acct_rt *r, struct wd_audit *a)
{
	int64_t since = 0;
	int err = e->store ? db_spool_storage_error(&since) : 0;
	if (!err)
		return;
	struct rec_finding about, f;
	memset(&about, 0, sizeof about);
	snprintf(about.account, sizeof about.account, "%s", r->cfg.name);
	about.exchange = r->x ? r->x->cfg.exchange : REC_EX_BINANCE;
	rec_raise(&f, &about, REC_STORAGE_FULL, wd_wall_ms(),
		  "the spool in %s cannot be written since %lld s (%s) while the database is away: no new repair "
		  "can be journaled, so none is sent; alerts wait in memory",
		  e->conf->spool_dir, (long long)((wd_wall_ms() - since) / 1000),
		  err == ENOSPC  ? "disk full"
		  : err == EFBIG ? "file-size limit"
				 : strerror(err));
	f.repairable = false;
	wd_audit_add_finding(a, &f);
}
