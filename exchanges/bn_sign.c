/* Binance USD-M signing (docs/exchange-facts.md 1.2): hex HMAC-SHA256 over the
 * query string immediately followed by the body, exactly as sent. */
#include "exchanges/sign.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

int bn_sign(const char *secret, const char *query, const char *body, char out[XCH_SIG_HEX])
{
	size_t ql = query ? strlen(query) : 0, bl = body ? strlen(body) : 0;
	char *msg = xmalloc(ql + bl + 1);
	memcpy(msg, query ? query : "", ql);
	memcpy(msg + ql, body ? body : "", bl);
	msg[ql + bl] = '\0';
	int rc = xch_hmac_hex(secret, msg, ql + bl, out);
	free(msg);
	return rc;
}
