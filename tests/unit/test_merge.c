/*
 * NAME
 *	test_merge - joining shard reports (merge.h) in domain mode
 *
 * DESCRIPTION
 *	Every shard of a --domain scan expands every domain, so the same
 *	domains arrive in each shard's report: "smtp-audit merge" keeps
 *	each domain once (from the first input that has it), joins the
 *	targets, and writes a report that validates against the schema.
 *	A domain that only a later input has is still taken, and a target
 *	found in two inputs stays an error with domains present.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "report_domains_fixture.h"
#include "report_fixture.h"
#include "report_lines.h"

#define REPORT_SCHEMA SA_SOURCE_DIR "/tests/schema/smtp-audit-report.schema.json"

/* The scan written with -o json into a new temporary file named in path (32 bytes). */
static void write_shard(const struct scan_result *scan, char *path)
{
	struct report_fixture_output o = report_domains_render("json", NULL, scan);
	report_lines_write_temp(o.data, o.len, path);
	free(o.data);
}

/* Shard 1 of the fixture: both domains and mx1. */
static void shard_one(char *path)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	write_shard(&scan, path);
	scan_result_free(&scan);
}

/* Another shard: the TLS target of report_fixture.h, with the fixture's domains when given. */
static void shard_two(char *path, bool with_domains)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	target_result_free(scan.targets[0]);
	scan.targets[0] = report_fixture_tls_target();
	if (!with_domains) {
		for (size_t i = 0; i < scan.ndomains; i++)
			domain_result_free(scan.domains[i]);
		scan.ndomains = 0;
	}
	scan_result_sort(&scan);
	write_shard(&scan, path);
	scan_result_free(&scan);
}

/* merge --out OUT a b; its exit code. */
static int merge(const char *out, const char *a, const char *b)
{
	char *argv[] = {"merge", "--out", (char *)out, (char *)a, (char *)b, NULL};
	return merge_main(5, argv);
}

static json_t *load(const char *path)
{
	json_t *doc = json_load_file(path, 0, NULL);
	cr_assert_not_null(doc, "%s is not JSON", path);
	return doc;
}

static void out_path(char *path)
{
	report_lines_write_temp("", 0, path);
}

Test(merge, same_domain_in_every_shard_appears_once, .timeout = 60)
{
	char a[32], b[32], out[32];
	shard_one(a);
	shard_two(b, true);
	out_path(out);
	cr_assert_eq(merge(out, a, b), 0);
	if (report_lines_available()) {
		char *text = report_lines_read_file(out);
		report_lines_expect_valid_document(REPORT_SCHEMA, text, strlen(text));
		free(text);
	}
	json_t *merged = load(out), *first = load(a);
	json_t *domains = json_object_get(merged, "domains");
	cr_assert_eq(json_array_size(domains), 2);
	cr_expect(json_equal(domains, json_object_get(first, "domains")),
	          "the merged domains differ from the shard's");
	cr_expect_eq(json_array_size(json_object_get(merged, "targets")), 2);
	cr_expect_eq(
	    json_integer_value(json_object_get(json_object_get(merged, "summary"), "domains")), 2);
	json_t *mx1 = json_array_get(json_object_get(merged, "targets"), 0);
	cr_expect_str_eq(json_string_value(json_array_get(json_object_get(mx1, "domains"), 0)),
	                 "example.org");
	json_decref(merged);
	json_decref(first);
	unlink(a);
	unlink(b);
	unlink(out);
}

Test(merge, domains_of_a_later_input_are_taken, .timeout = 60)
{
	char a[32], b[32], out[32];
	shard_two(a, false);
	shard_one(b);
	out_path(out);
	cr_assert_eq(merge(out, a, b), 0);
	json_t *merged = load(out);
	json_t *domains = json_object_get(merged, "domains");
	cr_assert_eq(json_array_size(domains), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(domains, 0), "domain")),
	                 "example.org");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(domains, 1), "domain")),
	                 "null.example");
	json_decref(merged);
	unlink(a);
	unlink(b);
	unlink(out);
}

Test(merge, duplicate_target_is_still_an_error, .timeout = 60)
{
	char a[32], out[32];
	shard_one(a);
	out_path(out);
	cr_expect_neq(merge(out, a, a), 0);
	unlink(a);
	unlink(out);
}
