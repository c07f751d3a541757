/*
 * NAME
 *	test_dns_fixture - the NSD and nginx fixtures of domain mode serve what tests write
 *
 * DESCRIPTION
 *	tests/support/dns_server.h starts NSD on loopback with zones a test
 *	writes; tests/support/nginx.h starts nginx serving MTA-STS policies
 *	over HTTPS with the certificates of scripts/gen-test-certs.sh. These
 *	tests prove that what domain mode will be tested with is real: every
 *	record type of issue 8 (MX, null MX, A, AAAA, CNAME, SPF, DMARC,
 *	MTA-STS and TLS-RPT TXT, TLSA) comes back from NSD over UDP and TCP,
 *	on 127.0.0.1 and ::1, authoritatively; names outside the zones are
 *	NXDOMAIN or REFUSED; a zone NSD cannot read fails the start and
 *	leaves nothing behind; a signed zone carries RRSIGs made with the key
 *	whose DS the fixture hands out, and no AD bit (an authoritative
 *	server never sets it), while the validating resolver in front of NSD
 *	sets AD for the signed zone only and refuses other names. nginx serves each virtual host's
 *policy as text/plain to a client that verifies the chain against the test CA (curl --cacert),
 *picks the certificate by SNI, follows a policy change at once, and answers 404 elsewhere; a client
 *rejects the expired and wrong-name certificates. Last, the chain domain mode will walk: _mta-sts
 *TXT and the mta-sts host's address from NSD, then the policy from that address.
 *
 *	Each test starts and stops its own servers (the suite's fini stops
 *	them when an assertion ends a test early). Without NSD, drill,
 *	nginx or curl the tests skip with a message (scripts/deps.sh --test
 *	installs them).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dns_server.h"
#include "nginx.h"
#include "run.h"
#include "sa_error.h"
#include "test_certs.h"

#define CURL_BIN       "/usr/bin/curl"
#define CURL_TIMEOUT_S 15.0
#define CERT_NAMES     "mta-sts.example.test,mta-sts.other.test"

/* curl's exit code when the peer's certificate does not verify. */
#define CURL_PEER_FAILED_VERIFICATION 60

#define TLSA_HEX "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"

static const char example_records[] =
    "@ MX 10 mx1\n"
    "@ MX 20 mx2\n"
    "mx1 A 127.0.0.1\n"
    "mx1 AAAA ::1\n"
    "mx2 CNAME mx1\n"
    "@ TXT \"v=spf1 mx -all\"\n"
    "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@example.test\"\n"
    "_mta-sts TXT \"v=STSv1; id=20261122T000000\"\n"
    "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.test\"\n"
    "_25._tcp.mx1 TLSA 3 1 1 " TLSA_HEX "\n"
    "mta-sts A 127.0.0.1\n"
    "mta-sts AAAA ::1\n";

static const struct dns_server_zone mail_zones[] = {
    {.name = "example.test", .records = example_records},
    {.name = "nullmx.test", .records = "@ MX 0 .\n@ TXT \"v=spf1 -all\"\n"},
};

static const char policy_example[] = "version: STSv1\r\n"
                                     "mode: enforce\r\n"
                                     "mx: mx1.example.test\r\n"
                                     "max_age: 604800\r\n";
static const char policy_other[] = "version: STSv1\r\n"
                                   "mode: testing\r\n"
                                   "mx: *.other.test\r\n"
                                   "max_age: 86400\r\n";

static struct dns_server dns;
static struct nginx web;

static void stop_servers(void)
{
	dns_server_stop(&dns);
	nginx_stop(&web);
}

TestSuite(dns_fixture, .fini = stop_servers);

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

static void start_dns(const struct dns_server_zone zones[], size_t count)
{
	if (!dns_server_available())
		cr_skip_test("NSD or drill is not installed (" DNS_SERVER_BIN
		             ", " DNS_SERVER_DRILL_BIN "; scripts/deps.sh --test installs them)");
	cr_assert_eq(dns_server_start(&dns, zones, count), 0, "NSD did not start (see stderr)");
	cr_assert_gt(dns.port, 0);
}

