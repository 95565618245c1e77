/* DESIGN: the daemon's side of sharding (sql/db_shard.h). A claim round
 * every audit_interval / 2 on the engine thread: the accounts it takes
 * are audited, streamed and alerted from then on; the ones it lets go
 * (above the fair share while another instance is short, or lost with the
 * session) stop at once. The accounts' memory and alert state are seeded
 * again from the database on every take, as after a restart, so a
 * finding the previous holder alerted is not alerted again. Without a
 * database, with single_instance, or for one-shot commands there is no
 * shard and every account is held. */
#include "watchdog/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/db_shard.h"
#include "watchdog/metrics.h"
#include "watchdog/version.h"
#include "base/log.h"
#include "base/xalloc.h"

struct wd_shard {
	struct db_shard *db;
	int64_t period_ms;
	int64_t next_mono;
	bool ok_once;    /* a round succeeded since start */
	bool registered; /* the first round (row and instance lock, no claim) is done */
	bool blind;      /* no round ever succeeded: every account held, none claimed */
	bool err_logged;
	int last_live, last_fair, last_held;
};

int wd_shard_open(struct wd_engine *e, const struct db_params *p, char *err, size_t errlen)
{
	struct wd_shard *sh = xcalloc(1, sizeof *sh);
	int64_t iv = e->conf->audit_interval_ms > 0 ? e->conf->audit_interval_ms : 30000;
	sh->period_ms = iv / 2 > 100 ? iv / 2 : 100;
	struct db_err de;
	memset(&de, 0, sizeof de);
	/* live for 1.5 x audit_interval after each round: a hung instance
	 * (its session still up) counts as gone well inside 2 x interval;
	 * a dead one is gone at once (its instance lock frees) */
	sh->db = db_shard_new(p, e->conf->instance, VIGIL_VERSION, iv + iv / 2, &de);
	if (!sh->db) {
		snprintf(err, errlen, "shard: %s", de.msg);
		free(sh);
		return -1;
	}
	sh->last_live = sh->last_fair = sh->last_held = -1;
	e->shard = sh;
	for (size_t i = 0; i < e->n; i++)
		e->acct[i].held = false; /* the scheduler follows in wd_engine_new */
	wd_metric_declare("vigil_shard_held", WD_MT_GAUGE, "1 when this instance holds (audits) the account");
	wd_metric_declare("vigil_shard_instances", WD_MT_GAUGE, "live vigil instances sharing the accounts");
	wd_metric_declare("vigil_shard_fair_share", WD_MT_GAUGE, "accounts per instance: ceil(accounts / live)");
	return 0;
}

void wd_shard_close(struct wd_engine *e)
{
	if (!e->shard)
		return;
	db_shard_free(e->shard->db);
	free(e->shard);
	e->shard = NULL;
}

struct db_conn *wd_shard_conn(struct wd_engine *e)
{
	return e->shard ? db_shard_conn(e->shard->db) : NULL;
}

static void held_metric(const struct wd_acct_rt *r)
{
	char lbl[160];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_set("vigil_shard_held", lbl, r->held ? 1 : 0);
}

static void set_off(struct wd_engine *e, size_t i, bool off)
{
	pthread_mutex_lock(&e->mu);
	wd_sched_set_off(&e->sched, i, off, wd_mono_ms());
	pthread_mutex_unlock(&e->mu);
}

/* Account i is this instance's from now: memory and alert state as the
 * database has them (the previous holder's findings, first-seen times,
 * what was alerted), its unfinished journal intents checked, its stream
 * started, its audit due at once. */
static void take(struct wd_engine *e, size_t i, const char *why)
{
	struct wd_acct_rt *r = &e->acct[i];
	r->held = true;
	rec_memory_free(r->mem);
	r->mem = rec_memory_new();
	wd_store_seed(e, i);
	wd_alerts_forget(e, i);
	wd_engine_recover(e, i);
	wd_engine_stream_start(e, i);
	set_off(e, i, false);
	held_metric(r);
	log_info("shard", "account=%s taken (%s): this instance audits it", r->cfg.name, why);
}

/* Account i is no longer this instance's: nothing more is fetched,
 * streamed, repaired or alerted for it. voluntary: the repair lock and
 * its lease are handed back (a rebalance); else the session that held
 * them ended and they are only forgotten. */
static void drop(struct wd_engine *e, size_t i, bool voluntary, const char *why)
{
	struct wd_acct_rt *r = &e->acct[i];
	set_off(e, i, true);
	wd_engine_stream_stop(e, i);
	wd_store_repair_release(e, i, voluntary);
	wd_alerts_forget(e, i);
	r->held = false;
	r->repair_lock = false;
	char lbl[160];
	snprintf(lbl, sizeof lbl, "account=\"%s\"", r->cfg.name);
	wd_metric_set("vigil_repair_lock_held", lbl, 0);
	held_metric(r);
	log_info("shard", "account=%s let go (%s): another instance audits it", r->cfg.name, why);
}

struct rel {
	size_t i;
	uint32_t pref;
};

static int rel_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct rel *)a)->pref, y = ((const struct rel *)b)->pref;
	return x < y ? -1 : x > y ? 1 : 0;
}

/* Lets go of k held accounts, the least preferred first (the ones the
 * newcomer is likeliest to prefer are not known here: any will do). */
