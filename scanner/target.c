/*
 * NAME
 *	target - parse one target specification and port lists
 *
 * DESCRIPTION
 *	See target.h for the accepted forms. Decisions on ambiguous input:
 *
 *	- Text with two or more ':' outside brackets is a bare IPv6 address
 *	  and never carries a port: "2001:db8::1:25" is the address
 *	  2001:db8::1:25. A port after an IPv6 address needs brackets.
 *	- Text made only of digits and dots is an IPv4 address or an error
 *	  ("1.2.3.4.5", "010.0.0.1", "1.2.3.4."): it is never taken as a
 *	  host name, so inet_aton's shorthands ("127.1", octal) never apply.
 *	- A CIDR block whose prefix covers the whole address ("/32", "/128")
 *	  is an ADDRESS, so it de-duplicates with the plain address.
 *	- An ADDRESS or CIDR host is the inet_ntop text of the (network)
 *	  address: "2001:DB8:0::1" becomes "2001:db8::1".
 *
 *	Every message quotes the input with bytes outside printable ASCII
 *	written as \xNN, and cut at TARGET_QUOTE_MAX bytes, so it is safe
 *	to print whatever the input held.
 *
 * DIAGNOSTICS
 *	SA_ERROR_PARSE for malformed text, SA_ERROR_RANGE for a port or
 *	prefix length out of range or a reversed port range, SA_ERROR_TOOBIG
 *	for a port list longer than the caller's array, SA_ERROR_NOMEM.
 */
#include "target.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sa_error.h"

#define TARGET_QUOTE_MAX 96
#define TARGET_NAME_MAX  253
#define TARGET_LABEL_MAX 63
#define TARGET_PORT_MAX  65535

/* Writes the message and evaluates to rc; a macro so the format is checked where it is written. */
#define TARGET_FAIL(err, errlen, rc, ...) ((void)snprintf((err), (errlen), __VA_ARGS__), (rc))

/* A slice of the input: targets are parsed in place, never copied piecewise. */
struct target_text {
	const char *s;
	size_t len;
};

static void target_quote(struct target_text t, char *buf, size_t buflen)
{
	static const char ellipsis[] = "...";
	size_t o = 0;
	assert(buflen >= sizeof("\\xNN") + sizeof(ellipsis));
	for (size_t i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.s[i];
		char piece[5];
		int n = c >= 0x20 && c < 0x7f && c != '\\'
		            ? snprintf(piece, sizeof(piece), "%c", c)
		            : snprintf(piece, sizeof(piece), "\\x%02x", c);
		if (o + (size_t)n + sizeof(ellipsis) > buflen) {
			memcpy(buf + o, ellipsis, sizeof(ellipsis) - 1);
			o += sizeof(ellipsis) - 1;
			break;
		}
		memcpy(buf + o, piece, (size_t)n);
		o += (size_t)n;
	}
	buf[o] = '\0';
}

static struct target_text target_text_of(const char *s)
{
	return (struct target_text){.s = s, .len = strlen(s)};
}

static bool target_text_has(struct target_text t, char c)
{
	return memchr(t.s, c, t.len) != NULL;
}

static struct target_text target_text_trim(struct target_text t)
{
	while (t.len > 0 && (t.s[0] == ' ' || t.s[0] == '\t')) {
		t.s++;
		t.len--;
	}
	while (t.len > 0 && (t.s[t.len - 1] == ' ' || t.s[t.len - 1] == '\t'))
		t.len--;
	return t;
}

/* Decimal number of at most limit; SA_ERROR_PARSE unless all digits, SA_ERROR_RANGE above limit. */
static int target_decimal(struct target_text t, unsigned long limit, unsigned long *value)
{
	unsigned long v = 0;
	bool over = false;
	if (t.len == 0)
		return SA_ERROR_PARSE;
	for (size_t i = 0; i < t.len; i++) {
		if (!isdigit((unsigned char)t.s[i]))
			return SA_ERROR_PARSE;
		v = v * 10 + (unsigned long)(t.s[i] - '0');
		if (v > limit) {
			over = true;
			v = limit + 1;
		}
	}
	*value = v;
	return over ? SA_ERROR_RANGE : 0;
}

static int target_port_value(struct target_text t, uint16_t *port)
{
	unsigned long v = 0;
	int rc = target_decimal(t, TARGET_PORT_MAX, &v);
	if (rc != 0)
		return rc;
	if (v == 0)
		return SA_ERROR_RANGE;
	*port = (uint16_t)v;
	return 0;
}

