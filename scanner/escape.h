/*
 * NAME
 *	escape - make server-supplied bytes safe for a destination
 *
 * DESCRIPTION
 *	Anything a server sends may hold terminal escape sequences, invalid
 *	UTF-8, control bytes or markup. Before it reaches a terminal, a log
 *	line, JSON or HTML it goes through one of these functions.
 *
 *	escape_visible() is the base form used everywhere: printable ASCII is
 *	kept, a backslash becomes "\\", and every other byte becomes "\xNN"
 *	(so ESC is "\x1b", a UTF-8 'é' is "\xc3\xa9"). The result is pure
 *	printable ASCII, the same in a terminal, a JSON string and a log, and
 *	reversible. Writers for other formats (JSON through jansson, HTML)
 *	apply their own escaping on top of it.
 */
#ifndef ESCAPE_H
#define ESCAPE_H

#include <stddef.h>

/* Escaped copy of len bytes (malloc'ed; NULL on allocation failure). */
char *escape_visible(const char *bytes, size_t len);

/* Same for a C string; NULL in gives "" out. */
char *escape_visible_str(const char *s);

/* Escaped for HTML text and attribute values (&, <, >, ", ' as entities) after escape_visible. */
char *escape_html(const char *s);

/* Length escape_visible() would produce, without the NUL. */
size_t escape_visible_len(const char *bytes, size_t len);

#endif
