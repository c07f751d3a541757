/*
 * NAME
 *	test_smtp_caps - unit tests for the EHLO capability parser
 *
 * DESCRIPTION
 *	EHLO replies of real MTAs (Postfix, Exim, Sendmail, Exchange 2003 and
 *	2016, OpenSMTPD, Gmail) and of odd or hostile servers go through the
 *	reply parser and then smtp_caps_parse(); the table states the server
 *	name, extensions, mechanisms, SIZE and the unknown lines each must
 *	give. Further tests cover the bounds on unknown entries, non-250
 *	replies, deep copies and the keyword tables.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "smtp_caps.h"
#include "smtp_reply.h"

#define BYTES(s) .bytes = (s), .len = sizeof(s) - 1
#define EXT(x)   (1u << SMTP_EXT_##x)
#define AUTH(x)  (1u << SMTP_AUTH_##x)

/*
 * Criterion copies parameters into the process that runs the test, where
 * pointers into this one are meaningless, so a case holds its bytes.
 */
struct ehlo_case {
	char name[40];
	char bytes[1024]; /* the EHLO reply as the server sent it */
	size_t len;
	char server_name[48]; /* "": none */
	uint32_t ext;
	uint32_t auth;
	uint64_t size_limit;
	char unknown[256];     /* each kept unknown line in brackets */
	char auth_unknown[64]; /* each kept unknown mechanism in brackets */
};

