/*
 * NAME
 *	test_target - unit tests of target specification and port list parsing
 *
 * DESCRIPTION
 *	Tables of accepted and refused specs (kind, host, port, prefix, or the
 *	error code and a fragment of the message), CIDR arithmetic (count,
 *	nth address, containment) and a table of port lists.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "sa_error.h"
#include "target.h"

#define ERR_MAX 256

/*
 * Criterion hands each parameter to a fresh process by copying the bytes
 * of the struct, so the tables hold arrays, not pointers.
 */
struct good_spec {
	char text[64];
	enum target_kind kind;
	char host[64];
	uint16_t port;
	unsigned prefix;
};

static struct good_spec good_specs[] = {
    {"mail.example.org", TARGET_NAME, "mail.example.org", 0, 0},
    {"Mail.Example.ORG.", TARGET_NAME, "mail.example.org", 0, 0},
    {"mx1:2525", TARGET_NAME, "mx1", 2525, 0},
    {"MX1.example.:25", TARGET_NAME, "mx1.example", 25, 0},
    {"mx1:65535", TARGET_NAME, "mx1", 65535, 0},
    {"mx1:00025", TARGET_NAME, "mx1", 25, 0},
    {"_dmarc.example.org", TARGET_NAME, "_dmarc.example.org", 0, 0},
    {"xn--bcher-kva.example", TARGET_NAME, "xn--bcher-kva.example", 0, 0},
    {"a-b.c_d.example", TARGET_NAME, "a-b.c_d.example", 0, 0},
    {"localhost", TARGET_NAME, "localhost", 0, 0},
    {"123.example", TARGET_NAME, "123.example", 0, 0},
    {"192.0.2.10", TARGET_ADDRESS, "192.0.2.10", 0, 32},
    {"192.0.2.10:25", TARGET_ADDRESS, "192.0.2.10", 25, 32},
    {"2001:db8::1", TARGET_ADDRESS, "2001:db8::1", 0, 128},
    {"2001:DB8:0:0::1", TARGET_ADDRESS, "2001:db8::1", 0, 128},
    {"2001:db8::1:25", TARGET_ADDRESS, "2001:db8::1:25", 0, 128},
    {"[2001:db8::1]", TARGET_ADDRESS, "2001:db8::1", 0, 128},
    {"[2001:db8::1]:587", TARGET_ADDRESS, "2001:db8::1", 587, 128},
    {"::ffff:192.0.2.1", TARGET_ADDRESS, "::ffff:192.0.2.1", 0, 128},
    {"192.0.2.0/28", TARGET_CIDR, "192.0.2.0", 0, 28},
    {"192.0.2.7/24", TARGET_CIDR, "192.0.2.0", 0, 24},
    {"10.1.2.3/0", TARGET_CIDR, "0.0.0.0", 0, 0},
    {"10.255.255.255/9", TARGET_CIDR, "10.128.0.0", 0, 9},
    {"2001:db8::/120", TARGET_CIDR, "2001:db8::", 0, 120},
    {"[2001:db8::]/120", TARGET_CIDR, "2001:db8::", 0, 120},
    {"2001:db8::ff/120", TARGET_CIDR, "2001:db8::", 0, 120},
    {"2001:db8:ffff::/33", TARGET_CIDR, "2001:db8:8000::", 0, 33},
    {"192.0.2.1/32", TARGET_ADDRESS, "192.0.2.1", 0, 32},
    {"2001:db8::1/128", TARGET_ADDRESS, "2001:db8::1", 0, 128},
};

ParameterizedTestParameters(target, parses_good_specs)
{
	return cr_make_param_array(struct good_spec, good_specs,
	                           sizeof(good_specs) / sizeof(good_specs[0]));
}

