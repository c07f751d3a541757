/*
 * NAME
 *	test_probe_auth_anonymous - the anonymous login probe, one reply at a time
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "probe_harness.h"

extern const struct probe probe_auth_anonymous;

static const char ehlo_anonymous[] = "250-mx.example.org\r\n"
                                     "250-PIPELINING\r\n"
                                     "250-AUTH PLAIN LOGIN ANONYMOUS\r\n"
                                     "250 8BITMIME";

static const char ehlo_anonymous_starttls[] = "250-mx.example.org\r\n"
                                              "250-PIPELINING\r\n"
                                              "250-STARTTLS\r\n"
                                              "250 AUTH ANONYMOUS";

static const char ehlo_plain_starttls[] = "250-mx.example.org\r\n"
                                          "250-PIPELINING\r\n"
                                          "250-STARTTLS\r\n"
                                          "250 AUTH PLAIN LOGIN";

static const char ehlo_tls_anonymous[] = "250-mx.example.org\r\n"
                                         "250-PIPELINING\r\n"
                                         "250 AUTH PLAIN LOGIN ANONYMOUS";

#define AUTH_OK "235 2.7.0 Authentication successful"

/* The AUTH line for harness random value r: the base64 of the RFC 4505 trace. */
static void expected_auth(uint64_t r, char *line, size_t len, char *trace, size_t tlen)
{
	char text[40];
	snprintf(text, sizeof(text), "smtp-audit-%016llx", (unsigned long long)r);
	char *b64 = codec_base64_encode(text, strlen(text));
	cr_assert_not_null(b64);
	snprintf(line, len, "AUTH ANONYMOUS %s", b64);
	snprintf(trace, tlen, "%s", b64);
	free(b64);
}

/* Answers the pending relay commands: controls get control, external recipients relay. */
static void answer_relay(struct harness *h, const char *control, const char *relay)
{
	while (!harness_concluded(h) && harness_pending(h) > 0) {
		const char *cmd = harness_pending_command(h, 0);
		if (strncmp(cmd, "RCPT", 4) != 0)
			harness_reply(h, strncmp(cmd, "MAIL", 4) == 0 ? "250 2.1.0 Ok"
			                                              : "250 2.0.0 Ok");
		else if (strstr(cmd, "smtp-audit-nx-") || strstr(cmd, ".invalid>"))
			harness_reply(h, control);
		else
			harness_reply(h, relay);
	}
}

static void check_never_sent(const struct harness *h)
{
	cr_assert_eq(harness_sent_verb(h, "DATA"), 0);
	for (size_t i = 0; i < harness_sent_count(h); i++) {
		const char *line = harness_sent(h, i);
		cr_assert(strncmp(line, "AUTH PLAIN", 10) != 0 &&
		              strncmp(line, "AUTH LOGIN", 10) != 0,
		          "credential mechanism used: %s", line);
	}
}

static bool reason_has(const struct harness *h, const char *needle)
{
	return strstr(harness_verdict_reason(h), needle) != NULL;
}

