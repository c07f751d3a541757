/*
 * NAME
 *	test_mta_sts - MTA-STS TXT records, policy files and MX pattern matching
 *
 * DESCRIPTION
 *	_mta-sts TXT records and policy files shaped like those mail
 *	providers serve (CRLF and LF line ends, unknown keys, wildcards) go
 *	through the two judges, which must emit exactly the expected
 *	findings in order. Pattern matching follows RFC 8461 section 4.1: a
 *	wildcard covers exactly one label. Hostile input: policies over
 *	64 KiB, NUL and control bytes, thousands of mx lines, random bytes.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_fixture.h"
#include "mta_sts.h"
#include "sa_error.h"

#define MAX_MX 4

/* ---- matching ---- */

struct match_case {
	char pattern[64];
	char host[64];
	bool matches;
};

static const struct match_case match_cases[] = {
    {"mx1.example.org", "mx1.example.org", true},
    {"mx1.example.org", "MX1.Example.ORG", true},
    {"mx1.example.org", "mx1.example.org.", true},
    {"mx1.example.org", "mx2.example.org", false},
    {"mx1.example.org", "mx1.example.org.evil.test", false},
    {"mx1.example.org", "a.mx1.example.org", false},
    {"*.example.net", "mx.example.net", true},
    {"*.example.net", "MX.EXAMPLE.NET.", true},
    {"*.example.net", "example.net", false},
    {"*.example.net", "a.b.example.net", false},
    {"*.example.net", ".example.net", false},
    {"*.example.net", "mxexample.net", false},
    {"*.mail.protection.outlook.com", "example-org.mail.protection.outlook.com", true},
    {"*.mail.protection.outlook.com", "mail.protection.outlook.com", false},
};

ParameterizedTestParameters(mta_sts, matches_mx_patterns)
{
	return cr_make_param_array(struct match_case, match_cases,
	                           sizeof(match_cases) / sizeof(match_cases[0]));
}

ParameterizedTest(const struct match_case *c, mta_sts, matches_mx_patterns, .timeout = 10)
{
	cr_assert_eq(mta_sts_mx_matches(c->pattern, c->host), c->matches, "%s vs %s", c->pattern,
	             c->host);
}

/* ---- the TXT record ---- */

struct txt_case {
	char title[48];
	char txt[DNS_FIXTURE_MAX_TXT][160];
	size_t ntxt;
	char previous_id[40];
	char expect[96];
	char id[40];
	char detail_has[96];
};

static const struct txt_case txt_cases[] = {
    {.title = "plain", .txt = {"v=STSv1; id=20240101T000000"}, .ntxt = 1, .id = "20240101T000000"},
    {.title = "extension and trailing semicolon",
     .txt = {"v=STSv1;id=abc123;  ext.x-y_z=whatever ;"},
     .ntxt = 1,
     .id = "abc123"},
    {.title = "among other txt",
     .txt = {"v=spf1 -all", "v=STSv1; id=1"},
     .ntxt = 2,
     .previous_id = "1",
     .id = "1"},
    {.title = "none", .txt = {"v=spf1 -all"}, .ntxt = 1, .expect = "SMTP-DNS-020/-"},
    {.title = "wrong case version",
     .txt = {"v=stsv1; id=1"},
     .ntxt = 1,
     .expect = "SMTP-DNS-020/-"},
    {.title = "two records",
     .txt = {"v=STSv1; id=1", "v=STSv1; id=2"},
     .ntxt = 2,
     .expect = "SMTP-DNS-021/multiple"},
    {.title = "no id",
     .txt = {"v=STSv1;"},
     .ntxt = 1,
     .expect = "SMTP-DNS-021/syntax",
     .detail_has = "no id field"},
    {.title = "id too long",
     .txt = {"v=STSv1; id=123456789012345678901234567890123"},
     .ntxt = 1,
     .expect = "SMTP-DNS-021/syntax",
     .detail_has = "at offset 9 is not 1 to 32"},
    {.title = "id with dash",
     .txt = {"v=STSv1; id=2024-01-01"},
     .ntxt = 1,
     .expect = "SMTP-DNS-021/syntax"},
    {.title = "blank around equals",
     .txt = {"v=STSv1; id = 1"},
     .ntxt = 1,
     .expect = "SMTP-DNS-021/syntax",
     .detail_has = "expected '='"},
    {.title = "id changed",
     .txt = {"v=STSv1; id=20240301"},
     .ntxt = 1,
     .previous_id = "20240101",
     .expect = "SMTP-DNS-027/-",
     .id = "20240301",
     .detail_has = "is 20240301, previously 20240101"},
    {.title = "first of repeated id counts",
     .txt = {"v=STSv1; id=a; id=b"},
     .ntxt = 1,
     .previous_id = "a",
     .id = "a"},
};

