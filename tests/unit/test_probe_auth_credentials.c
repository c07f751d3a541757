/*
 * NAME
 *	test_probe_auth_credentials - the auth_credentials probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of sessions is played against the probe: servers without
 *	STARTTLS, refusing it, with certificates that do not verify (chain,
 *	name, address target), without AUTH inside TLS, refusing the login,
 *	and logged-in sessions where other senders are accepted (Postfix
 *	without smtpd_sender_login_maps), refused at MAIL or only at RCPT
 *	(smtpd_delay_reject), deferred, or where the user's own address is
 *	refused too. Each row gives the setup, the replies in order, the
 *	commands the probe must send, and the verdict and findings.
 *
 *	Every session, table or not, is checked for what must never happen:
 *	the credentials (the password, its base64, the AUTH PLAIN message)
 *	sent before TLS, or at all when the certificate did not verify; the
 *	password in any form in evidence, detail or reason; DATA or BDAT.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "probe_harness.h"

extern const struct probe probe_auth_credentials;

#define USER     "alice@example.com"
#define PASSWORD "s3cret-Pa55word-for-tests"

#define EHLO_PLAIN                                                                                 \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"            \
	"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"
#define EHLO_TLS_PLAIN_LOGIN                                                                       \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME"
#define EHLO_TLS_LOGIN  "250-mx.example.org\r\n250-AUTH LOGIN\r\n250 8BITMIME"
#define EHLO_TLS_NOAUTH "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME"

#define OK_235      "235 2.7.0 Authentication successful"
#define OK_MAIL     "250 2.1.0 Ok"
#define OK_RCPT     "250 2.1.5 Ok"
#define OK_RSET     "250 2.0.0 Ok"
#define NOT_OWNED   "553 5.7.1 <x>: Sender address rejected: not owned by user " USER
#define NEED_MAIL   "503 5.5.1 Error: need MAIL command"
#define STARTTLS_OK "220 2.0.0 Ready to start TLS"

#define MAX_STEPS 12

enum cert {
	CERT_GOOD, /* trusted, name checked and matching */
	CERT_UNTRUSTED,
	CERT_WRONG_NAME,
	CERT_ADDRESS, /* an address target: no name to check */
};

struct transcript {
	char name[40];
	char user[40]; /* "" = no credentials */
	bool insecure; /* --auth-insecure-tls */
	bool implicit_tls;
	enum cert cert;
	char ehlo[160]; /* cleartext EHLO ("" = the implicit-TLS EHLO only) */
	char ehlo_tls[160];
	char replies[MAX_STEPS][80];
	char sent[MAX_STEPS][40]; /* expected; a trailing space matches as a prefix */
	enum verdict verdict;
	unsigned nfindings;
	char variants[2][16]; /* of SMTP-AUTH-009 */
	char reason_has[80];
};

/* The logged-in part of a session: the three senders, each MAIL, RCPT, RSET. */
#define SENDERS_SENT                                                                               \
	"MAIL FROM:<" USER ">", "RCPT TO:<" USER ">", "RSET",                                      \
	    "MAIL FROM:<postmaster@example.com>", "RCPT TO:<" USER ">", "RSET",                    \
	    "MAIL FROM:<smtp-audit@example.org>", "RCPT TO:<" USER ">", "RSET"

