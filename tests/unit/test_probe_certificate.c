/*
 * NAME
 *	test_probe_certificate - the certificate probe, judging every test certificate
 *
 * DESCRIPTION
 *	Before the first test, scripts/gen-test-certs.sh writes its test
 *	certificates into a temporary directory (found by the tests through
 *	SA_TEST_CERT_DIR, removed after the last one). Each row of the table
 *	takes one certificate's facts as cert_facts_from_files() gives them
 *	(the code the scanner's handshake uses), hands them to the probe
 *	through the harness on a STARTTLS or an implicit-TLS port, at a scan
 *	time relative to when the certificates were made, and names the exact
 *	findings and verdict the probe must reach. Other tests: no STARTTLS,
 *	STARTTLS refused, a handshake that fails or brings no certificate, the
 *	evidence of a finding, and hostile certificate text.
 */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert_facts.h"
#include "probe_harness.h"
#include "test_certs.h"

extern const struct probe probe_certificate;

#define CERT_NAME    "mx.lab.test"
#define DAY          86400
#define MAX_FINDINGS 3

#define EHLO_STARTTLS                                                                              \
	"250-" CERT_NAME "\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"             \
	"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
#define EHLO_NO_STARTTLS "250-" CERT_NAME "\r\n250-PIPELINING\r\n250 8BITMIME"

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

/* Facts of X.chain.pem for name (NULL: none) against ca ("" = the system store). */
static void facts_of(struct tls_facts *f, const char *cert, const char *ca, const char *name)
{
	char file[40], chain_path[TEST_CERTS_PATH_MAX], ca_path[TEST_CERTS_PATH_MAX], err[256] = "";
	snprintf(file, sizeof(file), "%s.chain.pem", cert);
	test_certs_path(chain_path, file);
	if (ca[0])
		test_certs_path(ca_path, ca);
	int rc =
	    cert_facts_from_files(f, chain_path, ca[0] ? ca_path : NULL, name, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s: %s", cert, err);
}

/* When the script ran: the good certificate is valid from a day before. */
static int64_t made_at(void)
{
	struct tls_facts good;
	facts_of(&good, "good", "ca.crt", CERT_NAME);
	int64_t t = good.not_before + DAY;
	tls_facts_free(&good);
	return t;
}

/* ---- every certificate, through the probe ---- */

struct row {
	char name[40];
	char cert[16];      /* X of X.chain.pem */
	char ca[24];        /* trust store file; "" = the system store */
	char host[24];      /* the scanned target; "" = CERT_NAME */
	bool implicit_tls;  /* port 465, TLS before the greeting */
	int64_t now_days;   /* scan time, in days after the certificates were made */
	unsigned warn_days; /* --cert-warn-days */
	size_t nfindings;
	enum catalog_id ids[MAX_FINDINGS];
	enum verdict verdict;
	char reason_has[72];
};

static const struct row rows[] = {
    {
        .name = "good",
        .cert = "good",
        .ca = "ca.crt",
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no problem found",
    },
    {
        .name = "expired",
        .cert = "expired",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_EXPIRED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": expired",
    },
    {
        .name = "notyet",
        .cert = "notyet",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_NOT_YET_VALID},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": not yet valid",
    },
    {
        .name = "expiring_is_a_warning",
        .cert = "expiring",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_EXPIRING},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = ": expiring soon",
    },
    {
        .name = "expiring_outside_the_horizon",
        .cert = "expiring",
        .ca = "ca.crt",
        .warn_days = 3,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no problem found",
    },
    {
        .name = "expiring_after_its_end",
        .cert = "expiring",
        .ca = "ca.crt",
        .now_days = 6,
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_EXPIRED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": expired",
    },
    {
        .name = "wrongname",
        .cert = "wrongname",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_NAME_MISMATCH},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": name mismatch",
    },
    {
        .name = "wrongname_for_an_address",
        .cert = "wrongname",
        .ca = "ca.crt",
        .host = "192.0.2.25",
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "host name not checked: 192.0.2.25 is an address",
    },
    {
        .name = "rsa1024",
        .cert = "rsa1024",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_WEAK_KEY},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": weak key",
    },
    {
        .name = "sha1",
        .cert = "sha1",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_WEAK_SIGNATURE},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": weak signature hash",
    },
    {
        .name = "sha1_intermediate_breaks_the_chain",
        .cert = "sha1issuer",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_UNTRUSTED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": untrusted chain",
    },
    {
        .name = "selfsigned",
        .cert = "selfsigned",
        .ca = "ca.crt",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_SELF_SIGNED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": self-signed",
    },
    {
        .name = "selfsigned_pinned",
        .cert = "selfsigned",
        .ca = "selfsigned.crt",
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no problem found",
    },
    {
        .name = "ec256",
        .cert = "ec256",
        .ca = "ca.crt",
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "(EC 256, RSA with SHA-256)",
    },
    {
        .name = "good_from_an_unknown_ca",
        .cert = "good",
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_UNTRUSTED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": untrusted chain",
    },
    {
        .name = "good_after_ten_years",
        .cert = "good",
        .ca = "ca.crt",
        .now_days = 3651,
        .warn_days = 21,
        .nfindings = 1,
        .ids = {CATALOG_CERT_EXPIRED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": expired",
    },
    {
        .name = "expired_judged_at_its_time",
        .cert = "expired",
        .ca = "ca.crt",
        .now_days = -60,
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no problem found",
    },
    {
        .name = "implicit_tls_good",
        .cert = "good",
        .ca = "ca.crt",
        .implicit_tls = true,
        .warn_days = 21,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no problem found",
    },
    {
        .name = "implicit_tls_several",
        .cert = "selfsigned",
        .implicit_tls = true,
        .now_days = 3651,
        .warn_days = 21,
        .nfindings = 2,
        .ids = {CATALOG_CERT_SELF_SIGNED, CATALOG_CERT_EXPIRED},
        .verdict = VERDICT_VULNERABLE,
        .reason_has = ": self-signed, expired",
    },
};

