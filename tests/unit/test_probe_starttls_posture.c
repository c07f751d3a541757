/*
 * NAME
 *	test_probe_starttls_posture - the starttls probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of sessions (STARTTLS missing on a relay port, on a submission
 *	port and on a HELO-only server; STARTTLS working; submission refusing
 *	MAIL before TLS or taking it; STARTTLS refused; capability lists that
 *	differ or agree before and after TLS) is played against the probe: each
 *	row gives the EHLO replies, the replies in order, every line the probe
 *	must send, and the verdict and findings it must reach. Session ends the
 *	table cannot script (handshake failures and timeouts after STARTTLS,
 *	implicit TLS that works or fails at connect, 421) have tests of their
 *	own. Every session is checked for what must never happen: RCPT, DATA,
 *	BDAT or AUTH sent, or MAIL anywhere but on a submission port before TLS.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "probe_harness.h"

extern const struct probe probe_starttls_posture;

#define EHLO_HEAD        "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
#define EHLO_TAIL        "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
#define EHLO_STARTTLS    EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL
#define EHLO_NO_STARTTLS EHLO_HEAD EHLO_TAIL

#define TLS_READY    "220 2.0.0 Ready to start TLS"
#define MAIL_FROM    "MAIL FROM:<smtp-audit@example.org>"
#define EHLO_COMMAND "EHLO scanner.example.net"

#define MAX_REPLIES  4
#define MAX_SENT     5
#define MAX_FINDINGS 2

/* Criterion copies parameters into the process running the test: a row holds its text. */
struct transcript {
	char name[48];
	uint16_t port;
	char ehlo[256];                /* "" = the server speaks only HELO */
	char ehlo_tls[256];            /* "" = the harness default: ehlo without STARTTLS */
	char replies[MAX_REPLIES][64]; /* answers to the pending command, in order */
	char sent[MAX_SENT][48];       /* every line sent, in order */
	enum verdict verdict;
	size_t nfindings;
	enum catalog_id ids[MAX_FINDINGS];
	char variants[MAX_FINDINGS][16]; /* "" = no variant */
	char detail_has[80];             /* in the first finding's detail ("" = not checked) */
	char reason_has[64];             /* in the verdict reason */
};

