/* Engine command options and the audit's Nagios exit code / output. */
#include <CUnit/CUnit.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support/testutil.h"
#include "watchdog/audit.h"
#include "watchdog/cmd_common.h"

static int parse(unsigned allowed, struct wd_cmdopts *o, char *err, size_t n, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return wd_cmdopts_parse(argc, argv, allowed, o, err, n);
}

static void test_wd_cli_repair_options_parse(void)
{
	struct wd_cmdopts o;
	char err[256];
	unsigned al = WD_OPT_CONF | WD_OPT_ACCOUNT | WD_OPT_YES | WD_OPT_DRY | WD_OPT_PRICE | WD_OPT_PERCENT;
	CU_ASSERT_EQUAL(parse(al, &o, err, sizeof err,
			      (char *[]){ "repair", "-c", "f.conf", "--account=main", "sl", "BTCUSDT", "--percent",
					  "1.5", "--dry-run", NULL }),
			0);
	CU_ASSERT_STRING_EQUAL(o.conf, "f.conf");
	CU_ASSERT_STRING_EQUAL(o.account, "main");
	CU_ASSERT_TRUE(o.dry_run);
	CU_ASSERT_FALSE(o.yes);
	CU_ASSERT_TRUE(o.has_percent);
	CU_ASSERT_DOUBLE_EQUAL(o.percent, 1.5, 1e-9);
	CU_ASSERT_EQUAL(o.npos, 2);
	CU_ASSERT_STRING_EQUAL(o.pos[0], "sl");
	CU_ASSERT_STRING_EQUAL(o.pos[1], "BTCUSDT");
}

static void test_wd_cli_unknown_or_foreign_option_is_refused(void)
{
	struct wd_cmdopts o;
	char err[256];
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF, &o, err, sizeof err, (char *[]){ "ack", "-c", "f", "--dryrun", NULL }), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--dryrun"));
	/* --json exists, but not for this command */
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF, &o, err, sizeof err, (char *[]){ "run", "-c", "f", "--json", NULL }), -1);
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF | WD_OPT_PRICE | WD_OPT_PERCENT, &o, err, sizeof err,
			      (char *[]){ "repair", "-c", "f", "--price", "1", "--percent", "2", NULL }),
			-1);
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF | WD_OPT_PRICE, &o, err, sizeof err,
			      (char *[]){ "repair", "-c", "f", "--price", "-3", NULL }),
			-1);
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF | WD_OPT_PRICE, &o, err, sizeof err,
			      (char *[]){ "repair", "-c", "f", "--price", NULL }),
			-1);
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF | WD_OPT_YES, &o, err, sizeof err,
			      (char *[]){ "repair", "-c", "f", "--yes=1", NULL }),
			-1);
}

static void test_wd_cli_config_required_unless_env(void)
{
	struct wd_cmdopts o;
	char err[256];
	unsetenv("VIGIL_CONFIG");
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF, &o, err, sizeof err, (char *[]){ "status", NULL }), -1);
	setenv("VIGIL_CONFIG", "/etc/vigil/vigil.conf", 1);
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF, &o, err, sizeof err, (char *[]){ "status", NULL }), 0);
	CU_ASSERT_STRING_EQUAL(o.conf, "/etc/vigil/vigil.conf");
	unsetenv("VIGIL_CONFIG");
	CU_ASSERT_EQUAL(parse(WD_OPT_CONF | WD_OPT_LISTEN, &o, err, sizeof err,
			      (char *[]){ "audit", "-c", "x", "--listen", "500ms", "--", "-odd", NULL }),
			0);
	CU_ASSERT_EQUAL(o.listen_ms, 500);
	CU_ASSERT_EQUAL(o.npos, 1);
}

static void test_wd_cli_confirm_needs_yes_off_a_terminal(void)
{
	bool tty;
	CU_ASSERT_TRUE(wd_confirm("go?", true, &tty));
	CU_ASSERT_FALSE(tty);
	/* unit tests never run with stdin and stdout both on a terminal in CI;
	 * when they do, skip the negative half */
	if (!isatty(0) || !isatty(1)) {
		CU_ASSERT_FALSE(wd_confirm("go?", false, &tty));
		CU_ASSERT_TRUE(tty);
	}
}

