/* The text cleaners (base/text_clean.h), each over a table of hostile
 * inputs: what comes out must be safe for its sink and keep ordinary text,
 * UTF-8 included, as it was. */
#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alerts/ch_int.h"
#include "alerts/channel.h"
#include "alerts/format.h"
#include "base/text_clean.h"
#include "tests/support/testutil.h"
#include "watchdog/audit.h"

struct pair {
	const char *in, *want;
};

static void test_tc_line_escapes_controls_and_keeps_utf8(void)
{
	static const struct pair t[] = {
		{ "BTCUSDT", "BTCUSDT" },
		{ "a\r\nb", "a\\r\\nb" },
		{ "\x1b[31mred", "\\x1b[31mred" },
		{ "tab\there", "tab\\there" },
		{ "del\x7f!", "del\\x7f!" },
		{ "bell\a", "bell\\x07" },
		{ "$(touch /tmp/x) `id` a'b", "$(touch /tmp/x) `id` a'b" }, /* harmless on a terminal */
		{ "\xe5\xb8\x81\xe5\xae\x89USDT", "\xe5\xb8\x81\xe5\xae\x89USDT" },
		{ "c1:\xc2\x9b"
		  "31m",
		  "c1:\\xc2\\x9b31m" },                      /* 8-bit CSI as UTF-8 */
		{ "bad\xff\xc0\xaf", "bad\\xff\\xc0\\xaf" }, /* not UTF-8, overlong '/' */
		{ "cut\xe5\xb8", "cut\\xe5\\xb8" },
		{ "rlo\xe2\x80\xae"
		  "cod",
		  "rlo\\u202ecod" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char out[128];
		size_t n = tc_line(t[i].in, out, sizeof out);
		CU_ASSERT_STRING_EQUAL(out, t[i].want);
		CU_ASSERT_EQUAL(n, strlen(t[i].want));
		char *d = tc_line_dup(t[i].in);
		CU_ASSERT_STRING_EQUAL(d, t[i].want);
		free(d);
	}
}

static void test_tc_line_truncates_without_cutting_an_escape(void)
{
	char out[6];
	tc_line("ab\x1b[31m", out, sizeof out); /* "ab\x1b" needs 7 */
	CU_ASSERT_STRING_EQUAL(out, "ab");
	tc_line("\xe5\xb8\x81\xe5\xae\x89", out, sizeof out); /* two 3-byte chars need 7 */
	CU_ASSERT_STRING_EQUAL(out, "\xe5\xb8\x81");
	char one[1] = { 'x' };
	CU_ASSERT_EQUAL(tc_line("abc", one, 1), 0);
	CU_ASSERT_EQUAL(one[0], '\0');
	char *worst = malloc(1001);
	memset(worst, '\x01', 1000);
	worst[1000] = '\0';
	char *d = tc_line_dup(worst); /* 4x growth fits */
	CU_ASSERT_EQUAL(strlen(d), 4000);
	free(d);
	free(worst);
}

static void test_tc_text_replaces_controls_and_keeps_only_own_newlines(void)
{
	static const struct pair one_line[] = {
		{ "EV\r\nX-Injected: yes", "EV\xef\xbf\xbd\xef\xbf\xbdX-Injected: yes" },
		{ "\x1b[31m", "\xef\xbf\xbd[31m" },
		{ "x\x7fy", "x\xef\xbf\xbdy" },
		{ "bad\xff", "bad\xef\xbf\xbd" },
		{ "\xe5\xb8\x81 <b>&", "\xe5\xb8\x81 <b>&" }, /* markup is the channel's escaping */
	};
	for (size_t i = 0; i < sizeof one_line / sizeof one_line[0]; i++) {
		char *o = tc_text(one_line[i].in, false);
		CU_ASSERT_STRING_EQUAL(o, one_line[i].want);
		free(o);
	}
	char *o = tc_text("line1\nline2\r\n\x1b", true);
	CU_ASSERT_STRING_EQUAL(o, "line1\nline2\xef\xbf\xbd\n\xef\xbf\xbd");
	free(o);
	o = tc_text("detail\nfirst seen: 2020-01-01 00:00:00 UTC", false);
	CU_ASSERT_PTR_NULL(strchr(o, '\n'));
	free(o);
	char small[8];
	tc_text_to("ab\x1b\x1b", small, sizeof small, false); /* second U+FFFD does not fit */
	CU_ASSERT_STRING_EQUAL(small, "ab\xef\xbf\xbd");
}

/* Every line of a header block: ends CRLF, no bare CR/LF, no control, at
 * most 78 + a little, continuation lines start with a space. */
static void assert_header_shape(const char *h)
{
	CU_ASSERT_FATAL(strlen(h) >= 2);
	CU_ASSERT_STRING_EQUAL(h + strlen(h) - 2, "\r\n");
	const char *p = h;
	int line = 0;
	while (*p) {
		const char *e = strstr(p, "\r\n");
		CU_ASSERT_PTR_NOT_NULL_FATAL(e);
		CU_ASSERT((size_t)(e - p) <= 998);
		for (const char *q = p; q < e; q++)
			CU_ASSERT((unsigned char)*q >= 0x20 && *q != 0x7f);
		if (line++)
			CU_ASSERT(*p == ' ');
		p = e + 2;
	}
}

static void test_tc_header_never_breaks_the_header_block(void)
{
	char *h = tc_header("X-Vigil-Key", "main:binance:EV\r\nX-Injected: yes:ORPHAN_POSITION");
	assert_header_shape(h);
	CU_ASSERT_STRING_EQUAL(h, "X-Vigil-Key: main:binance:EV  X-Injected: yes:ORPHAN_POSITION\r\n");
	free(h);
	h = tc_header("Subject", "a\x1b[31m\x7f\t \r\n");
	CU_ASSERT_STRING_EQUAL(h, "Subject: a [31m\r\n"); /* trailing blanks go */
	free(h);
	h = tc_header("Subject", "");
	CU_ASSERT_STRING_EQUAL(h, "Subject: \r\n");
	free(h);
}

static void test_tc_header_folds_long_ascii_at_spaces(void)
{
	char v[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(v, "word1234 ");
	char *h = tc_header("Subject", v);
	assert_header_shape(h);
	const char *p = h;
	while (*p) {
		const char *e = strstr(p, "\r\n");
		CU_ASSERT((size_t)(e - p) <= 78);
		p = e + 2;
	}
	CU_ASSERT(strstr(h, "\r\n word1234") != NULL);
	free(h);
	/* one word longer than the cap is cut, so no line passes 998 */
	char *big = malloc(5000);
	memset(big, 'A', 4999);
	big[4999] = '\0';
	h = tc_header("X-Vigil-Key", big);
	assert_header_shape(h);
	CU_ASSERT_EQUAL(strlen(h), strlen("X-Vigil-Key: ") + TC_HDR_VALUE_MAX + 2);
	free(h);
	free(big);
}

static void test_tc_header_writes_utf8_as_rfc2047_words(void)
{
	char *h = tc_header("Subject", "[vigil] CRITICAL \xe5\xb8\x81\xe5\xae\x89USDT ORPHAN");
	assert_header_shape(h);
	/* "[vigil] CRITICAL " = 17 bytes + 6 + "USDT ORPHAN" = 34 bytes: one word */
	CU_ASSERT_STRING_EQUAL(h, "Subject: =?UTF-8?B?W3ZpZ2lsXSBDUklUSUNBTCDluIHlrolVU0RUIE9SUEhBTg==?=\r\n");
	free(h);
	char v[200] = "";
	for (int i = 0; i < 30; i++)
		strcat(v, "\xe5\xb8\x81"); /* 90 bytes: 3 words of whole characters */
	h = tc_header("Subject", v);
	assert_header_shape(h);
	CU_ASSERT_STRING_EQUAL(h, "Subject: =?UTF-8?B?5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB?=\r\n"
				  " =?UTF-8?B?5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB5biB?=\r\n"
				  " =?UTF-8?B?5biB5biB5biB5biB5biB5biB?=\r\n");
	free(h);
	h = tc_header("Subject", "bad\xff\r\nX: y"); /* ill-formed -> U+FFFD, encoded */
	assert_header_shape(h);
	CU_ASSERT_PTR_NULL(strstr(h, "X: y"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "=?UTF-8?B?"));
	free(h);
}

static void test_tc_shell_quote_makes_every_argument_inert(void)
{
	static const struct pair t[] = {
		{ "BTCUSDT", "BTCUSDT" },
		{ "/etc/vigil/vigil.conf", "/etc/vigil/vigil.conf" },
		{ "1000PEPE-USDT_2:x=y.z", "1000PEPE-USDT_2:x=y.z" },
		{ "$(touch /tmp/x)", "'$(touch /tmp/x)'" },
		{ "`id`", "'`id`'" },
		{ "a'b", "'a'\\''b'" },
		{ "it's", "'it'\\''s'" },
		{ "a;b|c&d>e", "'a;b|c&d>e'" },
		{ "two words", "'two words'" },
		{ "", "''" },
		{ "EV\r\nX", "'EV??X'" },
		{ "\x1b[31m\x7f", "'?[31m?'" },
		{ "\xe5\xb8\x81USDT", "'\xe5\xb8\x81USDT'" },
		{ "bad\xff", "'bad?'" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *q = tc_shell_quote(t[i].in);
		CU_ASSERT_STRING_EQUAL(q, t[i].want);
		free(q);
	}
}

/* The proof that matters: sh given "printf %s QUOTED" prints the argument
 * back and runs nothing (no file appears). */
static void test_tc_shell_quote_round_trips_through_sh(void)
{
	char dir[] = "/tmp/vigil-tc-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char hostile[256];
	snprintf(hostile, sizeof hostile, "x$(touch %s/pwnd)`touch %s/pwnd2`'; touch %s/pwnd3; '\"$HOME\\", dir, dir,
		 dir);
	char *q = tc_shell_quote(hostile);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "printf %%s %s", q);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	char got[512] = "";
	size_t n = fread(got, 1, sizeof got - 1, p);
	got[n] = '\0';
	pclose(p);
	CU_ASSERT_STRING_EQUAL(got, hostile);
	char f[300];
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s/pwnd%s", dir, i == 0 ? "" : i == 1 ? "2" : "3");
		CU_ASSERT_EQUAL(access(f, F_OK), -1);
		unlink(f);
	}
	rmdir(dir);
	free(q);
}

/* ---- through the real sinks ---- */

static struct rec_finding hostile(enum rec_code code, const char *sym, const char *oid, const char *detail)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = code;
	f.severity = REC_SEV_CRITICAL;
	snprintf(f.account, sizeof f.account, "main");
	f.exchange = REC_EX_BINANCE;
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	snprintf(f.order_id, sizeof f.order_id, "%s", oid);
	snprintf(f.detail, sizeof f.detail, "%s", detail);
	rec_finding_make_key(&f);
	f.first_seen_ms = 1767225600000LL;
	f.last_seen_ms = 1767225660000LL;
	f.repairable = true;
	return f;
}

