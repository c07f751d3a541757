/*
 * NAME
 *	test_probe_exposure - the exposure probe, one reply at a time
 *
 * DESCRIPTION
 *	A table of sessions with the greetings, EHLO and HELP replies of
 *	Postfix (Debian default and hardened), Exim, sendmail, Exchange 2016,
 *	the IIS SMTP service, OpenSMTPD, an "exposed" server with XCLIENT,
 *	XFORWARD, ETRN, VRFY, EXPN and SIZE 0, a Postfix that lets the scanner
 *	use XCLIENT, historic DEBUG/WIZ, the SIZE cases, a HELO-only server
 *	and pipelined flights answered out of step. Each row gives the
 *	replies in order, the commands the probe must send, the verdict and
 *	the exact findings. Outside the table: a pipelined flight whose
 *	replies stop (timeout) or break the protocol, sessions that end
 *	early, the evidence of each kind of finding, and that no session
 *	ever sends DATA, an advertised command other than XCLIENT, or an
 *	XCLIENT other than NAME=[UNAVAILABLE].
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe_harness.h"

extern const struct probe probe_exposure;

#define MAX_REPLIES  7
#define MAX_FINDINGS 8

/* The flight of a server whose own name is in example.org. */
#define FLIGHT_ORG        "RSET", "MAIL FROM:<>", "RCPT TO:<postmaster@example.org>", "RSET"
#define POSTFIX_FLIGHT_OK "250 2.0.0 Ok", "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok"

#define POSTFIX_HELP "502 5.5.2 Error: command not recognized"

#define POSTFIX_DEBIAN_EHLO                                                                        \
	"250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"  \
	"250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n"   \
	"250 CHUNKING"

#define POSTFIX_HARDENED_EHLO                                                                      \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"            \
	"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8"

#define EXIM_EHLO                                                                                  \
	"250-mx.example.org Hello scanner.example.net [192.0.2.1]\r\n250-SIZE 52428800\r\n"        \
	"250-8BITMIME\r\n250-PIPELINING\r\n250-PIPE_CONNECT\r\n250-CHUNKING\r\n250-STARTTLS\r\n"   \
	"250 HELP"

#define EXIM_HELP                                                                                  \
	"214-Commands supported:\r\n214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT "    \
	"RSET HELP"

#define SENDMAIL_EHLO                                                                              \
	"250-host.example.com Hello scanner.example.net [192.0.2.1], pleased to meet you\r\n"      \
	"250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-EXPN\r\n250-VERB\r\n250-8BITMIME\r\n"    \
	"250-SIZE\r\n250-DSN\r\n250-ETRN\r\n250-DELIVERBY\r\n250 HELP"

#define SENDMAIL_HELP                                                                              \
	"214-2.0.0 This is sendmail version 8.15.2\r\n214-2.0.0 Topics:\r\n"                       \
	"214-2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA\r\n214-2.0.0 \tRSET\tNOOP\tQUIT\tHELP\tVRFY\r\n" \
	"214-2.0.0 \tEXPN\tVERB\tETRN\tDSN\tAUTH\r\n214-2.0.0 \tSTARTTLS\r\n"                      \
	"214-2.0.0 For more info use \"HELP <topic>\".\r\n"                                        \
	"214-2.0.0 To report bugs in the implementation contact Sendmail.org.\r\n"                 \
	"214-2.0.0 For local information send email to Postmaster at your site.\r\n"               \
	"214 2.0.0 End of HELP info"

#define EXCHANGE_EHLO                                                                              \
	"250-EX01.contoso.com Hello [192.0.2.1]\r\n250-SIZE 37748736\r\n250-PIPELINING\r\n"        \
	"250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-STARTTLS\r\n250-X-ANONYMOUSTLS\r\n"             \
	"250-AUTH NTLM\r\n250-X-EXPS GSSAPI NTLM\r\n250-8BITMIME\r\n250-BINARYMIME\r\n"            \
	"250-CHUNKING\r\n250-XEXCH50\r\n250-XRDST\r\n250 XSHADOWREQUEST"

#define EXCHANGE_HELP                                                                              \
	"214-This server supports the following commands:\r\n"                                     \
	"214 HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT"

