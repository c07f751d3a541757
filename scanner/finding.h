/*
 * NAME
 *	finding - one reported problem with its evidence
 *
 * DESCRIPTION
 *	A finding names a catalogue entry (catalog.h: severity, text,
 *	remediation), an optional variant that distinguishes several findings
 *	of the same id on one target (part of the fingerprint, so keep it
 *	short and stable: "PLAIN", "percent-hack"), a one-line detail of what
 *	exactly was seen, and evidence: the commands sent and replies received,
 *	and notes. Evidence text is stored as it came from the wire (NUL-free,
 *	possibly not UTF-8, possibly with escape sequences); writers escape it.
 *	Evidence is bounded per finding; items past the bound are counted.
 */
#ifndef FINDING_H
#define FINDING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "smtp_reply.h"

#define FINDING_MAX_EVIDENCE 256

enum evidence_kind {
	EVIDENCE_SENT,     /* a command line the scanner sent */
	EVIDENCE_RECEIVED, /* one reply line the server sent, code included */
	EVIDENCE_NOTE,     /* the scanner's remark */
};

struct evidence {
	enum evidence_kind kind;
	char *text;
};

struct finding {
	enum catalog_id id;
	char *variant;             /* NULL or short stable discriminator */
	char *detail;              /* NULL or one line */
	struct evidence *evidence;
	size_t nevidence, evidence_cap;
	size_t evidence_dropped;
};

/* Returns 0 or SA_ERROR_NOMEM. variant may be NULL. */
int finding_init(struct finding *f, enum catalog_id id, const char *variant);
void finding_free(struct finding *f);

/* Replaces the detail line. */
int finding_set_detail(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int finding_set_detailv(struct finding *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

int finding_add_evidence(struct finding *f, enum evidence_kind kind, const char *text);

/* Adds "command" as SENT (unless NULL, e.g. for a greeting) and each reply line as RECEIVED ("250-...", "250 ..."). */
int finding_add_exchange(struct finding *f, const char *command, const struct smtp_reply *reply);

/* Severity from the catalogue. */
enum finding_severity finding_severity(const struct finding *f);

/* Deep copy. */
int finding_copy(struct finding *dst, const struct finding *src);

/* Orders findings: severity (worst first), public id, variant. */
int finding_compare(const struct finding *a, const struct finding *b);

#endif
