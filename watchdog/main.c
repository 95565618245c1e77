/* vigil: reconciliation and orphan watchdog for crypto-futures bots. */
#include <curl/curl.h>
#include <signal.h>

#include "watchdog/cli.h"

int main(int argc, char **argv)
{
	/* over a file-size limit a write must fail with EFBIG (handled: the
	 * spool keeps the record in memory), not kill the process */
	signal(SIGXFSZ, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cli_main(argc, argv);
	curl_global_cleanup();
	return rc;
}
