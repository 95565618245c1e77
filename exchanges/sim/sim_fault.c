/* Fault injection: each fault is scoped to an exchange, an endpoint prefix,
 * an account, a time window and/or a number of calls. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchanges/sim/sim.h"
#include "base/xalloc.h"

static const char *types[] = { "positions_empty",
			       "positions_omit",
			       "rest_lag",
			       "create_invisible",
			       "stop_would_trigger",
			       "reject",
			       "rate_limit",
			       "http_status",
			       "slow",
			       "clock_offset",
			       "malformed",
			       "truncated",
			       "ws_disconnect",
			       "listen_key_expire",
			       "stuck_triggering",
			       "answer_lost",
			       NULL };

static long long geti(struct json_object *o, const char *k, long long def)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !v)
		return def;
	/* int range: every field is an int or a window added to "now" */
	return sim_clamp(sim_num(v), INT_MIN, INT_MAX);
}

struct sim_fault *sim_fault_add(struct sim_world *w, struct json_object *spec, char *err, size_t errn)
{
	const char *type = sim_jstr(spec, "type"), *ex = sim_jstr(spec, "exchange");
	const char *mode = sim_jstr(spec, "mode");
	struct sim_fault *f, **tail;
	long long now = w->fake_now ? w->fake_now : sim_real_ms();
	int ok = 0;

	for (int i = 0; type && types[i]; i++)
		ok |= !strcmp(type, types[i]);
	if (!ok) {
		snprintf(err, errn, "unknown fault type %s", type ? type : "(none)");
		return NULL;
	}
	if (ex && strcmp(ex, "binance") && strcmp(ex, "bybit") && strcmp(ex, "any")) {
		snprintf(err, errn, "bad exchange %s", ex);
		return NULL;
	}
	if (!strcmp(type, "answer_lost") && mode && strcmp(mode, "drop") && strcmp(mode, "hang") &&
	    strcmp(mode, "error") && strcmp(mode, "delay")) {
		snprintf(err, errn, "bad mode %.40s (drop, hang, error or delay)", mode);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->id = w->next_fault_id++;
	snprintf(f->type, sizeof f->type, "%s", type);
	f->ex = !ex || !strcmp(ex, "any") ? -1 : !strcmp(ex, "bybit") ? SIM_BYBIT : SIM_BINANCE;
	snprintf(f->endpoint, sizeof f->endpoint, "%s", sim_jstr(spec, "endpoint") ? sim_jstr(spec, "endpoint") : "");
	snprintf(f->account, sizeof f->account, "%s", sim_jstr(spec, "account") ? sim_jstr(spec, "account") : "");
	snprintf(f->symbol, sizeof f->symbol, "%s", sim_jstr(spec, "symbol") ? sim_jstr(spec, "symbol") : "");
	snprintf(f->msg, sizeof f->msg, "%s", sim_jstr(spec, "msg") ? sim_jstr(spec, "msg") : "");
	f->from = now + geti(spec, "from_ms", 0);
	f->until = geti(spec, "until_ms", -1) >= 0 ? now + geti(spec, "until_ms", 0) : 0;
	f->count = (int)geti(spec, "count", -1);
	f->status = (int)geti(spec, "status", 0);
	f->ms = (int)geti(spec, "ms", 0);
	f->retry_after = (int)geti(spec, "retry_after", 1);
	f->code = (int)geti(spec, "code", 0);
	snprintf(f->mode, sizeof f->mode, "%s", !strcmp(type, "answer_lost") ? mode ? mode : "drop" : "");
	for (tail = &w->faults; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	return f;
}

static int active(struct sim_fault *f, long long now)
{
	return f->count != 0 && now >= f->from && (!f->until || now < f->until);
}

static struct sim_fault *find(struct sim_world *w, const char *type, int ex, const char *path, const char *key,
			      const char *symbol, int consume)
{
	long long now = w->fake_now ? w->fake_now : sim_real_ms();

	for (struct sim_fault *f = w->faults; f; f = f->next) {
		if (strcmp(f->type, type) || !active(f, now))
			continue;
		if (symbol && f->symbol[0] && strcmp(symbol, f->symbol))
			continue;
		if (f->ex >= 0 && ex >= 0 && f->ex != ex)
			continue;
		if (f->endpoint[0] && (!path || strncmp(path, f->endpoint, strlen(f->endpoint))))
			continue;
		if (f->account[0] && key && strcmp(key, f->account))
			continue;
		if (consume) {
			f->hits++;
			if (f->count > 0)
				f->count--;
		}
		return f;
	}
	return NULL;
}

struct sim_fault *sim_fault_find(struct sim_world *w, const char *type, int ex, const char *path, const char *key,
				 int consume)
{
	return find(w, type, ex, path, key, NULL, consume);
}

struct sim_fault *sim_fault_find_sym(struct sim_world *w, const char *type, int ex, const char *key, const char *symbol,
				     int consume)
{
	return find(w, type, ex, NULL, key, symbol ? symbol : "", consume);
}

void sim_fault_clear(struct sim_world *w, int id)
{
	struct sim_fault **pp = &w->faults;

	while (*pp) {
		struct sim_fault *f = *pp;

		if (id < 0 || f->id == id) {
			*pp = f->next;
			free(f);
		} else {
			pp = &f->next;
		}
	}
}

struct json_object *sim_fault_list(struct sim_world *w)
{
	struct json_object *arr = json_object_new_array();
	long long now = w->fake_now ? w->fake_now : sim_real_ms();

	for (struct sim_fault *f = w->faults; f; f = f->next) {
		struct json_object *o = json_object_new_object();

		sim_jint(o, "id", f->id);
		sim_jstr_add(o, "type", f->type);
		sim_jstr_add(o, "exchange", f->ex < 0 ? "any" : f->ex == SIM_BYBIT ? "bybit" : "binance");
		sim_jstr_add(o, "endpoint", f->endpoint);
		sim_jstr_add(o, "account", f->account);
		sim_jstr_add(o, "symbol", f->symbol);
		sim_jint(o, "count", f->count);
		sim_jint(o, "hits", f->hits);
		sim_jint(o, "status", f->status);
		sim_jint(o, "ms", f->ms);
		if (f->mode[0])
			sim_jstr_add(o, "mode", f->mode);
		sim_jbool(o, "active", active(f, now));
		json_object_array_add(arr, o);
	}
	return arr;
}
