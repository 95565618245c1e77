#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/config.h"
#include "base/log.h"
#include "base/xalloc.h"

static const char *good = "[vigil]\n"
			  "log_level = debug\n"
			  "audit_interval = 10s\n"
			  "metrics_listen = 127.0.0.1:9999\n"
			  "[database]\n"
			  "enabled = true\n"
			  "dsn = host=/tmp dbname=bot\n"
			  "[alerts]\n"
			  "repeat_interval = 30m\n"
			  "[account main]\n"
			  "exchange = binance\n"
			  "rest_url = http://127.0.0.1:1\n"
			  "ws_url = ws://127.0.0.1:1\n"
			  "api_key_env = VIGIL_T_KEY\n"
			  "api_secret_env = VIGIL_T_SECRET\n"
			  "mode = protect\n"
			  "grace_open = 45s\n"
			  "stop_loss_percent = 1.5\n"
			  "override.ORPHAN_POSITION = observe\n"
			  "[account by1]\n"
			  "exchange = bybit\n"
			  "rest_url = http://127.0.0.1:2\n"
			  "ws_url = ws://127.0.0.1:2/v5/private\n"
			  "api_key_env = VIGIL_T_KEY\n"
			  "api_secret_env = VIGIL_T_SECRET\n";

static struct wd_conf *conf;
static char err[1024];

static int load_text(const char *text)
{
	char *p = tu_write_temp(text, 0600);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	err[0] = '\0';
	int rc = wd_conf_load(p, conf, err, sizeof err);
	unlink(p);
	free(p);
	return rc;
}

static void set_env(void)
{
	setenv("VIGIL_T_KEY", "key-AAAA", 1);
	setenv("VIGIL_T_SECRET", "secret-BBBB", 1);
}

