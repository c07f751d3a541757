/*
 * NAME
 *	report - the registry of output writers, and writing a finished scan
 *
 * DESCRIPTION
 *	Every writer is listed here and nowhere else; the first one is the
 *	default (-o text).
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "sa_error.h"

extern const struct report_writer report_text;
extern const struct report_writer report_json;
extern const struct report_writer report_ndjson;
extern const struct report_writer report_ocsf;
extern const struct report_writer report_html;
extern const struct report_writer report_cef;

static const struct report_writer *const report_table[] = {
    &report_text,
    &report_json,
    &report_ndjson,
    &report_ocsf,
    &report_html,
    &report_cef,
};

#define REPORT_COUNT (sizeof(report_table) / sizeof(report_table[0]))

const struct report_writer *report_find(const char *name)
{
	for (size_t i = 0; i < REPORT_COUNT; i++)
		if (strcmp(report_table[i]->name, name) == 0)
			return report_table[i];
	return NULL;
}

const struct report_writer *const *report_writers(size_t *count)
{
	*count = REPORT_COUNT;
	return report_table;
}

int report_write_finished(const struct report_writer *w, const struct report_options *opt,
			  const struct scan_result *scan)
{
	int rc = w->begin != NULL ? w->begin(opt, scan) : 0;
	for (size_t i = 0; rc == 0 && w->target != NULL && i < scan->ntargets; i++)
		rc = w->target(opt, scan->targets[i]);
	if (rc == 0 && w->end != NULL)
		rc = w->end(opt, scan);
	if (rc == 0 && fflush(opt->out) != 0)
		rc = SA_ERROR_IO;
	return rc;
}
