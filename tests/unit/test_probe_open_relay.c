/*
 * NAME
 *	test_probe_open_relay - the open relay probe against scripted servers
 *
 * DESCRIPTION
 *	A persona is a scripted server: what it answers to MAIL FROM, to the
 *	two controls, to the plain external recipient and to the address
 *	tricks. drive_run() answers the probe one reply at a time through the
 *	harness, follows its reconnects, can cut sessions (421, timeout), and
 *	keeps per-session accounts that every test checks: refusals per
 *	session within the budget, no DATA without --allow-data, no answered
 *	attempt sent twice.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_harness.h"
#include "relay_battery.h"

extern const struct probe probe_open_relay;

#define OK_MAIL       "250 2.1.0 Ok"
#define OK_RCPT       "250 2.1.5 Ok"
#define USER_UNKNOWN  "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown"
#define RELAY_DENIED  "554 5.7.1 <x@example.net>: Relay access denied"
#define NEED_MAIL     "503 5.5.1 Error: need MAIL command"
#define MUST_STARTTLS "530 5.7.0 Must issue a STARTTLS command first"
#define AUTH_REQUIRED "530 5.7.0 Authentication required"
/* The harness pairs a reply with every queued line; message text has none on the wire. */

#define PLAIN_RCPT   "RCPT TO:<smtp-audit-relay-test@example.net>"
#define PERCENT_RCPT "RCPT TO:<smtp-audit-relay-test%example.net@[192.0.2.25]>"
#define BANG_RCPT    "RCPT TO:<example.net!smtp-audit-relay-test>"

#define MAX_SESSIONS   80
#define MAX_INTERRUPTS 4

/* A scripted server; empty replies mean a hardened Postfix's. */
struct persona {
	char name[32];
	bool pipelining;
	bool starttls;
	bool require_tls;        /* MAIL before STARTTLS: 530 Must issue a STARTTLS command first */
	char starttls_reply[64]; /* "" = 220 */
	char null_mail[64];      /* MAIL FROM:<> */
	char mail[64];           /* any other MAIL FROM */
	char nx[80];             /* control: nonexistent local user */
	char invalid[80];        /* control: .invalid domain */
	char plain[80];          /* plain external recipient */
	char trick[80];          /* every other recipient */
	char accept[3][96];      /* RCPT lines accepted whatever the above says */
	/* expectations for the table test */
	enum verdict verdict;
	char reason[96];
	size_t findings;
};

struct drive {
	const struct persona *p;
	char ehlo[160];
	unsigned session;
	bool mail_ok, in_data;
	char mail_line[RELAY_LINE_MAX + 256];
	unsigned refusals[MAX_SESSIONS + 1];
	char first[MAX_SESSIONS + 1][RELAY_LINE_MAX]; /* first command of each session */
	size_t replies;
	size_t interrupt_at[MAX_INTERRUPTS]; /* reply counts after which the session is cut */
	size_t ninterrupts, interrupts_done;
	enum outcome interrupt_why;
	char *answered[512]; /* "MAIL|RCPT" pairs that got a judged reply */
	size_t nanswered;
	size_t max_pending;
};

static const char *or_default(const char *reply, const char *fallback)
{
	return reply[0] ? reply : fallback;
}

static void drive_init(struct drive *d, const struct persona *p)
{
	*d = (struct drive){.p = p};
	snprintf(d->ehlo, sizeof(d->ehlo), "250-mx.example.org\r\n%s%s250 8BITMIME",
	         p->pipelining ? "250-PIPELINING\r\n" : "", p->starttls ? "250-STARTTLS\r\n" : "");
}

static struct harness *drive_harness(struct drive *d, struct harness_setup *setup)
{
	setup->ehlo = d->ehlo;
	return harness_new(&probe_open_relay, setup);
}

