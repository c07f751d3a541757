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

/* 0, SA_ERROR_INVAL (malformed or too long) or SA_ERROR_POLICY (DATA/BDAT without allow_data). */
int smtp_command_check(const char *line, size_t len, bool allow_data);

/* The verb of a line ("RCPT" of "RCPT TO:<x>") into buf. */
const char *smtp_command_verb(const char *line, char *buf, size_t buflen);

/* RFC 2920 section 3.1: RSET, MAIL and RCPT may stand anywhere in a group. */
bool smtp_command_groupable(const char *line);

/*
 * The line as it may be shown in a transcript: SASL data never is, not
 * even our fake credentials. "AUTH PLAIN <initial response>" becomes
 * "AUTH PLAIN <redacted>", and a line answering a 334 challenge
 * (after_challenge) becomes "<redacted>". Returns buf.
 */
const char *smtp_command_redact(const char *line, bool after_challenge, char *buf, size_t buflen);

#endif
