/* wd_conf -> the layers' own parameter structs (watchdog/params.c). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/testutil.h"
#include "watchdog/params.h"
#include "base/xalloc.h"

static struct wd_conf *conf(void)
{
	struct wd_conf *c = xcalloc(1, sizeof *c);
	snprintf(c->path, sizeof c->path, "/etc/vigil/p.conf");
	snprintf(c->instance, sizeof c->instance, "eu-1");
	snprintf(c->db_dsn, sizeof c->db_dsn, "host=db1 dbname=vigil");
	c->db_password = (char *)"pw";
	snprintf(c->db_schema, sizeof c->db_schema, "vg");
	c->db_connect_timeout_ms = 1234;
	c->repeat_interval_ms = 600000;
	c->warning_hold_ms = 30000;
	c->escalate_after_ms = 900000;
	c->tg_enabled = true;
	snprintf(c->tg_api_url, sizeof c->tg_api_url, "https://api.telegram.org");
	c->tg_token = (char *)"1:tok";
	snprintf(c->tg_chat_ids, sizeof c->tg_chat_ids, "-1, -2");
	c->tg_min_severity = WD_SEV_CRITICAL;
	c->tg_rate_per_minute = 7;
	c->tg_escalation = true;
	c->webhook_enabled = true;
	snprintf(c->webhook_url, sizeof c->webhook_url, "https://hooks.example/x");
	c->webhook_min_severity = WD_SEV_WARNING;
	c->naccounts = 1;
	snprintf(c->accounts[0].name, sizeof c->accounts[0].name, "main");
	c->accounts[0].stop_loss_percent = 3;
	return c;
}

static void test_wd_params_alerts_take_their_own_parameters(void)
{
	struct wd_conf *c = conf();
	struct alert_channel_params p;
	wd_alert_channel_params(c, &p);
	CU_ASSERT_TRUE(p.tg_enabled);
	CU_ASSERT_FALSE(p.smtp_enabled);
	CU_ASSERT_TRUE(p.webhook_enabled);
	CU_ASSERT_STRING_EQUAL(p.tg.token, "1:tok");
	CU_ASSERT_STRING_EQUAL(p.tg.chat_ids, "-1, -2");
	CU_ASSERT_EQUAL(p.tg.min_severity, REC_SEV_CRITICAL);
	CU_ASSERT_EQUAL(p.tg.rate_per_minute, 7);
	CU_ASSERT_TRUE(p.tg.escalation);
	CU_ASSERT_EQUAL(p.webhook.min_severity, REC_SEV_WARNING);
	struct alert_channel **chs = NULL;
	size_t n = 0;
	char err[256] = "";
	CU_ASSERT_EQUAL_FATAL(wd_alert_channels_new(c, &chs, &n, err, sizeof err), 0);
	CU_ASSERT_EQUAL(n, 3);
	struct alert_channel *tg = alert_channel_find(chs, n, "telegram");
	CU_ASSERT_TRUE(tg && tg->min_severity == REC_SEV_CRITICAL && tg->rate_per_minute == 7 && tg->escalation);
	CU_ASSERT_PTR_NOT_NULL(alert_channel_find(chs, n, "webhook"));
	struct alert_router_conf rc;
	wd_alert_router_conf(c, &rc);
	CU_ASSERT_EQUAL(rc.repeat_interval_ms, 600000);
	CU_ASSERT_EQUAL(rc.warning_hold_ms, 30000);
	CU_ASSERT_EQUAL(rc.escalate_after_ms, 900000);
	CU_ASSERT_STRING_EQUAL(rc.conf_path, "/etc/vigil/p.conf");
	CU_ASSERT_STRING_EQUAL(rc.instance, "eu-1");
	struct alert_router *r = wd_alert_router_new(c, chs, n, NULL);
	CU_ASSERT_PTR_NOT_NULL(r);
	alert_router_free(r);
	alert_channels_free(chs, n);
	c->tg_token = NULL; /* no token loaded */
	CU_ASSERT_EQUAL(wd_alert_channels_new(c, &chs, &n, err, sizeof err), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "token"));
	free(c);
}

static void test_wd_params_database_and_bot_database(void)
{
	struct wd_conf *c = conf();
	struct db_params p;
	wd_db_params(c, &p);
	CU_ASSERT_STRING_EQUAL(p.dsn, "host=db1 dbname=vigil");
	CU_ASSERT_STRING_EQUAL(p.password, "pw");
	CU_ASSERT_STRING_EQUAL(p.schema, "vg");
	CU_ASSERT_EQUAL(p.connect_timeout_ms, 1234);
	CU_ASSERT_STRING_EQUAL(p.app_name, "vigil eu-1");
	CU_ASSERT_FALSE(p.read_only);
	wd_db_bot_params(c, &p); /* no bot_dsn: vigil's database, read-only */
	CU_ASSERT_STRING_EQUAL(p.dsn, "host=db1 dbname=vigil");
	CU_ASSERT_STRING_EQUAL(p.password, "pw");
	CU_ASSERT_TRUE(p.read_only);
	snprintf(c->bot_dsn, sizeof c->bot_dsn, "host=db2 dbname=bot");
	wd_db_bot_params(c, &p); /* another database: not vigil's password */
	CU_ASSERT_STRING_EQUAL(p.dsn, "host=db2 dbname=bot");
	CU_ASSERT_STRING_EQUAL(p.password, "");
	free(c);
}

static void test_wd_params_bot_live_statuses_reach_the_core(void)
{
	struct wd_conf *c = conf();
	struct rec_bot_row rows[4];
	memset(rows, 0, sizeof rows);
	snprintf(rows[0].status, sizeof rows[0].status, "active");
	snprintf(rows[1].status, sizeof rows[1].status, "pending");
	snprintf(rows[2].status, sizeof rows[2].status, "Running");
	snprintf(rows[3].status, sizeof rows[3].status, "closed");
	struct rec_params p;
	snprintf(c->bot_live_statuses, sizeof c->bot_live_statuses, "%s", REC_LIVE_STATUSES_DEFAULT);
	wd_account_params(c, &c->accounts[0], &p);
	CU_ASSERT_TRUE(rec_bot_row_is_live(&rows[0], &p));
	CU_ASSERT_TRUE(rec_bot_row_is_live(&rows[1], &p));
	CU_ASSERT_FALSE(rec_bot_row_is_live(&rows[2], &p));
	snprintf(c->bot_live_statuses, sizeof c->bot_live_statuses, "active, running");
	wd_account_params(c, &c->accounts[0], &p);
	CU_ASSERT_TRUE(rec_bot_row_is_live(&rows[0], &p));
	CU_ASSERT_TRUE(rec_bot_row_is_active(&rows[0]));
	CU_ASSERT_FALSE(rec_bot_row_is_live(&rows[1], &p)); /* pending is not listed */
	CU_ASSERT_TRUE(rec_bot_row_is_live(&rows[2], &p));  /* running is, as a position being opened */
	CU_ASSERT_FALSE(rec_bot_row_is_active(&rows[2]));
	CU_ASSERT_FALSE(rec_bot_row_is_live(&rows[3], &p));
	free(c);
}

void test_wd_params_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_wd_params_alerts_take_their_own_parameters", test_wd_params_alerts_take_their_own_parameters },
		{ "test_wd_params_database_and_bot_database", test_wd_params_database_and_bot_database },
		{ "test_wd_params_bot_live_statuses_reach_the_core", test_wd_params_bot_live_statuses_reach_the_core },
		{ NULL, NULL },
	};
	tu_add_suite("wd_params", tests);
}
