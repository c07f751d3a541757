/*
 * NAME
 *	test_smtp_reply - unit tests for the incremental SMTP reply parser
 *
 * DESCRIPTION
 *	A table of server transcripts (real MTAs, then hostile servers) is
 *	parsed whole and compared with the replies it must give; every
 *	transcript is then parsed again in chunks of 1, 2, 3, 5, 7 and 64
 *	bytes and must give exactly the same replies and error. Further tests
 *	cover what the table cannot: bytes left unconsumed after a reply, the
 *	memory an idle parser holds, the limits against megabyte-sized input,
 *	and the reply helpers (copy, join, enhanced status codes).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "smtp_reply.h"

#define BYTES(s) .bytes = (s), .len = sizeof(s) - 1

/*
 * Criterion copies parameters into the process that runs the test, where
 * pointers into this one are meaningless, so a case holds its bytes.
 */
struct transcript {
	char name[48];
	char bytes[1024];
	size_t len;
	struct smtp_reply_limits lim; /* all zero: the defaults */
	/*
	 * Every reply in canonical form ("NNN-text\n" ... "NNN text\n"), then
	 * "error <sa_error_str>: <detail>\n" or "incomplete\n" when the
	 * transcript ends that way.
	 */
	char expect[1024];
};

static const struct transcript transcripts[] = {
    {
        .name = "postfix",
        BYTES("220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"
              "250-mail.example.org\r\n"
              "250-PIPELINING\r\n"
              "250-SIZE 10240000\r\n"
              "250-VRFY\r\n"
              "250-ETRN\r\n"
              "250-STARTTLS\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-8BITMIME\r\n"
              "250-DSN\r\n"
              "250-SMTPUTF8\r\n"
              "250 CHUNKING\r\n"
              "220 2.0.0 Ready to start TLS\r\n"),
        .expect = "220 mail.example.org ESMTP Postfix (Debian/GNU)\n"
                  "250-mail.example.org\n"
                  "250-PIPELINING\n"
                  "250-SIZE 10240000\n"
                  "250-VRFY\n"
                  "250-ETRN\n"
                  "250-STARTTLS\n"
                  "250-ENHANCEDSTATUSCODES\n"
                  "250-8BITMIME\n"
                  "250-DSN\n"
                  "250-SMTPUTF8\n"
                  "250 CHUNKING\n"
                  "220 2.0.0 Ready to start TLS\n",
    },
    {
        .name = "postfix_relay_denied",
        BYTES("250 2.1.0 Ok\r\n"
              "554 5.7.1 <victim@example.net>: Relay access denied\r\n"
              "221 2.0.0 Bye\r\n"),
        .expect = "250 2.1.0 Ok\n"
                  "554 5.7.1 <victim@example.net>: Relay access denied\n"
                  "221 2.0.0 Bye\n",
    },
    {
        .name = "postfix_postscreen_multiline_greeting",
        BYTES("220-mx.example.org ESMTP Postfix\r\n"
              "220 mx.example.org ESMTP Postfix\r\n"),
        .expect = "220-mx.example.org ESMTP Postfix\n"
                  "220 mx.example.org ESMTP Postfix\n",
    },
    {
        .name = "exim",
        BYTES("220 mx.example.net ESMTP Exim 4.96 Mon, 01 Jan 2024 12:00:00 +0000\r\n"
              "250-mx.example.net Hello client.example.com [192.0.2.10]\r\n"
              "250-SIZE 52428800\r\n"
              "250-8BITMIME\r\n"
              "250-PIPELINING\r\n"
              "250-PIPE_CONNECT\r\n"
              "250-AUTH PLAIN LOGIN\r\n"
              "250-CHUNKING\r\n"
              "250-STARTTLS\r\n"
              "250-PRDR\r\n"
              "250 HELP\r\n"
              "252 Administrative prohibition\r\n"),
        .expect = "220 mx.example.net ESMTP Exim 4.96 Mon, 01 Jan 2024 12:00:00 +0000\n"
                  "250-mx.example.net Hello client.example.com [192.0.2.10]\n"
                  "250-SIZE 52428800\n"
                  "250-8BITMIME\n"
                  "250-PIPELINING\n"
                  "250-PIPE_CONNECT\n"
                  "250-AUTH PLAIN LOGIN\n"
                  "250-CHUNKING\n"
                  "250-STARTTLS\n"
                  "250-PRDR\n"
                  "250 HELP\n"
                  "252 Administrative prohibition\n",
    },
    {
        .name = "sendmail",
        BYTES("220 mail.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9; "
              "Mon, 1 Jan 2024 12:00:00 GMT\r\n"
              "250-mail.example.com Hello client.example.org [192.0.2.10], "
              "pleased to meet you\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-PIPELINING\r\n"
              "250-8BITMIME\r\n"
              "250-SIZE\r\n"
              "250-DSN\r\n"
              "250-ETRN\r\n"
              "250-AUTH DIGEST-MD5 CRAM-MD5\r\n"
              "250-DELIVERBY\r\n"
              "250 HELP\r\n"
              "214-2.0.0 This is sendmail\r\n"
              "214-2.0.0 Topics:\r\n"
              "214-2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA\r\n"
              "214 2.0.0 End of HELP info\r\n"),
        .expect = "220 mail.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9; "
                  "Mon, 1 Jan 2024 12:00:00 GMT\n"
                  "250-mail.example.com Hello client.example.org [192.0.2.10], "
                  "pleased to meet you\n"
                  "250-ENHANCEDSTATUSCODES\n"
                  "250-PIPELINING\n"
                  "250-8BITMIME\n"
                  "250-SIZE\n"
                  "250-DSN\n"
                  "250-ETRN\n"
                  "250-AUTH DIGEST-MD5 CRAM-MD5\n"
                  "250-DELIVERBY\n"
                  "250 HELP\n"
                  "214-2.0.0 This is sendmail\n"
                  "214-2.0.0 Topics:\n"
                  "214-2.0.0 \tHELO\tEHLO\tMAIL\tRCPT\tDATA\n"
                  "214 2.0.0 End of HELP info\n",
    },
    {
        .name = "exchange",
        BYTES("220 EXCH01.contoso.com Microsoft ESMTP MAIL Service ready at "
              "Mon, 1 Jan 2024 12:00:00 +0000\r\n"
              "250-EXCH01.contoso.com Hello [192.0.2.10]\r\n"
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
              "250 XSHADOWREQUEST\r\n"
              "504 5.7.4 Unrecognized authentication type\r\n"),
        .expect = "220 EXCH01.contoso.com Microsoft ESMTP MAIL Service ready at "
                  "Mon, 1 Jan 2024 12:00:00 +0000\n"
                  "250-EXCH01.contoso.com Hello [192.0.2.10]\n"
                  "250-SIZE 37748736\n"
                  "250-PIPELINING\n"
                  "250-DSN\n"
                  "250-ENHANCEDSTATUSCODES\n"
                  "250-STARTTLS\n"
                  "250-X-ANONYMOUSTLS\n"
                  "250-AUTH NTLM\n"
                  "250-X-EXPS GSSAPI NTLM\n"
                  "250-8BITMIME\n"
                  "250-BINARYMIME\n"
                  "250-CHUNKING\n"
                  "250-XEXCH50\n"
                  "250-XRDST\n"
                  "250 XSHADOWREQUEST\n"
                  "504 5.7.4 Unrecognized authentication type\n",
    },
    {
        .name = "opensmtpd",
        BYTES("220 mx.example.org ESMTP OpenSMTPD\r\n"
              "250-mx.example.org Hello client.example.com [192.0.2.10], pleased to "
              "meet you\r\n"
              "250-8BITMIME\r\n"
              "250-ENHANCEDSTATUSCODES\r\n"
              "250-SIZE 36700160\r\n"
              "250-DSN\r\n"
              "250-STARTTLS\r\n"
              "250 HELP\r\n"
              "530 5.5.1 Invalid command: Must issue a STARTTLS command first\r\n"),
        .expect = "220 mx.example.org ESMTP OpenSMTPD\n"
                  "250-mx.example.org Hello client.example.com [192.0.2.10], pleased to "
                  "meet you\n"
                  "250-8BITMIME\n"
                  "250-ENHANCEDSTATUSCODES\n"
                  "250-SIZE 36700160\n"
                  "250-DSN\n"
                  "250-STARTTLS\n"
                  "250 HELP\n"
                  "530 5.5.1 Invalid command: Must issue a STARTTLS command first\n",
    },
    {
        .name = "pipelined_group",
        BYTES("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"),
        .expect = "250 2.1.0 Ok\n250 2.1.5 Ok\n354 End data with <CR><LF>.<CR><LF>\n",
    },
    {
        .name = "bare_lf_line_endings",
        BYTES("220 lf.example ESMTP\n250-lf.example\n250 PIPELINING\n"),
        .expect = "220 lf.example ESMTP\n250-lf.example\n250 PIPELINING\n",
    },
    {
        .name = "mixed_crlf_and_lf",
        BYTES("250-a\r\n250-b\n250 c\r\n"),
        .expect = "250-a\n250-b\n250 c\n",
    },
    {
        .name = "bare_code_has_empty_text",
        BYTES("250\r\n354\n"),
        .expect = "250 \n354 \n",
    },
    {
        .name = "empty_texts",
        BYTES("250-\r\n250 \r\n"),
        .expect = "250-\n250 \n",
    },
    {
        .name = "lone_cr_is_data",
        BYTES("250 a\rb\r\r\n"),
        .expect = "250 a\rb\r\n",
    },
    {
        .name = "binary_and_escape_bytes_are_kept",
        BYTES("220 \x1b[2J\x1b]0;owned\x07 \xff\xfe\x80 ESMTP\r\n"),
        .expect = "220 \x1b[2J\x1b]0;owned\x07 \xff\xfe\x80 ESMTP\n",
    },
    {
        .name = "tarpit_421",
        BYTES("421 4.7.0 mx.example.org Error: too many errors\r\n"),
        .expect = "421 4.7.0 mx.example.org Error: too many errors\n",
    },
    {
        .name = "partial_reply_at_end",
        BYTES("220 ok\r\n250-mx.example.org\r\n250-PIPE"),
        .expect = "220 ok\nincomplete\n",
    },
    {
        .name = "cr_at_end",
        BYTES("220 ok\r"),
        .expect = "incomplete\n",
    },
    {
        .name = "nul_byte",
        BYTES("220 mx.example.org\0 ESMTP\r\n"),
        .expect = "error SMTP protocol violation: NUL byte in reply line 1\n",
    },
    {
        .name = "nul_byte_in_continuation",
        BYTES("250-mx\r\n250-\0\r\n"),
        .expect = "error SMTP protocol violation: NUL byte in reply line 2\n",
    },
    {
        .name = "mixed_codes",
        BYTES("250-mx.example.org\r\n251 PIPELINING\r\n"),
        .expect = "error SMTP protocol violation: reply line code 251 differs from 250\n",
    },
    {
        .name = "mixed_codes_after_good_reply",
        BYTES("220 ok\r\n250-a\r\n550 b\r\n"),
        .expect = "220 ok\n"
                  "error SMTP protocol violation: reply line code 550 differs from 250\n",
    },
    {
        .name = "letter_in_code",
        BYTES("2x0 hello\r\n"),
        .expect = "error SMTP protocol violation: reply line has no code 2xx..5xx "
                  "(byte 0x78 at offset 1)\n",
    },
    {
        .name = "code_600",
        BYTES("600 beyond the range\r\n"),
        .expect = "error SMTP protocol violation: reply line has no code 2xx..5xx "
                  "(byte 0x36 at offset 0)\n",
    },
    {
        .name = "code_199",
        BYTES("199 below the range\r\n"),
        .expect = "error SMTP protocol violation: reply line has no code 2xx..5xx "
                  "(byte 0x31 at offset 0)\n",
    },
    {
        .name = "code_without_separator",
        BYTES("250x\r\n"),
        .expect = "error SMTP protocol violation: reply code 250 followed by byte 0x78, "
                  "not '-' or ' '\n",
    },
    {
        .name = "four_digit_code",
        BYTES("2500 ok\r\n"),
        .expect = "error SMTP protocol violation: reply code 250 followed by byte 0x30, "
                  "not '-' or ' '\n",
    },
    {
        .name = "cr_as_separator",
        BYTES("250\r-x\r\n"),
        .expect = "error SMTP protocol violation: reply code 250 followed by byte 0x0d, "
                  "not '-' or ' '\n",
    },
    {
        .name = "short_line",
        BYTES("25\r\n"),
        .expect = "error SMTP protocol violation: reply line of 2 bytes has no code\n",
    },
    {
        .name = "empty_line",
        BYTES("220 ok\r\n\r\n"),
        .expect = "220 ok\nerror SMTP protocol violation: reply line of 0 bytes has no code\n",
    },
    {
        .name = "http_server",
        BYTES("HTTP/1.1 400 Bad Request\r\n"),
        .expect = "error SMTP protocol violation: reply line has no code 2xx..5xx "
                  "(byte 0x48 at offset 0)\n",
    },
    {
        .name = "escape_sequence_instead_of_code",
        BYTES("220 ok\r\n\x1b[2J250 ok\r\n"),
        .expect = "220 ok\nerror SMTP protocol violation: reply line has no code "
                  "2xx..5xx (byte 0x1b at offset 0)\n",
    },
    {
        .name = "line_at_max_line",
        .lim = {.max_line = 16, .max_lines = 128, .max_total = 32768},
        BYTES("250 0123456789ab\r\n"),
        .expect = "250 0123456789ab\n",
    },
    {
        .name = "line_beyond_max_line",
        .lim = {.max_line = 16, .max_lines = 128, .max_total = 32768},
        BYTES("250 0123456789abc\r\n"),
        .expect = "error input exceeds a limit: reply line exceeds 16 bytes\n",
    },
    {
        .name = "cr_beyond_max_line",
        .lim = {.max_line = 16, .max_lines = 128, .max_total = 32768},
        BYTES("250 0123456789ab\rx\n"),
        .expect = "error input exceeds a limit: reply line exceeds 16 bytes\n",
    },
    {
        .name = "lines_at_max_lines",
        .lim = {.max_line = 2048, .max_lines = 3, .max_total = 32768},
        BYTES("250-a\r\n250-b\r\n250 c\r\n"),
        .expect = "250-a\n250-b\n250 c\n",
    },
    {
        .name = "lines_beyond_max_lines",
        .lim = {.max_line = 2048, .max_lines = 3, .max_total = 32768},
        BYTES("250-a\r\n250-b\r\n250-c\r\n250 d\r\n"),
        .expect = "error input exceeds a limit: reply has more than 3 lines\n",
    },
    {
        .name = "reply_at_max_total_twice",
        .lim = {.max_line = 2048, .max_lines = 128, .max_total = 20},
        BYTES("250-abcdef\r\n250 gh\r\n250-abcdef\r\n250 gh\r\n"),
        .expect = "250-abcdef\n250 gh\n250-abcdef\n250 gh\n",
    },
    {
        .name = "reply_beyond_max_total",
        .lim = {.max_line = 2048, .max_lines = 128, .max_total = 20},
        BYTES("250-abcdef\r\n250 ghi\r\n"),
        .expect = "error input exceeds a limit: reply exceeds 20 bytes\n",
    },
};

