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
 * as the environment's proxies are). When libcurl's default directory is a
 * hashed one (Debian's /etc/ssl/certs, `openssl rehash`), the default
 * trust reads from it only the certificates a chain needs: parsing the
 * whole bundle costs OpenSSL 3.0 ~45 ms and ~1.3 MiB for 145 certificates.
 *
 * The private streams (xch_ws.c) verify with the same store, so a CA file
 * is held once per process whatever reads it. */
#ifndef XCH_TLS_STORE_H
#define XCH_TLS_STORE_H
#include <curl/curl.h>
#include <openssl/x509_vfy.h>

/* Sets c's trust to the shared store of ca_file ("" = libcurl's default
 * bundle): CAINFO / CAPATH cleared, an SSL_CTX callback installs the store
 * at each connection. Falls back to CURLOPT_CAINFO (per-multi stores, as
 * before) when libcurl's TLS backend has no SSL_CTX callback. ca_file must
 * outlive the transfer. */
void xch_tls_store_use(CURL *c, const char *ca_file);

/* A new reference to the shared store of ca_file ("" = the default trust),
 * loaded on first use; NULL (and said in the log) if nothing in it can be
 * loaded. For TLS contexts other than libcurl's (the streams). */
X509_STORE *xch_tls_store_get(const char *ca_file);

/* A store from a bundle file and / or a hashed directory (either may be
 * NULL or ""): the directory's certificates are read on demand. NULL when
 * neither could be used. Exposed for tests. */
X509_STORE *xch_tls_store_load(const char *file, const char *dir);

/* How many distinct stores are loaded, and how many TLS contexts
 * (libcurl's and the streams') were given the store of ca_file (tests,
 * benchmarks). */
int xch_tls_store_count(void);
int xch_tls_store_uses(const char *ca_file);
#endif
