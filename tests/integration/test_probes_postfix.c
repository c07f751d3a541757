/*
 * NAME
 *	test_probes_postfix - the five hardening probes against real Postfix
 *
 * DESCRIPTION
 *	Each test starts Debian's Postfix on loopback in one configuration
 *	(tests/postfix/README.md), scans it with the real binary and asserts
 *	the exact verdict of every probe and the exact set of finding ids.
 *	Postfix delivers nowhere (discard transport), and its log must show
 *	that no message was ever accepted: smtp-audit sends no DATA. One test
 *	counts the TLS handshakes the other probes resume from the first.
 *
 *	Known loopback artefact: the scanner and Postfix share 127.0.0.1, so
 *	the "server's own IP literal" HELO form is also the client's own
 *	literal, which RFC 5321 allows; hardened Postfix accepts it, as it
 *	accepts its own host name (no check_helo_access map is configured).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postfix.h"
#include "run.h"
#include "scan_doc.h"

static struct postfix pf;

static void stop_postfix(void)
{
	postfix_stop(&pf);
}

TestSuite(probes_postfix, .fini = stop_postfix, .timeout = 240);

struct expect {
	const char *probe;
	const char *verdict;
};

static json_t *scan_postfix(const char *config, const char *const extra_args[], char *target,
			    size_t target_len)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed (scripts/postfix-deps.sh)");
	cr_assert_eq(postfix_start(&pf, "127.0.0.1", postfix_config(config)), 0,
		     "Postfix (%s) did not start", config);
	postfix_target(&pf, target, target_len);
	const char *argv[32] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--helo",
				"scanner.example.net", "--probes",
				"open_relay,auth_before_tls,auth_anonymous,auth_weak_mechs,helo_validation"};
	size_t n = 0;
	while (argv[n] != NULL)
		n++;
	for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
		argv[n++] = extra_args[i];
	argv[n++] = target;
	argv[n] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, 180, NULL, &r), 0);
	cr_assert_not(r.timed_out, "scan did not finish");
	json_error_t err;
	json_t *doc = json_loads(r.out, 0, &err);
	cr_assert_not_null(doc, "not JSON: %s\n%s", err.text, r.err);
	run_result_free(&r);
	return doc;
}

static json_t *only_target(json_t *doc)
{
	json_t *targets = json_object_get(doc, "targets");
	cr_assert_eq(json_array_size(targets), 1);
	json_t *t = json_array_get(targets, 0);
	cr_assert_str_eq(json_string_value(json_object_get(t, "outcome")), "completed");
	return t;
}

static void assert_verdicts(json_t *t, const struct expect *want, size_t n)
{
	json_t *probes = json_object_get(t, "probes");
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		size_t j;
		json_t *p;
		json_array_foreach(probes, j, p) {
			if (strcmp(json_string_value(json_object_get(p, "name")), want[i].probe) != 0)
				continue;
			seen = true;
			cr_assert_str_eq(json_string_value(json_object_get(p, "verdict")),
					 want[i].verdict, "%s: %s (%s; outcome %s: %s)", want[i].probe,
					 json_string_value(json_object_get(p, "verdict")),
					 json_string_value(json_object_get(p, "verdict_reason")),
					 json_string_value(json_object_get(p, "outcome")),
					 json_string_value(json_object_get(p, "reason")));
		}
		cr_assert(seen, "probe %s missing", want[i].probe);
	}
}

/* smtp-audit never sends DATA: Postfix never logged a queued message. */
static void assert_nothing_queued(void)
{
	cr_assert_not(postfix_log_wait(&pf, "postfix/cleanup", 200),
		      "Postfix accepted a message: the scanner sent DATA");
}

Test(probes_postfix, hardened)
{
	char target[80];
	json_t *doc = scan_postfix("hardened", NULL, target, sizeof(target));
	json_t *t = only_target(doc);
	static const struct expect want[] = {
		{"open_relay", "not-vulnerable"},     {"auth_before_tls", "not-vulnerable"},
		{"auth_anonymous", "not-vulnerable"}, {"auth_weak_mechs", "not-vulnerable"},
		{"helo_validation", "vulnerable"},
	};
	assert_verdicts(t, want, sizeof(want) / sizeof(want[0]));
	char *ids = scan_doc_ids(t);
	/* Syntax checks are on; Postfix has no built-in check against its own name. */
	cr_assert_str_eq(ids, "SMTP-HELO-002");
	cr_assert(scan_doc_has_variant(t, "SMTP-HELO-002", "own-hostname"));
	free(ids);
	assert_nothing_queued();
	json_decref(doc);
}

Test(probes_postfix, open_relay)
{
	char target[80];
	const char *args[] = {"--probes", "open_relay", NULL};
	json_t *doc = scan_postfix("open-relay", args, target, sizeof(target));
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"open_relay", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	cr_assert(strstr(ids, "SMTP-RELAY-001") != NULL, "ids: %s", ids);
	cr_assert(scan_doc_has_variant(t, "SMTP-RELAY-001", "null-sender"));
	free(ids);
	assert_nothing_queued();
	json_decref(doc);
}

