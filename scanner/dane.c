/*
 * NAME
 *	dane - TLSA records (RFC 6698, 7671, 7672) against the chain an MX host presents
 *
 * DESCRIPTION
 *	Each presented certificate is parsed once with mbedTLS (only to find
 *	its SubjectPublicKeyInfo, whose encoding mbedTLS keeps as it was in
 *	the certificate) and compared with every usable record that applies
 *	at its depth. See dane.h for what is, and is not, checked.
 *
 * DIAGNOSTICS
 *	See dane.h.
 */
#include "dane.h"

#include <mbedtls/md.h>
#include <mbedtls/x509_crt.h>

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

#define DANE_SHA256_LEN 32
#define DANE_SHA512_LEN 64

const char *dane_unusable_reason(const struct dane_tlsa *r)
{
	if (r->usage == DANE_USAGE_PKIX_TA || r->usage == DANE_USAGE_PKIX_EE)
		return "usage PKIX-TA (0) and PKIX-EE (1) are not used for SMTP (RFC 7672 section "
		       "3.1.3)";
	if (r->usage > DANE_USAGE_DANE_EE)
		return "unknown certificate usage";
	if (r->selector > DANE_SELECTOR_SPKI)
		return "unknown selector";
	if (r->matching > DANE_MATCHING_SHA512)
		return "unknown matching type";
	if (r->matching == DANE_MATCHING_SHA256 && r->len != DANE_SHA256_LEN)
		return "a SHA2-256 digest must be 32 bytes";
	if (r->matching == DANE_MATCHING_SHA512 && r->len != DANE_SHA512_LEN)
		return "a SHA2-512 digest must be 64 bytes";
	if (r->len == 0)
		return "no data";
	return NULL;
}

static void dane_digest(mbedtls_md_type_t type, const unsigned char *content, size_t len,
                        unsigned char *out)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(type);
	assert(md != NULL);
	int rc = mbedtls_md(md, content, len, out);
	assert(rc == 0);
	(void)rc;
}

static bool dane_data_matches(const struct dane_tlsa *r, const unsigned char *content, size_t len)
{
	unsigned char digest[DANE_SHA512_LEN];
	switch ((enum dane_matching)r->matching) {
	case DANE_MATCHING_FULL:
		return r->len == len && memcmp(r->data, content, len) == 0;
	case DANE_MATCHING_SHA256:
		dane_digest(MBEDTLS_MD_SHA256, content, len, digest);
		return memcmp(r->data, digest, DANE_SHA256_LEN) == 0;
	case DANE_MATCHING_SHA512:
		dane_digest(MBEDTLS_MD_SHA512, content, len, digest);
		return memcmp(r->data, digest, DANE_SHA512_LEN) == 0;
	}
	assert(!"unusable records are never compared");
	return false;
}

/* The certificate at one depth: its DER, and its SPKI when it parsed. */
struct dane_presented {
	mbedtls_x509_crt crt;
	const unsigned char *der;
	size_t len;
	bool parsed;
};

static int dane_presented_init(struct dane_presented *p, const struct dane_cert *cert)
{
	mbedtls_x509_crt_init(&p->crt);
	p->der = cert->der;
	p->len = cert->len;
	int rc = mbedtls_x509_crt_parse_der(&p->crt, cert->der, cert->len);
	p->parsed = rc == 0;
	if (rc == MBEDTLS_ERR_X509_ALLOC_FAILED) {
		mbedtls_x509_crt_free(&p->crt);
		return SA_ERROR_NOMEM;
	}
	return 0;
}

static bool dane_record_matches(const struct dane_tlsa *r, const struct dane_presented *p)
{
	if (r->selector == DANE_SELECTOR_CERT)
		return dane_data_matches(r, p->der, p->len);
	return p->parsed && dane_data_matches(r, p->crt.pk_raw.p, p->crt.pk_raw.len);
}

/* DANE-EE applies to the leaf only, DANE-TA to every certificate after it. */
static bool dane_applies(const struct dane_tlsa *r, size_t depth)
{
	return r->usage == DANE_USAGE_DANE_EE ? depth == 0 : depth > 0;
}

/* The first usable record matching the certificate at depth, or nrrs. */
static size_t dane_match_depth(const struct dane_tlsa *rrs, size_t nrrs,
                               const struct dane_presented *p, size_t depth)
{
	for (size_t i = 0; i < nrrs; i++)
		if (dane_unusable_reason(&rrs[i]) == NULL && dane_applies(&rrs[i], depth) &&
		    dane_record_matches(&rrs[i], p))
			return i;
	return nrrs;
}

int dane_match(const struct dane_tlsa *rrs, size_t nrrs, const struct dane_cert *chain,
               size_t nchain, struct dane_match *out)
{
	*out = (struct dane_match){.verdict = DANE_VERDICT_MISMATCH};
	for (size_t i = 0; i < nrrs; i++)
		out->usable += dane_unusable_reason(&rrs[i]) == NULL;
	if (out->usable == 0) {
		out->verdict = DANE_VERDICT_NO_USABLE;
		return 0;
	}
	for (size_t depth = 0; depth < nchain; depth++) {
		struct dane_presented p;
		int rc = dane_presented_init(&p, &chain[depth]);
		if (rc < 0)
			return rc;
		size_t found = dane_match_depth(rrs, nrrs, &p, depth);
		mbedtls_x509_crt_free(&p.crt);
		if (found < nrrs) {
			out->verdict = DANE_VERDICT_MATCH;
			out->record = found;
			out->depth = depth;
			return 0;
		}
	}
	return 0;
}

/* ---- the judge ---- */

