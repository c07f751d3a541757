/*
 * NAME
 *	test_domain - domain mode against a real NSD, unbound, nginx and smtp-lab on loopback
 *
 * DESCRIPTION
 *	The zones below cover every case of domain mode: a hardened domain
 *	(signed zone, TLSA matching the lab's key, MTA-STS enforce, SPF,
 *	DMARC, TLS-RPT, forward-confirmed reverse DNS), a weak one (SPF
 *	+all, DMARC p=none without rua, no MTA-STS or TLS-RPT, an MX that
 *	is an alias, one that is an address, one without address, one whose
 *	name holds an escaped dot, TLSA in
 *	an unsigned zone that matches nothing, reverse DNS that does not
 *	lead back, a greeting naming another host), a domain without MX
 *	(implicit MX), a null MX, two domains sharing one MX host, an
 *	MTA-STS policy in testing mode that does not cover the MX, and one
 *	whose policy is missing (404). smtp-audit asks unbound (validating,
 *	AD bit) in front of NSD with --resolver, fetches policies from
 *	nginx with --mta-sts-port and the test CA, and scans the MX hosts,
 *	which are smtp-lab listeners on 127.0.NET.x at --mx-port, a NET per test.
 *
 *	Each test starts and stops its own servers; without NSD, unbound,
 *	nginx or the signing tools the tests skip with a message.
 */
#include <criterion/criterion.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_server.h"
#include "lab.h"
#include "nginx.h"
#include "run.h"
#include "scan_doc.h"
#include "test_certs.h"

#define MX_PORT    "2526"
#define CERT_NAMES "mx1.good.test,mta-sts.good.test,mta-sts.sts.test,mta-sts.sts404.test"
#define SCAN_TIMEOUT_S 120
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static struct dns_server dns;
static struct nginx web;
static struct lab lab;
/* Each test has its own 127.0.NET.0/24 for the MX hosts: criterion runs tests at once. */
static unsigned net;
static char zone_good[1024], zone_weak[512], zone_nomx[128], zone_shared[64], zone_reverse[256];
static char reverse_name[32];

static const char sts_policy[] = "version: STSv1\r\n"
				 "mode: testing\r\n"
				 "mx: mx.other.test\r\n"
				 "max_age: 3600\r\n";

static const char good_policy[] = "version: STSv1\r\n"
				  "mode: enforce\r\n"
				  "mx: mx1.good.test\r\n"
				  "max_age: 604800\r\n";

ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
	(void)tests;
	test_certs_make(CERT_NAMES);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	test_certs_remove();
}

/* SHA-256 of the SubjectPublicKeyInfo of the lab's certificate, as a TLSA 3 1 1 record wants. */
static void spki_sha256(char hex[65])
{
	char cert[TEST_CERTS_PATH_MAX], cmd[TEST_CERTS_PATH_MAX + 200];
	test_certs_path(cert, "good.crt");
	snprintf(cmd, sizeof(cmd),
		 "openssl x509 -in '%s' -noout -pubkey | openssl pkey -pubin -outform DER | "
		 "openssl dgst -sha256 -r",
		 cert);
	const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, 20, NULL, &r), 0);
	cr_assert_eq(r.exit_code, 0, "openssl: %s", r.err);
	cr_assert_geq(strlen(r.out), 64);
	memcpy(hex, r.out, 64);
	hex[64] = '\0';
	run_result_free(&r);
}

/* The address of MX host n of this test, "127.0.NET.n" (a ring of buffers for one call). */
static const char *mx_at(unsigned n)
{
	static char ring[4][24];
	static unsigned next;
	char *buf = ring[next++ % 4];
	snprintf(buf, sizeof(ring[0]), "127.0.%u.%u", net, n);
	return buf;
}

