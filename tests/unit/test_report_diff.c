/*
 * NAME
 *	test_report_diff - golden-file, schema and escaping tests for baseline output
 *
 * DESCRIPTION
 *	Two small reports, one with hostile strings, are compared and
 *	rendered as "smtp-audit diff" text and JSON (goldens diff.txt and
 *	diff.json; SA_UPDATE_GOLDEN=1 regenerates them, review before
 *	committing). The fixture scan of report_fixture.h is compared with an
 *	edited copy of itself and written by the text and JSON writers with
 *	--baseline (golden report-baseline.txt; the JSON is validated against
 *	the report schema). The fixture and its own JSON report must compare
 *	equal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baseline.h"
#include "report_diff.h"
#include "report_fixture.h"

#define PYTHON          "/usr/bin/python3"
#define VALIDATE_SCRIPT SA_SOURCE_DIR "/scripts/validate-json.py"
#define REPORT_SCHEMA   SA_SOURCE_DIR "/tests/schema/smtp-audit-report.schema.json"
#define DIFF_SCHEMA     SA_SOURCE_DIR "/tests/schema/smtp-audit-diff.schema.json"

static const char old_report[] =
    "{\"schema_version\":\"1.0\",\"targets\":["
    "{\"host\":\"mx1.example.org\",\"address\":\"192.0.2.1\",\"port\":25,\"outcome\":\"completed\","
    "\"banner\":\"220 mx1 ESMTP\",\"software\":{\"name\":\"Postfix\",\"version\":null},"
    "\"tls\":{\"version\":\"TLSv1.2\",\"ciphersuite\":\"A\",\"fingerprint\":\"aa\"},"
    "\"findings\":[{\"id\":\"SMTP-AUTH-001\",\"fingerprint\":\"11111111111111111111111111111111\","
    "\"title\":\"AUTH before TLS\",\"severity\":\"high\"}]},"
    "{\"host\":\"mx2.example.org\",\"address\":\"192.0.2.2\",\"port\":25,\"outcome\":\"completed\","
    "\"banner\":null,\"findings\":[{\"id\":\"SMTP-CERT-001\","
    "\"fingerprint\":\"22222222222222222222222222222222\",\"title\":\"Expired\","
    "\"severity\":\"medium\"}]}]}";

/* mx1's banner now carries an escape sequence and a non-ASCII character. */
static const char new_report[] =
    "{\"schema_version\":\"1.0\",\"targets\":["
    "{\"host\":\"mx1.example.org\",\"address\":\"192.0.2.1\",\"port\":25,\"outcome\":\"completed\","
    "\"banner\":\"220 \\u001b[31mmx1 \\u00e9\",\"software\":{\"name\":\"Postfix\","
    "\"version\":\"3.7\"},\"tls\":{\"version\":\"TLSv1.3\",\"ciphersuite\":\"B\",\"fingerprint\":"
    "\"bb\"},\"findings\":[{\"id\":\"SMTP-RELAY-001\","
    "\"fingerprint\":\"33333333333333333333333333333333\",\"title\":\"Open relay\","
    "\"severity\":\"critical\"},{\"id\":\"SMTP-AUTH-001\","
    "\"fingerprint\":\"11111111111111111111111111111111\",\"title\":\"AUTH before TLS\","
    "\"severity\":\"high\"}]},"
    "{\"host\":\"mx2.example.org\",\"address\":\"192.0.2.2\",\"port\":25,\"outcome\":\"refused\","
    "\"findings\":[]}]}";

struct compared {
	struct baseline_report old, cur;
	struct baseline_diff d;
};

