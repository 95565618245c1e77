/* In-memory journal (journal.h): for tests and database-less runs. Not
 * durable across processes; a test simulates a crash between intent and
 * outcome by handing the same journal to a new engine. */
#ifndef REC_JOURNAL_MEM_H
#define REC_JOURNAL_MEM_H
#include "reconcile/journal.h"

/* Records kept: past this, the oldest finished ones are dropped. */
#define REC_JOURNAL_MEM_KEEP 256

/* Free with j->ops->destroy(j). now_ms may be NULL (times stay 0). */
struct rec_journal *rec_journal_mem_new(int64_t (*now_ms)(void *ud), void *ud);
/* Every record kept, in intent order (borrowed: valid until the next
 * write). */
const struct rec_action *rec_journal_mem_all(struct rec_journal *j, size_t *n);
/* Test hook: the next n unfinished() calls fail (-1): an unreadable journal. */
void rec_journal_mem_fail_list(struct rec_journal *j, int n);
/* Test hook: the next n intent() calls fail (-1) without recording. */
void rec_journal_mem_fail_next(struct rec_journal *j, int n);

#endif
