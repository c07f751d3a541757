/*
 * NAME
 *	test_probes_lab - every probe against every smtp-lab persona, one scan
 *
 * DESCRIPTION
 *	One lab with a listener per persona, one scan with a set of probes;
 *	then the exact verdict of each probe and the exact set of finding ids
 *	on each persona are asserted from the JSON report, and the lab's
 *	command log proves that no DATA was sent without --allow-data. Two
 *	such scans: the hardening probes, and the transport and exposure
 *	probes (STARTTLS, TLS parameters, certificate, injection, user
 *	enumeration, exposure). Another test sends the relay canary with the
 *	opt-in and finds exactly one message.
 *
 *	smtp-lab serves a self-signed certificate, so every persona with TLS
 *	carries SMTP-CERT-006; trusted chains are tested against Postfix.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "run.h"
#include "scan_doc.h"

static struct lab lab;

static void stop_lab(void)
{
	lab_stop(&lab);
}

TestSuite(probes_lab, .fini = stop_lab, .timeout = 240);

#define HARDENING_PROBES "inventory,open_relay,auth_before_tls,auth_anonymous,auth_weak_mechs,helo_validation"

struct expectation {
	const char *persona;
	const char *verdicts[6]; /* in HARDENING_PROBES order */
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

static json_t *scan(const char *probes, const char *const extra[], const char *const targets[],
		    size_t ntargets)
{
	const char *argv[64] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--host-rate", "0",
				"--per-host", "4", "--helo", "scanner.example.net", "--probes",
				probes};
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
	json_t *doc = scan(HARDENING_PROBES, NULL, targets, NPERSONAS);
	static const char *const probes[] = {"inventory",      "open_relay",	  "auth_before_tls",
					     "auth_anonymous", "auth_weak_mechs", "helo_validation"};
	for (size_t i = 0; i < NPERSONAS; i++) {
		const struct expectation *e = &expectations[i];
		json_t *t = scan_doc_target_on_port(doc, lab.listeners[i].port);
		cr_assert_str_eq(scan_doc_str(t, "outcome"), "completed", "%s: %s", e->persona,
				 scan_doc_str(t, "reason"));
		for (size_t j = 0; j < 6; j++) {
			json_t *p = scan_doc_probe(t, probes[j]);
			cr_expect_str_eq(scan_doc_str(p, "verdict"), e->verdicts[j], "%s / %s: %s (%s)",
					 e->persona, probes[j], scan_doc_str(p, "verdict"),
					 scan_doc_str(p, "verdict_reason"));
		}
		char *ids = scan_doc_ids(t);
		cr_expect_str_eq(ids, e->ids, "%s findings: %s", e->persona, ids);
		free(ids);
	}
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 0, "DATA sent without --allow-data");
	cr_assert_eq(lab_log_count(&lab, " C: BDAT"), 0, "BDAT sent without --allow-data");
	json_decref(doc);
}

#define TRANSPORT_PROBES "starttls,tls_params,certificate,starttls_injection,user_enum,exposure"

struct transport_expectation {
	const char *spec;        /* the lab listener */
	const char *verdicts[6]; /* in TRANSPORT_PROBES order */
	const char *ids;
};

