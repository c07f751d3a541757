/*
 * NAME
 *	dane - TLSA records (RFC 6698, 7671, 7672) against the chain an MX host presents
 *
 * SUMMARY
 *	struct dane_match m;
 *	struct dns_findings found = {0};
 *	dane_judge("mx1.example.org", rrs, nrrs, ad_bit, chain, nchain, &m, &found);
 *
 * DESCRIPTION
 *	The caller gives the TLSA records of _25._tcp.<mx host> (usage,
 *	selector, matching type, data), whether the resolver marked that
 *	answer authenticated (the AD bit of a validating resolver), and the
 *	certificates the host presented after STARTTLS, leaf first, as DER.
 *
 *	A record is usable for SMTP when its usage is DANE-TA (2) or
 *	DANE-EE (3), its selector Cert (0) or SPKI (1), its matching type
 *	Full (0), SHA2-256 (1) or SHA2-512 (2), and its data has the
 *	matching type's length (32 or 64 bytes for the digests, not empty
 *	for Full). PKIX-TA (0) and PKIX-EE (1) are unusable: RFC 7672
 *	section 3.1.3 tells SMTP clients to ignore them.
 *
 *	What dane_match() checks, precisely: a DANE-EE record matches when
 *	its selected content of the leaf (the whole DER certificate, or its
 *	SubjectPublicKeyInfo as encoded in the certificate) is, or hashes
 *	to, the record's data. A DANE-TA record matches when the same holds
 *	for some certificate after the leaf in the presented chain. It does
 *	not check that the chain from the leaf up to that trust anchor
 *	verifies (signatures, validity, constraints), nor the leaf's names
 *	against the MX host (RFC 7672 section 3.2.3), nor a DANE-TA key
 *	that is published in full (2 1 0) but absent from the chain: those
 *	need a certificate verification with the matched anchor, which is
 *	the TLS layer's work. Expiry is ignored for DANE-EE as RFC 7671
 *	section 5.1 says. A certificate that does not parse can still match
 *	selector Cert, never SPKI.
 *
 *	dane_judge() reports, each with the DNSSEC status and the records as
 *	evidence: records not validated by DNSSEC (DNS_DANE_NOT_VALIDATED:
 *	senders ignore them); unusable records (DNS_DANE_UNUSABLE, saying
 *	why each one is, and whether any usable one is left); usable records
 *	of which none matches the presented chain (DNS_DANE_MISMATCH, with
 *	the SHA-256 of each presented certificate and its SubjectPublicKeyInfo
 *	so the operator can compare). No records means no DANE: nothing is
 *	reported. Without a chain (nchain 0) matching is not judged.
 *
 * DIAGNOSTICS
 *	0 or SA_ERROR_NOMEM.
 */
#ifndef DANE_H
#define DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_findings.h"

enum dane_usage {
	DANE_USAGE_PKIX_TA = 0,
	DANE_USAGE_PKIX_EE = 1,
	DANE_USAGE_DANE_TA = 2,
	DANE_USAGE_DANE_EE = 3,
};

enum dane_selector {
	DANE_SELECTOR_CERT = 0,
	DANE_SELECTOR_SPKI = 1,
};

enum dane_matching {
	DANE_MATCHING_FULL = 0,
	DANE_MATCHING_SHA256 = 1,
	DANE_MATCHING_SHA512 = 2,
};

struct dane_tlsa {
	uint8_t usage, selector, matching;
	const unsigned char *data;
	size_t len;
};

struct dane_cert {
	const unsigned char *der;
	size_t len;
};

enum dane_verdict {
	DANE_VERDICT_MATCH,     /* a usable record matches */
	DANE_VERDICT_MISMATCH,  /* usable records exist, none matches */
	DANE_VERDICT_NO_USABLE, /* no record is usable for SMTP */
};

struct dane_match {
	enum dane_verdict verdict;
	size_t record; /* MATCH: index of the first matching record */
	size_t depth;  /* MATCH: chain index of the certificate it matched */
	size_t usable; /* records usable for SMTP */
};

/* Why r is unusable for SMTP, or NULL when it is usable. */
const char *dane_unusable_reason(const struct dane_tlsa *r);

int dane_match(const struct dane_tlsa *rrs, size_t nrrs, const struct dane_cert *chain,
               size_t nchain, struct dane_match *out);

/* result may be NULL; it is filled when nchain > 0. */
int dane_judge(const char *host, const struct dane_tlsa *rrs, size_t nrrs, bool dnssec_validated,
               const struct dane_cert *chain, size_t nchain, struct dane_match *result,
               struct dns_findings *out);

#endif
