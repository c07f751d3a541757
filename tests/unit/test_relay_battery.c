/*
 * NAME
 *	test_relay_battery - relay attempts, flights, reply classes and verdicts
 *
 * DESCRIPTION
 *	Drives the battery directly, without a probe around it: plans
 *	flights, answers them with scripted replies and checks what the
 *	battery makes of them.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_battery.h"
#include "sa_error.h"

static struct smtp_reply reply_of(const char *text)
{
	char wire[8192];
	struct smtp_reply_parser p;
	struct smtp_reply r = {0};
	size_t used;
	snprintf(wire, sizeof(wire), "%s\r\n", text);
	smtp_reply_parser_init(&p, NULL);
	cr_assert_eq(smtp_reply_parser_feed(&p, wire, strlen(wire), &used, &r), SMTP_REPLY_COMPLETE,
	             "not a reply: %s", text);
	smtp_reply_parser_free(&p);
	return r;
}

static const struct probe_settings settings = {
    .helo_name = "scanner.example.net",
    .relay_domain = "example.net",
    .relay_from = "smtp-audit@example.org",
};

static const struct probe_target target4 = {
    .host = "mx.example.org", .address = "192.0.2.25", .family = 4, .port = 25};

/* A battery for a server that greets as greeting, nonce 0x1234, for a probe that cannot
 * reconnect. */
static void battery_new(struct relay_battery *b, const struct probe_target *t, const char *greeting,
                        uint32_t senders, uint32_t forms)
{
	struct smtp_reply g = reply_of(greeting);
	struct relay_battery_setup setup = {.settings = &settings,
	                                    .target = t,
	                                    .greeting = &g,
	                                    .nonce = 0x1234,
	                                    .senders = senders,
	                                    .forms = forms};
	cr_assert_eq(relay_battery_init(b, &setup), 0);
	smtp_reply_free(&g);
	relay_battery_session_start(b, false, 0);
}

#define EHLO_PIPELINING "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME"
#define EHLO_LOCK_STEP  "250-mx.example.org\r\n250 8BITMIME"

/* A battery for mx.example.org answering EHLO with ehlo, for a probe that reconnects. */
static void battery_spread(struct relay_battery *b, const char *ehlo, uint32_t senders,
                           uint32_t forms)
{
	struct smtp_reply g = reply_of("220 mx.example.org ESMTP");
	struct smtp_reply e = reply_of(ehlo);
	struct smtp_caps caps;
	cr_assert_eq(smtp_caps_parse(&e, &caps), 0);
	struct relay_battery_setup setup = {.settings = &settings,
	                                    .target = &target4,
	                                    .greeting = &g,
	                                    .caps = &caps,
	                                    .nonce = 0x1234,
	                                    .senders = senders,
	                                    .forms = forms,
	                                    .reconnects = true};
	cr_assert_eq(relay_battery_init(b, &setup), 0);
	smtp_caps_free(&caps);
	smtp_reply_free(&e);
	smtp_reply_free(&g);
	relay_battery_session_start(b, false, 0);
}

static enum relay_event answer(struct relay_battery *b, const struct relay_command *c,
                               const char *text)
{
	struct smtp_reply r = reply_of(text);
	enum relay_event e = relay_battery_on_reply(b, c->tag, &r);
	smtp_reply_free(&r);
	return e;
}

/* Answers a whole flight: RSET and MAIL with mail_reply, every RCPT with rcpt_reply. */
static void answer_flight(struct relay_battery *b, const struct relay_flight *fl,
                          const char *mail_reply, const char *rcpt_reply)
{
	for (size_t i = 0; i < fl->n; i++) {
		const char *line = fl->cmd[i].line;
		const char *text = strncmp(line, "RCPT", 4) == 0   ? rcpt_reply
		                   : strncmp(line, "MAIL", 4) == 0 ? mail_reply
		                                                   : "250 2.0.0 Ok";
		answer(b, &fl->cmd[i], text);
	}
	cr_assert(relay_battery_flight_done(b));
}

/* Runs the battery to its end over as many sessions as it asks for. */
static unsigned run_all(struct relay_battery *b, const char *mail_reply, const char *rcpt_reply)
{
	struct relay_flight fl;
	unsigned sessions = 1;
	for (;;) {
		enum relay_next next = relay_battery_next(b, &fl);
		if (next == RELAY_NEXT_DONE)
			return sessions;
		if (next == RELAY_NEXT_RECONNECT) {
			cr_assert_leq(relay_battery_session_errors(b),
			              RELAY_MAX_ERRORS_PER_SESSION);
			relay_battery_session_start(b, false, 0);
			cr_assert_lt(++sessions, 100, "the battery does not end");
			continue;
		}
		answer_flight(b, &fl, mail_reply, rcpt_reply);
		cr_assert_leq(relay_battery_session_errors(b), RELAY_MAX_ERRORS_PER_SESSION);
	}
}

/* ---- classification ---- */

/* Criterion copies parameters into the test process, so a case holds its text. */
struct class_case {
	char reply[96];
	enum relay_class cls;
};

