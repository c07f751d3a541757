/*
 * NAME
 *	finding - one reported problem with its evidence
 *
 * DESCRIPTION
 *	A finding owns its variant, detail and evidence texts. Evidence is kept
 *	as it came from the wire; at most FINDING_MAX_EVIDENCE items are
 *	stored and the rest are only counted, so a server that answers with
 *	an endless reply cannot make a finding grow without bound.
 *
 *	finding_add_exchange() accepts a NULL command for a reply that
 *	answered no command (the greeting).
 *
 * DIAGNOSTICS
 *	Functions that allocate return 0 or SA_ERROR_NOMEM. After a failure
 *	the finding is still valid and finding_free() releases it.
 */
#include "finding.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"

#define FINDING_FIRST_EVIDENCE_CAP 8

/* strdup() that keeps NULL as NULL; *ok turns false on allocation failure. */
static char *finding_strdup_opt(const char *s, bool *ok)
{
	if (s == NULL)
		return NULL;
	char *copy = strdup(s);
	if (copy == NULL)
		*ok = false;
	return copy;
}

int finding_init(struct finding *f, enum catalog_id id, const char *variant)
{
	assert(id < CATALOG_COUNT);
	bool ok = true;
	*f = (struct finding){.id = id, .variant = finding_strdup_opt(variant, &ok)};
	return ok ? 0 : SA_ERROR_NOMEM;
}

void finding_free(struct finding *f)
{
	for (size_t i = 0; i < f->nevidence; i++)
		free(f->evidence[i].text);
	free(f->evidence);
	free(f->variant);
	free(f->detail);
	*f = (struct finding){0};
}

int finding_set_detailv(struct finding *f, const char *fmt, va_list ap)
{
	char *detail = NULL;
	if (vasprintf(&detail, fmt, ap) < 0)
		return SA_ERROR_NOMEM;
	free(f->detail);
	f->detail = detail;
	return 0;
}

int finding_set_detail(struct finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = finding_set_detailv(f, fmt, ap);
	va_end(ap);
	return rc;
}

static int finding_reserve_evidence(struct finding *f)
{
	if (f->nevidence < f->evidence_cap)
		return 0;
	size_t cap = f->evidence_cap == 0 ? FINDING_FIRST_EVIDENCE_CAP : 2 * f->evidence_cap;
	if (cap > FINDING_MAX_EVIDENCE)
		cap = FINDING_MAX_EVIDENCE;
	struct evidence *grown = realloc(f->evidence, cap * sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	f->evidence = grown;
	f->evidence_cap = cap;
	return 0;
}

/* Stores text (malloc'ed, ownership taken) or counts it when the bound is reached. */
static int finding_take_evidence(struct finding *f, enum evidence_kind kind, char *text)
{
	if (f->nevidence >= FINDING_MAX_EVIDENCE) {
		free(text);
		f->evidence_dropped++;
		return 0;
	}
	int rc = finding_reserve_evidence(f);
	if (rc < 0) {
		free(text);
		return rc;
	}
	f->evidence[f->nevidence++] = (struct evidence){.kind = kind, .text = text};
	return 0;
}

int finding_add_evidence(struct finding *f, enum evidence_kind kind, const char *text)
{
	assert(text != NULL);
	if (f->nevidence >= FINDING_MAX_EVIDENCE) {
		f->evidence_dropped++;
		return 0;
	}
	char *copy = strdup(text);
	if (copy == NULL)
		return SA_ERROR_NOMEM;
	return finding_take_evidence(f, kind, copy);
}

/* "250-text" for a continuation line, "250 text" for the last, "250" for an empty last line. */
static char *finding_reply_line(int code, const char *text, bool last)
{
	char *line = NULL;
	int n;
	if (last && text[0] == '\0')
		n = asprintf(&line, "%03d", code);
	else
		n = asprintf(&line, "%03d%c%s", code, last ? ' ' : '-', text);
	return n < 0 ? NULL : line;
}

int finding_add_exchange(struct finding *f, const char *command, const struct smtp_reply *reply)
{
	assert(reply != NULL);
	if (command != NULL) {
		int rc = finding_add_evidence(f, EVIDENCE_SENT, command);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < reply->nlines; i++) {
		if (f->nevidence >= FINDING_MAX_EVIDENCE) {
			f->evidence_dropped += reply->nlines - i;
			return 0;
		}
		char *line =
		    finding_reply_line(reply->code, reply->lines[i], i + 1 == reply->nlines);
		if (line == NULL)
			return SA_ERROR_NOMEM;
		int rc = finding_take_evidence(f, EVIDENCE_RECEIVED, line);
		if (rc < 0)
			return rc;
	}
	return 0;
}

enum finding_severity finding_severity(const struct finding *f)
{
	return catalog_get(f->id)->severity;
}

int finding_copy(struct finding *dst, const struct finding *src)
{
	bool ok = true;
	*dst = (struct finding){
	    .id = src->id,
	    .variant = finding_strdup_opt(src->variant, &ok),
	    .detail = finding_strdup_opt(src->detail, &ok),
	    .evidence_dropped = src->evidence_dropped,
	};
	if (ok && src->nevidence > 0) {
		dst->evidence = calloc(src->nevidence, sizeof(*dst->evidence));
		ok = dst->evidence != NULL;
		if (ok)
			dst->evidence_cap = src->nevidence;
	}
	for (size_t i = 0; ok && i < src->nevidence; i++) {
		dst->evidence[i].kind = src->evidence[i].kind;
		dst->evidence[i].text = finding_strdup_opt(src->evidence[i].text, &ok);
		if (ok)
			dst->nevidence++;
	}
	if (!ok) {
		finding_free(dst);
		return SA_ERROR_NOMEM;
	}
	return 0;
}

/* NULL sorts before any text. */
static int finding_compare_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

int finding_compare(const struct finding *a, const struct finding *b)
{
	enum finding_severity sa = finding_severity(a), sb = finding_severity(b);
	if (sa != sb)
		return sa > sb ? -1 : 1;
	int c = strcmp(catalog_get(a->id)->public_id, catalog_get(b->id)->public_id);
	if (c != 0)
		return c;
	c = finding_compare_opt(a->variant, b->variant);
	if (c != 0)
		return c;
	return finding_compare_opt(a->detail, b->detail);
}
