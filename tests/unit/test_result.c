/*
 * NAME
 *	test_result - unit tests for the scan result model
 *
 * DESCRIPTION
 *	Outcome and verdict names, target construction and ownership
 *	(findings are moved, not copied), the worst severity, counting, the
 *	sort order every report relies on (host, numeric address with IPv4
 *	before IPv6 and an unresolved target first, port; findings; probes),
 *	the stable fingerprint (checked against SHA-256 values computed
 *	independently), and deep copies of TLS facts.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "sa_error.h"

Test(result, outcome_and_verdict_names, .timeout = 10)
{
	static const char *const outcomes[] = {"completed", "refused",      "timeout",
	                                       "closed",    "tls-error",    "protocol-error",
	                                       "throttled", "unresolvable", "unreachable",
	                                       "interrupted"};
	static const char *const verdicts[] = {"none",      "not-vulnerable", "vulnerable",
	                                       "suspected", "inconclusive",   "not-applicable"};
	cr_assert_eq(sizeof(outcomes) / sizeof(outcomes[0]), OUTCOME_COUNT);
	cr_assert_eq(sizeof(verdicts) / sizeof(verdicts[0]), VERDICT_COUNT);
	for (int o = 0; o < OUTCOME_COUNT; o++)
		cr_expect_str_eq(outcome_name((enum outcome)o), outcomes[o]);
	for (int v = 0; v < VERDICT_COUNT; v++)
		cr_expect_str_eq(verdict_name((enum verdict)v), verdicts[v]);
}

Test(result, new_target_owns_copies, .timeout = 10)
{
	char host[] = "mx.example.org";
	char address[] = "192.0.2.1";
	struct target_result *t = target_result_new(host, address, 587, false);
	cr_assert_not_null(t);
	host[0] = 'X';
	address[0] = '9';
	cr_expect_str_eq(t->host, "mx.example.org");
	cr_expect_str_eq(t->address, "192.0.2.1");
	cr_expect_eq(t->port, 587);
	cr_expect_not(t->implicit_tls);
	cr_expect_eq(t->mta.mta, MTA_UNKNOWN);
	cr_expect_eq(t->nfindings, 0);
	cr_expect_eq(t->nprobes, 0);
	cr_expect_null(t->banner);
	cr_expect_eq(target_result_worst(t), -1);
	target_result_free(t);

	t = target_result_new("nothing.invalid", NULL, 465, true);
	cr_assert_not_null(t);
	cr_expect_null(t->address);
	cr_expect(t->implicit_tls);
	target_result_free(t);
	target_result_free(NULL);
}

static void add_finding(struct target_result *t, enum catalog_id id, const char *variant)
{
	struct finding f;
	cr_assert_eq(finding_init(&f, id, variant), 0);
	cr_assert_eq(target_result_take_finding(t, &f), 0);
}

Test(result, take_finding_moves_the_struct, .timeout = 10)
{
	struct target_result *t = target_result_new("mx.example.org", "192.0.2.1", 25, false);
	cr_assert_not_null(t);
	struct finding f;
	cr_assert_eq(finding_init(&f, CATALOG_AUTH_ADVERTISED_CLEARTEXT, "PLAIN"), 0);
	cr_assert_eq(finding_add_evidence(&f, EVIDENCE_RECEIVED, "250-AUTH PLAIN"), 0);
	char *variant = f.variant;
	cr_assert_eq(target_result_take_finding(t, &f), 0);
	cr_expect_null(f.variant, "the caller's struct no longer owns anything");
	cr_expect_eq(f.nevidence, 0);
	finding_free(&f);
	cr_assert_eq(t->nfindings, 1);
	cr_expect_eq(t->findings[0].variant, variant, "moved, not copied");
	cr_expect_str_eq(t->findings[0].evidence[0].text, "250-AUTH PLAIN");

	for (int i = 0; i < 40; i++)
		add_finding(t, CATALOG_HELO_INVALID_ACCEPTED, NULL);
	cr_expect_eq(t->nfindings, 41);
	target_result_free(t);
}

Test(result, worst_severity, .timeout = 10)
{
	struct target_result *t = target_result_new("mx.example.org", "192.0.2.1", 25, false);
	cr_assert_not_null(t);
	int want = -1;
	for (int id = 0; id < CATALOG_COUNT; id++) {
		add_finding(t, (enum catalog_id)id, NULL);
		int sev = (int)catalog_get((enum catalog_id)id)->severity;
		if (sev > want)
			want = sev;
		cr_expect_eq(target_result_worst(t), want);
	}
	target_result_free(t);
}

static struct target_result *add_target(struct scan_result *s, const char *host,
                                        const char *address, uint16_t port)
{
	struct target_result *t = target_result_new(host, address, port, false);
	cr_assert_not_null(t);
	cr_assert_eq(scan_result_add(s, t), 0);
	return t;
}

Test(result, sort_targets, .timeout = 10)
{
	struct scan_result s;
	scan_result_init(&s);
	/* Inserted in an order that strcmp() on addresses or ports would get wrong. */
	add_target(&s, "b.example.org", "10.0.0.10", 25);
	add_target(&s, "b.example.org", "2001:db8::1", 25);
	add_target(&s, "b.example.org", "10.0.0.9", 587);
	add_target(&s, "b.example.org", "10.0.0.9", 25);
	add_target(&s, "b.example.org", NULL, 25);
	add_target(&s, "a.example.org", "192.0.2.1", 2525);
	add_target(&s, "a.example.org", "192.0.2.1", 465);
	add_target(&s, "b.example.org", "2001:db8::0:0:a", 25);
	add_target(&s, "b.example.org", "::1", 25);
	scan_result_sort(&s);

	static const struct {
		const char *host, *address;
		uint16_t port;
	} want[] = {
	    {"a.example.org", "192.0.2.1", 465},
	    {"a.example.org", "192.0.2.1", 2525},
	    {"b.example.org", NULL, 25},
	    {"b.example.org", "10.0.0.9", 25},
	    {"b.example.org", "10.0.0.9", 587},
	    {"b.example.org", "10.0.0.10", 25},
	    {"b.example.org", "::1", 25},
	    {"b.example.org", "2001:db8::1", 25},
	    {"b.example.org", "2001:db8::0:0:a", 25},
	};
	cr_assert_eq(s.ntargets, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < s.ntargets; i++) {
		const struct target_result *t = s.targets[i];
		cr_expect_str_eq(t->host, want[i].host, "position %zu", i);
		if (want[i].address == NULL)
			cr_expect_null(t->address, "position %zu", i);
		else
			cr_expect_str_eq(t->address, want[i].address, "position %zu", i);
		cr_expect_eq(t->port, want[i].port, "position %zu", i);
	}
	scan_result_free(&s);
}

