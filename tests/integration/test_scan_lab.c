/*
 * NAME
 *	test_scan_lab - the real smtp-audit binary against smtp-lab personas
 *
 * DESCRIPTION
 *	Each test starts smtp-lab on loopback (port 0, real ports from its
 *	ready file), runs smtp-audit with -o json and short timeouts, parses
 *	the report with jansson and asserts outcomes, host facts and what the
 *	lab's command log says the scanner sent. Hostile personas must end in
 *	their outcome within a computed bound and never poison other targets.
 *	Every test has a criterion timeout and stops its lab in .fini.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab.h"
#include "run.h"

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

static void start_lab(const char *const specs[], size_t n)
{
	cr_assert_eq(lab_start(&lab, specs, n, NULL), 0, "smtp-lab did not start");
}

/* Scanner options every test uses: fast failure, no politeness delays on loopback. */
#define SCAN_BASE SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--host-rate", "0", \
	"--helo", "scanner.example.net"

struct scan {
	struct run_result run;
	json_t *json;
};

static void scan_run(struct scan *s, const char *const argv[], double timeout_s)
{
	json_error_t jerr;
	cr_assert_eq(run_command(argv, timeout_s, NULL, &s->run), 0);
	cr_assert_not(s->run.timed_out, "smtp-audit did not finish within %.0f s", timeout_s);
	s->json = json_loads(s->run.out, 0, &jerr);
	cr_assert_not_null(s->json, "not JSON (%s): %s\nstderr: %s", jerr.text, s->run.out,
			   s->run.err);
}

static void scan_free(struct scan *s)
{
	json_decref(s->json);
	run_result_free(&s->run);
}

static json_t *target_at(const struct scan *s, const char *target)
{
	json_t *targets = json_object_get(s->json, "targets");
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t) {
		char buf[128];
		const char *addr = json_string_value(json_object_get(t, "address"));
		int port = (int)json_integer_value(json_object_get(t, "port"));
		snprintf(buf, sizeof(buf), strchr(addr ? addr : "", ':') ? "[%s]:%d" : "%s:%d",
			 addr ? addr : "", port);
		if (strcmp(buf, target) == 0)
			return t;
	}
	cr_assert_fail("target %s not in the report: %s", target, s->run.out);
	return NULL;
}

static const char *str_at(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}

static bool array_has(json_t *array, const char *value)
{
	size_t i;
	json_t *v;
	json_array_foreach(array, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return true;
	}
	return false;
}

static void assert_outcome(json_t *t, const char *outcome, const char *reason_part)
{
	cr_assert_str_eq(str_at(t, "outcome"), outcome, "outcome %s (reason: %s)",
			 str_at(t, "outcome"), str_at(t, "reason"));
	if (reason_part != NULL)
		cr_assert(strstr(str_at(t, "reason"), reason_part) != NULL, "reason: %s",
			  str_at(t, "reason"));
}

/*
 * An unsolicited reply is caught where it arrives: in the segment of the
 * reply before it ("no reply was due"), or later, when a reply shows the
 * dialog is out of step ("250 to QUIT").
 */
static void assert_early_talker_caught(json_t *t)
{
	assert_outcome(t, "protocol-error", NULL);
	const char *reason = str_at(t, "reason");
	cr_assert(strstr(reason, "no reply was due") != NULL || strstr(reason, "out of step") != NULL,
		  "reason: %s", reason);
}

/* A free loopback port nobody listens on. */
static unsigned closed_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

TestSuite(scan_lab, .fini = stop_lab, .timeout = 180);

