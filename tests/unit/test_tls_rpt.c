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

#include "sa_error.h"
#include "tls_rpt.h"

#define MAX_TXT 3

struct judge_case {
	char title[48];
	char txt[MAX_TXT][200];
	size_t ntxt;
	char expect[96];
	char detail_has[96];
};

static const struct judge_case judge_cases[] = {
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
	return cr_make_param_array(struct judge_case, judge_cases,
	                           sizeof(judge_cases) / sizeof(judge_cases[0]));
}

ParameterizedTest(const struct judge_case *c, tls_rpt, judges_records, .timeout = 10)
{
	const char *txt[MAX_TXT];
	struct dns_findings found = {0};
	char got[256] = "";
	for (size_t i = 0; i < c->ntxt; i++)
		txt[i] = c->txt[i];
	cr_assert_eq(tls_rpt_judge("example.org", txt, c->ntxt, &found), 0);
	for (size_t i = 0; i < found.n; i++) {
		size_t used = strlen(got);
		snprintf(got + used, sizeof(got) - used, "%s%s/%s", i ? " " : "",
		         catalog_get(found.items[i].id)->public_id,
		         found.items[i].variant ? found.items[i].variant : "-");
	}
	cr_assert_str_eq(got, c->expect, "%s", c->title);
	if (c->detail_has[0] != '\0')
		cr_assert(strstr(found.items[0].detail, c->detail_has) != NULL, "%s: \"%s\"",
		          c->title, found.items[0].detail);
	dns_findings_free(&found);
}

Test(tls_rpt, evidence_quotes_every_record, .timeout = 10)
{
	const char *txt[] = {"v=TLSRPTv1; rua=mailto:a@example.org", "v=spf1 -all",
	                     "v=TLSRPTv1; rua=mailto:b@example.org"};
	struct dns_findings found = {0};
	cr_assert_eq(tls_rpt_judge("example.org", txt, 3, &found), 0);
	cr_assert_eq(found.n, 1);
	cr_assert_eq(found.items[0].nevidence, 2);
	cr_assert_str_eq(found.items[0].evidence[0].text,
	                 "TXT _smtp._tls.example.org: v=TLSRPTv1; rua=mailto:a@example.org");
	cr_assert_str_eq(found.items[0].evidence[1].text,
	                 "TXT _smtp._tls.example.org: v=TLSRPTv1; rua=mailto:b@example.org");
	dns_findings_free(&found);
}

Test(tls_rpt, huge_records_are_refused, .timeout = 10)
{
	size_t len = 70000;
	char *text = malloc(len + 1);
	char err[256] = "";
	cr_assert_not_null(text);
	memcpy(text, "v=TLSRPTv1; rua=mailto:", 23);
	memset(text + 23, 'a', len - 23 - 12);
	memcpy(text + len - 12, "@example.org", 12);
	text[len] = '\0';
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), SA_ERROR_TOOBIG);
	text[1000] = '\0';
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), SA_ERROR_PARSE, "%s", err);
	memcpy(text + 1000 - 12, "@example.org", 12);
	cr_assert_eq(tls_rpt_parse(text, err, sizeof(err)), 0, "%s", err);
	free(text);
}

static uint32_t next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

Test(tls_rpt, random_bytes_never_crash, .timeout = 30)
{
	static const char alphabet[] = "v=TLSRPTv1; rua=mailto:https://@.,:/%\t";
	uint32_t state = 8460;
	char text[200];
	for (int round = 0; round < 20000; round++) {
		size_t len = 12 + next_random(&state) % (sizeof(text) - 13);
		memcpy(text, "v=TLSRPTv1; ", 12);
		for (size_t i = 12; i < len; i++) {
			uint32_t pick = next_random(&state);
			text[i] = (pick & 1) ? alphabet[pick % (sizeof(alphabet) - 1)]
			                     : (char)(1 + pick % 255);
		}
		text[len] = '\0';
		const char *txt[] = {text};
		struct dns_findings found = {0};
		cr_assert_eq(tls_rpt_judge("example.org", txt, 1, &found), 0);
		dns_findings_free(&found);
	}
}
