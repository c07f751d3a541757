/*
 * NAME
 *	test_report_ocsf - golden-file, schema, mapping and hostile-input tests for -o ocsf
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.ocsf.json (JSON Lines;
 *	SA_UPDATE_GOLDEN=1 regenerates it, review the diff). Every event is
 *	validated against tests/schema/ocsf-finding.schema.json, the subset
 *	of OCSF 1.4.0 Detection Finding we emit, and tampered events must
 *	fail it. The events follow the mapping of reports/OCSF.md (severity
 *	table over the whole catalogue, fingerprint as finding_info.uid, the
 *	advice for the detected software, endpoint facts), each target's
 *	events are on disk when target() returns, hostile server text stays
 *	escaped on one line, and stream errors are reported.
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

#define OCSF_SCHEMA SA_SOURCE_DIR "/tests/schema/ocsf-finding.schema.json"

static struct report_fixture_output render_scan(const struct scan_result *scan)
{
	return report_fixture_render(report_fixture_writer("ocsf"), report_fixture_options(), scan);
}

/* obj.a.b... as a JSON value; fails when a member is missing. */
static json_t *at(json_t *obj, const char *const *path, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		obj = json_is_array(obj) ? json_array_get(obj, strtoul(path[i], NULL, 10))
		                         : json_object_get(obj, path[i]);
		cr_assert_not_null(obj, "no member %s", path[i]);
	}
	return obj;
}