ParameterizedTestParameters(probe_certificate, judges_each_certificate)
{
	return cr_make_param_array(struct row, (void *)rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(const struct row *t, probe_certificate, judges_each_certificate, .timeout = 30)
{
	const char *host = t->host[0] ? t->host : CERT_NAME;
	bool by_address = strcmp(host, CERT_NAME) != 0;
	struct tls_facts facts;
	facts_of(&facts, t->cert, t->ca, by_address ? NULL : CERT_NAME);
	struct harness_setup setup = {
	    .host = host,
	    .port = t->implicit_tls ? 465 : 25,
	    .implicit_tls = t->implicit_tls,
	    .ehlo = EHLO_STARTTLS,
	    .now = made_at() + t->now_days * DAY,
	    .settings = {.cert_warn_days = t->warn_days},
	    .tls_facts = &facts,
	};
	struct harness *h = harness_new(&probe_certificate, &setup);
	harness_start(h);
	if (!t->implicit_tls) {
		cr_assert_eq(harness_pending(h), 1, "%s: STARTTLS expected", t->name);
		cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
		harness_reply(h, "220 2.0.0 Ready to start TLS");
	}
	cr_assert(harness_concluded(h), "%s: no verdict", t->name);
	/* STARTTLS and the engine's EHLO after it; nothing on an implicit-TLS port. */
	cr_assert_eq(harness_sent_count(h), t->implicit_tls ? 0 : 2, "%s: sent more", t->name);
	cr_assert_eq(harness_sent_verb(h, "STARTTLS"), t->implicit_tls ? 0 : 1, "%s", t->name);
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	const char *reason = harness_verdict_reason(h);
	cr_assert(reason != NULL && strstr(reason, t->reason_has) != NULL, "%s: reason '%s'",
	          t->name, reason);
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings (%s)", t->name,
	             harness_findings(h), reason);
	for (size_t i = 0; i < t->nfindings; i++)
		cr_assert_not_null(harness_find(h, t->ids[i], NULL), "%s: finding %s missing",
		                   t->name, catalog_get(t->ids[i])->public_id);
	harness_free(h);
	tls_facts_free(&facts);
}

/* ---- evidence ---- */

static bool has_evidence(const struct finding *f, const char *text)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == EVIDENCE_NOTE && strcmp(f->evidence[i].text, text) == 0)
			return true;
	return false;
}