static void compare_texts(struct compared *c)
{
	char err[256] = "";
	cr_assert_eq(
	    baseline_parse(&c->old, "old.json", old_report, strlen(old_report), err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(
	    baseline_parse(&c->cur, "new.json", new_report, strlen(new_report), err, sizeof(err)),
	    0, "%s", err);
	cr_assert_eq(baseline_compare(&c->d, &c->old, &c->cur), 0);
}

static void release(struct compared *c)
{
	baseline_diff_free(&c->d);
	baseline_report_free(&c->old);
	baseline_report_free(&c->cur);
}

static const struct report_diff_source diff_source = {
    .baseline = "old.json", .current = "new.json", .fail_on = SEVERITY_MEDIUM};

static struct report_fixture_output render_diff(const struct baseline_diff *d, bool json)
{
	struct report_fixture_output o = {0};
	FILE *out = open_memstream(&o.data, &o.len);
	cr_assert_not_null(out);
	int rc =
	    json ? report_diff_json(out, d, &diff_source) : report_diff_text(out, d, &diff_source);
	cr_assert_eq(rc, 0);
	cr_assert_eq(fclose(out), 0);
	return o;
}

/* Runs the validation script on data against schema; returns its exit status. */
static int validate(const char *schema, const struct report_fixture_output *o)
{
	char path[] = "/tmp/sa-diff-XXXXXX.json", command[1024];
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, o->data, o->len), (ssize_t)o->len);
	close(fd);
	snprintf(command, sizeof(command), "%s %s %s %s 1>&2", PYTHON, VALIDATE_SCRIPT, schema,
	         path);
	int status = system(command);
	unlink(path);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(report_diff, text_golden, .timeout = 30)
{
	struct compared c;
	compare_texts(&c);
	struct report_fixture_output o = render_diff(&c.d, false);
	report_fixture_golden("diff.txt", &o);
	cr_assert_null(memchr(o.data, '\033', o.len), "no raw escape reaches the terminal");
	cr_assert_not_null(strstr(o.data, "\\x1b[31mmx1 \\xc3\\xa9"));
	cr_assert_not_null(strstr(o.data, "mx2.example.org:25: failed or not scanned now"));
	free(o.data);
	release(&c);
}

Test(report_diff, json_golden_and_schema, .timeout = 60)
{
	struct compared c;
	compare_texts(&c);
	struct report_fixture_output o = render_diff(&c.d, true);
	report_fixture_golden("diff.json", &o);
	cr_assert_eq(validate(DIFF_SCHEMA, &o), 0, "diff output does not match its schema");
	free(o.data);
	release(&c);
}

Test(report_diff, status_of_a_fingerprint, .timeout = 10)
{
	struct compared c;
	compare_texts(&c);
	cr_assert_str_eq(report_diff_status(&c.d, "33333333333333333333333333333333"), "new");
	cr_assert_str_eq(report_diff_status(&c.d, "11111111111111111111111111111111"), "unchanged");
	release(&c);
}

/* The fixture compared with a copy that lacks its first finding and has another banner. */
static void compare_fixture(struct scan_result *scan, struct compared *c)
{
	report_fixture_scan(scan, REPORT_FIXTURE_FORWARD);
	cr_assert_eq(baseline_from_scan(&c->old, scan), 0);
	cr_assert_eq(baseline_from_scan(&c->cur, scan), 0);
	struct baseline_target *t = NULL;
	for (size_t i = 0; t == NULL && i < c->old.ntargets; i++)
		if (c->old.targets[i].nfindings > 0 && c->old.targets[i].completed)
			t = &c->old.targets[i];
	cr_assert_not_null(t);
	free(t->findings[0].fingerprint);
	t->findings[0].fingerprint = strdup("ffffffffffffffffffffffffffffffff");
	free(t->facts[BASELINE_FACT_BANNER]);
	t->facts[BASELINE_FACT_BANNER] = strdup("220 an older banner");
	cr_assert_eq(baseline_compare(&c->d, &c->old, &c->cur), 0);
	cr_assert_eq(c->d.nadded, 1);
	cr_assert_eq(c->d.nresolved, 1);
}

static struct report_fixture_output render_with_baseline(const char *writer,
                                                         const struct baseline_diff *d)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.baseline = d;
	opt.baseline_file = "last.json";
	struct report_fixture_output o = report_fixture_render(report_find(writer), opt, &scan);
	scan_result_free(&scan);
	return o;
}

Test(report_diff, text_report_with_baseline, .timeout = 30)
{
	struct scan_result scan;
	struct compared c;
	compare_fixture(&scan, &c);
	struct report_fixture_output o = render_with_baseline("text", &c.d);
	report_fixture_golden("report-baseline.txt", &o);
	cr_assert_not_null(strstr(o.data, "[new] "));
	cr_assert_not_null(strstr(o.data, "baseline last.json: 1 new"));
	free(o.data);
	release(&c);
	scan_result_free(&scan);
}

/* With --fail-on-new the summary counts what the exit code counts: new findings only. */
static char *text_summary_line(const struct baseline_diff *d, bool fail_on_new)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.baseline = d;
	opt.baseline_file = "last.json";
	opt.fail_on = SEVERITY_INFO;
	opt.fail_on_new = fail_on_new;
	struct report_fixture_output o = report_fixture_render(report_find("text"), opt, &scan);
	scan_result_free(&scan);
	char *line = strstr(o.data, "fail-on info:");
	cr_assert_not_null(line, "%s", o.data);
	char *copy = strndup(line, strcspn(line, "\n"));
	free(o.data);
	return copy;
}

