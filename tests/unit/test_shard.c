/*
 * NAME
 *	test_shard - --shard I/N: parsing, the stable hash, and the feed filter's split
 *
 * DESCRIPTION
 *	The acceptance of sharding: over a few hundred targets (a CIDR block,
 *	addresses with their own port, names, every port of --ports), the
 *	targets fed by the N shards are disjoint and together exactly the
 *	targets of the unsharded scan, for N = 1, 2, 3 and 7.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_filter.h"
#include "sa_error.h"
#include "shard.h"

/* ---- parsing ---- */

/* Arrays, not pointers: criterion hands parameters to a re-executed worker. */
struct shard_case {
	char text[32];
	int rc;
	uint32_t index, count;
};

static struct shard_case parse_cases[] = {
    {"0/1", 0, 0, 1},
    {"0/4", 0, 0, 4},
    {"3/4", 0, 3, 4},
    {"999999/1000000", 0, 999999, 1000000},
    {"4/4", SA_ERROR_PARSE, 0, 0},
    {"0/0", SA_ERROR_PARSE, 0, 0},
    {"1/1000001", SA_ERROR_PARSE, 0, 0},
    {"-1/4", SA_ERROR_PARSE, 0, 0},
    {"1/-4", SA_ERROR_PARSE, 0, 0},
    {"1", SA_ERROR_PARSE, 0, 0},
    {"1/", SA_ERROR_PARSE, 0, 0},
    {"/4", SA_ERROR_PARSE, 0, 0},
    {"1/4x", SA_ERROR_PARSE, 0, 0},
    {"1/4/5", SA_ERROR_PARSE, 0, 0},
    {" 1/4", SA_ERROR_PARSE, 0, 0},
    {"99999999999999999999/4", SA_ERROR_PARSE, 0, 0},
    {"", SA_ERROR_PARSE, 0, 0},
};

ParameterizedTestParameters(shard, parse)
{
	return cr_make_param_array(struct shard_case, parse_cases,
	                           sizeof(parse_cases) / sizeof(parse_cases[0]));
}

ParameterizedTest(struct shard_case *c, shard, parse)
{
	struct shard s = {.index = 77, .count = 77};
	char err[256] = "";
	int rc = shard_parse(c->text, &s, err, sizeof(err));
	cr_assert_eq(rc, c->rc, "'%s': %d (%s)", c->text, rc, err);
	if (rc == 0) {
		cr_assert_eq(s.index, c->index);
		cr_assert_eq(s.count, c->count);
	} else {
		cr_assert_neq(err[0], '\0', "a message for '%s'", c->text);
		cr_assert_eq(s.count, 77, "untouched on error");
	}
}

Test(shard, message_says_what_is_wrong)
{
	struct shard s;
	char err[256];
	cr_assert_eq(shard_parse("3/3", &s, err, sizeof(err)), SA_ERROR_PARSE);
	cr_assert(strstr(err, "0 to 2") != NULL, "%s", err);
}

/* ---- the hash ---- */

/*
 * The hash is a contract: a target must stay in its shard across versions,
 * or a fleet running mixed versions would scan some targets twice and
 * others never. These values pin FNV-1a 64 + fmix64 as documented.
 */
Test(shard, hash_is_stable_across_versions)
{
	cr_assert_eq(shard_hash("192.0.2.1", 25), 0xadcb972be0f6e6beull, "%#llx",
	             (unsigned long long)shard_hash("192.0.2.1", 25));
	cr_assert_eq(shard_hash("mx.example.org", 587), 0x9795828c0105bdcfull, "%#llx",
	             (unsigned long long)shard_hash("mx.example.org", 587));
}

Test(shard, names_are_case_insensitive_and_ports_matter)
{
	cr_assert_eq(shard_hash("MX.Example.ORG", 25), shard_hash("mx.example.org", 25));
	cr_assert_neq(shard_hash("mx.example.org", 25), shard_hash("mx.example.org", 587));
	/* The separator keeps "host1" + port 25 apart from "host" + "1" glued to a port. */
	cr_assert_neq(shard_hash("a", 0x3125), shard_hash("a1", 0x25));
}

Test(shard, no_sharding_keeps_everything)
{
	const struct shard none = {.count = 0}, one = {.index = 0, .count = 1};
	cr_assert(shard_keeps(&none, "x", 25));
	cr_assert(shard_keeps(&one, "x", 25));
	char buf[32];
	cr_assert_str_eq(shard_format(&none, buf, sizeof(buf)), "0/1");
}

Test(shard, spreads_evenly)
{
	enum { N = 7, TARGETS = 7000 };
	size_t counts[N] = {0};
	char host[32];
	for (unsigned i = 0; i < TARGETS; i++) {
		snprintf(host, sizeof(host), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		counts[shard_hash(host, 25) % N]++;
	}
	for (size_t i = 0; i < N; i++)
		cr_assert(counts[i] > TARGETS / N * 8 / 10 && counts[i] < TARGETS / N * 12 / 10,
		          "shard %zu has %zu of %d", i, counts[i], TARGETS);
}

/* ---- the feed filter over a real target list ---- */

static const uint16_t test_ports[] = {25, 465, 587};
#define NPORTS (sizeof(test_ports) / sizeof(test_ports[0]))

/* A /25 and 20 names and addresses on 3 ports, 30 addresses with a port: 474 targets. */
static void build_list(struct target_list *list)
{
	char err[256], text[64];
	target_list_init(list);
	cr_assert_eq(target_list_add(list, "198.51.100.0/25", "test", err, sizeof(err)), 0, "%s",
	             err);
	for (int i = 0; i < 30; i++) {
		snprintf(text, sizeof(text), "192.0.2.%d:%d", i + 1, 2525 + i % 3);
		cr_assert_eq(target_list_add(list, text, "test", err, sizeof(err)), 0, "%s", err);
	}
	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "mx%d.example.org", i);
		cr_assert_eq(target_list_add(list, text, "test", err, sizeof(err)), 0, "%s", err);
		snprintf(text, sizeof(text), "203.0.113.%d", i + 1);
		cr_assert_eq(target_list_add(list, text, "test", err, sizeof(err)), 0, "%s", err);
	}
}