static void start_web(const struct nginx_site sites[], size_t count)
{
	if (!nginx_available() || access(CURL_BIN, X_OK) != 0)
		cr_skip_test(
		    "nginx or curl is not installed (scripts/deps.sh --test installs them)");
	char dir[TEST_CERTS_PATH_MAX];
	test_certs_path(dir, ".");
	cr_assert_eq(nginx_start(&web, dir, sites, count), 0, "nginx did not start (see stderr)");
	cr_assert_gt(web.port, 0);
}

/* ---- NSD serves every record type of issue 8 ---- */

struct record_case {
	const char *name;
	const char *type;
	unsigned flags;
	bool ipv6;
	/* Each line must be in the answer section, as drill prints it with single spaces. */
	const char *lines[3];
};

static const struct record_case record_cases[] = {
    {.name = "example.test",
     .type = "MX",
     .lines = {"example.test. 300 IN MX 10 mx1.example.test.",
               "example.test. 300 IN MX 20 mx2.example.test."}},
    {.name = "nullmx.test", .type = "MX", .lines = {"nullmx.test. 300 IN MX 0 ."}},
    {.name = "mx1.example.test",
     .type = "A",
     .flags = DNS_SERVER_QUERY_TCP,
     .lines = {"mx1.example.test. 300 IN A 127.0.0.1"}},
    {.name = "mx1.example.test",
     .type = "AAAA",
     .ipv6 = true,
     .lines = {"mx1.example.test. 300 IN AAAA ::1"}},
    {.name = "mx2.example.test",
     .type = "A",
     .lines = {"mx2.example.test. 300 IN CNAME mx1.example.test.",
               "mx1.example.test. 300 IN A 127.0.0.1"}},
    {.name = "example.test",
     .type = "TXT",
     .ipv6 = true,
     .flags = DNS_SERVER_QUERY_TCP,
     .lines = {"example.test. 300 IN TXT \"v=spf1 mx -all\""}},
    {.name = "_dmarc.example.test",
     .type = "TXT",
     .lines = {"_dmarc.example.test. 300 IN TXT "
               "\"v=DMARC1; p=reject; rua=mailto:dmarc@example.test\""}},
    {.name = "_mta-sts.example.test",
     .type = "TXT",
     .lines = {"_mta-sts.example.test. 300 IN TXT \"v=STSv1; id=20261122T000000\""}},
    {.name = "_smtp._tls.example.test",
     .type = "TXT",
     .flags = DNS_SERVER_QUERY_TCP,
     .lines = {"_smtp._tls.example.test. 300 IN TXT "
               "\"v=TLSRPTv1; rua=mailto:tlsrpt@example.test\""}},
    {.name = "_25._tcp.mx1.example.test",
     .type = "TLSA",
     .lines = {"_25._tcp.mx1.example.test. 300 IN TLSA 3 1 1 " TLSA_HEX}},
    {.name = "nullmx.test",
     .type = "SOA",
     .ipv6 = true,
     .lines = {"nullmx.test. 300 IN SOA ns.nullmx.test. hostmaster.nullmx.test. 1 3600 600 "
               "86400 300"}},
};

#define RECORD_CASES (sizeof(record_cases) / sizeof(record_cases[0]))

/* Indices: a worker reads the table itself rather than pointers copied out of the runner. */
ParameterizedTestParameters(dns_fixture, serves_mail_records)
{
	static size_t ids[RECORD_CASES];
	for (size_t i = 0; i < RECORD_CASES; i++)
		ids[i] = i;
	return cr_make_param_array(size_t, ids, RECORD_CASES);
}