static const struct class_case class_cases[] = {
    {"250 2.1.5 Ok", RELAY_CLASS_ACCEPTED},
    {"251 2.1.5 User not local; will forward", RELAY_CLASS_ACCEPTED},
    {"252 2.1.5 Cannot VRFY user, but will accept message", RELAY_CLASS_UNVERIFIED},
    {"530 5.7.0 Must issue a STARTTLS command first", RELAY_CLASS_TLS_REQUIRED},
    {"530 Must issue a STARTTLS command first", RELAY_CLASS_TLS_REQUIRED},
    {"554 5.7.0 TLS required by policy", RELAY_CLASS_TLS_REQUIRED},
    {"550 5.7.10 Encryption needed", RELAY_CLASS_TLS_REQUIRED},
    {"530 5.7.0 Authentication required", RELAY_CLASS_AUTH_REQUIRED},
    {"530 5.7.57 Client not authenticated to send mail", RELAY_CLASS_AUTH_REQUIRED},
    {"550 5.7.1 Client was not authenticated", RELAY_CLASS_AUTH_REQUIRED},
    {"530 Authentication required", RELAY_CLASS_AUTH_REQUIRED},
    {"421 4.7.0 mx.example.org Error: too many errors", RELAY_CLASS_THROTTLED},
    {"450 4.2.0 <x@example.net>: Recipient address rejected: Greylisted", RELAY_CLASS_DEFERRED},
    {"451 4.3.0 Temporary lookup failure", RELAY_CLASS_DEFERRED},
    {"452 4.5.3 Too many recipients", RELAY_CLASS_DEFERRED},
    {"501 5.1.3 Bad recipient address syntax", RELAY_CLASS_SYNTAX},
    {"503 5.5.1 Error: need MAIL command", RELAY_CLASS_SYNTAX},
    {"550 5.1.1 <x@example.org>: Recipient address rejected: User unknown", RELAY_CLASS_REJECTED},
    {"551 User not local", RELAY_CLASS_REJECTED},
    {"553 5.7.1 Sender address rejected", RELAY_CLASS_REJECTED},
    {"554 5.7.1 <x@example.net>: Relay access denied", RELAY_CLASS_REJECTED},
    {"550-5.7.1 Relaying denied\r\n550 5.7.1 see STARTTLS policy", RELAY_CLASS_TLS_REQUIRED},
    {"354 End data with <CR><LF>.<CR><LF>", RELAY_CLASS_REJECTED},
};

ParameterizedTestParameters(relay_battery, classifies_replies)
{
	return cr_make_param_array(struct class_case, class_cases,
	                           sizeof(class_cases) / sizeof(class_cases[0]));
}

ParameterizedTest(struct class_case *c, relay_battery, classifies_replies, .timeout = 10)
{
	struct smtp_reply r = reply_of(c->reply);
	enum relay_class got = relay_battery_classify(&r);
	cr_assert_eq(got, c->cls, "%s: %s, expected %s", c->reply, relay_battery_class_name(got),
	             relay_battery_class_name(c->cls));
	smtp_reply_free(&r);
}

/* ---- set-up ---- */

Test(relay_battery, init_refuses_unusable_settings, .timeout = 10)
{
	struct relay_battery b;
	struct probe_settings s = settings;
	struct relay_battery_setup setup = {.settings = &s,
	                                    .target = &target4,
	                                    .senders = RELAY_SENDERS_ALL,
	                                    .forms = RELAY_FORMS_ALL};
	s.relay_from = "a b@example.org";
	cr_assert_eq(relay_battery_init(&b, &setup), SA_ERROR_INVAL);
	s.relay_from = "x>@example.org";
	cr_assert_eq(relay_battery_init(&b, &setup), SA_ERROR_INVAL);
	s.relay_from = settings.relay_from;
	s.relay_domain = NULL;
	cr_assert_eq(relay_battery_init(&b, &setup), SA_ERROR_INVAL);
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	s.relay_domain = longname;
	cr_assert_eq(relay_battery_init(&b, &setup), SA_ERROR_RANGE);
	s.relay_domain = settings.relay_domain;
	setup.forms = 0;
	cr_assert_eq(relay_battery_init(&b, &setup), SA_ERROR_INVAL);
	setup.forms = RELAY_FORMS_ALL;
	cr_assert_eq(relay_battery_init(&b, &setup), 0, "HELO-only, no greeting: still usable");
	relay_battery_free(&b);
}

Test(relay_battery, first_flight_is_one_transaction, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	static const char *const expected[] = {
	    "MAIL FROM:<>",
	    "RCPT TO:<smtp-audit-nx-0000000000001234@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000001234.invalid>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@mx.example.org>",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test%example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\"@[192.0.2.25]>",
	};
	cr_assert_eq(fl.n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < fl.n; i++) {
		cr_assert_str_eq(fl.cmd[i].line, expected[i]);
		cr_assert(relay_battery_owns_tag(fl.cmd[i].tag));
	}
	relay_battery_free(&b);
}

