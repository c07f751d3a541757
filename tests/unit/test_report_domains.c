/*
 * NAME
 *	test_report_domains - every writer in domain mode (--domain)
 *
 * DESCRIPTION
 *	The domain-mode scan of report_domains_fixture.h (two domains, one
 *	with hostile DNS text, one null MX, and a target that is an MX host)
 *	goes through every writer: the output is compared byte for byte
 *	with tests/data/golden/report-domains.* (SA_UPDATE_GOLDEN=1
 *	regenerates them; review the diff), validated against the schemas
 *	of the JSON writers, and checked for what each writer owes: the
 *	domains before the targets, route, DNSSEC and MX hosts, domain
 *	findings printed like a target's with domain fingerprints, "MX of"
 *	on the target, and no hostile byte reaching the output unescaped.
 *	A plain scan's JSON has no "domains" member at all.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "cef_parse.h"
#include "escape.h"
#include "report.h"
#include "report_diff.h"
#include "report_domains_fixture.h"
#include "report_fixture.h"
#include "report_lines.h"

#define REPORT_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-report.schema.json"
#define NDJSON_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-ndjson.schema.json"
#define OCSF_SCHEMA   SA_SOURCE_DIR "/tests/schema/ocsf-finding.schema.json"
#define DIFF_SCHEMA   SA_SOURCE_DIR "/tests/schema/smtp-audit-diff.schema.json"

/* The scan through writer name; opt NULL for the fixture's options. */
static struct report_fixture_output render(const char *name, const struct report_options *opt)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render(name, opt, &scan);
	scan_result_free(&scan);
	return o;
}

static char *fingerprint_of(const struct domain_result *d, size_t i)
{
	static char fp[33];
	cr_assert_eq(result_domain_fingerprint(d, &d->findings.items[i], fp, sizeof(fp)), 0);
	return fp;
}

/* Arrays, not pointers: criterion copies parameters into another process. */
struct golden_case {
	char writer[16];
	char file[40];
	bool verbose;
};

ParameterizedTestParameters(report_domains, golden)
{
	static struct golden_case cases[] = {
	    {"text", "report-domains.txt", false},
	    {"text", "report-domains-verbose.txt", true},
	    {"json", "report-domains.json", false},
	    {"ndjson", "report-domains.ndjson", false},
	    {"ocsf", "report-domains.ocsf.json", false},
	    {"html", "report-domains.html", false},
	    {"cef", "report-domains.cef", false},
	};
	return cr_make_param_array(struct golden_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct golden_case *c, report_domains, golden, .timeout = 60)
{
	struct report_options opt = report_fixture_options();
	opt.verbose = c->verbose;
	struct report_fixture_output o = render(c->writer, &opt);
	report_fixture_golden(c->file, &o);
	free(o.data);
}

ParameterizedTestParameters(report_domains, no_raw_hostile_bytes)
{
	static char writers[][8] = {"text", "json", "ndjson", "ocsf", "html", "cef"};
	return cr_make_param_array(char[8], writers, sizeof(writers) / sizeof(writers[0]));
}

/* ESC, BEL and the record's newline never reach any output; markup only escaped in HTML. */
ParameterizedTest(char (*writer)[8], report_domains, no_raw_hostile_bytes, .timeout = 60)
{
	struct report_options opt = report_fixture_options();
	opt.verbose = true;
	struct report_fixture_output o = render(*writer, &opt);
	report_lines_expect_printable(o.data, o.len);
	cr_expect_null(memmem(o.data, o.len, "\nnext ?all", 10), "a DNS newline split a line");
	if (strcmp(*writer, "html") == 0)
		cr_expect_null(strstr(o.data, "<script>alert"), "markup from DNS reached HTML");
	free(o.data);
}

Test(report_domains, text_shows_domains_before_targets, .timeout = 30)
{
	struct report_fixture_output o = render("text", NULL);
	const char *domains = strstr(o.data, "Domains\n\ndomain example.org\n");
	const char *null_mx = strstr(o.data, "domain null.example\n  route: null-mx; DNSSEC: no\n"
	                                     "  findings: none\n");
	const char *targets = strstr(o.data, "Targets\n\nmx1.example.org [192.0.2.10]:25\n"
	                                     "  MX of: example.org\n");
	cr_assert_not_null(domains, "%s", o.data);
	cr_assert_not_null(null_mx);
	cr_assert_not_null(targets);
	cr_expect(domains < null_mx && null_mx < targets);
	cr_expect_not_null(strstr(o.data, "  route: mx; DNSSEC: yes\n"
	                                  "  MX 10 mx1.example.org: 192.0.2.10, 2001:db8::10\n"
	                                  "  MX 20 mx2.example.org (did not resolve: timeout "
	                                  "\\x1b[2J)\n"));
	cr_expect_not_null(strstr(o.data, "    [LOW] SMTP-DNS-012 "));
	cr_expect_not_null(
	    strstr(o.data, " (p=none)\n      the DMARC policy is p=none\n      Fix: "));
	cr_expect_not_null(strstr(o.data, "      unknown mechanism \\x1b]0;pwned\\x07 <script>"));
	cr_expect_not_null(strstr(o.data, "domains: 2\nsummary: 1 targets scanned"));
	free(o.data);
}

/* Only null MX: no host to scan, so no "Targets" heading over nothing. */
Test(report_domains, text_without_targets_has_no_targets_heading, .timeout = 30)
{
	struct scan_result scan;
	scan_result_init(&scan);
	cr_assert_eq(scan_result_add_domain(&scan, report_domains_null_mx()), 0);
	struct report_fixture_output o = report_domains_render("text", NULL, &scan);
	cr_assert_not_null(strstr(o.data, "Domains\n\ndomain null.example\n"), "%s", o.data);
	cr_expect_null(strstr(o.data, "Targets"), "%s", o.data);
	cr_expect_not_null(strstr(o.data, "domains: 1\nsummary: 0 targets scanned"), "%s", o.data);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_domains, text_lists_every_domain_of_a_target, .timeout = 30)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	cr_assert_eq(target_result_add_domain(scan.targets[0], "b.example"), 0);
	cr_assert_eq(target_result_add_domain(scan.targets[0], "a.example"), 0);
	struct report_fixture_output o = report_domains_render("text", NULL, &scan);
	cr_expect_not_null(strstr(o.data, "\n  MX of: a.example, b.example, example.org\n"));
	free(o.data);
	scan_result_free(&scan);
}