static const struct transport_expectation transport_expectations[] = {
	{"127.0.0.1:0=hardened",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-TLS-005,SMTP-TLS-015"},
	{"127.0.0.1:0=hardened,tls",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-applicable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-TLS-015"},
	{"127.0.0.1:0=no-starttls",
	 {"vulnerable", "not-applicable", "not-applicable", "not-applicable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-ENUM-003,SMTP-TLS-001"},
	{"127.0.0.1:0=starttls-injectable",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-TLS-005,SMTP-TLS-015,SMTP-TLS-020"},
	{"127.0.0.1:0=starttls-chatty",
	 {"vulnerable", "inconclusive", "inconclusive", "vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-TLS-002,SMTP-TLS-021"},
	{"127.0.0.1:0=starttls-broken",
	 {"vulnerable", "inconclusive", "inconclusive", "inconclusive", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-ENUM-003,SMTP-TLS-002"},
	{"127.0.0.1:0=submission-lax",
	 {"vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "inconclusive",
	  "not-vulnerable"},
	 "SMTP-CERT-006,SMTP-TLS-003,SMTP-TLS-015"},
	{"127.0.0.1:0=caps-change-after-tls",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-TLS-005,SMTP-TLS-015"},
	{"127.0.0.1:0=exposed",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-EXPOSE-002,SMTP-EXPOSE-003,"
	 "SMTP-TLS-005,SMTP-TLS-015"},
	{"127.0.0.1:0=pipelining-broken",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "inconclusive",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-EXPOSE-001,SMTP-EXPOSE-004,SMTP-TLS-015"},
	{"127.0.0.1:0=enum-leaky",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-001,SMTP-ENUM-002,SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-EXPOSE-002,"
	 "SMTP-TLS-015"},
	/* The raw and injection paths over IPv6. */
	{"[::1]:0=starttls-injectable",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-ENUM-003,SMTP-EXPOSE-001,SMTP-TLS-005,SMTP-TLS-015,SMTP-TLS-020"},
	{"[::1]:0=no-starttls",
	 {"vulnerable", "not-applicable", "not-applicable", "not-applicable", "not-vulnerable",
	  "not-vulnerable"},
	 "SMTP-ENUM-003,SMTP-TLS-001"},
	{"127.0.0.1:0=verify-252",
	 {"not-vulnerable", "not-vulnerable", "vulnerable", "not-vulnerable", "not-vulnerable",
	  "vulnerable"},
	 "SMTP-CERT-006,SMTP-EXPOSE-002,SMTP-TLS-015"},
};

#define NTRANSPORT (sizeof(transport_expectations) / sizeof(transport_expectations[0]))

/* "--tls-ports P" and "--submission-ports P" for the listeners that need them. */
static void transport_port_args(char *tls, char *submission, size_t len)
{
	for (size_t i = 0; i < lab.nlisteners; i++) {
		if (lab.listeners[i].tls)
			snprintf(tls, len, "%u", lab.listeners[i].port);
		if (strcmp(lab.listeners[i].persona, "submission-lax") == 0)
			snprintf(submission, len, "%u", lab.listeners[i].port);
	}
}

Test(probes_lab, transport_and_exposure_verdicts_per_persona)
{
	const char *specs[NTRANSPORT], *targets[NTRANSPORT];
	char target_buf[NTRANSPORT][80], tls_port[16] = "", submission_port[16] = "";
	for (size_t i = 0; i < NTRANSPORT; i++)
		specs[i] = transport_expectations[i].spec;
	cr_assert_eq(lab_start(&lab, specs, NTRANSPORT, NULL), 0);
	for (size_t i = 0; i < NTRANSPORT; i++) {
		const char *address = lab.listeners[i].address;
		bool v6 = strchr(address, ':') != NULL;
		snprintf(target_buf[i], sizeof(target_buf[i]), "%s%s%s:%u", v6 ? "[" : "", address,
			 v6 ? "]" : "", lab.listeners[i].port);
		targets[i] = target_buf[i];
	}
	transport_port_args(tls_port, submission_port, sizeof(tls_port));
	/* pipelining-broken loses commands: a short reply timeout keeps the wait short. */
	const char *extra[] = {"--tls-ports", tls_port, "--submission-ports", submission_port,
			       "--reply-timeout", "5", NULL};
	json_t *doc = scan(TRANSPORT_PROBES, extra, targets, NTRANSPORT);
	static const char *const probes[] = {"starttls",	   "tls_params", "certificate",
					     "starttls_injection", "user_enum",  "exposure"};
	for (size_t i = 0; i < NTRANSPORT; i++) {
		const struct transport_expectation *e = &transport_expectations[i];
		json_t *t = scan_doc_target_on_port(doc, lab.listeners[i].port);
		cr_assert_str_eq(scan_doc_str(t, "outcome"), "completed", "%s: %s", e->spec,
				 scan_doc_str(t, "reason"));
		for (size_t j = 0; j < 6; j++) {
			json_t *p = scan_doc_probe(t, probes[j]);
			cr_expect_str_eq(scan_doc_str(p, "verdict"), e->verdicts[j], "%s / %s: %s (%s)",
					 e->spec, probes[j], scan_doc_str(p, "verdict"),
					 scan_doc_str(p, "verdict_reason"));
		}
		char *ids = scan_doc_ids(t);
		cr_expect_str_eq(ids, e->ids, "%s findings: %s", e->spec, ids);
		free(ids);
	}
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 0, "DATA sent without --allow-data");
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
	json_t *doc = scan(HARDENING_PROBES, extra, targets, 1);
	json_t *t = scan_doc_target_on_port(doc, lab.listeners[0].port);
	char *ids = scan_doc_ids(t);
	cr_assert(strstr(ids, "SMTP-RELAY-004") != NULL, "ids: %s", ids);
	free(ids);
	cr_assert_eq(lab_log_count(&lab, " C: DATA"), 1, "exactly one message");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(t, "findings"), i, f) {
		if (strcmp(scan_doc_str(f, "id"), "SMTP-RELAY-004") == 0)
			cr_assert(strstr(scan_doc_str(f, "detail"), "token ") != NULL, "%s",
				  scan_doc_str(f, "detail"));
	}
	json_decref(doc);
}