/* Every address form, as the server sees it (all accepted, so one flight follows another). */
Test(relay_battery, renders_every_form, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", 1u << RELAY_SENDER_IP_LITERAL,
	            RELAY_FORMS_ALL);
	static const char *const expected[] = {
	    "MAIL FROM:<postmaster@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-nx-0000000000001234@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000001234.invalid>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@mx.example.org>",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test%example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\"@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test@example.net@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test@example.net@mx.example.org>",
	    "RCPT TO:<@[192.0.2.25]:smtp-audit-relay-test@example.net>",
	    "RCPT TO:<@mx.example.org:smtp-audit-relay-test@example.net>",
	    "RCPT TO:<example.net!smtp-audit-relay-test>",
	    "RCPT TO:<example.net!smtp-audit-relay-test@[192.0.2.25]>",
	    "RCPT TO:<example.net!smtp-audit-relay-test@mx.example.org>",
	    "RCPT TO:<smtp-audit-relay-test@example.net.>",
	    "RCPT TO:<smtp-audit-relay-test@EXAMPLE.NET>",
	};
	size_t seen = 0;
	while (relay_battery_next(&b, &fl) == RELAY_NEXT_FLIGHT) {
		for (size_t i = 0; i < fl.n; i++) {
			cr_assert_lt(seen, sizeof(expected) / sizeof(expected[0]));
			cr_assert_str_eq(fl.cmd[i].line, expected[seen]);
			seen++;
		}
		answer_flight(&b, &fl, "250 2.1.0 Ok", "250 2.1.5 Ok");
	}
	cr_assert_eq(seen, sizeof(expected) / sizeof(expected[0]));
	relay_battery_free(&b);
}

Test(relay_battery, ipv6_literals, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	const struct probe_target t6 = {
	    .host = "mx.example.org", .address = "2001:db8::25", .family = 6, .port = 25};
	battery_new(&b, &t6, "220 mx.example.org ESMTP", 1u << RELAY_SENDER_IP_LITERAL,
	            1u << RELAY_FORM_PERCENT_LITERAL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_str_eq(fl.cmd[0].line, "MAIL FROM:<postmaster@[IPv6:2001:db8::25]>");
	cr_assert_str_eq(fl.cmd[3].line,
	                 "RCPT TO:<smtp-audit-relay-test%example.net@[IPv6:2001:db8::25]>");
	relay_battery_free(&b);
}

Test(relay_battery, no_host_name_skips_forms_needing_it, .timeout = 10)
{
	struct relay_battery b;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 ESMTP ready", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	run_all(&b, "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.planned, 3 * 11, "own-domain sender and four host forms skipped");
	cr_assert_eq(j.skipped, 60 - 33);
	cr_assert_eq(j.controls, 1);
	cr_assert(strstr(j.reason, "no server host name") != NULL, "%s", j.reason);
	relay_battery_free(&b);
}

/* ---- flights and the error budget ---- */

Test(relay_battery, budget_bounds_every_session, .timeout = 10)
{
	struct relay_battery b;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	unsigned sessions = run_all(&b, "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
	/* 62 refused RCPTs, at most 9 per session. */
	cr_assert_geq(sessions, 62 / RELAY_MAX_ERRORS_PER_SESSION);
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.judged, 60);
	cr_assert_eq(j.refused, 60);
	cr_assert_eq(j.controls_judged, 2);
	relay_battery_free(&b);
}

Test(relay_battery, accepting_server_continues_the_transaction, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	answer_flight(&b, &fl, "250 2.1.0 Ok", "250 2.1.5 Ok");
	/* Same sender, nothing refused: more RCPTs, no RSET, no second MAIL. */
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_eq(fl.n, RELAY_MAX_ERRORS_PER_SESSION);
	for (size_t i = 0; i < fl.n; i++)
		cr_assert(strncmp(fl.cmd[i].line, "RCPT", 4) == 0, "%s", fl.cmd[i].line);
	answer_flight(&b, &fl, "250 2.1.0 Ok", "250 2.1.5 Ok");
	/* The null sender's 15 forms are done: RSET and the next sender. */
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_str_eq(fl.cmd[0].line, "RSET");
	cr_assert_str_eq(fl.cmd[1].line, "MAIL FROM:<smtp-audit@example.org>");
	relay_battery_free(&b);
}

/* ---- flights that span transactions (a probe that reconnects) ---- */

#define SPREAD_MAX_SESSIONS 16

/* Flights and refusals per session of a run. */
struct spread_run {
	unsigned sessions;
	unsigned flights[SPREAD_MAX_SESSIONS];
	unsigned errors[SPREAD_MAX_SESSIONS];
	struct relay_flight first[SPREAD_MAX_SESSIONS]; /* the first flight of each session */
};

static bool is_control(const char *line)
{
	return strstr(line, "-nx-") != NULL || strstr(line, ".invalid>") != NULL;
}

