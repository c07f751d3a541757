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

#include <assert.h>
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

/* One certificate's names: a chain's certificates differ in these alone. */
struct lab_cert_names {
	const char *subject, *issuer;
	bool ca;
	const char *hostname; /* the leaf's: subjectAltName; NULL for a CA */
};

static int lab_cert_fill(struct lab_cert_gen *g, const struct lab_cert_names *names, char *err,
                         size_t errlen)
{
	char from[16], to[16];
	unsigned char sanbuf[600];
	const unsigned char *san;
	size_t sanlen;
	time_t now = time(NULL);

	lab_cert_validity_text(now - LAB_CERT_DAY, from);
	lab_cert_validity_text(now + 365 * LAB_CERT_DAY, to);
	mbedtls_x509write_crt_set_version(&g->crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&g->crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&g->crt, &g->key);
	mbedtls_x509write_crt_set_issuer_key(&g->crt, &g->key);
	int rc = mbedtls_x509write_crt_set_subject_name(&g->crt, names->subject);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_issuer_name(&g->crt, names->issuer);
	if (rc == 0)
		rc = mbedtls_mpi_fill_random(&g->serial, 16, mbedtls_ctr_drbg_random, &g->drbg);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_serial(&g->crt, &g->serial);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_validity(&g->crt, from, to);
	if (rc == 0)
		rc = mbedtls_x509write_crt_set_basic_constraints(&g->crt, names->ca, -1);
	if (rc == 0 && names->hostname != NULL)
		rc = lab_cert_san(names->hostname, sanbuf, sizeof(sanbuf), &san, &sanlen);
	if (rc == 0 && names->hostname != NULL)
		rc = mbedtls_x509write_crt_set_extension(
		    &g->crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
		    MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, san, sanlen);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "certificate fields", rc);
	return 0;
}

/* Signs the certificate g->crt describes and appends its PEM to pem (cap bytes in all). */
static int lab_cert_append_pem(struct lab_cert_gen *g, char *pem, size_t cap, char *err,
                               size_t errlen)
{
	size_t used = strlen(pem);
	int rc = mbedtls_x509write_crt_pem(&g->crt, (unsigned char *)pem + used, cap - used,
	                                   mbedtls_ctr_drbg_random, &g->drbg);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "certificate signing", rc);
	return 0;
}

static int lab_cert_write_key(struct lab_cert_gen *g, struct lab_cert *out, char *err,
                              size_t errlen)
{
	out->key_pem = calloc(1, LAB_CERT_PEM_MAX);
	if (out->key_pem == NULL)
		return SA_ERROR_NOMEM;
	int rc = mbedtls_pk_write_key_pem(&g->key, (unsigned char *)out->key_pem, LAB_CERT_PEM_MAX);
	if (rc != 0)
		return lab_cert_fail(err, errlen, "key encoding", rc);
	return 0;
}

/* One certificate of g's key, appended to out->cert_pem (cap bytes). */
static int lab_cert_add(struct lab_cert_gen *g, const struct lab_cert_names *names,
                        struct lab_cert *out, size_t cap, char *err, size_t errlen)
{
	mbedtls_x509write_crt_free(&g->crt);
	mbedtls_x509write_crt_init(&g->crt);
	int rc = lab_cert_fill(g, names, err, errlen);
	if (rc == 0)
		rc = lab_cert_append_pem(g, out->cert_pem, cap, err, errlen);
	return rc;
}

static void lab_cert_gen_init(struct lab_cert_gen *g)
{
	mbedtls_entropy_init(&g->entropy);
	mbedtls_ctr_drbg_init(&g->drbg);
	mbedtls_pk_init(&g->key);
	mbedtls_x509write_crt_init(&g->crt);
	mbedtls_mpi_init(&g->serial);
}

static void lab_cert_gen_free(struct lab_cert_gen *g)
{
	mbedtls_mpi_free(&g->serial);
	mbedtls_x509write_crt_free(&g->crt);
	mbedtls_pk_free(&g->key);
	mbedtls_ctr_drbg_free(&g->drbg);
	mbedtls_entropy_free(&g->entropy);
}

static int lab_cert_finish(struct lab_cert *out, int rc, char *err, size_t errlen)
{
	if (rc == SA_ERROR_NOMEM)
		snprintf(err, errlen, "certificate: %s", sa_error_str(rc));
	if (rc != 0)
		lab_cert_free(out);
	return rc;
}

int lab_cert_generate(struct lab_cert *out, const char *hostname, char *err, size_t errlen)
{
	struct lab_cert_gen g;
	char subject[300];
	*out = (struct lab_cert){0};
	snprintf(subject, sizeof(subject), "CN=%s,O=smtp-lab", hostname);
	const struct lab_cert_names names = {
	    .subject = subject, .issuer = subject, .ca = false, .hostname = hostname};
	lab_cert_gen_init(&g);
	int rc = lab_cert_make_key(&g, err, errlen);
	if (rc == 0)
		rc = (out->cert_pem = calloc(1, LAB_CERT_PEM_MAX)) != NULL ? 0 : SA_ERROR_NOMEM;
	if (rc == 0)
		rc = lab_cert_add(&g, &names, out, LAB_CERT_PEM_MAX, err, errlen);
	if (rc == 0)
		rc = lab_cert_write_key(&g, out, err, errlen);
	lab_cert_gen_free(&g);
	return lab_cert_finish(out, rc, err, errlen);
}

/*
 * Certificate i of the chain (0 the leaf, depth - 1 the root): subject
 * "CN=lab-ca-NN" but for the leaf, issued by certificate i + 1, the root by
 * itself. Names stay short so the whole chain fits one TLS record.
 */
static void lab_cert_chain_names(unsigned i, unsigned depth, const char *hostname,
                                 char subject[300], char issuer[300], struct lab_cert_names *names)
{
	if (i == 0)
		snprintf(subject, 300, "CN=%s", hostname);
	else
		snprintf(subject, 300, "CN=lab-ca-%02u", i);
	snprintf(issuer, 300, "CN=lab-ca-%02u", i + 1 < depth ? i + 1 : i);
	*names = (struct lab_cert_names){.subject = subject,
	                                 .issuer = issuer,
	                                 .ca = i > 0,
	                                 .hostname = i == 0 ? hostname : NULL};
}

int lab_cert_generate_chain(struct lab_cert *out, const char *hostname, unsigned depth, char *err,
                            size_t errlen)
{
	struct lab_cert_gen g;
	size_t cap = (size_t)depth * LAB_CERT_PEM_MAX;
	*out = (struct lab_cert){0};
	assert(depth >= 2);
	lab_cert_gen_init(&g);
	int rc = lab_cert_make_key(&g, err, errlen);
	if (rc == 0)
		rc = (out->cert_pem = calloc(1, cap)) != NULL ? 0 : SA_ERROR_NOMEM;
	for (unsigned i = 0; rc == 0 && i < depth; i++) {
		char subject[300], issuer[300];
		struct lab_cert_names names;
		lab_cert_chain_names(i, depth, hostname, subject, issuer, &names);
		rc = lab_cert_add(&g, &names, out, cap, err, errlen);
	}
	if (rc == 0)
		rc = lab_cert_write_key(&g, out, err, errlen);
	lab_cert_gen_free(&g);
	return lab_cert_finish(out, rc, err, errlen);
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
