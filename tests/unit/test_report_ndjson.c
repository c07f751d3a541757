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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "report.h"
#include "report_fixture.h"
#include "report_lines.h"
#include "report_time.h"
#include "sa_error.h"

#define NDJSON_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-ndjson.schema.json"

static const struct report_writer *ndjson_writer(void)
{
	const struct report_writer *w = report_find("ndjson");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->name, "ndjson");
	return w;
}

static struct report_fixture_output render(enum report_fixture_order order)
{
	struct scan_result scan;
	report_fixture_scan(&scan, order);
	struct report_fixture_output o =
	    report_fixture_render(ndjson_writer(), report_fixture_options(), &scan);
	scan_result_free(&scan);
	return o;
}

static const char *member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	cr_assert_not_null(s, "no string member %s", key);
	return s;
}

Test(report_ndjson, golden, .timeout = 60)
{
	struct report_fixture_output o = render(REPORT_FIXTURE_FORWARD);
	report_fixture_golden("report.ndjson", &o);
	free(o.data);
}

Test(report_ndjson, validates_against_schema, .timeout = 60)
{
	if (!report_lines_available())
		cr_skip_test("%s lacks the jsonschema module (python3-jsonschema)",
		             REPORT_LINES_PYTHON);
	struct report_fixture_output o = render(REPORT_FIXTURE_FORWARD);
	char report[4096];
	int status = report_lines_validate(NDJSON_SCHEMA, o.data, o.len, report, sizeof(report));
	cr_expect_eq(status, 0, "schema errors:\n%s", report);
	free(o.data);
}

/* Arrays, not pointers: criterion copies parameters into a test process that may map
 * the program elsewhere. */
struct tamper {
	char type[16]; /* which kind of line to change */
	char key[24];
	char json[64]; /* the new value */
	char why[40];
};

static struct tamper tampers[] = {
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
	return cr_make_param_array(struct tamper, tampers, sizeof(tampers) / sizeof(tampers[0]));
}

ParameterizedTest(struct tamper *t, report_ndjson, schema_rejects_tampered_lines, .timeout = 60)
{
	if (!report_lines_available())
		cr_skip_test("%s lacks the jsonschema module (python3-jsonschema)",
		             REPORT_LINES_PYTHON);
	struct report_fixture_output o = render(REPORT_FIXTURE_FORWARD);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *line = NULL;
	for (size_t i = 0; line == NULL && i < json_array_size(lines); i++)
		if (strcmp(member(json_array_get(lines, i), "type"), t->type) == 0)
			line = json_array_get(lines, i);
	cr_assert_not_null(line, "no %s line", t->type);
	json_t *value = json_loads(t->json, JSON_DECODE_ANY, NULL);
	cr_assert_not_null(value);
	cr_assert_eq(json_object_set_new(line, t->key, value), 0);
	char *text = json_dumps(line, JSON_COMPACT);
	cr_assert_not_null(text);
	size_t len = strlen(text);
	text = realloc(text, len + 2);
	cr_assert_not_null(text);
	memcpy(text + len, "\n", 2);
	char report[4096];
	cr_expect_eq(report_lines_validate(NDJSON_SCHEMA, text, len + 1, report, sizeof(report)), 1,
	             "%s was accepted", t->why);
	cr_expect_neq(report[0], '\0', "%s: no error printed", t->why);
	free(text);
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
	    report_fixture_render(ndjson_writer(), report_fixture_options(), &scan);
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
	struct report_fixture_output a = render(REPORT_FIXTURE_FORWARD);
	struct report_fixture_output b = render(REPORT_FIXTURE_REVERSE);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len < b.len ? a.len : b.len), 0);
	free(a.data);
	free(b.data);
}

Test(report_ndjson, each_target_is_on_disk_when_target_returns, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	char path[] = "/tmp/sa-ndjson-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	struct report_options opt = report_fixture_options();
	opt.out = fdopen(fd, "w");
	cr_assert_not_null(opt.out);
	/* A buffer larger than the whole output: only an explicit flush reaches the file. */
	static char buf[1 << 16];
	cr_assert_eq(setvbuf(opt.out, buf, _IOFBF, sizeof(buf)), 0);

	const struct report_writer *w = ndjson_writer();
	opt.scan_id = scan.scan_id;
	size_t expected = 0;
	for (size_t i = 0; i < scan.ntargets; i++) {
		cr_assert_eq(w->target(&opt, scan.targets[i]), 0);
		expected += scan.targets[i]->nfindings + 1;
		char *seen = report_lines_read_file(path);
		cr_expect_eq(report_lines_count(seen), expected, "after target %zu", i);
		cr_expect_eq(strlen(seen) > 0 ? seen[strlen(seen) - 1] : 0, '\n',
		             "a partial line after target %zu", i);
		free(seen);
	}
	cr_assert_eq(w->end(&opt, &scan), 0);
	char *seen = report_lines_read_file(path);
	cr_expect_eq(report_lines_count(seen), expected + 1, "the summary is flushed by end()");
	free(seen);
	fclose(opt.out);
	unlink(path);
	scan_result_free(&scan);
}

Test(report_ndjson, hostile_evidence_stays_on_one_line, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000001", 37);
	cr_assert_eq(scan_result_add(&scan, report_lines_hostile_target()), 0);
	struct report_fixture_output o =
	    report_fixture_render(ndjson_writer(), report_fixture_options(), &scan);

	for (size_t i = 0; i < o.len; i++) {
		unsigned char c = (unsigned char)o.data[i];
		cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n', "byte 0x%02x at offset %zu", c, i);
	}
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
	if (report_lines_available()) {
		char report[4096];
		cr_expect_eq(
		    report_lines_validate(NDJSON_SCHEMA, o.data, o.len, report, sizeof(report)), 0,
		    "%s", report);
	}
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
	    report_fixture_render(ndjson_writer(), report_fixture_options(), &scan);
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
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.out = fopen("/dev/null", "r");
	cr_assert_not_null(opt.out);
	const struct report_writer *w = ndjson_writer();
	opt.scan_id = scan.scan_id;
	cr_expect_eq(w->target(&opt, scan.targets[0]), SA_ERROR_IO);
	cr_expect_eq(w->end(&opt, &scan), SA_ERROR_IO);
	fclose(opt.out);
	scan_result_free(&scan);
}
