/*
 * NAME
 *	test_finding - unit tests for findings and their evidence
 *
 * DESCRIPTION
 *	Construction and release, the detail line, evidence stored exactly as
 *	it came from the wire, the bound on evidence and the count of what
 *	was dropped, the SENT/RECEIVED form of an exchange, deep copies, and
 *	the order finding_compare() defines (severity worst first, public
 *	id, variant with NULL first, detail).
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "sa_error.h"

Test(finding, init_and_free, .timeout = 10)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_AUTH_ADVERTISED_CLEARTEXT, "PLAIN"), 0);
	cr_expect_eq(f.id, CATALOG_AUTH_ADVERTISED_CLEARTEXT);
	cr_assert_not_null(f.variant);
	cr_expect_str_eq(f.variant, "PLAIN");
	cr_expect_null(f.detail);
	cr_expect_eq(f.nevidence, 0);
	cr_expect_eq(f.evidence_dropped, 0);
	finding_free(&f);
	cr_expect_null(f.variant);

	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_expect_null(f.variant);
	finding_free(&f);
}

Test(finding, severity_comes_from_catalog, .timeout = 10)
{
	for (int id = 0; id < CATALOG_COUNT; id++) {
		struct finding f;
		cr_assert_eq(finding_init(&f, (enum catalog_id)id, NULL), 0);
		cr_expect_eq(finding_severity(&f), catalog_get((enum catalog_id)id)->severity);
		finding_free(&f);
	}
}

Test(finding, detail_is_replaced, .timeout = 10)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(finding_set_detail(&f, "accepted %d of %d relay attempts", 3, 12), 0);
	cr_expect_str_eq(f.detail, "accepted 3 of 12 relay attempts");
	cr_assert_eq(finding_set_detail(&f, "%s", "second"), 0);
	cr_expect_str_eq(f.detail, "second");
	finding_free(&f);
}

Test(finding, evidence_is_kept_verbatim, .timeout = 10)
{
	struct finding f;
	const char *hostile = "250 \x1b[31m<script>\xff\xfe\\x41";
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_RECEIVED, hostile), 0);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_NOTE, "canary never arrived"), 0);
	cr_assert_eq(f.nevidence, 2);
	cr_expect_eq(f.evidence[0].kind, EVIDENCE_RECEIVED);
	cr_expect_str_eq(f.evidence[0].text, hostile);
	cr_expect_neq(f.evidence[0].text, hostile, "a copy, not the caller's pointer");
	cr_expect_eq(f.evidence[1].kind, EVIDENCE_NOTE);
	finding_free(&f);
}

Test(finding, evidence_is_bounded, .timeout = 10)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	for (int i = 0; i < FINDING_MAX_EVIDENCE + 40; i++)
		cr_assert_eq(finding_add_evidence(&f, EVIDENCE_SENT, "NOOP"), 0);
	cr_expect_eq(f.nevidence, FINDING_MAX_EVIDENCE);
	cr_expect_eq(f.evidence_dropped, 40);
	cr_expect_leq(f.evidence_cap, FINDING_MAX_EVIDENCE);
	finding_free(&f);
}

Test(finding, exchange_forms_reply_lines, .timeout = 10)
{
	struct finding f;
	char *lines[] = {"mx.example.org", "PIPELINING", "SIZE 10240000"};
	struct smtp_reply reply = {.code = 250, .nlines = 3, .lines = lines};
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(finding_add_exchange(&f, "EHLO scanner.example.com", &reply), 0);
	cr_assert_eq(f.nevidence, 4);
	cr_expect_eq(f.evidence[0].kind, EVIDENCE_SENT);
	cr_expect_str_eq(f.evidence[0].text, "EHLO scanner.example.com");
	cr_expect_eq(f.evidence[1].kind, EVIDENCE_RECEIVED);
	cr_expect_str_eq(f.evidence[1].text, "250-mx.example.org");
	cr_expect_str_eq(f.evidence[2].text, "250-PIPELINING");
	cr_expect_eq(f.evidence[3].kind, EVIDENCE_RECEIVED);
	cr_expect_str_eq(f.evidence[3].text, "250 SIZE 10240000");
	finding_free(&f);
}

Test(finding, exchange_without_command_and_bare_code, .timeout = 10)
{
	struct finding f;
	char *greeting[] = {"mx ESMTP"};
	char *bare[] = {""};
	struct smtp_reply r1 = {.code = 220, .nlines = 1, .lines = greeting};
	struct smtp_reply r2 = {.code = 554, .nlines = 1, .lines = bare};
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	cr_assert_eq(finding_add_exchange(&f, NULL, &r1), 0);
	cr_assert_eq(finding_add_exchange(&f, "DATA", &r2), 0);
	cr_assert_eq(f.nevidence, 3);
	cr_expect_str_eq(f.evidence[0].text, "220 mx ESMTP");
	cr_expect_str_eq(f.evidence[1].text, "DATA");
	cr_expect_str_eq(f.evidence[2].text, "554");
	finding_free(&f);
}

Test(finding, exchange_counts_lines_past_the_bound, .timeout = 10)
{
	struct finding f;
	char *lines[] = {"a", "b", "c", "d", "e"};
	struct smtp_reply reply = {.code = 250, .nlines = 5, .lines = lines};
	cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
	for (int i = 0; i < FINDING_MAX_EVIDENCE - 3; i++)
		cr_assert_eq(finding_add_evidence(&f, EVIDENCE_NOTE, "x"), 0);
	cr_assert_eq(finding_add_exchange(&f, "RCPT TO:<a@example.net>", &reply), 0);
	cr_expect_eq(f.nevidence, FINDING_MAX_EVIDENCE);
	cr_expect_str_eq(f.evidence[FINDING_MAX_EVIDENCE - 1].text, "250-b");
	cr_expect_eq(f.evidence_dropped, 3);
	finding_free(&f);
}

Test(finding, copy_is_deep, .timeout = 10)
{
	struct finding src, dst;
	cr_assert_eq(finding_init(&src, CATALOG_AUTH_ADVERTISED_CLEARTEXT, "LOGIN"), 0);
	cr_assert_eq(finding_set_detail(&src, "AUTH LOGIN before STARTTLS"), 0);
	cr_assert_eq(finding_add_evidence(&src, EVIDENCE_RECEIVED, "250-AUTH LOGIN"), 0);
	src.evidence_dropped = 7;
	cr_assert_eq(finding_copy(&dst, &src), 0);
	finding_free(&src);

	cr_expect_eq(dst.id, CATALOG_AUTH_ADVERTISED_CLEARTEXT);
	cr_expect_str_eq(dst.variant, "LOGIN");
	cr_expect_str_eq(dst.detail, "AUTH LOGIN before STARTTLS");
	cr_assert_eq(dst.nevidence, 1);
	cr_expect_str_eq(dst.evidence[0].text, "250-AUTH LOGIN");
	cr_expect_eq(dst.evidence_dropped, 7);
	cr_assert_eq(finding_add_evidence(&dst, EVIDENCE_NOTE, "the copy can grow"), 0);
	cr_expect_eq(dst.nevidence, 2);
	finding_free(&dst);
}

/* Two ids of different severity, the worse one in *worse. */
static void ids_of_different_severity(enum catalog_id *worse, enum catalog_id *better)
{
	for (int a = 0; a < CATALOG_COUNT; a++) {
		for (int b = 0; b < CATALOG_COUNT; b++) {
			if (catalog_get((enum catalog_id)a)->severity >
			    catalog_get((enum catalog_id)b)->severity) {
				*worse = (enum catalog_id)a;
				*better = (enum catalog_id)b;
				return;
			}
		}
	}
	cr_assert_fail("the catalogue has a single severity");
}