static void release_some(struct wd_engine *e, int k)
{
	struct rel *v = xcalloc(e->n ? e->n : 1, sizeof *v);
	size_t nv = 0;
	for (size_t i = 0; i < e->n; i++)
		if (e->acct[i].held)
			v[nv++] = (struct rel){ i, db_shard_pref(e->conf->instance, e->acct[i].cfg.name) };
	qsort(v, nv, sizeof *v, rel_cmp);
	for (size_t j = 0; j < nv && k > 0; j++, k--) {
		drop(e, v[j].i, true, "rebalance: above the fair share while another instance is short");
		struct db_err de;
		memset(&de, 0, sizeof de);
		if (db_shard_release(e->shard->db, e->acct[v[j].i].cfg.name, &de) != DB_OK)
			log_warn("shard", "account=%s claim not released: %s (it frees with the session)",
				 e->acct[v[j].i].cfg.name, de.msg);
	}
	free(v);
}

void wd_shard_tick(struct wd_engine *e, bool force)
{
	struct wd_shard *sh = e->shard;
	if (!sh)
		return;
	int64_t now = wd_mono_ms();
	if (!force && now < sh->next_mono)
		return;
	sh->next_mono = now + sh->period_ms;
	const char **names = xcalloc(e->n ? e->n : 1, sizeof *names);
	bool *held = xcalloc(e->n ? e->n : 1, sizeof *held);
	for (size_t i = 0; i < e->n; i++) {
		names[i] = e->acct[i].cfg.name;
		held[i] = e->acct[i].held && !sh->blind; /* blind holds are no claims */
	}
	struct db_shard_round rd;
	struct db_err de;
	memset(&de, 0, sizeof de);
	bool first = !sh->registered && !sh->blind;
	int rc = db_shard_round(sh->db, names, e->n, held, !first, &rd, &de);
	if (rc == DB_OK && first) {
		/* instances starting together register first and claim one
		 * short round later, having seen each other: no instance
		 * takes all M accounts only to give most of them back */
		sh->registered = true;
		sh->next_mono = now + (sh->period_ms < 1000 ? sh->period_ms : 1000);
	}
	if (rc != DB_OK) {
		if (!sh->err_logged)
			log_warn("shard", "claim round failed (%s): %s",
				 rc == DB_EUNREACH ? "database unreachable" : "error", de.msg);
		sh->err_logged = true;
		if (!sh->ok_once && !sh->blind) {
			/* never reached the database: no way to know who else
			 * runs, so audit everything (repairs still need the
			 * repair lock or lease), as an instance did before sharding */
			sh->blind = true;
			log_warn("shard",
				 "no claim round has succeeded since start: auditing all %zu accounts until "
				 "one does",
				 e->n);
			for (size_t i = 0; i < e->n; i++)
				if (!e->acct[i].held)
					take(e, i, "database unreachable since start");
		}
		/* else: keep what is held (the lease covers repairs) */
		goto out;
	}
	if (sh->err_logged) {
		log_info("shard", "claim round succeeded again");
		wd_store_flush_spool(e); /* what was journaled in the outage, whoever holds the account now */
	}
	sh->err_logged = false;
	sh->ok_once = true;
	sh->registered = true;
	bool was_blind = sh->blind;
	sh->blind = false;
	for (size_t i = 0; i < e->n; i++) {
		struct wd_acct_rt *r = &e->acct[i];
		if (r->held && !held[i])
			drop(e, i, was_blind,
			     was_blind ? "claim rounds work now" : "its claim was lost with the session");
		else if (!r->held && held[i])
			take(e, i, rd.new_session && rd.claimed == 0 ? "reclaimed" : "claimed");
		else if (was_blind && held[i])
			log_info("shard", "account=%s claimed: kept", r->cfg.name);
	}
	if (rd.release > 0)
		release_some(e, rd.release);
	int held_n = 0;
	for (size_t i = 0; i < e->n; i++)
		held_n += e->acct[i].held;
	if (rd.live != sh->last_live || rd.fair != sh->last_fair || held_n != sh->last_held)
		log_info("shard", "%d live instance%s, fair share %d: holding %d of %zu accounts", rd.live,
			 rd.live == 1 ? "" : "s", rd.fair, held_n, e->n);
	sh->last_live = rd.live;
	sh->last_fair = rd.fair;
	sh->last_held = held_n;
	wd_metric_set("vigil_shard_instances", "", rd.live);
	wd_metric_set("vigil_shard_fair_share", "", rd.fair);
	if (held_n == 0 && e->on_standby)
		e->on_standby(e->on_audit_ud);
out:
	free(names);
	free(held);
}

void wd_shard_adopt(struct wd_engine *e, struct wd_engine *old)
{
	e->shard = old->shard;
	old->shard = NULL;
	if (!e->shard)
		return;
	for (size_t i = 0; i < e->n; i++) {
		int j = wd_engine_find(old, e->acct[i].cfg.name);
		e->acct[i].held = j >= 0 && old->acct[j].held;
		wd_sched_set_off(&e->sched, i, !e->acct[i].held, wd_mono_ms());
		held_metric(&e->acct[i]);
	}
	for (size_t j = 0; j < old->n; j++) {
		if (!old->acct[j].held || wd_engine_find(e, old->acct[j].cfg.name) >= 0)
			continue;
		struct db_err de;
		memset(&de, 0, sizeof de);
		if (!e->shard->blind)
			(void)db_shard_release(e->shard->db, old->acct[j].cfg.name, &de);
		old->acct[j].held = false;
		log_info("shard", "account=%s let go (no longer configured)", old->acct[j].cfg.name);
	}
}