ParameterizedTest(struct good_spec *t, target, parses_good_specs, .timeout = 10)
{
	struct target_spec spec;
	char err[ERR_MAX] = "";
	int rc = target_parse(t->text, &spec, err, sizeof(err));
	cr_assert_eq(rc, 0, "'%s': %s", t->text, err);
	cr_expect_eq(spec.kind, t->kind, "'%s': kind %d", t->text, (int)spec.kind);
	cr_expect_str_eq(spec.host, t->host, "'%s'", t->text);
	cr_expect_eq(spec.port, t->port, "'%s': port %u", t->text, (unsigned)spec.port);
	if (t->kind != TARGET_NAME)
		cr_expect_eq(spec.prefix, t->prefix, "'%s': prefix %u", t->text, spec.prefix);
	target_spec_free(&spec);
	cr_expect_null(spec.host);
}

struct bad_spec {
	char text[64];
	int rc;
	char fragment[96];
};

static struct bad_spec bad_specs[] = {
    {"", SA_ERROR_PARSE, "empty target"},
    {"mx1:0", SA_ERROR_RANGE, "port 0 out of range (1-65535) in 'mx1:0'"},
    {"mx1:70000", SA_ERROR_RANGE, "port 70000 out of range (1-65535) in 'mx1:70000'"},
    {"mx1:99999999999999999999", SA_ERROR_RANGE, "port 99999999999999999999 out of range"},
    {"192.0.2.1:65536", SA_ERROR_RANGE, "port 65536 out of range"},
    {"[::1]:0", SA_ERROR_RANGE, "port 0 out of range"},
    {"mx1:smtp", SA_ERROR_PARSE, "port 'smtp' is not a number in 'mx1:smtp'"},
    {"mx1:-25", SA_ERROR_PARSE, "port '-25' is not a number"},
    {"mx1:", SA_ERROR_PARSE, "missing port after ':' in 'mx1:'"},
    {"[::1]:", SA_ERROR_PARSE, "missing port after ':'"},
    {":25", SA_ERROR_PARSE, "missing host before ':' in ':25'"},
    {"fe80::1%eth0", SA_ERROR_PARSE, "IPv6 zone ids are not supported in 'fe80::1%eth0'"},
    {"[fe80::1%eth0]:25", SA_ERROR_PARSE, "zone ids are not supported"},
    {"b\xc3\xbc"
     "cher.example",
     SA_ERROR_PARSE, "'b\\xc3\\xbccher.example': use the punycode (xn--) form"},
    {"10.0.0.0/33", SA_ERROR_RANGE, "prefix length out of range (0-32) in '10.0.0.0/33'"},
    {"2001:db8::/129", SA_ERROR_RANGE, "prefix length out of range (0-128)"},
    {"10.0.0.0/x", SA_ERROR_PARSE, "bad prefix length in '10.0.0.0/x' (0-32)"},
    {"10.0.0.0/", SA_ERROR_PARSE, "bad prefix length"},
    {"10.0.0.0/-1", SA_ERROR_PARSE, "bad prefix length"},
    {"10.0.0.0/24/24", SA_ERROR_PARSE, "bad prefix length"},
    {"example.org/24", SA_ERROR_PARSE, "'example.org' is not an IPv4 or IPv6 network address"},
    {"10.0.0.0:25/24", SA_ERROR_PARSE, "is not an IPv4 or IPv6 network address"},
    {"[2001:db8::]:25/64", SA_ERROR_PARSE, "unexpected text between ']' and '/'"},
    {"[192.0.2.0]/24", SA_ERROR_PARSE, "brackets must hold an IPv6 address"},
    {"mail example.org", SA_ERROR_PARSE, "whitespace or control character in target"},
    {"\tmx1", SA_ERROR_PARSE, "'\\x09mx1'"},
    {"mx1\x01", SA_ERROR_PARSE, "control character in target 'mx1\\x01'"},
    {"[::1", SA_ERROR_PARSE, "unbalanced '[' in '[::1'"},
    {"::1]", SA_ERROR_PARSE, "unbalanced ']' in '::1]'"},
    {"[::1]x", SA_ERROR_PARSE, "unexpected text after ']'"},
    {"[192.0.2.1]", SA_ERROR_PARSE, "brackets must hold an IPv6 address in '[192.0.2.1]'"},
    {"[mx1]:25", SA_ERROR_PARSE, "brackets must hold an IPv6 address"},
    {"1.2.3.4.5", SA_ERROR_PARSE, "malformed IPv4 address in '1.2.3.4.5'"},
    {"1.2.3.4.5:25", SA_ERROR_PARSE, "malformed IPv4 address"},
    {"256.1.1.1", SA_ERROR_PARSE, "malformed IPv4 address"},
    {"010.0.0.1", SA_ERROR_PARSE, "malformed IPv4 address"},
    {"1.2.3.4.", SA_ERROR_PARSE, "malformed IPv4 address"},
    {"123", SA_ERROR_PARSE, "malformed IPv4 address in '123'"},
    {"http://x", SA_ERROR_PARSE, "'http://x' looks like a URL"},
    {"smtp://mx1:25", SA_ERROR_PARSE, "looks like a URL"},
    {"2001:db8:::1", SA_ERROR_PARSE, "malformed IPv6 address '2001:db8:::1'"},
    {"mx1:25:26", SA_ERROR_PARSE, "needs brackets"},
    {"-mx.example", SA_ERROR_PARSE, "label starts or ends with '-' in host name '-mx.example'"},
    {"mx-.example", SA_ERROR_PARSE, "label starts or ends with '-'"},
    {"a..b", SA_ERROR_PARSE, "empty label in host name 'a..b'"},
    {".example", SA_ERROR_PARSE, "empty label"},
    {"mx1..", SA_ERROR_PARSE, "empty label"},
    {".", SA_ERROR_PARSE, "empty host name in '.'"},
    {"a!b", SA_ERROR_PARSE, "invalid character '!' in host name 'a!b'"},
    {"user@mx1", SA_ERROR_PARSE, "invalid character '@'"},
    {"a%b", SA_ERROR_PARSE, "invalid character '%'"},
    {"a\\b", SA_ERROR_PARSE, "invalid character '\\x5c' in host name 'a\\x5cb'"},
};

