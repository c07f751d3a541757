/*
 * NAME
 *	lab_addr - envelope address classes and HELO name verdicts
 *
 * DESCRIPTION
 *	See lab_addr.h. Address literals are compared in canonical form
 *	(inet_pton then inet_ntop), the form in which the connection gives
 *	its own and its peer's address, so "[IPv6:0:0::1]" matches "::1".
 */
#include "lab_addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "sa_error.h"

#define LAB_ADDR_MAX_HELO    255
#define LAB_ADDR_MAX_LABEL   63
#define LAB_ADDR_LITERAL_MAX 64

static const char *const lab_addr_users[] = {"postmaster", "root",  "admin",
                                             "abuse",      "alice", "bob"};

static const char *const lab_addr_staff[] = {"alice", "bob", "admin", NULL};

static const struct {
	const char *name;
	const char *const *members;
} lab_addr_lists[] = {
    {"staff", lab_addr_staff},
};

/* The parts of "local@domain"; the local part of a quoted address excludes the quotes. */
struct lab_addr_parts {
	const char *local, *domain;
	size_t local_len, domain_len;
	bool routed;
};

/* First '>' outside a quoted string, or NULL. */
static const char *lab_addr_closing_bracket(const char *p)
{
	bool quoted = false;
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == '>' && !quoted)
			return p;
	}
	return NULL;
}

int lab_addr_path(const char *arg, const char *keyword, const char **addr, size_t *len,
                  const char **params)
{
	size_t klen = strlen(keyword);
	if (strncasecmp(arg, keyword, klen) != 0)
		return SA_ERROR_PARSE;
	const char *p = arg + klen;
	while (*p == ' ')
		p++;
	if (*p != '<') {
		size_t n = strcspn(p, " ");
		if (n == 0)
			return SA_ERROR_PARSE;
		*addr = p;
		*len = n;
		*params = p + n;
		return 0;
	}
	const char *end = lab_addr_closing_bracket(p + 1);
	if (end == NULL)
		return SA_ERROR_PARSE;
	*addr = p + 1;
	*len = (size_t)(end - (p + 1));
	*params = end + 1;
	return 0;
}

static bool lab_addr_has_route_char(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '%' || s[i] == '!' || s[i] == '@')
			return true;
	return false;
}

static bool lab_addr_plain_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f || s[i] == '"' || s[i] == '<' || s[i] == '>')
			return false;
	return true;
}

static int lab_addr_split_quoted(const char *addr, size_t len, struct lab_addr_parts *out)
{
	size_t i = 1;
	while (i < len && addr[i] != '"')
		i += (addr[i] == '\\' && i + 1 < len) ? 2 : 1;
	if (i >= len)
		return SA_ERROR_PARSE;
	out->local = addr + 1;
	out->local_len = i - 1;
	out->routed = lab_addr_has_route_char(out->local, out->local_len);
	if (i + 1 == len)
		return 0;
	if (addr[i + 1] != '@' || i + 2 == len)
		return SA_ERROR_PARSE;
	out->domain = addr + i + 2;
	out->domain_len = len - i - 2;
	return 0;
}

static int lab_addr_split(const char *addr, size_t len, struct lab_addr_parts *out)
{
	*out = (struct lab_addr_parts){0};
	if (addr[0] == '"')
		return lab_addr_split_quoted(addr, len, out);
	if (!lab_addr_plain_text(addr, len))
		return SA_ERROR_PARSE;
	const char *at = memrchr(addr, '@', len);
	out->local = addr;
	out->local_len = at != NULL ? (size_t)(at - addr) : len;
	if (at != NULL) {
		out->domain = at + 1;
		out->domain_len = len - out->local_len - 1;
		if (out->domain_len == 0)
			return SA_ERROR_PARSE;
	}
	out->routed = lab_addr_has_route_char(out->local, out->local_len);
	return 0;
}

/* Case-insensitive equality of a name with an optional trailing dot and a plain name. */
static bool lab_addr_same_name(const char *name, size_t len, const char *plain)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	return len == strlen(plain) && strncasecmp(name, plain, len) == 0;
}

static bool lab_addr_ends_with(const char *name, size_t len, const char *suffix)
{
	size_t slen = strlen(suffix);
	return len >= slen && strncasecmp(name + len - slen, suffix, slen) == 0;
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]" in canonical text form; false when broken. */
static bool lab_addr_literal(const char *text, size_t len, char canon[LAB_ADDR_LITERAL_MAX])
{
	char inner[LAB_ADDR_LITERAL_MAX];
	unsigned char bin[sizeof(struct in6_addr)];
	if (len < 3 || text[0] != '[' || text[len - 1] != ']' || len - 2 >= sizeof(inner))
		return false;
	memcpy(inner, text + 1, len - 2);
	inner[len - 2] = '\0';
	int family = AF_INET;
	const char *ip = inner;
	if (strncasecmp(inner, "IPv6:", 5) == 0) {
		family = AF_INET6;
		ip += 5;
	}
	return inet_pton(family, ip, bin) == 1 &&
	       inet_ntop(family, bin, canon, LAB_ADDR_LITERAL_MAX) != NULL;
}

