/*
 * NAME
 *	https_get - one HTTPS GET with full certificate verification, on libuv
 *
 * SUMMARY
 *	struct https_get_request req = {
 *		.host = "mta-sts.example.org", .addrs = addrs, .naddrs = n, .port = 443,
 *		.path = "/.well-known/mta-sts.txt", .timeout_ms = 10000, .max_body = 64 * 1024,
 *	};
 *	struct https_get *g;
 *	if (https_get_start(loop, tls, &req, on_policy, arg, &g) == 0)
 *		... uv_run(); on_policy(arg, r) runs once: r->status, r->http_status, r->body ...
 *
 * DESCRIPTION
 *	Fetches https://HOST:PORT/PATH the way RFC 8461 section 3.3 wants an
 *	MTA-STS policy fetched: the addresses are tried in order until one
 *	accepts the connection; TLS runs through tls_conn (the client context
 *	verifies against the system store or a CA file); the request is one
 *	HTTP/1.1 GET with "Connection: close". Unlike an SMTP session, the
 *	certificate must be good: a chain that does not verify, or a leaf not
 *	valid for HOST, fails the fetch before the request is sent.
 *	Redirects are not followed (RFC 8461 3.3): a 301 is reported as such.
 *
 *	The response is read by a bounded parser: a status line and headers
 *	of at most HTTPS_GET_HEAD_MAX bytes, interim 1xx responses skipped,
 *	then a body framed by Content-Length, by chunked transfer-coding
 *	(chunk extensions and trailers ignored) or by the end of the
 *	connection, of at most max_body bytes. timeout_ms bounds the whole
 *	fetch, from the first connect to the last byte, whatever the server
 *	does. The parser is exposed (https_get_parser_*) so that it can be
 *	tested byte by byte without a network.
 *
 * DIAGNOSTICS
 *	https_get_start() returns SA_ERROR_INVAL (no address, an empty or
 *	unsafe host or path, a zero timeout or max_body) or SA_ERROR_NOMEM;
 *	then the callback never runs. Otherwise it returns 0 and the callback
 *	runs exactly once, from the loop, never inside https_get_start(), with
 *	status 0 (a response of any HTTP status) or:
 *
 *	SA_ERROR_REFUSED, _UNREACH, _IO   no address accepted: the last one's
 *	                                  error ("connection refused by 127.0.0.1:8443")
 *	SA_ERROR_TIMEOUT                  "timeout after 5000 ms"
 *	SA_ERROR_TLS                      the handshake failed (mbedTLS's words),
 *	                                  "certificate not trusted: REASON",
 *	                                  "certificate not valid for HOST"
 *	SA_ERROR_RESET, _CLOSED           "connection reset by 127.0.0.1:8443",
 *	                                  "server closed the connection after 10 of 99 body bytes"
 *	SA_ERROR_PARSE                    "malformed HTTP response: bad status line"
 *	SA_ERROR_TOOBIG                   "body larger than 65536 bytes",
 *	                                  "response header larger than 16384 bytes"
 *	SA_ERROR_CANCELED                 https_get_cancel()
 */
#ifndef HTTPS_GET_H
#define HTTPS_GET_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "target.h"

/* The status line and header fields together (trailers of a chunked body count as well). */
#define HTTPS_GET_HEAD_MAX (16 * 1024)

struct tls_ctx;
struct https_get;

struct https_get_request {
	const char *host; /* name for SNI, Host: header and certificate verification */
	const struct target_addr *addrs; /* already resolved; tried in order until one connects */
	size_t naddrs;
	uint16_t port;       /* 443 normally */
	const char *path;    /* "/.well-known/mta-sts.txt" */
	uint64_t timeout_ms; /* the whole fetch, connect to last byte */
	size_t max_body;     /* larger bodies fail */
};

struct https_get_response {
	int status;         /* 0 fetched (any HTTP status), or SA_ERROR_* */
	char detail[256];   /* when status != 0: one line saying what failed */
	int http_status;    /* 200, 404, 301 ... (redirects are not followed); 0 on failure */
	char *content_type; /* media type lower-cased without parameters ("text/plain"), or NULL */
	char *body;         /* NUL-terminated as well; "" for an empty body; NULL on failure */
	size_t body_len;
	char *address; /* numeric address that answered; NULL when none did */
};

/* r and everything it points to are valid during the call only. */
typedef void (*https_get_cb)(void *arg, const struct https_get_response *r);

/* The request's strings and addresses are copied: the caller may free them on return. */
int https_get_start(uv_loop_t *loop, struct tls_ctx *tls, const struct https_get_request *req,
                    https_get_cb cb, void *arg, struct https_get **out);

/* The callback runs (later, from the loop) with SA_ERROR_CANCELED; safe until the callback ran. */
void https_get_cancel(struct https_get *g);

/* ---- the response parser, without a network ---- */

struct https_get_parser;

/* NULL when out of memory. */
struct https_get_parser *https_get_parser_new(size_t max_body);
void https_get_parser_free(struct https_get_parser *p);

/*
 * Bytes as they arrived, in pieces of any size. 0 when the response is
 * complete (bytes after it are ignored), SA_ERROR_AGAIN when more are
 * wanted, else SA_ERROR_PARSE or SA_ERROR_TOOBIG; once it has returned 0
 * or an error, it returns the same again.
 */
int https_get_parser_feed(struct https_get_parser *p, const char *data, size_t len);

/*
 * The server closed the connection: 0 when that completes the response
 * (a body read until close, or a response already complete), else
 * SA_ERROR_CLOSED, or the earlier error.
 */
int https_get_parser_close(struct https_get_parser *p);

/* What went wrong, one line; "" while nothing did. */
const char *https_get_parser_error(const struct https_get_parser *p);

/*
 * A complete response's http_status, content_type, body and body_len
 * into r; the strings stay the parser's. Other fields are not touched.
 */
void https_get_parser_result(const struct https_get_parser *p, struct https_get_response *r);

#endif
