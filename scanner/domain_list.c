/*
 * NAME
 *	domain_list - the mail domains of --domain and --domains
 */
#include "domain_list.h"

#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "target.h"
#include "target_list.h"

static int domain_list_compare(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Takes name; a name already listed is dropped. */
static int domain_list_append(struct domain_list *l, char *name)
{
	char **grown = reallocarray(l->names, l->n + 1, sizeof(*grown));
	if (grown == NULL) {
		free(name);
		return SA_ERROR_NOMEM;
	}
	l->names = grown;
	char **node = tsearch(name, &l->seen, domain_list_compare);
	if (node == NULL || *node != name) {
		free(name);
		return node == NULL ? SA_ERROR_NOMEM : 0;
	}
	l->names[l->n++] = name;
	return 0;
}

/* The tree's keys are the names themselves, freed with the array. */
static void domain_list_keep_key(void *key)
{
	(void)key;
}

int domain_list_add(struct domain_list *l, const char *text, const char *source, char *err,
                    size_t errlen)
{
	char reason[256];
	struct target_spec spec;
	if (target_parse(text, &spec, reason, sizeof(reason)) != 0) {
		snprintf(err, errlen, "%s: bad domain: %s", source, reason);
		return SA_ERROR_PARSE;
	}
	const char *why = spec.kind != TARGET_NAME ? "is an address, not a mail domain"
	                  : spec.port != 0         ? "has a port: a mail domain has none"
	                                           : NULL;
	if (why != NULL) {
		snprintf(err, errlen, "%s: '%s' %s", source, text, why);
		target_spec_free(&spec);
		return SA_ERROR_PARSE;
	}
	int rc = domain_list_append(l, spec.host);
	if (rc != 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

static int domain_list_add_line(void *arg, const char *text, const char *source, char *err,
                                size_t errlen)
{
	return domain_list_add(arg, text, source, err, errlen);
}

int domain_list_add_file(struct domain_list *l, const char *path, char *err, size_t errlen)
{
	return target_list_read_file(path, domain_list_add_line, l, err, errlen);
}

void domain_list_free(struct domain_list *l)
{
	tdestroy(l->seen, domain_list_keep_key);
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	*l = (struct domain_list){0};
}