/* The same ISO 8601 form the probe must use, made here with strftime independently. */
static void iso8601(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	cr_assert_not_null(gmtime_r(&tt, &tm));
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

Test(probe_certificate, evidence_names_the_certificate, .timeout = 30)
{
	struct tls_facts facts;
	facts_of(&facts, "expired", "ca.crt", CERT_NAME);
	struct harness_setup setup = {
	    .host = CERT_NAME,
	    .ehlo = EHLO_STARTTLS,
	    .now = facts.not_after + 30 * DAY + 5,
	    .settings = {.cert_warn_days = 21},
	    .tls_facts = &facts,
	};
	struct harness *h = harness_new(&probe_certificate, &setup);
	harness_start(h);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	const struct finding *f = harness_find(h, CATALOG_CERT_EXPIRED, NULL);
	cr_assert_not_null(f);

	char from[32], until[32], text[256];
	iso8601(facts.not_before, from, sizeof(from));
	iso8601(facts.not_after, until, sizeof(until));
	cr_assert(has_evidence(f, "subject: CN=" CERT_NAME));
	cr_assert(has_evidence(f, "issuer: O=smtp-audit tests, CN=smtp-audit test CA"));
	cr_assert(has_evidence(f, "subject alternative names: " CERT_NAME ", localhost"));
	snprintf(text, sizeof(text), "valid from %s until %s", from, until);
	cr_assert(has_evidence(f, text), "no '%s'", text);
	snprintf(text, sizeof(text), "SHA-256 fingerprint: %s", facts.fingerprint);
	cr_assert(has_evidence(f, text), "no '%s'", text);
	snprintf(text, sizeof(text), "expired %s, 30 days before the scan", until);
	cr_assert_str_eq(f->detail, text);
	harness_free(h);
	tls_facts_free(&facts);
}

Test(probe_certificate, untrusted_chain_says_why, .timeout = 30)
{
	struct tls_facts facts;
	facts_of(&facts, "good", "selfsigned.crt", CERT_NAME);
	struct harness_setup setup = {
	    .host = CERT_NAME,
	    .ehlo = EHLO_STARTTLS,
	    .now = made_at(),
	    .settings = {.cert_warn_days = 21},
	    .tls_facts = &facts,
	};
	struct harness *h = harness_new(&probe_certificate, &setup);
	harness_start(h);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	const struct finding *f = harness_find(h, CATALOG_CERT_UNTRUSTED, NULL);
	cr_assert_not_null(f);
	cr_assert(strncmp(f->detail, "chain not trusted: ", 19) == 0, "%s", f->detail);
	cr_assert(strstr(f->detail, facts.verify_detail) != NULL, "%s", f->detail);
	harness_free(h);
	tls_facts_free(&facts);
}

/* Nobody relies on the signature of a self-signed certificate, so its hash is not judged. */
Test(probe_certificate, self_signature_hash_is_not_judged, .timeout = 30)
{
	struct tls_facts facts;
	facts_of(&facts, "selfsigned", "ca.crt", CERT_NAME);
	free(facts.signature_hash);
	facts.signature_hash = strdup("SHA-1");
	cr_assert_not_null(facts.signature_hash);
	struct harness_setup setup = {
	    .host = CERT_NAME,
	    .ehlo = EHLO_STARTTLS,
	    .now = made_at(),
	    .settings = {.cert_warn_days = 21},
	    .tls_facts = &facts,
	};
	struct harness *h = harness_new(&probe_certificate, &setup);
	harness_start(h);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert_eq(harness_findings(h), 1, "%s", harness_verdict_reason(h));
	cr_assert_not_null(harness_find(h, CATALOG_CERT_SELF_SIGNED, NULL));
	harness_free(h);
	tls_facts_free(&facts);
}

/* ---- when there is no certificate to judge ---- */

static struct harness *session(const char *ehlo, const struct tls_facts *facts)
{
	struct harness_setup setup = {
	    .host = CERT_NAME,
	    .ehlo = ehlo,
	    .settings = {.cert_warn_days = 21},
	    .tls_facts = facts,
	};
	struct harness *h = harness_new(&probe_certificate, &setup);
	harness_start(h);
	return h;
}

Test(probe_certificate, without_starttls_it_is_not_applicable, .timeout = 10)
{
	struct harness *h = session(EHLO_NO_STARTTLS, NULL);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);

	h = session(NULL, NULL);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE, "a HELO-only server");
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_certificate, refused_starttls_is_inconclusive, .timeout = 10)
{
	struct harness *h = session(EHLO_STARTTLS, NULL);
	harness_reply(h, "454 4.7.0 TLS not available due to local problem");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(strstr(harness_verdict_reason(h), "454 4.7.0") != NULL, "%s",
	          harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_certificate, failed_handshake_is_left_to_stand, .timeout = 10)
{
	struct harness *h = session(EHLO_STARTTLS, NULL);
	harness_interrupt_because(h, OUTCOME_TLS_ERROR, "TLS handshake failed: bad record");
	cr_assert_not(harness_concluded(h));
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_certificate, handshake_without_certificate_is_inconclusive, .timeout = 10)
{
	struct tls_facts anonymous = {.version = "TLSv1.2", .ciphersuite = "TLS-DH-anon"};
	struct harness *h = session(EHLO_STARTTLS, &anonymous);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);

	h = session(EHLO_STARTTLS, NULL);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE, "no facts at all");
	harness_free(h);
}