static const struct transcript transcripts[] = {
    {
        .name = "relay_port_without_starttls",
        .port = 25,
        .ehlo = EHLO_NO_STARTTLS,
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_STARTTLS_MISSING},
        .variants = {"relay"},
        .detail_has = "relay port 25 does not offer STARTTLS",
        .reason_has = "STARTTLS is not offered",
    },
    {
        .name = "submission_port_without_starttls",
        .port = 587,
        .ehlo = EHLO_NO_STARTTLS,
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_STARTTLS_MISSING},
        .variants = {"submission"},
        .detail_has = "submission port 587 does not offer STARTTLS",
    },
    {
        .name = "helo_only_server",
        .port = 25,
        .ehlo = "",
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_STARTTLS_MISSING},
        .variants = {"relay"},
        .detail_has = "(the server does not speak ESMTP)",
    },
    {
        .name = "relay_port_starttls_works",
        .port = 25,
        .ehlo = EHLO_STARTTLS,
        .replies = {TLS_READY},
        .sent = {"STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "STARTTLS works",
    },
    {
        .name = "submission_refuses_mail_before_tls",
        .port = 587,
        .ehlo = EHLO_STARTTLS,
        .replies = {"530 5.7.0 Must issue a STARTTLS command first", "250 2.0.0 Ok", TLS_READY},
        .sent = {MAIL_FROM, "RSET", "STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "STARTTLS works",
    },
    {
        .name = "submission_takes_mail_before_tls",
        .port = 587,
        .ehlo = EHLO_STARTTLS,
        .replies = {"250 2.1.0 Ok", "250 2.0.0 Ok", TLS_READY},
        .sent = {MAIL_FROM, "RSET", "STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_NOT_ENFORCED},
        .variants = {"MAIL"},
        .detail_has = "submission port 587 accepts MAIL FROM before STARTTLS",
    },
    {
        .name = "starttls_refused_454",
        .port = 25,
        .ehlo = EHLO_STARTTLS,
        .replies = {"454 4.7.0 TLS not available due to local problem"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_STARTTLS_BROKEN},
        .variants = {"refused"},
        .detail_has = "STARTTLS is advertised but refused with 454",
        .reason_has = "STARTTLS advertised but refused",
    },
    {
        .name = "submission_takes_mail_and_refuses_tls",
        .port = 587,
        .ehlo = EHLO_STARTTLS,
        .replies = {"250 2.1.0 Ok", "250 2.0.0 Ok", "454 TLS currently unavailable"},
        .sent = {MAIL_FROM, "RSET", "STARTTLS"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_TLS_NOT_ENFORCED, CATALOG_TLS_STARTTLS_BROKEN},
        .variants = {"MAIL", "refused"},
    },
    {
        .name = "auth_only_after_tls",
        .port = 587,
        .ehlo = EHLO_STARTTLS,
        .ehlo_tls = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"530 5.7.0 Must issue a STARTTLS command first", "250 2.0.0 Ok", TLS_READY},
        .sent = {MAIL_FROM, "RSET", "STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_CAPS_CHANGED},
        .detail_has = "different extensions once TLS is active",
    },
    {
        .name = "extensions_only_in_cleartext",
        .port = 25,
        .ehlo = EHLO_HEAD "250-ETRN\r\n250-VRFY\r\n250-STARTTLS\r\n" EHLO_TAIL,
        .ehlo_tls = EHLO_NO_STARTTLS,
        .replies = {TLS_READY},
        .sent = {"STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_CAPS_CHANGED},
    },
    {
        .name = "size_limit_changes_under_tls",
        .port = 25,
        .ehlo = EHLO_STARTTLS,
        .ehlo_tls = "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n" EHLO_TAIL,
        .replies = {TLS_READY},
        .sent = {"STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_TLS_CAPS_CHANGED},
    },
    {
        .name = "same_extensions_other_order_and_case",
        .port = 25,
        .ehlo = EHLO_STARTTLS,
        .ehlo_tls = "250-mx.example.org Hello scanner\r\n250-8bitmime\r\n"
                    "250-enhancedstatuscodes\r\n250-SIZE 10240000\r\n250 pipelining",
        .replies = {TLS_READY},
        .sent = {"STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
    },
    {
        .name = "ehlo_refused_inside_tls",
        .port = 25,
        .ehlo = EHLO_STARTTLS,
        .ehlo_tls = "554 5.7.1 Access denied",
        .replies = {TLS_READY},
        .sent = {"STARTTLS", EHLO_COMMAND},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "STARTTLS works",
    },
};

/* ---- checks every session must pass ---- */

/* Nothing that could deliver or authenticate goes out; MAIL only probes submission before TLS. */
static void assert_safe(const struct harness *h, bool mail_allowed)
{
	static const char *const forbidden[] = {"RCPT", "DATA", "BDAT", "AUTH"};
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		cr_assert_eq(harness_sent_verb(h, forbidden[i]), 0, "%s sent", forbidden[i]);
	cr_assert_leq(harness_sent_verb(h, "MAIL"), mail_allowed ? 1 : 0, "MAIL sent");
	if (harness_sent_verb(h, "MAIL") == 1)
		cr_assert_eq(harness_sent_verb(h, "RSET"), 1, "MAIL FROM not followed by RSET");
}

static const struct finding *find(const struct harness *h, enum catalog_id id, const char *variant)
{
	const struct finding *f = harness_find(h, id, variant[0] ? variant : NULL);
	if (f != NULL && variant[0] == '\0')
		cr_assert_null(f->variant, "%s carries variant %s", catalog_get(id)->public_id,
		               f->variant);
	return f;
}

ParameterizedTestParameters(probe_starttls_posture, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

ParameterizedTest(const struct transcript *t, probe_starttls_posture, transcript, .timeout = 10)
{
	struct harness_setup setup = {.port = t->port,
	                              .ehlo = t->ehlo[0] ? t->ehlo : NULL,
	                              .ehlo_tls = t->ehlo_tls[0] ? t->ehlo_tls : NULL};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	size_t n = 0;
	for (; n < MAX_REPLIES && t->replies[n][0] != '\0'; n++) {
		cr_assert_eq(harness_pending(h), 1, "%s: step %zu: %zu pending", t->name, n,
		             harness_pending(h));
		harness_reply(h, t->replies[n]);
	}
	cr_assert(harness_concluded(h), "%s: not concluded after %zu replies", t->name, n);
	size_t nsent = 0;
	while (nsent < MAX_SENT && t->sent[nsent][0] != '\0')
		nsent++;
	cr_assert_eq(harness_sent_count(h), nsent, "%s: sent %zu lines", t->name,
	             harness_sent_count(h));
	for (size_t i = 0; i < nsent; i++)
		cr_assert_str_eq(harness_sent(h, i), t->sent[i], "%s: line %zu", t->name, i);
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings", t->name,
	             harness_findings(h));
	for (size_t i = 0; i < t->nfindings; i++)
		cr_assert_not_null(find(h, t->ids[i], t->variants[i]), "%s: no finding %s/%s",
		                   t->name, catalog_get(t->ids[i])->public_id, t->variants[i]);
	if (t->detail_has[0])
		cr_assert_not_null(strstr(harness_finding(h, 0)->detail, t->detail_has),
		                   "%s: detail '%s'", t->name, harness_finding(h, 0)->detail);
	if (t->reason_has[0])
		cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has),
		                   "%s: reason '%s'", t->name, harness_verdict_reason(h));
	assert_safe(h, t->port == 587);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

Test(probe_starttls_posture, not_enforced_evidence_is_the_exchange, .timeout = 10)
{
	struct harness_setup setup = {.port = 587, .ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), MAIL_FROM);
	harness_reply(h, "250 2.1.0 Ok");
	cr_assert_str_eq(harness_pending_command(h, 0), "RSET");
	harness_reply(h, "250 2.0.0 Ok");
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_reply(h, TLS_READY);
	const struct finding *f = harness_find(h, CATALOG_TLS_NOT_ENFORCED, "MAIL");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 2);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[0].text, MAIL_FROM);
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[1].text, "250 2.1.0 Ok");
	cr_assert(harness_tls_active(h));
	harness_free(h);
}