static const char *persona_rcpt(const struct persona *p, const char *cmd)
{
	for (size_t i = 0; i < sizeof(p->accept) / sizeof(p->accept[0]); i++)
		if (strcmp(cmd, p->accept[i]) == 0)
			return OK_RCPT;
	if (strstr(cmd, "smtp-audit-nx-") != NULL)
		return or_default(p->nx, USER_UNKNOWN);
	if (strstr(cmd, ".invalid>") != NULL)
		return or_default(p->invalid, RELAY_DENIED);
	if (strcmp(cmd, PLAIN_RCPT) == 0)
		return or_default(p->plain, RELAY_DENIED);
	return or_default(p->trick, RELAY_DENIED);
}

static const char *persona_reply(struct drive *d, struct harness *h, const char *cmd)
{
	const struct persona *p = d->p;
	if (d->in_data) {
		cr_assert(strlen(cmd) >= 3 && strcmp(cmd + strlen(cmd) - 3, "\r\n.") == 0,
			  "after 354 only message content, ended by the dot: %s", cmd);
		d->in_data = d->mail_ok = false;
		return "250 2.0.0 Ok: queued as 4XyZ";
	}
	if (strcmp(cmd, "RSET") == 0) {
		d->mail_ok = false;
		return "250 2.0.0 Ok";
	}
	if (strcmp(cmd, "STARTTLS") == 0) {
		d->mail_ok = false;
		return or_default(p->starttls_reply, "220 2.0.0 Ready to start TLS");
	}
	if (strncmp(cmd, "MAIL FROM:", 10) == 0) {
		const char *r = p->require_tls && !harness_tls_active(h) ? MUST_STARTTLS
		                : strcmp(cmd, "MAIL FROM:<>") == 0
		                    ? or_default(p->null_mail, OK_MAIL)
		                    : or_default(p->mail, OK_MAIL);
		d->mail_ok = r[0] == '2';
		snprintf(d->mail_line, sizeof(d->mail_line), "%s", cmd);
		return r;
	}
	if (strncmp(cmd, "RCPT TO:", 8) == 0)
		return d->mail_ok ? persona_rcpt(p, cmd) : NEED_MAIL;
	if (strcmp(cmd, "DATA") == 0) {
		if (!d->mail_ok)
			return NEED_MAIL;
		d->in_data = true;
		return "354 End data with <CR><LF>.<CR><LF>";
	}
	cr_assert_fail("unexpected command: %s", cmd);
	return NULL;
}

/* Keeps the accounts for one reply; fails on an answered attempt sent again. */
static void drive_account(struct drive *d, const char *cmd, const char *reply)
{
	int code = atoi(reply);
	if (code >= 400)
		d->refusals[d->session]++;
	if (strncmp(cmd, "RCPT", 4) != 0 || code == 503)
		return;
	char *key;
	cr_assert(asprintf(&key, "%s|%s", d->mail_line, cmd) > 0);
	for (size_t i = 0; i < d->nanswered; i++)
		cr_assert_str_neq(d->answered[i], key, "attempt answered twice: %s", key);
	cr_assert_lt(d->nanswered, sizeof(d->answered) / sizeof(d->answered[0]));
	d->answered[d->nanswered++] = key;
}

static void drive_answer(struct drive *d, struct harness *h)
{
	if (harness_sessions(h) != d->session) {
		d->session = harness_sessions(h);
		cr_assert_leq(d->session, MAX_SESSIONS);
		d->mail_ok = d->in_data = false;
		snprintf(d->first[d->session], sizeof(d->first[0]), "%s",
		         harness_pending_command(h, 0));
	}
	if (harness_pending(h) > d->max_pending)
		d->max_pending = harness_pending(h);
	char *cmd = strdup(harness_pending_command(h, 0));
	cr_assert_not_null(cmd);
	const char *reply = persona_reply(d, h, cmd);
	drive_account(d, cmd, reply);
	d->replies++;
	harness_reply(h, reply);
	free(cmd);
}

