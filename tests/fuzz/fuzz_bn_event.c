/* Binance user-stream messages (ACCOUNT_UPDATE, ORDER_TRADE_UPDATE,
 * ALGO_UPDATE, listenKeyExpired, anything else), then applied to a stream
 * cache the way the adapter does. */
#include "exchanges/bn_parse.h"
#include "reconcile/reconcile.h"
#include "tests/fuzz/fuzz_util.h"

static struct rec_stream_cache cache;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bn_event ev;

	memset(&ev, 0, sizeof ev);
	cache.npos = cache.nord = 0;
	int rc = bn_parse_event((const char *)data, size, 1000, &ev);
	FUZZ_CHECK(rc == XCH_OK || rc == XCH_MALFORMED);
	if (rc == XCH_OK) {
		FUZZ_CHECK((unsigned)ev.kind <= BN_EV_KEY_EXPIRED);
		FUZZ_CHECK(ev.npos == 0 || ev.pos);
		for (size_t i = 0; i < ev.npos; i++) {
			fuzz_check_position(&ev.pos[i]);
			rec_stream_apply_position(&cache, &ev.pos[i]);
		}
		if (ev.kind == BN_EV_ORDER || ev.kind == BN_EV_ALGO) {
			fuzz_check_order(&ev.ord);
			rec_stream_apply_order(&cache, &ev.ord);
		}
	}
	bn_event_free(&ev);
	return 0;
}
