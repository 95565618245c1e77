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
void wd_audit_print_table(FILE *f, const struct wd_audit *a, size_t n);

/* New json objects (json_object_put them). */
struct json_object *wd_finding_json(const struct rec_finding *f);
struct json_object *wd_action_json(const struct rec_action *a);
struct json_object *wd_audit_json(const struct wd_audit *a, size_t n);

/* The one-shot audit: every selected account, streams listened to for
 * listen_ms first. *out: n audits (free each with wd_audit_free, then the
 * array). Returns 0, -1 with err set if the engine could not start. */
int wd_audit_run_all(struct wd_engine *e, int64_t listen_ms, struct wd_audit **out, size_t *n);

#endif
