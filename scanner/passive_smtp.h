/*
 * NAME
 *	passive_smtp - follow SMTP dialogs in captured traffic and report what they reveal
 *
 * SUMMARY
 *	struct passive_smtp *t = passive_smtp_new(&config);
 *	struct tcp_reasm_events ev;
 *	passive_smtp_events(t, &ev);
 *	struct tcp_reasm *r = tcp_reasm_new(&limits, &ev);
 *	... feed segments to r ...
 *	tcp_reasm_free(r);                 (closes every flow)
 *	passive_smtp_collect(t, &scan);    (one target_result per server address:port)
 *	passive_smtp_free(t);
 *
 * DESCRIPTION
 *	The consumer of tcp_reasm's events. Each direction of a flow is split
 *	into lines; server replies go through the same parser as the active
 *	scanner's (smtp_reply.h, smtp_caps.h, mta.h). The client's commands
 *	are followed: EHLO/HELO, AUTH with its continuation lines, STARTTLS,
 *	MAIL, RCPT, DATA (the message body is skipped up to the line ".",
 *	never read as commands) and BDAT chunks (skipped by their size).
 *	Replies are matched to commands in order, so pipelined commands work.
 *	After "220" to STARTTLS the text ends: the server's first TLS record
 *	(a ServerHello, tls_hello.h) gives the version and cipher suite, and
 *	the rest of the flow is not read. A server that answers with a TLS
 *	record instead of a greeting (implicit TLS) is read the same way.
 *
 *	Robustness: a line longer than max_line is counted and skipped; a
 *	reply the parser refuses is counted and parsing resumes at the next
 *	line; after a gap the direction resumes at the next line, and a
 *	server reply while the client seemed to be inside a message body
 *	ends the body (a server never answers in the middle of one). Memory
 *	per flow is bounded by max_line, the pending-command queue and, only
 *	while a ServerHello is awaited, one TLS record.
 *
 *	What is reported, per server address:port (target_result.findings),
 *	each with the flow "client -> server at time" as evidence notes:
 *	credentials sent before TLS (SMTP-PASSIVE-001; variant "MECH CLIENT-IP";
 *	the mechanism and user name are shown, the password and everything
 *	derived from it never: decoded buffers are wiped, AUTH lines appear
 *	only as "AUTH MECH [credentials redacted]"); AUTH advertised before
 *	TLS (SMTP-PASSIVE-002); STARTTLS not offered (SMTP-TLS-001, variant
 *	relay or submission); STARTTLS offered but the client sent MAIL in
 *	cleartext (SMTP-PASSIVE-003, variant client address); STARTTLS refused
 *	with 4xx/5xx (SMTP-PASSIVE-004); a legacy protocol version or a weak
 *	suite negotiated after STARTTLS (SMTP-PASSIVE-005 / -006), and every
 *	version and suite seen (SMTP-PASSIVE-009, information); a RCPT to
 *	a domain outside local_domains accepted (250/251) from a client
 *	outside trusted_nets that had not authenticated (SMTP-PASSIVE-007,
 *	variant client address; off without local_domains); and every client
 *	with its HELO names (SMTP-PASSIVE-008, information). Host facts go to
 *	the target: banner, EHLO capabilities before TLS, MTA guess. The
 *	target's tls facts stay empty: they describe a checked certificate.
 *
 *	A local domain matches itself and its subdomains.
 */
#ifndef PASSIVE_SMTP_H
#define PASSIVE_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "result.h"
#include "target.h"
#include "tcp_reasm.h"

/* Long enough for XOAUTH2 tokens and most GSSAPI tickets in one AUTH line. */
#define PASSIVE_SMTP_DEFAULT_MAX_LINE    16384
#define PASSIVE_SMTP_DEFAULT_MAX_SERVERS 65536

struct passive_smtp_config {
	/* Both arrays must outlive the tracker. */
	const struct target_spec *trusted_nets; /* ADDRESS or CIDR specs */
	size_t ntrusted_nets;
	const char *const *local_domains; /* lower case, no trailing dot */
	size_t nlocal_domains;
	const uint16_t *submission_ports; /* NULL: 587 */
	size_t nsubmission_ports;
	size_t max_line;    /* 0: PASSIVE_SMTP_DEFAULT_MAX_LINE */
	size_t max_servers; /* 0: PASSIVE_SMTP_DEFAULT_MAX_SERVERS; flows to more are ignored */
};

struct passive_smtp_stats {
	uint64_t flows;          /* flows followed */
	uint64_t flows_ignored;  /* no memory, or over max_servers */
	uint64_t lines_too_long; /* skipped, both directions */
	uint64_t reply_errors;   /* replies the parser refused */
	uint64_t gaps;           /* gaps reported by the reassembler */
	uint64_t tls_hellos;     /* ServerHello messages read */
	uint64_t nomem;          /* facts or findings lost for lack of memory */
};

struct passive_smtp;

/* NULL on allocation failure. */
struct passive_smtp *passive_smtp_new(const struct passive_smtp_config *config);

/* The callbacks for tcp_reasm_new(), with t as their user pointer. */
void passive_smtp_events(struct passive_smtp *t, struct tcp_reasm_events *events);

/*
 * Moves every server's result into scan (in no particular order: sort
 * the scan). Call after the reassembler has closed every flow. Returns 0
 * or SA_ERROR_NOMEM (the results not moved are freed with the tracker).
 */
int passive_smtp_collect(struct passive_smtp *t, struct scan_result *scan);

void passive_smtp_get_stats(const struct passive_smtp *t, struct passive_smtp_stats *out);

/* NULL is allowed. Flows still open are the caller's error: close them first. */
void passive_smtp_free(struct passive_smtp *t);

#endif
