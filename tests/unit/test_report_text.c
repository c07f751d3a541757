/*
 * NAME
 *	test_report_text - golden-file and property tests for the text writer
 *
 * DESCRIPTION
 *	The fixed scan of report_fixture.h is written and compared byte for
 *	byte with tests/data/golden/report.txt (plain), report-color.txt
 *	(opt->color) and report-verbose.txt (opt->verbose, evidence shown).
 *
 *	To regenerate the golden files after an intended change of the output
 *	or of the catalogue text, run the test with SA_UPDATE_GOLDEN=1:
 *
 *		SA_UPDATE_GOLDEN=1 ./build/tests/unit_test_report_text
 *
 *	then review the diff of tests/data/golden/ before committing it.
 *
 *	Properties checked beyond the goldens: no ESC byte (and nothing but
 *	printable ASCII and newlines) without colour even for hostile input,
 *	colour adds only SGR sequences, the order in which targets, findings
 *	and probes were added does not matter, advice follows the recognised
 *	software, a failed target says why, the summary matches the counts,
 *	and a failing stream gives SA_ERROR_IO.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_fixture.h"
#include "sa_error.h"

static const struct report_writer *text_writer(void)
{
	const struct report_writer *w = report_find("text");
	cr_assert_not_null(w);
	return w;
}

static struct report_fixture_output render(struct report_options opt)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output o = report_fixture_render(text_writer(), opt, &scan);
	scan_result_free(&scan);
	return o;
}

static struct report_options options(bool color, bool verbose)
{
	struct report_options opt = report_fixture_options();
	opt.color = color;
	opt.verbose = verbose;
	return opt;
}

Test(report_text, golden_plain, .timeout = 30)
{
	struct report_fixture_output o = render(options(false, false));
	report_fixture_golden("report.txt", &o);
	free(o.data);
}

Test(report_text, golden_color, .timeout = 30)
{
	struct report_fixture_output o = render(options(true, false));
	report_fixture_golden("report-color.txt", &o);
	free(o.data);
}

Test(report_text, golden_verbose, .timeout = 30)
{
	struct report_fixture_output o = render(options(false, true));
	report_fixture_golden("report-verbose.txt", &o);
	free(o.data);
}

Test(report_text, no_control_bytes_without_color, .timeout = 30)
{
	for (int verbose = 0; verbose <= 1; verbose++) {
		struct report_fixture_output o = render(options(false, verbose));
		cr_assert_gt(o.len, 0);
		cr_expect_null(memchr(o.data, 0x1b, o.len), "ESC in the output (verbose=%d)",
		               verbose);
		for (size_t i = 0; i < o.len; i++) {
			unsigned char c = (unsigned char)o.data[i];
			cr_assert((c >= 0x20 && c <= 0x7e) || c == '\n',
			          "byte 0x%02x at offset %zu (verbose=%d)", c, i, verbose);
		}
		/* The hostile greeting is there, in its escaped form. */
		cr_expect_not_null(strstr(o.data, "\\x1b[31m<script>alert(1)</script>"));
		free(o.data);
	}
}

/* Removes every "ESC [ ... m" sequence. */
static size_t strip_sgr(char *s, size_t len)
{
	size_t out = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '[') {
			size_t j = i + 2;
			while (j < len && s[j] != 'm')
				j++;
			i = j;
			continue;
		}
		s[out++] = s[i];
	}
	return out;
}

Test(report_text, color_changes_only_severity_tags, .timeout = 30)
{
	struct report_fixture_output plain = render(options(false, true));
	struct report_fixture_output color = render(options(true, true));
	cr_expect_not_null(memchr(color.data, 0x1b, color.len), "no colour at all");
	cr_expect_not_null(strstr(color.data, "\033[1;31m[CRITICAL]\033[0m"));
	size_t n = strip_sgr(color.data, color.len);
	cr_expect_eq(n, plain.len);
	cr_expect_eq(memcmp(color.data, plain.data, n < plain.len ? n : plain.len), 0,
	             "colour output differs in more than SGR sequences");
	free(plain.data);
	free(color.data);
}

Test(report_text, independent_of_insertion_order, .timeout = 30)
{
	struct scan_result forward, reverse;
	report_fixture_scan(&forward, REPORT_FIXTURE_FORWARD);
	report_fixture_scan(&reverse, REPORT_FIXTURE_REVERSE);
	struct report_fixture_output a =
	    report_fixture_render(text_writer(), options(false, true), &forward);
	struct report_fixture_output b =
	    report_fixture_render(text_writer(), options(false, true), &reverse);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len < b.len ? a.len : b.len), 0);
	free(a.data);
	free(b.data);
	scan_result_free(&forward);
	scan_result_free(&reverse);
}

