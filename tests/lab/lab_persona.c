/*
 * NAME
 *	lab_persona - the persona table
 *
 * DESCRIPTION
 *	See lab_persona.h. Banners imitate the products a scanner's
 *	fingerprinting knows (Postfix, Exim, Sendmail, OpenSMTPD, Exchange)
 *	and end with "[smtp-lab <name>]" so a transcript says which persona
 *	answered. The hostile personas behave like "hardened" wherever their
 *	quirk leaves the mini-MTA in charge.
 */
#include "lab_persona.h"

#include <string.h>

#include "lab_quirk.h"

#define LAB_BANNER_POSTFIX   "ESMTP Postfix (Debian/GNU)"
#define LAB_BANNER_EXIM      "ESMTP Exim 4.96"
#define LAB_BANNER_SENDMAIL  "ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2"
#define LAB_BANNER_OPENSMTPD "ESMTP OpenSMTPD"
#define LAB_BANNER_EXCHANGE  "Microsoft ESMTP MAIL Service ready"

static const struct lab_persona lab_personas[] = {
    {
        .name = "hardened",
        .summary = "well-configured Postfix: no relay, HELO checks at RCPT, AUTH only "
                   "after STARTTLS",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "open-relay",
        .summary = "accepts external and source-routed recipients; still rejects unknown "
                   "local users and .invalid",
        .banner = LAB_BANNER_SENDMAIL,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_OPEN_RELAY,
    },
    {
        .name = "accept-all",
        .summary = "catch-all: every recipient and HELO name accepted (bounces later)",
        .banner = LAB_BANNER_OPENSMTPD,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_LAX_HELO,
        .rcpt = LAB_RCPT_ACCEPT_ALL,
    },
    {
        .name = "auth-before-tls",
        .summary = "offers AUTH PLAIN LOGIN in cleartext (and after TLS); every login fails",
        .banner = LAB_BANNER_EXIM,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_plain = "PLAIN LOGIN",
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "auth-anonymous",
        .summary = "AUTH ANONYMOUS succeeds and then relays to external recipients",
        .banner = "ESMTP Exim 4.94.2",
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_AUTH_RELAY,
        .auth_plain = "ANONYMOUS",
        .auth_tls = "PLAIN ANONYMOUS",
    },
    {
        .name = "weak-mechs",
        .summary = "Exchange-like: CRAM-MD5 DIGEST-MD5 NTLM LOGIN PLAIN in cleartext, NTLM "
                   "challenge leaks host and domain names",
        .banner = LAB_BANNER_EXCHANGE,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_plain = "CRAM-MD5 DIGEST-MD5 NTLM LOGIN PLAIN",
        .auth_tls = "CRAM-MD5 DIGEST-MD5 NTLM LOGIN PLAIN",
    },
    {
        .name = "lax-helo",
        .summary = "accepts any HELO/EHLO argument, even none; otherwise hardened",
        .banner = LAB_BANNER_SENDMAIL,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_LAX_HELO,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "no-starttls",
        .summary = "no STARTTLS (502 if sent) and no AUTH; otherwise hardened",
        .banner = "ESMTP Postfix (Ubuntu)",
        .rcpt = LAB_RCPT_CLOSED,
    },
    {
        .name = "tls-only-submission",
        .summary = "530 until STARTTLS; then AUTH PLAIN LOGIN, and RCPT needs AUTH (which "
                   "always fails)",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_TLS_FIRST,
        .rcpt = LAB_RCPT_SUBMISSION,
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "vrfy-enum",
        .summary = "VRFY and EXPN answer 250 for local users and 550 for others",
        .banner = "ESMTP Sendmail 8.15.2/8.15.2",
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_VRFY,
        .rcpt = LAB_RCPT_CLOSED,
    },
    {
        .name = "tarpit",
        .summary = "hardened, but every byte of every reply comes one second apart",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .pace_ms = 1000,
    },
    {
        .name = "never-greets",
        .summary = "accepts the connection and never sends a byte",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_silent,
    },
    {
        .name = "garbage",
        .summary = "greets and answers with binary junk: NUL, 0xff, ESC[31m, <script>",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_garbage,
    },
    {
        .name = "long-line",
        .summary = "a 220 greeting line of 1 MiB; hardened afterwards",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .quirk = &lab_quirk_long_line,
    },
    {
        .name = "endless-multiline",
        .summary = "220- continuation lines, one per millisecond, until the client leaves",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_endless_multiline,
    },
    {
        .name = "close-after-banner",
        .summary = "a normal greeting, then the connection is closed",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_close_after_banner,
    },
    {
        .name = "tls-junk",
        .summary = "hardened until STARTTLS, then 4 KiB of junk instead of a TLS handshake",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_tls_junk,
    },
    {
        .name = "early-talker",
        .summary = "an unsolicited line after the greeting and after every EHLO reply",
        .banner = LAB_BANNER_EXIM,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .quirk = &lab_quirk_early_talker,
    },
    {
        .name = "reset-mid-reply",
        .summary = "half an EHLO reply, then a TCP reset",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_reset_mid_reply,
    },
};

const struct lab_persona *lab_persona_find(const char *name)
{
	for (size_t i = 0; i < sizeof(lab_personas) / sizeof(lab_personas[0]); i++)
		if (strcmp(lab_personas[i].name, name) == 0)
			return &lab_personas[i];
	return NULL;
}

void lab_persona_list(FILE *out)
{
	for (size_t i = 0; i < sizeof(lab_personas) / sizeof(lab_personas[0]); i++)
		fprintf(out, "%-20s %s\n", lab_personas[i].name, lab_personas[i].summary);
}
