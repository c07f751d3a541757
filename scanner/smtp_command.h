/*
 * NAME
 *	smtp_command - rules for the command lines smtp-audit sends
 *
 * DESCRIPTION
 *	One place for what may go on the wire: a command line has no CR, LF
 *	or NUL and at most SMTP_COMMAND_MAX bytes; DATA and BDAT are refused
 *	unless the scan was started with --allow-data (smtp-audit never
 *	completes a mail transaction by accident); and RFC 2920 says which
 *	commands may be followed by others in a pipelined group.
 */
#ifndef SMTP_COMMAND_H
#define SMTP_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 allows 512 bytes; over-long HELO tests need more. */
#define SMTP_COMMAND_MAX 4096
/* Message content a probe may send (with --allow-data): a short canary, not a mailing. */
#define SMTP_COMMAND_MAX_MESSAGE 65536

/* 0, SA_ERROR_INVAL (malformed or too long) or SA_ERROR_POLICY (DATA/BDAT without allow_data). */
int smtp_command_check(const char *line, size_t len, bool allow_data);

/* The verb of a line ("RCPT" of "RCPT TO:<x>") into buf. */
const char *smtp_command_verb(const char *line, char *buf, size_t buflen);

/* RFC 2920 section 3.1: RSET, MAIL and RCPT may stand anywhere in a group. */
bool smtp_command_groupable(const char *line);

/*
 * Message content for the wire (RFC 5321 section 4.5.2): lines separated by
 * "\n" or "\r\n" are joined with CRLF, a line starting with '.' gets a
 * second one, and the end-of-data "." is appended (the caller adds the
 * final CRLF as for any line). *out is malloc'ed. SA_ERROR_TOOBIG over
 * SMTP_COMMAND_MAX_MESSAGE, SA_ERROR_INVAL for a bare CR.
 */
int smtp_command_message(const char *body, char **out, size_t *outlen);

/*
 * The line as it may be shown in a transcript: SASL data never is, not
 * even our fake credentials. "AUTH PLAIN <initial response>" becomes
 * "AUTH PLAIN <redacted>", and a line answering a 334 challenge
 * (after_challenge) becomes "<redacted>". Returns buf.
 */
const char *smtp_command_redact(const char *line, bool after_challenge, char *buf, size_t buflen);

#endif
