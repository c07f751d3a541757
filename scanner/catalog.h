/*
 * NAME
 *	catalog - every finding smtp-audit can report
 *
 * DESCRIPTION
 *	One table holds every finding: a stable public id (SIEM rules key on
 *	it; an id never changes meaning and is never reused), severity, title,
 *	description, generic remediation, advice per mail server software
 *	(chosen by the mta fingerprint), and references (RFCs, CVEs). Probes
 *	refer to entries by enum catalog_id and contain no prose. A unit test
 *	checks that every entry has complete text.
 *
 *	To add a finding: add a line to CATALOG_MAP and its entry in
 *	catalog.c; the build fails until both exist.
 */
#ifndef CATALOG_H
#define CATALOG_H

#include <stdbool.h>

#include "mta.h"

enum finding_severity {
	SEVERITY_INFO,
	SEVERITY_LOW,
	SEVERITY_MEDIUM,
	SEVERITY_HIGH,
	SEVERITY_CRITICAL,
	SEVERITY_COUNT
};

/* X(enum suffix, public id) */
#define CATALOG_MAP(X)                                                                             \
	X(RELAY_OPEN, "SMTP-RELAY-001")                                                            \
	X(RELAY_ADDRESS_TRICK, "SMTP-RELAY-002")                                                   \
	X(RELAY_SUSPECTED, "SMTP-RELAY-003")                                                       \
	X(RELAY_CANARY_DELIVERED, "SMTP-RELAY-004")                                                \
	X(AUTH_CLEARTEXT_SUBMISSION, "SMTP-AUTH-001")                                              \
	X(AUTH_CLEARTEXT_MX, "SMTP-AUTH-002")                                                      \
	X(AUTH_ADVERTISED_CLEARTEXT, "SMTP-AUTH-003")                                              \
	X(AUTH_ANONYMOUS_ADVERTISED, "SMTP-AUTH-004")                                              \
	X(AUTH_ANONYMOUS_ACCEPTED, "SMTP-AUTH-005")                                                \
	X(AUTH_ANONYMOUS_RELAY, "SMTP-AUTH-006")                                                   \
	X(AUTH_WEAK_CHALLENGE, "SMTP-AUTH-007")                                                    \
	X(AUTH_NTLM_DISCLOSURE, "SMTP-AUTH-008")                                                   \
	X(HELO_INVALID_ACCEPTED, "SMTP-HELO-001")                                                  \
	X(HELO_IMPERSONATION_ACCEPTED, "SMTP-HELO-002")

enum catalog_id {
#define CATALOG_ENUM(name, public_id) CATALOG_##name,
	CATALOG_MAP(CATALOG_ENUM)
#undef CATALOG_ENUM
	CATALOG_COUNT
};

struct catalog_entry {
	const char *public_id;        /* "SMTP-RELAY-001" */
	enum finding_severity severity;
	const char *title;            /* one line, no trailing period */
	const char *description;      /* what it is and why it matters */
	const char *remediation;      /* what to do, whatever the software */
	const char *advice[MTA_COUNT]; /* per software; [MTA_UNKNOWN] unused (NULL) */
	const char *references;       /* "RFC 5321 section 3.9; CVE-2011-0411" */
};

const struct catalog_entry *catalog_get(enum catalog_id id);

/* The advice for mta when there is one, else the generic remediation. */
const char *catalog_advice(enum catalog_id id, enum mta mta);

/* Finds an entry by public id; false when unknown. */
bool catalog_lookup(const char *public_id, enum catalog_id *out);

const char *severity_name(enum finding_severity sev);   /* "info" ... "critical" */
bool severity_parse(const char *text, enum finding_severity *out);

#endif