static void test_config_good_file_parses_every_section(void)
{
	set_env();
	CU_ASSERT_EQUAL_FATAL(load_text(good), 0);
	CU_ASSERT_EQUAL(conf->audit_interval_ms, 10000);
	CU_ASSERT_STRING_EQUAL(conf->metrics_listen, "127.0.0.1:9999");
	CU_ASSERT_EQUAL(conf->naccounts, 2);
	const struct wd_account *a = wd_conf_account(conf, "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->exchange, REC_EX_BINANCE);
	CU_ASSERT_EQUAL(a->mode, REC_MODE_PROTECT);
	CU_ASSERT_EQUAL(a->grace_open_ms, 45000);
	CU_ASSERT_DOUBLE_EQUAL(a->stop_loss_percent, 1.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(a->api_key, "key-AAAA");
	struct rec_policy pol;
	wd_account_policy(a, &pol);
	CU_ASSERT_STRING_EQUAL(pol.account, "main");
	CU_ASSERT_EQUAL(pol.mode, REC_MODE_PROTECT);
	CU_ASSERT_DOUBLE_EQUAL(pol.stop_loss_percent, 1.5, 1e-9);
	CU_ASSERT_EQUAL(rec_policy_mode(&pol, REC_ORPHAN_POSITION), REC_MODE_OBSERVE);
	CU_ASSERT_EQUAL(rec_policy_mode(&pol, REC_UNPROTECTED_POSITION), REC_MODE_PROTECT);
	const struct wd_account *b = wd_conf_account(conf, "by1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->exchange, REC_EX_BYBIT);
	CU_ASSERT_EQUAL(b->mode, REC_MODE_OBSERVE); /* default */
	CU_ASSERT_STRING_EQUAL(b->bot_exchange, "bybit");
	wd_conf_free(conf);
}

static void test_config_unknown_key_names_file_line_and_key(void)
{
	set_env();
	char text[4096];
	snprintf(text, sizeof text, "%s%s", good, "colour = blue\n");
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "colour"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":26:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "vigil-test."));
}

static void test_config_bad_value_is_an_error(void)
{
	set_env();
	CU_ASSERT_NOT_EQUAL(load_text("[vigil]\naudit_interval = soon\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "audit_interval"));
	CU_ASSERT_NOT_EQUAL(load_text("[account a]\nexchange = kraken\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exchange"));
	CU_ASSERT_NOT_EQUAL(load_text("[account a]\nmode = yolo\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "mode"));
	CU_ASSERT_NOT_EQUAL(load_text("[account a]\nstop_loss_percent = -3\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "stop_loss_percent"));
}

static void test_config_missing_required_key_is_an_error(void)
{
	set_env();
	CU_ASSERT_NOT_EQUAL(load_text("[account a]\nexchange = binance\nws_url = ws://x\n"
				      "api_key_env = VIGIL_T_KEY\napi_secret_env = VIGIL_T_SECRET\n"),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rest_url"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1:"));
	CU_ASSERT_NOT_EQUAL(load_text("[vigil]\nlog_level = info\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "account"));
}

static void test_config_unknown_section_and_syntax_error(void)
{
	CU_ASSERT_NOT_EQUAL(load_text("[bogus]\nx = 1\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bogus"));
	CU_ASSERT_NOT_EQUAL(load_text("[vigil]\nthis line has no equals sign\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
}

static void test_config_secret_env_unset_is_an_error(void)
{
	unsetenv("VIGIL_T_SECRET");
	CU_ASSERT_NOT_EQUAL(load_text(good), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "VIGIL_T_SECRET"));
}

/* [alerts.webhook] secret_env: loaded, handed to the channel, redacted. */
static void test_config_webhook_secret_is_loaded_and_redacted(void)
{
	set_env();
	setenv("VIGIL_T_WHSEC", "whsec-CCCC-1234", 1);
	char *text = xasprintf("%s[alerts.webhook]\nenabled = true\nurl = http://127.0.0.1:9/hook\n"
			       "secret_env = VIGIL_T_WHSEC\n",
			       good);
	CU_ASSERT_EQUAL_FATAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf->webhook_secret);
	CU_ASSERT_STRING_EQUAL(conf->webhook_secret, "whsec-CCCC-1234");
	char line[128] = "sig key whsec-CCCC-1234 here";
	log_redact(line, sizeof line);
	CU_ASSERT_PTR_NULL(strstr(line, "whsec-CCCC"));
	wd_conf_free(conf);
	unsetenv("VIGIL_T_WHSEC");
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "VIGIL_T_WHSEC"));
	wd_conf_free(conf);
	free(text);
}

static void test_config_secret_file_readable_by_others_is_refused(void)
{
	char *sf = tu_write_temp("s3cr3t-file-value\n", 0644);
	char text[4096];
	snprintf(text, sizeof text,
		 "[account a]\nexchange = bybit\nrest_url = http://127.0.0.1:1\nws_url = ws://127.0.0.1:1\n"
		 "api_key_file = %s\napi_secret_file = %s\n",
		 sf, sf);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "chmod 600"));
	chmod(sf, 0600);
	CU_ASSERT_EQUAL_FATAL(load_text(text), 0);
	CU_ASSERT_STRING_EQUAL(conf->accounts[0].api_secret, "s3cr3t-file-value");
	wd_conf_free(conf);
	unlink(sf);
	free(sf);
}

static void test_config_duplicate_account_is_an_error(void)
{
	set_env();
	CU_ASSERT_NOT_EQUAL(
		load_text("[account a]\nexchange = bybit\n[account b]\nexchange = bybit\n[account a]\nmode = full\n"),
		0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "twice"));
}

static void test_config_plain_transport_only_to_loopback(void)
{
	set_env();
	const char *acct =
		"[account a]\nexchange = binance\napi_key_env = VIGIL_T_KEY\napi_secret_env = VIGIL_T_SECRET\n";
	char text[2048];
	snprintf(text, sizeof text, "%srest_url = http://127.0.0.1:9\nws_url = ws://localhost:9\n", acct);
	CU_ASSERT_EQUAL(load_text(text), 0);
	wd_conf_free(conf);
	snprintf(text, sizeof text, "%srest_url = http://fapi.example.com\nws_url = wss://x.example.com\n", acct);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "rest_url"));
	snprintf(text, sizeof text, "%srest_url = https://fapi.example.com\nws_url = ws://10.0.0.1:9\n", acct);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ws_url"));
}

static void test_config_dsn_password_and_sslmode_rules(void)
{
	set_env();
	const char *acct = "[account a]\nexchange = binance\nrest_url = https://a.example.com\n"
			   "ws_url = wss://a.example.com\napi_key_env = VIGIL_T_KEY\napi_secret_env = VIGIL_T_SECRET\n";
	char text[2048];
	snprintf(text, sizeof text,
		 "[database]\nenabled = true\ndsn = host=127.0.0.1 dbname=x password=hunter2-secret\n%s", acct);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "password_env"));
	CU_ASSERT_PTR_NULL(strstr(err, "hunter2-secret"));
	snprintf(text, sizeof text, "[database]\nenabled = true\ndsn = host=db.example.com dbname=x\n%s", acct);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "sslmode"));
	snprintf(text, sizeof text,
		 "[database]\nenabled = true\ndsn = host=db.example.com dbname=x sslmode=verify-full\n%s", acct);
	CU_ASSERT_EQUAL(load_text(text), 0);
	wd_conf_free(conf);
	snprintf(text, sizeof text, "[database]\nenabled = true\ndsn = host=/var/run/postgresql dbname=x\n%s", acct);
	CU_ASSERT_EQUAL(load_text(text), 0);
	wd_conf_free(conf);
}

