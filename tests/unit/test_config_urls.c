/* The URL rule (watchdog/config_url.c): a table of tricky URLs, each
 * checked by wd_url_check directly and through the real config loader under
 * the key that uses that rule. The loopback decision is made on the host
 * libcurl parses, so userinfo or a fragment cannot move it; other spellings
 * of 127/8 count as remote (resolvers disagree on them). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/config.h"
#include "watchdog/config_url.h"
#include "base/xalloc.h"

enum key { K_REST, K_WS, K_DEADMAN, K_WEBHOOK, K_SMTP_STARTTLS, K_SMTP_CLEAR };

static const struct wd_url_rule rest_rule = { "https", "http", false, true };
static const struct wd_url_rule ws_rule = { "wss", "ws", false, true };
static const struct wd_url_rule page_rule = { "https", "http", false, false };
static const struct wd_url_rule smtp_starttls = { "smtps", "smtp", true, true };
static const struct wd_url_rule smtp_clear = { "smtps", "smtp", false, true };

static const struct wd_url_rule *rule_of(enum key k)
{
	switch (k) {
	case K_REST: return &rest_rule;
	case K_WS: return &ws_rule;
	case K_DEADMAN:
	case K_WEBHOOK: return &page_rule;
	case K_SMTP_STARTTLS: return &smtp_starttls;
	case K_SMTP_CLEAR: return &smtp_clear;
	}
	return NULL;
}

struct url_case {
	enum key key;
	const char *url;
	enum wd_url_verdict want;
	const char *why; /* a word the message must contain (failures) */
};

#define OK WD_URL_OK
#define BAD WD_URL_BAD
#define REMOTE WD_URL_PLAIN_REMOTE

