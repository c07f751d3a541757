/*
 * NAME
 *	report_diff - write a baseline comparison as text or JSON
 *
 * DESCRIPTION
 *	Renders a struct baseline_diff (baseline.h): the "baseline" section of
 *	the text and JSON reports written with --baseline, and the whole
 *	output of "smtp-audit diff" (-o text, -o json with the schema
 *	tests/schema/smtp-audit-diff.schema.json). Pure: no I/O but the
 *	stream it is given, and deterministic (the comparison's order).
 *
 *	Every string read from a report file is untrusted: what is not
 *	printable ASCII goes through escape_visible(), so text written by
 *	smtp-audit itself passes unchanged and a hostile file cannot put
 *	control bytes on a terminal or break the JSON schema.
 *
 * DIAGNOSTICS
 *	Functions return SA_ERROR_NOMEM when memory runs out and SA_ERROR_IO
 *	when the stream fails.
 */
#ifndef REPORT_DIFF_H
#define REPORT_DIFF_H

#include <jansson.h>
#include <stdio.h>

#include "baseline.h"

/* Incremented on any incompatible change of the diff JSON output. */
#define REPORT_DIFF_SCHEMA_VERSION "1.0"

/* What the comparison is about, for headings and the JSON document. */
struct report_diff_source {
	const char *baseline;          /* the old report's file name */
	const char *current;           /* the new report's file name; NULL for a scan */
	enum finding_severity fail_on; /* SEVERITY_COUNT: never */
};

/* "new" or "unchanged" for a current finding's fingerprint. */
const char *report_diff_status(const struct baseline_diff *d, const char *fingerprint);

/* The short text section closing a report written with --baseline. */
int report_diff_section(FILE *out, const struct baseline_diff *d,
                        const struct report_diff_source *src);

/* The "baseline" member of the JSON report; NULL when out of memory. */
json_t *report_diff_baseline_object(const struct baseline_diff *d,
                                    const struct report_diff_source *src);

/* smtp-audit diff -o text. */
int report_diff_text(FILE *out, const struct baseline_diff *d,
                     const struct report_diff_source *src);

/* smtp-audit diff -o json. */
int report_diff_json(FILE *out, const struct baseline_diff *d,
                     const struct report_diff_source *src);

#endif
