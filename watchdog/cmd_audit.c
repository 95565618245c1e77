/* `vigil audit -c FILE [--account A] [--json] [--listen 2s]`: one full
 * comparison per account, with a short stream listen first so stream-only
 * facts count. Never repairs. Findings are stored when a database is
 * configured. A Nagios plugin: exit codes 0 OK, 1 warning, 2 critical, 3
 * could not audit (every failure, usage and config errors and -t included),
 * and the status line first (wd_audit_print_table). */
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "watchdog/audit.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/engine.h"
#include "base/clock_now.h"
#include "base/log.h"

/* Before any audit: the message on stderr as always, and with --json one
 * document on stdout too, so a program reading it always gets JSON. */
static int fail_before_audit(bool json, const char *err)
{
	if (json)
		wd_json_print_error(stdout, wd_wall_ms(), WD_AUDIT_UNKNOWN, wd_audit_exit_name(WD_AUDIT_UNKNOWN), err);
	return WD_AUDIT_UNKNOWN;
}

/* -t SECONDS: the whole command, as a Nagios plugin's timeout. The
 * answer is built before the alarm is armed: the handler only write()s it
 * and _exit()s (async-signal-safe), whatever the audit is blocked on. */
static char *timeout_msg;
static size_t timeout_len;

static void on_timeout(int sig)
{
	(void)sig;
	ssize_t w = write(STDOUT_FILENO, timeout_msg, timeout_len);
	(void)w;
	_exit(WD_AUDIT_UNKNOWN);
}

static void arm_timeout(int seconds, bool json)
{
	char why[96];
	snprintf(why, sizeof why, "timed out after %d s (-t %d)", seconds, seconds);
	size_t len = 0;
	FILE *f = open_memstream(&timeout_msg, &len);
	if (!f)
		return;
	if (json)
		wd_json_print_error(f, wd_wall_ms() + (int64_t)seconds * 1000, WD_AUDIT_UNKNOWN,
				    wd_audit_exit_name(WD_AUDIT_UNKNOWN), why);
	else
		fprintf(f, "VIGIL UNKNOWN - %s | critical=0;;;0 warning=0;;;0 audit_ms=%dms;;;0\n", why,
			seconds * 1000);
	fclose(f);
	timeout_len = len;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_timeout;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)seconds);
}

int cmd_audit(int argc, char **argv)
{
	int64_t t0 = wd_mono_ms();
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv,
			     WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_JSON | WD_OPT_LISTEN | WD_OPT_GRACE | WD_OPT_TIMEOUT,
			     &o, err, sizeof err) != 0 ||
	    o.npos) {
		if (o.npos)
			snprintf(err, sizeof err, "unexpected argument");
		fprintf(stderr,
			"vigil audit: %s\nusage: vigil audit -c FILE [--account A] [--json] [--listen DURATION] "
			"[--grace DURATION] [-t SECONDS]\n",
			err);
		return fail_before_audit(wd_cmdargs_json(argc, argv), err);
	}
	if (o.timeout_s)
		arm_timeout(o.timeout_s, o.json);
	struct wd_conf *c = wd_cmd_conf_oneshot_err(o.conf, "vigil audit: UNKNOWN", err, sizeof err);
	if (!c)
		return fail_before_audit(o.json, err);
	struct wd_engine_opts eo = { .kind = WD_ENG_ONESHOT,
				     .only_account = o.account,
				     .no_repair = true,
				     .no_alerts = true,
				     .quiet_console = true };
	wd_cmd_grace_override(c, o.grace_ms);
	struct wd_engine *e = NULL;
	if (wd_engine_new(c, &eo, &e, err, sizeof err) != 0) {
		fprintf(stderr, "vigil audit: UNKNOWN: %s\n", err);
		return fail_before_audit(o.json, err);
	}
	struct wd_audit *a = NULL;
	size_t n = 0;
	wd_audit_run_all(e, o.listen_ms, &a, &n);
	int code = wd_audit_exit_code(a, n);
	alarm(0); /* the answer is in: no timeout may cut it */
	if (o.json)
		wd_json_print(stdout, wd_audit_json(a, n, wd_wall_ms()));
	else
		wd_audit_print_table(stdout, a, n, wd_mono_ms() - t0);
	for (size_t i = 0; i < n; i++)
		wd_audit_free(&a[i]);
	free(a);
	wd_engine_free(e);
	return code;
}