static void drive_run(struct drive *d, struct harness *h)
{
	harness_start(h);
	for (unsigned guard = 0; guard < 5000 && !harness_concluded(h); guard++) {
		if (harness_reconnect_wanted(h)) {
			harness_restart(h);
			continue;
		}
		if (d->interrupts_done < d->ninterrupts &&
		    d->replies == d->interrupt_at[d->interrupts_done]) {
			d->interrupts_done++;
			harness_interrupt(h, d->interrupt_why);
			continue;
		}
		cr_assert_gt(harness_pending(h), 0, "nothing pending and not concluded");
		drive_answer(d, h);
	}
	cr_assert(harness_concluded(h), "the probe did not conclude");
}

/* What every run must respect. */
static void drive_check(const struct drive *d, const struct harness *h, bool allow_data)
{
	for (unsigned s = 0; s <= d->session; s++)
		cr_assert_leq(d->refusals[s], RELAY_MAX_ERRORS_PER_SESSION,
		              "session %u drew %u refusals", s, d->refusals[s]);
	if (!allow_data)
		cr_assert_eq(harness_sent_verb(h, "DATA"), 0, "DATA sent without --allow-data");
	cr_assert_eq(harness_sent_verb(h, "VRFY") + harness_sent_verb(h, "EXPN") +
	                 harness_sent_verb(h, "AUTH"),
	             0);
}

static void drive_free(struct drive *d)
{
	for (size_t i = 0; i < d->nanswered; i++)
		free(d->answered[i]);
}

static size_t sent_matching(const struct harness *h, const char *needle)
{
	size_t n = 0;
	for (size_t i = 0; i < harness_sent_count(h); i++)
		n += strstr(harness_sent(h, i), needle) != NULL;
	return n;
}

static bool reason_has(const struct harness *h, const char *needle)
{
	return strstr(harness_verdict_reason(h), needle) != NULL;
}

/* ---- server personalities ---- */

static const struct persona personas[] = {
    {.name = "hardened postfix",
     .pipelining = true,
     .verdict = VERDICT_NOT_VULNERABLE,
     .reason = "0 of 60 relay attempts accepted (60 refused); controls rejected"},
    {.name = "hardened, no pipelining",
     .verdict = VERDICT_NOT_VULNERABLE,
     .reason = "0 of 60 relay attempts accepted"},
    {.name = "accept-all at RCPT",
     .pipelining = true,
     .nx = OK_RCPT,
     .invalid = OK_RCPT,
     .plain = OK_RCPT,
     .trick = OK_RCPT,
     .verdict = VERDICT_SUSPECTED,
     .reason = "controls were accepted too",
     .findings = 1},
    {.name = "plain open relay",
     .pipelining = true,
     .plain = OK_RCPT,
     .verdict = VERDICT_VULNERABLE,
     .reason = "4 of 60 relay attempts accepted (plain external recipient); controls rejected",
     .findings = 4},
    {.name = "catch-all local domain, relays",
     .pipelining = true,
     .nx = OK_RCPT,
     .plain = OK_RCPT,
     .verdict = VERDICT_VULNERABLE,
     .reason = "1 of 2 controls rejected",
     .findings = 4},
    {.name = "null sender refused",
     .pipelining = true,
     .null_mail = "550 5.7.1 <>: Sender address rejected: Access denied",
     .verdict = VERDICT_NOT_VULNERABLE,
     .reason = "null sender refused at MAIL FROM (550 5.7.1 <>: Sender address rejected"},
    {.name = "null sender refused, relays",
     .pipelining = true,
     .null_mail = "550 5.7.1 <>: Sender address rejected: Access denied",
     .plain = OK_RCPT,
     .verdict = VERDICT_VULNERABLE,
     .reason = "3 of 60 relay attempts accepted",
     .findings = 3},
    {.name = "submission, auth at RCPT",
     .pipelining = true,
     .nx = AUTH_REQUIRED,
     .invalid = AUTH_REQUIRED,
     .plain = AUTH_REQUIRED,
     .trick = AUTH_REQUIRED,
     .verdict = VERDICT_INCONCLUSIVE,
     .reason = "authentication required before any recipient is accepted"},
    {.name = "submission, auth at MAIL",
     .pipelining = true,
     .null_mail = AUTH_REQUIRED,
     .mail = AUTH_REQUIRED,
     .verdict = VERDICT_INCONCLUSIVE,
     .reason = "authentication required before any recipient is accepted: MAIL FROM answered "
               "530"},
    {.name = "relay denied, auth mentioned",
     .pipelining = true,
     .plain = "550 5.7.1 Relaying denied. Proper authentication required.",
     .trick = "550 5.7.1 Relaying denied. Proper authentication required.",
     .verdict = VERDICT_NOT_VULNERABLE,
     .reason = "0 of 60 relay attempts accepted"},
    {.name = "exchange relay denial",
     .pipelining = true,
     .nx = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found",
     .plain = "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
     .trick = "501 5.1.3 Invalid address",
     .invalid = "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
     .verdict = VERDICT_NOT_VULNERABLE,
     .reason = "56 of them as syntax errors"},
    {.name = "greylisting",
     .pipelining = true,
     .nx = "450 4.2.0 Greylisted, try again later",
     .invalid = "450 4.2.0 Greylisted, try again later",
     .plain = "450 4.2.0 Greylisted, try again later",
     .trick = "450 4.2.0 Greylisted, try again later",
     .verdict = VERDICT_INCONCLUSIVE,
     .reason = "only deferred (4xx)"},
    {.name = "252 for external",
     .pipelining = true,
     .plain = "252 2.1.5 Cannot verify, will attempt delivery",
     .verdict = VERDICT_VULNERABLE,
     .reason = "4 accepted with 252 (unverified)",
     .findings = 4},
};

