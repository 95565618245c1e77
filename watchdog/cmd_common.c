/* DESIGN: option parsing for the engine commands. Hand-written rather
 * than getopt_long: each command names the options it accepts as a bit
 * set, so one table gives every command the same spelling and the same
 * errors, and an option a command does not take is a usage error (64)
 * rather than silently ignored (a mistyped --dry-run must never run a
 * real repair). */
#include "watchdog/cmd_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

struct optdef {
	const char *lng;
	const char *shrt;
	unsigned bit;
	bool arg;
};

static const struct optdef defs[] = {
	{ "--config", "-c", WD_OPT_CONF, true },   { "--account", "-a", WD_OPT_ACCOUNT, true },
	{ "--json", NULL, WD_OPT_JSON, false },    { "--yes", "-y", WD_OPT_YES, false },
	{ "--dry-run", "-n", WD_OPT_DRY, false },  { "--open", NULL, WD_OPT_OPEN, false },
	{ "--price", NULL, WD_OPT_PRICE, true },   { "--percent", NULL, WD_OPT_PERCENT, true },
	{ "--listen", NULL, WD_OPT_LISTEN, true }, { "--quiet", "-q", WD_OPT_QUIET, false },
	{ "--grace", NULL, WD_OPT_GRACE, true },   { "--timeout", "-t", WD_OPT_TIMEOUT, true },
};

static int parse_pos_double(const char *v, double *out)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !(d > 0) || d > 1e12)
		return -1;
	*out = d;
	return 0;
}

static int apply(struct wd_cmdopts *o, unsigned bit, const char *name, const char *v, char *err, size_t errlen)
{
	switch (bit) {
	case WD_OPT_CONF: o->conf = v; break;
	case WD_OPT_ACCOUNT: o->account = v; break;
	case WD_OPT_JSON: o->json = true; break;
	case WD_OPT_YES: o->yes = true; break;
	case WD_OPT_DRY: o->dry_run = true; break;
	case WD_OPT_OPEN: o->open_only = true; break;
	case WD_OPT_QUIET: o->quiet = true; break;
	case WD_OPT_PRICE:
		if (parse_pos_double(v, &o->price) != 0)
			goto bad;
		o->has_price = true;
		break;
	case WD_OPT_PERCENT:
		if (parse_pos_double(v, &o->percent) != 0 || o->percent >= 100)
			goto bad;
		o->has_percent = true;
		break;
	case WD_OPT_GRACE:
		if (wd_parse_duration_ms(v, &o->grace_ms) != 0 || o->grace_ms > 86400000)
			goto bad;
		break;
	case WD_OPT_TIMEOUT: {
		char *end;
		long t = strtol(v, &end, 10);
		if (end == v || *end || v[0] < '0' || v[0] > '9' || t < 1 || t > 3600)
			goto bad;
		o->timeout_s = (int)t;
		break;
	}
	case WD_OPT_LISTEN:
		if (wd_parse_duration_ms(v, &o->listen_ms) != 0 || o->listen_ms > 600000)
			goto bad;
		break;
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: bad value '%s'", name, v);
	return -1;
}

int wd_cmdopts_parse(int argc, char **argv, unsigned allowed, struct wd_cmdopts *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->listen_ms = 2000;
	o->grace_ms = -1;
	bool opts_done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts_done || a[0] != '-' || a[1] == '\0') {
			if (o->npos == WD_MAX_POS) {
				snprintf(err, errlen, "too many arguments");
				return -1;
			}
			o->pos[o->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		const char *eq = strchr(a, '=');
		size_t nl = eq && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
		const struct optdef *d = NULL;
		for (size_t k = 0; k < sizeof defs / sizeof defs[0]; k++) {
			if ((strlen(defs[k].lng) == nl && strncmp(a, defs[k].lng, nl) == 0) ||
			    (defs[k].shrt && strcmp(a, defs[k].shrt) == 0)) {
				d = &defs[k];
				break;
			}
		}
		if (!d || !(allowed & d->bit)) {
			snprintf(err, errlen, "unknown option '%s' for '%s'", a, argv[0]);
			return -1;
		}
		const char *v = NULL;
		if (d->arg) {
			if (eq && a[1] == '-') {
				v = eq + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				snprintf(err, errlen, "option %s needs a value", d->lng);
				return -1;
			}
		} else if (eq && a[1] == '-') {
			snprintf(err, errlen, "option %s takes no value", d->lng);
			return -1;
		}
		if (apply(o, d->bit, d->lng, v, err, errlen) != 0)
			return -1;
	}
	if ((allowed & WD_OPT_CONF) && !o->conf) {
		const char *env = getenv("VIGIL_CONFIG");
		if (env && *env)
			o->conf = env;
	}
	if ((allowed & WD_OPT_CONF) && !o->conf) {
		snprintf(err, errlen, "'%s' needs -c FILE (or VIGIL_CONFIG)", argv[0]);
		return -1;
	}
	if (o->has_price && o->has_percent) {
		snprintf(err, errlen, "--price and --percent exclude each other");
		return -1;
	}
	return 0;
}

bool wd_cmdargs_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--json") == 0)
			return true;
	}
	return false;
}

struct wd_conf *wd_cmd_load_conf(const char *path, char *err, size_t errlen)
{
	struct wd_conf *c = xcalloc(1, sizeof *c);
	if (wd_conf_load(path, c, err, errlen) != 0) {
		log_redact(err, errlen);
		free(c);
		return NULL;
	}
	log_set_level((enum log_level)c->log_level);
	return c;
}

void wd_cmd_quiet_logs(const struct wd_conf *c)
{
	/* one-shot commands print their own report: only problems on stderr,
	 * unless the config asks for debug */
	if (c->log_level < LOG_LVL_DEBUG)
		log_set_level(LOG_LVL_WARN);
}

struct wd_conf *wd_cmd_conf_oneshot_err(const char *path, const char *who, char *errout, size_t errlen)
{
	char err[1024];
	struct wd_conf *c = wd_cmd_load_conf(path, err, sizeof err);
	if (!c) {
		fprintf(stderr, "%s: config error: %s\n", who, err);
		if (errout)
			snprintf(errout, errlen, "config error: %s", err);
		return NULL;
	}
	wd_cmd_quiet_logs(c);
	return c;
}

struct wd_conf *wd_cmd_conf_oneshot(const char *path, const char *who)
{
	return wd_cmd_conf_oneshot_err(path, who, NULL, 0);
}

void wd_cmd_grace_override(struct wd_conf *c, int64_t grace_ms)
{
	if (grace_ms >= 0)
		for (size_t i = 0; i < c->naccounts; i++)
			c->accounts[i].grace_open_ms = c->accounts[i].grace_order_ms = grace_ms;
}

bool wd_confirm(const char *question, bool yes, bool *refused_tty)
{
	*refused_tty = false;
	if (yes)
		return true;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr,
			"vigil: not a terminal: add --yes to carry this out (or --dry-run to see the plan only)\n");
		*refused_tty = true;
		return false;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	char line[32];
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}
