/*
 * NAME
 *	test_cert_facts - certificate facts of every test certificate, from files and over TLS
 *
 * DESCRIPTION
 *	Before the first test, scripts/gen-test-certs.sh writes its test CA
 *	and server certificates (good, expired, notyet, expiring, wrongname,
 *	rsa1024, sha1, selfsigned, ec256, sha1issuer) into a temporary directory that
 *	every test finds through SA_TEST_CERT_DIR and that is removed after
 *	the last one. Each certificate's facts, as cert_facts_from_files()
 *	gives them for "mx.lab.test" against the test CA, are checked
 *	against a table: names, key, hash, trust flags, and dates relative to
 *	the time the certificates were made; the fingerprint against
 *	openssl's. Then the same chains go through a TLS handshake in memory
 *	(tls_conn, no socket) and tls_conn_facts() must agree field by field:
 *	one code path. Also: pinning a self-signed certificate, a foreign CA,
 *	the system store, no name, and files that cannot be used.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_facts.h"
#include "run.h"
#include "test_certs.h"
#include "sa_error.h"
#include "tls_conn.h"
#include "tls_pair.h"

#define CERT_NAME    "mx.lab.test"
#define CERT_CA_DN   "O=smtp-audit tests, CN=smtp-audit test CA"
#define DAY          86400
/* Dates are set by the script from its own clock: allow for its run time and rounding. */
#define SLACK       600

/* ---- the certificates, made once per run ---- */

ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
	(void)tests;
	test_certs_make(CERT_NAME);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	test_certs_remove();
}