static void test_config_duration_units(void)
{
	int64_t ms;
	CU_ASSERT_EQUAL(wd_parse_duration_ms("500ms", &ms), 0);
	CU_ASSERT_EQUAL(ms, 500);
	CU_ASSERT_EQUAL(wd_parse_duration_ms("2m", &ms), 0);
	CU_ASSERT_EQUAL(ms, 120000);
	CU_ASSERT_EQUAL(wd_parse_duration_ms("1.5", &ms), 0);
	CU_ASSERT_EQUAL(ms, 1500);
	CU_ASSERT_NOT_EQUAL(wd_parse_duration_ms("-1s", &ms), 0);
	CU_ASSERT_NOT_EQUAL(wd_parse_duration_ms("3 days", &ms), 0);
}

/* good with its [database] section moved to the end and tail added to it:
 * the section header is line 26, the tail starts at line 27 (a section
 * given twice is an error). good's enabled / dsn follow the tail unless
 * the tail sets them. */
static int load_db_tail(const char *tail)
{
	const char *db = strstr(good, "[database]\n");
	const char *al = strstr(good, "[alerts]\n");
	char text[16384];
	snprintf(text, sizeof text, "%.*s;\n;\n;\n%s[database]\n%s%s%s", (int)(db - good), good, al, tail,
		 strstr(tail, "enabled =") ? "" : "enabled = true\n",
		 strstr(tail, "\ndsn =") || !strncmp(tail, "dsn =", 5) ? "" : "dsn = host=/tmp dbname=bot\n");
	return load_text(text);
}

static void test_config_line_over_the_limit_names_its_line(void)
{
	set_env();
	char q[400], tail[600];
	memset(q, 'x', sizeof q - 1);
	q[sizeof q - 1] = '\0';
	memcpy(q, "SELECT ", 7);
	snprintf(tail, sizeof tail, "bot_positions_query = %s\n", q);
	CU_ASSERT_NOT_EQUAL(load_db_tail(tail), 0);
	/* good has 25 lines, [database] is 26: the long line is 27, and
	 * the error is about the length, never a split tail parsed as a key */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 27: longer than the limit of 198 bytes"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bot_positions_query_file"));
	CU_ASSERT_PTR_NULL(strstr(err, "syntax"));
	/* 198 bytes is fine (a comment, so the value does not matter) */
	char ok[300];
	memset(ok, 'y', 198);
	ok[0] = ';';
	ok[198] = '\n';
	ok[199] = '\0';
	CU_ASSERT_EQUAL(load_db_tail(ok), 0);
	wd_conf_free(conf);
	ok[0] = '#';
	ok[198] = 'y';
	ok[199] = '\n';
	ok[200] = '\0';
	CU_ASSERT_NOT_EQUAL(load_db_tail(ok), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 27: longer"));
}

