/*
 * NAME
 *	dns_findings - the findings a mail DNS posture check produces
 *
 * DESCRIPTION
 *	A growable array of findings with a fixed bound; see dns_findings.h.
 *
 * DIAGNOSTICS
 *	Functions that allocate return 0 or SA_ERROR_NOMEM.
 */
#include "dns_findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sa_error.h"

#define DNS_FINDINGS_FIRST_CAP 4

void dns_findings_free(struct dns_findings *list)
{
	for (size_t i = 0; i < list->n; i++)
		finding_free(&list->items[i]);
	free(list->items);
	*list = (struct dns_findings){0};
}

static int dns_findings_reserve(struct dns_findings *list)
{
	if (list->n < list->cap)
		return 0;
	size_t cap = list->cap == 0 ? DNS_FINDINGS_FIRST_CAP : 2 * list->cap;
	if (cap > DNS_FINDINGS_MAX)
		cap = DNS_FINDINGS_MAX;
	struct finding *grown = realloc(list->items, cap * sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	list->items = grown;
	list->cap = cap;
	return 0;
}

int dns_findings_addv(struct dns_findings *list, struct finding **added, enum catalog_id id,
                      const char *variant, const char *fmt, va_list ap)
{
	if (added != NULL)
		*added = NULL;
	if (list->n >= DNS_FINDINGS_MAX) {
		list->dropped++;
		return 0;
	}
	int rc = dns_findings_reserve(list);
	if (rc < 0)
		return rc;
	struct finding *f = &list->items[list->n];
	rc = finding_init(f, id, variant);
	if (rc == 0)
		rc = finding_set_detailv(f, fmt, ap);
	if (rc < 0) {
		finding_free(f);
		return rc;
	}
	list->n++;
	if (added != NULL)
		*added = f;
	return 0;
}

int dns_findings_add(struct dns_findings *list, struct finding **added, enum catalog_id id,
                     const char *variant, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dns_findings_addv(list, added, id, variant, fmt, ap);
	va_end(ap);
	return rc;
}

int dns_findings_take(struct dns_findings *list, struct finding *f)
{
	int rc = 0;
	if (list->n >= DNS_FINDINGS_MAX) {
		list->dropped++;
		finding_free(f);
		return 0;
	}
	rc = dns_findings_reserve(list);
	if (rc < 0)
		return rc;
	list->items[list->n++] = *f;
	*f = (struct finding){0};
	return 0;
}

int dns_findings_evidence(struct finding *f, enum evidence_kind kind, const char *fmt, ...)
{
	if (f == NULL)
		return 0;
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return SA_ERROR_NOMEM;
	int rc = finding_add_evidence(f, kind, text);
	free(text);
	return rc;
}

const struct finding *dns_findings_find(const struct dns_findings *list, enum catalog_id id)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->items[i].id == id)
			return &list->items[i];
	return NULL;
}