/* The fixture's scan through writer name, compared with an empty baseline: every finding new. */
static struct report_fixture_output render_all_new(const char *name)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct baseline_report old = {0}, cur;
	struct baseline_diff diff;
	cr_assert_eq(baseline_from_scan(&cur, &scan), 0);
	cr_assert_eq(baseline_compare(&diff, &old, &cur), 0);
	struct report_options opt = report_fixture_options();
	opt.baseline = &diff;
	opt.baseline_file = "old.json";
	struct report_fixture_output o = report_domains_render(name, &opt, &scan);
	baseline_diff_free(&diff);
	baseline_report_free(&cur);
	scan_result_free(&scan);
	return o;
}

Test(report_domains, text_marks_domain_findings_against_a_baseline, .timeout = 30)
{
	struct report_fixture_output o = render_all_new("text");
	cr_expect_not_null(strstr(o.data, "    [new] [LOW] SMTP-DNS-012 "), "%s", o.data);
	cr_expect_not_null(strstr(o.data, " on domain example.org\n"));
	free(o.data);
}

Test(report_domains, json_holds_the_domains, .timeout = 60)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render("json", NULL, &scan);
	if (report_lines_available())
		report_lines_expect_valid_document(REPORT_SCHEMA, o.data, o.len);
	json_t *doc = json_loadb(o.data, o.len, 0, NULL);
	cr_assert_not_null(doc);
	json_t *domains = json_object_get(doc, "domains");
	cr_assert_eq(json_array_size(domains), 2);
	json_t *example = json_array_get(domains, 0), *null_mx = json_array_get(domains, 1);
	cr_expect_str_eq(json_string_value(json_object_get(example, "domain")), "example.org");
	cr_expect_str_eq(json_string_value(json_object_get(example, "route")), "mx");
	cr_expect(json_is_true(json_object_get(example, "dnssec")));
	json_t *mx = json_object_get(example, "mx");
	cr_assert_eq(json_array_size(mx), 2);
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(mx, 1), "preference")), 20);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(mx, 1), "error")),
	                 "timeout \\x1b[2J");
	char *record = escape_visible_str("v=spf1 " REPORT_DOMAINS_HOSTILE);
	cr_expect_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(example, "records"), 0), "text")),
	                 record);
	free(record);
	const struct domain_result *d = scan.domains[0];
	json_t *findings = json_object_get(example, "findings");
	cr_assert_eq(json_array_size(findings), d->findings.n);
	for (size_t i = 0; i < d->findings.n; i++) {
		json_t *f = json_array_get(findings, i);
		cr_expect_str_eq(json_string_value(json_object_get(f, "fingerprint")),
		                 fingerprint_of(d, i));
		cr_expect_str_eq(json_string_value(json_object_get(f, "remediation")),
		                 catalog_advice(d->findings.items[i].id, MTA_UNKNOWN));
	}
	cr_expect_str_eq(json_string_value(json_object_get(null_mx, "route")), "null-mx");
	cr_expect_eq(json_array_size(json_object_get(null_mx, "mx")), 0);
	json_t *target = json_array_get(json_object_get(doc, "targets"), 0);
	json_t *of = json_object_get(target, "domains");
	cr_assert_eq(json_array_size(of), 1);
	cr_expect_str_eq(json_string_value(json_array_get(of, 0)), "example.org");
	json_t *summary = json_object_get(doc, "summary");
	cr_expect_eq(json_integer_value(json_object_get(summary, "domains")), 2);
	/* Domain findings count like a target's: SPF invalid is medium. */
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&scan, counts);
	cr_expect_eq(
	    json_integer_value(json_object_get(json_object_get(summary, "findings"), "medium")),
	    (json_int_t)counts[SEVERITY_MEDIUM]);
	json_decref(doc);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_domains, json_schema_rejects_a_bad_domain, .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o = render("json", NULL);
	json_t *doc = json_loadb(o.data, o.len, 0, NULL);
	cr_assert_not_null(doc);
	json_t *domain = json_array_get(json_object_get(doc, "domains"), 0);
	json_object_set_new(domain, "route", json_string("mail"));
	char *text = json_dumps(doc, 0);
	char report[4096];
	cr_expect_eq(report_lines_validate_document(REPORT_SCHEMA, text, strlen(text), report,
	                                            sizeof(report)),
	             1, "an unknown route was accepted");
	free(text);
	json_decref(doc);
	free(o.data);
}

