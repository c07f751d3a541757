/*
 * NAME
 *	domain_result - what domain mode learned about one mail domain
 *
 * DESCRIPTION
 *	For each --domain the engine records how its mail is routed (the MX
 *	records in preference order, the implicit MX of RFC 5321 section
 *	5.1 when there is none, or the null MX of RFC 7505), whether the MX
 *	answer was authenticated by DNSSEC (the validating resolver's AD
 *	bit), the mail DNS records it read (SPF, DMARC, MTA-STS, TLS-RPT)
 *	and the posture findings of the domain itself (SMTP-DNS-0xx).
 *
 *	Findings about one MX host (DANE, reverse DNS, banner name) belong
 *	to that host's target results, which name the domains they serve
 *	(target_result.domains), so a host shared by several domains is
 *	scanned once and reported once.
 *
 *	Report writers only read these structures. All text is stored as it
 *	came from DNS or HTTPS; writers escape it.
 */
#ifndef DOMAIN_RESULT_H
#define DOMAIN_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include "dns_findings.h"

#define DOMAIN_ROUTE_MAP(X)                                                                        \
	X(MX, "mx")             /* MX records name the mail hosts */                               \
	X(IMPLICIT, "implicit") /* no MX: the domain's own A/AAAA (RFC 5321 5.1) */                \
	X(NULL_MX, "null-mx")   /* "MX 0 ." : the domain accepts no mail (RFC 7505) */             \
	X(NONE, "none")         /* neither MX nor address: mail cannot be delivered */             \
	X(FAILED, "failed")     /* the lookup failed (timeout, SERVFAIL, NXDOMAIN) */

enum domain_route {
#define DOMAIN_ROUTE_ENUM(name, text) DOMAIN_ROUTE_##name,
	DOMAIN_ROUTE_MAP(DOMAIN_ROUTE_ENUM)
#undef DOMAIN_ROUTE_ENUM
	    DOMAIN_ROUTE_COUNT
};

struct domain_mx {
	unsigned preference; /* 0..65535; the implicit MX has 0 */
	char *host;          /* exchange, lower case, no trailing dot */
	char **addresses;    /* numeric text, as resolved; may be empty */
	size_t naddresses;
	char *error; /* why the host did not resolve; NULL when it did */
};

/* A DNS record the checks read, kept as evidence of the domain's posture. */
struct domain_record {
	char *name; /* owner: "_dmarc.example.org" */
	char *type; /* "TXT", "MX", "HTTPS" (the MTA-STS policy) */
	char *text; /* record text or policy body */
};

struct domain_result {
	char *domain; /* lower case, no trailing dot */
	enum domain_route route;
	char *error;          /* FAILED: the resolver's reason; NULL otherwise */
	bool dnssec;          /* the MX answer carried the AD bit */
	struct domain_mx *mx; /* preference order, ties in answer order */
	size_t nmx;
	struct domain_record *records;
	size_t nrecords;
	char *mta_sts_id; /* id of the _mta-sts record; NULL without one */
	struct dns_findings findings;
	int64_t started_ms, finished_ms; /* Unix milliseconds */
};

const char *domain_route_name(enum domain_route r);

/* A zeroed result for domain (copied), route FAILED until set. NULL when out of memory. */
struct domain_result *domain_result_new(const char *domain);
void domain_result_free(struct domain_result *d);

/* Appends an MX host (copied); 0 or SA_ERROR_NOMEM. */
int domain_result_add_mx(struct domain_result *d, unsigned preference, const char *host);

/* Appends a resolved address (copied) to mx. */
int domain_mx_add_address(struct domain_mx *mx, const char *address);

int domain_result_add_record(struct domain_result *d, const char *name, const char *type,
                             const char *text);

/* Worst finding severity, or -1 without findings. */
int domain_result_worst(const struct domain_result *d);

#endif