/* Runs the battery, MAIL answered mail, controls control, relay attempts relay. */
static void run_spread(struct relay_battery *b, const char *mail, const char *control,
                       const char *relay, struct spread_run *run)
{
	struct relay_flight fl;
	*run = (struct spread_run){.sessions = 1};
	for (;;) {
		unsigned s = run->sessions - 1;
		enum relay_next next = relay_battery_next(b, &fl);
		if (next == RELAY_NEXT_DONE)
			return;
		if (next == RELAY_NEXT_RECONNECT) {
			cr_assert_gt(run->flights[s], 0, "a session without a flight");
			cr_assert_lt(run->sessions, SPREAD_MAX_SESSIONS,
			             "the battery does not end");
			run->sessions++;
			relay_battery_session_start(b, false, 0);
			continue;
		}
		if (run->flights[s]++ == 0)
			run->first[s] = fl;
		for (size_t i = 0; i < fl.n; i++) {
			const char *line = fl.cmd[i].line;
			answer(b, &fl.cmd[i],
			       strncmp(line, "MAIL", 4) == 0   ? mail
			       : strncmp(line, "RSET", 4) == 0 ? "250 2.0.0 Ok"
			       : is_control(line)              ? control
			                                       : relay);
		}
		run->errors[s] = relay_battery_session_errors(b);
		cr_assert_leq(run->errors[s], RELAY_MAX_ERRORS_PER_SESSION);
	}
}

static void assert_flight(const struct relay_flight *fl, const char *const *expected, size_t n)
{
	cr_assert_eq(fl->n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(fl->cmd[i].line, expected[i], "command %zu", i);
}

/* A hardened server with PIPELINING: greeting, EHLO and one full flight per session. */
Test(relay_battery, spread_session_is_one_flight_across_transactions, .timeout = 10)
{
	struct relay_battery b;
	struct relay_judgement j;
	struct spread_run run;
	battery_spread(&b, EHLO_PIPELINING, RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	run_spread(&b, "250 2.1.0 Ok", "550 5.1.1 User unknown", "554 5.7.1 Relay access denied",
	           &run);
	static const char *const first[] = {
	    "MAIL FROM:<>",
	    "RCPT TO:<smtp-audit-nx-0000000000001234@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000001234.invalid>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@mx.example.org>",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test%example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\"@[192.0.2.25]>",
	};
	assert_flight(&run.first[0], first, sizeof(first) / sizeof(first[0]));
	/* The null sender's last form, then the external sender in the same flight. */
	static const char *const third[] = {
	    "MAIL FROM:<>",
	    "RCPT TO:<smtp-audit-relay-test@EXAMPLE.NET>",
	    "RSET",
	    "MAIL FROM:<smtp-audit@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@[192.0.2.25]>",
	    "RCPT TO:<smtp-audit-relay-test%example.net@mx.example.org>",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test%example.net\">",
	    "RCPT TO:<\"smtp-audit-relay-test@example.net\"@[192.0.2.25]>",
	};
	assert_flight(&run.first[2], third, sizeof(third) / sizeof(third[0]));
	/*
	 * 62 refusals and 4 senders: 8 sessions of one flight, but for one
	 * follow-up of 2 attempts in session 7 that spares a ninth session.
	 */
	cr_assert_eq(run.sessions, 8);
	for (unsigned s = 0; s < run.sessions; s++)
		cr_assert_eq(run.flights[s], s == 6 ? 2 : 1, "session %u", s + 1);
	cr_assert_eq(run.errors[6], RELAY_MAX_ERRORS_PER_SESSION);
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.judged, 60);
	cr_assert_eq(j.controls_judged, 2);
	relay_battery_free(&b);
}

/* Without PIPELINING every command is a round trip: the session runs to its budget. */
Test(relay_battery, lock_step_session_runs_to_its_budget, .timeout = 10)
{
	struct relay_battery b;
	struct spread_run run;
	battery_spread(&b, EHLO_LOCK_STEP, RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	run_spread(&b, "250 2.1.0 Ok", "550 5.1.1 User unknown", "554 5.7.1 Relay access denied",
	           &run);
	cr_assert_eq(run.flights[0], 2);
	cr_assert_eq(run.errors[0], RELAY_MAX_ERRORS_PER_SESSION);
	relay_battery_free(&b);
}

/* Few refusals leave room: the session goes on while a follow-up spares a session. */
Test(relay_battery, spread_open_relay_keeps_its_session, .timeout = 10)
{
	struct relay_battery b;
	struct relay_judgement j;
	struct spread_run run;
	battery_spread(&b, EHLO_PIPELINING, RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	run_spread(&b, "250 2.1.0 Ok", "550 5.1.1 User unknown", "250 2.1.5 Ok", &run);
	cr_assert_gt(run.flights[0], 5);
	cr_assert_leq(run.sessions, 2);
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.accepted, 60);
	relay_battery_free(&b);
}

/* A MAIL refused mid-flight settles only its own transaction; the next stays open. */
Test(relay_battery, spread_refused_mail_leaves_the_next_transaction_open, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct relay_judgement j;
	battery_spread(&b, EHLO_PIPELINING,
	               (1u << RELAY_SENDER_NULL) | (1u << RELAY_SENDER_EXTERNAL),
	               1u << RELAY_FORM_PLAIN);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	static const char *const flight[] = {
	    "MAIL FROM:<>",
	    "RCPT TO:<smtp-audit-nx-0000000000001234@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000001234.invalid>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	    "RSET",
	    "MAIL FROM:<smtp-audit@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@example.net>",
	};
	assert_flight(&fl, flight, sizeof(flight) / sizeof(flight[0]));
	answer(&b, &fl.cmd[0], "550 5.7.1 Null sender refused");
	for (size_t i = 1; i < 4; i++)
		answer(&b, &fl.cmd[i], "503 5.5.1 Error: need MAIL command");
	answer(&b, &fl.cmd[4], "250 2.0.0 Ok");
	answer(&b, &fl.cmd[5], "250 2.1.0 Ok");
	answer(&b, &fl.cmd[6], "554 5.7.1 Relay access denied");
	cr_assert_eq(relay_battery_session_errors(&b), 5);
	/* The controls go into the external sender's open transaction: no RSET, no MAIL. */
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	static const char *const controls[] = {
	    "RCPT TO:<smtp-audit-nx-0000000000001234@example.org>",
	    "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000001234.invalid>",
	};
	assert_flight(&fl, controls, sizeof(controls) / sizeof(controls[0]));
	answer_flight(&b, &fl, "250 2.1.0 Ok", "550 5.1.1 User unknown");
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_DONE);
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.sender_refused, 1);
	cr_assert_eq(j.controls_judged, 2);
	relay_battery_free(&b);
}

