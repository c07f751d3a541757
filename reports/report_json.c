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
 *	Every string a server or a user supplied goes through
 *	escape_visible() before it becomes a JSON string: jansson refuses
 *	invalid UTF-8, and the escaped form keeps the document pure ASCII
 *	(JSON_ENSURE_ASCII covers the catalogue's own text).
 *
 * DIAGNOSTICS
 *	end() returns SA_ERROR_NOMEM when building the document runs out of
 *	memory (it never aborts) and SA_ERROR_IO when the stream fails.
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "report.h"
#include "report_diff.h"
#include "report_time.h"
#include "sa_error.h"

extern const struct report_writer report_json;

#define DOC_DUMP_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

/*
 * Helpers that take a new reference and report failure as -1, so a
 * builder can chain them and check once: a NULL value (a failed
 * allocation further in) or a NULL container fails without leaking.
 */
static int doc_put(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

static int doc_push(json_t *array, json_t *value)
{
	return json_array_append_new(array, value) == 0 ? 0 : -1;
}

/* The object, or NULL (releasing it) when any step of building it failed. */
static json_t *doc_finish(json_t *value, int failed)
{
	if (failed != 0) {
		json_decref(value);
		return NULL;
	}
	return value;
}

/* Escaped text from a server or user; JSON null for NULL; NULL when out of memory. */
static json_t *doc_text(const char *s)
{
	if (s == NULL)
		return json_null();
	char *e = escape_visible_str(s);
	if (e == NULL)
		return NULL;
	json_t *value = json_string(e);
	free(e);
	return value;
}

/* The program's own text (catalogue, names); JSON null for NULL. */
static json_t *doc_own_text(const char *s)
{
	return s == NULL ? json_null() : json_string(s);
}

static json_t *doc_count(size_t n)
{
	return json_integer((json_int_t)n);
}

static json_t *doc_time_ms(int64_t ms)
{
	char buf[REPORT_TIME_LEN];
	return json_string(report_time_ms(ms, true, buf));
}

static json_t *doc_time_s(int64_t seconds)
{
	char buf[REPORT_TIME_LEN];
	return json_string(report_time_seconds(seconds, buf));
}

static json_t *doc_text_array(char *const *items, size_t n)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < n; i++)
		failed |= doc_push(array, doc_text(items[i]));
	return doc_finish(array, failed);
}

/* ---- capabilities and TLS ---- */

static json_t *doc_extensions(const struct smtp_caps *caps)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (int e = 0; !failed && e < SMTP_EXT_COUNT; e++)
		if (smtp_caps_has(caps, (enum smtp_ext)e))
			failed |= doc_push(array, doc_own_text(smtp_ext_name((enum smtp_ext)e)));
	return doc_finish(array, failed);
}

static json_t *doc_mechanisms(const struct smtp_caps *caps)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (int m = 0; !failed && m < SMTP_AUTH_COUNT; m++)
		if (smtp_caps_has_auth(caps, (enum smtp_auth)m))
			failed |= doc_push(array, doc_own_text(smtp_auth_name((enum smtp_auth)m)));
	return doc_finish(array, failed);
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
	failed |= doc_put(o, "server_name", doc_text(caps->server_name));
	failed |= doc_put(o, "extensions", doc_extensions(caps));
	failed |= doc_put(o, "auth", doc_mechanisms(caps));
	failed |= doc_put(o, "size_limit", doc_size_limit(caps->size_limit));
	failed |= doc_put(o, "unknown", doc_text_array(caps->unknown, caps->nunknown));
	failed |= doc_put(o, "unknown_dropped", doc_count(caps->unknown_dropped));
	failed |=
	    doc_put(o, "auth_unknown", doc_text_array(caps->auth_unknown, caps->nauth_unknown));
	failed |= doc_put(o, "auth_unknown_dropped", doc_count(caps->auth_unknown_dropped));
	return doc_finish(o, failed);
}

