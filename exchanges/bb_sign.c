/* Bybit v5 signing (docs/exchange-facts.md 2.2, 2.9): REST signs
 * timestamp + apiKey + recvWindow + payload; the private WebSocket signs
 * "GET/realtime" + expires. */
#include "exchanges/sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

char *bb_sign_string(int64_t ts_ms, const char *api_key, int64_t recv_window_ms, const char *payload)
{
	return xasprintf("%" PRId64 "%s%" PRId64 "%s", ts_ms, api_key ? api_key : "", recv_window_ms,
			 payload ? payload : "");
}

int bb_sign(const char *secret, int64_t ts_ms, const char *api_key, int64_t recv_window_ms, const char *payload,
	    char out[XCH_SIG_HEX])
{
	char *msg = bb_sign_string(ts_ms, api_key, recv_window_ms, payload);
	int rc = xch_hmac_hex(secret, msg, strlen(msg), out);
	free(msg);
	return rc;
}

int bb_sign_ws(const char *secret, int64_t expires_ms, char out[XCH_SIG_HEX])
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "GET/realtime%" PRId64, expires_ms);
	return xch_hmac_hex(secret, msg, (size_t)n, out);
}
