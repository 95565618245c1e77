/* `vigil alert -c FILE test`: one test message straight to every
 * configured channel (no outbox), one result line each.
 * Exit 0 when every channel accepted it, 1 otherwise, 78 config error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/channel.h"
#include "alerts/format.h"
#include "watchdog/cli.h"
#include "watchdog/config.h"
#include "watchdog/params.h"
#include "base/log.h"
#include "base/xalloc.h"

int cmd_alert(int argc, char **argv)
{
	const char *file = NULL, *sub = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-c") && i + 1 < argc)
			file = argv[++i];
		else if (argv[i][0] != '-' && !sub)
			sub = argv[i];
		else
			return cli_usage("alert: unexpected argument '%s'", argv[i]);
	}
	if (!file || !sub || strcmp(sub, "test") != 0)
		return cli_usage("usage: vigil alert -c FILE test");
	struct wd_conf *c = xcalloc(1, sizeof *c);
	char err[1024];
	if (wd_conf_load(file, c, err, sizeof err) != 0) {
		log_redact(err, sizeof err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		free(c);
		return EX_CONFIG_;
	}
	struct alert_channel **chs;
	size_t n;
	if (wd_alert_channels_new(c, &chs, &n, err, sizeof err) != 0) {
		log_redact(err, sizeof err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		wd_conf_free(c);
		free(c);
		return EX_CONFIG_;
	}
	char host[128] = "?";
	gethostname(host, sizeof host - 1);
	int64_t now = alert_now_ms();
	char *body = xasprintf("This is a test message from vigil on %s%s%s.\n"
			       "If you read this, alerts on this channel work.\n"
			       "config: %s\n",
			       host, *c->instance ? ", instance " : "", c->instance, file);
	char *safe = alert_redact_dup(body);
	free(body);
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		struct alert_msg m;
		memset(&m, 0, sizeof m);
		m.id = now + (int64_t)i; /* unique per run: channels key progress on it */
		snprintf(m.channel, sizeof m.channel, "%s", chs[i]->name);
		snprintf(m.key, sizeof m.key, "vigil:test");
		snprintf(m.subject, sizeof m.subject, "[vigil] TEST alert channel %s", chs[i]->name);
		m.severity = REC_SEV_INFO;
		m.body = safe;
		m.created_ms = now;
		struct alert_send_status st;
		int rc = chs[i]->send(chs[i], &m, &st);
		if (rc != ALERT_SEND_OK && st.retry_after_ms > 0 && st.retry_after_ms <= 10000) {
			/* told to wait a little (429): do, once */
			struct timespec ts = { st.retry_after_ms / 1000, (st.retry_after_ms % 1000) * 1000000 };
			nanosleep(&ts, NULL);
			rc = chs[i]->send(chs[i], &m, &st);
		}
		log_redact(st.err, sizeof st.err);
		if (rc == ALERT_SEND_OK) {
			printf("%-9s ok\n", chs[i]->name);
		} else {
			printf("%-9s FAILED: %s\n", chs[i]->name, st.err);
			bad = 1;
		}
	}
	fflush(stdout);
	free(safe);
	alert_channels_free(chs, n);
	wd_conf_free(c);
	free(c);
	return bad ? 1 : EX_OK_;
}
