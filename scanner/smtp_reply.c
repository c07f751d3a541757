/*
 * NAME
 *	smtp_reply - incremental, bounded parser for SMTP server replies
 *
 * DESCRIPTION
 *	Every byte goes through reply_take_byte(), so how the input was split
 *	cannot change the result. The code and the separator of a line are
 *	checked as their bytes arrive, so a hostile line fails at its first bad
 *	byte rather than at its end, and every limit is checked before the byte
 *	that would exceed it is stored.
 *
 *	The line being read lives in one buffer that grows up to max_line; a
 *	finished line is copied out at its exact size. A CR is held back until
 *	the next byte shows whether it ends the line (CRLF) or is data.
 *	When a reply is handed out or an error occurs, every buffer is freed,
 *	so an idle parser holds no heap memory.
 *
 * DIAGNOSTICS
 *	SA_ERROR_PROTO: a NUL byte, a code that is not 2xx..5xx, a separator
 *	other than '-' or ' ', a line shorter than a code, a line whose code
 *	differs from the first line's. SA_ERROR_TOOBIG: max_line, max_lines or
 *	max_total exceeded. SA_ERROR_NOMEM. The partial reply is dropped on an
 *	error; the message stays until smtp_reply_parser_reset().
 */
#include "smtp_reply.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

enum {
	REPLY_CODE_LEN = 3,        /* "250" */
	REPLY_HEAD_LEN = 4,        /* "250-" or "250 " */
	REPLY_LINE_FIRST_CAP = 64, /* most reply lines fit; grown by doubling */
	REPLY_LINES_FIRST_CAP = 4,
};

void smtp_reply_parser_init(struct smtp_reply_parser *p, const struct smtp_reply_limits *lim)
{
	static const struct smtp_reply_limits defaults = {
	    .max_line = SMTP_REPLY_DEFAULT_MAX_LINE,
	    .max_lines = SMTP_REPLY_DEFAULT_MAX_LINES,
	    .max_total = SMTP_REPLY_DEFAULT_MAX_TOTAL,
	};
	*p = (struct smtp_reply_parser){.lim = lim != NULL ? *lim : defaults};
	assert(p->lim.max_line >= REPLY_CODE_LEN && p->lim.max_lines >= 1 &&
	       p->lim.max_total > REPLY_CODE_LEN);
}

static void reply_drop_partial(struct smtp_reply_parser *p)
{
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->lines);
	free(p->line);
	p->line = NULL;
	p->line_len = 0;
	p->line_cap = 0;
	p->lines = NULL;
	p->nlines = 0;
	p->lines_cap = 0;
	p->total = 0;
	p->code = 0;
	p->discarding_cr = false;
}

