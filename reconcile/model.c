#include "reconcile/model.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum rec_severity sev;
} codes[REC_CODE_COUNT] = {
	[REC_ORPHAN_POSITION] = { "ORPHAN_POSITION", REC_SEV_CRITICAL },
	[REC_UNPROTECTED_POSITION] = { "UNPROTECTED_POSITION", REC_SEV_CRITICAL },
	[REC_WRONG_SIDE_STOP] = { "WRONG_SIDE_STOP", REC_SEV_CRITICAL },
	[REC_UNDERSIZED_STOP] = { "UNDERSIZED_STOP", REC_SEV_CRITICAL },
	[REC_ORPHAN_ORDER] = { "ORPHAN_ORDER", REC_SEV_WARNING },
	[REC_DUPLICATE_STOP] = { "DUPLICATE_STOP", REC_SEV_WARNING },
	[REC_PHANTOM_POSITION] = { "PHANTOM_POSITION", REC_SEV_WARNING },
	[REC_SIZE_MISMATCH] = { "SIZE_MISMATCH", REC_SEV_WARNING },
	[REC_SIDE_MISMATCH] = { "SIDE_MISMATCH", REC_SEV_CRITICAL },
	[REC_REST_GLITCH] = { "REST_GLITCH", REC_SEV_INFO },
	[REC_STREAM_DOWN] = { "STREAM_DOWN", REC_SEV_WARNING },
	[REC_STREAM_STALE] = { "STREAM_STALE", REC_SEV_WARNING },
	[REC_SOURCE_UNREACHABLE] = { "SOURCE_UNREACHABLE", REC_SEV_WARNING },
	[REC_CLOCK_SKEW] = { "CLOCK_SKEW", REC_SEV_WARNING },
	[REC_REPAIR_FAILED] = { "REPAIR_FAILED", REC_SEV_CRITICAL },
	[REC_CLOSE_UNVERIFIED] = { "CLOSE_UNVERIFIED", REC_SEV_CRITICAL },
	[REC_UNKNOWN_SIDE] = { "UNKNOWN_SIDE", REC_SEV_CRITICAL },
	[REC_CONFIG_DRIFT] = { "CONFIG_DRIFT", REC_SEV_CRITICAL },
	[REC_OUTCOME_UNKNOWN] = { "OUTCOME_UNKNOWN", REC_SEV_CRITICAL },
	[REC_JOURNAL_UNREADABLE] = { "JOURNAL_UNREADABLE", REC_SEV_CRITICAL },
	[REC_RATE_LIMITED] = { "RATE_LIMITED", REC_SEV_WARNING },
	[REC_STORAGE_FULL] = { "STORAGE_FULL", REC_SEV_CRITICAL },
};

const char *rec_code_name(enum rec_code c)
{
	return (unsigned)c < REC_CODE_COUNT ? codes[c].name : "UNKNOWN_CODE";
}

enum rec_severity rec_code_default_severity(enum rec_code c)
{
	return (unsigned)c < REC_CODE_COUNT ? codes[c].sev : REC_SEV_CRITICAL;
}

int rec_code_parse(const char *name, enum rec_code *out)
{
	for (int i = 0; i < REC_CODE_COUNT; i++)
		if (strcmp(codes[i].name, name) == 0) {
			*out = (enum rec_code)i;
			return 0;
		}
	return -1;
}

const char *rec_severity_name(enum rec_severity s)
{
	static const char *const n[] = { "info", "warning", "critical" };
	return (unsigned)s < 3 ? n[s] : "?";
}

const char *rec_side_name(enum rec_side s)
{
	return s == REC_SIDE_LONG ? "LONG" : s == REC_SIDE_SHORT ? "SHORT" : "UNKNOWN";
}

const char *rec_oside_name(enum rec_oside s)
{
	return s == REC_BUY ? "BUY" : s == REC_SELL ? "SELL" : "UNKNOWN";
}

const char *rec_exchange_name(enum rec_exchange e)
{
	return e == REC_EX_BINANCE ? "binance" : e == REC_EX_BYBIT ? "bybit" : "?";
}

enum rec_oside rec_closing_side(enum rec_side s)
{
	return s == REC_SIDE_LONG ? REC_SELL : s == REC_SIDE_SHORT ? REC_BUY : REC_OSIDE_UNKNOWN;
}

void rec_finding_make_key(struct rec_finding *f)
{
	snprintf(f->key, sizeof f->key, "%s:%s:%s:%s", f->account, rec_exchange_name(f->exchange), f->symbol,
		 rec_code_name(f->code));
}