Test(probe_starttls_posture, refusal_evidence_is_the_exchange, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply(h, "454-4.7.0 TLS not available\r\n454 4.7.0 due to local problem");
	const struct finding *f = harness_find(h, CATALOG_TLS_STARTTLS_BROKEN, "refused");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 3);
	cr_assert_str_eq(f->evidence[0].text, "STARTTLS");
	cr_assert_str_eq(f->evidence[1].text, "454-4.7.0 TLS not available");
	cr_assert_str_eq(f->evidence[2].text, "454 4.7.0 due to local problem");
	cr_assert_not(harness_tls_active(h));
	harness_free(h);
}

Test(probe_starttls_posture, capability_lists_side_by_side, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS,
	                              .ehlo_tls = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply(h, TLS_READY);
	const struct finding *f = harness_find(h, CATALOG_TLS_CAPS_CHANGED, NULL);
	cr_assert_not_null(f);
	cr_assert_null(f->variant);
	cr_assert_eq(f->nevidence, 2);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(
	    f->evidence[0].text,
	    "before TLS: STARTTLS SIZE=10240000 PIPELINING 8BITMIME ENHANCEDSTATUSCODES");
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[1].text, "after TLS: AUTH(PLAIN LOGIN) SIZE=10240000 "
	                                      "PIPELINING 8BITMIME ENHANCEDSTATUSCODES");
	cr_assert_eq(finding_severity(f), SEVERITY_INFO);
	harness_free(h);
}