#define NTRANSCRIPTS (sizeof(transcripts) / sizeof(transcripts[0]))

static void render_reply(FILE *f, const struct smtp_reply *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		fprintf(f, "%d%c%s\n", r->code, i + 1 < r->nlines ? '-' : ' ', r->lines[i]);
}

/*
 * Feeds t in chunks of at most chunk bytes, as a network read loop would,
 * and renders what came out. Checks on the way that *used never exceeds
 * the chunk, that a reply's wire_len is exactly the bytes consumed since
 * the previous reply, and that the parser is idle after each reply.
 */
static char *run_transcript(const struct transcript *t, size_t chunk)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, t->lim.max_line != 0 ? &t->lim : NULL);
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	cr_assert_not_null(f);
	size_t off = 0, reply_start = 0;
	int rc = SMTP_REPLY_NEED_MORE;
	while (off < t->len && rc >= 0) {
		size_t n = t->len - off < chunk ? t->len - off : chunk;
		size_t used = 0;
		struct smtp_reply r;
		rc = smtp_reply_parser_feed(&p, t->bytes + off, n, &used, &r);
		cr_assert_leq(used, n, "%s: used %zu of %zu", t->name, used, n);
		off += used;
		if (rc == SMTP_REPLY_COMPLETE) {
			cr_assert_eq(r.wire_len, off - reply_start, "%s: wire_len %zu", t->name,
			             r.wire_len);
			cr_assert(smtp_reply_parser_idle(&p));
			render_reply(f, &r);
			smtp_reply_free(&r);
			reply_start = off;
		} else if (rc == SMTP_REPLY_NEED_MORE) {
			cr_assert_eq(used, n, "%s: NEED_MORE must consume everything", t->name);
		}
	}
	if (rc < 0)
		fprintf(f, "error %s: %s\n", sa_error_str(rc), smtp_reply_parser_error(&p));
	else if (!smtp_reply_parser_idle(&p))
		fputs("incomplete\n", f);
	fclose(f);
	smtp_reply_parser_free(&p);
	return text;
}

