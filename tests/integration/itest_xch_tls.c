/* The adapters over TLS against vigil-sim --tls-dir (issue 21): the
 * account's ca_file decides whom REST and the stream trust; a certificate
 * from another CA (or, without ca_file, the system's bundle, which does not
 * know the test CA) is refused with the verification failure named. */
#include "tests/integration/itest_xch_kit.h"

#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "exchanges/tls_store.h"

static char tls_root[256];

/* dir/ca.pem of a CA of its own: a sim started once on dir generates it. */
static int make_ca(const char *dir)
{
	int port;
	pid_t pid = tu_spawn_server(
		(char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", "--tls-dir", (char *)dir, NULL }, &port,
		5000);
	if (pid <= 0)
		return -1;
	tu_stop_server(pid);
	return 0;
}

static int tls_start(struct kit *k, char *good_ca, char *other_ca, size_t cap)
{
	char dir[300], other[300];
	memset(k, 0, sizeof *k);
	if (!tls_root[0]) {
		/* under the run's directory when there is one (removed with it) */
		const char *base = getenv("VIGIL_TEST_LOGDIR");
		snprintf(tls_root, sizeof tls_root, "%s/itest-tls.XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(tls_root))
			return -1;
	}
	snprintf(dir, sizeof dir, "%s/sim", tls_root);
	snprintf(other, sizeof other, "%s/other", tls_root);
	if (make_ca(other) != 0)
		return -1;
	k->pid =
		tu_spawn_server((char *[]){ (char *)tu_build_path("vigil-sim"), "--port", "0", "--tls-dir", dir, NULL },
				&k->port, 5000);
	if (k->pid <= 0)
		return -1;
	snprintf(good_ca, cap, "%s/ca.pem", dir);
	snprintf(other_ca, cap, "%s/ca.pem", other);
	k->sc = xcalloc(1, sizeof *k->sc);
	return 0;
}

/* An adapter on https:// / wss:// with ca_file ("" = the system's trust),
 * through proxy (NULL: none). */
static struct xch *tls_adapter_via(struct kit *k, enum rec_exchange ex, const char *ca_file, const char *proxy)
{
	return ex == REC_EX_BINANCE ? kit_adapter_tls(k, ex, "sim-binance-key", "sim-binance-secret", ca_file, proxy)
				    : kit_adapter_tls(k, ex, "sim-bybit-key", "sim-bybit-secret", ca_file, proxy);
}

static struct xch *tls_adapter(struct kit *k, enum rec_exchange ex, const char *ca_file)
{
	return tls_adapter_via(k, ex, ca_file, NULL);
}

static void itest_tls_rest_trusts_ca_file_and_refuses_another_ca(void)
{
	struct kit k;
	char good[320], other[320];
	CU_ASSERT_EQUAL_FATAL(tls_start(&k, good, other, sizeof good), 0);
	const char *cas[] = { good, other, "" };
	for (int i = 0; i < 3; i++) {
		k.x = tls_adapter(&k, REC_EX_BINANCE, cas[i]);
		CU_ASSERT_TRUE_FATAL(k.x != NULL);
		struct xch_listing l;
		memset(&l, 0, sizeof l);
		int rc = xch_fetch_listing(k.x, &l);
		if (i == 0) {
			CU_ASSERT_EQUAL(rc, XCH_OK);
		} else {
			/* another CA, or the system's bundle: refused, and said so */
			CU_ASSERT_EQUAL(rc, XCH_NETWORK);
			CU_ASSERT_PTR_NOT_NULL(strstr(l.pos_err.msg, "SSL certificate problem"));
			if (!strstr(l.pos_err.msg, "SSL certificate problem"))
				fprintf(stderr, "REST error with ca_file '%s': %s\n", cas[i], l.pos_err.msg);
		}
		xch_listing_free(&l);
		xch_free(k.x);
		k.x = NULL;
	}
	kit_stop(&k);
}

/* path = a copy of src (a CA file no test has loaded yet) */
static int copy_file(const char *src, const char *path)
{
	FILE *in = fopen(src, "rb"), *out = in ? fopen(path, "wb") : NULL;
	char buf[4096];
	size_t n;
	int rc = in && out ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* Every account's REST connections share one certificate store per CA
 * file (tls_store.h: libcurl alone made one per multi handle, 2.7 MiB per
 * account with the system's bundle), and each connection still gets the
 * store of its own account's file: a shared store never lends one
 * account's trust to another. */
static void itest_tls_rest_accounts_share_one_store_per_ca_file(void)
{
	struct kit k;
	char good[320], other[320], good2[340], other2[340];
	CU_ASSERT_EQUAL_FATAL(tls_start(&k, good, other, sizeof good), 0);
	static int nth;
	snprintf(good2, sizeof good2, "%s/shared-good-%d.pem", tls_root, ++nth);
	snprintf(other2, sizeof other2, "%s/shared-other-%d.pem", tls_root, nth);
	CU_ASSERT_EQUAL_FATAL(copy_file(good, good2), 0);
	CU_ASSERT_EQUAL_FATAL(copy_file(other, other2), 0);
	int n0 = xch_tls_store_count();
	struct xch *xs[5];
	for (int i = 0; i < 5; i++) {
		/* four accounts trust good2, the fifth other2 */
		xs[i] = tls_adapter(&k, REC_EX_BINANCE, i < 4 ? good2 : other2);
		CU_ASSERT_TRUE_FATAL(xs[i] != NULL);
		struct xch_listing l;
		memset(&l, 0, sizeof l);
		int rc = xch_fetch_listing(xs[i], &l);
		if (i < 4) {
			CU_ASSERT_EQUAL(rc, XCH_OK);
			CU_ASSERT_EQUAL(xch_tls_store_count(), n0 + 1);
		} else {
			CU_ASSERT_EQUAL(rc, XCH_NETWORK);
			CU_ASSERT_PTR_NOT_NULL(strstr(l.pos_err.msg, "SSL certificate problem"));
			CU_ASSERT_EQUAL(xch_tls_store_count(), n0 + 2);
		}
		xch_listing_free(&l);
	}
	/* again, on connections that already exist and on new ones */
	for (int i = 0; i < 5; i++) {
		struct xch_listing l;
		memset(&l, 0, sizeof l);
		CU_ASSERT_EQUAL(xch_fetch_listing(xs[i], &l), i < 4 ? XCH_OK : XCH_NETWORK);
		xch_listing_free(&l);
		xch_free(xs[i]);
	}
	CU_ASSERT_EQUAL(xch_tls_store_count(), n0 + 2);
	kit_stop(&k);
}

/* The default trust on Debian is the hashed /etc/ssl/certs: a store on
 * such a directory holds nothing until a chain asks, then only the
 * certificate that chain needs (the bundle costs OpenSSL 3.0 ~45 ms and
 * ~1.3 MiB to parse whole); a CA of the same name but another key verifies
 * nothing. */
static void link_hashed(const char *dir, const char *ca, const char *as)
{
	char dst[400], link[400];
	snprintf(dst, sizeof dst, "%s/%s", dir, as);
	CU_ASSERT_EQUAL_FATAL(copy_file(ca, dst), 0);
	FILE *f = fopen(dst, "r");
	CU_ASSERT_TRUE_FATAL(f != NULL);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CU_ASSERT_TRUE_FATAL(x != NULL);
	unsigned long h = X509_subject_name_hash(x);
	X509_free(x);
	int n = 0; /* `openssl rehash` numbers names that hash alike .0, .1, ... */
	do
		snprintf(link, sizeof link, "%s/%08lx.%d", dir, h, n);
	while (symlink(as, link) != 0 && errno == EEXIST && ++n < 10);
	CU_ASSERT_TRUE(n < 10);
}

static int verify_with(X509_STORE *st, const char *cert_file)
{
	FILE *f = fopen(cert_file, "r");
	if (!f)
		return -1;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	int ok = x && c && X509_STORE_CTX_init(c, st, x, NULL) == 1 ? X509_verify_cert(c) : -1;
	X509_STORE_CTX_free(c);
	X509_free(x);
	return ok;
}

static void itest_tls_hashed_directory_is_read_on_demand(void)
{
	struct kit k;
	char good[320], other[320], dir[340], lone[340], server[340];
	CU_ASSERT_EQUAL_FATAL(tls_start(&k, good, other, sizeof good), 0);
	static int nth;
	snprintf(dir, sizeof dir, "%s/hashed-%d", tls_root, ++nth);
	snprintf(lone, sizeof lone, "%s/hashed-other-%d", tls_root, nth);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(lone, 0700), 0);
	link_hashed(dir, good, "sim-ca.pem");
	/* and CAs of other names, as a system's directory has */
	const char *sys[] = { "/etc/ssl/certs/ISRG_Root_X1.pem", "/etc/ssl/certs/DigiCert_Global_Root_G2.pem" };
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
		if (access(sys[i], R_OK) == 0)
			link_hashed(dir, sys[i], strrchr(sys[i], '/') + 1);
	link_hashed(lone, other, "other-ca.pem"); /* the same name as the sim's CA */
	snprintf(server, sizeof server, "%s/sim/server.pem", tls_root);

	X509_STORE *st = xch_tls_store_load(NULL, dir);
	CU_ASSERT_TRUE_FATAL(st != NULL);
	CU_ASSERT_EQUAL(sk_X509_OBJECT_num(X509_STORE_get0_objects(st)), 0);
	CU_ASSERT_EQUAL(verify_with(st, server), 1);
	CU_ASSERT_EQUAL(sk_X509_OBJECT_num(X509_STORE_get0_objects(st)), 1); /* the sim's CA alone */
	X509_STORE_free(st);

	st = xch_tls_store_load(NULL, lone);
	CU_ASSERT_TRUE_FATAL(st != NULL);
	CU_ASSERT_EQUAL(verify_with(st, server), 0);
	X509_STORE_free(st);
	CU_ASSERT_PTR_NULL(xch_tls_store_load(NULL, NULL));

	/* the default trust here (libcurl's /etc/ssl/certs, hashed by
	 * ca-certificates) is such a directory: not ~145 parsed certificates */
	st = xch_tls_store_get("");
	CU_ASSERT_TRUE_FATAL(st != NULL);
	CU_ASSERT_TRUE(sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) < 10);
	X509_STORE_free(st);
	kit_stop(&k);
}

/* lws' own "E: SSL error: ..." lines would land in the middle of CUnit's
 * "Test: ... passed" line on stderr (and run.sh reads that line) */
static void lws_quiet(int level, const char *line)
{
	(void)level;
	(void)line;
}

static bool log_has(FILE *f, const char *what)
{
	char line[1024];
	bool hit = false;
	fflush(f);
	rewind(f);
	while (!hit && fgets(line, sizeof line, f))
		hit = strstr(line, what) != NULL;
	fseek(f, 0, SEEK_END);
	return hit;
}

static void itest_tls_stream_trusts_ca_file_and_refuses_another_ca(void)
{
	struct kit k;
	char good[320], other[320];
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(tls_start(&k, good, other, sizeof good), 0);

	/* Bybit: the stream is the WebSocket alone (no REST call first) */
	int uses0 = xch_tls_store_uses(good);
	k.x = tls_adapter(&k, REC_EX_BYBIT, good);
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_TRUE(kit_wait(&k, kit_is_up, NULL, 5000));
	CU_ASSERT_TRUE(atomic_load(&k.events) >= 1); /* the connect event */
	/* the stream's TLS context verified with the shared store of good */
	CU_ASSERT_EQUAL(xch_tls_store_uses(good), uses0 + 1);
	xch_free(k.x);

	FILE *lf = tmpfile();
	CU_ASSERT_TRUE_FATAL(lf != NULL);
	int saved = log_verbosity;
	if (log_verbosity < LOG_LVL_WARN)
		log_set_level(LOG_LVL_WARN);
	log_set_stream(lf);
	lws_set_log_level(LLL_ERR, lws_quiet);
	k.x = tls_adapter(&k, REC_EX_BYBIT, other);
	CU_ASSERT_TRUE_FATAL(k.x != NULL);
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	int64_t end = kit_ms() + 5000;
	while (kit_ms() < end && !log_has(lf, "TLS certificate verification failed"))
		usleep(20000);
	CU_ASSERT_FALSE(kit_wait(&k, kit_is_up, NULL, 300));
	xch_free(k.x);
	k.x = NULL;
	lws_set_log_level(LLL_ERR, lwsl_emit_stderr);
	log_flush();
	log_set_stream(NULL);
	log_set_level((enum log_level)saved);
	CU_ASSERT_TRUE(log_has(lf, "stream connect failed: TLS certificate verification failed: unable to get local "
				   "issuer certificate"));
	fclose(lf);
	kit_stop(&k);
}

/* Two streams with one ca_file, one of them through a proxy: two lws
 * vhosts, and lws gives the second the first one's TLS context (its
 * settings hash alike). The shared store must be installed on that path
 * too, or the stream would be refused (fail closed); a third, through the
 * same proxy but with another CA, gets a context of its own and is
 * refused. */
static void itest_tls_streams_through_a_proxy_share_the_ca_files_context(void)
{
	struct kit k;
	char good[320], other[320], proxy[64];
	struct xch_err err;
	CU_ASSERT_EQUAL_FATAL(tls_start(&k, good, other, sizeof good), 0);
	int pport = 0;
	char plog[340];
	static int nth;
	snprintf(plog, sizeof plog, "%s/proxy-%d.log", tls_root, ++nth);
	pid_t ppid = tu_spawn_server((char *[]){ "/usr/bin/env", "python3", "tests/support/connect_proxy.py", "--port",
						 "0", "--log", plog, NULL },
				     &pport, 5000);
	CU_ASSERT_TRUE_FATAL(ppid > 0);
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", pport);
	lws_set_log_level(LLL_ERR, lws_quiet); /* off CUnit's "Test: ... passed" line */

	struct kit k2 = k; /* the same sim; events counted apart */
	atomic_store(&k2.events, 0);
	k.x = tls_adapter(&k, REC_EX_BYBIT, good);
	k2.x = tls_adapter_via(&k2, REC_EX_BYBIT, good, proxy);
	CU_ASSERT_TRUE_FATAL(k.x != NULL && k2.x != NULL);
	CU_ASSERT_EQUAL_FATAL(k.x->ops->stream_start(k.x, &err), XCH_OK);
	CU_ASSERT_EQUAL_FATAL(k2.x->ops->stream_start(k2.x, &err), XCH_OK);
	CU_ASSERT_TRUE(kit_wait(&k, kit_is_up, NULL, 5000));
	CU_ASSERT_TRUE(kit_wait(&k2, kit_is_up, NULL, 5000));
	size_t ll = 0;
	char *pl = tu_read_file(plog, &ll);
	CU_ASSERT_PTR_NOT_NULL(pl && strstr(pl, "\"agent\": \"lws\"")); /* the stream went through the proxy */
	free(pl);
	xch_free(k2.x);
	k2.x = NULL;

	k2.x = tls_adapter_via(&k2, REC_EX_BYBIT, other, proxy);
	CU_ASSERT_TRUE_FATAL(k2.x != NULL);
	CU_ASSERT_EQUAL_FATAL(k2.x->ops->stream_start(k2.x, &err), XCH_OK);
	CU_ASSERT_FALSE(kit_wait(&k2, kit_is_up, NULL, 1500));
	xch_free(k2.x);
	lws_set_log_level(LLL_ERR, lwsl_emit_stderr);
	tu_stop_server(ppid);
	kit_stop(&k);
}

void itest_xch_tls_register(void)
{
	static const struct tu_test tests[] = {
		{ "itest_tls_rest_trusts_ca_file_and_refuses_another_ca",
		  itest_tls_rest_trusts_ca_file_and_refuses_another_ca },
		{ "itest_tls_hashed_directory_is_read_on_demand", itest_tls_hashed_directory_is_read_on_demand },
		{ "itest_tls_rest_accounts_share_one_store_per_ca_file",
		  itest_tls_rest_accounts_share_one_store_per_ca_file },
		{ "itest_tls_stream_trusts_ca_file_and_refuses_another_ca",
		  itest_tls_stream_trusts_ca_file_and_refuses_another_ca },
		{ "itest_tls_streams_through_a_proxy_share_the_ca_files_context",
		  itest_tls_streams_through_a_proxy_share_the_ca_files_context },
		{ NULL, NULL },
	};
	tu_add_suite("xch_tls", tests);
}
