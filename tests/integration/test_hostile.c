/*
 * NAME
 *	test_hostile - every hostile smtp-lab persona against the real smtp-audit
 *
 * DESCRIPTION
 *	One test per hostile behaviour. Each starts its own smtp-lab with the
 *	hostile persona and a well-behaved one ("hardened") on two loopback
 *	addresses of its own (127.77.<row>.1 and .2, so no per-host back-off
 *	couples the cases), and scans both in one scan with short timeouts
 *	and the default probes, twice at once: -o json, and -o text -v. It
 *	asserts that
 *
 *	  the scan ends within a bound computed from the timeouts and retries
 *	  (the target budget is derived from them, and nothing may outlast it);
 *	  the hostile target ends in its outcome with a reason that names the
 *	  behaviour, and so does its inventory probe (the session that meets
 *	  the behaviour first);
 *	  the hardened target completes with exactly its usual findings;
 *	  nothing a server sent reaches the reports raw: the text report and
 *	  the -v transcript are printable ASCII lines, and the JSON report
 *	  parses (jansson rejects invalid UTF-8).
 *
 *	Every probe's sessions to a host run at once (--per-host), so each
 *	probe meets the behaviour itself rather than queueing behind the
 *	others until the budget runs out.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab.h"
#include "run.h"
#include "scan_doc.h"

/*
 * Each of --connect-timeout, --greeting-timeout and --reply-timeout. A
 * sanitized build (scanner and lab alike) runs several times slower, so
 * its timeouts, and with them every bound, are longer.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_STEP_S 5
#elif defined(__clang__)
#if __has_feature(address_sanitizer)
#define HOSTILE_STEP_S 5
#endif
#endif
#ifndef HOSTILE_STEP_S
#define HOSTILE_STEP_S 2
#endif
/*
 * --tls-timeout: a handshake costs the single-threaded lab real CPU (a
 * tenth of a second on a busy machine, twice that for the deep chain),
 * and a case has some twenty in flight at once.
 */
#define HOSTILE_TLS_S          (2 * HOSTILE_STEP_S)
#define HOSTILE_RETRY_DELAY_MS 100
/* One attempt's worst path: connect, greeting, EHLO, STARTTLS, the handshake, each bounded. */
#define HOSTILE_ATTEMPT_S (4 * HOSTILE_STEP_S + HOSTILE_TLS_S)
/* Process start, report writing, closing: on top of the target budget. */
#define HOSTILE_SLACK_S         4
#define HOSTILE_PER_HOST        "16"
#define HOSTILE_NORMAL          "hardened"
#define HOSTILE_NORMAL_FINDINGS "SMTP-CERT-006,SMTP-ENUM-003,SMTP-TLS-005,SMTP-TLS-015"

struct hostile_case {
	const char *persona;
	unsigned retries;
	const char *outcome;          /* of the hostile target */
	const char *reason;           /* part of its reason; NULL when completed */
	const char *inventory;        /* the outcome of its inventory probe; NULL: any */
	const char *inventory_reason; /* part of that probe's reason; NULL when completed */
	const char *finding;          /* a finding the hostile target must have, or NULL */
	const char *lab_event;        /* a lab log line part proving the behaviour, or NULL */
	unsigned chain_length;        /* > 0: the certificate chain the scan must have seen */
};