static void test_config_indented_continuation_is_an_error(void)
{
	set_env();
	CU_ASSERT_NOT_EQUAL(load_db_tail("bot_positions_query = SELECT symbol, exchange, side\n"
					 "\n"
					 "    FROM positions\n"),
			    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":29:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "continu"));
	/* indented keys right after a section header and indented comments
	 * are not continuations */
	CU_ASSERT_EQUAL(load_db_tail("  bot_positions_query = SELECT 1\n  ; a comment\n\n"), 0);
	CU_ASSERT_STRING_EQUAL(conf->bot_query, "SELECT 1");
	wd_conf_free(conf);
}

static void test_config_query_file_is_read_relative_to_the_config(void)
{
	set_env();
	char *q = tu_write_temp("SELECT symbol, exchange, side, quantity, entry_price, status\n"
				"FROM positions -- the bot's table\n"
				"WHERE status IN ('active', 'open');\n\n",
				0644);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q);
	char tail[800];
	/* relative: the temp config is written next to the query file */
	snprintf(tail, sizeof tail, "bot_positions_query_file = %s\n", strrchr(q, '/') + 1);
	CU_ASSERT_EQUAL_FATAL(load_db_tail(tail), 0);
	CU_ASSERT_STRING_EQUAL(conf->bot_query, "SELECT symbol, exchange, side, quantity, entry_price, status\n"
						"FROM positions -- the bot's table\n"
						"WHERE status IN ('active', 'open')");
	wd_conf_free(conf);
	/* absolute works too; both keys at once is an error naming both */
	snprintf(tail, sizeof tail, "bot_positions_query = SELECT 1\nbot_positions_query_file = %s\n", q);
	CU_ASSERT_NOT_EQUAL(load_db_tail(tail), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not both"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":28:"));
	unlink(q);
	CU_ASSERT_NOT_EQUAL(load_db_tail(tail + strlen("bot_positions_query = SELECT 1\n")), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":27:"));
	free(q);
	char *empty = tu_write_temp(" ;\n", 0644);
	snprintf(tail, sizeof tail, "bot_positions_query_file = %s\n", empty);
	CU_ASSERT_NOT_EQUAL(load_db_tail(tail), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "empty"));
	unlink(empty);
	free(empty);
}

static void test_config_live_statuses_and_sqlite_bot_dsn(void)
{
	set_env();
	CU_ASSERT_EQUAL_FATAL(load_text(good), 0);
	CU_ASSERT_STRING_EQUAL(conf->bot_live_statuses, "active,open,pending,opening");
	CU_ASSERT(rec_status_in_list(conf->bot_live_statuses, " Pending "));
	CU_ASSERT(!rec_status_in_list(conf->bot_live_statuses, "closed"));
	CU_ASSERT(!rec_status_in_list(conf->bot_live_statuses, "pen"));
	wd_conf_free(conf);
	CU_ASSERT_EQUAL_FATAL(load_db_tail("bot_live_statuses = open, Running\n"
					   "bot_dsn = sqlite://bot/tradesv3.sqlite\n"),
			      0);
	CU_ASSERT(rec_status_in_list(conf->bot_live_statuses, "running"));
	CU_ASSERT(!rec_status_in_list(conf->bot_live_statuses, "active"));
	/* relative to the config file's directory */
	CU_ASSERT_PTR_NOT_NULL(strstr(conf->bot_dsn, "sqlite:///"));
	CU_ASSERT_PTR_NOT_NULL(strstr(conf->bot_dsn, "/bot/tradesv3.sqlite"));
	wd_conf_free(conf);
	CU_ASSERT_EQUAL_FATAL(load_db_tail("bot_dsn = sqlite:///var/lib/ft/tradesv3.sqlite\n"), 0);
	CU_ASSERT_STRING_EQUAL(conf->bot_dsn, "sqlite:///var/lib/ft/tradesv3.sqlite");
	wd_conf_free(conf);
	CU_ASSERT_NOT_EQUAL(load_db_tail("bot_live_statuses = open,,active\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "bot_live_statuses"));
	char longlist[200];
	snprintf(longlist, sizeof longlist, "bot_live_statuses = %s\n",
		 "a1,a2,a3,a4,a5,a6,a7,a8,a9,b1,b2,b3,b4,b5,b6,b7,b8,b9,c1,c2,c3,c4,c5,c6,c7,c8,c9,"
		 "d1,d2,d3,d4,d5,d6,d7,d8,d9,e1,e2,e3,e4,e5,e6,e7,e8,e9,f1");
	CU_ASSERT_NOT_EQUAL(load_db_tail(longlist), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than 127"));
	CU_ASSERT_NOT_EQUAL(load_db_tail("bot_dsn = sqlite://\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs a file"));
	CU_ASSERT_NOT_EQUAL(load_db_tail("dsn = sqlite:///tmp/x.sqlite\n"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "must be PostgreSQL"));
}

/* Typos are errors on their line, never silently merged or ignored. */
static void test_config_typos_duplicates_and_bad_listen_are_errors(void)
{
	set_env();
	char text[8192];
	snprintf(text, sizeof text, "%soverride.ORPHAN_POSTION = observe\n", good);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":26:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown finding code 'ORPHAN_POSTION'"));
	snprintf(text, sizeof text, "%smode = full\n", good); /* [account by1] has no mode: fine */
	CU_ASSERT_EQUAL(load_text(text), 0);
	wd_conf_free(conf);
	snprintf(text, sizeof text, "%smode = full\nmode = observe\n", good);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":27:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "given twice (first at line 26)"));
	snprintf(text, sizeof text, "%s[vigil]\nlog_level = info\n", good);
	CU_ASSERT_NOT_EQUAL(load_text(text), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":26: [vigil] repeated (first at line 1)"));
	const char *bad_listen[] = { "0.0.0.0:9464", "127.0.0.1:99999", "10.0.0.1:9464", "127.0.0.1:" };
	for (size_t i = 0; i < sizeof bad_listen / sizeof *bad_listen; i++) {
		char g[4096];
		snprintf(g, sizeof g, "%s", good);
		char *m = strstr(g, "127.0.0.1:9999");
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		snprintf(text, sizeof text, "%.*s%s%s", (int)(m - g), g, bad_listen[i], m + strlen("127.0.0.1:9999"));
		CU_ASSERT_NOT_EQUAL(load_text(text), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "metrics_listen"));
	}
	int64_t ms;
	CU_ASSERT_EQUAL(wd_parse_duration_ms("1.5s", &ms), 0);
	CU_ASSERT_EQUAL(ms, 1500);
	CU_ASSERT_EQUAL(wd_parse_duration_ms("250ms", &ms), 0);
	const char *bad_dur[] = { "0x10s", "1e3s", "+5s", "inf", "nan", ".s", "1..2s", "-1s", " 5s", "" };
	for (size_t i = 0; i < sizeof bad_dur / sizeof *bad_dur; i++)
		CU_ASSERT_NOT_EQUAL(wd_parse_duration_ms(bad_dur[i], &ms), 0);
}

