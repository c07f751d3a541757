/*
 * NAME
 *	report_diff - write a baseline comparison as text or JSON
 *
 * DESCRIPTION
 *	Text: one line per new and resolved finding ("+ [HIGH] ID Title
 *	on host:port", "- ..."), per changed fact ("~ host:port banner:
 *	BEFORE -> AFTER", "(none)" for a fact not observed), and per target
 *	whose baseline findings could not be verified because it failed or
 *	was not scanned this time. A domain of domain mode is named "domain
 *	NAME" where a target is "host:port"; in JSON it has "domain": true,
 *	its name as "host" and port 0.
 *
 *	JSON: jansson objects in a fixed insertion order, dumped with
 *	JSON_ENSURE_ASCII like the report itself.
 *
 * DIAGNOSTICS
 *	See report_diff.h.
 */
#include "report_diff.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "report_doc.h"
#include "sa_error.h"

/* Printable ASCII unchanged (what smtp-audit wrote), anything else escaped; NULL: no memory. */
static char *diff_visible(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (*p < ' ' || *p > '~')
			return escape_visible_str(s);
	return strdup(s);
}

const char *report_diff_status(const struct baseline_diff *d, const char *fingerprint)
{
	return baseline_is_new(d, fingerprint) ? "new" : "unchanged";
}

/* ---- text ---- */

static int diff_put(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("(none)", out);
		return 0;
	}
	char *v = diff_visible(s);
	if (v == NULL)
		return SA_ERROR_NOMEM;
	fputs(v, out);
	free(v);
	return 0;
}

/* "host:port", or "domain NAME" for a domain of domain mode. */
static int diff_service(FILE *out, const struct baseline_target *t)
{
	if (t->domain)
		fputs("domain ", out);
	int rc = diff_put(out, t->host);
	if (!t->domain)
		fprintf(out, ":%u", (unsigned)t->port);
	return rc;
}

static int diff_entry_line(FILE *out, char mark, const struct baseline_entry *e)
{
	fprintf(out, "  %c [", mark);
	for (const char *p = severity_name(e->finding->severity); *p != '\0'; p++)
		fputc(toupper((unsigned char)*p), out);
	fputs("] ", out);
	int rc = diff_put(out, e->finding->id);
	fputc(' ', out);
	rc |= diff_put(out, e->finding->title);
	fputs(" on ", out);
	rc |= diff_service(out, e->target);
	fputc('\n', out);
	return rc != 0 ? SA_ERROR_NOMEM : 0;
}

static int diff_change_line(FILE *out, const struct baseline_change *c)
{
	fputs("  ~ ", out);
	int rc = diff_service(out, c->target);
	fprintf(out, " %s: ", baseline_fact_name(c->fact));
	rc |= diff_put(out, c->before);
	fputs(" -> ", out);
	rc |= diff_put(out, c->after);
	fputc('\n', out);
	return rc != 0 ? SA_ERROR_NOMEM : 0;
}

static int diff_unverified_line(FILE *out, const struct baseline_target *t)
{
	fputs("  ? ", out);
	int rc = diff_service(out, t);
	fprintf(out, ": failed or not scanned now; its %zu baseline finding%s not verified\n",
	        t->nfindings, t->nfindings == 1 ? " is" : "s are");
	return rc;
}

int report_diff_section(FILE *out, const struct baseline_diff *d,
                        const struct report_diff_source *src)
{
	fputs("baseline ", out);
	int rc = diff_put(out, src->baseline);
	fprintf(out, ": %zu new, %zu unchanged, %zu resolved, %zu changed facts\n", d->nadded,
	        d->nunchanged, d->nresolved, d->nchanges);
	for (size_t i = 0; rc == 0 && i < d->nadded; i++)
		rc = diff_entry_line(out, '+', &d->added[i]);
	for (size_t i = 0; rc == 0 && i < d->nresolved; i++)
		rc = diff_entry_line(out, '-', &d->resolved[i]);
	for (size_t i = 0; rc == 0 && i < d->nchanges; i++)
		rc = diff_change_line(out, &d->changes[i]);
	for (size_t i = 0; rc == 0 && i < d->nunverified; i++)
		rc = diff_unverified_line(out, d->unverified[i]);
	if (rc == 0 && ferror(out))
		rc = SA_ERROR_IO;
	return rc;
}

int report_diff_text(FILE *out, const struct baseline_diff *d, const struct report_diff_source *src)
{
	fputs("smtp-audit diff: ", out);
	int rc = diff_put(out, src->current);
	fputs(" against ", out);
	rc |= rc == 0 ? report_diff_section(out, d, src) : 0;
	if (rc != 0)
		return rc;
	if (src->fail_on >= SEVERITY_COUNT) {
		fputs("fail-on never: new findings do not fail\n", out);
	} else {
		size_t n = baseline_count_new_at_least(d, src->fail_on);
		fprintf(out, "fail-on %s: %s (new findings at or above: %zu)\n",
		        severity_name(src->fail_on), n > 0 ? "met" : "not met", n);
	}
	return ferror(out) ? SA_ERROR_IO : 0;
}

/* ---- JSON ---- */

/* Strings from a report file keep the text section's escaping (diff_visible). */
static json_t *diff_json_text(const char *s)
{
	return s == NULL ? json_null() : report_doc_take_text(diff_visible(s));
}

