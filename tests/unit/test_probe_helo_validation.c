/*
 * NAME
 *	test_probe_helo_validation - the helo_validation probe against scripted servers
 *
 * DESCRIPTION
 *	A plan is a scripted server: one letter per form (the control first,
 *	then the ten forms in the probe's order) saying how it answers that
 *	form's session. drive() answers the probe one reply at a time through
 *	the harness, recognises each session's form by its HELO line, follows
 *	the probe's reconnects, cuts sessions where the plan says so, and
 *	keeps per-session accounts that every test checks: exactly one HELO
 *	per session, forms tried in order, never DATA, and no form judged
 *	before the server answered its RCPT when the server refuses there
 *	(the smtpd_delay_reject trap).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe_harness.h"

extern const struct probe probe_helo_validation;

#define FORMS        11 /* the control and ten forms */
#define LINE         320
#define MAX_SESSIONS 32

#define OK_HELO "250 mx.example.org"
#define OK_MAIL "250 2.1.0 Ok"
#define OK_RCPT "250 2.1.5 Ok"

/*
 * Plan letters, how the server answers one form's session:
 *   A  250 to HELO, MAIL and RCPT
 *   R  250 to HELO and MAIL, Postfix's "Helo command rejected" 5xx at RCPT
 *   H  501 to HELO
 *   M  503 to MAIL (names HELO), 250 to HELO
 *   N  550 at RCPT that does not name HELO
 *   G  450 at RCPT that names HELO
 *   T  450 at RCPT that does not name HELO (a rate limit)
 *   P  354 at RCPT (a protocol oddity)
 *   U  550 5.1.1 at RCPT: postmaster unknown
 *   X  the session is lost (421) at RCPT, every time
 *   x  lost at RCPT the first time, then as R
 *   y  lost at RCPT the first time, then as A
 *   -  must never be tried
 */

enum form_kind { KIND_CONTROL, KIND_INVALID, KIND_IMPERSONATION };

static const struct form_spec {
	const char *variant;
	enum form_kind kind;
} forms[FORMS] = {
    {"control", KIND_CONTROL},
    {"empty", KIND_INVALID},
    {"non-fqdn", KIND_INVALID},
    {"invalid-chars", KIND_INVALID},
    {"bare-ip", KIND_INVALID},
    {"foreign-ip-literal", KIND_IMPERSONATION},
    {"localhost", KIND_IMPERSONATION},
    {"own-hostname", KIND_IMPERSONATION},
    {"own-ip-literal", KIND_IMPERSONATION},
    {"broken-literal", KIND_INVALID},
    {"over-long", KIND_INVALID},
};

enum { FORM_CONTROL = 0, FORM_OWN_HOST = 7 };

/* The over-long name written out independently of the probe: 4 x 63 + 36 + ".example". */
static void overlong_name(char *buf, size_t len)
{
	char label[64];
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(buf, len, "%s.%s.%s.%s.%.36s.example", label, label, label, label, label);
}

/* The HELO lines the probe must send, in order; "" where a form must be skipped. */
struct expected {
	char helo[FORMS][LINE];
	char rcpt[LINE];
};

static void expect(struct expected *e, const char *own_host, const char *own_literal,
                   const char *foreign_literal, const char *rcpt)
{
	char overlong[LINE];
	overlong_name(overlong, sizeof(overlong));
	const char *args[FORMS] = {"scanner.example.net",
	                           "",
	                           "smtp-audit",
	                           "bad_host!name#.example",
	                           "192.0.2.1",
	                           foreign_literal,
	                           "localhost",
	                           own_host,
	                           own_literal,
	                           "[1.2.3]",
	                           overlong};
	for (int f = 0; f < FORMS; f++)
		if (f == FORM_OWN_HOST && own_host == NULL)
			e->helo[f][0] = '\0';
		else
			cr_assert_lt(snprintf(e->helo[f], LINE, "HELO%s%s", args[f][0] ? " " : "",
			                      args[f]),
			             LINE);
	snprintf(e->rcpt, sizeof(e->rcpt), "RCPT TO:%s", rcpt);
}

