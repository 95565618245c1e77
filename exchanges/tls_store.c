/* Shared certificate stores for the REST transport (see tls_store.h). */
#include "exchanges/tls_store.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"

#define STORES_MAX 16

static struct {
	pthread_mutex_t mu;
	int n;
	struct {
		char ca_file[PATH_MAX]; /* "" = libcurl's default */
		X509_STORE *st;         /* NULL: could not be loaded (said once) */
		int uses;               /* TLS contexts given this store */
	} s[STORES_MAX];
} stores = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* libcurl's built-in bundle and directory (what CAINFO / CAPATH default
 * to), read once from a scratch handle */
static void curl_defaults(char *file, size_t fl, char *dir, size_t dl)
{
	file[0] = dir[0] = '\0';
	CURL *c = curl_easy_init();
	if (!c)
		return;
	char *f = NULL, *d = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CAINFO, &f) == CURLE_OK && f)
		snprintf(file, fl, "%s", f);
	if (curl_easy_getinfo(c, CURLINFO_CAPATH, &d) == CURLE_OK && d)
		snprintf(dir, dl, "%s", d);
	curl_easy_cleanup(c);
}

/* Does dir hold `openssl rehash` links (HHHHHHHH.N)? Without them a
 * directory lookup finds nothing, and the bundle file is the trust. */
static bool hashed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		int i = 0;
		while (i < 8 && isxdigit((unsigned char)n[i]))
			i++;
		found = i == 8 && n[8] == '.' && isdigit((unsigned char)n[9]);
	}
	closedir(d);
	return found;
}

X509_STORE *xch_tls_store_load(const char *file, const char *dir)
{
	X509_STORE *st = X509_STORE_new();
	if (!st)
		return NULL;
	bool ok = false;
	if (file && file[0])
		ok |= X509_STORE_load_file(st, file) == 1;
	if (dir && dir[0])
		ok |= X509_STORE_load_path(st, dir) == 1;
	if (!ok) {
		X509_STORE_free(st);
		return NULL;
	}
	/* what libcurl sets on its own stores (7.68+): an intermediate in the
	 * file may anchor a chain, trusted certificates are tried first */
	X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST);
	return st;
}

static X509_STORE *load(const char *ca_file)
{
	char file[PATH_MAX], dir[PATH_MAX] = "";
	if (ca_file[0])
		snprintf(file, sizeof file, "%s", ca_file);
	else {
		curl_defaults(file, sizeof file, dir, sizeof dir);
		if (dir[0] && hashed_dir(dir))
			file[0] = '\0'; /* the same certificates, read on demand */
		else
			dir[0] = '\0';
	}
	X509_STORE *st = xch_tls_store_load(file, dir);
	if (!st)
		log_error("tls", "no trusted certificate could be loaded from %s",
			  file[0]  ? file
			  : dir[0] ? dir
				   : "(none)");
	return st;
}

X509_STORE *xch_tls_store_get(const char *ca_file)
{
	pthread_mutex_lock(&stores.mu);
	int i = 0;
	while (i < stores.n && strcmp(stores.s[i].ca_file, ca_file) != 0)
		i++;
	if (i == stores.n && i < STORES_MAX) {
		snprintf(stores.s[i].ca_file, sizeof stores.s[i].ca_file, "%s", ca_file);
		stores.s[i].st = load(ca_file);
		stores.n++;
	}
	bool slot = i < stores.n;
	X509_STORE *st = slot ? stores.s[i].st : NULL;
	if (st) {
		stores.s[i].uses++;
		X509_STORE_up_ref(st); /* the caller's reference; the table keeps its own */
	}
	pthread_mutex_unlock(&stores.mu);
	/* more files than slots: one per connection, as libcurl did */
	return slot ? st : load(ca_file);
}

static CURLcode on_ssl_ctx(CURL *c, void *ssl_ctx, void *ud)
{
	(void)c;
	X509_STORE *st = xch_tls_store_get(ud);
	if (!st)
		return CURLE_SSL_CACERT_BADFILE;
	SSL_CTX_set_cert_store(ssl_ctx, st); /* takes our reference, frees libcurl's empty store */
	return CURLE_OK;
}

void xch_tls_store_use(CURL *c, const char *ca_file)
{
	if (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) == CURLE_OK &&
	    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, (void *)ca_file) == CURLE_OK) {
		/* nothing for libcurl to parse at each connection: the callback
		 * brings the store (and a connection without it verifies nothing
		 * and fails: the callback cannot be skipped) */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
		return;
	}
	curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, NULL);
	if (ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
}

int xch_tls_store_count(void)
{
	pthread_mutex_lock(&stores.mu);
	int n = stores.n;
	pthread_mutex_unlock(&stores.mu);
	return n;
}

int xch_tls_store_uses(const char *ca_file)
{
	int n = 0;
	pthread_mutex_lock(&stores.mu);
	for (int i = 0; i < stores.n; i++)
		if (!strcmp(stores.s[i].ca_file, ca_file))
			n = stores.s[i].uses;
	pthread_mutex_unlock(&stores.mu);
	return n;
}