static unsigned target_family_bits(int family)
{
	assert(family == AF_INET || family == AF_INET6);
	return family == AF_INET ? 32 : 128;
}

static bool target_addr_parse_family(struct target_text t, int family, struct target_addr *out)
{
	char buf[INET6_ADDRSTRLEN];
	if (t.len >= sizeof(buf))
		return false;
	memcpy(buf, t.s, t.len);
	buf[t.len] = '\0';
	struct target_addr a = {.family = family};
	if (inet_pton(family, buf, a.bytes) != 1)
		return false;
	*out = a;
	return true;
}

bool target_addr_equal(const struct target_addr *a, const struct target_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

bool target_addr_parse(const char *text, struct target_addr *out)
{
	struct target_text t = target_text_of(text);
	return target_addr_parse_family(t, AF_INET, out) ||
	       target_addr_parse_family(t, AF_INET6, out);
}

const char *target_addr_str(const struct target_addr *addr, char *buf, size_t buflen)
{
	assert(buflen >= INET6_ADDRSTRLEN);
	const char *s = inet_ntop(addr->family, addr->bytes, buf, (socklen_t)buflen);
	assert(s != NULL);
	return s;
}

/* Digits and dots only, with at least one digit: meant as an IPv4 address. */
static bool target_looks_numeric(struct target_text t)
{
	bool digit = false;
	for (size_t i = 0; i < t.len; i++) {
		if (isdigit((unsigned char)t.s[i]))
			digit = true;
		else if (t.s[i] != '.')
			return false;
	}
	return digit;
}

/* "fe80::1%eth0", "[fe80::1%eth0]:25": what precedes the '%' is an IPv6 address. */
static bool target_has_zone_id(struct target_text t)
{
	const char *pct = memchr(t.s, '%', t.len);
	if (pct == NULL)
		return false;
	struct target_text addr = {.s = t.s, .len = (size_t)(pct - t.s)};
	if (addr.len > 0 && addr.s[0] == '[') {
		addr.s++;
		addr.len--;
	}
	struct target_addr ignored;
	return target_addr_parse_family(addr, AF_INET6, &ignored);
}

/* Refusals that apply to the whole text, whatever form it turns out to have. */
static int target_check_chars(struct target_text t, const char *quoted, char *err, size_t errlen)
{
	if (memmem(t.s, t.len, "://", 3) != NULL)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "'%s' looks like a URL: give the host name or address only",
		                   quoted);
	for (size_t i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.s[i];
		if (c <= 0x20 || c == 0x7f)
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "whitespace or control character in target '%s'",
			                   quoted);
	}
	for (size_t i = 0; i < t.len; i++) {
		if ((unsigned char)t.s[i] >= 0x80)
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "non-ASCII host name '%s': use the punycode (xn--) form",
			                   quoted);
	}
	if (target_has_zone_id(t))
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "IPv6 zone ids are not supported in '%s'", quoted);
	return 0;
}

static int target_check_label(struct target_text label, const char *quoted, char *err,
                              size_t errlen)
{
	if (label.len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "empty label in host name '%s'",
		                   quoted);
	if (label.len > TARGET_LABEL_MAX)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "label longer than %d bytes in host name '%s'", TARGET_LABEL_MAX,
		                   quoted);
	if (label.s[0] == '-' || label.s[label.len - 1] == '-')
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "label starts or ends with '-' in host name '%s'", quoted);
	for (size_t i = 0; i < label.len; i++) {
		char c = label.s[i];
		if (!isalnum((unsigned char)c) && c != '-' && c != '_') {
			char bad[16];
			target_quote((struct target_text){.s = &label.s[i], .len = 1}, bad,
			             sizeof(bad));
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "invalid character '%s' in host name '%s'", bad, quoted);
		}
	}
	return 0;
}

/* name excludes the one trailing dot allowed. */
static int target_check_name(struct target_text name, const char *quoted, char *err, size_t errlen)
{
	if (name.len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "empty host name in '%s'", quoted);
	if (name.len > TARGET_NAME_MAX)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "host name longer than %d bytes in '%s'", TARGET_NAME_MAX,
		                   quoted);
	const char *end = name.s + name.len;
	for (const char *p = name.s; p <= end;) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *stop = dot != NULL ? dot : end;
		int rc = target_check_label((struct target_text){.s = p, .len = (size_t)(stop - p)},
		                            quoted, err, errlen);
		if (rc != 0)
			return rc;
		p = stop + 1;
	}
	return 0;
}

