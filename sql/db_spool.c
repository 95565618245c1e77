#include "sql/db_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdatomic.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/clock_now.h"
#include "base/log.h"
#include "base/xalloc.h"

static int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	for (char *q = p + 1; *q; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		if (mkdir(p, 0700) && errno != EEXIST) {
			free(p);
			return -1;
		}
		*q = '/';
	}
	int rc = (mkdir(p, 0700) && errno != EEXIST) ? -1 : 0;
	free(p);
	return rc;
}

static char *read_all(int fd, size_t *len)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	struct buf b = { 0 };
	char chunk[4096];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			buf_free(&b);
			return NULL;
		}
		if (got == 0)
			break;
		buf_add(&b, chunk, (size_t)got);
	}
	return buf_take(&b, len);
}

/* A record line on disk: 8 hex digits of the CRC-32 of the payload, one
 * space, the payload. A line glued from a torn write and the next record,
 * or damaged in any other way, fails its checksum and is dropped with a
 * log line instead of being replayed as something else. Lines that start
 * with '{' are records of the first format (no checksum) and are read as
 * before. */
#define SPOOL_CRC_LEN 9
#define SPOOL_HOLD_MAX 20000 /* records kept in memory while the disk refuses */

static unsigned long payload_crc(const char *p, size_t n)
{
	return crc32(crc32(0L, Z_NULL, 0), (const Bytef *)p, (uInt)n);
}

/* The payload of one stored line, or NULL (and why) when it is damaged. */
static char *line_payload(const char *p, size_t n, const char **why)
{
	if (n > 0 && p[0] == '{')
		return xstrndup(p, n);
	if (n < SPOOL_CRC_LEN || p[SPOOL_CRC_LEN - 1] != ' ') {
		*why = "no checksum";
		return NULL;
	}
	char hex[9];
	memcpy(hex, p, 8);
	hex[8] = '\0';
	char *end;
	unsigned long want = strtoul(hex, &end, 16);
	if (*end || payload_crc(p + SPOOL_CRC_LEN, n - SPOOL_CRC_LEN) != want) {
		*why = "checksum mismatch (a torn or damaged write)";
		return NULL;
	}
	return xstrndup(p + SPOOL_CRC_LEN, n - SPOOL_CRC_LEN);
}

/* Process-wide: the last spool write failed (errno) and since when. */
static _Atomic int storage_errno;
static _Atomic int64_t storage_fail_ms;

static void storage_note(int err)
{
	if (!err) {
		atomic_store(&storage_errno, 0);
		return;
	}
	if (atomic_exchange(&storage_errno, err) == 0)
		atomic_store(&storage_fail_ms, wd_wall_ms());
}

void db_spool_storage_ok(void)
{
	storage_note(0);
}

int db_spool_storage_error(int64_t *since_ms)
{
	int err = atomic_load(&storage_errno);
	if (err && since_ms)
		*since_ms = atomic_load(&storage_fail_ms);
	return err;
}

int db_spool_open(struct db_spool *s, const char *path, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir)) {
			snprintf(err, errlen, "cannot create spool dir %s: %s", dir, strerror(errno));
			free(dir);
			return -1;
		}
	}
	free(dir);
	s->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		snprintf(err, errlen, "cannot open spool %s: %s", path, strerror(errno));
		return -1;
	}
	s->path = xstrdup(path);
	size_t len = 0;
	char *buf = read_all(s->fd, &len);
	if (!buf) {
		snprintf(err, errlen, "cannot read spool %s: %s", path, strerror(errno));
		db_spool_close(s);
		return -1;
	}
	/* cut a torn last line so the next append starts on a fresh line */
	size_t keep = len;
	while (keep > 0 && buf[keep - 1] != '\n')
		keep--;
	if (keep != len) {
		log_warn("db", "spool %s: dropped a torn last record (%zu bytes, a write cut short)", path, len - keep);
		if (ftruncate(s->fd, (off_t)keep) || fsync(s->fd)) {
			snprintf(err, errlen, "cannot repair spool %s: %s", path, strerror(errno));
			free(buf);
			db_spool_close(s);
			return -1;
		}
	}
	for (size_t i = 0; i < keep; i++)
		s->count += buf[i] == '\n';
	free(buf);
	return 0;
}

void db_spool_close(struct db_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->path);
	s->path = NULL;
	s->count = 0;
	db_spool_lines_free(s->held, s->nheld);
	s->held = NULL;
	s->nheld = 0;
}

/* Appends one whole stored line, or nothing: a short or failed write is
 * cut back to where the file ended, so no half record stays behind to be
 * glued to the next one. 0, or -1 with errno set. */