ParameterizedTestParameters(probe_open_relay, personas)
{
	return cr_make_param_array(struct persona, personas,
	                           sizeof(personas) / sizeof(personas[0]));
}

ParameterizedTest(struct persona *p, probe_open_relay, personas, .timeout = 20)
{
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, p);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), p->verdict, "%s: %s", p->name,
	             verdict_name(harness_verdict(h)));
	cr_assert(reason_has(h, p->reason), "%s: %s", p->name, harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), p->findings, "%s", p->name);
	if (p->pipelining)
		cr_assert_gt(d.max_pending, 1, "%s: transactions are queued as flights", p->name);
	drive_free(&d);
	harness_free(h);
}

/* ---- flights and the budget ---- */

Test(probe_open_relay, first_flight_is_pipelined_transaction, .timeout = 20)
{
	struct harness_setup setup = {
	    .ehlo = "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME", .random = 0xabc};
	struct harness *h = harness_new(&probe_open_relay, &setup);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1 + RELAY_MAX_ERRORS_PER_SESSION - 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "MAIL FROM:<>");
	cr_assert_str_eq(harness_pending_command(h, 1),
	                 "RCPT TO:<smtp-audit-nx-0000000000000abc@example.org>");
	cr_assert_str_eq(harness_pending_command(h, 2),
	                 "RCPT TO:<smtp-audit-relay-test@smtp-audit-0000000000000abc.invalid>");
	cr_assert_str_eq(harness_pending_command(h, 3), PLAIN_RCPT);
	cr_assert_str_eq(harness_pending_command(h, 4), PERCENT_RCPT);
	harness_free(h);
}

Test(probe_open_relay, budget_is_used_but_never_exceeded, .timeout = 20)
{
	static const struct persona hardened = {.pipelining = true};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &hardened);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	unsigned most = 0;
	for (unsigned s = 1; s <= d.session; s++)
		most = d.refusals[s] > most ? d.refusals[s] : most;
	cr_assert_eq(most, RELAY_MAX_ERRORS_PER_SESSION);
	cr_assert_geq(harness_sessions(h), 62 / RELAY_MAX_ERRORS_PER_SESSION);
	cr_assert_eq(sent_matching(h, "RCPT TO:"), 62, "every attempt exactly once");
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert_eq(harness_findings(h), 0);
	drive_free(&d);
	harness_free(h);
}