static void expect_default(struct expected *e)
{
	expect(e, "mx.example.org", "[192.0.2.25]", "[192.0.2.1]", "<postmaster@example.org>");
}

/* ---- the scripted server ---- */

struct session_log {
	int form;
	char letter; /* the plan letter in effect for this session */
	unsigned helo, mail, rcpt, data;
	bool rcpt_answered;
};

struct drive {
	struct harness *h;
	const struct expected *e;
	const char *plan;
	unsigned tries[FORMS];
	struct session_log log[MAX_SESSIONS];
	unsigned nsessions;
	size_t logged; /* sent lines already counted */
};

static void drive_log_sent(struct drive *d)
{
	struct session_log *s = &d->log[d->nsessions - 1];
	for (; d->logged < harness_sent_count(d->h); d->logged++) {
		const char *line = harness_sent(d->h, d->logged);
		if (strncasecmp(line, "HELO", 4) == 0)
			s->helo++;
		else if (strncasecmp(line, "MAIL", 4) == 0)
			s->mail++;
		else if (strncasecmp(line, "RCPT", 4) == 0)
			s->rcpt++;
		else if (strncasecmp(line, "DATA", 4) == 0 || strncasecmp(line, "BDAT", 4) == 0)
			s->data++;
	}
}

static void drive_new_session(struct drive *d)
{
	cr_assert_lt(d->nsessions, MAX_SESSIONS, "too many sessions");
	d->log[d->nsessions++] = (struct session_log){.form = -1};
}

static int drive_form_of(const struct drive *d, const char *helo)
{
	for (int f = 0; f < FORMS; f++)
		if (d->e->helo[f][0] != '\0' && strcmp(d->e->helo[f], helo) == 0)
			return f;
	cr_assert_fail("unexpected HELO line: %s", helo);
	return -1;
}

/* Postfix's wording for a rejected HELO, by kind of form. */
static void postfix_helo_rejection(const char *helo, int form, char *buf, size_t len)
{
	const char *arg = strlen(helo) > 5 ? helo + 5 : "";
	if (forms[form].kind == KIND_IMPERSONATION)
		snprintf(buf, len, "550 5.7.1 <%s>: Helo command rejected: You are not me", arg);
	else
		snprintf(buf, len,
		         "504 5.5.2 <%s>: Helo command rejected: need fully-qualified hostname",
		         arg);
}

/* The letter in effect for this session: lost-once letters act as R or A after the loss. */
static char drive_letter(const struct drive *d, int form)
{
	char c = d->plan[form];
	if (c == 'x' && d->tries[form] > 1)
		return 'R';
	if (c == 'y' && d->tries[form] > 1)
		return 'A';
	return c;
}

