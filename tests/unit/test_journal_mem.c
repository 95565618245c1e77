/* The in-memory journal of a database-less daemon stays bounded: finished
 * records beyond the limit are dropped oldest first; unfinished ones are
 * always kept, and ids are never reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "reconcile/journal_mem.h"
#include "tests/support/testutil.h"

static struct rec_action act(const char *sym)
{
	struct rec_action a;
	memset(&a, 0, sizeof a);
	snprintf(a.account, sizeof a.account, "main");
	snprintf(a.symbol, sizeof a.symbol, "%s", sym);
	a.kind = REC_ACT_PLACE_STOP;
	return a;
}

static void test_journal_mem_bounded_keeps_unfinished_and_ids_unique(void)
{
	struct rec_journal *j = rec_journal_mem_new(NULL, NULL);
	struct rec_action pending = act("OLDUSDT");
	CU_ASSERT_EQUAL_FATAL(j->ops->intent(j, &pending), 0);
	int64_t last = pending.id;
	for (int i = 0; i < 10 * REC_JOURNAL_MEM_KEEP; i++) {
		struct rec_action a = act("BTCUSDT");
		CU_ASSERT_EQUAL_FATAL(j->ops->intent(j, &a), 0);
		CU_ASSERT(a.id > last); /* never reused */
		last = a.id;
		CU_ASSERT_EQUAL_FATAL(j->ops->outcome(j, a.id, REC_OUT_DONE, "o1", "placed"), 0);
	}
	size_t n;
	const struct rec_action *all = rec_journal_mem_all(j, &n);
	CU_ASSERT(n <= REC_JOURNAL_MEM_KEEP);
	CU_ASSERT(n >= REC_JOURNAL_MEM_KEEP / 2);
	CU_ASSERT_EQUAL(all[0].id, pending.id); /* the unfinished one survived */
	CU_ASSERT_EQUAL(all[n - 1].id, last);   /* the newest are kept */
	struct rec_action *un;
	size_t nun;
	CU_ASSERT_EQUAL(j->ops->unfinished(j, "main", &un, &nun), 0);
	CU_ASSERT_EQUAL_FATAL(nun, 1);
	CU_ASSERT_STRING_EQUAL(un[0].symbol, "OLDUSDT");
	free(un);
	/* its outcome still lands by id; a dropped id is refused */
	CU_ASSERT_EQUAL(j->ops->outcome(j, pending.id, REC_OUT_FAILED, NULL, "x"), 0);
	CU_ASSERT_EQUAL(j->ops->outcome(j, pending.id + 1, REC_OUT_DONE, NULL, "x"), -1);
	j->ops->destroy(j);
}

void test_journal_mem_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_journal_mem_bounded_keeps_unfinished_and_ids_unique",
		  test_journal_mem_bounded_keeps_unfinished_and_ids_unique },
		{ NULL, NULL },
	};
	tu_add_suite("journal_mem", tests);
}