static bool lab_addr_domain_is_local(const struct lab_where *w, const char *domain, size_t len)
{
	char canon[LAB_ADDR_LITERAL_MAX];
	if (domain[0] == '[')
		return lab_addr_literal(domain, len, canon) && strcmp(canon, w->local_ip) == 0;
	return lab_addr_same_name(domain, len, w->hostname) ||
	       lab_addr_same_name(domain, len, w->domain);
}

static bool lab_addr_domain_is_invalid(const char *domain, size_t len)
{
	if (len > 0 && domain[len - 1] == '.')
		len--;
	return lab_addr_same_name(domain, len, "invalid") ||
	       lab_addr_ends_with(domain, len, ".invalid");
}

static bool lab_addr_same_local(const char *local, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(local, name, len) == 0;
}

static const char *const *lab_addr_find_list(const char *local, size_t len)
{
	for (size_t i = 0; i < sizeof(lab_addr_lists) / sizeof(lab_addr_lists[0]); i++)
		if (lab_addr_same_local(local, len, lab_addr_lists[i].name))
			return lab_addr_lists[i].members;
	return NULL;
}

static bool lab_addr_known_user(const char *local, size_t len)
{
	for (size_t i = 0; i < sizeof(lab_addr_users) / sizeof(lab_addr_users[0]); i++)
		if (lab_addr_same_local(local, len, lab_addr_users[i]))
			return true;
	return lab_addr_find_list(local, len) != NULL;
}

/* The parts of a local address (split, not routed, in a local domain or none); false if not. */
static bool lab_addr_local_parts(const struct lab_where *w, const char *addr, size_t len,
                                 struct lab_addr_parts *parts)
{
	if (len == 0 || addr[0] == '@' || lab_addr_split(addr, len, parts) != 0 || parts->routed)
		return false;
	return parts->domain == NULL ||
	       lab_addr_domain_is_local(w, parts->domain, parts->domain_len);
}

enum lab_addr_class lab_addr_classify(const struct lab_where *w, const char *addr, size_t len)
{
	struct lab_addr_parts parts;
	if (len == 0)
		return LAB_ADDR_BAD;
	if (addr[0] == '@')
		return memchr(addr, ':', len) != NULL ? LAB_ADDR_ROUTED : LAB_ADDR_BAD;
	if (lab_addr_split(addr, len, &parts) != 0)
		return LAB_ADDR_BAD;
	if (parts.routed)
		return LAB_ADDR_ROUTED;
	if (parts.domain != NULL && lab_addr_domain_is_invalid(parts.domain, parts.domain_len))
		return LAB_ADDR_INVALID_DOMAIN;
	if (parts.domain == NULL || lab_addr_domain_is_local(w, parts.domain, parts.domain_len))
		return lab_addr_known_user(parts.local, parts.local_len) ? LAB_ADDR_LOCAL_KNOWN
		                                                         : LAB_ADDR_LOCAL_UNKNOWN;
	return LAB_ADDR_EXTERNAL;
}

const char *const *lab_addr_list_members(const struct lab_where *w, const char *addr, size_t len)
{
	struct lab_addr_parts parts;
	if (!lab_addr_local_parts(w, addr, len, &parts))
		return NULL;
	return lab_addr_find_list(parts.local, parts.local_len);
}

static bool lab_addr_valid_label(const char *label, size_t len)
{
	if (len == 0 || len > LAB_ADDR_MAX_LABEL || label[0] == '-' || label[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)label[i]) && label[i] != '-')
			return false;
	return true;
}

static bool lab_addr_all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* At least two valid labels and a top-level label that is not numeric (so no bare IPv4). */
static bool lab_addr_valid_fqdn(const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	size_t labels = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (!lab_addr_valid_label(name + start, i - start))
			return false;
		labels++;
		if (i == len && lab_addr_all_digits(name + start, i - start))
			return false;
		start = i + 1;
	}
	return labels >= 2;
}

enum lab_helo_verdict lab_addr_check_helo(const struct lab_where *w, const char *name)
{
	size_t len = strlen(name);
	char canon[LAB_ADDR_LITERAL_MAX];
	if (len > LAB_ADDR_MAX_HELO)
		return LAB_HELO_NOT_FQDN;
	if (lab_addr_same_name(name, len, "localhost") ||
	    lab_addr_same_name(name, len, "localhost.localdomain") ||
	    lab_addr_same_name(name, len, w->hostname))
		return LAB_HELO_NOT_ME;
	if (name[0] == '[') {
		if (!lab_addr_literal(name, len, canon))
			return LAB_HELO_NOT_FQDN;
		if (strcmp(canon, w->local_ip) == 0)
			return LAB_HELO_NOT_ME;
		return strcmp(canon, w->peer_ip) == 0 ? LAB_HELO_OK : LAB_HELO_LITERAL_MISMATCH;
	}
	return lab_addr_valid_fqdn(name, len) ? LAB_HELO_OK : LAB_HELO_NOT_FQDN;
}
