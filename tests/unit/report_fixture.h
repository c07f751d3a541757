/*
 * NAME
 *	report_fixture - a fixed scan result and golden-file helpers for writer tests
 *
 * DESCRIPTION
 *	report_fixture_scan() builds the same scan every time: three targets
 *	with fixed times, added in an order given by the caller so a test can
 *	show that output does not depend on it, then sorted as the engine
 *	sorts before end():
 *
 *	mx1.example.org [192.0.2.10]:25	completed, Postfix, a greeting with
 *		hostile bytes (ESC, markup, invalid UTF-8), capabilities with
 *		hostile unknown keywords, three probes (one timed out) and
 *		three findings with evidence, hostile evidence included.
 *	smtp.example.org [2001:db8::25]:465	implicit TLS, Exim 4.96, TLS
 *		facts with an untrusted chain, one finding.
 *	nonexistent.invalid:25	did not resolve; every probe inconclusive.
 *
 *	report_fixture_render() runs a writer into memory (open_memstream);
 *	report_fixture_golden() compares with tests/data/golden/NAME, or
 *	writes that file when SA_UPDATE_GOLDEN=1 is set in the environment
 *	(regenerate after an intended output or catalogue change, then review
 *	the diff before committing it).
 *
 *	report_fixture_writer() finds a writer by name;
 *	report_fixture_render_fixed() renders the fixed scan with it and
 *	report_fixture_expect_golden() compares that with a golden file;
 *	report_fixture_expect_order_independent() and
 *	report_fixture_expect_stream_error() are the checks every writer
 *	owes: the same bytes whatever the insertion order, and SA_ERROR_IO
 *	from a stream that refuses writes.
 *
 *	Shared by the writer tests; everything is static (the optional
 *	checks static inline), each test file includes it once.
 */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sa_error.h"

#define REPORT_FIXTURE_GOLDEN_DIR SA_SOURCE_DIR "/tests/data/golden/"

/* The hostile greeting, as the server sent it (lines joined with '\n'). */
#define REPORT_FIXTURE_BANNER                                                                      \
	"mx1.example.org ESMTP Postfix \x1b[31m<script>alert(1)</script>\n"                        \
	"welcome \xc3\x28 \xff\\ back"

enum report_fixture_order {
	REPORT_FIXTURE_FORWARD, /* targets, findings and probes added in one order */
	REPORT_FIXTURE_REVERSE, /* ... and in the opposite one */
};

static char *report_fixture_dup(const char *s)
{
	char *copy = strdup(s);
	cr_assert_not_null(copy);
	return copy;
}

static void report_fixture_exchange(struct finding *f, const char *command, int code, char **lines,
                                    size_t nlines)
{
	struct smtp_reply reply = {.code = code, .nlines = nlines, .lines = lines};
	cr_assert_eq(finding_add_exchange(f, command, &reply), 0);
}

static void report_fixture_take(struct target_result *t, struct finding *f)
{
	cr_assert_eq(target_result_take_finding(t, f), 0);
}

static void report_fixture_probes(struct target_result *t, const struct probe_record *probes,
                                  size_t n, enum report_fixture_order order)
{
	t->probes = calloc(n, sizeof(*t->probes));
	cr_assert_not_null(t->probes);
	for (size_t i = 0; i < n; i++) {
		const struct probe_record *p =
		    &probes[order == REPORT_FIXTURE_FORWARD ? i : n - 1 - i];
		t->probes[i] = *p;
		t->probes[i].reason = p->reason != NULL ? report_fixture_dup(p->reason) : NULL;
		t->probes[i].verdict_reason =
		    p->verdict_reason != NULL ? report_fixture_dup(p->verdict_reason) : NULL;
	}
	t->nprobes = n;
}

static struct finding report_fixture_relay_finding(void)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(finding_set_detail(&f, "accepted RCPT TO:<relay-test@example.net> from "
	                                    "<scanner@example.com> without authentication"),
	             0);
	char *ok_mail[] = {"2.1.0 Ok"};
	char *ok_rcpt[] = {"2.1.5 Ok"};
	report_fixture_exchange(&f, "MAIL FROM:<scanner@example.com>", 250, ok_mail, 1);
	report_fixture_exchange(&f, "RCPT TO:<relay-test@example.net>", 250, ok_rcpt, 1);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_NOTE, "no DATA was sent"), 0);
	return f;
}