/* ---- hostile certificate text ---- */

/* Dates at the ends of int64_t, on either side of the scan time. */
static const struct {
	int64_t not_before, not_after, now;
	enum catalog_id date_finding;
} extreme_dates[] = {
    {INT64_MIN, INT64_MIN, INT64_MAX, CATALOG_CERT_EXPIRED},
    {INT64_MAX, INT64_MAX, INT64_MIN, CATALOG_CERT_NOT_YET_VALID},
};

Test(probe_certificate, hostile_text_and_dates_stay_bounded, .timeout = 10)
{
	static char subject[4096], san[256];
	memset(subject, 'A', sizeof(subject) - 1);
	memset(san, 'b', sizeof(san) - 1);
	char *sans[64];
	for (size_t i = 0; i < 64; i++)
		sans[i] = san;
	for (size_t d = 0; d < sizeof(extreme_dates) / sizeof(extreme_dates[0]); d++) {
		struct tls_facts hostile = {
		    .subject = subject,
		    .issuer = subject,
		    .sans = sans,
		    .nsans = 64,
		    .not_before = extreme_dates[d].not_before,
		    .not_after = extreme_dates[d].not_after,
		    .key_type = "RSA",
		    .key_bits = 512,
		    .signature = "RSA with MD5",
		    .signature_hash = "MD5",
		    .name_checked = true,
		    .verify_detail = subject,
		};
		struct harness_setup setup = {
		    .host = CERT_NAME,
		    .ehlo = EHLO_STARTTLS,
		    .now = extreme_dates[d].now,
		    .settings = {.cert_warn_days = 21},
		    .tls_facts = &hostile,
		};
		struct harness *h = harness_new(&probe_certificate, &setup);
		harness_start(h);
		harness_reply(h, "220 2.0.0 Ready to start TLS");
		cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
		cr_assert_lt(strlen(harness_verdict_reason(h)), 1024);
		cr_assert_eq(harness_findings(h), 5, "%s", harness_verdict_reason(h));
		cr_assert_not_null(harness_find(h, CATALOG_CERT_UNTRUSTED, NULL));
		cr_assert_not_null(harness_find(h, extreme_dates[d].date_finding, NULL));
		cr_assert_not_null(harness_find(h, CATALOG_CERT_NAME_MISMATCH, NULL));
		cr_assert_not_null(harness_find(h, CATALOG_CERT_WEAK_KEY, NULL));
		cr_assert_not_null(harness_find(h, CATALOG_CERT_WEAK_SIGNATURE, NULL));
		for (size_t i = 0; i < harness_findings(h); i++) {
			const struct finding *f = harness_finding(h, i);
			cr_assert_lt(strlen(f->detail), 1024);
			for (size_t e = 0; e < f->nevidence; e++)
				cr_assert_lt(strlen(f->evidence[e].text), 1024);
		}
		harness_free(h);
	}
}
