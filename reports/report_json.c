/*
 * NAME
 *	report_json - the machine-readable report (-o json)
 *
 * DESCRIPTION
 *	One JSON document for the whole scan, built in end() with jansson and
 *	described by tests/schema/smtp-audit-report.schema.json. The
 *	"schema_version" member changes on every incompatible change.
 *
 *	Output is deterministic: the scan arrives sorted, objects keep the
 *	insertion order written here, and times come from the result, never
 *	from the clock. Times are ISO 8601 UTC strings, with milliseconds for
 *	scan and target times and whole seconds for certificate validity.
 *
 *	In domain mode (scan->ndomains > 0) the document also has "domains",
 *	one object per --domain in the order given (route, DNSSEC, MX hosts
 *	with their addresses, the DNS records read, the domain's findings
 *	with fingerprints from result_domain_fingerprint()), the summary
 *	counts them, and each target that is an MX host names its domains.
 *	Without domains none of these members is written, so a plain scan's
 *	document is unchanged.
 *
 *	Every string a server or a user supplied goes through
 *	escape_visible() before it becomes a JSON string: jansson refuses
 *	invalid UTF-8, and the escaped form keeps the document pure ASCII
 *	(JSON_ENSURE_ASCII covers the catalogue's own text).
 *
 * DIAGNOSTICS
 *	end() returns SA_ERROR_NOMEM when building the document runs out of
 *	memory (it never aborts) and SA_ERROR_IO when the stream fails.
 */
#include <jansson.h>
#include <stdint.h>

#include "report.h"
#include "report_diff.h"
#include "report_doc.h"
#include "report_time.h"
#include "sa_error.h"

extern const struct report_writer report_json;

static json_t *doc_time_s(int64_t seconds)
{
	char buf[REPORT_TIME_LEN];
	return json_string(report_time_seconds(seconds, buf));
}

/* ---- capabilities and TLS ---- */

static json_t *doc_extensions(const struct smtp_caps *caps)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (int e = 0; !failed && e < SMTP_EXT_COUNT; e++)
		if (smtp_caps_has(caps, (enum smtp_ext)e))
			failed |= report_doc_push(
			    array, report_doc_own_text(smtp_ext_name((enum smtp_ext)e)));
	return report_doc_finish(array, failed);
}

static json_t *doc_mechanisms(const struct smtp_caps *caps)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (int m = 0; !failed && m < SMTP_AUTH_COUNT; m++)
		if (smtp_caps_has_auth(caps, (enum smtp_auth)m))
			failed |= report_doc_push(
			    array, report_doc_own_text(smtp_auth_name((enum smtp_auth)m)));
	return report_doc_finish(array, failed);
}

_Static_assert(sizeof(json_int_t) >= sizeof(int64_t), "json_int_t holds 63-bit counts");

/* JSON integers are signed 64-bit; a larger SIZE argument is reported as the largest. */
static json_t *doc_size_limit(uint64_t limit)
{
	return json_integer(limit > INT64_MAX ? INT64_MAX : (json_int_t)limit);
}

static json_t *doc_caps(bool have, const struct smtp_caps *caps)
{
	if (!have)
		return json_null();
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "server_name", report_doc_text(caps->server_name));
	failed |= report_doc_put(o, "extensions", doc_extensions(caps));
	failed |= report_doc_put(o, "auth", doc_mechanisms(caps));
	failed |= report_doc_put(o, "size_limit", doc_size_limit(caps->size_limit));
	failed |=
	    report_doc_put(o, "unknown", report_doc_text_array(caps->unknown, caps->nunknown));
	failed |= report_doc_put(o, "unknown_dropped", report_doc_count(caps->unknown_dropped));
	failed |= report_doc_put(o, "auth_unknown",
	                         report_doc_text_array(caps->auth_unknown, caps->nauth_unknown));
	failed |=
	    report_doc_put(o, "auth_unknown_dropped", report_doc_count(caps->auth_unknown_dropped));
	return report_doc_finish(o, failed);
}

