/* The text cleaners (base/text_clean.h), each over a table of hostile
 * inputs: what comes out must be safe for its sink and keep ordinary text,
 * UTF-8 included, as it was. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/text_clean.h"
#include "tests/support/testutil.h"

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
		{ "c1:\xc2\x9b" "31m", "c1:\\xc2\\x9b31m" },   /* 8-bit CSI as UTF-8 */
		{ "bad\xff\xc0\xaf", "bad\\xff\\xc0\\xaf" }, /* not UTF-8, overlong '/' */
		{ "cut\xe5\xb8", "cut\\xe5\\xb8" },
		{ "rlo\xe2\x80\xae" "cod", "rlo\\u202ecod" },
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
}