/* ---- evidence ---- */

Test(probe_open_relay, open_relay_with_tricks_has_exact_evidence, .timeout = 20)
{
	static const struct persona open = {
	    .pipelining = true, .plain = OK_RCPT, .accept = {PERCENT_RCPT, BANG_RCPT}};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &open);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert(reason_has(h, "12 of 60 relay attempts accepted (plain external recipient, "
	                        "percent hack via address literal, bang path); controls rejected"),
	          "%s", harness_verdict_reason(h));
	static const char *const senders[] = {"null-sender", "external-sender", "own-domain-sender",
	                                      "ip-literal-sender"};
	for (size_t i = 0; i < 4; i++)
		cr_assert_not_null(harness_find(h, CATALOG_RELAY_OPEN, senders[i]), "%s",
		                   senders[i]);
	const struct finding *f = harness_find(h, CATALOG_RELAY_OPEN, "null-sender");
	cr_assert_str_eq(f->evidence[0].text, "MAIL FROM:<>");
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[1].text, OK_MAIL);
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[2].text, PLAIN_RCPT);
	cr_assert_str_eq(f->evidence[3].text, OK_RCPT);
	cr_assert_str_eq(f->evidence[4].text, "control: nonexistent local user");
	cr_assert_str_eq(f->evidence[8].text, USER_UNKNOWN);

	const struct finding *trick =
	    harness_find(h, CATALOG_RELAY_ADDRESS_TRICK, "percent-hack-literal");
	cr_assert_not_null(trick);
	size_t rcpts = 0;
	for (size_t i = 0; i < trick->nevidence; i++)
		if (strcmp(trick->evidence[i].text, PERCENT_RCPT) == 0) {
			cr_assert_str_eq(trick->evidence[i + 1].text, OK_RCPT);
			rcpts++;
		}
	cr_assert_eq(rcpts, 4, "every accepted attempt, one per sender");
	cr_assert_not_null(harness_find(h, CATALOG_RELAY_ADDRESS_TRICK, "bang-path"));
	cr_assert_null(harness_find(h, CATALOG_RELAY_ADDRESS_TRICK, "quoted-at"));
	cr_assert_null(harness_find(h, CATALOG_RELAY_SUSPECTED, NULL));
	cr_assert_eq(harness_findings(h), 6);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, accept_all_is_suspected_with_control_evidence, .timeout = 20)
{
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &personas[2]);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	cr_assert_eq(harness_verdict(h), VERDICT_SUSPECTED);
	cr_assert_null(harness_find(h, CATALOG_RELAY_OPEN, NULL));
	const struct finding *f = harness_find(h, CATALOG_RELAY_SUSPECTED, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->evidence[0].text, "control: nonexistent local user");
	cr_assert_str_eq(f->evidence[1].text, "MAIL FROM:<>");
	cr_assert_str_eq(f->evidence[3].text,
	                 "RCPT TO:<smtp-audit-nx-0000000000000000@example.org>");
	cr_assert_str_eq(f->evidence[4].text, OK_RCPT);
	cr_assert_str_eq(f->evidence[5].text, "control: .invalid domain");
	drive_free(&d);
	harness_free(h);
}

/* ---- interrupted sessions ---- */