Test(relay_battery, refused_sender_passes_controls_on, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 mx.example.org ESMTP",
	            (1u << RELAY_SENDER_NULL) | (1u << RELAY_SENDER_EXTERNAL),
	            1u << RELAY_FORM_PLAIN);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_eq(fl.n, 4);
	cr_assert_eq(answer(&b, &fl.cmd[0], "550 5.7.1 Null sender refused"), RELAY_EVENT_NONE);
	for (size_t i = 1; i < fl.n; i++)
		answer(&b, &fl.cmd[i], "503 5.5.1 Error: need MAIL command");
	cr_assert_eq(relay_battery_session_errors(&b), 4);
	cr_assert_eq(relay_battery_session_judged(&b), 0,
	             "503s after a refused MAIL judge nothing");
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_str_eq(fl.cmd[0].line, "RSET");
	cr_assert_str_eq(fl.cmd[1].line, "MAIL FROM:<smtp-audit@example.org>");
	cr_assert(strstr(fl.cmd[2].line, "smtp-audit-nx-") != NULL, "%s", fl.cmd[2].line);
	cr_assert(strstr(fl.cmd[3].line, ".invalid>") != NULL, "%s", fl.cmd[3].line);
	cr_assert_str_eq(fl.cmd[4].line, "RCPT TO:<smtp-audit-relay-test@example.net>");
	answer_flight(&b, &fl, "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_DONE);
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.sender_refused, 1);
	cr_assert(strstr(j.reason, "null sender refused at MAIL FROM (550 5.7.1") != NULL, "%s",
	          j.reason);
	relay_battery_free(&b);
}

Test(relay_battery, lost_session_resends_only_unanswered, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl, again;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	answer(&b, &fl.cmd[0], "250 2.1.0 Ok");
	answer(&b, &fl.cmd[1], "550 5.1.1 User unknown");
	answer(&b, &fl.cmd[2], "554 5.7.1 Relay access denied");
	relay_battery_session_lost(&b);
	relay_battery_session_start(&b, false, 0);
	cr_assert_eq(relay_battery_next(&b, &again), RELAY_NEXT_FLIGHT);
	cr_assert_str_eq(again.cmd[0].line, "MAIL FROM:<>");
	cr_assert_str_eq(again.cmd[1].line, fl.cmd[3].line, "resumes with the first unanswered");
	for (size_t i = 1; i < again.n; i++) {
		cr_assert(strstr(again.cmd[i].line, "smtp-audit-nx-") == NULL);
		cr_assert(strstr(again.cmd[i].line, ".invalid>") == NULL);
	}
	relay_battery_free(&b);
}

/* ---- sessions in parallel ---- */

/* The RCPT lines of a flight, for comparing what sessions sent. */
static size_t rcpt_tags(const struct relay_flight *fl, int *tags)
{
	size_t n = 0;
	for (size_t i = 0; i < fl->n; i++)
		if (strncmp(fl->cmd[i].line, "RCPT", 4) == 0)
			tags[n++] = fl->cmd[i].tag;
	return n;
}

