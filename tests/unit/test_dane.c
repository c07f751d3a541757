/*
 * NAME
 *	test_dane - TLSA records against the certificate chains of scripts/gen-test-certs.sh
 *
 * DESCRIPTION
 *	Before the first test the script writes its test CA and server
 *	certificates into a temporary directory (see test_certs.h). Each
 *	case builds its TLSA records from those certificates with the
 *	openssl command line, independently of the code under test: the DER
 *	certificate (selector 0) or the DER SubjectPublicKeyInfo that
 *	"openssl pkey -pubin -outform DER" writes (selector 1), in full or
 *	digested by "openssl dgst -sha256/-sha512 -binary". A record may be
 *	altered (a flipped or a missing byte). The presented chain is the
 *	DER form of the certificates of a chain file, leaf first.
 *	dane_judge() must then emit exactly the expected findings and
 *	dane_match() name the expected record and depth. Hostile input:
 *	thousands of records, long chains of garbage and empty certificates.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dane.h"
#include "dns_fixture.h"
#include "run.h"
#include "sa_error.h"
#include "test_certs.h"

#define CERT_NAME   "mx.lab.test"
#define MAX_RECORDS 4
#define MAX_CHAIN   3
#define FILE_MAX    (64 * 1024)

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

/* ---- material made with openssl ---- */

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	cr_assert_not_null(fp, "%s", path);
	unsigned char *buf = malloc(FILE_MAX);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, FILE_MAX, fp);
	cr_assert(feof(fp), "%s is too big", path);
	fclose(fp);
	return buf;
}

/* Runs a shell pipeline whose output goes to a fresh file, and returns that file's bytes. */
static unsigned char *openssl_output(const char *pipeline, size_t *len)
{
	static unsigned serial;
	char out[TEST_CERTS_PATH_MAX], name[64], *cmd = NULL;
	snprintf(name, sizeof(name), "dane.%d.%u.bin", (int)getpid(), serial++);
	test_certs_path(out, name);
	cr_assert_geq(asprintf(&cmd, "%s > '%s'", pipeline, out), 0);
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "%s: %s", cmd, r.err);
	run_result_free(&r);
	free(cmd);
	unsigned char *bytes = read_file(out, len);
	unlink(out);
	return bytes;
}

/* The selected content of a certificate file (X.crt), as openssl writes it. */
static void content_command(char *buf, size_t len, const char *cert, unsigned selector)
{
	char path[TEST_CERTS_PATH_MAX];
	test_certs_path(path, cert);
	if (selector == DANE_SELECTOR_SPKI)
		snprintf(buf, len,
		         "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin -outform DER",
		         path);
	else
		snprintf(buf, len, "openssl x509 -in '%s' -outform DER", path);
}

/* TLSA data for a record: content in full, or its SHA-256 or SHA-512 (selector/matching as given).
 */
static unsigned char *tlsa_data(const char *cert, unsigned selector, unsigned matching, size_t *len)
{
	char content[TEST_CERTS_PATH_MAX + 128], pipeline[TEST_CERTS_PATH_MAX + 200];
	/* Unknown selectors and matching types still get data of a plausible shape. */
	content_command(content, sizeof(content), cert, selector == DANE_SELECTOR_SPKI);
	if (matching == DANE_MATCHING_FULL)
		snprintf(pipeline, sizeof(pipeline), "%s", content);
	else
		snprintf(pipeline, sizeof(pipeline), "%s | openssl dgst -%s -binary", content,
		         matching == DANE_MATCHING_SHA512 ? "sha512" : "sha256");
	return openssl_output(pipeline, len);
}

/* ---- the cases ---- */

enum tweak {
	TWEAK_NONE,
	TWEAK_FLIP,    /* first byte inverted */
	TWEAK_SHORTEN, /* last byte dropped */
};

struct record_spec {
	unsigned usage, selector, matching;
	char cert[24]; /* the certificate file the data is made from */
	enum tweak tweak;
};

struct dane_case {
	char title[64];
	struct record_spec records[MAX_RECORDS];
	size_t nrecords;
	char chain[MAX_CHAIN][24]; /* certificate files, leaf first */
	size_t nchain;
	bool dnssec;
	char expect[160]; /* "PUBLIC-ID" of each finding in order, space-separated */
	enum dane_verdict verdict;
	size_t record, depth; /* for DANE_VERDICT_MATCH */
};

#define RECORD(u, s, m, file)                                                                      \
	{                                                                                          \
		.usage = (u), .selector = (s), .matching = (m), .cert = file                       \
	}
#define ALTERED(u, s, m, file, how)                                                                \
	{                                                                                          \
		.usage = (u), .selector = (s), .matching = (m), .cert = file, .tweak = (how)       \
	}