/* Runs a script in sh (cwd dir) with vigil() printing its arguments one a
 * line in brackets; returns what it printed (malloc'd). */
static char *run_fix(const char *dir, const char *cmds)
{
	char script[300];
	snprintf(script, sizeof script, "%s/fix.sh", dir);
	FILE *f = fopen(script, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "vigil() { printf '[%%s]\\n' \"$@\"; }\n%s\n", cmds);
	fclose(f);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "cd %s && sh fix.sh 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	char *out = calloc(1, 8192);
	size_t n = fread(out, 1, 8191, p);
	out[n] = '\0';
	pclose(p);
	unlink(script);
	return out;
}

/* The command part of each line that holds one: from "vigil " up to a
 * ")" or "   (" that closes the surrounding prose. */
static void command_lines(char *fix, char *cmds, size_t cap)
{
	cmds[0] = '\0';
	for (char *line = strtok(fix, "\n"); line; line = strtok(NULL, "\n")) {
		char *v = strstr(line, "vigil ");
		if (!v)
			continue;
		size_t n = strlen(v);
		char *e = strstr(v, "   (");
		if (e)
			n = (size_t)(e - v);
		else if (!strncmp(line, "(or", 3))
			n = strlen(v) - 1; /* the closing ")" */
		size_t l = strlen(cmds);
		snprintf(cmds + l, cap - l, "%.*s\n", (int)n, v);
		char *eg = e ? strstr(e, "e.g. vigil ") : NULL; /* "(check, then e.g. CMD)" */
		if (eg) {
			l = strlen(cmds);
			snprintf(cmds + l, cap - l, "%.*s\n", (int)strlen(eg + 5) - 1, eg + 5);
		}
	}
}

