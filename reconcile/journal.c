/* Name tables for the journal's enums (journal.h). */
#include "reconcile/journal.h"

const char *rec_action_kind_name(enum rec_action_kind k)
{
	static const char *const n[] = { "PLACE_STOP", "CLOSE_POSITION", "CANCEL_ORDER", "ALERT_ONLY" };
	return (unsigned)k < 4 ? n[k] : "?";
}

const char *rec_outcome_name(enum rec_outcome o)
{
	static const char *const n[] = { "PENDING", "DONE", "FAILED", "SKIPPED", "UNKNOWN" };
	return (unsigned)o < 5 ? n[o] : "?";
}