Test(report_diff, text_summary_counts_only_new_findings_with_fail_on_new, .timeout = 30)
{
	struct scan_result scan;
	struct compared c;
	compare_fixture(&scan, &c);
	size_t total = scan_result_count_at_least(&scan, SEVERITY_INFO);
	cr_assert_gt(total, 1);
	char expected[96];
	snprintf(expected, sizeof(expected), "fail-on info: met (findings at or above: %zu)", total);
	char *all = text_summary_line(&c.d, false);
	char *only_new = text_summary_line(&c.d, true);
	cr_expect_str_eq(all, expected);
	cr_expect_str_eq(only_new, "fail-on info: met (new findings at or above: 1)");
	free(all);
	free(only_new);
	release(&c);
	scan_result_free(&scan);
}

Test(report_diff, json_report_with_baseline, .timeout = 60)
{
	struct scan_result scan;
	struct compared c;
	compare_fixture(&scan, &c);
	struct report_fixture_output o = render_with_baseline("json", &c.d);
	cr_assert_eq(validate(REPORT_SCHEMA, &o), 0,
	             "report with baseline does not match its schema");
	json_error_t jerr;
	json_t *root = json_loadb(o.data, o.len, 0, &jerr);
	cr_assert_not_null(root, "%s", jerr.text);
	json_t *base = json_object_get(root, "baseline");
	cr_assert_str_eq(json_string_value(json_object_get(base, "file")), "last.json");
	cr_assert_eq(json_array_size(json_object_get(base, "new")), 1);
	cr_assert_eq(json_array_size(json_object_get(base, "resolved")), 1);
	cr_assert_eq(json_array_size(json_object_get(base, "changes")), 1);
	size_t i, j, nnew = 0, nunchanged = 0;
	json_t *target, *finding;
	json_array_foreach(json_object_get(root, "targets"), i, target)
	    json_array_foreach(json_object_get(target, "findings"), j, finding)
	{
		const char *status = json_string_value(json_object_get(finding, "baseline"));
		cr_assert_not_null(status);
		nnew += strcmp(status, "new") == 0;
		nunchanged += strcmp(status, "unchanged") == 0;
	}
	cr_assert_eq(nnew, 1);
	cr_assert_eq(nunchanged, c.d.nunchanged);
	json_decref(root);
	free(o.data);
	release(&c);
	scan_result_free(&scan);
}

/* The scan and its own JSON report must be the same to the comparison. */
Test(report_diff, scan_equals_its_json_report, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o =
	    report_fixture_render(report_find("json"), report_fixture_options(), &scan);
	struct baseline_report old, cur;
	char err[256] = "";
	cr_assert_eq(baseline_parse(&old, "fixture.json", o.data, o.len, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(baseline_from_scan(&cur, &scan), 0);
	cr_assert_eq(cur.ntargets, scan.ntargets);
	struct baseline_diff d;
	cr_assert_eq(baseline_compare(&d, &old, &cur), 0);
	size_t findings = 0;
	for (size_t i = 0; i < scan.ntargets; i++)
		findings += scan.targets[i]->nfindings;
	cr_assert_gt(findings, 0);
	cr_assert_eq(d.nadded, 0);
	cr_assert_eq(d.nresolved, 0);
	cr_assert_eq(d.nunverified, 0);
	cr_assert_eq(d.nunchanged, findings);
	for (size_t i = 0; i < d.nchanges; i++)
		cr_log_error("%s:%u %s: %s -> %s", d.changes[i].target->host,
		             d.changes[i].target->port, baseline_fact_name(d.changes[i].fact),
		             d.changes[i].before, d.changes[i].after);
	cr_assert_eq(d.nchanges, 0);
	bool has_tls = false;
	for (size_t i = 0; i < cur.ntargets; i++)
		has_tls |= cur.targets[i].facts[BASELINE_FACT_CERTIFICATE] != NULL;
	cr_assert(has_tls, "the fixture's TLS facts take part in the comparison");
	baseline_diff_free(&d);
	baseline_report_free(&old);
	baseline_report_free(&cur);
	free(o.data);
	scan_result_free(&scan);
}
