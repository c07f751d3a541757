/*
 * NAME
 *	test_baseline - loading JSON reports and comparing them (baseline.h)
 *
 * DESCRIPTION
 *	Loading: a valid report, then a table of broken or hostile documents
 *	(truncated, wrong types, huge numbers, invalid UTF-8, an escaped
 *	NUL) that must each be refused with a message naming the file.
 *	Comparing: new, unchanged, resolved, a failed target whose findings
 *	stay unverified, and changed facts; the same for the domains of
 *	domain mode (a failed lookup or a domain not given again leaves its
 *	findings unverified), which never match a target of the same name. (test_report_diff.c checks that a
 *	scan and its own JSON report compare equal.)
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "sa_error.h"

#define FP_RELAY "00000000000000000000000000000001"
#define FP_AUTH  "00000000000000000000000000000002"
#define FP_CERT  "00000000000000000000000000000003"

/* One target "mx" port 25 with the findings given as JSON array text. */
#define REPORT(outcome, banner, findings)                                                          \
	"{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"mx\",\"address\":\"192.0.2.1\","     \
	"\"port\":25,\"outcome\":\"" outcome "\",\"banner\":" banner ","                           \
	"\"software\":{\"name\":\"Postfix\",\"version\":null},"                                    \
	"\"capabilities\":{\"plaintext\":{\"extensions\":[\"STARTTLS\",\"AUTH\"],"                 \
	"\"auth\":[\"PLAIN\"]},\"tls\":null},\"tls\":null,\"findings\":" findings "}]}"

#define FINDING(id, fp, severity)                                                                  \
	"{\"id\":\"" id "\",\"fingerprint\":\"" fp "\",\"title\":\"t\",\"severity\":\"" severity   \
	"\"}"

