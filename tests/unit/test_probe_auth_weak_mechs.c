/*
 * NAME
 *	test_probe_auth_weak_mechs - the auth_weak_mechs probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of sessions: Postfix offering PLAIN LOGIN only after TLS
 *	(nothing but STARTTLS may be sent), Exchange offering NTLM before and
 *	after TLS and answering with a real CHALLENGE, NTLM only after TLS
 *	(the MS-NLMP 4.2.4.3 challenge), Sendmail's CRAM-MD5 and DIGEST-MD5
 *	before TLS, garbage and refusals where a CHALLENGE should be, an
 *	implicit TLS port, a refused STARTTLS and good mechanisms only. Each
 *	row gives the EHLO replies before and after TLS, the replies in order,
 *	the commands the probe must send, the verdict and the findings. Every
 *	session is checked for MAIL, RCPT, DATA and BDAT never being sent.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "probe_harness.h"

extern const struct probe probe_auth_weak_mechs;

#define EHLO_HEAD "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
#define EHLO_TAIL "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
#define EXCHANGE_EHLO                                                                              \
	"250-mail.contoso.com Hello [192.0.2.10]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n"       \
	"250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-AUTH NTLM LOGIN\r\n"            \
	"250-8BITMIME\r\n250-BINARYMIME\r\n250 CHUNKING"

/* The NEGOTIATE message of ntlm.h, base64. */
#define AUTH_NTLM "AUTH NTLM TlRMTVNTUAABAAAAB4IIogAAAAAoAAAAAAAAACgAAAAAAAAAAAAADw=="

/* Exchange 2019 on Windows Server 2019 (the bytes of test_ntlm's exchange_challenge). */
#define EXCHANGE_CHALLENGE                                                                         \
	"334 "                                                                                     \
	"TlRMTVNTUAACAAAADgAOADgAAAAFgomiXBp+C5PS9kgAAAAAAAAAAJoAmgBGAAAACgBjRQAAAA9DAE8ATgBUAE8A" \
	"UwBPAAIADgBDAE8ATgBUAE8AUwBPAAEADABFAFgAQwBIADAAMQAEABoAYwBvAG4AdABvAHMAbwAuAGwAbwBjAGEA" \
	"bAAD"                                                                                     \
	"ACgARQBYAEMASAAwADEALgBjAG8AbgB0AG8AcwBvAC4AbABvAGMAYQBsAAUAGgBjAG8AbgB0AG8AcwBvAC4AbABv" \
	"AGMA"                                                                                     \
	"YQBsAAcACADUw7KhtTzaAQAAAAA="

/* MS-NLMP section 4.2.4.3. */
#define SPEC_CHALLENGE                                                                             \
	"334 "                                                                                     \
	"TlRMTVNTUAACAAAADAAMADgAAAAzgoriASNFZ4mrze8AAAAAAAAAACQAJABEAAAABgBwFwAAAA9TAGUAcgB2AGUA" \
	"cgACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAA="

#define MAX_REPLIES  4
#define MAX_FINDINGS 3

struct transcript {
	char name[40];
	uint16_t port;
	bool implicit_tls;
	char ehlo[320];                 /* "" = the server speaks only HELO */
	char ehlo_tls[320];             /* "" = the harness default (ehlo without STARTTLS) */
	char replies[MAX_REPLIES][400]; /* answers to the pending command, in order */
	char sent[MAX_REPLIES][80];     /* the commands expected */
	enum verdict verdict;
	size_t nfindings;
	enum catalog_id ids[MAX_FINDINGS];
	char variants[MAX_FINDINGS][16]; /* "" = no variant */
	char detail_has[96];             /* in the first finding's detail ("" = not checked) */
	char reason_has[96];             /* in the verdict reason */
};