static int target_set_name(struct target_spec *out, struct target_text host, const char *quoted,
                           char *err, size_t errlen)
{
	if (target_looks_numeric(host))
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "malformed IPv4 address in '%s'",
		                   quoted);
	if (host.len > 0 && host.s[host.len - 1] == '.')
		host.len--;
	int rc = target_check_name(host, quoted, err, errlen);
	if (rc != 0)
		return rc;
	out->host = strndup(host.s, host.len);
	if (out->host == NULL)
		return TARGET_FAIL(err, errlen, SA_ERROR_NOMEM, "out of memory");
	for (char *p = out->host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	out->kind = TARGET_NAME;
	return 0;
}

static void target_mask(struct target_addr *addr, unsigned prefix)
{
	unsigned bits = target_family_bits(addr->family);
	for (unsigned i = 0; i < bits / 8; i++) {
		unsigned keep = prefix > 8 * i ? prefix - 8 * i : 0;
		if (keep < 8)
			addr->bytes[i] &= (uint8_t)(0xff00u >> keep);
	}
}

static int target_set_address(struct target_spec *out, const struct target_addr *addr,
                              unsigned prefix, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned bits = target_family_bits(addr->family);
	out->addr = *addr;
	target_mask(&out->addr, prefix);
	out->prefix = prefix;
	out->kind = prefix == bits ? TARGET_ADDRESS : TARGET_CIDR;
	out->host = strdup(target_addr_str(&out->addr, buf, sizeof(buf)));
	if (out->host == NULL)
		return TARGET_FAIL(err, errlen, SA_ERROR_NOMEM, "out of memory");
	return 0;
}

static int target_set_port(struct target_spec *out, struct target_text port, const char *quoted,
                           char *err, size_t errlen)
{
	char shown[TARGET_QUOTE_MAX];
	if (port.len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "missing port after ':' in '%s'",
		                   quoted);
	target_quote(port, shown, sizeof(shown));
	switch (target_port_value(port, &out->port)) {
	case 0:
		return 0;
	case SA_ERROR_RANGE:
		return TARGET_FAIL(err, errlen, SA_ERROR_RANGE,
		                   "port %s out of range (1-65535) in '%s'", shown, quoted);
	default:
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "port '%s' is not a number in '%s'",
		                   shown, quoted);
	}
}

/* "[inside]rest": inside must be an IPv6 address; rest is left to the caller. */
static int target_split_brackets(struct target_text t, struct target_addr *addr,
                                 struct target_text *rest, const char *quoted, char *err,
                                 size_t errlen)
{
	assert(t.len > 0 && t.s[0] == '[');
	const char *close = memchr(t.s, ']', t.len);
	if (close == NULL)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "unbalanced '[' in '%s'", quoted);
	struct target_text inside = {.s = t.s + 1, .len = (size_t)(close - t.s) - 1};
	if (!target_addr_parse_family(inside, AF_INET6, addr))
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "brackets must hold an IPv6 address in '%s'", quoted);
	*rest = (struct target_text){.s = close + 1, .len = t.len - (size_t)(close - t.s) - 1};
	return 0;
}

static int target_parse_cidr(struct target_text host, struct target_text prefix,
                             struct target_spec *out, const char *quoted, char *err, size_t errlen)
{
	struct target_addr addr;
	if (host.len > 0 && host.s[0] == '[') {
		struct target_text rest = {.len = 0};
		int rc = target_split_brackets(host, &addr, &rest, quoted, err, errlen);
		if (rc != 0)
			return rc;
		if (rest.len != 0)
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "unexpected text between ']' and '/' in '%s'", quoted);
	} else if (!target_addr_parse_family(host, AF_INET, &addr) &&
	           !target_addr_parse_family(host, AF_INET6, &addr)) {
		char shown[TARGET_QUOTE_MAX];
		target_quote(host, shown, sizeof(shown));
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
		                   "'%s' is not an IPv4 or IPv6 network address in '%s' (a CIDR "
		                   "block needs one)",
		                   shown, quoted);
	}
	unsigned bits = target_family_bits(addr.family);
	unsigned long len = 0;
	int rc = target_decimal(prefix, bits, &len);
	if (rc == SA_ERROR_PARSE)
		return TARGET_FAIL(err, errlen, rc, "bad prefix length in '%s' (0-%u)", quoted,
		                   bits);
	if (rc == SA_ERROR_RANGE)
		return TARGET_FAIL(err, errlen, rc, "prefix length out of range (0-%u) in '%s'",
		                   bits, quoted);
	return target_set_address(out, &addr, (unsigned)len, err, errlen);
}

