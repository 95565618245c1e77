#include "sql/db_replay.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

static void reject(struct db_spool *s, const char *line, const char *why)
{
	log_error("db", "spool record rejected spool=%s err=\"%s\"", s->path, why);
	char *path = xasprintf("%s.rejected", s->path);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(path);
	if (fd < 0)
		return;
	size_t n = strlen(line);
	if (write(fd, line, n) == (ssize_t)n && write(fd, "\n", 1) == 1)
		(void)fsync(fd);
	close(fd);
}

int db_replay(struct db_conn *c, struct db_spool *s, db_replay_fn apply, void *ctx, struct db_err *e)
{
	if (s->count == 0)
		return DB_OK;
	int rc = db_conn_ensure(c, e);
	if (rc)
		return rc;
	char **lines;
	size_t n;
	if (db_spool_read(s, &lines, &n))
		return db_err_set(e, DB_EDATA, "cannot read spool %s", s->path);
	rc = db_begin(c, e);
	size_t done = 0, rejected = 0;
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		const char *type = NULL;
		json_object *o = db_spool_parse(lines[i], &type);
		if (!o) {
			reject(s, lines[i], "not a spool record");
			rejected++;
			continue;
		}
		rc = db_exec(c, "SAVEPOINT vigil_rec", 0, NULL, NULL, e);
		if (rc == DB_OK)
			rc = apply(c, type, o, ctx, e);
		json_object_put(o);
		if (rc == DB_ESQL || rc == DB_EDATA) {
			reject(s, lines[i], e ? e->msg : "refused");
			rejected++;
			rc = db_exec(c, "ROLLBACK TO SAVEPOINT vigil_rec", 0, NULL, NULL, e);
		} else if (rc == DB_OK) {
			done++;
		}
	}
	if (rc == DB_OK)
		rc = db_commit(c, e);
	else
		db_rollback(c);
	if (rc == DB_OK) {
		if (db_spool_clear(s))
			rc = db_err_set(e, DB_EDATA, "cannot truncate spool %s", s->path);
		else
			log_info("db", "spool replayed spool=%s records=%zu rejected=%zu", s->path, done, rejected);
	}
	db_spool_lines_free(lines, n);
	return rc;
}
