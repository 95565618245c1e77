/* The configuration file (watchdog/config.c wd_conf_load), fed through a
 * temporary file. The corpus names two secrets: the environment variable
 * VIGIL_FUZZ_KEY and the 0600 file /tmp/vigil-fuzz-secret, both set up
 * here, so the secret-loading paths are reached too. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "watchdog/config.h"

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	setenv("VIGIL_FUZZ_KEY", "fuzz-key-value", 1);
	setenv("VIGIL_FUZZ_SECRET", "fuzz-secret-value", 1);
	int fd = open("/tmp/vigil-fuzz-secret", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		(void)!write(fd, "fuzz-file-secret\n", 17);
		fchmod(fd, 0600);
		close(fd);
	}
	snprintf(path, sizeof path, "/tmp/vigil-fuzz-conf.%d", (int)getpid());
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");
	FUZZ_CHECK(f);
	if (size)
		FUZZ_CHECK(fwrite(data, 1, size, f) == size);
	fclose(f);

	struct wd_conf *c = malloc(sizeof *c);
	char err[1024] = "";
	FUZZ_CHECK(c);
	if (wd_conf_load(path, c, err, sizeof err) == 0) {
		FUZZ_CHECK(c->naccounts >= 1 && c->naccounts <= WD_MAX_ACCOUNTS);
		for (size_t i = 0; i < c->naccounts; i++) {
			const struct wd_account *a = &c->accounts[i];
			FUZZ_CHECK(a->api_key && a->api_secret);
			FUZZ_CHECK(a->noverrides <= WD_MAX_OVERRIDES);
			FUZZ_CHECK(fuzz_terminated(a->name, sizeof a->name));
			FUZZ_CHECK(fuzz_terminated(a->rest_url, sizeof a->rest_url));
			FUZZ_CHECK(wd_conf_account(c, a->name) != NULL);
			struct rec_policy pol;
			wd_account_policy(a, &pol);
			FUZZ_CHECK(pol.noverrides <= a->noverrides);
			for (size_t k = 0; k < pol.noverrides; k++)
				(void)rec_policy_mode(&pol, pol.overrides[k].code);
		}
		wd_conf_free(c);
	} else {
		FUZZ_CHECK(err[0] != '\0'); /* a refusal always says why */
		FUZZ_CHECK(fuzz_terminated(err, sizeof err));
	}
	free(c);
	log_secret_clear(); /* one iteration's secrets must not pile up */
	return 0;
}
