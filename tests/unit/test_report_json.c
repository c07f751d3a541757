/*
 * NAME
 *	test_report_json - golden-file, schema and property tests for the JSON writer
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.json. To regenerate it after an
 *	intended change of the output or of the catalogue text:
 *
 *		SA_UPDATE_GOLDEN=1 ./build/tests/unit_test_report_json
 *
 *	then review the diff of tests/data/golden/ before committing it.
 *
 *	The output is validated against tests/schema/smtp-audit-report.schema.json
 *	with scripts/validate-json.py (/usr/bin/python3 with python3-jsonschema;
 *	the test is skipped only when that module is missing), and a tampered
 *	document must fail the same validation. The document parses back
 *	with jansson, is pure ASCII without control bytes, carries the hostile
 *	greeting only in its escaped form, has the fingerprint, advice and
 *	counts the model gives, does not depend on insertion order, and a
 *	failing stream gives SA_ERROR_IO.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_fixture.h"
#include "report_lines.h"

#define SCHEMA_FILE SA_SOURCE_DIR "/tests/schema/smtp-audit-report.schema.json"

static json_t *parse(const struct report_fixture_output *o)
{
	json_error_t error;
	json_t *doc = json_loadb(o->data, o->len, 0, &error);
	cr_assert_not_null(doc, "output does not parse: line %d: %s", error.line, error.text);
	return doc;
}

Test(report_json, golden, .timeout = 60)
{
	report_fixture_expect_golden("json", "report.json");
}

Test(report_json, validates_against_schema, .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o =
	    report_fixture_render_fixed("json", REPORT_FIXTURE_FORWARD);
	report_lines_expect_valid_document(SCHEMA_FILE, o.data, o.len);
	free(o.data);
}

/* Sets path (a '/'-free list of keys and indexes) in doc to value and validates. */
static int validate_tampered(json_t *doc, const char *const *path, size_t n, json_t *value,
                             char *report, size_t report_len)
{
	json_t *node = doc;
	for (size_t i = 0; i + 1 < n; i++) {
		node = json_is_array(node) ? json_array_get(node, strtoul(path[i], NULL, 10))
		                           : json_object_get(node, path[i]);
		cr_assert_not_null(node, "no %s in the document", path[i]);
	}
	cr_assert_eq(json_object_set_new(node, path[n - 1], value), 0);
	char *text = json_dumps(doc, JSON_INDENT(2));
	cr_assert_not_null(text);
	int status =
	    report_lines_validate_document(SCHEMA_FILE, text, strlen(text), report, report_len);
	free(text);
	return status;
}

