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
 *	offers before and after TLS, the SIZE and other EHLO keywords it
 *	advertises before and after TLS, how VRFY and EXPN answer, its HELP
 *	text, and an optional pace. A hostile persona
 *	adds a quirk: hooks that replace the greeting or take over some
 *	commands (lab_quirk). A new behaviour is one table entry, plus a quirk
 *	when the mini-MTA cannot express it.
 */
#ifndef LAB_PERSONA_H
#define LAB_PERSONA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct lab_session;
struct lab_cmd;

#define LAB_PERSONA_EXTRA_MAX 8          /* EHLO keywords a persona may add */
#define LAB_PERSONA_SIZE      "10240000" /* the SIZE a persona advertises unless it says */

enum lab_persona_flag {
	LAB_PERSONA_STARTTLS = 1u << 0,     /* offers STARTTLS (before TLS) */
	LAB_PERSONA_LAX_HELO = 1u << 1,     /* any HELO/EHLO argument, even none, is fine */
	LAB_PERSONA_TLS_FIRST = 1u << 2,    /* 530 for mail commands until STARTTLS */
	LAB_PERSONA_DEEP_CHAIN = 1u << 3,   /* TLS with a chain LAB_CERT_CHAIN_DEPTH deep */
	LAB_PERSONA_SENDER_LOGIN = 1u << 4, /* a logged-in user may only send as LAB_AUTH_USER */
};

/* How VRFY (or EXPN) answers; EHLO advertises the command unless it is disabled. */
enum lab_verify {
	LAB_VERIFY_DISABLED, /* 502: command disabled */
	LAB_VERIFY_LEAKY,  /* 250 for local users (EXPN: a list's members), 550 5.1.1 for others */
	LAB_VERIFY_CANNOT, /* 252 for every address: cannot verify, try RCPT */
};

/*
 * The EHLO keywords that may differ before and after TLS.
 * size: the SIZE argument, also the limit MAIL enforces ("0": none); NULL: LAB_PERSONA_SIZE.
 * extra: more keywords after the mini-MTA's own, NULL-terminated, at most LAB_PERSONA_EXTRA_MAX.
 */
struct lab_ehlo {
	const char *size;
	const char *const *extra;
};

/* Who may be a recipient (the controls, local-unknown and .invalid, stay rejected but for
 * ACCEPT_ALL, and CATCH_ALL takes local-unknown). */
enum lab_rcpt_policy {
	LAB_RCPT_CLOSED,     /* local users only */
	LAB_RCPT_AUTH_RELAY, /* closed; an authenticated client may relay */
	LAB_RCPT_SUBMISSION, /* 530 until authenticated, then relay */
	LAB_RCPT_OPEN_RELAY, /* external and routed addresses too */
	LAB_RCPT_ACCEPT_ALL, /* every syntactically valid address */
	LAB_RCPT_CATCH_ALL,  /* every user of the local domains, known or not; no relay */
	LAB_RCPT_POLICY_COUNT
};

/*
 * A hostile behaviour. Any hook may be NULL.
 * greet: runs instead of sending the normal greeting (it may send it itself).
 * command: sees every command line before the mini-MTA; returns true when it
 *	dealt with the line, false to let the mini-MTA answer.
 * raw: gets all input, in chunks as it arrives, once the quirk has put the
 *	session in raw mode (lab_session_raw()).
 */
struct lab_quirk {
	void (*greet)(struct lab_session *s);
	bool (*command)(struct lab_session *s, const struct lab_cmd *cmd);
	void (*raw)(struct lab_session *s, const char *data, size_t len);
};

struct lab_persona {
	const char *name;
	const char *summary; /* one line for --list-personas */
	const char *banner;  /* greeting text after "220 <hostname> " */
	unsigned flags;      /* LAB_PERSONA_* */
	enum lab_rcpt_policy rcpt;
	const char *auth_plain;     /* AUTH mechanisms before TLS; NULL: no AUTH */
	const char *auth_tls;       /* ... once TLS is active */
	struct lab_ehlo ehlo_plain; /* SIZE and more keywords before TLS */
	struct lab_ehlo ehlo_tls;   /* ... once TLS is active */
	enum lab_verify vrfy, expn;
	const char *const *help;       /* HELP lines, NULL-terminated; NULL: Postfix's one line */
	unsigned pace_ms;              /* > 0: reply bytes go out one at a time, this far apart */
	const struct lab_quirk *quirk; /* NULL for a well-behaved MTA */
};

/* The persona of that name, or NULL. */
const struct lab_persona *lab_persona_find(const char *name);

/* One "name  summary" line per persona. */
void lab_persona_list(FILE *out);

#endif
