/*
 * NAME
 *	test_enum_verdict - what a VRFY, EXPN or RCPT answer says about a user
 *
 * DESCRIPTION
 *	Two tables. Replies real servers send (Postfix, Exim, sendmail,
 *	Exchange, OpenSMTPD) and the answer class each must get, in cleartext
 *	and under TLS. Then methods: a control's answer and the users'
 *	answers, and the outcome, the number of users told apart and judged.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "enum_verdict.h"

struct classify_case {
	char reply[160];
	bool tls;
	enum enum_answer answer;
};

static const struct classify_case classify_cases[] = {
    {"250 2.1.5 <root@mail.example.org>", false, ENUM_ANSWER_VERIFIED},
    {"251 2.1.5 User not local; will forward to <root@example.net>", false, ENUM_ANSWER_VERIFIED},
    {"250-2.1.5 Alice <alice@example.org>\r\n250 2.1.5 Bob <bob@example.org>", false,
     ENUM_ANSWER_VERIFIED},
    {"252 2.0.0 root", false, ENUM_ANSWER_UNVERIFIED},
    {"252 2.1.0 Administrative prohibition", false, ENUM_ANSWER_UNVERIFIED},
    {"550 5.1.1 <x>: Recipient address rejected: User unknown in local recipient table", false,
     ENUM_ANSWER_REFUSED},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", false,
     ENUM_ANSWER_REFUSED},
    {"551 5.1.6 User not local; please try <root@example.net>", false, ENUM_ANSWER_REFUSED},
    {"553 5.1.3 mailbox name not allowed", false, ENUM_ANSWER_REFUSED},
    {"554 5.7.1 <x@example.net>: Relay access denied", false, ENUM_ANSWER_NONLOCAL},
    {"550 relay not permitted", false, ENUM_ANSWER_NONLOCAL},
    {"550 5.7.54 SMTP; Unable to deliver to recipient in non-accepted domain", false,
     ENUM_ANSWER_NONLOCAL},
    {"502 5.5.1 VRFY command is disabled", false, ENUM_ANSWER_DISABLED},
    {"502 5.7.0 Sorry, we do not allow this operation", false, ENUM_ANSWER_DISABLED},
    {"500 5.5.1 Invalid command: Command unrecognized", false, ENUM_ANSWER_DISABLED},
    {"504 5.5.2 <root>: Recipient address rejected: need fully-qualified address", false,
     ENUM_ANSWER_SYNTAX},
    {"501 5.5.4 Syntax: VRFY address", false, ENUM_ANSWER_SYNTAX},
    {"503 5.5.1 Error: need MAIL command", false, ENUM_ANSWER_SYNTAX},
    {"354 End data with <CR><LF>.<CR><LF>", false, ENUM_ANSWER_SYNTAX},
    {"530 5.7.0 Must issue a STARTTLS command first", false, ENUM_ANSWER_TLS_REQUIRED},
    {"530 5.7.0 Must issue a STARTTLS command first", true, ENUM_ANSWER_REFUSED},
    {"530 5.7.0 Authentication required", false, ENUM_ANSWER_AUTH_REQUIRED},
    {"450 4.1.1 <x>: Recipient address rejected: unverified address", false, ENUM_ANSWER_DEFERRED},
    {"452 4.5.3 Too many recipients", false, ENUM_ANSWER_DEFERRED},
    {"421 4.7.0 mx.example.org Error: too many errors", false, ENUM_ANSWER_THROTTLED},
};

static struct smtp_reply parse_reply(const char *text)
{
	char wire[256];
	struct smtp_reply_parser p;
	struct smtp_reply r = {0};
	size_t used = 0;
	int n = snprintf(wire, sizeof(wire), "%s\r\n", text);
	cr_assert(n > 0 && (size_t)n < sizeof(wire));
	smtp_reply_parser_init(&p, NULL);
	cr_assert_eq(smtp_reply_parser_feed(&p, wire, (size_t)n, &used, &r), SMTP_REPLY_COMPLETE,
	             "not one reply: %s", text);
	smtp_reply_parser_free(&p);
	return r;
}

ParameterizedTestParameters(enum_verdict, classify)
{
	return cr_make_param_array(struct classify_case, (void *)classify_cases,
	                           sizeof(classify_cases) / sizeof(classify_cases[0]));
}

ParameterizedTest(const struct classify_case *c, enum_verdict, classify, .timeout = 10)
{
	struct smtp_reply r = parse_reply(c->reply);
	enum enum_answer got = enum_verdict_classify(&r, c->tls);
	cr_assert_eq(got, c->answer, "'%s'%s: %s, expected %s", c->reply, c->tls ? " (TLS)" : "",
	             enum_verdict_answer_name(got), enum_verdict_answer_name(c->answer));
	smtp_reply_free(&r);
}

#define V  ENUM_ANSWER_VERIFIED
#define U  ENUM_ANSWER_UNVERIFIED
#define R  ENUM_ANSWER_REFUSED
#define NL ENUM_ANSWER_NONLOCAL
#define D  ENUM_ANSWER_DEFERRED
#define X  ENUM_ANSWER_DISABLED
#define NA ENUM_ANSWER_NONE

struct judge_case {
	char name[48];
	enum enum_answer control;
	uint8_t answers[6];
	size_t n;
	bool complete;
	enum enum_outcome outcome;
	size_t revealed, judged;
};

static const struct judge_case judge_cases[] = {
    {"postfix VRFY: 252 against 550", R, {U, U, R, R, U}, 5, true, ENUM_OUTCOME_LEAKS, 3, 5},
    {"sendmail VRFY: 250 against 550", R, {V, V, R}, 3, true, ENUM_OUTCOME_LEAKS, 2, 3},
    {"250 against 252", U, {V, U, U}, 3, true, ENUM_OUTCOME_LEAKS, 1, 3},
    {"a relay-denied control still compares", NL, {V, NL}, 2, true, ENUM_OUTCOME_LEAKS, 1, 2},
    {"a leak stands in an unfinished run", R, {U, NA, NA}, 3, false, ENUM_OUTCOME_LEAKS, 1, 1},
    {"252 for everybody", U, {U, U, U}, 3, true, ENUM_OUTCOME_NO_VERIFY, 0, 3},
    {"accept-all", V, {V, V, V}, 3, true, ENUM_OUTCOME_ACCEPT_ALL, 0, 3},
    {"accept-all decided by the control alone", V, {0}, 0, false, ENUM_OUTCOME_ACCEPT_ALL, 0, 0},
    {"disabled", X, {0}, 0, true, ENUM_OUTCOME_DISABLED, 0, 0},
    {"everybody refused", R, {R, R, R}, 3, true, ENUM_OUTCOME_ALL_REFUSED, 0, 3},
    {"252 below a refused control tells nothing", U, {R, U}, 2, true, ENUM_OUTCOME_NO_VERIFY, 0, 2},
    {"unfinished without a leak", R, {R, NA}, 2, false, ENUM_OUTCOME_INCONCLUSIVE, 0, 1},
    {"only deferred users", R, {D, D}, 2, true, ENUM_OUTCOME_INCONCLUSIVE, 0, 0},
    {"control deferred", D, {V, R}, 2, true, ENUM_OUTCOME_INCONCLUSIVE, 0, 2},
    {"control unanswered", NA, {0}, 0, false, ENUM_OUTCOME_INCONCLUSIVE, 0, 0},
    {"control needs TLS", ENUM_ANSWER_TLS_REQUIRED, {0}, 0, true, ENUM_OUTCOME_INCONCLUSIVE, 0, 0},
};

ParameterizedTestParameters(enum_verdict, judge)
{
	return cr_make_param_array(struct judge_case, (void *)judge_cases,
	                           sizeof(judge_cases) / sizeof(judge_cases[0]));
}

ParameterizedTest(const struct judge_case *c, enum_verdict, judge, .timeout = 10)
{
	struct enum_verdict_tally t;
	enum_verdict_judge(c->control, c->answers, c->n, c->complete, &t);
	cr_assert_eq(t.outcome, c->outcome, "%s: %s, expected %s", c->name,
	             enum_verdict_outcome_name(t.outcome), enum_verdict_outcome_name(c->outcome));
	cr_assert_eq(t.revealed, c->revealed, "%s: %zu revealed", c->name, t.revealed);
	cr_assert_eq(t.judged, c->judged, "%s: %zu judged", c->name, t.judged);
	cr_assert_eq(t.users, c->n);
}

Test(enum_verdict, only_a_higher_rank_reveals, .timeout = 10)
{
	cr_assert(enum_verdict_reveals(R, U));
	cr_assert(enum_verdict_reveals(R, V));
	cr_assert(enum_verdict_reveals(U, V));
	cr_assert_not(enum_verdict_reveals(U, U));
	cr_assert_not(enum_verdict_reveals(V, V), "nothing is told apart from an accepted control");
	cr_assert_not(enum_verdict_reveals(R, D), "a deferral is no answer");
	cr_assert_not(enum_verdict_reveals(D, V), "a deferred control judges nothing");
	cr_assert_not(enum_verdict_reveals(X, V));
}

Test(enum_verdict, names_cover_every_value, .timeout = 10)
{
	for (int a = 0; a < ENUM_ANSWER_COUNT; a++)
		cr_assert_gt(strlen(enum_verdict_answer_name((enum enum_answer)a)), 0);
	for (int o = 0; o < ENUM_OUTCOME_COUNT; o++)
		cr_assert_gt(strlen(enum_verdict_outcome_name((enum enum_outcome)o)), 0);
	cr_assert_str_eq(enum_verdict_outcome_name(ENUM_OUTCOME_ACCEPT_ALL), "accept-all");
	cr_assert_str_eq(enum_verdict_answer_name(ENUM_ANSWER_NONLOCAL), "not-local");
}