ParameterizedTestParameters(smtp_reply, parses_transcript)
{
	return cr_make_param_array(struct transcript, transcripts, NTRANSCRIPTS);
}

ParameterizedTest(const struct transcript *t, smtp_reply, parses_transcript, .timeout = 10)
{
	char *got = run_transcript(t, t->len);
	cr_assert_str_eq(got, t->expect, "transcript %s", t->name);
	free(got);
}

ParameterizedTestParameters(smtp_reply, segmentation_does_not_matter)
{
	return cr_make_param_array(struct transcript, transcripts, NTRANSCRIPTS);
}

ParameterizedTest(const struct transcript *t, smtp_reply, segmentation_does_not_matter,
                  .timeout = 10)
{
	static const size_t chunks[] = {1, 2, 3, 5, 7, 64};
	char *whole = run_transcript(t, t->len);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		char *pieces = run_transcript(t, chunks[i]);
		cr_assert_str_eq(pieces, whole, "transcript %s in chunks of %zu", t->name,
		                 chunks[i]);
		free(pieces);
	}
	free(whole);
}

Test(smtp_reply, stops_right_after_a_complete_reply, .timeout = 10)
{
	/* A second reply in the same read is what pipelining abuse looks like. */
	static const char buf[] = "220 ready\r\n250 injected\r\n";
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 0;
	cr_assert_eq(smtp_reply_parser_feed(&p, buf, sizeof(buf) - 1, &used, &r),
	             SMTP_REPLY_COMPLETE);
	cr_assert_eq(used, strlen("220 ready\r\n"));
	cr_assert_eq(r.code, 220);
	cr_assert_str_eq(r.lines[0], "ready");
	smtp_reply_free(&r);

	cr_assert_eq(smtp_reply_parser_feed(&p, buf + used, sizeof(buf) - 1 - used, &used, &r),
	             SMTP_REPLY_COMPLETE);
	cr_assert_eq(used, strlen("250 injected\r\n"));
	cr_assert_eq(r.code, 250);
	cr_assert_str_eq(r.lines[0], "injected");
	smtp_reply_free(&r);
	smtp_reply_parser_free(&p);
}