Test(probe_starttls_posture, reason_names_the_negotiated_parameters, .timeout = 10)
{
	static char version[] = "TLSv1.3", suite[] = "TLS1-3-AES-256-GCM-SHA384";
	const struct tls_facts facts = {.version = version, .ciphersuite = suite};
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS, .tls_facts = &facts};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply(h, TLS_READY);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_str_eq(harness_verdict_reason(h),
	                 "STARTTLS works (TLSv1.3, TLS1-3-AES-256-GCM-SHA384)");
	harness_free(h);
}

Test(probe_starttls_posture, handshake_failure_is_broken_with_the_reason, .timeout = 10)
{
	static const char reason[] = "TLS handshake failed: SSL - A fatal alert message was "
	                             "received from our peer";
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_interrupt_because(h, OUTCOME_TLS_ERROR, reason);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_eq(harness_findings(h), 1);
	const struct finding *f = harness_find(h, CATALOG_TLS_STARTTLS_BROKEN, "handshake");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->detail, "the TLS handshake after STARTTLS failed");
	cr_assert_eq(f->nevidence, 1);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[0].text, reason);
	cr_assert_str_eq(harness_verdict_reason(h),
	                 "STARTTLS accepted but the TLS handshake failed");
	harness_free(h);
}

Test(probe_starttls_posture, bytes_after_the_220_break_the_handshake, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply_then_bytes(h, TLS_READY, "250 2.0.0 Ok\r\n", 14);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *f = harness_find(h, CATALOG_TLS_STARTTLS_BROKEN, "handshake");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 1);
	cr_assert_not_null(strstr(f->evidence[0].text, "after its 220 to STARTTLS"),
	                   "evidence '%s'", f->evidence[0].text);
	harness_free(h);
}

Test(probe_starttls_posture, handshake_timeout_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert_not(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

/* What was seen before the session ended stands, as in auth_before_tls. */
Test(probe_starttls_posture, not_enforced_stands_when_the_handshake_times_out, .timeout = 10)
{
	struct harness_setup setup = {.port = 587, .ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply(h, "250 2.1.0 Ok");
	harness_reply(h, "250 2.0.0 Ok");
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert_eq(harness_findings(h), 1);
	cr_assert_not_null(harness_find(h, CATALOG_TLS_NOT_ENFORCED, "MAIL"));
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE, "verdict %s",
	             verdict_name(harness_verdict(h)));
	harness_free(h);
}

Test(probe_starttls_posture, throttled_before_mail_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.port = 587, .ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	harness_reply(h, "421 4.7.0 mx.example.org Error: too many connections");
	cr_assert_not(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_starttls_posture, implicit_tls_that_works, .timeout = 10)
{
	struct harness_setup setup = {.port = 465, .implicit_tls = true, .ehlo = EHLO_NO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_str_eq(harness_verdict_reason(h), "implicit TLS handshake succeeded");
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

/* The engine calls interrupted() when the handshake of the preamble fails: start() never runs. */
Test(probe_starttls_posture, implicit_tls_that_fails_at_connect, .timeout = 10)
{
	static const char reason[] = "TLS handshake failed: SSL - The connection indicated an EOF";
	struct harness_setup setup = {.port = 465, .implicit_tls = true, .ehlo = EHLO_NO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_interrupt_because(h, OUTCOME_TLS_ERROR, reason);
	cr_assert_eq(harness_sessions(h), 0);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_str_eq(harness_verdict_reason(h), "implicit TLS handshake failed");
	cr_assert_eq(harness_findings(h), 1);
	const struct finding *f = harness_find(h, CATALOG_TLS_IMPLICIT_BROKEN, NULL);
	cr_assert_not_null(f);
	cr_assert_null(f->variant);
	cr_assert_str_eq(f->detail, "the TLS handshake on connect failed");
	cr_assert_eq(f->nevidence, 1);
	cr_assert_str_eq(f->evidence[0].text, reason);
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_starttls_posture, implicit_tls_timeout_at_connect_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.port = 465, .implicit_tls = true};
	struct harness *h = harness_new(&probe_starttls_posture, &setup);
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert_not(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
