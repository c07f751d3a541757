/*
 * NAME
 *	test_probe_auth_before_tls - the auth_before_tls probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of cleartext sessions (Postfix with AUTH only after TLS,
 *	servers that check PLAIN or prompt for LOGIN before TLS on ports 25
 *	and 587, servers that refuse with 538, 504 or TLS wording, servers
 *	that process AUTH they never advertised) is played against the probe:
 *	each row gives the EHLO reply, the replies in order, the commands the
 *	probe must send, and the verdict and findings it must reach. Every
 *	session, table or not, is checked for what must never happen: MAIL,
 *	RCPT, DATA or BDAT sent, or the fake password (in clear or base64) in
 *	any evidence, detail or reason.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "probe_harness.h"

extern const struct probe probe_auth_before_tls;

#define EHLO_HEAD "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
#define EHLO_TAIL "250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"

#define MAX_REPLIES  4
#define MAX_FINDINGS 2

/* Criterion copies parameters into the process running the test: a row holds its text. */
struct transcript {
	char name[40];
	uint16_t port;
	char ehlo[256];                /* "" = the server speaks only HELO */
	char replies[MAX_REPLIES][96]; /* answers to the pending command, in order */
	char sent[MAX_REPLIES][24];    /* commands expected; "AUTH PLAIN " matches as a prefix */
	enum verdict verdict;
	size_t nfindings;
	enum catalog_id ids[MAX_FINDINGS];
	char variants[MAX_FINDINGS][16];
	char detail_has[80]; /* in the first finding's detail ("" = not checked) */
	char reason_has[64]; /* in the verdict reason */
};

