/*
 * NAME
 *	smtp_command - check and classify outgoing command lines
 */
#include "smtp_command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

const char *smtp_command_verb(const char *line, char *buf, size_t buflen)
{
	size_t n = strcspn(line, " :");
	if (n >= buflen)
		n = buflen - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	return buf;
}

int smtp_command_check(const char *line, size_t len, bool allow_data)
{
	char verb[8];
	if (len > SMTP_COMMAND_MAX || strlen(line) != len || strpbrk(line, "\r\n") != NULL)
		return SA_ERROR_INVAL;
	smtp_command_verb(line, verb, sizeof(verb));
	if (!allow_data && (strcasecmp(verb, "DATA") == 0 || strcasecmp(verb, "BDAT") == 0))
		return SA_ERROR_POLICY;
	return 0;
}

const char *smtp_command_redact(const char *line, bool after_challenge, char *buf, size_t buflen)
{
	char verb[8];
	if (after_challenge) {
		snprintf(buf, buflen, "<redacted>");
		return buf;
	}
	const char *mech = strchr(line, ' ');
	const char *initial = mech ? strchr(mech + 1, ' ') : NULL;
	if (strcasecmp(smtp_command_verb(line, verb, sizeof(verb)), "AUTH") == 0 && initial != NULL)
		snprintf(buf, buflen, "%.*s <redacted>", (int)(initial - line), line);
	else
		snprintf(buf, buflen, "%s", line);
	return buf;
}

bool smtp_command_groupable(const char *line)
{
	char verb[8];
	smtp_command_verb(line, verb, sizeof(verb));
	return strcasecmp(verb, "RSET") == 0 || strcasecmp(verb, "MAIL") == 0 ||
	       strcasecmp(verb, "RCPT") == 0;
}

int smtp_command_message(const char *body, char **out, size_t *outlen)
{
	size_t len = strlen(body);
	if (len > SMTP_COMMAND_MAX_MESSAGE)
		return SA_ERROR_TOOBIG;
	/* Worst case: every byte a one-character line that needs stuffing, plus ".". */
	char *buf = malloc(4 * len + 4);
	if (buf == NULL)
		return SA_ERROR_NOMEM;
	size_t n = 0;
	const char *p = body;
	for (;;) {
		size_t line = strcspn(p, "\r\n");
		if (p[line] == '\r' && p[line + 1] != '\n') {
			free(buf);
			return SA_ERROR_INVAL;
		}
		if (p[0] == '.')
			buf[n++] = '.';
		memcpy(buf + n, p, line);
		n += line;
		memcpy(buf + n, "\r\n", 2);
		n += 2;
		p += line;
		p += (*p == '\r') ? 2 : (*p == '\n');
		if (*p == '\0')
			break;
	}
	buf[n++] = '.';
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}