Test(probe_open_relay, resumes_after_421_without_repeating, .timeout = 20)
{
	static const struct persona hardened = {.pipelining = true};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &hardened);
	/* MAIL, both controls, plain and percent-literal answered; the 421 hits the next RCPT. */
	d.interrupt_at[0] = 5;
	d.ninterrupts = 1;
	d.interrupt_why = OUTCOME_THROTTLED;
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(d.interrupts_done, 1);
	cr_assert_str_eq(d.first[2], "MAIL FROM:<>");
	cr_assert_eq(sent_matching(h, "smtp-audit-nx-"), 1, "the controls are not repeated");
	cr_assert_eq(sent_matching(h, ".invalid>"), 1);
	cr_assert_eq(sent_matching(h, "RCPT TO:<smtp-audit-relay-test%example.net@mx.example.org>"),
	             4 + 1, "the unanswered RCPT is sent again, once");
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert_eq(d.nanswered, 62);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, lost_sessions_with_progress_are_resumed, .timeout = 20)
{
	static const struct persona open = {.pipelining = true, .plain = OK_RCPT};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &open);
	d.interrupt_at[0] = 3;
	d.interrupt_at[1] = 11;
	d.interrupt_at[2] = 20;
	d.interrupt_at[3] = 33;
	d.ninterrupts = 4;
	d.interrupt_why = OUTCOME_CLOSED;
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(d.interrupts_done, 4);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), 4);
	cr_assert_eq(d.nanswered, 62);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, gives_up_after_three_lost_sessions, .timeout = 20)
{
	struct harness_setup setup = {.ehlo = "250-mx.example.org\r\n250 PIPELINING"};
	struct harness *h = harness_new(&probe_open_relay, &setup);
	harness_start(h);
	for (int i = 0; i < 3; i++) {
		cr_assert_not(harness_concluded(h));
		harness_interrupt(h, OUTCOME_TIMEOUT);
		if (harness_reconnect_wanted(h))
			harness_restart(h);
	}
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_sessions(h), 3);
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(reason_has(h, "battery incomplete: 0 of 60"), "%s", harness_verdict_reason(h));
	cr_assert(reason_has(h, "session ended (timeout) 3 times in a row"), "%s",
	          harness_verdict_reason(h));
	harness_free(h);
}

/* ---- STARTTLS ---- */

Test(probe_open_relay, starttls_required_reruns_after_tls, .timeout = 20)
{
	static const struct persona tls_only = {
	    .pipelining = true, .starttls = true, .require_tls = true, .plain = OK_RCPT};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &tls_only);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert(reason_has(h, "4 of 60 relay attempts accepted"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "run after STARTTLS (plaintext: " MUST_STARTTLS ")"), "%s",
	          harness_verdict_reason(h));
	cr_assert(harness_tls_active(h));
	cr_assert_str_eq(d.first[1], "MAIL FROM:<>");
	for (unsigned s = 2; s <= d.session; s++)
		cr_assert_str_eq(d.first[s], "STARTTLS", "session %u begins with STARTTLS", s);
	cr_assert_eq(harness_findings(h), 4);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, starttls_required_hardened_after_tls, .timeout = 20)
{
	static const struct persona tls_only = {
	    .pipelining = true, .starttls = true, .require_tls = true};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &tls_only);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert(reason_has(h, "0 of 60 relay attempts accepted"));
	cr_assert_eq(harness_findings(h), 0);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, starttls_required_but_not_offered, .timeout = 20)
{
	static const struct persona tls_only = {.pipelining = true, .require_tls = true};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &tls_only);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(reason_has(h, "STARTTLS required (" MUST_STARTTLS ") but not offered"), "%s",
	          harness_verdict_reason(h));
	cr_assert_eq(harness_sent_verb(h, "STARTTLS"), 0);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, starttls_required_but_refused, .timeout = 20)
{
	static const struct persona tls_broken = {.pipelining = true,
	                                          .starttls = true,
	                                          .require_tls = true,
	                                          .starttls_reply = "454 4.7.0 TLS not available"};
	struct drive d;
	struct harness_setup setup = {0};
	drive_init(&d, &tls_broken);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(reason_has(h, "STARTTLS answered 454 4.7.0 TLS not available"), "%s",
	          harness_verdict_reason(h));
	drive_free(&d);
	harness_free(h);
}

/* ---- addresses ---- */

