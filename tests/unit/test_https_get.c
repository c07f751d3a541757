/*
 * NAME
 *	test_https_get - the bounded HTTP/1.1 response parser of https_get, byte by byte
 *
 * DESCRIPTION
 *	Each transcript is fed whole, one byte at a time and split in two at
 *	every position: the outcome must not depend on how TCP cut it. A
 *	transcript that does not complete is then ended by the server's
 *	close. Framing by Content-Length, chunked coding and close; interim
 *	responses; every malformation and limit with its one-line reason. The
 *	fetch over the network is tested in tests/integration/test_https_get.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "https_get.h"
#include "sa_error.h"

#define MAX_BODY 64

struct parse_case {
	const char *name;
	const char *input;
	size_t input_len;
	size_t max_body;  /* 0: MAX_BODY */
	bool needs_close; /* complete only when the server closes */
	int status;
	const char *error;
	int http_status;
	const char *content_type;
	const char *body;
};

#define INPUT(s) .input = (s), .input_len = sizeof(s) - 1

static const struct parse_case parse_cases[] = {
    {.name = "Content-Length",
     INPUT("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"),
     .http_status = 200,
     .content_type = "text/plain",
     .body = "hello"},
    {.name = "bytes after the body are ignored",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 500 Oops\r\n"),
     .http_status = 200,
     .body = "hi"},
    {.name = "bare line feeds, no reason phrase",
     INPUT("HTTP/1.0 200\nContent-Length: 2\n\nhi"),
     .http_status = 200,
     .body = "hi"},
    {.name = "chunked with extensions and trailers",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Type: Text/Plain;"
           " charset=utf-8\r\n\r\n5;ext=1\r\nhello\r\n1A \r\nabcdefghijklmnopqrstuvwxyz\r\n"
           "0\r\nX-Trailer: 1\r\n\r\n"),
     .http_status = 200,
     .content_type = "text/plain",
     .body = "helloabcdefghijklmnopqrstuvwxyz"},
    {.name = "chunked wins over Content-Length",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
           "2\r\nhi\r\n0\r\n\r\n"),
     .http_status = 200,
     .body = "hi"},
    {.name = "body until close",
     INPUT("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nversion: STSv1\r\n"),
     .needs_close = true,
     .http_status = 200,
     .content_type = "text/plain",
     .body = "version: STSv1\r\n"},
    {.name = "empty body until close",
     INPUT("HTTP/1.1 404 Not Found\r\n\r\n"),
     .needs_close = true,
     .http_status = 404,
     .body = ""},
    {.name = "204 has no body",
     INPUT("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
     .http_status = 204,
     .body = ""},
    {.name = "interim responses are skipped",
     INPUT("HTTP/1.1 100 Continue\r\nContent-Type: text/html\r\n\r\n"
           "HTTP/1.1 103 Early Hints\r\n\r\n"
           "HTTP/1.1 301 Moved Permanently\r\nLocation: https://x.test/\r\n"
           "Content-Length: 0\r\n\r\n"),
     .http_status = 301,
     .body = ""},
    {.name = "media type lower-cased without parameters",
     INPUT("HTTP/1.1 200 OK\r\nContent-Type:   TEXT/PLAIN ;charset=x  \r\nContent-Length: 0\r\n"
           "\r\n"),
     .http_status = 200,
     .content_type = "text/plain",
     .body = ""},
    {.name = "same Content-Length twice",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx"),
     .http_status = 200,
     .body = "x"},
    {.name = "body of exactly max_body",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd"),
     .max_body = 4,
     .http_status = 200,
     .body = "abcd"},

    {.name = "SMTP instead of HTTP",
     INPUT("220 mx.example.test ESMTP\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status line"},
    {.name = "HTTP/2 status line",
     INPUT("HTTP/2 200\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status line"},
    {.name = "two-digit status",
     INPUT("HTTP/1.1 20 OK\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status line"},
    {.name = "no space after the status",
     INPUT("HTTP/1.1 200OK\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status line"},
    {.name = "lower-case protocol",
     INPUT("http/1.1 200 OK\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status line"},
    {.name = "101 to a plain GET",
     INPUT("HTTP/1.1 101 Switching Protocols\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status code"},
    {.name = "status below 100",
     INPUT("HTTP/1.1 099 Odd\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad status code"},
    {.name = "header without a colon",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad header line"},
    {.name = "space before the colon",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad header line"},
    {.name = "folded header",
     INPUT("HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: folded header line"},
    {.name = "NUL in a header",
     INPUT("HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: control character in the head"},
    {.name = "bare CR inside a line",
     INPUT("HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: control character in the head"},
    {.name = "Content-Length not a number",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 5a\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad Content-Length"},
    {.name = "negative Content-Length",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad Content-Length"},
    {.name = "Content-Length list",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad Content-Length"},
    {.name = "Content-Length overflows 64 bits",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad Content-Length"},
    {.name = "conflicting Content-Length",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: conflicting Content-Length"},
    {.name = "gzip transfer coding",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: unsupported transfer coding"},
    {.name = "chunked twice",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: unsupported transfer coding"},
    {.name = "chunk size not hex",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad chunk size"},
    {.name = "empty chunk size",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad chunk size"},
    {.name = "chunk size overflows 64 bits",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: bad chunk size"},
    {.name = "chunk longer than its size",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"),
     .status = SA_ERROR_PARSE,
     .error = "malformed HTTP response: chunk longer than its size"},

    {.name = "Content-Length over max_body",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n"),
     .status = SA_ERROR_TOOBIG,
     .error = "body larger than 64 bytes"},
    {.name = "chunk over max_body",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n"
           "0123456789abcdef0123456789abcdef\r\n21\r\n"),
     .status = SA_ERROR_TOOBIG,
     .error = "body larger than 64 bytes"},
    {.name = "body until close over max_body",
     INPUT("HTTP/1.1 200 OK\r\n\r\n0123456789abcdef"),
     .max_body = 15,
     .status = SA_ERROR_TOOBIG,
     .error = "body larger than 15 bytes"},

    {.name = "closed before anything",
     INPUT(""),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection without a response"},
    {.name = "closed inside the status line",
     INPUT("HTTP/1.1 2"),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection inside the response head"},
    {.name = "closed inside the headers",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection inside the response head"},
    {.name = "closed inside a Content-Length body",
     INPUT("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe"),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection after 2 of 5 body bytes"},
    {.name = "closed inside a chunked body",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection inside the chunked body"},
    {.name = "closed inside the trailers",
     INPUT("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n"),
     .status = SA_ERROR_CLOSED,
     .error = "server closed the connection inside the chunked body"},
};

#define PARSE_CASES (sizeof(parse_cases) / sizeof(parse_cases[0]))

/* Feeds the pieces [0, split) and [split, len) (split == len: one piece; 0: byte by byte). */
static int parse(const struct parse_case *c, size_t split, struct https_get_parser **out)
{
	struct https_get_parser *p = https_get_parser_new(c->max_body ? c->max_body : MAX_BODY);
	cr_assert_not_null(p);
	*out = p;
	int rc = SA_ERROR_AGAIN;
	if (split == 0) {
		for (size_t i = 0; i < c->input_len && rc == SA_ERROR_AGAIN; i++)
			rc = https_get_parser_feed(p, c->input + i, 1);
	} else {
		rc = https_get_parser_feed(p, c->input, split);
		if (rc == SA_ERROR_AGAIN)
			rc = https_get_parser_feed(p, c->input + split, c->input_len - split);
	}
	return rc;
}

static void check(const struct parse_case *c, size_t split)
{
	struct https_get_parser *p;
	int rc = parse(c, split, &p);
	if (rc == SA_ERROR_AGAIN) {
		cr_expect(c->needs_close || c->status == SA_ERROR_CLOSED,
		          "%s (split %zu): incomplete before the close", c->name, split);
		rc = https_get_parser_close(p);
	} else {
		cr_expect_not(c->needs_close, "%s (split %zu): complete before the close", c->name,
		              split);
	}
	cr_expect_eq(rc, c->status, "%s (split %zu): %d %s", c->name, split, rc,
	             https_get_parser_error(p));
	if (c->status != 0) {
		cr_expect_str_eq(https_get_parser_error(p), c->error, "%s (split %zu)", c->name,
		                 split);
		cr_expect_eq(https_get_parser_feed(p, "x", 1), c->status, "%s: an error stays",
		             c->name);
		https_get_parser_free(p);
		return;
	}
	cr_expect_str_eq(https_get_parser_error(p), "");
	struct https_get_response r = {0};
	https_get_parser_result(p, &r);
	cr_expect_eq(r.http_status, c->http_status, "%s (split %zu)", c->name, split);
	if (c->content_type != NULL)
		cr_expect_str_eq(r.content_type, c->content_type, "%s (split %zu)", c->name, split);
	else
		cr_expect_null(r.content_type, "%s (split %zu)", c->name, split);
	cr_assert_not_null(r.body, "%s", c->name);
	cr_expect_eq(r.body_len, strlen(c->body), "%s (split %zu)", c->name, split);
	cr_expect_eq(memcmp(r.body, c->body, r.body_len + 1), 0, "%s (split %zu): \"%s\"", c->name,
	             split, r.body);
	cr_expect_eq(https_get_parser_feed(p, "more", 4), 0, "%s: complete stays complete",
	             c->name);
	cr_expect_eq(https_get_parser_close(p), 0);
	https_get_parser_free(p);
}

/* Indices: a worker reads the table itself rather than pointers copied out of the runner. */
ParameterizedTestParameters(https_get, parses_whatever_the_pieces)
{
	static size_t ids[PARSE_CASES];
	for (size_t i = 0; i < PARSE_CASES; i++)
		ids[i] = i;
	return cr_make_param_array(size_t, ids, PARSE_CASES);
}

ParameterizedTest(size_t *id, https_get, parses_whatever_the_pieces)
{
	const struct parse_case *c = &parse_cases[*id];
	check(c, 0);
	for (size_t split = 1; split <= c->input_len; split++)
		check(c, split);
}

/* A status line, then X-Filler lines, up to head_len bytes with the empty line. */
static char *head_of(size_t head_len)
{
	static const char status[] = "HTTP/1.1 200 OK\r\n";
	char *head = malloc(head_len + 1);
	cr_assert_not_null(head);
	size_t len = strlen(status);
	memcpy(head, status, len);
	while (head_len - len - 2 > 1024) {
		len += (size_t)sprintf(head + len, "X-Filler: %0*d\r\n", 1000, 0);
	}
	size_t rest = head_len - len - 2; /* one last line "X: ...\r\n" of this many bytes */
	cr_assert_geq(rest, 6);
	memcpy(head + len, "X: ", 3);
	memset(head + len + 3, 'a', rest - 5);
	memcpy(head + len + rest - 2, "\r\n\r\n", 4);
	head[head_len] = '\0';
	cr_assert_eq(strlen(head), head_len);
	return head;
}

Test(https_get, head_of_exactly_the_limit_passes_one_more_byte_fails)
{
	char *head = head_of(HTTPS_GET_HEAD_MAX);
	struct https_get_parser *p = https_get_parser_new(MAX_BODY);
	cr_assert_eq(https_get_parser_feed(p, head, HTTPS_GET_HEAD_MAX), SA_ERROR_AGAIN);
	cr_expect_eq(https_get_parser_close(p), 0, "%s", https_get_parser_error(p));
	https_get_parser_free(p);
	free(head);

	head = head_of(HTTPS_GET_HEAD_MAX + 1);
	p = https_get_parser_new(MAX_BODY);
	cr_expect_eq(https_get_parser_feed(p, head, HTTPS_GET_HEAD_MAX + 1), SA_ERROR_TOOBIG);
	cr_expect_str_eq(https_get_parser_error(p), "response header larger than 16384 bytes");
	https_get_parser_free(p);
	free(head);
}

Test(https_get, endless_header_line_and_trailers_stop_at_the_limit)
{
	struct https_get_parser *p = https_get_parser_new(MAX_BODY);
	cr_assert_eq(https_get_parser_feed(p, "HTTP/1.1 200 OK\r\nX: ", 20), SA_ERROR_AGAIN);
	char block[1000];
	memset(block, 'a', sizeof(block));
	int rc = SA_ERROR_AGAIN;
	size_t fed = 0;
	for (; rc == SA_ERROR_AGAIN && fed < 100 * sizeof(block); fed += sizeof(block))
		rc = https_get_parser_feed(p, block, sizeof(block));
	cr_expect_eq(rc, SA_ERROR_TOOBIG);
	cr_expect_leq(fed, HTTPS_GET_HEAD_MAX + sizeof(block));
	https_get_parser_free(p);

	/* Trailers share the head's budget. */
	p = https_get_parser_new(MAX_BODY);
	static const char start[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
	cr_assert_eq(https_get_parser_feed(p, start, strlen(start)), SA_ERROR_AGAIN);
	static const char trailer[] = "X-Trailer: 0123456789\r\n";
	rc = SA_ERROR_AGAIN;
	for (size_t i = 0; rc == SA_ERROR_AGAIN && i < HTTPS_GET_HEAD_MAX; i++)
		rc = https_get_parser_feed(p, trailer, strlen(trailer));
	cr_expect_eq(rc, SA_ERROR_TOOBIG);
	cr_expect_str_eq(https_get_parser_error(p), "response header larger than 16384 bytes");
	https_get_parser_free(p);
}

Test(https_get, endless_chunk_size_line_fails)
{
	struct https_get_parser *p = https_get_parser_new(MAX_BODY);
	static const char start[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;";
	cr_assert_eq(https_get_parser_feed(p, start, strlen(start)), SA_ERROR_AGAIN);
	int rc = SA_ERROR_AGAIN;
	for (size_t i = 0; rc == SA_ERROR_AGAIN && i < 10000; i++)
		rc = https_get_parser_feed(p, "e=x;", 4);
	cr_expect_eq(rc, SA_ERROR_PARSE);
	cr_expect_str_eq(https_get_parser_error(p),
	                 "malformed HTTP response: chunk size line too long");
	https_get_parser_free(p);
}

Test(https_get, endless_interim_responses_stop_at_the_head_limit)
{
	struct https_get_parser *p = https_get_parser_new(MAX_BODY);
	static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
	int rc = SA_ERROR_AGAIN;
	for (size_t i = 0; rc == SA_ERROR_AGAIN && i < HTTPS_GET_HEAD_MAX; i++)
		rc = https_get_parser_feed(p, interim, strlen(interim));
	cr_expect_eq(rc, SA_ERROR_TOOBIG);
	https_get_parser_free(p);
}