/* Answers the oldest pending command; false when the session was cut instead. */
static bool drive_answer(struct drive *d)
{
	struct session_log *s = &d->log[d->nsessions - 1];
	const char *cmd = harness_pending_command(d->h, 0);
	char reply[LINE + 96];
	if (strncmp(cmd, "HELO", 4) == 0) {
		s->form = drive_form_of(d, cmd);
		cr_assert_neq(d->plan[s->form], '-', "form %s tried", forms[s->form].variant);
		d->tries[s->form]++;
		s->letter = drive_letter(d, s->form);
	}
	cr_assert_geq(s->form, 0, "%s before HELO", cmd);
	char c = s->letter;
	const char *helo = d->e->helo[s->form];
	if (strncmp(cmd, "HELO", 4) == 0) {
		harness_reply(d->h, c == 'H' ? "501 5.5.4 Syntax: HELO hostname" : OK_HELO);
		return true;
	}
	if (strncmp(cmd, "MAIL", 4) == 0) {
		cr_assert_str_eq(cmd, "MAIL FROM:<>");
		harness_reply(d->h, c == 'M' ? "503 5.5.1 Error: send HELO/EHLO first" : OK_MAIL);
		return true;
	}
	cr_assert_str_eq(cmd, d->e->rcpt);
	switch (c) {
	case 'X':
	case 'x':
	case 'y':
		harness_interrupt(d->h, OUTCOME_THROTTLED);
		return false;
	case 'R':
		postfix_helo_rejection(helo, s->form, reply, sizeof(reply));
		break;
	case 'N':
		snprintf(reply, sizeof(reply), "550 5.7.1 Client host rejected: Access denied");
		break;
	case 'G':
		snprintf(reply, sizeof(reply),
		         "450 4.7.1 <x>: Helo command rejected: Host not found");
		break;
	case 'T':
		snprintf(reply, sizeof(reply),
		         "450 4.7.1 Error: too many recipients from 192.0.2.9");
		break;
	case 'P':
		snprintf(reply, sizeof(reply), "354 go ahead");
		break;
	case 'U':
		snprintf(
		    reply, sizeof(reply),
		    "550 5.1.1 <postmaster@example.org>: Recipient address rejected: User unknown");
		break;
	default:
		snprintf(reply, sizeof(reply), OK_RCPT);
		break;
	}
	s->rcpt_answered = true;
	harness_reply(d->h, reply);
	return true;
}

/* Plays the plan until the probe concludes or gives up. */
static void drive(struct drive *d, struct harness *h, const struct expected *e, const char *plan)
{
	*d = (struct drive){.h = h, .e = e, .plan = plan};
	drive_new_session(d);
	harness_start(h);
	for (unsigned guard = 0; guard < 8 * MAX_SESSIONS && !harness_concluded(h); guard++) {
		drive_log_sent(d);
		if (harness_reconnect_wanted(h)) {
			drive_new_session(d);
			harness_restart(h);
			continue;
		}
		if (harness_pending(h) == 0)
			break;
		drive_answer(d);
	}
	drive_log_sent(d);
	cr_assert(harness_concluded(h), "the probe did not conclude");
	cr_assert(!harness_reconnect_wanted(h), "concluded and reconnecting");
}

/* What every run must respect. */
static void assert_sessions_sane(const struct drive *d)
{
	int last = -1;
	cr_assert_eq(harness_sent_verb(d->h, "DATA"), 0, "DATA sent");
	cr_assert_eq(harness_sent_verb(d->h, "BDAT"), 0, "BDAT sent");
	cr_assert_eq(harness_sent_verb(d->h, "EHLO"), 0, "EHLO sent");
	cr_assert_eq(harness_sessions(d->h), d->nsessions);
	for (unsigned i = 0; i < d->nsessions; i++) {
		const struct session_log *s = &d->log[i];
		cr_assert_eq(s->helo, 1, "session %u sent %u HELO lines", i, s->helo);
		cr_assert_leq(s->mail, 1, "session %u sent %u MAIL", i, s->mail);
		cr_assert_leq(s->rcpt, 1, "session %u sent %u RCPT", i, s->rcpt);
		cr_assert_eq(s->data, 0);
		cr_assert_geq(s->form, last, "forms out of order in session %u", i);
		last = s->form;
	}
	for (int f = 0; f < FORMS; f++)
		cr_assert_leq(d->tries[f], 2, "%s tried %u times", forms[f].variant, d->tries[f]);
}

static enum catalog_id id_of(int form)
{
	return forms[form].kind == KIND_IMPERSONATION ? CATALOG_HELO_IMPERSONATION_ACCEPTED
	                                              : CATALOG_HELO_INVALID_ACCEPTED;
}

/* ---- the table ---- */

struct scenario {
	char name[40];
	char plan[FORMS + 1];
	enum verdict verdict;
	unsigned sessions;
	char reason[200]; /* must appear in the verdict reason */
};

