/*
 * NAME
 *	smtp_addr - server names, domains and address literals
 */
#include "smtp_addr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define SMTP_ADDR_MAX_NAME 253

const char *smtp_addr_literal(const char *address, int family, char *buf, size_t buflen)
{
	snprintf(buf, buflen, family == 6 ? "[IPv6:%s]" : "[%s]", address);
	return buf;
}

static bool smtp_addr_label_ok(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)label[i]) && label[i] != '-')
			return false;
	return true;
}

bool smtp_addr_is_hostname(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > SMTP_ADDR_MAX_NAME || strchr(name, '.') == NULL)
		return false;
	const char *p = name;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (!smtp_addr_label_ok(p, n))
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

static const char *smtp_addr_lower_copy(const char *src, size_t len, char *buf, size_t buflen)
{
	if (len >= buflen)
		len = buflen - 1;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)src[i]);
	buf[len] = '\0';
	return buf;
}

const char *smtp_addr_server_name(const struct smtp_reply *greeting, const struct smtp_caps *caps,
				  char *buf, size_t buflen)
{
	char word[SMTP_ADDR_MAX_NAME + 2];
	if (caps != NULL && caps->server_name != NULL && smtp_addr_is_hostname(caps->server_name))
		return smtp_addr_lower_copy(caps->server_name, strlen(caps->server_name), buf,
					    buflen);
	if (greeting != NULL && greeting->nlines > 0) {
		const char *line = greeting->lines[0];
		size_t n = strcspn(line, " \t");
		if (n < sizeof(word)) {
			memcpy(word, line, n);
			word[n] = '\0';
			if (smtp_addr_is_hostname(word))
				return smtp_addr_lower_copy(word, n, buf, buflen);
		}
	}
	buf[0] = '\0';
	return buf;
}

const char *smtp_addr_domain_of(const char *host, char *buf, size_t buflen)
{
	const char *dot = strchr(host, '.');
	const char *rest = dot ? dot + 1 : host;
	/* Keep two-label names whole: "example.org" is the domain itself. */
	if (dot == NULL || strchr(rest, '.') == NULL)
		rest = host;
	snprintf(buf, buflen, "%s", rest);
	return buf;
}
