/*
 * NAME
 *	scan_doc - read a smtp-audit JSON report in integration tests
 *
 * SUMMARY
 *	json_t *t = scan_doc_target_on_port(doc, port);
 *	cr_assert_str_eq(scan_doc_str(scan_doc_probe(t, "starttls"), "verdict"), "vulnerable");
 *	char *ids = scan_doc_ids(t);            "SMTP-TLS-001,SMTP-TLS-005"
 *	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-010", "TLSv1.0"));
 *
 * DESCRIPTION
 *	Lookups fail the running test (criterion assertions) when what they
 *	look for is missing, so a test reads as a list of expectations.
 */
#ifndef SCAN_DOC_H
#define SCAN_DOC_H

#include <jansson.h>
#include <stdbool.h>

/* The string member key of obj, or "" when absent. */
const char *scan_doc_str(json_t *obj, const char *key);

/* The only target of the report with this port (asserts there is one). */
json_t *scan_doc_target_on_port(json_t *doc, unsigned port);

/* The target with this numeric address (asserts there is one). */
json_t *scan_doc_target_at(json_t *doc, const char *address);

/* The domain of that name (domain mode; asserts it is there). */
json_t *scan_doc_domain(json_t *doc, const char *name);

/* The record of the probe of that name on target t (asserts it is there). */
json_t *scan_doc_probe(json_t *t, const char *name);

/* The distinct finding ids of t, sorted, comma-separated; free() it. */
char *scan_doc_ids(json_t *t);

/* True when t has a finding with that id and variant. */
bool scan_doc_has_variant(json_t *t, const char *id, const char *variant);

#endif