static const struct ehlo_case ehlo_cases[] = {
    {
        .name = "postfix",
        BYTES("250-mail.example.org\r\n"
              "250-PIPELINING\r\n"
              "250-SIZE 10240000\r\n"
              "250-VRFY\r\n"
              "250-ETRN\r\n"
              "250-STARTTLS\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-8BITMIME\r\n"
              "250-DSN\r\n"
              "250-SMTPUTF8\r\n"
              "250 CHUNKING\r\n"),
        .server_name = "mail.example.org",
        .ext = EXT(PIPELINING) | EXT(SIZE) | EXT(VRFY) | EXT(ETRN) | EXT(STARTTLS) |
               EXT(ENHANCEDSTATUSCODES) | EXT(EIGHTBITMIME) | EXT(DSN) | EXT(SMTPUTF8) |
               EXT(CHUNKING),
        .size_limit = 10240000,
    },
    {
        .name = "postfix_broken_sasl_auth_clients",
        BYTES("250-mail.example.org\r\n"
              "250-PIPELINING\r\n"
              "250-SIZE 10240000\r\n"
              "250-ETRN\r\n"
              "250-AUTH PLAIN LOGIN\r\n"
              "250-AUTH=PLAIN LOGIN\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-8BITMIME\r\n"
              "250-DSN\r\n"
              "250 CHUNKING\r\n"),
        .server_name = "mail.example.org",
        .ext = EXT(PIPELINING) | EXT(SIZE) | EXT(ETRN) | EXT(AUTH) | EXT(ENHANCEDSTATUSCODES) |
               EXT(EIGHTBITMIME) | EXT(DSN) | EXT(CHUNKING),
        .auth = AUTH(PLAIN) | AUTH(LOGIN),
        .size_limit = 10240000,
    },
    {
        .name = "postfix_xclient",
        BYTES("250-mx.example.org\r\n"
              "250-PIPELINING\r\n"
              "250-SIZE\r\n"
              "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR "
              "DESTPORT\r\n"
              "250-XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT\r\n"
              "250 8BITMIME\r\n"),
        .server_name = "mx.example.org",
        .ext = EXT(PIPELINING) | EXT(SIZE) | EXT(XCLIENT) | EXT(XFORWARD) | EXT(EIGHTBITMIME),
    },
    {
        .name = "exim",
        BYTES("250-mx.example.net Hello client.example.com [192.0.2.10]\r\n"
              "250-SIZE 52428800\r\n"
              "250-LIMITS MAILMAX=1000 RCPTMAX=50000\r\n"
              "250-8BITMIME\r\n"
              "250-PIPELINING\r\n"
              "250-PIPE_CONNECT\r\n"
              "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
              "250-CHUNKING\r\n"
              "250-STARTTLS\r\n"
              "250-PRDR\r\n"
              "250 HELP\r\n"),
        .server_name = "mx.example.net",
        .ext = EXT(SIZE) | EXT(EIGHTBITMIME) | EXT(PIPELINING) | EXT(AUTH) | EXT(CHUNKING) |
               EXT(STARTTLS) | EXT(HELP),
        .auth = AUTH(PLAIN) | AUTH(LOGIN) | AUTH(CRAM_MD5),
        .size_limit = 52428800,
        .unknown = "[LIMITS MAILMAX=1000 RCPTMAX=50000][PIPE_CONNECT][PRDR]",
    },
    {
        .name = "sendmail",
        BYTES("250-mail.example.com Hello client.example.org [192.0.2.10], pleased to "
              "meet you\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-PIPELINING\r\n"
              "250-8BITMIME\r\n"
              "250-SIZE\r\n"
              "250-DSN\r\n"
              "250-ETRN\r\n"
              "250-AUTH GSSAPI DIGEST-MD5 CRAM-MD5\r\n"
              "250-STARTTLS\r\n"
              "250-DELIVERBY\r\n"
              "250 HELP\r\n"),
        .server_name = "mail.example.com",
        .ext = EXT(ENHANCEDSTATUSCODES) | EXT(PIPELINING) | EXT(EIGHTBITMIME) | EXT(SIZE) |
               EXT(DSN) | EXT(ETRN) | EXT(AUTH) | EXT(STARTTLS) | EXT(DELIVERBY) | EXT(HELP),
        .auth = AUTH(GSSAPI) | AUTH(DIGEST_MD5) | AUTH(CRAM_MD5),
    },
    {
        .name = "sendmail_8_9",
        BYTES("250-mail.example.com Hello client.example.org [192.0.2.10], pleased to "
              "meet you\r\n"
              "250-EXPN\r\n"
              "250-VERB\r\n"
              "250-8BITMIME\r\n"
              "250-SIZE\r\n"
              "250-DSN\r\n"
              "250-ONEX\r\n"
              "250-ETRN\r\n"
              "250-XUSR\r\n"
              "250 HELP\r\n"),
        .server_name = "mail.example.com",
        .ext = EXT(EXPN) | EXT(VERB) | EXT(EIGHTBITMIME) | EXT(SIZE) | EXT(DSN) | EXT(ONEX) |
               EXT(ETRN) | EXT(XUSR) | EXT(HELP),
    },
    {
        .name = "exchange_2016",
        BYTES("250-EXCH01.contoso.com Hello [192.0.2.10]\r\n"
              "250-SIZE 37748736\r\n"
              "250-PIPELINING\r\n"
              "250-DSN\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-STARTTLS\r\n"
              "250-X-ANONYMOUSTLS\r\n"
              "250-AUTH NTLM\r\n"
              "250-X-EXPS GSSAPI NTLM\r\n"
              "250-8BITMIME\r\n"
              "250-BINARYMIME\r\n"
              "250-CHUNKING\r\n"
              "250-XEXCH50\r\n"
              "250-XRDST\r\n"
              "250 XSHADOWREQUEST\r\n"),
        .server_name = "EXCH01.contoso.com",
        .ext = EXT(SIZE) | EXT(PIPELINING) | EXT(DSN) | EXT(ENHANCEDSTATUSCODES) | EXT(STARTTLS) |
               EXT(X_ANONYMOUSTLS) | EXT(AUTH) | EXT(X_EXPS) | EXT(EIGHTBITMIME) | EXT(BINARYMIME) |
               EXT(CHUNKING) | EXT(XEXCH50),
        .auth = AUTH(NTLM),
        .size_limit = 37748736,
        .unknown = "[XRDST][XSHADOWREQUEST]",
    },
    {
        .name = "exchange_2003",
        BYTES("250-mail.contoso.com Hello [192.0.2.10]\r\n"
              "250-TURN\r\n"
              "250-SIZE\r\n"
              "250-ETRN\r\n"
              "250-PIPELINING\r\n"
              "250-DSN\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-8bitmime\r\n"
              "250-BINARYMIME\r\n"
              "250-CHUNKING\r\n"
              "250-VRFY\r\n"
              "250-X-EXPS GSSAPI NTLM LOGIN\r\n"
              "250-X-EXPS=LOGIN\r\n"
              "250-AUTH GSSAPI NTLM LOGIN\r\n"
              "250-AUTH=LOGIN\r\n"
              "250-X-LINK2STATE\r\n"
              "250-XEXCH50\r\n"
              "250 OK\r\n"),
        .server_name = "mail.contoso.com",
        .ext = EXT(TURN) | EXT(SIZE) | EXT(ETRN) | EXT(PIPELINING) | EXT(DSN) |
               EXT(ENHANCEDSTATUSCODES) | EXT(EIGHTBITMIME) | EXT(BINARYMIME) | EXT(CHUNKING) |
               EXT(VRFY) | EXT(X_EXPS) | EXT(AUTH) | EXT(X_LINK2STATE) | EXT(XEXCH50),
        .auth = AUTH(GSSAPI) | AUTH(NTLM) | AUTH(LOGIN),
        .unknown = "[OK]",
    },
    {
        .name = "opensmtpd",
        BYTES("250-mx.example.org Hello client.example.com [192.0.2.10], pleased to "
              "meet you\r\n"
              "250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-SIZE 36700160\r\n"
              "250-DSN\r\n"
              "250-AUTH PLAIN LOGIN\r\n"
              "250 HELP\r\n"),
        .server_name = "mx.example.org",
        .ext = EXT(EIGHTBITMIME) | EXT(ENHANCEDSTATUSCODES) | EXT(SIZE) | EXT(DSN) | EXT(AUTH) |
               EXT(HELP),
        .auth = AUTH(PLAIN) | AUTH(LOGIN),
        .size_limit = 36700160,
    },
    {
        .name = "gmail_submission",
        BYTES("250-smtp.gmail.com at your service, [192.0.2.10]\r\n"
              "250-SIZE 35882577\r\n"
              "250-8BITMIME\r\n"
              "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-PIPELINING\r\n"
              "250-CHUNKING\r\n"
              "250 SMTPUTF8\r\n"),
        .server_name = "smtp.gmail.com",
        .ext = EXT(SIZE) | EXT(EIGHTBITMIME) | EXT(AUTH) | EXT(ENHANCEDSTATUSCODES) |
               EXT(PIPELINING) | EXT(CHUNKING) | EXT(SMTPUTF8),
        .auth = AUTH(LOGIN) | AUTH(PLAIN) | AUTH(XOAUTH2) | AUTH(OAUTHBEARER),
        .size_limit = 35882577,
        .auth_unknown = "[PLAIN-CLIENTTOKEN][XOAUTH]",
    },
    {
        .name = "single_line",
        BYTES("250 mx.example.org\r\n"),
        .server_name = "mx.example.org",
    },
    {
        .name = "case_insensitive",
        BYTES("250-MX.Example.ORG says hi\r\n"
              "250-starttls\r\n"
              "250-Pipelining\r\n"
              "250-auth=cram-md5 Plain\r\n"
              "250 size 1000\r\n"),
        .server_name = "MX.Example.ORG",
        .ext = EXT(STARTTLS) | EXT(PIPELINING) | EXT(AUTH) | EXT(SIZE),
        .auth = AUTH(CRAM_MD5) | AUTH(PLAIN),
        .size_limit = 1000,
    },
    {
        .name = "unknown_mechanism_kept_once",
        BYTES("250-mx\r\n"
              "250-AUTH PLAIN X-FOO\r\n"
              "250-AUTH=x-foo LOGIN\r\n"
              "250 AUTH X-BAR\tX-FOO\r\n"),
        .server_name = "mx",
        .ext = EXT(AUTH),
        .auth = AUTH(PLAIN) | AUTH(LOGIN),
        .auth_unknown = "[X-FOO][X-BAR]",
    },
    {
        .name = "auth_without_mechanisms",
        BYTES("250-mx\r\n250 AUTH\r\n"),
        .server_name = "mx",
        .ext = EXT(AUTH),
    },
    {
        .name = "malformed_size_is_unknown",
        BYTES("250-mx\r\n"
              "250-SIZE abc\r\n"
              "250-SIZE 18446744073709551616\r\n"
              "250-SIZE 10240000 extra\r\n"
              "250-SIZE -1\r\n"
              "250 8BITMIME\r\n"),
        .server_name = "mx",
        .ext = EXT(EIGHTBITMIME),
        .unknown = "[SIZE abc][SIZE 18446744073709551616][SIZE 10240000 extra][SIZE -1]",
    },
    {
        .name = "largest_size",
        BYTES("250-mx\r\n250 SIZE 18446744073709551615\r\n"),
        .server_name = "mx",
        .ext = EXT(SIZE),
        .size_limit = UINT64_MAX,
    },
    {
        .name = "size_with_equals_sign",
        BYTES("250-mx\r\n250 SIZE=52428800\r\n"),
        .server_name = "mx",
        .ext = EXT(SIZE),
        .size_limit = 52428800,
    },
    {
        .name = "prefix_is_not_a_keyword",
        BYTES("250-mx\r\n"
              "250-STARTTLSX\r\n"
              "250-AUTHPLAIN\r\n"
              "250-START\r\n"
              "250 PIPELININGS\r\n"),
        .server_name = "mx",
        .unknown = "[STARTTLSX][AUTHPLAIN][START][PIPELININGS]",
    },
    {
        .name = "binary_and_escape_bytes",
        BYTES("250-\x1b]0;pwned\x07 mx\r\n"
              "250-\x1b[31mSTARTTLS\x1b[0m\r\n"
              "250-\xff\xfe\r\n"
              "250 AUTH \x1b[2J PLAIN\r\n"),
        .server_name = "\x1b]0;pwned\x07",
        .ext = EXT(AUTH),
        .auth = AUTH(PLAIN),
        .unknown = "[\x1b[31mSTARTTLS\x1b[0m][\xff\xfe]",
        .auth_unknown = "[\x1b[2J]",
    },
    {
        .name = "empty_lines",
        BYTES("250-\r\n250-\r\n250 PIPELINING\r\n"),
        .ext = EXT(PIPELINING),
        .unknown = "[]",
    },
    {
        .name = "leading_blanks",
        BYTES("250-  mx.example.org  Hello\r\n"
              "250-  STARTTLS\r\n"
              "250 \tAUTH  PLAIN\r\n"),
        .server_name = "mx.example.org",
        .ext = EXT(STARTTLS) | EXT(AUTH),
        .auth = AUTH(PLAIN),
    },
};

