/*
 * NAME
 *	baseline - compare a scan with an earlier JSON report
 *
 * DESCRIPTION
 *	A report is reduced to a compact comparable form: per target (host,
 *	port, address, completed or not) its host facts as text and its
 *	findings (id, fingerprint, title, severity). The form comes either
 *	from a JSON report on disk (baseline_load, validated member by
 *	member) or from a finished scan (baseline_from_scan, with the same
 *	escaping the JSON writer applies), so one function, baseline_compare,
 *	serves both --baseline and "smtp-audit diff".
 *
 *	A current finding is NEW when its fingerprint is absent from the old
 *	report, else UNCHANGED. An old finding is RESOLVED only when its
 *	host and port were scanned again and completed; when they were not
 *	scanned or failed now, nothing is known about it, and the target is
 *	listed as UNVERIFIED instead. Host facts are compared for targets
 *	that completed both times. Domains (domain mode) are compared the
 *	same way, as targets flagged domain (a failed lookup is "not
 *	completed").
 *
 *	A struct baseline_diff borrows from both reports: free it first.
 *
 * DIAGNOSTICS
 *	baseline_load() and baseline_parse() return SA_ERROR_IO when the file
 *	cannot be read, SA_ERROR_PARSE for invalid JSON or a member of the
 *	wrong type or range (err names the file, the position or the member,
 *	and the problem), SA_ERROR_TOOBIG for a file over BASELINE_MAX_BYTES,
 *	SA_ERROR_NOMEM when memory runs out.
 */
#ifndef BASELINE_H
#define BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "result.h"

/* A JSON report larger than this is refused rather than loaded. */
#define BASELINE_MAX_BYTES (256u * 1024 * 1024)

#define BASELINE_FACT_MAP(X)                                                                       \
	X(CERTIFICATE, "certificate")                                                              \
	X(TLS_VERSION, "tls-version")                                                              \
	X(TLS_CIPHERSUITE, "tls-ciphersuite")                                                      \
	X(BANNER, "banner")                                                                        \
	X(CAPS_PLAIN, "capabilities-plaintext")                                                    \
	X(CAPS_TLS, "capabilities-tls")                                                            \
	X(SOFTWARE, "software")

enum baseline_fact {
#define BASELINE_FACT_ENUM(name, text) BASELINE_FACT_##name,
	BASELINE_FACT_MAP(BASELINE_FACT_ENUM)
#undef BASELINE_FACT_ENUM
	    BASELINE_FACT_COUNT
};

const char *baseline_fact_name(enum baseline_fact fact);

struct baseline_finding {
	char *id;          /* public id, "SMTP-RELAY-001" */
	char *fingerprint; /* result_fingerprint() */
	char *title;
	enum finding_severity severity;
};

struct baseline_target {
	bool domain;   /* a mail domain (domain mode): host is the domain, port 0, no facts */
	char *host;
	char *address; /* NULL when unresolved */
	uint16_t port;
	bool completed;
	char *facts[BASELINE_FACT_COUNT]; /* escaped text; NULL when not observed */
	char *mta_sts_id; /* domain: the id of its _mta-sts record then; NULL without */
	struct baseline_finding *findings;
	size_t nfindings;
};

struct baseline_report {
	struct baseline_target *targets;
	size_t ntargets;
};

/* One finding of one target, borrowed from a report. */
struct baseline_entry {
	const struct baseline_target *target;
	const struct baseline_finding *finding;
};

struct baseline_change {
	const struct baseline_target *target; /* the current one */
	enum baseline_fact fact;
	const char *before, *after; /* NULL when not observed */
};

struct baseline_diff {
	struct baseline_entry *added, *unchanged, *resolved;
	size_t nadded, nunchanged, nresolved;
	const char **added_sorted; /* the nadded new fingerprints, sorted for bsearch */
	struct baseline_change *changes;
	size_t nchanges;
	/* Old targets with findings that were not scanned again or failed now. */
	const struct baseline_target **unverified;
	size_t nunverified;
};

/* Reads and validates a JSON report (smtp-audit-report.schema.json). */
int baseline_load(struct baseline_report *r, const char *path, char *err, size_t errlen);

/* The same from text in memory; name is used in messages. */
int baseline_parse(struct baseline_report *r, const char *name, const char *text, size_t len,
                   char *err, size_t errlen);

/* The comparable form of a sorted scan; 0 or SA_ERROR_NOMEM. */
int baseline_from_scan(struct baseline_report *r, const struct scan_result *scan);

void baseline_report_free(struct baseline_report *r);

/* Compares cur against old; 0 or SA_ERROR_NOMEM. */
int baseline_compare(struct baseline_diff *d, const struct baseline_report *old,
                     const struct baseline_report *cur);

/* True when a current finding's fingerprint is new. */
bool baseline_is_new(const struct baseline_diff *d, const char *fingerprint);

/* New findings at or above min (none for SEVERITY_COUNT, "never"). */
size_t baseline_count_new_at_least(const struct baseline_diff *d, enum finding_severity min);

void baseline_diff_free(struct baseline_diff *d);

/* --baseline in a scan: the loaded report, the scan's form, their comparison. */
struct baseline_run {
	bool active; /* a baseline was given */
	struct baseline_report old, cur;
	struct baseline_diff diff;
};

/* Loads path (nothing to do for NULL); on failure err says why. */
int baseline_run_open(struct baseline_run *run, const char *path, char *err, size_t errlen);

/* Compares the sorted scan with the baseline; 0 or SA_ERROR_NOMEM. */
int baseline_run_compare(struct baseline_run *run, const struct scan_result *scan);

/* The MTA-STS policy id the baseline saw for domain, or NULL (no baseline, no such domain, no id). */
const char *baseline_run_mta_sts_id(const struct baseline_run *run, const char *domain);

/* The comparison (empty before baseline_run_compare), or NULL without a baseline. */
const struct baseline_diff *baseline_run_diff(const struct baseline_run *run);

void baseline_run_close(struct baseline_run *run);

#endif
