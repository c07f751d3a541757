/*
 * NAME
 *	test_dns_findings - the bounded list the DNS judges report into
 *
 * DESCRIPTION
 *	Findings keep their detail and evidence, a full list counts instead
 *	of growing, a moved finding belongs to the list afterwards, and a
 *	counted finding takes evidence calls without effect.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "dns_findings.h"

Test(dns_findings, keeps_detail_variant_and_evidence, .timeout = 10)
{
	struct dns_findings list = {0};
	struct finding *f;
	cr_assert_eq(
	    dns_findings_add(&list, &f, CATALOG_DNS_SPF_INVALID, "syntax", "%s has %d", "x", 2), 0);
	cr_assert_not_null(f);
	cr_assert_eq(dns_findings_evidence(f, EVIDENCE_RECEIVED, "TXT %s: %s", "x", "v=spf1 +"), 0);
	cr_assert_eq(list.n, 1);
	cr_assert_str_eq(list.items[0].detail, "x has 2");
	cr_assert_str_eq(list.items[0].variant, "syntax");
	cr_assert_eq(list.items[0].nevidence, 1);
	cr_assert_str_eq(list.items[0].evidence[0].text, "TXT x: v=spf1 +");
	cr_assert_eq(dns_findings_find(&list, CATALOG_DNS_SPF_INVALID), &list.items[0]);
	cr_assert_null(dns_findings_find(&list, CATALOG_DNS_SPF_MISSING));
	dns_findings_free(&list);
	cr_assert_eq(list.n, 0);
	cr_assert_null(list.items);
}

Test(dns_findings, full_list_counts_instead_of_growing, .timeout = 10)
{
	struct dns_findings list = {0};
	struct finding *f = NULL;
	for (int i = 0; i < DNS_FINDINGS_MAX + 10; i++)
		cr_assert_eq(
		    dns_findings_add(&list, &f, CATALOG_DNS_STS_MX_UNCOVERED, NULL, "mx%d", i), 0);
	cr_assert_eq(list.n, DNS_FINDINGS_MAX);
	cr_assert_eq(list.dropped, 10);
	cr_assert_null(f);
	cr_assert_eq(dns_findings_evidence(f, EVIDENCE_NOTE, "ignored"), 0);
	struct finding extra;
	cr_assert_eq(finding_init(&extra, CATALOG_DNS_SPF_MISSING, NULL), 0);
	cr_assert_eq(dns_findings_take(&list, &extra), 0);
	cr_assert_eq(list.dropped, 11);
	cr_assert_str_eq(list.items[DNS_FINDINGS_MAX - 1].detail, "mx127");
	dns_findings_free(&list);
}

Test(dns_findings, take_moves_the_finding, .timeout = 10)
{
	struct dns_findings list = {0};
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_DNS_SPF_TOO_MANY_LOOKUPS, "v"), 0);
	cr_assert_eq(finding_set_detail(&f, "moved"), 0);
	cr_assert_eq(dns_findings_take(&list, &f), 0);
	cr_assert_null(f.detail);
	cr_assert_null(f.variant);
	cr_assert_eq(list.n, 1);
	cr_assert_str_eq(list.items[0].detail, "moved");
	cr_assert_str_eq(list.items[0].variant, "v");
	dns_findings_free(&list);
}
