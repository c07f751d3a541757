/*
 * NAME
 *	test_spf - SPF record syntax and the judgement of a domain's SPF policy
 *
 * DESCRIPTION
 *	Records shaped like the ones large mail providers and small domains
 *	publish go through spf_parse(): valid ones give their terms and
 *	DNS-querying count, broken ones an error that names the term and its
 *	offset. spf_judge() runs against zones held in each case, served by
 *	a lookup callback, and must emit exactly the expected findings in
 *	order, with the lookup count over the include tree. Hostile input:
 *	records over every bound, random bytes, include chains deeper than
 *	the walk's bound, wide fan-out, loops and names that never resolve.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_fixture.h"
#include "sa_error.h"
#include "spf.h"

/* Criterion copies parameters into the test's process, so cases hold text, not pointers. */
struct parse_case {
	char record[320];
	int rc;
	size_t nterms;
	size_t lookups;
	char error_has[64]; /* for failures: a part of the error text */
};

static const struct parse_case parse_cases[] = {
    {.record = "v=spf1 -all", .nterms = 1},
    {.record = "v=spf1 include:_spf.google.com ~all", .nterms = 2, .lookups = 1},
    {.record = "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.7 ip6:2001:db8::/32 -all", .nterms = 4},
    {.record = "V=SPF1 MX A:mail.example.org/28 -ALL", .nterms = 3, .lookups = 2},
    {.record = "v=spf1 a mx/24 a//64 mx:example.org/24//48 ?all", .nterms = 5, .lookups = 4},
    {.record = "v=spf1 include:spf.protection.outlook.com include:_spf.salesforce.com "
               "include:servers.mcsv.net -all",
     .nterms = 4,
     .lookups = 3},
    {.record = "v=spf1 exists:%{i}._spf.example.org ptr -all", .nterms = 3, .lookups = 2},
    {.record = "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all", .nterms = 2, .lookups = 1},
    {.record = "v=spf1 redirect=_spf.example.org", .nterms = 1, .lookups = 1},
    {.record = "v=spf1 mx -all redirect=_spf.example.org", .nterms = 3, .lookups = 1},
    {.record = "v=spf1 mx exp=explain._spf.%{d} -all", .nterms = 3, .lookups = 1},
    {.record = "v=spf1 ip4:192.0.2.1 moo.cow-far_out=%{l}.x -all", .nterms = 3},
    {.record = "v=spf1   ip4:192.0.2.1    -all   ", .nterms = 2},
    {.record = "v=spf1", .nterms = 0},
    {.record = "v=spf1 include:example.org.", .nterms = 1, .lookups = 1},
    {.record = "v=spf1 a:host.example-1 -all", .nterms = 2, .lookups = 1},
    {.record = "v=spf1 ip6:::1 ip6:::ffff:192.0.2.1/128 -all", .nterms = 3},
    {.record = "v=spf1 ip4:0.0.0.0/0 +all", .nterms = 2},

    {.record = "v=spf1 ip4:192.0.2.300 -all", .rc = SA_ERROR_PARSE, .error_has = "at offset 7"},
    {.record = "v=spf1 ip4:192.0.2.0/33 -all",
     .rc = SA_ERROR_PARSE,
     .error_has = "ip4:192.0.2.0/33"},
    {.record = "v=spf1 ip4:192.0.2.0/024", .rc = SA_ERROR_PARSE, .error_has = "prefix"},
    {.record = "v=spf1 ip6:2001:db8::/129", .rc = SA_ERROR_PARSE, .error_has = "offset 7"},
    {.record = "v=spf1 ip6:192.0.2.1", .rc = SA_ERROR_PARSE, .error_has = "address"},
    {.record = "v=spf1 ip4", .rc = SA_ERROR_PARSE, .error_has = "needs an address"},
    {.record = "v=spf1 mx -all include", .rc = SA_ERROR_PARSE, .error_has = "offset 15"},
    {.record = "v=spf1 include:", .rc = SA_ERROR_PARSE, .error_has = "empty domain"},
    {.record = "v=spf1 include:localhost", .rc = SA_ERROR_PARSE, .error_has = "fully qualified"},
    {.record = "v=spf1 include:example.123", .rc = SA_ERROR_PARSE, .error_has = "top-level"},
    {.record = "v=spf1 a:example.org/24/", .rc = SA_ERROR_PARSE, .error_has = "prefix"},
    {.record = "v=spf1 a:example.org//129", .rc = SA_ERROR_PARSE, .error_has = "prefix"},
    {.record = "v=spf1 all:example.org", .rc = SA_ERROR_PARSE, .error_has = "no argument"},
    {.record = "v=spf1 ~mx:ex ample.org",
     .rc = SA_ERROR_PARSE,
     .error_has = "\"~mx:ex\" at offset 7"},
    {.record = "v=spf1 mxx -all", .rc = SA_ERROR_PARSE, .error_has = "unknown mechanism \"mxx\""},
    {.record = "v=spf1 -include:_spf.example.org +redirect=x.example.org",
     .rc = SA_ERROR_PARSE,
     .error_has = "+redirect"},
    {.record = "v=spf1 redirect=a.example.org redirect=b.example.org",
     .rc = SA_ERROR_PARSE,
     .error_has = "second redirect modifier at offset 30"},
    {.record = "v=spf1 exp=a.example.org exp=b.example.org -all",
     .rc = SA_ERROR_PARSE,
     .error_has = "second exp"},
    {.record = "v=spf1 exists:%{x}.example.org", .rc = SA_ERROR_PARSE, .error_has = "macro"},
    {.record = "v=spf1 exists:%{c}.example.org", .rc = SA_ERROR_PARSE, .error_has = "macro"},
    {.record = "v=spf1 exists:%{d.example.org", .rc = SA_ERROR_PARSE, .error_has = "macro"},
    {.record = "v=spf1 exists:100%.example.org", .rc = SA_ERROR_PARSE, .error_has = "macro"},
    {.record = "v=spf1 1x=y", .rc = SA_ERROR_PARSE, .error_has = "modifier name"},
    {.record = "v=spf1 mx\t-all",
     .rc = SA_ERROR_PARSE,
     .error_has = "byte 0x09 is not allowed at offset 9"},
    {.record = "v=spf1 a:caf\xc3\xa9.example -all", .rc = SA_ERROR_PARSE, .error_has = "0xc3"},
    {.record = "v=spf10 -all", .rc = SA_ERROR_PARSE, .error_has = "v=spf1"},
    {.record = "spf1 -all", .rc = SA_ERROR_PARSE, .error_has = "v=spf1"},
};