static const struct transcript transcripts[] = {
    {
        .name = "no_credentials",
        .ehlo = EHLO_PLAIN,
        .verdict = VERDICT_NOT_APPLICABLE,
        .reason_has = "no credentials given",
    },
    {
        .name = "user_not_an_address",
        .user = "alice",
        .ehlo = EHLO_PLAIN,
        .verdict = VERDICT_NOT_APPLICABLE,
        .reason_has = "not an address",
    },
    {
        .name = "no_starttls",
        .user = USER,
        .ehlo = "250-mx.example.org\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME",
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "credentials not sent: the server offers no STARTTLS",
    },
    {
        .name = "starttls_refused",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .replies = {"454 4.7.0 TLS not available due to local problem"},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "credentials not sent: STARTTLS answered 454",
    },
    {
        .name = "untrusted_chain",
        .user = USER,
        .cert = CERT_UNTRUSTED,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "credentials not sent: the certificate chain does not verify",
    },
    {
        .name = "wrong_name",
        .user = USER,
        .cert = CERT_WRONG_NAME,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "not valid for the target's name",
    },
    {
        .name = "address_target",
        .user = USER,
        .cert = CERT_ADDRESS,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "name cannot be checked",
    },
    {
        .name = "no_auth_inside_tls",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_NOAUTH,
        .replies = {STARTTLS_OK},
        .sent = {"STARTTLS"},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "no AUTH PLAIN or LOGIN offered inside TLS",
    },
    {
        .name = "login_refused",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, "535 5.7.8 Error: authentication failed"},
        .sent = {"STARTTLS", "AUTH PLAIN "},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "login as " USER " refused: 535",
    },
    {
        .name = "postfix_without_sender_login_maps",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, OK_MAIL, OK_RCPT, OK_RSET, OK_MAIL, OK_RCPT, OK_RSET,
                    OK_MAIL, OK_RCPT, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .variants = {"same-domain", "foreign-domain"},
        .reason_has = "same-domain sender <postmaster@example.com>: RCPT 250",
    },
    {
        .name = "postfix_mismatch_rejected_at_mail",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, OK_MAIL, OK_RCPT, OK_RSET, NOT_OWNED, NEED_MAIL, OK_RSET,
                    NOT_OWNED, NEED_MAIL, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "foreign-domain sender <smtp-audit@example.org>: MAIL 553",
    },
    {
        .name = "postfix_delay_reject_at_rcpt",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, OK_MAIL, OK_RCPT, OK_RSET, OK_MAIL, NOT_OWNED, OK_RSET,
                    OK_MAIL, NOT_OWNED, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "same-domain sender <postmaster@example.com>: RCPT 553",
    },
    {
        .name = "only_foreign_refused",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, OK_MAIL, OK_RCPT, OK_RSET, OK_MAIL, OK_RCPT, OK_RSET,
                    NOT_OWNED, NEED_MAIL, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .variants = {"same-domain"},
    },
    {
        .name = "own_address_refused_too",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, "550 5.7.1 Sending suspended", NEED_MAIL, OK_RSET,
                    "550 5.7.1 Sending suspended", NEED_MAIL, OK_RSET,
                    "550 5.7.1 Sending suspended", NEED_MAIL, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "own address was not accepted either",
    },
    {
        .name = "deferred",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, OK_235, OK_MAIL, OK_RCPT, OK_RSET, OK_MAIL,
                    "451 4.3.0 Temporary lookup failure", OK_RSET, NOT_OWNED, NEED_MAIL, OK_RSET},
        .sent = {"STARTTLS", "AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "not every other sender was refused",
    },
    {
        .name = "login_only_mechanism",
        .user = USER,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_LOGIN,
        .replies = {STARTTLS_OK, "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", OK_235, OK_MAIL, OK_RCPT,
                    OK_RSET, NOT_OWNED, NEED_MAIL, OK_RSET, NOT_OWNED, NEED_MAIL},
        .sent = {"STARTTLS", "AUTH LOGIN", "YWxpY2VAZXhhbXBsZS5jb20=",
                 "czNjcmV0LVBhNTV3b3JkLWZvci10ZXN0cw==", "MAIL FROM:<" USER ">",
                 "RCPT TO:<" USER ">", "RSET", "MAIL FROM:<postmaster@example.com>",
                 "RCPT TO:<" USER ">", "RSET", "MAIL FROM:<smtp-audit@example.org>",
                 "RCPT TO:<" USER ">"},
        .verdict = VERDICT_NOT_VULNERABLE,
    },
    {
        .name = "insecure_flag_logs_in_anyway",
        .user = USER,
        .insecure = true,
        .cert = CERT_UNTRUSTED,
        .ehlo = EHLO_PLAIN,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {STARTTLS_OK, "535 5.7.8 Error: authentication failed"},
        .sent = {"STARTTLS", "AUTH PLAIN "},
        .verdict = VERDICT_INCONCLUSIVE,
        .reason_has = "refused: 535",
    },
    {
        .name = "implicit_tls",
        .user = USER,
        .implicit_tls = true,
        .ehlo_tls = EHLO_TLS_PLAIN_LOGIN,
        .replies = {OK_235, OK_MAIL, OK_RCPT, OK_RSET, OK_MAIL, NOT_OWNED, OK_RSET, OK_MAIL,
                    NOT_OWNED, OK_RSET},
        .sent = {"AUTH PLAIN ", SENDERS_SENT},
        .verdict = VERDICT_NOT_VULNERABLE,
    },
};

