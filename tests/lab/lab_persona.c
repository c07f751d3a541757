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

static const char *const lab_persona_chunking[] = {"CHUNKING", NULL};

/* Postfix's words for them; an MTA that offers them to anyone exposes its relay controls. */
static const char *const lab_persona_exposed_ext[] = {
    "ETRN",
    "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN",
    "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT",
    NULL,
};

static const char *const lab_persona_sendmail_help[] = {
    "2.0.0 This is sendmail version 8.15.2",
    "2.0.0 Topics:",
    "2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA",
    "2.0.0 \tRSET\tNOOP\tQUIT\tHELP\tVRFY",
    "2.0.0 \tEXPN\tVERB\tETRN\tDSN\tAUTH",
    "2.0.0 \tSTARTTLS",
    "2.0.0 For more info use \"HELP <topic>\".",
    "2.0.0 To report bugs in the implementation see",
    "2.0.0 \thttp://www.sendmail.org/email-addresses.html",
    "2.0.0 For local information send email to Postmaster at your site.",
    "2.0.0 End of HELP info",
    NULL,
};

/* Terminal escapes (clear screen, red, a window title ending in BEL) and markup. */
#define LAB_PERSONA_ESCAPES "\x1b[2J\x1b[31m<script>alert('lab')</script>\x1b]0;owned\x07\x1b[0m"

/* Invalid UTF-8: a bad continuation, lone continuations, a surrogate, an overlong '/', 0xff. */
#define LAB_PERSONA_BAD_UTF8 "\xc3\x28 \xa0\xa1 \xed\xa0\x80 \xc0\xaf \xff!"

static const char *const lab_persona_escape_ext[] = {"X-" LAB_PERSONA_ESCAPES, NULL};
static const char *const lab_persona_bad_utf8_ext[] = {"X-" LAB_PERSONA_BAD_UTF8, NULL};