Test(smtp_reply, empty_feed_consumes_nothing, .timeout = 10)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 1;
	cr_assert_eq(smtp_reply_parser_feed(&p, "", 0, &used, &r), SMTP_REPLY_NEED_MORE);
	cr_assert_eq(used, 0);
	cr_assert(smtp_reply_parser_idle(&p));
	smtp_reply_parser_free(&p);
}

static void assert_holds_no_memory(const struct smtp_reply_parser *p)
{
	cr_assert(smtp_reply_parser_idle(p));
	cr_assert_null(p->line);
	cr_assert_eq(p->line_cap, 0);
	cr_assert_eq(p->line_len, 0);
	cr_assert_null(p->lines);
	cr_assert_eq(p->lines_cap, 0);
	cr_assert_eq(p->nlines, 0);
}

Test(smtp_reply, idle_parser_holds_no_memory, .timeout = 10)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	assert_holds_no_memory(&p);

	struct smtp_reply r;
	size_t used;
	cr_assert_eq(smtp_reply_parser_feed(&p, "250-mx\r\n", 8, &used, &r), SMTP_REPLY_NEED_MORE);
	cr_assert_not(smtp_reply_parser_idle(&p));
	cr_assert_not_null(p.lines);
	cr_assert_eq(smtp_reply_parser_feed(&p, "250 PIPELINING\r\n", 16, &used, &r),
	             SMTP_REPLY_COMPLETE);
	cr_assert_eq(r.nlines, 2);
	assert_holds_no_memory(&p);
	smtp_reply_free(&r);

	/* A CR held back at the end of a read is part of a partial reply. */
	cr_assert_eq(smtp_reply_parser_feed(&p, "\r", 1, &used, &r), SMTP_REPLY_NEED_MORE);
	cr_assert_not(smtp_reply_parser_idle(&p));
	smtp_reply_parser_free(&p);
}