static struct smtp_reply reply_of(const char *bytes, size_t len)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used;
	cr_assert_eq(smtp_reply_parser_feed(&p, bytes, len, &used, &r), SMTP_REPLY_COMPLETE,
	             "reply parser: %s", smtp_reply_parser_error(&p));
	cr_assert_eq(used, len);
	smtp_reply_parser_free(&p);
	return r;
}

static char *bracketed(char *const *list, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "[%s]", list[i]);
	fclose(f);
	return text;
}

ParameterizedTestParameters(smtp_caps, parses_ehlo_reply)
{
	return cr_make_param_array(struct ehlo_case, ehlo_cases,
	                           sizeof(ehlo_cases) / sizeof(ehlo_cases[0]));
}

ParameterizedTest(const struct ehlo_case *c, smtp_caps, parses_ehlo_reply, .timeout = 10)
{
	struct smtp_reply r = reply_of(c->bytes, c->len);
	struct smtp_caps caps;
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0, "%s", c->name);
	if (c->server_name[0] == '\0')
		cr_assert_null(caps.server_name, "%s", c->name);
	else
		cr_assert_str_eq(caps.server_name, c->server_name, "%s", c->name);
	cr_assert_eq(caps.ext, c->ext, "%s: ext %#x, want %#x", c->name, caps.ext, c->ext);
	for (unsigned i = 0; i < SMTP_EXT_COUNT; i++)
		cr_assert_eq(smtp_caps_has(&caps, i), (c->ext >> i) & 1u, "%s: %s", c->name,
		             smtp_ext_name(i));
	cr_assert_eq(caps.auth, c->auth, "%s: auth %#x, want %#x", c->name, caps.auth, c->auth);
	for (unsigned i = 0; i < SMTP_AUTH_COUNT; i++)
		cr_assert_eq(smtp_caps_has_auth(&caps, i), (c->auth >> i) & 1u, "%s: %s", c->name,
		             smtp_auth_name(i));
	cr_assert_eq(caps.size_limit, c->size_limit, "%s", c->name);
	char *unknown = bracketed(caps.unknown, caps.nunknown);
	cr_assert_str_eq(unknown, c->unknown, "%s", c->name);
	char *auth_unknown = bracketed(caps.auth_unknown, caps.nauth_unknown);
	cr_assert_str_eq(auth_unknown, c->auth_unknown, "%s", c->name);
	cr_assert_eq(caps.unknown_dropped, 0);
	cr_assert_eq(caps.auth_unknown_dropped, 0);
	free(unknown);
	free(auth_unknown);
	smtp_caps_free(&caps);
	smtp_reply_free(&r);
}

