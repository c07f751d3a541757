/*
 * NAME
 *	dns_tags - tag=value TXT records (DMARC, MTA-STS, TLS-RPT) and their report URIs
 *
 * DESCRIPTION
 *	The record is copied once and cut in place: names and values point
 *	into that copy. Work is linear in the record's length and the number
 *	of tags is bounded, so a huge or hostile record costs nothing more.
 *
 * DIAGNOSTICS
 *	See dns_tags.h.
 */
#include "dns_tags.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"
#include "smtp_addr.h"

#define DNS_TAGS_MAX_NAME 32
/* Longest host name text a URI may carry (RFC 1035 names are shorter). */
#define DNS_TAGS_MAX_HOST 256

static bool dns_tags_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static size_t dns_tags_skip_wsp(const char *s, size_t pos)
{
	while (dns_tags_wsp(s[pos]))
		pos++;
	return pos;
}

static bool dns_tags_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int dns_tags_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int dns_tags_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* The end of the name starting at pos, or pos when there is none. */
static size_t dns_tags_name_end(const char *s, size_t pos)
{
	size_t end = pos;
	if (!isalnum((unsigned char)s[end]))
		return pos;
	while (dns_tags_name_char(s[end]) && end - pos < DNS_TAGS_MAX_NAME)
		end++;
	return end;
}

/* Scans a value from pos up to ';' or the end; *end excludes trailing blanks. */
static int dns_tags_value(const char *s, size_t pos, size_t *stop, size_t *end, char *err,
                          size_t errlen)
{
	size_t i = pos;
	for (; s[i] != '\0' && s[i] != ';'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!dns_tags_wsp((char)c) && (c < 0x21 || c > 0x7e))
			return dns_tags_fail(err, errlen, SA_ERROR_PARSE,
			                     "byte 0x%02x is not allowed at offset %zu", c, i);
	}
	*stop = i;
	while (i > pos && dns_tags_wsp(s[i - 1]))
		i--;
	*end = i;
	return 0;
}

/* Parses one tag at *pos (blanks skipped) and leaves *pos after its ';' or at the end. */
static int dns_tags_one(struct dns_tags *out, size_t *pos, bool spaced_equals, char *err,
                        size_t errlen)
{
	char *s = out->buf;
	size_t start = *pos;
	size_t name_end = dns_tags_name_end(s, start);
	if (name_end == start)
		return dns_tags_fail(err, errlen, SA_ERROR_PARSE,
		                     "a tag name must start with a letter or digit at offset %zu",
		                     start);
	size_t eq = spaced_equals ? dns_tags_skip_wsp(s, name_end) : name_end;
	if (s[eq] != '=')
		return dns_tags_fail(err, errlen, SA_ERROR_PARSE,
		                     "expected '=' after tag name at offset %zu", eq);
	size_t vpos = spaced_equals ? dns_tags_skip_wsp(s, eq + 1) : eq + 1;
	if (dns_tags_wsp(s[vpos]))
		return dns_tags_fail(err, errlen, SA_ERROR_PARSE, "blank after '=' at offset %zu",
		                     vpos);
	size_t stop = vpos, vend = vpos;
	int rc = dns_tags_value(s, vpos, &stop, &vend, err, errlen);
	if (rc < 0)
		return rc;
	if (vend == vpos)
		return dns_tags_fail(err, errlen, SA_ERROR_PARSE,
		                     "tag \"%.*s\" has no value at offset %zu",
		                     (int)(name_end - start), s + start, vpos);
	if (out->n == DNS_TAGS_MAX)
		return dns_tags_fail(err, errlen, SA_ERROR_TOOBIG, "more than %d tags",
		                     DNS_TAGS_MAX);
	bool more = s[stop] == ';';
	s[name_end] = '\0';
	s[vend] = '\0';
	out->tags[out->n++] =
	    (struct dns_tag){.name = s + start, .value = s + vpos, .offset = start};
	*pos = more ? stop + 1 : stop;
	return 0;
}

int dns_tags_parse(struct dns_tags *out, const char *record, bool spaced_equals, char *err,
                   size_t errlen)
{
	*out = (struct dns_tags){0};
	size_t len = strlen(record);
	if (len > DNS_TAGS_MAX_RECORD)
		return dns_tags_fail(err, errlen, SA_ERROR_TOOBIG,
		                     "record of %zu bytes is too long", len);
	out->buf = strdup(record);
	if (out->buf == NULL)
		return SA_ERROR_NOMEM;
	size_t pos = 0;
	int rc = 0;
	for (;;) {
		pos = dns_tags_skip_wsp(out->buf, pos);
		if (out->buf[pos] == '\0' && out->n > 0)
			break;
		rc = dns_tags_one(out, &pos, spaced_equals, err, errlen);
		if (rc < 0)
			break;
		if (out->buf[pos] == '\0')
			break;
	}
	if (rc < 0)
		dns_tags_free(out);
	return rc;
}

void dns_tags_free(struct dns_tags *tags)
{
	free(tags->buf);
	*tags = (struct dns_tags){0};
}

const struct dns_tag *dns_tags_find(const struct dns_tags *tags, const char *name)
{
	for (size_t i = 0; i < tags->n; i++)
		if (strcmp(tags->tags[i].name, name) == 0)
			return &tags->tags[i];
	return NULL;
}

