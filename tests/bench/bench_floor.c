/* The physical floor of a one-shot audit: the same signed listing requests
 * `vigil audit` needs (Binance: positionRisk v3, openOrders,
 * openAlgoOrders), fetched in parallel by a bare libcurl-multi client that
 * parses nothing. run.sh times this whole process like `vigil audit`.
 * Its own signing (HMAC-SHA256 via OpenSSL), written from the exchange
 * docs: shares nothing with the adapters or the sim.
 *   bench_floor http[s]://127.0.0.1:PORT KEY SECRET   (BENCH_CA=FILE for https)
 * Over https the trust file is parsed once for the three connections (the
 * least it can cost: with CAINFO alone, libcurl parses it per connection).
 * Prints "floor_bytes N" on stdout; exit 1 if a request failed. */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NREQ 3

static const char *const paths[NREQ] = {
	"/fapi/v3/positionRisk",
	"/fapi/v1/openOrders",
	"/fapi/v1/openAlgoOrders",
};

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	(void)p;
	*(size_t *)ud += sz * n;
	return sz * n;
}

/* the trust, parsed once, lent to each connection's context */
static X509_STORE *trust;

static CURLcode use_trust(CURL *c, void *ctx, void *ud)
{
	(void)c;
	(void)ud;
	X509_STORE_up_ref(trust);
	SSL_CTX_set_cert_store(ctx, trust);
	return CURLE_OK;
}

static void hmac_hex(const char *secret, const char *msg, char out[65])
{
	unsigned char mac[32];
	size_t len = 0;
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret), (const unsigned char *)msg, strlen(msg),
		  mac, sizeof mac, &len);
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

int main(int argc, char **argv)
{
	if (argc != 4 ||
	    (strncmp(argv[1], "http://127.0.0.1:", 17) != 0 && strncmp(argv[1], "https://127.0.0.1:", 18) != 0)) {
		fprintf(stderr, "usage: bench_floor http[s]://127.0.0.1:PORT KEY SECRET\n");
		return 2;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	char q[128], sig[65], url[NREQ][512], hdr[256];
	snprintf(q, sizeof q, "recvWindow=5000&timestamp=%lld", now);
	hmac_hex(argv[3], q, sig);
	snprintf(hdr, sizeof hdr, "X-MBX-APIKEY: %s", argv[2]);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *ca = getenv("BENCH_CA");
	if (ca) {
		trust = X509_STORE_new();
		if (!trust || X509_STORE_load_file(trust, ca) != 1) {
			fprintf(stderr, "bench_floor: cannot load %s\n", ca);
			return 1;
		}
	}
	CURLM *m = curl_multi_init();
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	CURL *e[NREQ];
	size_t got[NREQ] = { 0 };
	for (int i = 0; i < NREQ; i++) {
		snprintf(url[i], sizeof url[i], "%s%s?%s&signature=%s", argv[1], paths[i], q, sig);
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url[i]);
		curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &got[i]);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 10000L);
		if (trust) { /* https: verified like vigil's (peer and host, by libcurl) */
			curl_easy_setopt(e[i], CURLOPT_CAINFO, NULL);
			curl_easy_setopt(e[i], CURLOPT_CAPATH, NULL);
			curl_easy_setopt(e[i], CURLOPT_SSL_CTX_FUNCTION, use_trust);
		}
		curl_multi_add_handle(m, e[i]);
	}
	int running = 1;
	while (running) {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	int bad = 0;
	size_t total = 0;
	for (int i = 0; i < NREQ; i++) {
		long code = 0;
		curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &code);
		if (code != 200) {
			fprintf(stderr, "bench_floor: %s -> HTTP %ld\n", paths[i], code);
			bad = 1;
		}
		total += got[i];
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	curl_global_cleanup();
	printf("floor_bytes %zu\n", total);
	return bad;
}