Test(smtp_caps, rejects_a_reply_that_is_not_250, .timeout = 10)
{
	static const char *const replies[] = {
	    "502 5.5.2 Error: command not recognized\r\n",
	    "550 5.7.1 Access denied\r\n",
	    "251-mx.example.org\r\n251 STARTTLS\r\n",
	};
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct smtp_reply r = reply_of(replies[i], strlen(replies[i]));
		struct smtp_caps caps = {.ext = 1};
		cr_assert_eq(smtp_caps_parse(&r, &caps), SA_ERROR_INVAL, "%s", replies[i]);
		cr_assert_null(caps.server_name);
		cr_assert_eq(caps.ext, 0);
		cr_assert_null(caps.unknown);
		smtp_caps_free(&caps);
		smtp_reply_free(&r);
	}
}

Test(smtp_caps, reply_without_lines_gives_nothing, .timeout = 10)
{
	struct smtp_reply r = {.code = 250};
	struct smtp_caps caps;
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0);
	cr_assert_null(caps.server_name);
	cr_assert_eq(caps.ext, 0);
	cr_assert_eq(caps.nunknown, 0);
	smtp_caps_free(&caps);
}

Test(smtp_caps, unknown_lines_are_bounded, .timeout = 10)
{
	enum { EXTRA = 8 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fputs("250-mx.example.org\r\n", f);
	for (int i = 0; i < SMTP_CAPS_MAX_UNKNOWN + EXTRA; i++)
		fprintf(f, "250-X-UNKNOWN-%d\r\n", i);
	fputs("250 STARTTLS\r\n", f);
	fclose(f);

	struct smtp_reply r = reply_of(text, len);
	struct smtp_caps caps;
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0);
	cr_assert_eq(caps.nunknown, SMTP_CAPS_MAX_UNKNOWN);
	cr_assert_eq(caps.unknown_dropped, EXTRA);
	cr_assert_str_eq(caps.unknown[0], "X-UNKNOWN-0");
	cr_assert_str_eq(caps.unknown[SMTP_CAPS_MAX_UNKNOWN - 1], "X-UNKNOWN-31");
	cr_assert(smtp_caps_has(&caps, SMTP_EXT_STARTTLS), "known lines after the bound count");
	smtp_caps_free(&caps);
	smtp_reply_free(&r);
	free(text);
}