/* ---- what every session must respect ---- */

static struct tls_facts facts_for(enum cert cert)
{
	return (struct tls_facts){
	    .version = (char *)"TLSv1.3",
	    .trusted = cert != CERT_UNTRUSTED,
	    .name_checked = cert != CERT_ADDRESS,
	    .name_matches = cert == CERT_GOOD || cert == CERT_UNTRUSTED,
	    .verify_detail = cert == CERT_UNTRUSTED ? (char *)"self-signed" : NULL,
	};
}

/* Bytes of the credentials as they could appear: raw, and base64 at each alignment. */
static size_t secret_forms(char forms[][128], size_t max)
{
	size_t n = 0;
	snprintf(forms[n++], 128, "%s", PASSWORD);
	static const char plain[] = "\0" USER "\0" PASSWORD;
	char *b64 = codec_base64_encode(plain, sizeof(plain) - 1);
	snprintf(forms[n++], 128, "%s", b64);
	free(b64);
	for (size_t pad = 0; pad < 3 && n < max; pad++) {
		char buf[64] = "xx";
		memcpy(buf + pad, PASSWORD, sizeof(PASSWORD));
		size_t len = pad + strlen(PASSWORD);
		b64 = codec_base64_encode(buf, len);
		/* Characters that depend on the password alone: whole groups after the pad. */
		size_t from = pad ? 4 : 0, to = len / 3 * 4;
		snprintf(forms[n++], 128, "%.*s", (int)(to - from), b64 + from);
		free(b64);
	}
	return n;
}

static bool has_secret(const char *text)
{
	char forms[5][128];
	size_t n = secret_forms(forms, 5);
	for (size_t i = 0; text != NULL && i < n; i++)
		if (strstr(text, forms[i]) != NULL)
			return true;
	return false;
}

/* The password's line: AUTH PLAIN's message, or LOGIN's answer to "Password:". */
static bool carries_password(const char *line)
{
	return has_secret(line) || strcmp(line, "czNjcmV0LVBhNTV3b3JkLWZvci10ZXN0cw==") == 0;
}

static void assert_safe(const struct harness *h, bool implicit_tls)
{
	cr_assert_eq(harness_sent_verb(h, "DATA"), 0);
	cr_assert_eq(harness_sent_verb(h, "BDAT"), 0);
	bool tls = implicit_tls;
	for (size_t i = 0; i < harness_sent_count(h); i++) {
		const char *line = harness_sent(h, i);
		if (strcmp(line, "STARTTLS") == 0)
			tls = true; /* sent only after the 220 and the handshake (the harness does
			               both) */
		cr_assert(tls || !carries_password(line), "credentials before TLS: %s", line);
	}
	const char *reason = harness_verdict_reason(h);
	if (reason != NULL && strstr(reason, "credentials not sent") != NULL)
		for (size_t i = 0; i < harness_sent_count(h); i++)
			cr_assert_not(carries_password(harness_sent(h, i)), "sent: %s",
			              harness_sent(h, i));
	for (size_t i = 0; i < harness_findings(h); i++) {
		const struct finding *f = harness_finding(h, i);
		cr_assert_not(has_secret(f->detail), "password in detail: %s", f->detail);
		for (size_t e = 0; e < f->nevidence; e++)
			cr_assert_not(carries_password(f->evidence[e].text),
			              "password in evidence: %s", f->evidence[e].text);
	}
	cr_assert_not(has_secret(reason), "password in reason: %s", reason);
}