static json_t *diff_json_severity(enum finding_severity sev)
{
	return json_string(sev < SEVERITY_COUNT ? severity_name(sev) : "never");
}

/* host and port; for a domain of domain mode also "domain": true (its name is the host). */
static int diff_json_put_service(json_t *o, const struct baseline_target *t)
{
	int failed = report_doc_put(o, "host", diff_json_text(t->host));
	failed |= report_doc_put(o, "port", json_integer(t->port));
	if (t->domain)
		failed |= report_doc_put(o, "domain", json_true());
	return failed;
}

static json_t *diff_json_entry(const struct baseline_entry *e)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "id", diff_json_text(e->finding->id));
	failed |= diff_json_put_service(o, e->target);
	failed |= report_doc_put(o, "fingerprint", diff_json_text(e->finding->fingerprint));
	failed |= report_doc_put(o, "title", diff_json_text(e->finding->title));
	failed |= report_doc_put(o, "severity", diff_json_severity(e->finding->severity));
	return report_doc_finish(o, failed);
}

static json_t *diff_json_entries(const struct baseline_entry *list, size_t n)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < n; i++)
		failed |= report_doc_push(array, diff_json_entry(&list[i]));
	return report_doc_finish(array, failed);
}

static json_t *diff_json_fingerprints(const struct baseline_entry *list, size_t n)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < n; i++)
		failed |= report_doc_push(array, diff_json_text(list[i].finding->fingerprint));
	return report_doc_finish(array, failed);
}

static json_t *diff_json_changes(const struct baseline_diff *d)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < d->nchanges; i++) {
		const struct baseline_change *c = &d->changes[i];
		json_t *o = json_object();
		int item_failed = 0;
		item_failed |= report_doc_put(o, "host", diff_json_text(c->target->host));
		item_failed |= report_doc_put(o, "port", json_integer(c->target->port));
		item_failed |= report_doc_put(o, "fact", json_string(baseline_fact_name(c->fact)));
		item_failed |= report_doc_put(o, "before", diff_json_text(c->before));
		item_failed |= report_doc_put(o, "after", diff_json_text(c->after));
		failed |= report_doc_push(array, report_doc_finish(o, item_failed));
	}
	return report_doc_finish(array, failed);
}

static json_t *diff_json_unverified(const struct baseline_diff *d)
{
	json_t *array = json_array();
	int failed = array == NULL;
	for (size_t i = 0; !failed && i < d->nunverified; i++) {
		const struct baseline_target *t = d->unverified[i];
		json_t *o = json_object();
		int item_failed = 0;
		item_failed |= diff_json_put_service(o, t);
		item_failed |= report_doc_put(o, "findings", report_doc_count(t->nfindings));
		failed |= report_doc_push(array, report_doc_finish(o, item_failed));
	}
	return report_doc_finish(array, failed);
}

json_t *report_diff_baseline_object(const struct baseline_diff *d,
                                    const struct report_diff_source *src)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "file", diff_json_text(src->baseline));
	failed |= report_doc_put(o, "new", diff_json_fingerprints(d->added, d->nadded));
	failed |= report_doc_put(o, "resolved", diff_json_entries(d->resolved, d->nresolved));
	failed |= report_doc_put(o, "changes", diff_json_changes(d));
	failed |= report_doc_put(o, "unverified", diff_json_unverified(d));
	return report_doc_finish(o, failed);
}

static json_t *diff_json_summary(const struct baseline_diff *d,
                                 const struct report_diff_source *src)
{
	json_t *o = json_object();
	int failed = 0;
	failed |= report_doc_put(o, "new", report_doc_count(d->nadded));
	failed |= report_doc_put(o, "unchanged", report_doc_count(d->nunchanged));
	failed |= report_doc_put(o, "resolved", report_doc_count(d->nresolved));
	failed |= report_doc_put(o, "changes", report_doc_count(d->nchanges));
	failed |= report_doc_put(o, "unverified", report_doc_count(d->nunverified));
	failed |= report_doc_put(o, "new_at_or_above_fail_on",
	                         report_doc_count(baseline_count_new_at_least(d, src->fail_on)));
	return report_doc_finish(o, failed);
}

int report_diff_json(FILE *out, const struct baseline_diff *d, const struct report_diff_source *src)
{
	json_t *root = json_object();
	int failed = 0;
	failed |= report_doc_put(root, "schema_version", json_string(REPORT_DIFF_SCHEMA_VERSION));
	failed |= report_doc_put(root, "baseline", diff_json_text(src->baseline));
	failed |= report_doc_put(root, "current", diff_json_text(src->current));
	failed |= report_doc_put(root, "fail_on", diff_json_severity(src->fail_on));
	failed |= report_doc_put(root, "summary", diff_json_summary(d, src));
	failed |= report_doc_put(root, "new", diff_json_entries(d->added, d->nadded));
	failed |= report_doc_put(root, "unchanged", diff_json_entries(d->unchanged, d->nunchanged));
	failed |= report_doc_put(root, "resolved", diff_json_entries(d->resolved, d->nresolved));
	failed |= report_doc_put(root, "changes", diff_json_changes(d));
	failed |= report_doc_put(root, "unverified", diff_json_unverified(d));
	return report_doc_write_document(out, report_doc_finish(root, failed));
}
