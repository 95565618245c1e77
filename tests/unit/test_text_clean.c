/* Text from an exchange, per sink: shell arguments in suggested commands,
 * terminal / log text, the suggested fix built from a hostile symbol. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/format.h"
#include "tests/support/testutil.h"
#include "base/text_clean.h"

static void test_shell_arg_quotes_everything_a_shell_would_read(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "BTCUSDT", "BTCUSDT" },
		{ "/etc/vigil/vigil.conf", "/etc/vigil/vigil.conf" },
		{ "1000PEPE-USDT", "1000PEPE-USDT" },
		{ "$(touch /tmp/pwnd)", "'$(touch /tmp/pwnd)'" },
		{ "`id`", "'`id`'" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "x;rm -rf ~", "'x;rm -rf ~'" },
		{ "EV\r\nX-Injected: yes", "'EV??X-Injected: yes'" },
		{ "\x1b[31mred", "'?[31mred'" },
		{ "a*b", "'a*b'" },
		{ "", "''" },
		{ "ÄÖ", "'ÄÖ'" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *q = tc_shell_arg(t[i].in);
		if (strcmp(q, t[i].out))
			fprintf(stderr, "case %zu: got [%s] want [%s]\n", i, q, t[i].out);
		CU_ASSERT_STRING_EQUAL(q, t[i].out);
		free(q);
	}
}

static void test_controls_are_escaped_for_terminals_and_logs(void)
{
	char b[64];
	CU_ASSERT_STRING_EQUAL(tc_controls(b, sizeof b, "a\x1b[2Jb"), "a\\x1b[2Jb");
	CU_ASSERT_STRING_EQUAL(tc_controls(b, sizeof b, "l1\r\nl2\x7f"), "l1\\x0d\\x0al2\\x7f");
	CU_ASSERT_STRING_EQUAL(tc_controls(b, sizeof b, "Bücher"), "Bücher"); /* UTF-8 kept */
	char small[8];
	tc_controls(small, sizeof small, "\x1b\x1b\x1b\x1b");
	CU_ASSERT(strlen(small) < sizeof small); /* cut, never overrun */
}

/* A symbol an exchange (or an attacker behind a proxy) sends is pasted
 * into a suggested command: it must stay one quoted argument. */
static void test_suggested_fix_quotes_a_hostile_symbol(void)
{
	struct alert_fmt_ctx ctx = { .conf_path = "/etc/vigil/my conf.conf" };
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = REC_ORPHAN_ORDER;
	snprintf(f.account, sizeof f.account, "main");
	snprintf(f.symbol, sizeof f.symbol, "$(touch /tmp/pwnd)");
	snprintf(f.order_id, sizeof f.order_id, "1;reboot");
	char *fx = alert_format_fix(&f, &ctx);
	CU_ASSERT_STRING_EQUAL(fx, "vigil repair -c '/etc/vigil/my conf.conf' --account main cancel '1;reboot'");
	free(fx);
	f.code = REC_UNPROTECTED_POSITION;
	fx = alert_format_fix(&f, &ctx);
	CU_ASSERT_PTR_NOT_NULL(strstr(fx, " sl '$(touch /tmp/pwnd)' --percent 2"));
	free(fx);
}

void test_text_clean_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_shell_arg_quotes_everything_a_shell_would_read",
		  test_shell_arg_quotes_everything_a_shell_would_read },
		{ "test_controls_are_escaped_for_terminals_and_logs",
		  test_controls_are_escaped_for_terminals_and_logs },
		{ "test_suggested_fix_quotes_a_hostile_symbol", test_suggested_fix_quotes_a_hostile_symbol },
		{ NULL, NULL },
	};
	tu_add_suite("text_clean", tests);
}