static struct rec_finding mk(enum rec_code c, enum rec_severity s, const char *sym)
{
	struct rec_finding f;
	memset(&f, 0, sizeof f);
	f.code = c;
	f.severity = s;
	snprintf(f.account, sizeof f.account, "main");
	snprintf(f.symbol, sizeof f.symbol, "%s", sym);
	rec_finding_make_key(&f);
	return f;
}

static void test_wd_cli_audit_exit_codes_follow_nagios(void)
{
	struct rec_finding crit = mk(REC_ORPHAN_POSITION, REC_SEV_CRITICAL, "SKLUSDT");
	struct rec_finding warn = mk(REC_PHANTOM_POSITION, REC_SEV_WARNING, "BASUSDT");
	struct rec_finding info = mk(REC_REST_GLITCH, REC_SEV_INFO, "KAVAUSDT");
	struct wd_audit a[2];
	memset(a, 0, sizeof a);
	a[0].audited = a[1].audited = true;
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 2), WD_AUDIT_OK);
	a[0].findings = &info;
	a[0].nfindings = 1;
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 2), WD_AUDIT_OK);
	a[1].findings = &warn;
	a[1].nfindings = 1;
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 2), WD_AUDIT_WARNING);
	a[1].audited = false; /* one account could not be audited */
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 2), WD_AUDIT_UNKNOWN);
	a[0].findings = &crit; /* critical wins over unknown */
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 2), WD_AUDIT_CRITICAL);
	CU_ASSERT_EQUAL(wd_audit_exit_code(a, 0), WD_AUDIT_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(wd_audit_exit_name(2), "CRITICAL");
}

static void test_wd_cli_audit_json_and_table_name_every_finding(void)
{
	struct rec_finding fs[2] = { mk(REC_ORPHAN_POSITION, REC_SEV_CRITICAL, "SKLUSDT"),
				     mk(REC_UNPROTECTED_POSITION, REC_SEV_CRITICAL, "SKLUSDT") };
	fs[0].stream.present = true;
	fs[0].stream.side = REC_SIDE_LONG;
	fs[0].stream.size = 308;
	struct wd_audit a;
	memset(&a, 0, sizeof a);
	snprintf(a.account, sizeof a.account, "main");
	a.audited = true;
	a.findings = fs;
	a.nfindings = 2;
	struct json_object *j = wd_audit_json(&a, 1, 1780000000123LL);
	const char *s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"status\":\"CRITICAL\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"exit_code\":2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "main:binance:SKLUSDT:UNPROTECTED_POSITION"));
	/* what each source said is data: a side word and a number, null when
	 * the source did not list the symbol */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"stream\":{\"side\":\"LONG\",\"size\":308}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"rest\":null"));
	json_object_put(j);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	wd_audit_print_table(f, &a, 1, 18);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "ORPHAN_POSITION"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "L 308"));
	/* a Nagios plugin's status line first: verdict, summary, perfdata */
	CU_ASSERT_NSTRING_EQUAL(
		buf,
		"VIGIL CRITICAL - 2 critical, 0 warning on 1 account | critical=2;;;0 warning=0;;;0 "
		"info=0;;;0 unaudited=0;;;0 audit_ms=18ms;;;0\n",
		strlen("VIGIL CRITICAL - 2 critical, 0 warning on 1 account | critical=2;;;0 warning=0;;;0 "
		       "info=0;;;0 unaudited=0;;;0 audit_ms=18ms;;;0\n"));
	free(buf);
	/* an account not audited: UNKNOWN, its error on the status line,
	 * kept to one line with one '|' */
	a.audited = false;
	a.nfindings = 0;
	snprintf(a.error, sizeof a.error, "exchange unreachable: a|b\nc");
	f = open_memstream(&buf, &len);
	wd_audit_print_table(f, &a, 1, 5);
	fclose(f);
	CU_ASSERT_NSTRING_EQUAL(
		buf,
		"VIGIL UNKNOWN - 0 critical, 0 warning on 1 account; 1 not audited (exchange unreachable: a b c) | ",
		strlen("VIGIL UNKNOWN - 0 critical, 0 warning on 1 account; 1 not audited (exchange unreachable: a b "
		       "c) | "));
	free(buf);
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;
	CU_ASSERT_TRUE(json_object_object_get_ex(o, k, &v));
	return v;
}

