/*
 * NAME
 *	test_probe_starttls_injection - the starttls_injection probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of servers is played against the probe: each row gives the EHLO
 *	reply, how the server answers the STARTTLS line that carries the
 *	injected RSET (refuses it; or says 220 and then answers the RSET inside
 *	TLS, stays silent inside TLS, or sends bytes before the handshake) and
 *	the verdict and findings the probe must reach. Separate tests check the
 *	exact bytes on the wire and the evidence, the bounds on what the
 *	evidence keeps of hostile bytes, and the ports where the probe does not
 *	apply. Every session is checked for what must never happen: anything
 *	but EHLO, STARTTLS and the one injected RSET sent.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include "probe_harness.h"

extern const struct probe probe_starttls_injection;

#define EHLO_HEAD     "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
#define EHLO_TAIL     "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
#define EHLO_STARTTLS EHLO_HEAD "250-STARTTLS\r\n" EHLO_TAIL

#define TLS_READY    "220 2.0.0 Ready to start TLS"
#define EHLO_COMMAND "EHLO scanner.example.net"

/* What the server does after the probe's STARTTLS<CRLF>RSET<CRLF>. */
enum server_move {
	SERVER_REFUSES,       /* answers STARTTLS with `answer` */
	SERVER_RUNS_RSET,     /* 220, handshake, then `answer` inside TLS */
	SERVER_DISCARDS_RSET, /* 220, handshake, silence: the probe's EHLO is answered */
	SERVER_EARLY_BYTES,   /* 220 followed by `answer` + CRLF before the handshake */
};

struct transcript {
	char name[48];
	enum server_move move;
	char answer[64];
	enum verdict verdict;
	bool finding;
	enum catalog_id id;
	char detail_has[80];
	char reason_has[80];
};

static const struct transcript transcripts[] = {
    {
        .name = "rset_answered_inside_tls",
        .move = SERVER_RUNS_RSET,
        .answer = "250 2.0.0 Ok",
        .verdict = VERDICT_VULNERABLE,
        .finding = true,
        .id = CATALOG_TLS_STARTTLS_INJECTION,
        .detail_has = "RSET, sent in clear with STARTTLS, was answered inside TLS (250)",
        .reason_has = "ran inside the TLS session",
    },
    {
        .name = "rset_refused_inside_tls",
        .move = SERVER_RUNS_RSET,
        .answer = "503 5.5.1 Error: command not expected",
        .verdict = VERDICT_VULNERABLE,
        .finding = true,
        .id = CATALOG_TLS_STARTTLS_INJECTION,
        .detail_has = "answered inside TLS (503)",
    },
    {
        .name = "rset_discarded",
        .move = SERVER_DISCARDS_RSET,
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "the command injected with STARTTLS was discarded",
    },
    {
        .name = "rset_answered_before_handshake",
        .move = SERVER_EARLY_BYTES,
        .answer = "250 2.0.0 Ok",
        .verdict = VERDICT_VULNERABLE,
        .finding = true,
        .id = CATALOG_TLS_DATA_BEFORE_HANDSHAKE,
        .detail_has = "14 bytes followed the 220 to STARTTLS before the handshake",
        .reason_has = "sent 14 bytes after its 220",
    },
    {
        .name = "starttls_refused",
        .move = SERVER_REFUSES,
        .answer = "454 4.7.0 TLS not available due to local problem",
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "STARTTLS refused (454)",
    },
    {
        .name = "starttls_unknown_command",
        .move = SERVER_REFUSES,
        .answer = "502 5.5.2 Error: command not recognized",
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "STARTTLS refused (502)",
    },
};

/* Only EHLO, STARTTLS and the one injected RSET ever leave the scanner. */
static void assert_safe(const struct harness *h)
{
	size_t allowed = harness_sent_verb(h, "STARTTLS") + harness_sent_verb(h, "RSET") +
	                 harness_sent_verb(h, "EHLO");
	cr_assert_eq(allowed, harness_sent_count(h), "unexpected command sent");
	cr_assert_leq(harness_sent_verb(h, "STARTTLS"), 1);
	cr_assert_leq(harness_sent_verb(h, "RSET"), 1);
}