static json_t *doc_tls(const struct target_result *t)
{
	if (!t->have_tls)
		return json_null();
	const struct tls_facts *tls = &t->tls;
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "version", doc_text(tls->version));
	failed |= doc_put(o, "ciphersuite", doc_text(tls->ciphersuite));
	failed |= doc_put(o, "subject", doc_text(tls->subject));
	failed |= doc_put(o, "issuer", doc_text(tls->issuer));
	failed |= doc_put(o, "sans", doc_text_array(tls->sans, tls->nsans));
	failed |= doc_put(o, "not_before", doc_time_s(tls->not_before));
	failed |= doc_put(o, "not_after", doc_time_s(tls->not_after));
	failed |= doc_put(o, "key_type", doc_text(tls->key_type));
	failed |= doc_put(o, "key_bits", doc_count(tls->key_bits));
	failed |= doc_put(o, "signature", doc_text(tls->signature));
	failed |= doc_put(o, "signature_hash", doc_text(tls->signature_hash));
	failed |= doc_put(o, "fingerprint", doc_text(tls->fingerprint));
	failed |= doc_put(o, "chain_length", doc_count(tls->chain_length));
	failed |= doc_put(o, "trusted", json_boolean(tls->trusted));
	failed |= doc_put(o, "chain_trusted", json_boolean(tls->chain_trusted));
	failed |= doc_put(o, "self_signed", json_boolean(tls->self_signed));
	failed |= doc_put(o, "name_checked", json_boolean(tls->name_checked));
	failed |= doc_put(o, "name_matches", json_boolean(tls->name_matches));
	failed |= doc_put(o, "verify_detail", doc_text(tls->verify_detail));
	return doc_finish(o, failed);
}

/* ---- probes and findings ---- */

static json_t *doc_probe(const struct probe_record *p)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "name", doc_own_text(p->probe));
	failed |= doc_put(o, "outcome", doc_own_text(outcome_name(p->outcome)));
	failed |= doc_put(o, "reason", doc_text(p->reason));
	failed |= doc_put(o, "verdict", doc_own_text(verdict_name(p->verdict)));
	failed |= doc_put(o, "verdict_reason", doc_text(p->verdict_reason));
	failed |= doc_put(o, "sessions", doc_count(p->sessions));
	return doc_finish(o, failed);
}

static const char *doc_evidence_kind(enum evidence_kind kind)
{
	switch (kind) {
	case EVIDENCE_SENT:
		return "sent";
	case EVIDENCE_RECEIVED:
		return "received";
	case EVIDENCE_NOTE:
		return "note";
	}
	assert(!"unknown evidence kind");
	return NULL;
}

static json_t *doc_evidence(const struct finding *f)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < f->nevidence; i++) {
		json_t *item = json_object();
		int item_failed = 0;
		item_failed |=
		    doc_put(item, "kind", doc_own_text(doc_evidence_kind(f->evidence[i].kind)));
		item_failed |= doc_put(item, "text", doc_text(f->evidence[i].text));
		failed |= doc_push(array, doc_finish(item, item_failed));
	}
	return doc_finish(array, failed);
}

/* The fingerprint string, or NULL when out of memory. */
static json_t *doc_fingerprint(const struct target_result *t, const struct finding *f)
{
	char fp[33];
	return result_fingerprint(t, f, fp, sizeof(fp)) == 0 ? json_string(fp) : NULL;
}

static json_t *doc_finding(const struct target_result *t, const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "id", doc_own_text(entry->public_id));
	failed |= doc_put(o, "fingerprint", doc_fingerprint(t, f));
	failed |= doc_put(o, "severity", doc_own_text(severity_name(entry->severity)));
	failed |= doc_put(o, "title", doc_own_text(entry->title));
	failed |= doc_put(o, "variant", doc_text(f->variant));
	failed |= doc_put(o, "detail", doc_text(f->detail));
	failed |= doc_put(o, "description", doc_own_text(entry->description));
	failed |= doc_put(o, "remediation", doc_own_text(catalog_advice(f->id, t->mta.mta)));
	failed |= doc_put(o, "references", doc_own_text(entry->references));
	failed |= doc_put(o, "evidence", doc_evidence(f));
	failed |= doc_put(o, "evidence_dropped", doc_count(f->evidence_dropped));
	return doc_finish(o, failed);
}

/* ---- targets ---- */

static json_t *doc_software(const struct mta_guess *g)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "name", doc_own_text(mta_name(g->mta)));
	failed |= doc_put(o, "version", doc_text(g->version[0] != '\0' ? g->version : NULL));
	return doc_finish(o, failed);
}

static json_t *doc_capabilities(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "plaintext", doc_caps(t->have_caps_plain, &t->caps_plain));
	failed |= doc_put(o, "tls", doc_caps(t->have_caps_tls, &t->caps_tls));
	return doc_finish(o, failed);
}

static json_t *doc_probes(const struct target_result *t)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < t->nprobes; i++)
		failed |= doc_push(array, doc_probe(&t->probes[i]));
	return doc_finish(array, failed);
}

static json_t *doc_findings(const struct target_result *t)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < t->nfindings; i++)
		failed |= doc_push(array, doc_finding(t, &t->findings[i]));
	return doc_finish(array, failed);
}

