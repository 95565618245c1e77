/* Bybit v5 REST answers: the envelope check (HTTP status + retCode) under
 * several statuses, then every result parser of exchanges/bb_parse.h on the
 * same answer (position/list, order/realtime, position stops synthesized
 * from positions, order acks, instruments-info, server time). */
#include "exchanges/bb_parse.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void parse_result(struct json_object *root, struct json_object *result)
{
	struct xch_err err;
	char cursor[256];
	int64_t ms = 0;

	bb_parse_server_time(root, &ms);

	struct rec_position *pos = NULL;
	size_t npos = 0, page = 0;
	memset(&err, 0, sizeof err);
	int rc = bb_parse_positions(result, 1000, &pos, &npos, &page, cursor, sizeof cursor, &err);
	FUZZ_CHECK(rc == XCH_OK || rc == XCH_MALFORMED);
	if (rc == XCH_OK) {
		FUZZ_CHECK(fuzz_terminated(cursor, sizeof cursor));
		for (size_t i = 0; i < npos; i++)
			fuzz_check_position(&pos[i]);
	}

	struct rec_order *ord = NULL;
	size_t nord = 0;
	rc = bb_parse_orders(result, &ord, &nord, &page, cursor, sizeof cursor, &err);
	FUZZ_CHECK(rc == XCH_OK || rc == XCH_MALFORMED);
	if (rc == XCH_OK)
		FUZZ_CHECK(fuzz_terminated(cursor, sizeof cursor));
	/* the adapter adds the positions' own stops to the order listing */
	bb_add_position_stops(pos, npos, &ord, &nord);
	for (size_t i = 0; i < nord; i++)
		fuzz_check_order(&ord[i]);
	free(pos);
	free(ord);

	struct xch_ack ack;
	memset(&ack, 0, sizeof ack);
	if (bb_parse_ack(result, &ack, &err) == XCH_OK) {
		FUZZ_CHECK(fuzz_terminated(ack.id, sizeof ack.id));
		FUZZ_CHECK(fuzz_terminated(ack.client_id, sizeof ack.client_id));
	}

	struct xch_instrument *ins = NULL;
	size_t nins = 0;
	if (bb_parse_instruments(result, &ins, &nins, &page, cursor, sizeof cursor, &err) == XCH_OK)
		for (size_t i = 0; i < nins; i++)
			FUZZ_CHECK(fuzz_terminated(ins[i].symbol, sizeof ins[i].symbol));
	free(ins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 403, 429, 500 };

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		struct json_object *root = NULL, *result = NULL;
		struct xch_err err;

		memset(&err, 0, sizeof err);
		int rc = bb_check_answer(statuses[i], (const char *)data, size, i ? 1700000000000 : 0, 1700000000000,
					 &root, &result, &err);
		FUZZ_CHECK((unsigned)rc < XCH_RC_COUNT);
		if (rc != XCH_OK) {
			FUZZ_CHECK(fuzz_terminated(err.msg, sizeof err.msg));
			if (root)
				json_object_put(root);
			continue;
		}
		FUZZ_CHECK(statuses[i] == 200); /* an HTTP error is never success */
		FUZZ_CHECK(root != NULL);
		parse_result(root, result);
		json_object_put(root);
	}
	return 0;
}