static void test_fix_command_with_hostile_symbol_and_order_id_runs_nothing(void)
{
	char dir[] = "/tmp/vigil-fix-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	const char *sym = "X$(touch p)`touch q`'";
	const char *oid = "1;touch r #";
	struct alert_fmt_ctx ctx = { .conf_path = "/etc/vigil/my vigil.conf", .stop_percent = 2 };
	enum rec_code codes[] = { REC_ORPHAN_POSITION, REC_WRONG_SIDE_STOP, REC_UNPROTECTED_POSITION,
				  REC_SIZE_MISMATCH };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		struct rec_finding f = hostile(codes[i], sym, oid, "");
		char *fix = alert_format_fix(&f, &ctx);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fix);
		CU_ASSERT_PTR_NOT_NULL(strstr(fix, "'X$(touch p)`touch q`'\\''"
						   "'"));
		char cmds[2048];
		command_lines(fix, cmds, sizeof cmds);
		CU_ASSERT(strlen(cmds) > 0);
		char *out = run_fix(dir, cmds);
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "[/etc/vigil/my vigil.conf]\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(out, "[X$(touch p)`touch q`']\n"));
		if (codes[i] == REC_WRONG_SIDE_STOP)
			CU_ASSERT_PTR_NOT_NULL(strstr(out, "[1;touch r #]\n"));
		free(out);
		free(fix);
	}
	char path[300];
	const char *files[] = { "p", "q", "r" };
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		CU_ASSERT_EQUAL(access(path, F_OK), -1); /* nothing ran */
		unlink(path);
	}
	rmdir(dir);
}

