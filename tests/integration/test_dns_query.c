/*
 * NAME
 *	test_dns_query - typed DNS queries on the libuv loop against a real NSD and unbound
 *
 * DESCRIPTION
 *	NSD (tests/support/dns_server.h) serves test zones on loopback; the
 *	resolver is pointed at it with dns_set_servers() and asked with
 *	dns_query() on a real uv loop: MX in order and the null MX, TXT made
 *	of several strings and one too big for UDP (so c-ares retries over
 *	TCP), TLSA, PTR from an in-addr.arpa zone, CNAME, A and AAAA through
 *	an alias, NXDOMAIN, NODATA, REFUSED for a name NSD does not serve,
 *	and an IPv6 server address. The validating unbound in front of NSD
 *	gives the AD bit for the signed zone and not for the unsigned one;
 *	NSD itself never sets it. A UDP socket on loopback that never answers
 *	gives a timeout in bounded time; closing the resolver runs pending
 *	callbacks; dns_resolve() follows dns_set_servers(). Each answer is
 *	rendered to text inside the callback (it lives only there) and
 *	compared.
 *
 *	Each test starts its own servers and the suite's fini stops them by
 *	pid, also when an assertion ends a test early. Without NSD, drill,
 *	ldnsutils or unbound the tests that need them skip with a message.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "dns.h"
#include "dns_server.h"
#include "sa_error.h"

#define TLSA_HEX       "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"
#define WAIT_S         30.0 /* bound on any one query, above c-ares' own timeouts */
#define BIG_STRINGS    6    /* TXT strings of BIG_STRING_LEN: more than DNS_EDNS_UDP_SIZE */
#define BIG_STRING_LEN 250

static const char example_records[] = "@ MX 20 mx2\n"
                                      "@ MX 10 mx1\n"
                                      "mx1 A 127.0.0.1\n"
                                      "mx1 AAAA ::1\n"
                                      "mx2 CNAME mx1\n"
                                      "@ TXT \"v=spf1 mx -all\"\n"
                                      "multi TXT \"v=spf1 \" \"ip4:192.0.2.1 \" \"-all\"\n"
                                      "_25._tcp.mx1 TLSA 3 1 1 " TLSA_HEX "\n";

static char big_records[BIG_STRINGS * (BIG_STRING_LEN + 3) + 16];

static const struct dns_server_zone zones[] = {
    {.name = "example.test", .records = example_records},
    {.name = "nullmx.test", .records = "@ MX 0 .\n"},
    {.name = "0.0.127.in-addr.arpa", .records = "1 PTR mx1.example.test.\n"},
    {.name = "big.test", .records = big_records},
};

static const struct dns_server_zone signed_zones[] = {
    {.name = "example.test", .records = example_records},
    {.name = "signed.test",
     .records = "@ MX 10 mx\nmx A 127.0.0.1\n_25._tcp.mx TLSA 3 1 1 " TLSA_HEX "\n",
     .sign = true},
};

static struct dns_server ds;
static int silent_fd = -1;

static void stop_servers(void)
{
	dns_server_stop(&ds);
	if (silent_fd >= 0)
		close(silent_fd);
	silent_fd = -1;
}

TestSuite(dns_query, .fini = stop_servers);

static void make_big_records(void)
{
	char *p = big_records;
	p += sprintf(p, "@ TXT");
	for (int i = 0; i < BIG_STRINGS; i++) {
		p += sprintf(p, " \"");
		memset(p, 'a' + i, BIG_STRING_LEN);
		p += BIG_STRING_LEN;
		*p++ = '"';
	}
	sprintf(p, "\n");
}

static void start_nsd(const struct dns_server_zone *z, size_t count)
{
	if (!dns_server_available())
		cr_skip_test("NSD or drill is not installed (" DNS_SERVER_BIN
		             ", " DNS_SERVER_DRILL_BIN "; scripts/deps.sh --test installs them)");
	make_big_records();
	cr_assert_eq(dns_server_start(&ds, z, count), 0, "NSD did not start (see stderr)");
}

/* What a callback saw, copied out of the answer while it was valid. */
struct got {
	bool done;
	int calls;
	enum dns_answer_status status;
	char detail[128];
	bool ad;
	char cname[256];
	char records[4096];
};