static int reply_fail(struct smtp_reply_parser *p, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reply_fail(struct smtp_reply_parser *p, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	reply_drop_partial(p);
	return err;
}

static bool reply_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Checks byte number p->line_len of a line, which is part of "NNN-" / "NNN ". */
static int reply_check_head(struct smtp_reply_parser *p, unsigned char c)
{
	size_t pos = p->line_len;
	bool code_ok = pos == 0 ? c >= '2' && c <= '5' : reply_is_digit(c);
	if (pos < REPLY_CODE_LEN && !code_ok)
		return reply_fail(p, SA_ERROR_PROTO,
		                  "reply line has no code 2xx..5xx (byte 0x%02x at offset %zu)", c,
		                  pos);
	if (pos == REPLY_CODE_LEN - 1) {
		int code = (p->line[0] - '0') * 100 + (p->line[1] - '0') * 10 + (c - '0');
		if (p->nlines > 0 && code != p->code)
			return reply_fail(p, SA_ERROR_PROTO, "reply line code %d differs from %d",
			                  code, p->code);
		p->code = code;
	}
	if (pos == REPLY_CODE_LEN && c != '-' && c != ' ')
		return reply_fail(p, SA_ERROR_PROTO,
		                  "reply code %d followed by byte 0x%02x, not '-' or ' '", p->code,
		                  c);
	return 0;
}

static int reply_grow_line(struct smtp_reply_parser *p)
{
	size_t cap = p->line_cap == 0 ? REPLY_LINE_FIRST_CAP : 2 * p->line_cap;
	if (cap > p->lim.max_line)
		cap = p->lim.max_line;
	assert(cap > p->line_len);
	char *line = realloc(p->line, cap);
	if (line == NULL)
		return reply_fail(p, SA_ERROR_NOMEM, "out of memory for a reply line");
	p->line = line;
	p->line_cap = cap;
	return 0;
}

static int reply_append(struct smtp_reply_parser *p, unsigned char c)
{
	if (p->line_len == p->lim.max_line)
		return reply_fail(p, SA_ERROR_TOOBIG, "reply line exceeds %zu bytes",
		                  p->lim.max_line);
	if (p->line_len < REPLY_HEAD_LEN) {
		int rc = reply_check_head(p, c);
		if (rc < 0)
			return rc;
	}
	if (p->line_len == p->line_cap) {
		int rc = reply_grow_line(p);
		if (rc < 0)
			return rc;
	}
	p->line[p->line_len++] = (char)c;
	return 0;
}

static int reply_store_text(struct smtp_reply_parser *p)
{
	if (p->nlines == p->lines_cap) {
		size_t cap = p->lines_cap == 0 ? REPLY_LINES_FIRST_CAP : 2 * p->lines_cap;
		if (cap > p->lim.max_lines)
			cap = p->lim.max_lines;
		char **lines = realloc(p->lines, cap * sizeof(*lines));
		if (lines == NULL)
			return reply_fail(p, SA_ERROR_NOMEM, "out of memory for reply lines");
		p->lines = lines;
		p->lines_cap = cap;
	}
	size_t len = p->line_len > REPLY_HEAD_LEN ? p->line_len - REPLY_HEAD_LEN : 0;
	char *text = malloc(len + 1);
	if (text == NULL)
		return reply_fail(p, SA_ERROR_NOMEM, "out of memory for a reply line");
	memcpy(text, p->line + REPLY_HEAD_LEN, len);
	text[len] = '\0';
	p->lines[p->nlines++] = text;
	p->line_len = 0;
	return 0;
}

static int reply_end_line(struct smtp_reply_parser *p)
{
	if (p->line_len < REPLY_CODE_LEN)
		return reply_fail(p, SA_ERROR_PROTO, "reply line of %zu bytes has no code",
		                  p->line_len);
	if (p->nlines == p->lim.max_lines)
		return reply_fail(p, SA_ERROR_TOOBIG, "reply has more than %zu lines",
		                  p->lim.max_lines);
	bool last = p->line_len == REPLY_CODE_LEN || p->line[REPLY_CODE_LEN] == ' ';
	int rc = reply_store_text(p);
	if (rc < 0)
		return rc;
	return last ? SMTP_REPLY_COMPLETE : SMTP_REPLY_NEED_MORE;
}

static int reply_take_byte(struct smtp_reply_parser *p, unsigned char c)
{
	if (p->total == p->lim.max_total)
		return reply_fail(p, SA_ERROR_TOOBIG, "reply exceeds %zu bytes", p->lim.max_total);
	p->total++;
	if (c == '\0')
		return reply_fail(p, SA_ERROR_PROTO, "NUL byte in reply line %zu", p->nlines + 1);
	if (p->discarding_cr) {
		p->discarding_cr = false;
		if (c == '\n')
			return reply_end_line(p);
		int rc = reply_append(p, '\r');
		if (rc < 0)
			return rc;
	}
	if (c == '\r') {
		p->discarding_cr = true;
		return SMTP_REPLY_NEED_MORE;
	}
	if (c == '\n')
		return reply_end_line(p);
	return reply_append(p, c);
}

static void reply_hand_out(struct smtp_reply_parser *p, struct smtp_reply *out)
{
	*out = (struct smtp_reply){
	    .code = p->code,
	    .nlines = p->nlines,
	    .lines = p->lines,
	    .wire_len = p->total,
	};
	p->lines = NULL;
	p->nlines = 0;
	reply_drop_partial(p);
}

int smtp_reply_parser_feed(struct smtp_reply_parser *p, const char *buf, size_t len, size_t *used,
                           struct smtp_reply *out)
{
	assert(p->error[0] == '\0' && "smtp_reply_parser_reset() must follow an error");
	*out = (struct smtp_reply){0};
	int rc = SMTP_REPLY_NEED_MORE;
	size_t i = 0;
	while (i < len && rc == SMTP_REPLY_NEED_MORE)
		rc = reply_take_byte(p, (unsigned char)buf[i++]);
	*used = i;
	if (rc == SMTP_REPLY_COMPLETE)
		reply_hand_out(p, out);
	return rc;
}

bool smtp_reply_parser_idle(const struct smtp_reply_parser *p)
{
	/* Every byte of a partial reply, a held-back CR included, is in total. */
	return p->total == 0;
}

const char *smtp_reply_parser_error(const struct smtp_reply_parser *p)
{
	return p->error;
}

void smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	reply_drop_partial(p);
	p->error[0] = '\0';
}

void smtp_reply_parser_free(struct smtp_reply_parser *p)
{
	reply_drop_partial(p);
}

void smtp_reply_free(struct smtp_reply *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	*r = (struct smtp_reply){0};
}

int smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src)
{
	*dst = (struct smtp_reply){.code = src->code, .wire_len = src->wire_len};
	if (src->nlines == 0)
		return 0;
	dst->lines = calloc(src->nlines, sizeof(*dst->lines));
	if (dst->lines == NULL)
		return SA_ERROR_NOMEM;
	for (; dst->nlines < src->nlines; dst->nlines++) {
		dst->lines[dst->nlines] = strdup(src->lines[dst->nlines]);
		if (dst->lines[dst->nlines] == NULL) {
			smtp_reply_free(dst);
			return SA_ERROR_NOMEM;
		}
	}
	return 0;
}

char *smtp_reply_join(const struct smtp_reply *r)
{
	size_t len = 0;
	for (size_t i = 0; i < r->nlines; i++)
		len += strlen(r->lines[i]) + 1;
	char *joined = malloc(len + 1);
	if (joined == NULL)
		return NULL;
	char *end = joined;
	for (size_t i = 0; i < r->nlines; i++) {
		if (i > 0)
			*end++ = '\n';
		end = stpcpy(end, r->lines[i]);
	}
	*end = '\0';
	return joined;
}

/* RFC 3463 subject and detail: 1*3DIGIT, so 0..999. */
static bool enhanced_number(const char *s, size_t *pos)
{
	size_t n = 0;
	while (n <= 3 && reply_is_digit((unsigned char)s[*pos + n]))
		n++;
	*pos += n;
	return n >= 1 && n <= 3;
}

bool smtp_reply_enhanced(const struct smtp_reply *r, char *buf, size_t buflen)
{
	if (r->nlines == 0)
		return false;
	const char *s = r->lines[0];
	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	size_t pos = 1;
	if (s[pos++] != '.' || !enhanced_number(s, &pos) || s[pos++] != '.' ||
	    !enhanced_number(s, &pos))
		return false;
	if (s[pos] != '\0' && s[pos] != ' ')
		return false;
	if (pos >= buflen)
		return false;
	memcpy(buf, s, pos);
	buf[pos] = '\0';
	return true;
}