static const struct hostile_case hostile_cases[] = {
    {
        .persona = "tarpit",
        .outcome = "throttled",
        .reason = "server stalls",
        .inventory = "throttled",
        .inventory_reason = "waiting for the greeting",
    },
    {
        .persona = "never-greets",
        .outcome = "timeout",
        .reason = "while waiting for the greeting",
        .inventory = "timeout",
        .inventory_reason = "no reply within",
    },
    {
        .persona = "greets-then-silent",
        .outcome = "timeout",
        .reason = "while sending EHLO",
        .inventory = "timeout",
        .inventory_reason = "no reply within",
    },
    {
        .persona = "greet-554",
        .outcome = "refused",
        .reason = "554 greeting",
        .inventory = "refused",
        .inventory_reason = "no SMTP service",
    },
    {
        .persona = "greet-421",
        .outcome = "throttled",
        .reason = "greeted with 421",
        .inventory = "throttled",
        .inventory_reason = "Service not available",
    },
    {
        .persona = "ehlo-421",
        .outcome = "throttled",
        .reason = "(421) after EHLO",
        .inventory = "throttled",
        .inventory_reason = "Service not available",
    },
    {
        .persona = "endless-multiline",
        .outcome = "protocol-error",
        .reason = "more than 128 lines",
        .inventory = "protocol-error",
        .inventory_reason = "waiting for the greeting",
    },
    {
        .persona = "long-line",
        .outcome = "protocol-error",
        .reason = "exceeds 2048 bytes",
        .inventory = "protocol-error",
        .inventory_reason = "waiting for the greeting",
    },
    {
        .persona = "garbage",
        .outcome = "protocol-error",
        .reason = "NUL byte",
        .inventory = "protocol-error",
        .inventory_reason = "\\x1b[31m<script>",
    },
    {
        .persona = "binary-reply",
        .outcome = "protocol-error",
        .reason = "NUL byte in reply line 3",
        .inventory = "protocol-error",
        .inventory_reason = "while sending EHLO",
    },
    {
        .persona = "escape-codes",
        .outcome = "completed",
        .inventory = "completed",
        .finding = "SMTP-TLS-005",
    },
    {
        .persona = "invalid-utf8",
        .outcome = "completed",
        .inventory = "completed",
        .finding = "SMTP-TLS-005",
    },
    {
        .persona = "mixed-codes",
        .outcome = "protocol-error",
        .reason = "code 251 differs from 250",
        .inventory = "protocol-error",
        .inventory_reason = "while sending EHLO",
    },
    {
        .persona = "no-crlf-close",
        .outcome = "closed",
        .reason = "in the middle of a reply",
        .inventory = "closed",
        .inventory_reason = "waiting for the greeting",
    },
    {
        .persona = "early-talker",
        .outcome = "protocol-error",
        .reason = "no reply was due",
        .inventory = "protocol-error",
        .inventory_reason = "250 2.0.0 unsolicited",
    },
    {
        .persona = "reset-mid-reply",
        .outcome = "completed",
        .inventory = "closed",
        .inventory_reason = "while sending EHLO",
    },
    {
        .persona = "close-after-banner",
        .outcome = "closed",
        .reason = "while sending EHLO",
        .inventory = "closed",
        .inventory_reason = "while sending EHLO",
    },
    {
        .persona = "tls-junk",
        .outcome = "completed",
        .inventory = "tls-error",
        .inventory_reason = "after its 220 to STARTTLS",
        .finding = "SMTP-TLS-002",
    },
    {
        .persona = "starttls-broken",
        .outcome = "completed",
        .inventory = "tls-error",
        .inventory_reason = "handshake",
        .finding = "SMTP-TLS-002",
        .lab_event = "handshake_failure alert sent",
    },
    {
        .persona = "tls-stall",
        .outcome = "completed",
        .inventory = "timeout",
        .inventory_reason = "TLS handshake not complete within",
        .lab_event = "ClientHello left unanswered",
    },
    {
        .persona = "starttls-twice",
        .outcome = "completed",
        .inventory = "tls-error",
        .inventory_reason = "after its 220 to STARTTLS",
        .finding = "SMTP-TLS-002",
    },
    {
        .persona = "deep-chain",
        .outcome = "completed",
        .inventory = "completed",
        .finding = "SMTP-CERT-001",
        .chain_length = 50,
    },
    {
        .persona = "huge-ehlo",
        .outcome = "protocol-error",
        .reason = "more than 128 lines",
        .inventory = "protocol-error",
        .inventory_reason = "while sending EHLO",
    },
    {
        .persona = "drop-alternate",
        .retries = 3,
        .outcome = "completed",
        .lab_event = "CLOSE reset by server",
    },
};

#define HOSTILE_CASES (sizeof(hostile_cases) / sizeof(hostile_cases[0]))
_Static_assert(HOSTILE_CASES >= 20, "at least twenty hostile behaviours");

#define HOSTILE_FILES 3 /* the JSON report, the text report, the transcript */

/* What one case ran: the lab, the reports and how long the scan took. */
struct hostile_run {
	struct lab lab;
	char hostile[80], normal[80];
	char json_path[300], text_path[300], err_path[300];
	struct run_result run;
	json_t *doc;
	unsigned target_timeout_s;
	char
	    *files[HOSTILE_FILES]; /* read back; freed in .fini, so a failed assertion leaks none */
	size_t nfiles;
};

static struct hostile_run hostile;

static void hostile_fini(void)
{
	for (size_t i = 0; i < hostile.nfiles; i++)
		free(hostile.files[i]);
	json_decref(hostile.doc);
	run_result_free(&hostile.run);
	lab_stop(&hostile.lab);
}

TestSuite(hostile, .fini = hostile_fini, .timeout = 90);