struct fed {
	char **keys;
	size_t n, cap;
};

static void fed_push(struct fed *f, char *key)
{
	cr_assert_not_null(key);
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->keys = realloc(f->keys, f->cap * sizeof(*f->keys));
		cr_assert_not_null(f->keys);
	}
	f->keys[f->n++] = key;
}

static void fed_add(struct fed *f, const char *host, uint16_t port)
{
	char *key;
	cr_assert_neq(asprintf(&key, "%s|%u", host, port), -1);
	fed_push(f, key);
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every (host, port) the filter feeds, an item without a port counting for each of --ports. */
static void feed_all(const struct target_list *list, const struct shard *s, struct fed *out)
{
	struct feed_filter f;
	struct target_iter it;
	struct target_item item;
	feed_filter_init(&f, s, NULL, test_ports, NPORTS);
	target_iter_init(&it);
	*out = (struct fed){.n = 0};
	while (feed_filter_next(&f, list, &it, &item)) {
		if (item.port != 0) {
			fed_add(out, item.host, item.port);
			continue;
		}
		for (size_t i = 0; i < NPORTS; i++)
			fed_add(out, item.host, test_ports[i]);
	}
	qsort(out->keys, out->n, sizeof(*out->keys), compare_keys);
}

static void fed_free(struct fed *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->keys[i]);
	free(f->keys);
}

static uint32_t shard_counts[] = {1, 2, 3, 7};

ParameterizedTestParameters(shard, shards_are_disjoint_and_cover_the_scan)
{
	return cr_make_param_array(uint32_t, shard_counts,
	                           sizeof(shard_counts) / sizeof(shard_counts[0]));
}

ParameterizedTest(uint32_t *count, shard, shards_are_disjoint_and_cover_the_scan)
{
	struct target_list list;
	build_list(&list);
	struct fed whole, merged = {.n = 0};
	feed_all(&list, &(struct shard){.count = 0}, &whole);
	cr_assert_eq(whole.n, 128 * NPORTS + 30 + 20 * NPORTS);
	for (uint32_t i = 0; i < *count; i++) {
		struct fed part;
		feed_all(&list, &(struct shard){.index = i, .count = *count}, &part);
		if (*count > 1)
			cr_assert_lt(part.n, whole.n, "shard %u/%u is a part", i, *count);
		for (size_t k = 0; k < part.n; k++)
			fed_push(&merged, strdup(part.keys[k]));
		fed_free(&part);
	}
	qsort(merged.keys, merged.n, sizeof(*merged.keys), compare_keys);
	cr_assert_eq(merged.n, whole.n, "%zu targets over %u shards, %zu without sharding",
	             merged.n, *count, whole.n);
	for (size_t k = 0; k < whole.n; k++)
		cr_assert_str_eq(merged.keys[k], whole.keys[k], "a target missing or fed twice");
	fed_free(&merged);
	fed_free(&whole);
	target_list_free(&list);
}

Test(shard, a_targets_shard_does_not_depend_on_the_rest_of_the_list)
{
	struct target_list small, big;
	char err[256];
	target_list_init(&small);
	cr_assert_eq(target_list_add(&small, "203.0.113.3", "test", err, sizeof(err)), 0);
	cr_assert_eq(target_list_add(&small, "mx3.example.org", "test", err, sizeof(err)), 0);
	cr_assert_eq(target_list_add(&small, "192.0.2.7:2525", "test", err, sizeof(err)), 0);
	build_list(&big);
	const struct shard s = {.index = 1, .count = 3};
	struct fed a, b;
	feed_all(&small, &s, &a);
	feed_all(&big, &s, &b);
	for (size_t i = 0; i < a.n; i++)
		cr_assert_not_null(bsearch(&a.keys[i], b.keys, b.n, sizeof(*b.keys), compare_keys),
		                   "%s left its shard when the list grew", a.keys[i]);
	fed_free(&a);
	fed_free(&b);
	target_list_free(&small);
	target_list_free(&big);
}

Test(shard, an_item_with_every_port_in_the_shard_stays_whole)
{
	/* Find a name whose three ports all fall in shard 0 of 2, and one split by it. */
	struct target_list list;
	char err[256], name[64];
	const struct shard s = {.index = 0, .count = 2};
	target_list_init(&list);
	for (int i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "host%d.example.org", i);
		cr_assert_eq(target_list_add(&list, name, "test", err, sizeof(err)), 0);
	}
	struct feed_filter f;
	struct target_iter it;
	struct target_item item;
	feed_filter_init(&f, &s, NULL, test_ports, NPORTS);
	target_iter_init(&it);
	size_t whole = 0, split = 0;
	while (feed_filter_next(&f, &list, &it, &item)) {
		bool all = true;
		for (size_t i = 0; i < NPORTS; i++)
			all &= shard_keeps(&s, item.host, test_ports[i]);
		if (item.port == 0) {
			cr_assert(all, "%s fed whole though a port is elsewhere", item.host);
			whole++;
		} else {
			cr_assert_not(all, "%s split though every port is here", item.host);
			cr_assert(shard_keeps(&s, item.host, item.port));
			split++;
		}
	}
	cr_assert_gt(whole, 0);
	cr_assert_gt(split, 0);
	target_list_free(&list);
}