Test(scan_lab, hardened_inventory_records_both_capability_sets)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	char target[80];
	struct scan s;
	start_lab(specs, 1);
	lab_target(&lab, "hardened", target, sizeof(target));
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", target, NULL};
	scan_run(&s, argv, 60);
	cr_assert_eq(s.run.exit_code, 0, "stderr: %s", s.run.err);
	json_t *t = target_at(&s, target);
	assert_outcome(t, "completed", NULL);
	cr_assert(strstr(str_at(t, "banner"), "Postfix") != NULL);
	cr_assert_str_eq(str_at(json_object_get(t, "software"), "name"), "Postfix");
	json_t *caps = json_object_get(t, "capabilities");
	json_t *plain = json_object_get(caps, "plaintext"), *tls = json_object_get(caps, "tls");
	cr_assert(array_has(json_object_get(plain, "extensions"), "STARTTLS"));
	cr_assert(array_has(json_object_get(plain, "extensions"), "PIPELINING"));
	cr_assert_eq(json_array_size(json_object_get(plain, "auth")), 0, "no AUTH before TLS");
	cr_assert_not(array_has(json_object_get(tls, "extensions"), "STARTTLS"));
	cr_assert(array_has(json_object_get(tls, "auth"), "PLAIN"));
	json_t *facts = json_object_get(t, "tls");
	cr_assert(json_is_object(facts));
	cr_assert(strncmp(str_at(facts, "version"), "TLSv1.", 6) == 0);
	cr_assert(json_is_false(json_object_get(facts, "trusted")), "self-signed lab certificate");
	cr_assert_eq(lab_log_count(&lab, " C: STARTTLS"), 1);
	cr_assert_eq(lab_log_count(&lab, " C: EHLO scanner.example.net"), 2);
	cr_assert_eq(lab_log_count(&lab, " C: MAIL"), 0);
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 0);
	scan_free(&s);
}

Test(scan_lab, implicit_tls_listener)
{
	const char *specs[] = {"127.0.0.1:0=hardened,tls"};
	char target[80], port[16];
	struct scan s;
	start_lab(specs, 1);
	lab_target(&lab, "hardened", target, sizeof(target));
	snprintf(port, sizeof(port), "%u", lab.listeners[0].port);
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", "--tls-ports", port, target, NULL};
	scan_run(&s, argv, 60);
	json_t *t = target_at(&s, target);
	assert_outcome(t, "completed", NULL);
	cr_assert(json_is_true(json_object_get(t, "implicit_tls")));
	json_t *caps = json_object_get(t, "capabilities");
	cr_assert(json_is_null(json_object_get(caps, "plaintext")));
	cr_assert(json_is_object(json_object_get(caps, "tls")));
	cr_assert(json_is_object(json_object_get(t, "tls")));
	cr_assert_eq(lab_log_count(&lab, " C: STARTTLS"), 0);
	scan_free(&s);
}

Test(scan_lab, ipv6_listener)
{
	const char *specs[] = {"[::1]:0=no-starttls"};
	char target[80];
	struct scan s;
	start_lab(specs, 1);
	lab_target(&lab, "no-starttls", target, sizeof(target));
	cr_assert(strncmp(target, "[::1]:", 6) == 0, "target %s", target);
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", target, NULL};
	scan_run(&s, argv, 60);
	json_t *t = target_at(&s, target);
	assert_outcome(t, "completed", NULL);
	json_t *probes = json_object_get(t, "probes");
	cr_assert_str_eq(str_at(json_array_get(probes, 0), "verdict_reason"),
			 "STARTTLS not advertised");
	scan_free(&s);
}

