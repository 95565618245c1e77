/* The PostgreSQL actions journal (reconcile/journal.h) with a local spool:
 * while the database is unreachable, intents and outcomes are appended to
 * <spool_path> (fsync'd) and replayed in order, exactly once, as soon as
 * the database answers again. unfinished() needs the database (it returns
 * DB_EUNREACH while records are still spooled or the database is down:
 * the restart check must see every intent). */
#ifndef DB_JOURNAL_H
#define DB_JOURNAL_H
#include "reconcile/journal.h"
#include "sql/db_conn.h"

/* Own connection from p; spool file path (e.g. <spool_dir>/journal.spool).
 * NULL with e set on a bad schema name or an unusable spool file. */
struct rec_journal *db_journal_new(const struct db_params *p, const char *spool_path, struct db_err *e);
/* Records waiting in the spool (0 = everything is in the database). */
size_t db_journal_spooled(struct rec_journal *j);
/* Replays the spool now if the database answers; 0 when empty. */
int db_journal_flush(struct rec_journal *j, struct db_err *e);
/* The journal's connection (tests: force an immediate reconnect). */
struct db_conn *db_journal_conn(struct rec_journal *j);

#endif