#define AT(obj, ...)                                                                               \
	at((obj), (const char *const[]){__VA_ARGS__},                                              \
	   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

Test(report_ocsf, golden, .timeout = 60)
{
	report_fixture_expect_golden("ocsf", "report.ocsf.json");
}

Test(report_ocsf, validates_against_schema, .timeout = 60)
{
	report_lines_expect_fixed_valid("ocsf", OCSF_SCHEMA);
}

/* where: the member of the event to change, "" for the event itself. */
static struct report_lines_tamper tampers[] = {
    {"", "class_uid", "2001", "another class"},
    {"", "type_uid", "200402", "another activity"},
    {"", "severity_id", "6", "severity Fatal"},
    {"", "time", "\"2023-11-14\"", "time not epoch milliseconds"},
    {"", "finding", "{}", "an attribute outside the mapping"},
    {"metadata", "version", "\"1.0.0-rc.2\"", "another OCSF version"},
    {"finding_info", "uid", "\"\\u001b[31m\"", "malformed uid"},
    {"device", "type_id", "0", "device type unknown"},
};

ParameterizedTestParameters(report_ocsf, schema_rejects_tampered_events)
{
	return cr_make_param_array(struct report_lines_tamper, tampers,
	                           sizeof(tampers) / sizeof(tampers[0]));
}

ParameterizedTest(struct report_lines_tamper *t, report_ocsf, schema_rejects_tampered_events,
                  .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o =
	    report_fixture_render_fixed("ocsf", REPORT_FIXTURE_FORWARD);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *event = json_array_get(lines, 0);
	cr_assert_not_null(event);
	json_t *object = t->where[0] == '\0' ? event : AT(event, t->where);
	report_lines_expect_rejected(OCSF_SCHEMA, event, object, t);
	json_decref(lines);
	free(o.data);
}

static void expect_event(json_t *e, const struct scan_result *scan, const struct target_result *t,
                         const struct finding *f)
{
	char fp[33];
	cr_assert_eq(result_fingerprint(t, f, fp, sizeof(fp)), 0);
	const struct catalog_entry *entry = catalog_get(f->id);
	cr_expect_eq(json_integer_value(AT(e, "class_uid")), 2004);
	cr_expect_eq(json_integer_value(AT(e, "type_uid")),
	             json_integer_value(AT(e, "class_uid")) * 100 +
	                 json_integer_value(AT(e, "activity_id")));
	cr_expect_eq(json_integer_value(AT(e, "time")), t->finished_ms);
	cr_expect_str_eq(json_string_value(AT(e, "metadata", "correlation_uid")), scan->scan_id);
	cr_expect_str_eq(json_string_value(AT(e, "finding_info", "uid")), fp);
	cr_expect_str_eq(json_string_value(AT(e, "finding_info", "title")), entry->title);
	cr_expect_str_eq(json_string_value(AT(e, "finding_info", "types", "0")), entry->public_id);
	cr_expect_str_eq(json_string_value(AT(e, "remediation", "desc")),
	                 catalog_advice(f->id, t->mta.mta));
	cr_expect_eq(json_integer_value(AT(e, "evidences", "0", "dst_endpoint", "port")), t->port);
	cr_expect_str_eq(json_string_value(AT(e, "device", "ip")), t->address);
	cr_expect_str_eq(json_string_value(AT(e, "device", "hostname")), t->host);
	cr_expect_eq(json_array_size(AT(e, "evidences", "0", "data", "transcript")), f->nevidence);
}

Test(report_ocsf, one_event_per_finding_in_target_order, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = render_scan(&scan);
	json_t *lines = report_lines_parse(o.data, o.len);
	size_t n = 0;
	for (size_t i = 0; i < scan.ntargets; i++)
		for (size_t j = 0; j < scan.targets[i]->nfindings; j++)
			expect_event(json_array_get(lines, n++), &scan, scan.targets[i],
			             &scan.targets[i]->findings[j]);
	cr_expect_eq(json_array_size(lines), n, "no event but findings");
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

/* A target named by its address, with one finding of every catalogue entry. */
static struct scan_result whole_catalogue(void)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000002", 37);
	struct target_result *t = target_result_new("192.0.2.99", "192.0.2.99", 587, false);
	cr_assert_not_null(t);
	t->finished_ms = 1700000000999;
	for (int id = 0; id < CATALOG_COUNT; id++) {
		struct finding f;
		cr_assert_eq(finding_init(&f, (enum catalog_id)id, NULL), 0);
		cr_assert_eq(target_result_take_finding(t, &f), 0);
	}
	cr_assert_eq(scan_result_add(&scan, t), 0);
	return scan;
}

Test(report_ocsf, severity_mapping_covers_the_catalogue, .timeout = 60)
{
	static const struct {
		int id;
		const char *caption;
	} want[SEVERITY_COUNT] = {
	    [SEVERITY_INFO] = {1, "Informational"}, [SEVERITY_LOW] = {2, "Low"},
	    [SEVERITY_MEDIUM] = {3, "Medium"},      [SEVERITY_HIGH] = {4, "High"},
	    [SEVERITY_CRITICAL] = {5, "Critical"},
	};
	struct scan_result scan = whole_catalogue();
	struct report_fixture_output o = render_scan(&scan);
	json_t *lines = report_lines_parse(o.data, o.len);
	const struct target_result *t = scan.targets[0];
	cr_assert_eq(json_array_size(lines), (size_t)CATALOG_COUNT);
	enum finding_severity fail_on = report_fixture_options().fail_on;
	for (size_t i = 0; i < t->nfindings; i++) {
		json_t *e = json_array_get(lines, i);
		enum finding_severity sev = catalog_get(t->findings[i].id)->severity;
		cr_expect_eq(json_integer_value(AT(e, "severity_id")), want[sev].id);
		cr_expect_str_eq(json_string_value(AT(e, "severity")), want[sev].caption);
		cr_expect_eq(json_is_true(AT(e, "is_alert")), sev >= fail_on);
		cr_expect_str_eq(json_string_value(AT(e, "unmapped", "finding_id")),
		                 catalog_get(t->findings[i].id)->public_id);
		/* A host named by its address has no hostname. */
		cr_expect_null(json_object_get(AT(e, "device"), "hostname"));
		cr_expect_null(
		    json_object_get(AT(e, "evidences", "0", "dst_endpoint"), "hostname"));
	}
	if (report_lines_available())
		report_lines_expect_valid(OCSF_SCHEMA, o.data, o.len);
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_ocsf, independent_of_insertion_order, .timeout = 60)
{
	report_fixture_expect_order_independent("ocsf");
}

/* One event per finding after each target(); end() adds nothing. */
Test(report_ocsf, each_target_is_on_disk_when_target_returns, .timeout = 60)
{
	report_lines_expect_flushed_per_target("ocsf", 0, 0);
}

Test(report_ocsf, hostile_text_stays_escaped_on_one_line, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000001", 37);
	cr_assert_eq(scan_result_add(&scan, report_lines_hostile_target()), 0);
	struct report_fixture_output o = render_scan(&scan);
	report_lines_expect_printable(o.data, o.len);
	cr_assert_eq(report_lines_count(o.data), 1, "one event:\n%s", o.data);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *e = json_array_get(lines, 0);
	cr_expect_str_eq(json_string_value(AT(e, "device", "hostname")),
	                 "evil\\x0a.example\\x1b[2J");
	cr_expect_str_eq(json_string_value(AT(e, "resources", "0", "uid")),
	                 "evil\\x0a.example\\x1b[2J:2525");
	cr_expect_str_eq(json_string_value(AT(e, "message")), "detail\\x0d\\x0awith \\x1b[1mANSI");
	json_t *transcript = AT(e, "evidences", "0", "data", "transcript");
	size_t n = sizeof(report_lines_hostile_texts) / sizeof(report_lines_hostile_texts[0]);
	cr_assert_eq(json_array_size(transcript), n);
	for (size_t i = 0; i < n; i++) {
		char *want = escape_visible_str(report_lines_hostile_texts[i]);
		cr_assert_not_null(want);
		json_t *text = json_object_get(json_array_get(transcript, i), "text");
		cr_expect_str_eq(json_string_value(text), want);
		free(want);
	}
	if (report_lines_available())
		report_lines_expect_valid(OCSF_SCHEMA, o.data, o.len);
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_ocsf, ipv6_service_uid_is_bracketed, .timeout = 60)
{
	struct target_result *v6 = target_result_new("2001:db8::7", "2001:db8::7", 25, false);
	cr_assert_not_null(v6);
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_ENUM_VRFY, NULL), 0);
	cr_assert_eq(target_result_take_finding(v6, &f), 0);
	struct scan_result one;
	scan_result_init(&one);
	cr_assert_eq(scan_result_add(&one, v6), 0);
	struct report_fixture_output o = render_scan(&one);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *e = json_array_get(lines, 0);
	cr_expect_str_eq(json_string_value(AT(e, "resources", "0", "uid")), "[2001:db8::7]:25");
	cr_expect_str_eq(json_string_value(AT(e, "resources", "0", "name")), "2001:db8::7");
	cr_expect_str_eq(json_string_value(AT(e, "evidences", "0", "dst_endpoint", "ip")),
	                 "2001:db8::7");
	json_decref(lines);
	free(o.data);
	scan_result_free(&one);
}

Test(report_ocsf, empty_scan_writes_nothing, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	struct report_fixture_output o = render_scan(&scan);
	cr_expect_eq(o.len, 0);
	free(o.data);
}

Test(report_ocsf, stream_error_is_reported, .timeout = 60)
{
	report_fixture_expect_stream_error("ocsf");
}
