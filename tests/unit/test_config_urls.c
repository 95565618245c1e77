/* The TLS-only rule against tricky URLs: the host judged is the host
 * libcurl connects to (curl_url), so userinfo, fragments, odd IPv4
 * spellings and look-alike names can never pass a remote host as loopback.
 * Every case is checked directly and through the config loader. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/config.h"
#include "watchdog/config_url.h"
#include "base/xalloc.h"

struct url_case {
	const char *url;
	int ok;          /* 1: allowed as http(s) REST URL */
	const char *why; /* a word the refusal must contain */
};

static const struct url_case rest_cases[] = {
	{ "http://127.0.0.1:9/", 1, NULL },
	{ "http://127.255.3.4/", 1, NULL },
	{ "http://localhost:8080/api", 1, NULL },
	{ "http://LOCALHOST/", 1, NULL },
	{ "HTTP://127.0.0.1:1/", 1, NULL },
	{ "http://[::1]:8080/", 1, NULL },
	{ "https://fapi.example.com", 1, NULL },
	{ "https://user:pw@fapi.example.com/", 0, "user" },
	{ "http://evil.example.com#@127.0.0.1/", 0, NULL },
	{ "http://127.0.0.1@evil.example.com/", 0, "user" },
	{ "http://127.0.0.1:80@evil.example.com/", 0, "user" },
	{ "http://evil.example.com\\@127.0.0.1/", 0, NULL },
	{ "http://evil.example.com/#127.0.0.1", 0, "fragment" },
	{ "http://2130706433/", 0, NULL },
	{ "http://0x7f000001/", 0, NULL },
	{ "http://0x7f.0.0.1/", 0, NULL },
	{ "http://0177.0.0.1/", 0, NULL },
	{ "http://127.1/", 0, NULL },
	{ "http://127.0.0.01/", 0, NULL },
	{ "http://[::ffff:127.0.0.1]/", 0, NULL }, /* mapped IPv4: not accepted, write 127.0.0.1 */
	{ "http://localhost.evil.example.com/", 0, "TLS" },
	{ "http://127.0.0.1.nip.io/", 0, "TLS" },
	{ "http://10.0.0.1/", 0, "TLS" },
	{ "ftp://127.0.0.1/", 0, "scheme" },
	{ "127.0.0.1:9", 0, NULL },
	{ "", 0, NULL },
};

static void test_config_url_tricky_table_loopback_only_by_curls_host(void)
{
	for (size_t i = 0; i < sizeof rest_cases / sizeof rest_cases[0]; i++) {
		const struct url_case *c = &rest_cases[i];
		char why[400] = "";
		int rc = wd_url_check(c->url, "https", "http", why, sizeof why);
		if ((rc == 0) != c->ok)
			fprintf(stderr, "url case %zu '%s': rc=%d why=%s\n", i, c->url, rc, why);
		CU_ASSERT_EQUAL(rc == 0, c->ok);
		if (!c->ok)
			CU_ASSERT_NOT_EQUAL(why[0], '\0');
		if (c->why)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, c->why));
		/* a refusal never repeats a password it saw */
		CU_ASSERT_PTR_NULL(strstr(why, ":pw@"));
	}
}

static void test_config_url_ws_and_loopback_spellings(void)
{
	char why[400];
	CU_ASSERT_EQUAL(wd_url_check("ws://127.0.0.1:9/ws", "wss", "ws", why, sizeof why), 0);
	CU_ASSERT_EQUAL(wd_url_check("wss://stream.example.com/ws", "wss", "ws", why, sizeof why), 0);
	CU_ASSERT_NOT_EQUAL(wd_url_check("ws://evil/", "wss", "ws", why, sizeof why), 0);
	CU_ASSERT_NOT_EQUAL(wd_url_check("ws://evil.example.com#@127.0.0.1/", "wss", "ws", why, sizeof why), 0);
	CU_ASSERT_NOT_EQUAL(wd_url_check("http://127.0.0.1/", "wss", "ws", why, sizeof why), 0);
	CU_ASSERT_TRUE(wd_host_is_loopback("127.0.0.1"));
	CU_ASSERT_TRUE(wd_host_is_loopback("[::1]"));
	CU_ASSERT_FALSE(wd_host_is_loopback("127.0.0"));
	CU_ASSERT_FALSE(wd_host_is_loopback("127.0.0.1."));
	CU_ASSERT_FALSE(wd_host_is_loopback("127.0.0.256"));
	CU_ASSERT_FALSE(wd_host_is_loopback("127.0.0.1x"));
	CU_ASSERT_FALSE(wd_host_is_loopback("128.0.0.1"));
}

static struct wd_conf conf;

static int load(const char *vigil_extra, const char *rest_url, char *err, size_t errlen)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "[vigil]\n%s\n[account a]\nexchange = binance\nrest_url = %s\nws_url = ws://127.0.0.1:9\n"
		 "api_key_env = VIGIL_U_KEY\napi_secret_env = VIGIL_U_SECRET\n",
		 vigil_extra, rest_url);
	char *p = tu_write_temp(text, 0600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	memset(&conf, 0, sizeof conf);
	int rc = wd_conf_load(p, &conf, err, errlen);
	if (rc == 0)
		wd_conf_free(&conf);
	unlink(p);
	free(p);
	return rc;
}

static void test_config_url_rules_apply_to_every_url_key_through_the_loader(void)
{
	setenv("VIGIL_U_KEY", "k", 1);
	setenv("VIGIL_U_SECRET", "s", 1);
	char err[1024];
	for (size_t i = 0; i < sizeof rest_cases / sizeof rest_cases[0]; i++) {
		const struct url_case *c = &rest_cases[i];
		if (!*c->url || strchr(c->url, '\\'))
			continue; /* an empty value is "missing"; a backslash is refused either way */
		int rc = load("", c->url, err, sizeof err);
		CU_ASSERT_EQUAL(rc == 0, c->ok);
		if (!c->ok)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "rest_url"));
	}
	/* deadman_url is a URL key too (it was not checked at all) */
	CU_ASSERT_NOT_EQUAL(load("deadman_url = http://hc.example.com/ping", "http://127.0.0.1:9", err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "deadman_url"));
	CU_ASSERT_NOT_EQUAL(
		load("deadman_url = http://evil.example.com#@127.0.0.1/", "http://127.0.0.1:9", err, sizeof err), 0);
	CU_ASSERT_EQUAL(load("deadman_url = https://hc-ping.com/uuid", "http://127.0.0.1:9", err, sizeof err), 0);
	CU_ASSERT_EQUAL(load("deadman_url = http://127.0.0.1:9/ping", "http://127.0.0.1:9", err, sizeof err), 0);
}

void test_config_urls_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_config_url_tricky_table_loopback_only_by_curls_host",
		  test_config_url_tricky_table_loopback_only_by_curls_host },
		{ "test_config_url_ws_and_loopback_spellings", test_config_url_ws_and_loopback_spellings },
		{ "test_config_url_rules_apply_to_every_url_key_through_the_loader",
		  test_config_url_rules_apply_to_every_url_key_through_the_loader },
		{ NULL, NULL },
	};
	tu_add_suite("config_urls", tests);
}
