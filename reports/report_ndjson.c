/*
 * NAME
 *	report_ndjson - one JSON object per line, streamed as targets finish (-o ndjson)
 *
 * DESCRIPTION
 *	Each line is a complete JSON object with a "type" member, described
 *	by tests/schema/smtp-audit-ndjson.schema.json:
 *
 *	finding	one per finding: scan id, time (the target's finished time),
 *		host, address, port, finding id, title, severity, variant,
 *		fingerprint (the same as in -o json), detail, the remediation
 *		chosen for the detected software, and the evidence.
 *	domain	domain mode: one per --domain, written by begin() (domains
 *		are complete before any target starts) after the domain's
 *		finding lines, which carry "domain" where a target's carry
 *		host, address and port: route, error, DNSSEC, MX hosts with
 *		addresses, the DNS records read, MTA-STS id, how many
 *		findings and the worst severity.
 *	target	one per target, after its findings: outcome, reason,
 *		software and how many findings it had. Every target gets
 *		one, with or without findings, so a SIEM can tell "scanned,
 *		clean" from "not scanned" and knows every finding of that
 *		target came before it.
 *	summary	the last line, written by end(): counts per severity,
 *		targets scanned/completed/failed, whether the scan was
 *		interrupted and, in domain mode, how many domains. A file
 *		without it is from a scan that was killed; every line before
 *		that is still complete.
 *
 *	target() writes a target's lines and flushes the stream, so a scan
 *	killed half way leaves every completed target on disk. Lines of
 *	different targets appear in completion order; within a target,
 *	findings follow finding_compare() order. Server text is escaped
 *	as in -o json and the output is pure ASCII, so a newline in
 *	evidence can never break a line.
 *
 * DIAGNOSTICS
 *	target() and end() return SA_ERROR_NOMEM when building a line runs
 *	out of memory and SA_ERROR_IO when the stream fails.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_doc.h"
#include "sa_error.h"

extern const struct report_writer report_ndjson;

/* Incremented on any incompatible change of a line's members. */
#define NDJSON_SCHEMA_VERSION "1.0"

/* A new line object carrying the members every line starts with. */
static json_t *ndjson_line(const char *type, const char *scan_id, int64_t time_ms)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "type", report_doc_own_text(type));
	failed |= report_doc_put(o, "schema_version", report_doc_own_text(NDJSON_SCHEMA_VERSION));
	failed |= report_doc_put(o, "scan_id", report_doc_own_text(scan_id));
	failed |= report_doc_put(o, "time", report_doc_time_ms(time_ms));
	return report_doc_finish(o, failed);
}

static int ndjson_put_endpoint(json_t *o, const struct target_result *t)
{
	int failed = 0;
	failed |= report_doc_put(o, "host", report_doc_text(t->host));
	failed |= report_doc_put(o, "address", report_doc_text(t->address));
	failed |= report_doc_put(o, "port", json_integer(t->port));
	return failed;
}

/* The members of a finding line after whose it is; fingerprint is taken. */
static int ndjson_put_finding(json_t *o, const struct finding *f, json_t *fingerprint, enum mta mta)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	int failed = 0;
	failed |= report_doc_put(o, "id", report_doc_own_text(entry->public_id));
	failed |= report_doc_put(o, "title", report_doc_own_text(entry->title));
	failed |=
	    report_doc_put(o, "severity", report_doc_own_text(severity_name(entry->severity)));
	failed |= report_doc_put(o, "variant", report_doc_text(f->variant));
	failed |= report_doc_put(o, "fingerprint", fingerprint);
	failed |= report_doc_put(o, "detail", report_doc_text(f->detail));
	failed |= report_doc_put(o, "remediation", report_doc_own_text(catalog_advice(f->id, mta)));
	failed |= report_doc_put(o, "evidence", report_doc_evidence(f));
	failed |= report_doc_put(o, "evidence_dropped", report_doc_count(f->evidence_dropped));
	return failed;
}

static json_t *ndjson_finding(const char *scan_id, const struct target_result *t,
                              const struct finding *f)
{
	json_t *o = ndjson_line("finding", scan_id, t->finished_ms);
	int failed = o == NULL;
	failed |= ndjson_put_endpoint(o, t);
	failed |= ndjson_put_finding(o, f, report_doc_fingerprint(t, f), t->mta.mta);
	return report_doc_finish(o, failed);
}

static json_t *ndjson_domain_finding(const char *scan_id, const struct domain_result *d,
                                     const struct finding *f)
{
	json_t *o = ndjson_line("finding", scan_id, d->finished_ms);
	int failed = o == NULL;
	failed |= report_doc_put(o, "domain", report_doc_text(d->domain));
	failed |= ndjson_put_finding(o, f, report_doc_domain_fingerprint(d, f), MTA_UNKNOWN);
	return report_doc_finish(o, failed);
}

static json_t *ndjson_severity_or_null(int sev)
{
	return sev < 0 ? json_null()
	               : report_doc_own_text(severity_name((enum finding_severity)sev));
}

