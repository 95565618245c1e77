/* What vigil reads back from storage: the bot-row column parsers of
 * sql/db_bot.h (side, opened_at) and the spool records of sql/db_spool.h
 * (a torn or hand-edited spool file is read at start-up). */
#include "sql/db_bot.h"
#include "sql/db_spool.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';

	enum rec_side side = db_bot_parse_side(s);
	FUZZ_CHECK(side == REC_SIDE_UNKNOWN || side == REC_SIDE_LONG || side == REC_SIDE_SHORT);
	(void)db_bot_parse_time_ms(s);

	const char *type = NULL;
	json_object *o = db_spool_parse(s, &type);
	if (o) {
		FUZZ_CHECK(type != NULL);
		if (!strcmp(type, "intent")) {
			struct rec_action a;
			if (db_spool_get_intent(o, &a) == 0)
				FUZZ_CHECK(fuzz_terminated(a.account, sizeof a.account));
		} else if (!strcmp(type, "alert")) {
			struct alert_msg m;
			if (db_spool_get_alert(o, &m) == 0) {
				FUZZ_CHECK(m.body != NULL);
				FUZZ_CHECK(fuzz_terminated(m.subject, sizeof m.subject));
				alert_msg_free(&m);
			}
		}
		(void)db_spool_get_i64(o, "id");
		(void)db_spool_get_i64(o, "ms");
		(void)db_spool_get_str(o, "why");
		json_object_put(o);
	}
	free(s);
	return 0;
}