static void facts_of(struct tls_facts *f, const char *chain, const char *ca, const char *name)
{
	char chain_path[TEST_CERTS_PATH_MAX], ca_path[TEST_CERTS_PATH_MAX], err[256] = "";
	test_certs_path(chain_path, chain);
	if (ca != NULL)
		test_certs_path(ca_path, ca);
	int rc = cert_facts_from_files(f, chain_path, ca ? ca_path : NULL, name, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s (%s)", chain, sa_error_str(rc), err);
}

/* When the script ran: the good certificate is valid from a day before. */
static int64_t made_at(void)
{
	struct tls_facts good;
	facts_of(&good, "good.chain.pem", "ca.crt", CERT_NAME);
	int64_t t = good.not_before + DAY;
	tls_facts_free(&good);
	return t;
}

/* ---- every certificate, from files ---- */

struct expected {
	char file[24];
	char subject[48];
	char issuer[64];
	char key_type[8];
	unsigned key_bits;
	char signature[24];
	char hash[8];
	unsigned chain_length;
	char sans[2][24];
	bool trusted, chain_trusted, self_signed, name_matches;
	int64_t from_days, until_days; /* validity relative to when the script ran */
	char detail_has[40];           /* in verify_detail; "" = verify_detail is NULL */
};

static const struct expected certs[] = {
    {
        .file = "good",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .trusted = true,
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
    },
    {
        .file = "expired",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -400,
        .until_days = -30,
        .detail_has = "expired",
    },
    {
        .file = "notyet",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .chain_trusted = true,
        .name_matches = true,
        .from_days = 30,
        .until_days = 3680,
        .detail_has = "future",
    },
    {
        .file = "expiring",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .trusted = true,
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 5,
    },
    {
        .file = "wrongname",
        .subject = "CN=other.example.net",
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {"other.example.net"},
        .trusted = true,
        .chain_trusted = true,
        .from_days = -1,
        .until_days = 3650,
    },
    {
        .file = "rsa1024",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 1024,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
        .detail_has = "unacceptable key",
    },
    {
        .file = "sha1",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA1",
        .hash = "SHA-1",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
        .detail_has = "unacceptable hash",
    },
    {
        .file = "selfsigned",
        .subject = "CN=" CERT_NAME,
        .issuer = "CN=" CERT_NAME,
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 1,
        .sans = {CERT_NAME, "localhost"},
        .self_signed = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
        .detail_has = "not correctly signed",
    },
    {
        .file = "ec256",
        .subject = "CN=" CERT_NAME,
        .issuer = CERT_CA_DN,
        .key_type = "EC",
        .key_bits = 256,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 2,
        .sans = {CERT_NAME, "localhost"},
        .trusted = true,
        .chain_trusted = true,
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
    },
    /* The leaf is fine; its intermediate's SHA-1 signature breaks the chain. */
    {
        .file = "sha1issuer",
        .subject = "CN=" CERT_NAME,
        .issuer = "O=smtp-audit tests, CN=smtp-audit SHA-1 intermediate CA",
        .key_type = "RSA",
        .key_bits = 2048,
        .signature = "RSA with SHA-256",
        .hash = "SHA-256",
        .chain_length = 3,
        .sans = {CERT_NAME, "localhost"},
        .name_matches = true,
        .from_days = -1,
        .until_days = 3650,
        .detail_has = "unacceptable hash",
    },
};

static size_t expected_sans(const struct expected *e)
{
	return e->sans[1][0] ? 2 : 1;
}

static void assert_near(int64_t got, int64_t want, const char *what, const char *file)
{
	cr_assert(got >= want - SLACK && got <= want + SLACK, "%s: %s is %lld, expected %lld", file,
	          what, (long long)got, (long long)want);
}

/* Lower-case hex without colons of openssl's SHA-256 fingerprint of a PEM file. */
static void openssl_fingerprint(const char *pem, char out[65])
{
	char path[TEST_CERTS_PATH_MAX];
	test_certs_path(path, pem);
	const char *argv[] = {"openssl", "x509",         "-in",     path,
	                      "-noout",  "-fingerprint", "-sha256", NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "openssl: %s", r.err);
	const char *p = strchr(r.out, '=');
	cr_assert_not_null(p, "%s", r.out);
	size_t n = 0;
	for (p++; *p && *p != '\n' && n < 64; p++)
		if (*p != ':')
			out[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	out[n] = '\0';
	run_result_free(&r);
}

ParameterizedTestParameters(cert_facts, every_test_certificate)
{
	return cr_make_param_array(struct expected, (void *)certs,
	                           sizeof(certs) / sizeof(certs[0]));
}

ParameterizedTest(const struct expected *e, cert_facts, every_test_certificate, .timeout = 30)
{
	char chain[40], leaf[40], fingerprint[65];
	snprintf(chain, sizeof(chain), "%s.chain.pem", e->file);
	snprintf(leaf, sizeof(leaf), "%s.crt", e->file);
	int64_t t0 = made_at();
	struct tls_facts f;
	facts_of(&f, chain, "ca.crt", CERT_NAME);

	cr_expect_null(f.version, "no handshake, no version");
	cr_expect_null(f.ciphersuite);
	cr_assert_str_eq(f.subject, e->subject, "%s", e->file);
	cr_assert_str_eq(f.issuer, e->issuer, "%s", e->file);
	cr_assert_str_eq(f.key_type, e->key_type, "%s", e->file);
	cr_assert_eq(f.key_bits, e->key_bits, "%s: %u bits", e->file, f.key_bits);
	cr_assert_str_eq(f.signature, e->signature, "%s", e->file);
	cr_assert_str_eq(f.signature_hash, e->hash, "%s", e->file);
	cr_assert_eq(f.chain_length, e->chain_length, "%s", e->file);
	cr_assert_eq(f.nsans, expected_sans(e), "%s: %zu SANs", e->file, f.nsans);
	for (size_t i = 0; i < f.nsans; i++)
		cr_assert_str_eq(f.sans[i], e->sans[i], "%s", e->file);
	cr_assert_eq(f.trusted, e->trusted, "%s: trusted %d (%s)", e->file, f.trusted,
	             f.verify_detail ? f.verify_detail : "");
	cr_assert_eq(f.chain_trusted, e->chain_trusted, "%s: chain_trusted %d", e->file,
	             f.chain_trusted);
	cr_assert_eq(f.self_signed, e->self_signed, "%s: self_signed %d", e->file, f.self_signed);
	cr_assert(f.name_checked, "%s", e->file);
	cr_assert_eq(f.name_matches, e->name_matches, "%s", e->file);
	if (e->detail_has[0]) {
		cr_assert_not_null(f.verify_detail, "%s", e->file);
		cr_assert(strstr(f.verify_detail, e->detail_has) != NULL, "%s: %s", e->file,
		          f.verify_detail);
	} else {
		cr_assert_null(f.verify_detail, "%s: %s", e->file, f.verify_detail);
	}
	assert_near(f.not_before, t0 + e->from_days * DAY, "not_before", e->file);
	assert_near(f.not_after, t0 + e->until_days * DAY, "not_after", e->file);
	openssl_fingerprint(leaf, fingerprint);
	cr_assert_str_eq(f.fingerprint, fingerprint, "%s", e->file);
	tls_facts_free(&f);
}

/* ---- trust stores and names ---- */

Test(cert_facts, pinned_self_signed_certificate_is_trusted, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "selfsigned.crt", "selfsigned.crt", CERT_NAME);
	cr_assert(f.self_signed);
	cr_assert(f.chain_trusted);
	cr_assert(f.trusted);
	cr_assert_null(f.verify_detail);
	tls_facts_free(&f);
}

Test(cert_facts, chain_from_another_ca_is_not_trusted, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "good.chain.pem", "selfsigned.crt", CERT_NAME);
	cr_assert_not(f.chain_trusted);
	cr_assert_not(f.trusted);
	cr_assert_not(f.self_signed);
	cr_assert(f.name_matches, "the name is judged apart from the chain");
	cr_assert_not_null(f.verify_detail);
	tls_facts_free(&f);
}

