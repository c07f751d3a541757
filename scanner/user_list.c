/*
 * NAME
 *	user_list - the local parts user enumeration tries (--users FILE)
 *
 * DESCRIPTION
 *	See user_list.h.
 */
#include "user_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa_error.h"
#include "text_line.h"

/* RFC 5321 atext: the characters a dot-atom local part may hold. */
static bool user_list_atext(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

bool user_list_valid_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 64 || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.' ? name[i + 1] == '.' : !user_list_atext(c))
			return false;
	}
	return true;
}

void user_list_init(struct user_list *list)
{
	*list = (struct user_list){0};
}

void user_list_free(struct user_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	user_list_init(list);
}

static int user_list_add(struct user_list *list, const char *name)
{
	char **grown = realloc(list->names, (list->count + 1) * sizeof(*grown));
	if (grown == NULL)
		return SA_ERROR_NOMEM;
	list->names = grown;
	if ((list->names[list->count] = strdup(name)) == NULL)
		return SA_ERROR_NOMEM;
	list->count++;
	return 0;
}

static int user_list_read(struct user_list *list, FILE *f, const char *path, char *err,
                          size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		const char *name = text_line_strip(line);
		if (*name == '\0')
			continue;
		if (!user_list_valid_name(name)) {
			snprintf(err, errlen,
			         "%s:%u: not a plain local part (letters, digits, "
			         "!#$%%&'*+-/=?^_`{|}~ and inner dots, at most 64)",
			         path, lineno);
			rc = SA_ERROR_INVAL;
		} else if (list->count == USER_LIST_MAX) {
			snprintf(err, errlen, "%s: more than %d names", path, USER_LIST_MAX);
			rc = SA_ERROR_RANGE;
		} else if ((rc = user_list_add(list, name)) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
		}
	}
	free(line);
	return rc;
}

int user_list_load(struct user_list *list, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SA_ERROR_IO;
	}
	int rc = user_list_read(list, f, path, err, errlen);
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = SA_ERROR_IO;
	}
	fclose(f);
	if (rc == 0 && list->count == 0) {
		snprintf(err, errlen, "%s: no names in the file", path);
		rc = SA_ERROR_RANGE;
	}
	if (rc != 0)
		user_list_free(list);
	return rc;
}