static const struct transcript transcripts[] = {
    {
        .name = "postfix_auth_only_after_tls",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "only PLAIN LOGIN offered, only after STARTTLS",
    },
    {
        .name = "exchange_ntlm_before_and_after_tls",
        .ehlo = EXCHANGE_EHLO,
        .ehlo_tls = EXCHANGE_EHLO,
        .replies = {EXCHANGE_CHALLENGE, "501 5.7.3 Authentication aborted",
                    "220 2.0.0 SMTP server ready"},
        .sent = {AUTH_NTLM, "*", "STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "host EXCH01.contoso.local, domain contoso.local, Windows 10.0 build 17763",
        .reason_has = "weak mechanisms offered: NTLM (before and after STARTTLS)",
    },
    {
        .name = "ntlm_only_after_tls",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH GSSAPI NTLM\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS", SPEC_CHALLENGE,
                    "501 5.7.0 Authentication aborted"},
        .sent = {"STARTTLS", AUTH_NTLM, "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "host Server, domain Domain, Windows 6.0 build 6000; NTLM offered only after",
    },
    {
        .name = "sendmail_cram_digest_before_tls",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n250-AUTH DIGEST-MD5 CRAM-MD5\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_AUTH_WEAK_CHALLENGE, CATALOG_AUTH_WEAK_CHALLENGE},
        .variants = {"CRAM-MD5", "DIGEST-MD5"},
        .detail_has = "CRAM-MD5 offered only before STARTTLS",
        .reason_has = "CRAM-MD5 (only before STARTTLS), DIGEST-MD5 (only before STARTTLS)",
    },
    {
        .name = "cram_before_and_after_tls",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n250-AUTH CRAM-MD5\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH PLAIN LOGIN CRAM-MD5\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_WEAK_CHALLENGE},
        .variants = {"CRAM-MD5"},
        .detail_has = "CRAM-MD5 offered before and after STARTTLS",
    },
    {
        .name = "digest_only_after_tls",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH=PLAIN DIGEST-MD5\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_WEAK_CHALLENGE},
        .variants = {"DIGEST-MD5"},
        .detail_has = "DIGEST-MD5 offered only after STARTTLS",
    },
    {
        .name = "garbage_challenge",
        .ehlo = EHLO_HEAD "250-AUTH NTLM\r\n" EHLO_TAIL,
        .replies = {"334 this is !! not base64", "501 5.7.0 Authentication aborted"},
        .sent = {AUTH_NTLM, "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "challenge not disclosed (AUTH NTLM answered 334); NTLM offered before",
        .reason_has = "STARTTLS not offered",
    },
    {
        .name = "base64_that_is_no_challenge",
        .ehlo = EHLO_HEAD "250-AUTH NTLM\r\n" EHLO_TAIL,
        .replies = {"334 VXNlcm5hbWU6", "501 5.7.0 Authentication aborted"},
        .sent = {AUTH_NTLM, "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "challenge not disclosed",
    },
    {
        /* A valid 48-byte CHALLENGE with an empty target name and no TargetInfo. */
        .name = "challenge_without_names",
        .ehlo = EHLO_HEAD "250-AUTH NTLM\r\n" EHLO_TAIL,
        .replies = {"334 TlRMTVNTUAACAAAAAAAAADAAAAABAgAAAAECAwQFBgcAAAAAAAAAAAAAAAAwAAAA",
                    "501 5.7.0 Authentication aborted"},
        .sent = {AUTH_NTLM, "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "NTLM challenge decoded, but it names no host, domain or version",
    },
    {
        .name = "ntlm_advertised_but_refused",
        .ehlo = EHLO_HEAD "250-AUTH NTLM LOGIN\r\n" EHLO_TAIL,
        .replies = {"504 5.7.4 Unrecognized authentication type"},
        .sent = {AUTH_NTLM},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_NTLM_DISCLOSURE},
        .detail_has = "challenge not disclosed (AUTH NTLM answered 504)",
    },
    {
        .name = "implicit_tls_port",
        .port = 465,
        .implicit_tls = true,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN CRAM-MD5\r\n" EHLO_TAIL,
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_WEAK_CHALLENGE},
        .variants = {"CRAM-MD5"},
        .detail_has = "CRAM-MD5 offered on the implicit TLS port",
    },
    {
        .name = "starttls_refused",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"454 4.7.0 TLS not available due to local problem"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "only PLAIN LOGIN offered, before STARTTLS; STARTTLS refused (454)",
    },
    {
        .name = "no_auth_anywhere",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "AUTH not offered before or after STARTTLS",
    },
    {
        .name = "modern_mechanisms_only",
        .ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_HEAD "250-AUTH GSSAPI SCRAM-SHA-256 SCRAM-SHA-1 XOAUTH2 OAUTHBEARER "
                              "EXTERNAL\r\n" EHLO_TAIL,
        .replies = {"220 2.0.0 Ready to start TLS"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "only GSSAPI EXTERNAL XOAUTH2 OAUTHBEARER SCRAM-SHA-1 SCRAM-SHA-256 offered",
    },
    {
        .name = "helo_only_server",
        .ehlo = "",
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "AUTH not offered before STARTTLS; STARTTLS not offered",
    },
};

static void assert_no_mail_transaction(const struct harness *h)
{
	static const char *const forbidden[] = {"MAIL", "RCPT", "DATA", "BDAT"};
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		cr_assert_eq(harness_sent_verb(h, forbidden[i]), 0, "%s sent", forbidden[i]);
}

/* Commands the test saw go out, without the EHLO the harness sends after STARTTLS. */
static size_t sent_by_probe(const struct harness *h)
{
	return harness_sent_count(h) - harness_sent_verb(h, "EHLO");
}

ParameterizedTestParameters(probe_auth_weak_mechs, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

ParameterizedTest(const struct transcript *t, probe_auth_weak_mechs, transcript, .timeout = 10)
{
	struct harness_setup setup = {.port = t->port,
	                              .implicit_tls = t->implicit_tls,
	                              .ehlo = t->ehlo[0] ? t->ehlo : NULL,
	                              .ehlo_tls = t->ehlo_tls[0] ? t->ehlo_tls : NULL};
	struct harness *h = harness_new(&probe_auth_weak_mechs, &setup);
	harness_start(h);
	size_t n = 0;
	for (; n < MAX_REPLIES && t->replies[n][0] != '\0'; n++) {
		cr_assert_eq(harness_pending(h), 1, "%s: step %zu: nothing pending", t->name, n);
		cr_assert_str_eq(harness_pending_command(h, 0), t->sent[n], "%s: step %zu", t->name,
		                 n);
		harness_reply(h, t->replies[n]);
	}
	cr_assert(harness_concluded(h), "%s: not concluded after %zu replies", t->name, n);
	cr_assert_eq(sent_by_probe(h), n, "%s: sent %zu commands", t->name, sent_by_probe(h));
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings", t->name,
	             harness_findings(h));
	for (size_t i = 0; i < t->nfindings; i++)
		cr_assert_not_null(
		    harness_find(h, t->ids[i], t->variants[i][0] ? t->variants[i] : NULL),
		    "%s: no finding %s %s", t->name, catalog_get(t->ids[i])->public_id,
		    t->variants[i]);
	if (t->detail_has[0])
		cr_assert_not_null(strstr(harness_finding(h, 0)->detail, t->detail_has),
		                   "%s: detail '%s'", t->name, harness_finding(h, 0)->detail);
	if (t->reason_has[0])
		cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has),
		                   "%s: reason '%s'", t->name, harness_verdict_reason(h));
	assert_no_mail_transaction(h);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

