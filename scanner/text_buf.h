/*
 * NAME
 *	text_buf - build one line of text in a fixed buffer, piece by piece
 *
 * DESCRIPTION
 *	Verdict reasons and details are assembled from many small parts.
 *	text_buf_add() appends formatted text and silently stops at the end
 *	of the buffer: the result is always NUL-terminated and never
 *	overflows; a reason cut short is better than a failed probe.
 */
#ifndef TEXT_BUF_H
#define TEXT_BUF_H

#include <stddef.h>

struct text_buf {
	char *buf;
	size_t len;  /* size of buf */
	size_t used; /* bytes written, < len */
};

/* Starts an empty text in buf (len >= 1). */
void text_buf_init(struct text_buf *t, char *buf, size_t len);

/* Appends formatted text, truncating at the end of the buffer. */
void text_buf_add(struct text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
