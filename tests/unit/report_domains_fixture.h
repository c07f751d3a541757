/*
 * NAME
 *	report_domains_fixture - a fixed domain-mode scan for writer, merge and baseline tests
 *
 * DESCRIPTION
 *	report_domains_scan() builds the same domain-mode scan every time:
 *
 *	example.org	route mx, DNSSEC authenticated; MX 10 mx1.example.org
 *		(192.0.2.10, 2001:db8::10) and MX 20 mx2.example.org, which
 *		did not resolve (a reason with ESC); two TXT records, the SPF
 *		one hostile (ESC, OSC title sequence, quotes, <script>, a
 *		newline); two findings: SPF invalid (detail and evidence with
 *		the same hostile bytes) and DMARC p=none (variant "p=none").
 *	null.example	route null-mx, no DNSSEC, no MX host, no finding.
 *
 *	and one target, mx1.example.org [192.0.2.10]:25 of report_fixture.h
 *	(hostile greeting, three findings; its probes renamed to ones this
 *	program has, so it reads back from JSON), an MX host of example.org.
 *	REPORT_DOMAINS_HOSTILE is the hostile text as it came from DNS.
 *
 *	report_domains_render() writes the scan through the writer called
 *	name, with opt (report_fixture_options() when NULL).
 */
#ifndef REPORT_DOMAINS_FIXTURE_H
#define REPORT_DOMAINS_FIXTURE_H

#include <criterion/criterion.h>

#include "report_fixture.h"
#include "result.h"

#define REPORT_DOMAINS_HOSTILE "\x1b]0;pwned\x07 <script>alert(1)</script> \"quoted\"\nnext ?all"

static void report_domains_finding(struct domain_result *d, enum catalog_id id, const char *variant,
                                   const char *detail, const char *evidence)
{
	struct finding *f = NULL;
	cr_assert_eq(dns_findings_add(&d->findings, &f, id, variant, "%s", detail), 0);
	cr_assert_not_null(f);
	cr_assert_eq(dns_findings_evidence(f, EVIDENCE_RECEIVED, "%s", evidence), 0);
	cr_assert_eq(dns_findings_evidence(f, EVIDENCE_NOTE, "judged from the record above"), 0);
}

static struct domain_result *report_domains_example(void)
{
	struct domain_result *d = domain_result_new("example.org");
	cr_assert_not_null(d);
	d->route = DOMAIN_ROUTE_MX;
	d->dnssec = true;
	d->started_ms = 1699999999000;
	d->finished_ms = 1699999999750;
	cr_assert_eq(domain_result_add_mx(d, 10, "mx1.example.org"), 0);
	cr_assert_eq(domain_mx_add_address(&d->mx[0], "192.0.2.10"), 0);
	cr_assert_eq(domain_mx_add_address(&d->mx[0], "2001:db8::10"), 0);
	cr_assert_eq(domain_result_add_mx(d, 20, "mx2.example.org"), 0);
	d->mx[1].error = report_fixture_dup("timeout \x1b[2J");
	cr_assert_eq(
	    domain_result_add_record(d, "example.org", "TXT", "v=spf1 " REPORT_DOMAINS_HOSTILE), 0);
	cr_assert_eq(domain_result_add_record(d, "_dmarc.example.org", "TXT", "v=DMARC1; p=none"),
	             0);
	report_domains_finding(d, CATALOG_DNS_DMARC_POLICY_NONE, "p=none",
	                       "the DMARC policy is p=none",
	                       "TXT _dmarc.example.org: v=DMARC1; p=none");
	report_domains_finding(d, CATALOG_DNS_SPF_INVALID, NULL,
	                       "unknown mechanism " REPORT_DOMAINS_HOSTILE,
	                       "TXT example.org: v=spf1 " REPORT_DOMAINS_HOSTILE);
	return d;
}

static struct domain_result *report_domains_null_mx(void)
{
	struct domain_result *d = domain_result_new("null.example");
	cr_assert_not_null(d);
	d->route = DOMAIN_ROUTE_NULL_MX;
	d->started_ms = 1699999999100;
	d->finished_ms = 1699999999300;
	return d;
}

/* Probe names this program has, so the target reads back from JSON (result_json.h). */
static void report_domains_registered_probes(struct target_result *t)
{
	for (size_t i = 0; i < t->nprobes; i++) {
		if (strcmp(t->probes[i].probe, "vrfy") == 0)
			t->probes[i].probe = "user_enum";
		else if (strcmp(t->probes[i].probe, "auth_cleartext") == 0)
			t->probes[i].probe = "auth_before_tls";
	}
}

static void report_domains_scan(struct scan_result *s)
{
	scan_result_init(s);
	memcpy(s->scan_id, "5e2b3c4d-1a2b-4c3d-8e9f-0a1b2c3d4e5f", 37);
	s->started_ms = 1699999998000;
	s->finished_ms = 1700000004321;
	cr_assert_eq(scan_result_add_domain(s, report_domains_example()), 0);
	cr_assert_eq(scan_result_add_domain(s, report_domains_null_mx()), 0);
	struct target_result *t = report_fixture_mx1(REPORT_FIXTURE_FORWARD);
	report_domains_registered_probes(t);
	cr_assert_eq(target_result_add_domain(t, "example.org"), 0);
	cr_assert_eq(scan_result_add(s, t), 0);
	scan_result_sort(s);
}

static inline struct report_fixture_output report_domains_render(const char *name,
                                                                 const struct report_options *opt,
                                                                 const struct scan_result *scan)
{
	return report_fixture_render(report_fixture_writer(name),
	                             opt != NULL ? *opt : report_fixture_options(), scan);
}

#endif