static const struct scenario scenarios[] = {
    {"postfix_delay_reject", "ARRRRRRRRRR", VERDICT_NOT_VULNERABLE, 11,
     "accepted: none; rejected: 10 forms (at RCPT)"},
    {"lax_accepts_everything", "AAAAAAAAAAA", VERDICT_VULNERABLE, 11,
     "accepted: empty, non-fqdn, invalid-chars, bare-ip, foreign-ip-literal, localhost, "
     "own-hostname, own-ip-literal, broken-literal, over-long; rejected: none"},
    {"impersonation_only", "ARRRRAAAARR", VERDICT_VULNERABLE, 11,
     "accepted: foreign-ip-literal, localhost, own-hostname, own-ip-literal; rejected: 6 forms "
     "(at RCPT)"},
    {"empty_refused_at_helo", "AHRRRRRRRRR", VERDICT_NOT_VULNERABLE, 11,
     "rejected: 10 forms (1 at HELO, 9 at RCPT)"},
    {"refused_at_mail", "ARMRRRRRRRR", VERDICT_NOT_VULNERABLE, 11,
     "rejected: 10 forms (1 at MAIL, 9 at RCPT)"},
    {"refusal_not_naming_helo", "ARRRNRRRRRR", VERDICT_NOT_VULNERABLE, 11,
     "rejected: 10 forms (at RCPT)"},
    {"deferral_naming_helo", "ARRRRRRRRRG", VERDICT_NOT_VULNERABLE, 11,
     "rejected: 10 forms (at RCPT)"},
    {"deferral_not_naming_helo", "ARRRTRRRRRR", VERDICT_INCONCLUSIVE, 11,
     "rejected: 9 forms (at RCPT); inconclusive: bare-ip (450 at RCPT does not name HELO)"},
    {"unexpected_reply", "ARRRRRRRRRP", VERDICT_INCONCLUSIVE, 11,
     "inconclusive: over-long (unexpected 354 at RCPT)"},
    {"control_recipient_unknown", "U----------", VERDICT_INCONCLUSIVE, 1,
     "control refused at RCPT: 550 5.1.1 <postmaster@example.org>: Recipient address "
     "rejected: User unknown; HELO handling cannot be judged"},
    {"control_helo_refused", "H----------", VERDICT_INCONCLUSIVE, 1,
     "control refused at HELO: 501 5.5.4 Syntax: HELO hostname"},
    {"control_refused_at_mail", "M----------", VERDICT_INCONCLUSIVE, 1,
     "control refused at MAIL: 503"},
    {"control_deferred", "T----------", VERDICT_INCONCLUSIVE, 1, "control refused at RCPT: 450"},
    {"control_lost_twice", "X----------", VERDICT_INCONCLUSIVE, 2,
     "control session lost twice (throttled); HELO handling cannot be judged"},
    {"control_lost_once", "yRRRRRRRRRR", VERDICT_NOT_VULNERABLE, 12,
     "accepted: none; rejected: 10 forms (at RCPT)"},
    {"form_lost_twice", "ARRRRRXRRRR", VERDICT_INCONCLUSIVE, 12,
     "accepted: none; rejected: 9 forms (at RCPT); inconclusive: localhost (session lost "
     "twice: throttled)"},
    {"form_lost_once", "ARRRRRxRRRR", VERDICT_NOT_VULNERABLE, 12,
     "accepted: none; rejected: 10 forms (at RCPT)"},
    {"accepted_after_loss", "ARRRRRyRRRR", VERDICT_VULNERABLE, 12,
     "accepted: localhost; rejected: 9 forms (at RCPT)"},
    {"accepted_stands_beside_lost_form", "AARRRRRXRRR", VERDICT_VULNERABLE, 12,
     "accepted: empty; rejected: 8 forms (at RCPT); inconclusive: own-hostname"},
    {"every_form_lost", "AXXXXXXXXXX", VERDICT_INCONCLUSIVE, 21,
     "accepted: none; rejected: none; inconclusive: empty (session lost twice"},
};

ParameterizedTestParameters(probe_helo_validation, scenario)
{
	return cr_make_param_array(struct scenario, (void *)scenarios,
	                           sizeof(scenarios) / sizeof(scenarios[0]));
}

