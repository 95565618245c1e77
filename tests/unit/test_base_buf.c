/* base/buf: appends keep the contents NUL-terminated, printf-appends of
 * any length, reset keeps the storage, take hands it over. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "tests/support/testutil.h"

static void test_buf_starts_empty_and_take_is_never_null(void)
{
	struct buf b = { 0 };
	CU_ASSERT_PTR_NULL(b.p);
	size_t len = 99;
	char *s = buf_take(&b, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "");
	CU_ASSERT_EQUAL(len, 0);
	free(s);
	/* zero bytes still allocate and terminate (an empty HTTP answer is "") */
	buf_add(&b, "", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
	CU_ASSERT_STRING_EQUAL(b.p, "");
	buf_free(&b);
	CU_ASSERT_PTR_NULL(b.p);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(b.cap, 0);
}

static void test_buf_add_grows_and_keeps_bytes(void)
{
	struct buf b = { 0 };
	char chunk[1000];
	for (size_t i = 0; i < sizeof chunk; i++)
		chunk[i] = (char)('a' + i % 26);
	for (int k = 0; k < 50; k++)
		buf_add(&b, chunk, sizeof chunk);
	CU_ASSERT_EQUAL(b.len, 50 * sizeof chunk);
	CU_ASSERT(b.cap > b.len);
	CU_ASSERT_EQUAL(b.p[b.len], '\0');
	CU_ASSERT_EQUAL(memcmp(b.p + 49 * sizeof chunk, chunk, sizeof chunk), 0);
	/* embedded NULs are bytes like any other */
	buf_reset(&b);
	buf_add(&b, "a\0b", 3);
	CU_ASSERT_EQUAL(b.len, 3);
	CU_ASSERT_EQUAL(memcmp(b.p, "a\0b", 4), 0);
	buf_free(&b);
}

static void test_buf_addf_short_and_long(void)
{
	struct buf b = { 0 };
	buf_adds(&b, "n=");
	buf_addf(&b, "%d %s", 42, "x");
	CU_ASSERT_STRING_EQUAL(b.p, "n=42 x");
	CU_ASSERT_EQUAL(b.len, strlen("n=42 x"));
	/* longer than the room left: formatted again after growing */
	char big[5000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_addf(&b, "[%s]", big);
	CU_ASSERT_EQUAL(b.len, 6 + 2 + strlen(big));
	CU_ASSERT_EQUAL(b.p[6], '[');
	CU_ASSERT_EQUAL(b.p[b.len - 1], ']');
	CU_ASSERT_EQUAL(b.p[b.len], '\0');
	CU_ASSERT_EQUAL(strlen(b.p), b.len);
	buf_free(&b);
}

static void test_buf_reset_keeps_storage_take_hands_it_over(void)
{
	struct buf b = { 0 };
	buf_adds(&b, "first message");
	char *p = b.p;
	size_t cap = b.cap;
	buf_reset(&b);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_STRING_EQUAL(b.p, "");
	CU_ASSERT_PTR_EQUAL(b.p, p);
	CU_ASSERT_EQUAL(b.cap, cap);
	buf_adds(&b, "second");
	size_t len = 0;
	char *s = buf_take(&b, &len);
	CU_ASSERT_STRING_EQUAL(s, "second");
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_PTR_NULL(b.p);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(b.cap, 0);
	free(s);
	/* reusable after take */
	buf_addf(&b, "%s", "third");
	s = buf_take(&b, NULL);
	CU_ASSERT_STRING_EQUAL(s, "third");
	free(s);
}

void test_base_buf_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_buf_starts_empty_and_take_is_never_null", test_buf_starts_empty_and_take_is_never_null },
		{ "test_buf_add_grows_and_keeps_bytes", test_buf_add_grows_and_keeps_bytes },
		{ "test_buf_addf_short_and_long", test_buf_addf_short_and_long },
		{ "test_buf_reset_keeps_storage_take_hands_it_over", test_buf_reset_keeps_storage_take_hands_it_over },
		{ NULL, NULL },
	};
	tu_add_suite("base_buf", tests);
}