Test(result, sort_findings_and_probes, .timeout = 10)
{
	struct scan_result s;
	scan_result_init(&s);
	struct target_result *t = add_target(&s, "mx.example.org", "192.0.2.1", 25);
	for (int id = CATALOG_COUNT - 1; id >= 0; id--) {
		add_finding(t, (enum catalog_id)id, "b");
		add_finding(t, (enum catalog_id)id, NULL);
		add_finding(t, (enum catalog_id)id, "a");
	}
	static const char *const names[] = {"vrfy", "open_relay", "auth_cleartext", "helo"};
	t->probes = calloc(4, sizeof(*t->probes));
	cr_assert_not_null(t->probes);
	for (size_t i = 0; i < 4; i++)
		t->probes[i] = (struct probe_record){.probe = names[i]};
	t->nprobes = 4;

	scan_result_sort(&s);
	for (size_t i = 1; i < t->nfindings; i++)
		cr_expect_leq(finding_compare(&t->findings[i - 1], &t->findings[i]), 0,
		              "findings %zu and %zu out of order", i - 1, i);
	cr_expect_eq(finding_severity(&t->findings[0]),
	             (enum finding_severity)target_result_worst(t));
	cr_expect_null(t->findings[0].variant, "NULL variant first");
	cr_expect_str_eq(t->probes[0].probe, "auth_cleartext");
	cr_expect_str_eq(t->probes[1].probe, "helo");
	cr_expect_str_eq(t->probes[2].probe, "open_relay");
	cr_expect_str_eq(t->probes[3].probe, "vrfy");
	scan_result_free(&s);
}

Test(result, sort_is_independent_of_insertion_order, .timeout = 10)
{
	struct scan_result s;
	scan_result_init(&s);
	struct target_result *t = add_target(&s, "mx.example.org", "192.0.2.1", 25);
	/* Equal by finding_compare(), different only in evidence. */
	for (int i = 0; i < 2; i++) {
		struct finding f;
		cr_assert_eq(finding_init(&f, CATALOG_RELAY_OPEN, NULL), 0);
		cr_assert_eq(finding_add_evidence(&f, EVIDENCE_NOTE, i == 0 ? "second" : "first"),
		             0);
		cr_assert_eq(target_result_take_finding(t, &f), 0);
	}
	scan_result_sort(&s);
	cr_expect_str_eq(t->findings[0].evidence[0].text, "first");
	cr_expect_str_eq(t->findings[1].evidence[0].text, "second");
	scan_result_free(&s);
}

Test(result, counts, .timeout = 10)
{
	struct scan_result s;
	scan_result_init(&s);
	cr_expect_not(scan_result_any_completed(&s));
	struct target_result *failed = add_target(&s, "gone.invalid", NULL, 25);
	failed->outcome = OUTCOME_UNRESOLVABLE;
	cr_expect_not(scan_result_any_completed(&s));
	struct target_result *a = add_target(&s, "a.example.org", "192.0.2.1", 25);
	struct target_result *b = add_target(&s, "b.example.org", "192.0.2.2", 25);
	cr_expect(scan_result_any_completed(&s));

	size_t want[SEVERITY_COUNT] = {0};
	for (int id = 0; id < CATALOG_COUNT; id++) {
		add_finding(id % 2 == 0 ? a : b, (enum catalog_id)id, NULL);
		want[catalog_get((enum catalog_id)id)->severity]++;
	}
	add_finding(a, CATALOG_RELAY_OPEN, "again");
	want[catalog_get(CATALOG_RELAY_OPEN)->severity]++;

	size_t counts[SEVERITY_COUNT];
	scan_result_count_by_severity(&s, counts);
	size_t at_least = 0;
	for (int sev = SEVERITY_COUNT - 1; sev >= 0; sev--) {
		cr_expect_eq(counts[sev], want[sev], "severity %d", sev);
		at_least += want[sev];
		cr_expect_eq(scan_result_count_at_least(&s, (enum finding_severity)sev), at_least);
	}
	scan_result_free(&s);
}