ParameterizedTestParameters(target, refuses_bad_specs)
{
	return cr_make_param_array(struct bad_spec, bad_specs,
	                           sizeof(bad_specs) / sizeof(bad_specs[0]));
}

ParameterizedTest(struct bad_spec *t, target, refuses_bad_specs, .timeout = 10)
{
	struct target_spec spec;
	char err[ERR_MAX] = "";
	int rc = target_parse(t->text, &spec, err, sizeof(err));
	cr_assert_eq(rc, t->rc, "'%s': rc %d (%s), message '%s'", t->text, rc, sa_error_str(rc),
	             err);
	cr_expect_null(spec.host, "'%s' leaves no host behind", t->text);
	cr_expect(strstr(err, t->fragment) != NULL, "'%s': message '%s' lacks '%s'", t->text, err,
	          t->fragment);
	cr_expect_null(strchr(err, '\n'), "one line");
}

static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

Test(target, label_length_limit_is_63, .timeout = 10)
{
	char name[128];
	struct target_spec spec;
	char err[ERR_MAX] = "";
	repeat(name, 'a', 63);
	strcat(name, ".example");
	cr_assert_eq(target_parse(name, &spec, err, sizeof(err)), 0, "%s", err);
	target_spec_free(&spec);
	repeat(name, 'a', 64);
	strcat(name, ".example");
	cr_assert_eq(target_parse(name, &spec, err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, "label longer than 63 bytes") != NULL, "%s", err);
}