ParameterizedTestParameters(mta_sts, judges_txt_records)
{
	return cr_make_param_array(struct txt_case, txt_cases,
	                           sizeof(txt_cases) / sizeof(txt_cases[0]));
}

ParameterizedTest(const struct txt_case *c, mta_sts, judges_txt_records, .timeout = 10)
{
	const char *txt[DNS_FIXTURE_MAX_TXT];
	char id[MTA_STS_ID_MAX + 1] = "junk";
	struct dns_findings found = {0};
	for (size_t i = 0; i < c->ntxt; i++)
		txt[i] = c->txt[i];
	cr_assert_eq(mta_sts_judge_txt("example.org", txt, c->ntxt, c->previous_id, id, &found), 0);
	dns_fixture_expect_findings(&found, c->title, c->expect, c->detail_has);
	cr_assert_str_eq(id, c->id, "%s", c->title);
	dns_findings_free(&found);
}

/* ---- the policy ---- */

struct policy_case {
	char title[48];
	char body[400];
	char mx[MAX_MX][48];
	size_t nmx;
	char expect[160];
	char detail_has[96];
};

static const struct policy_case policy_cases[] = {
    {.title = "enforce, crlf, all covered",
     .body = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.mail.example.net\r\n"
             "max_age: 1209600\r\n",
     .mx = {"mx1.example.org.", "eu.mail.example.net"},
     .nmx = 2},
    {.title = "lf, no final newline, unknown keys",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nfoo_bar: baz qux\n"
             "max_age:604800",
     .mx = {"mx1.example.org"},
     .nmx = 1},
    {.title = "testing",
     .body = "version: STSv1\nmode: testing\nmx: mx1.example.org\nmax_age: 604800\n",
     .mx = {"mx1.example.org"},
     .nmx = 1,
     .expect = "SMTP-DNS-024/testing"},
    {.title = "none needs no mx and covers nothing",
     .body = "version: STSv1\nmode: none\nmax_age: 86400\n",
     .mx = {"mx1.example.org"},
     .nmx = 1,
     .expect = "SMTP-DNS-024/none"},
    {.title = "short max_age",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 3600\n",
     .mx = {"mx1.example.org"},
     .nmx = 1,
     .expect = "SMTP-DNS-025/-",
     .detail_has = "max_age 3600 seconds"},
    {.title = "one day is enough",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 86400\n",
     .mx = {"mx1.example.org"},
     .nmx = 1},
    {.title = "uncovered mx hosts",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmx: *.example.net\n"
             "max_age: 604800\n",
     .mx = {"mx1.example.org", "mx2.example.org", "a.b.example.net", "b.example.net"},
     .nmx = 4,
     .expect = "SMTP-DNS-026/mx2.example.org SMTP-DNS-026/a.b.example.net",
     .detail_has = "MX host mx2.example.org of example.org matches no mx pattern"},
    {.title = "testing and short and uncovered",
     .body = "version: STSv1\nmode: testing\nmx: mx1.example.org\nmax_age: 300\n",
     .mx = {"backup.example.org"},
     .nmx = 1,
     .expect = "SMTP-DNS-024/testing SMTP-DNS-025/- SMTP-DNS-026/backup.example.org"},
    {.title = "first of repeated mode counts",
     .body = "version: STSv1\nmode: enforce\nmode: none\nmx: mx1.example.org\nmax_age: 604800\n",
     .mx = {"mx1.example.org"},
     .nmx = 1},
    {.title = "blank lines tolerated",
     .body = "version: STSv1\n\nmode: enforce\r\n\r\nmx: mx1.example.org\nmax_age: 604800\n\n",
     .mx = {"mx1.example.org"},
     .nmx = 1},
    {.title = "wrong version",
     .body = "version: STSv2\nmode: enforce\nmx: mx1.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 1: version \"STSv2\" is not valid"},
    {.title = "mode in upper case",
     .body = "version: STSv1\nmode: ENFORCE\nmx: mx1.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 2: mode"},
    {.title = "max_age too big",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 31557601\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 4: max_age"},
    {.title = "max_age negative",
     .body = "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: -1\n",
     .expect = "SMTP-DNS-023/-"},
    {.title = "no mx in enforce",
     .body = "version: STSv1\nmode: enforce\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "no mx field"},
    {.title = "no version",
     .body = "mode: enforce\nmx: mx1.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "no version field"},
    {.title = "bad wildcard",
     .body = "version: STSv1\nmode: enforce\nmx: mx*.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 3: mx \"mx*.example.org\""},
    {.title = "wildcard on a single label",
     .body = "version: STSv1\nmode: enforce\nmx: *.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-"},
    {.title = "html error page",
     .body = "<html><body>404 Not Found</body></html>\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 1: expected \"key: value\""},
    {.title = "json instead", .body = "{\"version\": \"STSv1\"}", .expect = "SMTP-DNS-023/-"},
    {.title = "empty body", .body = "", .expect = "SMTP-DNS-023/-", .detail_has = "no version"},
    {.title = "key without value",
     .body = "version: STSv1\nmode:\nmx: mx1.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 2: mode has no value"},
    {.title = "bare cr inside a line",
     .body = "version: STSv1\nmode: enforce\rmx: mx1.example.org\nmax_age: 604800\n",
     .expect = "SMTP-DNS-023/-",
     .detail_has = "line 2: control byte 0x0d"},
};

ParameterizedTestParameters(mta_sts, judges_policies)
{
	return cr_make_param_array(struct policy_case, policy_cases,
	                           sizeof(policy_cases) / sizeof(policy_cases[0]));
}

ParameterizedTest(const struct policy_case *c, mta_sts, judges_policies, .timeout = 10)
{
	const char *mx[MAX_MX];
	struct dns_findings found = {0};
	for (size_t i = 0; i < c->nmx; i++)
		mx[i] = c->mx[i];
	cr_assert_eq(
	    mta_sts_judge_policy("example.org", c->body, strlen(c->body), mx, c->nmx, &found), 0);
	dns_fixture_expect_findings(&found, c->title, c->expect, c->detail_has);
	dns_findings_free(&found);
}

Test(mta_sts, parses_policy_fields, .timeout = 10)
{
	static const char body[] = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.org\r\n"
	                           "mx:\t*.example.net  \r\nmax_age: 1209600\r\n";
	struct mta_sts_policy p;
	char err[256] = "";
	cr_assert_eq(mta_sts_parse_policy(body, sizeof(body) - 1, &p, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert_eq(p.mode, MTA_STS_MODE_TESTING);
	cr_assert_eq(p.max_age, 1209600);
	cr_assert_eq(p.nmx, 2);
	cr_assert_str_eq(p.mx[0], "mx1.example.org");
	cr_assert_str_eq(p.mx[1], "*.example.net");
	cr_assert(mta_sts_policy_covers(&p, "x.example.net"));
	cr_assert_not(mta_sts_policy_covers(&p, "mx2.example.org"));
	mta_sts_policy_free(&p);
}

Test(mta_sts, uncovered_evidence_lists_the_patterns, .timeout = 10)
{
	static const char body[] = "version: STSv1\nmode: enforce\nmx: mx1.example.org\n"
	                           "mx: *.example.net\nmax_age: 604800\n";
	const char *mx[] = {"mx9.example.org"};
	struct dns_findings found = {0};
	cr_assert_eq(mta_sts_judge_policy("example.org", body, sizeof(body) - 1, mx, 1, &found), 0);
	DNS_FIXTURE_EXPECT_EVIDENCE(dns_fixture_only_finding(&found, CATALOG_DNS_STS_MX_UNCOVERED),
	                            "policy mx: mx1.example.org", "policy mx: *.example.net");
	dns_findings_free(&found);
}

/* ---- hostile input ---- */

Test(mta_sts, oversized_policy_is_refused, .timeout = 10)
{
	size_t len = MTA_STS_MAX_POLICY + 1;
	char *body = dns_fixture_huge_record("", "#", "", len);
	struct mta_sts_policy p;
	char err[256] = "";
	cr_assert_eq(mta_sts_parse_policy(body, len, &p, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "65537 bytes") != NULL, "%s", err);
	free(body);
}

Test(mta_sts, too_many_mx_lines_are_refused, .timeout = 10)
{
	size_t cap = MTA_STS_MAX_POLICY, used;
	char *body = malloc(cap);
	struct mta_sts_policy p;
	char err[256] = "";
	cr_assert_not_null(body);
	used = (size_t)snprintf(body, cap, "version: STSv1\nmode: enforce\nmax_age: 604800\n");
	for (int i = 0; used + 32 < cap; i++)
		used += (size_t)snprintf(body + used, cap - used, "mx: mx%d.example.org\n", i);
	cr_assert_eq(mta_sts_parse_policy(body, used, &p, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_assert(strstr(err, "more than 128 mx") != NULL, "%s", err);
	free(body);
}

Test(mta_sts, nul_bytes_are_refused, .timeout = 10)
{
	static const char body[] =
	    "version: STSv1\nmode: enforce\0\nmx: mx1.example.org\nmax_age: 604800\n";
	struct mta_sts_policy p;
	char err[256] = "";
	cr_assert_eq(mta_sts_parse_policy(body, sizeof(body) - 1, &p, err, sizeof(err)),
	             SA_ERROR_PARSE);
	cr_assert(strstr(err, "line 2: control byte 0x00") != NULL, "%s", err);
}

/* Each round judges a random policy body, then a random TXT record. */
Test(mta_sts, random_bytes_never_crash, .timeout = 30)
{
	static const struct dns_fixture_noise policy = {
	    .alphabet = "version: STSv1\r\nmode: enforcetestingnone mx*.example max_age09",
	    .binary = true,
	};
	static const struct dns_fixture_noise txt = {.prefix = "v=STSv1; "};
	uint32_t state = 8461;
	char body[300], record[DNS_FIXTURE_RECORD_MAX];
	const char *mx[] = {"mx.example.org"};
	const char *records[] = {record};
	for (int round = 0; round < DNS_FIXTURE_ROUNDS; round++) {
		size_t len = dns_fixture_noise(&policy, &state, body, sizeof(body));
		struct dns_findings found = {0};
		cr_assert_eq(mta_sts_judge_policy("example.org", body, len, mx, 1, &found), 0,
		             "round %d", round);
		dns_findings_free(&found);
		dns_fixture_noise(&txt, &state, record, sizeof(record));
		char id[MTA_STS_ID_MAX + 1];
		cr_assert_eq(mta_sts_judge_txt("example.org", records, 1, "x", id, &found), 0,
		             "round %d", round);
		cr_assert_eq(found.n, 1, "round %d: \"%s\"", round, record);
		dns_findings_free(&found);
	}
}