Test(relay_battery, parallel_sessions_share_the_pool, .timeout = 10)
{
	enum { SLOTS = 3 };
	struct relay_battery b;
	struct relay_flight fl[SLOTS];
	bool busy[SLOTS] = {false};
	int sent[RELAY_ATTEMPT_COUNT + 8];
	size_t nsent = 0;
	unsigned sessions = SLOTS;
	battery_spread(&b, EHLO_PIPELINING, RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_sessions_wanted(&b), 8, "62 attempts, 8 per fresh session");
	for (unsigned s = 1; s < SLOTS; s++) {
		relay_battery_use_slot(&b, s);
		relay_battery_session_start(&b, false, 0);
	}
	for (unsigned round = 0;; round++) {
		cr_assert_lt(round, 100, "the battery does not end");
		/* Every idle session plans before any answers: the flights overlap. */
		for (unsigned s = 0; s < SLOTS; s++) {
			relay_battery_use_slot(&b, s);
			enum relay_next next = relay_battery_next(&b, &fl[s]);
			if (next == RELAY_NEXT_RECONNECT) {
				relay_battery_session_start(&b, false, 0);
				sessions++;
				next = relay_battery_next(&b, &fl[s]);
			}
			busy[s] = next == RELAY_NEXT_FLIGHT;
			if (busy[s])
				nsent += rcpt_tags(&fl[s], sent + nsent);
		}
		bool any = false;
		for (unsigned s = 0; s < SLOTS; s++) {
			if (!busy[s])
				continue;
			any = true;
			cr_assert(relay_battery_in_flight(&b));
			relay_battery_use_slot(&b, s);
			answer_flight(&b, &fl[s], "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
			cr_assert_leq(relay_battery_session_errors(&b),
			              RELAY_MAX_ERRORS_PER_SESSION);
		}
		if (!any)
			break;
	}
	cr_assert_not(relay_battery_in_flight(&b));
	cr_assert_eq(nsent, RELAY_ATTEMPT_COUNT, "every attempt sent once");
	for (size_t i = 0; i < nsent; i++)
		for (size_t j = i + 1; j < nsent; j++)
			cr_assert_neq(sent[i], sent[j], "an attempt went out twice");
	cr_assert_leq(sessions, 9);
	struct relay_judgement j;
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, VERDICT_NOT_VULNERABLE, "%s", j.reason);
	cr_assert_eq(j.judged, j.planned);
	cr_assert_eq(j.controls_judged, RELAY_CONTROL_COUNT);
	relay_battery_free(&b);
}

Test(relay_battery, lost_parallel_session_returns_only_its_attempts, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight first, second, again;
	int tags[RELAY_FLIGHT_MAX], again_tags[RELAY_FLIGHT_MAX];
	battery_spread(&b, EHLO_PIPELINING, RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &first), RELAY_NEXT_FLIGHT);
	relay_battery_use_slot(&b, 1);
	relay_battery_session_start(&b, false, 0);
	cr_assert_eq(relay_battery_next(&b, &second), RELAY_NEXT_FLIGHT);
	size_t n = rcpt_tags(&second, tags);
	cr_assert_gt(n, 0);
	relay_battery_session_lost(&b);
	relay_battery_use_slot(&b, 0);
	cr_assert(relay_battery_in_flight(&b), "slot 0 still awaits its replies");
	answer_flight(&b, &first, "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
	cr_assert_eq(relay_battery_session_judged(&b), rcpt_tags(&first, again_tags));
	cr_assert_not(relay_battery_in_flight(&b));
	relay_battery_use_slot(&b, 2);
	relay_battery_session_start(&b, false, 0);
	cr_assert_eq(relay_battery_next(&b, &again), RELAY_NEXT_FLIGHT);
	cr_assert_eq(rcpt_tags(&again, again_tags), n, "the lost flight goes out again");
	cr_assert_arr_eq(again_tags, tags, n * sizeof(tags[0]));
	relay_battery_free(&b);
}

Test(relay_battery, idle_session_waits_for_the_others, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl, none;
	battery_spread(&b, EHLO_PIPELINING, 1u << RELAY_SENDER_NULL, 1u << RELAY_FORM_PLAIN);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	relay_battery_use_slot(&b, 1);
	relay_battery_session_start(&b, false, 0);
	cr_assert_eq(relay_battery_next(&b, &none), RELAY_NEXT_DONE);
	cr_assert(relay_battery_in_flight(&b), "done here, not yet judged: slot 0 awaits replies");
	relay_battery_use_slot(&b, 0);
	answer_flight(&b, &fl, "250 2.1.0 Ok", "554 5.7.1 Relay access denied");
	cr_assert_eq(relay_battery_next(&b, &none), RELAY_NEXT_DONE);
	cr_assert_not(relay_battery_in_flight(&b));
	relay_battery_free(&b);
}

