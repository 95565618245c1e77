/* Secret files are judged on the open descriptor, never block, never
 * follow a link, and hold exactly one line; environment secrets can be
 * scrubbed from the environment and still serve a reload. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/config.h"
#include "base/xalloc.h"

static char dir[64];

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *put(const char *name, const char *content, size_t n, mode_t mode)
{
	char *p = path_of(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, content, n), (ssize_t)n);
	close(fd);
	chmod(p, mode);
	return p;
}

static void setup_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/vigil-secret.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void rm_dir(void)
{
	char *cmd = xasprintf("rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	free(cmd);
}

static void expect_refused(const char *p, const char *word)
{
	char err[512] = "";
	char *s = wd_read_secret_file(p, err, sizeof err);
	if (s)
		fprintf(stderr, "secret %s was accepted\n", p);
	CU_ASSERT_PTR_NULL(s);
	free(s);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
	if (!strstr(err, word))
		fprintf(stderr, "err for %s: %s (want '%s')\n", p, err, word);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, word));
	CU_ASSERT_PTR_NULL(strstr(err, "hunter2")); /* never the content */
}

static void test_secret_file_one_line_trimmed_of_one_newline(void)
{
	setup_dir();
	char err[512];
	char *p = put("ok", "hunter2-secret\n", 15, 0600);
	char *s = wd_read_secret_file(p, err, sizeof err);
	CU_ASSERT_STRING_EQUAL(s, "hunter2-secret");
	free(s);
	free(p);
	p = put("crlf", "hunter2-secret\r\n", 16, 0400);
	s = wd_read_secret_file(p, err, sizeof err);
	CU_ASSERT_STRING_EQUAL(s, "hunter2-secret");
	free(s);
	free(p);
	p = put("spaces", " hunter2 ", 9, 0600); /* spaces are the secret's own */
	s = wd_read_secret_file(p, err, sizeof err);
	CU_ASSERT_STRING_EQUAL(s, " hunter2 ");
	free(s);
	free(p);
	rm_dir();
}

static void test_secret_file_bad_shapes_are_refused_with_the_reason(void)
{
	setup_dir();
	char *p = put("two", "hunter2\nsecond\n", 15, 0600);
	expect_refused(p, "one line");
	free(p);
	p = put("twonl", "hunter2\n\n", 9, 0600);
	expect_refused(p, "one line");
	free(p);
	p = put("empty", "\n", 1, 0600);
	expect_refused(p, "empty");
	free(p);
	char big[5000];
	memset(big, 'a', sizeof big);
	p = put("big", big, sizeof big, 0600);
	expect_refused(p, "4096");
	free(p);
	p = put("open", "hunter2\n", 8, 0640);
	expect_refused(p, "group or others");
	free(p);
	/* a symlink to a good file: refused, not followed */
	char *good = put("good", "hunter2\n", 8, 0600);
	p = path_of("link");
	CU_ASSERT_EQUAL(symlink(good, p), 0);
	expect_refused(p, "symbolic link");
	free(p);
	/* owned by another user (the tests run as root, so chown works) */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(good, 65534, 65534), 0);
		expect_refused(good, "another user");
	}
	free(good);
	p = path_of("adir");
	CU_ASSERT_EQUAL(mkdir(p, 0700), 0);
	expect_refused(p, "not a regular file");
	free(p);
	rm_dir();
}

/* A FIFO put where a secret file was: open must not wait for a writer
 * (it hung vigil at start and on SIGHUP, with SIGTERM ignored). */
static void test_secret_fifo_is_refused_without_blocking(void)
{
	setup_dir();
	char *p = path_of("fifo");
	CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0600), 0);
	alarm(5); /* a hang fails the run instead of stalling it */
	expect_refused(p, "not a regular file");
	alarm(0);
	free(p);
	rm_dir();
}

static void test_secret_env_scrubbed_from_environment_but_kept_for_reload(void)
{
	setenv("VIGIL_T_SCRUBME", "hunter2-env-secret", 1);
	wd_secret_env_scrub(true);
	char *out = NULL, err[256];
	CU_ASSERT_EQUAL(wd_load_secret("f.conf", 3, "api_key", "VIGIL_T_SCRUBME", "", 1, &out, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(out, "hunter2-env-secret");
	free(out);
	CU_ASSERT_PTR_NULL(getenv("VIGIL_T_SCRUBME")); /* gone from environ */
	/* the reload reads it again */
	CU_ASSERT_EQUAL(wd_load_secret("f.conf", 3, "api_key", "VIGIL_T_SCRUBME", "", 1, &out, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(out, "hunter2-env-secret");
	free(out);
	/* a new value in the environment wins over the kept one */
	setenv("VIGIL_T_SCRUBME", "hunter2-rotated", 1);
	CU_ASSERT_EQUAL(wd_load_secret("f.conf", 3, "api_key", "VIGIL_T_SCRUBME", "", 1, &out, err, sizeof err), 0);
	CU_ASSERT_STRING_EQUAL(out, "hunter2-rotated");
	free(out);
	wd_secret_env_scrub(false);
}

void test_config_secret_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_secret_file_one_line_trimmed_of_one_newline",
		  test_secret_file_one_line_trimmed_of_one_newline },
		{ "test_secret_file_bad_shapes_are_refused_with_the_reason",
		  test_secret_file_bad_shapes_are_refused_with_the_reason },
		{ "test_secret_fifo_is_refused_without_blocking", test_secret_fifo_is_refused_without_blocking },
		{ "test_secret_env_scrubbed_from_environment_but_kept_for_reload",
		  test_secret_env_scrubbed_from_environment_but_kept_for_reload },
		{ NULL, NULL },
	};
	tu_add_suite("config_secret", tests);
}
