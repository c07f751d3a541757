/*
 * NAME
 *	report_lines - helpers for tests of the JSON writers (json, ndjson, ocsf)
 *
 * DESCRIPTION
 *	report_lines_validate() splits JSON Lines output into one
 *	temporary file per line and runs scripts/validate-json.py SCHEMA on
 *	all of them at once (/usr/bin/python3 with python3-jsonschema); its
 *	exit status is returned and its messages are copied into report.
 *	report_lines_validate_document() does the same for one whole JSON
 *	document, report_lines_validate_record() for one jansson record.
 *	report_lines_expect_valid(), report_lines_expect_fixed_valid() (the
 *	fixed scan of report_fixture.h), report_lines_expect_valid_document()
 *	and report_lines_expect_rejected() (a struct report_lines_tamper
 *	applied to a record) turn those into expectations.
 *	report_lines_available() tells whether the jsonschema module is
 *	installed; report_lines_require_validator() skips the test without
 *	it rather than failing.
 *
 *	report_lines_parse() turns output into a jansson array of line
 *	objects, failing the test on a line that is not one JSON object;
 *	report_lines_read_file() reads a file back as another reader would
 *	(to see what a writer has flushed); report_lines_hostile_target()
 *	builds a target whose host, variant, detail and evidence hold every
 *	kind of byte that could break a line or a terminal, and
 *	report_lines_expect_printable() checks that none of it got through.
 *	report_lines_expect_flushed_per_target() checks that a streaming
 *	writer's lines for each target are on disk when target() returns.
 *
 *	Everything is static inline, so a test file includes it once and
 *	uses what it needs.
 */
#ifndef REPORT_LINES_H
#define REPORT_LINES_H

#include <criterion/criterion.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_fixture.h"
#include "result.h"

#define REPORT_LINES_PYTHON    "/usr/bin/python3"
#define REPORT_LINES_VALIDATOR SA_SOURCE_DIR "/scripts/validate-json.py"
#define REPORT_LINES_MAX_LINES 256

static inline bool report_lines_available(void)
{
	return system(REPORT_LINES_PYTHON " -c 'import jsonschema' >/dev/null 2>&1") == 0;
}

static inline void report_lines_require_validator(void)
{
	if (!report_lines_available())
		cr_skip_test("%s lacks the jsonschema module (python3-jsonschema)",
		             REPORT_LINES_PYTHON);
}

/* Writes len bytes to a new temporary file whose path goes into path (32 bytes or more). */
static inline void report_lines_write_temp(const char *data, size_t len, char *path)
{
	strcpy(path, "/tmp/sa-lines-XXXXXX.json");
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* Runs the validator on the files at paths (then removed); its exit status, its output in report.
 */
static inline int report_lines_run_validator(const char *schema, char (*paths)[32], size_t n,
                                             char *report, size_t report_len)
{
	char command[REPORT_LINES_MAX_LINES * 32 + 512];
	size_t used = (size_t)snprintf(command, sizeof(command), "%s %s %s", REPORT_LINES_PYTHON,
	                               REPORT_LINES_VALIDATOR, schema);
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(command + used, sizeof(command) - used, " %s", paths[i]);
	snprintf(command + used, sizeof(command) - used, " 2>&1");
	FILE *p = popen(command, "r");
	cr_assert_not_null(p);
	size_t got = fread(report, 1, report_len - 1, p);
	report[got] = '\0';
	while (fgetc(p) != EOF)
		continue;
	int status = pclose(p);
	for (size_t i = 0; i < n; i++)
		unlink(paths[i]);
	cr_assert(WIFEXITED(status), "validator did not exit normally");
	return WEXITSTATUS(status);
}

static inline int report_lines_validate(const char *schema, const char *data, size_t len,
                                        char *report, size_t report_len)
{
	char paths[REPORT_LINES_MAX_LINES][32];
	size_t n = 0;
	for (const char *line = data; line < data + len;) {
		const char *nl = memchr(line, '\n', (size_t)(data + len - line));
		cr_assert_not_null(nl, "the last line has no newline");
		cr_assert_lt(n, REPORT_LINES_MAX_LINES);
		report_lines_write_temp(line, (size_t)(nl - line), paths[n++]);
		line = nl + 1;
	}
	cr_assert_gt(n, 0, "nothing to validate");
	return report_lines_run_validator(schema, paths, n, report, report_len);
}

static inline int report_lines_validate_document(const char *schema, const char *data, size_t len,
                                                 char *report, size_t report_len)
{
	char path[1][32];
	report_lines_write_temp(data, len, path[0]);
	return report_lines_run_validator(schema, path, 1, report, report_len);
}

/* Validates one record as a line of its own. */
static inline int report_lines_validate_record(const char *schema, json_t *record, char *report,
                                               size_t report_len)
{
	char *text = json_dumps(record, JSON_COMPACT);
	cr_assert_not_null(text);
	char path[1][32];
	report_lines_write_temp(text, strlen(text), path[0]);
	free(text);
	return report_lines_run_validator(schema, path, 1, report, report_len);
}

#define REPORT_LINES_REPORT_LEN 8192

/* Every line valid against schema. */
static inline void report_lines_expect_valid(const char *schema, const char *data, size_t len)
{
	char report[REPORT_LINES_REPORT_LEN];
	int status = report_lines_validate(schema, data, len, report, sizeof(report));
	cr_expect_eq(status, 0, "schema errors:\n%s", report);
}

/* The fixed scan through the writer called name valid line by line (skipped without jsonschema). */
static inline void report_lines_expect_fixed_valid(const char *name, const char *schema)
{
	report_lines_require_validator();
	struct report_fixture_output o = report_fixture_render_fixed(name, REPORT_FIXTURE_FORWARD);
	report_lines_expect_valid(schema, o.data, o.len);
	free(o.data);
}

/* The whole document valid against schema. */
static inline void report_lines_expect_valid_document(const char *schema, const char *data,
                                                      size_t len)
{
	char report[REPORT_LINES_REPORT_LEN];
	int status = report_lines_validate_document(schema, data, len, report, sizeof(report));
	cr_expect_eq(status, 0, "schema errors:\n%s", report);
}

/*
 * One change to a valid record that its schema must refuse. Arrays, not pointers: criterion
 * copies parameters into a test process that may map the program elsewhere.
 */
struct report_lines_tamper {
	char where[16]; /* which record or member of it to change */
	char key[24];
	char json[64]; /* the new value */
	char why[40];
};

/* Sets t's key in object (record itself or a member of it) and expects record rejected. */
static inline void report_lines_expect_rejected(const char *schema, json_t *record, json_t *object,
                                                const struct report_lines_tamper *t)
{
	json_t *value = json_loads(t->json, JSON_DECODE_ANY, NULL);
	cr_assert_not_null(value);
	cr_assert_eq(json_object_set_new(object, t->key, value), 0);
	char report[REPORT_LINES_REPORT_LEN];
	cr_expect_eq(report_lines_validate_record(schema, record, report, sizeof(report)), 1,
	             "%s was accepted", t->why);
	cr_expect_neq(report[0], '\0', "%s: no error printed", t->why);
}

/* Every byte printable ASCII or a newline: nothing a terminal or a line reader would act on. */
static inline void report_lines_expect_printable(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n', "byte 0x%02x at offset %zu", c, i);
	}
}

