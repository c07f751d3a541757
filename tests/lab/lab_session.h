/*
 * NAME
 *	lab_session - smtp-lab's mini-MTA: one SMTP dialog, no I/O of its own
 *
 * SUMMARY
 *	s = lab_session_new(conn, persona, site, "127.0.0.1", "127.0.0.1");
 *	lab_session_greet(s);                 connection ready (after implicit TLS)
 *	lab_session_input(s, bytes, n);       plaintext from the client, any split
 *	lab_session_tls_ready(s);             STARTTLS handshake done: state reset
 *	lab_session_free(s);
 *
 * DESCRIPTION
 *	The session splits input into lines (a line over LAB_SESSION_LINE_MAX
 *	bytes gets "500 5.5.0 Error: line too long" and is discarded up to the
 *	next LF), logs each one as a "C:" event before answering it, and
 *	answers in order, so pipelined commands work. It speaks HELO, EHLO,
 *	MAIL, RCPT, DATA, BDAT (RFC 3030, not advertised), RSET, NOOP, QUIT,
 *	VRFY, EXPN, HELP, STARTTLS and AUTH with Postfix's reply texts, and
 *	takes every decision from its persona: capabilities (SIZE and the
 *	other keywords may differ before and after TLS; a SIZE other than 0
 *	is enforced at MAIL), HELO checks at RCPT time (smtpd_delay_reject),
 *	the recipient policy, AUTH, VRFY and EXPN, HELP. Message bodies are
 *	read up to CRLF.CRLF (or the BDAT length) and discarded.
 *
 *	Bytes pipelined after STARTTLS in the same chunk of input are dropped
 *	(RFC 3207; executing them inside TLS is CVE-2011-0411), unless a
 *	quirk asks for exactly that bug (LAB_SESSION_KEEP_PIPELINED): then
 *	at most LAB_SESSION_REPLAY_MAX of them are kept and read as input
 *	once the handshake is done.
 *
 *	Everything it sends goes through its connection (lab_conn), which
 *	applies --delay-ms, the persona's pace and TLS.
 *
 *	The functions after lab_session_free() are for quirks (lab_quirk).
 */
#ifndef LAB_SESSION_H
#define LAB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab_persona.h"

#define LAB_SESSION_LINE_MAX   2048
#define LAB_SESSION_NAME_MAX   256
#define LAB_SESSION_REPLAY_MAX 4096
#define LAB_SESSION_TLS_READY  "220 2.0.0 Ready to start TLS"

struct lab_conn;
struct lab_session;

/* The server's identity and counters, shared by every session. */
struct lab_site {
	char hostname[LAB_SESSION_NAME_MAX];
	char domain[LAB_SESSION_NAME_MAX]; /* the parent domain of hostname */
	uint64_t queued;                   /* messages taken so far: queue ids */
};

enum lab_verb {
	LAB_VERB_UNKNOWN,
	LAB_VERB_HELO,
	LAB_VERB_EHLO,
	LAB_VERB_MAIL,
	LAB_VERB_RCPT,
	LAB_VERB_DATA,
	LAB_VERB_BDAT,
	LAB_VERB_RSET,
	LAB_VERB_NOOP,
	LAB_VERB_QUIT,
	LAB_VERB_VRFY,
	LAB_VERB_EXPN,
	LAB_VERB_HELP,
	LAB_VERB_STARTTLS,
	LAB_VERB_AUTH,
	LAB_VERB_COUNT
};

/* One command line, without its line ending. */
struct lab_cmd {
	enum lab_verb verb;
	const char *line; /* NUL-terminated */
	const char *arg;  /* after the verb and the spaces that follow it; "" if none */
};

/* NULL when out of memory. Addresses are numeric text without brackets. */
struct lab_session *lab_session_new(struct lab_conn *conn, const struct lab_persona *persona,
                                    struct lab_site *site, const char *local_ip,
                                    const char *peer_ip);
void lab_session_free(struct lab_session *s);

void lab_session_greet(struct lab_session *s);
void lab_session_input(struct lab_session *s, const char *data, size_t len);
void lab_session_tls_ready(struct lab_session *s);

struct lab_conn *lab_session_conn(const struct lab_session *s);
const struct lab_site *lab_session_site(const struct lab_session *s);
/* STARTTLS would be accepted now: offered and TLS not yet active. */
bool lab_session_starttls_allowed(const struct lab_session *s);

/* Sends len bytes as they are (no CRLF added). */
void lab_session_send(struct lab_session *s, const char *data, size_t len);
/* Sends one reply line: the formatted text plus CRLF. */
void lab_session_reply(struct lab_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lab_session_send_greeting(struct lab_session *s);
/* What the mini-MTA does with a command. */
void lab_session_answer(struct lab_session *s, const struct lab_cmd *cmd);
/* Drops all further input, including the rest of the current chunk. */
void lab_session_ignore_input(struct lab_session *s);

/* What happens to the rest of the chunk in which STARTTLS came. */
enum lab_session_pipelined {
	LAB_SESSION_DROP_PIPELINED, /* RFC 3207 */
	LAB_SESSION_KEEP_PIPELINED, /* CVE-2011-0411: read as input once TLS is up */
};

/* After the reply to STARTTLS: input and output turn to TLS. */
void lab_session_start_tls(struct lab_session *s, enum lab_session_pipelined pipelined);
/* The rest of the current chunk is dropped; later input all goes to the quirk's raw hook. */
void lab_session_raw(struct lab_session *s);
/* Drops the rest of the current chunk when it would be read as commands. */
void lab_session_drop_pipelined(struct lab_session *s);

#endif
