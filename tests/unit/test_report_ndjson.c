/*
 * NAME
 *	test_report_ndjson - golden-file, schema, streaming and hostile-input tests for -o ndjson
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.ndjson (SA_UPDATE_GOLDEN=1
 *	regenerates it; review the diff). Every line is validated on its own
 *	against tests/schema/smtp-audit-ndjson.schema.json, and tampered
 *	lines must fail that validation. The lines follow the model (one per
 *	finding, one per target, one summary; the same fingerprint and
 *	advice as -o json), each target's lines are on disk as soon as
 *	target() returns, hostile evidence (ANSI, invalid UTF-8, quotes,
 *	CR/LF) stays escaped on its own line, and stream errors are reported.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_fixture.h"
#include "report_lines.h"
#include "report_time.h"

#define NDJSON_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-ndjson.schema.json"

static const char *member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	cr_assert_not_null(s, "no string member %s", key);
	return s;
}

Test(report_ndjson, golden, .timeout = 60)
{
	report_fixture_expect_golden("ndjson", "report.ndjson");
}

Test(report_ndjson, validates_against_schema, .timeout = 60)
{
	report_lines_expect_fixed_valid("ndjson", NDJSON_SCHEMA);
}

/* where: the type of line to change. */
static struct report_lines_tamper tampers[] = {
    {"finding", "evidence", "[{\"kind\":\"sent\",\"text\":\"\\u001b[31m\"}]", "control byte"},
    {"finding", "id", "\"SMTP-relay-1\"", "malformed id"},
    {"finding", "fingerprint", "\"xyz\"", "malformed fingerprint"},
    {"finding", "severity", "\"severe\"", "unknown severity"},
    {"finding", "extra", "1", "unknown member"},
    {"target", "outcome", "\"fine\"", "unknown outcome"},
    {"target", "port", "70000", "port out of range"},
    {"summary", "interrupted", "\"no\"", "interrupted not a boolean"},
    {"summary", "type", "\"total\"", "unknown line type"},
    {"summary", "time", "\"yesterday\"", "malformed time"},
};

ParameterizedTestParameters(report_ndjson, schema_rejects_tampered_lines)
{
	return cr_make_param_array(struct report_lines_tamper, tampers,
	                           sizeof(tampers) / sizeof(tampers[0]));
}

ParameterizedTest(struct report_lines_tamper *t, report_ndjson, schema_rejects_tampered_lines,
                  .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o =
	    report_fixture_render_fixed("ndjson", REPORT_FIXTURE_FORWARD);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *line = NULL;
	for (size_t i = 0; line == NULL && i < json_array_size(lines); i++)
		if (strcmp(member(json_array_get(lines, i), "type"), t->where) == 0)
			line = json_array_get(lines, i);
	cr_assert_not_null(line, "no %s line", t->where);
	report_lines_expect_rejected(NDJSON_SCHEMA, line, line, t);
	json_decref(lines);
	free(o.data);
}

static void expect_finding_line(json_t *line, const struct scan_result *scan,
                                const struct target_result *t, const struct finding *f)
{
	char fp[33], when[REPORT_TIME_LEN];
	cr_assert_eq(result_fingerprint(t, f, fp, sizeof(fp)), 0);
	cr_expect_str_eq(member(line, "type"), "finding");
	cr_expect_str_eq(member(line, "scan_id"), scan->scan_id);
	cr_expect_str_eq(member(line, "time"), report_time_ms(t->finished_ms, true, when));
	cr_expect_str_eq(member(line, "host"), t->host);
	cr_expect_eq(json_integer_value(json_object_get(line, "port")), t->port);
	cr_expect_str_eq(member(line, "id"), catalog_get(f->id)->public_id);
	cr_expect_str_eq(member(line, "fingerprint"), fp);
	cr_expect_str_eq(member(line, "remediation"), catalog_advice(f->id, t->mta.mta));
	cr_expect_eq(json_array_size(json_object_get(line, "evidence")), f->nevidence);
}