Test(report_domains, json_marks_domain_findings_against_a_baseline, .timeout = 60)
{
	struct report_fixture_output o = render_all_new("json");
	if (report_lines_available())
		report_lines_expect_valid_document(REPORT_SCHEMA, o.data, o.len);
	json_t *doc = json_loadb(o.data, o.len, 0, NULL);
	cr_assert_not_null(doc);
	json_t *finding = json_array_get(
	    json_object_get(json_array_get(json_object_get(doc, "domains"), 0), "findings"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(finding, "baseline")), "new");
	json_decref(doc);
	free(o.data);
}

Test(report_domains, plain_scan_json_has_no_domains, .timeout = 30)
{
	struct report_fixture_output o =
	    report_fixture_render_fixed("json", REPORT_FIXTURE_FORWARD);
	cr_expect_null(strstr(o.data, "\"domains\""));
	free(o.data);
	o = report_fixture_render_fixed("ndjson", REPORT_FIXTURE_FORWARD);
	cr_expect_null(strstr(o.data, "\"domain"));
	free(o.data);
}

Test(report_domains, ndjson_domain_lines_come_first, .timeout = 60)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render("ndjson", NULL, &scan);
	if (report_lines_available())
		report_lines_expect_valid(NDJSON_SCHEMA, o.data, o.len);
	json_t *lines = report_lines_parse(o.data, o.len);
	static const char *const first[] = {"finding", "finding", "domain", "domain"};
	for (size_t i = 0; i < 4; i++)
		cr_expect_str_eq(
		    json_string_value(json_object_get(json_array_get(lines, i), "type")), first[i],
		    "line %zu", i + 1);
	json_t *finding = json_array_get(lines, 0);
	cr_expect_str_eq(json_string_value(json_object_get(finding, "domain")), "example.org");
	cr_expect_null(json_object_get(finding, "host"));
	cr_expect_str_eq(json_string_value(json_object_get(finding, "fingerprint")),
	                 fingerprint_of(scan.domains[0], 0));
	json_t *example = json_array_get(lines, 2);
	cr_expect_eq(json_integer_value(json_object_get(example, "findings")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(example, "worst")), "medium");
	cr_expect(json_is_null(json_object_get(json_array_get(lines, 3), "worst")));
	json_t *summary = json_array_get(lines, json_array_size(lines) - 1);
	cr_expect_eq(json_integer_value(json_object_get(summary, "domains")), 2);
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_domains, ocsf_event_per_domain_finding, .timeout = 60)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render("ocsf", NULL, &scan);
	if (report_lines_available())
		report_lines_expect_valid(OCSF_SCHEMA, o.data, o.len);
	json_t *lines = report_lines_parse(o.data, o.len);
	cr_assert_eq(json_array_size(lines), 2 + scan.targets[0]->nfindings);
	for (size_t i = 0; i < 2; i++) {
		json_t *ev = json_array_get(lines, i);
		json_t *resource = json_array_get(json_object_get(ev, "resources"), 0);
		cr_expect_str_eq(json_string_value(json_object_get(resource, "type")),
		                 "Mail domain");
		cr_expect_str_eq(json_string_value(json_object_get(resource, "name")),
		                 "example.org");
		cr_expect_null(json_object_get(ev, "device"));
		cr_expect_str_eq(
		    json_string_value(json_object_get(json_object_get(ev, "finding_info"), "uid")),
		    fingerprint_of(scan.domains[0], i));
		cr_expect_eq(json_integer_value(json_object_get(ev, "time")), 1699999999750);
	}
	json_t *target_event = json_array_get(lines, 2);
	cr_expect_not_null(json_object_get(target_event, "device"));
	json_decref(lines);
	free(o.data);
	scan_result_free(&scan);
}