/* Every hostile persona in one scan, next to a healthy one that must not suffer. */
Test(scan_lab, hostile_servers_end_in_their_outcome)
{
	const char *specs[] = {
		"127.0.0.1:0=hardened",	   "127.0.0.1:0=tarpit",	 "127.0.0.1:0=never-greets",
		"127.0.0.1:0=garbage",	   "127.0.0.1:0=long-line",	 "127.0.0.1:0=endless-multiline",
		"127.0.0.1:0=close-after-banner", "127.0.0.1:0=tls-junk", "127.0.0.1:0=early-talker",
		"127.0.0.1:0=reset-mid-reply",
	};
	size_t n = sizeof(specs) / sizeof(specs[0]);
	char targets[10][80];
	const char *argv[64] = {SCAN_BASE, "--probes", "inventory", "--greeting-timeout", "3s",
				"--reply-timeout", "3s", "--tls-timeout", "3s"};
	size_t argc = 0;
	while (argv[argc] != NULL)
		argc++;
	start_lab(specs, n);
	for (size_t i = 0; i < n; i++) {
		snprintf(targets[i], sizeof(targets[i]), "%s:%u", lab.listeners[i].address,
			 lab.listeners[i].port);
		argv[argc++] = targets[i];
	}
	argv[argc] = NULL;
	struct scan s;
	scan_run(&s, argv, 60);
	/* Bound: every target is judged within its own timeouts (3 s each, run concurrently). */
	cr_assert_lt(s.run.seconds, 20.0, "scan took %.1f s", s.run.seconds);
	assert_outcome(target_at(&s, targets[0]), "completed", NULL);
	assert_outcome(target_at(&s, targets[1]), "throttled", "stalls");
	assert_outcome(target_at(&s, targets[2]), "timeout", "greeting");
	assert_outcome(target_at(&s, targets[3]), "protocol-error", NULL);
	assert_outcome(target_at(&s, targets[4]), "protocol-error", "exceeds");
	assert_outcome(target_at(&s, targets[5]), "protocol-error", NULL);
	assert_outcome(target_at(&s, targets[6]), "closed", NULL);
	assert_outcome(target_at(&s, targets[7]), "tls-error", NULL);
	assert_early_talker_caught(target_at(&s, targets[8]));
	assert_outcome(target_at(&s, targets[9]), "closed", NULL);
	cr_assert_eq(s.run.exit_code, 0, "one target completed without findings");
	cr_assert_null(memchr(s.run.out, 0x1b, strlen(s.run.out)), "raw ESC in JSON");
	scan_free(&s);
}

Test(scan_lab, hostile_bytes_are_escaped_in_text)
{
	const char *specs[] = {"127.0.0.1:0=garbage", "127.0.0.1:0=early-talker"};
	char t1[80], t2[80];
	struct run_result r;
	start_lab(specs, 2);
	lab_target(&lab, "garbage", t1, sizeof(t1));
	lab_target(&lab, "early-talker", t2, sizeof(t2));
	const char *argv[] = {SA_AUDIT_BIN, "--retries", "0", "--color", "never", "-v",
			      "--probes", "inventory", "--reply-timeout", "3s", t1, t2, NULL};
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	/* The garbage persona sends ESC, NUL and 0xff: none may reach the terminal raw. */
	cr_assert_null(memchr(r.out, 0x1b, strlen(r.out)), "raw ESC in the report");
	cr_assert_null(memchr(r.err, 0x1b, strlen(r.err)), "raw ESC in the -v transcript");
	cr_assert(strstr(r.err, "\\x1b") != NULL || strstr(r.out, "\\x1b") != NULL,
		  "escaped ESC should be shown: %s", r.err);
	cr_assert(strstr(r.out, "no reply was due") != NULL || strstr(r.out, "out of step") != NULL,
		  "early talker caught: %s", r.out);
	run_result_free(&r);
}

Test(scan_lab, refused_port_and_exit_code_3)
{
	char target[64];
	struct scan s;
	snprintf(target, sizeof(target), "127.0.0.1:%u", closed_port());
	const char *argv[] = {SCAN_BASE, target, NULL};
	scan_run(&s, argv, 30);
	cr_assert_eq(s.run.exit_code, 3);
	assert_outcome(target_at(&s, target), "refused", "refused");
	json_t *probes = json_object_get(target_at(&s, target), "probes");
	size_t i;
	json_t *p;
	json_array_foreach(probes, i, p) {
		cr_assert_str_eq(str_at(p, "verdict"), "inconclusive");
	}
	scan_free(&s);
}

Test(scan_lab, unresolvable_name_does_not_stop_others)
{
	const char *specs[] = {"127.0.0.1:0=no-starttls"};
	char target[80];
	struct scan s;
	start_lab(specs, 1);
	lab_target(&lab, "no-starttls", target, sizeof(target));
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", "-p", "25",
			      "mail.nonexistent.invalid", target, NULL};
	scan_run(&s, argv, 30);
	cr_assert_eq(s.run.exit_code, 0, "stderr %s", s.run.err);
	assert_outcome(target_at(&s, target), "completed", NULL);
	json_t *targets = json_object_get(s.json, "targets");
	bool found = false;
	size_t i;
	json_t *t;
	json_array_foreach(targets, i, t) {
		if (strcmp(str_at(t, "host"), "mail.nonexistent.invalid") == 0) {
			found = true;
			assert_outcome(t, "unresolvable", "mail.nonexistent.invalid");
			cr_assert(json_is_null(json_object_get(t, "address")));
		}
	}
	cr_assert(found);
	scan_free(&s);
}

