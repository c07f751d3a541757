/*
 * NAME
 *	dns_fixture - hostile records and finding checks for the DNS posture tests
 *
 * DESCRIPTION
 *	dns_fixture_next_random() is a fixed-seed generator, so a failure
 *	names a reproducible input. dns_fixture_noise() fills a buffer with
 *	a prefix kept as is and then random bytes, half of them drawn from
 *	an alphabet of the record type's own words (NULL: none), the other
 *	half any byte but NUL, or any byte at all for a length-counted
 *	buffer (binary). dns_fixture_random_records() hands
 *	DNS_FIXTURE_ROUNDS such NUL-terminated records, shorter than
 *	DNS_FIXTURE_RECORD_MAX, to a check.
 *
 *	dns_fixture_huge_record() builds a record of an exact length from a
 *	prefix, a unit repeated (the last copy cut short) and a suffix, to
 *	push a parser over its bounds.
 *
 *	dns_fixture_summary() writes the findings of a list as
 *	"PUBLIC-ID/variant" ("-" for no variant), space-separated and in
 *	order, and dns_fixture_ids() as "PUBLIC-ID" only; both assert that
 *	each finding has a detail line. dns_fixture_expect_findings()
 *	compares that summary with the expected one and looks for a part of
 *	the first finding's detail. struct dns_fixture_txt_case is a table
 *	row for judges that take a name's TXT records and nothing else
 *	(dmarc_judge(), tls_rpt_judge()); dns_fixture_expect_txt_judgement()
 *	runs one against "example.org".
 *
 *	dns_fixture_finding() looks a finding up by id,
 *	dns_fixture_only_finding() asserts it is the list's only one,
 *	dns_fixture_expect_detail_has() checks a part of its detail and
 *	DNS_FIXTURE_EXPECT_EVIDENCE() its evidence texts, all of them, in
 *	order.
 *
 *	Shared by the DNS posture unit tests; everything is static inline,
 *	each test file includes it once.
 */
#ifndef DNS_FIXTURE_H
#define DNS_FIXTURE_H

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dns_findings.h"

#define DNS_FIXTURE_ROUNDS     20000
#define DNS_FIXTURE_RECORD_MAX 200
#define DNS_FIXTURE_MAX_TXT    3

static inline uint32_t dns_fixture_next_random(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

struct dns_fixture_noise {
	const char *prefix;   /* written first, as is; NULL for none */
	const char *alphabet; /* where half of the other bytes come from; NULL: none do */
	bool binary;          /* NUL may occur and nothing terminates the buffer */
};

/* Fills buf (size bytes, room for the NUL included unless binary) and returns the length. */
static inline size_t dns_fixture_noise(const struct dns_fixture_noise *how, uint32_t *state,
                                       char *buf, size_t size)
{
	const char *head = how->prefix != NULL ? how->prefix : "";
	size_t prefix = strlen(head);
	size_t room = how->binary ? size : size - 1;
	size_t alphabet = how->alphabet != NULL ? strlen(how->alphabet) : 0;
	cr_assert_lt(prefix, room);
	memcpy(buf, head, prefix);
	size_t len = prefix + dns_fixture_next_random(state) % (room - prefix);
	for (size_t i = prefix; i < len; i++) {
		uint32_t pick = dns_fixture_next_random(state);
		if (alphabet > 0 && (pick & 1))
			buf[i] = how->alphabet[pick % alphabet];
		else
			buf[i] = how->binary ? (char)(pick % 256) : (char)(1 + pick % 255);
	}
	if (!how->binary)
		buf[len] = '\0';
	return len;
}

/* Checks one random record; round numbers the record for the failure message. */
typedef void (*dns_fixture_record_cb)(const char *record, int round);

static inline void dns_fixture_random_records(const char *prefix, const char *alphabet,
                                              uint32_t seed, dns_fixture_record_cb check)
{
	const struct dns_fixture_noise how = {.prefix = prefix, .alphabet = alphabet};
	char record[DNS_FIXTURE_RECORD_MAX];
	for (int round = 0; round < DNS_FIXTURE_ROUNDS; round++) {
		dns_fixture_noise(&how, &seed, record, sizeof(record));
		check(record, round);
	}
}

/* A len-byte record (NUL-terminated, free() it): prefix, copies of unit, suffix. */
static inline char *dns_fixture_huge_record(const char *prefix, const char *unit,
                                            const char *suffix, size_t len)
{
	size_t head = strlen(prefix), step = strlen(unit), tail = strlen(suffix);
	cr_assert_geq(len, head + tail);
	cr_assert_gt(step, 0);
	char *text = malloc(len + 1);
	cr_assert_not_null(text);
	memcpy(text, prefix, head);
	for (size_t i = head; i < len - tail; i += step)
		memcpy(text + i, unit, len - tail - i < step ? len - tail - i : step);
	memcpy(text + len - tail, suffix, tail);
	text[len] = '\0';
	return text;
}

static inline void dns_fixture_write_summary(const struct dns_findings *found, bool variants,
                                             char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < found->n; i++) {
		const struct finding *f = &found->items[i];
		const char *id = catalog_get(f->id)->public_id;
		size_t used = strlen(buf);
		cr_assert_not_null(f->detail, "%s has no detail", id);
		if (variants)
			snprintf(buf + used, len - used, "%s%s/%s", i ? " " : "", id,
			         f->variant ? f->variant : "-");
		else
			snprintf(buf + used, len - used, "%s%s", i ? " " : "", id);
	}
}