Test(report_domains, ocsf_schema_tells_domain_from_target_events, .timeout = 60)
{
	report_lines_require_validator();
	struct report_fixture_output o = render("ocsf", NULL);
	json_t *lines = report_lines_parse(o.data, o.len);
	json_t *domain_event = json_deep_copy(json_array_get(lines, 0));
	json_object_set_new(domain_event, "device",
	                    json_deep_copy(json_object_get(json_array_get(lines, 2), "device")));
	char report[4096];
	cr_expect_eq(
	    report_lines_validate_record(OCSF_SCHEMA, domain_event, report, sizeof(report)), 1,
	    "a domain event with a device was accepted");
	json_t *target_event = json_deep_copy(json_array_get(lines, 2));
	json_object_del(target_event, "device");
	cr_expect_eq(
	    report_lines_validate_record(OCSF_SCHEMA, target_event, report, sizeof(report)), 1,
	    "a target event without a device was accepted");
	json_decref(domain_event);
	json_decref(target_event);
	json_decref(lines);
	free(o.data);
}

Test(report_domains, html_domain_cards, .timeout = 30)
{
	struct report_fixture_output o = render("html", NULL);
	const char *card = strstr(o.data, "<article class=\"domain\" id=\"domain-1\">");
	const char *host = strstr(o.data, "<article class=\"host\" id=\"target-1\">");
	cr_assert_not_null(card);
	cr_assert_not_null(host);
	cr_expect(card < host, "domains come before the targets");
	cr_expect_not_null(strstr(o.data, " Domain example.org</h3>"));
	cr_expect_not_null(strstr(o.data, "<dt>Route</dt><dd>null-mx</dd>"));
	cr_expect_not_null(strstr(o.data, "<dt>MX of</dt><dd>example.org</dd>"));
	cr_expect_not_null(strstr(o.data, "10 mx1.example.org: 192.0.2.10, 2001:db8::10<br>"));
	cr_expect_not_null(
	    strstr(o.data, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot;"));
	cr_expect_not_null(strstr(o.data, "<code>SMTP-DNS-002</code>"));
	free(o.data);
}

Test(report_domains, cef_line_per_domain_finding, .timeout = 30)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render("cef", NULL, &scan);
	char *save = NULL;
	char *line = strtok_r(o.data, "\n", &save);
	for (size_t i = 0; i < 2; i++, line = strtok_r(NULL, "\n", &save)) {
		cr_assert_not_null(line);
		struct cef_event ev;
		cr_assert_eq(cef_parse(line, &ev), 0, "%s", line);
		cr_expect_str_eq(cef_event_get(&ev, "dhost"), "example.org");
		cr_expect_null(cef_event_get(&ev, "dpt"));
		cr_expect_null(cef_event_get(&ev, "dst"));
		cr_expect_str_eq(cef_event_get(&ev, "cs2"), fingerprint_of(scan.domains[0], i));
		cr_expect_str_eq(cef_event_get(&ev, "rt"), "1699999999750");
		if (i == 0)
			cr_expect_str_eq(
			    cef_event_get(&ev, "msg"),
			    "unknown mechanism \\x1b]0;pwned\\x07 <script>alert(1)</script> "
			    "\"quoted\"\\x0anext ?all");
		cef_event_free(&ev);
	}
	cr_assert_not_null(line);
	cr_expect_not_null(strstr(line, "dhost=mx1.example.org dst=192.0.2.10 dpt=25"));
	free(o.data);
	scan_result_free(&scan);
}

/* Digests computed independently: printf 'domain:example.org|SMTP-DNS-012|p=none' | sha256sum. */
Test(report_domains, domain_fingerprint_known_values, .timeout = 10)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	cr_expect_str_eq(fingerprint_of(scan.domains[0], 0), "ee1c35f36b6dd428558288ce13bdf16e");
	cr_expect_str_eq(fingerprint_of(scan.domains[0], 1), "207c171cd8e2af8250540a3898e061da");
	/* The same finding on a target named like the domain has another identity. */
	struct target_result *t = target_result_new("example.org", NULL, 25, false);
	cr_assert_not_null(t);
	char fp[33];
	cr_assert_eq(result_fingerprint(t, &scan.domains[0]->findings.items[1], fp, sizeof(fp)), 0);
	cr_expect_str_neq(fp, "207c171cd8e2af8250540a3898e061da");
	target_result_free(t);
	scan_result_free(&scan);
}

