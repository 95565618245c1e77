/* `vigil findings -c FILE [--open] [--account A] [--json]`: the findings
 * stored in vigil's database (open and resolved, newest first). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql/db_conn.h"
#include "sql/db_store.h"
#include "watchdog/cli.h"
#include "watchdog/cmd_common.h"
#include "watchdog/params.h"
#include "base/text_clean.h"
#include "base/xalloc.h"

static const char *ts(int64_t ms, char *buf, size_t n)
{
	if (!ms)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
	return buf;
}

struct db_conn *wd_cmd_db_open(const struct wd_conf *c)
{
	if (!c->db_enabled) {
		fprintf(stderr,
			"vigil: no database configured ([database] enabled = false): findings are not stored\n");
		return NULL;
	}
	struct db_params p;
	struct db_err de;
	memset(&de, 0, sizeof de);
	wd_db_params(c, &p);
	struct db_conn *db = db_conn_new(&p, &de);
	if (!db || db_conn_ensure(db, &de) != DB_OK) {
		fprintf(stderr, "vigil: database unreachable: %s\n", de.msg);
		db_conn_free(db);
		return NULL;
	}
	return db;
}

int cmd_findings(int argc, char **argv)
{
	struct wd_cmdopts o;
	char err[1024];
	if (wd_cmdopts_parse(argc, argv, WD_OPT_CONF | WD_OPT_OPEN | WD_OPT_ACCOUNT | WD_OPT_JSON, &o, err,
			     sizeof err) != 0)
		return cli_usage("%s", err);
	if (o.npos)
		return cli_usage("findings takes no arguments");
	struct wd_conf *c = wd_cmd_conf_oneshot(o.conf, "vigil");
	if (!c)
		return EX_CONFIG_;
	int rc = EX_OK_;
	struct db_conn *db = wd_cmd_db_open(c);
	if (!db) {
		rc = EX_UNAVAILABLE_;
		goto out;
	}
	struct db_finding_row *rows = NULL;
	size_t n = 0;
	struct db_err de;
	memset(&de, 0, sizeof de);
	if (db_findings_list(db, o.open_only, o.account ? o.account : "", 0, &rows, &n, &de) != DB_OK) {
		fprintf(stderr, "vigil: findings: %s\n", de.msg);
		rc = EX_UNAVAILABLE_;
		goto out;
	}
	if (o.json) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			struct json_object *j = json_object_new_object();
			json_object_object_add(j, "key", json_object_new_string(rows[i].key));
			json_object_object_add(j, "code", json_object_new_string(rows[i].code_name));
			json_object_object_add(
				j, "severity",
				json_object_new_string(rec_severity_name((enum rec_severity)rows[i].severity)));
			json_object_object_add(j, "account", json_object_new_string(rows[i].account));
			json_object_object_add(j, "exchange", json_object_new_string(rows[i].exchange));
			json_object_object_add(j, "symbol", json_object_new_string(rows[i].symbol));
			json_object_object_add(j, "first_seen_ms", json_object_new_int64(rows[i].first_seen_ms));
			json_object_object_add(j, "last_seen_ms", json_object_new_int64(rows[i].last_seen_ms));
			json_object_object_add(j, "resolved_ms", json_object_new_int64(rows[i].resolved_ms));
			json_object_object_add(j, "open", json_object_new_boolean(rows[i].resolved_ms == 0));
			json_object_object_add(j, "acked", json_object_new_boolean(rows[i].acked));
			json_object_object_add(j, "detail", json_object_new_string(rows[i].detail));
			json_object_array_add(arr, j);
		}
		printf("%s\n",
		       json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else if (n == 0) {
		printf("no %sfindings\n", o.open_only ? "open " : "");
	} else {
		printf("%-8s %-8s %-20s %-14s %-12s %-21s %-21s %s\n", "STATE", "SEVERITY", "CODE", "ACCOUNT", "SYMBOL",
		       "FIRST SEEN", "RESOLVED", "KEY");
		for (size_t i = 0; i < n; i++) {
			char b1[32], b2[32];
			const struct db_finding_row *r = &rows[i];
			/* stored from the exchange: no terminal controls on screen */
			char *acct = tc_line_dup(r->account), *sym = tc_line_dup(r->symbol[0] ? r->symbol : "-");
			char *key = tc_line_dup(r->key);
			printf("%-8s %-8s %-20s %-14s %-12s %-21s %-21s %s\n",
			       r->resolved_ms ? "resolved"
			       : r->acked     ? "acked"
					      : "open",
			       rec_severity_name((enum rec_severity)r->severity), r->code_name, acct, sym,
			       ts(r->first_seen_ms, b1, sizeof b1), ts(r->resolved_ms, b2, sizeof b2), key);
			free(acct);
			free(sym);
			free(key);
		}
	}
	free(rows);
out:
	db_conn_free(db);
	wd_conf_free(c);
	free(c);
	return rc;
}