static bool command_matches(const char *expect, const char *got)
{
	size_t n = strlen(expect);
	return expect[n - 1] == ' ' ? strncmp(expect, got, n) == 0 && got[n] != '\0'
	                            : strcmp(expect, got) == 0;
}

static struct harness *session_new(const struct transcript *t, struct tls_facts *facts)
{
	*facts = facts_for(t->cert);
	struct harness_setup setup = {
	    .port = t->implicit_tls ? 465 : 587,
	    .implicit_tls = t->implicit_tls,
	    .ehlo = t->implicit_tls ? t->ehlo_tls : t->ehlo,
	    .ehlo_tls = t->ehlo_tls[0] ? t->ehlo_tls : NULL,
	    .tls_facts = facts,
	    .settings = {.auth_user = t->user[0] ? t->user : NULL,
	                 .auth_password = t->user[0] ? PASSWORD : NULL,
	                 .auth_insecure_tls = t->insecure},
	};
	return harness_new(&probe_auth_credentials, &setup);
}

ParameterizedTestParameters(probe_auth_credentials, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

ParameterizedTest(const struct transcript *t, probe_auth_credentials, transcript, .timeout = 10)
{
	struct tls_facts facts;
	struct harness *h = session_new(t, &facts);
	harness_start(h);
	size_t n = 0;
	for (; n < MAX_STEPS && t->replies[n][0] != '\0'; n++) {
		cr_assert_geq(harness_pending(h), 1, "%s: step %zu: nothing pending", t->name, n);
		const char *cmd = harness_pending_command(h, 0);
		cr_assert(command_matches(t->sent[n], cmd),
		          "%s: step %zu: sent '%s', expected '%s'", t->name, n, cmd, t->sent[n]);
		harness_reply(h, t->replies[n]);
	}
	if (!harness_concluded(h) && harness_pending(h) == 1)
		harness_reply(h, OK_RSET); /* the last RSET, when the row stops before it */
	cr_assert(harness_concluded(h), "%s: not concluded after %zu replies", t->name, n);
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings", t->name,
	             harness_findings(h));
	for (size_t i = 0; i < t->nfindings; i++)
		cr_assert_not_null(harness_find(h, CATALOG_AUTH_SENDER_SPOOFING, t->variants[i]),
		                   "%s: no finding for %s", t->name, t->variants[i]);
	if (t->reason_has[0])
		cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has),
		                   "%s: reason '%s'", t->name, harness_verdict_reason(h));
	assert_safe(h, t->implicit_tls);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