static int target_parse_bracketed(struct target_text t, struct target_spec *out, const char *quoted,
                                  char *err, size_t errlen)
{
	struct target_addr addr;
	struct target_text rest = {.len = 0};
	int rc = target_split_brackets(t, &addr, &rest, quoted, err, errlen);
	if (rc != 0)
		return rc;
	if (rest.len > 0 && rest.s[0] != ':')
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "unexpected text after ']' in '%s'",
		                   quoted);
	if (rest.len > 0) {
		rc =
		    target_set_port(out, (struct target_text){.s = rest.s + 1, .len = rest.len - 1},
		                    quoted, err, errlen);
		if (rc != 0)
			return rc;
	}
	return target_set_address(out, &addr, 128, err, errlen);
}

/* host or host:port where host is a name or an IPv4 address. */
static int target_parse_host_port(struct target_text t, struct target_spec *out, const char *quoted,
                                  char *err, size_t errlen)
{
	struct target_text host = t;
	const char *colon = memchr(t.s, ':', t.len);
	if (colon != NULL) {
		host.len = (size_t)(colon - t.s);
		if (host.len == 0)
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "missing host before ':' in '%s'", quoted);
		int rc = target_set_port(
		    out, (struct target_text){.s = colon + 1, .len = t.len - host.len - 1}, quoted,
		    err, errlen);
		if (rc != 0)
			return rc;
	}
	struct target_addr addr;
	if (target_addr_parse_family(host, AF_INET, &addr))
		return target_set_address(out, &addr, 32, err, errlen);
	return target_set_name(out, host, quoted, err, errlen);
}

static int target_parse_text(struct target_text t, struct target_spec *out, const char *quoted,
                             char *err, size_t errlen)
{
	if (t.len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "empty target");
	int rc = target_check_chars(t, quoted, err, errlen);
	if (rc != 0)
		return rc;
	const char *slash = memchr(t.s, '/', t.len);
	if (slash != NULL) {
		size_t hostlen = (size_t)(slash - t.s);
		return target_parse_cidr(
		    (struct target_text){.s = t.s, .len = hostlen},
		    (struct target_text){.s = slash + 1, .len = t.len - hostlen - 1}, out, quoted,
		    err, errlen);
	}
	if (t.s[0] == '[')
		return target_parse_bracketed(t, out, quoted, err, errlen);
	if (target_text_has(t, ']'))
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "unbalanced ']' in '%s'", quoted);
	const char *colon = memchr(t.s, ':', t.len);
	if (colon != NULL && memchr(colon + 1, ':', t.len - (size_t)(colon - t.s) - 1) != NULL) {
		struct target_addr addr;
		if (!target_addr_parse_family(t, AF_INET6, &addr))
			return TARGET_FAIL(err, errlen, SA_ERROR_PARSE,
			                   "malformed IPv6 address '%s' (a port after an IPv6 "
			                   "address needs brackets: [addr]:port)",
			                   quoted);
		return target_set_address(out, &addr, 128, err, errlen);
	}
	return target_parse_host_port(t, out, quoted, err, errlen);
}

int target_parse(const char *text, struct target_spec *out, char *err, size_t errlen)
{
	char quoted[TARGET_QUOTE_MAX];
	struct target_text t = target_text_of(text);
	target_quote(t, quoted, sizeof(quoted));
	*out = (struct target_spec){.kind = TARGET_NAME};
	int rc = target_parse_text(t, out, quoted, err, errlen);
	if (rc != 0)
		target_spec_free(out);
	return rc;
}

void target_spec_free(struct target_spec *spec)
{
	free(spec->host);
	spec->host = NULL;
}

uint64_t target_spec_count(const struct target_spec *spec)
{
	if (spec->kind != TARGET_CIDR)
		return 1;
	unsigned host_bits = target_family_bits(spec->addr.family) - spec->prefix;
	return host_bits >= 64 ? UINT64_MAX : UINT64_C(1) << host_bits;
}