static struct finding report_fixture_auth_finding(const char *mechanism)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_AUTH_ADVERTISED_CLEARTEXT, mechanism), 0);
	cr_assert_eq(finding_set_detail(&f, "AUTH %s offered before STARTTLS", mechanism), 0);
	char *ehlo[] = {"mx1.example.org \x1b]0;pwned\x07", "\x1b[2J<b>AUTH PLAIN LOGIN</b>",
	                "STARTTLS"};
	report_fixture_exchange(&f, "EHLO scanner.example.com", 250, ehlo, 3);
	f.evidence_dropped = 2;
	return f;
}

static struct target_result *report_fixture_mx1(enum report_fixture_order order)
{
	struct target_result *t = target_result_new("mx1.example.org", "192.0.2.10", 25, false);
	cr_assert_not_null(t);
	t->started_ms = 1700000001000;
	t->finished_ms = 1700000003250;
	t->banner = report_fixture_dup(REPORT_FIXTURE_BANNER);
	t->banner_code = 220;
	t->esmtp = true;
	mta_guess_banner(&t->mta, t->banner);

	t->have_caps_plain = true;
	t->caps_plain = (struct smtp_caps){
	    .server_name = report_fixture_dup("mx1.example.org"),
	    .ext = (1u << SMTP_EXT_STARTTLS) | (1u << SMTP_EXT_AUTH) | (1u << SMTP_EXT_SIZE) |
	           (1u << SMTP_EXT_PIPELINING) | (1u << SMTP_EXT_EIGHTBITMIME),
	    .auth = (1u << SMTP_AUTH_PLAIN) | (1u << SMTP_AUTH_LOGIN),
	    .size_limit = 10240000,
	    .unknown_dropped = 3,
	};
	t->caps_plain.unknown = calloc(2, sizeof(char *));
	cr_assert_not_null(t->caps_plain.unknown);
	t->caps_plain.unknown[0] = report_fixture_dup("X-HOSTILE \x1b]0;owned\x07<i>");
	t->caps_plain.unknown[1] = report_fixture_dup("XSTATUS \xfe\xff");
	t->caps_plain.nunknown = 2;
	t->caps_plain.auth_unknown = calloc(1, sizeof(char *));
	cr_assert_not_null(t->caps_plain.auth_unknown);
	t->caps_plain.auth_unknown[0] = report_fixture_dup("X-SECRET\x1b[0m");
	t->caps_plain.nauth_unknown = 1;
	t->caps_plain.auth_unknown_dropped = 4;

	static const struct probe_record probes[] = {
	    {.probe = "vrfy",
	     .outcome = OUTCOME_TIMEOUT,
	     .reason = "timeout while sending VRFY",
	     .verdict = VERDICT_INCONCLUSIVE,
	     .sessions = 1},
	    {.probe = "open_relay",
	     .outcome = OUTCOME_COMPLETED,
	     .verdict = VERDICT_VULNERABLE,
	     .verdict_reason = "1 of 4 relay attempts accepted",
	     .sessions = 2},
	    {.probe = "auth_cleartext",
	     .outcome = OUTCOME_COMPLETED,
	     .verdict = VERDICT_VULNERABLE,
	     .verdict_reason = "AUTH offered without TLS \x1b[5m",
	     .sessions = 1},
	};
	report_fixture_probes(t, probes, sizeof(probes) / sizeof(probes[0]), order);

	struct finding findings[] = {
	    report_fixture_auth_finding("PLAIN"),
	    report_fixture_relay_finding(),
	    report_fixture_auth_finding("LOGIN"),
	};
	for (size_t i = 0; i < 3; i++)
		report_fixture_take(t, &findings[order == REPORT_FIXTURE_FORWARD ? i : 2 - i]);
	return t;
}

static struct target_result *report_fixture_tls_target(void)
{
	struct target_result *t = target_result_new("smtp.example.org", "2001:db8::25", 465, true);
	cr_assert_not_null(t);
	t->started_ms = 1700000001500;
	t->finished_ms = 1700000002999;
	t->banner = report_fixture_dup("smtp.example.org ESMTP Exim 4.96 Tue, 14 Nov 2023 "
	                               "22:13:21 +0000");
	t->banner_code = 220;
	t->esmtp = true;
	mta_guess_banner(&t->mta, t->banner);

