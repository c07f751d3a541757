/*
 * NAME
 *	https_get - one HTTPS GET with full certificate verification, on libuv
 *
 * DESCRIPTION
 *	See https_get.h. A fetch owns one timer, which bounds it from start to
 *	end, and one TCP handle, re-initialised for each address tried: a
 *	failed connect closes the handle and the close callback tries the next
 *	address. Every end goes through https_get_stop(), which closes both
 *	handles; the callback runs from the last close callback, so it never
 *	runs inside https_get_start() and the fetch's memory is freed right
 *	after it, with no handle or write request of it left in the loop.
 *
 *	The parser works on lines for the head, chunk sizes and trailers, in
 *	one buffer bounded by what is left of HTTPS_GET_HEAD_MAX (a chunk-size
 *	line by HTTPS_GET_CHUNK_LINE_MAX), and copies body bytes straight into
 *	a body buffer that never grows beyond max_body + 1.
 *
 * DIAGNOSTICS
 *	See https_get.h.
 */
#include "https_get.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "tls_conn.h"

/* "1a2b;name=value": a size and extensions no sane server makes long. */
#define HTTPS_GET_CHUNK_LINE_MAX 1024
#define HTTPS_GET_HOST_MAX       253
#define HTTPS_GET_DEFAULT_PORT   443
#define HTTPS_GET_PATH_MAX       2048
#define HTTPS_GET_READ_BUF       (16 * 1024)
/* "[" address "]:" port */
#define HTTPS_GET_PEER_MAX (46 + 8)

/* ---- the parser ---- */

enum https_get_parser_state {
	HTTPS_GET_STATUS_LINE,
	HTTPS_GET_HEADER_LINE,
	HTTPS_GET_BODY_LENGTH,
	HTTPS_GET_BODY_CLOSE,
	HTTPS_GET_CHUNK_SIZE,
	HTTPS_GET_CHUNK_DATA,
	HTTPS_GET_CHUNK_END,
	HTTPS_GET_TRAILER_LINE,
	HTTPS_GET_DONE,
	HTTPS_GET_FAILED,
};

struct https_get_parser {
	enum https_get_parser_state state;
	int error_code;
	size_t max_body;
	char *line; /* the line being read; HTTPS_GET_HEAD_MAX + 1 bytes */
	size_t line_len;
	size_t head_len; /* head and trailer bytes so far, against HTTPS_GET_HEAD_MAX */
	int http_status;
	bool chunked;
	bool have_length;
	uint64_t length;    /* Content-Length */
	uint64_t remaining; /* of the body or of the chunk */
	char *content_type;
	char *body;
	size_t body_len, body_cap;
	char error[160];
};

struct https_get_parser *https_get_parser_new(size_t max_body)
{
	struct https_get_parser *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->line = malloc(HTTPS_GET_HEAD_MAX + 1);
	if (p->line == NULL) {
		free(p);
		return NULL;
	}
	p->max_body = max_body;
	return p;
}

void https_get_parser_free(struct https_get_parser *p)
{
	if (p == NULL)
		return;
	free(p->line);
	free(p->content_type);
	free(p->body);
	free(p);
}

