/*
 * NAME
 *	test_escape - unit tests for escaping server-supplied bytes
 *
 * DESCRIPTION
 *	A table of hostile inputs (terminal escape sequences, control bytes,
 *	invalid UTF-8, markup, backslashes, every byte value) with the exact
 *	visible and HTML forms they must give; then the properties every
 *	output must have: pure printable ASCII, the announced length, and a
 *	reverse mapping back to the input bytes.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "escape.h"

#define BYTES(s) .bytes = (s), .len = sizeof(s) - 1

/* Criterion copies parameters into the test process, so a case holds its bytes. */
struct escape_case {
	char name[32];
	char bytes[64];
	size_t len;
	char visible[256];
	char html[256];
};

static const struct escape_case escape_cases[] = {
    {.name = "plain",
     BYTES("250 mail.example.org"),
     .visible = "250 mail.example.org",
     .html = "250 mail.example.org"},
    {.name = "empty", BYTES(""), .visible = "", .html = ""},
    {.name = "ansi colour",
     BYTES("\x1b[31mred\x1b[0m"),
     .visible = "\\x1b[31mred\\x1b[0m",
     .html = "\\x1b[31mred\\x1b[0m"},
    {.name = "osc title",
     BYTES("\x1b]0;pwned\x07"),
     .visible = "\\x1b]0;pwned\\x07",
     .html = "\\x1b]0;pwned\\x07"},
    {.name = "crlf and tab",
     BYTES("a\r\nb\tc"),
     .visible = "a\\x0d\\x0ab\\x09c",
     .html = "a\\x0d\\x0ab\\x09c"},
    {.name = "del and high",
     BYTES("\x7f\x80\xff"),
     .visible = "\\x7f\\x80\\xff",
     .html = "\\x7f\\x80\\xff"},
    {.name = "valid utf-8",
     BYTES("caf\xc3\xa9"),
     .visible = "caf\\xc3\\xa9",
     .html = "caf\\xc3\\xa9"},
    {.name = "invalid utf-8",
     BYTES("\xc3\x28\xe2\x82\xf0\x9f"),
     .visible = "\\xc3(\\xe2\\x82\\xf0\\x9f",
     .html = "\\xc3(\\xe2\\x82\\xf0\\x9f"},
    {.name = "backslash",
     BYTES("C:\\dir\\x41"),
     .visible = "C:\\\\dir\\\\x41",
     .html = "C:\\\\dir\\\\x41"},
    {.name = "script",
     BYTES("<script>alert('x')</script>"),
     .visible = "<script>alert('x')</script>",
     .html = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
    {.name = "entities",
     BYTES("a&b \"q\" <>"),
     .visible = "a&b \"q\" <>",
     .html = "a&amp;b &quot;q&quot; &lt;&gt;"},
    {.name = "hostile banner",
     BYTES("\x1b[31m<script>"),
     .visible = "\\x1b[31m<script>",
     .html = "\\x1b[31m&lt;script&gt;"},
    {.name = "embedded nul", BYTES("a\0b"), .visible = "a\\x00b", .html = "a"},
};

ParameterizedTestParameters(escape, table)
{
	return cr_make_param_array(struct escape_case, escape_cases,
	                           sizeof(escape_cases) / sizeof(escape_cases[0]));
}

ParameterizedTest(const struct escape_case *c, escape, table, .timeout = 10)
{
	char *visible = escape_visible(c->bytes, c->len);
	cr_assert_not_null(visible);
	cr_expect_str_eq(visible, c->visible, "%s: visible form", c->name);
	cr_expect_eq(escape_visible_len(c->bytes, c->len), strlen(c->visible), "%s: length",
	             c->name);
	free(visible);

	/* escape_html() takes a C string: it sees the bytes up to the first NUL. */
	char *html = escape_html(c->bytes);
	cr_assert_not_null(html);
	cr_expect_str_eq(html, c->html, "%s: html form", c->name);
	free(html);
}

Test(escape, str_treats_null_as_empty, .timeout = 10)
{
	char *s = escape_visible_str(NULL);
	cr_assert_not_null(s);
	cr_expect_str_eq(s, "");
	free(s);
	char *h = escape_html(NULL);
	cr_assert_not_null(h);
	cr_expect_str_eq(h, "");
	free(h);
}

Test(escape, str_matches_bytes_form, .timeout = 10)
{
	const char *banner = "mx ESMTP \x1b[2J\\\xfe";
	char *a = escape_visible_str(banner);
	char *b = escape_visible(banner, strlen(banner));
	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_expect_str_eq(a, b);
	cr_expect_str_eq(a, "mx ESMTP \\x1b[2J\\\\\\xfe");
	free(a);
	free(b);
}

/* Reverses escape_visible(); the test's own oracle that nothing was lost. */
static size_t unescape(const char *s, unsigned char *out)
{
	size_t n = 0;
	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			char hex[3] = {s[2], s[3], '\0'};
			out[n++] = (unsigned char)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			out[n++] = (unsigned char)*s++;
		}
	}
	return n;
}

Test(escape, every_byte_is_printable_and_reversible, .timeout = 10)
{
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char)i;
	char *e = escape_visible(all, sizeof(all));
	cr_assert_not_null(e);
	cr_expect_eq(strlen(e), escape_visible_len(all, sizeof(all)));
	for (const char *p = e; *p != '\0'; p++)
		cr_assert(*p >= 0x20 && *p <= 0x7e, "byte 0x%02x in the output", (unsigned char)*p);
	for (const char *p = e; (p = strstr(p, "\\x")) != NULL; p += 2) {
		cr_assert(strchr("0123456789abcdef", p[2]) != NULL, "lower-case hex");
		cr_assert(strchr("0123456789abcdef", p[3]) != NULL, "lower-case hex");
	}
	unsigned char back[256];
	cr_assert_eq(unescape(e, back), sizeof(all));
	cr_expect_eq(memcmp(back, all, sizeof(all)), 0);
	free(e);
}

Test(escape, html_output_has_no_markup, .timeout = 10)
{
	char *h = escape_html("\"><img src=x onerror='alert(1)'>\x1b[0m&amp;");
	cr_assert_not_null(h);
	cr_expect_null(strpbrk(h, "<>\"'"), "markup survived: %s", h);
	cr_expect_str_eq(h,
	                 "&quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt;\\x1b[0m&amp;amp;");
	free(h);
}
