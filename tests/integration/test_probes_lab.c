/*
 * NAME
 *	test_probes_lab - every probe against every smtp-lab persona, one scan
 *
 * DESCRIPTION
 *	One lab with a listener per persona, one scan with every probe; then
 *	the exact verdict of each probe and the exact set of finding ids on
 *	each persona are asserted from the JSON report, and the lab's command
 *	log proves that no DATA was sent without --allow-data. A second test
 *	sends the relay canary with the opt-in and finds exactly one message.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "run.h"

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

TestSuite(probes_lab, .fini = stop_lab, .timeout = 240);

#define ALL_PROBES "inventory,open_relay,auth_before_tls,auth_anonymous,auth_weak_mechs,helo_validation"

struct expectation {
	const char *persona;
	const char *verdicts[6]; /* in ALL_PROBES order */
	const char *ids;         /* distinct finding ids, sorted, comma-separated */
};

static const struct expectation expectations[] = {
	{"hardened",
	 {"none", "not-vulnerable", "not-vulnerable", "not-vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 ""},
	{"open-relay",
	 {"none", "vulnerable", "not-vulnerable", "not-vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-RELAY-001,SMTP-RELAY-002"},
	{"accept-all",
	 {"none", "suspected", "not-vulnerable", "not-vulnerable", "not-vulnerable", "vulnerable"},
	 "SMTP-HELO-001,SMTP-HELO-002,SMTP-RELAY-003"},
	{"auth-before-tls",
	 {"none", "not-vulnerable", "vulnerable", "not-vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-AUTH-002"},
	{"auth-anonymous",
	 {"none", "not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-AUTH-005,SMTP-AUTH-006"},
	{"weak-mechs",
	 {"none", "not-vulnerable", "vulnerable", "not-vulnerable", "vulnerable",
	  "not-vulnerable"},
	 "SMTP-AUTH-002,SMTP-AUTH-007,SMTP-AUTH-008"},
	{"lax-helo",
	 {"none", "not-vulnerable", "not-vulnerable", "not-vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-HELO-001,SMTP-HELO-002"},
	{"no-starttls",
	 {"none", "not-vulnerable", "not-vulnerable", "not-vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 ""},
	{"tls-only-submission",
	 {"none", "inconclusive", "not-vulnerable", "not-vulnerable", "not-vulnerable",
	  "inconclusive"},
	 ""},
};

#define NPERSONAS (sizeof(expectations) / sizeof(expectations[0]))

static const char *str_at(json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : "";
}

static json_t *target_on_port(json_t *doc, unsigned port)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(doc, "targets"), i, t) {
		if (json_integer_value(json_object_get(t, "port")) == (json_int_t)port)
			return t;
	}
	cr_assert_fail("no target on port %u", port);
	return NULL;
}

static json_t *probe_named(json_t *t, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(t, "probes"), i, p) {
		if (strcmp(str_at(p, "name"), name) == 0)
			return p;
	}
	cr_assert_fail("probe %s missing", name);
	return NULL;
}

/* Distinct finding ids of a target, sorted, comma-separated (malloc'ed). */
static char *distinct_ids(json_t *t)
{
	json_t *findings = json_object_get(t, "findings");
	char *out = calloc(1, 64 * (json_array_size(findings) + 1) + 1);
	const char *prev = "";
	cr_assert_not_null(out);
	/* The report sorts findings by severity, so collect and sort by id here. */
	size_t n = json_array_size(findings);
	const char **ids = calloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = str_at(json_array_get(findings, i), "id");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(ids[j], ids[i]) < 0) {
				const char *tmp = ids[i];
				ids[i] = ids[j];
				ids[j] = tmp;
			}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ids[i], prev) == 0)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, ids[i]);
		prev = ids[i];
	}
	free(ids);
	return out;
}

static json_t *scan(const char *const extra[], const char *const targets[], size_t ntargets)
{
	const char *argv[64] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--host-rate", "0",
				"--per-host", "4", "--helo", "scanner.example.net", "--probes",
				ALL_PROBES};
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	for (size_t i = 0; i < ntargets; i++)
		argv[n++] = targets[i];
	argv[n] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 180, NULL, &r), 0);
	cr_assert_not(r.timed_out, "scan did not finish");
	json_error_t err;
	json_t *doc = json_loads(r.out, 0, &err);
	cr_assert_not_null(doc, "not JSON (%s): %s", err.text, r.err);
	run_result_free(&r);
	return doc;
}

Test(probes_lab, exact_verdicts_per_persona)
{
	const char *specs[NPERSONAS];
	char spec_buf[NPERSONAS][64], target_buf[NPERSONAS][80];
	const char *targets[NPERSONAS];
	for (size_t i = 0; i < NPERSONAS; i++) {
		snprintf(spec_buf[i], sizeof(spec_buf[i]), "127.0.0.1:0=%s", expectations[i].persona);
		specs[i] = spec_buf[i];
	}
	cr_assert_eq(lab_start(&lab, specs, NPERSONAS, NULL), 0);
	for (size_t i = 0; i < NPERSONAS; i++)
		targets[i] = lab_target(&lab, expectations[i].persona, target_buf[i],
					sizeof(target_buf[i]));
	json_t *doc = scan(NULL, targets, NPERSONAS);
	static const char *const probes[] = {"inventory",      "open_relay",	  "auth_before_tls",
					     "auth_anonymous", "auth_weak_mechs", "helo_validation"};
	for (size_t i = 0; i < NPERSONAS; i++) {
		const struct expectation *e = &expectations[i];
		json_t *t = target_on_port(doc, lab.listeners[i].port);
		cr_assert_str_eq(str_at(t, "outcome"), "completed", "%s: %s", e->persona,
				 str_at(t, "reason"));
		for (size_t j = 0; j < 6; j++) {
			json_t *p = probe_named(t, probes[j]);
			cr_expect_str_eq(str_at(p, "verdict"), e->verdicts[j], "%s / %s: %s (%s)",
					 e->persona, probes[j], str_at(p, "verdict"),
					 str_at(p, "verdict_reason"));
		}
		char *ids = distinct_ids(t);
		cr_expect_str_eq(ids, e->ids, "%s findings: %s", e->persona, ids);
		free(ids);
	}
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 0, "DATA sent without --allow-data");
	cr_assert_eq(lab_log_count(&lab, " C: BDAT"), 0, "BDAT sent without --allow-data");
	json_decref(doc);
}

Test(probes_lab, canary_needs_the_opt_in_and_sends_one_message)
{
	const char *specs[] = {"127.0.0.1:0=open-relay"};
	char target[80];
	cr_assert_eq(lab_start(&lab, specs, 1, NULL), 0);
	const char *targets[] = {lab_target(&lab, "open-relay", target, sizeof(target))};
	const char *extra[] = {"--probes", "open_relay", "--allow-data", "--relay-canary",
			       "auditor@canary.example.com", NULL};
	json_t *doc = scan(extra, targets, 1);
	json_t *t = target_on_port(doc, lab.listeners[0].port);
	char *ids = distinct_ids(t);
	cr_assert(strstr(ids, "SMTP-RELAY-004") != NULL, "ids: %s", ids);
	free(ids);
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 1, "exactly one message");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(t, "findings"), i, f) {
		if (strcmp(str_at(f, "id"), "SMTP-RELAY-004") == 0)
			cr_assert(strstr(str_at(f, "detail"), "token ") != NULL, "%s",
				  str_at(f, "detail"));
	}
	json_decref(doc);
}