Test(smtp_reply, error_drops_the_partial_reply, .timeout = 10)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used;
	static const char buf[] = "250-a\r\n250-b\r\n2x";
	cr_assert_eq(smtp_reply_parser_feed(&p, buf, sizeof(buf) - 1, &used, &r), SA_ERROR_PROTO);
	cr_assert_eq(used, sizeof(buf) - 1);
	assert_holds_no_memory(&p);
	cr_assert_str_eq(smtp_reply_parser_error(&p),
	                 "reply line has no code 2xx..5xx (byte 0x78 at offset 1)");
	smtp_reply_parser_free(&p);
}

Test(smtp_reply, reset_clears_error_and_partial_reply, .timeout = 10)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	cr_assert_str_eq(smtp_reply_parser_error(&p), "");
	struct smtp_reply r;
	size_t used;
	cr_assert_eq(smtp_reply_parser_feed(&p, "600\r\n", 5, &used, &r), SA_ERROR_PROTO);
	cr_assert_neq(smtp_reply_parser_error(&p)[0], '\0');
	smtp_reply_parser_reset(&p);
	cr_assert_str_eq(smtp_reply_parser_error(&p), "");

	cr_assert_eq(smtp_reply_parser_feed(&p, "250-half", 8, &used, &r), SMTP_REPLY_NEED_MORE);
	smtp_reply_parser_reset(&p);
	assert_holds_no_memory(&p);
	cr_assert_eq(smtp_reply_parser_feed(&p, "220 ok\r\n", 8, &used, &r), SMTP_REPLY_COMPLETE);
	cr_assert_eq(r.code, 220);
	smtp_reply_free(&r);
	smtp_reply_parser_free(&p);
}

