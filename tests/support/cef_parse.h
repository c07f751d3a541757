/*
 * NAME
 *	cef_parse - read a CEF:0 event line back, for tests of what was written
 *
 * SUMMARY
 *	struct cef_event ev;
 *	cr_assert_eq(cef_parse(line, &ev), 0);
 *	ev.header[CEF_HEADER_SIGNATURE] ... cef_event_get(&ev, "dpt") ...
 *	cef_event_free(&ev);
 *
 * DESCRIPTION
 *	A strict reader of the ArcSight rules: the header must have its seven
 *	fields with only \\ and \| as escapes; extension keys are
 *	alphanumeric, a value ends where " key=" starts, and its only escapes
 *	are \\, \=, \n and \r. Values come back unescaped.
 *
 * DIAGNOSTICS
 *	cef_parse() returns 0, or SA_ERROR_PARSE for a line that breaks
 *	those rules (nothing to free then), or SA_ERROR_NOMEM.
 */
#ifndef CEF_PARSE_H
#define CEF_PARSE_H

#include <stddef.h>

#define CEF_MAX_EXTENSIONS 32

enum cef_header {
	CEF_HEADER_VERSION, /* "CEF:0" */
	CEF_HEADER_VENDOR,
	CEF_HEADER_PRODUCT,
	CEF_HEADER_DEVICE_VERSION,
	CEF_HEADER_SIGNATURE,
	CEF_HEADER_NAME,
	CEF_HEADER_SEVERITY,
	CEF_HEADER_COUNT
};

struct cef_extension {
	char *key;
	char *value;
};

struct cef_event {
	char *header[CEF_HEADER_COUNT];
	struct cef_extension ext[CEF_MAX_EXTENSIONS];
	size_t next;
};

int cef_parse(const char *line, struct cef_event *ev);

/* The unescaped value of key, NULL when the event has none. */
const char *cef_event_get(const struct cef_event *ev, const char *key);

void cef_event_free(struct cef_event *ev);

#endif
