/* vigil: reconciliation and orphan watchdog for crypto-futures bots. */
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "watchdog/config.h"

#include "watchdog/cli.h"

int main(int argc, char **argv)
{
	/* over a file-size limit a write must fail with EFBIG (handled: the
	 * spool keeps the record in memory), not kill the process */
	signal(SIGXFSZ, SIG_IGN);
	/* the process holds API keys: no core dump, no ptrace by other users */
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	wd_secret_env_scrub(true); /* environment secrets leave /proc/PID/environ once read */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cli_main(argc, argv);
	curl_global_cleanup();
	return rc;
}
