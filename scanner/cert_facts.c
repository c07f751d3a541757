/*
 * NAME
 *	cert_facts - what a server's certificate is, and which of its checks failed
 *
 * DESCRIPTION
 *	See cert_facts.h. mbedTLS reports a verification as one set of flags
 *	over the whole chain; the callback records the issuers' flags apart
 *	(it sees each certificate of the verified path with its depth), so
 *	what remains of the overall flags belongs to the leaf. Of those, the
 *	ones a probe judges by itself (dates, name, hash, a short RSA key)
 *	are left out of chain_trusted.
 *
 *	mbedTLS flags BAD_KEY on the leaf both for its own key and for the
 *	key that signed it; it is counted as the leaf's own only when the
 *	leaf's RSA key is itself shorter than the profile allows.
 */
/* mbedTLS first: cert_facts.h declares its mbedTLS part only after <mbedtls/x509_crt.h>. */
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "cert_facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "sa_error.h"

#define CERT_FACTS_SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define CERT_FACTS_MAX_SANS       64

/* Leaf problems a probe judges from the facts themselves, not from chain_trusted. */
#define CERT_FACTS_LEAF_JUDGED                                                                     \
	(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE |                              \
	 MBEDTLS_X509_BADCERT_CN_MISMATCH | MBEDTLS_X509_BADCERT_BAD_MD)

/* The profile mbedTLS's TLS client verifies with (MBEDTLS_SSL_PRESET_DEFAULT). */
static const mbedtls_x509_crt_profile *const cert_facts_profile = &mbedtls_x509_crt_profile_default;

static const char *const cert_facts_hash_names[] = {
    [MBEDTLS_MD_NONE] = "none",      [MBEDTLS_MD_MD2] = "MD2",
    [MBEDTLS_MD_MD4] = "MD4",        [MBEDTLS_MD_MD5] = "MD5",
    [MBEDTLS_MD_SHA1] = "SHA-1",     [MBEDTLS_MD_SHA224] = "SHA-224",
    [MBEDTLS_MD_SHA256] = "SHA-256", [MBEDTLS_MD_SHA384] = "SHA-384",
    [MBEDTLS_MD_SHA512] = "SHA-512", [MBEDTLS_MD_RIPEMD160] = "RIPEMD-160",
};
_Static_assert(sizeof(cert_facts_hash_names) / sizeof(cert_facts_hash_names[0]) ==
                   MBEDTLS_MD_RIPEMD160 + 1,
               "one name per mbedTLS hash");

static void cert_facts_describe(char *buf, size_t buflen, const char *what, int mbedtls_rc)
{
	char text[120];
	mbedtls_strerror(mbedtls_rc, text, sizeof(text));
	snprintf(buf, buflen, "%s: %s (-0x%04x)", what, text, (unsigned)-mbedtls_rc);
}

int cert_facts__verify_cb(void *record, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct cert_facts__verify *v = record;
	(void)crt;
	if (depth > 0)
		v->issuer_flags |= *flags;
	return 0;
}

int cert_facts__load_ca(mbedtls_x509_crt *ca, const char *ca_file, bool *have_ca, char *err,
                        size_t errlen)
{
	const char *path = ca_file != NULL ? ca_file : CERT_FACTS_SYSTEM_CA_FILE;
	int parsed = mbedtls_x509_crt_parse_file(ca, path);
	if (parsed < 0 && ca_file != NULL) {
		/* An explicit --ca-file that cannot be used is a configuration error. */
		cert_facts_describe(err, errlen, ca_file, parsed);
		return SA_ERROR_INVAL;
	}
	/* A positive count means some certificates of the bundle were skipped: fine. */
	*have_ca = parsed >= 0 && ca->version != 0;
	return 0;
}

/* ---- the leaf ---- */

static int64_t cert_facts_time(const mbedtls_x509_time *t)
{
	struct tm tm = {
	    .tm_year = t->year - 1900,
	    .tm_mon = t->mon - 1,
	    .tm_mday = t->day,
	    .tm_hour = t->hour,
	    .tm_min = t->min,
	    .tm_sec = t->sec,
	};
	return (int64_t)timegm(&tm);
}