Test(probe_auth_credentials, plain_carries_exactly_the_user_and_password, .timeout = 10)
{
	const struct transcript t = {
	    .user = USER, .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	harness_reply(h, STARTTLS_OK);
	cr_assert(harness_tls_active(h));
	const char *cmd = harness_pending_command(h, 0);
	cr_assert_eq(strncmp(cmd, "AUTH PLAIN ", 11), 0, "%s", cmd);
	unsigned char *raw;
	size_t len;
	cr_assert_eq(codec_base64_decode(cmd + 11, strlen(cmd + 11), &raw, &len), 0);
	static const char expect[] = "\0" USER "\0" PASSWORD;
	cr_assert_eq(len, sizeof(expect) - 1);
	cr_assert(memcmp(raw, expect, len) == 0);
	free(raw);
	harness_free(h);
}

Test(probe_auth_credentials, evidence_shows_the_login_redacted, .timeout = 10)
{
	const struct transcript t = {
	    .user = USER, .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	static const char *const replies[] = {STARTTLS_OK, OK_235,    OK_MAIL, OK_RCPT,
	                                      OK_RSET,     OK_MAIL,   OK_RCPT, OK_RSET,
	                                      NOT_OWNED,   NEED_MAIL, OK_RSET};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		harness_reply(h, replies[i]);
	const struct finding *f = harness_find(h, CATALOG_AUTH_SENDER_SPOOFING, "same-domain");
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[0].text, "AUTH PLAIN <redacted>");
	cr_assert_str_eq(f->evidence[1].text, OK_235);
	cr_assert_str_eq(f->evidence[2].text, "MAIL FROM:<postmaster@example.com>");
	cr_assert_str_eq(f->evidence[3].text, OK_MAIL);
	cr_assert_str_eq(f->evidence[4].text, "RCPT TO:<" USER ">");
	cr_assert_str_eq(f->evidence[5].text, OK_RCPT);
	cr_assert_eq(f->evidence[f->nevidence - 1].kind, EVIDENCE_NOTE);
	cr_assert_not_null(strstr(f->evidence[f->nevidence - 1].text, "TLSv1.3"));
	cr_assert_not_null(strstr(f->detail, "MAIL FROM:<postmaster@example.com>"));
	cr_assert_null(harness_find(h, CATALOG_AUTH_SENDER_SPOOFING, "foreign-domain"));
	assert_safe(h, false);
	harness_free(h);
}

Test(probe_auth_credentials, handshake_failure_sends_nothing, .timeout = 10)
{
	const struct transcript t = {
	    .user = USER, .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_interrupt_because(h, OUTCOME_TLS_ERROR, "TLS handshake failed: bad record");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_str_eq(harness_verdict_reason(h),
	                 "credentials not sent: TLS handshake failed: bad record");
	cr_assert_eq(harness_sent_count(h), 1);
	harness_free(h);
}

Test(probe_auth_credentials, postmaster_login_spoofs_abuse, .timeout = 10)
{
	const struct transcript t = {
	    .user = "postmaster@example.org", .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	harness_reply(h, STARTTLS_OK);
	harness_reply(h, OK_235);
	harness_reply(h, OK_MAIL);
	harness_reply(h, OK_RCPT);
	harness_reply(h, OK_RSET);
	cr_assert_str_eq(harness_pending_command(h, 0), "MAIL FROM:<abuse@example.org>");
	harness_free(h);
}

Test(probe_auth_credentials, foreign_sender_skipped_in_the_users_domain, .timeout = 10)
{
	const struct transcript t = {
	    .user = "bob@example.org", .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	static const char *const replies[] = {STARTTLS_OK, OK_235,    OK_MAIL,   OK_RCPT,
	                                      OK_RSET,     NOT_OWNED, NEED_MAIL, OK_RSET};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		harness_reply(h, replies[i]);
	/* --relay-from defaults to smtp-audit@example.org: not foreign to bob@example.org. */
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sent_verb(h, "MAIL"), 2);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE, "%s", harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_credentials, session_lost_after_login_keeps_what_was_seen, .timeout = 10)
{
	const struct transcript t = {
	    .user = USER, .ehlo = EHLO_PLAIN, .ehlo_tls = EHLO_TLS_PLAIN_LOGIN};
	static const char *const replies[] = {STARTTLS_OK, OK_235,  OK_MAIL, OK_RCPT,
	                                      OK_RSET,     OK_MAIL, OK_RCPT};
	struct tls_facts facts;
	struct harness *h = session_new(&t, &facts);
	harness_start(h);
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		harness_reply(h, replies[i]);
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_SENDER_SPOOFING, "same-domain"));
	cr_assert_not_null(strstr(harness_verdict_reason(h), "session ended early"));
	harness_free(h);
}