#define IIS_EHLO                                                                                   \
	"250-relay.contoso.com Hello [192.0.2.1]\r\n250-TURN\r\n250-SIZE 2097152\r\n250-ETRN\r\n"  \
	"250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250-8bitmime\r\n"                 \
	"250-BINARYMIME\r\n250-CHUNKING\r\n250-VRFY\r\n250 OK"

#define OPENSMTPD_EHLO                                                                             \
	"250-mx.example.org Hello scanner.example.net [192.0.2.1], pleased to meet you\r\n"        \
	"250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250-SIZE 36700160\r\n250-DSN\r\n"              \
	"250-STARTTLS\r\n250 HELP"

#define OPENSMTPD_HELP                                                                             \
	"214- This is OpenSMTPD\r\n"                                                               \
	"214- To report bugs in the implementation, please contact bugs@openbsd.org\r\n"           \
	"214- with full details\r\n214 2.0.0: End of HELP info"

#define EXPOSED_EHLO                                                                               \
	"250-lab.example.org Hello scanner.example.net [192.0.2.1]\r\n250-SIZE 0\r\n"              \
	"250-PIPELINING\r\n250-XCLIENT NAME ADDR PROTO HELO\r\n250-XFORWARD NAME ADDR PROTO "      \
	"HELO\r\n"                                                                                 \
	"250-ETRN\r\n250-VRFY\r\n250-EXPN\r\n250 HELP"

#define XCLIENT_EHLO                                                                               \
	"250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"                            \
	"250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r\n"           \
	"250-ENHANCEDSTATUSCODES\r\n250 8BITMIME"

/* Criterion copies parameters into the process running the test: a row holds its text. */
struct transcript {
	char name[40];
	char greeting[128];
	char ehlo[400];                 /* "" = the server speaks only HELO */
	char replies[MAX_REPLIES][720]; /* answers to the oldest pending command, in order */
	char sent[MAX_REPLIES][48];     /* the commands, in order */
	enum verdict verdict;
	size_t nfindings;
	enum catalog_id ids[MAX_FINDINGS];
	char variants[MAX_FINDINGS][32]; /* "" = no variant */
	char detail_has[96];             /* in the first finding's detail ("" = not checked) */
	char reason_has[128];            /* in the verdict reason */
};