static const struct lab_persona lab_personas[] = {
    {
        .name = "hardened",
        .summary = "well-configured Postfix: no relay, HELO checks at RCPT, AUTH only "
                   "after STARTTLS, senders bound to logins",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_SENDER_LOGIN,
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
        .summary = "530 until STARTTLS; then AUTH PLAIN LOGIN, and RCPT needs AUTH (only the "
                   "lab account logs in; it may then send as anyone)",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_TLS_FIRST,
        .rcpt = LAB_RCPT_SUBMISSION,
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "enum-leaky",
        .summary = "VRFY, EXPN and RCPT answer 250 for local users (EXPN staff lists its "
                   "members) and 550 5.1.1 for others",
        .banner = "ESMTP Sendmail 8.15.2/8.15.2",
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .vrfy = LAB_VERIFY_LEAKY,
        .expn = LAB_VERIFY_LEAKY,
    },
    {
        .name = "verify-252",
        .summary = "the enumeration control: VRFY 252 for everyone, EXPN 502, RCPT takes "
                   "every user of its domains (catch-all), no relay",
        .banner = LAB_BANNER_EXCHANGE,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CATCH_ALL,
        .vrfy = LAB_VERIFY_CANNOT,
    },
    {
        .name = "submission-lax",
        .summary = "submission without TLS enforcement: STARTTLS and AUTH PLAIN LOGIN "
                   "offered in cleartext, MAIL accepted without TLS or AUTH",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_SUBMISSION,
        .auth_plain = "PLAIN LOGIN",
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "caps-change-after-tls",
        .summary = "EHLO differs after STARTTLS: SIZE 10240000 before, SIZE 52428800, AUTH "
                   "PLAIN LOGIN and CHUNKING after",
        .banner = LAB_BANNER_EXIM,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .ehlo_tls = {.size = "52428800", .extra = lab_persona_chunking},
    },
    {
        .name = "exposed",
        .summary = "Sendmail 8.15.2 in banner and HELP; EHLO offers XCLIENT XFORWARD ETRN VRFY "
                   "EXPN and SIZE 0; VRFY/EXPN 252; otherwise hardened",
        .banner = "ESMTP Sendmail 8.15.2/8.15.2/Debian-14~deb10u1",
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .ehlo_plain = {.size = "0", .extra = lab_persona_exposed_ext},
        .ehlo_tls = {.size = "0", .extra = lab_persona_exposed_ext},
        .vrfy = LAB_VERIFY_CANNOT,
        .expn = LAB_VERIFY_CANNOT,
        .help = lab_persona_sendmail_help,
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
    {
        .name = "starttls-injectable",
        .summary = "CVE-2011-0411: commands pipelined after STARTTLS in the same segment are "
                   "run inside TLS after the handshake",
        .banner = "ESMTP Postfix 2.7.1",
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .quirk = &lab_quirk_starttls_injectable,
    },
    {
        .name = "starttls-chatty",
        .summary = "one more plaintext line (\"250 2.0.0 extra\") right after its 220 to "
                   "STARTTLS, before the handshake",
        .banner = LAB_BANNER_EXIM,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .quirk = &lab_quirk_starttls_chatty,
    },
    {
        .name = "starttls-broken",
        .summary = "offers STARTTLS, answers 220, then a fatal handshake_failure alert to the "
                   "ClientHello and a close",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_starttls_broken,
    },
    {
        .name = "pipelining-broken",
        .summary = "advertises PIPELINING but answers only the first command of what "
                   "arrives in one read and drops the rest",
        .banner = "Microsoft ESMTP MAIL Service, Version: 6.0.3790.4675 ready",
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_pipelining_broken,
    },
    {
        .name = "greets-then-silent",
        .summary = "a normal greeting, then no answer to any command",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_mute,
    },
    {
        .name = "greet-554",
        .summary = "a 554 greeting (no SMTP service here); 554 to every command but QUIT",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_greet_refusal,
    },
    {
        .name = "greet-421",
        .summary = "a 421 greeting (service not available), then a close",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_greet_busy,
    },
    {
        .name = "ehlo-421",
        .summary = "a normal greeting, then 421 to EHLO and HELO and a close",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_ehlo_busy,
    },
    {
        .name = "binary-reply",
        .summary = "an EHLO reply with NUL, 0x01, 0x7f and 0xff bytes in a line",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_binary_reply,
    },
    {
        .name = "escape-codes",
        .summary = "terminal escapes (ESC[2J, ESC[31m, a window title) and <script> in the "
                   "banner and in an EHLO keyword; hardened otherwise",
        .banner = "ESMTP " LAB_PERSONA_ESCAPES,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .ehlo_plain = {.extra = lab_persona_escape_ext},
    },
    {
        .name = "invalid-utf8",
        .summary = "invalid UTF-8 (bad continuations, a surrogate, an overlong form, 0xff) in "
                   "the banner and in an EHLO keyword; hardened otherwise",
        .banner = "ESMTP " LAB_PERSONA_BAD_UTF8,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .ehlo_plain = {.extra = lab_persona_bad_utf8_ext},
    },
    {
        .name = "mixed-codes",
        .summary = "a multi-line EHLO reply whose lines carry 250, 251 and 550",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_mixed_codes,
    },
    {
        .name = "huge-ehlo",
        .summary = "an EHLO reply of 1024 lines, 64 KiB",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_huge_ehlo,
    },
    {
        .name = "no-crlf-close",
        .summary = "a greeting line without CRLF, then a close",
        .banner = LAB_BANNER_POSTFIX,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_no_crlf,
    },
    {
        .name = "tls-stall",
        .summary = "220 to STARTTLS, then the ClientHello is never answered",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_tls_stall,
    },
    {
        .name = "starttls-twice",
        .summary = "two 220 replies to one STARTTLS, then the handshake",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .quirk = &lab_quirk_starttls_twice,
    },
    {
        .name = "deep-chain",
        .summary = "hardened, but TLS presents a certificate chain 50 deep (leaf, 48 "
                   "intermediates, a self-signed root)",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS | LAB_PERSONA_DEEP_CHAIN,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
    },
    {
        .name = "drop-alternate",
        .summary = "hardened, but every second connection is reset before the greeting",
        .banner = LAB_BANNER_POSTFIX,
        .flags = LAB_PERSONA_STARTTLS,
        .rcpt = LAB_RCPT_CLOSED,
        .auth_tls = "PLAIN LOGIN",
        .quirk = &lab_quirk_drop_alternate,
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
		fprintf(out, "%-22s %s\n", lab_personas[i].name, lab_personas[i].summary);
}