Test(scan_lab, only_unresolvable_exits_3)
{
	struct scan s;
	const char *argv[] = {SCAN_BASE, "-p", "25", "a.invalid", "b.invalid", NULL};
	scan_run(&s, argv, 30);
	cr_assert_eq(s.run.exit_code, 3);
	cr_assert_eq(json_array_size(json_object_get(s.json, "targets")), 2);
	scan_free(&s);
}

/* Criterion re-executes its workers: parameters hold arrays, never pointers. */
struct bad_args {
	char args[3][48];
	char culprit[48];
};

static struct bad_args bad_cases[] = {
	{{"--no-such-option", "127.0.0.1"}, "no-such-option"},
	{{"-p", "0", "127.0.0.1"}, "port 0"},
	{{"-p", "65536", "127.0.0.1"}, "65536"},
	{{"mx1:70000"}, "70000"},
	{{"10.0.0.0/8"}, "10.0.0.0/8"},
	{{"-f", "/nonexistent/targets.txt"}, "/nonexistent/targets.txt"},
	{{"--per-host", "0", "127.0.0.1"}, "per-host"},
	{{"--reply-timeout", "soon", "127.0.0.1"}, "soon"},
	{{"-o", "xml", "127.0.0.1"}, "xml"},
	{{"--probes", "nonesuch", "127.0.0.1"}, "nonesuch"},
	{{"--fail-on", "urgent", "127.0.0.1"}, "urgent"},
	{{"--users", "/nonexistent/users.txt", "127.0.0.1"}, "/nonexistent/users.txt"},
	{{"--cert-warn-days", "-3", "127.0.0.1"}, "cert-warn-days"},
	{{"[::1", "127.0.0.1"}, "[::1"},
	{{"--domain", "192.0.2.1"}, "an address, not a mail domain"},
	{{"--domain", "example.org:25"}, "has a port"},
	{{"--domain", "bad_label-.example..org"}, "bad domain"},
	{{"--domains", "/nonexistent/domains.txt"}, "/nonexistent/domains.txt"},
	{{"--resolver", "ns.example.org", "--domain=example.org"}, "ns.example.org"},
	{{"--resolver", "127.0.0.1:99999", "--domain=example.org"}, "127.0.0.1:99999"},
	{{"--mx-port", "0", "--domain=example.org"}, "mx-port"},
	{{"--mta-sts-port", "70000", "--domain=example.org"}, "mta-sts-port"},
	{{""}, "no targets"},
};

ParameterizedTestParameters(scan_lab, bad_arguments_exit_2)
{
	return cr_make_param_array(struct bad_args, bad_cases,
				   sizeof(bad_cases) / sizeof(bad_cases[0]));
}

ParameterizedTest(struct bad_args *c, scan_lab, bad_arguments_exit_2)
{
	const char *argv[8] = {SA_AUDIT_BIN};
	size_t n = 1;
	for (size_t i = 0; i < 3 && c->args[i][0] != '\0'; i++)
		argv[n++] = c->args[i];
	argv[n] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 10, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 2, "exit %d for %s", r.exit_code, c->culprit);
	cr_assert(strstr(r.err, c->culprit) != NULL, "stderr does not name '%s': %s", c->culprit,
		  r.err);
	cr_assert_str_eq(r.out, "", "nothing on stdout for a usage error");
	run_result_free(&r);
}

