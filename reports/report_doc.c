/*
 * NAME
 *	report_doc - jansson building blocks for the JSON-family writers
 *
 * DESCRIPTION
 *	See report_doc.h.
 */
#include "report_doc.h"

#include <assert.h>
#include <stdlib.h>

#include "escape.h"
#include "report_time.h"
#include "sa_error.h"

#define REPORT_DOC_LINE_FLAGS     (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)
#define REPORT_DOC_DOCUMENT_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

int report_doc_put(json_t *obj, const char *key, json_t *value)
{
	return json_object_set_new(obj, key, value) == 0 ? 0 : -1;
}

int report_doc_push(json_t *array, json_t *value)
{
	return json_array_append_new(array, value) == 0 ? 0 : -1;
}

json_t *report_doc_finish(json_t *value, int failed)
{
	if (failed != 0) {
		json_decref(value);
		return NULL;
	}
	return value;
}

json_t *report_doc_take_text(char *s)
{
	if (s == NULL)
		return NULL;
	json_t *value = json_string(s);
	free(s);
	return value;
}

json_t *report_doc_text(const char *s)
{
	return s == NULL ? json_null() : report_doc_take_text(escape_visible_str(s));
}

json_t *report_doc_own_text(const char *s)
{
	return s == NULL ? json_null() : json_string(s);
}

json_t *report_doc_count(size_t n)
{
	return json_integer((json_int_t)n);
}

json_t *report_doc_time_ms(int64_t ms)
{
	char buf[REPORT_TIME_LEN];
	return json_string(report_time_ms(ms, true, buf));
}

json_t *report_doc_fingerprint(const struct target_result *t, const struct finding *f)
{
	char fp[33];
	return result_fingerprint(t, f, fp, sizeof(fp)) == 0 ? json_string(fp) : NULL;
}

json_t *report_doc_domain_fingerprint(const struct domain_result *d, const struct finding *f)
{
	char fp[33];
	return result_domain_fingerprint(d, f, fp, sizeof(fp)) == 0 ? json_string(fp) : NULL;
}

json_t *report_doc_text_array(char *const *items, size_t n)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < n; i++)
		failed |= report_doc_push(array, report_doc_text(items[i]));
	return report_doc_finish(array, failed);
}

static json_t *report_doc_mx_host(const struct domain_mx *mx)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "preference", json_integer(mx->preference));
	failed |= report_doc_put(o, "host", report_doc_text(mx->host));
	failed |=
	    report_doc_put(o, "addresses", report_doc_text_array(mx->addresses, mx->naddresses));
	failed |= report_doc_put(o, "error", report_doc_text(mx->error));
	return report_doc_finish(o, failed);
}

static json_t *report_doc_domain_mx(const struct domain_result *d)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < d->nmx; i++)
		failed |= report_doc_push(array, report_doc_mx_host(&d->mx[i]));
	return report_doc_finish(array, failed);
}

static json_t *report_doc_record(const struct domain_record *r)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "name", report_doc_text(r->name));
	failed |= report_doc_put(o, "type", report_doc_text(r->type));
	failed |= report_doc_put(o, "text", report_doc_text(r->text));
	return report_doc_finish(o, failed);
}

static json_t *report_doc_domain_records(const struct domain_result *d)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < d->nrecords; i++)
		failed |= report_doc_push(array, report_doc_record(&d->records[i]));
	return report_doc_finish(array, failed);
}

int report_doc_put_domain(json_t *o, const struct domain_result *d)
{
	int failed = 0;
	failed |= report_doc_put(o, "domain", report_doc_text(d->domain));
	failed |= report_doc_put(o, "route", report_doc_own_text(domain_route_name(d->route)));
	failed |= report_doc_put(o, "error", report_doc_text(d->error));
	failed |= report_doc_put(o, "dnssec", json_boolean(d->dnssec));
	failed |= report_doc_put(o, "started", report_doc_time_ms(d->started_ms));
	failed |= report_doc_put(o, "mx", report_doc_domain_mx(d));
	failed |= report_doc_put(o, "records", report_doc_domain_records(d));
	failed |= report_doc_put(o, "mta_sts_id", report_doc_text(d->mta_sts_id));
	return failed;
}

static const char *report_doc_evidence_kind(enum evidence_kind kind)
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

static json_t *report_doc_evidence_item(const struct evidence *e)
{
	json_t *item = json_object();
	int failed = 0;
	failed |=
	    report_doc_put(item, "kind", report_doc_own_text(report_doc_evidence_kind(e->kind)));
	failed |= report_doc_put(item, "text", report_doc_text(e->text));
	return report_doc_finish(item, failed);
}

json_t *report_doc_evidence(const struct finding *f)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < f->nevidence; i++)
		failed |= report_doc_push(array, report_doc_evidence_item(&f->evidence[i]));
	return report_doc_finish(array, failed);
}

int report_doc_write_line(FILE *out, json_t *record)
{
	if (record == NULL)
		return SA_ERROR_NOMEM;
	int rc = json_dumpf(record, out, REPORT_DOC_LINE_FLAGS);
	json_decref(record);
	if (rc != 0 || fputc('\n', out) == EOF)
		return SA_ERROR_IO;
	return 0;
}

int report_doc_write_document(FILE *out, json_t *doc)
{
	if (doc == NULL)
		return SA_ERROR_NOMEM;
	int rc = json_dumpf(doc, out, REPORT_DOC_DOCUMENT_FLAGS);
	json_decref(doc);
	if (rc != 0)
		return SA_ERROR_IO;
	fputc('\n', out);
	return ferror(out) ? SA_ERROR_IO : 0;
}