/* A buffer of n bytes made of pattern repeated (the last copy cut short). */
static char *repeat(const char *pattern, size_t n)
{
	char *buf = malloc(n);
	cr_assert_not_null(buf);
	size_t plen = strlen(pattern);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern[i % plen];
	return buf;
}

#define MIB ((size_t)1024 * 1024)

Test(smtp_reply, megabyte_line_fails_as_soon_as_max_line_is_exceeded, .timeout = 10)
{
	char *buf = repeat("A", MIB);
	memcpy(buf, "250 ", 4);
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 0;
	cr_assert_eq(smtp_reply_parser_feed(&p, buf, MIB, &used, &r), SA_ERROR_TOOBIG);
	cr_assert_eq(used, SMTP_REPLY_DEFAULT_MAX_LINE + 1);
	cr_assert_str_eq(smtp_reply_parser_error(&p), "reply line exceeds 2048 bytes");
	assert_holds_no_memory(&p);
	smtp_reply_parser_free(&p);
	free(buf);
}

Test(smtp_reply, megabyte_line_fed_byte_by_byte_never_buffers_beyond_max_line, .timeout = 20)
{
	char *buf = repeat("A", MIB);
	memcpy(buf, "250 ", 4);
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 0, off = 0;
	int rc = SMTP_REPLY_NEED_MORE;
	while (rc == SMTP_REPLY_NEED_MORE && off < MIB) {
		rc = smtp_reply_parser_feed(&p, buf + off, 1, &used, &r);
		off += used;
		cr_assert_leq(p.line_cap, SMTP_REPLY_DEFAULT_MAX_LINE);
	}
	cr_assert_eq(rc, SA_ERROR_TOOBIG);
	cr_assert_eq(off, SMTP_REPLY_DEFAULT_MAX_LINE + 1);
	smtp_reply_parser_free(&p);
	free(buf);
}