Test(probe_auth_anonymous, login_and_relay_give_both_findings, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous, .random = 7};
	char auth[128], trace[64];
	expected_auth(7, auth, sizeof(auth), trace, sizeof(trace));
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), auth);
	harness_reply(h, AUTH_OK);
	/* Same session, logged in: the relay test with its controls, pipelined. */
	cr_assert_eq(harness_sessions(h), 1);
	cr_assert_eq(harness_pending(h), 4);
	cr_assert_str_eq(harness_pending_command(h, 0), "MAIL FROM:<>");
	cr_assert(strstr(harness_pending_command(h, 1), "smtp-audit-nx-") != NULL);
	cr_assert(strstr(harness_pending_command(h, 2), ".invalid>") != NULL);
	cr_assert_str_eq(harness_pending_command(h, 3),
	                 "RCPT TO:<smtp-audit-relay-test@example.net>");
	answer_relay(h, "550 5.1.1 User unknown", "250 2.1.5 Ok");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *acc = harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "plaintext");
	cr_assert_not_null(acc);
	cr_assert_eq(acc->nevidence, 3);
	cr_assert_str_eq(acc->evidence[0].text,
	                 "RFC 4505 trace sent (no credential): smtp-audit-0000000000000007");
	cr_assert_str_eq(acc->evidence[1].text, "AUTH ANONYMOUS <redacted>");
	cr_assert_str_eq(acc->evidence[2].text, AUTH_OK);
	const struct finding *relay = harness_find(h, CATALOG_AUTH_ANONYMOUS_RELAY, "plaintext");
	cr_assert_not_null(relay);
	cr_assert_str_eq(relay->evidence[0].text, "after AUTH ANONYMOUS (235):");
	cr_assert_str_eq(relay->evidence[1].text, "MAIL FROM:<>");
	cr_assert_str_eq(relay->evidence[3].text, "RCPT TO:<smtp-audit-relay-test@example.net>");
	cr_assert_str_eq(relay->evidence[4].text, "250 2.1.5 Ok");
	cr_assert_eq(harness_findings(h), 2);
	cr_assert(reason_has(h, "relay after the login granted: 2 of 2 relay attempts accepted"),
	          "%s", harness_verdict_reason(h));
	check_never_sent(h);
	harness_free(h);
}

Test(probe_auth_anonymous, login_without_relay_is_only_accepted, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, AUTH_OK);
	answer_relay(h, "550 5.1.1 User unknown", "554 5.7.1 Relay access denied");
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "plaintext"));
	cr_assert_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_RELAY, NULL));
	cr_assert_eq(harness_findings(h), 1);
	cr_assert(reason_has(h, "relay after the login refused"), "%s", harness_verdict_reason(h));
	check_never_sent(h);
	harness_free(h);
}

Test(probe_auth_anonymous, accept_all_after_login_proves_no_relay, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, AUTH_OK);
	answer_relay(h, "250 2.1.5 Ok", "250 2.1.5 Ok");
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_RELAY, NULL));
	cr_assert(reason_has(h, "relay after the login not provable"), "%s",
	          harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_anonymous, initial_response_refused_then_continuation, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous, .random = 9};
	char auth[128], trace[64];
	expected_auth(9, auth, sizeof(auth), trace, sizeof(trace));
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, "334 ");
	cr_assert_str_eq(harness_pending_command(h, 0), trace);
	harness_reply(h, AUTH_OK);
	const struct finding *acc = harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "plaintext");
	cr_assert_not_null(acc);
	cr_assert_eq(acc->nevidence, 5);
	cr_assert_str_eq(acc->evidence[2].text, "334");
	cr_assert_str_eq(acc->evidence[3].text, "<redacted>", "SASL data is never evidence");
	harness_free(h);
}

Test(probe_auth_anonymous, second_challenge_is_cancelled, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, "334 ");
	harness_reply(h, "334 ");
	cr_assert_str_eq(harness_pending_command(h, 0), "*");
	harness_reply(h, "501 5.7.0 Authentication aborted");
	cr_assert(harness_concluded(h));
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ADVERTISED, NULL));
	cr_assert_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, NULL));
	cr_assert_eq(harness_sent_verb(h, "MAIL"), 0);
	harness_free(h);
}

Test(probe_auth_anonymous, advertised_only_after_tls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_plain_starttls, .ehlo_tls = ehlo_tls_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert(harness_tls_active(h));
	cr_assert(strncmp(harness_pending_command(h, 0), "AUTH ANONYMOUS ", 15) == 0);
	harness_reply(h, AUTH_OK);
	answer_relay(h, "550 5.1.1 User unknown", "554 5.7.1 Relay access denied");
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "tls"));
	cr_assert(reason_has(h, "accepted over tls"), "%s", harness_verdict_reason(h));
	check_never_sent(h);
	harness_free(h);
}

