/* `vigil audit -c FILE [--account A] [--json] [--listen 2s]`: one full
 * comparison per account, with a short stream listen first so stream-only
 * facts count. Never repairs. Findings are stored when a database is
 * configured. Nagios exit codes: 0 OK, 1 warning, 2 critical, 3 could not
 * audit — every failure, usage and config errors included, is 3. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

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

int cmd_audit(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_JSON | WD_OPT_LISTEN | WD_OPT_GRACE, &o,
			     err, sizeof err) != 0 ||
	    o.npos) {
		if (o.npos)
			snprintf(err, sizeof err, "unexpected argument");
		fprintf(stderr,
			"vigil audit: %s\nusage: vigil audit -c FILE [--account A] [--json] [--listen DURATION] "
			"[--grace DURATION]\n",
			err);
		return fail_before_audit(wd_cmdargs_json(argc, argv), err);
	}
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
	if (o.json)
		wd_json_print(stdout, wd_audit_json(a, n, wd_wall_ms()));
	else
		wd_audit_print_table(stdout, a, n);
	for (size_t i = 0; i < n; i++)
		wd_audit_free(&a[i]);
	free(a);
	wd_engine_free(e);
	return code;
}