static int write_record(struct db_spool *s, const char *line)
{
	size_t n = strlen(line);
	char *buf = xasprintf("%08lx %s\n", payload_crc(line, n), line);
	size_t len = strlen(buf);
	struct stat st;
	if (fstat(s->fd, &st)) {
		free(buf);
		return -1;
	}
	size_t off = 0;
	int err = 0;
	while (off < len) {
		ssize_t w = write(s->fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	free(buf);
	if (!err && fsync(s->fd))
		err = errno;
	if (err) {
		if (off > 0 && ftruncate(s->fd, st.st_size) == 0)
			(void)fsync(s->fd);
		errno = err;
		return -1;
	}
	return 0;
}

/* Records held in memory go to the file first, in order. */
static int write_held(struct db_spool *s)
{
	size_t i = 0;
	while (i < s->nheld && write_record(s, s->held[i]) == 0)
		i++;
	if (i == 0)
		return s->nheld ? -1 : 0;
	int err = errno;
	for (size_t k = 0; k < i; k++)
		free(s->held[k]);
	memmove(s->held, s->held + i, (s->nheld - i) * sizeof *s->held);
	s->nheld -= i;
	if (s->nheld == 0)
		log_info("db", "spool %s: records held in memory are on disk again", s->path);
	errno = err;
	return s->nheld ? -1 : 0;
}

int db_spool_append(struct db_spool *s, const char *line, bool hold)
{
	if (s->fd < 0 || strchr(line, '\n'))
		return -1;
	int rc = write_held(s) == 0 ? write_record(s, line) : -1;
	int err = rc ? errno : 0;
	storage_note(err);
	if (rc == 0) {
		s->count++;
		return 0;
	}
	if (!hold || s->nheld >= SPOOL_HOLD_MAX) {
		log_error("db", "spool %s: cannot write a record: %s%s", s->path, strerror(err),
			  hold ? " (memory hold full: record refused)" : "");
		errno = err;
		return -1;
	}
	if (s->nheld == 0)
		log_error("db", "spool %s: cannot write: %s; records are held in memory until it can", s->path,
			  strerror(err));
	s->held = xrealloc(s->held, (s->nheld + 1) * sizeof *s->held);
	s->held[s->nheld++] = xstrdup(line);
	s->count++;
	return 1;
}

int db_spool_read(struct db_spool *s, char ***lines, size_t *n)
{
	*lines = NULL;
	*n = 0;
	size_t len;
	char *buf = read_all(s->fd, &len);
	if (!buf)
		return -1;
	char **out = NULL;
	size_t cnt = 0, lineno = 0;
	char *p = buf;
	for (char *nl; (nl = memchr(p, '\n', len - (size_t)(p - buf))); p = nl + 1) {
		lineno++;
		if (nl == p)
			continue;
		const char *why = "";
		char *pl = line_payload(p, (size_t)(nl - p), &why);
		if (!pl) {
			log_error("db", "spool %s: record %zu dropped: %s", s->path, lineno, why);
			continue;
		}
		out = xrealloc(out, (cnt + s->nheld + 1) * sizeof *out);
		out[cnt++] = pl;
	}
	free(buf);
	for (size_t i = 0; i < s->nheld; i++) {
		out = xrealloc(out, (cnt + 1) * sizeof *out);
		out[cnt++] = xstrdup(s->held[i]);
	}
	*lines = out;
	*n = cnt;
	return 0;
}

int db_spool_clear(struct db_spool *s)
{
	if (s->fd < 0 || ftruncate(s->fd, 0) || fsync(s->fd))
		return -1;
	db_spool_lines_free(s->held, s->nheld);
	s->held = NULL;
	s->nheld = 0;
	s->count = 0;
	return 0;
}

void db_spool_lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* ---- format ---- */

static json_object *rec_new(const char *type, int64_t id)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "t", json_object_new_string(type));
	json_object_object_add(o, "id", json_object_new_int64(id));
	return o;
}

