/*
 * NAME
 *	test_shard - --shard I/N and "smtp-audit merge" against an smtp-lab farm
 *
 * DESCRIPTION
 *	A farm of 60 servers in a /26 of 127.77.0.0/16 (the block's other four
 *	addresses refuse) and one more listener are scanned whole with
 *	--probes inventory, then in N = 1, 2 and 3 shards. The shards'
 *	targets are disjoint and together exactly the whole scan's; the
 *	shard reports merged by "smtp-audit merge" hold the same targets,
 *	validate against the report schema (scripts/validate-json.py), and
 *	merging again gives the same scan id. A report given twice is
 *	refused, and merge writes the other formats too.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "run.h"

#define FARM_PORT  "2587"
#define MAX_SHARDS 3

static struct lab lab;
static char single[80];
static const char *block; /* the farm's /26: each test has its own, as tests run at once */

/* 60 servers from the block's third address on, and one more listener. */
static void start_farm(const char *cidr, const char *base)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	const char *farm[] = {"--farm", "60", "--farm-base", base, "--farm-port", FARM_PORT, NULL};
	block = cidr;
	cr_assert_eq(lab_start(&lab, specs, 1, farm), 0, "smtp-lab did not start");
	cr_assert_not_null(lab_target(&lab, "hardened", single, sizeof(single)));
}

static void teardown(void)
{
	lab_stop(&lab);
}

TestSuite(shard_lab, .fini = teardown, .timeout = 300);

static void report_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", lab.dir, name);
}

/* Scans the block and the single listener into out; shard NULL: no sharding. */
static void scan(const char *shard, const char *out)
{
	const char *argv[] = {SA_AUDIT_BIN, "-o",  "json",        "--out", out,
	                      "--retries",  "0",   "--host-rate", "0",     "--probes",
	                      "inventory",  "-p",  FARM_PORT,     block,   single,
	                      "--shard",    shard, NULL};
	if (shard == NULL)
		argv[15] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 120, NULL, &r), 0);
	cr_assert_not(r.timed_out, "the scan did not end");
	cr_assert(r.exit_code == 0 || r.exit_code == 1, "exit %d: %s", r.exit_code, r.err);
	run_result_free(&r);
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct keys {
	char **k;
	size_t n;
};

/* The "address:port" of every target of a report, sorted. */
static struct keys report_keys(const char *path)
{
	json_error_t err;
	json_t *doc = json_load_file(path, 0, &err);
	cr_assert_not_null(doc, "%s: %s", path, err.text);
	json_t *targets = json_object_get(doc, "targets");
	struct keys keys = {.k = calloc(json_array_size(targets) + 1, sizeof(char *))};
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t)
	{
		cr_assert_neq(asprintf(&keys.k[keys.n++], "%s:%lld",
		                       json_string_value(json_object_get(t, "address")),
		                       (long long)json_integer_value(json_object_get(t, "port"))),
		              -1);
	}
	json_decref(doc);
	qsort(keys.k, keys.n, sizeof(*keys.k), compare_keys);
	return keys;
}

static void keys_free(struct keys *keys)
{
	for (size_t i = 0; i < keys->n; i++)
		free(keys->k[i]);
	free(keys->k);
}

static void assert_same_keys(const struct keys *a, const struct keys *b, const char *what)
{
	cr_assert_eq(a->n, b->n, "%s: %zu targets, %zu expected", what, a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_str_eq(a->k[i], b->k[i], "%s: a target missing or twice", what);
}

static struct run_result merge(const char *const inputs[], size_t n, const char *format,
                               const char *out)
{
	const char *argv[16] = {SA_AUDIT_BIN, "merge", "-o", format, "--out", out};
	size_t argc = 6;
	for (size_t i = 0; i < n; i++)
		argv[argc++] = inputs[i];
	argv[argc] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	return r;
}

static char *scan_id_of(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL);
	cr_assert_not_null(doc);
	char *id = strdup(json_string_value(json_object_get(json_object_get(doc, "scan"), "id")));
	json_decref(doc);
	return id;
}

static void validate(const char *path)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "/usr/bin/python3 %s/scripts/validate-json.py "
	         "%s/tests/schema/smtp-audit-report.schema.json %s",
	         SA_SOURCE_DIR, SA_SOURCE_DIR, path);
	cr_assert_eq(system(cmd), 0, "%s does not validate", path);
}

