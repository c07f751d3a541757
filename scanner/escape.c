/*
 * NAME
 *	escape - make server-supplied bytes safe for a destination
 *
 * DESCRIPTION
 *	escape_visible() keeps printable ASCII (0x20..0x7e) except the
 *	backslash, which doubles, and writes every other byte as "\xNN" in
 *	lower-case hex. escape_html() adds the five HTML entities on top of
 *	that, so markup never survives either form.
 *
 * DIAGNOSTICS
 *	The functions return NULL only when memory is exhausted, or when the
 *	escaped length would not fit a size_t.
 */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The longest form one byte takes: "\xNN" in visible text, "&quot;" in HTML. */
#define ESCAPE_VISIBLE_MAX_EXPANSION 4
#define ESCAPE_HTML_MAX_EXPANSION    6

static bool escape_is_plain(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '\\';
}

static size_t escape_byte_len(unsigned char c)
{
	if (escape_is_plain(c))
		return 1;
	return c == '\\' ? 2 : 4;
}

static char *escape_byte(char *dst, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (escape_is_plain(c)) {
		*dst++ = (char)c;
	} else if (c == '\\') {
		*dst++ = '\\';
		*dst++ = '\\';
	} else {
		*dst++ = '\\';
		*dst++ = 'x';
		*dst++ = hex[c >> 4];
		*dst++ = hex[c & 0x0f];
	}
	return dst;
}

size_t escape_visible_len(const char *bytes, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += escape_byte_len((unsigned char)bytes[i]);
	return n;
}

char *escape_visible(const char *bytes, size_t len)
{
	if (len > (SIZE_MAX - 1) / ESCAPE_VISIBLE_MAX_EXPANSION)
		return NULL;
	char *out = malloc(escape_visible_len(bytes, len) + 1);
	if (out == NULL)
		return NULL;
	char *p = out;
	for (size_t i = 0; i < len; i++)
		p = escape_byte(p, (unsigned char)bytes[i]);
	*p = '\0';
	return out;
}

char *escape_visible_str(const char *s)
{
	if (s == NULL)
		return strdup("");
	return escape_visible(s, strlen(s));
}

/* NULL when c needs no entity. */
static const char *escape_html_entity(char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

char *escape_html(const char *s)
{
	char *visible = escape_visible_str(s);
	if (visible == NULL)
		return NULL;
	if (strlen(visible) > (SIZE_MAX - 1) / ESCAPE_HTML_MAX_EXPANSION) {
		free(visible);
		return NULL;
	}
	size_t need = 0;
	for (const char *p = visible; *p != '\0'; p++) {
		const char *entity = escape_html_entity(*p);
		need += entity != NULL ? strlen(entity) : 1;
	}
	char *out = malloc(need + 1);
	if (out == NULL) {
		free(visible);
		return NULL;
	}
	char *q = out;
	for (const char *p = visible; *p != '\0'; p++) {
		const char *entity = escape_html_entity(*p);
		if (entity == NULL) {
			*q++ = *p;
		} else {
			size_t n = strlen(entity);
			memcpy(q, entity, n);
			q += n;
		}
	}
	*q = '\0';
	free(visible);
	return out;
}