/* "PUBLIC-ID/variant ..." of the findings, in order. */
static inline void dns_fixture_summary(const struct dns_findings *found, char *buf, size_t len)
{
	dns_fixture_write_summary(found, true, buf, len);
}

/* "PUBLIC-ID ..." of the findings, in order. */
static inline void dns_fixture_ids(const struct dns_findings *found, char *buf, size_t len)
{
	dns_fixture_write_summary(found, false, buf, len);
}

static inline void dns_fixture_expect_detail_has(const struct finding *f, const char *part,
                                                 const char *title)
{
	cr_assert(strstr(f->detail, part) != NULL, "%s: \"%s\" lacks \"%s\"", title, f->detail,
	          part);
}

/* The summary is expect; detail_has ("" for no check) is in the first finding's detail. */
static inline void dns_fixture_expect_findings(const struct dns_findings *found, const char *title,
                                               const char *expect, const char *detail_has)
{
	char got[512];
	dns_fixture_summary(found, got, sizeof(got));
	cr_assert_str_eq(got, expect, "%s", title);
	if (detail_has[0] == '\0')
		return;
	cr_assert_gt(found->n, 0, "%s", title);
	dns_fixture_expect_detail_has(&found->items[0], detail_has, title);
}

/* Criterion copies parameters into the test's process, so cases hold text, not pointers. */
struct dns_fixture_txt_case {
	char title[48];
	char txt[DNS_FIXTURE_MAX_TXT][240];
	size_t ntxt;
	char expect[160];    /* "PUBLIC-ID/variant" of each finding in order, space-separated */
	char detail_has[96]; /* "" or a part of the first finding's detail */
};

typedef int (*dns_fixture_txt_judge_cb)(const char *domain, const char *const *txt, size_t ntxt,
                                        struct dns_findings *out);

static inline void dns_fixture_expect_txt_judgement(dns_fixture_txt_judge_cb judge,
                                                    const struct dns_fixture_txt_case *c)
{
	const char *txt[DNS_FIXTURE_MAX_TXT];
	struct dns_findings found = {0};
	for (size_t i = 0; i < c->ntxt; i++)
		txt[i] = c->txt[i];
	cr_assert_eq(judge("example.org", txt, c->ntxt, &found), 0, "%s", c->title);
	dns_fixture_expect_findings(&found, c->title, c->expect, c->detail_has);
	dns_findings_free(&found);
}

/* The first finding of id in found, which must hold one. */
static inline const struct finding *dns_fixture_finding(const struct dns_findings *found,
                                                        enum catalog_id id)
{
	const struct finding *f = dns_findings_find(found, id);
	cr_assert_not_null(f, "no %s among %zu findings", catalog_get(id)->public_id, found->n);
	return f;
}

/* The one finding in found, which must be of id. */
static inline const struct finding *dns_fixture_only_finding(const struct dns_findings *found,
                                                             enum catalog_id id)
{
	cr_assert_eq(found->n, 1, "%zu findings", found->n);
	cr_assert_eq(found->items[0].id, id, "%s, expected %s",
	             catalog_get(found->items[0].id)->public_id, catalog_get(id)->public_id);
	return &found->items[0];
}

static inline void dns_fixture_expect_evidence(const struct finding *f, const char *const *texts,
                                               size_t n)
{
	cr_assert_eq(f->nevidence, n, "%zu evidence items, expected %zu", f->nevidence, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(f->evidence[i].text, texts[i], "evidence %zu", i);
}

/* f's evidence texts are exactly the strings given, in order. */
#define DNS_FIXTURE_EXPECT_EVIDENCE(f, ...)                                                        \
	dns_fixture_expect_evidence((f), (const char *const[]){__VA_ARGS__},                       \
	                            sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

#endif
