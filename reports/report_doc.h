/*
 * NAME
 *	report_doc - jansson building blocks for the JSON-family writers
 *
 * DESCRIPTION
 *	The JSON writers (json, ndjson, ocsf, and the diff's JSON) build
 *	their records with these helpers. Every constructor returns a new
 *	reference, or NULL when an allocation failed; report_doc_put() and
 *	report_doc_push() take that reference and return -1 for a NULL value
 *	or container, so a builder ORs their results and checks once with
 *	report_doc_finish().
 *
 *	report_doc_text() is for anything a server or a user supplied: it
 *	goes through escape_visible() first (jansson refuses invalid UTF-8,
 *	and the escaped form is printable ASCII). report_doc_own_text() is
 *	for the program's own strings (catalogue, names).
 *
 *	report_doc_write_line() writes one record as a single line of
 *	compact, pure-ASCII JSON: a control byte or newline inside a string
 *	can never split a record. report_doc_write_document() writes a whole
 *	document (json, diff) indented, in the same order and pure ASCII.
 *
 * DIAGNOSTICS
 *	report_doc_write_line() and report_doc_write_document() return
 *	SA_ERROR_NOMEM for a NULL record and SA_ERROR_IO when the stream
 *	failed.
 */
#ifndef REPORT_DOC_H
#define REPORT_DOC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

int report_doc_put(json_t *obj, const char *key, json_t *value);
int report_doc_push(json_t *array, json_t *value);

/* value, or NULL (releasing value) when failed is non-zero. */
json_t *report_doc_finish(json_t *value, int failed);

/* A string from s, which it frees; NULL for NULL (an escaping that ran out of memory). */
json_t *report_doc_take_text(char *s);

/* Escaped server or user text; JSON null for NULL. */
json_t *report_doc_text(const char *s);

/* The program's own text; JSON null for NULL. */
json_t *report_doc_own_text(const char *s);

json_t *report_doc_count(size_t n);

/* ISO 8601 UTC with milliseconds ("2023-11-14T22:13:23.250Z"). */
json_t *report_doc_time_ms(int64_t ms);

/* The finding's fingerprint (result_fingerprint()) as a string. */
json_t *report_doc_fingerprint(const struct target_result *t, const struct finding *f);

/* A domain finding's fingerprint (result_domain_fingerprint()) as a string. */
json_t *report_doc_domain_fingerprint(const struct domain_result *d, const struct finding *f);

/* Escaped strings, one per item. */
json_t *report_doc_text_array(char *const *items, size_t n);

/*
 * Puts what json and ndjson say alike about a domain into o: domain, route,
 * error, dnssec, started, mx [{"preference", "host", "addresses", "error"}],
 * records [{"name", "type", "text"}] and mta_sts_id. Nonzero when a member failed.
 */
int report_doc_put_domain(json_t *o, const struct domain_result *d);

/* [{"kind": "sent"|"received"|"note", "text": escaped}] for each evidence item. */
json_t *report_doc_evidence(const struct finding *f);

/* Writes record as one compact line and releases it. */
int report_doc_write_line(FILE *out, json_t *record);

/* Writes doc indented by two, ending in a newline, and releases it. */
int report_doc_write_document(FILE *out, json_t *doc);

#endif