static const struct transcript transcripts[] = {
    {
        .name = "postfix_debian_default",
        .greeting = "220 mail.example.org ESMTP Postfix (Debian/GNU)",
        .ehlo = POSTFIX_DEBIAN_EHLO,
        .replies = {POSTFIX_DEBIAN_EHLO, POSTFIX_HELP, POSTFIX_FLIGHT_OK},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_RISKY_EXTENSION},
        .variants = {"ETRN", "VRFY"},
        .detail_has = "ETRN advertised to an unauthenticated client: starts queue runs",
        .reason_has = "software: Postfix (no version); risky extensions: ETRN VRFY; "
                      "SIZE 10240000; pipelining: 4 replies in step",
    },
    {
        .name = "postfix_hardened",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = POSTFIX_HARDENED_EHLO,
        .replies = {POSTFIX_HARDENED_EHLO, POSTFIX_HELP, POSTFIX_FLIGHT_OK},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "software: not named; risky extensions: none; SIZE 10240000; "
                      "pipelining: 4 replies in step",
    },
    {
        .name = "exim_default_banner",
        .greeting = "220 mx.example.org ESMTP Exim 4.96 Mon, 13 Nov 2023 10:00:00 +0000",
        .ehlo = EXIM_EHLO,
        .replies = {EXIM_EHLO, EXIM_HELP, "250 Reset OK", "250 OK", "250 Accepted", "250 Reset OK"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_SOFTWARE_VERSION},
        .variants = {"Exim"},
        .detail_has = "Exim 4.96 named in the greeting",
        .reason_has = "software: Exim 4.96; risky extensions: none; SIZE 52428800",
    },
    {
        .name = "sendmail_default",
        .greeting = "220 host.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 13 Nov 2023 "
                    "10:00:00 GMT",
        .ehlo = SENDMAIL_EHLO,
        .replies = {SENDMAIL_EHLO, SENDMAIL_HELP, "250 2.0.0 Reset state",
                    "250 2.1.0 <>... Sender ok",
                    "250 2.1.5 <postmaster@example.com>... Recipient ok", "250 2.0.0 Reset state"},
        .sent = {"EHLO scanner.example.net", "HELP", "RSET", "MAIL FROM:<>",
                 "RCPT TO:<postmaster@example.com>", "RSET"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 5,
        .ids = {CATALOG_EXPOSE_SOFTWARE_VERSION, CATALOG_EXPOSE_RISKY_EXTENSION,
                CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_RISKY_EXTENSION,
                CATALOG_EXPOSE_SIZE_LIMIT},
        .variants = {"Sendmail", "ETRN", "EXPN", "VERB", "unlimited"},
        .detail_has = "Sendmail 8.15.2 named in the greeting and the HELP reply",
        .reason_has = "risky extensions: ETRN EXPN VERB; SIZE without a limit",
    },
    {
        .name = "sendmail_no_help_file",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = POSTFIX_HARDENED_EHLO,
        .replies = {POSTFIX_HARDENED_EHLO, "502 5.3.0 Sendmail 8.17.1.9 -- HELP not implemented",
                    POSTFIX_FLIGHT_OK},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_SOFTWARE_VERSION},
        .variants = {"Sendmail"},
        .detail_has = "Sendmail 8.17.1.9 named in the HELP reply",
        .reason_has = "software: Sendmail 8.17.1.9",
    },
    {
        .name = "exchange_2016",
        .greeting = "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at Mon, 13 Nov "
                    "2023 10:00:00 +0000",
        .ehlo = EXCHANGE_EHLO,
        .replies = {EXCHANGE_EHLO, EXCHANGE_HELP, "250 2.0.0 Resetting", "250 2.1.0 Sender OK",
                    "250 2.1.5 Recipient OK", "250 2.0.0 Resetting"},
        .sent = {"EHLO scanner.example.net", "HELP", "RSET", "MAIL FROM:<>",
                 "RCPT TO:<postmaster@contoso.com>", "RSET"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_RISKY_EXTENSION},
        .variants = {"XEXCH50"},
        .detail_has = "XEXCH50 advertised to an unauthenticated client",
        .reason_has = "software: Microsoft ESMTP MAIL Service (no version); "
                      "risky extensions: XEXCH50",
    },
    {
        .name = "iis_smtp_service",
        .greeting = "220 relay.contoso.com Microsoft ESMTP MAIL Service, Version: "
                    "10.0.14393.4169 ready at Mon, 13 Nov 2023 10:00:00 +0000",
        .ehlo = IIS_EHLO,
        .replies = {IIS_EHLO,
                    "214-This server supports the following commands:\r\n214 HELO EHLO "
                    "STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH TURN ETRN BDAT VRFY",
                    "250 2.0.0 Resetting", "250 2.1.0 <>....Sender OK",
                    "250 2.1.5 postmaster@contoso.com", "250 2.0.0 Resetting"},
        .sent = {"EHLO scanner.example.net", "HELP", "RSET", "MAIL FROM:<>",
                 "RCPT TO:<postmaster@contoso.com>", "RSET"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 4,
        .ids = {CATALOG_EXPOSE_SOFTWARE_VERSION, CATALOG_EXPOSE_RISKY_EXTENSION,
                CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_RISKY_EXTENSION},
        .variants = {"Microsoft ESMTP MAIL Service", "TURN", "ETRN", "VRFY"},
        .detail_has = "Microsoft ESMTP MAIL Service 10.0.14393.4169 named in the greeting",
        .reason_has = "risky extensions: TURN ETRN VRFY; SIZE 2097152",
    },
    {
        .name = "opensmtpd",
        .greeting = "220 mx.example.org ESMTP OpenSMTPD",
        .ehlo = OPENSMTPD_EHLO,
        .replies = {OPENSMTPD_EHLO, OPENSMTPD_HELP},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "software: OpenSMTPD (no version); risky extensions: none; "
                      "SIZE 36700160; pipelining not offered",
    },
    {
        .name = "exposed_xclient_refused",
        .greeting = "220 lab.example.org ESMTP Exim 4.94.2",
        .ehlo = EXPOSED_EHLO,
        .replies = {EXPOSED_EHLO, "214-smtp-lab version 1.2.3\r\n214 Commands: HELO EHLO", "250 OK",
                    "250 OK", "250 Accepted", "250 OK",
                    "550 5.7.0 Error: insufficient authorization"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG, "XCLIENT NAME=[UNAVAILABLE]"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 8,
        .ids = {CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_SOFTWARE_VERSION,
                CATALOG_EXPOSE_SOFTWARE_VERSION, CATALOG_EXPOSE_RISKY_EXTENSION,
                CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_RISKY_EXTENSION,
                CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_SIZE_LIMIT},
        .variants = {"XCLIENT", "Exim", "unidentified software", "XFORWARD", "ETRN", "VRFY", "EXPN",
                     "unlimited"},
        .reason_has = "risky extensions: XCLIENT XFORWARD ETRN VRFY EXPN (XCLIENT refused: "
                      "550); SIZE without a limit",
    },
    {
        .name = "postfix_xclient_usable",
        .greeting = "220 mx.example.org ESMTP Postfix",
        .ehlo = XCLIENT_EHLO,
        .replies = {XCLIENT_EHLO, POSTFIX_HELP, POSTFIX_FLIGHT_OK,
                    "220 mx.example.org ESMTP Postfix"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG, "XCLIENT NAME=[UNAVAILABLE]"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_XCLIENT_ACCEPTED},
        .variants = {"XCLIENT"},
        .detail_has = "XCLIENT NAME=[UNAVAILABLE] was accepted (220): any client",
        .reason_has = "risky extensions: XCLIENT (XCLIENT accepted: 220)",
    },
    {
        .name = "historic_debug_and_wiz",
        .greeting = "220 old.example.org SMTP ready",
        .ehlo = "250-old.example.org\r\n250-DEBUG\r\n250-WIZ\r\n250-SIZE 1000000\r\n250 HELP",
        .replies = {"250-old.example.org\r\n250-DEBUG\r\n250-WIZ\r\n250-SIZE 1000000\r\n250 HELP",
                    "214 See RFC 821"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 2,
        .ids = {CATALOG_EXPOSE_RISKY_EXTENSION, CATALOG_EXPOSE_RISKY_EXTENSION},
        .variants = {"DEBUG", "WIZ"},
        .detail_has = "DEBUG advertised to an unauthenticated client: historic sendmail",
        .reason_has = "risky extensions: DEBUG WIZ; SIZE 1000000",
    },
    {
        .name = "size_missing",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = "250-mx.example.org\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES",
        .replies = {"250-mx.example.org\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES",
                    "502 5.5.1 Unrecognized command"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_SIZE_LIMIT},
        .variants = {"missing"},
        .detail_has = "the EHLO reply has no SIZE keyword",
        .reason_has = "SIZE missing; pipelining not offered",
    },
    {
        .name = "size_excessive",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = "250-mx.example.org\r\n250 SIZE 2147483648",
        .replies = {"250-mx.example.org\r\n250 SIZE 2147483648", "502 5.5.1 Unrecognized command"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_SIZE_LIMIT},
        .variants = {"excessive"},
        .detail_has = "SIZE 2147483648 bytes exceeds 1 GiB (2048 MiB)",
        .reason_has = "SIZE 2147483648 (over 1 GiB)",
    },
    {
        .name = "size_of_exactly_one_gib",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = "250-mx.example.org\r\n250 SIZE 1073741824",
        .replies = {"250-mx.example.org\r\n250 SIZE 1073741824", "502 5.5.1 Unrecognized command"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "SIZE 1073741824; pipelining not offered",
    },
    {
        .name = "size_unreadable_is_not_judged",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = "250-mx.example.org\r\n250 SIZE lots",
        .replies = {"250-mx.example.org\r\n250 SIZE lots", "502 5.5.1 Unrecognized command"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "SIZE argument unreadable",
    },
    {
        .name = "helo_only_server",
        .greeting = "220 mx.example.org SMTP",
        .ehlo = "",
        .replies = {"502 5.5.1 Unrecognized command"},
        .sent = {"HELP"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "no EHLO capabilities (HELO only); pipelining not offered",
    },
    {
        .name = "version_in_ehlo_greeting_line",
        .greeting = "220 mail.example.org ESMTP",
        .ehlo = "250-mail.example.org Hello [192.0.2.1] (Kerio Connect 9.2.1)\r\n250 SIZE 1000",
        .replies = {"250-mail.example.org Hello [192.0.2.1] (Kerio Connect 9.2.1)\r\n250 SIZE "
                    "1000",
                    "502 5.5.1 Unrecognized command"},
        .sent = {"EHLO scanner.example.net", "HELP"},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_SOFTWARE_VERSION},
        .variants = {"Kerio Connect"},
        .detail_has = "Kerio Connect 9.2.1 named in the EHLO reply",
        .reason_has = "software: Kerio Connect 9.2.1",
    },
    {
        .name = "rcpt_503_after_accepted_mail",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = POSTFIX_HARDENED_EHLO,
        .replies = {POSTFIX_HARDENED_EHLO, POSTFIX_HELP, "250 2.0.0 Ok", "250 2.1.0 Ok",
                    "503 5.5.1 Error: need MAIL command", "250 2.0.0 Ok"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_PIPELINING_BROKEN},
        .variants = {""},
        .detail_has = "RCPT answered 503 after MAIL FROM was accepted (reply 3 of 4: 503)",
        .reason_has = "pipelining broken: RCPT answered 503",
    },
    {
        .name = "rset_answered_with_354",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = POSTFIX_HARDENED_EHLO,
        .replies = {POSTFIX_HARDENED_EHLO, POSTFIX_HELP, "354 End data with <CR><LF>.<CR><LF>",
                    "250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.0.0 Ok"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_VULNERABLE,
        .nfindings = 1,
        .ids = {CATALOG_EXPOSE_PIPELINING_BROKEN},
        .variants = {""},
        .detail_has = "a 3xx reply to a command that never asks for more (reply 1 of 4: 354)",
        .reason_has = "pipelining broken",
    },
    {
        .name = "refused_sender_then_503_is_in_step",
        .greeting = "220 mx.example.org ESMTP",
        .ehlo = POSTFIX_HARDENED_EHLO,
        .replies = {POSTFIX_HARDENED_EHLO, POSTFIX_HELP, "250 2.0.0 Ok",
                    "553 5.7.1 <>: Sender address rejected", "503 5.5.1 Error: need MAIL command",
                    "250 2.0.0 Ok"},
        .sent = {"EHLO scanner.example.net", "HELP", FLIGHT_ORG},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "pipelining: 4 replies in step",
    },
    {
        .name = "no_server_name_uses_bare_postmaster",
        .greeting = "220 ESMTP ready",
        .ehlo = "250-[192.0.2.25]\r\n250-PIPELINING\r\n250 SIZE 1000000",
        .replies = {"250-[192.0.2.25]\r\n250-PIPELINING\r\n250 SIZE 1000000", POSTFIX_HELP,
                    POSTFIX_FLIGHT_OK},
        .sent = {"EHLO scanner.example.net", "HELP", "RSET", "MAIL FROM:<>", "RCPT TO:<postmaster>",
                 "RSET"},
        .verdict = VERDICT_NOT_VULNERABLE,
        .reason_has = "pipelining: 4 replies in step",
    },
};

/* ---- checks every session must pass ---- */

/* Nothing that delivers mail or uses an advertised command, and XCLIENT only as the no-op. */
static void assert_safe(const struct harness *h)
{
	static const char *const forbidden[] = {"DATA",    "BDAT", "VRFY",     "EXPN",     "ETRN",
	                                        "TURN",    "ATRN", "XFORWARD", "DEBUG",    "WIZ",
	                                        "XEXCH50", "VERB", "AUTH",     "STARTTLS", "QUIT"};
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		cr_assert_eq(harness_sent_verb(h, forbidden[i]), 0, "%s sent", forbidden[i]);
	for (size_t i = 0; i < harness_sent_count(h); i++)
		if (strncasecmp(harness_sent(h, i), "XCLIENT", 7) == 0)
			cr_assert_str_eq(harness_sent(h, i), "XCLIENT NAME=[UNAVAILABLE]");
	cr_assert_leq(harness_sent_verb(h, "XCLIENT"), 1);
}

ParameterizedTestParameters(probe_exposure, transcript)
{
	return cr_make_param_array(struct transcript, (void *)transcripts,
	                           sizeof(transcripts) / sizeof(transcripts[0]));
}

static bool finding_matches(const struct finding *f, enum catalog_id id, const char *variant)
{
	if (f->id != id)
		return false;
	if (variant[0] == '\0')
		return f->variant == NULL;
	return f->variant != NULL && strcmp(f->variant, variant) == 0;
}

ParameterizedTest(const struct transcript *t, probe_exposure, transcript, .timeout = 10)
{
	struct harness_setup setup = {.greeting = t->greeting, .ehlo = t->ehlo[0] ? t->ehlo : NULL};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	size_t n = 0;
	for (; n < MAX_REPLIES && t->replies[n][0] != '\0'; n++) {
		cr_assert_geq(harness_pending(h), 1, "%s: step %zu: nothing pending", t->name, n);
		const char *cmd = harness_pending_command(h, 0);
		cr_assert_str_eq(cmd, t->sent[n], "%s: step %zu", t->name, n);
		harness_reply(h, t->replies[n]);
	}
	cr_assert(harness_concluded(h), "%s: not concluded after %zu replies", t->name, n);
	cr_assert_eq(harness_sent_count(h), n, "%s: sent %zu commands", t->name,
	             harness_sent_count(h));
	cr_assert_eq(harness_verdict(h), t->verdict, "%s: verdict %s (%s)", t->name,
	             verdict_name(harness_verdict(h)), harness_verdict_reason(h));
	cr_assert_eq(harness_findings(h), t->nfindings, "%s: %zu findings (%s)", t->name,
	             harness_findings(h), harness_verdict_reason(h));
	/* The same findings in the same order: software, extensions, SIZE, pipelining. */
	for (size_t i = 0; i < t->nfindings; i++) {
		bool listed = false;
		for (size_t j = 0; j < harness_findings(h); j++)
			listed |= finding_matches(harness_finding(h, j), t->ids[i], t->variants[i]);
		cr_assert(listed, "%s: no finding %s/%s", t->name,
		          catalog_get(t->ids[i])->public_id, t->variants[i]);
	}
	if (t->detail_has[0]) {
		const struct finding *f =
		    harness_find(h, t->ids[0], t->variants[0][0] ? t->variants[0] : NULL);
		cr_assert_not_null(f);
		cr_assert_not_null(strstr(f->detail, t->detail_has), "%s: detail '%s'", t->name,
		                   f->detail);
	}
	cr_assert_not_null(strstr(harness_verdict_reason(h), t->reason_has), "%s: reason '%s'",
	                   t->name, harness_verdict_reason(h));
	assert_safe(h);
	harness_free(h);
}

/* ---- pipelining that loses commands ---- */

static struct harness *start_at_flight(struct harness_setup *setup)
{
	setup->greeting = "220 mx.example.org ESMTP";
	setup->ehlo = POSTFIX_HARDENED_EHLO;
	struct harness *h = harness_new(&probe_exposure, setup);
	harness_start(h);
	harness_reply(h, POSTFIX_HARDENED_EHLO);
	harness_reply(h, POSTFIX_HELP);
	return h;
}

Test(probe_exposure, flight_is_one_group, .timeout = 10)
{
	struct harness_setup setup = {0};
	struct harness *h = start_at_flight(&setup);
	/* All four are queued in one callback, so the engine writes them at once. */
	cr_assert_eq(harness_pending(h), 4);
	static const char *const flight[] = {FLIGHT_ORG};
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(harness_pending_command(h, i), flight[i]);
	harness_free(h);
}

Test(probe_exposure, lost_commands_time_out, .timeout = 10)
{
	struct harness_setup setup = {0};
	struct harness *h = start_at_flight(&setup);
	/* A server that answers only the first command of a pipelined group. */
	harness_reply(h, "250 2.0.0 Ok");
	cr_assert_eq(harness_pending(h), 3);
	harness_interrupt_because(h, OUTCOME_TIMEOUT,
	                          "no reply within 30s while waiting for the reply to MAIL");
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_eq(harness_findings(h), 1);
	const struct finding *f = harness_find(h, CATALOG_EXPOSE_PIPELINING_BROKEN, NULL);
	cr_assert_not_null(f);
	cr_assert_null(f->variant);
	cr_assert_str_eq(f->detail, "PIPELINING advertised, but 1 of 4 replies came, then timeout: "
	                            "no reply within 30s while waiting for the reply to MAIL");
	static const struct {
		enum evidence_kind kind;
		const char *text;
	} expect[] = {
	    {EVIDENCE_SENT, "RSET"},
	    {EVIDENCE_RECEIVED, "250 2.0.0 Ok"},
	    {EVIDENCE_SENT, "MAIL FROM:<>"},
	    {EVIDENCE_NOTE, "no reply"},
	    {EVIDENCE_SENT, "RCPT TO:<postmaster@example.org>"},
	    {EVIDENCE_NOTE, "no reply"},
	    {EVIDENCE_SENT, "RSET"},
	    {EVIDENCE_NOTE, "no reply"},
	};
	cr_assert_eq(f->nevidence, sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < f->nevidence; i++) {
		cr_assert_eq(f->evidence[i].kind, expect[i].kind, "evidence %zu", i);
		cr_assert_str_eq(f->evidence[i].text, expect[i].text, "evidence %zu", i);
	}
	cr_assert_not_null(strstr(harness_verdict_reason(h), "session ended early: timeout"));
	assert_safe(h);
	harness_free(h);
}

Test(probe_exposure, extra_reply_during_flight_is_out_of_step, .timeout = 10)
{
	struct harness_setup setup = {0};
	struct harness *h = start_at_flight(&setup);
	harness_reply(h, "250 2.0.0 Ok");
	harness_reply(h, "250 2.1.0 Ok");
	harness_interrupt_because(h, OUTCOME_PROTOCOL_ERROR,
	                          "server sent 14 bytes when no reply was due");
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	const struct finding *f = harness_find(h, CATALOG_EXPOSE_PIPELINING_BROKEN, NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->detail, "PIPELINING advertised, but 2 of 4 replies came, then "
	                            "protocol-error: server sent 14 bytes when no reply was due");
	harness_free(h);
}

Test(probe_exposure, close_during_flight_is_not_called_broken_pipelining, .timeout = 10)
{
	struct harness_setup setup = {0};
	struct harness *h = start_at_flight(&setup);
	harness_reply(h, "250 2.0.0 Ok");
	harness_interrupt(h, OUTCOME_CLOSED);
	/* Nothing else was found on this clean server, so the failure stands. */
	cr_assert(!harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_INCONCLUSIVE);
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

Test(probe_exposure, timeout_outside_the_flight_is_not_broken_pipelining, .timeout = 10)
{
	struct harness_setup setup = {.greeting = "220 mx.example.org ESMTP",
	                              .ehlo = POSTFIX_HARDENED_EHLO};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	harness_reply(h, POSTFIX_HARDENED_EHLO);
	cr_assert_str_eq(harness_pending_command(h, 0), "HELP");
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert(!harness_concluded(h));
	cr_assert_eq(harness_findings(h), 0);
	harness_free(h);
}

/* ---- sessions that end early keep what was seen ---- */

Test(probe_exposure, banner_version_stands_when_the_server_hangs_up, .timeout = 10)
{
	struct harness_setup setup = {
	    .greeting = "220 mx.example.org ESMTP Exim 4.96 Mon, 13 Nov 2023 10:00:00 +0000",
	    .ehlo = EXIM_EHLO};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	cr_assert_str_eq(harness_pending_command(h, 0), "EHLO scanner.example.net");
	harness_interrupt(h, OUTCOME_CLOSED);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_eq(harness_findings(h), 1);
	cr_assert_not_null(harness_find(h, CATALOG_EXPOSE_SOFTWARE_VERSION, "Exim"));
	cr_assert_not_null(strstr(harness_verdict_reason(h),
	                          "pipelining not tested; session ended early: closed"));
	harness_free(h);
}

Test(probe_exposure, xclient_not_tried_when_the_flight_is_lost, .timeout = 10)
{
	struct harness_setup setup = {.greeting = "220 lab.example.org ESMTP",
	                              .ehlo = EXPOSED_EHLO};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	harness_reply(h, EXPOSED_EHLO);
	harness_reply(h, "502 5.5.1 Unrecognized command");
	harness_reply(h, "250 OK");
	harness_interrupt(h, OUTCOME_TIMEOUT);
	cr_assert_eq(harness_verdict(h), VERDICT_VULNERABLE);
	cr_assert_not_null(harness_find(h, CATALOG_EXPOSE_PIPELINING_BROKEN, NULL));
	const struct finding *x = harness_find(h, CATALOG_EXPOSE_RISKY_EXTENSION, "XCLIENT");
	cr_assert_not_null(x);
	cr_assert_not_null(strstr(x->detail, "XCLIENT NAME=[UNAVAILABLE] was not tried"));
	cr_assert_eq(harness_sent_verb(h, "XCLIENT"), 0);
	assert_safe(h);
	harness_free(h);
}

/* ---- evidence ---- */

Test(probe_exposure, version_evidence_is_the_disclosing_lines, .timeout = 10)
{
	struct harness_setup setup = {
	    .greeting = "220 host.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 13 Nov 2023",
	    .ehlo = SENDMAIL_EHLO};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	harness_reply(h, SENDMAIL_EHLO);
	harness_reply(h, SENDMAIL_HELP);
	for (int i = 0; i < 4; i++)
		harness_reply(h, "250 2.0.0 ok");
	const struct finding *f = harness_find(h, CATALOG_EXPOSE_SOFTWARE_VERSION, "Sendmail");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 3);
	cr_assert_eq(f->evidence[0].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[0].text,
	                 "220 host.example.com ESMTP Sendmail 8.15.2/8.15.2; Mon, 13 Nov 2023");
	cr_assert_eq(f->evidence[1].kind, EVIDENCE_SENT);
	cr_assert_str_eq(f->evidence[1].text, "HELP");
	cr_assert_eq(f->evidence[2].kind, EVIDENCE_RECEIVED);
	cr_assert_str_eq(f->evidence[2].text, "214-2.0.0 This is sendmail version 8.15.2");
	harness_free(h);
}

Test(probe_exposure, xclient_evidence_is_the_keyword_and_the_attempt, .timeout = 10)
{
	struct harness_setup setup = {.greeting = "220 lab.example.org ESMTP",
	                              .ehlo = EXPOSED_EHLO};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	harness_reply(h, EXPOSED_EHLO);
	harness_reply(h, "502 5.5.1 Unrecognized command");
	for (int i = 0; i < 4; i++)
		harness_reply(h, "250 OK");
	cr_assert_str_eq(harness_pending_command(h, 0), "XCLIENT NAME=[UNAVAILABLE]");
	harness_reply(h, "550 5.7.0 Error: insufficient authorization");
	const struct finding *f = harness_find(h, CATALOG_EXPOSE_RISKY_EXTENSION, "XCLIENT");
	cr_assert_not_null(f);
	cr_assert_eq(f->nevidence, 4);
	cr_assert_str_eq(f->evidence[0].text, "EHLO scanner.example.net");
	cr_assert_str_eq(f->evidence[1].text, "250-XCLIENT NAME ADDR PROTO HELO");
	cr_assert_str_eq(f->evidence[2].text, "XCLIENT NAME=[UNAVAILABLE]");
	cr_assert_str_eq(f->evidence[3].text, "550 5.7.0 Error: insufficient authorization");
	cr_assert_not_null(strstr(f->detail, "was refused (550)"));
	const struct finding *e = harness_find(h, CATALOG_EXPOSE_RISKY_EXTENSION, "EXPN");
	cr_assert_not_null(e);
	cr_assert_eq(e->nevidence, 2);
	cr_assert_str_eq(e->evidence[1].text, "250-EXPN");
	/* The last EHLO line carries the space separator. */
	const struct finding *s = harness_find(h, CATALOG_EXPOSE_SIZE_LIMIT, "unlimited");
	cr_assert_not_null(s);
	cr_assert_str_eq(s->evidence[0].text, "EHLO scanner.example.net");
	cr_assert_str_eq(s->evidence[s->nevidence - 1].text, "250 HELP");
	harness_free(h);
}

/* ---- hostile replies ---- */

Test(probe_exposure, many_products_are_bounded, .timeout = 10)
{
	static const char help[] = "214-Exim 1.1\r\n214-Postfix 2.2\r\n214-Sendmail 3.3\r\n"
	                           "214-Haraka 4.4\r\n214-Axigen 5.5\r\n214-XMail 6.6\r\n"
	                           "214-qmail 7.7\r\n214 version 8.8";
	struct harness_setup setup = {.greeting = "220 mx.example.org ESMTP",
	                              .ehlo = "250-mx.example.org\r\n250 SIZE 1000"};
	struct harness *h = harness_new(&probe_exposure, &setup);
	harness_start(h);
	harness_reply(h, "250-mx.example.org\r\n250 SIZE 1000");
	harness_reply(h, help);
	cr_assert(harness_concluded(h));
	cr_assert_eq(harness_findings(h), 4);
	harness_free(h);
}
