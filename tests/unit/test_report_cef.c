/*
 * NAME
 *	test_report_cef - golden-file, escaping and content tests for the CEF writer
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.cef (SA_UPDATE_GOLDEN=1
 *	regenerates it; review the diff). Tables of hostile strings pin the
 *	header and extension escaping; every line is read back with the
 *	independent reader of tests/support/cef_parse.c, which must find the
 *	model's values, server text in its escape_visible() form only, and
 *	no raw control byte anywhere.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cef_parse.h"
#include "escape.h"
#include "report.h"
#include "report_cef.h"
#include "report_fixture.h"
#include "sa_error.h"

static const struct report_writer *cef_writer(void)
{
	const struct report_writer *w = report_find("cef");
	cr_assert_not_null(w);
	cr_assert_str_eq(w->name, "cef");
	return w;
}

Test(report_cef, golden, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o =
	    report_fixture_render(cef_writer(), report_fixture_options(), &scan);
	report_fixture_golden("report.cef", &o);
	free(o.data);
	scan_result_free(&scan);
}

/* What put() writes for input, as a malloc'ed string. */
static char *escaped(void (*put)(FILE *, const char *), const char *input)
{
	char *data = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&data, &len);
	cr_assert_not_null(mem);
	put(mem, input);
	cr_assert_eq(fclose(mem), 0);
	return data;
}

/* Arrays, not pointers: criterion copies parameters into another process. */
struct escape_case {
	char input[32];
	char want[64];
};

ParameterizedTestParameters(report_cef, header_escaping)
{
	static const struct escape_case cases[] = {
	    {"plain title", "plain title"},
	    {"a|b", "a\\|b"},
	    {"back\\slash", "back\\\\slash"},
	    {"\\|", "\\\\\\|"},
	    {"key=value", "key=value"}, /* '=' needs no escape in the header */
	    {"line\nbreak\r", "line\\\\x0abreak\\\\x0d"},
	    {"\x1b[31mred", "\\\\x1b[31mred"},
	    {"caf\xc3\xa9", "caf\\\\xc3\\\\xa9"},
	    {"", ""},
	};
	return cr_make_param_array(struct escape_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(const struct escape_case *c, report_cef, header_escaping, .timeout = 10)
{
	char *got = escaped(report_cef_put_header, c->input);
	cr_expect_str_eq(got, c->want);
	free(got);
}

ParameterizedTestParameters(report_cef, value_escaping)
{
	static const struct escape_case cases[] = {
	    {"plain value", "plain value"},
	    {"a=b", "a\\=b"},
	    {"back\\slash", "back\\\\slash"},
	    {"pipe|stays", "pipe|stays"}, /* pipes need no escape in extensions */
	    {"two\nlines", "two\\nlines"},
	    {"crlf\r\n", "crlf\\r\\n"},
	    {" fake=key", " fake\\=key"},
	    {"\\=", "\\\\\\="},
	    {"tab\there", "tab\\\\x09here"},
	    {"\x1b]0;title\x07", "\\\\x1b]0;title\\\\x07"},
	    {"\xff\xfe", "\\\\xff\\\\xfe"},
	    {"\x7f", "\\\\x7f"},
	};
	return cr_make_param_array(struct escape_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(const struct escape_case *c, report_cef, value_escaping, .timeout = 10)
{
	char *got = escaped(report_cef_put_value, c->input);
	cr_expect_str_eq(got, c->want);
	free(got);
}

/* Escaping then reading back gives the input (its non-ASCII bytes in the visible form). */
Test(report_cef, value_escaping_round_trips, .timeout = 10)
{
	static const char *const inputs[] = {"a=b\\c\nd\re| f=g", "= = =", "\\\\\\", "x\\"};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *value = escaped(report_cef_put_value, inputs[i]);
		size_t n = strlen("CEF:0|v|p|1|ID|name|5|k=") + strlen(value) + 1;
		char *line = malloc(n);
		cr_assert_not_null(line);
		snprintf(line, n, "CEF:0|v|p|1|ID|name|5|k=%s", value);
		struct cef_event ev;
		cr_assert_eq(cef_parse(line, &ev), 0, "does not parse: %s", line);
		cr_expect_str_eq(cef_event_get(&ev, "k"), inputs[i]);
		cr_expect_eq(ev.next, 1, "an escaped '=' was taken for a key in %s", line);
		cef_event_free(&ev);
		free(line);
		free(value);
	}
}

Test(report_cef, severity_mapping, .timeout = 10)
{
	static const int want[SEVERITY_COUNT] = {1, 3, 5, 8, 10};
	for (int s = 0; s < SEVERITY_COUNT; s++)
		cr_expect_eq(report_cef_severity((enum finding_severity)s), want[s], "%s",
		             severity_name((enum finding_severity)s));
}

/* The output of the writer split into lines (the buffer is modified); returns the count. */
static size_t split_lines(char *data, char **lines, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(data, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		cr_assert_lt(n, max);
		lines[n++] = l;
	}
	return n;
}

static void expect_foreign(const struct cef_event *ev, const char *key, const char *raw)
{
	char *want = escape_visible_str(raw);
	cr_assert_not_null(want);
	const char *got = cef_event_get(ev, key);
	cr_assert_not_null(got, "no %s", key);
	cr_expect_str_eq(got, want, "%s", key);
	free(want);
}

static void expect_event(const struct cef_event *ev, const struct scan_result *scan,
                         const struct target_result *t, const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	char num[32], fp[33];
	cr_expect_str_eq(ev->header[CEF_HEADER_VENDOR], "smtp-audit");
	cr_expect_str_eq(ev->header[CEF_HEADER_PRODUCT], "smtp-audit");
	cr_expect_str_eq(ev->header[CEF_HEADER_DEVICE_VERSION], "0.1.0");
	cr_expect_str_eq(ev->header[CEF_HEADER_SIGNATURE], entry->public_id);
	cr_expect_str_eq(ev->header[CEF_HEADER_NAME], entry->title);
	snprintf(num, sizeof(num), "%d", report_cef_severity(entry->severity));
	cr_expect_str_eq(ev->header[CEF_HEADER_SEVERITY], num);
	snprintf(num, sizeof(num), "%lld", (long long)t->finished_ms);
	cr_expect_str_eq(cef_event_get(ev, "rt"), num);
	expect_foreign(ev, "dhost", t->host);
	snprintf(num, sizeof(num), "%u", (unsigned)t->port);
	cr_expect_str_eq(cef_event_get(ev, "dpt"), num);
	cr_expect_str_eq(cef_event_get(ev, "app"), t->implicit_tls ? "SMTPS" : "SMTP");
	if (strchr(t->address, ':') != NULL) {
		cr_expect_str_eq(cef_event_get(ev, "c6a3"), t->address);
		cr_expect_null(cef_event_get(ev, "dst"));
	} else {
		cr_expect_str_eq(cef_event_get(ev, "dst"), t->address);
	}
	if (f->variant != NULL) {
		expect_foreign(ev, "cs1", f->variant);
		cr_expect_str_eq(cef_event_get(ev, "cs1Label"), "variant");
	} else {
		cr_expect_null(cef_event_get(ev, "cs1"));
	}
	cr_assert_eq(result_fingerprint(t, f, fp, sizeof(fp)), 0);
	cr_expect_str_eq(cef_event_get(ev, "cs2"), fp);
	cr_expect_str_eq(cef_event_get(ev, "cs3"), catalog_advice(f->id, t->mta.mta));
	cr_expect_str_eq(cef_event_get(ev, "cs4"), scan->scan_id);
	expect_foreign(ev, "msg", f->detail);
}

Test(report_cef, lines_read_back_as_the_model, .timeout = 60)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_REVERSE);
	struct report_fixture_output o =
	    report_fixture_render(cef_writer(), report_fixture_options(), &scan);
	for (size_t i = 0; i < o.len; i++) {
		unsigned char c = (unsigned char)o.data[i];
		cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n', "byte 0x%02x at offset %zu", c, i);
	}
	char *lines[16];
	size_t n = split_lines(o.data, lines, 16);
	size_t k = 0;
	for (size_t i = 0; i < scan.ntargets; i++) {
		const struct target_result *t = scan.targets[i];
		for (size_t j = 0; j < t->nfindings; j++, k++) {
			cr_assert_lt(k, n, "fewer lines than findings");
			struct cef_event ev;
			cr_assert_eq(cef_parse(lines[k], &ev), 0, "line %zu: %s", k, lines[k]);
			expect_event(&ev, &scan, t, &t->findings[j]);
			cef_event_free(&ev);
		}
	}
	cr_expect_eq(k, n, "%zu findings, %zu lines", k, n);
	free(o.data);
	scan_result_free(&scan);
}

/* A target whose every server-supplied string tries to break out of its field. */
static struct target_result *hostile_target(void)
{
	struct target_result *t =
	    target_result_new("mx|evil=1\\.example.org", "2001:db8::1", 2525, false);
	cr_assert_not_null(t);
	t->finished_ms = 1700000009999;
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_AUTH_ADVERTISED_CLEARTEXT, "PL|AIN= x\r\n"), 0);
	cr_assert_eq(finding_set_detail(&f, "reply 250 ok\r\nCEF:0|forged|x|1|ID|n|10|msg=own "
	                                    "dst=6.6.6.6 \\ \x1b[2J \xc3\x28"),
	             0);
	cr_assert_eq(target_result_take_finding(t, &f), 0);
	return t;
}

