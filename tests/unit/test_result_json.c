/*
 * NAME
 *	test_result_json - reading the -o json form back (result_json.h)
 *
 * DESCRIPTION
 *	Domain mode: the domains of a report and the "domains" of its
 *	targets are rebuilt by result_json_load_domain() and
 *	result_json_load(), and the rebuilt scan written again is byte for
 *	byte the same report (hostile DNS text included, so escaping is
 *	undone exactly once). A target without "domains" (a plain scan)
 *	loads with none, and broken domain objects are refused with a
 *	message naming the member. The greeting's reply code survives the trip.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report_domains_fixture.h"
#include "report_fixture.h"
#include "result_json.h"
#include "sa_error.h"

static json_t *parse(const struct report_fixture_output *o)
{
	json_t *doc = json_loadb(o->data, o->len, 0, NULL);
	cr_assert_not_null(doc);
	return doc;
}

/* A scan rebuilt from a JSON report: its scan facts, domains and targets. */
static void rebuild(const json_t *doc, const struct scan_result *like, struct scan_result *out)
{
	scan_result_init(out);
	memcpy(out->scan_id, like->scan_id, sizeof(out->scan_id));
	out->started_ms = like->started_ms;
	out->finished_ms = like->finished_ms;
	char err[256] = "";
	size_t i;
	const json_t *obj;
	json_array_foreach(json_object_get(doc, "domains"), i, obj)
	{
		struct domain_result *d;
		cr_assert_eq(result_json_load_domain(obj, &d, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(scan_result_add_domain(out, d), 0);
	}
	json_array_foreach(json_object_get(doc, "targets"), i, obj)
	{
		struct target_result *t;
		cr_assert_eq(result_json_load(obj, &t, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(scan_result_add(out, t), 0);
	}
	scan_result_sort(out);
}

Test(result_json, domains_round_trip, .timeout = 30)
{
	struct scan_result scan, again;
	report_domains_scan(&scan);
	struct report_fixture_output first = report_domains_render("json", NULL, &scan);
	json_t *doc = parse(&first);
	rebuild(doc, &scan, &again);

	cr_assert_eq(again.ndomains, 2);
	const struct domain_result *d = again.domains[0];
	cr_expect_str_eq(d->domain, "example.org");
	cr_expect_eq(d->route, DOMAIN_ROUTE_MX);
	cr_expect(d->dnssec);
	cr_assert_eq(d->nmx, 2);
	cr_expect_eq(d->mx[1].preference, 20);
	cr_expect_str_eq(d->mx[1].error, "timeout \x1b[2J");
	cr_assert_eq(d->nrecords, 2);
	cr_expect_str_eq(d->records[0].text, "v=spf1 " REPORT_DOMAINS_HOSTILE);
	cr_assert_eq(d->findings.n, 2);
	cr_expect_str_eq(d->findings.items[0].detail, "unknown mechanism " REPORT_DOMAINS_HOSTILE);
	cr_expect_eq(again.domains[1]->route, DOMAIN_ROUTE_NULL_MX);
	cr_assert_eq(again.targets[0]->ndomains, 1);
	cr_expect_str_eq(again.targets[0]->domains[0], "example.org");

	struct report_fixture_output second = report_domains_render("json", NULL, &again);
	cr_expect_eq(first.len, second.len);
	cr_expect_eq(
	    memcmp(first.data, second.data, first.len < second.len ? first.len : second.len), 0,
	    "the rebuilt scan writes another report");
	free(first.data);
	free(second.data);
	json_decref(doc);
	scan_result_free(&again);
	scan_result_free(&scan);
}

Test(result_json, plain_target_has_no_domains, .timeout = 30)
{
	struct target_result *plain = report_fixture_unresolvable();
	json_t *obj = result_json_target(plain);
	cr_assert_not_null(obj);
	cr_expect_null(json_object_get(obj, "domains"));
	struct target_result *t;
	char err[256] = "";
	cr_assert_eq(result_json_load(obj, &t, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(t->ndomains, 0);
	target_result_free(t);
	json_decref(obj);
	target_result_free(plain);
}

/* Arrays, not pointers: criterion copies parameters into another process. */
struct broken_case {
	char member[24];  /* member of the first domain replaced */
	char value[48];   /* by this JSON */
	char message[40]; /* what the error names */
};

ParameterizedTestParameters(result_json, refuses_broken_domains)
{
	static struct broken_case cases[] = {
	    {"route", "\"mail\"", "route: 'mail' is not a known value"},
	    {"domain", "\"\"", "domain: empty"},
	    {"domain", "7", "domain: not a string"},
	    {"dnssec", "\"yes\"", "dnssec: not true or false"},
	    {"mx", "[{\"preference\": 70000}]", "mx[0].preference"},
	    {"mx", "[{\"preference\": 1, \"host\": null}]", "mx[0].host: not a string"},
	    {"records", "[{\"name\": \"a\\\\q\"}]", "records[0].name"},
	    {"findings", "[{\"id\": \"SMTP-XYZ-001\"}]", "findings[0].id: unknown finding"},
	    {"findings_dropped", "-1", "findings_dropped"},
	    {"started", "\"yesterday\"", "started: not a time"},
	};
	return cr_make_param_array(struct broken_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct broken_case *c, result_json, refuses_broken_domains, .timeout = 30)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct report_fixture_output o = report_domains_render("json", NULL, &scan);
	json_t *doc = parse(&o);
	json_t *domain = json_array_get(json_object_get(doc, "domains"), 0);
	json_t *value = json_loads(c->value, JSON_DECODE_ANY, NULL);
	cr_assert_not_null(value, "bad case %s", c->value);
	cr_assert_eq(json_object_set_new(domain, c->member, value), 0);
	struct domain_result *d = NULL;
	char err[256] = "";
	cr_expect_eq(result_json_load_domain(domain, &d, err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect_null(d);
	cr_expect_not_null(strstr(err, c->message), "message '%s' lacks '%s'", err, c->message);
	json_decref(doc);
	free(o.data);
	scan_result_free(&scan);
}

/* The greeting's code comes back (merged reports show it); older reports without it load as 0. */
Test(result_json, banner_code_round_trip_and_range, .timeout = 30)
{
	struct scan_result scan;
	report_domains_scan(&scan);
	struct target_result *src = scan.targets[0];
	src->banner_code = 220;
	json_t *obj = result_json_target(src);
	cr_assert_not_null(obj);
	cr_expect_eq(json_integer_value(json_object_get(obj, "banner_code")), 220);
	struct target_result *t;
	char err[256] = "";
	cr_assert_eq(result_json_load(obj, &t, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(t->banner_code, 220);
	target_result_free(t);

	json_object_del(obj, "banner_code");
	cr_assert_eq(result_json_load(obj, &t, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(t->banner_code, 0);
	target_result_free(t);

	json_object_set_new(obj, "banner_code", json_integer(42));
	cr_expect_eq(result_json_load(obj, &t, err, sizeof(err)), SA_ERROR_PARSE);
	cr_expect(strstr(err, "banner_code: not a reply code") != NULL, "%s", err);
	json_decref(obj);
	scan_result_free(&scan);
}
