/* Request signing for both exchanges (HMAC-SHA256, lowercase hex).
 * The message layouts follow docs/exchange-facts.md 1.2 (Binance) and 2.2 / 2.9
 * (Bybit); each exchange's layout lives in its own file (bn_sign.c,
 * bb_sign.c) on top of the shared MAC in xch_hmac_hex(). */
#ifndef XCH_SIGN_H
#define XCH_SIGN_H
#include <stddef.h>
#include <stdint.h>

#define XCH_SIG_HEX 65 /* 64 hex digits + NUL */

/* hex HMAC-SHA256(key, msg) into out. Returns 0, -1 on a library error. */
int xch_hmac_hex(const char *key, const char *msg, size_t msglen, char out[XCH_SIG_HEX]);

/* Binance: signature over totalParams = query string followed by body
 * (no separator; either may be NULL or ""). */
int bn_sign(const char *secret, const char *query, const char *body, char out[XCH_SIG_HEX]);

/* Bybit REST: the string to sign, timestamp + apiKey + recvWindow + payload
 * (payload = query string for GET, raw JSON body for POST). malloc'd. */
char *bb_sign_string(int64_t ts_ms, const char *api_key, int64_t recv_window_ms, const char *payload);
int bb_sign(const char *secret, int64_t ts_ms, const char *api_key, int64_t recv_window_ms, const char *payload,
	    char out[XCH_SIG_HEX]);
/* Bybit private WebSocket auth: hex HMAC of "GET/realtime" + expires. */
int bb_sign_ws(const char *secret, int64_t expires_ms, char out[XCH_SIG_HEX]);

#endif
