/*
 * NAME
 *	lab_cert - self-signed certificate generation and PEM loading
 *
 * DESCRIPTION
 *	See lab_cert.h. mbedTLS 2.28 has no setter for subjectAltName, so the
 *	extension value is built with its ASN.1 writer: a SEQUENCE of
 *	[2] IA5String dNSName entries.
 */
#include "lab_cert.h"

#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sa_error.h"

#define LAB_CERT_MAX_FILE (1024 * 1024)
#define LAB_CERT_PEM_MAX  4096
#define LAB_CERT_DAY      86400

/* Everything one generation needs, released together. */
struct lab_cert_gen {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context key;
	mbedtls_x509write_cert crt;
	mbedtls_mpi serial;
};

static int lab_cert_fail(char *err, size_t errlen, const char *what, int mbedtls_rc)
{
	char text[120];
	mbedtls_strerror(mbedtls_rc, text, sizeof(text));
	snprintf(err, errlen, "%s: %s", what, text);
	return SA_ERROR_TLS;
}

static void lab_cert_validity_text(time_t t, char out[16])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%S", &tm);
}

/* DER of the subjectAltName value; written backwards from the end of buf, as asn1write does. */
static int lab_cert_san(const char *hostname, unsigned char *buf, size_t size,
                        const unsigned char **der, size_t *derlen)
{
	const char *names[] = {"localhost", hostname};
	unsigned char *p = buf + size;
	size_t len = 0;
	int rc;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t one = strlen(names[i]);
		rc = mbedtls_asn1_write_raw_buffer(&p, buf, (const unsigned char *)names[i], one);
		if (rc < 0)
			return rc;
		len += (size_t)rc;
		rc = mbedtls_asn1_write_len(&p, buf, one);
		if (rc < 0)
			return rc;
		len += (size_t)rc;
		rc = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2);
		if (rc < 0)
			return rc;
		len += (size_t)rc;
	}
	rc = mbedtls_asn1_write_len(&p, buf, len);
	if (rc < 0)
		return rc;
	len += (size_t)rc;
	rc = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
	if (rc < 0)
		return rc;
	*der = p;
	*derlen = len + (size_t)rc;
	return 0;
}

static int lab_cert_make_key(struct lab_cert_gen *g, char *err, size_t errlen)
{
	static const char personalization[] = "smtp-lab cert";
	int rc = mbedtls_ctr_drbg_seed(&g->drbg, mbedtls_entropy_func, &g->entropy,
	                               (const unsigned char *)personalization,
	                               sizeof(personalization) - 1);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "random generator", rc);
	rc = mbedtls_pk_setup(&g->key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (rc == 0)
		rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(g->key),
		                         mbedtls_ctr_drbg_random, &g->drbg);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "P-256 key generation", rc);
	return 0;
}

static int lab_cert_fill(struct lab_cert_gen *g, const char *hostname, char *err, size_t errlen)
{
	char subject[300], from[16], to[16];
	unsigned char sanbuf[600];
	const unsigned char *san;
	size_t sanlen;
	time_t now = time(NULL);

	snprintf(subject, sizeof(subject), "CN=%s,O=smtp-lab", hostname);
	lab_cert_validity_text(now - LAB_CERT_DAY, from);
	lab_cert_validity_text(now + 365 * LAB_CERT_DAY, to);
	mbedtls_x509write_crt_set_version(&g->crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&g->crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&g->crt, &g->key);
	mbedtls_x509write_crt_set_issuer_key(&g->crt, &g->key);
	int rc = mbedtls_x509write_crt_set_subject_name(&g->crt, subject);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_issuer_name(&g->crt, subject);
	if (rc == 0)
		rc = mbedtls_mpi_fill_random(&g->serial, 16, mbedtls_ctr_drbg_random, &g->drbg);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_serial(&g->crt, &g->serial);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_validity(&g->crt, from, to);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_basic_constraints(&g->crt, 0, -1);
	if (rc == 0)
		rc = lab_cert_san(hostname, sanbuf, sizeof(sanbuf), &san, &sanlen);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_extension(
		    &g->crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, sanlen);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "certificate fields", rc);
	return 0;
}

static int lab_cert_write_pem(struct lab_cert_gen *g, struct lab_cert *out, char *err,
                              size_t errlen)
{
	out->cert_pem = calloc(1, LAB_CERT_PEM_MAX);
	out->key_pem = calloc(1, LAB_CERT_PEM_MAX);
	if (out->cert_pem == NULL || out->key_pem == NULL)
		return SA_ERROR_NOMEM;
	int rc = mbedtls_x509write_crt_pem(&g->crt, (unsigned char *)out->cert_pem,
	                                   LAB_CERT_PEM_MAX, mbedtls_ctr_drbg_random, &g->drbg);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "certificate signing", rc);
	rc = mbedtls_pk_write_key_pem(&g->key, (unsigned char *)out->key_pem, LAB_CERT_PEM_MAX);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "key encoding", rc);
	return 0;
}

int lab_cert_generate(struct lab_cert *out, const char *hostname, char *err, size_t errlen)
{
	struct lab_cert_gen g;
	*out = (struct lab_cert){0};
	mbedtls_entropy_init(&g.entropy);
	mbedtls_ctr_drbg_init(&g.drbg);
	mbedtls_pk_init(&g.key);
	mbedtls_x509write_crt_init(&g.crt);
	mbedtls_mpi_init(&g.serial);

	int rc = lab_cert_make_key(&g, err, errlen);
	if (rc == 0)
		rc = lab_cert_fill(&g, hostname, err, errlen);
	if (rc == 0)
		rc = lab_cert_write_pem(&g, out, err, errlen);
	if (rc == SA_ERROR_NOMEM)
		snprintf(err, errlen, "certificate: %s", sa_error_str(rc));
	if (rc != 0)
		lab_cert_free(out);

	mbedtls_mpi_free(&g.serial);
	mbedtls_x509write_crt_free(&g.crt);
	mbedtls_pk_free(&g.key);
	mbedtls_ctr_drbg_free(&g.drbg);
	mbedtls_entropy_free(&g.entropy);
	return rc;
}

static int lab_cert_read_file(const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SA_ERROR_IO;
	}
	char *buf = malloc(LAB_CERT_MAX_FILE + 1);
	size_t n = buf != NULL ? fread(buf, 1, LAB_CERT_MAX_FILE + 1, f) : 0;
	bool failed = buf != NULL && ferror(f);
	fclose(f);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: %s", path, sa_error_str(SA_ERROR_NOMEM));
		return SA_ERROR_NOMEM;
	}
	if (failed || n > LAB_CERT_MAX_FILE) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path,
		         failed ? "read error" : "larger than 1 MiB, not a PEM file");
		return failed ? SA_ERROR_IO : SA_ERROR_TOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

int lab_cert_load(struct lab_cert *out, const char *cert_file, const char *key_file, char *err,
                  size_t errlen)
{
	*out = (struct lab_cert){0};
	int rc = lab_cert_read_file(cert_file, &out->cert_pem, err, errlen);
	if (rc == 0)
		rc = lab_cert_read_file(key_file, &out->key_pem, err, errlen);
	if (rc != 0)
		lab_cert_free(out);
	return rc;
}

void lab_cert_free(struct lab_cert *c)
{
	free(c->cert_pem);
	free(c->key_pem);
	*c = (struct lab_cert){0};
}