Test(scan_lab, targets_from_file_and_stdin)
{
	const char *specs[] = {"127.0.0.1:0=no-starttls", "127.0.0.1:0=hardened"};
	char t1[80], t2[80], path[320];
	start_lab(specs, 2);
	lab_target(&lab, "no-starttls", t1, sizeof(t1));
	lab_target(&lab, "hardened", t2, sizeof(t2));
	snprintf(path, sizeof(path), "%s/targets.txt", lab.dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "# mail servers\n\n%s   # the first one\r\n", t1);
	fclose(f);
	char *stdin_text;
	cr_assert(asprintf(&stdin_text, "%s\n# done\n", t2) > 0);
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", "-f", path, "-f", "-", NULL};
	struct scan s = {0};
	cr_assert_eq(run_command(argv, 60, stdin_text, &s.run), 0);
	s.json = json_loads(s.run.out, 0, NULL);
	cr_assert_not_null(s.json, "stderr: %s", s.run.err);
	assert_outcome(target_at(&s, t1), "completed", NULL);
	assert_outcome(target_at(&s, t2), "completed", NULL);
	cr_assert_eq(json_array_size(json_object_get(s.json, "targets")), 2);
	free(stdin_text);
	scan_free(&s);
}

Test(scan_lab, json_report_validates_and_out_is_atomic)
{
	const char *specs[] = {"127.0.0.1:0=hardened"};
	char target[80], out[320], cmd[1024];
	start_lab(specs, 1);
	lab_target(&lab, "hardened", target, sizeof(target));
	snprintf(out, sizeof(out), "%s/report.json", lab.dir);
	const char *argv[] = {SCAN_BASE, "--out", out, target, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_str_eq(r.out, "", "--out leaves stdout empty");
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/scripts/validate-json.py %s/tests/schema/smtp-audit-report.schema.json %s",
		 SA_SOURCE_DIR, SA_SOURCE_DIR, out);
	cr_assert_eq(system(cmd), 0, "schema validation failed");
	snprintf(cmd, sizeof(cmd), "ls -a %s | grep -c '^\\.report.json' > /dev/null", lab.dir);
	cr_assert_neq(system(cmd), 0, "a temporary file was left behind");
	run_result_free(&r);
}

Test(scan_lab, cidr_and_exclusion)
{
	const char *specs[] = {"127.0.0.1:0=no-starttls"};
	char port[16];
	struct scan s;
	start_lab(specs, 1);
	snprintf(port, sizeof(port), "%u", lab.listeners[0].port);
	/* 127.0.0.0/30 is four addresses; exclude two; .1 answers, .2 refuses. */
	const char *argv[] = {SCAN_BASE, "--probes", "inventory", "-p", port, "--exclude",
			      "127.0.0.0,127.0.0.3", "127.0.0.0/30", NULL};
	scan_run(&s, argv, 60);
	json_t *targets = json_object_get(s.json, "targets");
	cr_assert_eq(json_array_size(targets), 2, "%s", s.run.out);
	cr_assert_str_eq(str_at(json_array_get(targets, 0), "address"), "127.0.0.1");
	cr_assert_str_eq(str_at(json_array_get(targets, 0), "outcome"), "completed");
	cr_assert_str_eq(str_at(json_array_get(targets, 1), "address"), "127.0.0.2");
	cr_assert_str_eq(str_at(json_array_get(targets, 1), "outcome"), "refused");
	scan_free(&s);
}

/* ---- signals ---- */

/*
 * Runs the scanner in a shell that runs signal_cmd ("kill -INT $pid") three
 * seconds in, while a tarpit keeps the scan busy; the shell prints the
 * exit status. The whole run is bounded by run_command.
 */
static struct run_result interrupt_scan_as(const char *format, const char *signal_cmd,
					   const char *out_path)
{
	/* Apart, so the tarpit's stalls never slow the other through per-host back-off. */
	const char *specs[] = {"127.0.0.1:0=hardened", "127.0.0.2:0=tarpit"};
	char hardened[80], tarpit[80], script[1024];
	start_lab(specs, 2);
	lab_target(&lab, "hardened", hardened, sizeof(hardened));
	lab_target(&lab, "tarpit", tarpit, sizeof(tarpit));
	snprintf(script, sizeof(script),
		 "\"$0\" -o %s --out '%s' --retries 0 --host-rate 0 --per-host 8 --probes inventory,open_relay "
		 "%s %s & pid=$!; sleep 3; %s; wait $pid; echo \"exit=$?\"",
		 format, out_path, hardened, tarpit, signal_cmd);
	const char *argv[] = {"/bin/sh", "-c", script, SA_AUDIT_BIN, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 60, NULL, &r), 0);
	cr_assert_not(r.timed_out, "the interrupted scan did not end");
	return r;
}

