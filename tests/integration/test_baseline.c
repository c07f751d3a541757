/*
 * NAME
 *	test_baseline - --baseline, --fail-on-new, "smtp-audit diff" and the nightly script
 *
 * DESCRIPTION
 *	smtp-lab serves one fixed loopback port whose persona changes between
 *	runs: hardened, then open-relay. The second scan, compared with the
 *	first, marks the relay finding new and exits 1 with --fail-on-new; a
 *	third scan of the same server exits 0; "smtp-audit diff" agrees
 *	offline. With the lab stopped, a fourth scan fails and must not call
 *	the baseline's findings resolved. Every JSON output is validated
 *	against its schema. scripts/smtp-audit-nightly.sh runs twice against
 *	the lab in a temporary directory: the first run keeps a report and
 *	alerts on nothing new, the second, after the persona changed, alerts.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "run.h"

#define VALIDATE      "/usr/bin/python3", SA_SOURCE_DIR "/scripts/validate-json.py"
#define REPORT_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-report.schema.json"
#define DIFF_SCHEMA   SA_SOURCE_DIR "/tests/schema/smtp-audit-diff.schema.json"
#define NIGHTLY       SA_SOURCE_DIR "/scripts/smtp-audit-nightly.sh"
#define SCAN_TIMEOUT  120

static struct lab lab;
static char dir[64];
static char port_text[8];

static void cleanup(void)
{
	lab_stop(&lab);
	if (dir[0] == '\0')
		return;
	DIR *d = opendir(dir);
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static void setup(void)
{
	strcpy(dir, "/tmp/sa-baseline-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	/* A port the kernel just found free, so both personas can be served on it in turn. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	snprintf(port_text, sizeof(port_text), "%u", (unsigned)ntohs(sin.sin_port));
}

TestSuite(baseline_cli, .init = setup, .fini = cleanup, .timeout = 600);

static void serve(const char *persona)
{
	lab_stop(&lab);
	char spec[64];
	snprintf(spec, sizeof(spec), "127.0.0.1:%s=%s", port_text, persona);
	const char *specs[] = {spec};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0, "smtp-lab did not start on %s", spec);
}

static const char *path_of(const char *name)
{
	static char paths[8][128];
	static size_t next;
	char *p = paths[next++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* Scans the lab into NAME (-o json --out); extra options may follow; returns the exit code. */
static int scan(const char *name, const char *opt1, const char *opt2, const char *opt3)
{
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0",     "--host-rate",
	                      "0",          "-q", "-p",   port_text,   "--out", path_of(name),
	                      "127.0.0.1",  opt1, opt2,   opt3,        NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT, NULL, &r), 0);
	cr_assert_not(r.timed_out, "smtp-audit did not finish");
	int code = r.exit_code;
	cr_log_info("scan %s: exit %d, stderr: %s", name, code, r.err);
	run_result_free(&r);
	return code;
}

static void validate(const char *schema, const char *path)
{
	const char *argv[] = {VALIDATE, schema, path, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "%s does not match %s: %s%s", path, schema, r.out, r.err);
	run_result_free(&r);
}

static json_t *load(const char *path)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	cr_assert_not_null(doc, "%s: %s", path, jerr.text);
	return doc;
}

/* Fingerprints of findings with the given id in a report, as a JSON array. */
static json_t *fingerprints_of(const json_t *report, const char *id)
{
	json_t *fps = json_array();
	size_t i, j;
	json_t *target, *finding;
	json_array_foreach(json_object_get(report, "targets"), i, target) json_array_foreach(
	    json_object_get(target, "findings"), j,
	    finding) if (strcmp(json_string_value(json_object_get(finding, "id")), id) == 0)
	    json_array_append(fps, json_object_get(finding, "fingerprint"));
	return fps;
}

