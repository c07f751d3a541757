/*
 * NAME
 *	smtp_reply - incremental, bounded parser for SMTP server replies
 *
 * SUMMARY
 *	struct smtp_reply_parser p;
 *	smtp_reply_parser_init(&p, NULL);
 *	while (len > 0) {
 *		size_t used;
 *		struct smtp_reply r;
 *		int rc = smtp_reply_parser_feed(&p, buf, len, &used, &r);
 *		buf += used; len -= used;
 *		if (rc < 0) { ...protocol error, smtp_reply_parser_error(&p) says why...; break; }
 *		if (rc == SMTP_REPLY_COMPLETE) { ...use r...; smtp_reply_free(&r); }
 *	}
 *	smtp_reply_parser_free(&p);
 *
 * DESCRIPTION
 *	Replies are hostile input. The parser takes bytes, never sockets, and
 *	resumes at any byte boundary, so TCP segmentation never matters: feeding
 *	a transcript whole or one byte at a time gives the same replies.
 *
 *	A reply is one or more lines "NNN-text" ending with a line "NNN text"
 *	(or a bare "NNN"). The parser checks that the code is three digits with
 *	a first digit 2..5, that every line of a multi-line reply carries the
 *	same code, and that the separator is '-' or ' '. Lines end in CRLF; a
 *	bare LF is accepted as well (many servers send it) and a CR before the
 *	LF is dropped. It bounds the length of a line, the number of lines and
 *	the total size of a reply, so a server cannot make it use unbounded
 *	memory. A NUL byte in a reply is a protocol error, which keeps every
 *	stored line a C string; any other byte is kept as it came and must be
 *	escaped by whoever prints it (see escape.h).
 *
 *	feed() stops right after each complete reply, so the caller learns
 *	exactly which bytes followed it; bytes that arrive when no reply is due
 *	(pipelining abuse, or the CVE-2011-0411 injection class after STARTTLS)
 *	are therefore visible to the caller.
 *
 *	Memory: an idle parser (no partial reply buffered) holds no heap memory.
 *
 * DIAGNOSTICS
 *	feed() returns SA_ERROR_PROTO for a syntax violation and SA_ERROR_TOOBIG
 *	when a limit is exceeded; smtp_reply_parser_error() then gives one line
 *	saying what was wrong ("reply line exceeds 2048 bytes"). After an error
 *	the parser must be reset before it is fed again.
 */
#ifndef SMTP_REPLY_H
#define SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

struct smtp_reply_limits {
	size_t max_line;  /* bytes in one line, without the line ending */
	size_t max_lines; /* lines in one reply */
	size_t max_total; /* bytes of one reply on the wire */
};

/* RFC 5321 allows 512-byte reply lines; real servers exceed it a little. */
#define SMTP_REPLY_DEFAULT_MAX_LINE  2048
#define SMTP_REPLY_DEFAULT_MAX_LINES 128
#define SMTP_REPLY_DEFAULT_MAX_TOTAL 32768

struct smtp_reply {
	int code;       /* 200..599 */
	size_t nlines;  /* >= 1 */
	char **lines;   /* nlines texts: what follows "NNN-"/"NNN ", no line ending */
	size_t wire_len; /* bytes this reply took on the wire, line endings included */
};

enum smtp_reply_status {
	SMTP_REPLY_NEED_MORE = 0, /* every byte consumed, no complete reply yet */
	SMTP_REPLY_COMPLETE = 1,  /* *out holds a reply; bytes after it were not consumed */
};

struct smtp_reply_parser {
	/* Private: use the functions below. */
	struct smtp_reply_limits lim;
	char *line;
	size_t line_len, line_cap;
	char **lines;
	size_t nlines, lines_cap;
	size_t total;
	int code;
	bool discarding_cr;
	char error[96];
};

/* lim NULL: the SMTP_REPLY_DEFAULT_* limits. */
void smtp_reply_parser_init(struct smtp_reply_parser *p, const struct smtp_reply_limits *lim);

/*
 * Consumes bytes from buf until one reply is complete or buf is exhausted;
 * *used is set to the number of bytes consumed. Returns SMTP_REPLY_COMPLETE
 * (the caller then owns *out), SMTP_REPLY_NEED_MORE, or a negative
 * SA_ERROR_* code.
 */
int smtp_reply_parser_feed(struct smtp_reply_parser *p, const char *buf, size_t len,
			   size_t *used, struct smtp_reply *out);

/* True when no partial reply is buffered. */
bool smtp_reply_parser_idle(const struct smtp_reply_parser *p);

/* Detail of the last error, "" when there was none. */
const char *smtp_reply_parser_error(const struct smtp_reply_parser *p);

/* Drops any partial reply and the last error; keeps the limits. */
void smtp_reply_parser_reset(struct smtp_reply_parser *p);

void smtp_reply_parser_free(struct smtp_reply_parser *p);

void smtp_reply_free(struct smtp_reply *r);

/* Deep copy; returns 0 or SA_ERROR_NOMEM. */
int smtp_reply_copy(struct smtp_reply *dst, const struct smtp_reply *src);

/* The lines joined with '\n', malloc'ed (NULL on allocation failure). */
char *smtp_reply_join(const struct smtp_reply *r);

/* Reply class: 2, 3, 4 or 5. */
static inline int smtp_reply_class(const struct smtp_reply *r)
{
	return r->code / 100;
}

/*
 * The RFC 3463 enhanced status code at the start of the first line
 * ("5.7.1"), copied into buf (at least 16 bytes); false when absent.
 */
bool smtp_reply_enhanced(const struct smtp_reply *r, char *buf, size_t buflen);

#endif