/* A form whose RCPT the server answers must be judged only after that answer. */
static void assert_judged_after_rcpt(const struct drive *d)
{
	for (unsigned i = 0; i < d->nsessions; i++) {
		const struct session_log *s = &d->log[i];
		if (strchr("ARNGTPU", s->letter) == NULL)
			continue;
		cr_assert_eq(s->mail, 1, "%s: no MAIL in session %u", forms[s->form].variant, i);
		cr_assert_eq(s->rcpt, 1, "%s: no RCPT in session %u", forms[s->form].variant, i);
		cr_assert(s->rcpt_answered, "%s judged before its RCPT was answered in session %u",
		          forms[s->form].variant, i);
	}
}

ParameterizedTest(const struct scenario *sc, probe_helo_validation, scenario, .timeout = 10)
{
	struct expected e;
	struct drive d;
	expect_default(&e);
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	drive(&d, h, &e, sc->plan);
	assert_sessions_sane(&d);
	assert_judged_after_rcpt(&d);
	cr_assert_eq(harness_verdict(h), sc->verdict, "%s: verdict %s (%s)", sc->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(d.nsessions, sc->sessions, "%s: %u sessions", sc->name, d.nsessions);
	cr_assert_not_null(strstr(harness_verdict_reason(h), sc->reason), "%s: reason '%s'",
	                   sc->name, harness_verdict_reason(h));
	size_t accepted = 0;
	for (int f = 1; f < FORMS; f++) {
		bool wanted = sc->plan[f] == 'A' || sc->plan[f] == 'y';
		const struct finding *fd = harness_find(h, id_of(f), forms[f].variant);
		cr_assert_eq(fd != NULL, wanted, "%s: finding for %s", sc->name, forms[f].variant);
		accepted += wanted;
	}
	cr_assert_eq(harness_findings(h), accepted, "%s: %zu findings", sc->name,
	             harness_findings(h));
	/* Nothing beyond the control when the control fails. */
	if (sc->plan[1] == '-')
		for (unsigned i = 0; i < d.nsessions; i++)
			cr_assert_eq(d.log[i].form, FORM_CONTROL);
	harness_free(h);
}

/* ---- what the table cannot show ---- */

Test(probe_helo_validation, sends_each_form_exactly, .timeout = 10)
{
	struct expected e;
	struct drive d;
	expect_default(&e);
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	drive(&d, h, &e, "ARRRRRRRRRR");
	cr_assert_eq(d.nsessions, FORMS);
	size_t helo = 0;
	for (size_t i = 0; i < harness_sent_count(h); i++) {
		const char *line = harness_sent(h, i);
		if (strncmp(line, "HELO", 4) == 0) {
			cr_assert_lt(helo, FORMS);
			cr_assert_str_eq(line, e.helo[helo], "form %zu", helo);
			cr_assert_str_eq(harness_sent(h, i + 1), "MAIL FROM:<>");
			cr_assert_str_eq(harness_sent(h, i + 2),
			                 "RCPT TO:<postmaster@example.org>");
			helo++;
		}
	}
	cr_assert_eq(helo, FORMS);
	cr_assert_eq(harness_sent_count(h), 3 * FORMS, "only HELO, MAIL and RCPT are sent");
	assert_sessions_sane(&d);
	harness_free(h);
}

Test(probe_helo_validation, mail_and_rcpt_go_out_together, .timeout = 10)
{
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	harness_start(h);
	cr_assert_eq(harness_pending(h), 1);
	cr_assert_str_eq(harness_pending_command(h, 0), "HELO scanner.example.net");
	harness_reply(h, OK_HELO);
	cr_assert_eq(harness_pending(h), 2);
	cr_assert_str_eq(harness_pending_command(h, 0), "MAIL FROM:<>");
	cr_assert_str_eq(harness_pending_command(h, 1), "RCPT TO:<postmaster@example.org>");
	harness_reply(h, OK_MAIL);
	cr_assert(!harness_reconnect_wanted(h), "judged before the RCPT reply");
	harness_reply(h, OK_RCPT);
	cr_assert(harness_reconnect_wanted(h));
	cr_assert(!harness_concluded(h));
	harness_free(h);
}

/* A refused MAIL ends the session at once; the queued RCPT is never answered. */
Test(probe_helo_validation, refused_mail_moves_on, .timeout = 10)
{
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	harness_start(h);
	harness_reply(h, OK_HELO);
	harness_reply(h, OK_MAIL);
	harness_reply(h, OK_RCPT);
	harness_restart(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "HELO");
	harness_reply(h, OK_HELO);
	harness_reply(h, "550 5.7.1 <>: Sender address rejected: Access denied");
	cr_assert(harness_reconnect_wanted(h));
	cr_assert_eq(harness_pending(h), 0);
	harness_restart(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "HELO smtp-audit");
	harness_free(h);
}

Test(probe_helo_validation, evidence_is_the_exact_exchange, .timeout = 10)
{
	struct expected e;
	struct drive d;
	expect_default(&e);
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	drive(&d, h, &e, "AAAAAAAAAAA");
	cr_assert_eq(harness_findings(h), FORMS - 1);
	for (int f = 1; f < FORMS; f++) {
		const struct finding *fd = harness_find(h, id_of(f), forms[f].variant);
		cr_assert_not_null(fd, "%s", forms[f].variant);
		cr_assert_eq(fd->nevidence, 6, "%s: %zu evidence items", forms[f].variant,
		             fd->nevidence);
		static const enum evidence_kind kinds[6] = {EVIDENCE_SENT, EVIDENCE_RECEIVED,
		                                            EVIDENCE_SENT, EVIDENCE_RECEIVED,
		                                            EVIDENCE_SENT, EVIDENCE_RECEIVED};
		const char *texts[6] = {e.helo[f], OK_HELO, "MAIL FROM:<>",
		                        OK_MAIL,   e.rcpt,  OK_RCPT};
		for (int i = 0; i < 6; i++) {
			cr_assert_eq(fd->evidence[i].kind, kinds[i]);
			cr_assert_str_eq(fd->evidence[i].text, texts[i], "%s evidence %d",
			                 forms[f].variant, i);
		}
		cr_assert_not_null(strstr(fd->detail,
		                          "accepted through RCPT TO (HELO 250, MAIL 250, "
		                          "RCPT 250)"),
		                   "%s", fd->detail);
	}
	const struct finding *own =
	    harness_find(h, CATALOG_HELO_IMPERSONATION_ACCEPTED, "own-hostname");
	cr_assert_str_eq(own->evidence[0].text, "HELO mx.example.org");
	cr_assert_str_eq(own->detail, "HELO with the server's own host name accepted through RCPT "
	                              "TO (HELO 250, MAIL 250, RCPT 250)");
	cr_assert_eq(finding_severity(own), SEVERITY_MEDIUM);
	cr_assert_eq(finding_severity(harness_find(h, CATALOG_HELO_INVALID_ACCEPTED, "empty")),
	             SEVERITY_LOW);
	cr_assert_str_eq(harness_find(h, CATALOG_HELO_INVALID_ACCEPTED, "empty")->evidence[0].text,
	                 "HELO");
	assert_sessions_sane(&d);
	harness_free(h);
}

/* 252 and 251 accept the recipient as well as 250 does. */
Test(probe_helo_validation, any_2xx_to_rcpt_is_acceptance, .timeout = 10)
{
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	harness_start(h);
	harness_reply(h, OK_HELO);
	harness_reply(h, OK_MAIL);
	harness_reply(h, "252 2.1.5 Cannot VRFY user, but will accept message");
	harness_restart(h);
	harness_reply(h, OK_HELO);
	harness_reply(h, OK_MAIL);
	harness_reply(h, "251 2.1.5 User not local; will forward");
	const struct finding *fd = harness_find(h, CATALOG_HELO_INVALID_ACCEPTED, "empty");
	cr_assert_not_null(fd);
	cr_assert_str_eq(fd->evidence[5].text, "251 2.1.5 User not local; will forward");
	harness_free(h);
}

Test(probe_helo_validation, over_long_name_has_valid_labels_only, .timeout = 10)
{
	struct expected e;
	struct drive d;
	expect_default(&e);
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	drive(&d, h, &e, "ARRRRRRRRRR");
	const char *line = NULL;
	for (size_t i = 0; i < harness_sent_count(h); i++)
		if (strncmp(harness_sent(h, i), "HELO ", 5) == 0 &&
		    strlen(harness_sent(h, i)) > 255)
			line = harness_sent(h, i);
	cr_assert_not_null(line);
	const char *name = line + 5;
	cr_assert_eq(strlen(name), 300);
	cr_assert_lt(strlen(line), 512, "the command itself stays within RFC 5321's limit");
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, ".");
		cr_assert(n >= 1 && n <= 63, "label of %zu bytes", n);
		for (size_t i = 0; i < n; i++)
			cr_assert(p[i] >= 'a' && p[i] <= 'z');
		p += n + (p[n] == '.');
	}
	cr_assert_str_eq(name + 300 - 8, ".example");
	harness_free(h);
}