Test(smtp_caps, unknown_mechanisms_are_bounded, .timeout = 10)
{
	enum { EXTRA = 5 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	fputs("250-mx.example.org\r\n250 AUTH", f);
	for (int i = 0; i < SMTP_CAPS_MAX_UNKNOWN + EXTRA; i++)
		fprintf(f, " X-MECH-%d", i);
	fputs(" PLAIN\r\n", f);
	fclose(f);

	struct smtp_reply r = reply_of(text, len);
	struct smtp_caps caps;
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0);
	cr_assert_eq(caps.nauth_unknown, SMTP_CAPS_MAX_UNKNOWN);
	cr_assert_eq(caps.auth_unknown_dropped, EXTRA);
	cr_assert_str_eq(caps.auth_unknown[SMTP_CAPS_MAX_UNKNOWN - 1], "X-MECH-31");
	cr_assert(smtp_caps_has_auth(&caps, SMTP_AUTH_PLAIN));
	smtp_caps_free(&caps);
	smtp_reply_free(&r);
	free(text);
}

Test(smtp_caps, copy_is_deep, .timeout = 10)
{
	static const char text[] = "250-mx.example.org\r\n250-AUTH PLAIN X-FOO\r\n"
	                           "250-SIZE 1000\r\n250 X-ODD\r\n";
	struct smtp_reply r = reply_of(text, sizeof(text) - 1);
	struct smtp_caps caps, copy;
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0);
	cr_assert_eq(smtp_caps_copy(&copy, &caps), 0);
	cr_assert_neq(copy.server_name, caps.server_name);
	cr_assert_eq(copy.ext, caps.ext);
	cr_assert_eq(copy.auth, caps.auth);
	cr_assert_eq(copy.size_limit, 1000);
	cr_assert_eq(copy.nunknown, 1);
	cr_assert_neq(copy.unknown[0], caps.unknown[0]);
	cr_assert_eq(copy.nauth_unknown, 1);
	smtp_caps_free(&caps);
	cr_assert_str_eq(copy.server_name, "mx.example.org");
	cr_assert_str_eq(copy.unknown[0], "X-ODD");
	cr_assert_str_eq(copy.auth_unknown[0], "X-FOO");
	smtp_caps_free(&copy);
	smtp_reply_free(&r);
}

