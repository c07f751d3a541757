/*
 * NAME
 *	test_target_list - unit tests of the target list
 *
 * DESCRIPTION
 *	Adding and de-duplicating specs, lazy CIDR expansion and exclusions,
 *	the --max-targets check and its messages, and target files: comments,
 *	blank lines, CRLF, a bad line, a missing file, and "-" read from a
 *	pipe put in place of standard input. Whether a list can name one
 *	address and port twice (target_list_may_repeat), pair by pair.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>
#include <unistd.h>

#include "sa_error.h"
#include "target_list.h"

#define ERR_MAX   512
#define DATA_DIR  SA_SOURCE_DIR "/tests/data/targets/"
#define MAX_ITEMS 64

struct collected {
	size_t n;
	char text[MAX_ITEMS][80];
	enum target_kind kind[MAX_ITEMS];
};

/* Every item as "host" or "host port", in iteration order. */
static void collect(const struct target_list *list, struct collected *c)
{
	struct target_iter it;
	struct target_item item;
	target_iter_init(&it);
	c->n = 0;
	while (target_list_next(list, &it, &item)) {
		cr_assert_lt(c->n, MAX_ITEMS, "too many items");
		if (item.port != 0)
			snprintf(c->text[c->n], sizeof(c->text[0]), "%s %u", item.host,
			         (unsigned)item.port);
		else
			snprintf(c->text[c->n], sizeof(c->text[0]), "%s", item.host);
		c->kind[c->n] = item.kind;
		c->n++;
	}
}

static void expect_items(const struct target_list *list, const char *const *want, size_t n)
{
	struct collected c;
	collect(list, &c);
	cr_expect_eq(c.n, n, "%zu items, want %zu (first '%s')", c.n, n, c.n > 0 ? c.text[0] : "");
	for (size_t i = 0; i < n && i < c.n; i++)
		cr_expect_str_eq(c.text[i], want[i], "item %zu", i);
}

#define EXPECT_ITEMS(list, ...)                                                                    \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__};                                  \
		expect_items(list, want_, sizeof(want_) / sizeof(want_[0]));                       \
	} while (0)

static void add_ok(struct target_list *list, const char *text)
{
	char err[ERR_MAX] = "";
	cr_assert_eq(target_list_add(list, text, "argument", err, sizeof(err)), 0, "'%s': %s", text,
	             err);
}

static void exclude_ok(struct target_list *list, const char *text)
{
	char err[ERR_MAX] = "";
	cr_assert_eq(target_list_exclude(list, text, err, sizeof(err)), 0, "'%s': %s", text, err);
}

Test(target_list, iterates_in_order_with_kinds, .timeout = 10)
{
	struct target_list list;
	struct collected c;
	target_list_init(&list);
	add_ok(&list, "mx1.example.org");
	add_ok(&list, "192.0.2.10:25");
	add_ok(&list, "[2001:db8::1]:587");
	collect(&list, &c);
	cr_assert_eq(c.n, 3);
	cr_expect_str_eq(c.text[0], "mx1.example.org");
	cr_expect_eq(c.kind[0], TARGET_NAME);
	cr_expect_str_eq(c.text[1], "192.0.2.10 25");
	cr_expect_eq(c.kind[1], TARGET_ADDRESS);
	cr_expect_str_eq(c.text[2], "2001:db8::1 587");
	target_list_free(&list);
}

Test(target_list, item_points_at_its_spec_and_address, .timeout = 10)
{
	struct target_list list;
	struct target_iter it;
	struct target_item item;
	struct target_addr want;
	target_list_init(&list);
	add_ok(&list, "192.0.2.4/31");
	target_iter_init(&it);
	cr_assert(target_list_next(&list, &it, &item));
	cr_assert(target_list_next(&list, &it, &item));
	cr_expect_eq(item.spec, &list.specs[0]);
	cr_assert(target_addr_parse("192.0.2.5", &want));
	cr_expect_eq(memcmp(&item.addr, &want, sizeof(want)), 0);
	cr_expect_str_eq(item.host, "192.0.2.5");
	cr_expect_not(target_list_next(&list, &it, &item));
	cr_expect_not(target_list_next(&list, &it, &item), "stays exhausted");
	target_list_free(&list);
}

