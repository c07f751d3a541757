/*
 * NAME
 *	test_report_html - golden-file and hostile-input tests for the HTML writer
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.html. To regenerate it after an
 *	intended change of the output or of the catalogue text:
 *
 *		SA_UPDATE_GOLDEN=1 ./build/tests/unit_test_report_html
 *
 *	then review the diff of tests/data/golden/ before committing it.
 *
 *	Properties: the document is self-contained (no src=, no url(), no
 *	<link>, no <script>) and carries a Content-Security-Policy; a hostile
 *	banner, capability, certificate subject and evidence (script tags,
 *	attribute breakouts, ANSI escapes, invalid UTF-8) appear only in
 *	escaped form, so the output is pure printable ASCII and no '<' in it
 *	starts anything but the writer's own tags; every host, finding,
 *	remediation and evidence line is there; the order targets were added
 *	in does not matter; a failing stream gives SA_ERROR_IO.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "escape.h"
#include "report.h"
#include "report_fixture.h"
#include "sa_error.h"

/* The tags the writer itself uses; any other tag in the output came from data. */
static const char *const allowed_tags[] = {
    "!DOCTYPE", "html",   "head",  "meta",    "title", "style", "body",    "header",
    "h1",       "p",      "main",  "section", "h2",    "dl",    "dt",      "dd",
    "code",     "strong", "table", "tr",      "th",    "td",    "span",    "a",
    "article",  "h3",     "pre",   "h4",      "div",   "h5",    "details", "summary",
};

static const struct report_writer *html_writer(void)
{
	const struct report_writer *w = report_find("html");
	cr_assert_not_null(w);
	return w;
}

static struct report_fixture_output render_scan(const struct scan_result *scan)
{
	return report_fixture_render(html_writer(), report_fixture_options(), scan);
}

static struct report_fixture_output render_fixture(void)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = render_scan(&scan);
	scan_result_free(&scan);
	return o;
}

static bool tag_allowed(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(allowed_tags) / sizeof(allowed_tags[0]); i++)
		if (strlen(allowed_tags[i]) == len && strncmp(allowed_tags[i], name, len) == 0)
			return true;
	return false;
}

/* Every '<' opens one of the writer's tags (or closes one); the text between is never a tag. */
static void assert_only_own_tags(const struct report_fixture_output *o)
{
	for (const char *p = memchr(o->data, '<', o->len); p != NULL;
	     p = memchr(p + 1, '<', o->len - (size_t)(p + 1 - o->data))) {
		const char *name = p + 1 + (p[1] == '/');
		size_t len = strcspn(name, " >\n");
		cr_assert(tag_allowed(name, len), "unexpected tag <%.*s at offset %zu", (int)len,
		          name, (size_t)(p - o->data));
	}
}

static void assert_printable_ascii(const struct report_fixture_output *o)
{
	for (size_t i = 0; i < o->len; i++) {
		unsigned char c = (unsigned char)o->data[i];
		cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n', "byte 0x%02x at offset %zu", c, i);
	}
}

