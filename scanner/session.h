/*
 * NAME
 *	session - one TCP connection to an SMTP server, as a state machine
 *
 * DESCRIPTION
 *	A session connects, runs the preamble its probe asked for (implicit
 *	TLS, greeting, EHLO or HELO), then relays commands queued by the probe
 *	and hands each complete reply back to it. STARTTLS, the handshake and
 *	the EHLO after it are done here when the probe asks. When the probe
 *	concludes (or wants a fresh session) the session says QUIT and closes.
 *
 *	The whole protocol is one enum and two functions: session_enter()
 *	acts on entering a state (what to send, which timer), session_on_reply()
 *	acts on a complete reply (where to go). A table gives each state a
 *	name, a timeout and a phrase, so every error says what was happening
 *	("timeout waiting for the greeting").
 *
 *	Everything the server sends is hostile: replies go through the bounded
 *	parser; bytes that arrive when no reply is due end the session as a
 *	protocol error; a reply that never completes within its timeout is a
 *	stall (throttled), one that never starts is a timeout.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "scheduler.h"

struct session;

/* Starts a session for run (run->job gives the address). 0 or SA_ERROR_*. */
int session_start(struct scheduler *sched, struct probe_ctx *run);

/* Ends the session now with this outcome (target deadline, shutdown). */
void session_abort(struct session *s, enum outcome outcome, const char *reason);

/* ---- for probe_ctx.c ---- */
int session_queue(struct session *s, int tag, const char *line);
/* Message content from smtp_command_message(); one reply answers it. */
int session_queue_message(struct session *s, int tag, const char *text, size_t len);
int session_starttls(struct session *s, int tag);
int session_starttls_inject(struct session *s, int tag, const char *line);
int session_starttls_raw(struct session *s, int tag);
int session_send_raw(struct session *s, int tag, const void *data, size_t len);
int session_read_raw(struct session *s, int tag);
const struct tls_facts *session_tls_facts(const struct session *s);
const struct smtp_reply *session_greeting(const struct session *s);
const struct smtp_caps *session_caps(const struct session *s);
const struct smtp_caps *session_caps_plain(const struct session *s);
bool session_tls_active(const struct session *s);

#endif
