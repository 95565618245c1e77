#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testutil.h"
#include "base/log.h"

static char *capture_log(void (*fn)(void))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int old = log_verbosity;
	log_set_stream(f);
	log_set_level(LOG_LVL_DEBUG);
	fn();
	log_set_stream(NULL);
	log_verbosity = old;
	fclose(f);
	return buf;
}

static void log_secrets(void)
{
	log_secret_add("APIKEY-0123456789abcdef");
	log_secret_add("SECRET-fedcba9876543210");
	log_secret_add("123456789:AAbbCCddTelegramToken");
	log_error("t", "key=%s secret=%s", "APIKEY-0123456789abcdef", "SECRET-fedcba9876543210");
	log_warn("t", "url=https://api.telegram.org/bot%s/sendMessage", "123456789:AAbbCCddTelegramToken");
	log_info("t", "twice %s %s", "SECRET-fedcba9876543210", "SECRET-fedcba9876543210");
	log_debug("t", "query=timestamp=1&signature=x&k=APIKEY-0123456789abcdef");
}

static void test_log_redacts_every_registered_secret(void)
{
	char *out = capture_log(log_secrets);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_PTR_NULL(strstr(out, "APIKEY-0123456789abcdef"));
	CU_ASSERT_PTR_NULL(strstr(out, "SECRET-fedcba9876543210"));
	CU_ASSERT_PTR_NULL(strstr(out, "AAbbCCddTelegramToken"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "key=[redacted]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "twice [redacted] [redacted]"));
	free(out);
	log_secret_clear();
}

static void test_log_redact_buffer_without_room_blanks_in_place(void)
{
	log_secret_add("abcdefgh");
	char buf[12] = "x abcdefgh";
	log_redact(buf, sizeof buf);
	CU_ASSERT_PTR_NULL(strstr(buf, "abcdefgh"));
	CU_ASSERT_STRING_EQUAL(buf, "x ********");
	log_secret_clear();
}

static void log_levels(void)
{
	log_set_level(LOG_LVL_WARN);
	log_info("t", "hidden-info");
	log_warn("t", "shown-warn n=%d", 3);
	log_error("t", "multi\nline");
}

static void test_log_level_filters_and_lines_are_single(void)
{
	char *out = capture_log(log_levels);
	CU_ASSERT_PTR_NULL(strstr(out, "hidden-info"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "warn  t: shown-warn n=3"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "multi\\nline\n")); /* escaped: one message, one line */
	free(out);
}

static void test_log_short_strings_are_not_registered(void)
{
	log_secret_add("ab");
	char buf[32] = "about abacus";
	log_redact(buf, sizeof buf);
	CU_ASSERT_STRING_EQUAL(buf, "about abacus");
	log_secret_clear();
}

void test_log_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_log_redacts_every_registered_secret", test_log_redacts_every_registered_secret },
		{ "test_log_redact_buffer_without_room_blanks_in_place",
		  test_log_redact_buffer_without_room_blanks_in_place },
		{ "test_log_level_filters_and_lines_are_single", test_log_level_filters_and_lines_are_single },
		{ "test_log_short_strings_are_not_registered", test_log_short_strings_are_not_registered },
		{ NULL, NULL },
	};
	tu_add_suite("log", tests);
}
