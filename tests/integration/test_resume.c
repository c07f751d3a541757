/*
 * NAME
 *	test_resume - --resume against smtp-lab: interrupt, resume, one report
 *
 * DESCRIPTION
 *	A scan of three quick servers (one with terminal escapes, one with
 *	invalid UTF-8 in its banner) and a tarpit is interrupted with SIGINT
 *	once the state holds the three quick ones; the tarpit is cut. Run
 *	again with the same state, the lab's command log shows no new
 *	connection to the quick servers and new ones to the tarpit, and the
 *	final JSON report has every target exactly once, under the first
 *	run's scan id, and validates against the report schema. The same
 *	holds when the first run is killed with SIGKILL. A state of
 *	another scan is refused with exit status 2 and left as it was.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab.h"
#include "run.h"

static struct lab lab;
static char targets[4][80];
static char state[320], out1[320], out2[320];

static const char *const personas[] = {"hardened", "escape-codes", "invalid-utf8", "tarpit"};

static void setup(void)
{
	/* Each on its own address: the tarpit's stalls must not back off the others. */
	const char *specs[] = {"127.0.0.1:0=hardened", "127.0.0.3:0=escape-codes",
	                       "127.0.0.4:0=invalid-utf8", "127.0.0.2:0=tarpit"};
	cr_assert_eq(lab_start(&lab, specs, 4, NULL), 0, "smtp-lab did not start");
	for (size_t i = 0; i < 4; i++)
		cr_assert_not_null(lab_target(&lab, personas[i], targets[i], sizeof(targets[i])));
	snprintf(state, sizeof(state), "%s/scan.state", lab.dir);
	snprintf(out1, sizeof(out1), "%s/first.json", lab.dir);
	snprintf(out2, sizeof(out2), "%s/final.json", lab.dir);
}

static void teardown(void)
{
	lab_stop(&lab);
}

TestSuite(resume_lab, .init = setup, .fini = teardown, .timeout = 120);

/* Connections the lab accepted on the listener of target (its "ADDRESS:PORT"). */
static size_t connections_to(const char *target)
{
	char *log = lab_log(&lab);
	char listen[96];
	snprintf(listen, sizeof(listen), " %s ", target);
	size_t n = 0;
	for (char *line = strtok(log, "\n"); line != NULL; line = strtok(NULL, "\n"))
		n += strstr(line, listen) != NULL && strstr(line, " CONNECT") != NULL;
	free(log);
	return n;
}

