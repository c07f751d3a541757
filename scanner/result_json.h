/*
 * NAME
 *	result_json - a target result to and from its -o json form
 *
 * DESCRIPTION
 *	result_json_target() gives the object -o json writes for a target
 *	(an element of the report's "targets"), made by the JSON writer
 *	itself, so there is one serializer. result_json_load() rebuilds a
 *	struct target_result from such an object, for --resume and
 *	"smtp-audit merge": every report format can then be written from
 *	it as if the target had been scanned in this run. A target's
 *	"domains" (domain mode) are read back when present.
 *	result_json_load_domain() does the same for an element of the
 *	report's "domains".
 *
 *	Server text in the report is escape_visible() text; loading
 *	reverses the escaping, so writing the loaded result escapes it
 *	exactly once again and the output is byte for byte the same. What
 *	the JSON form does not hold is not restored: the greeting's reply
 *	code (0 unless the caller knows it) and how sure the software
 *	guess was.
 *
 * DIAGNOSTICS
 *	result_json_load() returns SA_ERROR_PARSE with err naming the
 *	member and the problem ("findings[2].id: unknown finding
 *	'SMTP-XYZ-001'"), or SA_ERROR_NOMEM. result_json_target() returns
 *	NULL when memory runs out.
 */
#ifndef RESULT_JSON_H
#define RESULT_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "result.h"

/* The report's object for t (a new reference), or NULL. */
json_t *result_json_target(const struct target_result *t);

/* A new target result from a report's target object. */
int result_json_load(const json_t *obj, struct target_result **out, char *err, size_t errlen);

/*
 * Domain mode: a new domain result from an element of the report's
 * "domains" (the JSON writer's form, read the same way as a target).
 */
int result_json_load_domain(const json_t *obj, struct domain_result **out, char *err,
                            size_t errlen);

/* escape_visible() reversed into a new string; SA_ERROR_PARSE for a bad escape or a NUL byte. */
int result_json_unescape(const char *s, char **out);

/* Unix milliseconds from the report's "2023-11-14T22:13:23.250Z" (or whole seconds). */
int result_json_time(const char *text, int64_t *ms);

#endif