Test(relay_battery, starttls_demand_is_an_event_not_a_result, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_eq(answer(&b, &fl.cmd[0], "530 5.7.0 Must issue a STARTTLS command first"),
	             RELAY_EVENT_TLS_REQUIRED);
	relay_battery_reset(&b);
	relay_battery_session_start(&b, true, 0);
	struct relay_flight tls;
	cr_assert_eq(relay_battery_next(&b, &tls), RELAY_NEXT_FLIGHT);
	cr_assert_eq(tls.n, fl.n, "the battery starts over");
	/* Once encrypted, the same words are just a refusal. */
	cr_assert_eq(answer(&b, &tls.cmd[0], "250 2.1.0 Ok"), RELAY_EVENT_NONE);
	cr_assert_eq(answer(&b, &tls.cmd[1], "530 5.7.0 Must issue a STARTTLS command first"),
	             RELAY_EVENT_NONE);
	relay_battery_judge(&b, false, &j);
	cr_assert_eq(j.verdict, VERDICT_INCONCLUSIVE);
	cr_assert_eq(j.controls_judged, 1);
	relay_battery_free(&b);
}

/* ---- verdicts ---- */

struct verdict_case {
	char name[24];
	char mail[48];
	char control[48];
	char relay[48];
	enum verdict verdict;
	char reason[80];
};

static const struct verdict_case verdict_cases[] = {
    {"hardened", "250 2.1.0 Ok", "550 5.1.1 User unknown", "554 5.7.1 Relay access denied",
     VERDICT_NOT_VULNERABLE, "0 of 60 relay attempts accepted (60 refused); controls rejected"},
    {"open", "250 2.1.0 Ok", "550 5.1.1 User unknown", "250 2.1.5 Ok", VERDICT_VULNERABLE,
     "60 of 60 relay attempts accepted (plain external recipient, percent hack"},
    {"accept-all", "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok", VERDICT_SUSPECTED,
     "controls were accepted too"},
    {"greylisting", "250 2.1.0 Ok", "450 4.2.0 Greylisted", "450 4.2.0 Greylisted",
     VERDICT_INCONCLUSIVE, "only deferred (4xx)"},
    {"auth-everything", "250 2.1.0 Ok", "530 5.7.0 Authentication required",
     "530 5.7.0 Authentication required", VERDICT_INCONCLUSIVE,
     "authentication required before any recipient is accepted"},
    {"every-sender-refused", "554 5.7.1 Client host rejected", "503 5.5.1 need MAIL",
     "503 5.5.1 need MAIL", VERDICT_INCONCLUSIVE, "no relay attempt could be judged"},
    {"unverified", "250 2.1.0 Ok", "550 5.1.1 User unknown", "252 2.1.5 Will try",
     VERDICT_VULNERABLE, "60 accepted with 252 (unverified)"},
    {"syntax", "250 2.1.0 Ok", "550 5.1.1 User unknown", "501 5.1.3 Bad address syntax",
     VERDICT_NOT_VULNERABLE, "60 refused, 60 of them as syntax errors"},
};

ParameterizedTestParameters(relay_battery, verdicts)
{
	return cr_make_param_array(struct verdict_case, verdict_cases,
	                           sizeof(verdict_cases) / sizeof(verdict_cases[0]));
}

/* Controls get one reply, relay attempts another. */
ParameterizedTest(struct verdict_case *c, relay_battery, verdicts, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	for (unsigned guard = 0; guard < 200; guard++) {
		enum relay_next next = relay_battery_next(&b, &fl);
		if (next == RELAY_NEXT_DONE)
			break;
		if (next == RELAY_NEXT_RECONNECT) {
			relay_battery_session_start(&b, false, 0);
			continue;
		}
		for (size_t i = 0; i < fl.n; i++) {
			const char *line = fl.cmd[i].line;
			bool control = strstr(line, "-nx-") != NULL || strstr(line, ".invalid>");
			answer(&b, &fl.cmd[i],
			       strncmp(line, "MAIL", 4) == 0   ? c->mail
			       : strncmp(line, "RSET", 4) == 0 ? "250 2.0.0 Ok"
			       : control                       ? c->control
			                                       : c->relay);
		}
	}
	relay_battery_judge(&b, true, &j);
	cr_assert_eq(j.verdict, c->verdict, "%s: %s", c->name, j.reason);
	cr_assert(strstr(j.reason, c->reason) != NULL, "%s: %s", c->name, j.reason);
	relay_battery_free(&b);
}

Test(relay_battery, incomplete_battery_keeps_only_positive_verdicts, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct relay_judgement j;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", RELAY_SENDERS_ALL, RELAY_FORMS_ALL);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	answer(&b, &fl.cmd[0], "250 2.1.0 Ok");
	answer(&b, &fl.cmd[1], "550 5.1.1 User unknown");
	answer(&b, &fl.cmd[2], "554 5.7.1 Relay access denied");
	answer(&b, &fl.cmd[3], "554 5.7.1 Relay access denied");
	relay_battery_judge(&b, false, &j);
	cr_assert_eq(j.verdict, VERDICT_INCONCLUSIVE, "%s", j.reason);
	cr_assert(strstr(j.reason, "battery incomplete: 1 of 60") != NULL, "%s", j.reason);
	answer(&b, &fl.cmd[4], "250 2.1.5 Ok");
	relay_battery_judge(&b, false, &j);
	cr_assert_eq(j.verdict, VERDICT_VULNERABLE, "%s", j.reason);
	char mail[RELAY_LINE_MAX], rcpt[RELAY_LINE_MAX];
	cr_assert_eq(relay_battery_path_lines(&b, relay_battery_first_accepted(&b), "a",
	                                      "b.example", mail, rcpt, sizeof(mail)),
	             0);
	cr_assert_str_eq(mail, "MAIL FROM:<>");
	cr_assert_str_eq(rcpt, "RCPT TO:<a%b.example@[192.0.2.25]>");
	relay_battery_free(&b);
}

