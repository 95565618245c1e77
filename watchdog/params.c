/* wd_conf -> the layers' parameter structs (see params.h). */
#include "watchdog/params.h"

#include <stdio.h>
#include <string.h>

#include "reconcile/reconcile.h"
#include "base/xalloc.h"

void wd_db_params(const struct wd_conf *c, struct db_params *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->dsn, sizeof p->dsn, "%s", c->db_dsn);
	if (c->db_password)
		snprintf(p->password, sizeof p->password, "%s", c->db_password);
	snprintf(p->schema, sizeof p->schema, "%s", c->db_schema);
	p->connect_timeout_ms = c->db_connect_timeout_ms;
	p->statement_timeout_ms = c->db_statement_timeout_ms;
	snprintf(p->app_name, sizeof p->app_name, "vigil %.50s", c->instance);
}

void wd_db_bot_params(const struct wd_conf *c, struct db_params *p)
{
	wd_db_params(c, p);
	snprintf(p->dsn, sizeof p->dsn, "%s", *c->bot_dsn ? c->bot_dsn : c->db_dsn);
	/* the bot's database gets vigil's password only if it is the same one */
	if (*c->bot_dsn && strcmp(c->bot_dsn, c->db_dsn) != 0)
		p->password[0] = '\0';
	p->read_only = true;
}

void wd_account_params(const struct wd_conf *c, const struct wd_account *a, struct rec_params *p)
{
	rec_params_default(p);
	p->grace_open_ms = a->grace_open_ms;
	p->grace_order_ms = a->grace_order_ms;
	p->rest_lag_tolerance_ms = c->rest_lag_tolerance_ms;
	p->stream_stale_ms = c->stream_stale_ms;
	p->clock_skew_limit_ms = c->clock_skew_limit_ms;
	p->bot_symbol_style = a->db_symbol_style;
	snprintf(p->bot_exchange, sizeof p->bot_exchange, "%s",
		 a->bot_exchange[0] ? a->bot_exchange : rec_exchange_name(a->exchange));
	p->hedge_mode = a->hedge_mode;
	/* check-config refuses a longer list */
	snprintf(p->bot_live_statuses, sizeof p->bot_live_statuses, "%.*s", (int)sizeof p->bot_live_statuses - 1,
		 c->bot_live_statuses);
}

void wd_alert_channel_params(const struct wd_conf *c, struct alert_channel_params *p)
{
	memset(p, 0, sizeof *p);
	p->tg_enabled = c->tg_enabled;
	p->tg.api_url = c->tg_api_url;
	p->tg.token = c->tg_token;
	p->tg.chat_ids = c->tg_chat_ids;
	p->tg.min_severity = (enum rec_severity)c->tg_min_severity;
	p->tg.rate_per_minute = c->tg_rate_per_minute;
	p->tg.escalation = c->tg_escalation;
	p->smtp_enabled = c->smtp_enabled;
	p->smtp.url = c->smtp_url;
	p->smtp.from = c->smtp_from;
	p->smtp.to = c->smtp_to;
	p->smtp.username = c->smtp_username;
	p->smtp.password = c->smtp_password;
	p->smtp.ca_file = c->smtp_ca_file;
	p->smtp.require_starttls = c->smtp_require_starttls;
	p->smtp.min_severity = (enum rec_severity)c->smtp_min_severity;
	p->smtp.rate_per_minute = c->smtp_rate_per_minute;
	p->smtp.escalation = c->smtp_escalation;
	p->webhook_enabled = c->webhook_enabled;
	p->webhook.url = c->webhook_url;
	p->webhook.min_severity = (enum rec_severity)c->webhook_min_severity;
	p->webhook.secret = c->webhook_secret;
}

int wd_alert_channels_new(const struct wd_conf *c, struct alert_channel ***out, size_t *n, char *err, size_t errlen)
{
	struct alert_channel_params p;
	wd_alert_channel_params(c, &p);
	return alert_channels_new(&p, out, n, err, errlen);
}

void wd_alert_router_conf(const struct wd_conf *c, struct alert_router_conf *rc)
{
	memset(rc, 0, sizeof *rc);
	rc->repeat_interval_ms = c->repeat_interval_ms;
	rc->warning_hold_ms = c->warning_hold_ms;
	rc->escalate_after_ms = c->escalate_after_ms;
	snprintf(rc->conf_path, sizeof rc->conf_path, "%s", c->path);
	snprintf(rc->instance, sizeof rc->instance, "%s", c->instance);
}

struct alert_router *wd_alert_router_new(const struct wd_conf *c, struct alert_channel **chs, size_t nchs,
					 struct alert_outbox *outbox)
{
	struct alert_router_conf rc;
	wd_alert_router_conf(c, &rc);
	struct alert_router *r = alert_router_for_channels(&rc, chs, nchs, outbox);
	for (size_t i = 0; i < c->naccounts; i++)
		alert_router_set_stop_percent(r, c->accounts[i].name, c->accounts[i].stop_loss_percent);
	return r;
}
