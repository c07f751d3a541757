/*
 * NAME
 *	cef_parse - read a CEF:0 event line back, for tests of what was written
 *
 * DESCRIPTION
 *	See cef_parse.h. The reader is independent of the writer on purpose:
 *	it follows the standard's rules, not report_cef.c's code.
 */
#include "cef_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

/* A growing copy of unescaped text. */
struct cef_text {
	char *data;
	size_t len;
};

static int cef_text_add(struct cef_text *t, char c)
{
	char *grown = realloc(t->data, t->len + 2);
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	t->data = grown;
	t->data[t->len++] = c;
	t->data[t->len] = '\0';
	return 0;
}

/* An empty field still needs a string. */
static int cef_text_finish(struct cef_text *t)
{
	if (t->data != NULL)
		return 0;
	t->data = calloc(1, 1);
	return t->data == NULL ? SA_ERROR_NOMEM : 0;
}

/* One header field from *p up to an unescaped '|', which is consumed. */
static int cef_header_field(const char **p, char **out)
{
	struct cef_text t = {0};
	const char *s = *p;
	int rc = 0;
	for (; rc == 0 && *s != '|'; s++) {
		if (*s == '\0' || *s == '\n' || *s == '\r')
			rc = SA_ERROR_PARSE;
		else if (*s == '\\' && (s[1] == '\\' || s[1] == '|'))
			rc = cef_text_add(&t, *++s);
		else if (*s == '\\')
			rc = SA_ERROR_PARSE;
		else
			rc = cef_text_add(&t, *s);
	}
	if (rc == 0)
		rc = cef_text_finish(&t);
	if (rc != 0) {
		free(t.data);
		return rc;
	}
	*p = s + 1;
	*out = t.data;
	return 0;
}

static size_t cef_key_len(const char *s)
{
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return s[n] == '=' ? n : 0;
}

static int cef_value_char(struct cef_text *t, const char **p)
{
	const char *s = *p;
	if (*s == '\n' || *s == '\r' || *s == '=')
		return SA_ERROR_PARSE;
	if (*s != '\\')
		return cef_text_add(t, *s);
	*p = s + 1;
	switch (s[1]) {
	case '\\':
	case '=':
		return cef_text_add(t, s[1]);
	case 'n':
		return cef_text_add(t, '\n');
	case 'r':
		return cef_text_add(t, '\r');
	default:
		return SA_ERROR_PARSE;
	}
}

/* One "key=value" at *p; *p moves past the space that precedes the next key. */
static int cef_extension(const char **p, struct cef_extension *ext)
{
	const char *s = *p;
	size_t klen = cef_key_len(s);
	if (klen == 0)
		return SA_ERROR_PARSE;
	ext->key = strndup(s, klen);
	if (ext->key == NULL)
		return SA_ERROR_NOMEM;
	s += klen + 1;
	struct cef_text t = {0};
	int rc = 0;
	for (; rc == 0 && *s != '\0'; s++) {
		if (*s == ' ' && cef_key_len(s + 1) > 0) {
			s++;
			break;
		}
		rc = cef_value_char(&t, &s);
	}
	if (rc == 0)
		rc = cef_text_finish(&t);
	ext->value = t.data;
	*p = s;
	return rc;
}

int cef_parse(const char *line, struct cef_event *ev)
{
	*ev = (struct cef_event){0};
	const char *p = line;
	int rc = 0;
	for (int i = 0; rc == 0 && i < CEF_HEADER_COUNT; i++)
		rc = cef_header_field(&p, &ev->header[i]);
	if (rc == 0 && strcmp(ev->header[CEF_HEADER_VERSION], "CEF:0") != 0)
		rc = SA_ERROR_PARSE;
	while (rc == 0 && *p != '\0') {
		if (ev->next == CEF_MAX_EXTENSIONS)
			rc = SA_ERROR_PARSE;
		else
			rc = cef_extension(&p, &ev->ext[ev->next++]);
	}
	if (rc != 0)
		cef_event_free(ev);
	return rc;
}

const char *cef_event_get(const struct cef_event *ev, const char *key)
{
	for (size_t i = 0; i < ev->next; i++)
		if (strcmp(ev->ext[i].key, key) == 0)
			return ev->ext[i].value;
	return NULL;
}

void cef_event_free(struct cef_event *ev)
{
	for (int i = 0; i < CEF_HEADER_COUNT; i++)
		free(ev->header[i]);
	for (size_t i = 0; i < ev->next; i++) {
		free(ev->ext[i].key);
		free(ev->ext[i].value);
	}
	*ev = (struct cef_event){0};
}