Test(cert_facts, leaf_without_intermediates_verifies_against_its_ca, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "good.crt", "ca.crt", CERT_NAME);
	cr_assert_eq(f.chain_length, 1);
	cr_assert(f.chain_trusted);
	cr_assert(f.trusted);
	tls_facts_free(&f);
}

Test(cert_facts, test_ca_is_not_in_the_system_store, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "good.chain.pem", NULL, CERT_NAME);
	cr_assert_not(f.chain_trusted);
	cr_assert_not(f.trusted);
	cr_assert_not_null(f.verify_detail);
	tls_facts_free(&f);
}

Test(cert_facts, without_a_name_nothing_is_matched, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "wrongname.chain.pem", "ca.crt", NULL);
	cr_assert_not(f.name_checked);
	cr_assert_not(f.name_matches);
	cr_assert(f.trusted, "%s", f.verify_detail ? f.verify_detail : "");
	tls_facts_free(&f);
}

Test(cert_facts, localhost_is_a_name_of_the_test_certificates, .timeout = 30)
{
	struct tls_facts f;
	facts_of(&f, "good.chain.pem", "ca.crt", "localhost");
	cr_assert(f.name_matches);
	tls_facts_free(&f);
	facts_of(&f, "good.chain.pem", "ca.crt", "mail.lab.test");
	cr_assert_not(f.name_matches);
	cr_assert(f.chain_trusted);
	tls_facts_free(&f);
}

/* ---- files that cannot be used ---- */

static int facts_from(const char *chain, const char *ca, char *err, size_t errlen)
{
	char chain_path[TEST_CERTS_PATH_MAX], ca_path[TEST_CERTS_PATH_MAX];
	test_certs_path(chain_path, chain);
	test_certs_path(ca_path, ca);
	struct tls_facts f;
	int rc = cert_facts_from_files(&f, chain_path, ca_path, CERT_NAME, err, errlen);
	cr_assert_null(f.subject, "nothing is left to free on failure");
	return rc;
}

Test(cert_facts, unusable_files_are_refused_with_their_name, .timeout = 30)
{
	char err[256] = "";
	cr_assert_eq(facts_from("missing.pem", "ca.crt", err, sizeof(err)), SA_ERROR_INVAL);
	cr_assert(strstr(err, "missing.pem") != NULL, "%s", err);
	cr_assert_eq(facts_from("good.key", "ca.crt", err, sizeof(err)), SA_ERROR_INVAL);
	cr_assert(strstr(err, "good.key") != NULL, "%s", err);
	cr_assert_eq(facts_from("good.chain.pem", "missing-ca.crt", err, sizeof(err)),
	             SA_ERROR_INVAL);
	cr_assert(strstr(err, "missing-ca.crt") != NULL, "%s", err);
}

/* ---- the same facts over TLS ---- */

/* A handshake between a client and a server serving X.chain.pem, entirely in memory. */
static void handshake_facts(const char *cert, const char *name, struct tls_facts *out)
{
	struct tls_ctx *server_ctx = tls_pair_server_ctx(cert), *client_ctx = tls_pair_client_ctx();
	struct tls_conn *server = tls_conn_new(server_ctx, NULL);
	struct tls_conn *client = tls_conn_new(client_ctx, name);
	cr_assert(server != NULL && client != NULL);
	tls_pair_handshake(client, server);
	cr_assert_eq(tls_conn_facts(client, out), 0);
	tls_conn_free(client);
	tls_conn_free(server);
	tls_ctx_free(client_ctx);
	tls_ctx_free(server_ctx);
}

ParameterizedTestParameters(cert_facts, handshake_gives_the_facts_of_the_files)
{
	return cr_make_param_array(struct expected, (void *)certs,
	                           sizeof(certs) / sizeof(certs[0]));
}

ParameterizedTest(const struct expected *e, cert_facts, handshake_gives_the_facts_of_the_files,
                  .timeout = 30)
{
	char chain[40];
	snprintf(chain, sizeof(chain), "%s.chain.pem", e->file);
	struct tls_facts over_tls, from_files;
	handshake_facts(e->file, CERT_NAME, &over_tls);
	cr_assert_not_null(over_tls.version);
	cr_assert_not_null(over_tls.ciphersuite);
	facts_of(&from_files, chain, "ca.crt", CERT_NAME);
	tls_pair_assert_same_facts(&over_tls, &from_files, e->file);
	tls_facts_free(&over_tls);
	tls_facts_free(&from_files);
}

Test(cert_facts, handshake_to_an_address_checks_no_name, .timeout = 30)
{
	struct tls_facts f;
	handshake_facts("wrongname", NULL, &f);
	cr_assert_not(f.name_checked);
	cr_assert(f.chain_trusted);
	cr_assert(f.trusted);
	tls_facts_free(&f);
}