Test(probes_postfix, auth_before_tls_on_submission)
{
	char target[80], port[16];
	if (!postfix_available())
		cr_skip_test("Postfix is not installed (scripts/postfix-deps.sh)");
	/* The port is chosen at start; mark it as submission once known. */
	cr_assert_eq(postfix_start(&pf, "127.0.0.1", postfix_config("auth-before-tls")), 0);
	snprintf(port, sizeof(port), "%u", pf.port);
	postfix_target(&pf, target, sizeof(target));
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0",
			      "--submission-ports", port, "--probes",
			      "auth_before_tls,auth_weak_mechs,auth_anonymous", target, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 120, NULL, &r), 0);
	json_t *doc = json_loads(r.out, 0, NULL);
	cr_assert_not_null(doc, "%s", r.err);
	json_t *t = only_target(doc);
	static const struct expect want[] = {
		{"auth_before_tls", "vulnerable"},
		{"auth_weak_mechs", "not-vulnerable"},
		{"auth_anonymous", "not-vulnerable"},
	};
	assert_verdicts(t, want, sizeof(want) / sizeof(want[0]));
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-AUTH-001");
	cr_assert(scan_doc_has_variant(t, "SMTP-AUTH-001", "PLAIN"));
	cr_assert(scan_doc_has_variant(t, "SMTP-AUTH-001", "LOGIN"));
	cr_assert_null(strstr(r.out, "not-a-password"), "the fake password leaked into the report");
	free(ids);
	run_result_free(&r);
	json_decref(doc);
}

Test(probes_postfix, lax_helo)
{
	char target[80];
	const char *args[] = {"--probes", "helo_validation", NULL};
	json_t *doc = scan_postfix("lax-helo", args, target, sizeof(target));
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"helo_validation", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-HELO-001,SMTP-HELO-002");
	cr_assert(scan_doc_has_variant(t, "SMTP-HELO-001", "non-fqdn"));
	cr_assert(scan_doc_has_variant(t, "SMTP-HELO-002", "localhost"));
	free(ids);
	json_decref(doc);
}

/* ---- transport and exposure probes ---- */

/* "--ca-file DIR/certs/ca.crt" of the running instance, into buf. */
static const char *instance_ca(char *buf, size_t len)
{
	snprintf(buf, len, "%s/" POSTFIX_CERT_DIR "/ca.crt", pf.dir);
	return buf;
}

/* Runs the scanner with argv (NULL-terminated) and returns the JSON report. */
static json_t *run_scan(const char *const argv[])
{
	struct run_result r;
	cr_assert_eq(run_command(argv, 180, NULL, &r), 0);
	cr_assert_not(r.timed_out, "scan did not finish");
	json_error_t err;
	json_t *doc = json_loads(r.out, 0, &err);
	cr_assert_not_null(doc, "not JSON: %s\n%s", err.text, r.err);
	run_result_free(&r);
	return doc;
}

static void start_config(const char *config)
{
	if (!postfix_available())
		cr_skip_test("Postfix is not installed (scripts/postfix-deps.sh)");
	cr_assert_eq(postfix_start(&pf, "127.0.0.1", postfix_config(config)), 0,
		     "Postfix (%s) did not start", config);
}

Test(probes_postfix, tls_legacy_versions_and_weak_suites)
{
	char target[80];
	const char *args[] = {"--probes", "tls_params", NULL};
	json_t *doc = scan_postfix("tls-legacy", args, target, sizeof(target));
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"tls_params", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-TLS-010,SMTP-TLS-011,SMTP-TLS-015");
	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-010", "TLSv1.0"));
	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-010", "TLSv1.1"));
	cr_assert_not(scan_doc_has_variant(t, "SMTP-TLS-010", "SSLv3"));
	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-011", "NULL"));
	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-011", "anonymous"));
	/* OpenSSL 3 on Debian 12 has no 3DES, RC4, DES or EXPORT suites to offer. */
	cr_assert_not(scan_doc_has_variant(t, "SMTP-TLS-011", "3DES"));
	cr_assert_not(scan_doc_has_variant(t, "SMTP-TLS-011", "RC4"));
	free(ids);
	json_decref(doc);
}

Test(probes_postfix, hardened_transport_is_clean)
{
	char target[80], ca[300];
	start_config("hardened");
	postfix_target(&pf, target, sizeof(target));
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--ca-file",
			      instance_ca(ca, sizeof(ca)), "--probes",
			      "starttls,tls_params,certificate,starttls_injection", target, NULL};
	json_t *doc = run_scan(argv);
	json_t *t = only_target(doc);
	static const struct expect want[] = {
		{"starttls", "not-vulnerable"},
		{"tls_params", "not-vulnerable"},
		{"certificate", "not-vulnerable"},
		{"starttls_injection", "not-vulnerable"},
	};
	assert_verdicts(t, want, sizeof(want) / sizeof(want[0]));
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-TLS-005,SMTP-TLS-015");
	free(ids);
	json_decref(doc);
}

