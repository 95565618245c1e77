/* Symbol spellings: exchange BTCUSDT vs ccxt BTC/USDT:USDT. */
#include "tests/unit/test_rec_kit.h"

static void test_symbol_normalize_table(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "BTCUSDT", "BTCUSDT" },         { "BTC/USDT:USDT", "BTCUSDT" },
		{ "btc/usdt", "BTCUSDT" },        { "1000PEPE/USDT:USDT", "1000PEPEUSDT" },
		{ " AVL/USDT:USDT ", "AVLUSDT" }, { "", "" },
		{ "ETH-USDT", "ETHUSDT" },
	};
	char out[REC_SYM_MAX];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		rec_symbol_normalize(t[i].in, out, sizeof out);
		CU_ASSERT_STRING_EQUAL(out, t[i].want);
	}
	char tiny[4];
	rec_symbol_normalize("BTCUSDT", tiny, sizeof tiny);
	CU_ASSERT_STRING_EQUAL(tiny, "BTC");
}

static void test_symbol_to_style_table(void)
{
	char out[REC_SYM_MAX];
	CU_ASSERT_EQUAL(rec_symbol_to_style("BTCUSDT", REC_SYMSTYLE_CCXT, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "BTC/USDT:USDT");
	CU_ASSERT_EQUAL(rec_symbol_to_style("ETHFDUSD", REC_SYMSTYLE_CCXT, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "ETH/FDUSD:FDUSD");
	CU_ASSERT_EQUAL(rec_symbol_to_style("BTC/USDT:USDT", REC_SYMSTYLE_PLAIN, out, sizeof out), 0);
	CU_ASSERT_STRING_EQUAL(out, "BTCUSDT");
	CU_ASSERT_EQUAL(rec_symbol_to_style("WEIRD", REC_SYMSTYLE_CCXT, out, sizeof out), -1);
	CU_ASSERT_STRING_EQUAL(out, "WEIRD");
}

static void test_bot_rows_filtered_by_exchange_and_status(void)
{
	struct rec_params p;
	rec_params_default(&p);
	snprintf(p.bot_exchange, sizeof p.bot_exchange, "bybit");
	struct rec_bot_row r;
	memset(&r, 0, sizeof r);
	snprintf(r.exchange, sizeof r.exchange, "Bybit");
	CU_ASSERT_TRUE(rec_bot_row_matches_exchange(&r, &p));
	snprintf(r.exchange, sizeof r.exchange, "binance");
	CU_ASSERT_FALSE(rec_bot_row_matches_exchange(&r, &p));
	p.bot_exchange[0] = '\0';
	CU_ASSERT_TRUE(rec_bot_row_matches_exchange(&r, &p));
	snprintf(r.status, sizeof r.status, " ACTIVE ");
	CU_ASSERT_TRUE(rec_bot_row_is_active(&r));
	snprintf(r.status, sizeof r.status, "pending");
	CU_ASSERT_TRUE(rec_bot_row_is_live(&r, &p));
	CU_ASSERT_FALSE(rec_bot_row_is_active(&r));
	snprintf(r.status, sizeof r.status, "closed");
	CU_ASSERT_FALSE(rec_bot_row_is_live(&r, &p));
}

/* A ccxt-style bot row matches the exchange's symbol; another exchange's
 * row for the same symbol does not count. */
static void test_ccxt_bot_row_matches_exchange_symbol(void)
{
	struct kit *k = kit_new(REC_EX_BINANCE);
	k->p.bot_symbol_style = REC_SYMSTYLE_CCXT;
	kit_rest(k, "BTCUSDT", REC_SIDE_LONG, 1);
	kit_stop(k, "BTCUSDT", REC_SELL, 0);
	kit_bot(k, "BTC/USDT:USDT", REC_SIDE_LONG, 1, "active");
	struct rec_bot_row *other = kit_bot(k, "ETH/USDT:USDT", REC_SIDE_LONG, 1, "active");
	snprintf(other->exchange, sizeof other->exchange, "bybit");
	kit_run(k, 1000);
	CU_ASSERT_EQUAL(kit_run(k, 100000), 0);
	kit_dump(k);
	kit_free(k);
}

void test_rec_symbols_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_symbol_normalize_table", test_symbol_normalize_table },
		{ "test_symbol_to_style_table", test_symbol_to_style_table },
		{ "test_bot_rows_filtered_by_exchange_and_status", test_bot_rows_filtered_by_exchange_and_status },
		{ "test_ccxt_bot_row_matches_exchange_symbol", test_ccxt_bot_row_matches_exchange_symbol },
		{ NULL, NULL },
	};
	tu_add_suite("rec_symbols", tests);
}