static json_t *doc_tls(const struct target_result *t)
{
	if (!t->have_tls)
		return json_null();
	const struct tls_facts *tls = &t->tls;
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "version", report_doc_text(tls->version));
	failed |= report_doc_put(o, "ciphersuite", report_doc_text(tls->ciphersuite));
	failed |= report_doc_put(o, "subject", report_doc_text(tls->subject));
	failed |= report_doc_put(o, "issuer", report_doc_text(tls->issuer));
	failed |= report_doc_put(o, "sans", report_doc_text_array(tls->sans, tls->nsans));
	failed |= report_doc_put(o, "not_before", doc_time_s(tls->not_before));
	failed |= report_doc_put(o, "not_after", doc_time_s(tls->not_after));
	failed |= report_doc_put(o, "key_type", report_doc_text(tls->key_type));
	failed |= report_doc_put(o, "key_bits", report_doc_count(tls->key_bits));
	failed |= report_doc_put(o, "signature", report_doc_text(tls->signature));
	failed |= report_doc_put(o, "signature_hash", report_doc_text(tls->signature_hash));
	failed |= report_doc_put(o, "fingerprint", report_doc_text(tls->fingerprint));
	failed |= report_doc_put(o, "chain_length", report_doc_count(tls->chain_length));
	failed |= report_doc_put(o, "trusted", json_boolean(tls->trusted));
	failed |= report_doc_put(o, "chain_trusted", json_boolean(tls->chain_trusted));
	failed |= report_doc_put(o, "self_signed", json_boolean(tls->self_signed));
	failed |= report_doc_put(o, "name_checked", json_boolean(tls->name_checked));
	failed |= report_doc_put(o, "name_matches", json_boolean(tls->name_matches));
	failed |= report_doc_put(o, "verify_detail", report_doc_text(tls->verify_detail));
	return report_doc_finish(o, failed);
}

/* ---- probes and findings ---- */

static json_t *doc_probe(const struct probe_record *p)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "name", report_doc_own_text(p->probe));
	failed |= report_doc_put(o, "outcome", report_doc_own_text(outcome_name(p->outcome)));
	failed |= report_doc_put(o, "reason", report_doc_text(p->reason));
	failed |= report_doc_put(o, "verdict", report_doc_own_text(verdict_name(p->verdict)));
	failed |= report_doc_put(o, "verdict_reason", report_doc_text(p->verdict_reason));
	failed |= report_doc_put(o, "sessions", report_doc_count(p->sessions));
	return report_doc_finish(o, failed);
}

/* fingerprint is the finding's (report_doc_fingerprint() or report_doc_domain_fingerprint()). */
static json_t *doc_finding(const struct finding *f, json_t *fingerprint, enum mta mta)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "id", report_doc_own_text(entry->public_id));
	failed |= report_doc_put(o, "fingerprint", fingerprint);
	failed |=
	    report_doc_put(o, "severity", report_doc_own_text(severity_name(entry->severity)));
	failed |= report_doc_put(o, "title", report_doc_own_text(entry->title));
	failed |= report_doc_put(o, "variant", report_doc_text(f->variant));
	failed |= report_doc_put(o, "detail", report_doc_text(f->detail));
	failed |= report_doc_put(o, "description", report_doc_own_text(entry->description));
	failed |= report_doc_put(o, "remediation", report_doc_own_text(catalog_advice(f->id, mta)));
	failed |= report_doc_put(o, "references", report_doc_own_text(entry->references));
	failed |= report_doc_put(o, "evidence", report_doc_evidence(f));
	failed |= report_doc_put(o, "evidence_dropped", report_doc_count(f->evidence_dropped));
	return report_doc_finish(o, failed);
}

/* ---- targets ---- */

static json_t *doc_software(const struct mta_guess *g)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "name", report_doc_own_text(mta_name(g->mta)));
	failed |= report_doc_put(o, "version",
	                         report_doc_text(g->version[0] != '\0' ? g->version : NULL));
	return report_doc_finish(o, failed);
}