static void render_record(char *buf, size_t len, const struct dns_answer *a, size_t i)
{
	char text[INET6_ADDRSTRLEN];
	switch (a->type) {
	case ns_t_mx:
		snprintf(buf, len, "MX %u %s\n", a->mx[i].preference, a->mx[i].host);
		break;
	case ns_t_txt:
		snprintf(buf, len, "TXT %s\n", a->txt[i]);
		break;
	case ns_t_tlsa: {
		int n = snprintf(buf, len, "TLSA %u %u %u ", a->tlsa[i].usage, a->tlsa[i].selector,
		                 a->tlsa[i].matching);
		for (size_t j = 0; j < a->tlsa[i].len && (size_t)n + 3 < len; j++)
			n += snprintf(buf + n, len - (size_t)n, "%02x", a->tlsa[i].data[j]);
		snprintf(buf + n, len - (size_t)n, "\n");
		break;
	}
	case ns_t_a:
	case ns_t_aaaa:
		inet_ntop(a->addrs[i].family, a->addrs[i].bytes, text, sizeof(text));
		snprintf(buf, len, "%s %s\n", a->type == ns_t_a ? "A" : "AAAA", text);
		break;
	default:
		snprintf(buf, len, "%s %s\n", a->type == ns_t_ptr ? "PTR" : "CNAME", a->names[i]);
	}
}