Test(probe_auth_anonymous, refused_in_plaintext_retried_after_tls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous_starttls,
	                              .ehlo_tls = ehlo_tls_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, "538 5.7.11 Encryption required for requested authentication mechanism");
	cr_assert_str_eq(harness_pending_command(h, 0), "STARTTLS");
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	harness_reply(h, AUTH_OK);
	answer_relay(h, "550 5.1.1 User unknown", "250 2.1.5 Ok");
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "tls"));
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_RELAY, "tls"));
	cr_assert_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ADVERTISED, NULL));
	const struct finding *acc = harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "tls");
	cr_assert_eq(acc->nevidence, 3, "evidence of the login that worked");
	cr_assert_str_eq(acc->evidence[1].text, "AUTH ANONYMOUS <redacted>");
	harness_free(h);
}

/* Refusals of an advertised mechanism, on a server without STARTTLS. */
struct refusal_case {
	char reply[80];
};

static const struct refusal_case refusals[] = {
    {"535 5.7.8 Error: authentication failed: authentication failure"},
    {"534 5.7.9 Authentication mechanism is too weak"},
    {"538 5.7.11 Encryption required for requested authentication mechanism"},
    {"504 5.5.4 Unrecognized authentication type"},
    {"454 4.7.0 Temporary authentication failure"},
};

ParameterizedTestParameters(probe_auth_anonymous, advertised_but_refused)
{
	return cr_make_param_array(struct refusal_case, refusals,
	                           sizeof(refusals) / sizeof(refusals[0]));
}

ParameterizedTest(struct refusal_case *c, probe_auth_anonymous, advertised_but_refused,
                  .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, c->reply);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *f = harness_find(h, CATALOG_AUTH_ANONYMOUS_ADVERTISED, NULL);
	cr_assert_not_null(f);
	cr_assert_eq(finding_severity(f), SEVERITY_LOW);
	cr_assert_str_eq(f->evidence[1].text, "AUTH ANONYMOUS <redacted>");
	cr_assert_str_eq(f->evidence[2].text, c->reply);
	cr_assert_eq(harness_findings(h), 1);
	cr_assert_eq(harness_sent_count(h), 1, "nothing after the refused login");
	cr_assert(reason_has(h, "ANONYMOUS advertised but refused"), "%s",
	          harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_anonymous, not_advertised_sends_nothing, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = "250-mx.example.org\r\n250 AUTH PLAIN LOGIN"};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_eq(harness_sent_count(h), 0);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_auth_anonymous, not_advertised_anywhere_sends_only_starttls, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_plain_starttls};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, "220 2.0.0 Ready to start TLS");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert(reason_has(h, "neither before nor after STARTTLS"), "%s",
	          harness_verdict_reason(h));
	cr_assert_eq(harness_sent_verb(h, "STARTTLS"), 1);
	cr_assert_eq(harness_sent_count(h), 2, "STARTTLS and the engine's EHLO, nothing else");
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_auth_anonymous, starttls_refused_leaves_it_open, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_plain_starttls};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, "454 4.7.0 TLS not available due to local problem");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(reason_has(h, "STARTTLS answered 454"), "%s", harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_anonymous, helo_only_server, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = NULL};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_eq(harness_sent_count(h), 0);
	harness_free(h);
}

Test(probe_auth_anonymous, session_lost_after_login_keeps_the_finding, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_reply(h, AUTH_OK);
	harness_reply(h, "250 2.1.0 Ok");
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_AUTH_ANONYMOUS_ACCEPTED, "plaintext"));
	cr_assert(reason_has(h, "relay after the login not judged"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "session ended (closed)"), "%s", harness_verdict_reason(h));
	harness_free(h);
}

Test(probe_auth_anonymous, session_lost_before_result_is_inconclusive, .timeout = 10)
{
	struct harness_setup setup = {.ehlo = ehlo_anonymous};
	struct harness *h = harness_new(&probe_auth_anonymous, &setup);
	harness_start(h);
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
