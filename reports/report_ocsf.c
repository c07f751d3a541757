/*
 * NAME
 *	report_ocsf - findings as OCSF Detection Finding events (-o ocsf)
 *
 * DESCRIPTION
 *	One OCSF 1.4.0 Detection Finding (class_uid 2004, activity Create,
 *	type_uid 200401) per finding, one event per line (JSON Lines), the
 *	form OCSF-native lakes and SIEM collectors ingest without a mapping
 *	layer. Lines are written and flushed as each target finishes, so a
 *	killed scan leaves every completed target's events on disk; there is
 *	no summary line, as every line must be an OCSF event. The mapping
 *	from our findings to OCSF attributes is documented in reports/OCSF.md
 *	and checked by tests/schema/ocsf-finding.schema.json.
 *
 *	In domain mode begin() writes one event per finding of each domain:
 *	the domain is the resource ("Mail domain"), there is no device and
 *	no endpoint, and unmapped.domain names it.
 *
 *	Attributes are omitted rather than set to null when we have no value
 *	(OCSF types such as ip_t admit no null). Server and user text is
 *	escaped as in -o json, so every line is pure ASCII.
 *
 * DIAGNOSTICS
 *	target() returns SA_ERROR_NOMEM when building an event runs out of
 *	memory and SA_ERROR_IO when the stream fails.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report.h"
#include "report_doc.h"
#include "sa_error.h"

extern const struct report_writer report_ocsf;

#define OCSF_VERSION         "1.4.0"
#define OCSF_CLASS_UID       2004 /* Detection Finding */
#define OCSF_CATEGORY_UID    2    /* Findings */
#define OCSF_ACTIVITY_CREATE 1
#define OCSF_TYPE_UID        (OCSF_CLASS_UID * 100 + OCSF_ACTIVITY_CREATE)
#define OCSF_STATUS_NEW      1
#define OCSF_DEVICE_SERVER   1

struct ocsf_severity {
	int id;
	const char *caption;
};

/* OCSF severity_id 1..5 are Informational, Low, Medium, High, Critical. */
static const struct ocsf_severity ocsf_severities[] = {
    [SEVERITY_INFO] = {.id = 1, .caption = "Informational"},
    [SEVERITY_LOW] = {.id = 2, .caption = "Low"},
    [SEVERITY_MEDIUM] = {.id = 3, .caption = "Medium"},
    [SEVERITY_HIGH] = {.id = 4, .caption = "High"},
    [SEVERITY_CRITICAL] = {.id = 5, .caption = "Critical"},
};
_Static_assert(sizeof(ocsf_severities) / sizeof(ocsf_severities[0]) == SEVERITY_COUNT,
               "one OCSF severity per finding severity");

/* Sets key to escaped text only when there is text: OCSF has no null for most types. */
static int ocsf_put_text_if(json_t *o, const char *key, const char *s)
{
	return s == NULL ? 0 : report_doc_put(o, key, report_doc_text(s));
}

/* A host named by address is no hostname. */
static const char *ocsf_hostname(const struct target_result *t)
{
	return t->address != NULL && strcmp(t->host, t->address) == 0 ? NULL : t->host;
}

static json_t *ocsf_metadata(const struct report_options *opt, const char *scan_id)
{
	json_t *product = json_object();
	int failed = 0;
	failed |= report_doc_put(product, "name", report_doc_own_text("smtp-audit"));
	failed |= report_doc_put(product, "vendor_name", report_doc_own_text("smtp-audit"));
	failed |= report_doc_put(product, "version", report_doc_own_text(opt->tool_version));
	json_t *o = json_object();
	failed |= report_doc_put(o, "version", report_doc_own_text(OCSF_VERSION));
	failed |= report_doc_put(o, "product", report_doc_finish(product, failed));
	failed |= report_doc_put(o, "correlation_uid", report_doc_own_text(scan_id));
	return report_doc_finish(o, failed);
}

/* fingerprint (taken) is the finding's; time_ms when its target or domain finished. */
static json_t *ocsf_finding_info(const struct catalog_entry *entry, json_t *fingerprint,
                                 int64_t time_ms)
{
	json_t *types = json_array();
	int failed = report_doc_push(types, report_doc_own_text(entry->public_id));
	json_t *o = json_object();
	failed |= report_doc_put(o, "uid", fingerprint);
	failed |= report_doc_put(o, "title", report_doc_own_text(entry->title));
	failed |= report_doc_put(o, "desc", report_doc_own_text(entry->description));
	failed |= report_doc_put(o, "types", report_doc_finish(types, failed));
	failed |= report_doc_put(o, "created_time", json_integer(time_ms));
	return report_doc_finish(o, failed);
}