static void fingerprint_of(const char *host, const char *address, uint16_t port, enum catalog_id id,
                           const char *variant, char out[33])
{
	struct target_result *t = target_result_new(host, address, port, false);
	cr_assert_not_null(t);
	struct finding f;
	cr_assert_eq(finding_init(&f, id, variant), 0);
	result_fingerprint(t, &f, out, 33);
	finding_free(&f);
	target_result_free(t);
}

Test(result, fingerprint_known_values, .timeout = 10)
{
	char fp[33];
	/* sha256("mx.example.org|25|SMTP-RELAY-001|")[:32], computed with Python's hashlib. */
	fingerprint_of("mx.example.org", "192.0.2.1", 25, CATALOG_RELAY_OPEN, NULL, fp);
	cr_expect_str_eq(fp, "538984deb3ecf5037cdd533edafca715");
	fingerprint_of("mx.example.org", "192.0.2.1", 25, CATALOG_AUTH_ADVERTISED_CLEARTEXT,
	               "PLAIN", fp);
	cr_expect_str_eq(fp, "d608973a43fd7a5a7b992a7d706b218d");
	fingerprint_of("smtp.example.org", "2001:db8::25", 465, CATALOG_HELO_INVALID_ACCEPTED, NULL,
	               fp);
	cr_expect_str_eq(fp, "260d07af630ea77c3bf665eb91977210");
}

Test(result, fingerprint_ignores_address_only, .timeout = 10)
{
	char a[33], b[33], c[33], d[33];
	fingerprint_of("mx.example.org", "192.0.2.1", 25, CATALOG_RELAY_OPEN, NULL, a);
	fingerprint_of("mx.example.org", "198.51.100.7", 25, CATALOG_RELAY_OPEN, NULL, b);
	fingerprint_of("mx.example.org", "192.0.2.1", 587, CATALOG_RELAY_OPEN, NULL, c);
	fingerprint_of("mx.example.org", "192.0.2.1", 25, CATALOG_RELAY_OPEN, "x", d);
	cr_expect_str_eq(a, b, "a new address keeps the identity");
	cr_expect_str_neq(a, c, "the port is part of it");
	cr_expect_str_neq(a, d, "the variant is part of it");
	cr_expect_eq(strlen(a), 32);
	cr_expect_eq(strspn(a, "0123456789abcdef"), 32);
}

Test(result, tls_facts_copy_is_deep, .timeout = 10)
{
	struct tls_facts src = {
	    .version = strdup("TLSv1.2"),
	    .ciphersuite = strdup("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"),
	    .subject = strdup("CN=mx.example.org"),
	    .issuer = strdup("CN=Example CA"),
	    .nsans = 2,
	    .not_before = 1698796800,
	    .not_after = 1730419200,
	    .key_type = strdup("RSA"),
	    .key_bits = 2048,
	    .signature = strdup("RSA with SHA-256"),
	    .chain_length = 2,
	    .name_checked = true,
	    .name_matches = true,
	    .verify_detail = strdup("self-signed"),
	};
	src.sans = calloc(2, sizeof(*src.sans));
	cr_assert_not_null(src.sans);
	src.sans[0] = strdup("mx.example.org");
	src.sans[1] = strdup("mail.example.org");
	memset(src.fingerprint, 'a', 64);

	struct tls_facts dst;
	cr_assert_eq(tls_facts_copy(&dst, &src), 0);
	tls_facts_free(&src);
	cr_expect_null(src.version, "free leaves the struct zeroed");
	cr_expect_str_eq(dst.version, "TLSv1.2");
	cr_expect_str_eq(dst.ciphersuite, "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256");
	cr_expect_str_eq(dst.subject, "CN=mx.example.org");
	cr_expect_str_eq(dst.issuer, "CN=Example CA");
	cr_assert_eq(dst.nsans, 2);
	cr_expect_str_eq(dst.sans[1], "mail.example.org");
	cr_expect_eq(dst.not_after, 1730419200);
	cr_expect_eq(dst.key_bits, 2048);
	cr_expect_str_eq(dst.signature, "RSA with SHA-256");
	cr_expect_eq(strlen(dst.fingerprint), 64);
	cr_expect(dst.name_matches);
	cr_expect_str_eq(dst.verify_detail, "self-signed");
	tls_facts_free(&dst);

	struct tls_facts empty = {0}, copy;
	cr_assert_eq(tls_facts_copy(&copy, &empty), 0);
	cr_expect_null(copy.version);
	cr_expect_null(copy.sans);
	tls_facts_free(&copy);
}