Test(smtp_caps, copy_of_empty_caps, .timeout = 10)
{
	struct smtp_caps empty = {.ext = EXT(DSN)}, copy;
	cr_assert_eq(smtp_caps_copy(&copy, &empty), 0);
	cr_assert_eq(copy.ext, EXT(DSN));
	cr_assert_null(copy.server_name);
	cr_assert_null(copy.unknown);
	cr_assert_null(copy.auth_unknown);
	smtp_caps_free(&copy);
}

Test(smtp_caps, free_is_safe_on_zeroed_and_freed_caps, .timeout = 10)
{
	struct smtp_caps caps = {0};
	smtp_caps_free(&caps);
	static const char text[] = "250-mx\r\n250 X-A\r\n";
	struct smtp_reply r = reply_of(text, sizeof(text) - 1);
	cr_assert_eq(smtp_caps_parse(&r, &caps), 0);
	smtp_caps_free(&caps);
	cr_assert_null(caps.server_name);
	cr_assert_null(caps.unknown);
	smtp_caps_free(&caps);
	smtp_reply_free(&r);
}

Test(smtp_caps, every_name_looks_up_to_itself, .timeout = 10)
{
	for (unsigned i = 0; i < SMTP_EXT_COUNT; i++) {
		const char *name = smtp_ext_name(i);
		char lower[32];
		size_t len = strlen(name);
		cr_assert_lt(len, sizeof(lower));
		for (size_t j = 0; j <= len; j++)
			lower[j] = (char)tolower((unsigned char)name[j]);
		enum smtp_ext ext = SMTP_EXT_COUNT;
		cr_assert(smtp_ext_lookup(name, len, &ext), "%s", name);
		cr_assert_eq(ext, i);
		ext = SMTP_EXT_COUNT;
		cr_assert(smtp_ext_lookup(lower, len, &ext), "%s", lower);
		cr_assert_eq(ext, i);
	}
	for (unsigned i = 0; i < SMTP_AUTH_COUNT; i++) {
		const char *name = smtp_auth_name(i);
		enum smtp_auth mech = SMTP_AUTH_COUNT;
		cr_assert(smtp_auth_lookup(name, strlen(name), &mech), "%s", name);
		cr_assert_eq(mech, i);
	}
}

Test(smtp_caps, canonical_names, .timeout = 10)
{
	cr_assert_str_eq(smtp_ext_name(SMTP_EXT_EIGHTBITMIME), "8BITMIME");
	cr_assert_str_eq(smtp_ext_name(SMTP_EXT_X_ANONYMOUSTLS), "X-ANONYMOUSTLS");
	cr_assert_str_eq(smtp_auth_name(SMTP_AUTH_CRAM_MD5), "CRAM-MD5");
	cr_assert_str_eq(smtp_auth_name(SMTP_AUTH_KERBEROS_V4), "KERBEROS_V4");
}

Test(smtp_caps, lookup_uses_exactly_len_bytes, .timeout = 10)
{
	enum smtp_ext ext = SMTP_EXT_COUNT;
	cr_assert(smtp_ext_lookup("STARTTLSX", 8, &ext));
	cr_assert_eq(ext, SMTP_EXT_STARTTLS);
	cr_assert_not(smtp_ext_lookup("STARTTLS", 7, &ext));
	cr_assert_not(smtp_ext_lookup("STARTTLS\0", 9, &ext));
	cr_assert_not(smtp_ext_lookup("", 0, &ext));
	cr_assert_not(smtp_ext_lookup("X-UNKNOWN", 9, &ext));
	enum smtp_auth mech = SMTP_AUTH_COUNT;
	cr_assert(smtp_auth_lookup("scram-sha-256 ", 13, &mech));
	cr_assert_eq(mech, SMTP_AUTH_SCRAM_SHA_256);
	cr_assert_not(smtp_auth_lookup("SCRAM-SHA", 9, &mech));
	cr_assert_not(smtp_auth_lookup("PLAIN-CLIENTTOKEN", 17, &mech));
}