static void write_zones(void)
{
	char hash[65];
	spki_sha256(hash);
	snprintf(zone_good, sizeof(zone_good),
		 "@ MX 10 mx1\n"
		 "mx1 A %s\n"
		 "@ TXT \"v=spf1 mx -all\"\n"
		 "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@good.test\"\n"
		 "_mta-sts TXT \"v=STSv1; id=20261122\"\n"
		 "mta-sts A 127.0.0.1\n"
		 "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@good.test\"\n"
		 "_25._tcp.mx1 TLSA 3 1 1 %s\n",
		 mx_at(1), hash);
	snprintf(zone_weak, sizeof(zone_weak),
		 "@ MX 10 mx1\n"
		 "@ MX 20 alias\n"
		 "@ MX 30 192.0.2.1.\n"
		 "@ MX 40 gone\n"
		 "@ MX 50 odd\\.name\n"
		 "mx1 A %s\n"
		 "alias CNAME real\n"
		 "real A %s\n"
		 "@ TXT \"v=spf1 +all\"\n"
		 "_dmarc TXT \"v=DMARC1; p=none\"\n"
		 "_25._tcp.mx1 TLSA 3 1 1 " ZERO_HASH "\n",
		 mx_at(2), mx_at(5));
	snprintf(zone_nomx, sizeof(zone_nomx), "@ A %s\n@ TXT \"v=spf1 a -all\"\n", mx_at(3));
	snprintf(zone_shared, sizeof(zone_shared), "mx A %s\n", mx_at(4));
	snprintf(reverse_name, sizeof(reverse_name), "%u.0.127.in-addr.arpa", net);
	snprintf(zone_reverse, sizeof(zone_reverse),
		 "1 PTR mx1.good.test.\n2 PTR elsewhere.weak.test.\n4 PTR mx.shared.test.\n");
}

/* Starts NSD, unbound, nginx and smtp-lab for a test whose MX hosts live in 127.0.NET.0/24. */
static void start_servers(unsigned test_net)
{
	if (!dns_server_available() || !dns_server_can_sign() || !nginx_available())
		cr_skip_test("nsd, ldns-signzone or nginx is not installed (scripts/deps.sh --test)");
	net = test_net;
	write_zones();
	const struct dns_server_zone zones[] = {
	    {.name = "good.test", .records = zone_good, .sign = true},
	    {.name = "weak.test", .records = zone_weak},
	    {.name = "nomx.test", .records = zone_nomx},
	    {.name = "nullmx.test", .records = "@ MX 0 .\n@ TXT \"v=spf1 -all\"\n"},
	    {.name = "shared.test", .records = zone_shared},
	    {.name = "one.test", .records = "@ MX 10 mx.shared.test.\n"},
	    {.name = "two.test", .records = "@ MX 5 mx.shared.test.\n"},
	    {.name = "sts.test",
	     .records = "@ MX 10 mx.shared.test.\n_mta-sts TXT \"v=STSv1; id=2\"\n"
			"mta-sts A 127.0.0.1\n"},
	    {.name = "sts404.test",
	     .records = "@ MX 10 mx.shared.test.\n_mta-sts TXT \"v=STSv1; id=3\"\n"
			"mta-sts A 127.0.0.1\n"},
	    {.name = reverse_name, .records = zone_reverse},
	};
	cr_assert_eq(dns_server_start(&dns, zones, sizeof(zones) / sizeof(zones[0])), 0);
	cr_assert_eq(dns_server_start_resolver(&dns), 0);

	char certs[TEST_CERTS_PATH_MAX];
	test_certs_path(certs, "");
	const struct nginx_site sites[] = {
	    {.host = "mta-sts.good.test"},
	    {.host = "mta-sts.sts.test"},
	    {.host = "mta-sts.sts404.test"},
	};
	cr_assert_eq(nginx_start(&web, certs, sites, 3), 0);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.good.test", good_policy), 0);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.sts.test", sts_policy), 0);

	char chain[TEST_CERTS_PATH_MAX], key[TEST_CERTS_PATH_MAX];
	test_certs_path(chain, "good.chain.pem");
	test_certs_path(key, "good.key");
	static const char *const personas[] = {"hardened", "hardened", "hardened", "open-relay",
					       "hardened"};
	char specs[5][64];
	const char *spec_ptrs[5];
	for (unsigned i = 0; i < 5; i++) {
		snprintf(specs[i], sizeof(specs[i]), "%s:" MX_PORT "=%s", mx_at(i + 1), personas[i]);
		spec_ptrs[i] = specs[i];
	}
	const char *extra[] = {"--hostname", "mx1.good.test", "--cert", chain, "--key", key, NULL};
	cr_assert_eq(lab_start(&lab, spec_ptrs, 5, extra), 0);
}

static void stop_servers(void)
{
	lab_stop(&lab);
	nginx_stop(&web);
	dns_server_stop(&dns);
}

/*
 * Runs smtp-audit -o json over the given domains with the fixtures' resolver, CA and ports,
 * plus the options in extra (NULL-terminated; may be NULL).
 */