size_t dns_tags_count(const struct dns_tags *tags, const char *name)
{
	size_t count = 0;
	for (size_t i = 0; i < tags->n; i++)
		count += strcmp(tags->tags[i].name, name) == 0;
	return count;
}

bool dns_tags_versioned(const char *record, const char *version, bool spaced_equals)
{
	size_t pos = 0;
	if (record[pos++] != 'v')
		return false;
	if (spaced_equals)
		pos = dns_tags_skip_wsp(record, pos);
	if (record[pos++] != '=')
		return false;
	if (spaced_equals)
		pos = dns_tags_skip_wsp(record, pos);
	size_t vlen = strlen(version);
	if (strncmp(record + pos, version, vlen) != 0)
		return false;
	char next = record[pos + vlen];
	return next == '\0' || next == ';' || dns_tags_wsp(next);
}

/* Copies len bytes of s into buf (DNS_TAGS_MAX_HOST) and checks it is a host name. */
static bool dns_tags_host_ok(const char *s, size_t len)
{
	char host[DNS_TAGS_MAX_HOST];
	if (len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	return smtp_addr_is_hostname(host);
}

static bool dns_tags_hex(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

/* A mailto local part: printable, no blanks or list separators, %XX escapes well formed. */
static bool dns_tags_local_ok(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			if (i + 2 >= len || !dns_tags_hex(s[i + 1]) || !dns_tags_hex(s[i + 2]))
				return false;
			i += 2;
		} else if (strchr(" \t,;!<>()[]\\\"", s[i]) != NULL) {
			return false;
		}
	}
	return true;
}

static bool dns_tags_mailto_ok(const char *s, size_t len)
{
	size_t addr_len = len;
	const char *query = memchr(s, '?', len);
	if (query != NULL)
		addr_len = (size_t)(query - s);
	const char *at = NULL;
	for (size_t i = 0; i < addr_len; i++)
		if (s[i] == '@')
			at = s + i;
	if (at == NULL)
		return false;
	size_t local_len = (size_t)(at - s);
	return dns_tags_local_ok(s, local_len) &&
	       dns_tags_host_ok(at + 1, addr_len - local_len - 1);
}

static bool dns_tags_https_ok(const char *s, size_t len)
{
	if (memchr(s, ' ', len) != NULL || memchr(s, '\t', len) != NULL)
		return false;
	size_t host_len = strcspn(s, ":/?#");
	if (host_len > len)
		host_len = len;
	if (!dns_tags_host_ok(s, host_len))
		return false;
	if (host_len < len && s[host_len] == ':') {
		size_t digits = 0;
		while (host_len + 1 + digits < len &&
		       isdigit((unsigned char)s[host_len + 1 + digits]))
			digits++;
		return digits > 0 && digits <= 5;
	}
	return true;
}

/* Strips a DMARC "!size[kmgt]" from the end of uri; false when it is malformed. */
static bool dns_tags_strip_size(const char *uri, size_t *len)
{
	const char *bang = memchr(uri, '!', *len);
	if (bang == NULL)
		return true;
	size_t i = (size_t)(bang - uri) + 1, digits = 0;
	while (i < *len && isdigit((unsigned char)uri[i])) {
		i++;
		digits++;
	}
	if (i < *len && strchr("kmgt", uri[i]) != NULL)
		i++;
	if (digits == 0 || i != *len)
		return false;
	*len = (size_t)(bang - uri);
	return true;
}

static const char *dns_tags_uri_problem(const char *uri, size_t len, unsigned allowed)
{
	static const char mailto[] = "mailto:", https[] = "https://";
	if ((allowed & DNS_TAGS_URI_SIZE) && !dns_tags_strip_size(uri, &len))
		return "malformed size limit";
	if (len > strlen(mailto) && strncasecmp(uri, mailto, strlen(mailto)) == 0) {
		if (!(allowed & DNS_TAGS_URI_MAILTO))
			return "mailto: is not allowed here";
		return dns_tags_mailto_ok(uri + strlen(mailto), len - strlen(mailto))
		           ? NULL
		           : "not a mail address";
	}
	if (len > strlen(https) && strncasecmp(uri, https, strlen(https)) == 0) {
		if (!(allowed & DNS_TAGS_URI_HTTPS))
			return "https: is not allowed here";
		return dns_tags_https_ok(uri + strlen(https), len - strlen(https))
		           ? NULL
		           : "not an https URL with a host name";
	}
	return (allowed & DNS_TAGS_URI_HTTPS) ? "scheme is neither mailto: nor https:"
	                                      : "scheme is not mailto:";
}

int dns_tags_check_uris(const char *value, unsigned allowed, char *err, size_t errlen)
{
	const char *p = value;
	for (;;) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ",");
		size_t trimmed = len;
		while (trimmed > 0 && dns_tags_wsp(p[trimmed - 1]))
			trimmed--;
		if (trimmed == 0)
			return dns_tags_fail(err, errlen, SA_ERROR_PARSE, "empty URI in \"%s\"",
			                     value);
		const char *problem = dns_tags_uri_problem(p, trimmed, allowed);
		if (problem != NULL)
			return dns_tags_fail(err, errlen, SA_ERROR_PARSE, "\"%.*s\": %s",
			                     (int)trimmed, p, problem);
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}
