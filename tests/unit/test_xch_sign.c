/* Request signing: the official Binance USD-M vector, the Bybit
 * string-to-sign rules and the self-computed Bybit vectors of
 * docs/exchange-facts.md 2.2. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sign.h"
#include "tests/support/testutil.h"

static void test_binance_signature_matches_official_usdm_vector(void)
{
	char sig[XCH_SIG_HEX];
	const char *secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
	const char *msg = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC"
			  "&recvWindow=5000&timestamp=1591702613943";
	CU_ASSERT_EQUAL(bn_sign(secret, msg, NULL, sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
	/* Example 2: the same parameters in the body */
	CU_ASSERT_EQUAL(bn_sign(secret, "", msg, sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9");
}

static void test_binance_signature_concatenates_query_and_body_without_separator(void)
{
	char sig[XCH_SIG_HEX];
	const char *secret = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";
	CU_ASSERT_EQUAL(bn_sign(secret, "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC",
				"quantity=1&price=9000&recvWindow=5000&timestamp=1591702613943", sig),
			0);
	CU_ASSERT_STRING_EQUAL(sig, "30baaf0fab549bbeda7f5ef201898b34122da25fd23c646cac2c529aebe670a4");
}

static void test_binance_signature_matches_spot_doc_vector(void)
{
	char sig[XCH_SIG_HEX];
	CU_ASSERT_EQUAL(bn_sign("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
				"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
				"&recvWindow=5000&timestamp=1499827319559",
				NULL, sig),
			0);
	CU_ASSERT_STRING_EQUAL(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

static void test_bybit_string_to_sign_is_ts_key_window_payload(void)
{
	char *s = bb_sign_string(1658384314791LL, "XXXXXXXXXX", 5000, "category=option&symbol=BTC-29JUL22-25000-C");
	CU_ASSERT_STRING_EQUAL(s, "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C");
	free(s);
	s = bb_sign_string(1658385579423LL, "XXXXXXXXXX", 5000, "{\"category\": \"option\"}");
	CU_ASSERT_STRING_EQUAL(s, "1658385579423XXXXXXXXXX5000{\"category\": \"option\"}");
	free(s);
	s = bb_sign_string(1, "k", 5000, NULL);
	CU_ASSERT_STRING_EQUAL(s, "1k5000");
	free(s);
}

static void test_bybit_signatures_match_documented_vectors(void)
{
	char sig[XCH_SIG_HEX];
	CU_ASSERT_EQUAL(bb_sign("test-secret-0123456789", 1658384314791LL, "XXXXXXXXXX", 5000,
				"category=option&symbol=BTC-29JUL22-25000-C", sig),
			0);
	CU_ASSERT_STRING_EQUAL(sig, "44cd56dd7f586d4c0f7374b4ea02c8605d31f5c1eb48ef865cfd2236378f1678");
	CU_ASSERT_EQUAL(bb_sign("test-secret-0123456789", 1658385579423LL, "XXXXXXXXXX", 5000,
				"{\"category\": \"option\"}", sig),
			0);
	CU_ASSERT_STRING_EQUAL(sig, "df5050fe26da2a69f633ffd909968d7a5234623cf215c08229a1e78d27aa5528");
}

static void test_bybit_ws_auth_signs_get_realtime_plus_expires(void)
{
	char sig[XCH_SIG_HEX];
	CU_ASSERT_EQUAL(bb_sign_ws("test-secret-0123456789", 1662350400000LL, sig), 0);
	CU_ASSERT_STRING_EQUAL(sig, "15fb3c95518f3b90ae93f4bc1e31adb7e167feb1286f8349d259270f69661eb9");
}

static void test_wrong_secret_gives_a_different_signature(void)
{
	char a[XCH_SIG_HEX], b[XCH_SIG_HEX];
	bn_sign("secret-a", "x=1", NULL, a);
	bn_sign("secret-b", "x=1", NULL, b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(a), 64);
}

void test_xch_sign_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_binance_signature_matches_official_usdm_vector",
		  test_binance_signature_matches_official_usdm_vector },
		{ "test_binance_signature_concatenates_query_and_body_without_separator",
		  test_binance_signature_concatenates_query_and_body_without_separator },
		{ "test_binance_signature_matches_spot_doc_vector", test_binance_signature_matches_spot_doc_vector },
		{ "test_bybit_string_to_sign_is_ts_key_window_payload",
		  test_bybit_string_to_sign_is_ts_key_window_payload },
		{ "test_bybit_signatures_match_documented_vectors", test_bybit_signatures_match_documented_vectors },
		{ "test_bybit_ws_auth_signs_get_realtime_plus_expires",
		  test_bybit_ws_auth_signs_get_realtime_plus_expires },
		{ "test_wrong_secret_gives_a_different_signature", test_wrong_secret_gives_a_different_signature },
		{ NULL, NULL },
	};
	tu_add_suite("xch_sign", tests);
}