static bool array_has_string(const json_t *array, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(array, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static struct run_result diff(const char *format, const char *old_name, const char *new_name)
{
	const char *argv[] = {SA_AUDIT_BIN,      "diff", "-o", format, path_of(old_name),
	                      path_of(new_name), NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	return r;
}

Test(baseline_cli, marks_new_findings_across_runs)
{
	serve("hardened");
	cr_assert_eq(scan("run1.json", "--fail-on", "never", NULL), 0);
	validate(REPORT_SCHEMA, path_of("run1.json"));

	serve("open-relay");
	cr_assert_eq(scan("run2.json", "--baseline", path_of("run1.json"), "--fail-on-new"), 1,
	             "a new open relay must fail --fail-on-new");
	validate(REPORT_SCHEMA, path_of("run2.json"));
	json_t *run2 = load(path_of("run2.json"));
	json_t *relay = fingerprints_of(run2, "SMTP-RELAY-001");
	cr_assert_gt(json_array_size(relay), 0, "the open-relay persona was not detected");
	const json_t *base = json_object_get(run2, "baseline");
	cr_assert_str_eq(json_string_value(json_object_get(base, "file")), path_of("run1.json"));
	size_t i;
	json_t *fp;
	json_array_foreach(relay, i, fp)
	    cr_assert(array_has_string(json_object_get(base, "new"), json_string_value(fp)),
	              "relay finding %s not marked new", json_string_value(fp));
	cr_assert_gt(json_array_size(json_object_get(base, "changes")), 0,
	             "the banner changed with the persona");

	cr_assert_eq(scan("run3.json", "--baseline", path_of("run2.json"), "--fail-on-new"), 0,
	             "the same server again has nothing new");
	json_t *run3 = load(path_of("run3.json"));
	cr_assert_eq(json_array_size(json_object_get(json_object_get(run3, "baseline"), "new")), 0);

	struct run_result r = diff("json", "run1.json", "run2.json");
	cr_assert_eq(r.exit_code, 1, "diff: %s", r.err);
	FILE *f = fopen(path_of("diff12.json"), "w");
	cr_assert_not_null(f);
	fputs(r.out, f);
	fclose(f);
	validate(DIFF_SCHEMA, path_of("diff12.json"));
	json_t *d = load(path_of("diff12.json"));
	json_t *offline_new = json_array();
	json_array_foreach(json_object_get(d, "new"), i, fp)
	    json_array_append(offline_new, json_object_get(fp, "fingerprint"));
	cr_assert(json_equal(offline_new, json_object_get(base, "new")),
	          "diff and --baseline disagree on what is new");
	run_result_free(&r);

	r = diff("text", "run2.json", "run3.json");
	cr_assert_eq(r.exit_code, 0, "diff: %s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, ": 0 new,"), "%s", r.out);
	run_result_free(&r);

	json_decref(offline_new);
	json_decref(d);
	json_decref(run3);
	json_decref(relay);
	json_decref(run2);
}

Test(baseline_cli, failed_target_does_not_resolve)
{
	serve("open-relay");
	cr_assert_eq(scan("before.json", "--fail-on", "never", NULL), 0);
	lab_stop(&lab);
	cr_assert_eq(scan("after.json", "--baseline", path_of("before.json"), "--fail-on-new"), 3,
	             "nothing could be scanned");
	validate(REPORT_SCHEMA, path_of("after.json"));
	json_t *after = load(path_of("after.json"));
	const json_t *base = json_object_get(after, "baseline");
	cr_assert_eq(json_array_size(json_object_get(base, "resolved")), 0);
	cr_assert_eq(json_array_size(json_object_get(base, "unverified")), 1);
	json_decref(after);
}

Test(baseline_cli, refuses_an_invalid_baseline)
{
	FILE *f = fopen(path_of("truncated.json"), "w");
	cr_assert_not_null(f);
	fputs("{\"schema_version\":\"1.0\",\"targets\":[{\"host\":", f);
	fclose(f);
	cr_assert_eq(scan("unused.json", "--baseline", path_of("truncated.json"), NULL), 2);
	cr_assert_eq(access(path_of("unused.json"), F_OK), -1, "nothing scanned, no report");

	struct run_result r = diff("text", "truncated.json", "truncated.json");
	cr_assert_eq(r.exit_code, 2);
	cr_assert_not_null(strstr(r.err, "truncated.json: invalid JSON"), "%s", r.err);
	run_result_free(&r);

	const char *argv[] = {SA_AUDIT_BIN, "diff", path_of("only-one.json"), NULL};
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 2);
	cr_assert_not_null(strstr(r.err, "expects two reports"), "%s", r.err);
	run_result_free(&r);
}

static int nightly(const char *reports)
{
	char target[32];
	snprintf(target, sizeof(target), "127.0.0.1:%s", port_text);
	const char *argv[] = {"/usr/bin/env",
	                      "SMTP_AUDIT=" SA_AUDIT_BIN,
	                      "SMTP_AUDIT_MAIL_TO=",
	                      NIGHTLY,
	                      reports,
	                      "--",
	                      "--retries",
	                      "0",
	                      "--host-rate",
	                      "0",
	                      target,
	                      NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT * 2, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	int code = r.exit_code;
	cr_log_info("nightly: exit %d\n%s%s", code, r.out, r.err);
	run_result_free(&r);
	return code;
}

static size_t count_reports(const char *reports)
{
	DIR *d = opendir(reports);
	cr_assert_not_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;)
		n += strncmp(e->d_name, "smtp-audit-", 11) == 0 &&
		     strstr(e->d_name, ".json") != NULL;
	closedir(d);
	return n;
}

Test(baseline_cli, nightly_script_alerts_on_new_findings)
{
	const char *reports = path_of("reports");
	char keep[128];
	snprintf(keep, sizeof(keep), "%s", reports);
	cr_assert_eq(mkdir(keep, 0700), 0);
	serve("hardened");
	cr_assert_eq(nightly(keep), 0, "first run: nothing to compare, no alert");
	cr_assert_eq(count_reports(keep), 1);
	serve("open-relay");
	/* Reports are named by the second: the next run must not reuse the name. */
	sleep(1);
	cr_assert_eq(nightly(keep), 1, "new open relay: the script must fail for OnFailure=");
	cr_assert_eq(count_reports(keep), 2);
	const char *argv[] = {"/bin/rm", "-rf", keep, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	run_result_free(&r);
}