static json_t *doc_capabilities(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "plaintext", doc_caps(t->have_caps_plain, &t->caps_plain));
	failed |= report_doc_put(o, "tls", doc_caps(t->have_caps_tls, &t->caps_tls));
	return report_doc_finish(o, failed);
}

static json_t *doc_probes(const struct target_result *t)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < t->nprobes; i++)
		failed |= report_doc_push(array, doc_probe(&t->probes[i]));
	return report_doc_finish(array, failed);
}

static json_t *doc_findings(const struct target_result *t)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < t->nfindings; i++)
		failed |= report_doc_push(
		    array, doc_finding(&t->findings[i], report_doc_fingerprint(t, &t->findings[i]),
		                       t->mta.mta));
	return report_doc_finish(array, failed);
}

static json_t *doc_target(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "host", report_doc_text(t->host));
	failed |= report_doc_put(o, "address", report_doc_text(t->address));
	failed |= report_doc_put(o, "port", json_integer(t->port));
	failed |= report_doc_put(o, "implicit_tls", json_boolean(t->implicit_tls));
	failed |= report_doc_put(o, "outcome", report_doc_own_text(outcome_name(t->outcome)));
	failed |= report_doc_put(o, "reason", report_doc_text(t->reason));
	failed |= report_doc_put(o, "started", report_doc_time_ms(t->started_ms));
	failed |= report_doc_put(o, "finished", report_doc_time_ms(t->finished_ms));
	failed |= report_doc_put(o, "software", doc_software(&t->mta));
	failed |= report_doc_put(o, "banner", report_doc_text(t->banner));
	failed |= report_doc_put(o, "banner_code",
				 t->banner != NULL ? json_integer(t->banner_code) : json_null());
	failed |= report_doc_put(o, "esmtp", json_boolean(t->esmtp));
	failed |= report_doc_put(o, "capabilities", doc_capabilities(t));
	failed |= report_doc_put(o, "tls", doc_tls(t));
	failed |= report_doc_put(o, "probes", doc_probes(t));
	failed |= report_doc_put(o, "findings", doc_findings(t));
	if (t->ndomains > 0)
		failed |=
		    report_doc_put(o, "domains", report_doc_text_array(t->domains, t->ndomains));
	return report_doc_finish(o, failed);
}

/* ---- domains ---- */

static json_t *doc_domain_findings(const struct domain_result *d)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < d->findings.n; i++) {
		const struct finding *f = &d->findings.items[i];
		failed |= report_doc_push(
		    array, doc_finding(f, report_doc_domain_fingerprint(d, f), MTA_UNKNOWN));
	}
	return report_doc_finish(array, failed);
}

static json_t *doc_domain(const struct domain_result *d)
{
	json_t *o = json_object();
	int failed = report_doc_put_domain(o, d);
	failed |= report_doc_put(o, "finished", report_doc_time_ms(d->finished_ms));
	failed |= report_doc_put(o, "findings", doc_domain_findings(d));
	failed |= report_doc_put(o, "findings_dropped", report_doc_count(d->findings.dropped));
	return report_doc_finish(o, failed);
}

static json_t *doc_domains(const struct scan_result *scan)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < scan->ndomains; i++)
		failed |= report_doc_push(array, doc_domain(scan->domains[i]));
	return report_doc_finish(array, failed);
}

/* ---- the document ---- */

static json_t *doc_tool(const struct report_options *opt)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "name", report_doc_own_text("smtp-audit"));
	failed |= report_doc_put(o, "version", report_doc_own_text(opt->tool_version));
	return report_doc_finish(o, failed);
}

static json_t *doc_scan(const struct scan_result *scan)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "id", report_doc_own_text(scan->scan_id));
	failed |= report_doc_put(o, "started", report_doc_time_ms(scan->started_ms));
	failed |= report_doc_put(o, "finished", report_doc_time_ms(scan->finished_ms));
	failed |= report_doc_put(o, "interrupted", json_boolean(scan->interrupted));
	return report_doc_finish(o, failed);
}