static const struct url_case cases[] = {
	/* the bypass: libcurl's host is evil.example.com */
	{ K_REST, "http://evil.example.com#@127.0.0.1/", BAD, "fragment" },
	{ K_REST, "https://evil.example.com#@127.0.0.1/", BAD, "fragment" },
	{ K_REST, "http://127.0.0.1@evil.example.com/", BAD, "userinfo" },
	{ K_REST, "http://evil.example.com\\@127.0.0.1/", BAD, "userinfo" },
	{ K_REST, "http://evil.example.com%23@127.0.0.1/", BAD, "userinfo" },
	{ K_REST, "http://u:PW7x@127.0.0.1:1/", BAD, "userinfo" },
	{ K_REST, "http://:@127.0.0.1:1/", BAD, "userinfo" },
	{ K_REST, "https://key:SEC7x@fapi.example.com", BAD, "userinfo" },
	/* loopback, written plainly */
	{ K_REST, "http://127.0.0.1:1", OK, NULL },
	{ K_REST, "http://127.255.255.254:1/", OK, NULL },
	{ K_REST, "http://localhost:1", OK, NULL },
	{ K_REST, "http://LOCALHOST:1", OK, NULL },
	{ K_REST, "http://[::1]:8080/", OK, NULL },
	/* decided: IPv4-mapped IPv6 is not loopback (write 127.0.0.1) */
	{ K_REST, "http://[::ffff:127.0.0.1]/", REMOTE, "loopback" },
	{ K_REST, "http://[::ffff:7f00:1]/", REMOTE, "loopback" },
	/* other spellings of 127/8: libcurl reads 127.0.0.1, others may not */
	{ K_REST, "http://2130706433/", REMOTE, "2130706433" },
	{ K_REST, "http://0x7f000001/", REMOTE, "loopback" },
	{ K_REST, "http://0x7f.0.0.1/", REMOTE, "loopback" },
	{ K_REST, "http://0177.0.0.1/", REMOTE, "loopback" },
	{ K_REST, "http://127.1/", REMOTE, "loopback" },
	{ K_REST, "http://127.000.000.001/", REMOTE, "loopback" },
	{ K_REST, "http://%31%32%37.0.0.1/", REMOTE, "loopback" },
	{ K_REST, "http://[0:0:0:0:0:0:0:1]/", REMOTE, "loopback" },
	{ K_REST, "http://[::1%25lo]/", REMOTE, "loopback" },
	{ K_REST, "http://127.0.0.1:/", REMOTE, "loopback" },
	{ K_REST, "http://127.256.0.1/", REMOTE, "loopback" },
	/* names that merely start like loopback */
	{ K_REST, "http://localhost.evil.example.com/", REMOTE, "localhost.evil.example.com" },
	{ K_REST, "http://127.0.0.1.nip.io/", REMOTE, "nip.io" },
	{ K_REST, "http://localhost./", REMOTE, "loopback" },
	{ K_REST, "http://127.0.0.1.:1", REMOTE, "loopback" },
	{ K_REST, "http://10.1.2.3:8080", REMOTE, "https://" },
	/* decided: the scheme is written lowercase ("WSS://" would not get
	 * TLS from the stream code, which compares it as written) */
	{ K_REST, "HTTP://127.0.0.1:1/", BAD, "lowercase" },
	{ K_REST, "HTTPS://fapi.example.com", BAD, "lowercase" },
	{ K_REST, "http:/127.0.0.1:1/", BAD, "two slashes" },
	{ K_REST, "http:///127.0.0.1:1/", BAD, "two slashes" },
	{ K_REST, "https://evil.example.com/", OK, NULL },
	{ K_REST, "https://2130706433/", OK, NULL }, /* TLS: verified whatever it names */
	{ K_REST, "https://fapi.example.com/?x=1", BAD, "query" },
	{ K_REST, "http://127.0.0.1:9#", BAD, "fragment" },
	{ K_REST, "ftp://127.0.0.1/", BAD, "scheme must be https://" },
	{ K_REST, "ws://127.0.0.1:1", BAD, "scheme must be https://" },
	{ K_REST, "127.0.0.1:9", BAD, "not a URL" },
	{ K_REST, "http://", BAD, "not a URL" },
	{ K_REST, "http://127.0.0.1:99999", BAD, "not a URL" },
	/* ws_url: ws:// and wss:// parse although this libcurl has no ws */
	{ K_WS, "ws://127.0.0.1:9/ws", OK, NULL },
	{ K_WS, "ws://localhost:9/v5/private", OK, NULL },
	{ K_WS, "wss://stream.example.com/ws", OK, NULL },
	{ K_WS, "ws://evil/", REMOTE, "wss://" },
	{ K_WS, "ws://evil.example.com#@127.0.0.1/", BAD, "fragment" },
	{ K_WS, "ws://127.0.0.1@evil.example.com/", BAD, "userinfo" },
	{ K_WS, "WSS://stream.example.com", BAD, "lowercase" },
	{ K_WS, "https://stream.example.com", BAD, "scheme must be wss://" },
	/* deadman_url and the webhook: used as written, a ?query is fine */
	{ K_DEADMAN, "http://hc.example.com/ping", REMOTE, "https://" },
	{ K_DEADMAN, "https://hc-ping.com/uuid", OK, NULL },
	{ K_DEADMAN, "https://hc-ping.com/uuid?rid=1", OK, NULL },
	{ K_DEADMAN, "http://127.0.0.1:9/ping?x=1", OK, NULL },
	{ K_DEADMAN, "https://hc-ping.com/uuid#x", BAD, "fragment" },
	{ K_WEBHOOK, "http://evil.example.com#@127.0.0.1/hook", BAD, "fragment" },
	{ K_WEBHOOK, "https://u:PW7x@hooks.example.com/x", BAD, "userinfo" },
	{ K_WEBHOOK, "http://hooks.example.com/x", REMOTE, "https://" },
	{ K_WEBHOOK, "https://hooks.example.com/x?token=1", OK, NULL },
	/* smtp: plain smtp:// to a remote relay needs STARTTLS */
	{ K_SMTP_STARTTLS, "smtp://mail.example.com:587", OK, NULL },
	{ K_SMTP_STARTTLS, "smtps://mail.example.com", OK, NULL },
	{ K_SMTP_STARTTLS, "smtp://user:PW7x@mail.example.com:587", BAD, "userinfo" },
	{ K_SMTP_STARTTLS, "smtp://u;AUTH=x@mail.example.com:587", BAD, "userinfo" },
	{ K_SMTP_STARTTLS, "http://mail.example.com", BAD, "scheme must be smtps://" },
	{ K_SMTP_CLEAR, "smtp://127.0.0.1:25", OK, NULL },
	{ K_SMTP_CLEAR, "smtp://mail.example.com:587", REMOTE, "loopback" },
	{ K_SMTP_CLEAR, "smtp://127.1:25", REMOTE, "loopback" },
};