Test(target_list, drops_duplicate_specs, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "mx1.example.org");
	add_ok(&list, "MX1.Example.Org.");
	add_ok(&list, "mx1.example.org:25");
	add_ok(&list, "mx1.example.org:25");
	add_ok(&list, "192.0.2.0/24");
	add_ok(&list, "192.0.2.77/24");
	add_ok(&list, "192.0.2.1");
	add_ok(&list, "192.0.2.1/32");
	add_ok(&list, "2001:db8::1");
	add_ok(&list, "[2001:DB8:0::1]");
	add_ok(&list, "2001:db8::/64");
	cr_expect_eq(list.nspecs, 6);
	cr_expect_str_eq(list.specs[0].host, "mx1.example.org");
	cr_expect_eq(list.specs[1].port, 25);
	cr_expect_eq(list.specs[2].prefix, 24);
	cr_expect_str_eq(list.specs[3].host, "192.0.2.1");
	cr_expect_str_eq(list.specs[4].host, "2001:db8::1");
	cr_expect_eq(list.specs[5].kind, TARGET_CIDR);
	target_list_free(&list);
}

Test(target_list, many_specs_stay_unique, .timeout = 10)
{
	struct target_list list;
	char text[64];
	target_list_init(&list);
	for (unsigned round = 0; round < 2; round++) {
		for (unsigned i = 0; i < 20000; i++) {
			snprintf(text, sizeof(text), "host%u.example:%u", i, 1 + i % 3);
			add_ok(&list, text);
		}
	}
	cr_expect_eq(list.nspecs, 20000);
	target_list_free(&list);
}

Test(target_list, bad_target_names_its_source, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	cr_assert_eq(target_list_add(&list, "mx1:0", "argument", err, sizeof(err)), SA_ERROR_RANGE);
	cr_expect_str_eq(err, "argument: port 0 out of range (1-65535) in 'mx1:0'");
	cr_expect_eq(list.nspecs, 0);
	target_list_free(&list);
}

Test(target_list, expands_ipv4_block_in_order, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "192.0.2.1/30");
	EXPECT_ITEMS(&list, "192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3");
	target_list_free(&list);
}

Test(target_list, expands_ipv6_block_in_order, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "[2001:db8::]/126");
	add_ok(&list, "mx1");
	EXPECT_ITEMS(&list, "2001:db8::", "2001:db8::1", "2001:db8::2", "2001:db8::3", "mx1");
	target_list_free(&list);
}

Test(target_list, skips_exclusions_inside_a_block, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "192.0.2.0/28");
	add_ok(&list, "192.0.2.5");
	exclude_ok(&list, "192.0.2.2, 192.0.2.4/30,192.0.2.15");
	EXPECT_ITEMS(&list, "192.0.2.0", "192.0.2.1", "192.0.2.3", "192.0.2.8", "192.0.2.9",
	             "192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14");
	target_list_free(&list);
}

Test(target_list, skips_large_excluded_blocks_at_once, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "10.0.0.0/8");
	add_ok(&list, "2001:db8::/32");
	add_ok(&list, "2001:dc0::/64");
	add_ok(&list, "mx1");
	exclude_ok(&list, "10.0.0.0/9,10.128.0.1,10.128.0.3/32,10.128.0.4/30,10.128.0.9/29");
	exclude_ok(&list, "2001:db8::/29,2001:dc0::/65");
	struct target_iter it;
	struct target_item item;
	target_iter_init(&it);
	static const char *const first[] = {"10.128.0.0", "10.128.0.2", "10.128.0.16"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert(target_list_next(&list, &it, &item));
		cr_expect_str_eq(item.host, first[i]);
	}
	it.index = (UINT64_C(1) << 24) - 1;
	cr_assert(target_list_next(&list, &it, &item));
	cr_expect_str_eq(item.host, "10.255.255.255");
	cr_assert(target_list_next(&list, &it, &item));
	cr_expect_str_eq(item.host, "2001:dc0:0:0:8000::", "the excluded /32 is skipped whole");
	it.index = UINT64_MAX - 1;
	cr_assert(target_list_next(&list, &it, &item));
	cr_expect_str_eq(item.host, "2001:dc0::ffff:ffff:ffff:fffe", "the last index of a /64");
	cr_assert(target_list_next(&list, &it, &item));
	cr_expect_str_eq(item.host, "mx1");
	cr_expect_not(target_list_next(&list, &it, &item));
	target_list_free(&list);
}

