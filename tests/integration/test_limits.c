/*
 * NAME
 *	test_limits - smtp-audit at the edge of its resources
 *
 * DESCRIPTION
 *	Descriptors: smtp-audit runs under prlimit(1) with RLIMIT_NOFILE
 *	LIMITS_NOFILE and --concurrency 500 against a farm of 64 smtp-lab
 *	addresses, so it wants far more sessions than it has descriptors.
 *	Every target must complete (none fails with "too many open files"),
 *	its note on stderr must show the limit was hit, and the streamed
 *	NDJSON summary and the exit code must equal those of the same scan
 *	with the default limit and a JSON report (which keeps every target
 *	instead of dropping it once written).
 *
 *	A host that sends nothing (a tarpit) still gets its --per-host
 *	sessions at once: the scheduler must not wait for an event per session.
 *
 *	Memory: sessions against servers that send a 1 MiB line or endless
 *	continuation lines must cost no more than sessions against a
 *	well-behaved server; peak RSS comes from /usr/bin/time -f %M.
 *
 *	Every lab listens on its own loopback addresses with port 0 and is
 *	stopped in .fini; every run has a time bound.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "run.h"

#define LIMITS_NOFILE     "40"
#define LIMITS_TARGETS    LAB_MAX_LISTENERS
#define LIMITS_RUN_S      90.0
#define LIMITS_ARGV_MAX   (LIMITS_TARGETS + 32)
#define LIMITS_TARGET_LEN 80

/* A hostile session may cost this much more peak RSS than a tame one, in KiB. */
#define LIMITS_HOSTILE_SLACK_KIB 8192

static struct lab lab;
static char targets[LIMITS_TARGETS][LIMITS_TARGET_LEN];

static void stop_lab(void)
{
	lab_stop(&lab);
}

/* One --listen spec, the rest of the lab's listeners a farm: targets[] gets all of them. */
static size_t start_farm(const char *spec, const char *base, const char *farm_count,
			 const char *mix)
{
	const char *specs[] = {spec};
	const char *extra[] = {"--farm",     farm_count, "--farm-base", base, "--farm-port",
			       "0",          "--farm-mix", mix,          NULL};
	cr_assert_eq(lab_start(&lab, specs, 1, extra), 0, "smtp-lab did not start");
	for (size_t i = 0; i < lab.nlisteners; i++)
		snprintf(targets[i], sizeof(targets[i]), "%s:%u", lab.listeners[i].address,
			 (unsigned)lab.listeners[i].port);
	return lab.nlisteners;
}

/* argv = head (NULL-terminated), then the n targets, then NULL. */
static void build_argv(const char *argv[], const char *const head[], size_t n)
{
	size_t k = 0;
	for (; head[k] != NULL; k++)
		argv[k] = head[k];
	cr_assert_leq(k + n + 1, LIMITS_ARGV_MAX);
	for (size_t i = 0; i < n; i++)
		argv[k++] = targets[i];
	argv[k] = NULL;
}

static void run_scan(const char *const head[], size_t n, struct run_result *r)
{
	const char *argv[LIMITS_ARGV_MAX];
	build_argv(argv, head, n);
	cr_assert_eq(run_command(argv, LIMITS_RUN_S, NULL, r), 0);
	cr_assert_not(r->timed_out, "smtp-audit did not finish within %.0f s", LIMITS_RUN_S);
}

/*
 * Reads NDJSON output: *ntargets gets the number of "target" lines, each
 * of which must have the outcome want (unless want is NULL); returns the
 * summary line (the caller owns it).
 */
static json_t *ndjson_read(const char *out, const char *want, size_t *ntargets)
{
	json_t *summary = NULL;
	*ntargets = 0;
	for (const char *line = out; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		json_error_t jerr;
		json_t *o = json_loadb(line, len, 0, &jerr);
		cr_assert_not_null(o, "not JSON (%s): %.*s", jerr.text, (int)len, line);
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *outcome = json_string_value(json_object_get(o, "outcome"));
		if (type != NULL && strcmp(type, "target") == 0) {
			(*ntargets)++;
			if (want != NULL)
				cr_expect_str_eq(outcome ? outcome : "", want, "%.*s", (int)len, line);
		} else if (type != NULL && strcmp(type, "summary") == 0) {
			json_decref(summary);
			summary = json_incref(o);
		}
		json_decref(o);
		line = end != NULL ? end + 1 : line + len;
	}
	cr_assert_not_null(summary, "no summary line: %s", out);
	return summary;
}