ParameterizedTest(size_t *id, dns_fixture, serves_mail_records, .timeout = 30)
{
	const struct record_case *c = &record_cases[*id];
	start_dns(mail_zones, 2);
	if (c->ipv6 && !dns.ipv6)
		cr_skip_test("no ::1 on this host");
	struct dns_server_answer a;
	cr_assert_eq(dns_server_query(c->ipv6 ? "::1" : "127.0.0.1", dns.port, c->name, c->type,
	                              c->flags, &a),
	             0);
	cr_expect_str_eq(a.rcode, "NOERROR");
	cr_expect(a.aa, "NSD is authoritative for %s", c->name);
	cr_expect_not(a.ad);
	size_t lines = 0;
	for (size_t i = 0; i < 3 && c->lines[i] != NULL; i++, lines++)
		cr_expect_not_null(strstr(a.records, c->lines[i]), "%s %s: no \"%s\" in:\n%s",
		                   c->name, c->type, c->lines[i], a.records);
	size_t got = 0;
	for (const char *p = a.records; (p = strchr(p, '\n')) != NULL; p++)
		got++;
	cr_expect_eq(got, lines, "%s %s: %zu records, not %zu:\n%s", c->name, c->type, got, lines,
	             a.records);
	dns_server_answer_free(&a);
	dns_server_stop(&dns);
	cr_assert_eq(dns.pid, 0);
}

Test(dns_fixture, answers_only_for_its_zones, .timeout = 30)
{
	start_dns(mail_zones, 2);
	struct dns_server_answer a;
	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "nothere.example.test", "A", 0, &a),
	             0);
	cr_expect_str_eq(a.rcode, "NXDOMAIN");
	cr_expect(a.aa);
	cr_expect_str_eq(a.records, "");
	dns_server_answer_free(&a);
	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "example.org", "MX", 0, &a), 0);
	cr_expect_str_eq(a.rcode, "REFUSED");
	dns_server_answer_free(&a);
	char target[64];
	cr_assert_not_null(dns_server_target("127.0.0.1", dns.port, target, sizeof(target)));
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)dns.port);
	cr_expect_str_eq(target, want);
	cr_expect_null(dns_server_ds(&dns, "example.test"), "the zone is not signed");
}

Test(dns_fixture, unreadable_zone_fails_the_start_and_leaves_nothing, .timeout = 30)
{
	if (!dns_server_available())
		cr_skip_test("NSD or drill is not installed");
	static const struct dns_server_zone bad[] = {
	    {.name = "good.test", .records = "@ MX 10 mx\nmx A 127.0.0.1\n"},
	    {.name = "bad.test", .records = "@ MX ten mx\n"},
	};
	cr_assert_eq(dns_server_start(&dns, bad, 2), SA_ERROR_INVAL);
	cr_expect_eq(dns.pid, 0, "NSD was left running");
	cr_expect_str_eq(dns.dir, "", "the directory was left behind");
	static const struct dns_server_zone bad_name[] = {{.name = "../etc"}};
	cr_expect_eq(dns_server_start(&dns, bad_name, 1), SA_ERROR_INVAL);
	cr_expect_eq(dns_server_start(&dns, bad, 0), SA_ERROR_INVAL);
}

/* The key tag: the third field of a DS record, the seventh of RRSIG's rdata. */
static const char *ds_key_tag(const char *ds, char *tag, size_t taglen)
{
	const char *p = strstr(ds, " DS ");
	cr_assert_not_null(p);
	snprintf(tag, taglen, "%.*s", (int)strcspn(p + 4, " "), p + 4);
	return tag;
}