Test(target_list, excludes_names_and_addresses, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "mx1.example.org");
	add_ok(&list, "mx2.example.org:25");
	add_ok(&list, "192.0.2.1:25");
	add_ok(&list, "192.0.2.2");
	exclude_ok(&list, "MX2.example.org.,192.0.2.1");
	EXPECT_ITEMS(&list, "mx1.example.org", "192.0.2.2");

	struct target_addr a;
	cr_assert(target_addr_parse("192.0.2.1", &a));
	cr_expect(target_list_excluded(&list, &a, NULL));
	cr_expect(target_list_excluded(&list, NULL, "Mx2.Example.Org"));
	cr_expect(target_list_excluded(&list, &a, "mx1.example.org"));
	cr_expect_not(target_list_excluded(&list, NULL, "mx1.example.org"));
	cr_expect_not(target_list_excluded(&list, NULL, NULL));
	cr_assert(target_addr_parse("::ffff:192.0.2.1", &a));
	cr_expect_not(target_list_excluded(&list, &a, NULL), "a v4-mapped address is IPv6");
	target_list_free(&list);
}

Test(target_list, refuses_bad_exclusions, .timeout = 10)
{
	static const struct {
		const char *text;
		int rc;
		const char *fragment;
	} cases[] = {
	    {"192.0.2.1:25", SA_ERROR_PARSE,
	     "exclusion 192.0.2.1:25 cannot have a port: exclusions apply to every port"},
	    {"192.0.2.1,,192.0.2.2", SA_ERROR_PARSE, "empty element in exclusion list"},
	    {"192.0.2.1,", SA_ERROR_PARSE, "empty element in exclusion list"},
	    {"10.0.0.0/33", SA_ERROR_RANGE,
	     "exclusion: prefix length out of range (0-32) in '10.0.0.0/33'"},
	    {"mx1, bad name", SA_ERROR_PARSE, "exclusion: whitespace or control character"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct target_list list;
		char err[ERR_MAX] = "";
		target_list_init(&list);
		cr_expect_eq(target_list_exclude(&list, cases[i].text, err, sizeof(err)),
		             cases[i].rc, "'%s': %s", cases[i].text, err);
		cr_expect(strstr(err, cases[i].fragment) != NULL, "'%s': '%s' lacks '%s'",
		          cases[i].text, err, cases[i].fragment);
		target_list_free(&list);
	}
}

Test(target_list, block_over_the_limit_is_named, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	uint64_t total = 0;
	target_list_init(&list);
	add_ok(&list, "mx1");
	add_ok(&list, "10.0.0.0/8");
	cr_assert_eq(target_list_check(&list, TARGET_LIST_DEFAULT_MAX, &total, err, sizeof(err)),
	             SA_ERROR_TOOBIG);
	cr_expect_str_eq(err, "10.0.0.0/8 is 16777216 addresses, over --max-targets 65536 "
	                      "(raise --max-targets to scan it)");
	target_list_free(&list);
}

Test(target_list, huge_ipv6_block_is_named_as_a_power, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	add_ok(&list, "2001:db8::/32");
	cr_assert_eq(target_list_check(&list, 1000, NULL, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_expect_str_eq(err, "2001:db8::/32 is 2^96 addresses, over --max-targets 1000 "
	                      "(raise --max-targets to scan it)");
	target_list_free(&list);
}

Test(target_list, total_over_the_limit_is_named, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	uint64_t total = 0;
	target_list_init(&list);
	add_ok(&list, "192.0.2.0/24");
	add_ok(&list, "198.51.100.0/24");
	add_ok(&list, "203.0.113.0/24");
	add_ok(&list, "mx1");
	add_ok(&list, "mx2");
	cr_assert_eq(target_list_check(&list, 700, &total, err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_expect_eq(total, 770);
	cr_expect(strstr(err, "the targets add up to 770 addresses and names, over --max-targets "
	                      "700") != NULL,
	          "%s", err);
	cr_assert_eq(target_list_check(&list, 770, &total, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(total, 770);
	target_list_free(&list);
}

Test(target_list, block_at_the_limit_passes, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	uint64_t total = 0;
	target_list_init(&list);
	add_ok(&list, "10.1.0.0/16");
	cr_assert_eq(target_list_check(&list, TARGET_LIST_DEFAULT_MAX, &total, err, sizeof(err)), 0,
	             "%s", err);
	cr_expect_eq(total, 65536);
	target_list_free(&list);
}

static void add_file_ok(struct target_list *list, const char *path)
{
	char err[ERR_MAX] = "";
	cr_assert_eq(target_list_add_file(list, path, err, sizeof(err)), 0, "%s: %s", path, err);
}

Test(target_list, file_with_comments_and_blank_lines, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_file_ok(&list, DATA_DIR "hosts.txt");
	EXPECT_ITEMS(&list, "mx1.example.org", "mx2.example.org 2525", "192.0.2.10", "192.0.2.16",
	             "192.0.2.17", "192.0.2.18", "192.0.2.19", "2001:db8::1 587");
	target_list_free(&list);
}

Test(target_list, file_with_crlf_line_endings, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_file_ok(&list, DATA_DIR "hosts_crlf.txt");
	EXPECT_ITEMS(&list, "mx1.example.org", "192.0.2.1 25", "2001:db8::", "2001:db8::1");
	target_list_free(&list);
}

Test(target_list, file_without_final_newline, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_file_ok(&list, DATA_DIR "no_final_newline.txt");
	EXPECT_ITEMS(&list, "mx1.example.org", "192.0.2.1");
	target_list_free(&list);
}

Test(target_list, bad_line_names_file_and_line, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	cr_assert_eq(target_list_add_file(&list, DATA_DIR "bad_line.txt", err, sizeof(err)),
	             SA_ERROR_RANGE);
	cr_expect_str_eq(err, DATA_DIR "bad_line.txt:4: port 70000 out of range (1-65535) in "
	                               "'mx2.example.org:70000'");
	target_list_free(&list);
}

Test(target_list, unreadable_files_are_named, .timeout = 10)
{
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	cr_assert_eq(target_list_add_file(&list, DATA_DIR "missing.txt", err, sizeof(err)),
	             SA_ERROR_IO);
	cr_expect_str_eq(err, "cannot read '" DATA_DIR "missing.txt': No such file or directory");
	cr_assert_eq(target_list_add_file(&list, DATA_DIR, err, sizeof(err)), SA_ERROR_IO);
	cr_expect_str_eq(err, "cannot read '" DATA_DIR "': Is a directory");
	target_list_free(&list);
}

/* Replaces standard input by a pipe holding data (small enough for the pipe buffer). */
static void stdin_from(const void *data, size_t len)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(write(fds[1], data, len), (ssize_t)len);
	cr_assert_eq(close(fds[1]), 0);
	cr_assert_geq(dup2(fds[0], STDIN_FILENO), 0);
	cr_assert_eq(close(fds[0]), 0);
	clearerr(stdin);
}

Test(target_list, dash_reads_standard_input, .timeout = 10)
{
	static const char data[] = "# from a pipe\nmx1.example.org:25\n\n192.0.2.8/31 # two\n";
	struct target_list list;
	target_list_init(&list);
	stdin_from(data, sizeof(data) - 1);
	add_file_ok(&list, "-");
	EXPECT_ITEMS(&list, "mx1.example.org 25", "192.0.2.8", "192.0.2.9");
	target_list_free(&list);
}

Test(target_list, bad_stdin_line_is_named, .timeout = 10)
{
	static const char data[] = "mx1\n\nhttp://mx2\n";
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	stdin_from(data, sizeof(data) - 1);
	cr_assert_eq(target_list_add_file(&list, "-", err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect_str_eq(err, "stdin:3: 'http://mx2' looks like a URL: give the host name or "
	                      "address only");
	target_list_free(&list);
}

Test(target_list, overlong_line_is_refused, .timeout = 10)
{
	static char data[4096];
	struct target_list list;
	char err[ERR_MAX] = "";
	memcpy(data, "mx1\n", 4);
	memset(data + 4, 'a', sizeof(data) - 5);
	data[sizeof(data) - 1] = '\n';
	target_list_init(&list);
	stdin_from(data, sizeof(data));
	cr_assert_eq(target_list_add_file(&list, "-", err, sizeof(err)), SA_ERROR_TOOBIG);
	cr_expect_str_eq(err, "stdin:2: line longer than 1023 bytes");
	target_list_free(&list);
}

Test(target_list, line_of_1023_bytes_is_read_whole, .timeout = 10)
{
	static char data[1024];
	struct target_list list;
	char err[ERR_MAX] = "";
	memset(data, 'a', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\n';
	target_list_init(&list);
	stdin_from(data, sizeof(data));
	cr_assert_eq(target_list_add_file(&list, "-", err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, "stdin:1: host name longer than 253 bytes") != NULL, "%s", err);
	target_list_free(&list);
}

Test(target_list, nul_byte_is_refused, .timeout = 10)
{
	static const char data[] = "mx1\nmx2\0evil\n";
	struct target_list list;
	char err[ERR_MAX] = "";
	target_list_init(&list);
	stdin_from(data, sizeof(data) - 1);
	cr_assert_eq(target_list_add_file(&list, "-", err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect_str_eq(err, "stdin:2: NUL byte in line");
	target_list_free(&list);
}

Test(target_list, estimate_counts_services, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "mx1");             /* a name: one address until resolved, 3 ports */
	add_ok(&list, "192.0.2.0/30");    /* 4 addresses, 3 ports */
	add_ok(&list, "mx2:2525");        /* its own port */
	add_ok(&list, "[2001:db8::1]:25");
	cr_assert_eq(target_list_estimate(&list, 3), 3 + 12 + 1 + 1);
	cr_assert_eq(target_list_estimate(&list, 1), 1 + 4 + 1 + 1);
	target_list_free(&list);
}

/* ---- may the list name one address and port twice? ---- */

struct repeat_case {
	const char *a, *b;
	bool repeat;
};

static const struct repeat_case repeat_cases[] = {
    {"10.0.0.0/24", "10.0.1.0/24", false},
    {"10.0.0.0/24", "10.0.0.7", true},
    {"10.0.0.0/16", "10.0.3.0/24", true},
    {"10.0.0.0/24", "10.0.0.255:2525", true}, /* port 2525 may be one of --ports */
    {"10.0.0.0/24", "10.0.1.0:2525", false},
    {"10.0.0.1:25", "10.0.0.1:26", false},
    {"10.0.0.1:25", "10.0.0.0/31", true},
    {"10.0.0.7", "10.0.0.6/31", true},
    {"[2001:db8::1]:25", "2001:db8::/120", true},
    {"2001:db8::/120", "2001:db8::100", false},
    {"10.0.0.1", "::a00:1", false}, /* the same bytes in two families */
    {"10.0.0.1", "mx.example.org", true}, /* a name may resolve to any address */
};

#define NREPEAT (sizeof(repeat_cases) / sizeof(repeat_cases[0]))

/* Indexes, not pointers: a test worker may be a fresh exec with another address layout. */
static size_t repeat_indexes[NREPEAT];

ParameterizedTestParameters(target_list, may_repeat_pairs)
{
	for (size_t i = 0; i < NREPEAT; i++)
		repeat_indexes[i] = i;
	return cr_make_param_array(size_t, repeat_indexes, NREPEAT);
}

ParameterizedTest(size_t *index, target_list, may_repeat_pairs, .timeout = 10)
{
	const struct repeat_case *c = &repeat_cases[*index];
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, c->a);
	cr_expect_not(target_list_may_repeat(&list), "%s alone", c->a);
	add_ok(&list, c->b);
	cr_expect_eq(target_list_may_repeat(&list), c->repeat, "%s and %s", c->a, c->b);
	target_list_free(&list);
	target_list_init(&list);
	add_ok(&list, c->b);
	add_ok(&list, c->a);
	cr_expect_eq(target_list_may_repeat(&list), c->repeat, "%s and %s", c->b, c->a);
	target_list_free(&list);
}

Test(target_list, a_name_alone_may_repeat, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	add_ok(&list, "mx.example.org:25");
	cr_expect(target_list_may_repeat(&list), "its answer may hold an address twice");
	target_list_free(&list);
}

Test(target_list, disjoint_blocks_among_many_do_not_repeat, .timeout = 10)
{
	struct target_list list;
	target_list_init(&list);
	char text[64];
	/* One address on many ports, interleaved with blocks that hold every port. */
	for (unsigned i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "10.1.0.1:%u", 2000 + i);
		add_ok(&list, text);
		snprintf(text, sizeof(text), "10.2.%u.0/24", i);
		add_ok(&list, text);
	}
	cr_expect_not(target_list_may_repeat(&list));
	add_ok(&list, "10.2.199.128/25");
	cr_expect(target_list_may_repeat(&list), "a block inside the last one");
	target_list_free(&list);
}