static void test_wd_cli_json_head_numbers_and_sides(void)
{
	/* 2026-05-28T20:26:40.123Z */
	struct json_object *d = wd_json_doc_new(1780000000123LL);
	CU_ASSERT_EQUAL(json_object_get_int(get(d, "schema_version")), 1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(d, "generated_at")), "2026-05-28T20:26:40.123Z");
	CU_ASSERT_EQUAL(json_object_get_int64(get(d, "generated_at_ms")), 1780000000123LL);
	json_object_put(d);
	/* sizes and prices are numbers printed as the decimal they came as */
	struct json_object *n = wd_json_num(0.3);
	CU_ASSERT_TRUE(json_object_is_type(n, json_type_double));
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(n), "0.3");
	json_object_put(n);
	n = wd_json_num(0.01);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(n), "0.01");
	json_object_put(n);
	n = wd_json_num(58800);
	CU_ASSERT_STRING_EQUAL(json_object_to_json_string(n), "58800");
	json_object_put(n);
	CU_ASSERT_PTR_NULL(wd_json_num(1.0 / 0.0));
	CU_ASSERT_STRING_EQUAL(wd_json_side(REC_SIDE_LONG, 0.01), "LONG");
	CU_ASSERT_STRING_EQUAL(wd_json_side(REC_SIDE_SHORT, 2), "SHORT");
	CU_ASSERT_STRING_EQUAL(wd_json_side(REC_SIDE_UNKNOWN, 0), "FLAT");
	CU_ASSERT_STRING_EQUAL(wd_json_side(REC_SIDE_UNKNOWN, 5), "UNKNOWN");
}

static void test_wd_cli_json_error_document(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	wd_json_print_error(f, 1780000000123LL, 3, "UNKNOWN", "config error: x.conf:2: unknown key 'bogus'");
	fclose(f);
	struct json_object *j = json_tokener_parse(buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_object_get_int(get(j, "schema_version")), 1);
	CU_ASSERT_EQUAL(json_object_get_int(get(j, "exit_code")), 3);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(get(j, "status")), "UNKNOWN");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_object_get_string(get(j, "error")), "unknown key"));
	CU_ASSERT_EQUAL(json_object_array_length(get(j, "accounts")), 0);
	json_object_put(j);
	free(buf);
	/* --json is found even when the options around it are wrong */
	CU_ASSERT_TRUE(wd_cmdargs_json(4, (char *[]){ "audit", "--frobnicate", "--json", "-c", NULL }));
	CU_ASSERT_FALSE(wd_cmdargs_json(3, (char *[]){ "audit", "--", "--json", NULL }));
	CU_ASSERT_FALSE(wd_cmdargs_json(2, (char *[]){ "audit", "--frobnicate", NULL }));
}

void test_wd_cli_register(void)
{
	static const struct tu_test tests[] = {
		{ "test_wd_cli_repair_options_parse", test_wd_cli_repair_options_parse },
		{ "test_wd_cli_unknown_or_foreign_option_is_refused",
		  test_wd_cli_unknown_or_foreign_option_is_refused },
		{ "test_wd_cli_config_required_unless_env", test_wd_cli_config_required_unless_env },
		{ "test_wd_cli_confirm_needs_yes_off_a_terminal", test_wd_cli_confirm_needs_yes_off_a_terminal },
		{ "test_wd_cli_audit_exit_codes_follow_nagios", test_wd_cli_audit_exit_codes_follow_nagios },
		{ "test_wd_cli_audit_json_and_table_name_every_finding",
		  test_wd_cli_audit_json_and_table_name_every_finding },
		{ "test_wd_cli_json_head_numbers_and_sides", test_wd_cli_json_head_numbers_and_sides },
		{ "test_wd_cli_json_error_document", test_wd_cli_json_error_document },
		{ NULL, NULL },
	};
	tu_add_suite("wd_cli", tests);
}
