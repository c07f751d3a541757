/*
 * NAME
 *	text_line - the content of one line of a list file
 *
 * DESCRIPTION
 *	See text_line.h.
 */
#include "text_line.h"

#include <ctype.h>
#include <string.h>

char *text_line_strip(char *line)
{
	char *hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	while (isspace((unsigned char)*line))
		line++;
	size_t len = strlen(line);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	return line;
}
