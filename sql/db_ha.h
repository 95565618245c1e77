/* HA: each account's repairs are done only by the vigil instance holding
 * that account's PostgreSQL advisory lock. The lock is session-level, on a
 * connection of its own, so it frees when the holder's process dies (the
 * server sees the socket close) or its connection is lost; nothing here is
 * home-made consensus. Call db_ha_try_acquire() every audit: it takes the
 * lock when free and re-checks a held one (a lost connection = lost lock).
 *
 * The lease (a database outage must not stop protection): the holder also
 * renews a row in repair_lease every call. When the database cannot be
 * reached, the instance that held the lock keeps repairing until lease_ms
 * after the moment it sent its last successful renewal (its own monotonic
 * clock: no clock comparison between hosts). An instance that takes the
 * lock repairs only if the row names it, or once the row's lease expired
 * on the database's clock — so a standby never acts while a holder cut off
 * from the database may still be acting. Instances need distinct holder
 * names (the config's instance). */
#ifndef DB_HA_H
#define DB_HA_H
#include <stdbool.h>
#include <stdint.h>

#include "sql/db_conn.h"

struct db_ha;

struct db_ha *db_ha_new(const struct db_params *p, const char *account, const char *holder, int64_t lease_ms,
			struct db_err *e);
/* The same on a session the caller owns (borrowed: it must outlive h),
 * so one daemon holds every account's lock on one connection (sharding,
 * sql/db_shard.h). Used by one thread at a time, like the connection. */
struct db_ha *db_ha_new_on(struct db_conn *c, const char *account, const char *holder, int64_t lease_ms);
void db_ha_free(struct db_ha *h); /* releases (closes the session if its own) */
/* The lock was lost without this instance letting it go (its session
 * ended, the account was taken): forget it, nothing sent; the lease row
 * is left to expire, as after a crash. */
void db_ha_forget(struct db_ha *h);

/* 1 = this instance holds the lock and the lease, DB_HA_LEASE = the
 * database is unreachable but this instance's lease still runs: it may
 * repair, 0 = another instance holds the lock or a live lease (observe),
 * DB_EUNREACH/DB_ESQL (negative) = unknown: act as an observer. e is set
 * for DB_HA_LEASE too (why the database could not be asked). */
#define DB_HA_LEASE 2
int db_ha_try_acquire(struct db_ha *h, struct db_err *e);
/* ms of lease left on this instance's clock (0 when none). */
int64_t db_ha_lease_left(const struct db_ha *h);
int db_ha_release(struct db_ha *h, struct db_err *e);
bool db_ha_held(const struct db_ha *h); /* as of the last call */

/* The two int4 lock keys for an account (stable across versions/hosts). */
void db_ha_keys(const char *account, int32_t *k1, int32_t *k2);

#endif
