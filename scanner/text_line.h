/*
 * NAME
 *	text_line - the content of one line of a list file
 *
 * DESCRIPTION
 *	List files (targets, user names) share one form: '#' starts a
 *	comment, surrounding white space does not count, and a line left
 *	empty carries nothing.
 */
#ifndef TEXT_LINE_H
#define TEXT_LINE_H

/* Cuts line at '#' and trims white space, in place; returns the start of what is left. */
char *text_line_strip(char *line);

#endif