static const struct transcript transcripts[] = {
    {
        .name = "postfix_auth_only_after_tls",
        .port = 25,
        .ehlo = EHLO_HEAD EHLO_TAIL,
        .replies = {"503 5.5.1 Error: authentication not enabled"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "none advertised; PLAIN: 503 5.5.1 AUTH not offered",
    },
    {
        .name = "submission_plain_checked_login_prompts",
        .port = 587,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"535 5.7.8 Error: authentication failed: authentication failure",
                    "334 VXNlcm5hbWU6", "501 5.7.0 Authentication aborted"},
        .sent = {"AUTH PLAIN ", "AUTH LOGIN", "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_AUTH_CLEARTEXT_SUBMISSION, CATALOG_AUTH_CLEARTEXT_SUBMISSION},
        .variants = {"PLAIN", "LOGIN"},
        .detail_has = "AUTH PLAIN credentials checked without TLS (535) on port 587",
        .reason_has = "AUTH before STARTTLS: PLAIN LOGIN; PLAIN: 535 5.7.8",
    },
    {
        .name = "mx_plain_checked_login_prompts",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"535 5.7.8 Error: authentication failed: authentication failure",
                    "334 VXNlcm5hbWU6", "501 5.7.0 Authentication aborted"},
        .sent = {"AUTH PLAIN ", "AUTH LOGIN", "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX, CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"PLAIN", "LOGIN"},
        .reason_has = "LOGIN: 334 asked for credentials without TLS",
    },
    {
        .name = "exchange_login_prompts",
        .port = 25,
        .ehlo = "250-mail.contoso.com Hello [192.0.2.10]\r\n250-SIZE 37748736\r\n"
                "250-PIPELINING\r\n250-STARTTLS\r\n250-AUTH NTLM LOGIN\r\n250 CHUNKING",
        .replies = {"334 VXNlcm5hbWU6", "501 5.7.0 Authentication aborted"},
        .sent = {"AUTH LOGIN", "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"LOGIN"},
        .detail_has = "AUTH LOGIN asked for credentials without TLS (334)",
    },
    {
        .name = "encryption_required_538",
        .port = 587,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"538 5.7.11 Encryption required for requested authentication mechanism",
                    "538 5.7.11 Encryption required for requested authentication mechanism"},
        .sent = {"AUTH PLAIN ", "AUTH LOGIN"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_ADVERTISED_CLEARTEXT},
        .variants = {"PLAIN,LOGIN"},
        .detail_has = "PLAIN,LOGIN advertised before STARTTLS but refused",
        .reason_has = "PLAIN: 538 5.7.11 refused without TLS",
    },
    {
        .name = "535_that_demands_starttls",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN\r\n" EHLO_TAIL,
        .replies = {"535 5.7.0 Must issue a STARTTLS command first"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_ADVERTISED_CLEARTEXT},
        .variants = {"PLAIN"},
    },
    {
        .name = "exchange_basic_auth_require_tls_504",
        .port = 587,
        .ehlo = "250-mail.contoso.com Hello [192.0.2.10]\r\n250-STARTTLS\r\n"
                "250-AUTH LOGIN\r\n250 CHUNKING",
        .replies = {"504 5.7.4 Unrecognized authentication type"},
        .sent = {"AUTH LOGIN"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_ADVERTISED_CLEARTEXT},
        .variants = {"LOGIN"},
    },
    {
        .name = "535_to_bare_login_judged_nothing",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH=LOGIN\r\n" EHLO_TAIL,
        .replies = {"535 5.7.8 Error: authentication failed"},
        .sent = {"AUTH LOGIN"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_ADVERTISED_CLEARTEXT},
        .variants = {"LOGIN"},
    },
    {
        .name = "plain_refused_login_prompts",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"538 5.7.11 Encryption required", "334 VXNlcm5hbWU6",
                    "501 5.7.0 Authentication aborted"},
        .sent = {"AUTH PLAIN ", "AUTH LOGIN", "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"LOGIN"},
    },
    {
        .name = "fake_credentials_accepted",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL,
        .replies = {"235 2.7.0 Authentication successful"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"PLAIN"},
        .detail_has = "accepted the scanner's fake credentials without TLS (235)",
    },
    {
        .name = "unadvertised_auth_checked",
        .port = 25,
        .ehlo = EHLO_HEAD EHLO_TAIL,
        .replies = {"535 5.7.8 Authentication credentials invalid"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"PLAIN"},
        .detail_has = "AUTH not advertised but processed",
    },
    {
        .name = "unadvertised_auth_prompts",
        .port = 587,
        .ehlo = EHLO_HEAD EHLO_TAIL,
        .replies = {"334 go ahead", "501 5.7.0 Authentication aborted"},
        .sent = {"AUTH PLAIN ", "*"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_SUBMISSION},
        .variants = {"PLAIN"},
        .detail_has = "AUTH not advertised but processed",
    },
    {
        .name = "cram_only_plain_refused",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH CRAM-MD5\r\n" EHLO_TAIL,
        .replies = {"504 5.5.4 Unrecognized authentication type"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "AUTH before STARTTLS: CRAM-MD5; PLAIN: 504 5.5.4",
    },
    {
        .name = "cram_only_plain_processed",
        .port = 25,
        .ehlo = EHLO_HEAD "250-AUTH CRAM-MD5\r\n" EHLO_TAIL,
        .replies = {"535 5.7.8 Authentication failed"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_AUTH_CLEARTEXT_MX},
        .variants = {"PLAIN"},
        .detail_has = "PLAIN not advertised but processed",
    },
    {
        .name = "helo_only_server",
        .port = 25,
        .ehlo = "",
        .replies = {"502 5.5.2 Error: command not recognized"},
        .sent = {"AUTH PLAIN "},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "none advertised",
    },
};

/* ---- checks every session must pass ---- */

static void assert_clean_text(const char *text, const char *blob, const char *where)
{
	if (text == NULL)
		return;
	cr_assert_null(strstr(text, "not-a-password"), "fake password in %s: %s", where, text);
	if (blob != NULL)
		cr_assert_null(strstr(text, blob), "AUTH PLAIN blob in %s: %s", where, text);
}

/* Nothing but AUTH and "*" goes out, and the fake credentials appear nowhere in the output. */
static void assert_safe(const struct harness *h)
{
	static const char *const forbidden[] = {"MAIL", "RCPT", "DATA", "BDAT"};
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		cr_assert_eq(harness_sent_verb(h, forbidden[i]), 0, "%s sent", forbidden[i]);
	const char *blob = NULL;
	for (size_t i = 0; i < harness_sent_count(h); i++)
		if (strncmp(harness_sent(h, i), "AUTH PLAIN ", 11) == 0)
			blob = harness_sent(h, i) + 11;
	for (size_t i = 0; i < harness_findings(h); i++) {
		const struct finding *f = harness_finding(h, i);
		assert_clean_text(f->detail, blob, "detail");
		assert_clean_text(f->variant, blob, "variant");
		for (size_t e = 0; e < f->nevidence; e++)
			assert_clean_text(f->evidence[e].text, blob, "evidence");
	}
	assert_clean_text(harness_verdict_reason(h), blob, "reason");
}

static bool command_matches(const char *expect, const char *got)
{
	size_t n = strlen(expect);
	return expect[n - 1] == ' ' ? strncmp(expect, got, n) == 0 && got[n] != '\0'
	                            : strcmp(expect, got) == 0;
}

ParameterizedTestParameters(probe_auth_before_tls, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

ParameterizedTest(const struct transcript *t, probe_auth_before_tls, transcript, .timeout = 10)
{
	struct harness_setup setup = {
	    .port = t->port, .ehlo = t->ehlo[0] ? t->ehlo : NULL, .random = 0x5eed};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	size_t n = 0;
	for (; n < MAX_REPLIES && t->replies[n][0] != '\0'; n++) {
		cr_assert_eq(harness_pending(h), 1, "%s: step %zu: nothing pending", t->name, n);
		const char *cmd = harness_pending_command(h, 0);
		cr_assert(command_matches(t->sent[n], cmd),
		          "%s: step %zu: sent '%s', expected '%s'", t->name, n, cmd, t->sent[n]);
		harness_reply(h, t->replies[n]);
	}
	cr_assert(harness_concluded(h), "%s: not concluded after %zu replies", t->name, n);
	cr_assert_eq(harness_sent_count(h), n, "%s: sent %zu commands", t->name,
	             harness_sent_count(h));
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings", t->name,
	             harness_findings(h));
	for (size_t i = 0; i < t->nfindings; i++)
		cr_assert_not_null(harness_find(h, t->ids[i], t->variants[i]),
		                   "%s: no finding %s/%s", t->name,
		                   catalog_get(t->ids[i])->public_id, t->variants[i]);
	if (t->detail_has[0])
		cr_assert_not_null(strstr(harness_finding(h, 0)->detail, t->detail_has),
		                   "%s: detail '%s'", t->name, harness_finding(h, 0)->detail);
	if (t->reason_has[0])
		cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has),
		                   "%s: reason '%s'", t->name, harness_verdict_reason(h));
	assert_safe(h);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

Test(probe_auth_before_tls, plain_carries_only_the_fake_identity, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD "250-AUTH PLAIN\r\n" EHLO_TAIL,
	                              .random = 0xfeedface0badc0deull};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	const char *cmd = harness_pending_command(h, 0);
	cr_assert_not_null(cmd);
	cr_assert_eq(strncmp(cmd, "AUTH PLAIN ", 11), 0);
	unsigned char *raw;
	size_t len;
	cr_assert_eq(codec_base64_decode(cmd + 11, strlen(cmd + 11), &raw, &len), 0);
	static const char expect[] = "\0smtp-audit-probe\0not-a-password-feedface0badc0de";
	cr_assert_eq(len, sizeof(expect) - 1);
	cr_assert(memcmp(raw, expect, len) == 0);
	free(raw);
	harness_reply(h, "535 5.7.8 Error: authentication failed: authentication failure");
	assert_safe(h);
	harness_free(h);
}

