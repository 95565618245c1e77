/* Pure parts of the sql/ layer: spool file and record format, migration
 * names, identifiers, bot column parsing, HA lock keys. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sql/db_bot.h"
#include "sql/db_conn.h"
#include "sql/db_ha.h"
#include "sql/db_migrate.h"
#include "sql/db_spool.h"
#include "tests/support/testutil.h"
#include "base/xalloc.h"

static char *tmp_path(void)
{
	char tmpl[] = "/tmp/vigil-spool.XXXXXX";
	char *d = mkdtemp(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return xasprintf("%s/sub/journal.spool", d);
}

static void rm_path(char *p)
{
	unlink(p);
	char *rej = xasprintf("%s.rejected", p);
	unlink(rej);
	free(rej);
	char *s = strrchr(p, '/');
	*s = '\0';
	rmdir(p);
	s = strrchr(p, '/');
	*s = '\0';
	rmdir(p);
	free(p);
}

static void test_db_spool_intent_roundtrips_every_field(void)
{
	struct rec_action a = { 0 }, b;
	a.id = 123456789012345LL;
	a.kind = REC_ACT_CLOSE_POSITION;
	snprintf(a.account, sizeof a.account, "main'; DROP TABLE x; --");
	a.exchange = REC_EX_BYBIT;
	snprintf(a.symbol, sizeof a.symbol, "SKLUSDT");
	a.position_side = REC_SIDE_SHORT;
	a.pidx = REC_PIDX_SHORT;
	a.order_side = REC_BUY;
	a.qty = 308.5;
	a.close_position = true;
	a.trigger_price = 0.0231;
	snprintf(a.client_id, sizeof a.client_id, "vgl-abc");
	snprintf(a.order_id, sizeof a.order_id, "42");
	a.order_is_algo = true;
	snprintf(a.finding_key, sizeof a.finding_key, "main:bybit:SKLUSDT:ORPHAN_POSITION");
	snprintf(a.reason, sizeof a.reason, "line1\nline2 \"quoted\"");
	a.intent_ms = 1700000000123LL;
	char *line = db_spool_fmt_intent(&a);
	CU_ASSERT_PTR_NULL(strchr(line, '\n'));
	const char *type = NULL;
	json_object *o = db_spool_parse(line, &type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(type, "intent");
	CU_ASSERT_EQUAL(db_spool_get_intent(o, &b), 0);
	CU_ASSERT_EQUAL(b.id, a.id);
	CU_ASSERT_EQUAL(b.kind, a.kind);
	CU_ASSERT_STRING_EQUAL(b.account, a.account);
	CU_ASSERT_EQUAL(b.exchange, a.exchange);
	CU_ASSERT_EQUAL(b.position_side, a.position_side);
	CU_ASSERT_EQUAL(b.pidx, a.pidx);
	CU_ASSERT_EQUAL(b.order_side, a.order_side);
	CU_ASSERT_DOUBLE_EQUAL(b.qty, 308.5, 1e-12);
	CU_ASSERT_TRUE(b.close_position);
	CU_ASSERT_DOUBLE_EQUAL(b.trigger_price, 0.0231, 1e-12);
	CU_ASSERT_STRING_EQUAL(b.client_id, "vgl-abc");
	CU_ASSERT_TRUE(b.order_is_algo);
	CU_ASSERT_STRING_EQUAL(b.reason, a.reason);
	CU_ASSERT_EQUAL(b.intent_ms, a.intent_ms);
	json_object_put(o);
	free(line);
}

static void test_db_spool_alert_roundtrips_body_with_newlines(void)
{
	struct alert_msg m = { 0 }, r;
	m.id = 77;
	snprintf(m.channel, sizeof m.channel, "telegram");
	snprintf(m.key, sizeof m.key, "main:binance:BTCUSDT:UNPROTECTED_POSITION");
	m.severity = REC_SEV_CRITICAL;
	snprintf(m.subject, sizeof m.subject, "no stop");
	m.body = xstrdup("first line\nsecond line\ttab \\ backslash");
	m.created_ms = 1000;
	m.next_attempt_ms = 2000;
	char *line = db_spool_fmt_alert(&m);
	CU_ASSERT_PTR_NULL(strchr(line, '\n'));
	const char *type;
	json_object *o = db_spool_parse(line, &type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_STRING_EQUAL(type, "alert");
	CU_ASSERT_EQUAL(db_spool_get_alert(o, &r), 0);
	CU_ASSERT_STRING_EQUAL(r.body, m.body);
	CU_ASSERT_STRING_EQUAL(r.channel, "telegram");
	CU_ASSERT_EQUAL(r.severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(r.next_attempt_ms, 2000);
	free(r.body);
	free(m.body);
	json_object_put(o);
	free(line);
}

static void test_db_spool_parse_rejects_malformed_records(void)
{
	const char *bad[] = { "",
			      "{",
			      "[]",
			      "{\"v\":2,\"t\":\"intent\",\"id\":1}",
			      "{\"v\":1,\"id\":1}",
			      "{\"v\":1,\"t\":\"alert\"}",
			      "{\"v\":1,\"t\":\"alert\",\"id\":0}",
			      "{\"v\":1,\"t\":\"alert\",\"id\":\"5\"}",
			      "not json at all" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *type = NULL;
		json_object *o = db_spool_parse(bad[i], &type);
		CU_ASSERT_PTR_NULL(o);
		if (o)
			json_object_put(o);
	}
	/* a record without its required field cannot be read as that type */
	const char *type;
	json_object *o = db_spool_parse("{\"v\":1,\"t\":\"intent\",\"id\":3}", &type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct rec_action a;
	CU_ASSERT_EQUAL(db_spool_get_intent(o, &a), -1);
	struct alert_msg m;
	CU_ASSERT_EQUAL(db_spool_get_alert(o, &m), -1);
	json_object_put(o);
}

