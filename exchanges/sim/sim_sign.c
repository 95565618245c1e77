/* HMAC-SHA256 signing checks for both exchanges (OpenSSL one-shot HMAC). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <strings.h>

#include "exchanges/sim/sim.h"

void sim_hmac_hex(const char *secret, const char *msg, size_t msg_len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hx[] = "0123456789abcdef";

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, msg_len, md, &mdlen);
	for (unsigned int i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[64] = '\0';
}

/* Both exchanges send lowercase hex; Binance treats it case-insensitively. */
int sim_sig_ok(const char *secret, const char *msg, size_t len, const char *sig)
{
	char want[65];

	if (!sig || strlen(sig) != 64)
		return 0;
	sim_hmac_hex(secret, msg, len, want);
	return strcasecmp(want, sig) == 0;
}