static bool has_evidence(const struct finding *f, enum evidence_kind kind, const char *text)
{
	for (size_t i = 0; i < f->nevidence; i++)
		if (f->evidence[i].kind == kind && strcmp(f->evidence[i].text, text) == 0)
			return true;
	return false;
}

Test(probe_auth_weak_mechs, ntlm_evidence_names_what_the_challenge_disclosed, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EXCHANGE_EHLO, .ehlo_tls = EXCHANGE_EHLO};
	struct harness *h = harness_new(&probe_auth_weak_mechs, &setup);
	harness_start(h);
	harness_reply(h, EXCHANGE_CHALLENGE);
	harness_reply(h, "501 5.7.3 Authentication aborted");
	harness_reply(h, "220 2.0.0 SMTP server ready");
	const struct finding *f = harness_find(h, CATALOG_AUTH_NTLM_DISCLOSURE, NULL);
	cr_assert_not_null(f);
	cr_assert_null(f->variant);
	cr_assert_str_eq(f->evidence[0].text, AUTH_NTLM);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[1].text, EXCHANGE_CHALLENGE);
	static const char *const notes[] = {
	    "Target name: CONTOSO",
	    "NetBIOS domain: CONTOSO",
	    "NetBIOS computer: EXCH01",
	    "DNS domain: contoso.local",
	    "DNS computer: EXCH01.contoso.local",
	    "DNS tree: contoso.local",
	    "OS version: 10.0 build 17763",
	    "AUTH mechanisms before STARTTLS: LOGIN NTLM",
	    "AUTH mechanisms after STARTTLS: LOGIN NTLM",
	};
	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		cr_assert(has_evidence(f, EVIDENCE_NOTE, notes[i]), "note missing: %s", notes[i]);
	/* NTLM is tried once, in cleartext, even though TLS offers it too. */
	cr_assert_eq(harness_sent_verb(h, "AUTH"), 1);
	harness_free(h);
}

Test(probe_auth_weak_mechs, cleartext_findings_stand_when_tls_fails, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD
	                              "250-STARTTLS\r\n250-AUTH CRAM-MD5\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_weak_mechs, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_interrupt(h, OUTCOME_TLS_ERROR);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *f = harness_find(h, CATALOG_AUTH_WEAK_CHALLENGE, "CRAM-MD5");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->detail, "CRAM-MD5 offered before STARTTLS");
	cr_assert_not_null(strstr(harness_verdict_reason(h),
	                          "mechanisms after STARTTLS not examined; session ended early: "
	                          "tls-error"),
	                   "reason: %s", harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_weak_mechs, tls_failure_with_nothing_weak_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_weak_mechs, &setup);
	harness_start(h);
	harness_interrupt(h, OUTCOME_TLS_ERROR);
	cr_assert(!harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
