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
 *	catalog.c or the catalog_<family>.inc fragment it includes for that
 *	probe family; the catalogue test fails until both exist.
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
	X(AUTH_SENDER_SPOOFING, "SMTP-AUTH-009")                                                   \
	X(HELO_INVALID_ACCEPTED, "SMTP-HELO-001")                                                  \
	X(HELO_IMPERSONATION_ACCEPTED, "SMTP-HELO-002")                                            \
	X(TLS_STARTTLS_MISSING, "SMTP-TLS-001")                                                    \
	X(TLS_STARTTLS_BROKEN, "SMTP-TLS-002")                                                     \
	X(TLS_NOT_ENFORCED, "SMTP-TLS-003")                                                        \
	X(TLS_IMPLICIT_BROKEN, "SMTP-TLS-004")                                                     \
	X(TLS_CAPS_CHANGED, "SMTP-TLS-005")                                                        \
	X(TLS_LEGACY_PROTOCOL, "SMTP-TLS-010")                                                     \
	X(TLS_WEAK_CIPHER, "SMTP-TLS-011")                                                         \
	X(TLS_CBC_ONLY, "SMTP-TLS-012")                                                            \
	X(TLS_NO_FORWARD_SECRECY, "SMTP-TLS-013")                                                  \
	X(TLS_NO_MODERN_PROTOCOL, "SMTP-TLS-014")                                                  \
	X(TLS_PARAMETERS, "SMTP-TLS-015")                                                          \
	X(TLS_STARTTLS_INJECTION, "SMTP-TLS-020")                                                  \
	X(TLS_DATA_BEFORE_HANDSHAKE, "SMTP-TLS-021")                                               \
	X(CERT_UNTRUSTED, "SMTP-CERT-001")                                                         \
	X(CERT_EXPIRED, "SMTP-CERT-002")                                                           \
	X(CERT_NOT_YET_VALID, "SMTP-CERT-003")                                                     \
	X(CERT_EXPIRING, "SMTP-CERT-004")                                                          \
	X(CERT_NAME_MISMATCH, "SMTP-CERT-005")                                                     \
	X(CERT_SELF_SIGNED, "SMTP-CERT-006")                                                       \
	X(CERT_WEAK_KEY, "SMTP-CERT-007")                                                          \
	X(CERT_WEAK_SIGNATURE, "SMTP-CERT-008")                                                    \
	X(ENUM_VRFY, "SMTP-ENUM-001")                                                              \
	X(ENUM_EXPN, "SMTP-ENUM-002")                                                              \
	X(ENUM_RCPT, "SMTP-ENUM-003")                                                              \
	X(EXPOSE_SOFTWARE_VERSION, "SMTP-EXPOSE-001")                                              \
	X(EXPOSE_RISKY_EXTENSION, "SMTP-EXPOSE-002")                                               \
	X(EXPOSE_SIZE_LIMIT, "SMTP-EXPOSE-003")                                                    \
	X(EXPOSE_PIPELINING_BROKEN, "SMTP-EXPOSE-004")                                             \
	X(EXPOSE_XCLIENT_ACCEPTED, "SMTP-EXPOSE-005")                                              \
	X(DNS_SPF_MISSING, "SMTP-DNS-001")                                                         \
	X(DNS_SPF_INVALID, "SMTP-DNS-002")                                                         \
	X(DNS_SPF_PASS_ALL, "SMTP-DNS-003")                                                        \
	X(DNS_SPF_NEUTRAL_ALL, "SMTP-DNS-004")                                                     \
	X(DNS_SPF_TOO_MANY_LOOKUPS, "SMTP-DNS-005")                                                \
	X(DNS_DMARC_MISSING, "SMTP-DNS-010")                                                       \
	X(DNS_DMARC_INVALID, "SMTP-DNS-011")                                                       \
	X(DNS_DMARC_POLICY_NONE, "SMTP-DNS-012")                                                   \
	X(DNS_DMARC_PCT_PARTIAL, "SMTP-DNS-013")                                                   \
	X(DNS_DMARC_NO_RUA, "SMTP-DNS-014")                                                        \
	X(DNS_DMARC_SUBDOMAIN_NONE, "SMTP-DNS-015")                                                \
	X(DNS_DMARC_RUA_INVALID, "SMTP-DNS-016")                                                   \
	X(DNS_STS_MISSING, "SMTP-DNS-020")                                                         \
	X(DNS_STS_RECORD_INVALID, "SMTP-DNS-021")                                                  \
	X(DNS_STS_POLICY_UNAVAILABLE, "SMTP-DNS-022")                                              \
	X(DNS_STS_POLICY_INVALID, "SMTP-DNS-023")                                                  \
	X(DNS_STS_MODE_WEAK, "SMTP-DNS-024")                                                       \
	X(DNS_STS_MAX_AGE_SHORT, "SMTP-DNS-025")                                                   \
	X(DNS_STS_MX_UNCOVERED, "SMTP-DNS-026")                                                    \
	X(DNS_STS_ID_CHANGED, "SMTP-DNS-027")                                                      \
	X(DNS_TLSRPT_MISSING, "SMTP-DNS-030")                                                      \
	X(DNS_TLSRPT_INVALID, "SMTP-DNS-031")                                                      \
	X(DNS_DANE_MISMATCH, "SMTP-DNS-040")                                                       \
	X(DNS_DANE_UNUSABLE, "SMTP-DNS-041")                                                       \
	X(DNS_DANE_NOT_VALIDATED, "SMTP-DNS-042")                                                  \
	X(DNS_MX_CNAME, "SMTP-DNS-050")                                                            \
	X(DNS_MX_IP_LITERAL, "SMTP-DNS-051")                                                       \
	X(DNS_MX_NO_FCRDNS, "SMTP-DNS-052")                                                        \
	X(DNS_MX_BANNER_MISMATCH, "SMTP-DNS-053")                                                  \
	X(DNS_MX_IMPLICIT, "SMTP-DNS-054")                                                         \
	X(DNS_MX_NULL, "SMTP-DNS-055")                                                             \
	X(DNS_MX_UNRESOLVABLE, "SMTP-DNS-056")                                                     \
	X(PASSIVE_CLEARTEXT_CREDENTIALS, "SMTP-PASSIVE-001")                                       \
	X(PASSIVE_AUTH_ADVERTISED_CLEARTEXT, "SMTP-PASSIVE-002")                                   \
	X(PASSIVE_CLIENT_IGNORED_STARTTLS, "SMTP-PASSIVE-003")                                     \
	X(PASSIVE_STARTTLS_REFUSED, "SMTP-PASSIVE-004")                                            \
	X(PASSIVE_TLS_LEGACY_PROTOCOL, "SMTP-PASSIVE-005")                                         \
	X(PASSIVE_TLS_WEAK_CIPHER, "SMTP-PASSIVE-006")                                             \
	X(PASSIVE_RELAY_OBSERVED, "SMTP-PASSIVE-007")                                              \
	X(PASSIVE_CLIENT_SEEN, "SMTP-PASSIVE-008")                                                 \
	X(PASSIVE_TLS_SEEN, "SMTP-PASSIVE-009")

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
