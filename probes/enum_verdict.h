/*
 * NAME
 *	enum_verdict - does a VRFY, EXPN or RCPT answer tell which users exist?
 *
 * SUMMARY
 *	enum enum_answer control = enum_verdict_classify(control_reply, tls);
 *	if (enum_verdict_needs_users(control)) ...ask about every user...
 *	struct enum_verdict_tally t;
 *	enum_verdict_judge(control, answers, nanswers, complete, &t);
 *	if (t.outcome == ENUM_OUTCOME_LEAKS) ...t.revealed users told apart...
 *
 * DESCRIPTION
 *	User enumeration is a difference: the server answers a user who
 *	exists otherwise than one who does not. Every method is therefore
 *	judged against a control, a made-up user that cannot exist. The
 *	answers rank: verified (250, 251) above unverified (252, "cannot
 *	verify but will accept") above refused (5xx for the user). A user's
 *	answer reveals the user when it ranks above the control's. So
 *	Postfix's 252 for root against 550 "User unknown" for the control
 *	leaks, and so does 250 against 252; a 252 for everybody (Exim's
 *	"Administrative prohibition", sendmail's novrfy) does not, nor does a
 *	server that accepts the control as well (accept-all, bounce later),
 *	nor one that refuses everybody.
 *
 *	Answers that say nothing about the user rank nowhere: the command
 *	disabled or not implemented (500, 502), syntax, form and sequence
 *	errors (501, 503, 555, and 504, mostly Postfix's "need
 *	fully-qualified address"), TLS or authentication required,
 *	temporary failures (4xx). A control answered that way decides the
 *	method without asking about users: disabled, or inconclusive.
 *
 *	Nothing here sends or stores anything; the user_enum probe does.
 */
#ifndef ENUM_VERDICT_H
#define ENUM_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smtp_reply.h"

/* X(enum suffix, name) */
#define ENUM_ANSWER_MAP(X)                                                                         \
	X(NONE, "unanswered")                                                                      \
	X(VERIFIED, "verified")         /* 250, 251 */                                             \
	X(UNVERIFIED, "unverified")     /* 252 */                                                  \
	X(REFUSED, "refused")           /* other 5xx: unknown user, policy */                      \
	X(NONLOCAL, "not-local")        /* 5xx relay denied: the domain is not served here */      \
	X(DISABLED, "disabled")         /* 500, 502 */                                             \
	X(SYNTAX, "syntax")             /* 501, 503, 504, 555 */                                   \
	X(TLS_REQUIRED, "tls-required") /* STARTTLS first (never under TLS) */                     \
	X(AUTH_REQUIRED, "auth-required")                                                          \
	X(DEFERRED, "deferred")   /* 4xx */                                                        \
	X(THROTTLED, "throttled") /* 421 */

enum enum_answer {
#define ENUM_ANSWER_ENUM(name, text) ENUM_ANSWER_##name,
	ENUM_ANSWER_MAP(ENUM_ANSWER_ENUM)
#undef ENUM_ANSWER_ENUM
	    ENUM_ANSWER_COUNT
};

/* X(enum suffix, name) */
#define ENUM_OUTCOME_MAP(X)                                                                        \
	X(LEAKS, "leaks")             /* some user answered above the control */                   \
	X(ACCEPT_ALL, "accept-all")   /* the control was verified too */                           \
	X(NO_VERIFY, "no-verify")     /* the control got 252 and nobody more */                    \
	X(DISABLED, "disabled")       /* the control got 500 or 502 */                             \
	X(ALL_REFUSED, "all-refused") /* the control refused and every user as well */             \
	X(INCONCLUSIVE, "inconclusive")

enum enum_outcome {
#define ENUM_OUTCOME_ENUM(name, text) ENUM_OUTCOME_##name,
	ENUM_OUTCOME_MAP(ENUM_OUTCOME_ENUM)
#undef ENUM_OUTCOME_ENUM
	    ENUM_OUTCOME_COUNT
};

struct enum_verdict_tally {
	enum enum_outcome outcome;
	size_t users;    /* answers given to judge */
	size_t judged;   /* ... that rank (verified, unverified, refused, not local) */
	size_t revealed; /* ... that rank above the control */
	size_t deferred; /* ... 4xx */
};

/*
 * What a reply to VRFY, EXPN or RCPT says about the user. tls: the
 * session is encrypted, so "STARTTLS first" is only a refusal.
 */
enum enum_answer enum_verdict_classify(const struct smtp_reply *reply, bool tls);

/* The user's answer ranks above the control's: the server told the user apart. */
bool enum_verdict_reveals(enum enum_answer control, enum enum_answer user);

/* The control ranks below verified: only the users' answers can decide. */
bool enum_verdict_needs_users(enum enum_answer control);

/* True for 250, 251 and 252: the server would take the user. */
bool enum_verdict_positive(enum enum_answer answer);

/*
 * Judges a method: the control's answer and n users' answers (enum
 * enum_answer values). complete: every user was asked; when false only
 * a leak (or an outcome the control alone decides) stands, anything else
 * is inconclusive.
 */
void enum_verdict_judge(enum enum_answer control, const uint8_t *answers, size_t n, bool complete,
                        struct enum_verdict_tally *out);

const char *enum_verdict_answer_name(enum enum_answer answer);
const char *enum_verdict_outcome_name(enum enum_outcome outcome);

#endif