static void test_config_example_files_are_valid(void)
{
	set_env();
	setenv("VIGIL_BINANCE_KEY", "example-key-1", 1);
	setenv("VIGIL_BINANCE_SECRET", "example-secret-1", 1);
	setenv("VIGIL_BYBIT_KEY", "example-key-2", 1);
	setenv("VIGIL_BYBIT_SECRET", "example-secret-2", 1);
	setenv("VIGIL_TELEGRAM_TOKEN", "123456:example", 1);
	setenv("VIGIL_SMTP_PASSWORD", "example-pass", 1);
	setenv("VIGIL_DB_PASSWORD", "example-dbpass", 1);
	if (!conf)
		conf = xcalloc(1, sizeof *conf);
	int rc = wd_conf_load("etc/vigil.conf.example", conf, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc == 0)
		wd_conf_free(conf);
	free(conf);
	conf = NULL;
}

void test_config_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_config_good_file_parses_every_section", test_config_good_file_parses_every_section },
		{ "test_config_unknown_key_names_file_line_and_key", test_config_unknown_key_names_file_line_and_key },
		{ "test_config_bad_value_is_an_error", test_config_bad_value_is_an_error },
		{ "test_config_missing_required_key_is_an_error", test_config_missing_required_key_is_an_error },
		{ "test_config_unknown_section_and_syntax_error", test_config_unknown_section_and_syntax_error },
		{ "test_config_secret_env_unset_is_an_error", test_config_secret_env_unset_is_an_error },
		{ "test_config_webhook_secret_is_loaded_and_redacted",
		  test_config_webhook_secret_is_loaded_and_redacted },
		{ "test_config_secret_file_readable_by_others_is_refused",
		  test_config_secret_file_readable_by_others_is_refused },
		{ "test_config_duplicate_account_is_an_error", test_config_duplicate_account_is_an_error },
		{ "test_config_plain_transport_only_to_loopback", test_config_plain_transport_only_to_loopback },
		{ "test_config_dsn_password_and_sslmode_rules", test_config_dsn_password_and_sslmode_rules },
		{ "test_config_duration_units", test_config_duration_units },
		{ "test_config_line_over_the_limit_names_its_line", test_config_line_over_the_limit_names_its_line },
		{ "test_config_indented_continuation_is_an_error", test_config_indented_continuation_is_an_error },
		{ "test_config_query_file_is_read_relative_to_the_config",
		  test_config_query_file_is_read_relative_to_the_config },
		{ "test_config_live_statuses_and_sqlite_bot_dsn", test_config_live_statuses_and_sqlite_bot_dsn },
		{ "test_config_typos_duplicates_and_bad_listen_are_errors",
		  test_config_typos_duplicates_and_bad_listen_are_errors },
		{ "test_config_example_files_are_valid", test_config_example_files_are_valid },
		{ NULL, NULL },
	};
	tu_add_suite("config", tests);
}
