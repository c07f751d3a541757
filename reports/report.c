/*
 * NAME
 *	report - the registry of output writers
 *
 * DESCRIPTION
 *	Every writer is listed here and nowhere else; the first one is the
 *	default (-o text).
 */
#include "report.h"

#include <string.h>

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