Test(probe_open_relay, submission_port_wanting_auth_is_inconclusive, .timeout = 20)
{
	static const struct persona submission = {
	    .pipelining = true, .null_mail = AUTH_REQUIRED, .mail = AUTH_REQUIRED};
	struct drive d;
	struct harness_setup setup = {.port = 587};
	drive_init(&d, &submission);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert(reason_has(h, "authentication required before any recipient is accepted"));
	cr_assert_eq(harness_sessions(h), 1);
	cr_assert_eq(harness_findings(h), 0);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, ipv6_target_uses_ipv6_literals, .timeout = 20)
{
	static const struct persona hardened = {.pipelining = true};
	struct drive d;
	struct harness_setup setup = {.family = 6, .address = "2001:db8::25"};
	drive_init(&d, &hardened);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_geq(sent_matching(h, "MAIL FROM:<postmaster@[IPv6:2001:db8::25]>"), 1);
	cr_assert_eq(sent_matching(h, "%example.net@[IPv6:2001:db8::25]>"), 4);
	cr_assert_eq(sent_matching(h, "@[IPv6:2001:db8::25]:smtp-audit-relay-test@example.net>"),
	             4);
	cr_assert_eq(sent_matching(h, "[2001:"), 0);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, no_host_name_skips_and_says_so, .timeout = 20)
{
	static const struct persona hardened = {.pipelining = true};
	struct drive d;
	struct harness_setup setup = {.greeting = "220 ESMTP service ready"};
	drive_init(&d, &hardened);
	snprintf(d.ehlo, sizeof(d.ehlo), "250-[192.0.2.25]\r\n250 PIPELINING");
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE);
	cr_assert(reason_has(h, "0 of 33 relay attempts accepted"), "%s",
	          harness_verdict_reason(h));
	cr_assert(reason_has(h, "no server host name in greeting or EHLO: 27 attempts and 1 "
	                        "control(s) needing one skipped"),
	          "%s", harness_verdict_reason(h));
	cr_assert_eq(sent_matching(h, "RCPT TO:"), 34);
	cr_assert_eq(sent_matching(h, "mx.example.org"), 0, "no name is invented");
	cr_assert_eq(sent_matching(h, "postmaster@example.org"), 0);
	cr_assert_eq(sent_matching(h, "@example.org>"),
	             sent_matching(h, "MAIL FROM:<smtp-audit@example.org>"));
	cr_assert_eq(sent_matching(h, "smtp-audit-nx-"), 0);
	drive_free(&d);
	harness_free(h);
}

/* ---- DATA and the canary ---- */