/* The SPF finding of example.org fixed since the baseline: resolved, named as a domain. */
Test(report_domains, diff_names_a_resolved_domain_finding, .timeout = 60)
{
	struct scan_result before, now;
	report_domains_scan(&before);
	report_domains_scan(&now);
	struct dns_findings *list = &now.domains[0]->findings;
	cr_assert_eq(list->items[0].id, CATALOG_DNS_SPF_INVALID);
	finding_free(&list->items[0]);
	memmove(&list->items[0], &list->items[1], (list->n - 1) * sizeof(list->items[0]));
	list->n--;
	struct baseline_report old, cur;
	struct baseline_diff diff;
	cr_assert_eq(baseline_from_scan(&old, &before), 0);
	cr_assert_eq(baseline_from_scan(&cur, &now), 0);
	cr_assert_eq(baseline_compare(&diff, &old, &cur), 0);
	cr_expect_eq(diff.nadded, 0);
	cr_assert_eq(diff.nresolved, 1);
	cr_expect_eq(diff.nunchanged, 1 + now.targets[0]->nfindings);

	const struct report_diff_source src = {
	    .baseline = "old.json", .current = "new.json", .fail_on = SEVERITY_HIGH};
	struct report_fixture_output o = {0};
	FILE *out = open_memstream(&o.data, &o.len);
	cr_assert_not_null(out);
	cr_assert_eq(report_diff_text(out, &diff, &src), 0);
	cr_assert_eq(fclose(out), 0);
	cr_expect_not_null(strstr(o.data,
	                          "  - [MEDIUM] SMTP-DNS-002 SPF policy is invalid: receivers "
	                          "get a permanent error on domain example.org\n"),
	                   "%s", o.data);
	free(o.data);

	out = open_memstream(&o.data, &o.len);
	cr_assert_not_null(out);
	cr_assert_eq(report_diff_json(out, &diff, &src), 0);
	cr_assert_eq(fclose(out), 0);
	if (report_lines_available())
		report_lines_expect_valid_document(DIFF_SCHEMA, o.data, o.len);
	json_t *doc = json_loadb(o.data, o.len, 0, NULL);
	cr_assert_not_null(doc);
	json_t *resolved = json_array_get(json_object_get(doc, "resolved"), 0);
	cr_expect(json_is_true(json_object_get(resolved, "domain")));
	cr_expect_str_eq(json_string_value(json_object_get(resolved, "host")), "example.org");
	cr_expect_eq(json_integer_value(json_object_get(resolved, "port")), 0);
	json_t *unchanged = json_object_get(doc, "unchanged");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(unchanged, 0), "host")),
	                 "mx1.example.org");
	cr_expect_null(json_object_get(json_array_get(unchanged, 0), "domain"),
	               "a target's entry has no domain flag");
	json_decref(doc);
	free(o.data);
	baseline_diff_free(&diff);
	baseline_report_free(&old);
	baseline_report_free(&cur);
	scan_result_free(&before);
	scan_result_free(&now);
}
