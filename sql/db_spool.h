/* The local spool: while the database is down, journal and outbox records
 * go to an append-only file, one JSON object per line, fsync'd before the
 * caller is told "durable". When the database returns they are replayed in
 * file order inside one transaction (inserts keyed by the record's id with
 * ON CONFLICT DO NOTHING, updates that set absolute values), then the file
 * is truncated. A crash between commit and truncate replays again, which
 * the keys make harmless: every record lands exactly once.
 *
 * Every record is all-or-nothing: written with its CRC-32 in one append,
 * fsync'd, and cut back off the file if the write fails (ENOSPC, EFBIG);
 * a torn last line (crash mid-write) is cut off when the file is opened,
 * and a damaged line fails its checksum and is dropped with a log line,
 * never merged with the next. When the disk refuses, records that may be
 * held (alerts, outcomes, marks) wait in memory, in order, and go to the
 * file before anything newer; an intent (which must be durable before its
 * action is sent) is refused instead. */
#ifndef DB_SPOOL_H
#define DB_SPOOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "alerts/outbox.h"
#include "reconcile/journal.h"

struct db_spool {
	char *path;
	int fd;
	size_t count; /* records in the file and held in memory */
	char **held;  /* records the disk refused, oldest first */
	size_t nheld;
};

/* Opens (creating, mode 0600) the file, creating its directory if missing.
 * 0, or -1 with err set. */
int db_spool_open(struct db_spool *s, const char *path, char *err, size_t errlen);
void db_spool_close(struct db_spool *s);
/* Appends line (no newline inside) as one record and fsyncs: 0. When the
 * disk refuses (errno kept): with hold, the record waits in memory and 1
 * is returned (accepted, not yet durable); without, -1. */
int db_spool_append(struct db_spool *s, const char *line, bool hold);
/* Every intact record's payload, in order, then the held ones (caller
 * frees each and the array). Damaged lines are logged and skipped. */
int db_spool_read(struct db_spool *s, char ***lines, size_t *n);
/* Empties the file (after a successful replay). */
int db_spool_clear(struct db_spool *s);
void db_spool_lines_free(char **lines, size_t n);
/* The errno of the last spool write of this process that failed, if no
 * write succeeded since (since_ms: when it failed); 0 when storage is fine. */
int db_spool_storage_error(int64_t *since_ms);
/* A record went to the database directly: durability does not hang on the
 * spool any more, whatever its disk says. */
void db_spool_storage_ok(void);

/* ---- record format (pure) ----
 * {"v":1,"t":"intent", "id":..., every rec_action field by name}
 * {"v":1,"t":"outcome","id":...,"outcome":N,"order_id":"..","detail":"..","ms":..}
 * {"v":1,"t":"alert", "id":..., every alert_msg field}
 * {"v":1,"t":"delivered","id":...,"ms":...}
 * {"v":1,"t":"failed","id":...,"next_ms":...,"why":"..","fid":N}  (fid: unique per
 *  failure, so a replayed failure counts one attempt, not two)
 * Returned strings are malloc'd. */
char *db_spool_fmt_intent(const struct rec_action *a);
char *db_spool_fmt_outcome(int64_t id, enum rec_outcome o, const char *order_id, const char *detail, int64_t ms);
char *db_spool_fmt_alert(const struct alert_msg *m);
char *db_spool_fmt_delivered(int64_t id, int64_t ms);
char *db_spool_fmt_failed(int64_t id, int64_t next_ms, const char *why, int64_t fid);

/* Parses a line; returns the object (json_object_put it) and its type in
 * *type (points into the object), or NULL if the line is not a valid v1
 * record. */
json_object *db_spool_parse(const char *line, const char **type);
/* Field readers for parsed records; 0 ok, -1 if a required field is
 * missing or has the wrong type. */
int db_spool_get_intent(json_object *o, struct rec_action *a);
int db_spool_get_alert(json_object *o, struct alert_msg *m); /* m->body malloc'd */
int64_t db_spool_get_i64(json_object *o, const char *k);
const char *db_spool_get_str(json_object *o, const char *k); /* "" if absent */

#endif
