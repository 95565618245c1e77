/* The program's configuration turned into each layer's own parameters:
 * alerts/ and sql/ never see struct wd_conf. */
#ifndef WD_PARAMS_H
#define WD_PARAMS_H
#include <stddef.h>

#include "alerts/channel.h"
#include "alerts/outbox.h"
#include "alerts/router.h"
#include "sql/db_conn.h"
#include "watchdog/config.h"

/* vigil's own database ([database] dsn/password/schema/timeouts). */
void wd_db_params(const struct wd_conf *c, struct db_params *p);
/* The bot's database (bot_dsn, read-only). */
void wd_db_bot_params(const struct wd_conf *c, struct db_params *p);
/* One account's classification parameters (graces, tolerances, the bot's
 * symbol style, exchange and live statuses, the position mode). */
void wd_account_params(const struct wd_conf *c, const struct wd_account *a, struct rec_params *p);

/* The [alerts.*] sections; the strings point into c. */
void wd_alert_channel_params(const struct wd_conf *c, struct alert_channel_params *p);
/* The log channel plus every enabled channel of c (alert_channels_new). */
int wd_alert_channels_new(const struct wd_conf *c, struct alert_channel ***out, size_t *n, char *err, size_t errlen);
/* [alerts] and the accounts' stop_loss_percent; routes from chs. */
void wd_alert_router_conf(const struct wd_conf *c, struct alert_router_conf *rc);
struct alert_router *wd_alert_router_new(const struct wd_conf *c, struct alert_channel **chs, size_t nchs,
					 struct alert_outbox *outbox);

#endif