	t->have_caps_tls = true;
	t->caps_tls = (struct smtp_caps){
	    .server_name = report_fixture_dup("smtp.example.org"),
	    .ext = (1u << SMTP_EXT_AUTH) | (1u << SMTP_EXT_SIZE) | (1u << SMTP_EXT_PIPELINING) |
	           (1u << SMTP_EXT_CHUNKING) | (1u << SMTP_EXT_SMTPUTF8) | (1u << SMTP_EXT_HELP),
	    .auth = (1u << SMTP_AUTH_PLAIN) | (1u << SMTP_AUTH_CRAM_MD5),
	    .size_limit = 52428800,
	};

	t->have_tls = true;
	t->tls = (struct tls_facts){
	    .version = report_fixture_dup("TLSv1.2"),
	    .ciphersuite = report_fixture_dup("TLS-ECDHE-RSA-WITH-AES-256-GCM-SHA384"),
	    .subject = report_fixture_dup("CN=smtp.example.org, O=Example \x1b[7m"),
	    .issuer = report_fixture_dup("CN=Example Test CA, O=Example"),
	    .not_before = 1698796800,
	    .not_after = 1730419199,
	    .key_type = report_fixture_dup("RSA"),
	    .key_bits = 2048,
	    .signature = report_fixture_dup("RSA with SHA-256"),
	    .fingerprint = "3f2a5c0e9b8d7f6a1c4e2b0d9f8e7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f",
	    .chain_length = 2,
	    .trusted = false,
	    .name_checked = true,
	    .name_matches = true,
	    .verify_detail = report_fixture_dup("the certificate is not correctly signed by "
	                                        "a trusted CA"),
	};
	t->tls.sans = calloc(2, sizeof(char *));
	cr_assert_not_null(t->tls.sans);
	t->tls.sans[0] = report_fixture_dup("smtp.example.org");
	t->tls.sans[1] = report_fixture_dup("mx.example.org");
	t->tls.nsans = 2;

	static const struct probe_record probes[] = {
	    {.probe = "open_relay",
	     .outcome = OUTCOME_COMPLETED,
	     .verdict = VERDICT_NOT_VULNERABLE,
	     .verdict_reason = "every relay attempt refused: 550 relay not permitted",
	     .sessions = 1},
	};
	report_fixture_probes(t, probes, 1, REPORT_FIXTURE_FORWARD);

	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_HELO_INVALID_ACCEPTED, NULL), 0);
	cr_assert_eq(finding_set_detail(&f, "HELO with an empty argument got 250"), 0);
	char *ok[] = {"smtp.example.org Hello"};
	report_fixture_exchange(&f, "HELO", 250, ok, 1);
	report_fixture_take(t, &f);
	return t;
}

static struct target_result *report_fixture_unresolvable(void)
{
	struct target_result *t = target_result_new("nonexistent.invalid", NULL, 25, false);
	cr_assert_not_null(t);
	t->outcome = OUTCOME_UNRESOLVABLE;
	t->reason = report_fixture_dup("name did not resolve (NXDOMAIN)");
	t->started_ms = 1700000000100;
	t->finished_ms = 1700000000180;
	static const struct probe_record probes[] = {
	    {.probe = "open_relay",
	     .outcome = OUTCOME_UNRESOLVABLE,
	     .reason = "name did not resolve (NXDOMAIN)",
	     .verdict = VERDICT_INCONCLUSIVE},
	};
	report_fixture_probes(t, probes, 1, REPORT_FIXTURE_FORWARD);
	return t;
}

static void report_fixture_scan(struct scan_result *s, enum report_fixture_order order)
{
	scan_result_init(s);
	memcpy(s->scan_id, "4f1c2a9e-0b7d-4c55-9a61-2d8e7f3b1a20", 37);
	s->started_ms = 1700000000000;
	s->finished_ms = 1700000004321;
	struct target_result *targets[] = {
	    report_fixture_tls_target(),
	    report_fixture_unresolvable(),
	    report_fixture_mx1(order),
	};
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(
		    scan_result_add(s, targets[order == REPORT_FIXTURE_FORWARD ? i : 2 - i]), 0);
	scan_result_sort(s);
}

struct report_fixture_output {
	char *data;
	size_t len;
};

static struct report_fixture_output report_fixture_render(const struct report_writer *w,
                                                          struct report_options opt,
                                                          const struct scan_result *scan)
{
	struct report_fixture_output o = {0};
	if (opt.scan_id == NULL)
		opt.scan_id = scan->scan_id;
	opt.out = open_memstream(&o.data, &o.len);
	cr_assert_not_null(opt.out);
	if (w->begin != NULL)
		cr_assert_eq(w->begin(&opt, scan), 0);
	if (w->target != NULL)
		for (size_t i = 0; i < scan->ntargets; i++)
			cr_assert_eq(w->target(&opt, scan->targets[i]), 0);
	cr_assert_eq(w->end(&opt, scan), 0);
	cr_assert_eq(fclose(opt.out), 0);
	return o;
}

