/* vigil: reconciliation and orphan watchdog for crypto-futures bots. */
#include <curl/curl.h>

#include "watchdog/cli.h"

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cli_main(argc, argv);
	curl_global_cleanup();
	return rc;
}
