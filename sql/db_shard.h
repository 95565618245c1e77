/* Sharding: the accounts of N `vigil run` instances sharing one database
 * are split between them with PostgreSQL advisory locks; nothing here is
 * home-made consensus. One session per instance holds:
 *
 *   - its instance lock (DB_SHARD_K_INSTANCE, hash of the instance name):
 *     held while the process lives, so a crash frees it at once, and a
 *     second process with the same instance name cannot take it;
 *   - one claim lock per account it audits (DB_SHARD_K_ACCOUNT, hash of
 *     the account name). An instance audits, streams, alerts and repairs
 *     only the accounts whose claim it holds.
 *
 * and renews its row in `instances` (005_shard.sql) every round: live
 * instances are those whose row has not expired (ttl, renewed every
 * round) and whose instance lock is held. The fair share is
 * ceil(M / live); a round claims free accounts up to it (in the order of
 * a per-instance rendezvous hash, so instances prefer different accounts
 * and keep the same ones across restarts) and says how many this instance
 * should release: what it holds above the fair share, but only as many as
 * other live instances are short (their rows' held against the share), so
 * an account is let go only when someone is there to take it. Who holds
 * what is read from pg_locks joined on the rows' backend_pid.
 *
 * The repair locks (db_ha.h) of the accounts live on the same session
 * (db_shard_conn), so an instance uses one connection for all of them.
 * One thread at a time, like the connection. */
#ifndef DB_SHARD_H
#define DB_SHARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/db_conn.h"

#define DB_SHARD_K_INSTANCE 0x76676c02
#define DB_SHARD_K_ACCOUNT 0x76676c03

struct db_shard;

/* ttl_ms: how long the instance row counts as live after a round (the
 * daemon: its own audit_interval x 1.5, rounds every audit_interval / 2). */
struct db_shard *db_shard_new(const struct db_params *p, const char *instance, const char *version, int64_t ttl_ms,
			      struct db_err *e);
/* Clean stop: deletes the row and ends the session (every lock frees). */
void db_shard_free(struct db_shard *s);
/* The session the locks are on (borrowed; for db_ha_new_on). */
struct db_conn *db_shard_conn(struct db_shard *s);

struct db_shard_round {
	int live;         /* live instances, this one included */
	int fair;         /* ceil(accounts / live) */
	int held;         /* accounts held after the round */
	int claimed;      /* taken this round */
	int lost;         /* found no longer held (session ended) */
	int release;      /* how many to release now (see above) */
	bool dup_name;    /* another live process holds this instance's lock */
	bool new_session; /* the instance lock had to be taken (start, reconnect) */
};

/* One round over accounts[0..n) (this instance's configured accounts);
 * held[i] in: what the caller believes it holds, out: what it holds.
 * may_claim false: renew and count only (the daemon's first round, so
 * instances starting together see each other before anyone claims). On
 * an error (database unreachable...) held is left as it was: the caller
 * keeps auditing what it had. */
int db_shard_round(struct db_shard *s, const char *const *accounts, size_t n, bool *held, bool may_claim,
		   struct db_shard_round *out, struct db_err *e);
/* Lets account go (unlocks its claim). */
int db_shard_release(struct db_shard *s, const char *account, struct db_err *e);
/* This instance's preference for account (higher = kept longer, claimed
 * first): the order releases go in, lowest first. */
uint32_t db_shard_pref(const char *instance, const char *account);
/* The lock key of a name in either space (FNV-1a, stable). */
int32_t db_shard_key(const char *name);

/* For `vigil status`: the instance holding each account's claim
 * (holder[i] = "" when none), from pg_locks and the instances rows. */
int db_shard_holders(struct db_conn *c, const char *const *accounts, size_t n, char (*holder)[64], struct db_err *e);

#endif
