/*
 * NAME
 *	test_dmarc - DMARC record syntax and the judgement of a domain's policy
 *
 * DESCRIPTION
 *	The TXT records of _dmarc names, shaped like those large senders and
 *	small domains publish, go through dmarc_judge() and must produce
 *	exactly the expected findings, in order. dmarc_parse() must read the
 *	tags it types and refuse the malformed ones with a message naming
 *	them. Hostile input: records over every bound, random bytes.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "dns_fixture.h"
#include "sa_error.h"

static const struct dns_fixture_txt_case judge_cases[] = {
    {.title = "reject with reports",
     .txt = {"v=DMARC1; p=reject; rua=mailto:dmarc@example.org; adkim=s; aspf=r"},
     .ntxt = 1},
    {.title = "quarantine, spaced, several uris",
     .txt = {"v = DMARC1 ; p = quarantine ; rua = mailto:a@example.org , "
             "mailto:reports@dmarc.example.net!10m ; ruf=mailto:f@example.org; fo=0:1:d:s; "
             "rf=afrf; ri=86400; pct=100;"},
     .ntxt = 1},
    {.title = "unknown tags ignored",
     .txt = {"v=DMARC1; p=reject; rua=mailto:d@example.org; np=reject; psd=n; t=y"},
     .ntxt = 1},
    {.title = "other txt only",
     .txt = {"v=spf1 -all", "v=DMARC2; p=reject"},
     .ntxt = 2,
     .expect = "SMTP-DNS-010/-"},
    {.title = "nothing", .expect = "SMTP-DNS-010/-"},
    {.title = "lower case version is not dmarc",
     .txt = {"v=dmarc1; p=reject"},
     .ntxt = 1,
     .expect = "SMTP-DNS-010/-"},
    {.title = "two records",
     .txt = {"v=DMARC1; p=none", "v=DMARC1; p=reject; rua=mailto:d@example.org"},
     .ntxt = 2,
     .expect = "SMTP-DNS-011/multiple",
     .detail_has = "2 DMARC records"},
    {.title = "p=none with reports",
     .txt = {"v=DMARC1; p=none; rua=mailto:dmarc@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-012/-"},
    {.title = "p=none bare",
     .txt = {"v=DMARC1; p=none"},
     .ntxt = 1,
     .expect = "SMTP-DNS-012/- SMTP-DNS-014/-"},
    {.title = "pct under quarantine",
     .txt = {"v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-013/-",
     .detail_has = "pct=25: p=quarantine applies to only 25%"},
    {.title = "pct under none does not matter",
     .txt = {"v=DMARC1; p=none; pct=0; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-012/-"},
    {.title = "sp=none under reject",
     .txt = {"v=DMARC1; p=reject; sp=none; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-015/-"},
    {.title = "sp=quarantine under reject is fine",
     .txt = {"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.org"},
     .ntxt = 1},
    {.title = "http rua",
     .txt = {"v=DMARC1; p=reject; rua=https://reports.example.org/dmarc"},
     .ntxt = 1,
     .expect = "SMTP-DNS-016/rua",
     .detail_has = "https: is not allowed here"},
    {.title = "ftp rua",
     .txt = {"v=DMARC1; p=reject; rua=ftp://reports.example.org/"},
     .ntxt = 1,
     .expect = "SMTP-DNS-016/rua",
     .detail_has = "scheme is not mailto:"},
    {.title = "rua without at",
     .txt = {"v=DMARC1; p=reject; rua=mailto:dmarc.example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-016/rua"},
    {.title = "rua bad size and bad ruf",
     .txt = {"v=DMARC1; p=reject; rua=mailto:d@example.org!10x; ruf=d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-016/rua SMTP-DNS-016/ruf",
     .detail_has = "malformed size limit"},
    {.title = "empty uri in list",
     .txt = {"v=DMARC1; p=reject; rua=mailto:d@example.org,,mailto:e@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-016/rua"},
    {.title = "no p, usable rua",
     .txt = {"v=DMARC1; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/no-policy SMTP-DNS-012/-",
     .detail_has = "act as if it said p=none"},
    {.title = "no p, no rua",
     .txt = {"v=DMARC1; adkim=s"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/no-policy",
     .detail_has = "apply no DMARC policy"},
    {.title = "unknown policy",
     .txt = {"v=DMARC1; p=block; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "p=block at offset 10: expected none, quarantine or reject"},
    {.title = "pct over 100",
     .txt = {"v=DMARC1; p=reject; pct=101"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "pct=101"},
    {.title = "repeated p",
     .txt = {"v=DMARC1; p=none; p=reject"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "tag p appears more than once"},
    {.title = "bad fo",
     .txt = {"v=DMARC1; p=reject; fo=0:2"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "fo=0:2"},
    {.title = "bad alignment",
     .txt = {"v=DMARC1; p=reject; adkim=strict"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax"},
    {.title = "missing equals",
     .txt = {"v=DMARC1; p reject"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "expected '=' after tag name at offset 12"},
    {.title = "empty value",
     .txt = {"v=DMARC1; p=reject; rua=; "},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "tag \"rua\" has no value"},
    {.title = "control byte",
     .txt = {"v=DMARC1; p=reject\x01; rua=mailto:d@example.org"},
     .ntxt = 1,
     .expect = "SMTP-DNS-011/syntax",
     .detail_has = "byte 0x01"},
};

ParameterizedTestParameters(dmarc, judges_records)
{
	return cr_make_param_array(struct dns_fixture_txt_case, judge_cases,
	                           sizeof(judge_cases) / sizeof(judge_cases[0]));
}

ParameterizedTest(const struct dns_fixture_txt_case *c, dmarc, judges_records, .timeout = 10)
{
	dns_fixture_expect_txt_judgement(dmarc_judge, c);
}

Test(dmarc, parses_typed_fields, .timeout = 10)
{
	struct dmarc_record r;
	char err[256] = "";
	cr_assert_eq(
	    dmarc_parse("v=DMARC1;p=Quarantine; sp=reject; pct=50; "
	                "rua=mailto:a@example.org,mailto:b@example.net; ruf=mailto:c@x.example",
	                &r, err, sizeof(err)),
	    0, "%s", err);
	cr_assert(r.has_p);
	cr_assert_eq(r.p, DMARC_POLICY_QUARANTINE);
	cr_assert(r.has_sp);
	cr_assert_eq(r.sp, DMARC_POLICY_REJECT);
	cr_assert_eq(r.pct, 50);
	cr_assert_str_eq(r.rua, "mailto:a@example.org,mailto:b@example.net");
	cr_assert_str_eq(r.ruf, "mailto:c@x.example");
	dmarc_record_free(&r);

	cr_assert_eq(dmarc_parse("v=DMARC1; p=reject", &r, err, sizeof(err)), 0, "%s", err);
	cr_assert_not(r.has_sp);
	cr_assert_eq(r.sp, DMARC_POLICY_REJECT);
	cr_assert_eq(r.pct, 100);
	cr_assert_null(r.rua);
	cr_assert_null(r.ruf);
	dmarc_record_free(&r);
}

Test(dmarc, evidence_quotes_the_record, .timeout = 10)
{
	const char *txt[] = {"v=DMARC1; p=none"};
	struct dns_findings found = {0};
	cr_assert_eq(dmarc_judge("example.org", txt, 1, &found), 0);
	cr_assert_eq(found.n, 2);
	const struct finding *f = dns_fixture_finding(&found, CATALOG_DNS_DMARC_POLICY_NONE);
	DNS_FIXTURE_EXPECT_EVIDENCE(f, "TXT _dmarc.example.org: v=DMARC1; p=none");
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_RECEIVED);
	dns_findings_free(&found);
}

Test(dmarc, huge_records_are_refused, .timeout = 10)
{
	/* Tags of 6 bytes after the 20 of the version and policy. */
	char *text = dns_fixture_huge_record("v=DMARC1; p=reject; ", "xx=1; ", "", 70000);
	struct dmarc_record r;
	char err[256] = "";
	cr_assert_eq(dmarc_parse(text, &r, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "too long") != NULL, "%s", err);
	text[20 + 6 * 40] = '\0';
	cr_assert_eq(dmarc_parse(text, &r, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "more than 32 tags") != NULL, "%s", err);

	const char *txt[] = {text};
	struct dns_findings found = {0};
	cr_assert_eq(dmarc_judge("example.org", txt, 1, &found), 0);
	dns_fixture_only_finding(&found, CATALOG_DNS_DMARC_INVALID);
	dns_findings_free(&found);
	free(text);
}

static void judge_random_record(const char *record, int round)
{
	const char *txt[] = {record};
	struct dns_findings found = {0};
	cr_assert_eq(dmarc_judge("example.org", txt, 1, &found), 0, "round %d", round);
	cr_assert_gt(found.n, 0, "round %d: \"%s\" judged clean", round, record);
	dns_findings_free(&found);
}

Test(dmarc, random_bytes_never_crash, .timeout = 30)
{
	dns_fixture_random_records(
	    "v=DMARC1; ", "v=DMARC1; p=nonequarantinereject rua=mailto:@.,!pctfo:\t\x01\xff", 7489,
	    judge_random_record);
}
