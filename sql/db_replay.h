/* Replays a spool into the database: one transaction, a savepoint per
 * record (a record the server refuses is moved to <spool>.rejected and
 * logged instead of blocking every later one), then the spool is emptied. */
#ifndef DB_REPLAY_H
#define DB_REPLAY_H
#include <json-c/json.h>

#include "sql/db_conn.h"
#include "sql/db_spool.h"

typedef int (*db_replay_fn)(struct db_conn *c, const char *type, json_object *rec, void *ctx, struct db_err *e);

/* 0 when the spool is empty afterwards; DB_EUNREACH (spool kept) etc. */
int db_replay(struct db_conn *c, struct db_spool *s, db_replay_fn apply, void *ctx, struct db_err *e);

#endif
