/* `vigil ack -c FILE KEY [--yes] [--dry-run]`: acknowledges an open
 * finding, which silences its repeats and escalation until it resolves.
 * Stored in the database; a running daemon applies it at its next audit
 * of that account. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/db_conn.h"
#include "sql/db_store.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"

int cmd_ack(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_YES | WD_OPT_DRY, &o, err, sizeof err) != 0)
		return cli_usage("%s", err);
	if (o.npos != 1)
		return cli_usage("ack needs exactly one finding KEY (see `vigil findings --open`)");
	const char *key = o.pos[0];
	struct wd_conf *c = wd_cmd_conf_oneshot(o.conf, "vigil");
	if (!c)
		return EX_CONFIG_;
	int rc = EX_OK_;
	printf("plan: acknowledge %s (no more repeats or escalation until it resolves)\n", key);
	if (o.dry_run) {
		printf("dry run: nothing changed\n");
		goto out_conf;
	}
	bool tty_refused;
	if (!wd_confirm("acknowledge?", o.yes, &tty_refused)) {
		rc = tty_refused ? EX_USAGE_ : 1;
		if (!tty_refused)
			printf("not acknowledged\n");
		goto out_conf;
	}
	struct db_conn *db = wd_cmd_db_open(c);
	if (!db) {
		rc = EX_UNAVAILABLE_;
		goto out_conf;
	}
	long found = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_finding_ack(db, key, &found, &de) != DB_OK) {
		fprintf(stderr, "vigil: ack: %s\n", de.msg);
		rc = EX_UNAVAILABLE_;
	} else if (found == 0) {
		fprintf(stderr, "vigil: no open finding with key %s\n", key);
		rc = EX_DATAERR_;
	} else {
		printf("acknowledged %s\n", key);
	}
	db_conn_free(db);
out_conf:
	wd_conf_free(c);
	free(c);
	return rc;
}