static void parse_ok(struct baseline_report *r, const char *text)
{
	char err[256] = "";
	int rc = baseline_parse(r, "test.json", text, strlen(text), err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
}

Test(baseline, loads_a_valid_report, .timeout = 10)
{
	struct baseline_report r;
	parse_ok(&r, REPORT("completed", "\"220 mx ESMTP\"",
	                    "[" FINDING("SMTP-RELAY-001", FP_RELAY, "critical") "]"));
	cr_assert_eq(r.ntargets, 1);
	const struct baseline_target *t = &r.targets[0];
	cr_assert_str_eq(t->host, "mx");
	cr_assert_str_eq(t->address, "192.0.2.1");
	cr_assert_eq(t->port, 25);
	cr_assert(t->completed);
	cr_assert_str_eq(t->facts[BASELINE_FACT_BANNER], "220 mx ESMTP");
	cr_assert_str_eq(t->facts[BASELINE_FACT_CAPS_PLAIN], "STARTTLS AUTH AUTH=PLAIN");
	cr_assert_null(t->facts[BASELINE_FACT_CAPS_TLS]);
	cr_assert_null(t->facts[BASELINE_FACT_CERTIFICATE]);
	cr_assert_str_eq(t->facts[BASELINE_FACT_SOFTWARE], "Postfix");
	cr_assert_eq(t->nfindings, 1);
	cr_assert_str_eq(t->findings[0].id, "SMTP-RELAY-001");
	cr_assert_str_eq(t->findings[0].fingerprint, FP_RELAY);
	cr_assert_eq(t->findings[0].severity, SEVERITY_CRITICAL);
	baseline_report_free(&r);
}

struct bad_input {
	const char *name;
	const char *text;
	size_t len;          /* 0: strlen(text) */
	const char *message; /* part of the error */
};

static struct bad_input bad_inputs[] = {
    {"empty", "", 0, "invalid JSON"},
    {"truncated", "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":", 0, "invalid JSON"},
    {"not an object", "[1,2]", 0, "expected a JSON object"},
    {"no schema version", "{\"targets\":[]}", 0, "schema_version"},
    {"other schema major", "{\"schema_version\":\"2.0\",\"targets\":[]}", 0, "schema_version"},
    {"targets not array", "{\"schema_version\":\"1.0\",\"targets\":{}}", 0, "expected an array"},
    {"target not object", "{\"schema_version\":\"1.0\",\"targets\":[7]}", 0, "targets[0]"},
    {"port a string",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":\"25\",\"outcome\":"
     "\"completed\",\"findings\":[]}]}",
     0, "targets[0].port: expected an integer"},
    {"port out of range",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":70000,\"outcome\":"
     "\"completed\",\"findings\":[]}]}",
     0, "not a port number"},
    {"huge number",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":"
     "123456789012345678901234567890,\"outcome\":\"completed\",\"findings\":[]}]}",
     0, "invalid JSON"},
    {"host a number",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":5,\"port\":25,\"outcome\":"
     "\"completed\",\"findings\":[]}]}",
     0, "targets[0].host: expected a string"},
    {"findings missing",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":25,\"outcome\":"
     "\"completed\"}]}",
     0, "targets[0].findings: missing"},
    {"bad severity", REPORT("completed", "null", "[" FINDING("X", FP_RELAY, "urgent") "]"), 0,
     "targets[0].findings[0].severity"},
    {"tls not object",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":25,"
     "\"outcome\":\"completed\",\"tls\":[],\"findings\":[]}]}",
     0, "targets[0].tls: expected an object"},
    {"extension not string",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\",\"port\":25,\"outcome\":"
     "\"completed\",\"capabilities\":{\"plaintext\":{\"extensions\":[1],\"auth\":[]}},"
     "\"findings\":[]}]}",
     0, "extensions[0]: expected a string"},
    {"NUL in a string",
     "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"a\\u0000b\",\"port\":25,"
     "\"outcome\":\"completed\",\"findings\":[]}]}",
     0, "invalid JSON"},
    {"invalid UTF-8", "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"\xff\xfe\"}]}", 0,
     "invalid JSON"},
    {"duplicate key", "{\"schema_version\":\"1.0\",\"schema_version\":\"1.0\",\"targets\":[]}", 0,
     "invalid JSON"},
    {"NUL byte in the file", "{\"schema_version\":\"1.0\",\0\"targets\":[]}", 27, "invalid JSON"},
    {"domains not an array", "{\"schema_version\":\"1.0\",\"targets\":[],\"domains\":{}}", 0,
     "document.domains: expected an array"},
    {"domain without name",
     "{\"schema_version\":\"1.0\",\"targets\":[],\"domains\":[{\"route\":\"mx\","
     "\"findings\":[]}]}",
     0, "domains[0].domain: missing"},
    {"domain finding without fingerprint",
     "{\"schema_version\":\"1.0\",\"targets\":[],\"domains\":[{\"domain\":\"d\","
     "\"route\":\"mx\",\"findings\":[{\"id\":\"SMTP-DNS-001\"}]}]}",
     0, "domains[0].findings[0].fingerprint: missing"},
};

#define NBAD (sizeof(bad_inputs) / sizeof(bad_inputs[0]))

/* Indexes, not pointers: a test worker may be a fresh exec with another address layout. */
static size_t bad_indexes[NBAD];

ParameterizedTestParameters(baseline, refuses_bad_reports)
{
	for (size_t i = 0; i < NBAD; i++)
		bad_indexes[i] = i;
	return cr_make_param_array(size_t, bad_indexes, NBAD);
}

ParameterizedTest(size_t *index, baseline, refuses_bad_reports, .timeout = 10)
{
	const struct bad_input *in = &bad_inputs[*index];
	struct baseline_report r;
	char err[512] = "";
	size_t len = in->len != 0 ? in->len : strlen(in->text);
	int rc = baseline_parse(&r, "test.json", in->text, len, err, sizeof(err));
	cr_assert_lt(rc, 0, "%s: accepted", in->name);
	cr_assert_eq(r.ntargets, 0, "%s: nothing kept", in->name);
	cr_assert(strncmp(err, "test.json: ", 11) == 0, "%s: message names the file: %s", in->name,
	          err);
	cr_assert_not_null(strstr(err, in->message), "%s: '%s' lacks '%s'", in->name, err,
	                   in->message);
}

Test(baseline, load_reports_unreadable_files, .timeout = 10)
{
	struct baseline_report r;
	char err[512];
	cr_assert_eq(baseline_load(&r, "/nonexistent/report.json", err, sizeof(err)), SA_ERROR_IO);
	cr_assert_not_null(strstr(err, "/nonexistent/report.json: cannot read"), "%s", err);
	cr_assert_eq(baseline_load(&r, "/tmp", err, sizeof(err)), SA_ERROR_IO);
	cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
}

static void compare(struct baseline_diff *d, struct baseline_report *old,
                    struct baseline_report *cur, const char *old_text, const char *cur_text)
{
	parse_ok(old, old_text);
	parse_ok(cur, cur_text);
	cr_assert_eq(baseline_compare(d, old, cur), 0);
}

static void release(struct baseline_diff *d, struct baseline_report *old,
                    struct baseline_report *cur)
{
	baseline_diff_free(d);
	baseline_report_free(old);
	baseline_report_free(cur);
}

Test(baseline, marks_new_unchanged_and_resolved, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur,
	        REPORT("completed", "\"220 mx\"",
	               "[" FINDING("SMTP-AUTH-001", FP_AUTH,
	                           "high") "," FINDING("SMTP-CERT-001", FP_CERT, "low") "]"),
	        REPORT("completed", "\"220 mx\"",
	               "[" FINDING("SMTP-RELAY-001", FP_RELAY,
	                           "critical") "," FINDING("SMTP-AUTH-001", FP_AUTH, "high") "]"));
	cr_assert_eq(d.nadded, 1);
	cr_assert_str_eq(d.added[0].finding->fingerprint, FP_RELAY);
	cr_assert_eq(d.nunchanged, 1);
	cr_assert_str_eq(d.unchanged[0].finding->fingerprint, FP_AUTH);
	cr_assert_eq(d.nresolved, 1);
	cr_assert_str_eq(d.resolved[0].finding->fingerprint, FP_CERT);
	cr_assert_str_eq(d.resolved[0].target->host, "mx");
	cr_assert_eq(d.nchanges, 0);
	cr_assert_eq(d.nunverified, 0);
	cr_assert_eq(baseline_count_new_at_least(&d, SEVERITY_CRITICAL), 1);
	cr_assert_eq(baseline_count_new_at_least(&d, SEVERITY_COUNT), 0);
	release(&d, &old, &cur);
}

Test(baseline, failed_target_does_not_resolve_its_findings, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(
	    &d, &old, &cur,
	    REPORT("completed", "\"220 mx\"", "[" FINDING("SMTP-AUTH-001", FP_AUTH, "high") "]"),
	    REPORT("timeout", "null", "[]"));
	cr_assert_eq(d.nresolved, 0);
	cr_assert_eq(d.nunverified, 1);
	cr_assert_str_eq(d.unverified[0]->host, "mx");
	cr_assert_eq(d.unverified[0]->nfindings, 1);
	cr_assert_eq(d.nchanges, 0, "facts of a failed target are not compared");
	release(&d, &old, &cur);
}

Test(baseline, target_not_scanned_again_is_unverified, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur,
	        REPORT("completed", "null", "[" FINDING("SMTP-AUTH-001", FP_AUTH, "high") "]"),
	        "{\"schema_version\":\"1.0\",\"targets\":[]}");
	cr_assert_eq(d.nresolved, 0);
	cr_assert_eq(d.nunverified, 1);
	release(&d, &old, &cur);
}