Test(report_text, content_per_target, .timeout = 30)
{
	struct report_fixture_output o = render(options(false, true));
	const char *mx1 = strstr(o.data, "mx1.example.org [192.0.2.10]:25\n");
	const char *bad = strstr(o.data, "nonexistent.invalid:25\n");
	const char *tls = strstr(o.data, "smtp.example.org [2001:db8::25]:465 (implicit TLS)\n");
	cr_assert_not_null(mx1);
	cr_assert_not_null(bad);
	cr_assert_not_null(tls);
	cr_expect(mx1 < bad && bad < tls, "targets sorted by host");

	/* The first line of the advice for the recognised software, then the rest indented. */
	const char *advice = catalog_advice(CATALOG_RELAY_OPEN, MTA_POSTFIX);
	char fix[1024];
	snprintf(fix, sizeof(fix), "      Fix: %.*s\n", (int)strcspn(advice, "\n"), advice);
	const char *at = strstr(mx1, fix);
	cr_expect_not_null(at, "missing \"%s\"", fix);
	if (at != NULL && strchr(advice, '\n') != NULL)
		cr_expect_eq(strncmp(at + strlen(fix), "           ", 11), 0,
		             "continuation not aligned under the advice");
	cr_expect_not_null(strstr(mx1, "  software: Postfix\n"));
	cr_expect_not_null(strstr(mx1, "    vrfy: inconclusive (timeout: timeout while sending "
	                               "VRFY)\n"));
	cr_expect_not_null(strstr(mx1, "    open_relay: vulnerable - 1 of 4 relay attempts "
	                               "accepted\n"));
	cr_expect_not_null(strstr(mx1, "      > C: RCPT TO:<relay-test@example.net>\n"));
	cr_expect_not_null(strstr(mx1, "      < S: 250 2.1.5 Ok\n"));
	cr_expect_not_null(strstr(bad, "  outcome: unresolvable - name did not resolve "
	                               "(NXDOMAIN)\n  all probes inconclusive\n"));
	cr_expect_not_null(strstr(tls, "  valid: 2023-11-01T00:00:00Z to 2024-10-31T23:59:59Z\n"));
	cr_expect_not_null(strstr(tls, "  software: Exim 4.96\n"));
	free(o.data);
}

Test(report_text, summary_matches_counts, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = options(false, false);
	struct report_fixture_output o = report_fixture_render(text_writer(), opt, &scan);

	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&scan, counts);
	char line[256];
	snprintf(line, sizeof(line),
	         "findings: %zu critical, %zu high, %zu medium, %zu low, %zu info\n",
	         counts[SEVERITY_CRITICAL], counts[SEVERITY_HIGH], counts[SEVERITY_MEDIUM],
	         counts[SEVERITY_LOW], counts[SEVERITY_INFO]);
	cr_expect_not_null(strstr(o.data, line), "missing \"%s\"", line);
	cr_expect_not_null(strstr(o.data, "summary: 3 targets scanned, 2 completed, 1 failed\n"));
	size_t at_least = scan_result_count_at_least(&scan, opt.fail_on);
	snprintf(line, sizeof(line), "fail-on high: %s (findings at or above: %zu)\n",
	         at_least > 0 ? "met" : "not met", at_least);
	cr_expect_not_null(strstr(o.data, line), "missing \"%s\"", line);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_text, empty_scan, .timeout = 30)
{
	struct scan_result scan;
	scan_result_init(&scan);
	memcpy(scan.scan_id, "00000000-0000-0000-0000-000000000000", 37);
	scan.interrupted = true;
	struct report_fixture_output o =
	    report_fixture_render(text_writer(), options(false, false), &scan);
	cr_expect_not_null(strstr(o.data, "interrupted"));
	cr_expect_not_null(strstr(o.data, "summary: 0 targets scanned, 0 completed, 0 failed\n"));
	cr_expect_not_null(strstr(o.data, "worst severity: none\n"));
	cr_expect_not_null(strstr(o.data, "fail-on high: not met (findings at or above: 0)\n"));
	free(o.data);
}

Test(report_text, fail_on_never, .timeout = 30)
{
	struct report_options opt = options(false, false);
	opt.fail_on = SEVERITY_COUNT; /* how the CLI spells --fail-on never */
	struct report_fixture_output o = render(opt);
	cr_expect_not_null(strstr(o.data, "fail-on never: findings do not fail the scan\n"));
	cr_expect_null(strstr(o.data, " met"));
	free(o.data);
}

Test(report_text, stream_error_is_reported, .timeout = 30)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = options(false, true);
	opt.out = fopen("/dev/null", "r");
	cr_assert_not_null(opt.out);
	cr_expect_eq(text_writer()->end(&opt, &scan), SA_ERROR_IO);
	fclose(opt.out);
	scan_result_free(&scan);
}

Test(report_text, is_the_default_writer, .timeout = 30)
{
	size_t n = 0;
	const struct report_writer *const *all = report_writers(&n);
	cr_assert_geq(n, 2);
	cr_expect_str_eq(all[0]->name, "text");
	cr_expect_eq(report_find("text"), all[0]);
	cr_expect_null(report_find("no-such-writer"));
	for (size_t i = 0; i < n; i++) {
		cr_expect_not_null(all[i]->description);
		cr_expect_not_null(all[i]->end, "%s has no end()", all[i]->name);
		cr_expect_eq(report_find(all[i]->name), all[i]);
		for (size_t j = i + 1; j < n; j++)
			cr_expect_str_neq(all[i]->name, all[j]->name);
	}
}