/* Each row of the table gets addresses of its own. */
static void hostile_start_lab(const struct hostile_case *c, size_t row)
{
	char spec_hostile[80], spec_normal[80];
	snprintf(spec_hostile, sizeof(spec_hostile), "127.77.%zu.1:0=%s", row + 1, c->persona);
	snprintf(spec_normal, sizeof(spec_normal), "127.77.%zu.2:0=%s", row + 1, HOSTILE_NORMAL);
	const char *specs[] = {spec_hostile, spec_normal};
	cr_assert_eq(lab_start(&hostile.lab, specs, 2, NULL), 0, "smtp-lab did not start");
	cr_assert_not_null(
	    lab_target(&hostile.lab, c->persona, hostile.hostile, sizeof(hostile.hostile)));
	cr_assert_not_null(
	    lab_target(&hostile.lab, HOSTILE_NORMAL, hostile.normal, sizeof(hostile.normal)));
	snprintf(hostile.json_path, sizeof(hostile.json_path), "%s/report.json", hostile.lab.dir);
	snprintf(hostile.text_path, sizeof(hostile.text_path), "%s/report.txt", hostile.lab.dir);
	snprintf(hostile.err_path, sizeof(hostile.err_path), "%s/transcript", hostile.lab.dir);
}

/*
 * The JSON scan in the background and the text scan with its -v
 * transcript in the foreground, both over the same arguments ("$@").
 */
static const char hostile_script[] =
    "bin=$1 json=$2 text=$3 err=$4; shift 4\n"
    "\"$bin\" -o json --out \"$json\" \"$@\" & pid=$!\n"
    "\"$bin\" -o text -v --color never --out \"$text\" \"$@\" 2>\"$err\"\n"
    "wait $pid\n";

static void hostile_scan(const struct hostile_case *c)
{
	char retries[16], retry_delay[32], step[16], tls[16], target[16];
	/* Every attempt, and the retry delays between them, doubling from --retry-delay. */
	unsigned delays_ms = HOSTILE_RETRY_DELAY_MS * ((1u << c->retries) - 1);
	hostile.target_timeout_s = (c->retries + 1) * HOSTILE_ATTEMPT_S + (delays_ms + 999) / 1000;
	snprintf(retries, sizeof(retries), "%u", c->retries);
	snprintf(retry_delay, sizeof(retry_delay), "%ums", HOSTILE_RETRY_DELAY_MS);
	snprintf(step, sizeof(step), "%ds", HOSTILE_STEP_S);
	snprintf(tls, sizeof(tls), "%ds", HOSTILE_TLS_S);
	snprintf(target, sizeof(target), "%us", hostile.target_timeout_s);
	const char *argv[] = {
	    "/bin/sh",
	    "-c",
	    hostile_script,
	    "sh",
	    SA_AUDIT_BIN,
	    hostile.json_path,
	    hostile.text_path,
	    hostile.err_path,
	    "--retries",
	    retries,
	    "--retry-delay",
	    retry_delay,
	    "--host-rate",
	    "0",
	    "--per-host",
	    HOSTILE_PER_HOST,
	    "--helo",
	    "scanner.example.net",
	    "--connect-timeout",
	    step,
	    "--greeting-timeout",
	    step,
	    "--reply-timeout",
	    step,
	    "--tls-timeout",
	    tls,
	    "--target-timeout",
	    target,
	    hostile.hostile,
	    hostile.normal,
	    NULL,
	};
	double bound = hostile.target_timeout_s + HOSTILE_SLACK_S;
	cr_assert_eq(run_command(argv, bound + 30, NULL, &hostile.run), 0);
	cr_assert_not(hostile.run.timed_out, "the scans were killed after %.0f s", bound + 30);
	cr_assert_leq(hostile.run.seconds, bound, "the scans took %.1f s, the bound is %.0f s",
	              hostile.run.seconds, bound);
}

/* The whole file, and its length: a NUL in it must not hide what follows. */
static char *hostile_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s was not written", path);
	cr_assert_lt(hostile.nfiles, HOSTILE_FILES);
	char **buf = &hostile.files[hostile.nfiles++];
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 65536;
			char *bigger = realloc(*buf, cap + 1);
			if (bigger == NULL)
				fclose(f);
			cr_assert_not_null(bigger);
			*buf = bigger;
		}
		size_t got = fread(*buf + *len, 1, cap - *len, f);
		*len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	(*buf)[*len] = '\0';
	return *buf;
}

/* Printable ASCII lines only: no ESC, NUL, CR, other controls or raw 0x80-0xff bytes. */
static void hostile_assert_printable(const char *path)
{
	size_t len;
	char *text = hostile_slurp(path, &len);
	cr_assert_gt(len, 0, "%s is empty", path);
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)text[i];
		cr_assert(b == '\n' || (b >= 0x20 && b < 0x7f),
		          "%s: raw byte 0x%02x at offset %zu: ...%.60s", path, b, i,
		          text + (i > 40 ? i - 40 : 0));
	}
}

static void hostile_load_json(void)
{
	json_error_t jerr;
	size_t len;
	char *text = hostile_slurp(hostile.json_path, &len);
	hostile.doc = json_loadb(text, len, 0, &jerr);
	cr_assert_not_null(hostile.doc, "the JSON report does not parse (%s at %d): %.200s",
	                   jerr.text, jerr.position, text);
}

