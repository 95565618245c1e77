/* The audit engine: one audit cycle per account, shared by the daemon
 * (`vigil run`), the one-shot audit, `vigil status` and the manual repair
 * commands, so all of them go through the same fetch, classification,
 * policy, verification and journal.
 *
 * One cycle (engine.c): copy the stream cache, fetch REST positions and
 * open orders in parallel (the adapter's fetch_listing), read the bot's
 * rows, rec_classify, then policy -> plan -> repair (engine_repair.c),
 * route alerts for new / repeated / resolved findings (engine_alert.c),
 * store findings, actions and a heartbeat (engine_store.c), update metrics.
 *
 * Threading: the engine thread owns everything here; the only entry from
 * another thread is wd_engine_on_event (stream threads), which touches the
 * scheduler under eng->mu and signals eng->cv. */
#ifndef WD_ENGINE_H
#define WD_ENGINE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchanges/exchange.h"
#include "reconcile/journal.h"
#include "reconcile/model.h"
#include "reconcile/reconcile.h"
#include "watchdog/config.h"
#include "watchdog/sched.h"

struct wd_engine;
struct wd_store;
struct wd_shard;
struct db_conn;
struct db_params;
struct wd_alerts;
struct wd_repair;
struct rec_step;
struct rec_engine;

/* Result of one audit of one account. Owns its arrays (wd_audit_free). */
struct wd_audit {
	char account[REC_ACCT_MAX];
	enum rec_exchange exchange;
	enum rec_mode mode;
	bool audited; /* false = could not audit (error says why) */
	char error[256];
	int64_t started_ms; /* wall clock */
	int64_t duration_ms;
	struct rec_finding *findings;
	size_t nfindings;
	struct rec_finding *resolved;
	size_t nresolved;
	struct rec_action *actions; /* what was planned / done this audit */
	size_t nactions;
	/* the sources, kept for `vigil status` */
	struct rec_stream_cache *stream; /* NULL = no stream */
	struct xch_listing listing;
	bool bot_ok;
	char bot_error[256];
	struct rec_bot_row *bot;
	size_t nbot;
	bool clock_known;
	int64_t clock_offset_ms;
	struct wd_scope scope; /* n > 0: a targeted check of these symbols */
};
void wd_audit_free(struct wd_audit *a);
/* Worst severity among findings (-1 if none). */
int wd_audit_worst(const struct wd_audit *a);

struct wd_acct_rt {
	struct wd_engine *eng;
	size_t idx;
	struct wd_account cfg; /* copy; secret pointers borrowed from eng->conf */
	struct xch *x;
	struct rec_memory *mem;
	struct rec_params params;
	struct rec_policy policy; /* what policy and repair act by (wd_account_policy) */
	struct wd_repair *rep;    /* repair engine (engine_repair.c), lazily made */
	bool streaming;
	bool held;        /* sharding: this instance audits the account (engine_shard.c) */
	bool repair_lock; /* HA: this instance may repair this account */
	uint64_t audits, failures;
	int64_t last_ok_wall_ms;
	int64_t last_clock_mono_ms;
	enum rec_pos_mode pos_mode; /* as the exchange last reported it */
	int64_t last_mode_mono_ms;
	char last_error[256];
};

enum wd_engine_kind { WD_ENG_DAEMON = 0, WD_ENG_ONESHOT, WD_ENG_MANUAL };

struct wd_engine_opts {
	enum wd_engine_kind kind;
	const char *only_account; /* NULL = every enabled account */
	bool dry_run;             /* plan only: nothing sent, nothing repaired */
	bool no_repair;           /* audit / status: never repair (one-shot) */
	bool no_alerts;           /* do not route alerts */
	bool no_store;            /* write nothing to the database (status, repair) */
	bool quiet_console;       /* no live narration on stderr */
};

struct wd_engine {
	struct wd_conf *conf; /* owned */
	struct wd_engine_opts opts;
	size_t n;
	struct wd_acct_rt *acct;
	struct rec_journal *journal;
	struct wd_store *store;   /* NULL = no database */
	struct wd_alerts *alerts; /* NULL = alerts off */
	struct wd_shard *shard;   /* NULL = this instance holds every account */
	/* daemon loop state */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wd_sched sched;
	atomic_bool stop;
	atomic_int_fast64_t last_audit_mono_ms;
	atomic_uint_fast64_t audits_ok;
	void (*on_audit)(void *ud, const struct wd_audit *a); /* optional hook */
	void *on_audit_ud;
	/* after a successful claim round that left this instance holding no
	 * account (a standby is healthy without audits); optional */
	void (*on_standby)(void *ud);
	/* Appended (issue 23): optional, called by wd_engine_on_event (stream
	 * threads) with the account's index; must be quick. */
	void (*on_stream_event)(void *ud, size_t idx, const char *symbol);
	void *on_stream_event_ud;
};