Test(dns_fixture, signed_zone_has_rrsigs_of_the_key_of_its_ds, .timeout = 30)
{
	if (dns_server_available() && !dns_server_can_sign())
		cr_skip_test("ldns-keygen or ldns-signzone is not installed (ldnsutils)");
	static const struct dns_server_zone zones[] = {
	    {.name = "signed.test",
	     .records = "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " TLSA_HEX "\n",
	     .sign = true},
	};
	start_dns(zones, 1);
	const char *ds = dns_server_ds(&dns, "signed.test");
	cr_assert_not_null(ds);
	cr_expect_eq(strncmp(ds, "signed.test. IN DS ", strlen("signed.test. IN DS ")), 0, "%s",
	             ds);
	char tag[16], rrsig[160];
	ds_key_tag(ds, tag, sizeof(tag));
	cr_expect_not_null(strstr(ds, " 13 2 "), "ECDSA P-256 key, SHA-256 digest: %s", ds);

	struct dns_server_answer a;
	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "_25._tcp.mx.signed.test", "TLSA",
	                              DNS_SERVER_QUERY_DNSSEC | DNS_SERVER_QUERY_TCP, &a),
	             0);
	cr_expect(a.aa);
	cr_expect_not(a.ad, "an authoritative server never sets AD");
	cr_expect_not_null(strstr(a.records, "IN TLSA 3 1 1 " TLSA_HEX));
	snprintf(rrsig, sizeof(rrsig), "IN RRSIG TLSA 13 5 300 ");
	cr_expect_not_null(strstr(a.records, rrsig), "no RRSIG over the TLSA:\n%s", a.records);
	snprintf(rrsig, sizeof(rrsig), " %s signed.test. ", tag);
	cr_expect_not_null(strstr(a.records, rrsig), "no RRSIG by key %s:\n%s", tag, a.records);
	dns_server_answer_free(&a);

	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "signed.test", "DNSKEY", 0, &a), 0);
	cr_expect_not_null(strstr(a.records, "signed.test. 300 IN DNSKEY 257 3 13 "), "%s",
	                   a.records);
	dns_server_answer_free(&a);
	/* Without DO no signature comes along. */
	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "signed.test", "MX", 0, &a), 0);
	cr_expect_null(strstr(a.records, "RRSIG"), "%s", a.records);
	dns_server_answer_free(&a);
}

Test(dns_fixture, resolver_sets_ad_for_signed_zones_only, .timeout = 30)
{
	if (dns_server_available() && (!dns_server_can_sign() || !dns_server_can_validate()))
		cr_skip_test("ldnsutils or unbound is not installed (scripts/deps.sh --test)");
	static const struct dns_server_zone zones[] = {
	    {.name = "signed.test",
	     .records = "_25._tcp.mx TLSA 3 1 1 " TLSA_HEX "\n",
	     .sign = true},
	    {.name = "plain.test", .records = "_25._tcp.mx TLSA 3 1 1 " TLSA_HEX "\n"},
	};
	start_dns(zones, 2);
	cr_assert_eq(dns_server_start_resolver(&dns), 0, "unbound did not start (see stderr)");
	cr_assert_gt(dns.resolver_port, 0);
	cr_assert_neq(dns.resolver_port, dns.port);
	struct {
		const char *name;
		unsigned flags;
		bool ad;
	} const asks[] = {
	    {"_25._tcp.mx.signed.test", DNS_SERVER_QUERY_DNSSEC, true},
	    {"_25._tcp.mx.signed.test", DNS_SERVER_QUERY_DNSSEC | DNS_SERVER_QUERY_TCP, true},
	    /* RFC 6840: without DO (or AD) in the query there is no AD in the answer. */
	    {"_25._tcp.mx.signed.test", 0, false},
	    {"_25._tcp.mx.plain.test", DNS_SERVER_QUERY_DNSSEC, false},
	};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		struct dns_server_answer a;
		cr_assert_eq(dns_server_query("127.0.0.1", dns.resolver_port, asks[i].name, "TLSA",
		                              asks[i].flags, &a),
		             0);
		cr_expect_str_eq(a.rcode, "NOERROR", "%s", asks[i].name);
		cr_expect_not(a.aa, "a resolver is not authoritative");
		cr_expect_eq(a.ad, asks[i].ad, "%s flags %u: AD %d", asks[i].name, asks[i].flags,
		             a.ad);
		cr_expect_not_null(strstr(a.records, " IN TLSA 3 1 1 " TLSA_HEX), "%s", a.records);
		dns_server_answer_free(&a);
	}
	struct dns_server_answer a;
	cr_assert_eq(dns_server_query("127.0.0.1", dns.resolver_port, "example.org", "A", 0, &a),
	             0);
	cr_expect_str_eq(a.rcode, "REFUSED", "names outside the test zones stay on the host");
	dns_server_answer_free(&a);
	dns_server_stop(&dns);
	cr_expect_eq(dns.resolver_pid, 0);
	cr_expect_str_eq(dns.resolver_dir, "");
}

