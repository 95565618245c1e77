/* The one HMAC-SHA256 used by both adapters' signers (OpenSSL EVP_Q_mac,
 * not the deprecated HMAC_CTX API). */
#include "exchanges/sign.h"

#include <openssl/evp.h>
#include <string.h>

int xch_hmac_hex(const char *key, const char *msg, size_t msglen, char out[XCH_SIG_HEX])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;
	static const char hex[] = "0123456789abcdef";

	out[0] = '\0';
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, strlen(key), (const unsigned char *)msg, msglen, mac,
		       sizeof mac, &maclen) ||
	    maclen != 32)
		return -1;
	for (size_t i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[2 * maclen] = '\0';
	return 0;
}
