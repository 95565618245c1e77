/* vigil-sim: fake Binance USD-M + Bybit v5 exchange on one loopback port.
 * See exchanges/sim/README.md for the command line and the control API. */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/log.h"
#include "base/xalloc.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: vigil-sim [--port N] [--tls-dir DIR] [--scenario FILE] [--seed N]\n"
			"                 [--account EXCH:KEY:SECRET[:BALANCE[:hedge]]]... [--log-level L]\n"
			"                 [--binance-weight-limit N] [--binance-ban-after N] [--binance-ban-ms MS]\n"
			"                 [--bybit-ip-limit N] [--bybit-ban-ms MS] [--bybit-uid-limits]\n");
}

static int add_account(struct sim_world *w, const char *spec)
{
	char *s = xstrdup(spec), *f[5] = { 0 }, *save = NULL, *t;
	int n = 0, rc = -1;

	for (t = strtok_r(s, ":", &save); t && n < 5; t = strtok_r(NULL, ":", &save))
		f[n++] = t;
	if (n >= 3 && (!strcmp(f[0], "binance") || !strcmp(f[0], "bybit"))) {
		sim_account_add(w, !strcmp(f[0], "bybit") ? SIM_BYBIT : SIM_BINANCE, f[1], f[2],
				n > 3 ? strtod(f[3], NULL) : 10000, n > 4 && !strcmp(f[4], "hedge"));
		log_secret_add(f[2]);
		rc = 0;
	}
	free(s);
	return rc;
}

int main(int argc, char **argv)
{
	int port = 0, bound = 0;
	unsigned long long seed = 1;
	const char *scenario = NULL, *tls_dir = NULL;
	struct sim_tls tls;
	struct sim_world *w;
	struct sim_server *srv;
	struct json_object *sc = NULL;
	struct sigaction sa;
	char err[600];
	/* rate-limit switches (README "Rate limits"), applied after the scenario */
	static const char *const lim_flags[][2] = {
		{ "--binance-weight-limit", "binance_weight_1m" },
		{ "--binance-ban-after", "binance_ban_after" },
		{ "--binance-ban-ms", "binance_ban_ms" },
		{ "--bybit-ip-limit", "bybit_ip_5s" },
		{ "--bybit-ban-ms", "bybit_ban_ms" },
		{ NULL, NULL },
	};
	struct json_object *lim = json_object_new_object();

	log_set_level(LOG_LVL_WARN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--port") && v) {
			port = atoi(v), i++;
		} else if (!strcmp(a, "--tls-dir") && v) {
			tls_dir = v, i++;
		} else if (!strcmp(a, "--scenario") && v) {
			scenario = v, i++;
		} else if (!strcmp(a, "--seed") && v) {
			seed = strtoull(v, NULL, 10), i++;
		} else if ((!strcmp(a, "--account") || !strcmp(a, "--log-level")) && v) {
			i++;
		} else if (!strcmp(a, "--bybit-uid-limits")) {
			json_object_object_add(lim, "bybit_uid", json_object_new_boolean(1));
		} else {
			int k;

			for (k = 0; lim_flags[k][0] && strcmp(a, lim_flags[k][0]); k++)
				;
			if (!lim_flags[k][0] || !v) {
				usage();
				json_object_put(lim);
				return 64;
			}
			json_object_object_add(lim, lim_flags[k][1], json_object_new_string(v));
			i++;
		}
	}
	{
		struct sim_world *scratch = sim_world_new(1);
		int bad = sim_limits_set(scratch, lim, err, sizeof err);

		sim_world_free(scratch);
		if (bad < 0) {
			fprintf(stderr, "vigil-sim: %s\n", err);
			json_object_put(lim);
			return 64;
		}
	}
	w = sim_world_new(seed);
	sim_world_defaults(w, 1);
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], "--account") && add_account(w, argv[i + 1]) < 0) {
			fprintf(stderr, "vigil-sim: bad --account (want EXCH:KEY:SECRET[:BALANCE[:hedge]])\n");
			json_object_put(lim);
			sim_world_free(w);
			return 64;
		}
		if (!strcmp(argv[i], "--log-level")) {
			enum log_level l;

			if (log_level_parse(argv[i + 1], &l) == 0)
				log_set_level(l);
		}
	}
	lws_set_log_level(LLL_ERR, NULL);
	if (scenario) {
		sc = json_object_from_file(scenario);
		if (!sc) {
			fprintf(stderr, "vigil-sim: cannot read scenario %s\n", scenario);
			json_object_put(lim);
			sim_world_free(w);
			return 66;
		}
	}
	if (tls_dir && sim_tls_prepare(tls_dir, &tls, err, sizeof err) < 0) {
		fprintf(stderr, "vigil-sim: %s\n", err);
		json_object_put(sc);
		json_object_put(lim);
		sim_world_free(w);
		return 73; /* EX_CANTCREAT */
	}
	srv = sim_server_new(w, port, tls_dir ? &tls : NULL, &bound);
	if (!srv) {
		fprintf(stderr, "vigil-sim: cannot listen on 127.0.0.1:%d\n", port);
		json_object_put(sc);
		json_object_put(lim);
		sim_world_free(w);
		return 69;
	}
	if (sc && sim_scenario_load(w, sc, 1, err, sizeof err) < 0) {
		fprintf(stderr, "vigil-sim: scenario %s: %s\n", scenario, err);
		json_object_put(sc);
		json_object_put(lim);
		sim_server_free(srv);
		sim_world_free(w);
		return 65;
	}
	json_object_put(sc);
	sim_limits_set(w, lim, err, sizeof err); /* checked above */
	w->lim.cfg0 = w->lim.cfg;
	json_object_put(lim);
	sim_world_defaults(w, 2);
	for (int i = 0; i < w->nacct; i++)
		log_secret_add(w->acct[i]->secret);
	/* save the starting accounts so /_sim/reset restores them (kept in place) */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("port=%d\n", bound);
	fflush(stdout);
	log_info("sim", "listening port=%d accounts=%d symbols=%d%s%s", bound, w->nacct, w->nsym,
		 tls_dir ? " tls=" : "", tls_dir ? (tls.generated ? "generated" : "given") : "");
	/* lws_service < 0 means lws gave up on a connection it could not
	 * service; a sim that quietly exits mid-test is worse than one that
	 * logs and keeps serving, so only a run of failures ends the loop. */
	for (int fails = 0; !stop_flag;) {
		int rc = sim_server_service(srv);

		if (rc >= 0) {
			fails = 0;
			continue;
		}
		log_error("sim", "service loop returned rc=%d (failure %d in a row)", rc, fails + 1);
		if (++fails >= 100) {
			log_error("sim", "giving up: the service loop keeps failing");
			sim_server_free(srv);
			sim_world_free(w);
			return 70;
		}
	}
	log_info("sim", "stopping on signal");
	sim_server_free(srv);
	sim_world_free(w);
	return 0;
}
