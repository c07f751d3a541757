/*
 * NAME
 *	dns_findings - the findings a mail DNS posture check produces
 *
 * SUMMARY
 *	struct dns_findings out = {0};
 *	spf_judge(domain, txt, ntxt, lookup, arg, &report, &out);
 *	for (size_t i = 0; i < out.n; i++) target_result_take_finding(t, &out.items[i]);
 *	out.n = 0;
 *	dns_findings_free(&out);
 *
 * DESCRIPTION
 *	The DNS judges (spf, dmarc, mta_sts, tls_rpt, dane) share this one
 *	way of reporting: each appends findings to a list the caller owns,
 *	each finding with a detail line saying what exactly is wrong and
 *	evidence items quoting the records (EVIDENCE_RECEIVED, "TXT name:
 *	text") and the judge's remarks (EVIDENCE_NOTE). The caller moves
 *	the findings into its result (setting n to 0 afterwards) or frees
 *	the list. A list holds at most DNS_FINDINGS_MAX findings; more are
 *	counted in dropped, so hostile records cannot grow it without bound.
 *
 * DIAGNOSTICS
 *	0 or SA_ERROR_NOMEM. After a failure the list is still valid and
 *	dns_findings_free() releases it.
 */
#ifndef DNS_FINDINGS_H
#define DNS_FINDINGS_H

#include <stdarg.h>
#include <stddef.h>

#include "finding.h"

#define DNS_FINDINGS_MAX 128

struct dns_findings {
	struct finding *items;
	size_t n, cap;
	size_t dropped;
};

void dns_findings_free(struct dns_findings *list);

/*
 * Appends a finding of id (variant may be NULL) with a printf-style detail
 * line. *added (when added is not NULL) points to the new finding for
 * evidence, or is NULL when the list is full and the finding was counted.
 */
int dns_findings_add(struct dns_findings *list, struct finding **added, enum catalog_id id,
                     const char *variant, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

int dns_findings_addv(struct dns_findings *list, struct finding **added, enum catalog_id id,
                      const char *variant, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Moves f into the list (f is zeroed; counted and freed when the list is full). */
int dns_findings_take(struct dns_findings *list, struct finding *f);

/* Adds a printf-style evidence item to f; nothing when f is NULL (a counted finding). */
int dns_findings_evidence(struct finding *f, enum evidence_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The first finding of id in list, or NULL. */
const struct finding *dns_findings_find(const struct dns_findings *list, enum catalog_id id);

#endif