static int https_get_parser_fail(struct https_get_parser *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int https_get_parser_fail(struct https_get_parser *p, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	p->state = HTTPS_GET_FAILED;
	p->error_code = code;
	return code;
}

static int https_get_parser_malformed(struct https_get_parser *p, const char *what)
{
	return https_get_parser_fail(p, SA_ERROR_PARSE, "malformed HTTP response: %s", what);
}

static int https_get_parser_body_too_big(struct https_get_parser *p)
{
	return https_get_parser_fail(p, SA_ERROR_TOOBIG, "body larger than %zu bytes", p->max_body);
}

/* Makes room for want more body bytes, within max_body. */
static int https_get_parser_reserve(struct https_get_parser *p, uint64_t want)
{
	if (want > p->max_body - p->body_len)
		return https_get_parser_body_too_big(p);
	size_t need = p->body_len + (size_t)want + 1;
	if (need <= p->body_cap)
		return 0;
	size_t cap = p->body_cap ? p->body_cap : 1024;
	while (cap < need)
		cap *= 2;
	if (cap > p->max_body + 1)
		cap = p->max_body + 1;
	char *b = realloc(p->body, cap);
	if (b == NULL)
		return https_get_parser_fail(p, SA_ERROR_NOMEM, "out of memory");
	p->body = b;
	p->body_cap = cap;
	return 0;
}

static int https_get_parser_body(struct https_get_parser *p, const char *data, size_t len)
{
	int rc = https_get_parser_reserve(p, len);
	if (rc != 0)
		return rc;
	memcpy(p->body + p->body_len, data, len);
	p->body_len += len;
	p->body[p->body_len] = '\0';
	return 0;
}

static bool https_get_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool https_get_is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || https_get_is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int https_get_hex_value(char c)
{
	if (https_get_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char https_get_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Only visible ASCII, spaces and tabs: a NUL or a control byte in a head is an attack. */
static bool https_get_line_is_text(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static const char *https_get_skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void https_get_trim_ows_end(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* "HTTP/1.x NNN[ reason]" (RFC 9112 4). */
static int https_get_parser_status_line(struct https_get_parser *p, const char *line)
{
	if (strncmp(line, "HTTP/1.", 7) != 0 || !https_get_is_digit(line[7]) || line[8] != ' ' ||
	    !https_get_is_digit(line[9]) || !https_get_is_digit(line[10]) ||
	    !https_get_is_digit(line[11]) || (line[12] != ' ' && line[12] != '\0'))
		return https_get_parser_malformed(p, "bad status line");
	int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (status < 100 || status == 101)
		return https_get_parser_malformed(p, "bad status code");
	p->http_status = status;
	p->state = HTTPS_GET_HEADER_LINE;
	return 0;
}

static int https_get_parser_content_length(struct https_get_parser *p, const char *value)
{
	uint64_t n = 0;
	if (*value == '\0')
		return https_get_parser_malformed(p, "bad Content-Length");
	for (const char *s = value; *s != '\0'; s++) {
		if (!https_get_is_digit(*s) || n > (UINT64_MAX - 9) / 10)
			return https_get_parser_malformed(p, "bad Content-Length");
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (p->have_length && n != p->length)
		return https_get_parser_malformed(p, "conflicting Content-Length");
	p->have_length = true;
	p->length = n;
	return 0;
}

static int https_get_parser_transfer_encoding(struct https_get_parser *p, const char *value)
{
	if (strcasecmp(value, "chunked") != 0 || p->chunked)
		return https_get_parser_malformed(p, "unsupported transfer coding");
	p->chunked = true;
	return 0;
}

/* The media type, lower-cased, without parameters (RFC 9110 8.3.1). */
static int https_get_parser_content_type(struct https_get_parser *p, const char *value)
{
	size_t n = strcspn(value, ";");
	while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
		n--;
	char *type = malloc(n + 1);
	if (type == NULL)
		return https_get_parser_fail(p, SA_ERROR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		type[i] = https_get_lower(value[i]);
	type[n] = '\0';
	free(p->content_type);
	p->content_type = type;
	return 0;
}

static int https_get_parser_field(struct https_get_parser *p, char *line)
{
	if (line[0] == ' ' || line[0] == '\t')
		return https_get_parser_malformed(p, "folded header line");
	size_t name_len = 0;
	while (https_get_is_token_char(line[name_len]))
		name_len++;
	if (name_len == 0 || line[name_len] != ':')
		return https_get_parser_malformed(p, "bad header line");
	line[name_len] = '\0';
	char *value = (char *)https_get_skip_ows(line + name_len + 1);
	https_get_trim_ows_end(value);
	if (strcasecmp(line, "content-length") == 0)
		return https_get_parser_content_length(p, value);
	if (strcasecmp(line, "transfer-encoding") == 0)
		return https_get_parser_transfer_encoding(p, value);
	if (strcasecmp(line, "content-type") == 0)
		return https_get_parser_content_type(p, value);
	return 0;
}

/* The empty line after the fields: how the body is framed (RFC 9112 6.3). */
static int https_get_parser_head_done(struct https_get_parser *p)
{
	if (p->http_status < 200) {
		/* An interim response: the real one follows. */
		free(p->content_type);
		p->content_type = NULL;
		p->chunked = false;
		p->have_length = false;
		p->state = HTTPS_GET_STATUS_LINE;
		return 0;
	}
	int rc = https_get_parser_reserve(p, 0);
	if (rc != 0)
		return rc;
	p->body[0] = '\0';
	if (p->http_status == 204 || p->http_status == 304) {
		p->state = HTTPS_GET_DONE;
	} else if (p->chunked) {
		p->state = HTTPS_GET_CHUNK_SIZE;
	} else if (p->have_length) {
		if (p->length > p->max_body)
			return https_get_parser_body_too_big(p);
		rc = https_get_parser_reserve(p, p->length);
		if (rc != 0)
			return rc;
		p->remaining = p->length;
		p->state = p->length == 0 ? HTTPS_GET_DONE : HTTPS_GET_BODY_LENGTH;
	} else {
		p->state = HTTPS_GET_BODY_CLOSE;
	}
	return 0;
}

/* "1a2b[;ext]" (RFC 9112 7.1). */
static int https_get_parser_chunk_size(struct https_get_parser *p, const char *line)
{
	uint64_t size = 0;
	const char *s = line;
	for (; https_get_hex_value(*s) >= 0; s++) {
		if (size > (UINT64_MAX >> 4))
			return https_get_parser_malformed(p, "bad chunk size");
		size = size << 4 | (uint64_t)https_get_hex_value(*s);
	}
	s = https_get_skip_ows(s);
	if (s == line || (*s != '\0' && *s != ';'))
		return https_get_parser_malformed(p, "bad chunk size");
	if (size == 0) {
		p->state = HTTPS_GET_TRAILER_LINE;
		return 0;
	}
	int rc = https_get_parser_reserve(p, size);
	if (rc != 0)
		return rc;
	p->remaining = size;
	p->state = HTTPS_GET_CHUNK_DATA;
	return 0;
}

static int https_get_parser_line(struct https_get_parser *p, char *line, size_t len)
{
	if (!https_get_line_is_text(line, len))
		return https_get_parser_malformed(p, "control character in the head");
	switch (p->state) {
	case HTTPS_GET_STATUS_LINE:
		return https_get_parser_status_line(p, line);
	case HTTPS_GET_HEADER_LINE:
		return len == 0 ? https_get_parser_head_done(p) : https_get_parser_field(p, line);
	case HTTPS_GET_CHUNK_SIZE:
		return https_get_parser_chunk_size(p, line);
	case HTTPS_GET_CHUNK_END:
		if (len != 0)
			return https_get_parser_malformed(p, "chunk longer than its size");
		p->state = HTTPS_GET_CHUNK_SIZE;
		return 0;
	case HTTPS_GET_TRAILER_LINE:
		if (len == 0)
			p->state = HTTPS_GET_DONE;
		return 0;
	default:
		assert(!"not a line state");
		return SA_ERROR_INVAL;
	}
}

static bool https_get_parser_in_chunk_line(const struct https_get_parser *p)
{
	return p->state == HTTPS_GET_CHUNK_SIZE || p->state == HTTPS_GET_CHUNK_END;
}

/* How many more bytes the line being read may take: head and trailers share one budget. */
static size_t https_get_parser_line_room(const struct https_get_parser *p)
{
	if (https_get_parser_in_chunk_line(p))
		return HTTPS_GET_CHUNK_LINE_MAX - p->line_len;
	return HTTPS_GET_HEAD_MAX - p->head_len;
}

static int https_get_parser_line_too_long(struct https_get_parser *p)
{
	if (https_get_parser_in_chunk_line(p))
		return https_get_parser_malformed(p, "chunk size line too long");
	return https_get_parser_fail(p, SA_ERROR_TOOBIG, "response header larger than %d bytes",
	                             HTTPS_GET_HEAD_MAX);
}

/* Takes bytes up to and including a line feed; *used says how many. */
static int https_get_parser_take_line(struct https_get_parser *p, const char *data, size_t len,
                                      size_t *used)
{
	const char *lf = memchr(data, '\n', len);
	size_t n = lf != NULL ? (size_t)(lf - data) + 1 : len;
	*used = n;
	if (n > https_get_parser_line_room(p))
		return https_get_parser_line_too_long(p);
	memcpy(p->line + p->line_len, data, n);
	p->line_len += n;
	if (!https_get_parser_in_chunk_line(p))
		p->head_len += n;
	if (lf == NULL)
		return 0;
	size_t line_len = p->line_len - 1;
	if (line_len > 0 && p->line[line_len - 1] == '\r')
		line_len--;
	p->line[line_len] = '\0';
	p->line_len = 0;
	return https_get_parser_line(p, p->line, line_len);
}

/* Body bytes of a Content-Length body or a chunk. */
static int https_get_parser_take_counted(struct https_get_parser *p, const char *data, size_t len,
                                         size_t *used)
{
	size_t n = len < p->remaining ? len : (size_t)p->remaining;
	*used = n;
	int rc = https_get_parser_body(p, data, n);
	if (rc != 0)
		return rc;
	p->remaining -= n;
	if (p->remaining == 0)
		p->state = p->state == HTTPS_GET_CHUNK_DATA ? HTTPS_GET_CHUNK_END : HTTPS_GET_DONE;
	return 0;
}

int https_get_parser_feed(struct https_get_parser *p, const char *data, size_t len)
{
	while (len > 0 && p->state != HTTPS_GET_DONE && p->state != HTTPS_GET_FAILED) {
		size_t used = len;
		int rc;
		switch (p->state) {
		case HTTPS_GET_BODY_CLOSE:
			rc = https_get_parser_body(p, data, len);
			break;
		case HTTPS_GET_BODY_LENGTH:
		case HTTPS_GET_CHUNK_DATA:
			rc = https_get_parser_take_counted(p, data, len, &used);
			break;
		default:
			rc = https_get_parser_take_line(p, data, len, &used);
			break;
		}
		if (rc != 0)
			return rc;
		data += used;
		len -= used;
	}
	if (p->state == HTTPS_GET_FAILED)
		return p->error_code;
	return p->state == HTTPS_GET_DONE ? 0 : SA_ERROR_AGAIN;
}

int https_get_parser_close(struct https_get_parser *p)
{
	switch (p->state) {
	case HTTPS_GET_DONE:
		return 0;
	case HTTPS_GET_FAILED:
		return p->error_code;
	case HTTPS_GET_BODY_CLOSE:
		p->state = HTTPS_GET_DONE;
		return 0;
	case HTTPS_GET_STATUS_LINE:
		if (p->head_len == 0)
			return https_get_parser_fail(
			    p, SA_ERROR_CLOSED, "server closed the connection without a response");
		/* fall through */
	case HTTPS_GET_HEADER_LINE:
		return https_get_parser_fail(
		    p, SA_ERROR_CLOSED, "server closed the connection inside the response head");
	case HTTPS_GET_BODY_LENGTH:
		return https_get_parser_fail(p, SA_ERROR_CLOSED,
		                             "server closed the connection after %zu of %" PRIu64
		                             " body bytes",
		                             p->body_len, p->length);
	default:
		return https_get_parser_fail(
		    p, SA_ERROR_CLOSED, "server closed the connection inside the chunked body");
	}
}

const char *https_get_parser_error(const struct https_get_parser *p)
{
	return p->error;
}

void https_get_parser_result(const struct https_get_parser *p, struct https_get_response *r)
{
	assert(p->state == HTTPS_GET_DONE);
	r->http_status = p->http_status;
	r->content_type = p->content_type;
	r->body = p->body;
	r->body_len = p->body_len;
}

/* ---- the fetch ---- */

struct https_get {
	uv_loop_t *loop;
	struct tls_ctx *tls_ctx;
	https_get_cb cb;
	void *arg;
	char *host, *path;
	struct target_addr *addrs;
	size_t naddrs, next_addr;
	uint16_t port;
	uint64_t timeout_ms;

	uv_timer_t timer;
	uv_tcp_t tcp;
	uv_connect_t connect_req;
	unsigned open_handles;
	bool tcp_open;
	bool ending;

	char peer[HTTPS_GET_PEER_MAX]; /* "127.0.0.1:443", "[::1]:443" of the address being tried */
	char address[46];
	bool connected;
	struct tls_conn *tls;
	bool verified;
	struct https_get_parser *parser;
	struct https_get_response response;
	char read_buf[HTTPS_GET_READ_BUF];
	char plain_buf[HTTPS_GET_READ_BUF];
};

struct https_get_write {
	uv_write_t req;
	char *data;
};

static void https_get_end(struct https_get *g, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void https_get_free(struct https_get *g)
{
	tls_conn_free(g->tls);
	https_get_parser_free(g->parser);
	free(g->host);
	free(g->path);
	free(g->addrs);
	free(g);
}

static void https_get_finish(struct https_get *g)
{
	struct https_get_response *r = &g->response;
	if (g->connected)
		r->address = g->address;
	if (r->status == 0)
		https_get_parser_result(g->parser, r);
	g->cb(g->arg, r);
	https_get_free(g);
}

static void https_get_attempt(struct https_get *g);

static void https_get_on_closed(uv_handle_t *h)
{
	struct https_get *g = h->data;
	if (h == (uv_handle_t *)&g->tcp)
		g->tcp_open = false;
	g->open_handles--;
	if (g->ending) {
		if (g->open_handles == 0)
			https_get_finish(g);
	} else {
		/* A connect failed and its socket is gone: the next address. */
		https_get_attempt(g);
	}
}

/* Closes the handles; the callback runs when the last one is closed. */
static void https_get_stop(struct https_get *g)
{
	g->ending = true;
	uv_close((uv_handle_t *)&g->timer, https_get_on_closed);
	if (g->tcp_open && !uv_is_closing((uv_handle_t *)&g->tcp))
		uv_close((uv_handle_t *)&g->tcp, https_get_on_closed);
}

static void https_get_end(struct https_get *g, int status, const char *fmt, ...)
{
	if (g->ending)
		return;
	g->response.status = status;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->response.detail, sizeof(g->response.detail), fmt, ap);
	va_end(ap);
	https_get_stop(g);
}

static void https_get_on_timeout(uv_timer_t *timer)
{
	struct https_get *g = timer->data;
	https_get_end(g, SA_ERROR_TIMEOUT, "timeout after %" PRIu64 " ms", g->timeout_ms);
}

/* A connect that failed: remembered in the response until another address answers. */
static void https_get_connect_failed(struct https_get *g, int uv_status)
{
	g->response.status = sa_error_from_errno(uv_status);
	if (uv_status == UV_ECONNREFUSED)
		snprintf(g->response.detail, sizeof(g->response.detail), "connection refused by %s",
		         g->peer);
	else
		snprintf(g->response.detail, sizeof(g->response.detail), "cannot connect to %s: %s",
		         g->peer, uv_strerror(uv_status));
	uv_close((uv_handle_t *)&g->tcp, https_get_on_closed);
}

/* ---- writing ---- */

static void https_get_on_written(uv_write_t *req, int status)
{
	struct https_get_write *w = (struct https_get_write *)req;
	struct https_get *g = req->data;
	free(w->data);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		https_get_end(g, sa_error_from_errno(status), "cannot send to %s: %s", g->peer,
		              uv_strerror(status));
}

static void https_get_flush(struct https_get *g)
{
	char *data;
	size_t len;
	while (!g->ending && tls_conn_take_output(g->tls, &data, &len) == 0) {
		struct https_get_write *w = calloc(1, sizeof(*w));
		if (w == NULL) {
			free(data);
			https_get_end(g, SA_ERROR_NOMEM, "out of memory");
			return;
		}
		w->data = data;
		w->req.data = g;
		uv_buf_t buf = uv_buf_init(data, (unsigned)len);
		int rc = uv_write(&w->req, (uv_stream_t *)&g->tcp, &buf, 1, https_get_on_written);
		if (rc < 0) {
			free(data);
			free(w);
			https_get_end(g, sa_error_from_errno(rc), "cannot send to %s: %s", g->peer,
			              uv_strerror(rc));
		}
	}
}

/* ---- TLS and HTTP ---- */

/* RFC 8461 3.3: the policy host must present a valid certificate for its name. */
static int https_get_check_certificate(struct https_get *g)
{
	struct tls_facts facts;
	int rc = tls_conn_facts(g->tls, &facts);
	if (rc != 0) {
		https_get_end(g, rc, "cannot read the server's certificate: %s", sa_error_str(rc));
	} else if (!facts.trusted) {
		rc = SA_ERROR_TLS;
		https_get_end(g, rc, "certificate not trusted: %s",
		              facts.verify_detail ? facts.verify_detail : "no certificate");
	} else if (!facts.name_matches) {
		rc = SA_ERROR_TLS;
		https_get_end(g, rc, "certificate not valid for %s", g->host);
	}
	tls_facts_free(&facts);
	return rc;
}

static void https_get_send_request(struct https_get *g)
{
	/* RFC 9110 7.2: the port is part of Host when it is not the scheme's default. */
	char authority[HTTPS_GET_HOST_MAX + 8];
	if (g->port == HTTPS_GET_DEFAULT_PORT)
		snprintf(authority, sizeof(authority), "%s", g->host);
	else
		snprintf(authority, sizeof(authority), "%s:%u", g->host, (unsigned)g->port);
	char *request;
	int n = asprintf(&request,
	                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: smtp-audit/" SA_VERSION
	                 "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	                 g->path, authority);
	if (n < 0) {
		https_get_end(g, SA_ERROR_NOMEM, "out of memory");
		return;
	}
	int rc = tls_conn_write(g->tls, request, (size_t)n);
	free(request);
	if (rc != 0) {
		https_get_end(g, rc, "%s", tls_conn_error(g->tls));
		return;
	}
	https_get_flush(g);
}

static void https_get_handshake(struct https_get *g)
{
	int rc = tls_conn_handshake(g->tls);
	https_get_flush(g);
	if (g->ending || rc == SA_ERROR_AGAIN)
		return;
	if (rc != 0) {
		https_get_end(g, rc, "%s", tls_conn_error(g->tls));
		return;
	}
	if (https_get_check_certificate(g) != 0)
		return;
	g->verified = true;
	https_get_send_request(g);
}

static void https_get_response_ended(struct https_get *g, int rc)
{
	if (rc == 0)
		https_get_end(g, 0, "%s", "");
	else
		https_get_end(g, rc, "%s", https_get_parser_error(g->parser));
}

static void https_get_on_cipher(struct https_get *g, const char *data, size_t len)
{
	int rc = tls_conn_feed(g->tls, data, len);
	if (rc != 0) {
		https_get_end(g, rc, "%s", tls_conn_error(g->tls));
		return;
	}
	if (!g->verified) {
		https_get_handshake(g);
		if (g->ending || !g->verified)
			return;
	}
	for (;;) {
		size_t got;
		rc = tls_conn_read(g->tls, g->plain_buf, sizeof(g->plain_buf), &got);
		if (rc == SA_ERROR_AGAIN)
			return;
		if (rc == SA_ERROR_CLOSED) {
			https_get_response_ended(g, https_get_parser_close(g->parser));
			return;
		}
		if (rc != 0) {
			https_get_end(g, rc, "%s", tls_conn_error(g->tls));
			return;
		}
		rc = https_get_parser_feed(g->parser, g->plain_buf, got);
		if (rc != SA_ERROR_AGAIN) {
			https_get_response_ended(g, rc);
			return;
		}
	}
}

static void https_get_on_eof(struct https_get *g, ssize_t nread)
{
	if (nread == UV_ECONNRESET)
		https_get_end(g, SA_ERROR_RESET, "connection reset by %s", g->peer);
	else if (nread != UV_EOF)
		https_get_end(g, sa_error_from_errno((int)nread), "connection error with %s: %s",
		              g->peer, uv_strerror((int)nread));
	else if (!g->verified)
		https_get_end(g, SA_ERROR_CLOSED,
		              "%s closed the connection during the TLS handshake", g->peer);
	else
		/* A close without close_notify: only a body read until close ends there. */
		https_get_response_ended(g, https_get_parser_close(g->parser));
}

static void https_get_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct https_get *g = h->data;
	(void)suggested;
	*buf = uv_buf_init(g->read_buf, sizeof(g->read_buf));
}

static void https_get_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct https_get *g = stream->data;
	if (g->ending)
		return;
	if (nread < 0)
		https_get_on_eof(g, nread);
	else if (nread > 0)
		https_get_on_cipher(g, buf->base, (size_t)nread);
}

/* ---- connecting ---- */

static void https_get_on_connect(uv_connect_t *req, int status)
{
	struct https_get *g = req->data;
	if (g->ending || status == UV_ECANCELED)
		return;
	if (status < 0) {
		https_get_connect_failed(g, status);
		return;
	}
	g->connected = true;
	g->tls = tls_conn_new(g->tls_ctx, g->host);
	if (g->tls == NULL) {
		https_get_end(g, SA_ERROR_NOMEM, "cannot set up TLS (out of memory)");
		return;
	}
	int rc = uv_read_start((uv_stream_t *)&g->tcp, https_get_alloc, https_get_on_read);
	if (rc < 0) {
		https_get_end(g, sa_error_from_errno(rc), "cannot read from %s: %s", g->peer,
		              uv_strerror(rc));
		return;
	}
	https_get_handshake(g);
}

static void https_get_sockaddr(const struct https_get *g, const struct target_addr *a,
                               struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(g->port);
		memcpy(&sin->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(g->port);
		memcpy(&sin6->sin6_addr, a->bytes, 16);
	}
}

/* Connects to the next address; when none is left the last failure ends the fetch. */
static void https_get_attempt(struct https_get *g)
{
	assert(!g->tcp_open);
	if (g->next_addr == g->naddrs) {
		/* The last connect failure is already in the response. */
		https_get_stop(g);
		return;
	}
	const struct target_addr *a = &g->addrs[g->next_addr++];
	target_addr_str(a, g->address, sizeof(g->address));
	snprintf(g->peer, sizeof(g->peer), a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", g->address,
	         (unsigned)g->port);
	struct sockaddr_storage ss;
	https_get_sockaddr(g, a, &ss);
	int rc = uv_tcp_init_ex(g->loop, &g->tcp, a->family);
	if (rc < 0) {
		https_get_end(g, sa_error_from_errno(rc), "cannot open a socket for %s: %s",
		              g->peer, uv_strerror(rc));
		return;
	}
	g->tcp.data = g;
	g->tcp_open = true;
	g->open_handles++;
	g->connect_req.data = g;
	rc = uv_tcp_connect(&g->connect_req, &g->tcp, (const struct sockaddr *)&ss,
	                    https_get_on_connect);
	if (rc < 0)
		https_get_connect_failed(g, rc);
}

/* A host name that cannot smuggle anything into the request line or a header. */
static bool https_get_host_ok(const char *host)
{
	size_t n = host != NULL ? strlen(host) : 0;
	if (n == 0 || n > HTTPS_GET_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)host[i]) && strchr("-._", host[i]) == NULL)
			return false;
	return true;
}

static bool https_get_path_ok(const char *path)
{
	size_t n = path != NULL ? strlen(path) : 0;
	if (n == 0 || n > HTTPS_GET_PATH_MAX || path[0] != '/')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] <= ' ' || (unsigned char)path[i] >= 0x7f)
			return false;
	return true;
}

static bool https_get_addrs_ok(const struct target_addr *addrs, size_t naddrs)
{
	if (addrs == NULL || naddrs == 0)
		return false;
	for (size_t i = 0; i < naddrs; i++)
		if (addrs[i].family != AF_INET && addrs[i].family != AF_INET6)
			return false;
	return true;
}

int https_get_start(uv_loop_t *loop, struct tls_ctx *tls, const struct https_get_request *req,
                    https_get_cb cb, void *arg, struct https_get **out)
{
	if (loop == NULL || tls == NULL || cb == NULL || !https_get_host_ok(req->host) ||
	    !https_get_path_ok(req->path) || !https_get_addrs_ok(req->addrs, req->naddrs) ||
	    req->port == 0 || req->timeout_ms == 0 || req->max_body == 0)
		return SA_ERROR_INVAL;
	struct https_get *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return SA_ERROR_NOMEM;
	g->host = strdup(req->host);
	g->path = strdup(req->path);
	g->addrs = calloc(req->naddrs, sizeof(*g->addrs));
	g->parser = https_get_parser_new(req->max_body);
	if (g->host == NULL || g->path == NULL || g->addrs == NULL || g->parser == NULL) {
		https_get_free(g);
		return SA_ERROR_NOMEM;
	}
	memcpy(g->addrs, req->addrs, req->naddrs * sizeof(*g->addrs));
	g->naddrs = req->naddrs;
	g->port = req->port;
	g->timeout_ms = req->timeout_ms;
	g->loop = loop;
	g->tls_ctx = tls;
	g->cb = cb;
	g->arg = arg;
	uv_timer_init(loop, &g->timer);
	g->timer.data = g;
	g->open_handles = 1;
	uv_timer_start(&g->timer, https_get_on_timeout, req->timeout_ms, 0);
	if (out != NULL)
		*out = g;
	https_get_attempt(g);
	return 0;
}

void https_get_cancel(struct https_get *g)
{
	https_get_end(g, SA_ERROR_CANCELED, "fetch canceled");
}