/* Creates the engine: one adapter per enabled account (only_account if
 * given), in-memory or PostgreSQL journal, store and alerts as the config
 * says. Takes ownership of conf (also on failure). Returns 0, or -1 with
 * err set (unknown account, adapter refused its config...). */
int wd_engine_new(struct wd_conf *conf, const struct wd_engine_opts *o, struct wd_engine **out, char *err,
		  size_t errlen);
void wd_engine_free(struct wd_engine *e);
/* Starts every account's private stream; events wake the scheduler. */
void wd_engine_streams_start(struct wd_engine *e);
void wd_engine_streams_stop(struct wd_engine *e);
/* The stream metrics (up, message age, reconnects) of every streaming
 * account from the streams' state now, between audits (engine thread). */
void wd_engine_stream_metrics(struct wd_engine *e);
/* One full cycle for account i; fills *out (wd_audit_free it). Returns 0
 * if the account could be audited, -1 if not (out->error says why). */
int wd_engine_audit(struct wd_engine *e, size_t i, struct wd_audit *out);
/* The same for the symbols of scope only (NULL or n == 0: the whole
 * account): the daemon's targeted check after stream events. Findings of
 * other symbols are carried as they stood; only those of scope's symbols
 * and of the account may lead to a repair. */
int wd_engine_audit_scope(struct wd_engine *e, size_t i, const struct wd_scope *scope, struct wd_audit *out);
/* Index of an account by name, or -1. */
int wd_engine_find(const struct wd_engine *e, const char *name);
/* Starts / stops one account's private stream. */
void wd_engine_stream_start(struct wd_engine *e, size_t i);
void wd_engine_stream_stop(struct wd_engine *e, size_t i);
/* Stream callback (any thread). */
void wd_engine_on_event(void *ud, const char *symbol, int64_t recv_ns);
/* Declares every metric family vigil exports. */
void wd_engine_metrics_declare(void);

/* ---- engine_repair.c ---- */
/* Plans actions for the findings of a (policy) and, unless dry-run or the
 * account's repair lock is not held, carries them out through the repair
 * engine (journal + verification). Appends to a->actions. */
void wd_engine_repair(struct wd_engine *e, size_t i, struct wd_audit *a);
/* Adds f to the audit's findings unless its key is there already. */
void wd_audit_add_finding(struct wd_audit *a, const struct rec_finding *f);

/* engine_budget.c: the request budget shared with the bot (issue 15).
 * Fills the adapter config's egress and budget from the account. */
void wd_budget_config(const struct wd_account *a, struct xch_config *xc);
/* The pace of account i's audits: full listings at most every
 * *full_gap_ms, targeted checks *sym_gap_ms apart per symbol checked, so
 * all accounts behind the IP stay inside the audits' part of the share. */
void wd_budget_pace(const struct wd_engine *e, size_t i, int64_t *full_gap_ms, int64_t *sym_gap_ms);
/* After an audit: RATE_LIMITED while the budget is stopped by the
 * exchange (critical on a ban), and the budget's metrics. */
void wd_budget_audit(struct wd_acct_rt *r, struct wd_audit *a);
/* After an audit: STORAGE_FULL while the spool cannot be written (the
 * database is away and the disk refuses): no intent can be journaled. */
void wd_storage_audit(struct wd_engine *e, struct wd_acct_rt *r, struct wd_audit *a);
/* Runs one manual step (cmd_repair) through the repair engine: journal,
 * send, verify. Results are appended to a. Returns 0 done, 1 failed,
 * 2 skipped (dry run), -1 refused before sending (detail says why). */
int wd_engine_manual(struct wd_engine *e, size_t i, const struct rec_step *s, struct wd_audit *a, char *detail,
		     size_t dlen);