ParameterizedTestParameters(spf, parses_records)
{
	return cr_make_param_array(struct parse_case, parse_cases,
	                           sizeof(parse_cases) / sizeof(parse_cases[0]));
}

ParameterizedTest(const struct parse_case *c, spf, parses_records, .timeout = 10)
{
	struct spf_record r;
	char err[256] = "";
	int rc = spf_parse(c->record, &r, err, sizeof(err));
	cr_assert_eq(rc, c->rc, "\"%s\": %s (%s)", c->record, sa_error_str(rc), err);
	if (rc < 0) {
		cr_assert(strstr(err, c->error_has) != NULL, "\"%s\": error \"%s\" lacks \"%s\"",
		          c->record, err, c->error_has);
		return;
	}
	cr_assert_eq(r.n, c->nterms, "\"%s\": %zu terms", c->record, r.n);
	cr_assert_eq(spf_record_lookups(&r), c->lookups, "\"%s\"", c->record);
	spf_record_free(&r);
}

Test(spf, keeps_qualifiers_domains_and_term_text, .timeout = 10)
{
	struct spf_record r;
	char err[256];
	cr_assert_eq(spf_parse("v=spf1 ~include:_spf.example.org -a:mx.example.org/24 "
	                       "?exists:%{i}.x.example ip4:192.0.2.1 redirect=r.example.org",
	                       &r, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(r.n, 5);
	cr_assert_eq(r.terms[0].kind, SPF_INCLUDE);
	cr_assert_eq(r.terms[0].qualifier, SPF_QUALIFIER_SOFTFAIL);
	cr_assert_str_eq(r.terms[0].domain, "_spf.example.org");
	cr_assert_str_eq(r.terms[0].text, "~include:_spf.example.org");
	cr_assert_eq(r.terms[0].offset, 7);
	cr_assert_eq(r.terms[1].kind, SPF_A);
	cr_assert_eq(r.terms[1].qualifier, SPF_QUALIFIER_FAIL);
	cr_assert_str_eq(r.terms[1].domain, "mx.example.org");
	cr_assert_str_eq(r.terms[1].text, "-a:mx.example.org/24");
	cr_assert_eq(r.terms[2].qualifier, SPF_QUALIFIER_NEUTRAL);
	cr_assert(spf_domain_has_macro(r.terms[2].domain));
	cr_assert_eq(r.terms[3].kind, SPF_IP4);
	cr_assert_null(r.terms[3].domain);
	cr_assert_eq(r.terms[4].kind, SPF_REDIRECT);
	cr_assert_str_eq(r.terms[4].domain, "r.example.org");
	spf_record_free(&r);
}

Test(spf, recognises_records_by_version_only, .timeout = 10)
{
	cr_assert(spf_is_record("v=spf1"));
	cr_assert(spf_is_record("v=spf1 -all"));
	cr_assert(spf_is_record("V=SpF1 mx"));
	cr_assert_not(spf_is_record("v=spf10 -all"));
	cr_assert_not(spf_is_record(" v=spf1 -all"));
	cr_assert_not(spf_is_record("v=DMARC1; p=none"));
	cr_assert_not(spf_is_record("google-site-verification=abc"));
	cr_assert_not(spf_is_record(""));
}

/* ---- the judge, against zones held in each case ---- */

#define ZONE_NAMES   8
#define NAME_RECORDS 2
#define MAX_TOP      3

/* A zone name whose lookup fails, and one the caller has not fetched yet. */
#define FAILING_NAME "servfail.example"
#define PENDING_NAME "notyet.example"

struct zone_name {
	char name[48];
	char txt[NAME_RECORDS][200];
	size_t ntxt;
};

struct judge_case {
	char title[48];
	char top[MAX_TOP][240]; /* the TXT records of example.org */
	size_t ntop;
	struct zone_name zone[ZONE_NAMES];
	char expect[200]; /* "PUBLIC-ID/variant" of each finding in order, space-separated */
	size_t lookups;
	bool complete;
	char pending[48];
};

static const struct judge_case judge_cases[] = {
    {.title = "strict and simple",
     .top = {"v=spf1 mx ip4:192.0.2.0/24 -all", "google-site-verification=abc"},
     .ntop = 2,
     .lookups = 1,
     .complete = true},
    {.title = "no spf among other txt",
     .top = {"google-site-verification=abc", "v=DMARC1; p=none"},
     .ntop = 2,
     .expect = "SMTP-DNS-001/-",
     .complete = true},
    {.title = "no txt at all", .expect = "SMTP-DNS-001/-", .complete = true},
    {.title = "two records",
     .top = {"v=spf1 mx -all", "v=spf1 include:_spf.example.net ~all"},
     .ntop = 2,
     .expect = "SMTP-DNS-002/multiple",
     .complete = true},
    {.title = "syntax error",
     .top = {"v=spf1 ip4:192.0.2.0/33 -all"},
     .ntop = 1,
     .expect = "SMTP-DNS-002/syntax",
     .complete = true},
    {.title = "plus all",
     .top = {"v=spf1 mx +all"},
     .ntop = 1,
     .expect = "SMTP-DNS-003/all",
     .lookups = 1,
     .complete = true},
    {.title = "bare all is pass",
     .top = {"v=spf1 all"},
     .ntop = 1,
     .expect = "SMTP-DNS-003/all",
     .complete = true},
    {.title = "question all",
     .top = {"v=spf1 mx ?all"},
     .ntop = 1,
     .expect = "SMTP-DNS-004/?all",
     .lookups = 1,
     .complete = true},
    {.title = "no all no redirect",
     .top = {"v=spf1 mx ip4:192.0.2.1"},
     .ntop = 1,
     .expect = "SMTP-DNS-004/no-all",
     .lookups = 1,
     .complete = true},
    {.title = "redirect carries the all",
     .top = {"v=spf1 redirect=_spf.example.org"},
     .ntop = 1,
     .zone = {{.name = "_spf.example.org", .txt = {"v=spf1 ip4:192.0.2.1 -all"}, .ntxt = 1}},
     .lookups = 1,
     .complete = true},
    {.title = "redirect to plus all",
     .top = {"v=spf1 redirect=_spf.example.org"},
     .ntop = 1,
     .zone = {{.name = "_spf.example.org", .txt = {"v=spf1 +all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-003/all",
     .lookups = 1,
     .complete = true},
    {.title = "redirect ignored when all present",
     .top = {"v=spf1 -all redirect=_spf.example.org"},
     .ntop = 1,
     .zone = {{.name = "_spf.example.org", .txt = {"v=spf1 +all"}, .ntxt = 1}},
     .complete = true},
    {.title = "include of plus all",
     .top = {"v=spf1 include:_spf.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "_spf.example.net", .txt = {"v=spf1 +all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-003/include:_spf.example.net",
     .lookups = 1,
     .complete = true},
    {.title = "failing include of plus all is harmless",
     .top = {"v=spf1 -include:_spf.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "_spf.example.net", .txt = {"v=spf1 +all"}, .ntxt = 1}},
     .lookups = 1,
     .complete = true},
    {.title = "include without record",
     .top = {"v=spf1 include:gone.example.net -all"},
     .ntop = 1,
     .expect = "SMTP-DNS-002/target:gone.example.net",
     .lookups = 1,
     .complete = true},
    {.title = "include with broken record",
     .top = {"v=spf1 include:bad.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "bad.example.net", .txt = {"v=spf1 ipv4:192.0.2.1 -all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-002/target:bad.example.net",
     .lookups = 1,
     .complete = true},
    {.title = "include with two records",
     .top = {"v=spf1 include:two.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "two.example.net", .txt = {"v=spf1 -all", "v=spf1 mx -all"}, .ntxt = 2}},
     .expect = "SMTP-DNS-002/target:two.example.net",
     .lookups = 1,
     .complete = true},
    {.title = "include loop",
     .top = {"v=spf1 include:a.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "a.example.net", .txt = {"v=spf1 include:b.example.net -all"}, .ntxt = 1},
              {.name = "b.example.net", .txt = {"v=spf1 include:A.Example.Net. -all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-002/loop:A.Example.Net.",
     .lookups = 3,
     .complete = true},
    {.title = "include of itself",
     .top = {"v=spf1 include:example.org -all"},
     .ntop = 1,
     .expect = "SMTP-DNS-002/loop:example.org",
     .lookups = 1,
     .complete = true},
    {.title = "eleven lookups over includes",
     .top = {"v=spf1 mx a include:one.example.net include:two.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "one.example.net",
               .txt = {"v=spf1 include:three.example.net a:x.example.net mx:y.example.net ~all"},
               .ntxt = 1},
              {.name = "two.example.net",
               .txt = {"v=spf1 ptr exists:z.example.net ?all"},
               .ntxt = 1},
              {.name = "three.example.net", .txt = {"v=spf1 a mx ip4:192.0.2.1 -all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-005/-",
     .lookups = 11,
     .complete = true},
    {.title = "ten lookups are allowed",
     .top = {"v=spf1 mx a include:one.example.net include:two.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "one.example.net",
               .txt = {"v=spf1 include:three.example.net a:x.example.net ~all"},
               .ntxt = 1},
              {.name = "two.example.net",
               .txt = {"v=spf1 ptr exists:z.example.net ?all"},
               .ntxt = 1},
              {.name = "three.example.net", .txt = {"v=spf1 a mx ip4:192.0.2.1 -all"}, .ntxt = 1}},
     .lookups = 10,
     .complete = true},
    {.title = "macro include is counted not followed",
     .top = {"v=spf1 include:%{ir}.spf.example.net -all"},
     .ntop = 1,
     .lookups = 1,
     .complete = false},
    {.title = "macro redirect leaves the all unknown",
     .top = {"v=spf1 mx redirect=%{d}._spf.example.net"},
     .ntop = 1,
     .lookups = 2,
     .complete = false},
    {.title = "failed lookup leaves the count open",
     .top = {"v=spf1 include:" FAILING_NAME " mx"},
     .ntop = 1,
     .lookups = 2,
     .complete = false},
    {.title = "unfetched include is pending",
     .top = {"v=spf1 include:" PENDING_NAME " include:x.example.net -all"},
     .ntop = 1,
     .zone = {{.name = "x.example.net", .txt = {"v=spf1 -all"}, .ntxt = 1}},
     .lookups = 2,
     .complete = false,
     .pending = PENDING_NAME},
    {.title = "several problems at once",
     .top = {"v=spf1 include:gone.example.net include:open.example.net a mx ptr a:1.example.org "
             "a:2.example.org a:3.example.org a:4.example.org a:5.example.org a:6.example.org"},
     .ntop = 1,
     .zone = {{.name = "open.example.net", .txt = {"v=spf1 all"}, .ntxt = 1}},
     .expect = "SMTP-DNS-002/target:gone.example.net SMTP-DNS-003/include:open.example.net "
               "SMTP-DNS-004/no-all SMTP-DNS-005/-",
     .lookups = 11,
     .complete = true},
};

static size_t lookup_calls;

static int zone_lookup(void *arg, const char *name, const char *const **records, size_t *n)
{
	static const char *texts[NAME_RECORDS];
	const struct judge_case *c = arg;
	lookup_calls++;
	if (strcmp(name, FAILING_NAME) == 0)
		return SA_ERROR_RESOLVE;
	if (strcmp(name, PENDING_NAME) == 0)
		return SA_ERROR_AGAIN;
	*records = texts;
	*n = 0;
	for (size_t i = 0; i < ZONE_NAMES; i++) {
		if (strcmp(c->zone[i].name, name) != 0)
			continue;
		for (size_t j = 0; j < c->zone[i].ntxt; j++)
			texts[j] = c->zone[i].txt[j];
		*n = c->zone[i].ntxt;
	}
	return 0;
}

ParameterizedTestParameters(spf, judges_domains)
{
	return cr_make_param_array(struct judge_case, judge_cases,
	                           sizeof(judge_cases) / sizeof(judge_cases[0]));
}

ParameterizedTest(const struct judge_case *c, spf, judges_domains, .timeout = 10)
{
	const char *top[MAX_TOP];
	struct spf_report report;
	struct dns_findings found = {0};
	for (size_t i = 0; i < c->ntop; i++)
		top[i] = c->top[i];
	cr_assert_eq(
	    spf_judge("example.org", top, c->ntop, zone_lookup, (void *)c, &report, &found), 0,
	    "%s", c->title);
	dns_fixture_expect_findings(&found, c->title, c->expect, "");
	cr_assert_eq(report.lookups, c->lookups, "%s: %zu lookups", c->title, report.lookups);
	cr_assert_eq(report.complete, c->complete, "%s", c->title);
	cr_assert_str_eq(report.pending, c->pending, "%s", c->title);
	dns_findings_free(&found);
}

Test(spf, lookup_finding_counts_each_record, .timeout = 10)
{
	const struct judge_case *c = &judge_cases[19];
	const char *top[] = {c->top[0]};
	struct spf_report report;
	struct dns_findings found = {0};
	cr_assert_str_eq(c->title, "eleven lookups over includes");
	cr_assert_eq(spf_judge("example.org", top, 1, zone_lookup, (void *)c, &report, &found), 0);
	const struct finding *f =
	    dns_fixture_only_finding(&found, CATALOG_DNS_SPF_TOO_MANY_LOOKUPS);
	dns_fixture_expect_detail_has(f, "11 DNS-querying terms", c->title);
	DNS_FIXTURE_EXPECT_EVIDENCE(
	    f, "example.org: 4 DNS-querying terms", "one.example.net: 3 DNS-querying terms",
	    "three.example.net: 2 DNS-querying terms", "two.example.net: 2 DNS-querying terms");
	dns_findings_free(&found);
}

Test(spf, syntax_finding_quotes_the_record_and_where, .timeout = 10)
{
	const char *top[] = {"v=spf1 mx ip4:192.0.2.0/33 -all"};
	struct spf_report report;
	struct dns_findings found = {0};
	cr_assert_eq(spf_judge("example.org", top, 1, NULL, NULL, &report, &found), 0);
	const struct finding *f = dns_fixture_only_finding(&found, CATALOG_DNS_SPF_INVALID);
	dns_fixture_expect_detail_has(f, "\"ip4:192.0.2.0/33\" at offset 10", top[0]);
	DNS_FIXTURE_EXPECT_EVIDENCE(f, "TXT example.org: v=spf1 mx ip4:192.0.2.0/33 -all");
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_RECEIVED);
	dns_findings_free(&found);
}

/* ---- hostile input ---- */

/* Every name "dN.example" includes "d(N+1).example": deeper than the walk may go. */
static int endless_lookup(void *arg, const char *name, const char *const **records, size_t *n)
{
	static char text[128];
	static const char *texts[1] = {text};
	unsigned depth = 0;
	(void)arg;
	lookup_calls++;
	cr_assert_eq(sscanf(name, "d%u.example", &depth), 1, "%s", name);
	snprintf(text, sizeof(text), "v=spf1 include:d%u.example -all", depth + 1);
	*records = texts;
	*n = 1;
	return 0;
}

Test(spf, deep_include_chain_is_bounded, .timeout = 10)
{
	const char *top[] = {"v=spf1 include:d0.example -all"};
	struct spf_report report;
	struct dns_findings found = {0};
	lookup_calls = 0;
	cr_assert_eq(spf_judge("example.org", top, 1, endless_lookup, NULL, &report, &found), 0);
	cr_assert_leq(lookup_calls, SPF_MAX_RECORDS);
	cr_assert_eq(report.records, SPF_MAX_RECORDS);
	cr_assert_not(report.complete);
	cr_assert_eq(report.lookups, SPF_MAX_RECORDS);
	dns_fixture_expect_detail_has(
	    dns_fixture_only_finding(&found, CATALOG_DNS_SPF_TOO_MANY_LOOKUPS), "at least 64",
	    top[0]);
	dns_findings_free(&found);
}

/* Every name includes a hundred others that include a hundred more. */
static int wide_lookup(void *arg, const char *name, const char *const **records, size_t *n)
{
	static char text[32768];
	static const char *texts[1] = {text};
	(void)arg;
	lookup_calls++;
	size_t used = (size_t)snprintf(text, sizeof(text), "v=spf1");
	for (int i = 0; i < 100; i++)
		used +=
		    (size_t)snprintf(text + used, sizeof(text) - used, " include:w%d.%s", i, name);
	cr_assert_lt(used, sizeof(text));
	*records = texts;
	*n = 1;
	return 0;
}

Test(spf, wide_fan_out_is_bounded, .timeout = 10)
{
	const char *top[] = {"v=spf1 include:w.example -all"};
	struct spf_report report;
	struct dns_findings found = {0};
	lookup_calls = 0;
	cr_assert_eq(spf_judge("example.org", top, 1, wide_lookup, NULL, &report, &found), 0);
	cr_assert_leq(lookup_calls, SPF_MAX_RECORDS);
	cr_assert_eq(report.records, SPF_MAX_RECORDS);
	cr_assert_not(report.complete);
	cr_assert_eq(
	    dns_fixture_finding(&found, CATALOG_DNS_SPF_TOO_MANY_LOOKUPS)->evidence_dropped, 0);
	dns_findings_free(&found);
}

Test(spf, huge_records_are_refused, .timeout = 10)
{
	/* Terms of 12 bytes after the 7 of the version: the nth ends with a blank at 12n + 6. */
	char *text = dns_fixture_huge_record("v=spf1 ", "ip4:1.2.3.4 ", "", 70000);
	struct spf_record r;
	char err[256] = "";
	cr_assert_eq(spf_parse(text, &r, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "70000 bytes") != NULL, "%s", err);
	text[12 * (SPF_MAX_TERMS + 1) + 6] = '\0';
	cr_assert_eq(spf_parse(text, &r, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "more than 128 terms") != NULL, "%s", err);
	text[12 * SPF_MAX_TERMS + 6] = '\0';
	cr_assert_eq(spf_parse(text, &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(r.n, SPF_MAX_TERMS);
	spf_record_free(&r);

	const char *top[] = {text};
	struct spf_report report;
	struct dns_findings found = {0};
	text[12 * SPF_MAX_TERMS + 6] = ' ';
	text[12 * (SPF_MAX_TERMS + 1) + 6] = ' ';
	cr_assert_eq(spf_judge("example.org", top, 1, NULL, NULL, &report, &found), 0);
	dns_fixture_only_finding(&found, CATALOG_DNS_SPF_INVALID);
	dns_findings_free(&found);
	free(text);
}

static void parse_random_record(const char *record, int round)
{
	struct spf_record r;
	char err[256];
	int rc = spf_parse(record, &r, err, sizeof(err));
	cr_assert(rc == 0 || rc == SA_ERROR_PARSE || rc == SA_ERROR_TOOBIG, "round %d: %d", round,
	          rc);
	if (rc == 0)
		spf_record_free(&r);
}

Test(spf, random_bytes_never_crash, .timeout = 30)
{
	dns_fixture_random_records("v=spf1 ", "v=spf1 :/.%{}-+~?aimnpx0123456789lrdi\x01\x7f\xff",
	                           20261122, parse_random_record);
}