Test(probe_helo_validation, ipv6_target_uses_ipv6_literals, .timeout = 10)
{
	struct harness_setup setup = {.address = "2001:db8::25", .family = 6};
	struct expected e;
	struct drive d;
	expect(&e, "mx.example.org", "[IPv6:2001:db8::25]", "[IPv6:2001:db8::1]",
	       "<postmaster@example.org>");
	struct harness *h = harness_new(&probe_helo_validation, &setup);
	drive(&d, h, &e, "ARRRRAAAARR");
	assert_sessions_sane(&d);
	cr_assert_eq(d.nsessions, FORMS);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *foreign =
	    harness_find(h, CATALOG_HELO_IMPERSONATION_ACCEPTED, "foreign-ip-literal");
	const struct finding *own =
	    harness_find(h, CATALOG_HELO_IMPERSONATION_ACCEPTED, "own-ip-literal");
	cr_assert_not_null(foreign);
	cr_assert_not_null(own);
	cr_assert_str_eq(foreign->evidence[0].text, "HELO [IPv6:2001:db8::1]");
	cr_assert_str_eq(own->evidence[0].text, "HELO [IPv6:2001:db8::25]");
	harness_free(h);
}

Test(probe_helo_validation, greeting_without_host_name_skips_own_hostname, .timeout = 10)
{
	struct harness_setup setup = {.greeting = "220 ESMTP ready"};
	struct expected e;
	struct drive d;
	expect(&e, NULL, "[192.0.2.25]", "[192.0.2.1]", "<postmaster>");
	struct harness *h = harness_new(&probe_helo_validation, &setup);
	drive(&d, h, &e, "ARRRRRR-RRR");
	assert_sessions_sane(&d);
	assert_judged_after_rcpt(&d);
	cr_assert_eq(d.nsessions, FORMS - 1);
	cr_assert_eq(d.tries[FORM_OWN_HOST], 0);
	cr_assert_eq(harness_verdict(h), VERDICT_NOT_VULNERABLE, "%s", harness_verdict_reason(h));
	cr_assert_str_eq(harness_verdict_reason(h),
	                 "accepted: none; rejected: 9 forms (at RCPT); skipped: own-hostname (the "
	                 "greeting names no host)");
	harness_free(h);
}

/* The control is lost once, then the server stops answering: the retry budget holds. */
Test(probe_helo_validation, lost_sessions_are_bounded, .timeout = 10)
{
	struct harness *h = harness_new(&probe_helo_validation, NULL);
	harness_start(h);
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert(harness_reconnect_wanted(h));
	harness_restart(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "HELO scanner.example.net");
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_str_eq(harness_verdict_reason(h),
	                 "control session lost twice (closed); HELO handling cannot be judged");
	cr_assert_eq(harness_sessions(h), 2);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}
