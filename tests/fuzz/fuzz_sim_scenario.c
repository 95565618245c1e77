/* vigil-sim's scenario files (exchanges/sim/sim_scenario.c): symbols,
 * accounts, faults and steps. Without a server the steps run at once, so
 * the whole engine behind them (orders, fills, triggers, stream builders)
 * is exercised too. */
#include <json-c/json.h>

#include "exchanges/sim/sim.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void sink(struct sim_world *w, struct sim_account *a, const char *topic, const char *payload)
{
	FUZZ_CHECK(topic && payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *sc = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!sc)
		return 0;

	struct sim_world *w = sim_world_new(42);
	char err[256] = "";
	w->fake_now = 1700000000000LL;
	w->emit = sink;
	if (sim_scenario_load(w, sc, 1, err, sizeof err) != 0)
		FUZZ_CHECK(err[0] != '\0');
	for (int i = 0; i < w->nacct; i++)
		json_object_put(sim_state_json(w, w->acct[i]));
	sim_world_free(w);
	json_object_put(sc);
	return 0;
}