Test(probe_open_relay, no_data_without_allow_data, .timeout = 20)
{
	static const struct persona open = {.pipelining = true, .plain = OK_RCPT};
	struct drive d;
	struct harness_setup setup = {.settings = {.relay_canary = "audit@canary.example.com"}};
	drive_init(&d, &open);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, false);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_null(harness_find(h, CATALOG_RELAY_CANARY_DELIVERED, NULL));
	cr_assert_eq(sent_matching(h, "canary"), 0);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, no_data_without_canary, .timeout = 20)
{
	static const struct persona open = {.pipelining = true, .plain = OK_RCPT};
	struct drive d;
	struct harness_setup setup = {.settings = {.allow_data = true}};
	drive_init(&d, &open);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, true);
	cr_assert_eq(harness_sent_verb(h, "DATA"), 0);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, no_canary_when_not_vulnerable, .timeout = 20)
{
	struct drive d;
	struct harness_setup setup = {
	    .settings = {.allow_data = true, .relay_canary = "audit@canary.example.com"}};
	drive_init(&d, &personas[2]);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, true);
	cr_assert_eq(harness_verdict(h), VERDICT_SUSPECTED);
	cr_assert_eq(harness_sent_verb(h, "DATA"), 0);
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, canary_goes_through_first_relay_path, .timeout = 20)
{
	static const struct persona open = {
	    .pipelining = true,
	    .accept = {PERCENT_RCPT, "RCPT TO:<audit%canary.example.com@[192.0.2.25]>"}};
	struct drive d;
	struct harness_setup setup = {
	    .host = ".mx.example.org",
	    .random = 0x100,
	    .now = 1795352400, /* 2026-11-22T13:00:00Z */
	    .settings = {.allow_data = true, .relay_canary = "audit@canary.example.com"}};
	drive_init(&d, &open);
	struct harness *h = drive_harness(&d, &setup);
	drive_run(&d, h);
	drive_check(&d, h, true);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert_eq(harness_sent_verb(h, "DATA"), 1, "one message, once");
	size_t data = 0;
	while (strcmp(harness_sent(h, data), "DATA") != 0)
		data++;
	cr_assert_str_eq(harness_sent(h, data - 3), "RSET");
	cr_assert_str_eq(harness_sent(h, data - 2), "MAIL FROM:<>");
	cr_assert_str_eq(harness_sent(h, data - 1),
	                 "RCPT TO:<audit%canary.example.com@[192.0.2.25]>");
	/* The message is one unit: dot-stuffed, CRLF lines, ended by the dot. */
	const char *msg = harness_sent(h, harness_sent_count(h) - 1);
	cr_assert_str_eq(harness_sent(h, harness_sent_count(h) - 2), "DATA");
	cr_assert(strstr(msg, "\r\nSubject: smtp-audit relay canary 0000000000000101\r\n"), "%s",
		  msg);
	cr_assert(strstr(msg, "\r\nTo: <audit@canary.example.com>\r\n"), "%s", msg);
	cr_assert(strstr(msg, "\r\nMessage-ID: <smtp-audit-0000000000000101@scanner.example.net>\r\n"));
	cr_assert(strstr(msg, "\r\nToken: 0000000000000101\r\n"));
	cr_assert(strstr(msg, "\r\nDate: Sun, 22 Nov 2026 13:00:00 +0000\r\n"), "%s", msg);
	cr_assert(strstr(msg, "\r\n..mx.example.org (192.0.2.25 port 25), which relayed it:\r\n"),
		  "a line starting with a dot is dot-stuffed");
	cr_assert_str_eq(msg + strlen(msg) - 3, "\r\n.", "the end-of-data dot closes it");
	const struct finding *f = harness_find(h, CATALOG_RELAY_CANARY_DELIVERED, NULL);
	cr_assert_not_null(f);
	cr_assert(strstr(f->detail, "0000000000000101") != NULL, "%s", f->detail);
	cr_assert_str_eq(f->evidence[f->nevidence - 1].text, "250 2.0.0 Ok: queued as 4XyZ");
	cr_assert(reason_has(h, "canary accepted for delivery (token 0000000000000101)"), "%s",
	          harness_verdict_reason(h));
	drive_free(&d);
	harness_free(h);
}

Test(probe_open_relay, canary_refused_is_reported_in_the_reason, .timeout = 20)
{
	static const struct persona open = {.pipelining = true, .plain = OK_RCPT};
	struct harness_setup setup = {
	    .ehlo = "250-mx.example.org\r\n250 PIPELINING",
	    .settings = {.allow_data = true, .relay_canary = "audit@canary.example.com"}};
	struct drive d;
	drive_init(&d, &open);
	struct harness *h = harness_new(&probe_open_relay, &setup);
	harness_start(h);
	while (!harness_concluded(h) && harness_sent_verb(h, "DATA") == 0) {
		if (harness_reconnect_wanted(h))
			harness_restart(h);
		else
			drive_answer(&d, h);
	}
	cr_assert_str_eq(harness_pending_command(h, harness_pending(h) - 1), "DATA");
	while (strcmp(harness_pending_command(h, 0), "DATA") != 0)
		drive_answer(&d, h);
	harness_reply(h, "554 5.5.1 Error: no valid recipients");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert(reason_has(h, "canary not sent: DATA answered 554"), "%s",
	          harness_verdict_reason(h));
	cr_assert_null(harness_find(h, CATALOG_RELAY_CANARY_DELIVERED, NULL));
	drive_free(&d);
	harness_free(h);
}
