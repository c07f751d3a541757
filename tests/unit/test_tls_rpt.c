/*
 * NAME
 *	test_tls_rpt - TLS-RPT records at _smtp._tls and their report URIs
 *
 * DESCRIPTION
 *	Records shaped like those mail providers publish, and broken ones,
 *	go through tls_rpt_judge(), which must emit exactly the expected
 *	findings with the record as evidence. Hostile input: records over
 *	every bound and random bytes after the version.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_fixture.h"
#include "sa_error.h"
#include "tls_rpt.h"

static const struct dns_fixture_txt_case judge_cases[] = {
    {.title = "mailto", .txt = {"v=TLSRPTv1; rua=mailto:tlsrpt@example.org"}, .ntxt = 1},
    {.title = "https", .txt = {"v=TLSRPTv1;rua=https://reports.example.org/v1/tlsrpt"}, .ntxt = 1},
    {.title = "both, spaced list, extension",
     .txt = {"v=TLSRPTv1 ; rua=mailto:a@example.org , https://r.example.net:8443/x ; ext=1;"},
     .ntxt = 1},
    {.title = "other txt only",
     .txt = {"v=spf1 -all", "v=TLSRPTv2; rua=mailto:a@example.org"},
     .ntxt = 2,
     .expect = "SMTP-DNS-030/-"},
    {.title = "nothing", .expect = "SMTP-DNS-030/-"},
    {.title = "two records",
     .txt = {"v=TLSRPTv1; rua=mailto:a@example.org", "v=TLSRPTv1; rua=mailto:b@example.org"},
     .ntxt = 2,
     .expect = "SMTP-DNS-031/multiple",
     .detail_has = "2 TLS-RPT records"},
    {.title = "no rua",
     .txt = {"v=TLSRPTv1;"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "no rua field"},
    {.title = "two rua",
     .txt = {"v=TLSRPTv1; rua=mailto:a@example.org; rua=mailto:b@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "more than one rua"},
    {.title = "http",
     .txt = {"v=TLSRPTv1; rua=http://reports.example.org/"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "neither mailto: nor https:"},
    {.title = "mail address without scheme",
     .txt = {"v=TLSRPTv1; rua=tlsrpt@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax"},
    {.title = "https without host",
     .txt = {"v=TLSRPTv1; rua=https:///path"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "not an https URL with a host name"},
    {.title = "https with a bad port",
     .txt = {"v=TLSRPTv1; rua=https://r.example.org:/x"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax"},
    {.title = "mailto with a bad domain",
     .txt = {"v=TLSRPTv1; rua=mailto:a@-bad-.example"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "not a mail address"},
    {.title = "mailto with a broken escape",
     .txt = {"v=TLSRPTv1; rua=mailto:a%2@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax"},
    {.title = "the dmarc size suffix is not allowed",
     .txt = {"v=TLSRPTv1; rua=mailto:a@example.org!10m"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax"},
    {.title = "blank around equals",
     .txt = {"v=TLSRPTv1; rua = mailto:a@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-031/syntax",
     .detail_has = "expected '=' after tag name at offset 15"},
};

ParameterizedTestParameters(tls_rpt, judges_records)
{
	return cr_make_param_array(struct dns_fixture_txt_case, judge_cases,
	                           sizeof(judge_cases) / sizeof(judge_cases[0]));
}

ParameterizedTest(const struct dns_fixture_txt_case *c, tls_rpt, judges_records, .timeout = 10)
{
	dns_fixture_expect_txt_judgement(tls_rpt_judge, c);
}

Test(tls_rpt, evidence_quotes_every_record, .timeout = 10)
{
	const char *txt[] = {"v=TLSRPTv1; rua=mailto:a@example.org", "v=spf1 -all",
	                     "v=TLSRPTv1; rua=mailto:b@example.org"};
	struct dns_findings found = {0};
	cr_assert_eq(tls_rpt_judge("example.org", txt, 3, &found), 0);
	DNS_FIXTURE_EXPECT_EVIDENCE(
	    dns_fixture_only_finding(&found, CATALOG_DNS_TLSRPT_INVALID),
	    "TXT _smtp._tls.example.org: v=TLSRPTv1; rua=mailto:a@example.org",
	    "TXT _smtp._tls.example.org: v=TLSRPTv1; rua=mailto:b@example.org");
	dns_findings_free(&found);
}

Test(tls_rpt, huge_records_are_refused, .timeout = 10)
{
	/* One mail address whose local part fills the record. */
	char *text = dns_fixture_huge_record("v=TLSRPTv1; rua=mailto:", "a", "@example.org", 70000);
	char err[256] = "";
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), SA_ERROR_TOOBIG);
	text[1000] = '\0';
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), SA_ERROR_PARSE, "%s", err);
	memcpy(text + 1000 - 12, "@example.org", 12);
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), 0, "%s", err);
	free(text);
}

static void judge_random_record(const char *record, int round)
{
	const char *txt[] = {record};
	struct dns_findings found = {0};
	cr_assert_eq(tls_rpt_judge("example.org", txt, 1, &found), 0, "round %d", round);
	dns_findings_free(&found);
}

Test(tls_rpt, random_bytes_never_crash, .timeout = 30)
{
	dns_fixture_random_records("v=TLSRPTv1; ", "v=TLSRPTv1; rua=mailto:https://@.,:/%\t", 8460,
	                           judge_random_record);
}
