/*
 * NAME
 *	lab_persona - the characters smtp-lab can play on a listener
 *
 * SUMMARY
 *	const struct lab_persona *p = lab_persona_find("hardened");
 *	lab_persona_list(stdout);
 *
 * DESCRIPTION
 *	Every well-behaved persona is the same mini-MTA (lab_session) with a
 *	different entry in one const table: a banner that imitates a real
 *	product, capability flags, a recipient policy, the AUTH mechanisms it
 *	offers before and after TLS, and an optional pace. A hostile persona
 *	adds a quirk: hooks that replace the greeting or take over some
 *	commands (lab_quirk). A new behaviour is one table entry, plus a quirk
 *	when the mini-MTA cannot express it.
 */
#ifndef LAB_PERSONA_H
#define LAB_PERSONA_H

#include <stdbool.h>
#include <stdio.h>

struct lab_session;
struct lab_cmd;

enum lab_persona_flag {
	LAB_PERSONA_STARTTLS = 1u << 0,  /* offers STARTTLS (before TLS) */
	LAB_PERSONA_VRFY = 1u << 1,      /* VRFY and EXPN tell local users apart */
	LAB_PERSONA_LAX_HELO = 1u << 2,  /* any HELO/EHLO argument, even none, is fine */
	LAB_PERSONA_TLS_FIRST = 1u << 3, /* 530 for mail commands until STARTTLS */
};

/* Who may be a recipient (the controls, local-unknown and .invalid, stay rejected but for
 * ACCEPT_ALL). */
enum lab_rcpt_policy {
	LAB_RCPT_CLOSED,     /* local users only */
	LAB_RCPT_AUTH_RELAY, /* closed; an authenticated client may relay */
	LAB_RCPT_SUBMISSION, /* 530 until authenticated, then relay */
	LAB_RCPT_OPEN_RELAY, /* external and routed addresses too */
	LAB_RCPT_ACCEPT_ALL, /* every syntactically valid address */
	LAB_RCPT_POLICY_COUNT
};

/*
 * A hostile behaviour. Either hook may be NULL.
 * greet: runs instead of sending the normal greeting (it may send it itself).
 * command: sees every command line before the mini-MTA; returns true when it
 *	dealt with the line, false to let the mini-MTA answer.
 */
struct lab_quirk {
	void (*greet)(struct lab_session *s);
	bool (*command)(struct lab_session *s, const struct lab_cmd *cmd);
};

struct lab_persona {
	const char *name;
	const char *summary; /* one line for --list-personas */
	const char *banner;  /* greeting text after "220 <hostname> " */
	unsigned flags;      /* LAB_PERSONA_* */
	enum lab_rcpt_policy rcpt;
	const char *auth_plain;        /* AUTH mechanisms before TLS; NULL: no AUTH */
	const char *auth_tls;          /* ... once TLS is active */
	unsigned pace_ms;              /* > 0: reply bytes go out one at a time, this far apart */
	const struct lab_quirk *quirk; /* NULL for a well-behaved MTA */
};

/* The persona of that name, or NULL. */
const struct lab_persona *lab_persona_find(const char *name);

/* One "name  summary" line per persona. */
void lab_persona_list(FILE *out);

#endif