static void test_db_spool_append_read_clear_keeps_order(void)
{
	char *p = tmp_path();
	struct db_spool s;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(s.count, 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":1}", false), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":2}", false), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "bad\nline", false), -1); /* never two lines */
	CU_ASSERT_EQUAL(s.count, 2);
	struct stat st;
	CU_ASSERT_EQUAL(stat(p, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	db_spool_close(&s);
	/* reopen: the count survives */
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(s.count, 2);
	char **lines;
	size_t n;
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(lines[0], "{\"a\":1}");
	CU_ASSERT_STRING_EQUAL(lines[1], "{\"a\":2}");
	db_spool_lines_free(lines, n);
	CU_ASSERT_EQUAL(db_spool_clear(&s), 0);
	CU_ASSERT_EQUAL(s.count, 0);
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	db_spool_lines_free(lines, n);
	db_spool_close(&s);
	rm_path(p);
}

static void test_db_spool_torn_last_line_is_cut_on_open(void)
{
	char *p = tmp_path();
	struct db_spool s;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":1}", false), 0);
	db_spool_close(&s);
	int fd = open(p, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "{\"a\":2, \"tor", 12), 12); /* crash mid-write */
	close(fd);
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(s.count, 1);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":3}", false), 0);
	char **lines;
	size_t n;
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(lines[1], "{\"a\":3}");
	db_spool_lines_free(lines, n);
	db_spool_close(&s);
	rm_path(p);
}

static off_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* A full disk (here a file-size limit: the write stops short, then EFBIG):
 * the half-written record is cut back off, an alert-like record waits in
 * memory, an intent is refused, and when space returns everything is on
 * disk in the order it was accepted; nothing glued, nothing lost. */
