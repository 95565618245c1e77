/* CUnit runner shared by the unit and integration test binaries. Suites
 * register themselves from a registry generated from the file names
 * (tests/unit/test_foo.c defines test_foo_register()).
 *
 * usage: unit-tests [SUITE-SUBSTRING | --suite NAME | --list]
 * A bare argument runs the suites whose name contains it; --suite runs the
 * one suite of that exact name (make check T=NAME); --list prints the suite
 * names, one a line, and runs nothing. Prints CUnit's summary and a
 * machine-readable line
 *   "vigil-tests: ran=N passed=P failed=F"
 * and exits 1 if anything failed or nothing ran. */
#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

void register_all_suites(void);

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!getenv("VIGIL_TEST_VERBOSE"))
		log_set_level(LOG_LVL_ERROR);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	register_all_suites();
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
			printf("%s\n", s->pName);
		CU_cleanup_registry();
		curl_global_cleanup();
		return 0;
	}
	bool exact = argc > 2 && !strcmp(argv[1], "--suite");
	const char *want = exact ? argv[2] : argc > 1 ? argv[1] : NULL;
	if (want) {
		/* deactivate the suites not asked for */
		for (CU_pSuite s = CU_get_registry()->pSuite; s; s = s->pNext)
			if (exact ? strcmp(s->pName, want) != 0 : !strstr(s->pName, want))
				CU_set_suite_active(s, CU_FALSE);
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned ran = CU_get_number_of_tests_run();
	unsigned failed = CU_get_number_of_tests_failed();
	int err = CU_get_error();
	printf("\nvigil-tests: ran=%u passed=%u failed=%u\n", ran, ran - failed, failed);
	CU_cleanup_registry();
	curl_global_cleanup();
	if (err == CUE_SUITE_INACTIVE)
		err = CUE_SUCCESS; /* suites filtered out on purpose */
	return (failed || err || ran == 0) ? 1 : 0;
}