static const char *verdict_name(enum wd_url_verdict v)
{
	return v == OK ? "ok" : v == BAD ? "bad" : "plain-remote";
}

static void test_url_table_checked_directly(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct url_case *t = &cases[i];
		char why[1024] = "";
		enum wd_url_verdict v = wd_url_check(t->url, rule_of(t->key), why, sizeof why);
		if (v != t->want || (t->why && !strstr(why, t->why)))
			fprintf(stderr, "\n  %s: got %s (%s), want %s with '%s'\n", t->url, verdict_name(v), why,
				verdict_name(t->want), t->why ? t->why : "");
		CU_ASSERT_EQUAL(v, t->want);
		if (t->why)
			CU_ASSERT_PTR_NOT_NULL(strstr(why, t->why));
		/* a password in the URL is never quoted back */
		CU_ASSERT_PTR_NULL(strstr(why, "PW7x"));
		CU_ASSERT_PTR_NULL(strstr(why, "SEC7x"));
	}
}

/* allocated once (it is large), reachable to the end */
static struct wd_conf *conf;
static char err[1024];

/* Writes a config with url under the key k and loads it. *line: the line
 * the URL is on. */
static int load_url(enum key k, const char *url, int *line)
{
	const char *acct = "[account a]\n"
			   "exchange = binance\n"
			   "api_key_env = VIGIL_TU_KEY\n"
			   "api_secret_env = VIGIL_TU_KEY\n";
	char *text;
	switch (k) {
	case K_REST:
		text = xasprintf("%srest_url = %s\nws_url = ws://127.0.0.1:1\n", acct, url);
		*line = 5;
		break;
	case K_WS:
		text = xasprintf("%srest_url = http://127.0.0.1:1\nws_url = %s\n", acct, url);
		*line = 6;
		break;
	case K_DEADMAN:
		text = xasprintf("[vigil]\ndeadman_url = %s\n%srest_url = http://127.0.0.1:1\n"
				 "ws_url = ws://127.0.0.1:1\n",
				 url, acct);
		*line = 2;
		break;
	case K_WEBHOOK:
		text = xasprintf("%srest_url = http://127.0.0.1:1\nws_url = ws://127.0.0.1:1\n"
				 "[alerts.webhook]\nenabled = true\nurl = %s\n",
				 acct, url);
		*line = 9;
		break;
	default:
		text = xasprintf("%srest_url = http://127.0.0.1:1\nws_url = ws://127.0.0.1:1\n"
				 "[alerts.smtp]\nenabled = true\nfrom = a@example.com\nto = b@example.com\n"
				 "require_starttls = %s\nurl = %s\n",
				 acct, k == K_SMTP_STARTTLS ? "true" : "false", url);
		*line = 12;
		break;
	}
	char *p = tu_write_temp(text, 0600);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	err[0] = '\0';
	int rc = wd_conf_load(p, conf, err, sizeof err);
	unlink(p);
	free(p);
	return rc;
}

static const char *key_name(enum key k)
{
	static const char *const n[] = { "rest_url", "ws_url", "deadman_url", "url", "url", "url" };
	return n[k];
}