static void test_db_spool_full_disk_cuts_half_records_and_holds_the_rest_in_order(void)
{
	char *p = tmp_path();
	struct db_spool s;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":1}", false), 0);
	off_t before = file_size(p);
	struct rlimit old, lim;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 5; /* room for 5 bytes of the next record */
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":2}", true), 1); /* held */
	CU_ASSERT_EQUAL(file_size(p), before);                      /* the 5 bytes were cut */
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"intent\":1}", false), -1);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":3}", true), 1);
	int64_t since = 0;
	CU_ASSERT_EQUAL(db_spool_storage_error(&since), EFBIG);
	CU_ASSERT(since > 0);
	CU_ASSERT_EQUAL(s.count, 3);
	char **lines;
	size_t n;
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0); /* held ones are read too */
	CU_ASSERT_EQUAL(n, 3);
	db_spool_lines_free(lines, n);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":4}", true), 0);
	CU_ASSERT_EQUAL(db_spool_storage_error(NULL), 0);
	CU_ASSERT_EQUAL(s.nheld, 0);
	db_spool_close(&s);
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(s.count, 4);
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	for (size_t i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof want, "{\"a\":%zu}", i + 1);
		CU_ASSERT_STRING_EQUAL(lines[i], want);
	}
	db_spool_lines_free(lines, n);
	db_spool_close(&s);
	rm_path(p);
}

/* A line damaged on disk (here: the start of a torn record glued to a
 * whole one, as an old vigil could leave) fails its checksum and is
 * dropped, never replayed as a merged record. */
