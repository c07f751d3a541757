/*
 * NAME
 *	mta - recognise the mail server software from what it says
 *
 * DESCRIPTION
 *	Remediation advice is specific to the server software, so every target
 *	gets a best guess from its greeting, its EHLO capabilities and the text
 *	of its replies ("Relay access denied" is Postfix, "relay not permitted"
 *	is Exim, X-EXPS/XEXCH50 are Exchange). A guess only ever moves from
 *	unknown to known, or from a weak clue to a stronger one; it never
 *	flips between two products on a weak clue.
 */
#ifndef MTA_H
#define MTA_H

#include <stddef.h>

#include "smtp_caps.h"

#define MTA_MAP(X)                                                                                 \
	X(UNKNOWN, "unknown")                                                                      \
	X(POSTFIX, "Postfix")                                                                      \
	X(EXIM, "Exim")                                                                            \
	X(SENDMAIL, "Sendmail")                                                                    \
	X(EXCHANGE, "Microsoft Exchange")                                                          \
	X(OPENSMTPD, "OpenSMTPD")

enum mta {
#define MTA_ENUM(name, text) MTA_##name,
	MTA_MAP(MTA_ENUM)
#undef MTA_ENUM
	MTA_COUNT
};

struct mta_guess {
	enum mta mta;
	int strength;      /* 0 none, 1 reply-text or capability clue, 2 named in the banner */
	char version[32];  /* "4.96" when the server disclosed it, else "" */
};

void mta_guess_init(struct mta_guess *g);

/* Feed the greeting text (all lines joined). */
void mta_guess_banner(struct mta_guess *g, const char *banner);

/* Feed EHLO capabilities. */
void mta_guess_caps(struct mta_guess *g, const struct smtp_caps *caps);

/* Feed the text of any other reply. */
void mta_guess_reply(struct mta_guess *g, const char *text);

/* "Postfix", "Exim", ...; "unknown" for MTA_UNKNOWN. */
const char *mta_name(enum mta mta);

#endif
