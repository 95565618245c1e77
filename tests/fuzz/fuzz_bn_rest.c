/* Binance USD-M REST answers: every parser in exchanges/bn_parse.h gets the
 * same bytes (positionRisk, openOrders, a single order, openAlgoOrders, an
 * algo order, order/algo acks, exchangeInfo, server time, and the error
 * check under several HTTP statuses). */
#include "exchanges/bn_parse.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void check_err(const struct xch_err *e)
{
	FUZZ_CHECK(fuzz_terminated(e->msg, sizeof e->msg));
	FUZZ_CHECK((unsigned)e->rc < XCH_RC_COUNT);
}

static void orders_ok(int rc, struct rec_order *o, size_t n, const struct xch_err *e)
{
	if (rc == XCH_OK) {
		FUZZ_CHECK(n == 0 || o);
		for (size_t i = 0; i < n; i++)
			fuzz_check_order(&o[i]);
	} else {
		FUZZ_CHECK(o == NULL && n == 0);
		check_err(e);
	}
	free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *b = (const char *)data;
	struct xch_err err;
	static const long statuses[] = { 200, 400, 401, 403, 418, 429, 500, 503 };

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		memset(&err, 0, sizeof err);
		int rc = bn_check_answer(statuses[i], b, size, i & 1 ? 1500 : -1, &err);
		FUZZ_CHECK((unsigned)rc < XCH_RC_COUNT);
		if (statuses[i] >= 400)
			FUZZ_CHECK(rc != XCH_OK); /* an HTTP error is never success */
		if (rc != XCH_OK)
			check_err(&err);
	}

	int64_t ms = 0;
	bn_parse_server_time(b, size, &ms, &err);

	struct rec_position *pos = NULL;
	size_t npos = 0;
	memset(&err, 0, sizeof err);
	if (bn_parse_positions(b, size, 1000, &pos, &npos, &err) == XCH_OK) {
		for (size_t i = 0; i < npos; i++) {
			fuzz_check_position(&pos[i]);
			FUZZ_CHECK(pos[i].size > 0); /* open positions only */
		}
	} else {
		FUZZ_CHECK(pos == NULL && npos == 0);
		check_err(&err);
	}
	free(pos);

	struct rec_order *ord = NULL, one;
	size_t nord = 0;
	memset(&err, 0, sizeof err);
	int rc = bn_parse_orders(b, size, &ord, &nord, &err);
	orders_ok(rc, ord, nord, &err);
	ord = NULL, nord = 0;
	rc = bn_parse_algo_orders(b, size, &ord, &nord, &err);
	orders_ok(rc, ord, nord, &err);

	memset(&one, 0, sizeof one);
	if (bn_parse_order(b, size, &one, &err) == XCH_OK)
		fuzz_check_order(&one);
	memset(&one, 0, sizeof one);
	if (bn_parse_algo_order(b, size, &one, &err) == XCH_OK)
		fuzz_check_order(&one);

	for (int algo = 0; algo < 2; algo++) {
		struct xch_ack ack;
		memset(&ack, 0, sizeof ack);
		if (bn_parse_ack(b, size, algo, &ack, &err) == XCH_OK) {
			FUZZ_CHECK(fuzz_terminated(ack.id, sizeof ack.id));
			FUZZ_CHECK(fuzz_terminated(ack.client_id, sizeof ack.client_id));
		}
	}

	struct xch_instrument *ins = NULL;
	size_t nins = 0;
	if (bn_parse_instruments(b, size, &ins, &nins, &err) == XCH_OK)
		for (size_t i = 0; i < nins; i++)
			FUZZ_CHECK(fuzz_terminated(ins[i].symbol, sizeof ins[i].symbol));
	free(ins);
	return 0;
}