static void add_s(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_i(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void add_d(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void add_b(json_object *o, const char *k, bool v)
{
	json_object_object_add(o, k, json_object_new_boolean(v));
}

static char *finish(json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

char *db_spool_fmt_intent(const struct rec_action *a)
{
	json_object *o = rec_new("intent", a->id);
	add_i(o, "kind", a->kind);
	add_s(o, "account", a->account);
	add_i(o, "exchange", a->exchange);
	add_s(o, "symbol", a->symbol);
	add_i(o, "position_side", a->position_side);
	add_i(o, "pidx", a->pidx);
	add_i(o, "order_side", a->order_side);
	add_d(o, "qty", a->qty);
	add_b(o, "close_position", a->close_position);
	add_d(o, "trigger_price", a->trigger_price);
	add_s(o, "client_id", a->client_id);
	add_s(o, "order_id", a->order_id);
	add_b(o, "order_is_algo", a->order_is_algo);
	add_s(o, "finding_key", a->finding_key);
	add_s(o, "reason", a->reason);
	add_i(o, "outcome", a->outcome);
	add_s(o, "outcome_detail", a->outcome_detail);
	add_i(o, "intent_ms", a->intent_ms);
	add_i(o, "outcome_ms", a->outcome_ms);
	return finish(o);
}

char *db_spool_fmt_outcome(int64_t id, enum rec_outcome oc, const char *order_id, const char *detail, int64_t ms)
{
	json_object *o = rec_new("outcome", id);
	add_i(o, "outcome", oc);
	add_s(o, "order_id", order_id);
	add_s(o, "detail", detail);
	add_i(o, "ms", ms);
	return finish(o);
}

char *db_spool_fmt_alert(const struct alert_msg *m)
{
	json_object *o = rec_new("alert", m->id);
	add_s(o, "channel", m->channel);
	add_s(o, "key", m->key);
	add_i(o, "severity", m->severity);
	add_s(o, "subject", m->subject);
	add_s(o, "body", m->body);
	add_i(o, "attempts", m->attempts);
	add_i(o, "created_ms", m->created_ms);
	add_i(o, "next_attempt_ms", m->next_attempt_ms);
	add_i(o, "delivered_ms", m->delivered_ms);
	return finish(o);
}

char *db_spool_fmt_delivered(int64_t id, int64_t ms)
{
	json_object *o = rec_new("delivered", id);
	add_i(o, "ms", ms);
	return finish(o);
}

char *db_spool_fmt_failed(int64_t id, int64_t next_ms, const char *why, int64_t fid)
{
	json_object *o = rec_new("failed", id);
	add_i(o, "next_ms", next_ms);
	add_s(o, "why", why);
	add_i(o, "fid", fid);
	return finish(o);
}

json_object *db_spool_parse(const char *line, const char **type)
{
	json_object *o = json_tokener_parse(line);
	if (!o)
		return NULL;
	json_object *v, *t, *id;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, "v", &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1 ||
	    !json_object_object_get_ex(o, "t", &t) || !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(o, "id", &id) || !json_object_is_type(id, json_type_int) ||
	    json_object_get_int64(id) <= 0) {
		json_object_put(o);
		return NULL;
	}
	*type = json_object_get_string(t);
	return o;
}

int64_t db_spool_get_i64(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	return json_object_get_int64(v);
}

const char *db_spool_get_str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static double get_d(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static bool get_b(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

#define CPY(dst, o, k) snprintf((dst), sizeof(dst), "%s", db_spool_get_str((o), (k)))

int db_spool_get_intent(json_object *o, struct rec_action *a)
{
	json_object *acct;
	if (!json_object_object_get_ex(o, "account", &acct) || !json_object_is_type(acct, json_type_string))
		return -1;
	memset(a, 0, sizeof *a);
	a->id = db_spool_get_i64(o, "id");
	a->kind = (enum rec_action_kind)db_spool_get_i64(o, "kind");
	CPY(a->account, o, "account");
	a->exchange = (enum rec_exchange)db_spool_get_i64(o, "exchange");
	CPY(a->symbol, o, "symbol");
	a->position_side = (enum rec_side)db_spool_get_i64(o, "position_side");
	a->pidx = (enum rec_pos_idx)db_spool_get_i64(o, "pidx");
	a->order_side = (enum rec_oside)db_spool_get_i64(o, "order_side");
	a->qty = get_d(o, "qty");
	a->close_position = get_b(o, "close_position");
	a->trigger_price = get_d(o, "trigger_price");
	CPY(a->client_id, o, "client_id");
	CPY(a->order_id, o, "order_id");
	a->order_is_algo = get_b(o, "order_is_algo");
	CPY(a->finding_key, o, "finding_key");
	CPY(a->reason, o, "reason");
	a->outcome = (enum rec_outcome)db_spool_get_i64(o, "outcome");
	CPY(a->outcome_detail, o, "outcome_detail");
	a->intent_ms = db_spool_get_i64(o, "intent_ms");
	a->outcome_ms = db_spool_get_i64(o, "outcome_ms");
	return 0;
}

int db_spool_get_alert(json_object *o, struct alert_msg *m)
{
	json_object *ch;
	if (!json_object_object_get_ex(o, "channel", &ch) || !json_object_is_type(ch, json_type_string))
		return -1;
	memset(m, 0, sizeof *m);
	m->id = db_spool_get_i64(o, "id");
	CPY(m->channel, o, "channel");
	CPY(m->key, o, "key");
	m->severity = (enum rec_severity)db_spool_get_i64(o, "severity");
	CPY(m->subject, o, "subject");
	m->body = xstrdup(db_spool_get_str(o, "body"));
	m->attempts = (int)db_spool_get_i64(o, "attempts");
	m->created_ms = db_spool_get_i64(o, "created_ms");
	m->next_attempt_ms = db_spool_get_i64(o, "next_attempt_ms");
	m->delivered_ms = db_spool_get_i64(o, "delivered_ms");
	return 0;
}
