#include "watchdog/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "watchdog/config.h"
#include "base/log.h"
#include "base/xalloc.h"

static const struct wd_cmd commands[] = {
	{ "run", "-c FILE", "run the sidecar daemon (streams, audits, repairs, alerts)", cmd_run },
	{ "audit", "-c FILE [--account A] [--json]",
	  "one full audit; exit 0 ok, 1 warning, 2 critical, 3 could not audit", cmd_audit },
	{ "status", "-c FILE [--account A]", "per symbol: what stream, REST, orders and DB say", cmd_status },
	{ "repair", "-c FILE sl|close|cancel|cancel-orphans ... [--dry-run] [--yes]",
	  "manual repairs, planned and verified like the daemon's", cmd_repair },
	{ "findings", "-c FILE [--open]", "list stored findings", cmd_findings },
	{ "ack", "-c FILE KEY", "silence repeats of one finding until it resolves", cmd_ack },
	{ "db", "-c FILE migrate", "apply vigil's schema migrations", cmd_db },
	{ "alert", "-c FILE test", "send a test message to every configured channel", cmd_alert },
	{ "check-config", "FILE", "validate a configuration file and exit", cmd_check_config },
	{ "version", "", "print the version", cmd_version },
	{ "help", "", "this text", cmd_help },
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: vigil COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-13s %-44s %s\n", commands[i].name, commands[i].args, commands[i].help);
	fprintf(f, "\nexit codes: 0 ok, 64 usage, 78 config error, 69 unavailable;"
		   " audit: 0 ok, 1 warning, 2 critical, 3 could not audit\n");
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "vigil: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_usage(stderr);
	return EX_USAGE_;
}

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	print_usage(stdout);
	return EX_OK_;
}

int cmd_version(int argc, char **argv)
{
	if (argc > 1)
		return cli_usage("version takes no arguments");
	(void)argv;
	printf("vigil %s\n", VIGIL_VERSION);
	return EX_OK_;
}

int cmd_check_config(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage("check-config needs exactly one FILE");
	struct wd_conf *c = xcalloc(1, sizeof *c);
	char err[1024];
	int rc = wd_conf_load(argv[1], c, err, sizeof err);
	if (rc != 0) {
		log_redact(err, sizeof err);
		fprintf(stderr, "vigil: config error: %s\n", err);
		free(c);
		return EX_CONFIG_;
	}
	printf("%s: ok (%zu account%s)\n", argv[1], c->naccounts, c->naccounts == 1 ? "" : "s");
	for (size_t i = 0; i < c->naccounts; i++)
		printf("  account %-16s %-8s mode=%s\n", c->accounts[i].name,
		       rec_exchange_name(c->accounts[i].exchange), rec_mode_name(c->accounts[i].mode));
	wd_conf_free(c);
	free(c);
	return EX_OK_;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("no command given");
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(name, "--version"))
		return cmd_version(1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		return commands[i].run(argc - 1, argv + 1);
	}
	return cli_usage("unknown command '%s'", name);
}
