/* Bybit private-stream frames (auth / subscribe / pong answers, position,
 * order, execution topics), then applied to a stream cache the way the
 * adapter does. */
#include "exchanges/bb_parse.h"
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
	struct bb_ws_msg m;

	memset(&m, 0, sizeof m);
	cache.npos = cache.nord = 0;
	int rc = bb_parse_ws((const char *)data, size, 1000, &m);
	FUZZ_CHECK(rc == XCH_OK || rc == XCH_MALFORMED);
	if (rc == XCH_OK) {
		FUZZ_CHECK((unsigned)m.kind <= BB_WS_EXECUTION);
		FUZZ_CHECK(fuzz_terminated(m.ret_msg, sizeof m.ret_msg));
		FUZZ_CHECK(m.npos == 0 || m.pos);
		FUZZ_CHECK(m.nord == 0 || m.ord);
		for (size_t i = 0; i < m.npos; i++) {
			fuzz_check_position(&m.pos[i]);
			rec_stream_apply_position(&cache, &m.pos[i]);
		}
		for (size_t i = 0; i < m.nord; i++) {
			fuzz_check_order(&m.ord[i]);
			rec_stream_apply_order(&cache, &m.ord[i]);
		}
		for (size_t i = 0; i < m.nsyms; i++)
			FUZZ_CHECK(fuzz_terminated(m.syms[i], REC_SYM_MAX));
	}
	bb_ws_msg_free(&m);
	return 0;
}