Test(baseline, reports_changed_facts, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur, REPORT("completed", "\"220 old\"", "[]"),
	        REPORT("completed", "\"220 new\"", "[]"));
	cr_assert_eq(d.nchanges, 1);
	cr_assert_eq(d.changes[0].fact, BASELINE_FACT_BANNER);
	cr_assert_str_eq(d.changes[0].before, "220 old");
	cr_assert_str_eq(d.changes[0].after, "220 new");
	release(&d, &old, &cur);

	compare(&d, &old, &cur, REPORT("completed", "\"220 mx\"", "[]"),
	        REPORT("completed", "null", "[]"));
	cr_assert_eq(d.nchanges, 1, "a banner no longer seen is a change");
	cr_assert_null(d.changes[0].after);
	release(&d, &old, &cur);
}

/* One domain "example.org" with the route and findings given, and no target. */
#define DOMAINS(route, findings)                                                                   \
	"{\"schema_version\":\"1.0\",\"targets\":[],\"domains\":[{\"domain\":\"example.org\","       \
	"\"route\":\"" route "\",\"findings\":" findings "}]}"

#define FP_SPF   "00000000000000000000000000000011"
#define FP_DMARC "00000000000000000000000000000012"

Test(baseline, domain_findings_are_new_and_resolved, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur, DOMAINS("mx", "[" FINDING("SMTP-DNS-001", FP_SPF, "medium") "]"),
	        DOMAINS("mx", "[" FINDING("SMTP-DNS-012", FP_DMARC, "low") "]"));
	cr_assert_eq(d.nadded, 1);
	cr_expect_str_eq(d.added[0].finding->fingerprint, FP_DMARC);
	cr_expect(d.added[0].target->domain);
	cr_expect_str_eq(d.added[0].target->host, "example.org");
	cr_assert_eq(d.nresolved, 1);
	cr_expect_str_eq(d.resolved[0].finding->fingerprint, FP_SPF);
	cr_expect(d.resolved[0].target->domain);
	cr_expect_eq(d.nunverified, 0);
	cr_expect(baseline_is_new(&d, FP_DMARC));
	cr_expect_eq(baseline_count_new_at_least(&d, SEVERITY_LOW), 1);
	release(&d, &old, &cur);
}

Test(baseline, failed_domain_lookup_leaves_findings_unverified, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur, DOMAINS("mx", "[" FINDING("SMTP-DNS-001", FP_SPF, "medium") "]"),
	        DOMAINS("failed", "[]"));
	cr_expect_eq(d.nresolved, 0);
	cr_assert_eq(d.nunverified, 1);
	cr_expect(d.unverified[0]->domain);
	release(&d, &old, &cur);
}

Test(baseline, domain_not_given_again_is_unverified, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur, DOMAINS("null-mx", "[" FINDING("SMTP-DNS-001", FP_SPF, "medium") "]"),
	        "{\"schema_version\":\"1.0\",\"targets\":[]}");
	cr_expect_eq(d.nresolved, 0);
	cr_expect_eq(d.nunverified, 1);
	release(&d, &old, &cur);
}

/* A target whose host is the domain's name is another thing: its scan says nothing of the domain. */
Test(baseline, domain_is_not_a_target_of_the_same_name, .timeout = 10)
{
	struct baseline_report old, cur;
	struct baseline_diff d;
	compare(&d, &old, &cur, DOMAINS("mx", "[" FINDING("SMTP-DNS-001", FP_SPF, "medium") "]"),
	        "{\"schema_version\":\"1.0\",\"targets\":[{\"host\":\"example.org\",\"port\":0,"
	        "\"outcome\":\"completed\",\"findings\":[]}]}");
	cr_expect_eq(d.nresolved, 0);
	cr_expect_eq(d.nunverified, 1);
	release(&d, &old, &cur);
}
