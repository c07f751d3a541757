/*
 * NAME
 *	enum_verdict - the verdict logic of user enumeration
 *
 * DESCRIPTION
 *	See enum_verdict.h. Replies are first put in the relay battery's
 *	classes (relay_battery_classify), so "STARTTLS first" and
 *	"authentication required" are recognised the same way by every
 *	probe; this module only splits the classes enumeration needs apart:
 *	a command that is disabled from a malformed one, and a domain this
 *	server does not serve (relay denied) from a user it refuses.
 */
#include "enum_verdict.h"

#include <assert.h>
#include <string.h>

#include "relay_battery.h"

/* Rank of an answer that says nothing about the user. */
#define ENUM_RANK_NONE (-1)

static const char *const enum_answer_names[] = {
#define ENUM_ANSWER_NAME(name, text) [ENUM_ANSWER_##name] = text,
    ENUM_ANSWER_MAP(ENUM_ANSWER_NAME)
#undef ENUM_ANSWER_NAME
};
_Static_assert(sizeof(enum_answer_names) / sizeof(enum_answer_names[0]) == ENUM_ANSWER_COUNT,
               "one name per answer");

static const char *const enum_outcome_names[] = {
#define ENUM_OUTCOME_NAME(name, text) [ENUM_OUTCOME_##name] = text,
    ENUM_OUTCOME_MAP(ENUM_OUTCOME_NAME)
#undef ENUM_OUTCOME_NAME
};
_Static_assert(sizeof(enum_outcome_names) / sizeof(enum_outcome_names[0]) == ENUM_OUTCOME_COUNT,
               "one name per outcome");

const char *enum_verdict_answer_name(enum enum_answer answer)
{
	assert(answer < ENUM_ANSWER_COUNT);
	return enum_answer_names[answer];
}

const char *enum_verdict_outcome_name(enum enum_outcome outcome)
{
	assert(outcome < ENUM_OUTCOME_COUNT);
	return enum_outcome_names[outcome];
}

/* "Relay access denied", "relay not permitted", Exchange's 5.7.54 and 5.7.64. */
static bool enum_verdict_relay_denied(const struct smtp_reply *r)
{
	char enhanced[16];
	if (smtp_reply_enhanced(r, enhanced, sizeof(enhanced)) &&
	    (strcmp(enhanced + 1, ".7.54") == 0 || strcmp(enhanced + 1, ".7.64") == 0))
		return true;
	for (size_t i = 0; i < r->nlines; i++)
		if (strcasestr(r->lines[i], "relay") != NULL)
			return true;
	return false;
}

enum enum_answer enum_verdict_classify(const struct smtp_reply *r, bool tls)
{
	switch (relay_battery_classify(r)) {
	case RELAY_CLASS_ACCEPTED:
		return ENUM_ANSWER_VERIFIED;
	case RELAY_CLASS_UNVERIFIED:
		return ENUM_ANSWER_UNVERIFIED;
	case RELAY_CLASS_TLS_REQUIRED:
		return tls ? ENUM_ANSWER_REFUSED : ENUM_ANSWER_TLS_REQUIRED;
	case RELAY_CLASS_AUTH_REQUIRED:
		return ENUM_ANSWER_AUTH_REQUIRED;
	case RELAY_CLASS_THROTTLED:
		return ENUM_ANSWER_THROTTLED;
	case RELAY_CLASS_DEFERRED:
		return ENUM_ANSWER_DEFERRED;
	case RELAY_CLASS_SYNTAX:
		/* 504 is mostly "need fully-qualified address": the form, not the command. */
		return r->code == 500 || r->code == 502 ? ENUM_ANSWER_DISABLED : ENUM_ANSWER_SYNTAX;
	case RELAY_CLASS_REJECTED:
		/* A 3xx says nothing about a user; the relay classes call it a refusal. */
		if (smtp_reply_class(r) == 3)
			return ENUM_ANSWER_SYNTAX;
		return enum_verdict_relay_denied(r) ? ENUM_ANSWER_NONLOCAL : ENUM_ANSWER_REFUSED;
	case RELAY_CLASS_COUNT:
		break;
	}
	assert(!"relay_battery_classify returned no class");
	return ENUM_ANSWER_NONE;
}

static int enum_verdict_rank(enum enum_answer answer)
{
	switch (answer) {
	case ENUM_ANSWER_VERIFIED:
		return 2;
	case ENUM_ANSWER_UNVERIFIED:
		return 1;
	case ENUM_ANSWER_REFUSED:
	case ENUM_ANSWER_NONLOCAL:
		return 0;
	default:
		return ENUM_RANK_NONE;
	}
}

bool enum_verdict_positive(enum enum_answer answer)
{
	return enum_verdict_rank(answer) > 0;
}

bool enum_verdict_needs_users(enum enum_answer control)
{
	int rank = enum_verdict_rank(control);
	return rank == 0 || rank == 1;
}

bool enum_verdict_reveals(enum enum_answer control, enum enum_answer user)
{
	return enum_verdict_needs_users(control) &&
	       enum_verdict_rank(user) > enum_verdict_rank(control);
}

/* The outcome the control alone decides; INCONCLUSIVE when the users must. */
static enum enum_outcome enum_verdict_by_control(enum enum_answer control)
{
	if (control == ENUM_ANSWER_VERIFIED)
		return ENUM_OUTCOME_ACCEPT_ALL;
	if (control == ENUM_ANSWER_DISABLED)
		return ENUM_OUTCOME_DISABLED;
	return ENUM_OUTCOME_INCONCLUSIVE;
}

void enum_verdict_judge(enum enum_answer control, const uint8_t *answers, size_t n, bool complete,
                        struct enum_verdict_tally *out)
{
	*out = (struct enum_verdict_tally){.users = n};
	for (size_t i = 0; i < n; i++) {
		enum enum_answer a = answers[i];
		assert(a < ENUM_ANSWER_COUNT);
		out->judged += enum_verdict_rank(a) != ENUM_RANK_NONE;
		out->revealed += enum_verdict_reveals(control, a);
		out->deferred += a == ENUM_ANSWER_DEFERRED;
	}
	if (!enum_verdict_needs_users(control))
		out->outcome = enum_verdict_by_control(control);
	else if (out->revealed > 0)
		out->outcome = ENUM_OUTCOME_LEAKS;
	else if (!complete || out->judged == 0)
		out->outcome = ENUM_OUTCOME_INCONCLUSIVE;
	else if (control == ENUM_ANSWER_UNVERIFIED)
		out->outcome = ENUM_OUTCOME_NO_VERIFY;
	else
		out->outcome = ENUM_OUTCOME_ALL_REFUSED;
}
