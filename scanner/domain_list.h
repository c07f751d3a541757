/*
 * NAME
 *	domain_list - the mail domains of --domain and --domains
 *
 * DESCRIPTION
 *	A domain is a DNS name as target.h accepts host names (stored lower
 *	case, a trailing dot removed), without a port. Files hold one domain
 *	per line with '#' comments, read as target files are. Duplicates are
 *	dropped, order kept.
 *
 * DIAGNOSTICS
 *	0 or SA_ERROR_PARSE / SA_ERROR_IO / SA_ERROR_NOMEM, with one line in
 *	err naming the culprit: "domains.txt:3: '10.0.0.1' is an address, not
 *	a mail domain".
 */
#ifndef DOMAIN_LIST_H
#define DOMAIN_LIST_H

#include <stddef.h>

struct domain_list {
	char **names;
	size_t n;
	void *seen; /* tsearch(3) tree of the names: a long --domains file stays O(n log n) */
};

int domain_list_add(struct domain_list *l, const char *text, const char *source, char *err,
                    size_t errlen);

/* Adds every domain of a file ("-" = stdin). */
int domain_list_add_file(struct domain_list *l, const char *path, char *err, size_t errlen);

void domain_list_free(struct domain_list *l);

#endif