static void test_url_table_through_the_config_loader(void)
{
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct url_case *t = &cases[i];
		int line;
		int rc = load_url(t->key, t->url, &line);
		char at[32];
		snprintf(at, sizeof at, ":%d: ", line);
		if ((rc == 0) != (t->want == OK))
			fprintf(stderr, "\n  %s under %s: rc=%d (%s)\n", t->url, key_name(t->key), rc, err);
		CU_ASSERT_EQUAL(rc == 0, t->want == OK);
		if (rc == 0) {
			wd_conf_free(conf);
			continue;
		}
		/* the message names file:line and the key */
		CU_ASSERT_PTR_NOT_NULL(strstr(err, at));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, key_name(t->key)));
		if (t->why && t->key != K_SMTP_CLEAR)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, t->why));
		CU_ASSERT_PTR_NULL(strstr(err, "PW7x"));
		CU_ASSERT_PTR_NULL(strstr(err, "SEC7x"));
	}
}

/* The SMTP message says which key sends in clear. */
static void test_smtp_plain_to_a_remote_relay_names_require_starttls(void)
{
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	int line;
	CU_ASSERT_NOT_EQUAL(load_url(K_SMTP_CLEAR, "smtp://mail.example.com:587", &line), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "require_starttls = false"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":12: [alerts.smtp] url"));
}

/* A password in a URL that does not even parse is not printed either. */
static void test_unparsable_url_with_a_password_is_not_quoted(void)
{
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	int line;
	CU_ASSERT_NOT_EQUAL(load_url(K_REST, "http://u:hunter2pw@127.0.0.1:1/a b", &line), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rest_url"));
	CU_ASSERT_PTR_NULL(strstr(err, "hunter2pw"));
}

/* Telegram's api_url is a base URL (the token is appended to its path),
 * checked when the channel is enabled; its default is https. */
static void test_telegram_api_url_follows_the_rule(void)
{
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	const char *head = "[account a]\nexchange = binance\napi_key_env = VIGIL_TU_KEY\n"
			   "api_secret_env = VIGIL_TU_KEY\nrest_url = http://127.0.0.1:1\nws_url = ws://127.0.0.1:1\n"
			   "[alerts.telegram]\nenabled = true\ntoken_env = VIGIL_TU_KEY\nchat_ids = 1\n";
	const char *urls[] = { "http://evil.example.com#@127.0.0.1", "http://api.telegram.org",
			       "https://api.telegram.org?x=", "http://127.0.0.1@api.telegram.org" };
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		char *text = xasprintf("%sapi_url = %s\n", head, urls[i]);
		char *p = tu_write_temp(text, 0600);
		free(text);
		CU_ASSERT_NOT_EQUAL(wd_conf_load(p, conf, err, sizeof err), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, ":11: [alerts.telegram] api_url"));
		unlink(p);
		free(p);
	}
	char *p = tu_write_temp(head, 0600);
	CU_ASSERT_EQUAL(wd_conf_load(p, conf, err, sizeof err), 0); /* the default */
	wd_conf_free(conf);
	unlink(p);
	free(p);
}

/* The line named is the one the wrong URL is on: the next account's
 * rest_url (its first key, read before the new account is current) does
 * not move it. */
static void test_account_url_error_names_its_own_line(void)
{
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	const char *text = "[account a]\nexchange = binance\napi_key_env = VIGIL_TU_KEY\n"
			   "api_secret_env = VIGIL_TU_KEY\nrest_url = http://2130706433:1\nws_url = ws://127.0.0.1:1\n"
			   "[account b]\nrest_url = http://127.0.0.1:2\nexchange = bybit\napi_key_env = VIGIL_TU_KEY\n"
			   "api_secret_env = VIGIL_TU_KEY\nws_url = ws://0x7f000001:2\n";
	char *p = tu_write_temp(text, 0600);
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	CU_ASSERT_NOT_EQUAL(wd_conf_load(p, conf, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":5: [account a] rest_url"));
	unlink(p);
	free(p);
	/* account a fixed: now b's ws_url, on line 12 */
	char *fixed = xasprintf("%.*shttp://127.0.0.1:1%s", (int)(strstr(text, "http://2130706433:1") - text), text,
				strstr(text, "http://2130706433:1") + strlen("http://2130706433:1"));
	p = tu_write_temp(fixed, 0600);
	free(fixed);
	CU_ASSERT_NOT_EQUAL(wd_conf_load(p, conf, err, sizeof err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":12: [account b] ws_url"));
	unlink(p);
	free(p);
}