Test(probe_auth_before_tls, evidence_is_the_redacted_exchange, .timeout = 10)
{
	struct harness_setup setup = {.port = 587,
	                              .ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	harness_reply(h, "535 5.7.8 Error: authentication failed: authentication failure");
	harness_reply(h, "334 VXNlcm5hbWU6");
	harness_reply(h, "501 5.7.0 Authentication aborted");
	const struct finding *plain = harness_find(h, CATALOG_AUTH_CLEARTEXT_SUBMISSION, "PLAIN");
	const struct finding *login = harness_find(h, CATALOG_AUTH_CLEARTEXT_SUBMISSION, "LOGIN");
	cr_assert_not_null(plain);
	cr_assert_not_null(login);
	cr_assert_geq(plain->nevidence, 2);
	cr_assert_eq(plain->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(plain->evidence[0].text, "AUTH PLAIN <redacted>");
	cr_assert_eq(plain->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(plain->evidence[1].text,
	                 "535 5.7.8 Error: authentication failed: authentication failure");
	cr_assert_eq(login->nevidence, 5);
	cr_assert_str_eq(login->evidence[0].text, "AUTH LOGIN");
	cr_assert_str_eq(login->evidence[1].text, "334 VXNlcm5hbWU6");
	cr_assert_str_eq(login->evidence[2].text, "*");
	cr_assert_str_eq(login->evidence[3].text, "501 5.7.0 Authentication aborted");
	cr_assert_eq(login->evidence[4].kind, EVIDENCE_NOTE);
	cr_assert_str_eq(login->evidence[4].text,
	                 "AUTH mechanisms advertised before STARTTLS: PLAIN LOGIN");
	/* The user name is never sent in answer to the 334 prompt. */
	cr_assert_eq(harness_sent_count(h), 3);
	cr_assert_str_eq(harness_sent(h, 2), "*");
	assert_safe(h);
	harness_free(h);
}

Test(probe_auth_before_tls, advertised_only_keeps_every_refusal, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	harness_reply(h, "538 5.7.11 Encryption required for requested authentication mechanism");
	harness_reply(h, "530 5.7.0 Must issue a STARTTLS command first");
	const struct finding *f = harness_find(h, CATALOG_AUTH_ADVERTISED_CLEARTEXT, "PLAIN,LOGIN");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 5);
	cr_assert_str_eq(f->evidence[0].text, "AUTH PLAIN <redacted>");
	cr_assert_str_eq(f->evidence[1].text,
	                 "538 5.7.11 Encryption required for requested authentication mechanism");
	cr_assert_str_eq(f->evidence[2].text, "AUTH LOGIN");
	cr_assert_str_eq(f->evidence[3].text, "530 5.7.0 Must issue a STARTTLS command first");
	cr_assert_eq(f->evidence[4].kind, EVIDENCE_NOTE);
	assert_safe(h);
	harness_free(h);
}

Test(probe_auth_before_tls, implicit_tls_is_not_applicable, .timeout = 10)
{
	struct harness_setup setup = {.port = 465,
	                              .implicit_tls = true,
	                              .ehlo = "250-mx.example.org\r\n250 AUTH PLAIN LOGIN"};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_APPLICABLE);
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_auth_before_tls, exposure_stands_when_the_server_hangs_up, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	harness_reply(h, "535 5.7.8 Error: authentication failed: authentication failure");
	cr_assert_str_eq(harness_pending_command(h, 0), "AUTH LOGIN");
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_CLEARTEXT_MX, "PLAIN"));
	cr_assert_null(harness_find(h, CATALOG_AUTH_CLEARTEXT_MX, "LOGIN"));
	cr_assert_not_null(strstr(harness_verdict_reason(h), "session ended early: closed"));
	assert_safe(h);
	harness_free(h);
}

Test(probe_auth_before_tls, hang_up_before_any_answer_stays_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = EHLO_HEAD "250-AUTH PLAIN LOGIN\r\n" EHLO_TAIL};
	struct harness *h = harness_new(&probe_auth_before_tls, &setup);
	harness_start(h);
	harness_reply(h, "538 5.7.11 Encryption required for requested authentication mechanism");
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert(!harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