void wd_repair_init(struct wd_engine *e, size_t i);
void wd_repair_free(struct wd_acct_rt *r);
/* Account i's repair engine (made on first use). */
struct rec_engine *wd_repair_engine(struct wd_engine *e, size_t i);
/* Points every account's repair engine at e->journal (after a swap). */
void wd_repair_set_journal(struct wd_engine *e);
/* Checks unfinished journal intents of account i against the exchange. */
void wd_engine_recover(struct wd_engine *e, size_t i);

/* ---- engine_store.c (database; all no-ops when e->store is NULL) ---- */
int wd_store_open(struct wd_engine *e, char *err, size_t errlen);
void wd_store_close(struct wd_engine *e);
/* Seeds account i's new memory with its stored open findings and
 * conditions (first-seen times), before its first audit. */
void wd_store_seed(struct wd_engine *e, size_t i);
/* Bot rows for account i into a (bot_ok / bot_error / bot / nbot). */
void wd_store_bot_rows(struct wd_engine *e, size_t i, struct wd_audit *a);
/* Findings (open + resolved), actions and a heartbeat row. */
void wd_store_audit(struct wd_engine *e, size_t i, const struct wd_audit *a);
/* Releases account i's repair lock if held (observe mode needs none). */
void wd_store_repair_unlock(struct wd_engine *e, size_t i);
/* Reload: e takes over old's store (connections, HA locks by account). */
void wd_store_adopt(struct wd_engine *e, struct wd_engine *old);
/* HA: try to take / keep account i's repair lock. Without a database the
 * lock is always held. */
bool wd_store_repair_lock(struct wd_engine *e, size_t i);
/* Why the last wd_store_repair_lock() answered false, for messages. */
const char *wd_store_lock_refusal(const struct wd_engine *e, size_t i);

/* ---- engine_shard.c: accounts sharded across instances (sql/db_shard.h) ---- */
/* The daemon with a database and without single_instance: made by
 * wd_store_open; every account starts off (not held). */
int wd_shard_open(struct wd_engine *e, const struct db_params *p, char *err, size_t errlen);
void wd_shard_close(struct wd_engine *e);
/* The session the repair locks share with the claims. */
struct db_conn *wd_shard_conn(struct wd_engine *e);
/* A claim round when due (every audit_interval / 2; force: now). Engine
 * thread. Takes and lets go of accounts: streams, scheduler, memory and
 * alert state follow. Until a round succeeds (the database unreachable
 * since start) every account is held, as without sharding. */
void wd_shard_tick(struct wd_engine *e, bool force);
/* Reload: e takes old's shard and each account's claim by name; claims of
 * accounts no longer configured are let go. */
void wd_shard_adopt(struct wd_engine *e, struct wd_engine *old);
/* For `vigil status`: which instance holds each account (holder[i] "" =
 * none or unknown). -1 when there is no database or it cannot say. */
int wd_store_holders(struct wd_engine *e, char (*holder)[64]);
/* engine_store.c, for the shard: replays the journal spool now (an
 * instance whose accounts went elsewhere during an outage audits nothing
 * that would otherwise trigger it). */
void wd_store_flush_spool(struct wd_engine *e);
/* engine_store.c, for the shard: account i's repair lock let go (its
 * lease handed back) or, when the session that held it ended, forgotten. */
void wd_store_repair_release(struct wd_engine *e, size_t i, bool voluntary);

/* ---- engine_alert.c ---- */
int wd_alerts_open(struct wd_engine *e, char *err, size_t errlen);
void wd_alerts_close(struct wd_engine *e, int64_t flush_ms);
/* Routes the audit's findings (new / repeat / resolved) and failed actions. */
void wd_alerts_route(struct wd_engine *e, size_t i, const struct wd_audit *a);
/* Before an audit repairs: records durably which findings' alerts are due
 * (the alerts themselves are queued by wd_alerts_route after the repair,
 * with its outcome). */
void wd_alerts_before_repair(struct wd_engine *e, size_t i, const struct wd_audit *a);
/* Account i went to another instance: its router state is dropped (and
 * seeded again from the store if it comes back). */
void wd_alerts_forget(struct wd_engine *e, size_t i);
/* Delivers due outbox messages (notifier thread body; returns count). */
void wd_alerts_start_notifier(struct wd_engine *e);
/* Holds, repeats and escalations between audits (engine thread). */
void wd_alerts_tick(struct wd_engine *e);

/* ---- engine_narrate.c: the readable live account on stderr ---- */
void wd_narrate_audit(const struct wd_engine *e, const struct wd_audit *a);

#endif