static struct run_result interrupt_scan(const char *signal_cmd, const char *out_path)
{
	return interrupt_scan_as("json", signal_cmd, out_path);
}

/* The lines of an NDJSON file, each parsed (asserts every line is JSON); *n receives how many. */
static json_t **ndjson_lines(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	json_t **lines = calloc(64, sizeof(*lines));
	char buf[1 << 16];
	*n = 0;
	while (*n < 64 && fgets(buf, sizeof(buf), f) != NULL) {
		json_error_t err;
		lines[*n] = json_loads(buf, 0, &err);
		cr_assert_not_null(lines[*n], "line %zu is not JSON: %s", *n + 1, err.text);
		(*n)++;
	}
	fclose(f);
	return lines;
}

static void ndjson_free(json_t **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
	free(lines);
}

Test(scan_lab, killed_ndjson_scan_leaves_every_completed_line)
{
	char out[320];
	snprintf(out, sizeof(out), "/tmp/sa-killed.%d.ndjson", (int)getpid());
	/* Killed once a target line is on disk (bounded: 30 s). */
	char kill_cmd[512];
	snprintf(kill_cmd, sizeof(kill_cmd),
		 "i=0; while ! grep -q '\"type\":\"target\"' '%s' && [ $i -lt 300 ]; do "
		 "sleep 0.1; i=$((i+1)); done; kill -KILL $pid",
		 out);
	struct run_result r = interrupt_scan_as("ndjson", kill_cmd, out);
	cr_assert(strstr(r.out, "exit=137") != NULL, "exit status: %s", r.out);
	size_t n;
	json_t **lines = ndjson_lines(out, &n);
	unlink(out);
	cr_assert_geq(n, 1, "the finished target's lines are on disk");
	json_t *last = lines[n - 1];
	cr_assert_str_eq(json_string_value(json_object_get(last, "type")), "target",
			 "the last line on disk is a whole target line");
	for (size_t i = 0; i < n; i++)
		cr_assert_str_neq(json_string_value(json_object_get(lines[i], "type")), "summary");
	ndjson_free(lines, n);
	run_result_free(&r);
}

Test(scan_lab, interrupted_ndjson_scan_ends_with_an_interrupted_summary)
{
	char out[320];
	snprintf(out, sizeof(out), "/tmp/sa-sigint.%d.ndjson", (int)getpid());
	struct run_result r = interrupt_scan_as("ndjson", "kill -INT $pid", out);
	cr_assert(strstr(r.out, "exit=4") != NULL, "exit status: %s / %s", r.out, r.err);
	size_t n;
	json_t **lines = ndjson_lines(out, &n);
	unlink(out);
	cr_assert_geq(n, 3, "two target lines and the summary");
	json_t *last = lines[n - 1];
	cr_assert_str_eq(json_string_value(json_object_get(last, "type")), "summary");
	cr_assert(json_is_true(json_object_get(last, "interrupted")));
	/* Every line of a real scan, each against the NDJSON schema. */
	char cmd[8192];
	int used = snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/scripts/validate-json.py "
				"%s/tests/schema/smtp-audit-ndjson.schema.json",
			    SA_SOURCE_DIR, SA_SOURCE_DIR);
	for (size_t i = 0; i < n && used < (int)sizeof(cmd) - 300; i++) {
		char line_path[sizeof(lab.dir) + 32];
		snprintf(line_path, sizeof(line_path), "%s/line%zu.json", lab.dir, i);
		cr_assert_eq(json_dump_file(lines[i], line_path, 0), 0);
		used += snprintf(cmd + used, sizeof(cmd) - (size_t)used, " %s", line_path);
	}
	cr_assert_eq(system(cmd), 0, "schema validation failed");
	ndjson_free(lines, n);
	run_result_free(&r);
}