Test(report_ndjson, lines_follow_the_model, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	scan.interrupted = true;
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("ndjson"), report_fixture_options(), &scan);
	json_t *lines = report_lines_parse(o.data, o.len);

	size_t n = 0;
	for (size_t i = 0; i < scan.ntargets; i++) {
		const struct target_result *t = scan.targets[i];
		for (size_t j = 0; j < t->nfindings; j++)
			expect_finding_line(json_array_get(lines, n++), &scan, t, &t->findings[j]);
		json_t *target = json_array_get(lines, n++);
		cr_expect_str_eq(member(target, "type"), "target");
		cr_expect_str_eq(member(target, "host"), t->host);
		cr_expect_str_eq(member(target, "outcome"), outcome_name(t->outcome));
		cr_expect_eq(json_integer_value(json_object_get(target, "findings")),
		             (json_int_t)t->nfindings);
	}
	cr_assert_eq(json_array_size(lines), n + 1, "one summary line, last");
	json_t *summary = json_array_get(lines, n);
	cr_expect_str_eq(member(summary, "type"), "summary");
	cr_expect(json_is_true(json_object_get(summary, "interrupted")));
	cr_expect_eq(json_integer_value(json_object_get(summary, "targets")), 3);
	cr_expect_eq(json_integer_value(json_object_get(summary, "completed")), 2);
	cr_expect_eq(json_integer_value(json_object_get(summary, "failed")), 1);
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&scan, counts);
	json_t *per = json_object_get(summary, "findings");
	for (int sev = 0; sev < SEVERITY_COUNT; sev++)
		cr_expect_eq(json_integer_value(
		                 json_object_get(per, severity_name((enum finding_severity)sev))),
		             (json_int_t)counts[sev]);
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_ndjson, independent_of_insertion_order, .timeout = 60)
{
	report_fixture_expect_order_independent("ndjson");
}

/* One line per finding and one per target after each target(); end() adds the summary. */
Test(report_ndjson, each_target_is_on_disk_when_target_returns, .timeout = 60)
{
	report_lines_expect_flushed_per_target("ndjson", 1, 1);
}

Test(report_ndjson, hostile_evidence_stays_on_one_line, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000001", 37);
	cr_assert_eq(scan_result_add(&scan, report_lines_hostile_target()), 0);
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("ndjson"), report_fixture_options(), &scan);

	report_lines_expect_printable(o.data, o.len);
	cr_assert_eq(report_lines_count(o.data), 3, "finding, target and summary lines:\n%s",
	             o.data);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *finding = json_array_get(lines, 0);
	cr_expect_str_eq(member(finding, "type"), "finding");
	cr_expect_str_eq(member(json_array_get(lines, 2), "type"), "summary");
	cr_expect_str_eq(member(finding, "host"), "evil\\x0a.example\\x1b[2J");
	cr_expect_str_eq(member(finding, "variant"), "\"v\"\\x0a");
	json_t *evidence = json_object_get(finding, "evidence");
	cr_assert_eq(json_array_size(evidence),
	             sizeof(report_lines_hostile_texts) / sizeof(report_lines_hostile_texts[0]));
	for (size_t i = 0; i < json_array_size(evidence); i++) {
		char *want = escape_visible_str(report_lines_hostile_texts[i]);
		cr_assert_not_null(want);
		cr_expect_str_eq(member(json_array_get(evidence, i), "text"), want);
		free(want);
	}
	if (report_lines_available())
		report_lines_expect_valid(NDJSON_SCHEMA, o.data, o.len);
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_ndjson, empty_scan_has_only_the_summary, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000000", 37);
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("ndjson"), report_fixture_options(), &scan);
	json_t *lines = report_lines_parse(o.data, o.len);
	cr_assert_eq(json_array_size(lines), 1);
	json_t *summary = json_array_get(lines, 0);
	cr_expect_str_eq(member(summary, "type"), "summary");
	cr_expect(json_is_null(json_object_get(summary, "worst")));
	cr_expect(json_is_false(json_object_get(summary, "interrupted")));
	json_decref(lines);
	free(o.data);
}

Test(report_ndjson, stream_error_is_reported, .timeout = 60)
{
	report_fixture_expect_stream_error("ndjson");
}