/* ---- evidence and the canary path ---- */

Test(relay_battery, evidence_is_the_exact_exchange, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct finding f;
	battery_new(&b, &target4, "220 mx.example.org ESMTP", 1u << RELAY_SENDER_EXTERNAL,
	            (1u << RELAY_FORM_PLAIN) | (1u << RELAY_FORM_BANG));
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	cr_assert_eq(fl.n, 5);
	answer(&b, &fl.cmd[0], "250 2.1.0 Ok");
	answer(&b, &fl.cmd[1], "550 5.1.1 <nx>: User unknown");
	answer(&b, &fl.cmd[2], "554 5.7.1 Relay access denied");
	answer(&b, &fl.cmd[3], "554 5.7.1 Relay access denied");
	answer(&b, &fl.cmd[4], "250-2.1.5 Ok\r\n250 2.1.5 queued for example.net");
	cr_assert_eq(relay_battery_count_accepted(&b, -1, -1), 1);
	cr_assert_eq(relay_battery_count_accepted(&b, RELAY_SENDER_EXTERNAL, RELAY_FORM_BANG), 1);
	cr_assert_eq(relay_battery_count_accepted(&b, -1, RELAY_FORM_PLAIN), 0);
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_ADDRESS_TRICK, "bang-path"), 0);
	cr_assert_eq(relay_battery_add_accepted(&b, -1, RELAY_FORM_BANG, &f), 0);
	cr_assert_eq(f.nevidence, 5);
	cr_assert_eq(f.evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f.evidence[0].text, "MAIL FROM:<smtp-audit@example.org>");
	cr_assert_str_eq(f.evidence[1].text, "250 2.1.0 Ok");
	cr_assert_str_eq(f.evidence[2].text, "RCPT TO:<example.net!smtp-audit-relay-test>");
	cr_assert_eq(f.evidence[3].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f.evidence[3].text, "250-2.1.5 Ok");
	cr_assert_str_eq(f.evidence[4].text, "250 2.1.5 queued for example.net");
	cr_assert_eq(relay_battery_add_controls(&b, &f), 0);
	cr_assert_eq(f.nevidence, 5 + 2 * 5);
	cr_assert_str_eq(f.evidence[5].text, "control: nonexistent local user");
	cr_assert_str_eq(f.evidence[9].text, "550 5.1.1 <nx>: User unknown");
	finding_free(&f);

	char mail[RELAY_LINE_MAX], rcpt[RELAY_LINE_MAX];
	int path = relay_battery_first_accepted(&b);
	cr_assert_geq(path, 0);
	cr_assert_eq(relay_battery_path_lines(&b, path, "audit", "canary.example.org", mail, rcpt,
	                                      sizeof(mail)),
	             0);
	cr_assert_str_eq(mail, "MAIL FROM:<smtp-audit@example.org>");
	cr_assert_str_eq(rcpt, "RCPT TO:<canary.example.org!audit>");
	cr_assert_eq(
	    relay_battery_path_lines(&b, path, "audit", "canary.example.org", mail, rcpt, 20),
	    SA_ERROR_RANGE);
	relay_battery_free(&b);
}

Test(relay_battery, hostile_reply_is_kept_bounded, .timeout = 10)
{
	struct relay_battery b;
	struct relay_flight fl;
	struct finding f;
	char big[8192];
	size_t n = 0;
	for (int line = 0; line < 10; line++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "250%c%0600d\r\n",
		                      line == 9 ? ' ' : '-', line);
	big[n - 2] = '\0';
	battery_new(&b, &target4, "220 mx.example.org ESMTP", 1u << RELAY_SENDER_NULL,
	            1u << RELAY_FORM_PLAIN);
	cr_assert_eq(relay_battery_next(&b, &fl), RELAY_NEXT_FLIGHT);
	answer(&b, &fl.cmd[0], "250 2.1.0 Ok");
	answer(&b, &fl.cmd[1], "550 5.1.1 User unknown");
	answer(&b, &fl.cmd[2], "550 5.1.1 User unknown");
	answer(&b, &fl.cmd[3], big);
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, "null-sender"), 0);
	cr_assert_eq(relay_battery_add_accepted(&b, -1, -1, &f), 0);
	cr_assert_eq(f.nevidence, 2 + 1 + 4, "MAIL exchange, RCPT, four kept lines");
	cr_assert_leq(strlen(f.evidence[3].text), 4 + 512);
	finding_free(&f);
	relay_battery_free(&b);
}