/* 253 bytes: four labels of 62 and three dots are 251, then ".a"; extra makes it 254. */
static void long_name(char *buf, size_t extra)
{
	char label[64];
	repeat(label, 'x', 62);
	snprintf(buf, 300, "%s.%s.%s.%s.a", label, label, label, label);
	if (extra > 0)
		strcat(buf, "d");
}

Test(target, name_length_limit_is_253, .timeout = 10)
{
	char name[300];
	char dotted[301];
	struct target_spec spec;
	char err[ERR_MAX] = "";
	long_name(name, 0);
	cr_assert_eq(strlen(name), 253);
	cr_assert_eq(target_parse(name, &spec, err, sizeof(err)), 0, "%s", err);
	target_spec_free(&spec);
	snprintf(dotted, sizeof(dotted), "%s.", name);
	cr_assert_eq(target_parse(dotted, &spec, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(spec.host, name, "the trailing dot is removed");
	target_spec_free(&spec);
	long_name(name, 1);
	cr_assert_eq(target_parse(name, &spec, err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, "host name longer than 253 bytes") != NULL, "%s", err);
}

Test(target, long_input_is_quoted_short_and_printable, .timeout = 10)
{
	char text[2048];
	struct target_spec spec;
	char err[ERR_MAX] = "";
	repeat(text, '\x1b', sizeof(text) - 1);
	cr_assert_eq(target_parse(text, &spec, err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, "\\x1b\\x1b") != NULL, "%s", err);
	cr_expect(strstr(err, "...") != NULL, "cut with an ellipsis: %s", err);
	for (const char *p = err; *p != '\0'; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in message", (unsigned char)*p);
}

Test(target, short_err_buffer_is_terminated, .timeout = 10)
{
	struct target_spec spec;
	char err[8];
	memset(err, 'z', sizeof(err));
	cr_assert_eq(target_parse("mx1:0", &spec, err, sizeof(err)), SA_ERROR_RANGE);
	cr_expect_eq(strlen(err), sizeof(err) - 1);
}

static void parse_ok(const char *text, struct target_spec *spec)
{
	char err[ERR_MAX] = "";
	cr_assert_eq(target_parse(text, spec, err, sizeof(err)), 0, "'%s': %s", text, err);
}

Test(target, counts_addresses, .timeout = 10)
{
	static const struct {
		const char *text;
		uint64_t count;
	} cases[] = {
	    {"mx1", 1},
	    {"192.0.2.1", 1},
	    {"2001:db8::1", 1},
	    {"192.0.2.0/28", 16},
	    {"192.0.2.0/31", 2},
	    {"0.0.0.0/0", UINT64_C(1) << 32},
	    {"2001:db8::/120", 256},
	    {"2001:db8::/65", UINT64_C(1) << 63},
	    {"2001:db8::/64", UINT64_MAX},
	    {"::/0", UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target_spec spec;
		parse_ok(cases[i].text, &spec);
		cr_expect_eq(target_spec_count(&spec), cases[i].count, "%s", cases[i].text);
		target_spec_free(&spec);
	}
}

static void expect_nth(const char *cidr, uint64_t index, const char *want)
{
	struct target_spec spec;
	struct target_addr addr;
	char buf[64];
	parse_ok(cidr, &spec);
	target_spec_nth(&spec, index, &addr);
	cr_expect_eq(addr.family, spec.addr.family);
	cr_expect_str_eq(target_addr_str(&addr, buf, sizeof(buf)), want, "%s #%llu", cidr,
	                 (unsigned long long)index);
	cr_expect(target_spec_contains(&spec, &addr), "%s contains its #%llu", cidr,
	          (unsigned long long)index);
	target_spec_free(&spec);
}

Test(target, nth_address_of_a_block, .timeout = 10)
{
	expect_nth("192.0.2.0/24", 0, "192.0.2.0");
	expect_nth("192.0.2.0/24", 255, "192.0.2.255");
	expect_nth("10.0.0.0/8", 65536 + 2, "10.1.0.2");
	expect_nth("0.0.0.0/0", UINT64_C(0xffffffff), "255.255.255.255");
	expect_nth("192.0.2.9", 0, "192.0.2.9");
	expect_nth("2001:db8::ff00/120", 0xff, "2001:db8::ffff");
	expect_nth("2001:db8::/64", UINT64_C(0x100000001), "2001:db8::1:0:1");
	expect_nth("2001:db8::/32", UINT64_MAX - 1, "2001:db8::ffff:ffff:ffff:fffe");
	expect_nth("2001:db8::/126", 3, "2001:db8::3");
}

Test(target, block_containment, .timeout = 10)
{
	struct target_spec cidr, v6, name;
	struct target_addr a;
	parse_ok("192.0.2.0/28", &cidr);
	parse_ok("2001:db8::/120", &v6);
	parse_ok("mx1", &name);
	cr_assert(target_addr_parse("192.0.2.15", &a));
	cr_expect(target_spec_contains(&cidr, &a));
	cr_assert(target_addr_parse("192.0.2.16", &a));
	cr_expect_not(target_spec_contains(&cidr, &a));
	cr_assert(target_addr_parse("2001:db8::ff", &a));
	cr_expect(target_spec_contains(&v6, &a));
	cr_expect_not(target_spec_contains(&cidr, &a), "other family");
	cr_assert(target_addr_parse("2001:db8::100", &a));
	cr_expect_not(target_spec_contains(&v6, &a));
	cr_expect_not(target_spec_contains(&name, &a), "a name contains no address");
	target_spec_free(&cidr);
	target_spec_free(&v6);
	target_spec_free(&name);
}

Test(target, numeric_addresses, .timeout = 10)
{
	struct target_addr a;
	char buf[64];
	cr_assert(target_addr_parse("192.0.2.1", &a));
	cr_expect_eq(a.family, AF_INET);
	cr_expect_str_eq(target_addr_str(&a, buf, sizeof(buf)), "192.0.2.1");
	cr_assert(target_addr_parse("2001:DB8:0::1", &a));
	cr_expect_eq(a.family, AF_INET6);
	cr_expect_str_eq(target_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	cr_expect_not(target_addr_parse("mx1", &a));
	cr_expect_not(target_addr_parse("1.2.3", &a));
	cr_expect_not(target_addr_parse("::1%lo", &a));
	cr_expect_not(target_addr_parse("", &a));
}

#define PORTS_MAX 8

struct ports_case {
	char text[32];
	size_t max;
	int rc;
	size_t count;
	uint16_t ports[PORTS_MAX];
	char fragment[64];
};

static struct ports_case ports_cases[] = {
    {"25,465,587", 8, 0, 3, {25, 465, 587}, ""},
    {"2525-2530", 8, 0, 6, {2525, 2526, 2527, 2528, 2529, 2530}, ""},
    {" 25 , 465 ", 8, 0, 2, {25, 465}, ""},
    {"587,25,587,25", 8, 0, 2, {587, 25}, ""},
    {"20-22,21,23", 8, 0, 4, {20, 21, 22, 23}, ""},
    {"1-3, 2 - 4", 8, 0, 4, {1, 2, 3, 4}, ""},
    {"65535", 8, 0, 1, {65535}, ""},
    {"25,25,25", 1, 0, 1, {25}, ""},
    {"7-7", 1, 0, 1, {7}, ""},
    {"0", 8, SA_ERROR_RANGE, 0, {0}, "port 0 out of range (1-65535) in port list '0'"},
    {"25,70000", 8, SA_ERROR_RANGE, 0, {0}, "port 70000 out of range"},
    {"1-65536", 8, SA_ERROR_RANGE, 0, {0}, "port 65536 out of range"},
    {"30-20", 8, SA_ERROR_RANGE, 0, {0}, "reversed range '30-20' in port list '30-20'"},
    {"25,,587", 8, SA_ERROR_PARSE, 0, {0}, "empty element in port list '25,,587'"},
    {"25,", 8, SA_ERROR_PARSE, 0, {0}, "empty element"},
    {"", 8, SA_ERROR_PARSE, 0, {0}, "empty port list"},
    {"  ", 8, SA_ERROR_PARSE, 0, {0}, "empty port list"},
    {"smtp", 8, SA_ERROR_PARSE, 0, {0}, "'smtp' is not a port or port range in port list"},
    {"25,-587", 8, SA_ERROR_PARSE, 0, {0}, "'-587' is not a port or port range"},
    {"1-2-3", 8, SA_ERROR_PARSE, 0, {0}, "'1-2-3' is not a port or port range"},
    {"25 465", 8, SA_ERROR_PARSE, 0, {0}, "'25 465' is not a port"},
    {"25\x01", 8, SA_ERROR_PARSE, 0, {0}, "'25\\x01'"},
    {"1-100", 6, SA_ERROR_TOOBIG, 0, {0}, "port list '1-100' has more than 6 ports"},
    {"25,465,587", 2, SA_ERROR_TOOBIG, 0, {0}, "has more than 2 ports"},
};

ParameterizedTestParameters(target, parses_port_lists)
{
	return cr_make_param_array(struct ports_case, ports_cases,
	                           sizeof(ports_cases) / sizeof(ports_cases[0]));
}

ParameterizedTest(struct ports_case *t, target, parses_port_lists, .timeout = 10)
{
	uint16_t ports[PORTS_MAX + 1];
	size_t count = 99;
	char err[ERR_MAX] = "";
	memset(ports, 0, sizeof(ports));
	cr_assert_leq(t->max, PORTS_MAX);
	int rc = target_ports_parse(t->text, ports, t->max, &count, err, sizeof(err));
	cr_assert_eq(rc, t->rc, "'%s': rc %d, message '%s'", t->text, rc, err);
	cr_assert_eq(count, t->count, "'%s': %zu ports", t->text, count);
	for (size_t i = 0; i < t->count; i++)
		cr_expect_eq(ports[i], t->ports[i], "'%s' #%zu: %u", t->text, i,
		             (unsigned)ports[i]);
	cr_expect_eq(ports[t->max], 0, "'%s': nothing written past max", t->text);
	if (t->fragment[0] != '\0')
		cr_expect(strstr(err, t->fragment) != NULL, "'%s': message '%s' lacks '%s'",
		          t->text, err, t->fragment);
}

Test(target, every_port_fits_a_full_array, .timeout = 10)
{
	static uint16_t ports[65535];
	size_t count = 0;
	char err[ERR_MAX] = "";
	cr_assert_eq(target_ports_parse("1-65535,25", ports, 65535, &count, err, sizeof(err)), 0,
	             "%s", err);
	cr_expect_eq(count, 65535);
	cr_expect_eq(ports[0], 1);
	cr_expect_eq(ports[65534], 65535);
}

/* An IPv4 address compares only the 4 bytes it uses; the family always counts. */
Test(target, addresses_equal_by_family_and_used_bytes, .timeout = 10)
{
	struct target_addr a, b, v6;
	cr_assert(target_addr_parse("192.0.2.25", &a));
	cr_assert(target_addr_parse("192.0.2.25", &b));
	b.bytes[10] = 0xff; /* past the 4 bytes of IPv4 */
	cr_expect(target_addr_equal(&a, &b));
	cr_assert(target_addr_parse("192.0.2.26", &b));
	cr_expect_not(target_addr_equal(&a, &b));
	cr_assert(target_addr_parse("::ffff:192.0.2.25", &v6));
	cr_expect_not(target_addr_equal(&a, &v6));
	cr_assert(target_addr_parse("2001:db8::25", &a));
	cr_assert(target_addr_parse("2001:db8::25", &b));
	cr_expect(target_addr_equal(&a, &b));
}