static json_t *ndjson_target(const char *scan_id, const struct target_result *t)
{
	json_t *o = ndjson_line("target", scan_id, t->finished_ms);
	int failed = o == NULL;
	failed |= ndjson_put_endpoint(o, t);
	failed |= report_doc_put(o, "implicit_tls", json_boolean(t->implicit_tls));
	failed |= report_doc_put(o, "outcome", report_doc_own_text(outcome_name(t->outcome)));
	failed |= report_doc_put(o, "reason", report_doc_text(t->reason));
	failed |= report_doc_put(o, "started", report_doc_time_ms(t->started_ms));
	failed |= report_doc_put(o, "software", report_doc_own_text(mta_name(t->mta.mta)));
	failed |=
	    report_doc_put(o, "software_version",
	                   report_doc_text(t->mta.version[0] != '\0' ? t->mta.version : NULL));
	failed |= report_doc_put(o, "findings", report_doc_count(t->nfindings));
	failed |= report_doc_put(o, "worst", ndjson_severity_or_null(target_result_worst(t)));
	return report_doc_finish(o, failed);
}

static int ndjson_flush(FILE *out)
{
	return fflush(out) != 0 || ferror(out) ? SA_ERROR_IO : 0;
}

static json_t *ndjson_domain(const char *scan_id, const struct domain_result *d)
{
	json_t *o = ndjson_line("domain", scan_id, d->finished_ms);
	int failed = o == NULL || report_doc_put_domain(o, d);
	failed |= report_doc_put(o, "findings", report_doc_count(d->findings.n));
	failed |= report_doc_put(o, "findings_dropped", report_doc_count(d->findings.dropped));
	failed |= report_doc_put(o, "worst", ndjson_severity_or_null(domain_result_worst(d)));
	return report_doc_finish(o, failed);
}

/* A domain's finding lines, then its "domain" line, as for a target. */
static int ndjson_domain_lines(FILE *out, const char *scan_id, const struct domain_result *d)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < d->findings.n; i++)
		rc = report_doc_write_line(
		    out, ndjson_domain_finding(scan_id, d, &d->findings.items[i]));
	return rc != 0 ? rc : report_doc_write_line(out, ndjson_domain(scan_id, d));
}

/* Domain mode: every domain is complete before the first target starts. */
static int ndjson_begin(const struct report_options *opt, const struct scan_result *scan)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < scan->ndomains; i++)
		rc = ndjson_domain_lines(opt->out, opt->scan_id, scan->domains[i]);
	return rc != 0 || scan->ndomains == 0 ? rc : ndjson_flush(opt->out);
}

static int ndjson_target_lines(const struct report_options *opt, const struct target_result *t)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->nfindings; i++)
		rc = report_doc_write_line(opt->out,
		                           ndjson_finding(opt->scan_id, t, &t->findings[i]));
	if (rc == 0)
		rc = report_doc_write_line(opt->out, ndjson_target(opt->scan_id, t));
	return rc != 0 ? rc : ndjson_flush(opt->out);
}

static json_t *ndjson_severity_counts(const struct scan_result *scan)
{
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(scan, counts);
	json_t *o = json_object();
	int failed = 0;
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--)
		failed |= report_doc_put(o, severity_name((enum finding_severity)sev),
		                         report_doc_count(counts[sev]));
	return report_doc_finish(o, failed);
}

static json_t *ndjson_summary(const struct report_options *opt, const struct scan_result *scan)
{
	/* Counts, not the targets array: a streamed scan drops each target once written. */
	size_t targets = scan_result_count_targets(scan);
	size_t completed = scan_result_count_completed(scan);
	json_t *o = ndjson_line("summary", scan->scan_id, scan->finished_ms);
	int failed = o == NULL;
	failed |= report_doc_put(o, "tool", report_doc_own_text("smtp-audit"));
	failed |= report_doc_put(o, "tool_version", report_doc_own_text(opt->tool_version));
	failed |= report_doc_put(o, "started", report_doc_time_ms(scan->started_ms));
	failed |= report_doc_put(o, "interrupted", json_boolean(scan->interrupted));
	if (scan->ndomains > 0)
		failed |= report_doc_put(o, "domains", report_doc_count(scan->ndomains));
	failed |= report_doc_put(o, "targets", report_doc_count(targets));
	failed |= report_doc_put(o, "completed", report_doc_count(completed));
	failed |= report_doc_put(o, "failed", report_doc_count(targets - completed));
	failed |= report_doc_put(o, "findings", ndjson_severity_counts(scan));
	failed |= report_doc_put(o, "worst", ndjson_severity_or_null(scan_result_worst(scan)));
	return report_doc_finish(o, failed);
}

static int ndjson_end(const struct report_options *opt, const struct scan_result *scan)
{
	int rc = report_doc_write_line(opt->out, ndjson_summary(opt, scan));
	return rc != 0 ? rc : ndjson_flush(opt->out);
}

const struct report_writer report_ndjson = {
    .name = "ndjson",
    .description = "one JSON object per line, streamed per target "
                   "(schema tests/schema/smtp-audit-ndjson.schema.json)",
    .streams = true,
    .begin = ndjson_begin,
    .target = ndjson_target_lines,
    .end = ndjson_end,
};