static void test_body_detail_cannot_add_lines_or_controls(void)
{
	struct rec_finding f = hostile(REC_ORPHAN_ORDER, "EV\r\nX-Injected: yes", "9\x1b[2J",
				       "ok\nfirst seen: 2001-01-01 00:00:00 UTC\nfix:\nrm -rf /");
	struct alert_fmt_ctx ctx = { .action = "rejected: \x1b[31mbad\nvigil did: all fine" };
	char *b = alert_format_body(&f, ALERT_FIRING, &ctx);
	size_t first_seen = 0, fix = 0;
	for (const char *p = b; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		first_seen += !strncmp(p, "first seen:", 11);
		fix += !strncmp(p, "fix:", 4);
		CU_ASSERT(strncmp(p, "rm -rf", 6) != 0);
		CU_ASSERT(strncmp(p, "X-Injected", 10) != 0);
		CU_ASSERT(strncmp(p, "vigil did: all fine", 19) != 0);
	}
	CU_ASSERT_EQUAL(first_seen, 1);
	CU_ASSERT_EQUAL(fix, 1);
	for (const char *p = b; *p; p++)
		CU_ASSERT(*p == '\n' || (unsigned char)*p >= 0x20);
	free(b);
}

static void test_telegram_text_has_no_controls_and_is_html_escaped(void)
{
	char **parts = NULL;
	size_t n = 0;
	alert_tg_build("[vigil] <b>EV\r\n\x1b[31m", "sym: a<i>&\x1b[31m\r\nnext\x7f", 4096, &parts, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(parts[0], "<b>[vigil] &lt;b&gt;EV"));
	CU_ASSERT_PTR_NOT_NULL(strstr(parts[0], "sym: a&lt;i&gt;&amp;\xef\xbf\xbd[31m\xef\xbf\xbd\nnext"));
	for (const char *p = parts[0]; *p; p++)
		CU_ASSERT(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
	alert_tg_parts_free(parts, n);
}

/* true when a line of the header block starts with name */
static bool header_line(const char *mail, const char *name)
{
	const char *end = strstr(mail, "\r\n\r\n");
	for (const char *p = mail; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (!strncasecmp(p, name, strlen(name)))
			return true;
	return false;
}

static void test_smtp_mail_with_hostile_symbol_adds_no_header(void)
{
	struct alert_smtp_params p = { .url = "smtp://127.0.0.1:2525",
				       .from = "vigil <v@example.test>",
				       .to = "ops@example.test" };
	char err[200];
	struct alert_channel *ch = alert_ch_smtp_new(&p, err, sizeof err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
	const char *syms[] = { "EV\r\nX-Injected: yes", "EV\nX-Injected: yes", "EV\rX-Injected: yes",
			       "\xe5\xb8\x81\r\nX-Injected: yes" };
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		struct rec_finding f = hostile(REC_ORPHAN_POSITION, syms[i], "", "d\r\nX-Injected: body");
		struct alert_msg m;
		memset(&m, 0, sizeof m);
		m.id = 1;
		snprintf(m.key, sizeof m.key, "%s", f.key);
		snprintf(m.subject, sizeof m.subject, "[vigil] CRITICAL %s", f.symbol); /* raw, as a caller might */
		m.body = alert_format_body(&f, ALERT_FIRING, NULL);
		char *mail = alert_smtp_format(ch, &m, 1767225700000LL);
		CU_ASSERT_FALSE(header_line(mail, "X-Injected"));
		CU_ASSERT_TRUE(header_line(mail, "X-Vigil-Key: "));
		/* every CR is followed by LF and every LF preceded by CR; no other control */
		for (const char *q = mail; *q; q++) {
			bool ok = *q == '\r'   ? q[1] == '\n'
				  : *q == '\n' ? q > mail && q[-1] == '\r'
					       : (unsigned char)*q >= 0x20 && *q != 0x7f;
			CU_ASSERT(ok);
		}
		/* no body line starts like a header either */
		CU_ASSERT_PTR_NULL(strstr(mail, "\r\nX-Injected"));
		free(mail);
		free(m.body);
	}
	ch->destroy(ch);
}

static void test_findings_table_shows_exchange_text_escaped_on_one_line(void)
{
	struct rec_finding f = hostile(REC_ORPHAN_ORDER, "\x1b[31mEV\r", "1", "a\nb\x1b]0;t\x07");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	wd_findings_print_table(m, &f, 1, true);
	fclose(m);
	size_t lines = 0;
	for (const char *p = buf; *p; p++) {
		lines += *p == '\n';
		CU_ASSERT(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
	}
	CU_ASSERT_EQUAL(lines, 2); /* the heading and the one finding */
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\\x1b[31mEV\\r"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "a\\nb\\x1b]0;t\\x07\n"));
	free(buf);
}

void test_text_clean_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_tc_line_escapes_controls_and_keeps_utf8", test_tc_line_escapes_controls_and_keeps_utf8 },
		{ "test_tc_line_truncates_without_cutting_an_escape",
		  test_tc_line_truncates_without_cutting_an_escape },
		{ "test_tc_text_replaces_controls_and_keeps_only_own_newlines",
		  test_tc_text_replaces_controls_and_keeps_only_own_newlines },
		{ "test_tc_header_never_breaks_the_header_block", test_tc_header_never_breaks_the_header_block },
		{ "test_tc_header_folds_long_ascii_at_spaces", test_tc_header_folds_long_ascii_at_spaces },
		{ "test_tc_header_writes_utf8_as_rfc2047_words", test_tc_header_writes_utf8_as_rfc2047_words },
		{ "test_tc_shell_quote_makes_every_argument_inert", test_tc_shell_quote_makes_every_argument_inert },
		{ "test_tc_shell_quote_round_trips_through_sh", test_tc_shell_quote_round_trips_through_sh },
		{ NULL, NULL },
	};
	tu_add_suite("text_clean", tests);
	static const struct tu_test sinks[] = {
		{ "test_fix_command_with_hostile_symbol_and_order_id_runs_nothing",
		  test_fix_command_with_hostile_symbol_and_order_id_runs_nothing },
		{ "test_body_detail_cannot_add_lines_or_controls", test_body_detail_cannot_add_lines_or_controls },
		{ "test_telegram_text_has_no_controls_and_is_html_escaped",
		  test_telegram_text_has_no_controls_and_is_html_escaped },
		{ "test_smtp_mail_with_hostile_symbol_adds_no_header",
		  test_smtp_mail_with_hostile_symbol_adds_no_header },
		{ "test_findings_table_shows_exchange_text_escaped_on_one_line",
		  test_findings_table_shows_exchange_text_escaped_on_one_line },
		{ NULL, NULL },
	};
	tu_add_suite("text_clean_sinks", sinks);
}