Test(smtp_reply, endless_continuation_hits_max_lines, .timeout = 10)
{
	char *buf = repeat("250-x\r\n", MIB);
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 0;
	cr_assert_eq(smtp_reply_parser_feed(&p, buf, MIB, &used, &r), SA_ERROR_TOOBIG);
	/* The line that would be number max_lines + 1 is refused at its end. */
	cr_assert_eq(used, (SMTP_REPLY_DEFAULT_MAX_LINES + 1) * strlen("250-x\r\n"));
	cr_assert_str_eq(smtp_reply_parser_error(&p), "reply has more than 128 lines");
	assert_holds_no_memory(&p);
	smtp_reply_parser_free(&p);
	free(buf);
}

Test(smtp_reply, endless_long_continuation_hits_max_total, .timeout = 10)
{
	/* Lines just under max_line: max_total is reached before max_lines. */
	enum { LINE = 2000 };
	char line[LINE + 1];
	memset(line, 'x', LINE);
	memcpy(line, "250-", 4);
	memcpy(line + LINE - 2, "\r\n", 2);
	line[LINE] = '\0';
	char *buf = repeat(line, MIB);
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used = 0;
	cr_assert_eq(smtp_reply_parser_feed(&p, buf, MIB, &used, &r), SA_ERROR_TOOBIG);
	cr_assert_eq(used, SMTP_REPLY_DEFAULT_MAX_TOTAL + 1);
	cr_assert_str_eq(smtp_reply_parser_error(&p), "reply exceeds 32768 bytes");
	assert_holds_no_memory(&p);
	smtp_reply_parser_free(&p);
	free(buf);
}

static struct smtp_reply parse_one(const char *text)
{
	struct smtp_reply_parser p;
	smtp_reply_parser_init(&p, NULL);
	struct smtp_reply r;
	size_t used;
	cr_assert_eq(smtp_reply_parser_feed(&p, text, strlen(text), &used, &r), SMTP_REPLY_COMPLETE,
	             "%s", smtp_reply_parser_error(&p));
	cr_assert_eq(used, strlen(text));
	smtp_reply_parser_free(&p);
	return r;
}

Test(smtp_reply, class_is_the_first_digit, .timeout = 10)
{
	struct smtp_reply r = parse_one("451 4.3.0 Try again later\r\n");
	cr_assert_eq(smtp_reply_class(&r), 4);
	smtp_reply_free(&r);
}

Test(smtp_reply, copy_is_deep, .timeout = 10)
{
	struct smtp_reply r = parse_one("250-mx.example.org\r\n250-SIZE 1000\r\n250 DSN\r\n");
	struct smtp_reply c;
	cr_assert_eq(smtp_reply_copy(&c, &r), 0);
	cr_assert_eq(c.code, 250);
	cr_assert_eq(c.nlines, 3);
	cr_assert_eq(c.wire_len, r.wire_len);
	for (size_t i = 0; i < c.nlines; i++) {
		cr_assert_neq(c.lines[i], r.lines[i]);
		cr_assert_str_eq(c.lines[i], r.lines[i]);
	}
	smtp_reply_free(&r);
	cr_assert_str_eq(c.lines[2], "DSN");
	smtp_reply_free(&c);
	cr_assert_null(c.lines);
	cr_assert_eq(c.nlines, 0);
}