#define GOOD_CHAIN  .chain = {"good.crt", "ca.crt"}, .nchain = 2
#define SHA1I_CHAIN .chain = {"sha1issuer.crt", "sha1issuer-ca.crt", "ca.crt"}, .nchain = 3

static const struct dane_case dane_cases[] = {
    {.title = "3 1 1 of the leaf",
     .records = {RECORD(3, 1, 1, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 0 1 of the leaf",
     .records = {RECORD(3, 0, 1, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 1 2 of the leaf",
     .records = {RECORD(3, 1, 2, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 0 2 of the leaf",
     .records = {RECORD(3, 0, 2, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 1 0 of the leaf",
     .records = {RECORD(3, 1, 0, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 0 0 of the leaf",
     .records = {RECORD(3, 0, 0, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "3 1 1 of an ec leaf",
     .records = {RECORD(3, 1, 1, "ec256.crt")},
     .nrecords = 1,
     .chain = {"ec256.crt", "ca.crt"},
     .nchain = 2,
     .dnssec = true},
    {.title = "3 1 1 of a self-signed leaf alone",
     .records = {RECORD(3, 1, 1, "selfsigned.crt")},
     .nrecords = 1,
     .chain = {"selfsigned.crt"},
     .nchain = 1,
     .dnssec = true},
    {.title = "2 0 1 of the issuing ca",
     .records = {RECORD(2, 0, 1, "ca.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .depth = 1},
    {.title = "2 1 1 of an intermediate",
     .records = {RECORD(2, 1, 1, "sha1issuer-ca.crt")},
     .nrecords = 1,
     SHA1I_CHAIN,
     .dnssec = true,
     .depth = 1},
    {.title = "2 1 2 of the root above an intermediate",
     .records = {RECORD(2, 1, 2, "ca.crt")},
     .nrecords = 1,
     SHA1I_CHAIN,
     .dnssec = true,
     .depth = 2},
    {.title = "2 0 0 of the root",
     .records = {RECORD(2, 0, 0, "ca.crt")},
     .nrecords = 1,
     SHA1I_CHAIN,
     .dnssec = true,
     .depth = 2},
    {.title = "second record matches",
     .records = {RECORD(3, 1, 1, "rsa1024.crt"), RECORD(3, 1, 1, "good.crt")},
     .nrecords = 2,
     GOOD_CHAIN,
     .dnssec = true,
     .record = 1},
    {.title = "renewed cert, same key: 3 1 1 still matches",
     .records = {RECORD(3, 1, 1, "expired.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true},
    {.title = "renewed cert, same key: 3 0 1 does not",
     .records = {RECORD(3, 0, 1, "expired.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "other key",
     .records = {RECORD(3, 1, 1, "rsa1024.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "flipped digest",
     .records = {ALTERED(3, 1, 1, "good.crt", TWEAK_FLIP)},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "full spki one byte short",
     .records = {ALTERED(3, 1, 0, "good.crt", TWEAK_SHORTEN)},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "dane-ta of the leaf itself is no anchor",
     .records = {RECORD(2, 0, 1, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "dane-ee of the ca is no leaf",
     .records = {RECORD(3, 0, 1, "ca.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "anchor not sent by the server",
     .records = {RECORD(2, 1, 1, "ca.crt")},
     .nrecords = 1,
     .chain = {"good.crt"},
     .nchain = 1,
     .dnssec = true,
     .expect = "SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "pkix usages only",
     .records = {RECORD(1, 1, 1, "good.crt"), RECORD(0, 0, 1, "ca.crt")},
     .nrecords = 2,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-041",
     .verdict = DANE_VERDICT_NO_USABLE},
    {.title = "pkix next to a matching dane-ee",
     .records = {RECORD(0, 0, 1, "ca.crt"), RECORD(3, 1, 1, "good.crt")},
     .nrecords = 2,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-041",
     .record = 1},
    {.title = "pkix next to a stale dane-ee",
     .records = {RECORD(1, 1, 1, "good.crt"), RECORD(3, 1, 1, "rsa1024.crt")},
     .nrecords = 2,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-041 SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
    {.title = "short digest, unknown selector, matching, usage",
     .records = {ALTERED(3, 1, 1, "good.crt", TWEAK_SHORTEN), RECORD(3, 2, 1, "good.crt"),
                 RECORD(3, 1, 3, "good.crt"), RECORD(4, 1, 1, "good.crt")},
     .nrecords = 4,
     GOOD_CHAIN,
     .dnssec = true,
     .expect = "SMTP-DNS-041",
     .verdict = DANE_VERDICT_NO_USABLE},
    {.title = "not validated but matching",
     .records = {RECORD(3, 1, 1, "good.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .expect = "SMTP-DNS-042"},
    {.title = "not validated and stale",
     .records = {RECORD(3, 1, 1, "rsa1024.crt")},
     .nrecords = 1,
     GOOD_CHAIN,
     .expect = "SMTP-DNS-042 SMTP-DNS-040",
     .verdict = DANE_VERDICT_MISMATCH},
};

struct material {
	struct dane_tlsa records[MAX_RECORDS];
	unsigned char *data[MAX_RECORDS];
	struct dane_cert chain[MAX_CHAIN];
	unsigned char *der[MAX_CHAIN];
};

static void material_make(struct material *m, const struct dane_case *c)
{
	*m = (struct material){0};
	for (size_t i = 0; i < c->nrecords; i++) {
		const struct record_spec *s = &c->records[i];
		size_t len;
		m->data[i] = tlsa_data(s->cert, s->selector, s->matching, &len);
		cr_assert_gt(len, 1);
		if (s->tweak == TWEAK_FLIP)
			m->data[i][0] ^= 0xff;
		if (s->tweak == TWEAK_SHORTEN)
			len--;
		m->records[i] = (struct dane_tlsa){.usage = (uint8_t)s->usage,
		                                   .selector = (uint8_t)s->selector,
		                                   .matching = (uint8_t)s->matching,
		                                   .data = m->data[i],
		                                   .len = len};
	}
	for (size_t i = 0; i < c->nchain; i++) {
		size_t len;
		m->der[i] = tlsa_data(c->chain[i], DANE_SELECTOR_CERT, DANE_MATCHING_FULL, &len);
		m->chain[i] = (struct dane_cert){.der = m->der[i], .len = len};
	}
}

static void material_free(struct material *m)
{
	for (size_t i = 0; i < MAX_RECORDS; i++)
		free(m->data[i]);
	for (size_t i = 0; i < MAX_CHAIN; i++)
		free(m->der[i]);
}

ParameterizedTestParameters(dane, judges_chains)
{
	return cr_make_param_array(struct dane_case, dane_cases,
	                           sizeof(dane_cases) / sizeof(dane_cases[0]));
}

ParameterizedTest(const struct dane_case *c, dane, judges_chains, .timeout = 60)
{
	struct material m;
	struct dane_match match;
	struct dns_findings found = {0};
	char got[256];
	material_make(&m, c);
	cr_assert_eq(dane_judge(CERT_NAME, m.records, c->nrecords, c->dnssec, m.chain, c->nchain,
	                        &match, &found),
	             0, "%s", c->title);
	dns_fixture_ids(&found, got, sizeof(got));
	for (size_t i = 0; i < found.n; i++) {
		cr_assert_str_eq(found.items[i].variant, CERT_NAME);
		cr_assert_str_eq(found.items[i].evidence[0].text,
		                 c->dnssec ? "DNSSEC: validated (AD bit set)"
		                           : "DNSSEC: not validated (AD bit clear)",
		                 "%s", c->title);
	}
	cr_assert_str_eq(got, c->expect, "%s", c->title);
	cr_assert_eq(match.verdict, c->verdict, "%s: verdict %d", c->title, match.verdict);
	if (c->verdict == DANE_VERDICT_MATCH) {
		cr_assert_eq(match.record, c->record, "%s: record %zu", c->title, match.record);
		cr_assert_eq(match.depth, c->depth, "%s: depth %zu", c->title, match.depth);
	}
	dns_findings_free(&found);
	material_free(&m);
}

Test(dane, mismatch_evidence_gives_the_presented_digests, .timeout = 60)
{
	const struct dane_case *c = &dane_cases[15];
	struct material m;
	struct dns_findings found = {0};
	size_t cert_len, spki_len;
	cr_assert_str_eq(c->title, "other key");
	material_make(&m, c);
	unsigned char *cert =
	    tlsa_data("good.crt", DANE_SELECTOR_CERT, DANE_MATCHING_SHA256, &cert_len);
	unsigned char *spki =
	    tlsa_data("good.crt", DANE_SELECTOR_SPKI, DANE_MATCHING_SHA256, &spki_len);
	cr_assert_eq(cert_len, 32);
	cr_assert_eq(spki_len, 32);
	cr_assert_eq(dane_judge(CERT_NAME, m.records, 1, true, m.chain, 2, NULL, &found), 0);
	const struct finding *f = dns_fixture_only_finding(&found, CATALOG_DNS_DANE_MISMATCH);
	dns_fixture_expect_detail_has(f,
	                              "none of the 1 usable TLSA records of mx.lab.test matches "
	                              "the 2 certificates presented (DNSSEC validated)",
	                              c->title);
	cr_assert_eq(f->nevidence, 4);
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert(strncmp(f->evidence[1].text, "TLSA _25._tcp.mx.lab.test: 3 1 1 ", 33) == 0, "%s",
	          f->evidence[1].text);
	char want[256];
	int n =
	    snprintf(want, sizeof(want), "presented certificate 0: SHA2-256 of the certificate ");
	for (size_t i = 0; i < 32; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", cert[i]);
	n += snprintf(want + n, sizeof(want) - (size_t)n, ", of its SubjectPublicKeyInfo ");
	for (size_t i = 0; i < 32; i++)
		n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", spki[i]);
	cr_assert_str_eq(f->evidence[2].text, want);
	cr_assert(strncmp(f->evidence[3].text, "presented certificate 1: ", 25) == 0);
	free(cert);
	free(spki);
	dns_findings_free(&found);
	material_free(&m);
}

Test(dane, unusable_notes_say_why, .timeout = 10)
{
	static const unsigned char digest[32] = {1, 2, 3};
	const struct dane_tlsa rrs[] = {
	    {.usage = 1, .selector = 1, .matching = 1, .data = digest, .len = 32},
	    {.usage = 3, .selector = 1, .matching = 2, .data = digest, .len = 32},
	    {.usage = 3, .selector = 1, .matching = 1, .data = digest, .len = 32},
	};
	struct dns_findings found = {0};
	struct dane_match match = {.verdict = DANE_VERDICT_MATCH};
	cr_assert_eq(dane_judge(CERT_NAME, rrs, 3, true, NULL, 0, &match, &found), 0);
	cr_assert_eq(match.verdict, DANE_VERDICT_MATCH, "no chain: result untouched");
	const struct finding *f = dns_fixture_only_finding(&found, CATALOG_DNS_DANE_UNUSABLE);
	cr_assert_str_eq(f->detail,
	                 "2 of the 3 TLSA records of mx.lab.test cannot be used for SMTP");
	cr_assert_eq(f->nevidence, 6);
	cr_assert(strstr(f->evidence[4].text, "record 1 1 1: usage PKIX-TA (0) and PKIX-EE (1)") ==
	              f->evidence[4].text,
	          "%s", f->evidence[4].text);
	cr_assert_str_eq(f->evidence[5].text, "record 3 1 2: a SHA2-512 digest must be 64 bytes");
	dns_findings_free(&found);
}

Test(dane, no_records_no_findings, .timeout = 10)
{
	struct dns_findings found = {0};
	cr_assert_eq(dane_judge(CERT_NAME, NULL, 0, false, NULL, 0, NULL, &found), 0);
	cr_assert_eq(found.n, 0);
}

/* ---- hostile input ---- */

Test(dane, garbage_chains_and_many_records_are_bounded, .timeout = 30)
{
	enum { NRECORDS = 5000, NCHAIN = 40 };
	static unsigned char junk[NCHAIN][600];
	static struct dane_cert chain[NCHAIN];
	static struct dane_tlsa rrs[NRECORDS];
	static unsigned char digest[64];
	uint32_t state = 6698;
	for (size_t i = 0; i < NCHAIN; i++) {
		for (size_t j = 0; j < sizeof(junk[i]); j++)
			junk[i][j] = (unsigned char)(dns_fixture_next_random(&state) >> 8);
		/* Some look like a DER SEQUENCE with a lying length, one is empty. */
		if (i % 3 == 0) {
			junk[i][0] = 0x30;
			junk[i][1] = 0x82;
		}
		chain[i] = (struct dane_cert){.der = junk[i], .len = i == 7 ? 0 : sizeof(junk[i])};
	}
	for (size_t i = 0; i < NRECORDS; i++)
		rrs[i] = (struct dane_tlsa){.usage = (uint8_t)(i % 5),
		                            .selector = (uint8_t)(i % 3),
		                            .matching = (uint8_t)(i % 4),
		                            .data = digest,
		                            .len = i % 4 == 2 ? 64 : 32};
	struct dns_findings found = {0};
	struct dane_match match;
	cr_assert_eq(
	    dane_judge("mx.example.org", rrs, NRECORDS, false, chain, NCHAIN, &match, &found), 0);
	cr_assert_eq(match.verdict, DANE_VERDICT_MISMATCH);
	cr_assert_eq(found.n, 3);
	for (size_t i = 0; i < found.n; i++)
		cr_assert_leq(found.items[i].nevidence, FINDING_MAX_EVIDENCE);
	cr_assert_gt(found.items[2].evidence_dropped, 0);
	dns_findings_free(&found);
}
