/* HA: each account's repairs are done only by the vigil instance holding
 * that account's PostgreSQL advisory lock. The lock is session-level, on a
 * connection of its own, so it frees when the holder's process dies (the
 * server sees the socket close) or its connection is lost; nothing here is
 * home-made consensus. Call db_ha_try_acquire() every audit: it takes the
 * lock when free and re-checks a held one (a lost connection = lost lock). */
#ifndef DB_HA_H
#define DB_HA_H
#include <stdbool.h>
#include <stdint.h>

#include "sql/db_conn.h"

struct db_ha;

struct db_ha *db_ha_new(const struct db_params *p, const char *account, struct db_err *e);
void db_ha_free(struct db_ha *h); /* releases (closes the session) */

/* 1 = this instance holds the lock, 0 = another does, DB_EUNREACH/DB_ESQL
 * (negative) = unknown: act as an observer. */
int db_ha_try_acquire(struct db_ha *h, struct db_err *e);
int db_ha_release(struct db_ha *h, struct db_err *e);
bool db_ha_held(const struct db_ha *h); /* as of the last call */

/* The two int4 lock keys for an account (stable across versions/hosts). */
void db_ha_keys(const char *account, int32_t *k1, int32_t *k2);

#endif
