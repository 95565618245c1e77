/* The PostgreSQL alert outbox (alerts/outbox.h) with a local spool: while
 * the database is unreachable, enqueued messages and delivery results are
 * appended to <spool_path> (fsync'd) and kept in memory too, so due() can
 * still hand spooled messages to the channels during the outage; the spool
 * is replayed in order, exactly once, when the database answers again.
 * Messages that were already in the database wait for it to return.
 * Thread-safe: every operation holds the outbox's own mutex around its
 * connection, spool and memory (the router enqueues from the engine thread
 * while the notifier drains from its own). db_outbox_conn's connection is
 * not covered: use it only while no other thread uses the outbox. */
#ifndef DB_OUTBOX_H
#define DB_OUTBOX_H
#include "alerts/outbox.h"
#include "sql/db_conn.h"

struct alert_outbox *db_outbox_new(const struct db_params *p, const char *spool_path, struct db_err *e);
/* The name due rows are claimed under (the instance; default "pid-N"):
 * a notifier takes the due messages for 30 s, so notifiers of several
 * instances never send one message twice (005_shard.sql). */
void db_outbox_set_claimer(struct alert_outbox *o, const char *name);
size_t db_outbox_spooled(struct alert_outbox *o);
int db_outbox_flush(struct alert_outbox *o, struct db_err *e);
struct db_conn *db_outbox_conn(struct alert_outbox *o);

#endif