ParameterizedTestParameters(probe_starttls_injection, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

ParameterizedTest(const struct transcript *t, probe_starttls_injection, transcript, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1, "%s: STARTTLS not pending", t->name);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	char bytes[80];
	switch (t->move) {
	case SERVER_REFUSES:
		harness_reply(h, t->answer);
		break;
	case SERVER_RUNS_RSET:
		harness_reply(h, TLS_READY);
		harness_reply(h, t->answer);
		break;
	case SERVER_DISCARDS_RSET:
		harness_reply(h, TLS_READY);
		harness_tls_silence(h);
		break;
	case SERVER_EARLY_BYTES:
		snprintf(bytes, sizeof(bytes), "%s\r\n", t->answer);
		harness_reply_then_bytes(h, TLS_READY, bytes, strlen(bytes));
		break;
	}
	cr_assert(harness_concluded(h), "%s: not concluded", t->name);
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->finding ? 1 : 0, "%s: %zu findings", t->name,
	             harness_findings(h));
	if (t->finding) {
		const struct finding *f = harness_finding(h, 0);
		cr_assert_eq(f->id, t->id, "%s: finding %s", t->name,
		             catalog_get(f->id)->public_id);
		cr_assert_null(f->variant, "%s: variant %s", t->name, f->variant);
		cr_assert_not_null(strstr(f->detail, t->detail_has), "%s: detail '%s'", t->name,
		                   f->detail);
	}
	if (t->reason_has[0])
		cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has),
		                   "%s: reason '%s'", t->name, harness_verdict_reason(h));
	assert_safe(h);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

Test(probe_starttls_injection, rset_rides_in_the_starttls_write, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	/* Both lines are on the wire before any answer: the harness records the injection. */
	cr_assert_eq(harness_sent_count(h), 2);
	cr_assert_str_eq(harness_sent(h, 0), "STARTTLS");
	cr_assert_str_eq(harness_sent(h, 1), "RSET");
	cr_assert_eq(harness_pending(h), 1);
	harness_reply(h, TLS_READY);
	cr_assert(harness_tls_active(h));
	cr_assert_str_eq(harness_pending_command(h, 0), "RSET");
	harness_tls_silence(h);
	cr_assert_eq(harness_sent_count(h), 3);
	cr_assert_str_eq(harness_sent(h, 2), EHLO_COMMAND);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	harness_free(h);
}

Test(probe_starttls_injection, evidence_of_the_answer_inside_tls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	harness_reply(h, TLS_READY);
	harness_reply(h, "250 2.0.0 Ok");
	const struct finding *f = harness_find(h, CATALOG_TLS_STARTTLS_INJECTION, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 3);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(f->evidence[0].text, "sent STARTTLS<CRLF>RSET<CRLF> in one TCP segment");
	cr_assert_eq(f->evidence[2].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[2].text, "250 2.0.0 Ok");
	cr_assert_eq(finding_severity(f), SEVERITY_HIGH);
	harness_free(h);
}

Test(probe_starttls_injection, evidence_of_bytes_before_the_handshake, .timeout = 10)
{
	static const char bytes[] = "250 2.0.0 Ok\r\n";
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	harness_reply_then_bytes(h, TLS_READY, bytes, sizeof(bytes) - 1);
	const struct finding *f = harness_find(h, CATALOG_TLS_DATA_BEFORE_HANDSHAKE, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 3);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[0].text, "STARTTLS");
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[1].text, TLS_READY);
	cr_assert_eq(f->evidence[2].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[2].text, bytes);
	cr_assert_eq(finding_severity(f), SEVERITY_MEDIUM);
	cr_assert_not(harness_tls_active(h));
	harness_free(h);
}

/* Hostile bytes: a NUL cannot cut the evidence, and only the first 120 bytes are kept. */
Test(probe_starttls_injection, early_bytes_are_bounded_and_nul_safe, .timeout = 10)
{
	unsigned char bytes[4096];
	memset(bytes, 'A', sizeof(bytes));
	bytes[0] = '\0';
	bytes[5] = '\0';
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	harness_reply_then_bytes(h, TLS_READY, bytes, sizeof(bytes));
	const struct finding *f = harness_find(h, CATALOG_TLS_DATA_BEFORE_HANDSHAKE, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->detail, "4096 bytes followed the 220 to STARTTLS before the handshake");
	const char *kept = f->evidence[f->nevidence - 1].text;
	cr_assert_eq(strlen(kept), 120);
	cr_assert_eq(strncmp(kept, ".AAAA.AAA", 9), 0, "evidence starts '%.9s'", kept);
	cr_assert_not_null(strstr(harness_verdict_reason(h), "4096 bytes"));
	harness_free(h);
}

Test(probe_starttls_injection, handshake_failure_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	harness_reply(h, TLS_READY);
	harness_interrupt_because(h, OUTCOME_TLS_ERROR, "TLS handshake failed: bad certificate");
	cr_assert_not(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_starttls_injection, not_applicable_without_starttls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD EHLO_TAIL};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_str_eq(harness_verdict_reason(h), "STARTTLS is not offered");
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_starttls_injection, not_applicable_on_helo_only_server, .timeout = 10)
{
	struct harness *h = harness_new(&probe_starttls_injection, NULL);
	harness_start(h);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_starttls_injection, not_applicable_on_implicit_tls, .timeout = 10)
{
	struct harness_setup setup = {.port = 465, .implicit_tls = true, .ehlo = EHLO_STARTTLS};
	struct harness *h = harness_new(&probe_starttls_injection, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_str_eq(harness_verdict_reason(h), "implicit TLS: no STARTTLS to inject into");
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