static void test_db_spool_glued_or_damaged_line_is_dropped_by_its_checksum(void)
{
	char *p = tmp_path();
	struct db_spool s;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":1}", false), 0);
	db_spool_close(&s);
	int fd = open(p, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	const char *bad = "0badc0de {\"a\":2}\n1234abcd {\"a\":{\"a\":3}\n";
	CU_ASSERT_EQUAL(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	CU_ASSERT_EQUAL_FATAL(db_spool_open(&s, p, err, sizeof err), 0);
	CU_ASSERT_EQUAL(db_spool_append(&s, "{\"a\":4}", false), 0);
	char **lines;
	size_t n;
	CU_ASSERT_EQUAL(db_spool_read(&s, &lines, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(lines[0], "{\"a\":1}");
	CU_ASSERT_STRING_EQUAL(lines[1], "{\"a\":4}");
	db_spool_lines_free(lines, n);
	db_spool_close(&s);
	rm_path(p);
}

static void test_db_spool_open_fails_on_unwritable_dir(void)
{
	struct db_spool s;
	char err[256] = "";
	CU_ASSERT_EQUAL(db_spool_open(&s, "/proc/vigil-no/x.spool", err, sizeof err), -1);
	CU_ASSERT_NOT_EQUAL(err[0], '\0');
}

static void test_db_migrate_names_need_three_digits_and_sql(void)
{
	int v = 0;
	CU_ASSERT_EQUAL(db_migrate_parse_name("001_init.sql", &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("012_add-col.sql", &v), 0);
	CU_ASSERT_EQUAL(v, 12);
	CU_ASSERT_EQUAL(db_migrate_parse_name("000_zero.sql", &v), -1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("01_short.sql", &v), -1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("001_init.sql~", &v), -1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("sample_bot_schema.sql", &v), -1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("001_a b.sql", &v), -1);
	CU_ASSERT_EQUAL(db_migrate_parse_name("001_.sql", &v), -1);
}

static void test_db_ident_accepts_only_plain_lowercase_names(void)
{
	CU_ASSERT_TRUE(db_ident_ok("vigil"));
	CU_ASSERT_TRUE(db_ident_ok("_v2"));
	CU_ASSERT_FALSE(db_ident_ok(""));
	CU_ASSERT_FALSE(db_ident_ok("2vigil"));
	CU_ASSERT_FALSE(db_ident_ok("Vigil"));
	CU_ASSERT_FALSE(db_ident_ok("vigil\"; DROP SCHEMA public CASCADE; --"));
	CU_ASSERT_FALSE(db_ident_ok("a.b"));
	CU_ASSERT_FALSE(db_ident_ok("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd"));
	struct db_params p = { 0 };
	snprintf(p.schema, sizeof p.schema, "x\"; DROP TABLE t; --");
	struct db_err e = { 0 };
	CU_ASSERT_PTR_NULL(db_conn_new(&p, &e));
	CU_ASSERT_EQUAL(e.code, DB_ECONFIG);
}

static void test_db_bot_side_and_time_parsing(void)
{
	CU_ASSERT_EQUAL(db_bot_parse_side("long"), REC_SIDE_LONG);
	CU_ASSERT_EQUAL(db_bot_parse_side("BUY"), REC_SIDE_LONG);
	CU_ASSERT_EQUAL(db_bot_parse_side("Short"), REC_SIDE_SHORT);
	CU_ASSERT_EQUAL(db_bot_parse_side("sell"), REC_SIDE_SHORT);
	CU_ASSERT_EQUAL(db_bot_parse_side(""), REC_SIDE_UNKNOWN);
	CU_ASSERT_EQUAL(db_bot_parse_side("None"), REC_SIDE_UNKNOWN);
	CU_ASSERT_EQUAL(db_bot_parse_time_ms("2025-10-20 10:00:00+00"), 1760954400000LL);
	CU_ASSERT_EQUAL(db_bot_parse_time_ms("2025-10-20 10:00:00.25+00"), 1760954400250LL);
	CU_ASSERT_EQUAL(db_bot_parse_time_ms("2025-10-20 12:00:00+02"), 1760954400000LL);
	CU_ASSERT_EQUAL(db_bot_parse_time_ms("2025-10-20 10:00:00"), 1760954400000LL);
	CU_ASSERT_EQUAL(db_bot_parse_time_ms("yesterday"), 0);
}

static void test_db_ha_keys_are_stable_and_differ_per_account(void)
{
	int32_t a1, a2, b1, b2, c1, c2;
	db_ha_keys("main", &a1, &a2);
	db_ha_keys("main", &b1, &b2);
	db_ha_keys("by1", &c1, &c2);
	CU_ASSERT_EQUAL(a1, b1);
	CU_ASSERT_EQUAL(a2, b2);
	CU_ASSERT_NOT_EQUAL(a2, c2);
	/* FNV-1a of "main", pinned: changing it would split a running HA pair */
	CU_ASSERT_EQUAL((uint32_t)a2, 0xea90e208u);
}

static void test_db_new_id_is_positive_and_unique(void)
{
	int64_t prev = 0;
	for (int i = 0; i < 1000; i++) {
		int64_t id = db_new_id();
		CU_ASSERT_TRUE(id > 0);
		CU_ASSERT_NOT_EQUAL(id, prev);
		prev = id;
	}
}

void test_db_spool_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_db_spool_intent_roundtrips_every_field", test_db_spool_intent_roundtrips_every_field },
		{ "test_db_spool_alert_roundtrips_body_with_newlines",
		  test_db_spool_alert_roundtrips_body_with_newlines },
		{ "test_db_spool_parse_rejects_malformed_records", test_db_spool_parse_rejects_malformed_records },
		{ "test_db_spool_append_read_clear_keeps_order", test_db_spool_append_read_clear_keeps_order },
		{ "test_db_spool_torn_last_line_is_cut_on_open", test_db_spool_torn_last_line_is_cut_on_open },
		{ "test_db_spool_open_fails_on_unwritable_dir", test_db_spool_open_fails_on_unwritable_dir },
		{ "test_db_spool_full_disk_cuts_half_records_and_holds_the_rest_in_order",
		  test_db_spool_full_disk_cuts_half_records_and_holds_the_rest_in_order },
		{ "test_db_spool_glued_or_damaged_line_is_dropped_by_its_checksum",
		  test_db_spool_glued_or_damaged_line_is_dropped_by_its_checksum },
		{ "test_db_migrate_names_need_three_digits_and_sql", test_db_migrate_names_need_three_digits_and_sql },
		{ "test_db_ident_accepts_only_plain_lowercase_names",
		  test_db_ident_accepts_only_plain_lowercase_names },
		{ "test_db_bot_side_and_time_parsing", test_db_bot_side_and_time_parsing },
		{ "test_db_ha_keys_are_stable_and_differ_per_account",
		  test_db_ha_keys_are_stable_and_differ_per_account },
		{ "test_db_new_id_is_positive_and_unique", test_db_new_id_is_positive_and_unique },
		{ NULL, NULL },
	};
	tu_add_suite("db_spool", tests);
}