static struct report_options report_fixture_options(void)
{
	return (struct report_options){
	    .tool_version = "0.1.0",
	    .fail_on = SEVERITY_HIGH,
	};
}

/* The registered writer called name. */
static inline const struct report_writer *report_fixture_writer(const char *name)
{
	const struct report_writer *w = report_find(name);
	cr_assert_not_null(w, "no writer %s", name);
	cr_assert_str_eq(w->name, name);
	return w;
}

/* The fixed scan, added in order, through the writer called name. */
static inline struct report_fixture_output
report_fixture_render_fixed(const char *name, enum report_fixture_order order)
{
	struct scan_result scan;
	report_fixture_scan(&scan, order);
	struct report_fixture_output o =
	    report_fixture_render(report_fixture_writer(name), report_fixture_options(), &scan);
	scan_result_free(&scan);
	return o;
}

static inline void report_fixture_expect_order_independent(const char *name)
{
	struct report_fixture_output a = report_fixture_render_fixed(name, REPORT_FIXTURE_FORWARD);
	struct report_fixture_output b = report_fixture_render_fixed(name, REPORT_FIXTURE_REVERSE);
	cr_expect_eq(a.len, b.len);
	cr_expect_eq(memcmp(a.data, b.data, a.len < b.len ? a.len : b.len), 0);
	free(a.data);
	free(b.data);
}

/* A stream that refuses writes: target() (when the writer has one) and end() give SA_ERROR_IO. */
static inline void report_fixture_expect_stream_error(const char *name)
{
	struct scan_result scan;
	report_fixture_scan(&scan, REPORT_FIXTURE_FORWARD);
	struct report_options opt = report_fixture_options();
	opt.out = fopen("/dev/null", "r");
	cr_assert_not_null(opt.out);
	opt.scan_id = scan.scan_id;
	const struct report_writer *w = report_fixture_writer(name);
	if (w->target != NULL)
		cr_expect_eq(w->target(&opt, scan.targets[0]), SA_ERROR_IO);
	cr_expect_eq(w->end(&opt, &scan), SA_ERROR_IO);
	fclose(opt.out);
	scan_result_free(&scan);
}

/* Line number (from 1) and offset of the first difference, for a readable failure. */
static void report_fixture_first_difference(const char *a, size_t alen, const char *b, size_t blen,
                                            size_t *line, size_t *offset)
{
	*line = 1;
	size_t i = 0;
	for (; i < alen && i < blen && a[i] == b[i]; i++)
		if (a[i] == '\n')
			(*line)++;
	*offset = i;
}

static void report_fixture_golden(const char *name, const struct report_fixture_output *o)
{
	char path[512];
	snprintf(path, sizeof(path), "%s%s", REPORT_FIXTURE_GOLDEN_DIR, name);
	const char *update = getenv("SA_UPDATE_GOLDEN");
	if (update != NULL && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "wb");
		cr_assert_not_null(f, "cannot write %s", path);
		cr_assert_eq(fwrite(o->data, 1, o->len, f), o->len);
		cr_assert_eq(fclose(f), 0);
		cr_log_warn("rewrote %s", path);
		return;
	}
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "missing %s (create it with SA_UPDATE_GOLDEN=1)", path);
	char *want = NULL;
	size_t want_len = 0;
	FILE *mem = open_memstream(&want, &want_len);
	cr_assert_not_null(mem);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	fclose(f);
	cr_assert_eq(fclose(mem), 0);

	size_t line, offset;
	report_fixture_first_difference(want, want_len, o->data, o->len, &line, &offset);
	cr_expect(want_len == o->len && offset == o->len,
	          "%s differs from the output at line %zu (byte %zu); got:\n%.*s", name, line,
	          offset, (int)(o->len - offset < 200 ? o->len - offset : 200), o->data + offset);
	free(want);
}

/* The fixed scan through the writer called name is byte for byte tests/data/golden/file. */
static inline void report_fixture_expect_golden(const char *name, const char *file)
{
	struct report_fixture_output o = report_fixture_render_fixed(name, REPORT_FIXTURE_FORWARD);
	report_fixture_golden(file, &o);
	free(o.data);
}

#endif