static json_t *doc_summary(const struct scan_result *scan)
{
	size_t completed = 0;
	for (size_t i = 0; i < scan->ntargets; i++)
		completed += scan->targets[i]->outcome == OUTCOME_COMPLETED;
	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(scan, counts);

	json_t *per_severity = json_object();
	int failed = 0;
	int worst = -1;
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--) {
		failed |= report_doc_put(per_severity, severity_name((enum finding_severity)sev),
		                         report_doc_count(counts[sev]));
		if (worst < 0 && counts[sev] > 0)
			worst = sev;
	}
	json_t *o = json_object();
	if (scan->ndomains > 0)
		failed |= report_doc_put(o, "domains", report_doc_count(scan->ndomains));
	failed |= report_doc_put(o, "targets", report_doc_count(scan->ntargets));
	failed |= report_doc_put(o, "completed", report_doc_count(completed));
	failed |= report_doc_put(o, "failed", report_doc_count(scan->ntargets - completed));
	failed |= report_doc_put(o, "findings", report_doc_finish(per_severity, failed));
	failed |= report_doc_put(
	    o, "worst",
	    worst < 0 ? json_null()
	              : report_doc_own_text(severity_name((enum finding_severity)worst)));
	return report_doc_finish(o, failed);
}

static json_t *doc_targets(const struct scan_result *scan)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < scan->ntargets; i++)
		failed |= report_doc_push(array, doc_target(scan->targets[i]));
	return report_doc_finish(array, failed);
}

static int doc_baseline_status(const struct baseline_diff *d, json_t *finding)
{
	const char *fp = json_string_value(json_object_get(finding, "fingerprint"));
	return report_doc_put(finding, "baseline", report_doc_own_text(report_diff_status(d, fp)));
}

/* The "baseline" status of each finding of the members of list (targets or domains). */
static int doc_baseline_statuses(const struct baseline_diff *d, json_t *list)
{
	int failed = 0;
	size_t i, j;
	json_t *member, *finding;
	json_array_foreach(list, i, member)
		json_array_foreach(json_object_get(member, "findings"), j, finding)
			failed |= doc_baseline_status(d, finding);
	return failed;
}

/* With --baseline: each finding's "baseline" status and the comparison (report_diff.h). */
static int doc_baseline(const struct report_options *opt, json_t *root)
{
	if (opt->baseline == NULL)
		return 0;
	const struct report_diff_source src = {.baseline = opt->baseline_file,
					       .fail_on = opt->fail_on};
	int failed = doc_baseline_statuses(opt->baseline, json_object_get(root, "domains"));
	failed |= doc_baseline_statuses(opt->baseline, json_object_get(root, "targets"));
	failed |=
	    report_doc_put(root, "baseline", report_diff_baseline_object(opt->baseline, &src));
	return failed;
}

static json_t *doc_document(const struct report_options *opt, const struct scan_result *scan)
{
	json_t *root = json_object();
	int failed = 0;
	failed |=
	    report_doc_put(root, "schema_version", report_doc_own_text(REPORT_JSON_SCHEMA_VERSION));
	failed |= report_doc_put(root, "tool", doc_tool(opt));
	failed |= report_doc_put(root, "scan", doc_scan(scan));
	failed |= report_doc_put(root, "summary", doc_summary(scan));
	if (scan->ndomains > 0)
		failed |= report_doc_put(root, "domains", doc_domains(scan));
	failed |= report_doc_put(root, "targets", doc_targets(scan));
	failed |= doc_baseline(opt, root);
	return report_doc_finish(root, failed);
}

static int doc_end(const struct report_options *opt, const struct scan_result *scan)
{
	return report_doc_write_document(opt->out, doc_document(opt, scan));
}

const struct report_writer report_json = {
    .name = "json",
    .description = "one JSON document (schema tests/schema/smtp-audit-report.schema.json)",
    .end = doc_end,
};
