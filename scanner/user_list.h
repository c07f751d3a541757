/*
 * NAME
 *	user_list - the local parts user enumeration tries (--users FILE)
 *
 * SUMMARY
 *	struct user_list users;
 *	user_list_init(&users);
 *	if (user_list_load(&users, "users.txt", err, sizeof(err)) != 0) ...
 *	user_list_free(&users);
 *
 * DESCRIPTION
 *	One local part per line; blank lines and '#' comments are skipped,
 *	surrounding white space is trimmed. A name must be a dot-atom local
 *	part (RFC 5321 section 4.1.2) of at most 64 octets, so it can go
 *	into VRFY, EXPN and RCPT TO without quoting; at most USER_LIST_MAX
 *	names, so a mistaken file cannot turn the probe into a dictionary
 *	attack.
 *
 * DIAGNOSTICS
 *	user_list_load() returns SA_ERROR_IO, SA_ERROR_INVAL (with the line
 *	number), SA_ERROR_RANGE (too many names, or none) or SA_ERROR_NOMEM
 *	and writes a one-line message to err.
 */
#ifndef USER_LIST_H
#define USER_LIST_H

#include <stdbool.h>
#include <stddef.h>

#define USER_LIST_MAX 1000

struct user_list {
	char **names;
	size_t count;
};

void user_list_init(struct user_list *list);
void user_list_free(struct user_list *list);

/* True when name is a dot-atom local part of at most 64 octets. */
bool user_list_valid_name(const char *name);

int user_list_load(struct user_list *list, const char *path, char *err, size_t errlen);

#endif
