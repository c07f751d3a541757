/*
 * NAME
 *	test_resume - the --resume state file: round trip, damage, and refusal
 *
 * DESCRIPTION
 *	A state written by resume_record() is read back by resume_open():
 *	the results come back field for field (server text with control
 *	bytes, backslashes and invalid UTF-8 included), a last line cut
 *	short by a kill is ignored and cut off, a state of another scan or
 *	a damaged one is refused with a message naming the line or what
 *	differs, and a target cut by an interruption is not done.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe_registry.h"
#include "resume.h"
#include "result_json.h"
#include "sa_error.h"
#include "scan_options.h"

#define TEST_ID "0f8fad5b-d9cb-469f-a165-70867728950e"

static struct scan_options opt;
static json_t *work;
static char path[64];

static void setup(void)
{
	char err[256];
	scan_options_init(&opt);
	cr_assert_eq(target_list_add(&opt.targets, "192.0.2.0/30", "test", err, sizeof(err)), 0);
	cr_assert_eq(target_list_add(&opt.targets, "mx.example.org", "test", err, sizeof(err)), 0);
	opt.probes[opt.nprobes++] = probe_registry_find("inventory");
	opt.probes[opt.nprobes++] = probe_registry_find("starttls");
	cr_assert_not_null(opt.probes[0]);
	cr_assert_not_null(opt.probes[1]);
	work = resume_work(&opt);
	cr_assert_not_null(work);
	snprintf(path, sizeof(path), "/tmp/sa-resume-XXXXXX");
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
	json_decref(work);
	scan_options_free(&opt);
}

TestSuite(resume, .init = setup, .fini = teardown, .timeout = 30);

/* A target with every kind of fact, server text that needs escaping included. */
static struct target_result *rich_target(const char *host, const char *address, uint16_t port)
{
	struct target_result *t = target_result_new(host, address, port, false);
	cr_assert_not_null(t);
	t->banner = strdup("mx ESMTP \x1b[31mred\x1b[0m back\\slash \xff\xfe <script>");
	t->banner_code = 220;
	t->esmtp = true;
	t->started_ms = 1700000000123;
	t->finished_ms = 1700000001456;
	t->have_caps_plain = true;
	t->caps_plain.server_name = strdup("mx.example.org");
	t->caps_plain.ext = 1u << SMTP_EXT_STARTTLS;
	t->caps_plain.auth = 1u << SMTP_AUTH_PLAIN;
	t->caps_plain.size_limit = 10240000;
	t->caps_plain.unknown = calloc(1, sizeof(char *));
	t->caps_plain.unknown[0] = strdup("X-ODD \x01");
	t->caps_plain.nunknown = 1;
	t->caps_plain.unknown_dropped = 3;
	t->have_tls = true;
	t->tls.version = strdup("TLSv1.2");
	t->tls.subject = strdup("CN=mx.example.org");
	t->tls.not_before = 1690000000;
	t->tls.not_after = 1790000000;
	t->tls.key_bits = 2048;
	t->tls.chain_length = 2;
	t->tls.self_signed = true;
	memset(t->tls.fingerprint, 'a', 64);
	t->mta.mta = MTA_POSTFIX;
	snprintf(t->mta.version, sizeof(t->mta.version), "3.7");
	t->probes = calloc(2, sizeof(*t->probes));
	t->nprobes = 2;
	t->probes[0] =
	    (struct probe_record){.probe = "inventory", .verdict = VERDICT_NONE, .sessions = 1};
	t->probes[1] = (struct probe_record){.probe = "starttls",
	                                     .outcome = OUTCOME_TIMEOUT,
	                                     .reason = strdup("timeout while sending STARTTLS"),
	                                     .verdict = VERDICT_INCONCLUSIVE,
	                                     .sessions = 2};
	struct finding f;
	enum catalog_id id;
	cr_assert(catalog_lookup(catalog_get(0)->public_id, &id));
	cr_assert_eq(finding_init(&f, id, "v\\1"), 0);
	cr_assert_eq(finding_set_detail(&f, "detail \x7f"), 0);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_SENT, "EHLO x"), 0);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_RECEIVED, "250-\x1b]0;title\x07"), 0);
	cr_assert_eq(target_result_take_finding(t, &f), 0);
	return t;
}