Test(smtp_reply, copy_of_empty_reply, .timeout = 10)
{
	struct smtp_reply empty = {.code = 250};
	struct smtp_reply c;
	cr_assert_eq(smtp_reply_copy(&c, &empty), 0);
	cr_assert_eq(c.code, 250);
	cr_assert_null(c.lines);
	smtp_reply_free(&c);
}

Test(smtp_reply, join_uses_newlines, .timeout = 10)
{
	struct smtp_reply r = parse_one("250-mx.example.org\r\n250-\r\n250 DSN\r\n");
	char *joined = smtp_reply_join(&r);
	cr_assert_str_eq(joined, "mx.example.org\n\nDSN");
	free(joined);
	smtp_reply_free(&r);

	r = parse_one("250\r\n");
	joined = smtp_reply_join(&r);
	cr_assert_str_eq(joined, "");
	free(joined);
	smtp_reply_free(&r);
}

struct enhanced_case {
	char text[48];   /* first line of a reply */
	char expect[16]; /* "": no enhanced code */
};

static const struct enhanced_case enhanced_cases[] = {
    {"5.7.1 Relay access denied", "5.7.1"},
    {"2.0.0 Ok: queued as 4Xz1Lb3Hq2z9sWN", "2.0.0"},
    {"4.7.0 Temporary authentication failure", "4.7.0"},
    {"5.999.999 widest codes", "5.999.999"},
    {"5.1.1", "5.1.1"},
    {"5.7.0 ", "5.7.0"},
    {"3.1.1 class 3 does not exist", ""},
    {"1.1.1 nor class 1", ""},
    {"5.1000.1 subject beyond 999", ""},
    {"5.1.1000 detail beyond 999", ""},
    {"5.7 two parts", ""},
    {"5..1 empty subject", ""},
    {"5.7. empty detail", ""},
    {"5.7.1x glued to text", ""},
    {".5.7.1 leading dot", ""},
    {"Relay access denied", ""},
    {"", ""},
    {"5", ""},
    {"5.", ""},
};

ParameterizedTestParameters(smtp_reply, enhanced_status_code)
{
	return cr_make_param_array(struct enhanced_case, enhanced_cases,
	                           sizeof(enhanced_cases) / sizeof(enhanced_cases[0]));
}

ParameterizedTest(const struct enhanced_case *c, smtp_reply, enhanced_status_code, .timeout = 10)
{
	char *line = strdup(c->text);
	cr_assert_not_null(line);
	struct smtp_reply r = {.code = 550, .nlines = 1, .lines = &line};
	char buf[16] = "unchanged";
	bool found = smtp_reply_enhanced(&r, buf, sizeof(buf));
	if (c->expect[0] != '\0') {
		cr_assert(found, "'%s' has %s", c->text, c->expect);
		cr_assert_str_eq(buf, c->expect);
	} else {
		cr_assert_not(found, "'%s' has none, got %s", c->text, buf);
	}
	free(line);
}

Test(smtp_reply, enhanced_needs_room_and_a_line, .timeout = 10)
{
	struct smtp_reply r = parse_one("550 5.7.1 Relay access denied\r\n");
	char small[5];
	cr_assert_not(smtp_reply_enhanced(&r, small, sizeof(small)));
	char exact[6];
	cr_assert(smtp_reply_enhanced(&r, exact, sizeof(exact)));
	cr_assert_str_eq(exact, "5.7.1");
	smtp_reply_free(&r);

	struct smtp_reply none = {.code = 550};
	char buf[16];
	cr_assert_not(smtp_reply_enhanced(&none, buf, sizeof(buf)));
}