/* Parses the output into an array of line objects; fails on a line that is not one object. */
static inline json_t *report_lines_parse(const char *data, size_t len)
{
	json_t *lines = json_array();
	cr_assert_not_null(lines);
	for (const char *line = data; line < data + len;) {
		const char *nl = memchr(line, '\n', (size_t)(data + len - line));
		cr_assert_not_null(nl, "output does not end with a newline");
		json_error_t error;
		json_t *obj = json_loadb(line, (size_t)(nl - line), 0, &error);
		cr_assert_not_null(obj, "line %zu does not parse: %s", json_array_size(lines) + 1,
		                   error.text);
		cr_assert(json_is_object(obj));
		cr_assert_eq(json_array_append_new(lines, obj), 0);
		line = nl + 1;
	}
	return lines;
}

/* The whole content of path as a C string (caller frees). */
static inline char *report_lines_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	cr_assert_not_null(mem);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, mem);
	fclose(f);
	cr_assert_eq(fclose(mem), 0);
	return data;
}

static inline size_t report_lines_count(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Evidence a hostile server could send: every kind of byte that could break a line. */
static const char *const report_lines_hostile_texts[] = {
    "250-\x1b[31mred\x1b[0m \x1b]0;title\x07",
    "550 \"quoted\" and \\backslash\\",
    "250 line one\nline two\r\n{\"type\":\"summary\"}",
    "220 \xc3\x28 \xff\xfe invalid UTF-8 \xe2\x82",
    "250 </script><b>markup</b>\t\x7f\x01",
};

static inline struct target_result *report_lines_hostile_target(void)
{
	struct target_result *t =
	    target_result_new("evil\n.example\x1b[2J", "198.51.100.7", 2525, false);
	cr_assert_not_null(t);
	t->started_ms = 1700000000000;
	t->finished_ms = 1700000000500;
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, "\"v\"\n"), 0);
	cr_assert_eq(finding_set_detail(&f, "detail\r\nwith \x1b[1mANSI"), 0);
	for (size_t i = 0;
	     i < sizeof(report_lines_hostile_texts) / sizeof(report_lines_hostile_texts[0]); i++)
		cr_assert_eq(
		    finding_add_evidence(&f, EVIDENCE_RECEIVED, report_lines_hostile_texts[i]), 0);
	cr_assert_eq(target_result_take_finding(t, &f), 0);
	return t;
}

/*
 * Writes the fixed scan through the writer called name into a file behind a buffer larger
 * than the whole output, so only the writer's own flushes reach it: after each target()
 * the file holds whole lines, one per finding plus per_target; end() adds at_end more.
 */
static inline void report_lines_expect_flushed_per_target(const char *name, size_t per_target,
                                                          size_t at_end)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	char path[] = "/tmp/sa-lines-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	struct report_options opt = report_fixture_options();
	opt.out = fdopen(fd, "w");
	cr_assert_not_null(opt.out);
	static char buf[1 << 16];
	cr_assert_eq(setvbuf(opt.out, buf, _IOFBF, sizeof(buf)), 0);
	const struct report_writer *w = report_fixture_writer(name);
	opt.scan_id = scan.scan_id;
	size_t expected = 0;
	for (size_t i = 0; i < scan.ntargets; i++) {
		cr_assert_eq(w->target(&opt, scan.targets[i]), 0);
		expected += scan.targets[i]->nfindings + per_target;
		char *seen = report_lines_read_file(path);
		cr_expect_eq(report_lines_count(seen), expected, "after target %zu", i);
		cr_expect(seen[0] == '\0' || seen[strlen(seen) - 1] == '\n',
		          "a partial line after target %zu", i);
		free(seen);
	}
	cr_assert_eq(w->end(&opt, &scan), 0);
	char *seen = report_lines_read_file(path);
	cr_expect_eq(report_lines_count(seen), expected + at_end, "lines written by end()");
	free(seen);
	fclose(opt.out);
	unlink(path);
	scan_result_free(&scan);
}

#endif