static char *cert_facts_dn(const mbedtls_x509_name *dn)
{
	char buf[1024];
	if (mbedtls_x509_dn_gets(buf, sizeof(buf), dn) < 0)
		return strdup("(unprintable)");
	return strdup(buf);
}

static const char *cert_facts_hash_name(mbedtls_md_type_t md)
{
	if ((size_t)md >= sizeof(cert_facts_hash_names) / sizeof(cert_facts_hash_names[0]))
		return "unknown";
	return cert_facts_hash_names[md];
}

static int cert_facts_collect_sans(const mbedtls_x509_crt *crt, struct tls_facts *out)
{
	const mbedtls_x509_sequence *cur;
	size_t n = 0;
	for (cur = &crt->subject_alt_names; cur != NULL && cur->buf.p != NULL; cur = cur->next)
		n++;
	if (n == 0)
		return 0;
	if (n > CERT_FACTS_MAX_SANS)
		n = CERT_FACTS_MAX_SANS;
	out->sans = calloc(n, sizeof(*out->sans));
	if (out->sans == NULL)
		return SA_ERROR_NOMEM;
	for (cur = &crt->subject_alt_names; cur != NULL && cur->buf.p != NULL && out->nsans < n;
	     cur = cur->next) {
		mbedtls_x509_subject_alternative_name san;
		if (mbedtls_x509_parse_subject_alt_name(&cur->buf, &san) != 0 ||
		    san.type != MBEDTLS_X509_SAN_DNS_NAME)
			continue;
		const mbedtls_x509_buf *name = &san.san.unstructured_name;
		out->sans[out->nsans] = strndup((const char *)name->p, name->len);
		if (out->sans[out->nsans] == NULL)
			return SA_ERROR_NOMEM;
		out->nsans++;
	}
	return 0;
}

static char *cert_facts_verify_text(uint32_t flags, bool have_ca)
{
	char buf[1024];
	int n = mbedtls_x509_crt_verify_info(buf, sizeof(buf), "", flags);
	if (n < 0)
		snprintf(buf, sizeof(buf), "verification failed (flags 0x%08x)", (unsigned)flags);
	/* mbedTLS writes one line per problem; keep them on one line. */
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = (p[1] != '\0') ? ';' : '\0';
	if (!have_ca) {
		size_t len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "%sno CA store could be loaded",
		         len ? "; " : "");
	}
	return strdup(buf);
}

/* The leaf's signature checked with the leaf's own key. */
static bool cert_facts_signed_by_itself(const mbedtls_x509_crt *crt)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(crt->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	if (md == NULL || mbedtls_md(md, crt->tbs.p, crt->tbs.len, hash) != 0)
		return false;
	/* mbedTLS 2.28 takes the key non-const, though verifying only reads it. */
	mbedtls_pk_context *pk = (mbedtls_pk_context *)&crt->pk;
	return mbedtls_pk_verify_ext(crt->sig_pk, crt->sig_opts, pk, crt->sig_md, hash,
	                             mbedtls_md_get_size(md), crt->sig.p, crt->sig.len) == 0;
}

static bool cert_facts_short_rsa_key(const mbedtls_x509_crt *crt)
{
	return mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_RSA &&
	       mbedtls_pk_get_bitlen(&crt->pk) < cert_facts_profile->rsa_min_bitlen;
}

static bool cert_facts_chain_trusted(const mbedtls_x509_crt *leaf,
                                     const struct cert_facts__verify *verify, uint32_t flags,
                                     bool have_ca)
{
	uint32_t judged_apart = CERT_FACTS_LEAF_JUDGED;
	if (cert_facts_short_rsa_key(leaf))
		judged_apart |= MBEDTLS_X509_BADCERT_BAD_KEY;
	return have_ca && verify->issuer_flags == 0 && (flags & ~judged_apart) == 0;
}

