/* `vigil run -c FILE [--quiet]`: the daemon (daemon.c). */
#include <stdio.h>

#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/daemon.h"

int cmd_run(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[256];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_QUIET, &o, err, sizeof err) != 0)
		return cli_usage("%s", err);
	if (o.npos)
		return cli_usage("run takes no arguments besides -c FILE");
	struct wd_daemon_opts d = { .conf_path = o.conf, .quiet = o.quiet };
	return wd_daemon_run(&d);
}