/* The same loopback predicate serves the database DSN hosts. */
static void test_loopback_host_predicate_and_the_dsn(void)
{
	const char *yes[] = { "127.0.0.1", "127.0.0.53", "127.255.255.255", "localhost", "LocalHost", "::1", "[::1]" };
	const char *no[] = { "127.1",
			     "127.0.0.1.",
			     "0x7f000001",
			     "2130706433",
			     "0177.0.0.1",
			     "127.0.0.01",
			     "127.256.0.1",
			     "127.0.0.1.5",
			     "localhost.evil.example.com",
			     "::ffff:127.0.0.1",
			     "128.0.0.1",
			     "",
			     "127.0.0.1:5432" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		CU_ASSERT_TRUE(wd_host_is_loopback(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		if (wd_host_is_loopback(no[i], strlen(no[i])))
			fprintf(stderr, "\n  '%s' taken as loopback\n", no[i]);
		CU_ASSERT_FALSE(wd_host_is_loopback(no[i], strlen(no[i])));
	}
	setenv("VIGIL_TU_KEY", "tu-key-value", 1);
	const char *acct =
		"[account a]\nexchange = binance\napi_key_env = VIGIL_TU_KEY\n"
		"api_secret_env = VIGIL_TU_KEY\nrest_url = https://a.example.com\nws_url = wss://a.example.com\n";
	struct {
		const char *dsn;
		int ok;
	} dsns[] = {
		{ "host=127.0.0.1,::1,localhost dbname=x sslmode=disable", 1 },
		{ "host=/var/run/postgresql dbname=x", 1 },
		{ "host=127.1 dbname=x sslmode=disable", 0 },
		{ "hostaddr=127.0.0.1.5 dbname=x sslmode=disable", 0 },
		{ "host=localhost.evil.example.com dbname=x sslmode=disable", 0 },
		{ "host=127.1 dbname=x sslmode=verify-full", 1 },
	};
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	for (size_t i = 0; i < sizeof dsns / sizeof dsns[0]; i++) {
		char *text = xasprintf("[database]\nenabled = true\ndsn = %s\n%s", dsns[i].dsn, acct);
		char *p = tu_write_temp(text, 0600);
		free(text);
		int rc = wd_conf_load(p, conf, err, sizeof err);
		if ((rc == 0) != dsns[i].ok)
			fprintf(stderr, "\n  dsn '%s': rc=%d (%s)\n", dsns[i].dsn, rc, err);
		CU_ASSERT_EQUAL(rc == 0, dsns[i].ok);
		if (rc == 0)
			wd_conf_free(conf);
		else
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "sslmode"));
		unlink(p);
		free(p);
	}
}

void test_config_urls_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_url_table_checked_directly", test_url_table_checked_directly },
		{ "test_url_table_through_the_config_loader", test_url_table_through_the_config_loader },
		{ "test_smtp_plain_to_a_remote_relay_names_require_starttls",
		  test_smtp_plain_to_a_remote_relay_names_require_starttls },
		{ "test_unparsable_url_with_a_password_is_not_quoted",
		  test_unparsable_url_with_a_password_is_not_quoted },
		{ "test_telegram_api_url_follows_the_rule", test_telegram_api_url_follows_the_rule },
		{ "test_account_url_error_names_its_own_line", test_account_url_error_names_its_own_line },
		{ "test_loopback_host_predicate_and_the_dsn", test_loopback_host_predicate_and_the_dsn },
		{ NULL, NULL },
	};
	tu_add_suite("config_urls", tests);
}