int cert_facts__from_chain(struct tls_facts *out, const mbedtls_x509_crt *chain,
                           const struct cert_facts__verify *verify, uint32_t flags, bool name_given,
                           bool have_ca)
{
	const char *desc = NULL;
	out->subject = cert_facts_dn(&chain->subject);
	out->issuer = cert_facts_dn(&chain->issuer);
	out->not_before = cert_facts_time(&chain->valid_from);
	out->not_after = cert_facts_time(&chain->valid_to);
	out->key_type = strdup(mbedtls_pk_get_name(&chain->pk));
	out->key_bits = (unsigned)mbedtls_pk_get_bitlen(&chain->pk);
	if (mbedtls_oid_get_sig_alg_desc(&chain->sig_oid, &desc) != 0)
		desc = "unknown";
	out->signature = strdup(desc);
	out->signature_hash = strdup(cert_facts_hash_name(chain->sig_md));
	codec_sha256_hex(chain->raw.p, chain->raw.len, out->fingerprint);
	for (const mbedtls_x509_crt *p = chain; p != NULL && p->raw.p != NULL; p = p->next)
		out->chain_length++;

	uint32_t chain_flags = flags & ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
	out->trusted = chain_flags == 0 && have_ca;
	out->chain_trusted = cert_facts_chain_trusted(chain, verify, flags, have_ca);
	out->name_checked = name_given;
	out->name_matches = name_given && !(flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
	if (!out->trusted)
		out->verify_detail = cert_facts_verify_text(chain_flags, have_ca);
	if (out->subject == NULL || out->issuer == NULL || out->key_type == NULL ||
	    out->signature == NULL || out->signature_hash == NULL ||
	    (!out->trusted && out->verify_detail == NULL))
		return SA_ERROR_NOMEM;
	out->self_signed =
	    strcmp(out->subject, out->issuer) == 0 && cert_facts_signed_by_itself(chain);
	return cert_facts_collect_sans(chain, out);
}

/* ---- from files ---- */

static int cert_facts_verify_files(struct tls_facts *out, mbedtls_x509_crt *chain,
                                   mbedtls_x509_crt *ca, bool have_ca, const char *name, char *err,
                                   size_t errlen)
{
	struct cert_facts__verify verify = {0};
	uint32_t flags = 0;
	int rc = mbedtls_x509_crt_verify_with_profile(chain, have_ca ? ca : NULL, NULL,
	                                              cert_facts_profile, name, &flags,
	                                              cert_facts__verify_cb, &verify);
	if (rc != 0 && rc != MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
		cert_facts_describe(err, errlen, "certificate verification", rc);
		return SA_ERROR_TLS;
	}
	*out = (struct tls_facts){0};
	rc = cert_facts__from_chain(out, chain, &verify, flags, name != NULL, have_ca);
	if (rc != 0) {
		tls_facts_free(out);
		snprintf(err, errlen, "%s", sa_error_str(rc));
	}
	return rc;
}

int cert_facts_from_files(struct tls_facts *out, const char *chain_file, const char *ca_file,
                          const char *name, char *err, size_t errlen)
{
	mbedtls_x509_crt chain, ca;
	bool have_ca = false;
	mbedtls_x509_crt_init(&chain);
	mbedtls_x509_crt_init(&ca);
	*out = (struct tls_facts){0};
	int rc = mbedtls_x509_crt_parse_file(&chain, chain_file);
	if (rc < 0 || chain.version == 0) {
		cert_facts_describe(err, errlen, chain_file,
		                    rc < 0 ? rc : MBEDTLS_ERR_X509_INVALID_FORMAT);
		rc = SA_ERROR_INVAL;
	} else {
		rc = cert_facts__load_ca(&ca, ca_file, &have_ca, err, errlen);
	}
	if (rc == 0)
		rc = cert_facts_verify_files(out, &chain, &ca, have_ca, name, err, errlen);
	mbedtls_x509_crt_free(&ca);
	mbedtls_x509_crt_free(&chain);
	return rc;
}
