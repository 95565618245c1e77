/* Log flooding: one cause writes at most 5 lines per 10 s window and then
 * one "repeated N more times" line with the exact count; causes (call
 * sites, accounts) do not hide each other; nothing is lost at a flush;
 * redaction and escaping hold for the summary too. Uses a fake clock. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "tests/support/testutil.h"

static struct rec_fake_clock fc;
static char *cap_buf;
static size_t cap_len;
static FILE *cap_f;
static int old_verbosity;

static void cap_start(void)
{
	fc = (struct rec_fake_clock){ .now = 1000000 };
	struct rec_clock c = rec_clock_fake(&fc);
	log_set_clock(&c);
	cap_f = open_memstream(&cap_buf, &cap_len);
	old_verbosity = log_verbosity;
	log_set_stream(cap_f);
	log_set_level(LOG_LVL_DEBUG);
}

/* Stops capturing (pending counts are flushed into the capture) and
 * returns what was written. */
static char *cap_stop(void)
{
	log_set_stream(NULL);
	log_verbosity = old_verbosity;
	log_set_clock(NULL);
	fclose(cap_f);
	return cap_buf;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void warn_bad_message(int i)
{
	log_warn("stream", "account=main bad message #%d ignored", i);
}

static void test_log_100000_identical_warnings_give_5_lines_and_the_count(void)
{
	cap_start();
	for (int i = 0; i < 100000; i++)
		warn_bad_message(i);
	char *out = cap_stop();
	CU_ASSERT_EQUAL(count(out, "\n"), 6);
	CU_ASSERT_EQUAL(count(out, "bad message #"), 6); /* 5 lines + "last:" */
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "bad message #4 ignored\n"));
	CU_ASSERT_PTR_NULL(strstr(out, "bad message #5 ignored\n"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(out, "warn  stream: repeated 99995 more times in 1 s (shown 5), last: account=main bad "
			    "message #99999 ignored\n"));
	CU_ASSERT(strlen(out) < 1000);
	free(out);
}

static void test_log_window_end_writes_the_count_then_lets_lines_through(void)
{
	cap_start();
	for (int i = 0; i < 12; i++)
		warn_bad_message(i);
	fc.now += 10000; /* the window is over */
	warn_bad_message(100);
	char *out = cap_stop();
	const char *sum = strstr(out, "repeated 7 more times in 10 s (shown 5), last: account=main bad message #11");
	const char *after = strstr(out, "bad message #100 ignored\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
	CU_ASSERT_PTR_NOT_NULL_FATAL(after);
	CU_ASSERT(sum < after);                     /* the count comes first, then the new window's line */
	CU_ASSERT_EQUAL(count(out, "repeated"), 1); /* the new window dropped nothing */
	free(out);
}

static void test_log_an_ended_window_is_counted_on_another_cause_call(void)
{
	cap_start();
	for (int i = 0; i < 8; i++)
		warn_bad_message(i);
	fc.now += 15000;
	log_info("audit", "account=main audit done");
	fflush(cap_f); /* before cap_stop, which would flush it anyway */
	CU_ASSERT_PTR_NOT_NULL(strstr(cap_buf, "repeated 3 more times in 10 s"));
	char *out = cap_stop();
	CU_ASSERT_EQUAL(count(out, "repeated"), 1);
	free(out);
}

static void test_log_two_call_sites_do_not_suppress_each_other(void)
{
	cap_start();
	for (int i = 0; i < 1000; i++) {
		log_warn("stream", "account=main bad frame %d", i);
		log_error("repair", "account=main stop rejected code=%d", i);
	}
	char *out = cap_stop();
	CU_ASSERT_EQUAL(count(out, "bad frame"), 6);
	CU_ASSERT_EQUAL(count(out, "stop rejected"), 6);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "warn  stream: repeated 995 more times"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "error repair: repeated 995 more times"));
	free(out);
}

static void test_log_one_accounts_flood_does_not_hide_another_account(void)
{
	cap_start();
	for (int i = 0; i < 1000; i++)
		log_warn("stream", "account=%s bad frame %d", "noisy", i);
	log_warn("stream", "account=%s bad frame %d", "quiet", 1);
	char *out = cap_stop();
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "account=quiet bad frame 1\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "repeated 995 more times"));
	free(out);
}

static void test_log_summary_is_redacted_and_escaped(void)
{
	log_secret_add("SECRET-0123456789");
	cap_start();
	for (int i = 0; i < 20; i++)
		log_warn("xch", "rejected: %s sig=%s", "EV\r\n\x1b[31m", "SECRET-0123456789");
	char *out = cap_stop();
	log_secret_clear();
	CU_ASSERT_PTR_NULL(strstr(out, "SECRET-0123456789"));
	CU_ASSERT_PTR_NULL(strchr(out, '\x1b'));
	CU_ASSERT_PTR_NULL(strchr(out, '\r'));
	CU_ASSERT_EQUAL(count(out, "\n"), 6);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "last: rejected: EV\\r\\n\\x1b[31m sig=[redacted]\n"));
	free(out);
}

static void test_log_line_from_the_exchange_cannot_forge_a_line_or_colour(void)
{
	cap_start();
	log_error("xch", "symbol=%s err=%s", "EV\n2026-01-01T00:00:00.000Z info  fake: all good",
		  "\x1b]0;title\x07\x1b[2J\x7f");
	char *out = cap_stop();
	CU_ASSERT_EQUAL(count(out, "\n"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "symbol=EV\\n2026-01-01T00:00:00.000Z info  fake: all good err="
					   "\\x1b]0;title\\x07\\x1b[2J\\x7f\n"));
	for (const char *p = out; *p; p++)
		CU_ASSERT(*p == '\n' || ((unsigned char)*p >= 0x20 && *p != 0x7f));
	free(out);
}

#define NTHREADS 4
#define PER_THREAD 20000

static void *flood(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		warn_bad_message(i);
	return NULL;
}

static void test_log_counts_are_exact_under_threads(void)
{
	cap_start();
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, flood, NULL);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	char *out = cap_stop();
	char want[64];
	snprintf(want, sizeof want, "repeated %d more times", NTHREADS * PER_THREAD - 5);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, want));
	CU_ASSERT_EQUAL(count(out, "\n"), 6);
	free(out);
}

void test_log_repeat_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_log_100000_identical_warnings_give_5_lines_and_the_count",
		  test_log_100000_identical_warnings_give_5_lines_and_the_count },
		{ "test_log_window_end_writes_the_count_then_lets_lines_through",
		  test_log_window_end_writes_the_count_then_lets_lines_through },
		{ "test_log_an_ended_window_is_counted_on_another_cause_call",
		  test_log_an_ended_window_is_counted_on_another_cause_call },
		{ "test_log_two_call_sites_do_not_suppress_each_other",
		  test_log_two_call_sites_do_not_suppress_each_other },
		{ "test_log_one_accounts_flood_does_not_hide_another_account",
		  test_log_one_accounts_flood_does_not_hide_another_account },
		{ "test_log_summary_is_redacted_and_escaped", test_log_summary_is_redacted_and_escaped },
		{ "test_log_line_from_the_exchange_cannot_forge_a_line_or_colour",
		  test_log_line_from_the_exchange_cannot_forge_a_line_or_colour },
		{ "test_log_counts_are_exact_under_threads", test_log_counts_are_exact_under_threads },
		{ NULL, NULL },
	};
	tu_add_suite("log_repeat", tests);
}
