/* One certificate store per CA file for every REST connection of the
 * process. libcurl 7.88 builds (and caches for 24 h) an X509_STORE per
 * multi handle, and every account has two (its engine's and its stream's
 * listenKey calls): with the system's bundle (~140 certificates) that was
 * ~1.3 MiB per multi, 2.7 MiB per account, over 500 MiB for 200 accounts.
 * Here each CA file is parsed once and the store is shared by reference
 * (OpenSSL's X509_STORE is safe for concurrent verification).
 *
 * Verification is unchanged: peer and host are checked by libcurl as
 * before; only where the trusted certificates come from is shared. The
 * system's bundle is libcurl's own default (CURLINFO_CAINFO / CAPATH), not
 * OpenSSL's environment-dependent default paths (SSL_CERT_FILE is ignored,
 * as the environment's proxies are). */
#ifndef XCH_TLS_STORE_H
#define XCH_TLS_STORE_H
#include <curl/curl.h>

/* Sets c's trust to the shared store of ca_file ("" = libcurl's default
 * bundle): CAINFO / CAPATH cleared, an SSL_CTX callback installs the store
 * at each connection. Falls back to CURLOPT_CAINFO (per-multi stores, as
 * before) when libcurl's TLS backend has no SSL_CTX callback. ca_file must
 * outlive the transfer. */
void xch_tls_store_use(CURL *c, const char *ca_file);

/* How many distinct stores are loaded (tests, benchmarks). */
int xch_tls_store_count(void);
#endif