static bool contains_ci(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);
	for (const char *p = haystack; *p != '\0'; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

Test(report_html, golden, .timeout = 30)
{
	struct report_fixture_output o = render_fixture();
	report_fixture_golden("report.html", &o);
	free(o.data);
}

Test(report_html, self_contained_with_csp, .timeout = 30)
{
	struct report_fixture_output o = render_fixture();
	cr_expect_eq(strncmp(o.data, "<!DOCTYPE html>\n", 16), 0);
	cr_expect_not_null(strstr(o.data, "<meta http-equiv=\"Content-Security-Policy\" "
	                                  "content=\"default-src 'none'; style-src "
	                                  "'unsafe-inline'\">"));
	cr_expect_not_null(strstr(o.data, "<meta charset=\"utf-8\">"));
	static const char *const external[] = {"src=",    "url(",    "<link",   "@import",
	                                       "<script", "http://", "https://"};
	for (size_t i = 0; i < sizeof(external) / sizeof(external[0]); i++)
		cr_expect_not(contains_ci(o.data, external[i]), "\"%s\" in the output",
		              external[i]);
	cr_expect_not_null(strstr(o.data, "</html>\n"));
	free(o.data);
}

Test(report_html, fixture_data_only_escaped, .timeout = 30)
{
	struct report_fixture_output o = render_fixture();
	assert_printable_ascii(&o);
	assert_only_own_tags(&o);
	/* The greeting's script, ESC and invalid UTF-8, visible and inert. */
	cr_expect_not_null(strstr(o.data,
	                          "\\x1b[31m&lt;script&gt;alert(1)&lt;/script&gt;\nwelcome \\xc3( "
	                          "\\xff\\\\ back"));
	cr_expect_not_null(strstr(o.data, "&lt;b&gt;AUTH PLAIN LOGIN&lt;/b&gt;"));
	cr_expect_not_null(strstr(o.data, "X-HOSTILE \\x1b]0;owned\\x07&lt;i&gt;"));
	cr_expect_not_null(strstr(o.data, "CN=smtp.example.org, O=Example \\x1b[7m"));
	free(o.data);
}

/* Arrays, not pointers: criterion may run each parameter in a freshly executed worker. */
struct hostile_case {
	char name[32];
	char text[64];   /* what the server sent */
	char shown[128]; /* how the report must show it */
};

static struct hostile_case hostile_cases[] = {
    {"script", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"attribute breakout", "\"><img src=x onerror=alert(1)>",
     "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"},
    {"single quote", "'><svg onload=alert(1)>", "&#39;&gt;&lt;svg onload=alert(1)&gt;"},
    {"ansi", "\x1b[2J\x1b]0;owned\x07 red", "\\x1b[2J\\x1b]0;owned\\x07 red"},
    {"invalid utf-8", "bad \xc3\x28 \xff\xfe <b>", "bad \\xc3( \\xff\\xfe &lt;b&gt;"},
    {"entity", "&lt;script&gt; &amp;", "&amp;lt;script&amp;gt; &amp;amp;"},
    {"comment and cdata", "<!-- --><![CDATA[x]]></pre></details>",
     "&lt;!-- --&gt;&lt;![CDATA[x]]&gt;&lt;/pre&gt;&lt;/details&gt;"},
};

ParameterizedTestParameters(report_html, hostile_server_data_is_inert)
{
	return cr_make_param_array(struct hostile_case, hostile_cases,
	                           sizeof(hostile_cases) / sizeof(hostile_cases[0]));
}

/* A target whose every server-supplied field holds text. */
static struct target_result *hostile_target(const char *text)
{
	struct target_result *t = target_result_new(text, "127.0.0.1", 25, false);
	cr_assert_not_null(t);
	t->banner = report_fixture_dup(text);
	t->banner_code = 220;
	t->esmtp = true;
	t->have_caps_plain = true;
	t->caps_plain.server_name = report_fixture_dup(text);
	t->caps_plain.unknown = calloc(1, sizeof(char *));
	cr_assert_not_null(t->caps_plain.unknown);
	t->caps_plain.unknown[0] = report_fixture_dup(text);
	t->caps_plain.nunknown = 1;
	t->have_tls = true;
	t->tls.version = report_fixture_dup("TLSv1.3");
	t->tls.ciphersuite = report_fixture_dup(text);
	t->tls.subject = report_fixture_dup(text);
	t->tls.issuer = report_fixture_dup(text);
	t->tls.verify_detail = report_fixture_dup(text);

	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, text), 0);
	cr_assert_eq(finding_set_detail(&f, "%s", text), 0);
	char *lines[] = {(char *)text};
	report_fixture_exchange(&f, text, 250, lines, 1);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_NOTE, text), 0);
	report_fixture_take(t, &f);
	return t;
}

ParameterizedTest(struct hostile_case *c, report_html, hostile_server_data_is_inert, .timeout = 30)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000001", 37);
	cr_assert_eq(scan_result_add(&scan, hostile_target(c->text)), 0);
	struct report_fixture_output o = render_scan(&scan);

	assert_printable_ascii(&o);
	assert_only_own_tags(&o);
	cr_expect_not(contains_ci(o.data, "<script"), "%s: raw <script", c->name);
	cr_expect_not(contains_ci(o.data, "<img"), "%s: raw <img", c->name);
	/* The text is there, escaped: in the banner, capabilities, TLS facts and evidence. */
	size_t seen = 0;
	for (const char *p = strstr(o.data, c->shown); p != NULL; p = strstr(p + 1, c->shown))
		seen++;
	cr_expect_geq(seen, 10, "%s: \"%s\" shown %zu times", c->name, c->shown, seen);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_html, one_escaping_function, .timeout = 30)
{
	/* The writer shows text exactly as escape_html() does. */
	static const char hostile[] = "<a href='x'>\x1b\xff&\"</a>";
	char *e = escape_html(hostile);
	cr_assert_not_null(e);
	struct scan_result scan;
	scan_result_init(&scan);
	cr_assert_eq(scan_result_add(&scan, hostile_target(hostile)), 0);
	struct report_fixture_output o = render_scan(&scan);
	cr_expect_not_null(strstr(o.data, e), "\"%s\" missing", e);
	free(e);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_html, content_per_target, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = render_scan(&scan);
	const char *mx1 = strstr(o.data, "id=\"target-1\"");
	const char *bad = strstr(o.data, "id=\"target-2\"");
	const char *tls = strstr(o.data, "id=\"target-3\"");
	cr_assert(mx1 != NULL && bad != NULL && tls != NULL);
	cr_expect(mx1 < bad && bad < tls);
	cr_expect_not_null(strstr(mx1, "mx1.example.org [192.0.2.10]:25</h3>"));
	cr_expect_not_null(strstr(bad, "nonexistent.invalid:25</h3>"));
	cr_expect_not_null(
	    strstr(tls, "smtp.example.org [2001:db8::25]:465 <span class=\"muted\">(implicit "
	                "TLS)</span></h3>"));

	/* The Postfix advice, escaped, in a selectable <pre>. */
	char *advice = escape_html(catalog_advice(CATALOG_RELAY_OPEN, MTA_POSTFIX));
	cr_assert_not_null(advice);
	char first[512];
	snprintf(first, sizeof(first), "<pre class=\"fix\">%.*s", (int)strcspn(advice, "\\"),
	         advice);
	cr_expect_not_null(strstr(mx1, first), "missing %s", first);
	free(advice);

	cr_expect_not_null(strstr(mx1, "<details><summary>Evidence (5 lines)</summary>"));
	cr_expect_not_null(strstr(mx1, "<span class=\"ev-sent\">C: RCPT "
	                               "TO:&lt;relay-test@example.net&gt;</span>"));
	cr_expect_not_null(strstr(mx1, "<span class=\"ev-received\">S: 250 2.1.5 Ok</span>"));
	cr_expect_not_null(strstr(mx1, "(2 more evidence lines not kept)"));
	cr_expect_not_null(strstr(mx1, "<dt>Software</dt><dd>Postfix</dd>"));
	cr_expect_not_null(strstr(mx1, "<td class=\"verdict-inconclusive\">inconclusive</td>"
	                               "<td>timeout: timeout while sending VRFY</td>"));
	cr_expect_not_null(strstr(bad, "unresolvable</span> &#8211; name did not resolve "
	                               "(NXDOMAIN); all probes inconclusive"));
	cr_expect_not_null(
	    strstr(tls, "<dt>Valid</dt><dd>2023-11-01T00:00:00Z to 2024-10-31T23:59:59Z</dd>"));
	cr_expect_not_null(strstr(tls, "<dt>Software</dt><dd>Exim 4.96</dd>"));
	free(o.data);
	scan_result_free(&scan);
}