/* ---- nginx serves policies over HTTPS ---- */

struct fetch {
	int exit_code;
	long status;
	char content_type[64];
	char *body;
};

/*
 * GETs url with curl, the host resolved to address, the chain verified against the test CA.
 * curl's -w line ends the output: "\nSTATUS CONTENT-TYPE".
 */
static void fetch(const char *host, const char *address, const char *path, struct fetch *f)
{
	char ca[TEST_CERTS_PATH_MAX], resolve[320], url[400];
	test_certs_path(ca, "ca.crt");
	bool v6 = strchr(address, ':') != NULL;
	snprintf(resolve, sizeof(resolve), v6 ? "%s:%u:[%s]" : "%s:%u:%s", host, (unsigned)web.port,
	         address);
	snprintf(url, sizeof(url), "https://%s:%u%s", host, (unsigned)web.port, path);
	const char *argv[] = {CURL_BIN,    "-sS", "--max-time", "10",
	                      "--cacert",  ca,    "--resolve",  resolve,
	                      "--noproxy", "*",   "-w",         "\n%{http_code} %{content_type}",
	                      url,         NULL};
	struct run_result r;
	cr_assert_eq(run_command(argv, CURL_TIMEOUT_S, NULL, &r), 0);
	cr_assert_not(r.timed_out);
	*f = (struct fetch){.exit_code = r.exit_code};
	char *last = strrchr(r.out, '\n');
	if (r.exit_code == 0) {
		cr_assert_not_null(last, "curl printed no status line: %s", r.out);
		*last = '\0';
		cr_assert_eq(sscanf(last + 1, "%ld %63s", &f->status, f->content_type) >= 1, 1);
		f->body = strdup(r.out);
	}
	run_result_free(&r);
}

static void fetch_free(struct fetch *f)
{
	free(f->body);
	*f = (struct fetch){0};
}

static const struct nginx_site two_sites[] = {
    {.host = "mta-sts.example.test"},
    {.host = "mta-sts.other.test", .cert = "ec256"},
};

Test(dns_fixture, nginx_serves_each_hosts_policy_verified_by_the_test_ca, .timeout = 30)
{
	start_web(two_sites, 2);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", policy_example), 0);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.other.test", policy_other), 0);
	cr_expect_eq(nginx_set_policy(&web, "mta-sts.unknown.test", policy_other),
	             SA_ERROR_NOTFOUND);
	struct {
		const char *host, *address, *policy;
	} const asks[] = {
	    {"mta-sts.example.test", "127.0.0.1", policy_example},
	    {"mta-sts.other.test", "127.0.0.1", policy_other},
	    {"mta-sts.other.test", "::1", policy_other},
	};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		if (strchr(asks[i].address, ':') != NULL && !web.ipv6)
			continue;
		struct fetch f;
		fetch(asks[i].host, asks[i].address, NGINX_POLICY_PATH, &f);
		cr_assert_eq(f.exit_code, 0, "%s via %s", asks[i].host, asks[i].address);
		cr_expect_eq(f.status, 200);
		cr_expect_str_eq(f.content_type, "text/plain");
		cr_expect_str_eq(f.body, asks[i].policy);
		fetch_free(&f);
	}
	char url[200];
	cr_assert_not_null(nginx_policy_url(&web, "mta-sts.example.test", url, sizeof(url)));
	char want[200];
	snprintf(want, sizeof(want), "https://mta-sts.example.test:%u/.well-known/mta-sts.txt",
	         (unsigned)web.port);
	cr_expect_str_eq(url, want);
	nginx_stop(&web);
	cr_expect_eq(web.pid, 0);
}