void target_spec_nth(const struct target_spec *spec, uint64_t index, struct target_addr *out)
{
	assert(spec->kind != TARGET_NAME);
	assert(index < target_spec_count(spec));
	*out = spec->addr;
	unsigned carry = 0;
	for (unsigned i = target_family_bits(out->family) / 8; i-- > 0;) {
		unsigned sum = out->bytes[i] + (unsigned)(index & 0xff) + carry;
		out->bytes[i] = (uint8_t)sum;
		carry = sum >> 8;
		index >>= 8;
	}
}

bool target_spec_contains(const struct target_spec *spec, const struct target_addr *addr)
{
	if (spec->kind == TARGET_NAME || spec->addr.family != addr->family)
		return false;
	struct target_addr masked = *addr;
	target_mask(&masked, spec->prefix);
	return memcmp(masked.bytes, spec->addr.bytes, target_family_bits(addr->family) / 8) == 0;
}

struct target_ports {
	uint16_t *ports;
	size_t max, count;
	uint64_t seen[(TARGET_PORT_MAX + 1) / 64];
};

static bool target_ports_add(struct target_ports *p, uint16_t port)
{
	uint64_t bit = UINT64_C(1) << (port % 64);
	if (p->seen[port / 64] & bit)
		return true;
	if (p->count == p->max)
		return false;
	p->seen[port / 64] |= bit;
	p->ports[p->count++] = port;
	return true;
}

static int target_ports_bound(struct target_text num, struct target_text elem, const char *quoted,
                              uint16_t *port, char *err, size_t errlen)
{
	char shown[TARGET_QUOTE_MAX];
	int rc = target_port_value(target_text_trim(num), port);
	if (rc == SA_ERROR_RANGE) {
		target_quote(target_text_trim(num), shown, sizeof(shown));
		return TARGET_FAIL(err, errlen, rc,
		                   "port %s out of range (1-65535) in port list '%s'", shown,
		                   quoted);
	}
	if (rc != 0) {
		target_quote(elem, shown, sizeof(shown));
		return TARGET_FAIL(err, errlen, rc,
		                   "'%s' is not a port or port range in port list '%s'", shown,
		                   quoted);
	}
	return 0;
}

static int target_ports_element(struct target_ports *p, struct target_text elem, const char *quoted,
                                char *err, size_t errlen)
{
	if (elem.len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "empty element in port list '%s'",
		                   quoted);
	struct target_text lo = elem, hi = elem;
	const char *dash = memchr(elem.s, '-', elem.len);
	if (dash != NULL) {
		lo.len = (size_t)(dash - elem.s);
		hi = (struct target_text){.s = dash + 1, .len = elem.len - lo.len - 1};
	}
	uint16_t first = 0, last = 0;
	int rc = target_ports_bound(lo, elem, quoted, &first, err, errlen);
	if (rc == 0)
		rc = target_ports_bound(hi, elem, quoted, &last, err, errlen);
	if (rc != 0)
		return rc;
	if (first > last) {
		char shown[TARGET_QUOTE_MAX];
		target_quote(elem, shown, sizeof(shown));
		return TARGET_FAIL(err, errlen, SA_ERROR_RANGE,
		                   "reversed range '%s' in port list '%s'", shown, quoted);
	}
	for (unsigned port = first; port <= last; port++) {
		if (!target_ports_add(p, (uint16_t)port))
			return TARGET_FAIL(err, errlen, SA_ERROR_TOOBIG,
			                   "port list '%s' has more than %zu ports", quoted,
			                   p->max);
	}
	return 0;
}

int target_ports_parse(const char *text, uint16_t *ports, size_t max, size_t *count, char *err,
                       size_t errlen)
{
	char quoted[TARGET_QUOTE_MAX];
	struct target_text t = target_text_of(text);
	target_quote(t, quoted, sizeof(quoted));
	*count = 0;
	if (target_text_trim(t).len == 0)
		return TARGET_FAIL(err, errlen, SA_ERROR_PARSE, "empty port list");
	struct target_ports p = {.ports = ports, .max = max};
	const char *end = t.s + t.len;
	for (const char *s = t.s; s <= end;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma != NULL ? comma : end;
		int rc = target_ports_element(
		    &p, target_text_trim((struct target_text){.s = s, .len = (size_t)(stop - s)}),
		    quoted, err, errlen);
		if (rc != 0)
			return rc;
		s = stop + 1;
	}
	*count = p.count;
	return 0;
}