Test(scan_lab, sigint_writes_what_completed_and_marks_the_report)
{
	char out[320];
	snprintf(out, sizeof(out), "/tmp/sa-interrupt.%d.json", (int)getpid());
	struct run_result r = interrupt_scan("kill -INT $pid", out);
	cr_assert(strstr(r.out, "exit=4") != NULL, "exit status: %s / %s", r.out, r.err);
	cr_assert(strstr(r.err, "SIGINT: stopping") != NULL, "%s", r.err);
	json_error_t err;
	json_t *doc = json_load_file(out, 0, &err);
	unlink(out);
	cr_assert_not_null(doc, "no valid JSON report: %s", err.text);
	cr_assert(json_is_true(json_object_get(json_object_get(doc, "scan"), "interrupted")));
	size_t i, completed = 0, interrupted = 0;
	json_t *t;
	json_array_foreach(json_object_get(doc, "targets"), i, t) {
		const char *o = json_string_value(json_object_get(t, "outcome"));
		completed += strcmp(o, "completed") == 0;
		interrupted += strcmp(o, "interrupted") == 0;
	}
	/* The tarpit is always cut; the hardened server may or may not finish first. */
	cr_assert_geq(interrupted, 1, "the tarpit was cut");
	cr_assert_eq(completed + interrupted, 2, "every target is reported");
	json_decref(doc);
	run_result_free(&r);
}

Test(scan_lab, sigterm_is_handled_like_sigint)
{
	char out[320];
	snprintf(out, sizeof(out), "/tmp/sa-interrupt-term.%d.json", (int)getpid());
	struct run_result r = interrupt_scan("kill -TERM $pid", out);
	cr_assert(strstr(r.out, "exit=4") != NULL, "exit status: %s / %s", r.out, r.err);
	json_t *doc = json_load_file(out, 0, NULL);
	unlink(out);
	cr_assert_not_null(doc);
	cr_assert(json_is_true(json_object_get(json_object_get(doc, "scan"), "interrupted")));
	json_decref(doc);
	run_result_free(&r);
}

Test(scan_lab, second_sigint_exits_at_once)
{
	char out[320];
	snprintf(out, sizeof(out), "/tmp/sa-interrupt-twice.%d.json", (int)getpid());
	/* The tarpit session is still in its grace period when the second signal comes. */
	struct run_result r = interrupt_scan("kill -INT $pid; sleep 0.5; kill -INT $pid", out);
	cr_assert(strstr(r.out, "exit=130") != NULL, "exit status: %s / %s", r.out, r.err);
	cr_assert(strstr(r.err, "interrupted again") != NULL, "%s", r.err);
	cr_assert_neq(access(out, F_OK), 0, "no report after the second signal");
	unlink(out);
	run_result_free(&r);
}

/* ---- progress ---- */

Test(scan_lab, progress_and_summary_only_on_a_terminal)
{
	const char *specs[] = {"127.0.0.1:0=tarpit", "127.0.0.1:0=no-starttls"};
	char tarpit[80], plain[80], cmd[512];
	start_lab(specs, 2);
	lab_target(&lab, "tarpit", tarpit, sizeof(tarpit));
	lab_target(&lab, "no-starttls", plain, sizeof(plain));
	/* script(1) gives the scanner a terminal; the tarpit keeps it busy for a few ticks. */
	snprintf(cmd, sizeof(cmd),
		 "%s -o json --out /dev/null --retries 0 --host-rate 0 --probes inventory "
		 "--target-timeout 3 %s %s",
		 SA_AUDIT_BIN, tarpit, plain);
	const char *tty_argv[] = {"script", "-qec", cmd, "/dev/null", NULL};
	struct run_result r;
	cr_assert_eq(run_command(tty_argv, 30, NULL, &r), 0);
	cr_assert(strstr(r.out, "\rsmtp-audit: 1/2 targets, ") != NULL, "no progress line: %s",
		  r.out);
	cr_assert(strstr(r.out, "smtp-audit: 2 targets (1 completed, 1 not), findings:") != NULL,
		  "no summary: %s", r.out);
	run_result_free(&r);

	/* Without a terminal (cron, pipes) stderr stays empty. */
	const char *argv[] = {SA_AUDIT_BIN, "-o",		  "json",      "--out",
			      "/dev/null",  "--retries",	  "0",	       "--host-rate",
			      "0",	    "--probes",		  "inventory", "--target-timeout",
			      "3",	    tarpit,		  plain,       NULL};
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	cr_assert_str_eq(r.err, "", "stderr without a terminal: %s", r.err);
	run_result_free(&r);
}