static json_t *doc_target(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "host", doc_text(t->host));
	failed |= doc_put(o, "address", doc_text(t->address));
	failed |= doc_put(o, "port", json_integer(t->port));
	failed |= doc_put(o, "implicit_tls", json_boolean(t->implicit_tls));
	failed |= doc_put(o, "outcome", doc_own_text(outcome_name(t->outcome)));
	failed |= doc_put(o, "reason", doc_text(t->reason));
	failed |= doc_put(o, "started", doc_time_ms(t->started_ms));
	failed |= doc_put(o, "finished", doc_time_ms(t->finished_ms));
	failed |= doc_put(o, "software", doc_software(&t->mta));
	failed |= doc_put(o, "banner", doc_text(t->banner));
	failed |= doc_put(o, "esmtp", json_boolean(t->esmtp));
	failed |= doc_put(o, "capabilities", doc_capabilities(t));
	failed |= doc_put(o, "tls", doc_tls(t));
	failed |= doc_put(o, "probes", doc_probes(t));
	failed |= doc_put(o, "findings", doc_findings(t));
	return doc_finish(o, failed);
}

/* ---- the document ---- */

static json_t *doc_tool(const struct report_options *opt)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "name", doc_own_text("smtp-audit"));
	failed |= doc_put(o, "version", doc_own_text(opt->tool_version));
	return doc_finish(o, failed);
}

static json_t *doc_scan(const struct scan_result *scan)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= doc_put(o, "id", doc_own_text(scan->scan_id));
	failed |= doc_put(o, "started", doc_time_ms(scan->started_ms));
	failed |= doc_put(o, "finished", doc_time_ms(scan->finished_ms));
	failed |= doc_put(o, "interrupted", json_boolean(scan->interrupted));
	return doc_finish(o, failed);
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
		failed |= doc_put(per_severity, severity_name((enum finding_severity)sev),
		                  doc_count(counts[sev]));
		if (worst < 0 && counts[sev] > 0)
			worst = sev;
	}
	json_t *o = json_object();
	failed |= doc_put(o, "targets", doc_count(scan->ntargets));
	failed |= doc_put(o, "completed", doc_count(completed));
	failed |= doc_put(o, "failed", doc_count(scan->ntargets - completed));
	failed |= doc_put(o, "findings", doc_finish(per_severity, failed));
	failed |= doc_put(o, "worst",
	                  worst < 0 ? json_null()
	                            : doc_own_text(severity_name((enum finding_severity)worst)));
	return doc_finish(o, failed);
}

static json_t *doc_targets(const struct scan_result *scan)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < scan->ntargets; i++)
		failed |= doc_push(array, doc_target(scan->targets[i]));
	return doc_finish(array, failed);
}

/* With --baseline: each finding's "baseline" status and the comparison (report_diff.h). */
static int doc_baseline(const struct report_options *opt, json_t *root)
{
	if (opt->baseline == NULL)
		return 0;
	const struct report_diff_source src = {.baseline = opt->baseline_file,
					       .fail_on = opt->fail_on};
	int failed = 0;
	size_t i, j;
	json_t *target, *finding;
	json_array_foreach(json_object_get(root, "targets"), i, target)
		json_array_foreach(json_object_get(target, "findings"), j, finding)
			failed |= doc_put(finding, "baseline",
					  doc_own_text(report_diff_status(
					      opt->baseline,
					      json_string_value(json_object_get(finding, "fingerprint")))));
	failed |= doc_put(root, "baseline", report_diff_baseline_object(opt->baseline, &src));
	return failed;
}

static json_t *doc_document(const struct report_options *opt, const struct scan_result *scan)
{
	json_t *root = json_object();
	int failed = 0;
	failed |= doc_put(root, "schema_version", doc_own_text(REPORT_JSON_SCHEMA_VERSION));
	failed |= doc_put(root, "tool", doc_tool(opt));
	failed |= doc_put(root, "scan", doc_scan(scan));
	failed |= doc_put(root, "summary", doc_summary(scan));
	failed |= doc_put(root, "targets", doc_targets(scan));
	failed |= doc_baseline(opt, root);
	return doc_finish(root, failed);
}

static int doc_end(const struct report_options *opt, const struct scan_result *scan)
{
	json_t *root = doc_document(opt, scan);
	if (root == NULL)
		return SA_ERROR_NOMEM;
	int rc = json_dumpf(root, opt->out, DOC_DUMP_FLAGS);
	json_decref(root);
	if (rc != 0)
		return SA_ERROR_IO;
	fputc('\n', opt->out);
	return ferror(opt->out) ? SA_ERROR_IO : 0;
}

const struct report_writer report_json = {
    .name = "json",
    .description = "one JSON document (schema tests/schema/smtp-audit-report.schema.json)",
    .end = doc_end,
};