Test(dns_fixture, nginx_follows_policy_changes_and_404s_elsewhere, .timeout = 30)
{
	start_web(two_sites, 2);
	struct fetch f;
	fetch("mta-sts.example.test", "127.0.0.1", NGINX_POLICY_PATH, &f);
	cr_expect_eq(f.status, 404, "no policy set yet");
	fetch_free(&f);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", policy_example), 0);
	fetch("mta-sts.example.test", "127.0.0.1", NGINX_POLICY_PATH, &f);
	cr_expect_str_eq(f.body, policy_example);
	fetch_free(&f);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", policy_other), 0);
	fetch("mta-sts.example.test", "127.0.0.1", NGINX_POLICY_PATH, &f);
	cr_expect_str_eq(f.body, policy_other, "the changed policy is served at once");
	fetch_free(&f);
	fetch("mta-sts.example.test", "127.0.0.1", "/mta-sts.txt", &f);
	cr_expect_eq(f.status, 404);
	fetch_free(&f);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", NULL), 0);
	fetch("mta-sts.example.test", "127.0.0.1", NGINX_POLICY_PATH, &f);
	cr_expect_eq(f.status, 404, "a removed policy is gone");
	fetch_free(&f);
}

Test(dns_fixture, nginx_certificates_that_fail_verification, .timeout = 30)
{
	static const struct nginx_site sites[] = {
	    {.host = "mta-sts.example.test", .cert = "expired"},
	    {.host = "mta-sts.other.test", .cert = "wrongname", .content_type = "text/html"},
	};
	start_web(sites, 2);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", policy_example), 0);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.other.test", policy_other), 0);
	for (size_t i = 0; i < 2; i++) {
		struct fetch f;
		fetch(sites[i].host, "127.0.0.1", NGINX_POLICY_PATH, &f);
		cr_expect_eq(f.exit_code, CURL_PEER_FAILED_VERIFICATION, "%s (%s): curl exit %d",
		             sites[i].host, sites[i].cert, f.exit_code);
		fetch_free(&f);
	}
	static const struct nginx_site missing[] = {
	    {.host = "mta-sts.example.test", .cert = "nosuch"}};
	nginx_stop(&web);
	char dir[TEST_CERTS_PATH_MAX];
	test_certs_path(dir, ".");
	cr_expect_eq(nginx_start(&web, dir, missing, 1), SA_ERROR_NOTFOUND);
	cr_expect_eq(web.pid, 0);
}

/* ---- both: what domain mode will do ---- */

/* The rdata of the first answer line of type type ("IN A "), copied into buf. */
static const char *first_rdata(const char *records, const char *type, char *buf, size_t buflen)
{
	const char *p = strstr(records, type);
	cr_assert_not_null(p, "no %s in:\n%s", type, records);
	p += strlen(type);
	snprintf(buf, buflen, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

Test(dns_fixture, policy_found_through_dns_and_fetched_over_https, .timeout = 30)
{
	start_dns(mail_zones, 2);
	start_web(two_sites, 2);
	cr_assert_eq(nginx_set_policy(&web, "mta-sts.example.test", policy_example), 0);
	struct dns_server_answer a;
	cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "_mta-sts.example.test", "TXT", 0, &a),
	             0);
	cr_assert_not_null(strstr(a.records, "\"v=STSv1; id="));
	dns_server_answer_free(&a);
	char address[64];
	const char *family[] = {"A", "AAAA"};
	for (size_t i = 0; i < 2; i++) {
		if (i == 1 && !(dns.ipv6 && web.ipv6))
			continue;
		cr_assert_eq(dns_server_query("127.0.0.1", dns.port, "mta-sts.example.test",
		                              family[i], 0, &a),
		             0);
		char type[16];
		snprintf(type, sizeof(type), " IN %s ", family[i]);
		first_rdata(a.records, type, address, sizeof(address));
		dns_server_answer_free(&a);
		struct fetch f;
		fetch("mta-sts.example.test", address, NGINX_POLICY_PATH, &f);
		cr_assert_eq(f.exit_code, 0, "policy via %s", address);
		cr_expect_str_eq(f.body, policy_example);
		fetch_free(&f);
	}
}
