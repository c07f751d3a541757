/*
 * NAME
 *	report_lines - helpers for tests of the JSON Lines writers (ndjson, ocsf)
 *
 * DESCRIPTION
 *	report_lines_validate() splits JSON Lines output into one
 *	temporary file per line and runs scripts/validate-json.py SCHEMA on
 *	all of them at once (/usr/bin/python3 with python3-jsonschema); its
 *	exit status is returned and its messages are copied into report.
 *	report_lines_available() tells whether the jsonschema module is
 *	installed, so a test can skip rather than fail without it.
 *
 *	report_lines_parse() turns output into a jansson array of line
 *	objects, failing the test on a line that is not one JSON object;
 *	report_lines_read_file() reads a file back as another reader would
 *	(to see what a writer has flushed); report_lines_hostile_target()
 *	builds a target whose host, variant, detail and evidence hold every
 *	kind of byte that could break a line or a terminal.
 *
 *	Everything is static; each test file includes it once.
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

#include "result.h"

#define REPORT_LINES_PYTHON    "/usr/bin/python3"
#define REPORT_LINES_VALIDATOR SA_SOURCE_DIR "/scripts/validate-json.py"
#define REPORT_LINES_MAX_LINES 64

static bool report_lines_available(void)
{
	return system(REPORT_LINES_PYTHON " -c 'import jsonschema' >/dev/null 2>&1") == 0;
}

/* Writes len bytes to a new temporary file whose path goes into path (32 bytes or more). */
static void report_lines_write_temp(const char *data, size_t len, char *path)
{
	strcpy(path, "/tmp/sa-lines-XXXXXX.json");
	int fd = mkstemps(path, 5);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int report_lines_validate(const char *schema, const char *data, size_t len, char *report,
                                 size_t report_len)
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

/* Parses the output into an array of line objects; fails on a line that is not one object. */
static json_t *report_lines_parse(const char *data, size_t len)
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
static char *report_lines_read_file(const char *path)
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

static size_t report_lines_count(const char *s)
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

static struct target_result *report_lines_hostile_target(void)
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

#endif