static void expect_same_count(json_t *a, json_t *b, const char *key)
{
	json_t *va = json_object_get(a, key), *vb = json_object_get(b, key);
	cr_assert_not_null(va, "%s missing", key);
	cr_expect(json_equal(va, vb), "%s: %s vs %s", key, json_dumps(va, JSON_ENCODE_ANY),
		  json_dumps(vb, JSON_ENCODE_ANY));
}

Test(limits, out_of_descriptors_slows_the_scan_and_fails_no_target, .fini = stop_lab,
     .timeout = 240)
{
	size_t n = start_farm("127.0.94.100:0=hardened", "127.0.94.1", "63",
			      "hardened=3,open-relay=1,enum-leaky=1");
	cr_assert_eq(n, LIMITS_TARGETS);
	const char *probes = "inventory,open_relay,user_enum,helo_validation";
	const char *tight[] = {"prlimit", "--nofile=" LIMITS_NOFILE ":" LIMITS_NOFILE,
			       SA_AUDIT_BIN, "-o", "ndjson", "--concurrency", "500", "--per-host",
			       "8", "--retries", "0", "--host-rate", "0", "--probes", probes, NULL};
	const char *roomy[] = {SA_AUDIT_BIN, "-o", "json", "--concurrency", "500", "--per-host",
			       "8", "--retries", "0", "--host-rate", "0", "--probes", probes, NULL};
	struct run_result lean, control;
	run_scan(tight, n, &lean);
	run_scan(roomy, n, &control);

	cr_expect(strstr(lean.err, "out of file descriptors") != NULL,
		  "the limit was never hit; stderr: %s", lean.err);
	cr_expect(strstr(lean.out, "too many open files") == NULL, "%s", lean.out);
	size_t ntargets;
	json_t *summary = ndjson_read(lean.out, "completed", &ntargets);
	cr_expect_eq(ntargets, n, "%zu of %zu targets reported", ntargets, n);

	json_error_t jerr;
	json_t *doc = json_loads(control.out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON (%s): %s", jerr.text, control.out);
	json_t *expected = json_object_get(doc, "summary");
	cr_assert_eq(json_integer_value(json_object_get(expected, "completed")), (json_int_t)n,
		     "the control scan itself failed targets: %s", control.err);
	const char *keys[] = {"targets", "completed", "failed", "findings", "worst"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		expect_same_count(summary, expected, keys[i]);
	/* open-relay is critical, over the default --fail-on medium. */
	cr_expect_eq(lean.exit_code, 1, "exit %d; stderr: %s", lean.exit_code, lean.err);
	cr_expect_eq(lean.exit_code, control.exit_code);

	json_decref(doc);
	json_decref(summary);
	run_result_free(&lean);
	run_result_free(&control);
}

Test(limits, a_silent_host_gets_its_per_host_sessions_at_once, .fini = stop_lab, .timeout = 60)
{
	const char *specs[] = {"127.0.94.200:0=tarpit"};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0, "smtp-lab did not start");
	char target[LIMITS_TARGET_LEN];
	cr_assert_not_null(lab_target(&lab, "tarpit", target, sizeof(target)));
	/* Twelve probes want sessions; the greeting takes a minute; the target gets 3 s. */
	const char *argv[] = {SA_AUDIT_BIN, "-q", "-o", "ndjson", "--probes", "all", "--per-host",
			      "4", "--retries", "0", "--host-rate", "0", "--greeting-timeout",
			      "60", "--target-timeout", "3", target, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 30, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	cr_expect(lab_log_wait(&lab, " CONNECT", 4, 5), "fewer than 4 sessions: %s", lab_log(&lab));
	cr_expect_eq(lab_log_count(&lab, " CONNECT"), 4, "%s", lab_log(&lab));
	size_t reported;
	json_decref(ndjson_read(r.out, "timeout", &reported));
	cr_expect_eq(reported, 1);
	run_result_free(&r);
}

/* Peak RSS in KiB of an inventory scan of the lab's targets (/usr/bin/time -f %M). */
static long peak_rss_kib(size_t n)
{
	const char *head[] = {"/usr/bin/time", "-f", "maxrss %M", SA_AUDIT_BIN, "-q", "-o",
			      "ndjson", "--concurrency", "500", "--per-host", "8", "--retries",
			      "0", "--host-rate", "0", "--probes", "inventory",
			      "--greeting-timeout", "5", "--reply-timeout", "5", NULL};
	struct run_result r;
	run_scan(head, n, &r);
	const char *at = strstr(r.err, "maxrss ");
	cr_assert_not_null(at, "no maxrss line; stderr: %s", r.err);
	long kib = strtol(at + strlen("maxrss "), NULL, 10);
	cr_assert_gt(kib, 0, "stderr: %s", r.err);
	size_t reported;
	json_decref(ndjson_read(r.out, NULL, &reported));
	cr_expect_eq(reported, n, "%zu of %zu targets reported", reported, n);
	run_result_free(&r);
	return kib;
}

Test(limits, hostile_replies_cost_no_more_memory_than_tame_ones, .fini = stop_lab, .timeout = 120)
{
	size_t n = start_farm("127.0.95.100:0=long-line", "127.0.95.1", "63",
			      "long-line=1,endless-multiline=1");
	long hostile = peak_rss_kib(n);
	lab_stop(&lab);
	cr_assert_eq(start_farm("127.0.96.100:0=hardened", "127.0.96.1", "63", "hardened=1"), n);
	long tame = peak_rss_kib(n);
	cr_expect_leq(hostile, tame + LIMITS_HOSTILE_SLACK_KIB,
		      "%zu hostile sessions peaked at %ld KiB, tame ones at %ld KiB", n, hostile,
		      tame);
}

/*
 * A host that never lets a session reach the dialog (here a tarpit) ends
 * every probe with what it did, once the retries of the first are spent,
 * rather than letting each probe retry in turn behind the host's back-off
 * until the target's time budget is gone.
 */
Test(limits, a_host_that_never_speaks_fails_every_probe_with_its_own_reason, .fini = stop_lab,
     .timeout = 90)
{
	const char *specs[] = {"127.0.94.201:0=tarpit"};
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0, "smtp-lab did not start");
	char target[LIMITS_TARGET_LEN];
	cr_assert_not_null(lab_target(&lab, "tarpit", target, sizeof(target)));
	const char *argv[] = {SA_AUDIT_BIN, "-q", "-o", "json", "--probes", "all", "--retries", "1",
			      "--retry-delay", "100ms", "--greeting-timeout", "2",
			      "--target-timeout", "60", target, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 80, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	cr_expect_eq(r.exit_code, 3, "%s", r.err);
	json_error_t jerr;
	json_t *doc = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(doc, "%s", jerr.text);
	json_t *t = json_array_get(json_object_get(doc, "targets"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "outcome")), "throttled");
	size_t i;
	json_t *probe;
	json_array_foreach(json_object_get(t, "probes"), i, probe)
	{
		const char *name = json_string_value(json_object_get(probe, "probe"));
		const char *outcome = json_string_value(json_object_get(probe, "outcome"));
		const char *reason = json_string_value(json_object_get(probe, "reason"));
		cr_expect_str_eq(outcome, "throttled", "%s", name);
		cr_expect(reason != NULL && strstr(reason, "budget") == NULL, "%s: %s", name,
			  reason ? reason : "(no reason)");
	}
	cr_expect_gt(i, 10, "every probe is reported");
	/* Two sessions (--per-host) and one retry each: nowhere near one per probe. */
	cr_expect_leq(lab_log_count(&lab, " CONNECT"), 4, "%s", lab_log(&lab));
	json_decref(doc);
	run_result_free(&r);
}
