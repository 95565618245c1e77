/* Output of audits and findings: the human table and the JSON form used
 * by `vigil audit`, `vigil findings` and `vigil status`, and the Nagios
 * exit code of a set of audits. */
#ifndef WD_AUDIT_H
#define WD_AUDIT_H
#include <json-c/json.h>
#include <stdio.h>

#include "watchdog/engine.h"

#define WD_AUDIT_OK 0
#define WD_AUDIT_WARNING 1
#define WD_AUDIT_CRITICAL 2
#define WD_AUDIT_UNKNOWN 3

/* critical -> 2; else any account not audited -> 3; else warning -> 1;
 * else 0 (info findings do not raise the code). */
int wd_audit_exit_code(const struct wd_audit *a, size_t n);
const char *wd_audit_exit_name(int code);

void wd_findings_print_table(FILE *f, const struct rec_finding *fs, size_t n, bool with_account);
/* The Nagios plugin line (Nagios Plugin Development Guidelines): status,
 * a summary and performance data on the first line,
 *   VIGIL CRITICAL - 2 critical, 1 warning on 2 accounts | critical=2;;;0 ...
 * then the per-account details. elapsed_ms: the whole command's time. */
void wd_audit_print_table(FILE *f, const struct wd_audit *a, size_t n, int64_t elapsed_ms);

/* JSON output of `vigil audit --json` and `vigil status --json`, field by
 * field in README "JSON output". Data, not display strings: sizes and
 * prices are JSON numbers, sides words, times epoch ms; a field with
 * nothing to say is null. Bump the version on any incompatible change. */
#define WD_JSON_SCHEMA_VERSION 1

/* New json objects (json_object_put them). now_ms: the document's
 * generated_at_ms, which ages (age_ms) count from. */
struct json_object *wd_finding_json(const struct rec_finding *f, int64_t now_ms);
struct json_object *wd_action_json(const struct rec_action *a);
/* The whole `vigil audit --json` document. */
struct json_object *wd_audit_json(const struct wd_audit *a, size_t n, int64_t now_ms);

/* A document head: schema_version, generated_at (ISO-8601 UTC, ms),
 * generated_at_ms. */
struct json_object *wd_json_doc_new(int64_t now_ms);
/* A number as the %.15g decimal (0.3, not 0.29999999999999999); NULL
 * (JSON null) when not finite. */
struct json_object *wd_json_num(double d);
/* "FLAT" for size 0, else LONG / SHORT / UNKNOWN. */
const char *wd_json_side(enum rec_side side, double size);
/* Prints j (pretty) and a newline, then json_object_put(j). */
void wd_json_print(FILE *f, struct json_object *j);
/* An error before any audit (usage, config, engine start) in --json mode:
 * one document with no accounts, "exit_code", "error" and, when status is
 * not NULL, "status". */
void wd_json_print_error(FILE *f, int64_t now_ms, int exit_code, const char *status, const char *error);

/* The one-shot audit: every selected account, streams listened to for
 * listen_ms first. *out: n audits (free each with wd_audit_free, then the
 * array). Returns 0, -1 with err set if the engine could not start. */
int wd_audit_run_all(struct wd_engine *e, int64_t listen_ms, struct wd_audit **out, size_t *n);

#endif