Test(probes_postfix, expired_certificate)
{
	char target[80], ca[300];
	start_config("cert-expired");
	postfix_target(&pf, target, sizeof(target));
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--ca-file",
			      instance_ca(ca, sizeof(ca)), "--probes", "certificate", target, NULL};
	json_t *doc = run_scan(argv);
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"certificate", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-CERT-002");
	free(ids);
	json_decref(doc);
}

Test(probes_postfix, certificate_for_another_name)
{
	char target[80], ca[300];
	start_config("cert-wrong-name");
	/* A name target, so the name is checked; localhost also has ::1, where nobody listens. */
	snprintf(target, sizeof(target), "localhost:%u", pf.port);
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--ca-file",
			      instance_ca(ca, sizeof(ca)), "--probes", "certificate", target, NULL};
	json_t *doc = run_scan(argv);
	json_t *t = scan_doc_target_at(doc, "127.0.0.1");
	cr_assert_str_eq(scan_doc_str(t, "outcome"), "completed");
	static const struct expect want[] = {{"certificate", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	cr_assert_str_eq(ids, "SMTP-CERT-005");
	free(ids);
	json_decref(doc);
}

Test(probes_postfix, vrfy_and_rcpt_enumeration)
{
	char target[80];
	const char *args[] = {"--probes", "user_enum", NULL};
	json_t *doc = scan_postfix("vrfy", args, target, sizeof(target));
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"user_enum", "vulnerable"}};
	assert_verdicts(t, want, 1);
	char *ids = scan_doc_ids(t);
	/* Postfix has no EXPN. */
	cr_assert_str_eq(ids, "SMTP-ENUM-001,SMTP-ENUM-003");
	free(ids);
	json_decref(doc);
}

Test(probes_postfix, submission_without_tls_enforcement)
{
	char target[80], port[16];
	start_config("submission");
	snprintf(port, sizeof(port), "%u", pf.port);
	postfix_target(&pf, target, sizeof(target));
	const char *argv[] = {SA_AUDIT_BIN, "-o", "json", "--retries", "0", "--submission-ports",
			      port, "--probes", "starttls", target, NULL};
	json_t *doc = run_scan(argv);
	json_t *t = only_target(doc);
	static const struct expect want[] = {{"starttls", "vulnerable"}};
	assert_verdicts(t, want, 1);
	cr_assert(scan_doc_has_variant(t, "SMTP-TLS-003", "MAIL"));
	assert_nothing_queued();
	json_decref(doc);
}

/* How often the scanner's trace (-v, on stderr) says a handshake was full and resumed. */
static void count_handshakes(const char *trace, unsigned *full, unsigned *resumed)
{
	*full = *resumed = 0;
	for (const char *p = trace; (p = strstr(p, "-- TLS established")) != NULL; p++) {
		if (strncmp(p, "-- TLS established (session resumed)", 36) == 0)
			(*resumed)++;
		else
			(*full)++;
	}
}

/*
 * Postfix issues session tickets (OpenSSL): the first full handshake is
 * resumed by the other TLS probes of the target, whose verdicts, and the
 * trusted chain of the certificate probe, stay what a full handshake
 * gives. With --no-tls-resumption every handshake is a full one.
 */
Test(probes_postfix, tls_probes_resume_the_first_handshake)
{
	char target[80], ca[300];
	start_config("hardened");
	postfix_target(&pf, target, sizeof(target));
	static const struct expect want[] = {
		{"starttls", "not-vulnerable"},        {"certificate", "not-vulnerable"},
		{"auth_weak_mechs", "not-vulnerable"}, {"starttls_injection", "not-vulnerable"},
		{"auth_anonymous", "not-vulnerable"},
	};
	for (int resume = 1; resume >= 0; resume--) {
		const char *argv[] = {SA_AUDIT_BIN,
		                      "-v",
		                      "-o",
		                      "json",
		                      "--retries",
		                      "0",
		                      "--per-host",
		                      "1",
		                      "--ca-file",
		                      instance_ca(ca, sizeof(ca)),
		                      "--probes",
		                      "starttls,certificate,auth_weak_mechs,starttls_injection,"
		                      "auth_anonymous",
		                      target,
		                      resume ? NULL : "--no-tls-resumption",
		                      NULL};
		struct run_result r;
		cr_assert_eq(run_command(argv, 180, NULL, &r), 0);
		cr_assert_not(r.timed_out, "scan did not finish");
		unsigned full, resumed;
		count_handshakes(r.err, &full, &resumed);
		cr_assert_eq(full, resume ? 1u : 5u, "%u full handshakes:\n%s", full, r.err);
		cr_assert_eq(resumed, resume ? 4u : 0u, "%u resumed:\n%s", resumed, r.err);
		json_t *doc = json_loads(r.out, 0, NULL);
		cr_assert_not_null(doc);
		json_t *t = only_target(doc);
		assert_verdicts(t, want, sizeof(want) / sizeof(want[0]));
		char *ids = scan_doc_ids(t);
		/* As in hardened_transport_is_clean, tls_params aside. */
		cr_assert_str_eq(ids, "SMTP-TLS-005");
		free(ids);
		json_decref(doc);
		run_result_free(&r);
	}
}