static void on_answer(void *arg, const struct dns_answer *a)
{
	struct got *g = arg;
	g->done = true;
	g->calls++;
	g->status = a->status;
	g->ad = a->authenticated;
	snprintf(g->detail, sizeof(g->detail), "%s", a->detail);
	snprintf(g->cname, sizeof(g->cname), "%s", a->cname != NULL ? a->cname : "");
	size_t n = a->nmx + a->ntxt + a->ntlsa + a->nnames + a->naddrs;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		render_record(g->records + used, sizeof(g->records) - used, a, i);
		used += strlen(g->records + used);
	}
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_deadline(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* Runs the loop until *done, bounded by WAIT_S. */
static void run_until(uv_loop_t *loop, const bool *done)
{
	uv_timer_t deadline;
	uv_timer_init(loop, &deadline);
	uv_timer_start(&deadline, on_deadline, (uint64_t)(WAIT_S * 1000), 0);
	double end = now_s() + WAIT_S;
	while (!*done && now_s() < end)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	cr_assert(*done, "no callback within %.0f s", WAIT_S);
}

struct resolver {
	uv_loop_t loop;
	struct dns *dns;
};

static void resolver_open(struct resolver *r, const char *address, uint16_t port)
{
	char servers[64], err[160] = "";
	cr_assert_eq(uv_loop_init(&r->loop), 0);
	cr_assert_eq(dns_new(&r->dns, &r->loop, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(dns_server_target(address, port, servers, sizeof(servers)));
	cr_assert_eq(dns_set_servers(r->dns, servers, err, sizeof(err)), 0, "%s: %s", servers, err);
}

/* Closes the resolver and the loop; every handle must be gone. */
static void resolver_close(struct resolver *r)
{
	dns_close(r->dns);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&r->loop), 0, "a handle is left open");
}

static void ask(struct resolver *r, const char *name, int type, struct got *g)
{
	*g = (struct got){0};
	cr_assert_eq(dns_query(r->dns, name, type, on_answer, g), 0, "%s", name);
	run_until(&r->loop, &g->done);
	cr_assert_eq(g->calls, 1);
}

struct query_case {
	char name[64];
	int type;
	enum dns_answer_status status;
	char detail[32];
	char cname[64];
	char records[1700];
};

#define BIG_TXT(c) c c c c c c c c c c /* 10 of c */
static struct query_case query_cases[] = {
    {.name = "example.test",
     .type = ns_t_mx,
     .status = DNS_ANSWER_OK,
     .records = "MX 20 mx2.example.test\nMX 10 mx1.example.test\n"},
    {.name = "nullmx.test", .type = ns_t_mx, .status = DNS_ANSWER_OK, .records = "MX 0 \n"},
    {.name = "example.test",
     .type = ns_t_txt,
     .status = DNS_ANSWER_OK,
     .records = "TXT v=spf1 mx -all\n"},
    {.name = "multi.example.test",
     .type = ns_t_txt,
     .status = DNS_ANSWER_OK,
     .records = "TXT v=spf1 ip4:192.0.2.1 -all\n"},
    {.name = "_25._tcp.mx1.example.test",
     .type = ns_t_tlsa,
     .status = DNS_ANSWER_OK,
     .records = "TLSA 3 1 1 " TLSA_HEX "\n"},
    {.name = "1.0.0.127.in-addr.arpa",
     .type = ns_t_ptr,
     .status = DNS_ANSWER_OK,
     .records = "PTR mx1.example.test\n"},
    {.name = "mx2.example.test",
     .type = ns_t_cname,
     .status = DNS_ANSWER_OK,
     .cname = "mx1.example.test",
     .records = "CNAME mx1.example.test\n"},
    {.name = "MX2.Example.Test.",
     .type = ns_t_a,
     .status = DNS_ANSWER_OK,
     .cname = "mx1.example.test",
     .records = "A 127.0.0.1\n"},
    {.name = "mx1.example.test",
     .type = ns_t_aaaa,
     .status = DNS_ANSWER_OK,
     .records = "AAAA ::1\n"},
    {.name = "nope.example.test", .type = ns_t_mx, .status = DNS_ANSWER_NXDOMAIN},
    {.name = "example.test", .type = ns_t_tlsa, .status = DNS_ANSWER_NODATA},
    {.name = "mx1.example.test", .type = ns_t_mx, .status = DNS_ANSWER_NODATA},
    {.name = "elsewhere.test", .type = ns_t_a, .status = DNS_ANSWER_FAILED, .detail = "REFUSED"},
    {.name = "big.test",
     .type = ns_t_txt,
     .status = DNS_ANSWER_OK,
     .records = "TXT " BIG_TXT("aaaaaaaaaaaaaaaaaaaaaaaaa") BIG_TXT("bbbbbbbbbbbbbbbbbbbbbbbbb")
         BIG_TXT("ccccccccccccccccccccccccc") BIG_TXT("ddddddddddddddddddddddddd")
             BIG_TXT("eeeeeeeeeeeeeeeeeeeeeeeee") BIG_TXT("fffffffffffffffffffffffff") "\n"},
};

ParameterizedTestParameters(dns_query, answers_from_nsd)
{
	return cr_make_param_array(struct query_case, query_cases,
	                           sizeof(query_cases) / sizeof(query_cases[0]));
}

ParameterizedTest(struct query_case *c, dns_query, answers_from_nsd, .timeout = 60)
{
	start_nsd(zones, sizeof(zones) / sizeof(zones[0]));
	struct resolver r;
	resolver_open(&r, "127.0.0.1", ds.port);
	struct got g;
	ask(&r, c->name, c->type, &g);
	cr_expect_eq(g.status, c->status, "%s: status %d (%s)", c->name, g.status, g.detail);
	if (c->status == DNS_ANSWER_FAILED)
		cr_expect_str_eq(g.detail, c->detail);
	cr_expect_str_eq(g.cname, c->cname);
	cr_expect_str_eq(g.records, c->records);
	cr_expect_not(g.ad, "NSD is authoritative and never sets AD");
	resolver_close(&r);
}

Test(dns_query, ipv6_server_address, .timeout = 60)
{
	start_nsd(zones, sizeof(zones) / sizeof(zones[0]));
	if (!ds.ipv6)
		cr_skip_test("no ::1 on this host");
	struct resolver r;
	resolver_open(&r, "::1", ds.port);
	struct got g;
	ask(&r, "example.test", ns_t_mx, &g);
	cr_expect_eq(g.status, DNS_ANSWER_OK, "%s", g.detail);
	cr_expect_str_eq(g.records, "MX 20 mx2.example.test\nMX 10 mx1.example.test\n");
	resolver_close(&r);
}

Test(dns_query, ad_bit_from_the_validating_resolver, .timeout = 90)
{
	if (dns_server_available() && (!dns_server_can_sign() || !dns_server_can_validate()))
		cr_skip_test("ldnsutils or unbound is not installed (scripts/deps.sh --test)");
	start_nsd(signed_zones, 2);
	cr_assert_eq(dns_server_start_resolver(&ds), 0, "unbound did not start (see stderr)");
	struct resolver r;
	resolver_open(&r, "127.0.0.1", ds.resolver_port);
	struct got g;
	ask(&r, "_25._tcp.mx.signed.test", ns_t_tlsa, &g);
	cr_expect_eq(g.status, DNS_ANSWER_OK, "%s", g.detail);
	cr_expect_str_eq(g.records, "TLSA 3 1 1 " TLSA_HEX "\n");
	cr_expect(g.ad, "validated answer without AD");
	ask(&r, "signed.test", ns_t_mx, &g);
	cr_expect_eq(g.status, DNS_ANSWER_OK, "%s", g.detail);
	cr_expect(g.ad);
	ask(&r, "example.test", ns_t_mx, &g);
	cr_expect_eq(g.status, DNS_ANSWER_OK, "%s", g.detail);
	cr_expect_not(g.ad, "AD for an unsigned zone");
	resolver_close(&r);

	/* The same signed answer straight from NSD: authoritative, so no AD. */
	resolver_open(&r, "127.0.0.1", ds.port);
	ask(&r, "_25._tcp.mx.signed.test", ns_t_tlsa, &g);
	cr_expect_eq(g.status, DNS_ANSWER_OK, "%s", g.detail);
	cr_expect_not(g.ad);
	resolver_close(&r);
}

/* A UDP socket on loopback that is never read: queries to it go unanswered. */
static uint16_t open_silent_server(void)
{
	silent_fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert_geq(silent_fd, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(silent_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	socklen_t len = sizeof(sin);
	cr_assert_eq(getsockname(silent_fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

Test(dns_query, silent_server_times_out, .timeout = 60)
{
	struct resolver r;
	resolver_open(&r, "127.0.0.1", open_silent_server());
	struct got g;
	double start = now_s();
	ask(&r, "example.test", ns_t_mx, &g);
	cr_expect_eq(g.status, DNS_ANSWER_FAILED);
	cr_expect_str_eq(g.detail, "timeout");
	cr_expect_lt(now_s() - start, WAIT_S);
	resolver_close(&r);
}

Test(dns_query, close_runs_pending_callbacks, .timeout = 30)
{
	struct resolver r;
	resolver_open(&r, "127.0.0.1", open_silent_server());
	struct got g = {0};
	cr_assert_eq(dns_query(r.dns, "example.test", ns_t_txt, on_answer, &g), 0);
	uv_run(&r.loop, UV_RUN_NOWAIT);
	char err[160] = "";
	cr_expect_eq(dns_set_servers(r.dns, "127.0.0.1", err, sizeof(err)), SA_ERROR_INVAL,
	             "servers changed under a pending query");
	cr_expect_neq(err[0], '\0');
	cr_expect_not(g.done);
	resolver_close(&r);
	cr_expect_eq(g.calls, 1);
	cr_expect_eq(g.status, DNS_ANSWER_FAILED);
	cr_expect_str_eq(g.detail, "resolver shut down");
}

Test(dns_query, bad_names_fail_at_once, .timeout = 30)
{
	struct resolver r;
	resolver_open(&r, "127.0.0.1", open_silent_server());
	char long_label[80];
	memset(long_label, 'a', 64);
	snprintf(long_label + 64, sizeof(long_label) - 64, ".test");
	const char *const bad[] = {"a..b.test", long_label, "mx.invalid", "invalid"};
	struct got g = {0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(dns_query(r.dns, bad[i], ns_t_mx, on_answer, &g), SA_ERROR_PARSE, "%s",
		             bad[i]);
	resolver_close(&r);
	cr_expect_eq(g.calls, 0);
}

struct resolved {
	bool done;
	int status;
	char addrs[256];
};

static void on_resolved(void *arg, int status, const struct target_addr *addrs, size_t n,
                        const char *detail)
{
	struct resolved *res = arg;
	(void)detail;
	res->done = true;
	res->status = status;
	for (size_t i = 0; i < n; i++) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(addrs[i].family, addrs[i].bytes, text, sizeof(text));
		size_t used = strlen(res->addrs);
		snprintf(res->addrs + used, sizeof(res->addrs) - used, "%s ", text);
	}
}

Test(dns_query, resolve_follows_set_servers, .timeout = 60)
{
	start_nsd(zones, sizeof(zones) / sizeof(zones[0]));
	struct resolver r;
	resolver_open(&r, "127.0.0.1", ds.port);
	struct resolved res = {0};
	char detail[128] = "";
	cr_assert_eq(
	    dns_resolve(r.dns, "mx2.example.test", on_resolved, &res, detail, sizeof(detail)), 0,
	    "%s", detail);
	run_until(&r.loop, &res.done);
	cr_expect_eq(res.status, 0);
	cr_expect(strstr(res.addrs, "127.0.0.1 ") != NULL, "%s", res.addrs);
	cr_expect(strstr(res.addrs, "::1 ") != NULL, "%s", res.addrs);
	resolver_close(&r);
}