/* The target of the report at "ADDRESS:PORT" as lab_target() gave it. */
static json_t *hostile_target(const char *target)
{
	char address[64];
	const char *colon = strrchr(target, ':');
	cr_assert_not_null(colon);
	snprintf(address, sizeof(address), "%.*s", (int)(colon - target), target);
	json_t *t = scan_doc_target_at(hostile.doc, address);
	cr_assert_eq(json_integer_value(json_object_get(t, "port")), atoi(colon + 1));
	return t;
}

static void hostile_assert_outcome(json_t *obj, const char *what, const char *outcome,
                                   const char *reason)
{
	const char *got = scan_doc_str(obj, "outcome"), *why = scan_doc_str(obj, "reason");
	cr_assert_str_eq(got, outcome, "%s: outcome %s (reason: %s)", what, got, why);
	if (reason != NULL)
		cr_assert_not_null(strstr(why, reason), "%s: reason \"%s\" lacks \"%s\"", what, why,
		                   reason);
	else
		cr_assert(json_is_null(json_object_get(obj, "reason")) || why[0] == '\0',
		          "%s: completed with a reason: %s", what, why);
}

/* Each probe's outcome and reason, for a failure message; free() it. */
static char *hostile_probes_text(json_t *t)
{
	json_t *brief = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(t, "probes"), i, p)
	{
		const char *reason = json_string_value(json_object_get(p, "reason"));
		json_array_append_new(brief, json_pack("[s,s,s?]", scan_doc_str(p, "name"),
		                                       scan_doc_str(p, "outcome"), reason));
	}
	char *text = json_dumps(brief, JSON_COMPACT);
	json_decref(brief);
	return text;
}

static void hostile_assert_hostile(const struct hostile_case *c)
{
	json_t *t = hostile_target(hostile.hostile);
	hostile_assert_outcome(t, c->persona, c->outcome, c->reason);
	if (c->inventory != NULL)
		hostile_assert_outcome(scan_doc_probe(t, "inventory"), "its inventory probe",
		                       c->inventory, c->inventory_reason);
	if (c->chain_length > 0) {
		json_t *tls = json_object_get(t, "tls");
		cr_assert_eq(json_integer_value(json_object_get(tls, "chain_length")),
		             c->chain_length, "the chain seen is not the one sent");
		cr_assert(json_is_false(json_object_get(tls, "trusted")));
	}
	if (c->finding != NULL) {
		char *ids = scan_doc_ids(t), *probes = hostile_probes_text(t);
		char shown[2048];
		bool found = strstr(ids, c->finding) != NULL;
		snprintf(shown, sizeof(shown), "%s; probes: %s", ids, probes);
		free(probes);
		free(ids);
		cr_assert(found, "%s lacks %s: %s", c->persona, c->finding, shown);
	}
}

static void hostile_assert_lab_event(const struct hostile_case *c)
{
	if (c->lab_event != NULL)
		cr_assert_gt(lab_log_count(&hostile.lab, c->lab_event), 0,
		             "the lab log shows no \"%s\"", c->lab_event);
}

static void hostile_assert_normal(void)
{
	json_t *t = hostile_target(hostile.normal);
	hostile_assert_outcome(t, HOSTILE_NORMAL, "completed", NULL);
	char *ids = scan_doc_ids(t), *probes = hostile_probes_text(t);
	char shown[2048];
	bool usual = strcmp(ids, HOSTILE_NORMAL_FINDINGS) == 0;
	snprintf(shown, sizeof(shown), "%s; probes: %s", ids, probes);
	free(probes);
	free(ids);
	cr_assert(usual, "the %s target's findings changed: %s", HOSTILE_NORMAL, shown);
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(t, "probes"), i, p)
	    hostile_assert_outcome(p, scan_doc_str(p, "name"), "completed", NULL);
}

/*
 * Criterion hands each worker process a copy of its parameter, and a
 * pointer into this binary need not hold in another process: the
 * parameter is the row number.
 */
ParameterizedTestParameters(hostile, ends_bounded_with_its_outcome)
{
	static size_t rows[HOSTILE_CASES];
	for (size_t i = 0; i < HOSTILE_CASES; i++)
		rows[i] = i;
	return cr_make_param_array(size_t, rows, HOSTILE_CASES);
}

ParameterizedTest(size_t *row, hostile, ends_bounded_with_its_outcome)
{
	const struct hostile_case *c = &hostile_cases[*row];
	cr_log_info("row %zu: %s", *row, c->persona);
	hostile_start_lab(c, *row);
	hostile_scan(c);
	hostile_load_json();
	hostile_assert_hostile(c);
	hostile_assert_lab_event(c);
	hostile_assert_normal();
	hostile_assert_printable(hostile.text_path);
	hostile_assert_printable(hostile.err_path);
}