static void assert_same_json(const struct target_result *a, const struct target_result *b)
{
	json_t *ja = result_json_target(a), *jb = result_json_target(b);
	cr_assert_not_null(ja);
	cr_assert_not_null(jb);
	char *ta = json_dumps(ja, JSON_PRESERVE_ORDER), *tb = json_dumps(jb, JSON_PRESERVE_ORDER);
	cr_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
	json_decref(ja);
	json_decref(jb);
}

static void open_state(struct resume *r)
{
	char err[512];
	int rc = resume_open(r, path, work, TEST_ID, 1700000000000, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
}

static void write_state(const struct target_result *const *targets, size_t n)
{
	struct resume r;
	open_state(&r);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(resume_record(&r, targets[i]), 0);
	resume_close(&r);
}

static void append(const char *text)
{
	FILE *f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static off_t file_size(void)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	return st.st_size;
}

Test(resume, a_new_state_gets_a_header_and_keeps_the_scan_id)
{
	struct resume r;
	open_state(&r);
	cr_assert_str_eq(r.scan_id, TEST_ID);
	cr_assert_eq(r.run, 1);
	cr_assert_eq(resume_count_done(&r), 0);
	resume_close(&r);
	cr_assert_gt(file_size(), 0);
	struct resume again;
	char err[256];
	cr_assert_eq(resume_open(&again, path, work, "1111", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(again.scan_id, TEST_ID, "the state's id wins");
	cr_assert_eq(again.started_ms, 1700000000000);
	cr_assert_eq(again.run, 1, "no target line yet");
	resume_close(&again);
}

Test(resume, results_come_back_field_for_field)
{
	struct target_result *t = rich_target("192.0.2.1", "192.0.2.1", 25);
	const struct target_result *list[] = {t};
	write_state(list, 1);

	struct resume r;
	open_state(&r);
	cr_assert_eq(r.run, 2);
	cr_assert(resume_done(&r, "192.0.2.1", 25));
	cr_assert_not(resume_done(&r, "192.0.2.1", 587));
	cr_assert_not(resume_done(&r, "192.0.2.2", 25));
	struct scan_result scan;
	scan_result_init(&scan);
	cr_assert_eq(resume_take_results(&r, &scan), 0);
	cr_assert_eq(scan.ntargets, 1);
	const struct target_result *back = scan.targets[0];
	cr_assert_str_eq(back->banner, t->banner, "server bytes survive unchanged");
	cr_assert_eq(back->banner_code, 220);
	cr_assert_str_eq(back->caps_plain.unknown[0], "X-ODD \x01");
	cr_assert_str_eq(back->findings[0].evidence[1].text, "250-\x1b]0;title\x07");
	cr_assert_str_eq(back->probes[1].probe, "starttls");
	cr_assert_eq(back->probes[1].outcome, OUTCOME_TIMEOUT);
	assert_same_json(t, back);
	cr_assert(resume_done(&r, "192.0.2.1", 25), "still done once its results are taken");
	cr_assert_eq(resume_take_results(&r, &scan), 0);
	cr_assert_eq(scan.ntargets, 1, "taken once");
	scan_result_free(&scan);
	resume_close(&r);
	target_result_free(t);
}

Test(resume, a_last_line_cut_short_is_ignored_and_cut_off)
{
	struct target_result *a = rich_target("192.0.2.1", "192.0.2.1", 25);
	struct target_result *b = rich_target("192.0.2.2", "192.0.2.2", 25);
	const struct target_result *list[] = {a, b};
	write_state(list, 2);
	off_t whole = file_size();
	append("{\"type\":\"target\",\"run\":1,\"target\":{\"host\":\"192.0");

	struct resume r;
	open_state(&r);
	cr_assert(resume_done(&r, "192.0.2.1", 25));
	cr_assert(resume_done(&r, "192.0.2.2", 25));
	cr_assert_eq(resume_count_done(&r), 2);
	cr_assert_eq(file_size(), whole, "the partial line is cut off before appending");
	struct target_result *c = rich_target("192.0.2.3", "192.0.2.3", 25);
	cr_assert_eq(resume_record(&r, c), 0);
	resume_close(&r);

	open_state(&r);
	cr_assert_eq(resume_count_done(&r), 3, "the next line did not glue onto the cut one");
	resume_close(&r);
	target_result_free(a);
	target_result_free(b);
	target_result_free(c);
}

Test(resume, a_state_of_another_scan_is_refused)
{
	write_state(NULL, 0);
	opt.ports[0] = 2525;
	opt.nports = 1;
	json_t *other = resume_work(&opt);
	struct resume r;
	char err[512];
	int rc = resume_open(&r, path, other, TEST_ID, 0, err, sizeof(err));
	cr_assert_eq(rc, SA_ERROR_INVAL);
	cr_assert(strstr(err, "another scan") && strstr(err, "ports") && strstr(err, "2525"), "%s",
	          err);
	json_decref(other);
}

Test(resume, other_targets_are_refused_whatever_their_order)
{
	write_state(NULL, 0);
	char err[512];
	struct scan_options same;
	scan_options_init(&same);
	/* The same targets in the other order are the same scan. */
	cr_assert_eq(target_list_add(&same.targets, "mx.example.org", "t", err, sizeof(err)), 0);
	cr_assert_eq(target_list_add(&same.targets, "192.0.2.0/30", "t", err, sizeof(err)), 0);
	same.probes[same.nprobes++] = opt.probes[1];
	same.probes[same.nprobes++] = opt.probes[0];
	json_t *w = resume_work(&same);
	struct resume r;
	cr_assert_eq(resume_open(&r, path, w, TEST_ID, 0, err, sizeof(err)), 0, "%s", err);
	resume_close(&r);
	json_decref(w);

	cr_assert_eq(target_list_add(&same.targets, "192.0.2.9", "t", err, sizeof(err)), 0);
	w = resume_work(&same);
	cr_assert_eq(resume_open(&r, path, w, TEST_ID, 0, err, sizeof(err)), SA_ERROR_INVAL);
	cr_assert(strstr(err, "targets") != NULL, "%s", err);
	json_decref(w);
	scan_options_free(&same);
}

/* Arrays, not pointers: criterion hands parameters to a re-executed worker. */
struct damage {
	char lines[128]; /* appended after a valid header and one target line */
	char expect[48];
};

static struct damage damaged_states_are_refused_cases[] = {
    {"garbage\n", ":3: not a JSON object"},
    {"[1,2]\n", ":3: not a JSON object"},
    {"\n", ":3: not a JSON object"},
    {"{\"type\":\"target\",\"run\":1}\n", ":3: target: not an object"},
    {"{\"type\":\"target\",\"run\":0,\"target\":{}}\n", ":3: no valid"},
    {"{\"type\":\"target\",\"run\":1,\"target\":{\"host\":1}}\n",
     ":3: host: not a string"},
    {"{\"type\":\"nonsense\",\"run\":1}\n", ":3: a line whose"},
    {"{\"type\":\"interrupted\",\"run\":1,\"host\":\"a\\\\q\",\"port\":25}\n",
     ":3: an interrupted line's host"},
    {"{\"type\":\"interrupted\",\"run\":1,\"host\":\"a\",\"port\":0}\n", ":3: an interrupted"},
    {"{\"a\":1,\"a\":2}\n", ":3: not a JSON object"},
};

ParameterizedTestParameters(resume, damaged_states_are_refused)
{
	return cr_make_param_array(struct damage, damaged_states_are_refused_cases,
	                           sizeof(damaged_states_are_refused_cases) /
	                               sizeof(damaged_states_are_refused_cases[0]));
}

ParameterizedTest(struct damage *d, resume, damaged_states_are_refused)
{
	struct target_result *t = rich_target("192.0.2.1", "192.0.2.1", 25);
	const struct target_result *list[] = {t};
	write_state(list, 1);
	append(d->lines);
	struct resume r;
	char err[512];
	int rc = resume_open(&r, path, work, TEST_ID, 0, err, sizeof(err));
	cr_assert_eq(rc, SA_ERROR_PARSE, "%s", err);
	cr_assert(strstr(err, d->expect) != NULL, "'%s' lacks '%s'", err, d->expect);
	target_result_free(t);
}

Test(resume, a_file_that_is_no_state_is_refused_untouched)
{
	append("{\"schema_version\":\"1.0\"}\nmore\n");
	off_t before = file_size();
	struct resume r;
	char err[512];
	cr_assert_eq(resume_open(&r, path, work, TEST_ID, 0, err, sizeof(err)), SA_ERROR_PARSE);
	cr_assert(strstr(err, ":1: not an smtp-audit state") != NULL, "%s", err);
	cr_assert_eq(file_size(), before);
}

Test(resume, an_interrupted_target_is_not_done_until_a_later_run_finishes_it)
{
	struct target_result *v4 = rich_target("mx.example.org", "192.0.2.1", 25);
	struct target_result *v6 = rich_target("mx.example.org", "2001:db8::1", 25);
	v6->outcome = OUTCOME_INTERRUPTED;
	struct target_result *probe_cut = rich_target("192.0.2.2", "192.0.2.2", 25);
	probe_cut->probes[1].outcome = OUTCOME_INTERRUPTED;
	const struct target_result *run1[] = {v6, v4, probe_cut};
	write_state(run1, 3);

	struct resume r;
	open_state(&r);
	cr_assert_not(resume_done(&r, "mx.example.org", 25), "one address was cut");
	cr_assert_not(resume_done(&r, "192.0.2.2", 25), "a probe was cut");
	struct scan_result scan;
	scan_result_init(&scan);
	cr_assert_eq(resume_take_results(&r, &scan), 0);
	cr_assert_eq(scan.ntargets, 0, "what is scanned again is not reported twice");
	/* Run 2 scans the name again, both addresses. */
	v6->outcome = OUTCOME_COMPLETED;
	cr_assert_eq(resume_record(&r, v4), 0);
	cr_assert_eq(resume_record(&r, v6), 0);
	resume_close(&r);

	open_state(&r);
	cr_assert_eq(r.run, 3);
	cr_assert(resume_done(&r, "mx.example.org", 25));
	cr_assert_eq(resume_take_results(&r, &scan), 0);
	cr_assert_eq(scan.ntargets, 2, "run 2's two addresses, run 1's lines dropped");
	scan_result_free(&scan);
	resume_close(&r);
	target_result_free(v4);
	target_result_free(v6);
	target_result_free(probe_cut);
}

Test(resume, a_state_in_use_by_another_scan_is_refused)
{
	struct resume first, second;
	open_state(&first);
	char err[512];
	cr_assert_eq(resume_open(&second, path, work, TEST_ID, 0, err, sizeof(err)), SA_ERROR_IO);
	cr_assert(strstr(err, "in use by another scan") != NULL, "%s", err);
	resume_close(&first);
}

struct time_case {
	char text[40];
	int rc;
	int64_t ms;
};

static struct time_case report_times_parse_cases[] = {
    {"2023-11-14T22:13:20.123Z", 0, 1700000000123},
    {"2023-11-14T22:13:20Z", 0, 1700000000000},
    {"1970-01-01T00:00:00.000Z", 0, 0},
    {"2023-11-14T22:13:20.12Z", SA_ERROR_PARSE, 0},
    {"2023-11-14 22:13:20Z", SA_ERROR_PARSE, 0},
    {"2023-13-14T22:13:20Z", SA_ERROR_PARSE, 0},
    {"2023-11-14T22:13:20", SA_ERROR_PARSE, 0},
    {"2023-11-14T22:13:20Zjunk", SA_ERROR_PARSE, 0},
    {"", SA_ERROR_PARSE, 0},
};

ParameterizedTestParameters(resume, report_times_parse)
{
	return cr_make_param_array(struct time_case, report_times_parse_cases,
	                           sizeof(report_times_parse_cases) /
	                               sizeof(report_times_parse_cases[0]));
}

ParameterizedTest(struct time_case *c, resume, report_times_parse)
{
	int64_t ms = -1;
	cr_assert_eq(result_json_time(c->text, &ms), c->rc, "%s", c->text);
	if (c->rc == 0)
		cr_assert_eq(ms, c->ms, "%s: %lld", c->text, (long long)ms);
}