Test(report_html, summary_matches_counts, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = render_scan(&scan);
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&scan, counts);
	char row[512];
	snprintf(row, sizeof(row),
	         "<tr><td class=\"count\">%zu</td><td class=\"count\">%zu</td><td "
	         "class=\"count\">%zu</td><td class=\"count\">%zu</td><td "
	         "class=\"count\">%zu</td></tr>",
	         counts[SEVERITY_CRITICAL], counts[SEVERITY_HIGH], counts[SEVERITY_MEDIUM],
	         counts[SEVERITY_LOW], counts[SEVERITY_INFO]);
	cr_expect_not_null(strstr(o.data, row), "missing %s", row);
	cr_expect_not_null(strstr(o.data, "<dd>3 scanned, 2 completed, 1 failed</dd>"));
	cr_expect_not_null(strstr(o.data, "<code>4f1c2a9e-0b7d-4c55-9a61-2d8e7f3b1a20</code>"));
	cr_expect_not_null(strstr(o.data, "<dt>Started</dt><dd>2023-11-14T22:13:20Z</dd>"));
	cr_expect_not_null(strstr(o.data, "<dt>Finished</dt><dd>2023-11-14T22:13:24Z</dd>"));
	cr_expect_not_null(strstr(o.data, "<dt>Worst severity</dt><dd><span class=\"badge "
	                                  "sev-critical\">critical</span></dd>"));
	size_t at_least = scan_result_count_at_least(&scan, SEVERITY_HIGH);
	snprintf(row, sizeof(row), "<dd>high: met (findings at or above: %zu)</dd>", at_least);
	cr_expect_not_null(strstr(o.data, row), "missing %s", row);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_html, independent_of_insertion_order, .timeout = 30)
{
	struct scan_result forward, reverse;
	report_fixture_scan(&forward, REPORT_FIXTURE_FORWARD);
	report_fixture_scan(&reverse, REPORT_FIXTURE_REVERSE);
	struct report_fixture_output a = render_scan(&forward);
	struct report_fixture_output b = render_scan(&reverse);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len < b.len ? a.len : b.len), 0);
	free(a.data);
	free(b.data);
	scan_result_free(&forward);
	scan_result_free(&reverse);
}

Test(report_html, empty_interrupted_scan, .timeout = 30)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000000", 37);
	scan.interrupted = true;
	struct report_options opt = report_fixture_options();
	opt.fail_on = SEVERITY_COUNT;
	struct report_fixture_output o = report_fixture_render(html_writer(), opt, &scan);
	cr_expect_not_null(strstr(o.data, "(interrupted before every target was scanned)"));
	cr_expect_not_null(strstr(o.data, "<dd>0 scanned, 0 completed, 0 failed</dd>"));
	cr_expect_not_null(strstr(o.data, "<span class=\"badge sev-none\">none</span>"));
	cr_expect_not_null(strstr(o.data, "never: findings do not fail the scan"));
	cr_expect_null(strstr(o.data, "<article"));
	cr_expect_not_null(strstr(o.data, "</html>\n"));
	free(o.data);
}

Test(report_html, stream_error_is_reported, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.out = fopen("/dev/null", "r");
	cr_assert_not_null(opt.out);
	cr_expect_eq(html_writer()->end(&opt, &scan), SA_ERROR_IO);
	fclose(opt.out);
	scan_result_free(&scan);
}