/* Runs the scan with the state in the background; extra shell after it (e.g. the kill). */
static struct run_result scan_with_state(const char *out, const char *probes, const char *then)
{
	char script[2048];
	snprintf(script, sizeof(script),
	         "\"$0\" -o json --out '%s' --resume '%s' --retries 0 --host-rate 0 --per-host 8 "
	         "--probes %s --target-timeout 4 %s %s %s %s & pid=$!; %s wait $pid; "
	         "echo \"exit=$?\"",
	         out, state, probes, targets[0], targets[1], targets[2], targets[3], then);
	const char *argv[] = {"/bin/sh", "-c", script, SA_AUDIT_BIN, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_not(r.timed_out, "the scan did not end");
	return r;
}

static off_t size_of(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_size;
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

/* The number of targets of doc on the listener "ADDRESS:PORT". */
static size_t targets_on(json_t *doc, const char *target)
{
	size_t i, n = 0;
	json_t *t;
	char here[96];
	json_array_foreach(json_object_get(doc, "targets"), i, t)
	{
		snprintf(here, sizeof(here), "%s:%lld",
		         json_string_value(json_object_get(t, "address")),
		         (long long)json_integer_value(json_object_get(t, "port")));
		n += strcmp(here, target) == 0;
	}
	return n;
}

static const char *scan_id(json_t *doc)
{
	return json_string_value(json_object_get(json_object_get(doc, "scan"), "id"));
}

/* The scan id in the state's header line. */
static char *state_scan_id(void)
{
	FILE *f = fopen(state, "r");
	cr_assert_not_null(f);
	char line[4096];
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	json_t *header = json_loads(line, 0, NULL);
	cr_assert_not_null(header, "the state starts with a JSON header");
	char *id = strdup(json_string_value(json_object_get(header, "scan_id")));
	json_decref(header);
	return id;
}

/*
 * Sends sig once the three quick targets are in the state (bounded: 20 s),
 * expects the first run to exit with exit_text, then resumes.
 */
static void interrupt_and_resume(const char *sig, const char *exit_text)
{
	char wait_then_kill[640];
	snprintf(wait_then_kill, sizeof(wait_then_kill),
	         "i=0; while [ \"$(grep -c '\"type\":\"target\"' '%s' 2>/dev/null)\" != 3 ] && "
	         "[ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; kill -%s $pid;",
	         state, sig);
	struct run_result r = scan_with_state(out1, "inventory", wait_then_kill);
	cr_assert(strstr(r.out, exit_text) != NULL, "%s: %s / %s", sig, r.out, r.err);
	run_result_free(&r);
	char *first_id = state_scan_id();
	size_t before[4];
	for (size_t i = 0; i < 4; i++) {
		before[i] = connections_to(targets[i]);
		cr_assert_geq(before[i], 1, "%s was connected in the first run", personas[i]);
	}

	r = scan_with_state(out2, "inventory", "");
	cr_assert(strstr(r.out, "exit=0") != NULL || strstr(r.out, "exit=1") != NULL,
	          "the resumed scan ran to the end: %s / %s", r.out, r.err);
	cr_assert(strstr(r.err, "3 targets done") != NULL, "%s", r.err);
	run_result_free(&r);
	/* The lab logs asynchronously: wait for the tarpit's new connection before counting. */
	cr_assert(
	    lab_log_wait(&lab, " CONNECT", before[0] + before[1] + before[2] + before[3] + 1, 10));
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(connections_to(targets[i]), before[i],
		             "%s finished in the first run and was connected again", personas[i]);
	cr_assert_gt(connections_to(targets[3]), before[3], "the cut tarpit is scanned again");

	json_t *final = json_load_file(out2, 0, NULL);
	cr_assert_not_null(final);
	cr_assert_str_eq(scan_id(final), first_id, "one scan: the first run's id");
	cr_assert_eq(json_array_size(json_object_get(final, "targets")), 4);
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(targets_on(final, targets[i]), 1, "%s exactly once", personas[i]);
	cr_assert(json_is_false(json_object_get(json_object_get(final, "scan"), "interrupted")));
	validate(out2);
	json_decref(final);
	free(first_id);
}

Test(resume_lab, an_interrupted_scan_resumes_without_rescanning_what_finished)
{
	interrupt_and_resume("INT", "exit=4");
}

Test(resume_lab, a_killed_scan_resumes_from_its_state)
{
	/* No report and no "interrupted" line: the state alone tells what finished. */
	interrupt_and_resume("KILL", "exit=137");
}

Test(resume_lab, a_state_of_another_scan_is_refused_and_kept)
{
	struct run_result r = scan_with_state(out1, "inventory", "");
	cr_assert(strstr(r.out, "exit=0") != NULL || strstr(r.out, "exit=1") != NULL, "%s / %s",
	          r.out, r.err);
	run_result_free(&r);
	off_t kept = size_of(state);
	size_t connects = connections_to(targets[0]);

	r = scan_with_state(out2, "inventory,starttls", "");
	cr_assert(strstr(r.out, "exit=2") != NULL, "refused: %s / %s", r.out, r.err);
	cr_assert(strstr(r.err, "is the state of another scan: probes was") != NULL, "%s", r.err);
	run_result_free(&r);
	cr_assert_eq(size_of(state), kept, "the state is left as it was");
	cr_assert_eq(connections_to(targets[0]), connects, "nothing was scanned");

	/* Everything done: the same scan again connects nowhere and reports all four. */
	r = scan_with_state(out2, "inventory", "");
	cr_assert(strstr(r.out, "exit=0") != NULL || strstr(r.out, "exit=1") != NULL, "%s", r.out);
	run_result_free(&r);
	cr_assert_eq(connections_to(targets[0]), connects);
	json_t *again = json_load_file(out2, 0, NULL);
	cr_assert_not_null(again);
	cr_assert_eq(json_array_size(json_object_get(again, "targets")), 4);
	json_decref(again);
	validate(out2);
}