static json_t *scan_domains_with(const char *const *domains, size_t n, const char *const *extra,
				 int *exit_code)
{
	char resolver[32], sts_port[8], ca[TEST_CERTS_PATH_MAX];
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%u", dns.resolver_port);
	snprintf(sts_port, sizeof(sts_port), "%u", web.port);
	test_certs_path(ca, "ca.crt");
	const char *argv[64] = {SA_AUDIT_BIN, "-o", "json", "--resolver", resolver,
				"--mta-sts-port", sts_port, "--mx-port", MX_PORT, "--ca-file", ca,
				"--host-rate", "0", "--fail-on", "never"};
	size_t argc = 15;
	for (size_t i = 0; i < n; i++) {
		argv[argc++] = "--domain";
		argv[argc++] = domains[i];
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	struct run_result r;
	cr_assert_eq(run_command(argv, SCAN_TIMEOUT_S, NULL, &r), 0);
	cr_assert_not(r.timed_out, "the scan did not end");
	*exit_code = r.exit_code;
	json_error_t jerr;
	json_t *doc = json_loads(r.out, 0, &jerr);
	cr_assert_not_null(doc, "not JSON (%s): %s", jerr.text, r.err);
	run_result_free(&r);
	return doc;
}

static json_t *scan_domains(const char *const *domains, size_t n, int *exit_code)
{
	return scan_domains_with(domains, n, NULL, exit_code);
}

/* Only the finding ids of one family ("SMTP-DNS-05"), sorted, comma-separated. */
static void ids_with_prefix(json_t *obj, const char *prefix, char *buf, size_t len)
{
	char *all = scan_doc_ids(obj);
	buf[0] = '\0';
	for (char *save = NULL, *id = strtok_r(all, ",", &save); id != NULL;
	     id = strtok_r(NULL, ",", &save))
		if (strncmp(id, prefix, strlen(prefix)) == 0)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", buf[0] ? "," : "", id);
	free(all);
}

static void assert_domain_ids(json_t *doc, const char *domain, const char *expected)
{
	char *ids = scan_doc_ids(scan_doc_domain(doc, domain));
	cr_expect_str_eq(ids, expected, "%s", domain);
	free(ids);
}

static void assert_target_dns_ids(json_t *doc, const char *address, const char *expected)
{
	char ids[512];
	ids_with_prefix(scan_doc_target_at(doc, address), "SMTP-DNS-", ids, sizeof(ids));
	cr_expect_str_eq(ids, expected, "%s", address);
}

TestSuite(domain, .fini = stop_servers, .timeout = 240);

Test(domain, posture_of_each_domain)
{
	start_servers(88);
	static const char *const domains[] = {"good.test",   "weak.test", "nomx.test",
					      "nullmx.test", "one.test",  "two.test",
					      "sts.test",    "sts404.test"};
	int code;
	json_t *doc = scan_domains(domains, 8, &code);
	cr_expect_eq(code, 0, "--fail-on never");
	cr_assert_eq(json_array_size(json_object_get(doc, "domains")), 8);

	assert_domain_ids(doc, "good.test", "");
	cr_expect_str_eq(scan_doc_str(scan_doc_domain(doc, "good.test"), "route"), "mx");
	cr_expect(json_is_true(json_object_get(scan_doc_domain(doc, "good.test"), "dnssec")));
	assert_domain_ids(doc, "weak.test",
			  "SMTP-DNS-003,SMTP-DNS-012,SMTP-DNS-014,SMTP-DNS-020,SMTP-DNS-030,"
			  "SMTP-DNS-050,SMTP-DNS-051,SMTP-DNS-056");
	cr_expect(json_is_false(json_object_get(scan_doc_domain(doc, "weak.test"), "dnssec")));
	assert_domain_ids(doc, "nomx.test", "SMTP-DNS-010,SMTP-DNS-020,SMTP-DNS-030,SMTP-DNS-054");
	cr_expect_str_eq(scan_doc_str(scan_doc_domain(doc, "nomx.test"), "route"), "implicit");
	/* A domain without mail needs no MTA-STS or TLS-RPT; DMARC still stops spoofing. */
	assert_domain_ids(doc, "nullmx.test", "SMTP-DNS-010,SMTP-DNS-055");
	cr_expect_str_eq(scan_doc_str(scan_doc_domain(doc, "nullmx.test"), "route"), "null-mx");
	assert_domain_ids(doc, "sts.test",
			  "SMTP-DNS-001,SMTP-DNS-010,SMTP-DNS-024,SMTP-DNS-025,SMTP-DNS-026,"
			  "SMTP-DNS-030");
	assert_domain_ids(doc, "sts404.test", "SMTP-DNS-001,SMTP-DNS-010,SMTP-DNS-022,SMTP-DNS-030");

	/* MX order and addresses: weak.test lists five hosts by preference. */
	json_t *mx = json_object_get(scan_doc_domain(doc, "weak.test"), "mx");
	cr_assert_eq(json_array_size(mx), 5);
	cr_expect_str_eq(scan_doc_str(json_array_get(mx, 0), "host"), "mx1.weak.test");
	cr_expect_str_eq(scan_doc_str(json_array_get(mx, 3), "host"), "gone.weak.test");
	/* A label holding a dot is no host name to scan: reported, never a target. */
	cr_expect_str_eq(scan_doc_str(json_array_get(mx, 4), "error"), "not a valid host name");
	cr_expect_str_eq(json_string_value(json_array_get(
			     json_object_get(json_array_get(mx, 0), "addresses"), 0)),
			 mx_at(2));

	/* Per-host checks land on the targets: DANE, reverse DNS, greeting name. */
	assert_target_dns_ids(doc, mx_at(1), "");
	assert_target_dns_ids(doc, mx_at(2), "SMTP-DNS-040,SMTP-DNS-042,SMTP-DNS-052,SMTP-DNS-053");
	assert_target_dns_ids(doc, mx_at(3), "SMTP-DNS-052,SMTP-DNS-053");
	assert_target_dns_ids(doc, mx_at(4), "SMTP-DNS-053");
	assert_target_dns_ids(doc, mx_at(5), "SMTP-DNS-052,SMTP-DNS-053");
	json_decref(doc);
}

Test(domain, shared_mx_host_is_scanned_once_for_every_domain)
{
	start_servers(89);
	static const char *const domains[] = {"one.test", "two.test", "sts.test"};
	int code;
	json_t *doc = scan_domains(domains, 3, &code);
	cr_assert_eq(json_array_size(json_object_get(doc, "targets")), 1);
	json_t *t = scan_doc_target_at(doc, mx_at(4));
	cr_expect_str_eq(scan_doc_str(t, "host"), "mx.shared.test");
	json_t *names = json_object_get(t, "domains");
	cr_assert_eq(json_array_size(names), 3);
	cr_expect_str_eq(json_string_value(json_array_get(names, 0)), "one.test");
	cr_expect_str_eq(json_string_value(json_array_get(names, 2)), "two.test");
	char relay[256];
	ids_with_prefix(t, "SMTP-RELAY-001", relay, sizeof(relay));
	cr_expect_str_eq(relay, "SMTP-RELAY-001", "the open relay behind the shared MX is found");
	json_decref(doc);
}

Test(domain, unknown_domain_and_failing_resolver_are_reported_not_fatal)
{
	start_servers(90);
	static const char *const domains[] = {"absent.good.test", "good.test"};
	int code;
	json_t *doc = scan_domains(domains, 2, &code);
	json_t *absent = scan_doc_domain(doc, "absent.good.test");
	cr_expect_str_eq(scan_doc_str(absent, "route"), "failed");
	cr_expect(strstr(scan_doc_str(absent, "error"), "NXDOMAIN") != NULL, "%s",
		  scan_doc_str(absent, "error"));
	cr_expect_str_eq(scan_doc_str(scan_doc_domain(doc, "good.test"), "route"), "mx");
	json_decref(doc);
}

Test(domain, mta_sts_policy_id_other_than_in_the_baseline)
{
	start_servers(91);
	static const char *const domains[] = {"good.test"};
	int code;
	json_t *first = scan_domains(domains, 1, &code);
	json_t *good = scan_doc_domain(first, "good.test");
	cr_assert_str_eq(scan_doc_str(good, "mta_sts_id"), "20261122");
	char path[300];
	snprintf(path, sizeof(path), "%s/baseline.json", lab.dir);
	json_object_set_new(good, "mta_sts_id", json_string("20251231"));
	cr_assert_eq(json_dump_file(first, path, 0), 0);
	json_decref(first);

	const char *const extra[] = {"--baseline", path, NULL};
	json_t *second = scan_domains_with(domains, 1, extra, &code);
	char ids[256];
	ids_with_prefix(scan_doc_domain(second, "good.test"), "SMTP-DNS-02", ids, sizeof(ids));
	cr_expect_str_eq(ids, "SMTP-DNS-027", "the id changed since the baseline");
	json_decref(second);

	/* The same id as the baseline's is no finding. */
	json_t *doc = scan_domains(domains, 1, &code);
	cr_assert_eq(json_dump_file(doc, path, 0), 0);
	json_decref(doc);
	json_t *third = scan_domains_with(domains, 1, extra, &code);
	ids_with_prefix(scan_doc_domain(third, "good.test"), "SMTP-DNS-02", ids, sizeof(ids));
	cr_expect_str_eq(ids, "");
	json_decref(third);
}