static json_t *ocsf_device(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "type_id", json_integer(OCSF_DEVICE_SERVER));
	failed |= report_doc_put(o, "type", report_doc_own_text("Server"));
	failed |= ocsf_put_text_if(o, "hostname", ocsf_hostname(t));
	failed |= ocsf_put_text_if(o, "ip", t->address);
	return report_doc_finish(o, failed);
}

/* "host:port", the host bracketed when it is an IPv6 address; NULL when out of memory. */
static json_t *ocsf_service_uid(const struct target_result *t)
{
	char *host = escape_visible_str(t->host);
	if (host == NULL)
		return NULL;
	bool v6 = strchr(host, ':') != NULL;
	json_t *uid = json_sprintf(v6 ? "[%s]:%u" : "%s:%u", host, (unsigned)t->port);
	free(host);
	return uid;
}

static json_t *ocsf_resources(const struct target_result *t)
{
	json_t *service = json_object();
	int failed = 0;
	failed |= report_doc_put(service, "uid", ocsf_service_uid(t));
	failed |= report_doc_put(service, "name", report_doc_text(t->host));
	failed |= report_doc_put(service, "type", report_doc_own_text("SMTP service"));
	json_t *array = json_array();
	failed |= report_doc_push(array, report_doc_finish(service, failed));
	return report_doc_finish(array, failed);
}

static json_t *ocsf_remediation(const struct finding *f, const struct catalog_entry *entry,
                                enum mta mta)
{
	json_t *o = json_object();
	int failed = report_doc_put(o, "desc", report_doc_own_text(catalog_advice(f->id, mta)));
	if (entry->references != NULL) {
		json_t *references = json_array();
		failed |= report_doc_push(references, report_doc_own_text(entry->references));
		failed |= report_doc_put(o, "references", report_doc_finish(references, failed));
	}
	return report_doc_finish(o, failed);
}

static json_t *ocsf_endpoint(const struct target_result *t)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= ocsf_put_text_if(o, "hostname", ocsf_hostname(t));
	failed |= ocsf_put_text_if(o, "ip", t->address);
	failed |= report_doc_put(o, "port", json_integer(t->port));
	return report_doc_finish(o, failed);
}

/* The SMTP exchange has no OCSF object of its own: it goes into evidences[].data. */
static json_t *ocsf_evidence_data(const struct finding *f)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= ocsf_put_text_if(o, "detail", f->detail);
	failed |= report_doc_put(o, "transcript", report_doc_evidence(f));
	failed |= report_doc_put(o, "transcript_dropped", report_doc_count(f->evidence_dropped));
	return report_doc_finish(o, failed);
}

/* The evidence, with the target's endpoint when there is one (a domain has none). */
static json_t *ocsf_evidences(const struct target_result *t, const struct finding *f)
{
	json_t *item = json_object();
	int failed = 0;
	if (t != NULL)
		failed |= report_doc_put(item, "dst_endpoint", ocsf_endpoint(t));
	failed |= report_doc_put(item, "data", ocsf_evidence_data(f));
	json_t *array = json_array();
	failed |= report_doc_push(array, report_doc_finish(item, failed));
	return report_doc_finish(array, failed);
}

static json_t *ocsf_unmapped(const struct target_result *t, const struct finding *f,
                             const struct catalog_entry *entry)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "finding_id", report_doc_own_text(entry->public_id));
	failed |= ocsf_put_text_if(o, "variant", f->variant);
	failed |= report_doc_put(o, "implicit_tls", json_boolean(t->implicit_tls));
	return report_doc_finish(o, failed);
}

static int ocsf_put_classification(json_t *o)
{
	int failed = 0;
	failed |= report_doc_put(o, "activity_id", json_integer(OCSF_ACTIVITY_CREATE));
	failed |= report_doc_put(o, "activity_name", report_doc_own_text("Create"));
	failed |= report_doc_put(o, "category_uid", json_integer(OCSF_CATEGORY_UID));
	failed |= report_doc_put(o, "category_name", report_doc_own_text("Findings"));
	failed |= report_doc_put(o, "class_uid", json_integer(OCSF_CLASS_UID));
	failed |= report_doc_put(o, "class_name", report_doc_own_text("Detection Finding"));
	failed |= report_doc_put(o, "type_uid", json_integer(OCSF_TYPE_UID));
	failed |= report_doc_put(o, "type_name", report_doc_own_text("Detection Finding: Create"));
	return failed;
}

/*
 * The members every event starts with, up to finding_info: fingerprint
 * (taken) is the finding's, time_ms when its target or domain finished.
 */
