/*
 * NAME
 *	text_buf - bounded, always terminated text assembly
 */
#include "text_buf.h"

#include <stdarg.h>
#include <stdio.h>

void text_buf_init(struct text_buf *t, char *buf, size_t len)
{
	t->buf = buf;
	t->len = len;
	t->used = 0;
	buf[0] = '\0';
}

void text_buf_add(struct text_buf *t, const char *fmt, ...)
{
	if (t->used + 1 >= t->len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used = t->used + (size_t)n < t->len ? t->used + (size_t)n : t->len - 1;
}