Test(report_json, schema_rejects_tampered_documents, .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o =
	    report_fixture_render_fixed("json", REPORT_FIXTURE_FORWARD);
	static const struct {
		const char *path[6];
		size_t n;
		const char *why;
	} cases[] = {
	    {{"targets", "0", "banner"}, 3, "control byte in a server string"},
	    {{"targets", "0", "findings", "0", "id"}, 5, "malformed id"},
	    {{"targets", "0", "findings", "0", "fingerprint"}, 5, "malformed fingerprint"},
	    {{"targets", "0", "outcome"}, 3, "unknown outcome"},
	    {{"targets", "0", "extra"}, 3, "unknown member"},
	    {{"summary", "worst"}, 2, "unknown severity"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = parse(&o);
		json_t *value = i == 0 ? json_string("\x1b[31m") : json_string("SMTP-relay-1");
		char report[4096];
		int status = validate_tampered(doc, cases[i].path, cases[i].n, value, report,
		                               sizeof(report));
		cr_expect_eq(status, 1, "%s was accepted", cases[i].why);
		cr_expect_neq(report[0], '\0', "%s: no error printed", cases[i].why);
		json_decref(doc);
	}
	free(o.data);
}

Test(report_json, pure_ascii_and_escaped, .timeout = 60)
{
	struct report_fixture_output o =
	    report_fixture_render_fixed("json", REPORT_FIXTURE_FORWARD);
	report_lines_expect_printable(o.data, o.len);
	/* Control bytes were escaped by us, so jansson never had to write \u escapes. */
	cr_expect_null(strstr(o.data, "\\u00"), "a control byte reached jansson");

	json_t *doc = parse(&o);
	json_t *mx1 = json_array_get(json_object_get(doc, "targets"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(mx1, "host")), "mx1.example.org");
	const char *banner = json_string_value(json_object_get(mx1, "banner"));
	cr_assert_not_null(banner);
	char *want = escape_visible_str(REPORT_FIXTURE_BANNER);
	cr_assert_not_null(want);
	cr_expect_str_eq(banner, want);
	free(want);
	cr_expect_eq(strncmp(banner, "mx1.example.org ESMTP Postfix \\x1b[31m<script>", 46), 0);
	/* "<script>" appears only right after the escaped ESC, never after a raw one. */
	const char *raw = strstr(o.data, "<script>");
	cr_assert_not_null(raw);
	cr_expect_eq(strncmp(raw - 9, "\\\\x1b[31m", 9), 0, "unexpected context: %.30s", raw - 9);
	cr_expect_null(strstr(raw + 1, "<script>"), "a second <script>");
	json_decref(doc);
	free(o.data);
}

Test(report_json, content_matches_model, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("json"), report_fixture_options(), &scan);
	json_t *doc = parse(&o);

	cr_expect_str_eq(json_string_value(json_object_get(doc, "schema_version")),
	                 REPORT_JSON_SCHEMA_VERSION);
	json_t *meta = json_object_get(doc, "scan");
	cr_expect_str_eq(json_string_value(json_object_get(meta, "started")),
	                 "2023-11-14T22:13:20.000Z");
	cr_expect_str_eq(json_string_value(json_object_get(meta, "finished")),
	                 "2023-11-14T22:13:24.321Z");

	json_t *targets = json_object_get(doc, "targets");
	cr_assert_eq(json_array_size(targets), scan.ntargets);
	for (size_t i = 0; i < scan.ntargets; i++) {
		const struct target_result *t = scan.targets[i];
		json_t *jt = json_array_get(targets, i);
		cr_expect_str_eq(json_string_value(json_object_get(jt, "host")), t->host);
		json_t *findings = json_object_get(jt, "findings");
		cr_assert_eq(json_array_size(findings), t->nfindings);
		for (size_t j = 0; j < t->nfindings; j++) {
			json_t *jf = json_array_get(findings, j);
			char fp[33];
			result_fingerprint(t, &t->findings[j], fp, sizeof(fp));
			cr_expect_str_eq(json_string_value(json_object_get(jf, "fingerprint")), fp);
			cr_expect_str_eq(json_string_value(json_object_get(jf, "id")),
			                 catalog_get(t->findings[j].id)->public_id);
			cr_expect_str_eq(json_string_value(json_object_get(jf, "remediation")),
			                 catalog_advice(t->findings[j].id, t->mta.mta));
			cr_expect_eq(json_array_size(json_object_get(jf, "evidence")),
			             t->findings[j].nevidence);
		}
	}
	json_t *unresolved = json_array_get(targets, 1);
	cr_expect(json_is_null(json_object_get(unresolved, "address")));
	cr_expect(json_is_null(json_object_get(unresolved, "tls")));

	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&scan, counts);
	json_t *per = json_object_get(json_object_get(doc, "summary"), "findings");
	for (int sev = 0; sev < SEVERITY_COUNT; sev++)
		cr_expect_eq(json_integer_value(
		                 json_object_get(per, severity_name((enum finding_severity)sev))),
		             (json_int_t)counts[sev], "%s",
		             severity_name((enum finding_severity)sev));
	json_decref(doc);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_json, independent_of_insertion_order, .timeout = 60)
{
	report_fixture_expect_order_independent("json");
}

Test(report_json, empty_scan, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000000", 37);
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("json"), report_fixture_options(), &scan);
	json_t *doc = parse(&o);
	json_t *summary = json_object_get(doc, "summary");
	cr_expect(json_is_null(json_object_get(summary, "worst")));
	cr_expect_eq(json_integer_value(json_object_get(summary, "targets")), 0);
	cr_expect_eq(json_array_size(json_object_get(doc, "targets")), 0);
	cr_expect(json_is_array(json_object_get(doc, "targets")));
	json_decref(doc);
	if (report_lines_available())
		report_lines_expect_valid_document(SCHEMA_FILE, o.data, o.len);
	free(o.data);
}

/* The TLS target of the fixture with certificate times far outside years 0..9999. */
static struct scan_result scan_with_extreme_times(void)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct target_result *tls = scan.targets[2];
	cr_assert(tls->have_tls);
	tls->tls.not_before = INT64_MIN;
	tls->tls.not_after = INT64_MAX;
	return scan;
}

Test(report_json, certificate_times_are_clamped, .timeout = 60)
{
	struct scan_result scan = scan_with_extreme_times();
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer("json"), report_fixture_options(), &scan);
	json_t *doc = parse(&o);
	json_t *tls = json_object_get(json_array_get(json_object_get(doc, "targets"), 2), "tls");
	cr_expect_str_eq(json_string_value(json_object_get(tls, "not_before")),
	                 "0000-01-01T00:00:00Z");
	cr_expect_str_eq(json_string_value(json_object_get(tls, "not_after")),
	                 "9999-12-31T23:59:59Z");
	json_decref(doc);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_json, stream_error_is_reported, .timeout = 60)
{
	report_fixture_expect_stream_error("json");
}