Test(report_cef, hostile_server_strings_stay_in_their_field, .timeout = 60)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-4000-8000-000000000000", 37);
	cr_assert_eq(scan_result_add(&scan, hostile_target()), 0);
	struct report_fixture_output o =
	    report_fixture_render(cef_writer(), report_fixture_options(), &scan);
	cr_assert_gt(o.len, 0);
	cr_expect_eq(memchr(o.data, '\n', o.len), o.data + o.len - 1, "one line: %s", o.data);
	cr_expect_null(memchr(o.data, '\r', o.len));
	cr_expect_null(strstr(o.data, "\x1b"));

	o.data[o.len - 1] = '\0';
	struct cef_event ev;
	cr_assert_eq(cef_parse(o.data, &ev), 0, "does not parse: %s", o.data);
	const struct target_result *t = scan.targets[0];
	expect_event(&ev, &scan, t, &t->findings[0]);
	cr_expect_null(cef_event_get(&ev, "evil"));
	cr_expect_eq(ev.next, 15, "a value spilled into a new key: %s", o.data);
	cef_event_free(&ev);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_cef, empty_scan_writes_nothing, .timeout = 10)
{
	struct scan_result scan;
	scan_result_init(&scan);
	struct report_fixture_output o =
	    report_fixture_render(cef_writer(), report_fixture_options(), &scan);
	cr_expect_eq(o.len, 0);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_cef, stream_error_is_reported, .timeout = 10)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.out = fopen("/dev/null", "r");
	cr_assert_not_null(opt.out);
	cr_expect_eq(cef_writer()->end(&opt, &scan), SA_ERROR_IO);
	fclose(opt.out);
	scan_result_free(&scan);
}
