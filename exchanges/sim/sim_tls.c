/* The simulator's TLS material (--tls-dir DIR). DIR holds ca.pem,
 * server.pem and server.key: when the server pair is there it is used as
 * it is (an operator's or a test's own certificate); when none of the three
 * is there a throwaway test CA and a server certificate for 127.0.0.1 /
 * localhost are generated into it with the OpenSSL API (no `openssl`
 * command needed, so every test and the demo get TLS from one flag). The
 * CA's private key is never written: nothing else can be signed by it, and
 * each generated directory is a CA of its own, which is how tests get "a
 * certificate from another CA". Generation runs under a lock on DIR/.lock
 * so sims started together on one directory agree on one CA. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchanges/sim/sim.h"

#define SIM_TLS_DAYS 3650

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	if (!e)
		return -1;
	int rc = X509_add_ext(x, e, -1) ? 0 : -1;
	X509_EXTENSION_free(e);
	return rc;
}

/* A v3 certificate for key, signed by sign_key as issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *sign_key, X509 *issuer, const char *cn, bool ca)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_new();
	int ok = x && bn && X509_set_version(x, 2) && BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_gmtime_adj(X509_getm_notBefore(x), -86400L) &&
		 X509_gmtime_adj(X509_getm_notAfter(x), (long)SIM_TLS_DAYS * 86400L) && X509_set_pubkey(x, key);
	BN_free(bn);
	X509_NAME *n = ok ? X509_get_subject_name(x) : NULL;
	ok = ok &&
	     X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"vigil-sim test", -1, -1, 0) &&
	     X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (ok) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
		ok = !add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") &&
		     !add_ext(x, &ctx, NID_key_usage,
			      ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment") &&
		     !add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     (ca || (!add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
			     !add_ext(x, &ctx, NID_ext_key_usage, "serverAuth") &&
			     !add_ext(x, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"))) &&
		     X509_sign(x, sign_key, EVP_sha256()) > 0;
	}
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes dir/name through a temporary file and rename(), so a reader sees
 * the whole file or none. key != NULL: a private key (mode 0600). */
static int write_pem(const char *dir, const char *name, X509 *cert, EVP_PKEY *key)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, name, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	int ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, cert);
	if (fclose(f) != 0 || !ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int generate(const char *dir)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256");
	X509 *ca = ca_key ? make_cert(ca_key, ca_key, NULL, "vigil-sim test CA", true) : NULL;
	X509 *srv = ca && srv_key ? make_cert(srv_key, ca_key, ca, "127.0.0.1", false) : NULL;
	/* the server pair first: a reader without the lock that sees ca.pem
	 * sees the whole set */
	int rc = srv && !write_pem(dir, "server.key", NULL, srv_key) && !write_pem(dir, "server.pem", srv, NULL) &&
				 !write_pem(dir, "ca.pem", ca, NULL)
			 ? 0
			 : -1;
	X509_free(srv);
	X509_free(ca);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(ca_key);
	return rc;
}

int sim_tls_prepare(const char *dir, struct sim_tls *t, char *err, size_t errlen)
{
	char lock[PATH_MAX];
	memset(t, 0, sizeof *t);
	if (strlen(dir) + 16 >= sizeof t->cert) {
		snprintf(err, errlen, "--tls-dir: path too long");
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "--tls-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(t->ca, sizeof t->ca, "%s/ca.pem", dir);
	snprintf(t->cert, sizeof t->cert, "%s/server.pem", dir);
	snprintf(t->key, sizeof t->key, "%s/server.key", dir);
	snprintf(lock, sizeof lock, "%s/.lock", dir);
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		snprintf(err, errlen, "--tls-dir %s: cannot lock %s: %s", dir, lock, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	int rc = 0;
	bool c = exists(t->cert), k = exists(t->key), a = exists(t->ca);
	if (c && k) {
		t->generated = 0;
	} else if (!c && !k && !a) {
		if (generate(dir) != 0) {
			snprintf(err, errlen, "--tls-dir %s: generating the test CA failed: %s", dir,
				 errno ? strerror(errno) : "OpenSSL error");
			rc = -1;
		}
		t->generated = 1;
	} else {
		snprintf(err, errlen,
			 "--tls-dir %s: has %s%s%s but not the rest; give server.pem and server.key (ca.pem "
			 "optional), or an empty directory to generate all three",
			 dir, c ? "server.pem " : "", k ? "server.key " : "", a ? "ca.pem " : "");
		rc = -1;
	}
	close(lfd); /* releases the lock */
	return rc;
}