static json_t *ocsf_event_head(const struct report_options *opt, const char *scan_id,
                               const struct finding *f, json_t *fingerprint, int64_t time_ms)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	const struct ocsf_severity *sev = &ocsf_severities[entry->severity];
	json_t *o = json_object();
	int failed = ocsf_put_classification(o);
	failed |= report_doc_put(o, "severity_id", json_integer(sev->id));
	failed |= report_doc_put(o, "severity", report_doc_own_text(sev->caption));
	failed |= report_doc_put(o, "status_id", json_integer(OCSF_STATUS_NEW));
	failed |= report_doc_put(o, "status", report_doc_own_text("New"));
	failed |= report_doc_put(o, "is_alert", json_boolean(entry->severity >= opt->fail_on));
	failed |= report_doc_put(o, "time", json_integer(time_ms));
	failed |= report_doc_put(o, "message",
	                         f->detail != NULL ? report_doc_text(f->detail)
	                                           : report_doc_own_text(entry->title));
	failed |= report_doc_put(o, "metadata", ocsf_metadata(opt, scan_id));
	failed |= report_doc_put(o, "finding_info", ocsf_finding_info(entry, fingerprint, time_ms));
	return report_doc_finish(o, failed);
}

static json_t *ocsf_event(const struct report_options *opt, const char *scan_id,
                          const struct target_result *t, const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	json_t *o = ocsf_event_head(opt, scan_id, f, report_doc_fingerprint(t, f), t->finished_ms);
	int failed = o == NULL;
	failed |= report_doc_put(o, "device", ocsf_device(t));
	failed |= report_doc_put(o, "resources", ocsf_resources(t));
	failed |= report_doc_put(o, "remediation", ocsf_remediation(f, entry, t->mta.mta));
	failed |= report_doc_put(o, "evidences", ocsf_evidences(t, f));
	failed |= report_doc_put(o, "unmapped", ocsf_unmapped(t, f, entry));
	return report_doc_finish(o, failed);
}

/* The mail domain as the one resource of its findings. */
static json_t *ocsf_domain_resources(const struct domain_result *d)
{
	json_t *domain = json_object();
	int failed = 0;
	failed |= report_doc_put(domain, "uid", report_doc_text(d->domain));
	failed |= report_doc_put(domain, "name", report_doc_text(d->domain));
	failed |= report_doc_put(domain, "type", report_doc_own_text("Mail domain"));
	json_t *array = json_array();
	failed |= report_doc_push(array, report_doc_finish(domain, failed));
	return report_doc_finish(array, failed);
}

static json_t *ocsf_domain_unmapped(const struct domain_result *d, const struct finding *f,
                                    const struct catalog_entry *entry)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "finding_id", report_doc_own_text(entry->public_id));
	failed |= ocsf_put_text_if(o, "variant", f->variant);
	failed |= report_doc_put(o, "domain", report_doc_text(d->domain));
	return report_doc_finish(o, failed);
}

/* A domain's finding: no device or endpoint, the domain is the resource. */
static json_t *ocsf_domain_event(const struct report_options *opt, const char *scan_id,
                                 const struct domain_result *d, const struct finding *f)
{
	const struct catalog_entry *entry = catalog_get(f->id);
	json_t *o =
	    ocsf_event_head(opt, scan_id, f, report_doc_domain_fingerprint(d, f), d->finished_ms);
	int failed = o == NULL;
	failed |= report_doc_put(o, "resources", ocsf_domain_resources(d));
	failed |= report_doc_put(o, "remediation", ocsf_remediation(f, entry, MTA_UNKNOWN));
	failed |= report_doc_put(o, "evidences", ocsf_evidences(NULL, f));
	failed |= report_doc_put(o, "unmapped", ocsf_domain_unmapped(d, f, entry));
	return report_doc_finish(o, failed);
}

static int ocsf_flush(FILE *out)
{
	return fflush(out) != 0 || ferror(out) ? SA_ERROR_IO : 0;
}

static int ocsf_target(const struct report_options *opt, const struct target_result *t)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < t->nfindings; i++)
		rc = report_doc_write_line(opt->out,
		                           ocsf_event(opt, opt->scan_id, t, &t->findings[i]));
	return rc != 0 ? rc : ocsf_flush(opt->out);
}

/* Domain mode: the domains' events, complete before the first target starts. */
static int ocsf_begin(const struct report_options *opt, const struct scan_result *scan)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < scan->ndomains; i++) {
		const struct domain_result *d = scan->domains[i];
		for (size_t j = 0; rc == 0 && j < d->findings.n; j++)
			rc = report_doc_write_line(
			    opt->out,
			    ocsf_domain_event(opt, opt->scan_id, d, &d->findings.items[j]));
	}
	return rc != 0 || scan->ndomains == 0 ? rc : ocsf_flush(opt->out);
}

/* Everything was streamed; only a stream error is left to report. */
static int ocsf_end(const struct report_options *opt, const struct scan_result *scan)
{
	(void)scan;
	return ocsf_flush(opt->out);
}

const struct report_writer report_ocsf = {
    .name = "ocsf",
    .description = "OCSF 1.4.0 Detection Finding events, one per line (see reports/OCSF.md)",
    .streams = true,
    .begin = ocsf_begin,
    .target = ocsf_target,
    .end = ocsf_end,
};