static int compare_ids(enum catalog_id a, const char *va, enum catalog_id b, const char *vb)
{
	struct finding fa, fb;
	cr_assert_eq(finding_init(&fa, a, va), 0);
	cr_assert_eq(finding_init(&fb, b, vb), 0);
	int c = finding_compare(&fa, &fb);
	finding_free(&fa);
	finding_free(&fb);
	return c;
}

Test(finding, compare_puts_worst_severity_first, .timeout = 10)
{
	enum catalog_id worse, better;
	ids_of_different_severity(&worse, &better);
	cr_expect_lt(compare_ids(worse, NULL, better, NULL), 0);
	cr_expect_gt(compare_ids(better, NULL, worse, NULL), 0);
	/* Severity outranks the variant and the public id. */
	cr_expect_lt(compare_ids(worse, "zzz", better, "aaa"), 0);
}

Test(finding, compare_same_severity_by_public_id, .timeout = 10)
{
	int checked = 0;
	for (int a = 0; a < CATALOG_COUNT; a++) {
		for (int b = 0; b < CATALOG_COUNT; b++) {
			const struct catalog_entry *ea = catalog_get((enum catalog_id)a);
			const struct catalog_entry *eb = catalog_get((enum catalog_id)b);
			if (a == b || ea->severity != eb->severity)
				continue;
			int want = strcmp(ea->public_id, eb->public_id);
			int got = compare_ids((enum catalog_id)a, NULL, (enum catalog_id)b, NULL);
			cr_expect_eq(got < 0, want < 0, "%s vs %s", ea->public_id, eb->public_id);
			checked++;
		}
	}
	cr_expect_gt(checked, 0, "no two entries share a severity");
}

Test(finding, compare_variant_then_detail, .timeout = 10)
{
	enum catalog_id id = CATALOG_AUTH_ADVERTISED_CLEARTEXT;
	cr_expect_lt(compare_ids(id, NULL, id, "LOGIN"), 0, "NULL variant first");
	cr_expect_gt(compare_ids(id, "LOGIN", id, NULL), 0);
	cr_expect_lt(compare_ids(id, "LOGIN", id, "PLAIN"), 0);
	cr_expect_eq(compare_ids(id, "PLAIN", id, "PLAIN"), 0);

	struct finding a, b;
	cr_assert_eq(finding_init(&a, id, "PLAIN"), 0);
	cr_assert_eq(finding_init(&b, id, "PLAIN"), 0);
	cr_expect_eq(finding_compare(&a, &b), 0);
	cr_assert_eq(finding_set_detail(&b, "seen on port 25"), 0);
	cr_expect_lt(finding_compare(&a, &b), 0, "NULL detail first");
	cr_assert_eq(finding_set_detail(&a, "seen on port 587"), 0);
	cr_expect_gt(finding_compare(&a, &b), 0);
	finding_free(&a);
	finding_free(&b);
}