static char *dane_hex(const unsigned char *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *hex = malloc(2 * len + 1);
	if (hex == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[data[i] >> 4];
		hex[2 * i + 1] = digits[data[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return hex;
}

static int dane_record_evidence(struct finding *f, const char *host, const struct dane_tlsa *r)
{
	char *hex = dane_hex(r->data, r->len);
	if (hex == NULL)
		return SA_ERROR_NOMEM;
	int rc = dns_findings_evidence(f, EVIDENCE_RECEIVED, "TLSA _25._tcp.%s: %u %u %u %s", host,
	                               r->usage, r->selector, r->matching, hex);
	free(hex);
	return rc;
}

/* The DNSSEC status, then every record. */
static int dane_evidence(struct finding *f, const char *host, const struct dane_tlsa *rrs,
                         size_t nrrs, bool dnssec_validated)
{
	int rc = dns_findings_evidence(f, EVIDENCE_NOTE, "DNSSEC: %s",
	                               dnssec_validated ? "validated (AD bit set)"
	                                                : "not validated (AD bit clear)");
	for (size_t i = 0; rc == 0 && i < nrrs; i++)
		rc = dane_record_evidence(f, host, &rrs[i]);
	return rc;
}

static int dane_unusable_notes(struct finding *f, const struct dane_tlsa *rrs, size_t nrrs)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nrrs; i++) {
		const char *why = dane_unusable_reason(&rrs[i]);
		if (why != NULL)
			rc = dns_findings_evidence(f, EVIDENCE_NOTE, "record %u %u %u: %s",
			                           rrs[i].usage, rrs[i].selector, rrs[i].matching,
			                           why);
	}
	return rc;
}

/* The digests an operator needs to compare the presented chain with the records. */
static int dane_chain_evidence(struct finding *f, const struct dane_cert *chain, size_t nchain)
{
	int rc = 0;
	if (f == NULL)
		return 0;
	for (size_t depth = 0; rc == 0 && depth < nchain; depth++) {
		struct dane_presented p;
		unsigned char cert_digest[DANE_SHA256_LEN], spki_digest[DANE_SHA256_LEN];
		rc = dane_presented_init(&p, &chain[depth]);
		if (rc < 0)
			return rc;
		dane_digest(MBEDTLS_MD_SHA256, p.der, p.len, cert_digest);
		if (p.parsed)
			dane_digest(MBEDTLS_MD_SHA256, p.crt.pk_raw.p, p.crt.pk_raw.len,
			            spki_digest);
		char *cert_hex = dane_hex(cert_digest, sizeof(cert_digest));
		char *spki_hex = p.parsed ? dane_hex(spki_digest, sizeof(spki_digest)) : NULL;
		mbedtls_x509_crt_free(&p.crt);
		if (cert_hex == NULL || (p.parsed && spki_hex == NULL))
			rc = SA_ERROR_NOMEM;
		else
			rc = dns_findings_evidence(
			    f, EVIDENCE_NOTE,
			    "presented certificate %zu: SHA2-256 of the "
			    "certificate %s, of its SubjectPublicKeyInfo %s",
			    depth, cert_hex, spki_hex != NULL ? spki_hex : "(does not parse)");
		free(cert_hex);
		free(spki_hex);
	}
	return rc;
}

/* Appends a finding of id with a detail and the common evidence; *f is NULL when the list is full.
 */
static int dane_add(struct dns_findings *out, struct finding **f, enum catalog_id id,
                    const char *host, const struct dane_tlsa *rrs, size_t nrrs,
                    bool dnssec_validated, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static int dane_add(struct dns_findings *out, struct finding **f, enum catalog_id id,
                    const char *host, const struct dane_tlsa *rrs, size_t nrrs,
                    bool dnssec_validated, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dns_findings_addv(out, f, id, host, fmt, ap);
	va_end(ap);
	return rc < 0 ? rc : dane_evidence(*f, host, rrs, nrrs, dnssec_validated);
}

int dane_judge(const char *host, const struct dane_tlsa *rrs, size_t nrrs, bool dnssec_validated,
               const struct dane_cert *chain, size_t nchain, struct dane_match *result,
               struct dns_findings *out)
{
	struct dane_match m;
	struct finding *f;
	int rc = 0;
	if (nrrs == 0)
		return 0;
	if (!dnssec_validated)
		rc = dane_add(
		    out, &f, CATALOG_DNS_DANE_NOT_VALIDATED, host, rrs, nrrs, false,
		    "the TLSA records of %s are not DNSSEC-validated: senders ignore them", host);
	rc = rc < 0 ? rc : dane_match(rrs, nrrs, chain, nchain, &m);
	if (rc == 0 && m.usable < nrrs) {
		rc = dane_add(out, &f, CATALOG_DNS_DANE_UNUSABLE, host, rrs, nrrs, dnssec_validated,
		              "%zu of the %zu TLSA records of %s cannot be used for SMTP%s",
		              nrrs - m.usable, nrrs, host,
		              m.usable == 0 ? "; no usable record is left" : "");
		if (rc == 0)
			rc = dane_unusable_notes(f, rrs, nrrs);
	}
	if (rc == 0 && nchain > 0 && m.verdict == DANE_VERDICT_MISMATCH) {
		rc = dane_add(out, &f, CATALOG_DNS_DANE_MISMATCH, host, rrs, nrrs, dnssec_validated,
		              "none of the %zu usable TLSA records of %s matches the %zu "
		              "certificate%s presented (DNSSEC %s)",
		              m.usable, host, nchain, nchain == 1 ? "" : "s",
		              dnssec_validated ? "validated" : "not validated");
		if (rc == 0)
			rc = dane_chain_evidence(f, chain, nchain);
	}
	if (rc == 0 && result != NULL && nchain > 0)
		*result = m;
	return rc;
}
