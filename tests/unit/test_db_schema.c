/* The schema version the binary asks for is the highest migration file:
 * adding sql/NNN_x.sql without raising DB_SCHEMA_VERSION (or the other way
 * round) fails here, not at a customer's first start. */
#include <dirent.h>
#include <stdio.h>
#include <CUnit/CUnit.h>

#include "sql/db_migrate.h"
#include "tests/support/testutil.h"

static void test_db_schema_version_is_the_highest_migration(void)
{
	DIR *d = opendir("sql");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	int hi = 0, v;
	struct dirent *de;
	while ((de = readdir(d)))
		if (db_migrate_parse_name(de->d_name, &v) == 0 && v > hi)
			hi = v;
	closedir(d);
	CU_ASSERT_EQUAL(DB_SCHEMA_VERSION, hi);
}

void test_db_schema_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_db_schema_version_is_the_highest_migration", test_db_schema_version_is_the_highest_migration },
		{ NULL, NULL },
	};
	tu_add_suite("db_schema", tests);
}