/* Scans in count shards, checks them against whole, merges them into merged. */
static void shard_and_merge(unsigned count, const struct keys *whole, const char *merged)
{
	char paths[MAX_SHARDS][320], shard[16];
	const char *inputs[MAX_SHARDS];
	struct keys seen = {.k = calloc(whole->n + 1, sizeof(char *))};
	for (unsigned i = 0; i < count; i++) {
		char name[32];
		snprintf(name, sizeof(name), "shard%u-of-%u.json", i, count);
		report_path(paths[i], sizeof(paths[i]), name);
		snprintf(shard, sizeof(shard), "%u/%u", i, count);
		scan(shard, paths[i]);
		inputs[i] = paths[i];
		struct keys part = report_keys(paths[i]);
		if (count > 1)
			cr_assert_lt(part.n, whole->n, "shard %s is a part", shard);
		for (size_t k = 0; k < part.n; k++) {
			cr_assert_lt(seen.n, whole->n,
			             "more targets in the shards than in the scan");
			seen.k[seen.n++] = strdup(part.k[k]);
		}
		keys_free(&part);
	}
	qsort(seen.k, seen.n, sizeof(*seen.k), compare_keys);
	assert_same_keys(&seen, whole, "the shards together");
	keys_free(&seen);

	struct run_result r = merge(inputs, count, "json", merged);
	cr_assert_eq(r.exit_code, 0, "merge: %s", r.err);
	run_result_free(&r);
	struct keys joined = report_keys(merged);
	assert_same_keys(&joined, whole, "the merged report");
	keys_free(&joined);
	validate(merged);
}

Test(shard_lab, shards_are_disjoint_cover_the_scan_and_merge_into_one_report)
{
	char all[320], merged[320], again[320];
	report_path(all, sizeof(all), "all.json");
	report_path(merged, sizeof(merged), "merged.json");
	report_path(again, sizeof(again), "again.json");
	start_farm("127.77.0.0/26", "127.77.0.2");
	scan(NULL, all);
	struct keys whole = report_keys(all);
	cr_assert_eq(whole.n, 64 + 1, "the /26 and the single listener");
	for (unsigned count = 1; count <= MAX_SHARDS; count++)
		shard_and_merge(count, &whole, merged);
	keys_free(&whole);

	/* The same inputs give the same merged scan id. */
	char p0[320], p1[320], p2[320];
	report_path(p0, sizeof(p0), "shard0-of-3.json");
	report_path(p1, sizeof(p1), "shard1-of-3.json");
	report_path(p2, sizeof(p2), "shard2-of-3.json");
	const char *reordered[] = {p2, p0, p1};
	struct run_result r = merge(reordered, 3, "json", again);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	run_result_free(&r);
	char *id1 = scan_id_of(merged), *id2 = scan_id_of(again);
	cr_assert_str_eq(id1, id2);
	free(id1);
	free(id2);
}

Test(shard_lab, merge_refuses_a_report_given_twice_and_writes_other_formats)
{
	char part[320], out[320];
	report_path(part, sizeof(part), "part.json");
	report_path(out, sizeof(out), "out");
	start_farm("127.77.1.0/26", "127.77.1.2");
	scan("0/2", part);

	const char *twice[] = {part, part};
	struct run_result r = merge(twice, 2, "json", out);
	cr_assert_eq(r.exit_code, 2, "%s", r.err);
	cr_assert(strstr(r.err, "is also in") != NULL, "%s", r.err);
	run_result_free(&r);

	const char *once[] = {part};
	r = merge(once, 1, "text", out);
	cr_assert_eq(r.exit_code, 0, "%s", r.err);
	run_result_free(&r);
	FILE *f = fopen(out, "r");
	cr_assert_not_null(f);
	char head[256] = "";
	cr_assert_not_null(fgets(head, sizeof(head), f));
	fclose(f);
	cr_assert(strstr(head, "smtp-audit") != NULL, "a text report: %s", head);

	const char *bad[] = {"/nonexistent/x.json"};
	r = merge(bad, 1, "json", out);
	cr_assert_eq(r.exit_code, 2);
	cr_assert(strstr(r.err, "/nonexistent/x.json") != NULL, "%s", r.err);
	run_result_free(&r);
}
